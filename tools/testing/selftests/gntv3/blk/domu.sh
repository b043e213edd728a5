# SPDX-License-Identifier: GPL-2.0-only
# tools/testing/selftests/gntv3/blk/domu.sh - the domU side of the gntv3 disk
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
#   bench DEV NAME    the four throughput runs, BLK_BENCH_SECS each
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
	local m rc=0
	for m in seqwrite seqread randwrite randread; do
		/bin/gntv3_blkio bench "/dev/$1" "$2" "$m" "${BLK_BENCH_SECS:-5}" || rc=1
	done
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
	bench) blk_bench "$2" "$3" ;;
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
