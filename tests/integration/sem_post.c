// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * POST: a post that would take the count past max fails with EOVERFLOW and
 * changes nothing, whatever the sizes involved (up to UINT32_MAX) and even
 * with sleepers that could have taken the units; a post of n with sleepers
 * wakes exactly min(n, sleepers) of them and adds only the rest to the
 * count; sleeping threads of one process are served like processes.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define SLEEPERS	5
#define PATIENCE_MS	30000
#define SETTLE_MS	100	/* a wrong extra wake-up would show by then */

static void test_overflow(void)
{
	struct rtsync_sem_status before;
	unsigned int prev = 777;
	char name[64];
	int fd;

	fd = new_sem(name, sizeof(name), "post", 3, 5);
	before = sem_state(fd);
	is_errno(rtsync_sem_post(fd, 3, &prev), EOVERFLOW, "post 3 at 3 of 5");
	ok(prev == 777, "a failed post leaves *prev alone (got %u)", prev);
	sem_unchanged(&before, fd, "post 3 at 3 of 5");
	is_errno(rtsync_sem_post(fd, UINT32_MAX, NULL), EOVERFLOW,
		 "post UINT32_MAX at 3 of 5");
	sem_unchanged(&before, fd, "post UINT32_MAX");
	is_errno(rtsync_sem_post(fd, UINT32_MAX - 2, NULL), EOVERFLOW,
		 "post UINT32_MAX - 2 (count + n wraps to 0 in 32 bits)");
	sem_unchanged(&before, fd, "post that wraps");
	is_errno(rtsync_sem_post(fd, 2, &prev), 0, "post 2 at 3 of 5 fills it");
	ok(prev == 3, "previous count 3 (got %u)", prev);
	before = sem_state(fd);
	is_errno(rtsync_sem_post(fd, 1, NULL), EOVERFLOW, "post 1 when full");
	sem_unchanged(&before, fd, "post 1 when full");
	drop_object(fd, name);

	fd = new_sem(name, sizeof(name), "post", 0, RTSYNC_SEM_VALUE_MAX);
	is_errno(rtsync_sem_post(fd, RTSYNC_SEM_VALUE_MAX, &prev), 0,
		 "post RTSYNC_SEM_VALUE_MAX at 0");
	before = sem_state(fd);
	ok(before.value == RTSYNC_SEM_VALUE_MAX, "count is %#x (got %#x)",
	   RTSYNC_SEM_VALUE_MAX, before.value);
	is_errno(rtsync_sem_post(fd, 1, NULL), EOVERFLOW,
		 "post 1 at RTSYNC_SEM_VALUE_MAX");
	is_errno(rtsync_sem_post(fd, RTSYNC_SEM_VALUE_MAX + 1, NULL),
		 EOVERFLOW, "post 2^31 at RTSYNC_SEM_VALUE_MAX");
	sem_unchanged(&before, fd, "posts at RTSYNC_SEM_VALUE_MAX");
	drop_object(fd, name);
}

/* Sleepers for the wake-count tests, as processes or as threads. */
struct wakes {
	int fd;
	volatile int woken;
	volatile int failed;	/* a wait that returned an error */
};

