import django_filters
from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from records.forms import (
    AuditedEditForm,
    DefaultedFilterSet,
    LongTextField,
    ServerValidatedHelper,
    WhenField,
    site_filter,
    text_field,
)
from safety import queue
from safety.models import (
    PROCEDURES,
    SERIOUS,
    SERIOUSNESS_CRITERIA,
    SPECIAL_INTEREST,
    AdverseEvent,
    AdverseEventReview,
    ReferenceSafetyInformation,
    RegulatorySubmission,
)
from safety.review import ASSESS_AE, REASSESS_REASON
from safety.selectors import VIEW_AE
from safety.services import (
    AWARE_IN_FUTURE,
    DRAFT_VALUES,
    FOLLOW_UP_REASON,
    ONSET_IN_FUTURE,
    REPORT_FIELDS,
    REQUIRED,
    TERM_REQUIRED,
    from_json,
)
from sessions_app.forms.fields import yes_no_field
from sessions_app.models import DosingSession
from signatures.forms import SignatureForm

# The id of the page's list of common terms (templates/safety/_term_suggestions.html).
TERMS_LIST = "ae-common-terms"
# The review queue's states beyond the review's own.
TO_DO, ALL = "to_do", "all"
SERIOUS_NOT_SEVERE = (
    '<p class="small text-muted" data-testid="serious-not-severe">Seriousness is not severity. '
    "The grade says how intense the event was; seriousness says what it led to (ICH E2A). A "
    "severe headache can be non-serious; a mild event that prolongs a hospital stay is serious. "
    "Answer each criterion yes or no: nothing is preselected, and the event is serious if any "
    "is yes.</p>"
)


def _optional_choice(choices, label: str, **kwargs) -> forms.TypedChoiceField:
    """A choice a draft may leave unanswered (a signed report may not: services.REQUIRED)."""
    return forms.TypedChoiceField(
        label=label, choices=[("", "Choose…"), *choices], required=False, **kwargs
    )


def _radio_columns(questions) -> list[Column]:
    return [Column(InlineRadios(name), css_class="col-md-6") for name, _ in questions]


