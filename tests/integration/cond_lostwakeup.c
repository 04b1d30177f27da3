// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * No lost wake-up between COND_WAIT's release of the mutex and its sleep.
 *
 * A waiter process and a signaller process, on different CPUs, play
 * ROUNDS rounds. In round i the waiter locks the mutex, announces
 * "ready = i" and waits until "done >= i". The signaller spins until it
 * sees ready == i and then aims its wake-up at the moment the waiter is
 * releasing the mutex and going to sleep, in one of four ways:
 *  - LOCK: lock (it gets the mutex as soon as the waiter's COND_WAIT
 *    releases it), set done, wake, unlock;
 *  - TRYLOCK: spin on TRYLOCK, which succeeds the instant the mutex is
 *    released, then set done, wake, unlock;
 *  - AFTER: spin on TRYLOCK, set done, unlock, then wake;
 *  - NO LOCK: spin on INFO until the waiter is queued (it is queued before
 *    the mutex is released), set done and wake at once without the lock.
 * The wake-up alternates between SIGNAL and BROADCAST. In every way the
 * waiter is queued before the wake-up is sent, so it must always wake:
 * its waits have a deadline of DEADLINE_MS, and a wait that reaches it is
 * a lost wake-up (counted, never a hang). After each wait the waiter
 * checks that it holds the mutex again.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define ROUNDS		2000
#define DEADLINE_MS	2000
#define MAX_LOST	5	/* stop after this many: the verdict is clear */
#define PATIENCE_S	120
#define WAYS		4

static const char *const way_names[WAYS] = {
	"LOCK", "TRYLOCK", "AFTER", "NO LOCK",
};

struct race {
	int cfd;
	int mfd;
	volatile int ready;	/* the round the waiter is waiting in */
	volatile int done;	/* the last round the signaller completed */
	volatile int stop;	/* one side gave up */
	/* Written by the waiter. */
	int rounds;
	int lost;		/* waits that reached their deadline */
	int first_lost_round;
	int spurious;		/* woken while done < round */
	int not_holding;	/* returned without holding the mutex once */
	int errors;
	int first_error;
	int64_t longest_ns;
	/* Written by the signaller. */
	int sent[WAYS];
	int signaller_error;
};

static struct race *race;

static int waiter(void *arg)
{
	int i, err;
	int64_t t0, took;

	(void)arg;
	pin_cpu(0);
	for (i = 1; i <= ROUNDS && !flag_get(&race->stop); i++) {
		err = rtsync_mutex_lock(race->mfd);
		if (err)
			break;
		flag_set(&race->ready, i);
		t0 = now_ns(CLOCK_MONOTONIC);
		while (flag_get(&race->done) < i) {
			err = cond_wait_within(race->cfd, race->mfd, DEADLINE_MS);
			if (err == ETIMEDOUT && flag_get(&race->done) < i) {
				if (!race->lost++)
					race->first_lost_round = i;
				break;
			}
			if (err && err != ETIMEDOUT) {
				if (!race->errors++)
					race->first_error = err;
				break;
			}
			if (flag_get(&race->done) < i)
				race->spurious++;
		}
		took = now_ns(CLOCK_MONOTONIC) - t0;
		if (took > race->longest_ns)
			race->longest_ns = took;
		if (!holds_mutex(race->mfd))
			race->not_holding++;
		else
			rtsync_mutex_unlock(race->mfd);
		race->rounds = i;
		if (race->lost >= MAX_LOST || race->errors)
			flag_set(&race->stop, 1);
	}
	flag_set(&race->stop, 1);
	return 0;
}

/* spin_until_ready - busy-wait for the waiter's announcement of round i */
static int spin_until_ready(int i)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + PATIENCE_S * 1000000000LL;
	unsigned int n = 0;

	while (flag_get(&race->ready) != i) {
		if (flag_get(&race->stop))
			return 0;
		if (++n % 1024 == 0 && now_ns(CLOCK_MONOTONIC) > end)
			return 0;
	}
	return 1;
}

/* spin_trylock - take the mutex the instant the waiter releases it */
static int spin_trylock(void)
{
	int err;

	while ((err = rtsync_mutex_trylock(race->mfd)) == EBUSY)
		if (flag_get(&race->stop))
			return EBUSY;
	return err;
}

static int wake(int i)
{
	return i & 1 ? rtsync_cond_broadcast(race->cfd) :
		       rtsync_cond_signal(race->cfd);
}

static int signaller(void *arg)
{
	int i, way, err = 0;

	(void)arg;
	pin_cpu(1);
	for (i = 1; i <= ROUNDS && !err; i++) {
		if (!spin_until_ready(i))
			break;
		way = (i / 2) % WAYS;
		switch (way) {
		case 0:
			err = rtsync_mutex_lock(race->mfd);
			break;
		case 1:
		case 2:
			err = spin_trylock();
			break;
		default:
			while (cond_state(race->cfd).waiters != 1 &&
			       !flag_get(&race->stop))
				;
			break;
		}
		if (err)
			break;
		flag_set(&race->done, i);
		if (way == 2)
			err = rtsync_mutex_unlock(race->mfd);
		if (!err)
			err = wake(i);
		if (!err && (way == 0 || way == 1))
			err = rtsync_mutex_unlock(race->mfd);
		race->sent[way]++;
	}
	if (err && err != EBUSY) {
		race->signaller_error = err;
		flag_set(&race->stop, 1);
	}
	return 0;
}

int main(void)
{
	char cname[64], mname[64];
	pid_t w, s;
	int i;

	race = shared_mem(sizeof(*race));
	race->cfd = new_cond(cname, sizeof(cname), "lost");
	race->mfd = new_mutex(mname, sizeof(mname), "lost", 0);

	w = start_child(waiter, NULL);
	s = start_child(signaller, NULL);
	is_exit(wait_child(w, PATIENCE_S + 30), 0, "the waiter finished");
	flag_set(&race->stop, 1);
	is_exit(wait_child(s, 30), 0, "the signaller finished");

	for (i = 0; i < WAYS; i++)
		diag("%s: %d wake-ups", way_names[i], race->sent[i]);
	diag("%d spurious wake-ups; longest round %.1f ms", race->spurious,
	     ns_to_ms(race->longest_ns));
	ok(race->rounds == ROUNDS, "all %d rounds played (got %d)", ROUNDS,
	   race->rounds);
	ok(race->lost == 0,
	   "no lost wake-up: no wait reached its %d ms deadline (got %d, first in round %d)",
	   DEADLINE_MS, race->lost, race->first_lost_round);
	ok(race->not_holding == 0,
	   "every wait returned holding the mutex (failed %d times)",
	   race->not_holding);
	ok(race->errors == 0, "no wait failed otherwise (got %d, first %s)",
	   race->errors, race->errors ? strerror(race->first_error) : "-");
	is_errno(race->signaller_error, 0, "the signaller's calls");
	ok(cond_state(race->cfd).waiters == 0 &&
	   mutex_status(race->mfd).owner_tid == 0,
	   "afterwards: no waiter, the mutex free");

	drop_object(race->cfd, cname);
	drop_object(race->mfd, mname);
	shared_free(race, sizeof(*race));
	return tap_done();
}
