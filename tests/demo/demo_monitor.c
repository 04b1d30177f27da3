// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * demo_monitor: a monitor built from an rtsync mutex and two rtsync
 * condition variables, "not full" and "not empty", guarding a queue of
 * SLOTS slots in shared memory. Two producer processes put numbered items,
 * two consumer processes take them. P1 puts its items quickly, faster than
 * the consumers can handle them, so it has to wait for room; P2 starts
 * late, so the consumers run dry and wait for items. The timeline shows
 * every put, take, wait and wake-up with the queue's contents.
 *
 * Exits 0 if every item was consumed exactly once, a producer had to wait
 * for room and a consumer for an item, and the monitor ends idle; 1
 * otherwise; 2 if the demo could not be set up.
 */
#define _GNU_SOURCE
#include "demo.h"

#define SLOTS		3
#define P1_ITEMS	6	/* items 1..6 */
#define P2_ITEMS	4	/* items 7..10 */
#define ITEMS		(P1_ITEMS + P2_ITEMS)
#define STOP		0	/* tells a consumer to leave; items are 1.. */
#define P1_GAP_MS	10	/* between P1's items: faster than consumers */
#define P2_START_MS	700	/* P2 starts after the queue ran dry */
#define P2_GAP_MS	100
#define WORK_MS		150	/* a consumer's work per item */
#define PATIENCE_MS	20000	/* no wait in the scene takes this long */

struct monitor {
	int lock;		/* rtsync mutex */
	int not_full;		/* rtsync condition variables */
	int not_empty;
	int slot[SLOTS];
	unsigned int head, count;
	int consumed[ITEMS + 1];	/* how often each item was taken */
	int producer_waits, consumer_waits;
	struct timeline tl;
};

static struct monitor *mon;

/* queue_strip - "[  3  7  . ]": the items queued, oldest first (-- stop) */
static const char *queue_strip(char *buf, size_t size)
{
	size_t len = snprintf(buf, size, "[");
	unsigned int i;

	for (i = 0; i < SLOTS; i++) {
		if (i < mon->count && mon->slot[(mon->head + i) % SLOTS] == STOP)
			len += snprintf(buf + len, size - len, " --");
		else if (i < mon->count)
			len += snprintf(buf + len, size - len, " %2d",
					mon->slot[(mon->head + i) % SLOTS]);
		else
			len += snprintf(buf + len, size - len, "  .");
	}
	snprintf(buf + len, size - len, " ]");
	return buf;
}

/* note - log an event with the queue's contents; caller holds the lock */
static void note(const char *who, const char *what, int item)
{
	char strip[32], text[48];

	if (item > 0)
		snprintf(text, sizeof(text), "%s %d", what, item);
	else if (item == STOP)
		snprintf(text, sizeof(text), "%s stop", what);
	else
		snprintf(text, sizeof(text), "%s", what);
	event(&mon->tl, "%-3s %-24s %s", who, text,
	      queue_strip(strip, sizeof(strip)));
}

static int wait_on(int cond, const char *who, const char *why)
{
	struct timespec deadline;
	int64_t end = now_ns() + (int64_t)PATIENCE_MS * 1000000;
	int err;

	note(who, why, -1);
	deadline.tv_sec = end / 1000000000;
	deadline.tv_nsec = end % 1000000000;
	err = rtsync_cond_timedwait(cond, mon->lock, CLOCK_MONOTONIC,
				    &deadline);
	if (!err)
		note(who, "wakes up", -1);
	return err;
}

static int put(const char *who, int item)
{
	int err = rtsync_mutex_lock(mon->lock);

	if (err)
		return err;
	while (mon->count == SLOTS && !err) {
		mon->producer_waits++;
		err = wait_on(mon->not_full, who, "waits: queue full");
	}
	if (!err) {
		mon->slot[(mon->head + mon->count++) % SLOTS] = item;
		note(who, "puts", item);
		err = rtsync_cond_signal(mon->not_empty);
	}
	rtsync_mutex_unlock(mon->lock);
	return err;
}

static int take(const char *who, int *item)
{
	int err = rtsync_mutex_lock(mon->lock);

	if (err)
		return err;
	while (mon->count == 0 && !err) {
		mon->consumer_waits++;
		err = wait_on(mon->not_empty, who, "waits: queue empty");
	}
	if (!err) {
		*item = mon->slot[mon->head];
		mon->head = (mon->head + 1) % SLOTS;
		mon->count--;
		note(who, "takes", *item);
		if (*item > 0)
			mon->consumed[*item]++;
		err = rtsync_cond_signal(mon->not_full);
	}
	rtsync_mutex_unlock(mon->lock);
	return err;
}

static int producer(void *arg)
{
	int id = (int)(intptr_t)arg, i, err;
	const char *who = id ? "P2" : "P1";

	int first = id ? P1_ITEMS + 1 : 1, last = id ? ITEMS : P1_ITEMS;

	if (id)
		sleep_ms(P2_START_MS);
	for (i = first; i <= last; i++) {
		err = put(who, i);
		if (err)
			return err;
		sleep_ms(id ? P2_GAP_MS : P1_GAP_MS);
	}
	return 0;
}

