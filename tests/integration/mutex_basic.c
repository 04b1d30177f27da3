// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Basic mutex behaviour: the owner is the locking thread and INFO shows it;
 * relock is EDEADLK unless the mutex is RECURSIVE, which counts; threads
 * and processes that do not own the mutex get EPERM (unlock, consistent)
 * or EBUSY (trylock) and change nothing; a locker of a held mutex sleeps
 * until the owner unlocks.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"

/* What a non-owner (thread or process) got for each call. */
struct intruder {
	int fd;
	int unlock;
	int trylock;
	int consistent;
	int by_name_unlock;	/* through its own fd opened by name */
	const char *name;
	pid_t seen_owner_pid;	/* INFO as the intruder sees it */
};

static void intrude(struct intruder *in)
{
	struct rtsync_mutex_status st;
	int fd2;

	in->unlock = rtsync_mutex_unlock(in->fd);
	in->trylock = rtsync_mutex_trylock(in->fd);
	in->consistent = rtsync_mutex_consistent(in->fd);
	in->seen_owner_pid = -1;
	if (!rtsync_mutex_info(in->fd, &st))
		in->seen_owner_pid = st.owner_pid;
	in->by_name_unlock = -1;
	fd2 = rtsync_mutex_open(in->name, 0, 0, 0);
	if (fd2 >= 0) {
		in->by_name_unlock = rtsync_mutex_unlock(fd2);
		close(fd2);
	}
}

static void *intruder_thread(void *arg)
{
	intrude(arg);
	return NULL;
}

static int intruder_process(void *arg)
{
	intrude(arg);
	return 0;
}

static void check_intruder(const struct intruder *in, const char *who)
{
	char what[128];

	snprintf(what, sizeof(what), "unlock by %s", who);
	is_errno(in->unlock, EPERM, what);
	snprintf(what, sizeof(what), "unlock by %s through its own fd", who);
	is_errno(in->by_name_unlock, EPERM, what);
	snprintf(what, sizeof(what), "trylock by %s", who);
	is_errno(in->trylock, EBUSY, what);
	snprintf(what, sizeof(what), "consistent by %s", who);
	is_errno(in->consistent, EPERM, what);
	ok(in->seen_owner_pid == getpid(), "%s sees the owner's pid %d (got %d)",
	   who, (int)getpid(), (int)in->seen_owner_pid);
}

static void test_owner_and_relock(void)
{
	struct rtsync_mutex_status st, before;
	char name[64];
	int fd, fd2;

	fd = new_mutex(name, sizeof(name), "basic", 0);
	st = mutex_status(fd);
	ok(st.owner_tid == 0 && st.owner_pid == 0 && st.recursion == 0 &&
	   st.waiters == 0 && st.flags == 0,
	   "a new mutex is free (owner %d/%d recursion %u waiters %u flags %#x)",
	   (int)st.owner_pid, (int)st.owner_tid, st.recursion, st.waiters,
	   st.flags);
	ok(!strcmp(st.name, name), "INFO reports the name (got '%s')", st.name);

	is_errno(rtsync_mutex_lock(fd), 0, "lock a free mutex");
	st = mutex_status(fd);
	ok(st.owner_tid == gettid() && st.owner_pid == getpid(),
	   "INFO: owner is the calling thread %d/%d (got %d/%d)",
	   (int)getpid(), (int)gettid(), (int)st.owner_pid,
	   (int)st.owner_tid);
	ok(st.recursion == 1, "INFO: recursion 1 when held (got %u)",
	   st.recursion);

	before = st;
	is_errno(lock_within(fd, 30), EDEADLK, "relock by the owner");
	is_unchanged(&before, fd, "relock by the owner");
	is_errno(rtsync_mutex_trylock(fd), EDEADLK, "trylock by the owner");
	is_unchanged(&before, fd, "trylock by the owner");
	is_errno(rtsync_mutex_consistent(fd), EINVAL,
		 "consistent by the owner of a consistent mutex");
	is_unchanged(&before, fd, "consistent of a consistent mutex");

	is_errno(rtsync_mutex_unlock(fd), 0, "unlock by the owner");
	st = mutex_status(fd);
	ok(st.owner_tid == 0 && st.owner_pid == 0 && st.recursion == 0,
	   "free again after unlock (owner %d/%d recursion %u)",
	   (int)st.owner_pid, (int)st.owner_tid, st.recursion);

	before = st;
	is_errno(rtsync_mutex_unlock(fd), EPERM, "unlock of a free mutex");
	is_unchanged(&before, fd, "unlock of a free mutex");
	is_errno(rtsync_mutex_consistent(fd), EPERM, "consistent of a free mutex");
	is_unchanged(&before, fd, "consistent of a free mutex");

	is_errno(rtsync_mutex_trylock(fd), 0, "trylock of a free mutex");
	ok(mutex_status(fd).owner_tid == gettid(), "trylock made us the owner");

	/* Ownership belongs to the thread, not to the fd. */
	fd2 = rtsync_mutex_open(name, 0, 0, 0);
	ok(fd2 >= 0 && fd2 != fd, "open the same name again without O_CREAT");
	if (fd2 >= 0) {
		st = mutex_status(fd2);
		ok(st.owner_tid == gettid(),
		   "the second fd shows the same object, held by us");
		is_errno(rtsync_mutex_unlock(fd2), 0,
			 "unlock through the second fd");
		ok(mutex_status(fd).owner_tid == 0,
		   "the first fd sees it free");
		close(fd2);
	}
	drop_object(fd, name);
}

