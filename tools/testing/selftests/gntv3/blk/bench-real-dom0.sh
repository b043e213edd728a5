# SPDX-License-Identifier: GPL-2.0-only
# The dom0 side of the bench of
# Linux's own xen-blkfront/xen-blkback with the patches/xen-blk series
# against Debian's stock modules (scripts/bench-blk-real.sh, make bench).
#
# Sourced (busybox sh) by dom0's /init with /lib/vm.sh loaded; the image
# holds what blk-real-test.sh's does, and the domU runs real-domu.sh (its
# bench verb: gntv3_blkio bench-mib, O_DIRECT on xvda).  One brd ramdisk,
# /dev/ram0, filled once, backs every configuration:
#   gntv3      patched xen-blkback and xen-blkfront: gntv3 grants
#   stock      Debian's modules, persistent grants on (their default)
#   nopersist  Debian's modules, xen-blkback's feature_persistent=0, so
#              the backend offers feature-persistent=0
#   again      stock once more (with BLK_REAL_CONTROL=1, the default): the
#              control, whose ratio to stock is what the bench shows for
#              two configurations that do the same work
# Each round runs one slot of each configuration, in the order gntv3
# stock again nopersist in even rounds and nopersist again stock gntv3 in
# odd ones, so gntv3 and stock, and stock and again, are always back to
# back and take turns going first.
# A slot loads its modules on both sides afresh, attaches the vbd, checks
# which grants it uses, runs an untimed warm-up, then moves a fixed amount
# of data per mode: BLK_REAL_SEQ_MB of sequential 1 MiB writes and reads,
# BLK_REAL_RAND_MB of random 4 KiB writes and reads (in the first 32 MiB
# of the disk); then it detaches.  One line per mode and slot:
#   BLK-BENCH: round=<r> cfg=<cfg> mode=<mode> mbs=<MB/s>
# and BLK-BENCH-DONE at the end; BLK-BENCH-FAIL: <why> if anything failed.

set -u
BLK_RAM_MB=${BLK_RAM_MB:-64}
ROUNDS=${BLK_REAL_ROUNDS:-7}
SEQ_MB=${BLK_REAL_SEQ_MB:-256}
RAND_MB=${BLK_REAL_RAND_MB:-8}
CONTROL=${BLK_REAL_CONTROL:-1}
MODES="seqwrite seqread randwrite randread"

. /lib/blk-real-lib.sh

bench_fail() {
	echo "BLK-BENCH-FAIL: $*"
	vm_domu_console
	vm_dmesg_grep 'gntv3|blk' | tail -n 40
	exit 1
}



# domu_after PATTERN: the first line matching PATTERN that the domU printed
# since it took the last command; waits up to 10 s for its console
domu_after() {
	local i=0 l
	while [ $i -lt 50 ]; do
		l=$(tr -d '\r' <"$VM_DOMU_LOG" |
		    sed -n "/domU: command $BLK_SEQ: /,\$p" | grep -e "$1" | head -n 1)
		[ -z "$l" ] || { echo "$l"; return 0; }
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}


vm_toolstack_start || exit 1
vm_insmod gntv3 || exit 1
vm_insmod brd rd_nr=1 "rd_size=$((BLK_RAM_MB * 1024))" max_part=0 || exit 1
[ -b /dev/ram0 ] || bench_fail "no /dev/ram0 after loading brd"
# every page of the store allocated before the first timed write
dd if=/dev/zero of=/dev/ram0 bs=1M count="$BLK_RAM_MB" 2>/dev/null && sync ||
	bench_fail "filling /dev/ram0"
vm_domu_create memory=384 || exit 1
vm_domu_wait BLK-DOMU-UP || exit 1
D=$(vm_domid)
DATA=/local/domain/$D/data
BE=/local/domain/0/backend/vbd/$D/51712
FE=/local/domain/$D/device/vbd/51712
echo "dom0: bench: $ROUNDS rounds, $SEQ_MB MiB sequential and $RAND_MB MiB random per mode and slot"
echo "dom0: bench: control (stock again) $CONTROL"

MODS=		# the xen-blk modules loaded on both sides: patched, stock or none

# load KIND: that xen-blkback here and that xen-blkfront in the domU,
# afresh even if they are loaded, so that every slot starts the same way
# (kept between slots of the same kind, stock followed a module load
# every other round and the control never did)
load() {
	if [ -n "$MODS" ]; then
		blk_cmd 60 unload || bench_fail "rmmod xen-blkfront in the domU"
		be_unload || bench_fail "rmmod xen-blkback"
	fi
	insmod "/lib/modules/xen-blkback-$1.ko" || bench_fail "insmod xen-blkback-$1"
	blk_cmd 60 front "$1" || bench_fail "insmod xen-blkfront-$1 in the domU"
	MODS=$1
}

