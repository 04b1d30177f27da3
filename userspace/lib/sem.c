// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Named counting semaphores: thin wrappers around the semaphore ioctls. */
#include <errno.h>
#include <stdint.h>

#include "internal.h"

int rtsync_sem_open(const char *name, int oflag, mode_t mode,
		    unsigned int value, unsigned int max)
{
	struct rtsync_open_args args = {
		.type = RTSYNC_TYPE_SEM,
		.mode = mode,
		.sem_value = value,
		.sem_max = max,
	};

	return rtsync__open_object(name, oflag, &args);
}

int rtsync_sem_wait(int fd)
{
	/* No argument: no timeout. */
	return rtsync__ioctl(fd, RTSYNC_IOC_SEM_WAIT, NULL);
}

int rtsync_sem_trywait(int fd)
{
	return rtsync__ioctl(fd, RTSYNC_IOC_SEM_TRYWAIT, NULL);
}

int rtsync_sem_timedwait(int fd, clockid_t clock,
			 const struct timespec *abstime)
{
	struct rtsync_wait_args args = { 0 };
	int err;

	err = rtsync__timed_wait_args(&args, clock, abstime);
	if (err)
		return err;
	return rtsync__ioctl(fd, RTSYNC_IOC_SEM_WAIT, &args);
}

int rtsync_sem_post(int fd, unsigned int n, unsigned int *prev)
{
	struct rtsync_sem_post_args args = { .count = n };
	int err;

	err = rtsync__ioctl(fd, RTSYNC_IOC_SEM_POST, &args);
	if (!err && prev)
		*prev = args.prev;
	return err;
}

int rtsync_sem_info(int fd, struct rtsync_sem_status *st)
{
	/* As for mutexes: the module fills st->name, so a bad @st is EFAULT. */
	struct rtsync_sem_info info = { 0 };
	int err;

	if (!st)
		return EFAULT;
	info.name = (uintptr_t)st->name;
	info.name_size = sizeof(st->name);
	err = rtsync__ioctl(fd, RTSYNC_IOC_SEM_INFO, &info);
	if (err)
		return err;

	st->value = info.value;
	st->max = info.max;
	st->waiters = info.waiters;
	st->flags = info.flags;
	return 0;
}
