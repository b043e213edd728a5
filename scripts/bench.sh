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
# within the run), min=/max= the extremes of those ratios.  The revoke rows
# (revoke_4k, revoke_2m) are per grant, and there gntv3= is the revoke
# round trip (request -> the backend unmaps -> ACK) of one mapped grant of
# that size and stock= a plain stock map+unmap of the same size, so ratio =
# revoke round trip / map+unmap.
#
# The memory rows, from the same run, are no timings:
#   bench: mem_tree_<g> bytes=<b> granted=<g> per_granted=1/<n> target=1/500 ok|over
# the tree's own memory (table pages and grant records, of a fresh tree,
# gntv3_front_get_stats() before and after) for 512 4 KiB grants (4k), one
# 2 MiB grant (2m) and 8192 4 KiB grants (4k_8192), and
#   bench: mem_map_<n> bytes_per_mapping=<b> mappings=<m> target=64 ok|over
# gntv3's tracking memory per live mapping (gntv3_get_mem_stats() before
# and after a gntv3_map()) of 1 and 512 4 KiB grants and one 2 MiB grant.
# A missing row fails the run; one over its target does not.
#
# Then the same bench module in a second VM (bench-native) on the project's
# prototype v3 hypervisor (scripts/xen-build.sh, cached; GNTV3_XEN), where
# gntv3 picks its native transport: the rows get the suffix _native, and
# stock= is the stock v1 grant API on that same hypervisor, same run, A B
# A B.  The run fails unless gntv3 printed and debugfs says "native"
# (dom0-bench.sh's GNTV3_BENCH_TRANSPORT, gntv3_bench's transport=).
# revoke_4k_native is still gntv3_revoke()'s round trip through the
# connected backend (then GNTTABOP_v3_unmap by the backend, a cooperative
# GNTTABOP_v3_revoke to end the grant); revoke_4k_forced_native is
# gntv3_revoke() of a tree with no connection: the forced
# GNTTABOP_v3_revoke with the scratch page (bench_main.c).  No
# revoke_2m_native (a native backend maps a 2 MiB grant by its 512 ids,
# the row maps one).
#
# Then the block rows: scripts/blk-test.sh --bench (bench: blk_*) and
# scripts/bench-blk-real.sh (bench: blk_real_*, MB/s, with a nopersist=
# column), then the network rows: scripts/net-test.sh --bench (bench:
# net_real_*, Mbit/s, and net_real_*_dom0_cpu, ms/MiB), each a VM run of
# its own.  Fails if a run failed or any row is missing.
#
# Environment: KDIR (as the Makefile), GNTV3_BENCH_REPS (repetitions per
# row, default the module's), GNTV3_BENCH_TRACE (default 1: after the
# table, print one revoke round trip as gntv3's tracepoints saw it; 0
# leaves it out; GNTV3_BENCH_TRACE_EVENTS adds kernel events to it, as
# "sched/sched_switch+irq/irq_handler_entry"), GNTV3_BENCH_ONLY (the runs
# to make, of "stock native blk blk_real net_real"; default all five), and
# everything scripts/xenvm.sh reads.
# Timings are of an emulated CPU (QEMU TCG): compare the two columns, not
# the absolute values with hardware; other VMs on the host make them noisy.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
CACHE=${GNTV3_CACHE:-$TOP/.cache}
KDIR=${KDIR:-/usr/src/linux-headers-$(cat "$CACHE/kver")}
BENCH=$TOP/tools/gntv3/bench
OUT=$TOP/build/bench
ROWS=(grant_4k grant_2m map_unmap_1 map_unmap_16 map_unmap_512 map_unmap_2m revoke_4k revoke_2m map_unmap_1_cached map_unmap_512_cached)
ROWS_NATIVE=(grant_4k grant_2m map_unmap_1 map_unmap_16 map_unmap_512 map_unmap_2m revoke_4k revoke_4k_forced map_unmap_1_cached map_unmap_512_cached)
# the memory rows (bench_main.c), the same on both transports
MEM_TREE_ROWS=(mem_tree_4k mem_tree_2m mem_tree_4k_8192)
MEM_MAP_ROWS=(mem_map_1 mem_map_512 mem_map_2m)
ONLY=" ${GNTV3_BENCH_ONLY:-stock native blk blk_real net_real} "

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
[ -z "${GNTV3_BENCH_TRACE_EVENTS:-}" ] ||
	envs+=(--env "GNTV3_BENCH_TRACE_EVENTS=$GNTV3_BENCH_TRACE_EVENTS")
rc=0

# bench_vm NAME CONSOLE [xenvm.sh option]...: one VM run of gntv3_bench,
# its console to CONSOLE.  Timings without memory poisoning: it is for the
# test runs.
bench_vm() {
	local name=$1 console=$2

	shift 2
	GNTV3_VM_POISON='' bash scripts/xenvm.sh run --name "$name" --toolstack \
		--dom0 tools/gntv3/bench/dom0-bench.sh \
		--add build/module/gntv3.ko:/lib/modules/gntv3.ko \
		--add "$OUT/gntv3_bench.ko:/lib/modules/gntv3_bench.ko" \
		"${envs[@]}" "$@" >"$console"
}

# bench_grep_rows CONSOLE SUFFIX TAIL ROW...: every row's line, name +
# SUFFIX followed by the regular expression TAIL; 1 (after a message per
# row) if one is missing.
bench_grep_rows() {
	local console=$1 suffix=$2 tail=$3 row ret=0

	shift 3
	for row in "$@"; do
		if ! grep -qE "^bench: $row$suffix $tail$" "$console"; then
			echo "bench: row $row$suffix missing or zero" >&2
			ret=1
		fi
	done
	return "$ret"
}

