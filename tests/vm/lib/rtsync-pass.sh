# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Building rtsync and running it on one kernel: the steps check.sh and
# demo.sh share.

INTEGRATION_BIN=$TOP/tests/integration/bin

# Time limits of a boot that runs the integration tests:
# - each program is killed by the guest after TEST_TIMEOUT s times the
#   kernel's KTIME_FACTOR (kernels.sh), and the rest still run;
# - a guest silent for longer than that (plus time to boot and clean up)
#   is stuck and killed (vm_boot's BOOT_IDLE_LIMIT);
# - the whole boot may take PASS_TIMEOUT s, by default 10 minutes plus one
#   per program, so a long but progressing run is not cut short.
TEST_TIMEOUT=${RTSYNC_TEST_TIMEOUT:-300}
PASS_IDLE_MARGIN=120
PASS_TIMEOUT=${RTSYNC_VM_TIMEOUT:-}

# build_userspace: librtsync and the static test programs (`make lib tests`);
# a failure is recorded as a failed test.
build_userspace() {
	local log=$RUN_DIR/build-userspace.log started=$SECONDS

	say "building librtsync and the test programs (make lib tests) ..."
	if make -C "$TOP" lib tests >"$log" 2>&1; then
		say "built userspace in $(elapsed_since "$started") s"
		return 0
	fi
	record FAIL "build: make lib tests"
	show_tail "$log"
	return 1
}

# build_rtsync_module: rtsync.ko for the current kernel, in its own build
# directory; a failure is recorded as a failed test.
build_rtsync_module() {
	local log=$RUN_DIR/build-$KNAME-rtsync.log started=$SECONDS

	say "building rtsync.ko for the $KNAME kernel $KREL ..."
	if kmod_build rtsync "$log" "$TOP/Kbuild" "$TOP/module" "$TOP/uapi"; then
		say "built rtsync.ko in $(elapsed_since "$started") s"
		return 0
	fi
	record FAIL "$KNAME/build: rtsync.ko"
	show_tail "$log"
	return 1
}

