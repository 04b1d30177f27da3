# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Building rtsync and running it on one kernel: the steps check.sh and
# demo.sh share.

INTEGRATION_BIN=$TOP/tests/integration/bin

# Time limits of a boot that runs the integration tests:
# - each program is killed by the guest after TEST_TIMEOUT s, and the rest
#   still run;
# - a guest silent for longer than that (plus time to boot and clean up)
#   is stuck and killed (vm_boot's BOOT_IDLE_LIMIT);
# - the whole boot may take PASS_TIMEOUT s, by default 10 minutes plus one
#   per program, so a long but progressing run is not cut short.
TEST_TIMEOUT=${RTSYNC_TEST_TIMEOUT:-300}
PASS_IDLE_LIMIT=$((TEST_TIMEOUT + 120))
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
#                     (e.g. loading a KUnit module given with --file)
#   --after LINE      a plan line after the programs (e.g. a kmemleak scan)
#   --show            print the guest's results output as it comes
rtsync_pass() {
	local label="" append=() limit=$PASS_TIMEOUT list=$INTEGRATION_BIN/tests.list
	local files=() before=() after=() watch=steps dir name

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
		--show) watch=all; shift ;;
		*) die "rtsync_pass: unknown option $1" ;;
		esac
	done
	if ! kernel_use "$1"; then
		record FAIL "$1: kernel and its build tree are present"
		return 0
	fi
	label=${label:-$KNAME}
	build_rtsync_module || return 0

	dir=$RUN_DIR/$label
	initramfs_begin "$dir/root"
	initramfs_add "$dir/root" "$(kmod_dir rtsync)/rtsync.ko" /rtsync/rtsync.ko
	if [ -n "$list" ] && [ -d "$INTEGRATION_BIN" ]; then
		initramfs_add "$dir/root" "$INTEGRATION_BIN" /rtsync/tests
	fi
	set -- "${files[@]}"
	while [ $# -gt 0 ]; do
		initramfs_add "$dir/root" "$1" "$2"
		shift 2
	done
	{
		echo "timeout $TEST_TIMEOUT"
		echo "insmod /rtsync/rtsync.ko rtsync.ko"
		[ ${#before[@]} -eq 0 ] || printf '%s\n' "${before[@]}"
		if [ -n "$list" ] && [ -f "$list" ]; then
			while read -r name; do
				[ -z "$name" ] || echo "test $name"
			done <"$list"
		fi
		[ ${#after[@]} -eq 0 ] || printf '%s\n' "${after[@]}"
	} >"$dir/plan"
	cp "$dir/plan" "$dir/root/rtsync/plan"
	[ -n "$limit" ] || limit=$((600 + 60 * $(grep -c '^test ' "$dir/plan" || true)))
	initramfs_pack "$dir/root" "$dir/initramfs.cpio.gz"
	rm -rf "$dir/root"	# the archive holds all of it

	BOOT_WATCH=$watch BOOT_IDLE_LIMIT=$PASS_IDLE_LIMIT vm_boot "$dir" "$dir/initramfs.cpio.gz" "$limit" "${append[@]}" || true
	# A failed boot keeps its initramfs, to be booted again by hand
	# (qemu.cmd); a good one frees the space.
	if vm_verdict "$label" "$dir"; then
		rm -f "$dir/initramfs.cpio.gz"
	fi
}
