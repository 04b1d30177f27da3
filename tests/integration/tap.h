/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Minimal TAP producer for rtsync's integration tests.
 *
 * Each test program calls ok()/skip() once per check and ends with
 * "return tap_done();", which prints the plan ("1..N", TAP allows it last)
 * and returns 1 if any check failed. Output is line-buffered and flushed
 * before fork() by tap_fork(), so children never repeat the parent's lines.
 * Only the parent process may report: children pass results back through
 * their exit status or shared memory.
 */
#ifndef RTSYNC_TAP_H
#define RTSYNC_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int tap_count;
static int tap_failures;

static inline void tap_vline(const char *status, const char *directive,
			     const char *fmt, va_list ap)
{
	printf("%s %d - ", status, ++tap_count);
	vprintf(fmt, ap);
	if (directive)
		printf(" # %s", directive);
	putchar('\n');
	fflush(stdout);
}

/* ok - report one check; returns cond so callers can chain on it */
static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(cond ? "ok" : "not ok", NULL, fmt, ap);
	va_end(ap);
	if (!cond)
		tap_failures++;
	return cond;
}

/* skip - a check that could not run here; counted as skipped, not passed */
static inline void __attribute__((format(printf, 2, 3)))
skip(const char *reason, const char *fmt, ...)
{
	char directive[256];
	va_list ap;

	snprintf(directive, sizeof(directive), "SKIP %s", reason);
	va_start(ap, fmt);
	tap_vline("ok", directive, fmt, ap);
	va_end(ap);
}

/* diag - a comment line, for figures worth reading in the log */
static inline void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* is_errno - check that an errno-style result equals the expected one */
static inline int is_errno(int got, int want, const char *what)
{
	return ok(got == want, "%s: %s (got %s)", what,
		  want ? strerror(want) : "0", got ? strerror(got) : "0");
}

static inline pid_t tap_fork(void)
{
	fflush(stdout);
	fflush(stderr);
	return fork();
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	/*
	 * In the VM, stdout is a serial port. On PREEMPT_RT the UART is
	 * served by an interrupt thread, which a test still running at a
	 * real-time priority keeps off the CPU; its last lines were seen
	 * lost when it exited with them unsent. Wait until they are out.
	 */
	if (isatty(STDOUT_FILENO))
		tcdrain(STDOUT_FILENO);
	return tap_failures ? 1 : 0;
}

#endif /* RTSYNC_TAP_H */
