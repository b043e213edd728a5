# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/lib/native.sh - sourced by the host scripts that run suites on
# the project's prototype v3 hypervisor (vm-test.sh's native round,
# debug-test.sh's debug-dom0-native).
#
# prototype_xen WHO: sets proto_xen to the path of the prototype
# hypervisor, built by scripts/xen-build.sh or taken from its cache outside
# the clone.  If it did not build, prints "WHO: the prototype hypervisor
# did not build" and a failing kselftest "# Totals:" line, and returns 1.
#
# native_check RUN LOG: whether gntv3 used its native transport in the VM
# run RUN whose log is LOG: prints "RUN: transport: native", or "RUN:
# native transport not in use" and a failing "# Totals:" line and returns
# 1.  A suite that passed on a v1 fallback must not pass for native.

prototype_xen() {
	local who=$1

	if proto_xen=$(bash scripts/xen-build.sh | tail -n1) && [ -f "$proto_xen" ]; then
		return 0
	fi
	echo "$who: the prototype hypervisor did not build"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	return 1
}

native_check() {
	local run=$1 log=$2

	if grep -qsE 'transport: native|gntv3: using the native transport' "$log"; then
		echo "$run: transport: native"
		return 0
	fi
	echo "$run: native transport not in use"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	return 1
}
