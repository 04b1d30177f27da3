// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Bad input to every mutex entry point, through the library and through
 * raw ioctls: each must fail with the documented errno and change nothing
 * (no object created, INFO the same before and after).
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <termios.h>

#include "tap.h"
#include "helpers.h"

static int devfd;
static char *no_access;		/* a page that cannot be read or written */
static char *read_only;		/* a page that can only be read */
static long page_size;

/* open_errno - errno of a library open, 0 (and cleanup) if it worked */
static int open_errno(const char *name, int oflag, unsigned int flags)
{
	int fd = rtsync_mutex_open(name, oflag, 0600, flags);

	if (fd < 0)
		return errno;
	close(fd);
	if (oflag & O_CREAT)
		rtsync_unlink(name);
	return 0;
}

static void test_names(void)
{
	char name[RTSYNC_NAME_MAX + 2], base[64];
	struct rtsync_mutex_status st;
	int fd, fd2;

	is_errno(open_errno("", O_CREAT, 0), EINVAL, "empty name");
	is_errno(open_errno("/", O_CREAT, 0), EINVAL, "name \"/\"");
	is_errno(open_errno("a/b", O_CREAT, 0), EINVAL, "name with a '/'");
	is_errno(open_errno("/lead", O_CREAT, 0), EINVAL,
		 "name with a leading '/'");
	ok(name_absent("lead") && name_absent("a"),
	   "nothing was created for the bad names");

	test_name(base, sizeof(base), "bad");
	memset(name, 'x', sizeof(name));
	memcpy(name, base, strlen(base));
	name[RTSYNC_NAME_MAX + 1] = '\0';
	is_errno(open_errno(name, O_CREAT, 0), ENAMETOOLONG, "256-byte name");
	is_errno(open_errno(name, 0, 0), ENAMETOOLONG,
		 "256-byte name without O_CREAT");
	name[RTSYNC_NAME_MAX] = '\0';
	fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (ok(fd >= 0, "255-byte name is accepted (%s)",
	       fd < 0 ? strerror(errno) : "ok")) {
		st = mutex_status(fd);
		ok(!strcmp(st.name, name), "INFO returns the 255-byte name");
		drop_object(fd, name);
	}

	test_name(name, sizeof(name), "bad");
	is_errno(open_errno(name, 0, 0), ENOENT, "missing name without O_CREAT");
	ok(name_absent(name), "and it was not created");
	is_errno(open_errno(name, O_EXCL, 0), EINVAL,
		 "library: O_EXCL without O_CREAT");
	is_errno(open_errno(name, O_CREAT | O_TRUNC, 0), EINVAL,
		 "library: O_TRUNC");
	is_errno(open_errno(name, O_CREAT, 1U << 1), EINVAL,
		 "library: unknown mutex flag");
	ok(name_absent(name), "nothing was created by the bad calls");

	fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (fd < 0)
		bail_out("create");
	is_errno(open_errno(name, O_CREAT | O_EXCL, 0), EEXIST,
		 "O_CREAT|O_EXCL on an existing name");
	rtsync_mutex_lock(fd);
	fd2 = rtsync_mutex_open(name, O_CREAT, 0600, 0);
	ok(fd2 >= 0 && mutex_status(fd2).owner_tid == gettid(),
	   "O_CREAT on an existing name opens the same object");
	if (fd2 >= 0)
		close(fd2);
	rtsync_mutex_unlock(fd);
	drop_object(fd, name);
}

/* A condition variable's name and fd used as a mutex's. */
static void test_condition_name(void)
{
	struct rtsync_open_args a = {
		.type = RTSYNC_TYPE_COND,
		.flags = RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL,
		.mode = 0600,
	};
	char name[64];
	int cond;

	test_name(name, sizeof(name), "bad");
	a.name = (uintptr_t)name;
	cond = ioctl(devfd, RTSYNC_IOC_OPEN, &a);
	if (cond < 0) {
		skip(strerror(errno), "condition variable name opened as a mutex");
		return;
	}
	is_errno(open_errno(name, 0, 0), EINVAL,
		 "opening a condition variable's name as a mutex");
	is_errno(rtsync_mutex_lock(cond), EINVAL,
		 "mutex lock on a condition variable fd");
	is_errno(rtsync_mutex_unlock(cond), EINVAL,
		 "mutex unlock on a condition variable fd");
	close(cond);
	rtsync_unlink(name);
}

