#!/usr/bin/env bash
# demo.sh BIN [N] [SOURCES] — `make demo`: starts a private Redis, PostgreSQL and fake
# Keepa with a catalog of N products (default 20000) under ./.run/, migrates, runs one
# scout, one processor and one refresher, shows live progress until the whole catalog is
# active, prints a summary with a few sample rows, and stops everything it started (also
# on Ctrl-C). Logs stay in ./.run/logs/ for a look afterwards.
# SOURCES (`make demo SOURCES=keepa,repos`) is the comma list the same three processes
# serve (FRESHET_SOURCE): keepa and/or repos, the GitHub-like fake (freshet-fake-repos)
# with N/4 repositories declared by sources/repos.yaml.
set -u
BIN=$(cd "${1:?usage: demo.sh BIN [N] [SOURCES]}" && pwd)
N=${2:-20000}
SOURCES=${3:-keepa}
case $N in '' | *[!0-9]*) echo "demo: N must be a number (got '$N')" >&2; exit 2 ;; esac
for s in ${SOURCES//,/ }; do
    case $s in keepa | repos) ;; *)
        echo "demo: SOURCES: the demo has fakes for keepa and repos only (got '$s')" >&2
        exit 2 ;;
    esac
done
has() { case ",$SOURCES," in *",$1,"*) return 0 ;; esac; return 1; }
NR=$(( N / 4 > 100 ? N / 4 : 100 ))
cd "$(dirname "$0")/.." || exit 1
RUN=$PWD/.run
LOGS=$RUN/logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log

# The servers run as nobody when we are root: their dir must be reachable by nobody.
SVC=$RUN/services
if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- test -x "$RUN" 2>/dev/null; then
    SVC=$(mktemp -d /tmp/freshet-demo.XXXXXX)
    rmdir "$SVC"
    echo "demo: $RUN is not reachable by 'nobody'; servers run in $SVC"
fi
PIDS=()

cleanup() {
    trap '' INT TERM
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    bash tests/harness/services.sh stop "$SVC" >/dev/null 2>&1
    echo "demo: stopped everything it started; logs are in $LOGS"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM

echo "demo: starting Redis and PostgreSQL..."
bash tests/harness/services.sh stop "$SVC" >/dev/null 2>&1
bash tests/harness/services.sh start "$SVC" || exit 1
# shellcheck disable=SC1091
. "$SVC/env"
export DATABASE_URL=$FRESHET_TEST_DATABASE_URL REDIS_URL=$FRESHET_TEST_REDIS_URL
export FRESHET_LOG_FORMAT=json FRESHET_ADMIN_ADDR=off

"$BIN/freshetctl" migrate 2>>"$LOGS/migrate.log" || { cat "$LOGS/migrate.log"; exit 1; }

start_fake_keepa() {
echo "demo: starting the fake Keepa with $N products..."
"$BIN/freshet-fake-keepa" --listen 127.0.0.1:0 --port-file "$RUN/fake.port" --products "$N" \
    --key demo:200000 --latency-ms 20 >"$LOGS/fake-keepa.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$RUN/fake.port" ] && break; sleep 0.05; done
[ -s "$RUN/fake.port" ] || { echo "demo: the fake Keepa did not start"; cat "$LOGS/fake-keepa.log"; exit 1; }
KEEPA_BASE_URL="http://127.0.0.1:$(cat "$RUN/fake.port")"
export KEEPA_BASE_URL KEEPA_API_KEY=demo
rm -f "$RUN/fake.port"
}

# The GitHub-like fake: a 5,000-request window a minute, as GitHub's; sources/repos.yaml
# spends it at 600 a minute.
start_fake_repos() {
echo "demo: starting the fake repos API with $NR repositories..."
"$BIN/freshet-fake-repos" --listen 127.0.0.1:0 --port-file "$RUN/repos.port" --repos "$NR" \
    --token demo --latency 20ms >"$LOGS/fake-repos.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$RUN/repos.port" ] && break; sleep 0.05; done
