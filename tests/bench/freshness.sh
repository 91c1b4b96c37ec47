#!/usr/bin/env bash
# freshness.sh BIN BUILD [--short] [SCENARIO...] — `make bench-freshness`: how fresh the
# fleet keeps a catalog whose prices drift, on a token budget, beside the uniform and
# optimal bounds for the same change rates and budget.  See tests/bench/README.md,
# "freshness", for every figure.
#
# Per scenario: a fresh database and Redis flush on private servers (with-services.sh),
# freshet-fake-keepa in drift mode (each product's NEW price a Poisson process of its
# own rate; /deal hides the changes) with one key of RATE tokens a minute, one scout,
# one processor and one refresher (sellers off).  After a warm-up, every FRESH_SAMPLE
# seconds: the fake's truth (/_fake/truth) is COPYed into a temp table and joined with
# items: the share of catalog products whose stored payload->'price_new' equals it.
# The bounds come from build/tests/bench/freshness_bound, fed the fake's true rates and
# the refresh budget (the refill minus the tokens the scout's /deal pages and first
# fetches took over the same window).
#
# Scenarios (default all): lu-0.3 lu-1 lu-3 (mean change intervals log-uniform over
# FRESH_MEDIAN / 17.3 .. x 17.3, the issue's 10 s .. 50 min shape; budget such that the
# uniform interval N/B is 0.3, 1, 3 x the median), bimodal (80% change every 10 x median,
# 20% every median / 3; N/B = median), halved (lu-1's budget, halved mid-run; run after
# lu-1 in the same fleet when both are asked for), discover (lu-1, and N/20 new products
# join the catalog four times during the run).  --short: lu-1 only, one minute (CI).
# --floor=F: exit 1 when a scenario keeps less than F x its uniform bound fresh (CI runs
# --short --floor=0.9).
# Measurement windows are whole token minutes, each at least 10 uniform intervals.
#
# Environment: FRESH_N (1000 products), FRESH_MEDIAN (6 s, median change interval),
# FRESH_WARMUP_MIN (1), FRESH_MEASURE_MIN (2; --short 1), FRESH_SAMPLE (3 s),
# FRESH_REFRESH_MIN / FRESH_REFRESH_MAX (1s / 10m: the fleet's FRESHET_REFRESH_MIN/MAX
# and the bounds'), FRESH_SCOUT_INTERVAL (10s), FRESH_REFRESH_PASS (250ms), FRESH_MINUTE_MS
# (60000: the fake's token minute and FRESHET_TOKEN_PERIOD), FRESH_SEED (1), FRESH_ENV
# (extra "VAR=value ..." for the fleet, e.g. a refresh policy), FRESH_KEEP (a directory
# that receives logs, timelines, snapshots and, per phase, RUN-PHASE-end.items: each
# product's estimate, interval and observations at the phase's end).
# Progress goes to stderr, the report to stdout.  Exit 0 when everything ran (figures
# are not judged), 1 when something did not (a worker died, a server did not start),
# 2 on bad usage.
set -u

usage() { echo "usage: freshness.sh BIN BUILD [--short] [--floor=F] [lu-0.3|lu-1|lu-3|bimodal|halved|discover ...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SELF=$ROOT/tests/bench/freshness.sh
# Private Redis and PostgreSQL for the whole run, torn down at the end.
if [ -z "${FRESHET_TEST_DIR:-}" ]; then
    exec bash "$ROOT/tests/harness/with-services.sh" bash "$SELF" "$@"
fi
BIN=$(cd "$1" 2>/dev/null && pwd) || usage
BUILD=$(cd "$2" 2>/dev/null && pwd) || usage
shift 2
SHORT=0
FLOOR=
ALL=(lu-0.3 lu-1 lu-3 bimodal halved discover)
WANT=()
for a in "$@"; do
    case $a in
    --short) SHORT=1 ;;
    --floor=*) FLOOR=${a#--floor=} ;;
    lu-0.3 | lu-1 | lu-3 | bimodal | halved | discover) WANT+=("$a") ;;
    *) echo "freshness.sh: unknown scenario '$a' (${ALL[*]})" >&2; exit 2 ;;
    esac
