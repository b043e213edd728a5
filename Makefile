# SPDX-License-Identifier: GPL-2.0-only
#
# gntv3: grant table v3 for Linux Xen guests.
#
#   make demo      install what is needed, build, boot Xen + dom0, show gntv3
#   make test      every test: unit, lint, docs, in-tree build, VM kselftests;
#                  ends "N passed, M failed"
#   make bench     one VM run timing gntv3 against the stock grant API (not a test)
#   make deb       the gntv3-dkms Debian package
#   make patches   the module as a git format-patch series against Linux 6.12
#
# Other targets: deps, deps-6.1, modules (default), check, lint, docs-check,
# intree-check, selftests, fault-module, vm-test, debug-test, dkms-test,
# bench, xen-proto, xen-test, xen-blk, xen-blk-series, clean.  KDIR selects
# the kernel headers (default: the linux-headers package matching
# linux-image-6.12-amd64, see scripts/deps.sh); GNTV3_KERNEL=6.1 builds for
# and boots Debian 12's own kernel instead.

TOP		:= $(CURDIR)
# GNTV3_KERNEL: the kernel to build for and boot in the VMs, 6.12 (the
# default) or 6.1 (Debian 12's own); 6.1 has its own cache and build
# directories, .cache/linux-6.1 and build/linux-6.1.
GNTV3_KERNEL	?= 6.12
gntv3-kdir	:= $(if $(filter-out 6.12,$(GNTV3_KERNEL)),/linux-$(GNTV3_KERNEL))
CACHE		?= $(TOP)/.cache$(gntv3-kdir)
BUILD		?= $(TOP)/build$(gntv3-kdir)
export GNTV3_KERNEL
export GNTV3_BUILD := $(BUILD)
KVER		?= $(shell cat $(CACHE)/kver 2>/dev/null)
KDIR		?= /usr/src/linux-headers-$(KVER)
# The directories and modules that ./Kbuild builds (the .ko files are
# copied to build/module/)
KBUILD_DIRS	:= drivers/xen/gntv3 drivers/block/gntv3
KOS		:= drivers/xen/gntv3/gntv3.ko drivers/block/gntv3/gntv3_blkfront.ko \
		   drivers/block/gntv3/gntv3_blkback.ko
SELFTESTS	:= $(TOP)/tools/testing/selftests/gntv3
XENVM		:= $(TOP)/scripts/xenvm.sh

export GNTV3_CACHE := $(CACHE)

.PHONY: bench-regress all deps modules modules-clean check lint docs-check intree-check \
	selftests fault-module vm-test soak-test debug-test demo test bench clean xen-proto xen-test \
	xen-blk xen-blk-series deps-6.1 deb dkms-test patches

all: modules

deps:
	bash scripts/deps.sh

# Debian 12's own 6.1 kernel too (make test runs the VM suites on both)
deps-6.1:
	$(MAKE) GNTV3_KERNEL=6.1 deps

