"""The flowsheet's forms. Each has a prefix (its action), so several live on one page.

Measurement fields come from the models, so each form refuses the same impossible values with the
same message beside the field.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Hidden, Layout, Submit
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from audit.forms import AuditedEditForm
from sessions_app.models import (
    DoseAdministration,
    DosingSession,
    Observation,
    StudySessionSettings,
    VitalSignReading,
)
from sessions_app.selectors import elapsed_minutes
from sessions_app.services.flowsheet import (
    BEFORE_START_TOLERANCE,
    FUTURE_TOLERANCE,
    supplemental_deviation,
)

YES_NO = [(True, "Yes"), (False, "No")]
# No session of these trials happened earlier; an older year is a typing error.
EARLIEST_YEAR = 2015
LATE_REASON_HELP = (
    "The session has ended: say why this is added or changed (kept in the audit trail)."
)


INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def local_input(when) -> str:
    """A stored time as the time input shows it: local time, to the minute ("" for none)."""
    return timezone.localtime(when).strftime(INPUT_FORMAT) if when else ""


def now_local() -> str:
    return local_input(timezone.now())


class WhenField(forms.DateTimeField):
    """A wall-clock time that has happened, typed or picked.

    A time in the future is refused here, beside the field and together with the form's other
    messages; the services refuse it again when they write.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {"invalid": "Enter a date and time.", "required": "Enter the date and time."},
        )
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value.year < EARLIEST_YEAR:
            raise ValidationError(f"Enter a date and time in {EARLIEST_YEAR} or later.")
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise ValidationError("This time is in the future. Enter when it happened.")


def yes_no_field(label: str, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value in (True, "True", "true", "1"),
        widget=forms.RadioSelect,
        **kwargs,
    )


class FlowsheetForm(forms.Form):
    """A flowsheet step: posts `action` and, once the session has ended, asks for a reason.

    A refused step says so once, at its top (`sessions_app/_step_form.html`): "Not saved", the
    messages that concern no single field, and what became of the input (`kept_note`).
    """

    action = ""
    submit_label = "Save"
    fields_layout: tuple = ()
    kept_note = "Everything you typed is still there."

    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=LATE_REASON_HELP,
    )

    def __init__(self, *args, session: DosingSession, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.session = session
        self.late = session.status == DosingSession.Status.ENDED
        if not self.late:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                "The session has ended: say why this is being added or changed."
            )
        self.helper = FormHelper(self)
        self.helper.template = "sessions_app/_step_form.html"
        self.helper.form_action = f"#{self.action}"
        self.helper.attrs = {"novalidate": "", "data-testid": f"form-{self.action}"}
        self.helper.layout = Layout(
            Hidden("action", self.action),
            *self.fields_layout,
            *(["reason"] if self.late else []),
            self.submit_button(),
        )

    def submit_button(self) -> Submit:
        """The step's button, with an id of its own among the page's several forms."""
        return Submit("save", self.submit_label, css_id=f"submit-{self.prefix}")

    def default_time(self, name: str) -> None:
        """Now while the session runs. Once it has ended, now would be refused: the field starts
        empty, says when the session ran and offers only that span in the picker."""
        if not self.late:
            if not self.is_bound:
                self.initial[name] = now_local()
            return
        started, ended = self.session.started_at, self.session.ended_at
        field = self.fields[name]
        field.widget.attrs.update(
            min=local_input(started - BEFORE_START_TOLERANCE), max=local_input(ended)
        )
        start, end = timezone.localtime(started), timezone.localtime(ended)
        until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%d %b %Y %H:%M}"
        field.help_text = (
            f"The session ran from {start:%d %b %Y %H:%M} to {until}: enter when it happened."
        )


