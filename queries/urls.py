from django.urls import path

from queries import views

app_name = "queries"

urlpatterns = [
    path("", views.QueryListView.as_view(), name="list"),
    path("new/", views.QueryRaiseView.as_view(), name="raise"),
    path("<int:pk>/", views.QueryDetailView.as_view(), name="detail"),
    path("sdv/", views.SdvProgressView.as_view(), name="sdv"),
    path("sdv/verify/", views.SdvVerifyView.as_view(), name="sdv_verify"),
    path("sdv/participants/<int:pk>/", views.SdvParticipantView.as_view(), name="sdv_participant"),
]
