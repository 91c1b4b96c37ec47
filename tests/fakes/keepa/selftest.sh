#!/bin/sh
# selftest.sh - end-to-end checks of freshet-fake-keepa over real HTTP.
#
# Starts the fake on port 0 (learning the port from --port-file), speaks to it
# with curl, and asserts with grep/sed only, so it runs wherever curl does.
# Prints "N passed, N failed" last and exits non-zero if anything failed,
# including an unclean exit of the server on SIGTERM (leaks under ASan,
# errors under valgrind).
#
# usage: selftest.sh [BINARY]        (default: bin/freshet-fake-keepa)
# env:   FAKE_KEEPA_WRAPPER="valgrind --error-exitcode=99 --leak-check=full"
#        runs the server under a wrapper command.
set -u

BIN=${1:-bin/freshet-fake-keepa}
WRAPPER=${FAKE_KEEPA_WRAPPER:-}
MINUTE_MS=500
PASS=0
FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fake-keepa-selftest.XXXXXX") || exit 1
PID=
XPIDS= # the drift tests' servers

cleanup() {
    for p in $PID $XPIDS; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
    PASS=$((PASS + 1))
    printf 'ok   %s\n' "$1"
}

bad() {
    FAIL=$((FAIL + 1))
    printf 'FAIL %s\n' "$1"
    [ -n "${2:-}" ] && printf '     %s\n' "$2" | cut -c1-400
}

# check NAME CONDITION-STATUS [DETAIL]: records a result from the status of the
# command that ran just before.
check() {
    if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi
}

# num FIELD FILE: the integer value of "FIELD": in a JSON file (first match).
num() {
    sed -n "s/.*\"$1\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" "$2" | head -n 1
}

# asins FROM TO: the catalog ASINs FROM..TO-1 as a comma list (B0 + base 36).
asins() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        d = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        for (i = a; i < b; i++) {
            s = ""; n = i
            for (k = 0; k < 8; k++) { s = substr(d, n % 36 + 1, 1) s; n = int(n / 36) }
            printf "%sB0%s", (i > a ? "," : ""), s
        }
    }'
}

# get PATH [curl args...]: GETs PATH into $TMP/body, status into $TMP/code.
get() {
    path=$1
    shift
    curl -s -o "$TMP/body" -w '%{http_code}' "$@" "$BASE$path" > "$TMP/code"
}

code() {
    cat "$TMP/code"
}

# has_fields FILE FIELD...: every "FIELD": occurs in FILE.
has_fields() {
    file=$1
    shift
    for f in "$@"; do
        grep -q "\"$f\":" "$file" || return 1
    done
}

# count PATTERN FILE: how many times the fixed string PATTERN occurs.
count() {
    grep -o -F "$1" "$2" | wc -l | tr -d ' '
}

start_server() {
    # shellcheck disable=SC2086 # the wrapper is a command line on purpose
    $WRAPPER "$BIN" --port-file "$TMP/port" --products 400 --minute-ms "$MINUTE_MS" \
        --key test:6000 --key dead:10:expired --key small:2 --seed 7 \
        > "$TMP/stdout" 2> "$TMP/stderr" &
    PID=$!
    i=0
    while [ ! -s "$TMP/port" ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    PORT=$(cat "$TMP/port" 2>/dev/null)
    BASE="http://127.0.0.1:$PORT"
    [ -n "$PORT" ] && grep -qx "listening 127.0.0.1:$PORT" "$TMP/stdout"
    check "starts, writes the port file and prints 'listening 127.0.0.1:PORT'" $? \
        "$(cat "$TMP/stdout" "$TMP/stderr" 2>/dev/null)"
    [ -n "$PORT" ] || exit 1
}

test_usage() {
    "$BIN" --help > "$TMP/help" 2>&1
    rc=$?
    for opt in listen port-file products seed key initial-tokens minute-ms latency-ms \
        latency-jitter-ms fail-5xx fail-timeout fail-reset fail-truncate fail-garbage \
        fail-429-nobody change-period-ms invalid-rate deal-fraction drift drift-deal; do
        grep -q -- "--$opt " "$TMP/help" || rc=1
    done
    check "--help exits 0 and lists every option" $rc
    "$BIN" --no-such-flag > "$TMP/out" 2>&1
    rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l < "$TMP/out")" -eq 1 ] && grep -q -- '--no-such-flag' "$TMP/out"
    check "a bad flag exits 2 with one line naming it" $? "rc=$rc $(cat "$TMP/out")"
}

