#!/bin/bash
# scripts/xen-build.sh - build the gntv3 prototype v3 hypervisor (Debian 12, as root).
#
# Usage:
#   scripts/xen-build.sh           build (or take from the cache); prints the path
#                                  of the hypervisor binary as the last stdout line
#   scripts/xen-build.sh --path    print the path the current series builds to,
#                                  exit 1 if it is not built yet (no network, no build)
#   scripts/xen-build.sh --src     print the patched source tree (for development)
#
# What it does, each step skipped when already done:
#   1. adds a deb-src entry beside Debian's deb one (a separate .sources file)
#      and installs the build dependencies of a hypervisor-only build (bison, flex);
#   2. apt-get source xen=$XEN_SRCVER into the cache and keeps the unpacked,
#      Debian-patched tree as the "base" commit of a git repository there;
#   3. resets that tree to the base commit, applies xen/patches/*.patch with
#      git am, configures it as Debian does (cp debian/xen-kconfig xen/.config;
#      make -C xen olddefconfig) and builds the hypervisor only;
#   4. stores xen/xen (the multiboot ELF that QEMU's -kernel boots, what
#      scripts/xenvm.sh expects; GNTV3_XEN=<path> makes xenvm.sh boot it) as
#      bin/xen-<key>, where <key> hashes the source version, the patch series,
#      the config fragment xen/config (if any), the ABI header (copied into the
#      Xen tree as public/grant_table_v3.h) and this script's recipe version.
#
# A warm run (the key already built) costs nothing: no network, no make.  The
# reset in step 3 only rewrites the files the series touches, so a rebuild
# after editing a patch recompiles only those.
#
# Environment: GNTV3_XEN_CACHE (default /var/cache/gntv3/xen; never inside the
# git clone: the Xen source is not part of this project), GNTV3_XEN_JOBS (2).
#
# The patches are this project's prototype of grant tables v3, not upstream Xen.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
XEN_SRCVER=4.17.5+72-g01140da4e8-1
XCACHE=${GNTV3_XEN_CACHE:-/var/cache/gntv3/xen}
JOBS=${GNTV3_XEN_JOBS:-2}
PATCHDIR=$REPO/xen/patches
FRAGMENT=$REPO/xen/config
ABI_HDR=$REPO/include/xen/interface/grant_table_v3.h
RECIPE=1    # bump when the build commands below change what they produce
export DEBIAN_FRONTEND=noninteractive

log() { echo "xen-build: $*" >&2; }
die() { echo "xen-build: error: $*" >&2; exit 1; }

