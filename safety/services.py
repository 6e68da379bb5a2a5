"""Writes of adverse events: the draft, the investigator's signed submission, follow-up reports.

The rules of a report live in `report_check` (its values agree with each other and with the
participant) and `completeness_check` (what a signed report must answer); every write asks them,
so that each message is written once and shown beside its field.
"""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateTimeField
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from audit.context import records_actor
from audit.services import STALE_MESSAGE, ConcurrentEditError, versioned_save
from participants.models import Participant
from records.edits import StepRefused, not_in_future, reason_required
from records.forms import YES_NO_REQUIRED
from safety.models import (
    PROCEDURES,
    REPORT_FIELDS,
    SERIOUSNESS_CRITERIA,
    AdverseEvent,
    AdverseEventReport,
)
from safety.review import review_follow_up, review_open
from safety.tasks import serious_submitted_notify
from sessions_app.models import DosingSession, VitalSignReading
from sessions_app.services.flowsheet.common import same_minute
from signatures.models import Signature
from signatures.services import signature_password_confirm, signature_sign

ADD_AE = "safety.add_adverseevent"
CHANGE_AE = "safety.change_adverseevent"
SUBMIT_AE = "safety.submit_adverseevent"
REPORT_REFUSED = "Only the participant's site staff can report adverse events."
CHANGE_REFUSED = "Only the participant's site staff can change adverse events."
SUBMIT_REFUSED = "Only the site investigator can submit adverse events and sign follow-ups."
DRAFT_ONLY = "Only a draft adverse event can be changed here."
SUBMITTED_ONLY = (
    "A draft adverse event is changed in the draft itself; follow-up reports come after the "
    "investigator has submitted it."
)
ALREADY_SUBMITTED = "This adverse event was already submitted: change it with a follow-up report."
CLOSED = "This adverse event is closed: a final follow-up report has been signed."
NO_PENDING = "No follow-up report of this adverse event waits for a signature."
TERM_REQUIRED = "Describe the event in the reporter's words."
ONSET_IN_FUTURE = "The onset is in the future. Enter when the event began."
AWARE_IN_FUTURE = "The site's awareness is in the future. Enter when the site learned of it."
END_IN_FUTURE = "The end is in the future. Leave it empty and tick 'ongoing' until it has ended."
END_OR_ONGOING = "Enter when the event ended, or tick 'ongoing'."
DEATH_NEEDS_END = "The event was fatal: enter the date and time of death as its end."
FINAL_NEEDS_OUTCOME = (
    "A final report closes the event: its outcome must be known (recovered, recovered with "
    "sequelae, not recovered, or fatal) and the event must have ended, unless it was fatal."
)
NOTHING_CHANGED = (
    "This follow-up changes nothing. Change what the new information says, or mark the "
    "report final to close the event."
)
FOLLOW_UP_REASON = "Say what new information this follow-up report brings."
SUBMIT_STATEMENT = (
    "I have reviewed this adverse event report, including its seriousness, severity and "
    "causality, and approve its submission."
)
FOLLOW_UP_STATEMENT = "I have reviewed this follow-up report and approve the changes it makes."
REQUIRED = {
    "verbatim_term": TERM_REQUIRED,
    "onset_at": "Enter when the event began.",
    "aware_at": "Enter when the site first learned of the event.",
    "severity_grade": "Choose the CTCAE grade the event reached.",
    "causality": "Choose the causality to the investigational product.",
    "action_taken": "Choose the action taken with the investigational product.",
    "outcome": "Choose the outcome.",
    **{name: YES_NO_REQUIRED for name, _ in (*SERIOUSNESS_CRITERIA, *PROCEDURES)},
}
KNOWN_OUTCOMES = {
    AdverseEvent.Outcome.RECOVERED,
    AdverseEvent.Outcome.RECOVERED_WITH_SEQUELAE,
    AdverseEvent.Outcome.NOT_RECOVERED,
    AdverseEvent.Outcome.FATAL,
}
# The values a draft or a follow-up may set (the session and reading are set when it is opened).
DRAFT_VALUES = frozenset(REPORT_FIELDS) | {"dosing_session"}


class AdverseEventError(StepRefused):
    """A step the adverse event's state does not allow."""


