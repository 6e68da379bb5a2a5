import os
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from accounts.models import Site
from audit.chain import chain_verify
from audit.context import change_reason
from audit.models import AuditBypassError, AuditImmutableError, LogEntry
from participants.models import Participant
from tests.participants.factories import IdentityFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# The Python environment may lie in the repository (.venv): what is installed there is not ours.
ENVIRONMENT = {
    Path(p).resolve() for p in (sys.prefix, sys.base_prefix, *sysconfig.get_paths().values())
}

# Models of our apps that hold no clinical data, each with the reason it is not audited.
NOT_CLINICAL = {
    "audit.LogEntry": "the audit trail itself",
    "records.Submission": "a form's one-time key and where its first answer went",
    "queries.QueryDigest": "that a user was emailed the day's counts of their queries",
    "safety.SafetyNotice": "that a user was emailed news of an adverse event, once a step",
    "safety.QueuePlace": "an adverse event's place in the review queue, from audited records",
    "exports.ExportProgress": "rows an export's task has written so far (the Export records it)",
}


def _is_ours(app_config) -> bool:
    """The app's package lies in the repository, not in the installed Python environment."""
    path = Path(app_config.path).resolve()
    return path.is_relative_to(ROOT) and not any(path.is_relative_to(p) for p in ENVIRONMENT)


def our_apps() -> set[str]:
    """The labels of every installed app of the project, found from where its code lies."""
    return {config.label for config in apps.get_app_configs() if _is_ours(config)}


def test_our_apps_are_found_from_the_installed_apps():
    found = our_apps()
    # The apps the settings name for the user and the audit entry are ours; no third-party app is.
    assert apps.get_model(settings.AUTH_USER_MODEL)._meta.app_label in found
    assert apps.get_model(settings.AUDITLOG_LOGENTRY_MODEL)._meta.app_label in found
    assert "auth" not in found and "auditlog" not in found


def test_every_model_of_our_apps_is_audited_or_declared_not_clinical():
    ours = our_apps()
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in ours
        and not auditlog.contains(model)
        and model._meta.label not in NOT_CLINICAL
    ]
    assert missing == []


def test_every_not_clinical_exemption_names_an_unaudited_model_of_our_apps():
    for label, reason in NOT_CLINICAL.items():
        model = apps.get_model(label)
        assert model._meta.app_label in our_apps(), label
        assert not auditlog.contains(model), f"{label} is audited: drop its exemption"
        assert reason


@pytest.mark.parametrize(
    "operation",
    [
        lambda: Participant.objects.update(status="withdrawn"),
        lambda: Participant.objects.filter(pk__gt=0).update(status="withdrawn"),
        lambda: Participant.objects.bulk_create([]),
        lambda: Participant.objects.bulk_update([], ["status"]),
        lambda: Site.objects.update(name="x"),
    ],
    ids=["update", "filtered-update", "bulk_create", "bulk_update", "site-update"],
)
def test_audited_models_refuse_unaudited_bulk_writes(operation):
    ParticipantFactory()
    with pytest.raises(AuditBypassError, match="bypass the audit trail"):
        operation()


def test_every_save_writes_an_entry_with_old_and_new_values(site1):
    participant = ParticipantFactory(site=site1)
    participant.status = Participant.Status.SCREEN_FAILED
    with change_reason("CAPS-5 below threshold"):
        participant.save()
    entry = LogEntry.objects.get_for_object(participant).order_by("-seq").first()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes["status"] == ["screening", "screen_failed"]
    assert entry.reason == "CAPS-5 below threshold"


def test_identity_values_never_reach_the_audit_trail():
    identity = IdentityFactory(given_name="Zebulon", family_name="Quartermaine")
    entry = LogEntry.objects.get_for_object(identity).get()
    text = str(entry.changes) + entry.object_repr + entry.changes_text
    assert "Zebulon" not in text and "Quartermaine" not in text
    assert entry.changes["given_name"][1] == "[redacted]"


def test_log_entries_cannot_be_changed_or_deleted_through_the_orm():
    ParticipantFactory()
    entry = LogEntry.objects.first()
    entry.reason = "rewritten"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        entry.delete()


