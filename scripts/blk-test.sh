#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/blk-test.sh [--bench] - the gntv3 virtual disk pair
# (drivers/block/gntv3) in a two-domain Xen VM: dom0 serves a "vgntv3blk"
# disk from a ramdisk (brd), the domU uses it.  Runs the checks of
# tools/testing/selftests/gntv3/blk/dom0.sh (pattern through the disk and
# back, checked on the store by dom0; backend reload; revoke storm under
# I/O and its counters; the stock vbd on the same store; detach; backend
# counters) and prints them as TAP, one test per check plus one for a
# clean VM run (no oops or warning), ending with the kselftest line
#   # Totals: pass:N fail:M xfail:0 xpass:0 skip:0 error:0
# that scripts/test-all.sh counts.  A check that never ran because an
# earlier one failed counts as failed.
#
# With --bench it also measures the throughput through the gntv3 pair and
# through the stock xen-blkfront/xen-blkback on the same ramdisk, both
# disks attached at once, alternating run by run over BLK_BENCH_ROUNDS
# rounds, and prints the median of each side and, as the headline ratio,
# the median of the per-round ratios (each round's two runs are next to
# each other in time) with their min and max
#   bench: <row> gntv3=<MB/s> stock=<MB/s> ratio=<r> min=<a> max=<b> rounds=<n>
# for blk_seq_1m_read, blk_seq_1m_write, blk_rand_4k_read, blk_rand_4k_write,
# each followed by a "#" line with the runs' spread.
#
# Needs build/module/gntv3.ko, gntv3_blkfront.ko and gntv3_blkback.ko
# (make modules builds the three in one Kbuild run, so their symbol CRCs
# match).  Builds the static gntv3_blkio tool, and takes brd, xen-blkback
# and xen-blkfront from the kernel package in .cache (scripts/deps.sh), or
# from the kernel GNTV3_VM_KERNEL names (the debug tier).
#
# Environment: BLK_BENCH_SECS (seconds per throughput run, default 3
# with --bench), BLK_BENCH_ROUNDS (default 5), BLK_STORM_ROUNDS (revoke
# storm rounds, default 50), BLK_RAM_MB (ramdisk size, default 64),
# BLK_INJECT (a fault to inject, to see the checks fail: see dom0.sh), and
# everything scripts/xenvm.sh reads (GNTV3_VM_DOM0_TYPE and
# GNTV3_VM_DOMU_TYPE pick PV or PVH guests), GNTV3_RUN_SUFFIX (appended to
# the run's name, e.g. -native on the prototype hypervisor).  Output: build/blk/console.log
# (build/blk-bench/ with --bench; build/blk-pvh-pv/ and the like for other
# guest types than PV/PV).
# Exit status: 0 only if every check passed (and, with --bench, every row
# was measured).
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
# shellcheck source=scripts/lib/checks-tap.sh
. scripts/lib/checks-tap.sh
CACHE=${GNTV3_CACHE:-$TOP/.cache$([ "${GNTV3_KERNEL:-6.12}" = 6.12 ] || echo "/linux-$GNTV3_KERNEL")}
KV=$(cat "$CACHE/kver")
# GNTV3_BUILD: the build directory of the kernel series (the Makefile's BUILD)
BUILD=${GNTV3_BUILD:-$TOP/build}
MODS=$BUILD/module
TESTS=$TOP/tools/testing/selftests/gntv3/blk
ROWS="blk_seq_1m_read blk_seq_1m_write blk_rand_4k_read blk_rand_4k_write"

bench=0
NAME=blk
case ${1:-} in
--bench) bench=1; NAME=blk-bench ;;
"") ;;
*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac
DOM0_TYPE=${GNTV3_VM_DOM0_TYPE:-pv}
DOMU_TYPE=${GNTV3_VM_DOMU_TYPE:-pv}
[ "$DOM0_TYPE/$DOMU_TYPE" = pv/pv ] || NAME=$NAME-$DOM0_TYPE-$DOMU_TYPE
NAME=$NAME${GNTV3_RUN_SUFFIX:-}
# make test and make bench may run at once: separate outputs and VM names
OUT=$BUILD/$NAME
secs=0
[ "$bench" = 0 ] || secs=${BLK_BENCH_SECS:-3}
# Timings without memory poisoning: it is for the test runs.
[ "$bench" = 0 ] || export GNTV3_VM_POISON=
CHECKS="attach integrity backend_reload revoke_storm_io revoke_storm_integrity
revoke_counters stock_vbd"
[ "$bench" = 0 ] || CHECKS="$CHECKS bench"
CHECKS="$CHECKS detach backend_counters"

for m in gntv3 gntv3_blkfront gntv3_blkback; do
	[ -s "$MODS/$m.ko" ] ||
		{ echo "blk-test: $MODS/$m.ko missing: run 'make modules' first" >&2; exit 2; }
done
mkdir -p "$OUT"
cp "$MODS/gntv3_blkfront.ko" "$MODS/gntv3_blkback.ko" "$OUT/"
gcc -static -O2 -Wall -Wextra -Werror -o "$OUT/gntv3_blkio" "$TESTS/gntv3_blkio.c"
# the stock drivers and brd of the kernel the guests boot: Debian's, or
# the one GNTV3_VM_KERNEL names (scripts/debug-kernel.sh's layout)
kroot=$CACHE/root/lib/modules/$KV
[ -z "${GNTV3_VM_KERNEL:-}" ] ||
	kroot=$GNTV3_VM_KERNEL/root/lib/modules/$(cat "$GNTV3_VM_KERNEL/kver")
