#!/usr/bin/env bash
# System test (issue 14): the processor's LLM analysis against freshet-fake-llm.
# 1,000 products are discovered and processed with keepa.yaml's analysis on; then:
# every active row gets a valid answer and the fake answers each distinct input once;
# 100 bumped products (price_new is an input) cost exactly 100 new calls; a refresh
# without change costs none; the LLM down for LLM_OUTAGE_S seconds (30, as the issue
# says) holds no record back and the analyses catch up; a 429 storm never takes more
# calls than the configured requests_per_minute, and a small tokens_per_minute is never
# exceeded in the fake's window; garbage answers end in bounded retries, then
# payload.llm_error; SIGTERM with calls in flight lets them finish and hands the rest
# back; a processor killed with SIGKILL mid-analysis loses nothing; after a Redis flush
# nothing answered is asked again; metrics and freshetctl status; rows that went active
# while analysis was off are analysed when a processor starts with it on, without a
# refresh and paying only for them. The fake's counts are printed for the issue's
# closing note.
. "$(dirname "$0")/lib.sh"

N=1000
LLM_OUTAGE_S=${LLM_OUTAGE_S:-30}
fresh_db llm
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
start_fake --products "$N" --key test:200000 --minute-ms 1000 --change-period-ms 100000000000 ||
    exit 1

# start_llm ARGS...: freshet-fake-llm on a free port; sets LLM_URL (its /v1).
start_llm() {
    local pf=$T_DIR/llm.port
    rm -f "$pf"
    start_bg fakellm "$FRESHET_BIN/freshet-fake-llm" --port 0 --port-file "$pf" --key llmkey "$@"
    for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || { echo "fake llm did not start:"; cat "$T_DIR/fakellm.log"; return 1; }
    LLM_BASE="http://127.0.0.1:$(cat "$pf")"
}
llm_get() { curl -sf --max-time 30 "$LLM_BASE$1"; }
llm_stat() { local v; v=$(jget "$(llm_get /_test/stats)" "$1"); echo "${v:-0}"; }
start_llm --window 10s || exit 1

# The source file: keepa.yaml holds only the analysis (the example's prompt and schema).
export FRESHET_SOURCES_DIR=$T_DIR/sources LLM_KEY=llmkey
mkdir -p "$FRESHET_SOURCES_DIR"
cp sources/keepa-deal.prompt sources/keepa-deal-analysis.schema.json "$FRESHET_SOURCES_DIR/"
write_yaml() { # RPM CONCURRENCY [TPM]
    cat >"$FRESHET_SOURCES_DIR/keepa.yaml" <<YAML
name: keepa
analysis:
  url: $LLM_BASE/v1
  model: grok-4-fast
  api_key: \${LLM_KEY}
  prompt: keepa-deal.prompt
  inputs: [title, brand, root_category, price_new, price_amazon, sales_rank, rating,
           review_count, analysis.avg90, analysis.drop_pct_90d]
  schema: keepa-deal-analysis.schema.json
  requests_per_minute: $1${3:+
  tokens_per_minute: $3}
  max_tokens: 200
  timeout: 3s
  concurrency: $2
YAML
}
write_yaml 600000 16
# Re-fetches are pushed by hand (no dedupe window); the refresher only recovers.
export FRESHET_TOKEN_PERIOD=1s FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_REFRESH_PASS=300ms FRESHET_RETRY_BASE=100ms FRESHET_REFRESH_POLICY=adaptive \
    FRESHET_REFRESH_MIN=1h FRESHET_REFRESH_MAX=2h FRESHET_DEDUPE_WINDOW=0s FRESHET_GRACE=8s

analysed() { sql "SELECT count(*) FROM items WHERE payload ? 'llm'"; }
settled_rows() { sql "SELECT count(*) FROM items WHERE status = 'active' AND llm_want = llm_done"; }
all_settled() { [ "$(settled_rows)" = "$(count_status active)" ] && [ "$(count_status active)" -gt 0 ]; }
valid_answers() {
    sql "SELECT count(*) FROM items WHERE payload->'llm'->>'verdict' IN ('buy', 'wait', 'skip')
           AND (payload->'llm'->>'score')::int BETWEEN 0 AND 100
           AND length(payload->'llm'->>'reason') BETWEEN 1 AND 200
           AND payload->>'llm_model' = 'grok-4-fast'
           AND payload->>'llm_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
           AND NOT payload ? 'llm_error'"
}

