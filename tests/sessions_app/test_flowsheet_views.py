"""The flowsheet page as its users drive it: each step posted, bad input kept, scope enforced."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sessions_app.models import DoseAdministration, DosingSession, VitalSignAlert, VitalSignReading
from sessions_app.services import flowsheet
from tests.sessions_app.factories import session_end, supplemental_withhold
from tests.sessions_app.pages import flowsheet_url, local, post_reading

pytestmark = pytest.mark.django_db


def test_therapist_starts_a_session_with_a_two_therapist_team(
    login, therapist, investigator, session1
):
    client = login(therapist)
    response = client.post(
        flowsheet_url(session1),
        {
            "action": "start",
            "start-version": session1.version,
            "start-started_at": local(timezone.now()),
            "start-lead_therapist": therapist.pk,
            "start-co_therapist": investigator.pk,
            "start-deviation_explanation": "Participant's availability",
        },
    )
    assert response.status_code == 302
    session1.refresh_from_db()
    assert session1.status == DosingSession.Status.IN_PROGRESS
    assert session1.visit.held_on == timezone.localdate()


def test_the_same_person_cannot_be_lead_and_co_therapist(login, therapist, session1):
    client = login(therapist)
    response = client.post(
        flowsheet_url(session1),
        {
            "action": "start",
            "start-version": session1.version,
            "start-started_at": local(timezone.now()),
            "start-lead_therapist": therapist.pk,
            "start-co_therapist": therapist.pk,
        },
    )
    assert response.status_code == 200
    assert "someone other than the lead" in response.content.decode()
    session1.refresh_from_db()
    assert session1.status == DosingSession.Status.NOT_STARTED


def test_impossible_reading_is_refused_beside_the_field_and_input_is_kept(
    login, therapist, dosed_session
):
    client = login(therapist)
    before = VitalSignReading.objects.count()
    response = post_reading(
        client, dosed_session, systolic="400", diastolic="95", pulse="88", temperature="36.9"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Systolic pressure must be between 50 and 300 mmHg." in body
    assert 'value="400"' in body and 'value="95"' in body and 'value="88"' in body
    assert 'value="36.9"' in body
    assert VitalSignReading.objects.count() == before


def test_diastolic_not_below_systolic_is_refused(login, therapist, dosed_session):
    response = post_reading(login(therapist), dosed_session, systolic="120", diastolic="130")
    assert "Diastolic pressure must be below systolic (120 mmHg)." in response.content.decode()


def test_temperature_in_fahrenheit_is_refused_with_the_range(login, therapist, dosed_session):
    response = post_reading(login(therapist), dosed_session, temperature="100.4")
    assert "Body temperature must be between 30 and 45 °C." in response.content.decode()


def test_an_empty_reading_is_refused(login, therapist, dosed_session):
    response = post_reading(login(therapist), dosed_session)
    assert "Enter at least one measurement." in response.content.decode()


def test_reading_over_threshold_is_flagged_and_alerts_after_commit(
    login, therapist, monitor, dosed_session, django_capture_on_commit_callbacks, mailoutbox
):
    client = login(therapist)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_reading(client, dosed_session, systolic="172", diastolic="96", pulse="104")
    assert response.status_code == 302
    reading = VitalSignReading.objects.latest("pk")
    assert reading.flags == ["systolic"]
    assert VitalSignAlert.objects.filter(reading=reading).count() == 1
    assert [m.to for m in mailoutbox] == [[monitor.email]]
    page = client.get(flowsheet_url(dosed_session)).content.decode()
    assert "over threshold: systolic" in page
    assert "Interval shortened to 15 min" in page
    assert f"?reading={reading.pk}" in page  # the draft adverse event, prefilled from it


def test_the_initial_dose_waits_for_the_pre_dose_checks(login, therapist, started_session):
    client = login(therapist)
    response = client.post(
        flowsheet_url(started_session),
        {
            "action": "dose",
            "dose-dose_mg": "120",
            "dose-kit_number": "KIT-2001",
            "dose-administered_at": local(timezone.now()),
        },
    )
    # Before the checks, the step is not offered; posting it anyway is refused with a reason.
    assert "Record the pre-dose checks before the initial dose." in response.content.decode()
    assert not DoseAdministration.objects.exists()


def test_supplemental_outside_window_needs_an_explanation(login, therapist, dosed_session):
    client = login(therapist)
    initial = DoseAdministration.objects.get(session=dosed_session, kind="initial")
    at = initial.administered_at + datetime.timedelta(minutes=170)
    data = {
        "action": "supplemental",
        "supplemental-decision": "give",
        "supplemental-decision_reason": "Well tolerated, participant asks for it",
        "supplemental-dose_mg": "60",
        "supplemental-kit_number": "KIT-1002",
        "supplemental-administered_at": local(at),
    }
    response = client.post(flowsheet_url(dosed_session), data)
    body = response.content.decode()
    assert "outside +1h30 to +2h30: explain the protocol deviation" in body
    assert "Well tolerated, participant asks for it" in body
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == ""

    data["supplemental-deviation_reason"] = "Delayed by a phone call from the participant's family"
    assert client.post(flowsheet_url(dosed_session), data).status_code == 302
    page = client.get(flowsheet_url(dosed_session)).content.decode()
    assert "Protocol deviation" in page and "Delayed by a phone call" in page


def test_a_stale_session_form_is_refused_and_the_input_kept(
    login, therapist, investigator, started_session
):
    client = login(therapist)
    stale = started_session.version
    flowsheet.predose_checks_record(
        actor=investigator,
        session=started_session,
        pregnancy_test="negative",
        cssrs_pre_ideation=1,
        cssrs_pre_behaviour=False,
        expected_version=stale,
    )
    response = client.post(
        flowsheet_url(started_session),
        {
            "action": "predose",
            "predose-version": stale,
            "predose-pregnancy_test": "not_applicable",
            "predose-cssrs_pre_ideation": "0",
            "predose-cssrs_pre_behaviour": "False",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "changed by someone else" in body
    started_session.refresh_from_db()
    assert started_session.pregnancy_test == "negative"  # the first save stands
    assert f'value="{started_session.version}"' in body  # saving again is a deliberate choice


def test_monitor_reads_the_flowsheet_but_cannot_write(login, monitor, dosed_session):
    client = login(monitor)
    assert client.get(flowsheet_url(dosed_session)).status_code == 200
    response = client.post(
        flowsheet_url(dosed_session), {"action": "reading", "reading-systolic": "120"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["therapist2", "sponsor"])
def test_other_sites_and_sponsor_data_managers_cannot_open_a_flowsheet(
    request, login, who, dosed_session
):
    client = login(request.getfixturevalue(who))
    assert client.get(flowsheet_url(dosed_session)).status_code == 404
    assert client.post(flowsheet_url(dosed_session), {"action": "reading"}).status_code == 404


def test_investigator_signs_and_a_late_correction_voids_the_signature(
    login, therapist, investigator, password, dosed_session
):
    session = dosed_session
    supplemental_withhold(session, therapist, reason="Pulse still high")
    session_end(session, therapist, ended_at=timezone.now())
    client = login(investigator)
    sign_url = reverse("sessions_app:sign", args=[session.pk])
    wrong = client.post(sign_url, {"password": "not-the-password", "acknowledged": "on"})
    assert "The password is not correct" in wrong.content.decode()
    assert client.post(sign_url, {"password": password, "acknowledged": "on"}).status_code == 302
    assert "Signed by" in client.get(flowsheet_url(session)).content.decode()

    reading = session.readings.first()
    edit_url = reverse("sessions_app:reading_edit", args=[reading.pk])
    client = login(therapist)
    form = {
        "version": reading.version,
        "measured_at": local(reading.measured_at),
        "systolic": "124",
        "diastolic": "78",
        "pulse": "72",
        "temperature": "36.8",
        "suds": "3",
    }
    no_reason = client.post(edit_url, form)
    assert "Say why this record is being changed." in no_reason.content.decode()
    form["reason"] = "Transcription error: 124, not 122"
    assert client.post(edit_url, form).status_code == 302
    page = client.get(flowsheet_url(session)).content.decode()
    assert "Signed by" not in page
    assert "void" in page


def test_therapist_cannot_sign(login, therapist, dosed_session):
    response = login(therapist).get(reverse("sessions_app:sign", args=[dosed_session.pk]))
    assert response.status_code == 403


def _queries_for(client, session) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(flowsheet_url(session)).status_code == 200
    return len(queries)


def test_flowsheet_query_count_is_the_same_with_1_and_60_readings(login, therapist, dosed_session):
    client = login(therapist)
    client.get(flowsheet_url(dosed_session))  # warm caches (content types, session)
    assert dosed_session.readings.count() == 1
    with_one = _queries_for(client, dosed_session)
    start = dosed_session.started_at
    for n in range(59):
        flowsheet.vital_sign_record(
            actor=therapist,
            session=dosed_session,
            measured_at=start + datetime.timedelta(minutes=12 + n * 2),
            systolic=130 + n % 40,
            diastolic=80,
            pulse=90 + n % 30,
            temperature="37.1",
            suds=n % 11,
        )
        if n % 10 == 0:
            flowsheet.observation_record(
                actor=therapist,
                session=dosed_session,
                observed_at=start + datetime.timedelta(minutes=13 + n * 2),
                kind="observation",
                text=f"Observation {n}",
            )
    assert dosed_session.readings.count() == 60
    assert _queries_for(client, dosed_session) == with_one


def test_participant_page_shows_the_whole_course(login, therapist, course1, participant1):
    body = login(therapist).get(reverse("participants:detail", args=[participant1.pk])).content
    body = body.decode()
    for code in ("P1", "P3", "D1", "I1.1", "D3", "I3.3"):
        assert f'data-testid="visit-{code}"' in body
    assert "Integration 2.3" in body


def test_course_page_query_count_does_not_grow_with_held_visits(
    login, therapist, course1, participant1
):
    from sessions_app.services.visits import visit_mark_held

    client = login(therapist)
    detail = reverse("participants:detail", args=[participant1.pk])
    client.get(detail)
    with CaptureQueriesContext(connection) as before:
        client.get(detail)
    for visit in course1[:3]:
        visit_mark_held(
            actor=therapist, visit=visit, held_on=visit.target_date, deviation_explanation="x"
        )
    with CaptureQueriesContext(connection) as after:
        client.get(detail)
    assert len(after) == len(before)


def test_a_session_without_a_dose_ends_only_with_the_reason(login, therapist, started_session):
    client = login(therapist)
    data = {
        "action": "end",
        "end-version": started_session.version,
        "end-ended_at": local(timezone.now()),
        "end-cssrs_post_ideation": "0",
        "end-cssrs_post_behaviour": "False",
        "end-overnight_ready": "True",
    }
    refused = client.post(flowsheet_url(started_session), data)
    assert "say why none was given" in refused.content.decode()
    data["end-not_dosed_reason"] = "Positive pregnancy test; the investigator stopped the session"
    assert client.post(flowsheet_url(started_session), data).status_code == 302
    started_session.refresh_from_db()
    assert started_session.status == DosingSession.Status.ENDED
    page = client.get(flowsheet_url(started_session)).content.decode()
    assert "No dose given:" in page and "Positive pregnancy test" in page


def test_home_lists_sessions_running_at_the_users_sites_only(
    login, therapist, therapist2, started_session
):
    label = started_session.visit.participant.label
    assert label in login(therapist).get("/").content.decode()
    assert label not in login(therapist2).get("/").content.decode()


# --- Re-entered passwords and the lockout -------------------------------------------------------


def attest_co(client, session, typed):
    return client.post(
        flowsheet_url(session),
        {"action": "attest-co", "attest-co-role": "co", "attest-co-password": typed},
    )


def test_wrong_attestation_passwords_lock_the_colleague_out_beside_the_field(
    login, therapist, investigator, password, started_session, settings
):
    # The lead therapist is at the device; the co-therapist (the investigator) is guessed at.
    client = login(therapist)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attest_co(client, started_session, "Guess-1234")
        assert response.status_code == 200
        assert response.context["forms"]["attest-co"].errors["password"] == [
            f"That is not {investigator.printed_name}'s password. Nothing was attested."
        ]
    attest_co(client, started_session, "Guess-1234")

    response = attest_co(client, started_session, password)
    assert response.status_code == 200  # the flowsheet, not axes' lockout page
    assert response.context["forms"]["attest-co"].errors["password"] == [
        f"Too many wrong passwords for {investigator.printed_name}: this account is locked for "
        "15 minutes. Nothing was attested."
    ]
    assert "this account is locked for 15 minutes" in response.content.decode()
    assert response.context["user"] == therapist
    started_session.refresh_from_db()
    assert started_session.co_attested_at is None
    # Axes keeps the failed requests, but not what was typed in the password field.
    assert AccessAttempt.objects.filter(username=investigator.username).exists()
    assert not AccessAttempt.objects.filter(post_data__contains="Guess-1234").exists()

    client.logout()
    login_page = client.post(
        reverse("login"), {"username": investigator.username, "password": password}
    )
    assert login_page.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_wrong_signing_password_counts_once_per_attempt(
    login, therapist, investigator, password, started_session
):
    session_end(
        started_session,
        therapist,
        ended_at=timezone.now(),
        not_dosed_reason="The investigator stopped the session before the dose",
    )
    client = login(investigator)
    sign_url = reverse("sessions_app:sign", args=[started_session.pk])
    for attempt in (1, 2):
        response = client.post(sign_url, {"password": "not-the-password", "acknowledged": "on"})
        assert response.status_code == 200
        assert response.context["form"].errors["password"] == [
            "The password is not correct. Nothing was signed."
        ]
        failures = AccessAttempt.objects.get(username=investigator.username)
        assert failures.failures_since_start == attempt
    assert client.post(sign_url, {"password": password, "acknowledged": "on"}).status_code == 302
    assert not AccessAttempt.objects.filter(username=investigator.username).exists()
