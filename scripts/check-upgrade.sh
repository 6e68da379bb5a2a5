#!/usr/bin/env bash
# Usage: scripts/check-upgrade.sh BASE_REV
#
# The audit trail must verify after an upgrade: seeds the demo study into a fresh SQLite
# database with the code of BASE_REV and takes the chain's head there (`verify_audit` of the old
# code), then migrates that database with the code of this working tree and runs its
# `verify_audit --expect-head`: the chain must verify, and still hold the old head unchanged.
# Exits non-zero if a step fails. Uses this tree's .venv for both (run `make install` first);
# BASE_REV must need the same packages.
set -euo pipefail

cd "$(dirname "$0")/.."
if [ $# -ne 1 ]; then
    echo "usage: $0 BASE_REV   (for example the commit before a change: main~3)" >&2
    exit 2
fi
base=$1
python=$PWD/.venv/bin/python
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trialsite-upgrade.XXXXXX")
cleanup() {
    git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true
    git worktree prune
    rm -rf "$tmp"
}
trap cleanup EXIT

git worktree add --quiet --detach "$tmp/old" "$base"
# A throw-away database, no anchors of a real deployment, tasks run in the process.
export DATABASE_URL="sqlite:///$tmp/db.sqlite3" DJANGO_SETTINGS_MODULE=trialsite.settings.local
export AUDIT_ANCHOR_FILE="" CELERY_BROKER_URL="" CELERY_RESULT_BACKEND=""
# One audit key for both trees (else each checkout makes its own, and the new one cannot verify
# what the old one keyed).
AUDIT_CHAIN_KEY="upgrade:$("$python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export AUDIT_CHAIN_KEY
old() { (cd "$tmp/old" && PYTHONPATH="$tmp/old" "$python" -P manage.py "$@"); }

echo "==> seeding with $(git rev-parse --short "$base")"
old migrate --noinput >/dev/null
old seed_demo >/dev/null
head=$(old verify_audit | sed -n 's/.*Head: \([0-9]*:[0-9a-f]*\).*/\1/p')
[ -n "$head" ] || { echo "check-upgrade: the old verify_audit printed no head" >&2; exit 1; }
echo "    head before the upgrade: $head"
echo "==> migrating with the working tree"
"$python" manage.py migrate --noinput
echo "==> verify_audit --expect-head $head"
# The old release's entries are not keyed: the chain is keyed from the head taken before.
AUDIT_CHAIN_LEGACY_HEAD="$head" "$python" manage.py verify_audit --expect-head "$head"
