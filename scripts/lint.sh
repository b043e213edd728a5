#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Static checks of the kernel code, each reported as "lint: NAME ok|FAIL":
#   build-w1    every module builds against KDIR with W=1 and no warning
#   sparse      sparse (C=2: every file, not only rebuilt ones) says nothing
#   checkpatch  checkpatch.pl --strict reports nothing on any kernel source,
#               nor on the debug kernel's patches (scripts/debug-kernel/)
# The modules: gntv3 itself and the block pair (one out-of-tree Kbuild run
# through ./Kbuild, as "make modules"), the benchmark, linked against
# their Module.symvers, and the selftests' gntv3_fault.ko (6.12 only).  checkpatch.pl comes from the
# linux-source-6.12 package (scripts/deps.sh extracts it into
# .cache/linux-scripts); no kernel file is committed.
set -uo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
CACHE=${GNTV3_CACHE:-$TOP/.cache}
KDIR=${KDIR:-/usr/src/linux-headers-$(cat "$CACHE/kver")}
BENCH=$TOP/tools/gntv3/bench
FAULT_DIR=$TOP/tools/testing/selftests/gntv3/fault
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

# build NAME MAKE-ARGS...: gntv3 and the block pair, then the benchmark
# that links against gntv3, then (against 6.12 only, FAULT=1) the
# selftests' fail-nth injector
FAULT=1
build() {
	local name=$1 st=0
	shift
	: >"$OUT/$name.log"
	make -s -C "$TOP" KDIR="$KDIR" modules-clean >/dev/null 2>&1
	make -s -C "$KDIR" M="$BENCH" clean >/dev/null 2>&1
	make -C "$KDIR" M="$TOP" "$@" modules >>"$OUT/$name.log" 2>&1 || st=1
	make -C "$KDIR" M="$BENCH" KBUILD_EXTRA_SYMBOLS="$TOP/Module.symvers" \
		"$@" modules >>"$OUT/$name.log" 2>&1 || st=1
	if [ "$FAULT" = 1 ]; then
		make -s -C "$KDIR" M="$FAULT_DIR" clean >/dev/null 2>&1
		make -C "$KDIR" M="$FAULT_DIR" "$@" modules >>"$OUT/$name.log" 2>&1 || st=1
	fi
	diagnostics "$OUT/$name.log" | tee "$OUT/$name.warnings"
	[ -s "$OUT/$name.warnings" ] && st=1
	report "$name" "$st" "$OUT/$name.log"
}

build build-w1 W=1
# the same against Debian 12's own 6.1 headers (make deps-6.1), through
# compat/gntv3_compat.h
KV61=$(cat "$CACHE/linux-6.1/kver" 2>/dev/null)
if [ -n "$KV61" ]; then
	KDIR_612=$KDIR
	KDIR=/usr/src/linux-headers-$KV61
	FAULT=0
	build build-w1-6.1 W=1
	FAULT=1
	KDIR=$KDIR_612
fi
build sparse C=2

CP=$CACHE/linux-scripts/checkpatch.pl
if [ -f "$CP" ]; then
	mapfile -t files < <(git ls-files -co --exclude-standard -- \
		'drivers/*.c' 'drivers/*.h' 'include/*.h' 'compat/*.h' 'tools/gntv3/*.c' \
		'tools/testing/selftests/gntv3/*.c' 'tools/testing/selftests/gntv3/*.h')
	# Narrow exceptions, each for a reason checkpatch cannot know:
	# - include/xen/interface/ holds Xen public ABI headers, shared with the
	#   hypervisor and other guests: they use C99 types and (1U << n) by
	#   convention, as every header in that directory does;
	# - tools/ is userspace: it has no BIT()/BIT_ULL(), and the tests
	#   assert ENOSYS because that is what Xen answers for an unknown
	#   hypercall sub-op;
	# - XenbusState* are Xen's own names (include/xen/interface/io/xenbus.h),
	#   which --no-tree keeps checkpatch from seeing, and PRIu64 & co are
	#   C99's <inttypes.h> names in userspace: only CamelCase reports of
	#   exactly those names are dropped, any other CamelCase still fails.
	# - compat/ is the out-of-tree build's one place that compares kernel
	#   versions, which checkpatch rightly refuses in code for one kernel.
	abi=() user=() kern=() compat=()
	for f in "${files[@]}"; do
		case $f in
		include/xen/interface/*) abi+=("$f") ;;
		compat/*) compat+=("$f") ;;
		# the selftests' kernel module
		tools/testing/selftests/gntv3/fault/*) kern+=("$f") ;;
		tools/*) user+=("$f") ;;
		*) kern+=("$f") ;;
		esac
	done
	: >"$OUT/checkpatch.log"
	checkpatch() {
		perl "$CP" --strict --no-tree --terse --show-types --quiet "$@" \
			>>"$OUT/checkpatch.log" 2>&1
	}
	checkpatch -f "${kern[@]}"
	checkpatch --ignore PREFER_KERNEL_TYPES,BIT_MACRO -f "${abi[@]}"
	checkpatch --ignore BIT_MACRO,ENOSYS -f "${user[@]}"
	checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f "${compat[@]}"
	# scripts/debug-kernel/*.patch are the debug tier's changes to Linux,
	# applied with patch(1) and kept as a description and a diff, with no
	# mail headers or sign-off (they are not sent from here): each is
	# checked as a patch, given the "diff --git" lines from which
	# checkpatch knows where the description ends (without them it takes
	# the diff's blank context lines for added ones), MISSING_SIGN_OFF
	# aside.  checkpatch reports only the first long description line, and
	# an indented quote of a kernel log stays whole, as in upstream commit
	# messages: the awk below reports every other line of the body (the
	# description after its first line, as checkpatch) above 75 columns.
	rm -rf "$OUT/debug-kernel" && mkdir -p "$OUT/debug-kernel"
	for p in scripts/debug-kernel/*.patch; do
		sed 's|^--- a/\([^[:space:]]*\)|diff --git a/\1 b/\1\n&|' "$p" \
			>"$OUT/debug-kernel/${p##*/}"
		awk '/^--- a\// { exit }
		     FNR > 1 && length($0) > 75 && !/^[[:space:]]/ {
			print FILENAME ":" FNR ": WARNING:COMMIT_LOG_LONG_LINE: description line above 75 columns" }' \
			"$p" >>"$OUT/checkpatch.log"
	done
	checkpatch --ignore MISSING_SIGN_OFF,COMMIT_LOG_LONG_LINE "$OUT"/debug-kernel/*.patch
	grep -E ': (ERROR|WARNING|CHECK):' "$OUT/checkpatch.log" |
		grep -vE 'CHECK:CAMELCASE: Avoid CamelCase: <(XenbusState[A-Za-z]*|PRI[diouxX](8|16|32|64|PTR|MAX))>$' \
		>"$OUT/checkpatch.findings"
	cat "$OUT/checkpatch.findings"
	st=0
	[ -s "$OUT/checkpatch.findings" ] && st=1
	report checkpatch "$st" "$OUT/checkpatch.findings"
else
	echo "checkpatch.pl not found at $CP (run make deps)" >"$OUT/checkpatch.findings"
	report checkpatch 1 "$OUT/checkpatch.findings"
fi
exit $rc
