"""The form renderer writes Django's input and text area templates in Python: the markup must be
exactly Django's, escaping included."""

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


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": VALUE, "count": "-1", "when": "x", "secret": VALUE, "agreed": "on", "text": VALUE},
        {"name": mark_safe("<b>safe</b>"), "text": "", "version": "2"},
    ],
)
def test_inputs_and_text_areas_written_exactly_as_djangos_templates_write_them(data):
    ours = _Form(data, renderer=FormRenderer())
    djangos = _Form(data, renderer=DjangoTemplates())
    for name in ours.fields:
        assert str(ours[name]) == str(djangos[name])
    assert str(ours) == str(djangos)
    if data and data["name"] == VALUE:  # typed text is escaped
        assert "He said &quot;stop&quot; &lt;b&gt;" in str(ours["name"])
        assert "He said &quot;stop&quot; &lt;b&gt;" in str(ours["text"])
