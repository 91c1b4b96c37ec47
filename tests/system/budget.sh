#!/usr/bin/env bash
# System test (DESIGN invariant 3, issue "shared token budget"): four processors share
# one upstream budget of R tokens a minute (a "minute" of 2 s here) through the token
# bucket in Redis. Over ten minutes they must spend at least 95% of what the budget
# allowed, and fewer than 1% of their requests may meet a 429.
. "$(dirname "$0")/lib.sh"

R=2000
MINUTE_MS=2000
MINUTES=10
fresh_db budget
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1
start_fake --products 100000 --key "test:$R" --initial-tokens "$R" --minute-ms "$MINUTE_MS" \
    --change-period-ms 100000000
fake_start=$(date +%s%3N)

# Far more work than the budget covers, so the budget is the only limit.
catalog_ids 0 40000 | sed 's/^/RPUSH freshet:{keepa}:queue /' | rcli >/dev/null

export FRESHET_TOKEN_PERIOD=${MINUTE_MS}ms FRESHET_SELLERS=false FRESHET_IDLE_POLL=50ms
for i in 1 2 3 4; do
    start_bg "proc$i" "$FRESHET_BIN/freshet-processor" --worker-id "budget-$i"
done
# Stop half-way through minute MINUTES, when that minute's refill has been spent.
end=$(( fake_start + MINUTES * MINUTE_MS + MINUTE_MS / 2 ))
while [ "$(date +%s%3N)" -lt "$end" ]; do sleep 0.1; done
stats=$(curl -s "$FAKE_URL/stats")
elapsed=$(( $(date +%s%3N) - fake_start ))
refills=$(( elapsed / MINUTE_MS ))
allowed=$(( R + refills * R ))
spent=$(printf '%s' "$stats" | grep -o '"test": *-\{0,1\}[0-9]*' | head -n 1 | grep -o -- '-\{0,1\}[0-9]*$')
product=$(printf '%s' "$stats" | grep -o '"product": *{[^}]*}')
ok=$(printf '%s' "$product" | grep -o '"200": *[0-9]*' | grep -o '[0-9]*$')
throttled=$(printf '%s' "$product" | grep -o '"429": *[0-9]*' | grep -o '[0-9]*$')
ok=${ok:-0}
throttled=${throttled:-0}
total=$(( ok + throttled ))
util=$(awk -v s="${spent:-0}" -v a="$allowed" 'BEGIN { printf "%.1f", 100 * s / a }')
rate429=$(awk -v t="$throttled" -v n="$total" 'BEGIN { printf "%.2f", n ? 100 * t / n : 0 }')
echo "# budget: $refills refills of $R, allowed $allowed tokens, spent ${spent:-0} ($util%)"
echo "# product requests: $total, of which 429: $throttled ($rate429%)"
expect_le "budget utilisation >= 95% (spent*100 vs allowed*95)" $(( allowed * 95 )) $(( ${spent:-0} * 100 ))
expect_le "429 responses <= 1% of requests" $(( throttled * 100 )) "$total"
expect_le "never spent beyond the budget (spent <= allowed)" "${spent:-0}" "$allowed"
finish
