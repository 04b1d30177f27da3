// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Host checks of what librtsync decides by itself: argument validation that
 * must happen before any system call, the errno conventions, the timeout
 * conversion, and the errors of a missing /dev/rtsync. None of this needs
 * the module; checks that need /dev/rtsync to be absent skip when it exists.
 *
 * A validation failure that happens in the library is told apart from one
 * the kernel would give by the fd used: an invalid fd (-1) or a non-rtsync
 * fd gives EBADF/ENOTTY once the call reaches ioctl(2), so EINVAL proves
 * the library stopped first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"

#define ERRNO_SENTINEL 4242	/* no real errno has this value */

/* tap.h's is_errno() evaluates its first argument twice: pass it a value. */
static int expect_errno(int got, int want, const char *what)
{
	return is_errno(got, want, what);
}

static int device_absent(void)
{
	struct stat st;

	return stat("/dev/rtsync", &st) < 0 && errno == ENOENT;
}

static void check_open_oflag(void)
{
	static const int bad[] = {
		O_EXCL, O_RDWR, O_CREAT | O_TRUNC, O_CREAT | O_EXCL | O_NONBLOCK,
		O_CLOEXEC, -1,
	};
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		fd = rtsync_mutex_open("unit", bad[i], 0600, 0);
		ok(fd == -1 && errno == EINVAL,
		   "mutex_open oflag %#x: -1/EINVAL (got %d/%s)", bad[i], fd,
		   strerror(errno));
		errno = 0;
		fd = rtsync_sem_open("unit", bad[i], 0600, 0, 1);
		ok(fd == -1 && errno == EINVAL,
		   "sem_open oflag %#x: -1/EINVAL (got %d/%s)", bad[i], fd,
		   strerror(errno));
	}
}

static void check_missing_device(void)
{
	static const char reason[] = "/dev/rtsync exists on this machine";
	static const int good[] = { 0, O_CREAT, O_CREAT | O_EXCL };
	uint32_t version = 0;
	unsigned int i;
	int err, fd;

	if (!device_absent()) {
		skip(reason, "open without /dev/rtsync: ENOENT");
		skip(reason, "version without /dev/rtsync: ENOENT");
		skip(reason, "unlink without /dev/rtsync: ENOENT");
		return;
	}

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		errno = 0;
		fd = rtsync_mutex_open("unit", good[i], 0600, 0);
		ok(fd == -1 && errno == ENOENT,
		   "mutex_open oflag %#x without /dev/rtsync: -1/ENOENT (got %d/%s)",
		   good[i], fd, strerror(errno));
		errno = 0;
		fd = rtsync_sem_open("unit", good[i], 0600, 0, 1);
		ok(fd == -1 && errno == ENOENT,
		   "sem_open oflag %#x without /dev/rtsync: -1/ENOENT (got %d/%s)",
		   good[i], fd, strerror(errno));
	}

	/* Twice: a failed open must not be remembered as anything else. */
	for (i = 0; i < 2; i++) {
		errno = ERRNO_SENTINEL;
		err = rtsync_version(&version);
		expect_errno(err, ENOENT, "version without /dev/rtsync");
		ok(errno == ERRNO_SENTINEL, "version leaves errno alone");
	}
	errno = ERRNO_SENTINEL;
	err = rtsync_unlink("unit");
	expect_errno(err, ENOENT, "unlink without /dev/rtsync");
	ok(errno == ERRNO_SENTINEL, "unlink leaves errno alone");
}

typedef int (*timed_fn)(int fd, clockid_t clock, const struct timespec *ts);

