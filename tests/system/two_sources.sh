#!/usr/bin/env bash
# System test: two sources served by the same processes (FRESHET_SOURCE=keepa,repos):
# one scout, one processor and one refresher, each serving Keepa (freshet-fake-keepa)
# and the declared source repos (freshet-fake-repos) in its one event loop. The repos
# fake first answers 429s (2 requests a 20 s window, no remaining header to warn of it),
# then 401 (its token changed), then slowly (2 s an answer); meanwhile Keepa keeps its
# pace: its whole catalog, 1,000 products added while repos is paused for its
# credentials and 500 added while it is slow, become active within a bound. Once the token is restored every repository ends active too; nothing is lost on
# either side and no id is fetched twice. Also: both sources in /metrics, /readyz naming
# the paused source, freshetctl status with a row per source, and the one-source
# commands refusing a list.
. "$(dirname "$0")/lib.sh"
need jq:jq

NK=2000
NR=300
fresh_db two_sources
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
# Keepa: plenty of tokens, prices that do not move (one fetch per id is well defined).
start_fake --products "$NK" --key test:200000 --change-period-ms 100000000000 || exit 1
pf=$T_DIR/repos.port
start_bg fakerepos "$FRESHET_BIN/freshet-fake-repos" --port-file "$pf" --repos "$NR" \
    --token tok --limit 2 --window 20s --remaining-header "" --reset-header "" --seed 7
for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
[ -s "$pf" ] || { echo "fake repos did not start"; cat "$T_DIR/fakerepos.log"; exit 1; }
export REPOS_BASE_URL="http://127.0.0.1:$(cat "$pf")" REPOS_TOKEN=tok
mkdir -p "$T_DIR/src"
cp sources/repos.yaml sources/repos.schema.json "$T_DIR/src/"
export FRESHET_SOURCES_DIR=$T_DIR/src FRESHET_SOURCE=keepa,repos FRESHET_IDLE_POLL=50ms \
    FRESHET_HEARTBEAT=500ms FRESHET_REFRESH_PASS=300ms FRESHET_RETRY_BASE=100ms \
    FRESHET_SCOUT_INTERVAL=2s
repos_get() { curl -sf --max-time 30 "$REPOS_BASE_URL$1"; }
repos_stat() { repos_get /_test/stats | jq -r "$1"; }
active_of() { sql "SELECT count(*) FROM items WHERE source = '$1' AND status = 'active'"; }
active_is() { [ "$(active_of "$1")" = "$2" ]; }
secs_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# 1. Repos is rate limited from its first requests; Keepa fills meanwhile.
t0=$(now_ms)
start_bg scout env FRESHET_ADMIN_ADDR=127.0.0.1:0 "$FRESHET_BIN/freshet-scout"
SCOUT=$T_LAST_PID
start_bg proc env FRESHET_ADMIN_ADDR=127.0.0.1:0 "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
start_bg refr "$FRESHET_BIN/freshet-refresher"
REFR=$T_LAST_PID
admin_port() { sed -n 's/.*admin HTTP listening on port \([0-9]*\).*/\1/p' "$T_DIR/$1.log" | head -n 1; }
wait_for 10 grep -q 'admin HTTP listening' "$T_DIR/proc.log"
wait_for 10 grep -q 'admin HTTP listening' "$T_DIR/scout.log"
pport=$(admin_port proc)
sport=$(admin_port scout)
check "all $NK keepa items active within 30 s while repos answers 429s" \
    wait_for 30 active_is keepa "$NK"
k1=$(secs_since "$t0")
r429=$(repos_stat .rate_limited)
r_active=$(active_of repos)
echo "# keepa: $NK items active in $k1 s ($(awk -v n="$NK" -v s="$k1" 'BEGIN { printf "%.0f", n / s }') items/s);" \
    "repos meanwhile: $r429 429s, $r_active of $NR active"
