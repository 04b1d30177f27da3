// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Parser of /proc/rtsync_stats, the counters of every named object (see
 * proc.h for the format); lines, columns and names are read as proc.c
 * reads /proc/rtsync.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* The columns rtsyncctl needs; the header may name more, in any order. */
enum column {
	COL_TYPE, COL_ACQUISITIONS, COL_CONTENDED, COL_WAIT_NS,
	COL_WAIT_MAX_NS, COL_HOLD_MAX_NS, COL_POSTS, COL_TIMEOUTS,
	COL_DEADLOCKS, COL_OWNER_DEATHS, COL_MAX_SLEEPERS, COL_NAME,
	COL_COUNT
};

static const char *const column_names[COL_COUNT] = {
	[COL_TYPE] = "type", [COL_ACQUISITIONS] = "acquisitions",
	[COL_CONTENDED] = "contended", [COL_WAIT_NS] = "wait_ns",
	[COL_WAIT_MAX_NS] = "wait_max_ns", [COL_HOLD_MAX_NS] = "hold_max_ns",
	[COL_POSTS] = "posts", [COL_TIMEOUTS] = "timeouts",
	[COL_DEADLOCKS] = "deadlocks", [COL_OWNER_DEATHS] = "owner_deaths",
	[COL_MAX_SLEEPERS] = "max_sleepers", [COL_NAME] = "name",
};

/* u64 - a decimal 64-bit counter */
static int u64(const char *s, __u64 *out)
{
	unsigned long long v;

	if (proc_number(s, 10, UINT64_MAX, &v))
		return -1;
	*out = v;
	return 0;
}

/* u32 - a decimal 32-bit counter */
static int u32(const char *s, __u32 *out)
{
	unsigned long long v;

	if (proc_number(s, 10, UINT32_MAX, &v))
		return -1;
	*out = (__u32)v;
	return 0;
}

/* parse_entry - one object line, as split into words; -1 if malformed */
static int parse_entry(char *const f[], const int where[], void *entry)
{
	struct proc_stats_entry *e = entry;
	struct rtsync_stats *st = &e->st;

	memset(e, 0, sizeof(*e));
	if (strlen(f[where[COL_TYPE]]) > PROC_TYPE_MAX)
		return -1;
	strcpy(e->type, f[where[COL_TYPE]]);
	if (u64(f[where[COL_ACQUISITIONS]], &st->acquisitions) ||
	    u64(f[where[COL_CONTENDED]], &st->contended) ||
	    u64(f[where[COL_WAIT_NS]], &st->wait_ns) ||
	    u64(f[where[COL_WAIT_MAX_NS]], &st->wait_max_ns) ||
	    u64(f[where[COL_HOLD_MAX_NS]], &st->hold_max_ns) ||
	    u64(f[where[COL_POSTS]], &st->posts) ||
	    u32(f[where[COL_TIMEOUTS]], &st->timeouts) ||
	    u32(f[where[COL_DEADLOCKS]], &st->deadlocks) ||
	    u32(f[where[COL_OWNER_DEATHS]], &st->owner_deaths) ||
	    u32(f[where[COL_MAX_SLEEPERS]], &st->max_sleepers))
		return -1;
	return proc_unescape(f[where[COL_NAME]], e->name) ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
	const struct proc_stats_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int proc_stats_parse(FILE *in, struct proc_stats_list *list,
		     unsigned int *bad_line)
{
	void *entries;
	size_t count;
	int err;

	err = proc_read(in, column_names, COL_COUNT,
			sizeof(struct proc_stats_entry), parse_entry, &entries,
			&count, bad_line);
	if (err)
		return err;
	if (count)
		qsort(entries, count, sizeof(struct proc_stats_entry),
		      by_name);
	list->entries = entries;
	list->count = count;
	return 0;
}

void proc_stats_list_free(struct proc_stats_list *list)
{
	free(list->entries);
	list->entries = NULL;
	list->count = 0;
}

static int name_cmp(const void *key, const void *entry)
{
	const struct proc_stats_entry *e = entry;

	return strcmp(key, e->name);
}

const struct proc_stats_entry *
proc_stats_find(const struct proc_stats_list *list, const char *name)
{
	if (!list->count)
		return NULL;
	return bsearch(name, list->entries, list->count,
		       sizeof(*list->entries), name_cmp);
}
