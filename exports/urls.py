from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.ExportListView.as_view(), name="list"),
    path("<int:pk>/", views.ExportDetailView.as_view(), name="detail"),
    path("<int:pk>/progress/", views.ExportProgressView.as_view(), name="progress"),
    path("<int:pk>/download/", views.ExportDownloadView.as_view(), name="download"),
]
