// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Throughput under contention: N processes (1, 2, 4, 8; two CPUs) lock one
 * mutex, increment a shared counter, and unlock, as fast as they can for a
 * fixed time. rtsync against a robust PI pthread mutex in shared memory.
 * The figure is wall time per acquisition, all processes together (lower
 * is better). The counter is incremented without atomics inside the
 * critical section, so it also checks mutual exclusion: it must equal the
 * number of acquisitions the processes report.
 */
#define _GNU_SOURCE
#include "bench.h"

#define REPS		5
#define MAX_PROCS	8

static const int nprocs[] = { 1, 2, 4, 8 };
#define NR_LEVELS	((int)(sizeof(nprocs) / sizeof(nprocs[0])))

enum kind { RTSYNC, PI_FUTEX, NR_KINDS };

struct shared {
	pthread_mutex_t pi;
	int ready;
	int go;
	int stop;
	long counter;			/* under the lock, not atomic */
	long acquired[MAX_PROCS];
	long errors;
};

static struct shared *sh;
static int rtsync_fd;
static enum kind current_kind;

static int worker(void *arg)
{
	long me = (long)(intptr_t)arg, n = 0, errors = 0;

	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		cpu_relax();
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		if (current_kind == RTSYNC) {
			if (rtsync_mutex_lock(rtsync_fd)) {
				errors++;
				continue;
			}
			sh->counter++;
			errors += rtsync_mutex_unlock(rtsync_fd) != 0;
		} else {
			if (pthread_mutex_lock(&sh->pi)) {
				errors++;
				continue;
			}
			sh->counter++;
			errors += pthread_mutex_unlock(&sh->pi) != 0;
		}
		n++;
	}
	sh->acquired[me] = n;
	__atomic_add_fetch(&sh->errors, errors, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * One run of n processes for run_ms; returns ns per acquisition and adds
 * to *lost the difference between the counter and the acquisitions.
 */
static double run(enum kind kind, int n, long run_ms, int *children_ok,
		  long *lost)
{
	pid_t pids[MAX_PROCS];
	int64_t start, elapsed;
	long total = 0;
	int i;

	current_kind = kind;
	sh->ready = sh->go = sh->stop = 0;
	sh->counter = 0;
	for (i = 0; i < n; i++)
		pids[i] = spawn(worker, (void *)(intptr_t)i);
	while (__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) < n)
		sleep_us(200);
	start = now_ns();
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	sleep_us(run_ms * 1000);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	elapsed = now_ns() - start;
	for (i = 0; i < n; i++) {
		*children_ok &= reap(pids[i]);
		total += sh->acquired[i];
	}
	*lost += labs(sh->counter - total);
	return total ? (double)elapsed / total : 0;
}

int main(void)
{
	struct samples s[NR_KINDS][NR_LEVELS] = { 0 };
	long run_ms = scaled(250, 20), lost = 0;
	int children_ok = 1, rep, i;
	char name[64], label[96], runs[64];

	sh = shared_mem(sizeof(*sh));
	pi_mutex_init(&sh->pi);
	rtsync_fd = rtsync_mutex_open(bench_name(name, sizeof(name), "contention", 0),
				      O_CREAT | O_EXCL, 0600, 0);
	if (rtsync_fd < 0)
		bail("rtsync_mutex_open");

	diag("contention: %d reps x %ld ms per kind and process count (1, 2, 4, 8 processes, 2 CPUs)",
		 REPS, run_ms);
	for (rep = 0; rep < REPS; rep++) {
		for (i = 0; i < NR_LEVELS * NR_KINDS; i++) {
			int n = (rep + i) % (NR_LEVELS * NR_KINDS);
			int level = n / NR_KINDS;
			enum kind kind = n % NR_KINDS;

			add_sample(&s[kind][level], run(kind, nprocs[level], run_ms,
							&children_ok, &lost));
		}
		diag("contention: rep %d/%d done", rep + 1, REPS);
	}
	ok(children_ok && sh->errors == 0,
	   "contention: every lock and unlock succeeded (%ld failed)", sh->errors);
	ok(lost == 0,
	   "contention: the shared counter matches the acquisitions (off by %ld)",
	   lost);

	snprintf(runs, sizeof(runs), "%d reps x %ld ms", REPS, run_ms);
	for (i = 0; i < NR_LEVELS; i++) {
		snprintf(label, sizeof(label),
			 "time per acquisition, %d process%s hammering one mutex",
			 nprocs[i], nprocs[i] > 1 ? "es" : "");
		row_paired("7", label, &s[RTSYNC][i],
			   "pthread PI robust pshared mutex", &s[PI_FUTEX][i],
			   "ns", "-", runs);
	}

	ok(!rtsync_close(rtsync_fd) && !rtsync_unlink(name),
	   "contention: mutex removed again");
	return tap_done();
}
