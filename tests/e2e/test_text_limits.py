"""Text longer than a field allows is refused beside the field with all of it kept, not cut off
by the browser."""

import pytest
from playwright.sync_api import expect

from sessions_app.models import Visit
from sessions_app.services.visits import visit_schedule_create

pytestmark = pytest.mark.e2e


def test_a_reason_too_long_is_refused_and_kept_whole(log_in, therapist, participant1):
    visit_schedule_create(actor=therapist, participant=participant1)
    p2 = Visit.objects.get(participant=participant1, code="P2")
    page = log_in("therapist")
    page.goto(f"/sessions/visits/{p2.pk}/missed/")
    reason = page.get_by_label("Why it did not take place")
    text = "The participant called to say " + "x" * 2500
    reason.fill(text)
    expect(page.get_by_text("/ 2,000 characters")).to_have_class("form-text text-end text-danger")
    page.get_by_role("button", name="Record as missed").click()
    expect(page.locator("#id_reason_error")).to_contain_text("at most 2000 characters")
    expect(reason).to_have_value(text)
    p2.refresh_from_db()
    assert p2.status == Visit.Status.SCHEDULED
