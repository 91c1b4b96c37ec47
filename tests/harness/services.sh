#!/usr/bin/env bash
# services.sh — throwaway Redis and PostgreSQL servers for freshet's tests.
#
# Everything lives in one service dir D: redis/ and redis.{pid,log,port},
# pg/ (the cluster), pg.log, pg.port, sock/ (pg's unix socket), and env, a
# shell-sourceable file with the FRESHET_TEST_* variables tests read.  Ports
# are picked free (build/tests/harness/freeport, else at random) and a start
# that finds its port taken is retried on another.  As root, the servers run
# as `nobody` (PostgreSQL refuses root).  Usually run via with-services.sh.
#
#   services.sh start D | stop D                  both servers; stop removes D
#   services.sh {start,stop,restart}-{redis,pg} D same port, pg keeps its data
#   services.sh flush-redis D | createdb D NAME   createdb prints the new URL
# D defaults to $FRESHET_TEST_DIR.  FRESHET_TEST_FSYNC=on: durable pg (bench).
# FRESHET_TEST_FREEPORT / FRESHET_PG_BIN override the port picker / pg bindir.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TIMEOUT=30

die() { echo "services.sh: $*" >&2; exit 1; }

pg_bindir() {
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [ -x "$d/pg_ctl" ] || d=$(dirname "$(command -v pg_ctl || echo /nonexistent/x)")
    echo "$d"
}
PGBIN=${FRESHET_PG_BIN:-$(pg_bindir)}

# Print a port that is free now: the freeport helper, else random 20000-60000.
pick_port() {
    local fp p list=("$ROOT/build/tests/harness/freeport" "$ROOT/build-san/tests/harness/freeport")
    [ -n "${FRESHET_TEST_FREEPORT+set}" ] && list=("$FRESHET_TEST_FREEPORT")
    for fp in "${list[@]}"; do
        if [ -x "$fp" ] && p=$("$fp") && [ -n "$p" ]; then
            echo "$p"; return
        fi
    done
    echo $(( 20000 + (RANDOM * 32768 + RANDOM) % 40001 ))
}

# Run a server-side command; as root, as nobody (from D: root's cwd may be closed to it).
as_svc() {
    if [ "$(id -u)" != 0 ]; then "$@"; return; fi
    (cd "$D" && exec setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- "$@")
}

own() { if [ "$(id -u)" = 0 ]; then chown -R nobody "$@"; fi; }

# Bytes in a log so far, and what was written after such a mark.
mark() { if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi; }
since() { tail -c "+$(( $2 + 1 ))" "$1" 2>/dev/null; }
log_tail() { echo "--- last lines of $1:" >&2; tail -n 20 "$1" >&2 2>/dev/null; }

# A zombie counts as gone (it is dead; PID 1 may be slow to reap it).
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }

# Wait up to $2 tenths of a second for pid $1 to be gone.
gone_within() {
    local i=0
    while alive "$1"; do
        [ "$i" -ge "$2" ] && return 1
        sleep 0.1; i=$((i + 1))
    done
}

# TERM a pid (if it is still the named program), then KILL; wait until gone.
kill_wait() {
    [ "$(ps -o comm= -p "$1" 2>/dev/null)" = "$2" ] || return 0
    kill -TERM "$1" 2>/dev/null
    gone_within "$1" 100 || { kill -KILL "$1" 2>/dev/null; gone_within "$1" 50; }
}

# Start a server ($1 = redis|pg) unless it runs.  The first start picks ports
# until one is not taken, later ones reuse D/$1.port.  start_$1 PORT returns 2
# when the port was taken.
launch() {
    local pf="$D/$1.port" port rc i
    if [ -s "$pf" ]; then
        port=$(cat "$pf"); "start_$1" "$port"; rc=$?
        [ "$rc" = 2 ] && echo "services.sh: $1 port $port is taken" >&2
        return "$rc"
    fi
    for i in 1 2 3 4 5; do
        port=$(pick_port)
        "start_$1" "$port"; rc=$?
        if [ "$rc" = 0 ]; then echo "$port" > "$pf"; return 0; fi
        [ "$rc" = 2 ] || return 1
        echo "services.sh: $1 port $port was taken (try $i), trying another" >&2
    done
    return 1
}

start_redis() {
    local port=$1 log="$D/redis.log" m pid i
    alive "$(cat "$D/redis.pid" 2>/dev/null)" && return 0
    mkdir -p "$D/redis" && own "$D/redis"
    rm -f "$D/redis.pid"
    m=$(mark "$log")
    as_svc redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --maxmemory-policy noeviction --dir "$D/redis" --daemonize yes \
        --pidfile "$D/redis.pid" --logfile "$log" || return 1
    for ((i = 0; i < TIMEOUT * 10; i++)); do
        since "$log" "$m" | grep -q 'Address already in use' && return 2
        # Answering is not enough: it must be our redis, the one in the pid file.
        pid=$(cat "$D/redis.pid" 2>/dev/null) && [ -n "$pid" ] &&
            redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null | tr -d '\r' |
            grep -qx "process_id:$pid" && return 0
        sleep 0.1
    done
    echo "services.sh: redis-server did not answer on 127.0.0.1:$port within ${TIMEOUT}s" >&2
    log_tail "$log"; return 1
}

stop_redis() {
    local pid
    pid=$(cat "$D/redis.pid" 2>/dev/null) || return 0
    kill_wait "$pid" redis-server   # with --save '' a TERMed redis saves nothing
    rm -f "$D/redis.pid"
}

