// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The mutex's owner dies while a condition waiter needs the mutex back.
 *
 * A waiter process W sleeps on the condition variable. Another process H
 * takes the mutex W released, signals, and dies holding it (SIGKILL, or
 * _exit) while W waits for the mutex: W's COND_WAIT returns EOWNERDEAD
 * holding the mutex, which is INCONSISTENT until W calls CONSISTENT, and
 * everything works normally afterwards. The same when H dies before the
 * SIGNAL (the mutex is free and owner-died when W is woken), and for a
 * timed wait whose deadline passed meanwhile.
 * When a third process X gets the EOWNERDEAD first and unlocks without
 * CONSISTENT, the mutex is not recoverable: W's COND_WAIT returns
 * ENOTRECOVERABLE, and W does not hold the mutex.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define PATIENCE_MS	20000

enum death {
	DIE_SIGKILL,		/* H is killed while W waits for the mutex */
	DIE_EXIT,		/* H calls _exit() while W waits for it */
	DIE_BEFORE_SIGNAL,	/* H dies first, then the parent signals */
};

static const char *const death_names[] = {
	"killed while the waiter waits for the mutex",
	"exits while the waiter waits for the mutex",
	"dies before the SIGNAL",
};

struct board {
	int cfd;
	int mfd;
	int timed;		/* W: a timed wait, deadline passed by then */
	enum death death;
	volatile int holding;	/* H holds the mutex */
	volatile int die;	/* H: exit now */
	int result;		/* W's COND_WAIT */
	int held_after;		/* W held the mutex once after it */
	unsigned int flags_after;	/* W: mutex INFO flags after it */
	int consistent;		/* W: CONSISTENT's result */
	int x_result;		/* X's LOCK */
};

static struct board *board;

static int waiter(void *arg)
{
	struct board *b = arg;
	struct timespec deadline;
	int err;

	err = rtsync_mutex_lock(b->mfd);
	if (err)
		return err;
	if (b->timed) {
		deadline = deadline_in(CLOCK_MONOTONIC, 100);
		b->result = rtsync_cond_timedwait(b->cfd, b->mfd,
						  CLOCK_MONOTONIC, &deadline);
	} else {
		b->result = cond_wait_within(b->cfd, b->mfd, PATIENCE_MS);
	}
	b->held_after = holds_mutex(b->mfd);
	if (!b->held_after)
		return 0;
	b->flags_after = mutex_status(b->mfd).flags;
	b->consistent = b->result == EOWNERDEAD ?
			rtsync_mutex_consistent(b->mfd) : -1;
	return rtsync_mutex_unlock(b->mfd);
}

/* H: take the mutex, signal unless told not to, then die on request. */
static int holder(void *arg)
{
	struct board *b = arg;
	int err;

	err = rtsync_mutex_lock(b->mfd);
	if (err)
		return err;
	if (b->death != DIE_BEFORE_SIGNAL) {
		err = rtsync_cond_signal(b->cfd);
		if (err)
			return err;
	}
	flag_set(&b->holding, 1);
	if (b->death == DIE_BEFORE_SIGNAL)
		_exit(0);
	flag_wait(&b->die, 1, PATIENCE_MS);
	_exit(0);	/* holding the mutex; DIE_SIGKILL never gets here */
}

