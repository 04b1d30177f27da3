# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Tests that run on the build host itself, no VM needed:
#  - librtsync's unit tests (`make -C userspace/lib check`), which check
#    what the library decides alone, before or without the device; each
#    TAP check is one test of the tally, "host/librtsync: <description>";
#  - the packaging checks of tests/install/check-install.sh (make install
#    into a staging tree, pkg-config builds, man pages, make uninstall,
#    dkms add/build/remove), against the stock kernel's headers: "host/
#    install: <description>";
#  - the wait path's model, checked by spin (tests/model/check.sh): "host/
#    model: <description>";
#  - the Python binding's checks that need no device (mypy on the package
#    and its tests, pip wheel; userspace/python/tests/check-host.sh):
#    "host/python: <description>";
#  - the C++ header under g++ and clang++, C++17 and C++20, with and
#    without exceptions (tests/cxx/check.sh): "host/cxx: <description>".

HOST_TEST_TIMEOUT=300	# s; the unit tests take well under a second
# s; about 10 s warm: make install builds rtsync.ko, then dkms builds it again
INSTALL_TEST_TIMEOUT=600
# s; the exhaustive runs take a few minutes on 2 cores
MODEL_TEST_TIMEOUT=1800
# s; mypy and a wheel build take about 20 s
PYTHON_HOST_TEST_TIMEOUT=600

# host_step NAME LIMIT CMD...: run CMD with a time limit, its output framed
# like a guest's results port (### begin/end), so tap-verdict.awk judges it
# the same way: no plan, a plan the count misses, or a non-zero exit with no
# failed check (a build error) is a failed test too.
host_step() {
	local name=$1 limit=$2 started=$SECONDS code=0
	shift 2

	echo "### begin $name"
	# TERM first, so check-install.sh's cleanup (dkms remove) still runs.
	timeout -k 30 "$limit" "$@" </dev/null 2>&1 || code=$?
	# timeout's 124 is reported like a guest's kill at the limit.
	[ "$code" -ne 124 ] || code=137
	echo "### end $name exit=$code seconds=$(elapsed_since "$started") limit=$limit"
}

# host_tests: build and run them; the results are in the tally.
host_tests() {
	local dir=$RUN_DIR/host started=$SECONDS abi

	mkdir -p "$dir"
	abi=$(stock_abi)
	{
		say "running librtsync's unit tests on this machine (make -C userspace/lib check) ..." >&2
		host_step librtsync "$HOST_TEST_TIMEOUT" \
			make -s --no-print-directory -C "$TOP/userspace/lib" check
		say "running rtsyncctl's unit tests on this machine (userspace/tools list_test, stats_test) ..." >&2
		for t in list_test stats_test; do
			# One TAP stream per step: each program has its own plan.
			host_step "rtsyncctl-$t" "$HOST_TEST_TIMEOUT" sh -c \
				'make -s --no-print-directory -C "$1" "$2" >&2 && cd "$1" && "./$2"' \
				sh "$TOP/userspace/tools" "$t"
		done
		say "checking make install, pkg-config, man pages and dkms (tests/install/check-install.sh, kernel ${abi:-?}) ..." >&2
		host_step install "$INSTALL_TEST_TIMEOUT" \
			env KDIR="/usr/src/linux-headers-$abi" "$TOP/tests/install/check-install.sh"
		say "checking the wait path's model with spin (tests/model/check.sh) ..." >&2
		host_step model "$MODEL_TEST_TIMEOUT" "$TOP/tests/model/check.sh"
		say "checking the Python binding's types and wheel (userspace/python/tests/check-host.sh) ..." >&2
		host_step python "$PYTHON_HOST_TEST_TIMEOUT" \
			"$TOP/userspace/python/tests/check-host.sh"
		say "compiling the C++ header's checks with g++ and clang++ (tests/cxx/check.sh) ..." >&2
		host_step cxx "$HOST_TEST_TIMEOUT" "$TOP/tests/cxx/check.sh"
	} >"$dir/results.log"
	if ! record_verdict < <(awk -v label=host -f "$VM_LIB/tap-verdict.awk" "$dir/results.log"); then
		echo "    log: $dir/results.log"
	fi
	say "host tests finished in $(elapsed_since "$started") s"
}
