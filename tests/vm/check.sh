#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check [--quick]: installs what is missing, builds rtsync, boots each
# test kernel in QEMU with the integration tests, then (not with --quick)
# checks that the harness itself catches failures. Prints one line per test
# and ends with "N passed, N failed"; exits non-zero when anything failed.
# Environment: RTSYNC_CACHE (default ~/.cache/rtsync), RTSYNC_VM_TIMEOUT
# (hard limit of a test boot, s), RTSYNC_TEST_TIMEOUT (limit of one test
# program, s).
set -euo pipefail

. "$(dirname "$0")/lib.sh"
. "$VM_DIR/selftest.sh"

quick=0
case ${1:-} in
--quick) quick=1 ;;
'') ;;
*) die "usage: $0 [--quick]" ;;
esac

started=$SECONDS
run_begin "check$([ "$quick" -eq 0 ] || echo -quick)"

if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
else
	if build_userspace; then
		rtsync_pass stock
	else
		# The module is still loaded and its log checked.
		rtsync_pass --no-programs stock
	fi

	if [ "$quick" -eq 0 ]; then
		selftest_run stock
	fi
fi

say "finished in $(elapsed_since "$started") s"
run_end
