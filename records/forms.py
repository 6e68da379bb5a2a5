"""Form pieces shared by every edit of a clinical record: the version read, the reason, the
form rebuilt when a save loses to someone else's, a service's refusal beside its field, and the
time field (a wall-clock time that has happened)."""

from collections.abc import Callable, Iterable

import django_filters
from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.selectors import site_list
from records.edits import FUTURE_MESSAGE, REASON_MESSAGE, not_in_future, reason_required
from records.measurements import CSSRS_IDEATION_LEVELS

# No session of these trials happened earlier; an older year is a typing error.
EARLIEST_YEAR = 2015
TIME_OUT_OF_BOUNDS = f"Enter a date and time from {EARLIEST_YEAR} to now."
DAY_TOO_EARLY = f"Enter a day in {EARLIEST_YEAR} or later."
DAY_TOO_FAR = "This day is a century ahead or more: enter the day it happened."


# Said beside every safety answer (C-SSRS, suicidal behaviour, a pregnancy test result, readiness):
# none has a default, so that a question skipped is never recorded as an answer.
SAFETY_ANSWER_HELP = "A safety answer: choose it, nothing is preselected."
YES_NO_REQUIRED = (
    "Answer yes or no: nothing is preselected, and a question left unanswered is never taken as no."
)

CSSRS_REQUIRED = (
    "Choose the C-SSRS ideation level the participant reported: an unanswered question is "
    "never taken as no ideation."
)


def cssrs_ideation_field(label: str) -> forms.TypedChoiceField:
    """A C-SSRS ideation level, chosen: a safety answer has no default, so a question skipped is
    never recorded as "no ideation"."""
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "Choose…"), *CSSRS_IDEATION_LEVELS],
        coerce=int,
        empty_value=None,
        error_messages={"required": CSSRS_REQUIRED},
        help_text=SAFETY_ANSWER_HELP,
    )


class TextLimitValidator(MaxLengthValidator):
    """At most `limit_value` characters, said with the numbers as the page's counter writes them
    ("2,000"), so that the message and the counter read alike."""

    def __call__(self, value) -> None:
        count = len(value)
        if count > self.limit_value:
            raise ValidationError(
                f"Ensure this text has at most {self.limit_value:,} characters "
                f"(it has {count:,}). Shorten it: nothing you typed is lost.",
                code="max_length",
                params={"limit_value": self.limit_value, "show_value": count},
            )


class LongTextField(forms.CharField):
    """Free text in a textarea, counted as the page counts it (static/js/text-limits.js).

    A browser submits each line break as CR LF although the textarea's value, which the page
    counts, holds it as one LF: the text is kept with LF line breaks, so that a line break is one
    character on both sides. Characters are counted as Python does (a code point each; the page
    counts the same way, not in UTF-16 units), after surrounding white space is stripped.
    """

    widget = forms.Textarea

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            TextLimitValidator(v.limit_value) if type(v) is MaxLengthValidator else v
            for v in self.validators
        ]

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return super().to_python(value)


def text_field(
    label: str, *, required: bool = False, max_length: int = 2000, rows: int = 2, **kwargs
) -> forms.CharField:
    """A few lines of free text (an explanation, a reason, a note), optional unless `required`;
    the page counts the characters left (static/js/text-limits.js), the server refuses more."""
    return LongTextField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


