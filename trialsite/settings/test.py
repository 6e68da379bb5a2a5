"""Test settings: PostgreSQL from DATABASE_URL, fast password hashing."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
# A connection per request, as before: threads and processes the tests start (live servers, the
# Celery worker) keep no connection open while the test database is dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# One process: its own cache is shared by every request, so sessions are read from it as in
# production with CACHE_URL set.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SECRET_KEY = env.str("SECRET_KEY", default="test-key-not-for-production")
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Unit tests run tasks eagerly; the Celery integration test points a real worker at the
# test Redis itself (REDIS_URL / CELERY_BROKER_URL from the environment).
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
TEST_CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
TEST_CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="")
AXES_ENABLED = True
AUDIT_CHAIN_KEY = "test:audit-chain-key-of-the-test-suite-only-0123456789"
EXPORT_PSEUDONYM_KEY = "export-pseudonym-key-of-the-test-suite-only-0123456789"
# base64 of 32 bytes: the test suite's Ed25519 private key, never used elsewhere.
EXPORT_SIGNING_KEY = "dGVzdC1zdWl0ZS1leHBvcnQtc2lnbmluZy1rZXkhISE="
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