# --- 1. a bad source file exits 2 with the loader's message ---
printf 'name: keepa\nanalysis:\n  url: %s/v1\n  model: m\n  prompt: nope.prompt\n' "$LLM_BASE" \
    >"$FRESHET_SOURCES_DIR/keepa.yaml"
out=$("$FRESHET_BIN/freshet-processor" --once 2>&1)
expect_eq "a bad keepa.yaml exits 2" 2 "$?"
expect_match "and names the file and the key" 'keepa.yaml.*prompt' "$out"
write_yaml 600000 16

# --- 2. 1,000 records, every one analysed once ---
t0=$(now_ms)
start_bg processor "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout.log" 2>&1
expect_eq "scout --once exits 0" 0 "$?"
check "all $N active within 60 s" wait_for 60 rows_are "$N" active
t_active=$(now_ms)
check "every active row analysed within 60 s" wait_for 60 all_settled
t_done=$(now_ms)
echo "# $N active in $((t_active - t0)) ms; analysed $((t_done - t0)) ms after the start"
expect_eq "every active row holds a valid answer" "$N" "$(valid_answers)"
calls=$(llm_stat calls)
distinct=$(sql "SELECT count(DISTINCT llm_want) FROM items")
expect_eq "fake calls = distinct inputs" "$distinct" "$calls"
expect_eq "no prompt was sent twice" 1 "$(llm_stat prompt_calls_max)"
expect_eq "the cache holds one answer per distinct input" "$distinct" \
    "$(sql "SELECT count(*) FROM llm_cache WHERE source = 'keepa'")"
expect_eq "content_hash untouched: one history row per item" "$N" \
    "$(sql "SELECT count(*) FROM item_history")"
echo "# fake after $N records: calls $calls, distinct prompts $(llm_stat prompts_distinct)," \
    "prompt tokens $(llm_stat prompt_tokens), completion tokens $(llm_stat completion_tokens)," \
    "per 1,000 records $(( $(llm_stat total_tokens) * 1000 / N )) tokens"
echo "# one row: $(sql "SELECT id || ' ' || jsonb_build_object('llm', payload->'llm',
    'llm_model', payload->'llm_model', 'llm_at', payload->'llm_at')::text FROM items ORDER BY id LIMIT 1")"

start_bg refresher "$FRESHET_BIN/freshet-refresher"

# pick OFFSET COUNT: a set of ids (table t_set) by catalog order.
pick() {
    sql "DROP TABLE IF EXISTS t_set; CREATE TABLE t_set AS
         SELECT id FROM items ORDER BY id LIMIT $2 OFFSET $1" >/dev/null
}
bump_set() { fake_get "/_fake/bump?asin=$(sql "SELECT string_agg(id, ',') FROM t_set")" >/dev/null; }
# refetch: queues every id of t_set again and remembers their state (t_before).
refetch() {
    sql "DROP TABLE IF EXISTS t_before; CREATE TABLE t_before AS
         SELECT id, last_updated, llm_want, payload->'llm' AS llm, payload->>'llm_at' AS llm_at
         FROM items WHERE id IN (SELECT id FROM t_set)" >/dev/null
    sql "SELECT id FROM t_set" | xargs -n 200 redis-cli -u "$REDIS_URL" --no-auth-warning \
        RPUSH 'freshet:{keepa}:queue' >/dev/null
}
refetched() {
    [ "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id)
              WHERE i.last_updated > b.last_updated")" = "$(sql "SELECT count(*) FROM t_before")" ]
}
restart_processor() { # with the current keepa.yaml
    kill -TERM "$PROC"
    exits_within 10 "$PROC"
    expect_eq "processor exits 0 on SIGTERM" 0 "$T_EXIT"
    start_bg processor "$FRESHET_BIN/freshet-processor"
    PROC=$T_LAST_PID
}

