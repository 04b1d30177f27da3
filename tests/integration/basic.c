// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Foundation checks of the loaded rtsync module and of librtsync's device
 * handling: the /dev/rtsync node, the ABI version, the no-op ioctl,
 * ENOTTY for every ioctl the device does not define, EFAULT for bad user
 * pointers, and the object-limit module parameters.
 *
 * Runs as root in the guest with the module loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <rtsync.h>

#include "tap.h"

#define DEVICE		"/dev/rtsync"
#define PARAMS		"/sys/module/rtsync/parameters/"
#define MISC_MAJOR	10
#define RACERS		8
#define FILL		0xa5

/* tap.h's is_errno() evaluates its first argument twice: pass it a value. */
static int expect_errno(int got, int want, const char *what)
{
	return is_errno(got, want, what);
}

/* ioctl(2) as 0 or the errno value. */
static int ioctl_err(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) < 0 ? errno : 0;
}

/* A page-sized address with nothing mapped at it. */
static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, 4096);
	return p;
}

/* How many of this process's fds are open on /dev/rtsync; *last gets one. */
static int count_device_fds(int *last)
{
	char target[PATH_MAX];
	struct dirent *de;
	int count = 0;
	ssize_t len;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(dir), de->d_name, target,
				 sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (!strcmp(target, DEVICE)) {
			count++;
			*last = atoi(de->d_name);
		}
	}
	closedir(dir);
	return count;
}

static pthread_barrier_t race_start;

static void *race_version(void *arg)
{
	uint32_t version = 0;

	pthread_barrier_wait(&race_start);
	*(int *)arg = rtsync_version(&version);
	if (!*(int *)arg && version != RTSYNC_ABI_VERSION)
		*(int *)arg = -1;
	return NULL;
}

/*
 * The library's first use of /dev/rtsync, from many threads at once: all
 * succeed, and the process ends up with exactly one device fd, opened
 * O_RDWR and close-on-exec. Must run before anything else uses the library.
 */
static void check_library_device_fd(void)
{
	pthread_t threads[RACERS];
	int results[RACERS];
	int i, started = 0, failed = 0, fd = -1, count;

	pthread_barrier_init(&race_start, NULL, RACERS);
	for (i = 0; i < RACERS; i++) {
		results[i] = -2;
		if (pthread_create(&threads[i], NULL, race_version, &results[i]))
			break;
		started++;
	}
	if (!ok(started == RACERS, "started %d threads for the first use",
		RACERS)) {
		/* The barrier can never open: nothing more to learn here. */
		return;
	}
	for (i = 0; i < RACERS; i++) {
		pthread_join(threads[i], NULL);
		if (results[i])
			failed++;
	}
	pthread_barrier_destroy(&race_start);

	ok(failed == 0, "%d threads racing through the first rtsync_version(): all got ABI %u (%d failed)",
	   RACERS, RTSYNC_ABI_VERSION, failed);
	count = count_device_fds(&fd);
	ok(count == 1, "the library keeps exactly one /dev/rtsync fd (found %d)",
	   count);
	if (count >= 1) {
		ok((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR,
		   "the library's /dev/rtsync fd is O_RDWR");
		ok(fcntl(fd, F_GETFD) & FD_CLOEXEC,
		   "the library's /dev/rtsync fd is close-on-exec");
	}
}

static void check_device_node(void)
{
	struct stat st;

	if (!ok(stat(DEVICE, &st) == 0, DEVICE " exists")) {
		diag("stat: %s", strerror(errno));
		return;
	}
	ok(S_ISCHR(st.st_mode), DEVICE " is a character device");
	ok(major(st.st_rdev) == MISC_MAJOR, DEVICE " is a misc device (major %u)",
	   major(st.st_rdev));
	ok((st.st_mode & 07777) == 0666, DEVICE " has mode 0666 (got %04o)",
	   (unsigned int)(st.st_mode & 07777));
}

static void check_version(void)
{
	uint32_t version = 0;
	int err;

	errno = 0;
	err = rtsync_version(&version);
	expect_errno(err, 0, "rtsync_version");
	ok(version == RTSYNC_ABI_VERSION, "rtsync_version reports ABI %u (got %u)",
	   RTSYNC_ABI_VERSION, version);
	ok(errno == 0, "rtsync_version leaves errno alone on success");

	errno = ENOEXEC;
	err = rtsync_version(NULL);
	expect_errno(err, EFAULT, "rtsync_version(NULL)");
	ok(errno == ENOEXEC, "rtsync_version leaves errno alone on failure");
}

static void check_unknown_ioctls(int devfd)
{
	static const struct {
		unsigned long request;
		const char *what;
	} unknown[] = {
		{ _IO(0xBE, 0x03), "wrong magic, NOP's number" },
		{ _IOR(0xBC, 0x00, __u32), "wrong magic, VERSION's shape" },
		{ _IO(RTSYNC_IOC_MAGIC, 0x3F), "unused number 0x3F" },
		{ _IOWR(RTSYNC_IOC_MAGIC, 0x04, __u64), "unused number 0x04" },
		{ _IO(RTSYNC_IOC_MAGIC, 0xFF), "number 0xFF" },
		{ _IOR(RTSYNC_IOC_MAGIC, 0x00, __u64), "VERSION with size 8" },
		{ _IOW(RTSYNC_IOC_MAGIC, 0x00, __u32), "VERSION as a write" },
		{ _IO(RTSYNC_IOC_MAGIC, 0x00), "VERSION without a size" },
		{ _IOW(RTSYNC_IOC_MAGIC, 0x01, __u32), "OPEN with size 4" },
		{ _IOW(RTSYNC_IOC_MAGIC, 0x01, __u64[5]), "OPEN with size 40" },
		{ _IOWR(RTSYNC_IOC_MAGIC, 0x01, struct rtsync_open_args),
		  "OPEN as read-write" },
		{ _IOW(RTSYNC_IOC_MAGIC, 0x02, __u64), "UNLINK with size 8" },
		{ _IOR(RTSYNC_IOC_MAGIC, 0x03, __u32), "NOP with a size" },
	};
	unsigned char buf[64], pattern[64];
	unsigned int i;

	/* A valid buffer, so a mistaken match would succeed or scribble. */
	memset(pattern, FILL, sizeof(pattern));
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		memcpy(buf, pattern, sizeof(buf));
		expect_errno(ioctl_err(devfd, unknown[i].request, buf), ENOTTY,
			 unknown[i].what);
		ok(!memcmp(buf, pattern, sizeof(buf)),
		   "%s leaves the buffer untouched", unknown[i].what);
	}
}

