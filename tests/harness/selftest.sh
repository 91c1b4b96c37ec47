#!/usr/bin/env bash
# selftest.sh — check the test service harness itself (services.sh, with-services.sh).
#
# Runs with-services.sh around its own checks (--inner: servers answer, as
# configured, as nobody when root; restarts, createdb, flush), two runs at
# once (one on the freeport helper, one on random ports), a start whose first
# ports are taken, a failed start, and runs stopped by SIGTERM or by a Ctrl-C
# to the process group, before or after the servers are up.  After each run
# it checks that no server process of that run is left and its dir is gone.
# Prints one line per check, then "N passed, N failed"; exits 1 on a failure.
# shellcheck disable=SC2016 # single-quoted scripts are for the child shell to expand
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
WS=$HERE/with-services.sh
SVC=$HERE/services.sh

ok() { echo "ok   $1"; echo ok >> "$RESULTS"; }
bad() { echo "FAIL $1"; echo fail >> "$RESULTS"; }
is() { if [ $? = 0 ]; then ok "$1"; else bad "$1"; fi; }   # judges the previous command
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }
none_alive() { local p; for p in "$@"; do ! alive "$p" || return 1; done; }
rcli() { redis-cli -h 127.0.0.1 -p "$FRESHET_TEST_REDIS_PORT" "$@" 2>/dev/null; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "${2:-$DATABASE_URL}" -c "$1" 2>/dev/null; }
as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- "$@"; }
server_pids() {
    local pm
    cat "$1/redis.pid" 2>/dev/null
    pm=$(head -n 1 "$1/pg/postmaster.pid" 2>/dev/null) && echo "$pm" && pgrep -P "$pm"
}

inner() {   # runs inside with-services.sh; $1: file to record dir, ports and pids in
    local D=$FRESHET_TEST_DIR rp=$FRESHET_TEST_REDIS_PORT pp=$FRESHET_TEST_PG_PORT p old url
    [ "$DATABASE_URL" = "postgresql://freshet@127.0.0.1:$pp/freshet" ] &&
        [ "$REDIS_URL" = "redis://127.0.0.1:$rp/0" ] && [ -x "$FRESHET_TEST_SERVICES" ]
    is "env: URLs name the advertised ports, FRESHET_TEST_SERVICES is set"
    [ "$(rcli ping)" = PONG ] && [ "$(redis-cli -u "$REDIS_URL" ping)" = PONG ]
    is "redis answers PING on port $rp"
    [ "$(rcli config get maxmemory-policy | tail -n 1)" = noeviction ] &&
        [ "$(rcli config get appendonly | tail -n 1)" = no ]
    is "redis: maxmemory-policy noeviction, appendonly no"
    sql "create table t (x int); insert into t values (42)"
    is "psql creates a table in the freshet database (port $pp)"
    [ "$(sql 'show fsync')" = off ]; is "postgres runs with fsync off"
    if [ "$(id -u)" = 0 ]; then
        # A backend of the psql just above may still be exiting when pgrep lists it: a pid
        # gone by the time ps looks is no server process (it failed this check 1 run in 2
        # under load). Every other pid must be nobody's, the first two (redis, postmaster)
        # included.
        local bad='' seen=0 u
        for p in $(server_pids "$D"); do
            u=$(ps -o user= -p "$p" | tr -d ' ')
            [ -n "$u" ] && seen=$((seen + 1))
            [ -z "$u" ] || [ "$u" = nobody ] || bad="$bad $p:$u"
        done
        [ -z "$bad" ] && [ "$seen" -ge 2 ]
        is "as root, redis-server and every postgres process run as nobody${bad:+ (not:$bad)} ($seen)"
    fi
    old=$(cat "$D/redis.pid"); rcli set k v > /dev/null
    "$FRESHET_TEST_SERVICES" restart-redis   # D from $FRESHET_TEST_DIR
    [ "$(rcli ping)" = PONG ] && [ -z "$(rcli get k)" ] && [ "$(cat "$D/redis.pid")" != "$old" ]
    is "restart-redis: a new redis on the same port, data gone"
    "$FRESHET_TEST_SERVICES" restart-pg "$D" && [ "$(sql 'select x from t')" = 42 ]
    is "restart-pg: back on the same port, data kept"
    url=$("$FRESHET_TEST_SERVICES" createdb "$D" extra) &&
        [ "$url" = "postgresql://freshet@127.0.0.1:$pp/extra" ] && [ "$(sql 'select 1' "$url")" = 1 ]
    is "createdb makes a usable extra database"
    rcli set k v > /dev/null; "$FRESHET_TEST_SERVICES" flush-redis "$D" && [ "$(rcli dbsize)" = 0 ]
    is "flush-redis empties redis"
    "$SVC" stop-redis "$D" && ! rcli ping > /dev/null && "$SVC" start-redis "$D" && [ "$(rcli ping)" = PONG ]
    is "stop-redis / start-redis"
    "$SVC" stop-pg "$D" && ! sql 'select 1' > /dev/null && "$SVC" start-pg "$D" && [ "$(sql 'select x from t')" = 42 ]
    is "stop-pg / start-pg"
    { printf '%s %s %s ' "$D" "$rp" "$pp"; server_pids "$D" | tr '\n' ' '; echo; } > "$1"
}

