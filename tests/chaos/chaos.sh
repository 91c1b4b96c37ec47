#!/usr/bin/env bash
# Chaos test (DESIGN invariants 1-3): a catalog of 20,000 behind a fake Keepa that fails
# 5% of requests (500s and time-outs) and whose token budget forces waiting; two scouts,
# three processors and two refreshers as real processes. While they work, a random
# worker is killed with SIGKILL every few seconds and restarted, Redis is restarted
# once and flushed once, PostgreSQL is restarted once. At the end every id must be
# active (or failed with a reason), with no duplicate row or history snapshot, fewer
# than 1% of upstream product fetches may be for ids already active, and every other
# repeated fetch must be explained: the processor that fetched it first (the fake knows
# it by its User-Agent) was killed before writing it, so the id was fetched again once
# its claim expired.
# The same processes serve a declared source too (FRESHET_SOURCE=keepa,repos): 1,000
# repositories behind freshet-fake-repos, which answers 16% of its requests with faults
# (500s, 503s, time-outs, reset connections, truncated and garbage bodies) and 429s when
# its small window is spent, through the same kills and service restarts; 100 more
# repositories appear after the PostgreSQL restart, for the scouts to discover. At the
# end every repository is active with exactly the fake's record, one row and one history
# snapshot each (its catalog does not change), and its repeated fetches are held to
# Keepa's rules: fewer than 1% for repositories already active, every other traced (the
# repos fake's /_test/stats?trace=1) to the killed processor that held the answer; none
# fetched more than 3 times.
. "$(dirname "$0")/../system/lib.sh"
need jq:jq

N=${CHAOS_N:-20000}
RATE=${CHAOS_RATE:-600}      # tokens per fake minute (a minute lasts 1 s here)
LIMIT=${CHAOS_LIMIT:-300}    # seconds the fleet gets to finish
NR0=${CHAOS_REPOS:-1000}     # repositories of the declared source at the start
NRGROW=100                   # ... and added once the service events are over
NR=$((NR0 + NRGROW))
RBATCH=20                    # repos ids per detail request (max_ids): more batches, more of them killed
fresh_db chaos
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1
start_fake --products "$N" --key "test:$RATE" --minute-ms 1000 --fail-5xx 0.025 \
    --fail-timeout 0.025 --timeout-hold-ms 5000 --change-period-ms 100000000 --latency-ms 5
# Repos: the fake allows 15 requests a 2 s window, told by its X-RateLimit headers
# (sources/repos.yaml, here with max_ids 20 and a listing every 10 s), and while repositories are left the loop
# below spends its window now and then (as another client of the API would), so that
# the fleet meets 429s with Retry-After. 12% of requests are faults.
pf=$T_DIR/repos.port
start_bg fakerepos "$FRESHET_BIN/freshet-fake-repos" --port-file "$pf" --repos "$NR0" \
    --token tok --limit 15 --window 2s --seed 11 \
    --fail-5xx 0.03 --fail-503 0.02 --fail-timeout 0.02 --timeout-hold 5s --fail-reset 0.01 \
    --fail-truncate 0.04 --fail-garbage 0.04 --latency 5ms
for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
[ -s "$pf" ] || { echo "fake repos did not start"; cat "$T_DIR/fakerepos.log"; exit 1; }
export REPOS_BASE_URL="http://127.0.0.1:$(cat "$pf")" REPOS_TOKEN=tok
repos_get() { curl -sf --max-time 30 "$REPOS_BASE_URL$1"; }
mkdir -p "$T_DIR/src"
cp sources/repos.schema.json "$T_DIR/src/"
sed -e "s/^  max_ids: 100 .*/  max_ids: $RBATCH/" -e 's/^  interval: 5m\b.*/  interval: 10s/' \
    sources/repos.yaml >"$T_DIR/src/repos.yaml"
