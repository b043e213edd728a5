# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/bench-blk-real.sh: from the dom0's lines
#   BLK-BENCH: round=<r> cfg=<gntv3|stock|nopersist|again> mode=<m> mbs=<MB/s>
# print per mode one "bench: blk_real_<row> ..." line: each
# configuration's median, the median of the rounds' paired gntv3/stock
# ratios, their min and max, and a "#" line with each side's range; with
# the control configuration (again: stock run once more), a second "#"
# line with the median, min and max of the paired again/stock ratios.
# Needs median.awk (awk -f median.awk -f blk-real.awk).

/^BLK-BENCH: round=/ {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	v[f["cfg"], f["mode"], f["round"]] = f["mbs"]
	if (f["round"] + 1 > nr)
		nr = f["round"] + 1
}
END {
	row["seqread"] = "seq_read_1m"
	row["seqwrite"] = "seq_write_1m"
	row["randread"] = "rand_read_4k"
	row["randwrite"] = "rand_write_4k"
	split("seqread seqwrite randread randwrite", modes, " ")
	for (k = 1; k <= 4; k++) {
		m = modes[k]
		ng = ns = nn = np = nc = 0
		delete g; delete s; delete p; delete rt; delete ct
		for (r = 0; r < nr; r++) {
			if ((c = "gntv3" SUBSEP m SUBSEP r) in v)
				g[++ng] = v[c]
			if ((c = "stock" SUBSEP m SUBSEP r) in v)
				s[++ns] = v[c]
			if ((c = "nopersist" SUBSEP m SUBSEP r) in v)
				p[++np] = v[c]
			# the pair: both measured in this round
			if (("gntv3" SUBSEP m SUBSEP r) in v && ("stock" SUBSEP m SUBSEP r) in v &&
			    v["stock", m, r] > 0)
				rt[++nn] = v["gntv3", m, r] / v["stock", m, r]
			if (("again" SUBSEP m SUBSEP r) in v && ("stock" SUBSEP m SUBSEP r) in v &&
			    v["stock", m, r] > 0)
				ct[++nc] = v["again", m, r] / v["stock", m, r]
		}
		if (!ng || !ns || !np || !nn)
			continue
		gm = median(g, ng); sm = median(s, ns); pm = median(p, np)
		rm = median(rt, nn)
		printf "bench: blk_real_%s gntv3=%.2f stock=%.2f ratio=%.3f min=%.3f max=%.3f rounds=%d nopersist=%.2f\n",
		       row[m], gm, sm, rm, rt[1], rt[nn], nn, pm
		printf "#   blk_real_%s: gntv3 %.2f..%.2f, stock %.2f..%.2f, nopersist %.2f..%.2f MB/s\n",
		       row[m], g[1], g[ng], s[1], s[ns], p[1], p[np]
		if (nc)
			printf "#   blk_real_%s control: again/stock ratio=%.3f min=%.3f max=%.3f rounds=%d\n",
			       row[m], median(ct, nc), ct[1], ct[nc], nc
	}
}