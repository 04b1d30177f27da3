#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make bench: rtsync against PI futexes and POSIX/SysV semaphores. Builds
# librtsync, the programs of tests/bench and rtsync.ko, boots the stock
# kernel once (QEMU TCG, 2 vCPUs) and runs every program in that one boot,
# showing their output as it comes. Then prints the Markdown table
# (tests/bench/report.sh) and saves it with a plot as
# tests/bench/results/<kernel release>-<date>.{md,svg}.
#
# A missed target is printed as MISS and does not fail the run; a program
# that could not measure (a build failure, a failed call, a crash, a kernel
# report in the guest log) does, and then nothing is saved under
# tests/bench/results (the run's log directory keeps the table).
#
# Environment: RTSYNC_BENCH_SCALE (default 1) multiplies the run lengths
# (0.2 for a quick look); RTSYNC_CACHE as for make check.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

BENCH_DIR=$TOP/tests/bench
BENCH_BIN=$BENCH_DIR/bin
SCALE=${RTSYNC_BENCH_SCALE:-1}
# Limit of each program in the guest, and of the whole boot (seconds).
PROGRAM_TIMEOUT=240
BOOT_TIMEOUT=900

# build_bench: librtsync and the benchmark programs; a failure is recorded.
build_bench() {
	local log=$RUN_DIR/build-bench.log started=$SECONDS

	say "building librtsync and the benchmark programs ..."
	if make -C "$TOP" lib >"$log" 2>&1 && make -C "$BENCH_DIR" >>"$log" 2>&1; then
		say "built in $(elapsed_since "$started") s"
		return 0
	fi
	record FAIL "build: librtsync and tests/bench"
	show_tail "$log"
	return 1
}

# need_gnuplot: the plot is worth an install; without it the table alone.
need_gnuplot() {
	command -v gnuplot >/dev/null && return 0
	say "installing gnuplot-nox for the plot ..."
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -q install \
		--no-install-recommends gnuplot-nox </dev/null >"$RUN_DIR/gnuplot-install.log" 2>&1 ||
		say "could not install gnuplot-nox (see $RUN_DIR/gnuplot-install.log): no plot"
}

[[ $SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] || die "RTSYNC_BENCH_SCALE must be a number, not '$SCALE'"

started=$SECONDS
run_begin bench
if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
elif build_bench; then
	need_gnuplot
	echo "$SCALE" >"$RUN_DIR/bench.scale"
	programs=()
	plan=()
	while read -r name; do
		[ -z "$name" ] && continue
		programs+=("$name")
		plan+=(--after "test $name")
	done <"$BENCH_BIN/bench.list"
	say "running ${#programs[@]} benchmark programs in one boot (run lengths x $SCALE):" \
		"${programs[*]}; their output follows"
	# Other guests on the host steal time from this one: say how busy it was.
	load_before=$(cut -d' ' -f1 /proc/loadavg)
	rtsync_pass --label bench --no-programs --show --timeout "$BOOT_TIMEOUT" \
		--file "$BENCH_BIN" /rtsync/tests \
		--file "$RUN_DIR/bench.scale" /rtsync/bench.scale \
		--before "timeout $PROGRAM_TIMEOUT" "${plan[@]}" stock

	boot=$RUN_DIR/bench
	if [ -f "$boot/results.log" ]; then
		out=$RUN_DIR/${KREL:-unknown}-$(date +%Y%m%d-%H%M)
		echo
		note="run lengths x $SCALE; host: $(nproc) CPUs, load average $load_before before the boot and $(cut -d' ' -f1 /proc/loadavg) after it"
		if "$BENCH_DIR/report.sh" "$boot/results.log" "$out" "$boot/console.log" "$note"; then
			echo
			if [ "$TALLY_FAIL" -eq 0 ]; then
				mkdir -p "$BENCH_DIR/results"
				cp "$out".* "$BENCH_DIR/results/"
				say "saved $(for f in "$out".*; do printf '%s ' "tests/bench/results/${f##*/}"; done)"
			else
				say "not saved under tests/bench/results: the run had failures"
			fi
		else
			record FAIL "bench: the programs printed no results"
		fi
	fi
fi
say "finished in $(elapsed_since "$started") s"
run_end
