// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Who wakes first, and how the woken take the mutex back.
 *
 * Six processes wait on one condition variable, each queued only once INFO
 * shows the previous one asleep, so the order they queued in is known:
 * SCHED_OTHER A, SCHED_FIFO 10, SCHED_FIFO 30 first, SCHED_OTHER B,
 * SCHED_FIFO 50, SCHED_FIFO 30 second.
 *  - SIGNAL, one at a time (the raw ioctl must report one woken, and INFO
 *    one waiter less), wakes them in priority order, FIFO within a
 *    priority: FIFO 50, FIFO 30 first, FIFO 30 second, FIFO 10, OTHER A,
 *    OTHER B.
 *  - BROADCAST, sent while the parent holds the mutex, wakes all six (the
 *    raw ioctl reports 6) and they all queue on the mutex; when the parent
 *    unlocks they take it one at a time, highest priority first.
 *  - Taking the mutex back goes through its priority-inheritance queue: a
 *    SCHED_FIFO 50 waiter, signalled while a SCHED_OTHER process holds the
 *    mutex, boosts that process to FIFO 50 until it unlocks.
 * The parent runs at SCHED_FIFO 60, above every waiter, so it always gets
 * to act.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define SLEEPERS	6
#define PATIENCE_MS	20000

struct who {
	const char *label;
	int rtprio;	/* 0: SCHED_OTHER */
	int rank;	/* expected place in the wake order, 0 first */
	int class;	/* priority class: same class, same priority */
};

/* In the order they go to sleep. */
static const struct who sleepers[SLEEPERS] = {
	{ "OTHER A",	0,	4, 3 },
	{ "FIFO 10",	10,	3, 2 },
	{ "FIFO 30 #1",	30,	1, 1 },
	{ "OTHER B",	0,	5, 3 },
	{ "FIFO 50",	50,	0, 0 },
	{ "FIFO 30 #2",	30,	2, 1 },
};

struct board {
	int cfd;
	int mfd;
	int permits;		/* under the mutex: how many may leave */
	int taken;		/* under the mutex: how many have left */
	int order[SLEEPERS];	/* under the mutex: order[i] left i-th */
	volatile int woken;	/* copy of taken, readable without the lock */
};

static struct board *board;

/* set_policy_of - SCHED_FIFO rtprio, or SCHED_OTHER for 0 (children
 * inherit the parent's SCHED_FIFO 60); 0 or errno
 */
static int set_policy_of(int rtprio)
{
	struct sched_param sp = { .sched_priority = rtprio };

	return sched_setscheduler(0, rtprio ? SCHED_FIFO : SCHED_OTHER, &sp) ?
	       errno : 0;
}

struct sleeper_arg {
	int index;
};

/* Wait for a permit; record the place in which the mutex was taken. */
static int sleeper(void *arg)
{
	const struct who *w = &sleepers[((struct sleeper_arg *)arg)->index];
	int index = ((struct sleeper_arg *)arg)->index;
	int err;

	err = set_policy_of(w->rtprio);
	if (err)
		return err;
	err = rtsync_mutex_lock(board->mfd);
	if (err)
		return err;
	while (!board->permits && !err)
		err = cond_wait_within(board->cfd, board->mfd, PATIENCE_MS);
	if (!err) {
		board->permits--;
		board->order[board->taken++] = index;
		flag_set(&board->woken, board->taken);
	}
	if (!holds_mutex(board->mfd))
		return 101;
	rtsync_mutex_unlock(board->mfd);
	return err;
}

/* Start the sleepers one by one, each queued behind the previous ones. */
static int queue_sleepers(pid_t *pids)
{
	struct sleeper_arg arg;
	unsigned int got;
	int i;

	for (i = 0; i < SLEEPERS; i++) {
		arg.index = i;
		pids[i] = start_child(sleeper, &arg);
		got = wait_cond_waiters(board->cfd, i + 1, PATIENCE_MS);
		if (got != (unsigned int)i + 1) {
			ok(0, "%s goes to sleep behind %d others (waiters %u)",
			   sleepers[i].label, i, got);
			return 0;
		}
	}
	return ok(1, "%d sleepers queued in a known order", SLEEPERS);
}

