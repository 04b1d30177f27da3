// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Every bad input to the semaphore calls fails with its documented errno
 * and changes nothing (INFO before == INFO after): bad fds (EBADF), fds
 * that are not rtsync objects or are the device (ENOTTY), objects of the
 * other type (EINVAL, both ways), unknown ioctls (ENOTTY), bad pointers
 * (EFAULT, including read-only memory and arguments running into an
 * unmapped page), unknown WAIT flags and clocks, timeout fields without
 * the TIMEOUT flag, non-zero INFO padding, a too small name buffer
 * (ERANGE), POST of 0 (EINVAL) or past max (EOVERFLOW), and OPEN with max
 * 0, value above max, max above RTSYNC_SEM_VALUE_MAX or mutex flags
 * (EINVAL, creating nothing).
 *
 * The semaphores under test hold units, so a bad WAIT that slipped through
 * validation would take one and show in INFO.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

static long page_size;
static char *unmapped;	/* a page with no access at all */
static char *readonly;	/* a page without write permission */
static char *edge;	/* the end of a writable page followed by unmapped */

/*
 * One mapping of three pages, so nothing else can later be placed where
 * the bad addresses point: writable, no access, read-only.
 */
static void map_bad_memory(void)
{
	char *p;

	page_size = sysconf(_SC_PAGESIZE);
	p = mmap(NULL, 3 * page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		bail_out("mmap");
	unmapped = p + page_size;
	readonly = p + 2 * page_size;
	edge = unmapped;	/* callers step back from here */
	if (mprotect(unmapped, page_size, PROT_NONE) ||
	    mprotect(readonly, page_size, PROT_READ))
		bail_out("mprotect");
}

/* at_edge - a copy of obj whose last 4 bytes fall into the hole */
static void *at_edge(const void *obj, size_t size)
{
	char *p = edge - size + 4;

	memcpy(p, obj, size - 4);
	return p;
}

static void test_bad_fds(void)
{
	struct rtsync_sem_status st;
	struct rtsync_wait_args wa = { 0 };
	int closed, pipefd[2];

	closed = dup(0);
	close(closed);
	is_errno(rtsync_sem_post(closed, 1, NULL), EBADF, "post on a closed fd");
	is_errno(rtsync_sem_wait(closed), EBADF, "wait on a closed fd");
	is_errno(rtsync_sem_trywait(closed), EBADF, "trywait on a closed fd");
	is_errno(rtsync_sem_info(closed, &st), EBADF, "info on a closed fd");
	is_errno(rtsync_sem_post(-1, 1, NULL), EBADF, "post on fd -1");
	is_errno(raw_ioctl(-1, RTSYNC_IOC_SEM_WAIT, &wa), EBADF,
		 "raw WAIT on fd -1");

	if (pipe(pipefd))
		bail_out("pipe");
	is_errno(rtsync_sem_post(pipefd[0], 1, NULL), ENOTTY,
		 "post on a pipe");
	is_errno(rtsync_sem_wait(pipefd[0]), ENOTTY, "wait on a pipe");
	is_errno(rtsync_sem_trywait(pipefd[1]), ENOTTY, "trywait on a pipe");
	is_errno(rtsync_sem_info(pipefd[1], &st), ENOTTY, "info on a pipe");
	close(pipefd[0]);
	close(pipefd[1]);
}

static void test_device_fd(void)
{
	struct rtsync_sem_post_args pa = { .count = 1 };
	struct rtsync_wait_args wa = { 0 };
	int dev;

	dev = open("/dev/rtsync", O_RDWR | O_CLOEXEC);
	if (!ok(dev >= 0, "open /dev/rtsync"))
		return;
	is_errno(raw_ioctl(dev, RTSYNC_IOC_SEM_POST, &pa), ENOTTY,
		 "SEM_POST on the device fd");
	is_errno(raw_ioctl(dev, RTSYNC_IOC_SEM_WAIT, &wa), ENOTTY,
		 "SEM_WAIT on the device fd");
	is_errno(raw_ioctl(dev, RTSYNC_IOC_SEM_TRYWAIT, NULL), ENOTTY,
		 "SEM_TRYWAIT on the device fd");
	close(dev);
}

static void test_wrong_type(void)
{
	struct rtsync_mutex_status mbefore, mst;
	struct rtsync_sem_status before, st;
	struct rtsync_mutex_info mi = { 0 };
	struct rtsync_wait_args wa = { 0 };
	char name[64], mname[64];
	struct timespec ts;
	int fd, mfd;

	fd = new_sem(name, sizeof(name), "bad", 1, 2);
	mfd = new_mutex(mname, sizeof(mname), "bad", 0);

	/* Semaphore calls on a mutex: EINVAL, the mutex untouched. */
	mbefore = mutex_status(mfd);
	is_errno(rtsync_sem_wait(mfd), EINVAL, "sem wait on a mutex");
	is_errno(rtsync_sem_trywait(mfd), EINVAL, "sem trywait on a mutex");
	ts = deadline_in(CLOCK_MONOTONIC, 10);
	is_errno(rtsync_sem_timedwait(mfd, CLOCK_MONOTONIC, &ts), EINVAL,
		 "sem timedwait on a mutex");
	is_errno(rtsync_sem_post(mfd, 1, NULL), EINVAL, "sem post on a mutex");
	is_errno(rtsync_sem_info(mfd, &st), EINVAL, "sem info on a mutex");
	is_unchanged(&mbefore, mfd, "semaphore calls on a mutex");

	/* Mutex calls on a semaphore: EINVAL, the semaphore untouched. */
	before = sem_state(fd);
	is_errno(rtsync_mutex_lock(fd), EINVAL, "mutex lock on a semaphore");
	is_errno(rtsync_mutex_trylock(fd), EINVAL,
		 "mutex trylock on a semaphore");
	is_errno(rtsync_mutex_timedlock(fd, CLOCK_MONOTONIC, &ts), EINVAL,
		 "mutex timedlock on a semaphore");
	is_errno(rtsync_mutex_unlock(fd), EINVAL, "mutex unlock on a semaphore");
	is_errno(rtsync_mutex_consistent(fd), EINVAL,
		 "mutex consistent on a semaphore");
	is_errno(rtsync_mutex_info(fd, &mst), EINVAL,
		 "mutex info on a semaphore");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_MUTEX_LOCK, &wa), EINVAL,
		 "raw MUTEX_LOCK on a semaphore");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_MUTEX_INFO, &mi), EINVAL,
		 "raw MUTEX_INFO on a semaphore");
	sem_unchanged(&before, fd, "mutex calls on a semaphore");

	drop_object(mfd, mname);
	drop_object(fd, name);
}

