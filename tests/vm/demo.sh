#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make demo: boots the stock kernel with rtsync loaded and runs the demo
# programs of tests/demo, in the order tests/demo/bin/demo.list names them,
# showing what they print as they print it: priority inheritance, a
# semaphore pool, a monitor, rtsyncctl and /proc/rtsync (demo_cli, with
# the static rtsyncctl as /usr/bin/rtsyncctl), then which of two locks made
# a real-time process wait (demo_contention: rtsyncctl top, trace events). Each one exits 0 only if what
# it showed really happened; the run ends with a line saying which did and
# exits non-zero unless all did.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

DEMO_BIN=$TOP/tests/demo/bin
DEMO_GUEST_DIR=/rtsync/demo

# build_demos: librtsync and the demo programs (`make demos`); a failure is
# recorded as a failed test.
build_demos() {
	local log=$RUN_DIR/build-demos.log

	say "building the demo programs (make demos) ..."
	if make -C "$TOP" demos >"$log" 2>&1 && [ -s "$DEMO_BIN/demo.list" ] &&
		[ -x "$DEMO_BIN/rtsyncctl" ]; then
		return 0
	fi
	record FAIL "build: make demos"
	show_tail "$log"
	return 1
}

# demo_summary NAME...: one line on what each demo's step in the boot's
# results said: shown (exit 0), failed (its exit status) or never ran.
demo_summary() {
	local results=$RUN_DIR/stock/results.log name end shown=() failed=()

	for name in "$@"; do
		end=$(tr -d '\r' <"$results" 2>/dev/null | grep -m 1 "^### end $name " || true)
		case $end in
		*" exit=0 "*) shown+=("$name") ;;
		"") failed+=("$name (did not run)") ;;
		*)
			end=${end#*exit=}
			failed+=("$name (exit ${end%% *})")
			;;
		esac
	done
	if [ ${#failed[@]} -eq 0 ]; then
		say "demo: all ${#shown[@]} programs showed what they claim: ${shown[*]}"
	else
		say "demo FAILED: ${failed[*]}; ${#shown[@]} of $# showed what they claim"
	fi
}

run_begin demo
"$VM_DIR/deps.sh"
if build_demos; then
	names=()
	pass_args=(--file "$DEMO_BIN/rtsyncctl" /usr/bin/rtsyncctl)
	while read -r name; do
		[ -n "$name" ] || continue
		names+=("$name")
		pass_args+=(--file "$DEMO_BIN/$name" "$DEMO_GUEST_DIR/$name"
			--after "run $DEMO_GUEST_DIR/$name")
	done <"$DEMO_BIN/demo.list"
	rtsync_pass --show --no-programs "${pass_args[@]}" stock
	demo_summary "${names[@]}"
fi
run_end
