// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Wake cost against the number of sleepers: how long one POST of 1 on an
 * rtsync semaphore, and one UNLOCK of an rtsync mutex, take as seen by the
 * caller when 1, 10, 100 or 1000 threads sleep on the object. Each call
 * wakes exactly one sleeper, so the figure should not grow with the queue.
 *
 * All four queue lengths exist at once (one semaphore and one mutex per
 * length, 2 x 1111 sleeper threads on CPU B), so the measurements can be
 * interleaved. The measuring thread is SCHED_FIFO 10 on CPU A.
 *
 * The woken sleeper is always the same thread, the group's "first": it is
 * SCHED_FIFO 5 while the others are SCHED_OTHER, so it heads the queue
 * (both rtsync's semaphore queue and rt_mutex order by priority), and
 * after each wake-up it queues at the head again.
 *  - Semaphores: the caller posts 1, timed; the first sleeper returns from
 *    WAIT and waits again.
 *  - Mutexes: the caller holds the mutex, times its unlock and locks it
 *    again at once. Being of higher priority than the woken sleeper it
 *    takes the lock back (rt_mutex lets a higher-priority task steal from
 *    a woken waiter), so the sleeper goes back to sleep inside LOCK.
 * Before the next call the caller waits until the first sleeper has run
 * and is asleep again (its context-switch count went up and its state is
 * S, from /proc), and for semaphores until all n are queued: the next
 * call then meets the same quiet queue, and the woken sleeper's own work
 * (re-queueing, which may walk the queue) is not part of the figure.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <limits.h>

#define REPS		9
#define MAIN_PRIO	10
#define FIRST_PRIO	5
#define STACK_SIZE	(64 * 1024)
#define QUIET_WAIT_NS	(2 * 1000000000LL)

static const int sleepers[] = { 1, 10, 100, 1000 };
#define NR_LEVELS	((int)(sizeof(sleepers) / sizeof(sleepers[0])))

enum kind { SEM, MUTEX, NR_KINDS };

struct group {
	enum kind kind;
	int fd;
	int n;
	pthread_t *threads;
	pid_t first_tid;	/* the sleeper every call wakes */
	int first_status;	/* its /proc status, open */
	int first_stat;		/* its /proc stat, open */
	char name[64];
};

static struct group groups[NR_KINDS][NR_LEVELS];
static int stop;
static long errors;

static void count_error(void)
{
	__atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
}

static void sleep_on(struct group *g)
{
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
}

static void *first_sleeper(void *arg)
{
	struct group *g = arg;

	pin_cpu(CPU_B);
	set_fifo(FIRST_PRIO);
	__atomic_store_n(&g->first_tid, gettid(), __ATOMIC_RELEASE);
	sleep_on(g);
	return NULL;
}

static void *other_sleeper(void *arg)
{
	pin_cpu(CPU_B);
	/* Threads inherit the creator's SCHED_FIFO: drop it. */
	set_fifo(0);
	sleep_on(arg);
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

/* The first sleeper's context switches so far; -1 if unreadable. */
static long first_switches(struct group *g)
{
	char buf[16384], *p;
	long sum = 0;
	ssize_t n;
	int found = 0;

	n = pread(g->first_status, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "ctxt_switches:")); p++, found++)
		sum += strtol(p + strlen("ctxt_switches:"), NULL, 10);
	return found == 2 ? sum : -1;
}

