"""Issue 4, done when: a whole dosing session run by `therapist` in headless Chromium (pre-dose
checks, the initial dose, readings of which one is over a threshold, the supplemental dose, the end
of the session); then `monitor` sees the alert."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from sessions_app.models import DosingSession, VitalSignAlert
from sessions_app.services.visits import visit_schedule_create

pytestmark = pytest.mark.e2e


@pytest.fixture
def course1(participant1, investigator):
    return visit_schedule_create(actor=investigator, participant=participant1)


def at(minutes_ago: int) -> str:
    moment = timezone.localtime() - datetime.timedelta(minutes=minutes_ago)
    return moment.strftime("%Y-%m-%dT%H:%M")


def record_reading(page, minutes_ago, systolic, diastolic, pulse, temperature="", suds=""):
    form = page.get_by_test_id("form-reading")
    form.locator("[name=reading-measured_at]").fill(at(minutes_ago))
    form.locator("[name=reading-systolic]").fill(systolic)
    form.locator("[name=reading-diastolic]").fill(diastolic)
    form.locator("[name=reading-pulse]").fill(pulse)
    form.locator("[name=reading-temperature]").fill(temperature)
    form.locator("[name=reading-suds]").fill(suds)
    form.get_by_role("button", name="Record reading").click()


def test_therapist_runs_a_whole_dosing_session_and_the_monitor_sees_the_alert(
    page, log_in, therapist, investigator, monitor, participant1, course1, password
):
    log_in("therapist")
    page.goto(f"/participants/{participant1.pk}/")
    page.get_by_test_id("visit-D1").get_by_role("link", name="Flowsheet").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Not started")

    # Start: the team of two and the start time.
    start = page.get_by_test_id("form-start")
    start.locator("[name=start-started_at]").fill(at(180))
    start.locator("[name=start-lead_therapist]").select_option(label=therapist.printed_name)
    start.locator("[name=start-co_therapist]").select_option(label=investigator.printed_name)
    start.locator("[name=start-deviation_explanation]").fill(
        "Rescheduled at the participant's request"
    )
    start.get_by_role("button", name="Start the session").click()
    expect(page.get_by_test_id("session-status")).to_have_text("In progress")

    # Each therapist attests presence with their own password.
    for prefix in ("attest-lead", "attest-co"):
        form = page.get_by_test_id("form-attest").first
        form.locator(f"[name={prefix}-password]").fill(password)
        form.get_by_role("button", name="Attest presence").click()
        expect(page.locator(".alert-success")).to_contain_text("Presence attested")
    expect(page.get_by_text("present, attested")).to_have_count(2)

    # Pre-dose checks, then pre-dose vital signs.
    predose = page.get_by_test_id("form-predose")
    predose.get_by_label("Not applicable").check()
    predose.locator("[name=predose-cssrs_pre_ideation]").select_option("0")
    predose.locator("[name=predose-cssrs_pre_behaviour][value=False]").check()
    predose.get_by_role("button", name="Save pre-dose checks").click()
    expect(page.get_by_test_id("predose")).to_contain_text("Pregnancy test not applicable")
    record_reading(page, 175, "122", "78", "72", "36.8", "3")

    # The initial dose, two hours ago.
    dose = page.get_by_test_id("form-dose")
    dose.locator("[name=dose-dose_mg]").select_option("120")
    dose.locator("[name=dose-kit_number]").fill("KIT-1001")
    dose.locator("[name=dose-administered_at]").fill(at(120))
    dose.get_by_role("button", name="Record the initial dose").click()
    expect(page.get_by_test_id("doses")).to_contain_text("Initial dose: 120 mg, kit KIT-1001")

    # A physiologically impossible value is refused beside the field, keeping what was typed.
    record_reading(page, 95, "128", "180", "88")
    expect(
        page.get_by_text("Diastolic pressure must be below systolic (128 mmHg).")
    ).to_be_visible()
    expect(page.locator("[name=reading-pulse]")).to_have_value("88")

    # Readings after the dose, one over the systolic threshold.
    record_reading(page, 90, "128", "82", "88", "", "5")
    record_reading(page, 60, "172", "96", "104", "37.2", "6")
    expect(page.locator(".alert-success")).to_contain_text("Over the threshold: systolic")
    expect(page.get_by_test_id("flag")).to_have_count(1)
    expect(page.get_by_test_id("next-due")).to_contain_text("Interval shortened to 15 min")
    record_reading(page, 45, "150", "90", "96")
    expect(page.get_by_test_id("reading")).to_have_count(4)
    expect(page.locator("#vitals-chart")).to_be_visible()

    # The supplemental half dose: go, with its reason, two hours after the initial dose.
    supplemental = page.get_by_test_id("form-supplemental")
    supplemental.locator("[name=supplemental-decision][value=give]").check()
    supplemental.locator("[name=supplemental-decision_reason]").fill(
        "Well tolerated; blood pressure back under the threshold"
    )
    supplemental.locator("[name=supplemental-dose_mg]").select_option("60")
    supplemental.locator("[name=supplemental-kit_number]").fill("KIT-1002")
    supplemental.locator("[name=supplemental-administered_at]").fill(at(0))
    supplemental.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_test_id("doses")).to_contain_text("Supplemental half dose: 60 mg")
    expect(page.get_by_test_id("deviations")).to_have_count(1)  # only the visit window

    observation = page.get_by_test_id("form-observation")
    observation.locator("[name=observation-text]").fill(
        "Tearful while speaking of the event; settled."
    )
    observation.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("observation")).to_have_count(1)

    # End of session.
    end = page.get_by_test_id("form-end")
    end.locator("[name=end-cssrs_post_ideation]").select_option("0")
    end.locator("[name=end-cssrs_post_behaviour][value=False]").check()
    end.locator("[name=end-overnight_ready][value=True]").check()
    end.get_by_role("button", name="End the session").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Ended")
    expect(page.get_by_test_id("end-summary")).to_contain_text("Overnight stay: ready")

    session = DosingSession.objects.get(visit__participant=participant1, visit__code="D1")
    assert session.status == DosingSession.Status.ENDED
    assert session.readings.count() == 4
    alert = VitalSignAlert.objects.get(reading__session=session)
    assert [m.to for m in mail.outbox] == [[monitor.email]]
    assert "S01-0001" in mail.outbox[0].body and "Ashdown" not in mail.outbox[0].body

    # The medical monitor sees the alert.
    page.get_by_role("button", name="Log out").click()
    log_in("monitor")
    page.get_by_role("link", name=re.compile(r"^Alerts")).click()
    row = page.locator(f"#alert-{alert.pk}")
    expect(row).to_contain_text("S01-0001")
    expect(row).to_contain_text("172")
    expect(page.get_by_text("Ashdown")).to_have_count(0)