retry_inner() {   # inside with-services.sh: a nested run whose first ports are ours (taken)
    local fp=$WORK/picker
    cat > "$fp" <<EOF
#!/bin/sh
n=\$((\$(cat $fp.n 2>/dev/null || echo 0) + 1)); echo \$n > $fp.n
case \$n in 1) echo $FRESHET_TEST_REDIS_PORT ;; 3) echo $FRESHET_TEST_PG_PORT ;; *) exec ${FRESHET_TEST_FREEPORT:-false} ;; esac
EOF
    chmod 755 "$fp"
    FRESHET_TEST_FREEPORT=$fp "$WS" sh -c 'echo $FRESHET_TEST_REDIS_PORT $FRESHET_TEST_PG_PORT' \
        > "$WORK/nested.ports" 2> "$WORK/nested.err"
    is "a start whose first ports are taken succeeds"
    [ "$(grep -c 'was taken' "$WORK/nested.err")" = 2 ] && [ "$(cat "$fp.n")" = 4 ] &&
        [ "$(cat "$WORK/nested.ports")" != "$FRESHET_TEST_REDIS_PORT $FRESHET_TEST_PG_PORT" ]
    is "... after retrying redis and postgres once each on other ports"
    [ "$(rcli info server | tr -d '\r' | grep process_id:)" = "process_id:$(cat "$FRESHET_TEST_DIR/redis.pid")" ] &&
        [ "$(sql 'select 1')" = 1 ]
    is "... and the run already on those ports is unharmed"
}

