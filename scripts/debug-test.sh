#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make debug-test: the dom0 kselftest suite (gntv3_front, gntv3_back,
# gntv3_ring and the fail-nth sweeps of gntv3_fail_nth) in a Xen VM whose
# dom0 runs the debug kernel of scripts/debug-kernel.sh: KASAN, KFENCE,
# lockdep, debug objects, kmemleak and fault injection.  Any report of one
# of them fails the run (scripts/xenvm.sh scans the console; /init scans
# kmemleak once the suite is done, scripts/vm/vm.sh vm_kmemleak_check).
# dom0 boots as PVH: a KASAN kernel cannot boot as a PV guest (see
# scripts/debug-kernel/pvh-kasan.patch).  A PVH dom0 cannot map its own
# grants (Xen would take the granting pages out of its p2m; gntv3 refuses
# the attach and the loopback suites skip: Documentation/gntv3/design.rst),
# so by default only the suites that map nothing run.
#
# The kernel is built once per key and cached outside the clone (cold:
# see scripts/debug-kernel.sh); gntv3.ko is built against that tree into
# build/debug/module/.  TAP output like make vm-test.  Environment:
# GNTV3_VM_TIMEOUT (default here 3600 s: KASAN and lockdep under QEMU TCG
# are slow), GNTV3_DEBUG_TESTS (the suites to run, e.g. "gntv3_fail_nth";
# default "gntv3_front gntv3_native", see above), GNTV3_DEBUG_KERNEL (a
# directory laid out as scripts/debug-kernel.sh's, used as it is instead
# of the cached build), and what scripts/debug-kernel.sh and
# scripts/xenvm.sh read.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=build/debug

if [ -n "${GNTV3_DEBUG_KERNEL:-}" ]; then
	dk=$GNTV3_DEBUG_KERNEL
else
	dk=$(bash scripts/debug-kernel.sh) || { echo "debug: kernel build failed"; exit 1; }
fi
echo "debug: kernel $(cat "$dk/kver") in $dk (cold build took $(cat "$dk/build-time") s)"
# Kbuild writes objects next to the sources: the next "make modules"
# against the Debian headers rebuilds them (their command lines differ).
make -s modules KDIR="$dk/build" BUILD="$PWD/$BUILD" || { echo "debug: module build failed"; exit 1; }
make -s selftests || exit 1

export GNTV3_VM_KERNEL=$dk
export GNTV3_VM_TIMEOUT=${GNTV3_VM_TIMEOUT:-3600}

tests=${GNTV3_DEBUG_TESTS:-gntv3_front gntv3_native}
adds=(--add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko")
for t in build/selftests/gntv3_*; do
	case " $tests " in *" ${t##*/} "*) ;; *) continue ;; esac
	[ -x "$t" ] && adds+=(--add "$t:/bin/$(basename "$t")")
done
bash scripts/xenvm.sh run --name debug-dom0 --toolstack --dom0-type pvh \
	--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}"
