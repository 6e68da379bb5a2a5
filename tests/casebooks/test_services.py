"""Signing, locking and unlocking a casebook: the checklist, the password, the states, and a
write after signing voiding the signature."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casebooks import services
from participants.models import Casebook, Participant
from queries import services as query_services
from records.edits import StepRefused
from safety.services import adverse_event_draft_update
from sessions_app.services.visits import participant_withdraw
from signatures.models import Signature
from tests.casebooks.conftest import signed

pytestmark = pytest.mark.django_db


def _update(adverse_event, actor, term="Tension headache"):
    return adverse_event_draft_update(
        actor=actor,
        adverse_event=adverse_event,
        verbatim_term=term,
        onset_at=adverse_event.onset_at,
        description=adverse_event.description,
        expected_version=adverse_event.version,
    )


def test_visits_not_ended_block_signing_and_are_named(course1, investigator, password):
    participant = course1[0].participant
    with pytest.raises(StepRefused, match=r"visits not ended: .*Preparatory"):
        signed(participant, investigator, password)
    assert not Casebook.objects.filter(participant=participant, state="signed").exists()
    assert Signature.objects.count() == 0


def test_a_participant_still_in_screening_blocks_signing(participant1, investigator, password):
    participant1.status = Participant.Status.SCREENING
    participant1.save()
    with pytest.raises(StepRefused, match="screening has not ended"):
        signed(participant1, investigator, password)


def test_a_session_under_way_blocks_signing(started_session, investigator, password):
    participant = started_session.visit.participant
    visits, *_others = services.checklist(participant)
    assert not visits.met
    assert "Dosing 1 (its session has not ended)" in visits.missing
    with pytest.raises(StepRefused, match="its session has not ended"):
        signed(participant, investigator, password)


def test_a_withdrawn_participants_remaining_visits_count_as_ended(course1, investigator, password):
    participant = course1[0].participant
    participant_withdraw(
        actor=investigator,
        participant=participant,
        withdrawn_on=timezone.localdate(),
        category="participant",
        details="",
        expected_version=participant.version,
    )
    participant.refresh_from_db()
    visits, *_others = services.checklist(participant)
    assert visits.met
    casebook = signed(participant, investigator, password)
    assert casebook.state == Casebook.State.SIGNED


def test_an_open_or_answered_query_blocks_signing(
    adverse_event, participant1, investigator, therapist, monitor, password
):
    query = query_services.query_raise(actor=monitor, record=adverse_event, text="Onset time?")
    with pytest.raises(StepRefused, match="1 data query open or awaiting review"):
        signed(participant1, investigator, password)
    query_services.query_answer(actor=therapist, query=query, text="As written.")
    with pytest.raises(StepRefused, match="1 data query open or awaiting review"):
        signed(participant1, investigator, password)
    query_services.query_close(actor=monitor, query=query)
    assert signed(participant1, investigator, password).state == Casebook.State.SIGNED


def test_records_not_verified_against_the_source_block_signing(
    adverse_event, participant1, investigator, therapist, monitor, password
):
    labels = [item.label for item in services.checklist(participant1)]
    assert "Every record verified against the source" in labels
    with pytest.raises(StepRefused, match="1 record not verified against the source"):
        services.casebook_sign(actor=investigator, participant=participant1, password=password)
    query_services.source_verify(actor=monitor, record=adverse_event)
    _update(adverse_event, therapist, term="Tension headache")  # a change clears the mark
    with pytest.raises(StepRefused, match="1 record not verified against the source"):
        services.casebook_sign(actor=investigator, participant=participant1, password=password)
    query_services.source_verify(actor=monitor, record=adverse_event)
    casebook = services.casebook_sign(
        actor=investigator, participant=participant1, password=password
    )
    assert casebook.state == Casebook.State.SIGNED


def test_a_study_without_source_data_verification_does_not_wait_for_it(
    adverse_event, participant1, investigator, password
):
    study = participant1.site.study
    study.sdv_required = False
    study.save()
    participant1.refresh_from_db()
    labels = [item.label for item in services.checklist(participant1)]
    assert "Every record verified against the source" not in labels
    casebook = services.casebook_sign(
        actor=investigator, participant=participant1, password=password
    )
    assert casebook.state == Casebook.State.SIGNED


def test_the_signature_needs_the_password_again(participant1, investigator):
    with pytest.raises(ValidationError) as refused:
        signed(participant1, investigator, "not-the-password")
    assert "password is not correct" in refused.value.message_dict["password"][0]
    assert Signature.objects.count() == 0
    assert not Casebook.objects.filter(state="signed").exists()


def test_signature_records_printed_name_meaning_and_time(participant1, investigator, password):
    casebook = signed(participant1, investigator, password)
    (signature,) = Signature.objects.filter(object_pk=str(casebook.pk))
    assert signature.printed_name == investigator.printed_name
    assert signature.meaning == Signature.Meaning.APPROVED
    assert signature.statement == services.SIGN_STATEMENT
    assert signature.record_version == casebook.version


def test_only_the_investigator_signs_and_only_the_administrator_locks(
    participant1, therapist, investigator, study_admin, password
):
    with pytest.raises(PermissionDenied):
        signed(participant1, therapist, password)
    signed(participant1, investigator, password)
    with pytest.raises(PermissionDenied):
        services.casebook_lock(actor=investigator, participant=participant1)
    assert services.casebook_lock(actor=study_admin, participant=participant1).is_locked


def test_only_a_signed_casebook_is_locked(participant1, study_admin):
    with pytest.raises(StepRefused, match="Only a signed casebook can be locked"):
        services.casebook_lock(actor=study_admin, participant=participant1)
    assert not Casebook.objects.filter(state="locked").exists()


def test_a_locked_casebook_is_not_locked_again(participant1, investigator, study_admin, password):
    signed(participant1, investigator, password)
    services.casebook_lock(actor=study_admin, participant=participant1)
    with pytest.raises(StepRefused, match="locked meanwhile by"):
        services.casebook_lock(actor=study_admin, participant=participant1)


def test_unlock_needs_a_reason_kept_in_the_audit_trail(
    participant1, investigator, study_admin, password
):
    signed(participant1, investigator, password)
    services.casebook_lock(actor=study_admin, participant=participant1)
    with pytest.raises(ValidationError) as refused:
        services.casebook_unlock(actor=study_admin, participant=participant1, reason="  ")
    assert refused.value.message_dict == {"reason": [services.UNLOCK_REASON]}
    assert Casebook.objects.get(participant=participant1).is_locked

    casebook = services.casebook_unlock(
        actor=study_admin, participant=participant1, reason="Late lab result to enter"
    )
    assert casebook.state == Casebook.State.SIGNED
    from casebooks.selectors import casebook_history

    history = casebook_history(casebook)
    assert [(row["from"], row["to"]) for row in history] == [
        ("Locked", "Signed"),
        ("Signed", "Locked"),
        ("Open", "Signed"),
    ]
    assert history[0]["entry"].reason == "Late lab result to enter"
    assert history[0]["entry"].actor == study_admin


def test_a_write_after_signing_voids_the_signature(
    adverse_event, participant1, investigator, therapist, study_admin, password
):
    signed(participant1, investigator, password)
    _update(adverse_event, therapist)
    casebook = Casebook.objects.get(participant=participant1)
    assert casebook.state == Casebook.State.OPEN
    (signature,) = Signature.objects.filter(object_pk=str(casebook.pk))
    assert signature.is_void
    assert "changed after the casebook was signed" in signature.void_reason
    with pytest.raises(StepRefused, match="Only a signed casebook"):
        services.casebook_lock(actor=study_admin, participant=participant1)
    # Signed again, it can be locked.
    signed(participant1, investigator, password)
    assert services.casebook_lock(actor=study_admin, participant=participant1).is_locked


def test_after_unlock_writes_are_saved_again_and_void_the_signature(
    adverse_event, participant1, investigator, therapist, study_admin, password
):
    signed(participant1, investigator, password)
    services.casebook_lock(actor=study_admin, participant=participant1)
    services.casebook_unlock(actor=study_admin, participant=participant1, reason="Correction due")
    updated = _update(adverse_event, therapist, term="Migraine")
    assert updated.verbatim_term == "Migraine"
    assert Casebook.objects.get(participant=participant1).state == Casebook.State.OPEN


def test_signing_twice_is_refused(participant1, investigator, password):
    signed(participant1, investigator, password)
    with pytest.raises(StepRefused, match="signed meanwhile"):
        signed(participant1, investigator, password)
    assert Signature.objects.count() == 1
