// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Wake cost against the number of sleepers: how long one POST of 1 on an
 * rtsync semaphore, and one UNLOCK of an rtsync mutex, take as seen by the
 * caller when 1, 10, 100 or 1000 threads sleep on the object. Each call
 * wakes exactly one sleeper, so the figure should not grow with the queue.
 *
 * All four queue lengths exist at once (one semaphore and one mutex per
 * length, 2 x 1111 sleeper threads on CPU B), so the measurements can be
 * interleaved. The measuring thread is SCHED_FIFO 10 on CPU A:
 *  - semaphores: it posts 1 and times the call, then waits until the woken
 *    sleeper has queued again (INFO shows the full count), so the next
 *    post sees the same queue and the sleeper's own re-queueing is not
 *    part of the figure;
 *  - mutexes: it holds the mutex, times its unlock, and locks it again at
 *    once. Being of higher priority than the woken sleeper it takes the
 *    lock back (rt_mutex lets a higher-priority task steal from a woken
 *    waiter), so the sleeper goes back to sleep and the queue keeps its
 *    length. It then sleeps briefly so the woken sleeper is asleep again
 *    before the next unlock.
 */
#define _GNU_SOURCE
#include "bench.h"

#define REPS		9
#define MAIN_PRIO	10
#define STACK_SIZE	(64 * 1024)

static const int sleepers[] = { 1, 10, 100, 1000 };
#define NR_LEVELS	((int)(sizeof(sleepers) / sizeof(sleepers[0])))

enum kind { SEM, MUTEX, NR_KINDS };

struct group {
	enum kind kind;
	int fd;
	int n;
	pthread_t *threads;
	char name[64];
};

static struct group groups[NR_KINDS][NR_LEVELS];
static int stop;
static long errors;

static void count_error(void)
{
	__atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
}

static void *sleeper(void *arg)
{
	struct group *g = arg;

	pin_cpu(CPU_B);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		if (g->kind == SEM) {
			if (rtsync_sem_wait(g->fd))
				count_error();
		} else {
			if (rtsync_mutex_lock(g->fd)) {
				count_error();
				continue;
			}
			if (rtsync_mutex_unlock(g->fd))
				count_error();
		}
	}
	return NULL;
}

/* Sleepers of g now in the kernel, from INFO; -1 on error. */
static int waiting(struct group *g)
{
	struct rtsync_mutex_status ms;
	struct rtsync_sem_status ss;

	if (g->kind == SEM)
		return rtsync_sem_info(g->fd, &ss) ? -1 : (int)ss.waiters;
	return rtsync_mutex_info(g->fd, &ms) ? -1 : (int)ms.waiters;
}

/* wait_full - wait until all n sleepers of g are queued; 0 on timeout */
static int wait_full(struct group *g, long timeout_us)
{
	int64_t end = now_ns() + timeout_us * 1000;

	while (waiting(g) != g->n) {
		if (now_ns() > end)
			return 0;
		sleep_us(50);
	}
	return 1;
}

static void start_group(struct group *g, enum kind kind, int n)
{
	pthread_attr_t attr;
	int i;

	g->kind = kind;
	g->n = n;
	bench_name(g->name, sizeof(g->name), kind == SEM ? "wake-sem" : "wake-mutex", n);
	if (kind == SEM)
		g->fd = rtsync_sem_open(g->name, O_CREAT | O_EXCL, 0600, 0,
					RTSYNC_SEM_VALUE_MAX);
	else
		g->fd = rtsync_mutex_open(g->name, O_CREAT | O_EXCL, 0600, 0);
	if (g->fd < 0)
		bail("open %s", g->name);
	/* The measuring thread holds every mutex before sleepers arrive. */
	if (kind == MUTEX && rtsync_mutex_lock(g->fd))
		bail("lock %s", g->name);
	g->threads = calloc(n, sizeof(*g->threads));
	if (!g->threads)
		bail("calloc");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	for (i = 0; i < n; i++) {
		errno = pthread_create(&g->threads[i], &attr, sleeper, g);
		if (errno)
			bail("pthread_create (sleeper %d of %d)", i + 1, n);
	}
	pthread_attr_destroy(&attr);
}

