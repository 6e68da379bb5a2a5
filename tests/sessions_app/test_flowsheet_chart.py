"""The flowsheet chart's data: readings from the initial dose, the supplemental dose, its window."""

import datetime
import json
import re

import pytest
from django.urls import reverse

from sessions_app.models import DoseAdministration, DosingSession, StudySessionSettings
from sessions_app.selectors import flowsheet_for
from sessions_app.services import flowsheet

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


def _initial(session) -> DoseAdministration:
    return session.administrations.get(kind="initial", voided_at__isnull=True)


def _give_supplemental(session, actor, *, after_minutes: int) -> DosingSession:
    flowsheet.supplemental_decide(
        actor=actor,
        session=session,
        decision=DosingSession.Supplemental.GIVE,
        reason="Participant asked; vital signs stable.",
        dose_mg=60,
        kit_number="KIT-1002",
        administered_at=_initial(session).administered_at + after_minutes * MINUTE,
    )
    session.refresh_from_db()
    return session


def test_chart_gives_the_supplemental_dose_minute_and_the_study_window(dosed_session, therapist):
    session = _give_supplemental(dosed_session, therapist, after_minutes=105)
    data = flowsheet_for(session=session).chart()
    assert data["supplemental"] == 105
    assert data["supplemental_window"] == {"earliest": 90, "latest": 150}


def test_chart_window_follows_the_study_settings(dosed_session, therapist, study):
    StudySessionSettings.objects.create(
        study=study, supplemental_earliest_minutes=60, supplemental_latest_minutes=120
    )
    data = flowsheet_for(session=dosed_session).chart()
    assert data["supplemental_window"] == {"earliest": 60, "latest": 120}


def test_chart_has_no_supplemental_dose_before_one_is_given(dosed_session):
    data = flowsheet_for(session=dosed_session).chart()
    assert data["supplemental"] is None
    assert data["supplemental_window"] == {"earliest": 90, "latest": 150}


def test_chart_leaves_out_a_supplemental_dose_struck_through_as_entered_in_error(
    dosed_session, therapist
):
    session = _give_supplemental(dosed_session, therapist, after_minutes=100)
    flowsheet.supplemental_decision_correct(
        actor=therapist,
        session=session,
        decision=DosingSession.Supplemental.WITHHOLD,
        decision_reason="Withheld: blood pressure rising.",
        expected_version=session.version,
        reason="Entered in error: the dose was prepared, never given.",
    )
    data = flowsheet_for(session=session).chart()
    assert data["supplemental"] is None


def test_chart_readings_are_minutes_from_the_initial_dose(dosed_session, therapist):
    initial = _initial(dosed_session).administered_at
    flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed_session,
        measured_at=initial + 30 * MINUTE,
        systolic=130,
        diastolic=80,
        pulse=90,
    )
    data = flowsheet_for(session=dosed_session).chart()
    assert data["series"]["systolic"] == [{"x": -5, "y": 122.0}, {"x": 30, "y": 130.0}]


def test_flowsheet_page_carries_the_chart_data(login, therapist, dosed_session):
    session = _give_supplemental(dosed_session, therapist, after_minutes=95)
    response = login(therapist).get(reverse("sessions_app:flowsheet", args=[session.pk]))
    assert response.status_code == 200
    script = re.search(
        r'<script id="chart-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    data = json.loads(script.group(1))
    assert data["supplemental"] == 95
    assert data["supplemental_window"] == {"earliest": 90, "latest": 150}