# Keepa may be done before repos spent its 2 requests: wait for its 429s, not for Keepa.
held_back() {
    [ "$(repos_stat .rate_limited)" -ge 1 ] && [ "$(active_of repos)" -lt "$NR" ]
}
check "repos answers 429s and is held back by them (not all active)" wait_for 20 held_back
metrics_name_both() {
    curl -s "http://127.0.0.1:$pport/metrics" >"$T_DIR/metrics"
    grep -q '^freshet_queue_depth{source="repos"} ' "$T_DIR/metrics" &&
        grep -q '^freshet_queue_depth{source="keepa"} ' "$T_DIR/metrics" &&
        grep -q '^freshet_items_processed_total{outcome="active",source="keepa"} ' "$T_DIR/metrics"
}
check "the processor's /metrics counts both sources" wait_for 10 metrics_name_both

# 2. Repos refuses the credentials (and stops limiting): it pauses; Keepa grows by 1,000
#    products and fills them while repos stays paused.
repos_get "/_test/token?token=other" >/dev/null
repos_get "/_test/config?limit=100000&window=60s" >/dev/null
readyz() { curl -s -o "$T_DIR/ready" -w '%{http_code} ' "http://127.0.0.1:$1/readyz"; cat "$T_DIR/ready"; }
# The process whose request met the 401 names the source; the other one is held by the
# fleet-wide pause without asking, and which one asks first is a race.
repos_paused() {
    [ "$(repos_stat .unauthorized)" -ge 1 ] &&
        { readyz "$sport" | grep -q "^503 .*source 'repos' paused" ||
            readyz "$pport" | grep -q "^503 .*source 'repos' paused"; }
}
# The budget holds repos back for up to a token period (60 s) after the 429s.
check "repos answers 401 and a /readyz (scout's or processor's) names it" wait_for 80 repos_paused
fake_get "/_fake/grow?n=1000" >/dev/null
t1=$(now_ms)
check "1000 new keepa products active within 20 s while repos is paused" \
    wait_for 20 active_is keepa $((NK + 1000))
k2=$(secs_since "$t1")
echo "# keepa: 1000 new products active in $k2 s while repos was paused;" \
    "repos: $(repos_stat .unauthorized) 401s"
r_active=$(active_of repos)
echo "# repos meanwhile: $r_active of $NR active"
check "repos still held back by its credentials (not all active)" \
    test "$(repos_stat .unauthorized)" -ge 1 -a "$r_active" -lt "$NR"
expect_eq "repos rows wait with no attempt spent while paused" "t|0" \
    "$(sql "SELECT count(*) > 0, coalesce(max(attempts), 0) FROM items WHERE source = 'repos'")"

# 3. The token is restored but repos answers slowly (2 s a request): Keepa's next 500
#    products do not wait for it; then every repository ends active.
repos_get "/_test/config?latency=2s" >/dev/null
repos_get "/_test/token?token=tok" >/dev/null
t2=$(now_ms)
fake_get "/_fake/grow?n=500" >/dev/null
check "500 new keepa products active within 10 s while repos answers in 2 s" \
    wait_for 10 active_is keepa $((NK + 1500))
echo "# keepa: 500 new products active in $(secs_since "$t2") s while repos was slow"
check "all $NR repositories active within 90 s of the restored token" \
    wait_for 90 active_is repos "$NR"
echo "# repos: $NR active $(secs_since "$t2") s after the token was restored"
expect_eq "nothing lost: every row of both sources active" "$((NK + 1500 + NR))|0" \
    "$(sql "SELECT count(*) FILTER (WHERE status = 'active'), count(*) FILTER (WHERE status <> 'active')
            FROM items WHERE source IN ('keepa', 'repos')")"
expect_eq "no keepa asin fetched twice" 1 "$(fake_stat asins_served_max)"
expect_eq "each repository fetched once" "1 $NR" \
    "$(repos_get /_test/stats | jq -r '"\(.fetched_max) \(.fetched_unique)"')"
