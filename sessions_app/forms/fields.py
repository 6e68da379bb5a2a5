"""Fields and time helpers the flowsheet's forms share: a wall-clock time that has happened,
an explicit yes or no, and stored times as the time input shows them.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions_app.services.flowsheet.common import FUTURE_TOLERANCE

YES_NO = [(True, "Yes"), (False, "No")]
# No session of these trials happened earlier; an older year is a typing error.
EARLIEST_YEAR = 2015

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
