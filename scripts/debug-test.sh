#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make debug-test: gntv3's suites in a Xen VM whose guests run the debug
# kernel of scripts/debug-kernel.sh.  Any report of its checkers fails the
# run (scripts/xenvm.sh scans the console; /init scans kmemleak once the
# suite is done, scripts/vm/vm.sh vm_kmemleak_check).  Two flavours
# (GNTV3_DEBUG_FLAVOUR, Documentation/gntv3/testing.rst, *Layer 4*):
#
#  pv (default)  lockdep, kmemleak, debug objects, KFENCE, list debugging
#                and fault injection, no KASAN; dom0 and the domU boot it
#                as PV guests on Debian's Xen.  Runs:
#    debug-dom0      every dom0 suite (dom0.sh: the loopback suites map
#                    dom0's own grants), gntv3_fail_nth with the kernel's
#                    own fail-nth, gntv3_fault.ko (built for this kernel)
#                    adding gntv3's hypercalls to its count;
#    debug-xdomain   gntv3_xdomain, dom0 and the domU both on this kernel:
#                    the mapper, the unmap paths and both ends of the ring
#                    between two domains;
#    debug-soak      the soak (scripts/soak-test.sh), both guests on this
#                    kernel, GNTV3_DEBUG_SOAK rounds (default 5): a domU
#                    destroyed while dom0 maps its grants, each round
#                    checked, and kmemleak scanned at the end;
#    blk-debug       only with GNTV3_DEBUG_BLK=1 (make test's 90 minutes
#                    on a new machine have no room for it): the gntv3 disk
#                    pair's suite (scripts/blk-test.sh), gntv3_blkfront
#                    and gntv3_blkback built for this kernel, both guests
#                    on it, with its stock pair and brd;
#    debug-dom0-native  every dom0 suite again on the project's prototype
#                    hypervisor (scripts/xen-build.sh), gntv3 on its native
#                    transport, all fail-nth sweeps; native's
#                    million_ids_in_one_tree left out: kmemleak tracks each
#                    of its million grant records, about 460 MB that the
#                    1 GiB dom0 does not have (the OOM killer ended it).
#  pvh           the same checkers with KASAN, which boots only as a PVH
#                guest (scripts/debug-kernel/pvh-kasan.patch).  A PVH
#                dom0 cannot map its own grants (gntv3 refuses the attach,
#                design.rst), so debug-dom0 runs gntv3_front and the
#                fail-nth sweeps that map nothing; debug-xdomain (PVH
#                dom0, a PV domU on Debian's kernel) only with
#                GNTV3_DEBUG_XDOMAIN=1: Linux's xen-gntdev has a lock
#                order that lockdep reports, and QEMU's nested SVM loses
#                PVH guests to triple faults under TCG.
#
# The kernel is built once per key and cached outside the clone (cold:
# see scripts/debug-kernel.sh); gntv3.ko is built against that tree into
# build/debug/module/ (and, for the pvh flavour's domU, against Debian's
# headers into build/module/).  TAP output like make vm-test.  Environment:
# GNTV3_DEBUG_FLAVOUR, GNTV3_VM_TIMEOUT (default here 3600 s: the
# checkers under QEMU TCG are slow), GNTV3_DEBUG_TESTS (the dom0 suites to
# run; default all, "gntv3_front gntv3_fail_nth" for pvh),
# GNTV3_DEBUG_FAIL_NTH (gntv3_fail_nth's sweeps, names joined by "+", ""
# for all; default all, four for pvh: below), GNTV3_DEBUG_XDOMAIN (1: the
# second run, 0: not; default 1 for pv), GNTV3_DEBUG_SOAK (the soak's
# rounds, 0: no soak; default 5 for pv, 0 for pvh), GNTV3_DEBUG_BLK (1: the
# disk pair's run, 0: not; default 0; pv only), GNTV3_DEBUG_NATIVE (1:
# the native run, 0: not; default 1 for pv), GNTV3_DEBUG_KERNEL (a directory
# laid out as scripts/debug-kernel.sh's, used as it is instead of the
# cached build), and what scripts/debug-kernel.sh and scripts/xenvm.sh
# read.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=build/debug

flavour=${GNTV3_DEBUG_FLAVOUR:-pv}
export GNTV3_DEBUG_FLAVOUR=$flavour
case $flavour in
pv)
	dom0_type=pv
	tests=${GNTV3_DEBUG_TESTS:-all}
	nth_only=${GNTV3_DEBUG_FAIL_NTH-}
	xdomain=${GNTV3_DEBUG_XDOMAIN:-1}
	soak=${GNTV3_DEBUG_SOAK:-5}
	blk=${GNTV3_DEBUG_BLK:-0}
	native=${GNTV3_DEBUG_NATIVE:-1}
	;;
