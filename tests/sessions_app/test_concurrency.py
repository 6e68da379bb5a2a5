"""Two people writing to one flowsheet at the same moment, each on their own connection.

These tests commit for real (PostgreSQL, transactional test case); each thread closes its
database connection when it is done so that the test database can be flushed afterwards.
"""

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone

from audit.services import ConcurrentEditError
from sessions_app.models import DosingSession, Visit, VitalSignReading
from sessions_app.services import flowsheet
from sessions_app.services.visits import visit_mark_missed

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 30


def _run_together(*calls):
    """Run each call in its own thread, released together by a barrier; results or exceptions."""
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = ("ok", call())
        except BaseException as exc:  # reported to the test below
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


def test_two_therapists_adding_readings_at_the_same_moment_both_keep_theirs(
    started_session, therapist, investigator
):
    at = timezone.now() - datetime.timedelta(minutes=2)

    def record(actor, pulse):
        return lambda: flowsheet.vital_sign_record(
            actor=actor, session=started_session, measured_at=at, pulse=pulse
        )

    outcomes = _run_together(record(therapist, 81), record(investigator, 82))

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    readings = VitalSignReading.objects.filter(session=started_session)
    assert sorted((r.recorded_by_id, r.pulse) for r in readings) == sorted(
        [(therapist.pk, 81), (investigator.pk, 82)]
    )


def test_the_second_of_two_simultaneous_corrections_is_refused(
    started_session, therapist, investigator
):
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=started_session,
        measured_at=timezone.now() - datetime.timedelta(minutes=10),
        systolic=130,
        diastolic=85,
        pulse=80,
    )
    version = reading.version

    def correct(actor, pulse):
        return lambda: flowsheet.vital_sign_correct(
            actor=actor,
            reading=reading,
            values={"pulse": pulse},
            expected_version=version,
            reason=f"Corrected to {pulse}",
        )

    outcomes = _run_together(correct(therapist, 91), correct(investigator, 92))

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    (winner,) = [value for kind, value in outcomes if kind == "ok"]
    (refusal,) = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(refusal, ConcurrentEditError)
    reading.refresh_from_db()
    assert reading.pulse == winner.pulse
    assert reading.version == version + 1
    assert reading.systolic == 130


def test_a_start_and_a_missed_visit_at_the_same_moment_leave_one_consistent_story(
    session1, therapist, investigator
):
    """Both lock the participant first: one wins, the other is refused on the state it finds."""
    visit = session1.visit

    def start():
        return flowsheet.dosing_session_start(
            actor=therapist,
            session=session1,
            started_at=timezone.now() - datetime.timedelta(minutes=5),
            lead_therapist=therapist,
            co_therapist=investigator,
            deviation_explanation="Held on the test day, whatever the window.",
            expected_version=session1.version,
        )

    def missed():
        return visit_mark_missed(
            actor=therapist, visit=visit, reason="Did not come", expected_version=visit.version
        )

    outcomes = _run_together(start, missed)

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    session1.refresh_from_db()
    visit.refresh_from_db()
    integrations = set(Visit.objects.filter(dosing_visit=visit).values_list("status", flat=True))
    if session1.status == DosingSession.Status.IN_PROGRESS:
        assert visit.status == Visit.Status.HELD and visit.missed_reason == ""
        assert integrations == {Visit.Status.SCHEDULED}
    else:
        assert session1.status == DosingSession.Status.NOT_STARTED
        assert visit.status == Visit.Status.MISSED
        assert integrations == {Visit.Status.MISSED}
