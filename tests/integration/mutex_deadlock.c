// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Deadlock detection: a LOCK that would close a cycle of rtsync mutexes
 * (of any length) returns EDEADLK to the task that closes it, without
 * acquiring anything and without anyone hanging; a LOCK that closes no
 * cycle never returns EDEADLK, even when it races with lock hand-overs.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"

#define MAX_RING	4

/*
 * A ring of n tasks: task i holds m[i] and then locks m[i+1 mod n]. Tasks
 * 0..n-2 go to sleep one after the other; the last one closes the cycle.
 */
struct ring {
	int n;
	int m[MAX_RING];
	int closer_timed;	/* the closing LOCK is a timed one */
	pid_t pid[MAX_RING];
	volatile int held[MAX_RING];
	volatile int go[MAX_RING];
	volatile int returned[MAX_RING];
	int hold_ret[MAX_RING];
	int trylock_ret[MAX_RING];	/* trylock of the wanted mutex first */
	int want_ret[MAX_RING];
	pid_t owner_seen[MAX_RING];	/* INFO of the wanted mutex on failure */
	int unlock_ret[MAX_RING];
	int64_t want_ms[MAX_RING];	/* how long the LOCK took */
};

/*
 * What a forked task is told: the shared state and which task it is. It
 * lives in the parent's private memory, so each child gets the copy made
 * at its fork (an index in shared memory could change under a child that
 * has not read it yet).
 */
struct task_arg {
	void *shared;
	int index;
};

static int ring_task(void *arg)
{
	struct ring *r = ((struct task_arg *)arg)->shared;
	int i = ((struct task_arg *)arg)->index;
	int want = r->m[(i + 1) % r->n];
	struct timespec deadline;
	int64_t t0;

	r->hold_ret[i] = rtsync_mutex_lock(r->m[i]);
	flag_set(&r->held[i], 1);
	if (!flag_wait(&r->go[i], 1, 60000))
		return 1;
	r->trylock_ret[i] = rtsync_mutex_trylock(want);
	if (!r->trylock_ret[i])
		rtsync_mutex_unlock(want);
	t0 = now_ns(CLOCK_MONOTONIC);
	if (i == r->n - 1 && r->closer_timed) {
		deadline = ns_to_ts(t0 + 30000000000LL);
		r->want_ret[i] = rtsync_mutex_timedlock(want, CLOCK_MONOTONIC,
							&deadline);
	} else {
		r->want_ret[i] = rtsync_mutex_lock(want);
	}
	r->want_ms[i] = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
	flag_set(&r->returned[i], 1);
	if (r->want_ret[i]) {
		struct rtsync_mutex_status st;

		if (!rtsync_mutex_info(want, &st))
			r->owner_seen[i] = st.owner_pid;
	} else {
		r->unlock_ret[i] = rtsync_mutex_unlock(want);
	}
	/* Releasing what we hold lets the task waiting on it proceed. */
	r->unlock_ret[i] |= rtsync_mutex_unlock(r->m[i]);
	return 0;
}

static void test_ring(int n, int closer_timed)
{
	struct ring *r = shared_mem(sizeof(*r));
	char names[MAX_RING][64], what[128], label[32];
	int i, last = n - 1, woke_early = 0;

	snprintf(label, sizeof(label), "%d-task cycle%s", n,
		 closer_timed ? " (timed)" : "");
	r->n = n;
	r->closer_timed = closer_timed;
	for (i = 0; i < n; i++)
		r->m[i] = new_mutex(names[i], sizeof(names[i]), "dl", 0);
	for (i = 0; i < n; i++) {
		struct task_arg arg = { r, i };

		r->pid[i] = start_child(ring_task, &arg);
		if (!flag_wait(&r->held[i], 1, 30000))
			diag("%s: task %d did not report", label, i);
	}
	for (i = 0; i < last; i++) {
		flag_set(&r->go[i], 1);
		snprintf(what, sizeof(what), "%s: task %d sleeps on m%d", label,
			 i, (i + 1) % n);
		ok(wait_waiters(r->m[i + 1], 1, 30000) == 1, "%s", what);
	}
	sleep_ms(20);
	for (i = 0; i < last; i++)
		woke_early |= flag_get(&r->returned[i]);
	ok(!woke_early, "%s: no LOCK returned before the cycle is closed",
	   label);
	flag_set(&r->go[last], 1);

	for (i = n - 1; i >= 0; i--) {
		snprintf(what, sizeof(what), "%s: task %d finished", label, i);
		is_exit(wait_child(r->pid[i], 30), 0, what);
	}
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%s: task %d locks its own mutex",
			 label, i);
		is_errno(r->hold_ret[i], 0, what);
		snprintf(what, sizeof(what), "%s: task %d's trylock of a held mutex",
			 label, i);
		is_errno(r->trylock_ret[i], EBUSY, what);
	}
	snprintf(what, sizeof(what), "%s: the task closing it gets EDEADLK",
		 label);
	is_errno(r->want_ret[last], EDEADLK, what);
	ok(r->owner_seen[last] == r->pid[0],
	   "%s: and did not acquire (owner still task 0: %d, got %d)", label,
	   (int)r->pid[0], (int)r->owner_seen[last]);
	if (closer_timed)
		ok(r->want_ms[last] < 10000,
		   "%s: EDEADLK at once, not at the deadline (%lld ms)", label,
		   (long long)r->want_ms[last]);
	for (i = 0; i < last; i++) {
		snprintf(what, sizeof(what), "%s: task %d proceeds", label, i);
		is_errno(r->want_ret[i], 0, what);
	}
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%s: task %d's unlocks", label, i);
		is_errno(r->unlock_ret[i], 0, what);
		ok(mutex_status(r->m[i]).owner_tid == 0, "%s: m%d is free",
		   label, i);
		drop_object(r->m[i], names[i]);
	}
	shared_free(r, sizeof(*r));
}

