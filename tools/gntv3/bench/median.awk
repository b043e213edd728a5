# SPDX-License-Identifier: GPL-2.0-only
#
# median(a, n): the median of a[1..n], sorting a[1..n] in place (so a[1]
# and a[n] are then its min and max): the middle value for an odd n, the
# mean of the two middle values for an even n.  The awk side of
# bench_stats.c's bench_median(), for the scripts that pair rounds in awk
# (scripts/bench-regress.sh, scripts/bench-blk-real.sh); load it with a
# second -f.
function median(a, n,	i, j, x) {
	for (i = 2; i <= n; i++) {
		x = a[i]
		for (j = i - 1; j >= 1 && a[j] > x; j--)
			a[j + 1] = a[j]
		a[j + 1] = x
	}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
