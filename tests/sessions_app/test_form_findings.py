"""The flowsheet's and the corrections' forms as their users meet them: numbers outside a range,
refusals said once and truthfully, one id per element, late entries, and the supplemental dose."""

import collections
import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from records.fields import PulseField, QTcField, TemperatureField, WeightField
from sessions_app.forms.corrections import SupplementalDecisionCorrectionForm
from sessions_app.forms.flowsheet import SupplementalDoseFields, SupplementalForm
from sessions_app.models import DosingSession, Observation, VitalSignReading
from sessions_app.services import corrections
from tests.sessions_app.factories import initial_of as _initial
from tests.sessions_app.factories import supplemental_of as _supplemental
from tests.sessions_app.pages import (
    decision_url,
    dose_form,
    dose_url,
    field_error,
    flowsheet_url,
    local,
    post_reading,
)

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
GIVE = DosingSession.Supplemental.GIVE
WITHHOLD = DosingSession.Supplemental.WITHHOLD
NOT_A_PLAIN_NUMBER = ["1e400", "1e5", "inf", "-inf", "nan"]


def input_tag(body: str, name: str) -> str:
    match = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', body)
    return match.group(0) if match else ""


# --- 1. A number outside the range, however it is written ---------------------------------------


@pytest.mark.parametrize("typed", NOT_A_PLAIN_NUMBER)
@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("systolic", "Systolic pressure must be between 50 and 300 mmHg."),
        ("diastolic", "Diastolic pressure must be between 20 and 200 mmHg."),
        ("pulse", "Pulse must be between 20 and 250 beats per minute."),
        ("temperature", "Body temperature must be between 30 and 45 °C."),
        ("suds", "SUDS must be between 0 and 10."),
    ],
)
def test_a_reading_written_as_1e400_or_inf_gets_the_range_message_beside_its_field(
    login, therapist, dosed_session, field, message, typed
):
    values = {"systolic": "120", "diastolic": "80", "pulse": "72", "temperature": "36.8"}
    values[field] = typed
    before = VitalSignReading.objects.count()
    body = post_reading(login(therapist), dosed_session, **values).content.decode()
    assert field_error(body, f"reading-{field}") == message
    assert "digits" not in body and "whole number" not in body
    assert "Enter at least one measurement" not in body
    assert f'value="{typed}"' in input_tag(body, f"reading-{field}")  # kept as typed
    assert VitalSignReading.objects.count() == before


def test_a_reading_correction_refuses_1e400_with_the_range_message(login, therapist, dosed_session):
    reading = dosed_session.readings.get()
    response = login(therapist).post(
        reverse("sessions_app:reading_edit", args=[reading.pk]),
        {
            "version": reading.version,
            "measured_at": local(reading.measured_at),
            "systolic": "122",
            "diastolic": "78",
            "pulse": "72",
            "temperature": "1e400",
            "suds": "3",
            "reason": "Thermometer re-read.",
        },
    )
    body = response.content.decode()
    assert field_error(body, "temperature") == "Body temperature must be between 30 and 45 °C."
    assert 'value="1e400"' in input_tag(body, "temperature")


def test_measurements_are_typed_in_text_inputs_so_that_the_browser_keeps_what_was_typed(
    login, therapist, dosed_session
):
    body = login(therapist).get(flowsheet_url(dosed_session)).content.decode()
    for name in ("systolic", "diastolic", "pulse", "temperature", "suds"):
        tag = input_tag(body, f"reading-{name}")
        assert 'type="text"' in tag and 'inputmode="decimal"' in tag


@pytest.mark.parametrize("typed", [*NOT_A_PLAIN_NUMBER, "99999", "-5", "1e-5"])
@pytest.mark.parametrize(
    ("model_field", "message"),
    [
        (TemperatureField(), "Body temperature must be between 30 and 45 °C."),
        (WeightField(), "Weight must be between 20 and 400 kg."),
        (PulseField(), "Pulse must be between 20 and 250 beats per minute."),
        (QTcField(), "QTc must be between 250 and 700 ms."),
    ],
)
def test_every_ranged_field_gives_its_range_message_to_any_number_outside(
    model_field, message, typed
):
    form_field = model_field.formfield(required=False)
    with pytest.raises(ValidationError) as caught:
        form_field.clean(typed)
    assert caught.value.messages == [message]


