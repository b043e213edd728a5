# SPDX-License-Identifier: GPL-2.0-only
# dom0-teardown.sh - the tear-down sweeps of gntv3_fail_nth, in a VM run of
# their own.
#
# Sourced (busybox sh) by the guest's /init with /lib/vm.sh loaded, from
#   scripts/xenvm.sh run --name selftest-dom0-teardown --toolstack \
#       --dom0 <this file> --add build/module/gntv3.ko:/lib/modules/gntv3.ko \
#       --add build/module/gntv3_fault.ko:/lib/modules/gntv3_fault.ko \
#       --add build/selftests/gntv3_fail_nth:/bin/gntv3_fail_nth \
#       --add build/selftests/gntv3_back:/bin/gntv3_back
#
# gntv3_fault with teardown=1 refuses gntv3's tear-down hypercalls (unmap,
# close) one by one; a refused unmap leaves the grant mapped, and gntv3
# leaks what it cannot take back, on purpose and counted.  dom0.sh fails
# any run whose kernel log reports a leak, so these sweeps run here: the
# leaks are expected, and what this run checks is that they are contained.
# After the sweeps gntv3 must unload with the leaks in place, report them
# in one summary line (not one line per grant), load again and work: a
# grant, a map and an unmap of its own, with every gauge back at zero.
# Exits non-zero if anything failed.

GNTV3_KO=/lib/modules/gntv3.ko
FAULT_KO=/lib/modules/gntv3_fault.ko
GNTV3_STATS=/sys/kernel/debug/gntv3/stats
GNTV3_BACK=/sys/kernel/debug/gntv3/back

vm_xen_modules || exit 1
vm_toolstack_start || exit 1
insmod "$GNTV3_KO" || { echo "dom0: insmod $GNTV3_KO failed"; exit 1; }
grep . /sys/kernel/debug/gntv3/transport
insmod "$FAULT_KO" teardown=1 || { echo "dom0: insmod $FAULT_KO teardown=1 failed"; exit 1; }

fail=0
t0=$(vm_up)
echo "dom0: ---- /bin/gntv3_fail_nth -f teardown ----"
/bin/gntv3_fail_nth -f teardown || fail=1
echo "dom0: /bin/gntv3_fail_nth exit $fail in $(vm_since "$t0")s"
grep . /sys/kernel/debug/gntv3_fault/stats
rmmod gntv3_fault || { echo "dom0: rmmod gntv3_fault failed"; fail=1; }

grep . "$GNTV3_STATS" "$GNTV3_BACK"
leaked=$(sed -n 's/^leaked: *//p' "$GNTV3_BACK")
echo "dom0: backend mappings or pages leaked by the sweeps: ${leaked:-?}"
rmmod gntv3 || { echo "dom0: rmmod gntv3 with leaks in place failed"; exit 1; }
# one summary at unload, however many grants were kept
n=$(vm_dmesg_grep 'gntv3: .*still mapped by their backends and are leaked' | wc -l)
echo "dom0: unload summaries of leaked grants: $n"
if [ "${leaked:-0}" -gt 0 ] && [ "$n" != 1 ]; then
    echo "dom0: $leaked mappings leaked, yet $n summaries at unload (want 1)"
    fail=1
fi

# a fresh gntv3 works after the leaks: grant, map both ways, unmap
insmod "$GNTV3_KO" || { echo "dom0: insmod $GNTV3_KO after the leaks failed"; exit 1; }
/bin/gntv3_back -t map_4k_both_ways || fail=1
busy=$(vm_gntv3_busy)
if [ -n "$busy" ]; then
    echo "$busy"
    echo "dom0: the reloaded gntv3 is not back at zero"
    fail=1
fi
rmmod gntv3 || { echo "dom0: rmmod of the reloaded gntv3 failed"; fail=1; }

echo "dom0: gntv3 tear-down sweeps $([ "$fail" = 0 ] && echo PASSED || echo FAILED)"
exit "$fail"