class VersionedFlowsheetForm(FlowsheetForm):
    """A step that changes the session record itself: the version the user opened travels along."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.session.version
        self.helper.layout.insert(1, Field("version"))


class StartForm(VersionedFlowsheetForm):
    action = "start"
    submit_label = "Start the session"
    fields_layout = (
        "started_at",
        Div(
            Div("lead_therapist", css_class="col"),
            Div("co_therapist", css_class="col"),
            css_class="row",
        ),
        "deviation_explanation",
    )

    started_at = WhenField(label="Started at")
    lead_therapist = forms.ModelChoiceField(queryset=None, label="Lead therapist")
    co_therapist = forms.ModelChoiceField(queryset=None, label="Co-therapist")
    deviation_explanation = forms.CharField(
        label="Explanation if outside the visit window",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, team, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lead_therapist", "co_therapist"):
            self.fields[name].queryset = team
            self.fields[name].label_from_instance = lambda member: member.printed_name
        if not self.is_bound:
            self.initial["started_at"] = now_local()
            if user is not None and user in team:
                self.initial["lead_therapist"] = user.pk

    def clean(self):
        cleaned = super().clean()
        lead, co = cleaned.get("lead_therapist"), cleaned.get("co_therapist")
        if lead and co and lead == co:
            self.add_error("co_therapist", "The co-therapist must be someone other than the lead.")
        return cleaned


class AttestForm(FlowsheetForm):
    """A therapist of the team attests presence by typing their own password."""

    action = "attest"
    submit_label = "Attest presence"
    fields_layout = ("role", "password")

    role = forms.ChoiceField(
        choices=[("lead", "Lead therapist"), ("co", "Co-therapist")], widget=forms.HiddenInput
    )
    password = forms.CharField(
        label="Password of the therapist attesting",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    kept_note = "Type the password again: it is never kept."

    def __init__(self, *args, role: str = "lead", **kwargs):
        kwargs.setdefault("prefix", f"attest-{role}")
        super().__init__(*args, **kwargs)
        self.helper.layout[0] = Hidden("action", f"attest-{role}")
        self.helper.form_action = "#team"
        if not self.is_bound:
            self.initial["role"] = role


class PredoseForm(VersionedFlowsheetForm):
    action = "predose"
    submit_label = "Save pre-dose checks"
    fields_layout = ("pregnancy_test", "cssrs_pre_ideation", "cssrs_pre_behaviour")

    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test (today)",
        choices=DosingSession.PregnancyTest.choices,
        widget=forms.RadioSelect,
    )
    cssrs_pre_ideation = forms.TypedChoiceField(
        label="C-SSRS ideation severity",
        coerce=int,
        choices=[(n, str(n)) for n in range(6)],
        help_text="0 none, 1 wish to be dead, 2 non-specific thoughts, 3 with method, "
        "4 with some intent, 5 with plan and intent.",
    )
    cssrs_pre_behaviour = yes_no_field("Suicidal behaviour since the last visit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        session = self.session
        if not self.is_bound and session.predose_checked_at:
            self.initial.update(
                pregnancy_test=session.pregnancy_test,
                cssrs_pre_ideation=session.cssrs_pre_ideation,
                cssrs_pre_behaviour=session.cssrs_pre_behaviour,
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


def measurement_field(name: str, label: str) -> forms.Field:
    """The reading model's own form field: its range, its message for any number outside, and a
    text input that keeps what was typed (see screening.fields.RangedFormFieldMixin)."""
    return VitalSignReading._meta.get_field(name).formfield(label=label, required=False)


class MeasurementFields(forms.Form):
    """The measurements of a reading, all optional; their ranges are the model fields' own."""

    systolic = measurement_field("systolic", "Systolic (mmHg)")
    diastolic = measurement_field("diastolic", "Diastolic (mmHg)")
    pulse = measurement_field("pulse", "Pulse (bpm)")
    temperature = measurement_field("temperature", "Temperature (°C)")
    suds = measurement_field("suds", "SUDS (0–10)")

    def measurements_refused(self) -> bool:
        """A measurement was typed and refused beside its field: "enter at least one
        measurement" would then mislead."""
        return any(name in self.errors for name in MEASUREMENTS)


MEASUREMENTS = ("systolic", "diastolic", "pulse", "temperature", "suds")
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

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ("measured_at", *MEASUREMENTS)}


def window_explanation_field(**kwargs) -> forms.CharField:
    """Why a supplemental dose falls outside its window (a protocol deviation)."""
    return forms.CharField(
        label="Explanation if outside the supplemental window",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        **kwargs,
    )


def supplemental_decision_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Supplemental half dose",
        choices=DosingSession.Supplemental.choices,
        widget=forms.RadioSelect,
    )