static void test_semaphore_name(void)
{
	struct rtsync_sem_status before, after;
	char name[64];
	int sem;

	test_name(name, sizeof(name), "bad");
	sem = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, 1, 1);
	if (sem < 0) {
		skip(strerror(errno), "semaphore name opened as a mutex");
		return;
	}
	rtsync_sem_info(sem, &before);
	is_errno(open_errno(name, 0, 0), EINVAL,
		 "opening a semaphore's name as a mutex");
	is_errno(open_errno(name, O_CREAT, 0), EINVAL,
		 "opening a semaphore's name as a mutex with O_CREAT");
	is_errno(rtsync_mutex_lock(sem), EINVAL, "mutex lock on a semaphore fd");
	is_errno(rtsync_mutex_trylock(sem), EINVAL,
		 "mutex trylock on a semaphore fd");
	is_errno(rtsync_mutex_unlock(sem), EINVAL,
		 "mutex unlock on a semaphore fd");
	is_errno(rtsync_mutex_consistent(sem), EINVAL,
		 "mutex consistent on a semaphore fd");
	rtsync_sem_info(sem, &after);
	ok(before.value == 1 && after.value == 1 &&
	   after.waiters == 0 && after.max == 1,
	   "the semaphore is unchanged (value %u -> %u)", before.value,
	   after.value);
	close(sem);
	rtsync_unlink(name);
}

/* raw_open - RTSYNC_IOC_OPEN on /dev/rtsync: the fd, or -errno */
static int raw_open(uint64_t name, uint32_t type, uint32_t flags,
		    uint32_t mode, uint32_t mutex_flags, uint32_t sem_value,
		    uint32_t sem_max)
{
	struct rtsync_open_args a = {
		.name = name,
		.type = type,
		.flags = flags,
		.mode = mode,
		.mutex_flags = mutex_flags,
		.sem_value = sem_value,
		.sem_max = sem_max,
	};
	int fd = ioctl(devfd, RTSYNC_IOC_OPEN, &a);

	return fd < 0 ? -errno : fd;
}

#define C	RTSYNC_OPEN_CREAT
#define M	RTSYNC_TYPE_MUTEX

static void raw_open_fails(const char *name, int want, uint32_t type,
			   uint32_t flags, uint32_t mode, uint32_t mutex_flags,
			   uint32_t sem_value, uint32_t sem_max,
			   const char *what)
{
	int ret = raw_open((uintptr_t)name, type, flags, mode, mutex_flags,
			   sem_value, sem_max);

	if (ret >= 0) {
		close(ret);
		rtsync_unlink(name);
	}
	is_errno(ret < 0 ? -ret : 0, want, what);
}

