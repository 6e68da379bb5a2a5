"""A form field as crispy's Bootstrap 5 `field.html` renders it, in Python.

crispy-bootstrap5's field template takes about a millisecond a field (some thirty conditions and
three included templates); the flowsheet shows up to 25 fields on every view. This tag writes
the same markup for the fields the app's forms use (inputs, selects, text areas, with labels,
errors beside the field and help text) and hands anything else (check boxes, radio buttons,
files, horizontal forms, fieldsets) to crispy's own template.

A helper opts in with `helper.field_template = FIELD_TEMPLATE`.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from crispy_forms.utils import TEMPLATE_PACK
from django import forms, template
from django.conf import settings
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from records.renderers import attrs_html as _attrs

register = template.Library()

FIELD_TEMPLATE = "records/_field.html"
CRISPY_FIELD_TEMPLATE = f"{TEMPLATE_PACK}/field.html"
_OWN = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.FileInput, forms.MultiWidget)


def _is_radios(field) -> bool:
    widget = field.field.widget
    return isinstance(widget, forms.RadioSelect) and not isinstance(widget, _OWN)


def _crispy_markup(context) -> bool:
    """Whether this field needs crispy's template: a widget or a layout this tag does not write."""
    field = context["field"]
    radios = _is_radios(field)
    return (
        isinstance(field.field.widget, _OWN)
        or (field.use_fieldset and not radios)
        or (radios and bool(context.get("inline_class") or context.get("flat_attrs")))
        or "form-horizontal" in (context.get("form_class") or "")
        or bool(context.get("label_class") or context.get("field_class") or context.get("tag"))
        or bool(context.get("help_text_inline"))
        or (radios and not context.get("error_text_inline", True))
    )


def _widget(field) -> str:
    """The widget with the classes crispy's `{% crispy_field %}` gives it."""
    widget = field.field.widget
    name = widget.__class__.__name__.lower()
    name = getattr(settings, "CRISPY_CLASS_CONVERTERS", {}).get(name, name)
    css = widget.attrs.get("class", "")
    if not css:
        css = name
    elif name not in css:
        css += f" {name}"
    classes = css.split()
    extra = "form-select" if isinstance(widget, forms.Select) else "form-control"
    for cls in (extra, "is-invalid") if field.errors else (extra,):
        if cls not in classes:
            classes.append(cls)
    widget.attrs["class"] = " ".join(classes)
    return str(field)


def _wrapper(context, field) -> str:
    """The classes of the field's `div_<id>`."""
    return " ".join(c for c in ("mb-3", context.get("wrapper_class"), field.css_classes()) if c)


def _shows_label(context, field) -> bool:
    return bool(field.label) and context.get("form_show_labels", True)


def _label(field, *, legend: bool = False) -> str:
    """The field's label, or the legend of its fieldset, with the required marker."""
    tag = "legend" if legend else "label"
    required = field.field.required
    return format_html(
        '<{}{} class="form-label{}{}">{}{}</{}>',
        tag,
        format_html(' for="{}"', field.id_for_label) if field.id_for_label else "",
        " requiredField" if required else "",
        " fs-6" if legend else "",
        field.label,
        mark_safe('<span class="asteriskField">*</span>') if required else "",
        tag,
    )


@register.simple_tag(takes_context=True)
def bootstrap_field(context) -> str:
    field = context["field"]
    if field.is_hidden:
        return str(field)
    if _crispy_markup(context):
        return context.template.engine.get_template(CRISPY_FIELD_TEMPLATE).render(context)
    return _field(context, field)


@register.filter
def as_field(field) -> str:
    """`{{ field|as_field }}`: crispy's `|as_crispy_field` (a field alone, outside a layout),
    written in Python like the layouts' fields; what this module does not write is crispy's."""
    # As crispy's filter: the errors as paragraphs, unless the form's helper says inline.
    context = {
        "field": field,
        "form_show_errors": True,
        "form_show_labels": True,
        "error_text_inline": False,
    }
    helper = getattr(field.form, "helper", None)
    if helper is not None:
        if helper.field_template not in (None, "", FIELD_TEMPLATE):
            return as_crispy_field(field)  # a field template of the form's own
        context.update(helper.get_attributes(TEMPLATE_PACK))
    if field.is_hidden or _crispy_markup(context):
        return as_crispy_field(field)
    return _field(context, field)