class AuditedEditForm(forms.ModelForm):
    """A ModelForm for a versioned record that asks why it is being changed.

    The hidden `version` carries the version the user opened, so a save that comes after someone
    else's is refused instead of overwriting it. Set `require_reason = False` where a reason is
    optional (for example while a record is still a draft).
    """

    require_reason = True

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = text_field(
        "Reason for change",
        required=True,
        max_length=500,
        help_text="Kept with the audit trail entry for this change.",
        error_messages={"required": REASON_MESSAGE},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        self.fields["reason"].required = self.require_reason

    def clean_reason(self) -> str:
        reason = self.cleaned_data.get("reason", "")
        if not self.require_reason:
            return reason.strip()
        try:
            return reason_required(reason)
        except ValidationError as error:
            raise ValidationError(error.message_dict["reason"]) from None


def rebind_after_conflict(
    form_factory: Callable[[QueryDict], forms.BaseForm],
    data: QueryDict,
    version: int | None,
    error: Exception,
    version_field: str = "version",
) -> forms.BaseForm:
    """The form again, after the user's save lost to someone else's (ConcurrentEditError).

    Everything the user typed (`data`, the request's POST) is kept; the hidden version becomes
    the record's current `version`, so that saving again is a deliberate choice made with the
    current values in view. `form_factory(data)` builds the bound form (with the current record
    as its instance); the refusal is shown above the form. A `version` of None leaves the posted
    one (the record no longer exists).
    """
    data = data.copy()
    if version is not None:
        data[version_field] = version
    form = form_factory(data)
    form.is_valid()
    form.add_error(None, str(error))
    return form


def form_values(form, arguments: Iterable[str], renamed: dict | None = None) -> dict:
    """The form's values of `arguments`, named as the service's arguments: the form's `version`
    is the version the user opened (`expected_version`); a field the form left out (a reason
    asked for only late) is ""."""
    names = {"version": "expected_version", **(renamed or {})}
    return {names.get(name, name): form.cleaned_data.get(name, "") for name in arguments}


def add_service_error(form, error: Exception) -> None:
    """Put a service's refusal beside the field it concerns, or above the form.

    A form whose field has another name than the service's argument maps it in
    `service_field_names` ({"reason": "decision_reason"}).
    """
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        names = getattr(form, "service_field_names", {})
        for field, field_messages in error.message_dict.items():
            target = names.get(field, field)
            form.add_error(target if target in form.fields else None, field_messages)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    else:
        form.add_error(None, str(error))


# Said above a step's form that was refused: nothing the user typed is lost.
KEPT_NOTE = "What you typed is kept below."
# Said instead above a refused form that asks for a password, which is never sent back; what
# was refused (a signature: "Nothing was signed.") is said by the refusal itself.
RETYPE_NOTE = "Type the password again: it is never kept."

INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def local_input(when) -> str:
    """A stored time as the time input shows it: local time, to the minute ("" for none)."""
    return timezone.localtime(when).strftime(INPUT_FORMAT) if when else ""


def now_local() -> str:
    return local_input(timezone.now())


class WhenField(forms.DateTimeField):
    """A wall-clock time that has happened, typed or picked.

    A time in the future is refused here, beside the field and together with the form's other
    messages, by the rule the services apply again when they write (records.edits).
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT)
    # What a time in the future is told, where the record has its own words for it.
    future_message = FUTURE_MESSAGE

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {"invalid": "Enter a date and time.", "required": "Enter the date and time."},
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError:  # a year at the calendar's ends, made aware in the site's zone
            raise ValidationError(TIME_OUT_OF_BOUNDS) from None

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        # Judged on the typed wall-clock year first: the ends of the calendar cannot be compared
        # with now in every time zone.
        if value.year < EARLIEST_YEAR or value.year > timezone.now().year + 1:
            raise ValidationError(TIME_OUT_OF_BOUNDS)
        not_in_future(value, message=self.future_message)


class DayField(forms.DateField):
    """A day of the study (screened, held, withdrawn), typed or picked.

    From EARLIEST_YEAR on, and not a century ahead: any other day is a typing error, refused beside
    the field (and never carried to the calendar's end, where reckoning a window would fail);
    the forms and services say in their own words why a day not yet come is refused.
    """

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value.year < EARLIEST_YEAR:
            raise ValidationError(DAY_TOO_EARLY)
        if value.year > timezone.localdate().year + 100:
            raise ValidationError(DAY_TOO_FAR)


class ServerValidatedHelper(FormHelper):
    """The crispy helper of a form whose values the server checks: the browser's own checks are
    off (`novalidate`), since the server's messages, beside each field, are clearer than the
    browser's bubbles. `testid` names the form for the browser tests."""

    def __init__(self, form, *, testid: str = ""):
        super().__init__(form)
        self.attrs = {"novalidate": ""}
        if testid:
            self.attrs["data-testid"] = testid


class DefaultedFilterSet(django_filters.FilterSet):
    """A list page's filters, some of which apply a default when the request leaves them out
    (`defaults`: {filter name: value}), e.g. a worklist showing what is still to do."""

    defaults: dict[str, str] = {}

    @property
    def qs(self):
        queryset = super().qs
        for name, value in self.defaults.items():
            if not (self.data or {}).get(name):
                queryset = self.filters[name].filter(queryset, value)
        return queryset


class PlainSelect(forms.Select):
    """A select whose options are written in Python rather than by a template each: the site
    filter of a list page lists every site of the study (a hundred, at a sponsor's scale) on every
    request, and a template per option cost more than the page's rows."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (choice, " selected" if str(choice) in selected else "", label)
                for choice, label in self.choices
            ),
        )
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(final), options)


def site_filter(perm: str, **kwargs) -> django_filters.ModelChoiceFilter:
    """A list page's filter by site: the sites at which the user may do `perm`, and no other,
    read with only what their options show."""
    return django_filters.ModelChoiceFilter(
        queryset=lambda request: (
            site_list(request.user, perm).select_related(None).only("number", "name", "study_id")
        ),
        widget=PlainSelect,
        **kwargs,
    )
