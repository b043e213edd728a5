#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dom0 side of "make bench": load gntv3, start xenstored (the revoke rows
# connect a frontend and a backend through xenstore, both in this dom0; the
# VM needs --toolstack), then load gntv3_bench, whose module init runs the
# benchmark (tools/gntv3/bench/bench_main.c); echo its table and "bench:"
# lines from the kernel log, unload.  GNTV3_BENCH_REPS (--env) overrides the
# module's default number of repetitions.  GNTV3_BENCH_TRANSPORT (--env,
# e.g. native): the transport gntv3 must have picked; on any other the
# bench does not run and this fails (gntv3_bench's transport= checks it
# again).  GNTV3_BENCH_SUFFIX (--env, e.g. _native): gntv3_bench's suffix=,
# appended to every row name.  Sourced by the VM's /init with /lib/vm.sh
# loaded.
set -e
vm_xen_modules
vm_insmod gntv3
# what the module printed at load, and what debugfs says
vm_dmesg_grep '\] gntv3: using the ' || true
transport=$(sed -n 's/^transport: //p' /sys/kernel/debug/gntv3/transport)
echo "gntv3-transport: $transport"
if [ -n "${GNTV3_BENCH_TRANSPORT:-}" ] && [ "$transport" != "$GNTV3_BENCH_TRANSPORT" ]; then
	echo "bench: FAILED gntv3 uses the $transport transport, not $GNTV3_BENCH_TRANSPORT"
	rmmod gntv3
	exit 1
fi
vm_toolstack_start
rc=0
t0=$(vm_up)
vm_insmod gntv3_bench ${GNTV3_BENCH_REPS:+reps=$GNTV3_BENCH_REPS} \
	${GNTV3_BENCH_TRANSPORT:+transport=$GNTV3_BENCH_TRANSPORT} \
	${GNTV3_BENCH_SUFFIX:+suffix=$GNTV3_BENCH_SUFFIX} || rc=1
echo "--- gntv3_bench ran for $(vm_since "$t0") s (rc=$rc)"
vm_dmesg_grep '\] (gntv3_bench|bench): '
[ "$rc" -ne 0 ] || rmmod gntv3_bench

# One revoke round trip as gntv3's tracepoints see it (drivers/xen/gntv3/
# trace.h): a second, untimed-for-the-table run with reps=1 and the gntv3
# events on, then the events of its last revoke_4k, from the grant before
# it to the grant of revoke_2m.  GNTV3_BENCH_TRACE=0 leaves it out;
# GNTV3_BENCH_TRACE_EVENTS adds the kernel's own events (tracefs names
# joined by "+", e.g. "sched/sched_switch+workqueue/workqueue_execute_start")
# to show where the round trip waits.
bench_trace() {
	local t=/sys/kernel/tracing n e len
	[ -d $t/events ] || mount -t tracefs nodev $t || return 1
	[ -d $t/events/gntv3 ] || { echo "gntv3-trace: no gntv3 events"; return 1; }
	echo 0 >$t/tracing_on
	echo 2048 >$t/buffer_size_kb
	echo >$t/trace
	echo 1 >$t/events/gntv3/enable
	for e in $(echo "${GNTV3_BENCH_TRACE_EVENTS:-}" | tr + " "); do
		echo 1 >$t/events/$e/enable || return 1
	done
	echo 1 >$t/tracing_on
	insmod /lib/modules/gntv3_bench.ko reps=1 >/dev/null 2>&1 || return 1
	echo 0 >$t/tracing_on
	echo 0 >$t/events/enable
	rmmod gntv3_bench
	# revoke_4k is the row before revoke_2m: its last revoke is the last
	# "revoke_sent ... order" before the first 2 MiB grant (order=9) that
	# follows the first revoke
	cat $t/trace | grep -v '^#' >/tmp/trace.txt
	n=$(grep -n 'gntv3_revoke_sent' /tmp/trace.txt | head -n 4 | tail -n 1 | cut -d: -f1)
	[ -n "$n" ] || { echo "gntv3-trace: no revoke in the trace"; return 1; }
	# up to the next grant, however many kernel events lie between
	len=$(tail -n "+$n" /tmp/trace.txt | grep -n 'gntv3_grant:' | head -n 1 |
	      cut -d: -f1)
	sed -n "$((n - 2)),$((n + ${len:-6} - 1))p" /tmp/trace.txt |
		sed 's/^/gntv3-trace: /'
}
if [ "$rc" -eq 0 ] && [ "${GNTV3_BENCH_TRACE:-1}" != 0 ]; then
	bench_trace || echo "gntv3-trace: FAILED"
fi
rmmod gntv3
exit "$rc"
