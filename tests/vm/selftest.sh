# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The harness's self-test, sourced by check.sh: boots guests that go wrong
# on purpose and checks that the verdict reports each of them as failed,
# and reports a good program as passed (a harness that failed everything
# would otherwise pass). Each expectation is one test in the summary,
# "selftest/<kernel>: harness ...". The guests' own PASS/FAIL lines are not
# counted; they are shown only when an expectation is not met.

SELFTEST_DIR=$VM_DIR/selftest
SELFTEST_PROGRAMS=(tap_pass tap_fail tap_crash)
SELFTEST_MODULES=(warn_on_load panic_on_load leak_on_load)
SELFTEST_TIMEOUT=300	# a boot that is meant to finish
SELFTEST_HANG_TIMEOUT=60	# the boot that is meant to hang
SELFTEST_IDLE_LIMIT=20	# the boot that is meant to go silent

# selftest_build: the static TAP programs (with the integration tests' TAP
# helper) and the misbehaving modules for the current kernel.
selftest_build() {
	local log=$RUN_DIR/build-selftest.log program

	SELFTEST_BIN=$RUN_DIR/selftest-bin
	mkdir -p "$SELFTEST_BIN"
	: >"$log"
	for program in "${SELFTEST_PROGRAMS[@]}"; do
		gcc -static -O2 -Wall -Wextra -Werror -I"$TOP/tests/integration" \
			-o "$SELFTEST_BIN/$program" "$SELFTEST_DIR/$program.c" \
			>>"$log" 2>&1 || { show_tail "$log"; return 1; }
	done
	kmod_build selftest "$log" "$SELFTEST_DIR/modules/" ||
		{ show_tail "$log"; return 1; }
}

# selftest_boot NAME LIMIT PLAN_LINE...: boot the current kernel with the
# self-test programs and modules and this plan; the verdict's output goes to
# SELFTEST_VERDICT (computed in a subshell, so it is not tallied). Set
# BOOT_IDLE_LIMIT for the call to have silence checked too.
selftest_boot() {
	local name=$1 limit=$2 dir module
	shift 2

	dir=$RUN_DIR/selftest-$name
	initramfs_begin "$dir/root"
	initramfs_add "$dir/root" "$SELFTEST_BIN" /rtsync/tests
	for module in "${SELFTEST_MODULES[@]}"; do
		initramfs_add "$dir/root" "$(kmod_dir selftest)/$module.ko" "/rtsync/$module.ko"
	done
	printf '%s\n' "$@" >"$dir/root/rtsync/plan"
	initramfs_pack "$dir/root" "$dir/initramfs.cpio.gz"
	rm -rf "$dir/root"
	BOOT_WATCH=none vm_boot "$dir" "$dir/initramfs.cpio.gz" "$limit" || true
	SELFTEST_VERDICT=$(vm_verdict "$KNAME" "$dir" || true)
	rm -f "$dir/initramfs.cpio.gz"	# built afresh by every run
	SELFTEST_BOOT_DIR=$dir
}

# verdict_has LINE / verdict_has_match REGEX / verdict_count REGEX: what the
# last self-test boot's verdict said.
verdict_has() {
	grep -qxF -- "$1" <<<"$SELFTEST_VERDICT"
}

verdict_has_match() {
	grep -qE -- "$1" <<<"$SELFTEST_VERDICT"
}

verdict_count() {
	grep -cE -- "$1" <<<"$SELFTEST_VERDICT" || true
}

# expect WHAT CONDITION...: one self-test result; CONDITION is a command.
expect() {
	local what=$1
	shift
	if "$@"; then
		record PASS "selftest/$SELFTEST_KERNEL: harness $what"
	else
		record FAIL "selftest/$SELFTEST_KERNEL: harness $what"
		echo "    the verdict on $SELFTEST_BOOT_DIR was:"
		sed 's/^/    > /' <<<"$SELFTEST_VERDICT"
	fi
}

# The expectations, one function each, about the last boot's verdict.
SELFTEST_KERNEL=""	# its name in test names, set by selftest_run

tap_pass_is_clean() {
	verdict_has "PASS $SELFTEST_KERNEL/tap_pass: arithmetic works" &&
		verdict_has "PASS $SELFTEST_KERNEL/tap_pass: runs as a process of its own" &&
		[ "$(verdict_count "^FAIL $SELFTEST_KERNEL/tap_pass")" -eq 0 ] &&
		# and nothing else went wrong in that boot
		[ "$(verdict_count '^FAIL ')" -eq 2 ]
}

tap_fail_fails_once() {
	verdict_has "PASS $SELFTEST_KERNEL/tap_fail: a check that passes" &&
		verdict_has "FAIL $SELFTEST_KERNEL/tap_fail: a check that fails" &&
		verdict_has "SKIP $SELFTEST_KERNEL/tap_fail: a check that is skipped (nothing to test)" &&
		[ "$(verdict_count "^FAIL $SELFTEST_KERNEL/tap_fail")" -eq 1 ]
}

