#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench-regress REV=<commit>: is gntv3 in this tree slower than at
# REV?  Builds gntv3.ko at REV (git archive, its own Makefile) and the
# bench module of this tree (tools/gntv3/bench) twice, against each
# gntv3's exports, then boots one Xen + dom0 and, round after round, loads
# one gntv3 with its bench, runs every row, unloads both, and does the same
# with the other; the order alternates from round to round.  Per row and
# round it takes q = (gntv3/stock of this tree) / (gntv3/stock of REV):
# each side against the stock grant API measured in the same load, so a
# busy host cancels out of both.  One line per row:
#   regress: <row> q=<median> min=<a> max=<b> rounds=<n> raw=<r>
# q above 1 means this tree is slower than REV relative to stock; raw= is
# the median of the plain gntv3 time ratios new/old.  Rows with q above
# 1.05 are marked "worse"; the script fails only if the run failed or a
# row has no pair.  A zero time is no measurement (the guest clock fell
# back from the TSC) and leaves its round out of that row.
#
# Environment: KDIR (as the Makefile), GNTV3_REGRESS_ROUNDS (default 21),
# GNTV3_REGRESS_REPS (repetitions per row and load, default 21), and what
# scripts/xenvm.sh reads.  Needs "make modules" of this tree (the Makefile
# target does it).  Output: build/bench-regress/.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
REV=${1:?usage: scripts/bench-regress.sh REV}
CACHE=${GNTV3_CACHE:-$TOP/.cache}
KDIR=${KDIR:-/usr/src/linux-headers-$(cat "$CACHE/kver")}
OUT=$TOP/build/bench-regress
ROUNDS=${GNTV3_REGRESS_ROUNDS:-21}
REPS=${GNTV3_REGRESS_REPS:-21}

rev=$(git rev-parse --short "$REV")
rm -rf "$OUT"
mkdir -p "$OUT/old"
git archive "$rev" | tar -x -C "$OUT/old"
ln -s "$CACHE" "$OUT/old/.cache"
echo "bench-regress: building gntv3 at $rev"
make -s -C "$OUT/old" KDIR="$KDIR" modules >"$OUT/old-build.log" 2>&1 ||
	{ tail -n 20 "$OUT/old-build.log"; exit 1; }
old_ko=$(find "$OUT/old/build" -name gntv3.ko | head -n1)
# Module.symvers moved over time; take the one that has gntv3's exports.
old_sym=$(grep -l -w gntv3_map $(find "$OUT/old" -name Module.symvers \
	-not -path '*/.cache/*') | head -n1)
[ -n "$old_ko" ] && [ -n "$old_sym" ] ||
	{ echo "bench-regress: no gntv3.ko or Module.symvers at $rev"; exit 1; }

# This tree's bench module against each gntv3: its sources in a directory
# three levels under the other tree, so that its -I of include/ finds that
# tree's <xen/gntv3.h>.
build_bench() {	# build_bench TREE SYMVERS OUT.ko
	local d=$1/tools/gntv3/bench-regress
	rm -rf "$d"
	mkdir -p "$d"
	cp tools/gntv3/bench/Kbuild tools/gntv3/bench/*.[ch] "$d/"
	make -s -C "$KDIR" M="$d" KBUILD_EXTRA_SYMBOLS="$2" modules
	cp "$d/gntv3_bench.ko" "$3"
	rm -rf "$d"
}
build_bench "$OUT/old" "$old_sym" "$OUT/gntv3_bench-old.ko"
build_bench "$TOP" "$TOP/Module.symvers" "$OUT/gntv3_bench-new.ko"

rc=0
GNTV3_VM_POISON= bash scripts/xenvm.sh run --name bench-regress --toolstack --timeout 900 \
	--dom0 tools/gntv3/bench/dom0-regress.sh \
	--add "$old_ko:/lib/modules/gntv3-old.ko" \
	--add build/module/gntv3.ko:/lib/modules/gntv3-new.ko \
	--add "$OUT/gntv3_bench-old.ko:/lib/modules/gntv3_bench-old.ko" \
	--add "$OUT/gntv3_bench-new.ko:/lib/modules/gntv3_bench-new.ko" \
	--env "GNTV3_REGRESS_ROUNDS=$ROUNDS" --env "GNTV3_REGRESS_REPS=$REPS" \
	>"$OUT/console.log" || rc=$?

echo "=== this tree ($(git describe --always --dirty)) against $rev, q = (gntv3/stock now) / (gntv3/stock at $rev)"
awk -f tools/gntv3/bench/median.awk -f tools/gntv3/bench/regress.awk \
	"$OUT/console.log" || rc=1
exit $rc
