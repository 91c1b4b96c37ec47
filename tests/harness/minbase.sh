#!/usr/bin/env bash
# minbase.sh [CACHE] — prints the path of a tarball holding a bare Debian 12 root
# (`debootstrap --variant=minbase bookworm`), building it once and reusing it after.
#
# The mirror is the machine's own: the first Debian URI in /etc/apt/sources.list{,.d/*}
# (deb822 "URIs:" or one-line "deb URI bookworm ..."), so whatever this machine reaches
# the root reaches too. The root gets this machine's apt sources, so apt-get inside it
# sees the same archive (security updates included). Used by `make test-fresh` (the
# README's steps in a chroot) and `make test-containers` (the base image).
#
# CACHE defaults to $FRESHET_MINBASE_CACHE, else /var/cache/freshet-test. A build goes
# to a temporary name and is renamed when whole, so an interrupted build is never used.
# Needs root (debootstrap); installs debootstrap from Debian's packages when missing.
# Exits 1 with one line saying why when it cannot build the root.
set -u
CACHE=${1:-${FRESHET_MINBASE_CACHE:-/var/cache/freshet-test}}
TAR=$CACHE/bookworm-minbase.tar

die() { echo "minbase.sh: $*" >&2; exit 1; }

if [ -s "$TAR" ]; then echo "$TAR"; exit 0; fi
[ "$(id -u)" = 0 ] || die "building the Debian root needs root (debootstrap)"

mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $2 !~ /security/ { print $2 }'
}
MIRROR=$(mirror | head -n 1)
[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt/sources.list or sources.list.d"

if ! command -v debootstrap > /dev/null 2>&1; then
    echo "minbase.sh: installing debootstrap" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends debootstrap > /dev/null; } || die "could not install debootstrap"
fi

mkdir -p "$CACHE" || die "cannot create $CACHE"
work=$(mktemp -d "$CACHE/build.XXXXXX") || die "cannot create a build dir in $CACHE"
trap 'rm -rf "$work"' EXIT
echo "minbase.sh: debootstrap --variant=minbase bookworm from $MIRROR (once; about 2 minutes)" >&2
start=$(date +%s)
if ! debootstrap --variant=minbase bookworm "$work/root" "$MIRROR" > "$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    die "debootstrap failed (log above)"
fi
# The machine's own apt sources, so the root reaches exactly what this machine reaches.
rm -f "$work/root/etc/apt/sources.list"
cp -a /etc/apt/sources.list.d/. "$work/root/etc/apt/sources.list.d/" 2>/dev/null
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$work/root/etc/apt/sources.list"
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*_Packages
tar -C "$work/root" -cf "$work/root.tar" . || die "cannot pack the root"
mv "$work/root.tar" "$TAR" || die "cannot write $TAR"
echo "minbase.sh: built $TAR in $(( $(date +%s) - start ))s ($(du -h "$TAR" | cut -f1))" >&2
echo "$TAR"
