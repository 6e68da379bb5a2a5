"""The form renderer writes Django's input, text area and select templates in Python: the markup
must be exactly Django's, escaping included."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from records.renderers import FormRenderer

VALUE = 'He said "stop" <b>&</b>'


class _Form(forms.Form):
    name = forms.CharField(max_length=20, help_text="Help.")
    count = forms.IntegerField(min_value=0, required=False, widget=forms.NumberInput({"step": 5}))
    when = forms.DateTimeField(widget=forms.DateTimeInput({"type": "datetime-local"}))
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    agreed = forms.BooleanField(required=False)
    text = forms.CharField(widget=forms.Textarea({"rows": 3, "data-x": mark_safe("<i>")}))
    attachment = forms.FileField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput({"disabled": True, "readonly": False}))
    kind = forms.ChoiceField(choices=[("", "Choose…"), ("a&b", VALUE), (1, "One")])
    grouped = forms.ChoiceField(
        required=False,
        choices=[("Vital <signs>", [("bp", "Blood pressure"), ("p", "Pulse")]), ("o", "Other")],
    )
    many = forms.MultipleChoiceField(required=False, choices=[("x", "X"), ("y", 2.5)])
    day = forms.ChoiceField(
        required=False, choices=[("d", datetime.date(2026, 12, 2)), ("n", Decimal("1234.5"))]
    )
    picked = forms.TypedChoiceField(
        coerce=int, choices=[(80, "80 mg"), (120, "120 mg")], widget=forms.Select({"data-y": 1})
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": VALUE, "count": "-1", "when": "x", "secret": VALUE, "agreed": "on", "text": VALUE},
        {"name": mark_safe("<b>safe</b>"), "text": "", "version": "2"},
        {"kind": "a&b", "grouped": "p", "many": ["x", "y"], "picked": "120"},
        {"kind": "nonsense", "grouped": "bp", "picked": "7"},
    ],
)
def test_inputs_text_areas_and_selects_written_exactly_as_djangos_templates_write_them(data):
    ours = _Form(data, renderer=FormRenderer())
    djangos = _Form(data, renderer=DjangoTemplates())
    for name in ours.fields:
        assert str(ours[name]) == str(djangos[name])
    assert str(ours) == str(djangos)
    if data and data.get("name") == VALUE:  # typed text is escaped
        assert "He said &quot;stop&quot; &lt;b&gt;" in str(ours["name"])
        assert "He said &quot;stop&quot; &lt;b&gt;" in str(ours["text"])
    if data and data.get("kind") == "a&b":  # the option chosen stays chosen
        assert '<option value="a&amp;b" selected>' in str(ours["kind"])
        assert '<optgroup label="Vital &lt;signs&gt;">' in str(ours["grouped"])
