# SPDX-License-Identifier: GPL-2.0-only
# A real network link between
# dom0 (xen-netback, a vif) and a PV domU (xen-netfront, eth0), driven
# from dom0 (scripts/net-test.sh).
#
# Sourced (busybox sh) by dom0's /init with /lib/vm.sh loaded.  The image
# holds Debian's xen-netback.ko in /lib/modules, the patched one (and
# gntv3.ko) in /lib/modules/gntv3/ when the run has them, the vif hotplug
# script /etc/vm/vif-gntv3 and /bin/gntv3_netstream; the domU runs
# domu.sh.  For each BACK_FRONT pair of NET_COMBOS (each "stock" or
# "gntv3") a fresh domU gets one vif, and these checks run:
#
#  <combo>_link        netback loaded, the domU created with a vif whose
#                      hotplug script gave dom0's end 10.0.0.1/24, the
#                      netfront loaded and given 10.0.0.2/24, the backend
#                      Connected, and the domU answers a ping
#  <combo>_mtu<M>_to_domu, <combo>_mtu<M>_from_domu
#                      for each M of NET_MTUS, both ends set to MTU M, a
#                      checksummed stream of NET_BYTES through TCP, dom0
#                      to domU and back (gntv3_netstream: every byte
#                      checked against its pattern, both checksums agree);
#                      on a gntv3 link gntv3_copy() carried at least the
#                      stream's bytes to the domU, on a v1 link none
#                      gntv3 is negotiated exactly when both ends are
#                      patched (the frontend's keys, netback's "RX and
#                      TX over gntv3", its 256 TX buffers mapped), else
#                      v1 (no keys, nothing mapped)
#  <combo>_teardown    the domU destroyed while it sends to dom0, the
#                      vif and the backend
#                      directory gone, netback unloaded; gntv3's backend
#                      half in dom0 holds no attachment, mapping, pending
#                      unmap or leaked page
#
# Each prints "NET-PASS: <check>" or "NET-FAIL: <check>: why"; a failed
# link skips the streams of its combo (they stay "not reached").
# NET_INJECT=flip makes every stream's sender flip one bit after its
# checksum took the byte in: the stream checks must fail.

set -u
# lists arrive ':'-separated (the kernel command line splits on spaces)
NET_COMBOS=$(echo "${NET_COMBOS:-stock_stock}" | tr : ' ')
NET_MTUS=$(echo "${NET_MTUS:-1500:9000}" | tr : ' ')
NET_BYTES=${NET_BYTES:-8388608}
NET_INJECT=${NET_INJECT:-}
NET_PORT=5001
NET_FAILS=0
NET_SEED=1000

net_pass() { echo "NET-PASS: $1"; }
net_fail() {
	echo "NET-FAIL: $1: $2"
	NET_FAILS=$((NET_FAILS + 1))
}

# net_cmd SECS VERB ARGS...: run a command in the domU (domu.sh), wait for
# its answer, show its console; succeeds if the command did.
NET_SEQ=0
net_cmd() {
	local t=$1 i=0 a=
	shift
	NET_SEQ=$((NET_SEQ + 1))
	xenstore-write "$DATA/net-cmd" "$NET_SEQ $*"
	while :; do
		a=$(xenstore-read "$DATA/net-ack" 2>/dev/null) || a=
		case $a in "$NET_SEQ "*) break ;; esac
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

net_load_back() {
	case $1 in
	stock) vm_insmod xen-netback ;;
	gntv3)
		[ -d /sys/module/gntv3 ] || vm_insmod gntv3 || return 1
		vm_insmod gntv3/xen-netback
		;;
	*) echo "dom0: unknown netback '$1'"; return 1 ;;
	esac
}

