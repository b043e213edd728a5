#!/bin/bash
# scripts/xenvm.sh - boot Xen 4.17 + a PV dom0 (+ optionally a PV domU) under QEMU TCG
# and run a test script in it.
#
# Usage:
#   scripts/xenvm.sh run --name NAME --dom0 INIT_SCRIPT [--domu DOMU_INIT_SCRIPT] [--toolstack]
#                        [--add SRC:DST]... [--domu-add SRC:DST]... [--timeout SEC] [--env K=V]...
#                        [--dom0-type pv|pvh] [--domu-type pv|pvh]
#   scripts/xenvm.sh selfcheck        boot dom0 with a tiny static C program, check it ran
#   scripts/xenvm.sh selfcheck-domu   same plus a domU whose marker dom0 finds in its console
#   scripts/xenvm.sh scan LOG         list the kernel/Xen problem reports found in LOG
#
# run: INIT_SCRIPT (busybox sh) is sourced by the guest's /init with /lib/vm.sh
# (scripts/vm/vm.sh: helpers, see there) already loaded. Its exit status is printed
# as "GNTV3-VM-EXIT rc=N", then dom0 powers off. --add copies host files into the
# dom0 image (DST absolute, e.g. build/module/gntv3.ko:/lib/modules/gntv3.ko), and
# --domu-add into the domU image. --toolstack puts the xl toolstack (xenstored & co)
# into dom0 without a domU, for tests that need xenstore (vm_toolstack_start); --domu
# implies it. --env K=V reaches the guests as environment
# variables (dom0 kernel command line; domU too when started with vm_domu_create).
#
# Exit status: 0 only if the guest printed "GNTV3-VM-EXIT rc=0" and the console holds
# no kernel/Xen problem report (oops, BUG, WARNING, panic, ...); 1 otherwise, 124 on
# timeout, 2 on usage errors. Serial log: build/vm/NAME.log (kept).
#
# Guest types: --dom0-type/--domu-type (default GNTV3_VM_DOM0_TYPE and
# GNTV3_VM_DOMU_TYPE, else pv).  Any PVH guest gives the emulated CPU AMD SVM
# with nested paging (+svm,+npt) so that Xen has HVM with HAP; a PVH dom0
# also needs an IOMMU (Xen panics without one): QEMU -M q35 -device amd-iommu
# and Xen dom0=pvh iommu=1.  Every run prints "guests: dom0=T domu=T".
#
# Environment: GNTV3_CACHE (default <repo>/.cache, filled by scripts/deps.sh;
# <repo>/.cache/linux-6.1 with GNTV3_KERNEL=6.1),
# GNTV3_VM_DIR (default <repo>/build/vm, $GNTV3_BUILD/vm if set), GNTV3_VM_TIMEOUT (300 s; --timeout wins),
# GNTV3_VM_SMP (2), GNTV3_VM_MEM (2048 MiB), GNTV3_VM_DOM0_MEM (1024M), GNTV3_VM_CPU (qemu64),
# GNTV3_VM_POISON (the guest kernels' memory debugging, see POISON below; set it
# empty to boot without, as make bench does),
# GNTV3_VM_KERNEL (a guest kernel to boot in dom0 and the domU instead of the
# Debian one: a directory with vmlinuz, kver and root/lib/modules/, as
# scripts/debug-kernel.sh makes; the gntv3 modules must be built against it),
# GNTV3_VM_DOMU_KERNEL=distro (the domU boots the distribution's kernel all
# the same, with modules built for that one),
# GNTV3_XEN (hypervisor to boot instead of $GNTV3_CACHE/xen, e.g. the prototype
# from scripts/xen-build.sh), GNTV3_VM_PARALLEL=1 (do not serialise QEMU runs; by default runs sharing
# GNTV3_VM_DIR wait for each other), GNTV3_VM_XEN_ARGS (appended to the Xen command line "console=com1 dom0_mem=... bootscrub=0"),
# GNTV3_VM_INT3_RETRIES (1: a run whose first oops is QEMU's stale int3, see
# stale_int3(), or whose dom0 triple-faulted before /init (gntv3 never ran)
# boots once more, saying so on stderr; 0 never).
#
# Output: xenvm: status lines go to stderr; the guest's output (the log from the
# dom0 /init on, domU console lines prefixed "domU| ") goes to stdout.
#
# Why TCG: /dev/kvm on these machines is kvm_pvm, which cannot run Xen. Under TCG a
# dom0-only run takes ~10 s and a run with a domU ~25-30 s (2 host cores, idle).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
VMSRC=$REPO/scripts/vm
# GNTV3_KERNEL=6.1 boots Debian 12's own kernel, from its own cache (scripts/deps.sh)
CACHE=${GNTV3_CACHE:-$REPO/.cache$([ "${GNTV3_KERNEL:-6.12}" = 6.12 ] || echo "/linux-$GNTV3_KERNEL")}
VMDIR=${GNTV3_VM_DIR:-${GNTV3_BUILD:-$REPO/build}/vm}
XENVER=4.17
SMP=${GNTV3_VM_SMP:-2}
MEM=${GNTV3_VM_MEM:-2048}
DOM0_MEM=${GNTV3_VM_DOM0_MEM:-1024M}
CPU=${GNTV3_VM_CPU:-qemu64}           # -cpu max crashes dom0 early
# bootscrub=0: Xen otherwise scrubs all free RAM on idle pCPUs in the background,
# which under TCG eats the host cores the guests need.
XEN_ARGS="bootscrub=0 ${GNTV3_VM_XEN_ARGS:-}"
# Guest kernel arguments (dom0 here, domU in scripts/vm/domu.cfg and vm.sh):
# loglevel=4 keeps the boot quiet (/init raises it to 5, see vm.sh); panic=-1: a
# panic reboots at once, then Xen reboots and QEMU (-no-reboot) exits instead of
# hanging until the timeout; clocksource=xen: the TSC watchdog under TCG otherwise
# marks 'tsc' unstable mid-run and prints a warning block; tsc=unstable: it
# still did, seconds into boot, and that flips the sched_clock_stable static
# key with text_poke_bp() while the other vCPU runs sched_clock_cpu(); under
# TCG that vCPU sometimes executed the int3 after the patch was done
# ("Oops: int3" in sched_clock_cpu(): seen twice on December 4, once in a
# PVH dom0 and once in a PV one).  Marked unstable at boot, the key is never
# set.  Other keys still flip at boot and at run time (sched_clock_running
# in sched_clock_init_late(), December 5, PV dom0; get_random_u16(),
# December 4), so a run whose first oops is such a stale int3 boots once
# more (stale_int3(), GNTV3_VM_INT3_RETRIES).  softlockup_all_cpu_backtrace=1:
# a soft lockup report also shows where every other CPU is, so that a CPU
# waiting for an idle vCPU's late wakeup is told from one waiting for a
# stuck CPU (scripts/lib/idle-stall.awk).
KARGS="console=hvc0 loglevel=4 panic=-1 clocksource=xen tsc=unstable softlockup_all_cpu_backtrace=1"
# Every run poisons freed memory and checks it, with what the Debian kernel
# has built in: SLUB sanity checks, red zones, poisoning and owner tracking
# (FZPU); KFENCE sampling every 5 ms; freed pages zeroed and poisoned.  A
# use-after-free of a slab object then reads 0x6b and faults or trips a
# check, and the scan below fails the run on the report.  Both dom0 and
# the domU boot with it (/etc/vm/kargs, read by vm.sh).
POISON=${GNTV3_VM_POISON-slub_debug=FZPU kfence.sample_interval=5 init_on_free=1 page_poison=1}
KARGS="$KARGS${POISON:+ $POISON}"
XEN_KMODS="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs"

