#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The gntv3-dkms package on this machine (Debian 12, as root), each step
# reported as "dkms: NAME ok|FAIL":
#   deb             make deb builds build/deb/gntv3-dkms_<v>_all.deb
#   install         apt install ./gntv3-dkms_<v>_all.deb succeeds
#   built-<KV>      for the 6.12 and the 6.1 kernel of the VM caches (both
#                   header sets installed by scripts/deps.sh): DKMS built and
#                   installed gntv3.ko, gntv3_blkfront.ko and gntv3_blkback.ko
#                   into /lib/modules/<KV>/updates/dkms, for that kernel
#                   (vermagic)
#   kernel-hook     what apt runs when a kernel's headers are installed
#                   (/etc/kernel/header_postinst.d/dkms <KV>) builds and
#                   installs gntv3 again for the 6.1 kernel after its build
#                   was removed: AUTOINSTALL works
#   vm-dom0         the dom0 kselftest suite passes in a Xen VM booting the
#                   6.1 kernel with the gntv3.ko that DKMS built
#   remove          apt purge removes every build
# A step that cannot run because an earlier one failed is reported FAIL.
#
# Environment: GNTV3_DKMS_KEEP=1 leaves the package installed.  Logs:
# build/dkms/.
set -uo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
OUT=$TOP/build/dkms
rm -rf "$OUT"
mkdir -p "$OUT"
rc=0
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=600)

report() {	# report NAME STATUS [LOG]
	if [ "$2" -eq 0 ]; then
		echo "dkms: $1 ok"
		return
	fi
	rc=1
	if [ -f "${3:-}" ]; then
		echo "dkms: $1 FAIL (see ${3#"$TOP"/})"
		# CI keeps only this script's output: show why, not just where.
		# "dkms-log:", not "dkms:": test-all.sh counts the "dkms:" lines
		tail -n 30 "$3" | sed "s/^/dkms-log: $1| /"
	else
		echo "dkms: $1 FAIL${3:+ ($3)}"
	fi
}

KV612=$(cat .cache/kver 2>/dev/null)
KV61=$(cat .cache/linux-6.1/kver 2>/dev/null)
if [ -z "$KV612" ] || [ -z "$KV61" ]; then
	report prepare 1 "no kernel caches: make deps and make deps GNTV3_KERNEL=6.1"
	exit 1
fi

st=0
bash scripts/deb.sh >"$OUT/deb.log" 2>&1 || st=1
deb=$(ls build/deb/gntv3-dkms_*_all.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || st=1
report deb "$st" "$OUT/deb.log"
[ "$st" = 0 ] || exit 1
ver=$(dpkg-deb -f "$deb" Version)

# A package left by an interrupted run would make this one an upgrade.
"${APT[@]}" purge gntv3-dkms >/dev/null 2>&1
st=0
"${APT[@]}" install "./${deb#"$TOP"/}" >"$OUT/install.log" 2>&1 || st=1
report install "$st" "$OUT/install.log"

# built KV: the three modules are installed for KV and were built for it
built() {
	local kv=$1 m f
	dkms status -m gntv3 -v "$ver" -k "$kv" | grep -q ': installed' || return 1
	for m in gntv3 gntv3_blkfront gntv3_blkback; do
		f=$(ls /lib/modules/"$kv"/updates/dkms/"$m".ko* 2>/dev/null | head -n1)
		[ -n "$f" ] || return 1
		modinfo -F vermagic "$f" | grep -q "^$kv " || return 1
	done
}
for kv in "$KV612" "$KV61"; do
	st=0
	built "$kv" || st=1
	report "built-$kv" "$st" "dkms status: $(dkms status -m gntv3 -k "$kv" | tr '\n' ' ')"
done

st=0
{
	dkms remove -m gntv3 -v "$ver" -k "$KV61" &&
	! built "$KV61" &&
	/etc/kernel/header_postinst.d/dkms "$KV61"
} >"$OUT/kernel-hook.log" 2>&1 || st=1
built "$KV61" || st=1
report kernel-hook "$st" "$OUT/kernel-hook.log"

# The dom0 suite, as scripts/vm-test.sh runs it, with DKMS's gntv3.ko.
# Every way this step fails leaves its reason in vm-dom0.log.
st=0
log=$OUT/vm-dom0.log
ko=$(ls /lib/modules/"$KV61"/updates/dkms/gntv3.ko* 2>/dev/null | head -n1)
if [ -z "$ko" ]; then
	echo "no gntv3.ko under /lib/modules/$KV61/updates/dkms" >"$log"
	st=1
elif ! xz -dcf "$ko" >"$OUT/gntv3.ko" 2>"$log"; then
	st=1
elif ! make -s GNTV3_KERNEL=6.1 selftests >"$log" 2>&1; then
	echo "make GNTV3_KERNEL=6.1 selftests failed" >>"$log"
	st=1
else
	adds=(--add "$OUT/gntv3.ko:/lib/modules/gntv3.ko")
	for t in build/linux-6.1/selftests/gntv3_*; do
		[ -x "$t" ] && adds+=(--add "$t:/bin/$(basename "$t")")
	done
	# make test exports the 6.12 cache and build directories: a run that
	# inherited them booted the 6.12 kernel with this 6.1 module
	GNTV3_KERNEL=6.1 GNTV3_CACHE=$TOP/.cache/linux-6.1 \
		GNTV3_BUILD=$TOP/build/linux-6.1 GNTV3_VM_DIR=$OUT/vm \
		bash scripts/xenvm.sh run \
		--name dkms-dom0 --toolstack \
		--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}" \
		>"$log" 2>&1 || st=1
	grep -E '^# Totals' "$log"
	# every suite ran, none failed, and some test passed
	[ "$(grep -c '^# Totals' "$log")" -ge 5 ] || st=1
	grep -E '^# Totals' "$log" | grep -qv ' fail:0 ' && st=1
	grep -q '^# Totals: pass:[1-9]' "$log" || st=1
fi
report vm-dom0 "$st" "$log"

if [ "${GNTV3_DKMS_KEEP:-0}" != 1 ]; then
	st=0
	"${APT[@]}" purge gntv3-dkms >"$OUT/remove.log" 2>&1 || st=1
	[ -z "$(dkms status -m gntv3)" ] || st=1
	ls /lib/modules/*/updates/dkms/gntv3*.ko* >/dev/null 2>&1 && st=1
	report remove "$st" "$OUT/remove.log"
fi
exit $rc
