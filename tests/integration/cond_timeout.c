// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Timed COND_WAIT on CLOCK_MONOTONIC and CLOCK_REALTIME:
 *  - nobody signals: ETIMEDOUT, not before the deadline, holding the
 *    mutex, and the waiter is gone from the condition variable;
 *  - a deadline already past: ETIMEDOUT at once, holding the mutex;
 *  - a SIGNAL before the deadline: 0, before the deadline;
 *  - the deadline passes while another process holds the mutex: the
 *    waiter still returns ETIMEDOUT holding it, so only once that process
 *    unlocks;
 *  - SIGNAL racing the deadline, many rounds: whenever the raw SIGNAL
 *    reports that it woke the waiter, the waiter returns 0 (a wake-up it
 *    was given is never turned into a timeout), otherwise ETIMEDOUT.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define PATIENCE_MS	20000
#define WAIT_MS		200
/*
 * The deadline of the wait that must end waiting for a held mutex: long
 * enough that the waiter is asleep and the holder holds the mutex before
 * it passes, even when a loaded host starts the processes late.
 */
#define HELD_WAIT_MS	2000
/* How late a timeout may come before it is reported as a failure. */
#define LATE_LIMIT_MS	1000
#define RACE_ROUNDS	300
#define RACE_WAIT_US	3000

static const char *clock_name(clockid_t clock)
{
	return clock == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC" : "CLOCK_REALTIME";
}

struct board {
	int cfd;
	int mfd;
	clockid_t clock;
	volatile int holding;
	volatile int release;
	volatile int round;	/* race: the round the waiter waits in */
	volatile int ack;	/* race: the parent finished that round */
	int64_t deadline_ns;	/* race: the waiter's deadline this round */
	int result;
	int64_t returned_ns;	/* when the wait returned, on board->clock */
	int64_t deadline_of_wait;
	int held_after;
	int race_result[RACE_ROUNDS];
	int race_held[RACE_ROUNDS];
};

static struct board *board;

static void test_times_out(clockid_t clock)
{
	struct timespec deadline;
	char cname[64], mname[64];
	int64_t late, start, took;
	int cfd, mfd, err;

	cfd = new_cond(cname, sizeof(cname), "ctime");
	mfd = new_mutex(mname, sizeof(mname), "ctime", 0);
	is_errno(rtsync_mutex_lock(mfd), 0, "lock");
	deadline = deadline_in(clock, WAIT_MS);
	err = rtsync_cond_timedwait(cfd, mfd, clock, &deadline);
	late = now_ns(clock) - ts_to_ns(&deadline);
	is_errno(err, ETIMEDOUT, strf("%s: nobody signals", clock_name(clock)));
	ok(late >= 0, "%s: not before the deadline (%.2f ms after it)",
	   clock_name(clock), ns_to_ms(late));
	ok(late < LATE_LIMIT_MS * 1000000LL,
	   "%s: less than %d ms after it (%.2f ms)", clock_name(clock),
	   LATE_LIMIT_MS, ns_to_ms(late));
	ok(holds_mutex(mfd), "%s: holding the mutex after ETIMEDOUT",
	   clock_name(clock));
	ok(cond_state(cfd).waiters == 0, "%s: no waiter left",
	   clock_name(clock));

	deadline = deadline_in(clock, -1000);
	start = now_ns(clock);
	err = rtsync_cond_timedwait(cfd, mfd, clock, &deadline);
	took = now_ns(clock) - start;
	is_errno(err, ETIMEDOUT, strf("%s: a deadline 1 s ago",
				      clock_name(clock)));
	ok(took < LATE_LIMIT_MS * 1000000LL, "%s: returned at once (in %.2f ms)",
	   clock_name(clock), ns_to_ms(took));
	ok(holds_mutex(mfd), "%s: holding the mutex", clock_name(clock));

	deadline.tv_sec = 0;
	deadline.tv_nsec = 0;
	is_errno(rtsync_cond_timedwait(cfd, mfd, clock, &deadline), ETIMEDOUT,
		 strf("%s: deadline 0", clock_name(clock)));
	ok(holds_mutex(mfd), "%s: holding the mutex", clock_name(clock));
	is_errno(rtsync_mutex_unlock(mfd), 0, "unlock");
	drop_object(cfd, cname);
	drop_object(mfd, mname);
}

