# SPDX-License-Identifier: GPL-2.0-only
# The domU side of the
# xen-blkfront/xen-blkback on gntv3 tests (scripts/blk-real-test.sh) and
# bench (scripts/bench-blk-real.sh).
#
# Sourced (busybox sh) by the domU's /init with /lib/vm.sh loaded.  Loads
# gntv3, prints BLK-DOMU-UP, then runs dom0's commands (data/blk-cmd ->
# data/blk-ack, as blk/domu.sh does).  Verbs:
#   front stock|patched  load that xen-blkfront (the other one unloaded)
#   unload               rmmod xen-blkfront
#   disk NAME / gone NAME  wait (60 s) until /dev/NAME exists / is gone
#   write DEV SEED [buffered]   gntv3_blkio write (O_DIRECT unless buffered)
#   verify DEV SEED [buffered]  gntv3_blkio verify (buffered: caches dropped
#                        first, so that the device answers)
#   storm ROUNDS NR      ROUNDS times, revoke NR idle gntv3 grants per ring
#                        (xen-blkfront's gntv3_revoke parameter); fails if
#                        a revoke failed or went unanswered
#   mode                 print the frontend's "grants:" line of dmesg
#   fronts               print gntv3's trees (debugfs fronts), "domU: tree: "
#   loop DEV SEED SECS   in the background: write and verify the pattern
#                        of SEED through DEV again and again, for SECS s
#                        or until a pass fails
#   loopwait SECS        wait (SECS s at most) for the loop to end; print
#                        its passes and whether one failed; fails only if
#                        it did not end in time
#   bench DEV NAME MODE MIB  gntv3_blkio bench-mib: MIB MiB of MODE
#                        (seqread, seqwrite, randread, randwrite), O_DIRECT,
#                        timed (make bench: bench-real-dom0.sh)
#   exit                 answer, then end this script

vm_xen_modules || exit 1
vm_insmod gntv3 || exit 1
echo "BLK-DOMU-UP"

blk_wait_dev() {
	local i=0 have
	while [ $i -lt 300 ]; do
		have=0
		[ -e "/sys/block/$1" ] && [ -b "/dev/$1" ] && have=1
		[ "$have" = "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "domU: /dev/$1 still $([ "$2" = 1 ] && echo missing || echo present) after 60 s"
	return 1
}

blkio() {	# blkio VERB DEV SEED [buffered]
	if [ "${4:-}" = buffered ]; then
		[ "$1" = verify ] && sync && echo 3 >/proc/sys/vm/drop_caches
		BLKIO_BUFFERED=1 /bin/gntv3_blkio "$1" "/dev/$2" "$3"
	else
		/bin/gntv3_blkio "$1" "/dev/$2" "$3"
	fi
}

LOOP=/tmp/loop
blk_loop() {	# blk_loop DEV SEED SECS
	local t0 n=0 rc=0
	t0=$(vm_up)
	while [ "$(vm_since "$t0" | cut -d. -f1)" -lt "$3" ]; do
		if ! /bin/gntv3_blkio write "/dev/$1" "$2" >$LOOP.out 2>&1 ||
		   ! /bin/gntv3_blkio verify "/dev/$1" "$2" >>$LOOP.out 2>&1; then
			rc=1
			break
		fi
		n=$((n + 1))
	done
	echo "$n $rc" >$LOOP.res.new && mv $LOOP.res.new $LOOP.res
}

blk_loopwait() {
	local i=0
	while [ ! -e $LOOP.res ]; do
		i=$((i + 1))
		if [ $i -gt $(($1 * 5)) ]; then
			echo "domU: the I/O loop did not end in $1 s"
			return 1
		fi
		sleep 0.2
	done
	wait
	read -r n rc <$LOOP.res
	local how="none failed"
	[ "$rc" = 0 ] || how="then one failed:"
	echo "domU: loop: $n passes, $how"
	[ "$rc" = 0 ] || tail -n 3 $LOOP.out
	return 0
}

last=
while :; do
	c=$(xenstore-read data/blk-cmd 2>/dev/null) || c=
	if [ -z "$c" ] || [ "$c" = "$last" ]; then
		sleep 0.1
		continue
	fi
	last=$c
	# shellcheck disable=SC2086 # split the command into words
	set -- $c
	seq=$1
	shift
	echo "domU: command $seq: $*"
	case $1 in
	front)
		! [ -d /sys/module/xen_blkfront ] || rmmod xen-blkfront
		insmod "/lib/modules/xen-blkfront-$2.ko"
		;;
	unload) rmmod xen-blkfront ;;
	disk) blk_wait_dev "$2" 1 ;;
	gone) blk_wait_dev "$2" 0 ;;
	write|verify) blkio "$1" "$2" "$3" "${4:-}" ;;
	bench) /bin/gntv3_blkio bench-mib "/dev/$2" "$3" "$4" "$5" ;;
	loop)
		rm -f $LOOP.res
		blk_loop "$2" "$3" "$4" &
		;;
	loopwait) blk_loopwait "$2" ;;
	storm) vm_revoke_storm /sys/module/xen_blkfront/parameters/gntv3_revoke "$2" "$3" ;;
	mode) dmesg | grep 'blkfront: xvda' | tail -n 1 | sed 's/^\[[ 0-9.]*\] //' ;;
	fronts) sed 's/^/domU: tree: /' /sys/kernel/debug/gntv3/fronts ;;
	exit)
		xenstore-write data/blk-ack "$seq 0"
		exit 0
		;;
	*) echo "domU: unknown command '$1'"; false ;;
	esac
	rc=$?
	xenstore-write data/blk-ack "$seq $rc"
done
