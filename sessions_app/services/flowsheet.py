"""Writes of the dosing-session flowsheet, in the order a session runs.

Start (team), presence attestations, pre-dose checks, the initial dose, readings and observations,
the supplemental go/no-go, the end of the session, the investigator's signature. Once a session has
ended, any change needs a reason and voids the investigator's signature: the session's version is
bumped, so the signature no longer matches it.

Readings are inserted without locking the session, so two therapists recording at the same moment
both keep theirs.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Role, User
from accounts.passwords import PasswordRefusedError, password_confirm
from audit.context import change_reason
from audit.services import versioned_save
from participants.models import Participant
from sessions_app.models import (
    DoseAdministration,
    DosingSession,
    Observation,
    StudySessionSettings,
    VitalSignAlert,
    VitalSignReading,
)
from sessions_app.selectors import elapsed_label, elapsed_minutes
from sessions_app.services.visits import participation_check, visit_mark_held
from sessions_app.tasks import (
    vital_sign_alert_notify,
    vital_sign_alert_reinstated_notify,
    vital_sign_alert_withdrawn_notify,
)
from signatures.models import Signature
from signatures.services import (
    signature_password_confirm,
    signature_sign,
    signature_void_outdated,
)

# Clocks of a tablet and the server disagree a little; a time further ahead is a typing error.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
SIGN_STATEMENT = (
    "I have reviewed this dosing session's flowsheet and confirm it is complete and accurate."
)


class FlowsheetError(Exception):
    """A step the session's state does not allow (for example a dose before the checks)."""


def _not_in_future(field: str, when: datetime.datetime) -> None:
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: "This time is in the future. Enter when it happened."})


# A baseline reading may be taken a little before the session formally starts.
BEFORE_START_TOLERANCE = datetime.timedelta(hours=2)


def _within_session(field: str, when: datetime.datetime, session: DosingSession) -> None:
    """Readings and observations belong to the session: not long before it, not after its end."""
    _not_in_future(field, when)
    if when < session.started_at - BEFORE_START_TOLERANCE:
        raise ValidationError({field: "This time is long before the session started."})
    if session.ended_at is not None and when > session.ended_at:
        ended = timezone.localtime(session.ended_at)
        raise ValidationError(
            {
                field: f"This time is after the session ended ({ended:%d %b %H:%M}). If the "
                "session went on longer, correct its end time first."
            }
        )


def _locked(session: DosingSession) -> DosingSession:
    return (
        DosingSession.objects.select_for_update(of=("self",))
        .select_related("visit__participant__site")
        .get(pk=session.pk)
    )


def _after_end(session: DosingSession, reason: str) -> bool:
    """Whether the change is a late one (session ended); then a reason is required."""
    if session.status != DosingSession.Status.ENDED:
        return False
    if not reason.strip():
        raise ValidationError(
            {"reason": "The session has ended: say why this is being added or changed."}
        )
    return True


def _touch(session: DosingSession, reason: str) -> None:
    """A late change: a new version of the session, which voids its signature."""
    session = DosingSession.objects.select_for_update().get(pk=session.pk)
    with change_reason(reason):
        session.save()
    signature_void_outdated(record=session, reason=reason)


