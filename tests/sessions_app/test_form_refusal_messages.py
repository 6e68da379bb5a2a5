"""A refusal is said once, in its step, and truthfully (the input kept, or the password to type
again); a time in the future is refused with the form's other messages."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_app.models import DosingSession
from tests.sessions_app.factories import initial_of as _initial
from tests.sessions_app.pages import (
    decision_url,
    dose_form,
    dose_url,
    field_error,
    flowsheet_url,
    input_tag,
    local,
    post_reading,
)

pytestmark = pytest.mark.django_db

GIVE = DosingSession.Supplemental.GIVE
WITHHOLD = DosingSession.Supplemental.WITHHOLD


# --- A refusal is said once, in its step, and truthfully --------------------------------


def test_an_empty_reading_is_refused_once_in_its_step(login, therapist, dosed_session):
    body = post_reading(login(therapist), dosed_session).content.decode()
    assert body.count("Enter at least one measurement.") == 1
    assert 'data-testid="form-errors"' not in body  # no second banner above the page
    step = re.search(r'<section[^>]*id="reading".*?</section>', body, re.S).group(0)
    assert step.count('class="alert') == 1
    assert "Enter at least one measurement." in step


def test_a_wrong_attestation_password_asks_for_it_again(login, therapist, started_session):
    body = (
        login(therapist)
        .post(
            flowsheet_url(started_session),
            {"action": "attest-lead", "attest-lead-role": "lead", "attest-lead-password": "nope"},
        )
        .content.decode()
    )
    assert "Nothing was attested" in field_error(body, "attest-lead-password")
    assert "still there" not in body
    assert "Type the password again" in body
    assert "value=" not in input_tag(body, "attest-lead-password")


def test_a_refused_reading_says_the_input_is_kept(login, therapist, dosed_session):
    body = post_reading(login(therapist), dosed_session, systolic="400").content.decode()
    assert "Everything you typed is still there." in body
    assert "Type the password again" not in body


def test_a_wrong_sign_off_password_is_refused_beside_it_without_claiming_it_is_kept(
    login, investigator, ended
):
    response = login(investigator).post(
        reverse("sessions_app:sign", args=[ended.pk]), {"password": "nope", "acknowledged": "on"}
    )
    body = response.content.decode()
    assert "Nothing was signed" in field_error(body, "password")
    assert "still there" not in body
    assert "value=" not in input_tag(body, "password")


def test_a_step_the_page_no_longer_shows_is_refused_above_the_page(login, therapist, withheld):
    body = (
        login(therapist)
        .post(
            flowsheet_url(withheld),
            {
                "action": "supplemental",
                "supplemental-decision": WITHHOLD,
                "supplemental-decision_reason": "Settled.",
            },
        )
        .content.decode()
    )
    banner = re.search(r'data-testid="form-errors">(.*?)</div>', body, re.S).group(1)
    assert "already been recorded" in banner
    assert "still there" not in banner


# --- A time in the future is refused with the form's other messages ---------------------------


def test_a_dose_correction_in_the_future_and_without_a_reason_gets_both_messages(
    login, therapist, dosed_session
):
    dose = _initial(dosed_session)
    future = local(timezone.now() + datetime.timedelta(hours=2))
    body = (
        login(therapist)
        .post(dose_url(dose), dose_form(dose, administered_at=future, reason=""))
        .content.decode()
    )
    assert "in the future" in field_error(body, "administered_at")
    assert "Say why" in field_error(body, "reason")
    assert f'value="{future}"' in body


def test_a_decision_correction_in_the_future_and_without_a_reason_gets_both_messages(
    login, therapist, withheld
):
    future = local(timezone.now() + datetime.timedelta(hours=2))
    body = (
        login(therapist)
        .post(
            decision_url(withheld),
            {
                "version": withheld.version,
                "supplemental_decision": GIVE,
                "supplemental_reason": "Given after all.",
                "dose_mg": "60",
                "kit_number": "",
                "administered_at": future,
                "reason": "",
            },
        )
        .content.decode()
    )
    assert "in the future" in field_error(body, "administered_at")
    assert field_error(body, "kit_number") == "Enter the kit number."
    assert "Say why" in field_error(body, "reason")


def test_a_reading_in_the_future_is_refused_by_the_form(login, therapist, dosed_session):
    future = local(timezone.now() + datetime.timedelta(hours=1))
    response = login(therapist).post(
        flowsheet_url(dosed_session),
        {"action": "reading", "reading-measured_at": future, "reading-pulse": "80"},
    )
    body = response.content.decode()
    assert "in the future" in field_error(body, "reading-measured_at")
