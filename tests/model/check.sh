#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# tests/model/check.sh: check the wait path's model (chain.pml) with spin,
# exhaustively, and check that spin finds the counterexample of each
# mutant (one step of the protocol removed), so the check can fail. TAP on
# standard output, one check per run, with the states explored and the
# time. make check runs it among the host tests.
#
#   chain.pml, MAXCHAIN 3    cycles: no cycle of rt_mutex waiters, no false
#                            EDEADLK, no stuck protocol wait; one walk per
#                            LOCK, any thread may time out or be signalled
#   the same, RETRIES 2      walks start over once (after a changed path, a
#                            leaving thread or a deferral), thread 0 may
#                            time out or be signalled
#   chain.pml, MAXCHAIN 1    the chain bound in play
#   chain_mut_publish.pml    walk before publish: spin must find a cycle
#   chain_mut_leaving.pml    the check reads the waits again before the
#                            leaving states: spin must find a false EDEADLK
#   chain_mut_up.pml         no "up" of held mutexes: spin must find a chain
#                            over the bound
# Each exhaustive run takes 1.5 to 3.5 minutes and up to 5 GB here.
set -u

cd "$(dirname "$0")" || exit 1
here=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v spin >/dev/null || ! command -v gcc >/dev/null; then
	echo "1..1"
	echo "not ok 1 - spin and gcc are installed (tests/vm/deps.sh installs spin)"
	exit 1
fi

echo "1..6"
n=0

# verify LABEL EXPECT MODEL [SPIN-OPTION...]: EXPECT is "pass" (no error
# in the whole state space) or "fail" (spin finds an error).
verify() {
	local label=$1 expect=$2 model=$3 errors states depth secs what
	shift 3
	n=$((n + 1))
	rm -rf "${work:?}"/*
	if ! (cd "$work" && spin -a "$@" "$here/$model" >spin.log 2>&1 &&
		gcc -O2 -w -DSAFETY -DNOFAIR -DCOLLAPSE -DMEMLIM=12000 \
			-o pan pan.c >gcc.log 2>&1); then
		echo "not ok $n - $label: the model builds"
		sed 's/^/# /' "$work"/spin.log "$work"/gcc.log 2>/dev/null | tail -n 20
		return
	fi
	(cd "$work" && ./pan -m200000 -w26 >pan.log 2>&1)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$work/pan.log" | head -n 1)
	states=$(awk '/states, stored/ { print $1; exit }' "$work/pan.log")
	depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$work/pan.log" | head -n 1)
	secs=$(sed -n 's/.*elapsed time \([0-9.e+]*\) seconds.*/\1/p' "$work/pan.log" | head -n 1)
	# The monitor's assertions print whole expressions: keep the depth.
	what=$(grep -m 1 -o 'assertion violated.*\|invalid end state.*' "$work/pan.log" |
		sed 's/assertion violated .*(at depth \([0-9]*\))/an assertion of the model fails at depth \1/')
	if grep -q 'max search depth too small' "$work/pan.log"; then
		echo "not ok $n - $label: the search was cut short (max search depth too small)"
	elif [ "$expect" = pass ] && [ "${errors:-x}" = 0 ]; then
		echo "ok $n - $label: no error in ${states:-?} states (depth ${depth:-?}, ${secs:-?} s)"
	elif [ "$expect" = fail ] && [ "${errors:-0}" != 0 ]; then
		echo "ok $n - $label: spin finds the counterexample (${what:-an error}) after ${states:-?} states, ${secs:-?} s"
	else
		echo "not ok $n - $label: expected to $expect, spin reports ${errors:-no} errors ${what:+($what)}"
		grep -v '^Depth=' "$work/pan.log" | sed 's/^/# /' | tail -n 25
	fi
}

verify "chain.pml, 3 threads x 3 mutexes, max_chain 3, every thread may leave its wait" \
	pass chain.pml
verify "chain.pml, 3 threads x 3 mutexes, max_chain 3, walks start over once" \
	pass chain.pml -DRETRIES=2 -DLEAVERS=1
verify "chain.pml, 3 threads x 3 mutexes, max_chain 1 (chain bound)" \
	pass chain.pml -DMAXCHAIN=1
verify "mutant: walk before publishing (a cycle of rt_mutex waiters)" fail \
	chain_mut_publish.pml
verify "mutant: the check reads waits before leaving states (a false EDEADLK)" fail \
	chain_mut_leaving.pml
verify "mutant: no \"up\" of held mutexes (a chain over the bound)" fail \
	chain_mut_up.pml -DMAXCHAIN=1
