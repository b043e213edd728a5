# SPDX-License-Identifier: GPL-2.0-only
# blk/dom0.sh - the gntv3 virtual disk pair
# against a dom0 ramdisk, driven from dom0 (scripts/blk-test.sh).
#
# Sourced (busybox sh) by dom0's /init with /lib/vm.sh loaded.  The image
# holds gntv3.ko, gntv3_blkback.ko, brd.ko and xen-blkback.ko in
# /lib/modules and /bin/gntv3_blkio; the domU runs domu.sh.  Each check
# prints "BLK-PASS: <check>" when all of it passed, or "BLK-FAIL: <check>:
# why", which ends the run; "BLK-OK: <check>: ..." lines are its steps.
# scripts/blk-test.sh turns them into TAP.  Checks, in order:
#
#  attach           a "vgntv3blk" device backed by /dev/ram0, its xenstore
#                   nodes written by hand as a toolstack would; the
#                   frontend shows gntv3blk0; the tree, revoke ring and
#                   event channel are in the device's own directory, and
#                   no data/gntv3 directory exists beside it
#  integrity        the domU writes a pattern through gntv3blk0 and reads
#                   it back; dom0 verifies the same pattern directly on
#                   /dev/ram0 and both sides' checksums must agree
#  backend_reload   unbind + rmmod gntv3_blkback while the disk is idle,
#                   the frontend closes, insmod it again, both reconnect,
#                   the pattern is still there, and a new one written
#                   after the reload reaches the store
#  revoke_storm_io  a writer/reader loop in the domU while the frontend's
#                   revoke_storm knob revokes and re-grants its idle
#                   buffers BLK_STORM_ROUNDS times at least, and until two
#                   passes of the loop ended: every pass verifies
#  revoke_storm_integrity  then the loop's pattern, through gntv3blk0 and
#                   on /dev/ram0, with agreeing checksums
#  revoke_counters  the frontend revoked buffers with the backend's ACK
#                   (sent = acked > 0, no NACK, timeout, dead grant, error,
#                   bad response or I/O error) and the backend carried the
#                   revokes out (gntv3's back_done grew)
#  stock_vbd        the stock vbd (xen-blkback/xen-blkfront) on the same
#                   /dev/ram0: the domU reads a pattern dom0 wrote there
#  bench            BLK_BENCH_SECS > 0 only: throughput through both disks,
#                   BLK_BENCH_ROUNDS rounds, gntv3 and stock alternating
#                   run by run (the first one alternating too)
#  detach           the gntv3 disk detached (backend Closing, nodes
#                   removed): it disappears
#  backend_counters every backend connection reports no bad request and no
#                   I/O error; the last one (the storm's) revoked mappings
#
# BLK_INJECT=ignore-revokes checks the checks: gntv3 in dom0 drops every
# revoke request unanswered (debugfs back_ignore_revokes) from the storm
# on, so revoke_storm_io and what follows must fail.

set -u
BLK_RAM_MB=${BLK_RAM_MB:-64}
BLK_BENCH_SECS=${BLK_BENCH_SECS:-0}
BLK_BENCH_ROUNDS=${BLK_BENCH_ROUNDS:-5}
BLK_STORM_ROUNDS=${BLK_STORM_ROUNDS:-50}
SEED=${BLK_SEED:-4242}
BLK_CHECK=setup

blk_fail() {
	echo "BLK-FAIL: $BLK_CHECK: $*"
	vm_domu_console
	vm_dmesg_grep 'gntv3|blk' | tail -n 40
	exit 1
}
blk_ok() { echo "BLK-OK: $BLK_CHECK: $*"; }
blk_check() { BLK_CHECK=$1; }
blk_pass() { echo "BLK-PASS: $BLK_CHECK"; }

