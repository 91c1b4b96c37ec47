#!/usr/bin/env bash
# System test: item_history of a declared source (DESIGN.md "Sources": history rows hold
# its `history:` fields, written only on change). sources/repos.yaml keeps history of
# [stars, forks] against freshet-fake-repos. Checks: a first fetch writes one row whose
# `fields` are the fake's values (and no Keepa column); a star change writes a second
# row with the new values; a change of another field only (updated_at) or no change at
# all writes none, though the payload follows.
. "$(dirname "$0")/lib.sh"
need jq:jq

N=50
repos_fixture decl_history --repos "$N" --limit 100000 --window 60s --seed 3
export FRESHET_SOURCE=repos FRESHET_IDLE_POLL=50ms FRESHET_HEARTBEAT=500ms \
    FRESHET_RETRY_BASE=100ms
repos_get() { curl -sf --max-time 30 "$REPOS_BASE_URL$1"; }
# The history rows of id $1: "stars,forks" of each, oldest first, space separated.
rows_of() {
    sql "SELECT string_agg((fields->>'stars') || ',' || (fields->>'forks'), ' '
                           ORDER BY observed_at)
         FROM item_history WHERE source = 'repos' AND id = '$1'"
}
truth_of() { repos_get "/_test/truth?id=$1" | jq -r '.record | "\(.stargazers_count),\(.forks_count)"'; }
# One refresh round: the scout marks what moved due, the refresher queues the due rows,
# the processor fetches them.
round() {
    "$FRESHET_BIN/freshet-scout" --once >>"$T_DIR/scout.log" 2>&1 &&
        "$FRESHET_BIN/freshet-refresher" --once >>"$T_DIR/refr.log" 2>&1 &&
        "$FRESHET_BIN/freshet-processor" --once >>"$T_DIR/proc.log" 2>&1
}

round
expect_eq "every repository active" "$N" "$(count_status active)"
expect_eq "one history row each" "$N $N" \
    "$(sql "SELECT count(*) || ' ' || count(DISTINCT id) FROM item_history WHERE source = 'repos'")"
expect_eq "a row holds the history fields' values" "$(truth_of 42)" "$(rows_of 42)"
expect_eq "... as a JSON object of exactly those fields" '["forks", "stars"]' \
    "$(sql "SELECT jsonb_path_query_array(fields, '\$.keyvalue().key')::text
            FROM item_history WHERE source = 'repos' AND id = '42'")"
expect_eq "... and no Keepa column" 0 \
    "$(sql "SELECT count(*) FROM item_history WHERE source = 'repos' AND (price_amazon
            IS NOT NULL OR price_new IS NOT NULL OR sales_rank IS NOT NULL
            OR buybox_seller_id IS NOT NULL)")"

# Stars of 5 and 6 move; only updated_at of 7 moves.
first5=$(rows_of 5)
repos_get "/_test/mutate?ids=5,6&stars_delta=3" >/dev/null
repos_get "/_test/mutate?id=7&touch=1" >/dev/null
before7=$(sql "SELECT payload->>'updated_at' FROM items WHERE source = 'repos' AND id = '7'")
round
expect_eq "a star change writes a row with the new values" "$first5 $(truth_of 5)" "$(rows_of 5)"
expect_eq "... for each changed id" 2 \
    "$(sql "SELECT count(*) FROM item_history WHERE source = 'repos' AND id = '6'")"
expect_eq "another field's change updates the payload" \
    "$(repos_get '/_test/truth?id=7' | jq -r .record.updated_at)" \
    "$(sql "SELECT payload->>'updated_at' FROM items WHERE source = 'repos' AND id = '7'")"
check "... (it did move)" test "$before7" != \
    "$(sql "SELECT payload->>'updated_at' FROM items WHERE source = 'repos' AND id = '7'")"
expect_eq "... but writes no history row" 1 \
    "$(sql "SELECT count(*) FROM item_history WHERE source = 'repos' AND id = '7'")"

# A refetch that finds nothing new writes nothing either.
sql "UPDATE items SET next_update_due = now() - interval '1 s' WHERE source = 'repos'
     AND id IN ('8', '9')" >/dev/null
fetched=$(repos_get /_test/stats | jq .fetched)
round
check "the unchanged ids were fetched again" test "$(repos_get /_test/stats | jq .fetched)" -gt "$fetched"
expect_eq "no history row for an unchanged refetch" "$((N + 2))" \
    "$(sql "SELECT count(*) FROM item_history WHERE source = 'repos'")"
finish
