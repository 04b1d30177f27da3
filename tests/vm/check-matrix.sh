#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check-matrix: the integration tests on every kernel rtsync supports:
#   stock  Debian 12's current 6.1 (tests/vm/deps.sh)
#   rt     Debian 12's 6.1 PREEMPT_RT (linux-image-rt-amd64)
#   b612   6.12 from bookworm-backports (private apt configuration in the
#          cache; lib/matrix.sh)
#   sid    Debian unstable's newest kernel, its modules built in a
#          debootstrap chroot in the cache (about 750 MB, 2 min to create
#          the first time): the early warning for kernel API changes
# A kernel whose pieces cannot be had is skipped with the reason. Prints
# one PASS/FAIL/SKIP line per test, then a table (kernel x passed, failed,
# skipped, time) and ends with "N passed, N failed".
# Usage: check-matrix.sh [KERNEL...] (default: all four)
# Environment: as check.sh (RTSYNC_CACHE, RTSYNC_VM_TIMEOUT,
# RTSYNC_TEST_TIMEOUT).
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# shellcheck source=lib/matrix.sh
. "$VM_LIB/matrix.sh"

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(stock rt b612 sid)

started=$SECONDS
run_begin matrix

# fetch_kernel NAME: its pieces, or non-zero with the reason in
# $RUN_DIR/fetch-NAME.log.
fetch_kernel() {
	local log=$RUN_DIR/fetch-$1.log

	case $1 in
	stock) : ;;	# deps.sh, above
	*) matrix_fetch "$1" >"$log" 2>&1 ;;
	esac
}

# fetch_reason NAME: the last line of its failed fetch, for the SKIP line.
fetch_reason() {
	grep -v '^ *$' "$RUN_DIR/fetch-$1.log" | tail -n 1 | sed 's/^rtsync: \(error: \)\?//'
}

table=()
programs=()
if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
else
	# Without them the module is still loaded and its log checked.
	build_userspace || programs=(--no-programs)
	for k in "${kernels[@]}"; do
		k_started=$SECONDS
		p0=$TALLY_PASS f0=$TALLY_FAIL s0=$TALLY_SKIP
		if ! fetch_kernel "$k"; then
			record SKIP "$k: kernel ($(fetch_reason "$k"))"
			show_tail "$RUN_DIR/fetch-$k.log" 5
		else
			rtsync_pass "${programs[@]}" "$k"
		fi
		table+=("$(printf '%-8s %-26s %6d %6d %7d %6d' "$k" "${KREL:-?}" \
			$((TALLY_PASS - p0)) $((TALLY_FAIL - f0)) $((TALLY_SKIP - s0)) \
			"$(elapsed_since "$k_started")")")
		KREL=""
	done
fi

echo
printf '%-8s %-26s %6s %6s %7s %6s\n' kernel release passed failed skipped time/s
printf '%s\n' "${table[@]}"
echo
say "finished in $(elapsed_since "$started") s"
run_end
