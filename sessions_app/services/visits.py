"""Writes of the visit schedule: generated on enrolment, re-anchored as visits are held."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.context import change_reason
from audit.services import versioned_save
from participants.models import Participant
from sessions_app import schedule
from sessions_app.models import DosingSession, Visit


def visit_schedule_create(*, actor: User, participant: Participant) -> list[Visit]:
    """Create the participant's 15 visits (and a flowsheet per dosing visit), once.

    Called when a participant is enrolled; calling it again returns the existing schedule.
    """
    with transaction.atomic(), change_reason("Visit schedule generated on enrolment"):
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        existing = list(Visit.objects.filter(participant=participant))
        if existing:
            return existing
        if participant.enrolled_on is None:
            raise ValidationError(f"{participant.label} is not enrolled: no schedule yet.")
        dates = schedule.schedule_dates(participant.enrolled_on)
        visits: dict[str, Visit] = {}
        for planned in schedule.COURSE:
            when = dates[planned.code]
            visit = Visit(
                participant=participant,
                code=planned.code,
                kind=planned.kind,
                sequence=planned.sequence,
                dosing_visit=visits.get(planned.dosing_code),
                target_date=when.target,
                window_start=when.window_start,
                window_end=when.window_end,
            )
            visit.full_clean()
            visit.save()
            visits[planned.code] = visit
            if planned.kind == schedule.DOSING:
                session = DosingSession(visit=visit)
                session.full_clean()
                session.save()
    return list(visits.values())


def _reanchor(*, participant: Participant, reason: str) -> None:
    """Move the dates of visits not yet held after the actual dates of those that were."""
    visits = list(Visit.objects.select_for_update().filter(participant=participant))
    held = {v.code: v.held_on for v in visits if v.held_on is not None}
    dates = schedule.schedule_dates(participant.enrolled_on, held)
    with change_reason(reason):
        for visit in visits:
            if visit.status != Visit.Status.SCHEDULED:
                continue
            when = dates[visit.code]
            if (visit.target_date, visit.window_start, visit.window_end) == (
                when.target,
                when.window_start,
                when.window_end,
            ):
                continue
            visit.target_date = when.target
            visit.window_start = when.window_start
            visit.window_end = when.window_end
            visit.full_clean()
            visit.save()


def visit_mark_held(
    *,
    actor: User,
    visit: Visit,
    held_on: datetime.date,
    deviation_explanation: str = "",
    expected_version: int | None = None,
    reason: str = "",
) -> Visit:
    """Record the day a visit was held; outside its window it needs an explanation."""
    with transaction.atomic():
        visit = Visit.objects.select_for_update().select_related("participant").get(pk=visit.pk)
        if held_on > timezone.localdate():
            raise ValidationError({"held_on": "A visit cannot be recorded as held in the future."})
        visit.status = Visit.Status.HELD
        visit.held_on = held_on
        visit.deviation_explanation = deviation_explanation.strip()
        if not visit.is_out_of_window:
            visit.deviation_explanation = ""
        versioned_save(
            instance=visit,
            expected_version=visit.version if expected_version is None else expected_version,
            reason=reason,
        )
        _reanchor(
            participant=visit.participant,
            reason=f"Schedule re-anchored on {visit.label} held on {held_on:%Y-%m-%d}",
        )
    return visit
