#!/usr/bin/env bash
# System test: freshetctl's operations subcommands against the real PostgreSQL and Redis
# (DESIGN.md "Executables"): --help and exit 2 on every subcommand; enqueue and backfill
# are idempotent, report invalid ids with their position, show progress and the right
# counts (100,000 ids from stdin); backfill --pages reads the fake Keepa's /deal; dlq
# list/retry/purge on seeded failed rows and dead letters; export of 100,000 rows to CSV
# and JSONL in bounded memory; verify-freshness both ways; status --json and --watch.
# Data is seeded with SQL; the real processor runs only to show that enqueue re-fetches.
. "$(dirname "$0")/lib.sh"
need jq:jq

CTL=$FRESHET_BIN/freshetctl
K='freshet:{keepa}:'
T0=$(now_ms)
fresh_db ctl
"$CTL" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }

# peak_kb CMD...: runs CMD (stdout to $T_DIR/peak.out), sets PEAK_KB to its peak RSS
# and PEAK_RC to its exit status.
peak_kb() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$T_DIR/rss" "$@" >"$T_DIR/peak.out" 2>"$T_DIR/peak.err"
        PEAK_RC=$?
        PEAK_KB=$(tail -n 1 "$T_DIR/rss")
        return
    fi
    "$@" >"$T_DIR/peak.out" 2>"$T_DIR/peak.err" &
    local pid=$! hwm=0 v
    while kill -0 "$pid" 2>/dev/null; do
        v=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
        [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
        sleep 0.02
    done
    wait "$pid"
    PEAK_RC=$?
    PEAK_KB=$hwm
}

# --- the command-line contract ------------------------------------------------------
for c in status enqueue backfill "dlq list" "dlq retry" "dlq purge" export verify-freshness; do
    # shellcheck disable=SC2086 # "dlq list" is two words on purpose
    out=$("$CTL" $c --help 2>&1); rc=$?
    expect_eq "$c --help exits 0" 0 "$rc"
    expect_match "$c --help lists DATABASE_URL and REDIS_URL" "DATABASE_URL.*" "$out"
    missing=""
    for v in $(printf '%s\n' "$out" | grep -oE '\b(FRESHET|KEEPA|DATABASE|REDIS)_[A-Z_]+' | sort -u); do
        grep -q "$v" README.md || missing="$missing $v"
    done
    expect_eq "$c: every variable in --help is in README.md" "" "$missing"
done
expect_match "backfill --help lists KEEPA_API_KEY (for --pages)" KEEPA_API_KEY "$("$CTL" backfill --help)"
expect_match "freshetctl --help lists every subcommand" \
    "status.*enqueue.*backfill.*dlq.*export.*verify-freshness" "$("$CTL" --help | tr '\n' ' ')"

bad_usage() { # NAME REGEX ARGS...: exit 2 with one line matching REGEX
    local name=$1 re=$2 out rc
    shift 2
    out=$("$CTL" "$@" 2>&1); rc=$?
    expect_eq "$name exits 2" 2 "$rc"
    expect_match "$name names the problem" "$re" "$out"
}
bad_usage "enqueue --priority 12" "priority" enqueue --priority 12 B000000001
bad_usage "enqueue without ids" "no ids" enqueue
bad_usage "backfill without input" "file|pages" backfill
bad_usage "backfill --pages 5-2" "pages" backfill --pages 5-2
bad_usage "export --format xml" "format.*xml" export --format xml
bad_usage "export --status bogus" "status.*bogus" export --format csv --status bogus
bad_usage "dlq list --since yesterday" "since.*yesterday" dlq list --since yesterday
bad_usage "dlq purge without a selection" "--all" dlq purge
bad_usage "dlq retry --all with ids" "not both" dlq retry --all B000000001
bad_usage "dlq frobnicate" "frobnicate" dlq frobnicate
bad_usage "verify-freshness without --max-age" "max-age" verify-freshness
bad_usage "status --bogus" "bogus" status --bogus

