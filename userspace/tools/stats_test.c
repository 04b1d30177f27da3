// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Host checks of rtsyncctl's statistics without the module: the
 * /proc/rtsync_stats parser (columns found by header, 64-bit and 32-bit
 * counters, \ooo names, malformed input), the durations, the block and
 * JSON of `stat`, and which rows `top` shows in which order, with its
 * exact table and JSON. The listings below are written the way
 * module/procfs.c writes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtsyncctl.h"
#include "tap.h"
#include "tools_test.h"

#define HEADER "type  acquisitions contended wait_ns wait_max_ns hold_max_ns posts timeouts deadlocks owner_deaths max_sleepers name\n"

/* parse - proc_stats_parse() of a string; the error, 0 on success */
static int parse(const char *text, struct proc_stats_list *list,
		 unsigned int *bad_line)
{
	FILE *in = text_in(text);
	int err;

	*bad_line = 0;
	err = proc_stats_parse(in, list, bad_line);
	fclose(in);
	return err;
}

/* ---- the parser ---- */

static const char listing[] =
	HEADER
	"mutex 12 3 4500000 3000000 0 0 1 2 1 0 lock\\040a\n"
	"sem   7 7 250000000 100000000 0 9 0 0 0 4 pool\n"
	"cond  0 0 0 0 0 0 0 0 0 0 idle\n"
	"mutex 18446744073709551615 1 18446744073709551615 1 5 0 4294967295 0 0 0 odd\\011\\134\"\\303\\251\\033\n";

static void check_parse(void)
{
	const struct proc_stats_entry *e, *found;
	struct proc_stats_list list;
	unsigned int line;
	int err;

	err = parse(HEADER, &list, &line);
	ok(!err && list.count == 0 && !list.entries, "header only: no objects");

	err = parse(listing, &list, &line);
	if (!ok(!err && list.count == 4, "four objects parsed (%s at line %u)",
		strerror(err), line))
		return;
	e = list.entries;
	ok(!strcmp(e[0].name, "idle") && !strcmp(e[1].name, "lock a") &&
	   !strcmp(e[2].name, "odd\t\\\"\xc3\xa9\033") &&
	   !strcmp(e[3].name, "pool"),
	   "sorted by name, names unescaped (space, tab, backslash, UTF-8, ESC)");
	ok(!strcmp(e[1].type, "mutex") && e[1].st.acquisitions == 12 &&
	   e[1].st.contended == 3 && e[1].st.wait_ns == 4500000 &&
	   e[1].st.wait_max_ns == 3000000 && e[1].st.hold_max_ns == 0 &&
	   e[1].st.posts == 0 && e[1].st.timeouts == 1 &&
	   e[1].st.deadlocks == 2 && e[1].st.owner_deaths == 1 &&
	   e[1].st.max_sleepers == 0 && e[1].st.flags == 0,
	   "every counter in its field");
	ok(!strcmp(e[3].type, "sem") && e[3].st.posts == 9 &&
	   e[3].st.max_sleepers == 4 && e[3].st.wait_ns == 250000000,
	   "semaphore counters");
	ok(e[2].st.acquisitions == UINT64_MAX && e[2].st.wait_ns == UINT64_MAX &&
	   e[2].st.timeouts == UINT32_MAX && e[2].st.hold_max_ns == 5,
	   "the largest 64-bit and 32-bit counters");

	found = proc_stats_find(&list, "pool");
	ok(found == &e[3], "proc_stats_find finds a name");
	ok(!proc_stats_find(&list, "poo") && !proc_stats_find(&list, "zzz"),
	   "proc_stats_find: NULL for a name not there");
	proc_stats_list_free(&list);
	ok(!list.entries && !list.count, "proc_stats_list_free empties the list");
}

