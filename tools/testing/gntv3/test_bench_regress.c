// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of tools/gntv3/bench/regress.awk, the arithmetic of make
 * bench-regress: per row the median over rounds of
 * q = (gntv3/stock new) / (gntv3/stock old), rounds with a zero time or
 * one side missing left out, "worse" above 1.05, and the exit status.
 * Runs awk on made-up dom0 lines; the tests run from tools/testing/gntv3.
 */
#include <string.h>

#include "awk_run.h"
#include "harness.h"

/* Run regress.awk on @input; its output in @out, its exit status returned. */
static int run_regress(const char *input, char *out, size_t size)
{
	static const char *const progs[] = { "median.awk", "regress.awk", NULL };

	return awk_run(progs, input, out, size);
}

TEST(bench_regress_paired_median)
{
	/* q per round: 1.10, 1.20, 0.90 -> median 1.10, worse; raw 1.10 */
	static const char in[] =
		"regress: round=1 side=old a gntv3=100 stock=100 ratio=1\n"
		"regress: round=1 side=new a gntv3=110 stock=100 ratio=1\n"
		"regress: round=2 side=new a gntv3=240 stock=200 ratio=1\n"
		"regress: round=2 side=old a gntv3=100 stock=100 ratio=1\n"
		"regress: round=3 side=old a gntv3=200 stock=100 ratio=1\n"
		"regress: round=3 side=new a gntv3=180 stock=100 ratio=1\n"
		"(XEN) noise\n";
	char out[512];

	CHECK_EQ(run_regress(in, out, sizeof(out)), 0);
	CHECK(strstr(out,
		     "regress: a q=1.100 min=0.900 max=1.200 rounds=3 raw=1.100 worse\n"));
}

TEST(bench_regress_normalises_by_stock)
{
	/*
	 * The host was twice as slow for the new load: both its columns
	 * doubled, so q is 1 although gntv3 alone took twice as long.
	 */
	static const char in[] =
		"regress: round=1 side=old b gntv3=100 stock=50 ratio=2\n"
		"regress: round=1 side=new b gntv3=200 stock=100 ratio=2\n";
	char out[512];

	CHECK_EQ(run_regress(in, out, sizeof(out)), 0);
	CHECK(strstr(out, "regress: b q=1.000 min=1.000 max=1.000 rounds=1 raw=2.000\n"));
}

TEST(bench_regress_zero_and_unpaired_rounds_left_out)
{
	/* round 2 has a zero stock time, round 3 no new side: 1 round left */
	static const char in[] =
		"regress: round=1 side=old c gntv3=100 stock=100 ratio=1\n"
		"regress: round=1 side=new c gntv3=104 stock=100 ratio=1\n"
		"regress: round=2 side=old c gntv3=100 stock=0 ratio=0\n"
		"regress: round=2 side=new c gntv3=500 stock=100 ratio=5\n"
		"regress: round=3 side=old c gntv3=100 stock=100 ratio=1\n";
	char out[512];

	CHECK_EQ(run_regress(in, out, sizeof(out)), 0);
	CHECK(strstr(out, "regress: c q=1.040 min=1.040 max=1.040 rounds=1 raw=1.040\n"));
	CHECK(!strstr(out, "worse"));
}

TEST(bench_regress_fails_without_pairs)
{
	char out[512];

	CHECK_EQ(run_regress("regress: round=1 side=old d gntv3=1 stock=1\n",
			     out, sizeof(out)), 1);
	CHECK(strstr(out, "regress: d no paired round\n"));
	CHECK_EQ(run_regress("nothing\n", out, sizeof(out)), 1);
	CHECK(strstr(out, "regress: no rows\n"));
}
