#!/usr/bin/env bash
# System test (issue "crash recovery and fencing"): processor A fetches an item, then
# stalls (SIGSTOP) before writing; its heartbeat and claim expire, the refresher hands
# the item to processor B, the product's price changes upstream, B stores the new price.
# When A wakes with the old answer, its write is fenced off by fetch time (B's fetch
# started later): the newer result stays, and no history row is written twice.
. "$(dirname "$0")/lib.sh"

fresh_db fencing
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1
start_fake --products 10 --latency-ms 1500 --change-period-ms 100000000
ID=B000000003
export FRESHET_LEASE=3s FRESHET_HEARTBEAT=300ms FRESHET_IDLE_POLL=50ms FRESHET_SELLERS=false \
    FRESHET_REFRESH_PASS=200ms FRESHET_RECOVER_AFTER=1s FRESHET_DEDUPE_WINDOW=0s
old_price=$(curl -s --compressed "$FAKE_URL/stats?asin=$ID" | grep -o '"price": *-\{0,1\}[0-9]*' | grep -o -- '-\{0,1\}[0-9]*$')
start_bg procA "$FRESHET_BIN/freshet-processor" --worker-id proc-a
A=$T_LAST_PID
rcli RPUSH 'freshet:{keepa}:queue' "$ID" >/dev/null
# A has claimed it (its batch list holds it) and its request is in flight (the fake
# answers after 1.5 s).
claimed() { rcli HGET 'freshet:{keepa}:holding' "$ID" | grep -q ':batch:proc-a:'; }
check "processor A claims the item" wait_for 10 claimed
sleep 0.3
kill -STOP "$A"
# The fake builds its answer when its 1.5 s latency ends: wait for it to have sent A the
# old price (into A's socket buffer), then change the price upstream.
sleep 2
curl -s "$FAKE_URL/_fake/bump?asin=$ID" >/dev/null
new_price=$(curl -s --compressed "$FAKE_URL/stats?asin=$ID" | grep -o '"price": *-\{0,1\}[0-9]*' | grep -o -- '-\{0,1\}[0-9]*$')
echo "# price upstream: $old_price before A's fetch, $new_price after"
[ "$old_price" != "$new_price" ] && pass "the bump changed the price" || fail "the bump changed the price"
start_bg refresher "$FRESHET_BIN/freshet-refresher"
start_bg procB "$FRESHET_BIN/freshet-processor" --worker-id proc-b
B=$T_LAST_PID
by_b() { [ "$(sql "SELECT status = 'active' FROM items WHERE id = '$ID'")" = t ]; }
check "processor B takes the item over and stores it" wait_for 30 by_b
stored_b=$(sql "SELECT payload->>'price_amazon' || '/' || coalesce(payload->>'price_new', '') FROM items WHERE id = '$ID'")
kill -CONT "$A"
sleep 3   # A reads its old answer and tries to write it
stored=$(sql "SELECT payload->>'price_amazon' || '/' || coalesce(payload->>'price_new', '') FROM items WHERE id = '$ID'")
expect_eq "A's stale write did not overwrite B's newer result" "$stored_b" "$stored"
expect_eq "one history row: B's (A's older fetch wrote none)" 1 \
    "$(sql "SELECT count(*) FROM item_history WHERE id = '$ID'")"
expect_eq "no history snapshot written twice" 0 \
    "$(sql "SELECT count(*) - count(DISTINCT (source, id, observed_at)) FROM item_history")"
check "processor A is alive after waking" kill -0 "$A"
served=$(curl -s "$FAKE_URL/stats?asin=$ID" | grep -o '"served": *[0-9]*' | grep -o '[0-9]*$')
expect_eq "the item was fetched twice (A's lost fetch and B's)" 2 "${served:-0}"
kill -TERM "$A" "$B"
finish
