"""`make run`: SQLite under var/ unless DATABASE_URL says otherwise.

DEBUG stays off unless asked for (DEBUG=true in the environment or .env), so that people trying
the app meet the same error pages as in production, never a stack trace.
"""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="local-development-key-not-for-production")

# Static files straight from the source folders, without collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

(BASE_DIR / "var").mkdir(exist_ok=True)
