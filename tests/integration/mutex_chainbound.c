// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Chains of waiters never reach rt_mutex's own limit. rt_mutex walks a
 * chain of waiters up to kernel.max_lock_depth steps; beyond, its lock
 * functions WARN "rtmutex deadlock detected" and leave the caller asleep
 * for good. rtsync refuses with EDEADLK any LOCK that would make a chain
 * longer than its max_chain parameter, which must stay at most
 * max_lock_depth - 2 (the documented minimum of max_lock_depth).
 *
 * As root: max_chain 4 and max_lock_depth 6. Threads at nice 19 build a
 * chain T1 -> T2 -> ... -> T5 (Ti holds Mi and sleeps on Mi+1): 4 edges,
 * all asleep. Then a SCHED_FIFO process LOCKs M1 with a 2 s deadline (a
 * fifth edge, ahead of the chain) and the tail T5 LOCKs a mutex another
 * process holds (a fifth edge behind it): each gets EDEADLK at once,
 * nothing sleeps, and after the chain is undone every mutex is free. Without the bound the
 * SCHED_FIFO LOCK makes rt_mutex walk past max_lock_depth (the kernel log
 * then shows the WARN, which fails the run, and the process cannot be
 * killed).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/resource.h>
#include "tap.h"
#include "helpers.h"
#include "harden_helpers.h"

#define LINKS		5	/* threads in the chain: 4 edges */
#define MAX_CHAIN	(LINKS - 1)
#define MAX_LOCK_DEPTH	(MAX_CHAIN + 2)
#define DEPTH_SYSCTL	"/proc/sys/kernel/max_lock_depth"
#define NSEC_PER_MSEC	1000000LL

struct link {
	int held, want;		/* fds; want < 0: the tail, waits for nothing */
	volatile int holding;
	volatile int release;
	int lock_ret, want_ret;
	/* The tail only: LOCK this fd (2 s deadline) when it is set. */
	volatile int extend_fd;
	volatile int extended;
	int extend_ret;
	int64_t extend_ms;
	pthread_t thread;
};

