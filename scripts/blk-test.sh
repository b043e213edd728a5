#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/blk-test.sh [--bench] - the gntv3 virtual disk pair
# (drivers/xen/gntv3/blk) in a two-domain Xen VM: dom0 serves a "vgntv3blk"
# disk from a ramdisk (brd), the domU uses it.  Runs the integrity tests of
# tools/testing/selftests/gntv3/blk/dom0.sh (pattern through the disk and
# back, checked on the store by dom0; backend reload; detach) and, with
# --bench, the throughput of the same runs through the gntv3 pair and
# through the stock xen-blkfront/xen-blkback on the same ramdisk, printing
#   bench: <row> gntv3=<MB/s> stock=<MB/s> ratio=<gntv3/stock>
# for blk_seq_1m_read, blk_seq_1m_write, blk_rand_4k_read, blk_rand_4k_write.
#
# Needs build/module/gntv3.ko and drivers/xen/gntv3/Module.symvers (make
# modules).  Builds gntv3_blkfront.ko and gntv3_blkback.ko against the same
# KDIR, the static gntv3_blkio tool, and takes brd, xen-blkback and
# xen-blkfront from the kernel package in .cache (scripts/deps.sh).
#
# Environment: KDIR, BLK_BENCH_SECS (seconds per throughput run, default 5
# with --bench), BLK_RAM_MB (ramdisk size, default 64), and everything
# scripts/xenvm.sh reads.  Output: build/blk/console.log.
# Exit status: 0 only if every step passed (and, with --bench, every row
# was measured).
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
CACHE=${GNTV3_CACHE:-$TOP/.cache}
KV=$(cat "$CACHE/kver")
KDIR=${KDIR:-/usr/src/linux-headers-$KV}
BLK=$TOP/drivers/xen/gntv3/blk
TESTS=$TOP/tools/testing/selftests/gntv3/blk
OUT=$TOP/build/blk
ROWS="blk_seq_1m_read blk_seq_1m_write blk_rand_4k_read blk_rand_4k_write"

bench=0
case ${1:-} in
--bench) bench=1 ;;
"") ;;
*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac
secs=0
[ "$bench" = 0 ] || secs=${BLK_BENCH_SECS:-5}

for f in build/module/gntv3.ko drivers/xen/gntv3/Module.symvers; do
	[ -s "$f" ] || { echo "blk-test: $f missing: run 'make modules' first" >&2; exit 2; }
done
mkdir -p "$OUT"
make -C "$KDIR" M="$BLK" KBUILD_EXTRA_SYMBOLS="$TOP/drivers/xen/gntv3/Module.symvers" \
	modules >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
cp "$BLK/gntv3_blkfront.ko" "$BLK/gntv3_blkback.ko" "$OUT/"
gcc -static -O2 -Wall -Wextra -Werror -o "$OUT/gntv3_blkio" "$TESTS/gntv3_blkio.c"
for m in brd xen-blkfront xen-blkback/xen-blkback; do
	xz -dc "$CACHE/root/lib/modules/$KV/kernel/drivers/block/$m.ko.xz" \
		>"$OUT/${m##*/}.ko"
done

rc=0
bash scripts/xenvm.sh run --name blk --timeout "${GNTV3_BLK_TIMEOUT:-1200}" \
	--dom0 "$TESTS/dom0.sh" --domu "$TESTS/domu.sh" \
	--add build/module/gntv3.ko:/lib/modules/gntv3.ko \
	--add "$OUT/gntv3_blkback.ko:/lib/modules/gntv3_blkback.ko" \
	--add "$OUT/brd.ko:/lib/modules/brd.ko" \
	--add "$OUT/xen-blkback.ko:/lib/modules/xen-blkback.ko" \
	--add "$OUT/gntv3_blkio:/bin/gntv3_blkio" \
	--domu-add build/module/gntv3.ko:/lib/modules/gntv3.ko \
	--domu-add "$OUT/gntv3_blkfront.ko:/lib/modules/gntv3_blkfront.ko" \
	--domu-add "$OUT/xen-blkfront.ko:/lib/modules/xen-blkfront.ko" \
	--domu-add "$OUT/gntv3_blkio:/bin/gntv3_blkio" \
	--env "BLK_BENCH_SECS=$secs" --env "BLK_RAM_MB=${BLK_RAM_MB:-64}" \
	>"$OUT/console.log" || rc=$?

grep -E '^(BLK-|domU\| (blkio|domU: command))' "$OUT/console.log" || true
if ! grep -q '^BLK-ALL-OK' "$OUT/console.log"; then
	[ "$rc" -ne 0 ] || rc=1
fi

# mb KIND ROW: the MB/s the domU measured
mb() {
	sed -nE "s/^domU\| blkio-result: $1 $2 ([0-9.]+) MB\/s.*/\1/p" "$OUT/console.log" | tail -n 1
}
if [ "$bench" = 1 ]; then
	echo "=== gntv3 pair vs stock xen-blkfront/xen-blkback, same dom0 ramdisk (QEMU TCG, O_DIRECT, MB/s)"
	for row in $ROWS; do
		g=$(mb gntv3 "$row")
		s=$(mb stock "$row")
		if [ -z "$g" ] || [ -z "$s" ]; then
			echo "bench: row $row missing" >&2
			[ "$rc" -ne 0 ] || rc=1
			continue
		fi
		echo "bench: $row gntv3=$g stock=$s ratio=$(awk -v g="$g" -v s="$s" \
			'BEGIN { printf "%.3f", (s > 0 ? g / s : 0) }')"
	done
fi
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$OUT/console.log" >&2
	echo "blk-test: FAILED (rc=$rc; console in ${OUT#"$TOP"/}/console.log)" >&2
fi
exit "$rc"
