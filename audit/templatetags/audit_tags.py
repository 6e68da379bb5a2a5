"""How an audit entry's changes read on a history page, without a database query per entry."""

import datetime

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime

from audit.masking import REDACTED, is_confidential

register = template.Library()

EMPTY = "—"


def _readable(field, value):
    if isinstance(field, models.JSONField):
        value = _items(value)
    if value in (None, "None", ""):
        return EMPTY
    if value == REDACTED:
        return value
    if getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool) or value in ("True", "False"):
        return "yes" if value in (True, "True") else "no"
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        return _moment(value)
    return value


def _items(value):
    """A list or a mapping kept in a JSON field (the audit log keeps it as such) as its items:
    a list's comma-separated ("I3, E7"), a mapping's as "key: value" pairs, a list of mappings
    one after another ("measurement: systolic, value: 162; ...")."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_items(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        separator = "; " if any(isinstance(item, dict) for item in value) else ", "
        return separator.join(str(_items(item)) for item in value)
    return value


def _moment(value: str) -> str:
    """A stored timestamp in the active time zone, to the second, with the zone's name."""
    moment = parse_datetime(value)
    if moment is None:
        return value
    if timezone.is_naive(moment):  # the audit log stores UTC
        moment = moment.replace(tzinfo=datetime.UTC)
    return dateformat.format(timezone.localtime(moment), "Y-m-d H:i:s T")


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
        if field is not None and field.auto_created and not field.concrete:
            continue  # a reverse relation (the records pointing here), not a value of this one
        old, new = _readable(field, values[0]), _readable(field, values[1])
        if old == new == EMPTY:
            continue  # an empty field of a new record
        rows.append((label, old, new))
    return rows


@register.filter
def confidential(entry) -> bool:
    """Whether the entry's record is confidential (its values are shown on its own page only)."""
    return is_confidential(entry.content_type)