/* A timed wait of board->clock; records when it returned. */
static int timed_waiter(void *arg)
{
	struct board *b = arg;
	struct timespec deadline;
	int err;

	err = rtsync_mutex_lock(b->mfd);
	if (err)
		return err;
	deadline = ns_to_ts(b->deadline_of_wait);
	b->result = rtsync_cond_timedwait(b->cfd, b->mfd, b->clock, &deadline);
	b->returned_ns = now_ns(b->clock);
	b->held_after = holds_mutex(b->mfd);
	if (b->held_after)
		rtsync_mutex_unlock(b->mfd);
	return 0;
}

static void test_signal_before_deadline(clockid_t clock)
{
	char cname[64], mname[64];
	pid_t pid;
	int n;

	board->cfd = new_cond(cname, sizeof(cname), "ctime");
	board->mfd = new_mutex(mname, sizeof(mname), "ctime", 0);
	board->clock = clock;
	board->deadline_of_wait = now_ns(clock) + PATIENCE_MS * 1000000LL;
	pid = start_child(timed_waiter, board);
	ok(wait_cond_waiters(board->cfd, 1, PATIENCE_MS) == 1,
	   "%s: a timed waiter is queued", clock_name(clock));
	n = raw_wake(board->cfd, RTSYNC_IOC_COND_SIGNAL);
	ok(n == 1, "%s: SIGNAL wakes it (raw ioctl %d)", clock_name(clock), n);
	is_exit(wait_child(pid, PATIENCE_MS / 1000 + 10), 0, "the waiter finished");
	is_errno(board->result, 0, strf("%s: signalled timed wait",
					clock_name(clock)));
	ok(board->returned_ns < board->deadline_of_wait,
	   "%s: it returned before its deadline", clock_name(clock));
	ok(board->held_after, "%s: holding the mutex", clock_name(clock));
	drop_object(board->cfd, cname);
	drop_object(board->mfd, mname);
}

static int hold_until_release(void *arg)
{
	struct board *b = arg;
	int err;

	err = rtsync_mutex_lock(b->mfd);
	if (err)
		return err;
	flag_set(&b->holding, 1);
	flag_wait(&b->release, 1, PATIENCE_MS);
	return rtsync_mutex_unlock(b->mfd);
}

static void test_deadline_while_mutex_held(clockid_t clock)
{
	char cname[64], mname[64];
	pid_t waiter, holder;
	int64_t unlocked;

	board->cfd = new_cond(cname, sizeof(cname), "ctime");
	board->mfd = new_mutex(mname, sizeof(mname), "ctime", 0);
	board->clock = clock;
	board->holding = board->release = 0;
	board->result = -1;
	board->deadline_of_wait = now_ns(clock) + HELD_WAIT_MS * 1000000LL;
	waiter = start_child(timed_waiter, board);
	wait_cond_waiters(board->cfd, 1, PATIENCE_MS);
	holder = start_child(hold_until_release, board);
	ok(flag_wait(&board->holding, 1, PATIENCE_MS),
	   "%s: another process takes the mutex the waiter released",
	   clock_name(clock));
	/* The deadline passes; the waiter must now wait for the mutex. */
	ok(wait_waiters(board->mfd, 1, HELD_WAIT_MS + PATIENCE_MS) == 1,
	   "%s: past its deadline the waiter waits for the mutex",
	   clock_name(clock));
	sleep_ms(100);
	ok(board->result == -1, "%s: and has not returned without it",
	   clock_name(clock));
	unlocked = now_ns(clock);
	flag_set(&board->release, 1);
	is_exit(wait_child(holder, PATIENCE_MS / 1000), 0, "the holder unlocked");
	is_exit(wait_child(waiter, PATIENCE_MS / 1000), 0, "the waiter finished");
	is_errno(board->result, ETIMEDOUT,
		 strf("%s: the wait timed out", clock_name(clock)));
	ok(board->held_after && board->returned_ns >= unlocked,
	   "%s: it returned holding the mutex, after the holder let it go",
	   clock_name(clock));
	drop_object(board->cfd, cname);
	drop_object(board->mfd, mname);
}

