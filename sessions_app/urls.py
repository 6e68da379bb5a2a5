from django.urls import URLPattern, path
from django.views import View

from sessions_app.views import alerts, corrections, entries, flowsheet, notes, session, visits

app_name = "sessions_app"


def entry_paths(
    prefix: str, name: str, edit_view: type[View], strike_view: type[View]
) -> list[URLPattern]:
    """An entry's pages (a reading's, an observation's): its correction and its striking through
    as entered in error."""
    return [
        path(f"{prefix}/<int:pk>/edit/", edit_view.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/entered-in-error/", strike_view.as_view(), name=f"{name}_strike"),
    ]


urlpatterns = [
    path("<int:pk>/", flowsheet.FlowsheetView.as_view(), name="flowsheet"),
    path("<int:pk>/sign/", session.SessionSignView.as_view(), name="sign"),
    path("<int:pk>/history/", session.SessionHistoryView.as_view(), name="history"),
    *entry_paths("readings", "reading", entries.ReadingEditView, entries.ReadingStrikeView),
    *entry_paths(
        "observations",
        "observation",
        entries.ObservationEditView,
        entries.ObservationStrikeView,
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
