#!/usr/bin/env bash
# run.sh BIN BUILD [N] — `make bench`: what freshet does on this machine, next to what
# the machine can do for the same work.  See tests/bench/README.md for every figure.
#
#  1. The fleet (one scout with FRESHET_SCOUT_AHEAD=8, one processor, one refresher)
#     against the fake Keepa (a budget that never limits) on a catalog of N products
#     (default 50000), from an empty database until every row is active; once with
#     0 ms and once with 100 ms upstream latency, a fresh database each.
#  2. Ceilings: the queue calls the fleet makes (queue_ceiling), and the processor's
#     write statement on two connections (upsert_ceiling), plus its COPY variant and a
#     plain upsert for comparison.
#  3. The refresher at scale: 1,000,000 active rows, EXPLAIN of its due scan and the
#     time of one pass with 1%, 0.1% and 0 rows due.
#  4. LLM analysis (issue 14): the same fleet on a catalog of BENCH_LLM_N products
#     (default 20000) without analysis, then with keepa.yaml's analysis section pointed
#     at freshet-fake-llm at 0 ms and at 500 ms latency: items/s to active, analyses/s
#     and the time until every analysis is done, the processor's peak RSS, the fake's
#     calls and tokens.
#
# Real Redis and PostgreSQL (durable: fsync on) from tests/harness/services.sh, on
# loopback, in a service dir under /tmp that is removed at the end with every process
# this script started (also on Ctrl-C).  Progress goes to stderr, the report to stdout.
# Exit status: 0 when everything ran (no pass/fail on speed), 1 when something did not
# work (a worker died, the catalog was not active in time, a ceiling failed), 2 usage.
# Environment: BENCH_LATENCIES ("0 100 100x256": fake latencies in ms, MSxN also sets
# FRESHET_CONCURRENCY=N), BENCH_TIMEOUT (seconds a fleet run may take,
# default 300 + N/50), BENCH_REFRESH_ROWS (1000000), BENCH_KEEP (a dir that receives the
# logs, the 1-s CPU samples and the progress timelines before the service dir goes),
# BENCH_EXPLAIN_MS (log the plans of fleet statements slower than this, with auto_explain,
# into pg.log: slows the run; for finding out why a statement is slow), BENCH_PARTS
# ("fleet ceilings refresher analysis": the parts to run, in this order), BENCH_LLM
# ("off 0 500x128": analysis runs, "off" without keepa.yaml, else the fake LLM's latency
# in ms, MSxC also sets analysis.concurrency to C; 8 otherwise; empty skips part 4),
# BENCH_LLM_N (catalog size of part 4: 20000, or N when smaller).
#  5. PostgreSQL per item (tests/bench/pgcost.sh): WAL bytes, full-page images, CPU and
#     statement time of a first fetch, an unchanged and a changed refresh, beside the
#     peer benchmark's plain insert + upsert in the same cluster; BENCH_PGCOST_N products
#     (20000, or N when smaller).
set -u

usage() { echo "usage: run.sh BIN BUILD [N]" >&2; exit 2; }
[ $# -ge 2 ] || usage
BIN=$(cd "$1" 2>/dev/null && pwd) || usage
BUILD=$(cd "$2" 2>/dev/null && pwd) || usage
N=${3:-50000}
case $N in '' | *[!0-9]*) echo "run.sh: N must be a number (got '$N')" >&2; exit 2 ;; esac
[ "$N" -ge 1000 ] || { echo "run.sh: N must be at least 1000" >&2; exit 2; }
LATENCIES=${BENCH_LATENCIES:-0 100 100x256}
for l in $LATENCIES; do
    case $l in
    "" | x* | *x | *x*x* | *[!0-9x]*)
        echo "run.sh: BENCH_LATENCIES takes ms or MSxTRANSFERS, e.g. '0 100 100x256' (got '$l')" >&2
        exit 2
        ;;
    esac
done
PARTS=${BENCH_PARTS:-fleet ceilings refresher analysis pgcost}
for p in $PARTS; do
    case $p in
    fleet | ceilings | refresher | analysis | pgcost) ;;
    *) echo "run.sh: BENCH_PARTS takes fleet, ceilings, refresher, analysis, pgcost (got '$p')" >&2; exit 2 ;;
    esac
done
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
LLM_RUNS=${BENCH_LLM-off 0 500x128}
for l in $LLM_RUNS; do
    case $l in
    off) ;;
    "" | x* | *x | *x*x* | *[!0-9x]*)
        echo "run.sh: BENCH_LLM takes off, ms or MSxCONCURRENCY, e.g. 'off 0 500x128' (got '$l')" >&2
        exit 2
        ;;
    esac
done
[ -n "$LLM_RUNS" ] || PARTS=${PARTS/analysis/}
LLM_N=${BENCH_LLM_N:-$((N < 20000 ? N : 20000))}
case $LLM_N in '' | *[!0-9]*) echo "run.sh: BENCH_LLM_N must be a number (got '$LLM_N')" >&2; exit 2 ;; esac
has_part fleet || LATENCIES=
TIMEOUT=${BENCH_TIMEOUT:-$((300 + N / 50))}
REFRESH_ROWS=${BENCH_REFRESH_ROWS:-1000000}
cd "$(dirname "$0")/../.." || exit 1
SERVICES=$PWD/tests/harness/services.sh
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)
for t in queue_ceiling upsert_ceiling; do
    [ -x "$BUILD/tests/bench/$t" ] || { echo "run.sh: $BUILD/tests/bench/$t is missing (make all)" >&2; exit 2; }
done

SVC=$(mktemp -d /tmp/fbench.XXXXXX) || exit 1
LOGS=$SVC/logs
PIDS=()      # background processes this script started and has not stopped yet
SAMPLER=
declare -A R # results: R[<latency>:<figure>], R[c:<figure>] for ceilings

say() { echo "bench: $*" >&2; }

# The last lines of every log, for a failure report.
show_logs() {
    local f
    for f in "$LOGS"/*.log "$SVC/pg.log"; do
        [ -s "$f" ] || continue
        echo "--- last lines of ${f##*/}:" >&2
        tail -n 5 "$f" | cut -c1-300 >&2
    done
}

die() { echo "bench: FAILED: $*" >&2; show_logs; exit 1; }

# start NAME CMD... and stop_pid PID: background processes in PIDS, logs in $LOGS.
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
# Part 5: PostgreSQL's work per item (pgcost_run, pgcost_report).
# shellcheck source=tests/bench/pgcost.sh
. tests/bench/pgcost.sh
PGC_N=${BENCH_PGCOST_N:-20000}
[ "$PGC_N" -le "$N" ] || PGC_N=$N

