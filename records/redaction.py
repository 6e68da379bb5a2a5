"""Identity out of the free text that users outside the participant's site read.

A reason for change or an observation may mention who the participant is ("... it is Denis
Tucker, born 1961-10-23"). Whoever may not see the participant's identity (the medical monitor,
the sponsor) reads every identifying string of that participant replaced by "[redacted]"; the
participant's own site staff read the text as typed.

The participant is found from the record the text belongs to (a participant, or a record with a
`participant`), and asked for its `identifying_strings()`; nothing here knows the identity model.
"""

import functools
import re
import unicodedata

from django.http import HttpRequest

IDENTITY_PERMISSION = "participants.view_participantidentity"
REDACTED = "[redacted]"


def participant_of(record):
    if record is None or hasattr(record, "identifying_strings"):
        return record
    return getattr(record, "participant", None)


# Between the characters of a number as people write it: "020 7496 0999", "PL1 6DU", "1961-10-23",
# or of an email with digits in it ("marian.387@example.org").
SEPARATORS = r"[\s\-./(),@_+]*"


def _pattern(string: str) -> str:
    """How `string` may stand in a text. A number (a phone, a postcode, a date) with any
    separators, a phone by its last nine digits (with or without its country code); a name as a
    whole word, possessive or plural too ("Coleman's", "Colemans")."""
    if any(ch.isdigit() for ch in string):
        chars = [ch for ch in string if ch.isalnum()]
        digits = [ch for ch in chars if ch.isdigit()]
        number = SEPARATORS.join(re.escape(ch) for ch in chars) + r"(?!\d)"
        if len(digits) >= 7 and len(digits) >= len(chars) - 1:  # a phone: its last nine digits
            return SEPARATORS.join(re.escape(ch) for ch in digits[-9:]) + r"(?!\d)"
        return r"(?<![\d\w])" + number
    return r"(?<!\w)" + re.escape(string) + r"(?:['’]s|s)?(?!\w)"


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` without its accents ("Zoë" -> "Zoe"), and for each of its characters the index of
    the character of `text` it comes from."""
    folded, origin = [], []
    for index, char in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c)) or char
        folded.append(base)
        origin.extend([index] * len(base))
    return "".join(folded), origin


@functools.lru_cache(maxsize=1024)
def _compiled(strings: tuple[str, ...]) -> re.Pattern:
    """The pattern of a participant's identifying strings, built once a process (a list page
    redacts the texts of 25 participants; their patterns were most of its time)."""
    folded = sorted((_folded(s)[0] for s in strings), key=len, reverse=True)
    return re.compile("|".join(_pattern(s) for s in folded), flags=re.IGNORECASE)


def redact(text: str, strings: list[str]) -> str:
    """`text` with each of `strings`, as it may be written (in any case, with or without its
    accents), replaced by [redacted]."""
    if not text or not strings:
        return text
    folded, origin = _folded(text)
    pieces, done = [], 0
    for match in _compiled(tuple(strings)).finditer(folded):
        if match.end() == match.start():
            continue
        start, end = origin[match.start()], origin[match.end() - 1] + 1
        pieces += [text[done:start], REDACTED]
        done = end
    return "".join(pieces) + text[done:]


def _cache(request: HttpRequest | None) -> dict:
    if request is None:
        return {}
    if not hasattr(request, "_identifying_strings"):
        request._identifying_strings = {}
    return request._identifying_strings


def identifying_strings(request: HttpRequest | None, participant) -> list[str]:
    """The participant's identifying strings, read once a request."""
    cache = _cache(request)
    if participant.pk not in cache:
        cache[participant.pk] = participant.identifying_strings()
    return cache[participant.pk]


def prime(request: HttpRequest, records) -> None:
    """Read, in one query, the identifying strings a list page about many participants' records
    will redact for its user (none for the participants whose identity the user may see)."""
    user = request.user
    participants = {
        p.pk: p
        for p in map(participant_of, records)
        if p is not None and not user.has_perm(IDENTITY_PERMISSION, p)
    }
    cache = _cache(request)
    missing = [p for pk, p in participants.items() if pk not in cache]
    if missing:
        cache.update(type(missing[0]).identifying_strings_of(missing))


def without_identity(request: HttpRequest, text: str, record) -> str:
    """`text` as the request's user may read it: as typed by the participant's own site staff,
    redacted for anyone who may not see the participant's identity."""
    participant = participant_of(record)
    if not text or participant is None:
        return text
    user = getattr(request, "user", None)
    if user is not None and user.has_perm(IDENTITY_PERMISSION, participant):
        return text
    return redact(text, identifying_strings(request, participant))
