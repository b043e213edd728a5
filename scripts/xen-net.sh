#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/xen-net.sh - the gntv3 patch series for Linux's xen-netfront and
# xen-netback (patches/xen-net/*.patch, "git am" format), written against
# 6.12; it applies unchanged (offsets only) to Debian 12's 6.1, which
# GNTV3_KERNEL=6.1 builds against.
#
#   scripts/xen-net.sh series   write the series as one mbox,
#                               $GNTV3_BUILD/xen-net/series.mbox, for
#                               "git am" in a linux-6.12 tree
#   scripts/xen-net.sh build    apply the series to the drivers of
#                               linux-source-<series> and build
#                               xen-netfront.ko and xen-netback.ko against
#                               that series' Debian headers with gntv3's
#                               Module.symvers (make modules first) into
#                               $GNTV3_BUILD/xen-net/ (default build/)
#   scripts/xen-net.sh check    every prefix of the series builds with
#                               W=1 and no warning the pristine drivers do
#                               not have, every patch passes checkpatch
#                               --strict (FILE_PATH_CHANGES, the MAINTAINERS
#                               reminder for a new file, ignored):
#                               "xen-net: build|checkpatch NAME ok|FAIL"
#
# The pristine drivers come from /usr/src/linux-source-<series>.tar.xz,
# extracted once into /var/cache/gntv3/xen-net/<key>/ (key: the package
# and its version).  Environment: GNTV3_KERNEL (6.12, the default, or
# 6.1), KDIR (default: the installed headers of that series),
# GNTV3_XEN_NET_CACHE (default /var/cache/gntv3/xen-net).
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
SERIES=${GNTV3_KERNEL:-6.12}
case $SERIES in
6.12) KCACHE=$TOP/.cache ;;
6.1) KCACHE=$TOP/.cache/linux-6.1 ;;
*) echo "xen-net: GNTV3_KERNEL must be 6.12 or 6.1, not '$SERIES'" >&2; exit 2 ;;
esac
OUT=${GNTV3_BUILD:-$TOP/build}/xen-net
PATCHES=$TOP/patches/xen-net
CACHE=${GNTV3_XEN_NET_CACHE:-/var/cache/gntv3/xen-net}
SRCPKG=linux-source-$SERIES
TAR=/usr/src/$SRCPKG.tar.xz
FILES="drivers/net/xen-netfront.c drivers/net/xen-netback"
KV=$(cat "$KCACHE/kver" 2>/dev/null || true)
KDIR=${KDIR:-/lib/modules/$KV/build}
[ -d "$KDIR" ] || KDIR=/usr/src/linux-headers-$KV

die() { echo "xen-net: $*" >&2; exit 1; }