# --- enqueue ---------------------------------------------------------------------------
out=$("$CTL" enqueue B000000001 B000000002 B000000003 not-valid b000000004 2>"$T_DIR/err"); rc=$?
expect_eq "enqueue with some invalid ids exits 0" 0 "$rc"
expect_match "enqueue summary counts" "5 read, 3 valid, 3 new rows, 0 requeued, 0 already queued, 2 invalid" "$out"
expect_eq "one error line per invalid id" 2 "$(grep -c 'invalid id' "$T_DIR/err")"
expect_match "error names the id and its argument number" "argument 4: invalid id 'not-valid'" "$(cat "$T_DIR/err")"
expect_eq "enqueue queued the 3 valid ids" 3 "$(rcli LLEN "${K}queue")"
expect_eq "rows are pending_processing" 3 "$(count_status pending_processing)"
out=$("$CTL" enqueue B000000001 B000000002 B000000003 not-valid b000000004 2>/dev/null)
expect_match "enqueue twice: nothing new, all already queued" "0 new rows, 0 requeued, 3 already queued" "$out"
expect_eq "enqueue twice: queue length unchanged" 3 "$(rcli LLEN "${K}queue")"
out=$("$CTL" enqueue B000000009 --priority 1 --json 2>&1)
expect_eq "--priority 1 goes to queue:hot" B000000009 "$(rcli LRANGE "${K}queue:hot" 0 -1)"
expect_eq "--priority 1 is stored" 1 "$(sql "SELECT priority FROM items WHERE id = 'B000000009'")"
expect_match "--json summary" '"new_rows":1' "$out"
"$CTL" enqueue nope1 nope2 >/dev/null 2>&1; rc=$?
expect_eq "enqueue where every id is invalid exits 1" 1 "$rc"
# Active and failed rows come back to work (failed ones with attempts reset).
sql "INSERT INTO items (source, id, status, payload, last_updated, attempts, last_error)
     VALUES ('keepa', 'B00000000A', 'active', '{}', now(), 0, NULL),
            ('keepa', 'B00000000B', 'failed', NULL, NULL, 5, 'gone')" >/dev/null
out=$("$CTL" enqueue B00000000A B00000000B 2>&1)
expect_match "active and failed rows are requeued" "0 new rows, 2 requeued" "$out"
expect_eq "... pending again, failed attempts reset" "B00000000A|pending_processing|0 B00000000B|pending_processing|0" \
    "$(sql "SELECT id || '|' || status || '|' || attempts FROM items WHERE id IN ('B00000000A', 'B00000000B') ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"

# --- backfill: 100,000 ids from stdin ----------------------------------------------------
{ awk 'BEGIN { for (i = 0; i < 50000; i++) printf "B1%08d\n", i }'
  echo "junk id"; echo ""; echo "# a comment"
  awk 'BEGIN { for (i = 50000; i < 100000; i++) printf "B1%08d\n", i }'
  echo "b100000001"; echo "B100000001"; } >"$T_DIR/ids.txt"
start=$(now_ms)
q0=$(rcli LLEN "${K}queue")
out=$("$CTL" backfill - <"$T_DIR/ids.txt" 2>"$T_DIR/err"); rc=$?
echo "# backfill of 100,000 ids from stdin took $(( $(now_ms) - start )) ms"
expect_eq "backfill exits 0" 0 "$rc"
expect_match "backfill final counts" \
    "100003 read, 100001 valid, 100000 new rows, 0 requeued, 1 already queued, 2 invalid" "$out"
expect_le "backfill shows a progress line per 10,000 ids (>= 10)" 10 "$(grep -c 'backfill: progress: ' "$T_DIR/err")"
expect_match "progress lines carry counts and a rate" "progress: 50000 ids read, .*new rows.*ids/s" "$(cat "$T_DIR/err")"
expect_match "invalid line reported with its number" "line 50001: invalid id 'junk id'" "$(cat "$T_DIR/err")"
expect_match "lower-case id reported" "line 100004: invalid id 'b100000001'" "$(cat "$T_DIR/err")"
expect_eq "100,000 new pending rows" 100000 "$(sql "SELECT count(*) FROM items WHERE id LIKE 'B1%' AND status = 'pending_processing'")"
expect_eq "queue holds them once" $((q0 + 100000)) "$(rcli LLEN "${K}queue")"
out=$("$CTL" backfill --file "$T_DIR/ids.txt" --json 2>/dev/null)
expect_match "backfill again: no new rows, all already queued" '"new_rows":0,"requeued":0,"already_queued":100001' "$out"
expect_eq "backfill again: queue length unchanged" $((q0 + 100000)) "$(rcli LLEN "${K}queue")"
printf 'bad\nworse\n' | "$CTL" backfill - >/dev/null 2>&1; rc=$?
expect_eq "backfill of only invalid ids exits 1" 1 "$rc"

