"""The application's database role (grant_app_role): it writes clinical data and appends to the
audit trail, but cannot change the trail or switch off its triggers, not even with SQL.

Each test makes its own uniquely named role inside the test's transaction, and acts as it with
SET ROLE (the test database's user is a superuser). Roles are cluster-wide: the fixture drops the
role, and the transaction's rollback at the end of the test removes it whatever happened.
"""

import datetime
import io
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from auditlog.context import set_actor
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction
from psycopg import errors

from audit.chain import chain_verify
from audit.models import LogEntry
from participants.models import Participant
from participants.services import participant_register
from tests.audit.test_models import UPSERT
from tests.participants.factories import IdentityFactory

pytestmark = pytest.mark.django_db

READ_WRITE = {"SELECT", "INSERT", "UPDATE", "DELETE"}


def _execute(sql, params=None):
    # In a savepoint: a failing statement leaves the test's transaction usable for the teardown.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


@pytest.fixture
def make_role():
    """Create roles named for this test (NOLOGIN, plus the options given); drop them after."""
    made = []

    def _make(options=""):
        name = f"test_app_{uuid.uuid4().hex[:12]}"
        _execute(f'CREATE ROLE "{name}" NOLOGIN {options}')
        made.append(name)
        return name

    yield _make
    for name in made:
        with transaction.atomic():
            _execute(f'DROP OWNED BY "{name}"')
            _execute(f'DROP ROLE "{name}"')


@pytest.fixture
def app_role(make_role):
    role = make_role()
    call_command("grant_app_role", role, stdout=io.StringIO())
    return role


@contextmanager
def acting_as(role):
    """Run the block as `role`; an error inside rolls back to before SET ROLE, undoing it too."""
    with transaction.atomic():
        _execute(f'SET ROLE "{role}"')
        assert _execute("SELECT current_user") == [(role,)]
        yield
        _execute("RESET ROLE")


def _refused(sql):
    """Run `sql` in a savepoint; return the error, which must be a privilege error."""
    with pytest.raises(ProgrammingError) as info, transaction.atomic():
        _execute(sql)
    assert isinstance(info.value.__cause__, errors.InsufficientPrivilege), info.value
    return str(info.value)


def _privileges(role):
    """The role's own privileges: {relation: {privilege}}, with the database and schema's."""
    rows = _execute(
        """
        SELECT c.relname, a.privilege_type FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
        WHERE n.nspname = current_schema() AND a.grantee = %(role)s::regrole
        UNION ALL
        SELECT 'database', a.privilege_type FROM pg_database d, aclexplode(d.datacl) a
        WHERE d.datname = current_database() AND a.grantee = %(role)s::regrole
        UNION ALL
        SELECT 'schema', a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a
        WHERE n.nspname = current_schema() AND a.grantee = %(role)s::regrole
        UNION ALL
        SELECT 'default ' || d.defaclobjtype::text, a.privilege_type FROM pg_default_acl d,
        aclexplode(d.defaclacl) a WHERE a.grantee = %(role)s::regrole
        """,
        {"role": role},
    )
    privileges = {}
    for relation, privilege in rows:
        privileges.setdefault(relation, set()).add(privilege)
    return privileges


