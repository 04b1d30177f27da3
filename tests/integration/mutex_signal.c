// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Signals during LOCK: a handler installed without SA_RESTART makes LOCK
 * return EINTR without acquiring; with SA_RESTART the call goes on (a timed
 * one keeps its absolute deadline) and acquires later. A waiter killed with
 * SIGKILL disappears: it no longer counts as a waiter and no longer boosts
 * the owner.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"

#define WAITER_RTPRIO	50

struct holder {
	int fd;
	volatile int held;
	volatile int release;
	volatile int released;
	int lock_ret;
	int unlock_ret;
};

static int holder_process(void *arg)
{
	struct holder *h = arg;

	h->lock_ret = rtsync_mutex_lock(h->fd);
	flag_set(&h->held, 1);
	flag_wait(&h->release, 1, 120000);
	h->unlock_ret = rtsync_mutex_unlock(h->fd);
	flag_set(&h->released, 1);
	flag_wait(&h->release, 2, 120000);	/* stay alive to be inspected */
	return 0;
}

static pid_t start_holder(struct holder *h)
{
	pid_t pid = start_child(holder_process, h);

	if (!flag_wait(&h->held, 1, 30000) || h->lock_ret)
		diag("holder did not lock: %s", strerror(h->lock_ret));
	return pid;
}

static void stop_holder(struct holder *h, pid_t pid, const char *label)
{
	flag_set(&h->release, 1);
	flag_wait(&h->released, 1, 30000);
	flag_set(&h->release, 2);
	is_exit(wait_child(pid, 30), 0, strf("%s: holder finished", label));
	is_errno(h->unlock_ret, 0, strf("%s: holder unlocked", label));
}

struct waiter {
	int fd;
	int restart;		/* SA_RESTART */
	int timed_ms;		/* timed LOCK of this length, or 0 */
	int fifo;
	int fifo_err;
	volatile int started;
	volatile int returned;
	volatile int handled;	/* handler runs */
	int ret;
	int64_t deadline;	/* CLOCK_MONOTONIC ns, timed LOCK */
	int64_t returned_at;
	pid_t owner_seen;
	int unlock_ret;
};

static struct waiter *current_waiter;	/* for the handler */

static void on_sigusr1(int sig)
{
	(void)sig;
	__atomic_fetch_add(&current_waiter->handled, 1, __ATOMIC_SEQ_CST);
}

static int waiter_process(void *arg)
{
	struct waiter *w = arg;
	struct rtsync_mutex_status st;
	struct timespec ts;
	struct sigaction sa;

	current_waiter = w;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = w->restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	if (w->fifo) {
		w->fifo_err = set_fifo(WAITER_RTPRIO);
		if (w->fifo_err) {
			flag_set(&w->started, 1);
			return 0;	/* the parent reports a skip */
		}
	}
	flag_set(&w->started, 1);
	if (w->timed_ms) {
		w->deadline = now_ns(CLOCK_MONOTONIC) +
			      (int64_t)w->timed_ms * 1000000;
		ts = ns_to_ts(w->deadline);
		w->ret = rtsync_mutex_timedlock(w->fd, CLOCK_MONOTONIC, &ts);
	} else {
		w->ret = rtsync_mutex_lock(w->fd);
	}
	w->returned_at = now_ns(CLOCK_MONOTONIC);
	if (!rtsync_mutex_info(w->fd, &st))
		w->owner_seen = st.owner_pid;
	flag_set(&w->returned, 1);
	if (!w->ret)
		w->unlock_ret = rtsync_mutex_unlock(w->fd);
	return 0;
}

static pid_t start_waiter(struct waiter *w)
{
	pid_t pid = start_child(waiter_process, w);

	flag_wait(&w->started, 1, 30000);
	return pid;
}

static void test_eintr(int timed)
{
	struct holder *h = shared_mem(sizeof(*h));
	struct waiter *w = shared_mem(sizeof(*w));
	struct rtsync_mutex_status st;
	char name[64], label[64];
	pid_t hpid, wpid;

	snprintf(label, sizeof(label), "no SA_RESTART, %s LOCK",
		 timed ? "timed" : "untimed");
	h->fd = w->fd = new_mutex(name, sizeof(name), "sig", 0);
	w->timed_ms = timed ? 60000 : 0;
	hpid = start_holder(h);
	wpid = start_waiter(w);
	ok(wait_waiters(w->fd, 1, 30000) == 1, "%s: waiter sleeps", label);
	kill(wpid, SIGUSR1);
	is_exit(wait_child(wpid, 30), 0, strf("%s: waiter finished", label));
	ok(w->handled == 1, "%s: the handler ran once (%d)", label, w->handled);
	ok(w->ret == EINTR, "%s: LOCK returns EINTR (got %s)", label,
	   w->ret ? strerror(w->ret) : "0");
	ok(w->owner_seen == hpid, "%s: not acquired (owner %d)", label,
	   (int)w->owner_seen);
	st = mutex_status(w->fd);
	ok(st.owner_pid == hpid && st.waiters == 0,
	   "%s: the holder still owns it, no waiter left (owner %d waiters %u)",
	   label, (int)st.owner_pid, st.waiters);
	stop_holder(h, hpid, label);
	drop_object(w->fd, name);
	shared_free(h, sizeof(*h));
	shared_free(w, sizeof(*w));
}

