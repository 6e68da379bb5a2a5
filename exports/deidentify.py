"""De-identification of one export (HIPAA Safe Harbor, DESIGN.md "De-identified export").

A participant is known in an export only by a pseudonym, a keyed hash (HMAC-SHA256, the key in
EXPORT_PSEUDONYM_KEY, which never leaves the server) of their primary key: salted with the study's
code, it is the same in every export of the study ("stable"); salted with the export's nonce, it
is new in each. From a keyed hash salted with the study's code comes the participant's date
shift, 1 to 364 days back, the same in every file of every export of the study (as REDCap shifts
a record's dates): so that intervals survive, and so that exports with new pseudonyms, linked by
their data, cannot be laid over one another to narrow down the true dates. Instead of dates, an
export may give study days: day 1 is the day of the first dose, the day before it day -1 (no
day 0).
"""

import datetime
import hashlib
import hmac
from enum import StrEnum

import pycountry
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
        self._study_salt = f"study:{study_code}"
        self._salt = self._study_salt if stable else f"export:{nonce}"

    def _digest(self, salt: str, purpose: str, participant_id: int) -> bytes:
        message = f"{salt}\x00{purpose}\x00{participant_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def pseudonym(self, participant_id: int) -> str:
        return self._digest(self._salt, "pseudonym", participant_id).hex()[:16].upper()

    def shift_days(self, participant_id: int) -> int:
        """How many days (1 to 364) the participant's dates move back: the same in every export
        of the study, whatever its pseudonyms."""
        digest = self._digest(self._study_salt, "date-shift", participant_id)
        number = int.from_bytes(digest[:8], "big")
        return 1 + number % MAX_SHIFT_DAYS

    def shift(self, participant_id: int, value: datetime.date) -> datetime.date:
        """`value` (a date or a datetime) moved back by the participant's shift."""
        return value - datetime.timedelta(days=self.shift_days(participant_id))


def country_code(country: str | None) -> str:
    """ISO 3166-1 alpha-3 of a country as typed ("United Kingdom", "GB" -> "GBR"); "" for
    anything else, so that no geography below the country leaves (a town and its country: "")."""
    if not country or not country.strip():
        return ""
    try:
        return pycountry.countries.lookup(country.strip()).alpha_3
    except LookupError:
        return ""


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