static void test_non_owners(void)
{
	struct rtsync_mutex_status before;
	struct intruder *in;
	char name[64];
	pthread_t t;
	pid_t pid;
	int fd;

	fd = new_mutex(name, sizeof(name), "basic", 0);
	in = shared_mem(sizeof(*in));
	in->fd = fd;
	in->name = name;	/* same address in the forked child */

	is_errno(rtsync_mutex_lock(fd), 0, "lock for the non-owner checks");
	before = mutex_status(fd);

	if (pthread_create(&t, NULL, intruder_thread, in))
		bail_out("pthread_create");
	if (ok(!join_thread(t, 30, NULL), "non-owner thread finished")) {
		check_intruder(in, "another thread of the owner's process");
		is_unchanged(&before, fd, "calls by a non-owner thread");
	}

	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->name = name;
	pid = start_child(intruder_process, in);
	if (is_exit(wait_child(pid, 30), 0, "non-owner process finished")) {
		check_intruder(in, "another process");
		is_unchanged(&before, fd, "calls by another process");
	}

	is_errno(rtsync_mutex_unlock(fd), 0,
		 "the owner can still unlock after the intruders");
	shared_free(in, sizeof(*in));
	drop_object(fd, name);
}

/* A thread that locks, reports, and holds until told to unlock. */
struct holder {
	int fd;
	pid_t tid;
	int lock;
	int unlock;
	volatile int held;
	volatile int release;
};

static void *holder_thread(void *arg)
{
	struct holder *h = arg;

	h->tid = gettid();
	h->lock = rtsync_mutex_lock(h->fd);
	flag_set(&h->held, 1);
	flag_wait(&h->release, 1, 60000);
	h->unlock = rtsync_mutex_unlock(h->fd);
	return NULL;
}

static void test_thread_owner(void)
{
	struct rtsync_mutex_status st, before;
	struct holder h = { 0 };
	char name[64];
	pthread_t t;

	h.fd = new_mutex(name, sizeof(name), "basic", 0);
	if (pthread_create(&t, NULL, holder_thread, &h))
		bail_out("pthread_create");
	ok(flag_wait(&h.held, 1, 30000), "holder thread locked");
	is_errno(h.lock, 0, "lock by a second thread");
	st = mutex_status(h.fd);
	ok(st.owner_tid == h.tid && st.owner_pid == getpid(),
	   "INFO: owner is that thread %d/%d, not the main thread (got %d/%d)",
	   (int)getpid(), (int)h.tid, (int)st.owner_pid, (int)st.owner_tid);

	before = st;
	is_errno(rtsync_mutex_unlock(h.fd), EPERM,
		 "the main thread cannot unlock the other thread's lock");
	is_errno(rtsync_mutex_trylock(h.fd), EBUSY,
		 "the main thread's trylock");
	is_unchanged(&before, h.fd, "main thread's unlock and trylock");

	flag_set(&h.release, 1);
	if (ok(!join_thread(t, 30, NULL), "holder thread finished"))
		is_errno(h.unlock, 0, "the owning thread unlocks");
	ok(mutex_status(h.fd).owner_tid == 0, "free after the thread unlocked");
	drop_object(h.fd, name);
}

/* A process or thread that sleeps in LOCK and reports when it returns. */
struct sleeper {
	int fd;
	volatile int started;
	volatile int returned;
	int lock;
	pid_t owner_seen;	/* INFO owner pid right after the lock */
	pid_t owner_tid_seen;
	pid_t tid;
	int unlock;
};

static void sleep_in_lock(struct sleeper *s)
{
	struct rtsync_mutex_status st;

	s->tid = gettid();
	flag_set(&s->started, 1);
	s->lock = rtsync_mutex_lock(s->fd);
	flag_set(&s->returned, 1);
	if (!rtsync_mutex_info(s->fd, &st)) {
		s->owner_seen = st.owner_pid;
		s->owner_tid_seen = st.owner_tid;
	}
	s->unlock = s->lock ? -1 : rtsync_mutex_unlock(s->fd);
}

static int sleeper_process(void *arg)
{
	sleep_in_lock(arg);
	return 0;
}

static void *sleeper_thread(void *arg)
{
	sleep_in_lock(arg);
	return NULL;
}

