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

cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
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
        fail-429-nobody change-period-ms invalid-rate deal-fraction; do
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
test_shutdown
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
