#!/bin/bash
# scripts/deps.sh - host setup for the gntv3 Xen VM test bench (Debian 12, run as root).
#
# Idempotent. It does two things:
#   1. installs the host packages: QEMU, the build tools, and the headers of the
#      kernel that the guests boot (linux-headers-$KV);
#   2. fills the cache directory ${GNTV3_CACHE:-<repo>/.cache} with the guest pieces:
#        kver                 the kernel ABI string KV (e.g. 6.12.117+deb12-amd64)
#        xen                  Xen 4.17 hypervisor, decompressed (multiboot ELF for qemu -kernel)
#        vmlinuz              the dom0/domU kernel, same KV as the headers
#        root/                dpkg -x of Xen, kernel image, busybox-static, xl toolstack + libs
#        kselftest/           kselftest.h, kselftest_harness.h, lib.mk (linux-source-6.12)
#        linux-scripts/       checkpatch.pl + spelling.txt + const_structs.checkpatch,
#                             kernel-doc (Documentation/gntv3/api.rst is generated with it)
#      Guest packages are only unpacked, never installed on the host.
#      linux-source-6.12 is installed on the host: its tarball
#      (/usr/src/linux-source-6.12.tar.xz) gives the files above and is the
#      kernel that scripts/intree-check.sh builds gntv3 in (with flex, bison,
#      bc, libelf-dev and libssl-dev, which a kernel's "make prepare" needs).
#
# When everything is already in place it finishes in about a second without
# touching the network. KV is never hard-coded: bookworm-security replaces
# linux-image-6.12.* and old .debs disappear from the archive, so it is resolved
# through the linux-image-6.12-amd64 metapackage.
#
# GNTV3_KERNEL=6.1 sets up Debian 12's own kernel instead (resolved through
# linux-image-amd64), with its own cache, <repo>/.cache/linux-6.1 by default
# (the Makefile passes it as GNTV3_CACHE); 6.12 is the default.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
KSERIES=${GNTV3_KERNEL:-6.12}
case $KSERIES in
6.12) META=linux-image-6.12-amd64; CACHE=${GNTV3_CACHE:-$REPO/.cache} ;;
6.1) META=linux-image-amd64; CACHE=${GNTV3_CACHE:-$REPO/.cache/linux-6.1} ;;
*) echo "deps: error: GNTV3_KERNEL must be 6.12 or 6.1, not '$KSERIES'" >&2; exit 2 ;;
esac
XENVER=4.17
export DEBIAN_FRONTEND=noninteractive

log() { echo "deps: $*"; }
die() { echo "deps: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get install, dpkg -x of setuid files)"

# Host packages without the kernel-version dependent one.
HOST_PKGS=(qemu-system-x86 make gcc libc6-dev cpio gzip xz-utils sparse python3-docutils perl
    linux-source-6.12 flex bison bc libelf-dev libssl-dev)
SRC_TAR=/usr/src/linux-source-6.12.tar.xz
# The real block drivers' 6.1 series (patches/xen-blk-6.1) is applied to
# Debian 12's own kernel source.
[ "$KSERIES" = 6.12 ] || HOST_PKGS+=("linux-source-$KSERIES")
# Guest packages unpacked into $CACHE/root (linux-image-$KV is added at run time).
GUEST_PKGS=("xen-hypervisor-$XENVER-amd64" busybox-static "xen-utils-$XENVER" xenstore-utils
    libxenstore4 libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1
    "libxenmisc$XENVER" libxentoollog1 libxentoolcore1 libxenhypfs1 libxendevicemodel1 libyajl2)
# apt-get download as root into a directory the _apt user cannot reach prints a
# harmless "Download is performed unsandboxed" warning; downloading as root is fine.
APT_DL=(apt-get download -qq -o APT::Sandbox::User=root)
# Members of the linux-source tarball that we keep: "tarball path -> cache path".
SRC_FILES="tools/testing/selftests/kselftest.h:kselftest/kselftest.h
tools/testing/selftests/kselftest_harness.h:kselftest/kselftest_harness.h
tools/testing/selftests/lib.mk:kselftest/lib.mk
scripts/checkpatch.pl:linux-scripts/checkpatch.pl
scripts/spelling.txt:linux-scripts/spelling.txt
scripts/const_structs.checkpatch:linux-scripts/const_structs.checkpatch
scripts/kernel-doc:linux-scripts/kernel-doc
Documentation/dev-tools/checkpatch.rst:Documentation/dev-tools/checkpatch.rst"
# (checkpatch.pl reads $D/spelling.txt and $D/const_structs.checkpatch, and for
#  --verbose $D/../Documentation/dev-tools/checkpatch.rst; with --no-tree nothing else.)

# resolve_kv: KV behind $META (of the $KSERIES series), from the local apt lists
# (no network). Prints nothing if the lists are missing or stale.
resolve_kv() {
    apt-cache depends "$META" 2>/dev/null |
        sed -n "s/^ *Depends: linux-image-\(${KSERIES//./\\.}\.[^ ]*-amd64\)\$/\1/p" | head -n1
}

# missing_pkgs PKG...: the packages that are not fully installed.
missing_pkgs() {
    local installed p
    # one dpkg-query for all (unknown names only give an error on stderr)
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null |
        awk '$2 == "installed" { print $1 }' || true)
    for p in "$@"; do
        grep -qxF "$p" <<<"$installed" || echo "$p"
    done
}

