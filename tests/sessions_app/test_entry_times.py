"""Times of readings and observations stay within their session; the end comes after them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions_app.models import DosingSession, Observation
from sessions_app.services import flowsheet
from tests.sessions_app.factories import reading_correct, supplemental_withhold, withhold_and_end
from tests.sessions_app.pages import flowsheet_url, local

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def ended(dosed_session, therapist):
    """Dosed 2h50 ago, ended 30 minutes ago."""
    return withhold_and_end(dosed_session, therapist, timezone.now() - 30 * MINUTE)


# --- Times ------------------------------------------------------------------------------------


def test_a_late_reading_after_the_end_time_is_refused(ended, therapist):
    with pytest.raises(ValidationError) as caught:
        flowsheet.vital_sign_record(
            actor=therapist,
            session=ended,
            measured_at=timezone.now() - 10 * MINUTE,
            pulse=80,
            reason="From the paper sheet",
        )
    assert "after the session ended" in caught.value.message_dict["measured_at"][0]


def test_a_late_reading_within_the_session_is_kept(ended, therapist):
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=ended,
        measured_at=ended.ended_at - 15 * MINUTE,
        pulse=80,
        reason="From the paper sheet",
    )
    assert reading.pk


def test_an_observation_long_before_the_start_is_refused(dosed_session, therapist):
    with pytest.raises(ValidationError) as caught:
        flowsheet.observation_record(
            actor=therapist,
            session=dosed_session,
            observed_at=dosed_session.started_at - datetime.timedelta(hours=3),
            kind=Observation.Kind.OBSERVATION,
            text="Arrived.",
        )
    assert "long before" in caught.value.message_dict["observed_at"][0]
    assert not Observation.objects.exists()


def test_an_observation_after_the_end_is_refused(ended, therapist):
    with pytest.raises(ValidationError) as caught:
        flowsheet.observation_record(
            actor=therapist,
            session=ended,
            observed_at=timezone.now() - 5 * MINUTE,
            kind=Observation.Kind.OBSERVATION,
            text="Asleep.",
            reason="Night note",
        )
    assert "observed_at" in caught.value.message_dict


def test_a_correction_cannot_move_a_reading_out_of_the_session(dosed_session, therapist):
    reading = dosed_session.readings.get()
    with pytest.raises(ValidationError) as caught:
        reading_correct(
            reading,
            therapist,
            reason="Wrong day",
            measured_at=dosed_session.started_at - datetime.timedelta(days=1),
        )
    assert "measured_at" in caught.value.message_dict
    reading.refresh_from_db()
    assert reading.version == 1


def test_the_end_cannot_come_before_the_last_reading(dosed_session, therapist):
    last = flowsheet.vital_sign_record(
        actor=therapist, session=dosed_session, measured_at=timezone.now() - 5 * MINUTE, pulse=80
    )
    with pytest.raises(ValidationError) as caught:
        withhold_and_end(dosed_session, therapist, last.measured_at - 10 * MINUTE)
    message = caught.value.message_dict["ended_at"][0]
    assert "a reading was taken" in message
    assert timezone.localtime(last.measured_at).strftime("%H:%M") in message
    dosed_session.refresh_from_db()
    assert dosed_session.status == DosingSession.Status.IN_PROGRESS


def test_the_end_cannot_come_before_the_start(dosed_session, therapist):
    with pytest.raises(ValidationError) as caught:
        withhold_and_end(dosed_session, therapist, dosed_session.started_at - MINUTE)
    assert "after it started" in caught.value.message_dict["ended_at"][0]


def test_the_end_form_shows_the_refusal_beside_the_end_time(client, dosed_session, therapist):
    supplemental_withhold(dosed_session, therapist, reason="Not needed.")
    before_dose = timezone.localtime(dosed_session.started_at + 5 * MINUTE)
    client.force_login(therapist)
    response = client.post(
        flowsheet_url(dosed_session),
        {
            "action": "end",
            "end-version": dosed_session.version,
            "end-ended_at": local(before_dose),
            "end-cssrs_post_ideation": "0",
            "end-cssrs_post_behaviour": "False",
            "end-overnight_ready": "False",
            "end-overnight_note": "Tearful, stays with the night attendant.",
        },
    )
    assert response.status_code == 200
    form = response.context["forms"]["end"]
    assert "a dose was given" in form.errors["ended_at"][0]
    assert "Tearful, stays with the night attendant." in response.content.decode()
