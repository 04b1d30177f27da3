/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Helpers shared by librtsync's source files. They are hidden from the
 * shared library's symbol table, so applications cannot come to depend on
 * them; the rtsync__ prefix keeps them out of the way in librtsync.a.
 */
#ifndef RTSYNC_INTERNAL_H
#define RTSYNC_INTERNAL_H

#include <errno.h>
#include <time.h>

#include "rtsync.h"
#include "syscall.h"

#define RTSYNC_HIDDEN __attribute__((visibility("hidden")))

/*
 * rtsync__device_fd - the process's fd for /dev/rtsync, opened on first use
 * Returns the fd, or -1 with errno set by open(2). A failure is not
 * remembered: the next call tries again (the module may be loaded later).
 */
RTSYNC_HIDDEN int rtsync__device_fd(void);

/*
 * rtsync__open_object - RTSYNC_IOC_OPEN for @name with the open(2)-style
 * @oflag; @args carries the type and the type-specific fields.
 * Returns the new object fd, or -1 with errno set.
 */
RTSYNC_HIDDEN int rtsync__open_object(const char *name, int oflag,
				      struct rtsync_open_args *args);

/*
 * rtsync__ioctl - ioctl(2) that returns 0 or the errno value and leaves
 * errno as it was, the convention of every non-open librtsync call.
 * Inline and without libc on x86-64 (syscall.h): every lock, unlock, wait
 * and post makes one.
 *
 * No retry on EINTR: with SA_RESTART the kernel restarts the call itself
 * (the deadline is absolute, so a restart keeps it); without it, the
 * caller asked to be interrupted.
 */
static inline int rtsync__ioctl(int fd, unsigned long request, void *arg)
{
	long ret = rtsync__ioctl_raw(fd, request, arg);

	return ret < 0 ? (int)-ret : 0;
}

/*
 * rtsync__timed_wait_args - fill @args for a wait that gives up at
 * @abstime on @clock. Returns 0, or EINVAL for a clock other than
 * CLOCK_MONOTONIC/CLOCK_REALTIME, a NULL @abstime, a negative tv_sec or a
 * tv_nsec outside [0, 1e9).
 */
RTSYNC_HIDDEN int rtsync__timed_wait_args(struct rtsync_wait_args *args,
					  clockid_t clock,
					  const struct timespec *abstime);

#endif /* RTSYNC_INTERNAL_H */