test_token_and_keys() {
    get "/token?key=test"
    [ "$(code)" = 200 ] && has_fields "$TMP/body" timestamp tokensLeft refillIn refillRate \
        tokenFlowReduction processingTimeInMs &&
        [ "$(num tokensConsumed "$TMP/body")" = 0 ] && [ "$(num refillRate "$TMP/body")" = 6000 ]
    check "/token returns the full envelope, free" $? "$(cat "$TMP/body")"
    get "/token?key=nobody"
    [ "$(code)" = 400 ] && grep -q '"invalidKey"' "$TMP/body"
    check "unknown key gets 400 invalidKey" $? "$(code) $(cat "$TMP/body")"
    get "/product?domain=1&asin=B000000001"
    [ "$(code)" = 400 ]
    check "missing key gets 400" $? "$(code)"
    get "/product?key=dead&domain=1&asin=B000000001"
    [ "$(code)" = 402 ]
    check "expired key gets 402" $? "$(code) $(cat "$TMP/body")"
}

test_param_errors() {
    many=$(asins 0 101)
    while IFS='|' read -r label q; do
        get "/product?key=test&$q"
        [ "$(code)" = 400 ] && grep -q '"invalidParameter"' "$TMP/body" &&
            [ "$(num tokensLeft "$TMP/body")" = 0 ] && [ "$(num refillIn "$TMP/body")" = 0 ] &&
            [ "$(num refillRate "$TMP/body")" = 0 ] && [ "$(num tokensConsumed "$TMP/body")" = 0 ]
        check "$label: 400 invalidParameter, all token fields zero" $? "$(code) $(cat "$TMP/body")"
    done <<EOF
domain 7 (reserved)|domain=7&asin=B000000001
domain 13|domain=13&asin=B000000001
no domain|asin=B000000001
no asin|domain=1
101 ASINs|domain=1&asin=$many
non-integer stats|domain=1&asin=B000000001&stats=abc
EOF
}

test_product() {
    get "/token?key=test"
    # A refill between the two reads would hide the charge: start just after a tick.
    wait=$(num refillIn "$TMP/body")
    if [ "${wait:-0}" -lt 250 ]; then
        sleep "$(awk "BEGIN { print (${wait:-0} + 30) / 1000 }")"
        get "/token?key=test"
    fi
    before=$(num tokensLeft "$TMP/body")
    before=${before:-0}
    get "/product?key=test&domain=1&asin=B000000001,B00000000Z,B000000010"
    n=$(count '"productType":0' "$TMP/body")
    [ "$(code)" = 200 ] && [ "$n" = 3 ] && [ "$(num tokensConsumed "$TMP/body")" = 3 ]
    check "/product of 3 ASINs returns 3 products for 3 tokens" $? "$(code) n=$n"
    after=$(num tokensLeft "$TMP/body")
    [ $((before - ${after:-0})) -ge 3 ]
    check "the 3 tokens come off the balance" $? "before=$before after=$after"
    grep -q '"csv":\[\[' "$TMP/body" && grep -q '"buyBoxSellerId":"A[0-9A-Z]\{13\}"' "$TMP/body" &&
        grep -q '"stats":{"current":\[' "$TMP/body" && grep -q '"avg90":\[' "$TMP/body"
    check "products carry csv, stats and a buy-box seller" $?
    get "/product/?key=test&domain=3&asin=B0ZZZZZZZZ,XYZ&history=0"
    [ "$(code)" = 200 ] && [ "$(count '"productType":4' "$TMP/body")" = 2 ]
    check "/product/ (trailing slash) answers unknown ASINs with productType 4" $? \
        "$(cat "$TMP/body")"
    get "/product?key=test&domain=1&asin=B000000001&history=0"
    grep -q '"csv":null' "$TMP/body"
    check "history=0 drops csv" $?
    get "/product?key=test&domain=1&asin=B000000001,B000000002&offers=20"
    [ "$(num tokensConsumed "$TMP/body")" = 12 ] && grep -q '"offers":\[' "$TMP/body"
    check "offers=20 costs 6 a product and lists offers" $? "$(num tokensConsumed "$TMP/body")"
}

