// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * rtsyncctl list [--json]: every named object, from /proc/rtsync, as a
 * table for people or a JSON array for programs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "rtsyncctl.h"

/* ---- names ---- */

/*
 * utf8_length - length of the well-formed UTF-8 sequence at @s (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 */
static size_t utf8_length(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* The second byte's range is narrower after these lead bytes. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)	/* also stops at NUL */
			return 0;
	return len;
}

/* ---- table ---- */

enum table_column {
	TC_TYPE, TC_MODE, TC_UID, TC_GID, TC_PID, TC_TID, TC_VALUE, TC_MAX,
	TC_WAITERS, TC_FLAGS, TC_COUNT
};

static const char *const table_heads[TC_COUNT] = {
	"TYPE", "MODE", "UID", "GID", "PID", "TID", "VALUE", "MAX", "WAITERS",
	"FLAGS",
};

/* Enough for every flag word joined by commas. */
#define CELL_SIZE 96

/* format_row - the cells of one object, all but the name */
static void format_row(const struct proc_entry *e,
		       char cells[TC_COUNT][CELL_SIZE])
{
	const char *names[FLAG_NAMES_MAX];
	unsigned int i, n;
	char rest[16];
	size_t len;

	snprintf(cells[TC_TYPE], CELL_SIZE, "%s", e->type);
	snprintf(cells[TC_MODE], CELL_SIZE, "%04o", e->mode);
	snprintf(cells[TC_UID], CELL_SIZE, "%u", e->uid);
	snprintf(cells[TC_GID], CELL_SIZE, "%u", e->gid);
	/* A free mutex has no owner: '-' as for the other types. */
	if (e->has_owner && e->tid) {
		snprintf(cells[TC_PID], CELL_SIZE, "%u", e->pid);
		snprintf(cells[TC_TID], CELL_SIZE, "%u", e->tid);
	} else {
		strcpy(cells[TC_PID], "-");
		strcpy(cells[TC_TID], "-");
	}
	if (e->has_count) {
		snprintf(cells[TC_VALUE], CELL_SIZE, "%u", e->value);
		snprintf(cells[TC_MAX], CELL_SIZE, "%u", e->max);
	} else {
		strcpy(cells[TC_VALUE], "-");
		strcpy(cells[TC_MAX], "-");
	}
	snprintf(cells[TC_WAITERS], CELL_SIZE, "%u", e->waiters);

	n = flag_names(e->type, e->flags, names, rest);
	strcpy(cells[TC_FLAGS], n ? "" : "-");
	for (i = 0, len = 0; i < n; i++)
		len += snprintf(cells[TC_FLAGS] + len, CELL_SIZE - len, "%s%s",
				i ? "," : "", names[i]);
}

/*
 * write_table_name - the name as the last column, escaped as /proc/rtsync
 * escapes it: printable ASCII as it is, every other byte and the
 * backslash as \ooo, so the terminal sees no control sequences (nor
 * look-alike or right-to-left characters) and each object stays on one
 * line. A space stays a space: it cannot break the last column.
 */
void write_table_name(FILE *out, const char *name)
{
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			fprintf(out, "\\%03o", *p);
		else
			fputc(*p, out);
	}
}

void list_write_table(FILE *out, const struct proc_list *list)
{
	char cells[TC_COUNT][CELL_SIZE];
	size_t width[TC_COUNT], i;
	int c;

	for (c = 0; c < TC_COUNT; c++)
		width[c] = strlen(table_heads[c]);
	for (i = 0; i < list->count; i++) {
		format_row(&list->entries[i], cells);
		for (c = 0; c < TC_COUNT; c++)
			if (strlen(cells[c]) > width[c])
				width[c] = strlen(cells[c]);
	}

	for (c = 0; c < TC_COUNT; c++)
		fprintf(out, "%-*s  ", (int)width[c], table_heads[c]);
	fputs("NAME\n", out);
	for (i = 0; i < list->count; i++) {
		format_row(&list->entries[i], cells);
		for (c = 0; c < TC_COUNT; c++)
			fprintf(out, "%-*s  ", (int)width[c], cells[c]);
		write_table_name(out, list->entries[i].name);
		fputc('\n', out);
	}
}