# --- 3. a refresh without change costs no call ---
calls0=$(llm_stat calls)
sql "DROP TABLE IF EXISTS t_set; CREATE TABLE t_set AS SELECT id FROM items" >/dev/null
refetch
check "all $N re-fetched" wait_for 60 refetched
check "and settled" wait_for 30 all_settled
sleep 1
expect_eq "a refresh of $N unchanged records costs no call" "$calls0" "$(llm_stat calls)"
expect_eq "and keeps every answer as it was" 0 "$(sql "SELECT count(*) FROM items i JOIN t_before b
    USING (id) WHERE i.payload->'llm' IS DISTINCT FROM b.llm OR i.payload->>'llm_at' IS DISTINCT FROM b.llm_at")"

# --- 4. 100 mutated records cost exactly 100 calls ---
pick 100 100
bump_set
refetch
check "100 bumped re-fetched" wait_for 30 refetched
check "and analysed again" wait_for 30 all_settled
expect_eq "100 mutated records cost exactly 100 new calls" $((calls0 + 100)) "$(llm_stat calls)"
expect_eq "each of them wants a new input hash" 100 \
    "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id) WHERE i.llm_want <> b.llm_want")"
expect_eq "and holds its new answer" 100 \
    "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id) WHERE i.payload->>'llm_at' IS NOT NULL
            AND i.llm_done = i.llm_want")"
expect_eq "still no prompt sent twice" 1 "$(llm_stat prompt_calls_max)"

# --- 5. the LLM down: records still go active, analyses catch up ---
calls1=$(llm_stat calls)
answered1=$(llm_stat prompts_answered)
llm_get "/_test/outage?mode=503&ms=$((LLM_OUTAGE_S * 1000))" >/dev/null
t_out=$(now_ms)
pick 200 50
bump_set
refetch
check "during the outage the 50 bumped records are re-fetched" wait_for 5 refetched
expect_eq "and wait for their analysis, still active" 50 "$(sql "SELECT count(*) FROM items
    WHERE id IN (SELECT id FROM t_set) AND status = 'active' AND llm_want <> llm_done")"
expect_le "(the outage was still on)" "$(( $(now_ms) - t_out ))" $((LLM_OUTAGE_S * 1000))
check "after the ${LLM_OUTAGE_S}-s outage every analysis catches up" wait_for $((LLM_OUTAGE_S + 60)) all_settled
expect_eq "with valid answers" "$N" "$(valid_answers)"
expect_eq "and each new input answered once" $((answered1 + 50)) "$(llm_stat prompts_answered)"
expect_eq "(no prompt answered twice)" 1 "$(llm_stat prompt_answers_max)"
echo "# outage: $(( $(llm_stat calls) - calls1 )) calls (503s included) for 50 inputs"

# --- 6. a 429 storm never exceeds the configured limit ---
write_yaml 120 4 # 2 a second: at most 20 in the fake's 10-s window
llm_get "/_test/reset?limits=1" >/dev/null
llm_get "/_test/faults?rpm=20&storm_ms=4000" >/dev/null
restart_processor
pick 300 30
bump_set
refetch
check "storm: 30 bumped re-fetched" wait_for 20 refetched
check "storm: all analysed" wait_for 90 all_settled
expect_le "the storm answered 429s" 1 "$(llm_stat status_429)"
expect_le "calls in any 10-s window <= the configured 120/min" "$(llm_stat max_calls_in_window)" 20
expect_eq "no call beyond the fake's own limit" 0 "$(jget "$(llm_get /_test/stats)" outcomes,429_limit | sed 's/^$/0/')"
echo "# storm: $(llm_stat calls) calls, $(llm_stat status_429) answered 429, busiest 10 s: $(llm_stat max_calls_in_window)"
llm_get "/_test/faults?rpm=10000" >/dev/null

# --- 6b. a small tokens_per_minute is never exceeded ---
# 300,000 tokens a minute, requests unlimited in effect: at most 50,000 tokens in the
# fake's 10-s window. 300 bumped records need ~96,000 tokens (~320 a call): sent at
# once they would put them all in one window; spent evenly they take ~20 s.
write_yaml 600000 16 300000
llm_get "/_test/reset?limits=1" >/dev/null
restart_processor
pick 700 300
bump_set
refetch
check "tpm: 300 bumped re-fetched" wait_for 30 refetched
check "tpm: all analysed" wait_for 90 all_settled
expect_eq "tpm: one call each" 300 "$(llm_stat calls)"
expect_le "tokens in any 10-s window <= the configured 300000/min" \
    "$(llm_stat max_tokens_in_window)" 50000