static void test_unknown_ioctls(void)
{
	struct rtsync_sem_status before;
	struct rtsync_open_args oa = { 0 };
	__u64 big[4] = { 1, 0, 0, 0 };
	__u32 version = 0;
	char name[64];
	int fd;

	fd = new_sem(name, sizeof(name), "bad", 1, 2);
	before = sem_state(fd);
	is_errno(raw_ioctl(fd, _IO(RTSYNC_IOC_MAGIC, 0x24), NULL), ENOTTY,
		 "unused rtsync number 0x24");
	is_errno(raw_ioctl(fd, _IOWR(RTSYNC_IOC_MAGIC, 0x3f, __u64), big),
		 ENOTTY, "unused rtsync number 0x3f");
	is_errno(raw_ioctl(fd, _IO('x', 0x21), NULL), ENOTTY,
		 "SEM_TRYWAIT's number with another magic");
	is_errno(raw_ioctl(fd, _IOWR(RTSYNC_IOC_MAGIC, 0x22, __u64[2]), big),
		 ENOTTY, "SEM_POST's number with a larger size");
	is_errno(raw_ioctl(fd, _IOW(RTSYNC_IOC_MAGIC, 0x22,
				    struct rtsync_sem_post_args), big),
		 ENOTTY, "SEM_POST's number as write-only");
	is_errno(raw_ioctl(fd, _IOW(RTSYNC_IOC_MAGIC, 0x21, __u32), big),
		 ENOTTY, "SEM_TRYWAIT's number with a size");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_VERSION, &version), ENOTTY,
		 "the device's VERSION on a semaphore");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_OPEN, &oa), ENOTTY,
		 "the device's OPEN on a semaphore");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_NOP, NULL), ENOTTY,
		 "the device's NOP on a semaphore");
	sem_unchanged(&before, fd, "unknown ioctls");
	drop_object(fd, name);
}