/*
 * Two tasks, many rounds, both acting at the same moment (barrier):
 *  CYCLE: each holds its mutex and locks the other's: exactly one EDEADLK.
 *  HANDOVER: A holds m0, B holds m1; A locks m1 while B unlocks m1 and
 *            then locks m0. B only waits after it released m1, so there is
 *            never a cycle, though A may still be on its way to owning m1.
 *  ORDERED: both lock m0 then m1: contention, never a cycle.
 */
#define RACE_CYCLE_ROUNDS	2000
#define RACE_ROUNDS		(2 * RACE_CYCLE_ROUNDS)

enum race_kind { CYCLE, HANDOVER, ORDERED };

static enum race_kind race_kind(int round)
{
	if (round % 2 == 0)
		return CYCLE;
	return (round / 2) % 2 ? HANDOVER : ORDERED;
}

struct race {
	int m[2];
	pthread_barrier_t barrier;
	volatile int done[2];		/* rounds completed */
	int setup_errors[2];		/* unexpected result of another call */
	int setup_first[2];
	signed char ret[RACE_ROUNDS][2];	/* the contended LOCK's result */
};

static void race_note(struct race *s, int i, int err)
{
	if (err && !s->setup_errors[i]++)
		s->setup_first[i] = err;
}

static int race_task(void *arg)
{
	struct race *s = ((struct task_arg *)arg)->shared;
	int i = ((struct task_arg *)arg)->index, other = 1 - i;
	int round, ret, first;

	for (round = 0; round < RACE_ROUNDS; round++) {
		switch (race_kind(round)) {
		case CYCLE:
			race_note(s, i, rtsync_mutex_lock(s->m[i]));
			pthread_barrier_wait(&s->barrier);
			ret = rtsync_mutex_lock(s->m[other]);
			if (!ret)
				race_note(s, i, rtsync_mutex_unlock(s->m[other]));
			race_note(s, i, rtsync_mutex_unlock(s->m[i]));
			break;
		case HANDOVER:
			/* alternate which task plays A */
			first = (round / 4) % 2;
			race_note(s, i, rtsync_mutex_lock(s->m[i]));
			pthread_barrier_wait(&s->barrier);
			if (i == first) {
				ret = rtsync_mutex_lock(s->m[other]);
				if (!ret)
					race_note(s, i, rtsync_mutex_unlock(s->m[other]));
				race_note(s, i, rtsync_mutex_unlock(s->m[i]));
			} else {
				race_note(s, i, rtsync_mutex_unlock(s->m[i]));
				ret = rtsync_mutex_lock(s->m[other]);
				if (!ret)
					race_note(s, i, rtsync_mutex_unlock(s->m[other]));
			}
			break;
		case ORDERED:
		default:
			pthread_barrier_wait(&s->barrier);
			ret = rtsync_mutex_lock(s->m[0]);
			if (!ret) {
				ret = rtsync_mutex_lock(s->m[1]);
				if (!ret)
					race_note(s, i, rtsync_mutex_unlock(s->m[1]));
				race_note(s, i, rtsync_mutex_unlock(s->m[0]));
			}
			break;
		}
		s->ret[round][i] = (signed char)ret;
		flag_set(&s->done[i], round + 1);
		pthread_barrier_wait(&s->barrier);
	}
	return 0;
}

/*
 * race_wait - reap both race tasks. A round normally takes well under a
 * millisecond; if neither task completes a round for RACE_STALL_S seconds
 * they are stuck (a missed cycle sleeps forever): say where, then kill
 * them. Returns 0 when both exited 0.
 */
#define RACE_STALL_S	20

