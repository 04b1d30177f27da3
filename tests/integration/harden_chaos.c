// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Owner-death chaos: worker processes lock random sets of shared mutexes
 * in random order (timed locks and trylocks; EDEADLK and timeouts make a
 * worker back off and retry) and update, under each mutex, two counters
 * that must be equal outside the critical section, with a pause between
 * the two increments. Meanwhile the parent SIGKILLs random workers
 * (200 kills, 2000 under RTSYNC_STRESS) and starts new ones.
 *
 * Pass: no hang; every death of a holder hands EOWNERDEAD to exactly one
 * next owner; whoever gets EOWNERDEAD repairs the counters and makes the
 * mutex consistent; nobody who locks normally ever finds the counters
 * unequal; ENOTRECOVERABLE never happens.
 *
 * Counting: each worker keeps, per mutex, one word in shared memory that
 * says "I hold it" and how many EOWNERDEADs it has received on it, written
 * with a single store after LOCK returns and cleared before UNLOCK; and a
 * "maybe" mask, set before LOCK and cleared after UNLOCK returned or LOCK
 * failed. The kills come in two phases of equal size.
 *
 *  1. Exact: the victim is first stopped (SIGSTOP: frozen in user space,
 *     or on the signal path of an interrupted wait), INFO tells which
 *     mutexes it owns and which of those are INCONSISTENT (it received
 *     EOWNERDEAD and has not yet made them consistent), then it is killed
 *     (if it owns none, it is let go and another one is tried).
 *     A victim that owns an INCONSISTENT mutex its word does not show as
 *     held received an EOWNERDEAD and died before recording it
 *     ("swallowed"). Per mutex, EOWNERDEADs recorded + swallowed must
 *     equal the deaths while holding it.
 *  2. Anywhere: the victim is killed wherever it is, also inside a system
 *     call: either with every other worker stopped (then the mutexes the
 *     module marks OWNER_DIED are the victim's; ambiguous only for one that
 *     was already OWNER_DIED and that it may have taken), or with all
 *     running (held if its word says so, ambiguous if only "maybe").
 *     Per mutex: certain deaths - possibly swallowed ones <= EOWNERDEADs
 *     recorded <= certain + ambiguous deaths. (A death hands out exactly
 *     one EOWNERDEAD; a receiver that dies before recording it dies
 *     holding, in its ambiguous window or counted as possibly swallowing.)
 * After each phase the workers stop and the parent takes every mutex once,
 * which collects an EOWNERDEAD still pending.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "harden_helpers.h"

#define MUTEXES		4
#define WORKERS		6
#define LOCK_MAX_MS	20	/* a worker's timed lock waits up to this */

/* worker.word[m]: held, and the EOWNERDEADs received on m, times two */
#define HOLDS		1ULL
#define ONE_DEATH	2ULL

/* One per mutex, protected by it. */
struct record {
	volatile long a, b;	/* equal outside the critical section */
	long repaired;		/* EOWNERDEAD acquisitions that found a != b */
	long broken;		/* normal acquisitions that found a != b */
	long entries;
};

struct worker {
	volatile pid_t pid;
	volatile unsigned int maybe;	/* bit m: may hold mutex m */
	volatile uint64_t word[MUTEXES];
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

static void error(int op, int err)
{
	if (__atomic_fetch_add(&sh->errors, 1, __ATOMIC_SEQ_CST) == 0) {
		sh->first_error = err;
		sh->first_error_op = op;
	}
}

static uint64_t word_of(struct worker *w, int m)
{
	return __atomic_load_n(&w->word[m], __ATOMIC_SEQ_CST);
}

static void set_word(struct worker *w, int m, uint64_t value)
{
	__atomic_store_n(&w->word[m], value, __ATOMIC_SEQ_CST);
}

/*
 * spin_us - stay in user space for up to @max_us microseconds, so that
 * many kills land while a worker runs its own code, holding something.
 */
static void spin_us(uint64_t *rng, unsigned int max_us)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) +
		      (int64_t)rng_below(rng, max_us) * 1000;

	while (now_ns(CLOCK_MONOTONIC) < end)
		__asm__ volatile("" ::: "memory");
}

