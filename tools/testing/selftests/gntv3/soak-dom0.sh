# SPDX-License-Identifier: GPL-2.0-only
# soak-dom0.sh - the domU destroyed while dom0 maps its grants, again and
# again, then a leak check (scripts/soak-test.sh).
#
# Sourced (busybox sh) by dom0's /init with /lib/vm.sh loaded; needs
# /bin/gntv3_xdomain in dom0 and /bin/gntv3-xpeer in the domU, as for
# xdomain-dom0.sh.  Each round boots a fresh domU whose peer grants to
# dom0, runs gntv3_xdomain's domu_destroyed_while_mapped (dom0 maps a
# 4 KiB and a 2 MiB grant and a page through a connected tree, the domU is
# destroyed under them, dom0 reads and writes what it maps, unmaps,
# detaches), and checks that the dead domain is gone from Xen and that
# gntv3 in dom0 is back to zero.  After SOAK_ROUNDS rounds (default 20):
# dom0's free memory and Xen's are back to what they were after the first
# round (the first one settles the toolstack's caches) within
# SOAK_MEM_SLACK_KB (default 8192), kmemleak (on kernels that have it)
# finds nothing, and gntv3 unloads without reporting a leak.
#
# SOAK_INJECT_LEAK_KB=N makes the leak check's own test: each round keeps
# N KiB more of dom0's memory (a file in its tmpfs), so that
# soak_dom0_free_memory must fail once (ROUNDS - 1) * N passes the slack.
#
# TAP, one test per round and one per final check, ending with the
# kselftest "# Totals:" line scripts/test-all.sh counts.  gntv3_xdomain's
# own TAP lines are prefixed "xdomain: " so that they are not counted
# twice.

GNTV3_KO=${GNTV3_KO:-/lib/modules/gntv3.ko}
ROUNDS=${SOAK_ROUNDS:-20}
SLACK_KB=${SOAK_MEM_SLACK_KB:-8192}
INJECT_KB=${SOAK_INJECT_LEAK_KB:-0}
n=0
pass=0
fail=0

tap() {	# tap OK NAME [COMMENT...]
    local ok="$1" name="$2" c

    shift 2
    c="$*"
    n=$((n + 1))
    if [ "$ok" = 1 ]; then
        pass=$((pass + 1))
        echo "ok $n $name${c:+ # $c}"
    else
        fail=$((fail + 1))
        echo "not ok $n $name${c:+ # $c}"
    fi
}

# dom0_free_kb: free memory once the page cache is dropped: MemFree plus
# the pages parked on the per-CPU free lists (the "count:" lines of
# /proc/zoneinfo's pagesets), which MemFree leaves out; on 6.12 they held
# 1.9 to 13.8 MiB from round to round of one run while MemFree plus them
# moved by 1 MiB in all.  The largest of three reads half a second apart,
# as RCU-deferred frees land a moment later.  A check on MemFree alone
# failed CI once (8488 kB less after 20 rounds).
dom0_free_kb() {
    local i=0 kb max=0

    sync
    echo 3 >/proc/sys/vm/drop_caches
    while [ $i -lt 3 ]; do
        kb=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
        kb=$((kb + $(dom0_pcp_kb)))
        [ "$kb" -le "$max" ] || max=$kb
        i=$((i + 1))
        sleep 0.5
    done
    echo "$max"
}

dom0_pcp_kb() { awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo; }

# dom0_mem_line: what the per-round line shows of dom0's memory, to tell
# a leak (Slab, VmallocUsed, busy vmap areas, a fall of MemTotal: pages
# kept from the balloon) from the toolstack's own growth (AnonPages,
# Shmem: files in dom0's tmpfs)
dom0_mem_line() {
    echo "free+pcp $(dom0_free_kb) kB (pcp $(dom0_pcp_kb) kB)," \
        "$(awk '/^(MemTotal|AnonPages|Shmem|Slab|SUnreclaim|VmallocUsed|PageTables):/ {
            printf "%s %s kB, ", $1, $2 }' /proc/meminfo)" \
        "vmap areas $(grep -vc unpurged /proc/vmallocinfo) busy" \
        "$(grep -c unpurged /proc/vmallocinfo) freed lazily,"
}

# slab_kb: "cache kB" of every slab cache (active objects times object
# size), for the per-cache growth printed after the last round
slab_kb() { awk 'NR > 2 { print $1, int($2 * $4 / 1024) }' /proc/slabinfo; }

# slab_growth OLD NEW: the five caches that grew most between two slab_kb
# snapshots, a line each; tells a slow leak's owner from the noise
slab_growth() {
    awk 'NR == FNR { old[$1] = $2; next } $2 > old[$1] { print $2 - old[$1], $1 }' "$1" "$2" |
        sort -rn | head -n 5 | while read -r kb name; do
            echo "dom0: slab $name +$kb kB since round 1"
        done
}

