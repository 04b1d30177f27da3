// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Mutual exclusion: several processes (and threads within processes)
 * increment a counter in shared memory under one rtsync mutex, with a
 * plain read-modify-write that loses updates if two run at once. The final
 * count must be exact, and an "inside" flag set for the length of the
 * critical section must never be found set by a thread entering it.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"

struct shared {
	int fd;
	int iterations;
	int threads;			/* per process */
	pthread_barrier_t start;	/* every thread of every process */
	volatile long counter;
	volatile int inside;
	int violations;			/* entries that found "inside" set */
	int lock_errors;
	int unlock_errors;
	int first_error;
};

static void record_error(struct shared *s, int *counter, int err)
{
	if (__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&s->first_error, err, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	struct shared *s = arg;
	long value;
	int i, err, spin;

	pthread_barrier_wait(&s->start);
	for (i = 0; i < s->iterations; i++) {
		err = rtsync_mutex_lock(s->fd);
		if (err) {
			record_error(s, &s->lock_errors, err);
			continue;
		}
		if (s->inside)
			__atomic_fetch_add(&s->violations, 1, __ATOMIC_RELAXED);
		s->inside = 1;
		/* A deliberately racy increment with a window in the middle. */
		value = s->counter;
		for (spin = 0; spin < 20; spin++)
			__asm__ volatile("" ::: "memory");
		s->counter = value + 1;
		s->inside = 0;
		err = rtsync_mutex_unlock(s->fd);
		if (err)
			record_error(s, &s->unlock_errors, err);
	}
	return NULL;
}

/* One process: runs s->threads workers (the caller's thread is one). */
static int worker_process(void *arg)
{
	struct shared *s = arg;
	pthread_t t[8];
	int i;

	for (i = 1; i < s->threads; i++)
		if (pthread_create(&t[i], NULL, worker, s))
			return 1;
	worker(s);
	for (i = 1; i < s->threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static void run(int processes, int threads, int iterations)
{
	struct shared *s = shared_mem(sizeof(*s));
	long expected = (long)processes * threads * iterations;
	char name[64], what[64];
	pid_t pids[8];
	int64_t t0;
	int i;

	s->fd = new_mutex(name, sizeof(name), "excl", 0);
	s->iterations = iterations;
	s->threads = threads;
	shared_barrier_init(&s->start, processes * threads);

	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < processes; i++)
		pids[i] = start_child(worker_process, s);
	for (i = 0; i < processes; i++) {
		snprintf(what, sizeof(what), "%dx%d: worker process %d finished",
			 processes, threads, i);
		is_exit(wait_child(pids[i], 200), 0, what);
	}
	diag("%d processes x %d threads x %d iterations: %.0f ms", processes,
	     threads, iterations,
	     ns_to_ms(now_ns(CLOCK_MONOTONIC) - t0));

	ok(s->lock_errors == 0, "%dx%d: every lock succeeded (%d failed, first: %s)",
	   processes, threads, s->lock_errors,
	   s->lock_errors ? strerror(s->first_error) : "none");
	ok(s->unlock_errors == 0, "%dx%d: every unlock succeeded (%d failed)",
	   processes, threads, s->unlock_errors);
	ok(s->counter == expected, "%dx%d: counter is exactly %ld (got %ld)",
	   processes, threads, expected, s->counter);
	ok(s->violations == 0,
	   "%dx%d: nobody entered while another was inside (%d times)",
	   processes, threads, s->violations);
	ok(mutex_status(s->fd).owner_tid == 0 && mutex_status(s->fd).waiters == 0,
	   "%dx%d: the mutex is free with no waiters at the end", processes,
	   threads);

	pthread_barrier_destroy(&s->start);
	drop_object(s->fd, name);
	shared_free(s, sizeof(*s));
}

int main(void)
{
	run(4, 1, 20000);	/* processes */
	run(2, 2, 10000);	/* threads of the same process contend too */
	return tap_done();
}