test_gzip() {
    url="$BASE/product?key=test&domain=1&asin=B000000001"
    curl -s -D "$TMP/hdr" -o /dev/null -H 'Accept-Encoding: gzip' "$url"
    grep -qi '^Content-Encoding: gzip' "$TMP/hdr" &&
        grep -qi '^Content-Type: application/json;charset=UTF-8' "$TMP/hdr"
    check "gzip requested: Content-Encoding gzip, JSON content type" $? "$(cat "$TMP/hdr")"
    get "/product?key=test&domain=1&asin=B000000001" --compressed
    grep -q '^{"products":\[{"asin":"B000000001"' "$TMP/body"
    check "curl --compressed decodes the gzip body" $?
    curl -s -D "$TMP/hdr" -o /dev/null -H 'Accept-Encoding: gzip' "$BASE/token?key=bad"
    grep -q '^HTTP/1.1 400' "$TMP/hdr" && grep -qi '^Content-Encoding: gzip' "$TMP/hdr"
    check "a 400 is gzipped too" $? "$(cat "$TMP/hdr")"
    get "/token?key=bad" --compressed
    grep -q '"invalidKey"' "$TMP/body"
    check "the gzipped 400 decodes to the error envelope" $?
    curl -s -D "$TMP/hdr" -o /dev/null "$BASE/token?key=test"
    ! grep -qi '^Content-Encoding' "$TMP/hdr"
    check "no gzip unless asked for" $?
}

# Drives key "small" (2 tokens a scaled minute) below zero, then into 429.
# Overshooting by 9 tokens leaves 5 refills (2.5 s) of margin for the 429.
test_exhaustion() {
    i=0
    left=1
    while [ "$left" -gt 0 ] && [ $i -lt 5 ]; do
        get "/token?key=small"
        left=$(num tokensLeft "$TMP/body")
        n=$((${left:-0} + 9))
        [ $n -gt 100 ] && n=100
        get "/product?key=small&domain=1&asin=$(asins 0 "$n")"
        left=$(num tokensLeft "$TMP/body")
        left=${left:-0}
        i=$((i + 1))
    done
    [ "$(code)" = 200 ] && [ "$left" -lt 0 ]
    check "a request is charged in full even past zero (tokensLeft $left)" $?
    get "/product?key=small&domain=1&asin=B000000001"
    [ "$(code)" = 429 ] && [ "$(num tokensConsumed "$TMP/body")" = 0 ] &&
        [ "$(num refillRate "$TMP/body")" = 2 ] && [ "$(num tokensLeft "$TMP/body")" -le 0 ]
    check "balance <= 0 gets 429 with the envelope and tokensConsumed 0" $? \
        "$(code) $(cat "$TMP/body")"
    refills=$(((2 - left) / 2)) # the first k with left + 2k > 0
    wait_ms=$((refills * MINUTE_MS + MINUTE_MS + 100))
    sleep "$(awk -v ms="$wait_ms" 'BEGIN { printf "%.2f", ms / 1000 }')"
    get "/product?key=small&domain=1&asin=B000000001"
    [ "$(code)" = 200 ] && [ "$(num tokensConsumed "$TMP/body")" = 1 ]
    check "after the scaled minutes the bucket has refilled" $? "$(code) $(cat "$TMP/body")"
}

# deal_pages METHOD: fetches pages 0..3 and checks 150/150/100/0, no duplicates.
deal_pages() {
    : > "$TMP/asins"
    sizes=
    for page in 0 1 2 3; do
        if [ "$1" = GET ]; then
            get "/deal?key=test" -G --data-urlencode "selection={\"page\":$page,\"domainId\":1}"
        else
            get "/deal/?key=test" -H 'Content-Type: application/json' \
                -d "{\"page\":$page,\"domainId\":1,\"priceTypes\":[0],\"unknownField\":true}"
        fi
        grep -o '"asin":"B0[0-9A-Z]*"' "$TMP/body" > "$TMP/page"
        sizes="$sizes $(wc -l < "$TMP/page" | tr -d ' ')"
        cat "$TMP/page" >> "$TMP/asins"
    done
    [ "$sizes" = " 150 150 100 0" ]
    check "/deal $1 pages hold 150,150,100,0 deals" $? "$sizes"
    [ -z "$(sort "$TMP/asins" | uniq -d)" ] && [ "$(sort -u "$TMP/asins" | wc -l)" -eq 400 ]
    check "/deal $1 paging lists all 400 products once" $?
}

