import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import LogEntry
from audit.tasks import audit_chain_verify
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


# --- Anchors: the head of the chain kept outside the database ---------------------------------


def _head(capsys) -> str:
    call_command("verify_audit")
    out = capsys.readouterr().out
    return out.split("Head: ")[1].split()[0]


def test_verify_audit_prints_the_head_to_keep_elsewhere(trail, capsys):
    newest = trail[-1]
    assert _head(capsys) == f"{newest.seq}:{newest.entry_hash}"


def test_removing_the_newest_entries_is_caught_by_an_earlier_head(trail, capsys):
    head = _head(capsys)
    newest = trail[-1]
    _tamper("DELETE FROM audit_logentry WHERE id = %s", [newest.pk])
    call_command("verify_audit")  # the chain alone still looks intact
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", expect_head=[head])
    assert exit_info.value.code == 1
    assert f"seq={newest.seq}" in capsys.readouterr().err


def test_a_rewritten_chain_is_caught_by_an_earlier_head(trail, capsys):
    head = _head(capsys)
    newest = trail[-1]
    _tamper("UPDATE audit_logentry SET entry_hash = %s WHERE id = %s", ["f" * 64, newest.pk])
    with pytest.raises(SystemExit):
        call_command("verify_audit", expect_head=[head])
    assert f"seq={newest.seq}" in capsys.readouterr().err


def test_a_malformed_head_is_refused(trail):
    with pytest.raises(CommandError):
        call_command("verify_audit", expect_head=["12:not-a-hash"])


def test_the_nightly_check_appends_the_head_and_checks_earlier_ones(
    trail, settings, tmp_path, capsys
):
    anchors = tmp_path / "anchors.log"
    settings.AUDIT_ANCHOR_FILE = str(anchors)
    first = audit_chain_verify.delay().get()
    assert first["ok"]
    assert anchors.read_text().strip().endswith(first["head"])
    IdentityFactory()  # the trail grows; the earlier anchor is still in it
    assert audit_chain_verify.delay().get()["ok"]
    assert len(anchors.read_text().splitlines()) == 2
    newest = LogEntry.objects.order_by("-seq").first()
    _tamper("DELETE FROM audit_logentry WHERE id = %s", [newest.pk])
    result = audit_chain_verify.delay().get()
    assert not result["ok"]
    assert len(anchors.read_text().splitlines()) == 2  # a broken chain is not anchored
    with pytest.raises(SystemExit):
        call_command("verify_audit", anchors=anchors)
