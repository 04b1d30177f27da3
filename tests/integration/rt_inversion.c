// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The classic priority inversion, on a PREEMPT_RT kernel: a SCHED_OTHER
 * owner holds the lock, a busy SCHED_FIFO thread at a middle priority runs
 * on every CPU, and a high-priority SCHED_FIFO waiter asks for the lock.
 * With an rtsync mutex the owner must be boosted above the load (it sees
 * its own priority in /proc while it works) and the waiter must get the
 * lock. The same scenario with a semaphore as the lock (no owner, no
 * priority inheritance) runs in the same boot, and the worst wait of each
 * is printed beside the other. Latencies are reported, never judged: TCG
 * timing is not a real machine's.
 *
 * Skips unless /sys/kernel/realtime reads 1 (PREEMPT_RT kernels only).
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"

#define LOAD_RTPRIO	50	/* the busy threads: middle */
#define WAITER_RTPRIO	80	/* above the load */
#define PARENT_RTPRIO	90	/* keeps the test in control under the load */
#define BOOSTED		PRIO_FIFO(WAITER_RTPRIO)

#define ROUNDS		5
#define WORK_NS		2000000		/* owner's CPU time in the critical section */
/* The load stops by itself after this, so a starved owner cannot hang the
 * run even with RT throttling turned off.
 */
#define LOAD_MAX_MS	5000
#define MAX_CPUS	64

enum lock_kind { KIND_MUTEX, KIND_SEM };

/* One round, shared between the parent, the owner and the waiter. */
struct round {
	enum lock_kind kind;
	int fd;

	int owner_ret;		/* the owner's lock (or wait) */
	int owner_min_prio;	/* best priority the owner saw itself run at */
	int owner_unlock_ret;
	volatile int held;
	volatile int waiter_ready;
	volatile int go;	/* parent: waiter, lock now */
	volatile int wanting;	/* waiter: about to lock */
	volatile int done;	/* waiter: acquired and released */
	int waiter_fifo_err;
	int waiter_ret;
	int waiter_unlock_ret;
	int64_t latency_ns;	/* waiter: from its lock call to owning */
};

static int take(const struct round *r)
{
	return r->kind == KIND_MUTEX ? rtsync_mutex_lock(r->fd) :
				       rtsync_sem_wait(r->fd);
}

static int give(const struct round *r)
{
	return r->kind == KIND_MUTEX ? rtsync_mutex_unlock(r->fd) :
				       rtsync_sem_post(r->fd, 1, NULL);
}

