#!/usr/bin/env bash
# System test (issue c): adaptive refresh (FRESHET_REFRESH_POLICY=adaptive; the budget
# policy has its own test). A catalog of 200 whose prices never move on
# their own is discovered and processed; then every row is made due and a processor and
# a refresher run as daemons. Each item must be re-fetched once, an unchanged record
# must add no history row and its refresh_interval must grow (x 1.4); a record whose
# price the fake changed (/_fake/bump) must get a new history row with the new price
# and a shorter interval (x 0.8). Finally a scout pass over /deal must make a known id
# whose deal is newer than our data (another price) due now - and only those - and a
# refresher and processor pass must then re-fetch them.
. "$(dirname "$0")/lib.sh"

N=200
fresh_db refresh
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
start_fake --products "$N" --key test:100000 --minute-ms 1000 --change-period-ms 100000000000 ||
    exit 1
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_REFRESH_PASS=300ms FRESHET_RETRY_BASE=100ms \
    FRESHET_REFRESH_MIN=2s FRESHET_REFRESH_MAX=60s FRESHET_REFRESH_POLICY=adaptive
ids_in() { sql "SELECT string_agg(id, ',' ORDER BY id) FROM items WHERE id IN ($1)"; }
# served COUNT IDS...: every id was served COUNT times in all (from /stats?asins=1).
served_counts() {
    fake_get "/stats?asins=1" >"$T_DIR/served.json"
    jsql "$T_DIR/served.json" "SELECT coalesce(string_agg(DISTINCT v, ','), '') FROM
        jsonb_each_text(:'j'::jsonb->'asins') a(k, v) WHERE k = ANY (string_to_array('$1', ','))"
}

# 1. Discover and process everything.
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout1.log" 2>&1
expect_eq "scout --once exits 0" 0 "$?"
timeout 60 "$FRESHET_BIN/freshet-processor" --once >"$T_DIR/proc1.log" 2>&1
expect_eq "processor --once exits 0" 0 "$?"
expect_eq "all $N active" "$N" "$(count_status active)"
expect_eq "one history row per item" "$N" "$(sql "SELECT count(*) FROM item_history")"
expect_eq "fake served each product once" "$N" "$(fake_stat products_served)"
expect_eq "initial refresh intervals lie within [2s, 60s]" 0 \
    "$(sql "SELECT count(*) FROM items WHERE refresh_interval NOT BETWEEN interval '2s' AND interval '60s'")"

# 2. Everything due now, with a known interval; nothing changed upstream.
sql "CREATE TABLE t_before AS SELECT id, content_hash, last_updated, payload FROM items" >/dev/null
sql "UPDATE items SET refresh_interval = interval '30 seconds', next_update_due = now()" >/dev/null
start_bg processor "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
start_bg refresher "$FRESHET_BIN/freshet-refresher"
REFR=$T_LAST_PID
refetched() { [ "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id)
    WHERE i.status = 'active' AND i.last_updated > b.last_updated")" = "$N" ]; }
check "every due item is re-fetched within 20 s" wait_for 20 refetched
sleep 0.5
expect_eq "fake served every product a second time" $((2 * N)) "$(fake_stat products_served)"
expect_eq "and each exactly twice" 2 "$(fake_stat asins_served_max)"
expect_eq "unchanged records keep their content hash" 0 \
    "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id) WHERE i.content_hash IS DISTINCT FROM b.content_hash")"
expect_eq "unchanged records add no history row" "$N" "$(sql "SELECT count(*) FROM item_history")"
expect_eq "unchanged records: refresh_interval grew 30 s -> 42 s (x 1.4)" "$N" \
    "$(sql "SELECT count(*) FROM items WHERE refresh_interval = interval '42 seconds'")"
expect_eq "next_update_due = last_updated + the new interval" 0 \
    "$(sql "SELECT count(*) FROM items WHERE abs(extract(epoch FROM next_update_due - last_updated) - 42) > 1")"
expect_eq "nothing left pending or failed" "$N" "$(count_status active)"

