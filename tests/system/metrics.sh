#!/usr/bin/env bash
# System test: the daemons' admin HTTP (DESIGN "Admin HTTP"): /healthz, /readyz (503
# with the reason while Redis is down, 200 again after), /metrics in a format promtool
# accepts, with the contract's metric families and the values a known run must give.
. "$(dirname "$0")/lib.sh"

N=500
fresh_db metrics
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1
start_fake --products "$N" --change-period-ms 100000000
"$FRESHET_BIN/freshet-scout" --once >/dev/null 2>&1
export FRESHET_ADMIN_ADDR=127.0.0.1:0 FRESHET_IDLE_POLL=50ms FRESHET_REFRESH_PASS=300ms
start_bg processor "$FRESHET_BIN/freshet-processor"
start_bg refresher "$FRESHET_BIN/freshet-refresher"
admin_port() { sed -n 's/.*admin HTTP listening on port \([0-9]*\).*/\1/p' "$T_DIR/$1.log" | head -n 1; }
listening() { [ -n "$(admin_port processor)" ] && [ -n "$(admin_port refresher)" ]; }
check "processor and refresher admin HTTP listening on their own ports" wait_for 10 listening
P=$(admin_port processor)
R=$(admin_port refresher)
all_done() { [ "$(sql "SELECT count(*) FROM items WHERE status = 'active'")" = "$N" ]; }
check "all $N active" wait_for 60 all_done

expect_eq "/healthz answers 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/healthz")"
expect_eq "/readyz answers 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/readyz")"
curl -s "http://127.0.0.1:$P/metrics" >"$T_DIR/proc.prom"
sleep 1
curl -s "http://127.0.0.1:$R/metrics" >"$T_DIR/refr.prom"
for fam in freshet_items_processed_total freshet_upstream_requests_total \
           freshet_upstream_tokens_left freshet_stage_duration_seconds freshet_queue_depth; do
    expect_match "processor exports $fam" "^# TYPE $fam " "$(cat "$T_DIR/proc.prom")"
done
expect_match "refresher exports freshet_item_staleness_seconds" \
    "^# TYPE freshet_item_staleness_seconds histogram" "$(cat "$T_DIR/refr.prom")"
active=$(grep -E '^freshet_items_processed_total\{.*outcome="active"' "$T_DIR/proc.prom" | awk '{print $2}')
expect_eq "items processed (active) counts the run" "$N" "${active%.*}"
reqs=$(grep -E '^freshet_upstream_requests_total\{.*code="200".*endpoint="product"|^freshet_upstream_requests_total\{.*endpoint="product".*code="200"' "$T_DIR/proc.prom" | awk '{s += $2} END {print s + 0}')
expect_le "product requests counted (>= N/100)" $((N / 100)) "${reqs%.*}"
expect_match "histogram buckets end with +Inf" 'freshet_stage_duration_seconds_bucket\{.*le="\+Inf"' "$(cat "$T_DIR/proc.prom")"
if command -v promtool >/dev/null 2>&1; then
    check "promtool accepts the processor's metrics" sh -c "promtool check metrics < '$T_DIR/proc.prom'"
    check "promtool accepts the refresher's metrics" sh -c "promtool check metrics < '$T_DIR/refr.prom'"
else
    echo "# promtool not installed: format check skipped"
fi

bash "$FRESHET_TEST_SERVICES" stop-redis "$FRESHET_TEST_DIR" >/dev/null 2>&1
code=$(curl -s -o "$T_DIR/ready.txt" -w '%{http_code}' "http://127.0.0.1:$P/readyz")
expect_eq "/readyz answers 503 while Redis is down" 503 "$code"
expect_match "... naming the reason" "redis" "$(cat "$T_DIR/ready.txt")"
expect_eq "/healthz still 200 (alive)" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/healthz")"
bash "$FRESHET_TEST_SERVICES" start-redis "$FRESHET_TEST_DIR" >/dev/null 2>&1
ready_again() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/readyz")" = 200 ]; }
check "/readyz is 200 again after Redis returns" wait_for 15 ready_again
check "the processor survived the outage" kill -0 "$(pgrep -f freshet-processor | head -n 1)"
finish
