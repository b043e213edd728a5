# SPDX-License-Identifier: GPL-2.0-only
#
# idle-stall.awk: on a VM's console log (or a kernel log), prints the line
# numbers of the report lines that belong to an idle vCPU's late wakeup,
# one per line, and nothing else.
#
# Under QEMU TCG, nested Xen sometimes leaves an idle dom0 vCPU blocked in
# SCHEDOP_block for 20 to 75 s past its timer or an IPI sent to it
# (Documentation/gntv3/testing.rst, "An idle vCPU's late wakeup").  The
# kernel then reports it in one of three ways, each naming only idle
# stacks or a CPU waiting for an idle one:
#  - "watchdog: BUG: soft lockup - CPU#N stuck for Ns! [swapper/N:0]" with
#    a trace through xen_safe_halt();
#  - "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" where every
#    stalled CPU is marked "(false positive?)" (idle to RCU), followed by
#    NMI backtraces through xen_safe_halt() and, maybe, the grace-period
#    kthread waiting for its timer (rcu_gp_fqs_loop());
#  - "watchdog: BUG: soft lockup - CPU#N stuck for Ns! [task:pid]" of a
#    task waiting in smp_call_function_many_cond() for the other CPUs to
#    answer its IPI, when the backtrace of each other CPU that follows
#    (softlockup_all_cpu_backtrace=1, printed once that CPU runs again)
#    goes through xen_safe_halt(): the CPU it waited for was idle, not
#    stuck.  Without such a backtrace the report is not matched.
# The backtraces a swapper soft lockup asks for (of the other CPUs, busy
# or idle) belong to its report.  A report with any other stack (a CPU
# busy in a loop, a task blocked, a stall on a task, a waiter whose target
# was not idle), any other stalled-CPU line, or any other report inside it
# is not matched: it stays a failure.

function ts_line(s) { return s ~ /^(domU\| )?\[ *[0-9]+\.[0-9]+\] / }

function body(s) {
	sub(/^(domU\| )?\[ *[0-9]+\.[0-9]+\] /, "", s)
	return s
}

function start(kind, cpu, r) {
	finish()
	for (r = 1; r <= nreq; r++)	# a new report: earlier ones got theirs
		if (req_mode[r] == "any")
			req_open[r] = 0
	blk = kind
	blk_cpu = cpu
	bad = 0
	wait_rip = 0
	ntrace = 0
	intrace = 0
	nhdr = 0
	hdr[++nhdr] = NR
}

# The report ends: print it (an idle one), or hand it to the backtraces
# of the other CPUs (a soft lockup asks for them).
function finish(i, lines) {
	if (blk != "" && !bad && !intrace && ntrace > 0) {
		lines = ""
		for (i = 1; i <= nhdr; i++)
			lines = lines hdr[i] "\n"
		if (blk == "wait") {
			want(blk_cpu, "idle", lines)
		} else {
			printf "%s", lines
			if (blk == "soft")
				want(blk_cpu, "any", "")
		}
	}
	blk = ""
}

# A report of CPU @cpu asks for the backtraces of the other CPUs: @mode
# "idle" (each must be an idle one, and @lines are printed with the
# first) or "any".
function want(cpu, mode, lines) {
	nreq++
	req_cpu[nreq] = cpu
	req_mode[nreq] = mode
	req_lines[nreq] = lines
	req_open[nreq] = 1
}

# The oldest open request a backtrace of CPU @cpu answers, or 0.
function claim(cpu, r) {
	for (r = 1; r <= nreq; r++)
		if (req_open[r] && req_cpu[r] != cpu && !((r "," cpu) in req_got))
			return r
	return 0
}

# A claimed backtrace ended: settle its request.
function bt_done() {
	inbt = 0
	req_got[bt_req "," bt_cpu] = 1
	if (req_mode[bt_req] == "any") {
		req_open[bt_req] = 0	# its backtraces follow it at once
		printf "%s", bt_lines
		return
	}
	req_open[bt_req] = 0	# a waiter's: its one target, idle or not
	if (bt_idle && bt_trace)
		printf "%s%s", req_lines[bt_req], bt_lines
}

{
	line = $0
	if (!ts_line(line)) {
		next		# a test's or another guest's output: neutral
	}
	b = body(line)
}

# a backtrace a soft lockup asked for, outside any report
inbt {
	if (b ~ /^Call Trace:/) {
		bt_lines = bt_lines NR "\n"
		bt_trace = 1
		next
	}
	if (b ~ /xen_safe_halt\+/)
		bt_idle = 1
	if (b ~ /<\/TASK>/) {
		bt_done()
		next
	}
	if (b ~ /^ |^(CPU: |Tainted: |Hardware name: |RIP: |Code: |RSP: |R[A-Z0-9]+: |FS: |CS: |CR2: |DR[0-9]: |PKRU: )/)
		next
	# anything else cuts it short: its request stays unanswered
	inbt = 0
	req_open[bt_req] = req_mode[bt_req] == "any"
}

blk == "" && b ~ /^NMI backtrace for cpu [0-9]+$/ {
	bt_cpu = b
	sub(/^NMI backtrace for cpu /, "", bt_cpu)
	bt_req = claim(bt_cpu)
	if (bt_req) {
		inbt = 1
		bt_idle = 0
		bt_trace = 0
		bt_lines = ""
	}
	next
}

b ~ /^watchdog: BUG: soft lockup - CPU#[0-9]+ stuck for [0-9]+s! \[swapper\/[0-9]+:0\]/ {
	cpu = b
	sub(/^watchdog: BUG: soft lockup - CPU#/, "", cpu)
	sub(/ .*/, "", cpu)
	start("soft", cpu)
	next
}

b ~ /^watchdog: BUG: soft lockup - CPU#[0-9]+ stuck for [0-9]+s! \[/ {
	cpu = b
	sub(/^watchdog: BUG: soft lockup - CPU#/, "", cpu)
	sub(/ .*/, "", cpu)
	start("wait", cpu)
	next
}

b ~ /^rcu: INFO: rcu_(preempt|sched) detected stalls on CPUs\/tasks:/ {
	start("rcu", -1)
	next
}

blk == "" { next }

# a waiter spins in smp_call_function_many_cond(), its RIP or its caller
blk == "wait" && b ~ /^RIP: .*smp_call_function_many_cond\+/ { wait_rip = 1 }

intrace {
	if (blk == "wait" && (wait_rip || b ~ /smp_call_function_many_cond\+/))
		traceok = 1
	if (blk != "wait" && b ~ /xen_safe_halt\+|rcu_gp_fqs_loop\+/)
		traceok = 1
	if (b ~ /<\/TASK>/) {
		intrace = 0
		ntrace++
		if (!traceok)
			bad = 1
		if (blk != "rcu")
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
b ~ /^(rcu: |NMI backtrace for cpu |CPU: |Tainted: |Hardware name: |Modules linked in: |RIP: |Code: |RSP: |R[A-Z0-9]+: |FS: |CS: |CR2: |INFO: NMI handler |Sending NMI |sched: DL replenish lagged|task:[^ ]+ +state:|irq event stamp: |hardirqs |softirqs )/ {
	next
}

# any other kernel line ends the report
{ finish() }

END { finish() }
