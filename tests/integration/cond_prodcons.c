// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The monitor way to share a bounded buffer: producers and consumers in
 * separate processes, one rtsync mutex around the buffer in shared memory,
 * and two condition variables, "not full" (producers wait on it) and "not
 * empty" (consumers wait on it). Every item carries a number; each is
 * counted when consumed, and must be consumed exactly once.
 *
 * Sleepers must really sleep. The run starts with the consumers held
 * back (their condition is "an item, and the gate open") while the
 * producers fill the buffer: once all producers wait on "not full" and all
 * consumers on "not empty", nothing can move for IDLE_MS, and nobody holds
 * the mutex. The parent reads every sleeper's CPU time (/proc/PID/stat)
 * before and after that phase: a wait that spun instead of sleeping would
 * burn about as much CPU as the phase lasted. (The waits' CPU time outside
 * that phase is only printed: taking the mutex back may spin briefly on a
 * running owner, which is rt_mutex's adaptive spinning, and under TCG a
 * preempted virtual CPU makes that spin look arbitrarily long.)
 *
 * Every wait has a generous deadline, so a lost wake-up or a deadlock
 * shows as ETIMEDOUT rather than a hang.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define PRODUCERS	3
#define CONSUMERS	3
#define PROCS		(PRODUCERS + CONSUMERS)
#define PER_PRODUCER	1500
#define TOTAL		(PRODUCERS * PER_PRODUCER)
#define CAP		4
#define POISON		(-1)	/* tells one consumer to stop */
#define PATIENCE_MS	60000	/* longest any single wait may take */
#define IDLE_MS		400	/* everybody asleep, nothing to do */
/* Most CPU time a sleeper may use per second of the idle phase. */
#define CPU_PER_SEC_MS	100

struct wait_stats {
	int64_t waits;
	int64_t longest_ns;	/* wall time of the longest wait */
	int64_t longest_cpu_ns;	/* CPU time used during it */
};

struct buffer {
	int mfd;		/* the monitor's mutex */
	int not_full;		/* producers wait here */
	int not_empty;		/* consumers wait here */
	unsigned int head, tail, count;
	int item[CAP];
	int gate_open;		/* consumers may take items */
	volatile int consumed[TOTAL];
	volatile int foreign;	/* items outside [0, TOTAL) */
	struct wait_stats stats[PROCS + 1];	/* the last one: the parent */
};

static struct buffer *buf;

/* monitor_wait - one wait on cfd, timed, with its cost recorded */
static int monitor_wait(int cfd, struct wait_stats *st)
{
	int64_t t0 = now_ns(CLOCK_MONOTONIC), c0 = thread_cpu_ns(), wall;
	int err;

	err = cond_wait_within(cfd, buf->mfd, PATIENCE_MS);
	wall = now_ns(CLOCK_MONOTONIC) - t0;
	st->waits++;
	if (wall > st->longest_ns) {
		st->longest_ns = wall;
		st->longest_cpu_ns = thread_cpu_ns() - c0;
	}
	return err;
}

/* put - add one item, waiting while the buffer is full */
static int put(int value, struct wait_stats *st, int signal_locked)
{
	int err;

	err = rtsync_mutex_lock(buf->mfd);
	if (err)
		return err;
	while (buf->count == CAP && !err)
		err = monitor_wait(buf->not_full, st);
	if (err) {
		rtsync_mutex_unlock(buf->mfd);
		return err;
	}
	buf->item[buf->head++ % CAP] = value;
	buf->count++;
	/* Both ways are correct; use both. */
	if (signal_locked)
		err = rtsync_cond_signal(buf->not_empty);
	if (!err)
		err = rtsync_mutex_unlock(buf->mfd);
	if (!err && !signal_locked)
		err = rtsync_cond_signal(buf->not_empty);
	return err;
}

