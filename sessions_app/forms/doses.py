"""The doses' steps: the initial dose and the supplemental go/no-go, with the dose fields
their corrections use too (sessions_app/forms/corrections.py).
"""

from crispy_forms.layout import HTML
from django import forms
from django.core.exceptions import ValidationError

from records.forms import WhenField, now_local, text_field
from records.layout import Div
from sessions_app.forms.step import FlowsheetForm
from sessions_app.models import DoseAdministration, DosingSession, StudySessionSettings
from sessions_app.selectors import elapsed_minutes
from sessions_app.services.flowsheet.doses import (
    DECISION_REASON_REQUIRED,
    supplemental_deviation,
    supplemental_dose_errors,
)


def kit_number_field(**kwargs) -> forms.CharField:
    return forms.CharField(label="Kit number", max_length=20, **kwargs)


class KitNumberChecked:
    """A form's `kit_number` as typed, trimmed and checked against the model's own format (an
    empty one is left to the form's own rule on whether it is required)."""

    def clean_kit_number(self):
        value = self.cleaned_data["kit_number"].strip()
        if value:
            DoseAdministration._meta.get_field("kit_number").run_validators(value)
        return value


class InitialDoseForm(KitNumberChecked, FlowsheetForm):
    action = "dose"
    submit_label = "Record the initial dose"
    fields_layout = (
        Div(Div("dose_mg", css_class="col"), Div("kit_number", css_class="col"), css_class="row"),
        "administered_at",
    )

    dose_mg = forms.TypedChoiceField(
        label="Dose (as labelled)",
        coerce=int,
        choices=[(80, "80 mg"), (120, "120 mg")],
    )
    kit_number = kit_number_field()
    administered_at = WhenField(label="Given at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["administered_at"] = now_local()


def window_explanation_field(**kwargs) -> forms.CharField:
    """Why a supplemental dose falls outside its window (a protocol deviation)."""
    return text_field(
        "Explanation if outside the supplemental window",
        **kwargs,
    )


def supplemental_decision_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Supplemental half dose",
        choices=DosingSession.Supplemental.choices,
        widget=forms.RadioSelect,
    )


def decision_reason_field() -> forms.CharField:
    return text_field(
        "Reason for the decision",
        required=True,
        max_length=1000,
        error_messages={"required": DECISION_REASON_REQUIRED},
    )


class SupplementalDoseFields(KitNumberChecked, forms.Form):
    """The supplemental half dose as given: strength, kit, time, and why it is outside its window.

    The decision on the flowsheet and its correction both record the dose with these fields.
    When the decision (`decision_field`) is to give it, what the services require of the dose is
    checked here too, so that every message comes at once, beside its field.
    """

    decision_field = "decision"
    initial_dose: DoseAdministration | None = None
    dose_layout = (
        Div(Div("dose_mg", css_class="col"), Div("kit_number", css_class="col"), css_class="row"),
        "administered_at",
        "deviation_reason",
    )

    dose_mg = forms.TypedChoiceField(
        label="Dose (as labelled)",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—"), (40, "40 mg"), (60, "60 mg")],
    )
    kit_number = kit_number_field(required=False)
    administered_at = WhenField(label="Given at", required=False)
    deviation_reason = window_explanation_field()

    def half_of(self, initial_dose: DoseAdministration | None) -> None:
        """The initial dose the supplemental one halves; its half is the strength offered."""
        self.initial_dose = initial_dose
        if not self.is_bound and initial_dose is not None:
            self.initial["dose_mg"] = initial_dose.dose_mg // 2

    def clean(self):
        cleaned = super().clean()
        if "dose_mg" in self.fields and cleaned.get(self.decision_field) == (
            DosingSession.Supplemental.GIVE
        ):
            self._check_dose_given(cleaned)
        return cleaned

    def _check_dose_given(self, cleaned: dict) -> None:
        initial_dose = self.initial_dose
        errors = supplemental_dose_errors(
            initial_mg=initial_dose.dose_mg if initial_dose is not None else None,
            dose_mg=cleaned.get("dose_mg"),
            kit_number=cleaned.get("kit_number") or "",
            administered_at=cleaned.get("administered_at"),
        )
        for name, message in errors.items():
            if name not in self.errors:  # a value refused already keeps its own message
                self.add_error(name, message)
        given_at = cleaned.get("administered_at")
        checkable = initial_dose is not None and given_at is not None
        if checkable and "deviation_reason" not in self.errors:
            # The window, with the other messages (the service checks it again when saving).
            session = initial_dose.session
            try:
                supplemental_deviation(
                    minutes=elapsed_minutes(given_at, initial_dose.administered_at),
                    settings_=StudySessionSettings.for_study(session.visit.participant.site.study),
                    deviation_reason=cleaned.get("deviation_reason") or "",
                )
            except ValidationError as error:
                self.add_error("deviation_reason", error.message_dict["deviation_reason"])


class SupplementalForm(SupplementalDoseFields, FlowsheetForm):
    action = "supplemental"
    service_field_names = {"reason": "decision_reason"}  # the service's `reason` argument
    submit_label = "Record the decision"
    fields_layout = (
        "decision",
        "decision_reason",
        HTML('<p class="small text-muted mb-2">If given: the half dose, its kit and time.</p>'),
        *SupplementalDoseFields.dose_layout,
    )

    decision = supplemental_decision_field()
    decision_reason = decision_reason_field()

    def __init__(self, *args, initial_dose: DoseAdministration | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.half_of(initial_dose)
        if not self.is_bound and initial_dose is not None:
            self.initial["administered_at"] = now_local()
