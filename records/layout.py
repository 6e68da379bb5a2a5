"""crispy-forms' buttons, hidden inputs and divs, written in Python.

crispy renders each of these through a template of its own, and a button's value through a
template compiled anew from the value on every render. The flowsheet shows every step's form on
every view (a dozen buttons, hidden inputs and divs), so these write the same markup as
crispy-bootstrap5's `baseinput.html` and `div.html` directly. Their values are plain text (they
are not templates, unlike crispy's).
"""

from crispy_forms import layout
from django.template.defaultfilters import slugify
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class _Input:
    """bootstrap5/layout/baseinput.html (an input given a template of its own is crispy's)."""

    def render(self, form, context, template_pack=layout.TEMPLATE_PACK, **kwargs):
        if self.template != type(self).template:
            return super().render(form, context, template_pack=template_pack, **kwargs)
        name = slugify(self.name) if len(str(self.name).split()) > 1 else self.name
        if self.input_type == "hidden":
            return format_html(
                '<input type="hidden" name="{}" value="{}" {} />', name, self.value, self.flat_attrs
            )
        return format_html(
            '<input type="{}" name="{}" value="{}" class="{}" id="{}" {} />',
            self.input_type,
            name,
            self.value,
            self.field_classes,
            self.id,  # crispy's: the css_id given, or "<type>-id-<slugified name>"
            self.flat_attrs,
        )


class Submit(_Input, layout.Submit):
    pass


class Hidden(_Input, layout.Hidden):
    pass


class Div(layout.Div):
    """bootstrap5/layout/div.html (a div given a template of its own is crispy's)."""

    def render(self, form, context, template_pack=layout.TEMPLATE_PACK, **kwargs):
        if self.template != type(self).template:
            return super().render(form, context, template_pack=template_pack, **kwargs)
        fields = self.get_rendered_fields(form, context, template_pack, **kwargs)
        return format_html(
            "<div {}{}{}>{}</div>",
            format_html('id="{}" ', self.css_id) if self.css_id else "",
            format_html('class="{}" ', self.css_class) if self.css_class else "",
            self.flat_attrs,
            mark_safe(fields),  # noqa: S308 - as div.html's `|safe`: the rendered fields
        )
