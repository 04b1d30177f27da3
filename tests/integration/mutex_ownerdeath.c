// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Owner death (robust mutexes): when the owning thread returns, calls
 * pthread_exit(), its process exits, is SIGKILLed or exec()s while holding,
 * the mutex is released on its behalf and the next locker, also one already
 * asleep in LOCK, gets EOWNERDEAD and owns it. CONSISTENT makes it normal
 * again; unlocking without CONSISTENT makes it not recoverable for
 * everyone, including the threads already waiting.
 */
#define _GNU_SOURCE
#include <poll.h>

#include "tap.h"
#include "helpers.h"

#define EXEC_ARG	"--after-exec"

/*
 * What the program does when exec()ed by the exec test: tell the parent
 * the new image runs (writing to ready_fd), then wait for hold_fd to reach
 * EOF and exit 0.
 */
static int after_exec(const char *ready_arg, const char *hold_arg)
{
	int ready = atoi(ready_arg), hold = atoi(hold_arg);
	char c;

	if (write(ready, "x", 1) != 1)
		return 2;
	while (read(hold, &c, 1) > 0)
		;
	return 0;
}

/* The state after a death, before anyone locked again. */
static void check_died(int fd, const char *label)
{
	struct rtsync_mutex_status st = mutex_status(fd);
	int64_t t0 = now_ns(CLOCK_MONOTONIC);

	/*
	 * pthread_join() can return before the kernel's exit hook for the
	 * thread has run (the join wakes in exit_mm(), the hook runs later
	 * in do_exit()), so give the release a moment and say if it needed it.
	 */
	if (st.owner_tid) {
		wait_owner(fd, 0, 5000);
		diag("%s: still owned by the dead thread when checked; free after %.1f ms",
		     label, ns_to_ms(now_ns(CLOCK_MONOTONIC) - t0));
		st = mutex_status(fd);
	}
	ok(st.owner_tid == 0 && st.owner_pid == 0 && st.recursion == 0,
	   "%s: released on the dead owner's behalf (owner %d/%d recursion %u)",
	   label, (int)st.owner_pid, (int)st.owner_tid, st.recursion);
	ok(st.flags & RTSYNC_MINFO_OWNER_DIED,
	   "%s: INFO shows OWNER_DIED while free (flags %#x)", label,
	   st.flags);
}

/* Take over with EOWNERDEAD (from lock or trylock), repair, and check. */
static void recover(int fd, int use_trylock, const char *label)
{
	struct rtsync_mutex_status st;
	char what[128];
	int ret;

	ret = use_trylock ? rtsync_mutex_trylock(fd) : lock_within(fd, 30);
	snprintf(what, sizeof(what), "%s: next %s gets EOWNERDEAD", label,
		 use_trylock ? "trylock" : "lock");
	is_errno(ret, EOWNERDEAD, what);
	if (ret != EOWNERDEAD && ret != 0)
		return;
	st = mutex_status(fd);
	ok(st.owner_tid == gettid() && st.recursion == 1,
	   "%s: and owns it (owner %d, recursion %u)", label,
	   (int)st.owner_tid, st.recursion);
	ok(st.flags & RTSYNC_MINFO_INCONSISTENT,
	   "%s: INFO shows INCONSISTENT while held (flags %#x)", label,
	   st.flags);
	snprintf(what, sizeof(what), "%s: consistent", label);
	is_errno(rtsync_mutex_consistent(fd), 0, what);
	st = mutex_status(fd);
	ok(!(st.flags & (RTSYNC_MINFO_OWNER_DIED | RTSYNC_MINFO_INCONSISTENT |
			 RTSYNC_MINFO_NOTRECOVERABLE)),
	   "%s: INFO flags clean after consistent (flags %#x)", label,
	   st.flags);
	snprintf(what, sizeof(what), "%s: consistent again", label);
	is_errno(rtsync_mutex_consistent(fd), EINVAL, what);
	snprintf(what, sizeof(what), "%s: unlock", label);
	is_errno(rtsync_mutex_unlock(fd), 0, what);
	snprintf(what, sizeof(what), "%s: a later lock is normal", label);
	is_errno(lock_within(fd, 30), 0, what);
	rtsync_mutex_unlock(fd);
}

struct dying_thread {
	int fd;
	int times;		/* lock this many times (recursive mutex) */
	int use_pthread_exit;
	int ret;
};