static void test_raw_open(void)
{
	char name[64], *edge;
	int fd, other;

	test_name(name, sizeof(name), "bad");
	fd = raw_open((uintptr_t)name, M, C | RTSYNC_OPEN_EXCL, 0600, 0, 0, 0);
	ok(fd >= 0, "raw OPEN with good arguments creates (%s)",
	   fd < 0 ? strerror(-fd) : "ok");
	if (fd >= 0)
		drop_object(fd, name);

	test_name(name, sizeof(name), "bad");
	raw_open_fails(name, EINVAL, M, C | (1U << 2), 0600, 0, 0, 0,
		       "raw OPEN: unknown flag");
	raw_open_fails(name, EINVAL, M, C | (1U << 31), 0600, 0, 0, 0,
		       "raw OPEN: flag bit 31");
	raw_open_fails(name, EINVAL, M, RTSYNC_OPEN_EXCL, 0600, 0, 0, 0,
		       "raw OPEN: EXCL without CREAT");
	raw_open_fails(name, EINVAL, M, C, 01000, 0, 0, 0,
		       "raw OPEN: mode 01000");
	raw_open_fails(name, EINVAL, M, C, 0100600, 0, 0, 0,
		       "raw OPEN: mode with file-type bits");
	raw_open_fails(name, EINVAL, M, C, 0600, 1U << 1, 0, 0,
		       "raw OPEN: unknown mutex flag");
	raw_open_fails(name, EINVAL, M, C, 0600, 0, 1, 0,
		       "raw OPEN: sem_value for a mutex");
	raw_open_fails(name, EINVAL, M, C, 0600, 0, 0, 1,
		       "raw OPEN: sem_max for a mutex");
	raw_open_fails(name, EINVAL, 0, C, 0600, 0, 0, 0, "raw OPEN: type 0");
	raw_open_fails(name, EINVAL, RTSYNC_TYPE_COND + 1, C, 0600, 0, 0, 0,
		       "raw OPEN: type one past the last");
	raw_open_fails(name, EINVAL, 0xffffffffU, C, 0600, 0, 0, 0,
		       "raw OPEN: type 0xffffffff");
	raw_open_fails(name, EINVAL, 0, 0, 0, 0, 0, 0,
		       "raw OPEN: type 0 without CREAT");
	/* An existing name, so that only the creation fields are wrong. */
	fd = raw_open((uintptr_t)name, M, C | RTSYNC_OPEN_EXCL, 0600, 0, 0, 0);
	if (ok(fd >= 0, "raw OPEN creates %s for the next checks", name)) {
		raw_open_fails(name, EINVAL, M, 0, 0600, 0, 0, 0,
			       "raw OPEN without CREAT: mode 0600");
		raw_open_fails(name, EINVAL, M, 0, 0, RTSYNC_MUTEX_RECURSIVE,
			       0, 0, "raw OPEN without CREAT: mutex flags");
		raw_open_fails(name, EINVAL, M, 0, 0, 0, 1, 0,
			       "raw OPEN without CREAT: sem_value");
		raw_open_fails(name, EINVAL, M, 0, 0, 0, 0, 1,
			       "raw OPEN without CREAT: sem_max");
		other = rtsync_mutex_open(name, 0, 0600, RTSYNC_RECURSIVE);
		ok(other >= 0,
		   "rtsync_mutex_open without O_CREAT ignores mode and flags, as sem_open(3) does (%s)",
		   other < 0 ? strerror(errno) : "ok");
		if (other >= 0)
			close(other);
		drop_object(fd, name);
	}
	ok(name_absent(name), "raw OPEN: nothing was created by the bad calls");

	is_errno(-raw_open(0, M, C, 0600, 0, 0, 0), EFAULT,
		 "raw OPEN: NULL name pointer");
	is_errno(-raw_open((uintptr_t)no_access, M, C, 0600, 0, 0, 0), EFAULT,
		 "raw OPEN: name in an inaccessible page");
	/* "ab" at the very end of a readable page, no NUL before the hole */
	edge = no_access - 2;
	memcpy(edge, "ab", 2);
	is_errno(-raw_open((uintptr_t)edge, M, C, 0600, 0, 0, 0), EFAULT,
		 "raw OPEN: name running into an inaccessible page");
	ok(name_absent("ab"), "raw OPEN: nothing was created by them");

	is_errno(ioctl(devfd, RTSYNC_IOC_OPEN, NULL) < 0 ? errno : 0, EFAULT,
		 "raw OPEN: NULL args pointer");
	is_errno(ioctl(devfd, RTSYNC_IOC_OPEN, no_access) < 0 ? errno : 0,
		 EFAULT, "raw OPEN: args in an inaccessible page");
}

static int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? errno : 0;
}

