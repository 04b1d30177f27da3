#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check-python: the rtsync Python binding (userspace/python), tested
# in the VM alone (make check runs the same pass after the stock pass):
# builds it with pip into a venv of Debian's python3 in the cache, boots the
# stock kernel with rtsync.ko and a Python runtime in the initramfs
# (lib/pyguest.sh), and runs its tests there. Prints one line per test and
# ends with "N passed, N failed"; exits non-zero when anything failed.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# shellcheck source=lib/pyguest.sh
. "$VM_LIB/pyguest.sh"

started=$SECONDS
run_begin python

if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
else
	python_pass stock
fi

say "finished in $(elapsed_since "$started") s"
run_end
