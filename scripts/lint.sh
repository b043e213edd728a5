#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Static checks of the kernel code, each reported as "lint: NAME ok|FAIL":
#   build-w1    the module builds against KDIR with W=1 and no warning
#   sparse      sparse (C=2: every file, not only rebuilt ones) says nothing
#   checkpatch  checkpatch.pl --strict reports nothing on any kernel source
# checkpatch.pl comes from the linux-source-6.12 package (scripts/deps.sh
# extracts it into .cache/linux-scripts); no kernel file is committed.
set -uo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
CACHE=${GNTV3_CACHE:-$TOP/.cache}
KDIR=${KDIR:-/usr/src/linux-headers-$(cat "$CACHE/kver")}
MODDIR=$TOP/drivers/xen/gntv3
OUT=$TOP/build/lint
mkdir -p "$OUT"
rc=0

report() {	# report NAME STATUS LOG
	if [ "$2" -eq 0 ]; then
		echo "lint: $1 ok"
	else
		echo "lint: $1 FAIL (see ${3#"$TOP"/})"
		rc=1
	fi
}

# Kbuild prints compiler and sparse diagnostics as "path:line:col: warning:";
# anything of that form about our tree counts, kernel headers included.
diagnostics() {
	grep -E '(warning|error):' "$1" | grep -v '^make' || true
}

make -s -C "$KDIR" M="$MODDIR" clean >/dev/null 2>&1
make -C "$KDIR" M="$MODDIR" W=1 modules >"$OUT/build-w1.log" 2>&1
st=$?
diagnostics "$OUT/build-w1.log" | tee "$OUT/build-w1.warnings"
[ -s "$OUT/build-w1.warnings" ] && st=1
report build-w1 "$st" "$OUT/build-w1.log"

make -C "$KDIR" M="$MODDIR" C=2 modules >"$OUT/sparse.log" 2>&1
st=$?
diagnostics "$OUT/sparse.log" | tee "$OUT/sparse.warnings"
[ -s "$OUT/sparse.warnings" ] && st=1
report sparse "$st" "$OUT/sparse.log"

CP=$CACHE/linux-scripts/checkpatch.pl
if [ -x "$CP" ] || [ -f "$CP" ]; then
	mapfile -t files < <(git ls-files -co --exclude-standard -- \
		'drivers/*.c' 'drivers/*.h' 'include/*.h' 'tools/gntv3/*.c' \
		'tools/testing/selftests/gntv3/*.c' 'tools/testing/selftests/gntv3/*.h')
	# Two narrow exceptions, each for a reason checkpatch cannot know:
	# - include/xen/interface/ holds Xen public ABI headers, shared with the
	#   hypervisor and other guests: they use C99 types and (1U << n) by
	#   convention, as every header in that directory does;
	# - tools/ is userspace: it has no BIT()/BIT_ULL(), and the tests
	#   assert ENOSYS because that is what Xen answers for an unknown
	#   hypercall sub-op.
	st=0
	abi=() user=() kern=()
	for f in "${files[@]}"; do
		case $f in
		include/xen/interface/*) abi+=("$f") ;;
		tools/*) user+=("$f") ;;
		*) kern+=("$f") ;;
		esac
	done
	: >"$OUT/checkpatch.log"
	checkpatch() {
		perl "$CP" --strict --no-tree --terse --show-types --quiet "$@" \
			>>"$OUT/checkpatch.log" 2>&1 || st=1
	}
	checkpatch -f "${kern[@]}"
	checkpatch --ignore PREFER_KERNEL_TYPES,BIT_MACRO -f "${abi[@]}"
	checkpatch --ignore BIT_MACRO,ENOSYS -f "${user[@]}"
	cat "$OUT/checkpatch.log"
	report checkpatch "$st" "$OUT/checkpatch.log"
else
	echo "checkpatch.pl not found at $CP (run make deps)" >"$OUT/checkpatch.log"
	report checkpatch 1 "$OUT/checkpatch.log"
fi
exit $rc
