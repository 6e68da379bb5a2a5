"""Services of the sessions domain: the visit schedule and the dosing-session flowsheet."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Role
from audit.models import LogEntry
from audit.services import ConcurrentEditError
from participants.models import Participant
from screening import services as screening_services
from sessions_app import schedule
from sessions_app.models import (
    DoseAdministration,
    DosingSession,
    Observation,
    StudySessionSettings,
    Visit,
    VitalSignAlert,
    VitalSignReading,
)
from sessions_app.selectors import elapsed_label, flowsheet_for, next_reading_due
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import FlowsheetError
from sessions_app.services.visits import visit_mark_held, visit_schedule_create
from signatures.models import Signature
from signatures.selectors import signature_rows
from signatures.services import SignatureRefusedError
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.participants.factories import EnrolledParticipantFactory, ParticipantFactory
from tests.screening.factories import StudyScreeningConfigFactory, screened_attempt
from tests.sessions_app.factories import reading_correct, session_end, supplemental_withhold

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)


# --- Local fixtures ---------------------------------------------------------------------------


def _checks(session, actor, **overrides):
    """Pre-dose checks (negative pregnancy test, C-SSRS 0) from the session's current version."""
    values = {
        "pregnancy_test": DosingSession.PregnancyTest.NEGATIVE,
        "cssrs_pre_ideation": 0,
        "cssrs_pre_behaviour": False,
        "expected_version": session.version,
    }
    values.update(overrides)
    flowsheet.predose_checks_record(actor=actor, session=session, **values)
    session.refresh_from_db()


@pytest.fixture
def checked(attested_session, therapist):
    """Started, presence attested, pre-dose checks passed (C-SSRS 1), no vitals yet."""
    _checks(attested_session, therapist, cssrs_pre_ideation=1)
    return attested_session


def _dose_at(session: DosingSession) -> datetime.datetime:
    return session.administrations.get(kind=DoseAdministration.Kind.INITIAL).administered_at


def _record(session, actor, at, **values):
    return flowsheet.vital_sign_record(actor=actor, session=session, measured_at=at, **values)


def _entries(instance):
    return LogEntry.objects.get_for_object(instance)


# --- The visit schedule -----------------------------------------------------------------------


def test_schedule_create_makes_fifteen_visits_and_three_flowsheets(participant1, therapist):
    visits = visit_schedule_create(actor=therapist, participant=participant1)

    assert [v.code for v in visits] == [p.code for p in schedule.COURSE]
    assert [v.sequence for v in visits] == list(range(1, 16))
    planned = schedule.schedule_dates(participant1.enrolled_on)
    for visit in Visit.objects.filter(participant=participant1):
        when = planned[visit.code]
        assert (visit.target_date, visit.window_start, visit.window_end) == (
            when.target,
            when.window_start,
            when.window_end,
        )
        assert visit.status == Visit.Status.SCHEDULED
    sessions = DosingSession.objects.filter(visit__participant=participant1)
    assert sorted(s.visit.code for s in sessions) == ["D1", "D2", "D3"]
    assert all(s.status == DosingSession.Status.NOT_STARTED for s in sessions)
    d2 = Visit.objects.get(participant=participant1, code="D2")
    assert sorted(v.code for v in d2.integration_visits.all()) == ["I2.1", "I2.2", "I2.3"]


def test_schedule_create_is_idempotent(participant1, therapist):
    first = visit_schedule_create(actor=therapist, participant=participant1)
    entries = LogEntry.objects.count()
    second = visit_schedule_create(actor=therapist, participant=participant1)
    assert [v.pk for v in second] == [v.pk for v in first]
    assert Visit.objects.filter(participant=participant1).count() == 15
    assert DosingSession.objects.filter(visit__participant=participant1).count() == 3
    assert LogEntry.objects.count() == entries


def test_schedule_create_refuses_a_participant_who_is_not_enrolled(site1, therapist):
    candidate = ParticipantFactory(site=site1)
    with pytest.raises(ValidationError, match="not enrolled"):
        visit_schedule_create(actor=therapist, participant=candidate)
    assert not Visit.objects.filter(participant=candidate).exists()


