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
# "gntv3", optionally followed by "_again") a fresh domU gets one vif, and
# these checks run:
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
#                      stream's bytes to the domU, on a v1 link none;
#                      while the domU sends, dom0 made no kmalloc() of skb
#                      memory above 8 KiB (net_large_*: a guest TX skb
#                      head that held a whole GSO packet took 128 KiB, an
#                      order-5 allocation in NAPI)
#                      gntv3 is negotiated exactly when both ends are
#                      patched (the frontend's keys, netback's "RX and
#                      TX over gntv3", its 256 TX buffers mapped), else
#                      v1 (no keys, nothing mapped)
#  <combo>_teardown    the domU destroyed while it sends to dom0, the
#                      vif and the backend
#                      directory gone, netback unloaded; gntv3 in dom0
#                      holds nothing (vm_gntv3_busy: no tree, grant,
#                      attachment, mapping, pending unmap, stuck or leaked
#                      page, no backend connection)
#
# Then, when NET_COMBOS has gntv3_gntv3 and NET_TRAFFIC is not 0, the
# traffic-time checks, each on a fresh gntv3_gntv3 link, each ending with
# the teardown above (destroy, unload, gntv3 in dom0 idle) and no kernel
# BUG, WARNING or Oops in dom0's log:
#  traffic_revoke_storm      while dom0 streams to the domU (one stream
#                            of NET_BYTES after the other), the domU's
#                            netfront takes idle RX buffers back and
#                            re-grants them (its gntv3_revoke parameter,
#                            NET_STORM_ROUNDS rounds of 8): every revoke
#                            answered, the streams still running when the
#                            storm ended, every stream verified, dom0's
#                            gntv3 carried out at least as many revokes
#                            (back_done)
#  traffic_backend_reload    while dom0 streams to the domU, the vif is
#                            unbound from xen-netback and netback
#                            unloaded: the stream ends in time (an error
#                            allowed), nothing of the link is left in
#                            dom0's gntv3
#  traffic_backend_reload_link  netback loaded again: it probes the vif
#                            (InitWait) but the frontend, still Connected,
#                            does not reconnect by itself (netfront only
#                            connects from Initialising); rebound in the
#                            domU (unbind, bind) it connects to the new
#                            instance, over gntv3, and a stream verifies
#                            both ways
#  traffic_domu_destroy      the domU destroyed while dom0 streams to it
#                            (gntv3_copy() into its RX buffers in flight):
#                            the domain and its vif gone, the stream ended
#                            in time, and the teardown above
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
NET_TRAFFIC=${NET_TRAFFIC:-1}
NET_STORM_ROUNDS=${NET_STORM_ROUNDS:-20}
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

# net_link CHECK BACK FRONT: a domU with a vif, linked and pinged, for
# CHECK (it fails CHECK, or leaves its passing to the caller); sets DOMID,
# DATA, VIF, BE
net_link() {
	local c=$1 i=0
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
	net_mode "$c" "$2" "$3"
}

# net_back_stat KEY: a counter of gntv3's backend half in dom0 (0 without gntv3)
net_back_stat() {
	local v
	v=$(sed -n "s/^$1: //p" /sys/kernel/debug/gntv3/back 2>/dev/null | head -n 1)
	echo "${v:-0}"
}

# net_cpu_busy: dom0's busy CPU time so far, all vCPUs, in USER_HZ ticks
# (user, nice, system, irq and softirq of /proc/stat; a hypercall's time
# counts as the calling vCPU's system time)
net_cpu_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
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

