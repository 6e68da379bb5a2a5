import pytest
from django.core.management import call_command
from django.db import connection

from audit.models import LogEntry
from tests.participants.factories import IdentityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail():
    for _ in range(3):
        IdentityFactory()
    return list(LogEntry.objects.order_by("seq"))


def _tamper(sql, params):
    """Do what an intruder with database access would: drop the guard, then write."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_logentry DISABLE TRIGGER audit_logentry_no_update_delete")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_logentry ENABLE TRIGGER audit_logentry_no_update_delete")


def test_verify_audit_exits_zero_on_an_intact_trail(trail, capsys):
    call_command("verify_audit")
    assert f"{len(trail)} entries verified" in capsys.readouterr().out


def test_verify_audit_names_an_altered_entry(trail, capsys):
    victim = trail[2]
    _tamper("UPDATE audit_logentry SET reason = %s WHERE id = %s", ["quietly edited", victim.pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"seq={victim.seq}" in err
    assert "altered" in err


def test_verify_audit_detects_a_changed_value_even_with_a_recomputed_link(trail, capsys):
    victim = trail[1]
    _tamper(
        "UPDATE audit_logentry SET changes = %s WHERE id = %s",
        ['{"status": ["screening", "enrolled"]}', victim.pk],
    )
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert f"seq={victim.seq}" in capsys.readouterr().err


def test_verify_audit_names_the_entry_after_a_removed_one(trail, capsys):
    removed, following = trail[3], trail[4]
    _tamper("DELETE FROM audit_logentry WHERE id = %s", [removed.pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"seq={following.seq}" in err
    assert "removed" in err
