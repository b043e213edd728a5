# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/bench-regress.sh: from the dom0's lines
#   regress: round=<r> side=<old|new> <row> gntv3=<ns> stock=<ns> ...
# print per row the median, min and max over the rounds of
#   q = (gntv3/stock, new) / (gntv3/stock, old)
# and raw= the median of gntv3 new/old.  Exit 1 if there is no row or a
# row has no round with both sides.  Needs median.awk (awk -f median.awk
# -f regress.awk).

/^regress: round=[0-9]+ side=(old|new) / {
	split($2, rr, "="); split($3, ss, "="); row = $4
	g = $5; sub("gntv3=", "", g); st = $6; sub("stock=", "", st)
	if (g + 0 <= 0 || st + 0 <= 0)
		next
	rel[row, rr[2], ss[2]] = g / st
	ns[row, rr[2], ss[2]] = g
	if (!(row in seen)) {
		seen[row] = 1
		order[n++] = row
	}
	if (rr[2] + 0 > maxr)
		maxr = rr[2] + 0
}

END {
	bad = 0
	for (i = 0; i < n; i++) {
		row = order[i]
		k = 0
		for (x = 1; x <= maxr; x++) {
			if (!((row, x, "old") in rel) || !((row, x, "new") in rel))
				continue
			k++
			q[k] = rel[row, x, "new"] / rel[row, x, "old"]
			w[k] = ns[row, x, "new"] / ns[row, x, "old"]
		}
		if (!k) {
			printf "regress: %s no paired round\n", row
			bad = 1
			continue
		}
		mn = mx = q[1]
		for (x = 2; x <= k; x++) {
			if (q[x] < mn)
				mn = q[x]
			if (q[x] > mx)
				mx = q[x]
		}
		m = median(q, k)
		raw = median(w, k)
		printf "regress: %s q=%.3f min=%.3f max=%.3f rounds=%d raw=%.3f%s\n", \
			row, m, mn, mx, k, raw, (m > 1.05 ? " worse" : "")
	}
	if (!n) {
		print "regress: no rows"
		bad = 1
	}
	exit bad
}
