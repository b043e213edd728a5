#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make intree-check: gntv3 applies to Linux 6.12 as-is and builds there with
# W=1 and no warning.  Each step is reported as "intree: NAME ok|FAIL":
#   hunks     scripts/intree/*.patch apply to the pristine drivers/xen and
#             drivers/block Kconfig/Makefile
#   config    x86_64_defconfig + kernel/configs/xen.config + every option
#             declared in the project's Kconfig files (tristate =m, bool =y)
#             ends up in .config as asked
#   kbuild-options  the out-of-tree build (./Kbuild) sets the same options
#   build-w1  "make W=1 drivers/xen/gntv3/ drivers/block/gntv3/" in that
#             tree: every object built, no warning, no error
#   series, patch-NN  the "make patches" series applies with git am, is
#             checkpatch-clean and builds after every patch
#             (scripts/patches-check.sh)
#
# The kernel is the linux-source-6.12 package's tarball
# (/usr/src/linux-source-6.12.tar.xz, installed by scripts/deps.sh).  It is
# extracted, configured and prepared ("make modules_prepare") once, in
# $GNTV3_CACHE/intree/<key>/ (outside the clone), where <key> is the source
# package version plus a hash of the base configuration; a run with that
# tree in place only overlays the project's files and compiles gntv3.
# Every run first undoes the previous run's overlay (files recorded in
# .gntv3-overlay), so runs from different clones sharing the cache see only
# their own files; a lock serialises them.
#
# Environment: GNTV3_CACHE, LINUX_SRC_TAR (another 6.12 tarball), JOBS
# (default 2).  Logs: build/intree/.
set -uo pipefail

cd "$(dirname "$0")/.." || exit
TOP=$PWD
CACHE=${GNTV3_CACHE:-$TOP/.cache}
TAR=${LINUX_SRC_TAR:-/usr/src/linux-source-6.12.tar.xz}
JOBS=${JOBS:-2}
OUT=$TOP/build/intree
# The directories the overlay builds; the project's other files under
# drivers/, include/ and Documentation/ are copied too.
DIRS="drivers/xen/gntv3/ drivers/block/gntv3/"
# The prepared tree depends on this recipe: change BASE_VERSION when the
# preparation below changes.
BASE_VERSION=1
BASE_CONFIGS="x86_64_defconfig xen.config"
mkdir -p "$OUT"
rc=0

report() {	# report NAME STATUS [DETAIL]
	if [ "$2" -eq 0 ]; then
		echo "intree: $1 ok"
	else
		echo "intree: $1 FAIL${3:+ ($3)}"
		rc=1
	fi
}

die() {
	echo "intree-check: $*" >&2
	echo "intree: prepare FAIL ($*)"
	exit 1
}

[ -r "$TAR" ] || die "$TAR missing: run 'make deps' (package linux-source-6.12)"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null)
[ -n "$srcver" ] && [ "$TAR" = /usr/src/linux-source-6.12.tar.xz ] ||
	srcver=$(stat -c '%s-%Y' "$TAR")
key=$(printf '%s\n' "$srcver" "$BASE_VERSION" "$BASE_CONFIGS" "$(gcc --version | head -n1)" |
	sha256sum | cut -c1-16)
STATE=$CACHE/intree/$key
KSRC=$STATE/linux-source-6.12

mkdir -p "$CACHE/intree"
exec 9>"$CACHE/intree/lock"
flock 9

