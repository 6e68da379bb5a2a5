"""A dataset's CSV written by PostgreSQL: `COPY (SELECT ...) TO STDOUT WITH (FORMAT csv)`, with
the de-identification done in SQL, streamed into the package as it arrives.

The bytes are those of the Python writer (exports.package.write_csv_rows) for the same export:
each participant's pseudonym, date shift, site time zone and first-dose day are worked out in
Python once per export (as ExportContext does) and loaded into a temporary table the rows are
joined to; a date is shifted or made a study day, a boolean written True/False, an empty text
left empty, a list joined with ";" as the Python writer does it. A dataset is written this way on
PostgreSQL when every column can be (`copy_problems` says why not): a scrubbed free text cannot,
nor a column converted in Python without its `sql`, nor a field of a type not listed here.

The rows are the dataset's own query (its filters, joins and order, from the ORM) wrapped in a
SELECT that de-identifies them; `source_sql` gives that query alone (the benchmark's raw COPY).
"""

from collections.abc import Callable
from typing import BinaryIO

from django.db import connection, models
from django.db.models import F, QuerySet

from exports.datasets import Column, Dataset, ExportContext, Use, column_field
from exports.deidentify import AGE_CAP, MAX_REPORTED_AGE, DateMode

# Bytes gathered from COPY before they go on to the package.
BUFFER_BYTES = 1 << 16
TEMP_TABLE = "export_participant"
_TIME = """'YYYY-MM-DD"T"HH24:MI'"""  # datetime.isoformat(timespec="minutes") of a wall clock
_COUNTED = (models.IntegerField, models.DecimalField)  # written as PostgreSQL writes them
_TEXT = (models.CharField, models.TextField)


def _bool(condition: str) -> str:
    """A condition written as Python's csv writes a bool (None when unknown)."""
    return f"CASE WHEN {condition} THEN 'True' WHEN NOT ({condition}) THEN 'False' END"


def _study_day(day: str) -> str:
    """exports.deidentify.study_day in SQL: 1 on the first dose's day, no day 0."""
    return (
        f"CASE WHEN {day} >= p.first_dose THEN {day} - p.first_dose + 1 "
        f"ELSE {day} - p.first_dose END"
    )


def _date(field, value: str, dates: DateMode) -> str:
    """ExportContext.date in SQL."""
    if isinstance(field, models.DateTimeField):
        local = f"({value} AT TIME ZONE p.zone)"
        if dates == DateMode.STUDY_DAY:
            return _study_day(f"{local}::date")
        return f"to_char({local} - p.shift * interval '1 day', {_TIME})"
    if dates == DateMode.STUDY_DAY:
        return _study_day(value)
    return f"to_char({value} - p.shift, 'YYYY-MM-DD')"


def column_sql(dataset: Dataset, column: Column, value: str, dates: DateMode) -> str | None:
    """What ExportContext.cell gives for `column`, as SQL over its value `value`; None when it
    has no SQL form."""
    field = column_field(dataset, column)
    if column.convert is not None:
        if not column.sql or column.use != Use.VALUE:
            return None
        return f"NULLIF({column.sql.format(value)}, '')"
    match column.use:
        case Use.PSEUDONYM:
            return "p.pseudonym"
        case Use.DATE if isinstance(field, models.DateField):
            return _date(field, value, dates)
        case Use.MINUTES:
            return f"floor(extract(epoch FROM {value}) / 60)::bigint"
        case Use.AGE:
            return f"CASE WHEN {value} > {AGE_CAP} THEN {AGE_CAP} ELSE {value} END"
        case Use.AGE_FLAG:
            return _bool(f"{value} > {MAX_REPORTED_AGE}")
        case Use.VALUE if isinstance(field, models.BooleanField):
            return _bool(value)
        case Use.VALUE if isinstance(field, _COUNTED):
            return value
        case Use.VALUE if isinstance(field, _TEXT):
            return f"NULLIF({value}, '')"
    return None


def copy_problems(dataset: Dataset) -> list[str]:
    """Why `dataset` cannot be written by COPY: its columns without an SQL form."""
    return [
        f"{dataset.name}.{column.name}: no SQL form of its {column.use}"
        for column in dataset.columns
        if column_sql(dataset, column, "value", DateMode.SHIFT) is None
    ]


