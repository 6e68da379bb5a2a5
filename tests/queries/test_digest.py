"""Queries waiting for their counterpart: on the home page and in the navigation at once, and in
one digest email a day per user (however many workers run it)."""

import datetime
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import user_scope
from queries import services
from queries.context_processors import queries_waiting
from queries.models import QueryDigest
from queries.tasks import query_digest_send, query_digests_send
from tests.sessions_app.test_concurrency import _run_together

pytestmark = pytest.mark.django_db


def _today() -> str:
    """The day the scheduled task sends for (the site's local date), not a fixed date: a
    fixed one becomes "today" itself on the calendar."""
    return timezone.localdate().isoformat()


def _detail(query):
    return reverse("queries:detail", args=[query.pk])


def _emails_to(user) -> list:
    """The digests emailed to `user` (not the alert emails of the reading over a threshold)."""
    return [
        message
        for message in mail.outbox
        if message.to == [user.email] and "waiting for you" in message.subject
    ]


# At once: the home page and the navigation.


def test_a_raised_query_shows_on_the_therapists_next_page_and_its_answer_on_the_monitors(
    login, therapist, monitor, reading
):
    client = login(therapist)
    page = client.get(reverse("participants:list")).content.decode()
    assert 'data-testid="nav-queries-waiting"' not in page
    query = services.query_raise(actor=monitor, record=reading, text="Cuff size?")

    home = client.get(reverse("home")).content.decode()
    assert _detail(query) in home and 'data-testid="site-query"' in home
    other = client.get(reverse("participants:list"))
    assert other.context["queries_waiting"] == 1
    assert 'data-testid="nav-queries-waiting">1<' in other.content.decode()
    assert other.context["queries_waiting_url"] == reverse("queries:list") + "?state=open"
    assert (
        f'href="{reverse("queries:list")}?state=open" data-testid="nav-queries"'
        in other.content.decode()
    )

    client = login(monitor)
    nothing = client.get(reverse("home"))
    assert nothing.context["queries_waiting"] == 0
    assert f'href="{reverse("queries:list")}" data-testid="nav-queries"' in nothing.content.decode()
    services.query_answer(actor=therapist, query=query, text="Adult cuff, re-measured.")
    home = client.get(reverse("home"))
    assert home.context["queries_waiting"] == 1
    assert home.context["queries_waiting_url"] == reverse("queries:list") + "?state=answered"
    review = home.content.decode().split('data-testid="review-query-list"')[1]
    assert _detail(query) in review.split("</ul>")[0] and "waiting 0" in review

    assert login(therapist).get(reverse("home")).context["queries_waiting"] == 0


def test_another_sites_staff_have_nothing_waiting(login, therapist2, query):
    assert login(therapist2).get(reverse("home")).context["queries_waiting"] == 0


def test_the_navigation_count_costs_one_query(therapist, query):
    request = RequestFactory().get("/")
    request.user = therapist
    user_scope(therapist)  # computed once per request by the navigation already
    with CaptureQueriesContext(connection) as captured:
        assert queries_waiting(request)["queries_waiting"] == 1
    assert len(captured) == 1


def test_no_count_for_anonymous_users_and_roles_without_queries(client, login, sponsor, query):
    request = RequestFactory().get("/")
    request.user = mock.Mock(is_authenticated=False)
    with CaptureQueriesContext(connection) as captured:
        assert queries_waiting(request) == {}
    assert len(captured) == 0
    response = login(sponsor).get(reverse("home"))
    assert "queries_waiting" not in response.context
    assert 'data-testid="nav-queries-waiting"' not in response.content.decode()


# The daily digest.


def test_the_daily_digest_is_scheduled_once_a_day():
    entry = settings.CELERY_BEAT_SCHEDULE["query-digests-daily"]
    assert entry["task"] == query_digests_send.name
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}