init_pg() {
    local loc=C fsync=off
    [ -f "$D/pg/PG_VERSION" ] && return 0
    [ -x "$PGBIN/initdb" ] || { echo "services.sh: no PostgreSQL in '$PGBIN'" >&2; return 1; }
    locale -a 2>/dev/null | grep -qix 'c.utf-\?8' && loc=C.UTF-8
    [ "${FRESHET_TEST_FSYNC:-off}" = on ] && fsync=on
    mkdir -p "$D/sock" && own "$D/sock"
    as_svc "$PGBIN/initdb" -D "$D/pg" -U freshet --auth=trust -E UTF8 --locale="$loc" \
        --no-sync > "$D/initdb.log" 2>&1 || { echo "services.sh: initdb failed" >&2; log_tail "$D/initdb.log"; return 1; }
    cat >> "$D/pg/postgresql.conf" <<EOF
# freshet test harness
listen_addresses = '127.0.0.1'
unix_socket_directories = '$D/sock'
max_connections = 200
fsync = $fsync
synchronous_commit = $fsync
full_page_writes = $fsync
EOF
}

start_pg() {
    local port=$1 log="$D/pg.log" m
    as_svc "$PGBIN/pg_ctl" -D "$D/pg" status > /dev/null 2>&1 && return 0
    m=$(mark "$log")
    as_svc "$PGBIN/pg_ctl" -D "$D/pg" -l "$log" -w -t "$TIMEOUT" -s -o "-p $port" start \
        > /dev/null 2>&1 && "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U freshet -d postgres && return 0
    since "$log" "$m" | grep -q 'Address already in use' && { stop_pg; return 2; }
    echo "services.sh: postgres did not start on 127.0.0.1:$port within ${TIMEOUT}s" >&2
    log_tail "$log"; return 1
}

stop_pg() {
    local pid
    pid=$(head -n 1 "$D/pg/postmaster.pid" 2>/dev/null) || return 0
    as_svc "$PGBIN/pg_ctl" -D "$D/pg" -m fast -w -t 20 -s stop > /dev/null 2>&1 ||
        kill_wait "$pid" postgres
    gone_within "$pid" 100
}

# Last resort (Linux): KILL any server still running inside D (servers chdir there).
sweep() {
    local p cwd comm
    for p in /proc/[0-9]*; do
        comm=$(cat "$p/comm" 2>/dev/null) || continue
        case $comm in redis-server | postgres) ;; *) continue ;; esac
        cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
        case $cwd in "$D" | "$D"/*)
            echo "services.sh: killing leftover $comm, pid ${p#/proc/}" >&2
            kill -KILL "${p#/proc/}" 2>/dev/null ;;
        esac
    done
}

port_of() { cat "$D/$1.port" 2>/dev/null || die "no $1 port in $D (not started?)"; }

write_env() {
    local r p
    r=$(port_of redis) p=$(port_of pg)
    cat > "$D/env.tmp" <<EOF
FRESHET_TEST_DIR='$D'
FRESHET_TEST_REDIS_PORT=$r
FRESHET_TEST_PG_PORT=$p
FRESHET_TEST_REDIS_URL='redis://127.0.0.1:$r/0'
FRESHET_TEST_DATABASE_URL='postgresql://freshet@127.0.0.1:$p/freshet'
FRESHET_TEST_SERVICES='$HERE/services.sh'
EOF
    mv "$D/env.tmp" "$D/env"
}

cmd_start() {
    # If start fails or is interrupted, leave nothing running (D stays, with its logs).
    trap 'stop_redis; stop_pg; sweep; exit 130' INT TERM HUP
    mkdir -p "$D" || die "cannot create $D"
    own "$D"
    as_svc touch "$D/.svc" 2>/dev/null ||
        die "$D is not reachable by nobody; use a dir under /tmp (TMPDIR)"
    [ ${#D} -le 80 ] || die "$D is too long for a unix socket path; use a shorter TMPDIR"
    if launch redis && init_pg && launch pg &&
        { [ -f "$D/pg.created" ] || { "$PGBIN/createdb" -h 127.0.0.1 -p "$(port_of pg)" \
              -U freshet freshet && touch "$D/pg.created"; }; } && write_env; then
        trap - INT TERM HUP; return 0
    fi
    stop_redis; stop_pg; sweep; die "start failed; logs are in $D"
}

cmd_stop() {
    [ -d "$D" ] || return 0
    stop_redis; stop_pg; sweep
    rm -rf "$D"
}

usage() { sed -n '2,/^set -u/{/^# shellcheck/d; /^set/d; s/^# \{0,1\}//; p; }' "$0" >&2; exit 2; }

[ $# -ge 1 ] || usage
cmd=$1; shift
D=${1:-${FRESHET_TEST_DIR:-}}
[ -n "$D" ] || usage
case $D in /*) ;; *) D=$PWD/$D ;; esac
case $D in *[[:space:]\'\"\\]*) die "service dir must not contain spaces or quotes: $D" ;; esac

case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    start-redis) launch redis ;;
    stop-redis) stop_redis ;;
    restart-redis) stop_redis && launch redis ;;
    start-pg) launch pg ;;
    stop-pg) stop_pg ;;
    restart-pg) stop_pg && launch pg ;;
    flush-redis) redis-cli -h 127.0.0.1 -p "$(port_of redis)" flushall > /dev/null ;;
    createdb)
        [ $# -ge 2 ] || usage
        "$PGBIN/createdb" -h 127.0.0.1 -p "$(port_of pg)" -U freshet "$2" &&
            echo "postgresql://freshet@127.0.0.1:$(port_of pg)/$2" ;;
    *) usage ;;
esac