/* acquire - lock mutex m for worker w; returns 1 if it is held now */
static int acquire(struct worker *w, int m, uint64_t *rng)
{
	struct record *r = &sh->rec[m];
	struct timespec deadline;
	int err;

	__atomic_fetch_or(&w->maybe, 1U << m, __ATOMIC_SEQ_CST);
	if (rng_chance(rng, 4)) {
		err = rtsync_mutex_trylock(fds[m]);
	} else {
		deadline = ns_to_ts(now_ns(CLOCK_MONOTONIC) +
				    (1 + rng_below(rng, LOCK_MAX_MS)) * 1000000LL);
		err = rtsync_mutex_timedlock(fds[m], CLOCK_MONOTONIC, &deadline);
	}
	if (err == EOWNERDEAD) {
		/* "held" and the count in one store: nothing in between */
		set_word(w, m, (word_of(w, m) + ONE_DEATH) | HOLDS);
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
		set_word(w, m, word_of(w, m) | HOLDS);
		if (r->a != r->b)
			r->broken++;
		return 1;
	}
	__atomic_fetch_and(&w->maybe, ~(1U << m), __ATOMIC_SEQ_CST);
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

	set_word(w, m, word_of(w, m) & ~HOLDS);
	err = rtsync_mutex_unlock(fds[m]);
	if (err)
		error(OP_UNLOCK, err);
	__atomic_fetch_and(&w->maybe, ~(1U << m), __ATOMIC_SEQ_CST);
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

/* ---- the parent ---- */

enum kill_mode { KILL_INSPECTED, KILL_FROZEN, KILL_BLIND, KILL_MODES };

/* What the parent learns, per mutex, in one phase. */
struct tally {
	long certain;	/* deaths while holding it, known for sure */
	long ambiguous;	/* deaths that may have held it */
	long swallowed;	/* phase 1: EOWNERDEADs received, never recorded */
	long may_swallow;	/* phase 2: certain deaths that may have */
	long recorded;	/* EOWNERDEADs recorded (workers and parent) */
};

static struct tally tally[MUTEXES];
static long kills, kills_by_mode[KILL_MODES], kills_holding, mismatches;
static long not_stopped;

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
	if (got == pid && WIFSTOPPED(status))
		return 1;
	not_stopped++;
	return 0;
}

/* freeze_others - stop every worker but i; 1 if all stopped */
static int freeze_others(int i)
{
	int j, all = 1;

	for (j = 0; j < WORKERS; j++)
		if (j != i && !stop_child(sh->w[j].pid))
			all = 0;
	return all;
}

static void thaw_others(int i)
{
	int j;

	for (j = 0; j < WORKERS; j++)
		if (j != i)
			kill(sh->w[j].pid, SIGCONT);
}

/* owner_died - mask of the mutexes that are free with OWNER_DIED set */
static unsigned int owner_died(void)
{
	unsigned int died = 0;
	int m;

	for (m = 0; m < MUTEXES; m++)
		if (mutex_status(fds[m]).flags & RTSYNC_MINFO_OWNER_DIED)
			died |= 1U << m;
	return died;
}

static void start_worker(int i)
{
	memset((void *)&sh->w[i], 0, sizeof(sh->w[i]));
	sh->w[i].pid = start_child(worker, (void *)(intptr_t)i);
}

/* collect - add what a finished worker recorded to the tally */
static void collect(struct worker *w)
{
	int m;

	for (m = 0; m < MUTEXES; m++)
		tally[m].recorded += word_of(w, m) / ONE_DEATH;
}

static void mismatch(pid_t pid, enum kill_mode mode, unsigned int owned,
		     unsigned int maybe, unsigned int holds)
{
	if (mismatches++ < 5)
		diag("worker %d (kill mode %d): the module says it held %#x; it marked maybe %#x, held %#x",
		     (int)pid, mode, owned, maybe, holds);
}

/*
 * kill_one - SIGKILL worker i as @mode says, account, replace it.
 * KILL_INSPECTED kills only a holder: a stopped victim that owns nothing
 * is let go again. Returns whether it killed.
 */