/* Bad SEM_WAIT arguments; each must be EINVAL with the unit left. */
struct bad_wait {
	const char *what;
	struct rtsync_wait_args args;
};

static const struct bad_wait bad_waits[] = {
	{ "unknown flag 0x2", { .flags = 0x2 } },
	{ "unknown flag 0x80000000", { .flags = 0x80000000U } },
	{ "TIMEOUT plus an unknown flag",
	  { .flags = RTSYNC_WAIT_TIMEOUT | 0x4, .clockid = CLOCK_MONOTONIC } },
	{ "timeout without the TIMEOUT flag", { .timeout = 1 } },
	{ "clockid without the TIMEOUT flag", { .clockid = CLOCK_MONOTONIC } },
	{ "TIMEOUT with CLOCK_PROCESS_CPUTIME_ID",
	  { .flags = RTSYNC_WAIT_TIMEOUT, .clockid = CLOCK_PROCESS_CPUTIME_ID } },
	{ "TIMEOUT with CLOCK_BOOTTIME",
	  { .flags = RTSYNC_WAIT_TIMEOUT, .clockid = CLOCK_BOOTTIME } },
	{ "TIMEOUT with clockid 0xffffffff",
	  { .flags = RTSYNC_WAIT_TIMEOUT, .clockid = 0xffffffffU } },
};

static void test_bad_wait_args(void)
{
	struct rtsync_wait_args good_args = { 0 };
	struct rtsync_sem_status before;
	char name[64], what[128];
	size_t i;
	int fd;

	fd = new_sem(name, sizeof(name), "bad", 1, 2);
	before = sem_state(fd);
	for (i = 0; i < sizeof(bad_waits) / sizeof(bad_waits[0]); i++) {
		snprintf(what, sizeof(what), "WAIT with %s", bad_waits[i].what);
		is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_WAIT,
				   (void *)&bad_waits[i].args), EINVAL, what);
	}
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_WAIT, unmapped), EFAULT,
		 "WAIT with unmapped args");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_WAIT,
			   at_edge(&good_args, sizeof(good_args))), EFAULT,
		 "WAIT with args running into an unmapped page");
	sem_unchanged(&before, fd, "bad WAIT arguments");

	/* The unit was there all along (trywait: a bug must not hang us). */
	is_errno(rtsync_sem_trywait(fd), 0, "a trywait afterwards takes the unit");
	/* A NULL argument is no bad input: it means no timeout. */
	is_errno(rtsync_sem_post(fd, 1, NULL), 0, "post one unit back");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_WAIT, NULL), 0,
		 "WAIT with a NULL argument (no timeout) takes it");
	ok(sem_state(fd).value == 0, "the unit is gone after the NULL WAIT");
	drop_object(fd, name);
}

static void test_bad_post_args(void)
{
	struct rtsync_sem_post_args pa = { .count = 1 };
	struct rtsync_sem_status before;
	char name[64];
	int fd;

	fd = new_sem(name, sizeof(name), "bad", 1, 3);
	before = sem_state(fd);
	is_errno(rtsync_sem_post(fd, 0, NULL), EINVAL, "post 0");
	pa.count = 0;
	pa.prev = 0xdeadbeefU;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, &pa), EINVAL,
		 "raw POST of 0");
	ok(pa.prev == 0xdeadbeefU,
	   "raw POST of 0 left prev alone (0x%x)", pa.prev);
	pa.count = 3;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, &pa), EOVERFLOW,
		 "raw POST of 3 at 1 of 3");
	ok(pa.prev == 0xdeadbeefU,
	   "raw POST past max left prev alone (0x%x)", pa.prev);
	is_errno(rtsync_sem_post(fd, 3, NULL), EOVERFLOW,
		 "post 3 at 1 of 3");
	is_errno(rtsync_sem_post(fd, UINT32_MAX, NULL), EOVERFLOW,
		 "post UINT32_MAX");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, NULL), EFAULT,
		 "POST with NULL args");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, unmapped), EFAULT,
		 "POST with unmapped args");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, readonly), EFAULT,
		 "POST with read-only args (count 0 there)");
	pa.count = 1;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, at_edge(&pa, sizeof(pa))),
		 EFAULT, "POST with args running into an unmapped page");
	sem_unchanged(&before, fd, "bad POST arguments");
	drop_object(fd, name);
}

