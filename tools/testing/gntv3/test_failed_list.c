// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of scripts/lib/failed-list.awk, which lists under make test's
 * summary what failed: every "not ok" line with its VM run, a failed VM
 * run's verdict, reasons and the first lines of its problem reports, and
 * each failed step.  A passing log must give nothing, so the list cannot
 * blame what passed.  The lines are cut from real layer logs.
 */
#include <string.h>

#include "awk_run.h"
#include "harness.h"

/* awk_run() takes names relative to tools/gntv3/bench */
static int run_failed_list(const char *input, char *out, size_t size)
{
	static const char *const progs[] = {
		"../../../scripts/lib/failed-list.awk", NULL
	};

	return awk_run(progs, input, out, size);
}

/* the number of lines of @s */
static int nr_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define BOOTING(run) "xenvm: " run ": booting (timeout 900 s, log build/vm/x.log)\n"
#define PASSED(run) "xenvm: " run ": PASS (dom0=pv domu=pv, boot+run 74 s, log build/vm/x.log)\n"

TEST(failed_list_passing_log_gives_nothing)
{
	static const char in[] = "=== vm: make -s vm-test\n"
		BOOTING("blk") "1..11\nok 1 blk_attach\n"
		"ok 11 blk_vm_run # clean exit, no kernel problem report\n"
		"# Totals: pass:11 fail:0 xfail:0 xpass:0 skip:0 error:0\n"
		PASSED("blk") "selftest-dom0-native: transport: native\n"
		"lint: sparse ok\nintree: git am ok\n"
		"[   76.2] gntv3: domain 0 still maps grant 0x0 (1 of 1 frames): leaking it\n";
	char out[256];

	CHECK_EQ(run_failed_list(in, out, sizeof(out)), 0);
	CHECK_EQ(out[0], '\0');
}

TEST(failed_list_names_the_run_of_a_not_ok)
{
	static const char in[] = BOOTING("blk") "ok 1 blk_attach\n" PASSED("blk")
		BOOTING("net") "ok 25 net_traffic_revoke_storm\n"
		"not ok 26 net_traffic_backend_reload # the stream hangs after netback was unloaded\n"
		"# not ok 3 back.hold_forever_gets_stuck\n";
	char out[512];

	CHECK_EQ(run_failed_list(in, out, sizeof(out)), 0);
	CHECK_EQ(nr_lines(out), 2);
	CHECK(strstr(out, "/net: not ok 26 net_traffic_backend_reload # the stream hangs"));
	CHECK(strstr(out, "/net: # not ok 3 back.hold_forever_gets_stuck\n"));
	CHECK(!strstr(out, "blk"));
}

TEST(failed_list_unit_not_ok_has_no_run)
{
	static const char in[] = "ok 1 tree_install\nnot ok 2 tree_slot_arrays\n"
		"74 passed, 1 failed\n";
	char out[256];
	const char *p;

	CHECK_EQ(run_failed_list(in, out, sizeof(out)), 0);
	CHECK_EQ(nr_lines(out), 1);
	/* <layer>: not ok ..., the layer being the input file's name */
	p = strstr(out, ": not ok 2 tree_slot_arrays\n");
	CHECK(p);
	CHECK(p && !memchr(out, '/', p - out));
}

TEST(failed_list_failed_vm_run)
{
	static const char in[] = BOOTING("net")
		"ok 28 net_traffic_domu_destroy\n"
		"----- last 80 lines of build/vm/net.log -----\n"
		"| not ok 9 quoted, not counted\n"
		"-----\n"
		"----- problem reports in build/vm/net.log (line:text) -----\n"
		"1201:[  400.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [rmmod:2171]\n"
		"1202:[  400.1] Modules linked in: xen_netback\n"
		"1203:[  400.1] CPU: 0 UID: 0 PID: 2171 Comm: rmmod\n"
		"1204:[  400.1] RIP: e030:smp_call_function_many_cond+0x11f/0x4e0\n"
		"1205:[  400.1] Code: 8b 4c 24 08 48 63 d0 e8 5e 1a 3d 00\n"
		"-----\n"
		"xenvm: net: kernel/Xen problem report on the console\n"
		"xenvm: net: FAIL (dom0=pv domu=pv, 512 s, log build/vm/net.log)\n"
		"not ok 29 net_vm_run # xenvm.sh exit status 1 (see build/vm/net.log)\n";
	char out[1024];

	CHECK_EQ(run_failed_list(in, out, sizeof(out)), 0);
	CHECK_EQ(nr_lines(out), 7);
	CHECK(strstr(out, "/net: | 1201:[  400.1] watchdog: BUG: soft lockup"));
	CHECK(strstr(out, "/net: | 1204:[  400.1] RIP: e030:smp_call_function_many_cond"));
	CHECK(!strstr(out, "1205:"));		/* four lines of a report */
	CHECK(!strstr(out, "quoted"));		/* the log tail is not listed */
	CHECK(strstr(out, ": xenvm: net: kernel/Xen problem report on the console\n"));
	CHECK(strstr(out, ": xenvm: net: FAIL (dom0=pv domu=pv, 512 s"));
	CHECK(strstr(out, "/net: not ok 29 net_vm_run"));
}

TEST(failed_list_timeout_and_steps)
{
	static const char in[] =
		BOOTING("soak")
		"xenvm: soak: TIMEOUT: no poweroff within 1500 s (raise with --timeout or GNTV3_VM_TIMEOUT)\n"
		"xenvm: soak: no GNTV3-VM-EXIT line (guest crashed, hung or rebooted)\n"
		"xenvm: soak: FAIL (dom0=pv domu=pv, 1500 s, log build/vm/soak.log)\n"
		"blk-native: native transport not in use\n"
		"lint: checkpatch FAIL (see build/lint/checkpatch.log)\n"
		"dkms: install ok\n";
	char out[1024];

	CHECK_EQ(run_failed_list(in, out, sizeof(out)), 0);
	CHECK_EQ(nr_lines(out), 5);
	CHECK(strstr(out, ": xenvm: soak: TIMEOUT: no poweroff within 1500 s"));
	CHECK(strstr(out, ": xenvm: soak: no GNTV3-VM-EXIT line"));
	CHECK(strstr(out, ": blk-native: native transport not in use\n"));
	CHECK(strstr(out, "\nlint: checkpatch FAIL (see build/lint/checkpatch.log)\n"));
	CHECK(!strstr(out, "dkms"));
}