# --- backfill --pages: discovery pages of the fake Keepa ------------------------------
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms
start_fake --products 600 --key test:6000 --minute-ms 1000 || exit 1
out=$(FRESHET_SOURCE=pages "$CTL" backfill --pages 0-9 2>"$T_DIR/err"); rc=$?
expect_eq "backfill --pages exits 0" 0 "$rc"
expect_match "pages 0-4 give the 600 ids" "600 read, 600 valid, 600 new rows" "$out"
expect_match "the short page ends the listing" "page 4 is the last" "$(cat "$T_DIR/err")"
expect_eq "one /deal request per page read" 5 "$(fake_stat requests,deal,200)"
expect_eq "the pages' ids are queued" 600 "$(rcli LLEN 'freshet:{pages}:queue')"
expect_match "the shared budget paid 5 tokens a page" '"tokens":[0-9]+' \
    "$(FRESHET_SOURCE=pages "$CTL" status --json | jq -c .budget)"

# --- enqueue forces a re-fetch by the real processor ----------------------------------
FRESHET_SOURCE=e2e "$CTL" enqueue B000000011 B000000012 >/dev/null 2>&1
FRESHET_SOURCE=e2e timeout 60 "$FRESHET_BIN/freshet-processor" --once >"$T_DIR/proc.log" 2>&1
expect_eq "processor turns enqueued ids active" 2 "$(FRESHET_SOURCE=e2e count_status active)"
out=$(FRESHET_SOURCE=e2e "$CTL" enqueue B000000011 B000000012 2>&1)
expect_match "enqueue of active rows requeues them" "0 new rows, 2 requeued, 0 already queued" "$out"
FRESHET_SOURCE=e2e timeout 60 "$FRESHET_BIN/freshet-processor" --once >>"$T_DIR/proc.log" 2>&1
expect_eq "... and the processor fetched them again" 2 "$(jget "$(fake_get /stats?asin=B000000011)" served)"
expect_eq "... active again" 2 "$(FRESHET_SOURCE=e2e count_status active)"

# --- dlq -------------------------------------------------------------------------------
D='freshet:{dlq}:dead'
sql "INSERT INTO items (source, id, status, attempts, last_error, queued_at)
     SELECT 'dlq', 'F00000000' || g, 'failed', 5, 'upstream says F00000000' || g || ' does not exist',
            now() - g * interval '1 minute' FROM generate_series(0, 4) g" >/dev/null
now=$(date -u +%FT%TZ)
for item in F000000000 F000000001 '{"id":"F000000002","priority":1}' F000000003 'junk!'; do
    jq -cn --arg i "$item" --arg t "$now" '{item: $i, truncated: false, reason: "failed for good", time: $t, source: "dlq"}' |
        rcli -x RPUSH "$D" >/dev/null
done
rcli RPUSH "$D" '{"item":"old-junk","truncated":false,"reason":"empty item","time":"2020-01-01T00:00:00Z","source":"dlq"}' >/dev/null
out=$(FRESHET_SOURCE=dlq "$CTL" dlq list)
expect_match "dlq list labels the Redis dead letters with their count" "DEAD LETTERS \(Redis list freshet:\{dlq\}:dead\): 6 matched" "$out"
expect_match "dlq list labels the failed rows with their count" "FAILED ROWS \(PostgreSQL items, status = 'failed'\): 5 matched" "$out"
expect_match "dlq list shows reasons" "F000000004 +5 .*does not exist" "$out"
json=$(FRESHET_SOURCE=dlq "$CTL" dlq list --json --limit 2)
expect_eq "dlq list --json: counts and limit" "6 2 5 2" \
    "$(printf '%s' "$json" | jq -r '[.dead_letters.matched, .dead_letters.shown, .failed_rows.matched, .failed_rows.shown] | join(" ")')"
