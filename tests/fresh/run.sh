#!/usr/bin/env bash
# run.sh — `make test-fresh`: the README's first steps, literally, on a bare Debian 12.
#
# Takes the bare root from tests/harness/minbase.sh (debootstrap --variant=minbase
# bookworm, built once and cached), unpacks a new copy, copies this checkout into it
# (tracked and untracked-but-not-ignored files: what a clone plus your edits holds) and
# runs, as root in a chroot, each command of the README block between the
# `fresh-steps` markers: the first command in /root; `git clone ... DIR && cd DIR` puts
# the checkout at /root/DIR instead of cloning (nothing outside reaches this repository)
# and later commands run there. /proc, /sys, /dev, /dev/pts and /dev/shm are mounted
# and always unmounted afterwards, even on failure or Ctrl-C; processes left in the root
# are killed first. Prints each step's result and time, and every 30 s where a long one
# is; a failed step's last lines. Ends with "N passed, N failed" (one per step).
#
# Environment: FRESHET_MINBASE_CACHE (where the root tarball, the apt cache and the
# logs live; default /var/cache/freshet-test), FRESHET_FRESH_KEEP=1 keeps the unpacked
# root, FRESHET_FRESH_TIMEOUT a step's limit in seconds (default 3600).
# Needs root. Exit status: 0 every step passed, 1 a step failed, 2 it could not start.
# shellcheck disable=SC2317 # cleanup is reached through a trap
set -u
cd "$(dirname "$0")/../.." || exit 2
SRC=$PWD
CACHE=${FRESHET_MINBASE_CACHE:-/var/cache/freshet-test}
STEP_TIMEOUT=${FRESHET_FRESH_TIMEOUT:-3600}

die() { echo "test-fresh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (chroot, mount); run it as root"

# The README's steps: the commands between the markers, comments and blank lines dropped.
steps() {
    sed -n '/<!-- fresh-steps -->/,/<!-- \/fresh-steps -->/p' README.md |
        grep -v '^<!--' | grep -v '^[[:space:]]*#' | grep -v '^```' |
        sed 's/[[:space:]]#.*$//; s/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$'
}
mapfile -t STEPS < <(steps)
[ ${#STEPS[@]} -gt 0 ] || die "README.md has no commands between <!-- fresh-steps --> and <!-- /fresh-steps -->"

TAR=$(bash tests/harness/minbase.sh "$CACHE") || die "no Debian root (see above)"
LOGS=$CACHE/fresh-logs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$LOGS" "$CACHE/apt-archives/partial" || die "cannot create $LOGS"
ROOT=$(mktemp -d "$CACHE/fresh-root.XXXXXX") || die "cannot create a root in $CACHE"
MOUNTS=()

# Kill what still runs inside the root, then unmount in reverse order; the root is
# removed only when nothing is mounted below it any more (and never across filesystems).
cleanup() {
    trap '' INT TERM HUP
    local p i m left
    for i in 1 2 3; do
        left=
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] || continue
            left="$left ${p#/proc/}"
            kill -KILL "${p#/proc/}" 2>/dev/null
        done
        [ -z "$left" ] && break
        echo "test-fresh: killed processes left in the root:$left"
        sleep 1
    done
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        m=${MOUNTS[i]}
        umount "$m" 2>/dev/null || umount -l "$m" || echo "test-fresh: could not unmount $m"
    done
    if grep -q " $ROOT/" /proc/mounts; then
        echo "test-fresh: mounts remain under $ROOT; it is left in place"
        grep " $ROOT/" /proc/mounts
    elif [ "${FRESHET_FRESH_KEEP:-0}" = 1 ]; then
        echo "test-fresh: the root is kept in $ROOT"
    else
        rm -rf --one-file-system "$ROOT"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mnt() { # mnt TYPE-OR-bind SOURCE TARGET-INSIDE-ROOT
    local target=$ROOT$3
    mkdir -p "$target"
    if [ "$1" = bind ]; then mount --bind "$2" "$target"; else mount -t "$1" "$2" "$target"; fi ||
        die "cannot mount $2 on $target"
    MOUNTS+=("$target")
}

t0=$(date +%s)
tar -C "$ROOT" -xf "$TAR" || die "cannot unpack $TAR"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
mnt proc proc /proc
mnt sysfs sys /sys
mnt bind /dev /dev
mnt devpts devpts /dev/pts
mnt tmpfs tmpfs /dev/shm
# Downloaded packages are kept between runs (the same .debs a new machine would fetch).
mnt bind "$CACHE/apt-archives" /var/cache/apt/archives
echo "test-fresh: a bare Debian 12 root in $ROOT (unpacked in $(( $(date +%s) - t0 ))s); logs in $LOGS"

# Copy the checkout to /root/$1 the way a clone would hold it (plus uncommitted edits).
place_checkout() {
    local dest=$ROOT/root/$1
    mkdir -p "$dest" || return 1
    git -C "$SRC" ls-files -z --cached --others --exclude-standard |
        tar -C "$SRC" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$dest" -xf - &&
        cp -a "$SRC/.git" "$dest/.git"
}

# Run one step in the chroot, its output to a log; a line every 30 s while it runs.
run_step() {
    local n=$1 cmd=$2 dir=$3 log=$LOGS/step-$1.log pid s=0
    chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        timeout "$STEP_TIMEOUT" bash -c "cd $dir && $cmd" < /dev/null > "$log" 2>&1 &
    pid=$!
    while ! wait_step "$pid" 30; do
        s=$((s + 30))
        printf '  ... %dm%02ds: %s\n' $((s / 60)) $((s % 60)) "$(tail -n 1 "$log" | cut -c1-110)"
    done
    wait "$pid"
}
# wait_step PID SECS: true once PID has ended, false after SECS.
wait_step() { local i; for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

passed=0 failed=0 dir=/root
declare -a RESULTS
for ((i = 0; i < ${#STEPS[@]}; i++)); do
    cmd=${STEPS[i]} n=$((i + 1))
    echo "== step $n: $cmd"
    s0=$(date +%s)
    if [[ $cmd =~ ^git\ clone\ .*\ ([A-Za-z0-9._-]+)\ \&\&\ cd\ ([A-Za-z0-9._-]+)$ ]]; then
        echo "   (the checkout is copied to /root/${BASH_REMATCH[1]} instead of cloned)"
        place_checkout "${BASH_REMATCH[1]}" > "$LOGS/step-$n.log" 2>&1
        rc=$?
        dir=/root/${BASH_REMATCH[2]}
    else
        run_step "$n" "$cmd" "$dir"
        rc=$?
    fi
    secs=$(( $(date +%s) - s0 ))
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1)); verdict=ok
        tail -n 1 "$LOGS/step-$n.log" | sed 's/^/   last line: /'
    else
        failed=$((failed + 1)); verdict="FAILED (exit $rc)"
        echo "   --- last 60 lines of $LOGS/step-$n.log:"
        tail -n 60 "$LOGS/step-$n.log" | sed 's/^/   | /'
    fi
    RESULTS+=("$(printf '%-9s %5ds  %s' "$verdict" "$secs" "$cmd")")
    echo "   $verdict after ${secs}s"
    [ "$rc" = 0 ] || break
done
for ((j = i + 1; j < ${#STEPS[@]}; j++)); do RESULTS+=("$(printf '%-9s %5s   %s' "not run" - "${STEPS[j]}")"); done

echo
echo "test-fresh: the README's steps on a bare Debian 12 (chroot), $(( $(date +%s) - t0 ))s in all:"
printf '  %s\n' "${RESULTS[@]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
