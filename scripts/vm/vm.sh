# scripts/vm/vm.sh - installed as /lib/vm.sh in every guest image (busybox sh).
# shellcheck shell=dash
#
# Sourced by /init (which calls vm_setup once) and again, automatically, before
# the test script that /init runs; so sourcing it only defines functions and
# sets PATH/LD_LIBRARY_PATH. Test scripts need not source it themselves (doing so
# is harmless).
#
# Helpers for test scripts (dom0 and domU):
#   vm_up                    seconds since this kernel booted
#   vm_since T0              seconds elapsed since vm_up printed T0
#   vm_insmod NAME [ARGS]    insmod /lib/modules/NAME.ko ARGS (fails loudly)
#   vm_xen_modules           load xen-evtchn xen-gntdev xen-gntalloc (+ xen-privcmd xenfs
#                            and /proc/xen in dom0); idempotent. Not loaded by default.
#   vm_dmesg_grep PATTERN    kernel log lines matching PATTERN, timestamps stripped
#   vm_gntv3_busy            what of gntv3 is still in use here, a line each; nothing
#                            when every gauge reads 0 and no backend connection is left
# dom0 only (image built with --domu):
#   vm_toolstack_start       xenstored, xen-init-dom0, xenconsoled --log=guest
#   vm_domu_create [OVR...]  xl create /etc/xen/domu.cfg; the run's --env values are
#                            appended to the domU command line; OVR are xl config
#                            overrides such as 'memory=256' 
#   vm_domu_wait MARKER [SEC]  wait until MARKER appears in the domU console (default
#                            240 s: xl create + domU boot take ~15 s on an idle host,
#                            several times that when other VMs share the cores)
#   vm_domu_start MARKER [SEC] toolstack (if needed) + create + wait
#   vm_domu_console          copy new domU console lines to our console ("domU| " prefix)
#   vm_domu_destroy          xl destroy (prints the rest of the domU console first)
#   vm_domid                 numeric id of the domU (xenstore: /local/domain/$(vm_domid)/...)
#   vm_domain_gone ID [SEC]  0 once xl no longer lists domain ID (a dying one counts as
#                            listed), 1 after SEC seconds (default 10)
# A domU that must stay up while dom0 works (e.g. keeps grants mapped) should
# wait for dom0 before its script returns, e.g. poll "xenstore-read data/KEY"
# for a value that dom0 writes to /local/domain/$(vm_domid)/data/KEY.

VM_DOMU_NAME=domu
VM_DOMU_LOG=/var/log/xen/console/guest-$VM_DOMU_NAME.log
export PATH=/usr/lib/xen/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu

vm_log() { echo "vm: $*"; }

# vm_setup: mounts and busybox applets; called once by /init.
vm_setup() {
    /bin/busybox --install -s /bin
    mkdir -p /proc /sys /dev /tmp /run /var/lib/xen /var/log/xen/console
    mount -t proc proc /proc
    mount -t sysfs sys /sys
    mount -t devtmpfs dev /dev
    mkdir -p /dev/pts /dev/shm
    mount -t devpts devpts /dev/pts
    mount -t tmpfs tmpfs /dev/shm
    mount -t tmpfs tmpfs /run
    mount -t tmpfs tmpfs /tmp
    mount -t debugfs debugfs /sys/kernel/debug
    [ -e /var/run ] || ln -s /run /var/run
    mkdir -p /run/xen /run/xenstored
    # Show warnings (WARN(), pr_warn) on the console as well as errors: the host
    # scans the console for kernel problem reports. Boot stays quiet (loglevel=4).
    echo 5 >/proc/sys/kernel/printk
    # kmemleak (debug kernel only): what boot left unreferenced is not ours
    [ ! -w "$VM_KMEMLEAK" ] || { echo scan >"$VM_KMEMLEAK" && echo clear >"$VM_KMEMLEAK"; }
}

# vm_kmemleak_check: with kmemleak (the debug kernel), look for leaks now:
# print every unreferenced object on the console (the host's scan fails
# the run on it) and return 1 if there is one.  kmemleak ignores objects
# younger than 5 s, hence the wait; two scans, as its documentation advises
# against transient false positives.  A no-op on kernels without kmemleak.
VM_KMEMLEAK=/sys/kernel/debug/kmemleak
vm_kmemleak_check() {
    local t0 n
    [ -w "$VM_KMEMLEAK" ] || return 0
    t0=$(vm_up)
    sleep 6
    echo scan >"$VM_KMEMLEAK" && echo scan >"$VM_KMEMLEAK" || { vm_log "kmemleak: scan failed"; return 1; }
    n=$(grep -c '^unreferenced object' "$VM_KMEMLEAK")
    vm_log "kmemleak: $n unreferenced objects (scan took $(vm_since "$t0")s)"
    [ "$n" = 0 ] && return 0
    cat "$VM_KMEMLEAK"
    return 1
}