static void *dying_thread(void *arg)
{
	struct dying_thread *d = arg;
	int i;

	for (i = 0; i < d->times; i++)
		d->ret |= rtsync_mutex_lock(d->fd);
	if (d->use_pthread_exit)
		pthread_exit(NULL);
	return NULL;	/* returns holding the mutex */
}

static void test_thread_death(int use_pthread_exit, int recursive)
{
	struct dying_thread d = { 0 };
	const char *label;
	char name[64];
	pthread_t t;

	label = use_pthread_exit ? "pthread_exit() holding a recursive mutex 3 times"
				 : "thread returns holding";
	d.fd = new_mutex(name, sizeof(name), "od",
			 recursive ? RTSYNC_RECURSIVE : 0);
	d.times = recursive ? 3 : 1;
	d.use_pthread_exit = use_pthread_exit;
	if (pthread_create(&t, NULL, dying_thread, &d))
		bail_out("pthread_create");
	if (!ok(!join_thread(t, 30, NULL), "%s: thread ended", label))
		return;
	is_errno(d.ret, 0, label);
	check_died(d.fd, label);
	recover(d.fd, recursive, label);
	drop_object(d.fd, name);
}

struct holder {
	int fd[2];
	int nfd;
	int how;		/* HOLD_EXIT or HOLD_SLEEP */
	int ret;
	volatile int held;
};

enum { HOLD_EXIT, HOLD_SLEEP };

static int holder_process(void *arg)
{
	struct holder *h = arg;
	int i;

	for (i = 0; i < h->nfd; i++)
		h->ret |= rtsync_mutex_lock(h->fd[i]);
	flag_set(&h->held, 1);
	if (h->how == HOLD_EXIT)
		exit(0);
	for (;;)
		pause();	/* until SIGKILL */
}

static void test_process_exit(void)
{
	struct holder *h = shared_mem(sizeof(*h));
	const char *label = "process exits holding";
	char name[64];
	pid_t pid;

	h->fd[0] = new_mutex(name, sizeof(name), "od", 0);
	h->nfd = 1;
	h->how = HOLD_EXIT;
	pid = start_child(holder_process, h);
	is_exit(wait_child(pid, 30), 0, "holder process exited");
	is_errno(h->ret, 0, "holder process locked before exiting");
	check_died(h->fd[0], label);
	recover(h->fd[0], 1, label);
	drop_object(h->fd[0], name);
	shared_free(h, sizeof(*h));
}

static void test_process_killed(void)
{
	struct holder *h = shared_mem(sizeof(*h));
	const char *label = "process SIGKILLed holding two mutexes";
	char n0[64], n1[64];
	pid_t pid;

	h->fd[0] = new_mutex(n0, sizeof(n0), "od", 0);
	h->fd[1] = new_mutex(n1, sizeof(n1), "od", 0);
	h->nfd = 2;
	h->how = HOLD_SLEEP;
	pid = start_child(holder_process, h);
	ok(flag_wait(&h->held, 1, 30000), "%s: holder locked", label);
	is_errno(h->ret, 0, label);
	ok(mutex_status(h->fd[1]).owner_pid == pid, "%s: holder owns both",
	   label);
	kill(pid, SIGKILL);
	is_exit(wait_child(pid, 30), -SIGKILL, strf("%s: holder killed", label));
	check_died(h->fd[0], strf("%s (m0)", label));
	check_died(h->fd[1], strf("%s (m1)", label));
	recover(h->fd[0], 0, strf("%s (m0)", label));
	recover(h->fd[1], 1, strf("%s (m1)", label));
	drop_object(h->fd[0], n0);
	drop_object(h->fd[1], n1);
	shared_free(h, sizeof(*h));
}

/* A process sleeping in LOCK; what happens when it returns. */
struct waiter {
	int fd;
	int repair;		/* consistent + unlock on EOWNERDEAD */
	volatile int started;
	volatile int returned;
	volatile int proceed;	/* parent has inspected the state */
	int ret;
	unsigned int flags_seen;
	pid_t owner_seen;
	int consistent_ret;
	int unlock_ret;
};

