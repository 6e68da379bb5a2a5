"""A locked casebook refuses every write to the participant's clinical records, whatever the path
(participants.casebook), with the message that names the lock; other participants' records are
written as before."""

import datetime
import re

import pytest
from django.apps import apps
from django.utils import timezone

from audit.models import AuditedModel
from casebooks import services as casebook_services
from participants.casebook import CasebookLocked, guarded, locked_message
from participants.models import Casebook, Participant
from queries import services as query_services
from safety.services import adverse_event_draft_create, adverse_event_draft_update
from screening import services as screening_services
from sessions_app.models import Visit, VitalSignReading
from sessions_app.services import flowsheet
from sessions_app.services.notes import integration_note_write
from sessions_app.services.visits import participant_withdraw
from tests.casebooks.conftest import locked, signed
from tests.screening.factories import (
    StudyScreeningConfigFactory,
    eligible_answers,
    screened_attempt,
)
from tests.sessions_app.factories import initial_of, reading_correct

pytestmark = pytest.mark.django_db

# Study-wide records, which belong to no participant: a casebook does not guard them.
STUDY_WIDE = {
    "screening.criteriaset",
    "screening.criterion",
    "screening.studyscreeningconfig",
    "sessions_app.studysessionsettings",
    "safety.referencesafetyinformation",
    "exports.export",
    "exports.exportdownload",
}


def _refused(casebook: Casebook):
    casebook.refresh_from_db()
    return pytest.raises(CasebookLocked, match=re.escape(locked_message(casebook)))


def test_the_message_names_who_locked_it_and_when(participant1, study_admin):
    casebook = locked(participant1, study_admin)
    message = locked_message(casebook)
    assert message.startswith(
        f"This participant's casebook is locked (by {study_admin.printed_name} on "
    )
    assert message.endswith("no change can be saved until the study administrator unlocks it.")


def test_a_new_reading_is_refused(dosed_session, participant1, therapist, study_admin):
    casebook = locked(participant1, study_admin)
    with _refused(casebook):
        flowsheet.vital_sign_record(
            actor=therapist,
            session=dosed_session,
            measured_at=timezone.now() - datetime.timedelta(minutes=5),
            pulse=80,
        )
    assert not VitalSignReading.objects.filter(pulse=80).exists()


def test_a_correction_is_refused(reading, participant1, therapist, study_admin):
    casebook = locked(participant1, study_admin)
    with _refused(casebook):
        reading_correct(reading, therapist, reason="Typo", systolic=118)
    reading.refresh_from_db()
    assert reading.systolic == 128


def test_a_strike_through_is_refused(reading, participant1, therapist, study_admin):
    casebook = locked(participant1, study_admin)
    with _refused(casebook):
        flowsheet.entry_strike_through(
            actor=therapist, entry=reading, expected_version=reading.version, reason="Wrong row"
        )


def test_a_dose_correction_is_refused(dosed_session, participant1, therapist, study_admin):
    casebook = locked(participant1, study_admin)
    initial = initial_of(dosed_session)
    with _refused(casebook):
        flowsheet.dose_administration_correct(
            actor=therapist,
            administration=initial,
            dose_mg=initial.dose_mg,
            kit_number="KIT-1009",
            administered_at=initial.administered_at,
            expected_version=initial.version,
            reason="Kit number misread",
        )
    initial.refresh_from_db()
    assert initial.kit_number == "KIT-1001"


def test_ending_the_session_is_refused(withheld, participant1, therapist, study_admin):
    casebook = locked(participant1, study_admin)
    with _refused(casebook):
        flowsheet.dosing_session_end(
            actor=therapist,
            session=withheld,
            ended_at=timezone.now() - datetime.timedelta(minutes=1),
            cssrs_post_ideation=0,
            cssrs_post_behaviour=False,
            overnight_ready=True,
            overnight_note="",
            expected_version=withheld.version,
        )


def test_signing_a_session_is_refused_before_the_password_is_checked(
    ended, participant1, investigator, study_admin
):
    casebook = locked(participant1, study_admin)
    with _refused(casebook):
        flowsheet.dosing_session_sign(
            actor=investigator, session=ended, password="wrong", team_acknowledged=True
        )


def test_an_adverse_event_edit_is_refused(adverse_event, participant1, therapist, study_admin):
    casebook = locked(participant1, study_admin)
    with _refused(casebook):
        adverse_event_draft_update(
            actor=therapist,
            adverse_event=adverse_event,
            verbatim_term="Migraine",
            onset_at=adverse_event.onset_at,
            description="",
            expected_version=adverse_event.version,
        )
    adverse_event.refresh_from_db()
    assert adverse_event.verbatim_term == "Headache"


