#!/usr/bin/env bash
# check.sh [--install] — deploy/k8s against the Kubernetes API schemas and KEDA's fields
# (tests/containers/k8s/validate.js says how). The checker is the npm packages pinned by
# package.json / package-lock.json here (kubernetes-models ships the Kubernetes schemas,
# @kubernetes-models/keda KEDA's CRD, typescript the compiler for the unknown-field check),
# kept in $FRESHET_K8S_TOOL_DIR (default /var/cache/freshet-test/k8s-validate).
#
# Without --install a missing or outdated checker is a "skip" line, never a failure
# (tests/system/deploy.sh calls it so); with --install it runs `npm ci` there first
# (make test-containers). Needs node and npm (Debian: nodejs, npm).
# Prints "ok NAME", "fail NAME<TAB>DETAIL", "skip NAME<TAB>WHY" or "note TEXT" lines.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
TOOL=${FRESHET_K8S_TOOL_DIR:-${FRESHET_MINBASE_CACHE:-/var/cache/freshet-test}/k8s-validate}
NAME="k8s: deploy/k8s against the Kubernetes API schemas and KEDA's documented fields"
install=0
[ "${1:-}" = --install ] && install=1

current() {
    [ -d "$TOOL/node_modules/kubernetes-models" ] && cmp -s "$HERE/package-lock.json" "$TOOL/package-lock.json"
}
if ! command -v node >/dev/null 2>&1; then
    printf 'skip %s\t%s\n' "$NAME" "node not installed (Debian package nodejs)"
    exit 0
fi
if ! current; then
    if [ "$install" = 0 ]; then
        printf 'skip %s\t%s\n' "$NAME" "checker not installed in $TOOL (make test-containers installs it: npm ci of tests/containers/k8s/package.json)"
        exit 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        printf 'skip %s\t%s\n' "$NAME" "npm not installed (Debian package npm)"
        exit 0
    fi
    # Into a new directory, renamed when whole: a failed or concurrent install is never used.
    parent=$(dirname "$TOOL")
    mkdir -p "$parent" || exit 1
    new=$(mktemp -d "$parent/.k8s-validate.XXXXXX") || exit 1
    cp "$HERE/package.json" "$HERE/package-lock.json" "$new/"
    if ! (cd "$new" && npm ci --no-audit --no-fund --silent) >"$new/install.log" 2>&1; then
        printf 'fail %s\t%s\n' "install the checker (npm ci in $TOOL)" "$(tail -n 10 "$new/install.log" | tr '\n' '\v')"
        rm -rf "$new"
        exit 0
    fi
    rm -rf "$TOOL.old"
    [ -e "$TOOL" ] && mv "$TOOL" "$TOOL.old"
    mv "$new" "$TOOL" && rm -rf "$TOOL.old"
    echo "note installed the checker in $TOOL (npm ci)"
fi
node "$HERE/validate.js" "$TOOL" "$ROOT/deploy/k8s" 2>&1 || printf 'fail %s\t%s\n' "$NAME" "validate.js exited $?"
