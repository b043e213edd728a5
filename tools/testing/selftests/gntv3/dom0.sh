# SPDX-License-Identifier: GPL-2.0-only
# dom0.sh - run the gntv3 kselftests in dom0.
#
# Sourced (busybox sh) by the guest's /init with /lib/vm.sh loaded, from
#   scripts/xenvm.sh run --name selftest --dom0 <this file> \
#       --add build/module/gntv3.ko:/lib/modules/gntv3.ko \
#       --add build/selftests/gntv3_front:/bin/gntv3_front [--add ...gntv3_back...]
#
# Loads the Xen modules, starts xenstored (the run needs --toolstack) and
# gntv3.ko, runs every /bin/gntv3_* test binary but the two-domain ones
# (their TAP goes to the console), unloads gntv3 and checks that the kernel
# log holds no gntv3 leak or problem report.  Exits non-zero if anything
# failed.

GNTV3_KO=${GNTV3_KO:-/lib/modules/gntv3.ko}
export GNTV3_KO

gntv3_loaded() { [ -d /sys/module/gntv3 ]; }

# The sweeps of gntv3_fail_nth need fault injection: the kernel's
# per-task fail-nth where it has one (the debug kernel), else the test
# module gntv3_fault.ko (Linux 6.12 only: without it, on 6.1, the sweeps
# skip).  The module also puts gntv3's hypercalls in the count, on either
# kernel (built for the kernel at hand: on the debug kernel it probes only
# those).  It probes every slab and page allocation of the whole system
# where it emulates fail-nth, so it is loaded for that suite only.
FAULT_KO=/lib/modules/gntv3_fault.ko
fault_load() {
    if [ ! -f "$FAULT_KO" ]; then
        [ -e "/proc/$$/task/$$/fail-nth" ] ||
            echo "dom0: no fail-nth and no $FAULT_KO"
        return 0
    fi
    insmod "$FAULT_KO" || { echo "dom0: insmod $FAULT_KO failed"; return 1; }
    fault=1
}
fault_unload() {
    [ -n "$fault" ] || return 0
    grep . /sys/kernel/debug/gntv3_fault/stats
    rmmod gntv3_fault || { echo "dom0: rmmod gntv3_fault failed"; return 1; }
}

vm_xen_modules || exit 1
# xenstore: the ring tests connect a frontend and a backend through it.
vm_toolstack_start || exit 1
insmod "$GNTV3_KO" || { echo "dom0: insmod $GNTV3_KO failed"; exit 1; }
[ -c /dev/gntv3 ] || { echo "dom0: no /dev/gntv3 after insmod"; exit 1; }
grep . /sys/kernel/debug/gntv3/transport

fail=0
ran=0
for t in /bin/gntv3_*; do
    [ -x "$t" ] || continue
    # Two-domain suites need a domU: they run in their own VM (vm-test.sh).
    case $t in /bin/gntv3_xdomain*) continue ;; esac
    ran=$((ran + 1))
    fault=
    if [ "$t" = /bin/gntv3_fail_nth ] && ! fault_load; then
        fail=1
        continue
    fi
    # GNTV3_FAIL_NTH_ONLY=a+b+...: only those sweeps (the debug tier,
    # where each fault point costs seconds)
    # (the "teardown" sweeps have a VM run of their own: dom0-teardown.sh)
    args=
    if [ "$t" = /bin/gntv3_fail_nth ] && [ -n "${GNTV3_FAIL_NTH_ONLY:-}" ]; then
        for s in $(echo "$GNTV3_FAIL_NTH_ONLY" | tr + ' '); do
            args="$args -t $s"
        done
    elif [ "$t" = /bin/gntv3_fail_nth ]; then
        args=" -f nth"
    fi
    # GNTV3_DOM0_EXCLUDE=suite:test+suite:test...: leave those tests out
    # (-T), each with a line saying so (the debug tier: a test whose size
    # its checkers cannot carry)
    for x in $(echo "${GNTV3_DOM0_EXCLUDE:-}" | tr + ' '); do
        [ "/bin/${x%%:*}" = "$t" ] || continue
        echo "dom0: ${x#*:} of $t left out (GNTV3_DOM0_EXCLUDE)"
        args="$args -T ${x#*:}"
    done
    t0=$(vm_up)
    echo "dom0: ---- $t$args ----"
    # shellcheck disable=SC2086 # one word per option
    "$t" $args
    rc=$?
    echo "dom0: $t exit $rc in $(vm_since "$t0")s"
    [ "$rc" = 0 ] || fail=1
    fault_unload || fail=1
    # A test that unloads the module may have failed before reloading it.
    if ! gntv3_loaded; then
        echo "dom0: gntv3 not loaded after $t, reloading it"
        fail=1
        insmod "$GNTV3_KO" || exit 1
    fi
done
[ "$ran" -gt 0 ] || { echo "dom0: no /bin/gntv3_* test binary"; fail=1; }

grep . /sys/kernel/debug/gntv3/stats
rmmod gntv3 || { echo "dom0: rmmod gntv3 failed"; fail=1; }
# vm_dmesg_grep prints the matches (its status is always sed's).
leaks=$(vm_dmesg_grep 'gntv3: .*(leak|still mapped)')
if [ -n "$leaks" ]; then
    echo "$leaks"
    echo "dom0: gntv3 reported leaks at unload"
    fail=1
fi

echo "dom0: gntv3 selftests $([ "$fail" = 0 ] && echo PASSED || echo FAILED)"
exit "$fail"
