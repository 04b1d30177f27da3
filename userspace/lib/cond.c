// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Named condition variables: thin wrappers around the condition ioctls. */
#include <errno.h>
#include <stdint.h>

#include "internal.h"

int rtsync_cond_open(const char *name, int oflag, mode_t mode)
{
	struct rtsync_open_args args = {
		.type = RTSYNC_TYPE_COND,
		.mode = mode,
	};

	return rtsync__open_object(name, oflag, &args);
}

int rtsync_cond_wait(int cond_fd, int mutex_fd)
{
	struct rtsync_cond_wait_args args = { .mutex_fd = mutex_fd };

	return rtsync__ioctl(cond_fd, RTSYNC_IOC_COND_WAIT, &args);
}

int rtsync_cond_timedwait(int cond_fd, int mutex_fd, clockid_t clock,
			  const struct timespec *abstime)
{
	struct rtsync_cond_wait_args args = { .mutex_fd = mutex_fd };
	int err;

	err = rtsync__timed_wait_args(&args.wait, clock, abstime);
	if (err)
		return err;
	return rtsync__ioctl(cond_fd, RTSYNC_IOC_COND_WAIT, &args);
}

int rtsync_cond_signal(int cond_fd)
{
	return rtsync__ioctl(cond_fd, RTSYNC_IOC_COND_SIGNAL, NULL);
}

int rtsync_cond_broadcast(int cond_fd)
{
	return rtsync__ioctl(cond_fd, RTSYNC_IOC_COND_BROADCAST, NULL);
}

int rtsync_cond_info(int cond_fd, struct rtsync_cond_status *st)
{
	/* As for mutexes: the module fills st->name, so a bad @st is EFAULT. */
	struct rtsync_cond_info info = { 0 };
	int err;

	if (!st)
		return EFAULT;
	info.name = (uintptr_t)st->name;
	info.name_size = sizeof(st->name);
	err = rtsync__ioctl(cond_fd, RTSYNC_IOC_COND_INFO, &info);
	if (err)
		return err;
	st->waiters = info.waiters;
	st->flags = info.flags;
	return 0;
}
