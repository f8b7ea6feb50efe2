#!/usr/bin/env bash
# Prints (one line on stdout) a PostgreSQL URL on which the test suites may create schemas.
#
#  1. $SWITCHBOARD_TEST_PG_URL if set;
#  2. else a server already on 127.0.0.1:5432 that lets user postgres (or root) in without a
#     password; database "test" is created there if missing;
#  3. else a throwaway cluster: PostgreSQL is installed if missing, initialised with trust auth
#     in a temp dir, started on a free port (owned by the postgres user, as the server refuses to
#     run as root), with database "test". Stop it with the stop.sh the script leaves in that dir
#     (its path is logged).
#
# SWITCHBOARD_PG_FORCE_THROWAWAY=1 skips step 2. Progress goes to stderr.
set -euo pipefail

log() { echo "ensure-postgres: $*" >&2; }

if [[ -n "${SWITCHBOARD_TEST_PG_URL:-}" ]]; then
    echo "$SWITCHBOARD_TEST_PG_URL"
    exit 0
fi

export PGCONNECT_TIMEOUT=3

# Usage: ensure_test_db HOST PORT USER; fails if USER cannot log in without a password.
ensure_test_db() {
    local host=$1 port=$2 user=$3
    psql -w -h "$host" -p "$port" -U "$user" -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1 || return 1
    if [[ "$(psql -w -h "$host" -p "$port" -U "$user" -d postgres -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]]; then
        log "creating database test on $host:$port"
        psql -w -h "$host" -p "$port" -U "$user" -d postgres -qc 'CREATE DATABASE test' >&2
    fi
}

if [[ -z "${SWITCHBOARD_PG_FORCE_THROWAWAY:-}" ]] && command -v pg_isready >/dev/null \
    && pg_isready -q -h 127.0.0.1 -p 5432; then
    for user in postgres root; do
        if ensure_test_db 127.0.0.1 5432 "$user"; then
            log "using the server on 127.0.0.1:5432 as $user"
            echo "postgres://$user@127.0.0.1:5432/test"
            exit 0
        fi
    done
    log "a server answers on 5432 but refuses passwordless login; starting a throwaway cluster"
fi

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

bindir=$(pg_bindir)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
    log "installing PostgreSQL"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q postgresql >&2; then
        apt-get update -q >&2
        apt-get install -y -q postgresql >&2
    fi
    bindir=$(pg_bindir)
fi

# The server refuses to run as root; as any other user it runs as that user.
if [[ $EUID -eq 0 ]]; then
    as_owner=(runuser -u postgres --)
else
    as_owner=()
fi

port=54329
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-pg.XXXXXX")
if [[ $EUID -eq 0 ]]; then
    chown postgres: "$dir"
fi
log "initialising a throwaway cluster in $dir (port $port)"
"${as_owner[@]}" "$bindir/initdb" -A trust -U postgres -E UTF8 -D "$dir/data" >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off: the data is thrown away, and tests should not wait on the disk.
"${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }

stop_cmd="${as_owner[*]} $bindir/pg_ctl -D $dir/data -m fast stop"
printf '#!/bin/sh\n# Stops the throwaway test cluster and deletes it.\n%s && rm -rf %s\n' \
    "$stop_cmd" "$dir" >"$dir/stop.sh"
chmod +x "$dir/stop.sh"

ensure_test_db 127.0.0.1 "$port" postgres || { log "cannot log in to the new cluster"; exit 1; }
log "throwaway cluster ready; stop it with $dir/stop.sh"
echo "postgres://postgres@127.0.0.1:$port/test"