static int producer(void *arg)
{
	int id = (int)(intptr_t)arg, i, err;
	struct wait_stats *st = &buf->stats[id];

	for (i = 0; i < PER_PRODUCER; i++) {
		err = put(id * PER_PRODUCER + i, st, i & 1);
		if (err)
			return err;
	}
	return 0;
}

static int consumer(void *arg)
{
	int id = (int)(intptr_t)arg, item, err;
	struct wait_stats *st = &buf->stats[id];

	for (;;) {
		err = rtsync_mutex_lock(buf->mfd);
		if (err)
			return err;
		while ((buf->count == 0 || !buf->gate_open) && !err)
			err = monitor_wait(buf->not_empty, st);
		if (err) {
			rtsync_mutex_unlock(buf->mfd);
			return err;
		}
		item = buf->item[buf->tail++ % CAP];
		buf->count--;
		err = rtsync_cond_signal(buf->not_full);
		if (!err)
			err = rtsync_mutex_unlock(buf->mfd);
		if (err)
			return err;
		if (item == POISON)
			return 0;
		if (item < 0 || item >= TOTAL)
			__atomic_add_fetch(&buf->foreign, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&buf->consumed[item], 1,
					   __ATOMIC_SEQ_CST);
	}
}

/* Everybody asleep: producers on a full buffer, consumers at the gate. */
static int all_asleep(void)
{
	return cond_state(buf->not_full).waiters == PRODUCERS &&
	       cond_state(buf->not_empty).waiters == CONSUMERS;
}

