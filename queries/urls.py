from django.urls import path

from queries import views

app_name = "queries"

urlpatterns = [
    path("", views.QueryListView.as_view(), name="list"),
    path("new/", views.QueryRaiseView.as_view(), name="raise"),
    path("<int:pk>/", views.QueryDetailView.as_view(), name="detail"),
]
