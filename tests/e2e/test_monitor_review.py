"""Issue 13, monitor review, done when: `monitor` raises a query on a reading's systolic value;
`therapist` sees it on their home page and answers with a correction (reason given); `monitor`
sees the corrected value, closes the query and marks the dosing session verified; `investigator`
signs the casebook and `admin` locks it; a further correction is refused; `admin` unlocks it
with a reason."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from participants.models import Casebook
from queries.selectors import sdv_marks_for, sdv_records
from queries.services import source_verify
from sessions_app.models import VitalSignReading
from sessions_app.services import flowsheet
from sessions_app.services.visits import participant_withdraw
from tests.e2e.conftest import reading_row
from tests.sessions_app import conftest as sessions

pytestmark = pytest.mark.e2e

course1 = sessions.course1
session1 = sessions.session1
started_session = sessions.started_session
attested_session = sessions.attested_session
dosed_session = sessions.dosed_session
withheld = sessions.withheld
ended = sessions.ended


@pytest.fixture
def reading(ended, therapist, investigator, monitor):
    """A reading of 172/95 mmHg in participant1's ended first dosing session. The participant
    then left the study (so every visit counts as ended), and the monitor has verified every
    other record of theirs: the session and its entries are what is left to verify."""
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=ended,
        measured_at=timezone.now() - datetime.timedelta(minutes=30),
        systolic=172,
        diastolic=95,
        pulse=88,
        reason="Entered after the session ended, from the paper flowsheet.",
    )
    participant = ended.visit.participant
    participant_withdraw(
        actor=investigator,
        participant=participant,
        withdrawn_on=timezone.localdate(),
        category="participant",
        details="",
        expected_version=type(participant).objects.get(pk=participant.pk).version,
    )
    session_records = {ended, *ended.readings.all(), *ended.administrations.all()}
    session_records |= set(ended.observations.all())
    for row in sdv_records(participant=participant):
        if row.record in session_records:
            continue
        if not sdv_marks_for(records=[row.record]).is_verified(row.record):
            source_verify(actor=monitor, record=row.record)
    return reading


def _log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_monitor_queries_the_site_corrects_the_monitor_verifies_and_the_casebook_is_locked(
    page, log_in, monitor, therapist, investigator, study_admin, password, reading
):
    session_url = f"/sessions/{reading.session_id}/"
    participant = reading.session.visit.participant
    casebook_url = f"/casebooks/{participant.pk}/"

    # The monitor raises a query on the reading's systolic value, from the flowsheet.
    log_in("monitor")
    page.goto(session_url)
    row = reading_row(page, "172")
    row.get_by_test_id("raise-systolic").click()
    form = page.get_by_test_id("form-raise")
    form.locator("[name=text]").fill("172 mmHg: is this the value measured? Cuff size?")
    form.get_by_role("button", name="Raise the query").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Open")
    _log_out(page)

    # The therapist sees it on their home page, corrects the reading with a reason, answers.
    log_in("therapist")
    waiting = page.get_by_test_id("site-query")
    expect(waiting).to_have_count(1)
    waiting.get_by_role("link").click()
    query_url = page.url
    page.get_by_test_id("correct-record").click()
    page.locator("[name=systolic]").fill("152")
    page.locator("[name=reason]").fill("Typed 172 for 152: the paper flowsheet reads 152.")
    expect(page.get_by_test_id("return-link")).to_be_visible()
    page.get_by_role("button", name="Save the correction").click()
    # Saved, the correction page returns to the query, which shows the corrected value.
    expect(page).to_have_url(query_url)
    expect(page.get_by_test_id("field-value")).to_have_text("152")
    answer = page.get_by_test_id("form-answer")
    answer.locator("[name=answer-text]").fill("Corrected to 152, as on the paper flowsheet.")
    answer.locator("[name=answer-corrected]").check()
    answer.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Answered, awaiting review")
    _log_out(page)

    # The monitor sees the corrected value, closes the query, marks the session verified.
    log_in("monitor")
    page.get_by_test_id("monitor-queries").get_by_role("link", name="1 answered").click()
    page.get_by_test_id("query-row").get_by_role("link").click()
    expect(page.get_by_test_id("field-value")).to_have_text("152")
    expect(page.get_by_test_id("correction-entry")).to_contain_text("paper flowsheet reads 152")
    page.get_by_test_id("form-close").get_by_role("button", name="Close the query").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Closed")
    page.goto(session_url)
    page.get_by_test_id("session-sdv").get_by_role("button", name="Mark session verified").click()
    expect(page.get_by_test_id("session-sdv").get_by_test_id("sdv-verified")).to_be_visible()
    expect(reading_row(page, "152").get_by_test_id("sdv-verified")).to_be_visible()
    _log_out(page)

    # The investigator signs the casebook: every item of its checklist is met.
    log_in("investigator")
    page.goto(casebook_url)
    items = page.get_by_test_id("checklist-item")
    expect(items).to_have_count(3)
    expect(page.get_by_test_id("casebook-checklist")).not_to_contain_text("not verified")
    sign = page.get_by_test_id("form-sign")
    sign.locator("[name=sign-password]").fill(password)
    sign.get_by_role("button", name="Sign the casebook").click()
    expect(page.get_by_test_id("casebook-state").first).to_have_text("Casebook signed")
    _log_out(page)

    # The study administrator locks it.
    log_in("admin")
    page.goto(casebook_url)
    lock = page.get_by_test_id("form-lock")
    lock.locator("[name=lock-confirmed]").check()
    lock.get_by_role("button", name="Lock the casebook").click()
    expect(page.get_by_test_id("casebook-state").first).to_have_text("Casebook locked")
    _log_out(page)

    # A further correction of the reading is refused, with what was typed kept.
    log_in("therapist")
    page.goto(session_url)
    expect(page.get_by_test_id("casebook-locked")).to_be_visible()
    page.goto(f"/sessions/readings/{reading.pk}/edit/")
    page.locator("[name=systolic]").fill("150")
    page.locator("[name=reason]").fill("Second look at the paper flowsheet.")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("casebook is locked").first).to_be_visible()
    expect(page.locator("[name=systolic]")).to_have_value("150")
    assert VitalSignReading.objects.get(pk=reading.pk).systolic == 152
    _log_out(page)

    # The study administrator unlocks it, with a reason.
    log_in("admin")
    page.goto(casebook_url)
    unlock = page.get_by_test_id("form-unlock")
    unlock.get_by_role("button", name="Unlock the casebook").click()
    expect(unlock.locator(".invalid-feedback, .text-danger").first).to_be_visible()
    page.get_by_test_id("form-unlock").locator("[name=unlock-reason]").fill(
        "The site found a transcription error in the overnight readings."
    )
    page.get_by_test_id("form-unlock").get_by_role("button", name="Unlock the casebook").click()
    expect(page.get_by_test_id("casebook-history")).to_contain_text("transcription error")
    assert Casebook.objects.get(participant=participant).state != Casebook.State.LOCKED
