#!/usr/bin/env bash
# System test (issue b): operators push work with plain redis-cli (DESIGN.md "Redis").
# With nothing discovered, the queue gets valid ids (bare and JSON, one twice), an id
# the upstream does not know, and junk. One processor --once must turn the valid ids
# into active rows (it creates the rows), fetch each once, fail the unknown id with a
# reason, dead-letter every junk item as a small JSON entry with a reason, exit 0, and
# keep working afterwards.
. "$(dirname "$0")/lib.sh"

Q='freshet:{keepa}:queue'
DEAD='freshet:{keepa}:dead'
fresh_db operator_push
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
start_fake --products 1000 --key test:100000 --minute-ms 1000 --change-period-ms 100000000000 ||
    exit 1
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_RETRY_BASE=100ms FRESHET_MAX_ATTEMPTS=3

BARE=B000000007
JSONID=B00000000A
UNKNOWN=B0ZZZZZZZZ   # beyond the catalog: the fake answers productType 4
SQLJUNK="B0'; DROP TABLE items; --"
expect_eq "nothing discovered yet" 0 "$(sql "SELECT count(*) FROM items")"

rcli RPUSH "$Q" "$BARE" >/dev/null
rcli RPUSH "$Q" "{\"id\":\"$JSONID\",\"priority\":1}" >/dev/null
rcli RPUSH "$Q" "$BARE" >/dev/null
rcli RPUSH "$Q" "$UNKNOWN" >/dev/null
junk=("" "not-an-asin" '{"id":' '{"priority":1}' "b000000009" "$SQLJUNK")
for j in "${junk[@]}"; do rcli RPUSH "$Q" "$j" >/dev/null; done
# 1 MiB: too long for one command-line argument, so through stdin (-x).
head -c 1048576 /dev/zero | tr '\0' 'x' | rcli -x RPUSH "$Q" >/dev/null
NJUNK=$(( ${#junk[@]} + 1 ))
expect_eq "the queue holds every pushed item" $((4 + NJUNK)) "$(rcli LLEN "$Q")"

start=$(now_ms)
timeout 60 "$FRESHET_BIN/freshet-processor" --once >"$T_DIR/processor.log" 2>&1
rc=$?
expect_eq "processor --once exits 0 despite the junk" 0 "$rc"
echo "# processor --once took $(( $(now_ms) - start )) ms"
expect_eq "processor --once left the queue empty" 0 "$(rcli LLEN "$Q")"

# Valid ids: active rows the processor created (there was no row before).
expect_eq "bare id is active" active "$(sql "SELECT status FROM items WHERE id = '$BARE'")"
expect_eq "JSON id is active" active "$(sql "SELECT status FROM items WHERE id = '$JSONID'")"
expect_eq "JSON priority 1 is kept" 1 "$(sql "SELECT priority FROM items WHERE id = '$JSONID'")"
expect_eq "active rows carry their payload" 2 \
    "$(sql "SELECT count(*) FROM items WHERE status = 'active' AND payload->>'asin' = id")"
expect_eq "only the valid and the unknown id got rows" "$BARE $JSONID $UNKNOWN" \
    "$(sql "SELECT string_agg(id, ' ' ORDER BY id) FROM items")"
expect_eq "items table survived the SQL metacharacters" t "$(sql "SELECT to_regclass('items') IS NOT NULL")"
for id in "$BARE" "$JSONID"; do
    expect_eq "$id fetched from upstream exactly once (pushed $( [ "$id" = "$BARE" ] && echo twice || echo once))" 1 \
        "$(jget "$(fake_get "/stats?asin=$id")" served)"
done
expect_eq "fake served 3 products in all (2 valid + the unknown one, once each)" 3 \
    "$(fake_stat products_served)"

# The unknown id: failed with a reason naming the cause, and dead-lettered.
expect_eq "unknown id ends failed" failed "$(sql "SELECT status FROM items WHERE id = '$UNKNOWN'")"
expect_match "its last_error says upstream does not know it" \
    "$UNKNOWN.*(not exist|unknown|invalid)|(not exist|unknown|invalid|productType 4).*$UNKNOWN" \
    "$(sql "SELECT last_error FROM items WHERE id = '$UNKNOWN'")"

# Dead letters: one JSON object per line (control characters are escaped).
rcli --raw LRANGE "$DEAD" 0 -1 >"$T_DIR/dead.txt"
expect_eq "dead list holds each junk item and the unknown id" $((NJUNK + 1)) "$(rcli LLEN "$DEAD")"
dead="WITH d AS (SELECT l::jsonb AS e FROM regexp_split_to_table(rtrim(:'j', E'\n'), E'\n') l)"
expect_eq "every dead letter is a JSON object with a non-empty reason and a time" $((NJUNK + 1)) \
    "$(jsql "$T_DIR/dead.txt" "$dead SELECT count(*) FROM d WHERE jsonb_typeof(e) = 'object'
        AND length(e->>'reason') > 0 AND length(e->>'time') > 0 AND e ? 'item'")"
for j in "${junk[@]}" "$UNKNOWN"; do
    printf '%s' "$j" >"$T_DIR/item.txt"
    expect_eq "dead letter for item '$j' holds it with a reason" 1 \
        "$(jsql "$T_DIR/dead.txt" "\\set it \`cat $T_DIR/item.txt\`
$dead SELECT count(*) FROM d WHERE e->>'item' = :'it' AND length(e->>'reason') > 0
        AND e->>'truncated' = 'false'")"
done
expect_match "the unknown id's dead letter gives the reason" "not exist|unknown|invalid|productType" \
    "$(jsql "$T_DIR/dead.txt" "$dead SELECT e->>'reason' FROM d WHERE e->>'item' = '$UNKNOWN'")"
expect_eq "the 1 MiB item is dead-lettered, marked truncated" 1 \
    "$(jsql "$T_DIR/dead.txt" "$dead SELECT count(*) FROM d WHERE e->>'truncated' = 'true'
        AND e->>'item' ~ '^x+$' AND length(e->>'reason') > 0")"
expect_le "the 1 MiB item's dead letter is small (bytes)" \
    "$(awk 'length($0) > 1000 { print length($0) }' "$T_DIR/dead.txt" | sort -n | tail -n 1)" 4096
expect_le "the whole dead list is small (bytes)" "$(wc -c <"$T_DIR/dead.txt")" 16384
expect_eq "every dead letter names its source" $((NJUNK + 1)) \
    "$(jsql "$T_DIR/dead.txt" "$dead SELECT count(*) FROM d WHERE e->>'source' = 'keepa'")"
expect_match "the processor logged the malformed items" "dead-lettered|dead letter" \
    "$(cat "$T_DIR/processor.log")"
expect_eq "no error-level log" "" "$(grep -h '"level":"error"' "$T_DIR/processor.log" | head -n 3)"

# Still fine afterwards: a daemon processor takes more work, junk included, and the
# already-active id pushed again is not fetched again (dedupe window).
NEXT=B00000000F
start_bg processor2 "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
rcli RPUSH "$Q" "$NEXT" "" "$BARE" >/dev/null
check "a later push becomes active" wait_for 20 \
    bash -c "[ \"\$(psql -X -A -t -c \"SELECT status FROM items WHERE id = '$NEXT'\" '$DATABASE_URL')\" = active ]"
check "the daemon drains the queue" wait_for 10 bash -c "[ \"\$(redis-cli -u '$REDIS_URL' LLEN '$Q')\" = 0 ]"
sleep 0.5
expect_eq "the re-pushed active id was not fetched again" 1 "$(jget "$(fake_get "/stats?asin=$BARE")" served)"
expect_eq "the new junk was dead-lettered too" $((NJUNK + 2)) "$(rcli LLEN "$DEAD")"
check "processor daemon still running" kill -0 "$PROC"
kill -TERM "$PROC"
exits_within 10 "$PROC"
expect_eq "processor daemon exits 0 on SIGTERM" 0 "$T_EXIT"

# A queue that just ran dry is looked at again within milliseconds, then less and less
# often, not only after a whole FRESHET_IDLE_POLL: an id pushed soon after a batch is
# fetched at once.
FRESHET_IDLE_POLL=3s FRESHET_HEARTBEAT=5s start_bg processor3 "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
active_now() { [ "$(sql "SELECT status FROM items WHERE id = '$1'")" = active ]; }
rcli RPUSH "$Q" B000000011 >/dev/null
check "the first push becomes active" wait_for 20 bash -c \
    "[ \"\$(psql -X -A -t -c \"SELECT status FROM items WHERE id = 'B000000011'\" '$DATABASE_URL')\" = active ]"
sleep 0.3 # the batch is acknowledged and the queue found empty
pushed=$(now_ms)
rcli RPUSH "$Q" B000000012 >/dev/null
until active_now B000000012 || [ $(( $(now_ms) - pushed )) -gt 10000 ]; do sleep 0.02; done
took=$(( $(now_ms) - pushed ))
echo "# an id pushed 0.3 s after a batch was active after $took ms (FRESHET_IDLE_POLL=3s, FRESHET_HEARTBEAT=5s)"
expect_le "an id pushed soon after a batch is fetched well within FRESHET_IDLE_POLL (ms)" \
    "$took" 1500
kill -TERM "$PROC"
exits_within 10 "$PROC"

finish