def test_schedule_create_is_audited(participant1, therapist):
    visits = visit_schedule_create(actor=therapist, participant=participant1)
    for visit in visits:
        entry = _entries(visit).get()
        assert entry.action == LogEntry.Action.CREATE
        assert entry.reason == "Visit schedule generated on enrolment"
    for session in DosingSession.objects.filter(visit__participant=participant1):
        assert _entries(session).filter(action=LogEntry.Action.CREATE).count() == 1


def _visit(participant, code):
    return Visit.objects.get(participant=participant, code=code)


def test_visit_held_inside_its_window(course1, participant1, therapist):
    d1 = _visit(participant1, "D1")
    held_on = d1.target_date + 3 * DAY
    visit_mark_held(actor=therapist, visit=d1, held_on=held_on, deviation_explanation="ignored")
    d1.refresh_from_db()
    assert d1.status == Visit.Status.HELD
    assert d1.held_on == held_on
    assert not d1.is_out_of_window
    assert d1.deviation_explanation == ""  # nothing to explain inside the window
    entry = _entries(d1).order_by("-seq").first()
    assert entry.action == LogEntry.Action.UPDATE
    assert "held_on" in entry.changes


def test_visit_held_outside_its_window_needs_an_explanation(course1, participant1, therapist):
    d1 = _visit(participant1, "D1")
    version = d1.version
    with pytest.raises(ValidationError) as caught:
        visit_mark_held(actor=therapist, visit=d1, held_on=d1.window_end + DAY)
    assert "deviation_explanation" in caught.value.message_dict
    assert "outside the window" in caught.value.message_dict["deviation_explanation"][0]
    d1.refresh_from_db()
    assert d1.status == Visit.Status.SCHEDULED
    assert d1.held_on is None
    assert d1.version == version


def test_visit_held_outside_its_window_with_an_explanation(course1, participant1, therapist):
    d1 = _visit(participant1, "D1")
    visit_mark_held(
        actor=therapist,
        visit=d1,
        held_on=d1.window_start - DAY,
        deviation_explanation="Participant travelling; sponsor agreed.",
    )
    d1.refresh_from_db()
    assert d1.status == Visit.Status.HELD
    assert d1.is_out_of_window
    assert d1.deviation_explanation == "Participant travelling; sponsor agreed."


def test_a_visit_cannot_be_held_in_the_future(course1, participant1, therapist):
    p1 = _visit(participant1, "P1")
    with pytest.raises(ValidationError) as caught:
        visit_mark_held(actor=therapist, visit=p1, held_on=timezone.localdate() + DAY)
    assert "held_on" in caught.value.message_dict


def test_holding_the_first_dosing_visit_late_reanchors_later_visits(
    course1, participant1, therapist
):
    planned = {v.code: v for v in course1}
    d1 = planned["D1"]
    held_on = d1.target_date + 14 * DAY
    visit_mark_held(
        actor=therapist,
        visit=d1,
        held_on=held_on,
        deviation_explanation="Site closed for two weeks.",
    )

    now = {v.code: v for v in Visit.objects.filter(participant=participant1)}
    for code in ("P1", "P2", "P3"):
        assert now[code].target_date == planned[code].target_date
    assert now["D1"].target_date == planned["D1"].target_date  # it keeps its planned date
    assert now["I1.1"].target_date == held_on + DAY
    assert now["I1.3"].target_date == held_on + 15 * DAY
    assert now["D2"].target_date == held_on + 28 * DAY
    for code in ("I1.1", "I1.2", "I1.3", "D2", "I2.1", "I2.2", "I2.3", "D3", "I3.3"):
        assert now[code].target_date == planned[code].target_date + 14 * DAY, code
        assert now[code].window_start == planned[code].window_start + 14 * DAY, code
        assert now[code].window_end == planned[code].window_end + 14 * DAY, code
    # Each move is in the audit trail with the reason it happened.
    entry = _entries(now["D2"]).order_by("-seq").first()
    assert entry.action == LogEntry.Action.UPDATE
    assert "target_date" in entry.changes
    assert "re-anchored" in entry.reason and "Dosing 1" in entry.reason


