#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dom0 side of "make bench": load gntv3, start xenstored (the revoke rows
# connect a frontend and a backend through xenstore, both in this dom0; the
# VM needs --toolstack), then load gntv3_bench, whose module init runs the
# benchmark (tools/gntv3/bench/bench_main.c); echo its table and "bench:"
# lines from the kernel log, unload.  GNTV3_BENCH_REPS (--env) overrides the
# module's default number of repetitions.  Sourced by the VM's /init with
# /lib/vm.sh loaded.
set -e
vm_xen_modules
vm_insmod gntv3
vm_toolstack_start
rc=0
t0=$(vm_up)
vm_insmod gntv3_bench ${GNTV3_BENCH_REPS:+reps=$GNTV3_BENCH_REPS} || rc=1
echo "--- gntv3_bench ran for $(vm_since "$t0") s (rc=$rc)"
vm_dmesg_grep '\] (gntv3_bench|bench): '
[ "$rc" -ne 0 ] || rmmod gntv3_bench
rmmod gntv3
exit "$rc"
