// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Opening condition variables, their INFO and their lifetime: they live in
 * the same name space as mutexes and semaphores, with the same open(2)
 * rules (O_CREAT, O_EXCL, ENOENT), permissions (read and write needed) and
 * POSIX lifetime (the name until UNLINK, the object until its last fd).
 * A name of another type is EINVAL either way, and so are OPEN's
 * mutex/semaphore fields for a condition variable. INFO reports waiters,
 * the name and UNLINKED, and refuses a short name buffer (ERANGE), a
 * non-zero pad (EINVAL) and bad pointers (EFAULT). Ioctls of another type
 * are EINVAL on either kind of fd, an unknown one ENOTTY. A SIGNAL
 * through one fd wakes a waiter that came in through another process's.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define PATIENCE_MS	20000
#define OTHER_UID	1000

static int device_fd(void)
{
	int fd = open("/dev/rtsync", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		bail_out("open /dev/rtsync");
	return fd;
}

static void test_create_and_info(void)
{
	struct rtsync_cond_status st;
	char name[64];
	int fd, fd2;

	fd = new_cond(name, sizeof(name), "copen");
	st = cond_state(fd);
	ok(st.waiters == 0 && st.flags == 0,
	   "a new condition variable: waiters 0, flags 0 (got %u, %#x)",
	   st.waiters, st.flags);
	ok(!strcmp(st.name, name), "INFO reports the name (got '%s')", st.name);

	fd2 = rtsync_cond_open(name, O_CREAT | O_EXCL, 0600);
	ok(fd2 < 0 && errno == EEXIST, "O_CREAT|O_EXCL of an existing name: EEXIST (got %d, %s)",
	   fd2, fd2 < 0 ? strerror(errno) : "an fd");
	if (fd2 >= 0)
		close(fd2);
	fd2 = rtsync_cond_open(name, O_CREAT, 0600);
	ok(fd2 >= 0 && fd2 != fd, "O_CREAT of an existing name opens it (fd %d)",
	   fd2);
	if (fd2 >= 0)
		close(fd2);
	fd2 = rtsync_cond_open(name, 0, 0);
	ok(fd2 >= 0, "opening an existing name without O_CREAT (fd %d)", fd2);
	if (fd2 >= 0)
		close(fd2);
	drop_object(fd, name);

	fd2 = rtsync_cond_open(name, 0, 0);
	ok(fd2 < 0 && errno == ENOENT, "a missing name without O_CREAT: ENOENT (got %s)",
	   fd2 < 0 ? strerror(errno) : "an fd");
	if (fd2 >= 0)
		close(fd2);
	fd2 = rtsync_cond_open(name, O_RDONLY | O_TRUNC, 0600);
	ok(fd2 < 0 && errno == EINVAL, "an oflag other than O_CREAT/O_EXCL: EINVAL (got %s)",
	   fd2 < 0 ? strerror(errno) : "an fd");
	if (fd2 >= 0)
		close(fd2);
}

/* Mutexes, semaphores and condition variables share one name space. */
static void test_type_mismatch(void)
{
	char cname[64], mname[64], sname[64];
	int cfd, mfd, sfd, fd;

	cfd = new_cond(cname, sizeof(cname), "copen");
	mfd = new_mutex(mname, sizeof(mname), "copen", 0);
	sfd = new_sem(sname, sizeof(sname), "copen", 0, 1);

	fd = rtsync_cond_open(mname, O_CREAT, 0600);
	ok(fd < 0 && errno == EINVAL, "a mutex's name opened as a condition variable: EINVAL (got %s)",
	   fd < 0 ? strerror(errno) : "an fd");
	if (fd >= 0)
		close(fd);
	fd = rtsync_cond_open(sname, 0, 0);
	ok(fd < 0 && errno == EINVAL, "a semaphore's name opened as a condition variable: EINVAL (got %s)",
	   fd < 0 ? strerror(errno) : "an fd");
	if (fd >= 0)
		close(fd);
	fd = rtsync_mutex_open(cname, O_CREAT, 0600, 0);
	ok(fd < 0 && errno == EINVAL, "a condition variable's name opened as a mutex: EINVAL (got %s)",
	   fd < 0 ? strerror(errno) : "an fd");
	if (fd >= 0)
		close(fd);
	fd = rtsync_sem_open(cname, O_CREAT, 0600, 0, 1);
	ok(fd < 0 && errno == EINVAL, "a condition variable's name opened as a semaphore: EINVAL (got %s)",
	   fd < 0 ? strerror(errno) : "an fd");
	if (fd >= 0)
		close(fd);
	ok(!strcmp(cond_state(cfd).name, cname),
	   "the condition variable is still there under its name");

	drop_object(cfd, cname);
	drop_object(mfd, mname);
	drop_object(sfd, sname);
}

/* OPEN's type-specific fields must be 0 for a condition variable. */
static void test_raw_open_fields(void)
{
	static const struct {
		const char *what;
		uint32_t mutex_flags, sem_value, sem_max;
	} bad[] = {
		{ "mutex_flags RECURSIVE", RTSYNC_MUTEX_RECURSIVE, 0, 0 },
		{ "sem_value 1", 0, 1, 1 },
		{ "sem_max 1", 0, 0, 1 },
	};
	struct rtsync_open_args a;
	char name[64];
	int devfd, fd;
	unsigned int i;

	devfd = device_fd();
	test_name(name, sizeof(name), "copen");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.name = (uintptr_t)name;
		a.type = RTSYNC_TYPE_COND;
		a.flags = RTSYNC_OPEN_CREAT;
		a.mode = 0600;
		a.mutex_flags = bad[i].mutex_flags;
		a.sem_value = bad[i].sem_value;
		a.sem_max = bad[i].sem_max;
		fd = ioctl(devfd, RTSYNC_IOC_OPEN, &a);
		ok(fd < 0 && errno == EINVAL,
		   "raw OPEN of a condition variable with %s: EINVAL (got %s)",
		   bad[i].what, fd < 0 ? strerror(errno) : "an fd");
		if (fd >= 0)
			close(fd);
	}
	fd = rtsync_cond_open(name, 0, 0);
	ok(fd < 0 && errno == ENOENT, "none of them created the name (got %s)",
	   fd < 0 ? strerror(errno) : "an fd");
	if (fd >= 0)
		close(fd);

	memset(&a, 0, sizeof(a));
	a.name = (uintptr_t)name;
	a.type = RTSYNC_TYPE_COND;
	a.flags = RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL;
	a.mode = 0600;
	fd = ioctl(devfd, RTSYNC_IOC_OPEN, &a);
	ok(fd >= 0, "raw OPEN with those fields 0 creates it (%s)",
	   fd >= 0 ? "an fd" : strerror(errno));
	if (fd >= 0)
		drop_object(fd, name);
	close(devfd);
}

