# SPDX-License-Identifier: GPL-2.0-only
# xdomain-dom0.sh - run gntv3_xdomain: dom0 as the
# backend, a PV domU as the frontend.
#
# Sourced (busybox sh) by dom0's /init with /lib/vm.sh loaded, from
#   scripts/xenvm.sh run --name selftest-xdomain \
#       --dom0 <this file> \
#       --add build/module/gntv3.ko:/lib/modules/gntv3.ko \
#       --add build/selftests/gntv3_xdomain:/bin/gntv3_xdomain \
#       --domu tools/testing/selftests/gntv3/xdomain-domu.sh \
#       --domu-add build/module/gntv3.ko:/lib/modules/gntv3.ko \
#       --domu-add build/selftests/gntv3-xpeer:/bin/gntv3-xpeer
#
# Loads gntv3, starts the toolstack and the domU, waits for the domU's peer
# to publish its tree, runs /bin/gntv3_xdomain (TAP on the console; its last
# test destroys the domU), shows the domU console, then checks that dom0 is
# healthy: every gntv3 counter back to zero, no backend connection left, the
# domU gone for good, gntv3 unloads without reporting a leak.  Exits non-zero if anything failed.

GNTV3_KO=${GNTV3_KO:-/lib/modules/gntv3.ko}
export GNTV3_KO

fail=0

vm_xen_modules || exit 1
insmod "$GNTV3_KO" || { echo "dom0: insmod $GNTV3_KO failed"; exit 1; }
[ -c /dev/gntv3 ] || { echo "dom0: no /dev/gntv3 after insmod"; exit 1; }
grep . /sys/kernel/debug/gntv3/transport
vm_toolstack_start || exit 1
# The 1 GiB run (vm-test.sh, GNTV3_XD_1G=1, a PVH domU): a 1 GiB page
# reserved at the domU's boot, memory around it, and room for 2^18 more
# v1 grant entries (1024 frames of 512; Xen's gnttab_max_frames must allow
# it, see vm-test.sh).
if [ "${GNTV3_XD_1G:-0}" = 1 ]; then
    VM_DOMU_KARGS="hugepagesz=1G hugepages=1"
    VM_DOMU_XL="memory=3072 max_grant_frames=1024"
fi
if ! vm_domu_start GNTV3-XPEER-READY; then
    vm_domu_destroy
    exit 1
fi
GNTV3_XDOMAIN_DOMID=$(vm_domid)
export GNTV3_XDOMAIN_DOMID

t0=$(vm_up)
echo "dom0: ---- /bin/gntv3_xdomain (domU d$GNTV3_XDOMAIN_DOMID) ----"
# GNTV3_XD_ONLY=TEST runs that one test (kselftest -t); the suite's last
# test, which destroys the domU, then does not run (vm_domu_destroy below).
/bin/gntv3_xdomain ${GNTV3_XD_ONLY:+-t "$GNTV3_XD_ONLY"}
rc=$?
echo "dom0: /bin/gntv3_xdomain exit $rc in $(vm_since "$t0")s"
[ "$rc" = 0 ] || fail=1
vm_domu_console
# The suite's last test destroys the domU; if it did not get that far, do it here.
vm_domu_destroy

# dom0 health: nothing left mapped, attached or leaked, and the domain gone
# (a page dom0 still held would keep it as a zombie).
if [ ! -d /sys/module/gntv3 ]; then
    echo "dom0: gntv3 not loaded after the suite, reloading it"
    fail=1
    insmod "$GNTV3_KO" || exit 1
fi
grep . /sys/kernel/debug/gntv3/stats /sys/kernel/debug/gntv3/back
# every gauge at 0, no backend connection left behind by the ring tests
busy=$(vm_gntv3_busy)
if [ -n "$busy" ]; then
    echo "$busy" | sed 's/^/dom0: /'
    fail=1
fi
if ! vm_domain_gone "$GNTV3_XDOMAIN_DOMID" 10; then
    echo "dom0: domain $GNTV3_XDOMAIN_DOMID still exists after destroy:"
    xl list
    fail=1
fi

rmmod gntv3 || { echo "dom0: rmmod gntv3 failed"; fail=1; }
# vm_dmesg_grep prints the matches (its status is always sed's).
leaks=$(vm_dmesg_grep 'gntv3: .*(leak|still mapped)')
if [ -n "$leaks" ]; then
    echo "$leaks"
    echo "dom0: gntv3 reported leaks"
    fail=1
fi

echo "dom0: gntv3 xdomain selftests $([ "$fail" = 0 ] && echo PASSED || echo FAILED)"
exit "$fail"
