"""The end of a dosing session, entries after it, and the investigator's signature, voided by
any later change."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Role
from audit.services import ConcurrentEditError
from sessions_app.models import DosingSession, Observation
from sessions_app.selectors import flowsheet_for
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import FlowsheetError
from signatures.models import Signature
from signatures.selectors import signature_rows
from signatures.services import SignatureRefusedError
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.sessions_app.factories import (
    initial_dose_at,
    log_entries_of,
    reading_correct,
    reading_record,
    session_end,
    supplemental_withhold,
)

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


# --- End of session ---------------------------------------------------------------------------


def _end(session, actor, **kwargs):
    kwargs.setdefault("ended_at", timezone.now() - 5 * MINUTE)
    return session_end(session, actor, **kwargs)


def test_end_without_a_dose_needs_the_reason_none_was_given(checked, therapist):
    with pytest.raises(ValidationError) as refused:
        _end(checked, therapist)
    assert "not_dosed_reason" in refused.value.message_dict
    checked.refresh_from_db()
    assert checked.status == DosingSession.Status.IN_PROGRESS
    _end(checked, therapist, not_dosed_reason="C-SSRS 4 before the dose; investigator stopped it.")
    checked.refresh_from_db()
    assert checked.status == DosingSession.Status.ENDED
    assert checked.not_dosed_reason.startswith("C-SSRS 4")


def test_end_needs_the_supplemental_decision(dosed_session, therapist):
    with pytest.raises(FlowsheetError, match="supplemental"):
        _end(dosed_session, therapist)
    dosed_session.refresh_from_db()
    assert dosed_session.status == DosingSession.Status.IN_PROGRESS


def test_end_of_session(dosed_session, therapist):
    supplemental_withhold(dosed_session, therapist, reason="Not needed.")
    _end(dosed_session, therapist, cssrs_post_ideation=1)
    dosed_session.refresh_from_db()
    assert dosed_session.status == DosingSession.Status.ENDED
    assert dosed_session.ended_at is not None
    assert dosed_session.cssrs_post_ideation == 1
    assert dosed_session.overnight_ready is True


def test_not_ready_for_the_overnight_stay_needs_a_note(dosed_session, therapist):
    supplemental_withhold(dosed_session, therapist, reason="Not needed.")
    with pytest.raises(ValidationError) as caught:
        _end(dosed_session, therapist, overnight_ready=False, overnight_note=" ")
    assert "overnight_note" in caught.value.message_dict
    dosed_session.refresh_from_db()
    assert dosed_session.status == DosingSession.Status.IN_PROGRESS

    _end(
        dosed_session,
        therapist,
        overnight_ready=False,
        overnight_note="Anxious; investigator called.",
    )
    dosed_session.refresh_from_db()
    assert dosed_session.status == DosingSession.Status.ENDED
    assert dosed_session.overnight_note == "Anxious; investigator called."


def test_after_the_end_a_reading_needs_a_reason(ended, therapist):
    count = ended.readings.count()
    with pytest.raises(ValidationError) as caught:
        reading_record(ended, therapist, ended.ended_at - 2 * MINUTE, pulse=80)
    assert "reason" in caught.value.message_dict
    assert ended.readings.count() == count

    reading = reading_record(
        ended, therapist, ended.ended_at - 2 * MINUTE, pulse=80, reason="Paper note transcribed"
    )
    entry = log_entries_of(reading).get()
    assert entry.reason == "Paper note transcribed"


def test_after_the_end_an_observation_needs_a_reason(ended, therapist):
    with pytest.raises(ValidationError) as caught:
        flowsheet.observation_record(
            actor=therapist,
            session=ended,
            observed_at=ended.ended_at - 2 * MINUTE,
            kind=Observation.Kind.OBSERVATION,
            text="Sleeping calmly.",
        )
    assert "reason" in caught.value.message_dict
    assert not Observation.objects.exists()


def test_observations_during_the_session(dosed_session, therapist):
    observation = flowsheet.observation_record(
        actor=therapist,
        session=dosed_session,
        observed_at=initial_dose_at(dosed_session) + 45 * MINUTE,
        kind=Observation.Kind.INTERVENTION,
        text="  Offered water.  ",
    )
    assert observation.text == "Offered water."
    assert flowsheet_for(session=dosed_session).observations[0].elapsed_label == "+0h45"
    assert log_entries_of(observation).count() == 1


# --- Signature --------------------------------------------------------------------------------


def test_the_investigator_signs_the_ended_session(signed, ended, investigator):
    assert signed.signer == investigator
    assert signed.meaning == Signature.Meaning.APPROVED
    assert signed.record_version == ended.version
    assert signed.content_type == ContentType.objects.get_for_model(DosingSession)
    assert signature_rows(record=ended) == [{"signature": signed, "valid": True}]


def test_a_therapist_cannot_sign(ended, therapist, password):
    with pytest.raises(PermissionDenied):
        flowsheet.dosing_session_sign(actor=therapist, session=ended, password=password)
    assert not Signature.objects.exists()


def test_an_investigator_of_another_site_cannot_sign(ended, site2, password):
    other = UserFactory(username="investigator2")
    MembershipFactory(user=other, role=Role.INVESTIGATOR, site=site2, study=site2.study)
    with pytest.raises(PermissionDenied):
        flowsheet.dosing_session_sign(actor=other, session=ended, password=password)


def test_signing_with_a_wrong_password_is_refused(ended, investigator):
    with pytest.raises(SignatureRefusedError):
        flowsheet.dosing_session_sign(
            actor=investigator, session=ended, password="wrong", team_acknowledged=True
        )
    assert not Signature.objects.exists()


def test_a_session_is_signed_only_once_ended(dosed_session, investigator, password):
    with pytest.raises(FlowsheetError):
        flowsheet.dosing_session_sign(actor=investigator, session=dosed_session, password=password)


def _assert_voided(signature, session, reason):
    signature.refresh_from_db()
    session.refresh_from_db()
    assert signature.voided_at is not None
    assert reason in signature.void_reason
    assert signature_rows(record=session) == [{"signature": signature, "valid": False}]


def test_a_reading_corrected_after_signing_voids_the_signature(signed, ended, therapist):
    reading = ended.readings.get()
    reading_correct(reading, therapist, reason="Transcription error", pulse=76)
    reading.refresh_from_db()
    assert reading.pulse == 76
    _assert_voided(signed, ended, "Transcription error")
    entry = log_entries_of(reading).order_by("-seq").first()
    assert entry.reason == "Transcription error"
    assert "pulse" in entry.changes


def test_a_late_reading_after_signing_voids_the_signature(signed, ended, therapist):
    reading_record(ended, therapist, ended.ended_at - 2 * MINUTE, pulse=80, reason="Found on paper")
    _assert_voided(signed, ended, "Found on paper")


def test_a_late_observation_after_signing_voids_the_signature(signed, ended, therapist):
    flowsheet.observation_record(
        actor=therapist,
        session=ended,
        observed_at=ended.ended_at - 2 * MINUTE,
        kind=Observation.Kind.OBSERVATION,
        text="Slept well.",
        reason="Added from the night nurse's notes",
    )
    _assert_voided(signed, ended, "night nurse")


def test_correcting_the_end_after_signing_voids_the_signature(signed, ended, therapist):
    _end(ended, therapist, cssrs_post_ideation=2, reason="C-SSRS re-scored")
    _assert_voided(signed, ended, "C-SSRS re-scored")


def test_a_correction_needs_a_reason(dosed_session, therapist):
    reading = dosed_session.readings.get()
    with pytest.raises(ValidationError) as caught:
        reading_correct(reading, therapist, reason="", pulse=76)
    assert "reason" in caught.value.message_dict
    reading.refresh_from_db()
    assert reading.pulse == 72


def test_a_correction_from_a_stale_version_is_refused(dosed_session, therapist):
    reading = dosed_session.readings.get()
    version = reading.version
    flowsheet.vital_sign_correct(
        actor=therapist,
        reading=reading,
        values={"pulse": 76},
        expected_version=version,
        reason="First fix",
    )
    with pytest.raises(ConcurrentEditError):
        flowsheet.vital_sign_correct(
            actor=therapist,
            reading=reading,
            values={"pulse": 99},
            expected_version=version,
            reason="Second fix",
        )
    reading.refresh_from_db()
    assert reading.pulse == 76


def test_presence_cannot_be_attested_after_the_session_ended(signed, ended, therapist, password):
    with pytest.raises(FlowsheetError, match="during the session"):
        flowsheet.presence_attest(actor=therapist, session=ended, role="lead", password=password)
    signed.refresh_from_db()
    ended.refresh_from_db()
    assert signed.is_valid_for(ended) or signed.voided_at is not None
