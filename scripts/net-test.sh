#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/net-test.sh - a real network link between dom0 (xen-netback, a
# vif with 10.0.0.1) and a PV domU (xen-netfront, eth0 with 10.0.0.2) in
# a Xen VM: checksummed TCP streams both ways at each MTU of NET_MTUS,
# for each netback/netfront pair of NET_COMBOS, then, with gntv3_gntv3
# among them, the traffic-time checks: a revoke storm, a netback reload
# and the domU destroyed, each during a stream (see
# tools/testing/selftests/gntv3/net/dom0.sh for the checks).  Prints
# them as TAP, one test per check plus one for a clean VM run, ending
# with the kselftest line
#   # Totals: pass:N fail:M xfail:0 xpass:0 skip:0 error:0
# that scripts/test-all.sh counts.  A check that never ran counts as
# failed.
#
# Debian's xen-netfront/xen-netback come from the kernel package in
# .cache (.cache/linux-6.1 with GNTV3_KERNEL=6.1; scripts/deps.sh); the
# patched ones ("gntv3" in a combo) and gntv3.ko from $GNTV3_BUILD/xen-net/
# and $GNTV3_BUILD/module/ (make xen-net-modules; GNTV3_BUILD defaults to
# build).
#
# With --bench: paired rounds of stock_stock and gntv3_gntv3 (order
# alternating), MTU 1500, without memory poisoning, then
#   bench: net_real_<row> gntv3=<Mbit/s> stock=<Mbit/s> ratio=<r> min=<a> max=<b> rounds=<n>
# for dom0 -> domU and domU -> dom0: gntv3= and stock= are each side's
# median, ratio= the median of the per-round gntv3/stock ratios, min=/max=
# their extremes (NET_BENCH_ROUNDS, default 9; NET_BYTES default 64 MiB;
# output build/net-bench/); then the same for dom0's busy CPU time per MiB
# of those streams (rows net_real_<row>_dom0_cpu, ms/MiB, lower is less).
# Each round also runs stock_stock_again, stock once more right beside
# stock_stock (NET_BENCH_CONTROL=0 leaves it out), and each row is
# followed by "#   <row> control: again/stock ratio=<r> min=<a> max=<b>
# rounds=<n>": the same statistic for two runs that do the same work.
#
# Environment: NET_COMBOS (BACK_FRONT pairs, each stock or gntv3; default
# all four when build/xen-net/ holds the patched modules, else
# stock_stock), NET_MTUS (default "1500 9000"), NET_BYTES (per stream,
# default 8 MiB), NET_INJECT=flip (every stream's sender corrupts one
# byte: the stream checks must fail), NET_TRAFFIC=0 (no traffic-time
# checks; --bench has none), NET_STORM_ROUNDS (rounds of 8 revokes per
# queue, default 20), and everything scripts/xenvm.sh reads.  Output: build/net/console.log.
# Exit status: 0 only if every check passed.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
# shellcheck source=scripts/lib/checks-tap.sh
. scripts/lib/checks-tap.sh
CACHE=${GNTV3_CACHE:-$TOP/.cache$([ "${GNTV3_KERNEL:-6.12}" = 6.12 ] || echo "/linux-$GNTV3_KERNEL")}
KV=$(cat "$CACHE/kver")
BUILD=${GNTV3_BUILD:-$TOP/build}
TESTS=$TOP/tools/testing/selftests/gntv3/net
NET_DIR=$BUILD/xen-net
NAME=net
bench=0
case ${1:-} in
--bench) bench=1; NAME=net-bench ;;
"") ;;
*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac
OUT=$BUILD/$NAME
if [ "$bench" = 1 ]; then
	# paired rounds, the order alternating (ABBA), MTU 1500, no poisoning
	export GNTV3_VM_POISON=
	NET_COMBOS=
	# the control, stock_stock_again, beside stock_stock (NET_BENCH_CONTROL)
	again=stock_stock_again
	[ "${NET_BENCH_CONTROL:-1}" = 1 ] || again=
	for r in $(seq 1 "${NET_BENCH_ROUNDS:-9}"); do
		if [ $((r % 2)) = 1 ]; then
			NET_COMBOS="$NET_COMBOS $again stock_stock gntv3_gntv3"
		else
			NET_COMBOS="$NET_COMBOS gntv3_gntv3 stock_stock $again"
		fi
	done
	NET_MTUS=${NET_MTUS:-1500}
	NET_BYTES=${NET_BYTES:-67108864}
	NET_TRAFFIC=0
