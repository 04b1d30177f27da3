// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * demo_sem: an rtsync semaphore as a pool of POOL places shared by
 * PROCESSES processes. Each process takes a place ROUNDS times, holds it
 * for a while (longer for higher-numbered processes, so they overlap in
 * varied ways) and gives it back. The timeline shows who enters, waits and
 * leaves, and who is inside at each moment.
 *
 * Exits 0 if nobody ever found more than POOL inside, the pool was used to
 * its size, someone had to wait for a place, and the semaphore ends full
 * with no sleepers; 1 otherwise; 2 if the demo could not be set up.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "demo.h"

#define POOL		2
#define PROCESSES	4
#define ROUNDS		3
#define HOLD_MS		150	/* P1 holds a place this long, P2 +50 ms... */
#define PAUSE_MS	40	/* between a process's rounds */

struct pool {
	int fd;
	pthread_mutex_t log_lock;	/* keeps inside, who and the log in step */
	int inside;
	int who;			/* bit p: process p+1 is inside */
	int most_inside;
	int entries;
	int waits;
	struct timeline tl;
};

/* who_strip - "P1 .  P3 .  " for the processes inside */
static void who_strip(int who, char *buf, size_t size)
{
	size_t len = 0;
	int p;

	buf[0] = '\0';
	for (p = 0; p < PROCESSES && len < size; p++)
		len += snprintf(buf + len, size - len,
				who & (1 << p) ? "P%d " : ".  ", p + 1);
}

/* log_move - someone entered (+1) or left (-1): count and log it */
static void log_move(struct pool *pl, int id, int delta)
{
	char strip[4 * PROCESSES + 1];

	pthread_mutex_lock(&pl->log_lock);
	pl->inside += delta;
	if (delta > 0) {
		pl->who |= 1 << id;
		pl->entries++;
		if (pl->inside > pl->most_inside)
			pl->most_inside = pl->inside;
	} else {
		pl->who &= ~(1 << id);
	}
	who_strip(pl->who, strip, sizeof(strip));
	event(&pl->tl, "P%d %-20s inside %d   %s", id + 1,
	      delta > 0 ? "enters" : "leaves", pl->inside, strip);
	pthread_mutex_unlock(&pl->log_lock);
}

/* What one pool user is told: the pool, and which process it is. */
struct user_arg {
	struct pool *pl;
	int id;		/* 0 for P1 */
};

static int user(void *arg)
{
	struct pool *pl = ((struct user_arg *)arg)->pl;
	int id = ((struct user_arg *)arg)->id;
	int round, err;

	for (round = 0; round < ROUNDS; round++) {
		err = rtsync_sem_trywait(pl->fd);
		if (err == EAGAIN) {
			pthread_mutex_lock(&pl->log_lock);
			pl->waits++;
			event(&pl->tl, "P%d waits (pool full)", id + 1);
			pthread_mutex_unlock(&pl->log_lock);
			err = rtsync_sem_wait(pl->fd);
		}
		if (err)
			return err;
		log_move(pl, id, +1);
		sleep_ms(HOLD_MS + 50 * id);
		log_move(pl, id, -1);
		err = rtsync_sem_post(pl->fd, 1, NULL);
		if (err)
			return err;
		sleep_ms(PAUSE_MS);
	}
	return 0;
}

int main(void)
{
	struct rtsync_sem_status st;
	pthread_mutexattr_t attr;
	pid_t pids[PROCESSES];
	struct user_arg arg;
	struct pool *pl;
	char name[64];
	int i, failed = 0, shown = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pl = shared_mem(sizeof(*pl));
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	errno = pthread_mutex_init(&pl->log_lock, &attr);
	if (errno)
		die("pthread_mutex_init");
	snprintf(name, sizeof(name), "demo-pool-%d", (int)getpid());
	pl->fd = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, POOL, POOL);
	if (pl->fd < 0)
		die("rtsync_sem_open");

	printf("A pool of %d places shared by %d processes: an rtsync semaphore with value %d, max %d.\n",
	       POOL, PROCESSES, POOL, POOL);
	printf("Each process takes a place %d times; P1 holds it %d ms, P2 %d ms, and so on.\n\n",
	       ROUNDS, HOLD_MS, HOLD_MS + 50);

	timeline_begin(&pl->tl);
	arg.pl = pl;
	for (i = 0; i < PROCESSES; i++) {
		arg.id = i;	/* the child gets its own copy at fork */
		pids[i] = start_child(user, &arg);
	}
	for (i = 0; i < PROCESSES; i++)
		if (reap(pids[i], 30)) {
			printf("P%d failed or hung\n", i + 1);
			failed = 1;
		}
	/* Column heads over timeline_print()'s time and log_move()'s text. */
	printf("  %11s  %-35s%s\n", "time", "event", "who is inside");
	timeline_print(&pl->tl);
	printf("\n");

	if (rtsync_sem_info(pl->fd, &st))
		st.value = st.waiters = ~0U;
	close(pl->fd);
	rtsync_unlink(name);
	if (failed)
		return 1;
	if (pl->most_inside > POOL) {
		printf("NOT SHOWN: %d processes were inside at once, the pool has %d places\n",
		       pl->most_inside, POOL);
		shown = 0;
	}
	if (pl->most_inside < POOL) {
		printf("NOT SHOWN: never more than %d inside; the pool was not shared\n",
		       pl->most_inside);
		shown = 0;
	}
	if (!pl->waits) {
		printf("NOT SHOWN: nobody had to wait for a place\n");
		shown = 0;
	}
	if (pl->entries != PROCESSES * ROUNDS || st.value != POOL ||
	    st.waiters) {
		printf("NOT SHOWN: %d of %d entries; the semaphore ended at value %u with %u sleepers\n",
		       pl->entries, PROCESSES * ROUNDS, st.value, st.waiters);
		shown = 0;
	}
	if (!shown)
		return 1;
	printf("%d entries, never more than %d inside at once; %d times a process waited for a place.\n",
	       pl->entries, POOL, pl->waits);
	return 0;
}
