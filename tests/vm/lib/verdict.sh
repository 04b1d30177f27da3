# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The verdict on one boot (see boot.sh for the files it reads): every TAP
# check on the results port is a test (tap-verdict.awk), a guest that never
# printed "### done" is a failed test, every KUnit result in console.log is
# a test (kunit-verdict.awk; DIR/kunit-suites, when present, holds how many
# suites the boot's KUnit module has), and every kernel report in
# console.log is a failed test (kernel-reports.awk).

# verdict_lines LABEL DIR: the PASS/FAIL/SKIP lines and their explanations.
verdict_lines() {
	local label=$1 dir=$2 status limit why

	tr -d '\r' <"$dir/results.log" | awk -v label="$label" -f "$VM_LIB/tap-verdict.awk"
	if ! tr -d '\r' <"$dir/results.log" | grep -qx '### done'; then
		status=$(cat "$dir/qemu.status" 2>/dev/null || echo unknown)
		limit=$(cat "$dir/limit" 2>/dev/null || echo '?')
		if [ -f "$dir/stalled" ]; then
			why="killed after $(cat "$dir/stalled") s without results output: a test stuck beyond its own time limit, or a hung kernel"
		else
			case $status in
			124 | 137) why="killed at the $limit s time limit: a hang or a very slow guest" ;;
			0) why="the guest stopped early: a panic, a triple fault or a crash of /init" ;;
			*) why="QEMU exited with status $status" ;;
			esac
		fi
		echo "FAIL $label: guest did not finish its plan ($why)"
		tail -n 15 "$dir/console.log" | tr -d '\r' | sed 's/^/    | /'
	fi
	awk -v label="$label" -v suites="$(cat "$dir/kunit-suites" 2>/dev/null || echo 0)" \
		-f "$VM_LIB/kunit-verdict.awk" "$dir/console.log"
	awk -v label="$label" -f "$VM_LIB/kernel-reports.awk" "$dir/console.log"
}

# record_verdict: record each PASS/FAIL/SKIP line read from stdin and pass
# the other lines (explanations) through; returns non-zero when any test
# failed. Read from a redirection, not a pipe, so the tally stays in this
# shell: record_verdict < <(...).
record_verdict() {
	local line failed=0 explained=3

	while IFS= read -r line; do
		case $line in
		"PASS "* | "SKIP "*)
			record "${line%% *}" "${line#* }"
			explained=3
			;;
		"FAIL "*)
			record FAIL "${line#* }"
			failed=1
			explained=0
			;;
		*)
			echo "$line"
			# The first explanation lines go to the closing summary too.
			if [ "$explained" -lt 3 ]; then
				note_failure "${line#"${line%%[! ]*}"}"
				explained=$((explained + 1))
			fi
			;;
		esac
	done
	return "$failed"
}

# vm_verdict LABEL DIR: record the tests of the boot in DIR, naming them
# "LABEL/<step>: <description>" (KUnit's "LABEL/kunit/<suite>: <case>");
# returns non-zero when any failed.
vm_verdict() {
	local label=$1 dir=$2

	if ! record_verdict < <(verdict_lines "$label" "$dir"); then
		echo "    logs: $dir"
		return 1
	fi
}
