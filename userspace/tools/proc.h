/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reading /proc/rtsync, the module's list of named objects, into entries.
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

#endif /* RTSYNCCTL_PROC_H */
