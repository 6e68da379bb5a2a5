"""Which clinical records a monitor may question, and what a query needs to know about each.

The app of a record registers its model here (in its `AppConfig.ready`), so that the queries app
above the record layer serves every kind of record without importing any of them:

    queryable.register(
        VitalSignReading,
        kind="Vital-sign reading",
        label=lambda r: f"Reading at {r.measured_at:%H:%M}",
        url=lambda r: reverse("sessions_app:flowsheet", args=[r.session_id]) + "#readings",
        correction_url=lambda r: reverse("sessions_app:reading_edit", args=[r.pk]),
        fields={"systolic": "Systolic", ...},
    )

A record registered has a `participant` (whose site decides who may see it) and a `version`
(a change after a query's closure shows it as "closed, data changed since").
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

FIELD_NOT_QUERYABLE = "This field cannot be queried on this record."


@dataclass(frozen=True)
class Queryable:
    """What a query needs from one kind of record.

    `kind`: the kind as the worklist names it ("Vital-sign reading"); `label(record)`: which one
    (without identity); `url(record)`: its page; `correction_url(record)`: where site staff
    correct it, or None; `fields`: the fields a query may name, {name: label}; `hidden_fields`:
    fields whose value is never shown through a query to those outside the site (an integration
    note's text). `participant_path`: the lookup from the record to its participant, used to
    filter by participant in the database.
    """

    model: type[models.Model]
    kind: str
    label: Callable[[Any], str]
    url: Callable[[Any], str]
    correction_url: Callable[[Any], str | None] = lambda record: None
    fields: dict[str, str] = field(default_factory=dict)
    hidden_fields: frozenset[str] = frozenset()

    @property
    def label_lower(self) -> str:
        return self.model._meta.label_lower

    def field_label(self, name: str) -> str:
        return self.fields.get(name, "") if name else ""

    def value(self, record, name: str) -> str:
        """The field's value as the query page shows it ("" for a hidden field or none)."""
        if not name or name in self.hidden_fields:
            return ""
        value = getattr(record, name, None)
        display = getattr(record, f"get_{name}_display", None)
        if callable(display):
            return str(display())
        return "" if value is None else str(value)


_REGISTRY: dict[str, Queryable] = {}


def register(model: type[models.Model], **kwargs) -> Queryable:
    entry = Queryable(model=model, **kwargs)
    _REGISTRY[entry.label_lower] = entry
    return entry


def of_label(label_lower: str) -> Queryable | None:
    return _REGISTRY.get(label_lower)


def of_model(model: type[models.Model]) -> Queryable | None:
    return _REGISTRY.get(model._meta.label_lower)


def of_record(record) -> Queryable | None:
    return of_model(type(record))


def registered() -> list[Queryable]:
    return sorted(_REGISTRY.values(), key=lambda entry: entry.kind)
