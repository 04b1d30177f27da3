# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Shell library of rtsync's VM test harness, sourced by check.sh, demo.sh
# and deps.sh. It only defines variables and functions; each concern
# lives in its own file under lib/:
#   kernels.sh    which kernels exist and where their pieces are
#   kmod.sh       building external modules per kernel, in the cache
#   initramfs.sh  the guest's root file system (with guest-init.sh as /init)
#   boot.sh       running one guest under QEMU with a hard time limit
#   verdict.sh    turning a boot's logs into PASS/FAIL/SKIP lines
#   kunit.sh      building the KUnit module for kernels that have KUnit
#   rtsync-pass.sh  building rtsync and running it on one kernel
#   host-tests.sh   librtsync's unit tests, on the build host
# This file holds what they share: paths, messages and the result tally.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_LIB=$VM_DIR/lib
TOP=$(cd "$VM_DIR/../.." && pwd)

# Everything downloaded or built for the VM lives outside the repository, so
# a second run reuses it and the work tree stays clean.
RTSYNC_CACHE=${RTSYNC_CACHE:-$HOME/.cache/rtsync}

# say MESSAGE...: one progress line.
say() {
	echo "rtsync: $*"
}

# die MESSAGE...: stop the whole run; for broken set-ups, not test failures.
die() {
	echo "rtsync: error: $*" >&2
	exit 1
}

# as_root CMD...: apt-get and friends need root; use sudo only when not root.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# --- Result tally --------------------------------------------------------
# Every test of a run ends up as exactly one PASS, FAIL or SKIP line printed
# by record(); summary() prints the closing "N passed, N failed" line.

TALLY_PASS=0
TALLY_FAIL=0
TALLY_SKIP=0
# The failed tests' lines (and the first lines of their explanations,
# added by note_failure), repeated by summary() just before its last line
# so that the end of a long run's output says what failed.
TALLY_FAILURES=""
FAILURES_SHOWN=20

# record KIND NAME: KIND is PASS, FAIL or SKIP; a SKIP's NAME ends with
# "(reason)".
record() {
	case $1 in
	PASS) TALLY_PASS=$((TALLY_PASS + 1)) ;;
	FAIL)
		TALLY_FAIL=$((TALLY_FAIL + 1))
		[ "$TALLY_FAIL" -gt "$FAILURES_SHOWN" ] ||
			TALLY_FAILURES="$TALLY_FAILURES  FAIL $2"$'\n'
		;;
	SKIP) TALLY_SKIP=$((TALLY_SKIP + 1)) ;;
	*) die "record: unknown result kind '$1'" ;;
	esac
	echo "$1 $2"
}

# note_failure LINE: add a line explaining the last failed test to what
# summary() repeats.
note_failure() {
	[ "$TALLY_FAIL" -gt "$FAILURES_SHOWN" ] ||
		TALLY_FAILURES="$TALLY_FAILURES    $1"$'\n'
}

# summary: the last line of every run, after the failed tests again;
# returns non-zero when anything failed.
summary() {
	local line="$TALLY_PASS passed, $TALLY_FAIL failed"

	if [ "$TALLY_FAIL" -gt 0 ]; then
		echo "failed tests:"
		printf '%s' "$TALLY_FAILURES"
		[ "$TALLY_FAIL" -le "$FAILURES_SHOWN" ] ||
			echo "  ... and $((TALLY_FAIL - FAILURES_SHOWN)) more (see above)"
	fi

	[ "$TALLY_SKIP" -eq 0 ] || line="$line, $TALLY_SKIP skipped"
	echo "$line"
	[ "$TALLY_FAIL" -eq 0 ]
}

# --- Run directories -----------------------------------------------------
# Each run keeps its logs (one sub-directory per boot) in
# $RTSYNC_CACHE/logs/<time>-<what>-<pid>/; older runs are pruned so the
# cache does not grow without bound.

RUNS_KEPT=20

RUN_ENDED=0

# run_begin WHAT: create RUN_DIR for this run and announce it. From here
# on the run ends with its summary line even if the harness itself breaks
# (set -e), and that counts as a failure.
run_begin() {
	local logs=$RTSYNC_CACHE/logs

	trap run_guard EXIT

	mkdir -p "$logs"
	RUN_DIR=$logs/$(date +%Y%m%d-%H%M%S)-$1-$$
	mkdir -p "$RUN_DIR"
	# Names start with the time, so a reverse sort puts the newest first.
	find "$logs" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
		sort -r | tail -n +$((RUNS_KEPT + 1)) |
		while IFS= read -r old; do rm -rf "${logs:?}/$old"; done
	say "logs of this run: $RUN_DIR"
}

# run_end: the summary line; returns non-zero when anything failed.
run_end() {
	RUN_ENDED=1
	say "logs of this run: $RUN_DIR"
	summary
}

# run_guard: the EXIT trap set by run_begin.
run_guard() {
	local status=$?

	if [ "$RUN_ENDED" -eq 0 ]; then
		record FAIL "harness: stopped early with status $status (see above)"
		RUN_ENDED=1
		summary || true
		exit 1
	fi
}

# elapsed_since START: whole seconds since START (a $SECONDS value).
elapsed_since() {
	echo $((SECONDS - $1))
}

# show_tail FILE [N]: the end of a log, indented, to explain a failure.
show_tail() {
	tail -n "${2:-25}" "$1" | sed 's/^/    /'
}

# shellcheck source=lib/kernels.sh
. "$VM_LIB/kernels.sh"
# shellcheck source=lib/kmod.sh
. "$VM_LIB/kmod.sh"
# shellcheck source=lib/initramfs.sh
. "$VM_LIB/initramfs.sh"
# shellcheck source=lib/boot.sh
. "$VM_LIB/boot.sh"
# shellcheck source=lib/verdict.sh
. "$VM_LIB/verdict.sh"
# shellcheck source=lib/kunit.sh
. "$VM_LIB/kunit.sh"
# shellcheck source=lib/rtsync-pass.sh
. "$VM_LIB/rtsync-pass.sh"
# shellcheck source=lib/host-tests.sh
. "$VM_LIB/host-tests.sh"
