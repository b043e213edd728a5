#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the gntv3 kselftests inside Xen VMs (make vm-test).  Expects the
# module in build/module/ and the selftest binaries in build/selftests/
# (the Makefile builds both first).  Each VM run prints its TAP output;
# the exit status is non-zero if any run failed, hung or oopsed.
#
# Runs: the dom0 suites; the two-domain suite and the block suite once per
# dom0/domU guest type (PV/PV, PV/PVH, PVH/PV, PVH/PVH); the soak; a 1 GiB
# grant from a PVH domU; the real drivers' suites; then the native round:
# the same suites (PV/PV) on the project's prototype v3 hypervisor, and
# its own tests (make xen-test).  Environment: GNTV3_VM_TYPES (the type
# pairs, default all four), GNTV3_VM_1G=0 (no 1 GiB run), GNTV3_SOAK=0,
# GNTV3_NET=0, GNTV3_BLK_REAL=0, GNTV3_NATIVE=0 and GNTV3_NATIVE_BLK_REAL=0
# (no soak, real network or block suites, native round, real block suite
# in the native round), and what xenvm.sh and blk-test.sh read.
set -uo pipefail

cd "$(dirname "$0")/.."
# GNTV3_BUILD: the build directory of the kernel series (the Makefile's BUILD)
BUILD=${GNTV3_BUILD:-build}
rc=0

adds=(--add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko")
# the fail-nth injector of gntv3_fail_nth (make fault-module: 6.12 only)
if [ -f "$BUILD/module/gntv3_fault.ko" ]; then
	adds+=(--add "$BUILD/module/gntv3_fault.ko:/lib/modules/gntv3_fault.ko")
fi
for t in "$BUILD"/selftests/gntv3_*; do
	[ -x "$t" ] && adds+=(--add "$t:/bin/$(basename "$t")")
done

# shellcheck source=scripts/lib/xdomain.sh
. scripts/lib/xdomain.sh
# xdomain_run XENVM-ARGS...: the two-domain suite, gntv3_xdomain in dom0
# driving gntv3-xpeer in a domU over xenstore, with the run's own
# arguments (name, timeout, guest types, environment).
xdomain_run() {
	xdomain_vm tools/testing/selftests/gntv3/xdomain-dom0.sh "$@"
}

# dom0 alone: a domain grants to itself and maps its own grants back.
# Twice the usual bound: the fail-nth sweeps (gntv3_fail_nth, with
# gntv3_fault.ko on 6.12) take about two minutes of their own.
bash scripts/xenvm.sh run --name selftest-dom0 --toolstack \
	--timeout $((${GNTV3_VM_TIMEOUT:-300} * 2)) \
	--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}" || rc=1

# teardown_run [XENVM-ARGS...]: the tear-down sweeps (gntv3_fail_nth -f
# teardown, with gntv3_fault teardown=1: 6.12 only), which leak on purpose
# and so run apart from dom0.sh, whose runs fail on any leak report.
teardown_run() {
	[ -f "$BUILD/module/gntv3_fault.ko" ] || return 0
	bash scripts/xenvm.sh run --name "selftest-dom0-teardown${1:-}" --toolstack \
		--timeout $((${GNTV3_VM_TIMEOUT:-300} * 2)) \
		--dom0 tools/testing/selftests/gntv3/dom0-teardown.sh "${adds[@]}"
}
teardown_run || rc=1

types_all=${GNTV3_VM_TYPES:-pv/pv pv/pvh pvh/pv pvh/pvh}
# dom0 alone as PVH, when a pairing below has a PVH dom0: the frontend
# suites run (a PVH domain's user memory comes in transparent huge pages),
# and every suite whose backend maps dom0's own grants must skip after its
# setup saw the attach refused (EOPNOTSUPP): an auto-translated domain
# cannot map its own grants (Documentation/gntv3/design.rst).
case " $types_all " in
*" pvh/"*)
	bash scripts/xenvm.sh run --name selftest-dom0-pvh --toolstack \
		--timeout $((${GNTV3_VM_TIMEOUT:-300} * 4)) --dom0-type pvh \
		--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}" || rc=1
	;;
esac

# The cross-domain suites run with every dom0/domU guest type: PV maps
# grants through its page tables, PVH (auto-translated) through its p2m.
# GNTV3_VM_TYPES narrows the list (e.g. "pv/pv"); each run prints its
# "guests: dom0=T domu=T" line before its TAP output.
for types in $types_all; do
	d0=${types%/*}
	du=${types#*/}
	# A PVH guest boots and maps slower under TCG (nested paging, and the
	# emulated IOMMU of a PVH dom0): four times the usual bounds.
	to=${GNTV3_VM_TIMEOUT:-300}
	blk_to=${GNTV3_BLK_TIMEOUT:-900}
	if [ "$types" != pv/pv ]; then
		to=$((to * 4))
		blk_to=$((blk_to * 4))
	fi
	# dom0 as the backend, a domU as the frontend: gntv3_xdomain in dom0
	# drives gntv3-xpeer in the domU over xenstore.
	xdomain_run --name "selftest-xdomain-$d0-$du" --timeout "$to" \
		--dom0-type "$d0" --domu-type "$du" || rc=1

	# The gntv3 virtual disk pair (integrity, backend reload, revoke
	# storm under I/O, counters) in dom0 + a domU; TAP with kselftest
	# totals.
	GNTV3_VM_DOM0_TYPE=$d0 GNTV3_VM_DOMU_TYPE=$du GNTV3_BLK_TIMEOUT=$blk_to \
		bash scripts/blk-test.sh || rc=1
