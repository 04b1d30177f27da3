// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Semaphore ping-pong between two processes, one on each CPU: A posts
 * "ping" and waits for "pong", B waits for "ping" and posts "pong". One
 * round trip is two posts that each wake a sleeper on the other CPU.
 * rtsync semaphores against POSIX named semaphores (sem_open) and a SysV
 * semaphore set.
 *
 * A run stops after its round trips or after RUN_LIMIT_MS, whichever comes
 * first (a pathologically slow kind must not stall the whole benchmark):
 * the figure is the run's time divided by the round trips it completed.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/sem.h>

#define REPS		11
#define RUN_LIMIT_MS	2000

enum kind { RTSYNC, POSIX, SYSV, NR_KINDS };

static const char *const kind_name[NR_KINDS] = {
	[RTSYNC]	= "rtsync semaphores",
	[POSIX]		= "POSIX named semaphores",
	[SYSV]		= "SysV semaphores",
};

#define PING	0
#define PONG	1

struct shared {
	pthread_barrier_t start;
	int stop;		/* pinger: the next PING means "finish" */
	int64_t elapsed_ns;
	long completed;		/* round trips in elapsed_ns */
	long errors;
};

static struct shared *sh;
static int rtsync_fd[2];
static sem_t *posix[2];
static int sysv_id;
static enum kind current_kind;
static long rounds;
static int64_t run_limit_ns;
static int limited[NR_KINDS];	/* runs that stopped at RUN_LIMIT_MS */

static int post(int i)
{
	struct sembuf op = { .sem_num = i, .sem_op = 1 };

	switch (current_kind) {
	case RTSYNC:
		return rtsync_sem_post(rtsync_fd[i], 1, NULL);
	case POSIX:
		return sem_post(posix[i]);
	default:
		return semop(sysv_id, &op, 1);
	}
}

static int wait_sem(int i)
{
	struct sembuf op = { .sem_num = i, .sem_op = -1 };

	switch (current_kind) {
	case RTSYNC:
		return rtsync_sem_wait(rtsync_fd[i]);
	case POSIX:
		return sem_wait(posix[i]);
	default:
		return semop(sysv_id, &op, 1);
	}
}

static int pinger(void *arg)
{
	long errors = 0, r = 0;
	int64_t start, end;

	(void)arg;
	pin_cpu(CPU_A);
	pthread_barrier_wait(&sh->start);
	start = now_ns();
	end = start + run_limit_ns;
	while (r < rounds) {
		errors += post(PING) != 0;
		errors += wait_sem(PONG) != 0;
		r++;
		if (!(r % 64) && now_ns() > end)
			break;
	}
	sh->elapsed_ns = now_ns() - start;
	sh->completed = r;
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	errors += post(PING) != 0;
	__atomic_add_fetch(&sh->errors, errors, __ATOMIC_SEQ_CST);
	return 0;
}

static int ponger(void *arg)
{
	long errors = 0;

	(void)arg;
	pin_cpu(CPU_B);
	pthread_barrier_wait(&sh->start);
	for (;;) {
		errors += wait_sem(PING) != 0;
		if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
			break;
		errors += post(PONG) != 0;
	}
	__atomic_add_fetch(&sh->errors, errors, __ATOMIC_SEQ_CST);
	return 0;
}

/* One run of one kind; returns ns per round trip. */
static double run(enum kind kind, int *children_ok)
{
	pid_t a, b;

	current_kind = kind;
	sh->stop = 0;
	sh->completed = 0;
	a = spawn(pinger, NULL);
	b = spawn(ponger, NULL);
	*children_ok &= reap(a);
	*children_ok &= reap(b);
	if (sh->completed < rounds)
		limited[kind]++;
	return sh->completed ? (double)sh->elapsed_ns / sh->completed : 0;
}

int main(void)
{
	struct samples s[NR_KINDS] = { 0 };
	pthread_barrierattr_t battr;
	char names[2][64], posix_names[2][72], runs[64];
	int children_ok = 1, rep, k, i, err = 0;
	double m[NR_KINDS];

	rounds = scaled(1000, 64);
	run_limit_ns = (int64_t)RUN_LIMIT_MS * 1000000;
	sh = shared_mem(sizeof(*sh));
	for (i = 0; i < 2; i++) {
		rtsync_fd[i] = rtsync_sem_open(bench_name(names[i], sizeof(names[i]),
							  "pingpong", i),
					       O_CREAT | O_EXCL, 0600, 0,
					       RTSYNC_SEM_VALUE_MAX);
		if (rtsync_fd[i] < 0)
			bail("rtsync_sem_open");
		snprintf(posix_names[i], sizeof(posix_names[i]), "/%s", names[i]);
		posix[i] = sem_open(posix_names[i], O_CREAT | O_EXCL, 0600, 0);
		if (posix[i] == SEM_FAILED)
			bail("sem_open(%s)", posix_names[i]);
	}
	sysv_id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (sysv_id < 0)
		bail("semget");
	pthread_barrierattr_init(&battr);
	pthread_barrierattr_setpshared(&battr, PTHREAD_PROCESS_SHARED);
	if (pthread_barrier_init(&sh->start, &battr, 2))
		bail("pthread_barrier_init");

	diag("semaphore ping-pong: %d reps x %ld round trips per kind, processes on CPUs %d and %d",
		 REPS, rounds, CPU_A, CPU_B);
	for (k = 0; k < NR_KINDS; k++)
		run(k, &children_ok);	/* warm-up */
	for (rep = 0; rep < REPS; rep++)
		for (k = 0; k < NR_KINDS; k++) {
			enum kind kind = (rep + k) % NR_KINDS;

			add_sample(&s[kind], run(kind, &children_ok));
		}
	ok(children_ok && sh->errors == 0,
	   "semaphore ping-pong: every wait and post succeeded (%ld failed)",
	   sh->errors);

	for (k = 0; k < NR_KINDS; k++) {
		m[k] = samples_median(&s[k]);
		diag("semaphore ping-pong: %-25s %9.1f ns per round trip; %d of %d runs stopped at the time limit",
		     kind_name[k], m[k], limited[k], REPS + 1);
	}
	snprintf(runs, sizeof(runs), "%d reps x %ld round trips (at most %d s)",
		 REPS, rounds, RUN_LIMIT_MS / 1000);
	row_paired("4", "semaphore ping-pong round trip", &s[RTSYNC],
		   "POSIX named semaphore", &s[POSIX], "ns", "<=1.0", runs);
	row_paired("4", "semaphore ping-pong round trip", &s[RTSYNC],
		   "SysV semaphore", &s[SYSV], "ns", "-", runs);

	for (i = 0; i < 2; i++) {
		err |= rtsync_close(rtsync_fd[i]);
		err |= rtsync_unlink(names[i]);
		err |= sem_close(posix[i]) != 0;
		err |= sem_unlink(posix_names[i]) != 0;
	}
	err |= semctl(sysv_id, 0, IPC_RMID) != 0;
	ok(!err, "semaphore ping-pong: semaphores removed again");
	return tap_done();
}
