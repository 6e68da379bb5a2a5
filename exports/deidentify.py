"""De-identification of one export (HIPAA Safe Harbor, DESIGN.md "De-identified export").

A participant is known in an export only by a pseudonym, a keyed hash (HMAC-SHA256, the key in
EXPORT_PSEUDONYM_KEY, which never leaves the server) of their primary key: salted with the study's
code, it is the same in every export of the study ("stable"); salted with the export's nonce, it
is new in each. From the same keyed hash comes the participant's date shift, 1 to 364 days back,
the same in every file of the export, so that intervals survive. Instead of dates, an export may
give study days: day 1 is the day of the first dose, the day before it day -1 (no day 0).
"""

import datetime
import hashlib
import hmac
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from records.redaction import redact

MAX_SHIFT_DAYS = 364
# Ages above this are reported as AGE_CAP and flagged.
MAX_REPORTED_AGE = 89
AGE_CAP = 90


class DateMode(StrEnum):
    SHIFT = "shift"
    STUDY_DAY = "study-day"


def pseudonym_key() -> bytes:
    if not settings.EXPORT_PSEUDONYM_KEY:
        raise ImproperlyConfigured(
            "EXPORT_PSEUDONYM_KEY is not set: the secret of the exports' pseudonyms and date "
            "shifts, kept in the servers' environment (see the README)."
        )
    return settings.EXPORT_PSEUDONYM_KEY.encode()


class Deidentifier:
    """The pseudonyms and date shifts of one export."""

    def __init__(self, *, study_code: str, stable: bool, nonce: str, key: bytes | None = None):
        self._key = key if key is not None else pseudonym_key()
        self._salt = f"study:{study_code}" if stable else f"export:{nonce}"

    def _digest(self, purpose: str, participant_id: int) -> bytes:
        message = f"{self._salt}\x00{purpose}\x00{participant_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def pseudonym(self, participant_id: int) -> str:
        return self._digest("pseudonym", participant_id).hex()[:16].upper()

    def shift_days(self, participant_id: int) -> int:
        """How many days (1 to 364) the participant's dates move back."""
        number = int.from_bytes(self._digest("date-shift", participant_id)[:8], "big")
        return 1 + number % MAX_SHIFT_DAYS

    def shift(self, participant_id: int, value: datetime.date) -> datetime.date:
        """`value` (a date or a datetime) moved back by the participant's shift."""
        return value - datetime.timedelta(days=self.shift_days(participant_id))


def study_day(day: datetime.date, reference: datetime.date | None) -> int | None:
    """The study day of `day`: 1 on `reference` (the first dose), -1 the day before; no day 0.
    None without a reference (not dosed)."""
    if reference is None:
        return None
    days = (day - reference).days
    return days + 1 if days >= 0 else days


def capped_age(age: int | None) -> int | None:
    """An age as exported: over 89 it is 90 (and `age_over_89` flags it)."""
    if age is None:
        return None
    return min(age, AGE_CAP)


def age_over_89(age: int | None) -> bool | None:
    return None if age is None else age > MAX_REPORTED_AGE


def without_identity(text: str, identity_values: list[str]) -> str:
    """`text` with every identity value of its participant removed, however it is cased or
    written (a date or a phone with any separators; records.redaction)."""
    return redact(text, identity_values)
