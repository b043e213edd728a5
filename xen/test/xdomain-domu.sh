# SPDX-License-Identifier: GPL-2.0-only
# xen/test/xdomain-domu.sh - domU side of the two-domain prototype test
# (see xen/test/xdomain-dom0.sh).  Grants one page to dom0 through a v3
# tree, publishes the tree handle on its console, waits for dom0's handle in
# xenstore (data/h0), maps dom0's grant and keeps both until destroyed.

xt() { echo "$1" >/sys/module/gntv3_xentest/parameters/cmd; dmesg | grep 'XT ' | tail -n1 | sed 's/^\[[ 0-9.]*\] //; s/^gntv3_xentest: //'; }

vm_xen_modules || exit 1
insmod /lib/modules/gntv3_xentest.ko selftest=0 || { echo "domU: insmod failed"; exit 1; }
h1=$(xt "grant 0" | sed -n 's/.*status=0 handle=\([0-9]*\).*/\1/p')
[ -n "$h1" ] || { echo "domU: register failed"; exit 1; }
echo "XT-H1=$h1"
echo "XT-READY"
i=0
until h0=$(xenstore-read data/h0 2>/dev/null) && [ -n "$h0" ]; do
    i=$((i + 1)); [ $i -lt 600 ] || { echo "domU: no data/h0"; exit 1; }
    sleep 0.2
done
xt "map 0 $h0"
echo "XT-MAPPED"
sleep 600