static int64_t thread_cpu_ns(void)
{
	return now_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* The low-priority owner: lock, wait for the waiter, then work WORK_NS of
 * CPU time, watching its own priority, and release.
 */
static int owner_main(void *arg)
{
	struct round *r = arg;
	struct sched_param other = { .sched_priority = 0 };
	int64_t start, end;
	pid_t tid = gettid();
	int prio;

	/* forked from the SCHED_FIFO parent */
	if (sched_setscheduler(0, SCHED_OTHER, &other))
		return 2;
	r->owner_ret = take(r);
	r->owner_min_prio = thread_prio(getpid(), tid);
	if (r->owner_min_prio == PRIO_UNKNOWN)
		r->owner_min_prio = INT_MAX;
	flag_set(&r->held, 1);
	if (r->owner_ret)
		return 0;
	end = now_ns(CLOCK_MONOTONIC) + 60 * 1000000000LL;
	while (!flag_get(&r->wanting) && now_ns(CLOCK_MONOTONIC) < end)
		;	/* starved here once the load runs: that is the scenario */
	start = thread_cpu_ns();
	while (thread_cpu_ns() - start < WORK_NS) {
		prio = thread_prio(getpid(), tid);
		if (prio != PRIO_UNKNOWN && prio < r->owner_min_prio)
			r->owner_min_prio = prio;
	}
	r->owner_unlock_ret = give(r);
	return 0;
}

/* The high-priority waiter. */
static int waiter_main(void *arg)
{
	struct round *r = arg;
	int64_t t0;

	r->waiter_fifo_err = set_fifo(WAITER_RTPRIO);
	flag_set(&r->waiter_ready, 1);
	if (r->waiter_fifo_err)
		return 0;
	if (!flag_wait(&r->go, 1, 60000))
		return 3;
	t0 = now_ns(CLOCK_MONOTONIC);
	flag_set(&r->wanting, 1);
	r->waiter_ret = take(r);
	r->latency_ns = now_ns(CLOCK_MONOTONIC) - t0;
	if (!r->waiter_ret)
		r->waiter_unlock_ret = give(r);
	flag_set(&r->done, 1);
	return 0;
}

/* ---- the load: one busy SCHED_FIFO thread per CPU ---- */

struct load;

struct load_thread {
	struct load *load;
	int cpu;
	int started;
	pthread_t thread;
};

struct load {
	int ncpu;
	struct load_thread threads[MAX_CPUS];
	volatile int stop;
};

static void *load_main(void *arg)
{
	struct load_thread *t = arg;
	int64_t end = now_ns(CLOCK_MONOTONIC) + LOAD_MAX_MS * 1000000LL;

	pin_cpu(t->cpu);
	while (!flag_get(&t->load->stop) && now_ns(CLOCK_MONOTONIC) < end)
		;
	return NULL;
}

/* Start it; returns how many threads run at SCHED_FIFO LOAD_RTPRIO. */
static int load_start(struct load *l)
{
	struct sched_param p = { .sched_priority = LOAD_RTPRIO };
	pthread_attr_t attr;
	int i, n = 0;

	flag_set(&l->stop, 0);
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &p);
	for (i = 0; i < l->ncpu; i++) {
		struct load_thread *t = &l->threads[i];

		t->load = l;
		t->cpu = i;
		t->started = !pthread_create(&t->thread, &attr, load_main, t);
		n += t->started;
	}
	pthread_attr_destroy(&attr);
	return n;
}

static void load_stop(struct load *l)
{
	int i;

	flag_set(&l->stop, 1);
	for (i = 0; i < l->ncpu; i++)
		if (l->threads[i].started &&
		    join_thread(l->threads[i].thread, 30, NULL))
			diag("load thread %d did not stop", i);
}

/* ---- one scenario ---- */

struct outcome {
	int rounds;		/* rounds that ran to the end */
	int acquired;		/* waiter got the lock */
	int boosted;		/* owner saw itself at BOOSTED */
	int stayed_normal;	/* owner never ran above PRIO_NORMAL */
	int load_ok;		/* every load thread ran at LOAD_RTPRIO */
	int64_t worst_ns, best_ns, total_ns;
};

static int run_round(struct load *l, enum lock_kind kind, int fd,
		     struct outcome *o)
{
	struct round *r = shared_mem(sizeof(*r));
	pid_t opid, wpid;
	int ok_round = 1, ocode, wcode;

	r->kind = kind;
	r->fd = fd;
	opid = start_child(owner_main, r);
	if (!flag_wait(&r->held, 1, 30000) || r->owner_ret) {
		diag("owner did not take the lock (%s)", strerror(r->owner_ret));
		ok_round = 0;
	}
	wpid = start_child(waiter_main, r);
	if (!flag_wait(&r->waiter_ready, 1, 30000) || r->waiter_fifo_err)
		ok_round = 0;
	if (ok_round) {
		o->load_ok &= load_start(l) == l->ncpu;
		sleep_ms(20);	/* the load owns every CPU now */
		flag_set(&r->go, 1);
		if (!flag_wait(&r->done, 1, LOAD_MAX_MS + 30000)) {
			diag("waiter did not finish");
			ok_round = 0;
		}
		load_stop(l);
	}
	flag_set(&r->go, 1);
	ocode = wait_child(opid, 60);
	wcode = wait_child(wpid, 60);
	if (ocode || wcode) {
		diag("owner exited %d, waiter %d", ocode, wcode);
		ok_round = 0;
	}
	if (ok_round) {
		o->rounds++;
		o->acquired += !r->waiter_ret && !r->waiter_unlock_ret &&
			       !r->owner_unlock_ret;
		o->boosted += r->owner_min_prio == BOOSTED;
		o->stayed_normal += r->owner_min_prio == PRIO_NORMAL;
		o->total_ns += r->latency_ns;
		if (r->latency_ns > o->worst_ns)
			o->worst_ns = r->latency_ns;
		if (!o->best_ns || r->latency_ns < o->best_ns)
			o->best_ns = r->latency_ns;
	}
	shared_free(r, sizeof(*r));
	return ok_round;
}

