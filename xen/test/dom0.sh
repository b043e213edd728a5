# SPDX-License-Identifier: GPL-2.0-only
# xen/test/dom0.sh - dom0 side of scripts/xen-test.sh (sourced by the VM's
# /init with /lib/vm.sh loaded), on the prototype v3 hypervisor.
#
# 1. gntv3_xentest.ko drives the GNTTABOP_v3_* sub-ops directly (dom0
#    grants to itself) and prints TAP to the kernel log;
# 2. gntv3.ko is loaded to show which transport its probe chose.
# Exits non-zero unless every test passed.

vm_xen_modules || exit 1
echo "xen: $(cat /sys/hypervisor/version/major 2>/dev/null).$(cat /sys/hypervisor/version/minor 2>/dev/null)$(cat /sys/hypervisor/version/extra 2>/dev/null)"
insmod /lib/modules/gntv3_xentest.ko || { echo "dom0: insmod gntv3_xentest failed"; exit 1; }
vm_dmesg_grep 'gntv3_xentest: ' | sed 's/^gntv3_xentest: //'
if [ -f /lib/modules/gntv3.ko ]; then
    insmod /lib/modules/gntv3.ko && vm_dmesg_grep 'gntv3: ' | grep -i 'transport\|hypervisor offers'
    rmmod gntv3
fi
vm_dmesg_grep 'gntv3_xentest: done: [0-9]+ passed, 0 failed' | grep -q . || exit 1
exit 0