cleanup() {
    trap '' INT TERM HUP
    local p
    [ -n "$SAMPLER" ] && { kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; }
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    if [ -n "${BENCH_KEEP:-}" ] && mkdir -p "$BENCH_KEEP"; then
        cp -r "$LOGS" "$SVC"/cpu-* "$SVC"/timeline-* "$SVC/pg.log" "$BENCH_KEEP"/ 2>/dev/null
    fi
    bash "$SERVICES" stop "$SVC" >/dev/null 2>&1
    rm -rf "$SVC"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
rcli() { redis-cli -u "$REDIS_URL" --no-auth-warning "$@"; }
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
now() { date +%s.%N; }

# ---- /proc figures -------------------------------------------------------------------

# ticks PID: user+sys CPU of a process and of its children it has waited for (a
# postmaster collects its exited backends there), in clock ticks; 0 when gone.
ticks() {
    local line
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return; }
    # shellcheck disable=SC2086 # split the fields after "pid (comm) "
    set -- ${line##*) }
    echo $((${12} + ${13} + ${14} + ${15}))
}

# PostgreSQL as a whole: the postmaster, its live children, the exited ones. A backend
# reaped while we add up would be missed: read again until the postmaster's own figure
# (which takes in what it reaps) stayed the same around the sum.
pg_ticks() {
    local pm c a b total i
    pm=$(head -n 1 "$SVC/pg/postmaster.pid" 2>/dev/null) || { echo 0; return; }
    for ((i = 0; i < 5; i++)); do
        a=$(ticks "$pm")
        total=$a
        for c in $(pgrep -P "$pm"); do total=$((total + $(ticks "$c"))); done
        b=$(ticks "$pm")
        [ "$a" = "$b" ] && break
    done
    echo "$total"
}

hwm_mb() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

# Machine-wide jiffies: busy, iowait, total.
machine() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, $6, b + $5 + $6 }' /proc/stat; }

# sampler FILE PID...: every second, a line: time, ticks of each PID, pg, machine.
sampler() {
    local out=$1 p
    shift
    while :; do
        {
            printf '%s' "$(now)"
            for p in "$@"; do printf ' %s' "$(ticks "$p")"; done
            printf ' %s %s\n' "$(pg_ticks)" "$(machine)"
        } >>"$out"
        sleep 1
    done
}

# cpu_summary FILE NAME...: "name mean% peak%" per column (% of one core; peak over
# 1-s samples), then "machine busy% iowait%" (% of all cores).
cpu_summary() {
    local f=$1
    shift
    awk -v hz="$HZ" -v names="$*" '
        BEGIN { k = split(names, nm, " ") }
        # The sampler may be stopped in the middle of a line: only whole ones count.
        NR == 1 { nf = NF }
        NF == nf { rows++; for (i = 1; i <= NF; i++) v[rows, i] = $i }
        END {
            if (rows < 2) exit
            dt = v[rows, 1] - v[1, 1]
            for (c = 1; c <= k; c++) {
                peak = 0; sum = 0
                for (r = 2; r <= rows; r++) {
                    d = v[r, 1] - v[r - 1, 1]
                    # A sum over processes can dip when one exits between two reads
                    # (reaped PostgreSQL backends): such an interval counts as 0.
                    if ((x = v[r, c + 1] - v[r - 1, c + 1]) > 0) sum += x; else x = 0
                    if (d > 0 && (p = x / hz / d * 100) > peak) peak = p
                }
                printf "%s %.0f %.0f\n", nm[c], sum / hz / dt * 100, peak
            }
            b = k + 2; w = k + 3; t = k + 4
            tot = v[rows, t] - v[1, t]
            printf "machine %.0f %.0f\n", (v[rows, b] - v[1, b]) / tot * 100, (v[rows, w] - v[1, w]) / tot * 100
        }' "$f"
}

# ---- 1. the fleet --------------------------------------------------------------------

# start_fleet TAG TRANSFERS ADMIN_PORT: one processor (FRESHET_CONCURRENCY=TRANSFERS, its
# /metrics on ADMIN_PORT), one refresher, one scout (FRESHET_SCOUT_AHEAD=8), logs named
# after TAG; their pids go to the caller's pid[processor], pid[refresher], pid[scout].
start_fleet() {
    start "processor-$1" env FRESHET_ADMIN_ADDR="127.0.0.1:$3" FRESHET_CONCURRENCY="$2" \
        "$BIN/freshet-processor"
    pid[processor]=$LAST
    start "refresher-$1" "$BIN/freshet-refresher"
    pid[refresher]=$LAST
    start "scout-$1" env FRESHET_SCOUT_AHEAD=8 "$BIN/freshet-scout"
    pid[scout]=$LAST
}

stop_sampler() {
    kill "$SAMPLER" 2>/dev/null
    wait "$SAMPLER" 2>/dev/null
    SAMPLER=
}

# still_going LABEL FAILED ACTIVE TOTAL: the run fails when a process of the caller's
# pid[] exited, or when rows failed and none is left to wait for.
still_going() {
    local name
    for name in "${!pid[@]}"; do
        kill -0 "${pid[$name]}" 2>/dev/null || die "$name exited during the run ($1)"
    done
    [ "${2:-0}" -gt 0 ] && [ "$(($2 + ${3:-0}))" -ge "$4" ] && die "$2 rows failed ($1)"
    return 0
}

# Ids waiting in the queue (both priorities).
queue_depth() {
    rcli eval "return redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2])" 2 \
        'freshet:{keepa}:queue' 'freshet:{keepa}:queue:hot'
}

