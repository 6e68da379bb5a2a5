"""The visit schedule's services: the course laid out on enrolment, visits held inside or outside
their window, and the visits after a dosing visit held late moved with it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import LogEntry
from participants.models import Participant
from screening import services as screening_services
from sessions_app import schedule
from sessions_app.models import DosingSession, Visit
from sessions_app.services.visits import visit_mark_held, visit_schedule_create
from tests.participants.factories import ParticipantFactory
from tests.screening.factories import StudyScreeningConfigFactory, screened_attempt
from tests.sessions_app.factories import log_entries_of

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


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
        entry = log_entries_of(visit).get()
        assert entry.action == LogEntry.Action.CREATE
        assert entry.reason == "Visit schedule generated on enrolment"
    for session in DosingSession.objects.filter(visit__participant=participant1):
        assert log_entries_of(session).filter(action=LogEntry.Action.CREATE).count() == 1


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
    entry = log_entries_of(d1).order_by("-seq").first()
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
    entry = log_entries_of(now["D2"]).order_by("-seq").first()
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
