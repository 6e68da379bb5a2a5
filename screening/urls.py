from django.urls import path

from screening import views

app_name = "screening"

urlpatterns = [
    path("", views.AttemptListView.as_view(), name="list"),
    path("start/", views.ScreeningStartView.as_view(), name="start"),
    path("log/", views.ScreeningLogView.as_view(), name="log"),
    path("<int:pk>/", views.AttemptDetailView.as_view(), name="detail"),
    path("<int:pk>/assessments/", views.AssessmentEditView.as_view(), name="edit"),
    path("<int:pk>/submit/", views.AttemptSubmitView.as_view(), name="submit"),
    path("<int:pk>/confirm/", views.ConfirmView.as_view(), name="confirm"),
    path("<int:pk>/fail/", views.AttemptFailView.as_view(), name="fail"),
    path("<int:pk>/rescreen/", views.RescreenView.as_view(), name="rescreen"),
    path("<int:pk>/history/", views.AttemptHistoryView.as_view(), name="history"),
]
