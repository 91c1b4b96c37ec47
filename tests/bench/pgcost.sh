# pgcost.sh — part 5 of `make bench` (sourced by run.sh, which owns SVC, LOGS, BIN, sql,
# start, stop_pid, pg_ticks): what PostgreSQL spends per item, by kind of work.
#
#   first      scout --once then processor --once on an empty database (the scout's
#              insert, the processor's check and write, the history row)
#   unchanged  every row made due, refresher --once then processor --once, the fake's
#              catalog unchanged (the refresher's re-queue, the check, the write)
#   changed    the same after /_fake/bump of every product (a new payload and history)
#   plain      beside them, in the same cluster: the peer benchmark's table and
#              statements (one insert of pending rows, one upsert of 100 payloads a
#              statement, as the BullMQ pipeline does), then the same upsert again
#
# Figures per item: WAL bytes and full-page images (pg_stat_wal), PostgreSQL's CPU (user +
# sys of the postmaster and every backend, from /proc) and statement time
# (pg_stat_statements). One CHECKPOINT before the first kind: the kinds after it pay
# full-page images only for pages the run has not touched since.

# wal: "bytes fpi" of the cluster so far.
pgc_wal() { sql "SELECT wal_bytes::bigint || ' ' || wal_fpi FROM pg_stat_wal"; }

# pgc_begin / pgc_end KIND ITEMS: the figures of what ran in between, into R[p:KIND:*].
pgc_begin() {
    sql "SELECT pg_stat_statements_reset()" >/dev/null
    PGC_WAL0=$(pgc_wal)
    PGC_CPU0=$(pg_ticks)
}

pgc_end() {
    local kind=$1 items=$2 wal cpu exec split
    wal=$(pgc_wal)
    cpu=$(pg_ticks)
    exec=$(sql "SELECT coalesce(sum(total_exec_time), 0) FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND query NOT LIKE '%pg_stat%'")
    split=$(sql "SELECT string_agg(k || ' ' || round(ms::numeric / $items * 1000, 1), ', ' ORDER BY ms DESC)
                 FROM (SELECT CASE WHEN query LIKE '%INSERT INTO items (source, id, status, priority, queued_at, discovery)%' THEN 'scout insert'
                                   WHEN query LIKE '%AS r(id, prio)%' AND query LIKE '%claimed_until%' THEN 'claim'
                                   WHEN query LIKE '%AS r(id, prio)%' THEN 'check'
                                   WHEN query LIKE '%\$4::jsonb[]%' THEN 'write'
                                   WHEN query LIKE '%SET requeued_at = now()%' THEN 'refresher re-queue'
                                   WHEN query LIKE '%INSERT INTO plain%' THEN 'plain statement'
                                   ELSE 'other' END AS k, sum(total_exec_time) AS ms
                       FROM pg_stat_statements
                       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                         AND query NOT LIKE '%pg_stat%' GROUP BY 1) s")
    R[p:$kind:items]=$items
    R[p:$kind:wal]=$(((${wal% *} - ${PGC_WAL0% *}) / items))
    R[p:$kind:fpi]=$(calc '%.2f' "(${wal#* } - ${PGC_WAL0#* }) / $items")
    R[p:$kind:cpu]=$(calc '%.1f' "($cpu - $PGC_CPU0) * 1000000 / $HZ / $items")
    R[p:$kind:exec]=$(calc '%.1f' "$exec * 1000 / $items")
    R[p:$kind:split]=$split
}

# pgc_once PROGRAM NAME: runs a --once pass to its end (dies if it fails).
pgc_once() {
    "$BIN/$1" --once >>"$LOGS/pgcost-$2.log" 2>&1 || die "$1 --once ($2): exit $?"
}

pgc_due() {
    sql "UPDATE items SET next_update_due = now() - interval '1 second' WHERE source = 'keepa'" \
        >/dev/null && sql "VACUUM (ANALYZE) items, item_due" >/dev/null || die "pgcost: making rows due"
}

pgcost_run() {
    local n=$PGC_N url port ids i
    say "PostgreSQL per item: first fetch, unchanged and changed refresh, plain upsert ($n products)"
    url=$(bash "$SERVICES" createdb "$SVC" pgcost) || die "createdb pgcost"
    export DATABASE_URL=$url
    "$BIN/freshetctl" migrate >>"$LOGS/migrate.log" 2>&1 || die "freshetctl migrate"
    sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null || die "pg_stat_statements"
    rcli flushall >/dev/null || die "redis flushall"
    rm -f "$SVC/fake.port"
    # Prices change only when bumped.
    start fake-pgcost "$BIN/freshet-fake-keepa" --listen 127.0.0.1:0 --port-file "$SVC/fake.port" \
        --products "$n" --key bench:100000000 --change-period-ms 1000000000000
    PGC_FAKE=$LAST
    for ((i = 0; i < 100; i++)); do [ -s "$SVC/fake.port" ] && break; sleep 0.05; done
    port=$(cat "$SVC/fake.port" 2>/dev/null) || die "the fake Keepa did not start"
    (
        export KEEPA_BASE_URL=http://127.0.0.1:$port KEEPA_API_KEY=bench FRESHET_ADMIN_ADDR=off \
            FRESHET_SELLERS=false FRESHET_REFRESH_PER_PASS=1000000 FRESHET_QUEUE_LOW_WATER=100000000 \
            FRESHET_TOKEN_RESERVE=0 FRESHET_SCOUT_AHEAD=8
        sql "CHECKPOINT" >/dev/null
        pgc_begin
        pgc_once freshet-scout first
        pgc_once freshet-processor first
        pgc_end first "$n"
        [ "$(sql "SELECT count(*) FROM items WHERE status = 'active'")" = "$n" ] ||
            die "pgcost: not every row active after the first fetch"

        pgc_due
        pgc_begin
        pgc_once freshet-refresher unchanged
        pgc_once freshet-processor unchanged
        pgc_end unchanged "$n"

        ids=$(sql "SELECT id FROM items WHERE source = 'keepa' ORDER BY id")
        xargs -n 500 <<<"$ids" | tr ' ' ',' | while read -r chunk; do
            curl -sf -o /dev/null "http://127.0.0.1:$port/_fake/bump?asin=$chunk" || exit 1
        done || die "pgcost: /_fake/bump failed"
        pgc_due
        pgc_begin
        pgc_once freshet-refresher changed
        pgc_once freshet-processor changed
        pgc_end changed "$n"
        R[p:changed:hist]=$(sql "SELECT count(*) FROM item_history")

        # The peer benchmark's table and statements, on the payloads just stored.
        sql "CREATE TABLE plain (asin text PRIMARY KEY, status text NOT NULL
               CHECK (status IN ('pending_processing','active','failed')), payload jsonb,
               attempts int, last_error text, last_updated timestamptz, discovered_at timestamptz);
             CREATE TABLE plain_src AS SELECT id, payload::text AS p,
               (row_number() OVER (ORDER BY id) - 1) / 100 AS chunk FROM items;
             CHECKPOINT" >/dev/null
        pgc_plain_statements >"$SVC/plain.sql"
        pgc_begin
        psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f "$SVC/plain.sql" >/dev/null ||
            die "pgcost: the plain statements failed"
        pgc_end plain "$n"
        pgc_begin
        psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f "$SVC/plain-up.sql" >/dev/null ||
            die "pgcost: the plain upserts failed"
        pgc_end plain_again "$n"
        declare -p R | sed 's/^declare -A R=/R_PGC=/' >"$SVC/pgcost.R"
    ) || die "pgcost failed"
    # The subshell kept its results in a file: bring them over.
    local -A R_PGC
    eval "$(cat "$SVC/pgcost.R")"
    for i in "${!R_PGC[@]}"; do [[ $i == p:* ]] && R[$i]=${R_PGC[$i]}; done
    stop_pid "$PGC_FAKE"
}