def test_reanchoring_leaves_visits_already_held_alone(course1, participant1, therapist):
    planned = {v.code: v for v in course1}
    i11_held_on = planned["I1.1"].target_date
    # I1.1 is (oddly) recorded first, then D1 is held late.
    visit_mark_held(actor=therapist, visit=planned["I1.1"], held_on=i11_held_on)
    visit_mark_held(
        actor=therapist,
        visit=planned["D1"],
        held_on=planned["D1"].target_date + 10 * DAY,
        deviation_explanation="Late.",
    )
    i11 = _visit(participant1, "I1.1")
    assert i11.held_on == i11_held_on
    assert i11.target_date == planned["I1.1"].target_date
    assert _visit(participant1, "I1.2").target_date == planned["I1.2"].target_date + 10 * DAY


def test_eligibility_confirmation_creates_the_schedule(investigator, therapist, site1, password):
    StudyScreeningConfigFactory(study=site1.study)
    attempt = screened_attempt(actor=therapist, site=site1)
    assert not Visit.objects.filter(participant=attempt.participant).exists()

    screening_services.eligibility_confirm(
        actor=investigator, attempt=attempt, password=password, on=datetime.date(2026, 6, 2)
    )

    participant = Participant.objects.get(pk=attempt.participant.pk)
    visits = list(Visit.objects.filter(participant=participant))
    assert len(visits) == 15
    assert DosingSession.objects.filter(visit__participant=participant).count() == 3
    d1 = next(v for v in visits if v.code == "D1")
    assert d1.target_date == datetime.date(2026, 6, 30)

    # A second confirmation (for example after a correction) does not add a second schedule.
    attempt.refresh_from_db()
    screening_services.eligibility_confirm(actor=investigator, attempt=attempt, password=password)
    assert Visit.objects.filter(participant=participant).count() == 15


# --- Starting a session -----------------------------------------------------------------------


def _start(session, actor, lead, co, **kwargs):
    kwargs.setdefault("started_at", timezone.now() - datetime.timedelta(hours=1))
    kwargs.setdefault("deviation_explanation", "Test day.")
    return flowsheet.dosing_session_start(
        actor=actor,
        session=session,
        lead_therapist=lead,
        co_therapist=co,
        expected_version=session.version,
        **kwargs,
    )


def test_start_records_the_team_and_holds_the_visit(session1, therapist, investigator):
    started_at = timezone.now() - datetime.timedelta(hours=1)
    _start(session1, therapist, therapist, investigator, started_at=started_at)
    session1.refresh_from_db()
    assert session1.status == DosingSession.Status.IN_PROGRESS
    assert session1.started_at == started_at
    assert (session1.lead_therapist, session1.co_therapist) == (therapist, investigator)
    visit = session1.visit
    visit.refresh_from_db()
    assert visit.status == Visit.Status.HELD
    assert visit.held_on == timezone.localtime(started_at).date()
    assert _entries(session1).filter(action=LogEntry.Action.UPDATE).exists()


def test_start_inside_the_window_needs_no_explanation(site1, therapist, investigator):
    participant = EnrolledParticipantFactory(
        site=site1, enrolled_on=timezone.localdate() - 28 * DAY
    )
    visit_schedule_create(actor=therapist, participant=participant)
    session = DosingSession.objects.get(visit__participant=participant, visit__code="D1")
    _start(session, therapist, therapist, investigator, deviation_explanation="")
    session.visit.refresh_from_db()
    assert session.visit.status == Visit.Status.HELD
    assert not session.visit.is_out_of_window


