"""The datasets an export may hold: a registry of each dataset's rows and its fixed columns.

A dataset reads its model's rows of the study (and of the sites asked for) straight from the
database, `chunk_size` rows at a time (a server-side cursor on PostgreSQL), and yields each as a
dict of its columns, de-identified as it goes: so a writer (exports.package) streams whatever the
size. Every column names what it is made from (a field, classified in exports.classification) and
how it is used; tests/exports check that no column gives an identifier or free text as is.
"""

import datetime
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum

from django.apps import apps
from django.db import models
from django.db.models import F, Min, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from accounts.models import Study
from exports.classification import Kind, classify
from exports.deidentify import (
    DateMode,
    Deidentifier,
    age_over_89,
    capped_age,
    country_code,
    study_day,
    without_identity,
)
from participants.models import IDENTITY_FIELDS, Casebook, Participant, ParticipantIdentity
from safety.models import AdverseEvent
from screening.eligibility import COUNTED_MEASUREMENTS
from screening.models import ScreeningAttempt
from sessions_app.models import DoseAdministration, DosingSession, Visit, VitalSignAlert
from sessions_app.models import VitalSignReading as Reading

CHUNK_SIZE = 2000


class Use(StrEnum):
    """How a column uses what it is made from."""

    VALUE = "value"  # as stored (a code, a number, a flag)
    DATE = "date"  # a date or time: shifted, or as a study day
    PSEUDONYM = "pseudonym"  # the participant's key, as its keyed hash
    SCRUBBED = "scrubbed"  # a free text with the participant's identity removed
    AGE = "age"  # an age, 90 above 89
    AGE_FLAG = "age_flag"  # whether the age was above 89
    MINUTES = "minutes"  # a time relative to the initial dose, in whole minutes


# The classes each use may be made from.
ALLOWED = {
    Use.VALUE: {Kind.SAFE, Kind.QUASI_IDENTIFIER},
    Use.DATE: {Kind.QUASI_IDENTIFIER},
    Use.PSEUDONYM: {Kind.IDENTIFIER},
    Use.SCRUBBED: {Kind.FREE_TEXT},
    Use.AGE: {Kind.QUASI_IDENTIFIER},
    Use.AGE_FLAG: {Kind.QUASI_IDENTIFIER},
    Use.MINUTES: {Kind.QUASI_IDENTIFIER},
}
# The free texts exported (scrubbed): the adverse event as the reporter named it, and the
# MedDRA terms the monitor coded it with (dictionary terms, but typed).
SCRUBBED_FIELDS = {
    "safety.AdverseEvent.verbatim_term",
    "safety.AdverseEventReview.meddra_llt_term",
    "safety.AdverseEventReview.meddra_pt_term",
}


@dataclass(frozen=True)
class Column:
    name: str
    lookup: str  # the values() key: a field's path from the dataset's model, or an annotation
    use: Use = Use.VALUE
    # "app.Model.field" the column is made from, when `lookup` is an annotation.
    source: str = ""
    convert: Callable | None = None
    # What `convert` gives, as PostgreSQL text over the column's value `{}`: a column with a
    # `convert` and no `sql` keeps its dataset on the Python writer (exports.copy_csv).
    sql: str = ""

    def header(self, dates: DateMode) -> str:
        if self.use == Use.DATE and dates == DateMode.STUDY_DAY:
            return f"{self.name}_study_day"
        return self.name


