"""Issue 14, adverse events, done when: `therapist` drafts an event from a reading over a
threshold, grade 3 with hospitalisation; `investigator` submits it with the e-signature and the
24-hour clock shows as met; `monitor` receives the email, raises a query, `therapist` answers;
`monitor` assesses it related and unexpected, sees the SUSAR's 15-day clock, records the
submission to the regulator and signs the review; `investigator` adds a final follow-up
(recovered), which shows field by field and returns the event to review."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from safety import review
from safety.models import AdverseEvent, AdverseEventReview, RegulatorySubmission
from sessions_app.services import flowsheet
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
def reading(ended, therapist):
    """A reading of 178/96 mmHg, over the systolic threshold, in participant1's ended session."""
    return flowsheet.vital_sign_record(
        actor=therapist,
        session=ended,
        measured_at=timezone.now() - datetime.timedelta(minutes=40),
        systolic=178,
        diastolic=96,
        pulse=92,
        reason="Entered after the session ended, from the paper flowsheet.",
    )


@pytest.fixture
def rsi(study, study_admin):
    return review.reference_safety_information_add(
        actor=study_admin,
        study=study,
        version="IB edition 7",
        effective_on=timezone.localdate() - datetime.timedelta(days=10),
        expected_terms="Nausea\nJaw clenching\nMuscle tightness",
    )


def _log_out(page):
    page.get_by_role("button", name="Log out").click()


def _answer(page, name, value):
    page.locator(f"[name={name}][value='{value}']").check()