# 3. Change 10 products upstream; make them and 10 unchanged controls due.
BUMPED=$(sql "SELECT string_agg(id, ',' ORDER BY id) FROM (SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 20) s")
CONTROL=$(sql "SELECT string_agg(id, ',' ORDER BY id) FROM (SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 40) s")
inlist() { echo "'${1//,/\',\'}'"; }
bumped_json=$(fake_get "/_fake/bump?asin=$BUMPED")
printf '%s' "$bumped_json" >"$T_DIR/bumped.json"
expect_eq "the fake bumped all 10" 10 "$(jsql "$T_DIR/bumped.json" "SELECT jsonb_array_length(:'j'::jsonb->'bumped')")"
# The fake's truth after the bump: the new "new" price of each bumped product.
truth=""
for id in ${BUMPED//,/ }; do
    p=$(jget "$(fake_get "/stats?asin=$id")" price)
    truth="$truth('$id', $p),"
done
sql "CREATE TABLE t_truth (id text, price int); INSERT INTO t_truth VALUES ${truth%,}" >/dev/null
expect_eq "the bump changed every bumped product's price" 0 \
    "$(sql "SELECT count(*) FROM t_truth t JOIN items i USING (id)
        WHERE nullif(t.price, -1) IS NOT DISTINCT FROM (i.payload->>'price_new')::int")"
sql "DROP TABLE t_before; CREATE TABLE t_before AS SELECT id, content_hash, last_updated, refresh_interval FROM items;
     UPDATE items SET next_update_due = now() WHERE id IN ($(inlist "$BUMPED"),$(inlist "$CONTROL"))" >/dev/null
served_before=$(fake_stat products_served)
refetched20() { [ "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id)
    WHERE i.status = 'active' AND i.last_updated > b.last_updated")" -ge 20 ]; }
check "bumped and control items are re-fetched within 20 s" wait_for 20 refetched20
sleep 0.5
expect_eq "exactly those 20 were re-fetched" 20 "$(( $(fake_stat products_served) - served_before ))"
expect_eq "bumped products: served 3 times each" 3 "$(served_counts "$BUMPED")"
expect_eq "bumped: a new history row each" 10 \
    "$(sql "SELECT count(*) FROM (SELECT id FROM item_history WHERE id IN ($(inlist "$BUMPED"))
        GROUP BY id HAVING count(*) = 2) s")"
expect_eq "bumped: the newest history row holds the new price" 10 \
    "$(sql "SELECT count(*) FROM t_truth t JOIN LATERAL (SELECT price_new FROM item_history h
        WHERE h.id = t.id ORDER BY observed_at DESC LIMIT 1) h ON true
        WHERE h.price_new IS NOT DISTINCT FROM nullif(t.price, -1)")"
expect_eq "bumped: the payload holds the new price" 10 \
    "$(sql "SELECT count(*) FROM t_truth t JOIN items i USING (id)
        WHERE (i.payload->>'price_new')::int IS NOT DISTINCT FROM nullif(t.price, -1)")"
expect_eq "bumped: content hash changed" 10 \
    "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id)
        WHERE i.id IN ($(inlist "$BUMPED")) AND i.content_hash <> b.content_hash")"
expect_eq "bumped: refresh_interval shrank 42 s -> 33.6 s (x 0.8)" 10 \
    "$(sql "SELECT count(*) FROM items WHERE id IN ($(inlist "$BUMPED"))
        AND abs(extract(epoch FROM refresh_interval) - 33.6) < 0.01")"
expect_eq "bumped: last_changed moved to the re-fetch" 10 \
    "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id)
        WHERE i.id IN ($(inlist "$BUMPED")) AND i.last_changed > b.last_updated")"
expect_eq "controls: no new history row" 10 \
    "$(sql "SELECT count(*) FROM (SELECT id FROM item_history WHERE id IN ($(inlist "$CONTROL"))
        GROUP BY id HAVING count(*) = 1) s")"
expect_eq "controls: refresh_interval grew 42 s -> 58.8 s (x 1.4)" 10 \
    "$(sql "SELECT count(*) FROM items WHERE id IN ($(inlist "$CONTROL"))
        AND abs(extract(epoch FROM refresh_interval) - 58.8) < 0.01")"
expect_eq "history rows in all: $N + 10" $((N + 10)) "$(sql "SELECT count(*) FROM item_history")"

# A control grown once more hits FRESHET_REFRESH_MAX (58.8 x 1.4 > 60).
sql "UPDATE items SET next_update_due = now() WHERE id IN ($(inlist "$CONTROL"))" >/dev/null
capped() { [ "$(sql "SELECT count(*) FROM items WHERE id IN ($(inlist "$CONTROL"))
    AND refresh_interval = interval '60 seconds'")" = 10 ]; }
check "intervals are capped at FRESHET_REFRESH_MAX (60 s)" wait_for 20 capped

kill -TERM "$PROC" "$REFR"
exits_within 10 "$PROC"
expect_eq "processor exits 0 on SIGTERM" 0 "$T_EXIT"
exits_within 10 "$REFR"
expect_eq "refresher exits 0 on SIGTERM" 0 "$T_EXIT"

# 4. A scout pass sees every known id again on /deal, after 10 products changed
# upstream. Those 10 deals carry data newer than ours (another price): they must become
# due now. The unchanged ones must not (else every pass would refresh the catalog).
BUMPED2=$(sql "SELECT string_agg(id, ',' ORDER BY id) FROM (SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 100) s")
CONTROL2=$(sql "SELECT string_agg(id, ',' ORDER BY id) FROM (SELECT id FROM items ORDER BY id LIMIT 10 OFFSET 150) s")
sql "UPDATE items SET next_update_due = now() + interval '1 hour'" >/dev/null
fake_get "/_fake/bump?asin=$BUMPED2" >/dev/null
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout2.log" 2>&1
expect_eq "second scout pass exits 0" 0 "$?"
expect_eq "no new rows from the second pass" "$N" "$(sql "SELECT count(*) FROM items")"
expect_eq "known ids seen with newer data became due (next_update_due <= now)" 10 \
    "$(sql "SELECT count(*) FROM items WHERE id IN ($(inlist "$BUMPED2")) AND next_update_due <= now()")"
expect_eq "unchanged known ids did not (controls)" 0 \
    "$(sql "SELECT count(*) FROM items WHERE id IN ($(inlist "$CONTROL2")) AND next_update_due <= now()")"
expect_eq "nothing else in the catalog became due" 10 \
    "$(sql "SELECT count(*) FROM items WHERE next_update_due <= now()")"
expect_match "the scout reports marking exactly those due" '[^0-9]10 known ids marked due' \
    "$(cat "$T_DIR/scout2.log")"

# ...and a refresher pass plus a processor pass pick them up: a new history row each.
"$FRESHET_BIN/freshet-refresher" --once >"$T_DIR/refresher2.log" 2>&1
expect_eq "refresher --once exits 0" 0 "$?"
timeout 60 "$FRESHET_BIN/freshet-processor" --once >"$T_DIR/proc2.log" 2>&1
expect_eq "processor --once exits 0" 0 "$?"
expect_eq "the ids the scout made due were re-fetched, each with a new history row" 10 \
    "$(sql "SELECT count(*) FROM items i WHERE id IN ($(inlist "$BUMPED2")) AND i.status = 'active'
        AND i.last_updated > now() - interval '1 minute'
        AND (SELECT count(*) FROM item_history h WHERE h.id = i.id) = 2")"
finish
