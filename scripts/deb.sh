#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb: build the gntv3-dkms Debian package, build/deb/gntv3-dkms_<v>_all.deb.
#
# It holds the module's sources under /usr/src/gntv3-<v>/ (./Kbuild, compat/,
# drivers/xen/gntv3/, drivers/block/gntv3/, include/) with a dkms.conf, and
# the maintainer scripts that Debian's dh_dkms would write: postinst hands
# the sources to DKMS and builds and installs gntv3.ko, gntv3_blkfront.ko and
# gntv3_blkback.ko for every kernel in /lib/modules whose headers are
# installed (dkms's common.postinst with autoinstall_all_kernels), prerm
# removes every build.  AUTOINSTALL=yes: dkms's own kernel hooks
# (/etc/kernel/header_postinst.d/dkms) build it again for each kernel
# installed later.  Install with "apt install ./gntv3-dkms_<v>_all.deb".
#
# DKMS builds what "make modules" builds, from the same ./Kbuild: the test
# interface of /dev/gntv3 (CONFIG_XEN_GNTV3_TEST) included, which the
# kselftests need.
#
# <v> is 0.<number of commits>+g<commit> (GNTV3_DEB_VERSION overrides it).
# Needs only dpkg-deb; the package depends on dkms.
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$PWD
OUT=${GNTV3_DEB_DIR:-$TOP/build/deb}
VERSION=${GNTV3_DEB_VERSION:-0.$(git rev-list --count HEAD)+g$(git rev-parse --short=8 HEAD)}
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "deb: bad version '$VERSION'" >&2; exit 2; }
NAME=gntv3
PKG=gntv3-dkms
DEB=$OUT/${PKG}_${VERSION}_all.deb

root=$(mktemp -d "${TMPDIR:-/tmp}/gntv3-deb.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
src=$root/usr/src/$NAME-$VERSION
mkdir -p "$src" "$root/DEBIAN" "$root/usr/share/doc/$PKG"

# The sources DKMS builds: what git knows (committed or not, never ignored
# build output) under the paths ./Kbuild reads.
mapfile -t files < <(git ls-files -co --exclude-standard -- Kbuild compat \
	drivers/xen/gntv3 drivers/block/gntv3 include)
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	install -D -m 644 "$f" "$src/$f"
done
[ -f "$src/drivers/xen/gntv3/Makefile" ] || { echo "deb: no sources" >&2; exit 1; }

cat >"$src/dkms.conf" <<EOF
# gntv3 for DKMS: ./Kbuild builds the three modules in one run.
PACKAGE_NAME="$NAME"
PACKAGE_VERSION="$VERSION"
MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build modules"
CLEAN="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build clean"
BUILT_MODULE_NAME[0]="gntv3"
BUILT_MODULE_LOCATION[0]="drivers/xen/gntv3/"
DEST_MODULE_LOCATION[0]="/updates/dkms"
BUILT_MODULE_NAME[1]="gntv3_blkfront"
BUILT_MODULE_LOCATION[1]="drivers/block/gntv3/"
DEST_MODULE_LOCATION[1]="/updates/dkms"
BUILT_MODULE_NAME[2]="gntv3_blkback"
BUILT_MODULE_LOCATION[2]="drivers/block/gntv3/"
DEST_MODULE_LOCATION[2]="/updates/dkms"
# Xen guests only; Linux 6.1 and 6.12 are tested (compat/gntv3_compat.h).
BUILD_EXCLUSIVE_CONFIG="CONFIG_XEN"
AUTOINSTALL="yes"
EOF

cat >"$root/DEBIAN/control" <<EOF
Package: $PKG
Version: $VERSION
Architecture: all
Section: kernel
Priority: optional
Maintainer: gntv3 developers <dev@gntv3.invalid>
Depends: dkms (>= 2.1.0.0)
Description: grant table v3 for Linux Xen guests (DKMS sources)
 gntv3 gives Xen guests per-backend grant trees, superpage grants and
 revocation, carried over v1 grant entries on stock Xen.  This package
 holds the sources of gntv3.ko and the gntv3 virtual disk pair
 (gntv3_blkfront.ko, gntv3_blkback.ko); DKMS builds them for every
 installed kernel with headers (Linux 6.1 and 6.12 are tested) and again
 for each kernel installed later.
EOF

# As dh_dkms writes them, but for every kernel with headers, not only the
# running and the newest one.
cat >"$root/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
case "\$1" in
configure)
	autoinstall_all_kernels=1 /usr/lib/dkms/common.postinst $NAME $VERSION "" "" "\$2"
	;;
esac
EOF
cat >"$root/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
case "\$1" in
remove|upgrade|deconfigure)
	if [ "\$(dkms status -m $NAME -v $VERSION)" ]; then
		dkms remove -m $NAME -v $VERSION --all
	fi
	;;
esac
EOF
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"

cat >"$root/usr/share/doc/$PKG/copyright" <<EOF
gntv3: grant table v3 for Linux Xen guests.
License: GPL-2.0-only (SPDX tags in every source file).
EOF

mkdir -p "$OUT"
rm -f "$OUT/${PKG}"_*.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$DEB" >/dev/null
echo "deb: $DEB ($(du -h "$DEB" | cut -f1), $(wc -l <<<"$(dpkg-deb -c "$DEB")") entries)"
