#!/bin/sh
# selftest.sh - end-to-end checks of freshet-fake-llm over real HTTP.
#
# Starts the fake on port 0 (learning the port from --port-file), speaks to it
# with curl, and reads JSON with python3's standard library: answers are
# checked against their schema by a small validator written here, apart from
# the fake's generator. Prints "N passed, N failed" last and exits non-zero if
# anything failed, including an unclean exit of the server on SIGTERM (leaks
# under ASan, errors under valgrind).
#
# usage: selftest.sh [BINARY]        (default: bin/freshet-fake-llm)
# env:   FAKE_LLM_WRAPPER="valgrind --error-exitcode=99 --leak-check=full"
#        runs the server under a wrapper command.
set -u

BIN=${1:-bin/freshet-fake-llm}
WRAPPER=${FAKE_LLM_WRAPPER:-}
KEY=sk-selftest
PASS=0
FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fake-llm-selftest.XXXXXX") || exit 1
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
    [ -n "${2:-}" ] && printf '     %s\n' "$2" | cut -c1-600
}

# check NAME STATUS [DETAIL]: records a result from the status of the command before.
check() {
    if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi
}

# The helpers in python3 (standard library only):
#   js FILE EXPR             prints EXPR over d, the JSON in FILE (nothing if it fails)
#   content FILE             prints choices[0].message.content of the answer in FILE
#   conforms SCHEMA CONTENT  exits 0 when the JSON text in file CONTENT satisfies the
#                            schema in file SCHEMA, 1 when it does not, 2 when not JSON
cat > "$TMP/helpers.py" <<'PY'
import json, math, re, sys

def js(path, expr):
    try:
        d = json.load(open(path))
        v = eval("(" + expr + ")", {"d": d, "len": len, "set": set, "sorted": sorted, "all": all})
    except Exception:
        return 1
    print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
    return 0

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}

def valid(v, s, root):
    if "$ref" in s:
        at = root
        for part in s["$ref"].lstrip("#").split("/")[1:]:
            at = at[part.replace("~1", "/").replace("~0", "~")]
        return valid(v, at, root)
    t = s.get("type")
    if t is not None and not any(TYPES[x](v) for x in ([t] if isinstance(t, str) else t)):
        return False
    if "enum" in s and v not in s["enum"]:
        return False
    if "const" in s and v != s["const"]:
        return False
    if "anyOf" in s and not any(valid(v, b, root) for b in s["anyOf"]):
        return False
    if "oneOf" in s and sum(valid(v, b, root) for b in s["oneOf"]) != 1:
        return False
    if "allOf" in s and not all(valid(v, b, root) for b in s["allOf"]):
        return False
    if TYPES["number"](v):
        if "minimum" in s and v < s["minimum"]: return False
        if "maximum" in s and v > s["maximum"]: return False
        if "exclusiveMinimum" in s and v <= s["exclusiveMinimum"]: return False
        if "exclusiveMaximum" in s and v >= s["exclusiveMaximum"]: return False
        if "multipleOf" in s and math.fmod(v, s["multipleOf"]) != 0: return False
    if isinstance(v, str):
        if len(v) < s.get("minLength", 0) or len(v) > s.get("maxLength", len(v)): return False
        if s.get("format") == "date-time" and not re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", v): return False
    if isinstance(v, list):
        if len(v) < s.get("minItems", 0) or len(v) > s.get("maxItems", len(v)): return False
        if s.get("uniqueItems") and len(set(json.dumps(x) for x in v)) != len(v): return False
        if "items" in s and not all(valid(x, s["items"], root) for x in v): return False
    if isinstance(v, dict):
        props = s.get("properties", {})
        if any(k not in v for k in s.get("required", [])): return False
        for k, x in v.items():
            if k in props:
                if not valid(x, props[k], root): return False
            elif s.get("additionalProperties") is False:
                return False
            elif isinstance(s.get("additionalProperties"), dict):
                if not valid(x, s["additionalProperties"], root): return False
    return True

def conforms(schema_path, content_path):
    schema = json.load(open(schema_path))
    try:
        v = json.loads(open(content_path).read())
    except ValueError:
        return 2
    return 0 if valid(v, schema, schema) else 1

def content(path):
    try:
        sys.stdout.write(json.load(open(path))["choices"][0]["message"]["content"])
    except Exception:
        return 1
    return 0