def session_team_candidates(*, session: DosingSession):
    """The site's therapists and investigators, who may form the session's team."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__site_id=session.visit.participant.site_id,
            memberships__role__in=[Role.THERAPIST, Role.INVESTIGATOR],
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def dosing_session_start(
    *,
    actor: User,
    session: DosingSession,
    started_at: datetime.datetime,
    lead_therapist: User,
    co_therapist: User,
    deviation_explanation: str = "",
    expected_version: int,
) -> DosingSession:
    """Open the flowsheet: start time and the two-therapist team; the visit is held that day."""
    with transaction.atomic():
        # The participant's row first: a missed visit or a withdrawal, which lock it first too,
        # cannot slip in between the checks below and the start.
        Participant.objects.select_for_update(of=("self",)).get(visits__dosing_session=session.pk)
        session = _locked(session)
        if session.status != DosingSession.Status.NOT_STARTED:
            raise FlowsheetError("This session has already started.")
        _not_in_future("started_at", started_at)
        if session.start_closed_reason:
            raise FlowsheetError(session.start_closed_reason)
        held_on = timezone.localtime(started_at).date()
        participation_check(session.visit.participant, held_on, "started_at")
        team = set(session_team_candidates(session=session).values_list("pk", flat=True))
        for field, user in (("lead_therapist", lead_therapist), ("co_therapist", co_therapist)):
            if user.pk not in team:
                raise ValidationError({field: "Choose a therapist of this participant's site."})
        session.status = DosingSession.Status.IN_PROGRESS
        session.started_at = started_at
        session.lead_therapist = lead_therapist
        session.co_therapist = co_therapist
        versioned_save(instance=session, expected_version=expected_version)
        visit_mark_held(
            actor=actor,
            visit=session.visit,
            held_on=held_on,
            deviation_explanation=deviation_explanation,
        )
    return session


def _attesting_therapist(session: DosingSession, role: str) -> User:
    """The team member whose presence `role` attests, if the session's state allows it."""
    therapist = session.lead_therapist if role == "lead" else session.co_therapist
    if therapist is None or session.status == DosingSession.Status.NOT_STARTED:
        raise FlowsheetError("Start the session and name its team first.")
    if session.status == DosingSession.Status.ENDED:
        raise FlowsheetError("Presence is attested during the session, not after it ended.")
    return therapist


def presence_attest(
    *,
    actor: User,
    session: DosingSession,
    role: str,
    password: str,
    request: HttpRequest | None = None,
) -> DosingSession:
    """The lead or co-therapist attests presence with their own password (on a shared device).

    The password is checked before the transaction: a wrong one counts toward the therapist's
    lockout (accounts.passwords), and the refusal's rollback would otherwise undo that count.
    """
    current = DosingSession.objects.select_related("lead_therapist", "co_therapist")
    therapist = _attesting_therapist(current.get(pk=session.pk), role)
    try:
        password_confirm(user=therapist, password=password, request=request)
    except PasswordRefusedError as error:
        raise ValidationError({"password": f"{error} Nothing was attested."}) from error
    with transaction.atomic():
        session = _locked(session)
        # The state again, under the lock; the team itself is fixed when the session starts.
        therapist = _attesting_therapist(session, role)
        field = "lead_attested_at" if role == "lead" else "co_attested_at"
        setattr(session, field, timezone.now())
        with change_reason(f"{therapist.printed_name} attests presence"):
            session.full_clean()
            session.save()
    return session


def predose_checks_record(
    *,
    actor: User,
    session: DosingSession,
    pregnancy_test: str,
    cssrs_pre_ideation: int,
    cssrs_pre_behaviour: bool,
    expected_version: int,
    reason: str = "",
) -> DosingSession:
    with transaction.atomic():
        session = _locked(session)
        if session.status == DosingSession.Status.NOT_STARTED:
            raise FlowsheetError("Start the session before recording the pre-dose checks.")
        late = _after_end(session, reason)
        if not late and initial_dose(session) is not None:
            raise FlowsheetError(
                "The pre-dose checks are closed once the dose is given. A correction can be "
                "made, with its reason, after the session ends."
            )
        session.pregnancy_test = pregnancy_test
        session.cssrs_pre_ideation = cssrs_pre_ideation
        session.cssrs_pre_behaviour = cssrs_pre_behaviour
        session.predose_checked_at = timezone.now()
        versioned_save(instance=session, expected_version=expected_version, reason=reason)
        if late:
            signature_void_outdated(record=session, reason=reason)
    return session


def initial_dose(session: DosingSession) -> DoseAdministration | None:
    return next(
        (a for a in session.administrations.all() if a.kind == DoseAdministration.Kind.INITIAL),
        None,
    )


