#!/bin/sh
# Entry point of the test PostgreSQL image. On the first start (empty $PGDATA) it runs
# initdb with POSTGRES_USER as the superuser and POSTGRES_PASSWORD as its password,
# creates POSTGRES_DB, and allows scram-sha-256 logins from any address; then it runs
# postgres as the postgres user, listening on all addresses. Any other command runs as given.
set -eu
if [ "${1:-}" != postgres ]; then exec "$@"; fi
shift
: "${PGDATA:=/var/lib/postgresql/data}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres-entrypoint: POSTGRES_PASSWORD is not set" >&2
    exit 1
fi
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=postgres --regid=postgres --init-groups "$@"
    else
        "$@"
    fi
}
if [ "$(id -u)" = 0 ]; then
    install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile" 2>/dev/null || true
    as_pg initdb --username="$user" --pwfile="$pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA"
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
        # Single-user mode: no server is started, so nobody can connect half-way.
        echo "CREATE DATABASE \"$db\" OWNER \"$user\"" |
            as_pg postgres --single -D "$PGDATA" postgres > /dev/null
    fi
    echo "postgres-entrypoint: initialized $PGDATA (role $user, database $db)"
fi
exec_pg() {
    if [ "$(id -u)" = 0 ]; then
        exec setpriv --reuid=postgres --regid=postgres --init-groups postgres "$@"
    fi
    exec postgres "$@"
}
exec_pg -D "$PGDATA" -c listen_addresses='*' "$@"