cmd = sys.argv[1]
sys.exit({"js": lambda: js(*sys.argv[2:]), "conforms": lambda: conforms(*sys.argv[2:]),
          "content": lambda: content(*sys.argv[2:])}[cmd]())
PY

js() { python3 "$TMP/helpers.py" js "$@"; }
conforms() { python3 "$TMP/helpers.py" conforms "$@"; }

# Writes the content of the answer in $TMP/body to $TMP/content.
content() {
    python3 "$TMP/helpers.py" content "$TMP/body" > "$TMP/content"
}

# request PROMPT [RESPONSE_FORMAT [EXTRA_MEMBERS]]: a request body on stdout.
request() {
    printf '{"model":"grok-4-fast","temperature":0,"messages":[{"role":"system","content":"Answer with one JSON object."},{"role":"user","content":"%s"}]' "$1"
    [ -n "${2:-}" ] && printf ',"response_format":%s' "$2"
    [ -n "${3:-}" ] && printf ',%s' "$3"
    printf '}\n'
}

# schema_format FILE: a json_schema response_format around the schema in FILE.
schema_format() {
    printf '{"type":"json_schema","json_schema":{"name":"answer","strict":true,"schema":%s}}' \
        "$(cat "$1")"
}

# post BODY [curl args...]: POSTs BODY to the completions endpoint with the key;
# the answer goes to $TMP/body, its headers to $TMP/hdr, its status and time to $TMP/code.
post() {
    body=$1
    shift
    printf '%s' "$body" > "$TMP/req"
    curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code} %{time_total}' \
        -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' --data-binary @"$TMP/req" "$@" \
        "$BASE/v1/chat/completions" > "$TMP/code"
}

code() {
    cut -d ' ' -f 1 "$TMP/code"
}

# elapsed: the seconds the last post took.
elapsed() {
    cut -d ' ' -f 2 "$TMP/code"
}

# header NAME: the value of response header NAME in $TMP/hdr.
header() {
    tr -d '\r' < "$TMP/hdr" | sed -n "s/^$1: //Ip" | head -n 1
}

# control PATH: GETs a /_test/ endpoint into $TMP/ctl.
control() {
    curl -s -o "$TMP/ctl" "$BASE/_test/$1"
}

