"""The audit chain is keyed: each entry names the key its HMAC was made with ("" for the entries
written before, hashed with plain SHA-256, which still verify).

SQLite: REPLACE (and INSERT OR REPLACE) deletes the entry it collides with without firing the
DELETE trigger; an insert trigger refuses any insert that would collide with an existing entry.
(PostgreSQL has no REPLACE; its INSERT ... ON CONFLICT DO UPDATE fires the UPDATE trigger.)
Adding the column rebuilds the table on SQLite, which drops its triggers: they are made again.
"""

from importlib import import_module

from django.db import migrations, models

APPEND_ONLY = import_module("audit.migrations.0002_append_only_triggers")

MESSAGE = "audit log entries are append-only"

SQLITE_FORWARD = f"""CREATE TRIGGER audit_logentry_no_replace BEFORE INSERT ON audit_logentry
    WHEN EXISTS (
        SELECT 1 FROM audit_logentry
        WHERE id = NEW.id OR seq = NEW.seq OR entry_hash = NEW.entry_hash
    )
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: an insert replacing an entry refused'); END;"""

SQLITE_REVERSE = "DROP TRIGGER IF EXISTS audit_logentry_no_replace;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in (*APPEND_ONLY.SQLITE_REVERSE, *APPEND_ONLY.SQLITE_FORWARD, SQLITE_FORWARD):
            schema_editor.execute(statement, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="logentry",
            name="key_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.RunPython(forward, reverse, elidable=False),
    ]