static void check_timed(const char *what, timed_fn fn)
{
	static const struct {
		clockid_t clock;
		struct timespec ts;
		const char *desc;
	} bad[] = {
		{ CLOCK_MONOTONIC, { 0, 1000000000 }, "tv_nsec = 1e9" },
		{ CLOCK_MONOTONIC, { 0, -1 }, "tv_nsec = -1" },
		{ CLOCK_REALTIME, { -1, 0 }, "tv_sec = -1" },
		{ CLOCK_PROCESS_CPUTIME_ID, { 1, 0 }, "CLOCK_PROCESS_CPUTIME_ID" },
		{ CLOCK_BOOTTIME, { 1, 0 }, "CLOCK_BOOTTIME" },
		{ CLOCK_MONOTONIC_RAW, { 1, 0 }, "CLOCK_MONOTONIC_RAW" },
		{ 42, { 1, 0 }, "clock 42" },
	};
	const struct timespec far = { INT64_MAX, 999999999 };
	const struct timespec good = { 1, 0 };
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = ERRNO_SENTINEL;
		err = fn(-1, bad[i].clock, &bad[i].ts);
		ok(err == EINVAL && errno == ERRNO_SENTINEL,
		   "%s %s: EINVAL before the syscall, errno kept (got %s)",
		   what, bad[i].desc, err ? strerror(err) : "0");
	}
	err = fn(-1, CLOCK_MONOTONIC, NULL);
	ok(err == EINVAL, "%s with a NULL deadline: EINVAL (got %s)", what,
	   err ? strerror(err) : "0");

	/* Valid deadlines get through to ioctl(2), which rejects fd -1. */
	err = fn(-1, CLOCK_MONOTONIC, &good);
	ok(err == EBADF, "%s on CLOCK_MONOTONIC reaches the ioctl (got %s)",
	   what, err ? strerror(err) : "0");
	err = fn(-1, CLOCK_REALTIME, &good);
	ok(err == EBADF, "%s on CLOCK_REALTIME reaches the ioctl (got %s)",
	   what, err ? strerror(err) : "0");
	err = fn(-1, CLOCK_REALTIME, &far);
	ok(err == EBADF, "%s with a deadline past 2262 reaches the ioctl (got %s)",
	   what, err ? strerror(err) : "0");
}

static void check_wait_args(void)
{
	struct rtsync_wait_args args = { 0 };
	struct timespec ts = { 12, 345 };
	int err;

	err = rtsync__timed_wait_args(&args, CLOCK_MONOTONIC, &ts);
	ok(!err && args.timeout == 12000000345ULL && args.clockid == 1 &&
	   args.flags == RTSYNC_WAIT_TIMEOUT,
	   "{12 s, 345 ns} on CLOCK_MONOTONIC: 12000000345 ns, clockid 1, TIMEOUT");

	ts.tv_sec = 0;
	ts.tv_nsec = 999999999;
	err = rtsync__timed_wait_args(&args, CLOCK_REALTIME, &ts);
	ok(!err && args.timeout == 999999999ULL && args.clockid == 0,
	   "{0, 999999999} on CLOCK_REALTIME: 999999999 ns, clockid 0");

	/* The largest deadline the kernel's signed nanoseconds can hold. */
	ts.tv_sec = INT64_MAX / 1000000000;
	ts.tv_nsec = INT64_MAX % 1000000000;
	err = rtsync__timed_wait_args(&args, CLOCK_MONOTONIC, &ts);
	ok(!err && args.timeout == (uint64_t)INT64_MAX,
	   "deadline at the kernel's limit is kept exactly");

	ts.tv_nsec++;
	err = rtsync__timed_wait_args(&args, CLOCK_MONOTONIC, &ts);
	ok(!err && args.timeout == (uint64_t)INT64_MAX,
	   "one nanosecond later is clamped to INT64_MAX ns");

	ts.tv_sec = INT64_MAX;
	ts.tv_nsec = 0;
	err = rtsync__timed_wait_args(&args, CLOCK_MONOTONIC, &ts);
	ok(!err && args.timeout == (uint64_t)INT64_MAX,
	   "tv_sec = INT64_MAX is clamped to INT64_MAX ns, not wrapped");
}

