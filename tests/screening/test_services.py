import datetime

import pytest
from django.core.exceptions import ValidationError

from audit.models import LogEntry
from participants.models import Participant
from screening import services
from screening.models import ScreeningAttempt, StudyScreeningConfig
from signatures.models import Signature
from signatures.services import SignatureRefusedError
from tests.screening.factories import (
    eligible_answers,
    fill_attempt,
    identity_data,
    published_set,
    screened_attempt,
)

pytestmark = pytest.mark.django_db


def test_start_registers_candidate_with_identity_and_first_attempt(therapist, site1):
    attempt = services.screening_start(
        actor=therapist, site=site1, identity=identity_data(), screened_on=datetime.date(2026, 6, 1)
    )
    participant = attempt.participant
    assert participant.status == Participant.Status.SCREENING
    assert participant.identity.family_name == "Quixotewood"
    assert attempt.number == 1
    assert attempt.criteria_set.code == "MAPP1"
    assert attempt.decision == "incomplete"
    # one yes/no answer row per non-computed criterion
    assert attempt.answers.count() == attempt.criteria_set.criteria.filter(measurement="").count()


def test_start_is_refused_when_the_study_has_no_criteria_set(therapist, site1):
    StudyScreeningConfig.objects.filter(study=site1.study).delete()
    with pytest.raises(services.ScreeningError, match="study administrator"):
        services.screening_start(
            actor=therapist,
            site=site1,
            identity=identity_data(),
            screened_on=datetime.date(2026, 6, 1),
        )
    assert not Participant.objects.exists()


def test_the_study_administrators_choice_of_set_decides_the_caps5_threshold(therapist, site1):
    config = StudyScreeningConfig.objects.get(study=site1.study)
    assert screened_attempt(actor=therapist, site=site1, caps5_total=30).decision == "ineligible"
    config.criteria_set = published_set("MAPP2")
    config.save()
    assert screened_attempt(actor=therapist, site=site1, caps5_total=30).decision == "eligible"


def test_confirmation_signs_and_enrols(investigator, therapist, site1, password):
    attempt = screened_attempt(actor=therapist, site=site1)
    signature = services.eligibility_confirm(
        actor=investigator, attempt=attempt, password=password, on=datetime.date(2026, 6, 2)
    )
    attempt.refresh_from_db()
    participant = attempt.participant
    participant.refresh_from_db()
    assert attempt.status == ScreeningAttempt.Status.CONFIRMED
    assert participant.status == Participant.Status.ENROLLED
    assert participant.study_code == "S01-0001"
    assert participant.enrolled_on == datetime.date(2026, 6, 2)
    assert signature.signer == investigator
    assert signature.printed_name == investigator.printed_name
    assert signature.meaning == Signature.Meaning.APPROVED
    assert signature.record_version == attempt.version
    assert signature.is_valid_for(attempt)


def test_wrong_password_signs_nothing_and_enrols_nobody(investigator, therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1)
    with pytest.raises(SignatureRefusedError):
        services.eligibility_confirm(actor=investigator, attempt=attempt, password="wrong")
    attempt.refresh_from_db()
    assert attempt.status == ScreeningAttempt.Status.SUBMITTED
    assert attempt.participant.status == Participant.Status.SCREENING
    assert not Signature.objects.exists()


def test_therapist_cannot_confirm(therapist, site1, password):
    attempt = screened_attempt(actor=therapist, site=site1)
    with pytest.raises(PermissionError):
        services.eligibility_confirm(actor=therapist, attempt=attempt, password=password)


def test_nobody_can_enrol_a_candidate_who_fails_a_criterion(
    investigator, therapist, site1, password
):
    attempt = screened_attempt(actor=therapist, site=site1, caps5_total=34)
    with pytest.raises(services.ScreeningError, match="cannot be enrolled"):
        services.eligibility_confirm(actor=investigator, attempt=attempt, password=password)
    attempt.participant.refresh_from_db()
    assert attempt.participant.study_code is None


def test_screen_failure_keeps_every_reason(therapist, site1):
    attempt = screened_attempt(
        actor=therapist, site=site1, caps5_total=20, qtc_ms=470, answers={"E7": True}
    )
    attempt = services.screening_fail(actor=therapist, attempt=attempt)
    attempt.participant.refresh_from_db()
    assert attempt.status == ScreeningAttempt.Status.SCREEN_FAILED
    assert attempt.participant.status == Participant.Status.SCREEN_FAILED
    assert attempt.failed_codes == ["I3", "E7", "E12"]
    failed = [r for r in attempt.results if r["outcome"] == "not_met"]
    assert [r["value"] for r in failed] == ["20", "yes", "470"]
    entry = LogEntry.objects.get_for_object(attempt.participant).order_by("-seq").first()
    assert "I3" in entry.reason and "E12" in entry.reason


def test_an_eligible_candidate_is_not_a_screen_failure(therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1)
    with pytest.raises(services.ScreeningError):
        services.screening_fail(actor=therapist, attempt=attempt)


def test_incomplete_screening_cannot_be_submitted(therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1, submit=False, qtc_ms=None)
    with pytest.raises(services.ScreeningError, match="E12"):
        services.screening_submit(actor=therapist, attempt=attempt)