tap_crash_fails() {
	verdict_has "PASS $SELFTEST_KERNEL/tap_crash: a check before the crash" &&
		verdict_has_match "^FAIL $SELFTEST_KERNEL/tap_crash: no TAP plan .*killed by signal 6"
}

warn_fails() {
	verdict_has "PASS $SELFTEST_KERNEL/insmod: warn_on_load.ko loads" &&
		verdict_has_match "^FAIL $SELFTEST_KERNEL: kernel log: WARNING: .*warn_on_load" &&
		! verdict_has_match "^FAIL $SELFTEST_KERNEL: guest did not finish"
}

leak_fails() {
	verdict_has "PASS $SELFTEST_KERNEL/insmod: leak_on_load.ko loads" &&
		verdict_has "PASS $SELFTEST_KERNEL/kmemleak: kmemleak scan after loading" &&
		verdict_has_match "^FAIL $SELFTEST_KERNEL: kernel log: unreferenced object "
}

panic_fails() {
	verdict_has_match "^FAIL $SELFTEST_KERNEL: guest did not finish its plan \(the guest stopped early" &&
		verdict_has_match "^FAIL $SELFTEST_KERNEL: kernel log: Kernel panic .*deliberate panic" &&
		verdict_has_match "^FAIL $SELFTEST_KERNEL/insmod: did not finish"
}

# The guest must have reached the hang, not merely booted slowly.
reached_hang() {
	tr -d '\r' <"$SELFTEST_BOOT_DIR/results.log" | grep -qx '# hanging on purpose'
}

hang_fails() {
	reached_hang &&
		verdict_has_match "^FAIL $SELFTEST_KERNEL: guest did not finish its plan \(killed at the $SELFTEST_HANG_TIMEOUT s time limit" &&
		[ "$(verdict_count "^FAIL $SELFTEST_KERNEL: kernel log")" -eq 0 ]
}

silence_fails() {
	reached_hang &&
		verdict_has_match "^FAIL $SELFTEST_KERNEL: guest did not finish its plan \(killed after $SELFTEST_IDLE_LIMIT s without results output" &&
		[ "$(verdict_count "^FAIL $SELFTEST_KERNEL: kernel log")" -eq 0 ]
}

# The scenarios, one boot each, with the expectations about its verdict.
SELFTEST_SCENARIOS=(tap warn panic hang silence)

selftest_tap() {
	selftest_boot tap "$SELFTEST_TIMEOUT" \
		"test tap_pass" "test tap_fail" "test tap_crash"
	expect "passes a clean TAP program" tap_pass_is_clean
	expect "fails a TAP program that fails one check" tap_fail_fails_once
	expect "fails a program that crashes before its plan" tap_crash_fails
}

# On the debug kernel this also proves its configuration lets WARN print:
# tinyconfig turns CONFIG_BUG off, which silences every WARN. A kernel with
# kmemleak also gets a leak in the same boot (debug boots are slow), which
# its scan must report: a leak check that never fails proves nothing.
selftest_warn() {
	local leak=()

	if kernel_has CONFIG_DEBUG_KMEMLEAK; then
		leak=("insmod /rtsync/leak_on_load.ko leak_on_load.ko"
			"kmemleak after loading")
	fi
	selftest_boot warn "$SELFTEST_TIMEOUT" \
		"insmod /rtsync/warn_on_load.ko warn_on_load.ko" "${leak[@]}"
	expect "fails on a WARN" warn_fails
	[ ${#leak[@]} -eq 0 ] || expect "fails on leaked memory (kmemleak)" leak_fails
}

selftest_panic() {
	selftest_boot panic "$SELFTEST_TIMEOUT" \
		"insmod /rtsync/panic_on_load.ko panic_on_load.ko" "sh true"
	expect "fails on a panic" panic_fails
}

selftest_hang() {
	selftest_boot hang "$SELFTEST_HANG_TIMEOUT" "hang"
	expect "fails on a hang" hang_fails
}

selftest_silence() {
	# Well within the hard limit, so only the silence can end this one.
	BOOT_IDLE_LIMIT=$SELFTEST_IDLE_LIMIT selftest_boot silence "$SELFTEST_TIMEOUT" "hang"
	expect "fails on a guest that stops producing output" silence_fails
}

# selftest_run KERNEL [SCENARIO...]: the self-test on one kernel: the
# scenarios named (see SELFTEST_SCENARIOS), or all of them.
selftest_run() {
	local started=$SECONDS scenario kernel=$1
	shift
	[ $# -gt 0 ] || set -- "${SELFTEST_SCENARIOS[@]}"

	say "harness self-test on the $kernel kernel ($*) ..."
	SELFTEST_KERNEL=$kernel
	if ! kernel_use "$kernel"; then
		record FAIL "selftest/$kernel: kernel and its build tree are present"
		return 0
	fi
	if ! selftest_build; then
		record FAIL "selftest/$kernel: build the self-test programs and modules"
		return 0
	fi
	for scenario in "$@"; do
		"selftest_$scenario"
	done
	say "self-test finished in $(elapsed_since "$started") s"
}
