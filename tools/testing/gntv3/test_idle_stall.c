// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of scripts/lib/idle-stall.awk, which tells scripts/xenvm.sh and
 * the network suite which report lines belong to an idle vCPU's late
 * wakeup (the nested TCG bench's, excused): it must name the soft lockup
 * and RCU stall reports whose every stack is an idle vCPU's, the soft
 * lockup of a task waiting for an IPI answer when the backtrace of the CPU
 * it waited for is an idle one, and the backtraces a swapper soft lockup
 * asks for; it must stay silent on a busy CPU, a task, a waiter without
 * or with a busy target, a stalled CPU RCU does not call idle, a report
 * inside the report, a backtrace nobody asked for and a clean log.  The
 * reports are cut from the dom0 net runs of December 5 and 6 that failed
 * traffic_backend_reload_link.
 */
#include <string.h>

#include "awk_run.h"
#include "harness.h"

/* awk_run() takes names relative to tools/gntv3/bench */
static int run_idle_stall(const char *input, char *out, size_t size)
{
	static const char *const progs[] = {
		"../../../scripts/lib/idle-stall.awk", NULL
	};

	return awk_run(progs, input, out, size);
}

/* @in has nothing to excuse: it stays a failure. */
static void check_excuses_nothing(const char *in)
{
	char out[256];

	CHECK_EQ(run_idle_stall(in, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "");
}

#define T(s)	"[  330.579005] " s "\n"
#define REGS	T("RIP: e030:xen_hypercall_pv+0x9/0x20") \
		T("Code: 00 00 00 c3 cc cc cc cc 0f 05 <41> 5b 59 c3") \
		T("RSP: e02b:ffffc900400cbec8 EFLAGS: 00000246") \
		T("RAX: 0000000000000000 RBX: 0000000000000000 RCX: ffffffff81ce2799") \
		T("CS:  e030 DS: 002b ES: 002b CR0: 0000000080050033")
#define IDLE_TRACE T("Call Trace:") T(" <TASK>") T(" xen_safe_halt+0x15/0x20") \
		T(" default_idle+0x9/0x20") T(" do_idle+0x26b/0x2a0") \
		T(" cpu_bringup_and_idle+0x74/0x80") T(" </TASK>")
#define BUSY_TRACE T("Call Trace:") T(" <TASK>") T(" gntv3_unmap_work+0x4d/0x90 [gntv3]") \
		T(" process_one_work+0x174/0x330") T(" </TASK>")
#define SOFT(task) T("watchdog: BUG: soft lockup - CPU#1 stuck for 21s! [" task "]") \
		T("Modules linked in: xen_netback(OE) gntv3(OE) xenfs") \
		T("CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Tainted: G OE 6.12.118+deb12-amd64 #1") \
		T("Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)") REGS
#define RCU(cpu_line) T("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:") \
		T("rcu: \t" cpu_line) \
		T("rcu: \t(detected by 1, t=5274 jiffies, g=22509, q=43 ncpus=2)") \
		T("NMI backtrace for cpu 0") \
		T("CPU: 0 UID: 0 PID: 0 Comm: swapper/0 Tainted: G OE 6.12.118+deb12-amd64 #1") REGS
#define IDLE_CPU "0-...!: (0 ticks this GP) idle=7370/0/0x0 softirq=12196/12196 fqs=0 (false positive?)"
#define RCU_TAIL T("INFO: NMI handler (nmi_cpu_backtrace_handler) took too long to run: 3.181 msecs") \
		T("rcu: rcu_preempt kthread timer wakeup didn't happen for 5273 jiffies! g22509 f0x0") \
		T("rcu: \tPossible timer handling issue on cpu=0 timer-softirq=14927")

TEST(idle_stall_soft_lockup_of_an_idle_vcpu)
{
	/* a test's line and a domU line before, a kernel line after */
	static const char in[] = "dom0: the link is back\n" SOFT("swapper/1:0")
		"domU| netstream: served op 1\n" IDLE_TRACE
		T("sched: DL replenish lagged too much") T("vif vif-7-0 vif7.0: Guest Rx ready");
	char out[256];

	CHECK_EQ(run_idle_stall(in, out, sizeof(out)), 0);
	/* the header (line 2) and the Call Trace (line 12) */
	CHECK_STR_EQ(out, "2\n12\n");
}

TEST(idle_stall_rcu_stall_of_an_idle_vcpu)
{
	static const char in[] = RCU(IDLE_CPU) IDLE_TRACE RCU_TAIL SOFT("swapper/1:0") IDLE_TRACE;
	char out[256];

	CHECK_EQ(run_idle_stall(in, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "1\n11\n21\n30\n");
}

/* a waiter: rmmod's vfree() waiting for the other CPU's TLB flush */
#define WAIT(task) T("watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [" task "]") \
		T("Modules linked in: gntv3(OE) xenfs [last unloaded: xen_netback(OE)]") \
		T("CPU: 0 UID: 0 PID: 2198 Comm: rmmod Tainted: G OE 6.12.118+deb12-amd64 #1") \
		T("RIP: e030:smp_call_function_many_cond+0x137/0x4c0") \
		T("RSP: e02b:ffffc90040593c70 EFLAGS: 00000202")
#define WAIT_TRACE T("Call Trace:") T(" <TASK>") T(" ? __pfx_do_flush_tlb_all+0x10/0x10") \
		T(" on_each_cpu_cond_mask+0x24/0x40") T(" __purge_vmap_area_lazy+0x1b8/0x320") \
		T(" vfree.part.0+0x1dc/0x240") T(" __do_sys_delete_module+0x2c8/0x350") T(" </TASK>")
#define NMI_BT(cpu, comm) T("NMI backtrace for cpu " cpu) \
		T("CPU: " cpu " UID: 0 PID: 0 Comm: " comm " Tainted: G OE 6.12.118+deb12-amd64 #1") REGS

TEST(idle_stall_waiter_on_an_idle_cpu)
{
	/* as the console shows it, a kernel line before the backtrace */
	static const char con[] = WAIT("rmmod:2198") WAIT_TRACE
		T("vif vif-7-0 vif7.0: Guest Rx ready") NMI_BT("1", "swapper/1") IDLE_TRACE;
	/* as dmesg has it, with the request's own line */
	static const char log[] = WAIT("rmmod:2198") WAIT_TRACE
		T("Sending NMI from CPU 0 to CPUs 1:") NMI_BT("1", "swapper/1") IDLE_TRACE;
	char out[256];

	CHECK_EQ(run_idle_stall(con, out, sizeof(out)), 0);
	/* the header, the waiter's trace, the idle CPU's trace */
	CHECK_STR_EQ(out, "1\n6\n22\n");
	CHECK_EQ(run_idle_stall(log, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "1\n6\n22\n");
}

TEST(idle_stall_waiter_on_a_busy_or_silent_cpu_is_not)
{
	/* the CPU it waited for was busy, never answered, or the waiter is
	 * no waiter; a backtrace nobody asked for */
	static const char busy[] = WAIT("rmmod:2198") WAIT_TRACE NMI_BT("1", "kworker/1:2")
		BUSY_TRACE;
	static const char silent[] = WAIT("rmmod:2198") WAIT_TRACE T("vif vif-7-0 vif7.0: Guest Rx ready");
	static const char loop[] = SOFT("kworker/0:1:71") BUSY_TRACE NMI_BT("1", "swapper/1")
		IDLE_TRACE;
	static const char stray[] = T("vif vif-7-0 vif7.0: Guest Rx ready") NMI_BT("1", "swapper/1")
		IDLE_TRACE;

	check_excuses_nothing(busy);
	check_excuses_nothing(silent);
	check_excuses_nothing(loop);
	check_excuses_nothing(stray);
}

TEST(idle_stall_soft_lockup_takes_its_backtraces)
{
	/* an idle vCPU's soft lockup, then the backtrace it asked for of
	 * the other CPU, busy: both the report's */
	static const char in[] = SOFT("swapper/1:0") IDLE_TRACE
		T("Sending NMI from CPU 1 to CPUs 0:") NMI_BT("0", "xl") BUSY_TRACE;
	char out[256];

	CHECK_EQ(run_idle_stall(in, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "1\n10\n25\n");
}

TEST(idle_stall_busy_cpu_is_not)
{
	/* a soft lockup of a task, of swapper with a busy stack, an RCU stall
	 * with a busy backtrace: each stays a failure */
	static const char task[] = SOFT("kworker/1:2:117") IDLE_TRACE;
	static const char busy[] = SOFT("swapper/1:0") BUSY_TRACE;
	static const char rcu_busy[] = RCU(IDLE_CPU) IDLE_TRACE T("NMI backtrace for cpu 1")
		BUSY_TRACE RCU_TAIL;

	check_excuses_nothing(task);
	check_excuses_nothing(busy);
	check_excuses_nothing(rcu_busy);
}

TEST(idle_stall_rcu_stall_rcu_does_not_call_idle_is_not)
{
	/* a CPU in a read-side section, a task blocking the grace period */
	static const char cpu[] = RCU("1-....: (5249 ticks this GP) idle=b4a8/1/0x4000000000000000 softirq=1/1 fqs=2624")
		IDLE_TRACE RCU_TAIL;
	static const char tasks[] = RCU(IDLE_CPU) T("rcu: \tTasks blocked on level-0 rcu_node (CPUs 0-1): P117")
		IDLE_TRACE RCU_TAIL;

	check_excuses_nothing(cpu);
	check_excuses_nothing(tasks);
}

TEST(idle_stall_report_inside_is_not)
{
	/* a warning in the middle of the report, a report cut short */
	static const char warn[] = SOFT("swapper/1:0")
		T("WARNING: CPU: 1 PID: 0 at drivers/xen/gntv3/unmap.c:200") IDLE_TRACE;
	static const char cut[] = SOFT("swapper/1:0") T("Call Trace:") T(" <TASK>")
		T(" xen_safe_halt+0x15/0x20");
	static const char clean[] = "(XEN) Freed 656kB init memory\nGNTV3-VM-START\n"
		T("vif vif-1-0 vif1.0: Guest Rx ready") "GNTV3-VM-EXIT rc=0\n";

	check_excuses_nothing(warn);
	check_excuses_nothing(cut);
	check_excuses_nothing(clean);
}
