"""The initial dose (after the checks, the vitals and both attestations) and the supplemental
half dose (its strength, its window, its reason, decided once)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import LogEntry
from sessions_app.models import DoseAdministration, DosingSession, StudySessionSettings
from sessions_app.selectors import elapsed_label, flowsheet_for
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import FlowsheetError
from tests.sessions_app.factories import (
    initial_dose_at,
    log_entries_of,
    predose_checks,
    reading_record,
    supplemental_withhold,
)

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


# --- The initial dose -------------------------------------------------------------------------


def _give_initial(session, actor, at=None):
    return flowsheet.dose_initial_administer(
        actor=actor,
        session=session,
        dose_mg=120,
        kit_number="KIT-2002",
        administered_at=at or session.started_at + 20 * MINUTE,
    )


def _predose_vitals(session, actor):
    return reading_record(
        session, actor, session.started_at + 5 * MINUTE, systolic=120, diastolic=80
    )


def test_initial_dose_after_checks_and_vitals(checked, therapist):
    _predose_vitals(checked, therapist)
    dose = _give_initial(checked, therapist)
    assert dose.kind == DoseAdministration.Kind.INITIAL
    assert dose.dose_mg == 120
    assert dose.recorded_by == therapist
    assert log_entries_of(dose).filter(action=LogEntry.Action.CREATE).count() == 1


def test_initial_dose_before_the_checks_is_refused(started_session, therapist):
    _predose_vitals(started_session, therapist)
    with pytest.raises(FlowsheetError, match="pre-dose checks"):
        _give_initial(started_session, therapist)
    assert not DoseAdministration.objects.exists()


def test_initial_dose_without_predose_vitals_is_refused(checked, therapist):
    # SUDS alone, or vitals taken only after the dose time, are not pre-dose vital signs.
    reading_record(checked, therapist, checked.started_at + 5 * MINUTE, suds=2)
    reading_record(checked, therapist, checked.started_at + 30 * MINUTE, systolic=120, diastolic=80)
    with pytest.raises(FlowsheetError, match="vital signs"):
        _give_initial(checked, therapist, at=checked.started_at + 20 * MINUTE)
    assert not DoseAdministration.objects.exists()


def test_initial_dose_with_a_positive_pregnancy_test_is_refused(attested_session, therapist):
    predose_checks(attested_session, therapist, pregnancy_test=DosingSession.PregnancyTest.POSITIVE)
    _predose_vitals(attested_session, therapist)
    with pytest.raises(FlowsheetError, match="pregnancy"):
        _give_initial(attested_session, therapist)
    assert not DoseAdministration.objects.exists()


@pytest.mark.parametrize("ideation", [4, 5])
def test_initial_dose_with_cssrs_ideation_with_intent_is_refused(
    attested_session, therapist, ideation
):
    predose_checks(attested_session, therapist, cssrs_pre_ideation=ideation)
    _predose_vitals(attested_session, therapist)
    with pytest.raises(FlowsheetError, match="C-SSRS"):
        _give_initial(attested_session, therapist)
    assert not DoseAdministration.objects.exists()


def test_initial_dose_with_cssrs_ideation_below_intent_is_allowed(attested_session, therapist):
    predose_checks(attested_session, therapist, cssrs_pre_ideation=3)
    _predose_vitals(attested_session, therapist)
    assert _give_initial(attested_session, therapist).pk


def test_initial_dose_before_the_session_started_is_refused(checked, therapist):
    _predose_vitals(checked, therapist)
    with pytest.raises(ValidationError) as caught:
        _give_initial(checked, therapist, at=checked.started_at - MINUTE)
    assert "administered_at" in caught.value.message_dict


def test_initial_dose_waits_for_both_therapists_to_attest_presence(started_session, therapist):
    predose_checks(started_session, therapist)
    with pytest.raises(FlowsheetError, match="attest their presence"):
        _give_initial(started_session, therapist)


def test_pre_dose_checks_are_closed_once_the_dose_is_given(dosed_session, therapist):
    with pytest.raises(FlowsheetError, match="closed once the dose is given"):
        predose_checks(
            dosed_session,
            therapist,
            pregnancy_test=DosingSession.PregnancyTest.POSITIVE,
            cssrs_pre_ideation=5,
            cssrs_pre_behaviour=True,
        )


def test_initial_dose_in_a_session_not_started_is_refused(session1, therapist):
    with pytest.raises(FlowsheetError):
        flowsheet.dose_initial_administer(
            actor=therapist,
            session=session1,
            dose_mg=120,
            kit_number="KIT-2002",
            administered_at=timezone.now(),
        )


def test_initial_dose_in_the_future_is_refused(checked, therapist):
    _predose_vitals(checked, therapist)
    with pytest.raises(ValidationError) as caught:
        _give_initial(checked, therapist, at=timezone.now() + datetime.timedelta(minutes=30))
    assert "administered_at" in caught.value.message_dict


def test_initial_dose_is_given_once(dosed_session, therapist):
    with pytest.raises(ValidationError):
        _give_initial(dosed_session, therapist, at=dosed_session.started_at + 30 * MINUTE)
    assert dosed_session.administrations.count() == 1


def test_initial_dose_strength_must_be_an_initial_one(checked, therapist):
    _predose_vitals(checked, therapist)
    with pytest.raises(ValidationError):
        flowsheet.dose_initial_administer(
            actor=therapist,
            session=checked,
            dose_mg=60,
            kit_number="KIT-2002",
            administered_at=checked.started_at + 20 * MINUTE,
        )


# --- The supplemental dose --------------------------------------------------------------------


def _supplemental(session, actor, minutes, **kwargs):
    kwargs.setdefault("dose_mg", 60)
    kwargs.setdefault("kit_number", "KIT-1002")
    kwargs.setdefault("reason", "Participant asked; vitals stable.")
    return flowsheet.supplemental_decide(
        actor=actor,
        session=session,
        decision=DosingSession.Supplemental.GIVE,
        administered_at=initial_dose_at(session) + minutes * MINUTE,
        **kwargs,
    )


@pytest.mark.parametrize("minutes", [90, 120, 150])
def test_supplemental_half_dose_inside_its_window(dosed_session, therapist, minutes):
    _supplemental(dosed_session, therapist, minutes)
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == DosingSession.Supplemental.GIVE
    assert dosed_session.supplemental_reason == "Participant asked; vitals stable."
    dose = dosed_session.administrations.get(kind=DoseAdministration.Kind.SUPPLEMENTAL)
    assert dose.dose_mg == 60
    assert dose.deviation_reason == ""
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.supplemental == dose
    assert not any("Supplemental" in d for d in sheet.deviations)


@pytest.mark.parametrize("dose_mg", [40, 80, 120])
def test_supplemental_dose_must_be_half_the_initial_dose(dosed_session, therapist, dose_mg):
    with pytest.raises(ValidationError) as caught:
        _supplemental(dosed_session, therapist, 100, dose_mg=dose_mg)
    assert "60 mg" in caught.value.message_dict["dose_mg"][0]
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == ""
    assert dosed_session.administrations.count() == 1


def test_supplemental_decision_needs_a_reason(dosed_session, therapist):
    with pytest.raises(ValidationError) as caught:
        _supplemental(dosed_session, therapist, 100, reason="  ")
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        flowsheet.supplemental_decide(
            actor=therapist,
            session=dosed_session,
            decision=DosingSession.Supplemental.WITHHOLD,
            reason="",
        )
    assert "reason" in caught.value.message_dict
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == ""


@pytest.mark.parametrize("minutes", [60, 89, 151, 160])
def test_supplemental_outside_its_window_needs_a_deviation_reason(
    dosed_session, therapist, minutes
):
    with pytest.raises(ValidationError) as caught:
        _supplemental(dosed_session, therapist, minutes)
    message = caught.value.message_dict["deviation_reason"][0]
    assert elapsed_label(minutes) in message
    assert "+1h30 to +2h30" in message
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == ""
    assert dosed_session.administrations.count() == 1


def test_supplemental_outside_its_window_with_a_reason_is_a_listed_deviation(
    dosed_session, therapist
):
    _supplemental(dosed_session, therapist, 160, deviation_reason="Participant asleep at +2h30.")
    dose = dosed_session.administrations.get(kind=DoseAdministration.Kind.SUPPLEMENTAL)
    assert dose.deviation_reason == "Participant asleep at +2h30."
    deviations = flowsheet_for(session=dosed_session).deviations
    assert any(
        "Supplemental dose at +2h40" in d and "Participant asleep at +2h30." in d
        for d in deviations
    )


def test_supplemental_window_follows_the_study_settings(dosed_session, therapist, study):
    settings_ = StudySessionSettings(
        study=study, supplemental_earliest_minutes=60, supplemental_latest_minutes=180
    )
    settings_.full_clean()
    settings_.save()
    _supplemental(dosed_session, therapist, 170)
    assert dosed_session.administrations.get(kind="supplemental").deviation_reason == ""


def test_supplemental_cannot_precede_the_initial_dose(dosed_session, therapist):
    with pytest.raises(ValidationError) as caught:
        _supplemental(dosed_session, therapist, -5, deviation_reason="?")
    assert "administered_at" in caught.value.message_dict


def test_withholding_the_supplemental_dose(dosed_session, therapist):
    supplemental_withhold(dosed_session, therapist, reason="Blood pressure rising.")
    assert dosed_session.supplemental_decision == DosingSession.Supplemental.WITHHOLD
    assert dosed_session.supplemental_reason == "Blood pressure rising."
    assert dosed_session.supplemental_decided_at is not None
    assert dosed_session.administrations.count() == 1


def test_the_supplemental_decision_is_made_once(dosed_session, therapist):
    supplemental_withhold(dosed_session, therapist, reason="Blood pressure rising.")
    with pytest.raises(FlowsheetError, match="already"):
        _supplemental(dosed_session, therapist, 100)
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == DosingSession.Supplemental.WITHHOLD
    assert dosed_session.administrations.count() == 1


def test_the_supplemental_decision_needs_the_initial_dose(checked, therapist):
    with pytest.raises(FlowsheetError, match="initial dose"):
        flowsheet.supplemental_decide(
            actor=therapist,
            session=checked,
            decision=DosingSession.Supplemental.WITHHOLD,
            reason="No.",
        )