# xs_wait KEY VALUE SECS: wait until xenstore KEY reads VALUE
xs_wait() {
	local i=0 v=
	while [ $i -lt $(($3 * 5)) ]; do
		v=$(xenstore-read "$1" 2>/dev/null) || v=
		[ "$v" = "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "dom0: $1 is '$v', not '$2', after $3 s"
	return 1
}

# blk_cmd SECS VERB ARGS...: run a command in the domU (domu.sh), wait for
# its answer, show its console; succeeds if the command did.
BLK_SEQ=0
blk_cmd() {
	local t=$1 i=0 a=
	shift
	BLK_SEQ=$((BLK_SEQ + 1))
	xenstore-write "$DATA/blk-cmd" "$BLK_SEQ $*"
	while :; do
		a=$(xenstore-read "$DATA/blk-ack" 2>/dev/null) || a=
		case $a in "$BLK_SEQ "*) break ;; esac
		i=$((i + 1))
		if [ $i -gt $((t * 5)) ]; then
			vm_domu_console
			echo "dom0: no answer from the domU to '$*' in $t s"
			return 1
		fi
		sleep 0.2
	done
	sleep 0.3	# let xenconsoled catch up with the domU's output
	vm_domu_console
	[ "${a#* }" = 0 ]
}

# The checksum line of the domU's last "verify" of SEED, from its console.
domu_sum() {
	grep -o "seed $1, checksum [0-9a-f]*" "$VM_DOMU_LOG" | tail -n 1
}

# Both sides see the pattern of seed $1: the domU through $2, dom0 on the store.
check_pattern() {
	local mine theirs
	blk_cmd 300 verify "$2" "$1" || blk_fail "domU: pattern $1 through $2"
	mine=$(/bin/gntv3_blkio verify /dev/ram0 "$1") ||
		blk_fail "dom0: pattern $1 not in /dev/ram0"
	echo "dom0: $mine"
	mine=$(echo "$mine" | grep -o "seed $1, checksum [0-9a-f]*")
	theirs=$(domu_sum "$1")
	[ -n "$mine" ] && [ "$mine" = "$theirs" ] ||
		blk_fail "checksums differ: dom0 '$mine', domU '$theirs'"
	blk_ok "pattern $1: domU through $2 and dom0 on /dev/ram0 agree ($mine)"
}

# domu_stat KEY: the last value the domU's "stats" printed for KEY
domu_stat() {
	tr -d '\r' <"$VM_DOMU_LOG" | sed -n "s/^blkstat: $1 \([0-9]*\)$/\1/p" | tail -n 1
}

# expect KEY OP VALUE: assert a frontend counter (OP: = or >)
expect() {
	local v ok=0
	v=$(domu_stat "$1")
	[ -n "$v" ] || blk_fail "no frontend counter $1"
	case $2 in
	=) [ "$v" -eq "$3" ] && ok=1 ;;
	">") [ "$v" -gt "$3" ] && ok=1 ;;
	esac
	[ $ok = 1 ] || blk_fail "frontend counter $1 is $v, expected $2 $3"
}

# conn_stat KEY: gntv3's module-wide connection counter KEY in dom0
conn_stat() {
	sed -n "s/^$1: \([0-9]*\)$/\1/p" /sys/kernel/debug/gntv3/conn
}

# attach TYPE DEVID "FRONTEND KEY=VALUE..." BACKEND KEY=VALUE...: the
# backend's directory (readable by the domU) without its state, then the
# frontend's (the domU probes once it may read it, and needs the backend's
# directory then), then the backend's state (its probe needs the
# frontend's directory).
attach() {
	local type=$1 devid=$2 fkeys=$3 be fe kv
	shift 3
	be=/local/domain/0/backend/$type/$D/$devid
	fe=/local/domain/$D/device/$type/$devid
	for kv in frontend="$fe" frontend-id="$D" "$@"; do
		xenstore-write "$be/${kv%%=*}" "${kv#*=}" || return 1
	done
	xenstore-chmod -r "$be" n0 "r$D" || return 1
	for kv in backend="$be" backend-id=0 $fkeys state=1; do
		xenstore-write "$fe/${kv%%=*}" "${kv#*=}" || return 1
	done
	xenstore-chmod -r "$fe" "n$D" r0 && xenstore-write "$be/state" 1
}

connected() {
	xs_wait "/local/domain/0/backend/$1/$D/$2/state" 4 120 &&
		xs_wait "/local/domain/$D/device/$1/$2/state" 4 120
}

