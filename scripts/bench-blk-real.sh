#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/bench-blk-real.sh - the throughput of Linux 6.12's own
# xen-blkfront/xen-blkback with the patches/xen-blk series (gntv3 grants)
# against Debian's stock modules, in one two-domain Xen VM (part of make
# bench, after scripts/bench.sh's own run).  The same dom0 brd ramdisk backs
# three configurations: patched (gntv3), stock with persistent grants (the
# strongest stock setting, "stock") and stock without them ("nopersist");
# the domU moves a fixed amount of data per run with O_DIRECT on xvda.
# Rounds are paired: each round has one run of each configuration, gntv3
# and stock back to back and taking turns going first
# (tools/testing/selftests/gntv3/blk/bench-real-dom0.sh).  One line per row:
#   bench: blk_real_<row> gntv3=<MB/s> stock=<MB/s> ratio=<r> min=<a> max=<b> rounds=<n> nopersist=<MB/s>
# for seq_read_1m, seq_write_1m, rand_read_4k and rand_write_4k: gntv3=,
# stock= and nopersist= are each configuration's median over the rounds,
# ratio= the median of the per-round ratios gntv3/stock (higher is better
# for gntv3), min=/max= their extremes; the median of an even count is the
# mean of the two middle values, as in tools/gntv3/bench/bench_stats.c.
# Each row is followed by a "#" line with the spread and, unless
# BLK_REAL_CONTROL=0, a "#" line with the control: stock run a second time
# in each round, right beside stock, and its paired ratio to stock, the
# same statistic for two configurations that do the same work (what this
# bench reads as parity).  Fails if the run failed or any row is missing.
#
# Needs build/module/gntv3.ko and Module.symvers (make modules); builds the
# patched modules (scripts/xen-blk.sh build) and gntv3_blkio, and takes the
# stock brd, xen-blkback and xen-blkfront from the kernel package in
# .cache.  Environment: BLK_REAL_ROUNDS (default 7), BLK_REAL_CONTROL
# (default 1; 0 leaves the control out, a quarter less time),
# BLK_REAL_SEQ_MB (MiB per sequential run, default 256), BLK_REAL_RAND_MB
# (MiB per random run, default 8), BLK_RAM_MB (default 64),
# GNTV3_BENCH_BLK_REAL_TIMEOUT (VM run, default 1200 s) and everything
# scripts/xenvm.sh reads.  Output: build/bench-blk-real/console.log.
# Timings are of an emulated CPU (QEMU TCG): compare the columns, not the
# absolute values with hardware.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
CACHE=${GNTV3_CACHE:-$TOP/.cache}
KV=$(cat "$CACHE/kver")
TESTS=$TOP/tools/testing/selftests/gntv3/blk
OUT=$TOP/build/bench-blk-real
ROWS="seq_read_1m seq_write_1m rand_read_4k rand_write_4k"
ROUNDS=${BLK_REAL_ROUNDS:-7}
SEQ_MB=${BLK_REAL_SEQ_MB:-256}
RAND_MB=${BLK_REAL_RAND_MB:-8}
CONTROL=${BLK_REAL_CONTROL:-1}

[ -s build/module/gntv3.ko ] ||
	{ echo "bench-blk-real: build/module/gntv3.ko missing: run 'make modules' first" >&2; exit 2; }
t0=$(date +%s)
bash scripts/xen-blk.sh build
mkdir -p "$OUT"
gcc -static -O2 -Wall -Wextra -Werror -o "$OUT/gntv3_blkio" "$TESTS/gntv3_blkio.c"
xz -dc "$CACHE/root/lib/modules/$KV/kernel/drivers/block/brd.ko.xz" >"$OUT/brd.ko"
xz -dc "$CACHE/root/lib/modules/$KV/kernel/drivers/block/xen-blkfront.ko.xz" \
	>"$OUT/xen-blkfront-stock.ko"
xz -dc "$CACHE/root/lib/modules/$KV/kernel/drivers/block/xen-blkback/xen-blkback.ko.xz" \
	>"$OUT/xen-blkback-stock.ko"
cp build/xen-blk/xen-blkfront.ko "$OUT/xen-blkfront-patched.ko"
cp build/xen-blk/xen-blkback.ko "$OUT/xen-blkback-patched.ko"

rc=0
# Timings without memory poisoning: it is for the test runs.
GNTV3_VM_POISON= bash scripts/xenvm.sh run --name bench-blk-real \
	--timeout "${GNTV3_BENCH_BLK_REAL_TIMEOUT:-1200}" \
	--dom0 "$TESTS/bench-real-dom0.sh" --domu "$TESTS/real-domu.sh" \
	--add build/module/gntv3.ko:/lib/modules/gntv3.ko \
	--add "$OUT/brd.ko:/lib/modules/brd.ko" \
	--add "$OUT/xen-blkback-stock.ko:/lib/modules/xen-blkback-stock.ko" \
	--add "$OUT/xen-blkback-patched.ko:/lib/modules/xen-blkback-patched.ko" \
	--add "$OUT/gntv3_blkio:/bin/gntv3_blkio" \
	--add "$TESTS/real-lib.sh:/lib/blk-real-lib.sh" \
	--domu-add build/module/gntv3.ko:/lib/modules/gntv3.ko \
	--domu-add "$OUT/xen-blkfront-stock.ko:/lib/modules/xen-blkfront-stock.ko" \
	--domu-add "$OUT/xen-blkfront-patched.ko:/lib/modules/xen-blkfront-patched.ko" \
	--domu-add "$OUT/gntv3_blkio:/bin/gntv3_blkio" \
	--env "BLK_RAM_MB=${BLK_RAM_MB:-64}" --env "BLK_REAL_ROUNDS=$ROUNDS" \
	--env "BLK_REAL_SEQ_MB=$SEQ_MB" --env "BLK_REAL_RAND_MB=$RAND_MB" \
	--env "BLK_REAL_CONTROL=$CONTROL" \
	>"$OUT/console.log" || rc=$?

echo "=== xen-blkfront/xen-blkback: patched (gntv3) vs Debian's stock, same dom0 ramdisk"
echo "=== (QEMU TCG, O_DIRECT in the domU, MB/s; $ROUNDS paired rounds, ${SEQ_MB} MiB per"
echo "=== sequential and ${RAND_MB} MiB per random run; stock: persistent grants on)"
grep -E '^(BLK-BENCH-(FAIL|DONE)|dom0: (bench|round))' "$OUT/console.log" || true
tr -d '\r' <"$OUT/console.log" |
	awk -f tools/gntv3/bench/median.awk -f tools/gntv3/bench/blk-real.awk >"$OUT/rows"
cat "$OUT/rows"
for row in $ROWS; do
	if ! grep -qE "^bench: blk_real_$row gntv3=[0-9.]+ stock=[0-9.]+ ratio=[0-9.]+ min=[0-9.]+ max=[0-9.]+ rounds=[1-9][0-9]* nopersist=[0-9.]+$" "$OUT/rows" ||
	   grep -qE "^bench: blk_real_$row (gntv3|stock)=0.00 " "$OUT/rows"; then
		echo "bench: row blk_real_$row missing or zero" >&2
		[ "$rc" -ne 0 ] || rc=1
	fi
done
echo "# bench-blk-real: $(($(date +%s) - t0)) s wall, waits for other QEMU runs included"
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$OUT/console.log" >&2
	echo "bench-blk-real: FAILED (rc=$rc; console in ${OUT#"$TOP"/}/console.log)" >&2
fi
exit "$rc"