static void test_restart(int timed)
{
	struct holder *h = shared_mem(sizeof(*h));
	struct waiter *w = shared_mem(sizeof(*w));
	char name[64], label[64];
	pid_t hpid, wpid;
	int i;

	snprintf(label, sizeof(label), "SA_RESTART, %s LOCK",
		 timed ? "timed" : "untimed");
	h->fd = w->fd = new_mutex(name, sizeof(name), "sig", 0);
	w->restart = 1;
	w->timed_ms = timed ? 4000 : 0;
	hpid = start_holder(h);
	wpid = start_waiter(w);
	for (i = 1; i <= 3; i++) {
		ok(wait_waiters(w->fd, 1, 30000) == 1,
		   "%s: waiter sleeps (before signal %d)", label, i);
		kill(wpid, SIGUSR1);
		ok(flag_wait(&w->handled, i, 30000), "%s: handler ran (%d)",
		   label, i);
	}
	ok(wait_waiters(w->fd, 1, 30000) == 1,
	   "%s: back asleep after the handlers", label);
	ok(!flag_get(&w->returned), "%s: LOCK has not returned", label);

	if (timed) {
		is_exit(wait_child(wpid, 30), 0, strf("%s: waiter finished", label));
		ok(w->ret == ETIMEDOUT, "%s: ETIMEDOUT in the end (got %s)",
		   label, w->ret ? strerror(w->ret) : "0");
		ok(w->returned_at >= w->deadline,
		   "%s: not before the original deadline (%.1f ms after it)",
		   label, ns_to_ms(w->returned_at - w->deadline));
		stop_holder(h, hpid, label);
	} else {
		stop_holder(h, hpid, label);
		is_exit(wait_child(wpid, 30), 0, strf("%s: waiter finished", label));
		is_errno(w->ret, 0, "SA_RESTART: LOCK acquires after the unlock");
		ok(w->owner_seen == wpid, "%s: the waiter owned it (owner %d)",
		   label, (int)w->owner_seen);
		is_errno(w->unlock_ret, 0, "SA_RESTART: waiter unlocks");
	}
	ok(mutex_status(w->fd).owner_tid == 0 && mutex_status(w->fd).waiters == 0,
	   "%s: free, no waiters at the end", label);
	drop_object(w->fd, name);
	shared_free(h, sizeof(*h));
	shared_free(w, sizeof(*w));
}

/*
 * A SCHED_FIFO waiter boosting the owner is SIGKILLed while a second,
 * SCHED_OTHER waiter also sleeps: the count drops to 1, the boost ends,
 * and the second waiter still gets the mutex.
 */
static void test_kill_waiter(void)
{
	const char *label = "SIGKILL of a waiter";
	struct holder *h = shared_mem(sizeof(*h));
	struct waiter *w = shared_mem(2 * sizeof(*w));
	int prio, fifo_ok, fd;
	pid_t hpid, wpid[2];
	char name[64];

	fd = h->fd = w[0].fd = w[1].fd = new_mutex(name, sizeof(name), "sig", 0);
	w[0].fifo = 1;
	hpid = start_holder(h);
	wpid[0] = start_waiter(&w[0]);
	fifo_ok = !w[0].fifo_err;
	if (!fifo_ok) {
		diag("SCHED_FIFO %d: %s", WAITER_RTPRIO, strerror(w[0].fifo_err));
		is_exit(wait_child(wpid[0], 30), 0, "FIFO waiter gave up");
		/* go on with a SCHED_OTHER waiter in its place */
		memset(&w[0], 0, sizeof(w[0]));
		w[0].fd = fd;
		wpid[0] = start_waiter(&w[0]);
	}
	ok(wait_waiters(fd, 1, 30000) == 1, "%s: first waiter sleeps", label);
	wpid[1] = start_waiter(&w[1]);
	ok(wait_waiters(fd, 2, 30000) == 2, "%s: second waiter sleeps", label);
	if (fifo_ok) {
		prio = wait_prio(hpid, hpid, PRIO_FIFO(WAITER_RTPRIO), 10000);
		ok(prio == PRIO_FIFO(WAITER_RTPRIO),
		   "%s: owner boosted to %d by the FIFO waiter (got %d)", label,
		   PRIO_FIFO(WAITER_RTPRIO), prio);
	} else {
		skip("SCHED_FIFO not permitted", "%s: owner boosted", label);
	}

	kill(wpid[0], SIGKILL);
	is_exit(wait_child(wpid[0], 30), -SIGKILL, "the killed waiter is gone");
	ok(wait_waiters(fd, 1, 10000) == 1, "%s: INFO.waiters drops to 1",
	   label);
	if (fifo_ok) {
		prio = wait_prio(hpid, hpid, PRIO_NORMAL, 10000);
		ok(prio == PRIO_NORMAL, "%s: owner's boost drops to %d (got %d)",
		   label, PRIO_NORMAL, prio);
	} else {
		skip("SCHED_FIFO not permitted", "%s: boost drops", label);
	}
	ok(mutex_status(fd).owner_pid == hpid, "%s: the owner still holds it",
	   label);

	stop_holder(h, hpid, label);
	is_exit(wait_child(wpid[1], 30), 0, "second waiter finished");
	is_errno(w[1].ret, 0, "SIGKILL of a waiter: the other waiter acquires");
	is_errno(w[1].unlock_ret, 0, "SIGKILL of a waiter: and unlocks");
	ok(mutex_status(fd).owner_tid == 0 && mutex_status(fd).waiters == 0,
	   "%s: free, no waiters at the end", label);
	drop_object(fd, name);
	shared_free(h, sizeof(*h));
	shared_free(w, 2 * sizeof(*w));
}

int main(void)
{
	test_eintr(0);
	test_eintr(1);
	test_restart(0);
	test_restart(1);
	test_kill_waiter();
	return tap_done();
}
