#!/usr/bin/env bash
# System test: freshetctl sources — every shipped source file (sources/*.yaml) passes
# `sources check` with its variables set to dummies; `sources list` reports them; a bad
# file exits 2 with one line naming the file, the key and the reason; header values
# never reach the output; --sample renders the analysis prompt on a record.
# Needs no server: source files are read without the network.
. "$(dirname "$0")/lib.sh"

CTL=$FRESHET_BIN/freshetctl
export REPOS_BASE_URL=http://127.0.0.1:8088 REPOS_TOKEN=dummy-repos-token \
    GITHUB_TOKEN=dummy-github-token XAI_API_KEY=dummy-xai-key \
    REDDIT_TOKEN=dummy-reddit-token COINGECKO_API_KEY=dummy-coingecko-key

n=0
for f in sources/*.yaml; do
    n=$((n + 1))
    out=$("$CTL" sources check "$f" 2>&1); rc=$?
    expect_eq "sources check $f exits 0" 0 "$rc"
    [ "$rc" -eq 0 ] || echo "#   $out"
    expect_match "sources check $f describes the detail request" "^detail +GET https?://" "$out"
    leaked=$(printf '%s' "$out" | grep -c -e dummy-repos-token -e dummy-github-token \
        -e dummy-xai-key -e dummy-reddit-token -e dummy-coingecko-key)
    expect_eq "sources check $f shows no header value or key" 0 "$leaked"
done
expect_le "sources/ holds the five example files" 5 "$n"

out=$("$CTL" sources list --sources-dir sources 2>&1); rc=$?
expect_eq "sources list exits 0 when every file loads" 0 "$rc"
expect_eq "sources list shows every file as ok" "$n" "$(printf '%s\n' "$out" | grep -c ' ok$')"
expect_match "sources list names github with its base_url" "github +https://api.github.com +ok" "$out"
out=$(FRESHET_SOURCES_DIR=sources "$CTL" sources list 2>&1)
expect_match "sources list reads FRESHET_SOURCES_DIR" "^sources: $n source files" "$out"

# A bad file: exit 2, one line naming the file, the dotted key and the reason.
mkdir -p "$T_DIR/src"
sed 's/type: page, param: page/type: pages, param: page/' sources/coingecko.yaml >"$T_DIR/src/coingecko.yaml"
out=$("$CTL" sources check "$T_DIR/src/coingecko.yaml" 2>&1); rc=$?
expect_eq "a bad pagination type exits 2" 2 "$rc"
expect_eq "a bad source file is one line" 1 "$(printf '%s\n' "$out" | wc -l)"
expect_match "the line names the file, the key and the reason" \
    "coingecko.yaml:[0-9]+:[0-9]+: discover.pagination.type: must be one of page, offset, cursor, link \(got 'pages'\)" "$out"
out=$(env -u GITHUB_TOKEN "$CTL" sources check sources/github.yaml 2>&1); rc=$?
expect_eq "an unset \${VAR} exits 2" 2 "$rc"
expect_match "the unset variable is named" "github.yaml:[0-9]+:[0-9]+: headers.Authorization: environment variable GITHUB_TOKEN is not set" "$out"
out=$("$CTL" sources list --sources-dir "$T_DIR/src" 2>&1); rc=$?
expect_eq "sources list exits 2 when a file is refused" 2 "$rc"
expect_match "sources list gives the reason" "coingecko +- +refused: .*discover.pagination.type" "$out"
out=$("$CTL" sources list --sources-dir "$T_DIR/none" 2>&1); rc=$?
expect_eq "sources list of a missing directory exits 2" 2 "$rc"

# The analysis prompt on a sample record (a detail record, mapped through fields).
printf '{"full_name":"octo/hello","description":"Hi","stargazers_count":42,"topics":["c"]}' >"$T_DIR/sample.json"
out=$("$CTL" sources check sources/github.yaml --sample "$T_DIR/sample.json" 2>&1); rc=$?
expect_eq "check --sample exits 0" 0 "$rc"
expect_match "the prompt renders the sample's values as JSON" 'Repository: "octo/hello"' "$out"
expect_match "absent fields render as null" "Main language: null" "$out"
out=$("$CTL" sources check sources/github.yaml 2>&1)
expect_match "without --sample the prompt renders a record of nulls" "Stars: null" "$out"

out=$("$CTL" --help)
expect_match "freshetctl --help lists sources" "sources +source files" "$out"
out=$("$CTL" sources check --help); rc=$?
expect_eq "sources check --help exits 0" 0 "$rc"
expect_match "sources check --help names --sample" "--sample" "$out"
"$CTL" sources >/dev/null 2>&1; rc=$?
expect_eq "sources without an action exits 2" 2 "$rc"
"$CTL" sources check >/dev/null 2>&1; rc=$?
expect_eq "sources check without a file exits 2" 2 "$rc"

finish