grep -q "^  max_ids: $RBATCH\$" "$T_DIR/src/repos.yaml" && grep -q "^  interval: 10s\$" "$T_DIR/src/repos.yaml" ||
    { echo "sources/repos.yaml: no max_ids or interval to set"; exit 1; }
export FRESHET_SOURCES_DIR=$T_DIR/src FRESHET_SOURCE=keepa,repos
export FRESHET_TOKEN_PERIOD=1s FRESHET_HTTP_TIMEOUT=3s FRESHET_LEASE=10s FRESHET_HEARTBEAT=1s \
    FRESHET_RETRY_BASE=200ms FRESHET_RETRY_CAP=3s FRESHET_REFRESH_PASS=500ms \
    FRESHET_RECOVER_AFTER=5s FRESHET_IDLE_POLL=50ms FRESHET_SCOUT_INTERVAL=5s \
    FRESHET_MAX_ATTEMPTS=8 FRESHET_GRACE=3s FRESHET_LOG_LEVEL=warn

declare -A CMD PID
CMD[scout1]="$FRESHET_BIN/freshet-scout"
CMD[scout2]="$FRESHET_BIN/freshet-scout"
CMD[proc1]="$FRESHET_BIN/freshet-processor"
CMD[proc2]="$FRESHET_BIN/freshet-processor"
CMD[proc3]="$FRESHET_BIN/freshet-processor"
CMD[refr1]="$FRESHET_BIN/freshet-refresher"
CMD[refr2]="$FRESHET_BIN/freshet-refresher"
launch() {
    "${CMD[$1]}" >>"$T_DIR/$1.log" 2>&1 &
    PID[$1]=$!
    T_PIDS+=("$!")
}
for w in "${!CMD[@]}"; do launch "$w"; done

