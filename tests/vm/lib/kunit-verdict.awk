# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Turns the KUnit results in a guest's console.log (KTAP printed through
# printk, after its time stamp) into one line per test, as tap-verdict.awk
# does for the results port:
#   PASS <label>/kunit/<suite>: <case>
#   PASS <label>/kunit/<suite>: <case>: <parameter>
#   SKIP <label>/kunit/<suite>: <case> (<reason>)
#   FAIL <label>/kunit/<suite>: <case>
# followed, for a failure, by the log lines printed since the previous
# result: KUnit prints what went wrong before the "not ok".
#
# Each case is one test, and a parameterized case one test per parameter;
# the ok line that sums up a parameterized case, and a suite's own ok line,
# are not tests. One more failed test is added for: a suite that began but
# never printed its result line (a hung or crashed case, a dead guest), a
# suite whose case count differs from its plan, a parameterized case whose
# parameter count differs from its plan or its "total:", a suite that
# failed before running its cases, and fewer suites than expected.
# -v suites=N is how many suites the loaded module holds; the suites built
# into the kernel, announced by a plan before /init runs, are added to it.
#
# KTAP as Linux 6.1 prints it (the indentation is the nesting level; later
# kernels put "- " before the names, which is accepted):
#   KTAP version 1
#   1..0                                      built-in suites, at boot
#       KTAP version 1
#       # Subtest: rtsync_args                a suite
#       1..3
#           KTAP version 1
#           # Subtest: rtsync_name_valid_test a parameterized case
#           ok 1 empty                        one parameter
#       # rtsync_name_valid_test: pass:8 fail:0 skip:0 total:8
#       ok 1 rtsync_name_valid_test
#       ok 2 rtsync_name_any_byte_but_slash   a case
#       not ok 3 some_case # SKIP reason
#   # rtsync_args: pass:3 fail:0 skip:0 total:3
#   ok 1 rtsync_args
# Usage: awk -v label=debug -v suites=5 -f kunit-verdict.awk console.log

BEGIN {
	EXPLAIN_LINES = 20	# log lines shown before a failed result
	expected = suites + 0
	builtin = 0		# suites announced at boot
	init_started = 0
	reported = 0		# suites that printed their result line
	in_suite = 0
	in_param = 0
	nlog = 0
}

# The lines since the last result, kept to explain a failure (KUnit prints
# its "EXPECTATION FAILED" lines, or why a suite could not start, before
# the result).
function log_add(line) {
	logbuf[nlog % EXPLAIN_LINES] = line
	nlog++
}

function log_show(i) {
	for (i = (nlog > EXPLAIN_LINES ? nlog - EXPLAIN_LINES : 0); i < nlog; i++)
		print "    | " logbuf[i % EXPLAIN_LINES]
	nlog = 0
}

function fail(name, why) {
	print "FAIL " label "/kunit/" name ": " why
	log_show()
	suite_failures++
}