def test_an_integration_note_is_refused(ended, participant1, therapist, study_admin):
    casebook = locked(participant1, study_admin)
    visit = Visit.objects.get(participant=participant1, code="I1.1")
    with _refused(casebook):
        integration_note_write(
            actor=therapist,
            visit=visit,
            data={
                "themes": "Grief",
                "participant_report": "Sleeping better",
                "cssrs_ideation": 0,
                "cssrs_behaviour": False,
                "safety_notes": "",
                "plan": "Grounding exercises",
                "free_text": "",
            },
            held_on=timezone.localdate(),
            deviation_explanation="Held the day of the session, for the test.",
            expected_version=None,
        )
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SCHEDULED


def test_a_query_is_not_raised_on_a_locked_casebooks_record(
    reading, participant1, monitor, study_admin
):
    casebook = locked(participant1, study_admin)
    with _refused(casebook):
        query_services.query_raise(actor=monitor, record=reading, text="Is 128 right?")
    assert not participant1.queries.exists()


def test_a_screening_edit_and_its_confirmation_are_refused(
    study, site1, therapist, investigator, study_admin, password
):
    StudyScreeningConfigFactory(study=study)
    attempt = screened_attempt(actor=therapist, site=site1)
    casebook = locked(attempt.participant, study_admin)
    with _refused(casebook):
        screening_services.screening_update(
            actor=therapist,
            attempt=attempt,
            answers=eligible_answers(attempt),
            expected_version=attempt.version,
            reason="Weight re-measured",
        )
    with _refused(casebook):
        screening_services.eligibility_confirm(
            actor=investigator, attempt=attempt, password=password
        )
    attempt.participant.refresh_from_db()
    assert attempt.participant.status == Participant.Status.SCREENING


def test_another_participants_records_are_written_as_before(
    dosed_session, participant1, participant2, therapist, study_admin
):
    locked(participant2, study_admin)
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed_session,
        measured_at=timezone.now() - datetime.timedelta(minutes=5),
        pulse=80,
    )
    assert reading.pk is not None


def test_every_clinical_model_names_its_participant_or_is_study_wide():
    """A new model of the apps is guarded from the start: it names its participant (a foreign
    key or a property), or it is named here as study-wide."""
    unknown = []
    for model in apps.get_models():
        if not issubclass(model, AuditedModel) or not guarded(model):
            continue
        if model._meta.label_lower in STUDY_WIDE or model is Participant:
            continue
        has_participant = any(
            field.name == "participant" for field in model._meta.get_fields()
        ) or isinstance(getattr(model, "participant", None), property)
        if not has_participant and model._meta.label_lower != "signatures.signature":
            unknown.append(model._meta.label_lower)
    assert unknown == []


def test_a_withdrawal_is_refused(participant1, investigator, study_admin):
    casebook = locked(participant1, study_admin)
    with _refused(casebook):
        participant_withdraw(
            actor=investigator,
            participant=participant1,
            withdrawn_on=timezone.localdate(),
            category=Participant.WithdrawalCategory.OTHER,
            details="Moved abroad",
            expected_version=participant1.version,
        )
    participant1.refresh_from_db()
    assert participant1.status == Participant.Status.ENROLLED


def test_the_identitys_contacts_stay_correctable(participant1, therapist, study_admin):
    """Who the participant is and how to reach them is not what the study recorded of them."""
    locked(participant1, study_admin)
    identity = participant1.identity
    identity.phone = "+44 20 7946 0000"
    identity.save()
    identity.refresh_from_db()
    assert identity.phone == "+44 20 7946 0000"


def test_the_identitys_date_of_birth_and_sex_are_refused(participant1, study_admin):
    """The study's data rest on them (age at screening, the exports' demographics)."""
    casebook = locked(participant1, study_admin)
    identity = participant1.identity
    born = identity.date_of_birth
    identity.date_of_birth = born - datetime.timedelta(days=400)
    with _refused(casebook):
        identity.save()
    identity.refresh_from_db()
    assert identity.date_of_birth == born


def test_a_monitors_review_leaves_the_signature_standing(
    participant1, adverse_event, investigator, monitor, study_admin, password
):
    """A verification mark is a review of the data, not a change: the casebook stays signed;
    once it is locked, the mark is refused like any write."""
    study = participant1.site.study
    study.sdv_required = False  # signed before any record is verified
    study.save()
    participant1.refresh_from_db()
    second = adverse_event_draft_create(
        actor=investigator,
        participant=participant1,
        verbatim_term="Nausea",
        description="",
        onset_at=adverse_event.onset_at,
        aware_at=adverse_event.aware_at,
    )
    signed(participant1, investigator, password)
    query_services.source_verify(actor=monitor, record=adverse_event)
    casebook = Casebook.objects.get(participant=participant1)
    assert casebook.state == Casebook.State.SIGNED
    casebook_services.casebook_lock(actor=study_admin, participant=participant1)
    with _refused(casebook):
        query_services.source_verify(actor=monitor, record=second)