def dose_initial_administer(
    *,
    actor: User,
    session: DosingSession,
    dose_mg: int,
    kit_number: str,
    administered_at: datetime.datetime,
) -> DoseAdministration:
    """The initial dose, only after the pre-dose checks allow it."""
    with transaction.atomic():
        session = _locked(session)
        if session.status != DosingSession.Status.IN_PROGRESS:
            raise FlowsheetError("The initial dose is recorded while the session is in progress.")
        if not session.predose_done:
            raise FlowsheetError("Record the pre-dose checks before the initial dose.")
        if session.lead_attested_at is None or session.co_attested_at is None:
            raise FlowsheetError(
                "Both therapists of the team attest their presence before the initial dose."
            )
        if session.pregnancy_test == DosingSession.PregnancyTest.POSITIVE:
            raise FlowsheetError("The pregnancy test is positive: no dose may be given.")
        if session.cssrs_pre_ideation >= 4:
            raise FlowsheetError(
                "The pre-dose C-SSRS shows active suicidal ideation with intent: no dose may be "
                "given. The investigator must assess the participant."
            )
        _not_in_future("administered_at", administered_at)
        if administered_at < session.started_at:
            raise ValidationError(
                {"administered_at": "The dose cannot be given before the session started."}
            )
        has_predose_vitals = session.readings.filter(
            measured_at__lte=administered_at, systolic__isnull=False
        ).exists()
        if not has_predose_vitals:
            raise FlowsheetError("Record pre-dose vital signs before the initial dose.")
        dose = DoseAdministration(
            session=session,
            kind=DoseAdministration.Kind.INITIAL,
            dose_mg=dose_mg,
            kit_number=kit_number.strip(),
            administered_at=administered_at,
            recorded_by=actor,
        )
        dose.full_clean()
        dose.save()
    return dose


def supplemental_deviation(
    *, minutes: int, settings_: StudySessionSettings, deviation_reason: str
) -> str:
    """The explanation a supplemental dose given `minutes` after the initial one keeps.

    None inside the study's window; outside it an explanation is required (a protocol deviation).
    """
    earliest = settings_.supplemental_earliest_minutes
    latest = settings_.supplemental_latest_minutes
    if earliest <= minutes <= latest:
        return ""
    if not deviation_reason.strip():
        raise ValidationError(
            {
                "deviation_reason": (
                    f"The supplemental dose is given {elapsed_label(minutes)} after the "
                    f"initial dose, outside {elapsed_label(earliest)} to "
                    f"{elapsed_label(latest)}: explain the protocol deviation."
                )
            }
        )
    return deviation_reason.strip()


def _given_before_end(session: DosingSession, administered_at: datetime.datetime) -> None:
    """A dose recorded on a session that has ended was given before its end."""
    if session.ended_at is not None and administered_at > session.ended_at:
        ended = timezone.localtime(session.ended_at)
        raise ValidationError(
            {
                "administered_at": f"The session ended at {ended:%d %b %H:%M}: the dose "
                "cannot have been given after that."
            }
        )


def supplemental_timing(
    *,
    initial: DoseAdministration,
    administered_at: datetime.datetime,
    deviation_reason: str,
    settings_: StudySessionSettings,
) -> str:
    """The explanation a supplemental dose given at `administered_at` keeps (see
    `supplemental_deviation`); it cannot precede the initial dose."""
    minutes = elapsed_minutes(administered_at, initial.administered_at)
    if minutes < 0:
        raise ValidationError(
            {"administered_at": "The supplemental dose cannot precede the initial dose."}
        )
    return supplemental_deviation(
        minutes=minutes, settings_=settings_, deviation_reason=deviation_reason
    )


