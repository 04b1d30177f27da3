# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The table of `make bench-profile`, from the guest's results.log: lines
# "profile-time KIND NS" and "profile-sym KIND PERCENT% SYMBOL". Each
# symbol's share of a loop times that loop's time per iteration gives its
# nanoseconds per iteration; rows are sorted by lock - nop, largest first.

$1 == "profile-time" { t[$2] = $3 }
$1 == "profile-sym" { pct = $3; sub(/%$/, "", pct); share[$2, $4] = pct; syms[$4] = 1 }

END {
	if (!("nop" in t) || !("lock" in t)) {
		print "profile: no timing from the guest" > "/dev/stderr"
		exit 1
	}
	printf "lock+unlock %.1f ns, NOP pair %.1f ns per iteration: ratio %.2f\n\n",
		t["lock"], t["nop"], t["lock"] / t["nop"]
	print "| symbol | lock+unlock ns | NOP pair ns | difference |"
	print "|---|---:|---:|---:|"
	n = 0
	for (s in syms) {
		l = share["lock", s] * t["lock"] / 100
		p = share["nop", s] * t["nop"] / 100
		if (l < 2 && p < 2)
			continue
		row[++n] = sprintf("%012.3f| %s | %.1f | %.1f | %+.1f |", l - p + 100000, s, l, p, l - p)
	}
	# Sort by the difference (the zero-padded key), largest first.
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (row[j] > row[i]) { x = row[i]; row[i] = row[j]; row[j] = x }
	for (i = 1; i <= n && i <= 25; i++) {
		sub(/^[^|]*\|/, "|", row[i])
		print row[i]
	}
}
