from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.utils import timezone


class VisitHeldForm(forms.Form):
    """The day a preparatory (or integration) visit was held; outside its window, why."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    held_on = forms.DateField(label="Held on", widget=forms.DateInput(attrs={"type": "date"}))
    deviation_explanation = forms.CharField(
        label="Explanation if outside the window",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label="Reason for change",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.visit = visit
        self.changing = visit.held_on is not None
        if self.changing:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                "This visit was already recorded as held: say why the date is being changed."
            )
        else:
            del self.fields["reason"]
        if not self.is_bound:
            self.initial.update(
                version=visit.version,
                held_on=visit.held_on or min(visit.target_date, timezone.localdate()),
                deviation_explanation=visit.deviation_explanation,
            )
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("version"),
            "held_on",
            "deviation_explanation",
            *(["reason"] if self.changing else []),
            Submit("save", "Save"),
        )
