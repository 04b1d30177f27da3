#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# report.sh RESULTS OUT [CONSOLE [NOTE]]: turns the "# row | ..." lines the
# benchmark programs printed (RESULTS: the guest's results output, see
# bench.h for the format) into a Markdown table on stdout and in OUT.md,
# and plots the ratios into OUT.svg with gnuplot when it is installed.
# CONSOLE, the guest's console log, names the kernel that ran; RESULTS
# from several boots instead holds a "# boot | KERNEL" line ahead of each
# boot's rows. NOTE is one more line for the table's header (e.g. the
# host's load).
#
# Every row is rtsync's median against a peer's median from the same boot,
# with the ratio rtsync / peer the program computed (see bench.h), so below
# 1 means rtsync is cheaper. A row with a target gets PASS or MISS; a MISS
# is information, not an error. Exits non-zero only when RESULTS holds no
# rows at all.
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 RESULTS OUT [CONSOLE [NOTE]]" >&2
	exit 2
fi
results=$1
out=$2
console=${3:-}
note=${4:-}

kernel=unknown
if [ -n "$console" ] && [ -f "$console" ]; then
	kernel=$(tr -d '\r' <"$console" | sed -n 's/.*\(Linux version [^ ]*\) .*\(#.*\)$/\1 \2/p' | head -n 1)
	[ -n "$kernel" ] || kernel=unknown
fi
data=$out.data
mkdir -p "$(dirname "$out")"

# The table (stdout and OUT.md) and the plot's data (OUT.data).
# The date of the run is the date of its results.
run_date=$(date -r "$results" '+%Y-%m-%d %H:%M %Z')
tr -d '\r' <"$results" | awk -v kernel="$kernel" -v date="$run_date" \
	-v data="$data" -v note="$note" '
