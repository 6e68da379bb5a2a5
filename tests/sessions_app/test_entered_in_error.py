"""A reading or an observation entered by mistake is struck through as entered in error, with a
reason: kept on the flowsheet and in the history, no longer counted, never deleted."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import LogEntry
from audit.services import ConcurrentEditError
from sessions_app.models import Observation, VitalSignAlert, VitalSignReading
from sessions_app.selectors import flowsheet_for, open_alert_count
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import FlowsheetError
from tests.sessions_app.pages import field_error, flowsheet_url

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


def strike_url(entry) -> str:
    name = "reading_strike" if isinstance(entry, VitalSignReading) else "observation_strike"
    return reverse(f"sessions_app:{name}", args=[entry.pk])


@pytest.fixture
def flagged(dosed_session, therapist):
    """A reading over the systolic threshold, with its open alert."""
    return flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed_session,
        measured_at=dosed_session.started_at + 60 * MINUTE,
        systolic=172,
        diastolic=95,
    )


def test_a_reading_struck_through_stays_on_record_and_no_longer_counts(
    login, therapist, monitor, flagged
):
    session = flagged.session
    assert open_alert_count(user=monitor) == 1
    response = login(therapist).post(
        strike_url(flagged),
        {"version": flagged.version, "reason": "Recorded for the participant in the next room."},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(flowsheet_url(session) + "#readings")
    flagged.refresh_from_db()  # kept, never deleted
    assert flagged.voided_at is not None
    assert flagged.voided_by == therapist
    assert flagged.void_reason == "Recorded for the participant in the next room."
    # Out of the counts, the chart and the monitors' worklist; the alert retracted, not deleted.
    sheet = flowsheet_for(session=session)
    assert sheet.flagged == 0 and sheet.struck_readings == 1
    assert 172.0 not in [point["y"] for point in sheet.chart()["series"]["systolic"]]
    alert = VitalSignAlert.objects.get(reading=flagged)
    assert alert.retracted_at is not None
    assert alert.correction_reason == "Recorded for the participant in the next room."
    assert open_alert_count(user=monitor) == 0
    # The history keeps who struck it through and why.
    entry = LogEntry.objects.get_for_object(flagged).order_by("-seq").first()
    assert "voided_at" in entry.changes
    assert entry.reason == "Recorded for the participant in the next room."
    # The flowsheet shows it struck through with the reason.
    page = login(monitor).get(flowsheet_url(session)).content.decode()
    assert 'data-testid="struck-reading"' in page
    assert "1 entered in error, not counted" in page
    assert "Recorded for the participant in the next room." in page


def test_striking_through_asks_why_and_keeps_the_entry_as_it_was(login, therapist, flagged):
    response = login(therapist).post(strike_url(flagged), {"version": flagged.version})

    assert response.status_code == 200
    assert "Say why" in field_error(response.content.decode(), "reason")
    flagged.refresh_from_db()
    assert flagged.voided_at is None


def test_a_struck_entry_can_be_neither_corrected_nor_struck_again(login, therapist, flagged):
    flowsheet.entry_strike_through(
        actor=therapist, entry=flagged, expected_version=flagged.version, reason="Duplicate."
    )
    client = login(therapist)
    for url in (reverse("sessions_app:reading_edit", args=[flagged.pk]), strike_url(flagged)):
        response = client.get(url)
        assert response.status_code == 302
        assert [str(m) for m in get_messages(response.wsgi_request)][-1].startswith(
            "This entry was struck through"
        )
    flagged.refresh_from_db()
    with pytest.raises(FlowsheetError):
        flowsheet.vital_sign_correct(
            actor=therapist,
            reading=flagged,
            values={"systolic": 120},
            expected_version=flagged.version,
            reason="Try anyway",
        )


def test_striking_through_an_entry_opened_before_someone_elses_change_is_refused(
    therapist, investigator, flagged
):
    opened = flagged.version
    flowsheet.vital_sign_correct(
        actor=investigator,
        reading=flagged,
        values={"systolic": 168},
        expected_version=opened,
        reason="Misread",
    )
    with pytest.raises(ConcurrentEditError):
        flowsheet.entry_strike_through(
            actor=therapist, entry=flagged, expected_version=opened, reason="Duplicate."
        )


def test_an_observation_struck_through_is_shown_struck_with_its_reason(
    login, dosed_session, therapist
):
    observation = flowsheet.observation_record(
        actor=therapist,
        session=dosed_session,
        observed_at=dosed_session.started_at + 30 * MINUTE,
        kind=Observation.Kind.OBSERVATION,
        text="Written on the wrong participant's sheet.",
    )
    response = login(therapist).post(
        strike_url(observation), {"version": observation.version, "reason": "Wrong participant."}
    )

    assert response["Location"].endswith("#observations")
    observation.refresh_from_db()
    assert observation.voided_at is not None and observation.void_reason == "Wrong participant."
    page = login(therapist).get(flowsheet_url(dosed_session)).content.decode()
    assert 'data-testid="struck-observation"' in page
    assert "<del>Written on the wrong participant&#x27;s sheet.</del>" in page


def test_striking_through_an_entry_of_a_signed_session_voids_the_signature(
    login, signed, ended, therapist
):
    reading = ended.readings.first()
    login(therapist).post(
        strike_url(reading), {"version": reading.version, "reason": "Entered twice."}
    )

    signed.refresh_from_db()
    assert signed.voided_at is not None
    assert "Entered twice." in signed.void_reason


def test_only_the_sites_staff_may_strike_an_entry_through(login, monitor, therapist2, flagged):
    data = {"version": flagged.version, "reason": "Not mine."}
    assert login(monitor).post(strike_url(flagged), data).status_code == 403
    assert login(therapist2).post(strike_url(flagged), data).status_code == 404
    flagged.refresh_from_db()
    assert flagged.voided_at is None


def test_no_adverse_event_is_drafted_from_a_struck_reading(login, therapist, flagged):
    flowsheet.entry_strike_through(
        actor=therapist, entry=flagged, expected_version=flagged.version, reason="Duplicate."
    )
    response = login(therapist).get(reverse("safety:ae_create") + f"?reading={flagged.pk}")
    assert response.status_code == 404
