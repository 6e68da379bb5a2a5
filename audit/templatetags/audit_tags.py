"""How an audit entry's changes read on a history page, without a database query per entry."""

from django import template
from django.core.exceptions import FieldDoesNotExist

from audit.masking import REDACTED, is_confidential

register = template.Library()

EMPTY = "—"


def _readable(field, value):
    if value in (None, "None", ""):
        return EMPTY
    if value == REDACTED:
        return value
    if getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool) or value in ("True", "False"):
        return "yes" if value in (True, "True") else "no"
    return value


@register.filter
def change_rows(entry) -> list[tuple[str, object, object]]:
    """(field label, old value, new value) for each field the entry changed."""
    model = entry.content_type.model_class()
    rows = []
    for name, values in (entry.changes or {}).items():
        if not isinstance(values, list | tuple) or len(values) != 2:
            continue
        try:
            field = model._meta.get_field(name) if model else None
            label = str(getattr(field, "verbose_name", name))
        except FieldDoesNotExist:
            field, label = None, name.replace("_", " ")
        rows.append((label, _readable(field, values[0]), _readable(field, values[1])))
    return rows


@register.filter
def confidential(entry) -> bool:
    """Whether the entry's record is confidential (its values are shown on its own page only)."""
    return is_confidential(entry.content_type)
