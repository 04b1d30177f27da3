#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The rtsync Python binding (userspace/python), tested in the VM: builds it
# with pip into a venv in the cache, boots the stock kernel with rtsync.ko
# and a Python runtime in the initramfs (lib/pyguest.sh), and runs its
# tests there. Prints one line per test and ends with "N passed, N failed";
# exits non-zero when anything failed.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# shellcheck source=lib/pyguest.sh
. "$VM_LIB/pyguest.sh"

started=$SECONDS
run_begin python

if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
elif ! pyguest_deps; then
	record FAIL "setup: python3-dev, python3-setuptools, python3-venv, python3-pip"
else
	say "building the Python binding (pip install into $PY_VENV) ..."
	if ! pyguest_build "$RUN_DIR/build-python.log"; then
		record FAIL "build: pip install userspace/python"
		show_tail "$RUN_DIR/build-python.log"
	else
		record PASS "build: pip install userspace/python"
		pyguest_stage "$RUN_DIR/python-tree"
		rtsync_pass --no-programs --file "$RUN_DIR/python-tree" / \
			--before "test python_rtsync" stock
		rm -rf "$RUN_DIR/python-tree"
	fi
fi

say "finished in $(elapsed_since "$started") s"
run_end
