"""Writes of the visit schedule: generated on enrolment, re-anchored as visits are held."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.context import change_reason, records_actor
from audit.services import versioned_save
from participants.models import Participant
from participants.validators import validate_withdrawal_details
from sessions_app import schedule
from sessions_app.models import DosingSession, Visit

MISSED_REASON_REQUIRED = "Say why the visit did not take place."
UNDO_REASON_REQUIRED = "Say why the visit was recorded as missed in error."


@records_actor
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


def participation_check(participant: Participant, day: datetime.date, field: str) -> None:
    """Refuse a visit held on `day` unless the participant was enrolled and not yet withdrawn."""
    if participant.enrolled_on is None or day < participant.enrolled_on:
        raise ValidationError(
            {
                field: f"{participant.label} was not enrolled on {day:%d %b %Y}: "
                "a therapy visit is held only after enrolment."
            }
        )
    if participant.withdrawn_on is not None and day > participant.withdrawn_on:
        raise ValidationError(
            {
                field: f"{participant.label} was withdrawn from the study on "
                f"{participant.withdrawn_on:%d %b %Y}: no visit is held after that day."
            }
        )


@records_actor
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
        participation_check(visit.participant, held_on, "held_on")
        if visit.status == Visit.Status.MISSED and not reason.strip():
            raise ValidationError(
                {
                    "reason": f"{visit.label} was recorded as missed ({visit.missed_reason}): "
                    "say why it is now recorded as held."
                }
            )
        visit.status = Visit.Status.HELD
        visit.held_on = held_on
        visit.missed_reason = ""
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


def _missed_with(dosing_visit: Visit) -> str:
    """The reason of the integration visits a missed dosing visit took with it (and gives back)."""
    return f"{dosing_visit.label} was missed"


@records_actor
def visit_mark_missed(*, actor: User, visit: Visit, reason: str, expected_version: int) -> Visit:
    """Record that an expected visit did not take place, and why.

    A missed dosing session takes its integration sessions with it: they have no session to
    follow. The schedule of the other visits is unchanged. A missed visit that did take place
    after all is recorded as held, with a reason for the change.
    """
    reason = reason.strip()
    with transaction.atomic():
        # The participant's row first, as a start of a session and a withdrawal lock it first.
        Participant.objects.select_for_update().get(pk=visit.participant_id)
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("participant", "dosing_session")
            .get(pk=visit.pk)
        )
        if visit.status != Visit.Status.SCHEDULED:
            raise ValidationError(
                f"{visit.label} is already recorded as {visit.get_status_display().lower()}."
            )
        if not visit.is_expected:
            raise ValidationError(
                f"{visit.participant.label} is {visit.participant.get_status_display().lower()}: "
                "the visits not held are no longer expected, and need no record."
            )
        if not visit.can_be_missed:
            if visit.window_start > timezone.localdate():
                raise ValidationError(
                    f"{visit.label}'s window opens on {visit.window_start:%d %b %Y}: a visit is "
                    "recorded as missed once its window has opened."
                )
            raise ValidationError(f"The {visit.label} session has started: it was not missed.")
        if not reason:
            raise ValidationError({"reason": MISSED_REASON_REQUIRED})
        visit.status = Visit.Status.MISSED
        visit.missed_reason = reason
        versioned_save(
            instance=visit, expected_version=expected_version, reason=f"Visit missed: {reason}"
        )
        if visit.kind == Visit.Kind.DOSING:
            follows = _missed_with(visit)
            with change_reason(follows):
                for integration in visit.integration_visits.select_for_update().filter(
                    status=Visit.Status.SCHEDULED
                ):
                    integration.status = Visit.Status.MISSED
                    integration.missed_reason = follows
                    integration.full_clean()
                    integration.save()
    return visit


@records_actor
def visit_missed_undo(*, actor: User, visit: Visit, reason: str, expected_version: int) -> Visit:
    """Take back a visit recorded as missed in error: it is expected again, and so are the
    integration sessions its missed dosing session took with it."""
    reason = reason.strip()
    with transaction.atomic():
        Participant.objects.select_for_update().get(pk=visit.participant_id)
        visit = Visit.objects.select_for_update().select_related("participant").get(pk=visit.pk)
        if visit.status != Visit.Status.MISSED:
            raise ValidationError(f"{visit.label} is not recorded as missed.")
        if not reason:
            raise ValidationError({"reason": UNDO_REASON_REQUIRED})
        visit.status = Visit.Status.SCHEDULED
        visit.missed_reason = ""
        versioned_save(
            instance=visit, expected_version=expected_version, reason=f"Not missed: {reason}"
        )
        if visit.kind == Visit.Kind.DOSING:
            with change_reason(f"{visit.label} not missed: {reason}"):
                for integration in visit.integration_visits.select_for_update().filter(
                    status=Visit.Status.MISSED, missed_reason=_missed_with(visit)
                ):
                    integration.status = Visit.Status.SCHEDULED
                    integration.missed_reason = ""
                    integration.full_clean()
                    integration.save()
    return visit


@records_actor
def participant_withdraw(
    *,
    actor: User,
    participant: Participant,
    withdrawn_on: datetime.date,
    category: str,
    details: str,
    expected_version: int,
) -> Participant:
    """End an enrolled participant's participation on `withdrawn_on`, with its reason.

    Visits not yet held stay in the schedule as they were, but are no longer expected: they are
    not overdue and not offered as due. The day cannot precede a visit already held, and a
    dosing session in progress is ended first.
    """
    details = details.strip()
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.status != Participant.Status.ENROLLED:
            raise ValidationError(
                f"{participant.label} is {participant.get_status_display().lower()}, not "
                "enrolled: only an enrolled participant can be withdrawn."
            )
        if withdrawn_on > timezone.localdate():
            raise ValidationError(
                {"withdrawn_on": "The day of withdrawal cannot be in the future."}
            )
        if withdrawn_on < participant.enrolled_on:
            raise ValidationError(
                {
                    "withdrawn_on": f"{participant.label} was enrolled on "
                    f"{participant.enrolled_on:%d %b %Y}: the withdrawal cannot precede it."
                }
            )
        visits = Visit.objects.filter(participant=participant)
        held_after = visits.filter(held_on__gt=withdrawn_on).order_by("-held_on").first()
        if held_after is not None:
            raise ValidationError(
                {
                    "withdrawn_on": f"{held_after.label} was held on "
                    f"{held_after.held_on:%d %b %Y}, after this day: the withdrawal cannot "
                    "precede a visit held."
                }
            )
        running = visits.filter(dosing_session__status=DosingSession.Status.IN_PROGRESS).first()
        if running is not None:
            raise ValidationError(
                f"The {running.label} session is in progress: end it on its flowsheet before "
                "withdrawing the participant."
            )
        validate_withdrawal_details(category, details)
        participant.status = Participant.Status.WITHDRAWN
        participant.withdrawn_on = withdrawn_on
        participant.withdrawal_category = category
        participant.withdrawal_details = details
        label = Participant.WithdrawalCategory(category).label
        versioned_save(
            instance=participant,
            expected_version=expected_version,
            reason=f"Withdrawn from the study: {label}" + (f" ({details})" if details else ""),
        )
    return participant