/* Race: each round a short timed wait, which the parent signals near its
 * deadline.
 */
static int race_waiter(void *arg)
{
	struct board *b = arg;
	struct timespec deadline;
	int i, err;

	for (i = 0; i < RACE_ROUNDS; i++) {
		err = rtsync_mutex_lock(b->mfd);
		if (err)
			return err;
		b->deadline_ns = now_ns(CLOCK_MONOTONIC) + RACE_WAIT_US * 1000LL;
		deadline = ns_to_ts(b->deadline_ns);
		flag_set(&b->round, i + 1);
		b->race_result[i] = rtsync_cond_timedwait(b->cfd, b->mfd,
							  CLOCK_MONOTONIC,
							  &deadline);
		b->race_held[i] = holds_mutex(b->mfd);
		if (b->race_held[i])
			rtsync_mutex_unlock(b->mfd);
		if (!flag_wait(&b->ack, i + 1, PATIENCE_MS))
			return ETIMEDOUT;
	}
	return 0;
}

static void test_signal_races_deadline(void)
{
	int woke[RACE_ROUNDS];
	int i, consistent = 0, held = 0, woken = 0, timed_out = 0;
	char cname[64], mname[64];
	unsigned int seed = 1;
	int64_t at;
	pid_t pid;

	board->cfd = new_cond(cname, sizeof(cname), "ctime");
	board->mfd = new_mutex(mname, sizeof(mname), "ctime", 0);
	board->round = board->ack = 0;
	pid = start_child(race_waiter, board);
	for (i = 0; i < RACE_ROUNDS; i++) {
		woke[i] = -1;
		if (!flag_wait(&board->round, i + 1, PATIENCE_MS))
			break;
		/* Aim from 1 ms before to 1 ms after the deadline. */
		at = board->deadline_ns - 1000000 + rand_r(&seed) % 2000000;
		while (now_ns(CLOCK_MONOTONIC) < at)
			;
		woke[i] = raw_wake(board->cfd, RTSYNC_IOC_COND_SIGNAL);
		flag_set(&board->ack, i + 1);
	}
	is_exit(wait_child(pid, PATIENCE_MS / 1000 + 10), 0,
		"the racing waiter finished");
	for (i = 0; i < RACE_ROUNDS; i++) {
		if ((woke[i] == 1 && board->race_result[i] == 0) ||
		    (woke[i] == 0 && board->race_result[i] == ETIMEDOUT))
			consistent++;
		else if (consistent == i)
			diag("round %d: SIGNAL woke %d, the wait returned %s", i,
			     woke[i], strerror(board->race_result[i]));
		held += board->race_held[i];
		woken += woke[i] == 1;
		timed_out += board->race_result[i] == ETIMEDOUT;
	}
	diag("%d rounds: %d woken by SIGNAL, %d timed out", RACE_ROUNDS, woken,
	     timed_out);
	ok(consistent == RACE_ROUNDS,
	   "woken by SIGNAL -> 0, not woken -> ETIMEDOUT, in %d of %d rounds",
	   consistent, RACE_ROUNDS);
	ok(held == RACE_ROUNDS, "every wait returned holding the mutex (%d of %d)",
	   held, RACE_ROUNDS);
	ok(cond_state(board->cfd).waiters == 0, "no waiter left");
	drop_object(board->cfd, cname);
	drop_object(board->mfd, mname);
}

int main(void)
{
	board = shared_mem(sizeof(*board));
	test_times_out(CLOCK_MONOTONIC);
	test_times_out(CLOCK_REALTIME);
	test_signal_before_deadline(CLOCK_MONOTONIC);
	test_signal_before_deadline(CLOCK_REALTIME);
	test_deadline_while_mutex_held(CLOCK_MONOTONIC);
	test_deadline_while_mutex_held(CLOCK_REALTIME);
	test_signal_races_deadline();
	shared_free(board, sizeof(*board));
	return tap_done();
}