# kmalloc()s of skb memory above 8 KiB in dom0 while the domU sends: guest
# TX builds an skb per packet in NAPI (GFP_ATOMIC), and neither netback
# may need more than a small head and order-0 pages for it.  Counted with
# the kmem:kmalloc tracepoint, filtered on bytes_alloc, then on call sites
# in the skb code (exec() of a program makes others); the sites printed.
# The event is enabled once and left on; each count only switches the
# ring buffer (tracing_on).  Enabling or disabling an event patches kernel
# text (text_poke_bp()), and under QEMU 7.2's multi-threaded TCG a vCPU
# may go on running the stale translation of a patched int3: in one
# rehearsal of December 6 (6.1, stock netback, patched netfront) vCPU 1
# looped in the int3 handler while vCPU 0 waited for it in
# text_poke_bp_batch() for 541 s, a soft lockup that failed the run.
NET_TRACING=/sys/kernel/tracing
NET_LARGE_ON=0
net_large_start() {
	[ -d $NET_TRACING/events/kmem ] ||
		mount -t tracefs nodev $NET_TRACING 2>/dev/null || return 1
	echo 0 >$NET_TRACING/tracing_on || return 1
	if [ "$NET_LARGE_ON" = 0 ]; then
		echo 'bytes_alloc > 8192' >$NET_TRACING/events/kmem/kmalloc/filter &&
			echo 1 >$NET_TRACING/events/kmem/kmalloc/enable || return 1
		NET_LARGE_ON=1
	fi
	echo >$NET_TRACING/trace && echo 1 >$NET_TRACING/tracing_on
}

# net_large_count: their number since net_large_start (and the top sites)
net_large_count() {
	echo 0 >$NET_TRACING/tracing_on
	grep ' kmalloc: call_site=' $NET_TRACING/trace >/tmp/net-large-all.txt
	grep ' kmalloc: call_site=[^ ]*skb' /tmp/net-large-all.txt >/tmp/net-large.txt
	echo "dom0: kmalloc()s above 8 KiB recorded: $(wc -l </tmp/net-large-all.txt) in all" >&2
	grep -o 'call_site=[^ ]*' /tmp/net-large.txt | sort | uniq -c |
		sort -rn | head -n 3 | sed 's/^/dom0: large kmalloc: /' >&2
	wc -l </tmp/net-large.txt
}

# net_stream CHECK DIR: net_stream_ok, then CHECK passes if it did
net_stream() { net_stream_ok "$@" && net_pass "$1"; }

# net_stream_ok CHECK DIR: one checksummed stream, DIR send (to the domU)
# or recv; fails CHECK (and returns 1) if it failed
net_stream_ok() {
	local out rc=0 b0 c0 large
	b0=$(net_back_stat copy_bytes)
	[ "$2" != recv ] || net_large_start ||
		{ net_fail "$1" "no kmem:kmalloc tracepoint"; return 1; }
	c0=$(net_cpu_busy)
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
	echo "dom0: cpu: $2 $(($(net_cpu_busy) - c0)) ticks for $NET_BYTES bytes"
	large=0
	if [ "$2" = recv ]; then
		large=$(net_large_count)
		echo "dom0: skb kmalloc()s above 8 KiB while the domU sent: $large"
	fi
	if [ $rc != 0 ] || ! echo "$out" | grep -q ' ok$'; then
		net_fail "$1" "$(echo "$out" | tail -n 1)"
		return 1
	elif [ "$large" != 0 ]; then
		net_fail "$1" "$large skb kmalloc()s above 8 KiB in dom0 while the domU sent"
		return 1
	elif [ "$2" = send ] && [ "$NET_GNTV3" = 1 ] &&
		[ $(($(net_back_stat copy_bytes) - b0)) -lt "$NET_BYTES" ]; then
		b0=$(($(net_back_stat copy_bytes) - b0))
		net_fail "$1" "gntv3_copy() carried $b0 bytes, less than the stream"
		return 1
	elif [ "$NET_GNTV3" = 0 ] && [ "$(net_back_stat copy_bytes)" != "$b0" ]; then
		net_fail "$1" "gntv3_copy() used on a v1 link"
		return 1
	fi
}

