"""Reads of integration notes: the participant's site staff only."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import user_scope
from sessions_app.models import Visit

VIEW_NOTE = "sessions_app.view_integrationnote"


def note_visits(*, user: User, dosing_visit: Visit) -> QuerySet[Visit]:
    """The integration visits of a dosing visit, with their notes (site staff only).

    Each comes with its dosing visit and session loaded, so `notes_closed_reason` (offer to write
    notes only when it is empty) needs no query.
    """
    return (
        dosing_visit.integration_visits.select_related(
            "integration_note__author", "dosing_visit__dosing_session"
        ).order_by("sequence")
        if dosing_visit.participant.site_id in user_scope(user).sites_with(VIEW_NOTE)
        else (Visit.objects.none())
    )
