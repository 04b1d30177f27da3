# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Turns a guest's results.log (framed TAP, see guest-init.sh; carriage
# returns already removed) into one line per test:
#   PASS <label>/<step>: <description>
#   FAIL <label>/<step>: <description>
#   SKIP <label>/<step>: <description> (<reason>)
# followed, for a failure, by indented lines that explain it. Each ok/not ok
# line is a test. A step that broke its TAP contract (no plan, a plan that
# does not match the count, a non-zero exit without a "not ok", or no end
# because the guest stopped) adds one failed test naming what went wrong.
# Usage: awk -v label=stock -f tap-verdict.awk results.log

BEGIN {
	TAIL_LINES = 15		# output shown when a step as a whole fails
	EXPLAIN_LINES = 20	# comments shown after a "not ok"
}

function step_start(name) {
	step = name
	in_step = 1
	plan = -1
	plan_skip = ""
	count = 0
	failed = 0
	ntail = 0
	explaining = 0
}

function remember(line) {
	tail[ntail % TAIL_LINES] = line
	ntail++
}

function show_tail(i) {
	for (i = (ntail > TAIL_LINES ? ntail - TAIL_LINES : 0); i < ntail; i++)
		print "    | " tail[i % TAIL_LINES]
}

function fail_step(why) {
	print "FAIL " label "/" step ": " why
	show_tail()
	failed++
}

function exit_text(code, seconds, limit) {
	if (code == 137 && limit > 0 && seconds >= limit)
		return "killed at its " limit " s time limit"
	if (code > 128)
		return "killed by signal " (code - 128) " after " seconds " s"
	return "exit status " code
}

# step_end(code, seconds, limit): judge the step's TAP contract as a whole.
# A non-zero exit is news unless a "not ok" explains it; being killed always
# is.
function step_end(code, seconds, limit, why) {
	in_step = 0
	why = ""
	if (plan == 0 && plan_skip != "" && count == 0) {
		print "SKIP " label "/" step " (" plan_skip ")"
		if (code == 0)
			return
	}
	if (plan < 0)
		why = "no TAP plan (1..N)"
	else if (count != plan)
		why = "planned " plan " checks but reported " count
	if (code > 128 || (code != 0 && failed == 0))
		why = why (why == "" ? "" : "; ") exit_text(code, seconds, limit)
	if (why != "")
		fail_step(why)
}

# A TAP directive ("# SKIP reason", "# TODO reason") at the end of a line.
function directive(text, word, re) {
	re = "[ \t]*#[ \t]*" word "[^ \t]*[ \t]*"
	if (!match(text, re))
		return ""
	directive_reason = substr(text, RSTART + RLENGTH)
	directive_text = substr(text, 1, RSTART - 1)
	return word
}

function tap_result(line, passed, desc, name, reason) {
	count++
	passed = (line ~ /^ok/)
	desc = line
	sub(/^(not )?ok[ \t]*/, "", desc)
	sub(/^[0-9]+[ \t]*/, "", desc)
	sub(/^-[ \t]*/, "", desc)
	reason = ""
	if (directive(desc, "[Ss][Kk][Ii][Pp]") != "") {
		desc = directive_text
		reason = directive_reason == "" ? "skipped" : directive_reason
	} else if (directive(desc, "[Tt][Oo][Dd][Oo]") != "") {
		desc = directive_text
		reason = "TODO" (directive_reason == "" ? "" : " " directive_reason)
	}
	if (desc == "")
		desc = "check " count
	name = label "/" step ": " desc
	explaining = 0
	if (reason != "") {
		print "SKIP " name " (" reason ")"
	} else if (passed) {
		print "PASS " name
	} else {
		print "FAIL " name
		failed++
		explaining = EXPLAIN_LINES
	}
}

/^### begin / {
	if (in_step)
		fail_step("did not finish (the next step began)")
	step_start(substr($0, 11))
	next
}

/^### end / {
	code = match($0, /exit=[0-9]+/) ? substr($0, RSTART + 5, RLENGTH - 5) + 0 : 0
	secs = match($0, /seconds=[0-9]+/) ? substr($0, RSTART + 8, RLENGTH - 8) + 0 : 0
	limit = match($0, /limit=[0-9]+/) ? substr($0, RSTART + 6, RLENGTH - 6) + 0 : 0
	if (in_step)
		step_end(code, secs, limit)
	next
}

!in_step { next }

{ remember($0) }

/^(not )?ok([ \t]|$)/ {
	tap_result($0)
	next
}

/^1\.\.[0-9]+/ {
	plan = substr($0, 4) + 0
	if (directive($0, "[Ss][Kk][Ii][Pp]") != "")
		plan_skip = directive_reason == "" ? "skipped" : directive_reason
	explaining = 0
	next
}

/^Bail out!/ {
	print "FAIL " label "/" step ": " $0
	failed++
	next
}

explaining > 0 {
	print "    | " $0
	explaining--
}

END {
	if (in_step)
		fail_step("did not finish (the guest stopped during this step)")
}
