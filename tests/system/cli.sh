#!/usr/bin/env bash
# System test: the command-line contract of every binary (DESIGN.md "Executables"):
# --help and --version, exit 2 naming a bad setting, exit 1 naming an unreachable
# server without hanging, migrate on an empty database then as a no-op.
. "$(dirname "$0")/lib.sh"

for b in freshet-scout freshet-processor freshet-refresher freshetctl freshet-fake-keepa; do
    out=$("$FRESHET_BIN/$b" --version 2>&1); rc=$?
    expect_eq "$b --version exits 0" 0 "$rc"
    expect_match "$b --version names itself" "^$b [0-9]+\.[0-9]+\.[0-9]+" "$out"
    out=$("$FRESHET_BIN/$b" --help 2>&1); rc=$?
    expect_eq "$b --help exits 0" 0 "$rc"
done

for b in freshet-scout freshet-processor freshet-refresher; do
    help=$("$FRESHET_BIN/$b" --help)
    for v in DATABASE_URL REDIS_URL FRESHET_SOURCE FRESHET_ADMIN_ADDR FRESHET_LOG_LEVEL \
             FRESHET_LOG_FORMAT FRESHET_CONNECT_TIMEOUT FRESHET_GRACE; do
        expect_match "$b --help lists $v" "$v" "$help"
    done
    # Every variable --help names is documented in the README.
    missing=""
    for v in $(printf '%s\n' "$help" | grep -oE '\b(FRESHET|KEEPA|DATABASE|REDIS)_[A-Z_]+' | sort -u); do
        grep -q "$v" README.md || missing="$missing $v"
    done
    expect_eq "$b: every variable in --help is in README.md" "" "$missing"

    out=$(FRESHET_BATCH=0 FRESHET_REFRESH_MIN=1x FRESHET_SCOUT_INTERVAL=1x "$FRESHET_BIN/$b" --once 2>&1)
    rc=$?
    expect_eq "$b: bad setting exits 2" 2 "$rc"
    expect_eq "$b: bad setting is one line" 1 "$(printf '%s\n' "$out" | wc -l)"
    out=$("$FRESHET_BIN/$b" --no-such-flag 2>&1); rc=$?
    expect_eq "$b: unknown flag exits 2" 2 "$rc"
    expect_match "$b: unknown flag is named" "no-such-flag" "$out"
done

out=$(DATABASE_URL=bogus "$FRESHET_BIN/freshetctl" migrate 2>&1); rc=$?
expect_eq "DATABASE_URL=bogus migrate exits 2" 2 "$rc"
expect_eq "DATABASE_URL=bogus migrate prints one line" 1 "$(printf '%s\n' "$out" | wc -l)"
expect_match "DATABASE_URL=bogus migrate names DATABASE_URL" "DATABASE_URL" "$out"

start=$(date +%s)
out=$(REDIS_URL=redis://127.0.0.1:1 FRESHET_CONNECT_TIMEOUT=2s "$FRESHET_BIN/freshet-scout" --once 2>&1)
rc=$?
expect_eq "unreachable redis exits 1" 1 "$rc"
expect_match "unreachable redis names the address" "redis at '127.0.0.1:1'" "$out"
expect_le "unreachable redis gives up within the timeout (s)" $(( $(date +%s) - start )) 4
out=$(DATABASE_URL=postgresql://freshet@127.0.0.1:1/x FRESHET_CONNECT_TIMEOUT=1s \
      "$FRESHET_BIN/freshet-processor" --once 2>&1); rc=$?
expect_eq "unreachable postgresql exits 1" 1 "$rc"
expect_match "unreachable postgresql names the address" "127.0.0.1:1/x" "$out"

fresh_db cli_mig
out=$("$FRESHET_BIN/freshetctl" migrate 2>&1); rc=$?
expect_eq "migrate on an empty database exits 0" 0 "$rc"
expect_match "migrate says what it applied" "applied [0-9]+ migration" "$out"
expect_eq "items table exists" t "$(sql "SELECT to_regclass('items') IS NOT NULL")"
out=$("$FRESHET_BIN/freshetctl" migrate 2>&1); rc=$?
expect_eq "second migrate exits 0" 0 "$rc"
expect_match "second migrate is a no-op and says so" "up to date" "$out"
out=$("$FRESHET_BIN/freshet-refresher" --once 2>&1); rc=$?
expect_eq "a daemon starts on a migrated database" 0 "$rc"
out=$("$FRESHET_BIN/freshet-processor" --once 2>&1); rc=$?
expect_eq "processor --once with an empty queue exits 0 at once" 0 "$rc"
start=$(date +%s)
out=$(KEEPA_BASE_URL=http://127.0.0.1:1 FRESHET_HTTP_TIMEOUT=1s "$FRESHET_BIN/freshet-scout" --once 2>&1); rc=$?
expect_eq "scout --once with an unreachable upstream exits 1" 1 "$rc"
expect_le "... within a bounded time (s)" $(( $(date +%s) - start )) 40
sql "INSERT INTO schema_migrations VALUES (999, 'future')"
out=$("$FRESHET_BIN/freshetctl" migrate 2>&1); rc=$?
expect_eq "migrate refuses a newer schema (exit 1)" 1 "$rc"
expect_match "refusal says why" "newer than this binary" "$out"

fresh_db cli_empty
out=$("$FRESHET_BIN/freshet-scout" --once 2>&1); rc=$?
expect_eq "a daemon refuses an unmigrated database (exit 1)" 1 "$rc"
expect_match "refusal names the fix" "freshetctl migrate" "$out"

finish