function human(v, unit) {
	if (unit == "ns") {
		if (v >= 1e6) return sprintf("%.2f ms", v / 1e6)
		if (v >= 1e4) return sprintf("%.1f µs", v / 1e3)
		if (v >= 1e3) return sprintf("%.2f µs", v / 1e3)
		return sprintf("%.0f ns", v)
	}
	# Small fractional counts (context switches per waiter) keep their decimal.
	if (v < 100 && v != int(v)) return sprintf("%.1f %s", v, unit)
	return sprintf("%.0f %s", v, unit)
}
# verdict(ratio, target): PASS, MISS, or "" when the row has no target.
function verdict(r, t,   limit) {
	if (t == "-" || t == "") return ""
	if (r == "") return "MISS"
	if (t ~ /^<=/) { limit = substr(t, 3) + 0; return r <= limit ? "PASS" : "MISS" }
	if (t ~ /^</)  { limit = substr(t, 2) + 0; return r <  limit ? "PASS" : "MISS" }
	return "MISS"
}
function target_text(t) {
	if (t == "-" || t == "") return "–"
	if (t ~ /^<=/) return "≤ " substr(t, 3) "×"
	return "< " substr(t, 2) "×"
}
BEGIN { FS = " [|] " }
/^# boot [|] / {
	boots++
	boot_kernel[boots] = $2 == "" ? "unknown" : $2
	next
}
/^# row [|] / {
	n++
	boot_of[n] = boots
	id[n] = $2; label[n] = $3; value[n] = $4 + 0; peer[n] = $5
	peer_value[n] = $6 + 0; unit[n] = $7; ratio_of[n] = $8 + 0
	target[n] = $9; runs[n] = $10
}
END {
	if (!n) {
		print "report: no benchmark rows found" > "/dev/stderr"
		exit 1
	}
	print "## rtsync benchmarks"
	print ""
	if (boots <= 1) {
		if (boots) kernel = boot_kernel[1]
		print "- kernel: " kernel ", QEMU TCG, 2 vCPUs, all rows from one boot"
	} else {
		print "- QEMU TCG, 2 vCPUs; each row from one boot:"
		for (b = 1; b <= boots; b++) {
			ids = ""
			for (i = 1; i <= n; i++)
				if (boot_of[i] == b && index(" " ids " ", " " id[i] " ") == 0)
					ids = ids (ids == "" ? "" : " ") id[i]
			print "  - " (index(ids, " ") ? "rows " : "row ") (ids == "" ? "(none)" : ids) ": " boot_kernel[b]
		}
	}
	print "- date: " date
	if (note != "") print "- " note
	print "- each value is the median of the repetitions in *runs*; contenders"
	print "  alternate within every repetition, and the ratio is the median of"
	print "  the per-repetition ratios rtsync / peer (below 1: rtsync is cheaper;"
	print "  open-by-name rows: the levels compared by open time / NOP time;"
	print "  memory: the ratio of the two values). Under TCG only ratios from"
	print "  one boot mean much."
	print ""
	print "| # | measurement | rtsync | peer | peer value | ratio | target | result | runs |"
	print "|---|---|---:|---|---:|---:|---|---|---|"
	for (i = 1; i <= n; i++) {
		ratio = ratio_of[i] > 0 ? ratio_of[i] : ""
		v = verdict(ratio, target[i])
		if (v == "PASS") passes++
		if (v == "MISS") { misses++; missed[misses] = i }
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", id[i], label[i],
			human(value[i], unit[i]), peer[i], human(peer_value[i], unit[i]),
			ratio == "" ? "n/a" : sprintf("%.2f", ratio), target_text(target[i]),
			v == "" ? "–" : "**" v "**", runs[i]
		color = v == "PASS" ? "0x2e7d32" : v == "MISS" ? "0xc62828" : "0x78909c"
		lim = target[i] ~ /^<=/ ? substr(target[i], 3) : target[i] ~ /^</ ? substr(target[i], 2) : "NaN"
		if (ratio != "")
			printf "%d\t%s: %s vs %s\t%.4f\t%.4f\t%.4f\t%s\t%s\n", i - 1, id[i],
				label[i], peer[i], ratio, ratio < 1 ? ratio : 1,
				ratio < 1 ? 1 : ratio, color, lim > data
	}
	print ""
	printf "Targets: %d PASS, %d MISS.\n", passes, misses
	if (misses) {
		print ""
		print "Missed:"
		for (j = 1; j <= misses; j++) {
			i = missed[j]
			printf "- %s %s vs %s: %.2f×, target %s\n", id[i], label[i], peer[i],
				ratio_of[i], target_text(target[i])
		}
	}
}' | tee "$out.md"

# The plot: one horizontal bar per row from 1 (parity) to its ratio, on a
# log scale; green PASS, red MISS, grey no target; a black mark at the
# target.
if ! command -v gnuplot >/dev/null; then
	echo "report: gnuplot is not installed (apt-get install gnuplot-nox): no plot" >&2
	rm -f "$data"
	exit 0
fi
rows=$(wc -l <"$data")
gnuplot <<EOF
set terminal svg size 1600,$((120 + 26 * rows)) dynamic noenhanced font 'sans,11' background '#ffffff'
set output '$out.svg'
set title "rtsync / peer, each from one boot"
set datafile separator '\t'
set logscale x 2
set xrange [0.05:*]
set yrange [$rows:-1]
set xlabel 'ratio rtsync / peer (log scale; left of 1: rtsync cheaper). Green: PASS, red: MISS, grey: no target'
set grid xtics
set key bottom right
set lmargin 88
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb '#000000' lw 1.5
plot '$data' using 3:1:4:5:(\$1 - 0.35):(\$1 + 0.35):6:ytic(2) \
	with boxxyerror fill solid 0.8 noborder lc rgb variable notitle, \
     '' using 7:1 with points pt 3 ps 1.2 lc rgb '#000000' title 'target'
EOF
rm -f "$data"
