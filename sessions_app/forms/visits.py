from crispy_forms.layout import Field, Layout
from django import forms
from django.utils import timezone

from records.forms import DayField, ServerValidatedHelper, text_field
from records.layout import Submit
from sessions_app.models import Visit
from sessions_app.services.visits import MISSED_REASON_REQUIRED, UNDO_REASON_REQUIRED


class VisitHeldForm(forms.Form):
    """The day a preparatory (or integration) visit was held; outside its window, why."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    held_on = DayField(label="Held on")
    deviation_explanation = text_field("Explanation if outside the window")
    reason = text_field(
        "Reason for change",
        max_length=500,
    )

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.visit = visit
        self.changing = visit.status != Visit.Status.SCHEDULED
        if self.changing:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                f"This visit was already recorded as {visit.get_status_display().lower()}: "
                "say why the record is being changed."
            )
        else:
            del self.fields["reason"]
        if not self.is_bound:
            self.initial.update(
                version=visit.version,
                held_on=visit.held_on or min(visit.target_date, timezone.localdate()),
                deviation_explanation=visit.deviation_explanation,
            )
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(
            Field("version"),
            "held_on",
            "deviation_explanation",
            *(["reason"] if self.changing else []),
            Submit("save", "Save"),
        )


class VisitMissedForm(forms.Form):
    """Why an expected visit did not take place; or, with `undo`, why it was recorded as missed
    in error."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = text_field("Reason", required=True, rows=3)

    def __init__(self, *args, visit, undo: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.undo = undo
        if not self.is_bound:
            self.initial["version"] = visit.version
        field = self.fields["reason"]
        if undo:
            field.label = "Why it was recorded as missed in error"
            self.required_message = UNDO_REASON_REQUIRED
            submit = Submit("undo", "Not missed: expect it again")
        else:
            field.label = "Why it did not take place"
            field.help_text = (
                "For example: participant unwell, rescheduling not possible within the window."
            )
            self.required_message = MISSED_REASON_REQUIRED
            submit = Submit("missed", "Record as missed")
        field.error_messages["required"] = self.required_message
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(Field("version"), "reason", submit)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(self.required_message)
        return reason
