/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Helpers for rtsync's condition-variable tests: creating and dropping
 * test condition variables, INFO snapshots, waiting for sleepers, bounded
 * waits, the raw COND_WAIT ioctl, and a thread's own id.
 *
 * Include after tap.h, with _GNU_SOURCE defined before any system header.
 * It brings in sem_helpers.h for raw_ioctl(), deadline_in() and
 * thread_cpu_ns(), and through it helpers.h (child processes, shared
 * memory, clocks, mutex state).
 */
#ifndef RTSYNC_COND_TEST_HELPERS_H
#define RTSYNC_COND_TEST_HELPERS_H

#include <sys/syscall.h>

#include "sem_helpers.h"

/* new_cond - create a fresh condition variable under a unique name */
static inline int new_cond(char *name, size_t size, const char *tag)
{
	int fd;

	test_name(name, size, tag);
	fd = rtsync_cond_open(name, O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		bail_out("rtsync_cond_open(O_CREAT|O_EXCL)");
	return fd;
}

/* cond_state - INFO snapshot; bails out if INFO itself fails */
static inline struct rtsync_cond_status cond_state(int fd)
{
	struct rtsync_cond_status st;
	int err;

	memset(&st, 0, sizeof(st));
	err = rtsync_cond_info(fd, &st);
	if (err) {
		errno = err;
		bail_out("rtsync_cond_info");
	}
	return st;
}

static inline int cond_state_equal(const struct rtsync_cond_status *a,
				   const struct rtsync_cond_status *b)
{
	return a->waiters == b->waiters && a->flags == b->flags &&
	       !strcmp(a->name, b->name);
}

/* cond_unchanged - assert INFO now == before; print both when not */
static inline int cond_unchanged(const struct rtsync_cond_status *before,
				 int fd, const char *what)
{
	struct rtsync_cond_status after = cond_state(fd);

	if (ok(cond_state_equal(before, &after), "%s: condition unchanged",
	       what))
		return 1;
	diag("before: waiters %u flags %#x name '%s'", before->waiters,
	     before->flags, before->name);
	diag("after:  waiters %u flags %#x name '%s'", after.waiters,
	     after.flags, after.name);
	return 0;
}

/*
 * wait_cond_waiters - poll INFO until want threads wait on the condition
 * variable, or timeout_ms passes. Returns the last count seen. A waiter
 * counts from the moment it is queued, before it releases the mutex.
 */
static inline unsigned int wait_cond_waiters(int fd, unsigned int want,
					     int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
	unsigned int n;

	for (;;) {
		n = cond_state(fd).waiters;
		if (n == want || now_ns(CLOCK_MONOTONIC) > end)
			return n;
		sleep_ms(1);
	}
}

/*
 * cond_wait_within - rtsync_cond_timedwait() with a deadline timeout_ms
 * from now on CLOCK_MONOTONIC: for waits that must end by a wake-up, so
 * that a wake-up that never comes is ETIMEDOUT instead of a hung program.
 */
static inline int cond_wait_within(int cfd, int mfd, int timeout_ms)
{
	struct timespec deadline = deadline_in(CLOCK_MONOTONIC, timeout_ms);

	return rtsync_cond_timedwait(cfd, mfd, CLOCK_MONOTONIC, &deadline);
}

/* raw_cond_wait - RTSYNC_IOC_COND_WAIT with the given fields; 0 or errno */
static inline int raw_cond_wait(int cfd, int mfd, uint64_t timeout,
				uint32_t clockid, uint32_t flags, uint32_t pad)
{
	struct rtsync_cond_wait_args a = {
		.wait = { .timeout = timeout, .clockid = clockid,
			  .flags = flags },
		.mutex_fd = mfd,
		.pad = pad,
	};

	return raw_ioctl(cfd, RTSYNC_IOC_COND_WAIT, &a);
}

/* raw_wake - COND_SIGNAL or COND_BROADCAST: how many woke, or -errno */
static inline int raw_wake(int cfd, unsigned long request)
{
	int n = ioctl(cfd, request, NULL);

	return n < 0 ? -errno : n;
}

static inline pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* holds_mutex - the calling thread owns mfd, once */
static inline int holds_mutex(int mfd)
{
	struct rtsync_mutex_status st;

	memset(&st, 0, sizeof(st));
	return !rtsync_mutex_info(mfd, &st) && st.owner_tid == my_tid() &&
	       st.recursion == 1;
}

#endif /* RTSYNC_COND_TEST_HELPERS_H */
