"""Reads of casebooks, in the user's scope: the list by state, one participant's casebook, its
signatures and its history (signed, locked, unlocked, opened again by a change)."""

from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce

from accounts.permissions import CASEBOOK_VIEW
from accounts.selectors import get_in_scope, user_scope
from audit.models import LogEntry
from audit.selectors import history_for
from participants.models import Casebook, Participant
from participants.selectors import NOT_FOUND
from signatures.models import Signature
from signatures.selectors import signatures_for

VIEW = CASEBOOK_VIEW
STATE_LABELS = dict(Casebook.State.choices)


def casebook_participants(*, user) -> QuerySet[Participant]:
    """The participants of the user's sites (the study's, for a monitor or the administrator),
    each with its casebook loaded and its state as `casebook_state` (open without one yet)."""
    sites = user_scope(user).sites_with(VIEW)
    return (
        Participant.objects.filter(site_id__in=sites)
        .select_related("site__study", "casebook__locked_by")
        .annotate(casebook_state=Coalesce("casebook__state", Value(Casebook.State.OPEN)))
    )


def participant_get(*, user, pk) -> Participant:
    """One participant whose casebook the user may see (404 outside the scope)."""
    return get_in_scope(casebook_participants(user=user), pk, missing=NOT_FOUND)


def casebook_signatures(casebook: Casebook) -> list[Signature]:
    """The casebook's signatures, oldest first (none before its first use)."""
    return list(signatures_for(record=casebook)) if casebook.pk else []


def casebook_history(casebook: Casebook) -> list[dict]:
    """Each change of the casebook's state, newest first: from what to what, who, when, and the
    reason (an unlock's)."""
    if casebook.pk is None:
        return []
    rows = []
    for entry in history_for(records=[casebook]):
        change = (entry.changes or {}).get("state")
        if entry.action == LogEntry.Action.CREATE or not change:
            continue
        rows.append(
            {
                "entry": entry,
                "from": STATE_LABELS.get(change[0], change[0]),
                "to": STATE_LABELS.get(change[1], change[1]),
            }
        )
    return rows