/* stop_group - release every sleeper, join them, remove the object */
static int stop_group(struct group *g)
{
	int i, err = 0;

	if (g->kind == SEM)
		err |= rtsync_sem_post(g->fd, g->n, NULL);
	else
		err |= rtsync_mutex_unlock(g->fd);
	for (i = 0; i < g->n; i++)
		pthread_join(g->threads[i], NULL);
	free(g->threads);
	err |= rtsync_close(g->fd);
	err |= rtsync_unlink(g->name);
	return err;
}

/* One rep on g: the median of calls timed calls, in ns. */
static double measure(struct group *g, int calls, long *stalls)
{
	double *t = calloc(calls, sizeof(*t));
	int64_t start;
	double m;
	int i;

	if (!t)
		bail("calloc");
	for (i = 0; i < calls; i++) {
		if (g->kind == SEM) {
			start = now_ns();
			if (rtsync_sem_post(g->fd, 1, NULL))
				count_error();
			t[i] = now_ns() - start;
			if (!wait_full(g, 5000000))
				++*stalls;
			sleep_us(100);
		} else {
			start = now_ns();
			if (rtsync_mutex_unlock(g->fd))
				count_error();
			t[i] = now_ns() - start;
			if (rtsync_mutex_lock(g->fd))
				count_error();
			sleep_us(300);
		}
	}
	m = median(t, calls);
	free(t);
	return m;
}

int main(void)
{
	static const char *const what[NR_KINDS] = {
		[SEM] = "semaphore POST of 1",
		[MUTEX] = "mutex UNLOCK",
	};
	struct samples s[NR_KINDS][NR_LEVELS] = { 0 };
	int calls = scaled(60, 5), rep, i, k, err = 0;
	char label[128], peer[64], runs[64];
	long stalls = 0;

	pin_cpu(CPU_A);
	set_fifo(MAIN_PRIO);
	raise_nofile(4096);
	progress("wake scaling: starting 2 x 1111 sleeper threads on CPU %d", CPU_B);
	for (k = 0; k < NR_KINDS; k++)
		for (i = 0; i < NR_LEVELS; i++)
			start_group(&groups[k][i], k, sleepers[i]);
	for (k = 0; k < NR_KINDS; k++)
		for (i = 0; i < NR_LEVELS; i++)
			if (!wait_full(&groups[k][i], 60000000))
				bail("%d sleepers of %s did not all queue (%d did)",
				     sleepers[i], groups[k][i].name,
				     waiting(&groups[k][i]));

	progress("wake scaling: %d reps x %d timed calls per object, caller SCHED_FIFO %d on CPU %d",
		 REPS, calls, MAIN_PRIO, CPU_A);
	for (rep = 0; rep < REPS; rep++)
		for (i = 0; i < NR_LEVELS * NR_KINDS; i++) {
			int n = (rep + i) % (NR_LEVELS * NR_KINDS);
			int level = n / NR_KINDS;
			enum kind kind = n % NR_KINDS;

			add_sample(&s[kind][level],
				   measure(&groups[kind][level], calls, &stalls));
		}
	ok(stalls == 0, "wake scaling: every woken sleeper queued again (%ld did not within 5 s)",
	   stalls);

	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < NR_KINDS; k++)
		for (i = 0; i < NR_LEVELS; i++)
			err |= stop_group(&groups[k][i]);
	ok(errors == 0, "wake scaling: every wait, post, lock and unlock succeeded (%ld failed)",
	   errors);
	ok(!err, "wake scaling: sleepers released and objects removed");

	snprintf(runs, sizeof(runs), "%d reps x %d calls", REPS, calls);
	for (k = 0; k < NR_KINDS; k++) {
		snprintf(peer, sizeof(peer), "%d sleeper", sleepers[0]);
		for (i = 1; i < NR_LEVELS; i++) {
			snprintf(label, sizeof(label), "%s, %d sleepers",
				 what[k], sleepers[i]);
			row("6", label, samples_median(&s[k][i]), peer,
			    samples_median(&s[k][0]), "ns", "<=1.5", runs);
		}
	}
	return tap_done();
}