vm_up() { cut -d' ' -f1 /proc/uptime; }

# vm_check_poison: the memory debugging xenvm.sh asked for (/etc/vm/poison)
# is in force in this kernel; prints it, fails if it is not.
vm_check_poison() {
    local want slab=/sys/kernel/slab/kmalloc-64 kf
    want=$(cat /etc/vm/poison 2>/dev/null)
    [ -n "$want" ] || { vm_log "poison: off"; return 0; }
    kf=$(cat /sys/module/kfence/parameters/sample_interval 2>/dev/null)ms
    # Debian's 6.1 kernel is built without KFENCE: there, the rest must hold
    [ -d /sys/module/kfence ] || kf="not-built-in"
    vm_log "poison: $want (slab poison=$(cat $slab/poison) red_zone=$(cat $slab/red_zone) store_user=$(cat $slab/store_user) kfence=$kf)"
    [ "$(cat $slab/poison)" = 1 ] && [ "$(cat $slab/red_zone)" = 1 ] &&
        [ "$(cat $slab/store_user)" = 1 ] && [ "$kf" != 0ms ] && [ "$kf" != ms ] ||
        { vm_log "poison: asked for but not in force"; return 1; }
}
vm_since() { echo "$(vm_up) $1" | awk '{ printf "%.2f", $1 - $2 }'; }

# vm_revoke_storm KNOB ROUNDS NR: write NR to a patched driver's gntv3
# revoke module parameter KNOB, ROUNDS times (each write takes NR idle
# buffers per ring or queue back through the revoke ring); prints how many
# rounds ran and how long they took, fails unless all of them did.
vm_revoke_storm() {
    local t0 r=0
    t0=$(vm_up)
    while [ $r -lt "$2" ]; do
        echo "$3" >"$1" || break
        r=$((r + 1))
    done
    echo "domU: storm: $r of $2 rounds of $3 revokes in $(vm_since "$t0") s"
    [ "$r" = "$2" ]
}

vm_insmod() {
    local m="$1"
    shift
    insmod "/lib/modules/$m.ko" "$@" || { vm_log "insmod $m failed"; return 1; }
}

vm_xen_modules() {
    local m mods="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs"
    # privcmd/xenfs are toolstack interfaces; in a domU privcmd only logs
    # "No target domain found", so a domU gets the grant/event devices only.
    [ "$(cat /etc/vm/role)" = dom0 ] || mods="xen-evtchn xen-gntdev xen-gntalloc"
    for m in $mods; do
        # /sys/module uses underscores
        [ -d "/sys/module/$(echo "$m" | tr - _)" ] || vm_insmod "$m" || return 1
    done
    [ "$(cat /etc/vm/role)" = dom0 ] || return 0
    mkdir -p /proc/xen
    grep -q ' /proc/xen ' /proc/mounts || mount -t xenfs xenfs /proc/xen
}

vm_dmesg_grep() { dmesg | grep -E "$1" | sed 's/^\[[ 0-9.]*\] //'; }

# ---------------------------------------------------------------- dom0 toolstack
vm_toolstack_start() {
    local i=0 t0
    t0=$(vm_up)
    [ -x /usr/lib/xen/bin/xl ] || { vm_log "no xl toolstack in this image (run without --domu?)"; return 1; }
    vm_xen_modules || return 1
    xenstored --pid-file=/run/xenstored.pid || { vm_log "xenstored failed"; return 1; }
    while [ ! -S /run/xenstored/socket ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -S /run/xenstored/socket ] || { vm_log "xenstored socket missing"; return 1; }
    xen-init-dom0 >/dev/null || { vm_log "xen-init-dom0 failed"; return 1; }
    # --log=guest: each domU's console goes to $VM_DOMU_LOG; simpler than xl console.
    xenconsoled --log=guest --log-dir=/var/log/xen/console || { vm_log "xenconsoled failed"; return 1; }
    VM_TOOLSTACK=1
    vm_log "toolstack up in $(vm_since "$t0")s"
}

# The run's --env K=V values, one per line (written by xenvm.sh).
vm_env_args() { [ -f /etc/vm/env ] && tr '\n' ' ' </etc/vm/env; }

