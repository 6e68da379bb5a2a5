"""Issue 3, done when: a candidate screened, corrected with a reason, signed and enrolled; another
candidate ends as a screen failure with its reasons. Driven through headless Chromium."""

import re

import pytest
from playwright.sync_api import expect

from participants.models import Participant
from screening.models import ScreeningAttempt
from tests.screening.factories import StudyScreeningConfigFactory

pytestmark = pytest.mark.e2e

VALUES = {
    "ptsd_duration_months": "30",
    "systolic_bp": "124",
    "diastolic_bp": "80",
    "pulse": "70",
    "qtc_ms": "415",
    "weight_kg": "68.5",
}


@pytest.fixture
def mapp1(study):
    return StudyScreeningConfigFactory(study=study).criteria_set


def _start_candidate(page, given, family, dob):
    page.get_by_role("link", name="Screening", exact=True).click()
    page.get_by_role("link", name="Screen a new candidate").click()
    page.locator("[name=given_name]").fill(given)
    page.locator("[name=family_name]").fill(family)
    page.locator("[name=date_of_birth]").fill(dob)
    page.locator("[name=sex]").select_option(label="Female")
    page.get_by_role("button", name="Start screening").click()
    expect(page).to_have_url(re.compile(r"/screening/\d+/assessments/$"))
    return ScreeningAttempt.objects.order_by("-pk").first()


def _enter_assessments(page, criteria_set, caps5, *, yes_to=(), **overrides):
    for name, value in {**VALUES, "caps5_total": caps5, **overrides}.items():
        page.locator(f"[name={name}]").fill(value)
    page.locator("[name=pregnancy_test]").select_option(label="Negative")
    page.locator("[name=cssrs_ideation]").select_option(value="0")
    for criterion in criteria_set.criteria.filter(measurement=""):
        says_yes = (criterion.kind == "inclusion") != (criterion.code in yes_to)
        page.locator(
            f"input[name=answer_{criterion.pk}][value={'yes' if says_yes else 'no'}]"
        ).check()


def test_candidate_corrected_with_a_reason_is_signed_by_the_investigator_and_enrolled(
    page, log_in, therapist, investigator, site1, mapp1, password
):
    log_in("therapist")
    attempt = _start_candidate(page, "Robin", "Rainsford", "1984-09-12")
    # CAPS-5 mistyped: 4 instead of 40.
    _enter_assessments(page, mapp1, "4")
    page.get_by_role("button", name="Save assessments").click()
    expect(page).to_have_url(re.compile(rf"/screening/{attempt.pk}/$"))
    caps_row = page.get_by_test_id("criterion-I3")
    expect(caps_row).to_contain_text("Not met")
    expect(caps_row).to_contain_text("4")
    expect(page.get_by_test_id("attempt-decision")).to_have_text("Not eligible")
    page.get_by_role("button", name="Submit for investigator review").click()
    expect(page.get_by_test_id("attempt-status")).to_have_text("Submitted")

    # Correcting a submitted screening needs a reason; without one the value typed stays.
    page.get_by_role("link", name="Correct assessments").click()
    page.locator("[name=caps5_total]").fill("40")
    page.get_by_role("button", name="Save assessments").click()
    expect(page.get_by_text("Say why this record is being changed.")).to_be_visible()
    expect(page.locator("[name=caps5_total]")).to_have_value("40")
    page.get_by_label("Reason for change").fill("CAPS-5 total mistyped: 4 instead of 40")
    page.get_by_role("button", name="Save assessments").click()
    expect(page.get_by_test_id("criterion-I3")).to_contain_text("Met")
    expect(page.get_by_test_id("attempt-decision")).to_have_text("Eligible")
    # A therapist is not offered the confirmation.
    expect(page.get_by_role("link", name="Confirm eligibility and enrol")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()

    log_in("investigator")
    page.goto(f"/screening/{attempt.pk}/")
    page.get_by_role("link", name="Confirm eligibility and enrol").click()
    expect(page.get_by_test_id("signature-meaning")).to_contain_text(investigator.printed_name)
    expect(page.get_by_test_id("signature-meaning")).to_contain_text("Approved")
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_role("button", name="Sign and confirm").click()
    expect(page.get_by_text("The password is not correct")).to_be_visible()
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Sign and confirm").click()

    expect(page.get_by_text("S01-0001 is enrolled")).to_be_visible()
    signature = page.get_by_test_id("signature")
    expect(signature).to_contain_text(investigator.printed_name)
    expect(signature).to_contain_text("Approved")
    expect(signature).to_contain_text("valid")
    expect(page.get_by_test_id("attempt-status")).to_have_text("Eligibility confirmed")

    page.get_by_role("link", name="History").click()
    expect(page.get_by_test_id("history")).to_contain_text("CAPS-5 total mistyped: 4 instead of 40")

    page.get_by_role("link", name="Participants").click()
    row = page.get_by_test_id("participant-table").locator("tr", has_text="S01-0001")
    expect(row).to_contain_text("Enrolled")
    participant = Participant.objects.get(pk=attempt.participant_id)
    assert participant.status == Participant.Status.ENROLLED


def test_candidate_failing_criteria_ends_as_screen_failure_with_reasons(
    page, log_in, therapist, site1, mapp1
):
    log_in("therapist")
    attempt = _start_candidate(page, "Morgan", "Marchbank", "1979-02-03")
    _enter_assessments(page, mapp1, "52", yes_to=("E7",), qtc_ms="472")
    page.get_by_role("button", name="Save assessments").click()
    page.get_by_role("button", name="Submit for investigator review").click()
    page.get_by_role("button", name="Record screen failure").click()

    expect(page.get_by_test_id("attempt-status")).to_have_text("Screen failure")
    expect(page.get_by_test_id("participant-status")).to_contain_text("Screen failure")
    expect(page.get_by_test_id("criterion-E7")).to_contain_text("Not met")
    expect(page.get_by_test_id("criterion-E12")).to_contain_text("Not met")
    expect(page.get_by_test_id("criterion-I3")).to_contain_text("Met")
    expect(page.get_by_role("button", name="Start a re-screen")).to_be_visible()

    page.goto("/screening/log/")
    expect(page.get_by_test_id("log-total")).to_contain_text("1")
    reasons = page.get_by_test_id("log-reasons")
    expect(reasons).to_contain_text("E7 Current alcohol or substance use disorder")
    expect(reasons).to_contain_text("E12 QTc prolongation")
    attempt.refresh_from_db()
    assert attempt.failed_codes == ["E7", "E12"]
