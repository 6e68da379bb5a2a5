"""Sessions fixtures: participant1's course, and its first dosing session at each stage."""

import datetime

import pytest
from django.utils import timezone

from sessions_app.models import DosingSession
from sessions_app.services import flowsheet
from sessions_app.services.visits import visit_schedule_create
from tests.sessions_app.factories import (
    dosed_session_of,
    initial_of,
    monitor_of,
    predose_and_dose,
    predose_checks,
    session_end,
    supplemental_withhold,
)


@pytest.fixture
def course1(participant1, therapist):
    """The 15 visits of participant1 (S01-0001, site 1)."""
    return visit_schedule_create(actor=therapist, participant=participant1)


@pytest.fixture
def session1(course1):
    """participant1's first dosing session, not started."""
    return DosingSession.objects.select_related("visit__participant__site").get(
        visit__participant=course1[0].participant, visit__code="D1"
    )


@pytest.fixture
def started_session(session1, therapist, investigator):
    """Started 3 hours ago by `therapist` (lead) and `investigator` (co-therapist)."""
    started_at = timezone.now() - datetime.timedelta(hours=3)
    flowsheet.dosing_session_start(
        actor=therapist,
        session=session1,
        started_at=started_at,
        lead_therapist=therapist,
        co_therapist=investigator,
        deviation_explanation="Held on the test day, whatever the window.",
        expected_version=session1.version,
    )
    session1.refresh_from_db()
    return session1


@pytest.fixture
def attested_session(started_session, therapist, password):
    """Started, and both therapists have attested their presence."""
    for role in ("lead", "co"):
        flowsheet.presence_attest(
            actor=therapist, session=started_session, role=role, password=password
        )
    started_session.refresh_from_db()
    return started_session


@pytest.fixture
def checked(attested_session, therapist):
    """Started, presence attested, pre-dose checks passed (C-SSRS 1), no vitals yet."""
    predose_checks(attested_session, therapist, cssrs_pre_ideation=1)
    return attested_session


@pytest.fixture
def dosed_session(attested_session, therapist):
    """Pre-dose checks and vitals done; 120 mg initial dose given 2h50 ago (10 min after start)."""
    return predose_and_dose(
        attested_session, therapist, kit_number="KIT-1001", temperature="36.8", suds=3
    )


@pytest.fixture
def held_dosing_session(session1, therapist, investigator):
    """participant1's first dosing session, held on its target day (weeks ago, in its window).

    Started at 09:00, dosed (120 mg, supplemental withheld) and ended at 17:00, so that the
    integration sessions after it can be written.
    """
    started_at = timezone.make_aware(
        datetime.datetime.combine(session1.visit.target_date, datetime.time(9, 0))
    )
    session = dosed_session_of(
        session1.visit.participant,
        therapist,
        investigator,
        started_at=started_at,
        deviation_explanation="",
        kit_number="KIT-1001",
    )
    supplemental_withhold(
        session, therapist, reason="Participant settled; no supplemental dose needed"
    )
    return session_end(session, therapist, ended_at=started_at + datetime.timedelta(hours=8))


@pytest.fixture
def given(dosed_session, therapist):
    """The supplemental 60 mg given 100 minutes after the initial 120 mg (inside the window)."""
    flowsheet.supplemental_decide(
        actor=therapist,
        session=dosed_session,
        decision=DosingSession.Supplemental.GIVE,
        reason="Participant asked; vitals stable.",
        dose_mg=60,
        kit_number="KIT-1002",
        administered_at=initial_of(dosed_session).administered_at + datetime.timedelta(minutes=100),
    )
    dosed_session.refresh_from_db()
    return dosed_session


@pytest.fixture
def withheld(dosed_session, therapist):
    """The supplemental dose withheld ("Blood pressure rising.")."""
    return supplemental_withhold(dosed_session, therapist)


@pytest.fixture
def ended(withheld, therapist):
    """Dosed, supplemental withheld, ended 10 minutes ago, ready for the overnight stay."""
    ended_at = timezone.now() - datetime.timedelta(minutes=10)
    return session_end(withheld, therapist, ended_at=ended_at)


@pytest.fixture
def signed(ended, investigator, password):
    """`ended`, signed by the investigator (its co-therapist, who acknowledges it): the
    signature."""
    signature = flowsheet.dosing_session_sign(
        actor=investigator, session=ended, password=password, team_acknowledged=True
    )
    ended.refresh_from_db()
    return signature


@pytest.fixture
def monitors(study, monitor):
    """Two active monitors of the study, with their email addresses."""
    return [monitor, monitor_of("monitor_b", study)]