static void test_wrong_ioctls(void)
{
	struct rtsync_mutex_status before;
	struct rtsync_sem_post_args post = { .count = 1 };
	struct rtsync_wait_args wait = { 0 };
	struct rtsync_sem_info sinfo = { 0 };
	struct termios tio;
	char name[64];
	int fd, i, pipefd[2];

	fd = new_mutex(name, sizeof(name), "bad", 0);
	for (i = 0; i < 2; i++) {
		const char *state = i ? "held" : "free";

		if (i)
			rtsync_mutex_lock(fd);
		before = mutex_status(fd);
		is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_POST, &post), EINVAL,
			 i ? "SEM_POST on a held mutex fd" : "SEM_POST on a mutex fd");
		is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_WAIT, &wait), EINVAL,
			 i ? "SEM_WAIT on a held mutex fd" : "SEM_WAIT on a mutex fd");
		is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_TRYWAIT, NULL), EINVAL,
			 i ? "SEM_TRYWAIT on a held mutex fd" : "SEM_TRYWAIT on a mutex fd");
		is_errno(raw_ioctl(fd, RTSYNC_IOC_SEM_INFO, &sinfo), EINVAL,
			 i ? "SEM_INFO on a held mutex fd" : "SEM_INFO on a mutex fd");
		is_errno(raw_ioctl(fd, RTSYNC_IOC_COND_SIGNAL, NULL), EINVAL,
			 strf("COND_SIGNAL on a %s mutex fd", state));
		is_errno(raw_ioctl(fd, RTSYNC_IOC_COND_BROADCAST, NULL), EINVAL,
			 strf("COND_BROADCAST on a %s mutex fd", state));
		is_errno(raw_ioctl(fd, _IO(RTSYNC_IOC_MAGIC, 0x3f), NULL),
			 ENOTTY, strf("unused rtsync ioctl number on a %s mutex fd",
				      state));
		is_errno(raw_ioctl(fd, _IOW(RTSYNC_IOC_MAGIC, 0x10, __u32), &wait),
			 ENOTTY, strf("LOCK's number with the wrong size (%s)",
				      state));
		is_errno(raw_ioctl(fd, _IO('X', 0x10), NULL), ENOTTY,
			 strf("another driver's ioctl magic (%s)", state));
		is_errno(raw_ioctl(fd, TCGETS, &tio), ENOTTY,
			 strf("TCGETS on a %s mutex fd", state));
		is_unchanged(&before, fd, state);
	}
	rtsync_mutex_unlock(fd);

	is_errno(rtsync_mutex_lock(-1), EBADF, "lock on fd -1");
	is_errno(rtsync_mutex_trylock(-1), EBADF, "trylock on fd -1");
	is_errno(rtsync_mutex_unlock(-1), EBADF, "unlock on fd -1");
	is_errno(rtsync_mutex_consistent(-1), EBADF, "consistent on fd -1");
	is_errno(rtsync_mutex_info(-1, &before), EBADF, "info on fd -1");
	if (pipe(pipefd))
		bail_out("pipe");
	close(pipefd[1]);
	is_errno(rtsync_mutex_unlock(pipefd[1]), EBADF, "unlock on a closed fd");
	is_errno(rtsync_mutex_lock(pipefd[0]), ENOTTY, "lock on a pipe");
	is_errno(rtsync_mutex_trylock(pipefd[0]), ENOTTY, "trylock on a pipe");
	is_errno(rtsync_mutex_unlock(pipefd[0]), ENOTTY, "unlock on a pipe");
	is_errno(rtsync_mutex_consistent(pipefd[0]), ENOTTY,
		 "consistent on a pipe");
	is_errno(rtsync_mutex_info(pipefd[0], &before), ENOTTY, "info on a pipe");
	close(pipefd[0]);
	drop_object(fd, name);
}

static int raw_lock(int fd, uint64_t timeout, uint32_t clockid,
		    uint32_t flags)
{
	struct rtsync_wait_args a = {
		.timeout = timeout,
		.clockid = clockid,
		.flags = flags,
	};

	return raw_ioctl(fd, RTSYNC_IOC_MUTEX_LOCK, &a);
}

static void test_raw_lock(void)
{
	uint64_t soon = now_ns(CLOCK_MONOTONIC) + 1000000000ULL;
	struct rtsync_mutex_status before;
	char name[64], what[96];
	const char *state;
	int fd, i;

	fd = new_mutex(name, sizeof(name), "bad", RTSYNC_RECURSIVE);
	is_errno(raw_lock(fd, 0, 0, 0), 0, "raw LOCK, no timeout: acquires");
	is_errno(rtsync_mutex_unlock(fd), 0, "unlock after raw LOCK");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_MUTEX_LOCK, NULL), 0,
		 "raw LOCK with a NULL argument (no timeout): acquires");
	ok(mutex_status(fd).recursion == 1,
	   "raw LOCK with a NULL argument: held once (recursion %u)",
	   mutex_status(fd).recursion);
	is_errno(rtsync_mutex_unlock(fd), 0, "unlock after NULL-argument LOCK");
	is_errno(raw_lock(fd, soon, CLOCK_MONOTONIC, RTSYNC_WAIT_TIMEOUT), 0,
		 "raw LOCK with a good timeout: acquires");
	is_errno(rtsync_mutex_unlock(fd), 0, "unlock after timed raw LOCK");

	/*
	 * Free, a bad LOCK that slipped through would acquire; held once
	 * (recursive), it would count. Either changes INFO.
	 */
	for (i = 0; i < 2; i++) {
		state = i ? "held recursive" : "free";
		if (i)
			rtsync_mutex_lock(fd);
		before = mutex_status(fd);
#define BAD_LOCK(want, call, desc)					\
		do {							\
			snprintf(what, sizeof(what), "raw LOCK (%s): %s",	\
				 state, desc);				\
			is_errno(call, want, what);			\
			is_unchanged(&before, fd, what);		\
		} while (0)
		BAD_LOCK(EINVAL, raw_lock(fd, 0, 0, 1U << 1), "unknown flag");
		BAD_LOCK(EINVAL, raw_lock(fd, 0, 0, 1U << 31), "flag bit 31");
		BAD_LOCK(EINVAL, raw_lock(fd, 1, 0, 0),
			 "timeout without RTSYNC_WAIT_TIMEOUT");
		BAD_LOCK(EINVAL, raw_lock(fd, 0, CLOCK_MONOTONIC, 0),
			 "clockid without RTSYNC_WAIT_TIMEOUT");
		BAD_LOCK(EINVAL, raw_lock(fd, soon, CLOCK_PROCESS_CPUTIME_ID,
					  RTSYNC_WAIT_TIMEOUT),
			 "clockid 2");
		BAD_LOCK(EINVAL, raw_lock(fd, soon, CLOCK_BOOTTIME,
					  RTSYNC_WAIT_TIMEOUT),
			 "clockid CLOCK_BOOTTIME");
		BAD_LOCK(EINVAL, raw_lock(fd, soon, 0xffffffffU,
					  RTSYNC_WAIT_TIMEOUT),
			 "clockid 0xffffffff");
		BAD_LOCK(EFAULT, raw_ioctl(fd, RTSYNC_IOC_MUTEX_LOCK, no_access),
			 "args in an inaccessible page");
#undef BAD_LOCK
	}
	rtsync_mutex_unlock(fd);
	ok(mutex_status(fd).recursion == 0, "raw LOCK: free at the end");
	drop_object(fd, name);
}

