/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Helpers for rtsync's semaphore tests: creating and dropping test
 * semaphores, INFO snapshots and their comparison, waiting for sleepers,
 * raw ioctls, and a process's own CPU time.
 *
 * Include after tap.h, with _GNU_SOURCE defined before any system header;
 * it brings in helpers.h (child processes, shared memory, clocks, mutex
 * state).
 */
#ifndef RTSYNC_SEM_TEST_HELPERS_H
#define RTSYNC_SEM_TEST_HELPERS_H

#include <sys/ioctl.h>
#include <sys/resource.h>

#include "helpers.h"

/* new_sem - create a fresh semaphore under a unique name, or bail out */
static inline int new_sem(char *name, size_t size, const char *tag,
			  unsigned int value, unsigned int max)
{
	int fd;

	test_name(name, size, tag);
	fd = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, value, max);
	if (fd < 0)
		bail_out("rtsync_sem_open(O_CREAT|O_EXCL)");
	return fd;
}

/* sem_state - INFO snapshot; bails out if INFO itself fails */
static inline struct rtsync_sem_status sem_state(int fd)
{
	struct rtsync_sem_status st;
	int err;

	memset(&st, 0, sizeof(st));
	err = rtsync_sem_info(fd, &st);
	if (err) {
		errno = err;
		bail_out("rtsync_sem_info");
	}
	return st;
}

static inline int sem_state_equal(const struct rtsync_sem_status *a,
				  const struct rtsync_sem_status *b)
{
	return a->value == b->value && a->max == b->max &&
	       a->waiters == b->waiters && a->flags == b->flags &&
	       !strcmp(a->name, b->name);
}

/* sem_state_diag - print a snapshot (used when a comparison fails) */
static inline void sem_state_diag(const char *label,
				  const struct rtsync_sem_status *st)
{
	diag("%s: value %u max %u waiters %u flags %#x name '%s'", label,
	     st->value, st->max, st->waiters, st->flags, st->name);
}

/* sem_unchanged - assert INFO now == before; print both when not */
static inline int sem_unchanged(const struct rtsync_sem_status *before,
				int fd, const char *what)
{
	struct rtsync_sem_status after = sem_state(fd);

	if (ok(sem_state_equal(before, &after), "%s: state unchanged", what))
		return 1;
	sem_state_diag("before", before);
	sem_state_diag("after", &after);
	return 0;
}

/*
 * is_sem - assert the value and the number of sleepers in one check, so a
 * failure shows both.
 */
static inline int is_sem(int fd, unsigned int value, unsigned int waiters,
			 const char *what)
{
	struct rtsync_sem_status st = sem_state(fd);

	return ok(st.value == value && st.waiters == waiters,
		  "%s: value %u, waiters %u (got %u, %u)", what, value,
		  waiters, st.value, st.waiters);
}

/*
 * wait_sem_waiters - poll INFO until want threads sleep in WAIT, or
 * timeout_ms passes. Returns the last count seen. Tests use it to know a
 * sleeper has really gone to sleep before they act on it.
 */
static inline unsigned int wait_sem_waiters(int fd, unsigned int want,
					    int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
	unsigned int n;

	for (;;) {
		n = sem_state(fd).waiters;
		if (n == want || now_ns(CLOCK_MONOTONIC) > end)
			return n;
		sleep_ms(1);
	}
}

/*
 * raw_ioctl - ioctl(2) that returns 0 or the errno value, for calls the
 * library cannot make (bad pointers, non-zero padding, unknown flags).
 */
static inline int raw_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) < 0 ? errno : 0;
}

/* deadline_in - an absolute time ms milliseconds from now on clock */
static inline struct timespec deadline_in(clockid_t clock, int64_t ms)
{
	return ns_to_ts(now_ns(clock) + ms * 1000000);
}

/* thread_cpu_ns - CPU time (user + system) the calling thread has used */
static inline int64_t thread_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		bail_out("getrusage");
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

#endif /* RTSYNC_SEM_TEST_HELPERS_H */
