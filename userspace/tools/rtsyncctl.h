/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What rtsyncctl's source files share: exit statuses, error reporting,
 * flag names and the commands that live outside rtsyncctl.c.
 */
#ifndef RTSYNCCTL_H
#define RTSYNCCTL_H

#include <stdio.h>

#include "proc.h"

/* Exit statuses besides EXIT_SUCCESS (0) and EXIT_FAILURE (1). */
#define EXIT_USAGE	2

/*
 * usage_error - print "rtsyncctl: <message>" and a pointer to --help on
 * stderr; returns EXIT_USAGE.
 */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * report_error - print "rtsyncctl: <what>: <strerror(err)>[ (<hint>)]" on
 * stderr, after what was already printed on stdout; returns EXIT_FAILURE.
 * @hint may be NULL.
 */
int report_error(const char *what, int err, const char *hint);

/* Most flag bits an object can show, plus one word for unnamed bits. */
#define FLAG_NAMES_MAX	9

/*
 * flag_names - the words for the bits set in @flags of an object of @type
 * ("mutex", "sem", "cond"), lowest bit first; bits without a name are
 * gathered into one hexadecimal word written to @rest. Returns how many
 * words were stored in @names.
 */
unsigned int flag_names(const char *type, unsigned int flags,
			const char *names[FLAG_NAMES_MAX], char rest[16]);

/* The `list` command (list.c). */
int cmd_list(int argc, char **argv);

/* list's two output formats, for a parsed /proc/rtsync. */
void list_write_table(FILE *out, const struct proc_list *list);
void list_write_json(FILE *out, const struct proc_list *list);

/*
 * write_table_name - a name for a terminal, as /proc/rtsync escapes it:
 * printable ASCII and space as they are, every other byte and the
 * backslash as \ooo (list.c).
 */
void write_table_name(FILE *out, const char *name);

/*
 * write_json_string - @s as a JSON string: JSON's escapes, \u00XX for
 * other control bytes, U+FFFD for a byte that is not well-formed UTF-8
 * (list.c).
 */
void write_json_string(FILE *out, const char *s);

/* ---- statistics (stats.c), shown by `stat` and `top` ---- */

/* Room for any format_duration() result. */
#define DURATION_SIZE	32

/*
 * format_duration - @ns with three significant digits in the largest unit
 * that keeps it at least 1: "850 ns", "12.3 us", "1.25 ms", "2.50 s";
 * @sep goes between number and unit ("" for a table cell). Returns @buf.
 */
char *format_duration(char buf[DURATION_SIZE], unsigned long long ns,
		      const char *sep);

/*
 * stats_write_text - `stat`'s readable block of @st for an object of
 * @type ("mutex", "sem", "cond") named @name: every counter, '-' for
 * those that do not apply to the type, times also in human units, the
 * mean wait, and whether hold times are measured.
 */
void stats_write_text(FILE *out, const char *type, const char *name,
		      const struct rtsync_stats *st);

/*
 * stats_write_json - one JSON object: "type", "name", then every counter
 * of @st as a number, and "flags" if @with_flags (`stat`; /proc/rtsync_stats
 * has no flags). No newline after it.
 */
void stats_write_json(FILE *out, const char *type, const char *name,
		      const struct rtsync_stats *st, int with_flags);

/* ---- the `top` command (top.c) ---- */

enum top_sort { TOP_SORT_WAIT, TOP_SORT_CONTENDED, TOP_SORT_MAX,
		TOP_SORT_TIMEOUTS };

/* One object in top's table. */
struct top_row {
	const struct proc_stats_entry *e;
	/* Since the previous snapshot, when there is one: */
	unsigned long long new_contended, new_wait_ns;
};

/*
 * top_rows - the rows of @now to show, sorted by @sort: those that have
 * waited, or all if @all. With @before (the previous snapshot), the
 * interval columns are filled and wait and contended sort by them first.
 * Returns 0 with a malloc'd array of *count rows in *rows (NULL when
 * there are none), pointing into @now; or ENOMEM.
 */
int top_rows(const struct proc_stats_list *now,
	     const struct proc_stats_list *before, enum top_sort sort, int all,
	     struct top_row **rows, size_t *count);

/*
 * top_write_table - the table of @rows (the interval columns if
 * @has_interval), at most @max_rows of them (0: all) and then a line
 * saying how many more there are.
 */
void top_write_table(FILE *out, const struct top_row *rows, size_t count,
		     int has_interval, size_t max_rows);

/* top_write_json - @rows as a JSON array, one object each, and a newline */
void top_write_json(FILE *out, const struct top_row *rows, size_t count);

int cmd_top(int argc, char **argv);

#endif /* RTSYNCCTL_H */