static void run_scenario(struct load *l, enum lock_kind kind,
			 struct outcome *o)
{
	char name[64];
	int fd, i, err;

	memset(o, 0, sizeof(*o));
	o->load_ok = 1;
	if (kind == KIND_MUTEX) {
		test_name(name, sizeof(name), "rtinv-m");
		fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);
	} else {
		test_name(name, sizeof(name), "rtinv-s");
		fd = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, 1, 1);
	}
	if (fd < 0)
		bail_out("rtsync open(O_CREAT|O_EXCL)");
	for (i = 0; i < ROUNDS; i++)
		if (!run_round(l, kind, fd, o))
			break;
	if (close(fd))
		diag("close(%s): %s", name, strerror(errno));
	err = rtsync_unlink(name);
	if (err)
		diag("rtsync_unlink(%s): %s", name, strerror(err));
}

static int is_realtime(void)
{
	unsigned long v;

	return !read_number("/sys/kernel/realtime", &v) && v == 1;
}

static void skip_all(const char *why)
{
	skip(why, "the load runs at SCHED_FIFO on every CPU");
	skip(why, "mutex: the owner is boosted above the load in every round");
	skip(why, "mutex: the waiter gets the lock in every round");
	skip(why, "semaphore: the waiter gets the lock in every round");
	skip(why, "semaphore: the holder is never boosted (no owner, no PI)");
}

int main(void)
{
	static struct load load;
	struct outcome m, s;
	long n;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!is_realtime()) {
		skip_all("not a PREEMPT_RT kernel (/sys/kernel/realtime)");
		return tap_done();
	}
	err = set_fifo(PARENT_RTPRIO);
	if (err) {
		diag("sched_setscheduler(SCHED_FIFO %d): %s", PARENT_RTPRIO,
		     strerror(err));
		skip_all("SCHED_FIFO not permitted");
		return tap_done();
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	load.ncpu = n < 1 ? 1 : n > MAX_CPUS ? MAX_CPUS : (int)n;
	diag("%d CPUs, each with a busy SCHED_FIFO %d thread; owner SCHED_OTHER, waiter SCHED_FIFO %d, %d ms of owner work per round",
	     load.ncpu, LOAD_RTPRIO, WAITER_RTPRIO, WORK_NS / 1000000);

	run_scenario(&load, KIND_MUTEX, &m);
	run_scenario(&load, KIND_SEM, &s);
	/* Report at normal priority, so the console's threads can run. */
	sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){ 0 });

	ok(m.load_ok && s.load_ok, "the load ran at SCHED_FIFO %d on all %d CPUs",
	   LOAD_RTPRIO, load.ncpu);
	ok(m.rounds == ROUNDS && m.boosted == ROUNDS,
	   "mutex: the owner is boosted above the load in every round (%d of %d rounds, %d boosted to %d)",
	   m.rounds, ROUNDS, m.boosted, BOOSTED);
	ok(m.rounds == ROUNDS && m.acquired == ROUNDS,
	   "mutex: the waiter gets the lock in every round (%d of %d)",
	   m.acquired, ROUNDS);
	ok(s.rounds == ROUNDS && s.acquired == ROUNDS,
	   "semaphore: the waiter gets the lock in every round (%d of %d)",
	   s.acquired, ROUNDS);
	ok(s.rounds == ROUNDS && s.stayed_normal == ROUNDS,
	   "semaphore: the holder is never boosted (no owner, no PI) (%d of %d)",
	   s.stayed_normal, ROUNDS);
	if (m.rounds && s.rounds)
		diag("waiter's wait, best / mean / worst of %d rounds: PI mutex %.2f / %.2f / %.2f ms, semaphore %.2f / %.2f / %.2f ms",
		     ROUNDS, ns_to_ms(m.best_ns), ns_to_ms(m.total_ns / m.rounds),
		     ns_to_ms(m.worst_ns), ns_to_ms(s.best_ns),
		     ns_to_ms(s.total_ns / s.rounds), ns_to_ms(s.worst_ns));
	return tap_done();
}