echo "# tpm: $(llm_stat calls) calls, $(llm_stat total_tokens) tokens, busiest 10 s:" \
    "$(llm_stat max_tokens_in_window) tokens in $(llm_stat max_calls_in_window) calls"
write_yaml 600000 16
restart_processor

# --- 7. garbage answers: two retries, then payload.llm_error ---
llm_get "/_test/reset" >/dev/null
llm_get "/_test/faults?fail_nonjson=0.5&fail_shape=0.5" >/dev/null
pick 400 10
bump_set
refetch
check "garbage: 10 bumped re-fetched" wait_for 20 refetched
check "garbage: all settled" wait_for 30 all_settled
expect_eq "3 calls for each (2 retries)" 30 "$(llm_stat calls)"
expect_eq "then llm_error with the reason" 10 "$(sql "SELECT count(*) FROM items WHERE id IN
    (SELECT id FROM t_set) AND payload->>'llm_error' ~ '^content (is not a JSON object|fails the schema)'")"
echo "# llm_error: $(sql "SELECT string_agg(DISTINCT left(payload->>'llm_error', 80), ' | ') FROM items
    WHERE id IN (SELECT id FROM t_set)")"
expect_eq "the records stay active with their previous answer" 10 "$(sql "SELECT count(*) FROM items i
    JOIN t_before b USING (id) WHERE i.status = 'active' AND i.payload->'llm' = b.llm")"
llm_get "/_test/faults?fail_nonjson=0&fail_shape=0" >/dev/null
bump_set
refetch
check "garbage: a valid answer later" wait_for 30 all_settled
expect_eq "clears llm_error" 0 "$(sql "SELECT count(*) FROM items WHERE payload ? 'llm_error'")"

# --- 8. SIGTERM hands back, SIGKILL loses nothing ---
llm_get "/_test/faults?latency_ms=1500" >/dev/null
in_flight() { [ "$(llm_stat in_flight)" -gt 0 ]; }
pick 600 40
bump_set
refetch
check "calls in flight before SIGTERM" wait_for 20 in_flight
kill -TERM "$PROC"
inflight_at_term=$(llm_stat in_flight)
exits_within 10 "$PROC"
expect_eq "SIGTERM with calls in flight: exit 0 within the grace" 0 "$T_EXIT"
expect_le "the calls in flight finished and their answers were stored" "$inflight_at_term" \
    "$(sql "SELECT count(*) FROM items WHERE id IN (SELECT id FROM t_set) AND llm_want = llm_done")"
expect_eq "what was not sent is handed back (claimable now, no lease left)" 0 "$(sql "SELECT count(*)
    FROM items WHERE llm_want IS DISTINCT FROM llm_done AND llm_due > now()")"
start_bg processor "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
check "after SIGTERM the rest is analysed" wait_for 30 all_settled

llm_get "/_test/reset" >/dev/null
pick 500 60
bump_set
refetch
check "calls in flight" wait_for 20 in_flight
kill -KILL "$PROC"
inflight_at_kill=$(llm_stat in_flight)
llm_get "/_test/faults?latency_ms=0" >/dev/null
FRESHET_ADMIN_ADDR=127.0.0.1:0 start_bg processor "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
check "after SIGKILL every analysis is done (leases of 13 s run out)" wait_for 90 all_settled
expect_eq "every active row holds llm or llm_error" 0 "$(sql "SELECT count(*) FROM items
    WHERE status = 'active' AND NOT (payload ? 'llm' OR payload ? 'llm_error')")"
expect_le "calls repeated: at most those in flight at the kill" "$(llm_stat calls)" $((60 + inflight_at_kill))
echo "# kill -9 with $inflight_at_kill calls in flight: $(llm_stat calls) calls for 60 inputs"

# --- 9. after a Redis flush nothing answered is sent again ---
calls2=$(llm_stat calls)
rcli FLUSHALL >/dev/null
sql "UPDATE items SET llm_done = NULL, llm_due = now()" >/dev/null
check "flush: every row analysed again" wait_for 60 all_settled
expect_eq "from PostgreSQL's cache: no call" "$calls2" "$(llm_stat calls)"

