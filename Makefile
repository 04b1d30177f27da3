# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# rtsync top-level Makefile.
#   make              module + library + CLI + static test programs
#   make check        everything the tests need is installed, then the VM runs
#   make check-quick  stock-kernel pass only
#   make stress       long fuzzing, owner-death chaos and exclusion runs
#   make bench        benchmarks against PI futex and POSIX/SysV semaphores
#   make demo         boots a VM and shows rtsync working
#   make install      module, headers, library, rtsync.pc, CLI, man pages
#
# KDIR: kernel build tree to build rtsync.ko against. Default: the running
# kernel's, else the newest Debian 6.1 headers (make deps installs them).

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64))))
PREFIX ?= /usr/local
DESTDIR ?=
export PREFIX DESTDIR

TOP := $(CURDIR)

.PHONY: all module lib tools tests demos check check-quick stress demo bench \
	deps install uninstall clean

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

stress:
	@tests/vm/stress.sh

demo:
	@tests/vm/demo.sh

bench:
	@tests/vm/bench.sh

install: all
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates modules_install
	$(MAKE) -C userspace/lib install
	$(MAKE) -C userspace/tools install

uninstall:
	$(MAKE) -C userspace/lib uninstall
	$(MAKE) -C userspace/tools uninstall

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(TOP) clean; fi
	$(MAKE) -C userspace/lib clean
	$(MAKE) -C userspace/tools clean
	$(MAKE) -C tests/integration clean
	$(MAKE) -C tests/demo clean