done
[ ${#WANT[@]} -gt 0 ] || { if [ $SHORT = 1 ]; then WANT=(lu-1); else WANT=("${ALL[@]}"); fi; }
BOUND=$BUILD/tests/bench/freshness_bound
for f in "$BIN/freshet-fake-keepa" "$BIN/freshet-scout" "$BIN/freshet-processor" \
    "$BIN/freshet-refresher" "$BIN/freshetctl" "$BOUND"; do
    [ -x "$f" ] || { echo "freshness.sh: $f is missing (make all)" >&2; exit 2; }
done
for t in psql redis-cli curl jq awk; do
    command -v "$t" >/dev/null || { echo "freshness.sh: needs $t (deploy/install-deps.sh)" >&2; exit 2; }
done

N=${FRESH_N:-1000}
MEDIAN_S=${FRESH_MEDIAN:-6}
WARMUP_MIN=${FRESH_WARMUP_MIN:-1}
MEASURE_MIN=${FRESH_MEASURE_MIN:-$([ $SHORT = 1 ] && echo 1 || echo 2)}
SAMPLE_S=${FRESH_SAMPLE:-3}
REFRESH_MIN=${FRESH_REFRESH_MIN:-1s}
REFRESH_MAX=${FRESH_REFRESH_MAX:-10m}
SCOUT_INTERVAL=${FRESH_SCOUT_INTERVAL:-10s}
REFRESH_PASS=${FRESH_REFRESH_PASS:-250ms}
MINUTE_MS=${FRESH_MINUTE_MS:-60000}
SEED=${FRESH_SEED:-1}
for v in N WARMUP_MIN MEASURE_MIN MINUTE_MS SEED; do
    case ${!v} in '' | *[!0-9]*) echo "freshness.sh: $v must be a whole number (got '${!v}')" >&2; exit 2 ;; esac
done
if [ "$N" -lt 100 ] || [ "$MEASURE_MIN" -lt 1 ] || [ "$WARMUP_MIN" -lt 1 ]; then
    echo "freshness.sh: FRESH_N >= 100, FRESH_MEASURE_MIN and FRESH_WARMUP_MIN >= 1" >&2
    exit 2
fi

# seconds DURATION: a duration (500ms, 10s, 5m, 1h, or bare seconds) in seconds.
seconds() {
    awk -v d="$1" 'BEGIN {
        if (match(d, /^[0-9.]+/) == 0) exit 1
        v = substr(d, 1, RLENGTH); u = substr(d, RLENGTH + 1)
        m = u == "ms" ? 0.001 : u == "" || u == "s" ? 1 : u == "m" ? 60 : u == "h" ? 3600 : u == "d" ? 86400 : -1
        if (m < 0) exit 1
        printf "%.6g", v * m }'
}
for v in MEDIAN_S REFRESH_MIN REFRESH_MAX SCOUT_INTERVAL REFRESH_PASS SAMPLE_S; do
    seconds "${!v}" >/dev/null || { echo "freshness.sh: bad duration $v='${!v}'" >&2; exit 2; }
done
MEDIAN_S=$(seconds "$MEDIAN_S")
SAMPLE_S=$(seconds "$SAMPLE_S")
MIN_S=$(seconds "$REFRESH_MIN")
MAX_S=$(seconds "$REFRESH_MAX")
SCOUT_S=$(seconds "$SCOUT_INTERVAL")

S=$(mktemp -d "${TMPDIR:-/tmp}/freshness.XXXXXX") || exit 1
LOGS=$S/logs
mkdir -p "$LOGS"
PIDS=()
FAILED=()
declare -A R # results: R[<phase>:<figure>]
PHASES=()    # reported phases, in order