static void check_extra_column(void)
{
	static const char text[] =
		"name posts type extra acquisitions contended wait_ns wait_max_ns hold_max_ns timeouts deadlocks owner_deaths max_sleepers\n"
		"x 3 sem 99 1 2 3 4 5 6 7 8 9\n";
	struct proc_stats_list list = { NULL, 0 };
	const struct rtsync_stats *st;
	unsigned int line;
	int err;

	err = parse(text, &list, &line);
	if (!ok(!err && list.count == 1, "a reordered header with an unknown column parses"))
		return;
	st = &list.entries[0].st;
	ok(!strcmp(list.entries[0].name, "x") &&
	   !strcmp(list.entries[0].type, "sem") && st->posts == 3 &&
	   st->acquisitions == 1 && st->contended == 2 && st->wait_ns == 3 &&
	   st->wait_max_ns == 4 && st->hold_max_ns == 5 && st->timeouts == 6 &&
	   st->deadlocks == 7 && st->owner_deaths == 8 &&
	   st->max_sleepers == 9,
	   "columns found by their header names, unknown columns ignored");
	proc_stats_list_free(&list);
}

static void check_malformed(void)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *what;
	} bad[] = {
		{ "", 0, "empty file" },
		{ "type acquisitions contended wait_ns wait_max_ns hold_max_ns posts timeouts deadlocks owner_deaths name\n",
		  1, "header without max_sleepers" },
		{ HEADER "mutex 1 0 0 0 0 0 0 0 0 0\n", 2, "line without a name" },
		{ HEADER "mutex 1 0 0 0 0 0 0 0 0 0 a b\n", 2,
		  "line with one column too many" },
		{ HEADER "sem 1 0 0 0 0 0 0 0 0 0 ok\n"
		  "mutex 18446744073709551616 0 0 0 0 0 0 0 0 0 m\n", 3,
		  "a 64-bit counter too large" },
		{ HEADER "mutex 1 0 0 0 0 0 4294967296 0 0 0 m\n", 2,
		  "a 32-bit counter too large" },
		{ HEADER "mutex -1 0 0 0 0 0 0 0 0 0 m\n", 2, "a negative counter" },
		{ HEADER "mutex 1 0 0x10 0 0 0 0 0 0 0 m\n", 2,
		  "a counter not decimal" },
		{ HEADER "mutex 1 0 - 0 0 0 0 0 0 0 m\n", 2, "'-' for a counter" },
		{ HEADER "mutex 1 0 0 0 0 0 0 0 0 0 a\\04\n", 2, "short escape" },
		{ HEADER "mutex 1 0 0 0 0 0 0 0 0 0 a\\000b\n", 2,
		  "escaped NUL" },
		{ HEADER "verylongtypename 1 0 0 0 0 0 0 0 0 0 a\n", 2,
		  "type word too long" },
	};
	struct proc_stats_list list;
	unsigned int i, line;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = parse(bad[i].text, &list, &line);
		ok(err == EBADMSG && line == bad[i].line,
		   "%s: EBADMSG at line %u (got %s at line %u)", bad[i].what,
		   bad[i].line, strerror(err), line);
		if (!err)
			proc_stats_list_free(&list);
	}
}

/* ---- durations, stat's block and JSON ---- */

static void check_durations(void)
{
	static const struct {
		unsigned long long ns;
		const char *want;
	} cases[] = {
		{ 0, "0 ns" }, { 999, "999 ns" }, { 1000, "1.00 us" },
		{ 12345, "12.3 us" }, { 999499, "999 us" },
		{ 999500, "1.00 ms" }, { 1250000, "1.25 ms" },
		{ 99949999, "99.9 ms" }, { 123456789, "123 ms" },
		{ 2500000000ULL, "2.50 s" }, { 3600000000000ULL, "3600 s" },
		{ UINT64_MAX, "18446744074 s" },
	};
	char buf[DURATION_SIZE];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		format_duration(buf, cases[i].ns, " ");
		ok(!strcmp(buf, cases[i].want), "%llu ns is '%s' (got '%s')",
		   cases[i].ns, cases[i].want, buf);
	}
	ok(!strcmp(format_duration(buf, 1250000, ""), "1.25ms") &&
	   !strcmp(format_duration(buf, 7, ""), "7ns"),
	   "no space in a table cell");
}

