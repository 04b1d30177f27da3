// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Timed waits, on CLOCK_MONOTONIC and CLOCK_REALTIME: at 0 the wait fails
 * with ETIMEDOUT no earlier than the absolute deadline and leaves nothing
 * behind; a deadline already past still takes an available unit; a post
 * before the deadline ends the wait with 0; a REALTIME deadline follows a
 * change of the clock, as an absolute time must; and many timed waiters
 * racing posts at their deadlines neither lose nor double a unit.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define WAIT_MS		200
#define LATE_MS		2000	/* generous: TCG guests are slow and noisy */
#define PATIENCE_MS	30000

static const char *clock_label(clockid_t clock)
{
	return clock == CLOCK_MONOTONIC ? "MONOTONIC" : "REALTIME";
}

static void test_expiry(clockid_t clock)
{
	struct rtsync_sem_status before;
	struct timespec deadline;
	int64_t start, end, late;
	char name[64];
	int fd, err;

	fd = new_sem(name, sizeof(name), "timeout", 0, 1);
	before = sem_state(fd);
	start = now_ns(CLOCK_MONOTONIC);
	deadline = deadline_in(clock, WAIT_MS);
	err = rtsync_sem_timedwait(fd, clock, &deadline);
	end = now_ns(clock);
	is_errno(err, ETIMEDOUT, clock_label(clock));
	late = end - ts_to_ns(&deadline);
	ok(late >= 0, "%s: returned no earlier than the deadline (%.3f ms after it)",
	   clock_label(clock), ns_to_ms(late));
	ok(late < (int64_t)LATE_MS * 1000000,
	   "%s: returned within %d ms of the deadline (%.3f ms)",
	   clock_label(clock), LATE_MS, ns_to_ms(late));
	diag("%s: %d ms timed wait took %.1f ms", clock_label(clock), WAIT_MS,
	     ns_to_ms(now_ns(CLOCK_MONOTONIC) - start));
	sem_unchanged(&before, fd, "after a timed-out wait");

	/* A deadline in the past: ETIMEDOUT at once at 0, a unit when there. */
	deadline = deadline_in(clock, -1000);
	is_errno(rtsync_sem_timedwait(fd, clock, &deadline), ETIMEDOUT,
		 "deadline already past, count 0");
	deadline.tv_sec = 0;
	deadline.tv_nsec = 0;
	is_errno(rtsync_sem_timedwait(fd, clock, &deadline), ETIMEDOUT,
		 "deadline 0, count 0");
	rtsync_sem_post(fd, 1, NULL);
	deadline = deadline_in(clock, -1000);
	is_errno(rtsync_sem_timedwait(fd, clock, &deadline), 0,
		 "deadline already past, count 1: takes the unit");
	is_sem(fd, 0, 0, "after the past-deadline waits");
	drop_object(fd, name);
}

struct poster {
	int fd;
	int delay_ms;
};

static void *post_later(void *arg)
{
	struct poster *p = arg;

	sleep_ms(p->delay_ms);
	rtsync_sem_post(p->fd, 1, NULL);
	return NULL;
}

static void test_post_before_deadline(clockid_t clock)
{
	struct poster p;
	struct timespec deadline;
	char name[64], what[96];
	pthread_t t;
	int64_t start, took;

	p.fd = new_sem(name, sizeof(name), "timeout", 0, 1);
	p.delay_ms = 100;
	if (pthread_create(&t, NULL, post_later, &p))
		bail_out("pthread_create");
	start = now_ns(CLOCK_MONOTONIC);
	deadline = deadline_in(clock, 10000);
	snprintf(what, sizeof(what), "%s: a post at 100 ms ends a 10 s wait",
		 clock_label(clock));
	is_errno(rtsync_sem_timedwait(p.fd, clock, &deadline), 0, what);
	took = now_ns(CLOCK_MONOTONIC) - start;
	ok(took < 5000 * 1000000LL,
	   "%s: it returned when posted, not at the deadline (%.1f ms)",
	   clock_label(clock), ns_to_ms(took));
	join_thread(t, 30, NULL);
	is_sem(p.fd, 0, 0, "the wait took the posted unit");

	/* The cancelled timer must not disturb the next waits. */
	is_errno(rtsync_sem_trywait(p.fd), EAGAIN, "trywait afterwards");
	deadline = deadline_in(clock, 50);
	is_errno(rtsync_sem_timedwait(p.fd, clock, &deadline), ETIMEDOUT,
		 "a later 50 ms timed wait times out normally");
	drop_object(p.fd, name);
}

struct clock_jump {
	int fd;
	volatile int result;
	volatile int done;
};

static void *wait_realtime_10s(void *arg)
{
	struct clock_jump *j = arg;
	struct timespec deadline = deadline_in(CLOCK_REALTIME, 10000);

	j->result = rtsync_sem_timedwait(j->fd, CLOCK_REALTIME, &deadline);
	flag_set(&j->done, 1);
	return NULL;
}