say() { echo "bench-freshness: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }
calc() { awk "BEGIN { printf \"$1\", ($2) }"; } # parenthesised: a bare > would redirect
now_ms() { date +%s%3N; }
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
rcli() { redis-cli -u "$REDIS_URL" --no-auth-warning "$@"; }
fget() { curl -sf --max-time 30 -o "$2" "$FAKE_URL$1"; }

# start NAME CMD... and stop_pid PID: background processes in PIDS, logs in $LOGS.
# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"

# shellcheck disable=SC2317 # reached through the traps
cleanup() {
    trap '' INT TERM HUP
    local p
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    if [ -n "${FRESH_KEEP:-}" ] && mkdir -p "$FRESH_KEEP"; then
        cp -r "$S"/. "$FRESH_KEEP"/ 2>/dev/null
    fi
    rm -rf "$S"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

sleep_until() { # MS: wall-clock ms
    local left
    left=$(($1 - $(now_ms)))
    [ "$left" -gt 0 ] && sleep "$(calc %.3f "$left / 1000")"
    return 0
}

# ---- one run: a fake, a fleet, phases -------------------------------------------------

# The catalog's drift spec and the uniform interval (as a multiple of the median).
LU_SPREAD=17.3205 # sqrt(300): the issue's 10 s .. 50 min, centred on the median
lu_spec() { echo "loguniform:$(calc %.0f "$MEDIAN_S * 1000 / $LU_SPREAD")ms:$(calc %.0f "$MEDIAN_S * 1000 * $LU_SPREAD")ms"; }
bimodal_spec() { echo "bimodal:$(calc %.0f "$MEDIAN_S * 10000")ms:$(calc %.0f "$MEDIAN_S * 1000 / 3")ms:0.2"; }

# key_rate N INTERVAL_FACTOR: tokens a token minute for N products fetched every FACTOR x
# median, plus the scout's /deal pages (5 tokens each, the pages of the catalog and the
# AHEAD - 1 empty ones read ahead, once a scout interval).
key_rate() {
    local m
    m=$(calc %.6g "$MINUTE_MS / 1000")
    calc %.0f "$m * $1 / ($2 * $MEDIAN_S) + 5 * (int(($1 + 149) / 150) + 3) * $m / $SCOUT_S + 0.5"
}

# measure_min FACTOR: whole minutes covering 10 uniform intervals, at least MEASURE_MIN.
measure_min() {
    awk -v f="$1" -v med="$MEDIAN_S" -v min="$MINUTE_MS" -v least="$MEASURE_MIN" 'BEGIN {
        m = 10 * f * med / (min / 1000); m = m == int(m) ? m : int(m) + 1
        print m < least ? least : m }'
}

start_fake() { # SPEC RATE
    local pf=$S/fake.port i
    rm -f "$pf"
    start "$RUN-fake" "$BIN/freshet-fake-keepa" --listen 127.0.0.1:0 --port-file "$pf" \
        --products "$N" --seed "$SEED" --drift "$1" --drift-deal hide --key "bench:$2" \
        --minute-ms "$MINUTE_MS"
    FAKE_PID=$LAST
    for ((i = 0; i < 100; i++)); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || die "the fake Keepa did not start: $(tail -n 3 "$S/logs/$RUN-fake.log")"
    FAKE_URL=http://127.0.0.1:$(cat "$pf")
    fget /stats "$S/stats.json" || die "GET /stats from the fake"
    # The fake's clock: token minutes start at F0 + k x MINUTE_MS.
    F0=$(($(now_ms) - $(jq '.uptime_ms' "$S/stats.json")))
}

start_fleet() {
    local name extra=()
    read -r -a extra <<<"${FRESH_ENV:-}"
    export KEEPA_BASE_URL=$FAKE_URL KEEPA_API_KEY=bench FRESHET_ADMIN_ADDR=off \
        FRESHET_LOG_FORMAT=json FRESHET_SELLERS=false FRESHET_SCOUT_INTERVAL=$SCOUT_INTERVAL \
        FRESHET_REFRESH_MIN=$REFRESH_MIN FRESHET_REFRESH_MAX=$REFRESH_MAX \
        FRESHET_REFRESH_PASS=$REFRESH_PASS FRESHET_TOKEN_PERIOD=${MINUTE_MS}ms
    for name in processor refresher scout; do
        start "$RUN-$name" env "${extra[@]}" "$BIN/freshet-$name"
        FLEET[$name]=$LAST
    done
}

fleet_alive() {
    local name
    for name in processor refresher scout; do
        kill -0 "${FLEET[$name]}" 2>/dev/null || { echo "$name"; return 1; }
    done
    kill -0 "$FAKE_PID" 2>/dev/null || { echo fake; return 1; }
}

# snap NAME: the fake's /stats and its truth with served counts, the latter also loaded
# into bench_snap for the per-decile figures.
snap() {
    fget /stats "$S/$RUN-$1.stats.json" || return 1
    fget "/_fake/truth?served=1" "$S/$RUN-$1.tsv" || return 1
    { echo "COPY bench_snap FROM STDIN;"; awk -v n="$1" '{ print n "\t" $0 }' "$S/$RUN-$1.tsv"; echo '\.'; } |
        psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" >/dev/null
}

# sample PHASE: one freshness sample: the truth COPYed into a temp table and joined with
# items in one statement, which also tallies each product's fresh samples.
sample() {
    local t out
    t=$(now_ms)
    fget /_fake/truth "$S/truth.tsv" || return 1
    out=$({
        echo "BEGIN; CREATE TEMP TABLE truth (id text, price int, version bigint, rate float8) ON COMMIT DROP;"
        echo "COPY truth FROM STDIN;"
        cat "$S/truth.tsv"
        echo '\.'
        cat <<EOF
WITH j AS (
  SELECT t.id, i.payload IS NOT NULL
           AND (i.payload->>'price_new')::int IS NOT DISTINCT FROM t.price AS fresh,
         i.status = 'active' AS active
  FROM truth t LEFT JOIN items i ON i.source = 'keepa' AND i.id = t.id
), tally AS (
  INSERT INTO bench_tally SELECT '$1', id, 1, fresh::int FROM j
  ON CONFLICT (phase, id) DO UPDATE
    SET samples = bench_tally.samples + 1, fresh = bench_tally.fresh + excluded.fresh
)
SELECT count(*), count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE active) FROM j;
COMMIT;
EOF
    } | psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 "$DATABASE_URL") || return 1
    echo "$t $1 $out" >>"$S/$RUN.timeline"
}

