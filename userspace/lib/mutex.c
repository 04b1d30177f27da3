// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Named PI mutexes: thin wrappers around the mutex ioctls. */
#include <errno.h>
#include <stdint.h>

#include "internal.h"

int rtsync_mutex_open(const char *name, int oflag, mode_t mode,
		      unsigned int flags)
{
	struct rtsync_open_args args = {
		.type = RTSYNC_TYPE_MUTEX,
		.mode = mode,
		.mutex_flags = flags,
	};

	return rtsync__open_object(name, oflag, &args);
}

int rtsync_mutex_lock(int fd)
{
	/* No argument: no timeout, and nothing for the kernel to read. */
	return rtsync__ioctl(fd, RTSYNC_IOC_MUTEX_LOCK, NULL);
}

int rtsync_mutex_timedlock(int fd, clockid_t clock,
			   const struct timespec *abstime)
{
	struct rtsync_wait_args args = { 0 };
	int err;

	err = rtsync__timed_wait_args(&args, clock, abstime);
	if (err)
		return err;
	return rtsync__ioctl(fd, RTSYNC_IOC_MUTEX_LOCK, &args);
}

int rtsync_mutex_trylock(int fd)
{
	return rtsync__ioctl(fd, RTSYNC_IOC_MUTEX_TRYLOCK, NULL);
}

int rtsync_mutex_unlock(int fd)
{
	return rtsync__ioctl(fd, RTSYNC_IOC_MUTEX_UNLOCK, NULL);
}

int rtsync_mutex_consistent(int fd)
{
	return rtsync__ioctl(fd, RTSYNC_IOC_MUTEX_CONSISTENT, NULL);
}

int rtsync_mutex_info(int fd, struct rtsync_mutex_status *st)
{
	/*
	 * The module writes the name straight into st->name, so a bad @st
	 * comes back as EFAULT from the kernel before anything is stored.
	 */
	struct rtsync_mutex_info info = { 0 };
	int err;

	if (!st)
		return EFAULT;
	info.name = (uintptr_t)st->name;
	info.name_size = sizeof(st->name);
	err = rtsync__ioctl(fd, RTSYNC_IOC_MUTEX_INFO, &info);
	if (err)
		return err;

	st->owner_tid = (pid_t)info.owner_tid;
	st->owner_pid = (pid_t)info.owner_pid;
	st->waiters = info.waiters;
	st->flags = info.flags;
	st->recursion = info.recursion;
	return 0;
}