test_deal() {
    deal_pages GET
    deal_pages POST
    get "/deal?key=test" -G --data-urlencode 'selection={"page":0,"domainId":1}'
    [ "$(num tokensConsumed "$TMP/body")" = 5 ] && grep -q '"drDateIndex":\[\]' "$TMP/body" &&
        grep -q '"categoryNames":\["' "$TMP/body" && grep -q '"image":\[[0-9]' "$TMP/body" &&
        grep -q '"deltaPercent":\[\[' "$TMP/body"
    check "/deal costs 5 and carries the Deal fields" $?
    for sel in '{"page":-1,"domainId":1}' '{"page":0,"domainId":7}' 'not json' '{"page":0}'; do
        get "/deal?key=test" -G --data-urlencode "selection=$sel"
        [ "$(code)" = 400 ] && [ "$(num refillRate "$TMP/body")" = 0 ]
        check "/deal rejects selection $sel" $? "$(code)"
    done
}

test_seller() {
    get "/product?key=test&domain=1&asin=B000000001"
    seller=$(sed -n 's/.*"buyBoxSellerId":"\(A[0-9A-Z]*\)".*/\1/p' "$TMP/body")
    get "/seller?key=test&domain=1&seller=$seller,AUNKNOWNSELLER"
    [ "$(code)" = 200 ] && grep -q "\"sellers\":{\"$seller\":{\"sellerId\":\"$seller\"" \
        "$TMP/body" && [ "$(num tokensConsumed "$TMP/body")" = 1 ]
    check "/seller returns known sellers, 1 token each, unknown ones free" $? \
        "$(cat "$TMP/body")"
}

test_stats() {
    get "/_fake/reset-stats" -X POST
    get "/product?key=test&domain=1&asin=B000000001,B000000002,B000000003"
    get "/product?key=test&domain=1&asin=B000000001"
    get "/token?key=nobody"
    get "/stats"
    grep -q '"product":{"200":2}' "$TMP/body" && grep -q '"token":{"400":1}' "$TMP/body" &&
        [ "$(num products_served "$TMP/body")" = 4 ] &&
        [ "$(num asins_served_unique "$TMP/body")" = 3 ] &&
        [ "$(num asins_served_max "$TMP/body")" = 2 ] && grep -q '"tokens_spent":{"test":4,' \
        "$TMP/body"
    check "/stats counts requests, products, unique and max ASINs, tokens" $? \
        "$(cat "$TMP/body")"
    get "/stats?asin=B000000001"
    [ "$(num served "$TMP/body")" = 2 ]
    check "/stats?asin= reports times served" $?
    get "/stats?asins=1"
    grep -q '"asins":{"B000000001":2,"B000000002":1,"B000000003":1}' "$TMP/body"
    check "/stats?asins=1 maps every served ASIN" $?
    get "/stats?repeats=1"
    grep -q '"repeats":{"B000000001":\[2,[0-9]*,[0-9]*,"curl/[^"]*"\]}' "$TMP/body" &&
        first=$(sed -n 's/.*"B000000001":\[2,\([0-9]*\),\([0-9]*\),.*/\1/p' "$TMP/body") &&
        last=$(sed -n 's/.*"B000000001":\[2,\([0-9]*\),\([0-9]*\),.*/\2/p' "$TMP/body") &&
        now=$(date +%s%3N) && [ "$first" -le "$last" ] && [ "$last" -le "$now" ] &&
        [ $((now - first)) -lt 60000 ]
    check "/stats?repeats=1 gives each repeated ASIN's count, first and last time, first client" $? \
        "$(cat "$TMP/body")"
}

# current NEW price (stats.current[1]) of one product in $TMP/body
new_price() {
    sed -n 's/.*"current":\[-\{0,1\}[0-9]*,\(-\{0,1\}[0-9]*\),.*/\1/p' "$TMP/body"
}

