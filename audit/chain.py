"""Verification of the audit trail's hash chain, and its anchors outside the database.

The chain shows that no entry was altered, added or removed in the middle: each hash is keyed
(audit/keys.py), so someone able to write the table but without the key can neither append an
entry nor re-hash an altered one. They could still delete the newest entries, or (holding the
key, or before the chain was keyed) rewrite the chain; an anchor, the head of the chain (seq and
hash) written somewhere the database cannot reach, catches both: a later chain must still
contain every anchor, unchanged.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from audit.keys import chain_keys
from audit.models import GENESIS_HASH, LogEntry, UnknownAuditKey


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""
    head_seq: int = 0
    head_hash: str = ""
    unkeyed: int = 0

    @property
    def anchor(self) -> str:
        """The head of the chain, as written to an anchor file: "seq:hash"."""
        return f"{self.head_seq}:{self.head_hash}"

    def describe(self) -> str:
        if self.ok:
            before = (
                f" ({self.unkeyed} of them from before the chain was keyed: only the anchors "
                "kept since protect those)"
                if self.unkeyed
                else ""
            )
            return (
                f"Audit trail intact: {self.checked} entries verified{before}. Head: "
                f"{self.anchor} (keep it outside the database; verify_audit --expect-head checks "
                "it later)."
            )
        return (
            f"Audit trail BROKEN at entry seq={self.first_bad_seq} (id={self.first_bad_id}): "
            f"{self.problem}. {self.checked} entries checked before it."
        )


def chain_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Recompute every entry's hash in order, with the server's keys; the first mismatch, gap,
    broken link or entry not made with a key is named."""
    keys = chain_keys()
    legacy_seq, legacy_hash = legacy_head()
    expected_seq = 1
    previous_hash = GENESIS_HASH
    checked = unkeyed = 0
    entries = LogEntry.objects.select_related("content_type").order_by("seq")
    for entry in entries.iterator(chunk_size=chunk_size):
        problem = ""
        if entry.seq != expected_seq:
            problem = f"sequence jumps from {expected_seq - 1} to {entry.seq} (entries removed)"
        elif entry.prev_hash != previous_hash:
            problem = "link to the previous entry does not match (an entry was altered or removed)"
        elif not entry.key_id and (unkeyed < checked or entry.seq > legacy_seq):
            problem = "not made with the audit key (an entry written outside the application)"
        elif not entry.key_id and entry.seq == legacy_seq and entry.entry_hash != legacy_hash:
            problem = "not the last entry from before the chain was keyed (AUDIT_CHAIN_LEGACY_HEAD)"
        else:
            try:
                if entry.compute_hash(keys) != entry.entry_hash:
                    problem = "content does not match its hash (the entry was altered or forged)"
            except UnknownAuditKey:
                problem = f"made with a key this server does not hold (key id {entry.key_id!r})"
        if problem:
            return ChainReport(
                checked=checked,
                ok=False,
                first_bad_seq=entry.seq,
                first_bad_id=entry.pk,
                problem=problem,
            )
        checked += 1
        unkeyed += not entry.key_id
        expected_seq = entry.seq + 1
        previous_hash = entry.entry_hash
    return ChainReport(
        checked=checked,
        ok=True,
        head_seq=expected_seq - 1,
        head_hash=previous_hash,
        unkeyed=unkeyed,
    )


ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def legacy_head() -> tuple[int, str]:
    """The last entry written before the chain was keyed, as the environment names it
    (AUDIT_CHAIN_LEGACY_HEAD, the head verify_audit printed before the upgrade): only entries
    up to it may be unkeyed. (0, "") when there are none, so an unkeyed entry is never taken."""
    if not settings.AUDIT_CHAIN_LEGACY_HEAD:
        return 0, ""
    return parse_anchor(settings.AUDIT_CHAIN_LEGACY_HEAD)


def parse_anchor(text: str) -> tuple[int, str]:
    """ "seq:hash" as printed by verify_audit; ValueError if it is not one."""
    match = ANCHOR.match(text.strip())
    if match is None:
        raise ValueError(f"Not an audit anchor (expected seq:sha256-hex): {text.strip()!r}")
    return int(match.group(1)), match.group(2)


def anchor_check(seq: int, entry_hash: str) -> str:
    """ "" if entry `seq` of the chain still has `entry_hash`; otherwise what is wrong."""
    if seq == 0:
        return ""
    stored = LogEntry.objects.filter(seq=seq).values_list("entry_hash", flat=True).first()
    if stored is None:
        return f"entry seq={seq}, anchored earlier, is gone (the newest entries were removed)"
    if stored != entry_hash:
        return f"entry seq={seq} no longer has its anchored hash (the chain was rewritten)"
    return ""


def anchors_check(anchors: list[tuple[int, str]]) -> str:
    """ "" if the chain still holds every anchor unchanged; otherwise what is wrong with the first
    that is not, as the verification reports it."""
    for seq, entry_hash in anchors:
        problem = anchor_check(seq, entry_hash)
        if problem:
            return f"Audit trail BROKEN: {problem}."
    return ""


def anchors_read(path: Path) -> list[tuple[int, str]]:
    """The anchors of an anchor file: one "timestamp seq:hash" line per nightly check."""
    if not path.exists():
        return []
    anchors = []
    for line in path.read_text().splitlines():
        if line.strip():
            anchors.append(parse_anchor(line.split()[-1]))
    return anchors


def anchor_append(path: Path, report: ChainReport, when: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as anchors:
        anchors.write(f"{when} {report.anchor}\n")
