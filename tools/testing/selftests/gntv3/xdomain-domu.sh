# SPDX-License-Identifier: GPL-2.0-only
# xdomain-domu.sh - the domU side of gntv3_xdomain.
#
# Sourced (busybox sh) by the domU's /init with /lib/vm.sh loaded; the image
# holds /lib/modules/gntv3.ko and /bin/gntv3-xpeer (see xdomain-dom0.sh).
# Loads gntv3 as the frontend and runs gntv3-xpeer, which creates a tree for
# dom0, prints GNTV3-XPEER-READY and serves dom0's commands over xenstore
# until dom0 sends "exit" or destroys this domain.

vm_xen_modules || exit 1
insmod /lib/modules/gntv3.ko || { echo "domU: insmod gntv3 failed"; exit 1; }
[ -c /dev/gntv3 ] || { echo "domU: no /dev/gntv3 after insmod"; exit 1; }
grep . /sys/kernel/debug/gntv3/transport
/bin/gntv3-xpeer -t "${GNTV3_XPEER_LIFETIME:-300}"
