"""Reads of participants, always within the user's site scope."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.selectors import get_in_scope, user_scope
from participants.models import Casebook, Participant, ParticipantIdentity


def participant_list(*, user: User) -> QuerySet[Participant]:
    """Participants at the sites the user may see, with what a list page shows."""
    site_ids = user_scope(user).sites_with("participants.view_participant")
    return Participant.objects.filter(site_id__in=site_ids).select_related("site", "site__study")


NOT_FOUND = "No such participant."


def participant_get(*, user: User, pk: int) -> Participant:
    """One participant in the user's scope; any other ID is simply not found."""
    return get_in_scope(participant_list(user=user), pk, missing=NOT_FOUND)


def identity_get(*, user: User, participant: Participant) -> ParticipantIdentity:
    """The participant's identity, for their own site's staff only; anyone else gets 404."""
    if participant.site_id not in user_scope(user).identity_site_ids:
        raise Http404(NOT_FOUND)
    try:
        return ParticipantIdentity.objects.select_related("participant__site").get(
            participant=participant
        )
    except ParticipantIdentity.DoesNotExist:
        raise Http404("No identity recorded.") from None


def can_see_identity(*, user: User, participant: Participant) -> bool:
    return participant.site_id in user_scope(user).identity_site_ids and user.has_perm(
        "participants.view_participantidentity", participant
    )


def casebook_of(participant: Participant) -> Casebook:
    """The participant's casebook; an open one, not yet saved, before its first use."""
    try:
        return participant.casebook
    except Casebook.DoesNotExist:
        return Casebook(participant=participant)


def casebook_locked(participant: Participant) -> Casebook | None:
    """The participant's casebook while it is locked, else None: the pages of their records then
    show the lock and offer no change (the writes are refused anyway, participants.casebook)."""
    casebook = casebook_of(participant)
    return casebook if casebook.is_locked else None