# bench_check CONSOLE SUFFIX ROW...: every row's line with non-zero
# numbers.  A zero is no measurement: it happened once when the guest's
# clock fell back from the TSC and fast operations timed as 0 ns.
bench_check() {
	bench_grep_rows "$1" "$2" \
		'gntv3=[1-9][0-9]* stock=[1-9][0-9]* ratio=[0-9.]+ min=[0-9.]+ max=[0-9.]+ rounds=[1-9][0-9]*' \
		"${@:3}"
}

# bench_check_mem CONSOLE SUFFIX: every memory row's line, name + SUFFIX,
# with a measured (non-zero) number.  A row over its target ("over") is
# reported, not failed.
bench_check_mem() {
	local ret=0

	bench_grep_rows "$1" "$2" \
		'bytes=[1-9][0-9]* granted=[1-9][0-9]* per_granted=1/[0-9]+ target=1/500 (ok|over)' \
		"${MEM_TREE_ROWS[@]}" || ret=1
	bench_grep_rows "$1" "$2" \
		'bytes_per_mapping=[1-9][0-9]* mappings=[1-9][0-9]* target=64 (ok|over)' \
		"${MEM_MAP_ROWS[@]}" || ret=1
	return "$ret"
}

# bench_failed CONSOLE RC: the end of a failed run's console
bench_failed() {
	tail -n 40 "$1" >&2
	echo "bench: FAILED (rc=$2; console in ${1#"$TOP"/})" >&2
}

if [[ $ONLY == *" stock "* ]]; then
	run=0
	bench_vm bench "$OUT/console.log" || run=$?
	echo "=== gntv3 vs stock grant API (build/vm/bench.log; QEMU TCG, ns per 4 KiB page;"
	echo "=== revoke_*: ns per grant, gntv3 = revoke round trip, stock = map+unmap of that size)"
	grep -E '^(gntv3_bench|bench): ' "$OUT/console.log" || true
	echo "=== one revoke_4k round trip, gntv3's tracepoints (tracefs events/gntv3, a reps=1 run)"
	grep -E '^gntv3-trace: ' "$OUT/console.log" || true
	bench_check "$OUT/console.log" "" "${ROWS[@]}" || [ "$run" -ne 0 ] || run=1
	bench_check_mem "$OUT/console.log" "" || [ "$run" -ne 0 ] || run=1
	if [ "$run" -ne 0 ]; then
		bench_failed "$OUT/console.log" "$run"
		rc=$run
	fi
fi

# The same rows on the prototype v3 hypervisor, gntv3 on its native
# transport; stock is the v1 grant API on that hypervisor.
if [[ $ONLY == *" native "* ]]; then
	run=0
	if xen=$(bash scripts/xen-build.sh | tail -n1) && [ -f "$xen" ]; then
		GNTV3_XEN=$xen bench_vm bench-native "$OUT/console-native.log" \
			--env GNTV3_BENCH_TRANSPORT=native \
			--env GNTV3_BENCH_SUFFIX=_native || run=$?
		echo "=== native: gntv3 on the prototype v3 hypervisor against the stock v1 grant API on it"
		echo "=== (build/vm/bench-native.log; revoke_4k: round trip, revoke_4k_forced: no connection, forced)"
		grep -E '^(gntv3: using the|gntv3-transport:|gntv3_bench|bench): ' "$OUT/console-native.log" || true
		echo "=== one revoke_4k_native round trip, gntv3's tracepoints"
		grep -E '^gntv3-trace: ' "$OUT/console-native.log" || true
		# numbers of another transport must not pass as native ones
		if ! grep -q '^gntv3: using the native transport' "$OUT/console-native.log" ||
		   ! grep -q '^gntv3-transport: native$' "$OUT/console-native.log"; then
			echo "bench: bench-native did not run on the native transport" >&2
			[ "$run" -ne 0 ] || run=1
		fi
		bench_check "$OUT/console-native.log" _native "${ROWS_NATIVE[@]}" ||
			[ "$run" -ne 0 ] || run=1
		bench_check_mem "$OUT/console-native.log" _native ||
			[ "$run" -ne 0 ] || run=1
		[ "$run" -eq 0 ] || bench_failed "$OUT/console-native.log" "$run"
	else
		echo "bench: the prototype hypervisor did not build (scripts/xen-build.sh)" >&2
		run=1
	fi
	[ "$run" -eq 0 ] || rc=$run
fi

# The block rows: the gntv3 disk pair against xen-blkfront/xen-blkback.
if [[ $ONLY == *" blk "* ]]; then
	bash scripts/blk-test.sh --bench || rc=1
fi
# The blk_real rows, a VM run of their own: Linux's xen-blkfront/xen-blkback
# with patches/xen-blk (gntv3) against Debian's, with and without
# persistent grants.  Fails if a row is missing.
if [[ $ONLY == *" blk_real "* ]]; then
	bash scripts/bench-blk-real.sh || rc=1
fi
# The net_real rows, a VM run of their own: Linux's xen-netfront/xen-netback
# with patches/xen-net (gntv3) against Debian's, TCP through the vif.
if [[ $ONLY == *" net_real "* ]]; then
	{ bash scripts/xen-net.sh build && bash scripts/net-test.sh --bench; } || rc=1
fi
exit "$rc"
