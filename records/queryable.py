"""Which clinical records a monitor reviews, and what a query or a source-data verification needs
to know about each.

The app of a record registers its model here (in its `AppConfig.ready`), so that the queries app
above the record layer serves every kind of record without importing any of them:

    queryable.register(
        VitalSignReading,
        kind="Vital-sign reading",
        label=lambda r: f"Reading at {r.measured_at:%H:%M}",
        url=queryable.page("sessions_app:flowsheet", of="session_id", anchor="#readings"),
        correction_url=queryable.page("sessions_app:reading_edit"),
        fields=["measured_at", "systolic", ("suds", "SUDS")],
        participant_path="session__visit__participant",
        verifiable=Q(voided_at__isnull=True),
    )

A record registered has a `participant` (whose site decides who may see it) and a `version`
(a change after a query's closure shows it as "closed, data changed since"; a change after a
verification clears it).
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

FIELD_NOT_QUERYABLE = "This field cannot be queried on this record."

# A field named alone is labelled by its model's verbose name; a pair names its label.
FieldSpec = str | tuple[str, str]


def verbose_label(model: type[models.Model], name: str) -> str:
    """The field's verbose name as a label ("Systolic (mmHg)"), or the name if it has none."""
    try:
        return str(capfirst(model._meta.get_field(name).verbose_name))
    except models.FieldDoesNotExist:
        return name


def page(name: str, *, of: str = "pk", anchor: str = "") -> Callable[[Any], str]:
    """A record's page, by its URL's name and the record's attribute that the URL takes (its
    primary key unless named: "session_id", "visit.participant_id"), with an `anchor`."""
    return lambda record: reverse(name, args=[attrgetter(of)(record)]) + anchor


def _labels(model: type[models.Model], fields: dict[str, str] | Iterable[FieldSpec]):
    if isinstance(fields, dict):
        return dict(fields)
    pairs = (
        spec if isinstance(spec, tuple) else (spec, verbose_label(model, spec)) for spec in fields
    )
    return dict(pairs)


@dataclass(frozen=True)
class Queryable:
    """What a query and a verification need from one kind of record.

    `kind`: the kind as the worklist names it ("Vital-sign reading"); `label(record)`: which one
    (without identity); `url(record)`: its page; `correction_url(record)`: where site staff
    correct it, or None; `fields`: the fields a query may name, {name: label}; `hidden_fields`:
    fields whose value is never shown through a query or a verification to those outside the
    site (an integration note's text). `participant_path`: the lookup from the record to its
    participant, used to filter and count by participant in the database (and to load what
    `label` reads). `verifiable`: which records of the kind there are to verify against the
    source (not those struck through as entered in error, nor a visit not yet held).
    `parts(record)`: the querysets of the records that belong to this one (a visit's session
    and its entries), verified with it at once; None for a record that has none.
    `corrected_through(record)`: the records through which site staff correct this one (a
    submitted adverse event's follow-up reports), whose changes answer a query "with a
    correction"; None where the record is corrected itself.
    """

    model: type[models.Model]
    kind: str
    label: Callable[[Any], str]
    url: Callable[[Any], str]
    correction_url: Callable[[Any], str | None] = lambda record: None
    fields: dict[str, str] = field(default_factory=dict)
    hidden_fields: frozenset[str] = frozenset()
    participant_path: str = "participant"
    verifiable: Q = field(default_factory=Q)
    parts: Callable[[Any], list[QuerySet]] | None = None
    corrected_through: Callable[[Any], QuerySet] | None = None

    @property
    def label_lower(self) -> str:
        return self.model._meta.label_lower

    def field_label(self, name: str) -> str:
        return self.fields.get(name, "") if name else ""

    def changed_label(self, name: str) -> str:
        """A changed field as a page names it: its query label, or its verbose name."""
        return self.field_label(name) or verbose_label(self.model, name)

    def value(self, record, name: str) -> str:
        """The field's value as the query page shows it ("" for a hidden field or none)."""
        if not name or name in self.hidden_fields:
            return ""
        value = getattr(record, name, None)
        display = getattr(record, f"get_{name}_display", None)
        if callable(display):
            return str(display())
        if value is None:
            return ""
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, datetime.datetime):
            # In the zone the page has activated (the record's site's).
            return date_format(timezone.localtime(value), "d M Y H:i")
        if isinstance(value, datetime.date):
            return date_format(value, "d M Y")
        return str(value)

    def to_verify(self, queryset: QuerySet | None = None) -> QuerySet:
        """The records of `queryset` (by default: all of the kind) there are to verify, with
        what their labels read."""
        queryset = self.model._default_manager.all() if queryset is None else queryset
        return queryset.filter(self.verifiable).select_related(self.participant_path)

    def of_participants(self, participant_ids: Iterable[int]) -> QuerySet:
        return self.to_verify().filter(**{f"{self.participant_path}__in": participant_ids})

    def of_sites(self, site_ids: Iterable[int]) -> QuerySet:
        return self.to_verify().filter(**{f"{self.participant_path}__site_id__in": site_ids})


_REGISTRY: dict[str, Queryable] = {}


def register(
    model: type[models.Model], *, fields: dict[str, str] | Iterable[FieldSpec] = (), **kwargs
) -> Queryable:
    entry = Queryable(model=model, fields=_labels(model, fields), **kwargs)
    _REGISTRY[entry.label_lower] = entry
    return entry


def of_label(label_lower: str) -> Queryable | None:
    return _REGISTRY.get(label_lower)


def of_model(model: type[models.Model]) -> Queryable | None:
    return _REGISTRY.get(model._meta.label_lower)


def of_record(record) -> Queryable | None:
    return of_model(type(record))


def find(label_lower: str, pk: str) -> tuple[Queryable | None, Any]:
    """The registered kind named `label_lower` and its record `pk` (as typed: a string), with
    its participant loaded; (None, None) for an unknown kind, (entry, None) for no such record."""
    entry = of_label(label_lower)
    if entry is None or not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        return None, None
    manager = entry.model._default_manager
    return entry, manager.select_related(entry.participant_path).filter(pk=int(pk)).first()


def registered() -> list[Queryable]:
    return sorted(_REGISTRY.values(), key=lambda entry: entry.kind)
