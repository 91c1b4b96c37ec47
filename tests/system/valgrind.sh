#!/usr/bin/env bash
# System test: one processor runs through a small catalog under valgrind memcheck
# (issue "memory and sanitizers") and must report no leak and no invalid access.
# Skipped, and said so, when valgrind is not installed.
. "$(dirname "$0")/lib.sh"

if [ "${FRESHET_SANITIZED:-0}" = 1 ]; then
    # AddressSanitizer and valgrind cannot watch one process together; make test runs it.
    echo "# sanitizer build: valgrind run skipped (it runs in make test)"
    finish
    exit
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "# valgrind not installed: skipped"
    finish
    exit
fi
N=600
fresh_db vg
"$FRESHET_BIN/freshetctl" migrate >/dev/null 2>&1
start_fake --products "$N" --fail-5xx 0.05 --fail-garbage 0.03 --change-period-ms 100000000
"$FRESHET_BIN/freshet-scout" --once >"$T_DIR/scout.log" 2>&1
rcli RPUSH 'freshet:{keepa}:queue' 'junk!' '{"id":' "" >/dev/null
export FRESHET_RETRY_BASE=10ms FRESHET_RETRY_CAP=50ms FRESHET_MAX_ATTEMPTS=20 FRESHET_IDLE_POLL=50ms
start_bg refresher "$FRESHET_BIN/freshet-refresher" --pass-interval 200ms
start_bg vg valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --log-file="$T_DIR/valgrind.txt" \
    "$FRESHET_BIN/freshet-processor" --concurrency 8
VG=$T_LAST_PID
all_done() { [ "$(sql "SELECT count(*) FROM items WHERE status = 'active'")" = "$N" ]; }
check "all $N ids active under valgrind" wait_for 180 all_done
kill -TERM "$VG"
wait "$VG"
rc=$?
expect_eq "processor under valgrind exits 0 (99 = memcheck errors)" 0 "$rc"
summary=$(grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' "$T_DIR/valgrind.txt")
echo "$summary" | sed 's/^/# /'
expect_match "no memcheck errors" "ERROR SUMMARY: 0 errors" "$summary"
if grep -q 'definitely lost' "$T_DIR/valgrind.txt"; then
    expect_match "nothing definitely lost" "definitely lost: 0 bytes" "$summary"
else
    pass "nothing definitely lost (no leak summary: all heap blocks freed)"
fi
finish
