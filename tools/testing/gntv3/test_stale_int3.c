// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of scripts/lib/stale-int3.awk, which tells scripts/xenvm.sh that a
 * VM run died of QEMU's stale int3 (an int3 trap at a byte the kernel had
 * already patched back) and may boot again: it must name such a run and
 * stay silent on a genuine int3, on any other first oops and on a clean
 * log.  The oopses are cut from real dom0 runs of December 5; the domU
 * case puts one of them behind the "domU| " prefix of a domU's console.
 */
#include <string.h>

#include "awk_run.h"
#include "harness.h"

/* awk_run() takes names relative to tools/gntv3/bench */
static int run_stale_int3(const char *input, char *out, size_t size)
{
	static const char *const progs[] = {
		"../../../scripts/lib/stale-int3.awk", NULL
	};

	return awk_run(progs, input, out, size);
}

#define OOPS_INT3 "[    8.254704] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n" \
	"[    8.258149] CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Not tainted\n" \
	"[    8.258149] RIP: e030:sched_clock_cpu+0x9/0x190\n"
#define CODE(b) "[    8.258149] Code: 00 e9 b8 fe ff ff 90 90 f3 0f 1e fa 41 54 55 53 " \
	b " <90> e8 71 ad f0 ff 48 03 05\n"
#define SECOND_OOPS "[    8.262690] Oops: int3: 0000 [#2] PREEMPT SMP NOPTI\n" \
	"[    8.262690] RIP: e030:sched_clock_cpu+0x9/0x190\n" CODE("66")

TEST(stale_int3_found)
{
	static const char in[] = "(XEN) Freed 656kB init memory\n"
		OOPS_INT3 "[    8.258149] RSP: e02b:ffffc90040108fd8 EFLAGS: 00000002\n"
		CODE("66") SECOND_OOPS;
	char out[256];

	CHECK_EQ(run_stale_int3(in, out, sizeof(out)), 0);
	CHECK(strstr(out, "e030:sched_clock_cpu+0x9/0x190, byte 66 before") == out);
	CHECK_EQ(strchr(out, '\n') - out, (long)strlen(out) - 1);	/* one line */
}

TEST(stale_int3_found_in_domu)
{
	static const char in[] = "domU| [   40.1] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n"
		"domU| [   40.1] RIP: e030:get_random_u16+0x29/0xf0\n"
		"domU| [   40.1] Code: 48 89 e5 41 54 53 0f <1f> 44 00 00 65 48 8b\n";
	char out[256];

	CHECK_EQ(run_stale_int3(in, out, sizeof(out)), 0);
	CHECK(strstr(out, "e030:get_random_u16+0x29/0xf0, byte 0f before") == out);
}

TEST(stale_int3_genuine_int3_is_not)
{
	/* cc still in memory: the guest really executed an int3 */
	static const char in[] = OOPS_INT3 CODE("cc");
	char out[256];

	CHECK_EQ(run_stale_int3(in, out, sizeof(out)), 0);
	CHECK_EQ(out[0], '\0');
}

TEST(stale_int3_only_the_first_oops_counts)
{
	/* a fault first; a stale int3 after it does not excuse the run */
	static const char in[] =
		"[    8.1] Oops: general protection fault, probably for non-canonical address 0x6b6b6b6b6b6b6b8b: 0000 [#1]\n"
		"[    8.1] RIP: e030:gntv3_dev_detach_locked+0x1d/0x90 [gntv3]\n"
		"[    8.1] Code: 48 8b 47 20 <48> 8b 50 20\n"
		SECOND_OOPS;
	char out[256];

	CHECK_EQ(run_stale_int3(in, out, sizeof(out)), 0);
	CHECK_EQ(out[0], '\0');
}

TEST(stale_int3_clean_log_and_no_code_line)
{
	static const char clean[] = "(XEN) Freed 656kB init memory\n"
		"GNTV3-VM-START\nok 1 front\nGNTV3-VM-EXIT rc=0\n";
	/* an int3 oops whose Code: line never came: nothing to go by */
	static const char cut[] = OOPS_INT3 "[    8.3] Call Trace:\n";
	char out[256];

	CHECK_EQ(run_stale_int3(clean, out, sizeof(out)), 0);
	CHECK_EQ(out[0], '\0');
	CHECK_EQ(run_stale_int3(cut, out, sizeof(out)), 0);
	CHECK_EQ(out[0], '\0');
}

