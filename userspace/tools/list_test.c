// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Host checks of `rtsyncctl list` without the module: the /proc/rtsync
 * parser (columns found by header, '-' columns, \ooo names, malformed
 * input) and the exact table and JSON it prints. The listings below are
 * written the way module/procfs.c writes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rtsyncctl.h"
#include "tap.h"
#include "tools_test.h"

#define HEADER "type  mode uid gid cuid cgid tid pid flags value max waiters name\n"

/* parse - proc_parse() of a string; the error, 0 on success */
static int parse(const char *text, struct proc_list *list,
		 unsigned int *bad_line)
{
	FILE *in = text_in(text);
	int err;

	*bad_line = 0;
	err = proc_parse(in, list, bad_line);
	fclose(in);
	return err;
}

/* render - what list_write_table (json 0) or list_write_json prints */
static char *render(const struct proc_list *list, int json)
{
	struct capture c;

	if (json)
		list_write_json(capture_begin(&c), list);
	else
		list_write_table(capture_begin(&c), list);
	return capture_end(&c);
}

static void check_empty(void)
{
	struct proc_list list;
	unsigned int line;
	char *text;

	if (!ok(parse(HEADER, &list, &line) == 0 && list.count == 0,
		"header only: no objects"))
		return;
	text = render(&list, 1);
	same_text(text, "[]\n", "header only: JSON is []");
	free(text);
	text = render(&list, 0);
	same_text(text,
		  "TYPE  MODE  UID  GID  PID  TID  VALUE  MAX  WAITERS  FLAGS  NAME\n",
		  "header only: table is the head line");
	free(text);
	proc_list_free(&list);
}

static const char listing[] =
	HEADER
	"sem   0640 1000 100 0 0 - - 0x00 2 5 0 pool\n"
	"mutex 0600 0 0 0 0 12 13 0x01 - - 1 lock\\040a\n"
	"cond  0666 0 0 1 2 - - 0x00 - - 3 c\n"
	"mutex 0600 0 0 0 0 0 0 0x16 - - 0 odd\\011\\012\\134\"\xc3\xa9\xff\n";

static void check_listing(void)
{
	struct proc_list list;
	struct proc_entry *e;
	unsigned int line;
	char *text;
	int err;

	err = parse(listing, &list, &line);
	if (!ok(!err && list.count == 4, "four objects parsed (%s at line %u)",
		strerror(err), line))
		return;

	e = list.entries;
	ok(!strcmp(e[0].name, "c") && !strcmp(e[1].name, "lock a") &&
	   !strcmp(e[2].name, "odd\t\n\\\"\xc3\xa9\xff") &&
	   !strcmp(e[3].name, "pool"),
	   "sorted by name, names unescaped");
	ok(!strcmp(e[1].type, "mutex") && e[1].has_owner && e[1].pid == 13 &&
	   e[1].tid == 12 && !e[1].has_count && e[1].waiters == 1 &&
	   e[1].flags == RTSYNC_MINFO_RECURSIVE && e[1].mode == 0600,
	   "mutex fields");
	ok(!strcmp(e[3].type, "sem") && !e[3].has_owner && e[3].has_count &&
	   e[3].value == 2 && e[3].max == 5 && e[3].uid == 1000 &&
	   e[3].gid == 100 && e[3].mode == 0640,
	   "semaphore fields");
	ok(e[0].cuid == 1 && e[0].cgid == 2 && e[0].waiters == 3 &&
	   !e[0].has_owner && !e[0].has_count,
	   "condition variable fields");

	text = render(&list, 1);
	same_text(text,
		  "[\n"
		  "  {\"type\": \"cond\", \"name\": \"c\", \"mode\": 438, \"uid\": 0, \"gid\": 0, \"cuid\": 1, \"cgid\": 2, \"owner_pid\": null, \"owner_tid\": null, \"value\": null, \"max\": null, \"waiters\": 3, \"flags\": 0, \"flag_names\": []},\n"
		  "  {\"type\": \"mutex\", \"name\": \"lock a\", \"mode\": 384, \"uid\": 0, \"gid\": 0, \"cuid\": 0, \"cgid\": 0, \"owner_pid\": 13, \"owner_tid\": 12, \"value\": null, \"max\": null, \"waiters\": 1, \"flags\": 1, \"flag_names\": [\"recursive\"]},\n"
		  "  {\"type\": \"mutex\", \"name\": \"odd\\t\\n\\\\\\\"\xc3\xa9\\ufffd\", \"mode\": 384, \"uid\": 0, \"gid\": 0, \"cuid\": 0, \"cgid\": 0, \"owner_pid\": 0, \"owner_tid\": 0, \"value\": null, \"max\": null, \"waiters\": 0, \"flags\": 22, \"flag_names\": [\"owner-died\", \"inconsistent\", \"unlinked\"]},\n"
		  "  {\"type\": \"sem\", \"name\": \"pool\", \"mode\": 416, \"uid\": 1000, \"gid\": 100, \"cuid\": 0, \"cgid\": 0, \"owner_pid\": null, \"owner_tid\": null, \"value\": 2, \"max\": 5, \"waiters\": 0, \"flags\": 0, \"flag_names\": []}\n"
		  "]\n",
		  "JSON: typed fields, null where a column does not apply, JSON escapes, U+FFFD for a non-UTF-8 byte");
	free(text);

	text = render(&list, 0);
	same_text(text,
		  "TYPE   MODE  UID   GID  PID  TID  VALUE  MAX  WAITERS  FLAGS                             NAME\n"
		  "cond   0666  0     0    -    -    -      -    3        -                                 c\n"
		  "mutex  0600  0     0    13   12   -      -    1        recursive                         lock a\n"
		  "mutex  0600  0     0    -    -    -      -    0        owner-died,inconsistent,unlinked  odd\\011\\012\\134\"\\303\\251\\377\n"
		  "sem    0640  1000  100  -    -    2      5    0        -                                 pool\n",
		  "table: aligned columns, '-' for no owner, every byte but printable ASCII and backslash as \\ooo, as /proc/rtsync");
	free(text);
	proc_list_free(&list);
}

