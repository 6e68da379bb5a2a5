"""What a request costs in queries: the flowsheet, a reading posted to it and the staff home read
the database a fixed number of times, however many readings the session holds (issue 16)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sessions_app.services import flowsheet

pytestmark = pytest.mark.django_db

FLOWSHEET_QUERIES = 10
READING_QUERIES = 15


def _readings(session, therapist, count: int) -> None:
    """`count` readings within every threshold, one a minute from the dose on."""
    start = session.started_at + datetime.timedelta(minutes=11)
    for n in range(count):
        flowsheet.vital_sign_record(
            actor=therapist,
            session=session,
            measured_at=start + datetime.timedelta(minutes=n),
            systolic=120 + n % 30,
            diastolic=80,
            pulse=70 + n % 30,
            temperature="36.9",
            suds=n % 11,
        )


def _queries(request) -> list[str]:
    """The statements `request` sends, savepoints aside: the test's own transaction turns each
    transaction of the request into a savepoint, which in production costs no statement."""
    with CaptureQueriesContext(connection) as queries:
        request()
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def _reading_form(n: int) -> dict:
    at = timezone.localtime() - datetime.timedelta(seconds=n)
    return {
        "action": "reading",
        "reading-measured_at": at.strftime("%Y-%m-%dT%H:%M"),
        "reading-systolic": "128",
        "reading-diastolic": "82",
        "reading-pulse": "76",
        "reading-temperature": "36.8",
        "reading-suds": "2",
    }


def _flowsheet_get(client, session):
    def request():
        assert client.get(reverse("sessions_app:flowsheet", args=[session.pk])).status_code == 200

    return request


def _reading_post(client, session, n: int):
    def request():
        url = reverse("sessions_app:flowsheet", args=[session.pk])
        response = client.post(url, _reading_form(n))
        assert response.status_code == 302, response.content.decode()[:2000]

    return request


def test_flowsheet_reads_the_database_ten_times_with_2_or_50_readings(
    login, therapist, dosed_session
):
    client = login(therapist)
    _flowsheet_get(client, dosed_session)()  # content types and the like, cached once
    _readings(dosed_session, therapist, 1)
    few = _queries(_flowsheet_get(client, dosed_session))
    _readings(dosed_session, therapist, 48)
    assert dosed_session.readings.count() == 50
    many = _queries(_flowsheet_get(client, dosed_session))
    assert len(few) <= FLOWSHEET_QUERIES, "\n".join(few)
    assert len(many) == len(few), "\n".join(many)


def test_recording_a_reading_costs_at_most_fifteen_queries_with_2_or_50_readings(
    login, therapist, dosed_session
):
    client = login(therapist)
    _reading_post(client, dosed_session, 0)()
    few = _queries(_reading_post(client, dosed_session, 1))
    _readings(dosed_session, therapist, 47)
    assert dosed_session.readings.count() == 50
    many = _queries(_reading_post(client, dosed_session, 2))
    assert len(few) <= READING_QUERIES, "\n".join(few)
    assert len(many) == len(few), "\n".join(many)
    assert dosed_session.readings.count() == 51


def test_staff_home_reads_the_database_as_often_with_2_or_50_readings(
    login, therapist, dosed_session
):
    client = login(therapist)

    def home():
        assert client.get(reverse("home")).status_code == 200

    home()
    _readings(dosed_session, therapist, 1)
    few = _queries(home)
    _readings(dosed_session, therapist, 48)
    many = _queries(home)
    assert len(many) == len(few), "\n".join(many)


@pytest.mark.django_db(transaction=True)
def test_a_posted_reading_takes_the_audit_chains_lock_once(login, therapist, dosed_session):
    """The casebook guard takes it before the reading is written; the reading's audit entry,
    in the same transaction, does not wait for it again."""
    client = login(therapist)
    before = dosed_session.readings.count()
    with CaptureQueriesContext(connection) as queries:
        _reading_post(client, dosed_session, 0)()
    locks = [q for q in queries.captured_queries if "pg_advisory_xact_lock" in q["sql"]]
    assert len(locks) == 1
    assert dosed_session.readings.count() == before + 1
