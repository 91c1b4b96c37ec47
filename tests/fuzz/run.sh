#!/usr/bin/env bash
# run.sh [SECONDS_PER_TARGET] [TARGET...] — builds the libFuzzer targets tests/fuzz/*.c
# against the library sources compiled with the same sanitizers (into build-fuzz/, never
# the source tree), runs each for SECONDS_PER_TARGET (default 30) on a copy of its seed
# corpus tests/fuzz/corpus/<target>/, prints executions, exec/s and coverage per target
# and ends with "N passed, N failed". A target passes when it ran its time without a
# crash, leak, timeout or out-of-memory. Exit status: 0 all passed, 1 a target failed
# (the reproducer's path is printed), 2 the build failed.
#
# Needs clang (14 is enough) with its runtime (Debian: libclang-rt-14-dev) and the
# library's -dev packages. CC=clang-14 picks another compiler; FUZZ_ARGS adds libFuzzer
# flags (e.g. FUZZ_ARGS=-seed=1). Reproduce a failure with: build-fuzz/<target> <file>.
set -u
cd "$(dirname "$0")/../.." || exit 2

SECS=${1:-30}
[ $# -gt 0 ] && shift
case $SECS in
'' | *[!0-9]*)
    echo "usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
    ;;
esac
CC=${CC:-clang}
case $($CC --version 2>/dev/null | head -n 1) in
*clang*) ;;
*) CC=clang ;;
esac
OUT=build-fuzz
PKGS=(hiredis libcurl libpq jansson libevent zlib yaml-0.1)
SAN=(-g -O1 "-fsanitize=fuzzer,address,undefined" -fno-sanitize-recover=all)
pc_cflags=$(pkg-config --cflags "${PKGS[@]}") || exit 2
pc_libs=$(pkg-config --libs "${PKGS[@]}") || exit 2
read -r -a PKG_CFLAGS <<<"$pc_cflags"
read -r -a PKG_LIBS <<<"$pc_libs"
CFLAGS=(-std=c11 "${SAN[@]}" -I. -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
    "-DFRESHET_VERSION=\"fuzz\"" "${PKG_CFLAGS[@]}")
read -r -a EXTRA <<<"${FUZZ_ARGS:-}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/*.c; do
        t=${f##*/}
        targets+=("${t%.c}")
    done
fi
for t in "${targets[@]}"; do
    [ -f "tests/fuzz/$t.c" ] || { echo "no fuzz target tests/fuzz/$t.c" >&2; exit 2; }
done

# ---- build ---------------------------------------------------------------------------
# The generated sources (embedded migrations and schemas) come from the Makefile.
make --no-print-directory -j2 build/libfreshet.a >/dev/null || {
    echo "fuzz: 'make build/libfreshet.a' failed" >&2
    exit 2
}
mkdir -p "$OUT/obj" "$OUT/logs" || exit 2
lib_src=(common/*.c common/sources/*.c build/gen/migrations.c build/gen/schemas.c)
echo "fuzz: compiling ${#lib_src[@]} library sources with ${SAN[*]}"
rm -f "$OUT"/obj/*.o "$OUT/libfreshet-fuzz.a"
compile() {
    "$CC" "${CFLAGS[@]}" -c -o "$OUT/obj/${1//\//_}.o" "$1"
}
# Two compilers at a time; any failure stops the run after the others finish.
pids=()
ok=1
for src in "${lib_src[@]}"; do
    compile "$src" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}" || ok=0
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do
    wait "$pid" || ok=0
done
[ "$ok" -eq 1 ] || { echo "fuzz: compiling the library failed" >&2; exit 2; }
ar rcs "$OUT/libfreshet-fuzz.a" "$OUT"/obj/*.o || exit 2
for t in "${targets[@]}"; do
    "$CC" "${CFLAGS[@]}" -o "$OUT/$t" "tests/fuzz/$t.c" "$OUT/libfreshet-fuzz.a" \
        "${PKG_LIBS[@]}" -lm || { echo "fuzz: building $t failed" >&2; exit 2; }
done

# Keys and values of Keepa responses, so mutations speak the vocabulary of the format.
cat >"$OUT/keepa.dict" <<'EOF'
"\"asin\""
"\"products\""
"\"deals\""
"\"dr\""
"\"sellers\""
"\"csv\""
"\"stats\""
"\"current\""
"\"avg90\""
"\"error\""
"\"type\""
"\"message\""
"\"tokensLeft\""
"\"refillRate\""
"\"tokenFlowReduction\""
"\"productType\""
"\"domainId\""
"\"title\""
"\"imagesCSV\""
"\"images\""
"\"categories\""
"\"rootCategory\""
"\"rootCat\""
"\"salesRanks\""
"\"buyBoxPrice\""
"\"buyBoxShipping\""
"\"buyBoxSellerId\""
"\"buyBoxSellerIdHistory\""
"\"lastUpdate\""
"\"lastPriceChange\""
"\"trackingSince\""
"\"monthlySold\""
"\"parentAsin\""
"\"deltaPercent\""
"\"image\""
"\"creationDate\""
"\"sellerName\""
"\"currentRating\""
"\"currentRatingCount\""
"\"hasFBA\""
"\"B07XJ8C8F5\""
"\"\\u0000\""
"null"
"-1"
"2147483647"
"9223372036854775807"
"7889760"
EOF

# ---- run -----------------------------------------------------------------------------
# The value of "key: value" in a libFuzzer log, last occurrence; "?" when absent.
field() {
    local v
    v=$(grep -o "$2 *[0-9]*" "$1" | tail -n 1 | grep -o '[0-9]*$')
    printf '%s' "${v:-?}"
}

passed=0
failed=0
for t in "${targets[@]}"; do
    work=$OUT/corpus/$t
    art=$OUT/crashes/$t
    log=$OUT/logs/$t.log
    rm -rf "$work"
    mkdir -p "$work" "$art"
    if [ -d "tests/fuzz/corpus/$t" ]; then
        cp -R "tests/fuzz/corpus/$t/." "$work/"
    fi
    opts=(-max_total_time="$SECS" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1
        -artifact_prefix="$art/")
    case $t in
    keepa_products) opts+=(-max_len=262144) ;;
    *) opts+=(-max_len=65536) ;;
    esac
    case $t in
    keepa_* | schema | jsonprune) opts+=(-dict="$OUT/keepa.dict") ;;
    esac
    echo "fuzz: $t for ${SECS}s (log $log)"
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        "$OUT/$t" "${opts[@]}" "${EXTRA[@]}" "$work" >"$log" 2>&1
    rc=$?
    cov=$(grep ' cov: ' "$log" | tail -n 1 | grep -o 'cov: [0-9]* ft: [0-9]*')
    printf '  %-16s %10s execs %8s exec/s   %s\n' "$t" \
        "$(field "$log" 'stat::number_of_executed_units:')" \
        "$(field "$log" 'stat::average_exec_per_sec:')" "${cov:-cov: ?}"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        continue
    fi
    failed=$((failed + 1))
    what=$(grep -m 1 -E '^SUMMARY: |ERROR: libFuzzer: ' "$log")
    echo "  FAILED $t (exit $rc): ${what:-see $log}"
    grep -o 'Test unit written to .*' "$log" | sed 's/^Test unit written to /  reproducer: /'
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
