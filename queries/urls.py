from django.urls import path

from queries.views import queries, sdv

app_name = "queries"

urlpatterns = [
    path("", queries.QueryListView.as_view(), name="list"),
    path("new/", queries.QueryRaiseView.as_view(), name="raise"),
    path("<int:pk>/", queries.QueryDetailView.as_view(), name="detail"),
    path("sdv/", sdv.SdvProgressView.as_view(), name="sdv"),
    path("sdv/verify/", sdv.SdvVerifyView.as_view(), name="sdv_verify"),
    path("sdv/participants/<int:pk>/", sdv.SdvParticipantView.as_view(), name="sdv_participant"),
]
