#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# /init of rtsync's test guest (busybox sh). Mounts the usual file systems,
# executes the plan in /rtsync/plan line by line, then powers the guest off.
#
# Results go to the second serial port, /dev/ttyS1, which the host keeps as
# results.log; kernel messages go to the console on ttyS0 (console.log), so
# the two can never interleave. On ttyS1 each plan step is framed:
#   ### begin NAME
#   ...TAP output of the step...
#   ### end NAME exit=CODE seconds=S [limit=SECS]
# and the last line of a complete run is "### done".
#
# Plan lines ('#' starts a comment):
#   timeout SECS        time limit of each later `test` (default 300)
#   insmod PATH LABEL   load a module; reported as one TAP check
#   rmmod NAME          unload a module; reported as one TAP check
#   test NAME           run /rtsync/tests/NAME in /tmp; its stdout and
#                       stderr are its TAP output
#   run PATH [ARGS]     run a program that prints for a human (a demo) in
#                       /tmp, as a step named after it: its output goes to
#                       the results port as TAP comments while it runs, and
#                       its exit status is its one TAP check
#   kmemleak WHEN       scan for leaked kernel memory and copy kmemleak's
#                       report to the console, where the host's scan for
#                       kernel reports finds each "unreferenced object";
#                       then clear it, so a later scan shows only new
#                       leaks. One TAP check: the scan ran. WHEN tells the
#                       scans of one plan apart ("after the tests").
#   sh COMMAND          run a shell command; reported as one TAP check with
#                       its output as TAP comments. Only console.log is
#                       scanned for kernel reports, so output meant for that
#                       scan must go to /dev/console or /dev/kmsg.
#   hang                sleep for ever (to test the host's time limit)
#
# No `set -e`: /init must reach the end whatever a step does, because the
# kernel panics when init exits.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
mkdir -p /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm	# POSIX semaphores and shared memory
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug

results=/dev/ttyS1
test_timeout=300

# step_begin NAME / step_end NAME CODE [LIMIT]: frame one step's output;
# LIMIT is the time limit the step ran under, if any.
step_begin() {
	step_started=$(date +%s)
	echo "### begin $1" >"$results"
}

step_end() {
	echo "### end $1 exit=$2 seconds=$(($(date +%s) - step_started))${3:+ limit=$3}" >"$results"
}

# check NAME DESCRIPTION CMD...: run CMD as a step with exactly one TAP
# check, its output shown as TAP comments.
check() {
	name=$1 description=$2
	shift 2
	step_begin "$name"
	"$@" >/tmp/.step-output 2>&1 </dev/null
	code=$?
	if [ "$code" -eq 0 ]; then
		echo "ok 1 - $description" >"$results"
	else
		echo "not ok 1 - $description (exit $code)" >"$results"
	fi
	sed 's/^/# /' /tmp/.step-output >"$results"
	echo "1..1" >"$results"
	rm -f /tmp/.step-output
	step_end "$name" "$code"
}

# kill_strays: processes a test left behind (timeout kills only the test's
# own process) must not disturb the next test. Kernel threads have no exe;
# busybox timeout's own watcher lingers up to a second and is no news.
kill_strays() {
	for proc in /proc/[0-9]*; do
		pid=${proc#/proc/}
		[ "$pid" -ne 1 ] || continue
		exe=$(readlink "$proc/exe" 2>/dev/null) || continue
		read -r comm <"$proc/comm" 2>/dev/null || continue
		[ "$comm" = timeout ] ||
			echo "# killing process $pid ($exe) left behind"
		kill -9 "$pid" 2>/dev/null
	done
}

# run_program PATH [ARGS]: the `run` plan line.
run_program() {
	name=${1##*/}
	step_begin "$name"
	# The pipe loses the program's status: it comes back through a file.
	{
		(cd /tmp && exec timeout -s KILL "$test_timeout" "$@") </dev/null 2>&1
		echo "$?" >/tmp/.run-status
	} | while IFS= read -r line; do echo "# $line"; done >"$results"
	code=$(cat /tmp/.run-status)
	rm -f /tmp/.run-status
	kill_strays >"$results"
	if [ "$code" -eq 0 ]; then
		echo "ok 1 - $name exits 0" >"$results"
	else
		echo "not ok 1 - $name exits 0 (exit $code)" >"$results"
	fi
	echo "1..1" >"$results"
	step_end "$name" "$code" "$test_timeout"
}

# kmemleak_scan: the `kmemleak` plan line's command. kmemleak reports no
# object younger than 5 s, so the second scan, 6 s after the first, also
# sees what the last step allocated; two scans also give a pointer that
# was only passing through a register or a stack a chance to go away.
KMEMLEAK=/sys/kernel/debug/kmemleak
kmemleak_scan() {
	if [ ! -w "$KMEMLEAK" ]; then
		echo "no $KMEMLEAK: this kernel has no kmemleak, or no debugfs"
		return 1
	fi
	# A write fails when kmemleak has turned itself off.
	echo scan >"$KMEMLEAK" || return 1
	sleep 6
	echo scan >"$KMEMLEAK" || return 1
	cat "$KMEMLEAK" >/dev/console
	echo "$(grep -c '^unreferenced object' "$KMEMLEAK") unreferenced objects reported (on the console)"
	echo clear >"$KMEMLEAK"
}

run_test() {
	step_begin "$1"
	# SIGKILL: a test may catch or ignore SIGTERM on purpose.
	(cd /tmp && exec timeout -s KILL "$test_timeout" "/rtsync/tests/$1") \
		</dev/null >"$results" 2>&1
	code=$?
	kill_strays >"$results"
	step_end "$1" "$code" "$test_timeout"
}

echo "rtsync guest: running /rtsync/plan"
while read -r verb args <&4; do
	case $verb in
	'' | '#'*) ;;
	timeout) test_timeout=$args ;;
	insmod)
		# shellcheck disable=SC2086 # split into PATH and LABEL
		set -- $args
		check insmod "$2 loads" insmod "$1"
		;;
	rmmod) check rmmod "$args unloads" rmmod "$args" ;;
	test) run_test "$args" ;;
	run)
		# shellcheck disable=SC2086 # split into the program and its arguments
		run_program $args
		;;
	kmemleak) check kmemleak "kmemleak scan $args" kmemleak_scan ;;
	sh) check sh "$args" sh -c "$args" ;;
	hang)
		echo "# hanging on purpose" >"$results"
		while :; do sleep 3600; done
		;;
	*) check plan "unknown plan line: $verb $args" false ;;
	esac
done 4</rtsync/plan

# Each write above opened and closed the port; the last close waits until
# the UART has sent everything, so "### done" is in results.log before the
# guest goes away.
echo "### done" >"$results"
echo "rtsync guest: plan finished, powering off"
sync
reboot -f