static void test_owner_dies(enum death death, int timed)
{
	const char *how = death_names[death];
	char cname[64], mname[64];
	struct rtsync_mutex_status st;
	pid_t w, h;
	int code;

	memset(board, 0, sizeof(*board));
	board->cfd = new_cond(cname, sizeof(cname), "cdeath");
	board->mfd = new_mutex(mname, sizeof(mname), "cdeath", 0);
	board->death = death;
	board->timed = timed;
	board->result = -1;

	w = start_child(waiter, board);
	ok(wait_cond_waiters(board->cfd, 1, PATIENCE_MS) == 1,
	   "%s: W waits on the condition variable", how);
	h = start_child(holder, board);
	ok(flag_wait(&board->holding, 1, PATIENCE_MS),
	   "%s: H holds the mutex W released", how);
	if (timed)
		sleep_ms(200);	/* W's deadline passes meanwhile */
	if (death == DIE_BEFORE_SIGNAL) {
		code = wait_child(h, PATIENCE_MS / 1000);
		ok(mutex_status(board->mfd).flags & RTSYNC_MINFO_OWNER_DIED,
		   "%s: the mutex is owner-died", how);
		ok(cond_state(board->cfd).waiters == 1, "%s: W still sleeps",
		   how);
		is_errno(rtsync_cond_signal(board->cfd), 0, "SIGNAL W");
	} else {
		ok(wait_waiters(board->mfd, 1, PATIENCE_MS) == 1,
		   "%s: W, signalled, waits for the mutex", how);
		if (death == DIE_SIGKILL)
			kill(h, SIGKILL);
		else
			flag_set(&board->die, 1);
		code = wait_child(h, PATIENCE_MS / 1000);
	}
	is_exit(code, death == DIE_SIGKILL ? -SIGKILL : 0,
		strf("%s: H is gone", how));
	is_exit(wait_child(w, PATIENCE_MS / 1000), 0,
		strf("%s: W finished", how));
	is_errno(board->result, EOWNERDEAD,
		 strf("%s: W's %s", how, timed ? "timed wait" : "wait"));
	ok(board->held_after, "%s: W holds the mutex after EOWNERDEAD", how);
	ok(board->flags_after & RTSYNC_MINFO_INCONSISTENT,
	   "%s: INCONSISTENT while W holds it (flags %#x)", how,
	   board->flags_after);
	is_errno(board->consistent, 0, strf("%s: W's CONSISTENT", how));
	st = mutex_status(board->mfd);
	ok(st.owner_tid == 0 && st.flags == 0,
	   "%s: afterwards the mutex is free and normal (flags %#x)", how,
	   st.flags);

	/* Mutex and condition variable work as before. */
	board->result = -1;
	board->timed = 0;
	w = start_child(waiter, board);
	wait_cond_waiters(board->cfd, 1, PATIENCE_MS);
	is_errno(rtsync_mutex_lock(board->mfd), 0, "lock");
	is_errno(rtsync_cond_signal(board->cfd), 0, "SIGNAL");
	is_errno(rtsync_mutex_unlock(board->mfd), 0, "unlock");
	is_exit(wait_child(w, PATIENCE_MS / 1000), 0, "the next waiter finished");
	is_errno(board->result, 0, strf("%s: the next wait is normal", how));
	drop_object(board->cfd, cname);
	drop_object(board->mfd, mname);
}

/* X: lock (gets EOWNERDEAD first), then unlock without CONSISTENT. */
static int careless(void *arg)
{
	struct board *b = arg;
	struct sched_param sp = { .sched_priority = 20 };

	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		return errno;
	b->x_result = rtsync_mutex_lock(b->mfd);
	if (b->x_result != EOWNERDEAD)
		return 0;
	return rtsync_mutex_unlock(b->mfd);
}

static void test_not_recoverable(void)
{
	char cname[64], mname[64];
	pid_t w, h, x;

	memset(board, 0, sizeof(*board));
	board->cfd = new_cond(cname, sizeof(cname), "cdeath");
	board->mfd = new_mutex(mname, sizeof(mname), "cdeath", 0);
	board->death = DIE_SIGKILL;
	board->result = board->x_result = -1;

	w = start_child(waiter, board);
	wait_cond_waiters(board->cfd, 1, PATIENCE_MS);
	h = start_child(holder, board);
	flag_wait(&board->holding, 1, PATIENCE_MS);
	ok(wait_waiters(board->mfd, 1, PATIENCE_MS) == 1,
	   "W, signalled, waits for the mutex H holds");
	/* X waits too, at a higher priority, so it is served first. */
	x = start_child(careless, board);
	ok(wait_waiters(board->mfd, 2, PATIENCE_MS) == 2,
	   "a SCHED_FIFO process X waits for it as well");
	kill(h, SIGKILL);
	is_exit(wait_child(h, PATIENCE_MS / 1000), -SIGKILL, "H killed");
	is_exit(wait_child(x, PATIENCE_MS / 1000), 0, "X finished");
	is_errno(board->x_result, EOWNERDEAD, "X's LOCK");
	is_exit(wait_child(w, PATIENCE_MS / 1000), 0, "W finished");
	is_errno(board->result, ENOTRECOVERABLE,
		 "X unlocked without CONSISTENT: W's wait");
	ok(!board->held_after, "W does not hold the mutex after ENOTRECOVERABLE");
	ok(mutex_status(board->mfd).owner_tid == 0 &&
	   (mutex_status(board->mfd).flags & RTSYNC_MINFO_NOTRECOVERABLE),
	   "the mutex is free and not recoverable");
	ok(cond_state(board->cfd).waiters == 0, "no waiter left");
	drop_object(board->cfd, cname);
	drop_object(board->mfd, mname);
}

int main(void)
{
	board = shared_mem(sizeof(*board));
	test_owner_dies(DIE_SIGKILL, 0);
	test_owner_dies(DIE_EXIT, 0);
	test_owner_dies(DIE_BEFORE_SIGNAL, 0);
	test_owner_dies(DIE_SIGKILL, 1);
	test_not_recoverable();
	shared_free(board, sizeof(*board));
	return tap_done();
}
