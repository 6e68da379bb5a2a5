"""What waits for the site investigator, at their own sites: screenings to confirm, ended dosing
sessions to sign (again, when a late change voided the signature), draft adverse events to
submit and follow-up reports to sign. One query per kind, whatever the number of records."""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from safety.clocks import serious_clock
from safety.selectors import adverse_events_awaiting_submission, follow_ups_awaiting_signature
from screening.selectors import awaiting_confirmation
from sessions_app.selectors import sessions_awaiting_signature

# At most this many of each kind are listed (oldest first); the page says when there are more.
LIMIT = 25


@dataclass(frozen=True)
class WorkItem:
    kind: str
    label: str
    url: str
    site: object
    ready_at: datetime.datetime
    note: str = ""

    @property
    def waited(self) -> str:
        return waited_label(self.ready_at)


@dataclass(frozen=True)
class Worklist:
    items: list[WorkItem]
    more: bool  # some kind had more than LIMIT waiting


def waited_label(since: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """How long something has waited, roughly: "12 min", "3 h", "2 days"."""
    seconds = max(0, ((now or timezone.now()) - since).total_seconds())
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def _screenings(user: User) -> list[WorkItem]:
    return [
        WorkItem(
            kind="Confirm eligibility",
            label=f"Screening {a.number} of {a.participant.label}",
            url=reverse("screening:confirm", args=[a.pk]),
            site=a.participant.site,
            ready_at=a.ready_at,
            note="confirmation voided by a change" if a.signature_voided_at else "",
        )
        for a in awaiting_confirmation(user=user)[: LIMIT + 1]
    ]


def _sessions(user: User) -> list[WorkItem]:
    return [
        WorkItem(
            kind="Sign the session",
            label=f"{s.visit.participant.label} · {s.visit.label}",
            url=reverse("sessions_app:sign", args=[s.pk]),
            site=s.visit.participant.site,
            ready_at=s.ready_at,
            note="signature voided by a late change" if s.signature_voided_at else "",
        )
        for s in sessions_awaiting_signature(user=user)[: LIMIT + 1]
    ]


def _adverse_events(user: User) -> list[WorkItem]:
    return [
        WorkItem(
            kind="Submit the adverse event",
            label=f"{ae.participant.label} · {ae.verbatim_term}",
            url=reverse("safety:ae_submit", args=[ae.pk]),
            site=ae.participant.site,
            ready_at=ae.ready_at,
            note=_draft_note(ae),
        )
        for ae in adverse_events_awaiting_submission(user=user)[: LIMIT + 1]
    ]


def _draft_note(ae) -> str:
    """ "draft", or for a serious one its 24-hour clock: "serious draft: 5 h 20 min left"."""
    clock = serious_clock(ae)
    return f"serious draft: {clock.status()}" if clock else "draft"


def _follow_ups(user: User) -> list[WorkItem]:
    return [
        WorkItem(
            kind="Sign the follow-up report",
            label=f"{r.adverse_event.participant.label} · {r.adverse_event.verbatim_term} · "
            f"{r.label}",
            url=reverse("safety:ae_follow_up_sign", args=[r.adverse_event_id]),
            site=r.adverse_event.participant.site,
            ready_at=r.ready_at,
            note="final" if r.final else "",
        )
        for r in follow_ups_awaiting_signature(user=user)[: LIMIT + 1]
    ]


def investigator_worklist(*, user: User) -> Worklist:
    """Everything waiting for `user`'s confirmation, signature or submission, oldest first."""
    kinds = [_screenings(user), _sessions(user), _adverse_events(user), _follow_ups(user)]
    more = any(len(items) > LIMIT for items in kinds)
    items = sorted(
        (item for items in kinds for item in items[:LIMIT]), key=lambda item: item.ready_at
    )
    return Worklist(items=items, more=more)