# parse_result(text): an "ok"/"not ok" line into r_ok, r_desc and r_skip
# (the SKIP reason, empty when not skipped).
function parse_result(text) {
	r_ok = (text ~ /^ok/)
	sub(/^(not )?ok [0-9]+[ \t]*/, "", text)
	sub(/^-[ \t]*/, "", text)
	r_skip = ""
	if (match(text, /[ \t]*#[ \t]*[Ss][Kk][Ii][Pp]/)) {
		r_skip = substr(text, RSTART + RLENGTH)
		sub(/^[ \t]*/, "", r_skip)
		if (r_skip == "")
			r_skip = "skipped"
		text = substr(text, 1, RSTART - 1)
	}
	r_desc = text
}

# test_result(name): the parsed result as one test of the tally.
function test_result(name) {
	name = label "/kunit/" suite ": " name
	if (r_skip != "") {
		print "SKIP " name " (" r_skip ")"
		nlog = 0
	} else if (r_ok) {
		print "PASS " name
		nlog = 0
	} else {
		print "FAIL " name
		log_show()
		suite_failures++
	}
}

function suite_begin(name) {
	suite = name
	in_suite = 1
	in_param = 0
	plan = -1
	ncases = 0
	suite_failures = 0
	nlog = 0
}

function suite_unfinished() {
	if (in_param)
		fail(suite ": " param, "did not finish its parameters")
	fail(suite, "did not print its results (a case hung or crashed, or the guest stopped)")
	in_suite = 0
	in_param = 0
}

# suite_end(): the suite's own result line, already parsed.
function suite_end() {
	reported++
	if (in_suite && r_desc == suite) {
		if (in_param)
			fail(suite ": " param, "did not finish its parameters")
		if (plan < 0)
			fail(suite, "printed no plan (1..N)")
		else if (ncases != plan)
			fail(suite, "planned " plan " cases but reported " ncases)
		if (!r_ok && r_skip == "" && suite_failures == 0)
			fail(suite, "failed, though none of its cases did")
		in_suite = 0
		in_param = 0
		nlog = 0
		return
	}
	if (in_suite)
		suite_unfinished()
	# A result with no suite begun: the suite failed to initialize (the
	# reason is in the lines before) or was skipped as a whole.
	suite = r_desc
	if (r_skip != "")
		print "SKIP " label "/kunit/" suite " (" r_skip ")"
	else if (!r_ok)
		fail(suite, "failed before running its cases")
	nlog = 0
}

function param_begin(name) {
	param = name
	in_param = 1
	param_plan = -1
	param_total = -1
	nparams = 0
	param_failures = suite_failures
}

# param_end(): the line that sums up the parameterized case, already parsed.
function param_end(want) {
	in_param = 0
	want = param_plan >= 0 ? param_plan : param_total
	if (nparams == 0)
		test_result(param)	# no parameter: the case itself is the test
	else if (want >= 0 && nparams != want)
		fail(suite ": " param, "reported " nparams " parameter results, its total is " want)
	else if (!r_ok && r_skip == "" && suite_failures == param_failures)
		fail(suite ": " param, "failed, though none of its parameters did")
	nlog = 0
}

{
	line = $0
	sub(/\r$/, "", line)
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "", line)	# printk time stamp
	if (index(line, "Run /init as init process"))
		init_started = 1
	match(line, /^ */)
	indent = RLENGTH
	text = substr(line, indent + 1)
	if (indent % 4 != 0) {
		log_add(line)
		next
	}
	level = indent / 4
}

text ~ /^# Subtest: / {
	if (level == 1) {
		if (in_suite)
			suite_unfinished()
		suite_begin(substr(text, 12))
	} else if (level == 2 && in_suite) {
		param_begin(substr(text, 12))
	}
	next
}

text ~ /^1\.\.[0-9]+/ {
	if (level == 0 && !init_started)
		builtin += substr(text, 4) + 0
	else if (level == 1 && in_suite && !in_param && plan < 0)
		plan = substr(text, 4) + 0
	else if (level == 2 && in_param)
		param_plan = substr(text, 4) + 0
	next
}

text ~ /^(not )?ok [0-9]+([ \t]|$)/ {
	parse_result(text)
	if (level == 0) {
		suite_end()
	} else if (level == 1 && in_suite) {
		ncases++
		if (in_param && r_desc == param)
			param_end()
		else
			test_result(r_desc)
	} else if (level == 2 && in_param) {
		nparams++
		test_result(param ": " r_desc)
	}
	next
}

# The "total:" of a parameterized case, its plan on kernels that print none.
level == 1 && in_param && index(text, "# " param ": pass:") == 1 {
	if (match(text, /total:[0-9]+/))
		param_total = substr(text, RSTART + 6, RLENGTH - 6) + 0
	next
}

text !~ /^KTAP version/ {
	log_add(line)
}

END {
	if (in_suite)
		suite_unfinished()
	if (reported < expected + builtin)
		print "FAIL " label "/kunit: " reported " of " (expected + builtin) \
			" suites printed their results"
}
