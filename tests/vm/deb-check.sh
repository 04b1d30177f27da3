#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check-deb: only the Debian package checks of make check
# (lib/debpkg.sh): `make deb`, the five packages installed in a Debian 12
# chroot, DKMS builds for the stock and PREEMPT_RT kernels, programs built
# against the installed -dev package, the DKMS-built module booted with
# the installed CLI, library and Python package, and `apt-get purge`
# leaving nothing. Prints one line per test and ends with "N passed, N
# failed".
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# shellcheck source=lib/matrix.sh
. "$VM_LIB/matrix.sh"
# shellcheck source=lib/pyguest.sh
. "$VM_LIB/pyguest.sh"
# shellcheck source=lib/debpkg.sh
. "$VM_LIB/debpkg.sh"

started=$SECONDS
run_begin check-deb
if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
else
	deb_pass
fi
say "finished in $(elapsed_since "$started") s"
run_end