test_bump() {
    get "/product?key=test&domain=1&asin=B000000042"
    p1=$(new_price)
    get "/_fake/bump?asin=B000000042"
    grep -q '"bumped":\["B000000042"\]' "$TMP/body"
    check "/_fake/bump acknowledges the ASIN" $? "$(cat "$TMP/body")"
    get "/product?key=test&domain=1&asin=B000000042"
    p2=$(new_price)
    [ -n "$p1" ] && [ -n "$p2" ] && [ "$p1" != "$p2" ]
    check "a bump changes the price ($p1 -> $p2)" $?
}

# fault NAME EXPECT CURL-ARGS...: sets fail_NAME=1 and checks "code/curl-rc".
fault() {
    name=$1
    want=$2
    shift 2
    curl -s -o /dev/null "$BASE/_fake/config?fail_$name=1"
    got=$(curl -s -o "$TMP/body" -w '%{http_code}' "$@" \
        "$BASE/product?key=test&domain=1&asin=B000000001,B000000002")
    got="$got/$?"
    curl -s -o /dev/null "$BASE/_fake/config?fail_$name=0"
    # shellcheck disable=SC2254 # want is a pattern on purpose
    case "$got" in
    $want) ok "fault $name: $got" ;;
    *) bad "fault $name: got $got, want $want" ;;
    esac
}

test_faults() {
    fault 5xx '500/0'
    grep -q '"internalServerError"' "$TMP/body"
    check "the 500 has an error envelope" $?
    fault 429_nobody '429/0'
    [ ! -s "$TMP/body" ]
    check "the 429 fault has an empty body" $?
    fault garbage '200/0'
    ! grep -q '"products":\[{"asin":"B000000001".*}$' "$TMP/body"
    check "the garbage body is not the JSON response" $?
    fault truncate '200/18'
    fault reset '000/5[26]'
    fault timeout '000/28' -m 1
    get "/stats"
    grep -q '"faults":{"5xx":1,"timeout":1,"reset":1,"truncate":1,"garbage":1,"429_nobody":1}' \
        "$TMP/body"
    check "/stats counts each injected fault" $? "$(cat "$TMP/body")"
}

test_latency_and_keepalive() {
    curl -s -o /dev/null "$BASE/_fake/config?latency_ms=300"
    t=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/token?key=test")
    curl -s -o /dev/null "$BASE/_fake/config?latency_ms=0"
    awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }'
    check "latency_ms=300 delays the answer (${t}s)" $?
    curl -sv -o /dev/null -o /dev/null "$BASE/token?key=test" "$BASE/token?key=test" \
        2> "$TMP/verbose"
    grep -qi 're-\{0,1\}using existing connection' "$TMP/verbose"
    check "keep-alive: a second request reuses the connection" $?
}

test_shutdown() {
    kill -TERM "$PID"
    wait "$PID"
    rc=$?
    PID=
    [ $rc -eq 0 ]
    check "exits 0 on SIGTERM (no leaks or memory errors)" $? \
        "rc=$rc $(tail -n 20 "$TMP/stderr")"
}

# ---- drift mode (freshness benchmarks) -------------------------------------------------

# start_x NAME ARGS...: starts another server (port in $TMP/NAME.port, log $TMP/NAME.err);
# its pid joins XPIDS. wait_x NAME: waits for its port and sets XBASE.
start_x() {
    name=$1
    shift
    # shellcheck disable=SC2086 # the wrapper is a command line on purpose
    $WRAPPER "$BIN" --port-file "$TMP/$name.port" "$@" > /dev/null 2> "$TMP/$name.err" &
    XPIDS="$XPIDS $!"
}

