#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check [--quick]: installs what is missing, builds rtsync, runs
# librtsync's unit tests on this machine, boots the stock kernel in QEMU
# with the integration tests, and then (not with --quick) builds the debug
# kernel (lockdep, KASAN, kmemleak, KUnit; cached) and boots it with the
# KUnit suite, the integration tests and a leak check, and checks that the
# harness itself catches failures. Prints one line per test and ends with
# "N passed, N failed"; exits non-zero when anything failed.
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
	programs=()
	# Without them the module is still loaded and its log checked.
	build_userspace || programs=(--no-programs)
	host_tests
	rtsync_pass "${programs[@]}" stock

	if [ "$quick" -eq 0 ]; then
		rtsync_pass "${programs[@]}" --kunit --leak-check debug
		selftest_run stock
		# One slow boot: a WARN (and a leak) on the debug kernel must fail it.
		selftest_run debug warn
	fi
fi

say "finished in $(elapsed_since "$started") s"
run_end
