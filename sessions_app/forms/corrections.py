"""Forms correcting the start and team, a dose, and the supplemental decision.

Each carries the version the user opened and asks for the reason for change. Times are shown in
local time. What can be judged from the form alone (a time in the future, the supplemental dose
staying half the initial one, its window) is checked here, so that every message comes at once
beside its field; the services judge the values again and write them.
"""

from crispy_forms.layout import HTML, Field, Layout
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from records.forms import AuditedEditForm, ServerValidatedHelper, WhenField, local_input, text_field
from records.layout import Div, Submit
from sessions_app.forms.doses import (
    KitNumberChecked,
    SupplementalDoseFields,
    decision_reason_field,
    kit_number_field,
    supplemental_decision_field,
    window_explanation_field,
)
from sessions_app.models import DoseAdministration, DosingSession, StudySessionSettings
from sessions_app.selectors import elapsed_minutes
from sessions_app.services.flowsheet.dose_corrections import initial_after_supplemental
from sessions_app.services.flowsheet.doses import supplemental_deviation

SUBMIT = Submit("save", "Save the correction")


class FieldWhen(Field):
    """A field rendered only while `condition(form)` holds when the page is drawn, so that a
    message a service adds after validation still brings its field into view."""

    def __init__(self, name: str, *, condition, **kwargs):
        super().__init__(name, **kwargs)
        self.condition = condition

    def render(self, form, context, **kwargs):
        return super().render(form, context, **kwargs) if self.condition(form) else ""


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


