"""The fields of the flowsheet's step forms are written in Python (records/templatetags/
form_fields.py), faster than crispy's template: the page must look and behave the same, errors
beside their fields and everything typed kept."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from crispy_forms.utils import render_crispy_form
from django import forms

from records.templatetags.form_fields import FIELD_TEMPLATE


class _Form(forms.Form):
    when = forms.DateTimeField(label="Measured at", help_text="Local time <em>of the site</em>.")
    systolic = forms.IntegerField(label="Systolic", min_value=60, required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}))
    decision = forms.ChoiceField(choices=[("go", "Go"), ("no", "No go")], widget=forms.RadioSelect)
    agreed = forms.BooleanField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, field_template=None, **kwargs):
        super().__init__(*args, prefix="step", **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.field_template = field_template
        self.helper.layout = Layout(
            "version",
            "when",
            Div(Div("systolic", css_class="col-6"), css_class="row"),
            "kind",
            "text",
            "decision",
            "agreed",
        )


def _normalised(html: str) -> str:
    """Without the whitespace between tags nor the form's one-time submission key."""
    html = re.sub(r'value="[0-9a-f-]{36}"', 'value="key"', html)
    return re.sub(r"\s*(<|>)\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


def _html(**kwargs) -> str:
    return _normalised(render_crispy_form(_Form(**kwargs)))


def test_fields_written_in_python_match_crispys():
    assert _html(field_template=FIELD_TEMPLATE) == _html()
    assert 'id="div_id_step-when"' in _html(field_template=FIELD_TEMPLATE)


def test_refused_fields_keep_their_errors_and_input_like_crispys():
    data = {
        "step-when": "not a time",
        "step-systolic": "20",
        "step-text": "kept <b>",
        "step-kind": "b",
    }
    ours = _Form(data, field_template=FIELD_TEMPLATE)
    assert not ours.is_valid()
    theirs = _Form(data)
    theirs.is_valid()
    html = render_crispy_form(ours)
    assert html.count('class="invalid-feedback"') == 3  # when, systolic, decision
    assert "kept &lt;b&gt;" in html and 'value="20"' in html
    assert 'class="numberinput form-control is-invalid"' in html
    assert _normalised(html) == _normalised(render_crispy_form(theirs))