[ -s "$RUN/repos.port" ] || { echo "demo: the fake repos did not start"; cat "$LOGS/fake-repos.log"; exit 1; }
REPOS_BASE_URL="http://127.0.0.1:$(cat "$RUN/repos.port")"
export REPOS_BASE_URL REPOS_TOKEN=demo FRESHET_SOURCES_DIR=$RUN/sources
rm -f "$RUN/repos.port"
mkdir -p "$RUN/sources"
cp sources/repos.yaml sources/repos.schema.json "$RUN/sources/"
}
has keepa && start_fake_keepa
has repos && start_fake_repos
export FRESHET_SOURCE=$SOURCES

start() { # name binary [args]
    local name=$1
    shift
    FRESHET_ADMIN_ADDR=off "$@" >"$LOGS/$name.log" 2>&1 &
    PIDS+=($!)
}
start refresher "$BIN/freshet-refresher" --pass-interval 1s
start processor "$BIN/freshet-processor"
start scout "$BIN/freshet-scout" --interval 1m

q() { psql -X -q -A -t "$DATABASE_URL" -c "$1" 2>/dev/null; }
tty=0
[ -t 1 ] && tty=1
if [ "$SOURCES" != keepa ]; then
    # shellcheck source=tests/demo_sources.sh
    . tests/demo_sources.sh
    demo_sources
    exit $?
fi
t0=$(date +%s.%N)
last_print=0
deadline=$(( $(date +%s) + 120 + N / 100 ))
echo "demo: running the fleet (progress every second; Ctrl-C stops it)"
echo "demo: to watch it from another terminal:"
echo "  DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL $BIN/freshetctl status --watch"
while :; do
    IFS='|' read -r total active failed <<<"$(q "SELECT count(*), count(*) FILTER (WHERE status='active'), count(*) FILTER (WHERE status='failed') FROM items")"
    queued=$(redis-cli -u "$REDIS_URL" --no-auth-warning eval \
        "return redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2])" 2 \
        'freshet:{keepa}:queue' 'freshet:{keepa}:queue:hot' 2>/dev/null)
    tokens=$(redis-cli -u "$REDIS_URL" --no-auth-warning hget 'freshet:{keepa}:tokens' tokens 2>/dev/null)
    now=$(date +%s.%N)
    rate=$(awk -v a="${active:-0}" -v t="$(awk -v n="$now" -v s="$t0" 'BEGIN{print n-s}')" 'BEGIN{ if (t > 0) printf "%.0f", a / t; else print 0 }')
    line=$(printf 'discovered %7s  queued %7s  active %7s  failed %5s  tokens %8s  %6s items/s' \
        "${total:-0}" "${queued:-0}" "${active:-0}" "${failed:-0}" "${tokens:-?}" "$rate")
    if [ $tty = 1 ]; then
        printf '\r%s' "$line"
    elif [ $(( $(date +%s) - last_print )) -ge 5 ]; then
        echo "$line"
        last_print=$(date +%s)
    fi
    [ "$(( ${active:-0} + ${failed:-0} ))" -ge "$N" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo
        echo "demo: not finished within the time limit; see $LOGS"
        exit 1
    fi
    sleep 1
done
elapsed=$(awk -v n="$(date +%s.%N)" -v s="$t0" 'BEGIN{printf "%.1f", n-s}')
[ $tty = 1 ] && echo
echo
echo "=== summary ==="
echo "catalog:            $N products"
echo "active / failed:    $active / $failed"
echo "history rows:       $(q 'SELECT count(*) FROM item_history')"
echo "time:               ${elapsed}s ($(awk -v a="$active" -v t="$elapsed" 'BEGIN{printf "%.0f", a/t}') items/s end to end)"
stats=$(curl -s "$KEEPA_BASE_URL/stats")
echo "upstream:           $(printf '%s' "$stats" | grep -o '"products_served": *[0-9]*' | tr -d '"') ; tokens spent $(printf '%s' "$stats" | grep -o '"tokens_spent": *{[^}]*}' | sed 's/.*: *{//; s/}//')"
echo
echo "sample rows:"
q "SELECT id || '  ' || rpad(left(payload->>'title', 48), 48) || '  \$' || coalesce(to_char(coalesce(payload->>'price_amazon', payload->>'price_new')::int / 100.0, 'FM99990.00'), '   -  ') || '  drop ' || coalesce(payload->'analysis'->>'drop_pct_90d', '-') || '%  trend ' || coalesce(payload->'analysis'->>'trend', '-') FROM items WHERE status = 'active' ORDER BY random() LIMIT 5"
echo