# act ACTION: what a phase does at a moment: halve the key's rate, or grow the catalog.
act() {
    case $1 in
    rate:*)
        curl -sf --max-time 10 "$FAKE_URL/_fake/config?key_rate=bench:${1#rate:}" >/dev/null ||
            die "setting the key's rate"
        ;;
    grow:*)
        curl -sf --max-time 10 -o "$S/grow.json" "$FAKE_URL/_fake/grow?n=${1#grow:}" ||
            die "growing the catalog"
        echo "$(jq '.at' "$S/grow.json") $(($(jq '.products' "$S/grow.json") - ${1#grow:})) $(jq '.products' "$S/grow.json")" \
            >>"$S/$RUN.grows"
        ;;
    esac
}

# run_phase NAME MINUTES RATE [OFFSET_S:ACTION ...]: samples from the window's start (just
# before a token-minute boundary) to its end, MINUTES later; ACTIONs at their offsets.
run_phase() {
    local name=$1 minutes=$2 rate=$3 start end next a due dead i
    shift 3
    start=$((F0 + NEXT_MIN * MINUTE_MS - 500))
    end=$((start + minutes * MINUTE_MS))
    NEXT_MIN=$((NEXT_MIN + minutes))
    sleep_until "$start"
    snap "$name-start" || die "snapshot at the start of $name"
    R[$name:active0]=$(sql "SELECT count(*) FROM items WHERE status = 'active'")
    say "  $name: $minutes min from $(date -d "@$((start / 1000))" +%T), ${R[$name:active0]} rows active"
    local -a todo=("$@")
    next=$start
    while [ "$next" -lt "$end" ]; do
        sleep_until "$next"
        for i in "${!todo[@]}"; do
            a=${todo[$i]}
            due=$((start + $(calc %.0f "${a%%:*} * 1000")))
            [ "$(now_ms)" -ge "$due" ] || continue
            act "${a#*:}"
            unset "todo[$i]"
        done
        dead=$(fleet_alive) || { FAILED+=("$RUN: $dead exited during $name"); say "$dead exited"; break; }
        sample "$name" || say "  a sample failed"
        next=$((next + $(calc %.0f "$SAMPLE_S * 1000")))
    done
    sleep_until "$end"
    snap "$name-end" || die "snapshot at the end of $name"
    # The schedule's view of each product (for FRESH_KEEP): its estimate and interval.
    psql -X -q -A -t -F ' ' "$DATABASE_URL" -c "SELECT id, change_rate, extract(epoch FROM refresh_interval),
        change_n, change_x, change_t, coalesce(change_prior, 0), extract(epoch FROM next_update_due - now())
        FROM items WHERE source = 'keepa'" >"$S/$RUN-$name-end.items" 2>/dev/null
    R[$name:minutes]=$minutes
    R[$name:rate]=$rate
    R[$name:start]=$start
    R[$name:run]=$RUN
    R[$name:warm]=$(((start + 500 - F0) / 1000))
    PHASES+=("$name")
}