static void reset_board(void)
{
	memset(board->order, -1, sizeof(board->order));
	board->permits = 0;
	board->taken = 0;
	board->woken = 0;
}

/* Let everybody go, whatever state the round is in. */
static void release_all(pid_t *pids)
{
	int i;

	if (!rtsync_mutex_lock(board->mfd)) {
		board->permits = SLEEPERS;
		rtsync_mutex_unlock(board->mfd);
	}
	rtsync_cond_broadcast(board->cfd);
	for (i = 0; i < SLEEPERS; i++)
		is_exit(wait_child(pids[i], PATIENCE_MS / 1000 + 10), 0,
			strf("%s finished", sleepers[i].label));
}

/* describe - "FIFO 50, FIFO 30 #1, ..." for the order board->order */
static const char *describe(char *buf, size_t size, int by_rank)
{
	int i, j, idx;

	buf[0] = '\0';
	for (i = 0; i < SLEEPERS; i++) {
		idx = -1;
		if (by_rank) {
			for (j = 0; j < SLEEPERS; j++)
				if (sleepers[j].rank == i)
					idx = j;
		} else {
			idx = board->order[i];
		}
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
			 i ? ", " : "", idx >= 0 ? sleepers[idx].label : "none");
	}
	return buf;
}

static void test_signal_order(void)
{
	char got[256], want[256];
	pid_t pids[SLEEPERS];
	int i, right = 1, one_each = 1, n;
	unsigned int left;

	reset_board();
	if (!queue_sleepers(pids)) {
		release_all(pids);
		return;
	}
	for (i = 0; i < SLEEPERS; i++) {
		if (rtsync_mutex_lock(board->mfd))
			break;
		board->permits++;
		rtsync_mutex_unlock(board->mfd);
		n = raw_wake(board->cfd, RTSYNC_IOC_COND_SIGNAL);
		left = wait_cond_waiters(board->cfd, SLEEPERS - i - 1,
					 PATIENCE_MS);
		if (n != 1 || left != (unsigned int)(SLEEPERS - i - 1)) {
			diag("SIGNAL %d: woke %d, %u left waiting", i, n, left);
			one_each = 0;
		}
		if (!flag_wait(&board->woken, i + 1, PATIENCE_MS))
			break;
	}
	ok(one_each, "each SIGNAL woke exactly one (raw ioctl 1, one waiter less)");
	release_all(pids);
	for (i = 0; i < SLEEPERS; i++)
		if (board->order[i] < 0 || sleepers[board->order[i]].rank != i)
			right = 0;
	ok(right, "SIGNAL wakes in priority order, FIFO within a priority");
	diag("woke: %s", describe(got, sizeof(got), 0));
	if (!right)
		diag("want: %s", describe(want, sizeof(want), 1));
	ok(cond_state(board->cfd).waiters == 0, "no waiter left");
}

static void test_broadcast(void)
{
	char got[256];
	pid_t pids[SLEEPERS];
	int i, n, sorted = 1;
	unsigned int queued;

	reset_board();
	if (!queue_sleepers(pids)) {
		release_all(pids);
		return;
	}
	is_errno(rtsync_mutex_lock(board->mfd), 0, "the parent locks the mutex");
	board->permits = SLEEPERS;
	n = raw_wake(board->cfd, RTSYNC_IOC_COND_BROADCAST);
	ok(n == SLEEPERS, "raw BROADCAST reports %d woken (got %d)", SLEEPERS, n);
	ok(cond_state(board->cfd).waiters == 0,
	   "nobody waits on the condition variable after BROADCAST");
	queued = wait_waiters(board->mfd, SLEEPERS, PATIENCE_MS);
	ok(queued == SLEEPERS, "all %d woken wait for the mutex (got %u)",
	   SLEEPERS, queued);
	ok(board->taken == 0, "nobody got the mutex while the parent holds it");
	is_errno(rtsync_mutex_unlock(board->mfd), 0, "the parent unlocks");
	ok(flag_wait(&board->woken, SLEEPERS, PATIENCE_MS),
	   "all %d took the mutex in turn", SLEEPERS);
	release_all(pids);
	for (i = 1; i < SLEEPERS; i++)
		if (board->order[i] < 0 || board->order[i - 1] < 0 ||
		    sleepers[board->order[i]].class <
		    sleepers[board->order[i - 1]].class)
			sorted = 0;
	ok(sorted, "they took the mutex highest priority first");
	diag("took the mutex: %s", describe(got, sizeof(got), 0));
	ok(mutex_status(board->mfd).owner_tid == 0 &&
	   mutex_status(board->mfd).waiters == 0, "the mutex is free again");
}

