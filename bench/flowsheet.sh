#!/usr/bin/env bash
# Usage: scripts/with-test-services.sh bash bench/flowsheet.sh   (or: make bench)
#
# Flowsheet benchmark (or, with BENCH_QUERIES, the query worklist's; with BENCH_AE_QUEUE, the
# review queue's): migrates the throw-away PostgreSQL, seeds a trial-sized study through the
# services (manage.py seed_trial), serves the app with gunicorn on a free loopback port under the
# production settings (plain HTTP allowed, see bench/README.md), runs bench/run.py against it and
# stops gunicorn. Exits with the driver's status.
#
# Environment:
#   BENCH_SEED_ARGS  extra arguments for seed_trial, e.g. "--participants-per-site 100"
#   BENCH_RUN_ARGS   extra arguments for bench/run.py, e.g. "--requests 2000"
#   BENCH_WORKERS    gunicorn worker processes (default 4)
#   BENCH_QUERIES    the monitor's query worklist instead (make bench-queries): this many queries
#                    raised by seed_queries after seed_trial, and bench/run.py --worklist
#   BENCH_QUERY_ARGS extra arguments for seed_queries
#   BENCH_AE_QUEUE   the monitor's review queue instead (make bench-ae-queue): this many adverse
#                    events inserted by seed_adverse_events after seed_trial (in bulk: not in the
#                    audit trail), and bench/run.py --ae-queue
#   BENCH_PROFILE    set: profile the scenarios in-process (bench/profile_requests.py: their
#                    queries and cProfile) instead of serving and measuring them
#                    (make bench-profile; BENCH_PROFILE_ARGS for the profiler)
#
# Bare Django answering "hello" (bench/hello.py) is served beside the app by the same gunicorn
# settings and measured first by the same clients: every figure is also given as a ratio to it.
#   BENCH_SCALE      the list pages instead (make bench-scale), at "trial" (seed_trial and 5,000
#                    adverse events) or "sponsor" scale (seed_scale, in bulk: not in the audit
#                    trail), and bench/run.py --pages; the figures in bench/results/scale-<it>.json
set -euo pipefail

cd "$(dirname "$0")/.."
: "${DATABASE_URL:?run this under scripts/with-test-services.sh (it needs DATABASE_URL)}"

