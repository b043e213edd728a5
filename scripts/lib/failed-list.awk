# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/lib/failed-list.awk - what failed, from the layer logs of make
# test (build/test/<layer>.log, given in order), one line each, for the
# list scripts/test-all.sh prints above its summary: CI reports may keep
# only the end of the output, and the counts alone do not say what to
# look at.  It prints
#   - every TAP "not ok" line, as <layer>/<VM run>: <line> (<layer>: when
#     no VM run came before it, as in the unit log);
#   - xenvm.sh's verdict of a failed VM run and its reasons (a timeout,
#     no exit line, a problem report on the console, ...);
#   - the first four lines of each problem report xenvm.sh printed;
#   - each failed step of lint, docs, intree and dkms, and the native
#     round's own failures (no native transport, no prototype).
# A passing run's log gives nothing.

FNR == 1 {
	layer = FILENAME
	sub(/.*\//, "", layer)
	sub(/\.log$/, "", layer)
	run = ""
	reports = 0
}

# "xenvm: <run>: ..." names the VM run the lines after it belong to
/^xenvm: [^ ]+: / {
	run = $2
	sub(/:$/, "", run)
}

/^xenvm: [^ ]+: (FAIL|TIMEOUT|qemu exited|dom0 never|no GNTV3-VM-EXIT|test script failed|kernel\/Xen problem)/ {
	print layer ": " $0
	next
}

/^----- problem reports in / {
	reports = 4
	next
}
reports > 0 && /^-----$/ {
	reports = 0
}
reports > 0 {
	print layer "/" run ": | " $0
	reports--
	next
}

/^[# ]*not ok / {
	print layer (run == "" ? "" : "/" run) ": " $0
}

/^(lint|docs|intree|dkms): .* FAIL/ {
	print $0
}

/: native transport not in use$|: the prototype hypervisor did not build$/ {
	print layer ": " $0
}
