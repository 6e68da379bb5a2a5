#!/usr/bin/env bash
# Usage: scripts/with-test-services.sh CMD [ARGS...]
#
# Starts a throw-away PostgreSQL cluster and a throw-away Redis server on free
# loopback ports inside a temporary directory, exports DATABASE_URL, REDIS_URL,
# CELERY_BROKER_URL and CELERY_RESULT_BACKEND pointing at them, runs CMD, then
# always stops both servers and deletes the temporary directory.
# Exits with CMD's exit status (or non-zero if the services fail to start).
set -euo pipefail

log() { echo "with-test-services: $*" >&2; }

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

# Locate PostgreSQL binaries: prefer version 15, else the newest installed.
if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
    pg_bin=/usr/lib/postgresql/15/bin
else
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "${pg_bin:-}" ] || [ ! -x "$pg_bin/postgres" ]; then
    log "PostgreSQL server binaries not found (run scripts/install-system-deps.sh)"
    exit 1
fi
for tool in redis-server redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool not found (run scripts/install-system-deps.sh)"; exit 1; }
done

# PostgreSQL refuses to run as root: use the postgres system user in that case.
if [ "$(id -u)" -eq 0 ]; then
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
    as_pg() { (cd / && "$@"); }
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trialsite-test-services.XXXXXX")
pg_dir="$tmp/pg"
pg_data="$pg_dir/data"
redis_dir="$tmp/redis"
mkdir -p "$pg_dir" "$redis_dir"
pg_started=0
redis_started=0

cleanup() {
    local rc=$?
    set +e
    if [ "$pg_started" -eq 1 ]; then
        as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null
    fi
    if [ "$redis_started" -eq 1 ]; then
        redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1
        # Fall back to the pid file if Redis did not go away.
        if [ -f "$redis_dir/redis.pid" ]; then
            pid=$(cat "$redis_dir/redis.pid")
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill "$pid"
        fi
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
    chmod 711 "$tmp"
    chown postgres: "$pg_dir"
fi

# Two distinct free loopback ports (both sockets held open while choosing).
read -r pg_port redis_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')

# --- PostgreSQL -------------------------------------------------------------
log "initialising PostgreSQL cluster ($pg_bin) in $pg_data"
as_pg "$pg_bin/initdb" -D "$pg_data" -U trialsite --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; exit 1; }

pg_opts="-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories='$pg_dir'"
pg_opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
pg_started=1
if ! as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_dir/postgres.log" -o "$pg_opts" -w -t 60 start \
        >/dev/null; then
    cat "$pg_dir/postgres.log" >&2 || true
    log "PostgreSQL failed to start"
    exit 1
fi

# --- Redis ------------------------------------------------------------------
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --daemonize yes --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" \
    --logfile "$redis_dir/redis.log"
redis_started=1

# --- Wait until both answer ------------------------------------------------
ready=0
for _ in $(seq 150); do
    if "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U trialsite \
        && [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]; then
        ready=1
        break
    fi
    sleep 0.2
done
if [ "$ready" -ne 1 ]; then
    cat "$pg_dir/postgres.log" "$redis_dir/redis.log" >&2 || true
    log "services did not become ready in time"
    exit 1
fi

"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U trialsite trialsite

export DATABASE_URL="postgres://trialsite@127.0.0.1:$pg_port/trialsite"
export REDIS_URL="redis://127.0.0.1:$redis_port/0"
export CELERY_BROKER_URL="redis://127.0.0.1:$redis_port/1"
export CELERY_RESULT_BACKEND="redis://127.0.0.1:$redis_port/2"
log "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"

set +e
"$@"
rc=$?
set -e
exit "$rc"