def supplemental_administration(
    *,
    actor: User,
    session: DosingSession,
    initial: DoseAdministration,
    dose_mg: int | None,
    kit_number: str,
    administered_at: datetime.datetime | None,
    deviation_reason: str,
) -> DoseAdministration:
    """The supplemental half dose, checked and not yet saved: when decided, or corrected to."""
    errors = {}
    if administered_at is None:
        errors["administered_at"] = "Enter when the supplemental dose was given."
    if not kit_number.strip():
        errors["kit_number"] = "Enter the kit number."
    if dose_mg is None:
        errors["dose_mg"] = "Enter the dose."
    elif dose_mg * 2 != initial.dose_mg:
        errors["dose_mg"] = (
            f"The supplemental dose is half the initial dose: {initial.dose_mg // 2} mg."
        )
    if errors:
        raise ValidationError(errors)
    _not_in_future("administered_at", administered_at)
    _given_before_end(session, administered_at)
    return DoseAdministration(
        session=session,
        kind=DoseAdministration.Kind.SUPPLEMENTAL,
        dose_mg=dose_mg,
        kit_number=kit_number.strip(),
        administered_at=administered_at,
        deviation_reason=supplemental_timing(
            initial=initial,
            administered_at=administered_at,
            deviation_reason=deviation_reason,
            settings_=StudySessionSettings.for_study(session.site.study),
        ),
        recorded_by=actor,
    )


def supplemental_decide(
    *,
    actor: User,
    session: DosingSession,
    decision: str,
    reason: str,
    dose_mg: int | None = None,
    kit_number: str = "",
    administered_at: datetime.datetime | None = None,
    deviation_reason: str = "",
) -> DosingSession:
    """The go/no-go of the supplemental half dose, with its reason; if given, the administration.

    Given outside 1.5 to 2.5 hours (the study's window) after the initial dose, the dose needs an
    explanation and is shown as a protocol deviation.
    """
    with transaction.atomic():
        session = _locked(session)
        if session.status != DosingSession.Status.IN_PROGRESS:
            raise FlowsheetError("The supplemental decision is made while the session is running.")
        if session.supplemental_decision:
            raise FlowsheetError("The supplemental decision has already been recorded.")
        initial = initial_dose(session)
        if initial is None:
            raise FlowsheetError("Record the initial dose first.")
        if not reason.strip():
            raise ValidationError({"reason": "Give the reason for this decision."})
        now = timezone.now()
        session.supplemental_decision = decision
        session.supplemental_reason = reason.strip()
        session.supplemental_decided_at = now
        session.full_clean()
        session.save()
        if decision == DosingSession.Supplemental.GIVE:
            dose = supplemental_administration(
                actor=actor,
                session=session,
                initial=initial,
                dose_mg=dose_mg,
                kit_number=kit_number,
                administered_at=administered_at,
                deviation_reason=deviation_reason,
            )
            dose.full_clean()
            dose.save()
    return session


def _exceeded(reading: VitalSignReading, settings_) -> list[dict]:
    limits = settings_.thresholds
    return [
        {"measurement": name, "value": str(getattr(reading, name)), "limit": str(limits[name])}
        for name in reading.flags
    ]


def _raise_alert(*, actor: User, reading: VitalSignReading, settings_) -> VitalSignAlert | None:
    """An alert for a reading over a threshold (it has none yet), notified after commit."""
    if not reading.flags:
        return None
    alert = VitalSignAlert(
        reading=reading,
        site_id=reading.session.visit.participant.site_id,
        exceeded=_exceeded(reading, settings_),
    )
    alert.full_clean()
    alert.save()
    vital_sign_alert_notify.delay_on_commit(alert.pk, actor_id=actor.pk)
    return alert