def _collected_since(participant: Participant) -> datetime.date | None:
    """The first day of the participant's screening (None for one entered without it)."""
    days = [a.screened_on for a in participant.screening_attempts.all() if a.screened_on]
    return min(days, default=None)


def _as_of_day(ae: AdverseEvent) -> None:
    """An onset of which only the day is known is kept as the start of that day at the site."""
    if ae.onset_at and ae.onset_date_only:
        zone = ae.participant.site.zoneinfo
        day = ae.onset_at.astimezone(zone).date()
        ae.onset_at = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=zone)


def _not_in_future(errors: dict, ae: AdverseEvent, field: str, message: str) -> None:
    when = getattr(ae, field)
    if when is None:
        return
    try:
        not_in_future(when, message=message)
    except ValidationError as error:
        errors[field] = error.messages


def report_check(ae: AdverseEvent) -> None:
    """Refuse values that cannot be true together, each beside its field; values not given yet
    are left to `completeness_check`."""
    errors: dict[str, Any] = {}
    ae.verbatim_term = ae.verbatim_term.strip()
    ae.description = ae.description.strip()
    ae.treatment = ae.treatment.strip()
    if not ae.verbatim_term:
        errors["verbatim_term"] = TERM_REQUIRED
    _as_of_day(ae)
    _not_in_future(errors, ae, "ended_at", END_IN_FUTURE)
    _not_in_future(errors, ae, "aware_at", AWARE_IN_FUTURE)
    if ae.onset_at:
        _not_in_future(errors, ae, "onset_at", ONSET_IN_FUTURE)
        # Adverse events are collected from screening on; anything earlier is medical history.
        since = _collected_since(ae.participant)
        if since and timezone.localtime(ae.onset_at).date() < since:
            errors["onset_at"] = (
                f"The onset is before {ae.participant.label} was first screened "
                f"({since:%d %b %Y}): that is medical history, not an adverse event."
            )
    if ae.dosing_session_id and ae.dosing_session.visit.participant_id != ae.participant_id:
        errors["dosing_session"] = "This dosing session is another participant's."
    if ae.source_reading_id and ae.source_reading.session_id != ae.dosing_session_id:
        errors["dosing_session"] = "The event was opened from a reading of another session."
    try:
        ae.clean()  # how the values agree with each other
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)


def completeness_check(ae: AdverseEvent, *, final: bool = False) -> None:
    """What a signed report answers: every safety answer, grade, causality, action, outcome, and
    the end or 'ongoing'; a final one, a known outcome."""
    errors = {
        field: message for field, message in REQUIRED.items() if getattr(ae, field) in (None, "")
    }
    if ae.outcome == AdverseEvent.Outcome.FATAL and ae.ended_at is None:
        errors["ended_at"] = DEATH_NEEDS_END
    elif not ae.ongoing and ae.ended_at is None:
        errors["ended_at"] = END_OR_ONGOING
    if final and (ae.outcome not in KNOWN_OUTCOMES or ae.ongoing):
        errors["final"] = FINAL_NEEDS_OUTCOME
    if errors:
        raise ValidationError(errors)


def _set_values(ae: AdverseEvent, values: dict[str, Any], allowed=DRAFT_VALUES) -> None:
    """Set the report's `values` on `ae`; a time typed again to the minute keeps its seconds."""
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"Not values of an adverse event report: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        old = getattr(ae, name)
        if isinstance(value, datetime.datetime) and isinstance(old, datetime.datetime):
            value = same_minute(value, old)
        setattr(ae, name, value)


def as_json(value: Any) -> Any:
    """A report value as `AdverseEventReport.changes` keeps it: a time in UTC, so that the same
    instant is the same string whichever zone it was given in."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return value


def from_json(field: str, value: Any) -> Any:
    """A value of `changes` as the event's field holds it."""
    if value is not None and isinstance(AdverseEvent._meta.get_field(field), DateTimeField):
        return datetime.datetime.fromisoformat(value)
    return value


def report_values(ae: AdverseEvent) -> dict[str, Any]:
    """The event's report values, as JSON."""
    return {name: as_json(getattr(ae, name)) for name in REPORT_FIELDS}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict]:
    return {
        name: {"old": before[name], "new": after[name]}
        for name in REPORT_FIELDS
        if before[name] != after[name]
    }


def _lock(ae: AdverseEvent) -> AdverseEvent:
    return (
        AdverseEvent.objects.select_for_update(of=("self",))
        .select_related("participant__site", "dosing_session__visit", "source_reading")
        .get(pk=ae.pk)
    )


