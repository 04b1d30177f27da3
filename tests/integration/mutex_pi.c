// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Priority inheritance, observed for real: a SCHED_OTHER owner's effective
 * priority (field 18 of /proc/PID/task/TID/stat) while a SCHED_FIFO 50
 * thread sleeps in LOCK on its mutex. Direct, transitive through a chain of
 * two mutexes, and during a timed LOCK, which must stop boosting as soon as
 * it times out.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"

#define WAITER_RTPRIO	50
#define BOOSTED		PRIO_FIFO(WAITER_RTPRIO)

/* Generous bounds: TCG is slow and the host may be busy. */
#define BOOST_WAIT_MS	10000

/*
 * One participant: optionally locks "hold" and reports; optionally, when
 * told to go, locks "want" (sleeping) and reports; then, when told to
 * release, unlocks both and waits for permission to exit (so the parent
 * can still read its priority after the unlock).
 */
struct task {
	int hold;		/* fd to lock first, or -1 */
	int want;		/* fd to lock next, or -1 */
	int fifo;		/* SCHED_FIFO WAITER_RTPRIO before locking */
	int timed_ms;		/* want with a timed lock of this length */
	pid_t observe;		/* thread whose priority to read after want */

	pid_t tid;
	int fifo_err;
	int hold_ret;
	int want_ret;
	int prio_after_want;	/* of observe, read right after want returned */
	int unlock_ret;
	volatile int held;	/* hold is locked */
	volatile int go;	/* parent: lock want now */
	volatile int wanting;	/* about to lock want */
	volatile int wanted;	/* want returned */
	volatile int release;	/* parent: unlock now */
	volatile int released;
	volatile int may_exit;	/* parent: done reading our priority */
};

static int task_main(void *arg)
{
	struct task *t = arg;
	struct timespec deadline;

	t->tid = gettid();
	if (t->fifo) {
		t->fifo_err = set_fifo(WAITER_RTPRIO);
		if (t->fifo_err) {
			/* reported by the parent as a skip */
			flag_set(&t->wanting, 1);
			return 0;
		}
	}
	if (t->hold >= 0)
		t->hold_ret = rtsync_mutex_lock(t->hold);
	flag_set(&t->held, 1);
	if (t->want >= 0) {
		flag_wait(&t->go, 1, 60000);
		flag_set(&t->wanting, 1);
		if (t->timed_ms) {
			deadline = ns_to_ts(now_ns(CLOCK_MONOTONIC) +
					    (int64_t)t->timed_ms * 1000000);
			t->want_ret = rtsync_mutex_timedlock(t->want,
							     CLOCK_MONOTONIC,
							     &deadline);
		} else {
			t->want_ret = rtsync_mutex_lock(t->want);
		}
		if (t->observe)
			t->prio_after_want = thread_prio(t->observe,
							 t->observe);
		flag_set(&t->wanted, 1);
	}
	flag_wait(&t->release, 1, 60000);
	t->unlock_ret = 0;
	if (t->want >= 0 && !t->want_ret)
		t->unlock_ret |= rtsync_mutex_unlock(t->want);
	if (t->hold >= 0 && !t->hold_ret)
		t->unlock_ret |= rtsync_mutex_unlock(t->hold);
	flag_set(&t->released, 1);
	flag_wait(&t->may_exit, 1, 60000);
	return 0;
}

static struct task *new_task(int hold, int want, int fifo)
{
	struct task *t = shared_mem(sizeof(*t));

	t->hold = hold;
	t->want = want;
	t->fifo = fifo;
	return t;
}

/* Start a task and wait until it holds what it should hold. */
static pid_t start_task(struct task *t)
{
	pid_t pid = start_child(task_main, t);

	if (t->fifo && t->hold < 0)
		return pid;	/* a pure waiter: the caller starts its lock */
	if (!flag_wait(&t->held, 1, 30000))
		diag("task %d did not report its lock", (int)pid);
	return pid;
}

