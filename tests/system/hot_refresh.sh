#!/usr/bin/env bash
# System test (issue 15, deliverable 2): a refresh that finds nothing new costs
# PostgreSQL almost nothing. A catalog of 300 whose prices never move is fetched, made
# due by an operator's UPDATE, re-queued by the refresher and fetched again:
# - the refresher leaves the rows active and marks them in item_due; a second pass does
#   not re-queue them again, and after Redis loses them they come back after the lease;
# - the processor fetches a re-queued row although it was fetched within the dedupe
#   window, writes no history and keeps payload and content hash;
# - those writes are HOT updates of items (no new index entry);
# - item_due follows items whoever writes it (UPDATE, status change, DELETE, TRUNCATE).
. "$(dirname "$0")/lib.sh"

N=300
fresh_db hot
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
start_fake --products "$N" --key test:100000 --minute-ms 1000 --change-period-ms 100000000000 ||
    exit 1
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms FRESHET_REFRESH_MIN=1h \
    FRESHET_REFRESH_MAX=2h FRESHET_REFRESH_PER_PASS=100000 FRESHET_QUEUE_LOW_WATER=1000000 \
    FRESHET_TOKEN_RESERVE=0 FRESHET_LEASE=3s
Q='freshet:{keepa}:'
mirrored() { # rows where item_due and items disagree (active rows only, both ways)
    sql "SELECT count(*) FROM items i FULL JOIN item_due d USING (source, id)
         WHERE (i.status = 'active') IS DISTINCT FROM (d.id IS NOT NULL)
            OR (d.id IS NOT NULL AND (d.due IS DISTINCT FROM i.next_update_due
                                      OR d.priority IS DISTINCT FROM i.priority))"
}
upd_counts() { sql "SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'items'"; }

"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout.log" 2>&1
expect_eq "scout --once exits 0" 0 "$?"
timeout 60 "$FRESHET_BIN/freshet-processor" --once >"$T_DIR/proc1.log" 2>&1
expect_eq "processor --once exits 0" 0 "$?"
expect_eq "all $N active" "$N" "$(count_status active)"
expect_eq "item_due holds every active row, as items says" "$N 0" \
    "$(sql "SELECT count(*) FROM item_due") $(mirrored)"

# An operator makes everything due: the refresher sees it through item_due.
sql "UPDATE items SET next_update_due = now() - interval '1 second'" >/dev/null
expect_eq "item_due follows an operator's UPDATE of items" "$N 0" \
    "$(sql "SELECT count(*) FROM item_due WHERE due <= now()") $(mirrored)"
sql "CREATE TABLE t_before AS SELECT id, content_hash, payload::text AS p, last_updated FROM items" >/dev/null
sql "VACUUM items" >/dev/null

"$FRESHET_BIN/freshet-refresher" --once >"$T_DIR/refr1.log" 2>&1
expect_eq "refresher --once exits 0" 0 "$?"
expect_eq "it re-queues every due row" "$N" "$(rcli SCARD "${Q}queued")"
expect_eq "and leaves them active" "$N" "$(count_status active)"
expect_eq "marked in item_due" "$N" "$(sql "SELECT count(*) FROM item_due WHERE requeued_at IS NOT NULL")"
marks=$(sql "SELECT max(requeued_at) FROM item_due")
"$FRESHET_BIN/freshet-refresher" --once >"$T_DIR/refr2.log" 2>&1
expect_eq "a second pass re-queues none of them again" "$marks" "$(sql "SELECT max(requeued_at) FROM item_due")"

before=$(upd_counts)
timeout 60 "$FRESHET_BIN/freshet-processor" --once >"$T_DIR/proc2.log" 2>&1
expect_eq "processor --once exits 0" 0 "$?"
expect_eq "every re-queued row is fetched again, within the dedupe window too" "$N" \
    "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id) WHERE i.last_updated > b.last_updated")"
expect_eq "the fake served each product twice" $((2 * N)) "$(fake_stat products_served)"
expect_eq "payload and content hash kept" 0 \
    "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id)
            WHERE i.content_hash IS DISTINCT FROM b.content_hash OR i.payload::text <> b.p")"
expect_eq "no history row added" "$N" "$(sql "SELECT count(*) FROM item_history")"
expect_eq "the writes cleared the marks and moved item_due with items" "0 0 $N" \
    "$(sql "SELECT count(*) FROM item_due WHERE requeued_at IS NOT NULL") $(mirrored) \
$(sql "SELECT count(*) FROM item_due WHERE due > now()")"
# The processor's backends report their counts when they exit, a moment after it did.
read -r u0 h0 <<<"$before"
reported() { read -r u1 h1 <<<"$(upd_counts)"; [ $((u1 - u0)) -ge "$N" ]; }
wait_for 20 reported
read -r u1 h1 <<<"$(upd_counts)"
expect_eq "items rows updated by the refresh: one a product" "$N" $((u1 - u0))
# A row whose page has no room left for its new version moves (not HOT): rare at
# fillfactor 50; before 009_item_due none was HOT (next_update_due was indexed).
expect_le "at least 95% of them HOT updates (no index entry, no new row elsewhere)" \
    $(((u1 - u0) * 95 / 100)) $((h1 - h0))

# Redis loses re-queued rows: they come back once the lease has passed, not before.
sql "UPDATE items SET next_update_due = now() - interval '1 second'" >/dev/null
"$FRESHET_BIN/freshet-refresher" --once >"$T_DIR/refr3.log" 2>&1
expect_eq "re-queued again" "$N" "$(rcli SCARD "${Q}queued")"
rcli DEL "${Q}queue" "${Q}queue:hot" "${Q}queued" >/dev/null
"$FRESHET_BIN/freshet-refresher" --once >"$T_DIR/refr4.log" 2>&1
expect_eq "within the lease a pass leaves them alone" 0 "$(rcli SCARD "${Q}queued")"
sleep 3.2
"$FRESHET_BIN/freshet-refresher" --once >"$T_DIR/refr5.log" 2>&1
expect_eq "after the lease they are re-queued" "$N" "$(rcli SCARD "${Q}queued")"

# item_due follows status changes, deletes and TRUNCATE.
sql "UPDATE items SET status = 'pending_processing' WHERE id IN (SELECT id FROM items ORDER BY id LIMIT 10);
     UPDATE items SET priority = 1 WHERE id IN (SELECT id FROM items ORDER BY id DESC LIMIT 5);
     DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY id LIMIT 20 OFFSET 10)" >/dev/null
expect_eq "status change, priority and DELETE: item_due follows" "$((N - 30)) 0" \
    "$(sql "SELECT count(*) FROM item_due") $(mirrored)"
sql "UPDATE items SET status = 'active' WHERE status = 'pending_processing'" >/dev/null
expect_eq "active again: back in item_due" "$((N - 20)) 0" "$(sql "SELECT count(*) FROM item_due") $(mirrored)"
sql "TRUNCATE items" >/dev/null
expect_eq "TRUNCATE items empties item_due" 0 "$(sql "SELECT count(*) FROM item_due")"
finish
