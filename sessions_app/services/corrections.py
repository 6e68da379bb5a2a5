"""Corrections of flowsheet entries that are not readings, observations, checks or the end.

The start time and the team, a dose administration, and the supplemental go/no-go. Each is made
while the session runs or after it ended (never before it started), always with a reason that the
audit trail keeps with the old and the new values. On a session that has ended, a correction gives
the session a new version, which voids the investigator's signature.

Nothing is deleted: a supplemental dose corrected to "not given" stays on record, struck through as
entered in error with the reason, and no longer counts as a dose (flowsheet, chart, deviations).
"""

import copy
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.passwords import PasswordRefusedError, password_confirm
from audit.context import change_reason
from audit.services import ConcurrentEditError, versioned_save
from sessions_app.models import DoseAdministration, DosingSession, StudySessionSettings
from sessions_app.selectors import elapsed_minutes
from sessions_app.services.flowsheet import (
    BEFORE_START_TOLERANCE,
    FlowsheetError,
    _given_before_end,
    _locked,
    _not_in_future,
    _touch,
    session_team_candidates,
    supplemental_administration,
    supplemental_deviation,
    supplemental_timing,
)
from sessions_app.services.visits import visit_mark_held
from signatures.services import signature_void_outdated

ROLES = {"lead": "lead therapist", "co": "co-therapist"}
STALE = (
    "This record was changed by someone else after you opened it. "
    "Your input is shown below; review the current values and save again."
)
UNCHANGED = "Nothing was changed: these are the values already recorded."


