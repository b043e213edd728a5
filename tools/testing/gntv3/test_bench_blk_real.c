// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of tools/gntv3/bench/blk-real.awk, the arithmetic of the blk_real
 * rows of make bench: per mode each configuration's median, the median of
 * the rounds' paired gntv3/stock ratios with their min and max, rounds
 * with one side missing or a zero stock left out of the ratios, a mode
 * with a configuration missing not printed at all, and the control line
 * (again/stock, paired the same way) only when the control ran.
 */
#include <string.h>

#include "awk_run.h"
#include "harness.h"

static int run_blk_real(const char *input, char *out, size_t size)
{
	static const char *const progs[] = { "median.awk", "blk-real.awk", NULL };

	return awk_run(progs, input, out, size);
}

TEST(bench_blk_real_paired_median)
{
	/* ratios per round 1.10, 0.90, 1.00: median 1.00, not 100/100 */
	static const char in[] =
		"BLK-BENCH: round=0 cfg=gntv3 mode=seqread mbs=110\n"
		"BLK-BENCH: round=0 cfg=stock mode=seqread mbs=100\n"
		"BLK-BENCH: round=0 cfg=nopersist mode=seqread mbs=50\n"
		"BLK-BENCH: round=1 cfg=stock mode=seqread mbs=200\n"
		"BLK-BENCH: round=1 cfg=gntv3 mode=seqread mbs=180\n"
		"BLK-BENCH: round=1 cfg=nopersist mode=seqread mbs=70\n"
		"BLK-BENCH: round=2 cfg=gntv3 mode=seqread mbs=90\n"
		"BLK-BENCH: round=2 cfg=stock mode=seqread mbs=90\n"
		"BLK-BENCH: round=2 cfg=nopersist mode=seqread mbs=60\n"
		"(XEN) noise\n";
	char out[1024];

	CHECK_EQ(run_blk_real(in, out, sizeof(out)), 0);
	/* one row line, checked in two overlapping halves */
	CHECK(strstr(out, "bench: blk_real_seq_read_1m gntv3=110.00 stock=100.00 ratio=1.000 "));
	CHECK(strstr(out, " ratio=1.000 min=0.900 max=1.100 rounds=3 nopersist=60.00\n"));
	CHECK(strstr(out, "#   blk_real_seq_read_1m: gntv3 90.00..180.00, stock 90.00..200.00, "));
	CHECK(strstr(out, ", stock 90.00..200.00, nopersist 50.00..70.00 MB/s\n"));
	CHECK(!strstr(out, "blk_real_seq_write_1m"));
	CHECK(!strstr(out, "control"));
}

TEST(bench_blk_real_control_paired_with_stock)
{
	/*
	 * again/stock per round 1.20, 0.50 (round 1), none in round 2 (no
	 * again) nor round 3 (stock 0): median 0.85 of two, not 220/240,
	 * and against stock, not gntv3 (round 0: 1.20, not 1.09); the
	 * gntv3 row is unchanged by the control.
	 */
	static const char in[] =
		"BLK-BENCH: round=0 cfg=gntv3 mode=seqwrite mbs=110\n"
		"BLK-BENCH: round=0 cfg=stock mode=seqwrite mbs=100\n"
		"BLK-BENCH: round=0 cfg=again mode=seqwrite mbs=120\n"
		"BLK-BENCH: round=0 cfg=nopersist mode=seqwrite mbs=50\n"
		"BLK-BENCH: round=1 cfg=nopersist mode=seqwrite mbs=50\n"
		"BLK-BENCH: round=1 cfg=again mode=seqwrite mbs=200\n"
		"BLK-BENCH: round=1 cfg=stock mode=seqwrite mbs=400\n"
		"BLK-BENCH: round=1 cfg=gntv3 mode=seqwrite mbs=400\n"
		"BLK-BENCH: round=2 cfg=gntv3 mode=seqwrite mbs=90\n"
		"BLK-BENCH: round=2 cfg=stock mode=seqwrite mbs=90\n"
		"BLK-BENCH: round=2 cfg=nopersist mode=seqwrite mbs=60\n"
		"BLK-BENCH: round=3 cfg=again mode=seqwrite mbs=70\n"
		"BLK-BENCH: round=3 cfg=stock mode=seqwrite mbs=0\n";
	char out[1024];

	CHECK_EQ(run_blk_real(in, out, sizeof(out)), 0);
	CHECK(strstr(out, " ratio=1.000 min=1.000 max=1.100 rounds=3 nopersist=50.00\n"));
	CHECK(strstr(out, "#   blk_real_seq_write_1m control: again/stock ratio=0.850 "));
	CHECK(strstr(out, " ratio=0.850 min=0.500 max=1.200 rounds=2\n"));
}

TEST(bench_blk_real_unpaired_and_zero_rounds_left_out)
{
	/* round 1: no stock; round 2: stock 0; only round 0 pairs */
	static const char in[] =
		"BLK-BENCH: round=0 cfg=gntv3 mode=randwrite mbs=12\n"
		"BLK-BENCH: round=0 cfg=stock mode=randwrite mbs=10\n"
		"BLK-BENCH: round=0 cfg=nopersist mode=randwrite mbs=5\n"
		"BLK-BENCH: round=1 cfg=gntv3 mode=randwrite mbs=50\n"
		"BLK-BENCH: round=2 cfg=gntv3 mode=randwrite mbs=8\n"
		"BLK-BENCH: round=2 cfg=stock mode=randwrite mbs=0\n";
	char out[1024];

	CHECK_EQ(run_blk_real(in, out, sizeof(out)), 0);
	CHECK(strstr(out, "bench: blk_real_rand_write_4k gntv3=12.00 stock=5.00 ratio=1.200 "));
	CHECK(strstr(out, " ratio=1.200 min=1.200 max=1.200 rounds=1 nopersist=5.00\n"));
}

TEST(bench_blk_real_no_row_without_every_configuration)
{
	static const char in[] =
		"BLK-BENCH: round=0 cfg=gntv3 mode=randread mbs=12\n"
		"BLK-BENCH: round=0 cfg=stock mode=randread mbs=10\n";
	char out[1024];

	CHECK_EQ(run_blk_real(in, out, sizeof(out)), 0);
	CHECK_EQ(out[0], '\0');
}