done

# The soak: a PV domU destroyed while dom0 maps its grants, 20 times, each
# time dom0 back to zero, then free memory, kmemleak where there is one,
# a clean unload (scripts/soak-test.sh; about 5 min).  GNTV3_SOAK=0 leaves
# it out.
[ "${GNTV3_SOAK:-1}" = 0 ] || bash scripts/soak-test.sh || rc=1

# A real 1 GiB grant (gntv3_xdomain map_1g_superpage, the only test of
# this run): only a PVH domU can have 1 GiB pages (+pdpe1gb on the CPU, one
# reserved at its boot), and its 2^18 v1 references need Xen's grant
# limits raised: gnttab_max_frames for the domU's table, and
# gnttab_max_maptrack_frames for dom0's mappings (256 a frame; a PV dom0
# maps the leaf into its vmap too, 2^19 mappings: 2048 frames are not
# enough, the MAP gets ENOSPC).  dom0 needs more than 1 GiB of RAM: the
# test maps the leaf with GNTV3_MAP_F_VMAP, and vmap() refuses more pages
# than the kernel has RAM.  The domU gets 3 GiB (xdomain-dom0.sh), so QEMU
# 6 GiB.  GNTV3_VM_1G=0 leaves it out (make test does: a PVH guest).
if [ "${GNTV3_VM_1G:-1}" = 1 ]; then
	xen_1g="gnttab_max_frames=1024 gnttab_max_maptrack_frames=4096"
	GNTV3_VM_CPU=qemu64,+pdpe1gb GNTV3_VM_MEM=${GNTV3_VM_1G_MEM:-6144} GNTV3_VM_DOM0_MEM=1536M \
	GNTV3_VM_XEN_ARGS="$xen_1g${GNTV3_VM_XEN_ARGS:+ $GNTV3_VM_XEN_ARGS}" \
	xdomain_run --name selftest-xdomain-1g --timeout $((${GNTV3_VM_TIMEOUT:-300} * 4)) \
		--dom0-type pv --domu-type pvh \
		--env GNTV3_XD_1G=1 --env GNTV3_XD_ONLY=map_1g_superpage || rc=1
fi

# native_round: every PV/PV suite above again on the hypervisor $GNTV3_XEN
# names (the project's prototype, xen/patches), where transport=auto picks
# the native transport, each VM run named <run>-native; then the
# prototype's own tests.  A run that did not use the native transport
# fails: nobody may mistake a v1 fallback for a native pass.
native_round() {
	local n runs
	# gntv3_native grants and ends a million ids: 40 to 70 s of its own
	bash scripts/xenvm.sh run --name selftest-dom0-native --toolstack \
		--timeout $((${GNTV3_VM_TIMEOUT:-300} * 3)) \
		--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}" || rc=1
	teardown_run -native || rc=1
	xdomain_run --name selftest-xdomain-native || rc=1
	GNTV3_RUN_SUFFIX=-native bash scripts/blk-test.sh || rc=1
	[ "${GNTV3_NATIVE_BLK_REAL:-1}" = 0 ] ||
		GNTV3_RUN_SUFFIX=-native bash scripts/blk-real-test.sh || rc=1
	# the hypervisor's own tests do not depend on the guest kernel: once,
	# with 6.12
	[ "${GNTV3_KERNEL:-6.12}" != 6.12 ] || bash scripts/xen-test.sh || rc=1
	runs="selftest-dom0 selftest-xdomain blk"
	[ "${GNTV3_NATIVE_BLK_REAL:-1}" = 0 ] || runs="$runs blk-real"
	[ ! -f "$BUILD/module/gntv3_fault.ko" ] || runs="$runs selftest-dom0-teardown"
	for n in $runs; do
		native_check "$n-native" "$BUILD/vm/$n-native.log" || rc=1
	done
}

# A real network link, dom0's xen-netback and a domU's xen-netfront, stock
# and patched (patches/xen-net): checksummed TCP streams both ways, MTU
# 1500 and 9000; TAP with kselftest totals.
# GNTV3_NET=0 leaves it out.  The series is written against 6.12 and
# applies unchanged to 6.1 (scripts/xen-net.sh).
[ "${GNTV3_NET:-1}" = 0 ] || bash scripts/net-test.sh || rc=1

# Linux's own xen-blkfront/xen-blkback with patches/xen-blk (6.12) or
# patches/xen-blk-6.1, patched and stock in all four combinations
# (scripts/blk-real-test.sh).
# GNTV3_BLK_REAL=0 leaves it out.
[ "${GNTV3_BLK_REAL:-1}" = 0 ] || bash scripts/blk-real-test.sh || rc=1

# The native round, on the prototype built by scripts/xen-build.sh (or
# taken from its cache outside the clone: cold about 4 minutes on an idle
# 2-core machine).  GNTV3_NATIVE=0 leaves it out.
if [ "${GNTV3_NATIVE:-1}" != 0 ]; then
	. scripts/lib/native.sh
	if prototype_xen vm-test; then
		GNTV3_XEN=$proto_xen native_round
	else
		rc=1
	fi
fi

exit $rc
