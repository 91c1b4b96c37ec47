#!/bin/sh
# install-deps.sh — installs, from Debian's packages only, what building, testing and
# running freshet needs and is missing. Idempotent: a second run installs nothing and
# says so. As root it runs apt-get; otherwise it uses sudo when present, else prints
# the exact command to run and exits 2.
#
# Usage: deploy/install-deps.sh [--check] [--runtime]
#   --check    only report what is missing (exit 1 if anything is)
#   --runtime  only what the binaries need at run time (for slim images)
set -eu

BUILD_PKGS="build-essential pkg-config libhiredis-dev libcurl4-openssl-dev libpq-dev
libjansson-dev libevent-dev zlib1g-dev libyaml-dev"
SERVICE_PKGS="redis-server redis-tools postgresql postgresql-client"
TEST_PKGS="libcriterion-dev clang libclang-rt-14-dev valgrind curl procps util-linux
shellcheck time docker-compose yamllint prometheus python3 python3-yaml binutils git jq
podman runc debootstrap nodejs"
RUNTIME_PKGS="libhiredis0.14 libcurl4 libpq5 libjansson4 libevent-2.1-7 zlib1g libyaml-0-2 ca-certificates"

check_only=0
pkgs="$BUILD_PKGS $SERVICE_PKGS $TEST_PKGS"
for arg in "$@"; do
    case "$arg" in
    --check) check_only=1 ;;
    --runtime) pkgs="$RUNTIME_PKGS" ;;
    -h | --help)
        sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install-deps.sh: unknown argument '$arg' (see --help)" >&2
        exit 2
        ;;
    esac
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps.sh: this script needs a Debian-based system (apt-get, dpkg-query)" >&2
    exit 2
fi

missing=""
for p in $pkgs; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "install-deps: all $(echo $pkgs | wc -w) packages already installed, nothing to do"
    exit 0
fi
echo "install-deps: missing:$missing"
[ "$check_only" -eq 1 ] && exit 1

cmd="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ]; then
    sh -c "$cmd"
elif command -v sudo >/dev/null 2>&1; then
    sudo sh -c "$cmd"
else
    echo "install-deps: not root and no sudo; run this as root:" >&2
    echo "  $cmd" >&2
    exit 2
fi

# Debian starts the packaged servers; freshet's demo and tests run their own private
# ones, so the packaged ones are left alone (not stopped: they may be someone's).
echo "install-deps: installed:$missing"
