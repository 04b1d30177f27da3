// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Owner-death chaos: worker processes lock random sets of shared mutexes
 * in random order (timed locks and trylocks; EDEADLK and timeouts make a
 * worker back off and retry) and update, under each mutex, two counters
 * that must be equal outside the critical section, with a pause between
 * the two increments. Meanwhile the parent SIGKILLs random workers
 * (200 kills, 2000 under RTSYNC_STRESS) and starts new ones.
 *
 * Pass: no hang; every death of a holder is reported as EOWNERDEAD to
 * exactly one next owner; whoever gets EOWNERDEAD repairs the counters and
 * makes the mutex consistent; nobody who locks normally ever finds the
 * counters unequal; ENOTRECOVERABLE never happens.
 *
 * Knowing whether a victim held a mutex when it died: each worker keeps two
 * bit masks in shared memory, "maybe" (set before LOCK, cleared after
 * UNLOCK returned or LOCK failed) and "surely" (set after LOCK returned
 * and the EOWNERDEAD counted, cleared before UNLOCK). Half of the kills
 * first stop the victim (SIGSTOP, so it is frozen in user space), read
 * the owner of every mutex with INFO, and then SIGKILL it: those deaths
 * are known exactly. The other half are blind SIGKILLs, known to hold
 * when "surely" was set, ambiguous when only "maybe" was. For every mutex
 * the EOWNERDEADs seen must lie between the certain holding deaths (less
 * those deaths in the ambiguous window that may have swallowed an
 * EOWNERDEAD they had just received) and the certain plus ambiguous ones;
 * with no ambiguous death the count is exact.
 *
 * Why the bounds hold: a death while holding hands exactly one EOWNERDEAD
 * to the next owner, but that owner may itself die before counting it,
 * and then it dies in the window (maybe set, surely not) while holding. So
 * seen = holding deaths - swallowed ones, where every swallowed one is a
 * holding death in that window: certain - swallowed <= seen <= certain +
 * ambiguous.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "harden_helpers.h"

#define MUTEXES		4
#define WORKERS		6
#define LOCK_MAX_MS	20	/* a worker's timed lock waits up to this */

/* One per mutex, protected by it. */
struct record {
	volatile long a, b;	/* equal outside the critical section */
	long noticed;		/* EOWNERDEADs received (atomic) */
	long repaired;		/* ... of which found a != b */
	long broken;		/* normal acquisitions that found a != b */
	long entries;
};

struct worker {
	volatile pid_t pid;
	volatile unsigned int maybe;	/* bit m: may hold mutex m */
	volatile unsigned int surely;	/* bit m: holds mutex m */
};

struct shared {
	volatile int stop;
	struct record rec[MUTEXES];
	struct worker w[WORKERS];
	long timeouts, busy, deadlocks, rounds;	/* atomic */
	long errors;				/* atomic */
	int first_error, first_error_op;	/* what went wrong first */
};

enum { OP_LOCK = 1, OP_UNLOCK, OP_CONSISTENT };

static struct shared *sh;
static int fds[MUTEXES];
static char names[MUTEXES][64];

static void add(long *counter, long n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_SEQ_CST);
}

static void set_bits(volatile unsigned int *mask, unsigned int bits)
{
	__atomic_fetch_or(mask, bits, __ATOMIC_SEQ_CST);
}

static void clear_bits(volatile unsigned int *mask, unsigned int bits)
{
	__atomic_fetch_and(mask, ~bits, __ATOMIC_SEQ_CST);
}

static void error(int op, int err)
{
	if (__atomic_fetch_add(&sh->errors, 1, __ATOMIC_SEQ_CST) == 0) {
		sh->first_error = err;
		sh->first_error_op = op;
	}
}

/*
 * spin_us - stay in user space for up to @max_us microseconds: most kills
 * should land while a worker runs its own code, not at the end of a
 * system call, where its marks cannot be up to date yet.
 */
