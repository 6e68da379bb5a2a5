"""The participant pages that show the course, in the participants' URL namespace (see
trialsite/urls.py, which joins them to participants.urls)."""

from django.urls import path

from sessions_app.views import participants as views

urlpatterns = [
    path("<int:pk>/", views.ParticipantDetailView.as_view(), name="detail"),
    path("<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("<int:pk>/history/", views.ParticipantHistoryView.as_view(), name="history"),
]