static void test_lifetime(void)
{
	struct rtsync_cond_status st;
	char name[64];
	int fd, fd2;

	fd = new_cond(name, sizeof(name), "copen");
	is_errno(rtsync_unlink(name), 0, "unlink an open condition variable");
	st = cond_state(fd);
	ok(st.flags == RTSYNC_CINFO_UNLINKED,
	   "INFO of the open fd shows UNLINKED (flags %#x)", st.flags);
	ok(!strcmp(st.name, name), "the unlinked one keeps its name in INFO (got '%s')",
	   st.name);
	is_errno(rtsync_cond_signal(fd), 0, "the unlinked one still works: SIGNAL");
	is_errno(rtsync_unlink(name), ENOENT, "unlink again: the name is gone");

	fd2 = rtsync_cond_open(name, O_CREAT | O_EXCL, 0600);
	ok(fd2 >= 0, "the name can be used again at once (%s)",
	   fd2 >= 0 ? "an fd" : strerror(errno));
	if (fd2 >= 0) {
		ok(cond_state(fd2).flags == 0 && cond_state(fd).flags ==
		   RTSYNC_CINFO_UNLINKED,
		   "the new one is linked, the old one still unlinked");
		drop_object(fd2, name);
	}
	close(fd);
}

static int open_as_other_user(void *arg)
{
	const char *name = arg;
	int fd;

	if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) ||
	    setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
		return 100;
	fd = rtsync_cond_open(name, 0, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno;
}

