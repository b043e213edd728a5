#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make patches: write gntv3 as a "git format-patch" series against Linux
# 6.12 into build/patches/ (0000-cover-letter.patch, 0001-...).
#
# The series, in the order a reviewer reads it (SERIES below):
#   the ABI header; the core (tree format, ids, transports, module); the
#   frontend; the backend and safe unmap; the revoke ring and the
#   connection; /dev/gntv3 and debugfs; the block pair; the documentation;
#   the kselftests; and last the Kconfig/Makefile hunks of scripts/intree/,
#   which wire drivers/xen/gntv3/ and drivers/block/gntv3/ into the build.
# Each patch adds its own objects to its directory's Makefile, and its
# files to the MAINTAINERS entry that the first patch creates.  compat/
# (the out-of-tree build for older kernels) is not part of it.
#
# It is made in a scratch git repository that holds only the kernel files
# the series changes (MAINTAINERS and the four Kconfig/Makefile files),
# pristine from linux-source-6.12: git format-patch needs no more, and the
# patches apply with "git am" to any 6.12 tree.  scripts/intree-check.sh
# (make intree-check, make test) applies them to its 6.12 tree with git am
# and builds after every patch; scripts/patches-check.sh says how.
#
# Environment: GNTV3_PATCH_BASE (a 6.12 tree to take the pristine files
# from; default: extract them from /usr/src/linux-source-6.12.tar.xz),
# GNTV3_PATCH_DIR (default build/patches).
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
OUT=${GNTV3_PATCH_DIR:-$TOP/build/patches}
TAR=/usr/src/linux-source-6.12.tar.xz
AUTHOR="gntv3 dev <dev@gntv3.invalid>"
# The kernel files the series changes (the rest it adds).
BASE_FILES="MAINTAINERS drivers/xen/Kconfig drivers/xen/Makefile
drivers/block/Kconfig drivers/block/Makefile"

