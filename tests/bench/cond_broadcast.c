// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Condition-variable BROADCAST with 1, 10 and 100 waiters: the time from
 * the BROADCAST until every woken waiter has taken the mutex back and
 * released it, and the voluntary context switches each waiter spent on
 * it; an rtsync condition and mutex against a process-shared pthread
 * condition variable with a robust PI process-shared mutex (the futex
 * peer), measured in the same boot.
 *
 * rtsync's BROADCAST wakes every waiter and each then re-takes the mutex
 * through its rt_mutex, so they are handed it one at a time in priority
 * order (module/cond.c). glibc's pthread_cond_broadcast also wakes all,
 * and each waiter then locks the PI mutex through FUTEX_LOCK_PI, i.e. the
 * kernel's rt_mutex too. Without a stampede each waiter costs about one
 * wake-up and at most one more sleep on the mutex: the time grows
 * linearly with the waiters and each spends one or two voluntary context
 * switches (one to sleep on the condition, perhaps one on the mutex). The
 * per-waiter rows compare the time per waiter with 100 waiters against
 * the time with one and the time per waiter with 10, and the switch rows
 * count the switches.
 *
 * Every (kind, number of waiters) pair is a group: one mutex and one
 * condition, and that many single-threaded waiter processes, alternately
 * pinned to CPU B and CPU A, that all live for the whole run (so reps of
 * the six groups can be interleaved). The broadcaster is the main process
 * on CPU A; everybody is SCHED_OTHER. One round of a group:
 *  1. the broadcaster opens the group's gate (a futex word); each waiter
 *     locks the mutex, counts itself in `arrived`, and waits on the
 *     condition until `gen` changes;
 *  2. when all have arrived, the broadcaster locks the mutex (now every
 *     waiter is queued on the condition: it counted itself holding the
 *     mutex and released it only by waiting), bumps `gen`, reads the
 *     clock, broadcasts and unlocks;
 *  3. each waiter returns from the wait holding the mutex, checks `gen`,
 *     unlocks, notes the time and its switches since step 1's wait, and
 *     waits at the gate, so nobody competes for the mutex before the
 *     round is over. The round took from the clock read in 2 to the
 *     latest release.
 * Correctness is checked on the way: nobody holds a mutex while anyone
 * else does (an atomic count of holders), every waiter returns from the
 * wait once per BROADCAST and sees every one, and for rtsync the
 * condition reports all waiters queued before each BROADCAST.
 *
 * Nearly every step is a wake-up across CPUs. Under TCG on a busy host
 * such a wake-up can wait for the host to run the other vCPU (multiples
 * of its 4 ms tick were seen), which swamps the figures for both kinds:
 * read them from a run on a quiet host (the report prints its load).
 */
#define _GNU_SOURCE
#include "bench.h"

#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#define REPS		9
#define MAX_WAITERS	100
/* Most BROADCASTs in one rep of a group. */
#define MAX_ROUNDS	64
/* A round or an arrival slower than this means a waiter was never woken. */
#define ROUND_TIMEOUT_S	20

static const int waiters_at[] = { 1, 10, 100 };
#define NR_LEVELS	((int)(sizeof(waiters_at) / sizeof(waiters_at[0])))
#define LEVEL_1		0
#define LEVEL_10	1
#define LEVEL_100	2

enum kind { RTSYNC, PTHREAD, NR_KINDS };

static const char *const kind_name[NR_KINDS] = {
	[RTSYNC]	= "rtsync",
	[PTHREAD]	= "pthread",
};

/* What one waiter process reports, in shared memory. */
struct waiter_slot {
	int64_t released_ns;	/* when it released the mutex this round */
	long round_switches;	/* voluntary switches in this round's wait */
	long wakes;		/* returns from the wait, all rounds */
};

