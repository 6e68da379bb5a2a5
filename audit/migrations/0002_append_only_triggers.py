"""Make the audit table append-only in the database itself.

PostgreSQL: row triggers refuse UPDATE and DELETE, a statement trigger refuses TRUNCATE.
SQLite: row triggers refuse UPDATE and DELETE (SQLite has no TRUNCATE).
A later migration that rebuilds this table on SQLite must create these triggers again.
"""

from django.db import migrations

MESSAGE = "audit log entries are append-only"

POSTGRES_FORWARD = f"""
CREATE OR REPLACE FUNCTION audit_logentry_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_logentry_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_logentry
    FOR EACH ROW EXECUTE FUNCTION audit_logentry_refuse_change();
CREATE TRIGGER audit_logentry_no_truncate
    BEFORE TRUNCATE ON audit_logentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logentry_refuse_change();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS audit_logentry_no_truncate ON audit_logentry;
DROP TRIGGER IF EXISTS audit_logentry_no_update_delete ON audit_logentry;
DROP FUNCTION IF EXISTS audit_logentry_refuse_change();
"""

SQLITE_FORWARD = [
    f"""CREATE TRIGGER audit_logentry_no_update BEFORE UPDATE ON audit_logentry
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END;""",
    f"""CREATE TRIGGER audit_logentry_no_delete BEFORE DELETE ON audit_logentry
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END;""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_logentry_no_update;",
    "DROP TRIGGER IF EXISTS audit_logentry_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)
    else:
        raise NotImplementedError(f"No append-only triggers for the {vendor} database.")


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse, elidable=False)]
