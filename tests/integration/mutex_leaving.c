// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * No EDEADLK from a cycle through a waiter that is already leaving.
 * Thread A holds M1 and sleeps in LOCK of M2, which B holds. B sends A a
 * signal (A's LOCK must return EINTR) and at once LOCKs M1: at that
 * moment A is still recorded as waiting for M2, but it is on its way out,
 * so B's LOCK closes no cycle. B must sleep until A, back from its LOCK,
 * unlocks M1, and then get it: never EDEADLK. Looped, since the window
 * (between the signal and A's LOCK returning) is short.
 *
 * The same with A's LOCK timing out instead: B LOCKs M1 right after A's
 * deadline. There B may see A before its timer fired (a late timer under
 * emulation), when A is really waiting and EDEADLK is right (and A may
 * then get M2, which B gives up after its EDEADLK), so those rounds check
 * only that each round ends one of those two ways and report how often.
 *
 * 300 and 50 rounds; 20000 and 1000 under `make stress` (RTSYNC_STRESS),
 * where a rare interleaving has a better chance to show.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include "tap.h"
#include "helpers.h"
#include "harden_helpers.h"

#define ROUNDS		300
#define TIMED_ROUNDS	50
#define STRESS_ROUNDS	20000
#define STRESS_TIMED_ROUNDS	1000
#define NSEC_PER_MSEC	1000000LL

struct pair {
	int m1, m2;
	int timed;		/* A's LOCK of M2 has a deadline */
	int64_t deadline;	/* CLOCK_MONOTONIC ns */
	volatile pid_t a_tid;
	volatile int a_holds;	/* A holds M1 */
	int a_ret;		/* A's LOCK of M2 */
	volatile int a_done;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *thread_a(void *arg)
{
	struct pair *p = arg;
	struct timespec dl = ns_to_ts(p->deadline);

	p->a_tid = (pid_t)syscall(SYS_gettid);
	if (rtsync_mutex_lock(p->m1)) {
		p->a_ret = -1;
		flag_set(&p->a_done, 1);
		return NULL;
	}
	flag_set(&p->a_holds, 1);
	if (p->timed)
		p->a_ret = rtsync_mutex_timedlock(p->m2, CLOCK_MONOTONIC, &dl);
	else
		p->a_ret = rtsync_mutex_lock(p->m2);
	if (!p->a_ret)
		rtsync_mutex_unlock(p->m2);
	rtsync_mutex_unlock(p->m1);
	flag_set(&p->a_done, 1);
	return NULL;
}

/*
 * Wait until A sleeps on M2 (INFO shows a waiter), for up to 10 s, or
 * until A is done (a timed LOCK can time out first on a loaded host).
 */
static int a_waits(struct pair *p)
{
	int i;

	for (i = 0; i < 10000 && !flag_get(&p->a_done); i++) {
		if (mutex_status(p->m2).waiters == 1)
			return 1;
		sleep_ms(1);
	}
	return 0;
}

/*
 * One round, run by B. Returns B's LOCK of M1 (0, EDEADLK, ...) and
 * A's LOCK of M2 in *a_ret; -1 for a timed round in which A's LOCK timed
 * out before B saw it wait (nothing to test: the caller runs it again).
 */
static int round_once(struct pair *p, int timed, int *a_ret)
{
	struct timespec guard;
	pthread_t a;
	int ret;

	p->timed = timed;
	p->deadline = now_ns(CLOCK_MONOTONIC) + 30 * NSEC_PER_MSEC;
	p->a_holds = 0;
	p->a_done = 0;
	if (rtsync_mutex_lock(p->m2))
		bail_out("B: lock M2");
	if (pthread_create(&a, NULL, thread_a, p))
		bail_out("pthread_create");
	if (!flag_wait(&p->a_holds, 1, 10000))
		bail_out("A did not lock M1");
	if (!a_waits(p)) {
		if (!timed || !flag_get(&p->a_done))
			bail_out("A did not start waiting for M2");
		rtsync_mutex_unlock(p->m2);
		pthread_join(a, NULL);
		return -1;
	}
	if (timed) {
		while (now_ns(CLOCK_MONOTONIC) < p->deadline)
			;
	} else {
		syscall(SYS_tgkill, getpid(), p->a_tid, SIGUSR1);
	}
	/* A guard: a LOCK that hangs ends after 10 s instead. */
	guard = ns_to_ts(now_ns(CLOCK_MONOTONIC) + 10000 * NSEC_PER_MSEC);
	ret = rtsync_mutex_timedlock(p->m1, CLOCK_MONOTONIC, &guard);
	if (!ret)
		rtsync_mutex_unlock(p->m1);
	rtsync_mutex_unlock(p->m2);
	pthread_join(a, NULL);
	*a_ret = p->a_ret;
	return ret;
}

static void run(int timed, int rounds)
{
	struct pair *p = shared_mem(sizeof(*p));
	int got_ok = 0, got_edeadlk = 0, got_other = 0, a_bad = 0, retried = 0;
	int i, ret, a_ret, last_other = 0;
	char n1[64], n2[64];

	p->m1 = new_mutex(n1, sizeof(n1), "leave1", 0);
	p->m2 = new_mutex(n2, sizeof(n2), "leave2", 0);
	for (i = 0; i < rounds; i++) {
		ret = round_once(p, timed, &a_ret);
		if (ret < 0) {
			i--;	/* A timed out unseen: run the round again */
			if (++retried > 10 * rounds)
				bail_out("A's LOCK keeps timing out before B sees it wait");
			continue;
		}
		if (ret == 0)
			got_ok++;
		else if (ret == EDEADLK)
			got_edeadlk++;
		else
			last_other = ret;
		got_other += ret && ret != EDEADLK;
		if (timed ? !(a_ret == ETIMEDOUT || (a_ret == 0 && ret == EDEADLK)) :
			    a_ret != EINTR)
			a_bad++;
	}
	if (timed) {
		diag("deadline: B's LOCK of M1 got it %d times, EDEADLK %d times (A not yet timed out), other %d; rounds run again (A timed out before B saw it wait): %d",
		     got_ok, got_edeadlk, got_other, retried);
		ok(got_other == 0 && a_bad == 0,
		   "deadline, %d rounds: B got M1 after A's ETIMEDOUT, or EDEADLK while A still waited (%d other, last %s; %d rounds neither)",
		   rounds, got_other, strerror(last_other), a_bad);
	} else {
		ok(a_bad == 0, "signal, %d rounds: A's LOCK of M2 returned EINTR each time (%d did not)",
		   rounds, a_bad);
		ok(got_ok == rounds,
		   "signal, %d rounds: B's LOCK of M1 through the leaving A always got it (%d EDEADLK, %d other, last %s)",
		   rounds, got_edeadlk, got_other, strerror(last_other));
	}
	ok(mutex_status(p->m1).owner_pid == 0 && mutex_status(p->m2).owner_pid == 0 &&
	   mutex_status(p->m1).waiters == 0 && mutex_status(p->m2).waiters == 0,
	   "%s: both mutexes free, no waiter left", timed ? "deadline" : "signal");
	drop_object(p->m1, n1);
	drop_object(p->m2, n2);
	shared_free(p, sizeof(*p));
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: LOCK returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	run(0, stress_mode() ? STRESS_ROUNDS : ROUNDS);
	run(1, stress_mode() ? STRESS_TIMED_ROUNDS : TIMED_ROUNDS);
	return tap_done();
}