expect_eq "dlq list --json: newest dead letter first" "old-junk" "$(printf '%s' "$json" | jq -r '.dead_letters.entries[0].item')"
expect_eq "dlq list --grep matches any case, in both places" "1 0 1" \
    "$(FRESHET_SOURCE=dlq "$CTL" dlq list --json --grep JUNK! | jq -r '[.dead_letters.matched, .failed_rows.matched] | join(" ")') $(FRESHET_SOURCE=dlq "$CTL" dlq list --json --grep 'F000000004 DOES' | jq -r .failed_rows.matched)"
expect_eq "dlq list --since 1h leaves out the 2020 letter" 5 \
    "$(FRESHET_SOURCE=dlq "$CTL" dlq list --json --since 1h | jq .dead_letters.matched)"

out=$(FRESHET_SOURCE=dlq "$CTL" dlq retry F000000000 F000000002 B0NOSUCH00 2>&1); rc=$?
expect_eq "dlq retry ids exits 0" 0 "$rc"
expect_match "retry confirms the count" "retried 2 failed rows" "$out"
expect_match "retry says which dead letters went" "removed 2 dead letters" "$out"
expect_match "retry names an id that was not failed" "skipped 'B0NOSUCH00'" "$out"
expect_eq "retried rows are pending with attempts 0" "F000000000|pending_processing|0 F000000002|pending_processing|0" \
    "$(sql "SELECT id || '|' || status || '|' || attempts FROM items WHERE source = 'dlq' AND id IN ('F000000000', 'F000000002') ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "retried rows are queued" "F000000000 F000000002" \
    "$(rcli LRANGE 'freshet:{dlq}:queue' 0 -1 | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "their dead letters are gone, the rest stay" 4 "$(rcli LLEN "$D")"
out=$(FRESHET_SOURCE=dlq "$CTL" dlq purge --before 2021-01-01T00:00:00Z)
expect_match "purge --before removes the 2020 letter" "purged 1 dead letters .*\(3 left\)" "$out"
expect_match "purge without --rows keeps rows and says so" "kept 0 matching failed rows.*--rows" "$out"
out=$(FRESHET_SOURCE=dlq "$CTL" dlq purge 'junk!')
expect_match "purge by raw item" "purged 1 dead letters" "$out"
out=$(FRESHET_SOURCE=dlq "$CTL" dlq purge F000000001 --rows)
expect_match "purge id --rows: the letter" "purged 1 dead letters" "$out"
expect_match "purge id --rows: the row" "deleted 1 failed rows" "$out"
expect_eq "F000000001 row is gone" 0 "$(sql "SELECT count(*) FROM items WHERE source = 'dlq' AND id = 'F000000001'")"
out=$(FRESHET_SOURCE=dlq "$CTL" dlq retry --all)
expect_match "retry --all takes the remaining failed rows" "retried 2 failed rows" "$out"
expect_match "retry --all removes their letters" "removed 1 dead letters" "$out"
expect_eq "no failed rows left" 0 "$(FRESHET_SOURCE=dlq count_status failed)"
expect_eq "dead list is empty" 0 "$(rcli LLEN "$D")"

# --- export: 100,000 rows --------------------------------------------------------------
sql "INSERT INTO items (source, id, status, priority, attempts, payload, last_updated, next_update_due)
     SELECT 'exp', 'E' || lpad(g::text, 9, '0'), 'active', 1 + g % 9, g % 3,
            jsonb_build_object('asin', 'E' || lpad(g::text, 9, '0'), 'title', 'Box, \"large\" no ' || g,
                               'price_new', g * 7),
            timestamptz '2025-01-01 00:00:00Z' + g * interval '1 second', now() + interval '1 hour'
     FROM generate_series(1, 100000) g" >/dev/null
sql "INSERT INTO items (source, id, status, attempts, last_error)
     VALUES ('exp', 'E999999999', 'failed', 5, E'bad, \"very\"\nbad')" >/dev/null
MAXKB=30720
[ "${FRESHET_SANITIZED:-0}" = 1 ] && MAXKB=307200   # ASan's shadow memory, not ours
peak_kb env FRESHET_SOURCE=exp "$CTL" export --format csv --status active --output "$T_DIR/out.csv"
expect_eq "export csv exits 0" 0 "$PEAK_RC"
echo "# export csv of 100,000 rows: peak RSS ${PEAK_KB} KB"
expect_le "export csv peak RSS (KB)" "$PEAK_KB" "$MAXKB"
expect_eq "csv: header + 100,000 lines" 100001 "$(wc -l <"$T_DIR/out.csv")"
expect_eq "csv header" "source,id,status,priority,attempts,last_error,last_updated,next_update_due,payload" \
    "$(head -n 1 "$T_DIR/out.csv" | tr -d '\r')"
