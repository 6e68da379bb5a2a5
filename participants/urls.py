from django.urls import path

from participants import views

app_name = "participants"

urlpatterns = [
    path("", views.ParticipantListView.as_view(), name="list"),
    path("<int:pk>/", views.ParticipantDetailView.as_view(), name="detail"),
    path("<int:pk>/identity/", views.IdentityView.as_view(), name="identity"),
    path("<int:pk>/identity/edit/", views.IdentityEditView.as_view(), name="identity_edit"),
    path("<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("<int:pk>/history/", views.ParticipantHistoryView.as_view(), name="history"),
]