expect_match "the processor's /readyz is ready again" "^200 " "$(readyz "$pport")"

# 4. freshetctl: a row per source; the one-source commands want one.
# grep matches line by line: the lines are joined with '~' to match them in order.
joined() { tr '\n' '~' <"$1"; }
"$FRESHET_BIN/freshetctl" status >"$T_DIR/status" 2>&1
expect_match "status has a row per source" \
    "^SOURCE +PENDING +ACTIVE[^~]*~keepa +0 +$((NK + 1500)) [^~]*~repos +0 +$NR " \
    "$(joined "$T_DIR/status")"
expect_eq "status --json: one line per source" "keepa repos" \
    "$("$FRESHET_BIN/freshetctl" status --json | jq -r .source | tr '\n' ' ' | sed 's/ $//')"
expect_match "status --source repos shows repos alone" "^freshet status  source repos" \
    "$("$FRESHET_BIN/freshetctl" status --source repos 2>&1)"
env -u FRESHET_SOURCE "$FRESHET_BIN/freshetctl" status >"$T_DIR/status_all" 2>&1
expect_match "without FRESHET_SOURCE status shows every source with rows" \
    "^SOURCE [^~]*~keepa [^~]*~repos .*~freshet status  source keepa .*~freshet status  source repos " \
    "$(joined "$T_DIR/status_all")"
for cmd in "enqueue B000000001" "backfill -" "dlq list" "export" "verify-freshness --max-age 1h"; do
    # shellcheck disable=SC2086 # the command's words
    "$FRESHET_BIN/freshetctl" $cmd </dev/null >"$T_DIR/ctl.out" 2>&1
    expect_match "$cmd with two sources exits 2 naming the ambiguity" \
        "^2 .*names several sources \('keepa,repos'\): pick one with --source" \
        "$? $(cat "$T_DIR/ctl.out")"
done
"$FRESHET_BIN/freshetctl" export --source repos --format jsonl >"$T_DIR/export" 2>/dev/null
expect_eq "export --source repos: one line per repository" "$NR" "$(wc -l <"$T_DIR/export")"
"$FRESHET_BIN/freshetctl" verify-freshness --source keepa --max-age 1h >/dev/null 2>&1
expect_eq "verify-freshness --source keepa exits 0" 0 $?

# 5. SIGTERM: each daemon drains both sources and exits 0 within the grace period.
for w in SCOUT PROC REFR; do
    kill -TERM "${!w}"
    exits_within 8 "${!w}"
    expect_eq "$w exits 0 on SIGTERM with two sources" 0 "$T_EXIT"
done

# 6. --once with two sources: the processor ends when both queues are empty, the scout
#    when both passes are done. One new id of each, pushed with enqueue --source.
repos_get "/_test/config?latency=0" >/dev/null
fake_get "/_fake/grow?n=1" >/dev/null
repos_get "/_test/grow?n=1" >/dev/null
"$FRESHET_BIN/freshetctl" enqueue --source keepa "$(catalog_ids $((NK + 1500)) 1)" >/dev/null 2>&1
expect_eq "enqueue --source keepa exits 0" 0 $?
"$FRESHET_BIN/freshetctl" enqueue --source repos $((NR + 1)) >/dev/null 2>&1
expect_eq "enqueue --source repos exits 0" 0 $?
"$FRESHET_BIN/freshet-processor" --once >"$T_DIR/proc_once.log" 2>&1
expect_eq "processor --once with two sources exits 0" 0 $?
expect_eq "... with the new id of each active" "$((NK + 1501)) $((NR + 1))" \
    "$(active_of keepa) $(active_of repos)"
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout_once.log" 2>&1
expect_eq "scout --once with two sources exits 0" 0 $?
expect_eq "... after a complete pass of each" 2 \
    "$(grep -c 'discovery pass complete: [0-9]* records seen, 0 new ids' "$T_DIR/scout_once.log")"
finish