P=$(sed -n 's/.*admin HTTP listening on port \([0-9]*\).*/\1/p' "$T_DIR/processor.log" | tail -n 1)
curl -s "http://127.0.0.1:$P/metrics" >"$T_DIR/proc.prom"
for fam in "freshet_llm_requests_total counter" "freshet_llm_tokens_total counter" \
           "freshet_llm_cache_hits_total counter" "freshet_llm_waiting gauge" \
           "freshet_llm_request_duration_seconds histogram"; do
    expect_match "processor exports ${fam% *}" "^# TYPE $fam" "$(cat "$T_DIR/proc.prom")"
done
hits=$(grep -E '^freshet_llm_cache_hits_total' "$T_DIR/proc.prom" | awk '{print $2}')
expect_eq "cache hits counted" "$N" "${hits%.*}"
expect_match "calls counted by source, model and outcome" \
    'freshet_llm_requests_total\{.*model="grok-4-fast".*outcome="ok".*\} [1-9]' "$(cat "$T_DIR/proc.prom")"
st=$("$FRESHET_BIN/freshetctl" status 2>&1)
expect_match "freshetctl status shows analysed / waiting / failed" \
    "analysis +$N analysed, 0 waiting, 0 failed \\(llm_error\\); today [1-9][0-9]* calls, [1-9][0-9]* prompt \\+ [1-9][0-9]* completion tokens" "$st"
echo "# $(printf '%s\n' "$st" | grep '^analysis')"
"$FRESHET_BIN/freshetctl" status --json >"$T_DIR/status.json"
expect_eq "and in its JSON" "$N 0" "$(jsql "$T_DIR/status.json" "SELECT (:'j'::jsonb->'llm'->>'analysed') || ' ' || (:'j'::jsonb->'llm'->>'waiting')")"

# --- 10. rows made active with analysis off are analysed when it is turned on ---
# 50 new products go active through a processor without keepa.yaml (no input hash);
# a processor started with the analysis finds them without any refresh, and the 1,000
# rows analysed before cost nothing: their hash, computed again from the stored
# payload, is the one they want.
mkdir -p "$T_DIR/no-analysis"
kill -TERM "$PROC"
exits_within 10 "$PROC"
FRESHET_SOURCES_DIR=$T_DIR/no-analysis start_bg processor-off "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
fake_get "/_fake/grow?n=50" >/dev/null
"$FRESHET_BIN/freshet-scout" --once >>"$T_DIR/scout.log" 2>&1
check "off: $((N + 50)) active" wait_for 60 rows_are $((N + 50)) active
expect_eq "off: the 50 new rows have no input hash" 50 \
    "$(sql "SELECT count(*) FROM items WHERE status = 'active' AND llm_want IS NULL")"
kill -TERM "$PROC"
exits_within 10 "$PROC"
expect_eq "off: processor exits 0 on SIGTERM" 0 "$T_EXIT"
sql "DROP TABLE IF EXISTS t_before; CREATE TABLE t_before AS
     SELECT id, last_updated, llm_want FROM items" >/dev/null
hist0=$(sql "SELECT count(*) FROM item_history")
llm_get "/_test/reset" >/dev/null
start_bg processor "$FRESHET_BIN/freshet-processor"
PROC=$T_LAST_PID
check "on again: every active row analysed, the 50 new ones too" wait_for 60 all_settled
expect_eq "without any refresh" 0 "$(sql "SELECT count(*) FROM items i JOIN t_before b USING (id)
    WHERE i.last_updated IS DISTINCT FROM b.last_updated")"
expect_eq "(no history written)" "$hist0" "$(sql "SELECT count(*) FROM item_history")"
expect_eq "the 50 hold a valid answer" $((N + 50)) "$(valid_answers)"
expect_eq "paid once for each of the 50, nothing for the rows analysed before" 50 "$(llm_stat calls)"
expect_eq "(no prompt sent twice)" 1 "$(llm_stat prompt_calls_max)"
expect_eq "the rows analysed before keep their input hash" 0 "$(sql "SELECT count(*) FROM items i
    JOIN t_before b USING (id) WHERE b.llm_want IS NOT NULL AND i.llm_want <> b.llm_want")"

kill -TERM "$PROC"
exits_within 10 "$PROC"
expect_eq "processor exits 0 on SIGTERM" 0 "$T_EXIT"
finish