static int race_wait(struct race *s, const pid_t pid[2])
{
	int alive[2] = { 1, 1 }, status, i, progress, last = -1, failed = 0;
	int64_t last_change = now_ns(CLOCK_MONOTONIC);
	struct rtsync_mutex_status st;

	while (alive[0] || alive[1]) {
		for (i = 0; i < 2; i++) {
			if (alive[i] && waitpid(pid[i], &status, WNOHANG) == pid[i]) {
				alive[i] = 0;
				failed |= decode_status(status) != 0;
			}
		}
		progress = flag_get(&s->done[0]) + flag_get(&s->done[1]);
		if (progress != last) {
			last = progress;
			last_change = now_ns(CLOCK_MONOTONIC);
		} else if (now_ns(CLOCK_MONOTONIC) - last_change >
			   RACE_STALL_S * 1000000000LL) {
			diag("no progress for %d s: tasks %d and %d completed %d and %d rounds",
			     RACE_STALL_S, (int)pid[0], (int)pid[1],
			     flag_get(&s->done[0]), flag_get(&s->done[1]));
			for (i = 0; i < 2; i++) {
				st = mutex_status(s->m[i]);
				diag("m%d: owner %d waiters %u flags %#x", i,
				     (int)st.owner_pid, st.waiters, st.flags);
			}
			for (i = 0; i < 2; i++) {
				if (alive[i]) {
					kill(pid[i], SIGKILL);
					wait_child(pid[i], 10);
				}
			}
			return 1;
		}
		sleep_ms(10);
	}
	return failed;
}

static void test_race(void)
{
	struct race *s = shared_mem(sizeof(*s));
	int cycle_good = 0, cycle_bad = 0, first_bad = -1, loser[2] = { 0 };
	int nocycle_deadlk = 0, nocycle_other = 0, first_nocycle = -1;
	char n0[64], n1[64];
	pid_t pid[2];
	int64_t t0;
	int i, round;

	s->m[0] = new_mutex(n0, sizeof(n0), "race", 0);
	s->m[1] = new_mutex(n1, sizeof(n1), "race", 0);
	shared_barrier_init(&s->barrier, 2);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < 2; i++) {
		struct task_arg arg = { s, i };

		pid[i] = start_child(race_task, &arg);
	}
	ok(!race_wait(s, pid), "race: both tasks finished all %d rounds (%d and %d done)",
	   RACE_ROUNDS, flag_get(&s->done[0]), flag_get(&s->done[1]));
	diag("%d and %d rounds in %.0f ms", flag_get(&s->done[0]),
	     flag_get(&s->done[1]), ns_to_ms(now_ns(CLOCK_MONOTONIC) - t0));

	for (round = 0; round < RACE_ROUNDS; round++) {
		int a = s->ret[round][0], b = s->ret[round][1];

		if (round >= flag_get(&s->done[0]) ||
		    round >= flag_get(&s->done[1]))
			break;
		if (race_kind(round) == CYCLE) {
			if ((a == EDEADLK && b == 0) || (a == 0 && b == EDEADLK)) {
				cycle_good++;
				loser[a == EDEADLK ? 0 : 1]++;
			} else {
				if (first_bad < 0)
					first_bad = round;
				cycle_bad++;
			}
		} else {
			if (a == EDEADLK || b == EDEADLK)
				nocycle_deadlk++;
			else if (a || b)
				nocycle_other++;
			if ((a || b) && first_nocycle < 0)
				first_nocycle = round;
		}
	}
	ok(cycle_good == RACE_CYCLE_ROUNDS && cycle_bad == 0,
	   "race: exactly one EDEADLK in each of %d cycle rounds (%d right, %d wrong)",
	   RACE_CYCLE_ROUNDS, cycle_good, cycle_bad);
	diag("EDEADLK went to task 0 in %d rounds, to task 1 in %d", loser[0],
	     loser[1]);
	if (first_bad >= 0)
		diag("first wrong cycle round %d: task 0 got %s, task 1 got %s",
		     first_bad, strerror(s->ret[first_bad][0]),
		     strerror(s->ret[first_bad][1]));
	ok(nocycle_deadlk == 0,
	   "race: no EDEADLK in %d rounds without a cycle (%d false EDEADLK)",
	   RACE_ROUNDS - RACE_CYCLE_ROUNDS, nocycle_deadlk);
	ok(nocycle_other == 0,
	   "race: no other error in rounds without a cycle (%d)", nocycle_other);
	if (first_nocycle >= 0)
		diag("first wrong round without a cycle: %d (%s): %s / %s",
		     first_nocycle,
		     race_kind(first_nocycle) == HANDOVER ? "handover" : "ordered",
		     strerror(s->ret[first_nocycle][0]),
		     strerror(s->ret[first_nocycle][1]));
	ok(!s->setup_errors[0] && !s->setup_errors[1],
	   "race: every other lock and unlock succeeded (%d, %d; first %s)",
	   s->setup_errors[0], s->setup_errors[1],
	   strerror(s->setup_errors[0] ? s->setup_first[0] : s->setup_first[1]));
	ok(mutex_status(s->m[0]).owner_tid == 0 &&
	   mutex_status(s->m[1]).owner_tid == 0,
	   "race: both mutexes free at the end");

	pthread_barrier_destroy(&s->barrier);
	drop_object(s->m[0], n0);
	drop_object(s->m[1], n1);
	shared_free(s, sizeof(*s));
}

int main(void)
{
	test_ring(2, 0);	/* ABBA */
	test_ring(2, 1);	/* ABBA, closed by a timed LOCK */
	test_ring(3, 0);
	test_ring(4, 0);
	test_race();
	return tap_done();
}