static int consumer(void *arg)
{
	const char *who = (intptr_t)arg ? "C2" : "C1";
	int item, err;

	for (;;) {
		err = take(who, &item);
		if (err)
			return err;
		if (item == STOP)
			return 0;
		sleep_ms(WORK_MS);	/* the work, outside the monitor */
	}
}

static void cleanup(const char *lock, const char *nf, const char *ne)
{
	close(mon->lock);
	close(mon->not_full);
	close(mon->not_empty);
	rtsync_unlink(lock);
	rtsync_unlink(nf);
	rtsync_unlink(ne);
}

int main(void)
{
	char lock_name[64], nf_name[64], ne_name[64];
	struct rtsync_cond_status nf, ne;
	struct rtsync_mutex_status ms;
	pid_t pids[4];
	int i, failed = 0, shown = 1, once = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mon = shared_mem(sizeof(*mon));
	snprintf(lock_name, sizeof(lock_name), "demo-monitor-lock-%d", (int)getpid());
	snprintf(nf_name, sizeof(nf_name), "demo-monitor-notfull-%d", (int)getpid());
	snprintf(ne_name, sizeof(ne_name), "demo-monitor-notempty-%d", (int)getpid());
	mon->lock = rtsync_mutex_open(lock_name, O_CREAT | O_EXCL, 0600, 0);
	mon->not_full = rtsync_cond_open(nf_name, O_CREAT | O_EXCL, 0600);
	mon->not_empty = rtsync_cond_open(ne_name, O_CREAT | O_EXCL, 0600);
	if (mon->lock < 0 || mon->not_full < 0 || mon->not_empty < 0)
		die("rtsync_mutex_open/rtsync_cond_open");

	printf("A queue of %d slots in shared memory, guarded by a monitor: an rtsync mutex and\n",
	       SLOTS);
	printf("two rtsync condition variables, 'not full' and 'not empty'.\n");
	printf("P1 puts items %d-%d every %d ms; P2 puts items %d-%d every %d ms from %d ms on.\n",
	       1, P1_ITEMS, P1_GAP_MS, P1_ITEMS + 1, ITEMS, P2_GAP_MS,
	       P2_START_MS);
	printf("C1 and C2 take items and work %d ms on each.\n\n", WORK_MS);

	timeline_begin(&mon->tl);
	for (i = 0; i < 2; i++)
		pids[2 + i] = start_child(consumer, (void *)(intptr_t)i);
	for (i = 0; i < 2; i++)
		pids[i] = start_child(producer, (void *)(intptr_t)i);
	for (i = 0; i < 2; i++)
		if (reap(pids[i], 30)) {
			printf("P%d failed or hung\n", i + 1);
			failed = 1;
		}
	/* One stop item per consumer, through the same monitor. */
	for (i = 0; i < 2 && !failed; i++)
		if (put("--", STOP))
			failed = 1;
	for (i = 0; i < 2; i++)
		if (reap(pids[2 + i], 30)) {
			printf("C%d failed or hung\n", i + 1);
			failed = 1;
		}

	printf("  %11s  %-3s %-24s %s\n", "time", "who", "event", "queue");
	timeline_print(&mon->tl);
	printf("\n");

	if (rtsync_cond_info(mon->not_full, &nf) ||
	    rtsync_cond_info(mon->not_empty, &ne) ||
	    rtsync_mutex_info(mon->lock, &ms))
		failed = 1;
	cleanup(lock_name, nf_name, ne_name);
	if (failed)
		return 1;
	for (i = 1; i <= ITEMS; i++)
		once += mon->consumed[i] == 1;
	if (once != ITEMS) {
		printf("NOT SHOWN: only %d of %d items were consumed exactly once\n",
		       once, ITEMS);
		shown = 0;
	}
	if (!mon->producer_waits || !mon->consumer_waits) {
		printf("NOT SHOWN: producers waited %d times, consumers %d times; both should have\n",
		       mon->producer_waits, mon->consumer_waits);
		shown = 0;
	}
	if (mon->tl.count > TIMELINE_MAX) {
		printf("NOT SHOWN: %d events, the timeline holds %d\n",
		       mon->tl.count, TIMELINE_MAX);
		shown = 0;
	}
	if (nf.waiters || ne.waiters || ms.owner_tid || mon->count) {
		printf("NOT SHOWN: the monitor did not end idle (waiters %u and %u, owner %d, %u queued)\n",
		       nf.waiters, ne.waiters, (int)ms.owner_tid, mon->count);
		shown = 0;
	}
	if (!shown)
		return 1;
	printf("%d items, each consumed once; waits for room: %d, waits for an item: %d.\n",
	       ITEMS, mon->producer_waits, mon->consumer_waits);
	return 0;
}
