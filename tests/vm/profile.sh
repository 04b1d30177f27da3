#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make bench-profile: where an uncontended LOCK+UNLOCK spends its time
# beyond the floor (two NOP ioctls). Boots the stock kernel once with
# rtsync.ko, the host's perf and tests/bench/profile_loop in the guest,
# samples each loop with `perf record -e cpu-clock`, and prints, per
# symbol, the nanoseconds per iteration it took in each loop and the
# difference, largest first. Under TCG a sample lands where a translated
# block starts, so calls, returns and atomics weigh more than on hardware;
# compare symbols, not absolute times.
#
# Environment: RTSYNC_PROFILE_ITERS (default 300000) iterations per loop.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# shellcheck source=lib/pyguest.sh
. "$VM_LIB/pyguest.sh"	# pyguest_copy_libs

ITERS=${RTSYNC_PROFILE_ITERS:-300000}
[[ $ITERS =~ ^[1-9][0-9]*$ ]] || die "RTSYNC_PROFILE_ITERS must be a positive integer, not '$ITERS'"

# need_perf: Debian's perf (linux-perf) on the host, copied into the guest.
need_perf() {
	command -v perf >/dev/null && return 0
	say "installing linux-perf ..."
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -q install \
		--no-install-recommends linux-perf </dev/null >"$RUN_DIR/perf-install.log" 2>&1
}

# stage TREE: perf, its libraries, profile_loop and the plan step.
stage() {
	local tree=$1 perf

	rm -rf "$tree"
	mkdir -p "$tree/usr/bin" "$tree/rtsync/tests"
	perf=$(readlink -f "$(command -v perf)")
	cp "$perf" "$tree/usr/bin/perf"
	pyguest_copy_libs "$tree" "$perf"
	cp "$RUN_DIR/profile_loop" "$tree/usr/bin/profile_loop"
	cat >"$tree/rtsync/tests/profile" <<-SCRIPT
	#!/bin/sh
	# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	echo "1..2"
	n=0
	for kind in nop lock; do
		n=\$((n + 1))
		if perf record -q -e cpu-clock -F 20000 -o /tmp/\$kind.data \\
			profile_loop \$kind $ITERS >/tmp/\$kind.out 2>&1; then
			echo "ok \$n - profile_loop \$kind under perf"
		else
			echo "not ok \$n - profile_loop \$kind under perf"
			sed 's/^/# /' /tmp/\$kind.out
			continue
		fi
		echo "profile-time \$(grep "^\$kind " /tmp/\$kind.out)"
		perf report -i /tmp/\$kind.data --stdio --sort sym 2>/dev/null |
			awk -v k=\$kind '/%/ && \$1 ~ /%\$/ { print "profile-sym", k, \$1, \$NF }'
	done
	SCRIPT
	chmod +x "$tree/rtsync/tests/profile"
}

started=$SECONDS
run_begin profile
if ! "$VM_DIR/deps.sh"; then
	record FAIL "setup: tests/vm/deps.sh"
elif ! need_perf; then
	record FAIL "setup: linux-perf (see $RUN_DIR/perf-install.log)"
elif ! make -C "$TOP" lib >"$RUN_DIR/build.log" 2>&1 ||
	! gcc -O2 -static -Wall -Wextra -Werror -I"$TOP/userspace/include" \
		-I"$TOP/uapi" -o "$RUN_DIR/profile_loop" \
		"$TOP/tests/bench/profile_loop.c" "$TOP/userspace/lib/librtsync.a" \
		>>"$RUN_DIR/build.log" 2>&1; then
	record FAIL "build: librtsync and profile_loop"
	show_tail "$RUN_DIR/build.log"
else
	stage "$RUN_DIR/profile-tree"
	say "profiling $ITERS iterations of each loop in one boot ..."
	rtsync_pass --label profile --no-programs --file "$RUN_DIR/profile-tree" / \
		--before "test profile" stock
	rm -rf "$RUN_DIR/profile-tree"
	log=$RUN_DIR/profile/results.log
	if [ -f "$log" ]; then
		echo
		awk -f "$VM_LIB/profile-report.awk" "$log"
	fi
fi
say "finished in $(elapsed_since "$started") s"
run_end
