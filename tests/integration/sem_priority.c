// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Sleepers are served in priority order, FIFO within one priority.
 *
 * Six processes go to sleep in WAIT one after the other (each only once
 * INFO shows the previous one asleep, so the order they queued in is
 * known): SCHED_OTHER A, SCHED_FIFO 10, SCHED_FIFO 30 first, SCHED_OTHER
 * B, SCHED_FIFO 50, SCHED_FIFO 30 second. Posting one unit at a time, and
 * waiting after each post until someone has recorded its wake-up in shared
 * memory, the wake order must be FIFO 50, FIFO 30 first, FIFO 30 second,
 * FIFO 10, OTHER A, OTHER B. A second round posts 3 at once: exactly the
 * three highest wake, then 3 more wake the rest.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define SLEEPERS	6
#define PATIENCE_MS	30000

struct who {
	const char *label;
	int policy;
	int rtprio;
	int rank;	/* expected place in the wake order, 0 first */
};

/* In the order they go to sleep. */
static const struct who sleepers[SLEEPERS] = {
	{ "OTHER A",	SCHED_OTHER,	0,	4 },
	{ "FIFO 10",	SCHED_FIFO,	10,	3 },
	{ "FIFO 30 #1",	SCHED_FIFO,	30,	1 },
	{ "OTHER B",	SCHED_OTHER,	0,	5 },
	{ "FIFO 50",	SCHED_FIFO,	50,	0 },
	{ "FIFO 30 #2",	SCHED_FIFO,	30,	2 },
};

struct board {
	int fd;
	volatile int woken;		/* how many have recorded a wake-up */
	volatile int order[SLEEPERS];	/* order[i]: index of the i-th woken */
};

struct sleeper_arg {
	struct board *b;
	int index;
};

static int sleeper(void *arg)
{
	struct sleeper_arg *a = arg;
	const struct who *w = &sleepers[a->index];
	struct sched_param sp = { .sched_priority = w->rtprio };
	struct timespec deadline;
	int err, place;

	if (sched_setscheduler(0, w->policy, &sp))
		return errno;
	deadline = deadline_in(CLOCK_MONOTONIC, PATIENCE_MS);
	err = rtsync_sem_timedwait(a->b->fd, CLOCK_MONOTONIC, &deadline);
	if (err)
		return err;
	place = __atomic_fetch_add(&a->b->woken, 1, __ATOMIC_SEQ_CST);
	if (place < SLEEPERS)
		a->b->order[place] = a->index;
	return 0;
}

/* Start the sleepers one by one, each queued behind the previous ones. */
static int queue_sleepers(struct board *b, pid_t *pids)
{
	struct sleeper_arg arg = { .b = b };
	unsigned int got;
	int i;

	for (i = 0; i < SLEEPERS; i++) {
		arg.index = i;
		pids[i] = start_child(sleeper, &arg);
		got = wait_sem_waiters(b->fd, i + 1, PATIENCE_MS);
		if (got != (unsigned int)i + 1) {
			ok(0, "%s goes to sleep behind %d others (waiters %u)",
			   sleepers[i].label, i, got);
			return 0;
		}
	}
	return ok(1, "%d sleepers queued in a known order", SLEEPERS);
}

static void reap(pid_t *pids)
{
	int i;

	for (i = 0; i < SLEEPERS; i++)
		is_exit(wait_child(pids[i], PATIENCE_MS / 1000 + 10), 0,
			sleepers[i].label);
}

static const char *label_of_rank(int rank)
{
	int i;

	for (i = 0; i < SLEEPERS; i++)
		if (sleepers[i].rank == rank)
			return sleepers[i].label;
	return "?";
}

static void test_one_at_a_time(struct board *b)
{
	pid_t pids[SLEEPERS];
	char got[256] = "", want[256] = "";
	int i, right = 1;

	memset((void *)b->order, -1, sizeof(b->order));
	b->woken = 0;
	if (!queue_sleepers(b, pids)) {
		rtsync_sem_post(b->fd, SLEEPERS, NULL);
		reap(pids);
		return;
	}
	for (i = 0; i < SLEEPERS; i++) {
		rtsync_sem_post(b->fd, 1, NULL);
		if (!flag_wait(&b->woken, i + 1, PATIENCE_MS))
			break;
	}
	reap(pids);
	for (i = 0; i < SLEEPERS; i++) {
		const char *label = b->order[i] >= 0 ?
				    sleepers[b->order[i]].label : "none";

		snprintf(got + strlen(got), sizeof(got) - strlen(got),
			 "%s%s", i ? ", " : "", label);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s%s", i ? ", " : "", label_of_rank(i));
		if (b->order[i] < 0 || sleepers[b->order[i]].rank != i)
			right = 0;
	}
	ok(right, "posting one unit at a time wakes in priority order, FIFO within a priority");
	diag("woke: %s", got);
	if (!right)
		diag("want: %s", want);
	is_sem(b->fd, 0, 0, "after the one-at-a-time round");
}

static void test_post_three(struct board *b)
{
	pid_t pids[SLEEPERS];
	int i, top = 0, extra;
	unsigned int left;

	memset((void *)b->order, -1, sizeof(b->order));
	b->woken = 0;
	if (!queue_sleepers(b, pids)) {
		rtsync_sem_post(b->fd, SLEEPERS, NULL);
		reap(pids);
		return;
	}
	is_errno(rtsync_sem_post(b->fd, 3, NULL), 0, "post 3 to 6 sleepers");
	ok(flag_wait(&b->woken, 3, PATIENCE_MS), "three sleepers woke");
	left = wait_sem_waiters(b->fd, 3, PATIENCE_MS);
	sleep_ms(100);	/* a wrongly woken fourth would show by now */
	extra = flag_get(&b->woken) - 3;
	ok(left == 3 && extra == 0,
	   "exactly three woke (sleepers left %u, extra wake-ups %d)", left,
	   extra);
	for (i = 0; i < 3; i++)
		if (b->order[i] >= 0 && sleepers[b->order[i]].rank < 3)
			top++;
	ok(top == 3, "the three woken are FIFO 50 and both FIFO 30 (got %d of them)",
	   top);
	is_errno(rtsync_sem_post(b->fd, 3, NULL), 0, "post 3 more");
	ok(flag_wait(&b->woken, SLEEPERS, PATIENCE_MS), "the other three woke");
	reap(pids);
	is_sem(b->fd, 0, 0, "after the post-3 round");
}

int main(void)
{
	struct board *b;
	char name[64];
	int err;

	/* The parent stays above every sleeper, so it always gets to post. */
	err = set_fifo(60);
	if (err) {
		skip(strerror(err), "priority order needs SCHED_FIFO");
		return tap_done();
	}
	b = shared_mem(sizeof(*b));
	b->fd = new_sem(name, sizeof(name), "prio", 0, SLEEPERS);
	test_one_at_a_time(b);
	test_post_three(b);
	drop_object(b->fd, name);
	shared_free(b, sizeof(*b));
	return tap_done();
}
