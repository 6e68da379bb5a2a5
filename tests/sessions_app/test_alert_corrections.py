"""An alert follows the corrections of its reading: retracted below the thresholds, updated,
standing again; the alerts list shows a retracted alert with its reason."""

import datetime

import pytest
from django.urls import reverse

from audit.models import LogEntry
from sessions_app.models import VitalSignAlert
from sessions_app.selectors import open_alert_count
from sessions_app.services import flowsheet
from tests.sessions_app.factories import reading_correct

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
ALERTS = reverse("sessions_app:alerts")


def _flag(session, actor, **values):
    values = values or {"systolic": 172, "diastolic": 95}
    return flowsheet.vital_sign_record(
        actor=actor, session=session, measured_at=session.started_at + 60 * MINUTE, **values
    )


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