# processed ADMIN_PORT: "active|failed", the processor's freshet_items_processed_total.
processed() {
    curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | awk '
        /^freshet_items_processed_total\{/ && /outcome="active"/ { a += $NF }
        /^freshet_items_processed_total\{/ && /outcome="failed"/ { f += $NF }
        END { printf "%d|%d\n", a, f }'
}

# fake_requests STATS ENDPOINT: requests of every outcome to one endpoint.
fake_requests() {
    grep -o "\"$2\":{[^}]*}" <<<"$1" | head -n 1 | grep -o ':[0-9]*' | tr -d : |
        awk '{ s += $1 } END { print s + 0 }'
}

fleet_run() {
    local lat=$1 url port t0 deadline active failed total p name st hist plen admin
    local -A pid
    say "fleet, fake latency ${lat} ms: $N products from empty until all are active"
    url=$(bash "$SERVICES" createdb "$SVC" "fleet_$lat") || die "createdb fleet_$lat"
    export DATABASE_URL=$url
    "$BIN/freshetctl" migrate >>"$LOGS/migrate.log" 2>&1 || die "freshetctl migrate"
    sql "CREATE EXTENSION pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null ||
        die "pg_stat_statements"
    if [ -n "${BENCH_EXPLAIN_MS:-}" ]; then
        sql "ALTER DATABASE fleet_$lat SET auto_explain.log_min_duration = '${BENCH_EXPLAIN_MS}ms';
             ALTER DATABASE fleet_$lat SET auto_explain.log_analyze = on;
             ALTER DATABASE fleet_$lat SET auto_explain.log_nested_statements = on" >/dev/null
    fi
    rcli flushall >/dev/null || die "redis flushall"
    rm -f "$SVC/fake.port"
    start "fake-$lat" "$BIN/freshet-fake-keepa" --listen 127.0.0.1:0 --port-file "$SVC/fake.port" \
        --products "$N" --key bench:100000000 --latency-ms "${lat%x*}"
    pid[fake]=$LAST
    for ((p = 0; p < 100; p++)); do [ -s "$SVC/fake.port" ] && break; sleep 0.05; done
    port=$(cat "$SVC/fake.port" 2>/dev/null) || die "the fake Keepa did not start"
    export KEEPA_BASE_URL=http://127.0.0.1:$port KEEPA_API_KEY=bench
    export FRESHET_ADMIN_ADDR=off FRESHET_LOG_FORMAT=json

    local pg0 redis0 redis_pid
    redis_pid=$(cat "$SVC/redis.pid")
    pg0=$(pg_ticks)
    redis0=$(ticks "$redis_pid")
    t0=$(now)
    admin=$("$BUILD/tests/harness/freeport" 2>/dev/null) || admin=$((20000 + RANDOM % 30000))
    # "100x256": 100 ms of latency, 256 transfers in flight (FRESHET_CONCURRENCY).
    start_fleet "$lat" "$([ "${lat#*x}" != "$lat" ] && echo "${lat#*x}" || echo 64)" "$admin"
    : >"$SVC/cpu-$lat"
    sampler "$SVC/cpu-$lat" "${pid[scout]}" "${pid[processor]}" "${pid[refresher]}" \
        "$redis_pid" "${pid[fake]}" &
    SAMPLER=$!

    deadline=$(($(date +%s) + TIMEOUT))
    # Polling must not load PostgreSQL (counting pending rows cost it ~15% of a core):
    # progress comes from the processor's own counters (/metrics: items it made active or
    # failed) and the rows so far from the statistics collector (late by up to 10 s: for
    # the timeline only); one count in SQL confirms the end.
    while :; do
        IFS='|' read -r active failed <<<"$(processed "$admin")"
        total=$(sql "SELECT /* bench poll */ n_tup_ins FROM pg_stat_user_tables WHERE relname = 'items'")
        echo "$(now) ${active:-0} ${total:-0} $(queue_depth)" >>"$SVC/timeline-$lat"
        if [ "${active:-0}" -ge "$N" ]; then
            active=$(sql "SELECT /* bench poll */ count(*) FROM items WHERE status = 'active'")
            [ "${active:-0}" -ge "$N" ] && break
        fi
        still_going "$lat ms" "$failed" "$active" "$N"
        [ "$(date +%s)" -lt "$deadline" ] ||
            die "only ${active:-0} of $N rows active after ${TIMEOUT}s ($lat ms; discovered ${total:-0})"
        sleep 1
    done
    stop_sampler
    R[$lat:pg_s]=$(calc %.1f "($(pg_ticks) - $pg0) / $HZ")
    R[$lat:redis_s]=$(calc %.1f "($(ticks "$redis_pid") - $redis0) / $HZ")
    # The processor's own view of where a batch's time goes (its /metrics histograms).
    stages "$lat" "$(curl -s --max-time 5 "http://127.0.0.1:$admin/metrics")"
    # Peak RSS and CPU of each worker just before it is stopped.
    for name in scout processor refresher; do
        p=${pid[$name]}
        R[$lat:rss_$name]=$(hwm_mb "$p")
        R[$lat:cpu_$name]=$(ticks "$p")
        stop_pid "$p"
        R[$lat:warn_$name]=$(grep -c '"level":"\(warn\|error\)"' "$LOGS/$name-$lat.log")
    done
    st=$(curl -s --max-time 5 "$KEEPA_BASE_URL/stats") || die "GET /stats from the fake Keepa"
    R[$lat:fake_s]=$(calc %.1f "$(ticks "${pid[fake]}") / $HZ")
    stop_pid "${pid[fake]}"
    for name in product deal seller; do R[$lat:req_$name]=$(fake_requests "$st" "$name"); done
    R[$lat:tokens]=$(grep -o '"tokens_spent":{[^}]*}' <<<"$st" | grep -o ':[0-9]*' | tr -d : |
        awk '{ s += $1 } END { print s + 0 }')

    IFS='|' read -r "R[$lat:elapsed]" "R[$lat:discovered]" "R[$lat:p50]" "R[$lat:p99]" hist plen <<<"$(sql "
        SELECT round((extract(epoch FROM max(last_updated)) - $t0)::numeric, 2),
               round((extract(epoch FROM max(discovered_at)) - $t0)::numeric, 2),
               round(percentile_cont(0.5) WITHIN GROUP
                     (ORDER BY extract(epoch FROM last_updated - discovered_at))::numeric, 2),
               round(percentile_cont(0.99) WITHIN GROUP
                     (ORDER BY extract(epoch FROM last_updated - discovered_at))::numeric, 2),
               (SELECT count(*) FROM item_history), round(avg(length(payload::text)))
        FROM items WHERE status = 'active'")"
    statements "$lat"
    R[$lat:history]=$hist
    R[$lat:payload]=$plen
    R[$lat:rate]=$(calc %.0f "$N / ${R[$lat:elapsed]}")
    R[$lat:rss_sum]=$(calc %.1f "${R[$lat:rss_scout]} + ${R[$lat:rss_processor]} + ${R[$lat:rss_refresher]}")
    R[$lat:fleet_cpu]=$(calc %.2f \
        "(${R[$lat:cpu_scout]} + ${R[$lat:cpu_processor]} + ${R[$lat:cpu_refresher]}) / $HZ / $N * 10000")
    for name in scout processor refresher; do
        R[$lat:cpu10k_$name]=$(calc %.2f "${R[$lat:cpu_$name]} / $HZ / $N * 10000")
    done
    R[$lat:pg10k]=$(calc %.2f "${R[$lat:pg_s]} / $N * 10000")
    cpu_summary "$SVC/cpu-$lat" scout processor refresher redis fake postgres >"$SVC/cpusum-$lat"
    R[$lat:queue]=$(awk '{ s += $4; if ($4 > m) m = $4 } END { printf "%.0f / %d", s / NR, m }' \
        "$SVC/timeline-$lat")
    say "  ${R[$lat:rate]} items/s, ${R[$lat:elapsed]} s"
}

# stages LAT METRICS: mean ms of the processor's stages: R[LAT:stage_<name>].
stages() {
    local k v
    while read -r k v; do R[$1:stage_$k]=$v; done < <(awk '
        /^freshet_stage_duration_seconds_(sum|count)\{/ {
            match($0, /stage="[a-z]+"/); st = substr($0, RSTART + 7, RLENGTH - 8)
            if ($0 ~ /_sum\{/) sum[st] = $NF; else cnt[st] = $NF
        }
        END { for (st in cnt) if (cnt[st] > 0) printf "%s %.1f\n", st, sum[st] / cnt[st] * 1000 }' <<<"$2")
}

# statements LAT: PostgreSQL's execution time by statement kind over the run (from
# pg_stat_statements; the commit's WAL flush is not in it): R[LAT:st_<kind>] = total ms
# and R[LAT:call_<kind>] = mean ms per call.
statements() {
    local k calls ms max
    while IFS='|' read -r k calls ms max; do
        R[$1:st_$k]=$(calc %.0f "$ms")
        R[$1:call_$k]=$(calc %.1f "$ms / $calls")
        R[$1:max_$k]=$(calc %.0f "$max")
    done < <(sql "SELECT k, sum(calls), sum(total_exec_time), max(max_exec_time) FROM (SELECT CASE
          WHEN query LIKE '%INSERT INTO items (source, id, status, priority, queued_at, discovery)%'
            THEN 'scout'
          WHEN query LIKE 'WITH req AS%' THEN 'claim'
          WHEN query LIKE 'WITH input AS%\$4::jsonb[]%' THEN 'write'
          WHEN query LIKE '%WITH due AS%' OR query LIKE '%queued_at::text FROM items%'
            OR query LIKE '%TABLESAMPLE SYSTEM%' THEN 'refresher'
          WHEN query LIKE '%bench poll%' THEN 'bench'
          ELSE 'other' END AS k, calls, total_exec_time, max_exec_time
        FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) s
        GROUP BY k")
}

# ---- 4. LLM analysis -------------------------------------------------------------------

# llm_metrics ADMIN_PORT: "active|failed|analysed", the processor's records made active or
# failed and analyses settled (answered by a call, from the cache, or given up on).
llm_metrics() {
    curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | awk '
        /^freshet_items_processed_total\{/ && /outcome="active"/ { a += $NF }
        /^freshet_items_processed_total\{/ && /outcome="failed"/ { f += $NF }
        /^freshet_llm_requests_total\{/ && /outcome="ok"/ { d += $NF }
        /^freshet_llm_cache_hits_total\{/ { d += $NF }
        END { printf "%d|%d|%d\n", a, f, d }'
}

# llm_run MODE: the fleet on LLM_N products, from empty until every row is active and,
# with analysis (MODE = latency ms, or MSxCONCURRENCY), every row is analysed.
llm_run() {
    local mode=$1 lat conc url port lport t0 t_done='' deadline active failed analysed name p st
    local db=llm_$1 dir=$SVC/sources-$1 admin settled valid
    local -A pid
    lat=${mode%x*}
    conc=8
    [ "${mode#*x}" != "$mode" ] && conc=${mode#*x}
    if [ "$mode" = off ]; then
        say "analysis off: $LLM_N products from empty until all are active"
    else
        say "analysis on, fake LLM at ${lat} ms, concurrency $conc: $LLM_N products until all are active and analysed"
    fi
    url=$(bash "$SERVICES" createdb "$SVC" "$db") || die "createdb $db"
    export DATABASE_URL=$url
    "$BIN/freshetctl" migrate >>"$LOGS/migrate.log" 2>&1 || die "freshetctl migrate"
    rcli flushall >/dev/null || die "redis flushall"
    rm -f "$SVC/fake.port" "$SVC/llm.port"
    start "fake-$db" "$BIN/freshet-fake-keepa" --listen 127.0.0.1:0 --port-file "$SVC/fake.port" \
        --products "$LLM_N" --key bench:100000000 --latency-ms 0
    pid[fake]=$LAST
    for ((p = 0; p < 100; p++)); do [ -s "$SVC/fake.port" ] && break; sleep 0.05; done
    port=$(cat "$SVC/fake.port" 2>/dev/null) || die "the fake Keepa did not start"
    mkdir -p "$dir"
    if [ "$mode" != off ]; then
        # Limits that never bind: the run measures the processor, not a budget.
        start "fakellm-$db" "$BIN/freshet-fake-llm" --port 0 --port-file "$SVC/llm.port" --key bench \
            --rpm 1000000000 --tpm 1000000000000 --latency "${lat}ms"
        pid[fakellm]=$LAST
        for ((p = 0; p < 100; p++)); do [ -s "$SVC/llm.port" ] && break; sleep 0.05; done
        lport=$(cat "$SVC/llm.port" 2>/dev/null) || die "the fake LLM did not start"
        cp sources/keepa-deal.prompt sources/keepa-deal-analysis.schema.json "$dir/"
        # sources/keepa.yaml.example's section without its limits, at the fake.
        cat >"$dir/keepa.yaml" <<YAML
name: keepa
analysis:
  url: http://127.0.0.1:$lport/v1
  model: grok-4-fast
  api_key: bench
  prompt: keepa-deal.prompt
  inputs: [title, brand, root_category, price_new, price_amazon, sales_rank, rating,
           review_count, analysis.avg90, analysis.drop_pct_90d]
  schema: keepa-deal-analysis.schema.json
  max_tokens: 200
  timeout: 60s
  concurrency: $conc
YAML
    fi
    export KEEPA_BASE_URL=http://127.0.0.1:$port KEEPA_API_KEY=bench FRESHET_SOURCES_DIR=$dir
    export FRESHET_ADMIN_ADDR=off FRESHET_LOG_FORMAT=json
    admin=$("$BUILD/tests/harness/freeport" 2>/dev/null) || admin=$((20000 + RANDOM % 30000))
    t0=$(now)
    start_fleet "$db" 64 "$admin"
    : >"$SVC/cpu-$db"
    sampler "$SVC/cpu-$db" "${pid[processor]}" ${pid[fakellm]:+"${pid[fakellm]}"} &
    SAMPLER=$!

    deadline=$(($(date +%s) + TIMEOUT))
    while :; do
        IFS='|' read -r active failed analysed <<<"$(llm_metrics "$admin")"
        echo "$(now) ${active:-0} ${analysed:-0}" >>"$SVC/timeline-$db"
        if [ "${active:-0}" -ge "$LLM_N" ] && { [ "$mode" = off ] || [ "${analysed:-0}" -ge "$LLM_N" ]; }; then
            settled=$(sql "SELECT /* bench poll */ count(*) FILTER (WHERE status = 'active'),
                                  count(*) FILTER (WHERE status = 'active' AND llm_want = llm_done)
                           FROM items")
            if [ "${settled%|*}" -ge "$LLM_N" ] && { [ "$mode" = off ] || [ "${settled#*|}" -ge "$LLM_N" ]; }; then
                t_done=$(now)
                break
            fi
        fi
        still_going "analysis $mode" "$failed" "$active" "$LLM_N"
        [ "$(date +%s)" -lt "$deadline" ] ||
            die "analysis $mode: ${active:-0} of $LLM_N rows active, ${analysed:-0} analysed after ${TIMEOUT}s"
        sleep 0.5
    done
    stop_sampler
    R[$db:rss]=$(hwm_mb "${pid[processor]}")
    R[$db:cpu]=$(calc %.2f "$(ticks "${pid[processor]}") / $HZ / $LLM_N * 10000")
    for name in scout processor refresher; do stop_pid "${pid[$name]}"; done
    R[$db:warn]=$(grep -c '"level":"\(warn\|error\)"' "$LOGS/processor-$db.log")
    if [ "$mode" != off ]; then
        st=$(curl -s --max-time 5 "http://127.0.0.1:$lport/_test/stats") || die "GET /_test/stats from the fake LLM"
        for name in calls prompts_distinct prompt_calls_max prompt_tokens completion_tokens total_tokens; do
            R[$db:$name]=$(grep -o "\"$name\":[0-9]*" <<<"$st" | head -n 1 | cut -d: -f2)
        done
        R[$db:fakellm_s]=$(calc %.1f "$(ticks "${pid[fakellm]}") / $HZ")
        # A processor started on the analysed catalog: its start-up scan reads every
        # active row, finds each one's input hash answered, and pays nothing.
        t_done=$(now)
        timeout 300 "$BIN/freshet-processor" --once >"$LOGS/processor-once-$db.log" 2>&1 ||
            die "freshet-processor --once on the analysed catalog ($mode)"
        R[$db:once_s]=$(calc %.2f "$(now) - $t_done")
        R[$db:scan]=$(sed -n 's/.*llm start-up scan: \([0-9]*\) active rows read in \([0-9]*\) ms, \([0-9]*\) queued.*/\1 rows, \2 ms, \3 queued/p' \
            "$LOGS/processor-once-$db.log")
        st=$(curl -s --max-time 5 "http://127.0.0.1:$lport/_test/stats") || die "GET /_test/stats from the fake LLM"
        p=$(grep -o '"calls":[0-9]*' <<<"$st" | head -n 1 | cut -d: -f2)
        R[$db:once_calls]=$((p - ${R[$db:calls]}))
        stop_pid "${pid[fakellm]}"
    fi
    stop_pid "${pid[fake]}"
    IFS='|' read -r "R[$db:active_s]" "R[$db:p50]" "R[$db:p99]" valid <<<"$(sql "
        SELECT round((extract(epoch FROM max(last_updated)) - $t0)::numeric, 2),
               round(percentile_cont(0.5) WITHIN GROUP
                     (ORDER BY extract(epoch FROM last_updated - discovered_at))::numeric, 2),
               round(percentile_cont(0.99) WITHIN GROUP
                     (ORDER BY extract(epoch FROM last_updated - discovered_at))::numeric, 2),
               count(*) FILTER (WHERE payload->'llm'->>'verdict' IN ('buy', 'wait', 'skip'))
        FROM items WHERE status = 'active'")"
    R[$db:rate]=$(calc %.0f "$LLM_N / ${R[$db:active_s]}")
    R[$db:valid]=$valid
    if [ "$mode" != off ]; then
        R[$db:done_s]=$(calc %.2f "$t_done - $t0")
        R[$db:arate]=$(calc %.0f "$LLM_N / ($t_done - $t0)")
        R[$db:bound]=$([ "$lat" -gt 0 ] && calc %.0f "$conc * 1000 / $lat" || echo -)
    fi
    cpu_summary "$SVC/cpu-$db" processor ${pid[fakellm]:+fakellm} postgres >"$SVC/cpusum-$db"
    say "  ${R[$db:rate]} items/s${R[$db:arate]:+, ${R[$db:arate]} analyses/s}, peak RSS ${R[$db:rss]} MiB"
}

analysis_report() {
    local m name v c=() heads=()
    llm_each() { # FORMAT KEY...: one cell per run
        local fmt=$1 k vals
        shift
        for m in $LLM_RUNS; do
            [ -n "${R[llm_$m:$1]:-}" ] || { echo -; continue; }
            vals=()
            for k in "$@"; do vals+=("${R[llm_$m:$k]:--}"); done
            # shellcheck disable=SC2059 # the format is ours
            printf "$fmt\n" "${vals[@]}"
        done
    }
    for m in $LLM_RUNS; do
        if [ "$m" = off ]; then heads+=("analysis off")
        elif [ "${m#*x}" != "$m" ]; then heads+=("LLM ${m%x*} ms, conc ${m#*x}")
        else heads+=("LLM $m ms, conc 8"); fi
    done
    echo
    echo "LLM analysis: $LLM_N products, the fleet as above (processor FRESHET_CONCURRENCY=64, fake Keepa 0 ms);"
    echo "keepa.yaml: sources/keepa.yaml.example's analysis without limits, at freshet-fake-llm"
    row "" "${heads[@]}"
    mapfile -t c < <(llm_each '%s' rate); row "items/s to active" "${c[@]}"
    mapfile -t c < <(llm_each '%s s' active_s); row "time to all active" "${c[@]}"
    mapfile -t c < <(llm_each '%s / %s s' p50 p99); row "discovery-to-active p50 / p99" "${c[@]}"
    mapfile -t c < <(llm_each '%s s' done_s); row "time until every analysis is done" "${c[@]}"
    mapfile -t c < <(llm_each '%s (bound %s)' arate bound); row "analyses/s (concurrency / latency bound)" "${c[@]}"
    mapfile -t c < <(llm_each '%s' valid); row "rows holding a valid payload.llm" "${c[@]}"
    mapfile -t c < <(llm_each '%s MiB' rss); row "processor peak RSS (VmHWM)" "${c[@]}"
    mapfile -t c < <(llm_each '%s' cpu); row "processor CPU s per 10k items" "${c[@]}"
    for name in processor postgres fakellm; do
        c=()
        for m in $LLM_RUNS; do v=$(cpu_cell "llm_$m" "$name"); c+=("${v:--}"); done
        row "CPU % of a core, mean (peak 1 s): $name" "${c[@]}"
    done
    c=()
    for m in $LLM_RUNS; do c+=("$(awk '$1 == "machine" { printf "%s%% (iowait %s%%)", $2, $3 }' "$SVC/cpusum-llm_$m")"); done
    row "machine busy, % of all $NCPU CPUs" "${c[@]}"
    mapfile -t c < <(llm_each '%s / %s / %s' calls prompts_distinct prompt_calls_max)
    row "fake LLM calls / distinct prompts / most per prompt" "${c[@]}"
    mapfile -t c < <(llm_each '%s + %s' prompt_tokens completion_tokens)
    row "fake LLM tokens: prompt + completion" "${c[@]}"
    mapfile -t c < <(llm_each '%s s' fakellm_s); row "fake LLM CPU over the run" "${c[@]}"
    mapfile -t c < <(llm_each '%s' scan); row "then a processor --once: start-up scan" "${c[@]}"
    mapfile -t c < <(llm_each '%s s / %s' once_s once_calls); row "  its wall time / fake LLM calls it made" "${c[@]}"
    mapfile -t c < <(llm_each '%s' warn); row "processor warn+error log lines" "${c[@]}"
}

# ---- 2. ceilings ---------------------------------------------------------------------

ceilings() {
    local out url m pg0 plen=${R[0:payload]:-1300}
    say "ceiling: queue calls (enqueue pages of 150, claim 100 + ack), $N ids"
    rcli flushall >/dev/null || die "redis flushall"
    out=$(REDIS_URL=$REDIS_URL "$BUILD/tests/bench/queue_ceiling" "$N" 2>"$LOGS/queue_ceiling.log") ||
        die "queue_ceiling"
    R[c:queue]=$(kv "$out" items_per_s)
    R[c:enqueue]=$(kv "$out" enqueue_per_s)
    R[c:claim]=$(kv "$out" claim_ack_per_s)
    url=$(bash "$SERVICES" createdb "$SVC" ceiling) || die "createdb ceiling"
    DATABASE_URL=$url "$BIN/freshetctl" migrate >>"$LOGS/migrate.log" 2>&1 || die "migrate ceiling"
    for m in unnest copy plain; do
        say "ceiling: upsert ($m), $N rows, batches of 100, 2 connections, payload ~$plen bytes"
        DATABASE_URL=$url "$BUILD/tests/bench/upsert_ceiling" -s "$N" 2>"$LOGS/upsert_ceiling-$m.log" ||
            die "upsert_ceiling -s"
        pg0=$(pg_ticks)
        out=$(DATABASE_URL=$url "$BUILD/tests/bench/upsert_ceiling" -r -m "$m" -w 2 -b 100 -p "$plen" "$N" \
            2>>"$LOGS/upsert_ceiling-$m.log") || die "upsert_ceiling -m $m"
        R[c:pg_$m]=$(calc %.2f "($(pg_ticks) - $pg0) / $HZ / $N * 10000")
        R[c:$m]=$(kv "$out" items_per_s)
        R[c:ms_$m]=$(calc %.1f "$(kv "$out" seconds) * 1000 * 2 / ($N / 100)")
        R[c:payload]=$(kv "$out" payload_bytes)
    done
}

# The ceiling must time the processor's statement as it is now: compare the copies.
write_sql_of() {
    awk '/^(static )?const char (proc_)?write_sql\[\] =/ { f = 1; next } f { print } f && /;$/ { exit }' "$1" |
        tr -d ' \n'
}

# ---- 3. the refresher at scale ---------------------------------------------------------

UNMARKED="(d.requeued_at IS NULL OR d.requeued_at <= now() - interval '2 minutes')"
DUE_SQL="WITH due AS (SELECT d.id, d.due FROM item_due d
  WHERE d.source = 'keepa' AND d.due <= now() AND $UNMARKED ORDER BY d.priority, d.due LIMIT 5000)
UPDATE item_due d SET requeued_at = now() FROM due
WHERE d.source = 'keepa' AND d.id = due.id AND d.due = due.due AND $UNMARKED RETURNING d.id, d.priority"

# The budget policy's two other statements of a pass (refresher/due.c, plan.c): the
# rows due soonest, re-queued early when the pace allows more than is due, and the
# histogram of estimated change rates the plan is solved on (every 15 s).
EARLY_SQL="WITH due AS (SELECT d.id, d.due FROM item_due d JOIN items i ON i.source = d.source AND i.id = d.id
  WHERE d.source = 'keepa' AND d.due > now() AND $UNMARKED
  AND i.last_updated <= now() - interval '15 minutes' ORDER BY d.due LIMIT 5000)
UPDATE item_due d SET requeued_at = now() FROM due
WHERE d.source = 'keepa' AND d.id = due.id AND d.due = due.due AND $UNMARKED RETURNING d.id, d.priority"

HIST_SQL="SELECT least(63, greatest(0, floor((ln(greatest(change_rate, 1e-300)) - ln(1e-8))
  / 0.0411)::int)) AS band, count(*), avg(change_rate), count(*) FILTER (WHERE change_n >= 4)
  FROM items TABLESAMPLE SYSTEM (20) WHERE source = 'keepa' AND status <> 'failed'
  AND change_rate IS NOT NULL GROUP BY 1"

STALE_SQL="SELECT extract(epoch FROM now() - last_updated)::float8 FROM items
  TABLESAMPLE SYSTEM ((SELECT least(100, greatest(0.01, 1e6 /
    greatest(reltuples, 1))) FROM pg_class WHERE oid = 'items'::regclass))
  WHERE source = 'keepa' AND status = 'active' LIMIT 10000"

# Sums the durations PostgreSQL logged after byte $1 of its log, by statement kind.
statement_ms() {
    tail -c "+$(($1 + 1))" "$SVC/pg.log" | awk '
        /duration: [0-9.]+ ms/ {
            match($0, /duration: [0-9.]+/); ms = substr($0, RSTART + 10, RLENGTH - 10)
            k = "other"
            if ($0 ~ /WITH due AS/) k = "due"
            else if ($0 ~ /TABLESAMPLE SYSTEM/) k = "staleness"
            else if ($0 ~ /queued_at::text FROM items/) k = "recover"
            else if ($0 ~ /freshet_ensure_history_partitions|DO \$\$|worker_runs/) k = "upkeep"
            s[k] += ms
        }
        END { printf "%.0f %.0f %.0f %.0f %.0f\n", s["due"], s["staleness"], s["recover"], s["upkeep"], s["other"] }'
}

# refresh_pass LABEL: one timed `freshet-refresher --once`; appends a row to REFR_ROWS.
refresh_pass() {
    local due mark t0 t1 requeued ms=()
    due=$(sql "SELECT count(*) FROM items WHERE status = 'active' AND next_update_due <= now()")
    mark=$(wc -c <"$SVC/pg.log")
    t0=$(now)
    FRESHET_ADMIN_ADDR=off FRESHET_LOG_FORMAT=json FRESHET_ONCE=true FRESHET_QUEUE_LOW_WATER=100000000 \
        FRESHET_REFRESH_PER_PASS=1000000 "$BIN/freshet-refresher" --once >>"$LOGS/refresher-once.log" 2>&1 ||
        die "freshet-refresher --once"
    t1=$(now)
    sleep 0.3 # the log lines of the last statements
    read -r -a ms <<<"$(statement_ms "$mark")"
    requeued=$(sql "SELECT count(*) FROM item_due WHERE requeued_at IS NOT NULL")
    REFR_ROWS+=("$(printf '  %-10s %9s %10s %10s ms %9s ms %9s ms %8s ms %8s ms %6s ms' "$1" "$due" "$requeued" \
        "$(calc %.0f "($t1 - $t0) * 1000")" "${ms[@]}")")
}

# Puts re-queued rows back: unmarked, those matching $1 due, the rest due tomorrow.
refresh_reset() {
    sql "UPDATE items SET next_update_due = CASE WHEN $1
             THEN now() - interval '1 hour' ELSE now() + interval '1 day' END
         WHERE source = 'keepa' AND id IN (SELECT id FROM item_due
                                           WHERE source = 'keepa' AND requeued_at IS NOT NULL)" >/dev/null ||
        die "reset due rows"
    sql "VACUUM items, item_due" >/dev/null
    rcli del 'freshet:{keepa}:queue' 'freshet:{keepa}:queue:hot' 'freshet:{keepa}:queued' >/dev/null
}

refresher_at_scale() {
    local url t0 size plan
    say "refresher at scale: inserting $REFRESH_ROWS active rows (1% due)"
    url=$(bash "$SERVICES" createdb "$SVC" refresh) || die "createdb refresh"
    export DATABASE_URL=$url
    "$BIN/freshetctl" migrate >>"$LOGS/migrate.log" 2>&1 || die "migrate refresh"
    rcli flushall >/dev/null
    t0=$(now)
    # The real table and indexes; only this session skips waiting for its WAL flush.
    psql -X -q -v ON_ERROR_STOP=1 "$url" >>"$LOGS/refresh-setup.log" 2>&1 <<EOF || die "refresher setup"
SET synchronous_commit = off;
INSERT INTO items (source, id, status, priority, payload, content_hash, discovered_at,
                   last_updated, last_changed, next_update_due, refresh_interval, lease, queued_at)
SELECT 'keepa', 'B' || lpad(i::text, 9, '0'), 'active', CASE WHEN i % 10 = 0 THEN 1 + i % 2 ELSE 5 END,
       p.doc, md5(i::text), now() - interval '8 days', now() - interval '1 day',
       now() - interval '1 day',
       CASE WHEN i % 100 = 0 THEN now() - make_interval(secs => i % 3600)
            ELSE now() + make_interval(secs => 3600 + (i::bigint * 7919) % 601200) END,
       interval '1 day', 1, now() - interval '1 day'
FROM generate_series(1, $REFRESH_ROWS) i, (SELECT '$(payload_1k)'::jsonb AS doc) p;
-- A durable commit flushes the insert's commit record too, so VACUUM may set the hint
-- bits and the visibility map; the checkpoint writes them: the timed part starts clean.
SET synchronous_commit = on;
SELECT txid_current();
VACUUM ANALYZE items, item_due;
CHECKPOINT;
EOF
    R[r:setup]=$(calc %.0f "$(now) - $t0")
    size=$(sql "SELECT pg_size_pretty(pg_total_relation_size('items'))")
    R[r:size]=$size
    sql "ALTER DATABASE refresh SET log_min_duration_statement = 0" >/dev/null
    plan=$(psql -X -q -A -t "$url" 2>&1 <<EOF
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) $DUE_SQL;
ROLLBACK;
EOF
    )
    R[r:plan]=$plan
    sql "VACUUM items" >/dev/null # the rolled-back update leaves dead rows to clean
    R[r:stale]=$(psql -X -q -A -t "$url" -c "EXPLAIN (ANALYZE, BUFFERS) $STALE_SQL" 2>&1)
    R[r:early]=$(psql -X -q -A -t "$url" 2>&1 <<EOF
BEGIN;
EXPLAIN (ANALYZE, BUFFERS) $EARLY_SQL;
ROLLBACK;
EOF
    )
    sql "VACUUM items" >/dev/null
    REFR_ROWS=()
    say "refresher at scale: timed passes"
    refresh_pass "1%"
    refresh_reset "substr(id, 2)::int % 1000 = 0"
    refresh_pass "0.1%"
    refresh_reset "false"
    refresh_pass "0"
    # Estimates for every row (after the timed passes: the update rewrites the table).
    sql "UPDATE items SET change_rate = 1.0 / (60 + (substr(id, 2)::int % 86400)), change_n = 8" >/dev/null
    sql "VACUUM ANALYZE items" >/dev/null
    R[r:hist]=$(psql -X -q -A -t "$url" -c "EXPLAIN (ANALYZE, BUFFERS) $HIST_SQL" 2>&1)
}

# A normalized product of about 1 KB, as the processor stores it.
payload_1k() {
    printf '%s' '{"asin": "B00000002S", "brand": "Melitta", "image": "https://m.media-amazon.com/images/I/79qXLHUT7LB.jpg", "title": "Melitta Classic Water Bottle SH-275, 2 Pack, White", "domain": 1, "rating": null, "seller": {"id": "AXY5BVOE624NRY", "name": "Oral-B Store 83", "rating": 87, "has_fba": false, "rating_count": 3883}, "analysis": {"avg90": 9054, "spike": false, "trend": "flat", "zscore": null, "current": 9054, "points_90d": 0, "price_type": "amazon", "avg90_source": "keepa", "drop_pct_90d": 0.0, "velocity_per_day": 0.0}, "price_new": 9054, "categories": [1000003008], "sales_rank": 106680, "last_update": "2026-11-22T14:52:00Z", "observed_at": "2025-12-13T09:26:00Z", "parent_asin": null, "manufacturer": "Melitta Inc.", "monthly_sold": null, "price_amazon": 9054, "price_buybox": 9054, "product_type": 0, "review_count": null, "root_category": 3760901, "tracking_since": "2025-12-13T09:26:00Z", "buybox_seller_id": "AXY5BVOE624NRY", "last_price_change": "2025-12-13T09:26:00Z"}'
}

# ---- the report ----------------------------------------------------------------------

row() { # label then one value per latency
    local label=$1 l
    shift
    printf '  %-50s' "$label"
    for l in "$@"; do printf ' %18s' "$l"; done
    printf '\n'
}

# each FORMAT KEY...: one cell per latency, FORMAT applied to R[lat:KEY...].
each() {
    local fmt=$1 l k vals
    shift
    for l in $LATENCIES; do
        vals=()
        for k in "$@"; do vals+=("${R[$l:$k]:-?}"); done
        # shellcheck disable=SC2059 # the format is ours
        printf "$fmt\n" "${vals[@]}"
    done
}

cpu_cell() { awk -v n="$2" '$1 == n { printf "%s%% (peak %s%%)", $2, $3 }' "$SVC/cpusum-$1"; }

report() {
    local l name heads=() c=()
    for l in $LATENCIES; do
        if [ "${l#*x}" != "$l" ]; then heads+=("${l%x*} ms, ${l#*x} xfers"); else heads+=("fake ${l} ms"); fi
    done
    echo
    echo "=== freshet bench: $N products, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $NCPU CPUs,"
    echo "    $(psql --version | awk '{print "PostgreSQL " $3}') (fsync on), $(redis-server --version | awk '{print "Redis " $3}' | tr -d v=),"
    echo "    load average at start $LOAD0"
    if [ -n "$LATENCIES" ]; then
        echo
        echo "fleet: 1 scout (FRESHET_SCOUT_AHEAD=8), 1 processor, 1 refresher, from empty until all rows are active"
        row "" "${heads[@]}"
        mapfile -t c < <(each '%s' rate); row "items/s end to end" "${c[@]}"
        mapfile -t c < <(each '%s / %s s' discovered elapsed); row "time to all discovered / all active" "${c[@]}"
        mapfile -t c < <(each '%s / %s / %s' req_product req_deal req_seller)
        row "upstream requests: product / deal / seller" "${c[@]}"
        mapfile -t c < <(each '%s' tokens); row "upstream tokens spent" "${c[@]}"
        mapfile -t c < <(each '%s / %s / %s' rss_scout rss_processor rss_refresher)
        row "peak RSS MiB: scout / processor / refresher" "${c[@]}"
        mapfile -t c < <(each '%s' rss_sum); row "  summed (libraries counted in each)" "${c[@]}"
        mapfile -t c < <(each '%s / %s s' p50 p99); row "discovery-to-active p50 / p99" "${c[@]}"
        mapfile -t c < <(each '%s' fleet_cpu); row "fleet CPU s per 10k items (user+sys)" "${c[@]}"
        mapfile -t c < <(each '%s / %s / %s' cpu10k_scout cpu10k_processor cpu10k_refresher)
        row "  scout / processor / refresher" "${c[@]}"
        mapfile -t c < <(each '%s s (%s/10k)' pg_s pg10k); row "PostgreSQL CPU over the run (user+sys)" "${c[@]}"
        mapfile -t c < <(each '%s / %s s' redis_s fake_s); row "Redis / fake Keepa CPU over the run" "${c[@]}"
        for name in processor scout refresher postgres redis fake; do
            c=()
            for l in $LATENCIES; do c+=("$(cpu_cell "$l" "$name")"); done
            row "CPU % of a core, mean (peak 1 s): $name" "${c[@]}"
        done
        c=()
        for l in $LATENCIES; do c+=("$(awk '$1 == "machine" { printf "%s%% (iowait %s%%)", $2, $3 }' "$SVC/cpusum-$l")"); done
        row "machine busy, % of all $NCPU CPUs" "${c[@]}"
        c=()
        for l in $LATENCIES; do
            c+=("$(awk -v n="$NCPU" '$1 == "machine" { m = $2 * n; next } { s += $2 } END { printf "%.0f%%", m - s }' \
                "$SVC/cpusum-$l")")
        done
        row "  of which not the fleet/services/fake (% of a core)" "${c[@]}"
        mapfile -t c < <(each '%s / %s / %s' st_scout st_claim st_write)
        row "PostgreSQL exec ms: scout insert / claim / write" "${c[@]}"
        mapfile -t c < <(each '%s / %s / %s' st_refresher st_bench st_other)
        row "  refresher / bench polling / other" "${c[@]}"
        mapfile -t c < <(each '%s (%s)' call_scout max_scout); row "  ms per call, mean (max): scout insert" "${c[@]}"
        mapfile -t c < <(each '%s (%s)' call_claim max_claim); row "                            claim" "${c[@]}"
        mapfile -t c < <(each '%s (%s)' call_write max_write); row "                            write" "${c[@]}"
        mapfile -t c < <(each '%s / %s / %s' stage_product stage_write stage_batch)
        row "processor mean ms: /product / write / batch" "${c[@]}"
        mapfile -t c < <(each '%s' queue); row "queue depth (queue + queue:hot), mean / max" "${c[@]}"
        mapfile -t c < <(each '%s / %s B' history payload); row "history rows / mean payload (jsonb text)" "${c[@]}"
        mapfile -t c < <(each '%s / %s / %s' warn_scout warn_processor warn_refresher)
        row "warn+error log lines: scout / processor / refresher" "${c[@]}"
    fi

    has_part ceilings && report_ceilings
    has_part refresher && report_refresher
    has_part analysis && analysis_report
    has_part pgcost && pgcost_report
    return 0 # a part left out is not a failure
}

report_ceilings() {
    local lower lower_name
    echo
    echo "ceilings on this machine: the same work without the fleet ($N items, batches of 100)"
    printf '  %-62s %8s items/s\n' "queue: fr_queue_enqueue (pages of 150) + claim 100 + ack" "${R[c:queue]}"
    printf '  %-62s %8s / %s items/s\n' "  enqueue alone / claim+ack alone" "${R[c:enqueue]}" "${R[c:claim]}"
    printf '  %-62s %8s items/s  (%s ms a batch; PostgreSQL CPU %s s/10k)\n' \
        "upsert: processor's write statement (fenced), 2 connections" "${R[c:unnest]}" \
        "${R[c:ms_unnest]}" "${R[c:pg_unnest]}"
    printf '  %-62s %8s items/s  (%s ms a batch; PostgreSQL CPU %s s/10k)\n' \
        "  COPY into temp table + the same merge, 2 connections" "${R[c:copy]}" \
        "${R[c:ms_copy]}" "${R[c:pg_copy]}"
    printf '  %-62s %8s items/s  (%s ms a batch; PostgreSQL CPU %s s/10k)\n' \
        "  plain INSERT..ON CONFLICT DO UPDATE, no fence/history" "${R[c:plain]}" \
        "${R[c:ms_plain]}" "${R[c:pg_plain]}"
    printf '  %-62s %8s bytes\n' "  ceiling payload (jsonb text, sized to the 0-ms run's)" "${R[c:payload]}"
    if [ "${R[c:queue]%.*}" -lt "${R[c:unnest]%.*}" ]; then lower=${R[c:queue]} lower_name=queue
    else lower=${R[c:unnest]} lower_name="upsert (write statement)"; fi
    if [ -n "${R[0:rate]:-}" ]; then
        printf '  freshet at 0 ms: %s items/s = %s%% of the lower ceiling (%s, %s items/s)\n' \
            "${R[0:rate]}" "$(calc %.1f "${R[0:rate]} * 100 / $lower")" "$lower_name" "$lower"
    fi
    if [ -n "${R[0:rate]:-}" ] && [ -n "${R[100:rate]:-}" ]; then
        printf '  freshet at 100 ms: %s items/s = %s%% of its 0-ms rate\n' "${R[100:rate]}" \
            "$(calc %.1f "${R[100:rate]} * 100 / ${R[0:rate]}")"
    fi
    [ "$(write_sql_of processor/store.c)" = "$(write_sql_of tests/bench/upsert_ceiling.c)" ] ||
        echo "  NOTE: processor/store.c's write_sql differs from the copy in upsert_ceiling.c: update the copy"
}

report_refresher() {
    echo
    echo "refresher at scale: $REFRESH_ROWS active rows (items: ${R[r:size]}), setup ${R[r:setup]} s"
    echo "EXPLAIN (ANALYZE, BUFFERS) of the due scan (refresher/due.c, LIMIT 5000), 1% due, rolled back:"
    printf '    %s\n' "${R[r:plan]//$'\n'/$'\n'    }"
    if grep -q 'Index Scan using item_due_at' <<<"${R[r:plan]}"; then
        echo "  -> the due rows are read through item_due's due index"
    else
        echo "  -> WARNING: the plan does not use item_due_at"
    fi
    echo "EXPLAIN (ANALYZE, BUFFERS) of the early re-queue (refresher/due.c, budget policy, LIMIT 5000), rolled back:"
    printf '    %s\n' "${R[r:early]//$'\n'/$'\n'    }"
    echo "EXPLAIN (ANALYZE, BUFFERS) of the plan's histogram (refresher/plan.c, every 15 s; above 200,000"
    echo "rows it samples 200,000 / rows of the table's pages, here 20%):"
    printf '    %s\n' "${R[r:hist]//$'\n'/$'\n'    }"
    echo "EXPLAIN (ANALYZE, BUFFERS) of the staleness sample (refresher/upkeep.c), every --once pass:"
    printf '    %s\n' "${R[r:stale]//$'\n'/$'\n'    }"
    echo "one pass: bin/freshet-refresher --once (per-pass 1000000, low-water 100000000), statement"
    echo "time from PostgreSQL's log (log_min_duration_statement = 0):"
    printf '  %-10s %9s %10s %13s %12s %12s %11s %11s %9s\n' due "due rows" re-queued "pass wall" \
        "due stmt" staleness recover upkeep other
    printf '%s\n' "${REFR_ROWS[@]}"
}

# ---- main ----------------------------------------------------------------------------

mkdir -p "$LOGS"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "starting Redis and PostgreSQL (fsync on) in $SVC"
FRESHET_TEST_FSYNC=on bash "$SERVICES" start "$SVC" >"$LOGS/services.log" 2>&1 ||
    die "services did not start: $(tail -n 3 "$LOGS/services.log")"
# shellcheck source=/dev/null
. "$SVC/env"
export REDIS_URL=$FRESHET_TEST_REDIS_URL
# pg_stat_statements says where PostgreSQL's time goes, statement by statement.
if ! DATABASE_URL=$FRESHET_TEST_DATABASE_URL sql "ALTER SYSTEM SET shared_preload_libraries = pg_stat_statements, auto_explain" ||
    ! bash "$SERVICES" restart-pg "$SVC" >>"$LOGS/services.log" 2>&1; then
    die "restart PostgreSQL with pg_stat_statements"
fi
for lat in $LATENCIES; do fleet_run "$lat"; done
has_part ceilings && ceilings
has_part refresher && refresher_at_scale
has_part pgcost && pgcost_run
if has_part analysis; then for m in $LLM_RUNS; do llm_run "$m"; done; fi
report