/*
 * POST with args that hold a valid count but are read-only: the count
 * must not change, since prev cannot be reported. The page is filled
 * through a second, writable mapping of the same memory.
 */
static void test_post_readonly_count(void)
{
	struct rtsync_sem_post_args pa = { .count = 1 };
	struct rtsync_sem_status before;
	char name[64], path[64];
	void *rw, *ro;
	int fd, shm;

	snprintf(path, sizeof(path), "/dev/shm/rtsync-bad-%d", (int)getpid());
	shm = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (shm < 0 || ftruncate(shm, page_size)) {
		skip(strerror(errno), "POST with read-only args holding count 1");
		if (shm >= 0)
			close(shm);
		unlink(path);
		return;
	}
	unlink(path);
	rw = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	ro = mmap(NULL, page_size, PROT_READ, MAP_SHARED, shm, 0);
	close(shm);
	if (rw == MAP_FAILED || ro == MAP_FAILED)
		bail_out("mmap /dev/shm");
	memcpy(rw, &pa, sizeof(pa));

	fd = new_sem(name, sizeof(name), "bad", 1, 3);
	before = sem_state(fd);
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, ro), EFAULT,
		 "POST 1 with read-only args");
	sem_unchanged(&before, fd, "POST 1 with read-only args");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, rw), 0,
		 "the same args, writable: POST 1 works");
	ok(((struct rtsync_sem_post_args *)rw)->prev == 1,
	   "and reports prev 1 (got %u)",
	   ((struct rtsync_sem_post_args *)rw)->prev);
	munmap(rw, page_size);
	munmap(ro, page_size);
	drop_object(fd, name);
}

static void test_bad_info_args(void)
{
	struct rtsync_sem_status before;
	struct rtsync_sem_info info;
	char name[64], buf[64];
	size_t len;
	int fd;

	fd = new_sem(name, sizeof(name), "bad", 1, 3);
	len = strlen(name);
	before = sem_state(fd);

	memset(&info, 0, sizeof(info));
	info.pad = 1;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &info), EINVAL,
		 "INFO with pad 1");
	info.pad = 0x80000000U;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &info), EINVAL,
		 "INFO with pad 0x80000000");

	memset(&info, 0, sizeof(info));
	info.name = (uintptr_t)buf;
	info.name_size = len;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &info), ERANGE,
		 "INFO with a name buffer one byte short (no room for NUL)");
	info.name_size = 0;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &info), ERANGE,
		 "INFO with a name buffer of size 0");
	info.name_size = len + 1;
	memset(buf, 'x', sizeof(buf));
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &info), 0,
		 "INFO with a name buffer of exactly the right size");
	ok(!strcmp(buf, name), "the name fits exactly (got '%.63s')", buf);
	memset(&info, 0, sizeof(info));
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &info), 0,
		 "INFO without a name buffer");
	ok(info.value == 1 && info.max == 3,
	   "INFO without a name buffer still reports the state (%u/%u)",
	   info.value, info.max);

	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, NULL), EFAULT,
		 "INFO with NULL args");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, unmapped), EFAULT,
		 "INFO with unmapped args");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, readonly), EFAULT,
		 "INFO with read-only args");
	memset(&info, 0, sizeof(info));
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, at_edge(&info, sizeof(info))),
		 EFAULT, "INFO with args running into an unmapped page");
	info.name = (uintptr_t)unmapped;
	info.name_size = 64;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &info), EFAULT,
		 "INFO with an unmapped name buffer");
	info.name = (uintptr_t)readonly;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &info), EFAULT,
		 "INFO with a read-only name buffer");
	is_errno(rtsync_sem_info(fd, NULL), EFAULT, "rtsync_sem_info(fd, NULL)");
	sem_unchanged(&before, fd, "bad INFO arguments");
	drop_object(fd, name);
}