# rtsync_pass [OPTION...] KERNEL: build rtsync.ko for KERNEL, boot it with a
# plan that loads the module and runs the test programs, and record the
# results. Returns 0 unless the harness itself broke: the tests' failures
# are in the tally.
#   --label NAME      first part of the test names (default: KERNEL), to
#                     tell two passes on one kernel apart
#   --append WORDS    kernel command line words, e.g. preempt=full
#   --timeout SECS    hard limit of the boot (default: PASS_TIMEOUT, or
#                     600 s plus 60 s per program)
#   --list FILE       the programs to run, one name a line, from
#                     $INTEGRATION_BIN (default tests.list there; none if
#                     FILE does not exist)
#   --no-programs     run no test programs (their build failed: the old
#                     binaries must not stand in for them)
#   --file SRC DEST   one more file (or directory) in the guest
#   --before LINE     a plan line between loading rtsync.ko and the programs
#   --after LINE      a plan line after the programs (e.g. `run` a demo)
#   --kunit           also build rtsync_kunit.ko (kunit.sh; the kernel must
#                     have CONFIG_KUNIT), load it after rtsync.ko, which runs
#                     its suites, and unload it before the programs (the
#                     module_lifecycle test unloads rtsync.ko, which
#                     rtsync_kunit.ko would pin); its KTAP on the console is
#                     judged with the boot
#   --leak-check      at the end, scan for leaked memory (the kernel must
#                     have kmemleak), unload rtsync.ko (refused while any
#                     rtsync object is left) and scan again, for leaks of
#                     the unload itself
#   --show            show the guest's output as it comes, for a human
#   --ko FILE         load this rtsync.ko (built elsewhere, e.g. by DKMS)
#                     instead of building one
rtsync_pass() {
	local label="" append=() limit=$PASS_TIMEOUT list=$INTEGRATION_BIN/tests.list
	local files=() before=() after=() watch=steps kunit=0 leak_check=0 dir name
	local test_limit ko=""

	while [ $# -gt 1 ]; do
		case $1 in
		--label) label=$2; shift 2 ;;
		--append) append+=("$2"); shift 2 ;;
		--timeout) limit=$2; shift 2 ;;
		--list) list=$2; shift 2 ;;
		--no-programs) list=""; shift ;;
		--file) files+=("$2" "$3"); shift 3 ;;
		--before) before+=("$2"); shift 2 ;;
		--after) after+=("$2"); shift 2 ;;
		--kunit) kunit=1; shift ;;
		--leak-check) leak_check=1; shift ;;
		--show) watch=text; shift ;;
		--ko) ko=$2; shift 2 ;;
		*) die "rtsync_pass: unknown option $1" ;;
		esac
	done
	if ! kernel_use "$1"; then
		record FAIL "$1: kernel and its build tree are present"
		return 0
	fi
	label=${label:-$KNAME}
	test_limit=$((TEST_TIMEOUT * KTIME_FACTOR))
	if [ -z "$ko" ]; then
		build_rtsync_module || return 0
		ko=$(kmod_dir rtsync)/rtsync.ko
	fi
	# Without its KUnit module (the failure is recorded) the pass still
	# runs the programs.
	[ "$kunit" -eq 0 ] || build_kunit_module || kunit=0

	dir=$RUN_DIR/$label
	initramfs_begin "$dir/root"
	initramfs_add "$dir/root" "$ko" /rtsync/rtsync.ko
	rm -f "$dir/kunit-suites"
	if [ "$kunit" -eq 1 ]; then
		initramfs_add "$dir/root" "$(kmod_dir "$KUNIT_MODULE")/$KUNIT_MODULE.ko" \
			"/rtsync/$KUNIT_MODULE.ko"
		# How many suites the verdict must see (verdict.sh).
		if ! kunit_suite_count "$(kmod_dir "$KUNIT_MODULE")/$KUNIT_MODULE.ko" \
			>"$dir/kunit-suites"; then
			record FAIL "$label/build: $KUNIT_MODULE.ko holds KUnit suites"
			rm -f "$dir/kunit-suites"
		fi
	fi
	if [ -n "$list" ] && [ -d "$INTEGRATION_BIN" ]; then
		initramfs_add "$dir/root" "$INTEGRATION_BIN" /rtsync/tests
	fi
	set -- "${files[@]}"
	while [ $# -gt 0 ]; do
		initramfs_add "$dir/root" "$1" "$2"
		shift 2
	done
	{
		echo "timeout $test_limit"
		echo "insmod /rtsync/rtsync.ko rtsync.ko"
		if [ "$kunit" -eq 1 ]; then
			echo "insmod /rtsync/$KUNIT_MODULE.ko $KUNIT_MODULE.ko"
			echo "rmmod $KUNIT_MODULE"
		fi
		[ ${#before[@]} -eq 0 ] || printf '%s\n' "${before[@]}"
		if [ -n "$list" ] && [ -f "$list" ]; then
			while read -r name; do
				[ -z "$name" ] || echo "test $name"
			done <"$list"
		fi
		[ ${#after[@]} -eq 0 ] || printf '%s\n' "${after[@]}"
		if [ "$leak_check" -eq 1 ]; then
			echo "kmemleak after the tests"
			echo "rmmod rtsync"
			echo "kmemleak after unloading rtsync"
		fi
	} >"$dir/plan"
	cp "$dir/plan" "$dir/root/rtsync/plan"
	[ -n "$limit" ] || limit=$((600 + 60 * $(grep -c '^test ' "$dir/plan" || true)))
	initramfs_pack "$dir/root" "$dir/initramfs.cpio.gz"
	rm -rf "$dir/root"	# the archive holds all of it

	BOOT_WATCH=$watch BOOT_IDLE_LIMIT=$((test_limit + PASS_IDLE_MARGIN)) vm_boot "$dir" "$dir/initramfs.cpio.gz" "$limit" "${append[@]}" || true
	# A failed boot keeps its initramfs, to be booted again by hand
	# (qemu.cmd); a good one frees the space.
	if vm_verdict "$label" "$dir"; then
		rm -f "$dir/initramfs.cpio.gz"
	fi
}
