#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run every test layer and print one summary line, "N passed, M failed",
# last.  Each layer runs even if an earlier one failed, so one run shows all
# that is broken.  A layer that cannot produce its own counts (a build that
# fails, a VM that hangs) counts as one failed test.
#
# Layers, cheapest first:
#   unit     tools/testing/gntv3 (userspace, ASan/UBSan): its own counts
#   build    the module against the 6.12 headers with W=1: 1 test
#   lint     sparse (C=1) and checkpatch --strict: 1 test each
#   docs     every .rst parses with docutils: 1 test each
#   intree   applied to linux-source-6.12 and built there with W=1
#            (scripts/intree-check.sh): 1 test per step
#   vm       kselftests inside Xen VMs: the TAP totals of every suite
#   debug    the dom0 suite and the fail-nth sweeps on the debug kernel
#            (scripts/debug-test.sh): TAP totals, as vm; only with
#            GNTV3_DEBUG_TIER=1
set -uo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
LOGDIR=$TOP/build/test
mkdir -p "$LOGDIR"

passed=0
failed=0
summary=()

# count LAYER PASS FAIL: add to the totals and remember a per-layer line
count() {
	passed=$((passed + $2))
	failed=$((failed + $3))
	summary+=("$(printf '%-8s %4d passed, %d failed' "$1" "$2" "$3")")
}

# run_layer NAME CMD...: run CMD with its output in build/test/NAME.log and
# echoed, return its exit status
run_layer() {
	local name=$1
	shift
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$LOGDIR/$name.log"
	return "${PIPESTATUS[0]}"
}

# unit: the harness prints "N passed, M failed" as its last line
run_layer unit make -s check
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGDIR/unit.log" | tail -n 1)
if [ -n "$line" ]; then
	read -r p _ f _ <<<"$line"
	count unit "$p" "$f"
else
	count unit 0 1
fi

# build + lint (lint.sh reports each check as "lint: NAME ok|FAIL")
run_layer lint bash scripts/lint.sh
p=$(grep -c '^lint: .* ok$' "$LOGDIR/lint.log")
f=$(grep -c '^lint: .* FAIL' "$LOGDIR/lint.log")
[ $((p + f)) -gt 0 ] || f=1
count lint "$p" "$f"

# docs
run_layer docs bash scripts/docs-check.sh
p=$(grep -c '^docs: .* ok$' "$LOGDIR/docs.log")
f=$(grep -c '^docs: .* FAIL' "$LOGDIR/docs.log")
[ $((p + f)) -gt 0 ] || f=1
count docs "$p" "$f"

# intree (intree-check.sh reports each step as "intree: NAME ok|FAIL")
run_layer intree bash scripts/intree-check.sh
p=$(grep -c '^intree: .* ok$' "$LOGDIR/intree.log")
f=$(grep -c '^intree: .* FAIL' "$LOGDIR/intree.log")
[ $((p + f)) -gt 0 ] || f=1
count intree "$p" "$f"

# vm: kselftest TAP totals of every suite, plus one failure per VM run that
# did not finish cleanly (timeout, oops, missing totals).  Only totals at
# the start of a line count: xenvm.sh reprints a failed run's log tail with
# a "| " prefix, and its totals must not count twice.
run_layer vm make -s vm-test
vm_rc=$?
p=0
f=0
while read -r tp tf; do
	p=$((p + tp))
	f=$((f + tf))
done < <(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*$/\1 \2/p' "$LOGDIR/vm.log")
if [ "$vm_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	f=1
fi
count vm "$p" "$f"

# debug: as vm, on the KASAN/lockdep/kmemleak/fault injection kernel.
# Only with GNTV3_DEBUG_TIER=1 for now: its cold kernel build has not yet
# been shown to fit CI's 90 minutes next to the other layers.
if [ "${GNTV3_DEBUG_TIER:-0}" = 1 ]; then
	run_layer debug make -s debug-test
	debug_rc=$?
	p=0
	f=0
	while read -r tp tf; do
		p=$((p + tp))
		f=$((f + tf))
	done < <(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*$/\1 \2/p' "$LOGDIR/debug.log")
	if [ "$debug_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	count debug "$p" "$f"
fi

echo
echo "=== summary (logs in build/test/)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
