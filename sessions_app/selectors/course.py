"""Reads of a participant's course: their visits in order, one visit, within the user's scope."""

from django.db.models import Exists, OuterRef

from accounts.models import User
from accounts.selectors import get_in_scope, user_scope
from participants.models import Participant
from sessions_app.models import DoseAdministration, IntegrationNote, Visit

VIEW_VISIT = "sessions_app.view_visit"


def course_for(*, user: User, participant: Participant) -> list[Visit]:
    """The participant's 15 visits in order, with their session's state and deviation flags.

    An integration visit comes with its dosing visit and session, for `notes_closed_reason`.
    """
    if participant.site_id not in user_scope(user).sites_with(VIEW_VISIT):
        return []
    supplemental_deviation = DoseAdministration.objects.filter(
        session__visit=OuterRef("pk"),
        kind=DoseAdministration.Kind.SUPPLEMENTAL,
        voided_at__isnull=True,
    ).exclude(deviation_reason="")
    return list(
        Visit.objects.filter(participant=participant)
        .select_related("participant", "dosing_session", "dosing_visit__dosing_session")
        .annotate(
            has_note=Exists(IntegrationNote.objects.filter(visit=OuterRef("pk"))),
            supplemental_deviation=Exists(supplemental_deviation),
        )
        .order_by("sequence")
    )


def visit_get(*, user: User, pk: int, perm: str = VIEW_VISIT) -> Visit:
    site_ids = user_scope(user).sites_with(perm)
    return get_in_scope(
        Visit.objects.select_related("participant__site__study", "dosing_visit").filter(
            participant__site_id__in=site_ids
        ),
        pk,
        missing="No such visit.",
    )