def test_start_outside_the_window_without_explanation_is_refused(session1, therapist, investigator):
    with pytest.raises(ValidationError) as caught:
        _start(session1, therapist, therapist, investigator, deviation_explanation="")
    assert "deviation_explanation" in caught.value.message_dict
    session1.refresh_from_db()
    assert session1.status == DosingSession.Status.NOT_STARTED
    assert session1.visit.status == Visit.Status.SCHEDULED


def test_the_team_must_be_two_different_people(session1, therapist):
    with pytest.raises(ValidationError) as caught:
        _start(session1, therapist, therapist, therapist)
    assert "co_therapist" in caught.value.message_dict
    session1.refresh_from_db()
    assert session1.status == DosingSession.Status.NOT_STARTED


def test_a_therapist_of_another_site_cannot_be_on_the_team(
    session1, therapist, investigator, therapist2
):
    with pytest.raises(ValidationError) as caught:
        _start(session1, therapist, therapist, therapist2)
    assert "co_therapist" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _start(session1, therapist, therapist2, investigator)
    assert "lead_therapist" in caught.value.message_dict
    session1.refresh_from_db()
    assert session1.status == DosingSession.Status.NOT_STARTED
    assert session1.lead_therapist is None


def test_a_monitor_cannot_be_on_the_team(session1, therapist, monitor):
    with pytest.raises(ValidationError) as caught:
        _start(session1, therapist, therapist, monitor)
    assert "co_therapist" in caught.value.message_dict


def test_a_session_starts_once(started_session, therapist, investigator):
    with pytest.raises(FlowsheetError, match="already started"):
        _start(started_session, therapist, therapist, investigator)


def test_a_session_cannot_start_in_the_future(session1, therapist, investigator):
    with pytest.raises(ValidationError) as caught:
        _start(
            session1,
            therapist,
            therapist,
            investigator,
            started_at=timezone.now() + datetime.timedelta(hours=1),
        )
    assert "started_at" in caught.value.message_dict


# --- Presence and pre-dose checks -------------------------------------------------------------


def test_each_therapist_attests_presence_with_their_own_password(
    started_session, therapist, investigator, password
):
    flowsheet.presence_attest(
        actor=therapist, session=started_session, role="lead", password=password
    )
    flowsheet.presence_attest(
        actor=therapist, session=started_session, role="co", password=password
    )
    started_session.refresh_from_db()
    assert started_session.lead_attested_at is not None
    assert started_session.co_attested_at is not None
    reasons = set(_entries(started_session).values_list("reason", flat=True))
    assert f"{investigator.printed_name} attests presence" in reasons


def test_presence_with_a_wrong_password_is_refused(
    started_session, therapist, investigator, password
):
    investigator.set_password("investigators-own-pw-9")
    investigator.save()
    with pytest.raises(ValidationError) as caught:
        # The therapist's password does not attest the co-therapist's presence.
        flowsheet.presence_attest(
            actor=therapist, session=started_session, role="co", password=password
        )
    assert "password" in caught.value.message_dict
    with pytest.raises(ValidationError):
        flowsheet.presence_attest(
            actor=therapist, session=started_session, role="lead", password="wrong"
        )
    started_session.refresh_from_db()
    assert started_session.lead_attested_at is None
    assert started_session.co_attested_at is None


def test_presence_before_the_start_is_refused(session1, therapist, password):
    with pytest.raises(FlowsheetError):
        flowsheet.presence_attest(actor=therapist, session=session1, role="lead", password=password)


def test_predose_checks_are_recorded(checked):
    assert checked.predose_done
    assert checked.pregnancy_test == DosingSession.PregnancyTest.NEGATIVE
    assert checked.cssrs_pre_ideation == 1
    assert checked.predose_checked_at is not None


def test_predose_checks_before_the_start_are_refused(session1, therapist):
    with pytest.raises(FlowsheetError):
        _checks(session1, therapist)


def test_predose_checks_from_a_stale_form_are_refused(checked, therapist):
    with pytest.raises(ConcurrentEditError):
        _checks(checked, therapist, expected_version=checked.version - 1)


# --- The initial dose -------------------------------------------------------------------------