def _require_reason(reason: str, message: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": message})
    return reason.strip()


def _require_started(session: DosingSession) -> None:
    if session.status == DosingSession.Status.NOT_STARTED:
        raise FlowsheetError("This session has not started: there is nothing to correct yet.")


def _fresh(instance, expected_version: int) -> None:
    """Refuse a stale form before judging its values (versioned_save checks again on write)."""
    if instance.version != expected_version:
        raise ConcurrentEditError(STALE)


def _same_minute(new: datetime.datetime, old: datetime.datetime | None) -> datetime.datetime:
    """Forms carry minutes: a time re-entered unchanged keeps the seconds it was recorded with."""
    if old is not None and new.replace(second=0, microsecond=0) == old.replace(
        second=0, microsecond=0
    ):
        return old
    return new


def _at(when: datetime.datetime) -> str:
    return f"{timezone.localtime(when):%d %b %H:%M}"


def _live_dose(session: DosingSession, kind: str) -> DoseAdministration | None:
    return (
        DoseAdministration.objects.select_for_update()
        .filter(session=session, kind=kind, voided_at__isnull=True)
        .first()
    )


def _void_signature_if_ended(session: DosingSession, reason: str, *, saved: bool) -> None:
    """A change to an ended session voids its signature (`saved`: the session has a new version)."""
    if session.status != DosingSession.Status.ENDED:
        return
    if saved:
        signature_void_outdated(record=session, reason=reason)
    else:
        _touch(session, reason)


# --- Start time and team -----------------------------------------------------------------------


def start_team_choices(*, session: DosingSession) -> QuerySet[User]:
    """Who may be named on the team: the site's therapists, and whoever is on it already."""
    current = [pk for pk in (session.lead_therapist_id, session.co_therapist_id) if pk]
    candidates = session_team_candidates(session=session).values("pk")
    return User.objects.filter(Q(pk__in=candidates) | Q(pk__in=current)).order_by(
        "last_name", "first_name", "username"
    )


def _check_start(
    *,
    session: DosingSession,
    started_at: datetime.datetime,
    lead_therapist: User,
    co_therapist: User,
) -> dict[str, User]:
    """Validate a corrected start and team; return the roles whose holder changes."""
    _require_started(session)
    _not_in_future("started_at", started_at)
    initial = (
        DoseAdministration.objects.filter(
            session=session, kind=DoseAdministration.Kind.INITIAL, voided_at__isnull=True
        )
        .only("administered_at")
        .first()
    )
    if initial is not None and started_at > initial.administered_at:
        raise ValidationError(
            {
                "started_at": f"The initial dose was given at {_at(initial.administered_at)}: "
                "the session cannot have started after it."
            }
        )
    if session.ended_at is not None and started_at >= session.ended_at:
        raise ValidationError(
            {
                "started_at": f"The session ended at {_at(session.ended_at)}: it must have "
                "started before that."
            }
        )
    earliest = min(
        (
            when
            for when in (
                session.readings.order_by("measured_at")
                .values_list("measured_at", flat=True)
                .first(),
                session.observations.order_by("observed_at")
                .values_list("observed_at", flat=True)
                .first(),
            )
            if when is not None
        ),
        default=None,
    )
    if earliest is not None and earliest < started_at - BEFORE_START_TOLERANCE:
        raise ValidationError(
            {
                "started_at": f"An entry of this session was recorded at {_at(earliest)}, long "
                "before this start time."
            }
        )
    if lead_therapist.pk == co_therapist.pk:
        raise ValidationError(
            {"co_therapist": "The co-therapist must be someone other than the lead."}
        )
    joining = {
        role: user
        for role, user in (("lead", lead_therapist), ("co", co_therapist))
        if user.pk != getattr(session, f"{role}_therapist_id")
    }
    if joining:
        team = set(session_team_candidates(session=session).values_list("pk", flat=True))
        for role, user in joining.items():
            if user.pk not in team:
                raise ValidationError(
                    {f"{role}_therapist": "Choose a therapist of this participant's site."}
                )
    return joining


def _confirm_presence(
    *, joining: dict[str, User], passwords: dict[str, str], request: HttpRequest | None
) -> None:
    """Whoever joins the team attests their presence with their own password."""
    errors = {}
    for role, user in joining.items():
        field = f"{role}_password"
        if not passwords.get(role):
            errors[field] = (
                f"{user.printed_name} becomes the {ROLES[role]}: they type their own password "
                "to attest their presence."
            )
            continue
        try:
            password_confirm(user=user, password=passwords[role], request=request)
        except PasswordRefusedError as error:
            errors[field] = f"{error} Nothing was changed."
    if errors:
        raise ValidationError(errors)


def session_start_correct(
    *,
    actor: User,
    session: DosingSession,
    started_at: datetime.datetime,
    lead_therapist: User,
    co_therapist: User,
    expected_version: int,
    reason: str,
    lead_password: str = "",
    co_password: str = "",
    deviation_explanation: str = "",
    request: HttpRequest | None = None,
) -> DosingSession:
    """Correct when the session started and who formed its team.

    A new team member attests presence with their password (now). A start on another day moves
    the day the visit was held, which re-anchors the visits after it.
    """
    reason = _require_reason(reason, "Say why the start or the team is being corrected.")
    # First judged without a lock, so that passwords are checked outside the transaction: a
    # refused password must stay counted (lockout) rather than be rolled back with the change.
    current = DosingSession.objects.get(pk=session.pk)
    _fresh(current, expected_version)
    started_at = _same_minute(started_at, current.started_at)
    joining = _check_start(
        session=current,
        started_at=started_at,
        lead_therapist=lead_therapist,
        co_therapist=co_therapist,
    )
    held_on = timezone.localtime(started_at).date()
    explanation = deviation_explanation.strip()
    probe = copy.copy(current.visit)  # the day it would be held, judged before any password
    probe.held_on = held_on
    probe.deviation_explanation = explanation
    probe.clean()
    _confirm_presence(
        joining=joining, passwords={"lead": lead_password, "co": co_password}, request=request
    )
    with transaction.atomic():
        session = _locked(session)
        _fresh(session, expected_version)
        if (
            _check_start(
                session=session,
                started_at=started_at,
                lead_therapist=lead_therapist,
                co_therapist=co_therapist,
            )
            != joining
        ):
            raise ConcurrentEditError(STALE)
        visit = session.visit
        move_visit = held_on != visit.held_on or (
            visit.is_out_of_window and explanation != visit.deviation_explanation
        )
        if started_at == session.started_at and not joining and not move_visit:
            raise ValidationError(UNCHANGED)
        now = timezone.now()
        session.started_at = started_at
        for role, user in joining.items():
            setattr(session, f"{role}_therapist", user)
            setattr(session, f"{role}_attested_at", now)
        versioned_save(instance=session, expected_version=expected_version, reason=reason)
        if move_visit:
            visit_mark_held(
                actor=actor,
                visit=visit,
                held_on=held_on,
                deviation_explanation=explanation,
                reason=reason,
            )
        _void_signature_if_ended(session, reason, saved=True)
    return session


# --- A dose administration ---------------------------------------------------------------------


def _supplemental_follows_initial(
    *,
    session: DosingSession,
    dose_mg: int,
    administered_at: datetime.datetime,
    supplemental_dose_mg: int | None,
    deviation_reason: str,
    settings_: StudySessionSettings,
) -> DoseAdministration | None:
    """The supplemental dose as a corrected initial dose leaves it, if that changes it.

    It stays half the initial dose, and its window is recomputed from the new initial time.
    """
    supplemental = _live_dose(session, DoseAdministration.Kind.SUPPLEMENTAL)
    if supplemental is None:
        return None
    half = supplemental.dose_mg if supplemental_dose_mg is None else supplemental_dose_mg
    if half * 2 != dose_mg:
        raise ValidationError(
            {
                "supplemental_dose_mg": f"The supplemental dose ({half} mg) must stay half the "
                f"initial dose: {dose_mg} mg initial goes with {dose_mg // 2} mg supplemental. "
                "Correct both strengths together."
            }
        )
    minutes = elapsed_minutes(supplemental.administered_at, administered_at)
    if minutes < 0:
        raise ValidationError(
            {
                "administered_at": "The supplemental dose was given at "
                f"{_at(supplemental.administered_at)}: the initial dose must precede it."
            }
        )
    deviation = supplemental_deviation(
        minutes=minutes, settings_=settings_, deviation_reason=deviation_reason
    )
    if (half, deviation) == (supplemental.dose_mg, supplemental.deviation_reason):
        return None
    supplemental.dose_mg = half
    supplemental.deviation_reason = deviation
    return supplemental


def dose_administration_correct(
    *,
    actor: User,
    administration: DoseAdministration,
    dose_mg: int,
    kit_number: str,
    administered_at: datetime.datetime,
    expected_version: int,
    reason: str,
    deviation_reason: str = "",
    supplemental_dose_mg: int | None = None,
) -> DoseAdministration:
    """Correct the strength, kit or time of a dose, with the rules that applied when it was given.

    The supplemental dose stays half the initial one and its window is recomputed: outside it, it
    needs `deviation_reason` (for the supplemental dose, whichever of the two is corrected); inside
    it, any earlier explanation is cleared. Correcting the initial strength while a supplemental
    dose is recorded needs the consistent supplemental strength too (`supplemental_dose_mg`);
    both are corrected together, with the same reason.
    """
    reason = _require_reason(reason, "Say why this dose is being corrected.")
    with transaction.atomic():
        session = _locked(administration.session)
        _require_started(session)
        dose = DoseAdministration.objects.select_for_update().get(pk=administration.pk)
        if dose.voided_at is not None:
            raise FlowsheetError(
                "This administration was struck through as entered in error; it cannot be "
                "corrected."
            )
        _fresh(dose, expected_version)
        recorded = (dose.dose_mg, dose.kit_number, dose.administered_at, dose.deviation_reason)
        administered_at = _same_minute(administered_at, dose.administered_at)
        _not_in_future("administered_at", administered_at)
        _given_before_end(session, administered_at)
        settings_ = StudySessionSettings.for_study(session.site.study)
        moved = None  # the supplemental dose, when the corrected initial dose changes it
        if dose.kind == DoseAdministration.Kind.INITIAL:
            if administered_at < session.started_at:
                raise ValidationError(
                    {
                        "administered_at": "The dose cannot be given before the session started "
                        f"({_at(session.started_at)})."
                    }
                )
            moved = _supplemental_follows_initial(
                session=session,
                dose_mg=dose_mg,
                administered_at=administered_at,
                supplemental_dose_mg=supplemental_dose_mg,
                deviation_reason=deviation_reason,
                settings_=settings_,
            )
        else:
            initial = _live_dose(session, DoseAdministration.Kind.INITIAL)
            if dose_mg * 2 != initial.dose_mg:
                raise ValidationError(
                    {
                        "dose_mg": "The supplemental dose is half the initial dose: "
                        f"{initial.dose_mg // 2} mg."
                    }
                )
            dose.deviation_reason = supplemental_timing(
                initial=initial,
                administered_at=administered_at,
                deviation_reason=deviation_reason,
                settings_=settings_,
            )
        dose.dose_mg = dose_mg
        dose.kit_number = kit_number.strip()
        dose.administered_at = administered_at
        corrected = (dose.dose_mg, dose.kit_number, dose.administered_at, dose.deviation_reason)
        if corrected == recorded and moved is None:
            raise ValidationError(UNCHANGED)
        versioned_save(instance=dose, expected_version=expected_version, reason=reason)
        if moved is not None:
            versioned_save(instance=moved, expected_version=moved.version, reason=reason)
        _void_signature_if_ended(session, reason, saved=False)
    return dose


# --- The supplemental decision -----------------------------------------------------------------


def supplemental_decision_correct(
    *,
    actor: User,
    session: DosingSession,
    decision: str,
    decision_reason: str,
    expected_version: int,
    reason: str,
    dose_mg: int | None = None,
    kit_number: str = "",
    administered_at: datetime.datetime | None = None,
    deviation_reason: str = "",
) -> DosingSession:
    """Correct the go/no-go of the supplemental dose, or its reason.

    "Give" corrected to "withhold": the administration is kept, struck through as entered in error
    with the reason for change. "Withhold" corrected to "give": the administration is recorded,
    with the same checks as when the decision is made.
    """
    reason = _require_reason(reason, "Say why the supplemental decision is being corrected.")
    if not decision_reason.strip():
        raise ValidationError({"supplemental_reason": "Give the reason for this decision."})
    with transaction.atomic():
        session = _locked(session)
        _require_started(session)
        if not session.supplemental_decision:
            raise FlowsheetError(
                "No supplemental decision is recorded yet: record it on the flowsheet."
            )
        _fresh(session, expected_version)
        initial = _live_dose(session, DoseAdministration.Kind.INITIAL)
        if initial is None:
            raise FlowsheetError("No initial dose is recorded: there is no supplemental decision.")
        supplemental = _live_dose(session, DoseAdministration.Kind.SUPPLEMENTAL)
        Supplemental = DosingSession.Supplemental
        if decision not in Supplemental.values:
            raise ValidationError({"supplemental_decision": "Choose go or no-go."})
        if (decision, decision_reason.strip()) == (
            session.supplemental_decision,
            session.supplemental_reason,
        ):
            raise ValidationError(UNCHANGED)
        new_dose = None
        if decision == Supplemental.GIVE and supplemental is None:
            new_dose = supplemental_administration(
                actor=actor,
                session=session,
                initial=initial,
                dose_mg=dose_mg,
                kit_number=kit_number,
                administered_at=administered_at,
                deviation_reason=deviation_reason,
            )
        session.supplemental_decision = decision
        session.supplemental_reason = decision_reason.strip()
        versioned_save(instance=session, expected_version=expected_version, reason=reason)
        if decision == Supplemental.WITHHOLD and supplemental is not None:
            supplemental.voided_at = timezone.now()
            supplemental.void_reason = reason
            supplemental.voided_by = actor
            versioned_save(
                instance=supplemental, expected_version=supplemental.version, reason=reason
            )
        if new_dose is not None:
            new_dose.full_clean()
            with change_reason(reason):
                new_dose.save()
        _void_signature_if_ended(session, reason, saved=True)
    return session