def whole_minutes(elapsed: datetime.timedelta | None) -> int | None:
    """A time relative to the initial dose in whole minutes (rounded down)."""
    return None if elapsed is None else int(elapsed.total_seconds() // 60)


def _joined(values) -> str:
    return ";".join(str(value) for value in values or [])


# _joined in SQL, of a JSON list of values.
JOINED_SQL = "array_to_string(ARRAY(SELECT jsonb_array_elements_text({})), ';')"


@dataclass
class ExportContext:
    """What every dataset of one export shares: the study and sites, and the de-identification."""

    study: Study
    deidentifier: Deidentifier
    dates: DateMode = DateMode.SHIFT
    sites: tuple[str, ...] = ()
    _dates_of: dict[int, tuple[zoneinfo.ZoneInfo, datetime.date | None]] | None = field(
        default=None, init=False, repr=False
    )

    def scope(self, participant_path: str) -> dict:
        """The filter of the study's (and the sites') rows, for a model whose participant is at
        `participant_path` ("" for the participant itself)."""
        prefix = f"{participant_path}__" if participant_path else ""
        where = {f"{prefix}site__study": self.study}
        if self.sites:
            where[f"{prefix}site__number__in"] = self.sites
        return where

    def participant_dates(self) -> dict[int, tuple[zoneinfo.ZoneInfo, datetime.date | None]]:
        """Each participant's site time zone and the day of their first dose there; read once
        per export for all its participants (two queries)."""
        if self._dates_of is None:
            zones = {}
            self._dates_of = {}
            for pk, zone in Participant.objects.filter(**self.scope("")).values_list(
                "pk", "site__time_zone"
            ):
                self._dates_of[pk] = (zones.setdefault(zone, zoneinfo.ZoneInfo(zone)), None)
            first_doses = (
                DoseAdministration.objects.filter(
                    kind=DoseAdministration.Kind.INITIAL,
                    voided_at__isnull=True,
                    **self.scope("session__visit__participant"),
                )
                .values_list("session__visit__participant")
                .annotate(first=Min("administered_at"))
                .order_by()
            )
            for pk, first in first_doses:
                zone = self._dates_of[pk][0]
                self._dates_of[pk] = (zone, first.astimezone(zone).date())
        return self._dates_of

    def day(self, participant_id: int, value) -> int | None:
        """The study day of a date or time of the participant (day 1: their first dose's, at
        the site's wall clock; no day 0), whatever the export's date handling."""
        if value is None:
            return None
        zone, first_dose = self.participant_dates()[participant_id]
        if isinstance(value, datetime.datetime):
            value = value.astimezone(zone).date()
        return study_day(value, first_dose)

    def date(self, participant_id: int, value):
        """A date or time of the participant as exported: shifted back by their days (a time at
        the site's wall clock, without its zone), or its study day."""
        if value is None or self.dates == DateMode.STUDY_DAY:
            return self.day(participant_id, value)
        if isinstance(value, datetime.datetime):
            zone = self.participant_dates()[participant_id][0]
            local = value.astimezone(zone).replace(tzinfo=None)
            return self.deidentifier.shift(participant_id, local).isoformat(timespec="minutes")
        return self.deidentifier.shift(participant_id, value).isoformat()

    def cell(self, column: Column, participant_id: int, value, identity_values=()):
        if column.convert is not None:
            value = column.convert(value)
        match column.use:
            case Use.DATE:
                return self.date(participant_id, value)
            case Use.PSEUDONYM:
                return self.deidentifier.pseudonym(value)
            case Use.SCRUBBED:
                return without_identity(value, list(identity_values))
            case Use.AGE:
                return capped_age(value)
            case Use.AGE_FLAG:
                return age_over_89(value)
            case Use.MINUTES:
                return whole_minutes(value)
        return value


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    model: type
    participant: str  # the path from the model to its participant ("" for Participant)
    columns: tuple[Column, ...]
    # The study's rows of the model, refined: filtered, annotated, ordered.
    refine: Callable[[QuerySet], QuerySet] = lambda rows: rows

    @property
    def participant_key(self) -> str:
        return f"{self.participant}_id" if self.participant else "id"

    def header(self, dates: DateMode) -> list[str]:
        return [column.header(dates) for column in self.columns]

    def queryset(self, ctx: ExportContext) -> QuerySet:
        """The export's rows of the model (the study's, the sites asked for), refined."""
        return self.refine(self.model.objects.filter(**ctx.scope(self.participant)))

    def raw_rows(
        self, ctx: ExportContext, lookups, *, identity: bool = False, queryset=None
    ) -> Iterator[tuple[int, dict, list[str]]]:
        """Each row's participant, its `lookups` as read (values() of `queryset`, by default
        the dataset's own), `CHUNK_SIZE` at a time, and, when `identity` is asked for, the
        identity values of the participant (read in the same query) to scrub a text of."""
        participant_key = self.participant_key
        rows = self.queryset(ctx) if queryset is None else queryset
        identity_lookups = {}
        if identity:
            prefix = f"{self.participant}__identity__" if self.participant else "identity__"
            identity_lookups = {name: f"{prefix}{name}" for name in IDENTITY_FIELDS}
        names = dict.fromkeys([participant_key, *lookups, *identity_lookups.values()])
        whose, identity_values = None, []
        for raw in rows.values(*names).iterator(chunk_size=CHUNK_SIZE):
            participant_id = raw[participant_key]
            if identity_lookups and participant_id != whose:
                whose, identity_values = participant_id, _identity_values(raw, identity_lookups)
            yield participant_id, raw, identity_values

    def rows(self, ctx: ExportContext) -> Iterator[dict]:
        """Each row as a dict of the header's names, read `CHUNK_SIZE` at a time (in one query,
        the participant's identity with them when a column is scrubbed of it)."""
        scrubbed = any(column.use == Use.SCRUBBED for column in self.columns)
        lookups = [column.lookup for column in self.columns]
        for participant_id, raw, identity_values in self.raw_rows(ctx, lookups, identity=scrubbed):
            yield {
                column.header(ctx.dates): ctx.cell(
                    column, participant_id, raw[column.lookup], identity_values
                )
                for column in self.columns
            }


def _identity_values(raw: dict, lookups: dict[str, str]) -> list[str]:
    """The identity values (ParticipantIdentity.identifying_strings) of the identity read with
    a row; none when the participant has no identity."""
    values = {name: raw[lookup] for name, lookup in lookups.items()}
    if values["given_name"] is None:
        return []
    return ParticipantIdentity(**values).identifying_strings()


REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    """Add `dataset` to the registry, its rows led by their participant's pseudonym."""
    pseudonym = Column("participant", dataset.participant_key, Use.PSEUDONYM)
    REGISTRY[dataset.name] = replace(dataset, columns=(pseudonym, *dataset.columns))
    return REGISTRY[dataset.name]


def initial_dose_at(session_path: str) -> Subquery:
    """When the session at `session_path` (from the outer row) had its initial dose."""
    return Subquery(
        DoseAdministration.objects.filter(
            session=OuterRef(session_path),
            kind=DoseAdministration.Kind.INITIAL,
            voided_at__isnull=True,
        ).values("administered_at")[:1]
    )


def _values(*names: str, prefix: str = "") -> tuple[Column, ...]:
    return tuple(Column(name, f"{prefix}{name}") for name in names)


def _dates(*names: str, prefix: str = "") -> tuple[Column, ...]:
    return tuple(Column(name, f"{prefix}{name}", Use.DATE) for name in names)


def _minutes_after_initial_dose(time_field: str) -> Column:
    return Column("minutes_after_initial_dose", "elapsed", Use.MINUTES, source=time_field)


def _is_locked(casebook_state: str | None) -> bool:
    """A participant's data are clean once their casebook is locked."""
    return casebook_state == Casebook.State.LOCKED


_AGE = "screening.ScreeningAttempt.age_at_screening"

register(
    Dataset(
        name="participants",
        title="Participants and enrolment",
        model=Participant,
        participant="",
        columns=(
            Column("site", "site__number"),
            *_values("status"),
            *_dates("enrolled_on", "withdrawn_on"),
            *_values("withdrawal_category"),
            *_values("sex", prefix="identity__"),
            # As its ISO 3166-1 alpha-3 code: what was typed may name a place within it.
            Column("country", "identity__country", convert=country_code),
            Column("age_at_screening", "age", Use.AGE, source=_AGE),
            Column("age_over_89", "age", Use.AGE_FLAG, source=_AGE),
            Column(
                "clean",
                "casebook__state",
                convert=_is_locked,
                sql=f"CASE WHEN {{}} = '{Casebook.State.LOCKED}' THEN 'True' ELSE 'False' END",
            ),
        ),
        refine=lambda rows: rows.annotate(
            age=Subquery(
                ScreeningAttempt.objects.filter(participant=OuterRef("pk"))
                .order_by("-number")
                .values("age_at_screening")[:1]
            )
        ).order_by("pk"),
    )
)

_VISIT = Column("visit", "visit__code")

register(
    Dataset(
        name="visits",
        title="Visits",
        model=Visit,
        participant="participant",
        columns=(
            Column("visit", "code"),
            *_values("kind", "sequence", "status"),
            *_dates("target_date", "window_start", "window_end", "held_on"),
        ),
        refine=lambda rows: rows.order_by("participant_id", "sequence"),
    )
)

register(
    Dataset(
        name="dosing_sessions",
        title="Dosing sessions: pre-dose and end-of-session checks",
        model=DosingSession,
        participant="visit__participant",
        columns=(
            _VISIT,
            *_values("status"),
            *_dates("started_at", "ended_at"),
            *_values(
                "pregnancy_test",
                "cssrs_pre_ideation",
                "cssrs_pre_behaviour",
                "supplemental_decision",
                "cssrs_post_ideation",
                "cssrs_post_behaviour",
                "overnight_ready",
            ),
        ),
        refine=lambda rows: rows.order_by("visit__participant_id", "visit__sequence"),
    )
)


def _session_entry_columns(time_field: str) -> tuple[Column, ...]:
    """The first columns of a flowsheet entry's dataset: whose, which visit, when, and when
    relative to the initial dose (`time_field`: "app.Model.field")."""
    name = time_field.rpartition(".")[2]
    return (
        Column("visit", "session__visit__code"),
        *_dates(name),
        _minutes_after_initial_dose(time_field),
    )


def _live_entries_in_time_order(time_field: str) -> Callable[[QuerySet], QuerySet]:
    """Flowsheet entries not struck through, with their time after the initial dose."""
    return lambda rows: (
        rows.filter(voided_at__isnull=True)
        .annotate(elapsed=F(time_field) - initial_dose_at("session"))
        .order_by("session__visit__participant_id", time_field, "pk")
    )


register(
    Dataset(
        name="doses",
        title="Investigational-product administrations",
        model=DoseAdministration,
        participant="session__visit__participant",
        columns=(
            *_session_entry_columns("sessions_app.DoseAdministration.administered_at"),
            *_values("kind", "dose_mg"),
        ),
        refine=_live_entries_in_time_order("administered_at"),
    )
)

register(
    Dataset(
        name="vital_signs",
        title="Vital signs",
        model=Reading,
        participant="session__visit__participant",
        columns=(
            *_session_entry_columns("sessions_app.VitalSignReading.measured_at"),
            *_values("systolic", "diastolic", "pulse", "temperature", "suds"),
            Column("over_threshold", "flags", convert=_joined, sql=JOINED_SQL),
        ),
        refine=_live_entries_in_time_order("measured_at"),
    )
)

register(
    Dataset(
        name="screening",
        title="Screening outcomes",
        model=ScreeningAttempt,
        participant="participant",
        columns=(
            Column("attempt", "number"),
            *_dates("screened_on"),
            *_values("status", "decision"),
            Column("failed_criteria", "failed_codes", convert=_joined, sql=JOINED_SQL),
            Column("age_at_screening", "age_at_screening", Use.AGE),
            Column("age_over_89", "age_at_screening", Use.AGE_FLAG),
            *_values(*COUNTED_MEASUREMENTS, "weight_kg", "pregnancy_test"),
        ),
        refine=lambda rows: rows.order_by("participant_id", "number"),
    )
)

register(
    Dataset(
        name="adverse_events",
        title="Adverse events",
        model=AdverseEvent,
        participant="participant",
        columns=(
            # Numbered per participant in order of onset.
            Column("sequence", "sequence", source="safety.AdverseEvent.id"),
            Column("verbatim_term", "verbatim_term", Use.SCRUBBED),
            *_dates("onset_at", "ended_at"),
            *_values(
                "onset_date_only",
                "ongoing",
                "severity_grade",
                "serious_death",
                "serious_life_threatening",
                "serious_hospitalisation",
                "serious_disability",
                "serious_congenital_anomaly",
                "serious_other_important",
                "causality",
                "related_psychotherapy",
                "related_overnight_stay",
                "action_taken",
                "outcome",
                "aesi_abuse",
                "aesi_cardiovascular",
                "aesi_suicidality",
                "status",
            ),
            *_values(
                "sponsor_causality",
                "expected",
                "meddra_llt_code",
                "meddra_pt_code",
                "meddra_version",
                prefix="review__",
            ),
            *(
                Column(name, f"review__{name}", Use.SCRUBBED)
                for name in ("meddra_llt_term", "meddra_pt_term")
            ),
        ),
        # Drafts are not reported yet.
        refine=lambda rows: (
            rows.exclude(status=AdverseEvent.Status.DRAFT)
            .annotate(
                sequence=Window(
                    RowNumber(),
                    partition_by=[F("participant_id")],
                    order_by=[F("onset_at"), F("pk")],
                )
            )
            .order_by("participant_id", "onset_at", "pk")
        ),
    )
)

register(
    Dataset(
        name="alerts",
        title="Vital-sign alerts",
        model=VitalSignAlert,
        participant="reading__session__visit__participant",
        columns=(
            Column("visit", "reading__session__visit__code"),
            Column("measured_at", "reading__measured_at", Use.DATE),
            _minutes_after_initial_dose("sessions_app.VitalSignReading.measured_at"),
            Column(
                "over_threshold",
                "exceeded",
                convert=lambda exceeded: _joined(item["measurement"] for item in exceeded or []),
                sql="array_to_string(ARRAY(SELECT item->>'measurement' "
                "FROM jsonb_array_elements({}) AS item), ';')",
            ),
            *_dates("raised_at", "acknowledged_at", "retracted_at"),
        ),
        refine=lambda rows: rows.annotate(
            elapsed=F("reading__measured_at") - initial_dose_at("reading__session")
        ).order_by("reading__session__visit__participant_id", "reading__measured_at", "pk"),
    )
)


def column_field(dataset: Dataset, column: Column):
    """The model field a column is made from."""
    if column.source:
        label, _, name = column.source.rpartition(".")
        return apps.get_model(label)._meta.get_field(name)
    model = dataset.model
    *path, name = column.lookup.split("__")
    for step in path:
        model = model._meta.get_field(step).related_model
    return model._meta.get_field(name)


def column_problems() -> list[str]:
    """Every column that would give an identifier or a free text as is, or a date unshifted:
    "dataset.column: why"."""
    problems = []
    for dataset in REGISTRY.values():
        for column in dataset.columns:
            made_from = column_field(dataset, column)
            label = f"{made_from.model._meta.label}.{made_from.name}"
            where = f"{dataset.name}.{column.name} ({label})"
            kind = classify(made_from)
            if kind not in ALLOWED[column.use]:
                problems.append(f"{where}: {kind} used as {column.use}")
            if column.use == Use.SCRUBBED and label not in SCRUBBED_FIELDS:
                problems.append(f"{where}: not a free text that may be exported scrubbed")
            if (
                column.use == Use.PSEUDONYM
                and made_from.model is not Participant
                and (made_from.related_model is not Participant)
            ):
                problems.append(f"{where}: a pseudonym is of a participant")
            is_date = isinstance(made_from, models.DateField)
            if is_date and column.use not in (Use.DATE, Use.MINUTES):
                problems.append(f"{where}: a date given as is")
    return problems
