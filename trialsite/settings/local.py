"""`make run`: SQLite under var/ unless DATABASE_URL says otherwise.

DEBUG stays off unless asked for (DEBUG=true in the environment or .env), so that people trying
the app meet the same error pages as in production, never a stack trace.
"""

import secrets

from .base import *  # noqa: F403
from .base import AUDIT_CHAIN_KEY, BASE_DIR, env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="local-development-key-not-for-production")

# Static files straight from the source folders, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

(BASE_DIR / "var").mkdir(exist_ok=True)

# The audit chain's key: from the environment, or one made for this checkout on first run and
# kept under var/ (ignored by git), outside the database.
if not AUDIT_CHAIN_KEY:
    _key_file = BASE_DIR / "var" / "audit-chain.key"
    if not _key_file.exists():
        _key_file.write_text(f"local:{secrets.token_urlsafe(48)}\n")
        _key_file.chmod(0o600)
    AUDIT_CHAIN_KEY = _key_file.read_text().strip()
