# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# rtsync_kunit.ko, the KUnit suite of rtsync's internal API (tests/kunit),
# for kernels built with CONFIG_KUNIT (the debug kernel). It links against
# rtsync.ko and includes module/rtsync.h, so it is built after rtsync.ko
# for the same kernel, from that build's Module.symvers and from the copy
# of module/ and uapi/ that rtsync.ko was built from. Loading it runs the
# suites; their KTAP goes to the kernel log, judged by kunit-verdict.awk.

KUNIT_MODULE=rtsync_kunit

# build_kunit_module: rtsync_kunit.ko for the current kernel, in its own
# build directory (kmod_dir rtsync_kunit); call after build_rtsync_module.
# A failure is recorded as a failed test.
build_kunit_module() {
	local log=$RUN_DIR/build-$KNAME-kunit.log started=$SECONDS rtsync_dir

	if ! kernel_has CONFIG_KUNIT; then
		record FAIL "$KNAME/build: $KUNIT_MODULE.ko (the $KNAME kernel has no CONFIG_KUNIT)"
		return 1
	fi
	rtsync_dir=$(kmod_dir rtsync)
	say "building $KUNIT_MODULE.ko for the $KNAME kernel $KREL ..."
	if RTSYNC_TOP=$rtsync_dir KBUILD_EXTRA_SYMBOLS=$rtsync_dir/Module.symvers \
		kmod_build "$KUNIT_MODULE" "$log" "$TOP/tests/kunit/"; then
		say "built $KUNIT_MODULE.ko in $(elapsed_since "$started") s"
		return 0
	fi
	record FAIL "$KNAME/build: $KUNIT_MODULE.ko"
	show_tail "$log"
	return 1
}

# kunit_suite_count KO: how many KUnit suites the module holds, so the
# verdict can tell a suite that never ran from one that passed. Its
# .kunit_test_suites section is an array of pointers (8 bytes on x86-64),
# one per suite. Prints nothing when there is no such section.
kunit_suite_count() {
	local size

	size=$(objdump -h "$1" | awk '$2 == ".kunit_test_suites" { print $3 }')
	[ -n "$size" ] || return 1
	echo $((16#$size / 8))
}