static void check_stat_text(void)
{
	struct rtsync_stats st = {
		.acquisitions = 2, .contended = 1, .wait_ns = 50123456,
		.wait_max_ns = 50123456, .timeouts = 3, .deadlocks = 0,
		.owner_deaths = 1,
	};
	struct capture c;
	char *text;

	stats_write_text(capture_begin(&c), "mutex", "m\033x", &st);
	text = capture_end(&c);
	same_text(text,
		  "name:          m\\033x\n"
		  "type:          mutex\n"
		  "acquisitions:  2\n"
		  "contended:     1\n"
		  "wait total:    50.1 ms (50123456 ns)\n"
		  "wait max:      50.1 ms (50123456 ns)\n"
		  "wait mean:     50.1 ms\n"
		  "hold max:      not measured (to measure: echo Y > /sys/module/rtsync/parameters/hold_time)\n"
		  "posts:         -\n"
		  "timeouts:      3\n"
		  "deadlocks:     0\n"
		  "owner deaths:  1\n"
		  "max sleepers:  -\n",
		  "stat, a mutex: '-' for what a mutex does not count, how to measure hold times, the name escaped");
	free(text);

	st.flags = RTSYNC_STATS_HOLD_TIME;
	st.hold_max_ns = 2000000;
	stats_write_text(capture_begin(&c), "mutex", "m", &st);
	text = capture_end(&c);
	ok(strstr(text, "\nhold max:      2.00 ms (2000000 ns)\n") != NULL,
	   "stat, a mutex with hold_time on: the longest hold");
	free(text);

	st.flags = 0;
	stats_write_text(capture_begin(&c), "mutex", "m", &st);
	text = capture_end(&c);
	ok(strstr(text, "\nhold max:      2.00 ms (2000000 ns), no longer measured (echo Y > /sys/module/rtsync/parameters/hold_time)\n") != NULL,
	   "stat, a mutex measured before hold_time went off: says so");
	free(text);

	memset(&st, 0, sizeof(st));
	st.acquisitions = 5;
	st.posts = 6;
	st.max_sleepers = 2;
	st.wait_ns = 700;
	stats_write_text(capture_begin(&c), "sem", "pool", &st);
	text = capture_end(&c);
	same_text(text,
		  "name:          pool\n"
		  "type:          semaphore\n"
		  "acquisitions:  5\n"
		  "contended:     0\n"
		  "wait total:    700 ns\n"
		  "wait max:      0 ns\n"
		  "wait mean:     -\n"
		  "hold max:      -\n"
		  "posts:         6\n"
		  "timeouts:      0\n"
		  "deadlocks:     -\n"
		  "owner deaths:  -\n"
		  "max sleepers:  2\n",
		  "stat, a semaphore: no mean without a contended acquisition, no hold time");
	free(text);

	stats_write_text(capture_begin(&c), "cond", "c", &st);
	text = capture_end(&c);
	ok(strstr(text, "type:          condition variable\n") != NULL,
	   "stat, a condition variable: its type in words");
	free(text);
}

static void check_stat_json(void)
{
	struct rtsync_stats st = {
		.acquisitions = UINT64_MAX, .contended = 1, .wait_ns = 2,
		.wait_max_ns = 3, .hold_max_ns = 4, .posts = 5, .timeouts = 6,
		.deadlocks = 7, .owner_deaths = 8, .max_sleepers = 9,
		.flags = RTSYNC_STATS_HOLD_TIME,
	};
	struct capture c;
	char *text;

	stats_write_json(capture_begin(&c), "mutex",
			 "a\"b\\c\001\033\n\x7f\xc3\xa9\xff", &st, 1);
	text = capture_end(&c);
	same_text(text,
		  "{\"type\": \"mutex\", \"name\": \"a\\\"b\\\\c\\u0001\\u001b\\n\x7f\xc3\xa9\\ufffd\", "
		  "\"acquisitions\": 18446744073709551615, \"contended\": 1, \"wait_ns\": 2, \"wait_max_ns\": 3, \"hold_max_ns\": 4, "
		  "\"posts\": 5, \"timeouts\": 6, \"deadlocks\": 7, \"owner_deaths\": 8, \"max_sleepers\": 9, \"flags\": 1}",
		  "stat --json: every counter as a number, control bytes as \\u00XX, U+FFFD for a non-UTF-8 byte");
	free(text);

	stats_write_json(capture_begin(&c), "sem", "s", &st, 0);
	text = capture_end(&c);
	ok(!strstr(text, "flags") && text[strlen(text) - 1] == '}',
	   "without flags for /proc/rtsync_stats");
	free(text);
}