static int kill_one(int i, enum kill_mode mode, uint64_t *rng)
{
	struct worker *w = &sh->w[i];
	unsigned int owned = 0, inconsistent = 0, died_before = 0;
	unsigned int certain = 0, ambiguous = 0, maybe, holds = 0, bit;
	struct rtsync_mutex_status st;
	pid_t pid = w->pid;
	int m, code;

	if (mode == KILL_INSPECTED) {
		if (!stop_child(pid))
			return 0;	/* counted in not_stopped: a failure */
		for (m = 0; m < MUTEXES; m++) {
			st = mutex_status(fds[m]);
			if (st.owner_pid == pid)
				owned |= 1U << m;
			if (st.flags & RTSYNC_MINFO_INCONSISTENT)
				inconsistent |= 1U << m;
		}
		if (!owned) {
			kill(pid, SIGCONT);
			return 0;
		}
	} else if (mode == KILL_FROZEN) {
		if (!freeze_others(i)) {
			thaw_others(i);
			return 0;
		}
		died_before = owner_died();
		sleep_ms(rng_below(rng, 3));	/* the victim runs alone */
	}
	kill(pid, SIGKILL);
	/* waitpid returns after the exit probe released its mutexes */
	code = wait_child(pid, 30);
	if (code != -SIGKILL)
		diag("worker %d ended with %d, not by SIGKILL", (int)pid, code);

	maybe = __atomic_load_n(&w->maybe, __ATOMIC_SEQ_CST);
	for (m = 0; m < MUTEXES; m++)
		if (word_of(w, m) & HOLDS)
			holds |= 1U << m;
	switch (mode) {
	case KILL_INSPECTED:
		certain = owned;
		/* recorded as held means owned; owned means it tried */
		if ((holds & ~owned) || (owned & ~maybe))
			mismatch(pid, mode, owned, maybe, holds);
		break;
	case KILL_FROZEN:
		owned = owner_died();	/* nobody else could take them */
		certain = owned & ~died_before;
		ambiguous = owned & died_before & maybe;
		thaw_others(i);
		if ((holds & ~(certain | ambiguous)) || (certain & ~maybe))
			mismatch(pid, mode, certain, maybe, holds);
		break;
	default:
		certain = holds;
		ambiguous = maybe & ~holds;
		break;
	}
	for (m = 0; m < MUTEXES; m++) {
		bit = 1U << m;
		if (certain & bit)
			tally[m].certain++;
		else if (ambiguous & bit)
			tally[m].ambiguous++;
		/* held and INCONSISTENT, but not recorded: swallowed */
		if (mode == KILL_INSPECTED && certain & inconsistent & ~holds & bit)
			tally[m].swallowed++;
		/* held, not recorded: may have swallowed an EOWNERDEAD */
		if (mode != KILL_INSPECTED && certain & ~holds & bit)
			tally[m].may_swallow++;
	}
	collect(w);
	if (certain)
		kills_holding++;
	kills_by_mode[mode]++;
	kills++;
	start_worker(i);
	return 1;
}

/*
 * final_take - the parent locks mutex m with every worker gone: records
 * a last pending EOWNERDEAD, repairs, checks the counters.
 */
static void final_take(int m, const char *phase)
{
	struct record *r = &sh->rec[m];
	int err = lock_within(fds[m], 10);

	if (err == EOWNERDEAD) {
		tally[m].recorded++;
		r->b = r->a;
		is_errno(rtsync_mutex_consistent(fds[m]), 0,
			 strf("%s, mutex %d: consistent after the last EOWNERDEAD",
			      phase, m));
	} else if (!is_errno(err, 0, strf("%s, mutex %d: the parent locks it",
					  phase, m))) {
		return;
	}
	ok(r->a == r->b, "%s, mutex %d: counters equal (%ld, %ld)", phase, m,
	   r->a, r->b);
	is_errno(rtsync_mutex_unlock(fds[m]), 0,
		 strf("%s, mutex %d: unlock", phase, m));
	ok(mutex_status(fds[m]).flags == 0,
	   "%s, mutex %d: no robust state left (flags %#x)", phase, m,
	   mutex_status(fds[m]).flags);
}

