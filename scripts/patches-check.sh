# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The "make patches" series against Linux 6.12, checked in the kernel tree
# of scripts/intree-check.sh, which sources this file last (with its lock
# held) for its variables KSRC, STATE, MANIFEST, OUT, JOBS and its
# functions undo, record_file and report.  Steps, as "intree: NAME ok|FAIL":
#   series        scripts/patches.sh writes the series from the pristine tree
#   patch-NN      patch NN applies with "git am", passes checkpatch --strict
#                 (with the exceptions scripts/lint.sh makes for the same
#                 files, for the same reasons: the Xen ABI header's C99
#                 types and (1U << n), userspace's missing BIT() and Xen's
#                 ENOSYS, the XenbusState* and PRI* names), and the tree
#                 builds after it with W=1, no warning: drivers/xen/gntv3/
#                 and drivers/block/gntv3/ once they exist, and the
#                 kselftests once they exist.  Before the last patch wires
#                 the directories into drivers/xen and drivers/block, every
#                 object of theirs is compiled as an external module's
#                 would be (make M=<dir>, options on the command line); the
#                 last patch is built as part of the tree, options in
#                 .config (olddefconfig), as intree-check's build-w1.
# The tree's own overlay (the steps before) is undone first; this run's
# changes are recorded in the same manifest, so the next run undoes them.
# Logs: build/intree/series.log, build/intree/patch-NN.log.

series_check() {
	local pdir=$OUT/patches gitdir=$STATE/series.git p nn st f cp log
	local opts="CONFIG_XEN_GNTV3=m CONFIG_XEN_GNTV3_TEST=y CONFIG_XEN_GNTV3_BLKFRONT=m CONFIG_XEN_GNTV3_BLKBACK=m"
	local base_files="MAINTAINERS drivers/xen/Kconfig drivers/xen/Makefile drivers/block/Kconfig drivers/block/Makefile"

	undo
	st=0
	GNTV3_PATCH_BASE=$KSRC GNTV3_PATCH_DIR=$pdir bash scripts/patches.sh \
		>"$OUT/series.log" 2>&1 || st=1
	report series "$st" "see build/intree/series.log"
	[ "$st" = 0 ] || return

	# what the series will change, for the next run's undo
	for p in "$pdir"/00[0-9][0-9]-*.patch; do
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p"
	done | sort -u | while read -r f; do record_file "$f"; done
	sort -u -o "$MANIFEST" "$MANIFEST"

	rm -rf "$gitdir"
	export GIT_DIR=$gitdir GIT_WORK_TREE=$KSRC
	export GIT_AUTHOR_NAME="gntv3 check" GIT_AUTHOR_EMAIL=check@gntv3.invalid
	export GIT_COMMITTER_NAME="gntv3 check" GIT_COMMITTER_EMAIL=check@gntv3.invalid
	git init -q
	# shellcheck disable=SC2086 # a list
	git -C "$KSRC" add -f $base_files
	git -C "$KSRC" commit -q -m "Linux 6.12 (the files the series changes)"

	cp=$KSRC/scripts/checkpatch.pl
	for p in "$pdir"/00[0-9][0-9]-*.patch; do
		nn=$(basename "$p" | cut -c3-4)
		[ "$nn" != 00 ] || continue
		log=$OUT/patch-$nn.log
		st=0
		git -C "$KSRC" am -q "$p" >"$log" 2>&1 ||
			{ st=1; git -C "$KSRC" am --abort >/dev/null 2>&1; }
		if [ "$st" = 0 ]; then
			local ign=
			grep -q '^+++ b/include/xen/interface/' "$p" && ign=PREFER_KERNEL_TYPES,BIT_MACRO
			grep -q '^+++ b/tools/' "$p" && ign=BIT_MACRO,ENOSYS
			perl "$cp" --strict --no-tree --terse --show-types --quiet \
				${ign:+--ignore "$ign"} "$p" 2>&1 |
				grep -E ': (ERROR|WARNING|CHECK):' |
				grep -vE 'CHECK:CAMELCASE: Avoid CamelCase: <(XenbusState[A-Za-z]*|PRI[diouxX](8|16|32|64|PTR|MAX))>$' \
				>"$log.checkpatch"
			[ -s "$log.checkpatch" ] && { cat "$log.checkpatch" >>"$log"; st=1; }
			series_build "$opts" >>"$log" 2>&1 || st=1
		fi
		report "patch-$nn" "$st" "see build/intree/patch-$nn.log"
		[ "$st" = 0 ] || break
	done
	unset GIT_DIR GIT_WORK_TREE
}

# series_build OPTS: W=1 build of what the series has added so far
series_build() {
	local dirs=() d st=0 objs
	for d in drivers/xen/gntv3 drivers/block/gntv3; do
		[ -f "$KSRC/$d/Makefile" ] && dirs+=("$d")
	done
	: >"$OUT/series-build.log"
	if grep -q 'gntv3/Kconfig' "$KSRC/drivers/xen/Kconfig"; then
		# wired in: the options go through Kconfig as intree-check's do,
		# and the directories build as part of the tree
		cat "$OUT/config.fragment" >>"$KSRC/.config"
		make -s -C "$KSRC" olddefconfig || return 1
		grep -vxFf "$KSRC/.config" "$OUT/config.fragment" && return 1
		make -C "$KSRC" -j"$JOBS" W=1 "${dirs[@]/%//}" \
			>>"$OUT/series-build.log" 2>&1 || st=1
	else
		# not yet part of the tree's build (a directory target descends
		# from the top): every object of each directory, compiled the
		# way an external module's are, with the options on the command
		# line; linking waits for the patch that wires them in
		for d in "${dirs[@]}"; do
			objs=$(cd "$KSRC/$d" && ls -- *.c | sed 's/\.c$/.o/')
			# shellcheck disable=SC2086 # lists
			make -C "$KSRC" M="$KSRC/$d" -j"$JOBS" W=1 $1 $objs \
				>>"$OUT/series-build.log" 2>&1 || st=1
		done
	fi
	cat "$OUT/series-build.log"
	grep -E '(warning|error):' "$OUT/series-build.log" && st=1
	if [ -f "$KSRC/tools/testing/selftests/gntv3/Makefile" ]; then
		# as the kselftest Makefile does: against the installed uapi headers
		{
			make -s -C "$KSRC" headers &&
			make -C "$KSRC/tools/testing/selftests/gntv3" OUTPUT="$STATE/selftests" \
				KHDR_INCLUDES="-isystem $KSRC/usr/include"
		} >"$OUT/series-selftests.log" 2>&1 || st=1
		cat "$OUT/series-selftests.log"
		grep -E '(warning|error):' "$OUT/series-selftests.log" && st=1
	fi
	return $st
}

series_check