static int waiter_process(void *arg)
{
	struct waiter *w = arg;
	struct rtsync_mutex_status st;

	flag_set(&w->started, 1);
	w->ret = rtsync_mutex_lock(w->fd);
	if (!rtsync_mutex_info(w->fd, &st)) {
		w->flags_seen = st.flags;
		w->owner_seen = st.owner_pid;
	}
	flag_set(&w->returned, 1);
	flag_wait(&w->proceed, 1, 60000);
	if (w->ret == EOWNERDEAD && w->repair)
		w->consistent_ret = rtsync_mutex_consistent(w->fd);
	if (w->ret == EOWNERDEAD || w->ret == 0)
		w->unlock_ret = rtsync_mutex_unlock(w->fd);
	return 0;
}

static void test_sleeping_waiter(void)
{
	struct holder *h = shared_mem(sizeof(*h));
	struct waiter *w = shared_mem(sizeof(*w));
	const char *label = "waiter already asleep";
	struct rtsync_mutex_status st;
	pid_t hpid, wpid;
	char name[64];

	h->fd[0] = w->fd = new_mutex(name, sizeof(name), "od", 0);
	h->nfd = 1;
	h->how = HOLD_SLEEP;
	w->repair = 1;
	hpid = start_child(holder_process, h);
	flag_wait(&h->held, 1, 30000);
	wpid = start_child(waiter_process, w);
	flag_wait(&w->started, 1, 30000);
	ok(wait_waiters(w->fd, 1, 30000) == 1, "%s: waiter sleeps in LOCK",
	   label);

	kill(hpid, SIGKILL);
	is_exit(wait_child(hpid, 30), -SIGKILL, strf("%s: holder killed", label));
	ok(flag_wait(&w->returned, 1, 30000), "%s: the waiter woke up", label);
	is_errno(w->ret, EOWNERDEAD, "waiter asleep when the owner died");
	ok(w->owner_seen == wpid, "%s: the waiter owns it (INFO owner %d)",
	   label, (int)w->owner_seen);
	st = mutex_status(w->fd);
	ok(st.owner_pid == wpid && (st.flags & RTSYNC_MINFO_INCONSISTENT),
	   "%s: others see it held by the waiter and INCONSISTENT (owner %d flags %#x)",
	   label, (int)st.owner_pid, st.flags);
	flag_set(&w->proceed, 1);
	is_exit(wait_child(wpid, 30), 0, strf("%s: waiter finished", label));
	is_errno(w->consistent_ret, 0, strf("%s: waiter's consistent", label));
	is_errno(w->unlock_ret, 0, strf("%s: waiter's unlock", label));
	st = mutex_status(w->fd);
	ok(st.owner_tid == 0 && st.flags == 0,
	   "%s: free and clean afterwards (owner %d flags %#x)", label,
	   (int)st.owner_tid, st.flags);
	is_errno(rtsync_mutex_trylock(w->fd), 0, "trylock after repair");
	rtsync_mutex_unlock(w->fd);
	drop_object(w->fd, name);
	shared_free(h, sizeof(*h));
	shared_free(w, sizeof(*w));
}

