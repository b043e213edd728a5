// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_stats: medians and per-round paired ratios for gntv3_bench.
 * Pure: built into gntv3_bench.ko and into the userspace unit tests.
 */
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/types.h>

#include "bench_stats.h"

/**
 * bench_ratio() - @g / @s in thousandths, rounded to nearest
 * @g: the gntv3 time
 * @s: the stock time
 *
 * Return: the ratio, or 0 if @s is 0 (no ratio).  Saturates at ~0
 * thousandths rather than wrap for a @g too large to scale.
 */
u64 bench_ratio(u64 g, u64 s)
{
	if (!s)
		return 0;
	if (g > (~0ULL - s / 2) / BENCH_RATIO_ONE)
		return ~0ULL;
	return div64_u64(g * BENCH_RATIO_ONE + s / 2, s);
}

/*
 * Insertion sort: a row has at most a few thousand rounds, and a sort of
 * our own keeps this file free of lib/sort.c for the userspace build.
 */
static void bench_sort(u64 *v, unsigned int n)
{
	unsigned int i, j;
	u64 x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/**
 * bench_median() - the median of @n samples, sorting them in place
 * @v: the samples
 * @n: how many
 *
 * Return: the middle sample, or for an even @n the mean of the two middle
 * ones (rounded down); 0 for no samples.
 */
u64 bench_median(u64 *v, unsigned int n)
{
	if (!n)
		return 0;
	bench_sort(v, n);
	if (n % 2)
		return v[n / 2];
	/* no overflow: each half is added on its own */
	return v[n / 2 - 1] / 2 + v[n / 2] / 2 +
	       (v[n / 2 - 1] % 2 + v[n / 2] % 2) / 2;
}

/**
 * bench_paired_ratios() - median, min and max of @g[i] / @s[i]
 * @g: the gntv3 time of each round
 * @s: the stock time of the same round
 * @n: rounds
 * @scratch: room for @n ratios
 * @st: the result
 *
 * A round whose stock time is 0 measured nothing and is left out.
 *
 * Return: 0, or -ENODATA if no round had a ratio (@st is then all 0).
 */
int bench_paired_ratios(const u64 *g, const u64 *s, unsigned int n,
			u64 *scratch, struct bench_ratio_stats *st)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		if (s[i])
			scratch[k++] = bench_ratio(g[i], s[i]);
	st->rounds = k;
	st->median = bench_median(scratch, k);
	/* sorted by bench_median() */
	st->min = k ? scratch[0] : 0;
	st->max = k ? scratch[k - 1] : 0;
	return k ? 0 : -ENODATA;
}
