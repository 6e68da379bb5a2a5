"""Readings and observations: recording them on the flowsheet, and correcting them.

Measurement fields come from the models, so each form refuses the same impossible values with the
same message beside the field.
"""

from crispy_forms.layout import Field, Layout
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from records import measurements
from records.forms import (
    AuditedEditForm,
    LongTextField,
    ServerValidatedHelper,
    WhenField,
    local_input,
    text_field,
)
from records.layout import Div, Submit
from records.measurements import Measurement
from sessions_app.forms.step import FlowsheetForm
from sessions_app.models import Observation, VitalSignReading


def measurement_field(measurement: Measurement) -> forms.Field:
    """The reading model's own form field: its range, its message for any number outside, and a
    text input that keeps what was typed (see records.fields.RangedFormFieldMixin)."""
    return VitalSignReading._meta.get_field(measurement.name).formfield(
        label=measurement.form_label, required=False
    )


class MeasurementFields(forms.Form):
    """The measurements of a reading, all optional; their ranges are the model fields' own."""

    systolic = measurement_field(measurements.SYSTOLIC)
    diastolic = measurement_field(measurements.DIASTOLIC)
    pulse = measurement_field(measurements.PULSE)
    temperature = measurement_field(measurements.TEMPERATURE)
    suds = measurement_field(measurements.SUDS)

    def measurements_refused(self) -> bool:
        """A measurement was typed and refused beside its field: "enter at least one
        measurement" would then mislead."""
        return any(name in self.errors for name in MEASUREMENTS)


MEASUREMENTS = measurements.READING_NAMES
MEASUREMENT_ROW = Div(
    *(Div(name, css_class="col-6") for name in MEASUREMENTS[:4]),
    css_class="row",
)


class ReadingForm(MeasurementFields, FlowsheetForm):
    """Vital signs and/or SUDS, checked by the reading model's own fields and rules."""

    action = "reading"
    submit_label = "Record reading"
    fields_layout = ("measured_at", MEASUREMENT_ROW, "suds")

    measured_at = WhenField(label="Measured at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_time("measured_at")

    def clean(self):
        cleaned = super().clean()
        reading = VitalSignReading(
            session=self.session,
            measured_at=cleaned.get("measured_at"),
            **{name: cleaned.get(name) for name in MEASUREMENTS},
        )
        try:
            reading.full_clean(
                exclude=["session", "recorded_by", "flags", "measured_at"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field == "__all__":
                    if not self.measurements_refused():
                        self.add_error(None, messages)
                elif field in self.fields and field not in self.errors:
                    self.add_error(field, messages)
        return cleaned


class ObservationForm(FlowsheetForm):
    action = "observation"
    submit_label = "Add"
    fields_layout = ("observed_at", "kind", "text")

    observed_at = WhenField(label="At")
    kind = forms.ChoiceField(choices=Observation.Kind.choices, initial=Observation.Kind.OBSERVATION)
    text = text_field(
        "What was observed or done",
        required=True,
        max_length=4000,
        rows=3,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_time("observed_at")


class EntryEditForm(AuditedEditForm):
    """Correcting an entry of the flowsheet, always with a reason: its time (`time_field`, shown
    as the time input shows it) and then `fields_layout`."""

    time_field: str
    fields_layout: tuple = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        when = getattr(self.instance, self.time_field)
        if not self.is_bound and when:
            self.initial[self.time_field] = local_input(when)
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(
            Field("version"),
            self.time_field,
            *self.fields_layout,
            "reason",
            Submit("save", "Save the correction"),
        )


class ReadingEditForm(MeasurementFields, EntryEditForm):
    """Correcting a reading: always with a reason; the second of two concurrent edits is refused."""

    time_field = "measured_at"
    fields_layout = (MEASUREMENT_ROW, "suds")

    measured_at = WhenField(label="Measured at")

    class Meta:
        model = VitalSignReading
        fields = ["measured_at", *MEASUREMENTS]

    def _update_errors(self, errors):
        """The model's own checks; the one about the reading as a whole ("enter at least one
        measurement") is left out when a typed measurement was refused beside its field."""
        if self.measurements_refused() and hasattr(errors, "error_dict"):
            errors.error_dict.pop(NON_FIELD_ERRORS, None)
        super()._update_errors(errors)


class ObservationEditForm(EntryEditForm):
    """Correcting an observation or intervention, with a reason."""

    time_field = "observed_at"
    fields_layout = ("kind", "text")

    observed_at = WhenField(label="At")

    class Meta:
        model = Observation
        fields = ["observed_at", "kind", "text"]
        labels = {"text": "What was observed or done"}
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"text": LongTextField}


class StrikeThroughForm(AuditedEditForm):
    """Strike an entry (a reading, an observation) through as entered in error: the version the
    user opened and why. Built for the entry's model by `strike_through_form`."""

    class Meta:
        model = VitalSignReading
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Why it was entered in error"
        self.fields["reason"].help_text = (
            "For example: recorded for the wrong participant, or entered twice. Kept with the "
            "entry and in the audit trail."
        )
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(
            Field("version"),
            "reason",
            Submit("strike", "Strike through as entered in error", css_class="btn-danger"),
        )


def strike_through_form(entry, **kwargs) -> StrikeThroughForm:
    form_class = forms.modelform_factory(type(entry), form=StrikeThroughForm, fields=[])
    return form_class(instance=entry, **kwargs)