log() { echo "xenvm: $*" >&2; }
die() { echo "xenvm: error: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

# Kernel/Xen problem reports. Kernel lines may carry a printk timestamp and, when
# copied from a domU console by vm_domu_console, a "domU| " prefix. Only real
# report headers are matched, so ordinary messages do not trip it.
# SLUB's own reports start "BUG <cache> (Not tainted): <what>", page
# poisoning's "pagealloc: memory corruption".
KPAT='^(domU\| )?(\[ *[0-9]+\.[0-9]+\] )?(------------\[ cut here \]------------|(watchdog: )?BUG: |BUG [^ ]+ \((Not tainted|Tainted: [^)]*)\): |pagealloc: (memory corruption|single bit error)|Oops: |kernel BUG at |WARNING: (CPU: |possible |suspicious |inconsistent )|Kernel panic|Call Trace:|general protection fault|Unable to handle kernel|UBSAN: |KASAN: |rcu: INFO: |INFO: rcu_|INFO: task .* blocked for more than)'
XPAT='^(domU\| )?\(XEN\) (\*{4,}|Panic on CPU|Xen BUG at|Xen WARN at|FATAL TRAP|Assertion .* failed|----\[ Xen-)'

# The debug kernel's own (scripts/debug-kernel.sh): the lockdep headers the
# WARNING: alternatives above miss, kmemleak's report (vm_kmemleak_check
# prints it) and kmemleak switching itself off.
KPAT="${KPAT%)}|WARNING: ([A-Z-]+-safe -> |[^ ]+/[0-9]+ still has locks held|Nested lock was not taken|bad contention detected|bad unlock balance detected|chain_key collision|held lock freed|lock held when returning to user space)|unreferenced object 0x[0-9a-f]+ \(size [0-9]+\):|kmemleak: ([0-9]+ new suspected memory leaks|Kernel memory leak detector disabled))"

# A run that injects allocation failures on purpose (gntv3_fail_nth prints
# the marker below, with the kernel's fail-nth or the gntv3_fault module)
# expects two reports there, and only there:
#  - "page allocation failure" or "vmalloc error" with a stack trace, from
#    the allocator or vmalloc when a page allocation failed;
#  - a WARNING in remove_proc_entry() called from unregister_irq_proc():
#    Linux's register_irq_proc() (kernel/irq/proc.c, 6.12) ignores a
#    /proc/irq/N entry it failed to create, and unregister_irq_proc() then
#    removes it all the same, which warns.  An event channel bound while
#    an allocation fails (a ring connect) gets there, in stock kernel code.
#    The caller is looked for in the 12 lines after "Call Trace:": KASAN
#    kernels put "? __pfx_..." guesses before it.
# Each excuse covers the lines of that one report; nothing is excused in a
# run without the marker.
FAULT_MARK='gntv3_fail_nth: fault injection armed'

# An idle vCPU's late wakeup (scripts/lib/idle-stall.awk) is the nested
# TCG bench's, not the guest's: its reports are excused in every run, and
# counted (idle_stalls).
scan() {
    local excused=
    if grep -qF "$FAULT_MARK" "$1"; then
        excused=$(awk '/(page allocation failure|vmalloc error): / { a = NR }
            /Call Trace:/ && a && NR - a <= 10 { printf "%d ", NR; a = 0 }
            /------------\[ cut here \]------------/ { c = NR; w = 0; t = 0 }
            /WARNING: CPU: .* at fs\/proc\/generic\.c:[0-9]+ remove_proc_entry\+/ &&
                c && NR - c <= 3 { w = NR }
            /Call Trace:/ && w && NR - w <= 20 { t = NR }
            / unregister_irq_proc\+/ && t && NR - t <= 12 {
                printf "%d %d %d ", c, w, t; c = w = t = 0 }' "$1")
    fi
    excused="$excused $(idle_stalls "$1" | tr '\n' ' ')"
    grep -nE "$KPAT|$XPAT" "$1" | awk -F: -v ex="$excused" '
        BEGIN { n = split(ex, l, " "); for (i = 1; i <= n; i++) skip[l[i]] = 1 }
        !($1 in skip)' || true
}

# idle_stalls LOG: the line numbers of LOG's idle-vCPU timer stall reports
idle_stalls() { awk -f "$REPO/scripts/lib/idle-stall.awk" "$1"; }

# stale_int3 LOG: what scripts/lib/stale-int3.awk finds in LOG: QEMU's
# stale int3 as the first oops, or nothing
stale_int3() { awk -f "$REPO/scripts/lib/stale-int3.awk" "$1"; }

# int3_watch PID LOG NAME: stop QEMU (PID) as soon as its raw console LOG
# shows the looping form of the stale int3 ("soft lockup: ..." from
# stale-int3.awk): such a run never ends by itself, and waiting for its
# timeout would leave CI no time for the boot that follows.
int3_watch() {
    trap - EXIT INT TERM
    while sleep "${GNTV3_VM_INT3_WATCH_S:-15}"; do
        kill -0 "$1" 2>/dev/null || return 0
        case $(stale_int3 "$2" 2>/dev/null) in
        "soft lockup: "*)
            log "$3: STALE-INT3 loop in the console: stopping QEMU now, not at the timeout"
            kill -TERM "$1" 2>/dev/null
            return 0 ;;
        esac
    done
}

# ---------------------------------------------------------------- image building
need_cache() {
    local f
    for f in kver xen vmlinuz root/.complete; do
        [ -s "$CACHE/$f" ] || die "$CACHE/$f missing: run scripts/deps.sh (as root) first"
    done
    KV=$(cat "$CACHE/kver")
    [ "$(cat "$CACHE/root/.complete")" = "$KV" ] || die "$CACHE/root is not for $KV: rerun scripts/deps.sh"
    # The guest kernel and the root its modules come from.
    VMLINUZ=$CACHE/vmlinuz
    KMODS=$CACHE/root/lib/modules/$KV
    if [ -n "${GNTV3_VM_KERNEL:-}" ]; then
        KV=$(cat "$GNTV3_VM_KERNEL/kver") || die "GNTV3_VM_KERNEL=$GNTV3_VM_KERNEL has no kver"
        VMLINUZ=$GNTV3_VM_KERNEL/vmlinuz
        KMODS=$GNTV3_VM_KERNEL/root/lib/modules/$KV
        [ -s "$VMLINUZ" ] && [ -d "$KMODS" ] || die "GNTV3_VM_KERNEL=$GNTV3_VM_KERNEL: no vmlinuz or modules"
    fi
    # The domU's: the same, unless GNTV3_VM_DOMU_KERNEL=distro asks for
    # the distribution's kernel there (a debug-kernel dom0 serving a PV
    # domU: KASAN boots only as PVH)
    DOMU_VMLINUZ=$VMLINUZ
    DOMU_KMODS=$KMODS
    case ${GNTV3_VM_DOMU_KERNEL:-} in
    '') ;;
    distro)
        DOMU_VMLINUZ=$CACHE/vmlinuz
        DOMU_KMODS=$CACHE/root/lib/modules/$(cat "$CACHE/kver")
        ;;
    *) die "GNTV3_VM_DOMU_KERNEL=$GNTV3_VM_DOMU_KERNEL: only 'distro' is known" ;;
    esac
}

