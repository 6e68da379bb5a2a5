"""Verification of the audit trail's hash chain."""

from dataclasses import dataclass

from audit.models import GENESIS_HASH, LogEntry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"Audit trail intact: {self.checked} entries verified."
        return (
            f"Audit trail BROKEN at entry seq={self.first_bad_seq} (id={self.first_bad_id}): "
            f"{self.problem}. {self.checked} entries checked before it."
        )


def chain_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Recompute every entry's hash in order; the first mismatch, gap or broken link is named."""
    expected_seq = 1
    previous_hash = GENESIS_HASH
    checked = 0
    entries = LogEntry.objects.select_related("content_type").order_by("seq")
    for entry in entries.iterator(chunk_size=chunk_size):
        problem = ""
        if entry.seq != expected_seq:
            problem = f"sequence jumps from {expected_seq - 1} to {entry.seq} (entries removed)"
        elif entry.prev_hash != previous_hash:
            problem = "link to the previous entry does not match (an entry was altered or removed)"
        elif entry.compute_hash() != entry.entry_hash:
            problem = "content does not match its hash (the entry was altered)"
        if problem:
            return ChainReport(
                checked=checked,
                ok=False,
                first_bad_seq=entry.seq,
                first_bad_id=entry.pk,
                problem=problem,
            )
        checked += 1
        expected_seq = entry.seq + 1
        previous_hash = entry.entry_hash
    return ChainReport(checked=checked, ok=True)