/* One group: a mutex, a condition and its waiters, in shared memory. */
struct group {
	enum kind kind;
	int n;
	int mutex_fd, cond_fd;		/* rtsync */
	pthread_mutex_t pmutex;		/* pthread peer */
	pthread_cond_t pcond;
	char mutex_name[64], cond_name[64];

	int gen;		/* bumped by each BROADCAST, under the mutex */
	int arrived;		/* waiters in the wait this round, futex word */
	int done;		/* waiters that released this round, futex word */
	int gate;		/* round number, futex word */
	int stop;
	int holders;		/* tasks inside the mutex right now */

	long overlaps;		/* a task got the mutex while another held it */
	long missed;		/* a waiter saw gen move by other than one */
	long errors;		/* failed calls */
	long rounds;		/* BROADCASTs so far */
	struct waiter_slot w[MAX_WAITERS];
	pid_t pids[MAX_WAITERS];
};

static struct group *groups;	/* [NR_KINDS * NR_LEVELS], shared */

static struct group *group_of(enum kind kind, int level)
{
	return &groups[kind * NR_LEVELS + level];
}

static void count(long *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
}

/* ---- futex words shared between processes ---- */

static long futex(int *word, int op, int val, const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

static void futex_wake_all(int *word)
{
	futex(word, FUTEX_WAKE, INT_MAX, NULL);
}

/*
 * wait_until_at_least - sleep until *word >= val; 0 after ROUND_TIMEOUT_S.
 * Whoever raises *word to val wakes the word.
 */
static int wait_until_at_least(int *word, int val)
{
	int64_t end = now_ns() + (int64_t)ROUND_TIMEOUT_S * 1000000000;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	int cur;

	while ((cur = __atomic_load_n(word, __ATOMIC_ACQUIRE)) < val) {
		if (now_ns() > end)
			return 0;
		futex(word, FUTEX_WAIT, cur, &ts);
	}
	return 1;
}

/* ---- the two kinds behind one interface ---- */

static int lock(struct group *g)
{
	if (g->kind == RTSYNC)
		return rtsync_mutex_lock(g->mutex_fd);
	return pthread_mutex_lock(&g->pmutex);
}

static int unlock(struct group *g)
{
	if (g->kind == RTSYNC)
		return rtsync_mutex_unlock(g->mutex_fd);
	return pthread_mutex_unlock(&g->pmutex);
}

static int cond_wait(struct group *g)
{
	if (g->kind == RTSYNC)
		return rtsync_cond_wait(g->cond_fd, g->mutex_fd);
	return pthread_cond_wait(&g->pcond, &g->pmutex);
}

static int broadcast(struct group *g)
{
	if (g->kind == RTSYNC)
		return rtsync_cond_broadcast(g->cond_fd);
	return pthread_cond_broadcast(&g->pcond);
}

/* enter, leave - bracket every stay inside the mutex: holders must be 1 */
static void enter(struct group *g)
{
	if (__atomic_add_fetch(&g->holders, 1, __ATOMIC_SEQ_CST) != 1)
		count(&g->overlaps);
}

static void leave(struct group *g)
{
	__atomic_sub_fetch(&g->holders, 1, __ATOMIC_SEQ_CST);
}

static void check(struct group *g, int err)
{
	if (err)
		count(&g->errors);
}

static long voluntary_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_nvcsw;
}

/* ---- a waiter process ---- */

struct waiter_arg {
	struct group *g;
	int index;
};

