"""The keys of the audit chain.

Each entry's hash is an HMAC-SHA256 under a secret key that lives in the environment of the
servers, never in the database (`AUDIT_CHAIN_KEY`, "<key id>:<secret>"). Someone who can write
the database but does not hold the key cannot append an entry, nor re-hash an altered one, that
verifies. Each entry stores the id of the key it was made with, so keys can be rotated: the new
key becomes `AUDIT_CHAIN_KEY`, the old one moves to `AUDIT_CHAIN_RETIRED_KEYS` (comma-separated,
same form) and still verifies what it signed.
"""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_FORMAT = re.compile(r"^([A-Za-z0-9_.-]{1,32}):(\S{32,})$")
KEY_HELP = (
    'AUDIT_CHAIN_KEY must be "<key id>:<secret>": an id of up to 32 letters, digits, ".", "_" '
    'or "-", and a secret of at least 32 characters (for example: python -c "import secrets; '
    "print('k1:' + secrets.token_urlsafe(48))\")."
)


def parse_key(text: str) -> tuple[str, bytes]:
    match = KEY_FORMAT.match(text.strip())
    if match is None:
        raise ImproperlyConfigured(KEY_HELP)
    return match.group(1), match.group(2).encode()


def current_key() -> tuple[str, bytes]:
    """The key new entries are made with: its id and its secret."""
    if not settings.AUDIT_CHAIN_KEY:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEY is not set. " + KEY_HELP)
    return parse_key(settings.AUDIT_CHAIN_KEY)


def chain_keys() -> dict[str, bytes]:
    """Every key that may have signed an entry, by id: the current one and the retired ones."""
    keys = {}
    retired = (parse_key(text) for text in settings.AUDIT_CHAIN_RETIRED_KEYS if text.strip())
    for key_id, secret in (*retired, current_key()):
        if keys.get(key_id, secret) != secret:
            raise ImproperlyConfigured(f"Two audit chain keys have the id {key_id!r}.")
        keys[key_id] = secret
    return keys
