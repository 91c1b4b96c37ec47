#!/usr/bin/env bash
# System test (DESIGN invariant 4): upstream faults of every kind — 500s, resets,
# truncated and non-JSON bodies, 429s without a body — end in retries, never in a
# crash; every id still ends active with its data stored exactly (SQL metacharacters,
# odd unicode, 2,000-character titles); a body over FRESHET_MAX_BODY is refused and its
# items fail for good with the reason, after FRESHET_MAX_ATTEMPTS tries; invalid records
# fail for good at once; the worker's memory stays bounded.
. "$(dirname "$0")/lib.sh"

N=1500
fresh_db faults
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1
start_fake --products "$N" --fail-5xx 0.05 --fail-reset 0.05 --fail-truncate 0.05 \
    --fail-garbage 0.05 --fail-429-nobody 0.05 --change-period-ms 100000000
export FRESHET_RETRY_BASE=50ms FRESHET_RETRY_CAP=500ms FRESHET_MAX_ATTEMPTS=20 \
    FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms FRESHET_REFRESH_PASS=200ms \
    FRESHET_TOKEN_PERIOD=60s
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout.log" 2>&1
expect_eq "scout survives faulty discovery pages (exit 0)" 0 "$?"
start_bg refresher "$FRESHET_BIN/freshet-refresher"
REFR=$T_LAST_PID
start_bg processor "$FRESHET_BIN/freshet-processor" --batch 20
PROC=$T_LAST_PID
all_done() { [ "$(sql "SELECT count(*) FROM items WHERE status = 'active'")" = "$N" ]; }
check "all $N ids active despite 25% faulty answers" wait_for 120 all_done
if ! all_done; then
    sql "SELECT status, attempts, claimed_until > now(), queued_at, left(last_error, 80), count(*) FROM items WHERE status <> 'active' GROUP BY 1,2,3,4,5 ORDER BY 6 DESC LIMIT 10"
    echo "# queue $(rcli LLEN 'freshet:{keepa}:queue'), delayed $(rcli ZCARD 'freshet:{keepa}:delayed'), budget $(rcli HGETALL 'freshet:{keepa}:tokens' | tr '\n' ' ')"
    grep -v '"info"' "$T_DIR/processor.log" | tail -5
    grep -v '"info"' "$T_DIR/refresher.log" | tail -5
fi
check "the processor is still running" kill -0 "$PROC"
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PROC/status")
echo "# processor peak RSS ${hwm} kB"
[ "${FRESHET_SANITIZED:-0}" = 1 ] || expect_le "processor peak RSS stays under 64 MiB (kB)" "$hwm" 65536
stats=$(curl -s "$FAKE_URL/stats")
for kind in reset 200-truncated 200-garbage 500 429; do
    expect_match "the fake injected $kind answers" "\"$kind\": *[1-9]" "$stats"
done
expect_eq "no row left failed" 0 "$(sql "SELECT count(*) FROM items WHERE status = 'failed'")"

