#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make debug-test: gntv3's suites in a Xen VM whose dom0 runs the debug
# kernel of scripts/debug-kernel.sh: KASAN, KFENCE, lockdep, debug
# objects, kmemleak and fault injection.  Any report of one of them fails
# the run (scripts/xenvm.sh scans the console; /init scans kmemleak once
# the suite is done, scripts/vm/vm.sh vm_kmemleak_check).  dom0 boots as
# PVH: a KASAN kernel cannot boot as a PV guest (see
# scripts/debug-kernel/pvh-kasan.patch).  Two runs:
#
#  debug-dom0     the dom0 suites.  A PVH dom0 cannot map its own grants
#                 (Xen would take the granting pages out of its p2m; gntv3
#                 refuses the attach and the loopback suites skip:
#                 Documentation/gntv3/design.rst), so by default the ones
#                 that need no such mapping: gntv3_front, and
#                 gntv3_fail_nth's sweeps of the frontend's paths with the
#                 kernel's own fail-nth, gntv3_fault.ko (built for this
#                 kernel) adding gntv3's hypercalls to its count;
#  debug-xdomain  with GNTV3_DEBUG_XDOMAIN=1 only: gntv3_xdomain, the
#                 debug dom0 as the backend, mapping, unmapping and
#                 revoking the grants of a PV domU that runs Debian's
#                 kernel (GNTV3_VM_DOMU_KERNEL=distro) and a gntv3.ko
#                 built for that one: the mapper, the unmap paths and the
#                 backend's ring under KASAN.  Why it is not in make
#                 test (a lockdep report in Linux's xen-gntdev, a PVH
#                 triple fault): Documentation/gntv3/testing.rst.
#
# The kernel is built once per key and cached outside the clone (cold:
# see scripts/debug-kernel.sh); gntv3.ko is built against that tree into
# build/debug/module/, and against Debian's headers into build/module/ for
# the domU.  TAP output like make vm-test.  Environment:
# GNTV3_VM_TIMEOUT (default here 3600 s: KASAN and lockdep under QEMU TCG
# are slow), GNTV3_DEBUG_TESTS (the dom0 suites to run; default
# "gntv3_front gntv3_fail_nth"), GNTV3_DEBUG_FAIL_NTH (its sweeps, see
# below), GNTV3_DEBUG_XDOMAIN=1 (the second run),
# GNTV3_DEBUG_KERNEL (a directory laid out as scripts/debug-kernel.sh's,
# used as it is instead of the cached build), and what
# scripts/debug-kernel.sh and scripts/xenvm.sh read.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=build/debug

if [ -n "${GNTV3_DEBUG_KERNEL:-}" ]; then
	dk=$GNTV3_DEBUG_KERNEL
else
	dk=$(bash scripts/debug-kernel.sh) || { echo "debug: kernel build failed"; exit 1; }
fi
echo "debug: kernel $(cat "$dk/kver") in $dk (cold build took $(cat "$dk/build-time") s)"
# Kbuild writes objects next to the sources: the Debian build first (the
# domU's module), then the debug kernel's; the next "make modules" against
# the Debian headers rebuilds them (their command lines differ).
make -s modules selftests || { echo "debug: module build failed"; exit 1; }
make -s modules fault-module KDIR="$dk/build" BUILD="$PWD/$BUILD" ||
	{ echo "debug: module build failed"; exit 1; }

export GNTV3_VM_KERNEL=$dk
export GNTV3_VM_TIMEOUT=${GNTV3_VM_TIMEOUT:-3600}

rc=0
tests=${GNTV3_DEBUG_TESTS:-gntv3_front gntv3_fail_nth}
# The sweeps of gntv3_fail_nth run here: under KASAN and TCG a fault point
# costs seconds where it costs milliseconds on Debian's kernel, so not all
# 21 of make vm-test's (names joined by "+"; "" for all).  Of those that
# map nothing (the rest skip in a PVH dom0): a tree's set-up and tear-down
# and the connection, whose event channel hypercalls are fault points.
nth_only=${GNTV3_DEBUG_FAIL_NTH-tree_create+end_4k+tree_destroy+connect}
adds=(--add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko")
# gntv3's hypercalls as fault points of the kernel's fail-nth (dom0.sh)
case " $tests " in *" gntv3_fail_nth "*)
	adds+=(--add "$BUILD/module/gntv3_fault.ko:/lib/modules/gntv3_fault.ko") ;;
esac
for t in build/selftests/gntv3_*; do
	case " $tests " in *" ${t##*/} "*) ;; *) continue ;; esac
	[ -x "$t" ] && adds+=(--add "$t:/bin/$(basename "$t")")
done
bash scripts/xenvm.sh run --name debug-dom0 --toolstack --dom0-type pvh \
	--env "GNTV3_FAIL_NTH_ONLY=$nth_only" \
	--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}" || rc=1

# dom0 the debug kernel's gntv3.ko, the domU Debian's kernel and its
# build/ (the selftests are built once, in build/)
if [ "${GNTV3_DEBUG_XDOMAIN:-0}" = 1 ]; then
	. scripts/lib/xdomain.sh
	dom0_ko=$BUILD/module/gntv3.ko
	BUILD=build DOM0_GNTV3_KO=$dom0_ko GNTV3_VM_DOMU_KERNEL=distro \
		xdomain_vm tools/testing/selftests/gntv3/xdomain-dom0.sh \
		--name debug-xdomain --dom0-type pvh --domu-type pv || rc=1
fi
exit "$rc"
