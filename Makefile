# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# rtsync top-level Makefile.
#   make              module + library + CLI + static test programs
#   make check        everything the tests need is installed, then the VM runs
#   make check-quick  stock-kernel pass only
#   make check-matrix the integration tests on every supported kernel
#   make check-python the Python binding's tests in a VM
#   make stress       long fuzzing, owner-death chaos and exclusion runs
#   make bench        benchmarks against PI futex and POSIX/SysV semaphores
#   make bench-profile perf profile of an uncontended lock+unlock vs NOP
#   make demo         boots a VM and shows rtsync working
#   make install      module, headers, library, rtsync.pc, CLI, man pages
#   make dkms         module sources to /usr/src for dkms add/build/install
#
# KDIR: kernel build tree to build rtsync.ko against. Default: the running
# kernel's, else the newest Debian 6.1 headers (make deps installs them).

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(filter-out %-rt-amd64,$(wildcard \
	/usr/src/linux-headers-6.1.*-amd64)))))
PREFIX ?= /usr/local
DESTDIR ?=
export PREFIX DESTDIR

TOP := $(CURDIR)

.PHONY: all module lib tools tests demos check check-quick check-matrix deb check-deb \
	check-python stress demo bench bench-profile \
	deps install uninstall dkms clean

all: module lib tools tests demos

module:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
		echo "rtsync: no kernel build tree (KDIR='$(KDIR)'); run 'make deps' or pass KDIR=" >&2; \
		exit 1; fi
	$(MAKE) -C $(KDIR) M=$(TOP) modules

lib:
	$(MAKE) -C userspace/lib

tools: lib
	$(MAKE) -C userspace/tools

tests: lib
	$(MAKE) -C tests/integration

demos: lib
	$(MAKE) -C tests/demo

deps:
	@tests/vm/deps.sh

check:
	@tests/vm/check.sh

check-quick:
	@tests/vm/check.sh --quick

check-matrix:
	@tests/vm/check-matrix.sh

check-python:
	@tests/vm/python.sh

stress:
	@tests/vm/stress.sh

demo:
	@tests/vm/demo.sh

bench:
	@tests/vm/bench.sh

bench-profile:
	@tests/vm/profile.sh

# Debian packages (debhelper, dh-dkms, dh-python) into dist/.
deb:
	@userspace/debian/build-deb.sh

# The packages installed in a Debian 12 chroot, their module booted.
check-deb:
	@tests/vm/deb-check.sh

# The kernel release rtsync.ko is built for, naming its directory under
# /lib/modules: KDIR's UTS_RELEASE (Debian's header packages carry a
# kernel.release file that disagrees with it), else what KDIR's Makefile
# says. Override with KREL=, e.g. to uninstall after KDIR is gone.
install uninstall: KREL ?= $(or $(shell sed -n \
	's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null),$(shell \
	$(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null))
install uninstall: MODDIR = $(DESTDIR)/lib/modules/$(KREL)/updates

# Module (+ depmod), headers, libraries, rtsync.pc, rtsyncctl, man pages,
# udev rule, modules-load.d example. With DESTDIR (a staging tree for a
# package) depmod is left to the package's installation.
install: module lib tools
	@[ -n "$(KREL)" ] || { echo "rtsync: cannot tell KDIR's kernel release (KDIR='$(KDIR)'); pass KREL=" >&2; exit 1; }
	install -d $(MODDIR)
	install -m 644 rtsync.ko $(MODDIR)/rtsync.ko
	$(if $(DESTDIR),@echo "rtsync: DESTDIR is set: run 'depmod $(KREL)' where it is unpacked",depmod -a $(KREL))
	$(MAKE) -C userspace/lib install
	$(MAKE) -C userspace/tools install
	$(MAKE) -C docs/man install
	$(MAKE) -C userspace/system install

uninstall:
	@[ -n "$(KREL)" ] || { echo "rtsync: cannot tell KDIR's kernel release (KDIR='$(KDIR)'); pass KREL=" >&2; exit 1; }
	rm -f $(MODDIR)/rtsync.ko
	$(if $(DESTDIR),,[ ! -d /lib/modules/$(KREL) ] || depmod -a $(KREL))
	$(MAKE) -C userspace/lib uninstall
	$(MAKE) -C userspace/tools uninstall
	$(MAKE) -C docs/man uninstall
	$(MAKE) -C userspace/system uninstall

# DKMS: copy the module's sources and dkms.conf (with the file that holds
# the version) to $(DESTDIR)/usr/src/rtsync-<version>; then
# `dkms add rtsync/<version>` and `dkms install rtsync/<version>`.
dkms:
	@set -e; version=$$(bash -c '. ./dkms.conf && echo "$$PACKAGE_VERSION"'); \
	[ -n "$$version" ] || { echo "rtsync: dkms.conf names no version" >&2; exit 1; }; \
	src=$(DESTDIR)/usr/src/rtsync-$$version; \
	echo "rtsync: module sources -> $$src"; \
	install -d $$src/module $$src/uapi/linux $$src/userspace/lib; \
	install -m 644 dkms.conf Kbuild $$src/; \
	install -m 644 module/*.c module/*.h $$src/module/; \
	install -m 644 uapi/linux/rtsync.h $$src/uapi/linux/; \
	install -m 644 userspace/lib/version.mk $$src/userspace/lib/; \
	echo "rtsync: now: dkms add rtsync/$$version && dkms install rtsync/$$version"

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(TOP) clean; fi
	$(MAKE) -C userspace/lib clean
	$(MAKE) -C userspace/tools clean
	$(MAKE) -C tests/integration clean
	$(MAKE) -C tests/demo clean
	$(MAKE) -C tests/bench clean
	rm -rf userspace/python/build userspace/python/rtsync.egg-info
