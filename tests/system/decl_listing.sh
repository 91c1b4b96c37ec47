#!/usr/bin/env bash
# System test: a listing that is not indexed (offset, cursor, link: a page needs the
# answer before it) resumes where a pass stopped early. With FRESHET_SCOUT_MAX_PAGES=1
# (trickle backfill) each scout pass reads one page of 100 from where the last one
# stopped, so three passes discover all 250 repositories of freshet-fake-repos; a pass
# that reaches the end starts the next one over from the first page. Before, such a pass
# always started again at page 0 and never got past the first 100. Last, a source file's
# discover.interval overrides FRESHET_SCOUT_INTERVAL for that source.
. "$(dirname "$0")/lib.sh"
need python3:python3

N=250
repos_fixture decl_listing --repos "$N" --limit 100000 --window 60s --seed 5
export FRESHET_IDLE_POLL=50ms FRESHET_SCOUT_MAX_PAGES=1

# listing NAME PATH PAGINATION RECORDS: a copy of repos.yaml under NAME with that listing.
listing() {
    python3 - "$FRESHET_SOURCES_DIR/repos.yaml" "$FRESHET_SOURCES_DIR/$1.yaml" "$2" "$3" "$4" <<'PY'
import re, sys
src, dst, path, paging, records = sys.argv[1:]
s = open(src).read().replace("name: repos", "name: " + dst.rsplit("/", 1)[1][:-5])
s = re.sub(r"discover:\n(  .*\n)+", f"""discover:
  path: {path}
  params: {{{'per_page' if 'repositories' in path else 'limit'}: "100"}}
  pagination: {paging}
  records: {records}
  id: $.id
""", s)
open(dst, "w").write(s)
PY
}
listing offs /v1/repos/offset '{type: offset, param: offset, start: 0}' '$.data.repos'
listing curs /v1/repos/cursor '{type: cursor, param: cursor, from: $.next_cursor}' '$.entries[*].repo'
listing link /v1/repositories '{type: link}' '$[*]'

known() { sql "SELECT count(*) FROM items WHERE source = '$1'"; }
for src in offs curs link; do
    export FRESHET_SOURCE=$src
    got=
    for pass in 1 2 3 4 5; do
        "$FRESHET_BIN/freshet-scout" --once >>"$T_DIR/scout-$src.log" 2>&1 ||
            echo "# $src pass $pass exited $?"
        got="$got $(known "$src")"
    done
    expect_eq "$src: each capped pass resumes where the last stopped" " 100 200 250 250 250" "$got"
    # The cursor and link listings end with pass 3 (no next page), the offset one with
    # pass 4 (an empty page): the pass after starts over, reading page 0 again.
    passes=$(grep -a 'discovery pass' "$T_DIR/scout-$src.log" | sed 's/.*"msg":"discovery pass //')
    expect_match "$src: a pass reaches the end" '^complete: (50|0) records seen.*cursor at page 0' \
        "$(printf '%s\n' "$passes" | grep '^complete' | head -n 1)"
    expect_match "$src: ... and the next pass starts over from the first page" \
        '^paused: 100 records seen, 0 new ids' \
        "$(printf '%s\n' "$passes" | grep -A1 '^complete' | sed -n 2p)"
done

# discover.interval: 1s in the file, 1h in the environment; the file wins.
sed 's/^  interval: 5m$/  interval: 1s/; s/^name: repos$/name: tick/' \
    "$FRESHET_SOURCES_DIR/repos.yaml" >"$FRESHET_SOURCES_DIR/tick.yaml"
start_bg tick env FRESHET_SOURCE=tick FRESHET_SCOUT_INTERVAL=1h FRESHET_ADMIN_ADDR=off \
    "$FRESHET_BIN/freshet-scout"
TICK=$T_LAST_PID
sleep 3.5
kill -TERM "$TICK"
exits_within 10 "$TICK"
passes=$(grep -ac 'discovery pass' "$T_DIR/tick.log")
check "discover.interval (1s) overrides FRESHET_SCOUT_INTERVAL (1h): $passes passes in 3.5 s" \
    test "$passes" -ge 3
finish