# run_fleet RUN SPEC RATE PHASE-ARGS... (phases separated by --)
run_fleet() {
    RUN=$1
    local spec=$2 rate=$3 url
    shift 3
    declare -gA FLEET=()
    say "run $RUN: $N products, drift $spec, $rate tokens/min"
    start_fake "$spec" "$rate"
    url=$(bash "$FRESHET_TEST_SERVICES" createdb "$FRESHET_TEST_DIR" "fresh_${RUN//[^a-z0-9]/_}") ||
        die "createdb for $RUN"
    export DATABASE_URL=$url
    "$BIN/freshetctl" migrate >>"$S/logs/migrate.log" 2>&1 || die "freshetctl migrate"
    sql "CREATE TABLE bench_tally (phase text, id text, samples int, fresh int, PRIMARY KEY (phase, id));
         CREATE TABLE bench_snap (name text, id text, price int, version bigint, rate float8,
                                  served bigint, first_ms bigint)" >/dev/null || die "bench tables"
    rcli flushall >/dev/null || die "redis flushall"
    : >"$S/$RUN.timeline"
    start_fleet
    NEXT_MIN=$WARMUP_MIN
    local args=()
    for a in "$@" --; do
        if [ "$a" = -- ]; then
            [ ${#args[@]} -gt 0 ] && run_phase "${args[@]}"
            args=()
            [ ${#FAILED[@]} -gt 0 ] && break
        else
            args+=("$a")
        fi
    done
    for p in "${PHASES[@]}"; do [ "${R[$p:run]}" = "$RUN" ] && phase_figures "$p"; done
    for name in scout processor refresher; do stop_pid "${FLEET[$name]}"; done
    stop_pid "$FAKE_PID"
}

# ---- figures of a phase ---------------------------------------------------------------

jn() { jq -r "$2 // 0" "$1"; } # jn FILE FILTER: a number from a JSON file (0 when absent)

phase_figures() {
    local p=$1 s e secs deal first bud line
    s=$S/$RUN-$p-start e=$S/$RUN-$p-end
    secs=$((${R[$p:minutes]} * MINUTE_MS / 1000))
    # Freshness samples: time average (equal spacing), min, max.
    read -r "R[$p:fresh]" "R[$p:fmin]" "R[$p:fmax]" "R[$p:samples]" < <(awk -v p="$p" '
        $2 == p && $3 > 0 { f = $4 / $3; s += f; n++; if (n == 1 || f < lo) lo = f; if (f > hi) hi = f }
        END { printf "%.4f %.4f %.4f %d\n", n ? s / n : 0, lo, hi, n }' "$S/$RUN.timeline")
    R[$p:items]=$(wc -l <"$e.tsv")
    R[$p:spent]=$(($(jn "$e.stats.json" .tokens_spent.bench) - $(jn "$s.stats.json" .tokens_spent.bench)))
    R[$p:budget]=$((${R[$p:rate]} * ${R[$p:minutes]}))
    for k in product deal; do
        R[$p:${k}_ok]=$(($(jn "$e.stats.json" ".requests.$k.\"200\"") - $(jn "$s.stats.json" ".requests.$k.\"200\"")))
        R[$p:${k}_429]=$(($(jn "$e.stats.json" ".requests.$k.\"429\"") - $(jn "$s.stats.json" ".requests.$k.\"429\"")))
    done
    R[$p:products]=$(($(jn "$e.stats.json" .products_served) - $(jn "$s.stats.json" .products_served)))
    deal=$((${R[$p:deal_ok]} * 5))
    # First fetches in the window: products first served after its start.
    first=$(awk -F '\t' -v t="${R[$p:start]}" '$6 >= t' "$e.tsv" | wc -l)
    R[$p:deal_tokens]=$deal
    R[$p:first]=$first
    R[$p:refresh_budget]=$((${R[$p:budget]} - deal - first))
    R[$p:refreshes]=$((${R[$p:products]} - first))
    R[$p:n429]=$((${R[$p:product_429]} + ${R[$p:deal_429]}))
    R[$p:requests]=$((${R[$p:product_ok]} + ${R[$p:deal_ok]} + ${R[$p:n429]}))
    bud=$(calc %.6f "${R[$p:refresh_budget]} / $secs")
    R[$p:B]=$bud
    cut -f 4 "$e.tsv" | "$BOUND" -b "$bud" -m "$MIN_S" -M "$MAX_S" >"$S/$RUN-$p.bound" ||
        die "freshness_bound for $p"
    line=$(tail -n 1 "$S/$RUN-$p.bound")
    for k in uniform optimal proportional at_least; do
        R[$p:$k]=$(sed -n "s/.* $k=\([^ ]*\).*/\1/p" <<<" $line")
    done
    R[$p:interval]=$(calc %.2f "${R[$p:items]} / $bud")
    deciles "$p" "$secs"
    [ -s "$S/$RUN.grows" ] && first_fetch "$p"
    return 0
}

# deciles PHASE SECONDS: per change-rate decile, fetches per item in the window and the
# measured freshness, beside the bound's intervals and freshness (R[PHASE:dK]).
deciles() {
    local p=$1 k rest
    while read -r k rest; do R[$p:d$k]=$rest; done < <(sql "
        WITH e AS (SELECT id, rate, served FROM bench_snap WHERE name = '$p-end'),
             s AS (SELECT id, served FROM bench_snap WHERE name = '$p-start'),
             j AS (SELECT e.id, e.rate, e.served - coalesce(s.served, 0) AS fetches,
                          t.samples, t.fresh
                   FROM e LEFT JOIN s USING (id)
                   LEFT JOIN bench_tally t ON t.phase = '$p' AND t.id = e.id),
             d AS (SELECT *, ntile(10) OVER (ORDER BY rate, id) AS k FROM j)
        SELECT k || ' ' || min(rate) || ' ' || max(rate) || ' ' || round(avg(fetches), 2) || ' '
               || coalesce(round(sum(fresh)::numeric / nullif(sum(samples), 0), 4)::text, '-')
        FROM d GROUP BY k ORDER BY k" | tr '|' ' ')
    # The bound's decile lines: dK lo..hi mean-interval uniform-interval optimal-interval F_u F_o
    while read -r k _ _ _ iu io fu fo; do
        R[$p:b${k#d}]="$iu $io $fu $fo"
    done < <(grep '^d[0-9]' "$S/$RUN-$p.bound" | sed 's/\.\./ /')
    R[$p:secs]=$2
}

# first_fetch PHASE: from a product's arrival (/_fake/grow) to its first /product serving.
first_fetch() {
    local p=$1
    R[$p:ff]=$(awk -F '\t' 'NR == FNR { at[NR] = $1; from[NR] = $2; to[NR] = $3; g = NR; next }
        { i = FNR - 1
          for (k = 1; k <= g; k++) if (i >= from[k] && i < to[k]) {
              if ($6 > 0) print ($6 - at[k]) / 1000; else print "never" } }' \
        FS=' ' "$S/$RUN.grows" FS='\t' "$S/$RUN-$p-end.tsv" |
        sort -g | awk '$1 == "never" { never++; next } { v[++n] = $1 }
            END { if (!n) { printf "none fetched (%d waiting)", never; exit }
                  k = int(n * 0.9 + 0.5); if (k < 1) k = 1
                  printf "%d new: p50 %.1f s, p90 %.1f s, max %.1f s; %d not fetched by the end",
                         n + never, v[int((n + 1) / 2)], v[k], v[n], never }')
}

# ---- the report -----------------------------------------------------------------------

pct() { calc %.1f "100 * $1 / ($2 > 0 ? $2 : 1)"; }

report_phase() {
    local p=$1 k d b stale_ratio
    echo
    echo "=== $p: ${R[$p:items]} products, ${R[$p:desc]}"
    echo "    budget ${R[$p:rate]} tokens/min; measured ${R[$p:minutes]} min (${R[$p:samples]} samples, every ${SAMPLE_S} s)" \
        "from ${R[$p:warm]} s after the fake started; refresh bounds $REFRESH_MIN..$REFRESH_MAX"
    printf '  %-58s %9s %9s\n' "" freshness stale
    printf '  %-58s %9.4f %9.4f\n' "uniform bound (every product every ${R[$p:interval]} s)" "${R[$p:uniform]}" \
        "$(calc %.4f "1 - ${R[$p:uniform]}")"
    printf '  %-58s %9.4f %9.4f\n' "optimal bound (${R[$p:at_least]} products at the least)" "${R[$p:optimal]}" \
        "$(calc %.4f "1 - ${R[$p:optimal]}")"
    printf '  %-58s %9.4f %9.4f\n' "proportional (f ~ rate), for reference" "${R[$p:proportional]}" \
        "$(calc %.4f "1 - ${R[$p:proportional]}")"
    printf '  %-58s %9.4f %9.4f   (samples %.4f..%.4f)\n' "freshet, time-averaged" "${R[$p:fresh]}" \
        "$(calc %.4f "1 - ${R[$p:fresh]}")" "${R[$p:fmin]}" "${R[$p:fmax]}"
    stale_ratio=$(calc %.2f "(1 - ${R[$p:fresh]}) / (1 - ${R[$p:optimal]} > 0 ? 1 - ${R[$p:optimal]} : 1)")
    echo "  stale share / optimal's: $stale_ratio; rows active at the start: ${R[$p:active0]}"
    echo "  tokens spent / budget: ${R[$p:spent]} / ${R[$p:budget]} = $(pct "${R[$p:spent]}" "${R[$p:budget]}")%" \
        "(/deal ${R[$p:deal_tokens]}, first fetches ${R[$p:first]}, refreshes ${R[$p:refreshes]});" \
        "refresh budget ${R[$p:refresh_budget]} ($(calc %.2f "${R[$p:B]}")/s), spent $(pct "${R[$p:refreshes]}" "${R[$p:refresh_budget]}")%"
    echo "  requests: /product ${R[$p:product_ok]} + ${R[$p:product_429]} x 429, /deal ${R[$p:deal_ok]} + ${R[$p:deal_429]} x 429" \
        "($(pct "${R[$p:n429]}" "${R[$p:requests]}")% 429)"
    [ -n "${R[$p:ff]:-}" ] && echo "  first fetch after arrival: ${R[$p:ff]} (scout interval $SCOUT_INTERVAL)"
    echo "  by change-rate decile (d1 slowest): refresh interval s (freshet from fetches/product in the window;"
    echo "  uniform, optimal from the bound) and freshness (freshet measured; uniform, optimal expected)"
    printf '  %-4s %-21s %9s %8s %9s %9s %8s %8s %8s\n' "" "rate /s" fetches freshet uniform optimal \
        freshet uniform optimal
    for k in 1 2 3 4 5 6 7 8 9 10; do
        read -r -a d <<<"${R[$p:d$k]:-}"
        read -r -a b <<<"${R[$p:b$k]:-}"
        [ ${#d[@]} -ge 4 ] || continue
        printf '  d%-3s %9.3g..%-10.3g %9s %8s %9s %9s %8s %8s %8s\n' "$k" "${d[0]}" "${d[1]}" "${d[2]}" \
            "$(calc %.3g "${d[2]} > 0 ? ${R[$p:secs]} / ${d[2]} : 0" | sed 's/^0$/never/')" \
            "${b[0]:-?}" "${b[1]:-?}" "${d[3]}" "${b[2]:-?}" "${b[3]:-?}"
    done
}

summary() {
    local p
    echo
    echo "=== summary: freshness (time-averaged share of products whose stored price is the upstream's)"
    printf '  %-22s %8s %8s %8s %12s %9s %9s %6s\n' phase freshet uniform optimal "stale/opt's" "budget%" \
        "refresh%" "429%"
    for p in "${PHASES[@]}"; do
        printf '  %-22s %8.4f %8.4f %8.4f %12s %8s%% %8s%% %5s%%\n' "$p" "${R[$p:fresh]}" "${R[$p:uniform]}" \
            "${R[$p:optimal]}" "$(calc %.2f "(1 - ${R[$p:fresh]}) / (1 - ${R[$p:optimal]} > 0 ? 1 - ${R[$p:optimal]} : 1)")" \
            "$(pct "${R[$p:spent]}" "${R[$p:budget]}")" \
            "$(pct "${R[$p:refreshes]}" "${R[$p:refresh_budget]}")" "$(pct "${R[$p:n429]}" "${R[$p:requests]}")"
    done
    echo "  targets (issue 12): freshet >= uniform, stale/opt's <= 1.1, refresh% >= 95 while rows are stale, 429% <= 1"
}

# ---- main ------------------------------------------------------------------------------

want() { local w; for w in "${WANT[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

LU=$(lu_spec)
BI=$(bimodal_spec)
LU_DESC="mean change intervals log-uniform $(calc %.3g "$MEDIAN_S / $LU_SPREAD") s..$(calc %.3g "$MEDIAN_S * $LU_SPREAD") s (median $MEDIAN_S s)"
say "services in $FRESHET_TEST_DIR; scenarios: ${WANT[*]}; $N products, median change interval $MEDIAN_S s"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# lu_run FACTOR: the log-uniform catalog at a budget for every product every FACTOR x median.
lu_run() {
    want "lu-$1" || return 0
    run_fleet "lu-$1" "$LU" "$(key_rate "$N" "$1")" "lu-$1" "$(measure_min "$1")" "$(key_rate "$N" "$1")"
    R[lu-$1:desc]="$LU_DESC; uniform interval $1 x the median"
}
lu_run 0.3
if want lu-1 || want halved; then
    rate=$(key_rate "$N" 1)
    half=$(calc %.0f "$rate / 2")
    args=()
    if want lu-1; then args+=(lu-1 "$(measure_min 1)" "$rate"); else args+=("halved-before" 1 "$rate"); fi
    want halved && args+=(-- halved "$(measure_min 2)" "$half" "0:rate:$half")
    run_fleet "lu-1" "$LU" "$rate" "${args[@]}"
    for p in lu-1 halved-before halved; do
        R[$p:desc]="$LU_DESC; uniform interval 1 x the median"
    done
    R[halved:desc]="$LU_DESC; the budget halved at the start of this window (uniform interval ~2 x the median)"
fi
lu_run 3
if want bimodal; then
    run_fleet bimodal "$BI" "$(key_rate "$N" 1)" bimodal "$(measure_min 1)" "$(key_rate "$N" 1)"
    R[bimodal:desc]="80% change every $(calc %.3g "$MEDIAN_S * 10") s, 20% every $(calc %.3g "$MEDIAN_S / 3") s on average; budget for every product every $MEDIAN_S s"
fi
if want discover; then
    grow=$((N / 20))
    m=$(measure_min 1)
    secs=$((m * MINUTE_MS / 1000))
    # Arrivals at irregular moments, not in step with the scout's passes.
    run_fleet discover "$LU" "$(key_rate "$((N + 4 * grow))" 1)" discover "$m" "$(key_rate "$((N + 4 * grow))" 1)" \
        "$((secs / 17)):grow:$grow" "$((secs * 5 / 17)):grow:$grow" "$((secs * 9 / 17)):grow:$grow" \
        "$((secs * 14 / 17)):grow:$grow"
    R[discover:desc]="$LU_DESC; $((4 * grow)) new products arrive in 4 batches; budget for every product (at the end) every $MEDIAN_S s"
fi

echo "=== freshet bench-freshness: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, load average at start $LOAD0"
echo "    fleet: 1 scout (FRESHET_SCOUT_INTERVAL=$SCOUT_INTERVAL), 1 processor, 1 refresher (FRESHET_REFRESH_PASS=$REFRESH_PASS), sellers off;"
echo "    token minute ${MINUTE_MS} ms (FRESHET_TOKEN_PERIOD; a 'min' below is one of these); seed $SEED${FRESH_ENV:+; fleet env: $FRESH_ENV}"
for p in "${PHASES[@]}"; do report_phase "$p"; done
summary
# --floor=F: a scenario below F x its uniform bound fails the run (CI's loose floor).
if [ -n "$FLOOR" ]; then
    for p in "${PHASES[@]}"; do
        if awk -v f="${R[$p:fresh]}" -v u="${R[$p:uniform]}" -v k="$FLOOR" 'BEGIN { exit !(f < k * u) }'; then
            FAILED+=("$p: freshness ${R[$p:fresh]} is below $FLOOR x the uniform bound ${R[$p:uniform]}")
        else
            echo "  floor: $p keeps ${R[$p:fresh]} >= $FLOOR x the uniform bound ${R[$p:uniform]}"
        fi
    done
fi
if [ ${#FAILED[@]} -gt 0 ]; then
    printf 'bench-freshness: %s\n' "${FAILED[@]}" >&2
    exit 1
fi
exit 0
