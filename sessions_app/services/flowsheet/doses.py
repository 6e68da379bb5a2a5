"""The doses of a session: the initial dose, the supplemental go/no-go and, if given, the
supplemental half dose with the rules of its window.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.context import records_actor
from records.edits import not_in_future
from sessions_app.models import DoseAdministration, DosingSession, StudySessionSettings
from sessions_app.selectors import elapsed_label, elapsed_minutes
from sessions_app.services.flowsheet.common import (
    FlowsheetError,
    given_before_end,
    lock_session,
)


@records_actor
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
        session = lock_session(session)
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
        not_in_future(administered_at, "administered_at")
        if administered_at < session.started_at:
            raise ValidationError(
                {"administered_at": "The dose cannot be given before the session started."}
            )
        has_predose_vitals = session.readings.filter(
            measured_at__lte=administered_at, systolic__isnull=False, voided_at__isnull=True
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


DECISION_REASON_REQUIRED = "Give the reason for this decision."


def half_dose_message(initial_mg: int) -> str:
    return f"The supplemental dose is half the initial dose: {initial_mg // 2} mg."


def supplemental_dose_errors(
    *,
    initial_mg: int | None,
    dose_mg: int | None,
    kit_number: str,
    administered_at: datetime.datetime | None,
) -> dict[str, str]:
    """What is missing or wrong in a supplemental dose as given, by field. The decision's form
    asks this too, so that every message comes at once, beside its field."""
    errors = {}
    if administered_at is None:
        errors["administered_at"] = "Enter when the supplemental dose was given."
    if not (kit_number or "").strip():
        errors["kit_number"] = "Enter the kit number."
    if dose_mg is None:
        errors["dose_mg"] = "Enter the dose."
    elif initial_mg is not None and dose_mg * 2 != initial_mg:
        errors["dose_mg"] = half_dose_message(initial_mg)
    return errors


@records_actor
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
    errors = supplemental_dose_errors(
        initial_mg=initial.dose_mg,
        dose_mg=dose_mg,
        kit_number=kit_number,
        administered_at=administered_at,
    )
    if errors:
        raise ValidationError(errors)
    not_in_future(administered_at, "administered_at")
    given_before_end(session, administered_at)
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


@records_actor
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
        session = lock_session(session)
        if session.status != DosingSession.Status.IN_PROGRESS:
            raise FlowsheetError("The supplemental decision is made while the session is running.")
        if session.supplemental_decision:
            raise FlowsheetError("The supplemental decision has already been recorded.")
        initial = session.initial_dose
        if initial is None:
            raise FlowsheetError("Record the initial dose first.")
        if not reason.strip():
            raise ValidationError({"reason": DECISION_REASON_REQUIRED})
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