t0=$SECONDS
# ------------------------------------------------------------ cold: prepare
if [ ! -e "$STATE/.prepared" ]; then
	echo "intree-check: preparing $KSRC (linux-source $srcver; once per version)"
	# one prepared tree at a time: they are about 1.5 GB each
	rm -rf "$CACHE/intree"/*/
	mkdir -p "$STATE"
	tar -xJf "$TAR" -C "$STATE" || die "extracting $TAR failed"
	[ -f "$KSRC/Makefile" ] || die "$TAR has no linux-source-6.12/Makefile"
	(
		cd "$KSRC" &&
		for c in $BASE_CONFIGS; do make -s "$c" || exit 1; done &&
		make -s -j"$JOBS" W=1 modules_prepare
	) >"$STATE/prepare.log" 2>&1 || { cp "$STATE/prepare.log" "$OUT/"; die "preparing the kernel failed (see build/intree/prepare.log)"; }
	cp "$KSRC/.config" "$STATE/config.base"
	: >"$KSRC/.gntv3-overlay"
	touch "$STATE/.prepared"
	echo "intree-check: prepared in $((SECONDS - t0)) s"
else
	echo "intree-check: reusing $KSRC (linux-source $srcver)"
fi
t1=$SECONDS

# ------------------------------------------------------------ undo last run
# .gntv3-overlay lists what the last run changed: "F path" a file it added,
# "P path" a kernel file it replaced (saved under $STATE/pristine), "D path"
# a directory it created (removed with its build output).
MANIFEST=$KSRC/.gntv3-overlay
undo() {
	local kind path
	while read -r kind path; do
		case $kind in
		F) rm -f "$KSRC/$path" ;;
		P) cp "$STATE/pristine/$path" "$KSRC/$path" ;;
		esac
	done <"$MANIFEST"
	# directories last, deepest first
	grep '^D ' "$MANIFEST" | cut -c3- | sort -r | while read -r path; do
		rm -rf "${KSRC:?}/$path"
	done
	: >"$MANIFEST"
	cp "$STATE/config.base" "$KSRC/.config"
}
undo

# record_file PATH: PATH (relative to the tree) is about to be written
record_file() {
	local d
	d=$(dirname "$1")
	if [ -e "$KSRC/$1" ]; then
		grep -qxF "P $1" "$MANIFEST" && return
		mkdir -p "$STATE/pristine/$d"
		cp "$KSRC/$1" "$STATE/pristine/$1"
		echo "P $1" >>"$MANIFEST"
	else
		# the topmost directory that does not exist yet
		local top=$d missing=
		while [ "$top" != . ] && [ ! -d "$KSRC/$top" ]; do
			missing=$top
			top=$(dirname "$top")
		done
		[ -z "$missing" ] || echo "D $missing" >>"$MANIFEST"
		echo "F $1" >>"$MANIFEST"
	fi
}

# ------------------------------------------------------------ hunks
st=0
: >"$OUT/hunks.log"
for p in scripts/intree/*.patch; do
	while read -r f; do
		record_file "$f"
	done < <(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p")
	echo "== $p" >>"$OUT/hunks.log"
	patch -p1 -d "$KSRC" --forward --no-backup-if-mismatch <"$p" \
		>>"$OUT/hunks.log" 2>&1 || st=1
done
# fuzz or offsets mean the hunks no longer match 6.12 exactly
grep -E 'fuzz|offset|FAILED|rejects' "$OUT/hunks.log" && st=1
report hunks "$st" "see build/intree/hunks.log"

# ------------------------------------------------------------ overlay
mapfile -t files < <(git ls-files -co --exclude-standard -- drivers include Documentation)
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	record_file "$f"
	mkdir -p "$KSRC/$(dirname "$f")"
	cp "$f" "$KSRC/$f"
done
# directories may be recorded twice (once per file): keep one line each
sort -u -o "$MANIFEST" "$MANIFEST"

# ------------------------------------------------------------ config
# Every option the project declares with a prompt: tristate -> m, bool -> y
# (an option without a prompt is only ever selected).
mapfile -t kconfigs < <(git ls-files -co --exclude-standard -- 'drivers/*Kconfig')
awk '/^(menu)?config / { sym = $2 }
     sym && /^[ \t]+tristate[ \t]+"/ { print "CONFIG_" sym "=m"; sym = "" }
     sym && /^[ \t]+bool[ \t]+"/ { print "CONFIG_" sym "=y"; sym = "" }' \
	"${kconfigs[@]}" >"$OUT/config.fragment"
cat "$OUT/config.fragment" >>"$KSRC/.config"
st=0
make -s -C "$KSRC" olddefconfig >"$OUT/config.log" 2>&1 || st=1
missing=$(grep -vxFf "$KSRC/.config" "$OUT/config.fragment")
if [ -n "$missing" ]; then
	echo "not in .config after olddefconfig (unmet dependencies?): $missing" |
		tee -a "$OUT/config.log"
	st=1
fi
cp "$KSRC/.config" "$OUT/config"
report config "$st" "see build/intree/config.log"

# The out-of-tree build (./Kbuild) sets the same options.
st=0
if ! diff -u <(sort "$OUT/config.fragment") \
	<(sed -n 's/^gntv3-config [:+]= \(.*\)$/CONFIG_\1/p' Kbuild | sort) \
	>"$OUT/kbuild-options.diff"; then
	cat "$OUT/kbuild-options.diff"
	st=1
fi
report kbuild-options "$st" "./Kbuild's gntv3-config differs from the Kconfig options"

# ------------------------------------------------------------ build
st=0
# shellcheck disable=SC2086 # DIRS is a list
make -C "$KSRC" -j"$JOBS" W=1 $DIRS >"$OUT/build.log" 2>&1 || st=1
nwarn=$(grep -cE '(warning|error):' "$OUT/build.log")
grep -E '(warning|error):' "$OUT/build.log"
# every .c of the overlaid directories became an object
nobj=0
for f in "${files[@]}"; do
	case $f in
	drivers/xen/gntv3/*.c | drivers/block/gntv3/*.c)
		if [ -s "$KSRC/${f%.c}.o" ]; then
			nobj=$((nobj + 1))
		else
			echo "intree-check: $f was not built" | tee -a "$OUT/build.log"
			st=1
		fi ;;
	esac
done
[ "$nwarn" -eq 0 ] || st=1
echo "intree-check: $nobj objects, $nwarn warnings/errors; prepare $((t1 - t0)) s, check $((SECONDS - t1)) s"
report build-w1 "$st" "see build/intree/build.log"

# The "make patches" series, applied with git am and built after every
# patch in the same tree (steps series, patch-NN)
t2=$SECONDS
. scripts/patches-check.sh
echo "intree-check: series checked in $((SECONDS - t2)) s"
exit $rc
