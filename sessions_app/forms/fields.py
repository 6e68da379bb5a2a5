"""Fields the flowsheet's forms share: an explicit yes or no. (The time field and its helpers
are every record's: records.forms.)
"""

from django import forms

from records.forms import SAFETY_ANSWER_HELP, YES_NO_REQUIRED

YES_NO = [(True, "Yes"), (False, "No")]


def yes_no_field(label: str, **kwargs) -> forms.TypedChoiceField:
    """A safety answer, yes or no: neither is preselected, and one must be chosen."""
    kwargs.setdefault("help_text", SAFETY_ANSWER_HELP)
    kwargs.setdefault("error_messages", {"required": YES_NO_REQUIRED})
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value in (True, "True", "true", "1"),
        widget=forms.RadioSelect,
        **kwargs,
    )