# shellcheck disable=SC2120 # optional xl overrides
vm_domu_create() {
    local t0 extra
    t0=$(vm_up)
    [ -n "${VM_TOOLSTACK:-}" ] || vm_toolstack_start || return 1
    # VM_DOMU_KARGS: more domU kernel arguments; VM_DOMU_XL: more xl
    # overrides (KEY=VALUE words without blanks), both set by the test script
    extra="$(cat /etc/vm/kargs) $(vm_env_args)${VM_DOMU_KARGS:+ $VM_DOMU_KARGS}"
    VM_DOMU_SHOWN=0
    # PV or PVH, as the run asked (xenvm.sh --domu-type); the same kernel boots as both
    # shellcheck disable=SC2086 # VM_DOMU_XL is a list of words
    xl create /etc/xen/domu.cfg "type=\"$(cat /etc/vm/domu-type 2>/dev/null || echo pv)\"" \
        "extra=\"$extra\"" ${VM_DOMU_XL:-} "$@" || { vm_log "xl create failed"; return 1; }
    VM_DOMID=$(xl domid "$VM_DOMU_NAME")
    vm_log "xl create took $(vm_since "$t0")s, domid $VM_DOMID"
}

# The domU's id, remembered at creation (still valid for messages after it is gone).
vm_domid() { echo "${VM_DOMID:-$(xl domid "$VM_DOMU_NAME" 2>/dev/null)}"; }

# vm_domu_wait MARKER [SEC]: 0 when MARKER shows up in the domU console; 1 on
# timeout or when the domU is gone (its console is printed in both cases).
vm_domu_wait() {
    local marker="$1" max=$((${2:-240} * 2)) i=0 t0
    t0=$(vm_up)
    while ! grep -qF -- "$marker" "$VM_DOMU_LOG" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt $max ]; then
            vm_log "timeout waiting for '$marker' from the domU"
            vm_domu_console
            return 1
        fi
        if [ $((i % 10)) = 0 ] && ! xl domid "$VM_DOMU_NAME" >/dev/null 2>&1; then
            # gone: give xenconsoled a moment to flush, then check once more
            sleep 1
            grep -qF -- "$marker" "$VM_DOMU_LOG" 2>/dev/null && break
            vm_log "domU exited before printing '$marker'"
            vm_domu_console
            return 1
        fi
        sleep 0.5
    done
    vm_log "domU printed '$marker' after $(vm_since "$t0")s"
    vm_domu_console
}

vm_domu_start() {
    # shellcheck disable=SC2119 # no xl overrides here
    vm_domu_create || return 1
    vm_domu_wait "$@"
}

# Print the domU console lines not printed yet, prefixed with "domU| ".
vm_domu_console() {
    local n
    [ -f "$VM_DOMU_LOG" ] || { vm_log "no domU console log ($VM_DOMU_LOG)"; return 0; }
    n=$(tr -d '\r' <"$VM_DOMU_LOG" | wc -l)
    tr -d '\r' <"$VM_DOMU_LOG" | tail -n +$((${VM_DOMU_SHOWN:-0} + 1)) | head -n $((n - ${VM_DOMU_SHOWN:-0})) | sed 's/^/domU| /'
    VM_DOMU_SHOWN=$n
}

# vm_gntv3_busy: every gauge of gntv3's debugfs stats and back that does
# not read 0 (the list of GNTV3_GAUGES in
# tools/testing/selftests/gntv3/gntv3_back_utils.h) and every backend
# connection left in debugfs conn, a line each.
vm_gntv3_busy() {
    local d=/sys/kernel/debug/gntv3 fk v

    for fk in stats:trees stats:grants stats:quarantined stats:leaked \
        back:attachments back:mappings back:pages_mapped back:unmap_pending \
        back:stuck back:leaked; do
        v=$(sed -nE "s/^${fk#*:}: (-?[0-9]+)\$/\\1/p" "$d/${fk%%:*}")
        [ "$v" = 0 ] || echo "$d/${fk%%:*}: ${fk#*:} is '${v:-missing}', want 0"
    done
    sed -n 's/^back: /backend connection left: /p' "$d/conn"
}

vm_domain_gone() {
    local i=0 max=$((${2:-10} * 5))

    while xl list | awk -v d="$1" '$2 == d { f = 1 } END { exit !f }'; do
        i=$((i + 1))
        [ $i -le $max ] || return 1
        sleep 0.2
    done
}

vm_domu_destroy() {
    local t0
    t0=$(vm_up)
    if xl domid "$VM_DOMU_NAME" >/dev/null 2>&1; then
        xl destroy "$VM_DOMU_NAME" || { vm_log "xl destroy failed"; return 1; }
        vm_log "xl destroy took $(vm_since "$t0")s"
    fi
    sleep 0.2   # let xenconsoled write the last lines
    vm_domu_console
}