/* run_phase - @target kills; returns the number of mutexes off the count */
static int run_phase(int exact, long target, uint64_t *rng)
{
	const char *phase = exact ? "exact phase" : "anywhere phase";
	long start = kills, tries = 0, low, high;
	int i, m, code, stuck = 0, off = 0;
	enum kill_mode mode;

	memset(tally, 0, sizeof(tally));
	flag_set(&sh->stop, 0);
	for (i = 0; i < WORKERS; i++)
		start_worker(i);
	/* (an exact kill may take a few tries to find a holder) */
	while (kills - start < target && tries++ < 50 * target &&
	       not_stopped < 10) {
		sleep_ms(1 + rng_below(rng, 8));
		mode = exact ? KILL_INSPECTED :
		       rng_chance(rng, 2) ? KILL_FROZEN : KILL_BLIND;
		kill_one(rng_below(rng, WORKERS), mode, rng);
	}
	flag_set(&sh->stop, 1);
	for (i = 0; i < WORKERS; i++) {
		code = wait_child(sh->w[i].pid, 30);
		if (code != 0) {
			diag("worker %d at the end: %d", (int)sh->w[i].pid, code);
			stuck++;
		}
		collect(&sh->w[i]);
	}
	ok(stuck == 0, "%s: every worker stops when told (%d did not)", phase,
	   stuck);
	for (m = 0; m < MUTEXES; m++)
		final_take(m, phase);

	for (m = 0; m < MUTEXES; m++) {
		struct tally *t = &tally[m];

		if (exact) {
			low = high = t->certain - t->swallowed;
			diag("%s, mutex %d: %ld deaths holding it (%ld swallowed an EOWNERDEAD); EOWNERDEAD recorded %ld",
			     phase, m, t->certain, t->swallowed, t->recorded);
		} else {
			low = t->certain - t->may_swallow;
			high = t->certain + t->ambiguous;
			diag("%s, mutex %d: %ld deaths holding it for certain (%ld may have swallowed one), %ld ambiguous; EOWNERDEAD recorded %ld",
			     phase, m, t->certain, t->may_swallow, t->ambiguous,
			     t->recorded);
		}
		if (t->recorded < low || t->recorded > high) {
			diag("%s, mutex %d: EOWNERDEAD recorded %ld times, expected %ld..%ld",
			     phase, m, t->recorded, low, high);
			off++;
		}
	}
	return off;
}

int main(void)
{
	long target = sized(100, 1000, 2), repaired = 0, broken = 0, entries = 0;
	uint64_t rng = (uint64_t)now_ns(CLOCK_MONOTONIC);
	int m, off_exact, off_anywhere;
	int64_t t0;

	sh = shared_mem(sizeof(*sh));
	for (m = 0; m < MUTEXES; m++)
		fds[m] = new_mutex(names[m], sizeof(names[m]), "chaos", 0);

	t0 = now_ns(CLOCK_MONOTONIC);
	off_exact = run_phase(1, target, &rng);
	off_anywhere = run_phase(0, target, &rng);
	diag("%ld kills (%ld inspected, %ld with the others frozen, %ld blind), %ld of them holding, in %.1f s; %ld rounds of locking; %ld timeouts, %ld EBUSY, %ld EDEADLK",
	     kills, kills_by_mode[KILL_INSPECTED], kills_by_mode[KILL_FROZEN],
	     kills_by_mode[KILL_BLIND], kills_holding,
	     ns_to_ms(now_ns(CLOCK_MONOTONIC) - t0) / 1000, sh->rounds,
	     sh->timeouts, sh->busy, sh->deadlocks);

	ok(not_stopped == 0, "every worker could be stopped when asked (%ld not)",
	   not_stopped);
	ok(kills >= 2 * target, "%ld workers killed (at least %ld)", kills,
	   2 * target);
	ok(kills_holding >= target,
	   "at least %ld kills hit a holder (%ld of %ld)", target,
	   kills_holding, kills);
	ok(mismatches == 0,
	   "what the module released agrees with what each victim did (%ld mismatches)",
	   mismatches);
	ok(off_exact == 0,
	   "exact phase: each holder's death handed EOWNERDEAD to exactly one next owner (%d mutexes off)",
	   off_exact);
	ok(off_anywhere == 0,
	   "anywhere phase: EOWNERDEADs within the bounds of the deaths (%d mutexes off)",
	   off_anywhere);
	for (m = 0; m < MUTEXES; m++) {
		repaired += sh->rec[m].repaired;
		broken += sh->rec[m].broken;
		entries += sh->rec[m].entries;
	}
	diag("%ld EOWNERDEADs found the counters broken and repaired them",
	     repaired);
	ok(broken == 0,
	   "no normal acquisition found the counters broken (%ld of %ld entries)",
	   broken, entries);
	ok(sh->errors == 0,
	   "no unexpected result from lock, unlock or consistent (%ld; first: op %d, %s)",
	   sh->errors, sh->first_error_op,
	   sh->errors ? strerror(sh->first_error) : "none");

	for (m = 0; m < MUTEXES; m++)
		drop_object(fds[m], names[m]);
	shared_free(sh, sizeof(*sh));
	return tap_done();
}
