// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * COND_WAIT refused before waiting: every error is asserted together with
 * "nothing changed": the mutex is held exactly as before (INFO of the
 * mutex equal) and the condition variable has the same waiters.
 *  - EPERM: the mutex is free, or held by another process;
 *  - EINVAL: a recursive mutex held twice; a mutex fd that is no mutex (a
 *    semaphore, a condition variable, /dev/rtsync, a pipe); a second mutex
 *    while other threads wait with a first one (the binding ends when they
 *    are gone); bad raw arguments (pad, flags, clock, timeout or clock
 *    without the flag); bad library arguments (clock, timespec);
 *  - EBADF: a closed mutex fd, -1;
 *  - EFAULT: a bad argument pointer.
 * A recursive mutex held once is fine.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define PATIENCE_MS	20000
#define SHORT_MS	50

/* Shared with the children. */
struct board {
	int cfd;
	int mfd;
	volatile int holding;	/* the child holds the mutex */
	volatile int release;	/* the child may unlock and leave */
	volatile int go;	/* the waiting child's condition */
	int result;
};

static struct board *board;

/*
 * refused - make one COND_WAIT call that must fail: assert its errno, and
 * that the mutex and the condition variable are as they were before it.
 */
#define refused(call, want, cfd, mfd, what)				\
	do {								\
		struct rtsync_cond_status cbefore_ = cond_state(cfd);	\
		struct rtsync_mutex_status mbefore_ = mutex_status(mfd); \
		int got_ = (call);					\
									\
		is_errno(got_, (want), (what));				\
		is_unchanged(&mbefore_, (mfd), (what));			\
		cond_unchanged(&cbefore_, (cfd), (what));		\
	} while (0)

/* Holds board->mfd until board->release. */
static int hold_mutex(void *arg)
{
	struct board *b = arg;
	int err = rtsync_mutex_lock(b->mfd);

	if (err)
		return err;
	flag_set(&b->holding, 1);
	flag_wait(&b->release, 1, PATIENCE_MS);
	return rtsync_mutex_unlock(b->mfd);
}

static void test_eperm(void)
{
	char cname[64], mname[64];
	int cfd, mfd;
	pid_t pid;

	cfd = new_cond(cname, sizeof(cname), "cbad");
	mfd = new_mutex(mname, sizeof(mname), "cbad", 0);

	refused(rtsync_cond_wait(cfd, mfd), EPERM, cfd, mfd,
		"wait with a free mutex");
	ok(mutex_status(mfd).owner_tid == 0, "the mutex is still free");
	refused(cond_wait_within(cfd, mfd, SHORT_MS), EPERM, cfd, mfd,
		"timed wait with a free mutex");

	board->mfd = mfd;
	board->holding = board->release = 0;
	pid = start_child(hold_mutex, board);
	flag_wait(&board->holding, 1, PATIENCE_MS);
	refused(rtsync_cond_wait(cfd, mfd), EPERM, cfd, mfd,
		"wait with a mutex another process holds");
	ok(mutex_status(mfd).owner_pid == pid, "that process still holds it");
	flag_set(&board->release, 1);
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "the holder unlocked");

	drop_object(cfd, cname);
	drop_object(mfd, mname);
}

static void test_recursive(void)
{
	char cname[64], mname[64];
	int cfd, mfd;

	cfd = new_cond(cname, sizeof(cname), "cbad");
	mfd = new_mutex(mname, sizeof(mname), "cbad", RTSYNC_RECURSIVE);
	is_errno(rtsync_mutex_lock(mfd), 0, "lock a recursive mutex");
	is_errno(rtsync_mutex_lock(mfd), 0, "lock it again");
	refused(rtsync_cond_wait(cfd, mfd), EINVAL, cfd, mfd,
		"wait with a recursive mutex held twice");
	ok(mutex_status(mfd).recursion == 2, "still held twice");
	is_errno(rtsync_mutex_unlock(mfd), 0, "unlock one level");
	is_errno(cond_wait_within(cfd, mfd, SHORT_MS), ETIMEDOUT,
		 "timed wait with the recursive mutex held once");
	ok(holds_mutex(mfd), "it returns holding it once");
	is_errno(rtsync_mutex_unlock(mfd), 0, "unlock");
	drop_object(cfd, cname);
	drop_object(mfd, mname);
}