# pristine: the drivers as linux-source-<series> ships them; prints the dir
pristine() {
	local ver key dir
	ver=$(dpkg-query -W -f='${Version}' "$SRCPKG" 2>/dev/null) ||
		die "$SRCPKG not installed (make deps)"
	key=$(printf '%s\n' "$SRCPKG" "$ver" $FILES | sha256sum | cut -c1-16)
	dir=$CACHE/$key
	if [ ! -e "$dir/.complete" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		# shellcheck disable=SC2086 # the file list
		tar -xJf "$TAR" -C "$dir" --strip-components=1 \
			$(for f in $FILES; do echo "$SRCPKG/$f"; done) ||
			die "extracting $TAR failed"
		echo "$ver" >"$dir/.complete"
	fi
	echo "$dir"
}

# tree DIR [N]: a git tree of the pristine drivers with the first N
# patches (all by default) applied by git am
tree() {
	local dir=$1 n=${2:-999} src p i=0
	src=$(pristine)
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$src/drivers" "$dir/"
	git -C "$dir" init -q
	git -C "$dir" add -A
	git -C "$dir" -c user.name=gntv3 -c user.email=gntv3@invalid commit -qm pristine
	for p in "$PATCHES"/*.patch; do
		[ -e "$p" ] || break
		i=$((i + 1))
		[ "$i" -le "$n" ] || break
		git -C "$dir" -c user.name=gntv3 -c user.email=gntv3@invalid am -q "$p" ||
			die "$(basename "$p") does not apply"
	done
}

# kbuild DIR [W=1]: build the modules in DIR
kbuild() {
	local dir=$1
	shift
	[ -s "$TOP/build/module/Module.symvers" ] || [ -s "$TOP/Module.symvers" ] ||
		die "gntv3's Module.symvers missing: run 'make modules' first"
	cp "$TOP/scripts/xen-net/Kbuild" "$dir/Kbuild"
	make -s -C "$KDIR" M="$dir" GNTV3_TOP="$TOP" \
		KBUILD_EXTRA_SYMBOLS="$TOP/Module.symvers" "$@" modules
}

cmd_series() {
	mkdir -p "$OUT"
	cat "$PATCHES"/*.patch >"$OUT/series.mbox"
	echo "xen-net: $(ls "$PATCHES"/*.patch | wc -l) patches in ${OUT#"$TOP"/}/series.mbox (git am build/xen-net/series.mbox)"
}

cmd_build() {
	tree "$OUT/src"
	kbuild "$OUT/src" -j2
	cp "$OUT/src/drivers/net/xen-netfront.ko" "$OUT/src/drivers/net/xen-netback/xen-netback.ko" "$OUT/"
	echo "xen-net: built ${OUT#"$TOP"/}/xen-netfront.ko and xen-netback.ko"
}

# warnings LOG: the W=1 warnings of a build log, without line numbers and
# build paths, so that the pristine drivers' own warnings can be told apart
warnings() {
	sed -nE 's|^.*/(drivers/net/[^:]*):[0-9]+:[0-9]+: warning: |\1: |p' "$1" | sort -u
}

cmd_check() {
	local n i p log rc=0 cp new
	cp=$(ls "$TOP"/.cache/linux-scripts/checkpatch.pl 2>/dev/null || true)
	n=$(ls "$PATCHES"/*.patch | wc -l)
	mkdir -p "$OUT"
	# Debian's drivers are not W=1 clean: only new warnings count
	(tree "$OUT/check" 0 && kbuild "$OUT/check" W=1 -j2) >"$OUT/check-0.log" 2>&1 ||
		die "the pristine drivers do not build (build/xen-net/check-0.log)"
	warnings "$OUT/check-0.log" >"$OUT/check-0.warnings"
	for i in $(seq 1 "$n"); do
		p=$(ls "$PATCHES"/*.patch | sed -n "${i}p")
		log=$OUT/check-$i.log
		if (tree "$OUT/check" "$i" && kbuild "$OUT/check" W=1 -j2) >"$log" 2>&1; then
			new=$(warnings "$log" | comm -23 - "$OUT/check-0.warnings")
			if [ -z "$new" ]; then
				echo "xen-net: build $(basename "$p") ok"
			else
				echo "xen-net: build $(basename "$p") FAIL (new W=1 warnings, ${log#"$TOP"/})"
				echo "$new" | sed 's/^/  /'
				rc=1
			fi
		else
			echo "xen-net: build $(basename "$p") FAIL (${log#"$TOP"/})"
			rc=1
		fi
		if [ -z "$cp" ]; then
			echo "xen-net: checkpatch $(basename "$p") FAIL (no .cache/linux-scripts/checkpatch.pl)"
			rc=1
		elif (cd "$OUT" && "$cp" --strict --no-tree -q --ignore FILE_PATH_CHANGES "$p") >"$log.checkpatch" 2>&1; then
			echo "xen-net: checkpatch $(basename "$p") ok"
		else
			echo "xen-net: checkpatch $(basename "$p") FAIL (${log#"$TOP"/}.checkpatch)"
			rc=1
		fi
	done
	return $rc
}

case ${1:-} in
series) cmd_series ;;
build) cmd_build ;;
check) cmd_check ;;
*) echo "usage: $0 series|build|check" >&2; exit 2 ;;
esac