static int waiter(void *arg)
{
	const struct waiter_arg *a = arg;
	struct group *g = a->g;
	struct waiter_slot *slot = &g->w[a->index];
	int gate_seen = 0, seen;
	long before;

	/* The first waiter on CPU B: with one waiter, the wake crosses CPUs. */
	pin_cpu(a->index % 2 ? CPU_A : CPU_B);
	for (;;) {
		while (__atomic_load_n(&g->gate, __ATOMIC_ACQUIRE) == gate_seen)
			futex(&g->gate, FUTEX_WAIT, gate_seen, NULL);
		gate_seen = __atomic_load_n(&g->gate, __ATOMIC_ACQUIRE);

		check(g, lock(g));
		enter(g);
		if (__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
			leave(g);
			check(g, unlock(g));
			return 0;
		}
		seen = g->gen;
		if (__atomic_add_fetch(&g->arrived, 1, __ATOMIC_SEQ_CST) == g->n)
			futex_wake_all(&g->arrived);
		before = voluntary_switches();
		do {
			leave(g);
			check(g, cond_wait(g));
			enter(g);
			slot->wakes++;
		} while (g->gen == seen);
		if (g->gen != seen + 1)
			count(&g->missed);
		leave(g);
		check(g, unlock(g));
		slot->released_ns = now_ns();
		slot->round_switches = voluntary_switches() - before;
		if (__atomic_add_fetch(&g->done, 1, __ATOMIC_SEQ_CST) == g->n)
			futex_wake_all(&g->done);
	}
}

/* ---- the broadcaster ---- */

static void start_group(enum kind kind, int level)
{
	struct group *g = group_of(kind, level);
	pthread_condattr_t cattr;
	struct waiter_arg arg;
	int i;

	g->kind = kind;
	g->n = waiters_at[level];
	if (kind == RTSYNC) {
		bench_name(g->mutex_name, sizeof(g->mutex_name), "bcast-mutex", g->n);
		bench_name(g->cond_name, sizeof(g->cond_name), "bcast-cond", g->n);
		g->mutex_fd = rtsync_mutex_open(g->mutex_name, O_CREAT | O_EXCL,
						0600, 0);
		if (g->mutex_fd < 0)
			bail("rtsync_mutex_open %s", g->mutex_name);
		g->cond_fd = rtsync_cond_open(g->cond_name, O_CREAT | O_EXCL, 0600);
		if (g->cond_fd < 0)
			bail("rtsync_cond_open %s", g->cond_name);
	} else {
		pi_mutex_init(&g->pmutex);
		if (pthread_condattr_init(&cattr) ||
		    pthread_condattr_setpshared(&cattr, PTHREAD_PROCESS_SHARED))
			bail("pthread_condattr_*");
		errno = pthread_cond_init(&g->pcond, &cattr);
		if (errno)
			bail("pthread_cond_init(shared)");
		pthread_condattr_destroy(&cattr);
	}
	for (i = 0; i < g->n; i++) {
		/* The child has its own copy of arg from the fork. */
		arg.g = g;
		arg.index = i;
		g->pids[i] = spawn(waiter, &arg);
	}
}

/* stop_group - let the waiters exit, reap them, remove the objects */
static int stop_group(struct group *g)
{
	int i, all_ok = 1;

	__atomic_store_n(&g->stop, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&g->gate, 1, __ATOMIC_SEQ_CST);
	futex_wake_all(&g->gate);
	for (i = 0; i < g->n; i++)
		all_ok &= reap(g->pids[i]);
	if (g->kind == RTSYNC) {
		all_ok &= !rtsync_close(g->mutex_fd) && !rtsync_close(g->cond_fd) &&
			  !rtsync_unlink(g->mutex_name) &&
			  !rtsync_unlink(g->cond_name);
	} else {
		all_ok &= !pthread_cond_destroy(&g->pcond) &&
			  !pthread_mutex_destroy(&g->pmutex);
	}
	return all_ok;
}

/*
 * round_of - one BROADCAST to all of g's waiters; returns the ns until the
 * last of them released the mutex, and adds their switches to *switches.
 */
