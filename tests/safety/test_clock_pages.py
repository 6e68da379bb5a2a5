"""The 24-hour clock of a serious adverse event where the site works: on the event (with its
start and due time in the site's zone), in the list, on the site staff's home page and in the
investigator's worklist; a report after 24 hours says how late it was."""

import datetime
import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safety.models import AdverseEvent
from safety.review import review_assess
from tests.participants.factories import EnrolledParticipantFactory
from tests.safety.factories import draft, submitted

pytestmark = pytest.mark.django_db

HOME = reverse("home")
LIST = reverse("safety:ae_list")
SERIOUS = {"serious_hospitalisation": True}


def _ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


def _times(aware_ago: datetime.timedelta) -> dict:
    """Onset and awareness of an event the site learned of `aware_ago`, still ongoing."""
    now = timezone.now()
    return {
        "onset_at": now - aware_ago - datetime.timedelta(hours=1),
        "aware_at": now - aware_ago,
        "ended_at": None,
        "ongoing": True,
    }


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"')[1].split("</section>")[0]


@pytest.fixture
def late(therapist, investigator, participant1):
    """A serious event submitted 27 h 10 min after the site's awareness."""
    times = _times(datetime.timedelta(hours=27, minutes=10))
    return submitted(therapist, investigator, participant1, **SERIOUS, **times)


@pytest.fixture
def running(therapist, participant1):
    """A serious draft the site learned of 2 hours ago."""
    return draft(therapist, participant1, **SERIOUS, **_times(datetime.timedelta(hours=2)))


def test_the_event_shows_its_clock_with_start_and_due_in_the_sites_zone(
    login, therapist, site1, running
):
    site1.time_zone = "America/Chicago"
    site1.save()
    page = login(therapist).get(reverse("safety:ae_detail", args=[running.pk])).content.decode()
    card = _text(_section(page, "ae-clocks"))
    zone = site1.zoneinfo
    aware = timezone.localtime(running.aware_at, zone)
    due = aware + datetime.timedelta(hours=24)
    assert "Reporting clocks" in card and "24-hour report to the sponsor" in card
    assert f"{aware:%d %b %Y %H:%M} C" in card  # CST or CDT, the site's zone
    assert f"{due:%d %b %Y %H:%M} C" in card
    assert re.search(r"(21 h 5\d min|22 h) left", card)
    assert "running" in card


def test_a_late_submission_says_by_how_much_on_the_event_and_in_the_list(
    login, monitor, therapist, late
):
    client = login(therapist)
    detail = client.get(reverse("safety:ae_detail", args=[late.pk])).content.decode()
    assert "Submitted 3 h 10 min late" in _text(_section(detail, "ae-clocks"))
    row = client.get(LIST).content.decode().split('data-testid="ae-row-clocks">')[1]
    assert (
        _text(row.split("</td>")[0]) == "24-hour report to the sponsor: Submitted 3 h 10 min late"
    )
    # The monitor's list too.
    assert "Submitted 3 h 10 min late" in login(monitor).get(LIST).content.decode()


def test_a_timely_submission_shows_the_clock_met_and_a_plain_event_none(
    login, therapist, investigator, participant1
):
    timely = submitted(
        therapist, investigator, participant1, **SERIOUS, **_times(datetime.timedelta(hours=3))
    )
    plain = submitted(therapist, investigator, participant1)
    client = login(therapist)
    detail = client.get(reverse("safety:ae_detail", args=[timely.pk])).content.decode()
    assert 'data-clock="met"' in detail and "late" not in _section(detail, "ae-clocks")
    page = client.get(reverse("safety:ae_detail", args=[plain.pk])).content.decode()
    assert 'data-testid="ae-clocks"' not in page


