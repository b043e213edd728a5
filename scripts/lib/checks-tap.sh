# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/lib/checks-tap.sh - sourced by the host scripts of the VM suites
# whose guests report named checks on the console (blk-test.sh,
# blk-real-test.sh):
#
#   <TAG>-PASS: <check>
#   <TAG>-FAIL: <check>: <why>
#
# checks_tap TAG PREFIX CONSOLE VM_RC VM_LOG CHECKS... prints them as TAP,
# one test per check (named PREFIX<check>; "not reached" when the console
# has neither line) and one for the VM run itself (VM_RC 0: a clean exit
# with no kernel problem report, else see VM_LOG), ending with the
# kselftest "# Totals:" line that scripts/test-all.sh counts.  Returns 1
# if any test failed.

checks_tap() {
	local tag=$1 prefix=$2 console=$3 vm_rc=$4 vm_log=$5 c why
	local n=0 pass=0 fail=0

	shift 5
	# tap OK NAME [COMMENT]
	tap() {
		n=$((n + 1))
		if [ "$1" = 1 ]; then
			pass=$((pass + 1))
			echo "ok $n $prefix$2${3:+ # $3}"
		else
			fail=$((fail + 1))
			echo "not ok $n $prefix$2${3:+ # $3}"
		fi
	}
	echo "1..$(($# + 1))"
	for c in "$@"; do
		why=$(sed -n "s/^$tag-FAIL: $c: //p" "$console" | head -n 1)
		if grep -qx "$tag-PASS: $c" "$console"; then
			tap 1 "$c"
		elif [ -n "$why" ]; then
			tap 0 "$c" "$why"
		else
			tap 0 "$c" "not reached"
		fi
	done
	if [ "$vm_rc" = 0 ]; then
		tap 1 vm_run "clean exit, no kernel problem report"
	else
		tap 0 vm_run "xenvm.sh exit status $vm_rc (see $vm_log)"
	fi
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
	[ "$fail" = 0 ]
}
