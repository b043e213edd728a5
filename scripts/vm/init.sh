#!/bin/busybox sh
# scripts/vm/init.sh - /init of every guest image (dom0 and domU).
#
# Mounts the usual filesystems (vm_setup in /lib/vm.sh), runs the test script
# /etc/vm/main.sh in a child shell with /lib/vm.sh already sourced, then prints
#   GNTV3-VM-EXIT rc=N      (dom0)     the host's pass/fail line
#   GNTV3-DOMU-EXIT rc=N    (domU)     seen by dom0 in the domU console
# and powers off. /etc/vm/role holds "dom0" or "domu".
# Kernel command line words K=V (from xenvm.sh --env) arrive as environment variables.
# shellcheck shell=dash disable=SC1091

. /lib/vm.sh
vm_setup
ROLE=$(cat /etc/vm/role)

if [ "$ROLE" = dom0 ]; then
    echo "GNTV3-VM-START role=dom0 kernel=$(uname -r) uptime=$(vm_up)"
    TAG=GNTV3-VM-EXIT
else
    echo "GNTV3-DOMU-START kernel=$(uname -r) uptime=$(vm_up)"
    TAG=GNTV3-DOMU-EXIT
fi

# A run that asked for memory poisoning and did not get it proves nothing.
poison_rc=0
vm_check_poison || poison_rc=1

# A child shell, so that "exit N" or set -e in the test script end the test,
# not init (init exiting would panic the kernel before we print the marker).
/bin/sh -c '. /lib/vm.sh && . /etc/vm/main.sh' vm-main
rc=$?
[ "$rc" != 0 ] || rc=$poison_rc
vm_kmemleak_check || rc=1

# Warnings raised before vm_setup set the console loglevel (e.g. during boot)
# were not printed on the console; replay the kernel log from its first problem
# report on, so that the host's scan (dom0, and domU via vm_domu_console) sees it.
# Reports printed after vm_setup show up twice; that is harmless.
PAT='cut here|WARNING: |BUG: |rcu: INFO: |BUG [^ ]+ \(|Oops: |Call Trace:|general protection fault|UBSAN:|KASAN:|pagealloc: |page allocation failure: |vmalloc error: '
if dmesg | grep -qE "$PAT"; then
    echo "GNTV3-VM-DMESG-BEGIN (kernel log from its first problem report on)"
    dmesg | sed -nE "/$PAT/,\$p"
    echo "GNTV3-VM-DMESG-END"
fi

echo "uptime $(vm_up)s at exit"
echo "$TAG rc=$rc"
sync
poweroff -f
# not reached; sleep rather than let init exit (kernel panic)
sleep 3600
