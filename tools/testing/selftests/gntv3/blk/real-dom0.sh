# SPDX-License-Identifier: GPL-2.0-only
# Linux's own
# xen-blkfront/xen-blkback with the patches/xen-blk series, against
# Debian's stock modules, driven from dom0 (scripts/blk-real-test.sh).
#
# Sourced (busybox sh) by dom0's /init with /lib/vm.sh loaded.  The image
# holds gntv3.ko, brd.ko, xen-blkback-stock.ko and xen-blkback-patched.ko
# and /bin/gntv3_blkio; the domU runs real-domu.sh with both xen-blkfront
# modules.  For each combination BACKEND-FRONTEND of stock/patched, in one
# check "BLK-PASS: <be>_be_<fe>_fe" (or "BLK-FAIL: ...: why"):
#   - that backend in dom0 and that frontend in the domU, a vbd on
#     /dev/ram0 attached by writing its xenstore nodes;
#   - both Connected; the grants are gntv3 exactly when both are patched:
#     the frontend's directory holds gntv3-transport, the frontend's
#     kernel log says "grants: gntv3" (else "grants: v1"), and the patched
#     backend says feature-gntv3 in its own directory; on gntv3 the
#     frontend's tree has at least 511 ids more than grants (its bounce
#     pages come from 2 MiB superpage grants, 512 ids each: a ring has
#     more than 1000 of them);
#   - on gntv3, after the data: every mapping in dom0 is one 4 KiB page
#     (the backend maps a superpage's pieces alone, its first one too);
#   - data both ways, O_DIRECT and buffered: the domU writes a pattern
#     (512 B to 4 MiB extents) through xvda, dom0 verifies it on /dev/ram0
#     and the checksums agree; dom0 writes one on /dev/ram0, the domU reads
#     it back through xvda;
#   - detached (backend Closing, nodes removed), both modules unloaded.
# Then, with both patched:
#   reconnect          detach and attach again with the modules loaded (a
#                      second tree), data both ways each time;
#   revoke_storm_io    the frontend revokes grants (gntv3_revoke parameter)
#                      during an I/O loop: every revoke acknowledged, every
#                      pass verified, dom0's gntv3 carried the revokes out;
#   backend_reload_io  during an I/O loop in the domU, unbind and unload
#                      the backend and load it again: the loop must end in
#                      time (I/O errors allowed, no hang) and the disk must
#                      work after, as it is or after a reattach;
#   domu_destroy_io    the domU destroyed during an I/O loop: the backend
#                      closes and its module unloads;
#   counters           gntv3's debugfs counters in dom0 show no attachment,
#                      mapping, pending unmap or leak left.

set -u
BLK_RAM_MB=${BLK_RAM_MB:-64}
SEED=${BLK_SEED:-5151}
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

. /lib/blk-real-lib.sh



domu_sum() {
	grep -o "seed $1, checksum [0-9a-f]*" "$VM_DOMU_LOG" | tail -n 1
}

# both_agree SEED: dom0 verifies SEED on /dev/ram0, its checksum must be
# the one the domU printed last for SEED (a verify through xvda)
both_agree() {
	local mine theirs
	mine=$(/bin/gntv3_blkio verify /dev/ram0 "$1") ||
		blk_fail "dom0: pattern $1 not in /dev/ram0"
	mine=$(echo "$mine" | grep -o "seed $1, checksum [0-9a-f]*")
	theirs=$(domu_sum "$1")
	[ -n "$mine" ] && [ "$mine" = "$theirs" ] ||
		blk_fail "checksums differ: dom0 '$mine', domU '$theirs'"
}

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

vm_toolstack_start || exit 1
vm_insmod gntv3 || exit 1
# which transport the probe chose (make vm-test checks it on the prototype)
grep . /sys/kernel/debug/gntv3/transport
vm_insmod brd rd_nr=1 "rd_size=$((BLK_RAM_MB * 1024))" max_part=0 || exit 1
[ -b /dev/ram0 ] || blk_fail "no /dev/ram0 after loading brd"
vm_domu_create memory=384 || exit 1
vm_domu_wait BLK-DOMU-UP || exit 1
D=$(vm_domid)
DATA=/local/domain/$D/data
BE=/local/domain/0/backend/vbd/$D/51712
FE=/local/domain/$D/device/vbd/51712