static double round_of(struct group *g, long *switches)
{
	struct rtsync_cond_status st;
	int64_t start, last = 0;
	int i;

	__atomic_store_n(&g->arrived, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&g->done, 0, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&g->gate, 1, __ATOMIC_SEQ_CST);
	futex_wake_all(&g->gate);
	if (!wait_until_at_least(&g->arrived, g->n))
		bail("%d waiters of a group of %d did not reach the wait in %d s",
		     g->n - __atomic_load_n(&g->arrived, __ATOMIC_SEQ_CST), g->n,
		     ROUND_TIMEOUT_S);

	check(g, lock(g));
	enter(g);
	/* Counted in holding the mutex, released it by waiting: all queued. */
	if (g->kind == RTSYNC &&
	    (rtsync_cond_info(g->cond_fd, &st) || st.waiters != (unsigned int)g->n))
		count(&g->errors);
	g->gen++;
	g->rounds++;
	start = now_ns();
	check(g, broadcast(g));
	leave(g);
	check(g, unlock(g));
	if (!wait_until_at_least(&g->done, g->n))
		bail("%d waiters of a group of %d did not take the mutex back within %d s of the BROADCAST",
		     g->n - __atomic_load_n(&g->done, __ATOMIC_SEQ_CST), g->n,
		     ROUND_TIMEOUT_S);
	for (i = 0; i < g->n; i++) {
		if (g->w[i].released_ns > last)
			last = g->w[i].released_ns;
		*switches += g->w[i].round_switches;
	}
	return last - start;
}

/*
 * measure - one rep of g: `rounds` BROADCASTs; the median time, and the
 * mean voluntary switches per waiter per BROADCAST in *switches_per_waiter.
 */
static double measure(struct group *g, int rounds, double *switches_per_waiter)
{
	double t[MAX_ROUNDS];
	long switches = 0;
	int i;

	for (i = 0; i < rounds; i++)
		t[i] = round_of(g, &switches);
	*switches_per_waiter = (double)switches / ((double)rounds * g->n);
	return median(t, rounds);
}

