# SPDX-License-Identifier: GPL-2.0-only
#
# gntv3: grant table v3 for Linux Xen guests.
#
#   make demo      install what is needed, build, boot Xen + dom0, show gntv3
#   make test      every test: unit, lint, docs, VM kselftests; ends "N passed, M failed"
#   make bench     one VM run timing gntv3 against the stock grant API (not a test)
#
# Other targets: deps, modules (default), check, lint, docs-check, selftests,
# vm-test, bench, xen-proto, xen-test, clean.  KDIR selects the kernel headers (default: the
# linux-headers package matching linux-image-6.12-amd64, see scripts/deps.sh).

TOP		:= $(CURDIR)
CACHE		?= $(TOP)/.cache
BUILD		?= $(TOP)/build
KVER		?= $(shell cat $(CACHE)/kver 2>/dev/null)
KDIR		?= /usr/src/linux-headers-$(KVER)
MODDIR		:= $(TOP)/drivers/xen/gntv3
KO		:= $(BUILD)/module/gntv3.ko
SELFTESTS	:= $(TOP)/tools/testing/selftests/gntv3
XENVM		:= $(TOP)/scripts/xenvm.sh

export GNTV3_CACHE := $(CACHE)

.PHONY: all deps modules check lint docs-check selftests vm-test demo test \
	bench clean xen-proto xen-test

all: modules

deps:
	bash scripts/deps.sh

# Kbuild writes its objects next to the sources (6.12 has no MO=); the .ko
# is copied to build/ so that everything else reads it from one place.
modules:
	@test -n "$(KVER)" -o "$(origin KDIR)" = command-line || \
		{ echo "no kernel version known: run 'make deps' first"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(MODDIR) modules
	mkdir -p $(BUILD)/module
	cp $(MODDIR)/gntv3.ko $(KO)

check:
	$(MAKE) -C tools/testing/gntv3 check

lint:
	bash scripts/lint.sh

docs-check:
	bash scripts/docs-check.sh

selftests:
	$(MAKE) -C $(SELFTESTS) OUTPUT=$(BUILD)/selftests

vm-test: modules selftests
	bash scripts/vm-test.sh

demo: deps modules
	bash scripts/demo.sh

bench: modules
	bash scripts/bench.sh

# The prototype v3 hypervisor: xen/patches/ applied to Debian's Xen source,
# built and cached outside the clone (scripts/xen-build.sh); prints its path.
# Boot it with GNTV3_XEN=<path> (scripts/xenvm.sh).
xen-proto:
	bash scripts/xen-build.sh

# Boot the prototype and run xen/test/gntv3_xentest.ko (GNTTABOP_v3_* directly).
xen-test: modules
	bash scripts/xen-test.sh

# One command for everything CI runs; the summary line comes last.
test: deps
	bash scripts/test-all.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(MODDIR) clean
	-$(MAKE) -C tools/testing/gntv3 clean
	rm -rf $(BUILD)
