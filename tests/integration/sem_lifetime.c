// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Semaphore lifetime: UNLINK removes the name at once (INFO shows
 * UNLINKED, opening the name fails) while the object lives on for every
 * open fd; sleepers that wait on an unlinked semaphore keep waiting and are
 * woken by posts through any of its fds; a new semaphore under the old name
 * is a different object.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define SLEEPERS 2

struct sleepers {
	int fd;
	volatile int woken;
};

static int sleeper(void *arg)
{
	struct sleepers *s = arg;
	int err;

	err = rtsync_sem_wait(s->fd);
	if (!err)
		__atomic_add_fetch(&s->woken, 1, __ATOMIC_SEQ_CST);
	return err;
}

static void test_unlink_with_sleepers(void)
{
	struct rtsync_sem_status st;
	struct sleepers *s;
	pid_t pids[SLEEPERS];
	char name[64];
	int fd, fd_new, fd2, i;

	fd = new_sem(name, sizeof(name), "life", 0, 10);
	s = shared_mem(sizeof(*s));
	s->fd = fd;
	for (i = 0; i < SLEEPERS; i++)
		pids[i] = start_child(sleeper, s);
	ok(wait_sem_waiters(fd, SLEEPERS, 30000) == SLEEPERS,
	   "%d processes sleep in WAIT", SLEEPERS);

	is_errno(rtsync_unlink(name), 0, "unlink while they sleep");
	st = sem_state(fd);
	ok(st.flags & RTSYNC_SINFO_UNLINKED,
	   "INFO shows UNLINKED (flags %#x)", st.flags);
	ok(st.waiters == SLEEPERS && st.value == 0,
	   "the sleepers still sleep on it (waiters %u value %u)", st.waiters,
	   st.value);
	ok(!strcmp(st.name, name), "INFO still reports the old name (got '%s')",
	   st.name);
	errno = 0;
	fd2 = rtsync_sem_open(name, 0, 0, 0, 0);
	ok(fd2 == -1 && errno == ENOENT,
	   "opening the unlinked name: ENOENT (got %d, %s)", fd2,
	   strerror(errno));
	is_errno(rtsync_unlink(name), ENOENT, "unlinking it again");

	/* The name is free for a new, different object. */
	fd_new = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, 5, 5);
	ok(fd_new >= 0, "O_CREAT|O_EXCL of the old name creates a new object");
	if (fd_new >= 0) {
		st = sem_state(fd_new);
		ok(st.value == 5 && st.waiters == 0 && st.flags == 0,
		   "the new object: value 5, no sleepers, linked (got %u %u %#x)",
		   st.value, st.waiters, st.flags);
		is_errno(rtsync_sem_post(fd_new, 1, NULL), EOVERFLOW,
			 "post to the full new object");
		is_errno(rtsync_sem_trywait(fd_new), 0,
			 "trywait on the new object");
	}
	sleep_ms(50);
	ok(flag_get(&s->woken) == 0,
	   "nothing done to the new object woke the old one's sleepers");
	is_sem(fd, 0, SLEEPERS, "the old object");

	is_errno(rtsync_sem_post(fd, SLEEPERS, NULL), 0,
		 "post to the unlinked object");
	for (i = 0; i < SLEEPERS; i++)
		is_exit(wait_child(pids[i], 30), 0,
			"a sleeper on the unlinked object got a unit");
	is_sem(fd, 0, 0, "the unlinked object after the wake-ups");
	if (fd_new >= 0) {
		st = sem_state(fd_new);
		ok(st.value == 4 && st.waiters == 0,
		   "the new object kept its own count 4 (got %u, waiters %u)",
		   st.value, st.waiters);
		drop_object(fd_new, name);
	}
	close(fd);
	shared_free(s, sizeof(*s));
}

static void test_unlink_keeps_count(void)
{
	char name[64];
	int fd, fd2;

	fd = new_sem(name, sizeof(name), "life", 3, 3);
	fd2 = rtsync_sem_open(name, 0, 0, 0, 0);
	if (fd2 < 0)
		bail_out("rtsync_sem_open");
	is_errno(rtsync_unlink(name), 0, "unlink with two fds open");
	close(fd);
	is_errno(rtsync_sem_trywait(fd2), 0,
		 "the remaining fd still works after the other was closed");
	is_sem(fd2, 2, 0, "the object kept its count");
	ok(sem_state(fd2).flags == RTSYNC_SINFO_UNLINKED,
	   "INFO flags: UNLINKED only");
	close(fd2);
}

int main(void)
{
	test_unlink_with_sleepers();
	test_unlink_keeps_count();
	return tap_done();
}
