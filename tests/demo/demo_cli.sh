#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The CLI scene of make demo (busybox sh in the guest, rtsyncctl in PATH):
# rtsyncctl creates a mutex and a semaphore, lists them, runs a command
# holding the mutex while /proc/rtsync shows its owner thread and a second
# locker waiting, puts a process to sleep on the semaphore and wakes it with
# a post, and unlinks both. Like the other demos, it exits 0 only if what
# it showed really happened.
set -u

MUTEX=demo.lock
SEM=demo.jobs
WAIT_LIMIT=10	# s to wait for a process to reach the state shown

# fail WHAT: the scene did not show what it claims.
fail() {
	echo "NOT SHOWN: $*"
	exit 1
}

# run CMD...: show the command as typed, then its output; it must succeed.
run() {
	echo "\$ $*"
	"$@" || fail "'$*' exited $?"
}

# column NAME N: field N of NAME's line in /proc/rtsync (7 tid, 10 value,
# 12 waiters), empty if NAME is not listed.
column() {
	awk -v name="$1" -v n="$2" '$NF == name { print $n }' /proc/rtsync
}

# wait_for NAME N VALUE: until field N of NAME's line is VALUE.
wait_for() {
	tries=$((WAIT_LIMIT * 10))
	while [ "$(column "$1" "$2")" != "$3" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "$1's column $2 is '$(column "$1" "$2")', not $3"
		sleep 0.1
	done
}

echo "== rtsyncctl and /proc/rtsync =="
echo "Named objects are created, inspected and removed with rtsyncctl;"
echo "/proc/rtsync lists every one (rtsyncctl list reads it)."
echo
run rtsyncctl create mutex "$MUTEX"
run rtsyncctl create sem "$SEM" --value 0 --max 8
run rtsyncctl list
run rtsyncctl list --json
if [ "$(column "$MUTEX" 1)" != mutex ] || [ "$(column "$SEM" 1)" != sem ]; then
	fail "/proc/rtsync does not list both objects"
fi

echo
echo "-- A mutex held: 'rtsyncctl lock NAME -- CMD' runs CMD holding it."
echo "   The tid column names the holder; a second locker is a waiter."
mkfifo /tmp/release
# shellcheck disable=SC2016 # $0 is the inner shell's
rtsyncctl lock "$MUTEX" -- sh -c 'echo "   first locker: holding $0"; read -r x </tmp/release' "$MUTEX" &
holder=$!
wait_for "$MUTEX" 7 "$holder"
rtsyncctl lock "$MUTEX" -- echo "   second locker: got $MUTEX after the first" &
second=$!
wait_for "$MUTEX" 12 1
run cat /proc/rtsync
run rtsyncctl info "$MUTEX"
echo "\$ echo >/tmp/release    # the first locker's command ends"
echo >/tmp/release
wait "$holder" || fail "the first locker exited $?"
wait "$second" || fail "the second locker exited $?"
[ "$(column "$MUTEX" 7)" = 0 ] || fail "$MUTEX is still held"

echo
echo "-- A semaphore at 0: 'rtsyncctl wait' sleeps (waiters column) until a post."
rtsyncctl wait "$SEM" &
sleeper=$!
wait_for "$SEM" 12 1
run cat /proc/rtsync
run rtsyncctl info "$SEM"
run rtsyncctl post "$SEM"
wait "$sleeper" || fail "the sleeping 'rtsyncctl wait' exited $?"
echo "   the sleeper took the unit and exited 0"
run rtsyncctl post "$SEM" 3
run rtsyncctl wait "$SEM"
if [ "$(column "$SEM" 10)" != 2 ] || [ "$(column "$SEM" 12)" != 0 ]; then
	fail "$SEM has value '$(column "$SEM" 10)' and '$(column "$SEM" 12)' waiters, not 2 and 0"
fi
run rtsyncctl info "$SEM"

echo
echo "-- Unlinking removes the names (open users would keep the objects)."
run rtsyncctl unlink "$MUTEX"
run rtsyncctl unlink "$SEM"
run rtsyncctl list
[ -z "$(column "$MUTEX" 1)$(column "$SEM" 1)" ] || fail "an unlinked name is still listed"
echo "\$ rtsyncctl info $MUTEX"
if rtsyncctl info "$MUTEX"; then
	fail "info found the unlinked $MUTEX"
fi
echo
echo "rtsyncctl created, listed, locked, waited, posted and unlinked as shown."
