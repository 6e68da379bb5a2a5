"""A number outside its range gets the range's message beside its field, however it is written
("1e400", "inf", "nan"), and stays as typed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from records.fields import PulseField, QTcField, TemperatureField, WeightField
from sessions_app.models import VitalSignReading
from tests.sessions_app.pages import field_error, flowsheet_url, input_tag, local, post_reading

pytestmark = pytest.mark.django_db

NOT_A_PLAIN_NUMBER = ["1e400", "1e5", "inf", "-inf", "nan"]


# --- A number outside the range, however it is written ---------------------------------------


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
