/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What rtsyncctl's host tests (list_test.c, stats_test.c) share: a string
 * read as a /proc file, a writer's output caught as a string, and a
 * comparison of texts that shows both when they differ. Include after
 * tap.h; define _GNU_SOURCE first (fmemopen, open_memstream).
 */
#ifndef RTSYNCCTL_TOOLS_TEST_H
#define RTSYNCCTL_TOOLS_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* text_in - @text as a stream to read, or bail out */
static inline FILE *text_in(const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");

	if (!in) {
		printf("Bail out! fmemopen: %s\n", strerror(errno));
		exit(1);
	}
	return in;
}

/* The output of one of the writers, as a string to free. */
struct capture {
	char *text;
	size_t size;
	FILE *out;
};

static inline FILE *capture_begin(struct capture *c)
{
	c->text = NULL;
	c->size = 0;
	c->out = open_memstream(&c->text, &c->size);
	if (!c->out) {
		printf("Bail out! open_memstream: %s\n", strerror(errno));
		exit(1);
	}
	return c->out;
}

static inline char *capture_end(struct capture *c)
{
	fclose(c->out);
	return c->text;
}

/* same_text - compare, and show both texts when they differ */
static inline int same_text(const char *got, const char *want,
			    const char *what)
{
	int same = !strcmp(got, want);

	ok(same, "%s", what);
	if (!same)
		diag("got:\n%s\n# want:\n%s", got, want);
	return same;
}

#endif /* RTSYNCCTL_TOOLS_TEST_H */