class AdverseEventReportForm(forms.ModelForm):
    """Every value of the site's report. A draft may leave any unanswered but the term and the
    onset; the investigator's submission and a follow-up answer all of them (services.REQUIRED,
    said beside each field)."""

    severity_grade = forms.TypedChoiceField(
        label="Severity (CTCAE grade)",
        choices=AdverseEvent.Grade.choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    causality = forms.ChoiceField(
        label="Causality to the investigational product (investigator's assessment)",
        choices=AdverseEvent.Causality.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    action_taken = _optional_choice(
        AdverseEvent.ActionTaken.choices, "Action taken with the investigational product"
    )
    outcome = _optional_choice(AdverseEvent.Outcome.choices, "Outcome")

    class Meta:
        model = AdverseEvent
        fields = [*REPORT_FIELDS, "dosing_session"]
        field_classes = {
            "onset_at": WhenField,
            "aware_at": WhenField,
            "ended_at": WhenField,
            "description": LongTextField,
            "treatment": LongTextField,
        }
        widgets = {"verbatim_term": forms.TextInput(attrs={"list": TERMS_LIST})}

    def __init__(self, *args, participant=None, with_session: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in (*SERIOUSNESS_CRITERIA, *PROCEDURES):
            self.fields[name] = yes_no_field(label, required=False, empty_value=None)
        fields = self.fields
        fields["verbatim_term"].widget.attrs.setdefault("autofocus", "")
        fields["verbatim_term"].error_messages["required"] = TERM_REQUIRED
        fields[
            "verbatim_term"
        ].help_text = (
            "In the reporter's words, kept as written; common terms are suggested as you type."
        )
        fields["onset_at"].error_messages["required"] = REQUIRED["onset_at"]
        fields["onset_at"].future_message = ONSET_IN_FUTURE
        fields["aware_at"].future_message = AWARE_IN_FUTURE
        fields["aware_at"].error_messages["required"] = REQUIRED["aware_at"]
        fields["ended_at"].required = False
        fields["ended_at"].help_text = "Leave empty while the event is ongoing."
        for name in ("description", "treatment"):
            fields[name].widget.attrs["rows"] = 3
        if with_session and participant is not None:
            fields["dosing_session"].queryset = (
                DosingSession.objects.filter(visit__participant=participant)
                .exclude(status=DosingSession.Status.NOT_STARTED)
                .select_related("visit")
            )
            fields["dosing_session"].label_from_instance = lambda s: s.visit.label
            fields["dosing_session"].help_text = "The dosing session the event relates to, if any."
        else:
            del fields["dosing_session"]

    def clean_verbatim_term(self) -> str:
        term = self.cleaned_data["verbatim_term"].strip()
        if not term:
            raise forms.ValidationError(TERM_REQUIRED)
        return term

    def values(self) -> dict:
        """The report's values typed, named as the services take them."""
        return {name: self.cleaned_data[name] for name in DRAFT_VALUES if name in self.fields}

    def report_layout(self) -> list:
        session = ["dosing_session"] if "dosing_session" in self.fields else []
        return [
            Fieldset(
                "The event",
                Row(Column("verbatim_term", css_class="col-md-8"), Column(*session)),
                Row(
                    Column("onset_at", "onset_date_only", css_class="col-md-4"),
                    Column("ended_at", "ongoing", css_class="col-md-4"),
                    Column("aware_at", css_class="col-md-4"),
                ),
                Field("description"),
                Field("treatment"),
            ),
            Fieldset("Severity", Field("severity_grade")),
            Fieldset(
                "Seriousness (ICH E2A)",
                HTML(SERIOUS_NOT_SEVERE),
                Row(*_radio_columns(SERIOUSNESS_CRITERIA)),
            ),
            Fieldset(
                "Causality and relation to the study procedures",
                InlineRadios("causality"),
                Row(*_radio_columns(PROCEDURES)),
            ),
            Fieldset(
                "Adverse event of special interest",
                Row(*(Column(n, css_class="col-md-4") for n, _ in SPECIAL_INTEREST)),
            ),
            Fieldset(
                "Action and outcome",
                Row(Column("action_taken"), Column("outcome")),
            ),
        ]


class AdverseEventDraftForm(AdverseEventReportForm):
    """Open a draft adverse event (prefilled when opened from a reading); without its button
    while the participant's casebook is locked (`writable` False)."""

    def __init__(self, *args, writable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = ServerValidatedHelper(self, testid="ae-form")
        save = [Submit("save", "Save draft")] if writable else []
        self.helper.layout = Layout(*self.report_layout(), *save)


class AdverseEventEditForm(AuditedEditForm, AdverseEventReportForm):
    """Edit a draft: no reason is needed while it is a draft (the change is still audited)."""

    require_reason = False

    class Meta(AdverseEventReportForm.Meta):
        pass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Reason for change (optional while a draft)"
        self.helper = ServerValidatedHelper(self, testid="ae-form")
        self.helper.layout = Layout(
            "version", *self.report_layout(), Field("reason"), Submit("save", "Save changes")
        )


class AdverseEventSubmitForm(AdverseEventReportForm):
    """The draft as the investigator submits it: every value, then their password."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    password = SignatureForm.base_fields["password"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        self.helper = ServerValidatedHelper(self, testid="ae-submit-form")
        self.helper.layout = Layout(
            "version",
            *self.report_layout(),
            Fieldset("Your e-signature", Field("password")),
            Submit("sign", "Sign and submit"),
        )


class AdverseEventFollowUpForm(AdverseEventReportForm):
    """A follow-up report: the event's values as the new information has them, why, and
    whether it is the last report (the event is then closed)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    report_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = text_field(
        "What new information this follow-up brings",
        required=True,
        max_length=2000,
        error_messages={"required": FOLLOW_UP_REASON},
    )
    final = forms.BooleanField(
        label="Final report: the outcome is known, and signing it closes the event",
        required=False,
    )

    def __init__(self, *args, pending=None, **kwargs):
        super().__init__(*args, with_session=False, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["report_version"] = pending.version if pending else None
            if pending is not None:
                self.initial.update(reason=pending.reason, final=pending.final)
                for name, change in pending.changes.items():
                    self.initial[name] = from_json(name, change["new"])
        self.helper = ServerValidatedHelper(self, testid="ae-follow-up-form")
        self.helper.layout = Layout(
            "version",
            "report_version",
            *self.report_layout(),
            Fieldset("The follow-up", Field("reason"), Field("final")),
            Submit("save", "Save the follow-up for the investigator's signature"),
        )


class FollowUpSignForm(SignatureForm):
    """The investigator's password, for the follow-up report at the version they reviewed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and report is not None:
            self.initial["version"] = report.version
        self.helper.layout.insert(0, "version")


class AdverseEventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Participant ID")
    site = site_filter(VIEW_AE, field_name="participant__site")
    seriousness = django_filters.ChoiceFilter(
        label="Seriousness",
        choices=[("serious", "Serious"), ("non_serious", "Not serious")],
        method="by_seriousness",
    )
    status = django_filters.ChoiceFilter(choices=AdverseEvent.Status.choices)
    special_interest = django_filters.ChoiceFilter(
        label="Special interest",
        choices=[("any", "Any special interest"), *SPECIAL_INTEREST],
        method="by_special_interest",
    )

    class Meta:
        model = AdverseEvent
        fields = ["q", "site", "seriousness", "status", "special_interest"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(participant__study_code__icontains=value)
            | Q(participant__screening_number__icontains=value)
        )

    def by_seriousness(self, queryset, name, value):
        return queryset.filter(SERIOUS) if value == "serious" else queryset.exclude(SERIOUS)

    def by_special_interest(self, queryset, name, value):
        if value == "any":
            return queryset.filter(
                Q(aesi_abuse=True) | Q(aesi_cardiovascular=True) | Q(aesi_suicidality=True)
            )
        return queryset.filter(**{value: True})


class ReviewQueueFilter(DefaultedFilterSet, AdverseEventFilter):
    """The review queue's filters: those of the list (but its status), the review's state (by
    default what the monitor has still to do: not yet reviewed, or a SUSAR report still due),
    and whether the event is coded."""

    status = None
    site = site_filter(ASSESS_AE, field_name="participant__site")
    state = django_filters.ChoiceFilter(
        label="Review",
        choices=[
            (TO_DO, "To do"),
            *AdverseEventReview.State.choices,
            (ALL, "All submitted"),
        ],
        empty_label=None,
        method="by_state",
    )
    coding = django_filters.ChoiceFilter(
        label="Coding",
        choices=[("coded", "Coded (MedDRA)"), ("uncoded", "Not coded")],
        method="by_coding",
    )

    class Meta:
        model = AdverseEvent
        fields = ["q", "site", "state", "seriousness", "special_interest", "coding"]

    defaults = {"state": TO_DO}

    def by_state(self, queryset, name, value):
        if value == TO_DO:
            return queue.waiting_for_review(queryset)
        if value == ALL:
            return queryset
        if value == AdverseEventReview.State.AWAITING:  # or submitted before reviews began
            return queryset.filter(Q(review__isnull=True) | Q(review__state=value))
        return queryset.filter(review__state=value)

    def by_coding(self, queryset, name, value):
        coded = Q(review__meddra_pt_code__gt="")
        return queryset.filter(coded) if value == "coded" else queryset.exclude(coded)


class ParticipantChoiceForm(forms.Form):
    """Which participant an adverse event is for, when it is not opened from their page."""

    participant = forms.ModelChoiceField(queryset=None, label="Participant ID")

    def __init__(self, *args, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = participants
        self.fields["participant"].label_from_instance = lambda p: f"{p.label} · {p.site}"
        self.helper = FormHelper(self)
        self.helper.form_method = "get"
        self.helper.layout = Layout(Field("participant"), Submit("choose", "Continue"))


class AssessmentForm(forms.ModelForm):
    """The medical monitor's assessment: the sponsor's causality, expectedness against a version
    of the study's reference safety information, and the MedDRA codes. Any part may wait; the
    review signature needs the first three (safety.review.COMPLETE_FOR_SIGNING)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = text_field(
        "Reason for change (the review signature is voided)",
        required=True,
        max_length=500,
        error_messages={"required": REASSESS_REASON},
    )
    sponsor_causality = forms.ChoiceField(
        label="Causality to the investigational product (sponsor's assessment)",
        choices=AdverseEvent.Causality.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = AdverseEventReview
        fields = [
            "sponsor_causality",
            "reference_safety_information",
            "expected",
            "meddra_llt_code",
            "meddra_llt_term",
            "meddra_pt_code",
            "meddra_pt_term",
            "meddra_version",
        ]

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        # Once the review is signed, a change says why (safety.review.review_assess).
        self.signed = self.instance.state == AdverseEventReview.State.REVIEWED
        if not self.signed:
            del self.fields["reason"]
        self.fields["expected"] = yes_no_field(
            "Expected: listed in that version of the reference safety information",
            required=False,
            empty_value=None,
        )
        rsi = self.fields["reference_safety_information"]
        rsi.queryset = ReferenceSafetyInformation.objects.filter(study=study)
        rsi.label_from_instance = lambda v: f"{v.version} (from {v.effective_on:%d %b %Y})"
        rsi.empty_label = "Choose…"
        for name in ("meddra_llt_code", "meddra_pt_code"):
            self.fields[name].widget.attrs.update(inputmode="numeric", maxlength=8)
            self.fields[name].help_text = "8 digits, from your licensed MedDRA browser."
        self.fields["meddra_version"].help_text = 'For example "27.1".'
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            if self.instance.reference_safety_information_id is None:
                current = rsi.queryset.filter(effective_on__lte=timezone.localdate()).first()
                self.initial["reference_safety_information"] = current.pk if current else None
        self.helper = ServerValidatedHelper(self, testid="assessment-form")
        self.helper.layout = Layout(
            "version",
            Fieldset("Causality", InlineRadios("sponsor_causality")),
            Fieldset(
                "Expectedness",
                Row(
                    Column("reference_safety_information", css_class="col-md-6"),
                    Column(InlineRadios("expected"), css_class="col-md-6"),
                ),
            ),
            Fieldset(
                "Coding (MedDRA)",
                Row(
                    Column("meddra_llt_code", css_class="col-md-4"),
                    Column("meddra_llt_term", css_class="col-md-8"),
                ),
                Row(
                    Column("meddra_pt_code", css_class="col-md-4"),
                    Column("meddra_pt_term", css_class="col-md-8"),
                ),
                Row(Column("meddra_version", css_class="col-md-4")),
            ),
            *(["reason"] if self.signed else []),
            Submit("assess", "Save the assessment"),
        )

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return {**values, "reason": self.cleaned_data.get("reason", "")}


class ReviewSignForm(SignatureForm):
    """The monitor's password, for the review at the version they read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, review, **kwargs):
        super().__init__(*args, submit_label="Sign the review", **kwargs)
        if not self.is_bound:
            self.initial["version"] = review.version
        self.helper.layout.insert(0, "version")
        self.helper.form_action = reverse("safety:ae_review_sign", args=[review.adverse_event_id])
        self.helper.attrs["data-testid"] = "review-sign-form"


class RegulatorySubmissionForm(forms.ModelForm):
    """The sponsor's report of a SUSAR to the regulator: which, when, and its reference."""

    class Meta:
        model = RegulatorySubmission
        fields = ["kind", "submitted_on", "reference"]
        widgets = {"submitted_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, adverse_event, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (k.value, k.label) for k in RegulatorySubmission.Kind if k.value in kinds
        ]
        self.fields["kind"].label = "Report"
        self.fields["submitted_on"].error_messages["invalid"] = (
            "Enter the date as day, month and year."
        )
        self.helper = ServerValidatedHelper(self, testid="regulatory-form")
        self.helper.form_action = reverse("safety:ae_regulatory", args=[adverse_event.pk])
        self.helper.layout = Layout(
            Row(Column("kind"), Column("submitted_on"), Column("reference")),
            Submit("record", "Record the submission"),
        )

    def _post_clean(self):
        # The service checks the submission against the event (safety.review).
        pass


class ReferenceSafetyInformationForm(forms.ModelForm):
    """A new version for one of the studies the administrator adds versions to (`studies`;
    the choice is shown only when there are several)."""

    class Meta:
        model = ReferenceSafetyInformation
        fields = ["study", "version", "effective_on", "expected_terms"]
        field_classes = {"expected_terms": LongTextField}
        widgets = {"effective_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, studies, **kwargs):
        super().__init__(*args, **kwargs)
        study = self.fields["study"]
        study.queryset = studies
        only = list(studies[:2])
        self.only_study = only[0] if len(only) == 1 else None
        if self.only_study is not None:
            study.widget, study.required = forms.HiddenInput(), False
        self.fields["expected_terms"].widget.attrs["rows"] = 12
        self.helper = ServerValidatedHelper(self, testid="rsi-form")
        self.helper.layout = Layout(
            "study",
            Row(Column("version"), Column("effective_on")),
            Field("expected_terms"),
            Submit("add", "Add this version"),
        )

    def clean_study(self):
        return self.cleaned_data["study"] or self.only_study

    def _post_clean(self):
        # The service checks the version against the study's others (safety.review).
        pass
