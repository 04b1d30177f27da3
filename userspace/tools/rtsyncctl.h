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

#endif /* RTSYNCCTL_H */