wait_x() {
    i=0
    while [ ! -s "$TMP/$1.port" ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    XBASE="http://127.0.0.1:$(cat "$TMP/$1.port" 2>/dev/null)"
}

# xget NAME PATH OUT: GETs PATH from server NAME into OUT.
xget() {
    wait_x "$1"
    curl -s -o "$3" "$XBASE$2"
}

# prices JSON: "ASIN PRICE" per product of a /product or /deal body (PRICE the current
# NEW price, \N for none, as in /_fake/truth).
prices() {
    grep -o '"asin":"B0[0-9A-Z]*"\|"current":\[-\{0,1\}[0-9]*,-\{0,1\}[0-9]*' "$1" |
        awk '/"asin"/ { a = substr($0, 9, 10); next }
             { n = split($0, f, ","); print a, (f[n] < 0 ? "\\N" : f[n]) }'
}

# same A B: how many ASINs of price list A have the same price in list B (file names).
same() {
    awk 'NR == FNR { p[$1] = $2; next } ($1 in p) && p[$1] == $2 { n++ } END { print n + 0 }' \
        "$2" "$1"
}

# truth_prices TSV: "ASIN PRICE" of every product of a truth file.
truth_prices() {
    awk -F '\t' '{ print $1, $2 }' "$1"
}

test_drift_usage() {
    for spec in loguniform:10s loguniform:50m:10s loguniform:5ms:1s bimodal:1s:2s:1.5 \
        bimodal:1s:2s gaussian:1s:2s loguniform:1x:2s; do
        "$BIN" --drift "$spec" > "$TMP/out" 2>&1
        rc=$?
        [ $rc -eq 2 ] && [ "$(wc -l < "$TMP/out")" -eq 1 ] && grep -q -- '--drift' "$TMP/out"
        check "--drift $spec exits 2 with one line naming the option" $? "rc=$rc $(cat "$TMP/out")"
    done
    FAKE_KEEPA_DRIFT_DEAL=maybe "$BIN" > "$TMP/out" 2>&1
    rc=$?
    [ $rc -eq 2 ] && grep -q FAKE_KEEPA_DRIFT_DEAL "$TMP/out"
    check "FAKE_KEEPA_DRIFT_DEAL=maybe exits 2 naming the variable" $? "rc=$rc $(cat "$TMP/out")"
}

# Servers a and b share a seed, c has another; all drift log-uniformly over 2 s..20 s.
test_drift_seed_and_rates() {
    drift="--products 300 --drift loguniform:2s:20s"
    # shellcheck disable=SC2086 # $drift is a list of arguments
    { start_x a --seed 11 $drift; start_x b --seed 11 $drift; start_x c --seed 12 $drift; }
    sleep 2.5
    xget a /_fake/truth "$TMP/a.tsv"
    xget b /_fake/truth "$TMP/b.tsv"
    xget c /_fake/truth "$TMP/c.tsv"
    [ "$(wc -l < "$TMP/a.tsv")" = 300 ] && [ "$(awk -F '\t' 'NF != 4' "$TMP/a.tsv" | wc -l)" = 0 ]
    check "/_fake/truth: one line of 4 fields per product" $? "$(head -n 3 "$TMP/a.tsv")"
    cut -f 1,4 "$TMP/a.tsv" > "$TMP/a.rates"
    cut -f 1,4 "$TMP/b.tsv" | cmp -s - "$TMP/a.rates"
    check "the same seed gives every product the same change rate" $?
    differ=$(cut -f 1,4 "$TMP/c.tsv" | paste - "$TMP/a.rates" | awk '$2 != $4' | wc -l)
    [ "$differ" -ge 290 ]
    check "another seed gives other rates ($differ of 300 differ)" $?
    # Started together and read together, a and b agree but for events in between.
    r=$(paste "$TMP/a.tsv" "$TMP/b.tsv" | awk -F '\t' '$3 == $7 { n++; if ($2 != $6) bad++ }
        END { printf "%d %d", n, bad + 0 }')
    [ "${r% *}" -ge 285 ] && [ "${r#* }" = 0 ]
    check "the same seed gives the same versions and prices (equal versions, unequal prices: $r)" $?
    cut -f 4 "$TMP/a.tsv" | sort -g > "$TMP/a.r"
    lo=$(head -n 1 "$TMP/a.r")
    hi=$(tail -n 1 "$TMP/a.r")
    med=$(sed -n 150p "$TMP/a.r")
    awk -v lo="$lo" -v hi="$hi" -v m="$med" \
        'BEGIN { exit !(lo >= 0.05 * 0.999999 && lo < 0.06 && hi <= 0.5 * 1.000001 && hi > 0.42 &&
                        m > 0.12 && m < 0.21) }'
    check "rates log-uniform within 1/20s..1/2s (min $lo, max $hi, median $med)" $?
}