@records_actor
def adverse_event_draft_create(
    *,
    actor: User,
    participant: Participant,
    verbatim_term: str,
    onset_at: datetime.datetime,
    description: str,
    dosing_session: DosingSession | None = None,
    source_reading: VitalSignReading | None = None,
    **values: Any,
) -> AdverseEvent:
    """Open a draft adverse event for a participant of the actor's site; `values` are the
    report's other fields (REPORT_FIELDS), which a draft may leave unanswered.

    Opened from a reading, the reading's session is the event's session.
    """
    if not actor.has_perm(ADD_AE, participant):
        raise PermissionDenied(REPORT_REFUSED)
    if source_reading is not None and dosing_session is None:
        dosing_session = source_reading.session
    values.setdefault("aware_at", timezone.now())  # the site learns of it as it is reported
    with transaction.atomic():
        ae = AdverseEvent(
            participant=participant,
            dosing_session=dosing_session,
            source_reading=source_reading,
            verbatim_term=verbatim_term,
            onset_at=onset_at,
            description=description,
            status=AdverseEvent.Status.DRAFT,
            reported_by=actor,
        )
        _set_values(ae, values)
        report_check(ae)
        ae.full_clean()
        ae.save()
    return ae


@records_actor
def adverse_event_draft_update(
    *,
    actor: User,
    adverse_event: AdverseEvent,
    expected_version: int,
    reason: str = "",
    **values: Any,
) -> AdverseEvent:
    """Change a draft (the report's fields named in `values`); refused if someone saved it
    after `expected_version` was read."""
    ae = adverse_event
    if not actor.has_perm(CHANGE_AE, ae):
        raise PermissionDenied(CHANGE_REFUSED)
    with transaction.atomic():
        ae = _lock(ae)
        if ae.status != AdverseEvent.Status.DRAFT:
            raise AdverseEventError(DRAFT_ONLY)
        _set_values(ae, values)
        report_check(ae)
        versioned_save(instance=ae, expected_version=expected_version, reason=reason.strip())
    return ae


@records_actor
def adverse_event_submit(
    *,
    actor: User,
    adverse_event: AdverseEvent,
    password: str,
    expected_version: int,
    request: HttpRequest | None = None,
    **values: Any,
) -> AdverseEventReport:
    """The investigator's signed submission (meaning "approved") of a complete draft, with the
    last changes made to it (`values`): the initial report, number 0, which keeps every value.

    The password is confirmed before the transaction, so that a wrong one counts toward the
    lockout and nothing is saved; a second submission of the same event is refused.
    """
    _investigator_confirms(actor, adverse_event, password, request)
    with transaction.atomic():
        ae = _lock(adverse_event)
        if ae.status != AdverseEvent.Status.DRAFT:
            raise AdverseEventError(ALREADY_SUBMITTED)
        if ae.version != expected_version:
            raise ConcurrentEditError(STALE_MESSAGE)
        _set_values(ae, values)
        report_check(ae)
        completeness_check(ae)
        ae.status = AdverseEvent.Status.SUBMITTED
        ae.submitted_at = timezone.now()
        if ae.is_serious:
            ae.serious_aware_at, ae.serious_reported_at = ae.aware_at, ae.submitted_at
            serious_submitted_notify.delay_on_commit(ae.pk, actor_id=actor.pk)
        versioned_save(
            instance=ae, expected_version=expected_version, reason="Submitted by investigator"
        )
        report = AdverseEventReport(
            adverse_event=ae,
            number=0,
            changes=_changes(dict.fromkeys(REPORT_FIELDS), report_values(ae)),
            drafted_by=ae.reported_by,
            drafted_at=ae.created_at,
        )
        _report_sign(report, signer=actor, password=password, statement=SUBMIT_STATEMENT)
        review_open(ae)
    return report


def _investigator_confirms(
    actor: User, ae: AdverseEvent, password: str, request: HttpRequest | None
) -> None:
    """Refuse anyone but the event's site investigator, and a wrong password: before the
    transaction, so that a wrong one counts toward the lockout and nothing is saved."""
    if not actor.has_perm(SUBMIT_AE, ae):
        raise PermissionDenied(SUBMIT_REFUSED)
    signature_password_confirm(signer=actor, password=password, request=request)


