/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench_stats: the arithmetic of gntv3_bench's headline ratios, pure so
 * that the userspace unit tests (tools/testing/gntv3) run the same code.
 *
 * A row's headline ratio is the median of the per-round paired ratios
 * gntv3[i] / stock[i]: the two sides of one round run next to each other
 * in time, so a disturbance of the host that slows one round slows both
 * of its sides and cancels in its ratio, where it would not cancel in
 * median(gntv3) / median(stock).  Ratios are fixed point, in thousandths.
 */
#ifndef _GNTV3_BENCH_STATS_H
#define _GNTV3_BENCH_STATS_H

#include <linux/types.h>

#define BENCH_RATIO_ONE	1000ULL	/* a ratio of 1.000 */

/**
 * struct bench_ratio_stats - the per-round ratios of one row
 * @median: their median, the row's headline ratio
 * @min: the smallest
 * @max: the largest
 * @rounds: how many rounds had a ratio (a stock time of 0 has none)
 */
struct bench_ratio_stats {
	u64 median;
	u64 min;
	u64 max;
	unsigned int rounds;
};

u64 bench_ratio(u64 g, u64 s);
u64 bench_median(u64 *v, unsigned int n);
int bench_paired_ratios(const u64 *g, const u64 *s, unsigned int n,
			u64 *scratch, struct bench_ratio_stats *st);

#endif /* _GNTV3_BENCH_STATS_H */
