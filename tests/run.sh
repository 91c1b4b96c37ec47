#!/usr/bin/env bash
# run.sh BIN BUILD [SUITE...] — runs freshet's test suites and ends with one line
# "N passed, N failed" (the sum over every suite) so CI and people read one verdict.
#
# Suites: unit (Criterion, no services), harness (the service harness's own checks),
# fake (the fake upstreams' protocol checks: Keepa, repos, LLM), integration (Criterion
# against a private Redis + PostgreSQL), system (real binaries as processes,
# tests/system/*.sh), chaos.
# Default: all of them (FRESHET_CHAOS=0 leaves chaos out). Each suite prints its summary.
# Exit status: 0 when nothing failed, 1 otherwise.
set -u
BIN=${1:?usage: run.sh BIN BUILD [SUITE...]}
BUILD=${2:?usage: run.sh BIN BUILD [SUITE...]}
shift 2
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BIN=$(cd "$BIN" && pwd)
BUILD=$(cd "$BUILD" && pwd)
export FRESHET_BIN=$BIN FRESHET_BUILD=$BUILD FRESHET_ROOT=$ROOT
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
    suites=(unit harness fake integration system)
    [ "${FRESHET_CHAOS:-1}" = 1 ] && suites+=(chaos)
fi

passed=0
failed=0
# Under sanitizers every process (tests and the daemons they start) writes its reports to
# files here; any report fails the run, since Criterion counts a leak as a pass.
SAN_DIR=""
if [ "${FRESHET_SANITIZED:-0}" = 1 ]; then
    SAN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/freshet-san.XXXXXX")
    chmod 1777 "$SAN_DIR"
    export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}:log_path=$SAN_DIR/asan"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}:log_path=$SAN_DIR/ubsan"
    export FRESHET_TEST_FREEPORT=$BUILD/tests/harness/freeport
fi
log=$(mktemp "${TMPDIR:-/tmp}/freshet-run.XXXXXX")
trap 'rm -f "$log"' EXIT
# A suite that failed keeps its whole output here, and the failed checks are listed at
# the end, so a CI log alone says what failed and where the rest is.
LOGDIR=${FRESHET_TEST_LOGDIR:-$BUILD/test-logs}
mkdir -p "$LOGDIR"
failed_suites=()

# Adds a Criterion run's counts (its "Synthesis" line) to the totals.
count_criterion() {
    local line t p
    line=$(grep -a 'Synthesis: Tested:' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "run.sh: $1 printed no Criterion summary (crashed?)"
        failed=$((failed + 1))
        return
    fi
    t=$(echo "$line" | sed 's/.*Tested: \([0-9]*\).*/\1/')
    p=$(echo "$line" | sed 's/.*Passing: \([0-9]*\).*/\1/')
    passed=$((passed + p))
    failed=$((failed + t - p))
}

# Adds a script's closing "N passed, N failed" line to the totals.
count_plain() {
    local line rc=$2
    line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "run.sh: $1 printed no 'N passed, N failed' line (exit $rc)"
        failed=$((failed + 1))
        return
    fi
    passed=$((passed + $(echo "$line" | awk '{print $1}')))
    failed=$((failed + $(echo "$line" | awk '{print $3}')))
    if [ "$rc" -ne 0 ] && [ "$(echo "$line" | awk '{print $3}')" -eq 0 ]; then
        echo "run.sh: $1 exited $rc although it reported no failure"
        failed=$((failed + 1))
    fi
}

run_logged() {
    "$@" 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

# keep_if_failed NAME FAILED-BEFORE: when the suite added failures, keep its log.
keep_if_failed() {
    local name=${1//\//_}
    [ "$failed" -gt "$2" ] || return 0
    cp "$log" "$LOGDIR/$name.log"
    failed_suites+=("$1")
}

banner() { printf '\n=== %s ===\n' "$1"; }

for suite in "${suites[@]}"; do
    before=$failed
    case "$suite" in
    unit)
        banner "unit tests"
        run_logged "$BUILD/tests/unit-tests" --jobs 2
        count_criterion unit
        ;;
    harness)
        banner "service harness self-test"
        run_logged bash tests/harness/selftest.sh
        count_plain harness $?
        ;;
    fake)
        banner "fake Keepa protocol checks"
        run_logged bash tests/fakes/keepa/selftest.sh "$BIN/freshet-fake-keepa"
        count_plain fake $?
        keep_if_failed fake "$before"
        banner "fake repos (GitHub-like API) protocol checks"
        before=$failed
        run_logged bash tests/fakes/repos/selftest.sh "$BIN/freshet-fake-repos"
        count_plain fake-repos $?
        keep_if_failed fake-repos "$before"
        banner "fake LLM (OpenAI-compatible API) protocol checks"
        before=$failed
        run_logged bash tests/fakes/llm/selftest.sh "$BIN/freshet-fake-llm"
        count_plain fake-llm $?
        keep_if_failed fake-llm "$before"
        continue
        ;;
    integration)
        banner "integration tests (real Redis and PostgreSQL)"
        run_logged bash tests/harness/with-services.sh "$BUILD/tests/integration-tests" --jobs 1
        count_criterion integration
        ;;
    system | chaos)
        for t in tests/"$suite"/*.sh; do
            [ -e "$t" ] || continue
            [ "$(basename "$t")" = lib.sh ] && continue
            banner "$suite: $(basename "$t" .sh)"
            before=$failed
            run_logged bash tests/harness/with-services.sh bash "$t"
            count_plain "$t" $?
            keep_if_failed "$suite-$(basename "$t" .sh)" "$before"
        done
        continue
        ;;
    *)
        echo "run.sh: unknown suite '$suite'"
        failed=$((failed + 1))
        ;;
    esac
    keep_if_failed "$suite" "$before"
done

if [ -n "$SAN_DIR" ]; then
    reports=$(find "$SAN_DIR" -type f | wc -l)
    if [ "$reports" -gt 0 ]; then
        banner "sanitizer reports ($reports)"
        for f in "$SAN_DIR"/*; do echo "--- $f"; head -n 30 "$f"; done
        failed=$((failed + reports))
    else
        echo "no sanitizer reports"
    fi
    rm -rf "$SAN_DIR"
fi

if [ ${#failed_suites[@]} -gt 0 ]; then
    banner "failed: ${failed_suites[*]}"
    for f in "${failed_suites[@]}"; do
        echo "--- $f (whole output kept in $LOGDIR/${f//\//_}.log):"
        grep -aE '^(not ok|FAIL|\[FAIL\]|run\.sh:)|Assertion|failed:|Crashing' "$LOGDIR/${f//\//_}.log" | head -n 40
    done
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