# After a run under TMPDIR=$1: its dir is gone and no process of it is alive.
clean_after() {
    local p left=
    for p in /proc/[0-9]*; do
        case "$(readlink "$p/cwd" 2>/dev/null) $(tr '\0' ' ' 2>/dev/null < "$p/cmdline")" in
            *"$1"/*) alive "${p#/proc/}" && left="$left ${p#/proc/}" ;;
        esac
    done
    [ -z "$left" ] && [ -z "$(ls -A "$1")" ]
    is "$2: no process left, service dir removed${left:+ (left:$left)}"
}

newtmp() { mkdir -p "$WORK/$1" && chmod 777 "$WORK/$1" && echo "$WORK/$1"; }

wait_file() { local i; for ((i = 0; i < 300; i++)); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

# Start CMD under with-services.sh in the background, signal it, check the teardown.
# $1 name, $2 signal, $3 seconds to wait first ("up": until the servers are up), $4 whole group?
signal_run() {
    local t rc pids=
    t=$(newtmp "$1")
    [ "$4" = group ] && set -m
    # A Ctrl-C reaches a terminal's job whatever this test inherited: run under nohup or
    # as a background job, SIGINT is ignored here, and a shell cannot trap a signal
    # ignored at its start (the run would wait for the sleep, then fail).
    TMPDIR=$t env --default-signal=INT,QUIT "$WS" \
        sh -c 'echo "$FRESHET_TEST_DIR" > "$0"; sleep 300 & echo $! >> "$0"; wait' "$WORK/$1.info" &
    local wpid=$!
    set +m
    if [ "$3" = up ]; then wait_file "$WORK/$1.info" && sleep 0.3
        pids="$(server_pids "$(head -n 1 "$WORK/$1.info")") $(sed -n 2p "$WORK/$1.info")"
    else sleep "$3"; fi
    if [ "$4" = group ]; then kill -"$2" -- -"$wpid"; else kill -"$2" "$wpid"; fi
    wait "$wpid"; rc=$?
    [ "$rc" -gt 128 ] && [ "$rc" -ne 137 ]
    is "$1: with-services.sh ends on SIG$2 (status $rc)"
    if [ "$3" = up ]; then
        # shellcheck disable=SC2086
        [ -n "$pids" ] && none_alive $pids; is "$1: the servers and the command's children are gone"
    fi
    clean_after "$t" "$1"
}

if [ "${1:-}" = --inner ]; then inner "$2"; exit 0; fi
if [ "${1:-}" = --retry ]; then retry_inner; exit 0; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/freshet-selftest.XXXXXX") || exit 1
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
export RESULTS=$WORK/results WORK
: > "$RESULTS"

# The freeport helper: the built one, else compile it here.
FP=$HERE/../../build/tests/harness/freeport
[ -x "$FP" ] || { FP=$WORK/freeport; cc -std=c11 -o "$FP" "$HERE/freeport.c" 2> /dev/null || FP=; }
[ -n "$FP" ] && [ "$("$FP")" -gt 0 ]; is "freeport prints a port"

echo "# two runs at once: A on freeport, B on random ports"
ta=$(newtmp a) tb=$(newtmp b)
TMPDIR=$ta FRESHET_TEST_FREEPORT=$FP "$WS" "$HERE/selftest.sh" --inner "$WORK/a.state" > "$WORK/a.out" 2>&1 & pa=$!
TMPDIR=$tb FRESHET_TEST_FREEPORT='' "$WS" "$HERE/selftest.sh" --inner "$WORK/b.state" > "$WORK/b.out" 2>&1 & pb=$!
wait "$pa"; ra=$?; wait "$pb"; rb=$?
sed 's/^/A: /' "$WORK/a.out"; sed 's/^/B: /' "$WORK/b.out"
[ "$ra" = 0 ] && [ "$rb" = 0 ]; is "both runs exit 0"
read -r _ a1 a2 apids < "$WORK/a.state"; read -r _ b1 b2 bpids < "$WORK/b.state"
[ "$(printf '%s\n' "$a1" "$a2" "$b1" "$b2" | sort -u | wc -l)" = 4 ]
is "the two runs got four different ports ($a1 $a2 / $b1 $b2)"
# shellcheck disable=SC2086
none_alive $apids $bpids && ! redis-cli -p "$a1" ping > /dev/null 2>&1 &&
    ! pg_isready -q -h 127.0.0.1 -p "$b2"
is "their servers are gone and the ports closed"
clean_after "$ta" "run A"; clean_after "$tb" "run B"

echo "# exit status, taken ports, failed start, stop twice"
t=$(newtmp c); TMPDIR=$t "$WS" sh -c 'exit 7'; [ $? = 7 ]; is "with-services.sh exits with the command's status"
clean_after "$t" "status run"
t=$(newtmp r); TMPDIR=$t FRESHET_TEST_FREEPORT=$FP "$WS" "$HERE/selftest.sh" --retry; clean_after "$t" "retry run"
t=$(newtmp f); TMPDIR=$t FRESHET_PG_BIN=/nonexistent "$WS" true 2> /dev/null; [ $? = 1 ]
is "with-services.sh exits 1 when the servers do not start"
clean_after "$t" "failed start (redis had started)"
d=$(newtmp s)/svc
s0=$EPOCHREALTIME; "$SVC" start "$d" && s1=$EPOCHREALTIME && "$SVC" stop "$d" && s2=$EPOCHREALTIME &&
    "$SVC" stop "$d" && [ ! -e "$d" ]
is "services.sh start, stop, stop again"
awk "BEGIN { printf \"# services.sh start took %.2fs, stop %.2fs\\n\", $s1 - $s0, $s2 - $s1 }"

echo "# signals"
signal_run term-up TERM up single
signal_run int-group-up INT up group
signal_run term-starting TERM 0.5 single
signal_run int-group-starting INT 0.7 group

if [ "$(id -u)" = 0 ]; then
    t=$(newtmp nobody)
    # A normal user runs the harness from their own checkout. This one may sit where
    # nobody cannot enter (root's home is mode 700): then it runs from a copy.
    ws=$WS fp=$FP
    if ! as_nobody test -r "$WS" -a -x "$HERE"; then
        mkdir -p "$WORK/harness" && cp "$HERE"/*.sh "$WORK/harness/" && chmod -R a+rX "$WORK/harness"
        ws=$WORK/harness/with-services.sh
        if [ -n "$FP" ]; then cp "$FP" "$WORK/harness/freeport" && fp=$WORK/harness/freeport; fi
        echo "# $HERE is not reachable by nobody: this check runs a copy from $WORK/harness"
    fi
    as_nobody env TMPDIR="$t" FRESHET_TEST_FREEPORT="$fp" "$ws" \
        sh -c 'redis-cli -u "$REDIS_URL" ping && psql -X "$DATABASE_URL" -c "select 1"' > /dev/null 2>&1
    is "works as a normal user (nobody)"
    clean_after "$t" "non-root run"
fi

p=$(grep -c '^ok' "$RESULTS"); f=$(grep -c '^fail' "$RESULTS")
echo "$p passed, $f failed"
[ "$f" = 0 ]
