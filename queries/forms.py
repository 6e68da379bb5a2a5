"""The forms of a query: raising one, and its steps (answer, close, reopen), each with its prefix
(its action), so that the query's page holds the ones its state offers."""

import datetime

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Hidden, Layout, Submit
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from queries import services
from queries.models import Query
from queries.selectors import UNRESOLVED as UNRESOLVED_STATES
from queries.selectors import VIEW
from records import queryable
from records.forms import KEPT_NOTE, DefaultedFilterSet, site_filter, text_field


def _text_field(kind: str, label: str, *, required: bool = True) -> forms.CharField:
    return text_field(
        label,
        required=required,
        max_length=4000,
        rows=3,
        error_messages={"required": services.TEXT_REQUIRED.get(kind, "")},
    )


class QueryRaiseForm(forms.Form):
    """A monitor's question on a record, about one of its fields or the whole record."""

    field_name = forms.ChoiceField(label="About", required=False)
    text = _text_field("question", "Question for the site")

    def __init__(self, *args, entry: queryable.Queryable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field_name"].choices = [("", "The whole record"), *entry.fields.items()]
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": "", "data-testid": "form-raise"}
        self.helper.layout = Layout(
            "field_name", Field("text"), Submit("save", "Raise the query", css_id="submit-raise")
        )


class QueryStepForm(forms.Form):
    """A step of the query's page: posts its `action`."""

    action = ""
    submit_label = "Save"
    fields_layout: tuple = ("text",)
    kept_note = KEPT_NOTE

    def __init__(self, *args, query: Query, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.query = query
        self.helper = FormHelper(self)
        self.helper.template = "sessions_app/_step_form.html"
        self.helper.form_action = f"#{self.action}"
        self.helper.attrs = {"novalidate": "", "data-testid": f"form-{self.action}"}
        self.helper.layout = Layout(
            Hidden("action", self.action),
            *self.fields_layout,
            Submit("save", self.submit_label, css_id=f"submit-{self.action}"),
        )


class AnswerForm(QueryStepForm):
    action = "answer"
    submit_label = "Send the answer"
    fields_layout = ("text", "corrected")

    text = _text_field("answer", "Answer")
    corrected = forms.BooleanField(
        label="I corrected the record for this query",
        required=False,
        help_text="Correct the record first, on its correction page (with the reason); the "
        "answer then links to that correction in the audit trail.",
    )


class CloseForm(QueryStepForm):
    action = "close"
    submit_label = "Close the query"

    text = _text_field("close", "Note (optional)", required=False)


class ReopenForm(QueryStepForm):
    action = "reopen"
    submit_label = "Reopen the query"

    text = _text_field("reopen", "Why it is reopened")


AGES = [("7", "Waiting 7 days or more"), ("30", "Waiting 30 days or more")]
UNRESOLVED, ALL = "unresolved", "all"


class QueryFilter(DefaultedFilterSet):
    """The worklist's filters: state (open or answered unless asked), site, participant, kind of
    record, and how long a query has waited."""

    state = django_filters.ChoiceFilter(
        label="State",
        choices=[(UNRESOLVED, "Open or answered"), *Query.State.choices, (ALL, "All")],
        empty_label=None,
        method="filter_state",
    )
    site = site_filter(VIEW, field_name="participant__site", label="Site")
    participant = django_filters.CharFilter(
        label="Participant ID", method="filter_participant", help_text="Or part of it."
    )
    kind = django_filters.ChoiceFilter(
        label="Record", method="filter_kind", choices=[], empty_label="Any record"
    )
    age = django_filters.ChoiceFilter(
        label="Waiting", method="filter_age", choices=AGES, empty_label="Any time"
    )

    class Meta:
        model = Query
        fields = ["state", "site", "participant", "kind", "age"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["kind"].extra["choices"] = [
            (entry.label_lower, entry.kind) for entry in queryable.registered()
        ]

    defaults = {"state": UNRESOLVED}

    def filter_state(self, queryset, name, value):
        if value == UNRESOLVED:
            return queryset.filter(state__in=UNRESOLVED_STATES)
        if value == ALL:
            return queryset
        return queryset.filter(state=value)

    def filter_participant(self, queryset, name, value):
        """The participant's study ID or screening number, or a part of it, in any case."""
        value = value.strip()
        return queryset.filter(
            Q(participant__study_code__icontains=value)
            | Q(participant__screening_number__icontains=value)
        )

    def filter_kind(self, queryset, name, value):
        app_label, _, model = value.partition(".")
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        return queryset.filter(content_type=content_type) if content_type else queryset.none()

    def filter_age(self, queryset, name, value):
        since = timezone.now() - datetime.timedelta(days=int(value))
        return queryset.filter(waiting_since__lte=since)