int main(void)
{
	static const char *const peer_label =
		"pthread cond + PI robust pshared mutex";
	struct samples t[NR_KINDS][NR_LEVELS] = { 0 };
	struct samples sw[NR_KINDS][NR_LEVELS] = { 0 };
	struct samples per_waiter[NR_KINDS][NR_LEVELS] = { 0 };
	int rounds = scaled(5, 2), rep, i, k, level, all_ok = 1;
	long overlaps[NR_KINDS] = { 0 }, missed[NR_KINDS] = { 0 };
	long errors[NR_KINDS] = { 0 }, bad_wakes[NR_KINDS] = { 0 };
	char label[160], peer[80], runs[64];
	double switches;

	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	pin_cpu(CPU_A);
	groups = shared_mem(sizeof(*groups) * NR_KINDS * NR_LEVELS);
	diag("cond broadcast: starting 2 x 111 waiter processes on CPUs %d and %d",
		 CPU_A, CPU_B);
	for (k = 0; k < NR_KINDS; k++)
		for (level = 0; level < NR_LEVELS; level++)
			start_group(k, level);
	/* Warm-up: first faults and first queueing stay out of the figures. */
	for (k = 0; k < NR_KINDS; k++)
		for (level = 0; level < NR_LEVELS; level++)
			measure(group_of(k, level), 1, &switches);

	diag("cond broadcast: %d reps x %d BROADCASTs per group, broadcaster on CPU %d",
		 REPS, rounds, CPU_A);
	for (rep = 0; rep < REPS; rep++)
		for (i = 0; i < NR_LEVELS * NR_KINDS; i++) {
			int n = (rep + i) % (NR_LEVELS * NR_KINDS);

			k = n % NR_KINDS;
			level = n / NR_KINDS;
			add_sample(&t[k][level],
				   measure(group_of(k, level), rounds, &switches));
			add_sample(&sw[k][level], switches);
		}

	for (k = 0; k < NR_KINDS; k++)
		for (level = 0; level < NR_LEVELS; level++) {
			struct group *g = group_of(k, level);

			all_ok &= stop_group(g);
			overlaps[k] += g->overlaps;
			missed[k] += g->missed;
			errors[k] += g->errors;
			for (i = 0; i < g->n; i++)
				bad_wakes[k] += g->w[i].wakes != g->rounds;
		}
	ok(errors[RTSYNC] == 0,
	   "cond broadcast: rtsync: every lock, unlock, wait, broadcast and info succeeded and the condition held all waiters before each BROADCAST (%ld did not)",
	   errors[RTSYNC]);
	ok(errors[PTHREAD] == 0,
	   "cond broadcast: pthread: every lock, unlock, wait and broadcast succeeded (%ld failed)",
	   errors[PTHREAD]);
	ok(overlaps[RTSYNC] == 0,
	   "cond broadcast: rtsync: nobody took the mutex while another held it (%ld times)",
	   overlaps[RTSYNC]);
	ok(overlaps[PTHREAD] == 0,
	   "cond broadcast: pthread: nobody took the mutex while another held it (%ld times)",
	   overlaps[PTHREAD]);
	ok(missed[RTSYNC] == 0 && bad_wakes[RTSYNC] == 0,
	   "cond broadcast: rtsync: every waiter returned from COND_WAIT exactly once per BROADCAST (%ld waiters did not, %ld broadcasts missed)",
	   bad_wakes[RTSYNC], missed[RTSYNC]);
	/* POSIX allows spurious wake-ups: the peer need only see every one. */
	ok(missed[PTHREAD] == 0,
	   "cond broadcast: pthread: every waiter saw every BROADCAST (%ld missed)",
	   missed[PTHREAD]);
	if (bad_wakes[PTHREAD])
		diag("cond broadcast: pthread: %ld waiters woke more than once per BROADCAST",
		     bad_wakes[PTHREAD]);
	ok(all_ok, "cond broadcast: waiters exited and objects removed");

	for (k = 0; k < NR_KINDS; k++)
		for (level = 0; level < NR_LEVELS; level++)
			for (rep = 0; rep < t[k][level].n; rep++)
				add_sample(&per_waiter[k][level],
					   t[k][level].v[rep] / waiters_at[level]);

	snprintf(runs, sizeof(runs), "%d reps x %d broadcasts", REPS, rounds);
	for (level = 0; level < NR_LEVELS; level++) {
		snprintf(label, sizeof(label),
			 "cond BROADCAST until all %d waiter%s re-took and released the mutex",
			 waiters_at[level], waiters_at[level] > 1 ? "s" : "");
		row_paired("9", label, &t[RTSYNC][level], peer_label,
			   &t[PTHREAD][level], "ns", "-", runs);
	}
	/*
	 * Linear cost: time per waiter with 100 against the time with 1 (a
	 * lone waiter has nobody to queue behind, but its wake-up always
	 * crosses CPUs) and against the time per waiter with 10.
	 */
	for (k = 0; k < NR_KINDS; k++) {
		snprintf(label, sizeof(label),
			 "%s cond BROADCAST, 100 waiters: time per waiter",
			 kind_name[k]);
		snprintf(peer, sizeof(peer), "%s, 1 waiter", kind_name[k]);
		row_paired("9", label, &per_waiter[k][LEVEL_100], peer,
			   &per_waiter[k][LEVEL_1], "ns", "-", runs);
		snprintf(peer, sizeof(peer), "%s, 10 waiters: per waiter",
			 kind_name[k]);
		row_paired("9", label, &per_waiter[k][LEVEL_100], peer,
			   &per_waiter[k][LEVEL_10], "ns", "-", runs);
	}
	for (level = 0; level < NR_LEVELS; level++) {
		snprintf(label, sizeof(label),
			 "cond BROADCAST, %d waiter%s: voluntary context switches per waiter",
			 waiters_at[level], waiters_at[level] > 1 ? "s" : "");
		row_paired("9", label, &sw[RTSYNC][level], peer_label,
			   &sw[PTHREAD][level], "switches", "-", runs);
	}
	return tap_done();
}