/* Setting REALTIME 20 s ahead passes a 10 s REALTIME deadline at once. */
static void test_realtime_jump(void)
{
	struct clock_jump j = { .result = -1 };
	struct timespec ts;
	char name[64];
	pthread_t t;
	int64_t start, took;

	j.fd = new_sem(name, sizeof(name), "timeout", 0, 1);
	if (pthread_create(&t, NULL, wait_realtime_10s, &j))
		bail_out("pthread_create");
	wait_sem_waiters(j.fd, 1, PATIENCE_MS);
	start = now_ns(CLOCK_MONOTONIC);
	ts = ns_to_ts(now_ns(CLOCK_REALTIME) + 20000 * 1000000LL);
	if (clock_settime(CLOCK_REALTIME, &ts)) {
		skip(strerror(errno), "REALTIME deadline follows a clock change");
		rtsync_sem_post(j.fd, 1, NULL);
		join_thread(t, 30, NULL);
		drop_object(j.fd, name);
		return;
	}
	flag_wait(&j.done, 1, 15000);
	took = now_ns(CLOCK_MONOTONIC) - start;
	ts = ns_to_ts(now_ns(CLOCK_REALTIME) - 20000 * 1000000LL);
	clock_settime(CLOCK_REALTIME, &ts);	/* put the clock back */
	ok(flag_get(&j.done) && took < 5000 * 1000000LL,
	   "setting REALTIME 20 s ahead ends a 10 s REALTIME wait at once (%.1f ms)",
	   ns_to_ms(took));
	if (!flag_get(&j.done))
		rtsync_sem_post(j.fd, 1, NULL);
	join_thread(t, 30, NULL);
	is_errno(j.result, ETIMEDOUT, "that wait");
	is_sem(j.fd, 0, 0, "after the clock jump");
	drop_object(j.fd, name);
}

/*
 * Timeouts racing posts: waiters with deadlines 0-2 ms away while units
 * arrive at about the same rate. A unit granted to a waiter whose timer
 * fires at the same moment must be kept (the wait returns 0), so at the end
 * units taken + units left == units posted.
 */
#define RACERS		4
#define RACE_POSTS	3000

struct race {
	int fd;
	volatile int taken;
	volatile int timeouts;
	volatile int errors;
	volatile int stop;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	struct timespec deadline;
	unsigned int seed = (unsigned int)gettid();
	clockid_t clock;
	int err;

	while (!flag_get(&r->stop)) {
		clock = rand_r(&seed) & 1 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
		deadline = ns_to_ts(now_ns(clock) + rand_r(&seed) % 2000000);
		err = rtsync_sem_timedwait(r->fd, clock, &deadline);
		if (!err)
			__atomic_add_fetch(&r->taken, 1, __ATOMIC_SEQ_CST);
		else if (err == ETIMEDOUT)
			__atomic_add_fetch(&r->timeouts, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void test_timeouts_race_posts(void)
{
	struct rtsync_sem_status st;
	pthread_t threads[RACERS];
	struct race r = { 0 };
	char name[64];
	int i, posted = 0, joined = 1;

	r.fd = new_sem(name, sizeof(name), "timeout", 0, RACE_POSTS);
	for (i = 0; i < RACERS; i++)
		if (pthread_create(&threads[i], NULL, racer, &r))
			bail_out("pthread_create");
	for (i = 0; i < RACE_POSTS; i++) {
		if (!rtsync_sem_post(r.fd, 1, NULL))
			posted++;
		if (i % 4 == 0)
			usleep(500);
	}
	flag_set(&r.stop, 1);
	for (i = 0; i < RACERS; i++)
		joined &= !join_thread(threads[i], 30, NULL);
	ok(joined, "the racing waiters finished");
	st = sem_state(r.fd);
	diag("%d posted, %d taken, %d timeouts, %u left", posted, r.taken,
	     r.timeouts, st.value);
	ok(r.errors == 0, "no wait failed other than by timeout (got %d)",
	   r.errors);
	ok(r.timeouts > 0 && r.taken > 0,
	   "both outcomes happened (%d taken, %d timed out)", r.taken,
	   r.timeouts);
	ok((unsigned int)r.taken + st.value == (unsigned int)posted,
	   "no unit lost or doubled: %d taken + %u left == %d posted", r.taken,
	   st.value, posted);
	ok(st.waiters == 0, "no sleeper left behind (got %u)", st.waiters);
	drop_object(r.fd, name);
}

static void test_bad_timespec(void)
{
	struct rtsync_sem_status before;
	struct timespec ts = { .tv_sec = 1, .tv_nsec = 1000000000 };
	char name[64];
	int fd;

	fd = new_sem(name, sizeof(name), "timeout", 1, 1);
	before = sem_state(fd);
	is_errno(rtsync_sem_timedwait(fd, CLOCK_MONOTONIC, &ts), EINVAL,
		 "tv_nsec of 1e9");
	ts.tv_nsec = -1;
	is_errno(rtsync_sem_timedwait(fd, CLOCK_MONOTONIC, &ts), EINVAL,
		 "negative tv_nsec");
	ts.tv_nsec = 0;
	is_errno(rtsync_sem_timedwait(fd, CLOCK_BOOTTIME, &ts), EINVAL,
		 "CLOCK_BOOTTIME");
	is_errno(rtsync_sem_timedwait(fd, CLOCK_MONOTONIC, NULL), EINVAL,
		 "NULL deadline");
	sem_unchanged(&before, fd, "timed waits with bad arguments");
	drop_object(fd, name);
}

int main(void)
{
	test_expiry(CLOCK_MONOTONIC);
	test_expiry(CLOCK_REALTIME);
	test_post_before_deadline(CLOCK_MONOTONIC);
	test_post_before_deadline(CLOCK_REALTIME);
	test_realtime_jump();
	test_timeouts_race_posts();
	test_bad_timespec();
	return tap_done();
}
