// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A semaphore as a pool of POOL places shared by many processes: each
 * process repeatedly takes a place (WAIT), counts itself in on a shared
 * counter, stays a moment, counts itself out and gives the place back
 * (POST). The counter, checked on every entry, must never exceed POOL, and
 * under this contention it must reach POOL (the pool is used, not
 * serialized). Some processes use timed waits and trywait, so the three
 * ways in compete for the same places.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define POOL		3
#define PROCESSES	8
#define ROUNDS		150
#define PATIENCE_S	120

struct pool {
	int fd;
	volatile int inside;
	volatile int most_inside;
	volatile int over;		/* entries that found more than POOL */
	volatile int entries;
	volatile int go;
};

enum way_in { BY_WAIT, BY_TIMEDWAIT, BY_TRYWAIT };

static struct pool *the_pool;

static int enter(int fd, enum way_in how)
{
	struct timespec deadline;
	int err;

	switch (how) {
	case BY_TIMEDWAIT:
		deadline = deadline_in(CLOCK_REALTIME, PATIENCE_S * 1000);
		return rtsync_sem_timedwait(fd, CLOCK_REALTIME, &deadline);
	case BY_TRYWAIT:
		/* Polls, so it competes with sleepers as a newcomer does. */
		while ((err = rtsync_sem_trywait(fd)) == EAGAIN)
			sched_yield();
		return err;
	default:
		return rtsync_sem_wait(fd);
	}
}

static int user(void *arg)
{
	enum way_in how = (enum way_in)(intptr_t)arg;
	struct pool *p = the_pool;
	int i, n, most, err;

	if (!flag_wait(&p->go, 1, 30000))
		return ETIMEDOUT;
	for (i = 0; i < ROUNDS; i++) {
		err = enter(p->fd, how);
		if (err)
			return err;
		n = __atomic_add_fetch(&p->inside, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&p->entries, 1, __ATOMIC_SEQ_CST);
		if (n > POOL)
			__atomic_add_fetch(&p->over, 1, __ATOMIC_SEQ_CST);
		most = flag_get(&p->most_inside);
		while (n > most &&
		       !__atomic_compare_exchange_n(&p->most_inside, &most, n,
						    0, __ATOMIC_SEQ_CST,
						    __ATOMIC_SEQ_CST))
			;
		/* Stay long enough for the others to pile up behind. */
		usleep(200);
		__atomic_sub_fetch(&p->inside, 1, __ATOMIC_SEQ_CST);
		err = rtsync_sem_post(p->fd, 1, NULL);
		if (err)
			return err;
	}
	return 0;
}

int main(void)
{
	pid_t pids[PROCESSES];
	struct pool *p;
	char name[64];
	int64_t start;
	int i;

	p = the_pool = shared_mem(sizeof(*p));
	p->fd = new_sem(name, sizeof(name), "pool", POOL, POOL);
	for (i = 0; i < PROCESSES; i++)
		pids[i] = start_child(user, (void *)(intptr_t)(i % 3));
	start = now_ns(CLOCK_MONOTONIC);
	flag_set(&p->go, 1);
	for (i = 0; i < PROCESSES; i++)
		is_exit(wait_child(pids[i], PATIENCE_S + 30), 0,
			"pool user finished its rounds");
	diag("%d entries in %.0f ms", p->entries,
	     ns_to_ms(now_ns(CLOCK_MONOTONIC) - start));

	ok(p->over == 0,
	   "never more than %d inside (entries that found more: %d)", POOL,
	   p->over);
	ok(p->most_inside == POOL,
	   "the pool was used to its size: at most %d inside at once (got %d)",
	   POOL, p->most_inside);
	ok(p->entries == PROCESSES * ROUNDS, "%d entries (got %d)",
	   PROCESSES * ROUNDS, p->entries);
	ok(p->inside == 0, "nobody inside at the end (got %d)", p->inside);
	is_sem(p->fd, POOL, 0, "all places back at the end");
	drop_object(p->fd, name);
	shared_free(p, sizeof(*p));
	return tap_done();
}