/* The first sleeper's state letter (field 3 of stat); '?' if unreadable. */
static char first_state(struct group *g)
{
	char buf[512], *p;
	ssize_t n;

	n = pread(g->first_stat, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * wait_quiet - wait until the first sleeper has switched since `switches`
 * and sleeps again, and all n sleepers are queued; 0 after QUIET_WAIT_NS.
 */
static int wait_quiet(struct group *g, long switches)
{
	int64_t end = now_ns() + QUIET_WAIT_NS;

	for (;;) {
		if (first_switches(g) > switches && first_state(g) == 'S' &&
		    waiting(g) == g->n)
			return 1;
		if (now_ns() > end)
			return 0;
		sleep_us(20);
	}
}

static int open_proc(pid_t tid, const char *file)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)tid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bail("open %s", path);
	return fd;
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
		errno = pthread_create(&g->threads[i], &attr,
				       i ? other_sleeper : first_sleeper, g);
		if (errno)
			bail("pthread_create (sleeper %d of %d)", i + 1, n);
	}
	pthread_attr_destroy(&attr);
	while (!__atomic_load_n(&g->first_tid, __ATOMIC_ACQUIRE))
		sleep_us(100);
	g->first_status = open_proc(g->first_tid, "status");
	g->first_stat = open_proc(g->first_tid, "stat");
	if (first_switches(g) < 0 || first_state(g) == '?')
		bail("reading /proc/self/task/%d/status and stat", (int)g->first_tid);
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
	close(g->first_status);
	close(g->first_stat);
	err |= rtsync_close(g->fd);
	err |= rtsync_unlink(g->name);
	return err;
}

/* One rep on g: the median of `calls` timed calls, in ns. */
static double measure(struct group *g, int calls, long *stalls)
{
	double *t = calloc(calls, sizeof(*t));
	long switches;
	int64_t start;
	double m;
	int i;

	if (!t)
		bail("calloc");
	for (i = 0; i < calls; i++) {
		switches = first_switches(g);
		start = now_ns();
		if (g->kind == SEM) {
			if (rtsync_sem_post(g->fd, 1, NULL))
				count_error();
			t[i] = now_ns() - start;
		} else {
			if (rtsync_mutex_unlock(g->fd))
				count_error();
			t[i] = now_ns() - start;
			if (rtsync_mutex_lock(g->fd))
				count_error();
		}
		if (!wait_quiet(g, switches))
			++*stalls;
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
	diag("wake scaling: starting 2 x 1111 sleeper threads on CPU %d", CPU_B);
	for (k = 0; k < NR_KINDS; k++)
		for (i = 0; i < NR_LEVELS; i++)
			start_group(&groups[k][i], k, sleepers[i]);
	for (k = 0; k < NR_KINDS; k++)
		for (i = 0; i < NR_LEVELS; i++)
			if (!wait_quiet(&groups[k][i], -1))
				bail("%d sleepers of %s did not all queue (%d did)",
				     sleepers[i], groups[k][i].name,
				     waiting(&groups[k][i]));

	diag("wake scaling: %d reps x %d timed calls per object, caller SCHED_FIFO %d on CPU %d",
		 REPS, calls, MAIN_PRIO, CPU_A);
	for (rep = 0; rep < REPS; rep++)
		for (i = 0; i < NR_LEVELS * NR_KINDS; i++) {
			int n = (rep + i) % (NR_LEVELS * NR_KINDS);
			int level = n / NR_KINDS;
			enum kind kind = n % NR_KINDS;

			add_sample(&s[kind][level],
				   measure(&groups[kind][level], calls, &stalls));
		}
	/* A rare miss is the host's doing (a vCPU descheduled for long);
	 * many mean the sleepers do not behave as described above.
	 */
	ok(stalls * 100 <= (long)REPS * calls * NR_LEVELS * NR_KINDS,
	   "wake scaling: after at least 99%% of the calls the woken sleeper was asleep and queued again within 2 s (%ld of %d were not)",
	   stalls, REPS * calls * NR_LEVELS * NR_KINDS);

	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < NR_KINDS; k++)
		for (i = 0; i < NR_LEVELS; i++)
			err |= stop_group(&groups[k][i]);
	ok(errors == 0, "wake scaling: every wait, post, lock and unlock succeeded (%ld failed)",
	   errors);
	ok(!err, "wake scaling: sleepers released and objects removed");

	snprintf(runs, sizeof(runs), "%d reps x %d calls%s", REPS, calls,
		 stalls ? "; some woken sleepers slow to settle" : "");
	for (k = 0; k < NR_KINDS; k++) {
		snprintf(peer, sizeof(peer), "%d sleeper", sleepers[0]);
		for (i = 1; i < NR_LEVELS; i++) {
			snprintf(label, sizeof(label), "%s, %d sleepers",
				 what[k], sleepers[i]);
			row_paired("6", label, &s[k][i], peer, &s[k][0], "ns",
				   "<=1.5", runs);
		}
	}
	return tap_done();
}
