// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Contended handoff latency: two processes, one on each CPU, pass mutex
 * ownership back and forth; rtsync mutexes against robust PI pthread
 * mutexes (PI futexes) in shared memory.
 *
 * Strict alternation with mutexes alone needs three of them. With two,
 * each process would have to hold one while waiting for the other's, which
 * is a deadlock cycle (rtsync refuses it with EDEADLK), or hand over
 * without a guarantee that the peer is waiting, so one side may take the
 * same mutex twice in a row. With three (m0, m1, m2), A starts holding m0
 * and m1, B holding m2, and step j is
 *   A: unlock m[j];   lock m[j+2]       (indices mod 3)
 *   B: lock m[j];     unlock m[j+2]
 * A can only get m[j+2] after B got m[j], and B can only get m[j+1] after
 * A got m[j+2], so ownership changes hands exactly twice per step, never
 * with both parties waiting. The latency of one handoff is the run time
 * divided by 2 x steps: it covers the unlock, waking or un-spinning the
 * waiter on the other CPU, and its lock returning.
 */
#define _GNU_SOURCE
#include "bench.h"

#define REPS	11

enum kind { RTSYNC, PI_FUTEX, NR_KINDS };

static const char *const kind_name[NR_KINDS] = {
	[RTSYNC]	= "rtsync mutexes",
	[PI_FUTEX]	= "pthread PI robust pshared mutexes",
};

struct shared {
	pthread_mutex_t pi[3];
	pthread_barrier_t start;
	int64_t elapsed_ns;
	long errors;
};

static struct shared *sh;
static int rtsync_fd[3];
static enum kind current_kind;
static long steps;

static int lock(int i)
{
	if (current_kind == RTSYNC)
		return rtsync_mutex_lock(rtsync_fd[i]);
	return pthread_mutex_lock(&sh->pi[i]);
}

static int unlock(int i)
{
	if (current_kind == RTSYNC)
		return rtsync_mutex_unlock(rtsync_fd[i]);
	return pthread_mutex_unlock(&sh->pi[i]);
}

static int party_a(void *arg)
{
	long errors = 0, j;
	int64_t start;

	(void)arg;
	pin_cpu(CPU_A);
	errors += lock(0) != 0;
	errors += lock(1) != 0;
	pthread_barrier_wait(&sh->start);
	start = now_ns();
	for (j = 0; j < steps; j++) {
		errors += unlock(j % 3) != 0;
		errors += lock((j + 2) % 3) != 0;
	}
	sh->elapsed_ns = now_ns() - start;
	errors += unlock(steps % 3) != 0;
	errors += unlock((steps + 1) % 3) != 0;
	__atomic_add_fetch(&sh->errors, errors, __ATOMIC_SEQ_CST);
	return 0;
}

static int party_b(void *arg)
{
	long errors = 0, j;

	(void)arg;
	pin_cpu(CPU_B);
	errors += lock(2) != 0;
	pthread_barrier_wait(&sh->start);
	for (j = 0; j < steps; j++) {
		errors += lock(j % 3) != 0;
		errors += unlock((j + 2) % 3) != 0;
	}
	errors += unlock((steps + 2) % 3) != 0;
	__atomic_add_fetch(&sh->errors, errors, __ATOMIC_SEQ_CST);
	return 0;
}

/* One run of one kind; returns ns per handoff. */
static double run(enum kind kind, int *children_ok)
{
	pid_t a, b;

	current_kind = kind;
	a = spawn(party_a, NULL);
	b = spawn(party_b, NULL);
	*children_ok &= reap(a);
	*children_ok &= reap(b);
	return (double)sh->elapsed_ns / (2.0 * steps);
}

int main(void)
{
	struct samples s[NR_KINDS] = { 0 };
	pthread_barrierattr_t battr;
	char names[3][64], runs[64];
	int children_ok = 1, rep, k, i, err = 0;
	double m[NR_KINDS];

	steps = scaled(1500, 50);
	sh = shared_mem(sizeof(*sh));
	for (i = 0; i < 3; i++) {
		pi_mutex_init(&sh->pi[i]);
		rtsync_fd[i] = rtsync_mutex_open(bench_name(names[i], sizeof(names[i]),
							    "handoff", i),
						 O_CREAT | O_EXCL, 0600, 0);
		if (rtsync_fd[i] < 0)
			bail("rtsync_mutex_open");
	}
	pthread_barrierattr_init(&battr);
	pthread_barrierattr_setpshared(&battr, PTHREAD_PROCESS_SHARED);
	if (pthread_barrier_init(&sh->start, &battr, 2))
		bail("pthread_barrier_init");

	diag("handoff: %d reps x %ld handoffs per kind, processes on CPUs %d and %d",
		 REPS, 2 * steps, CPU_A, CPU_B);
	run(RTSYNC, &children_ok);	/* warm-up */
	run(PI_FUTEX, &children_ok);
	for (rep = 0; rep < REPS; rep++)
		for (k = 0; k < NR_KINDS; k++) {
			enum kind kind = (rep + k) % NR_KINDS;

			add_sample(&s[kind], run(kind, &children_ok));
		}
	ok(children_ok && sh->errors == 0,
	   "handoff: every lock and unlock succeeded (%ld failed)", sh->errors);

	for (k = 0; k < NR_KINDS; k++) {
		m[k] = samples_median(&s[k]);
		diag("handoff: %-40s %9.1f ns per handoff", kind_name[k], m[k]);
	}
	snprintf(runs, sizeof(runs), "%d reps x %ld handoffs", REPS, 2 * steps);
	row_paired("3", "contended handoff, 2 processes on 2 CPUs", &s[RTSYNC],
		   "pthread PI robust pshared mutex", &s[PI_FUTEX], "ns", "<=1.2",
		   runs);

	for (i = 0; i < 3; i++) {
		err |= rtsync_close(rtsync_fd[i]);
		err |= rtsync_unlink(names[i]);
	}
	ok(!err, "handoff: mutexes removed again");
	return tap_done();
}