def test_a_serious_event_from_report_to_review_and_its_final_follow_up(
    page, log_in, therapist, investigator, monitor, password, reading, rsi
):
    # The therapist drafts the event from the reading over the threshold.
    log_in("therapist")
    page.goto(f"/sessions/{reading.session_id}/")
    reading_row(page, "178").get_by_test_id("open-ae").click()
    expect(page.locator("[name=verbatim_term]")).to_have_value(
        "Systolic blood pressure 178 mmHg (threshold 160)"
    )
    page.locator("[name=description]").fill("Headache and high blood pressure; admitted.")
    _answer(page, "severity_grade", "3")
    for name in (
        "serious_death",
        "serious_life_threatening",
        "serious_disability",
        "serious_congenital_anomaly",
        "serious_other_important",
        "related_psychotherapy",
        "related_overnight_stay",
    ):
        _answer(page, name, "False")
    _answer(page, "serious_hospitalisation", "True")
    _answer(page, "causality", "possible")
    page.locator("[name=ongoing]").check()
    page.locator("[name=action_taken]").select_option("supplemental_not_given")
    page.locator("[name=outcome]").select_option("recovering")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("ae-serious")).to_be_visible()
    ae = AdverseEvent.objects.get()
    ae_url = f"/safety/adverse-events/{ae.pk}/"
    _log_out(page)

    # The investigator submits it with the e-signature: the 24-hour clock is met.
    log_in("investigator")
    page.goto(ae_url)
    page.get_by_test_id("submit-ae").click()
    page.locator("[name=password]").fill(password)
    page.get_by_role("button", name="Sign and submit").click()
    expect(page.get_by_test_id("ae-status")).to_have_text("Submitted")
    clock = page.get_by_test_id("ae-clock").filter(has_text="24-hour report to the sponsor")
    expect(clock).to_have_attribute("data-clock", "met")
    expect(clock).to_contain_text("Met")
    _log_out(page)

    # The monitor was emailed once, without the participant's identity.
    to_monitor = [
        m
        for m in mail.outbox
        if monitor.email in m.to and "Serious adverse event reported" in m.subject
    ]
    assert len(to_monitor) == 1
    assert f"AE {ae.pk}" in to_monitor[0].body
    assert "Alice" not in to_monitor[0].body and "Ashdown" not in to_monitor[0].body

    # The monitor raises a query on the grade.
    log_in("monitor")
    page.goto(ae_url)
    page.get_by_test_id("raise-ae").click()
    page.locator("[name=field_name]").select_option("severity_grade")
    page.locator("[name=text]").fill("Grade 3: was the participant admitted for it?")
    page.get_by_role("button", name="Raise the query").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Open")
    query_url = page.url
    _log_out(page)

    # The therapist answers it.
    log_in("therapist")
    page.goto(query_url)
    answer = page.get_by_test_id("form-answer")
    answer.locator("[name=answer-text]").fill("Yes, admitted overnight for observation.")
    answer.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Answered, awaiting review")
    _log_out(page)

    # The monitor closes the query, assesses the event related and unexpected: a SUSAR.
    log_in("monitor")
    page.goto(query_url)
    page.get_by_test_id("form-close").get_by_role("button", name="Close the query").click()
    expect(page.get_by_test_id("query-state")).to_have_text("Closed")
    page.goto(ae_url)
    page.get_by_test_id("review-ae").click()
    form = page.get_by_test_id("assessment-form")
    _answer(form, "sponsor_causality", "probable")
    _answer(form, "expected", "False")
    form.locator("[name=meddra_llt_code]").fill("10020772")
    form.locator("[name=meddra_llt_term]").fill("Hypertension")
    form.locator("[name=meddra_pt_code]").fill("10020772")
    form.locator("[name=meddra_pt_term]").fill("Hypertension")
    form.locator("[name=meddra_version]").fill("27.1")
    form.get_by_role("button", name="Save the assessment").click()
    expect(page.get_by_test_id("review-susar")).to_contain_text("SUSAR")
    clock = page.get_by_test_id("review-clocks").get_by_text("SUSAR report, 15 days")
    expect(clock).to_contain_text("left")

    # ... records the report to the regulator, which stops the clock, and signs the review.
    regulatory = page.get_by_test_id("regulatory-form")
    regulatory.locator("[name=submitted_on]").fill(timezone.localdate().isoformat())
    regulatory.locator("[name=reference]").fill("EU-CT-2026-000123")
    regulatory.get_by_role("button", name="Record the submission").click()
    expect(page.get_by_test_id("review-clocks")).to_contain_text("SUSAR report, 15 days: met")
    sign = page.get_by_test_id("review-sign-form")
    sign.locator("[name=password]").fill(password)
    sign.get_by_role("button", name="Sign the review").click()
    expect(page.get_by_test_id("review-state-label")).to_have_text("Reviewed")
    _log_out(page)
    assert RegulatorySubmission.objects.get().reference == "EU-CT-2026-000123"

    # The investigator writes and signs the final follow-up: recovered.
    log_in("investigator")
    page.goto(ae_url)
    page.get_by_test_id("follow-up-ae").click()
    page.locator("[name=ongoing]").uncheck()
    page.locator("[name=ended_at]").fill(
        timezone.localtime(timezone.now() - datetime.timedelta(minutes=5)).strftime(
            "%Y-%m-%dT%H:%M"
        )
    )
    page.locator("[name=outcome]").select_option("recovered")
    page.locator("[name=reason]").fill("Discharged home, blood pressure normal.")
    page.locator("[name=final]").check()
    page.get_by_role("button", name="Save the follow-up for the investigator's signature").click()
    page.get_by_test_id("sign-follow-up").click()
    page.locator("[name=password]").fill(password)
    page.get_by_role("button", name="Sign the follow-up").click()
    expect(page.get_by_test_id("ae-status")).to_have_text("Closed")
    follow_up = page.get_by_test_id("report").filter(has_text="Follow-up 1")
    outcome = follow_up.locator("[data-field=outcome]")
    expect(outcome).to_contain_text("Recovering")
    expect(outcome).to_contain_text("Recovered")
    expect(follow_up.locator("[data-field=ongoing]")).to_contain_text("Yes")
    expect(page.get_by_test_id("ae-review-state")).to_have_text("Under review")
    assert AdverseEventReview.objects.get().state == AdverseEventReview.State.UNDER_REVIEW
