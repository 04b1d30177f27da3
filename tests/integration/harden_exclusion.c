// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Mutual exclusion under load: several processes with several threads
 * each take two rtsync mutexes at random, with LOCK, TRYLOCK (retried) or
 * a timed LOCK, for a fixed number of lock/unlock pairs (40 thousand in
 * all, 10 million under RTSYNC_STRESS). Inside the critical section a
 * thread marks the mutex's "inside" word with an atomic exchange, which
 * must find it empty, and increments a counter with a plain read, pause,
 * write, which loses updates if two threads are ever inside at once.
 *
 * Pass: no violation, every counter equals the number of acquisitions of
 * its mutex, no lock or unlock fails, both mutexes free at the end.
 * Prints the throughput (lock/unlock pairs per second).
 */
#define _GNU_SOURCE
#include "tap.h"
#include "harden_helpers.h"

#define MUTEXES		2
#define PROCESSES	4
#define THREADS		2	/* per process */

struct guarded {		/* one per mutex */
	volatile int inside;	/* tid of the thread inside, or 0 */
	volatile long counter;	/* plain increments under the mutex */
	long acquired;		/* atomic: acquisitions counted by threads */
	long violations;	/* atomic */
};

struct shared {
	long pairs_per_thread;
	pthread_barrier_t start;
	struct guarded g[MUTEXES];
	long lock_errors, unlock_errors, retries;	/* atomic */
	int first_error;
};

static struct shared *sh;
static int fds[MUTEXES];
static char names[MUTEXES][64];

static void add(long *counter, long n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static void error(long *counter, int err)
{
	if (__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&sh->first_error, err, __ATOMIC_RELAXED);
}

/* take - acquire mutex m in one of three ways; 0 or the error */
static int take(int m, uint64_t *rng)
{
	struct timespec deadline;
	int err;

	switch (rng_below(rng, 8)) {
	case 0:		/* trylock until it works */
		while ((err = rtsync_mutex_trylock(fds[m])) == EBUSY) {
			add(&sh->retries, 1);
			sched_yield();
		}
		return err;
	case 1:		/* timed, with a deadline it should never reach */
		deadline = ns_to_ts(now_ns(CLOCK_MONOTONIC) + 60000000000LL);
		return rtsync_mutex_timedlock(fds[m], CLOCK_MONOTONIC, &deadline);
	default:
		return rtsync_mutex_lock(fds[m]);
	}
}

static void *worker(void *arg)
{
	uint64_t rng = (uint64_t)gettid() * 0x9e3779b97f4a7c15ULL;
	pid_t tid = gettid();
	struct guarded *g;
	long i, value;
	int m, err, spin;

	(void)arg;
	pthread_barrier_wait(&sh->start);
	for (i = 0; i < sh->pairs_per_thread; i++) {
		m = rng_below(&rng, MUTEXES);
		g = &sh->g[m];
		err = take(m, &rng);
		if (err) {
			error(&sh->lock_errors, err);
			continue;
		}
		if (__atomic_exchange_n(&g->inside, tid, __ATOMIC_SEQ_CST))
			add(&g->violations, 1);
		value = g->counter;	/* a lost update if anyone else is here */
		for (spin = rng_below(&rng, 64); spin > 0; spin--)
			__asm__ volatile("" ::: "memory");
		g->counter = value + 1;
		add(&g->acquired, 1);
		__atomic_store_n(&g->inside, 0, __ATOMIC_SEQ_CST);
		err = rtsync_mutex_unlock(fds[m]);
		if (err)
			error(&sh->unlock_errors, err);
	}
	return NULL;
}

/* A worker process: THREADS threads, the calling one included. */
static int worker_process(void *arg)
{
	pthread_t t[THREADS];
	int i;

	/* start_child's safety alarm is too short for the stress size */
	if (stress_mode())
		alarm(3600);
	for (i = 1; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, arg))
			return 1;
	worker(arg);
	for (i = 1; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}

int main(void)
{
	long pairs = sized(40000, 10000000, 10), total = 0, acquired;
	pid_t pids[PROCESSES];
	int64_t t0, elapsed;
	int i, m, code, failed = 0;
	double seconds;

	sh = shared_mem(sizeof(*sh));
	sh->pairs_per_thread = pairs / (PROCESSES * THREADS);
	shared_barrier_init(&sh->start, PROCESSES * THREADS);
	for (m = 0; m < MUTEXES; m++)
		fds[m] = new_mutex(names[m], sizeof(names[m]), "exclusion", 0);

	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < PROCESSES; i++)
		pids[i] = start_child(worker_process, sh);
	for (i = 0; i < PROCESSES; i++) {
		code = wait_child(pids[i], stress_mode() ? 3000 : 200);
		if (code) {
			diag("worker process %d: %d", i, code);
			failed++;
		}
	}
	elapsed = now_ns(CLOCK_MONOTONIC) - t0;
	seconds = elapsed / 1e9;

	ok(failed == 0, "all %d worker processes finished (%d did not)",
	   PROCESSES, failed);
	for (m = 0; m < MUTEXES; m++) {
		struct guarded *g = &sh->g[m];

		acquired = __atomic_load_n(&g->acquired, __ATOMIC_SEQ_CST);
		total += acquired;
		ok(g->violations == 0,
		   "mutex %d: nobody found another thread inside (%ld violations)",
		   m, g->violations);
		ok(g->counter == acquired,
		   "mutex %d: counter equals its %ld acquisitions (counter %ld)",
		   m, acquired, g->counter);
		ok(mutex_status(fds[m]).owner_tid == 0 &&
		   mutex_status(fds[m]).waiters == 0,
		   "mutex %d: free with no waiters at the end", m);
	}
	ok(sh->lock_errors == 0 && sh->unlock_errors == 0,
	   "no lock or unlock failed (%ld, %ld; first: %s)", sh->lock_errors,
	   sh->unlock_errors,
	   sh->first_error ? strerror(sh->first_error) : "none");
	ok(total == sh->pairs_per_thread * PROCESSES * THREADS,
	   "%ld lock/unlock pairs done (expected %ld)", total,
	   sh->pairs_per_thread * PROCESSES * THREADS);
	diag("%d processes x %d threads, %d mutexes: %ld lock/unlock pairs in %.1f s = %.0f pairs/s (%ld trylock retries)",
	     PROCESSES, THREADS, MUTEXES, total, seconds,
	     seconds > 0 ? total / seconds : 0.0, sh->retries);

	pthread_barrier_destroy(&sh->start);
	for (m = 0; m < MUTEXES; m++)
		drop_object(fds[m], names[m]);
	shared_free(sh, sizeof(*sh));
	return tap_done();
}
