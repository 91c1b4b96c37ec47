#!/usr/bin/env bash
# lib.sh — what system tests share: assertions that count, helpers to run the real
# binaries and the fake Keepa as processes, wait for conditions, and query the
# harness's PostgreSQL and Redis. Sourced by tests/system/*.sh, which run under
# tests/harness/with-services.sh (FRESHET_TEST_* set) from the repository root.
# Every background process a test starts is killed when the test exits.

set -u
: "${FRESHET_BIN:=$(pwd)/bin}"
: "${FRESHET_TEST_DATABASE_URL:?run under tests/harness/with-services.sh}"
export DATABASE_URL=$FRESHET_TEST_DATABASE_URL REDIS_URL=$FRESHET_TEST_REDIS_URL
export FRESHET_LOG_FORMAT=${FRESHET_LOG_FORMAT:-json} FRESHET_ADMIN_ADDR=${FRESHET_ADMIN_ADDR:-off}
T_PASSED=0
T_FAILED=0
T_PIDS=()

# need CMD:PACKAGE...: a test that lacks a tool fails once, naming the Debian package
# (deploy/install-deps.sh installs them all), instead of failing every check that uses it.
need() {
    local pair missing=
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair%%:*} (Debian package ${pair#*:})"
    done
    [ -z "$missing" ] && return 0
    echo "not ok - $(basename "$0") needs:$missing; deploy/install-deps.sh installs it"
    echo "0 passed, 1 failed"
    exit 1
}
need psql:postgresql-client redis-cli:redis-tools curl:curl pgrep:procps
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/freshet-sys.XXXXXX")

t_cleanup() {
    local p
    for p in "${T_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${T_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    # A failed test keeps its workers' logs: they are all there is to read after a CI run.
    if [ "${T_FAILED:-0}" -gt 0 ] && [ -d "$T_DIR" ]; then
        # The CI log is often all there is: show each log's warnings and its end.
        local f
        for f in "$T_DIR"/*.log; do
            [ -s "$f" ] || continue
            echo "# --- $(basename "$f"): its last warnings and errors, then its last lines"
            grep -aE '"level":"(warn|error)"|\b(warn|error|fatal)\b' "$f" | tail -n 8 | cut -c1-400 | sed 's/^/#   /'
            tail -n 5 "$f" | cut -c1-400 | sed 's/^/#   | /'
        done
        echo "# logs kept in $T_DIR"
    else
        rm -rf "$T_DIR"
    fi
}
trap t_cleanup EXIT

pass() { T_PASSED=$((T_PASSED + 1)); echo "ok - $1"; }
fail() { T_FAILED=$((T_FAILED + 1)); echo "not ok - $1"; [ $# -gt 1 ] && echo "#   $2"; }

# check NAME CMD...: passes when CMD exits 0.
check() {
    local name=$1
    shift
    if "$@" >"$T_DIR/check.out" 2>&1; then pass "$name"; else
        fail "$name" "$(tail -n 5 "$T_DIR/check.out" | tr '\n' ' ')"
    fi
}

# expect_eq NAME WANT GOT
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want '$2', got '$3'"; fi
}

# expect_match NAME REGEX TEXT
expect_match() {
    if printf '%s' "$3" | grep -qE -- "$2"; then pass "$1"; else
        fail "$1" "'$(printf '%s' "$3" | head -c 300)' does not match /$2/"
    fi
}

# expect_le NAME A B: integer A <= B
expect_le() {
    if [ "$2" -le "$3" ]; then pass "$1 ($2 <= $3)"; else fail "$1" "$2 > $3"; fi
}

finish() {
    echo "$T_PASSED passed, $T_FAILED failed"
    [ "$T_FAILED" -eq 0 ]
}

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
rcli() { redis-cli -u "$REDIS_URL" --no-auth-warning "$@"; }

# fresh_db NAME: creates a database and points DATABASE_URL at it.
fresh_db() {
    sql "CREATE DATABASE $1" >/dev/null
    DATABASE_URL="${FRESHET_TEST_DATABASE_URL%/*}/$1"
    export DATABASE_URL
}

# start_bg NAME CMD...: runs CMD in the background, output in $T_DIR/NAME.log;
# the pid is in T_LAST_PID and is killed at exit.
start_bg() {
    local name=$1
    shift
    "$@" >"$T_DIR/$name.log" 2>&1 &
    T_LAST_PID=$!
    T_PIDS+=("$T_LAST_PID")
}

# start_fake ARGS...: starts freshet-fake-keepa on a free port; sets KEEPA_BASE_URL,
# KEEPA_API_KEY and FAKE_URL.
start_fake() {
    local pf=$T_DIR/fake.port
    rm -f "$pf"
    start_bg fake "$FRESHET_BIN/freshet-fake-keepa" --listen 127.0.0.1:0 --port-file "$pf" "$@"
    export FAKE_PID=$T_LAST_PID
    for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || { echo "fake keepa did not start:"; cat "$T_DIR/fake.log"; return 1; }
    FAKE_URL="http://127.0.0.1:$(cat "$pf")"
    export KEEPA_BASE_URL=$FAKE_URL KEEPA_API_KEY=${KEEPA_API_KEY:-test}
}

# catalog_ids FIRST COUNT: the fake Keepa's ASINs for catalog indexes FIRST.., one a line
# ("B" and the index in 9 base-36 digits).
catalog_ids() {
    awk -v first="$1" -v count="$2" 'BEGIN { d = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        for (i = first; i < first + count; i++) { s = ""; n = i
            for (k = 0; k < 9; k++) { s = substr(d, n % 36 + 1, 1) s; n = int(n / 36) }
            print "B" s } }'
}

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds; 1 on time-out.
wait_for() {
    local deadline=$(( $(date +%s) + $1 ))
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# --- helpers added for the pipeline/refresh/concurrency/resume/shutdown tests ---

# jsql FILE QUERY: runs QUERY (psql, unaligned, tuples only) with the psql variable j
# holding FILE's contents, so JSON is parsed by PostgreSQL (no jq needed), e.g.
#   jsql "$T_DIR/stats.json" "SELECT :'j'::jsonb->>'products_served'"
jsql() {
    # shellcheck disable=SC2016 # the backquotes are psql's, not the shell's
    { printf '\\set j `cat %s`\n' "$1"; printf '%s\n' "$2"; } |
        psql -X -q -A -t -v ON_ERROR_STOP=1 "$DATABASE_URL"
}

# jget JSON PATH: the value at PATH (comma-separated keys, as for #>>) of the JSON text;
# empty when absent, e.g. jget "$(fake_get /stats)" requests,deal,200
jget() {
    printf '%s' "$1" >"$T_DIR/jget.json"
    jsql "$T_DIR/jget.json" "SELECT :'j'::jsonb #>> '{$2}'"
}

# fake_get PATH: GET $FAKE_URL/PATH (body on stdout; non-zero on an HTTP error).
fake_get() { curl -sf --max-time 30 "$FAKE_URL$1"; }

# fake_stat PATH: one figure of the fake's /stats (0 when absent), e.g.
#   fake_stat asins_served_max; fake_stat requests,deal,200
fake_stat() {
    local v
    v=$(jget "$(fake_get /stats)" "$1")
    echo "${v:-0}"
}

# count_status STATUS: rows of items with that status (current FRESHET_SOURCE or keepa).
count_status() {
    sql "SELECT count(*) FROM items WHERE source = '${FRESHET_SOURCE:-keepa}' AND status = '$1'"
}

# rows_are N STATUS: succeeds when exactly N rows have STATUS (for wait_for).
rows_are() { [ "$(count_status "$2")" = "$1" ]; }

# exits_within SECONDS PID: waits for PID (a child of this shell, so not inside $(...))
# to exit, at most SECONDS (may be fractional); sets T_EXIT to its exit status, or to
# "timeout" when it was still running, and T_WAITED_MS to the time waited.
# shellcheck disable=SC2034 # T_EXIT and T_WAITED_MS are read by the tests
exits_within() {
    local start deadline
    start=$(now_ms)
    deadline=$(( start + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }') ))
    T_EXIT=timeout
    while kill -0 "$2" 2>/dev/null && ! ps -o stat= -p "$2" | grep -q '^Z'; do
        if [ "$(now_ms)" -ge "$deadline" ]; then
            T_WAITED_MS=$(( $(now_ms) - start ))
            return 1
        fi
        sleep 0.05
    done
    wait "$2"
    T_EXIT=$?
    T_WAITED_MS=$(( $(now_ms) - start ))
}

# now_ms: wall clock in milliseconds.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# log_of NAME: path of the log start_bg wrote for NAME.
log_of() { echo "$T_DIR/$1.log"; }

# start_fake_repos ARGS...: starts freshet-fake-repos (--token tok) on a free port and
# copies sources/repos.yaml (with its schema) to a sources dir of the test; sets
# REPOS_BASE_URL, REPOS_TOKEN and FRESHET_SOURCES_DIR.
start_fake_repos() {
    local pf=$T_DIR/repos.port
    rm -f "$pf"
    start_bg fakerepos "$FRESHET_BIN/freshet-fake-repos" --port-file "$pf" --token tok "$@"
    for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || { echo "fake repos did not start"; cat "$T_DIR/fakerepos.log"; return 1; }
    export REPOS_BASE_URL="http://127.0.0.1:$(cat "$pf")" REPOS_TOKEN=tok
    mkdir -p "$T_DIR/src"
    cp sources/repos.yaml sources/repos.schema.json "$T_DIR/src/"
    export FRESHET_SOURCES_DIR=$T_DIR/src
}

# repos_fixture DB ARGS...: a fresh migrated database DB and freshet-fake-repos started
# with ARGS (start_fake_repos); exits the test when either fails.
repos_fixture() {
    fresh_db "$1"
    shift
    "$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
    start_fake_repos "$@" || exit 1
}
