"""The form renderer: Django's, with its plainest widget templates written in Python.

Every input and text area of a page goes through a template of two (`input.html` and the
`attrs.html` it includes); on the flowsheet, whose step forms are shown on every view, that is
a few milliseconds a page. These produce the same markup; every other template (selects,
radio buttons, forms, fields) is rendered by Django as before.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.timezone import template_localtime

WIDGETS = "django/forms/widgets/"
# The templates that are only `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input checkbox color date datetime email file hidden number password search tel "
        "text time url"
    ).split()
)
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"
SELECT_TEMPLATE = f"{WIDGETS}select.html"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}`: as text, escaped unless marked safe (the filter keeps
    a safe value safe)."""
    return value if isinstance(value, SafeData) else escape("%s" % value)  # noqa: UP031


def attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: True alone, False left out, the rest as text."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{attrs_html(widget["attrs"])}>'
    )


def _textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>\n'
        f"{value}</textarea>"
    )


def _shown(value) -> str:
    """`{{ value }}`: in the current time zone, localised, escaped unless safe."""
    return conditional_escape(localize(template_localtime(value)))


def _option(option: dict) -> str:
    return (
        f'<option value="{_text(option["value"])}"'
        f"{attrs_html(option['attrs'])}>{_shown(option['label'])}</option>"
    )


def _select(widget: dict) -> str | None:
    """select.html and its select_option.html; None where an option has a template of its own."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(f"\n  {_option(option)}\n")  # the option template's own line end
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None) -> SafeString:
        if template_name in INPUT_TEMPLATES:
            return mark_safe(_input(context["widget"]))  # noqa: S308 - every part escaped above
        if template_name == TEXTAREA_TEMPLATE:
            return mark_safe(_textarea(context["widget"]))  # noqa: S308 - escaped above
        if template_name == SELECT_TEMPLATE:
            select = _select(context["widget"])
            if select is not None:
                return mark_safe(select)  # noqa: S308 - escaped above
        return super().render(template_name, context, request)