# net_combo BACK_FRONT[_again]: the checks above for one pair; "_again"
# (the bench's control, stock_stock_again) runs the pair once more under
# a name of its own
net_combo() {
	local combo=$1 pair=${1%_again} back front m
	back=${pair%_*} front=${pair#*_}
	echo "dom0: ===== netback $back, netfront $front${combo#"$pair"}"
	NET_GNTV3=0
	[ "$back" = gntv3 ] && [ "$front" = gntv3 ] && NET_GNTV3=1
	if net_link "${combo}_link" "$back" "$front" && net_pass "${combo}_link"; then
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
	local c=$1_teardown busy=
	if [ -n "${DOMID:-}" ] && net_cmd 10 log; then
		# destroyed in traffic: the domU is sending to us (guest TX)
		/bin/gntv3_netstream recv 10.0.0.2 $NET_PORT $((NET_BYTES * 64)) 7 \
			>/tmp/net-busy.log 2>&1 &
		busy=$!
		sleep 2
	fi
	net_down "$c" "$busy" && net_pass "$c"
}

# net_down CHECK [PID]: destroy the domU (then stop the stream PID), wait
# for the domain, its vif and backend directory to go, unload netback;
# gntv3 in dom0 must then hold nothing (vm_gntv3_busy) and dom0's kernel
# log show no BUG, WARNING or Oops since net_mark.  Fails CHECK if not.
net_down() {
	local c=$1 i=0 busy d=${DOMID:-}
	vm_domu_destroy || { net_fail "$c" "xl destroy failed"; return 1; }
	if [ -n "${2:-}" ]; then
		kill "$2" 2>/dev/null && echo "dom0: domU destroyed with a stream in flight"
		wait "$2" 2>/dev/null
	fi
	if [ -n "$d" ] && ! vm_domain_gone "$d" 30; then
		net_fail "$c" "domain $d still there 30 s after xl destroy"
		return 1
	fi
	while [ -e "/sys/class/net/${VIF:-none}" ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ ! -e "/sys/class/net/${VIF:-none}" ] || { net_fail "$c" "$VIF still there"; return 1; }
	xenstore-read "${BE:-/none}/state" >/dev/null 2>&1 &&
		{ net_fail "$c" "$BE still in xenstore"; return 1; }
	net_unload_back || { net_fail "$c" "rmmod xen-netback failed"; return 1; }
	DOMID=
	net_idle "$c" && net_healthy "$c"
}

# net_unload_back: rmmod xen-netback, retried for 30 s while a vif closes
net_unload_back() {
	local i=0
	while ! rmmod xen_netback 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 150 ] || { rmmod xen_netback; return 1; }
		sleep 0.2
	done
}

# net_idle CHECK: gntv3 in dom0 (when loaded) holds nothing: no tree,
# grant, attachment, mapping, pending unmap, stuck or leaked page, no
# backend connection (vm_gntv3_busy), and netback unmapped every buffer
# itself before it detached (unmapped_at_detach: nothing else maps in
# this VM); fails CHECK if not
net_idle() {
	local busy left
	[ -d /sys/module/gntv3 ] || return 0
	grep -E '^(attachments|mappings|pages_mapped|unmap_pending|leaked|copy_errors):' \
		/sys/kernel/debug/gntv3/back | tr '\n' ' ' |
		sed 's/^/dom0: gntv3 back: /;s/$/\n/'
	busy=$(vm_gntv3_busy)
	[ -z "$busy" ] ||
		{ net_fail "$1" "gntv3 not idle: $(echo "$busy" | tr '\n' ';')"; return 1; }
	left=$(sed -n 's/^unmapped_at_detach: //p' /sys/kernel/debug/gntv3/back)
	[ "$left" = 0 ] ||
		{ net_fail "$1" "netback left ${left:-?} mappings for detach to unmap"; return 1; }
}

# net_mark: remember where dom0's kernel log is; net_healthy CHECK fails
# CHECK if a BUG, WARNING, Oops or soft lockup was logged since, but for
# the reports of an idle vCPU's late wakeup (/lib/idle-stall.awk: the
# nested TCG bench's; the host's scan counts them)
NET_MARK=0
net_mark() { NET_MARK=$(dmesg | wc -l); }
net_healthy() {
	local bad
	dmesg | tail -n +$((NET_MARK + 1)) >/tmp/net-dmesg
	{ echo 0; awk -f /lib/idle-stall.awk /tmp/net-dmesg; } >/tmp/net-idle
	bad=$(grep -nE 'BUG|WARNING|Oops|general protection|soft lockup|Call Trace' /tmp/net-dmesg |
		awk -F: 'NR == FNR { skip[$1] = 1; next } !($1 in skip)' /tmp/net-idle - |
		cut -d: -f2- | head -n 3)
	[ -z "$bad" ] || { net_fail "$1" "dom0 kernel: $(echo "$bad" | tr '\n' ';')"; return 1; }
}

