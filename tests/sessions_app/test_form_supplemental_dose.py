"""The supplemental dose on the forms: its strength on the initial-dose correction, its window's
explanation where it applies, and one declaration of its fields."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions_app.forms.corrections import SupplementalDecisionCorrectionForm
from sessions_app.forms.doses import SupplementalDoseFields, SupplementalForm
from sessions_app.models import DosingSession
from sessions_app.services import flowsheet
from tests.sessions_app.factories import initial_of as _initial
from tests.sessions_app.factories import supplemental_of as _supplemental
from tests.sessions_app.pages import dose_form, dose_url, field_error, flowsheet_url, local

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
GIVE = DosingSession.Supplemental.GIVE


# --- The supplemental strength on the initial-dose correction ---------------------------------


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
        flowsheet.dose_administration_correct(
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


# --- The supplemental window's explanation where it applies -----------------------------------


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


# --- One declaration of the supplemental dose's fields ----------------------------------------


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
