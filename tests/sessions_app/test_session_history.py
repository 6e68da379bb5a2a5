"""A dosing session's history: the session and everything recorded on it, in one query."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import LogEntry
from audit.selectors import history_for
from sessions_app.models import VitalSignReading
from sessions_app.services import flowsheet

pytestmark = pytest.mark.django_db


def _record_readings(session, user, count, start_minute):
    for n in range(count):
        flowsheet.vital_sign_record(
            actor=user,
            session=session,
            measured_at=session.started_at + datetime.timedelta(minutes=start_minute + n),
            systolic=120 + n,
            diastolic=80,
            pulse=70,
        )


def test_history_for_matches_querysets_as_it_matches_the_records(dosed_session):
    readings = VitalSignReading.objects.filter(session=dosed_session)
    by_records = list(history_for(records=[dosed_session, *readings]))
    by_queryset = list(history_for(records=[dosed_session, readings]))
    assert by_queryset == by_records
    reading_type = ContentType.objects.get_for_model(VitalSignReading)
    assert any(entry.content_type == reading_type for entry in by_queryset)


def test_session_history_lists_readings_with_a_query_count_that_does_not_grow(
    login, therapist, dosed_session
):
    client = login(therapist)
    url = reverse("sessions_app:history", args=[dosed_session.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    _record_readings(dosed_session, therapist, 6, start_minute=20)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    reading_entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(VitalSignReading),
        action=LogEntry.Action.CREATE,
    )
    assert reading_entries.count() == 7
    shown = {entry.pk for entry in response.context["entries"]}
    assert set(reading_entries.values_list("pk", flat=True)) <= shown
    audit_query = next(
        q["sql"] for q in many.captured_queries if 'FROM "audit_logentry"' in q["sql"]
    )
    assert audit_query.count("object_pk") < 10  # one condition per type, not per reading
