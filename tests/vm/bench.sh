#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make bench: rtsync against PI futexes and POSIX/SysV semaphores. Builds
# librtsync, the programs of tests/bench and rtsync.ko, boots the stock
# kernel once (QEMU TCG, 2 vCPUs) and runs the programs of bench.list in
# that one boot, then boots Debian's PREEMPT_RT kernel once for those of
# bench-rt.list (the real-time latency rows), showing their output as it
# comes. Every row compares rtsync with its peer in the same boot. Then
# prints the Markdown table (tests/bench/report.sh) and saves it with a
# plot as tests/bench/results/<stock kernel release>-<date>.{md,svg}.
#
# A missed target is printed as MISS and does not fail the run; a program
# that could not measure (a build failure, a failed call, a crash, a kernel
# report in the guest log) does, and then nothing is saved under
# tests/bench/results (the run's log directory keeps the table).
#
# Environment: RTSYNC_BENCH_SCALE (default 1) multiplies the run lengths
# (0.2 for a quick look); RTSYNC_BENCH_BOOTS (default "stock rt") names the
# boots to make; RTSYNC_CACHE as for make check.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# shellcheck source=lib/matrix.sh
. "$VM_LIB/matrix.sh"

BENCH_DIR=$TOP/tests/bench
BENCH_BIN=$BENCH_DIR/bin
SCALE=${RTSYNC_BENCH_SCALE:-1}
BOOTS=${RTSYNC_BENCH_BOOTS:-stock rt}
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

# bench_boot LABEL LIST KERNEL: one boot of KERNEL running the programs
# named in LIST; their rows go to $results behind a "# boot" line naming
# the kernel that ran (report.sh reads it).
bench_boot() {
	local label=$1 list=$2 kernel=$3 name boot=$RUN_DIR/$1 programs=() plan=()

	while read -r name; do
		[ -z "$name" ] && continue
		programs+=("$name")
		plan+=(--after "test $name")
	done <"$list"
	say "running ${#programs[@]} benchmark programs in one boot of the $kernel kernel" \
		"(run lengths x $SCALE): ${programs[*]}; their output follows"
	rtsync_pass --label "$label" --no-programs --show --timeout "$BOOT_TIMEOUT" \
		--file "$BENCH_BIN" /rtsync/tests \
		--file "$RUN_DIR/bench.scale" /rtsync/bench.scale \
		--before "timeout $PROGRAM_TIMEOUT" "${plan[@]}" "$kernel"
	[ -f "$boot/results.log" ] || return 0
	{
		echo "# boot | $(tr -d '\r' <"$boot/console.log" |
			sed -n 's/.*\(Linux version [^ ]*\) .*\(#.*\)$/\1 \2/p' | head -n 1)"
		cat "$boot/results.log"
	} >>"$results"
}

[[ $SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] || die "RTSYNC_BENCH_SCALE must be a number, not '$SCALE'"
for boot in $BOOTS; do
	[[ $boot == stock || $boot == rt ]] ||
		die "RTSYNC_BENCH_BOOTS names stock and rt, not '$boot'"
done

started=$SECONDS
run_begin bench
if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
elif build_bench; then
	need_gnuplot
	echo "$SCALE" >"$RUN_DIR/bench.scale"
	# Other guests on the host steal time from this one: say how busy it was.
	load_before=$(cut -d' ' -f1 /proc/loadavg)
	results=$RUN_DIR/results.log
	: >"$results"
	first_krel=
	if [[ " $BOOTS " == *" stock "* ]]; then
		bench_boot bench "$BENCH_BIN/bench.list" stock
		first_krel=${KREL:-}
	fi
	if [[ " $BOOTS " == *" rt "* ]]; then
		if matrix_fetch rt >"$RUN_DIR/fetch-rt.log" 2>&1; then
			bench_boot bench-rt "$BENCH_BIN/bench-rt.list" rt
			first_krel=${first_krel:-${KREL:-}}
		else
			record FAIL "bench-rt: fetch the PREEMPT_RT kernel ($(grep -v '^ *$' "$RUN_DIR/fetch-rt.log" | tail -n 1))"
		fi
	fi

	if [ -s "$results" ]; then
		out=$RUN_DIR/${first_krel:-unknown}-$(date +%Y%m%d-%H%M)
		echo
		note="run lengths x $SCALE; host: $(nproc) CPUs, load average $load_before before the boots and $(cut -d' ' -f1 /proc/loadavg) after them"
		if "$BENCH_DIR/report.sh" "$results" "$out" "" "$note"; then
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