static void test_permissions(void)
{
	char name[64];
	pid_t pid;
	int fd;

	if (geteuid() != 0) {
		skip("not root", "another user cannot open a 0600 condition variable");
		skip("not root", "another user opens it once the mode allows it");
		return;
	}
	fd = new_cond(name, sizeof(name), "copen");
	pid = start_child(open_as_other_user, name);
	is_exit(wait_child(pid, 20), EACCES,
		"uid 1000 opens root's 0600 condition variable");
	is_errno(rtsync_setperm(fd, (uid_t)-1, (gid_t)-1, 0666), 0,
		 "SETPERM mode 0666");
	pid = start_child(open_as_other_user, name);
	is_exit(wait_child(pid, 20), 0, "uid 1000 opens it with mode 0666");
	drop_object(fd, name);
}

static void test_info_bad_input(void)
{
	struct rtsync_cond_status before;
	struct rtsync_cond_info info;
	char name[64], small[4];
	int fd;

	fd = new_cond(name, sizeof(name), "copen");
	before = cond_state(fd);

	memset(&info, 0, sizeof(info));
	info.name = (uintptr_t)small;
	info.name_size = sizeof(small);
	is_errno(raw_ioctl(fd, RTSYNC_IOC_COND_INFO, &info), ERANGE,
		 "INFO with a name buffer too small");
	memset(&info, 0, sizeof(info));
	info.name = (uintptr_t)name;
	info.name_size = strlen(name);	/* no room for the NUL */
	is_errno(raw_ioctl(fd, RTSYNC_IOC_COND_INFO, &info), ERANGE,
		 "INFO with no room for the terminating NUL");
	memset(&info, 0, sizeof(info));
	info.pad = 1;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_COND_INFO, &info), EINVAL,
		 "INFO with a non-zero pad");
	is_errno(raw_ioctl(fd, RTSYNC_IOC_COND_INFO, (void *)8), EFAULT,
		 "INFO with a bad struct pointer");
	memset(&info, 0, sizeof(info));
	info.name = 8;
	info.name_size = 64;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_COND_INFO, &info), EFAULT,
		 "INFO with a bad name pointer");
	memset(&info, 0, sizeof(info));
	info.waiters = 77;
	is_errno(raw_ioctl(fd, RTSYNC_IOC_COND_INFO, &info), 0,
		 "INFO without a name buffer");
	ok(info.waiters == 0 && info.flags == 0,
	   "INFO without a name buffer fills waiters and flags (got %u, %#x)",
	   info.waiters, info.flags);
	is_errno(rtsync_cond_info(fd, NULL), EFAULT, "rtsync_cond_info(fd, NULL)");
	cond_unchanged(&before, fd, "after the bad INFOs");
	drop_object(fd, name);
}

