# SPDX-License-Identifier: GPL-2.0-only
#
# idle-stall.awk: on a VM's console log (or a kernel log), prints the line
# numbers of the report lines that belong to an idle vCPU's late timer,
# one per line, and nothing else.
#
# Under QEMU TCG, nested Xen sometimes leaves an idle dom0 vCPU blocked in
# SCHEDOP_block for 21 to 25 s past its timer (Documentation/gntv3/testing.rst,
# "An idle vCPU's late timer").  The kernel then reports it in one of two
# ways, both naming only idle stacks:
#  - "watchdog: BUG: soft lockup - CPU#N stuck for Ns! [swapper/N:0]" with
#    a trace through xen_safe_halt();
#  - "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" where every
#    stalled CPU is marked "(false positive?)" (idle to RCU), followed by
#    NMI backtraces through xen_safe_halt() and, maybe, the grace-period
#    kthread waiting for its timer (rcu_gp_fqs_loop()).
# A report with any other stack (a CPU busy in a loop, a task blocked, a
# stall on a task), any other stalled-CPU line, or any other report inside
# it is not matched: it stays a failure.

function ts_line(s) { return s ~ /^(domU\| )?\[ *[0-9]+\.[0-9]+\] / }

function body(s) {
	sub(/^(domU\| )?\[ *[0-9]+\.[0-9]+\] /, "", s)
	return s
}

function start(kind) {
	finish()
	blk = kind
	bad = 0
	ntrace = 0
	intrace = 0
	nhdr = 0
	hdr[++nhdr] = NR
}

function finish(i) {
	if (blk != "" && !bad && !intrace && ntrace > 0)
		for (i = 1; i <= nhdr; i++)
			print hdr[i]
	blk = ""
}

{
	line = $0
	if (!ts_line(line)) {
		next		# a test's or another guest's output: neutral
	}
	b = body(line)
}

b ~ /^watchdog: BUG: soft lockup - CPU#[0-9]+ stuck for [0-9]+s! \[swapper\/[0-9]+:0\]/ {
	start("soft")
	next
}

b ~ /^rcu: INFO: rcu_(preempt|sched) detected stalls on CPUs\/tasks:/ {
	start("rcu")
	next
}

blk == "" { next }

intrace {
	if (b ~ /xen_safe_halt\+|rcu_gp_fqs_loop\+/)
		traceok = 1
	if (b ~ /<\/TASK>/) {
		intrace = 0
		ntrace++
		if (!traceok)
			bad = 1
		if (blk == "soft")
			finish()	# a soft lockup report has one trace
	}
	next
}

b ~ /^Call Trace:/ {
	hdr[++nhdr] = NR
	intrace = 1
	traceok = 0
	next
}

# the rest of a report: stalled-CPU lines, NMI backtrace headers, registers
blk == "rcu" && b ~ /^rcu:[ \t]*[0-9]+-/ {
	if (b !~ /\(false positive\?\)/)
		bad = 1
	next
}
b ~ /^rcu: .*[Tt]asks blocked|^rcu: .*blocking rcu_node/ { bad = 1; next }
b ~ /^(rcu: |NMI backtrace for cpu |CPU: |Tainted: |Hardware name: |Modules linked in: |RIP: |Code: |RSP: |R[A-Z0-9]+: |FS: |CS: |CR2: |INFO: NMI handler |Sending NMI |sched: DL replenish lagged|task:[^ ]+ +state:)/ {
	next
}

# any other kernel line ends the report
{ finish() }

END { finish() }
