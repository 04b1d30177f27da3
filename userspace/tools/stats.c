// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * How rtsyncctl shows an object's statistics (struct rtsync_stats): the
 * readable block and the JSON object of `stat`, the durations and JSON
 * objects of `top`.
 */
#include <stdio.h>
#include <string.h>

#include "rtsyncctl.h"

#define HOLD_TIME_PARAM	"/sys/module/rtsync/parameters/hold_time"

char *format_duration(char buf[DURATION_SIZE], unsigned long long ns,
		      const char *sep)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = { { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	unsigned int i;
	double v;

	if (ns < 1000) {
		snprintf(buf, DURATION_SIZE, "%llu%sns", ns, sep);
		return buf;
	}
	/* The first unit in which the value rounds to less than 1000. */
	for (i = 0; i + 1 < sizeof(units) / sizeof(units[0]); i++)
		if ((double)ns / units[i].scale < 999.5)
			break;
	v = (double)ns / units[i].scale;
	snprintf(buf, DURATION_SIZE,
		 v < 9.995 ? "%.2f%s%s" : v < 99.95 ? "%.1f%s%s" : "%.0f%s%s",
		 v, sep, units[i].unit);
	return buf;
}

/* Which counters mean something for a type (struct rtsync_stats). */
struct applies {
	int hold, posts, deadlocks, owner_deaths, max_sleepers;
};

static struct applies counters_of(const char *type)
{
	static const struct applies mutex = { 1, 0, 1, 1, 0 };
	static const struct applies waitqueue = { 0, 1, 0, 0, 1 };
	static const struct applies unknown = { 1, 1, 1, 1, 1 };

	if (!strcmp(type, "mutex"))
		return mutex;
	if (!strcmp(type, "sem") || !strcmp(type, "cond"))
		return waitqueue;
	return unknown;
}

/* A counter, or '-' when it does not apply to the type (and is 0). */
static void write_counter(FILE *out, const char *label, int applies,
			  unsigned long long value)
{
	if (!applies && !value)
		fprintf(out, "%-15s-\n", label);
	else
		fprintf(out, "%-15s%llu\n", label, value);
}

/* A time: in human units, then exactly. */
static void write_time(FILE *out, const char *label, unsigned long long ns)
{
	char human[DURATION_SIZE];

	if (ns < 1000)
		fprintf(out, "%-15s%llu ns\n", label, ns);
	else
		fprintf(out, "%-15s%s (%llu ns)\n", label,
			format_duration(human, ns, " "), ns);
}

void stats_write_text(FILE *out, const char *type, const char *name,
		      const struct rtsync_stats *st)
{
	struct applies a = counters_of(type);
	char human[DURATION_SIZE];
	const char *type_word;

	if (!strcmp(type, "sem"))
		type_word = "semaphore";
	else if (!strcmp(type, "cond"))
		type_word = "condition variable";
	else
		type_word = type;

	fprintf(out, "%-15s", "name:");
	write_table_name(out, name);
	fputc('\n', out);
	fprintf(out, "%-15s%s\n", "type:", type_word);
	fprintf(out, "%-15s%llu\n", "acquisitions:",
		(unsigned long long)st->acquisitions);
	fprintf(out, "%-15s%llu\n", "contended:",
		(unsigned long long)st->contended);
	write_time(out, "wait total:", st->wait_ns);
	write_time(out, "wait max:", st->wait_max_ns);
	if (st->contended)
		fprintf(out, "%-15s%s\n", "wait mean:",
			format_duration(human, st->wait_ns / st->contended,
					" "));
	else
		fprintf(out, "%-15s-\n", "wait mean:");
	if (st->flags & RTSYNC_STATS_HOLD_TIME)
		write_time(out, "hold max:", st->hold_max_ns);
	else if (!a.hold && !st->hold_max_ns)
		fprintf(out, "%-15s-\n", "hold max:");
	else if (!st->hold_max_ns)
		fprintf(out, "%-15snot measured (to measure: echo Y > %s)\n",
			"hold max:", HOLD_TIME_PARAM);
	else	/* measured before hold_time was turned off */
		fprintf(out, "%-15s%s (%llu ns), no longer measured (echo Y > %s)\n",
			"hold max:", format_duration(human, st->hold_max_ns, " "),
			(unsigned long long)st->hold_max_ns, HOLD_TIME_PARAM);
	write_counter(out, "posts:", a.posts, st->posts);
	write_counter(out, "timeouts:", 1, st->timeouts);
	write_counter(out, "deadlocks:", a.deadlocks, st->deadlocks);
	write_counter(out, "owner deaths:", a.owner_deaths, st->owner_deaths);
	write_counter(out, "max sleepers:", a.max_sleepers, st->max_sleepers);
}

void stats_write_json(FILE *out, const char *type, const char *name,
		      const struct rtsync_stats *st, int with_flags)
{
	fputs("{\"type\": ", out);
	write_json_string(out, type);
	fputs(", \"name\": ", out);
	write_json_string(out, name);
	fprintf(out,
		", \"acquisitions\": %llu, \"contended\": %llu, \"wait_ns\": %llu, \"wait_max_ns\": %llu, \"hold_max_ns\": %llu, \"posts\": %llu, \"timeouts\": %u, \"deadlocks\": %u, \"owner_deaths\": %u, \"max_sleepers\": %u",
		(unsigned long long)st->acquisitions,
		(unsigned long long)st->contended,
		(unsigned long long)st->wait_ns,
		(unsigned long long)st->wait_max_ns,
		(unsigned long long)st->hold_max_ns,
		(unsigned long long)st->posts, st->timeouts, st->deadlocks,
		st->owner_deaths, st->max_sleepers);
	if (with_flags)
		fprintf(out, ", \"flags\": %u", st->flags);
	fputc('}', out);
}
