// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Real-time latency beside a long deadlock check: how late a SCHED_FIFO 99
 * thread wakes while a SCHED_OTHER process on the same CPU keeps LOCKing
 * the head of a 1000-deep chain of mutexes, with rtsync mutexes against
 * PI futexes (robust PI pthread mutexes in shared memory). Run by
 * `make bench` in a boot of the PREEMPT_RT kernel.
 *
 * The chains: a child process on CPU B holds both, 1000 mutexes of each
 * kind, with one thread per mutex: thread i holds mutex i and sleeps on
 * mutex i + 1; the last one holds its mutex and waits for the end. A LOCK
 * of mutex 0 by anybody else then has to check 1000 edges for a cycle
 * before it sleeps: rtsync in its own lock-free walk, a PI futex in
 * rt_mutex's chain walk (FUTEX_LOCK_PI walks the whole chain to detect
 * deadlock), which takes and drops two locks a step. rtsync's max_chain
 * (1000 by default) admits exactly this chain.
 *
 * The load: the looper, a SCHED_OTHER process on CPU A, LOCKs mutex 0 of
 * the current phase's chain with a deadline 20 us ahead, again and again;
 * every LOCK must time out. It notes each LOCK's duration.
 *
 * The victim: the ticker, this process's main thread at SCHED_FIFO 99 on
 * CPU A, sleeps to absolute deadlines 500 us apart and notes how late it
 * woke. A deadline it woke too late to keep is skipped, not caught up.
 *
 * A SCHED_OTHER spinner also runs on CPU A in every phase, so that CPU A
 * never idles. Under QEMU TCG a halted virtual CPU takes milliseconds to
 * wake (measured without the spinner: the idle phase's p99.9 was 4.5 ms
 * against 2.8 ms with the PI-futex chain, whose long walks kept the CPU
 * busy), which would rank the phases by how often the looper sleeps
 * rather than by what the kernel keeps the ticker from running.
 *
 * Phases of PHASE_MS each: the rtsync chain, the PI-futex chain, and idle
 * (the looper only sleeps), in every round (at least two rounds, the
 * order of the first two alternating). The first WARMUP_MS of a phase are
 * not measured. Rows: the ticker's lateness p50/p99/p99.9/max with each
 * chain (median over rounds of each round's percentile; the ratio is the
 * median of the per-round ratios), idle (the spinner alone) as the floor,
 * and the mean duration of the head LOCK (20 us of it is the deadline).
 */
#define _GNU_SOURCE
#include "bench.h"

#define CHAIN		1000		/* mutexes in each chain */
#define TICK_NS		500000LL	/* the ticker's period */
#define TICKER_PRIO	99
#define LOCK_TIMEOUT_NS	20000LL		/* the looper's deadline */
#define PHASE_MS	4000
#define WARMUP_MS	50
#define ROUNDS		5
#define LINK_STACK	(64 * 1024)
#define NSEC_PER_MSEC	1000000LL

enum kind { RTSYNC, PI_FUTEX, IDLE, NR_KINDS };

static const char *const kind_label[NR_KINDS] = {
	[RTSYNC] = "rtsync chain",
	[PI_FUTEX] = "PI-futex chain",
	[IDLE] = "idle",
};

/* What the looper measured in one phase. */
struct phase_cost {
	long calls;		/* LOCKs wholly inside the measured part */
	int64_t ns;		/* their summed duration */
};

struct shared {
	pthread_mutex_t pi[CHAIN];
	int phase;		/* enum kind the looper works on */
	int measuring;		/* 1 + index of the phase being measured, or 0 */
	int stop;		/* looper: exit */
	int release;		/* chain holders: undo the chains */
	int holding[NR_KINDS];	/* chain threads holding their own mutex */
	long timedout;		/* looper's LOCKs that timed out, as they must */
	long errors;		/* any other outcome of any call */
	struct phase_cost cost[ROUNDS * 4 * NR_KINDS];
};

static struct shared *sh;
static int fds[CHAIN];

