from django.urls import path

from participants import views

# The participant's page, history and withdrawal show the course of visits: they are served by
# sessions_app (sessions_app/participant_urls.py) in this namespace (trialsite/urls.py).

app_name = "participants"

urlpatterns = [
    path("", views.ParticipantListView.as_view(), name="list"),
    path("<int:pk>/identity/", views.IdentityView.as_view(), name="identity"),
    path("<int:pk>/identity/edit/", views.IdentityEditView.as_view(), name="identity_edit"),
]