# ------------------------------------------------------------------ set-up
vm_toolstack_start || exit 1
vm_insmod gntv3 || exit 1
# which transport the probe chose (make vm-test checks it on the prototype)
grep . /sys/kernel/debug/gntv3/transport
vm_insmod brd rd_nr=1 "rd_size=$((BLK_RAM_MB * 1024))" max_part=0 || exit 1
vm_insmod gntv3_blkback || exit 1
vm_insmod xen-blkback || exit 1
[ -b /dev/ram0 ] || blk_fail "no /dev/ram0 after loading brd"
vm_domu_create memory=384 || exit 1
vm_domu_wait BLK-DOMU-UP || exit 1
D=$(vm_domid)
DATA=/local/domain/$D/data
GBE=/local/domain/0/backend/vgntv3blk/$D/1
GFE=/local/domain/$D/device/vgntv3blk/1
XDEV=vgntv3blk-1

# ------------------------------------------------------------------ attach
blk_check attach
attach vgntv3blk 1 "" params=/dev/ram0 || blk_fail "writing the vgntv3blk nodes"
connected vgntv3blk 1 || blk_fail "vgntv3blk did not connect"
blk_cmd 60 disk gntv3blk0 || blk_fail "no gntv3blk0 in the domU"
for k in gntv3-version gntv3-transport gntv3-tree-ref gntv3-ring-ref \
	 gntv3-event-channel ring-id event-channel; do
	xenstore-read "$GFE/$k" >/dev/null 2>&1 ||
		blk_fail "no $k in the frontend's directory $GFE"
done
xenstore-read "$GBE/feature-gntv3" >/dev/null 2>&1 ||
	blk_fail "no feature-gntv3 in the backend's directory $GBE"
! xenstore-exists "$DATA/gntv3" 2>/dev/null ||
	blk_fail "$DATA/gntv3 exists: a second state machine beside the device's"
blk_ok "gntv3 keys in the device's own directories, no $DATA/gntv3"
blk_ok "backend and frontend Connected, gntv3blk0 present"
blk_pass

# ------------------------------------------------------------------ integrity
blk_check integrity
blk_cmd 300 write gntv3blk0 "$SEED" || blk_fail "writing pattern $SEED"
check_pattern "$SEED" gntv3blk0
blk_pass

# ------------------------------------------------------------------ reload
# A bound xenbus driver holds its module: unbind the device first, as a
# toolstack does; the device stays on the bus and rebinds at insmod.
blk_check backend_reload
echo "vgntv3blk-$D-1" >/sys/bus/xen-backend/drivers/vgntv3blk/unbind ||
	blk_fail "unbinding vgntv3blk-$D-1"
rmmod gntv3_blkback || blk_fail "rmmod gntv3_blkback"
xs_wait "$GFE/state" 6 60 || blk_fail "the frontend did not close after the backend left"
blk_ok "backend unloaded, frontend Closed"
vm_insmod gntv3_blkback || blk_fail "insmod gntv3_blkback again"
connected vgntv3blk 1 || blk_fail "no reconnection after the backend reload"
blk_ok "backend reloaded, both Connected again"
check_pattern "$SEED" gntv3blk0
blk_cmd 300 write gntv3blk0 $((SEED + 1)) || blk_fail "writing after the reload"
check_pattern $((SEED + 1)) gntv3blk0
blk_pass

# ------------------------------------------------------------------ revoke storm
blk_check revoke_storm_io
if [ "${BLK_INJECT:-}" = ignore-revokes ]; then
	echo 1 >/sys/kernel/debug/gntv3/back_ignore_revokes ||
		blk_fail "cannot set back_ignore_revokes"
	echo "dom0: injecting: revoke requests are dropped"
fi
done0=$(conn_stat back_done)
blk_cmd 300 storm gntv3blk0 $((SEED + 3)) "$BLK_STORM_ROUNDS" "$XDEV" ||
	blk_fail "writer/reader loop during $BLK_STORM_ROUNDS revoke storm rounds"
blk_ok "revoke storm during the writer/reader loop, every pass verified"
blk_pass

blk_check revoke_storm_integrity
check_pattern $((SEED + 3)) gntv3blk0
blk_pass

blk_check revoke_counters
blk_cmd 30 stats "$XDEV" || blk_fail "reading the frontend's counters"
done1=$(conn_stat back_done)
expect rounds ">" $((BLK_STORM_ROUNDS - 1))
expect revoked ">" 0
expect ring_sent ">" 0
expect ring_acked = "$(domu_stat ring_sent)"
for k in dead revoke_errors regrant_errors ring_nacked ring_timed_out \
	 ring_malformed bad_rsp io_errors; do
	expect "$k" = 0
