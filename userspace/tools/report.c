// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * How rtsyncctl reports problems: one line on stderr starting with
 * "rtsyncctl: ", and the exit status that goes with it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtsyncctl.h"

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rtsyncctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'rtsyncctl --help'.\n", stderr);
	return EXIT_USAGE;
}

int report_error(const char *what, int err, const char *hint)
{
	fflush(stdout);	/* keep what was printed before the error first */
	fprintf(stderr, "rtsyncctl: %s: %s%s%s%s\n", what, strerror(err),
		hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	return EXIT_FAILURE;
}