class StartCorrectionForm(CorrectionForm):
    """The start time and the team; whoever joins the team types their password."""

    started_at = WhenField(label="Started at")
    lead_therapist = forms.ModelChoiceField(queryset=None, label="Lead therapist")
    co_therapist = forms.ModelChoiceField(queryset=None, label="Co-therapist")
    lead_password = password_field("Password of the new lead therapist")
    co_password = password_field("Password of the new co-therapist")
    deviation_explanation = text_field(
        "Explanation if the visit's day falls outside its window",
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
        self.helper = ServerValidatedHelper(self, testid="form-correct-start")
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
        """The refusal the session's own rules would give, beside the field it concerns (a time
        in the future is refused by the field itself)."""
        started_at = self.cleaned_data["started_at"]
        ended_at = self.instance.ended_at
        if ended_at is not None and started_at >= ended_at:
            raise ValidationError(
                f"The session ended at {timezone.localtime(ended_at):%d %b %Y %H:%M}: it must "
                "have started before that. If the whole session moved, correct its end first."
            )
        return started_at


class DoseCorrectionForm(KitNumberChecked, CorrectionForm):
    """A dose's strength, kit and time.

    Correcting the initial dose while a supplemental one is recorded also shows the supplemental
    strength (it stays half the initial one; both are corrected together). The explanation of the
    supplemental window belongs to the supplemental dose: on the initial dose it appears only
    when the corrected time puts the supplemental dose outside its window, or when the supplemental
    dose already carries one.
    """

    dose_mg = forms.TypedChoiceField(label="Dose (as labelled)", coerce=int, choices=())
    kit_number = kit_number_field()
    administered_at = WhenField(label="Given at")
    supplemental_dose_mg = forms.TypedChoiceField(
        label="Supplemental dose (half the initial)",
        coerce=int,
        choices=[(40, "40 mg"), (60, "60 mg")],
    )
    deviation_reason = window_explanation_field()

    class Meta:
        model = DoseAdministration
        fields = ["dose_mg", "kit_number", "administered_at"]

    def __init__(
        self,
        *args,
        supplemental: DoseAdministration | None = None,
        settings_: StudySessionSettings | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        dose = self.instance
        self.supplemental = supplemental
        self.settings_ = settings_
        initial_kind = dose.kind == DoseAdministration.Kind.INITIAL
        self.fields["dose_mg"].choices = (
            [(80, "80 mg"), (120, "120 mg")] if initial_kind else [(40, "40 mg"), (60, "60 mg")]
        )
        if initial_kind and supplemental is None:
            del self.fields["supplemental_dose_mg"]
            del self.fields["deviation_reason"]
        elif initial_kind:
            self.fields["deviation_reason"].help_text = (
                "For the supplemental dose (given at "
                f"{timezone.localtime(supplemental.administered_at):%H:%M}), whose window counts "
                "from the initial dose: needed while it falls outside that window."
            )
        else:
            del self.fields["supplemental_dose_mg"]
        if not self.is_bound:
            self.initial["administered_at"] = local_input(dose.administered_at)
            if "deviation_reason" in self.fields:
                self.initial["deviation_reason"] = (supplemental or dose).deviation_reason
            if "supplemental_dose_mg" in self.fields:
                self.initial["supplemental_dose_mg"] = supplemental.dose_mg
        if initial_kind:
            explanation = FieldWhen("deviation_reason", condition=self.explains_supplemental)
        else:
            explanation = Field("deviation_reason")
        self.helper = ServerValidatedHelper(self, testid="form-correct-dose")
        self.helper.layout = Layout(
            Field("version"),
            Div(
                Div("dose_mg", css_class="col"), Div("kit_number", css_class="col"), css_class="row"
            ),
            *(["supplemental_dose_mg"] if "supplemental_dose_mg" in self.fields else []),
            "administered_at",
            *([explanation] if "deviation_reason" in self.fields else []),
            "reason",
            SUBMIT,
        )

    @staticmethod
    def explains_supplemental(form) -> bool:
        """On the initial dose: whether the supplemental window's explanation is in play."""
        field = form["deviation_reason"]
        return bool(field.errors) or bool((field.value() or "").strip())

    def clean(self):
        cleaned = super().clean()
        if self.instance.kind == DoseAdministration.Kind.INITIAL and self.supplemental:
            self._check_supplemental_follows(cleaned)
        return cleaned

    def _check_supplemental_follows(self, cleaned: dict) -> None:
        """The supplemental dose as the corrected initial dose leaves it (the service's rules)."""
        dose_mg, half = cleaned.get("dose_mg"), cleaned.get("supplemental_dose_mg")
        if dose_mg is not None and half is not None and half * 2 != dose_mg:
            self.add_error(
                "supplemental_dose_mg",
                f"The supplemental dose must stay half the initial dose: with {dose_mg} mg "
                f"initial, choose {dose_mg // 2} mg supplemental here. Both strengths are "
                "corrected together.",
            )
        administered_at = cleaned.get("administered_at")
        if administered_at is None or self.settings_ is None:
            return
        given_at = self.supplemental.administered_at
        minutes = elapsed_minutes(given_at, administered_at)
        if minutes < 0:
            self.add_error("administered_at", initial_after_supplemental(given_at))
            return
        try:
            supplemental_deviation(
                minutes=minutes,
                settings_=self.settings_,
                deviation_reason=cleaned.get("deviation_reason", ""),
            )
        except ValidationError as error:
            self.add_error(None, error)


class SupplementalDecisionCorrectionForm(SupplementalDoseFields, CorrectionForm):
    """The go/no-go and its reason. From no-go to go, the dose given is recorded here too."""

    decision_field = "supplemental_decision"

    supplemental_decision = supplemental_decision_field()
    supplemental_reason = decision_reason_field()

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
            self.half_of(initial_dose)
            administration = [
                HTML('<p class="small text-muted mb-2">If corrected to go: the dose given.</p>'),
                *self.dose_layout,
            ]
        self.helper = ServerValidatedHelper(self, testid="form-correct-supplemental")
        self.helper.layout = Layout(
            Field("version"),
            "supplemental_decision",
            "supplemental_reason",
            *administration,
            "reason",
            SUBMIT,
        )