# net_bg DIR BYTES LOG: a stream in the background (its pid in NET_BG)
net_bg() {
	NET_SEED=$((NET_SEED + 1))
	/bin/gntv3_netstream "$1" 10.0.0.2 $NET_PORT "$2" $NET_SEED >"$3" 2>&1 &
	NET_BG=$!
}

# net_bg_wait SECS LOG: wait for NET_BG (killed after SECS s); shows LOG;
# fails if the stream hung or did not end with "ok"
net_bg_wait() {
	local i=0 rc=0
	while kill -0 "$NET_BG" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $(($1 * 5)) ]; then
			kill "$NET_BG"
			wait "$NET_BG" 2>/dev/null
			echo "dom0: the stream did not end in $1 s"
			sed 's/^/dom0: /' "$2"
			return 2
		fi
		sleep 0.2
	done
	wait "$NET_BG" || rc=$?
	sed 's/^/dom0: /' "$2"
	[ $rc = 0 ] && grep -q ' ok$' "$2"
}

# net_conn_stat KEY: a counter of dom0's gntv3 debugfs conn (0 without)
net_conn_stat() {
	local v
	v=$(sed -n "s/^$1: //p" /sys/kernel/debug/gntv3/conn 2>/dev/null | head -n 1)
	echo "${v:-0}"
}

traffic_revoke_storm() {
	local c=traffic_revoke_storm d0 d1 want live=0 ok=1
	net_mark
	net_link "$c" gntv3 gntv3 || { net_down "$c"; return 1; }
	want=$((NET_STORM_ROUNDS * 8))
	d0=$(net_conn_stat back_done)
	# streams to the domU, one after the other, until the storm is over
	rm -f /tmp/net-storm.stop
	(
		s=$NET_SEED
		[ "$NET_INJECT" != flip ] || export NETSTREAM_FLIP=$((NET_BYTES / 2))
		while [ ! -e /tmp/net-storm.stop ]; do
			s=$((s + 1))
			/bin/gntv3_netstream send 10.0.0.2 $NET_PORT "$NET_BYTES" $s || exit 1
		done
	) >/tmp/net-storm.log 2>&1 &
	NET_BG=$!
	NET_SEED=$((NET_SEED + 100))
	sleep 1
	if ! net_cmd 300 storm "$NET_STORM_ROUNDS" 8; then
		net_fail "$c" "the revoke storm failed (a revoke unanswered or refused)"
		ok=0
	fi
	kill -0 "$NET_BG" 2>/dev/null && live=1
	touch /tmp/net-storm.stop
	if ! net_bg_wait 300 /tmp/net-storm.log; then
		[ $ok = 0 ] || net_fail "$c" \
			"the stream failed during the storm: $(tail -n 1 /tmp/net-storm.log)"
		ok=0
	fi
	d1=$(net_conn_stat back_done)
	echo "dom0: gntv3 back_done $d0 -> $d1 (the storm: $want revokes)," \
		"$(grep -c ' ok$' /tmp/net-storm.log) streams verified"
	if [ $ok = 1 ] && [ $live = 0 ]; then
		net_fail "$c" "the streams ended before the storm did: no storm during traffic"
		ok=0
	elif [ $ok = 1 ] && [ $((d1 - d0)) -lt "$want" ]; then
		net_fail "$c" "dom0's gntv3 carried out $((d1 - d0)) revokes, not $want"
		ok=0
	fi
	net_down "$c" || return 1
	[ $ok = 0 ] || net_pass "$c"
}