py=.venv/bin/python
results=bench/results
mkdir -p "$results"
rm -f "$results"/*access.log "$results"/*gunicorn.log
workers=${BENCH_WORKERS:-4}

# Production settings, as the Docker image runs them, with the HTTPS-only switches off: the
# benchmark talks plain HTTP on loopback, where a TLS-terminating proxy would sit in production.
export DJANGO_SETTINGS_MODULE=trialsite.settings.production
SECRET_KEY=$($py -c 'import secrets; print(secrets.token_urlsafe(48))')
export SECRET_KEY
# The audit trail's HMAC key, required in production: a throw-away one for the throw-away database.
AUDIT_CHAIN_KEY=bench:$($py -c 'import secrets; print(secrets.token_urlsafe(48))')
export AUDIT_CHAIN_KEY
# The exports' keys, required in production too: throw-away ones.
EXPORT_PSEUDONYM_KEY=$($py -c 'import secrets; print(secrets.token_urlsafe(48))')
EXPORT_SIGNING_KEY=$($py -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')
export EXPORT_PSEUDONYM_KEY EXPORT_SIGNING_KEY
export ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
# Alert emails (readings over a threshold) go nowhere; CELERY_BROKER_URL from
# with-test-services.sh makes the web process queue them in Redis, as in production.
export EMAIL_URL=dummymail://
# Sessions read from the throw-away Redis, as docker-compose.yml has them.
CACHE_URL="${REDIS_URL%/*}/3"
export CACHE_URL
export LOG_LEVEL=WARNING

echo "bench: $(nproc) CPUs, $(date -u "+%Y-%m-%d %H:%M UTC"), gunicorn workers: $workers, load average: $(cut -d" " -f1-3 /proc/loadavg)"
$py manage.py migrate --noinput -v 0
$py manage.py collectstatic --noinput -v 0
json="$results/latest.json"
run_args=()
if [ "${BENCH_SCALE:-}" = sponsor ]; then
    # shellcheck disable=SC2086 # word splitting of the extra arguments is wanted
    $py manage.py seed_scale --manifest "$results/manifest.json" ${BENCH_SEED_ARGS:-}
    run_args=(--pages)
    json="$results/scale-sponsor.json"
else
    # shellcheck disable=SC2086 # word splitting of the extra arguments is wanted
    $py manage.py seed_trial --manifest "$results/manifest.json" --processes "$(nproc)" \
        ${BENCH_SEED_ARGS:-}
fi
if [ "${BENCH_SCALE:-}" = trial ]; then
    $py manage.py seed_adverse_events --manifest "$results/manifest.json" --adverse-events 5000
    run_args=(--pages)
    json="$results/scale-trial.json"
fi
if [ -n "${BENCH_SCALE:-}" ]; then
    # The plans of the pages' slowest queries, at this scale (bench/README.md quotes them).
    $py manage.py explain_pages --manifest "$results/manifest.json" \
        > "$results/explain-$BENCH_SCALE.txt"
fi
if [ -n "${BENCH_QUERIES:-}" ]; then
    # shellcheck disable=SC2086
    $py manage.py seed_queries --manifest "$results/manifest.json" --processes "$(nproc)" \
        --queries "$BENCH_QUERIES" ${BENCH_QUERY_ARGS:-}
    run_args=(--worklist)
fi
if [ -n "${BENCH_AE_QUEUE:-}" ]; then
    $py manage.py seed_adverse_events --manifest "$results/manifest.json" \
        --adverse-events "$BENCH_AE_QUEUE"
    run_args=(--ae-queue)
fi

if [ -n "${BENCH_PROFILE:-}" ]; then
    exec $py bench/profile_requests.py --manifest "$results/manifest.json" ${BENCH_PROFILE_ARGS:-}
fi

read -r port hello_port < <($py -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')
.venv/bin/gunicorn trialsite.wsgi:application --bind "127.0.0.1:$port" --workers "$workers" \
    --access-logfile "$results/access.log" --error-logfile "$results/gunicorn.log" &
gunicorn_pid=$!
# The baseline: the same gunicorn settings, bare Django (its access log kept as well).
.venv/bin/gunicorn bench.hello:application --bind "127.0.0.1:$hello_port" --workers "$workers" \
    --access-logfile "$results/hello-access.log" --error-logfile "$results/hello-gunicorn.log" &
hello_pid=$!
stop_gunicorn() {
    kill -TERM "$gunicorn_pid" "$hello_pid" 2>/dev/null || true
    wait "$gunicorn_pid" "$hello_pid" 2>/dev/null || true
}
trap stop_gunicorn EXIT

# Wait until both answer (GET /healthz: database and broker; the baseline's "hello").
$py - "$port" "$hello_port" <<'EOF'
import sys, time, urllib.request
for url in (f"http://127.0.0.1:{sys.argv[1]}/healthz", f"http://127.0.0.1:{sys.argv[2]}/"):
    for _ in range(150):
        try:
            with urllib.request.urlopen(url, timeout=2):
                break
        except OSError:
            time.sleep(0.2)
    else:
        sys.exit(f"bench: gunicorn did not answer on {url}; see bench/results/*gunicorn.log")
EOF

set +e
# shellcheck disable=SC2086
$py bench/run.py --base-url "http://127.0.0.1:$port" --manifest "$results/manifest.json" \
    --hello-url "http://127.0.0.1:$hello_port" \
    --json "$json" "${run_args[@]}" ${BENCH_RUN_ARGS:-}
rc=$?
set -e
exit "$rc"