static void test_sleeping_lockers(void)
{
	struct sleeper *proc, thr = { 0 };
	char name[64];
	pthread_t t;
	pid_t pid;
	int fd;

	fd = new_mutex(name, sizeof(name), "basic", 0);
	proc = shared_mem(sizeof(*proc));
	proc->fd = thr.fd = fd;

	is_errno(rtsync_mutex_lock(fd), 0, "lock before starting two lockers");
	pid = start_child(sleeper_process, proc);
	if (pthread_create(&t, NULL, sleeper_thread, &thr))
		bail_out("pthread_create");
	flag_wait(&proc->started, 1, 30000);
	flag_wait(&thr.started, 1, 30000);
	ok(wait_waiters(fd, 2, 30000) == 2,
	   "INFO: a process and a thread sleep in LOCK (waiters 2)");
	sleep_ms(50);
	ok(!flag_get(&proc->returned) && !flag_get(&thr.returned),
	   "neither locker returned while the mutex is held");
	ok(mutex_status(fd).owner_tid == gettid(), "we still own it");

	is_errno(rtsync_mutex_unlock(fd), 0, "unlock with two sleepers");
	is_exit(wait_child(pid, 60), 0, "sleeping process finished");
	ok(!join_thread(t, 60, NULL), "sleeping thread finished");
	is_errno(proc->lock, 0, "the process's LOCK returned acquired");
	ok(proc->owner_seen == pid, "the process owned it afterwards (INFO %d)",
	   (int)proc->owner_seen);
	is_errno(proc->unlock, 0, "the process unlocked");
	is_errno(thr.lock, 0, "the thread's LOCK returned acquired");
	ok(thr.owner_tid_seen == thr.tid,
	   "the thread owned it afterwards (INFO tid %d, thread %d)",
	   (int)thr.owner_tid_seen, (int)thr.tid);
	is_errno(thr.unlock, 0, "the thread unlocked");
	ok(mutex_status(fd).waiters == 0 && mutex_status(fd).owner_tid == 0,
	   "free with no waiters at the end");
	shared_free(proc, sizeof(*proc));
	drop_object(fd, name);
}

static void *trylock_other_thread(void *arg)
{
	int fd = *(int *)arg;
	int *ret = malloc(2 * sizeof(int));

	if (ret) {
		ret[0] = rtsync_mutex_trylock(fd);
		ret[1] = rtsync_mutex_unlock(fd);
	}
	return ret;
}

static void test_recursive(void)
{
	struct rtsync_mutex_status st, before;
	char name[64];
	void *res = NULL;
	pthread_t t;
	int fd, i;

	fd = new_mutex(name, sizeof(name), "basic", 0);
	ok(!(mutex_status(fd).flags & RTSYNC_MINFO_RECURSIVE),
	   "a default mutex is not RECURSIVE");
	drop_object(fd, name);

	fd = new_mutex(name, sizeof(name), "basic", RTSYNC_RECURSIVE);
	ok(mutex_status(fd).flags & RTSYNC_MINFO_RECURSIVE,
	   "INFO shows RECURSIVE");
	is_errno(rtsync_mutex_lock(fd), 0, "recursive: first lock");
	is_errno(rtsync_mutex_trylock(fd), 0, "recursive: trylock by the owner");
	is_errno(rtsync_mutex_lock(fd), 0, "recursive: third lock");
	st = mutex_status(fd);
	ok(st.recursion == 3 && st.owner_tid == gettid(),
	   "INFO: recursion 3, owned by us (got %u, owner %d)", st.recursion,
	   (int)st.owner_tid);

	before = st;
	if (pthread_create(&t, NULL, trylock_other_thread, &fd))
		bail_out("pthread_create");
	if (ok(!join_thread(t, 30, &res) && res,
	       "recursive: other thread finished while we hold it")) {
		is_errno(((int *)res)[0], EBUSY,
			 "recursive: trylock by another thread");
		is_errno(((int *)res)[1], EPERM,
			 "recursive: unlock by another thread");
	}
	free(res);
	is_unchanged(&before, fd, "recursive: other thread's calls");

	for (i = 2; i >= 0; i--) {
		is_errno(rtsync_mutex_unlock(fd), 0,
			 strf("recursive: unlock level %d", i + 1));
		st = mutex_status(fd);
		ok(st.recursion == (unsigned int)i &&
		   st.owner_tid == (i ? gettid() : 0),
		   "INFO: recursion %d, owner %d (got %u, owner %d)", i,
		   i ? (int)gettid() : 0, st.recursion, (int)st.owner_tid);
	}
	is_errno(rtsync_mutex_unlock(fd), EPERM,
		 "recursive: one unlock too many");

	res = NULL;
	if (pthread_create(&t, NULL, trylock_other_thread, &fd))
		bail_out("pthread_create");
	if (ok(!join_thread(t, 30, &res) && res,
	       "recursive: other thread finished after the release")) {
		is_errno(((int *)res)[0], 0,
			 "recursive: another thread takes it once fully released");
		is_errno(((int *)res)[1], 0, "and unlocks it");
	}
	free(res);
	drop_object(fd, name);
}

int main(void)
{
	test_owner_and_relock();
	test_non_owners();
	test_thread_owner();
	test_sleeping_lockers();
	test_recursive();
	return tap_done();
}
