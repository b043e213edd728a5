# SPDX-License-Identifier: GPL-2.0-only
# tools/testing/selftests/gntv3/blk/dom0.sh - the gntv3 virtual disk pair
# against a dom0 ramdisk, driven from dom0 (scripts/blk-test.sh).
#
# Sourced (busybox sh) by dom0's /init with /lib/vm.sh loaded.  The image
# holds gntv3.ko, gntv3_blkback.ko, brd.ko and xen-blkback.ko in
# /lib/modules and /bin/gntv3_blkio; the domU runs domu.sh.  Steps, each
# printing "BLK-OK: ..." or "BLK-FAIL: ..." (which ends the test):
#
#  1. attach a "vgntv3blk" device backed by /dev/ram0, writing its xenstore
#     nodes by hand as a toolstack would; the frontend shows gntv3blk0
#  2. integrity: the domU writes a pattern through gntv3blk0 and reads it
#     back; dom0 verifies the same pattern directly on /dev/ram0 and both
#     sides' checksums must agree
#  3. backend reload: unbind + rmmod gntv3_blkback while the disk is idle, the
#     frontend closes, insmod it again, both reconnect, the pattern is
#     still there, and a new one written after the reload reaches the store
#  4. revoke storm during I/O: pending (see the message)
#  5. BLK_BENCH_SECS > 0: throughput through gntv3blk0
#  6. detach the gntv3 disk (backend Closing, nodes removed): it disappears
#  7. attach the stock vbd (xen-blkback/xen-blkfront) to the same /dev/ram0:
#     the domU reads a pattern dom0 wrote there; BLK_BENCH_SECS > 0: the
#     same throughput runs through xvda
#  8. every backend connection reports no bad request and no I/O error

set -u
BLK_RAM_MB=${BLK_RAM_MB:-64}
BLK_BENCH_SECS=${BLK_BENCH_SECS:-0}
SEED=${BLK_SEED:-4242}

blk_fail() {
	echo "BLK-FAIL: $*"
	vm_domu_console
	vm_dmesg_grep 'gntv3|blk' | tail -n 40
	exit 1
}
blk_ok() { echo "BLK-OK: $*"; }

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
	mine=$(/bin/gntv3_blkio verify /dev/ram0 "$1") || blk_fail "dom0: pattern $1 not in /dev/ram0"
	echo "dom0: $mine"
	mine=$(echo "$mine" | grep -o "seed $1, checksum [0-9a-f]*")
	theirs=$(domu_sum "$1")
	[ -n "$mine" ] && [ "$mine" = "$theirs" ] ||
		blk_fail "checksums differ: dom0 '$mine', domU '$theirs'"
	blk_ok "pattern $1: domU through $2 and dom0 on /dev/ram0 agree ($mine)"
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

# ------------------------------------------------------------------ 1. attach
attach vgntv3blk 1 "" params=/dev/ram0 || blk_fail "writing the vgntv3blk nodes"
connected vgntv3blk 1 || blk_fail "vgntv3blk did not connect"
blk_cmd 60 disk gntv3blk0 || blk_fail "no gntv3blk0 in the domU"
blk_ok "vgntv3blk attached: backend and frontend Connected, gntv3blk0 present"

# ------------------------------------------------------------------ 2. integrity
blk_cmd 300 write gntv3blk0 "$SEED" || blk_fail "writing pattern $SEED"
check_pattern "$SEED" gntv3blk0

# ------------------------------------------------------------------ 3. reload
# A bound xenbus driver holds its module: unbind the device first, as a
# toolstack does; the device stays on the bus and rebinds at insmod.
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

# ------------------------------------------------------------------ 4. revoke storm
echo "BLK-PENDING: revoke storm during I/O: needs the revoke ring (gntv3_revoke) in the pair"

# ------------------------------------------------------------------ 5. bench gntv3
if [ "$BLK_BENCH_SECS" != 0 ]; then
	blk_cmd 600 bench gntv3blk0 gntv3 || blk_fail "bench through gntv3blk0"
	blk_ok "bench through gntv3blk0"
fi

# ------------------------------------------------------------------ 6. detach
xenstore-write "$GBE/state" 5 || blk_fail "closing vgntv3blk"
xs_wait "$GFE/state" 6 60 || blk_fail "the frontend did not close on detach"
xs_wait "$GBE/state" 6 60 || blk_fail "the backend did not close on detach"
xenstore-rm "$GBE" && xenstore-rm "$GFE" || blk_fail "removing the vgntv3blk nodes"
blk_cmd 60 gone gntv3blk0 || blk_fail "gntv3blk0 still there after detach"
blk_ok "vgntv3blk detached, gntv3blk0 gone"

# ------------------------------------------------------------------ 7. stock vbd
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
if [ "$BLK_BENCH_SECS" != 0 ]; then
	blk_cmd 600 bench xvda stock || blk_fail "bench through xvda"
	blk_ok "bench through xvda"
fi

# ------------------------------------------------------------------ 8. counters
blk_cmd 30 log || true
blk_cmd 30 exit || true
vm_domu_destroy
vm_dmesg_grep 'gntv3_blkback'
n=$(vm_dmesg_grep 'gntv3_blkback: .*disconnected' | grep -c .)
[ "$n" -ge 2 ] || blk_fail "expected 2 backend disconnects (reload, detach), saw $n"
if vm_dmesg_grep 'gntv3_blkback: .*disconnected' | grep -v ' 0 bad, 0 I/O errors'; then
	blk_fail "a backend connection saw bad requests or I/O errors"
fi
blk_ok "backend connections: no bad request, no I/O error"
echo "BLK-ALL-OK"