# add_file STAGE SRC:DST - copy a host file (or directory) into the image.
add_file() {
    local stage=$1 spec=$2 src dst
    src=${spec%%:*}
    dst=${spec#*:}
    if [ "$src" = "$spec" ] || [ -z "$src" ]; then die "bad SRC:DST '$spec'"; fi
    [ "${dst#/}" != "$dst" ] || die "DST must be absolute in '$spec'"
    [ -e "$src" ] || die "no such file: $src (from '$spec')"
    mkdir -p "$(dirname "$stage$dst")"
    cp -rL --preserve=mode "$src" "$stage$dst"
}

# libs_of FILE...: absolute paths of the shared libraries FILEs need (host ldd,
# with the unpacked Xen libraries first in the search path).
libs_of() {
    local out
    out=$(LD_LIBRARY_PATH=$CACHE/root/usr/lib/x86_64-linux-gnu ldd "$@")
    if grep -q 'not found' <<<"$out"; then
        echo "$out" | grep 'not found' >&2
        die "shared libraries missing on the host for: $*"
    fi
    awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"$out" | sort -u
}

# copy_libs STAGE FILE...: put the libraries of FILE... into the image: the Xen
# ones (from the unpacked debs) under /usr/lib, host ones under /lib, plus ld.so.
# ldd names each library by its soname path, so cp -L gives plain files under
# exactly the names the loader looks for.
copy_libs() {
    local stage=$1 lib
    shift
    mkdir -p "$stage/usr/lib/x86_64-linux-gnu" "$stage/lib/x86_64-linux-gnu" "$stage/lib64"
    for lib in $(libs_of "$@"); do
        case $lib in
        "$CACHE"/root/*) cp -L "$lib" "$stage/usr/lib/x86_64-linux-gnu/" ;;
        *) cp -L "$lib" "$stage/lib/x86_64-linux-gnu/" ;;
        esac
    done
    # the loader path baked into the binaries
    cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
}

# base_image STAGE ROLE MAIN_SCRIPT ENVFILE [KMODS]: busybox, /init,
# /lib/vm.sh, the Xen kmods (of $KMODS unless given).
base_image() {
    local stage=$1 role=$2 main=$3 envfile=$4 kmods=${5:-$KMODS} m f
    mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,boot,etc/vm,etc/xen,lib/modules}
    cp "$CACHE/root/bin/busybox" "$stage/bin/busybox"
    ln -s busybox "$stage/bin/sh"       # for "#!/bin/sh" scripts; the rest at boot
    install -m 755 "$VMSRC/init.sh" "$stage/init"
    install -m 644 "$VMSRC/vm.sh" "$stage/lib/vm.sh"
    install -m 644 "$REPO/scripts/lib/idle-stall.awk" "$stage/lib/idle-stall.awk"
    install -m 755 "$main" "$stage/etc/vm/main.sh"
    echo "$role" >"$stage/etc/vm/role"
    echo "$KARGS" >"$stage/etc/vm/kargs"
    echo "$POISON" >"$stage/etc/vm/poison"
    cp "$envfile" "$stage/etc/vm/env"
    # Distro modules of the booted kernel, decompressed, flat: insmod /lib/modules/NAME.ko
    # (6.12 ships NAME.ko.xz, 6.1 NAME.ko: xz -f copies what is not compressed)
    for m in $XEN_KMODS; do
        f=$(find "$kmods/kernel/drivers/xen" -name "$m.ko*" | head -n1)
        [ -n "$f" ] || die "$m.ko* not found in $kmods"
        xz -dcf "$f" >"$stage/lib/modules/$m.ko"
    done
}

# xenstore_tools STAGE: xenstore-read/write/ls/... (both domains use them to
# exchange grant references and the like).
xenstore_tools() {
    local stage=$1
    mkdir -p "$stage/usr/bin"
    cp -a "$CACHE"/root/usr/bin/xenstore "$CACHE"/root/usr/bin/xenstore-* "$stage/usr/bin/"
    copy_libs "$stage" "$CACHE/root/usr/bin/xenstore"
}

# toolstack STAGE: xl, xenstored, xenconsoled, xen-init-dom0 and their libraries.
toolstack() {
    local stage=$1 b bins=(xl xenstored xenconsoled xenconsole xen-init-dom0) paths=()
    mkdir -p "$stage/usr/lib/xen/bin" "$stage/var/lib/xen" "$stage/var/log/xen/console"
    for b in "${bins[@]}"; do
        cp "$CACHE/root/usr/lib/xen-$XENVER/bin/$b" "$stage/usr/lib/xen/bin/"
        paths+=("$CACHE/root/usr/lib/xen-$XENVER/bin/$b")
    done
    xenstore_tools "$stage"
    copy_libs "$stage" "${paths[@]}"
    # xl dlopen()s libgcc_s for pthread_cancel; without it "xl create" aborts (rc 134).
    cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$stage/lib/x86_64-linux-gnu/"
    : >"$stage/etc/xen/xl.conf"         # silences "Failed to read config file"
    install -m 644 "$VMSRC/domu.cfg" "$stage/etc/xen/domu.cfg"
}

# pack STAGE OUT: newc cpio, root-owned, gzip -1 (cheap to unpack under TCG).
pack() {
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2.tmp"
    mv "$2.tmp" "$2"
}

# ---------------------------------------------------------------- run
QPID=
LOGF=
STAGES=()
cleanup() {
    # Never leave a QEMU behind: timeout(1) forwards TERM to its child.
    if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
        log "stopping QEMU (pid $QPID)"
        kill -TERM "$QPID" 2>/dev/null || true
        wait "$QPID" 2>/dev/null || true
    fi
    # interrupted run: still leave a readable log
    if [ -n "$LOGF" ] && [ -f "$LOGF.raw" ]; then
        tr -d '\r' <"$LOGF.raw" >"$LOGF" && rm -f "$LOGF.raw"
        log "partial log: $LOGF"
    fi
    [ ${#STAGES[@]} = 0 ] || rm -rf "${STAGES[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

no_comma_space() {   # QEMU's multiboot -initrd splits on commas, the dom0 command line on spaces
    case $2 in *[,[:space:]]*) die "$1 must not contain commas or whitespace: '$2'" ;; esac
}

cmd_run() {
    local name='' dom0='' domu='' tools='' timeout=${GNTV3_VM_TIMEOUT:-300}
    local dom0_type=${GNTV3_VM_DOM0_TYPE:-pv} domu_type=${GNTV3_VM_DOMU_TYPE:-pv}
    local adds=() domu_adds=() envs=() kv cpu=$CPU machine=() xen_args=$XEN_ARGS dom0_kargs=$KARGS
    while [ $# -gt 0 ]; do
        case $1 in
        --name) name=${2:?}; shift 2 ;;
        --dom0) dom0=${2:?}; shift 2 ;;
        --domu) domu=${2:?}; shift 2 ;;
        --toolstack) tools=1; shift ;;
        --add) adds+=("${2:?}"); shift 2 ;;
        --domu-add) domu_adds+=("${2:?}"); shift 2 ;;
        --timeout) timeout=${2:?}; shift 2 ;;
        --env) envs+=("${2:?}"); shift 2 ;;
        --dom0-type) dom0_type=${2:?}; shift 2 ;;
        --domu-type) domu_type=${2:?}; shift 2 ;;
        -h | --help) usage ;;
        *) die "unknown argument '$1' (see $0 --help)" ;;
        esac
    done
    if [ -z "$name" ] || [ -z "$dom0" ]; then die "run needs --name and --dom0"; fi
    [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "bad --name '$name' (letters, digits, . _ -)"
    [[ $timeout =~ ^[1-9][0-9]*$ ]] || die "bad --timeout '$timeout'"
    [ -f "$dom0" ] || die "no such dom0 script: $dom0"
    [ -z "$domu" ] || [ -f "$domu" ] || die "no such domU script: $domu"
    [ -z "$domu" ] && [ ${#domu_adds[@]} -gt 0 ] && die "--domu-add needs --domu"
    case $dom0_type/$domu_type in
    pv/pv) ;;
    pv/pvh | pvh/pv | pvh/pvh) cpu="$cpu,+svm,+npt" ;;
    *) die "guest types are pv or pvh: dom0=$dom0_type domu=$domu_type" ;;
    esac
    if [ "$dom0_type" = pvh ]; then
        machine=(-M q35 -device amd-iommu)
        xen_args="dom0=pvh iommu=1 $xen_args"
        # xl create maps the domU's kernel and initrd (~12800 pages) through
        # privcmd, and privcmd_close() unmaps them one hypercall per page
        # with no reschedule; in a PVH dom0 each is a p2m change plus an
        # emulated IOMMU flush, 26 s and more under TCG, which trips the
        # soft lockup watchdog (20 s).  It reports after 120 s instead.
        dom0_kargs="$dom0_kargs watchdog_thresh=60"
    fi
    for kv in "${envs[@]}"; do
        [[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*=.*$ ]] || die "--env wants K=V with K a shell variable name: '$kv'"
        no_comma_space "--env" "$kv"
        case $kv in *[\"\'\\]*) die "--env value must not contain quotes or backslashes: '$kv'" ;; esac
    done
    need_cache
    mkdir -p "$VMDIR"
    VMDIR=$(cd "$VMDIR" && pwd)
    no_comma_space "the cache path" "$CACHE"
    no_comma_space "the VM output path" "$VMDIR"

    local t0=$SECONDS stage envfile initrd=$VMDIR/$name.initrd.gz logf=$VMDIR/$name.log spec
    stage=$(mktemp -d "$VMDIR/.stage-$name.XXXXXX")
    STAGES+=("$stage")
    log "$name: guests: dom0=$dom0_type domu=$domu_type"
    echo "guests: dom0=$dom0_type domu=$domu_type"
    envfile=$stage/env
    printf '%s\n' "GNTV3_VM_NAME=$name" ${envs[@]+"${envs[@]}"} >"$envfile"

    if [ -n "$domu" ]; then
        base_image "$stage/domu" domu "$domu" "$envfile" "$DOMU_KMODS"
        xenstore_tools "$stage/domu"
        for spec in ${domu_adds[@]+"${domu_adds[@]}"}; do add_file "$stage/domu" "$spec"; done
        pack "$stage/domu" "$VMDIR/$name.domu.gz"
    fi
    base_image "$stage/dom0" dom0 "$dom0" "$envfile"
    echo "$domu_type" >"$stage/dom0/etc/vm/domu-type"
    if [ -n "$domu" ] || [ -n "$tools" ]; then
        toolstack "$stage/dom0"
    fi
    if [ -n "$domu" ]; then
        cp "$DOMU_VMLINUZ" "$stage/dom0/boot/vmlinuz"
        cp "$VMDIR/$name.domu.gz" "$stage/dom0/boot/domu.gz"
    fi
    for spec in ${adds[@]+"${adds[@]}"}; do add_file "$stage/dom0" "$spec"; done
    pack "$stage/dom0" "$initrd"
    log "$name: images built in $((SECONDS - t0)) s ($(du -h "$initrd" | cut -f1) dom0 initrd)"

    # Multiboot modules: "kernel cmdline,initrd". K=V words after the kernel path
    # reach dom0's /init as environment variables (names without dots).
    local cmdline
    cmdline="$VMLINUZ $dom0_kargs $(tr '\n' ' ' <"$envfile")"
    cmdline=${cmdline% }
    [ ${#cmdline} -lt 1000 ] || die "dom0 command line too long (${#cmdline} chars; Xen allows 1023)"

    # One QEMU at a time per output directory: each wants both host cores, and
    # parallel runs only slow each other down until their timeouts hit. The
    # timeout starts once we hold the lock.
    if [ "${GNTV3_VM_PARALLEL:-0}" != 1 ]; then
        exec 9>"$VMDIR/.qemu.lock"
        if ! flock -n 9; then
            log "$name: waiting for another QEMU run using $VMDIR (GNTV3_VM_PARALLEL=1 skips this)"
            flock 9
        fi
    fi
    log "$name: booting (timeout ${timeout} s, log $logf)"
    local qrc t1 try=0 retries=${GNTV3_VM_INT3_RETRIES:-1} stale watch
    while :; do
        qrc=0
        t1=$SECONDS
        timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg,thread=multi -cpu "$cpu" \
            ${machine[@]+"${machine[@]}"} \
            -m "$MEM" -smp "$SMP" -nographic -no-reboot -nic none \
            -kernel "${GNTV3_XEN:-$CACHE/xen}" -append "console=com1 dom0_mem=$DOM0_MEM $xen_args" \
            -initrd "$cmdline,$initrd" \
            </dev/null >"$logf.raw" 2>&1 &
        QPID=$!
        LOGF=$logf
        int3_watch "$QPID" "$logf.raw" "$name" &
        watch=$!
        wait "$QPID" || qrc=$?
        kill "$watch" 2>/dev/null || true
        wait "$watch" 2>/dev/null || true
        QPID=
        LOGF=
        tr -d '\r' <"$logf.raw" >"$logf"
        [ -z "$(tail -c1 "$logf")" ] || echo >>"$logf"   # Xen's last line has no newline
        rm -f "$logf.raw"
        [ "$try" -lt "$retries" ] || break
        stale=$(stale_int3 "$logf")
        if [ -n "$stale" ]; then
            try=$((try + 1))
            mv "$logf" "$logf.stale-int3-$try"
            log "$name: STALE-INT3: QEMU's TCG trapped on an int3 the kernel had already patched away ($stale): not the guest's fault, booting again ($try of $retries); that log is $logf.stale-int3-$try"
        elif ! grep -q '^GNTV3-VM-START' "$logf" &&
            grep -q '^(XEN) d0v[0-9]* Triple fault' "$logf"; then
            # dom0 lost to a triple fault before its /init, so before
            # anything of gntv3 ran: on this bench QEMU's nested SVM under
            # TCG (PVH, Documentation/gntv3/testing.rst)
            try=$((try + 1))
            mv "$logf" "$logf.boot-lost-$try"
            log "$name: BOOT-LOST: dom0 triple-faulted before /init: gntv3 never ran, booting again ($try of $retries); that log is $logf.boot-lost-$try"
        else
            break
        fi
    done
    local wall=$((SECONDS - t1))
    rm -rf "$stage"
    verdict "$name" "$logf" "$qrc" "$wall" "$timeout" "dom0=$dom0_type domu=$domu_type"
}

# verdict NAME LOG QEMU_RC WALL TIMEOUT: print the guest's output and decide.
verdict() {
    local name=$1 logf=$2 qrc=$3 wall=$4 timeout=$5 guests=$6 exitline problems why=()
    # Everything from the dom0 /init onwards (the Xen/kernel boot before it is noise).
    if grep -q '^GNTV3-VM-START' "$logf"; then
        sed -n '/^GNTV3-VM-START/,$p' "$logf"
    fi
    # Not anchored at the line start: output without a final newline or a
    # console message can precede the marker on the same line.
    exitline=$(grep -oE 'GNTV3-VM-EXIT rc=[0-9]+$' "$logf" | tail -n1 || true)
    problems=$(scan "$logf")
    if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
        why+=("TIMEOUT: no poweroff within $timeout s (raise with --timeout or GNTV3_VM_TIMEOUT)")
    elif [ "$qrc" != 0 ]; then
        why+=("qemu exited with status $qrc")
    fi
    if [ -z "$exitline" ]; then
        grep -q '^GNTV3-VM-START' "$logf" || why+=("dom0 never reached /init")
        why+=("no GNTV3-VM-EXIT line (guest crashed, hung or rebooted)")
    elif [ "$exitline" != "GNTV3-VM-EXIT rc=0" ]; then
        why+=("test script failed: $exitline")
    fi
    [ -z "$problems" ] || why+=("kernel/Xen problem report on the console")
    local stalls
    stalls=$(idle_stalls "$logf" | wc -l)
    [ "$stalls" = 0 ] ||
        log "$name: IDLE-STALL: $stalls report line(s) of an idle vCPU's late wakeup excused (scripts/lib/idle-stall.awk)"

    if [ ${#why[@]} = 0 ]; then
        log "$name: PASS ($guests, boot+run ${wall} s, log $logf)"
        return 0
    fi
    # Prefixed, so that the TAP lines in it (a "# Totals" line, say) are
    # not taken for the run's own output by whoever reads ours.
    echo "----- last 80 lines of $logf -----"
    tail -n 80 "$logf" | sed 's/^/| /'
    echo "-----"
    if [ -n "$problems" ]; then
        echo "----- problem reports in $logf (line:text) -----"
        echo "$problems" | head -n 40
        echo "-----"
    fi
    local w
    for w in "${why[@]}"; do log "$name: $w"; done
    log "$name: FAIL ($guests, ${wall} s, log $logf)"
    case $qrc in 124 | 137) return 124 ;; *) return 1 ;; esac
}

# run_sub ARGS...: cmd_run in a subshell; its status goes to RUN_RC. This keeps
# set -e working inside cmd_run (bash ignores -e within "f || ..." contexts).
RUN_RC=0
run_sub() {
    set +e
    (
        set -e
        trap cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        cmd_run "$@"
    )
    RUN_RC=$?
    set -e
}

# ---------------------------------------------------------------- selfchecks
# A tiny static program proves that --add works and that host binaries run in dom0.
build_selfcheck_prog() {
    cat >"$1/hello.c" <<'EOF'
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
	char type[32] = "none";
	FILE *f = fopen("/sys/hypervisor/type", "r");

	if (f) {
		if (fscanf(f, "%31s", type) != 1)
			strcpy(type, "unreadable");
		fclose(f);
	}
	printf("selfcheck-prog: hello from %s, hypervisor=%s\n", argc > 1 ? argv[1] : "?", type);
	return strcmp(type, "xen") != 0;
}
EOF
    gcc -static -O2 -Wall -o "$1/hello" "$1/hello.c"
}

cmd_selfcheck() {
    local tmp rc=0
    tmp=$(mktemp -d)
    STAGES+=("$tmp")
    build_selfcheck_prog "$tmp"
    cat >"$tmp/dom0.sh" <<'EOF'
set -e
/bin/selfcheck-prog dom0
echo "env: SELFCHECK_TOKEN=${SELFCHECK_TOKEN:-unset} GNTV3_VM_NAME=${GNTV3_VM_NAME:-unset}"
[ "$SELFCHECK_TOKEN" = tok-42 ]
vm_xen_modules
ls /dev/xen
[ -c /dev/xen/gntdev ] && [ -c /dev/xen/gntalloc ] && [ -c /dev/xen/evtchn ] && [ -c /dev/xen/privcmd ]
grep -q ' /sys/kernel/debug ' /proc/mounts
echo "SELFCHECK-DOM0-OK"
EOF
    run_sub --name selfcheck --dom0 "$tmp/dom0.sh" --add "$tmp/hello:/bin/selfcheck-prog" \
        --env SELFCHECK_TOKEN=tok-42
    rc=$RUN_RC
    if [ "$rc" = 0 ] && ! grep -q '^SELFCHECK-DOM0-OK' "$VMDIR/selfcheck.log"; then
        log "selfcheck: marker SELFCHECK-DOM0-OK missing"; rc=1
    fi
    if [ "$rc" = 0 ]; then log "selfcheck: OK"; else log "selfcheck: FAILED"; fi
    return "$rc"
}

cmd_selfcheck_domu() {
    local tmp rc=0
    tmp=$(mktemp -d)
    STAGES+=("$tmp")
    build_selfcheck_prog "$tmp"
    cat >"$tmp/domu.sh" <<'EOF'
/bin/selfcheck-prog domU
echo "domU env: SELFCHECK_TOKEN=${SELFCHECK_TOKEN:-unset}"
vm_xen_modules
# relative xenstore path = /local/domain/<domid>/data/..., writable by the domU
xenstore-write data/selfcheck "hello-from-domU-$SELFCHECK_TOKEN"
echo "SELFCHECK-DOMU-MARKER"
# stay up until dom0 has read the value and acknowledged it
i=0
until [ "$(xenstore-read data/ack 2>/dev/null)" = ok ]; do
    i=$((i + 1)); [ $i -le 600 ] || { echo "no ack from dom0"; exit 1; }
    sleep 0.1
done
echo "domU: dom0 acknowledged"
EOF
    cat >"$tmp/dom0.sh" <<'EOF'
set -e
/bin/selfcheck-prog dom0
vm_domu_start SELFCHECK-DOMU-MARKER
v=$(xenstore-read "/local/domain/$(vm_domid)/data/selfcheck")
echo "dom0 read from xenstore: $v"
[ "$v" = hello-from-domU-tok-7 ]
xenstore-write "/local/domain/$(vm_domid)/data/ack" ok
vm_domu_wait "GNTV3-DOMU-EXIT rc=0"
vm_domu_destroy
echo "SELFCHECK-DOMU-OK"
EOF
    run_sub --name selfcheck-domu --dom0 "$tmp/dom0.sh" --add "$tmp/hello:/bin/selfcheck-prog" \
        --domu "$tmp/domu.sh" --domu-add "$tmp/hello:/bin/selfcheck-prog" \
        --env SELFCHECK_TOKEN=tok-7
    rc=$RUN_RC
    if [ "$rc" = 0 ]; then
        if ! grep -q '^domU| SELFCHECK-DOMU-MARKER' "$VMDIR/selfcheck-domu.log" ||
            ! grep -q '^SELFCHECK-DOMU-OK' "$VMDIR/selfcheck-domu.log"; then
            log "selfcheck-domu: markers missing"
            rc=1
        fi
    fi
    if [ "$rc" = 0 ]; then log "selfcheck-domu: OK"; else log "selfcheck-domu: FAILED"; fi
    return "$rc"
}

# ---------------------------------------------------------------- main
case ${1:-} in
run) shift; cmd_run "$@" ;;
selfcheck) cmd_selfcheck ;;
selfcheck-domu) cmd_selfcheck_domu ;;
scan) [ -f "${2:-}" ] || die "usage: $0 scan LOG"; scan "$2" ;;
*) usage ;;
esac