done
expect granted = "$(domu_stat buffers)"
[ "$done1" -gt "$done0" ] ||
	blk_fail "gntv3's back_done did not grow in dom0 ($done0 -> $done1)"
blk_ok "revoked $(domu_stat revoked) buffers in $(domu_stat rounds) rounds" \
	"($(domu_stat busy) found in use, $(domu_stat no_buf) waits for a buffer)," \
	"ring sent $(domu_stat ring_sent) acked $(domu_stat ring_acked)," \
	"dom0 back_done $done0 -> $done1"
blk_pass

# ------------------------------------------------------------------ stock vbd
# Attached next to the gntv3 disk, so that the benchmark can alternate.
blk_check stock_vbd
/bin/gntv3_blkio write /dev/ram0 $((SEED + 2)) || blk_fail "dom0 writing /dev/ram0"
# 51712: xvda (202:0); physical-device: the store's major:minor in hex;
# dev: xen-blkback names its thread after it and serves nothing without it
attach vbd 51712 "virtual-device=51712 device-type=disk" params=/dev/ram0 \
	type=phy mode=w online=1 removable=0 dev=xvda \
	physical-device="$(stat -L -c '%t:%T' /dev/ram0)" ||
	blk_fail "writing the vbd nodes"
connected vbd 51712 || blk_fail "the stock vbd did not connect"
blk_cmd 60 disk xvda || blk_fail "no xvda in the domU"
check_pattern $((SEED + 2)) xvda
blk_pass

# ------------------------------------------------------------------ bench
# Run by run alternation: for each mode of each round, one run through
# each disk, the disk going first alternating with every run, so that both
# see the same host load on average (scripts/blk-test.sh takes medians).
if [ "$BLK_BENCH_SECS" != 0 ]; then
	blk_check bench
	r=0
	k=0
	while [ $r -lt "$BLK_BENCH_ROUNDS" ]; do
		for m in seqwrite seqread randwrite randread; do
			if [ $((k % 2)) = 0 ]; then
				order="gntv3blk0:gntv3 xvda:stock"
			else
				order="xvda:stock gntv3blk0:gntv3"
			fi
			k=$((k + 1))
			for d in $order; do
				blk_cmd 120 bench "${d%%:*}" "${d#*:}" "$m" ||
					blk_fail "bench $m through ${d%%:*}"
			done
		done
		r=$((r + 1))
	done
	blk_ok "$BLK_BENCH_ROUNDS rounds through gntv3blk0 and xvda"
	blk_pass
fi

# ------------------------------------------------------------------ detach
blk_check detach
xenstore-write "$GBE/state" 5 || blk_fail "closing vgntv3blk"
xs_wait "$GFE/state" 6 60 || blk_fail "the frontend did not close on detach"
xs_wait "$GBE/state" 6 60 || blk_fail "the backend did not close on detach"
xenstore-rm "$GBE" && xenstore-rm "$GFE" || blk_fail "removing the vgntv3blk nodes"
blk_cmd 60 gone gntv3blk0 || blk_fail "gntv3blk0 still there after detach"
blk_ok "gntv3blk0 gone"
blk_pass

# ------------------------------------------------------------------ counters
blk_check backend_counters
blk_cmd 30 log || true
blk_cmd 30 exit || true
vm_domu_destroy
vm_dmesg_grep 'gntv3_blkback'
lines=$(vm_dmesg_grep 'gntv3_blkback: .*disconnected')
n=$(echo "$lines" | grep -c .)
[ "$n" -ge 2 ] || blk_fail "expected 2 backend disconnects (reload, detach), saw $n"
if echo "$lines" | grep -v ' 0 bad, 0 I/O errors'; then
	blk_fail "a backend connection saw bad requests or I/O errors"
fi
revoked=$(echo "$lines" | tail -n 1 | sed -n 's/.* \([0-9]*\) mappings revoked.*/\1/p')
[ "${revoked:-0}" -gt 0 ] ||
	blk_fail "the storm's backend connection revoked no mapping"
blk_ok "no bad request, no I/O error; $revoked mappings revoked by the storm's connection"
blk_pass
echo "BLK-ALL-OK"
