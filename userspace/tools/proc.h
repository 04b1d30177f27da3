/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reading /proc/rtsync, the module's list of named objects, and
 * /proc/rtsync_stats, their statistics, into entries.
 *
 * The file starts with a header line naming its columns; every other line
 * is one object, columns separated by blanks, '-' where a column does not
 * apply to the object's type, and the name last with space, tab, newline
 * and backslash written as \ooo. Columns are found by their header name,
 * so a column the module adds later does not break the parser.
 */
#ifndef RTSYNCCTL_PROC_H
#define RTSYNCCTL_PROC_H

#include <stddef.h>
#include <stdio.h>

#include <linux/rtsync.h>

#define RTSYNC_PROC_PATH	"/proc/rtsync"
#define RTSYNC_PROC_STATS_PATH	"/proc/rtsync_stats"

/* Longest type word kept ("mutex", "sem", "cond", or a future one). */
#define PROC_TYPE_MAX		15

struct proc_entry {
	char type[PROC_TYPE_MAX + 1];
	unsigned int mode;		/* permission bits */
	unsigned int uid, gid;		/* owner */
	unsigned int cuid, cgid;	/* creator */
	int has_owner;			/* tid and pid apply (a mutex) */
	unsigned int tid, pid;		/* 0: free, or not visible */
	unsigned int flags;		/* RTSYNC_MINFO_*, _SINFO_*, _CINFO_* */
	int has_count;			/* value and max apply (a semaphore) */
	unsigned int value, max;
	unsigned int waiters;
	char name[RTSYNC_NAME_MAX + 1];	/* unescaped; never contains NUL */
};

struct proc_list {
	struct proc_entry *entries;
	size_t count;
};

/*
 * proc_parse - read a /proc/rtsync listing from @in into @list, sorted by
 * name. Returns 0, ENOMEM, the errno of a failed read, or EBADMSG with the
 * offending line number (1 is the header) in *bad_line. On success the
 * caller frees the list with proc_list_free().
 */
int proc_parse(FILE *in, struct proc_list *list, unsigned int *bad_line);

void proc_list_free(struct proc_list *list);

/*
 * proc_unescape - decode a name as seq_escape() wrote it: "\ooo" is the
 * byte with that octal value, anything else is itself. Returns 0, or
 * EBADMSG for a malformed escape or a result longer than RTSYNC_NAME_MAX
 * bytes, or containing NUL.
 */
int proc_unescape(const char *in, char out[RTSYNC_NAME_MAX + 1]);

/*
 * /proc/rtsync_stats has the same layout: a header line, then one line
 * per object with its type, the counters of struct rtsync_stats in
 * decimal (all but flags and pad) and its name, escaped as above.
 */
struct proc_stats_entry {
	char type[PROC_TYPE_MAX + 1];
	char name[RTSYNC_NAME_MAX + 1];	/* unescaped; never contains NUL */
	struct rtsync_stats st;		/* flags and pad are 0 */
};

struct proc_stats_list {
	struct proc_stats_entry *entries;
	size_t count;
};

/*
 * proc_stats_parse - read a /proc/rtsync_stats listing from @in into
 * @list, sorted by name; returns as proc_parse(). On success the caller
 * frees the list with proc_stats_list_free().
 */
int proc_stats_parse(FILE *in, struct proc_stats_list *list,
		     unsigned int *bad_line);

void proc_stats_list_free(struct proc_stats_list *list);

/*
 * proc_stats_find - the entry named @name in a sorted @list, or NULL.
 */
const struct proc_stats_entry *
proc_stats_find(const struct proc_stats_list *list, const char *name);

/* ---- shared by the two parsers (proc.c) ---- */

/* Most blank-separated words on a line (a name escapes to one word). */
#define PROC_FIELDS_MAX		64

/*
 * proc_line_parser - fill @entry from the words of one object line;
 * @where[c] is the index in @fields of the c-th column asked for.
 * Returns 0, or -1 if the line is malformed.
 */
typedef int proc_line_parser(char *const fields[], const int where[],
			     void *entry);

/*
 * proc_read - read a listing whose header names at least the @ncolumns
 * @columns (in any order, among others), one entry of @entry_size bytes
 * per further line, each filled by @parse after checking the line has as
 * many words as the header. Returns as proc_parse(); on success *entries
 * (malloc'd, NULL when *count is 0) holds the *count entries in file
 * order.
 */
int proc_read(FILE *in, const char *const columns[], int ncolumns,
	      size_t entry_size, proc_line_parser *parse, void **entries,
	      size_t *count, unsigned int *bad_line);

/*
 * proc_number - a whole word as an unsigned number in @base, at most
 * @max: 0, or -1 for anything else (a sign, junk, overflow).
 */
int proc_number(const char *s, int base, unsigned long long max,
		unsigned long long *out);

#endif /* RTSYNCCTL_PROC_H */