static void spin_us(uint64_t *rng, unsigned int max_us)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) +
		      (int64_t)rng_below(rng, max_us) * 1000;

	while (now_ns(CLOCK_MONOTONIC) < end)
		__asm__ volatile("" ::: "memory");
}

/*
 * acquire - lock mutex m for worker w. Returns 1 if it is held now.
 * Ordering matters for the accounting (see the top of this file): "maybe"
 * before the call, and after an EOWNERDEAD the count before "surely".
 */
static int acquire(struct worker *w, int m, uint64_t *rng)
{
	struct record *r = &sh->rec[m];
	struct timespec deadline;
	int err;

	set_bits(&w->maybe, 1U << m);
	if (rng_chance(rng, 4)) {
		err = rtsync_mutex_trylock(fds[m]);
	} else {
		deadline = ns_to_ts(now_ns(CLOCK_MONOTONIC) +
				    (1 + rng_below(rng, LOCK_MAX_MS)) * 1000000LL);
		err = rtsync_mutex_timedlock(fds[m], CLOCK_MONOTONIC, &deadline);
	}
	if (err == EOWNERDEAD) {
		add(&r->noticed, 1);
		set_bits(&w->surely, 1U << m);
		if (r->a != r->b) {
			r->repaired++;
			r->b = r->a;
		}
		err = rtsync_mutex_consistent(fds[m]);
		if (err)
			error(OP_CONSISTENT, err);
		return 1;
	}
	if (err == 0) {
		set_bits(&w->surely, 1U << m);
		if (r->a != r->b)
			r->broken++;
		return 1;
	}
	clear_bits(&w->maybe, 1U << m);
	if (err == ETIMEDOUT)
		add(&sh->timeouts, 1);
	else if (err == EBUSY)
		add(&sh->busy, 1);
	else if (err == EDEADLK)
		add(&sh->deadlocks, 1);	/* a cycle: back off */
	else
		error(OP_LOCK, err);
	return 0;
}

static void release(struct worker *w, int m)
{
	int err;

	clear_bits(&w->surely, 1U << m);
	err = rtsync_mutex_unlock(fds[m]);
	if (err)
		error(OP_UNLOCK, err);
	clear_bits(&w->maybe, 1U << m);
}

