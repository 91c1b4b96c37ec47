#!/usr/bin/env bash
# System test (issue a): the whole pipeline from an empty database to a catalog of
# 5,000 active products, with one scout (--once), one processor and one refresher as
# separate processes against the fake Keepa. Checks the row count and statuses, that
# nothing was fetched twice (the fake's own counters), that payloads hold the fake's
# truth for a sample of products, that history was written, and prints the throughput.
. "$(dirname "$0")/lib.sh"

N=5000
fresh_db pipeline
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }

# Plenty of tokens (the budget is not under test here), prices that do not move while
# the test runs (so "served once" and "payload = truth" are well defined).
start_fake --products "$N" --key test:200000 --minute-ms 1000 --change-period-ms 100000000000 ||
    exit 1
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_REFRESH_PASS=300ms FRESHET_RETRY_BASE=100ms

t0=$(now_ms)
start_bg processor "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
start_bg refresher "$FRESHET_BIN/freshet-refresher"
REFR=$T_LAST_PID
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout.log" 2>&1
expect_eq "scout --once exits 0" 0 "$?"
t_scout=$(now_ms)

check "all $N ids become active within 90 s" wait_for 90 rows_are "$N" active
t1=$(now_ms)
ms=$((t1 - t0))
[ "$ms" -gt 0 ] || ms=1
echo "# discovery took $((t_scout - t0)) ms; $N items active in $ms ms:" \
    "$((N * 1000 / ms)) items/s end to end"

expect_eq "exactly $N rows" "$N" "$(sql "SELECT count(*) FROM items")"
expect_eq "all rows active" "$N" "$(count_status active)"
expect_eq "no duplicate (source, id)" "$N" "$(sql "SELECT count(DISTINCT (source, id)) FROM items")"
expect_eq "every row has a payload naming its own asin" 0 \
    "$(sql "SELECT count(*) FROM items WHERE payload IS NULL OR payload->>'asin' <> id")"
expect_eq "the ids are exactly the fake's catalog" "$N" \
    "$(sql "SELECT count(*) FROM items WHERE id ~ '^B0[0-9A-Z]{8}$'")"
expect_eq "nothing failed, nothing left with an error" 0 \
    "$(sql "SELECT count(*) FROM items WHERE status = 'failed' OR last_error IS NOT NULL")"
hist=$(sql "SELECT count(*) FROM item_history")
expect_le "history rows written for every item" "$N" "$hist"
expect_eq "every item has a history row" "$N" "$(sql "SELECT count(DISTINCT id) FROM item_history")"
# DESIGN.md "PostgreSQL": what every Keepa payload holds at least.
expect_eq "every payload has the fields DESIGN.md requires" 0 \
    "$(sql "SELECT count(*) FROM items WHERE NOT (payload ?& array['asin', 'title', 'brand',
        'price_amazon', 'price_new', 'buybox_seller_id', 'last_price_change', 'analysis'])
        OR NOT (payload->'analysis' ?& array['avg90', 'drop_pct_90d'])
        OR (payload->>'last_price_change') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z$'")"
expect_eq "every buy-box seller was looked up (payload.seller.id)" 0 \
    "$(sql "SELECT count(*) FROM items WHERE payload->>'buybox_seller_id' IS NOT NULL
        AND payload#>>'{seller,id}' IS DISTINCT FROM payload->>'buybox_seller_id'")"
expect_eq "next_update_due lies in the future for every active row" 0 \
    "$(sql "SELECT count(*) FROM items WHERE next_update_due IS NULL OR next_update_due <= last_updated")"
expect_eq "no dead letters" 0 "$(rcli LLEN 'freshet:{keepa}:dead')"

# The fake's counters, read before the sample below adds requests of its own.
fake_get /stats >"$T_DIR/stats.json"
expect_eq "fake served $N products in all" "$N" "$(jsql "$T_DIR/stats.json" "SELECT :'j'::jsonb->>'products_served'")"
expect_eq "fake served $N distinct asins" "$N" "$(jsql "$T_DIR/stats.json" "SELECT :'j'::jsonb->>'asins_served_unique'")"
expect_eq "no asin was served twice (asins_served_max)" 1 "$(jsql "$T_DIR/stats.json" "SELECT :'j'::jsonb->>'asins_served_max'")"
deals=$(jsql "$T_DIR/stats.json" "SELECT coalesce((:'j'::jsonb #>> '{requests,deal,200}')::int, 0)")
pages=$(( N / 150 + 1 ))   # the last one short
# The scout reads FRESHET_SCOUT_AHEAD (4) pages ahead, so up to 3 past the end.
expect_le "deal pages requested once each (+ read-ahead past the end)" "$deals" $((pages + 3))
expect_le "every deal page was requested" "$pages" "$deals"