def _alert_after_correction(
    *, actor: User, reading: VitalSignReading, settings_, reason: str
) -> VitalSignAlert | None:
    """Keep a corrected reading's alert true to it; the audit trail keeps what it said before.

    Still over a threshold: the alert shows the corrected values and the reason. Back within every
    threshold (a typing error, say): the alert is withdrawn and closed, never deleted, and the
    monitors who were emailed the alert are emailed that it is withdrawn, after commit. Back over
    a threshold once withdrawn: the alert stands again, and the monitors are told so (see
    sessions_app/tasks.py). A reading corrected over a threshold for the first time raises a new
    alert.
    """
    alert = VitalSignAlert.objects.select_for_update().filter(reading=reading).first()
    if alert is None:
        return _raise_alert(actor=actor, reading=reading, settings_=settings_)
    exceeded = _exceeded(reading, settings_)
    if exceeded == alert.exceeded and alert.withdrawn_at is None:
        return alert
    was_withdrawn = alert.withdrawn_at is not None
    now = timezone.now()
    alert.corrected_at = now
    alert.correction_reason = reason.strip()
    if exceeded:
        alert.exceeded = exceeded
        alert.withdrawn_at = None
        if was_withdrawn:  # it stands again, with values nobody has reviewed: open again
            alert.acknowledged_at = None
            alert.acknowledged_by = None
    else:
        alert.withdrawn_at = now
    alert.full_clean()
    alert.save()
    if exceeded and was_withdrawn:
        vital_sign_alert_reinstated_notify.delay_on_commit(alert.pk, actor_id=actor.pk)
        vital_sign_alert_notify.delay_on_commit(alert.pk, actor_id=actor.pk)
    elif not exceeded and not was_withdrawn:
        vital_sign_alert_withdrawn_notify.delay_on_commit(alert.pk, actor_id=actor.pk)
    return alert


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
        session = DosingSession.objects.select_related("visit__participant__site__study").get(
            pk=session.pk
        )
        if session.status == DosingSession.Status.NOT_STARTED:
            raise FlowsheetError("Start the session before recording readings.")
        late = _after_end(session, reason)
        _within_session("measured_at", measured_at, session)
        reading = VitalSignReading(
            session=session,
            measured_at=measured_at,
            systolic=systolic,
            diastolic=diastolic,
            pulse=pulse,
            temperature=temperature,
            suds=suds,
            recorded_by=actor,
        )
        settings_ = StudySessionSettings.for_study(session.site.study)
        reading.full_clean()  # also turns typed values into numbers
        reading.flags = reading.exceeded(settings_)
        with change_reason(reason):
            reading.save()
            _raise_alert(actor=actor, reading=reading, settings_=settings_)
            if late:
                _touch(session, reason)
    return reading


def vital_sign_correct(
    *,
    actor: User,
    reading: VitalSignReading,
    values: dict,
    expected_version: int,
    reason: str,
) -> VitalSignReading:
    """Correct a reading (always with a reason); a session that has ended loses its signature."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this reading is being corrected."})
    with transaction.atomic():
        reading = VitalSignReading.objects.select_related(
            "session__visit__participant__site__study"
        ).get(pk=reading.pk)
        session = reading.session
        for name, value in values.items():
            setattr(reading, name, value)
        _within_session("measured_at", reading.measured_at, session)
        settings_ = StudySessionSettings.for_study(session.site.study)
        reading.full_clean()
        reading.flags = reading.exceeded(settings_)
        versioned_save(instance=reading, expected_version=expected_version, reason=reason)
        with change_reason(reason):
            _alert_after_correction(
                actor=actor, reading=reading, settings_=settings_, reason=reason
            )
            if session.status == DosingSession.Status.ENDED:
                _touch(session, reason)
    return reading


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
        session = DosingSession.objects.get(pk=session.pk)
        if session.status == DosingSession.Status.NOT_STARTED:
            raise FlowsheetError("Start the session before recording observations.")
        late = _after_end(session, reason)
        _within_session("observed_at", observed_at, session)
        observation = Observation(
            session=session,
            observed_at=observed_at,
            kind=kind,
            text=text.strip(),
            recorded_by=actor,
        )
        observation.full_clean()
        with change_reason(reason):
            observation.save()
            if late:
                _touch(session, reason)
    return observation


def observation_correct(
    *,
    actor: User,
    observation: Observation,
    values: dict,
    expected_version: int,
    reason: str,
) -> Observation:
    """Correct an observation or intervention (always with a reason), as readings are corrected."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this entry is being corrected."})
    with transaction.atomic():
        observation = Observation.objects.select_related("session").get(pk=observation.pk)
        session = observation.session
        for name, value in values.items():
            setattr(observation, name, value.strip() if isinstance(value, str) else value)
        _within_session("observed_at", observation.observed_at, session)
        versioned_save(instance=observation, expected_version=expected_version, reason=reason)
        if session.status == DosingSession.Status.ENDED:
            _touch(session, reason)
    return observation