static void check_bad_pointers(int devfd)
{
	struct rtsync_open_args *straddle;
	void *hole = unmapped_page();
	void *readonly;
	char *pages;

	if (!ok(hole != NULL, "found an unmapped address"))
		return;

	expect_errno(ioctl_err(devfd, RTSYNC_IOC_VERSION, NULL), EFAULT,
		 "VERSION to NULL");
	expect_errno(ioctl_err(devfd, RTSYNC_IOC_VERSION, hole), EFAULT,
		 "VERSION to an unmapped address");
	readonly = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (ok(readonly != MAP_FAILED, "mapped a read-only page")) {
		expect_errno(ioctl_err(devfd, RTSYNC_IOC_VERSION, readonly), EFAULT,
			 "VERSION to a read-only page");
		munmap(readonly, 4096);
	}

	expect_errno(ioctl_err(devfd, RTSYNC_IOC_OPEN, NULL), EFAULT,
		 "OPEN with NULL args");
	expect_errno(ioctl_err(devfd, RTSYNC_IOC_OPEN, hole), EFAULT,
		 "OPEN with unmapped args");
	expect_errno(ioctl_err(devfd, RTSYNC_IOC_UNLINK, NULL), EFAULT,
		 "UNLINK with NULL args");
	expect_errno(ioctl_err(devfd, RTSYNC_IOC_UNLINK, hole), EFAULT,
		 "UNLINK with unmapped args");

	/* Args whose last bytes fall into an unmapped page: a partial copy. */
	pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!ok(pages != MAP_FAILED, "mapped two pages"))
		return;
	munmap(pages + 4096, 4096);
	straddle = (struct rtsync_open_args *)(pages + 4096 - 8);
	expect_errno(ioctl_err(devfd, RTSYNC_IOC_OPEN, straddle), EFAULT,
		 "OPEN with args running into an unmapped page");
	expect_errno(ioctl_err(devfd, RTSYNC_IOC_UNLINK, straddle), EFAULT,
		 "UNLINK with args running into an unmapped page");
	munmap(pages, 4096);
}

/* Reads a decimal module parameter; -1 if it cannot be read. */
static long long read_param(const char *name)
{
	char path[128], text[32], *end;
	long long value;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	text[len] = '\0';
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n'))
		return -1;
	return value;
}

static void check_params(void)
{
	static const struct {
		const char *name;
		long long value;
	} params[] = {
		{ "max_objects", 1048576 },
		{ "max_objects_per_user", 65536 },
	};
	unsigned int i;
	long long got;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		got = read_param(params[i].name);
		ok(got == params[i].value, PARAMS "%s is %lld (got %lld)",
		   params[i].name, params[i].value, got);
	}
}

int main(void)
{
	int devfd;

	check_library_device_fd();
	check_device_node();
	check_version();

	devfd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (ok(devfd >= 0, "open " DEVICE " O_RDWR")) {
		expect_errno(ioctl_err(devfd, RTSYNC_IOC_NOP, NULL), 0, "NOP");
		expect_errno(ioctl_err(devfd, RTSYNC_IOC_NOP, (void *)1), 0,
			 "NOP ignores its argument");
		check_unknown_ioctls(devfd);
		check_bad_pointers(devfd);
		close(devfd);
	} else {
		diag("open: %s", strerror(errno));
	}

	check_params();
	return tap_done();
}
