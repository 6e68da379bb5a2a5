"""Settings shared by every environment. The environment is read here, once."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "csp",
    "axes",
    "auditlog",
    "audit",
    "accounts",
    "participants",
    "signatures",
    "records",
    "screening",
    "sessions_app",
    "safety",
    "queries",
    "casebooks",
    "exports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.SiteTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PrivatePagesMiddleware",
    "audit.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
    "participants.middleware.CasebookLockedMiddleware",
    # Last: the answers it gives itself (a replayed redirect, the pages of a form still being
    # saved or too large) still pass the headers above (CSP, no-store, framing).
    "records.submissions.OneSubmissionMiddleware",
]

ROOT_URLCONF = "trialsite.urls"
WSGI_APPLICATION = "trialsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.user_roles",
                "sessions_app.context_processors.open_alerts",
                "queries.context_processors.queries_waiting",
            ],
        },
    },
]

# Django's form renderer, with its input and text area templates written in Python (same markup).
FORM_RENDERER = "records.renderers.FormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a web process keeps its connection for this many seconds rather than
# opening one for every request (on PostgreSQL about a fifth of a page's time, bench/README.md);
# checked before it is reused after a request, so a restarted database costs no failed request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement a connection has run 5 times prepared:
    # PostgreSQL then plans it once, not on every request (planning a flowsheet's session, a
    # join of nine tables, took longer than running it; bench/README.md, "Round 4"). Off
    # (DATABASE_PREPARED_STATEMENTS=false) behind a pooler that cannot keep prepared statements
    # per client, such as PgBouncer in transaction mode before 1.21.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": True,
            "prepare_threshold": 5
            if env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
            else None,
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two requests at once (a double click) on `make run`'s SQLite: a transaction takes the write
    # lock when it begins, so the second one waits for it instead of failing with "database is
    # locked"; readers go on while someone writes (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.RoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Content-Security-Policy: scripts, styles, fonts and images come from our own static files
# only; no inline script or style, nothing framed, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap's icons are data: images in its CSS
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Sessions: the cookie lives for a working day; inactivity ends the session sooner.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)
# With a cache every web process shares (CACHE_URL=redis://..., as docker-compose.yml sets), a
# request reads its session from the cache, and writes it to the cache and the database (logging
# out deletes both): one database query less per page. Without one, sessions stay in the
# database only: a cache of each process's own would keep serving a session another process
# has ended.
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {
    "default": env.cache_url_config(CACHE_URL)
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHE_URL
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "trialsite.views.csrf_failure"

# Lockout after repeated failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# A user is locked out from the address that failed. The address is the client's
# (audit/client.py): behind reverse proxies set TRUSTED_PROXY_COUNT, or every user shares the
# proxy's address and five wrong passwords lock the user out for everyone.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "audit.client.client_address"
# An address failing for many usernames in turn is refused too (accounts.views.LoginView): a
# clinic's staff behind one address mistype far less often.
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Re-entered passwords count too (accounts.passwords). Axes keeps the failed request's POST data
# with "password" masked: mask the flowsheet's prefixed password fields as well.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "attest-lead-password", "attest-co-password"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Audit trail.
AUDITLOG_LOGENTRY_MODEL = "audit.LogEntry"
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_MASK_CALLABLE = "audit.masking.redact"
AUDITLOG_DISABLE_REMOTE_ADDR = False
# Foreign keys are logged by their readable name, so history pages need no lookups.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
# Records whose audited values are confidential to the participant's site (app_label.model):
# only the record's own history page in the app shows them; the admin and every other listing
# of the audit trail show a notice instead.
AUDIT_CONFIDENTIAL_MODELS = ["sessions_app.integrationnote"]
# Records of who a participant is: the reasons given on them are shown to the participant's site
# only (the values never reach the audit trail at all).
AUDIT_IDENTITY_MODELS = ["participants.participantidentity"]
# Where the nightly check appends the head of the audit chain ("" to keep it in the log only).
# Put it on storage the database's users cannot write: it is what catches a rewritten chain.
AUDIT_ANCHOR_FILE = env.str("AUDIT_ANCHOR_FILE", default="")
# The secret key of the audit chain's HMAC ("<key id>:<secret>", audit/keys.py), from the
# environment only: it never enters the database. Retired keys still verify what they signed.
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="")
AUDIT_CHAIN_RETIRED_KEYS = env.list("AUDIT_CHAIN_RETIRED_KEYS", default=[])
# De-identified exports (exports app), from the environment only, like the audit key: the secret
# of the participants' pseudonyms and date shifts, and the Ed25519 key that signs each export's
# manifest (base64 of the raw 32-byte private key).
EXPORT_PSEUDONYM_KEY = env.str("EXPORT_PSEUDONYM_KEY", default="")
EXPORT_SIGNING_KEY = env.str("EXPORT_SIGNING_KEY", default="")
# Where the export task writes each package (export-<pk>.zip), and for how many days a package
# is kept for download; exports_expire deletes older ones daily.
EXPORT_ROOT = Path(env.str("EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports")))
EXPORT_KEEP_DAYS = env.int("EXPORT_KEEP_DAYS", default=7)
# A database from before the chain was keyed: the head verify_audit printed before the upgrade
# ("seq:hash"). Only entries up to it may be unkeyed; with it unset, none may.
AUDIT_CHAIN_LEGACY_HEAD = env.str("AUDIT_CHAIN_LEGACY_HEAD", default="")

# Celery: with no broker configured, or with CELERY_TASK_ALWAYS_EAGER=true, tasks run eagerly in
# the calling process. Production refuses to start without a broker unless eager is asked for.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task cannot stall the worker, nor be lost with it. A stuck task is stopped (soft limit: it may
# clean up, and the email tasks retry; hard limit: its process is killed); a task is acknowledged
# only once done, so one whose worker died is delivered again, by Redis once the visibility timeout
# has passed since it was delivered (the workers look for such messages every 10 seconds). A retry
# is delivered at once and waits in the worker, unacknowledged, until its time: its wait and its
# run together stay under the visibility timeout (CELERY_RETRY_BACKOFF_MAX), or Redis would
# deliver it a second time while it waits or runs.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RETRY_BACKOFF_MAX = max(1, CELERY_VISIBILITY_TIMEOUT - CELERY_TASK_TIME_LIMIT - 30)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "audit-chain-verify-nightly": {
        "task": "audit.tasks.audit_chain_verify",
        "schedule": 24 * 60 * 60,
    },
    "submissions-forget-daily": {
        "task": "records.tasks.submissions_forget",
        "schedule": 24 * 60 * 60,
    },
    # Each user's digest of the data queries waiting for them, once a day (in TIME_ZONE).
    "query-digests-daily": {
        "task": "queries.tasks.query_digests_send",
        "schedule": crontab(hour=env.int("QUERY_DIGEST_HOUR", default=6), minute=0),
    },
    # The site's reminder of a serious adverse event not submitted 18 hours after its awareness.
    "serious-ae-reminders": {
        "task": "safety.tasks.serious_reminders_send",
        "schedule": 15 * 60,
    },
    # Exports' packages older than EXPORT_KEEP_DAYS deleted.
    "exports-expire-daily": {
        "task": "exports.tasks.exports_expire",
        "schedule": 24 * 60 * 60,
    },
    # Running exports whose worker is gone recorded as failed.
    "exports-abandoned": {
        "task": "exports.tasks.exports_abandoned_record",
        "schedule": 10 * 60,
    },
    # The monitors' warnings of a SUSAR's report to the regulator due soon, then overdue.
    "susar-warnings-hourly": {
        "task": "safety.tasks.susar_warnings_send",
        "schedule": crontab(minute=5),
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A mail server that accepts the connection and never answers gives up after this (seconds);
# the task then retries.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="trialsite@localhost")
# The address staff open the app at, for links in emails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