COMBO=0
# next_seed: a seed no earlier check used
next_seed() { COMBO=$((COMBO + 1)); S=$((SEED + 10 * COMBO)); }


# vbd_attach BACKEND FRONTEND: attach, wait until both are Connected and
# xvda is there, check which grants they use
vbd_attach() {
	local be=$1 fe=$2 want=v1 line
	[ "$be" = patched ] && [ "$fe" = patched ] && want=gntv3
	attach vbd 51712 "virtual-device=51712 device-type=disk" params=/dev/ram0 \
		type=phy mode=w online=1 removable=0 dev=xvda \
		physical-device="$(stat -L -c '%t:%T' /dev/ram0)" ||
		blk_fail "writing the vbd nodes"
	xs_wait "$BE/state" 4 120 && xs_wait "$FE/state" 4 120 ||
		blk_fail "the vbd did not connect"
	blk_cmd 60 disk xvda || blk_fail "no xvda in the domU"
	blk_cmd 30 mode || blk_fail "no blkfront line in the domU's log"
	line=$(tr -d '\r' <"$VM_DOMU_LOG" | grep 'blkfront: xvda' | tail -n 1)
	# the stock frontend does not say which grants it uses: always v1
	if [ "$fe" = patched ]; then
		echo "$line" | grep -q "grants: $want" ||
			blk_fail "the frontend does not say 'grants: $want'"
	elif echo "$line" | grep -q "; grants:"; then
		blk_fail "the stock frontend is not the stock one: $line"
	fi
	if [ "$want" = gntv3 ]; then
		xenstore-read "$FE/gntv3-transport" >/dev/null 2>&1 ||
			blk_fail "no gntv3-transport in $FE"
	elif xenstore-read "$FE/gntv3-transport" >/dev/null 2>&1; then
		blk_fail "gntv3-transport in $FE on a v1 connection"
	fi
	if [ "$be" = patched ]; then
		xenstore-read "$BE/feature-gntv3" >/dev/null 2>&1 ||
			blk_fail "no feature-gntv3 in $BE"
	fi
	[ "$want" != gntv3 ] || superpages_used
	blk_ok "connected, grants: $want"
}

# superpages_used: the domU's one tree has a superpage grant's worth of
# ids more than it has grants
superpages_used() {
	local line grants ids
	blk_cmd 30 fronts || blk_fail "no gntv3 trees in the domU"
	line=$(tr -d '\r' <"$VM_DOMU_LOG" | grep 'domU: tree: backend: 0 ' | tail -n 1)
	grants=$(echo "$line" | sed -n 's/.* grants: \([0-9]*\) .*/\1/p')
	ids=$(echo "$line" | sed -n 's/.* ids: \([0-9]*\) .*/\1/p')
	[ -n "$grants" ] && [ -n "$ids" ] || blk_fail "no tree for dom0 in the domU: '$line'"
	[ "$ids" -ge $((grants + 511)) ] ||
		blk_fail "no superpage grant: $grants grants, $ids ids"
	blk_ok "the frontend's tree: $grants grants, $ids ids"
}

# maps_4k: every mapping of dom0's gntv3 is a single 4 KiB page
maps_4k() {
	local maps pages
	maps=$(sed -n 's/^mappings: //p' /sys/kernel/debug/gntv3/back)
	pages=$(sed -n 's/^pages_mapped: //p' /sys/kernel/debug/gntv3/back)
	[ -n "$maps" ] && [ "$maps" -gt 0 ] && [ "$maps" = "$pages" ] ||
		blk_fail "dom0 maps $pages pages in $maps mappings, not one each"
	blk_ok "dom0: $maps mappings of one 4 KiB page each"
}

