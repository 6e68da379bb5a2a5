"""Times of readings and observations stay within their session; alerts follow corrections."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import LogEntry
from audit.services import ConcurrentEditError
from sessions_app.models import DosingSession, Observation, VitalSignAlert
from sessions_app.selectors import open_alert_count
from sessions_app.services import flowsheet
from signatures.models import Signature
from tests.sessions_app.factories import reading_correct, session_end, supplemental_withhold
from tests.sessions_app.pages import flowsheet_url, local

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
ALERTS = reverse("sessions_app:alerts")


def _end(session, actor, ended_at, **kwargs):
    """Withhold the supplemental dose, then end the session at `ended_at`."""
    supplemental_withhold(session, actor, reason="Participant settled; not needed.")
    return session_end(session, actor, ended_at=ended_at, **kwargs)


@pytest.fixture
def ended(dosed_session, therapist):
    """Dosed 2h50 ago, ended 30 minutes ago."""
    return _end(dosed_session, therapist, timezone.now() - 30 * MINUTE)


def _flag(session, actor, **values):
    values = values or {"systolic": 172, "diastolic": 95}
    return flowsheet.vital_sign_record(
        actor=actor, session=session, measured_at=session.started_at + 60 * MINUTE, **values
    )


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
        _end(dosed_session, therapist, last.measured_at - 10 * MINUTE)
    message = caught.value.message_dict["ended_at"][0]
    assert "a reading was taken" in message
    assert timezone.localtime(last.measured_at).strftime("%H:%M") in message
    dosed_session.refresh_from_db()
    assert dosed_session.status == DosingSession.Status.IN_PROGRESS


def test_the_end_cannot_come_before_the_start(dosed_session, therapist):
    with pytest.raises(ValidationError) as caught:
        _end(dosed_session, therapist, dosed_session.started_at - MINUTE)
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


# --- Observation corrections -----------------------------------------------------------------


@pytest.fixture
def observation(dosed_session, therapist):
    return flowsheet.observation_record(
        actor=therapist,
        session=dosed_session,
        observed_at=dosed_session.started_at + 30 * MINUTE,
        kind=Observation.Kind.OBSERVATION,
        text="Restless, asks for water.",
    )


def test_an_observation_is_corrected_with_its_reason(observation, therapist):
    flowsheet.observation_correct(
        actor=therapist,
        observation=observation,
        values={"text": "Restless, asks for a blanket.", "kind": Observation.Kind.INTERVENTION},
        expected_version=observation.version,
        reason="Wrong word typed",
    )
    observation.refresh_from_db()
    assert observation.text == "Restless, asks for a blanket."
    entry = LogEntry.objects.get_for_object(observation).order_by("-seq").first()
    assert entry.reason == "Wrong word typed"
    assert "text" in entry.changes


def test_an_observation_correction_needs_a_reason_and_the_current_version(observation, therapist):
    with pytest.raises(ValidationError):
        flowsheet.observation_correct(
            actor=therapist,
            observation=observation,
            values={"text": "x"},
            expected_version=observation.version,
            reason=" ",
        )
    with pytest.raises(ConcurrentEditError):
        flowsheet.observation_correct(
            actor=therapist,
            observation=observation,
            values={"text": "x"},
            expected_version=observation.version + 1,
            reason="Typo",
        )
    observation.refresh_from_db()
    assert observation.text == "Restless, asks for water."


def test_an_observation_corrected_after_signing_voids_the_signature(
    dosed_session, therapist, investigator, password
):
    entry = flowsheet.observation_record(
        actor=therapist,
        session=dosed_session,
        observed_at=dosed_session.started_at + 30 * MINUTE,
        kind=Observation.Kind.OBSERVATION,
        text="Calm.",
    )
    ended = _end(dosed_session, therapist, timezone.now() - 30 * MINUTE)
    signature = flowsheet.dosing_session_sign(actor=investigator, session=ended, password=password)
    flowsheet.observation_correct(
        actor=therapist,
        observation=entry,
        values={"text": "Calm, slept an hour."},
        expected_version=entry.version,
        reason="Completed from memory the same evening",
    )
    signature.refresh_from_db()
    assert signature.voided_at is not None
    assert Signature.objects.filter(voided_at__isnull=True).count() == 0


# --- Alerts after a correction ---------------------------------------------------------------


def test_a_reading_corrected_below_the_thresholds_retracts_its_alert(
    dosed_session, therapist, monitor
):
    reading = _flag(dosed_session, therapist)
    alert = VitalSignAlert.objects.get(reading=reading)
    assert open_alert_count(user=monitor) == 1
    reading_correct(reading, therapist, reason="172 was a typing error for 127", systolic=127)
    alert.refresh_from_db()
    assert alert.retracted_at is not None
    assert alert.correction_reason == "172 was a typing error for 127"
    assert alert.exceeded[0]["value"] == "172"  # what the monitors were told stays visible
    assert open_alert_count(user=monitor) == 0
    entry = LogEntry.objects.get_for_object(alert).order_by("-seq").first()
    assert "retracted_at" in entry.changes


def test_a_reading_corrected_to_other_values_over_the_threshold_updates_its_alert(
    dosed_session, therapist, monitor
):
    reading = _flag(dosed_session, therapist)
    reading_correct(reading, therapist, reason="Misread the monitor", systolic=182)
    alert = VitalSignAlert.objects.get(reading=reading)
    assert alert.retracted_at is None
    assert alert.corrected_at is not None
    assert alert.exceeded == [{"measurement": "systolic", "value": "182", "limit": "160"}]
    assert VitalSignAlert.objects.count() == 1
    assert open_alert_count(user=monitor) == 1


def test_a_retracted_alert_stands_again_if_the_reading_is_corrected_back_over(
    dosed_session, therapist
):
    reading = _flag(dosed_session, therapist)
    for systolic, reason in ((127, "Typing error"), (172, "It was 172 after all")):
        reading.refresh_from_db()
        reading_correct(reading, therapist, reason=reason, systolic=systolic)
    alert = VitalSignAlert.objects.get(reading=reading)
    assert alert.retracted_at is None
    assert alert.correction_reason == "It was 172 after all"


def test_a_correction_that_leaves_the_values_alone_does_not_touch_the_alert(
    dosed_session, therapist
):
    reading = _flag(dosed_session, therapist, systolic=172, diastolic=95, pulse=80)
    reading_correct(reading, therapist, reason="Pulse misread", pulse=82)
    alert = VitalSignAlert.objects.get(reading=reading)
    assert alert.corrected_at is None


def test_the_alerts_list_shows_a_retracted_alert_with_its_reason(
    client, dosed_session, therapist, monitor
):
    reading = _flag(dosed_session, therapist)
    reading_correct(reading, therapist, reason="172 was a typing error for 127", systolic=127)
    client.force_login(monitor)
    page = client.get(ALERTS).content.decode()
    assert 'data-testid="alert-retracted"' in page
    assert "172 was a typing error for 127" in page
    assert "No alerts match." in client.get(ALERTS + "?status=open").content.decode()
    retracted = client.get(ALERTS + "?status=retracted").content.decode()
    assert retracted.count('data-testid="alert-row"') == 1


# --- Observation correction page --------------------------------------------------------------


def _observation_url(observation):
    return reverse("sessions_app:observation_edit", args=[observation.pk])


def test_the_flowsheet_links_each_observation_to_its_correction(client, observation, therapist):
    client.force_login(therapist)
    page = client.get(reverse("sessions_app:flowsheet", args=[observation.session_id]))
    assert _observation_url(observation) in page.content.decode()


def test_correcting_an_observation_in_the_browser(client, observation, therapist):
    client.force_login(therapist)
    response = client.get(_observation_url(observation))
    assert response.status_code == 200
    assert "Restless, asks for water." in response.content.decode()
    when = local(observation.observed_at)
    response = client.post(
        _observation_url(observation),
        {
            "version": observation.version,
            "observed_at": when,
            "kind": Observation.Kind.INTERVENTION,
            "text": "Restless; offered water and a blanket.",
            "reason": "Intervention left out",
        },
    )
    assert response.status_code == 302
    observation.refresh_from_db()
    assert observation.kind == Observation.Kind.INTERVENTION
    assert observation.version == 2


def test_a_bad_correction_keeps_what_was_typed(client, observation, therapist):
    client.force_login(therapist)
    response = client.post(
        _observation_url(observation),
        {
            "version": observation.version,
            "observed_at": "2001-01-01T10:00",
            "kind": Observation.Kind.OBSERVATION,
            "text": "Text typed during the correction",
            "reason": "",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "observed_at" in form.errors
    assert "reason" in form.errors
    assert "Text typed during the correction" in response.content.decode()
    observation.refresh_from_db()
    assert observation.version == 1


def test_a_stale_observation_correction_is_refused_with_the_input_shown(
    client, observation, therapist
):
    flowsheet.observation_correct(
        actor=therapist,
        observation=observation,
        values={"text": "Someone else's fix"},
        expected_version=observation.version,
        reason="First fix",
    )
    client.force_login(therapist)
    when = local(observation.observed_at)
    response = client.post(
        _observation_url(observation),
        {
            "version": 1,
            "observed_at": when,
            "kind": Observation.Kind.OBSERVATION,
            "text": "My late fix",
            "reason": "Second fix",
        },
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert "My late fix" in response.content.decode()
    observation.refresh_from_db()
    assert observation.text == "Someone else's fix"


def test_other_sites_and_sponsor_roles_cannot_correct_an_observation(
    client, observation, therapist2, monitor, sponsor
):
    # Other sites and data managers do not learn the entry exists; the monitor reads, not edits.
    for user, status in ((therapist2, 404), (sponsor, 404), (monitor, 403)):
        client.force_login(user)
        assert client.get(_observation_url(observation)).status_code == status
        response = client.post(_observation_url(observation), {"text": "x", "reason": "y"})
        assert response.status_code == status
    observation.refresh_from_db()
    assert observation.version == 1


def test_a_refused_correction_page_still_names_the_entry_as_stored(client, observation, therapist):
    client.force_login(therapist)
    stored = timezone.localtime(observation.observed_at).strftime("%d %b %Y %H:%M")
    response = client.post(
        _observation_url(observation),
        {
            "version": observation.version,
            "observed_at": "2030-01-01T10:00",
            "kind": Observation.Kind.OBSERVATION,
            "text": "Typed text",
            "reason": "",
        },
    )
    heading = response.content.decode().split("<h1")[1].split("</h1>")[0]
    assert stored in heading
    assert "01 Jan 2030" not in heading