/* Ioctls meant for another object type are EINVAL, unknown ones ENOTTY. */
static void test_cross_type_ioctls(void)
{
	struct rtsync_wait_args wait = { 0 };
	struct rtsync_sem_post_args post = { .count = 1 };
	struct rtsync_mutex_info minfo;
	struct rtsync_sem_info sinfo;
	struct rtsync_cond_info cinfo;
	char cname[64], mname[64], sname[64];
	int cfd, mfd, sfd;

	cfd = new_cond(cname, sizeof(cname), "copen");
	mfd = new_mutex(mname, sizeof(mname), "copen", 0);
	sfd = new_sem(sname, sizeof(sname), "copen", 1, 1);
	memset(&minfo, 0, sizeof(minfo));
	memset(&sinfo, 0, sizeof(sinfo));
	memset(&cinfo, 0, sizeof(cinfo));

	is_errno(raw_ioctl(cfd, RTSYNC_IOC_MUTEX_LOCK, &wait), EINVAL,
		 "MUTEX_LOCK on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_MUTEX_TRYLOCK, NULL), EINVAL,
		 "MUTEX_TRYLOCK on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_MUTEX_UNLOCK, NULL), EINVAL,
		 "MUTEX_UNLOCK on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_MUTEX_CONSISTENT, NULL), EINVAL,
		 "MUTEX_CONSISTENT on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_MUTEX_INFO, &minfo), EINVAL,
		 "MUTEX_INFO on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_SEM_WAIT, &wait), EINVAL,
		 "SEM_WAIT on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_SEM_TRYWAIT, NULL), EINVAL,
		 "SEM_TRYWAIT on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_SEM_POST, &post), EINVAL,
		 "SEM_POST on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_SEM_INFO, &sinfo), EINVAL,
		 "SEM_INFO on a condition variable");
	is_errno(raw_ioctl(cfd, _IO(RTSYNC_IOC_MAGIC, 0x3f), NULL), ENOTTY,
		 "an unknown rtsync ioctl on a condition variable");
	is_errno(raw_ioctl(cfd, RTSYNC_IOC_OPEN, NULL), ENOTTY,
		 "a device ioctl (OPEN) on a condition variable");

	is_errno(raw_cond_wait(mfd, mfd, 0, 0, 0, 0), EINVAL,
		 "COND_WAIT on a mutex");
	is_errno(raw_ioctl(mfd, RTSYNC_IOC_COND_INFO, &cinfo), EINVAL,
		 "COND_INFO on a mutex");
	is_errno(raw_ioctl(sfd, RTSYNC_IOC_COND_SIGNAL, NULL), EINVAL,
		 "COND_SIGNAL on a semaphore");
	is_errno(raw_ioctl(sfd, RTSYNC_IOC_COND_BROADCAST, NULL), EINVAL,
		 "COND_BROADCAST on a semaphore");
	is_errno(raw_ioctl(sfd, RTSYNC_IOC_COND_INFO, &cinfo), EINVAL,
		 "COND_INFO on a semaphore");
	is_errno(raw_cond_wait(sfd, mfd, 0, 0, 0, 0), EINVAL,
		 "COND_WAIT on a semaphore");
	is_errno(rtsync_cond_signal(mfd), EINVAL, "rtsync_cond_signal on a mutex");
	is_errno(rtsync_cond_broadcast(sfd), EINVAL,
		 "rtsync_cond_broadcast on a semaphore");

	ok(mutex_status(mfd).owner_tid == 0, "the mutex is still free");
	is_sem(sfd, 1, 0, "the semaphore is unchanged");
	ok(cond_state(cfd).waiters == 0, "the condition variable has no waiter");
	drop_object(cfd, cname);
	drop_object(mfd, mname);
	drop_object(sfd, sname);
}

/* A waiter that opened the name itself, in another process. */
struct by_name {
	char cond[64];
	char mutex[64];
	volatile int ready;
	volatile int go;
	int result;
};

static int wait_by_name(void *arg)
{
	struct by_name *b = arg;
	int cfd, mfd, err;

	cfd = rtsync_cond_open(b->cond, 0, 0);
	mfd = rtsync_mutex_open(b->mutex, 0, 0, 0);
	if (cfd < 0 || mfd < 0)
		return errno;
	err = rtsync_mutex_lock(mfd);
	if (err)
		return err;
	flag_set(&b->ready, 1);
	while (!flag_get(&b->go) && !err)
		err = cond_wait_within(cfd, mfd, PATIENCE_MS);
	b->result = err;
	if (!holds_mutex(mfd))
		return 101;
	return rtsync_mutex_unlock(mfd);
}

static void test_other_process(void)
{
	struct by_name *b = shared_mem(sizeof(*b));
	int cfd, mfd;
	pid_t pid;

	cfd = new_cond(b->cond, sizeof(b->cond), "copen");
	mfd = new_mutex(b->mutex, sizeof(b->mutex), "copen", 0);
	pid = start_child(wait_by_name, b);
	ok(wait_cond_waiters(cfd, 1, PATIENCE_MS) == 1,
	   "a process that opened the names itself waits");
	ok(cond_state(cfd).waiters == 1, "INFO through another fd counts it");
	is_errno(rtsync_mutex_lock(mfd), 0, "lock the mutex it released");
	flag_set(&b->go, 1);
	is_errno(rtsync_cond_signal(cfd), 0, "SIGNAL through this fd");
	is_errno(rtsync_mutex_unlock(mfd), 0, "unlock");
	is_exit(wait_child(pid, PATIENCE_MS / 1000 + 10), 0,
		"the waiter returned holding the mutex and unlocked it");
	is_errno(b->result, 0, "its wait");
	ok(cond_state(cfd).waiters == 0, "no waiter left");
	drop_object(cfd, b->cond);
	drop_object(mfd, b->mutex);
	shared_free(b, sizeof(*b));
}

int main(void)
{
	test_create_and_info();
	test_type_mismatch();
	test_raw_open_fields();
	test_lifetime();
	test_permissions();
	test_info_bad_input();
	test_cross_type_ioctls();
	test_other_process();
	return tap_done();
}
