# SPDX-License-Identifier: GPL-2.0-only
#
# stale-int3.awk: on a VM's console log, prints "RIP, byte XX before the
# trap address" if the log's first oops is an int3 trap at a byte that is
# not an int3, and nothing otherwise.
#
# A CPU raises #BP only on an int3 (cc) byte and reports the address after
# it, so the byte before the <marked> one of the oops's Code: line was cc
# when the vCPU fetched it.  Any other byte there now means the kernel had
# already rewritten it (text_poke_bp() puts an int3 in while it patches a
# jump label or static call, and takes it out once every CPU has
# synchronised) and the vCPU ran a stale translation of the old text:
# QEMU 7.2's multi-threaded TCG, not the guest's code.  A genuine int3 (cc
# still there) and any other first oops print nothing.  scripts/xenvm.sh
# boots such a run once more.
#
# The same stale translation can also loop instead of oopsing: the int3
# handler finds no patch in progress and returns to the stale code, which
# traps again, and the CPU patching the text waits for that vCPU for ever
# in smp_call_function_many_cond() under text_poke_bp_batch().  The kernel
# then reports a soft lockup of the patching CPU, whose trace names
# text_poke_bp_batch(), and the backtrace of the other CPU
# (softlockup_all_cpu_backtrace=1) stands at the handler's first
# instruction, xen_asm_exc_int3+0x0.  In a log with no oops, a soft lockup
# followed by both prints "soft lockup: ..." (scripts/xenvm.sh also stops
# such a run early: it would only end at its timeout).

/Oops: / && !seen {
	seen = 1
	if ($0 ~ /Oops: int3:/)
		oops = NR
}
oops && /RIP: / && rip == "" { rip = $NF }
oops && / Code: / && NR - oops <= 10 {
	if (match($0, / [0-9a-f][0-9a-f] <[0-9a-f][0-9a-f]>/)) {
		byte = substr($0, RSTART + 1, 2)
		if (byte != "cc")
			print rip ", byte " byte " before the trap address"
	}
	exit
}

/soft lockup - CPU#[0-9]+ stuck for/ && !lockup { lockup = NR }
lockup && /text_poke_bp_batch\+/ { poke = 1 }
lockup && /RIP: [0-9a-f]+:xen_asm_exc_int3\+0x0\// { trapping++ }

END {
	if (!seen && poke && trapping)
		print "soft lockup: a vCPU back at xen_asm_exc_int3+0x0 in " \
		      trapping " backtrace(s) while text_poke_bp_batch() waits for it"
}
