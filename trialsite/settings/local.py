"""`make run`: SQLite under var/ unless DATABASE_URL says otherwise.

DEBUG stays off unless asked for (DEBUG=true in the environment or .env), so that people trying
the app meet the same error pages as in production, never a stack trace.
"""

import base64
import secrets

from .base import *  # noqa: F403
from .base import AUDIT_CHAIN_KEY, BASE_DIR, EXPORT_PSEUDONYM_KEY, EXPORT_SIGNING_KEY, env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="local-development-key-not-for-production")

# Static files straight from the source folders, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

(BASE_DIR / "var").mkdir(exist_ok=True)


def _key_of_this_checkout(name: str, make) -> str:
    """A key made for this checkout on first run and kept under var/ (ignored by git), outside
    the database: `make()` gives a new one."""
    key_file = BASE_DIR / "var" / name
    if not key_file.exists():
        key_file.write_text(f"{make()}\n")
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _ed25519_private_key() -> str:
    """A new Ed25519 private key, as base64 of its 32 raw bytes."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


# The audit chain's key and the exports' keys: from the environment, or made for this checkout.
if not AUDIT_CHAIN_KEY:
    AUDIT_CHAIN_KEY = _key_of_this_checkout(
        "audit-chain.key", lambda: f"local:{secrets.token_urlsafe(48)}"
    )
if not EXPORT_PSEUDONYM_KEY:
    EXPORT_PSEUDONYM_KEY = _key_of_this_checkout(
        "export-pseudonym.key", lambda: secrets.token_urlsafe(48)
    )
if not EXPORT_SIGNING_KEY:
    EXPORT_SIGNING_KEY = _key_of_this_checkout("export-signing.key", _ed25519_private_key)
