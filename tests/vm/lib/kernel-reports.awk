# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Finds kernel reports in a guest's console.log: every BUG, WARNING, oops,
# panic, lockdep, KASAN, UBSAN, atomic-sleep, hung-task, RCU stall,
# kmemleak or rt_mutex deadlock report fails the run (DEBUG_OBJECTS reports
# are WARNINGs). Prints one line per report,
#   FAIL <label>: kernel log: <its first line>
# followed by the matching lines, each with a few lines after it.
# A "Call Trace:" within SAME_REPORT lines of an earlier match belongs to
# that report (WARN, BUG and lockdep all print one); anything else starts a
# new report.
# Usage: awk -v label=stock -f kernel-reports.awk console.log

BEGIN {
	npatterns = split("BUG:|WARNING:|Oops|general protection fault|" \
		"Kernel panic|Call Trace:|KASAN|UBSAN|" \
		"possible recursive locking|possible circular locking|" \
		"inconsistent lock state|" \
		"lock held when returning to user space|" \
		"sleeping function called from invalid context|" \
		"blocked for more than|unreferenced object|" \
		"rtmutex deadlock detected|detected stall", pattern, "|")
	SAME_REPORT = 60	# lines
	CONTEXT = 4		# lines shown after each match
	MAX_REPORTS = 20	# a storm of reports is summed up after this many
	reports = 0
	last_match = -SAME_REPORT - 1
	show_until = 0
}

function matches(line, i) {
	for (i = 1; i <= npatterns; i++)
		if (index(line, pattern[i]))
			return 1
	return 0
}

{
	sub(/\r$/, "")
	if (matches($0)) {
		folded = (index($0, "Call Trace:") && NR - last_match <= SAME_REPORT)
		last_match = NR
		if (!folded) {
			reports++
			if (reports > MAX_REPORTS)
				next
			headline = $0
			sub(/^\[ *[0-9]+\.[0-9]+\] /, "", headline)	# printk time
			print "FAIL " label ": kernel log: " substr(headline, 1, 160)
		} else if (reports > MAX_REPORTS) {
			next
		}
		show_until = NR + CONTEXT
	}
	if (NR <= show_until)
		print "    | " NR ": " $0
}

END {
	if (reports > MAX_REPORTS)
		print "FAIL " label ": kernel log: " (reports - MAX_REPORTS) \
			" more reports (see console.log)"
}
