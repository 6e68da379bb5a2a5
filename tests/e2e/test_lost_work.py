"""Issue 11: nothing is written twice and nothing typed is lost: a double click on "Record
reading" stores one reading; a session that ends while the flowsheet is open gives back, after
logging in again, what was typed; sending one of the flowsheet's forms keeps what was half-typed
in another; the page warns before the idle logout and lets the user stay signed in."""

import datetime
import re
import time
from importlib import import_module

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.middleware import LAST_ACTIVITY_KEY
from sessions_app.models import DosingSession, Observation, VitalSignReading
from sessions_app.services import flowsheet
from sessions_app.services.visits import visit_schedule_create

pytestmark = pytest.mark.e2e


@pytest.fixture
def running(participant1, therapist, investigator):
    """participant1's first dosing session, started three hours ago."""
    visit_schedule_create(actor=investigator, participant=participant1)
    session = DosingSession.objects.get(visit__participant=participant1, visit__code="D1")
    flowsheet.dosing_session_start(
        actor=therapist,
        session=session,
        started_at=timezone.now() - datetime.timedelta(hours=3),
        lead_therapist=therapist,
        co_therapist=investigator,
        deviation_explanation="Held on the test day, whatever the window.",
        expected_version=session.version,
    )
    return session


def now_typed() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def expire_the_session(page, settings):
    """The server ends the login as if nobody had touched it for longer than the idle timeout."""
    (cookie,) = [c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    # The configured engine's store: with sessions cached, writing the database alone would
    # leave the cache serving the session as it was.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    session = store(session_key=cookie["value"])
    session[LAST_ACTIVITY_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()


def test_a_double_click_on_record_reading_stores_one_reading(page, log_in, running):
    log_in("therapist")
    page.goto(f"/sessions/{running.pk}/")
    form = page.get_by_test_id("form-reading")
    form.locator("[name=reading-measured_at]").fill(now_typed())
    form.locator("[name=reading-pulse]").fill("77")
    form.get_by_role("button", name="Record reading").dblclick()

    expect(page.locator(".alert-success")).to_contain_text("Reading recorded")
    assert list(VitalSignReading.objects.values_list("pulse", flat=True)) == [77]


def test_what_was_typed_comes_back_after_the_session_ended_and_a_new_login(
    page, log_in, running, settings, password
):
    log_in("therapist")
    page.goto(f"/sessions/{running.pk}/")
    reading = page.get_by_test_id("form-reading")
    reading.locator("[name=reading-measured_at]").fill(now_typed())
    reading.locator("[name=reading-systolic]").fill("131")
    reading.locator("[name=reading-diastolic]").fill("84")
    observation = page.get_by_test_id("form-observation")
    observation.locator("[name=observation-text]").fill("Tearful, then calmer after grounding.")

    expire_the_session(page, settings)
    reading.get_by_role("button", name="Record reading").click()

    # The login page, saying the typed values are kept; nothing was saved.
    expect(page.get_by_test_id("drafts-kept")).to_be_visible()
    assert not VitalSignReading.objects.exists()
    page.get_by_label("Username").fill("therapist")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    # Back on the flowsheet, with both forms as they were typed.
    expect(page).to_have_url(re.compile(rf"/sessions/{running.pk}/(#.*)?$"))
    reading = page.get_by_test_id("form-reading")
    expect(reading.get_by_test_id("draft-restored")).to_contain_text("before your session ended")
    expect(reading.locator("[name=reading-systolic]")).to_have_value("131")
    expect(reading.locator("[name=reading-diastolic]")).to_have_value("84")
    expect(page.locator("[name=observation-text]")).to_have_value(
        "Tearful, then calmer after grounding."
    )
    reading.get_by_role("button", name="Record reading").click()
    expect(page.locator(".alert-success")).to_contain_text("Reading recorded")
    assert list(VitalSignReading.objects.values_list("systolic", "diastolic")) == [(131, 84)]


def test_sending_one_flowsheet_form_keeps_what_was_half_typed_in_another(page, log_in, running):
    log_in("therapist")
    page.goto(f"/sessions/{running.pk}/")
    page.locator("[name=observation-text]").fill("Asks for a blanket")
    reading = page.get_by_test_id("form-reading")
    reading.locator("[name=reading-measured_at]").fill(now_typed())
    reading.locator("[name=reading-pulse]").fill("80")
    reading.get_by_role("button", name="Record reading").click()

    expect(page.locator(".alert-success")).to_contain_text("Reading recorded")
    expect(page.locator("[name=observation-text]")).to_have_value("Asks for a blanket")
    expect(page.get_by_test_id("form-observation").get_by_test_id("draft-restored")).to_be_visible()
    # The form that was sent starts empty again.
    expect(page.get_by_test_id("form-reading").locator("[name=reading-pulse]")).to_have_value("")


def test_the_page_warns_before_the_idle_logout_and_the_user_can_stay_signed_in(
    page, log_in, running, settings
):
    settings.SESSION_IDLE_TIMEOUT = 90  # the warning starts two minutes before the end
    log_in("therapist")
    page.goto(f"/sessions/{running.pk}/")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the page scrolled, idle
    pings = []
    page.on("request", lambda r: pings.append(r.url) if "keepalive" in r.url else None)
    warning = page.get_by_test_id("idle-warning")
    expect(warning).to_contain_text("You will be logged out in", timeout=15_000)
    page.wait_for_timeout(11_000)  # two more ticks: nobody did anything, the warning stays
    expect(warning).to_be_visible()
    assert pings == []

    with page.expect_response("**/accounts/keepalive/") as kept:
        warning.get_by_role("button", name="Stay signed in").click()
    assert kept.value.ok
    expect(warning).to_be_hidden()


def test_back_to_a_sent_form_and_sending_it_again_writes_once(page, log_in, running):
    log_in("therapist")
    page.goto(f"/sessions/{running.pk}/")
    when = now_typed()
    observation = page.get_by_test_id("form-observation")
    observation.locator("[name=observation-observed_at]").fill(when)
    observation.locator("[name=observation-text]").fill("Asks for the music to be turned down")
    observation.get_by_role("button").last.click()
    expect(page.locator(".alert-success")).to_be_visible()

    page.go_back()  # the page again, as the browser fills it in with what was sent
    form = page.get_by_test_id("form-observation")
    form.locator("[name=observation-observed_at]").evaluate("(el, v) => { el.value = v; }", when)
    form.locator("[name=observation-text]").evaluate(
        "(el) => { el.value = 'Asks for the music to be turned down'; }"
    )
    form.get_by_role("button").last.click()
    expect(page.locator(".alert-success")).to_be_visible()
    texts = Observation.objects.filter(session=running).values_list("text", flat=True)
    assert list(texts) == ["Asks for the music to be turned down"]