# attach CFG: the vbd on /dev/ram0, Connected, using CFG's grants
attach() {
	local cfg=$1 kv line want
	for kv in frontend="$FE" frontend-id="$D" params=/dev/ram0 type=phy \
		  mode=w online=1 removable=0 dev=xvda \
		  physical-device="$(stat -L -c '%t:%T' /dev/ram0)"; do
		xenstore-write "$BE/${kv%%=*}" "${kv#*=}" || bench_fail "writing $BE"
	done
	xenstore-chmod -r "$BE" n0 "r$D" || bench_fail "xenstore-chmod $BE"
	for kv in backend="$BE" backend-id=0 virtual-device=51712 \
		  device-type=disk state=1; do
		xenstore-write "$FE/${kv%%=*}" "${kv#*=}" || bench_fail "writing $FE"
	done
	xenstore-chmod -r "$FE" "n$D" r0 && xenstore-write "$BE/state" 1 ||
		bench_fail "xenstore-chmod $FE"
	xs_wait "$BE/state" 4 120 && xs_wait "$FE/state" 4 120 ||
		bench_fail "$cfg: the vbd did not connect"
	blk_cmd 60 disk xvda || bench_fail "$cfg: no xvda in the domU"
	blk_cmd 30 mode && line=$(domu_after 'blkfront: xvda') ||
		bench_fail "$cfg: no blkfront line in the domU's log"
	case $cfg in
	gntv3) want='; grants: gntv3' ;;
	stock | again) want='persistent grants: enabled;' ;;
	*) want='persistent grants: disabled;' ;;
	esac
	echo "$line" | grep -q "$want" ||
		bench_fail "$cfg: the frontend does not say '$want': $line"
	[ "$cfg" = gntv3 ] || ! echo "$line" | grep -q '; grants:' ||
		bench_fail "$cfg: not the stock frontend: $line"
}

detach() {
	xenstore-write "$BE/state" 5 || bench_fail "closing the vbd"
	xs_wait "$FE/state" 6 60 || bench_fail "the frontend did not close"
	xs_wait "$BE/state" 6 60 || bench_fail "the backend did not close"
	xenstore-rm "$BE" && xenstore-rm "$FE" || bench_fail "removing the vbd nodes"
	blk_cmd 60 gone xvda || bench_fail "xvda still there after detach"
}

# slot ROUND CFG
slot() {
	local r=$1 cfg=$2 m mib v t0
	t0=$(vm_up)
	if [ "$cfg" = gntv3 ]; then
		load patched
	else
		load stock
		if [ "$cfg" = nopersist ]; then v=N; else v=Y; fi
		echo $v >/sys/module/xen_blkback/parameters/feature_persistent ||
			bench_fail "setting xen-blkback's feature_persistent"
	fi
	attach "$cfg"
	# untimed: the first use of a mapping or a persistent grant
	blk_cmd 300 bench xvda warmup seqwrite 32 ||
		bench_fail "$cfg: warm-up"
	for m in $MODES; do
		case $m in seq*) mib=$SEQ_MB ;; *) mib=$RAND_MB ;; esac
		blk_cmd 600 bench xvda "$r:$cfg:$m" "$m" "$mib" &&
			v=$(domu_after "blkio-result: $r:$cfg:$m ") ||
			bench_fail "$cfg: round $r, $m"
		v=$(echo "$v" | sed -n 's/.* \([0-9.]*\) MB\/s .*/\1/p')
		[ -n "$v" ] || bench_fail "$cfg: round $r, $m: no MB/s in the domU's line"
		echo "BLK-BENCH: round=$r cfg=$cfg mode=$m mbs=$v"
	done
	detach
	vm_domu_console
	echo "dom0: round $r $cfg: $(vm_since "$t0") s"
}

t0=$(vm_up)
r=0
while [ $r -lt "$ROUNDS" ]; do
	if [ $((r % 2)) = 0 ]; then
		order="gntv3 stock again nopersist"
	else
		order="nopersist again stock gntv3"
	fi
	[ "$CONTROL" = 1 ] || order=$(echo "$order" | sed 's/ again//')
	for c in $order; do
		slot "$r" "$c"
	done
	r=$((r + 1))
done
blk_cmd 60 unload || bench_fail "rmmod xen-blkfront in the domU"
be_unload || bench_fail "rmmod xen-blkback"
blk_cmd 30 exit || true
vm_domu_destroy >/dev/null
echo "BLK-BENCH-DONE: $ROUNDS rounds in $(vm_since "$t0") s"
