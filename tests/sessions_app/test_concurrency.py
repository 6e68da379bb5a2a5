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
from sessions_app.models import VitalSignReading
from sessions_app.services import flowsheet

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