static void test_not_a_mutex(void)
{
	char cname[64], mname[64], sname[64], c2name[64];
	int cfd, mfd, sfd, c2fd, devfd, pipefd[2], closed;
	struct rtsync_cond_status before;

	cfd = new_cond(cname, sizeof(cname), "cbad");
	mfd = new_mutex(mname, sizeof(mname), "cbad", 0);
	sfd = new_sem(sname, sizeof(sname), "cbad", 1, 1);
	c2fd = new_cond(c2name, sizeof(c2name), "cbad");
	devfd = open("/dev/rtsync", O_RDWR | O_CLOEXEC);
	if (devfd < 0 || pipe(pipefd))
		bail_out("open /dev/rtsync or pipe");
	closed = dup(mfd);
	close(closed);

	/* Held, so that only the mutex argument is wrong. */
	is_errno(rtsync_mutex_lock(mfd), 0, "lock the mutex");
	before = cond_state(cfd);
	refused(rtsync_cond_wait(cfd, sfd), EINVAL, cfd, mfd,
		"a semaphore fd as the mutex");
	is_sem(sfd, 1, 0, "the semaphore is untouched");
	refused(rtsync_cond_wait(cfd, cfd), EINVAL, cfd, mfd,
		"the condition variable's own fd as the mutex");
	refused(rtsync_cond_wait(cfd, c2fd), EINVAL, cfd, mfd,
		"another condition variable's fd as the mutex");
	refused(rtsync_cond_wait(cfd, devfd), EINVAL, cfd, mfd,
		"/dev/rtsync as the mutex");
	refused(rtsync_cond_wait(cfd, pipefd[0]), EINVAL, cfd, mfd,
		"a pipe as the mutex");
	refused(rtsync_cond_wait(cfd, closed), EBADF, cfd, mfd,
		"a closed fd as the mutex");
	refused(rtsync_cond_wait(cfd, -1), EBADF, cfd, mfd, "-1 as the mutex");
	refused(cond_wait_within(cfd, pipefd[1], SHORT_MS), EINVAL, cfd, mfd,
		"timed wait with a pipe as the mutex");
	ok(holds_mutex(mfd), "the mutex is still held once by the caller");
	cond_unchanged(&before, cfd, "after the wrong mutex fds");
	is_errno(rtsync_mutex_unlock(mfd), 0, "unlock");

	close(pipefd[0]);
	close(pipefd[1]);
	close(devfd);
	drop_object(c2fd, c2name);
	drop_object(sfd, sname);
	drop_object(cfd, cname);
	drop_object(mfd, mname);
}

/* Waits on board->cfd with board->mfd until board->go. */
static int wait_for_go(void *arg)
{
	struct board *b = arg;
	int err;

	err = rtsync_mutex_lock(b->mfd);
	if (err)
		return err;
	while (!flag_get(&b->go) && !err)
		err = cond_wait_within(b->cfd, b->mfd, PATIENCE_MS);
	b->result = err;
	if (!holds_mutex(b->mfd))
		return 101;
	return rtsync_mutex_unlock(b->mfd);
}

static void test_two_mutexes(void)
{
	char cname[64], m1name[64], m2name[64];
	int cfd, m1, m2;
	pid_t pid;

	cfd = new_cond(cname, sizeof(cname), "cbad");
	m1 = new_mutex(m1name, sizeof(m1name), "cbad", 0);
	m2 = new_mutex(m2name, sizeof(m2name), "cbad", 0);

	board->cfd = cfd;
	board->mfd = m1;
	board->go = 0;
	board->result = -1;
	pid = start_child(wait_for_go, board);
	ok(wait_cond_waiters(cfd, 1, PATIENCE_MS) == 1,
	   "another process waits with mutex 1");
	is_errno(rtsync_mutex_lock(m2), 0, "lock mutex 2");
	refused(rtsync_cond_wait(cfd, m2), EINVAL, cfd, m2,
		"wait with mutex 2 while a waiter uses mutex 1");
	refused(cond_wait_within(cfd, m2, SHORT_MS), EINVAL, cfd, m2,
		"timed wait with mutex 2 while a waiter uses mutex 1");
	ok(holds_mutex(m2), "mutex 2 is still held");

	/* The waiter leaves; the binding to mutex 1 goes with it. */
	flag_set(&board->go, 1);
	is_errno(rtsync_cond_broadcast(cfd), 0, "wake the waiter");
	is_exit(wait_child(pid, PATIENCE_MS / 1000 + 10), 0,
		"the waiter returned holding mutex 1 and unlocked it");
	is_errno(board->result, 0, "its wait");
	is_errno(cond_wait_within(cfd, m2, SHORT_MS), ETIMEDOUT,
		 "with no waiter left, mutex 2 may be used");
	ok(holds_mutex(m2), "and is held again after the timeout");

	/* The first waiter's mutex is free for the next one too. */
	is_errno(rtsync_mutex_unlock(m2), 0, "unlock mutex 2");
	is_errno(rtsync_mutex_lock(m1), 0, "lock mutex 1");
	is_errno(cond_wait_within(cfd, m1, SHORT_MS), ETIMEDOUT,
		 "mutex 1 may be used again");
	is_errno(rtsync_mutex_unlock(m1), 0, "unlock mutex 1");

	drop_object(cfd, cname);
	drop_object(m1, m1name);
	drop_object(m2, m2name);
}