# An insert that collides with an entry and turns into a change of it (PostgreSQL and SQLite).
UPSERT = (
    "INSERT INTO audit_logentry SELECT * FROM audit_logentry ORDER BY seq LIMIT 1 "
    "ON CONFLICT (seq) DO UPDATE SET reason = 'rewritten'"
)


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
def test_database_refuses_changes_to_log_entries(sql):
    ParticipantFactory()
    count = LogEntry.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            # Fire the deferred foreign-key checks of the inserts first, so that the statement
            # meets the audit guard rather than PostgreSQL's pending-trigger rule.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql)
    assert LogEntry.objects.count() == count
    assert not LogEntry.objects.filter(reason="rewritten").exists()


def test_entries_are_chained_in_order():
    ParticipantFactory()
    ParticipantFactory()
    entries = list(LogEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.entry_hash
        assert entry.entry_hash == entry.compute_hash()


def test_sqlite_triggers_refuse_every_change_of_an_entry(tmp_path):
    """The zero-configuration SQLite database is append-only too."""
    database = tmp_path / "audit.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trialsite.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--password", "demo-Password-123"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    db = sqlite3.connect(database)
    (count,) = db.execute("SELECT count(*) FROM audit_logentry").fetchone()
    assert count > 0
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit_logentry SET reason = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit_logentry")
    # REPLACE deletes the entry it collides with without firing the DELETE trigger.
    columns = [row[1] for row in db.execute("PRAGMA table_info(audit_logentry)")]
    others = ", ".join("'rewritten'" if c == "reason" else f'"{c}"' for c in columns)
    first = f"SELECT {others} FROM audit_logentry WHERE true ORDER BY seq LIMIT 1"  # noqa: S608
    for insert in ("REPLACE INTO", "INSERT OR REPLACE INTO"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(f"{insert} audit_logentry {first}")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute(
            f"INSERT INTO audit_logentry {first} "
            "ON CONFLICT (seq) DO UPDATE SET reason = 'rewritten'"
        )
    db.commit()
    assert db.execute("SELECT count(*) FROM audit_logentry").fetchone() == (count,)
    rewritten = db.execute("SELECT count(*) FROM audit_logentry WHERE reason = 'rewritten'")
    assert rewritten.fetchone() == (0,)
    verified = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True
    )
    assert verified.returncode == 0, verified.stderr


@pytest.mark.parametrize(
    "forwarded", ["2001:0DB8:0000::1", "::ffff:10.0.0.1", ",", "unknown", "10.1.2.3"]
)
def test_forged_forwarded_for_header_neither_breaks_nor_fools_the_trail(
    client, therapist, participant1, forwarded
):
    client.force_login(therapist)
    response = client.get(
        f"/participants/{participant1.pk}/identity/",
        HTTP_X_FORWARDED_FOR=forwarded,
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 200
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).get()
    assert entry.remote_addr == "192.0.2.10"
    assert chain_verify().ok


@pytest.mark.parametrize(
    "forwarded, proxies, recorded",
    [
        ("198.51.100.7", 1, "198.51.100.7"),
        ("203.0.113.66, 198.51.100.7", 1, "198.51.100.7"),  # the left one is the client's say
        ("198.51.100.7, 10.0.0.3", 2, "198.51.100.7"),
        ("not-an-address", 1, "192.0.2.10"),
        ("", 1, "192.0.2.10"),
    ],
)
def test_behind_trusted_proxies_the_trail_records_the_clients_address(
    client, therapist, participant1, settings, forwarded, proxies, recorded
):
    settings.TRUSTED_PROXY_COUNT = proxies
    client.force_login(therapist)
    client.get(
        f"/participants/{participant1.pk}/identity/",
        HTTP_X_FORWARDED_FOR=forwarded,
        REMOTE_ADDR="192.0.2.10",
    )
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).get()
    assert entry.remote_addr == recorded


@pytest.mark.parametrize("value", [-0.0, 1e16, 37.5, 0.1, -12.25, 123456789.0])
def test_numbers_hash_the_same_after_a_round_trip_through_the_database(value):
    entry = LogEntry.objects.log_create(
        ParticipantFactory(),
        force_log=True,
        action=LogEntry.Action.ACCESS,
        additional_data={"reading": value, "nested": [value, {"v": value}]},
    )
    stored = LogEntry.objects.get(pk=entry.pk)
    assert stored.compute_hash() == stored.entry_hash
    assert chain_verify().ok
