# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/lib/xdomain.sh - sourced by the host scripts that boot dom0 with
# gntv3_xdomain and a domU with gntv3-xpeer (vm-test.sh, soak-test.sh).
#
# xdomain_vm DOM0_SCRIPT XENVM-ARGS...: scripts/xenvm.sh run with the run's
# own arguments (name, timeout, guest types, environment), DOM0_SCRIPT as
# dom0's test script, gntv3.ko and gntv3_xdomain in dom0, and gntv3.ko,
# gntv3-xpeer and xdomain-domu.sh in the domU, all from $BUILD (the
# build directory of the kernel series, default build).  DOM0_GNTV3_KO
# and DOMU_GNTV3_KO name another gntv3.ko for dom0 and for the domU (the
# debug tier's, built for its own kernel: scripts/debug-test.sh).
xdomain_vm() {
	local dom0=$1 build=${BUILD:-build}
	local dom0_ko=${DOM0_GNTV3_KO:-${BUILD:-build}/module/gntv3.ko}
	local domu_ko=${DOMU_GNTV3_KO:-${BUILD:-build}/module/gntv3.ko}

	shift
	bash scripts/xenvm.sh run "$@" \
		--dom0 "$dom0" \
		--add "$dom0_ko:/lib/modules/gntv3.ko" \
		--add "$build/selftests/gntv3_xdomain:/bin/gntv3_xdomain" \
		--domu tools/testing/selftests/gntv3/xdomain-domu.sh \
		--domu-add "$domu_ko:/lib/modules/gntv3.ko" \
		--domu-add "$build/selftests/gntv3-xpeer:/bin/gntv3-xpeer"
}
