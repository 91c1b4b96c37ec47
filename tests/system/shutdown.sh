#!/usr/bin/env bash
# System test: SIGTERM (DESIGN.md invariant 5). Each daemon is stopped while it works -
# the scout mid-pass, the processor with batches in flight (the fake answers in 500 ms),
# the refresher between passes, and a processor whose requests hang (the fake never
# answers) - and must exit 0 within FRESHET_GRACE (default 8 s). Afterwards, with a
# refresher to reap and recover, every id must still end active: nothing lost, and
# nothing fetched twice.
. "$(dirname "$0")/lib.sh"

N=3000
GRACE=8
P='freshet:{keepa}:'
fresh_db shutdown
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
start_fake --products "$N" --key test:200000 --minute-ms 1000 --change-period-ms 100000000000 \
    --latency-ms 500 --timeout-hold-ms 60000 || exit 1
unset FRESHET_GRACE   # the default is under test
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_REFRESH_PASS=300ms FRESHET_RETRY_BASE=100ms \
    FRESHET_LEASE=10s FRESHET_HTTP_TIMEOUT=9s

cursor() { sql "SELECT coalesce((SELECT (cursor->>'page')::int FROM scout_cursors WHERE source = 'keepa' AND name = 'deal'), -1)"; }
cursor_at_least() { [ "$(cursor)" -ge "$1" ]; }
at_least_active() { [ "$(count_status active)" -ge "$1" ]; }
batch_keys() { rcli --scan --pattern "${P}batch:*" | grep -c . ; }
has_batches() { [ "$(batch_keys)" -gt 0 ]; }

# term NAME PID: SIGTERM, then expects exit 0 within the grace period.
term() {
    kill -TERM "$2"
    exits_within "$GRACE" "$2"
    echo "# $1 exited ($T_EXIT) ${T_WAITED_MS} ms after SIGTERM"
    expect_eq "$1 exits 0 within ${GRACE} s of SIGTERM" 0 "$T_EXIT"
    [ "$T_EXIT" = timeout ] && kill -KILL "$2" 2>/dev/null
}

# 0. A scout held back by the queue's high-water mark (its own source, so the rest of
# the test does not see its rows).
start_bg scout_bp env FRESHET_SOURCE=bp FRESHET_QUEUE_HIGH_WATER=100 "$FRESHET_BIN/freshet-scout"
BP=$T_LAST_PID
bp_rows() { [ "$(sql "SELECT count(*) FROM items WHERE source = 'bp'")" -gt 0 ]; }
check "the backpressured scout stored its first pages" wait_for 20 bp_rows
sleep 1.5
bp=$(sql "SELECT count(*) FROM items WHERE source = 'bp'")
expect_le "it waits above the high-water mark (rows stored)" "$bp" $((150 * 4))
term "scout waiting on backpressure" "$BP"
sql "DELETE FROM items WHERE source = 'bp'" >/dev/null

# 1. The scout, mid-pass (21 pages of 500 ms, 4 at a time).
start_bg scout "$FRESHET_BIN/freshet-scout"
check "the scout is paging (cursor >= 2) within 20 s" wait_for 20 cursor_at_least 2
term scout "$T_LAST_PID"
C=$(cursor)
rows=$(sql "SELECT count(*) FROM items")
echo "# scout stopped at cursor page $C with $rows rows"
expect_le "the scout stopped before the end of the listing" "$C" 19
expect_le "the pages behind the saved cursor are stored" $((150 * C)) "$rows"
expect_match "the scout logged its stop" "discovery pass (paused|stopped early)|stopped after" \
    "$(cat "$T_DIR/scout.log")"
start_bg scout2 "$FRESHET_BIN/freshet-scout" --once
exits_within 60 "$T_LAST_PID"
expect_eq "a new scout --once resumes and completes" 0 "$T_EXIT"
expect_eq "all $N ids discovered" "$N" "$(sql "SELECT count(*) FROM items")"