def test_ranged_fields_still_accept_plain_numbers_and_name_other_faults():
    assert TemperatureField().formfield().clean("37.2") == Decimal("37.2")
    assert PulseField().formfield().clean("72") == 72
    with pytest.raises(ValidationError) as caught:
        TemperatureField().formfield().clean("36.55")
    assert "decimal place" in caught.value.messages[0]
    with pytest.raises(ValidationError) as caught:
        PulseField().formfield().clean("72.5")
    assert caught.value.messages == ["Enter a whole number."]
    with pytest.raises(ValidationError) as caught:
        PulseField().formfield().clean("abc")
    assert caught.value.messages == ["Enter a whole number."]


# --- 2 and 3. A refusal is said once, in its step, and truthfully --------------------------------


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
        reverse("sessions_app:sign", args=[ended.pk]), {"password": "nope"}
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


# --- 4. The supplemental strength on the initial-dose correction ---------------------------------


def test_a_supplemental_strength_not_half_the_initial_is_refused_beside_the_supplemental(
    login, therapist, given
):
    initial = _initial(given)
    data = dose_form(initial, dose_mg=80, supplemental_dose_mg=60)
    body = login(therapist).post(dose_url(initial), data).content.decode()
    message = field_error(body, "supplemental_dose_mg")
    assert "with 80 mg initial, choose 40 mg supplemental here" in message
    assert field_error(body, "dose_mg") == ""
    assert _initial(given).dose_mg == 120


def test_the_service_names_the_supplemental_strength_too(therapist, given):
    initial = _initial(given)
    with pytest.raises(ValidationError) as caught:
        corrections.dose_administration_correct(
            actor=therapist,
            administration=initial,
            dose_mg=80,
            kit_number=initial.kit_number,
            administered_at=initial.administered_at,
            expected_version=initial.version,
            reason="Kits mixed up.",
        )
    assert set(caught.value.message_dict) == {"supplemental_dose_mg"}
    assert "The supplemental dose (60 mg)" in caught.value.message_dict["supplemental_dose_mg"][0]


# --- 5. One id per element ----------------------------------------------------------------------


class IdCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id"]


def duplicate_ids(body: str) -> list[str]:
    collector = IdCollector()
    collector.feed(body)
    return [id_ for id_, count in collections.Counter(collector.ids).items() if count > 1]


@pytest.mark.parametrize("state", ["session1", "started_session", "dosed_session", "ended"])
def test_every_id_on_the_flowsheet_is_unique(request, login, therapist, state):
    session = request.getfixturevalue(state)
    client = login(therapist)
    body = client.get(flowsheet_url(session)).content.decode()
    assert duplicate_ids(body) == []


def test_every_id_is_unique_on_a_refused_flowsheet(login, therapist, dosed_session):
    body = post_reading(login(therapist), dosed_session, systolic="400").content.decode()
    assert duplicate_ids(body) == []


# --- 6. Late entries on an ended session ---------------------------------------------------------


def test_late_entry_forms_do_not_offer_now_as_their_time(login, therapist, ended):
    body = login(therapist).get(flowsheet_url(ended)).content.decode()
    now = local(timezone.now())
    for name in ("reading-measured_at", "observation-observed_at"):
        tag = input_tag(body, name)
        assert "value=" not in tag, tag
        assert f'max="{local(ended.ended_at)}"' in tag
    assert now not in input_tag(body, "observation-observed_at")
    ran = f"The session ran from {timezone.localtime(ended.started_at):%d %b %Y %H:%M}"
    assert ran in body
    assert "Add a late reading" in body
    assert "Add a late observation or intervention" in body