for m in brd xen-blkfront xen-blkback/xen-blkback; do
	# 6.12 ships $m.ko.xz, 6.1 $m.ko: xz -f copies what is not compressed
	xz -dcf "$kroot/kernel/drivers/block/$m".ko* >"$OUT/${m##*/}.ko"
done

rc=0
t0=$(date +%s)
bash scripts/xenvm.sh run --name "$NAME" --timeout "${GNTV3_BLK_TIMEOUT:-900}" \
	--dom0 "$TESTS/dom0.sh" --domu "$TESTS/domu.sh" \
	--add "$MODS/gntv3.ko:/lib/modules/gntv3.ko" \
	--add "$OUT/gntv3_blkback.ko:/lib/modules/gntv3_blkback.ko" \
	--add "$OUT/brd.ko:/lib/modules/brd.ko" \
	--add "$OUT/xen-blkback.ko:/lib/modules/xen-blkback.ko" \
	--add "$OUT/gntv3_blkio:/bin/gntv3_blkio" \
	--domu-add "$MODS/gntv3.ko:/lib/modules/gntv3.ko" \
	--domu-add "$OUT/gntv3_blkfront.ko:/lib/modules/gntv3_blkfront.ko" \
	--domu-add "$OUT/xen-blkfront.ko:/lib/modules/xen-blkfront.ko" \
	--domu-add "$OUT/gntv3_blkio:/bin/gntv3_blkio" \
	--env "BLK_BENCH_SECS=$secs" --env "BLK_RAM_MB=${BLK_RAM_MB:-64}" \
	--env "BLK_BENCH_ROUNDS=${BLK_BENCH_ROUNDS:-5}" \
	--env "BLK_STORM_ROUNDS=${BLK_STORM_ROUNDS:-50}" \
	${BLK_INJECT:+--env "BLK_INJECT=$BLK_INJECT"} \
	>"$OUT/console.log" || rc=$?
vm_rc=$rc

grep -E '^(BLK-|domU\| (blkio|domU: (command|[0-9]+ storm))|dom0: )' "$OUT/console.log" || true

# TAP: one test per check, then the VM run itself
echo "TAP version 13"
echo "# guests: dom0=$DOM0_TYPE domu=$DOMU_TYPE"
# shellcheck disable=SC2086 # CHECKS is a list of words
checks_tap BLK blk_ "$OUT/console.log" "$vm_rc" "build/vm/$NAME.log" $CHECKS || fail=1
echo "# blk-test: $(($(date +%s) - t0)) s wall, waits for other QEMU runs included"
[ "${fail:-0}" = 0 ] || [ "$rc" -ne 0 ] || rc=1

# stats KIND ROW: "n median min max" of the MB/s the domU measured
stats() {
	sed -nE "s/^domU\| blkio-result: $1 $2 ([0-9.]+) MB\/s.*/\1/p" "$OUT/console.log" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (!NR) exit
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%d %.2f %.2f %.2f\n", NR, m, v[1], v[NR] }'
}
# ratios ROW: median, min, max and count of the per-round gntv3/stock ratios
ratios() {
	paste <(sed -nE "s/^domU\| blkio-result: gntv3 $1 ([0-9.]+) MB\/s.*/\1/p" "$OUT/console.log") \
	      <(sed -nE "s/^domU\| blkio-result: stock $1 ([0-9.]+) MB\/s.*/\1/p" "$OUT/console.log") |
		awk '$1 != "" && $2 > 0 { print $1 / $2 }' | sort -g | awk '{ v[NR] = $1 } END {
			if (!NR) exit
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f %.3f %.3f %d\n", m, v[1], v[NR], NR }'
}
if [ "$bench" = 1 ]; then
	echo "=== gntv3 pair vs stock xen-blkfront/xen-blkback, same dom0 ramdisk (QEMU TCG, O_DIRECT, MB/s;"
	echo "=== median of ${BLK_BENCH_ROUNDS:-5} runs of ${secs} s each, gntv3 and stock alternating run by run)"
	for row in $ROWS; do
		read -r gn gm gmin gmax <<<"$(stats gntv3 "$row")"
		read -r sn sm smin smax <<<"$(stats stock "$row")"
		if [ -z "${gm:-}" ] || [ -z "${sm:-}" ]; then
			echo "bench: row $row missing" >&2
			[ "$rc" -ne 0 ] || rc=1
			continue
		fi
		read -r rm rmin rmax rn <<<"$(ratios "$row")"
		if [ -z "${rm:-}" ]; then
			echo "bench: row $row has no round with both sides" >&2
			[ "$rc" -ne 0 ] || rc=1
			continue
		fi
		# the headline is the median of the paired ratios, not gm / sm
		echo "bench: $row gntv3=$gm stock=$sm ratio=$rm min=$rmin max=$rmax rounds=$rn"
		echo "#   $row: gntv3 n=$gn min=$gmin max=$gmax; stock n=$sn min=$smin max=$smax; median(gntv3)/median(stock)=$(awk -v g="$gm" -v s="$sm" \
			'BEGIN { printf "%.3f", (s > 0 ? g / s : 0) }')"
	done
fi
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$OUT/console.log" >&2
	echo "blk-test: FAILED (rc=$rc; console in ${OUT#"$TOP"/}/console.log)" >&2
fi
exit "$rc"
