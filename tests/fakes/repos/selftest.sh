#!/bin/sh
# selftest.sh - end-to-end checks of freshet-fake-repos over real HTTP.
#
# Starts the fake on port 0 (learning the port from --port-file), speaks to it
# with curl, and asserts with grep/sed/awk only, so it runs wherever curl does.
# Prints "N passed, N failed" last and exits non-zero if anything failed,
# including an unclean exit of a server on SIGTERM (leaks under ASan, errors
# under valgrind).
#
# usage: selftest.sh [BINARY]        (default: bin/freshet-fake-repos)
# env:   FAKE_REPOS_WRAPPER="valgrind --error-exitcode=99 --leak-check=full"
#        runs the servers under a wrapper command.
set -u

BIN=${1:-bin/freshet-fake-repos}
WRAPPER=${FAKE_REPOS_WRAPPER:-}
REPOS=250
TOKEN=tok-1
PASS=0
FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fake-repos-selftest.XXXXXX") || exit 1
PID=
PID2=

cleanup() {
    for p in $PID $PID2; do
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

# check NAME STATUS [DETAIL]: records a result from the status of the command
# that ran just before.
check() {
    if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi
}

# api PATH [curl args...]: GETs PATH with the bearer token into $TMP/body,
# headers into $TMP/hdr, status into $TMP/code.
api() {
    path=$1
    shift
    curl -s -D "$TMP/hdr" -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        "$@" "$BASE$path" > "$TMP/code"
}

# ctl PATH: POSTs to a /_test/ endpoint; body in $TMP/ctl, status in $TMP/ctlcode.
ctl() {
    curl -s -o "$TMP/ctl" -w '%{http_code}' -X POST "$BASE$1" > "$TMP/ctlcode"
}

code() {
    cat "$TMP/code"
}

# hdr NAME: the value of response header NAME (case-insensitive), without CR.
hdr() {
    grep -i "^$1:" "$TMP/hdr" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

# num FIELD FILE: the integer value of "FIELD": in a JSON file (first match).
num() {
    sed -n "s/.*\"$1\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" "$2" | head -n 1
}

# ids FILE: the ids of the repository records in FILE, one a line (owner
# objects also have an "id", but records alone start with id and node_id).
ids() {
    grep -o '{"id":[0-9]*,"node_id"' "$1" | sed 's/[^0-9]//g'
}

# start_fake PORTFILE ARGS...: starts a server; sets LAST_PID and LAST_BASE.
start_fake() {
    portfile=$1
    shift
    # shellcheck disable=SC2086 # the wrapper is a command line on purpose
    $WRAPPER "$BIN" --port-file "$portfile" "$@" > "$portfile.out" 2> "$portfile.err" &
    LAST_PID=$!
    i=0
    while [ ! -s "$portfile" ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    port=$(cat "$portfile" 2>/dev/null)
    LAST_BASE="http://127.0.0.1:$port"
    [ -n "$port" ] && grep -qx "listening 127.0.0.1:$port" "$portfile.out"
}

start_server() {
    start_fake "$TMP/port" --repos "$REPOS" --seed 7 --token "$TOKEN" --limit 1000 \
        --window 60s --deleted 0.05
    rc=$?
    PID=$LAST_PID
    BASE=$LAST_BASE
    check "starts, writes the port file and prints 'listening 127.0.0.1:PORT'" $rc \
        "$(cat "$TMP/port.out" "$TMP/port.err" 2>/dev/null)"
    [ $rc -eq 0 ] || exit 1
    ctl "/_test/truth?all=1"
    ids "$TMP/ctl" | sort -n > "$TMP/truth-ids"
    LIVE=$(wc -l < "$TMP/truth-ids" | tr -d ' ')
    DELETED=$(sed -n 's/.*"deleted":\[\([0-9,]*\)\].*/\1/p' "$TMP/ctl" | tr ',' ' ')
    [ "$(num count "$TMP/ctl")" = "$LIVE" ] && [ -n "$DELETED" ] &&
        [ $((LIVE + $(echo "$DELETED" | wc -w))) -eq $REPOS ]
    check "/_test/truth?all=1 lists $LIVE live records and the deleted ids ($DELETED)" $? \
        "$(cut -c1-300 "$TMP/ctl")"
    FIRST=$(sed -n 1p "$TMP/truth-ids")
    SECOND=$(sed -n 2p "$TMP/truth-ids")
    THIRD=$(sed -n 3p "$TMP/truth-ids")
    EIGHT=$(head -n 8 "$TMP/truth-ids" | paste -s -d, -)
}

test_usage() {
    "$BIN" --help > "$TMP/help" 2>&1
    rc=$?
    for opt in listen port-file repos seed token limit window reset-format retry-after \
        limit-header remaining-header reset-header cursor-end deleted fail-5xx fail-503 \
        fail-timeout fail-late fail-reset fail-truncate fail-garbage late timeout-hold \
        latency latency-jitter help version; do
        grep -q -- "--$opt\\b" "$TMP/help" || rc=1
    done
    check "--help exits 0 and lists every option" $rc
    "$BIN" --version > "$TMP/out" 2>&1
    check "--version exits 0 and names the program" $? "$(cat "$TMP/out")"
    grep -q '^freshet-fake-repos [0-9]' "$TMP/out"
    check "--version prints 'freshet-fake-repos VERSION'" $? "$(cat "$TMP/out")"
    for args in "--no-such-flag|--no-such-flag" "--repos lots|--repos" \
        "--reset-format weekly|--reset-format" "--window 5|--window"; do
        flagword=${args#*|}
        # shellcheck disable=SC2086 # split the arguments on purpose
        "$BIN" ${args%|*} > "$TMP/out" 2>&1
        rc=$?
        [ $rc -eq 2 ] && [ "$(wc -l < "$TMP/out")" -eq 1 ] && grep -q -- "$flagword" "$TMP/out"
        check "bad usage '${args%|*}' exits 2 with one line naming $flagword" $? \
            "rc=$rc $(cat "$TMP/out")"
    done
}

# same_as_truth NAME: the ids in $TMP/walk are the live catalog, each once.
same_as_truth() {
    sort -n "$TMP/walk" > "$TMP/walk-sorted"
    [ -z "$(uniq -d < "$TMP/walk-sorted")" ] && cmp -s "$TMP/walk-sorted" "$TMP/truth-ids"
    check "$1 lists every live repository once, and no deleted one" $? \
        "$(wc -l < "$TMP/walk") ids listed, $LIVE live"
}

# expected_sizes PAGE: the page sizes a walk of the live catalog in pages of PAGE gives.
expected_sizes() {
    awk -v n="$LIVE" -v k="$1" 'BEGIN { while (n > 0) { printf " %d", (n > k ? k : n); n -= k } }'
}

test_page() {
    : > "$TMP/walk"
    sizes=
    page=1
    while [ $page -le 10 ]; do
        api "/v1/repos?page=$page&per_page=100"
        [ "$(code)" = 200 ] || break
        ids "$TMP/body" > "$TMP/page"
        n=$(wc -l < "$TMP/page" | tr -d ' ')
        sizes="$sizes $n"
        cat "$TMP/page" >> "$TMP/walk"
        [ "$n" -eq 0 ] && break
        page=$((page + 1))
    done
    [ "$sizes" = "$(expected_sizes 100) 0" ] &&
        grep -q '^{"total_count":[0-9]*,"incomplete_results":false,"items":\[\]}$' "$TMP/body"
    check "page listing: \$.items in pages of$sizes, ending at an empty page" $? \
        "$(code) $(cut -c1-200 "$TMP/body")"
    same_as_truth "page listing"
}

test_offset() {
    : > "$TMP/walk"
    sizes=
    offset=0
    i=0
    while [ $i -lt 40 ]; do
        api "/v1/repos/offset?offset=$offset&limit=30"
        [ "$(code)" = 200 ] || break
        ids "$TMP/body" > "$TMP/page"
        n=$(wc -l < "$TMP/page" | tr -d ' ')
        sizes="$sizes $n"
        cat "$TMP/page" >> "$TMP/walk"
        [ "$n" -eq 0 ] && break
        offset=$((offset + n))
        i=$((i + 1))
    done
    [ "$sizes" = "$(expected_sizes 30) 0" ] &&
        grep -q '^{"data":{"repos":\[\]},"paging":' "$TMP/body"
    check "offset listing: \$.data.repos advancing by records received, ending empty" $? \
        "sizes$sizes $(cut -c1-200 "$TMP/body")"
    same_as_truth "offset listing"
}

test_cursor() {
    : > "$TMP/walk"
    sizes=
    cursor=
    i=0
    while [ $i -lt 20 ]; do
        api "/v1/repos/cursor?limit=40${cursor:+&cursor=$cursor}"
        [ "$(code)" = 200 ] || break
        ids "$TMP/body" > "$TMP/page"
        sizes="$sizes $(wc -l < "$TMP/page" | tr -d ' ')"
        cat "$TMP/page" >> "$TMP/walk"
        cursor=$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' "$TMP/body")
        [ -z "$cursor" ] && break
        i=$((i + 1))
    done
    [ "$sizes" = "$(expected_sizes 40)" ] && grep -q '"next_cursor":null}$' "$TMP/body" &&
        grep -q '^{"entries":\[{"kind":"repo","repo":{"id":' "$TMP/body"
    check "cursor listing: \$.entries[*].repo, next_cursor null on the last page" $? \
        "sizes$sizes $(code) $(tail -c 200 "$TMP/body")"
    same_as_truth "cursor listing"
    api "/v1/repos/cursor?cursor=c1.5.0000"
    [ "$(code)" = 400 ]
    check "a cursor the API did not give out gets 400" $? "$(code)"
}

test_link() {
    : > "$TMP/walk"
    sizes=
    url="$BASE/v1/repositories?per_page=64"
    i=0
    while [ -n "$url" ] && [ $i -lt 20 ]; do
        api "${url#"$BASE"}"
        [ "$(code)" = 200 ] || break
        ids "$TMP/body" > "$TMP/page"
        sizes="$sizes $(wc -l < "$TMP/page" | tr -d ' ')"
        cat "$TMP/page" >> "$TMP/walk"
        url=$(hdr Link | tr ',' '\n' | sed -n 's/^ *<\([^>]*\)>; *rel="next".*/\1/p')
        i=$((i + 1))
    done
    [ "$sizes" = "$(expected_sizes 64)" ] && grep -q '^\[{"id":' "$TMP/body" &&
        hdr Link | grep -q 'rel="first"' && ! hdr Link | grep -q 'rel="next"'
    check "Link listing: a bare array \$[*], rel=\"next\" followed until it is missing" $? \
        "sizes$sizes link=$(hdr Link)"
    same_as_truth "Link listing"
}

test_bad_params() {
    while IFS='|' read -r label path; do
        api "$path"
        [ "$(code)" = 400 ] && grep -q '"message":"' "$TMP/body"
        check "$label gets 400 with a message" $? "$(code) $(cat "$TMP/body")"
    done <<EOF
per_page=0|/v1/repos?per_page=0
per_page=101|/v1/repos?per_page=101
page=0|/v1/repos?page=0
offset=-1|/v1/repos/offset?offset=-1
limit=x|/v1/repos/cursor?limit=x
batch without ids|/v1/repos/batch
batch of 101 ids|/v1/repos/batch?ids=$(seq -s, 1 101)
EOF
    api "/v1/nothing-here"
    [ "$(code)" = 404 ]
    check "an unknown API path gets 404" $? "$(code)"
}

test_auth() {
    api "/v1/repos/1"
    before=$(hdr X-RateLimit-Remaining)
    curl -s -D "$TMP/hdr" -o "$TMP/body" -w '%{http_code}' "$BASE/v1/repos/1" > "$TMP/code"
    [ "$(code)" = 401 ] && hdr WWW-Authenticate | grep -q '^Bearer' &&
        grep -q '"message":"Bad credentials"' "$TMP/body"
    check "no Authorization header: 401 Bad credentials with WWW-Authenticate: Bearer" $? \
        "$(code) $(cat "$TMP/body")"
    [ "$(hdr X-RateLimit-Remaining)" = "$before" ]
    check "a 401 is not charged to the window ($before left)" $? "$(hdr X-RateLimit-Remaining)"
    TOKEN=wrong api "/v1/repos/1"
    [ "$(code)" = 401 ]
    check "a wrong token gets 401" $? "$(code)"
    ctl "/_test/token?token=tok-2"
    api "/v1/repos/1"
    [ "$(cat "$TMP/ctlcode")" = 200 ] && [ "$(code)" = 401 ]
    check "after /_test/token changes the token, the old one gets 401" $? "$(code)"
    TOKEN=tok-2 api "/v1/repos/1"
    [ "$(code)" = 200 ]
    check "the new token is accepted" $? "$(code)"
    ctl "/_test/token?token=$TOKEN"
    api "/v1/repos/1"
    [ "$(code)" = 200 ]
    check "restoring the old token resumes with it" $? "$(code)"
    ctl "/_test/token?forbidden=1"
    api "/v1/repos/1"
    c1=$(code)
    ctl "/_test/token?forbidden=0"
    api "/v1/repos/1"
    [ "$c1" = 403 ] && [ "$(code)" = 200 ]
    check "forbidden=1 gives 403 to a good token, forbidden=0 ends it" $? "$c1 $(code)"
    ctl "/_test/stats"
    [ "$(num unauthorized "$TMP/ctl")" = 3 ] && [ "$(num forbidden "$TMP/ctl")" = 1 ]
    check "/_test/stats counts the 401s (3) and 403s (1)" $? "$(cut -c1-300 "$TMP/ctl")"
}

test_rate_limit() {
    api "/v1/repos/1"
    r1=$(hdr X-RateLimit-Remaining)
    reset=$(hdr X-RateLimit-Reset)
    api "/v1/repos?per_page=1"
    r2=$(hdr X-RateLimit-Remaining)
    now=$(date +%s)
    [ "$(hdr X-RateLimit-Limit)" = 1000 ] && [ -n "$r1" ] && [ "$r2" -eq $((r1 - 1)) ] &&
        [ "$reset" -ge "$now" ] && [ "$reset" -le $((now + 61)) ]
    check "X-RateLimit-Limit/Remaining/Reset (epoch) on every answer, one request each" $? \
        "limit=$(hdr X-RateLimit-Limit) remaining $r1 -> $r2 reset=$reset now=$now"
    ctl "/_test/config?window=2s&remaining=0"
    api "/v1/repos/1"
    ra=$(hdr Retry-After)
    [ "$(code)" = 429 ] && [ "$(hdr X-RateLimit-Remaining)" = 0 ] && [ "${ra:-0}" -ge 1 ] &&
        [ "${ra:-9}" -le 2 ]
    check "a spent window gets 429 with Retry-After in seconds ($ra)" $? \
        "$(code) $(cat "$TMP/hdr")"
    api "/v1/repos/1"
    c2=$(code)
    ctl "/_test/stats"
    [ "$c2" = 429 ] && [ "$(num rate_limited "$TMP/ctl")" = 2 ]
    check "/_test/stats counts the 429s (2)" $? "$c2 $(cut -c1-300 "$TMP/ctl")"
    sleep "${ra:-2}"
    sleep 0.2
    api "/v1/repos/1"
    [ "$(code)" = 200 ] && [ "$(hdr X-RateLimit-Remaining)" = 999 ]
    check "after Retry-After the next window admits requests again" $? \
        "$(code) remaining=$(hdr X-RateLimit-Remaining)"
    ctl "/_test/config?window=60s"
}

# formats: a second server with the other header formats and no authentication.
test_formats() {
    start_fake "$TMP/port2" --repos 5 --seed 7 --deleted 0.05 --token '' --limit 2 --window 30s \
        --reset-format duration --retry-after date --cursor-end missing \
        --remaining-header X-Left --limit-header ''
    check "a second server starts (other formats, no token)" $?
    PID2=$LAST_PID
    base2=$LAST_BASE
    curl -s -D "$TMP/hdr" -o "$TMP/body" "$base2/v1/repos/cursor?limit=5"
    reset=$(hdr X-RateLimit-Reset)
    [ "$(hdr X-Left)" = 1 ] && [ -z "$(hdr X-RateLimit-Remaining)" ] &&
        [ -z "$(hdr X-RateLimit-Limit)" ] && echo "$reset" | grep -Eq '^([0-9]+m)?[0-9]+s$'
    check "header names are settable, \"\" drops one, reset as a duration ($reset)" $? \
        "$(cat "$TMP/hdr")"
    ! grep -q next_cursor "$TMP/body" && grep -q '^{"entries":\[' "$TMP/body"
    check "--cursor-end missing: the last page has no next_cursor, and no token is needed" $? \
        "$(cat "$TMP/body")"
    curl -s -o /dev/null "$base2/v1/repos/1"
    curl -s -D "$TMP/hdr" -o /dev/null -w '%{http_code}' "$base2/v1/repos/1" > "$TMP/code"
    ra=$(hdr Retry-After)
    [ "$(code)" = 429 ] &&
        echo "$ra" | grep -Eq \
            '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$'
    check "--retry-after date: the 429 says when as an HTTP date ($ra)" $? "$(cat "$TMP/hdr")"
    curl -s "$base2/_test/truth?id=2" | sed 's/"fetches":[0-9]*,//' > "$TMP/t2"
    curl -s "$BASE/_test/truth?id=2" | sed 's/"fetches":[0-9]*,//' > "$TMP/t1"
    cmp -s "$TMP/t1" "$TMP/t2" && grep -q '"stargazers_count":' "$TMP/t1"
    check "the same seed serves the same record in another server" $? "$(cat "$TMP/t1" "$TMP/t2")"
    kill -TERM "$PID2"
    wait "$PID2"
    rc=$?
    PID2=
    start_fake "$TMP/port3" --repos 2 --seed 8 --reset-format seconds --cursor-end empty \
        --retry-after seconds
    PID2=$LAST_PID
    base2=$LAST_BASE
    curl -s -D "$TMP/hdr" -o "$TMP/body" -H "Authorization: Bearer test-token" \
        "$base2/v1/repos/cursor"
    reset=$(hdr X-RateLimit-Reset)
    [ $rc -eq 0 ] && [ "${reset:-0}" -ge 1 ] && [ "${reset:-99}" -le 60 ] &&
        grep -q '"next_cursor":""}$' "$TMP/body"
    check "reset in seconds from now ($reset), --cursor-end empty, default token test-token" $? \
        "rc=$rc $(cat "$TMP/hdr" "$TMP/body")"
    curl -s "$base2/_test/truth?id=2" | sed 's/"fetches":[0-9]*,//' > "$TMP/t2"
    ! cmp -s "$TMP/t1" "$TMP/t2"
    check "another seed serves another record" $?
    kill -TERM "$PID2"
    wait "$PID2"
    rc=$?
    PID2=
    [ $rc -eq 0 ]
    check "the second and third servers exit 0 on SIGTERM" $? \
        "rc=$rc $(tail -n 20 "$TMP/port3.err")"
}

test_detail() {
    gone=${DELETED%% *}
    live=$THIRD
    api "/v1/repos/$live"
    [ "$(code)" = 200 ] && [ "$(ids "$TMP/body")" = "$live" ] &&
        grep -q '"stargazers_count":[0-9]*,"watchers_count"' "$TMP/body" &&
        grep -q '"forks_count":[0-9]*' "$TMP/body" && grep -q '"license":' "$TMP/body" &&
        grep -q '"owner":{"login":"' "$TMP/body" &&
        grep -q '"updated_at":"20[0-9-]*T[0-9:]*Z"' "$TMP/body"
    check "/v1/repos/$live answers the full record" $? "$(code) $(cut -c1-300 "$TMP/body")"
    api "/v1/repos/$gone"
    [ "$(code)" = 410 ] && grep -q '"message":' "$TMP/body"
    check "a deleted repository ($gone) gets 410" $? "$(code) $(cat "$TMP/body")"
    api "/v1/repos/99999"
    c1=$(code)
    api "/v1/repos/not-an-id"
    [ "$c1" = 404 ] && [ "$(code)" = 404 ]
    check "an unknown id gets 404 (99999, not-an-id)" $? "$c1 $(code)"
    api "/v1/repos/batch?ids=$live,99999,$gone,$FIRST,junk,$live"
    got=$(ids "$TMP/body" | tr '\n' ' ')
    want="$live $FIRST "
    [ "$(code)" = 200 ] && [ "$got" = "$want" ] && grep -q '^{"items":\[{"id":' "$TMP/body"
    check "batch: {\"items\"} in the order asked, each once, no unknown or deleted id" $? \
        "got '$got' want '$want'"
}

test_gzip() {
    curl -s -D "$TMP/hdr" -o "$TMP/gz" -H 'Accept-Encoding: gzip' \
        -H "Authorization: Bearer $TOKEN" "$BASE/v1/repos/batch?ids=1,2,3"
    [ "$(hdr Content-Encoding)" = gzip ] &&
        [ "$(head -c 2 "$TMP/gz" | od -An -tx1 | tr -d ' ')" = 1f8b ]
    check "Accept-Encoding: gzip gets a gzip body" $? "$(cat "$TMP/hdr")"
    api "/v1/repos/batch?ids=1,2,3" --compressed
    grep -q '^{"items":\[{"id":' "$TMP/body" && grep -q ']}$' "$TMP/body"
    check "the gzip body decodes to the JSON answer" $? "$(cut -c1-200 "$TMP/body")"
    curl -s -D "$TMP/hdr" -o /dev/null -H 'Accept-Encoding: gzip' "$BASE/v1/repos/1"
    grep -q '^HTTP/1.1 401' "$TMP/hdr" && [ "$(hdr Content-Encoding)" = gzip ]
    check "a 401 is gzipped too" $? "$(cat "$TMP/hdr")"
    api "/v1/repos/1"
    [ -z "$(hdr Content-Encoding)" ]
    check "no gzip unless asked for" $?
}

test_stats() {
    ctl "/_test/reset-stats"
    api "/v1/repos/batch?ids=$FIRST,$SECOND,$THIRD"
    api "/v1/repos/$FIRST"
    api "/v1/repos?per_page=5"
    ctl "/_test/truth?id=$FIRST"
    ctl "/_test/stats?id=$FIRST&ids=1&repeats=1"
    f=$TMP/ctl
    grep -q '"batch":{"200":1}' "$f" && grep -q '"single":{"200":1}' "$f" &&
        grep -q '"page":{"200":1}' "$f" && [ "$(num fetched "$f")" = 4 ] &&
        [ "$(num fetched_unique "$f")" = 3 ] && [ "$(num fetched_max "$f")" = 2 ] &&
        [ "$(num listed "$f")" = 5 ] && [ "$(num fetches "$f")" = 2 ]
    check "/_test/stats counts requests per endpoint, fetches (all, unique, max, one id), listed" \
        $? "$(cat "$f")"
    grep -q "\"ids\":{\"$FIRST\":2,\"$SECOND\":1,\"$THIRD\":1}" "$f" &&
        grep -q "\"repeats\":{\"$FIRST\":2}" "$f"
    check "/_test/stats?ids=1&repeats=1 maps fetches per id and the repeated ones" $? "$(cat "$f")"
    ctl "/_test/stats?trace=1"
    grep -Eq "\"traces\":\\{\"$FIRST\":\\[2,1[0-9]{12},1[0-9]{12},\"curl/[^\"]*\"\\]\\}" "$f"
    check "/_test/stats?trace=1 gives a repeated id's fetches, first and last (Unix ms), first User-Agent" \
        $? "$(cat "$f")"
    grep -q '"other":{}' "$f" && ! grep -q '"other":{"' "$f"
    check "/_test/ endpoints are not counted as API requests" $? "$(cat "$f")"
    ctl "/_test/nothing"
    [ "$(cat "$TMP/ctlcode")" = 404 ]
    check "an unknown /_test/ endpoint gets 404" $?
}

# fault NAME EXPECT CURL-ARGS...: sets fail_NAME=1, checks "code/curl-rc", resets it.
fault() {
    name=$1
    want=$2
    shift 2
    ctl "/_test/config?fail_$name=1"
    got=$(curl -s -D "$TMP/hdr" -o "$TMP/body" -w '%{http_code}' \
        -H "Authorization: Bearer $TOKEN" "$@" "$BASE/v1/repos/batch?ids=$EIGHT")
    got="$got/$?"
    ctl "/_test/config?fail_$name=0"
    # shellcheck disable=SC2254 # want is a pattern on purpose
    case "$got" in
    $want) ok "fault $name: $got" ;;
    *) bad "fault $name: got $got, want $want" ;;
    esac
}

test_faults() {
    ctl "/_test/reset-stats"
    ctl "/_test/config?fail_5xx=0.7&fail_garbage=0.7"
    [ "$(cat "$TMP/ctlcode")" = 400 ] && grep -q 'more than 1' "$TMP/ctl"
    check "/_test/config refuses fault shares that sum past 1" $? "$(cat "$TMP/ctl")"
    fault 5xx '500/0'
    grep -q '"message":' "$TMP/body" && [ -n "$(hdr X-RateLimit-Remaining)" ]
    check "the 500 has a JSON message and the rate-limit headers" $?
    fault 503 '503/0'
    [ "$(hdr Retry-After)" = 1 ]
    check "the 503 has Retry-After" $? "$(cat "$TMP/hdr")"
    fault garbage '200/0'
    ! grep -q '^{"items":\[.*\]}$' "$TMP/body"
    check "the garbage body is not the JSON answer" $? "$(cut -c1-100 "$TMP/body")"
    fault truncate '200/18'
    fault reset '000/5[26]'
    fault timeout '000/28' -m 1
    ctl "/_test/config?late=1200ms"
    fault late '200/0'
    ctl "/_test/config?fail_late=1"
    t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
        "$BASE/v1/repos/$FIRST")
    ctl "/_test/config?fail_late=0"
    awk -v t="$t" 'BEGIN { exit !(t >= 1.2) }'
    check "a late answer comes after the late delay (${t}s)" $?
    ctl "/_test/stats"
    faults='"faults":{"5xx":1,"503":1,"timeout":1,"late":2,"reset":1,"truncate":1,"garbage":1}'
    outcomes='"batch":{"200":1,"500":1,"503":1,"reset":1,"timeout":1,"200-truncated":1,'
    outcomes="$outcomes"'"200-garbage":1}'
    grep -q "$faults" "$TMP/ctl" && grep -q "$outcomes" "$TMP/ctl"
    check "/_test/stats counts each fault and its outcome" $? "$(cat "$TMP/ctl")"
    [ "$(num fetched "$TMP/ctl")" = 9 ]
    check "only answers that arrive whole count as fetches (8 + 1 of the late ones)" $? \
        "$(num fetched "$TMP/ctl")"
    ctl "/_test/config?latency=300ms"
    t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
        "$BASE/v1/repos/$FIRST")
    ctl "/_test/config?latency=0"
    awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }'
    check "latency=300ms delays the answer (${t}s)" $?
    t=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/_test/stats")
    awk -v t="$t" 'BEGIN { exit !(t < 0.3) }'
    check "latency is back to 0 and /_test/ is never delayed (${t}s)" $?
}