/* ---- top ---- */

static const char top_now[] =
	HEADER
	"mutex 100 10 30000000 9000000 0 0 0 0 0 0 busy\n"
	"sem   50 5 90000000 40000000 0 50 2 0 0 3 slow\\040sem\n"
	"mutex 7 0 0 0 0 0 0 1 0 0 refused\n"
	"cond  3 0 0 0 0 3 0 0 0 1 calm\n"
	"mutex 8 2 1000 800 0 0 0 0 0 0 reset\n"
	"mutex 9 3 2000 900 0 0 0 0 0 0 new\n";

/* The snapshot an interval before: "reset" was reset since, "new" absent. */
static const char top_before[] =
	HEADER
	"mutex 90 4 1000000 900000 0 0 0 0 0 0 busy\n"
	"sem   50 5 90000000 40000000 0 50 2 0 0 3 slow\\040sem\n"
	"mutex 7 0 0 0 0 0 0 1 0 0 refused\n"
	"cond  3 0 0 0 0 3 0 0 0 1 calm\n"
	"mutex 80 20 5000000 800 0 0 0 0 0 0 reset\n"
	"sem   1 1 99999999999 1 0 0 0 0 0 0 gone\n";

/* names - the rows' names joined by spaces */
static const char *names(const struct top_row *rows, size_t count)
{
	static char buf[256];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < count; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
				i ? " " : "", rows[i].e->name);
	return buf;
}

static void check_top_once(const struct proc_stats_list *now)
{
	struct top_row *rows;
	struct capture c;
	size_t count;
	char *text;

	top_rows(now, NULL, TOP_SORT_WAIT, 0, &rows, &count);
	ok(!strcmp(names(rows, count), "slow sem busy new reset refused"),
	   "once: those that waited, most wait first, never waited left out (%s)",
	   names(rows, count));

	top_write_table(capture_begin(&c), rows, count, 0, 0);
	text = capture_end(&c);
	same_text(text,
		  "TYPE   CONTENDED  TOTAL_WAIT  MAX_WAIT  MEAN_WAIT  TIMEOUTS  DEADLOCKS  NAME\n"
		  "sem            5      90.0ms    40.0ms     18.0ms         2          0  slow sem\n"
		  "mutex         10      30.0ms    9.00ms     3.00ms         0          0  busy\n"
		  "mutex          3      2.00us     900ns      666ns         0          0  new\n"
		  "mutex          2      1.00us     800ns      500ns         0          0  reset\n"
		  "mutex          0         0ns       0ns          -         0          1  refused\n",
		  "once: the table of totals, no interval columns");
	free(text);

	top_write_table(capture_begin(&c), rows, count, 0, 2);
	text = capture_end(&c);
	ok(strstr(text, "  busy\n(3 more)\n") && !strstr(text, "new"),
	   "at most max_rows rows, then how many more");
	free(text);

	top_write_json(capture_begin(&c), rows, 2);
	text = capture_end(&c);
	same_text(text,
		  "[\n"
		  "  {\"type\": \"sem\", \"name\": \"slow sem\", \"acquisitions\": 50, \"contended\": 5, \"wait_ns\": 90000000, \"wait_max_ns\": 40000000, \"hold_max_ns\": 0, \"posts\": 50, \"timeouts\": 2, \"deadlocks\": 0, \"owner_deaths\": 0, \"max_sleepers\": 3},\n"
		  "  {\"type\": \"mutex\", \"name\": \"busy\", \"acquisitions\": 100, \"contended\": 10, \"wait_ns\": 30000000, \"wait_max_ns\": 9000000, \"hold_max_ns\": 0, \"posts\": 0, \"timeouts\": 0, \"deadlocks\": 0, \"owner_deaths\": 0, \"max_sleepers\": 0}\n"
		  "]\n",
		  "once --json: an array of the rows, in order");
	free(text);
	free(rows);

	top_write_json(capture_begin(&c), NULL, 0);
	text = capture_end(&c);
	same_text(text, "[]\n", "once --json with nothing to show: []");
	free(text);

	top_rows(now, NULL, TOP_SORT_WAIT, 1, &rows, &count);
	ok(!strcmp(names(rows, count), "slow sem busy new reset calm refused"),
	   "--all: also those never waited for, by wait then name (%s)",
	   names(rows, count));
	free(rows);

	top_rows(now, NULL, TOP_SORT_CONTENDED, 0, &rows, &count);
	ok(!strcmp(names(rows, count), "busy slow sem new reset refused"),
	   "--sort contended (%s)", names(rows, count));
	free(rows);
	top_rows(now, NULL, TOP_SORT_MAX, 0, &rows, &count);
	ok(!strcmp(names(rows, count), "slow sem busy new reset refused"),
	   "--sort max (%s)", names(rows, count));
	free(rows);
	top_rows(now, NULL, TOP_SORT_TIMEOUTS, 0, &rows, &count);
	ok(!strcmp(names(rows, count), "slow sem busy new reset refused"),
	   "--sort timeouts, ties by wait (%s)", names(rows, count));
	free(rows);
}

