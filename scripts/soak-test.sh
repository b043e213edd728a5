#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/soak-test.sh - the soak (make soak-test; make vm-test runs it):
# a PV domU destroyed while dom0 maps its grants, SOAK_ROUNDS times
# (default 20), each round checked for a clean dom0, then dom0's and
# Xen's free memory, kmemleak where the kernel has it, and a clean unload
# (tools/testing/selftests/gntv3/soak-dom0.sh).  The other soak cases of
# the "Trust" issue run in the block suites: the backend module reloaded
# during I/O and a revoke storm during I/O (blk-test.sh and
# blk-real-test.sh), each followed by gntv3's counters.
#
# Needs $GNTV3_BUILD/module/gntv3.ko and the selftests (make modules
# selftests).  TAP with kselftest totals from the VM; environment:
# SOAK_ROUNDS, SOAK_MEM_SLACK_KB, SOAK_INJECT_LEAK_KB (the leak check's own
# test: each round keeps that many KiB of dom0's memory, the memory check
# must fail), GNTV3_RUN_SUFFIX (appended to the run's name), and what
# scripts/xenvm.sh reads.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${GNTV3_BUILD:-build}
ROUNDS=${SOAK_ROUNDS:-20}
# shellcheck source=scripts/lib/xdomain.sh
. scripts/lib/xdomain.sh
xdomain_vm tools/testing/selftests/gntv3/soak-dom0.sh \
	--name "soak${GNTV3_RUN_SUFFIX:-}" \
	--timeout $((${GNTV3_VM_TIMEOUT:-300} + ROUNDS * 60)) \
	--env "SOAK_ROUNDS=$ROUNDS" \
	${SOAK_MEM_SLACK_KB:+--env "SOAK_MEM_SLACK_KB=$SOAK_MEM_SLACK_KB"} \
	${SOAK_INJECT_LEAK_KB:+--env "SOAK_INJECT_LEAK_KB=$SOAK_INJECT_LEAK_KB"}