start_server() {
    # shellcheck disable=SC2086 # the wrapper is a command line on purpose
    $WRAPPER "$BIN" --port 0 --port-file "$TMP/port" --key "$KEY" --window 2s --seed 7 \
        > "$TMP/stdout" 2> "$TMP/stderr" &
    PID=$!
    i=0
    while [ ! -s "$TMP/port" ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    PORT=$(cat "$TMP/port" 2>/dev/null)
    BASE="http://127.0.0.1:$PORT"
    [ -n "$PORT" ] && [ "$PORT" -gt 0 ] && grep -qx "listening 127.0.0.1:$PORT" "$TMP/stdout"
    check "--port 0: a free port, in the port file and as 'listening 127.0.0.1:PORT'" $? \
        "$(cat "$TMP/stdout" "$TMP/stderr" 2>/dev/null)"
    [ -n "$PORT" ] || exit 1
    ! grep -q -- "$KEY" "$TMP/stderr"
    check "the start-up line does not show the key" $? "$(cat "$TMP/stderr")"
}

write_schemas() {
    cat > "$TMP/deal.json" <<'J'
{"type":"object","properties":{"verdict":{"type":"string","enum":["buy","wait","skip"]},
"score":{"type":"integer","minimum":0,"maximum":100},"reason":{"type":"string"}},
"required":["verdict","score","reason"],"additionalProperties":false}
J
    cat > "$TMP/rich.json" <<'J'
{"type":"object","properties":{
"verdict":{"type":"string","enum":["buy","wait","skip"]},
"score":{"type":"integer","minimum":0,"maximum":100},
"confidence":{"type":"number","minimum":0,"exclusiveMaximum":1},
"reason":{"type":"string","minLength":20,"maxLength":60},
"risky":{"type":"boolean"},
"keywords":{"type":"array","items":{"type":"string","maxLength":30},"minItems":2,"maxItems":4,
 "uniqueItems":true},
"step":{"type":"integer","multipleOf":5,"exclusiveMinimum":10,"maximum":30},
"sentiment":{"$ref":"#/$defs/sentiment"},
"seen":{"type":"string","format":"date-time"},
"note":{"type":["string","null"],"maxLength":0},
"tags":{"type":"array","items":{"enum":["a","b","c"]},"uniqueItems":true,"minItems":3},
"detail":{"type":"object","properties":{"x":{"type":"integer","minimum":-5,"maximum":-1}},
 "required":["x"],"additionalProperties":false},
"choice":{"anyOf":[{"type":"integer","minimum":5,"maximum":5},{"type":"string"}]}},
"required":["verdict","score","confidence","reason","keywords","sentiment","detail","tags"],
"additionalProperties":false,
"$defs":{"sentiment":{"type":"string","enum":["positive","neutral","negative"]}}}
J
}

test_usage() {
    "$BIN" --help > "$TMP/help" 2>&1
    rc=$?
    for opt in host port port-file key seed rpm tpm window latency fail-5xx fail-429 \
        fail-nonjson fail-shape fail-timeout fail-slow slow timeout-hold storm outage \
        help version; do
        grep -q -- "--$opt\\b" "$TMP/help" || { rc=1; echo "missing --$opt"; }
    done
    for path in /v1/chat/completions /_test/stats /_test/reset /_test/faults /_test/outage; do
        grep -q -- "$path" "$TMP/help" || { rc=1; echo "missing $path"; }
    done
    check "--help exits 0 and names every option and endpoint" $rc
    "$BIN" --version > "$TMP/out" 2>&1
    grep -qx 'freshet-fake-llm [0-9][0-9.]*[^ ]*' "$TMP/out"
    check "--version prints the name and version" $? "$(cat "$TMP/out")"
    for args in "--no-such-flag|--no-such-flag" "--latency 500|--latency" \
        "--fail-5xx 0.7 --fail-timeout 0.5|--fail-" "--outage maybe|--outage" "--rpm 0|--rpm"; do
        want=${args#*|}
        # shellcheck disable=SC2086 # the arguments are split on purpose
        "$BIN" ${args%|*} > "$TMP/out" 2>&1
        rc=$?
        [ $rc -eq 2 ] && [ "$(wc -l < "$TMP/out")" -eq 1 ] && grep -q -- "$want" "$TMP/out"
        check "'${args%|*}' exits 2 with one line naming $want" $? "rc=$rc $(cat "$TMP/out")"
    done
}

test_schema_answer() {
    post "$(request 'Deal: {\"title\":\"Widget\",\"price_new\":1999}' \
        "$(schema_format "$TMP/rich.json")" '"max_tokens":400')"
    content
    [ "$(code)" = 200 ] && [ "$(js "$TMP/body" 'd["object"]')" = chat.completion ] &&
        [ "$(js "$TMP/body" 'd["model"]')" = grok-4-fast ] &&
        [ "$(js "$TMP/body" 'd["choices"][0]["message"]["role"]')" = assistant ] &&
        [ "$(js "$TMP/body" 'd["choices"][0]["finish_reason"]')" = stop ] &&
        js "$TMP/body" 'd["id"].startswith("chatcmpl-") and d["created"] > 1700000000' |
        grep -qx true
    check "a json_schema request gets a chat.completion" $? "$(code) $(cat "$TMP/body")"
    conforms "$TMP/rich.json" "$TMP/content"
    check "its content is a JSON object satisfying the schema" $? "$(cat "$TMP/content")"
    cp "$TMP/content" "$TMP/first"
    # A broken copy of the answer must fail the same validator.
    sed 's/"verdict":"[a-z]*"/"verdict":"maybe"/' "$TMP/first" > "$TMP/broken"
    ! conforms "$TMP/rich.json" "$TMP/broken"
    check "the validator itself refuses an answer outside the enum" $?
    post "$(request 'Deal: {\"title\":\"Widget\",\"price_new\":1999}' \
        "$(schema_format "$TMP/rich.json")" '"max_tokens":400')"
    content
    cmp -s "$TMP/first" "$TMP/content"
    check "the same prompt gets the same answer" $? "$(cat "$TMP/first") / $(cat "$TMP/content")"
    n=0
    : > "$TMP/seen"
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        post "$(request "Deal number $i" "$(schema_format "$TMP/rich.json")")"
        content
        conforms "$TMP/rich.json" "$TMP/content" && n=$((n + 1))
        cat "$TMP/content" >> "$TMP/seen"
        echo >> "$TMP/seen"
    done
    [ $n -eq 12 ] && [ "$(sort -u "$TMP/seen" | wc -l)" -eq 12 ]
    check "12 other prompts get 12 different answers, all satisfying the schema" $? \
        "valid=$n distinct=$(sort -u "$TMP/seen" | wc -l)"
}

test_default_answer() {
    : > "$TMP/verdicts"
    n=0
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        if [ $((i % 2)) -eq 0 ]; then
            post "$(request "Is deal $i good? Reply in JSON." '{"type":"json_object"}')"
        else
            post "$(request "Is deal $i good?")"
        fi
        content
        [ "$(code)" = 200 ] && conforms "$TMP/deal.json" "$TMP/content" && n=$((n + 1))
        js "$TMP/content" 'd["verdict"]' >> "$TMP/verdicts"
    done
    [ $n -eq 15 ] && [ "$(sort -u "$TMP/verdicts" | wc -l)" -ge 2 ]
    check "json_object and plain requests get the deal analysis {verdict, score, reason}" $? \
        "valid=$n verdicts=$(sort "$TMP/verdicts" | uniq -c | tr '\n' ' ')"
}

test_usage_counts() {
    post "$(request 'short')"
    p1=$(js "$TMP/body" 'd["usage"]["prompt_tokens"]')
    post "$(request 'a much longer prompt that goes on and on about the deal and its price history')"
    content
    p2=$(js "$TMP/body" 'd["usage"]["prompt_tokens"]')
    c2=$(js "$TMP/body" 'd["usage"]["completion_tokens"]')
    t2=$(js "$TMP/body" 'd["usage"]["total_tokens"]')
    len=$(wc -c < "$TMP/content" | tr -d ' ')
    [ -n "$p1" ] && [ -n "$p2" ] && [ "$p1" -gt 0 ] && [ "$p2" -gt "$p1" ] &&
        [ "$c2" -eq $(((len + 3) / 4)) ] && [ "$t2" -eq $((p2 + c2)) ]
    check "usage: prompt tokens grow with the prompt, completion = content/4, total = sum" $? \
        "p1=$p1 p2=$p2 c2=$c2 t2=$t2 len=$len"
    post "$(request 'cut me short' '' '"max_tokens":3')"
    content
    [ "$(js "$TMP/body" 'd["choices"][0]["finish_reason"]')" = length ] &&
        [ "$(js "$TMP/body" 'd["usage"]["completion_tokens"]')" = 3 ] &&
        [ "$(wc -c < "$TMP/content")" -le 12 ] && ! conforms "$TMP/deal.json" "$TMP/content"
    check "max_tokens 3 cuts the content to 12 bytes with finish_reason length" $? \
        "$(cat "$TMP/body")"
}

test_auth() {
    printf '%s' "$(request hi)" > "$TMP/req"
    for auth in none "Bearer wrong" "Basic $KEY" "Bearer ${KEY}x"; do
        if [ "$auth" = none ]; then
            curl -s -o "$TMP/body" -w '%{http_code}' --data-binary @"$TMP/req" \
                "$BASE/v1/chat/completions" > "$TMP/code"
        else
            curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: $auth" \
                --data-binary @"$TMP/req" "$BASE/v1/chat/completions" > "$TMP/code"
        fi
        [ "$(code)" = 401 ] && [ "$(js "$TMP/body" 'd["error"]["code"]')" = invalid_api_key ] &&
            [ "$(js "$TMP/body" 'd["error"]["type"]')" = invalid_request_error ] &&
            [ -n "$(js "$TMP/body" 'd["error"]["message"]')" ]
        check "authorization '$auth' gets 401 invalid_api_key" $? "$(code) $(cat "$TMP/body")"
    done
    curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
        --data-binary @"$TMP/req" "$BASE/chat/completions" > "$TMP/code"
    [ "$(code)" = 200 ]
    check "the right key is accepted, also on /chat/completions (no /v1)" $? "$(code)"
}

# bad_request LABEL PARAM BODY: BODY gets 400 with an OpenAI error naming PARAM ("null": none).
bad_request() {
    post "$3"
    [ "$(code)" = 400 ] && [ "$(js "$TMP/body" 'd["error"]["type"]')" = invalid_request_error ] &&
        [ "$(js "$TMP/body" 'd["error"]["param"]')" = "$2" ] &&
        [ -n "$(js "$TMP/body" 'd["error"]["message"]')" ]
    check "400 for $1 (param $2)" $? "$(code) $(cat "$TMP/body")"
}

test_bad_requests() {
    bad_request "a body that is not JSON" null '{"model":'
    bad_request "no model" model '{"messages":[{"role":"user","content":"x"}]}'
    bad_request "no messages" messages '{"model":"m"}'
    bad_request "empty messages" messages '{"model":"m","messages":[]}'
    bad_request "an unknown role" 'messages[0].role' \
        '{"model":"m","messages":[{"role":"robot","content":"x"}]}'
    bad_request "content of the wrong type" 'messages[0].content' \
        '{"model":"m","messages":[{"role":"user","content":7}]}'
    bad_request "json_object without the word json" messages \
        '{"model":"m","messages":[{"role":"user","content":"no such word"}],"response_format":{"type":"json_object"}}'
    bad_request "an unknown response_format" response_format.type \
        "$(request hi '{"type":"yaml"}')"
    bad_request "json_schema without a name" response_format.json_schema.name \
        "$(request hi '{"type":"json_schema","json_schema":{"schema":{"type":"object"}}}')"
    bad_request "a schema whose root is not an object" response_format \
        "$(request hi '{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"array"}}}')"
    bad_request "max_tokens 0" max_tokens "$(request hi '' '"max_tokens":0')"
    bad_request "temperature 3" temperature "$(request hi '' '"temperature":3')"
    bad_request "stream" stream "$(request hi '' '"stream":true')"
    curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
        "$BASE/v1/chat/completions" > "$TMP/code"
    [ "$(code)" = 405 ] && [ -n "$(js "$TMP/body" 'd["error"]["message"]')" ]
    check "GET on the endpoint gets 405 with an error object" $? "$(code) $(cat "$TMP/body")"
    curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $KEY" -d '{}' \
        "$BASE/v1/embeddings" > "$TMP/code"
    [ "$(code)" = 404 ] && js "$TMP/body" 'd["error"]["message"]' | grep -q embeddings
    check "an unknown path gets 404 naming it" $? "$(code) $(cat "$TMP/body")"
}

test_limit_headers() {
    control 'faults?rpm=50&tpm=100000'
    control 'reset?limits=1'
    post "$(request 'headers one')"
    r1=$(header x-ratelimit-remaining-requests)
    k1=$(header x-ratelimit-remaining-tokens)
    total=$(js "$TMP/body" 'd["usage"]["total_tokens"]')
    [ "$(header x-ratelimit-limit-requests)" = 50 ] &&
        [ "$(header x-ratelimit-limit-tokens)" = 100000 ] && [ "$r1" = 49 ] &&
        [ "$k1" = $((100000 - total)) ]
    check "x-ratelimit-limit/remaining headers count the answer's request and tokens" $? \
        "$(tr -d '\r' < "$TMP/hdr" | grep -i ratelimit | tr '\n' ' ') total=$total"
    rs=$(header x-ratelimit-reset-requests)
    rt=$(header x-ratelimit-reset-tokens)
    echo "$rs" | grep -Eq '^(1\.[0-9]+s|[0-9]{1,3}ms|2s)$' &&
        echo "$rt" | grep -Eq '^(1\.[0-9]+s|[0-9]{1,3}ms|2s)$'
    check "x-ratelimit-reset-* are durations within the 2s window ($rs, $rt)" $?
    post "$(request 'headers two')"
    [ "$(header x-ratelimit-remaining-requests)" = 48 ]
    check "remaining requests go down by one a call" $? "$(header x-ratelimit-remaining-requests)"
    sleep 2.1
    post "$(request 'headers three')"
    [ "$(header x-ratelimit-remaining-requests)" = 49 ]
    check "a call leaves the window after its length (2s): remaining back up" $? \
        "$(header x-ratelimit-remaining-requests)"
}

test_rpm() {
    control 'faults?rpm=3&tpm=100000'
    control 'reset?limits=1'
    codes=
    for i in 1 2 3 4; do
        post "$(request "rpm call $i")"
        codes="$codes$(code) "
    done
    retry=$(header Retry-After)
    [ "$codes" = "200 200 200 429 " ] && [ "$(header x-ratelimit-remaining-requests)" = 0 ] &&
        [ "$(js "$TMP/body" 'd["error"]["code"]')" = rate_limit_exceeded ] &&
        [ "$(js "$TMP/body" 'd["error"]["type"]')" = requests ] &&
        [ -n "$retry" ] && [ "$retry" -ge 1 ] && [ "$retry" -le 2 ]
    check "rpm 3: the 4th call in the window gets 429 requests with Retry-After $retry" $? \
        "$codes $(cat "$TMP/body")"
    ms=$(header retry-after-ms)
    sleep "$(awk -v ms="${ms:-2000}" 'BEGIN { printf "%.3f", ms / 1000 + 0.05 }')"
    post "$(request 'rpm call after waiting')"
    [ "$(code)" = 200 ]
    check "after retry-after-ms ($ms) the call is admitted" $? "$(code) $(cat "$TMP/body")"
    control 'faults?rpm=10000&tpm=60'
    control 'reset?limits=1'
    post "$(request 'tokens one')"
    c1=$(code)
    post "$(request 'tokens two')"
    [ "$c1" = 200 ] && [ "$(code)" = 429 ] &&
        [ "$(js "$TMP/body" 'd["error"]["type"]')" = tokens ] && [ -n "$(header Retry-After)" ]
    check "tpm 60: the call whose tokens would pass it gets 429 tokens" $? \
        "$c1 $(code) $(cat "$TMP/body")"
    control 'faults?tpm=5'
    post "$(request 'too large')"
    [ "$(code)" = 429 ] && js "$TMP/body" 'd["error"]["message"]' | grep -q 'Request too large'
    check "a call larger than tpm itself gets 429 'Request too large'" $? "$(cat "$TMP/body")"
    control 'faults?rpm=10000&tpm=10000000'
    control 'reset?limits=1'
}

# fault NAME EXPECT CURL-ARGS...: sets fail_NAME=1, checks "code/curl-rc" of one call.
fault() {
    name=$1
    want=$2
    shift 2
    control "faults?fail_$name=1"
    post "$(request "fault $name")" "$@"
    rc=$?
    got="$(code)/$rc"
    control "faults?fail_$name=0"
    # shellcheck disable=SC2254 # want is a pattern on purpose
    case "$got" in
    $want) ok "fault $name: $got" ;;
    *) bad "fault $name: got $got, want $want" "$(cat "$TMP/body" 2>/dev/null)" ;;
    esac
}

