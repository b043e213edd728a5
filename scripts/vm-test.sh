#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the gntv3 kselftests inside Xen VMs (make vm-test).  Expects the
# module in build/module/ and the selftest binaries in build/selftests/
# (the Makefile builds both first).  Each VM run prints its TAP output;
# the exit status is non-zero if any run failed, hung or oopsed.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=build
rc=0

adds=(--add "$BUILD/module/gntv3.ko:/lib/modules/gntv3.ko")
for t in "$BUILD"/selftests/gntv3_*; do
	[ -x "$t" ] && adds+=(--add "$t:/bin/$(basename "$t")")
done

# dom0 alone: a domain grants to itself and maps its own grants back.
bash scripts/xenvm.sh run --name selftest-dom0 \
	--dom0 tools/testing/selftests/gntv3/dom0.sh "${adds[@]}" || rc=1

exit $rc
