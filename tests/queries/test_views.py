"""The query pages as each role: raising, the thread and its steps, the worklists, the markers."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from queries import services
from queries.models import Query
from safety.services import adverse_event_draft_create
from sessions_app.models import Visit
from tests.sessions_app.factories import reading_correct

pytestmark = pytest.mark.django_db


def _raise_url(record, field=""):
    label = record._meta.label_lower
    return f"{reverse('queries:raise')}?record={label}&id={record.pk}&field={field}"


def _detail(query):
    return reverse("queries:detail", args=[query.pk])


def test_monitor_raises_a_query_on_a_readings_systolic_value(login, monitor, reading):
    client = login(monitor)
    page = client.get(_raise_url(reading, "systolic"))
    assert page.status_code == 200
    assert b'value="systolic" selected' in page.content
    response = client.post(
        _raise_url(reading, "systolic"), {"field_name": "systolic", "text": "Cuff size?"}
    )
    query = Query.objects.get()
    assert response.status_code == 302 and response.url == _detail(query)
    assert (query.field_name, query.state, query.opened_by) == ("systolic", "open", monitor)


def test_a_question_without_text_is_refused_beside_it_with_the_field_kept(login, monitor, reading):
    response = login(monitor).post(_raise_url(reading), {"field_name": "pulse", "text": " "})
    assert response.status_code == 200
    assert services.TEXT_REQUIRED["question"] in response.content.decode()
    assert b'value="pulse" selected' in response.content
    assert not Query.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [("therapist", 403), ("investigator", 403), ("therapist2", 404), ("sponsor", 404)],
)
def test_only_monitors_and_the_admin_reach_the_raise_page(request, login, reading, role, status):
    client = login(request.getfixturevalue(role))
    assert client.get(_raise_url(reading, "systolic")).status_code == status
    client.post(_raise_url(reading), {"text": "Why?"})
    assert not Query.objects.exists()


@pytest.mark.parametrize(
    "url", ["?record=sessions_app.vitalsignreading&id=999999", "?record=x.y&id=1", ""]
)
def test_raising_on_no_record_is_not_found(login, monitor, url):
    assert login(monitor).get(reverse("queries:raise") + url).status_code == 404


def test_another_sites_staff_do_not_find_the_query(login, therapist2, query):
    client = login(therapist2)
    assert client.get(_detail(query)).status_code == 404
    assert client.post(_detail(query), {"action": "answer", "answer-text": "x"}).status_code == 404
    assert Query.objects.get(pk=query.pk).state == "open"
    assert "Cuff" not in client.get(reverse("queries:list")).content.decode()


def test_site_staff_see_the_query_on_their_home_page_with_how_long_it_waited(
    login, therapist, query
):
    body = login(therapist).get(reverse("home")).content.decode()
    assert _detail(query) in body
    assert 'data-testid="site-query-count">1<' in body
    assert "waiting 0" in body and "minutes" in body


def test_an_answer_without_text_is_refused_beside_it_with_the_input_kept(login, therapist, query):
    response = login(therapist).post(
        _detail(query), {"action": "answer", "answer-text": "", "answer-corrected": "on"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert services.TEXT_REQUIRED["answer"] in body
    corrected = re.search(r'<input[^>]*name="answer-corrected"[^>]*>', body).group(0)
    assert "checked" in corrected
    assert Query.objects.get(pk=query.pk).state == "open"


def test_therapist_answers_with_a_correction_and_the_monitor_closes(
    login, therapist, monitor, query, reading
):
    client = login(therapist)
    page = client.get(_detail(query)).content.decode()
    assert reverse("sessions_app:reading_edit", args=[reading.pk]) in page
    reading_correct(reading, therapist, reason="Typed 172 for 152.", systolic=152)
    response = client.post(
        _detail(query),
        {"action": "answer", "answer-text": "Corrected to 152.", "answer-corrected": "on"},
    )
    assert response.status_code == 302
    client = login(monitor)
    page = client.get(_detail(query)).content.decode()
    assert 'data-testid="answered-with-correction"' in page
    assert "Typed 172 for 152." in page
    assert 'data-testid="field-value">152<' in page
    assert 'data-testid="form-close"' in page and 'data-testid="form-answer"' not in page
    assert client.post(_detail(query), {"action": "close", "close-text": ""}).status_code == 302
    assert Query.objects.get(pk=query.pk).state == "closed"
    assert 'data-testid="form-reopen"' in client.get(_detail(query)).content.decode()


def test_a_closed_query_whose_record_changed_says_so(login, monitor, therapist, query, reading):
    services.query_close(actor=monitor, query=query)
    reading_correct(reading, therapist, reason="Re-read the chart.", systolic=150)
    assert "Closed, data changed since" in login(monitor).get(_detail(query)).content.decode()
    listed = login(monitor).get(reverse("queries:list") + "?state=closed").content.decode()
    assert "Closed, data changed since" in listed


def test_site_staff_are_offered_no_close_and_the_monitor_no_answer(
    login, therapist, monitor, query
):
    page = login(therapist).get(_detail(query)).content.decode()
    assert 'data-testid="form-answer"' in page and 'data-testid="form-close"' not in page
    response = login(therapist).post(_detail(query), {"action": "close", "close-text": ""})
    assert response.status_code == 403
    page = login(monitor).get(_detail(query)).content.decode()
    assert 'data-testid="form-close"' in page and 'data-testid="form-answer"' not in page


def test_the_admin_closes_an_answer_only_once_a_monitor_has_opened_it(
    login, therapist, monitor, study_admin, query
):
    services.query_answer(actor=therapist, query=query, text="Checked against the source.")
    page = login(study_admin).get(_detail(query)).content.decode()
    assert 'data-testid="form-close"' not in page
    assert 'data-testid="answer-read"' not in page
    response = login(study_admin).post(_detail(query), {"action": "close", "close-text": ""})
    assert "has not read the site&#x27;s answer" in response.content.decode()
    assert Query.objects.get(pk=query.pk).state == Query.State.ANSWERED
    login(monitor).get(_detail(query))  # the monitor reads the answer
    page = login(study_admin).get(_detail(query)).content.decode()
    assert 'data-testid="answer-read"' in page and monitor.printed_name in page
    assert 'data-testid="form-close"' in page
    login(study_admin).post(_detail(query), {"action": "close", "close-text": ""})
    assert Query.objects.get(pk=query.pk).state == Query.State.CLOSED


def test_the_monitor_never_reads_identity_through_a_query(login, therapist, monitor, query):
    services.query_answer(actor=therapist, query=query, text="Alice Ashdown said the cuff slipped.")
    assert "Alice Ashdown said" in login(therapist).get(_detail(query)).content.decode()
    page = login(monitor).get(_detail(query)).content.decode()
    assert "Ashdown" not in page and "Alice" not in page
    assert "[redacted] said the cuff slipped." in page or "[redacted] [redacted] said" in page


def test_the_flowsheet_marks_the_queried_field_and_counts_open_queries(
    login, monitor, therapist, query, reading
):
    flowsheet = reverse("sessions_app:flowsheet", args=[reading.session_id])
    for user in (monitor, therapist):
        body = login(user).get(flowsheet).content.decode()
        assert 'data-testid="query-marker-systolic"' in body
        assert 'data-testid="open-query-count">1 data query' in body
    assert 'data-testid="raise-systolic"' in login(monitor).get(flowsheet).content.decode()
    assert 'data-testid="raise-systolic"' not in login(therapist).get(flowsheet).content.decode()
    services.query_close(actor=monitor, query=query)
    assert "query-marker-systolic" not in login(therapist).get(flowsheet).content.decode()


def test_the_participant_page_counts_open_queries(login, monitor, therapist, sponsor, query):
    url = reverse("participants:detail", args=[query.participant_id])
    for user in (monitor, therapist):
        assert "1 open or awaiting review" in login(user).get(url).content.decode()
    assert "participant-query-count" not in login(sponsor).get(url).content.decode()


def test_queries_on_a_visit_a_screening_and_an_adverse_event(
    login, monitor, participant1, therapist, reading
):
    client = login(monitor)
    visit = Visit.objects.get(participant=participant1, code="D1")
    event = adverse_event_draft_create(
        actor=therapist,
        participant=participant1,
        verbatim_term="Jaw clenching",
        onset_at=timezone.now() - datetime.timedelta(hours=1),
        description="",
    )
    for record, field in ((visit, "held_on"), (event, "onset_at")):
        response = client.post(_raise_url(record, field), {"field_name": field, "text": "Check?"})
        assert response.status_code == 302, response.content
    assert sorted(Query.objects.values_list("field_name", flat=True)) == ["held_on", "onset_at"]


def test_the_worklist_filters_by_site_participant_record_and_age(
    login, monitor, query, participant1, therapist
):
    client = login(monitor)
    url = reverse("queries:list")
    assert _detail(query) in client.get(url).content.decode()
    for params, found in [
        (f"?site={participant1.site_id}", True),
        ("?participant=S01-0001", True),
        ("?participant=s01-", True),  # a part of it, in any case
        (f"?participant={participant1.screening_number}", True),
        ("?participant=S02-0001", False),
        ("?participant=S02", False),
        ("?kind=sessions_app.vitalsignreading", True),
        ("?kind=safety.adverseevent", False),
        ("?age=7", False),
        ("?state=answered", False),
        ("?state=open", True),
    ]:
        assert (_detail(query) in client.get(url + params).content.decode()) is found, params


def _worklist_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("queries:list") + "?state=all").status_code == 200
    return len(captured)


def _raise_many(n, monitor, therapist, reading, visit):
    for i in range(n):
        query = services.query_raise(
            actor=monitor, record=reading if i % 2 else visit, text=f"Question {i}"
        )
        if i % 3 == 0:
            services.query_answer(actor=therapist, query=query, text="Checked.")
        if i % 5 == 0:
            services.query_close(actor=monitor, query=query)


def test_the_worklist_and_home_pages_keep_their_query_count_as_queries_grow(
    login, monitor, therapist, reading, participant1
):
    visit = Visit.objects.get(participant=participant1, code="D1")
    _raise_many(10, monitor, therapist, reading, visit)
    counts = {}
    for user in (monitor, therapist):
        client = login(user)
        counts[user] = (_worklist_queries(client), _home_queries(client))
    _raise_many(190, monitor, therapist, reading, visit)
    assert Query.objects.count() == 200
    for user in (monitor, therapist):
        client = login(user)
        assert (_worklist_queries(client), _home_queries(client)) == counts[user], user


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)