/* The tail: LOCK l->extend_fd once asked, then wait to be released. */
static void tail_work(struct link *l)
{
	struct timespec dl;
	int64_t t0;

	while (!l->release) {
		if (l->extend_fd > 0 && !l->extended) {
			t0 = now_ns(CLOCK_MONOTONIC);
			dl = ns_to_ts(t0 + 2000 * NSEC_PER_MSEC);
			l->extend_ret = rtsync_mutex_timedlock(l->extend_fd,
							       CLOCK_MONOTONIC, &dl);
			l->extend_ms = (now_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC;
			if (!l->extend_ret)
				rtsync_mutex_unlock(l->extend_fd);
			flag_set(&l->extended, 1);
		}
		sleep_ms(1);
	}
}

static struct link links[LINKS];
static int m[LINKS + 1];
static char names[LINKS + 1][64];

static void *link_thread(void *arg)
{
	struct link *l = arg;

	setpriority(PRIO_PROCESS, 0, 19);
	l->lock_ret = rtsync_mutex_lock(l->held);
	flag_set(&l->holding, 1);
	if (l->want >= 0) {
		l->want_ret = rtsync_mutex_lock(l->want);
		if (!l->want_ret)
			rtsync_mutex_unlock(l->want);
	} else {
		tail_work(l);
	}
	rtsync_mutex_unlock(l->held);
	return NULL;
}

/* A SCHED_FIFO process LOCKs M1 (held by T1) with a 2 s deadline. */
struct fifo_try {
	int fd;
	int ret;
	int64_t ms;
};

static int fifo_lock(void *arg)
{
	struct fifo_try *f = arg;
	struct timespec dl;
	int64_t t0;

	if (set_fifo(10))
		return 2;
	t0 = now_ns(CLOCK_MONOTONIC);
	dl = ns_to_ts(t0 + 2000 * NSEC_PER_MSEC);
	f->ret = rtsync_mutex_timedlock(f->fd, CLOCK_MONOTONIC, &dl);
	f->ms = (now_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_MSEC;
	if (!f->ret)
		rtsync_mutex_unlock(f->fd);
	return 0;
}

/* Another process holds a mutex until told. */
struct holder {
	int fd;
	volatile int holding;
	volatile int release;
};

static int hold(void *arg)
{
	struct holder *h = arg;

	if (rtsync_mutex_lock(h->fd))
		return 1;
	flag_set(&h->holding, 1);
	flag_wait(&h->release, 1, 120000);
	rtsync_mutex_unlock(h->fd);
	return 0;
}

int main(void)
{
	unsigned long old_chain, old_depth;
	struct fifo_try *f = shared_mem(sizeof(*f));
	struct holder *h = shared_mem(sizeof(*h));
	char xname[64];
	int i, asleep, ret, x;
	pid_t pid, hpid;

	if (!ok(!param_read("max_chain", &old_chain) &&
		!read_number(DEPTH_SYSCTL, &old_depth),
		"the max_chain parameter and kernel.max_lock_depth are readable"))
		return tap_done();
	if (param_write("max_chain", MAX_CHAIN) ||
	    write_number(DEPTH_SYSCTL, MAX_LOCK_DEPTH))
		bail_out("setting max_chain and max_lock_depth");
	diag("max_chain %d (was %lu), kernel.max_lock_depth %d (was %lu)",
	     MAX_CHAIN, old_chain, MAX_LOCK_DEPTH, old_depth);

	for (i = 0; i <= LINKS; i++)
		m[i] = new_mutex(names[i], sizeof(names[i]), "cb", 0);
	/* From the tail: T5 holds M5; T4 holds M4 and waits for M5; ... */
	for (i = LINKS - 1; i >= 0; i--) {
		links[i].held = m[i];
		links[i].want = i == LINKS - 1 ? -1 : m[i + 1];
		if (pthread_create(&links[i].thread, NULL, link_thread, &links[i]))
			bail_out("pthread_create");
		if (!flag_wait(&links[i].holding, 1, 10000))
			bail_out("a link did not take its mutex");
		if (links[i].want >= 0 &&
		    wait_waiters(links[i].want, 1, 10000) != 1)
			bail_out("a link did not go to sleep");
	}
	for (asleep = 0, i = 1; i < LINKS; i++)
		asleep += mutex_status(m[i]).waiters;
	ok(asleep == MAX_CHAIN, "a chain of %d edges (max_chain) forms: %d asleep",
	   MAX_CHAIN, asleep);

	/* A fifth edge ahead of the chain, from a SCHED_FIFO process. */
	f->fd = m[0];
	pid = start_child(fifo_lock, f);
	ret = wait_child(pid, 30);
	ok(ret == 0 && f->ret == EDEADLK && f->ms < 1000,
	   "SCHED_FIFO LOCK of the head with a 2 s deadline: EDEADLK at once (got %s after %lld ms, status %d)",
	   f->ret ? strerror(f->ret) : "0", (long long)f->ms, ret);

	/* A fifth edge behind it: the tail waits for another process. */
	x = new_mutex(xname, sizeof(xname), "cbx", 0);
	h->fd = x;
	hpid = start_child(hold, h);
	if (!flag_wait(&h->holding, 1, 10000))
		bail_out("holder");
	links[LINKS - 1].extend_fd = x;
	if (!flag_wait(&links[LINKS - 1].extended, 1, 30000))
		bail_out("the tail did not try");
	ret = links[LINKS - 1].extend_ret;
	ok(ret == EDEADLK && links[LINKS - 1].extend_ms < 1000,
	   "the tail's LOCK of a mutex held elsewhere, with a 2 s deadline: EDEADLK at once (got %s after %lld ms)",
	   ret ? strerror(ret) : "0", (long long)links[LINKS - 1].extend_ms);
	flag_set(&h->release, 1);
	wait_child(hpid, 30);

	/* Undo the chain: the tail lets go, each link gets its mutex. */
	flag_set(&links[LINKS - 1].release, 1);
	for (i = LINKS - 1; i >= 0; i--)
		pthread_join(links[i].thread, NULL);
	for (ret = 0, i = 0; i < LINKS - 1; i++)
		ret += links[i].want_ret != 0;
	ok(ret == 0, "every link got the mutex it waited for once the tail let go (%d did not)",
	   ret);
	for (ret = 0, i = 0; i <= LINKS; i++)
		ret += mutex_status(m[i]).owner_pid != 0 ||
		       mutex_status(m[i]).waiters != 0;
	ok(ret == 0, "every mutex free, no waiter left (%d not)", ret);

	for (i = 0; i <= LINKS; i++)
		drop_object(m[i], names[i]);
	drop_object(x, xname);
	write_number(DEPTH_SYSCTL, old_depth);
	param_write("max_chain", old_chain);
	return tap_done();
}