traffic_backend_reload() {
	local c=traffic_backend_reload ok=1 rc=0 d
	net_mark
	net_link "$c" gntv3 gntv3 || { net_down "$c"; return 1; }
	d=$DOMID
	net_bg send $((NET_BYTES * 8)) /tmp/net-reload.log
	sleep 2
	if ! echo "vif-$d-0" >/sys/bus/xen-backend/drivers/vif/unbind; then
		net_fail "$c" "unbinding vif-$d-0 failed"
		ok=0
	elif ! net_unload_back; then
		net_fail "$c" "rmmod xen-netback failed after the unbind"
		ok=0
	fi
	net_bg_wait 120 /tmp/net-reload.log || rc=$?
	if [ $rc = 2 ]; then
		[ $ok = 0 ] || net_fail "$c" "the stream hangs after netback was unloaded"
		ok=0
	fi
	echo "dom0: the stream in flight ended $([ $rc = 0 ] && echo ok || echo "in an error")"
	echo "dom0: frontend state $(xenstore-read "/local/domain/$d/device/vif/0/state")," \
		"backend state $(xenstore-read "$BE/state" 2>/dev/null || echo removed)"
	if [ $ok = 1 ] && net_idle "$c" && net_healthy "$c"; then
		net_pass "$c"
	else
		ok=0
	fi
	# the second check: netback loaded again, the link back
	c=traffic_backend_reload_link
	if [ $ok = 0 ]; then
		net_fail "$c" "netback not unloaded cleanly"
	elif ! net_load_back gntv3; then
		net_fail "$c" "netback did not load again"
	elif ! net_reconnect "$c"; then
		:
	else
		net_stream_ok "$c" send && net_stream_ok "$c" recv && ok=2
	fi
	net_down "$c" || return 1
	[ $ok != 2 ] || net_pass "$c"
}

# net_reconnect CHECK: after a netback reload, the frontend rebound in
# the domU connects to the new backend; dom0's end given its address
# again (libxl ran the hotplug script only once)
net_reconnect() {
	local i=0
	# the new netback probes the vif again: InitWait for a frontend
	xs_wait "$BE/state" 2 30 ||
		{ net_fail "$1" "the new netback did not probe the vif"; return 1; }
	# what the hotplug script did (netback's unbind removed hotplug-status)
	{ ip link set "$VIF" up && ip addr add 10.0.0.1/24 dev "$VIF" &&
		xenstore-write "$BE/hotplug-status" connected; } ||
		{ net_fail "$1" "$VIF: not set up again"; return 1; }
	net_cmd 120 rebind || { net_fail "$1" "domU: netfront rebind failed"; return 1; }
	xs_wait "$BE/state" 4 60 || { net_fail "$1" "backend not Connected again"; return 1; }
	while ! ping -c 1 -W 2 10.0.0.2 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 15 ] || { net_fail "$1" "no ping answer after the reload"; return 1; }
	done
	echo "dom0: the link is back:" \
		"$(vm_dmesg_grep "$VIF: queue 0: RX and TX over gntv3" | tail -n 1)"
	NET_GNTV3=1
}

traffic_domu_destroy() {
	local c=traffic_domu_destroy d rc=0
	net_mark
	net_link "$c" gntv3 gntv3 || { net_down "$c"; return 1; }
	d=$DOMID
	net_bg send $((NET_BYTES * 64)) /tmp/net-destroy.log
	sleep 2
	if ! kill -0 "$NET_BG" 2>/dev/null; then
		net_fail "$c" "no stream in flight"
		net_down "$c"
		return 1
	fi
	vm_domu_destroy || { net_fail "$c" "xl destroy failed"; return 1; }
	echo "dom0: domU $d destroyed with a stream to it in flight"
	# the sender gives up after 30 s without progress (SO_SNDTIMEO); the
	# rest is room for a slow QEMU TCG host
	net_bg_wait 120 /tmp/net-destroy.log || rc=$?
	[ $rc != 2 ] || { net_fail "$c" "the stream hangs after the domU was destroyed"; return 1; }
	net_down "$c" && net_pass "$c"
}

vm_toolstack_start || { echo "NET-FAIL: setup: toolstack"; exit 1; }
for combo in $NET_COMBOS; do
	net_combo "$combo"
done
case " $NET_COMBOS " in
*" gntv3_gntv3 "*)
	if [ "$NET_TRAFFIC" != 0 ]; then
		echo "dom0: ===== traffic-time checks (netback gntv3, netfront gntv3)"
		NET_GNTV3=1
		traffic_revoke_storm
		traffic_backend_reload
		traffic_domu_destroy
	fi
	;;
esac
vm_dmesg_grep 'xen[-_]net|vif' | tail -n 20
echo "dom0: $NET_FAILS check(s) failed"
[ "$NET_FAILS" = 0 ]