/* ---- JSON ---- */

/*
 * write_json_string - @s as a JSON string. Names are bytes; a byte that is
 * not part of well-formed UTF-8 cannot be carried by JSON and becomes
 * U+FFFD (documented in rtsyncctl(1)).
 */
void write_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;

	fputc('"', out);
	while (*p) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20) {
				fprintf(out, "\\u%04x", *p);
				break;
			}
			len = utf8_length(p);
			if (!len) {
				fputs("\\ufffd", out);
				break;
			}
			fwrite(p, 1, len, out);
			p += len - 1;
			break;
		}
		p++;
	}
	fputc('"', out);
}

/* write_json_optional - a number, or null for a column that does not apply */
static void write_json_optional(FILE *out, const char *key, int present,
				unsigned int value)
{
	if (present)
		fprintf(out, ", \"%s\": %u", key, value);
	else
		fprintf(out, ", \"%s\": null", key);
}

static void write_json_entry(FILE *out, const struct proc_entry *e)
{
	const char *names[FLAG_NAMES_MAX];
	unsigned int i, n;
	char rest[16];

	fputs("{\"type\": ", out);
	write_json_string(out, e->type);
	fputs(", \"name\": ", out);
	write_json_string(out, e->name);
	fprintf(out, ", \"mode\": %u, \"uid\": %u, \"gid\": %u, \"cuid\": %u, \"cgid\": %u",
		e->mode, e->uid, e->gid, e->cuid, e->cgid);
	write_json_optional(out, "owner_pid", e->has_owner, e->pid);
	write_json_optional(out, "owner_tid", e->has_owner, e->tid);
	write_json_optional(out, "value", e->has_count, e->value);
	write_json_optional(out, "max", e->has_count, e->max);
	fprintf(out, ", \"waiters\": %u, \"flags\": %u, \"flag_names\": [",
		e->waiters, e->flags);
	n = flag_names(e->type, e->flags, names, rest);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		write_json_string(out, names[i]);
	}
	fputs("]}", out);
}

void list_write_json(FILE *out, const struct proc_list *list)
{
	size_t i;

	if (!list->count) {
		fputs("[]\n", out);
		return;
	}
	fputs("[\n", out);
	for (i = 0; i < list->count; i++) {
		fputs("  ", out);
		write_json_entry(out, &list->entries[i]);
		fputs(i + 1 < list->count ? ",\n" : "\n", out);
	}
	fputs("]\n", out);
}

/* ---- the command ---- */

int cmd_list(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct proc_list list;
	unsigned int bad_line;
	char what[64];
	int json = 0, opt, err;
	FILE *in;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
		if (opt != 'j')
			return usage_error("list: unknown option '%s'",
					   argv[optind - 1]);
		json = 1;
	}
	if (optind != argc)
		return usage_error("usage: list [--json]");

	in = fopen(RTSYNC_PROC_PATH, "re");
	if (!in)
		return report_error(RTSYNC_PROC_PATH, errno,
				    errno == ENOENT ?
				    "is the rtsync module loaded?" : NULL);
	err = proc_parse(in, &list, &bad_line);
	fclose(in);
	if (err == EBADMSG) {
		snprintf(what, sizeof(what), "%s line %u", RTSYNC_PROC_PATH,
			 bad_line);
		return report_error(what, err, "unexpected format");
	}
	if (err)
		return report_error(RTSYNC_PROC_PATH, err, NULL);

	if (json)
		list_write_json(stdout, &list);
	else
		list_write_table(stdout, &list);
	proc_list_free(&list);
	return EXIT_SUCCESS;
}
