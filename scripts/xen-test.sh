#!/bin/bash
# scripts/xen-test.sh - build (or take from the cache) the prototype v3
# hypervisor, boot it with a PV dom0 and run xen/test/gntv3_xentest.ko there
# (GNTTABOP_v3_* directly: query, trees, 4 KiB and 2 MiB maps, cooperative
# and forced revoke, downgrade, hostile trees, timings).  Also loads
# build/module/gntv3.ko when present to show the transport its probe picks.
# Then a second VM: dom0 and a domU grant to each other through v3 trees, map
# each other's grant, and the domU is destroyed with both mappings live.
# Serial logs (with Xen's own "(XEN)" lines): build/vm/xen-proto*.log.
# Each run ends with a kselftest-style "# Totals:" line of its TAP lines,
# which scripts/test-all.sh counts (make vm-test runs this script).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${GNTV3_CACHE:-$REPO/.cache}
cd "$REPO"
XEN=$(bash scripts/xen-build.sh | tail -n1)
make -s -C "/usr/src/linux-headers-$(cat "$CACHE/kver")" M="$REPO/xen/test" modules
adds=(--add "xen/test/gntv3_xentest.ko:/lib/modules/gntv3_xentest.ko")
[ -f build/module/gntv3.ko ] && adds+=(--add "build/module/gntv3.ko:/lib/modules/gntv3.ko")
# totals NAME: the "ok"/"not ok" lines of run NAME's console as totals
totals() {
    local log=build/vm/$1.log p f
    p=$(tr -d '\r' <"$log" | grep -cE '^ok ') || true
    f=$(tr -d '\r' <"$log" | grep -cE '^not ok ') || true
    echo "# Totals: pass:$p fail:$f xfail:0 xpass:0 skip:0 error:0"
}
rc=0
GNTV3_XEN=$XEN bash scripts/xenvm.sh run --name xen-proto --dom0 xen/test/dom0.sh "${adds[@]}" || rc=1
totals xen-proto
# Two domains: mutual v3 grants, then the domU dies with both mapped.
GNTV3_XEN=$XEN bash scripts/xenvm.sh run --name xen-proto-xdomain \
    --dom0 xen/test/xdomain-dom0.sh --domu xen/test/xdomain-domu.sh \
    --add "xen/test/gntv3_xentest.ko:/lib/modules/gntv3_xentest.ko" \
    --domu-add "xen/test/gntv3_xentest.ko:/lib/modules/gntv3_xentest.ko" || rc=1
totals xen-proto-xdomain
exit $rc
