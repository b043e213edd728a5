// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of tools/gntv3/bench/bench_stats.c, the arithmetic of make bench's
 * headline ratios: the median of per-round paired ratios, not the ratio of
 * the two medians; min and max; rounding; rounds without a stock time.
 */
#include "harness.h"
#include "bench_stats.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

TEST(bench_ratio_rounds_to_thousandths)
{
	CHECK_EQ(bench_ratio(1, 1), 1000);
	CHECK_EQ(bench_ratio(1, 3), 333);
	CHECK_EQ(bench_ratio(2, 3), 667);	/* 666.67 rounds up */
	CHECK_EQ(bench_ratio(7310, 1000), 7310);
	CHECK_EQ(bench_ratio(1, 2000), 1);	/* 0.5 rounds up */
	CHECK_EQ(bench_ratio(1, 2001), 0);
	CHECK_EQ(bench_ratio(5, 0), 0);		/* no stock time, no ratio */
	CHECK_EQ(bench_ratio(0, 5), 0);
	/* too large to scale by 1000: saturates, does not wrap */
	CHECK_EQ_HEX(bench_ratio(~0ULL / 10, 1), ~0ULL);
	CHECK_EQ(bench_ratio(~0ULL / 2000, ~0ULL / 2000), 1000);
}

TEST(bench_median_odd_even_empty)
{
	u64 odd[] = { 9, 1, 5, 3, 7 };
	u64 even[] = { 10, 2, 8, 4 };
	u64 big[] = { ~0ULL, ~0ULL - 2 };
	u64 one[] = { 42 };

	CHECK_EQ(bench_median(odd, ARRAY_SIZE(odd)), 5);
	CHECK_EQ(odd[0], 1);			/* sorted in place */
	CHECK_EQ(odd[4], 9);
	CHECK_EQ(bench_median(even, ARRAY_SIZE(even)), 6);
	CHECK_EQ_HEX(bench_median(big, ARRAY_SIZE(big)), ~0ULL - 1);
	CHECK_EQ(bench_median(one, 1), 42);
	CHECK_EQ(bench_median(one, 0), 0);
}

/*
 * The case issue 15 saw: a busy host slows some rounds of both sides by a
 * lot.  The ratio of the medians then tells nothing; the median of the
 * per-round ratios still gives the true 2.0.
 */
TEST(bench_paired_ratios_cancel_a_slow_round)
{
	const u64 g[] = { 200, 2000, 200, 20000, 200 };
	const u64 s[] = { 100, 1000, 100, 10000, 100 };
	const u64 skew_g[] = { 200, 200, 200, 6000, 6000 };
	const u64 skew_s[] = { 100, 3000, 3000, 3000, 3000 };
	u64 scratch[5], mg[5], ms[5];
	struct bench_ratio_stats st;
	unsigned int i;

	CHECK_EQ(bench_paired_ratios(g, s, 5, scratch, &st), 0);
	CHECK_EQ(st.median, 2000);
	CHECK_EQ(st.min, 2000);
	CHECK_EQ(st.max, 2000);
	CHECK_EQ(st.rounds, 5);

	/* medians 200 and 3000 would say 0.067; every round says 2.0 ... */
	CHECK_EQ(bench_paired_ratios(skew_g, skew_s, 5, scratch, &st), 0);
	CHECK_EQ(st.median, 2000);
	CHECK_EQ(st.min, 67);
	CHECK_EQ(st.max, 2000);
	for (i = 0; i < 5; i++) {
		mg[i] = skew_g[i];
		ms[i] = skew_s[i];
	}
	/* ... and the ratio of the medians is indeed something else */
	CHECK_EQ(bench_ratio(bench_median(mg, 5), bench_median(ms, 5)), 67);
}

TEST(bench_paired_ratios_order_and_gaps)
{
	const u64 g[] = { 300, 100, 250, 7, 150 };
	const u64 s[] = { 100, 100, 100, 0, 100 };
	const u64 none[] = { 0, 0 };
	u64 scratch[5];
	struct bench_ratio_stats st;

	/* the round without a stock time is left out: 4 ratios remain */
	CHECK_EQ(bench_paired_ratios(g, s, 5, scratch, &st), 0);
	CHECK_EQ(st.rounds, 4);
	CHECK_EQ(st.min, 1000);
	CHECK_EQ(st.max, 3000);
	CHECK_EQ(st.median, 2000);	/* (1500 + 2500) / 2 */

	CHECK_EQ(bench_paired_ratios(g, none, 2, scratch, &st), -ENODATA);
	CHECK_EQ(st.rounds, 0);
	CHECK_EQ(st.median, 0);
	CHECK_EQ(st.min, 0);
	CHECK_EQ(st.max, 0);
}