def test_site_staff_get_their_sites_open_queries_and_the_monitor_its_answered_ones(
    therapist, investigator, therapist2, monitor, sponsor, query, reading
):
    second = services.query_raise(actor=monitor, record=reading, text="Pulse too?")
    services.query_answer(actor=therapist, query=second, text="Checked.")

    assert query_digests_send() >= 4
    (site_email,) = _emails_to(therapist)
    assert len(_emails_to(investigator)) == 1
    assert _emails_to(therapist2) == [] and _emails_to(sponsor) == []
    body = site_email.body
    assert "Waiting for your site's answer: 1." in body
    assert f"{query.record_label} · Systolic (mmHg) · Open · waiting 0" in body
    assert settings.SITE_URL.rstrip("/") + _detail(query) in body
    assert "?state=open" in body and _detail(second) not in body
    assert site_email.subject == "[trialsite] 1 data query waiting for you"

    (monitor_email,) = _emails_to(monitor)
    assert "Answered, waiting for your review: 1." in monitor_email.body
    assert f"{second.record_label} · the whole record · Answered" in monitor_email.body
    assert "Raised by you, still waiting for the site's answer: 1." in monitor_email.body
    assert monitor_email.body.index(_detail(second)) < monitor_email.body.index(_detail(query))
    assert QueryDigest.objects.get(recipient=monitor).items == 2


def test_the_digest_carries_no_identity_and_no_text_of_the_thread(
    therapist, monitor, query, participant1
):
    services.query_answer(actor=therapist, query=query, text="Alice Ashdown's cuff slipped.")
    query_digests_send()
    (email,) = _emails_to(monitor)
    for secret in ("Alice", "Ashdown", "cuff", "Cuff size", "slipped", therapist.last_name):
        assert secret not in email.body and secret not in email.subject, secret


def test_the_oldest_few_are_listed_with_the_count_of_all(therapist, monitor, reading):
    now = timezone.now()
    queries = []
    for minutes in range(7):
        when = now - datetime.timedelta(minutes=minutes)
        with mock.patch("django.utils.timezone.now", return_value=when):
            queries.append(services.query_raise(actor=monitor, record=reading, text=f"Q{minutes}"))
    query_digest_send(therapist.pk, _today())
    (email,) = _emails_to(therapist)
    assert "Waiting for your site's answer: 7. The oldest:" in email.body
    listed = sorted(
        (email.body.index(_detail(q) + "\n"), q) for q in queries if _detail(q) + "\n" in email.body
    )
    assert [q for _, q in listed] == queries[:1:-1]


def test_no_email_for_users_with_nothing_waiting_nor_for_inactive_ones(
    therapist, investigator, monitor, reading, query
):
    services.query_close(actor=monitor, query=query)
    query_digests_send()
    assert mail.outbox == []
    services.query_raise(actor=monitor, record=reading, text="Again?")
    investigator.is_active = False
    investigator.save()
    query_digests_send()
    assert _emails_to(therapist) and not _emails_to(investigator)
    assert not QueryDigest.objects.filter(recipient=investigator).exists()


def test_running_the_digest_twice_a_day_sends_one_email_per_user(therapist, monitor, query):
    query_digest_send(therapist.pk, _today())
    query_digest_send(therapist.pk, _today())
    query_digests_send()
    query_digests_send()
    assert len(_emails_to(therapist)) == 1
    assert QueryDigest.objects.filter(recipient=therapist).count() == 1
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    query_digest_send(therapist.pk, tomorrow.isoformat())
    assert len(_emails_to(therapist)) == 2


def test_a_failed_sending_gives_the_day_back_so_that_the_retry_sends_it(therapist, query):
    with mock.patch("queries.tasks.send_mail", side_effect=OSError("mail server down")):
        # Eager tasks propagate what they raise: the retry is asked for here, and run below.
        with pytest.raises(Retry):
            query_digest_send.delay(therapist.pk, _today())
    assert not QueryDigest.objects.filter(recipient=therapist).exists()
    assert query_digest_send.delay(therapist.pk, _today()).get() is True
    assert len(_emails_to(therapist)) == 1
    assert QueryDigest.objects.filter(recipient=therapist).count() == 1


def test_the_digest_is_bounded_in_time():
    for task in (query_digests_send, query_digest_send):
        assert 0 < task.soft_time_limit < task.time_limit <= settings.CELERY_VISIBILITY_TIMEOUT
    assert OSError in query_digest_send.autoretry_for


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_digest_at_once_send_one_email_per_user(
    therapist, investigator, monitor, query
):
    outcomes = _run_together(query_digests_send, query_digests_send)

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    for user in (therapist, investigator, monitor):
        assert len(_emails_to(user)) == 1, user
    assert QueryDigest.objects.count() == 3
