# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Tests that run on the build host itself, no VM needed: librtsync's unit
# tests (`make -C userspace/lib check`), which check what the library
# decides alone, before or without the device. Each of their TAP checks is
# one test of the tally, "host/librtsync: <description>".

HOST_TEST_TIMEOUT=300	# s; they take well under a second

# host_tests: build and run them; the results are in the tally.
host_tests() {
	local dir=$RUN_DIR/host started=$SECONDS code=0

	say "running librtsync's unit tests on this machine (make -C userspace/lib check) ..."
	mkdir -p "$dir"
	# Framed like a guest's results port, so tap-verdict.awk judges it
	# the same way: no plan, a plan the count misses, or a non-zero exit
	# with no failed check (a build error) is a failed test too.
	{
		echo "### begin librtsync"
		timeout -s KILL "$HOST_TEST_TIMEOUT" \
			make -s --no-print-directory -C "$TOP/userspace/lib" check \
			</dev/null 2>&1 || code=$?
		echo "### end librtsync exit=$code seconds=$(elapsed_since "$started") limit=$HOST_TEST_TIMEOUT"
	} >"$dir/results.log"
	if ! record_verdict < <(awk -v label=host -f "$VM_LIB/tap-verdict.awk" "$dir/results.log"); then
		echo "    log: $dir/results.log"
	fi
}