# io_both_ways [direct]: patterns both ways, O_DIRECT and (unless "direct")
# buffered, each checked on /dev/ram0 by dom0 with agreeing checksums
io_both_ways() {
	next_seed
	blk_cmd 300 write xvda "$S" || blk_fail "domU writing $S (O_DIRECT)"
	blk_cmd 300 verify xvda "$S" || blk_fail "domU reading back $S (O_DIRECT)"
	both_agree "$S"
	/bin/gntv3_blkio write /dev/ram0 $((S + 1)) >/dev/null || blk_fail "dom0 writing $((S + 1))"
	blk_cmd 300 verify xvda $((S + 1)) || blk_fail "domU reading $((S + 1)) (O_DIRECT)"
	both_agree $((S + 1))
	blk_ok "O_DIRECT both ways (seeds $S, $((S + 1)))"
	[ "${1:-}" != direct ] || return 0
	blk_cmd 300 write xvda $((S + 2)) buffered || blk_fail "domU writing $((S + 2)) (buffered)"
	blk_cmd 300 verify xvda $((S + 2)) buffered ||
		blk_fail "domU reading back $((S + 2)) (buffered)"
	both_agree $((S + 2))
	/bin/gntv3_blkio write /dev/ram0 $((S + 3)) >/dev/null || blk_fail "dom0 writing $((S + 3))"
	blk_cmd 300 verify xvda $((S + 3)) buffered || blk_fail "domU reading $((S + 3)) (buffered)"
	both_agree $((S + 3))
	blk_ok "buffered both ways (seeds $((S + 2)), $((S + 3)))"
}

# vbd_detach: backend Closing, both Closed, nodes removed, xvda gone
vbd_detach() {
	xenstore-write "$BE/state" 5 || blk_fail "closing the vbd"
	xs_wait "$FE/state" 6 60 || blk_fail "the frontend did not close"
	xs_wait "$BE/state" 6 60 || blk_fail "the backend did not close"
	xenstore-rm "$BE" && xenstore-rm "$FE" || blk_fail "removing the vbd nodes"
	blk_cmd 60 gone xvda || blk_fail "xvda still there after detach"
}

# combo BACKEND FRONTEND
combo() {
	local be=$1 fe=$2 t0
	blk_check "${be}_be_${fe}_fe"
	t0=$(vm_up)
	insmod "/lib/modules/xen-blkback-$be.ko" || blk_fail "insmod xen-blkback-$be"
	blk_cmd 60 front "$fe" || blk_fail "insmod xen-blkfront-$fe in the domU"
	vbd_attach "$be" "$fe"
	io_both_ways
	[ "$be-$fe" != patched-patched ] || maps_4k
	vbd_detach
	blk_cmd 60 unload || blk_fail "rmmod xen-blkfront in the domU"
	be_unload || blk_fail "rmmod xen-blkback"
	blk_ok "detached and unloaded in $(vm_since "$t0") s"
	blk_pass
}

# (the kinds in variables: two equal words in a row read as a typo)
P=patched
S0=stock
combo $P $P
combo $S0 $P
combo $P $S0
combo $S0 $S0

# ------------------------------------------------------------ reconnect
# The frontend disconnects and connects again, modules loaded: a new tree
blk_check reconnect
insmod /lib/modules/xen-blkback-patched.ko || blk_fail "insmod xen-blkback-patched"
blk_cmd 60 front patched || blk_fail "insmod xen-blkfront-patched in the domU"
vbd_attach $P $P
io_both_ways direct
vbd_detach
blk_ok "detached"
vbd_attach $P $P
io_both_ways direct
blk_ok "attached again: a second tree, data both ways"
blk_pass

# ------------------------------------------------------------ revoke storm
# The frontend takes grants back through the revoke ring while an I/O
# loop runs: every revoke acknowledged, every pass of the loop verified.
blk_check revoke_storm_io
next_seed
done0=$(sed -n 's/^back_done: \([0-9]*\)$/\1/p' /sys/kernel/debug/gntv3/conn)
blk_cmd 30 loop xvda "$S" 30 || blk_fail "starting the I/O loop"
blk_cmd 300 storm "${BLK_STORM_ROUNDS:-20}" 8 ||
	blk_fail "the revoke storm failed (a revoke unanswered or refused)"
