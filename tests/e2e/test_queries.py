"""Issue 13, data queries, done when (its first part): `monitor` raises a query on a reading's
systolic value; `therapist` sees it on their home page and answers with a correction (reason
given); `monitor` sees the corrected value and closes the query."""

import pytest
from playwright.sync_api import expect

from queries.models import Query
from tests.e2e.conftest import reading_row
from tests.queries import conftest as queries
from tests.sessions_app import conftest as sessions

pytestmark = pytest.mark.e2e

course1 = sessions.course1
session1 = sessions.session1
started_session = sessions.started_session
attested_session = sessions.attested_session
dosed_session = sessions.dosed_session


# A reading of 172/95 mmHg of the dosed session, 30 minutes ago (tests/queries/conftest.py).
reading = queries.reading


def test_monitor_queries_a_systolic_value_the_site_corrects_it_and_the_monitor_closes(
    page, log_in, monitor, therapist, reading
):
    # The monitor raises a query on the reading's systolic value, from the flowsheet.
    log_in("monitor")
    page.goto(f"/sessions/{reading.session_id}/")
    row = reading_row(page, "172")
    row.get_by_test_id("raise-systolic").click()
    form = page.get_by_test_id("form-raise")
    expect(form.locator("[name=field_name]")).to_have_value("systolic")
    form.locator("[name=text]").fill("172 mmHg: is this the value measured? Cuff size?")
    form.get_by_role("button", name="Raise the query").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Open")
    page.get_by_role("button", name="Log out").click()

    # The therapist sees it on their home page, corrects the reading and answers.
    log_in("therapist")
    waiting = page.get_by_test_id("site-query")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Systolic")
    expect(waiting).to_contain_text("waiting")
    waiting.get_by_role("link").click()
    query_url = page.url
    page.get_by_test_id("correct-record").click()
    page.locator("[name=systolic]").fill("152")
    page.locator("[name=reason]").fill("Typed 172 for 152: the monitor's printout reads 152.")
    expect(page.get_by_test_id("return-link")).to_be_visible()
    page.get_by_role("button", name="Save the correction").click()
    # Saved, the correction page returns to the query, which shows the corrected value.
    expect(page).to_have_url(query_url)
    expect(page.get_by_test_id("field-value")).to_have_text("152")
    answer = page.get_by_test_id("form-answer")
    answer.locator("[name=answer-text]").fill("Corrected to 152, as on the printout.")
    answer.locator("[name=answer-corrected]").check()
    answer.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Answered, awaiting review")
    page.get_by_role("button", name="Log out").click()

    # The monitor sees the corrected value, with the correction's reason, and closes the query.
    log_in("monitor")
    page.get_by_test_id("monitor-queries").get_by_role("link", name="1 answered").click()
    page.get_by_test_id("query-row").get_by_role("link").click()
    expect(page.get_by_test_id("field-value")).to_have_text("152")
    expect(page.get_by_test_id("answered-with-correction")).to_be_visible()
    expect(page.get_by_test_id("correction-entry")).to_contain_text("printout reads 152")
    page.get_by_test_id("form-close").get_by_role("button", name="Close the query").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Closed")
    assert Query.objects.get().state == Query.State.CLOSED
    page.goto(f"/sessions/{reading.session_id}/")
    expect(reading_row(page, "152")).to_have_count(1)
    expect(page.get_by_test_id("query-marker-systolic")).to_have_count(0)