static int raw_info(int fd, struct rtsync_mutex_info *info, uint64_t name,
		    uint32_t size)
{
	memset(info, 0, sizeof(*info));
	info->name = name;
	info->name_size = size;
	return raw_ioctl(fd, RTSYNC_IOC_MUTEX_INFO, info);
}

static void test_raw_info(void)
{
	struct rtsync_mutex_status before;
	struct rtsync_mutex_info info;
	char name[64], buf[RTSYNC_NAME_MAX + 1];
	uint32_t len;
	int fd;

	fd = new_mutex(name, sizeof(name), "bad", 0);
	len = strlen(name);
	rtsync_mutex_lock(fd);
	before = mutex_status(fd);

	memset(buf, '#', sizeof(buf));
	is_errno(raw_info(fd, &info, (uintptr_t)buf, len + 1), 0,
		 "raw INFO with a buffer just large enough");
	ok(!strcmp(buf, name) && info.owner_tid == (uint32_t)gettid() &&
	   info.owner_pid == (uint32_t)getpid() && info.recursion == 1,
	   "raw INFO fills name, owner and recursion");
	is_errno(raw_info(fd, &info, 0, 0), 0, "raw INFO without a name buffer");
	ok(info.owner_tid == (uint32_t)gettid(),
	   "raw INFO without a name buffer still reports the owner");
	is_errno(raw_info(fd, &info, (uintptr_t)buf, len), ERANGE,
		 "raw INFO: buffer without room for the NUL");
	is_errno(raw_info(fd, &info, (uintptr_t)buf, 3), ERANGE,
		 "raw INFO: 3-byte buffer");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_MUTEX_INFO, NULL), EFAULT,
		 "raw INFO: NULL struct pointer");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_MUTEX_INFO, no_access), EFAULT,
		 "raw INFO: struct in an inaccessible page");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_MUTEX_INFO, read_only), EFAULT,
		 "raw INFO: struct in a read-only page");
	is_errno(raw_info(fd, &info, (uintptr_t)no_access, sizeof(buf)), EFAULT,
		 "raw INFO: name buffer in an inaccessible page");
	is_errno(raw_info(fd, &info, (uintptr_t)read_only, sizeof(buf)), EFAULT,
		 "raw INFO: name buffer in a read-only page");
	is_errno(raw_info(fd, &info, 8, sizeof(buf)), EFAULT,
		 "raw INFO: name buffer at address 8");
	is_errno(rtsync_mutex_info(fd, NULL), EFAULT, "library INFO with NULL");
	is_unchanged(&before, fd, "bad INFO calls");
	rtsync_mutex_unlock(fd);
	drop_object(fd, name);
}

int main(void)
{
	char *pages;

	devfd = open("/dev/rtsync", O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		bail_out("open /dev/rtsync");
	/* [read-only page][inaccessible page] */
	page_size = sysconf(_SC_PAGESIZE);
	pages = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		bail_out("mmap");
	no_access = pages + page_size;
	if (mprotect(no_access, page_size, PROT_NONE))
		bail_out("mprotect");

	test_names();
	test_semaphore_name();
	test_condition_name();
	test_raw_open();	/* writes a name at the end of the first page */
	read_only = pages;
	if (mprotect(read_only, page_size, PROT_READ))
		bail_out("mprotect");
	test_wrong_ioctls();
	test_raw_lock();
	test_raw_info();
	return tap_done();
}