test_faults() {
    control 'reset'
    fault 5xx '500/0'
    [ "$(js "$TMP/body" 'd["error"]["type"]')" = server_error ] && [ -n "$(header x-ratelimit-limit-requests)" ]
    check "the 500 carries a server_error object and the rate-limit headers" $? "$(cat "$TMP/body")"
    fault 429 '429/0'
    [ "$(header Retry-After)" = 1 ] && [ "$(js "$TMP/body" 'd["error"]["code"]')" = rate_limit_exceeded ]
    check "the injected 429 has Retry-After 1 and rate_limit_exceeded" $? "$(cat "$TMP/hdr")"
    fault nonjson '200/0'
    content
    conforms "$TMP/deal.json" "$TMP/content"
    [ $? -eq 2 ] && [ -s "$TMP/content" ]
    check "the nonjson fault's content is not JSON" $? "$(cat "$TMP/content")"
    : > "$TMP/kinds"
    for i in 1 2 3 4 5 6 7 8; do
        control 'faults?fail_nonjson=1'
        post "$(request "nonjson kind $i")"
        control 'faults?fail_nonjson=0'
        content
        conforms "$TMP/deal.json" "$TMP/content"
        echo "$? $(head -c 12 "$TMP/content" | tr '\n' ' ')" >> "$TMP/kinds"
    done
    [ "$(cut -c1 "$TMP/kinds" | sort -u)" = 2 ] && [ "$(sort -u "$TMP/kinds" | wc -l)" -ge 2 ]
    check "nonjson content comes in several forms, none of them JSON" $? "$(cat "$TMP/kinds")"
    fault shape '200/0' -H 'X-Unused: 1'
    content
    conforms "$TMP/deal.json" "$TMP/content"
    [ $? -eq 1 ]
    check "the shape fault's content is JSON that fails the schema" $? "$(cat "$TMP/content")"
    control 'faults?fail_shape=1'
    post "$(request 'shape with a schema' "$(schema_format "$TMP/rich.json")")"
    control 'faults?fail_shape=0'
    content
    conforms "$TMP/rich.json" "$TMP/content"
    [ $? -eq 1 ]
    check "the shape fault also fails a request's own schema" $? "$(cat "$TMP/content")"
    fault timeout '000/28' -m 1
    control 'faults?slow_ms=700'
    fault slow '200/0'
    control 'faults?slow_ms=30000'
    content
    awk -v t="$(elapsed)" 'BEGIN { exit !(t >= 0.7) }' && conforms "$TMP/deal.json" "$TMP/content"
    check "the slow fault answers correctly, 700 ms late ($(elapsed)s)" $? "$(cat "$TMP/body")"
    control 'stats'
    js "$TMP/ctl" 'd["outcomes"] == {"200": 1, "200_nonjson": 9, "200_wrong_shape": 2,
        "429_fault": 1, "500": 1, "timeout": 1} and d["status_429"] == 1 and d["status_5xx"] == 1' |
        grep -qx true
    check "/_test/stats counts each fault by outcome" $? "$(cat "$TMP/ctl")"
}

