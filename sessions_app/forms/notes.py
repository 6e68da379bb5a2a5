"""The form of an integration session's notes, with the day the session was held."""

import datetime

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone

from records.forms import (
    SAFETY_ANSWER_HELP,
    YES_NO_REQUIRED,
    AuditedEditForm,
    DayField,
    LongTextField,
    ServerValidatedHelper,
    cssrs_ideation_field,
    text_field,
)
from sessions_app.models import IntegrationNote, Visit
from sessions_app.services.notes import NOTE_FIELDS

YES_NO = [("yes", "Yes"), ("no", "No")]


def default_held_on(visit: Visit) -> datetime.date:
    """The day recorded, else the target day unless it is still to come, else today."""
    today = timezone.localdate()
    if visit.held_on is not None:
        return visit.held_on
    return visit.target_date if visit.target_date <= today else today


class IntegrationNoteForm(AuditedEditForm):
    """Writing the notes needs no reason; changing them needs one, and the version opened."""

    held_on = DayField(label="Day the session was held")
    deviation_explanation = text_field(
        "Explanation of the deviation",
        max_length=None,
        help_text="Only needed when the session was held outside its window.",
    )
    cssrs_ideation = cssrs_ideation_field("C-SSRS ideation severity")
    # An explicit answer, never an unticked box that reads as "no".
    cssrs_behaviour = forms.TypedChoiceField(
        label="Suicidal behaviour since the last visit",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text=SAFETY_ANSWER_HELP,
        error_messages={"required": YES_NO_REQUIRED},
    )

    class Meta:
        model = IntegrationNote
        fields = list(NOTE_FIELDS)
        widgets = {
            "themes": forms.Textarea(attrs={"rows": 4}),
            "participant_report": forms.Textarea(attrs={"rows": 4}),
            "safety_notes": forms.Textarea(attrs={"rows": 2}),
            "plan": forms.Textarea(attrs={"rows": 3}),
            "free_text": forms.Textarea(attrs={"rows": 6}),
        }
        field_classes = dict.fromkeys(widgets, LongTextField)
        error_messages = {
            "themes": {"required": "Describe the themes explored."},
            "participant_report": {"required": "Record what the participant reports."},
            "plan": {"required": "Record the plan until the next visit."},
        }

    def __init__(self, *args, visit: Visit, **kwargs):
        instance = kwargs.get("instance")
        self.creating = instance is None or instance.pk is None
        self.require_reason = not self.creating
        super().__init__(*args, **kwargs)
        self.visit = visit
        if self.creating:
            del self.fields["version"]
            del self.fields["reason"]
        if not self.is_bound:
            self.initial["held_on"] = default_held_on(visit)
            self.initial["deviation_explanation"] = visit.deviation_explanation
            if not self.creating:
                self.initial["cssrs_behaviour"] = "yes" if self.instance.cssrs_behaviour else "no"
        self.fields["held_on"].help_text = (
            f"Window {visit.window_start:%d %b} to {visit.window_end:%d %b %Y} "
            f"(target {visit.target_date:%d %b %Y})."
        )
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(
            Fieldset(
                "Session",
                Row(Column("held_on", css_class="col-md-4"), Column("deviation_explanation")),
            ),
            Fieldset(
                "Structured notes",
                Field("themes"),
                Field("participant_report"),
                Row(
                    Column("cssrs_ideation", css_class="col-md-6"),
                    Column(InlineRadios("cssrs_behaviour"), css_class="col-md-6"),
                ),
                Field("safety_notes"),
                Field("plan"),
            ),
            Fieldset("Further notes", Field("free_text")),
            *([] if self.creating else ["version", Field("reason")]),
            Submit("save", "Save notes" if self.creating else "Save changes"),
        )

    def clean_held_on(self) -> datetime.date:
        value = self.cleaned_data["held_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("A session cannot be recorded as held in the future.")
        return value

    def clean(self):
        cleaned = super().clean()
        held_on = cleaned.get("held_on")
        outside = held_on is not None and not (
            self.visit.window_start <= held_on <= self.visit.window_end
        )
        if outside and not cleaned.get("deviation_explanation", "").strip():
            self.add_error(
                "deviation_explanation",
                f"{held_on:%d %b %Y} is outside the window ({self.visit.window_start:%d %b} to "
                f"{self.visit.window_end:%d %b %Y}). Explain the protocol deviation.",
            )
        return cleaned

    def note_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in NOTE_FIELDS}
