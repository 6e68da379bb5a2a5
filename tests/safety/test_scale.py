"""The pages of many adverse events read the database the same number of times with 10 events
as with 1,000: the list (site staff and monitor), the review queue and its filtered pages, the
dashboard of clocks and the monitor's home page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.adverse_events import bulk_adverse_events
from safety.models import AdverseEvent
from tests.participants.factories import EnrolledParticipantFactory

pytestmark = pytest.mark.django_db


def _reads(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_the_adverse_event_pages_read_alike_with_10_and_with_1000_events(
    login, monitor, therapist, site1, site2
):
    participants = [
        EnrolledParticipantFactory(
            site=site,
            study_code=f"S{site.number}-09{n:02d}",
            screening_number=f"SCR-9{n:02d}{site.number}",
        )
        for site in (site1, site2)
        for n in range(3)
    ]
    queue = reverse("safety:review_queue")
    pages = {
        monitor: [
            reverse("safety:ae_list"),
            queue,
            f"{queue}?state=all&seriousness=serious",
            f"{queue}?site={site1.pk}&coding=coded&special_interest=any",
            reverse("safety:clock_dashboard"),
            reverse("home"),
        ],
        therapist: [reverse("safety:ae_list"), f"{reverse('safety:ae_list')}?status=draft"],
    }

    def grow(to: int) -> None:
        bulk_adverse_events(
            participants=participants,
            reporter=therapist,
            monitor=monitor,
            count=to - AdverseEvent.objects.count(),
            seed=to,
        )

    # Every page lists something with 10 events already (a page of no rows reads less).
    def measure() -> dict:
        return {
            (user.username, url): _reads(login(user), url)
            for user, urls in pages.items()
            for url in urls
        }

    grow(10)
    measure()  # the process's caches (content types, permissions) filled first
    small = measure()
    grow(1000)
    assert AdverseEvent.objects.count() == 1000
    large = measure()
    assert large == small
    response = login(monitor).get(queue + "?state=all")
    assert response.context["page_obj"].paginator.count > 900
    assert len(response.context["adverse_events"]) == 25
    assert _reads(login(monitor), queue + "?state=all&page=30") == small[monitor.username, queue]
