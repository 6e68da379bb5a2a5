"""Rows inserted in bulk by SQL (INSERT ... SELECT), for the sponsor-scale benchmark data of
seed_scale: past the services, the audited managers and auditlog's signals, so NOT in the audit
trail. Never a study's data.

`insert_select` writes every column of a model's table: those given as SQL expressions over the
`FROM` clause, the others with the model field's default (the Python default, since the database
has none), `now()` for the automatic times, NULL where the field allows it.
"""

# ruff: noqa: S608 - SQL built from table and column names; values are parameters.

from django.db import connection, models


def _fill(field: models.Field) -> tuple[str, list]:
    """The SQL (and its parameters) for a column the caller did not give."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()", []
    if field.has_default():
        return "%s", [field.get_db_prep_save(field.get_default(), connection)]
    if field.null:
        return "NULL", []
    if field.blank and isinstance(field, models.CharField | models.TextField):
        return "''", []
    raise ValueError(f"{field.model.__name__}.{field.name}: no value given and no default")


def insert_select(model, values: dict[str, str], source: str, params: list | None = None) -> int:
    """INSERT INTO `model`'s table SELECT `values` (field name or attname: SQL expression) FROM
    `source` (with its `params`); the number of rows inserted."""
    columns, expressions, fill_params = [], [], []
    given = dict(values)
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        expression = given.pop(field.name, None) or given.pop(field.attname, None)
        if expression is None:
            expression, extra = _fill(field)
            fill_params.extend(extra)
        expressions.append(expression)
    if given:
        raise ValueError(f"{model.__name__} has no field {', '.join(given)}")
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, fill_params + list(params or []))
        return cursor.rowcount


def execute(sql: str, params: list | None = None) -> int:
    """One SQL statement of the seeder's (an UPDATE linking rows inserted); rows touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def table(model) -> str:
    """The model's table name, quoted for SQL."""
    return connection.ops.quote_name(model._meta.db_table)
