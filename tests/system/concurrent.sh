#!/usr/bin/env bash
# System test (issue d): workers in parallel. Two scouts (--once, started together)
# discover a catalog of 3,000; then every id is queued a second time by an operator
# while its row is still pending, and two processors (daemons, with a refresher for
# retries) work the queue. One row per id, all active, and the fake's counters show
# each ASIN fetched exactly once (DESIGN.md invariants 2 and 3).
. "$(dirname "$0")/lib.sh"

N=3000
P='freshet:{keepa}:'
fresh_db concurrent
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
# A little latency keeps many batches in flight at once, so the two processors and the
# duplicates really overlap.
start_fake --products "$N" --key test:200000 --minute-ms 1000 --change-period-ms 100000000000 \
    --latency-ms 50 --latency-jitter-ms 50 || exit 1
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_REFRESH_PASS=300ms FRESHET_RETRY_BASE=100ms FRESHET_BATCH=20 FRESHET_CONCURRENCY=8 \
    FRESHET_LEASE=5s FRESHET_HTTP_TIMEOUT=3s   # a duplicate met in flight waits for the lease

# Two scouts at once.
start_bg scout1 "$FRESHET_BIN/freshet-scout" --once
S1=$T_LAST_PID
start_bg scout2 "$FRESHET_BIN/freshet-scout" --once
S2=$T_LAST_PID
exits_within 60 "$S1"
expect_eq "scout 1 exits 0" 0 "$T_EXIT"
exits_within 60 "$S2"
expect_eq "scout 2 exits 0" 0 "$T_EXIT"
expect_eq "$N rows after two scouts" "$N" "$(sql "SELECT count(*) FROM items")"
expect_eq "all pending" "$N" "$(count_status pending_processing)"
expect_eq "each id enqueued once by the two scouts" "$N" \
    "$(( $(rcli LLEN "${P}queue:hot") + $(rcli LLEN "${P}queue") ))"
expect_eq "the queued set holds each id once" "$N" "$(rcli SCARD "${P}queued")"
inserted=$(cat "$T_DIR/scout1.log" "$T_DIR/scout2.log" |
    sed -n 's/.* \([0-9][0-9]*\) new ids inserted.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
expect_eq "the two scouts' inserts add up to $N (none counted twice)" "$N" "$inserted"

# Every id a second time, by an operator, while pending; newest first so the copies
# meet their originals while those are in flight.
sql "SELECT id FROM items ORDER BY id DESC" | split -l 500 - "$T_DIR/dup."
for f in "$T_DIR"/dup.*; do
    # shellcheck disable=SC2046 # one argument per id
    rcli RPUSH "${P}queue" $(cat "$f") >/dev/null
done
expect_eq "the queue now holds every id twice" $((2 * N)) \
    "$(( $(rcli LLEN "${P}queue:hot") + $(rcli LLEN "${P}queue") ))"

t0=$(now_ms)
start_bg proc1 "$FRESHET_BIN/freshet-processor"
P1=$T_LAST_PID
start_bg proc2 "$FRESHET_BIN/freshet-processor"
P2=$T_LAST_PID
start_bg refresher "$FRESHET_BIN/freshet-refresher"
REFR=$T_LAST_PID
check "all $N active within 60 s" wait_for 60 rows_are "$N" active
echo "# $N active in $(( $(now_ms) - t0 )) ms with two processors"
drained() {
    [ "$(rcli LLEN "${P}queue")" = 0 ] && [ "$(rcli LLEN "${P}queue:hot")" = 0 ] &&
        [ "$(rcli ZCARD "${P}delayed")" = 0 ] && [ "$(rcli SCARD "${P}queued")" = 0 ]
}
check "queues, retries and the queued set drain within 20 s" wait_for 20 drained
echo "# left in redis: queue $(rcli LLEN "${P}queue"), queue:hot $(rcli LLEN "${P}queue:hot")," \
    "delayed $(rcli ZCARD "${P}delayed"), queued $(rcli SCARD "${P}queued")"

expect_eq "exactly $N rows" "$N" "$(sql "SELECT count(*) FROM items")"
expect_eq "no duplicate (source, id)" "$N" "$(sql "SELECT count(DISTINCT (source, id)) FROM items")"
expect_eq "all active" "$N" "$(count_status active)"
expect_eq "one history row per item (no snapshot written twice)" "$N" \
    "$(sql "SELECT count(*) FROM item_history")"
fake_get /stats >"$T_DIR/stats.json"
expect_eq "fake served $N products in all" "$N" "$(jsql "$T_DIR/stats.json" "SELECT :'j'::jsonb->>'products_served'")"
expect_eq "fake served $N distinct asins" "$N" "$(jsql "$T_DIR/stats.json" "SELECT :'j'::jsonb->>'asins_served_unique'")"
expect_eq "no asin served twice (asins_served_max)" 1 "$(jsql "$T_DIR/stats.json" "SELECT :'j'::jsonb->>'asins_served_max'")"
deals=$(jsql "$T_DIR/stats.json" "SELECT coalesce((:'j'::jsonb #>> '{requests,deal,200}')::int, 0)")
expect_le "deal pages: at most (21 pages + read-ahead) per scout" "$deals" $((2 * (21 + 3)))
expect_eq "no dead letters" 0 "$(rcli LLEN "${P}dead")"
# Both processors took part (otherwise this test did not test concurrency).
check "processor 1 still running" kill -0 "$P1"
check "processor 2 still running" kill -0 "$P2"
kill -TERM "$P1" "$P2" "$REFR"
exits_within 10 "$P1"
expect_eq "processor 1 exits 0" 0 "$T_EXIT"
exits_within 10 "$P2"
expect_eq "processor 2 exits 0" 0 "$T_EXIT"
exits_within 10 "$REFR"
expect_eq "refresher exits 0" 0 "$T_EXIT"
a1=$(sed -n 's/.*stopped: \([0-9][0-9]*\) active.*/\1/p' "$T_DIR/proc1.log")
a2=$(sed -n 's/.*stopped: \([0-9][0-9]*\) active.*/\1/p' "$T_DIR/proc2.log")
echo "# processor 1 made ${a1:-?} items active, processor 2 ${a2:-?}"
for w in proc1 proc2; do
    echo "# $w: $(grep -o 'stopped: [^"]*' "$T_DIR/$w.log")"
done
expect_eq "the processors' active counts add up to $N" "$N" "$(( ${a1:-0} + ${a2:-0} ))"
check "both processors did work" test "${a1:-0}" -gt 0 -a "${a2:-0}" -gt 0

finish
