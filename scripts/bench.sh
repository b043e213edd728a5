#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: build tools/gntv3/bench/gntv3_bench.ko against gntv3's exports,
# boot Xen + dom0 (with xenstored) once, and print the table of ns per 4 KiB
# page of gntv3 against the stock Linux grant API, measured in the same run,
# with one line
#   bench: <row> gntv3=<ns> stock=<ns> ratio=<r> min=<a> max=<b> rounds=<n>
# per row: gntv3= and stock= are each side's median, ratio= the median of
# the per-round paired ratios gntv3/stock (the two sides alternate A B A B
# within the run), min=/max= the extremes of those ratios.  The revoke rows (revoke_4k, revoke_2m) are per grant, and there
# gntv3= is the revoke round trip (request -> the backend unmaps -> ACK) of
# one mapped grant of that size and stock= a plain stock map+unmap of the
# same size, so ratio = revoke round trip / map+unmap.  Then the block
# rows: scripts/blk-test.sh --bench (bench: blk_*) and
# scripts/bench-blk-real.sh (bench: blk_real_*, MB/s, with a nopersist=
# column), each a VM run of its own.  Fails if a run failed or any row is
# missing.
#
# Environment: KDIR (as the Makefile), GNTV3_BENCH_REPS (repetitions per
# row, default the module's), GNTV3_BENCH_TRACE (default 1: after the
# table, print one revoke round trip as gntv3's tracepoints saw it; 0
# leaves it out), and everything scripts/xenvm.sh reads.
# Timings are of an emulated CPU (QEMU TCG): compare the two columns, not
# the absolute values with hardware; other VMs on the host make them noisy.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
CACHE=${GNTV3_CACHE:-$TOP/.cache}
KDIR=${KDIR:-/usr/src/linux-headers-$(cat "$CACHE/kver")}
BENCH=$TOP/tools/gntv3/bench
OUT=$TOP/build/bench
ROWS="grant_4k grant_2m map_unmap_1 map_unmap_16 map_unmap_512 map_unmap_2m revoke_4k revoke_2m"

mkdir -p "$OUT"
# kbuild does not notice a changed KBUILD_EXTRA_SYMBOLS file: a stale
# module would carry the old symbol CRCs of gntv3 and fail to load.
make -s -C "$KDIR" M="$BENCH" clean
make -C "$KDIR" M="$BENCH" \
	KBUILD_EXTRA_SYMBOLS="$TOP/Module.symvers" modules
cp "$BENCH/gntv3_bench.ko" "$OUT/gntv3_bench.ko"

envs=()
[ -z "${GNTV3_BENCH_REPS:-}" ] || envs=(--env "GNTV3_BENCH_REPS=$GNTV3_BENCH_REPS")
envs+=(--env "GNTV3_BENCH_TRACE=${GNTV3_BENCH_TRACE:-1}")
rc=0
# Timings without memory poisoning: it is for the test runs.
GNTV3_VM_POISON= bash scripts/xenvm.sh run --name bench --toolstack \
	--dom0 tools/gntv3/bench/dom0-bench.sh \
	--add build/module/gntv3.ko:/lib/modules/gntv3.ko \
	--add "$OUT/gntv3_bench.ko:/lib/modules/gntv3_bench.ko" \
	"${envs[@]}" >"$OUT/console.log" || rc=$?

echo "=== gntv3 vs stock grant API (build/vm/bench.log; QEMU TCG, ns per 4 KiB page;"
echo "=== revoke_*: ns per grant, gntv3 = revoke round trip, stock = map+unmap of that size)"
grep -E '^(gntv3_bench|bench): ' "$OUT/console.log" || true
echo "=== one revoke_4k round trip, gntv3's tracepoints (tracefs events/gntv3, a reps=1 run)"
grep -E '^gntv3-trace: ' "$OUT/console.log" || true
for row in $ROWS; do
	# A zero is no measurement: it happened once when the guest's clock
	# fell back from the TSC and fast operations timed as 0 ns.
	if ! grep -qE "^bench: $row gntv3=[1-9][0-9]* stock=[1-9][0-9]* ratio=[0-9.]+ min=[0-9.]+ max=[0-9.]+ rounds=[1-9][0-9]*$" "$OUT/console.log"; then
		echo "bench: row $row missing or zero" >&2
		[ "$rc" -ne 0 ] || rc=1
	fi
done
if [ "$rc" -ne 0 ]; then
	tail -n 40 "$OUT/console.log" >&2
	echo "bench: FAILED (rc=$rc; console in ${OUT#"$TOP"/}/console.log)" >&2
fi

# The block rows: the gntv3 disk pair against xen-blkfront/xen-blkback.
bash scripts/blk-test.sh --bench || rc=1
# The blk_real rows, a VM run of their own: Linux's xen-blkfront/xen-blkback
# with patches/xen-blk (gntv3) against Debian's, with and without
# persistent grants.  Fails if a row is missing.
bash scripts/bench-blk-real.sh || rc=1
exit "$rc"
