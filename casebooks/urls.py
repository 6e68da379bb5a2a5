from django.urls import path

from casebooks import views

app_name = "casebooks"

urlpatterns = [
    path("", views.CasebookListView.as_view(), name="list"),
    path("<int:pk>/", views.CasebookDetailView.as_view(), name="detail"),
]