/* worker - lock random sets of mutexes until told to stop */
static int worker(void *arg)
{
	struct worker *w = &sh->w[(intptr_t)arg];
	int order[MUTEXES], held[MUTEXES], nheld, n, i, j, tmp;
	uint64_t rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^
		       (uint64_t)now_ns(CLOCK_MONOTONIC);

	while (!flag_get(&sh->stop)) {
		for (i = 0; i < MUTEXES; i++)
			order[i] = i;
		for (i = MUTEXES - 1; i > 0; i--) {	/* random order */
			j = rng_below(&rng, i + 1);
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		n = 1 + rng_below(&rng, MUTEXES);
		for (i = 0, nheld = 0; i < n; i++) {
			if (!acquire(w, order[i], &rng))
				break;
			held[nheld++] = order[i];
		}
		/* The critical section: the counters differ for a while. */
		for (i = 0; i < nheld; i++) {
			sh->rec[held[i]].entries++;
			sh->rec[held[i]].a++;
		}
		spin_us(&rng, 300);
		for (i = 0; i < nheld; i++)
			sh->rec[held[i]].b++;
		spin_us(&rng, 100);
		for (i = nheld - 1; i >= 0; i--)
			release(w, held[i]);
		add(&sh->rounds, 1);
		spin_us(&rng, 100);	/* holding nothing */
	}
	return 0;
}

static void start_worker(int i)
{
	sh->w[i].maybe = 0;
	sh->w[i].surely = 0;
	sh->w[i].pid = start_child(worker, (void *)(intptr_t)i);
}

/* The parent's accounting of deaths, per mutex. */
struct deaths {
	long certain;	/* held for certain when killed */
	long ambiguous;	/* in the window around LOCK or UNLOCK */
	long maybe_swallowed;	/* held, but may have swallowed its EOWNERDEAD */
};

static struct deaths deaths[MUTEXES];
static long kills, inspected, kills_holding, mismatches, not_stopped;

/* owned_by - mask of the mutexes INFO says @pid owns */
static unsigned int owned_by(pid_t pid)
{
	unsigned int owned = 0;
	int m;

	for (m = 0; m < MUTEXES; m++)
		if (mutex_status(fds[m]).owner_pid == pid)
			owned |= 1U << m;
	return owned;
}

/* stop_child - SIGSTOP @pid and wait until it is stopped; 1 if it is */
static int stop_child(pid_t pid)
{
	struct sigaction sa, old;
	int status, got;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = helpers_on_alarm;
	sigaction(SIGALRM, &sa, &old);
	kill(pid, SIGSTOP);
	alarm(10);
	got = waitpid(pid, &status, WUNTRACED);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return got == pid && WIFSTOPPED(status);
}

/* kill_one - kill worker i (inspected or blind), account, replace it */
static void kill_one(int i, int inspect)
{
	struct worker *w = &sh->w[i];
	unsigned int owned = 0, maybe, surely, swallow;
	pid_t pid = w->pid;
	int m, code;

	if (inspect) {
		if (!stop_child(pid)) {
			not_stopped++;
			inspect = 0;	/* count it as a blind kill */
		} else {
			owned = owned_by(pid);
		}
	}
	kill(pid, SIGKILL);
	code = wait_child(pid, 30);
	if (code != -SIGKILL)
		diag("worker %d ended with %d, not by SIGKILL", (int)pid, code);
	maybe = __atomic_load_n(&w->maybe, __ATOMIC_SEQ_CST);
	surely = __atomic_load_n(&w->surely, __ATOMIC_SEQ_CST);

	if (inspect) {
		/* What the module says must agree with what the worker did. */
		if ((owned & ~maybe) || (surely & ~owned)) {
			if (mismatches++ < 5)
				diag("worker %d: INFO says it owns %#x, it marked maybe %#x surely %#x",
				     (int)pid, owned, maybe, surely);
		}
		inspected++;
	}
	/*
	 * Owned (counted as certain above), yet not marked: it may have died
	 * before counting an EOWNERDEAD it had just received. (A blind
	 * victim in that window is ambiguous, not certain, so the lower
	 * bound needs no allowance for it.)
	 */
	swallow = inspect ? owned & ~surely : 0;
	for (m = 0; m < MUTEXES; m++) {
		unsigned int bit = 1U << m;

		if (inspect ? owned & bit : surely & bit)
			deaths[m].certain++;
		else if (!inspect && maybe & bit)
			deaths[m].ambiguous++;
		if (swallow & bit)
			deaths[m].maybe_swallowed++;
	}
	if (inspect ? owned : surely)
		kills_holding++;
	kills++;
	start_worker(i);
}

/* final_take - lock a mutex once all workers are gone; counts a last
 * EOWNERDEAD, repairs, and checks the counters
 */
static void final_take(int m)
{
	struct record *r = &sh->rec[m];
	int err = lock_within(fds[m], 10);

	if (err == EOWNERDEAD) {
		r->noticed++;
		r->b = r->a;
		is_errno(rtsync_mutex_consistent(fds[m]), 0,
			 strf("mutex %d: consistent after the last EOWNERDEAD", m));
	} else if (!is_errno(err, 0, strf("mutex %d: the parent locks it at the end", m))) {
		return;
	}
	ok(r->a == r->b, "mutex %d: counters equal at the end (%ld, %ld)", m,
	   r->a, r->b);
	is_errno(rtsync_mutex_unlock(fds[m]), 0, strf("mutex %d: unlock", m));
	ok(mutex_status(fds[m]).flags == 0,
	   "mutex %d: no robust state left (flags %#x)", m,
	   mutex_status(fds[m]).flags);
}

int main(void)
{
	long target = sized(200, 2000), noticed = 0, certain = 0, ambiguous = 0;
	long low, high, repaired = 0, broken = 0, entries = 0;
	uint64_t rng = (uint64_t)now_ns(CLOCK_MONOTONIC);
	int i, m, code, stuck = 0, out_of_bounds = 0;
	int64_t t0;

	sh = shared_mem(sizeof(*sh));
	for (m = 0; m < MUTEXES; m++)
		fds[m] = new_mutex(names[m], sizeof(names[m]), "chaos", 0);

	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < WORKERS; i++)
		start_worker(i);
	while (kills < target) {
		sleep_ms(1 + rng_below(&rng, 8));
		kill_one(rng_below(&rng, WORKERS), rng_chance(&rng, 2));
	}
	flag_set(&sh->stop, 1);
	for (i = 0; i < WORKERS; i++) {
		code = wait_child(sh->w[i].pid, 30);
		if (code != 0) {
			diag("worker %d at the end: %d", (int)sh->w[i].pid, code);
			stuck++;
		}
	}
	diag("%ld kills (%ld stopped and inspected first) in %.1f s; %ld rounds of locking",
	     kills, inspected, ns_to_ms(now_ns(CLOCK_MONOTONIC) - t0) / 1000,
	     sh->rounds);
	ok(stuck == 0, "every worker stops when told, none hangs (%d did not)",
	   stuck);
	ok(not_stopped == 0, "every victim could be stopped for inspection (%ld not)",
	   not_stopped);
	ok(mismatches == 0,
	   "INFO's owner agrees with what each inspected victim did (%ld mismatches)",
	   mismatches);

	for (m = 0; m < MUTEXES; m++)
		final_take(m);

	for (m = 0; m < MUTEXES; m++) {
		struct record *r = &sh->rec[m];

		low = deaths[m].certain - deaths[m].maybe_swallowed;
		high = deaths[m].certain + deaths[m].ambiguous;
		diag("mutex %d: %ld entries; deaths holding it %ld certain + %ld ambiguous (%ld may have swallowed one); EOWNERDEAD seen %ld, %ld with the counters broken",
		     m, r->entries, deaths[m].certain, deaths[m].ambiguous,
		     deaths[m].maybe_swallowed, r->noticed, r->repaired);
		if (r->noticed < low || r->noticed > high) {
			diag("mutex %d: EOWNERDEAD seen %ld times, expected %ld..%ld",
			     m, r->noticed, low, high);
			out_of_bounds++;
		}
		noticed += r->noticed;
		certain += deaths[m].certain;
		ambiguous += deaths[m].ambiguous;
		repaired += r->repaired;
		broken += r->broken;
		entries += r->entries;
	}
	diag("kills of holders: %ld of %ld kills; holding deaths %ld certain + %ld ambiguous; EOWNERDEAD seen %ld (%ld repairs of broken counters); %ld timeouts, %ld EBUSY, %ld EDEADLK",
	     kills_holding, kills, certain, ambiguous, noticed, repaired,
	     sh->timeouts, sh->busy, sh->deadlocks);
	ok(kills >= target, "%ld workers killed (at least %ld)", kills, target);
	ok(kills_holding >= target / 4,
	   "at least a quarter of the kills hit a holder (%ld of %ld)",
	   kills_holding, kills);
	ok(out_of_bounds == 0,
	   "each holder's death reached exactly one next owner as EOWNERDEAD (%d mutexes off)",
	   out_of_bounds);
	ok(broken == 0,
	   "no normal acquisition found the counters broken (%ld of %ld entries)",
	   broken, entries);
	ok(sh->errors == 0,
	   "no unexpected result from lock, unlock or consistent (%ld; first: op %d, %s)",
	   sh->errors, sh->first_error_op,
	   sh->errors ? strerror(sh->first_error) : "none");

	for (m = 0; m < MUTEXES; m++)
		drop_mutex(fds[m], names[m]);
	shared_free(sh, sizeof(*sh));
	return tap_done();
}
