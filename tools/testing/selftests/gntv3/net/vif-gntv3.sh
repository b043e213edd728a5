#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The vif hotplug script
# of the network tests, installed in dom0 as /etc/vm/vif-gntv3 and named
# in the domU's xl config (script=...).  Debian's vif-* scripts are bash
# and want tools the busybox image lacks; this one does what the test
# link needs, in busybox sh.
#
# libxl runs it as "vif-gntv3 add|online|remove|offline type_if=vif"
# with $vif (the interface, vifD.N) and $XENBUS_PATH (the backend
# directory) in the environment.  On add it brings the interface up with
# 10.0.0.1/24 and writes hotplug-status "connected", which xen-netback
# waits for before it connects the frontend.  Everything goes to
# /var/log/xen/vif-gntv3.log.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
LOG=/var/log/xen/vif-gntv3.log
echo "$(date +%T) $* vif=${vif:-} path=${XENBUS_PATH:-}" >>"$LOG"
[ -n "${vif:-}" ] && [ -n "${XENBUS_PATH:-}" ] || { echo "no vif/XENBUS_PATH" >>"$LOG"; exit 1; }
case ${1:-} in
add | online)
	ip link set "$vif" up >>"$LOG" 2>&1 || exit 1
	ip addr add 10.0.0.1/24 dev "$vif" >>"$LOG" 2>&1 || exit 1
	xenstore-write "$XENBUS_PATH/hotplug-status" connected >>"$LOG" 2>&1 || exit 1
	;;
remove | offline)
	ip link set "$vif" down >>"$LOG" 2>&1
	xenstore-rm "$XENBUS_PATH/hotplug-status" >>"$LOG" 2>&1
	;;
esac
exit 0
