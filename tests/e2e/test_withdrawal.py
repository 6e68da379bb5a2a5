"""The site investigator withdraws a participant in the browser: a refused day first, then the
withdrawal, after which the visits not held are no longer overdue."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from participants.models import Participant
from sessions_app.services.visits import visit_schedule_create

pytestmark = pytest.mark.e2e


def test_investigator_withdraws_a_participant(log_in, investigator, therapist, participant1):
    visit_schedule_create(actor=therapist, participant=participant1)
    page = log_in("investigator")
    page.goto(f"/participants/{participant1.pk}/")
    expect(page.get_by_test_id("visit-D1")).to_contain_text("overdue")
    page.get_by_role("link", name="Withdraw from the study").click()

    # Before enrolment: refused beside the day, the typed details kept.
    page.get_by_label("Withdrawn on").fill("2026-05-01")
    page.get_by_label("Reason for withdrawal").select_option(label="Other")
    page.get_by_label("Details").fill("Relocated; cannot attend visits.")
    page.get_by_role("button", name="Withdraw from the study").click()
    expect(page.locator("#id_withdrawn_on_error")).to_contain_text("was enrolled on 01 Jun 2026")
    expect(page.get_by_label("Details")).to_have_value("Relocated; cannot attend visits.")

    day = timezone.localdate() - datetime.timedelta(days=2)
    page.get_by_label("Withdrawn on").fill(day.isoformat())
    page.get_by_role("button", name="Withdraw from the study").click()

    expect(
        page.get_by_text(f"{participant1.study_code} was withdrawn from the study")
    ).to_be_visible()
    expect(page.get_by_test_id("withdrawal")).to_contain_text(f"{day:%d %b %Y}: Other")
    expect(page.get_by_test_id("visit-D1")).not_to_contain_text("overdue")
    expect(page.get_by_test_id("not-expected-D1")).to_contain_text("not held: withdrawn")
    expect(page.get_by_role("link", name="Withdraw from the study")).to_have_count(0)
    participant1.refresh_from_db()
    assert participant1.status == Participant.Status.WITHDRAWN
    assert participant1.withdrawal_details == "Relocated; cannot attend visits."