static void check_top_interval(const struct proc_stats_list *now)
{
	struct proc_stats_list before;
	struct top_row *rows;
	struct capture c;
	unsigned int line;
	size_t count;
	char *text;

	if (parse(top_before, &before, &line))
		return (void)ok(0, "the earlier snapshot parses");

	top_rows(now, &before, TOP_SORT_WAIT, 0, &rows, &count);
	ok(!strcmp(names(rows, count), "busy new reset slow sem refused"),
	   "interval: most wait in the interval first, then total (%s)",
	   names(rows, count));
	ok(count == 5 && rows[0].new_contended == 6 &&
	   rows[0].new_wait_ns == 29000000 && rows[1].new_contended == 3 &&
	   rows[1].new_wait_ns == 2000 && rows[2].new_contended == 2 &&
	   rows[2].new_wait_ns == 1000 && rows[3].new_contended == 0 &&
	   rows[3].new_wait_ns == 0,
	   "interval: growth since the snapshot; a new object and a reset one count whole");

	top_write_table(capture_begin(&c), rows, count, 1, 0);
	text = capture_end(&c);
	same_text(text,
		  "TYPE   CONTENDED  +WAITS   +WAIT  TOTAL_WAIT  MAX_WAIT  MEAN_WAIT  TIMEOUTS  DEADLOCKS  NAME\n"
		  "mutex         10       6  29.0ms      30.0ms    9.00ms     3.00ms         0          0  busy\n"
		  "mutex          3       3  2.00us      2.00us     900ns      666ns         0          0  new\n"
		  "mutex          2       2  1.00us      1.00us     800ns      500ns         0          0  reset\n"
		  "sem            5       0     0ns      90.0ms    40.0ms     18.0ms         2          0  slow sem\n"
		  "mutex          0       0     0ns         0ns       0ns          -         0          1  refused\n",
		  "interval: the table with +WAITS and +WAIT");
	free(text);
	free(rows);

	top_rows(now, &before, TOP_SORT_CONTENDED, 0, &rows, &count);
	ok(!strcmp(names(rows, count), "busy new reset slow sem refused"),
	   "interval --sort contended: most new waits first (%s)",
	   names(rows, count));
	free(rows);
	proc_stats_list_free(&before);
}

static void check_top(void)
{
	struct proc_stats_list now, empty;
	struct top_row *rows;
	unsigned int line;
	size_t count;

	if (!ok(!parse(top_now, &now, &line), "top's snapshot parses"))
		return;
	check_top_once(&now);
	check_top_interval(&now);
	proc_stats_list_free(&now);

	if (!parse(HEADER, &empty, &line)) {
		ok(!top_rows(&empty, NULL, TOP_SORT_WAIT, 1, &rows, &count) &&
		   !rows && !count, "no objects: no rows");
		proc_stats_list_free(&empty);
	}
}

int main(void)
{
	check_parse();
	check_extra_column();
	check_malformed();
	check_durations();
	check_stat_text();
	check_stat_json();
	check_top();
	return tap_done();
}
