# SPDX-License-Identifier: GPL-2.0-only
# The domU side of the network
# tests (scripts/net-test.sh).
#
# Sourced (busybox sh) by the domU's /init with /lib/vm.sh loaded.  The
# image holds /lib/modules/xen-netfront.ko (Debian's), and, when the run
# has one, /lib/modules/gntv3/xen-netfront.ko (the patched driver) with
# gntv3.ko, and /bin/gntv3_netstream.  Prints NET-DOMU-UP, then runs dom0's
# commands: dom0 writes "SEQ VERB ARGS" to data/net-cmd, we answer "SEQ RC"
# in data/net-ack.  Verbs:
#   front stock|gntv3  load that netfront, wait for eth0, give it
#                      10.0.0.2/24, start the stream server on port 5001
#   mtu N              set eth0's MTU
#   storm ROUNDS NR    ROUNDS times, take NR idle RX buffers per queue back
#                      (the patched netfront's gntv3_revoke parameter);
#                      fails if a revoke failed or went unanswered
#   rebind             unbind vif-0 from netfront and bind it again (a
#                      new connection to whatever backend is there), eth0
#                      set up again; the stream server keeps running
#   log                our kernel log lines of the network drivers
#   exit               answer, then end this script
# NET_INJECT=flip (from the run's --env): the server flips one bit of what
# it sends, after its checksum (see gntv3_netstream.c), so dom0's "recv"
# streams must fail.

vm_xen_modules || exit 1
echo "NET-DOMU-UP"

net_front() {
	local i=0
	case $1 in
	rebind)
		echo vif-0 >/sys/bus/xen/drivers/vif/unbind &&
			echo vif-0 >/sys/bus/xen/drivers/vif/bind || return 1
		;;
	stock) vm_insmod xen-netfront || return 1 ;;
	gntv3)
		{ [ -d /sys/module/gntv3 ] || vm_insmod gntv3; } &&
			vm_insmod gntv3/xen-netfront || return 1
		;;
	*) echo "domU: unknown netfront '$1'"; return 1 ;;
	esac
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ -e /sys/class/net/eth0 ] || { echo "domU: no eth0 after 60 s"; return 1; }
	ip link set lo up
	ip addr add 10.0.0.2/24 dev eth0 || return 1
	ip link set eth0 up || return 1
	[ -z "${NET_SERVER:-}" ] || return 0	# still serving (reload)
	if [ "${NET_INJECT:-}" = flip ]; then
		NETSTREAM_FLIP=$((${NET_BYTES:-8388608} / 2)) /bin/gntv3_netstream serve 5001 &
	else
		/bin/gntv3_netstream serve 5001 &
	fi
	NET_SERVER=$!
	echo "domU: eth0 $(cat /sys/class/net/eth0/address) up, netfront $1"
}

seq_done=0
while :; do
	cmd=$(xenstore-read data/net-cmd 2>/dev/null) || cmd=
	seq=${cmd%% *}
	if [ -z "$cmd" ] || [ "$seq" = "$seq_done" ]; then
		sleep 0.2
		continue
	fi
	# shellcheck disable=SC2086 # word splitting wanted
	set -- ${cmd#* }
	echo "domU: command $seq: $*"
	rc=0
	case $1 in
	front) net_front "$2" || rc=1 ;;
	mtu) ip link set eth0 mtu "$2" || rc=1 ;;
	storm)
		vm_revoke_storm /sys/module/xen_netfront/parameters/gntv3_revoke "$2" "$3" ||
			rc=1
		dmesg | grep 'RX buffers revoked' | tail -n 1 | sed 's/^\[[ 0-9.]*\] /domU: /'
		;;
	rebind) net_front rebind || rc=1 ;;
	log) dmesg | grep -iE 'net|vif|gntv3' | tail -n 40 ;;
	exit) xenstore-write data/net-ack "$seq 0"; break ;;
	*) echo "domU: unknown command '$1'"; rc=1 ;;
	esac
	seq_done=$seq
	xenstore-write data/net-ack "$seq $rc"
done
exit 0
