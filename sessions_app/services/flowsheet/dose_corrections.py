"""Corrections of a dose administration and of the supplemental go/no-go.

Each is made while the session runs or after it ended (never before it started), always with a
reason that the audit trail keeps with the old and the new values. On a session that has ended, a
correction gives the session a new version, which voids the investigator's signature.

Nothing is deleted: a supplemental dose corrected to "not given" stays on record, struck through as
entered in error with the reason, and no longer counts as a dose (flowsheet, chart, deviations).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.context import change_reason, records_actor
from audit.services import versioned_save
from records.edits import (
    fresh_check,
    late_change_check,
    late_change_commit,
    not_in_future,
    reason_required,
)
from sessions_app.models import DoseAdministration, DosingSession, StudySessionSettings
from sessions_app.selectors import elapsed_minutes
from sessions_app.services.flowsheet.common import (
    UNCHANGED,
    FlowsheetError,
    given_before_end,
    local_minute,
    lock_session,
    require_started,
    same_minute,
)
from sessions_app.services.flowsheet.doses import (
    DECISION_REASON_REQUIRED,
    half_dose_message,
    supplemental_administration,
    supplemental_deviation,
    supplemental_timing,
)

# --- A dose administration ---------------------------------------------------------------------


VOIDED_DOSE = "This administration was struck through as entered in error; it cannot be corrected."
NO_DECISION = "No supplemental decision is recorded yet: record it on the flowsheet."


def initial_after_supplemental(given_at: datetime.datetime) -> str:
    """The refusal of an initial dose corrected to a time after the supplemental one."""
    return (
        f"The supplemental dose was given at {local_minute(given_at)}: the initial dose must "
        "precede it."
    )


def _supplemental_follows_initial(
    session: DosingSession,
    initial: DoseAdministration,
    *,
    supplemental_dose_mg: int | None,
    deviation_reason: str,
    settings_: StudySessionSettings,
) -> DoseAdministration | None:
    """The session's supplemental dose as the corrected `initial` dose leaves it, if it changes.

    It stays half the initial dose, and its window is recomputed from the new initial time.
    """
    supplemental = DoseAdministration.live(session, DoseAdministration.Kind.SUPPLEMENTAL, lock=True)
    if supplemental is None:
        return None
    dose_mg, administered_at = initial.dose_mg, initial.administered_at
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
            {"administered_at": initial_after_supplemental(supplemental.administered_at)}
        )
    deviation = supplemental_deviation(
        minutes=minutes, settings_=settings_, deviation_reason=deviation_reason
    )
    if (half, deviation) == (supplemental.dose_mg, supplemental.deviation_reason):
        return None
    supplemental.dose_mg = half
    supplemental.deviation_reason = deviation
    return supplemental


@records_actor
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
    reason = reason_required(reason, "Say why this dose is being corrected.")
    with transaction.atomic():
        session = lock_session(administration.session)
        require_started(session)
        late = late_change_check(session, reason, root_fresh=True)
        dose = DoseAdministration.objects.select_for_update().get(pk=administration.pk)
        if dose.voided_at is not None:
            raise FlowsheetError(VOIDED_DOSE)
        fresh_check(dose, expected_version)
        recorded = (dose.dose_mg, dose.kit_number, dose.administered_at, dose.deviation_reason)
        administered_at = same_minute(administered_at, dose.administered_at)
        not_in_future(administered_at, "administered_at")
        given_before_end(session, administered_at)
        settings_ = StudySessionSettings.for_study(session.site.study)
        dose.dose_mg = dose_mg
        dose.kit_number = kit_number.strip()
        dose.administered_at = administered_at
        moved = None  # the supplemental dose, when the corrected initial dose changes it
        if dose.kind == DoseAdministration.Kind.INITIAL:
            if administered_at < session.started_at:
                raise ValidationError(
                    {
                        "administered_at": "The dose cannot be given before the session started "
                        f"({local_minute(session.started_at)})."
                    }
                )
            moved = _supplemental_follows_initial(
                session,
                dose,
                supplemental_dose_mg=supplemental_dose_mg,
                deviation_reason=deviation_reason,
                settings_=settings_,
            )
        else:
            initial = DoseAdministration.live(session, DoseAdministration.Kind.INITIAL, lock=True)
            if dose_mg * 2 != initial.dose_mg:
                raise ValidationError({"dose_mg": half_dose_message(initial.dose_mg)})
            dose.deviation_reason = supplemental_timing(
                initial=initial,
                administered_at=administered_at,
                deviation_reason=deviation_reason,
                settings_=settings_,
            )
        corrected = (dose.dose_mg, dose.kit_number, dose.administered_at, dose.deviation_reason)
        if corrected == recorded and moved is None:
            raise ValidationError(UNCHANGED)
        versioned_save(instance=dose, expected_version=expected_version, reason=reason)
        if moved is not None:
            versioned_save(instance=moved, expected_version=moved.version, reason=reason)
        if late:
            late_change_commit(session, reason)
    return dose


# --- The supplemental decision -----------------------------------------------------------------


@records_actor
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
    reason = reason_required(reason, "Say why the supplemental decision is being corrected.")
    if not decision_reason.strip():
        raise ValidationError({"supplemental_reason": DECISION_REASON_REQUIRED})
    with transaction.atomic():
        session = lock_session(session)
        require_started(session)
        late = late_change_check(session, reason, root_fresh=True)
        if not session.supplemental_decision:
            raise FlowsheetError(NO_DECISION)
        fresh_check(session, expected_version)
        initial = DoseAdministration.live(session, DoseAdministration.Kind.INITIAL, lock=True)
        if initial is None:
            raise FlowsheetError("No initial dose is recorded: there is no supplemental decision.")
        supplemental = DoseAdministration.live(
            session, DoseAdministration.Kind.SUPPLEMENTAL, lock=True
        )
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
        if late:
            late_change_commit(session, reason, root_saved=True)
    return session
