"""Production: every secret comes from the environment and nothing insecure is allowed."""

from django.core.exceptions import ImproperlyConfigured

from audit.keys import parse_key
from exports.signing import parse_signing_key

from .base import *  # noqa: F403
from .base import (
    AUDIT_CHAIN_KEY,
    AUDIT_CHAIN_RETIRED_KEYS,
    CELERY_BROKER_URL,
    EXPORT_PSEUDONYM_KEY,
    EXPORT_SIGNING_KEY,
    env,
)

SECRET_KEY = env.str("SECRET_KEY")  # no default: refuse to start without it
if env.bool("DEBUG", default=False):
    raise ImproperlyConfigured("DEBUG must be off in production.")
DEBUG = False
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# Without a broker every task (alert emails, the nightly audit check) would run inside the web
# request or not at all: refuse, unless running tasks eagerly is asked for on purpose.
if not CELERY_BROKER_URL and not env.bool("CELERY_TASK_ALWAYS_EAGER", default=False):
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be set in production (e.g. redis://redis:6379/0). To run tasks "
        "eagerly in the web process instead, set CELERY_TASK_ALWAYS_EAGER=true on purpose."
    )

# The audit chain's key: without it no entry can be written, nor the trail verified.
if not AUDIT_CHAIN_KEY:
    raise ImproperlyConfigured(
        "AUDIT_CHAIN_KEY must be set in production: the secret of the audit trail's HMAC, kept "
        "outside the database (see the README, Security)."
    )
for _key in (AUDIT_CHAIN_KEY, *AUDIT_CHAIN_RETIRED_KEYS):
    parse_key(_key)

# The exports' keys: the secret of the participants' pseudonyms and date shifts, and the key that
# signs each package. Without them no export can be written, so none may start with a weak one.
if len(EXPORT_PSEUDONYM_KEY) < 32:
    raise ImproperlyConfigured(
        "EXPORT_PSEUDONYM_KEY must be set in production: at least 32 characters, kept outside "
        "the database (see the README, Security)."
    )
if not EXPORT_SIGNING_KEY:
    raise ImproperlyConfigured("EXPORT_SIGNING_KEY must be set in production.")
parse_signing_key(EXPORT_SIGNING_KEY)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