static void check_fd_calls(void)
{
	struct rtsync_mutex_status mst;
	struct rtsync_sem_status sst;
	unsigned int prev = 77;
	int devnull, err, fd;

	/* -1 is not an fd: every call must reach ioctl(2) and report EBADF. */
	errno = ERRNO_SENTINEL;
	expect_errno(rtsync_mutex_lock(-1), EBADF, "mutex_lock(-1)");
	expect_errno(rtsync_mutex_trylock(-1), EBADF, "mutex_trylock(-1)");
	expect_errno(rtsync_mutex_unlock(-1), EBADF, "mutex_unlock(-1)");
	expect_errno(rtsync_mutex_consistent(-1), EBADF, "mutex_consistent(-1)");
	expect_errno(rtsync_mutex_info(-1, &mst), EBADF, "mutex_info(-1)");
	expect_errno(rtsync_sem_wait(-1), EBADF, "sem_wait(-1)");
	expect_errno(rtsync_sem_trywait(-1), EBADF, "sem_trywait(-1)");
	expect_errno(rtsync_sem_post(-1, 1, &prev), EBADF, "sem_post(-1)");
	expect_errno(rtsync_sem_info(-1, &sst), EBADF, "sem_info(-1)");
	expect_errno(rtsync_close(-1), EBADF, "close(-1)");
	ok(errno == ERRNO_SENTINEL, "errno untouched by failing fd calls");
	ok(prev == 77, "sem_post leaves *prev alone on failure");

	expect_errno(rtsync_mutex_info(-1, NULL), EFAULT, "mutex_info(NULL)");
	expect_errno(rtsync_sem_info(-1, NULL), EFAULT, "sem_info(NULL)");

	/* A file that is not an rtsync object: ENOTTY from the kernel. */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (!ok(devnull >= 0, "open /dev/null"))
		return;
	expect_errno(rtsync_mutex_lock(devnull), ENOTTY, "mutex_lock(/dev/null)");
	expect_errno(rtsync_sem_post(devnull, 1, NULL), ENOTTY,
		 "sem_post(/dev/null)");

	fd = dup(devnull);
	errno = ERRNO_SENTINEL;
	err = rtsync_close(fd);
	ok(fd >= 0 && err == 0 && errno == ERRNO_SENTINEL,
	   "rtsync_close of an open fd: 0, errno kept");
	ok(fcntl(fd, F_GETFD) < 0, "the fd is closed afterwards");
	close(devnull);
}

/*
 * The direct system call (syscall.h) must give what libc's ioctl() gives:
 * the result or -errno, with errno untouched either way, for a failure
 * decided before the driver (EBADF), one from the driver (ENOTTY) and a
 * success that writes through the argument pointer (FIONREAD of a pipe).
 */
static void check_ioctl_paths(void)
{
	static const char *const path_name[] = { "libc", "raw" };
	int pipefd[2], i;

	if (pipe(pipefd) || write(pipefd[1], "abc", 3) != 3) {
		ok(0, "pipe with 3 bytes for the ioctl checks: %s",
		   strerror(errno));
		return;
	}
	diag("raw system call %s on this architecture",
	     RTSYNC_RAW_SYSCALL ? "used" : "not used (libc's ioctl)");
	for (i = 0; i < 2; i++) {
		long (*call)(int, unsigned long, void *) =
			i ? rtsync__ioctl_raw : rtsync__ioctl_libc;
		int avail = -1;
		long ret;

		errno = ERRNO_SENTINEL;
		ret = call(-1, RTSYNC_IOC_NOP, NULL);
		ok(ret == -EBADF && errno == ERRNO_SENTINEL,
		   "%s ioctl on fd -1: -EBADF, errno kept (got %ld, errno %d)",
		   path_name[i], ret, errno);
		errno = ERRNO_SENTINEL;
		ret = call(pipefd[0], RTSYNC_IOC_NOP, NULL);
		ok(ret == -ENOTTY && errno == ERRNO_SENTINEL,
		   "%s ioctl NOP on a pipe: -ENOTTY, errno kept (got %ld, errno %d)",
		   path_name[i], ret, errno);
		errno = ERRNO_SENTINEL;
		ret = call(pipefd[0], FIONREAD, &avail);
		ok(ret == 0 && avail == 3 && errno == ERRNO_SENTINEL,
		   "%s FIONREAD on a pipe: 0 and 3 bytes (got %ld, %d, errno %d)",
		   path_name[i], ret, avail, errno);
	}
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	check_ioctl_paths();
	check_open_oflag();
	check_missing_device();
	check_timed("mutex_timedlock", rtsync_mutex_timedlock);
	check_timed("sem_timedwait", rtsync_sem_timedwait);
	check_wait_args();
	check_fd_calls();
	return tap_done();
}
