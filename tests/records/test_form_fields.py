"""The fields of the flowsheet's step forms are written in Python (records/templatetags/
form_fields.py), faster than crispy's template: the page must look and behave the same, errors
beside their fields and everything typed kept."""

import re

from crispy_forms import layout as crispy
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from crispy_forms.utils import render_crispy_form
from django import forms

from records import layout as ours
from records.templatetags.form_fields import FIELD_TEMPLATE


class _Form(forms.Form):
    when = forms.DateTimeField(label="Measured at", help_text="Local time <em>of the site</em>.")
    systolic = forms.IntegerField(label="Systolic", min_value=60, required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}))
    decision = forms.ChoiceField(choices=[("go", "Go"), ("no", "No go")], widget=forms.RadioSelect)
    agreed = forms.BooleanField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, field_template=None, layout=crispy, **kwargs):
        super().__init__(*args, prefix="step", **kwargs)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.field_template = field_template
        self.helper.layout = Layout(
            layout.Hidden("action", "reading"),
            "version",
            "when",
            layout.Div(layout.Div("systolic", css_class="col-6"), css_class="row", css_id="bp"),
            layout.Div("kind", data_x="<y>"),
            "text",
            "decision",
            "agreed",
            layout.Submit("save", "Save reading", css_id="submit-step"),
            layout.Submit("save again", "Again", css_class="btn-sm"),
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


def test_buttons_hidden_inputs_and_divs_written_in_python_match_crispys():
    html = _html(field_template=FIELD_TEMPLATE, layout=ours)
    assert html == _html(field_template=FIELD_TEMPLATE)
    assert 'value="Save reading"' in html and 'id="submit-step"' in html
    assert '<div id="bp" class="row">' in html and 'data-x="&lt;y&gt;"' in html


def test_a_layout_object_given_a_template_of_its_own_is_rendered_by_crispy():
    form = _Form(layout=ours)
    form.helper.layout.append(
        ours.Submit("go", "{{ undefined }}", template="bootstrap5/layout/baseinput.html")
    )
    html = render_crispy_form(form)
    assert 'name="go" value=""' in _normalised(html)  # crispy's: the value is a template


def test_a_buttons_value_is_text_escaped_not_a_template():
    button = ours.Submit("save", 'Say "done" & {{ go }}').render(None, None)
    assert 'value="Say &quot;done&quot; &amp; {{ go }}"' in button


def test_refused_fields_keep_their_errors_and_input_like_crispys():
    data = {
        "step-when": "not a time",
        "step-systolic": "20",
        "step-text": "kept <b>",
        "step-kind": "b",
    }
    mine = _Form(data, field_template=FIELD_TEMPLATE, layout=ours)
    assert not mine.is_valid()
    theirs = _Form(data)
    theirs.is_valid()
    html = render_crispy_form(mine)
    assert html.count('class="invalid-feedback"') == 3  # when, systolic, decision
    assert html.count('class="form-check-input is-invalid"') == 2  # the radio buttons
    assert "kept &lt;b&gt;" in html and 'value="20"' in html
    assert 'class="numberinput form-control is-invalid"' in html
    assert _normalised(html) == _normalised(render_crispy_form(theirs))


class _Filters(forms.Form):
    site = forms.ChoiceField(
        choices=[("", "All sites")] + [(str(n), f"Site {n:02} <&>") for n in range(1, 101)],
        required=False,
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(required=False, label="Contains", help_text="Any <b>word</b>.")
    state = forms.ChoiceField(choices=[("open", "Open"), ("closed", "Closed")], required=True)
    page = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _each_field(form, template: str) -> str:
    from django.template import engines

    rendered = engines["django"].from_string(template).render({"form": form})
    return _normalised(rendered)


ALONE_OURS = "{% load form_fields %}{% for f in form %}{{ f|as_field }}{% endfor %}"
ALONE_CRISPY = "{% load crispy_forms_tags %}{% for f in form %}{{ f|as_crispy_field }}{% endfor %}"


def test_a_field_alone_written_in_python_matches_crispys_filter():
    blank = _Filters()
    assert _each_field(blank, ALONE_OURS) == _each_field(blank, ALONE_CRISPY)
    chosen = _Filters(data={"site": "42", "since": "2026-11-30", "text": "a<b", "state": "x"})
    assert not chosen.is_valid()  # the state refused: its error beside it
    ours = _each_field(chosen, ALONE_OURS)
    assert ours == _each_field(chosen, ALONE_CRISPY)
    assert '<option value="42" selected>Site 42 &lt;&amp;&gt;</option>' in ours
    assert 'value="a&lt;b"' in ours and "is-invalid" in ours


def test_a_field_alone_of_a_form_with_its_own_field_template_is_left_to_crispy(monkeypatch):
    from records.templatetags import form_fields

    form = _Filters()
    form.helper = FormHelper(form)
    form.helper.field_template = "bootstrap5/field.html"
    called = []
    monkeypatch.setattr(form_fields, "as_crispy_field", lambda f: called.append(f.name) or "")
    _each_field(form, ALONE_OURS)
    assert called == ["site", "since", "text", "state", "page"]