test_storm() {
    control 'faults?storm_ms=1200'
    post "$(request 'in the storm')"
    retry=$(header Retry-After)
    [ "$(code)" = 429 ] && [ "$retry" -ge 1 ] && [ "$retry" -le 2 ] &&
        [ "$(js "$TMP/body" 'd["error"]["code"]')" = rate_limit_exceeded ]
    check "a 429 storm refuses calls with Retry-After until it ends ($retry s)" $? \
        "$(code) $(cat "$TMP/hdr")"
    sleep 1.3
    post "$(request 'after the storm')"
    [ "$(code)" = 200 ]
    check "after the storm calls are answered again" $? "$(code)"
}

test_outage() {
    control 'outage?mode=503'
    [ "$(js "$TMP/ctl" 'd["outage"]')" = 503 ]
    check "/_test/outage?mode=503 switches the outage on" $? "$(cat "$TMP/ctl")"
    post "$(request 'during the outage')"
    [ "$(code)" = 503 ] && [ "$(js "$TMP/body" 'd["error"]["type"]')" = server_error ]
    check "during a 503 outage calls get 503 with an error object" $? "$(code) $(cat "$TMP/body")"
    curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/chat/completions" > "$TMP/code"
    [ "$(code)" = 503 ]
    check "the outage refuses even calls without a key" $? "$(code)"
    control 'outage?mode=close'
    post "$(request 'connection closed')"
    rc=$?
    [ $rc -eq 52 ] || [ $rc -eq 56 ]
    check "during a 'close' outage the connection is closed without an answer (curl $rc)" $?
    control 'outage?mode=off'
    post "$(request 'back again')"
    [ "$(code)" = 200 ] && [ "$(js "$TMP/ctl" 'd["outage"]')" = off ]
    check "/_test/outage?mode=off ends the outage" $? "$(code)"
    control 'outage?mode=503&ms=1500'
    post "$(request 'timed outage')"
    c1=$(code)
    sleep 1.6
    post "$(request 'timed outage over')"
    [ "$c1" = 503 ] && [ "$(code)" = 200 ]
    check "a timed outage (ms=1500) ends by itself" $? "$c1 $(code)"
}

