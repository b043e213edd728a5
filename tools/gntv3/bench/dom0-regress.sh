#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dom0 side of "make bench-regress" (scripts/bench-regress.sh): round after
# round, load gntv3-old.ko and its gntv3_bench-old.ko, let the bench run
# every row, unload both, then the same with the "new" pair; even rounds
# start with the new one.  Each load's "bench:" lines are echoed as
#   regress: round=<r> side=<old|new> <row> gntv3=<ns> stock=<ns> ...
# Sourced by the VM's /init with /lib/vm.sh loaded.
set -e
vm_xen_modules
vm_toolstack_start
rounds=${GNTV3_REGRESS_ROUNDS:-21}
reps=${GNTV3_REGRESS_REPS:-21}
r=1
while [ "$r" -le "$rounds" ]; do
	order="old new"
	[ $((r % 2)) -eq 1 ] || order="new old"
	for side in $order; do
		dmesg -c >/dev/null
		insmod /lib/modules/gntv3-$side.ko
		insmod /lib/modules/gntv3_bench-$side.ko reps="$reps" ||
			{ echo "regress: round $r: the $side bench failed"; exit 1; }
		rmmod gntv3_bench
		rmmod gntv3
		vm_dmesg_grep '\] bench: ' | sed "s/^bench: /regress: round=$r side=$side /"
	done
	r=$((r + 1))
done
echo "regress: $rounds rounds done"