# Growth: sum of versions ~ sum of rates x elapsed; rate_scale multiplies both.
test_drift_growth() {
    start_x d --seed 5 --products 400 --drift loguniform:200ms:2s
    wait_x d
    sleep 3
    xget d /stats "$TMP/d.stats"
    xget d /_fake/truth "$TMP/d1.tsv"
    t1=$(num uptime_ms "$TMP/d.stats")
    r=$(awk -F '\t' -v t="$t1" '{ v += $3; e += $4 * t / 1000
            if ($4 > 0.9) { vf += $3; ef += $4 * t / 1000 } else { vs += $3; es += $4 * t / 1000 } }
        END { printf "%.3f %.3f %.3f", v / e, vf / ef, vs / es }' "$TMP/d1.tsv")
    echo "$r" | awk '{ exit !($1 > 0.9 && $1 < 1.1 && $2 > 0.85 && $2 < 1.15 && $3 > 0.8 && $3 < 1.2) }'
    check "versions grow as rate x time (all, fast half, slow half: $r)" $?
    xget d "/_fake/drift?rate_scale=2" "$TMP/body"
    grep -q '"rate_scale":2' "$TMP/body"
    check "/_fake/drift?rate_scale=2 is acknowledged" $? "$(cat "$TMP/body")"
    xget d /stats "$TMP/d.stats"
    xget d /_fake/truth "$TMP/d2.tsv"
    t2=$(num uptime_ms "$TMP/d.stats")
    sleep 2
    xget d /stats "$TMP/d.stats"
    xget d /_fake/truth "$TMP/d3.tsv"
    t3=$(num uptime_ms "$TMP/d.stats")
    r=$(paste "$TMP/d1.tsv" "$TMP/d2.tsv" "$TMP/d3.tsv" | awk -F '\t' -v dt="$((t3 - t2))" '
        { q = $8 / (2 * $4); if (q < 0.999999 || q > 1.000001) bad++; v += $11 - $7; e += $12 * dt / 1000 }
        END { printf "%d %.3f", bad, v / e }')
    [ "${r% *}" = 0 ] && echo "$r" | awk '{ exit !($2 > 0.88 && $2 < 1.12) }'
    check "rate_scale=2 doubles every rate and the growth after it (bad rates, growth ratio: $r)" $?
    xget d "/_fake/drift?rate_scale=0" "$TMP/body"
    grep -q invalidParameter "$TMP/body"
    check "rate_scale=0 is refused" $? "$(cat "$TMP/body")"
}

test_drift_bimodal() {
    start_x e --seed 9 --products 1000 --drift bimodal:10s:500ms:0.2
    xget e /_fake/truth "$TMP/e.tsv"
    r=$(awk -F '\t' '$4 == 2 { f++; next } $4 == 0.1 { s++; next } { o++ }
        END { printf "%d %d %d", f, s, o }' "$TMP/e.tsv")
    echo "$r" | awk '{ exit !($1 >= 150 && $1 <= 250 && $1 + $2 == 1000 && $3 == 0) }'
    check "bimodal:10s:500ms:0.2: about 20% change twice a second, the rest every 10 s ($r)" $?
}

# /deal shows what /product last served (hide) or the price now (reveal).
test_drift_deal() {
    start_x h --seed 3 --products 300 --drift loguniform:100ms:400ms --drift-deal hide
    start_x r --seed 3 --products 300 --drift loguniform:1s:3s --drift-deal reveal
    for x in h r; do
        xget $x "/product?key=test&domain=1&asin=$(asins 0 100)" "$TMP/$x.product"
        xget $x /_fake/truth "$TMP/$x.t0"
        prices "$TMP/$x.product" > "$TMP/$x.served"
    done
    n=$(same "$TMP/r.served" "$(truth_prices "$TMP/r.t0" > "$TMP/r.tp"; echo "$TMP/r.tp")")
    [ "$n" -ge 95 ]
    check "/_fake/truth prices are /product's current NEW prices ($n of 100 read together)" $?
    sleep 2
    for x in h r; do
        xget $x "/deal?key=test&selection=%7B%22page%22%3A0%2C%22domainId%22%3A1%7D" "$TMP/$x.deal"
        xget $x /_fake/truth "$TMP/$x.t1"
        prices "$TMP/$x.deal" > "$TMP/$x.dp"
        truth_prices "$TMP/$x.t1" > "$TMP/$x.tp"
    done
    hs=$(same "$TMP/h.served" "$TMP/h.dp")
    hn=$(same "$TMP/h.served" "$TMP/h.tp")
    hu=$(sed -n '101,150p' "$TMP/h.dp" > "$TMP/h.unseen"; same "$TMP/h.unseen" "$TMP/h.tp")
    [ "$hs" = 100 ] && [ "$hn" -le 20 ] && [ "$hu" -ge 35 ]
    check "hide: /deal shows the price /product served ($hs of 100; now $hn still equal), unserved ones as now ($hu of 50)" $?
    rt=$(same "$TMP/r.dp" "$TMP/r.tp")
    rs=$(same "$TMP/r.served" "$TMP/r.dp")
    [ "$rt" -ge 142 ] && [ "$rs" -le 60 ]
    check "reveal: /deal shows the price now ($rt of 150; $rs of 100 as served 2 s ago)" $?
}

test_truth_and_grow() {
    get "/_fake/truth?served=1"
    [ "$(code)" = 200 ] && [ "$(wc -l < "$TMP/body")" = 400 ] &&
        [ "$(awk -F '\t' 'NF != 6' "$TMP/body" | wc -l)" = 0 ] &&
        [ "$(cut -f 4 "$TMP/body" | sort -u | wc -l)" -le 5 ]
    check "/_fake/truth?served=1: 6 fields, periodic rates" $? "$(head -n 2 "$TMP/body")"
    served=$(awk -F '\t' '$1 == "B000000042" { print $5 }' "$TMP/body")
    get "/stats?asin=B000000042"
    [ -n "$served" ] && [ "$served" = "$(num served "$TMP/body")" ]
    check "its served column agrees with /stats ($served)" $?
    get "/_fake/truth?format=json"
    [ "$(code)" = 400 ]
    check "/_fake/truth?format=json is refused" $?
    get "/_fake/drift"
    [ "$(code)" = 400 ]
    check "/_fake/drift without drift mode is refused" $?
    get "/_fake/grow?n=10"
    [ "$(code)" = 200 ] && [ "$(num products "$TMP/body")" = 410 ]
    check "/_fake/grow?n=10 grows the catalog to 410" $? "$(cat "$TMP/body")"
    get "/deal?key=test" -G --data-urlencode 'selection={"page":2,"domainId":1}'
    n=$(count '"asin":"B0' "$TMP/body")
    get "/product?key=test&domain=1&asin=$(asins 405 406)"
    [ "$n" = 110 ] && [ "$(count '"productType":0' "$TMP/body")" = 1 ]
    check "grown products are listed by /deal ($n on page 2) and served by /product" $?
    get "/_fake/truth"
    [ "$(wc -l < "$TMP/body")" = 410 ]
    check "and are in the truth" $?
    get "/_fake/grow?n=0"
    [ "$(code)" = 400 ]
    check "/_fake/grow?n=0 is refused" $?
}

test_key_rate() {
    get "/_fake/config?key_rate=small:7"
    grep -q '"key_rate":7' "$TMP/body"
    check "/_fake/config?key_rate=small:7 is acknowledged" $? "$(cat "$TMP/body")"
    get "/token?key=small"
    [ "$(num refillRate "$TMP/body")" = 7 ]
    check "the key refills at its new rate" $? "$(cat "$TMP/body")"
    for bad in nobody:5 small:0 small:5:expired; do
        get "/_fake/config?key_rate=$bad"
        [ "$(code)" = 400 ]
        check "key_rate=$bad is refused" $? "$(code) $(cat "$TMP/body")"
    done
}

# Every drift server exits 0 on SIGTERM (no leaks under a wrapper).
test_drift_shutdown() {
    rc=0
    for p in $XPIDS; do
        kill -TERM "$p"
        wait "$p" || rc=$?
    done
    XPIDS=
    [ $rc -eq 0 ]
    check "the drift servers exit 0 on SIGTERM" $? "rc=$rc $(tail -n 5 "$TMP"/*.err)"
}

if [ ! -x "$BIN" ]; then
    echo "selftest: no executable '$BIN' (build it with: make bin/freshet-fake-keepa)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
test_usage
start_server
test_token_and_keys
test_param_errors
test_product
test_gzip
test_exhaustion
test_deal
test_seller
test_stats
test_bump
test_faults
test_latency_and_keepalive
test_drift_usage
test_drift_seed_and_rates
test_drift_growth
test_drift_bimodal
test_drift_deal
test_truth_and_grow
test_key_rate
test_drift_shutdown
test_shutdown
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
