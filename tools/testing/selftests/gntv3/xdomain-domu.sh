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
# what a huge grant can use: the huge page sizes and the 1 GiB pages reserved
echo "domU: cpu pdpe1gb: $(grep -qw pdpe1gb /proc/cpuinfo && echo yes || echo no)," \
    "hugepages: $(cd /sys/kernel/mm/hugepages 2>/dev/null &&
        for d in hugepages-*; do
            printf '%s=%s ' "${d#hugepages-}" "$(cat "$d/nr_hugepages")"
        done)"
/bin/gntv3-xpeer -t "${GNTV3_XPEER_LIFETIME:-300}"