expect_eq "csv parses (RFC 4180) to 100,001 records of 9 fields" "100001 9" \
    "$(python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1], newline=""))); print(len(r), len(set(map(len, r))) * len(r[0]))' "$T_DIR/out.csv")"
expect_match "csv quotes fields with commas and quotes" '^exp,E000000001,active,2,1,,2025-01-01T00:00:01.000Z,.*,"\{""asin"": ""E000000001"", ""title"": ""Box, \\""large\\"" no 1""' \
    "$(sed -n 2p "$T_DIR/out.csv")"
peak_kb env FRESHET_SOURCE=exp "$CTL" export --format jsonl
expect_eq "export jsonl exits 0" 0 "$PEAK_RC"
echo "# export jsonl of 100,001 rows: peak RSS ${PEAK_KB} KB"
expect_le "export jsonl peak RSS (KB)" "$PEAK_KB" "$MAXKB"
expect_eq "jsonl: one line per row" 100001 "$(wc -l <"$T_DIR/peak.out")"
expect_eq "jsonl: every line is an object with the columns" 100001 \
    "$(jq -c 'select(has("source") and has("id") and has("payload") and has("last_error"))' "$T_DIR/peak.out" | wc -l)"
expect_eq "jsonl keeps the failed row's error" 'bad, "very"
bad' "$(jq -r 'select(.status == "failed") | .last_error' "$T_DIR/peak.out")"
expect_eq "export --since (ISO-8601) filters on last_updated" 10000 \
    "$(FRESHET_SOURCE=exp "$CTL" export --format jsonl --since 2025-01-02T01:00:01Z 2>/dev/null | wc -l)"
expect_eq "export --status failed" 1 "$(FRESHET_SOURCE=exp "$CTL" export --format jsonl --status failed 2>/dev/null | wc -l)"
"$CTL" export --format csv --output /nonexistent/dir/x.csv >/dev/null 2>&1; rc=$?
expect_eq "export to an unwritable place exits 1" 1 "$rc"

# --- verify-freshness ------------------------------------------------------------------
export FRESHET_SOURCE=fresh
out=$("$CTL" verify-freshness --max-age 5m); rc=$?
expect_eq "verify-freshness with no active rows exits 1" 1 "$rc"
expect_match "... saying so in one line" "^STALE fresh: no active rows$" "$out"
sql "INSERT INTO items (source, id, status, payload, last_updated)
     SELECT 'fresh', 'V' || lpad(g::text, 9, '0'), 'active', '{}', now() - (g % 60) * interval '1 minute'
     FROM generate_series(1, 1000) g" >/dev/null
out=$("$CTL" verify-freshness --max-age 5m); rc=$?
expect_eq "fresh catalog exits 0" 0 "$rc"
expect_match "... with a one-line summary" "^FRESH fresh: 1000 active rows, newest updated .* p99 " "$out"
out=$("$CTL" verify-freshness --max-age 5m --p99 10m); rc=$?
expect_eq "p99 over the bound exits 1" 1 "$rc"
expect_match "... naming the p99" "^STALE fresh: staleness p99 .* is over 10m" "$out"
"$CTL" verify-freshness --max-age 5m --p99 2h >/dev/null; rc=$?
expect_eq "p99 within the bound exits 0" 0 "$rc"
sql "UPDATE items SET last_updated = last_updated - interval '3 hours' WHERE source = 'fresh'" >/dev/null
out=$("$CTL" verify-freshness --max-age 1h); rc=$?
expect_eq "nothing updated within max-age exits 1" 1 "$rc"
expect_match "... naming max-age" "^STALE fresh: no active row updated within 1h" "$out"