test_latency() {
    control 'faults?latency_ms=400'
    post "$(request 'slow server')"
    one=$(elapsed)
    start=$(date +%s%N)
    pids=
    for i in 1 2 3 4 5 6 7 8 9 10; do
        printf '%s' "$(request "concurrent $i")" > "$TMP/req$i"
        curl -s -o "$TMP/conc$i" -H "Authorization: Bearer $KEY" --data-binary @"$TMP/req$i" \
            "$BASE/v1/chat/completions" &
        pids="$pids $!"
    done
    for p in $pids; do
        wait "$p"
    done
    wall=$(( ($(date +%s%N) - start) / 1000000 ))
    control 'faults?latency_ms=0'
    n=$(grep -l '"chat.completion"' "$TMP"/conc* | wc -l)
    # One call after another would take 10 x 400 ms; at once, little more than 400 ms.
    awk -v t="$one" 'BEGIN { exit !(t >= 0.4) }' && [ "$n" -eq 10 ] && [ "$wall" -lt 3000 ]
    check "latency 400ms delays each answer (${one}s) without blocking: 10 at once in ${wall}ms" \
        $? "answered=$n"
    curl -sv -o /dev/null -o /dev/null -H "Authorization: Bearer $KEY" -d "$(request ka1)" \
        "$BASE/v1/chat/completions" "$BASE/v1/chat/completions" 2> "$TMP/verbose"
    grep -qi 're-\{0,1\}using existing connection' "$TMP/verbose"
    check "keep-alive: a second call reuses the connection" $?
}