static void test_not_recoverable(void)
{
	struct holder *h = shared_mem(sizeof(*h));
	struct waiter *w = shared_mem(2 * sizeof(*w));
	const char *label = "not recoverable";
	struct rtsync_mutex_status st;
	struct timespec deadline;
	pid_t hpid, wpid[2];
	int i, fd, dead = -1;
	char name[64];

	fd = new_mutex(name, sizeof(name), "od", 0);
	h->fd[0] = fd;
	h->nfd = 1;
	h->how = HOLD_SLEEP;
	hpid = start_child(holder_process, h);
	flag_wait(&h->held, 1, 30000);
	for (i = 0; i < 2; i++) {
		w[i].fd = fd;
		w[i].repair = 0;	/* unlock without consistent */
		flag_set(&w[i].proceed, 1);
		wpid[i] = start_child(waiter_process, &w[i]);
		flag_wait(&w[i].started, 1, 30000);
		ok(wait_waiters(fd, i + 1, 30000) == (unsigned int)i + 1,
		   "%s: waiter %d sleeps in LOCK", label, i);
	}
	kill(hpid, SIGKILL);
	is_exit(wait_child(hpid, 30), -SIGKILL, strf("%s: holder killed", label));
	for (i = 0; i < 2; i++)
		is_exit(wait_child(wpid[i], 30), 0,
			strf("%s: waiter %d finished", label, i));

	if (w[0].ret == EOWNERDEAD)
		dead = 0;
	else if (w[1].ret == EOWNERDEAD)
		dead = 1;
	if (ok(dead >= 0, "%s: one waiter got EOWNERDEAD (got %s, %s)", label,
	       strerror(w[0].ret), strerror(w[1].ret))) {
		ok(w[dead].flags_seen & RTSYNC_MINFO_INCONSISTENT,
		   "%s: it saw INCONSISTENT (flags %#x)", label,
		   w[dead].flags_seen);
		is_errno(w[dead].unlock_ret, 0,
			 "unlock without consistent succeeds");
		is_errno(w[1 - dead].ret, ENOTRECOVERABLE,
			 "the other waiter, asleep meanwhile, gets ENOTRECOVERABLE");
	}

	st = mutex_status(fd);
	ok((st.flags & RTSYNC_MINFO_NOTRECOVERABLE) && st.owner_tid == 0,
	   "%s: INFO shows NOTRECOVERABLE, no owner (flags %#x owner %d)",
	   label, st.flags, (int)st.owner_tid);
	is_errno(lock_within(fd, 30), ENOTRECOVERABLE, "later lock");
	is_errno(rtsync_mutex_trylock(fd), ENOTRECOVERABLE, "later trylock");
	deadline = ns_to_ts(now_ns(CLOCK_MONOTONIC) + 1000000000);
	is_errno(rtsync_mutex_timedlock(fd, CLOCK_MONOTONIC, &deadline),
		 ENOTRECOVERABLE, "later timedlock");
	is_errno(rtsync_mutex_unlock(fd), EPERM, "unlock by a non-owner");
	is_unchanged(&st, fd, "calls on a not recoverable mutex");
	drop_object(fd, name);
	shared_free(h, sizeof(*h));
	shared_free(w, 2 * sizeof(*w));
}

struct exec_holder {
	int fd;
	int ready_w, hold_r;	/* pipe ends that survive the exec */
	int close_fds[2];	/* the parent's ends: closed before exec */
	int ret;
};

static int exec_holder_process(void *arg)
{
	struct exec_holder *e = arg;
	char ready[16], hold[16];

	e->ret = rtsync_mutex_lock(e->fd);
	close(e->close_fds[0]);
	close(e->close_fds[1]);
	snprintf(ready, sizeof(ready), "%d", e->ready_w);
	snprintf(hold, sizeof(hold), "%d", e->hold_r);
	execl("/proc/self/exe", "mutex_ownerdeath", EXEC_ARG, ready, hold,
	      (char *)NULL);
	return 127;
}

static void test_exec(void)
{
	struct exec_holder *e = shared_mem(sizeof(*e));
	const char *label = "exec() while holding";
	int ready[2], hold[2];
	struct pollfd pfd;
	char name[64], c;
	pid_t pid;

	if (pipe(ready) || pipe(hold))
		bail_out("pipe");
	e->fd = new_mutex(name, sizeof(name), "od", 0);
	e->ready_w = ready[1];
	e->hold_r = hold[0];
	e->close_fds[0] = ready[0];
	e->close_fds[1] = hold[1];
	pid = start_child(exec_holder_process, e);
	close(ready[1]);
	close(hold[0]);

	pfd.fd = ready[0];
	pfd.events = POLLIN;
	if (!ok(poll(&pfd, 1, 30000) == 1 && read(ready[0], &c, 1) == 1,
		"%s: the new image runs", label)) {
		close(hold[1]);
		is_exit(wait_child(pid, 30), 0, "exec'd process");
		goto out;
	}
	is_errno(e->ret, 0, "exec holder locked before exec");
	ok(waitpid(pid, NULL, WNOHANG) == 0,
	   "%s: the process is still alive after the exec", label);
	check_died(e->fd, label);
	recover(e->fd, 1, label);
	close(hold[1]);
	is_exit(wait_child(pid, 30), 0, "exec'd process exits 0");
out:
	close(ready[0]);
	drop_object(e->fd, name);
	shared_free(e, sizeof(*e));
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], EXEC_ARG))
		return after_exec(argv[2], argv[3]);

	test_thread_death(0, 0);
	test_thread_death(1, 1);
	test_process_exit();
	test_process_killed();
	test_sleeping_waiter();
	test_not_recoverable();
	test_exec();
	return tap_done();
}
