#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/debug-kernel.sh - build, once, the debug-tier guest kernel and
# print the directory holding it:
#
#   DIR/vmlinuz            bzImage (Xen PV dom0 and domU)
#   DIR/kver               its release, e.g. 6.12.118-gntv3debug
#   DIR/root/lib/modules/  modules_install output (xen-evtchn, xen-gntdev, ...)
#   DIR/build              the configured and built tree: build gntv3 against
#                          it with "make modules KDIR=DIR/build"
#
# Boot it with GNTV3_VM_KERNEL=DIR (scripts/xenvm.sh).
#
# The kernel is linux-source-6.12 (the Debian package's tarball, installed
# by scripts/deps.sh) with scripts/debug-kernel/*.patch applied, configured
# as x86_64_defconfig + xen.config + scripts/debug-kernel/debug.config:
# KASAN, KFENCE, kmemleak, lockdep, debug objects and fault injection, with
# the drivers a guest under QEMU does not need left out.  Two flavours
# (GNTV3_DEBUG_FLAVOUR):
#   pv   (default) debug.config + pv.config: all of it but KASAN; boots as a
#        PV dom0 and domU, so the suites that map dom0's own grants, the
#        two-domain suite and the soak run on it, on Debian's Xen and on
#        the prototype
#   pvh  debug.config: with KASAN, which boots only as a PVH guest
#        (pvh-kasan.patch says why)
# It is cached outside the clone in $GNTV3_DEBUG_KERNEL_DIR/<key> (default
# /var/cache/gntv3/debug-kernel), <key> = hash of the source package
# version, the compiler, the fragments, the patches and RECIPE_VERSION
# below; a run with the key in place only prints the path (0.2 s).
# Cold, the build takes about 13 min (pv) or 15 min (pvh, KASAN) on an idle
# 2-core machine (Documentation/gntv3/testing.rst has the figures);
# DIR/build-time has the figure of the build at hand.
#
# Environment: GNTV3_DEBUG_FLAVOUR, LINUX_SRC_TAR (another 6.12 tarball),
# JOBS (default 2), GNTV3_DEBUG_KERNEL_DIR.  Progress goes to stderr, the
# log to DIR/build.log.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
TAR=${LINUX_SRC_TAR:-/usr/src/linux-source-6.12.tar.xz}
ROOT=${GNTV3_DEBUG_KERNEL_DIR:-/var/cache/gntv3/debug-kernel}
JOBS=${JOBS:-2}
FRAGS=("$TOP/scripts/debug-kernel/debug.config")
PATCHES=("$TOP"/scripts/debug-kernel/*.patch)
case ${GNTV3_DEBUG_FLAVOUR:-pv} in
pv) FRAGS+=("$TOP/scripts/debug-kernel/pv.config") ;;
pvh) ;;
*) echo "debug-kernel: GNTV3_DEBUG_FLAVOUR is pv or pvh" >&2; exit 1 ;;
esac

log() { echo "debug-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ -r "$TAR" ] || die "$TAR missing: run 'make deps' (package linux-source-6.12)"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[ -n "$srcver" ] && [ "$TAR" = /usr/src/linux-source-6.12.tar.xz ] ||
	srcver=$(stat -c '%s-%Y' "$TAR")
# Bump when the build steps below change what they produce.
# 2: scripts/debug-kernel/*.patch applied (KASAN in a PVH guest).
# (The flavour needs no bump: its fragment is in the key.)
RECIPE_VERSION=2
key=$( { echo "$srcver" "$RECIPE_VERSION"; gcc --version | head -n1; cat "${FRAGS[@]}" "${PATCHES[@]}"; } |
	sha256sum | cut -c1-16)
STATE=$ROOT/$key
KSRC=$STATE/build

mkdir -p "$ROOT"
exec 9>"$ROOT/lock"
if ! flock -n 9; then
	log "waiting for another build in $ROOT"
	flock 9
fi
if [ -e "$STATE/.complete" ]; then
	log "reusing $STATE (linux-source $srcver)"
	echo "$STATE"
	exit 0
fi

t0=$SECONDS
log "building $STATE (linux-source $srcver, -j$JOBS; once per key)"
rm -rf "$STATE"
mkdir -p "$STATE"
tar -xJf "$TAR" -C "$STATE" || die "extracting $TAR failed"
mv "$STATE/linux-source-6.12" "$KSRC"
for p in "${PATCHES[@]}"; do
	patch -p1 -N -s -d "$KSRC" <"$p" >>"$STATE/build.log" 2>&1 ||
		die "${p##*/} does not apply (see $STATE/build.log)"
done

# configure: defconfig, xen.config (both fragments), ours, then resolve
(
	cd "$KSRC"
	make -s x86_64_defconfig
	make -s xen.config
	scripts/kconfig/merge_config.sh -m .config "${FRAGS[@]}"
	make -s olddefconfig
) >>"$STATE/build.log" 2>&1 || die "configuring failed (see $STATE/build.log)"

# Every option the fragments ask for (the last one's word for a symbol
# wins, as in merge_config.sh) must have survived olddefconfig (a missing
# dependency silently drops it).
bad=$(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=\(.*\)$/\1 \2/p' "${FRAGS[@]}" |
	awk '{ v[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; o[n++] = $1 } }
	     END { for (i = 0; i < n; i++) print o[i], v[o[i]] }' | while read -r sym val; do
	case $val in
	n) grep -qE "^$sym=" "$KSRC/.config" && echo "$sym=$val" ;;
	*) grep -qxF "$sym=$val" "$KSRC/.config" || echo "$sym=$val" ;;
	esac
done) || true
[ -z "$bad" ] || die "not in .config as asked (unmet dependencies?): $(echo $bad)"

log "configured in $((SECONDS - t0)) s; compiling"
(
	cd "$KSRC"
	make -j"$JOBS" bzImage modules
	make -s INSTALL_MOD_PATH="$STATE/root" INSTALL_MOD_STRIP=1 modules_install
) >>"$STATE/build.log" 2>&1 || die "build failed (see tail of $STATE/build.log)"

cp "$KSRC/arch/x86/boot/bzImage" "$STATE/vmlinuz"
make -s -C "$KSRC" kernelrelease >"$STATE/kver"
echo "$((SECONDS - t0))" >"$STATE/build-time"
touch "$STATE/.complete"
log "built in $((SECONDS - t0)) s: $STATE ($(cat "$STATE/kver"))"
echo "$STATE"