def _report_sign(
    report: AdverseEventReport, *, signer: User, password: str, statement: str
) -> None:
    """Sign `report` as the investigator's approval (the password was confirmed already)."""
    report.signed_by, report.signed_at = signer, timezone.now()
    report.full_clean()
    report.save()
    signature_sign(
        signer=signer,
        record=report,
        meaning=Signature.Meaning.APPROVED,
        password=password,
        statement=statement,
    )


def _pending(ae: AdverseEvent) -> AdverseEventReport | None:
    return (
        AdverseEventReport.objects.select_for_update()
        .filter(adverse_event=ae, signed_at__isnull=True)
        .first()
    )


def _open_for_follow_up(ae: AdverseEvent) -> None:
    if ae.status == AdverseEvent.Status.DRAFT:
        raise AdverseEventError(SUBMITTED_ONLY)
    if ae.status == AdverseEvent.Status.CLOSED:
        raise AdverseEventError(CLOSED)


@records_actor
def adverse_event_follow_up_save(
    *,
    actor: User,
    adverse_event: AdverseEvent,
    reason: str,
    final: bool,
    expected_version: int,
    expected_report_version: int | None,
    **values: Any,
) -> AdverseEventReport:
    """Draft (or change the draft of) the event's next follow-up report: the values it would
    set, its reason and whether it is final. Nothing of the event changes until the
    investigator signs it.

    `expected_version` is the event's version the form was opened at, `expected_report_version`
    the draft follow-up's (None when there was none): a save after anyone else's is refused.
    """
    if not actor.has_perm(CHANGE_AE, adverse_event):
        raise PermissionDenied(CHANGE_REFUSED)
    with transaction.atomic():
        ae = _lock(adverse_event)
        _open_for_follow_up(ae)
        report = _pending(ae)
        if ae.version != expected_version or (
            (report.version if report else None) != expected_report_version
        ):
            raise ConcurrentEditError(STALE_MESSAGE)
        before = report_values(ae)
        _set_values(ae, values, allowed=frozenset(REPORT_FIELDS))
        report_check(ae)
        completeness_check(ae, final=final)
        reason = reason_required(reason, FOLLOW_UP_REASON)
        changes = _changes(before, report_values(ae))
        if not changes and not final:
            raise ValidationError(NOTHING_CHANGED)
        if report is None:
            report = AdverseEventReport(
                adverse_event=ae, number=ae.reports.count(), drafted_by=actor
            )
        report.reason, report.final, report.changes = reason, final, changes
        report.drafted_by, report.drafted_at = actor, timezone.now()
        report.full_clean()
        report.save()
    return report


@records_actor
def adverse_event_follow_up_sign(
    *,
    actor: User,
    adverse_event: AdverseEvent,
    password: str,
    expected_version: int,
    request: HttpRequest | None = None,
) -> AdverseEventReport:
    """The investigator signs the follow-up report that waits (at `expected_version`, the one
    they reviewed): its changes are made to the event, with its reason; a final one closes it."""
    _investigator_confirms(actor, adverse_event, password, request)
    with transaction.atomic():
        ae = _lock(adverse_event)
        _open_for_follow_up(ae)
        report = _pending(ae)
        if report is None:
            raise AdverseEventError(NO_PENDING)
        if report.version != expected_version:
            raise ConcurrentEditError(STALE_MESSAGE)
        before = report_values(ae)
        if any(before[name] != change["old"] for name, change in report.changes.items()):
            raise ConcurrentEditError(STALE_MESSAGE)
        for name, change in report.changes.items():
            setattr(ae, name, from_json(name, change["new"]))
        report_check(ae)
        completeness_check(ae, final=report.final)
        if report.final:
            ae.status = AdverseEvent.Status.CLOSED
        if ae.is_serious and ae.serious_reported_at is None:
            # Serious from this follow-up on: the site knew it by the time it drafted it.
            ae.serious_aware_at, ae.serious_reported_at = report.drafted_at, timezone.now()
            serious_submitted_notify.delay_on_commit(ae.pk, actor_id=actor.pk)
        versioned_save(instance=ae, expected_version=ae.version, reason=report.reason)
        _report_sign(report, signer=actor, password=password, statement=FOLLOW_UP_STATEMENT)
        review_follow_up(ae, report)
    return report