/*
 * The looping form (Documentation/gntv3/testing.rst, "A stale int3
 * without an oops"): no oops, a soft lockup of the CPU patching text, and
 * the other CPU's backtrace at the int3 handler's first instruction.  The
 * run of December 6 that showed it was not kept, so these reports are
 * written after its description and after the soft lockup and NMI
 * backtrace lines of test_idle_stall.c, which are cut from real runs.
 */
#define L(s)	"[  301.552301] " s "\n"
#define PATCHER L("watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [sh:1128]") \
	L("CPU: 0 UID: 0 PID: 1128 Comm: sh Tainted: G OE 6.12.118+deb12-amd64 #1") \
	L("RIP: e030:smp_call_function_many_cond+0x137/0x4c0") \
	L("Call Trace:") L(" <TASK>") L(" on_each_cpu_cond_mask+0x24/0x40") \
	L(" text_poke_bp_batch+0x9b/0x2d0") L(" text_poke_finish+0x1b/0x30") \
	L(" arch_jump_label_transform_apply+0x1c/0x30") L(" </TASK>")
#define OTHER(rip) L("Sending NMI from CPU 0 to CPUs 1:") L("NMI backtrace for cpu 1") \
	L("CPU: 1 UID: 0 PID: 16 Comm: rcu_preempt Tainted: G OE 6.12.118+deb12-amd64 #1") \
	L("RIP: e030:" rip)
#define AT_INT3	"xen_asm_exc_int3+0x0/0x20"

TEST(stale_int3_livelock_found)
{
	static const char in[] = "dom0: net: tearing down\n" PATCHER OTHER(AT_INT3)
		L("watchdog: BUG: soft lockup - CPU#0 stuck for 71s! [sh:1128]") OTHER(AT_INT3);
	static const char domu[] = "domU| [   40.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [modprobe:90]\n"
		"domU| [   40.1]  text_poke_bp_batch+0x9b/0x2d0\n"
		"domU| [   40.1] RIP: e030:" AT_INT3 "\n";
	char out[256];

	CHECK_EQ(run_stale_int3(in, out, sizeof(out)), 0);
	CHECK(strstr(out, "soft lockup: a vCPU back at xen_asm_exc_int3+0x0 in 2 backtrace(s)") == out);
	CHECK_EQ(strchr(out, '\n') - out, (long)strlen(out) - 1);	/* one line */
	CHECK_EQ(run_stale_int3(domu, out, sizeof(out)), 0);
	CHECK(strstr(out, "soft lockup: ") == out);
}

TEST(stale_int3_livelock_needs_every_sign)
{
	/* the other CPU idle; no text patching; past the first instruction;
	 * the signs, or the patching alone, before any soft lockup; an oops
	 * first */
	static const char idle[] = PATCHER OTHER("xen_hypercall_pv+0x9/0x20");
	static const char no_poke[] = L("watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [sh:1128]")
		L("Call Trace:") L(" vfree.part.0+0x1dc/0x240") OTHER(AT_INT3);
	static const char later[] = PATCHER OTHER("xen_asm_exc_int3+0x4/0x20");
	static const char before[] = L(" text_poke_bp_batch+0x9b/0x2d0") OTHER(AT_INT3)
		L("watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [sh:1128]");
	static const char poke_before[] = L(" text_poke_bp_batch+0x9b/0x2d0")
		L("watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [sh:1128]") OTHER(AT_INT3);
	static const char oops[] =
		"[    8.1] Oops: general protection fault, probably for non-canonical address 0x6b6b6b6b6b6b6b8b: 0000 [#1]\n"
		"[    8.1] RIP: e030:gntv3_dev_detach_locked+0x1d/0x90 [gntv3]\n"
		PATCHER OTHER(AT_INT3);
	const char *const cases[] = { idle, no_poke, later, before, poke_before, oops };
	char out[256];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(run_stale_int3(cases[i], out, sizeof(out)), 0);
		CHECK_EQ(out[0], '\0');
	}
}
