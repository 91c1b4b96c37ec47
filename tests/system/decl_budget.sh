#!/usr/bin/env bash
# System test (issue 13, deliverable 4): the fleet-wide budget of a header-driven source.
# sources/repos.yaml (requests_per_minute 600 and X-RateLimit-* headers) against
# freshet-fake-repos with a small window (60 requests a 6-s window: the same 600 a minute
# as the file says, so the static rate alone never keeps the fleet below the limit). A
# scout and two processors (batches of 5 ids, so the work spans several windows) fill
# the catalog. Checks: 429s no more than the windows elapsed (0 expected: the budget
# learns each window from the answers and stops before it is spent); the requests spread
# over each window (at most ~1.5 x the even pace in any 1-s slice, where a burst would
# send a window's 60 at once); every id active, each fetched once. Then a 429 forced by
# the fake (remaining=0: Retry-After to the window's end) must pause the whole fleet:
# at most one more 429.
. "$(dirname "$0")/lib.sh"
need jq:jq

N=${DECL_BUDGET_N:-900}
LIMIT=60
WINDOW_S=6
repos_fixture decl_budget --repos "$N" --limit "$LIMIT" --window "${WINDOW_S}s" --seed 11
export FRESHET_SOURCE=repos FRESHET_IDLE_POLL=50ms \
    FRESHET_HEARTBEAT=500ms FRESHET_RETRY_BASE=100ms FRESHET_BATCH=5
repos_get() { curl -sf --max-time 30 "$REPOS_BASE_URL$1"; }

# A sampler: "unix-ms requests-so-far 429s-so-far" every 100 ms while the fleet runs.
sampler() {
    while :; do
        repos_get /_test/stats |
            jq -r --arg t "$(date +%s%3N)" '"\($t) \([.requests[][]] | add // 0) \(.rate_limited)"'
        sleep 0.1
    done
}
start_bg sampler sampler
sampler_pid=$T_LAST_PID
t0=$(date +%s%3N)
start_bg scout "$FRESHET_BIN/freshet-scout" --once
# The refresher promotes the retries of throttled batches.
start_bg refr env FRESHET_REFRESH_PASS=300ms "$FRESHET_BIN/freshet-refresher"
for i in 1 2; do
    start_bg "proc$i" "$FRESHET_BIN/freshet-processor" --worker-id "decl-budget-$i"
done
all_active() { [ "$(count_status active)" = "$N" ]; }
# The budget allows 10 requests a second: 900 ids in batches of 5 and 9 pages take ~19 s.
check "every repository active" wait_for 120 all_active
elapsed_ms=$(( $(date +%s%3N) - t0 ))
kill "$sampler_pid" 2>/dev/null
stats=$(repos_get /_test/stats)
windows=$(( (elapsed_ms + WINDOW_S * 1000 - 1) / (WINDOW_S * 1000) ))
r429=$(printf '%s' "$stats" | jq .rate_limited)
requests=$(printf '%s' "$stats" | jq '[.requests[][]] | add // 0')
# The most requests in any 1-s slice: the sampler's counts 1 s (10 samples) apart.
peak=$(awk '{ t[NR] = $1; n[NR] = $2 }
    END { m = 0; j = 1
          for (i = 1; i <= NR; i++) { while (t[i] - t[j] > 1000) j++
                                      if (n[i] - n[j] > m) m = n[i] - n[j] }
          print m }' "$T_DIR/sampler.log")
echo "# $N ids in $elapsed_ms ms ($windows windows of ${WINDOW_S}s): $requests requests," \
    "$r429 429s, at most $peak requests in a 1-s slice (even pace: $(( LIMIT / WINDOW_S )))"
expect_le "429s no more than the windows elapsed" "$r429" "$windows"
expect_le "no 429 at all in a steady run" "$r429" 0
expect_le "requests spread: at most 15 in any 1-s slice" "$peak" 15
expect_eq "each repository fetched once" "1 $N" \
    "$(printf '%s' "$stats" | jq -r '"\(.fetched_max) \(.fetched_unique)"')"
expect_eq "no attempt spent" 0 "$(sql "SELECT coalesce(max(attempts), 0) FROM items")"

# A forced 429 (the fake says the window is spent; Retry-After: to its end) pauses every
# process of the fleet: none sends until then, so no 429 follows it.
mark=$(sql "SELECT now()")
sql "UPDATE items SET status = 'pending_processing', next_update_due = now()
     WHERE source = 'repos' AND id::int <= 60" >/dev/null
before=$(repos_get /_test/stats | jq .rate_limited)
repos_get "/_test/config?remaining=0" >/dev/null
rcli RPUSH 'freshet:{repos}:queue' $(seq 1 60) >/dev/null
refetched() { [ "$(sql "SELECT count(*) FROM items WHERE source = 'repos'
                        AND last_updated > '$mark' AND status = 'active'")" = 60 ]; }
check "the pushed ids are fetched again after the pause" wait_for 60 refetched
after=$(repos_get /_test/stats | jq .rate_limited)
echo "# forced 429: $(( after - before )) 429s until the 60 ids were fetched again"
expect_le "the forced 429 paused the whole fleet: at most one 429" "$(( after - before ))" 1
finish