def _give_initial(session, actor, at=None):
    return flowsheet.dose_initial_administer(
        actor=actor,
        session=session,
        dose_mg=120,
        kit_number="KIT-2002",
        administered_at=at or session.started_at + 20 * MINUTE,
    )


def _predose_vitals(session, actor):
    return _record(session, actor, session.started_at + 5 * MINUTE, systolic=120, diastolic=80)


def test_initial_dose_after_checks_and_vitals(checked, therapist):
    _predose_vitals(checked, therapist)
    dose = _give_initial(checked, therapist)
    assert dose.kind == DoseAdministration.Kind.INITIAL
    assert dose.dose_mg == 120
    assert dose.recorded_by == therapist
    assert _entries(dose).filter(action=LogEntry.Action.CREATE).count() == 1


def test_initial_dose_before_the_checks_is_refused(started_session, therapist):
    _predose_vitals(started_session, therapist)
    with pytest.raises(FlowsheetError, match="pre-dose checks"):
        _give_initial(started_session, therapist)
    assert not DoseAdministration.objects.exists()


def test_initial_dose_without_predose_vitals_is_refused(checked, therapist):
    # SUDS alone, or vitals taken only after the dose time, are not pre-dose vital signs.
    _record(checked, therapist, checked.started_at + 5 * MINUTE, suds=2)
    _record(checked, therapist, checked.started_at + 30 * MINUTE, systolic=120, diastolic=80)
    with pytest.raises(FlowsheetError, match="vital signs"):
        _give_initial(checked, therapist, at=checked.started_at + 20 * MINUTE)
    assert not DoseAdministration.objects.exists()


def test_initial_dose_with_a_positive_pregnancy_test_is_refused(attested_session, therapist):
    _checks(attested_session, therapist, pregnancy_test=DosingSession.PregnancyTest.POSITIVE)
    _predose_vitals(attested_session, therapist)
    with pytest.raises(FlowsheetError, match="pregnancy"):
        _give_initial(attested_session, therapist)
    assert not DoseAdministration.objects.exists()


@pytest.mark.parametrize("ideation", [4, 5])
def test_initial_dose_with_cssrs_ideation_with_intent_is_refused(
    attested_session, therapist, ideation
):
    _checks(attested_session, therapist, cssrs_pre_ideation=ideation)
    _predose_vitals(attested_session, therapist)
    with pytest.raises(FlowsheetError, match="C-SSRS"):
        _give_initial(attested_session, therapist)
    assert not DoseAdministration.objects.exists()


def test_initial_dose_with_cssrs_ideation_below_intent_is_allowed(attested_session, therapist):
    _checks(attested_session, therapist, cssrs_pre_ideation=3)
    _predose_vitals(attested_session, therapist)
    assert _give_initial(attested_session, therapist).pk


def test_initial_dose_before_the_session_started_is_refused(checked, therapist):
    _predose_vitals(checked, therapist)
    with pytest.raises(ValidationError) as caught:
        _give_initial(checked, therapist, at=checked.started_at - MINUTE)
    assert "administered_at" in caught.value.message_dict


def test_initial_dose_waits_for_both_therapists_to_attest_presence(started_session, therapist):
    _checks(started_session, therapist)
    with pytest.raises(FlowsheetError, match="attest their presence"):
        _give_initial(started_session, therapist)


def test_pre_dose_checks_are_closed_once_the_dose_is_given(dosed_session, therapist):
    with pytest.raises(FlowsheetError, match="closed once the dose is given"):
        _checks(
            dosed_session,
            therapist,
            pregnancy_test=DosingSession.PregnancyTest.POSITIVE,
            cssrs_pre_ideation=5,
            cssrs_pre_behaviour=True,
        )


def test_initial_dose_in_a_session_not_started_is_refused(session1, therapist):
    with pytest.raises(FlowsheetError):
        flowsheet.dose_initial_administer(
            actor=therapist,
            session=session1,
            dose_mg=120,
            kit_number="KIT-2002",
            administered_at=timezone.now(),
        )


