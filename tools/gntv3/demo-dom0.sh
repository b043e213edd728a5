#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dom0 side of "make demo": load gntv3, run the demo, show the debugfs
# counters, unload.  Sourced by the VM's /init with /lib/vm.sh loaded.
set -e
vm_xen_modules
insmod /lib/modules/gntv3.ko
echo "--- insmod gntv3: $(dmesg | grep -m1 'gntv3: using' | sed 's/^\[[ 0-9.]*\] //')"
/bin/gntv3-demo
echo "--- /sys/kernel/debug/gntv3/stats after teardown"
cat /sys/kernel/debug/gntv3/stats
rmmod gntv3
echo "--- rmmod gntv3: done"