/* Let a task's "want" lock begin; returns 0 if it cannot run as FIFO. */
static int let_want(struct task *t)
{
	flag_set(&t->go, 1);
	flag_wait(&t->wanting, 1, 30000);
	return t->fifo_err == 0;
}

static void finish_task(struct task *t, pid_t pid, const char *who)
{
	char what[96];

	flag_set(&t->go, 1);
	flag_set(&t->release, 1);
	flag_set(&t->may_exit, 1);
	snprintf(what, sizeof(what), "%s exited cleanly", who);
	is_exit(wait_child(pid, 60), 0, what);
	shared_free(t, sizeof(*t));
}

/* Unlock and wait until it is done, keeping the task alive afterwards. */
static void release_task(struct task *t, const char *who)
{
	flag_set(&t->release, 1);
	ok(flag_wait(&t->released, 1, 30000), "%s: released its locks", who);
	is_errno(t->unlock_ret, 0, strf("%s: unlock", who));
}

static int fifo_unavailable(struct task *t)
{
	if (!t->fifo_err)
		return 0;
	diag("sched_setscheduler(SCHED_FIFO %d): %s", WAITER_RTPRIO,
	     strerror(t->fifo_err));
	return 1;
}

static void test_direct(void)
{
	struct task *owner, *waiter;
	pid_t opid, wpid;
	char name[64];
	int fd, prio;

	fd = new_mutex(name, sizeof(name), "pi", 0);
	owner = new_task(fd, -1, 0);
	opid = start_task(owner);
	is_errno(owner->hold_ret, 0, "direct: SCHED_OTHER owner locks");
	prio = thread_prio(opid, owner->tid);
	ok(prio == PRIO_NORMAL, "direct: owner's priority is %d before any waiter (got %d)",
	   PRIO_NORMAL, prio);

	waiter = new_task(-1, fd, 1);
	wpid = start_task(waiter);
	if (!let_want(waiter) || fifo_unavailable(waiter)) {
		skip("SCHED_FIFO not permitted", "direct: owner boosted");
		release_task(owner, "direct: owner");
		finish_task(waiter, wpid, "direct: waiter");
		finish_task(owner, opid, "direct: owner");
		drop_object(fd, name);
		return;
	}
	prio = wait_prio(opid, owner->tid, BOOSTED, BOOST_WAIT_MS);
	ok(prio == BOOSTED,
	   "direct: owner runs at %d while a SCHED_FIFO %d waiter sleeps (got %d)",
	   BOOSTED, WAITER_RTPRIO, prio);
	ok(mutex_status(fd).waiters == 1, "direct: INFO shows the waiter");

	release_task(owner, "direct: owner");
	ok(flag_wait(&waiter->wanted, 1, 30000), "direct: waiter's LOCK returned");
	is_errno(waiter->want_ret, 0, "direct: waiter acquired");
	prio = wait_prio(opid, owner->tid, PRIO_NORMAL, 5000);
	ok(prio == PRIO_NORMAL, "direct: owner back to %d after the unlock (got %d)",
	   PRIO_NORMAL, prio);
	finish_task(waiter, wpid, "direct: waiter");
	finish_task(owner, opid, "direct: owner");
	drop_object(fd, name);
}

