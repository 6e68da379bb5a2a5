"""Starting a dosing session: the two-therapist team of the site, the visit held, its window."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import LogEntry
from sessions_app.models import DosingSession, Visit
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import FlowsheetError
from sessions_app.services.visits import visit_schedule_create
from tests.participants.factories import EnrolledParticipantFactory
from tests.sessions_app.factories import log_entries_of

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


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
    assert log_entries_of(session1).filter(action=LogEntry.Action.UPDATE).exists()


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
