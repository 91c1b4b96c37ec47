#!/usr/bin/env bash
# System test: a budget that refills in lumps is spent evenly (FRESHET_REFRESH_POLICY=
# budget, README "Freshness"). The fake's key gets 300 tokens at each 6-s "minute"; 400
# products change every 2-16 s. A processor alone fetches them first: with no plan yet,
# every first fetch comes back at FRESHET_REFRESH_MIN (not after an interval nothing has
# measured). Then a refresher joins: over three refills the fleet spends the budget
# (>= 85%) and never more than 40% of a refill in any second (spent at once, a refill
# leaves the rest of the minute without refreshes and every item waits for the next).
# A refresher --once (cron) still re-queues every row due.
. "$(dirname "$0")/lib.sh"

N=400
RATE=300
PERIOD_MS=6000
fresh_db pace
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
start_fake --products "$N" --key "test:$RATE" --minute-ms "$PERIOD_MS" --change-period-ms 2000 || exit 1
export FRESHET_TOKEN_PERIOD=${PERIOD_MS}ms FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_REFRESH_PASS=200ms FRESHET_REFRESH_MIN=1s FRESHET_REFRESH_MAX=60s \
    FRESHET_REFRESH_POLICY=budget FRESHET_SELLERS=false FRESHET_DEDUPE_WINDOW=500ms \
    FRESHET_TOKEN_RESERVE=5 FRESHET_QUEUE_LOW_WATER=200 FRESHET_BATCH=10

"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout.log" 2>&1
expect_eq "scout --once exits 0" 0 "$?"
start_bg processor "$FRESHET_BIN/freshet-processor"
PROC_PID=$T_LAST_PID
fetched() { [ "$(count_status active)" = "$N" ]; }
check "all $N fetched (two refills)" wait_for 60 fetched
expect_eq "with no plan yet, every first fetch is due again after FRESHET_REFRESH_MIN" "$N" \
    "$(sql "SELECT count(*) FROM items WHERE refresh_interval = interval '1 second'")"

start_bg refresher "$FRESHET_BIN/freshet-refresher"
REFR_PID=$T_LAST_PID
has_plan() { [ "$(sql "SELECT count(*) FROM refresh_plans WHERE source = 'keepa' AND items > 0")" = 1 ]; }
check "the refresher publishes a plan" wait_for 40 has_plan

# Products served, sampled every 250 ms over three refills from a refill boundary on.
served() { fake_stat products_served; }
refill_in=$(jget "$(fake_get "/token?key=test")" refillIn)
sleep "$(awk -v ms="${refill_in:-0}" 'BEGIN { printf "%.3f", ms / 1000 + 0.1 }')"
: >"$T_DIR/samples"
end=$(( $(now_ms) + 3 * PERIOD_MS ))
while [ "$(now_ms)" -lt "$end" ]; do
    echo "$(now_ms) $(served)" >>"$T_DIR/samples"
    sleep 0.25
done
read -r total peak < <(awk '{ t[NR] = $1; s[NR] = $2 }
    END { for (i = 1; i <= NR; i++) for (j = i; j <= NR && t[j] - t[i] <= 1000; j++)
              if (s[j] - s[i] > peak) peak = s[j] - s[i]
          printf "%d %d\n", s[NR] - s[1], peak }' "$T_DIR/samples")
secs=$(awk -v a="$(head -n 1 "$T_DIR/samples" | cut -d' ' -f1)" -v b="$(tail -n 1 "$T_DIR/samples" | cut -d' ' -f1)" \
    'BEGIN { printf "%.2f", (b - a) / 1000 }')
spent=$(awk -v t="$total" -v s="$secs" -v r="$RATE" -v p="$PERIOD_MS" 'BEGIN { printf "%d", 100 * t / (s * r * 1000 / p) }')
echo "# served over ${secs} s: $total ($spent% of the refill); most in one second: $peak (a refill is $RATE)"
expect_le "the fleet spends >= 85% of the refill" 85 "$spent"
expect_le "and never more than 40% of a refill in one second" "$peak" $((RATE * 40 / 100))
expect_eq "no 429" 0 "$(fake_stat requests,product,429)"

# A --once pass (cron) takes every row due: there is no next pass to spread the rest over.
for pid in $PROC_PID $REFR_PID; do kill -TERM "$pid"; exits_within 10 "$pid"; done
refill_in=$(jget "$(fake_get "/token?key=test")" refillIn)
sleep "$(awk -v ms="${refill_in:-0}" 'BEGIN { printf "%.3f", ms / 1000 + 0.2 }')"
sql "UPDATE items SET status = 'active', next_update_due = now() + interval '1 hour'" >/dev/null
sql "UPDATE items SET next_update_due = now() - interval '1 second'
     WHERE id IN (SELECT id FROM items ORDER BY id LIMIT 60)" >/dev/null
"$FRESHET_BIN/freshet-refresher" --once >"$T_DIR/refresher-once.log" 2>&1
expect_eq "refresher --once exits 0" 0 "$?"
expect_eq "and re-queues all 60 rows due (the pace would allow ~20 a pass)" 60 \
    "$(sql "SELECT count(*) FROM item_due WHERE requeued_at IS NOT NULL")"
expect_eq "... onto the queue" 60 "$(rcli SMISMEMBER 'freshet:{keepa}:queued' \
    $(sql "SELECT id FROM items ORDER BY id LIMIT 60") | grep -c '^1$')"
expect_eq "... and they stay active (their payload is still served)" 0 \
    "$(count_status pending_processing)"
finish
