"""Forms correcting the start and team, a dose, and the supplemental decision.

Each carries the version the user opened and asks for the reason for change. Times are shown in
local time; the services judge the values and write them.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout, Submit
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from audit.forms import AuditedEditForm
from sessions_app.forms.flowsheet import WhenField
from sessions_app.models import DoseAdministration, DosingSession
from sessions_app.services.flowsheet import FUTURE_TOLERANCE

SUBMIT = Submit("save", "Save the correction")


def local_input(when) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M") if when else ""


def kit_number_field(**kwargs) -> forms.CharField:
    return forms.CharField(label="Kit number", max_length=20, **kwargs)


def password_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class CorrectionForm(AuditedEditForm):
    """A correction: the instance's own rules run, and one about a field not shown goes on top."""

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            placed: dict[str, list] = {}
            for field, messages in errors.error_dict.items():
                placed.setdefault(field if field in self.fields else NON_FIELD_ERRORS, []).extend(
                    messages
                )
            errors = ValidationError(placed)
        super()._update_errors(errors)

    def clean_kit_number(self):
        value = self.cleaned_data["kit_number"].strip()
        if value:
            DoseAdministration._meta.get_field("kit_number").run_validators(value)
        return value


class StartCorrectionForm(CorrectionForm):
    """The start time and the team; whoever joins the team types their password."""

    started_at = WhenField(label="Started at")
    lead_therapist = forms.ModelChoiceField(queryset=None, label="Lead therapist")
    co_therapist = forms.ModelChoiceField(queryset=None, label="Co-therapist")
    lead_password = password_field("Password of the new lead therapist")
    co_password = password_field("Password of the new co-therapist")
    deviation_explanation = forms.CharField(
        label="Explanation if the visit's day falls outside its window",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A start on another day moves the day the visit was held.",
    )

    class Meta:
        model = DosingSession
        fields = ["started_at", "lead_therapist", "co_therapist"]

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        session = self.instance
        for name in ("lead_therapist", "co_therapist"):
            self.fields[name].queryset = team
            self.fields[name].label_from_instance = lambda member: member.printed_name
        if not self.is_bound:
            self.initial["started_at"] = local_input(session.started_at)
            self.initial["deviation_explanation"] = session.visit.deviation_explanation
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": "", "data-testid": "form-correct-start"}
        self.helper.layout = Layout(
            Field("version"),
            "started_at",
            "deviation_explanation",
            Div(
                Div("lead_therapist", css_class="col"),
                Div("co_therapist", css_class="col"),
                css_class="row",
            ),
            HTML(
                '<p class="small text-muted mb-2">Only for a therapist who joins the team: '
                "they attest their presence with their own password.</p>"
            ),
            Div(
                Div("lead_password", css_class="col"),
                Div("co_password", css_class="col"),
                css_class="row",
            ),
            "reason",
            SUBMIT,
        )

    def clean_started_at(self):
        """The refusals the session's own rules would give, beside the field they concern."""
        started_at = self.cleaned_data["started_at"]
        ended_at = self.instance.ended_at
        if started_at > timezone.now() + FUTURE_TOLERANCE:
            raise ValidationError("This time is in the future. Enter when it happened.")
        if ended_at is not None and started_at >= ended_at:
            raise ValidationError(
                f"The session ended at {timezone.localtime(ended_at):%d %b %Y %H:%M}: it must "
                "have started before that. If the whole session moved, correct its end first."
            )
        return started_at


class DoseCorrectionForm(CorrectionForm):
    """A dose's strength, kit and time. Correcting the initial dose while a supplemental one is
    recorded also shows the supplemental strength and its window explanation."""

    dose_mg = forms.TypedChoiceField(label="Dose (as labelled)", coerce=int, choices=())
    kit_number = kit_number_field()
    administered_at = WhenField(label="Given at")
    supplemental_dose_mg = forms.TypedChoiceField(
        label="Supplemental dose (half the initial)",
        coerce=int,
        choices=[(40, "40 mg"), (60, "60 mg")],
    )
    deviation_reason = forms.CharField(
        label="Explanation if outside the supplemental window",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = DoseAdministration
        fields = ["dose_mg", "kit_number", "administered_at"]

    def __init__(self, *args, supplemental: DoseAdministration | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        dose = self.instance
        initial_kind = dose.kind == DoseAdministration.Kind.INITIAL
        self.fields["dose_mg"].choices = (
            [(80, "80 mg"), (120, "120 mg")] if initial_kind else [(40, "40 mg"), (60, "60 mg")]
        )
        window_source = dose
        if initial_kind:
            if supplemental is None:
                del self.fields["supplemental_dose_mg"]
                del self.fields["deviation_reason"]
            else:
                window_source = supplemental
                self.fields[
                    "deviation_reason"
                ].help_text = (
                    "For the supplemental dose, if the corrected time puts it outside its window."
                )
        else:
            del self.fields["supplemental_dose_mg"]
        if not self.is_bound:
            self.initial["administered_at"] = local_input(dose.administered_at)
            if "deviation_reason" in self.fields:
                self.initial["deviation_reason"] = window_source.deviation_reason
            if "supplemental_dose_mg" in self.fields:
                self.initial["supplemental_dose_mg"] = supplemental.dose_mg
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": "", "data-testid": "form-correct-dose"}
        self.helper.layout = Layout(
            Field("version"),
            Div(
                Div("dose_mg", css_class="col"), Div("kit_number", css_class="col"), css_class="row"
            ),
            *(["supplemental_dose_mg"] if "supplemental_dose_mg" in self.fields else []),
            "administered_at",
            *(["deviation_reason"] if "deviation_reason" in self.fields else []),
            "reason",
            SUBMIT,
        )


class SupplementalDecisionCorrectionForm(CorrectionForm):
    """The go/no-go and its reason. From no-go to go, the dose given is recorded here too."""

    supplemental_decision = forms.ChoiceField(
        label="Supplemental half dose",
        choices=DosingSession.Supplemental.choices,
        widget=forms.RadioSelect,
    )
    supplemental_reason = forms.CharField(
        label="Reason for the decision",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for this decision."},
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
    deviation_reason = forms.CharField(
        label="Explanation if outside the supplemental window",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = DosingSession
        fields = ["supplemental_decision", "supplemental_reason"]

    def __init__(self, *args, initial_dose: DoseAdministration | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.was_given = self.instance.supplemental_decision == DosingSession.Supplemental.GIVE
        if self.was_given:
            for name in ("dose_mg", "kit_number", "administered_at", "deviation_reason"):
                del self.fields[name]
            administration = [
                HTML(
                    '<p class="small text-muted mb-2">Corrected to no-go, the supplemental '
                    "administration is kept on record, struck through as entered in error with "
                    "your reason for change. To correct its strength, kit or time, use its own "
                    "Correct button.</p>"
                )
            ]
        else:
            if not self.is_bound and initial_dose is not None:
                self.initial["dose_mg"] = initial_dose.dose_mg // 2
            administration = [
                HTML('<p class="small text-muted mb-2">If corrected to go: the dose given.</p>'),
                Div(
                    Div("dose_mg", css_class="col"),
                    Div("kit_number", css_class="col"),
                    css_class="row",
                ),
                "administered_at",
                "deviation_reason",
            ]
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": "", "data-testid": "form-correct-supplemental"}
        self.helper.layout = Layout(
            Field("version"),
            "supplemental_decision",
            "supplemental_reason",
            *administration,
            "reason",
            SUBMIT,
        )
