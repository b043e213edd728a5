# SPDX-License-Identifier: GPL-2.0-only
# blk/domu.sh - the domU side of the gntv3 disk
# tests (scripts/blk-test.sh).
#
# Sourced (busybox sh) by the domU's /init with /lib/vm.sh loaded.  Loads
# gntv3, gntv3_blkfront and the stock xen-blkfront, prints BLK-DOMU-UP, then
# runs dom0's commands: dom0 writes "SEQ VERB ARGS" to data/blk-cmd, we run
# it and answer "SEQ RC" in data/blk-ack.  Verbs:
#   disk NAME         wait (60 s) until /dev/NAME exists
#   gone NAME         wait (60 s) until it is gone
#   write DEV SEED    gntv3_blkio write (pattern)
#   verify DEV SEED   gntv3_blkio verify (read back, compare, checksum)
#   storm DEV SEED ROUNDS XDEV
#                     a writer/reader loop on DEV (write the pattern of
#                     SEED, verify it, again) while the revoke_storm knob
#                     of xenbus device XDEV runs ROUNDS rounds, and more
#                     until two passes of the loop ended; fails if a pass
#                     failed
#   stats XDEV        the frontend's counters, as "blkstat: KEY VALUE"
#   bench DEV NAME [MODE...]
#                     throughput runs, BLK_BENCH_SECS each (default: all
#                     four modes)
#   log               our kernel log lines of the disk drivers
#   exit              answer, then end this script

vm_xen_modules || exit 1
for m in gntv3 gntv3_blkfront xen-blkfront; do
	vm_insmod "$m" || exit 1
done
echo "BLK-DOMU-UP"

# blk_wait_dev NAME WANT: wait until /sys/block/NAME exists (WANT=1) or not (0)
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

blk_bench() {
	local dev=$1 name=$2 m rc=0
	shift 2
	[ $# -gt 0 ] || set -- seqwrite seqread randwrite randread
	for m in "$@"; do
		/bin/gntv3_blkio bench "/dev/$dev" "$name" "$m" "${BLK_BENCH_SECS:-5}" || rc=1
	done
	return $rc
}

BLK_DBG=/sys/kernel/debug/gntv3_blkfront

# blk_storm DEV SEED ROUNDS XDEV: see the verb list above.
blk_storm() {
	local dir=/tmp/storm p0 p1 t0 rc=0
	rm -rf $dir
	mkdir -p $dir
	echo 0 >$dir/passes
	(
		n=0
		while [ ! -e $dir/stop ]; do
			if ! /bin/gntv3_blkio write "/dev/$1" "$2" >$dir/out 2>&1 ||
			   ! /bin/gntv3_blkio verify "/dev/$1" "$2" >>$dir/out 2>&1; then
				cat $dir/out
				echo 1 >$dir/failed
				break
			fi
			n=$((n + 1))
			# whole or not at all for the reader
			echo $n >$dir/passes.new && mv $dir/passes.new $dir/passes
		done
	) &
	sleep 1		# the loop is busy with I/O
	p0=$(cat $dir/passes)
	t0=$(vm_up)
	# ROUNDS at least, and until two passes ended (one entirely inside);
	# a loop that stopped making progress fails the check after 120 s
	n=0
	while [ $n -lt "$3" ] || [ "$(cat $dir/passes)" -lt $((p0 + 2)) ]; do
		if [ -e $dir/failed ] ||
		   [ "$(vm_since "$t0" | cut -d. -f1)" -ge 120 ]; then
			break
		fi
		if ! echo 10 >"$BLK_DBG/$4/revoke_storm"; then
			echo "domU: the revoke storm failed"
			rc=1
			break
		fi
		n=$((n + 10))
	done
	p1=$(cat $dir/passes)
	echo "domU: $n storm rounds in $(vm_since "$t0") s;" \
		"writer/reader passes: $p0 before, $p1 at its end"
	touch $dir/stop
	wait
	if [ -e $dir/failed ]; then
		echo "domU: a writer/reader pass failed during the storm"
		rc=1
	fi
	if [ "$p1" -lt $((p0 + 2)) ]; then
		echo "domU: fewer than two writer/reader passes ended during the storm"
		rc=1
	fi
	return $rc
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
	disk) blk_wait_dev "$2" 1 ;;
	gone) blk_wait_dev "$2" 0 ;;
	write) /bin/gntv3_blkio write "/dev/$2" "$3" ;;
	verify) /bin/gntv3_blkio verify "/dev/$2" "$3" ;;
	storm) blk_storm "$2" "$3" "$4" "$5" ;;
	stats) sed 's/^/blkstat: /' "$BLK_DBG/$2/stats" ;;
	bench) shift; blk_bench "$@" ;;
	log) dmesg | grep -E 'gntv3_blk|blkfront' | sed 's/^\[[ 0-9.]*\] //' ;;
	exit)
		xenstore-write data/blk-ack "$seq 0"
		exit 0
		;;
	*) echo "domU: unknown command '$1'"; false ;;
	esac
	rc=$?
	xenstore-write data/blk-ack "$seq $rc"
done
