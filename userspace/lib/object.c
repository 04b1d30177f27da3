// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * What every object fd shares: the errno-preserving ioctl call, the
 * conversion of timed-wait arguments, changing permissions, statistics,
 * and closing.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

#define NSEC_PER_SEC 1000000000LL

int rtsync__timed_wait_args(struct rtsync_wait_args *args, clockid_t clock,
			    const struct timespec *abstime)
{
	if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME)
		return EINVAL;
	if (!abstime || abstime->tv_sec < 0 ||
	    abstime->tv_nsec < 0 || abstime->tv_nsec >= NSEC_PER_SEC)
		return EINVAL;

	/*
	 * The kernel keeps time as signed 64-bit nanoseconds: a deadline past
	 * that range (year 2262) would wrap to the past and expire at once,
	 * so it is clamped to the farthest time the kernel can represent.
	 */
	if (abstime->tv_sec > (INT64_MAX - abstime->tv_nsec) / NSEC_PER_SEC)
		args->timeout = INT64_MAX;
	else
		args->timeout = (uint64_t)abstime->tv_sec * NSEC_PER_SEC +
				(uint64_t)abstime->tv_nsec;
	args->clockid = (uint32_t)clock;
	args->flags = RTSYNC_WAIT_TIMEOUT;
	return 0;
}

int rtsync_setperm(int fd, uid_t uid, gid_t gid, mode_t mode)
{
	struct rtsync_setperm_args args = {
		.uid = (uint32_t)uid,
		.gid = (uint32_t)gid,
		.mode = (uint32_t)mode,
	};

	/* (uid_t)-1, (gid_t)-1 and (mode_t)-1 are RTSYNC_PERM_KEEP. */
	return rtsync__ioctl(fd, RTSYNC_IOC_SETPERM, &args);
}

int rtsync_stats(int fd, struct rtsync_stats *st)
{
	return rtsync__ioctl(fd, RTSYNC_IOC_STATS, st);
}

int rtsync_stats_reset(int fd)
{
	return rtsync__ioctl(fd, RTSYNC_IOC_STATS_RESET, NULL);
}

int rtsync_close(int fd)
{
	int saved_errno = errno;
	int err = 0;

	/* Linux frees the fd even when close() reports EINTR: never retry. */
	if (close(fd) < 0)
		err = errno;
	errno = saved_errno;
	return err;
}