/* Bad creation arguments; each must be EINVAL and create nothing. */
struct bad_open {
	const char *what;
	__u32 value, max, mutex_flags;
};

static const struct bad_open bad_opens[] = {
	{ "max 0", 0, 0, 0 },
	{ "value 1, max 0", 1, 0, 0 },
	{ "value 3 above max 2", 3, 2, 0 },
	{ "value UINT32_MAX above max 1", 0xffffffffU, 1, 0 },
	{ "max RTSYNC_SEM_VALUE_MAX + 1", 0, RTSYNC_SEM_VALUE_MAX + 1, 0 },
	{ "max UINT32_MAX", 0, 0xffffffffU, 0 },
	{ "mutex flag RECURSIVE", 0, 1, RTSYNC_MUTEX_RECURSIVE },
	{ "unknown mutex flag 0x80", 0, 1, 0x80 },
};

static void test_bad_open(void)
{
	struct rtsync_open_args oa;
	char name[64], what[128];
	size_t i;
	int dev, fd;

	dev = open("/dev/rtsync", O_RDWR | O_CLOEXEC);
	if (!ok(dev >= 0, "open /dev/rtsync"))
		return;
	test_name(name, sizeof(name), "bad-open");
	for (i = 0; i < sizeof(bad_opens) / sizeof(bad_opens[0]); i++) {
		memset(&oa, 0, sizeof(oa));
		oa.name = (uintptr_t)name;
		oa.type = RTSYNC_TYPE_SEM;
		oa.flags = RTSYNC_OPEN_CREAT;
		oa.mode = 0600;
		oa.sem_value = bad_opens[i].value;
		oa.sem_max = bad_opens[i].max;
		oa.mutex_flags = bad_opens[i].mutex_flags;
		snprintf(what, sizeof(what), "OPEN a semaphore with %s",
			 bad_opens[i].what);
		fd = ioctl(dev, RTSYNC_IOC_OPEN, &oa);
		is_errno(fd < 0 ? errno : 0, EINVAL, what);
		if (fd >= 0) {
			close(fd);
			rtsync_unlink(name);
		}
	}
	errno = 0;
	fd = rtsync_sem_open(name, O_CREAT, 0600, 0, 0);
	ok(fd == -1 && errno == EINVAL,
	   "rtsync_sem_open with max 0: EINVAL (got %d, %s)", fd,
	   strerror(errno));
	errno = 0;
	fd = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, 2, 1);
	ok(fd == -1 && errno == EINVAL,
	   "rtsync_sem_open with value above max: EINVAL (got %d, %s)", fd,
	   strerror(errno));
	errno = 0;
	fd = rtsync_sem_open(name, O_CREAT, 0600, 0,
			     RTSYNC_SEM_VALUE_MAX + 1);
	ok(fd == -1 && errno == EINVAL,
	   "rtsync_sem_open with max above RTSYNC_SEM_VALUE_MAX: EINVAL (got %d, %s)",
	   fd, strerror(errno));
	errno = 0;
	fd = rtsync_sem_open(name, 0, 0, 0, 0);
	ok(fd == -1 && errno == ENOENT,
	   "none of the bad opens created the name (open: %s)",
	   strerror(errno));
	if (fd >= 0) {
		close(fd);
		rtsync_unlink(name);
	}
	close(dev);
}

int main(void)
{
	map_bad_memory();
	test_bad_fds();
	test_device_fd();
	test_wrong_type();
	test_unknown_ioctls();
	test_bad_wait_args();
	test_bad_post_args();
	test_post_readonly_count();
	test_bad_info_args();
	test_bad_open();
	return tap_done();
}