def test_initial_dose_in_the_future_is_refused(checked, therapist):
    _predose_vitals(checked, therapist)
    with pytest.raises(ValidationError) as caught:
        _give_initial(checked, therapist, at=timezone.now() + datetime.timedelta(minutes=30))
    assert "administered_at" in caught.value.message_dict


def test_initial_dose_is_given_once(dosed_session, therapist):
    with pytest.raises(ValidationError):
        _give_initial(dosed_session, therapist, at=dosed_session.started_at + 30 * MINUTE)
    assert dosed_session.administrations.count() == 1


def test_initial_dose_strength_must_be_an_initial_one(checked, therapist):
    _predose_vitals(checked, therapist)
    with pytest.raises(ValidationError):
        flowsheet.dose_initial_administer(
            actor=therapist,
            session=checked,
            dose_mg=60,
            kit_number="KIT-2002",
            administered_at=checked.started_at + 20 * MINUTE,
        )


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
        _record(started_session, therapist, timezone.now(), **values)
    assert any(message in text for text in caught.value.message_dict[field])
    assert not VitalSignReading.objects.exists()


@pytest.mark.parametrize("diastolic", [120, 130])
def test_diastolic_not_below_systolic_is_refused(started_session, therapist, diastolic):
    with pytest.raises(ValidationError) as caught:
        _record(started_session, therapist, timezone.now(), systolic=120, diastolic=diastolic)
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
    reading = _record(started_session, therapist, timezone.now(), temperature="38.5")
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
    at = _record(started_session, therapist, timezone.now() - 20 * MINUTE, **at_threshold)
    assert at.flags == []
    assert not VitalSignAlert.objects.exists()

    reading = _record(started_session, therapist, timezone.now() - 10 * MINUTE, **over)
    assert reading.flags == [measurement]
    reading.refresh_from_db()
    assert reading.flags == [measurement]
    alert = VitalSignAlert.objects.get()
    assert alert.reading == reading
    assert alert.site == started_session.site
    assert [item["measurement"] for item in alert.exceeded] == [measurement]
    assert alert.exceeded[0]["value"] == str(over[measurement])