/* C (FIFO) waits on m2 held by B; B waits on m1 held by A: A is boosted. */
static void test_chain(void)
{
	struct task *a, *b, *c;
	pid_t apid, bpid, cpid;
	char n1[64], n2[64];
	int m1, m2, prio;

	m1 = new_mutex(n1, sizeof(n1), "pi", 0);
	m2 = new_mutex(n2, sizeof(n2), "pi", 0);
	a = new_task(m1, -1, 0);
	b = new_task(m2, m1, 0);
	c = new_task(-1, m2, 1);
	apid = start_task(a);
	bpid = start_task(b);
	is_errno(a->hold_ret, 0, "chain: A locks m1");
	is_errno(b->hold_ret, 0, "chain: B locks m2");
	let_want(b);
	ok(wait_waiters(m1, 1, 30000) == 1, "chain: B sleeps on m1");
	prio = thread_prio(apid, a->tid);
	ok(prio == PRIO_NORMAL,
	   "chain: A stays at %d with only a SCHED_OTHER waiter (got %d)",
	   PRIO_NORMAL, prio);

	cpid = start_task(c);
	if (!let_want(c) || fifo_unavailable(c)) {
		skip("SCHED_FIFO not permitted", "chain: A and B boosted");
		release_task(a, "chain: A");
		release_task(b, "chain: B");
		goto out;
	}
	prio = wait_prio(bpid, b->tid, BOOSTED, BOOST_WAIT_MS);
	ok(prio == BOOSTED, "chain: B (holds m2, C waits) runs at %d (got %d)",
	   BOOSTED, prio);
	prio = wait_prio(apid, a->tid, BOOSTED, BOOST_WAIT_MS);
	ok(prio == BOOSTED,
	   "chain: A (holds m1, B waits) is boosted transitively to %d (got %d)",
	   BOOSTED, prio);

	release_task(a, "chain: A");
	ok(flag_wait(&b->wanted, 1, 30000), "chain: B's LOCK of m1 returned");
	is_errno(b->want_ret, 0, "chain: B acquired m1");
	prio = wait_prio(apid, a->tid, PRIO_NORMAL, 5000);
	ok(prio == PRIO_NORMAL, "chain: A back to %d (got %d)", PRIO_NORMAL,
	   prio);
	release_task(b, "chain: B");
	ok(flag_wait(&c->wanted, 1, 30000), "chain: C's LOCK of m2 returned");
	is_errno(c->want_ret, 0, "chain: C acquired m2");
	prio = wait_prio(bpid, b->tid, PRIO_NORMAL, 5000);
	ok(prio == PRIO_NORMAL, "chain: B back to %d (got %d)", PRIO_NORMAL,
	   prio);
out:
	finish_task(c, cpid, "chain: C");
	finish_task(b, bpid, "chain: B");
	finish_task(a, apid, "chain: A");
	drop_object(m1, n1);
	drop_object(m2, n2);
}

/* A FIFO waiter in a timed LOCK boosts; the boost ends with the timeout. */
static void test_timed(void)
{
	struct rtsync_mutex_status st;
	struct task *owner, *waiter;
	pid_t opid, wpid;
	char name[64];
	int fd, prio;

	fd = new_mutex(name, sizeof(name), "pi", 0);
	owner = new_task(fd, -1, 0);
	opid = start_task(owner);
	is_errno(owner->hold_ret, 0, "timed: owner locks");

	waiter = new_task(-1, fd, 1);
	waiter->timed_ms = 3000;
	waiter->observe = opid;
	wpid = start_task(waiter);
	if (!let_want(waiter) || fifo_unavailable(waiter)) {
		skip("SCHED_FIFO not permitted", "timed: owner boosted");
		goto out;
	}
	prio = wait_prio(opid, owner->tid, BOOSTED, 2500);
	ok(prio == BOOSTED,
	   "timed: owner runs at %d while the FIFO waiter's timed LOCK waits (got %d)",
	   BOOSTED, prio);
	ok(flag_wait(&waiter->wanted, 1, 30000), "timed: waiter's LOCK returned");
	is_errno(waiter->want_ret, ETIMEDOUT, "timed: waiter timed out");
	ok(waiter->prio_after_want == PRIO_NORMAL,
	   "timed: owner back to %d right after the ETIMEDOUT (got %d)",
	   PRIO_NORMAL, waiter->prio_after_want);
	st = mutex_status(fd);
	ok(st.owner_pid == opid && st.waiters == 0,
	   "timed: the owner still holds it, no waiter left (owner %d waiters %u)",
	   (int)st.owner_pid, st.waiters);
out:
	release_task(owner, "timed: owner");
	finish_task(waiter, wpid, "timed: waiter");
	finish_task(owner, opid, "timed: owner");
	drop_object(fd, name);
}

int main(void)
{
	test_direct();
	test_chain();
	test_timed();
	return tap_done();
}