# record_field FIELD: the value of FIELD (number or string) in $TMP/body.
record_field() {
    sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"]*\)\"\{0,1\}[,}].*/\1/p" "$TMP/body" | head -n 1
}

test_mutations() {
    id=$(sed -n 10p "$TMP/truth-ids")
    api "/v1/repos/$id"
    s0=$(record_field stargazers_count)
    u0=$(record_field updated_at)
    ctl "/_test/mutate?id=$id"
    api "/v1/repos/$id"
    s1=$(record_field stargazers_count)
    u1=$(record_field updated_at)
    [ "$(cat "$TMP/ctlcode")" = 200 ] && [ -n "$s1" ] && [ "$s1" != "$s0" ] &&
        [ "$u1" != "$u0" ] && grep -q "\"stargazers_count\":$s1," "$TMP/ctl"
    check "mutate?id=$id changes stars ($s0 -> $s1) and updated_at ($u0 -> $u1)" $? \
        "$(cat "$TMP/ctl")"
    ctl "/_test/truth?id=$id"
    sed 's/.*"record":\(.*\)}$/\1/' "$TMP/ctl" > "$TMP/truth-record"
    [ "$(cat "$TMP/truth-record")" = "$(cat "$TMP/body")" ] && grep -q '"version":1,' "$TMP/ctl"
    check "/_test/truth?id= is the record detail serves, with its version" $? \
        "$(cut -c1-200 "$TMP/ctl")"
    api "/v1/repos/offset?offset=0&limit=100"
    [ "$u1" != "$u0" ] && grep -q "{\"id\":$id,[^}]*}[^}]*\"updated_at\":\"$u1\"" "$TMP/body"
    check "the listing shows the new updated_at (the change signal)" $?
    ctl "/_test/mutate?id=$id&touch=1"
    api "/v1/repos/$id"
    [ "$(record_field stargazers_count)" = "$s1" ] && [ "$(record_field updated_at)" != "$u1" ]
    check "touch=1 moves only updated_at" $? "$(cut -c1-300 "$TMP/body")"
    ctl "/_test/mutate?id=$id&stars=42"
    api "/v1/repos/$id"
    [ "$(record_field stargazers_count)" = 42 ]
    check "stars=42 sets the stars" $?
    ctl "/_test/mutate?n=10"
    n=$(grep -o '"id":[0-9]*' "$TMP/ctl" | sort -u | wc -l | tr -d ' ')
    [ "$n" = 10 ]
    check "mutate?n=10 changes 10 distinct repositories" $? "$(cut -c1-300 "$TMP/ctl")"
    ctl "/_test/mutate?ids=$id,99999"
    [ "$(cat "$TMP/ctlcode")" = 400 ]
    check "mutate with an unknown id gets 400" $? "$(cat "$TMP/ctl")"
    ctl "/_test/mutate?ids=$id&deleted=1"
    api "/v1/repos/$id"
    c1=$(code)
    api "/v1/repos/offset?offset=0&limit=100"
    ids "$TMP/body" | grep -qx "$id"
    listed=$?
    ctl "/_test/mutate?id=$id&deleted=0"
    api "/v1/repos/$id"
    [ "$c1" = 410 ] && [ $listed -ne 0 ] && [ "$(code)" = 200 ]
    check "deleted=1: 410 and no longer listed; deleted=0 brings it back" $? \
        "$c1 listed=$listed $(code)"
    ctl "/_test/grow?n=5"
    api "/v1/repos/$((REPOS + 5))"
    c1=$(code)
    api "/v1/repositories?since=$REPOS"
    [ "$(num added "$TMP/ctl")" = 5 ] && [ "$c1" = 200 ] &&
        [ "$(ids "$TMP/body" | tr '\n' ' ')" = "$(seq -s ' ' $((REPOS + 1)) $((REPOS + 5))) " ]
    check "grow?n=5 adds ids $((REPOS + 1))..$((REPOS + 5)), listed and fetchable" $? \
        "$(cat "$TMP/ctl") $c1"
}

test_keepalive() {
    curl -sv -o /dev/null -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/v1/repos/1" \
        "$BASE/v1/repos/2" 2> "$TMP/verbose"
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
        "rc=$rc $(tail -n 20 "$TMP/port.err")"
}

if [ ! -x "$BIN" ]; then
    echo "selftest: no executable '$BIN' (build it with: make bin/freshet-fake-repos)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
test_usage
start_server
test_page
test_offset
test_cursor
test_link
test_bad_params
test_auth
test_rate_limit
test_formats
test_detail
test_gzip
test_stats
test_faults
test_mutations
test_keepalive
test_shutdown
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