def copyable(dataset: Dataset) -> bool:
    """Whether `dataset` is written by COPY here: on PostgreSQL, and every column can be."""
    return connection.vendor == "postgresql" and not copy_problems(dataset)


def _source(dataset: Dataset, ctx: ExportContext) -> tuple[QuerySet, list[str]]:
    """The dataset's rows as the Python writer reads them, each value named: k (the participant),
    c0, c1, ... (the columns) and o0, o1, ... (what they are ordered by, in `order`)."""
    rows = dataset.refine(dataset.model.objects.filter(**ctx.scope(dataset.participant)))
    named = {"k": F(dataset.participant_key)}
    named |= {f"c{i}": F(column.lookup) for i, column in enumerate(dataset.columns)}
    order = []
    for i, item in enumerate(rows.query.order_by or dataset.model._meta.ordering):
        if isinstance(item, str):
            named[f"o{i}"], descending = F(item.removeprefix("-")), item.startswith("-")
        else:
            named[f"o{i}"], descending = item.expression, item.descending
        order.append(f'r."o{i}"{" DESC" if descending else ""}')
    return rows.order_by().annotate(**named).values(*named), order


def _sql(queryset: QuerySet) -> str:
    """The queryset's SQL with its parameters bound (quoted by psycopg): COPY takes none. The
    SELECTs around it are made of this, constant names and the columns' fixed expressions."""
    return connection.ops.compose_sql(*queryset.query.sql_with_params())


def source_sql(dataset: Dataset, ctx: ExportContext) -> str:
    """The SELECT of the dataset's rows in their order, as stored (not de-identified)."""
    rows, order = _source(dataset, ctx)
    return f"SELECT * FROM ({_sql(rows)}) AS r ORDER BY {', '.join(order)}"  # noqa: S608


def deidentified_sql(dataset: Dataset, ctx: ExportContext) -> str:
    """The SELECT of the dataset's de-identified rows, named and ordered as the CSV has them,
    over the temporary table of the export's participants (`_load_participants`)."""
    rows, order = _source(dataset, ctx)
    columns = ", ".join(
        f'{column_sql(dataset, column, f"r.c{i}", ctx.dates)} AS "{column.header(ctx.dates)}"'
        for i, column in enumerate(dataset.columns)
    )
    return (
        f"SELECT {columns} FROM ({_sql(rows)}) AS r "  # noqa: S608
        f"JOIN pg_temp.{TEMP_TABLE} AS p ON p.id = r.k ORDER BY {', '.join(order)}"
    )


def _load_participants(cursor, ctx: ExportContext) -> None:
    """The export's participants (those of its study and sites) with what de-identifies them."""
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{TEMP_TABLE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {TEMP_TABLE} (id bigint PRIMARY KEY, pseudonym text NOT NULL, "
        "shift integer NOT NULL, zone text NOT NULL, first_dose date)"
    )
    deidentifier = ctx.deidentifier
    participants = [  # read before the COPY, which holds the connection
        (pk, deidentifier.pseudonym(pk), deidentifier.shift_days(pk), zone.key, first_dose)
        for pk, (zone, first_dose) in ctx.participant_dates().items()
    ]
    with cursor.copy(f"COPY pg_temp.{TEMP_TABLE} FROM STDIN") as copy:
        for participant in participants:
            copy.write_row(participant)
    cursor.execute(f"ANALYZE pg_temp.{TEMP_TABLE}")


def write_rows(
    dataset: Dataset,
    ctx: ExportContext,
    out: BinaryIO,
    progress: Callable[[int], None],
    every: int,
) -> int:
    """Write the dataset's CSV (its header, then a line per row, as the Python writer ends them:
    CRLF) into `out` as PostgreSQL sends it; `progress(rows)` about every `every` rows. Returns
    the number of rows. No column is free text, so a newline ends a row."""
    lines, reported = 0, 0
    pending = bytearray()

    def flush():
        nonlocal lines, reported
        lines += pending.count(b"\n")
        out.write(bytes(pending).replace(b"\n", b"\r\n"))
        pending.clear()
        if (lines - 1) // every > reported:
            reported = (lines - 1) // every
            progress(lines - 1)

    with connection.cursor() as cursor:
        _load_participants(cursor, ctx)
        query = deidentified_sql(dataset, ctx)
        try:
            with cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for data in copy:
                    pending += data
                    if len(pending) >= BUFFER_BYTES:
                        flush()
            flush()
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{TEMP_TABLE}")
    return lines - 1
