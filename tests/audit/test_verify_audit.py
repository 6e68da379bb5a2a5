import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models

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


# --- The key: entries written outside the application do not verify ---------------------------


def _forge(**fields) -> LogEntry:
    """Append an entry as someone holding the database credentials would: the next seq, linked
    to the head, its hash computed as the application computes it, but without the server's key
    (`fields` say which key id and secret they try)."""
    secret = fields.pop("secret", None)
    head = LogEntry.objects.order_by("-seq").first()
    forged = LogEntry(
        content_type=head.content_type,
        object_pk=head.object_pk,
        object_id=head.object_id,
        object_repr=head.object_repr,
        action=head.action,
        changes={"status": ["screening", "enrolled"]},
        actor_id=head.actor_id,
        reason="Confirmed by the investigator",
        timestamp=head.timestamp,
        seq=head.seq + 1,
        prev_hash=head.entry_hash,
        **fields,
    )
    forged.entry_hash = forged.compute_hash({forged.key_id: secret} if secret else {})
    models.Model.save(forged)  # past LogEntry.save, as a plain INSERT would
    return forged


@pytest.mark.parametrize(
    "forgery, problem",
    [
        ({"key_id": ""}, "not made with the audit key"),
        ({"key_id": "test", "secret": b"a guessed key, not the server's"}, "does not match"),
        ({"key_id": "k9", "secret": b"a key of the intruder's own"}, "key this server does not"),
    ],
    ids=["plain-sha256", "guessed-key", "own-key"],
)
def test_an_entry_appended_without_the_key_fails_verification(trail, capsys, forgery, problem):
    forged = _forge(**forgery)
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"seq={forged.seq}" in err and problem in err


def test_an_altered_entry_rehashed_without_the_key_fails_verification(trail, capsys):
    victim = trail[1]
    victim.reason = "quietly edited"
    plain = hashlib.sha256(victim.hash_payload().encode("ascii")).hexdigest()
    _tamper(
        "UPDATE audit_logentry SET reason = %s, entry_hash = %s WHERE id = %s",
        ["quietly edited", plain, victim.pk],
    )
    _tamper("UPDATE audit_logentry SET prev_hash = %s WHERE seq = %s", [plain, victim.seq + 1])
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert f"seq={victim.seq}" in capsys.readouterr().err


def test_entries_of_a_retired_key_still_verify_and_need_it(trail, settings, capsys):
    old_key = settings.AUDIT_CHAIN_KEY
    settings.AUDIT_CHAIN_KEY = "k2:" + "the-next-key-of-the-test-suite-" * 2
    settings.AUDIT_CHAIN_RETIRED_KEYS = [old_key]
    IdentityFactory()
    assert {e.key_id for e in LogEntry.objects.all()} == {"test", "k2"}
    call_command("verify_audit")
    assert "entries verified" in capsys.readouterr().out

    settings.AUDIT_CHAIN_RETIRED_KEYS = []
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert "key this server does not hold (key id 'test')" in capsys.readouterr().err


def test_verify_audit_needs_the_key(trail, settings):
    settings.AUDIT_CHAIN_KEY = ""
    with pytest.raises(CommandError, match="AUDIT_CHAIN_KEY is not set"):
        call_command("verify_audit")


def _unkey(trail) -> LogEntry:
    """The trail's entries re-made as the earlier release made them, hashed without a key: what
    a database of that release holds, or what an intruder who rewrote the chain would leave."""
    previous = "0" * 64
    for entry in trail:
        entry.key_id, entry.prev_hash = "", previous
        entry.entry_hash = previous = entry.compute_hash()
        _tamper(
            "UPDATE audit_logentry SET key_id = '', prev_hash = %s, entry_hash = %s WHERE id = %s",
            [entry.prev_hash, entry.entry_hash, entry.pk],
        )
    return trail[-1]


def test_a_chain_rewritten_without_the_key_fails_verification(trail, capsys):
    _unkey(trail)
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert "seq=1 " in capsys.readouterr().err


def test_entries_from_before_the_chain_was_keyed_verify_up_to_the_legacy_head(
    trail, settings, capsys
):
    """A database of an earlier release: its entries are plain SHA-256, the new ones keyed."""
    last = _unkey(trail)
    settings.AUDIT_CHAIN_LEGACY_HEAD = f"{last.seq}:{last.entry_hash}"
    IdentityFactory()  # written by this release: keyed, after the earlier ones
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"{len(trail)} of them from before the chain was keyed" in out

    # An unkeyed entry appended after the legacy head is refused.
    settings.AUDIT_CHAIN_LEGACY_HEAD = f"{last.seq - 1}:{trail[-2].entry_hash}"
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert f"seq={last.seq}" in capsys.readouterr().err