# net_link COMBO BACK FRONT: the <combo>_link check; sets DOMID, DATA, VIF, BE
net_link() {
	local c=$1_link i=0
	net_load_back "$2" || { net_fail "$c" "netback ($2) did not load"; return 1; }
	vm_domu_create 'vif=["mac=00:16:3e:4e:33:02,script=/etc/vm/vif-gntv3"]' ||
		{
			net_fail "$c" "xl create with a vif failed"
			cat /var/log/xen/vif-gntv3.log
			return 1
		}
	DOMID=$(vm_domid)
	DATA=/local/domain/$DOMID/data
	VIF=vif$DOMID.0
	BE=/local/domain/0/backend/vif/$DOMID/0
	vm_domu_wait NET-DOMU-UP || { net_fail "$c" "domU did not come up"; return 1; }
	net_cmd 120 front "$3" || { net_fail "$c" "domU: netfront ($3) setup failed"; return 1; }
	xs_wait "$BE/state" 4 60 || { net_fail "$c" "backend not Connected"; return 1; }
	cat /var/log/xen/vif-gntv3.log
	ip addr show dev "$VIF" | grep -q 'inet 10\.0\.0\.1/24' ||
		{ net_fail "$c" "$VIF has no 10.0.0.1/24 (hotplug script)"; return 1; }
	while ! ping -c 1 -W 2 10.0.0.2 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 15 ] || { net_fail "$c" "no ping answer from 10.0.0.2"; return 1; }
	done
	echo "dom0: $VIF up ($(cat "/sys/class/net/$VIF/operstate")), backend $BE Connected"
	net_mode "$c" "$2" "$3" || return 1
	net_pass "$c"
}

# net_back_stat KEY: a counter of gntv3's backend half in dom0 (0 without gntv3)
net_back_stat() {
	local v
	v=$(sed -n "s/^$1: //p" /sys/kernel/debug/gntv3/back 2>/dev/null | head -n 1)
	echo "${v:-0}"
}

# net_mode CHECK BACK FRONT: the pair negotiated gntv3 exactly when both
# ends are patched: the frontend's keys in its directory, netback's
# message, and the 256 TX buffers mapped; v1 (no keys, nothing mapped)
# otherwise
net_mode() {
	local fe=/local/domain/$DOMID/device/vif/0 ver tx maps log
	ver=$(xenstore-read "$fe/gntv3-version" 2>/dev/null) || ver=
	tx=$(xenstore-read "$fe/gntv3-tx-first" 2>/dev/null) || tx=
	maps=$(net_back_stat mappings)
	log=$(vm_dmesg_grep "$VIF: queue 0: RX and TX over gntv3" | tail -n 1)
	local feat
	feat=$(xenstore-read "$BE/feature-gntv3" 2>/dev/null) || feat=none
	echo "dom0: feature-gntv3 back=$feat" \
		"front gntv3-version=${ver:-none} gntv3-tx-first=${tx:-none}," \
		"$maps gntv3 mappings${log:+, $log}"
	if [ "$2" = gntv3 ] && [ "$3" = gntv3 ]; then
		[ -n "$ver" ] && [ -n "$tx" ] && [ -n "$log" ] && [ "$maps" -ge 256 ] ||
			{ net_fail "$1" "gntv3 not negotiated by two patched ends"; return 1; }
	else
		[ -z "$ver" ] && [ -z "$log" ] && [ "$maps" = 0 ] ||
			{ net_fail "$1" "gntv3 in use with a stock end"; return 1; }
	fi
}