def test_several_measurements_over_their_thresholds(started_session, therapist):
    reading = _record(
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
    normal = _record(started_session, therapist, timezone.now() - 30 * MINUTE, pulse=100)
    assert normal.flags == []
    settings_ = StudySessionSettings(study=study, pulse_max=95, systolic_max=140)
    settings_.full_clean()
    settings_.save()

    pulse = _record(started_session, therapist, timezone.now() - 20 * MINUTE, pulse=100)
    pressure = _record(
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
    reading = _record(started_session, therapist, timezone.now(), pulse=90)
    assert not VitalSignAlert.objects.exists()
    reading = reading_correct(reading, therapist, reason="Misread the monitor", pulse=119)
    assert reading.flags == ["pulse"]
    assert VitalSignAlert.objects.filter(reading=reading).count() == 1


def test_readings_before_the_start_are_refused(session1, therapist):
    with pytest.raises(FlowsheetError):
        _record(session1, therapist, timezone.now(), pulse=80)


def test_readings_in_the_future_or_long_before_the_start_are_refused(started_session, therapist):
    with pytest.raises(ValidationError) as caught:
        _record(started_session, therapist, timezone.now() + 30 * MINUTE, pulse=80)
    assert "measured_at" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _record(
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
    dose_at = _dose_at(dosed_session)
    _record(dosed_session, therapist, dose_at + 90 * MINUTE, pulse=88)
    sheet = flowsheet_for(session=dosed_session)
    assert [r.elapsed_label for r in sheet.readings] == ["-0h05", "+1h30"]
    assert [r.elapsed for r in sheet.readings] == [-5, 90]
    assert sheet.initial.elapsed_label == "+0h00"


def test_first_reading_is_due_one_interval_after_the_dose(dosed_session):
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.next_due == _dose_at(dosed_session) + 30 * MINUTE
    assert not sheet.next_due_shortened


def test_next_reading_is_due_thirty_minutes_after_the_last(dosed_session, therapist):
    dose_at = _dose_at(dosed_session)
    _record(dosed_session, therapist, dose_at + 30 * MINUTE, systolic=130, diastolic=80)
    _record(dosed_session, therapist, dose_at + 65 * MINUTE, pulse=90)
    # SUDS alone is not a vital-sign reading: it does not reset the clock.
    _record(dosed_session, therapist, dose_at + 70 * MINUTE, suds=4)
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.next_due == dose_at + 95 * MINUTE
    assert not sheet.next_due_shortened


def test_next_reading_is_due_fifteen_minutes_after_a_flagged_one(dosed_session, therapist):
    dose_at = _dose_at(dosed_session)
    _record(dosed_session, therapist, dose_at + 30 * MINUTE, pulse=90)
    _record(dosed_session, therapist, dose_at + 40 * MINUTE, systolic=170, diastolic=95)
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.next_due == dose_at + 55 * MINUTE
    assert sheet.next_due_shortened
    # Back under the thresholds: the usual interval again.
    _record(dosed_session, therapist, dose_at + 55 * MINUTE, systolic=150, diastolic=95)
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.next_due == dose_at + 85 * MINUTE
    assert not sheet.next_due_shortened


def test_next_reading_due_uses_the_studys_intervals(dosed_session, therapist, study):
    settings_ = StudySessionSettings(
        study=study, reading_interval_minutes=20, alert_interval_minutes=10
    )
    settings_.full_clean()
    settings_.save()
    dose_at = _dose_at(dosed_session)
    flagged = _record(dosed_session, therapist, dose_at + 30 * MINUTE, pulse=125)
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


# --- The supplemental dose --------------------------------------------------------------------


def _supplemental(session, actor, minutes, **kwargs):
    kwargs.setdefault("dose_mg", 60)
    kwargs.setdefault("kit_number", "KIT-1002")
    kwargs.setdefault("reason", "Participant asked; vitals stable.")
    return flowsheet.supplemental_decide(
        actor=actor,
        session=session,
        decision=DosingSession.Supplemental.GIVE,
        administered_at=_dose_at(session) + minutes * MINUTE,
        **kwargs,
    )


@pytest.mark.parametrize("minutes", [90, 120, 150])
def test_supplemental_half_dose_inside_its_window(dosed_session, therapist, minutes):
    _supplemental(dosed_session, therapist, minutes)
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == DosingSession.Supplemental.GIVE
    assert dosed_session.supplemental_reason == "Participant asked; vitals stable."
    dose = dosed_session.administrations.get(kind=DoseAdministration.Kind.SUPPLEMENTAL)
    assert dose.dose_mg == 60
    assert dose.deviation_reason == ""
    sheet = flowsheet_for(session=dosed_session)
    assert sheet.supplemental == dose
    assert not any("Supplemental" in d for d in sheet.deviations)


@pytest.mark.parametrize("dose_mg", [40, 80, 120])
def test_supplemental_dose_must_be_half_the_initial_dose(dosed_session, therapist, dose_mg):
    with pytest.raises(ValidationError) as caught:
        _supplemental(dosed_session, therapist, 100, dose_mg=dose_mg)
    assert "60 mg" in caught.value.message_dict["dose_mg"][0]
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == ""
    assert dosed_session.administrations.count() == 1


def test_supplemental_decision_needs_a_reason(dosed_session, therapist):
    with pytest.raises(ValidationError) as caught:
        _supplemental(dosed_session, therapist, 100, reason="  ")
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        flowsheet.supplemental_decide(
            actor=therapist,
            session=dosed_session,
            decision=DosingSession.Supplemental.WITHHOLD,
            reason="",
        )
    assert "reason" in caught.value.message_dict
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == ""


@pytest.mark.parametrize("minutes", [60, 89, 151, 160])
def test_supplemental_outside_its_window_needs_a_deviation_reason(
    dosed_session, therapist, minutes
):
    with pytest.raises(ValidationError) as caught:
        _supplemental(dosed_session, therapist, minutes)
    message = caught.value.message_dict["deviation_reason"][0]
    assert elapsed_label(minutes) in message
    assert "+1h30 to +2h30" in message
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == ""
    assert dosed_session.administrations.count() == 1


def test_supplemental_outside_its_window_with_a_reason_is_a_listed_deviation(
    dosed_session, therapist
):
    _supplemental(dosed_session, therapist, 160, deviation_reason="Participant asleep at +2h30.")
    dose = dosed_session.administrations.get(kind=DoseAdministration.Kind.SUPPLEMENTAL)
    assert dose.deviation_reason == "Participant asleep at +2h30."
    deviations = flowsheet_for(session=dosed_session).deviations
    assert any(
        "Supplemental dose at +2h40" in d and "Participant asleep at +2h30." in d
        for d in deviations
    )


def test_supplemental_window_follows_the_study_settings(dosed_session, therapist, study):
    settings_ = StudySessionSettings(
        study=study, supplemental_earliest_minutes=60, supplemental_latest_minutes=180
    )
    settings_.full_clean()
    settings_.save()
    _supplemental(dosed_session, therapist, 170)
    assert dosed_session.administrations.get(kind="supplemental").deviation_reason == ""


def test_supplemental_cannot_precede_the_initial_dose(dosed_session, therapist):
    with pytest.raises(ValidationError) as caught:
        _supplemental(dosed_session, therapist, -5, deviation_reason="?")
    assert "administered_at" in caught.value.message_dict


def test_withholding_the_supplemental_dose(dosed_session, therapist):
    supplemental_withhold(dosed_session, therapist, reason="Blood pressure rising.")
    assert dosed_session.supplemental_decision == DosingSession.Supplemental.WITHHOLD
    assert dosed_session.supplemental_reason == "Blood pressure rising."
    assert dosed_session.supplemental_decided_at is not None
    assert dosed_session.administrations.count() == 1


def test_the_supplemental_decision_is_made_once(dosed_session, therapist):
    supplemental_withhold(dosed_session, therapist, reason="Blood pressure rising.")
    with pytest.raises(FlowsheetError, match="already"):
        _supplemental(dosed_session, therapist, 100)
    dosed_session.refresh_from_db()
    assert dosed_session.supplemental_decision == DosingSession.Supplemental.WITHHOLD
    assert dosed_session.administrations.count() == 1


def test_the_supplemental_decision_needs_the_initial_dose(checked, therapist):
    with pytest.raises(FlowsheetError, match="initial dose"):
        flowsheet.supplemental_decide(
            actor=therapist,
            session=checked,
            decision=DosingSession.Supplemental.WITHHOLD,
            reason="No.",
        )


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
        _record(ended, therapist, ended.ended_at - 2 * MINUTE, pulse=80)
    assert "reason" in caught.value.message_dict
    assert ended.readings.count() == count

    reading = _record(
        ended, therapist, ended.ended_at - 2 * MINUTE, pulse=80, reason="Paper note transcribed"
    )
    entry = _entries(reading).get()
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
        observed_at=_dose_at(dosed_session) + 45 * MINUTE,
        kind=Observation.Kind.INTERVENTION,
        text="  Offered water.  ",
    )
    assert observation.text == "Offered water."
    assert flowsheet_for(session=dosed_session).observations[0].elapsed_label == "+0h45"
    assert _entries(observation).count() == 1


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
        flowsheet.dosing_session_sign(actor=investigator, session=ended, password="wrong")
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
    entry = _entries(reading).order_by("-seq").first()
    assert entry.reason == "Transcription error"
    assert "pulse" in entry.changes


def test_a_late_reading_after_signing_voids_the_signature(signed, ended, therapist):
    _record(ended, therapist, ended.ended_at - 2 * MINUTE, pulse=80, reason="Found on paper")
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
