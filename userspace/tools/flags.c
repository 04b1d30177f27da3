// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Names of the flag bits the module reports for an object (INFO ioctls and
 * /proc/rtsync), shared by `info` and `list`.
 */
#include <stdio.h>
#include <string.h>

#include "rtsyncctl.h"

struct flag_name {
	unsigned int bit;
	const char *name;
};

static const struct flag_name mutex_flags[] = {
	{ RTSYNC_MINFO_RECURSIVE, "recursive" },
	{ RTSYNC_MINFO_OWNER_DIED, "owner-died" },
	{ RTSYNC_MINFO_INCONSISTENT, "inconsistent" },
	{ RTSYNC_MINFO_NOTRECOVERABLE, "not-recoverable" },
	{ RTSYNC_MINFO_UNLINKED, "unlinked" },
	{ 0, NULL },
};

/* RTSYNC_SINFO_UNLINKED and RTSYNC_CINFO_UNLINKED are the same bit. */
static const struct flag_name other_flags[] = {
	{ RTSYNC_SINFO_UNLINKED, "unlinked" },
	{ 0, NULL },
};

unsigned int flag_names(const char *type, unsigned int flags,
			const char *names[FLAG_NAMES_MAX], char rest[16])
{
	const struct flag_name *table;
	unsigned int n = 0;

	table = strcmp(type, "mutex") ? other_flags : mutex_flags;
	for (; table->name; table++) {
		if (flags & table->bit) {
			names[n++] = table->name;
			flags &= ~table->bit;
		}
	}
	if (flags) {
		snprintf(rest, 16, "%#x", flags);
		names[n++] = rest;
	}
	return n;
}