# 2. The processor with batches in flight (4 x 50 ids, 500 ms each).
start_bg proc1 env FRESHET_BATCH=50 FRESHET_CONCURRENCY=4 "$FRESHET_BIN/freshet-processor"
PROC1=$T_LAST_PID
check "the processor is working (>= 200 active) within 20 s" wait_for 20 at_least_active 200
check "it holds batches in flight" has_batches
term processor "$PROC1"
act1=$(count_status active)
echo "# $act1 active after the first processor stopped"
expect_le "it stopped before the queue was done" "$act1" $((N - 200))
expect_eq "it finished or handed back every batch (no batch key left)" 0 "$(batch_keys)"
expect_eq "no row is left claimed" 0 \
    "$(sql "SELECT count(*) FROM items WHERE claimed_until > now()")"
expect_eq "what it did not finish is still pending and queued" "$((N - act1)) $((N - act1))" \
    "$(count_status pending_processing) $(( $(rcli LLEN "${P}queue:hot") + $(rcli LLEN "${P}queue") + $(rcli ZCARD "${P}delayed") ))"

# 3. The refresher, between passes.
start_bg refresher "$FRESHET_BIN/freshet-refresher"
sleep 1
term refresher "$T_LAST_PID"

# 4. A processor whose requests hang: the grace period must cut them off.
fake_get "/_fake/config?fail_timeout=1" >/dev/null
start_bg proc2 env FRESHET_BATCH=50 FRESHET_CONCURRENCY=4 "$FRESHET_BIN/freshet-processor"
PROC2=$T_LAST_PID
check "the processor has batches in flight within 10 s" wait_for 10 has_batches
sleep 0.5
term "processor with hanging requests" "$PROC2"
fake_get "/_fake/config?fail_timeout=0" >/dev/null
echo "# after it: $(batch_keys) batch keys held, $(rcli ZCARD "${P}delayed") ids delayed," \
    "$(count_status pending_processing) pending, $(sql "SELECT count(*) FROM items WHERE claimed_until > now()") claimed"
expect_eq "no id was failed by the shutdown" 0 "$(count_status failed)"
# Cutting requests off at the end of the grace period is the worker's doing, not the
# item's: the work is handed back, and no try is counted against FRESHET_MAX_ATTEMPTS
# (else a few restarts during a slow upstream would fail healthy items for good).
expect_eq "work cut off by the grace period is handed back without counting an attempt" 0 \
    "$(sql "SELECT count(*) FROM items WHERE attempts > 0")"
echo "# attempts counted for the cut-off work: $(sql "SELECT coalesce(string_agg(n || ' x attempts=' || a || ' ' || left(coalesce(last_error, '-'), 60) || '...', '; '), 'none')
    FROM (SELECT attempts a, left(last_error, 60) last_error, count(*) n FROM items WHERE attempts > 0 GROUP BY 1, 2) s")"

# 5. Recovery: a refresher reaps what the stopped processor held, a processor finishes.
start_bg refresher2 "$FRESHET_BIN/freshet-refresher"
REFR=$T_LAST_PID
start_bg proc3 "$FRESHET_BIN/freshet-processor"
PROC3=$T_LAST_PID
check "every id ends active within 60 s (nothing lost)" wait_for 60 rows_are "$N" active
expect_eq "nothing failed" 0 "$(sql "SELECT count(*) FROM items WHERE status <> 'active'")"
expect_eq "one history row per item" "$N" "$(sql "SELECT count(*) FROM item_history")"
fake_get /stats >"$T_DIR/stats.json"
expect_eq "each asin served once in all (no work redone)" "1 $N" \
    "$(jsql "$T_DIR/stats.json" "SELECT (:'j'::jsonb->>'asins_served_max') || ' ' || (:'j'::jsonb->>'products_served')")"
echo "# fake faults: $(jsql "$T_DIR/stats.json" "SELECT :'j'::jsonb->>'faults'")"
term "recovery processor" "$PROC3"
term "recovery refresher" "$REFR"

finish