# net_stream CHECK DIR: one checksummed stream, DIR send (to the domU) or recv
net_stream() {
	local out rc=0 b0
	b0=$(net_back_stat copy_bytes)
	NET_SEED=$((NET_SEED + 1))
	if [ "$NET_INJECT" = flip ]; then
		# the domU's server flips too (domu.sh reads NET_INJECT)
		out=$(NETSTREAM_FLIP=$((NET_BYTES / 2)) /bin/gntv3_netstream "$2" \
			10.0.0.2 $NET_PORT "$NET_BYTES" $NET_SEED 2>&1) || rc=$?
	else
		out=$(/bin/gntv3_netstream "$2" 10.0.0.2 $NET_PORT "$NET_BYTES" \
			$NET_SEED 2>&1) || rc=$?
	fi
	echo "$out" | sed 's/^/dom0: /'
	if [ $rc != 0 ] || ! echo "$out" | grep -q ' ok$'; then
		net_fail "$1" "$(echo "$out" | tail -n 1)"
	elif [ "$2" = send ] && [ "$NET_GNTV3" = 1 ] &&
		[ $(($(net_back_stat copy_bytes) - b0)) -lt "$NET_BYTES" ]; then
		b0=$(($(net_back_stat copy_bytes) - b0))
		net_fail "$1" "gntv3_copy() carried $b0 bytes, less than the stream"
	elif [ "$NET_GNTV3" = 0 ] && [ "$(net_back_stat copy_bytes)" != "$b0" ]; then
		net_fail "$1" "gntv3_copy() used on a v1 link"
	else
		net_pass "$1"
	fi
}

net_combo() {
	local combo=$1 back=${1%_*} front=${1#*_} m
	echo "dom0: ===== netback $back, netfront $front"
	NET_GNTV3=0
	[ "$back" = gntv3 ] && [ "$front" = gntv3 ] && NET_GNTV3=1
	if net_link "$combo" "$back" "$front"; then
		for m in $NET_MTUS; do
			if ip link set "$VIF" mtu "$m" && net_cmd 30 mtu "$m"; then
				net_stream "${combo}_mtu${m}_to_domu" send
				net_stream "${combo}_mtu${m}_from_domu" recv
			else
				net_fail "${combo}_mtu${m}_to_domu" "MTU $m not set"
				net_fail "${combo}_mtu${m}_from_domu" "MTU $m not set"
			fi
		done
	fi
	net_teardown "$combo" "$back"
}

net_teardown() {
	local c=$1_teardown m=xen_netback i=0 busy=
	if [ -n "${DOMID:-}" ] && net_cmd 10 log; then
		# destroyed in traffic: the domU is sending to us (guest TX)
		/bin/gntv3_netstream recv 10.0.0.2 $NET_PORT $((NET_BYTES * 64)) 7 \
			>/tmp/net-busy.log 2>&1 &
		busy=$!
		sleep 2
	fi
	vm_domu_destroy || { net_fail "$c" "xl destroy failed"; return 1; }
	if [ -n "$busy" ]; then
		kill "$busy" 2>/dev/null && echo "dom0: domU destroyed with a stream in flight"
		wait "$busy" 2>/dev/null
	fi
	while [ -e "/sys/class/net/${VIF:-none}" ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ ! -e "/sys/class/net/${VIF:-none}" ] || { net_fail "$c" "$VIF still there"; return 1; }
	xenstore-read "${BE:-/none}/state" >/dev/null 2>&1 &&
		{ net_fail "$c" "$BE still in xenstore"; return 1; }
	rmmod $m || { net_fail "$c" "rmmod xen-netback failed"; return 1; }
	DOMID=
	# nothing of the link left in gntv3's backend half
	if [ -d /sys/module/gntv3 ]; then
		grep -E '^(attachments|mappings|pages_mapped|unmap_pending|leaked|copy_errors):' \
			/sys/kernel/debug/gntv3/back | tr '\n' ' ' |
			sed 's/^/dom0: gntv3 back: /;s/$/\n/'
		for k in attachments mappings pages_mapped unmap_pending leaked; do
			[ "$(net_back_stat $k)" = 0 ] ||
				{
					k="$k is $(net_back_stat $k)"
					net_fail "$c" "gntv3 $k after teardown"
					return 1
				}
		done
	fi
	net_pass "$c"
}

vm_toolstack_start || { echo "NET-FAIL: setup: toolstack"; exit 1; }
for combo in $NET_COMBOS; do
	net_combo "$combo"
done
vm_dmesg_grep 'xen[-_]net|vif' | tail -n 20
echo "dom0: $NET_FAILS check(s) failed"
[ "$NET_FAILS" = 0 ]