fi
if [ -z "${NET_COMBOS:-}" ]; then
	if [ -s "$NET_DIR/xen-netfront.ko" ] && [ -s "$NET_DIR/xen-netback.ko" ]; then
		NET_COMBOS="stock_stock gntv3_gntv3 gntv3_stock stock_gntv3"
	else
		NET_COMBOS=stock_stock
	fi
fi
NET_MTUS=${NET_MTUS:-1500 9000}
NET_BYTES=${NET_BYTES:-8388608}

CHECKS=
for c in $(echo "$NET_COMBOS" | tr ' ' '\n' | awk 'NF && !seen[$0]++'); do
	CHECKS="$CHECKS ${c}_link"
	for m in $NET_MTUS; do
		CHECKS="$CHECKS ${c}_mtu${m}_to_domu ${c}_mtu${m}_from_domu"
	done
	CHECKS="$CHECKS ${c}_teardown"
done
case " $NET_COMBOS " in
*" gntv3_gntv3 "*)
	[ "${NET_TRAFFIC:-1}" = 0 ] || CHECKS="$CHECKS traffic_revoke_storm traffic_backend_reload
		traffic_backend_reload_link traffic_domu_destroy"
	;;
esac

mkdir -p "$OUT"
gcc -static -O2 -Wall -Wextra -Werror -o "$OUT/gntv3_netstream" "$TESTS/gntv3_netstream.c"
# Debian's own xen-netfront/xen-netback (6.12 ships NAME.ko.xz, 6.1
# NAME.ko: xz -f copies what is not compressed)
for m in xen-netfront xen-netback/xen-netback; do
	xz -dcf "$CACHE/root/lib/modules/$KV/kernel/drivers/net/$m".ko* >"$OUT/${m##*/}.ko"
done
adds=(--add "$OUT/xen-netback.ko:/lib/modules/xen-netback.ko"
	--add "$OUT/gntv3_netstream:/bin/gntv3_netstream"
	--add "$TESTS/vif-gntv3.sh:/etc/vm/vif-gntv3"
	--domu-add "$OUT/xen-netfront.ko:/lib/modules/xen-netfront.ko"
	--domu-add "$OUT/gntv3_netstream:/bin/gntv3_netstream")
case " $NET_COMBOS " in
*gntv3*)
	for f in "$NET_DIR/xen-netfront.ko" "$NET_DIR/xen-netback.ko" "$BUILD/module/gntv3.ko"; do
		[ -s "$f" ] || { echo "net-test: $f missing: run 'make xen-net-modules' first" >&2; exit 2; }
	done
	adds+=(--add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko"
		--add "$NET_DIR/xen-netback.ko:/lib/modules/gntv3/xen-netback.ko"
		--domu-add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko"
		--domu-add "$NET_DIR/xen-netfront.ko:/lib/modules/gntv3/xen-netfront.ko")
	;;
esac

rc=0
t0=$(date +%s)
# the bench's 27 links of 64 MiB streams take longer than the checks
timeout=${GNTV3_NET_TIMEOUT:-$((bench ? 2400 : 1200))}
bash scripts/xenvm.sh run --name "$NAME" --timeout "$timeout" \
	--dom0 "$TESTS/dom0.sh" --domu "$TESTS/domu.sh" "${adds[@]}" \
	--env "NET_COMBOS=$(echo "$NET_COMBOS" | xargs | tr ' ' :)" \
	--env "NET_MTUS=$(echo "$NET_MTUS" | xargs | tr ' ' :)" --env "NET_BYTES=$NET_BYTES" \
	--env "NET_TRAFFIC=${NET_TRAFFIC:-1}" --env "NET_STORM_ROUNDS=${NET_STORM_ROUNDS:-20}" \
	${NET_INJECT:+--env "NET_INJECT=$NET_INJECT"} \
	>"$OUT/console.log" || rc=$?
vm_rc=$rc

grep -E '^(NET-|domU\| (netstream|domU:)|dom0: )' "$OUT/console.log" || true