static void test_raw_args(void)
{
	struct rtsync_cond_wait_args *edge;
	char cname[64], mname[64];
	long page = sysconf(_SC_PAGESIZE);
	int cfd, mfd;
	uint64_t soon;
	char *map;

	cfd = new_cond(cname, sizeof(cname), "cbad");
	mfd = new_mutex(mname, sizeof(mname), "cbad", 0);
	is_errno(rtsync_mutex_lock(mfd), 0, "lock the mutex");
	soon = (uint64_t)now_ns(CLOCK_MONOTONIC) + 50000000;

	refused(raw_cond_wait(cfd, mfd, 0, 0, 0, 1), EINVAL, cfd, mfd,
		"raw COND_WAIT with pad 1");
	refused(raw_cond_wait(cfd, mfd, 0, 0, 0, 0x80000000U), EINVAL, cfd, mfd,
		"raw COND_WAIT with pad 0x80000000");
	refused(raw_cond_wait(cfd, mfd, 0, 0, 0x2, 0), EINVAL, cfd, mfd,
		"raw COND_WAIT with an unknown wait flag");
	refused(raw_cond_wait(cfd, mfd, soon, CLOCK_MONOTONIC,
			      RTSYNC_WAIT_TIMEOUT | 0x80000000U, 0),
		EINVAL, cfd, mfd, "raw COND_WAIT with the top wait flag");
	refused(raw_cond_wait(cfd, mfd, soon, CLOCK_BOOTTIME,
			      RTSYNC_WAIT_TIMEOUT, 0), EINVAL, cfd, mfd,
		"raw COND_WAIT on CLOCK_BOOTTIME");
	refused(raw_cond_wait(cfd, mfd, soon, CLOCK_PROCESS_CPUTIME_ID,
			      RTSYNC_WAIT_TIMEOUT, 0), EINVAL, cfd, mfd,
		"raw COND_WAIT on CLOCK_PROCESS_CPUTIME_ID");
	refused(raw_cond_wait(cfd, mfd, soon, 12345, RTSYNC_WAIT_TIMEOUT, 0),
		EINVAL, cfd, mfd, "raw COND_WAIT on clock 12345");
	refused(raw_cond_wait(cfd, mfd, soon, 0, 0, 0), EINVAL, cfd, mfd,
		"raw COND_WAIT with a timeout but no TIMEOUT flag");
	refused(raw_cond_wait(cfd, mfd, 0, CLOCK_MONOTONIC, 0, 0), EINVAL, cfd,
		mfd, "raw COND_WAIT with a clock but no TIMEOUT flag");
	refused(raw_ioctl(cfd, RTSYNC_IOC_COND_WAIT, NULL), EFAULT, cfd, mfd,
		"raw COND_WAIT with a NULL argument");
	refused(raw_ioctl(cfd, RTSYNC_IOC_COND_WAIT, (void *)8), EFAULT, cfd,
		mfd, "raw COND_WAIT with a bad argument pointer");

	/* The struct straddles the end of a mapping: half of it readable. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || munmap(map + page, page))
		bail_out("mmap");
	edge = (void *)(map + page - sizeof(*edge) / 2);
	refused(raw_ioctl(cfd, RTSYNC_IOC_COND_WAIT, edge), EFAULT, cfd, mfd,
		"raw COND_WAIT with the argument across the end of a mapping");
	munmap(map, page);

	ok(holds_mutex(mfd), "the mutex is still held once by the caller");
	/* And the same call with good arguments does wait. */
	soon = (uint64_t)now_ns(CLOCK_MONOTONIC) + 50000000;
	is_errno(raw_cond_wait(cfd, mfd, soon, CLOCK_MONOTONIC,
			       RTSYNC_WAIT_TIMEOUT, 0), ETIMEDOUT,
		 "raw COND_WAIT with good arguments times out");
	ok(holds_mutex(mfd), "holding the mutex");
	is_errno(rtsync_mutex_unlock(mfd), 0, "unlock");
	drop_object(cfd, cname);
	drop_object(mfd, mname);
}