# Out of tree, ./Kbuild stands in for the kernel's .config and the
# drivers/xen and drivers/block Makefiles (scripts/intree/ has those hunks):
# one Kbuild run builds gntv3.ko and the block pair, with one Module.symvers
# (./Module.symvers).  Kbuild writes its objects next to the sources (6.12
# has no MO=); the .ko files are copied to build/module/ so that everything
# else reads them from one place.
modules:
	@test -n "$(KVER)" -o "$(origin KDIR)" = command-line || \
		{ echo "no kernel version known: run 'make deps' first"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules
	mkdir -p $(BUILD)/module
	cp $(KOS) $(BUILD)/module/

# Not "make -C $(KDIR) M=$(TOP) clean": Kbuild would search all of $(TOP)
# for objects, the cache's guest kernel modules (*.ko.xz) and prepared
# kernel tree included.  Each Kbuild directory is cleaned on its own.
modules-clean:
	for d in $(KBUILD_DIRS); do $(MAKE) -C $(KDIR) M=$(TOP)/$$d clean || exit 1; done
	$(MAKE) -C $(KDIR) M=$(FAULT_DIR) clean
	rm -f Module.symvers modules.order .module-common.o .*.cmd

check:
	$(MAKE) -C tools/testing/gntv3 check

lint:
	bash scripts/lint.sh

docs-check:
	bash scripts/docs-check.sh

# Applies scripts/intree/*.patch and the tree to linux-source-6.12 and
# builds gntv3 there with W=1 (the prepared kernel is cached in $(CACHE)).
intree-check:
	bash scripts/intree-check.sh

selftests:
	$(MAKE) -C $(SELFTESTS) OUTPUT=$(BUILD)/selftests

# The xen-netfront/xen-netback series (patches/xen-net/): the mbox for
# git am, the patched modules against the headers of GNTV3_KERNEL (6.12 or
# 6.1), and the per-patch build + checkpatch check (scripts/xen-net.sh).
.PHONY: xen-net-series xen-net-modules xen-net-check
xen-net-series:
	bash scripts/xen-net.sh series
xen-net-modules: modules
	bash scripts/xen-net.sh build
xen-net-check: modules
	bash scripts/xen-net.sh check

# gntv3_fault.ko, the fail-nth injector of gntv3_fail_nth on kernels
# without fault injection (tools/testing/selftests/gntv3/fault/): test only,
# x86-64 Linux 6.12 only; on 6.1 the sweeps skip.  dom0.sh loads it from
# $(BUILD)/module/ for that suite.
FAULT_DIR	:= $(SELFTESTS)/fault
fault-module:
ifeq ($(GNTV3_KERNEL),6.12)
	$(MAKE) -C $(KDIR) M=$(FAULT_DIR) modules
	mkdir -p $(BUILD)/module
	cp $(FAULT_DIR)/gntv3_fault.ko $(BUILD)/module/
else
	@echo "fault-module: Linux 6.12 only, none for $(GNTV3_KERNEL)"
endif

vm-test: modules selftests fault-module xen-net-modules
	bash scripts/vm-test.sh

# The domU destroyed under dom0's mappings 20 times, then a leak check
# (scripts/soak-test.sh; make vm-test runs it too).
soak-test: modules selftests
	bash scripts/soak-test.sh

# The dom0 suites and fail-nth sweeps (on Debian's Xen and on the
# prototype), the two-domain suite and the soak on a
# lockdep/kmemleak/fault injection kernel, built once into
# /var/cache/gntv3/debug-kernel/ (GNTV3_DEBUG_FLAVOUR=pvh: with KASAN, in a
# PVH dom0; scripts/debug-test.sh).
debug-test:
	bash scripts/debug-test.sh

demo: deps modules
	bash scripts/demo.sh

bench: modules
	bash scripts/bench.sh

# bench-regress REV=<commit>: this tree's gntv3 against the one at REV, in
# one VM, loads alternating, each against the stock grant API of its load.
bench-regress: modules
	bash scripts/bench-regress.sh $(REV)

# Linux's own xen-blkfront/xen-blkback on gntv3 (patches/xen-blk/ for
# 6.12, patches/xen-blk-6.1/ with GNTV3_KERNEL=6.1): xen-blk-series prints
# the series as one mbox for "git am"; xen-blk applies it to the matching
# linux-source and builds both modules into $(BUILD)/xen-blk/.
xen-blk-series:
	@bash scripts/xen-blk.sh series

xen-blk: modules
	bash scripts/xen-blk.sh build

# The prototype v3 hypervisor: xen/patches/ applied to Debian's Xen source,
# built and cached outside the clone (scripts/xen-build.sh); prints its path.
# Boot it with GNTV3_XEN=<path> (scripts/xenvm.sh).
xen-proto:
	bash scripts/xen-build.sh

# Boot the prototype and run xen/test/gntv3_xentest.ko (GNTTABOP_v3_* directly).
xen-test: modules
	bash scripts/xen-test.sh

# The gntv3-dkms Debian package: build/deb/gntv3-dkms_<version>_all.deb
deb:
	bash scripts/deb.sh

# Install that package here (root), check DKMS built it for the 6.12 and
# the 6.1 kernel and again on a kernel update, and run the dom0 suite in a
# VM with the gntv3.ko DKMS built; then remove it (scripts/dkms-test.sh)
dkms-test: deps deps-6.1
	bash scripts/dkms-test.sh

# The module as a "git format-patch" series against Linux 6.12, with a
# cover letter: build/patches/ (scripts/patches.sh).  make intree-check
# applies it with git am and builds after every patch.
patches:
	bash scripts/patches.sh

# One command for everything CI runs; the summary line comes last.
test: deps deps-6.1
	bash scripts/test-all.sh

clean: modules-clean
	-$(MAKE) -C tools/testing/gntv3 clean
	rm -rf $(BUILD)
