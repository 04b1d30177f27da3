// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The chain-extension race, unprivileged. rt_mutex walks a chain of
 * waiters up to kernel.max_lock_depth steps and hangs the caller beyond;
 * checking only the chain ahead of a new waiter is not enough, because the
 * chain can grow at its tail while rt_mutex walks it. Here, as uid 65534
 * with RLIMIT_RTPRIO 20 and nothing else (what real-time users are given):
 * chain A (threads at nice 19, each holding its mutex and asleep on the
 * next) and chain B; in each round a SCHED_FIFO 10 thread LOCKs A's head
 * while A's tail LOCKs B's head, both with short deadlines and varied
 * timing, so the tail extends the chain while the head walks it. Every
 * LOCK must end in ETIMEDOUT or EDEADLK (never hang, never WARN: the
 * harness fails the run on a kernel report); afterwards the chains undo
 * and every mutex is free.
 *
 * The work runs in a child that drops its privileges; this process, root,
 * sets max_chain and max_lock_depth before and restores them after.
 *
 * Sizes: the head's LOCK alone and the tail's alone each keep the chain
 * within max_chain, both together do not: whichever comes second must be
 * refused. A walk leaves "up" raised on the mutexes it passed while they
 * have waiters (module/chain.c), so once the head has walked A the tail
 * is refused at once: the chains are rebuilt every REBUILD rounds. Under
 * make check: max_chain 40 with max_lock_depth 42 (its documented
 * minimum, so a broken bound reaches rt_mutex's limit), A 26 threads, B
 * 15, 100 rounds, rebuilt every round. Under make stress: max_chain 1000,
 * max_lock_depth 1002, A 971, B 30, 3000 rounds, rebuilt every 50; on the
 * debug kernel 300 rounds, since every walk of the 1000-deep chain runs
 * under lockdep and KASAN (3000 rounds took over 25 minutes there).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/resource.h>
#include "tap.h"
#include "helpers.h"
#include "harden_helpers.h"

#define NOBODY		65534
#define NSEC_PER_MSEC	1000000LL
#define DEPTH_SYSCTL	"/proc/sys/kernel/max_lock_depth"

struct link {
	int held, want;		/* fds; want < 0: the tail */
	volatile int holding;
	int want_ret;
	pthread_t thread;
};

struct chain {
	int n;
	int *fd;
	struct link *link;
	volatile int release;	/* the tail lets go */
	/* The tail's work per round: LOCK extend_fd with a short deadline. */
	volatile int round;
	volatile int round_done;
	int extend_fd;
	int extend_delay_us;
	int extend_ret;
};

static struct chain a, b;
static volatile int stop_rounds;

static void tail_rounds(struct chain *c)
{
	struct timespec dl;
	int seen = 0, ret;

	while (!c->release) {
		if (c->round == seen) {
			usleep(200);
			continue;
		}
		seen = c->round;
		if (c->extend_delay_us)
			usleep(c->extend_delay_us);
		dl = ns_to_ts(now_ns(CLOCK_MONOTONIC) + 5 * NSEC_PER_MSEC);
		ret = rtsync_mutex_timedlock(c->extend_fd, CLOCK_MONOTONIC, &dl);
		if (!ret)
			rtsync_mutex_unlock(c->extend_fd);
		c->extend_ret = ret;
		flag_set(&c->round_done, seen);
	}
}

struct link_arg {
	struct chain *c;
	int i;
};

static void *link_thread(void *arg)
{
	struct chain *c = ((struct link_arg *)arg)->c;
	struct link *l = &c->link[((struct link_arg *)arg)->i];

	setpriority(PRIO_PROCESS, 0, 19);
	if (rtsync_mutex_lock(l->held))
		return NULL;
	flag_set(&l->holding, 1);
	if (l->want >= 0) {
		l->want_ret = rtsync_mutex_lock(l->want);
		if (!l->want_ret)
			rtsync_mutex_unlock(l->want);
	} else {
		tail_rounds(c);
	}
	rtsync_mutex_unlock(l->held);
	return NULL;
}

/* Build chain @c of @n threads, from its tail. */
static void build(struct chain *c, int n, const char *tag)
{
	static struct link_arg args[2][1024];
	pthread_attr_t attr;
	char name[64];
	int i;

	memset(c, 0, sizeof(*c));
	c->n = n;
	c->fd = calloc(n, sizeof(*c->fd));
	c->link = calloc(n, sizeof(*c->link));
	if (!c->fd || !c->link)
		bail_out("calloc");
	for (i = 0; i < n; i++) {
		c->fd[i] = rtsync_mutex_open(test_name(name, sizeof(name), tag),
					     O_CREAT | O_EXCL, 0600, 0);
		if (c->fd[i] < 0)
			bail_out("rtsync_mutex_open (RLIMIT_NOFILE?)");
		/* Unlinked at once: closing the fds frees them. */
		rtsync_unlink(name);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = n - 1; i >= 0; i--) {
		c->link[i].held = c->fd[i];
		c->link[i].want = i == n - 1 ? -1 : c->fd[i + 1];
		args[c == &b][i] = (struct link_arg){ c, i };
		if (pthread_create(&c->link[i].thread, &attr, link_thread,
				   &args[c == &b][i]))
			bail_out("pthread_create");
		if (!flag_wait(&c->link[i].holding, 1, 60000))
			bail_out("a link did not take its mutex");
		if (c->link[i].want >= 0 &&
		    wait_waiters(c->link[i].want, 1, 60000) != 1)
			bail_out("a link did not go to sleep");
	}
	pthread_attr_destroy(&attr);
}

static int undo(struct chain *c)
{
	int i, bad = 0;

	flag_set(&c->release, 1);
	for (i = 0; i < c->n; i++)
		pthread_join(c->link[i].thread, NULL);
	for (i = 0; i < c->n; i++) {
		bad += c->link[i].want >= 0 && c->link[i].want_ret != 0;
		bad += mutex_status(c->fd[i]).owner_pid != 0;
		close(c->fd[i]);
	}
	free(c->fd);
	free(c->link);
	return bad;
}

/* The SCHED_FIFO 10 head locker: one LOCK of A's head per round. */
struct head {
	volatile int round;
	volatile int round_done;
	int delay_us;
	int ret;
};

static struct head head;

static void *head_thread(void *arg)
{
	struct timespec dl;
	int seen = 0, ret;

	(void)arg;
	if (set_fifo(10)) {
		head.ret = -1;
		return NULL;
	}
	while (!stop_rounds) {
		if (head.round == seen) {
			usleep(200);
			continue;
		}
		seen = head.round;
		if (head.delay_us)
			usleep(head.delay_us);
		dl = ns_to_ts(now_ns(CLOCK_MONOTONIC) + 5 * NSEC_PER_MSEC);
		ret = rtsync_mutex_timedlock(a.fd[0], CLOCK_MONOTONIC, &dl);
		if (!ret)
			rtsync_mutex_unlock(a.fd[0]);
		head.ret = ret;
		flag_set(&head.round_done, seen);
	}
	return NULL;
}

/* What the unprivileged child reports. */
struct report {
	int setup;		/* 0, or the step that failed */
	int rounds;
	int bad_head, bad_tail, deadlk_head, deadlk_tail;
	int undo_bad;
};

static int run(void *arg)
{
	struct report *rep = arg;
	int stress = stress_mode();
	int la = stress ? 971 : 26, lb = stress ? 30 : 15;
	int rebuild = stress ? 50 : 1;
	unsigned int seed = 1;
	struct rlimit rl;
	pthread_t ht;
	int r;

	/* Longer than start_child()'s alarm under KASAN; main() limits it. */
	alarm(0);

	/* Root's last acts: room for the fds, RT priority 20, then nobody. */
	rl.rlim_cur = rl.rlim_max = 4096;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return rep->setup = 1;
	rl.rlim_cur = rl.rlim_max = 20;
	if (setrlimit(RLIMIT_RTPRIO, &rl) || setgid(NOBODY) || setuid(NOBODY))
		return rep->setup = 2;

	if (pthread_create(&ht, NULL, head_thread, NULL))
		return rep->setup = 3;
	for (r = 1; r <= rep->rounds; r++) {
		if ((r - 1) % rebuild == 0) {
			if (r > 1)
				rep->undo_bad += undo(&a) + undo(&b);
			build(&b, lb, "chb");
			build(&a, la, "cha");
			a.extend_fd = b.fd[0];
		}
		/* Varied timing: either may start first, by up to 2 ms. */
		head.delay_us = rand_r(&seed) % 2000;
		a.extend_delay_us = rand_r(&seed) % 2000;
		a.round = r;
		head.round = r;
		if (!flag_wait(&head.round_done, r, 30000) ||
		    !flag_wait(&a.round_done, r, 30000))
			return rep->setup = 4;	/* a LOCK hangs */
		if (head.ret == EDEADLK)
			rep->deadlk_head++;
		else if (head.ret != ETIMEDOUT)
			rep->bad_head++;
		if (a.extend_ret == EDEADLK)
			rep->deadlk_tail++;
		else if (a.extend_ret != ETIMEDOUT)
			rep->bad_tail++;
	}
	stop_rounds = 1;
	pthread_join(ht, NULL);
	rep->undo_bad += undo(&a) + undo(&b);
	return 0;
}

int main(void)
{
	struct report *rep = shared_mem(sizeof(*rep));
	int stress = stress_mode();
	int max_chain = stress ? 1000 : 40;
	unsigned long old_chain = 0, old_depth = 0;
	int status;

	if (!ok(!param_read("max_chain", &old_chain) &&
		!read_number(DEPTH_SYSCTL, &old_depth),
		"the max_chain parameter and kernel.max_lock_depth are readable"))
		return tap_done();
	if (param_write("max_chain", max_chain) ||
	    write_number(DEPTH_SYSCTL, max_chain + 2))
		bail_out("setting max_chain and max_lock_depth");
	rep->rounds = (int)sized(100, 3000, stress ? 10 : 1);
	diag("max_chain %d, max_lock_depth %d, %d rounds, as uid %d", max_chain,
	     max_chain + 2, rep->rounds, NOBODY);

	status = wait_child(start_child(run, rep), stress ? 3000 : 600);
	ok(status == 0 && rep->setup == 0,
	   "the unprivileged chains were built and every round ended (status %d, step %d failed)",
	   status, rep->setup);
	diag("EDEADLK: head %d, tail %d of %d rounds", rep->deadlk_head,
	     rep->deadlk_tail, rep->rounds);
	ok(rep->bad_head == 0,
	   "the SCHED_FIFO head LOCK always ended in ETIMEDOUT or EDEADLK (%d other)",
	   rep->bad_head);
	ok(rep->bad_tail == 0,
	   "the tail's LOCK into chain B always ended in ETIMEDOUT or EDEADLK (%d other)",
	   rep->bad_tail);
	ok(rep->deadlk_head + rep->deadlk_tail > 0,
	   "the chain bound was reached (%d refusals)",
	   rep->deadlk_head + rep->deadlk_tail);
	ok(rep->undo_bad == 0,
	   "both chains undone, every link got its mutex, every mutex free (%d not)",
	   rep->undo_bad);
	write_number(DEPTH_SYSCTL, old_depth);
	param_write("max_chain", old_chain);
	return tap_done();
}
