#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make check [--quick]: installs what is missing, builds rtsync, runs
# librtsync's unit tests and the install checks (make install, pkg-config,
# man pages, dkms) on this machine, boots the stock kernel in QEMU with the
# integration tests, boots it again with the Python binding's tests
# (lib/pyguest.sh), and then (not with --quick) boots Debian 12's
# PREEMPT_RT kernel (fetched into the cache the first time) with the same
# tests, builds the debug kernel (lockdep, KASAN, kmemleak, KUnit; cached)
# and boots it with the KUnit suite, the integration tests and a leak
# check, builds the Debian packages and installs them in a Debian 12
# chroot, booting the module DKMS built there (lib/debpkg.sh), and checks
# that the harness itself catches failures. Prints one
# line per test and ends with "N passed, N failed"; exits non-zero when
# anything failed.
# Between the stock and the PREEMPT_RT passes (not with --quick), one more
# stock boot with CPU 1 isolated (isolcpus=1 nohz_full=1) runs
# boot_isolcpus: rtsync's timed waits must leave that CPU alone.
# Environment: RTSYNC_CACHE (default ~/.cache/rtsync), RTSYNC_VM_TIMEOUT
# (hard limit of a test boot, s), RTSYNC_TEST_TIMEOUT (limit of one test
# program, s).
set -euo pipefail

. "$(dirname "$0")/lib.sh"
. "$VM_DIR/selftest.sh"
# shellcheck source=lib/matrix.sh
. "$VM_LIB/matrix.sh"
# shellcheck source=lib/pyguest.sh
. "$VM_LIB/pyguest.sh"
# shellcheck source=lib/debpkg.sh
. "$VM_LIB/debpkg.sh"

quick=0
case ${1:-} in
--quick) quick=1 ;;
'') ;;
*) die "usage: $0 [--quick]" ;;
esac

# rt_kernel_pass [OPTION...]: the integration tests on Debian 12's
# PREEMPT_RT kernel. lib/matrix.sh fetches it the first time (its headers
# package installed on the host, its image unpacked into the cache); a
# kernel that cannot be fetched is a failure here, not a skip.
rt_kernel_pass() {
	local log=$RUN_DIR/fetch-rt.log started=$SECONDS

	if ! matrix_fetch rt >"$log" 2>&1; then
		record FAIL "rt: fetch the PREEMPT_RT kernel ($(grep -v '^ *$' "$log" | tail -n 1))"
		show_tail "$log" 10
		return 0
	fi
	say "PREEMPT_RT kernel ready in $(elapsed_since "$started") s"
	rtsync_pass "$@" rt
	say "PREEMPT_RT pass: $(elapsed_since "$started") s"
}

# build_m32: the integration tests as 32-bit programs (tests/integration
# bin32/), and a list of the 64-bit ones followed by those (m32/NAME) and
# then by module_lifecycle, which unloads the module and so runs last.
# Sets with_m32 to the rtsync_pass options that run that list; leaves it
# alone (and records the failure) if the build fails.
build_m32() {
	local log=$RUN_DIR/build-m32.log list=$RUN_DIR/with-m32.list name

	say "building the integration tests as 32-bit programs (make -C tests/integration m32) ..."
	if ! make -C "$TOP/tests/integration" m32 >"$log" 2>&1; then
		record FAIL "build: the 32-bit integration tests (make -C tests/integration m32)"
		show_tail "$log"
		return 0
	fi
	{
		grep -vx module_lifecycle "$INTEGRATION_BIN/tests.list"
		while read -r name; do
			echo "m32/$name"
		done <"$TOP/tests/integration/bin32/tests.list"
		grep -x module_lifecycle "$INTEGRATION_BIN/tests.list" || true
	} >"$list"
	with_m32=(--list "$list" --file "$TOP/tests/integration/bin32" /rtsync/tests/m32)
}

started=$SECONDS
run_begin "check$([ "$quick" -eq 0 ] || echo -quick)"

if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
else
	programs=()
	# Without them the module is still loaded and its log checked.
	build_userspace || programs=(--no-programs)
	host_tests
	with_m32=("${programs[@]}")
	if [ "$quick" -eq 0 ] && [ ${#programs[@]} -eq 0 ]; then
		build_m32
	fi
	rtsync_pass "${with_m32[@]}" stock
	python_pass stock

	if [ "$quick" -eq 0 ]; then
		if [ ${#programs[@]} -eq 0 ]; then
			echo boot_isolcpus >"$RUN_DIR/isolcpus.list"
			rtsync_pass --label isolcpus --append "isolcpus=1 nohz_full=1" \
				--list "$RUN_DIR/isolcpus.list" stock
		fi
		rt_kernel_pass "${programs[@]}"
		rtsync_pass "${with_m32[@]}" --kunit --leak-check debug
		deb_pass
		selftest_run stock
		# One slow boot: a WARN (and a leak) on the debug kernel must fail it.
		selftest_run debug warn
	fi
fi

say "finished in $(elapsed_since "$started") s"
run_end
