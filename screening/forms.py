import django_filters
from crispy_forms.layout import HTML, Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone

from participants.models import PERSON_FIELDS, SUPPORT_CONTACT_FIELDS, ParticipantIdentity
from participants.validators import validate_date_of_birth
from records.forms import (
    SAFETY_ANSWER_HELP,
    AuditedEditForm,
    DayField,
    ServerValidatedHelper,
    site_filter,
    text_field,
)
from screening import services
from screening.eligibility import BORN_AFTER_SCREENING, COUNTED_MEASUREMENTS
from screening.models import CriterionAnswer, ScreeningAttempt

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_in_future(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError("The day of screening cannot be in the future.")
    return value


class ScreeningStartForm(forms.ModelForm):
    """A new candidate: where and when they are screened, and who they are (identity)."""

    site = forms.ModelChoiceField(queryset=None, empty_label=None)
    screened_on = DayField(label="Day of screening")
    # Shown only when the site already has someone with this name and date of birth.
    confirm_duplicate = forms.BooleanField(
        label="I have checked the earlier record: screen this candidate as a new one",
        required=False,
    )
    duplicate_reason = text_field(
        "Why (kept with the screening and in the audit trail)",
        max_length=ScreeningAttempt._meta.get_field("duplicate_reason").max_length,
    )

    class Meta:
        model = ParticipantIdentity
        fields = PERSON_FIELDS + SUPPORT_CONTACT_FIELDS  # the address is added later
        widgets = {"date_of_birth": DATE_WIDGET}

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.duplicates = []
        if not self.is_bound:
            self.initial.setdefault("screened_on", timezone.localdate())
        self.helper = ServerValidatedHelper(self)
        self.helper.attrs["data-drafts"] = "off"  # identity is never kept in the browser
        self.helper.layout = Layout(
            Row(Column("site"), Column("screened_on")),
            Fieldset(
                "Candidate (identity, seen only by this site's staff)",
                Row(Column("given_name"), Column("family_name")),
                Row(Column("date_of_birth"), Column("sex")),
                Row(Column("phone"), Column("email")),
                Row(Column("support_contact_name"), Column("support_contact_phone")),
            ),
            Submit("start", "Start screening"),
        )

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        validate_date_of_birth(value)
        return value

    def clean_screened_on(self):
        return _not_in_future(self.cleaned_data["screened_on"])

    def clean(self):
        cleaned = super().clean()
        dob, day = cleaned.get("date_of_birth"), cleaned.get("screened_on")
        if dob and day and dob > day:
            self.add_error("date_of_birth", BORN_AFTER_SCREENING)
        identity = ("site", "given_name", "family_name", "date_of_birth")
        if all(cleaned.get(name) for name in identity):
            try:
                duplicates = services.duplicate_check(
                    site=cleaned["site"],
                    identity=cleaned,
                    confirmed=cleaned.get("confirm_duplicate", False),
                    reason=cleaned.get("duplicate_reason", ""),
                )
            except services.DuplicateCandidateError as error:
                self.refuse_duplicate(error)
            else:
                if duplicates:  # confirmed: still shown, in case another field is refused
                    self.ask_to_confirm(duplicates)
        return cleaned

    def refuse_duplicate(self, error: "services.DuplicateCandidateError") -> None:
        """Show the earlier records and ask for the confirmation, its error beside it."""
        self.add_error(None, error)
        self.ask_to_confirm(error.duplicates)

    def ask_to_confirm(self, duplicates) -> None:
        shown = bool(self.duplicates)
        self.duplicates = duplicates
        if shown:
            return
        self.helper.layout.fields.insert(
            len(self.helper.layout.fields) - 1,  # before the button
            Fieldset(
                "Possible duplicate",
                HTML(
                    '<div class="alert alert-warning" data-testid="duplicate-warning">'
                    "Already recorded at this site with this name and date of birth: "
                    "{% for p in form.duplicates %}"
                    "<a href=\"{% url 'participants:detail' p.pk %}\">{{ p.screening_number }}"
                    "</a> ({{ p.get_status_display }}){% if not forloop.last %}, {% endif %}"
                    "{% endfor %}.</div>"
                ),
                Field("confirm_duplicate"),
                Field("duplicate_reason"),
            ),
        )

    def identity_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class RescreenForm(forms.Form):
    screened_on = DayField(label="Day of screening")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("screened_on", timezone.localdate())
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(Field("screened_on"), Submit("rescreen", "Start a re-screen"))

    def clean_screened_on(self):
        return _not_in_future(self.cleaned_data["screened_on"])


ANSWER_CHOICES = [("yes", "Yes"), ("no", "No")]
MEASUREMENT_FIELDS = ["screened_on", *COUNTED_MEASUREMENTS, "weight_kg", "pregnancy_test"]


class AssessmentForm(AuditedEditForm):
    """The screening assessments, entered once, and the yes/no answers with notes.

    Computed criteria are not fields: the page shows what the engine computed from the values.
    Before submission no reason is needed; afterwards every change needs one.
    """

    class Meta:
        model = ScreeningAttempt
        fields = MEASUREMENT_FIELDS
        field_classes = {"screened_on": DayField}

    def __init__(self, *args, answers: list[CriterionAnswer], date_of_birth=None, **kwargs):
        instance = kwargs["instance"]
        self.require_reason = instance.changes_need_reason
        super().__init__(*args, **kwargs)
        self.date_of_birth = date_of_birth
        self.answers = answers
        answer_layout = []
        for answer in answers:
            criterion = answer.criterion
            key, note = f"answer_{criterion.pk}", f"note_{criterion.pk}"
            self.fields[key] = forms.ChoiceField(
                label=f"{criterion.code} ({criterion.get_kind_display().lower()}): "
                f"{criterion.text}",
                choices=ANSWER_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[note] = forms.CharField(
                label=f"Note on {criterion.code}", required=False, max_length=500
            )
            if not self.is_bound:
                self.initial[key] = {True: "yes", False: "no"}.get(answer.answer, "")
                self.initial[note] = answer.note
            answer_layout.append(
                Row(
                    Column(Field(key), css_class="col-md-7"),
                    Column(Field(note)),
                    css_class="border-bottom pt-2",
                )
            )
        self.fields[
            "pregnancy_test"
        ].help_text = (
            f"{SAFETY_ANSWER_HELP} Not applicable when the candidate cannot become pregnant."
        )
        self.fields["cssrs_ideation"].help_text = SAFETY_ANSWER_HELP
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(
            "version",
            Fieldset(
                "Assessments",
                Row(Column("screened_on"), Column("ptsd_duration_months"), Column("caps5_total")),
                Row(Column("systolic_bp"), Column("diastolic_bp"), Column("pulse")),
                Row(Column("qtc_ms"), Column("weight_kg"), Column("pregnancy_test")),
                Row(Column("cssrs_ideation")),
            ),
            Fieldset(
                "Criteria answered yes/no",
                HTML(
                    '<p class="small text-muted">Yes means the statement is true of the '
                    "candidate. For an exclusion criterion, yes excludes the candidate. "
                    "Nothing is preselected: a criterion left unanswered keeps the screening "
                    "from being submitted.</p>"
                ),
                *answer_layout,
            ),
            Field("reason") if self.require_reason else HTML(""),
            Submit("save", "Save assessments"),
        )
        if not self.require_reason:
            del self.fields["reason"]

    def clean_screened_on(self):
        day = _not_in_future(self.cleaned_data["screened_on"])
        if day and self.date_of_birth and self.date_of_birth > day:
            raise forms.ValidationError("The day of screening is before the date of birth.")
        return day

    def answer_data(self) -> dict[int, tuple[bool | None, str]]:
        data = {}
        for answer in self.answers:
            pk = answer.criterion_id
            value = {"yes": True, "no": False}.get(self.cleaned_data.get(f"answer_{pk}"))
            data[pk] = (value, self.cleaned_data.get(f"note_{pk}", "").strip())
        return data


PERIOD_REVERSED = "The first day of the period is after its last day."


class DayRangeField(django_filters.fields.RangeField):
    """Two days of the study (DayField: within its bounds), as a slice of dates: the filtered
    fields are days, and a day never becomes a time in some zone (nor overflows at the calendar's
    ends)."""

    widget = django_filters.widgets.DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((DayField(required=False), DayField(required=False)), *args, **kwargs)

    def compress(self, data_list):
        if data_list and None not in data_list and data_list[0] > data_list[1]:
            raise forms.ValidationError(PERIOD_REVERSED, code="reversed")
        return slice(*data_list) if data_list else None


class DayRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = DayRangeField


class ScreeningLogFilter(django_filters.FilterSet):
    site = site_filter(
        "screening.view_screeningattempt", field_name="participant__site", label="Site"
    )
    period = DayRangeFilter(
        field_name="screened_on",
        label="Screened between",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = ScreeningAttempt
        fields = ["site", "period"]


class AttemptFilter(ScreeningLogFilter):
    status = django_filters.ChoiceFilter(choices=ScreeningAttempt.Status.choices)

    class Meta:
        model = ScreeningAttempt
        fields = ["site", "status", "period"]
