"""The staff home lists the first ten queries waiting for the site's answer with the count of
all, read with the rows in one query (the navigation's badge counts them on its own)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from queries import services

pytestmark = pytest.mark.django_db


def _raise(monitor, reading, count: int) -> None:
    for n in range(count):
        services.query_raise(actor=monitor, record=reading, text=f"Query {n}?")


def _home(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    sql = [q["sql"] for q in queries.captured_queries]
    counts = [q for q in sql if "COUNT(*)" in q and "queries_query" in q]
    rows = [q for q in sql if "OVER ()" in q and 'FROM "queries_query"' in q]
    return response, len(counts), len(rows)


def test_more_than_ten_waiting_are_counted_in_all(login, therapist, monitor, reading):
    _raise(monitor, reading, 12)
    response, count_queries, row_queries = _home(login(therapist))
    assert response.context["site_query_count"] == 12
    assert len(response.context["site_queries"]) == 10
    assert "All 12 open queries" in response.content.decode()
    assert (count_queries, row_queries) == (1, 1)  # the badge's count; the rows with theirs
