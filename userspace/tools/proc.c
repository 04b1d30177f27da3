// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Parser of /proc/rtsync (see proc.h for the format), and what it shares
 * with the parser of /proc/rtsync_stats (proc_stats.c): splitting lines,
 * finding columns by their header names, numbers and names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

#define BLANKS " \t"

/* The columns rtsyncctl needs; the header may name more, in any order. */
enum column {
	COL_TYPE, COL_MODE, COL_UID, COL_GID, COL_CUID, COL_CGID, COL_TID,
	COL_PID, COL_FLAGS, COL_VALUE, COL_MAX, COL_WAITERS, COL_NAME,
	COL_COUNT
};

static const char *const column_names[COL_COUNT] = {
	[COL_TYPE] = "type", [COL_MODE] = "mode", [COL_UID] = "uid",
	[COL_GID] = "gid", [COL_CUID] = "cuid", [COL_CGID] = "cgid",
	[COL_TID] = "tid", [COL_PID] = "pid", [COL_FLAGS] = "flags",
	[COL_VALUE] = "value", [COL_MAX] = "max", [COL_WAITERS] = "waiters",
	[COL_NAME] = "name",
};

/* split - cut @line at blanks into at most PROC_FIELDS_MAX words; -1 if more */
static int split(char *line, char *fields[PROC_FIELDS_MAX])
{
	char *save = NULL, *word;
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	for (word = strtok_r(line, BLANKS, &save); word;
	     word = strtok_r(NULL, BLANKS, &save)) {
		if (n == PROC_FIELDS_MAX)
			return -1;
		fields[n++] = word;
	}
	return n;
}

/* parse_header - where each needed column is; -1 if one is missing */
static int parse_header(char *line, const char *const columns[],
			int ncolumns, int where[], int *nfields)
{
	char *fields[PROC_FIELDS_MAX];
	int c, i, n;

	n = split(line, fields);
	if (n < 0)
		return -1;
	for (c = 0; c < ncolumns; c++) {
		where[c] = -1;
		for (i = 0; i < n; i++)
			if (!strcmp(fields[i], columns[c]))
				where[c] = i;
		if (where[c] < 0)
			return -1;
	}
	*nfields = n;
	return 0;
}

int proc_number(const char *s, int base, unsigned long long max,
		unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (*s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* parse_uint - a whole word as an unsigned 32-bit number in @base */
static int parse_uint(const char *s, int base, unsigned int *out)
{
	unsigned long long v;

	if (proc_number(s, base, 0xffffffffU, &v))
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/*
 * parse_optional - a number, or '-' for a column that does not apply.
 * Returns 1 for a number, 0 for '-', -1 for anything else.
 */
static int parse_optional(const char *s, unsigned int *out)
{
	if (!strcmp(s, "-")) {
		*out = 0;
		return 0;
	}
	return parse_uint(s, 10, out) ? -1 : 1;
}

static int is_octal_digit(char c)
{
	return c >= '0' && c <= '7';
}

int proc_unescape(const char *in, char out[RTSYNC_NAME_MAX + 1])
{
	size_t len = 0;
	int byte;

	while (*in) {
		if (len == RTSYNC_NAME_MAX)
			return EBADMSG;
		if (*in != '\\') {
			out[len++] = *in++;
			continue;
		}
		if (!is_octal_digit(in[1]) || !is_octal_digit(in[2]) ||
		    !is_octal_digit(in[3]))
			return EBADMSG;
		byte = (in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0');
		if (byte == 0 || byte > 0xff)
			return EBADMSG;
		out[len++] = (char)byte;
		in += 4;
	}
	if (len == 0)
		return EBADMSG;
	out[len] = '\0';
	return 0;
}

/* parse_entry - one object line, as split into words; -1 if malformed */
static int parse_entry(char *const f[], const int where[], void *entry)
{
	struct proc_entry *e = entry;
	int tid, pid, value, max;

	memset(e, 0, sizeof(*e));
	if (strlen(f[where[COL_TYPE]]) > PROC_TYPE_MAX)
		return -1;
	strcpy(e->type, f[where[COL_TYPE]]);
	if (parse_uint(f[where[COL_MODE]], 8, &e->mode) ||
	    parse_uint(f[where[COL_UID]], 10, &e->uid) ||
	    parse_uint(f[where[COL_GID]], 10, &e->gid) ||
	    parse_uint(f[where[COL_CUID]], 10, &e->cuid) ||
	    parse_uint(f[where[COL_CGID]], 10, &e->cgid) ||
	    parse_uint(f[where[COL_FLAGS]], 16, &e->flags) ||
	    parse_uint(f[where[COL_WAITERS]], 10, &e->waiters))
		return -1;

	/* tid and pid go together, and so do value and max. */
	tid = parse_optional(f[where[COL_TID]], &e->tid);
	pid = parse_optional(f[where[COL_PID]], &e->pid);
	value = parse_optional(f[where[COL_VALUE]], &e->value);
	max = parse_optional(f[where[COL_MAX]], &e->max);
	if (tid < 0 || tid != pid || value < 0 || value != max)
		return -1;
	e->has_owner = tid;
	e->has_count = value;

	return proc_unescape(f[where[COL_NAME]], e->name) ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int proc_read(FILE *in, const char *const columns[], int ncolumns,
	      size_t entry_size, proc_line_parser *parse, void **entries,
	      size_t *count, unsigned int *bad_line)
{
	size_t n = 0, capacity = 0, size = 0;
	int where[PROC_FIELDS_MAX], nfields = 0, err = 0;
	char *fields[PROC_FIELDS_MAX], *line = NULL, *all = NULL, *grown;
	unsigned int line_no = 0;

	if (ncolumns > PROC_FIELDS_MAX)
		return EINVAL;
	while (getline(&line, &size, in) >= 0) {
		line_no++;
		if (line_no == 1) {
			if (parse_header(line, columns, ncolumns, where,
					 &nfields)) {
				err = EBADMSG;
				break;
			}
			continue;
		}
		if (n == capacity) {
			capacity = capacity ? 2 * capacity : 16;
			grown = realloc(all, capacity * entry_size);
			if (!grown) {
				err = ENOMEM;
				break;
			}
			all = grown;
		}
		if (split(line, fields) != nfields ||
		    parse(fields, where, all + n * entry_size)) {
			err = EBADMSG;
			break;
		}
		n++;
	}
	if (!err && ferror(in))
		err = errno ? errno : EIO;
	else if (!err && line_no == 0)
		err = EBADMSG;	/* not even a header */
	free(line);
	if (err) {
		*bad_line = line_no;
		free(all);
		return err;
	}
	*entries = all;
	*count = n;
	return 0;
}

int proc_parse(FILE *in, struct proc_list *list, unsigned int *bad_line)
{
	void *entries;
	size_t count;
	int err;

	err = proc_read(in, column_names, COL_COUNT, sizeof(struct proc_entry),
			parse_entry, &entries, &count, bad_line);
	if (err)
		return err;
	if (count)
		qsort(entries, count, sizeof(struct proc_entry), by_name);
	list->entries = entries;
	list->count = count;
	return 0;
}

void proc_list_free(struct proc_list *list)
{
	free(list->entries);
	list->entries = NULL;
	list->count = 0;
}
