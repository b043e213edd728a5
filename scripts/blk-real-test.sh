#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/blk-real-test.sh - Linux's own xen-blkfront and xen-blkback
# with the patches/xen-blk series (patches/xen-blk-6.1 with
# GNTV3_KERNEL=6.1; gntv3 grants when both ends speak it), against
# Debian's stock modules, in a two-domain Xen VM: every
# combination of patched/stock backend (dom0) x patched/stock frontend
# (domU) connects and passes a data-integrity check both ways, O_DIRECT
# and buffered, 512 B to 4 MiB; then, both patched: a reconnect, a revoke
# storm during I/O, a backend reload during I/O and the domU destroyed
# during I/O; then gntv3's counters in dom0 show nothing left
# (tools/testing/selftests/gntv3/blk/real-dom0.sh).  Prints TAP, one test
# per check plus one for a clean VM run, ending with the kselftest line
# that scripts/test-all.sh counts:
#   # Totals: pass:N fail:M xfail:0 xpass:0 skip:0 error:0
#
# Needs $GNTV3_BUILD/module/gntv3.ko and Module.symvers (make modules);
# builds the patched modules (scripts/xen-blk.sh build) and gntv3_blkio, and
# takes the stock brd, xen-blkback and xen-blkfront from the kernel package
# in .cache (.cache/linux-6.1).  Environment: GNTV3_KERNEL (6.12 or 6.1),
# GNTV3_BLK_REAL_TIMEOUT (VM run, default 900 s), BLK_RAM_MB, GNTV3_RUN_SUFFIX (appended to the run's name, e.g. -native
# for the run on the prototype hypervisor), and everything scripts/xenvm.sh
# reads.  Output: $GNTV3_BUILD/blk-real/console.log (blk-real-native/...).
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
# shellcheck source=scripts/lib/checks-tap.sh
. scripts/lib/checks-tap.sh
CACHE=${GNTV3_CACHE:-$TOP/.cache$([ "${GNTV3_KERNEL:-6.12}" = 6.12 ] || echo "/linux-$GNTV3_KERNEL")}
KV=$(cat "$CACHE/kver")
BUILD=${GNTV3_BUILD:-$TOP/build}
TESTS=$TOP/tools/testing/selftests/gntv3/blk
NAME=blk-real${GNTV3_RUN_SUFFIX:-}
OUT=$BUILD/$NAME
CHECKS="patched_be_patched_fe stock_be_patched_fe patched_be_stock_fe
stock_be_stock_fe reconnect revoke_storm_io backend_reload_io domu_destroy_io counters"

[ -s "$BUILD/module/gntv3.ko" ] ||
	{ echo "blk-real-test: $BUILD/module/gntv3.ko missing: run 'make modules' first" >&2; exit 2; }
t0=$(date +%s)
bash scripts/xen-blk.sh build
mkdir -p "$OUT"
gcc -static -O2 -Wall -Wextra -Werror -o "$OUT/gntv3_blkio" "$TESTS/gntv3_blkio.c"
# Debian's own brd and stock xen-blkfront/xen-blkback (6.12 ships NAME.ko.xz,
# 6.1 NAME.ko: xz -f copies what is not compressed)
xz -dcf "$CACHE/root/lib/modules/$KV/kernel/drivers/block/brd".ko* >"$OUT/brd.ko"
for m in xen-blkfront xen-blkback/xen-blkback; do
	xz -dcf "$CACHE/root/lib/modules/$KV/kernel/drivers/block/$m".ko* \
		>"$OUT/${m##*/}-stock.ko"
done
cp "$BUILD/xen-blk/xen-blkfront.ko" "$OUT/xen-blkfront-patched.ko"
cp "$BUILD/xen-blk/xen-blkback.ko" "$OUT/xen-blkback-patched.ko"

rc=0
bash scripts/xenvm.sh run --name "$NAME" --timeout "${GNTV3_BLK_REAL_TIMEOUT:-900}" \
	--dom0 "$TESTS/real-dom0.sh" --domu "$TESTS/real-domu.sh" \
	--add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko" \
	--add "$OUT/brd.ko:/lib/modules/brd.ko" \
	--add "$OUT/xen-blkback-stock.ko:/lib/modules/xen-blkback-stock.ko" \
	--add "$OUT/xen-blkback-patched.ko:/lib/modules/xen-blkback-patched.ko" \
	--add "$OUT/gntv3_blkio:/bin/gntv3_blkio" \
	--add "$TESTS/real-lib.sh:/lib/blk-real-lib.sh" \
	--domu-add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko" \
	--domu-add "$OUT/xen-blkfront-stock.ko:/lib/modules/xen-blkfront-stock.ko" \
	--domu-add "$OUT/xen-blkfront-patched.ko:/lib/modules/xen-blkfront-patched.ko" \
	--domu-add "$OUT/gntv3_blkio:/bin/gntv3_blkio" \
	--env "BLK_RAM_MB=${BLK_RAM_MB:-64}" \
	>"$OUT/console.log" || rc=$?
vm_rc=$rc

grep -E '^(BLK-|dom0: )' "$OUT/console.log" || true

# TAP: one test per check, then the VM run itself
echo "TAP version 13"
# shellcheck disable=SC2086 # CHECKS is a list of words
checks_tap BLK blk_real_ "$OUT/console.log" "$vm_rc" "${BUILD#"$TOP"/}/vm/$NAME.log" $CHECKS || fail=1
echo "# blk-real-test: $(($(date +%s) - t0)) s wall, waits for other QEMU runs included"
[ "${fail:-0}" = 0 ] || [ "$rc" -ne 0 ] || rc=1
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$OUT/console.log" >&2
	echo "blk-real-test: FAILED (rc=$rc; console in ${OUT#"$TOP"/}/console.log)" >&2
fi
exit "$rc"
