"""Readings: impossible values refused, flags and alerts over the thresholds, the next reading
due, and the time from the initial dose."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions_app.models import StudySessionSettings, VitalSignAlert, VitalSignReading
from sessions_app.selectors import elapsed_label, flowsheet_for, next_reading_due
from sessions_app.services.flowsheet import FlowsheetError
from tests.sessions_app.factories import initial_dose_at, reading_correct, reading_record

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


# --- Readings: impossible values, flags, intervals, elapsed time ------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"systolic": 400, "diastolic": 80}, "systolic", "Systolic pressure must be between 50"),
        ({"temperature": Decimal("50.0")}, "temperature", "Body temperature must be between 30"),
        ({"suds": 11}, "suds", "SUDS must be between 0 and 10"),
        ({"pulse": 300}, "pulse", "Pulse must be between 20 and 250"),
        ({"systolic": 120}, "diastolic", "needs both systolic and diastolic"),
        ({"diastolic": 80}, "systolic", "needs both systolic and diastolic"),
        ({}, "__all__", "Enter at least one measurement"),
    ],
    ids=[
        "systolic-400",
        "temperature-50",
        "suds-11",
        "pulse-300",
        "systolic-alone",
        "diastolic-alone",
        "empty",
    ],
)
def test_impossible_readings_are_refused_with_a_clear_message(
    started_session, therapist, values, field, message
):
    reading = VitalSignReading(
        session=started_session,
        measured_at=timezone.now(),
        recorded_by=therapist,
        **values,
    )
    with pytest.raises(ValidationError) as caught:
        reading.full_clean()
    assert field in caught.value.message_dict
    assert any(message in text for text in caught.value.message_dict[field])
    # The service refuses it the same way and stores nothing.
    with pytest.raises(ValidationError) as caught:
        reading_record(started_session, therapist, timezone.now(), **values)
    assert any(message in text for text in caught.value.message_dict[field])
    assert not VitalSignReading.objects.exists()


@pytest.mark.parametrize("diastolic", [120, 130])
def test_diastolic_not_below_systolic_is_refused(started_session, therapist, diastolic):
    with pytest.raises(ValidationError) as caught:
        reading_record(
            started_session, therapist, timezone.now(), systolic=120, diastolic=diastolic
        )
    assert any("below systolic" in text for text in caught.value.messages)
    assert not VitalSignReading.objects.exists()


def test_diastolic_not_below_systolic_is_reported_on_the_diastolic_field(
    started_session, therapist
):
    reading = VitalSignReading(
        session=started_session,
        measured_at=timezone.now(),
        recorded_by=therapist,
        systolic=120,
        diastolic=120,
    )
    with pytest.raises(ValidationError) as caught:
        reading.full_clean()
    assert "diastolic" in caught.value.message_dict
    assert set(caught.value.message_dict) <= {"diastolic", "__all__"}


def test_a_temperature_given_as_text_is_compared_as_a_number(started_session, therapist):
    reading = reading_record(started_session, therapist, timezone.now(), temperature="38.5")
    assert reading.temperature == Decimal("38.5")
    assert reading.flags == ["temperature"]


THRESHOLD_CASES = [
    ("systolic", {"systolic": 160, "diastolic": 90}, {"systolic": 161, "diastolic": 90}),
    ("diastolic", {"systolic": 150, "diastolic": 110}, {"systolic": 150, "diastolic": 111}),
    ("pulse", {"pulse": 110}, {"pulse": 111}),
    ("temperature", {"temperature": Decimal("38.0")}, {"temperature": Decimal("38.1")}),
]


@pytest.mark.parametrize(
    ("measurement", "at_threshold", "over"), THRESHOLD_CASES, ids=[c[0] for c in THRESHOLD_CASES]
)
def test_a_reading_over_a_threshold_is_flagged_and_raises_one_alert(
    started_session, therapist, measurement, at_threshold, over
):
    at = reading_record(started_session, therapist, timezone.now() - 20 * MINUTE, **at_threshold)
    assert at.flags == []
    assert not VitalSignAlert.objects.exists()

    reading = reading_record(started_session, therapist, timezone.now() - 10 * MINUTE, **over)
    assert reading.flags == [measurement]
    reading.refresh_from_db()
    assert reading.flags == [measurement]
    alert = VitalSignAlert.objects.get()
    assert alert.reading == reading
    assert alert.site == started_session.site
    assert [item["measurement"] for item in alert.exceeded] == [measurement]
    assert alert.exceeded[0]["value"] == str(over[measurement])


def test_several_measurements_over_their_thresholds(started_session, therapist):
    reading = reading_record(
        started_session,
        therapist,
        timezone.now(),
        systolic=180,
        diastolic=115,
        pulse=130,
        temperature=Decimal("38.6"),
    )
    assert reading.flags == ["systolic", "diastolic", "pulse", "temperature"]
    assert VitalSignAlert.objects.filter(reading=reading).count() == 1


def test_study_specific_thresholds(started_session, therapist, study):
    normal = reading_record(started_session, therapist, timezone.now() - 30 * MINUTE, pulse=100)
    assert normal.flags == []
    settings_ = StudySessionSettings(study=study, pulse_max=95, systolic_max=140)
    settings_.full_clean()
    settings_.save()

    pulse = reading_record(started_session, therapist, timezone.now() - 20 * MINUTE, pulse=100)
    pressure = reading_record(
        started_session, therapist, timezone.now() - 10 * MINUTE, systolic=145, diastolic=90
    )
    assert pulse.flags == ["pulse"]
    assert pressure.flags == ["systolic"]
    assert VitalSignAlert.objects.get(reading=pulse).exceeded == [
        {"measurement": "pulse", "value": "100", "limit": "95"}
    ]
    # Another study's settings do not apply.
    other = StudySessionSettings.for_study(started_session.site.study)
    assert other.pk == settings_.pk


def test_a_correction_over_a_threshold_raises_an_alert(started_session, therapist):
    reading = reading_record(started_session, therapist, timezone.now(), pulse=90)
    assert not VitalSignAlert.objects.exists()
    reading = reading_correct(reading, therapist, reason="Misread the monitor", pulse=119)
    assert reading.flags == ["pulse"]
    assert VitalSignAlert.objects.filter(reading=reading).count() == 1


def test_readings_before_the_start_are_refused(session1, therapist):
    with pytest.raises(FlowsheetError):
        reading_record(session1, therapist, timezone.now(), pulse=80)


def test_readings_in_the_future_or_long_before_the_start_are_refused(started_session, therapist):
    with pytest.raises(ValidationError) as caught:
        reading_record(started_session, therapist, timezone.now() + 30 * MINUTE, pulse=80)
    assert "measured_at" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        reading_record(
            started_session,
            therapist,
            started_session.started_at - datetime.timedelta(hours=3),
            pulse=80,
        )
    assert "measured_at" in caught.value.message_dict


def test_elapsed_label():
    assert elapsed_label(90) == "+1h30"
    assert elapsed_label(-5) == "-0h05"
    assert elapsed_label(0) == "+0h00"
    assert elapsed_label(605) == "+10h05"
    assert elapsed_label(None) == "pre-dose"


def test_flowsheet_shows_time_relative_to_the_initial_dose(dosed_session, therapist):
    dose_at = initial_dose_at(dosed_session)
    reading_record(dosed_session, therapist, dose_at + 90 * MINUTE, pulse=88)
    sheet = flowsheet_for(session=dosed_session)
    assert [r.elapsed_label for r in sheet.readings] == ["-0h05", "+1h30"]
    assert [r.elapsed for r in sheet.readings] == [-5, 90]
    assert sheet.initial.elapsed_label == "+0h00"


def test_first_reading_is_due_one_interval_after_the_dose(dosed_session):
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.next_due == initial_dose_at(dosed_session) + 30 * MINUTE
    assert not sheet.next_due_shortened


def test_next_reading_is_due_thirty_minutes_after_the_last(dosed_session, therapist):
    dose_at = initial_dose_at(dosed_session)
    reading_record(dosed_session, therapist, dose_at + 30 * MINUTE, systolic=130, diastolic=80)
    reading_record(dosed_session, therapist, dose_at + 65 * MINUTE, pulse=90)
    # SUDS alone is not a vital-sign reading: it does not reset the clock.
    reading_record(dosed_session, therapist, dose_at + 70 * MINUTE, suds=4)
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.next_due == dose_at + 95 * MINUTE
    assert not sheet.next_due_shortened


def test_next_reading_is_due_fifteen_minutes_after_a_flagged_one(dosed_session, therapist):
    dose_at = initial_dose_at(dosed_session)
    reading_record(dosed_session, therapist, dose_at + 30 * MINUTE, pulse=90)
    reading_record(dosed_session, therapist, dose_at + 40 * MINUTE, systolic=170, diastolic=95)
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.next_due == dose_at + 55 * MINUTE
    assert sheet.next_due_shortened
    # Back under the thresholds: the usual interval again.
    reading_record(dosed_session, therapist, dose_at + 55 * MINUTE, systolic=150, diastolic=95)
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.next_due == dose_at + 85 * MINUTE
    assert not sheet.next_due_shortened


def test_next_reading_due_uses_the_studys_intervals(dosed_session, therapist, study):
    settings_ = StudySessionSettings(
        study=study, reading_interval_minutes=20, alert_interval_minutes=10
    )
    settings_.full_clean()
    settings_.save()
    dose_at = initial_dose_at(dosed_session)
    flagged = reading_record(dosed_session, therapist, dose_at + 30 * MINUTE, pulse=125)
    readings = list(dosed_session.readings.order_by("measured_at"))
    initial = dosed_session.administrations.get(kind="initial")
    assert next_reading_due(
        session=dosed_session, readings=readings, initial=initial, settings_=settings_
    ) == (flagged.measured_at + 10 * MINUTE, True)
    assert flowsheet_for(session=dosed_session).next_due == flagged.measured_at + 10 * MINUTE


def test_nothing_is_due_after_the_end(ended):
    assert flowsheet_for(session=ended).next_due is None


def test_nothing_is_due_before_the_dose(checked):
    sheet = flowsheet_for(session=checked)
    assert sheet.next_due is None
    assert sheet.initial is None