def test_a_late_observation_is_added_with_the_time_it_happened(login, therapist, ended):
    at = ended.ended_at - 30 * MINUTE
    response = login(therapist).post(
        flowsheet_url(ended),
        {
            "action": "observation",
            "observation-observed_at": local(at),
            "observation-kind": Observation.Kind.OBSERVATION,
            "observation-text": "Nausea, settled with water.",
            "observation-reason": "Found in the paper notes.",
        },
    )
    assert response.status_code == 302
    assert ended.observations.get().text == "Nausea, settled with water."


def test_a_late_entry_without_a_time_says_which_time_to_enter(login, therapist, ended):
    body = (
        login(therapist)
        .post(
            flowsheet_url(ended),
            {
                "action": "observation",
                "observation-kind": Observation.Kind.OBSERVATION,
                "observation-text": "Nausea.",
                "observation-reason": "Found in the paper notes.",
            },
        )
        .content.decode()
    )
    assert field_error(body, "observation-observed_at") == "Enter the date and time."
    assert "Nausea." in body


# --- 7. The supplemental window's explanation where it applies -----------------------------------


def test_the_initial_dose_correction_hides_the_supplemental_window_explanation(
    login, therapist, given
):
    client = login(therapist)
    initial_page = client.get(dose_url(_initial(given))).content.decode()
    assert 'name="deviation_reason"' not in initial_page
    supplemental_page = client.get(dose_url(_supplemental(given))).content.decode()
    assert 'name="deviation_reason"' in supplemental_page


def test_the_explanation_appears_when_the_corrected_time_moves_the_supplemental_out(
    login, therapist, given
):
    initial = _initial(given)
    later = local(initial.administered_at + 15 * MINUTE)  # the supplemental is then at +1h25
    client = login(therapist)
    data = dose_form(initial, administered_at=later, supplemental_dose_mg=60)
    body = client.post(dose_url(initial), data).content.decode()
    assert field_error(body, "supplemental_dose_mg") == ""
    assert "+1h25" in field_error(body, "deviation_reason")
    assert 'name="deviation_reason"' in body
    data = dose_form(
        initial,
        administered_at=later,
        supplemental_dose_mg=60,
        deviation_reason="Given early, on request.",
    )
    assert client.post(dose_url(initial), data).status_code == 302
    assert _supplemental(given).deviation_reason == "Given early, on request."
    # Carrying an explanation, the supplemental dose shows it on the initial dose's page.
    page = client.get(dose_url(_initial(given))).content.decode()
    assert "Given early, on request." in page


# --- 8. A time in the future is refused with the form's other messages ---------------------------


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


# --- 9. One declaration of the supplemental dose's fields ----------------------------------------


def test_the_decision_and_its_correction_share_the_supplemental_dose_fields():
    assert issubclass(SupplementalForm, SupplementalDoseFields)
    assert issubclass(SupplementalDecisionCorrectionForm, SupplementalDoseFields)
    for name in ("dose_mg", "kit_number", "administered_at", "deviation_reason"):
        decided = SupplementalForm.base_fields[name]
        corrected = SupplementalDecisionCorrectionForm.base_fields[name]
        assert decided.label == corrected.label
        assert type(decided) is type(corrected)


def test_a_supplemental_given_without_kit_or_reason_gets_every_message_at_once(
    login, therapist, dosed_session
):
    body = (
        login(therapist)
        .post(
            flowsheet_url(dosed_session),
            {
                "action": "supplemental",
                "supplemental-decision": GIVE,
                "supplemental-decision_reason": "",
                "supplemental-dose_mg": "40",
                "supplemental-kit_number": "",
                "supplemental-administered_at": local(timezone.now()),
            },
        )
        .content.decode()
    )
    assert field_error(body, "supplemental-decision_reason") == "Give the reason for this decision."
    assert field_error(body, "supplemental-kit_number") == "Enter the kit number."
    assert "half the initial dose: 60 mg" in field_error(body, "supplemental-dose_mg")
    # Given now, +2h50 after the initial dose: the window's message comes with the others.
    assert "outside +1h30 to +2h30: explain the protocol deviation" in field_error(
        body, "supplemental-deviation_reason"
    )