def test_app_role_writes_clinical_data_and_its_audit_entries(app_role, site1, therapist):
    with acting_as(app_role), set_actor(therapist):
        participant = participant_register(
            actor=therapist,
            site=site1,
            identity={
                "given_name": "Dora",
                "family_name": "Dunmore",
                "date_of_birth": datetime.date(1979, 3, 2),
                "sex": "F",
            },
        )
        entry = LogEntry.objects.get_for_object(participant).get()
        report = chain_verify()
    assert Participant.objects.filter(pk=participant.pk).exists()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == therapist
    assert report.ok and report.checked == LogEntry.objects.count()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_logentry SET reason = 'rewritten'",
        "DELETE FROM audit_logentry",
        "TRUNCATE audit_logentry",
        UPSERT,
    ],
    ids=["update", "delete", "truncate", "upsert"],
)
def test_app_role_is_refused_changes_to_the_audit_trail_by_privilege(app_role, sql):
    IdentityFactory()
    count = LogEntry.objects.count()
    # Fire the deferred foreign-key checks of the inserts, so TRUNCATE meets the privilege check.
    _execute("SET CONSTRAINTS ALL IMMEDIATE")
    with acting_as(app_role):
        message = _refused(sql)
    # The table's privileges refuse it, before the append-only trigger would.
    assert "permission denied for table audit_logentry" in message
    assert LogEntry.objects.count() == count
    assert not LogEntry.objects.filter(reason="rewritten").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE audit_logentry DISABLE TRIGGER ALL",
        "ALTER TABLE audit_logentry DISABLE TRIGGER audit_logentry_no_update_delete",
        "DROP TRIGGER audit_logentry_no_update_delete ON audit_logentry",
        "DROP TABLE audit_logentry CASCADE",
        "CREATE OR REPLACE FUNCTION audit_logentry_refuse_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "CREATE TRIGGER audit_logentry_rewrite BEFORE INSERT ON audit_logentry "
        "FOR EACH ROW EXECUTE FUNCTION audit_logentry_refuse_change()",
    ],
    ids=["disable-all", "disable-one", "drop-trigger", "drop-table", "replace-function", "trigger"],
)
def test_app_role_cannot_switch_off_or_replace_the_audit_guards(app_role, sql):
    with acting_as(app_role):
        _refused(sql)
    triggers = _execute(
        "SELECT tgname, tgenabled FROM pg_trigger "
        "WHERE tgrelid = 'audit_logentry'::regclass AND NOT tgisinternal ORDER BY tgname"
    )
    assert triggers == [
        ("audit_logentry_no_truncate", "O"),
        ("audit_logentry_no_update_delete", "O"),
    ]


def test_disabling_the_triggers_needs_ownership(app_role):
    with acting_as(app_role):
        message = _refused("ALTER TABLE audit_logentry DISABLE TRIGGER ALL")
    assert "must be owner of table audit_logentry" in message


def test_app_role_only_reads_the_migration_history(app_role):
    with acting_as(app_role):
        assert _execute("SELECT count(*) FROM django_migrations")[0][0] > 0
        _refused("DELETE FROM django_migrations")


def test_grants_are_exact_and_a_second_run_changes_nothing(app_role):
    first = _privileges(app_role)
    call_command("grant_app_role", app_role, stdout=io.StringIO())
    assert _privileges(app_role) == first

    assert first.pop("audit_logentry") == {"SELECT", "INSERT"}
    assert first.pop("django_migrations") == {"SELECT"}
    assert first.pop("auditlog_logentry") == {"SELECT"}  # django-auditlog's unused table
    assert first.pop("database") == {"CONNECT"}
    assert first.pop("schema") == {"USAGE"}
    assert first.pop("default r") == READ_WRITE
    assert first.pop("default S") == {"USAGE", "SELECT"}
    relations = _execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
    )
    sequences = {name for name, kind in relations if kind == "S"}
    tables = {name for name, kind in relations if kind != "S"}
    assert {"participants_participant", "django_session", "axes_accessattempt"} <= tables
    for relation, privileges in first.items():
        assert privileges == ({"USAGE", "SELECT"} if relation in sequences else READ_WRITE)
    assert set(first) == (tables | sequences) - {
        "audit_logentry",
        "django_migrations",
        "auditlog_logentry",
    }


def test_tables_created_by_later_migrations_are_usable_at_once(app_role):
    _execute("CREATE TABLE later_table (id bigint GENERATED BY DEFAULT AS IDENTITY, note text)")
    with acting_as(app_role):
        _execute("INSERT INTO later_table (note) VALUES ('x')")
        assert _execute("SELECT note FROM later_table") == [("x",)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("SUPERUSER", "superuser"),
        ("CREATEROLE", "may create roles"),
        ("IN ROLE {owner}", "must own nothing"),
        ("IN ROLE pg_write_all_data", "pg_write_all_data"),
    ],
    ids=["superuser", "createrole", "member-of-owner", "writes-all-data"],
)
def test_command_refuses_a_role_that_could_change_the_trail(make_role, options, message):
    owner = _execute("SELECT current_user")[0][0]
    role = make_role(options.format(owner=f'"{owner}"'))
    with pytest.raises(CommandError, match=message):
        call_command("grant_app_role", role)
    assert _privileges(role) == {}


def test_command_refuses_a_missing_role_and_the_owner_itself():
    with pytest.raises(CommandError, match="does not exist"):
        call_command("grant_app_role", f"test_app_{uuid.uuid4().hex[:12]}")
    owner = _execute("SELECT current_user")[0][0]
    with pytest.raises(CommandError, match="not a separate one"):
        call_command("grant_app_role", owner)


def test_command_does_nothing_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trialsite.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "grant_app_role", "trialsite_app"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Nothing to do" in result.stdout