# Exact storage: compare every stored title with the fake's own answer, 100 at a time
# (faults off for this; psql reads the answer from a file: no argument-size limit).
curl -s "$FAKE_URL/_fake/config?fail_5xx=0&fail_reset=0&fail_truncate=0&fail_garbage=0&fail_429_nobody=0" >/dev/null
mismatch=0
compared=0
for off in $(seq 0 100 $((N - 1))); do
    ids=$(sql "SELECT string_agg(id, ',' ORDER BY id) FROM (SELECT id FROM items ORDER BY id LIMIT 100 OFFSET $off) s")
    curl -s --compressed "$FAKE_URL/product?key=test&domain=1&asin=$ids" >"$T_DIR/truth.json"
    read -r bad n < <(psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 "$DATABASE_URL" <<SQL
\set truth \`cat $T_DIR/truth.json\`
SELECT count(*) FILTER (WHERE i.payload->>'title' IS DISTINCT FROM p->>'title'), count(*)
FROM json_array_elements((:'truth'::json)->'products') p JOIN items i ON i.id = p->>'asin';
SQL
)
    mismatch=$((mismatch + ${bad:-1}))
    compared=$((compared + ${n:-0}))
done
expect_eq "every title compared with the upstream's" "$N" "$compared"
expect_eq "every title is stored exactly as the upstream sent it" 0 "$mismatch"
expect_le "odd titles are among them (quotes, metacharacters, non-ASCII)" 1 \
    "$(sql "SELECT count(*) FROM items WHERE payload->>'title' ~ '[''\";\\\\]' OR payload->>'title' ~ '[^[:ascii:]]'")"
expect_le "long titles are among them (>= 1500 chars)" 1 \
    "$(sql "SELECT count(*) FROM items WHERE length(payload->>'title') >= 1500")"
kill -TERM "$PROC" "$REFR"

# Oversized bodies: refused while streaming, retried, then failed for good with the reason.
fresh_db faults_big
export FRESHET_SOURCE=big
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1
for id in B000000001 B000000002 B000000003; do rcli RPUSH 'freshet:{big}:queue' "$id" >/dev/null; done
FRESHET_MAX_BODY=2048 FRESHET_MAX_ATTEMPTS=3 FRESHET_RETRY_BASE=10ms FRESHET_RETRY_CAP=20ms \
    start_bg processor2 "$FRESHET_BIN/freshet-processor"
P2=$T_LAST_PID
start_bg refresher2 "$FRESHET_BIN/freshet-refresher"
failed3() { [ "$(sql "SELECT count(*) FROM items WHERE status = 'failed'")" = 3 ]; }
check "items whose answer is over FRESHET_MAX_BODY end failed after 3 attempts" wait_for 60 failed3
expect_match "the reason names the size limit" "larger than 2048" \
    "$(sql "SELECT string_agg(DISTINCT last_error, ' | ') FROM items")"
expect_eq "attempts counted" "3 3 3" "$(sql "SELECT string_agg(attempts::text, ' ') FROM items")"
expect_le "each failed id is dead-lettered" 3 "$(rcli LLEN 'freshet:{big}:dead')"
# A stale duplicate of a dead id (the refresher re-enqueues pending rows when Redis lost
# its data; an id may be pushed twice) does not bring it back for more attempts.
served=$(fake_stat products_served)
for id in B000000001 B000000002 B000000003; do rcli RPUSH 'freshet:{big}:queue' "$id" >/dev/null; done
drained() { [ "$(rcli LLEN 'freshet:{big}:queue')" = 0 ] && [ "$(rcli ZCARD 'freshet:{big}:delayed')" = 0 ] &&
    [ -z "$(rcli --scan --pattern 'freshet:{big}:batch:*')" ]; }
check "the duplicates are taken off the queue" wait_for 20 drained
sleep 0.5
expect_eq "dead ids queued again are not fetched again" "$served" "$(fake_stat products_served)"
expect_eq "they stay failed with their attempts" "failed 3|failed 3|failed 3" \
    "$(sql "SELECT string_agg(status || ' ' || attempts, '|') FROM items")"
check "the processor is still running" kill -0 "$P2"
kill -TERM "$P2" 2>/dev/null

# Invalid records (productType 4) in every answer: each fails for good on its first
# attempt with the upstream's reason and is dead-lettered once, and the rest of its
# batch goes active (a batch's failed records are recorded in one statement).
fresh_db faults_invalid
export FRESHET_SOURCE=inv
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1
start_fake --products 400 --invalid-rate 0.3
catalog_ids 0 400 >"$T_DIR/inv_ids.txt"
"$FRESHET_BIN/freshetctl" backfill - <"$T_DIR/inv_ids.txt" >"$T_DIR/inv_backfill.log" 2>&1
"$FRESHET_BIN/freshet-processor" --once >"$T_DIR/processor3.log" 2>&1
expect_eq "processor --once over answers with invalid records exits 0" 0 "$?"
nfail=$(sql "SELECT count(*) FROM items WHERE status = 'failed'")
echo "# $nfail of 400 ids are invalid upstream"
expect_le "many records of each answer are invalid (>= 60 of 400)" 60 "$nfail"
expect_eq "the others are active" $((400 - nfail)) \
    "$(sql "SELECT count(*) FROM items WHERE status = 'active'")"
expect_eq "each invalid id failed on its first attempt" "$nfail" \
    "$(sql "SELECT count(*) FROM items WHERE status = 'failed' AND attempts = 1")"
expect_eq "... with the upstream's reason" "$nfail" \
    "$(sql "SELECT count(*) FROM items WHERE status = 'failed'
            AND last_error ~* '(not exist|unknown|invalid|productType 4)'")"
expect_eq "each is dead-lettered once" "$nfail" "$(rcli LLEN 'freshet:{inv}:dead')"
finish