static int get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void put(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void count(long *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

static int lock(enum kind kind, int i)
{
	return kind == RTSYNC ? rtsync_mutex_lock(fds[i]) :
				pthread_mutex_lock(&sh->pi[i]);
}

static int unlock(enum kind kind, int i)
{
	return kind == RTSYNC ? rtsync_mutex_unlock(fds[i]) :
				pthread_mutex_unlock(&sh->pi[i]);
}

/* ---- the chains ---- */

struct link {
	enum kind kind;
	int i;
	pthread_t thread;
};

/*
 * link_main - thread i of a chain: hold mutex i, then sleep on mutex i + 1
 * (the last thread: wait for the release) until the chain is undone from
 * its tail.
 */
static void *link_main(void *arg)
{
	struct link *l = arg;
	int ret;

	ret = lock(l->kind, l->i);
	if (ret) {
		count(&sh->errors);
		return NULL;
	}
	__atomic_add_fetch(&sh->holding[l->kind], 1, __ATOMIC_SEQ_CST);
	if (l->i == CHAIN - 1) {
		while (!get(&sh->release))
			sleep_us(10000);
	} else {
		ret = lock(l->kind, l->i + 1);
		if (ret || unlock(l->kind, l->i + 1))
			count(&sh->errors);
	}
	if (unlock(l->kind, l->i))
		count(&sh->errors);
	return NULL;
}

/* chain_asleep - every thread but the last one is asleep on its next mutex */
static int chain_asleep(enum kind kind)
{
	struct rtsync_mutex_status st;
	int i;

	for (i = 1; i < CHAIN; i++) {
		if (kind == RTSYNC) {
			if (rtsync_mutex_info(fds[i], &st))
				bail("rtsync_mutex_info");
			if (st.waiters != 1)
				return 0;
		} else if (!(sh->pi[i].__data.__lock & 0x80000000u)) {
			/* FUTEX_WAITERS: a waiter entered the kernel */
			return 0;
		}
	}
	return 1;
}

/*
 * build_chain - start the threads of one chain from its tail, each after
 * the one behind it holds its mutex (else thread i could take mutex i + 1
 * first), and wait until they all sleep.
 */
static void build_chain(enum kind kind, struct link *links,
			pthread_attr_t *attr)
{
	int64_t end;
	int i;

	for (i = CHAIN - 1; i >= 0; i--) {
		links[i].kind = kind;
		links[i].i = i;
		if (pthread_create(&links[i].thread, attr, link_main, &links[i]))
			bail("pthread_create(chain thread %d)", i);
		while (get(&sh->holding[kind]) < CHAIN - i && !sh->errors)
			sleep_us(100);
		if (sh->errors)
			bail("chain thread %d could not take its mutex", i);
	}
	end = now_ns() + 60 * 1000 * NSEC_PER_MSEC;
	while (!chain_asleep(kind)) {
		if (now_ns() > end)
			bail("the %s did not fall asleep in 60 s", kind_label[kind]);
		sleep_us(10000);
	}
}

/* holder - the child that holds both chains until the release */
static int holder(void *arg)
{
	static struct link links[2][CHAIN];
	pthread_attr_t attr;
	enum kind kind;
	int i;

	(void)arg;
	alarm(0);
	pin_cpu(CPU_B);
	if (pthread_attr_init(&attr) ||
	    pthread_attr_setstacksize(&attr, LINK_STACK))
		bail("pthread_attr");
	for (kind = RTSYNC; kind <= PI_FUTEX; kind++)
		build_chain(kind, links[kind], &attr);
	for (kind = RTSYNC; kind <= PI_FUTEX; kind++)
		for (i = 0; i < CHAIN; i++)
			pthread_join(links[kind][i].thread, NULL);
	return 0;
}

/* ---- the looper ---- */

static struct timespec ns_to_ts(int64_t ns)
{
	return (struct timespec){ .tv_sec = ns / 1000000000,
				  .tv_nsec = ns % 1000000000 };
}

static int head_timedlock(enum kind kind)
{
	struct timespec dl = ns_to_ts(now_ns() + LOCK_TIMEOUT_NS);

	if (kind == RTSYNC)
		return rtsync_mutex_timedlock(fds[0], CLOCK_MONOTONIC, &dl);
	return pthread_mutex_clocklock(&sh->pi[0], CLOCK_MONOTONIC, &dl);
}

/* looper - LOCK the head of the current phase's chain until told to stop */
static int looper(void *arg)
{
	enum kind kind;
	int64_t t0, t1;
	int measuring, ret;

	(void)arg;
	alarm(0);
	pin_cpu(CPU_A);
	while (!get(&sh->stop)) {
		kind = get(&sh->phase);
		measuring = get(&sh->measuring);
		if (kind == IDLE) {
			sleep_us(1000);
			continue;
		}
		t0 = now_ns();
		ret = head_timedlock(kind);
		t1 = now_ns();
		if (ret == ETIMEDOUT) {
			count(&sh->timedout);
		} else {
			count(&sh->errors);
			if (!ret || ret == EOWNERDEAD)
				unlock(kind, 0);
		}
		/* Only LOCKs wholly inside one measured phase count. */
		if (measuring && get(&sh->measuring) == measuring) {
			sh->cost[measuring - 1].calls++;
			sh->cost[measuring - 1].ns += t1 - t0;
		}
	}
	return 0;
}

/* spinner - keep CPU A busy (see the top of the file) until told to stop */
static int spinner(void *arg)
{
	(void)arg;
	alarm(0);
	pin_cpu(CPU_A);
	while (!get(&sh->stop))
		cpu_relax();
	return 0;
}

/* ---- the ticker ---- */

struct lateness {
	int64_t *ns;
	long n, size;
};

static void note(struct lateness *l, int64_t ns)
{
	if (l->n == l->size) {
		l->size = l->size ? 2 * l->size : 8192;
		l->ns = realloc(l->ns, sizeof(*l->ns) * l->size);
		if (!l->ns)
			bail("realloc");
	}
	l->ns[l->n++] = ns;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* percentile - of sorted values: the value p% of them are at most */
static double percentile(const struct lateness *l, double p)
{
	long i = (long)(p / 100 * l->n + 0.5);

	if (!l->n)
		return 0;
	if (i < 1)
		i = 1;
	if (i > l->n)
		i = l->n;
	return l->ns[i - 1];
}

/*
 * tick - sleep for one phase to deadlines TICK_NS apart; from @measure_at
 * on, note each wake's lateness. Returns the deadlines missed outright.
 */
static long tick(struct lateness *l, int64_t measure_at, int64_t end,
		 int index)
{
	int64_t next = now_ns() + TICK_NS, t;
	struct timespec ts;
	long skipped = 0;

	while (next < end) {
		ts = ns_to_ts(next);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		t = now_ns();
		if (next >= measure_at) {
			if (!get(&sh->measuring))
				put(&sh->measuring, index + 1);
			note(l, t - next);
		}
		next += TICK_NS;
		while (next <= t) {
			next += TICK_NS;
			skipped++;
		}
	}
	put(&sh->measuring, 0);
	return skipped;
}

/* ---- main ---- */

int main(void)
{
	static const char *const stat_label[] = { "p50", "p99", "p99.9", "max" };
	static const double stat_pct[] = { 50, 99, 99.9, 100 };
	static const char *const stat_target[] = { "-", "-", "<=1.2", "<=1.2" };
	struct samples lat[NR_KINDS][4] = { 0 }, cost[NR_KINDS] = { 0 };
	int rounds = (int)scaled(ROUNDS, 2), round, step, s;
	int64_t phase_ns = scaled(PHASE_MS, 400) * NSEC_PER_MSEC, start;
	long skipped = 0, ticks = 0;
	pid_t holder_pid, looper_pid, spinner_pid;
	struct lateness l = { 0 };
	char name[64], label[160], runs[96];
	int children_ok, i;
	enum kind kind;

	if (rounds > ROUNDS * 4)
		rounds = ROUNDS * 4;
	raise_nofile(CHAIN + 64);
	sh = shared_mem(sizeof(*sh));
	for (i = 0; i < CHAIN; i++) {
		pi_mutex_init(&sh->pi[i]);
		fds[i] = rtsync_mutex_open(bench_name(name, sizeof(name), "rtlat", i),
					   O_CREAT | O_EXCL, 0600, 0);
		if (fds[i] < 0)
			bail("rtsync_mutex_open(%s)", name);
	}

	diag("RT latency: FIFO %d ticker every %lld us on CPU %d beside a SCHED_OTHER looper LOCKing the head of a %d-deep chain with a %lld us deadline; %d rounds x %d phases of %lld ms",
	     TICKER_PRIO, TICK_NS / 1000, CPU_A, CHAIN, LOCK_TIMEOUT_NS / 1000,
	     rounds, NR_KINDS, (long long)(phase_ns / NSEC_PER_MSEC));
	start = now_ns();
	holder_pid = spawn(holder, NULL);
	while (!(get(&sh->holding[PI_FUTEX]) == CHAIN && chain_asleep(RTSYNC) &&
		 chain_asleep(PI_FUTEX))) {
		if (waitpid(holder_pid, NULL, WNOHANG) == holder_pid)
			bail("the chain holder died while building the chains");
		sleep_us(20000);
	}
	diag("RT latency: both chains built in %.1f s", (now_ns() - start) / 1e9);
	put(&sh->phase, IDLE);
	looper_pid = spawn(looper, NULL);
	spinner_pid = spawn(spinner, NULL);

	pin_cpu(CPU_A);
	set_fifo(TICKER_PRIO);
	for (round = 0; round < rounds; round++) {
		for (step = 0; step < NR_KINDS; step++) {
			int index = round * NR_KINDS + step;

			/* rtsync first in even rounds, the PI futex in odd ones */
			kind = step == 2 ? IDLE : (enum kind)((step + round) % 2);
			put(&sh->phase, kind);
			start = now_ns();
			l.n = 0;
			skipped += tick(&l, start + WARMUP_MS * NSEC_PER_MSEC,
					start + phase_ns, index);
			ticks += l.n;
			qsort(l.ns, l.n, sizeof(*l.ns), cmp_i64);
			for (s = 0; s < 4; s++)
				add_sample(&lat[kind][s], percentile(&l, stat_pct[s]));
			if (kind != IDLE && sh->cost[index].calls)
				add_sample(&cost[kind], (double)sh->cost[index].ns /
					   sh->cost[index].calls);
			diag("RT latency: round %d, %s: %ld wakes, lateness p50 %.1f us, p99.9 %.1f us, max %.1f us; %ld head LOCKs",
			     round + 1, kind_label[kind], l.n,
			     percentile(&l, 50) / 1e3, percentile(&l, 99.9) / 1e3,
			     percentile(&l, 100) / 1e3, sh->cost[index].calls);
		}
	}
	set_fifo(0);
	put(&sh->stop, 1);
	put(&sh->release, 1);
	children_ok = reap(looper_pid);
	children_ok &= reap(spinner_pid);
	children_ok &= reap(holder_pid);

	ok(children_ok && !sh->errors,
	   "RT latency: both chains built and undone, every call succeeded (%ld failed)",
	   sh->errors);
	ok(sh->timedout > 0 && cost[RTSYNC].n == rounds && cost[PI_FUTEX].n == rounds,
	   "RT latency: every head LOCK timed out (%ld), each chain phase made some",
	   sh->timedout);
	diag("RT latency: %ld wakes measured, %ld deadlines missed outright", ticks,
	     skipped);

	snprintf(runs, sizeof(runs), "%d rounds x %lld ms, %ld wakes", rounds,
		 (long long)(phase_ns / NSEC_PER_MSEC), ticks);
	for (s = 0; s < 4; s++) {
		snprintf(label, sizeof(label),
			 "FIFO 99 wake lateness %s, SCHED_OTHER LOCKs head of %d-deep chain",
			 stat_label[s], CHAIN);
		row_paired("10", label, &lat[RTSYNC][s], "PI futex chain",
			   &lat[PI_FUTEX][s], "ns", stat_target[s], runs);
	}
	for (s = 0; s < 4; s++) {
		snprintf(label, sizeof(label), "FIFO 99 wake lateness %s, idle (floor)",
			 stat_label[s]);
		row_paired("10", label, &lat[IDLE][s], "PI futex chain",
			   &lat[PI_FUTEX][s], "ns", "-", runs);
	}
	snprintf(label, sizeof(label),
		 "head LOCK of a %d-deep chain, %lld us deadline: mean duration",
		 CHAIN, LOCK_TIMEOUT_NS / 1000);
	row_paired("10", label, &cost[RTSYNC], "PI futex chain", &cost[PI_FUTEX],
		   "ns", "<=1.0", runs);

	for (i = 0; i < CHAIN; i++)
		if (rtsync_close(fds[i]) ||
		    rtsync_unlink(bench_name(name, sizeof(name), "rtlat", i)))
			count(&sh->errors);
	ok(!sh->errors, "RT latency: mutexes removed again");
	free(l.ns);
	return tap_done();
}