def decision_reason_field() -> forms.CharField:
    return forms.CharField(
        label="Reason for the decision",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for this decision."},
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
        missing = {
            "administered_at": "Enter when the supplemental dose was given.",
            "kit_number": "Enter the kit number.",
            "dose_mg": "Enter the dose.",
        }
        for name, message in missing.items():
            if cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        initial_dose = self.initial_dose
        dose_mg = cleaned.get("dose_mg")
        if initial_dose is not None and dose_mg is not None and dose_mg * 2 != initial_dose.dose_mg:
            self.add_error(
                "dose_mg",
                f"The supplemental dose is half the initial dose: {initial_dose.dose_mg // 2} mg.",
            )
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


class ObservationForm(FlowsheetForm):
    action = "observation"
    submit_label = "Add"
    fields_layout = ("observed_at", "kind", "text")

    observed_at = WhenField(label="At")
    kind = forms.ChoiceField(choices=Observation.Kind.choices, initial=Observation.Kind.OBSERVATION)
    text = forms.CharField(
        label="What was observed or done",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_time("observed_at")


class EndForm(VersionedFlowsheetForm):
    action = "end"
    submit_label = "End the session"
    fields_layout = (
        "not_dosed_reason",
        "ended_at",
        "cssrs_post_ideation",
        "cssrs_post_behaviour",
        "overnight_ready",
        "overnight_note",
    )

    not_dosed_reason = forms.CharField(
        label="Why no dose was given",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the session ends without a dose.",
    )
    ended_at = WhenField(label="Ended at")
    cssrs_post_ideation = forms.TypedChoiceField(
        label="C-SSRS ideation severity at the end",
        coerce=int,
        choices=[(n, str(n)) for n in range(6)],
    )
    cssrs_post_behaviour = yes_no_field("Suicidal behaviour during the session")
    overnight_ready = yes_no_field("Ready for the overnight stay")
    overnight_note = forms.CharField(
        label="Readiness notes",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required if the participant is not ready: why, and what was done.",
    )

    def __init__(self, *args, dosed: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        session = self.session
        if dosed:
            del self.fields["not_dosed_reason"]
            self.helper.layout.fields.remove("not_dosed_reason")
        if self.late:
            self.submit_label = "Save the correction"
            self.helper.layout[-1] = self.submit_button()
        if not self.is_bound:
            if session.ended_at:
                self.initial.update(
                    ended_at=local_input(session.ended_at),
                    cssrs_post_ideation=session.cssrs_post_ideation,
                    cssrs_post_behaviour=session.cssrs_post_behaviour,
                    overnight_ready=session.overnight_ready,
                    overnight_note=session.overnight_note,
                    not_dosed_reason=session.not_dosed_reason,
                )
            else:
                self.initial["ended_at"] = now_local()


class ReadingEditForm(MeasurementFields, AuditedEditForm):
    """Correcting a reading: always with a reason; the second of two concurrent edits is refused."""

    measured_at = WhenField(label="Measured at")

    class Meta:
        model = VitalSignReading
        fields = ["measured_at", *MEASUREMENTS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.measured_at:
            self.initial["measured_at"] = local_input(self.instance.measured_at)
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("version"),
            "measured_at",
            MEASUREMENT_ROW,
            "suds",
            "reason",
            Submit("save", "Save the correction"),
        )

    def _update_errors(self, errors):
        """The model's own checks; the one about the reading as a whole ("enter at least one
        measurement") is left out when a typed measurement was refused beside its field."""
        if self.measurements_refused() and hasattr(errors, "error_dict"):
            errors.error_dict.pop(NON_FIELD_ERRORS, None)
        super()._update_errors(errors)


class ObservationEditForm(AuditedEditForm):
    """Correcting an observation or intervention, with a reason."""

    observed_at = WhenField(label="At")

    class Meta:
        model = Observation
        fields = ["observed_at", "kind", "text"]
        labels = {"text": "What was observed or done"}
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.observed_at:
            self.initial["observed_at"] = local_input(self.instance.observed_at)
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("version"),
            "observed_at",
            "kind",
            "text",
            "reason",
            Submit("save", "Save the correction"),
        )


FLOWSHEET_FORMS = {
    form.action: form
    for form in (
        StartForm,
        PredoseForm,
        InitialDoseForm,
        ReadingForm,
        SupplementalForm,
        ObservationForm,
        EndForm,
    )
}
