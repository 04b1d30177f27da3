// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The process's connection to /dev/rtsync and the calls that go through it:
 * version, open by name, unlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

#define RTSYNC_DEVICE "/dev/rtsync"

/* -1 until the first successful open; then the fd, for the process's life. */
static int device_fd = -1;

int rtsync__device_fd(void)
{
	int expected = -1;
	int saved_errno;
	int fd;

	fd = __atomic_load_n(&device_fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;

	/*
	 * Threads may race to here: each opens, one publishes its fd, the
	 * others close theirs. A failed open is not cached, unlike with
	 * pthread_once, so a call made after the module is loaded succeeds.
	 */
	fd = open(RTSYNC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (__atomic_compare_exchange_n(&device_fd, &expected, fd, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return fd;

	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return expected;
}

int rtsync__open_object(const char *name, int oflag,
			struct rtsync_open_args *args)
{
	int devfd;

	/* Checked before any system call, so a typo costs nothing. */
	switch (oflag) {
	case 0:
		/* As sem_open(3) ignores them; the kernel wants them 0. */
		args->flags = 0;
		args->mode = 0;
		args->mutex_flags = 0;
		args->sem_value = 0;
		args->sem_max = 0;
		break;
	case O_CREAT:
		args->flags = RTSYNC_OPEN_CREAT;
		break;
	case O_CREAT | O_EXCL:
		args->flags = RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	args->name = (uintptr_t)name;

	devfd = rtsync__device_fd();
	if (devfd < 0)
		return -1;
	return ioctl(devfd, RTSYNC_IOC_OPEN, args);
}

int rtsync_version(uint32_t *version)
{
	int saved_errno = errno;
	int devfd;
	int err;

	devfd = rtsync__device_fd();
	if (devfd < 0) {
		err = errno;
		errno = saved_errno;
		return err;
	}
	/* The module stores the version itself, so a bad pointer is EFAULT. */
	return rtsync__ioctl(devfd, RTSYNC_IOC_VERSION, version);
}

int rtsync_unlink(const char *name)
{
	struct rtsync_unlink_args args = { .name = (uintptr_t)name };
	int saved_errno = errno;
	int devfd;
	int err;

	devfd = rtsync__device_fd();
	if (devfd < 0) {
		err = errno;
		errno = saved_errno;
		return err;
	}
	return rtsync__ioctl(devfd, RTSYNC_IOC_UNLINK, &args);
}