test_stats() {
    control 'reset'
    post "$(request 'stats prompt A')"
    ha=$(header x-fake-prompt-hash)
    ta=$(js "$TMP/body" 'd["usage"]["prompt_tokens"]')
    ca=$(js "$TMP/body" 'd["usage"]["completion_tokens"]')
    post "$(request 'stats prompt A')"
    post "$(request 'stats prompt B')"
    tb=$(js "$TMP/body" 'd["usage"]["prompt_tokens"]')
    cb=$(js "$TMP/body" 'd["usage"]["completion_tokens"]')
    curl -s -o /dev/null -d "$(request 'stats prompt C')" "$BASE/v1/chat/completions"
    control 'faults?fail_5xx=1'
    post "$(request 'stats prompt B')"
    control 'faults?fail_5xx=0'
    control 'stats'
    js "$TMP/ctl" "d['calls'] == 5 and d['answered'] == 3 and d['valid'] == 3 and
        d['outcomes'] == {'200': 3, '401': 1, '500': 1} and d['prompts_distinct'] == 2 and
        d['prompts_answered'] == 2 and d['prompt_calls_max'] == 2 and
        d['prompt_answers_max'] == 2 and d['status_5xx'] == 1 and d['status_429'] == 0 and
        d['prompt_tokens'] == 2 * $ta + $tb and d['completion_tokens'] == 2 * $ca + $cb and
        d['total_tokens'] == d['prompt_tokens'] + d['completion_tokens'] and
        d['max_calls_in_window'] == 5 and d['window_ms'] == 2000 and
        d['max_tokens_in_window'] == d['total_tokens']" | grep -qx true
    check "/_test/stats: calls, outcomes, distinct prompts, tokens, busiest window" $? \
        "$(cat "$TMP/ctl")"
    control 'stats?prompts=1'
    [ -n "$ha" ] && js "$TMP/ctl" "d['prompts']['$ha'] == [2, 2] and len(d['prompts']) == 2 and
        sorted(d['prompts'].values()) == [[2, 1], [2, 2]]" | grep -qx true
    check "/_test/stats?prompts=1 maps each prompt hash (x-fake-prompt-hash) to [calls, valid]" \
        $? "hash=$ha $(cat "$TMP/ctl")"
    control 'reset'
    control 'stats'
    js "$TMP/ctl" "d['calls'] == 0 and d['prompts_distinct'] == 0 and d['total_tokens'] == 0 and
        d['max_calls_in_window'] == 0" | grep -qx true
    check "/_test/reset zeroes the counters" $? "$(cat "$TMP/ctl")"
}