def _field(context, field) -> str:
    """A visible field as crispy's field.html writes it (`context`: crispy's variables)."""
    if _is_radios(field):
        return _radios(context, field)
    label = _label(field) if _shows_label(context, field) else ""
    errors = _errors(context, field, block=not context.get("error_text_inline", True))
    return format_html(
        '<div id="div_{}" class="{}">{}{}{}{}</div>',
        field.auto_id,
        _wrapper(context, field),
        label,
        mark_safe(_widget(field)),  # noqa: S308 - rendered by the widget, escaped there
        errors,
        _help_text(field),
    )


def _errors(context, field, *, block: bool) -> str:
    """bootstrap5/layout/field_errors.html (spans: the errors inline, a helper's default) or
    field_errors_block.html (paragraphs: a field alone, and radio buttons)."""
    if not (context.get("form_show_errors", True) and field.errors):
        return ""
    tag = "p" if block else "span"
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        field.errors.field_id,
        format_html_join(
            "",
            '<{} id="error_{}_{}"><strong>{}</strong></{}>',
            ((tag, n, field.auto_id, error, tag) for n, error in enumerate(field.errors, 1)),
        ),
    )


def _help_text(field) -> str:
    """bootstrap5/layout/help_text.html, the help text below the field."""
    if not field.help_text:
        return ""
    return format_html(
        '<div {}class="form-text">{}</div>',
        format_html('id="{}_helptext" ', field.auto_id) if field.auto_id else "",
        mark_safe(field.help_text),  # noqa: S308 - as crispy's `|safe`: the form's own text
    )


def _unlocalized(value) -> str:
    """`{{ value|unlocalize }}`: the value as text, unlocalised, escaped unless safe."""
    return conditional_escape(str(localize(value, use_l10n=False)))


def _radios(context, field) -> str:
    """crispy's field.html for a radio select: its legend in a fieldset (as Django gives radio
    buttons), then bootstrap5/layout/radio_checkbox_select.html, one form-check an option."""
    opening = closing = ""
    if _shows_label(context, field) and field.use_fieldset:
        described = field.aria_describedby
        described = format_html(' aria-describedby="{}"', described) if described else ""
        opening = format_html("<fieldset{}>{}", described, _label(field, legend=True))
        closing = mark_safe("</fieldset>")
    elif _shows_label(context, field):
        opening = _label(field)
    widget = field.field.widget
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    groups = list(widget.optgroups(field.html_name, widget.format_value(field.value()), attrs))
    invalid = " is-invalid" if field.errors else ""
    parts = []
    for number, (group, options, _index) in enumerate(groups, 1):
        if group:
            parts.append(format_html("<strong>{}</strong>", group))
        for position, option in enumerate(options, 1):
            last = position == len(options) and number == len(groups)
            parts.append(
                format_html(
                    '<div class="form-check"><input type="{}" class="form-check-input{}" '
                    'name="{}" value="{}"{}><label for="{}" class="form-check-label">{}</label>'
                    "{}</div>",
                    option["type"],
                    invalid,
                    field.html_name,
                    _unlocalized(option["value"]),
                    mark_safe(_attrs(option["attrs"])),  # noqa: S308 - escaped by _attrs
                    option["attrs"].get("id", ""),
                    _unlocalized(option["label"]),
                    _errors(context, field, block=True) if last else "",
                )
            )
    return format_html(
        '<div id="div_{}" class="{}">{}<div>{}</div>{}{}</div>',
        field.auto_id,
        _wrapper(context, field),
        opening,
        mark_safe("".join(parts)),  # noqa: S308 - each option built by format_html
        _help_text(field),
        closing,
    )
