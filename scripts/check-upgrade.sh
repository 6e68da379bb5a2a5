#!/usr/bin/env bash
# Usage: scripts/check-upgrade.sh [BASE_REV]   (default: HEAD~1)
#
# The audit trail must verify after an upgrade: seeds the demo study into a fresh SQLite
# database with the code of BASE_REV, migrates that database with the code of this working
# tree, then runs `verify_audit` on it and prints the upgraded site's counts. Exits non-zero
# if a step fails or the chain does not verify. Uses this tree's .venv for both (run
# `make install` first); BASE_REV must need the same packages.
set -euo pipefail

cd "$(dirname "$0")/.."
base=${1:-HEAD~1}
python=$PWD/.venv/bin/python
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trialsite-upgrade.XXXXXX")
cleanup() { git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

git worktree add --quiet --detach "$tmp/old" "$base"
export DATABASE_URL="sqlite:///$tmp/db.sqlite3" DJANGO_SETTINGS_MODULE=trialsite.settings.local
# The old code from its own folder (its manage.py puts it first on the import path).
echo "==> seeding at $(git rev-parse --short "$base")"
(cd "$tmp/old" && PYTHONPATH="$tmp/old" "$python" -P manage.py migrate --noinput >/dev/null \
    && PYTHONPATH="$tmp/old" "$python" -P manage.py seed_demo >/dev/null)
echo "==> migrating with the working tree"
"$python" manage.py migrate --noinput
echo "==> verify_audit"
"$python" manage.py verify_audit