static void test_library_args(void)
{
	struct timespec ts = deadline_in(CLOCK_MONOTONIC, SHORT_MS);
	char cname[64], mname[64];
	int cfd, mfd;

	cfd = new_cond(cname, sizeof(cname), "cbad");
	mfd = new_mutex(mname, sizeof(mname), "cbad", 0);
	is_errno(rtsync_mutex_lock(mfd), 0, "lock the mutex");
	refused(rtsync_cond_timedwait(cfd, mfd, CLOCK_BOOTTIME, &ts), EINVAL,
		cfd, mfd, "timedwait on CLOCK_BOOTTIME");
	refused(rtsync_cond_timedwait(cfd, mfd, CLOCK_MONOTONIC, NULL), EINVAL,
		cfd, mfd, "timedwait with a NULL abstime");
	ts.tv_nsec = 1000000000;
	refused(rtsync_cond_timedwait(cfd, mfd, CLOCK_MONOTONIC, &ts), EINVAL,
		cfd, mfd, "timedwait with tv_nsec 1e9");
	ts.tv_nsec = -1;
	refused(rtsync_cond_timedwait(cfd, mfd, CLOCK_REALTIME, &ts), EINVAL,
		cfd, mfd, "timedwait with tv_nsec -1");
	ts.tv_nsec = 0;
	ts.tv_sec = -1;
	refused(rtsync_cond_timedwait(cfd, mfd, CLOCK_REALTIME, &ts), EINVAL,
		cfd, mfd, "timedwait with tv_sec -1");
	refused(rtsync_cond_wait(-1, mfd), EBADF, cfd, mfd,
		"wait on condition fd -1");
	ok(holds_mutex(mfd), "the mutex is still held once by the caller");
	is_errno(rtsync_mutex_unlock(mfd), 0, "unlock");
	drop_object(cfd, cname);
	drop_object(mfd, mname);
}

/* SIGNAL and BROADCAST with nobody waiting wake nobody and keep nothing. */
static void test_wake_nobody(void)
{
	char cname[64], mname[64];
	int cfd, mfd;

	cfd = new_cond(cname, sizeof(cname), "cbad");
	mfd = new_mutex(mname, sizeof(mname), "cbad", 0);
	ok(raw_wake(cfd, RTSYNC_IOC_COND_SIGNAL) == 0,
	   "raw SIGNAL with no waiter wakes 0");
	ok(raw_wake(cfd, RTSYNC_IOC_COND_BROADCAST) == 0,
	   "raw BROADCAST with no waiter wakes 0");
	is_errno(rtsync_cond_signal(cfd), 0, "rtsync_cond_signal with no waiter");
	/* A wake-up given to nobody is not saved for a later waiter. */
	is_errno(rtsync_mutex_lock(mfd), 0, "lock");
	is_errno(cond_wait_within(cfd, mfd, SHORT_MS), ETIMEDOUT,
		 "a later wait is not woken by the earlier SIGNALs");
	is_errno(rtsync_mutex_unlock(mfd), 0, "unlock");
	drop_object(cfd, cname);
	drop_object(mfd, mname);
}

int main(void)
{
	board = shared_mem(sizeof(*board));
	test_eperm();
	test_recursive();
	test_not_a_mutex();
	test_two_mutexes();
	test_raw_args();
	test_library_args();
	test_wake_nobody();
	shared_free(board, sizeof(*board));
	return tap_done();
}
