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
    expect(page.locator("#id_reason_error")).to_contain_text("at most 2,000 characters")
    expect(reason).to_have_value(text)
    p2.refresh_from_db()
    assert p2.status == Visit.Status.SCHEDULED


def test_the_counter_and_the_server_count_the_same_characters(log_in, therapist, participant1):
    """Line breaks (submitted as CR LF), emoji (two UTF-16 units each) and white space around the
    text: the number on the counter is the number in the server's message."""
    visit_schedule_create(actor=therapist, participant=participant1)
    p2 = Visit.objects.get(participant=participant1, code="P2")
    page = log_in("therapist")
    page.goto(f"/sessions/visits/{p2.pk}/missed/")
    reason = page.get_by_label("Why it did not take place")
    # 1,990 letters, 10 line breaks and 5 emoji: 2,005 characters, then a line break not kept.
    # (Counted in UTF-16 units, with CR LF line breaks and the last one kept, it would be 2,021.)
    text = "\n".join(["x" * 199] * 10) + "\n" + "😀" * 5 + "\n"
    reason.fill(text)
    expect(page.get_by_text("2,005 / 2,000 characters")).to_be_visible()
    page.get_by_role("button", name="Record as missed").click()
    expect(page.locator("#id_reason_error")).to_contain_text(
        "at most 2,000 characters (it has 2,005)"
    )
    expect(page.get_by_text("2,005 / 2,000 characters")).to_be_visible()
    # Within the limit by the same count on both sides: accepted.
    reason.fill("\n".join(["x" * 198] * 10) + "😀" * 10 + "\n")
    expect(page.get_by_text("1,999 / 2,000 characters")).to_be_visible()
    page.get_by_role("button", name="Record as missed").click()
    expect(page.locator("#id_reason_error")).to_have_count(0)
    p2.refresh_from_db()
    assert p2.status == Visit.Status.MISSED
    assert "\r" not in p2.missed_reason and len(p2.missed_reason) == 1999


def test_a_one_line_field_pasted_too_long_is_refused_and_kept_whole(
    log_in, therapist, participant1
):
    page = log_in("therapist")
    page.goto(f"/safety/adverse-events/new/?participant={participant1.pk}")
    term = page.get_by_label("Verbatim term")
    text = "Headache " + "y" * 400
    term.fill(text)  # as a paste: the browser would have cut it to the field's limit
    expect(term).to_have_value(text)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#id_verbatim_term_error")).to_contain_text("at most")
    expect(page.get_by_label("Verbatim term")).to_have_value(text)