static void check_extra_column(void)
{
	static const char text[] =
		"name type extra mode uid gid cuid cgid tid pid flags value max waiters\n"
		"x sem 7 0600 0 0 0 0 - - 0x00 1 1 0\n";
	struct proc_list list = { NULL, 0 };
	unsigned int line;
	int err;

	err = parse(text, &list, &line);
	ok(!err && list.count == 1 &&
	   !strcmp(list.entries[0].name, "x") && list.entries[0].value == 1,
	   "columns found by their header names, unknown columns ignored");
	if (!err)
		proc_list_free(&list);
}

static void check_malformed(void)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *what;
	} bad[] = {
		{ "", 0, "empty file" },
		{ "type mode uid gid cuid cgid tid pid flags value max name\n",
		  1, "header without waiters" },
		{ HEADER "mutex 0600 0 0 0 0 0 0 0x00 - - 0\n", 2,
		  "line without a name" },
		{ HEADER "sem 0600 0 0 0 0 - - 0x00 1 1 0 a b\n", 2,
		  "line with one column too many" },
		{ HEADER "sem 0600 0 0 0 0 - - 0x00 1 1 0 ok\n"
		  "mutex 0600 0 0 0 0 - 5 0x00 - - 0 m\n", 3,
		  "pid without tid" },
		{ HEADER "sem 0600 0 0 0 0 - - 0x00 1 - 0 s\n", 2,
		  "value without max" },
		{ HEADER "sem 0680 0 0 0 0 - - 0x00 1 1 0 s\n", 2,
		  "mode not octal" },
		{ HEADER "sem 0600 -1 0 0 0 - - 0x00 1 1 0 s\n", 2,
		  "negative uid" },
		{ HEADER "sem 0600 0 0 0 0 - - 0x00 1 1 0 a\\04\n", 2,
		  "short escape" },
		{ HEADER "sem 0600 0 0 0 0 - - 0x00 1 1 0 a\\000b\n", 2,
		  "escaped NUL" },
		{ HEADER "verylongtypename 0600 0 0 0 0 - - 0x00 1 1 0 a\n", 2,
		  "type word too long" },
	};
	struct proc_list list;
	unsigned int i, line;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = parse(bad[i].text, &list, &line);
		ok(err == EBADMSG && line == bad[i].line,
		   "%s: EBADMSG at line %u (got %s at line %u)", bad[i].what,
		   bad[i].line, strerror(err), line);
		if (!err)
			proc_list_free(&list);
	}
}

static void check_unescape_limits(void)
{
	char in[4 * (RTSYNC_NAME_MAX + 1) + 1], out[RTSYNC_NAME_MAX + 1];
	int i;

	for (i = 0; i < RTSYNC_NAME_MAX; i++)
		memcpy(in + 4 * i, "\\040", 4);
	in[4 * RTSYNC_NAME_MAX] = '\0';
	ok(proc_unescape(in, out) == 0 && strlen(out) == RTSYNC_NAME_MAX &&
	   out[0] == ' ' && out[RTSYNC_NAME_MAX - 1] == ' ',
	   "a 255-byte name of escapes decodes");
	memcpy(in + 4 * RTSYNC_NAME_MAX, "x", 2);
	ok(proc_unescape(in, out) == EBADMSG, "a 256-byte name is refused");
	ok(proc_unescape("", out) == EBADMSG, "an empty name is refused");
	ok(proc_unescape("\\400", out) == EBADMSG,
	   "an escape above 0377 is refused");
}

int main(void)
{
	check_empty();
	check_listing();
	check_extra_column();
	check_malformed();
	check_unescape_limits();
	return tap_done();
}