def test_rescreen_creates_a_new_attempt_and_keeps_the_old(therapist, investigator, site1, password):
    first = services.screening_fail(
        actor=therapist, attempt=screened_attempt(actor=therapist, site=site1, caps5_total=20)
    )
    second = services.screening_restart(
        actor=therapist, participant=first.participant, screened_on=datetime.date(2026, 7, 1)
    )
    assert second.number == 2 and second.pk != first.pk
    first.refresh_from_db()
    assert first.status == ScreeningAttempt.Status.SCREEN_FAILED
    assert first.failed_codes == ["I3"]
    second = fill_attempt(attempt=second, actor=therapist)
    services.eligibility_confirm(actor=investigator, attempt=second, password=password)
    second.participant.refresh_from_db()
    assert second.participant.status == Participant.Status.ENROLLED


def test_only_a_screen_failure_can_be_rescreened(therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1)
    with pytest.raises(services.ScreeningError):
        services.screening_restart(
            actor=therapist, participant=attempt.participant, screened_on=datetime.date(2026, 7, 1)
        )


def test_edit_after_submission_needs_a_reason(therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1)
    attempt.caps5_total = 50
    with pytest.raises(services.ScreeningError, match="why"):
        services.screening_update(
            actor=therapist, attempt=attempt, answers={}, expected_version=attempt.version
        )


def test_edit_after_signing_voids_the_signature_and_is_in_the_history(
    therapist, investigator, site1, password
):
    attempt = screened_attempt(actor=therapist, site=site1)
    signature = services.eligibility_confirm(actor=investigator, attempt=attempt, password=password)
    attempt.refresh_from_db()
    attempt.systolic_bp = 124
    services.screening_update(
        actor=therapist,
        attempt=attempt,
        answers=eligible_answers(attempt),
        expected_version=attempt.version,
        reason="Transcription error in BP",
    )
    signature.refresh_from_db()
    assert signature.voided_at is not None
    assert "Transcription error in BP" in signature.void_reason
    assert not signature.is_valid_for(attempt)
    entry = LogEntry.objects.get_for_object(attempt).order_by("-seq").first()
    assert entry.reason == "Transcription error in BP"
    assert "systolic_bp" in entry.changes
    # The investigator signs the corrected version again; the participant stays enrolled once.
    again = services.eligibility_confirm(actor=investigator, attempt=attempt, password=password)
    attempt.refresh_from_db()
    assert again.is_valid_for(attempt)
    assert Participant.objects.filter(status="enrolled").count() == 1


def test_diastolic_not_below_systolic_is_refused_by_the_model(therapist, site1):
    attempt = screened_attempt(actor=therapist, site=site1, submit=False)
    attempt.diastolic_bp = attempt.systolic_bp
    with pytest.raises(ValidationError) as error:
        attempt.full_clean()
    assert "diastolic_bp" in error.value.message_dict


def _start(actor, site, confirmed=False, reason="", **identity):
    return services.screening_start(
        actor=actor,
        site=site,
        identity=identity_data(**identity),
        screened_on=datetime.date(2026, 6, 1),
        duplicate_confirmed=confirmed,
        duplicate_reason=reason,
    )


def test_screening_the_same_person_twice_at_a_site_is_refused_without_confirmation(
    therapist, site1
):
    first = _start(therapist, site1).participant
    with pytest.raises(services.DuplicateCandidateError) as refused:
        # The same name, typed in other case and spacing.
        _start(therapist, site1, given_name="  casey ", family_name="QUIXOTEWOOD")
    message = refused.value.message_dict["confirm_duplicate"][0]
    assert f"{first.screening_number} (In screening)" in message
    assert refused.value.duplicates == [first]
    assert Participant.objects.count() == 1 and ScreeningAttempt.objects.count() == 1


def test_a_confirmed_duplicate_needs_a_reason(therapist, site1):
    _start(therapist, site1)
    with pytest.raises(services.DuplicateCandidateError) as refused:
        _start(therapist, site1, confirmed=True, reason="   ")
    assert refused.value.message_dict == {"duplicate_reason": [services.DUPLICATE_REASON_MISSING]}
    assert Participant.objects.count() == 1


def test_a_confirmed_duplicate_is_screened_with_its_reason_kept_and_audited(therapist, site1):
    first = _start(therapist, site1).participant
    reason = "Twin sister of SCR01-0001, same name by family tradition."
    attempt = _start(therapist, site1, confirmed=True, reason=f" {reason} ")
    assert attempt.duplicate_reason == reason
    assert attempt.participant != first
    reasons = {
        entry.reason
        for record in (attempt, attempt.participant, attempt.participant.identity)
        for entry in LogEntry.objects.get_for_object(record).filter(action=LogEntry.Action.CREATE)
    }
    assert reasons == {f"Screening started despite a possible duplicate (SCR01-0001): {reason}"}


def test_a_different_person_needs_no_confirmation(therapist, site1):
    _start(therapist, site1)
    other_birthday = _start(therapist, site1, date_of_birth=datetime.date(1985, 3, 15))
    other_name = _start(therapist, site1, given_name="Casey Jo")
    assert other_birthday.duplicate_reason == other_name.duplicate_reason == ""


def test_the_same_person_at_another_site_is_not_a_duplicate(therapist, therapist2, site1, site2):
    _start(therapist, site1)
    attempt = _start(therapist2, site2)
    assert attempt.participant.site == site2 and attempt.duplicate_reason == ""
