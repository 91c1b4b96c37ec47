#!/usr/bin/env bash
# with-services.sh CMD [ARGS...] — run CMD against fresh Redis and PostgreSQL.
#
# Makes a service dir under ${TMPDIR:-/tmp}, starts both servers there with
# services.sh, exports the FRESHET_TEST_* variables from its env file (plus
# DATABASE_URL and REDIS_URL), runs CMD, and always stops the servers and
# removes the dir: on normal exit, on failure and on INT/TERM/HUP.  Before
# that, CMD and its children still running are sent TERM (KILL after 5 s).
# Exits with CMD's status; 1 if the servers did not start; 128+N on signal N.
# shellcheck disable=SC2317 # the teardown functions are reached only through traps
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { sed -n '2,/^set -u/{/^# shellcheck/d; /^set/d; s/^# \{0,1\}//; p; }' "$0" >&2; exit 2; }

D=$(mktemp -d "${TMPDIR:-/tmp}/freshet-test.XXXXXX") || exit 1
child=

# CMD and every process below it, children listed before their parents.
tree() { local c; for c in $(pgrep -P "$1"); do tree "$c"; done; echo "$1"; }

# CMD's process tree and, if we lead our process group (a job of an interactive
# shell), the rest of it (children CMD orphaned) but for our pipeline siblings.
victims() {
    [ -n "$child" ] && tree "$child"
    [ "$(ps -o pgid= -p $$ | tr -d ' ')" = "$$" ] && ps -e -o pid= -o pgid= -o ppid= |
        awk -v me=$$ -v up="$PPID" '$2 == me && $1 != me && $3 != up { print $1 }'
}

kill_child() {
    local pids i
    pids=$(victims)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086 # word splitting wanted: one pid per word
    kill -TERM $pids 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        # shellcheck disable=SC2086
        ps -o stat= -p "${pids//$'\n'/,}" 2>/dev/null | grep -qv '^Z' || return 0
        sleep 0.1
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
}

cleanup() {
    trap '' INT TERM HUP   # a second Ctrl-C must not cut the teardown short
    kill_child
    bash "$HERE/services.sh" stop "$D"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$HERE/services.sh" start "$D" || { echo "with-services.sh: services did not start" >&2; exit 1; }
set -a
# shellcheck source=/dev/null
. "$D/env"
set +a
export DATABASE_URL=$FRESHET_TEST_DATABASE_URL REDIS_URL=$FRESHET_TEST_REDIS_URL

# In the background so a signal is handled at once; keep our stdin, and give
# CMD back the default INT/QUIT handling that background jobs lose.
exec 3<&0
(trap - INT QUIT; exec "$@") <&3 3<&- &
child=$!
exec 3<&-
wait "$child"
status=$?
child=
exit "$status"