# --- status ----------------------------------------------------------------------------
export FRESHET_SOURCE=st
unset FRESHET_TOKEN_PERIOD   # the daemons' default (1m), which the budget line shows
S='freshet:{st}:'
sql "INSERT INTO items (source, id, status, payload, last_updated, attempts, last_error, queued_at)
     SELECT 'st', 'S' || lpad(g::text, 9, '0'),
            CASE WHEN g <= 7 THEN 'pending_processing' WHEN g <= 18 THEN 'active' ELSE 'failed' END,
            CASE WHEN g BETWEEN 8 AND 18 THEN '{}'::jsonb END,
            CASE WHEN g BETWEEN 8 AND 18 THEN now() - (g - 7) * interval '10 minutes' END,
            0, CASE WHEN g > 18 THEN 'boom' END, now() - g * interval '1 minute'
     FROM generate_series(1, 20) g" >/dev/null
rcli RPUSH "${S}queue" a b c >/dev/null
rcli RPUSH "${S}queue:hot" d e >/dev/null
rcli ZADD "${S}delayed" 1 f >/dev/null
rcli RPUSH "${S}dead" '{"item":"x"}' '{"item":"y"}' '{"item":"z"}' '{"item":"w"}' >/dev/null
rcli HSET "${S}tokens" tokens 1200 rate 20 next $(( $(now_ms) + 30000 )) pause 0 >/dev/null
rcli SET "${S}worker:proc-1" '{"program":"freshet-processor","in_flight":3}' PX 60000 >/dev/null
rcli SADD "${S}workers" proc-1 proc-gone >/dev/null
sql "INSERT INTO worker_runs (source, program, worker_id, ok, error)
     VALUES ('st', 'freshet-scout', 'w1', false, 'a discovery page failed')" >/dev/null
json=$("$CTL" status --json); rc=$?
expect_eq "status --json exits 0" 0 "$rc"
check "status --json parses" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$json"
expect_eq "status --json: rows by status" "7 11 2 20" \
    "$(printf '%s' "$json" | jq -r '.items | [.pending_processing, .active, .failed, .total] | join(" ")')"
expect_eq "status --json: queue depths" "3 2 5 1 4" \
    "$(printf '%s' "$json" | jq -r '.queue | [.queue, .hot, .waiting, .delayed, .dead] | join(" ")')"
expect_eq "status --json: oldest pending about 7 minutes" 7 \
    "$(printf '%s' "$json" | jq -r '.oldest_pending_seconds / 60 | floor')"
expect_eq "status --json: staleness max about 110 minutes, p50 about 60" "110 60" \
    "$(printf '%s' "$json" | jq -r '.staleness_seconds | [(.max / 60 | floor), (.p50 / 60 | floor)] | join(" ")')"
expect_eq "status --json: budget" "1200 20" "$(printf '%s' "$json" | jq -r '.budget | [.tokens, .rate_per_period] | join(" ")')"
expect_eq "status --json: only live workers, with their info" "proc-1 3" \
    "$(printf '%s' "$json" | jq -r '.workers | map("\(.id) \(.info.in_flight)") | join(",")')"
expect_eq "status --json: failed runs" "1 a discovery page failed" \
    "$(printf '%s' "$json" | jq -r '.failed_runs_24h | "\(.count) \(.recent[0].error)"')"
out=$("$CTL" status)
expect_match "status table: active count" "active +11" "$out"
expect_match "status table: queue:hot depth" "queue:hot +2" "$out"
expect_match "status table: budget" "1200 tokens left, refill 20 per 1m" "$out"
expect_match "status table: the live worker" "proc-1 .*in_flight" "$out"
# --foreground: one SIGINT, as a terminal's Ctrl-C sends. Without it timeout signals the
# child and then its whole process group, so the child gets two; a second one means "exit
# now" (130), and it lands while an ASan build is still checking for leaks at exit.
timeout --foreground --preserve-status -s INT 3 "$CTL" status --watch >"$T_DIR/watch.out" 2>&1; rc=$?
expect_eq "status --watch ends cleanly on Ctrl-C (exit 0)" 0 "$rc"
expect_le "status --watch redrew every second (snapshots)" 2 "$(grep -c '^freshet status' "$T_DIR/watch.out")"
timeout --foreground --preserve-status -s INT 2 "$CTL" status --watch --json >"$T_DIR/watch.json" 2>&1; rc=$?
expect_eq "status --watch --json exits 0 on Ctrl-C" 0 "$rc"
check "status --watch --json prints one JSON object per line" jq -e -s 'length >= 1' "$T_DIR/watch.json"

echo "# ctl.sh took $(( $(now_ms) - T0 )) ms"
finish