test_control_errors() {
    control 'faults?fail_5xx=1&bogus=2'
    c1=$(js "$TMP/ctl" 'd["error"]["message"]')
    control 'faults?fail_5xx=0.5&fail_429=0.6'
    c2=$(js "$TMP/ctl" 'd["error"]["message"]')
    control 'stats'
    echo "$c1" | grep -q bogus && echo "$c2" | grep -q 'more than 1' &&
        js "$TMP/ctl" 'd["settings"]["fail_5xx"] == 0 and d["settings"]["fail_429"] == 0' |
        grep -qx true
    check "/_test/faults refuses an unknown setting or shares over 1, changing nothing" $? \
        "$c1 / $c2 / $(cat "$TMP/ctl")"
    control 'outage?mode=sometimes'
    js "$TMP/ctl" 'd["error"]["message"]' | grep -q 'mode must be'
    check "/_test/outage refuses an unknown mode" $? "$(cat "$TMP/ctl")"
}

test_shutdown() {
    kill -TERM "$PID"
    wait "$PID"
    rc=$?
    PID=
    [ $rc -eq 0 ]
    check "exits 0 on SIGTERM (no leaks or memory errors)" $? "rc=$rc $(tail -n 20 "$TMP/stderr")"
}

if [ ! -x "$BIN" ]; then
    echo "selftest: no executable '$BIN' (build it with: make bin/freshet-fake-llm)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
write_schemas
test_usage
start_server
test_schema_answer
test_default_answer
test_usage_counts
test_auth
test_bad_requests
test_limit_headers
test_rpm
test_faults
test_storm
test_outage
test_latency
test_stats
test_control_errors
test_shutdown
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
