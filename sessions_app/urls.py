from django.urls import path

from sessions_app.views import alerts, corrections, flowsheet, notes, session, visits

app_name = "sessions_app"

urlpatterns = [
    path("<int:pk>/", flowsheet.FlowsheetView.as_view(), name="flowsheet"),
    path("<int:pk>/sign/", session.SessionSignView.as_view(), name="sign"),
    path("<int:pk>/history/", session.SessionHistoryView.as_view(), name="history"),
    path("readings/<int:pk>/edit/", corrections.ReadingEditView.as_view(), name="reading_edit"),
    path(
        "readings/<int:pk>/entered-in-error/",
        corrections.ReadingStrikeView.as_view(),
        name="reading_strike",
    ),
    path(
        "observations/<int:pk>/entered-in-error/",
        corrections.ObservationStrikeView.as_view(),
        name="observation_strike",
    ),
    path(
        "observations/<int:pk>/edit/",
        corrections.ObservationEditView.as_view(),
        name="observation_edit",
    ),
    path("visits/<int:pk>/held/", visits.VisitHeldView.as_view(), name="visit_held"),
    path("visits/<int:pk>/missed/", visits.VisitMissedView.as_view(), name="visit_missed"),
    path("alerts/", alerts.AlertListView.as_view(), name="alerts"),
    path(
        "alerts/<int:pk>/acknowledge/",
        alerts.AlertAcknowledgeView.as_view(),
        name="alert_acknowledge",
    ),
    path("notes/<int:visit_pk>/", notes.NoteView.as_view(), name="note"),
    path("notes/<int:visit_pk>/edit/", notes.NoteEditView.as_view(), name="note_edit"),
    path("notes/<int:visit_pk>/history/", notes.NoteHistoryView.as_view(), name="note_history"),
    path("<int:pk>/correct/start/", corrections.StartCorrectView.as_view(), name="correct_start"),
    path(
        "<int:pk>/correct/supplemental/",
        corrections.SupplementalCorrectView.as_view(),
        name="correct_supplemental",
    ),
    path(
        "administrations/<int:pk>/correct/",
        corrections.DoseCorrectView.as_view(),
        name="administration_correct",
    ),
]