# SERIES: "NN|subject|files (globs, relative to the top)"; the body of
# each commit message is in body() below.
X=drivers/xen/gntv3
SERIES="01|xen/interface: add the grant table v3 ABI|include/xen/interface/grant_table_v3.h
02|xen/gntv3: add the grant tree core and the v1 and native transports|$X/Kconfig $X/Makefile include/xen/gntv3.h include/uapi/xen/gntv3.h $X/internal.h $X/backend.h $X/tree.[ch] $X/idalloc.[ch] $X/retry.[ch] $X/transport.h $X/transport_v1.c $X/transport_native.c $X/hypercall.[ch] $X/trace.[ch]
03|xen/gntv3: add the frontend: grant trees and grants|$X/frontend.c $X/grant.c $X/revoke.c
04|xen/gntv3: add the backend and safe unmap|$X/attach.c $X/map.c $X/pool.c $X/unmap.c $X/transport_v1_tree.c $X/transport_v1_map.c $X/copy.c $X/transport_v1_copy.c $X/cache.c $X/memstats.[ch]
05|xen/gntv3: add the revoke ring and the frontend/backend connection|$X/ring.[ch] $X/conn.[ch] $X/conn_front.[ch] $X/conn_front_xs.c $X/conn_back.c $X/xenbus.c
06|xen/gntv3: add /dev/gntv3, debugfs and the module's init|$X/dev.[ch] $X/dev_back.[ch] $X/dev_test.c $X/gntv3_test.h $X/debugfs.c $X/main.c $X/dev_copy.c $X/dev_conn.c
07|block: add the gntv3 virtual disk pair|drivers/block/gntv3/*
08|Documentation: gntv3: design, ABI, API, revoke ring, block pair, testing|Documentation/gntv3/*
09|selftests/gntv3: add kselftests run in Xen domains|tools/testing/selftests/gntv3/* tools/testing/selftests/gntv3/.gitignore tools/testing/selftests/gntv3/blk/*
10|xen, block: build gntv3 and the gntv3 virtual disk pair|scripts/intree/*.patch"

body() {
	case $1 in
	01) cat <<'EOF'
Grant table v3 replaces the flat v1 grant array by one grant tree per
backend domain: multi-level tables of 64-bit entries, like an IOMMU page
table, with full-width frame numbers, 2 MiB and 1 GiB superpage leaves
and revocation.  This header is the public ABI: the tree entry format,
the tree descriptor, the GNTTABOP_v3_* sub-ops, the revoke ring and the
xenstore keys.  No released Xen implements the sub-ops yet; a guest
probes for them and otherwise carries its trees over v1 grant entries.
EOF
		;;
	02) cat <<'EOF'
The core of gntv3: the tree format (entries, levels, walks), the grant
id allocator, the retry schedule, the internal headers of the frontend
and the backend, the userspace ABI header (the transports report their
kind through its constants), and the transport behind an ops table:
v1 (trees carried over v1 grant entries, what stock Xen offers) or
native (the GNTTABOP_v3_* sub-ops, probed at load, -ENOSYS on stock
Xen).  Every grant table and event channel hypercall of the module goes
through one error-injectable wrapper (hypercall.c), so that fault
injection can fail any of them.  The pieces are pure enough to be built
into the userspace unit tests of the project.  The Kconfig entry and the
Makefile arrive here;
the build is wired into drivers/xen by the last patch of the series.
EOF
		;;
	03) cat <<'EOF'
The frontend half of the in-kernel API (include/xen/gntv3.h): a grant
tree per backend domain, 4 KiB and superpage grants, ending a grant
while the backend still maps it (quarantine until the backend lets go,
the XSA-396 rule), and revocation of a backend's access.
EOF
		;;
	04) cat <<'EOF'
The backend half: a backend attaches to a frontend's tree, maps grants
in batches (one hypercall for a superpage grant's pages) from a page
pool per attachment, and unmaps safely: a page is released only once no
one holds it any more.  The v1 transport's grantee side lives here too.
A connected attachment may keep what its owner unmapped in a bounded
mapping cache, which the frontend's revoke empties.
EOF
		;;
	05) cat <<'EOF'
The revoke/notification ring between a frontend and a backend, and the
connection that sets it up through xenstore, inside the driver's own
xenbus directory and transaction: helpers for drivers, not a second
state machine next to theirs.
EOF
		;;
	06) cat <<'EOF'
/dev/gntv3 gives userspace the in-kernel API for tools and tests, with
an ioctl table that records each command's argument size.  The test-only
ioctls (published entries, counters, extra page holds) sit behind
CONFIG_XEN_GNTV3_TEST.  debugfs shows the trees, the attachments and
the counters.  The module's init and exit, which set up all of the
above, come last.
EOF
		;;
	07) cat <<'EOF'
gntv3_blkfront and gntv3_blkback: a Xen virtual disk whose data pages
travel as gntv3 grants, one XenbusState machine per device as
xen-blkfront and xen-blkback have, and gntv3 keys in the device's own
xenstore directory.  It is the driver the API was shaped against.
EOF
		;;
	08) cat <<'EOF'
The design, the ABI, the in-kernel API (with the kernel-doc of every
export), the revoke ring, the block pair, the prototype v3 hypervisor
and how the tests run.
EOF
		;;
	09) cat <<'EOF'
kselftests (kselftest_harness.h) for the frontend, the backend, the ring
and two domains, and the block pair's checks.  They run inside Xen
domains: a dom0 alone, and a dom0 with a PV domU.
EOF
		;;
	10) cat <<'EOF'
Source the Kconfig files of drivers/xen/gntv3 and drivers/block/gntv3
and descend into the directories, now that every piece is in place.
EOF
		;;
	esac
}

# ------------------------------------------------------------ scratch repo
work=$(mktemp -d "${TMPDIR:-/tmp}/gntv3-patches.XXXXXX")
trap 'rm -rf "$work"' EXIT
repo=$work/linux
mkdir -p "$repo"
if [ -n "${GNTV3_PATCH_BASE:-}" ]; then
	for f in $BASE_FILES; do install -D -m 644 "$GNTV3_PATCH_BASE/$f" "$repo/$f"; done
else
	[ -r "$TAR" ] || { echo "patches: $TAR missing: make deps" >&2; exit 1; }
	members=()
	for f in $BASE_FILES; do members+=("linux-source-6.12/$f"); done
	tar -xJf "$TAR" -C "$work" "${members[@]}"
	(cd "$work/linux-source-6.12" && tar -cf - $BASE_FILES) | tar -xf - -C "$repo"
fi
export GIT_AUTHOR_NAME="${AUTHOR% <*}" GIT_AUTHOR_EMAIL=dev@gntv3.invalid
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
export GIT_AUTHOR_DATE="$(git log -1 --format=%aD)" GIT_COMMITTER_DATE="$(git log -1 --format=%aD)"
g() { git -C "$repo" -c core.autocrlf=false -c commit.gpgsign=false "$@"; }
g init -q
g add -A
g commit -q -m "Linux 6.12 (the files the series changes)"
base=$(g rev-parse HEAD)

# maintainers_add FILE...: add F: lines to the gntv3 MAINTAINERS entry
# (created on first use), kept in order
maintainers_add() {
	python3 - "$repo/MAINTAINERS" "$@" <<'EOF'
import sys
path, files = sys.argv[1], sys.argv[2:]
lines = open(path, encoding="utf-8").read().split("\n")
name = "XEN GRANT TABLE V3 (GNTV3)"
if name not in lines:
    at = lines.index("XEN HYPERVISOR ARM")
    lines[at:at] = [name,
                    "M:\tgntv3 dev <dev@gntv3.invalid>",
                    "L:\txen-devel@lists.xenproject.org (moderated for non-subscribers)",
                    "S:\tMaintained", ""]
start = lines.index(name)
end = lines.index("", start)
head = [l for l in lines[start:end] if not l.startswith("F:\t")]
fl = sorted(set([l for l in lines[start:end] if l.startswith("F:\t")] +
                ["F:\t" + f for f in files]))
lines[start:end] = head + fl
open(path, "w", encoding="utf-8").write("\n".join(lines))
EOF
}

# makefile_upto: drivers/xen/gntv3/Makefile with only the objects whose
# source is already in the scratch tree
makefile_upto() {
	python3 - "$TOP/$X/Makefile" "$repo/$X" <<'EOF'
import os, re, sys
src, d = sys.argv[1], sys.argv[2]
text = open(src).read()
m = re.search(r"^gntv3-y := (.*?)(?<!\\)\n", text, re.S | re.M)
objs = m.group(1).replace("\\", " ").split()
have = [o for o in objs if os.path.exists(os.path.join(d, o[:-2] + ".c"))]
out, line = [], "gntv3-y := "
for o in have:
    if len(line) + len(o) + 2 > 72:
        out.append(line.rstrip() + " \\")
        line = "\t   "
    line += o + " "
out.append(line.rstrip())
text = text[:m.start()] + "\n".join(out) + "\n" + text[m.end():]
lines = []
for l in text.split("\n"):
    t = re.match(r"^gntv3-\$\(CONFIG_\w+\) \+= (\w+)\.o$", l)
    if t and not os.path.exists(os.path.join(d, t.group(1) + ".c")):
        continue
    lines.append(l)
sys.stdout.write("\n".join(lines))
EOF
}

while IFS='|' read -r nn subject globs; do
	added=()
	if [ "$nn" = 10 ]; then
		for p in scripts/intree/*.patch; do
			patch -s -p1 -d "$repo" --no-backup-if-mismatch <"$p"
		done
	else
		# shellcheck disable=SC2086 # globs expand here, on purpose
		for f in $(git ls-files -co --exclude-standard -- $globs); do
			[ -f "$f" ] || continue
			case $f in "$X/Makefile") continue ;; esac
			install -D -m "$([ -x "$f" ] && echo 755 || echo 644)" "$f" "$repo/$f"
			added+=("$f")
		done
		[ ${#added[@]} -gt 0 ] || { echo "patches: $nn: no files" >&2; exit 1; }
		if [ -f "$repo/$X/Kconfig" ]; then
			makefile_upto >"$repo/$X/Makefile"
			added+=("$X/Makefile")
		fi
		maintainers_add "${added[@]}"
	fi
	g add -A
	{ echo "$subject"; echo; body "$nn"; echo; echo "Signed-off-by: $AUTHOR"; } |
		g commit -q -F -
done <<<"$SERIES"

# Every file of the module is in some patch: a new file that no glob of
# SERIES names would otherwise leave the series silently unbuildable.
missing=()
for f in $(git ls-files -- "$X" drivers/block/gntv3 Documentation/gntv3 \
	tools/testing/selftests/gntv3 include/xen/gntv3.h \
	include/uapi/xen/gntv3.h include/xen/interface/grant_table_v3.h); do
	case $f in "$X"/compat/*) continue ;; esac
	[ -e "$repo/$f" ] || missing+=("$f")
done
[ ${#missing[@]} -eq 0 ] || { echo "patches: in no patch: ${missing[*]}" >&2; exit 1; }

# ------------------------------------------------------------ format-patch
rm -rf "$OUT"
mkdir -p "$OUT"
g format-patch -q --cover-letter --no-signature -o "$OUT" "$base"..HEAD
python3 - "$OUT/0000-cover-letter.patch" "$TOP" <<'EOF'
import sys
path, top = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
subject = "xen: grant table v3 (gntv3) for Linux guests"
blurb = """gntv3 gives Xen guests a grant table v3: one grant tree per backend
domain (multi-level tables of 64-bit entries, like an IOMMU page table)
instead of one flat v1 array, full-width frame numbers (no 16 TiB
limit), 2 MiB and 1 GiB superpage grants, and revocation of a backend's
access.  It works on stock Xen today by carrying the trees over v1
grant entries, and probes at load for the native GNTTABOP_v3_* sub-ops
(stock Xen answers -ENOSYS; a prototype hypervisor patch set exists
outside this series).  A virtual disk pair (gntv3_blkfront,
gntv3_blkback) is built on the in-kernel API.

What is measured (Xen 4.17 under QEMU TCG, dom0 and a PV domU; the
numbers are from the project's VM benchmark, gntv3 against the stock
grant API in the same run):
- a 2 MiB superpage grant costs 0.30-0.39x what 512 single 4 KiB grants
  cost;
- map+unmap of 512 ids by a backend: 0.97-1.02x the stock
  gnttab_map_refs()/unmap path (1.12-1.18x against a stock side whose
  page allocation is not counted: gntv3 keeps a page pool per
  attachment, as xen-blkback does);
- one 2 MiB superpage map+unmap: 0.90-0.93x;
- block throughput of the gntv3 pair: at parity with
  xen-blkfront/xen-blkback on the same ramdisk.

What is tested: the kselftests of patch 9 in a dom0 alone and in a dom0
with a PV domU (frontend, backend, revoke ring, two-domain grants, the
block pair's integrity and revoke-under-I/O checks), every run with slab
and page poisoning; userspace unit tests of the core; each patch of this
series builds with W=1 and passes checkpatch --strict.  Not tested,
because no released hypervisor implements it: the native v3 paths.

The series builds on v6.12.  Patches 2-9 add the pieces and their
Makefile lines; patch 10 wires drivers/xen/gntv3 and drivers/block/gntv3
into the build."""
text = text.replace("*** SUBJECT HERE ***", subject)
text = text.replace("*** BLURB HERE ***", blurb)
open(path, "w", encoding="utf-8").write(text)
EOF
ls "$OUT"
echo "patches: $(ls "$OUT" | wc -l) files in ${OUT#"$TOP"/}"