# Payload vs the fake's truth for a sample: 100 ids spread over the catalog, fetched
# from the fake in one request and compared in SQL.
sample=$(sql "SELECT string_agg(id, ',' ORDER BY id) FROM (SELECT id FROM items ORDER BY md5(id) LIMIT 100) s")
fake_get "/product?key=test&domain=1&stats=90&asin=$sample" >"$T_DIR/truth.json"
compare="WITH t AS (SELECT e FROM jsonb_array_elements(:'j'::jsonb->'products') e),
  truth AS (SELECT e->>'asin' AS id, e->>'title' AS title, e->>'brand' AS brand,
     to_timestamp(((e->>'lastPriceChange')::bigint + 21564000) * 60) AS changed,
     CASE WHEN (e#>>'{stats,current,0}')::int >= 0 THEN (e#>>'{stats,current,0}')::int END AS amazon,
     CASE WHEN (e#>>'{stats,current,1}')::int >= 0 THEN (e#>>'{stats,current,1}')::int END AS new,
     nullif(nullif(coalesce(e#>>'{stats,buyBoxSellerId}',
              e->'buyBoxSellerIdHistory'->>(jsonb_array_length(e->'buyBoxSellerIdHistory') - 1)),
       '-1'), '-2') AS seller FROM t)"  # Keepa: "-1" no seller, "-2" unknown
expect_eq "the fake answered for the whole sample" 100 \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT count(*) FROM truth JOIN items i USING (id)")"
expect_eq "sample: title equals the fake's" 0 \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT count(*) FROM truth JOIN items i USING (id)
        WHERE i.payload->>'title' IS DISTINCT FROM truth.title")"
expect_eq "sample: brand equals the fake's" 0 \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT count(*) FROM truth JOIN items i USING (id)
        WHERE i.payload->>'brand' IS DISTINCT FROM truth.brand")"
expect_eq "sample: last_price_change is the fake's lastPriceChange (Keepa minutes -> UTC)" 0 \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT count(*) FROM truth JOIN items i USING (id)
        WHERE (i.payload->>'last_price_change')::timestamptz IS DISTINCT FROM truth.changed")"
expect_eq "sample: price_amazon equals the fake's current Amazon price (null for none)" 0 \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT count(*) FROM truth JOIN items i USING (id)
        WHERE (i.payload->>'price_amazon')::int IS DISTINCT FROM truth.amazon")"
expect_eq "sample: price_new equals the fake's current new price" 0 \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT count(*) FROM truth JOIN items i USING (id)
        WHERE (i.payload->>'price_new')::int IS DISTINCT FROM truth.new")"
expect_eq "sample: buybox_seller_id equals the fake's" 0 \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT count(*) FROM truth JOIN items i USING (id)
        WHERE i.payload->>'buybox_seller_id' IS DISTINCT FROM truth.seller")"
# The comparison means something only if the sample has both kinds of Amazon price.
expect_eq "sample holds products with and without an Amazon offer, and without a seller" t \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT bool_or(amazon IS NULL) AND bool_or(amazon IS NOT NULL)
        AND bool_or(seller IS NULL) AND bool_or(seller IS NOT NULL) FROM truth")"
expect_eq "sample: the history row holds the stored prices" 0 \
    "$(jsql "$T_DIR/truth.json" "$compare SELECT count(*) FROM truth
        WHERE NOT EXISTS (SELECT 1 FROM item_history h WHERE h.id = truth.id
          AND h.price_amazon IS NOT DISTINCT FROM truth.amazon
          AND h.price_new IS NOT DISTINCT FROM truth.new)")"

# The daemons are still healthy, and a SIGTERM ends them cleanly.
check "processor still running" kill -0 "$PROC"
check "refresher still running" kill -0 "$REFR"
kill -TERM "$PROC" "$REFR"
exits_within 10 "$PROC"
expect_eq "processor exits 0 on SIGTERM" 0 "$T_EXIT"
exits_within 10 "$REFR"
expect_eq "refresher exits 0 on SIGTERM" 0 "$T_EXIT"
expect_eq "no error logged by any worker" "" \
    "$(grep -h '"level":"error"' "$T_DIR"/processor.log "$T_DIR"/refresher.log "$T_DIR"/scout.log | head -n 3)"

finish
