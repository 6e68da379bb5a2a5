"""The worklists as queries grow: each page reads the same number of times with 10 queries as
with 1,000 (the monitor's worklist, its filtered pages, the site's home page, the navigation's
count and the participant page's count), and the worklist is paginated."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from queries import services
from queries.models import Query
from sessions_app.models import Visit

pytestmark = pytest.mark.django_db


def _grow(to: int, *, monitor, therapist, records) -> None:
    """Raise queries (on the records in turn) until there are `to`; a quarter answered, one in
    ten of those closed (so the worklist of all states says whether data changed since)."""
    for i in range(Query.objects.count(), to):
        query = services.query_raise(actor=monitor, record=records[i % len(records)], text=f"Q{i}")
        if i % 4 == 0:
            query = services.query_answer(actor=therapist, query=query, text="Checked.")
            if i % 40 == 0:
                services.query_close(actor=monitor, query=query)


def _reads(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def _pages(participant, site) -> dict[str, list[str]]:
    worklist = reverse("queries:list")
    return {
        "monitor": [
            worklist,
            f"{worklist}?state=all",
            f"{worklist}?state=answered&site={site.pk}&kind=sessions_app.vitalsignreading",
            reverse("home"),
            reverse("participants:detail", args=[participant.pk]),
        ],
        "therapist": [
            f"{worklist}?state=open",
            reverse("home"),
            reverse("participants:detail", args=[participant.pk]),
        ],
    }


def test_the_worklists_read_alike_with_10_and_with_1000_queries(
    login, monitor, therapist, reading, participant1
):
    visit = Visit.objects.get(participant=participant1, code="D1")
    users = {"monitor": monitor, "therapist": therapist}
    pages = _pages(participant1, participant1.site)
    grow = {"monitor": monitor, "therapist": therapist, "records": [reading, visit]}

    _grow(10, **grow)
    for role, urls in pages.items():  # the process's caches (content types) filled first
        for url in urls:
            _reads(login(users[role]), url)
    small = {
        (role, url): _reads(login(users[role]), url) for role, urls in pages.items() for url in urls
    }
    _grow(1000, **grow)
    large = {
        (role, url): _reads(login(users[role]), url) for role, urls in pages.items() for url in urls
    }
    assert large == small
    later_page = _reads(login(monitor), reverse("queries:list") + "?page=30")
    assert later_page == small["monitor", reverse("queries:list")]


def test_the_worklist_shows_a_page_of_25_and_counts_them_all(login, monitor, therapist, reading):
    _grow(60, monitor=monitor, therapist=therapist, records=[reading])
    response = login(monitor).get(reverse("queries:list") + "?state=all&page=3")
    assert len(response.context["queries"]) == 10
    assert response.context["page_obj"].paginator.count == 60
    assert "Page 3 of 3 (60 in all)" in response.content.decode()