/* proc_cpu_ns - user + system CPU time of process @pid so far */
static int64_t proc_cpu_ns(pid_t pid)
{
	unsigned long long utime = 0, stime = 0;
	char path[64], line[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	/* After "(comm)": state, then fields 4..13, then utime and stime. */
	if (!p || sscanf(p + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu",
			 &utime, &stime) != 2)
		return -1;
	return (int64_t)(utime + stime) * (1000000000 / sysconf(_SC_CLK_TCK));
}

static void check_sleepers(void)
{
	const struct wait_stats *st;
	int i, long_enough = 1;

	for (i = 0; i < PROCS; i++) {
		st = &buf->stats[i];
		diag("%s %d: %lld waits, longest %.1f ms using %.2f ms of CPU",
		     i < PRODUCERS ? "producer" : "consumer",
		     i < PRODUCERS ? i : i - PRODUCERS,
		     (long long)st->waits, ns_to_ms(st->longest_ns),
		     ns_to_ms(st->longest_cpu_ns));
		if (st->longest_ns < IDLE_MS * 1000000LL)
			long_enough = 0;
	}
	ok(long_enough, "every process slept through the idle %d ms in one wait",
	   IDLE_MS);
}

/* The CPU time each sleeper used during the idle phase stays small. */
static void check_idle_cpu(const pid_t *pids, const int64_t *before,
			   int64_t idle_ns)
{
	int64_t allowed = idle_ns / 1000 * CPU_PER_SEC_MS, used, worst = 0;
	int i, sleepy = 1;

	for (i = 0; i < PROCS; i++) {
		used = proc_cpu_ns(pids[i]);
		if (used < 0 || before[i] < 0) {
			sleepy = 0;
			continue;
		}
		used -= before[i];
		if (used > worst)
			worst = used;
		if (used > allowed)
			sleepy = 0;
	}
	ok(sleepy, "no sleeper used more than %d ms of CPU per second of the idle phase (worst %.1f ms in %.0f ms)",
	   CPU_PER_SEC_MS, ns_to_ms(worst), ns_to_ms(idle_ns));
}

int main(void)
{
	char mname[64], fname[64], ename[64];
	pid_t pids[PROCS];
	int i, err, missing = 0, doubled = 0, first_bad = -1, asleep;
	int64_t start, end, idle_start, cpu_before[PROCS];

	buf = shared_mem(sizeof(*buf));
	buf->mfd = new_mutex(mname, sizeof(mname), "cpc-lock", 0);
	buf->not_full = new_cond(fname, sizeof(fname), "cpc-notfull");
	buf->not_empty = new_cond(ename, sizeof(ename), "cpc-notempty");

	start = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < CONSUMERS; i++)
		pids[PRODUCERS + i] = start_child(consumer,
						  (void *)(intptr_t)(PRODUCERS + i));
	for (i = 0; i < PRODUCERS; i++)
		pids[i] = start_child(producer, (void *)(intptr_t)i);

	/* Poll INFO until the picture holds, then let it stand still. */
	end = now_ns(CLOCK_MONOTONIC) + PATIENCE_MS * 1000000LL;
	while (!(asleep = all_asleep()) && now_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(1);
	ok(asleep, "full buffer: %d producers wait on 'not full', %d consumers on 'not empty'",
	   PRODUCERS, CONSUMERS);
	for (i = 0; i < PROCS; i++)
		cpu_before[i] = proc_cpu_ns(pids[i]);
	idle_start = now_ns(CLOCK_MONOTONIC);
	sleep_ms(IDLE_MS);
	ok(all_asleep() && buf->count == CAP,
	   "after %d ms nothing moved (buffer %u of %d)", IDLE_MS, buf->count,
	   CAP);
	check_idle_cpu(pids, cpu_before, now_ns(CLOCK_MONOTONIC) - idle_start);

	/* Open the gate: a change of the consumers' condition, so BROADCAST. */
	err = rtsync_mutex_lock(buf->mfd);
	if (!err) {
		buf->gate_open = 1;
		err = rtsync_cond_broadcast(buf->not_empty);
		rtsync_mutex_unlock(buf->mfd);
	}
	is_errno(err, 0, "open the gate and BROADCAST 'not empty'");

	for (i = 0; i < PRODUCERS; i++)
		is_exit(wait_child(pids[i], PATIENCE_MS / 1000 + 30), 0,
			strf("producer %d finished", i));
	/* One stop item per consumer, put the same way. */
	for (i = 0, err = 0; i < CONSUMERS && !err; i++)
		err = put(POISON, &buf->stats[PROCS], 1);
	is_errno(err, 0, "the parent puts one stop item per consumer");
	for (i = 0; i < CONSUMERS; i++)
		is_exit(wait_child(pids[PRODUCERS + i], PATIENCE_MS / 1000 + 30),
			0, strf("consumer %d finished", i));
	diag("%d items through a buffer of %d in %.0f ms", TOTAL, CAP,
	     ns_to_ms(now_ns(CLOCK_MONOTONIC) - start));

	for (i = 0; i < TOTAL; i++) {
		if (buf->consumed[i] != 1 && first_bad < 0)
			first_bad = i;
		if (buf->consumed[i] == 0)
			missing++;
		else if (buf->consumed[i] > 1)
			doubled++;
	}
	ok(missing == 0 && doubled == 0 && buf->foreign == 0,
	   "every one of %d items consumed exactly once (missing %d, more than once %d, unknown %d)",
	   TOTAL, missing, doubled, buf->foreign);
	if (first_bad >= 0)
		diag("first bad item %d consumed %d times", first_bad,
		     buf->consumed[first_bad]);
	ok(buf->count == 0 && buf->head == TOTAL + CONSUMERS &&
	   buf->tail == buf->head,
	   "buffer empty, %d put and taken (got count %u, %u put, %u taken)",
	   TOTAL + CONSUMERS, buf->count, buf->head, buf->tail);
	check_sleepers();
	ok(cond_state(buf->not_full).waiters == 0 &&
	   cond_state(buf->not_empty).waiters == 0,
	   "no waiter left on either condition variable");
	ok(mutex_status(buf->mfd).owner_tid == 0, "the mutex is free");

	drop_object(buf->not_full, fname);
	drop_object(buf->not_empty, ename);
	drop_object(buf->mfd, mname);
	shared_free(buf, sizeof(*buf));
	return tap_done();
}
