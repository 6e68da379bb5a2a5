"""Vital-sign readings and observations of a session, and their corrections.

Readings are inserted without locking the session, so two therapists recording at the same moment
both keep theirs. A reading over a threshold raises an alert, and a correction keeps the alert
true to the reading (sessions_app/services/alerts.py).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.context import change_reason, records_actor
from audit.services import versioned_save
from records.edits import late_change_check, late_change_commit, reason_required
from sessions_app.models import DosingSession, Observation, StudySessionSettings, VitalSignReading
from sessions_app.services.alerts import alert_after_correction, alert_raise
from sessions_app.services.flowsheet.common import FlowsheetError, within_session

STRUCK_ENTRY = "This entry was struck through as entered in error; it can no longer be changed."


# A new reading's checks, without a round trip to the database for each: its session was just
# read and its author is the signed-in user (no lookup of either), and its table's constraints
# are the rules clean() applies with the same messages (the database still enforces them).
NEW_READING_CHECKS = {"exclude": ["session", "recorded_by"], "validate_constraints": False}


def _new_entry(
    model, *, actor: User, session: DosingSession, reason: str, what: str, **values
) -> tuple[VitalSignReading | Observation, bool]:
    """A new entry of the session (a `model` with `values`, recorded by `actor`), not yet saved,
    and whether it comes late; `what` names such entries when the session has not started. The
    session is read again, not locked: two therapists recording at once both keep theirs."""
    session = DosingSession.objects.select_related(
        "visit__participant__site__study__session_settings"
    ).get(pk=session.pk)
    if session.status == DosingSession.Status.NOT_STARTED:
        raise FlowsheetError(f"Start the session before recording {what}.")
    late = late_change_check(session, reason, root_fresh=True)
    entry = model(session=session, recorded_by=actor, **values)
    within_session(model.time_field, getattr(entry, model.time_field), session)
    return entry, late


def _not_struck(entry) -> None:
    if entry.is_voided:
        raise FlowsheetError(STRUCK_ENTRY)


@records_actor
def vital_sign_record(
    *,
    actor: User,
    session: DosingSession,
    measured_at: datetime.datetime,
    systolic: int | None = None,
    diastolic: int | None = None,
    pulse: int | None = None,
    temperature=None,
    suds: int | None = None,
    reason: str = "",
) -> VitalSignReading:
    """Add a reading; over a threshold it is flagged and the monitors are alerted."""
    with transaction.atomic():
        reading, late = _new_entry(
            VitalSignReading,
            actor=actor,
            session=session,
            reason=reason,
            what="readings",
            measured_at=measured_at,
            systolic=systolic,
            diastolic=diastolic,
            pulse=pulse,
            temperature=temperature,
            suds=suds,
        )
        settings_ = StudySessionSettings.for_study(reading.session.site.study)
        reading.full_clean(**NEW_READING_CHECKS)  # also turns typed values into numbers
        reading.flags = reading.exceeded(settings_)
        with change_reason(reason):
            reading.save()
            alert_raise(actor=actor, reading=reading, settings_=settings_)
        if late:
            late_change_commit(reading, reason)
    return reading


@records_actor
def vital_sign_correct(
    *,
    actor: User,
    reading: VitalSignReading,
    values: dict,
    expected_version: int,
    reason: str,
) -> VitalSignReading:
    """Correct a reading (always with a reason); a session that has ended loses its signature."""
    reason_required(reason, "Say why this reading is being corrected.")
    with transaction.atomic():
        reading = VitalSignReading.objects.select_related(
            "session__visit__participant__site__study"
        ).get(pk=reading.pk)
        session = reading.session
        _not_struck(reading)
        late = late_change_check(reading, reason, root_fresh=True)
        for name, value in values.items():
            setattr(reading, name, value)
        within_session("measured_at", reading.measured_at, session)
        settings_ = StudySessionSettings.for_study(session.site.study)
        reading.full_clean()
        reading.flags = reading.exceeded(settings_)
        versioned_save(instance=reading, expected_version=expected_version, reason=reason)
        with change_reason(reason):
            alert_after_correction(actor=actor, reading=reading, settings_=settings_, reason=reason)
        if late:
            late_change_commit(reading, reason)
    return reading


@records_actor
def observation_record(
    *,
    actor: User,
    session: DosingSession,
    observed_at: datetime.datetime,
    kind: str,
    text: str,
    reason: str = "",
) -> Observation:
    with transaction.atomic():
        observation, late = _new_entry(
            Observation,
            actor=actor,
            session=session,
            reason=reason,
            what="observations",
            observed_at=observed_at,
            kind=kind,
            text=text.strip(),
        )
        observation.full_clean()
        with change_reason(reason):
            observation.save()
        if late:
            late_change_commit(observation, reason)
    return observation


@records_actor
def observation_correct(
    *,
    actor: User,
    observation: Observation,
    values: dict,
    expected_version: int,
    reason: str,
) -> Observation:
    """Correct an observation or intervention (always with a reason), as readings are corrected."""
    reason_required(reason, "Say why this entry is being corrected.")
    with transaction.atomic():
        observation = Observation.objects.select_related("session").get(pk=observation.pk)
        session = observation.session
        _not_struck(observation)
        late = late_change_check(observation, reason, root_fresh=True)
        for name, value in values.items():
            setattr(observation, name, value.strip() if isinstance(value, str) else value)
        within_session("observed_at", observation.observed_at, session)
        versioned_save(instance=observation, expected_version=expected_version, reason=reason)
        if late:
            late_change_commit(observation, reason)
    return observation


@records_actor
def entry_strike_through(
    *, actor: User, entry: VitalSignReading | Observation, expected_version: int, reason: str
) -> VitalSignReading | Observation:
    """Strike a reading or an observation through as entered in error, with the reason.

    Nothing is deleted: the entry stays on the flowsheet and in its history, struck through, and
    no longer counts (the chart, the flags, the next reading due). A reading's alert is retracted
    as if the reading had been corrected back within every threshold, and the monitors emailed
    about it are told. A session that has ended loses its signature.
    """
    reason_required(reason, "Say why this entry was entered in error.")
    with transaction.atomic():
        entry = (
            type(entry)
            .objects.select_related("session__visit__participant__site__study")
            .get(pk=entry.pk)
        )
        _not_struck(entry)
        late = late_change_check(entry, reason, root_fresh=True)
        entry.voided_at = timezone.now()
        entry.void_reason = reason.strip()
        entry.voided_by = actor
        versioned_save(instance=entry, expected_version=expected_version, reason=reason)
        if isinstance(entry, VitalSignReading):
            settings_ = StudySessionSettings.for_study(entry.session.site.study)
            with change_reason(reason):
                alert_after_correction(
                    actor=actor, reading=entry, settings_=settings_, reason=reason
                )
        if late:
            late_change_commit(entry, reason)
    return entry