/* Priority inheritance while a woken waiter waits for the mutex. */
struct pi {
	volatile int holding;
	volatile int release;
	volatile int waiting;
	int result;
};

static struct pi *pi;

static int pi_holder(void *arg)
{
	int err;

	(void)arg;
	err = set_policy_of(0);
	if (!err)
		err = rtsync_mutex_lock(board->mfd);
	if (err)
		return err;
	flag_set(&pi->holding, 1);
	flag_wait(&pi->release, 1, PATIENCE_MS);
	return rtsync_mutex_unlock(board->mfd);
}

static int pi_waiter(void *arg)
{
	int err;

	(void)arg;
	err = set_policy_of(50);
	if (!err)
		err = rtsync_mutex_lock(board->mfd);
	if (err)
		return err;
	flag_set(&pi->waiting, 1);
	pi->result = cond_wait_within(board->cfd, board->mfd, PATIENCE_MS);
	if (!holds_mutex(board->mfd))
		return 101;
	return rtsync_mutex_unlock(board->mfd);
}

static void test_relock_boosts_holder(void)
{
	pid_t waiter, holder;
	int prio, n;

	pi = shared_mem(sizeof(*pi));
	waiter = start_child(pi_waiter, NULL);
	ok(wait_cond_waiters(board->cfd, 1, PATIENCE_MS) == 1,
	   "a FIFO 50 process waits on the condition variable");
	holder = start_child(pi_holder, NULL);
	ok(flag_wait(&pi->holding, 1, PATIENCE_MS),
	   "a SCHED_OTHER process takes the mutex it released");
	prio = thread_prio(holder, holder);
	ok(prio == PRIO_NORMAL, "the holder runs at priority %d (got %d)",
	   PRIO_NORMAL, prio);
	n = raw_wake(board->cfd, RTSYNC_IOC_COND_SIGNAL);
	ok(n == 1, "SIGNAL wakes the waiter (raw ioctl %d)", n);
	ok(wait_waiters(board->mfd, 1, PATIENCE_MS) == 1,
	   "the woken waiter waits for the mutex");
	prio = wait_prio(holder, holder, PRIO_FIFO(50), PATIENCE_MS);
	ok(prio == PRIO_FIFO(50),
	   "the holder is boosted to the waiter's priority %d (got %d)",
	   PRIO_FIFO(50), prio);
	flag_set(&pi->release, 1);
	is_exit(wait_child(holder, PATIENCE_MS / 1000), 0, "the holder unlocked");
	is_exit(wait_child(waiter, PATIENCE_MS / 1000), 0,
		"the waiter returned holding the mutex and unlocked it");
	is_errno(pi->result, 0, "its wait");
	shared_free(pi, sizeof(*pi));
}

int main(void)
{
	char cname[64], mname[64];
	int err;

	err = set_fifo(60);
	if (err) {
		skip(strerror(err), "wake order needs SCHED_FIFO");
		return tap_done();
	}
	board = shared_mem(sizeof(*board));
	board->cfd = new_cond(cname, sizeof(cname), "cprio");
	board->mfd = new_mutex(mname, sizeof(mname), "cprio", 0);
	test_signal_order();
	test_broadcast();
	test_relock_boosts_holder();
	drop_object(board->cfd, cname);
	drop_object(board->mfd, mname);
	shared_free(board, sizeof(*board));
	return tap_done();
}