# The plain pipeline's statements (../shared/bench-peers/impl/bullmq): the scout's insert
# of 150 ids at a time, then one upsert of 100 payloads at a time; plain-up.sql holds
# the upserts alone (a refresh of unchanged payloads).
pgc_plain_statements() {
    local chunks c
    chunks=$(sql "SELECT max(chunk) FROM plain_src")
    sql "SELECT format('INSERT INTO plain (asin, status, attempts, discovered_at) SELECT id, ''pending_processing'', 0, now() FROM plain_src WHERE chunk * 100 / 150 = %s ON CONFLICT (asin) DO NOTHING;', c)
         FROM generate_series(0, ($chunks * 100 / 150)) c"
    for ((c = 0; c <= chunks; c++)); do
        echo "INSERT INTO plain (asin, status, payload, attempts, last_updated, discovered_at) SELECT id, 'active', p::jsonb, 1, now(), now() FROM plain_src WHERE chunk = $c ON CONFLICT (asin) DO UPDATE SET status='active', payload=EXCLUDED.payload, attempts=COALESCE(plain.attempts,0)+1, last_error=NULL, last_updated=now();"
    done | tee "$SVC/plain-up.sql"
}

pgcost_report() {
    local k
    echo
    echo "PostgreSQL per item (${R[p:first:items]} products; WAL from pg_stat_wal, CPU = user+sys of"
    echo "every PostgreSQL process, statement time from pg_stat_statements; one CHECKPOINT first):"
    printf '  %-28s %10s %8s %12s %12s  %s\n' kind "WAL B" "FPI" "CPU us" "stmt us" "statement us/item"
    for k in first unchanged changed plain plain_again; do
        [ -n "${R[p:$k:wal]:-}" ] || continue
        printf '  %-28s %10s %8s %12s %12s  %s\n' "$(pgc_label "$k")" "${R[p:$k:wal]}" \
            "${R[p:$k:fpi]}" "${R[p:$k:cpu]}" "${R[p:$k:exec]}" "${R[p:$k:split]}"
    done
    echo "  unchanged refresh / first fetch, WAL: $(calc '%.0f%%' "100 * ${R[p:unchanged:wal]} / ${R[p:first:wal]}")," \
        "CPU: $(calc '%.0f%%' "100 * ${R[p:unchanged:cpu]} / ${R[p:first:cpu]}")"
    echo "  history rows after the three kinds: ${R[p:changed:hist]} (one a product per change)"
}

pgc_label() {
    case $1 in
    first) echo "first fetch (freshet)" ;;
    unchanged) echo "unchanged refresh (freshet)" ;;
    changed) echo "changed refresh (freshet)" ;;
    plain) echo "plain insert + upsert" ;;
    plain_again) echo "plain upsert again" ;;
    esac
}
