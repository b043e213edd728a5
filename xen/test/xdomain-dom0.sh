# SPDX-License-Identifier: GPL-2.0-only
# xen/test/xdomain-dom0.sh - two domains on the prototype v3 hypervisor:
# each grants a page to the other through a v3 tree and maps the other's
# grant, then the domU is destroyed with both mappings live.  dom0 must
# still read its mapping of the dead domU's page, unmap it, unregister its
# own tree (the domU's mapping of it went with the domU), see the domU
# disappear for good, and Xen must log no problem.

xt() { echo "$1" >/sys/module/gntv3_xentest/parameters/cmd; dmesg | grep 'XT ' | tail -n1 | sed 's/^\[[ 0-9.]*\] //; s/^gntv3_xentest: //'; }
fail=0
expect() {  # expect PATTERN OUTPUT WHAT
    if echo "$2" | grep -q "$1"; then echo "ok - $3: $2"; else echo "not ok - $3: $2"; fail=1; fi
}

vm_xen_modules || exit 1
vm_toolstack_start || exit 1
insmod /lib/modules/gntv3_xentest.ko selftest=0 || exit 1
vm_domu_start XT-READY || { vm_domu_destroy; exit 1; }
d=$(vm_domid)
h1=$(tr -d '\r' <"$VM_DOMU_LOG" | sed -n 's/^XT-H1=\([0-9]*\)$/\1/p' | tail -n1)
expect 'status=0 text="granted by this domain to d0"' "$(xt "map $d $h1")" "dom0 maps the domU's v3 grant"
out=$(xt "grant $d")
expect 'status=0' "$out" "dom0 registers a tree for the domU"
h0=$(echo "$out" | sed -n 's/.*handle=\([0-9]*\).*/\1/p')
xenstore-write "/local/domain/$d/data/h0" "$h0"
xenstore-chmod "/local/domain/$d/data/h0" r0 2>/dev/null || true   # the domU may read it
vm_domu_wait XT-MAPPED 60 || fail=1
expect 'status=0 text="granted by this domain to d'"$d"'"' "$(tr -d '\r' <"$VM_DOMU_LOG" | grep 'XT map' | tail -n1)" "the domU maps dom0's v3 grant"
expect 'status=-12' "$(xt unregister)" "unregister while the domU maps it: GNTST_eagain"

vm_domu_destroy
expect 'text="granted by this domain to d0"' "$(xt read)" "dom0 still reads the destroyed domU's page"
expect 'status=0' "$(xt unmap)" "dom0 unmaps it"
expect 'status=0' "$(xt unregister)" "dom0 unregisters its tree: the dead domU's mapping is gone"
i=0
while xl list | awk -v d="$d" '$2 == d { f = 1 } END { exit !f }'; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then echo "not ok - domain $d still exists (zombie)"; xl list; fail=1; break; fi
    sleep 0.2
done
[ $i -le 50 ] && echo "ok - domain $d is gone for good"
echo "xdomain: fail=$fail"
exit $fail