def test_a_susars_clocks_show_day_0_and_the_end_of_the_due_day(
    login, monitor, therapist, investigator, participant1
):
    ae = submitted(therapist, investigator, participant1, **SERIOUS)
    review_assess(
        actor=monitor,
        review=ae.review,
        expected_version=ae.review.version,
        sponsor_causality=AdverseEvent.Causality.PROBABLE,
        expected=False,
        reference_safety_information=None,
    )
    page = login(monitor).get(reverse("safety:ae_detail", args=[ae.pk])).content.decode()
    card = _text(_section(page, "ae-clocks"))
    today = timezone.localdate(timezone=participant1.site.zoneinfo)
    due = today + datetime.timedelta(days=15)
    assert f"SUSAR report, 15 days day 0: {today:%d %b %Y} end of {due:%d %b %Y} running" in card
    assert re.search(r"running 15 days( \d+ h)? left", card)


def _home_card(client) -> list[str]:
    body = client.get(HOME).content.decode()
    items = re.findall(
        r'<li data-testid="serious-clock".*?</li>', _section(body, "serious-clocks"), re.S
    )
    return [_text(item) for item in items]


def test_the_home_page_lists_the_sites_running_and_late_clocks(
    login, therapist, investigator, therapist2, participant1, participant2, running, late
):
    submitted(therapist, investigator, participant1)  # not serious: no clock
    on_time = submitted(
        therapist, investigator, participant1, **SERIOUS, **_times(datetime.timedelta(hours=1))
    )
    other_site = draft(therapist2, participant2, **SERIOUS)
    for user in (therapist, investigator):
        items = _home_card(login(user))
        assert len(items) == 2
        assert items[0].startswith(f"AE {running.pk} · S01-0001")
        assert re.search(r"(21 h 5\d min|22 h) left", items[0])
        assert items[1].startswith(f"AE {late.pk} · S01-0001")
        assert "Submitted 3 h 10 min late" in items[1]
        assert all(f"AE {ae.pk} " not in " ".join(items) for ae in (on_time, other_site))
    (item,) = _home_card(login(therapist2))
    assert item.startswith(f"AE {other_site.pk} · S02-0001")


def test_a_late_report_leaves_the_home_page_after_a_week(
    login, therapist, investigator, participant1
):
    for reported_ago in (6, 8):  # days ago, each 2 hours late
        with mock.patch("django.utils.timezone.now", return_value=_ago(days=reported_ago)):
            ae = submitted(
                therapist,
                investigator,
                participant1,
                **SERIOUS,
                **_times(datetime.timedelta(hours=26)),
            )
        if reported_ago == 6:
            recent = ae
    (item,) = _home_card(login(therapist))
    assert item.startswith(f"AE {recent.pk} ") and "Submitted 2 h late" in item


def test_the_investigators_worklist_says_the_time_left_of_a_serious_draft(
    login, investigator, therapist, participant1, running
):
    draft(therapist, participant1)
    body = login(investigator).get(HOME).content.decode()
    notes = re.findall(
        r'<span class="badge text-bg-warning">([^<]*)</span>', _section(body, "worklist")
    )
    assert "draft" in notes
    assert any(re.fullmatch(r"serious draft: (21 h 5\d min|22 h) left", note) for note in notes)


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    return len(queries)


def test_the_home_card_takes_the_same_queries_for_2_and_30_serious_events(
    login, therapist, investigator, site1, participant1
):
    participants = [participant1] + [
        EnrolledParticipantFactory(
            site=site1, study_code=f"S01-07{n:02d}", screening_number=f"SCR01-07{n:02d}"
        )
        for n in range(3)
    ]
    for n in range(2):
        draft(therapist, participants[n], **SERIOUS, **_times(datetime.timedelta(hours=n + 1)))
    client = login(investigator)
    client.get(HOME)  # caches warmed
    at_2 = _home_queries(client)
    for n in range(28):
        values = _times(datetime.timedelta(hours=n % 20 + 1))
        if n % 2:
            submitted(therapist, investigator, participants[n % 4], **SERIOUS, **values)
        else:
            draft(therapist, participants[n % 4], **SERIOUS, **values)
    assert _home_queries(client) == at_2
