#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make stress: the hardening programs at their stress sizes — the ioctl
# fuzzer (4 million calls, then rmmod), owner-death chaos (2000 kills),
# mutual exclusion (10 million lock/unlock pairs), the rmmod/insmod race
# (a minute), the chain-extension race (3000 rounds, chains of 1000
# threads) and LOCKs through a leaving waiter (21000 rounds) — on the stock kernel, then on the debug kernel (lockdep,
# KASAN, kmemleak) unless --stock-only is given. Prints one line per test
# and ends with "N passed, N failed"; exits non-zero when anything failed.
#
# The programs read their size from RTSYNC_STRESS in their environment:
# this script puts RTSYNC_STRESS=1 on the guest kernel's command line, and
# the kernel hands such name=value words to /init's environment. Likewise
# RTSYNC_FUZZ_SEED, when set here, replays a fuzzer run.
#
# Environment: RTSYNC_CACHE, RTSYNC_TEST_TIMEOUT (limit of one program,
# default 3600 s here), RTSYNC_FUZZ_SEED.
set -euo pipefail

# The stress programs run for minutes; lib.sh reads this when sourced.
export RTSYNC_TEST_TIMEOUT=${RTSYNC_TEST_TIMEOUT:-3600}

. "$(dirname "$0")/lib.sh"

STRESS_PROGRAMS=(fuzz harden_chaos harden_exclusion harden_unload harden_chain mutex_leaving)

debug=1
case ${1:-} in
--stock-only) debug=0 ;;
'') ;;
*) die "usage: $0 [--stock-only]" ;;
esac

started=$SECONDS
run_begin stress

if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
elif build_userspace; then
	list=$RUN_DIR/stress.list
	printf '%s\n' "${STRESS_PROGRAMS[@]}" >"$list"
	options=(--list "$list" --append RTSYNC_STRESS=1
		--timeout $((600 + ${#STRESS_PROGRAMS[@]} * TEST_TIMEOUT)))
	if [ -n "${RTSYNC_FUZZ_SEED:-}" ]; then
		options+=(--append "RTSYNC_FUZZ_SEED=$RTSYNC_FUZZ_SEED")
	fi
	rtsync_pass --label stock-stress "${options[@]}" stock
	if [ "$debug" -eq 1 ]; then
		rtsync_pass --label debug-stress --leak-check "${options[@]}" debug
	fi
fi

say "finished in $(elapsed_since "$started") s"
run_end
