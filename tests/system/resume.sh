#!/usr/bin/env bash
# System test (issue e): the scout's backfill cursor. Discovery of a 3,000 catalog is
# slowed down (200 ms a page, one page at a time); the scout is killed -9 once its
# persisted cursor passed page 3 and restarted. It must resume at the saved page, not
# re-read the early pages (the fake counts /deal requests), and every id must end
# discovered exactly once - and, after recovery and a processor pass, active.
. "$(dirname "$0")/lib.sh"

N=3000
PAGES=21   # 20 full pages of 150 and the empty one that ends the listing
P='freshet:{keepa}:'
fresh_db resume
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
start_fake --products "$N" --key test:200000 --minute-ms 1000 --change-period-ms 100000000000 \
    --latency-ms 200 || exit 1
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_SCOUT_AHEAD=1 FRESHET_RETRY_BASE=100ms

cursor() { sql "SELECT coalesce((SELECT (cursor->>'page')::int FROM scout_cursors WHERE source = 'keepa' AND name = 'deal'), -1)"; }
queue_ids() { { rcli LRANGE "${P}queue:hot" 0 -1; rcli LRANGE "${P}queue" 0 -1; } | grep -v '^$'; }
cursor_at_least() { [ "$(cursor)" -ge "$1" ]; }

start_bg scout1 "$FRESHET_BIN/freshet-scout" --once
S1=$T_LAST_PID
check "the cursor reaches page 3 within 30 s" wait_for 30 cursor_at_least 3
kill -KILL "$S1"
exits_within 5 "$S1" 2>/dev/null
expect_eq "scout killed by SIGKILL" 137 "$T_EXIT"
C=$(cursor)
rows_at_kill=$(sql "SELECT count(*) FROM items")
echo "# killed at cursor page $C with $rows_at_kill rows"
expect_le "the killed scout had not finished" "$C" $((PAGES - 2))
expect_le "the cursor covers the stored pages (rows >= 150 x cursor)" $((150 * C)) "$rows_at_kill"
deals_before=$(jget "$(fake_get /stats)" requests,deal | tr -d '{}"' | tr ',' '\n' | awk -F: '{ s += $2 } END { print s + 0 }')

start_bg scout2 "$FRESHET_BIN/freshet-scout" --once
S2=$T_LAST_PID
exits_within 60 "$S2"
expect_eq "restarted scout --once exits 0" 0 "$T_EXIT"
expect_match "restarted scout logs resuming at the saved page" "resuming discovery at page $C\\b" \
    "$(cat "$T_DIR/scout2.log")"
expect_match "its pass completes" "discovery pass complete" "$(cat "$T_DIR/scout2.log")"
expect_eq "a complete pass resets the cursor to page 0" 0 "$(cursor)"

deals=$(jget "$(fake_get /stats)" requests,deal | tr -d '{}"' | tr ',' '\n' | awk -F: '{ s += $2 } END { print s + 0 }')
echo "# /deal requests: $deals_before before the kill, $deals in all ($PAGES pages)"
expect_le "early pages were not requested again (deal requests <= pages + 2)" "$deals" $((PAGES + 2))
expect_le "the restart requested only the rest (<= pages - cursor + 1)" $((deals - deals_before)) $((PAGES - C + 1))
expect_le "every page was requested" "$PAGES" "$deals"

expect_eq "$N rows, each id once" "$N" "$(sql "SELECT count(DISTINCT id) FROM items")"
expect_eq "$N rows in all" "$N" "$(sql "SELECT count(*) FROM items")"
expect_eq "all pending" "$N" "$(count_status pending_processing)"
# Enqueued at most once each (the queue holds no id twice)...
queue_ids >"$T_DIR/q.txt"
expect_eq "no id enqueued twice" "$(sort "$T_DIR/q.txt" | uniq | wc -l)" "$(wc -l <"$T_DIR/q.txt")"
queued=$(wc -l <"$T_DIR/q.txt")
echo "# $queued of $N ids queued after the restart"
# ...and a recovery pass enqueues whatever the kill cut off between insert and enqueue.
FRESHET_RECOVER_AFTER=0s "$FRESHET_BIN/freshet-refresher" --once >"$T_DIR/refresher.log" 2>&1
expect_eq "refresher --once exits 0" 0 "$?"
queue_ids >"$T_DIR/q.txt"
expect_eq "after recovery every id is queued exactly once" "$N $N" \
    "$(sort -u "$T_DIR/q.txt" | wc -l) $(wc -l <"$T_DIR/q.txt")"

timeout 60 "$FRESHET_BIN/freshet-processor" --once >"$T_DIR/processor.log" 2>&1
expect_eq "processor --once exits 0" 0 "$?"
expect_eq "all $N active" "$N" "$(count_status active)"
expect_eq "each asin fetched once" "1 $N" "$(fake_stat asins_served_max) $(fake_stat products_served)"

finish