def _ends_after_entries(session: DosingSession, ended_at: datetime.datetime) -> None:
    """The end time comes after the start and after everything recorded during the session."""
    if ended_at <= session.started_at:
        raise ValidationError({"ended_at": "The session must end after it started."})
    latest = [
        (entry.administered_at, "a dose was given")
        for entry in session.administrations.filter(voided_at__isnull=True)
    ]
    reading = session.readings.order_by("-measured_at").first()
    if reading is not None:
        latest.append((reading.measured_at, "a reading was taken"))
    observation = session.observations.order_by("-observed_at").first()
    if observation is not None:
        latest.append((observation.observed_at, "an observation was recorded"))
    if latest:
        when, what = max(latest, key=lambda item: item[0])
        if when > ended_at:
            raise ValidationError(
                {
                    "ended_at": f"At {timezone.localtime(when):%d %b %H:%M} {what}: the session "
                    "cannot have ended before that."
                }
            )


def dosing_session_end(
    *,
    actor: User,
    session: DosingSession,
    ended_at: datetime.datetime,
    cssrs_post_ideation: int,
    cssrs_post_behaviour: bool,
    overnight_ready: bool,
    overnight_note: str,
    expected_version: int,
    reason: str = "",
    not_dosed_reason: str = "",
) -> DosingSession:
    """End of the session: C-SSRS, readiness for the overnight stay and the end time.

    A session in which no dose was given (a pre-dose check failed, the participant declined) ends
    with the reason none was given.

    Also used to correct those after the end, with a reason (which voids the signature).
    """
    with transaction.atomic():
        session = _locked(session)
        if session.status == DosingSession.Status.NOT_STARTED:
            raise FlowsheetError("This session has not started.")
        late = _after_end(session, reason)
        if initial_dose(session) is None:
            if not not_dosed_reason.strip():
                raise ValidationError(
                    {
                        "not_dosed_reason": "No dose has been recorded: record the initial dose "
                        "first, or say why none was given."
                    }
                )
        else:
            not_dosed_reason = ""
            if not session.supplemental_decision:
                raise FlowsheetError("Record the supplemental-dose decision (go or no-go) first.")
        _not_in_future("ended_at", ended_at)
        _ends_after_entries(session, ended_at)
        if not overnight_ready and not overnight_note.strip():
            raise ValidationError(
                {"overnight_note": "Say why the participant is not ready and what was done."}
            )
        session.status = DosingSession.Status.ENDED
        session.ended_at = ended_at
        session.cssrs_post_ideation = cssrs_post_ideation
        session.cssrs_post_behaviour = cssrs_post_behaviour
        session.overnight_ready = overnight_ready
        session.overnight_note = overnight_note.strip()
        session.not_dosed_reason = not_dosed_reason.strip()
        versioned_save(instance=session, expected_version=expected_version, reason=reason)
        if late:
            signature_void_outdated(record=session, reason=reason)
    return session


def dosing_session_sign(
    *,
    actor: User,
    session: DosingSession,
    password: str,
    request: HttpRequest | None = None,
) -> Signature:
    """The site investigator signs the ended session (password again).

    The password is confirmed before the transaction, so that a wrong one counts toward the
    lockout (the refusal's rollback would undo the count); signing inside re-checks it plainly.
    """
    if not actor.has_perm("sessions_app.sign_dosingsession", session):
        raise PermissionDenied("Only the site investigator can sign dosing sessions.")
    signature_password_confirm(signer=actor, password=password, request=request)
    with transaction.atomic():
        session = _locked(session)
        if session.status != DosingSession.Status.ENDED:
            raise FlowsheetError("A session is signed once it has ended.")
        return signature_sign(
            signer=actor,
            record=session,
            meaning=Signature.Meaning.APPROVED,
            password=password,
            statement=SIGN_STATEMENT,
        )