pvh)
	dom0_type=pvh
	tests=${GNTV3_DEBUG_TESTS:-gntv3_front gntv3_fail_nth}
	# Under KASAN and TCG a fault point costs seconds where it costs
	# milliseconds on Debian's kernel, so not all of make vm-test's
	# sweeps; of those that map nothing (the rest skip in a PVH dom0): a
	# tree's set-up and tear-down and the connection, whose event channel
	# hypercalls are fault points.
	nth_only=${GNTV3_DEBUG_FAIL_NTH-tree_create+end_4k+tree_destroy+connect}
	xdomain=${GNTV3_DEBUG_XDOMAIN:-0}
	soak=${GNTV3_DEBUG_SOAK:-0}
	blk=0	# the domU would need this kernel, a PVH one
	native=${GNTV3_DEBUG_NATIVE:-0}
	;;
*)
	echo "debug: GNTV3_DEBUG_FLAVOUR is pv or pvh"
	exit 1
	;;
esac

if [ -n "${GNTV3_DEBUG_KERNEL:-}" ]; then
	dk=$GNTV3_DEBUG_KERNEL
else
	dk=$(bash scripts/debug-kernel.sh) || { echo "debug: kernel build failed"; exit 1; }
fi
echo "debug: $flavour kernel $(cat "$dk/kver") in $dk (cold build took $(cat "$dk/build-time") s)"
# Kbuild writes objects next to the sources: the Debian build first (the
# selftests; the pvh domU's module), then the debug kernel's; the next
# "make modules" against the Debian headers rebuilds them (their command
# lines differ).
make -s modules selftests || { echo "debug: module build failed"; exit 1; }
make -s modules fault-module KDIR="$dk/build" BUILD="$PWD/$BUILD" ||
	{ echo "debug: module build failed"; exit 1; }

export GNTV3_VM_KERNEL=$dk
export GNTV3_VM_TIMEOUT=${GNTV3_VM_TIMEOUT:-3600}

rc=0
adds=(--add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko")
# gntv3's hypercalls as fault points of the kernel's fail-nth (dom0.sh)
case " $tests " in *" gntv3_fail_nth "* | " all ")
	adds+=(--add "$BUILD/module/gntv3_fault.ko:/lib/modules/gntv3_fault.ko") ;;
esac
for t in build/selftests/gntv3_*; do
	case " $tests " in " all " | *" ${t##*/} "*) ;; *) continue ;; esac
	[ -x "$t" ] && adds+=(--add "$t:/bin/$(basename "$t")")
done
bash scripts/xenvm.sh run --name debug-dom0 --toolstack --dom0-type "$dom0_type" \
	--env "GNTV3_FAIL_NTH_ONLY=$nth_only" \
	--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}" || rc=1

# native_run: the dom0 suites on the prototype hypervisor; a run in which
# gntv3 did not pick the native transport fails, as in make vm-test.
native_run() {
	. scripts/lib/native.sh
	prototype_xen debug || return 1
	GNTV3_XEN=$proto_xen bash scripts/xenvm.sh run --name debug-dom0-native \
		--toolstack --env "GNTV3_FAIL_NTH_ONLY=$nth_only" \
		--env GNTV3_DOM0_EXCLUDE=gntv3_native:million_ids_in_one_tree \
		--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}" || return 1
	native_check debug-dom0-native build/vm/debug-dom0-native.log
}

debug_ko=$BUILD/module/gntv3.ko
if [ "$xdomain" = 1 ]; then
	. scripts/lib/xdomain.sh
	if [ "$flavour" = pv ]; then
		# both guests on the debug kernel, each with its gntv3.ko
		BUILD=build DOM0_GNTV3_KO=$debug_ko DOMU_GNTV3_KO=$debug_ko \
			xdomain_vm tools/testing/selftests/gntv3/xdomain-dom0.sh \
			--name debug-xdomain || rc=1
	else
		# dom0 the debug kernel's gntv3.ko, the domU Debian's kernel and
		# its build/ (the selftests are built once, in build/)
		BUILD=build DOM0_GNTV3_KO=$debug_ko GNTV3_VM_DOMU_KERNEL=distro \
			xdomain_vm tools/testing/selftests/gntv3/xdomain-dom0.sh \
			--name debug-xdomain --dom0-type pvh --domu-type pv || rc=1
	fi
fi

if [ "$soak" != 0 ]; then
	# both guests on this kernel: kmemleak is scanned in dom0 at the end
	DOM0_GNTV3_KO=$debug_ko DOMU_GNTV3_KO=$debug_ko SOAK_ROUNDS=$soak \
		GNTV3_RUN_SUFFIX=-debug bash scripts/soak-test.sh || rc=1
fi

# the disk pair built for this kernel (make modules above), both guests on it
[ "$blk" = 0 ] || GNTV3_BUILD=$PWD/$BUILD GNTV3_RUN_SUFFIX=-debug \
	bash scripts/blk-test.sh || rc=1

[ "$native" = 0 ] || native_run || rc=1
exit "$rc"
