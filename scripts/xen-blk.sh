#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/xen-blk.sh series|build - Linux's own xen-blkfront and
# xen-blkback on gntv3 (patches/xen-blk/, Documentation/gntv3/blk.rst).
#
#   series  print the series as one mbox on stdout, for "git am" in a
#           Linux tree of that series (6.12 or 6.1) that has gntv3
#           (scripts/intree/)
#   build   take drivers/block/xen-blkfront.c, drivers/block/xen-blkback/
#           and drivers/block/Kconfig from linux-source-<series>, "git am"
#           the series on them (each patch must apply), checkpatch --strict
#           every patch, and build xen-blkfront.ko and xen-blkback.ko
#           against that series' Debian headers with gntv3's
#           Module.symvers (make modules first) into $GNTV3_BUILD/xen-blk/.
#           The extracted source is cached in
#           /var/cache/gntv3/xen-blk-src/<key>.  XEN_BLK_EACH=1 also builds
#           the tree after every patch, so that each patch is shown to
#           build on its own.
#
# GNTV3_KERNEL picks the series: 6.12 (default) takes patches/xen-blk/,
# 6.1 (Debian 12's own kernel) patches/xen-blk-6.1/, the same four
# patches rebased on linux-source-6.1.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
SERIES=${GNTV3_KERNEL:-6.12}
case $SERIES in
6.12) CACHE=${GNTV3_CACHE:-$TOP/.cache}; PDIR=$TOP/patches/xen-blk ;;
6.1) CACHE=${GNTV3_CACHE:-$TOP/.cache/linux-6.1}; PDIR=$TOP/patches/xen-blk-6.1 ;;
*) echo "xen-blk: GNTV3_KERNEL must be 6.12 or 6.1, not '$SERIES'" >&2; exit 2 ;;
esac
KV=$(cat "$CACHE/kver")
KDIR=${KDIR:-/usr/src/linux-headers-$KV}
TARBALL=/usr/src/linux-source-$SERIES.tar.xz
OUT=${XEN_BLK_OUT:-${GNTV3_BUILD:-$TOP/build}/xen-blk}
PATCHES=$(ls "$PDIR"/*.patch)
# checkpatch.pl and its data files come from linux-source-6.12 (deps.sh)
CHECKPATCH=$TOP/.cache/linux-scripts/checkpatch.pl
ID=(-c user.name="gntv3 dev" -c user.email=dev@gntv3.invalid)

case ${1:-} in
series)
	cat $PATCHES
	exit 0
	;;
build) ;;
*) echo "usage: $0 series|build" >&2; exit 2 ;;
esac

# pristine files, keyed by the tarball
[ -r "$TARBALL" ] || { echo "xen-blk: $TARBALL missing (package linux-source-$SERIES: make deps)" >&2; exit 2; }
key=$(stat -c '%s %Y' "$TARBALL" | sha256sum | cut -c1-16)
SRC=/var/cache/gntv3/xen-blk-src/$key
if [ ! -f "$SRC/done" ]; then
	mkdir -p "$SRC"
	tar -xJf "$TARBALL" -C "$SRC" --strip-components=1 \
		linux-source-$SERIES/drivers/block/Kconfig \
		linux-source-$SERIES/drivers/block/xen-blkfront.c \
		linux-source-$SERIES/drivers/block/xen-blkback
	touch "$SRC/done"
fi

rm -rf "$OUT"
mkdir -p "$OUT/src"
cp -a "$SRC/drivers" "$OUT/src/"
cd "$OUT/src"
git init -q .
git add -A
git "${ID[@]}" commit -qm "linux-source-$SERIES (pristine)"
# Out of tree: this Kbuild stands in for .config (CONFIG_XEN_GNTV3=m) and
# for the kernel's include/ (the project's headers after the kernel's).
cat >Kbuild <<KB
subdir-ccflags-y += -DCONFIG_XEN_GNTV3_MODULE=1 -I$TOP/include
obj-m += drivers/block/xen-blkfront.o
obj-m += drivers/block/xen-blkback/
KB
[ -s "$TOP/Module.symvers" ] || { echo "xen-blk: no Module.symvers: run 'make modules' first" >&2; exit 2; }
kbuild() {
	make -s -C "$KDIR" M="$OUT/src" KBUILD_EXTRA_SYMBOLS="$TOP/Module.symvers" \
		CONFIG_XEN_BLKDEV_BACKEND=m W=1 -j2 modules 2>&1 | tee "$OUT/build.log"
	# W=1: the patched files must add no warning of their own
	! grep -E 'warning:|error:' "$OUT/build.log" >/dev/null ||
		{ echo "xen-blk: the build warns ($OUT/build.log)" >&2; exit 1; }
}
for p in $PATCHES; do
	git "${ID[@]}" am -q "$p" || { echo "xen-blk: $(basename "$p") does not apply" >&2; exit 1; }
	perl "$CHECKPATCH" --strict --no-tree -q "$p" ||
		{ echo "xen-blk: checkpatch: $(basename "$p")" >&2; exit 1; }
	if [ "${XEN_BLK_EACH:-0}" = 1 ]; then
		kbuild
		echo "xen-blk: builds after $(basename "$p")"
	fi
done
[ "${XEN_BLK_EACH:-0}" = 1 ] || kbuild
cp drivers/block/xen-blkfront.ko drivers/block/xen-blkback/xen-blkback.ko "$OUT/"
echo "xen-blk: $(echo "$PATCHES" | wc -l) patches (${PDIR#"$TOP"/}) applied to linux-source-$SERIES, checkpatch clean; built $OUT/xen-blkfront.ko $OUT/xen-blkback.ko"