# TAP: one test per check, then the VM run itself
echo "TAP version 13"
# shellcheck disable=SC2086 # CHECKS is a list of words
checks_tap NET net_ "$OUT/console.log" "$vm_rc" "${BUILD#"$TOP"/}/vm/$NAME.log" $CHECKS || fail=1
echo "# net-test: $(($(date +%s) - t0)) s wall, waits for other QEMU runs included"
[ "${fail:-0}" = 0 ] || [ "$rc" -ne 0 ] || rc=1
# streams DIR WHAT: "combo round value" of each verified stream in
# direction DIR (send: dom0 -> domU, recv: domU -> dom0), in console order;
# WHAT mbit is its rate, cpu dom0's busy CPU time per MiB in ms (the
# "dom0: cpu:" line right after the stream's result, in USER_HZ ticks,
# 100 a second on x86)
streams() {
	awk -v dir="$1" -v what="$2" '
		/^dom0: ===== netback / { combo = $4 "_" $6; sub(/,/, "", combo); round[combo]++ }
		$1 == "dom0:" && $2 == "netstream:" && $3 == dir {
			ok = $NF == "ok"
			if (ok && what == "mbit")
				print combo, round[combo], $(NF - 2)
		}
		$1 == "dom0:" && $2 == "cpu:" && $3 == dir && ok && what == "cpu" && $7 > 0 {
			print combo, round[combo], $4 * 10 / ($7 / 1048576); ok = 0 }' "$OUT/console.log"
}
# bench_row ROW DIR [WHAT]: the medians of each side and of the per-round
# ratios of streams DIR WHAT (default mbit)
bench_row() {
	streams "$2" "${3:-mbit}" | awk -v row="$1" '
		function median(a, n,   i, j, t) {
			for (i = 1; i <= n; i++)
				for (j = i + 1; j <= n; j++)
					if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		$1 == "gntv3_gntv3" { g[$2] = $3 }
		$1 == "stock_stock" { s[$2] = $3 }
		$1 == "stock_stock_again" { a[$2] = $3 }
		END {
			for (r = 1; r in g; r++) if (r in s && s[r] > 0) {
				n++; ratio[n] = g[r] / s[r]; gv[n] = g[r]; sv[n] = s[r]
			}
			if (!n) { print "bench: row " row " missing" > "/dev/stderr"; exit 1 }
			lo = hi = ratio[1]
			for (i = 1; i <= n; i++) {
				if (ratio[i] < lo) lo = ratio[i]
				if (ratio[i] > hi) hi = ratio[i]
			}
			# the per-round list first: median() sorts its array
			printf "#   %s: per-round ratios:", row
			for (i = 1; i <= n; i++) printf " %.3f", ratio[i]
			printf "\n"
			printf "bench: %s gntv3=%.1f stock=%.1f", row, median(gv, n), median(sv, n)
			printf " ratio=%.3f min=%.3f max=%.3f rounds=%d\n", median(ratio, n), lo, hi, n
			# the control: the same statistic of stock against itself
			for (r = 1; r in a; r++) if (r in s && s[r] > 0) {
				nc++; ctl[nc] = a[r] / s[r]
			}
			if (nc) {
				clo = chi = ctl[1]
				for (i = 1; i <= nc; i++) {
					if (ctl[i] < clo) clo = ctl[i]
					if (ctl[i] > chi) chi = ctl[i]
				}
				printf "#   %s control: again/stock ratio=%.3f min=%.3f max=%.3f rounds=%d\n",
				       row, median(ctl, nc), clo, chi, nc
			}
		}'
}
if [ "$bench" = 1 ]; then
	echo "=== xen-netfront/xen-netback patched (gntv3) vs stock, TCP through the vif (QEMU TCG, Mbit/s,"
	echo "=== $NET_BYTES bytes per stream, MTU $NET_MTUS; ratio: median of the per-round gntv3/stock ratios)"
	bench_row net_real_dom0_to_domu send || rc=1
	bench_row net_real_domu_to_dom0 recv || rc=1
	echo "=== dom0's busy CPU time per MiB of the same streams (ms/MiB, all dom0 vCPUs; below 1: gntv3 costs dom0 less)"
	bench_row net_real_dom0_to_domu_dom0_cpu send cpu || rc=1
	bench_row net_real_domu_to_dom0_dom0_cpu recv cpu || rc=1
fi
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$OUT/console.log" >&2
	echo "net-test: FAILED (rc=$rc; console in ${OUT#"$TOP"/}/console.log)" >&2
fi
exit "$rc"
