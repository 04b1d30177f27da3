// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The loop `make bench-profile` runs under perf in the guest: N iterations
 * of one uncontended operation pair, then its cost per iteration.
 *
 *   profile_loop nop N     two NOP ioctls on /dev/rtsync (the floor)
 *   profile_loop lock N    rtsync_mutex_lock + rtsync_mutex_unlock
 *
 * Prints "KIND NS" (nanoseconds per iteration); exits 1 if a call failed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtsync.h>
#include <rtsync.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long i, n, failed = 0;
	long long start;
	int dev, fd;

	if (argc != 3 || (strcmp(argv[1], "nop") && strcmp(argv[1], "lock")) ||
	    (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: profile_loop nop|lock ITERATIONS\n");
		return 2;
	}
	dev = open("/dev/rtsync", O_RDWR | O_CLOEXEC);
	fd = rtsync_mutex_open("profile_loop", O_CREAT, 0600, 0);
	if (dev < 0 || fd < 0) {
		perror("profile_loop: open");
		return 1;
	}
	start = now_ns();
	if (!strcmp(argv[1], "nop")) {
		for (i = 0; i < n; i++) {
			failed += ioctl(dev, RTSYNC_IOC_NOP) != 0;
			failed += ioctl(dev, RTSYNC_IOC_NOP) != 0;
		}
	} else {
		for (i = 0; i < n; i++) {
			failed += rtsync_mutex_lock(fd) != 0;
			failed += rtsync_mutex_unlock(fd) != 0;
		}
	}
	printf("%s %.1f\n", argv[1], (double)(now_ns() - start) / n);
	rtsync_unlink("profile_loop");
	return failed ? 1 : 0;
}
