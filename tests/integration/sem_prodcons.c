// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Producers and consumers in separate processes share a bounded ring in
 * shared memory, the classic way: a semaphore of free slots, a semaphore of
 * filled slots and an rtsync mutex around the ring indexes. Producers post
 * their items in batches (POST of n), consumers take them one at a time.
 * Every item carries a number, and each consumer counts the numbers it got
 * in shared memory: every item must be consumed exactly once, and both
 * semaphores must end where they started.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define PRODUCERS	3
#define CONSUMERS	3
#define PER_PRODUCER	3000
#define TOTAL		(PRODUCERS * PER_PRODUCER)
#define MAX_BATCH	4
/*
 * A producer holds up to MAX_BATCH - 1 free slots while it waits for the
 * next one, so the ring must be larger than PRODUCERS * (MAX_BATCH - 1) or
 * producers could hold all slots between them, each waiting for more.
 */
#define RING		16
#define POISON		(-1)	/* tells one consumer to stop */
#define PATIENCE_S	120	/* longest any single wait may take */

struct ring {
	int slots_fd;		/* free slots: starts at RING */
	int items_fd;		/* filled slots: starts at 0 */
	int lock_fd;		/* rtsync mutex around head and tail */
	unsigned int head;	/* next slot to fill */
	unsigned int tail;	/* next slot to empty */
	int item[RING];
	volatile int consumed[TOTAL];	/* how often each item was taken */
	volatile int foreign;		/* items outside [0, TOTAL) */
};

static int wait_unit(int fd)
{
	struct timespec deadline = deadline_in(CLOCK_MONOTONIC,
					       PATIENCE_S * 1000);

	return rtsync_sem_timedwait(fd, CLOCK_MONOTONIC, &deadline);
}

/* put_items - add n items (first, first + 1, ...; or n POISONs) */
static int put_items(struct ring *r, int first, unsigned int n, int poison)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = wait_unit(r->slots_fd);
		if (err)
			return err;
	}
	err = rtsync_mutex_lock(r->lock_fd);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		r->item[r->head++ % RING] = poison ? POISON : first + (int)i;
	err = rtsync_mutex_unlock(r->lock_fd);
	if (err)
		return err;
	return rtsync_sem_post(r->items_fd, n, NULL);
}

static struct ring *the_ring;

static int producer(void *arg)
{
	int id = (int)(intptr_t)arg, first = id * PER_PRODUCER, done = 0;
	unsigned int seed = (unsigned int)getpid();
	unsigned int batch;
	int err;

	while (done < PER_PRODUCER) {
		batch = 1 + rand_r(&seed) % MAX_BATCH;
		if (batch > (unsigned int)(PER_PRODUCER - done))
			batch = PER_PRODUCER - done;
		err = put_items(the_ring, first + done, batch, 0);
		if (err)
			return err;
		done += batch;
	}
	return 0;
}

static int consumer(void *arg)
{
	struct ring *r = the_ring;
	int item, err;

	(void)arg;
	for (;;) {
		err = wait_unit(r->items_fd);
		if (err)
			return err;
		err = rtsync_mutex_lock(r->lock_fd);
		if (err)
			return err;
		item = r->item[r->tail++ % RING];
		err = rtsync_mutex_unlock(r->lock_fd);
		if (err)
			return err;
		err = rtsync_sem_post(r->slots_fd, 1, NULL);
		if (err)
			return err;
		if (item == POISON)
			return 0;
		if (item < 0 || item >= TOTAL)
			__atomic_add_fetch(&r->foreign, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&r->consumed[item], 1,
					   __ATOMIC_SEQ_CST);
	}
}

int main(void)
{
	char slots_name[64], items_name[64], lock_name[64];
	pid_t producers[PRODUCERS], consumers[CONSUMERS];
	int i, missing = 0, doubled = 0, first_bad = -1;
	struct ring *r;
	int64_t start;

	r = the_ring = shared_mem(sizeof(*r));
	r->slots_fd = new_sem(slots_name, sizeof(slots_name), "pc-slots",
			      RING, RING);
	r->items_fd = new_sem(items_name, sizeof(items_name), "pc-items",
			      0, RING);
	r->lock_fd = new_mutex(lock_name, sizeof(lock_name), "pc-lock", 0);

	start = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < CONSUMERS; i++)
		consumers[i] = start_child(consumer, NULL);
	for (i = 0; i < PRODUCERS; i++)
		producers[i] = start_child(producer, (void *)(intptr_t)i);

	for (i = 0; i < PRODUCERS; i++)
		is_exit(wait_child(producers[i], PATIENCE_S + 30), 0,
			"producer finished");
	/* One poison item per consumer: each stops after taking one. */
	is_errno(put_items(r, 0, CONSUMERS, 1), 0,
		 "parent queues one stop item per consumer");
	for (i = 0; i < CONSUMERS; i++)
		is_exit(wait_child(consumers[i], PATIENCE_S + 30), 0,
			"consumer finished");
	diag("%d items through a ring of %d in %.0f ms", TOTAL, RING,
	     ns_to_ms(now_ns(CLOCK_MONOTONIC) - start));

	for (i = 0; i < TOTAL; i++) {
		if (r->consumed[i] != 1 && first_bad < 0)
			first_bad = i;
		if (r->consumed[i] == 0)
			missing++;
		else if (r->consumed[i] > 1)
			doubled++;
	}
	ok(missing == 0 && doubled == 0 && r->foreign == 0,
	   "every one of %d items consumed exactly once (missing %d, more than once %d, unknown %d)",
	   TOTAL, missing, doubled, r->foreign);
	if (first_bad >= 0)
		diag("first bad item %d consumed %d times", first_bad,
		     r->consumed[first_bad]);
	ok(r->head == TOTAL + CONSUMERS && r->tail == r->head,
	   "ring indexes: %d put, %d taken (got %u, %u)", TOTAL + CONSUMERS,
	   TOTAL + CONSUMERS, r->head, r->tail);
	is_sem(r->items_fd, 0, 0, "filled-slot semaphore at the end");
	is_sem(r->slots_fd, RING, 0, "free-slot semaphore at the end");

	drop_object(r->slots_fd, slots_name);
	drop_object(r->items_fd, items_name);
	drop_object(r->lock_fd, lock_name);
	shared_free(r, sizeof(*r));
	return tap_done();
}
