// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Opening semaphores and their basic counting: a new semaphore has the
 * value and maximum it was created with and INFO shows them with its name;
 * opening an existing one ignores value and max; O_EXCL, a missing name and
 * a name that belongs to a mutex fail as open(2) would; TRYWAIT and WAIT
 * take units while the count is above 0, POST returns the previous count,
 * and every fd of the object, in any process, sees the same count.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

static void test_create_and_info(void)
{
	struct rtsync_sem_status st;
	char name[64];
	int fd;

	fd = new_sem(name, sizeof(name), "open", 3, 5);
	st = sem_state(fd);
	ok(st.value == 3 && st.max == 5 && st.waiters == 0 && st.flags == 0,
	   "a new semaphore: value 3 max 5 waiters 0 flags 0 (got %u %u %u %#x)",
	   st.value, st.max, st.waiters, st.flags);
	ok(!strcmp(st.name, name), "INFO reports the name (got '%s')", st.name);
	drop_object(fd, name);

	fd = new_sem(name, sizeof(name), "open", 0, 1);
	st = sem_state(fd);
	ok(st.value == 0 && st.max == 1,
	   "value 0 max 1 is a valid semaphore (got %u %u)", st.value, st.max);
	drop_object(fd, name);

	fd = new_sem(name, sizeof(name), "open", RTSYNC_SEM_VALUE_MAX,
		     RTSYNC_SEM_VALUE_MAX);
	st = sem_state(fd);
	ok(st.value == RTSYNC_SEM_VALUE_MAX && st.max == RTSYNC_SEM_VALUE_MAX,
	   "value and max RTSYNC_SEM_VALUE_MAX (got %#x %#x)", st.value, st.max);
	drop_object(fd, name);
}

static void test_open_existing(void)
{
	struct rtsync_sem_status st;
	char name[64], mname[64];
	int fd, fd2, mfd;

	fd = new_sem(name, sizeof(name), "open", 2, 4);

	fd2 = rtsync_sem_open(name, O_CREAT, 0600, 7, 9);
	if (ok(fd2 >= 0 && fd2 != fd,
	       "O_CREAT of an existing name opens it (fd %d)", fd2)) {
		st = sem_state(fd2);
		ok(st.value == 2 && st.max == 4,
		   "value and max of the open are ignored (got %u %u)",
		   st.value, st.max);
		close(fd2);
	}
	fd2 = rtsync_sem_open(name, 0, 0, 0, 0);
	ok(fd2 >= 0, "open without O_CREAT finds it");
	if (fd2 >= 0)
		close(fd2);

	errno = 0;
	fd2 = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, 0, 1);
	ok(fd2 == -1 && errno == EEXIST,
	   "O_CREAT|O_EXCL of an existing name: EEXIST (got %d, %s)", fd2,
	   strerror(errno));
	ok(sem_state(fd).value == 2, "the failed opens changed nothing");

	test_name(mname, sizeof(mname), "open-missing");
	errno = 0;
	fd2 = rtsync_sem_open(mname, 0, 0, 0, 0);
	ok(fd2 == -1 && errno == ENOENT,
	   "open of a missing name without O_CREAT: ENOENT (got %d, %s)", fd2,
	   strerror(errno));

	errno = 0;
	mfd = rtsync_mutex_open(name, O_CREAT, 0600, 0);
	ok(mfd == -1 && errno == EINVAL,
	   "a semaphore's name opened as a mutex: EINVAL (got %d, %s)", mfd,
	   strerror(errno));
	if (mfd >= 0)
		close(mfd);

	mfd = new_mutex(mname, sizeof(mname), "open", 0);
	errno = 0;
	fd2 = rtsync_sem_open(mname, O_CREAT, 0600, 1, 1);
	ok(fd2 == -1 && errno == EINVAL,
	   "a mutex's name opened as a semaphore: EINVAL (got %d, %s)", fd2,
	   strerror(errno));
	if (fd2 >= 0)
		close(fd2);
	errno = 0;
	fd2 = rtsync_sem_open(mname, 0, 0, 0, 0);
	ok(fd2 == -1 && errno == EINVAL,
	   "... and without O_CREAT: EINVAL (got %d, %s)", fd2,
	   strerror(errno));
	if (fd2 >= 0)
		close(fd2);
	drop_object(mfd, mname);
	drop_object(fd, name);
}

/* A process that takes one unit through an inherited fd. */
static int wait_inherited(void *arg)
{
	return rtsync_sem_wait(*(int *)arg);
}

static void test_counting(void)
{
	unsigned int prev = 12345;
	char name[64];
	int fd, fd2, i;
	pid_t pid;

	fd = new_sem(name, sizeof(name), "open", 2, 3);
	is_errno(rtsync_sem_trywait(fd), 0, "trywait at 2");
	/* In a child, so that a WAIT that wrongly sleeps cannot hang us. */
	pid = start_child(wait_inherited, &fd);
	is_exit(wait_child(pid, 30), 0, "wait at 1 returns at once");
	is_sem(fd, 0, 0, "after taking both units");
	is_errno(rtsync_sem_trywait(fd), EAGAIN, "trywait at 0");
	is_sem(fd, 0, 0, "a failed trywait");

	is_errno(rtsync_sem_post(fd, 1, &prev), 0, "post 1 at 0");
	ok(prev == 0, "post reports the previous count 0 (got %u)", prev);
	is_errno(rtsync_sem_post(fd, 2, &prev), 0, "post 2 at 1");
	ok(prev == 1, "post reports the previous count 1 (got %u)", prev);
	is_sem(fd, 3, 0, "after posting 3 units");
	is_errno(rtsync_sem_post(fd, 1, NULL), EOVERFLOW,
		 "post past max (NULL prev)");

	/* Two fds of one name are one object. */
	fd2 = rtsync_sem_open(name, 0, 0, 0, 0);
	if (ok(fd2 >= 0, "open a second fd")) {
		is_errno(rtsync_sem_trywait(fd2), 0, "trywait on the second fd");
		is_sem(fd, 2, 0, "the first fd sees the unit gone");
		close(fd2);
	}
	for (i = 0; i < 2; i++)
		rtsync_sem_trywait(fd);
	is_sem(fd, 0, 0, "emptied");
	drop_object(fd, name);
}

/* A process that posts through an fd it opened by name. */
static int post_by_name(void *arg)
{
	const char *name = arg;
	int fd, err;

	fd = rtsync_sem_open(name, 0, 0, 0, 0);
	if (fd < 0)
		return errno;
	err = rtsync_sem_post(fd, 2, NULL);
	close(fd);
	return err;
}

static void test_other_processes(void)
{
	char name[64];
	pid_t pid;
	int fd;

	fd = new_sem(name, sizeof(name), "open", 0, 5);
	pid = start_child(post_by_name, name);
	is_exit(wait_child(pid, 30), 0, "a process posts 2 through its own fd");
	is_sem(fd, 2, 0, "the creator sees the other process's post");

	pid = start_child(wait_inherited, &fd);
	is_exit(wait_child(pid, 30), 0, "a child waits on the inherited fd");
	is_sem(fd, 1, 0, "the child's wait took one unit");
	is_errno(rtsync_sem_trywait(fd), 0, "the creator takes the last unit");
	drop_object(fd, name);
}

int main(void)
{
	test_create_and_info();
	test_open_existing();
	test_counting();
	test_other_processes();
	return tap_done();
}
