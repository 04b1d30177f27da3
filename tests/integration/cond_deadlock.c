// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Taking the mutex back after a wake-up can close a cycle of rtsync
 * mutexes: W holds mutex 2 and waits on the condition variable with mutex
 * 1; H takes mutex 1 and then waits for mutex 2, which W holds. When W is
 * signalled, retaking mutex 1 would make W wait for H, which waits for W:
 * COND_WAIT returns EDEADLK, without mutex 1, and nobody hangs. W still
 * holds mutex 2; once it lets it go, H gets it.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define PATIENCE_MS	20000

struct board {
	int cfd;
	int m1;
	int m2;
	volatile int h_holds_m1;
	volatile int w_returned;
	volatile int release_m2;
	int w_result;
	int w_holds_m1;
	int w_holds_m2;
	int h_result;
};

static int waiter(void *arg)
{
	struct board *b = arg;
	int err;

	err = rtsync_mutex_lock(b->m2);
	if (!err)
		err = rtsync_mutex_lock(b->m1);
	if (err)
		return err;
	b->w_result = cond_wait_within(b->cfd, b->m1, PATIENCE_MS);
	b->w_holds_m1 = holds_mutex(b->m1);
	b->w_holds_m2 = holds_mutex(b->m2);
	flag_set(&b->w_returned, 1);
	if (b->w_holds_m1)
		rtsync_mutex_unlock(b->m1);
	flag_wait(&b->release_m2, 1, PATIENCE_MS);
	return rtsync_mutex_unlock(b->m2);
}

static int holder(void *arg)
{
	struct board *b = arg;
	int err;

	err = rtsync_mutex_lock(b->m1);
	if (err)
		return err;
	flag_set(&b->h_holds_m1, 1);
	b->h_result = lock_within(b->m2, PATIENCE_MS / 1000);
	if (!b->h_result)
		rtsync_mutex_unlock(b->m2);
	return rtsync_mutex_unlock(b->m1);
}

int main(void)
{
	char cname[64], m1name[64], m2name[64];
	struct board *b = shared_mem(sizeof(*b));
	pid_t w, h;

	b->cfd = new_cond(cname, sizeof(cname), "cdl");
	b->m1 = new_mutex(m1name, sizeof(m1name), "cdl", 0);
	b->m2 = new_mutex(m2name, sizeof(m2name), "cdl", 0);
	b->w_result = b->h_result = -1;

	w = start_child(waiter, b);
	ok(wait_cond_waiters(b->cfd, 1, PATIENCE_MS) == 1,
	   "W holds mutex 2 and waits on the condition with mutex 1");
	h = start_child(holder, b);
	ok(flag_wait(&b->h_holds_m1, 1, PATIENCE_MS), "H takes mutex 1");
	ok(wait_waiters(b->m2, 1, PATIENCE_MS) == 1, "H waits for mutex 2");
	is_errno(rtsync_cond_signal(b->cfd), 0, "SIGNAL W");
	ok(flag_wait(&b->w_returned, 1, PATIENCE_MS),
	   "W's wait returns instead of waiting for H");
	is_errno(b->w_result, EDEADLK, "W's wait");
	ok(!b->w_holds_m1 && b->w_holds_m2,
	   "W does not hold mutex 1, still holds mutex 2 (%d, %d)",
	   b->w_holds_m1, b->w_holds_m2);
	ok(mutex_status(b->m1).owner_pid == h, "H still holds mutex 1");
	flag_set(&b->release_m2, 1);
	is_exit(wait_child(w, PATIENCE_MS / 1000), 0, "W released mutex 2");
	is_exit(wait_child(h, PATIENCE_MS / 1000 + 10), 0, "H finished");
	is_errno(b->h_result, 0, "H got mutex 2 once W let it go");
	ok(cond_state(b->cfd).waiters == 0 && mutex_status(b->m1).owner_tid == 0 &&
	   mutex_status(b->m2).owner_tid == 0,
	   "no waiter left, both mutexes free");

	drop_object(b->cfd, cname);
	drop_object(b->m1, m1name);
	drop_object(b->m2, m2name);
	shared_free(b, sizeof(*b));
	return tap_done();
}