static void sleep_once(struct wakes *w)
{
	struct timespec deadline = deadline_in(CLOCK_MONOTONIC, PATIENCE_MS);

	if (rtsync_sem_timedwait(w->fd, CLOCK_MONOTONIC, &deadline))
		__atomic_add_fetch(&w->failed, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_add_fetch(&w->woken, 1, __ATOMIC_SEQ_CST);
}

static int sleeper_process(void *arg)
{
	sleep_once(arg);
	return 0;
}

static void *sleeper_thread(void *arg)
{
	sleep_once(arg);
	return NULL;
}

/*
 * post_and_count - post n and check that exactly want_woken sleepers have
 * woken in all, that left still sleep and that the count is value.
 */
static void post_and_count(struct wakes *w, unsigned int n, int want_woken,
			   unsigned int left, unsigned int value,
			   const char *who)
{
	char what[128];

	snprintf(what, sizeof(what), "%s: post %u", who, n);
	is_errno(rtsync_sem_post(w->fd, n, NULL), 0, what);
	flag_wait(&w->woken, want_woken, PATIENCE_MS);
	wait_sem_waiters(w->fd, left, PATIENCE_MS);
	sleep_ms(SETTLE_MS);
	ok(flag_get(&w->woken) == want_woken,
	   "%s: after post %u, %d woken in all (got %d)", who, n, want_woken,
	   flag_get(&w->woken));
	snprintf(what, sizeof(what), "%s: after post %u", who, n);
	is_sem(w->fd, value, left, what);
}

/* The same sequence of posts, whoever the sleepers are. */
static void post_sequence(struct wakes *w, const char *who)
{
	char what[128];

	snprintf(what, sizeof(what), "%s: %d sleep in WAIT", who, SLEEPERS);
	ok(wait_sem_waiters(w->fd, SLEEPERS, PATIENCE_MS) == SLEEPERS, "%s",
	   what);
	post_and_count(w, 3, 3, SLEEPERS - 3, 0, who);
	post_and_count(w, 1, 4, SLEEPERS - 4, 0, who);
	/* One sleeper left: one unit goes to it, two are added to the count. */
	post_and_count(w, 3, 5, 0, 2, who);
	ok(flag_get(&w->failed) == 0, "%s: no wait failed (got %d)", who,
	   flag_get(&w->failed));
}

static void test_wake_n_processes(void)
{
	pid_t pids[SLEEPERS];
	struct wakes *w;
	char name[64];
	int i;

	w = shared_mem(sizeof(*w));
	w->fd = new_sem(name, sizeof(name), "post", 0, 10);
	for (i = 0; i < SLEEPERS; i++)
		pids[i] = start_child(sleeper_process, w);
	post_sequence(w, "processes");
	for (i = 0; i < SLEEPERS; i++)
		is_exit(wait_child(pids[i], PATIENCE_MS / 1000 + 10), 0,
			"sleeping process finished");
	drop_object(w->fd, name);
	shared_free(w, sizeof(*w));
}

static void test_wake_n_threads(void)
{
	pthread_t threads[SLEEPERS];
	struct wakes w = { 0 };
	char name[64];
	int i;

	w.fd = new_sem(name, sizeof(name), "post", 0, 10);
	for (i = 0; i < SLEEPERS; i++)
		if (pthread_create(&threads[i], NULL, sleeper_thread, &w))
			bail_out("pthread_create");
	post_sequence(&w, "threads");
	for (i = 0; i < SLEEPERS; i++)
		ok(!join_thread(threads[i], PATIENCE_MS / 1000 + 10, NULL),
		   "sleeping thread finished");
	drop_object(w.fd, name);
}

static void test_overflow_with_sleepers(void)
{
	struct rtsync_sem_status before;
	pid_t pids[3];
	struct wakes *w;
	char name[64];
	int i;

	/* 3 sleepers could take 3 units, but count + 3 > max 2: refused. */
	w = shared_mem(sizeof(*w));
	w->fd = new_sem(name, sizeof(name), "post", 0, 2);
	for (i = 0; i < 3; i++)
		pids[i] = start_child(sleeper_process, w);
	ok(wait_sem_waiters(w->fd, 3, PATIENCE_MS) == 3, "3 sleep in WAIT");
	before = sem_state(w->fd);
	is_errno(rtsync_sem_post(w->fd, 3, NULL), EOVERFLOW,
		 "post 3 past max 2 with 3 sleepers");
	sleep_ms(SETTLE_MS);
	ok(flag_get(&w->woken) == 0, "nobody woke (got %d)",
	   flag_get(&w->woken));
	sem_unchanged(&before, w->fd, "post 3 past max with sleepers");
	is_errno(rtsync_sem_post(w->fd, 2, NULL), 0, "post 2 with 3 sleepers");
	is_errno(rtsync_sem_post(w->fd, 1, NULL), 0, "post 1 more");
	for (i = 0; i < 3; i++)
		is_exit(wait_child(pids[i], PATIENCE_MS / 1000 + 10), 0,
			"sleeping process finished");
	ok(flag_get(&w->woken) == 3, "all 3 woke (got %d)", flag_get(&w->woken));
	is_sem(w->fd, 0, 0, "at the end");
	drop_object(w->fd, name);
	shared_free(w, sizeof(*w));
}

int main(void)
{
	test_overflow();
	test_wake_n_processes();
	test_wake_n_threads();
	test_overflow_with_sleepers();
	return tap_done();
}
