"""Two monitors closing one query, or verifying one session, at the same moment, each on their
own connection (PostgreSQL, committed for real): one does it, the other is told."""

import pytest

from queries import services
from queries.models import Query, QueryMessage, SourceVerification
from records.edits import StepRefused
from tests.sessions_app.factories import monitor_of
from tests.sessions_app.test_concurrency import _run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_of_two_monitors_closing_at_once_one_wins_and_the_other_is_told(
    query, monitor, study, therapist
):
    services.query_answer(actor=therapist, query=query, text="Checked: right.")
    other = monitor_of("monitor2", study, first_name="Other", last_name="Monitor")

    def close(actor):
        return lambda: services.query_close(actor=actor, query=query, text=f"By {actor}")

    outcomes = _run_together(close(monitor), close(other))

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    (error,) = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, StepRefused)
    assert "closed meanwhile by" in str(error)
    assert Query.objects.get(pk=query.pk).state == Query.State.CLOSED
    assert QueryMessage.objects.filter(query=query, kind="close").count() == 1


def test_of_two_monitors_verifying_a_session_at_once_one_marks_it_the_other_is_told(
    reading, monitor, study
):
    session = reading.session
    other = monitor_of("monitor2", study, first_name="Other", last_name="Monitor")

    def verify(actor):
        return lambda: services.source_verify(actor=actor, record=session, with_parts=True)

    outcomes = _run_together(verify(monitor), verify(other))

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    (error,) = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, StepRefused) and "Already verified" in str(error)
    (done,) = [value for kind, value in outcomes if kind == "ok"]
    assert SourceVerification.objects.count() == done.marked == 1 + session.readings.count() + 1
