#!/usr/bin/env bash
# System test: a declared source alone (sources/repos.yaml against freshet-fake-repos),
# served by the same scout and processor as Keepa through common/source.h. Checks: every
# listed repository ends active with its payload equal to the fake's truth and one fetch
# each; the cursor listing and single-id detail ({id}) work too, a pushed unknown id
# fails at once as gone; a mutation makes exactly the mutated ids due on the next scout
# pass (their signal, updated_at, moved), and only once; junk pushed to the queue is
# dead-lettered; a revoked token pauses the source (/readyz 503 naming it, no attempt
# spent) and a restored one resumes it.
. "$(dirname "$0")/lib.sh"
need jq:jq

N=300
fresh_db declared
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
pf=$T_DIR/repos.port
start_bg fakerepos "$FRESHET_BIN/freshet-fake-repos" --port-file "$pf" --repos "$N" \
    --token tok --limit 100000 --window 60s --seed 7
for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
[ -s "$pf" ] || { echo "fake repos did not start"; cat "$T_DIR/fakerepos.log"; exit 1; }
export REPOS_BASE_URL="http://127.0.0.1:$(cat "$pf")" REPOS_TOKEN=tok
mkdir -p "$T_DIR/src"
cp sources/repos.yaml sources/repos.schema.json "$T_DIR/src/"
export FRESHET_SOURCES_DIR=$T_DIR/src FRESHET_SOURCE=repos FRESHET_IDLE_POLL=50ms \
    FRESHET_HEARTBEAT=500ms FRESHET_REFRESH_PASS=300ms FRESHET_RETRY_BASE=100ms
repos_get() { curl -sf --max-time 30 "$REPOS_BASE_URL$1"; }

# 1. Page listing, batched detail.
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout1.log" 2>&1
expect_eq "scout --once on a declared source exits 0" 0 $?
expect_eq "every repository discovered" "$N" "$(count_status pending_processing)"
"$FRESHET_BIN/freshet-processor" --once >"$T_DIR/proc1.log" 2>&1
expect_eq "processor --once exits 0" 0 $?
expect_eq "every repository active" "$N" "$(count_status active)"
stats=$(repos_get /_test/stats)
expect_eq "each repository fetched once" "1 $N" \
    "$(printf '%s' "$stats" | jq -r '"\(.fetched_max) \(.fetched_unique)"')"
expect_eq "no 429" 0 "$(printf '%s' "$stats" | jq -r .rate_limited)"
truth=$(repos_get "/_test/truth?id=42" | jq -cS '.record | {full_name, owner: .owner.login,
    stars: .stargazers_count, forks: .forks_count, language, topics, description,
    updated_at}')
stored=$(sql "SELECT payload::text FROM items WHERE source = 'repos' AND id = '42'" | jq -cS .)
expect_eq "a payload holds the fake's fields" "$truth" "$stored"
expect_eq "each row has a history row" "$N" \
    "$(sql "SELECT count(DISTINCT id) FROM item_history WHERE source = 'repos'")"

# 2. A mutation moves updated_at: the next pass makes exactly those due, the one after
#    none (the listing's signal was kept).
repos_get "/_test/mutate?ids=5,6,7" >/dev/null
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout2.log" 2>&1
expect_match "the scout marks the mutated ids due" '[^0-9]3 known ids marked due' \
    "$(cat "$T_DIR/scout2.log")"
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout3.log" 2>&1
expect_match "... and not again on the next pass" '[^0-9]0 known ids marked due' \
    "$(cat "$T_DIR/scout3.log")"

# 3. Junk on the queue is dead-lettered; an unknown id (single-id detail: 404) fails at
#    once as gone. The cursor listing runs the same catalog again under another name.
python3 - "$T_DIR/src/repos.yaml" "$T_DIR/src/curs.yaml" <<'PY'
import re, sys
s = open(sys.argv[1]).read().replace("name: repos", "name: curs")
s = re.sub(r"discover:\n(  .*\n)+", """discover:
  path: /v1/repos/cursor
  params: {limit: "100"}
  pagination: {type: cursor, param: cursor, from: $.next_cursor}
  records: $.entries[*].repo
  id: $.id
""", s)
s = re.sub(r"detail:\n(  .*\n)+", """detail:
  path: /v1/repos/{id}
  max_ids: 1
  records: $
  id: $.id
""", s)
open(sys.argv[2], "w").write(s)
PY
export FRESHET_SOURCE=curs
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout4.log" 2>&1
expect_eq "a cursor listing discovers every repository" "$N" "$(count_status pending_processing)"
rcli RPUSH 'freshet:{curs}:queue' 'has space' '{"id":' 999999 >/dev/null
"$FRESHET_BIN/freshet-processor" --once >"$T_DIR/proc2.log" 2>&1
expect_eq "single-id detail: every repository active" "$N" "$(count_status active)"
expect_eq "an unknown id failed at once as gone" "gone: 404 from upstream|1" \
    "$(sql "SELECT last_error, attempts FROM items WHERE source = 'curs' AND id = '999999'")"
expect_eq "the junk and the gone id dead-lettered" 3 "$(rcli LLEN 'freshet:{curs}:dead')"

# 4. A revoked token pauses the source without spending attempts; a restored one resumes.
export FRESHET_SOURCE=repos
sql "UPDATE items SET next_update_due = now() WHERE source = 'repos'" >/dev/null
before=$(repos_get /_test/stats | jq .fetched)
repos_get "/_test/token?token=other" >/dev/null
start_bg refr env FRESHET_ADMIN_ADDR=off "$FRESHET_BIN/freshet-refresher"
start_bg proc env FRESHET_ADMIN_ADDR=127.0.0.1:0 "$FRESHET_BIN/freshet-processor"
check "the processor logs the refusal" wait_for 20 grep -q 'refused the credentials' \
    "$T_DIR/proc.log"
port=$(sed -n 's/.*admin HTTP listening on port \([0-9]*\).*/\1/p' "$T_DIR/proc.log" | head -n 1)
expect_match "/readyz answers 503 naming the paused source" "^503 .*source 'repos' paused" \
    "$(curl -s -o "$T_DIR/ready" -w '%{http_code} ' "http://127.0.0.1:$port/readyz"; cat "$T_DIR/ready")"
expect_eq "no attempt spent while paused" 0 \
    "$(sql "SELECT max(attempts) FROM items WHERE source = 'repos'")"
expect_eq "nothing fetched while paused" "$before" "$(repos_get /_test/stats | jq .fetched)"
restored=$(sql "SELECT now()")
repos_get "/_test/token?token=tok" >/dev/null
all_fetched_again() {
    [ "$(sql "SELECT count(*) FROM items WHERE source = 'repos'
              AND last_updated >= '$restored'")" = "$N" ]
}
t0=$(date +%s)
check "work resumes within a minute of the restored token" wait_for 60 all_fetched_again
echo "# resumed after $(( $(date +%s) - t0 )) s"
expect_eq "still no attempt spent" 0 \
    "$(sql "SELECT max(attempts) FROM items WHERE source = 'repos'")"
finish