# cache_ok KV: the cache holds every artefact, for this KV.
cache_ok() {
    local f
    [ "$(cat "$CACHE/kver" 2>/dev/null)" = "$1" ] || return 1
    [ -s "$CACHE/xen" ] && [ -s "$CACHE/vmlinuz" ] || return 1
    # root/ is complete only when the stamp written after the last dpkg -x matches.
    [ "$(cat "$CACHE/root/.complete" 2>/dev/null)" = "$1" ] || return 1
    while IFS=: read -r _ f; do [ -s "$CACHE/$f" ] || return 1; done <<<"$SRC_FILES"
}

src_ok() {
    local f
    while IFS=: read -r _ f; do [ -s "$CACHE/$f" ] || return 1; done <<<"$SRC_FILES"
}

# ---------------------------------------------------------------- fast path
KV=$(resolve_kv)
if [ -n "$KV" ] && [ -z "$(missing_pkgs "${HOST_PKGS[@]}" "linux-headers-$KV")" ] && cache_ok "$KV"; then
    log "host packages and cache ($CACHE, kernel $KV) already complete; nothing to do"
    exit 0
fi

# ---------------------------------------------------------------- apt
t0=$SECONDS
log "apt-get update"
apt-get update -qq
KV=$(resolve_kv)
[ -n "$KV" ] || die "cannot resolve the $KSERIES kernel behind $META (is bookworm-security in sources.list?)"
log "kernel ABI: $KV (from $META)"

# linux-headers-$KV depends on linux-image-$KV, so apt installs the image on the
# host too (about a minute with its initramfs hook); the guests do not use it.
missing=$(missing_pkgs "${HOST_PKGS[@]}" "linux-headers-$KV")
if [ -n "$missing" ]; then
    log "installing: $(tr '\n' ' ' <<<"$missing")"
    # shellcheck disable=SC2086 # word splitting of the package list is wanted
    apt-get install -y -qq --no-install-recommends $missing </dev/null >/dev/null
else
    log "host packages already installed"
fi

# ---------------------------------------------------------------- cache
mkdir -p "$CACHE"
# A different kernel than the cached one invalidates the guest pieces.
if [ "$(cat "$CACHE/kver" 2>/dev/null)" != "$KV" ]; then
    rm -rf "$CACHE/root" "$CACHE/xen" "$CACHE/vmlinuz"
    echo "$KV" >"$CACHE/kver"
fi

# Downloads go to a private directory under the cache; removed on exit.
DL=$(mktemp -d "$CACHE/dl.XXXXXX")
trap 'rm -rf "$DL"' EXIT

if [ "$(cat "$CACHE/root/.complete" 2>/dev/null)" != "$KV" ] || [ ! -s "$CACHE/xen" ] || [ ! -s "$CACHE/vmlinuz" ]; then
    log "downloading guest packages (~125 MB)"
    (cd "$DL" && "${APT_DL[@]}" "${GUEST_PKGS[@]}" "linux-image-$KV" </dev/null)
    rm -rf "$CACHE/root" "$CACHE/root.tmp"
    mkdir -p "$CACHE/root.tmp"
    for d in "$DL"/*.deb; do dpkg -x "$d" "$CACHE/root.tmp"; done
    rm -f "$DL"/*.deb
    echo "$KV" >"$CACHE/root.tmp/.complete"
    mv "$CACHE/root.tmp" "$CACHE/root"
    zcat "$CACHE/root/boot/xen-$XENVER-amd64.gz" >"$CACHE/xen.tmp"    # 32-bit multiboot ELF
    mv "$CACHE/xen.tmp" "$CACHE/xen"
    cp "$CACHE/root/boot/vmlinuz-$KV" "$CACHE/vmlinuz.tmp"
    mv "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
    log "unpacked guest packages into $CACHE/root"
else
    log "guest packages already unpacked"
fi

# kselftest headers, lib.mk and checkpatch are only in the full kernel source
# (linux-source-6.12, installed above); keep only the few files listed in
# SRC_FILES. Independent of KV (same 6.12 branch).
if ! src_ok; then
    log "extracting kselftest headers and checkpatch from $SRC_TAR"
    [ -s "$SRC_TAR" ] || die "$SRC_TAR missing (package linux-source-6.12)"
    members=()
    while IFS=: read -r src _; do members+=("linux-source-6.12/$src"); done <<<"$SRC_FILES"
    mkdir -p "$DL/src"
    tar -xJf "$SRC_TAR" -C "$DL/src" "${members[@]}"
    while IFS=: read -r src dst; do
        mkdir -p "$(dirname "$CACHE/$dst")"
        install -m "$([ "${dst##*.}" = pl ] && echo 755 || echo 644)" \
            "$DL/src/linux-source-6.12/$src" "$CACHE/$dst"
    done <<<"$SRC_FILES"
    log "extracted kselftest headers and checkpatch into $CACHE"
else
    log "kselftest headers and checkpatch already extracted"
fi

cache_ok "$KV" || die "cache is still incomplete after setup (bug)"
log "done in $((SECONDS - t0)) s: kernel $KV, cache $CACHE"