blk_cmd 150 loopwait 120 || blk_fail "the I/O loop hangs during the storm"
res=$(tr -d '\r' <"$VM_DOMU_LOG" | grep 'domU: loop:' | tail -n 1)
echo "$res" | grep -q 'none failed' || blk_fail "a pass of the I/O loop failed: $res"
echo "$res" | grep -q 'loop: 0 passes' && blk_fail "no pass of the I/O loop ended"
blk_cmd 300 verify xvda "$S" || blk_fail "domU reading $S after the storm"
both_agree "$S"
done1=$(sed -n 's/^back_done: \([0-9]*\)$/\1/p' /sys/kernel/debug/gntv3/conn)
[ "${done1:-0}" -gt "${done0:-0}" ] ||
	blk_fail "dom0's gntv3 carried out no revoke (back_done $done0 -> $done1)"
blk_ok "$res; dom0 back_done $done0 -> $done1"
blk_pass

# ------------------------------------------------------------ backend reload
# During I/O: unbind the backend, unload it, load it again.  xen-blkback
# allows a rebind: the new instance finds the frontend Connected and
# connects to the same rings and tree.  The I/O loop must end in time
# (passes or an I/O error, never a hang) and the disk must work after.
blk_check backend_reload_io
next_seed
blk_cmd 30 loop xvda "$S" 40 || blk_fail "starting the I/O loop"
sleep 3
echo "vbd-$D-51712" >/sys/bus/xen-backend/drivers/vbd/unbind ||
	blk_fail "unbinding vbd-$D-51712"
be_unload || blk_fail "rmmod xen-blkback during I/O"
blk_ok "backend unloaded during I/O"
insmod /lib/modules/xen-blkback-patched.ko || blk_fail "insmod xen-blkback-patched again"
if xs_wait "$BE/state" 4 60; then
	blk_ok "the new backend connected to the live frontend"
else
	blk_ok "the new backend did not connect (state $(xenstore-read "$BE/state"))"
fi
blk_cmd 150 loopwait 120 || blk_fail "the I/O loop hangs after the backend reload"
if xenstore-read "$FE/state" | grep -qx 4 && xenstore-read "$BE/state" | grep -qx 4; then
	io_both_ways direct
	blk_ok "the disk works after the reload, without a reattach"
else
	vbd_detach
	vbd_attach $P $P
	io_both_ways direct
	blk_ok "the disk works after a reattach"
fi
blk_pass

# ------------------------------------------------------------ domU destroyed
# Mid-I/O: the backend lets go of everything; dom0 stays healthy.
blk_check domu_destroy_io
next_seed
blk_cmd 30 loop xvda "$S" 60 || blk_fail "starting the I/O loop"
sleep 3
vm_domu_destroy >/dev/null
blk_ok "domU destroyed during I/O"
# the backend device leaves (libxl tears down what the domain's device
# directory names, or blkback unregisters when its frontend vanished)
i=0
while [ -e "/sys/bus/xen-backend/devices/vbd-$D-51712" ] &&
      [ "$(xenstore-read "$BE/state" 2>/dev/null)" = 4 ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || blk_fail "the backend stays Connected to a destroyed domU"
	sleep 0.2
done
xenstore-rm "$BE" 2>/dev/null
be_unload || blk_fail "rmmod xen-blkback after the domU died"
blk_ok "backend closed ($(xenstore-read "$BE/state" 2>/dev/null || echo removed)), module unloaded"
blk_pass

blk_check counters
c=/sys/kernel/debug/gntv3
cat $c/stats $c/back | grep -E '^[a-z_]+: [0-9]+$' | sed 's/^/dom0: gntv3 /'
for k in attachments mappings pages_mapped unmap_pending stuck leaked; do
	v=$(sed -n "s/^$k: \([0-9]*\)$/\1/p" $c/back)
	[ "$v" = 0 ] || blk_fail "gntv3 $k is '$v' after the last detach"
done
v=$(sed -n 's/^leaked: \([0-9]*\)$/\1/p' $c/stats)
[ "$v" = 0 ] || blk_fail "gntv3 stats leaked is '$v'"
blk_ok "nothing mapped, pending or leaked in dom0's gntv3"
blk_pass
echo "BLK-ALL-OK"