case $XCACHE in
"$REPO"|"$REPO"/*) die "GNTV3_XEN_CACHE=$XCACHE is inside the clone; use a directory outside it" ;;
esac

series() { find "$PATCHDIR" -maxdepth 1 -name '*.patch' 2>/dev/null | sort; }

build_key() {
    {
        echo "xen $XEN_SRCVER recipe $RECIPE"
        local p
        for p in $(series); do echo "== $(basename "$p")"; cat "$p"; done
        if [ -f "$FRAGMENT" ]; then echo "== config"; cat "$FRAGMENT"; fi
        echo "== abi"; cat "$ABI_HDR"
    } | sha256sum | cut -c1-16
}

KEY=$(build_key)
OUT=$XCACHE/bin/xen-$KEY
SRC=$XCACHE/src

case ${1:-} in
--path) [ -s "$OUT" ] || exit 1; echo "$OUT"; exit 0 ;;
--src) echo "$SRC"; exit 0 ;;
"") ;;
*) die "usage: $0 [--path|--src]" ;;
esac

if [ -s "$OUT" ]; then
    log "cached: $OUT (key $KEY)"
    echo "$OUT"
    exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (apt-get)"
T0=$(date +%s)

# ---------------------------------------------------------------- 1. apt
has_deb_src() {
    grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/
}
if ! has_deb_src; then
    log "adding deb-src for bookworm main (/etc/apt/sources.list.d/gntv3-deb-src.sources)"
    cat >/etc/apt/sources.list.d/gntv3-deb-src.sources <<'EOF'
# added by gntv3 scripts/xen-build.sh: source packages beside the deb entry
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -qq
fi
BUILD_DEPS=(bison flex python3 gcc make dpkg-dev git)
missing=()
for p in "${BUILD_DEPS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- 2. source
mkdir -p "$XCACHE/dl" "$XCACHE/bin"
if [ "$(cat "$SRC/.gntv3-base" 2>/dev/null)" != "$XEN_SRCVER" ]; then
    log "fetching xen $XEN_SRCVER source"
    if ! ls "$XCACHE"/dl/xen_*.dsc >/dev/null 2>&1; then
        (cd "$XCACHE/dl" && apt-get source -qq --download-only \
            -o APT::Sandbox::User=root "xen=$XEN_SRCVER") ||
            die "apt-get source xen=$XEN_SRCVER failed (is the version still served?)"
    fi
    rm -rf "$SRC"
    dpkg-source -x "$XCACHE"/dl/xen_*.dsc "$SRC" >/dev/null
    git -C "$SRC" init -q
    git -C "$SRC" config user.name "gntv3 xen-build"
    git -C "$SRC" config user.email "gntv3@localhost"
    git -C "$SRC" add -A -f
    git -C "$SRC" commit -q -m "xen $XEN_SRCVER (Debian source, Debian patches applied)"
    git -C "$SRC" tag -f base >/dev/null
    echo "$XEN_SRCVER" >"$SRC/.gntv3-base"
fi

# ---------------------------------------------------------------- 3. patch, configure, build
git -C "$SRC" am --abort >/dev/null 2>&1 || true
git -C "$SRC" checkout -q -f -B gntv3-build base
n=0
for p in $(series); do
    git -C "$SRC" am -q --keep-cr "$p" || die "patch $(basename "$p") does not apply"
    n=$((n + 1))
done
log "applied $n patch(es); key $KEY"
# The ABI header has one source, the project's; Xen gets a copy.
sed 's|#include <xen/interface/grant_table.h>|#include "grant_table.h"|' "$ABI_HDR" \
    >"$SRC/xen/include/public/grant_table_v3.h.new"
if ! cmp -s "$SRC/xen/include/public/grant_table_v3.h.new" "$SRC/xen/include/public/grant_table_v3.h"; then
    mv "$SRC/xen/include/public/grant_table_v3.h.new" "$SRC/xen/include/public/grant_table_v3.h"
else
    rm "$SRC/xen/include/public/grant_table_v3.h.new"
fi

cp "$SRC/debian/xen-kconfig" "$SRC/xen/.config.new"
if [ -f "$FRAGMENT" ]; then cat "$FRAGMENT" >>"$SRC/xen/.config.new"; fi
# Keep the old .config (and its mtime) when nothing changed: make stays incremental.
if ! cmp -s "$SRC/xen/.config.new" "$SRC/xen/.config.src" 2>/dev/null; then
    cp "$SRC/xen/.config.new" "$SRC/xen/.config"
    cp "$SRC/xen/.config.new" "$SRC/xen/.config.src"
    make -s -C "$SRC/xen" XEN_TARGET_ARCH=x86_64 olddefconfig >/dev/null
fi
rm -f "$SRC/xen/.config.new"
log "building the hypervisor (make -j$JOBS)"
make -s -C "$SRC/xen" -j"$JOBS" XEN_TARGET_ARCH=x86_64 >"$XCACHE/build.log" 2>&1 ||
    { tail -n 40 "$XCACHE/build.log" >&2; die "build failed, log: $XCACHE/build.log"; }

cp "$SRC/xen/xen" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
ln -sfn "bin/xen-$KEY" "$XCACHE/xen-proto"
log "built $OUT in $(($(date +%s) - T0)) s"
echo "$OUT"