xen_free_kb() { xl info | awk '/^free_memory/ { print $3 * 1024 }'; }

# one_round: a domU, the test, the checks; its output goes to
# /tmp/soak.round and why it failed, if it did, to /tmp/soak.why
one_round() {
    : >/tmp/soak.why
    one_round_checks >/tmp/soak.round 2>&1
}

one_round_checks() {
    local domid bad rc

    # a fresh console log: the marker of the last round's domU is in it
    : >"$VM_DOMU_LOG"
    vm_domu_start GNTV3-XPEER-READY ||
        { why "domU did not start"; vm_domu_destroy; return 1; }
    domid=$(vm_domid)
    GNTV3_XDOMAIN_DOMID=$domid /bin/gntv3_xdomain -t domu_destroyed_while_mapped \
        >/tmp/soak.out 2>&1
    rc=$?
    # its TAP is not this script's: prefixed, so that nobody counts it
    sed 's/^/xdomain: /' /tmp/soak.out
    # the test destroys the domU; if it stopped early, do it here
    vm_domu_destroy
    [ "$rc" = 0 ] || { why "gntv3_xdomain exit $rc"; return 1; }
    vm_domain_gone "$domid" 30 || { why "d$domid still listed 30 s after destroy"; return 1; }
    bad=$(vm_gntv3_busy)
    [ -z "$bad" ] || { echo "$bad"; why "$(echo "$bad" | head -n 1)"; return 1; }
}

why() { echo "$*" >/tmp/soak.why; }

vm_xen_modules || exit 1
insmod "$GNTV3_KO" || { echo "dom0: insmod $GNTV3_KO failed"; exit 1; }
grep . /sys/kernel/debug/gntv3/transport
vm_toolstack_start || exit 1

echo "TAP version 13"
echo "1..$((ROUNDS + 4))"
t0=$(vm_up)
r=1
while [ "$r" -le "$ROUNDS" ]; do
    tr=$(vm_up)
    one_round
    why=$(cat /tmp/soak.why)
    # all of it, the domU's console included: the host scans the console
    # for kernel problem reports
    cat /tmp/soak.round
    if [ -z "$why" ]; then
        tap 1 "soak_domu_destroyed_while_mapped_$r" "$(vm_since "$tr") s"
    else
        tap 0 "soak_domu_destroyed_while_mapped_$r" "$why"
    fi
    [ "$INJECT_KB" = 0 ] ||
        dd if=/dev/zero of="/tmp/soak-leak.$r" bs=1024 count="$INJECT_KB" 2>/dev/null
    if [ "$r" = 1 ]; then
        dom0_kb0=$(dom0_free_kb)
        xen_kb0=$(xen_free_kb)
        slab_kb >/tmp/soak.slab0
    fi
    echo "dom0: after round $r: $(dom0_mem_line) Xen free $(xen_free_kb) kB"
    r=$((r + 1))
done
echo "dom0: $ROUNDS rounds in $(vm_since "$t0") s"

dom0_kb=$(dom0_free_kb)
xen_kb=$(xen_free_kb)
slab_kb >/tmp/soak.slab
slab_growth /tmp/soak.slab0 /tmp/soak.slab
# within_slack KB_LESS: 1 if KB_LESS is within the slack, else 0
within_slack() { if [ "$1" -le "$SLACK_KB" ]; then echo 1; else echo 0; fi; }

d=$((dom0_kb0 - dom0_kb))
tap "$(within_slack "$d")" soak_dom0_free_memory \
    "free+pcp ${dom0_kb0} kB after round 1, ${dom0_kb} kB after round $ROUNDS:" \
    "$d kB less, slack $SLACK_KB"
d=$((xen_kb0 - xen_kb))
tap "$(within_slack "$d")" soak_xen_free_memory \
    "Xen free ${xen_kb0} kB after round 1, ${xen_kb} kB after round $ROUNDS:" \
    "$d kB less, slack $SLACK_KB"
if [ -w "$VM_KMEMLEAK" ]; then
    if vm_kmemleak_check; then
        tap 1 soak_kmemleak
    else
        tap 0 soak_kmemleak "unreferenced objects"
    fi
else
    tap 1 soak_kmemleak "SKIP no kmemleak in this kernel"
    pass=$((pass - 1))
    skip=1
fi
if rmmod gntv3 && [ -z "$(vm_dmesg_grep 'gntv3: .*(leak|still mapped)')" ]; then
    tap 1 soak_unload
else
    vm_dmesg_grep 'gntv3: .*(leak|still mapped)'
    tap 0 soak_unload "rmmod failed or gntv3 reported a leak"
fi
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:${skip:-0} error:0"
exit "$fail"
