"""Give the application's own database role what it needs on PostgreSQL, and nothing more.

The owner of the tables runs `migrate` and then this command; the web app, the worker and beat log
in as the role. The role reads and writes the tables, but may only read and append to the audit
trail. Because it owns nothing, it cannot drop the audit table's triggers, disable them or replace
their function, so no UPDATE, DELETE or TRUNCATE of the trail gets through.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

from audit.models import LogEntry

TABLE_KINDS = ("r", "p", "v", "m", "f")  # tables, partitioned tables, views, foreign tables
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"
# Privileges the role must not hold on the audit table, directly or through PUBLIC or another role.
AUDIT_REFUSED = ("UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Command(BaseCommand):
    help = (
        "Grant a PostgreSQL login role what the application needs: CONNECT on the database, "
        "USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on every table, but only SELECT and "
        "INSERT on the audit trail and SELECT on django_migrations and on swapped-out models' "
        "tables, and USAGE/SELECT on the sequences; by default the same on tables created later "
        "by the user running it. Refuses a superuser or a role that owns anything. Run it "
        "as the owner of the tables after every migrate. Idempotent. Does nothing on SQLite."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="The existing role the application logs in as.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, role, database, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            self.stdout.write(
                f"Nothing to do: database roles exist only on PostgreSQL "
                f"(this database is {connection.vendor})."
            )
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            summary = self._grant(connection, cursor, role)
        self.stdout.write(self.style.SUCCESS(summary))

    def _grant(self, connection, cursor, role: str) -> str:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        owner, database, schema = cursor.fetchone()
        cursor.execute("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise CommandError(f'Role "{role}" does not exist; create it first.')
        if role == owner:
            raise CommandError(f'"{role}" is the role running this command, not a separate one.')
        superuser, createrole = row
        if superuser or createrole:
            raise CommandError(
                f'Role "{role}" is a superuser or may create roles; the application\'s role '
                "must be neither (ALTER ROLE ... NOSUPERUSER NOCREATEROLE)."
            )
        self._refuse_ownership(cursor, role, schema)

        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = ANY(%s) ORDER BY c.relname",
            [schema, list(TABLE_KINDS + ("S",))],
        )
        relations = cursor.fetchall()
        tables = {name for name, kind in relations if kind != "S"}
        sequences = [name for name, kind in relations if kind == "S"]
        audit_table = LogEntry._meta.db_table
        missing = sorted(set(connection.introspection.django_table_names()) - tables)
        if missing:
            raise CommandError(
                f"Tables missing from schema {schema}: {', '.join(missing)}. Run migrate first."
            )
        # Read only: the migration history (written by migrate, as the owner) and the tables of
        # swapped-out models, such as django-auditlog's own entry table, which nothing uses.
        read_only = sorted(
            {MigrationRecorder.Migration._meta.db_table}
            | {m._meta.db_table for m in apps.get_models(include_swapped=True) if m._meta.swapped}
        )
        read_only = [name for name in read_only if name in tables]

        r, s, d = quote(role), quote(schema), quote(database)

        def table(name: str) -> str:
            return f"{s}.{quote(name)}"

        statements = [
            f"REVOKE ALL ON DATABASE {d} FROM {r}",
            f"GRANT CONNECT ON DATABASE {d} TO {r}",
            f"REVOKE ALL ON SCHEMA {s} FROM {r}",
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            # Start from nothing, so that a second run leaves exactly the same privileges.
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
            f"GRANT {READ_WRITE} ON ALL TABLES IN SCHEMA {s} TO {r}",
            *(f"REVOKE INSERT, UPDATE, DELETE ON {table(name)} FROM {r}" for name in read_only),
            f"REVOKE ALL ON {table(audit_table)} FROM {r}",
            f"GRANT SELECT, INSERT ON {table(audit_table)} TO {r}",
            f"REVOKE {', '.join(AUDIT_REFUSED)} ON {table(audit_table)} FROM PUBLIC",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            # Tables and sequences that later migrations create (as this user) are usable at once;
            # running this command after every migrate puts the exceptions above back in place.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {READ_WRITE} ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        ]
        for statement in statements:
            cursor.execute(statement)

        self._check_audit_table(cursor, role, f"{s}.{quote(audit_table)}")
        return (
            f'Role "{role}": CONNECT on database {database}, USAGE on schema {schema}; '
            f"{READ_WRITE} on {len(tables) - len(read_only) - 1} tables; "
            f"SELECT only on {', '.join(read_only)}; SELECT and INSERT only on {audit_table}; "
            f"USAGE and SELECT on {len(sequences)} sequences; by default the same on tables and "
            f'sequences "{owner}" creates later in {schema}.'
        )

    def _refuse_ownership(self, cursor, role: str, schema: str) -> None:
        """The role must not be, or be able to become, an owner of anything the trail depends on.

        An owner of a table or of the triggers' function, of the schema (which may drop its
        tables) or of the database, and a member of pg_write_all_data, could change the trail.
        """
        cursor.execute(
            """
            WITH owners AS (
                SELECT c.relowner AS oid FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s
                UNION SELECT p.proowner FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(schema)s
                UNION SELECT nspowner FROM pg_namespace WHERE nspname = %(schema)s
                UNION SELECT datdba FROM pg_database WHERE datname = current_database()
                UNION SELECT oid FROM pg_roles WHERE rolname = 'pg_write_all_data'
            )
            SELECT r.rolname FROM owners JOIN pg_roles r ON r.oid = owners.oid
            WHERE pg_has_role(%(role)s, owners.oid, 'MEMBER') ORDER BY r.rolname
            """,
            {"schema": schema, "role": role},
        )
        held = [name for (name,) in cursor.fetchall()]
        if held:
            raise CommandError(
                f'Role "{role}" is, or is a member of, {", ".join(held)}, which owns tables, '
                "functions, the schema or the database, or writes every table; the application's "
                "role must own nothing. Use a separate role."
            )

    def _check_audit_table(self, cursor, role: str, audit_table: str) -> None:
        """Whatever route a privilege might come by, the role may only read and append."""
        cursor.execute(
            "SELECT privilege FROM unnest(%s::text[]) AS privilege "
            "WHERE has_table_privilege(%s, %s::regclass, privilege)",
            [["SELECT", "INSERT", *AUDIT_REFUSED], role, audit_table],
        )
        held = {privilege for (privilege,) in cursor.fetchall()}
        if held != {"SELECT", "INSERT"}:
            raise CommandError(
                f'Role "{role}" would hold {", ".join(sorted(held)) or "nothing"} on '
                f"{audit_table} (through PUBLIC or another role); it must hold SELECT and INSERT "
                "only. Nothing was granted."
            )
