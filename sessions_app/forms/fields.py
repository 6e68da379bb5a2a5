"""Fields the flowsheet's forms share: an explicit yes or no. (The time field and its helpers
are every record's: records.forms.)
"""

from django import forms

YES_NO = [(True, "Yes"), (False, "No")]


def yes_no_field(label: str, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value in (True, "True", "true", "1"),
        widget=forms.RadioSelect,
        **kwargs,
    )
