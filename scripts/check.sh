#!/usr/bin/env bash
# Runs the project's checks in order, stopping at the first failure:
#   1. ruff lint and formatting
#   2. Django deployment checks against the production settings
#   3. no model changes without migrations
#   4. the pytest suite (extra arguments are passed on to pytest)
# Expects the virtualenv in .venv and DATABASE_URL / REDIS_URL / CELERY_* from
# scripts/with-test-services.sh.
set -euo pipefail

cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "ruff check"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

step "manage.py check --deploy (production settings)"
# A fresh random secret for this run only (50 chars, as the deploy check requires).
test_secret=$(.venv/bin/python -c 'import secrets, string
chars = string.ascii_letters + string.digits + "-_+=.,"
print("".join(secrets.choice(chars) for _ in range(50)))')
# The production settings refuse to load without a broker: the one from with-test-services.sh
# (the check does not connect to it).
DJANGO_SETTINGS_MODULE=trialsite.settings.production \
SECRET_KEY="$test_secret" \
AUDIT_CHAIN_KEY="check:$test_secret" \
EXPORT_PSEUDONYM_KEY="$test_secret" \
EXPORT_SIGNING_KEY="$(.venv/bin/python -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')" \
CELERY_BROKER_URL="${CELERY_BROKER_URL:?run this under scripts/with-test-services.sh}" \
ALLOWED_HOSTS=trialsite.test \
DEBUG=false \
    .venv/bin/python manage.py check --deploy --fail-level WARNING

step "makemigrations --check (no missing migrations)"
DJANGO_SETTINGS_MODULE=trialsite.settings.test \
    .venv/bin/python manage.py makemigrations --check --dry-run

step "pytest $*"
set +e
.venv/bin/pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "check: pytest collected no tests (exit code 5); treating this as a failure" >&2
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "check: pytest failed (exit code $rc)" >&2
    exit "$rc"
fi

step "all checks passed"