done_count() { sql "SELECT count(*) FROM items WHERE source = '$1' AND status IN ('active', 'failed')"; }
start=$(date +%s)
kills=0
proc_kills=""   # "(worker,before_ms,after_ms)," per processor killed
events=""
svc() { bash "$FRESHET_TEST_SERVICES" "$1" "$FRESHET_TEST_DIR" >/dev/null 2>&1; }
while :; do
    t=$(( $(date +%s) - start ))
    n=$(done_count keepa 2>/dev/null || echo 0)
    nr=$(done_count repos 2>/dev/null || echo 0)
    [ "${n:-0}" -ge "$N" ] && [ "${nr:-0}" -ge "$NR" ] && [ "$events" = RFPG ] && break
    [ $t -ge "$LIMIT" ] && break
    # Every ~3 s a random worker dies without warning and comes back.
    names=("${!CMD[@]}")
    victim=${names[RANDOM % ${#names[@]}]}
    k0=$(date +%s%3N)
    kill -KILL "${PID[$victim]}" 2>/dev/null && kills=$((kills + 1))
    wait "${PID[$victim]}" 2>/dev/null
    [[ $victim == proc* ]] && proc_kills+="('$HOSTNAME-${PID[$victim]}',$k0,$(date +%s%3N)),"
    launch "$victim"
    # While repositories are left, the fake's window is spent: its next request is a 429.
    [ "${nr:-0}" -lt "$NR" ] && repos_get "/_test/config?remaining=0" >/dev/null
    # Each service event happens once, as soon as its time has come.
    if [ $t -ge 10 ] && [[ $events != *R* ]]; then
        svc restart-redis && events+=R && echo "# t=${t}s redis restarted"
    elif [ $t -ge 20 ] && [[ $events != *F* ]]; then
        svc flush-redis && events+=F && echo "# t=${t}s redis flushed"
    elif [ $t -ge 30 ] && [[ $events != *P* ]]; then
        svc restart-pg && events+=P && echo "# t=${t}s postgresql restarted"
    elif [ "$events" = RFP ]; then
        repos_get "/_test/grow?n=$NRGROW" >/dev/null && events+=G && echo "# t=${t}s $NRGROW repositories added"
    fi
    echo "# t=${t}s done keepa ${n:-?}/$N, repos ${nr:-?}/$NR, $kills kills"
    sleep 3
done
elapsed=$(( $(date +%s) - start ))
# Let the last in-flight work settle, then stop the fleet cleanly.
wait_for 60 test "$(sql "SELECT count(*) FROM items WHERE status = 'pending_processing'")" = 0
for w in "${!CMD[@]}"; do kill -TERM "${PID[$w]}" 2>/dev/null; done

total=$(sql "SELECT count(*) FROM items WHERE source = 'keepa'")
active=$(sql "SELECT count(*) FROM items WHERE source = 'keepa' AND status = 'active'")
failed=$(sql "SELECT count(*) FROM items WHERE source = 'keepa' AND status = 'failed'")
failed_noreason=$(sql "SELECT count(*) FROM items WHERE source = 'keepa' AND status = 'failed' AND coalesce(last_error, '') = ''")
pending=$(sql "SELECT count(*) FROM items WHERE source = 'keepa' AND status = 'pending_processing'")
dup_rows=$(sql "SELECT count(*) - count(DISTINCT (source, id)) FROM items WHERE source = 'keepa'")
dup_hist=$(sql "SELECT count(*) - count(DISTINCT (source, id, observed_at)) FROM item_history WHERE source = 'keepa'")
hist_missing=$(sql "SELECT count(*) FROM items i WHERE source = 'keepa' AND status = 'active' AND NOT EXISTS (SELECT 1 FROM item_history h WHERE h.source = i.source AND h.id = i.id)")
stats=$(curl -s "$FAKE_URL/stats?repeats=1")
served=$(printf '%s' "$stats" | grep -o '"products_served": *[0-9]*' | grep -o '[0-9]*$')
unique=$(printf '%s' "$stats" | grep -o '"asins_served_unique": *[0-9]*' | grep -o '[0-9]*$')
wasted=$(( ${served:-0} - ${unique:-0} ))
# Why each repeated id was fetched again. Already active: the first fetch was written
# (its history snapshot's fetched_at) before the last one was served. Otherwise the
# first answer was lost, which only the death of the processor that held it excuses:
# killed after that fetch and before the next. (Through stdin: the list may outgrow a
# command-line argument.)
sql "CREATE TABLE chaos_kills (worker text, before_ms bigint, after_ms bigint)"
[ -n "$proc_kills" ] && sql "INSERT INTO chaos_kills VALUES ${proc_kills%,}"
# why SOURCE KEY STATS: classifies the repeated fetches its fake's STATS lists under KEY
# (id: [times, first and last served in Unix ms, User-Agent of the first]) into table
# chaos_why_SOURCE and prints "already active|lost with a killed processor|other|largest
# gap between the answer and the kill|processor kills".
why() {
    { printf 'CREATE TABLE chaos_repeats_%s AS SELECT key AS id, (value->>0)::int AS n,' "$1"
      printf ' (value->>1)::bigint AS first_ms, (value->>2)::bigint AS last_ms, value->>3 AS agent'
      printf ' FROM jsonb_each($j$'
      printf '%s' "$3"
      printf "\$j\$::jsonb->'%s');\n" "$2"
    } | psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" >/dev/null
    sql "CREATE TABLE chaos_why_$1 AS SELECT r.*, EXISTS (SELECT 1 FROM item_history h
           WHERE h.source = '$1' AND h.id = r.id
             AND h.fetched_at < to_timestamp(r.last_ms / 1000.0)) AS was_active,
         (SELECT min(k.after_ms - r.first_ms) FROM chaos_kills k
           WHERE right(r.agent, length(k.worker) + 2) = '(' || k.worker || ')'
             AND k.after_ms >= r.first_ms AND k.before_ms <= r.last_ms) AS kill_gap
         FROM chaos_repeats_$1 r"
    sql "SELECT
           coalesce(sum(n - 1) FILTER (WHERE was_active), 0),
           coalesce(sum(n - 1) FILTER (WHERE NOT was_active AND kill_gap IS NOT NULL), 0),
           coalesce(sum(n - 1) FILTER (WHERE NOT was_active AND kill_gap IS NULL), 0),
           coalesce(max(kill_gap) FILTER (WHERE NOT was_active), 0),
           (SELECT count(*) FROM chaos_kills) FROM chaos_why_$1"
}
IFS='|' read -r again_active again_killed again_other gap nproc_kills < <(why keepa repeats "$stats")
echo "# chaos: ${elapsed}s, $kills kill -9s, events '$events' (R restart, F flush, P pg restart, G repos grown)"
echo "# rows $total: active $active, failed $failed (without reason $failed_noreason), pending $pending"
echo "# duplicate rows $dup_rows, duplicate history snapshots $dup_hist, active without history $hist_missing"
echo "# upstream products served ${served:-0} for ${unique:-0} distinct ids: $wasted repeated fetches"
echo "#   of ids already active $again_active; lost with the processor that fetched them (one of $nproc_kills killed) $again_killed, answered at most ${gap} ms before its kill; other $again_other"
if [ "$again_other" != 0 ]; then
    echo "# unexplained repeats (id, times, first and last served, Unix ms), and the processor kills:"
    sql "SELECT id, n, first_ms, last_ms, agent FROM chaos_why_keepa WHERE NOT was_active AND kill_gap IS NULL LIMIT 20" | sed 's/^/#   /'
    sql "SELECT worker, before_ms, after_ms FROM chaos_kills" | sed 's/^/#   kill /'
fi
expect_eq "every discovered id has a row" "$N" "$total"
expect_eq "every id is active or failed" "$N" $(( active + failed ))
expect_eq "no failed row without a reason" 0 "$failed_noreason"
expect_eq "no duplicate rows" 0 "$dup_rows"
expect_eq "no duplicate history snapshots" 0 "$dup_hist"
expect_eq "every active row has its history snapshot" 0 "$hist_missing"
expect_eq "redis restart, flush and postgresql restart all happened (and repos grew)" RFPG "$events"
expect_eq "the fake's repeats add up to its counters" "$wasted" $(( again_active + again_killed + again_other ))
expect_le "product fetches of ids already active <= 1% of all (x100)" $(( again_active * 100 )) "${served:-0}"
expect_eq "every other repeated fetch follows a processor killed with the answer in hand" 0 "$again_other"

# Repos. Its catalog does not change during the run, so each repository has exactly one
# history snapshot (history is written on change only) and its payload is the fake's
# record, fields as sources/repos.yaml maps them.
IFS='|' read -r r_total r_active r_failed r_pending r_dup_rows < <(sql "SELECT count(*),
       count(*) FILTER (WHERE status = 'active'), count(*) FILTER (WHERE status = 'failed'),
       count(*) FILTER (WHERE status = 'pending_processing'),
       count(*) - count(DISTINCT (source, id)) FROM items WHERE source = 'repos'")
IFS='|' read -r r_hist r_hist_ids r_dup_hist < <(sql "SELECT count(*), count(DISTINCT id),
       count(*) - count(DISTINCT (source, id, observed_at)) FROM item_history WHERE source = 'repos'")
repos_get "/_test/truth?all=1" | jq -S '[.items[] | {key: (.id | tostring), value: {
    full_name, owner: .owner.login, stars: .stargazers_count, forks: .forks_count,
    language, topics, description, updated_at}}] | from_entries' >"$T_DIR/repos_truth.json"
sql "SELECT coalesce(json_object_agg(id, payload), '{}') FROM items WHERE source = 'repos'" |
    jq -S . >"$T_DIR/repos_stored.json"
# Ids whose stored payload differs from the truth, or that are missing on one side.
r_diff=$(jq -n --slurpfile t "$T_DIR/repos_truth.json" --slurpfile s "$T_DIR/repos_stored.json" \
    '[($t[0] + $s[0]) | keys[] as $k | select($t[0][$k] != $s[0][$k]) | $k]')
r_ndiff=$(printf '%s' "$r_diff" | jq length)
r_ntruth=$(jq length "$T_DIR/repos_truth.json")
rstats=$(repos_get "/_test/stats?trace=1")
IFS=' ' read -r r_fetched r_unique r_max r_429 r_faults < <(printf '%s' "$rstats" |
    jq -r '"\(.fetched) \(.fetched_unique) \(.fetched_max) \(.rate_limited) \([.faults[]] | add)"')
r_repeats=$(( ${r_fetched:-0} - ${r_unique:-0} ))
# Its repeated fetches, explained as Keepa's are (the repos fake traces them the same way).
IFS='|' read -r r_again_active r_again_killed r_again_other r_gap _ < <(why repos traces "$rstats")
echo "# repos rows $r_total: active $r_active, failed $r_failed, pending $r_pending; duplicate rows $r_dup_rows"
echo "# repos history: $r_hist snapshots of $r_hist_ids ids, $r_dup_hist duplicated"
echo "# repos upstream: $r_429 429s, $r_faults faults ($(printf '%s' "$rstats" | jq -c .faults));" \
    "$r_fetched records fetched for $r_unique ids, at most $r_max times one id: $r_repeats repeated fetches"
echo "#   of ids already active $r_again_active; lost with the processor that fetched them (one of $nproc_kills killed) $r_again_killed, answered at most ${r_gap} ms before its kill; other $r_again_other"
if [ "$r_again_other" != 0 ]; then
    echo "# unexplained repeats of repositories (id, times, first and last served, Unix ms, first client):"
    sql "SELECT id, n, first_ms, last_ms, agent FROM chaos_why_repos WHERE NOT was_active AND kill_gap IS NULL LIMIT 20" | sed 's/^/#   /'
fi
[ "$r_ndiff" != 0 ] && echo "# repos payloads unlike the truth: $(printf '%s' "$r_diff" | jq -c '.[:20]')"
expect_eq "repos: every listed repository has a row" "$NR" "$r_total"
expect_eq "repos: every repository active, none failed or pending" "$NR 0 0" "$r_active $r_failed $r_pending"
expect_eq "repos: no duplicate rows" 0 "$r_dup_rows"
expect_eq "repos: one history snapshot per repository, none duplicated" "$NR $NR 0" "$r_hist $r_hist_ids $r_dup_hist"
expect_eq "repos: the fake's truth lists every repository" "$NR" "$r_ntruth"
expect_eq "repos: every stored payload equals the fake's record" 0 "$r_ndiff"
expect_le "repos: the fake answered 429s (its window was spent)" 1 "${r_429:-0}"
expect_le "repos: the fake injected faults" 1 "${r_faults:-0}"
expect_eq "repos: every repository fetched" "$NR" "$r_unique"
expect_eq "repos: the fake's traced repeats add up to its counters" "$r_repeats" $(( r_again_active + r_again_killed + r_again_other ))
expect_le "repos: fetches of repositories already active <= 1% of all (x100)" $(( r_again_active * 100 )) "${r_fetched:-0}"
expect_eq "repos: every other repeated fetch follows a processor killed with the answer in hand" 0 "$r_again_other"
expect_le "repos: no repository fetched more than 3 times" "${r_max:-99}" 3
for w in "${!CMD[@]}"; do
    if grep -qE 'AddressSanitizer|runtime error|Segmentation|Assertion' "$T_DIR/$w.log"; then
        fail "$w crashed" "$(grep -m1 -E 'AddressSanitizer|runtime error|Segmentation|Assertion' "$T_DIR/$w.log")"
    fi
done
finish
