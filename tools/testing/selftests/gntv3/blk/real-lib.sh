# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers of the dom0 scripts that drive real-domu.sh (Linux's own
# xen-blkfront in the domU): real-dom0.sh (the test) and
# bench-real-dom0.sh (make bench).  Installed as /lib/blk-real-lib.sh and
# sourced after /lib/vm.sh; blk_cmd needs $DATA, the domU's data/ path.

# xs_wait PATH VALUE SECS: wait until xenstore PATH reads VALUE
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

# blk_cmd SECS VERB ARGS...: a command to real-domu.sh, its answer awaited
# (true if the domU answered 0); the domU's new console lines are copied
# to ours
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
	sleep 0.3
	vm_domu_console
	[ "${a#* }" = 0 ]
}

# be_unload: rmmod xen-blkback, retried for 30 s while a vbd closes
be_unload() {
	local i=0
	while ! rmmod xen-blkback 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 150 ] || return 1
		sleep 0.2
	done
}
