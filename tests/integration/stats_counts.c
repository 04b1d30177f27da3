// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Statistics (RTSYNC_IOC_STATS, /proc/rtsync_stats): every counter
 * against what the test did. Counts must be exact; wait and hold times
 * must lie between what the test can prove from outside (a sleep it knows
 * happened inside the measured span) and the span it measured around the
 * call. Also: STATS_RESET for the owner and CAP_SYS_ADMIN, EPERM for
 * anybody else with nothing changed; EFAULT; hold times only while the
 * module parameter hold_time is on, and never for a hold that began
 * before it was turned on.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include "tap.h"
#include "helpers.h"

#define NSEC_PER_MSEC	1000000LL
#define HOLD_TIME	"/sys/module/rtsync/parameters/hold_time"
#define NOBODY		65534

static struct rtsync_stats stats_of(int fd)
{
	struct rtsync_stats st;

	memset(&st, 0xa5, sizeof(st));
	if (rtsync_stats(fd, &st))
		bail_out("rtsync_stats");
	return st;
}

static void stats_diag(const char *label, const struct rtsync_stats *st)
{
	diag("%s: acq %llu cont %llu wait %.3f ms max %.3f ms hold %.3f ms posts %llu to %u dl %u od %u sleepers %u flags %#x",
	     label, (unsigned long long)st->acquisitions,
	     (unsigned long long)st->contended, ns_to_ms(st->wait_ns),
	     ns_to_ms(st->wait_max_ns), ns_to_ms(st->hold_max_ns),
	     (unsigned long long)st->posts, st->timeouts, st->deadlocks,
	     st->owner_deaths, st->max_sleepers, st->flags);
}

static int all_zero(const struct rtsync_stats *st)
{
	return !st->acquisitions && !st->contended && !st->wait_ns &&
	       !st->wait_max_ns && !st->hold_max_ns && !st->posts &&
	       !st->timeouts && !st->deadlocks && !st->owner_deaths &&
	       !st->max_sleepers && !st->pad;
}

/* hold_time on or off (the parameter is a bool: 1 or 0); 0 or an errno */
static int set_hold_time(int on)
{
	return write_number(HOLD_TIME, on);
}

/* A process that holds a mutex until it has seen @waiters sleeping on it. */
struct holder {
	int fd;
	int hold_ms;		/* after the waiters are seen */
	unsigned int waiters;	/* 0: do not wait for any */
	volatile int held;
	int64_t seen_ns;	/* when the waiters were seen */
	int64_t unlock_ns;	/* just before UNLOCK */
	int die;		/* exit holding it */
	int ret;
};

static int holder_process(void *arg)
{
	struct holder *h = arg;

	h->ret = rtsync_mutex_lock(h->fd);
	flag_set(&h->held, 1);
	if (h->ret)
		return 1;
	if (h->die)
		return 0;
	if (h->waiters && wait_waiters(h->fd, h->waiters, 30000) != h->waiters)
		return 2;
	h->seen_ns = now_ns(CLOCK_MONOTONIC);
	sleep_ms(h->hold_ms);
	h->unlock_ns = now_ns(CLOCK_MONOTONIC);
	return rtsync_mutex_unlock(h->fd) ? 3 : 0;
}

static pid_t start_holder(struct holder *h)
{
	pid_t pid = start_child(holder_process, h);

	if (!flag_wait(&h->held, 1, 30000) || h->ret)
		bail_out("the holder did not lock");
	return pid;
}

static void test_mutex_counts(void)
{
	struct holder *h = shared_mem(sizeof(*h));
	struct rtsync_stats st, before;
	char name[64], rname[64];
	int64_t t0, t1, deadline;
	struct timespec ts;
	int fd, rfd, i, ret, code;
	pid_t pid;

	fd = new_mutex(name, sizeof(name), "stm", 0);
	st = stats_of(fd);
	ok(all_zero(&st) && !(st.flags & RTSYNC_STATS_HOLD_TIME),
	   "a new mutex has every counter 0 and no hold times");

	for (i = 0; i < 5; i++)
		if (rtsync_mutex_lock(fd) || rtsync_mutex_unlock(fd))
			bail_out("uncontended lock/unlock");
	ret = rtsync_mutex_trylock(fd);
	rtsync_mutex_unlock(fd);
	st = stats_of(fd);
	ok(!ret && st.acquisitions == 6 && !st.contended && !st.wait_ns,
	   "5 LOCKs and a TRYLOCK, uncontended: 6 acquisitions, none contended, no wait (%llu, %llu, %llu ns)",
	   (unsigned long long)st.acquisitions,
	   (unsigned long long)st.contended, (unsigned long long)st.wait_ns);

	/* Contended: the holder sees us asleep, then holds 50 ms more. */
	h->fd = fd;
	h->waiters = 1;
	h->hold_ms = 50;
	pid = start_holder(h);
	t0 = now_ns(CLOCK_MONOTONIC);
	ret = rtsync_mutex_lock(fd);
	t1 = now_ns(CLOCK_MONOTONIC);
	rtsync_mutex_unlock(fd);
	code = wait_child(pid, 60);
	st = stats_of(fd);
	stats_diag("contended", &st);
	ok(!ret && !code && st.acquisitions == 8 && st.contended == 1,
	   "a LOCK that slept: 8 acquisitions (the holder's and ours), 1 contended");
	ok(st.wait_ns >= (uint64_t)(h->unlock_ns - h->seen_ns) &&
	   st.wait_ns <= (uint64_t)(t1 - t0) && st.wait_max_ns == st.wait_ns,
	   "its wait %.3f ms lies in [%.3f, %.3f] ms (asleep when seen .. the call), and is the max",
	   ns_to_ms(st.wait_ns), ns_to_ms(h->unlock_ns - h->seen_ns),
	   ns_to_ms(t1 - t0));

	/* A timed LOCK that gives up. */
	before = st;
	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->waiters = 1;
	h->hold_ms = 200;
	pid = start_holder(h);
	t0 = now_ns(CLOCK_MONOTONIC);
	deadline = t0 + 30 * NSEC_PER_MSEC;
	ts = ns_to_ts(deadline);
	ret = rtsync_mutex_timedlock(fd, CLOCK_MONOTONIC, &ts);
	t1 = now_ns(CLOCK_MONOTONIC);
	code = wait_child(pid, 60);
	st = stats_of(fd);
	ok(ret == ETIMEDOUT && !code && st.timeouts == 1 &&
	   st.contended == before.contended &&
	   st.acquisitions == before.acquisitions + 1,
	   "a timed-out LOCK: 1 timeout, not counted as an acquisition (ret %s)",
	   strerror(ret));
	ok(st.wait_ns - before.wait_ns >= 20 * NSEC_PER_MSEC &&
	   st.wait_ns - before.wait_ns <= (uint64_t)(t1 - t0),
	   "its 30 ms sleep is counted: %.3f ms, at most the %.3f ms measured",
	   ns_to_ms(st.wait_ns - before.wait_ns), ns_to_ms(t1 - t0));

	/* EDEADLK: relocking a mutex one holds. */
	rtsync_mutex_lock(fd);
	ret = rtsync_mutex_lock(fd);
	rtsync_mutex_unlock(fd);
	st = stats_of(fd);
	ok(ret == EDEADLK && st.deadlocks == 1,
	   "a relock: EDEADLK, 1 deadlock counted (%u)", st.deadlocks);

	/* A recursive mutex: levels are not acquisitions. */
	rfd = new_mutex(rname, sizeof(rname), "str", RTSYNC_RECURSIVE);
	rtsync_mutex_lock(rfd);
	rtsync_mutex_lock(rfd);
	rtsync_mutex_unlock(rfd);
	rtsync_mutex_unlock(rfd);
	st = stats_of(rfd);
	ok(st.acquisitions == 1 && !st.deadlocks,
	   "a recursive mutex locked twice: 1 acquisition (%llu)",
	   (unsigned long long)st.acquisitions);

	/* Owner death. */
	memset(h, 0, sizeof(*h));
	h->fd = rfd;
	h->die = 1;
	pid = start_holder(h);
	code = wait_child(pid, 60);
	ret = rtsync_mutex_lock(rfd);
	if (ret == EOWNERDEAD)
		rtsync_mutex_consistent(rfd);
	rtsync_mutex_unlock(rfd);
	st = stats_of(rfd);
	ok(!code && ret == EOWNERDEAD && st.owner_deaths == 1 &&
	   st.acquisitions == 3,
	   "an owner died holding it: 1 owner death; EOWNERDEAD is an acquisition (%u, %llu)",
	   st.owner_deaths, (unsigned long long)st.acquisitions);

	drop_object(rfd, rname);
	drop_object(fd, name);
	shared_free(h, sizeof(*h));
}

/* A cycle refused: counted on the mutex whose LOCK was refused. */
struct cycler {
	int fd1, fd2;
	volatile int held;
	int ret;
};

static int cycler_process(void *arg)
{
	struct cycler *c = arg;

	if (rtsync_mutex_lock(c->fd2))
		return 1;
	flag_set(&c->held, 1);
	c->ret = rtsync_mutex_lock(c->fd1);	/* sleeps: we hold fd1 */
	rtsync_mutex_unlock(c->fd1);
	rtsync_mutex_unlock(c->fd2);
	return 0;
}

static void test_cycle(void)
{
	struct cycler *c = shared_mem(sizeof(*c));
	char n1[64], n2[64];
	struct rtsync_stats s1, s2;
	int ret, code;
	pid_t pid;

	c->fd1 = new_mutex(n1, sizeof(n1), "stc1", 0);
	c->fd2 = new_mutex(n2, sizeof(n2), "stc2", 0);
	rtsync_mutex_lock(c->fd1);
	pid = start_child(cycler_process, c);
	flag_wait(&c->held, 1, 30000);
	wait_waiters(c->fd1, 1, 30000);
	ret = rtsync_mutex_lock(c->fd2);	/* would close the cycle */
	rtsync_mutex_unlock(c->fd1);
	code = wait_child(pid, 60);
	s1 = stats_of(c->fd1);
	s2 = stats_of(c->fd2);
	ok(ret == EDEADLK && !code && s2.deadlocks == 1 && !s1.deadlocks,
	   "a LOCK closing a cycle: EDEADLK counted on its mutex only (%u, %u)",
	   s2.deadlocks, s1.deadlocks);
	drop_object(c->fd1, n1);
	drop_object(c->fd2, n2);
	shared_free(c, sizeof(*c));
}

static void test_hold_time(void)
{
	struct rtsync_stats st;
	int64_t t0, t1, t2;
	char name[64];
	int fd;

	fd = new_mutex(name, sizeof(name), "sth", 0);
	if (!ok(!set_hold_time(1), "hold_time can be turned on")) {
		drop_object(fd, name);
		return;
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	rtsync_mutex_lock(fd);
	t1 = now_ns(CLOCK_MONOTONIC);
	sleep_ms(30);
	t2 = now_ns(CLOCK_MONOTONIC);
	rtsync_mutex_unlock(fd);
	st = stats_of(fd);
	ok((st.flags & RTSYNC_STATS_HOLD_TIME) &&
	   st.hold_max_ns >= (uint64_t)(t2 - t1) &&
	   st.hold_max_ns <= (uint64_t)(now_ns(CLOCK_MONOTONIC) - t0),
	   "with hold_time on, a 30 ms hold is measured: %.3f ms, at least %.3f",
	   ns_to_ms(st.hold_max_ns), ns_to_ms(t2 - t1));

	/* A hold that began untimed is not measured when it ends. */
	set_hold_time(0);
	rtsync_stats_reset(fd);
	rtsync_mutex_lock(fd);
	set_hold_time(1);
	sleep_ms(10);
	rtsync_mutex_unlock(fd);
	st = stats_of(fd);
	ok(!st.hold_max_ns,
	   "a hold that began with hold_time off is not measured (%llu ns)",
	   (unsigned long long)st.hold_max_ns);

	set_hold_time(0);
	rtsync_mutex_lock(fd);
	rtsync_mutex_unlock(fd);
	st = stats_of(fd);
	ok(!(st.flags & RTSYNC_STATS_HOLD_TIME) && !st.hold_max_ns,
	   "with hold_time off, no hold time and no HOLD_TIME flag");
	drop_object(fd, name);
}

/* The sleepers of the semaphore test. */
struct sem_waiter {
	int fd;
	int ret;
};

static void *sem_waiter_thread(void *arg)
{
	struct sem_waiter *w = arg;

	w->ret = rtsync_sem_wait(w->fd);
	return NULL;
}

static void test_sem_counts(void)
{
	struct sem_waiter w[3];
	struct rtsync_sem_status info;
	struct rtsync_stats st;
	pthread_t t[3];
	struct timespec ts;
	unsigned int prev;
	char name[64];
	int fd, i, ret, bad = 0;

	test_name(name, sizeof(name), "sts");
	fd = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, 0, 10);
	if (fd < 0)
		bail_out("rtsync_sem_open");
	for (i = 0; i < 3; i++) {
		w[i].fd = fd;
		pthread_create(&t[i], NULL, sem_waiter_thread, &w[i]);
	}
	for (i = 0; i < 3000; i++) {
		rtsync_sem_info(fd, &info);
		if (info.waiters == 3)
			break;
		sleep_ms(10);
	}
	ret = rtsync_sem_post(fd, 3, &prev);
	for (i = 0; i < 3; i++) {
		join_thread(t[i], 30, NULL);
		bad += w[i].ret != 0;
	}
	rtsync_sem_post(fd, 2, &prev);
	rtsync_sem_trywait(fd);
	st = stats_of(fd);
	stats_diag("sem", &st);
	ok(!ret && !bad && st.posts == 2 && st.acquisitions == 4 &&
	   st.contended == 3 && st.max_sleepers == 3,
	   "3 sleepers, POST 3, POST 2, TRYWAIT: 2 posts, 4 units taken, 3 after sleeping, at most 3 asleep");
	ts = ns_to_ts(now_ns(CLOCK_MONOTONIC) + 20 * NSEC_PER_MSEC);
	rtsync_sem_trywait(fd);		/* empty it */
	ret = rtsync_sem_timedwait(fd, CLOCK_MONOTONIC, &ts);
	st = stats_of(fd);
	ok(ret == ETIMEDOUT && st.timeouts == 1 && st.acquisitions == 5 &&
	   st.contended == 3,
	   "a timed-out WAIT: 1 timeout, no unit (%s)", strerror(ret));
	ok(!rtsync_stats_reset(fd), "the creator resets a semaphore's counters");
	st = stats_of(fd);
	ok(all_zero(&st), "after STATS_RESET every counter is 0");
	drop_object(fd, name);
}

/* Condition waiters: lock, wait, unlock. */
struct cond_waiter {
	int cfd, mfd;
	int ret;
};

static void *cond_waiter_thread(void *arg)
{
	struct cond_waiter *w = arg;

	rtsync_mutex_lock(w->mfd);
	w->ret = rtsync_cond_wait(w->cfd, w->mfd);
	rtsync_mutex_unlock(w->mfd);
	return NULL;
}

static void test_cond_counts(void)
{
	struct cond_waiter w[2];
	struct rtsync_cond_status info;
	struct rtsync_stats st;
	char cname[64], mname[64];
	pthread_t t[2];
	int cfd, mfd, i, woken, bad = 0;

	test_name(cname, sizeof(cname), "stcv");
	cfd = rtsync_cond_open(cname, O_CREAT | O_EXCL, 0600);
	if (cfd < 0)
		bail_out("rtsync_cond_open");
	mfd = new_mutex(mname, sizeof(mname), "stcm", 0);
	rtsync_cond_signal(cfd);	/* nobody waits */
	for (i = 0; i < 2; i++) {
		w[i].cfd = cfd;
		w[i].mfd = mfd;
		pthread_create(&t[i], NULL, cond_waiter_thread, &w[i]);
	}
	for (i = 0; i < 3000; i++) {
		rtsync_cond_info(cfd, &info);
		if (info.waiters == 2)
			break;
		sleep_ms(10);
	}
	rtsync_mutex_lock(mfd);
	woken = rtsync_cond_broadcast(cfd);
	rtsync_mutex_unlock(mfd);
	for (i = 0; i < 2; i++) {
		join_thread(t[i], 30, NULL);
		bad += w[i].ret != 0;
	}
	st = stats_of(cfd);
	stats_diag("cond", &st);
	ok(!woken && !bad && st.posts == 2 && st.acquisitions == 2 &&
	   st.contended == 2 && st.max_sleepers == 2 && st.wait_ns > 0,
	   "SIGNAL to nobody, 2 waiters, BROADCAST: 2 posts, 2 waits woken, at most 2 asleep");
	drop_object(mfd, mname);
	drop_object(cfd, cname);
}

/* Reset rights: owner and CAP_SYS_ADMIN, not anybody else. */
struct resetter {
	const char *name;
	uid_t uid;
	int open_ret, reset_ret;
};

static int resetter_process(void *arg)
{
	struct resetter *r = arg;
	int fd;

	if (setgid(r->uid) || setuid(r->uid))
		return 1;
	fd = rtsync_mutex_open(r->name, 0, 0, 0);
	if (fd < 0) {
		r->open_ret = errno;
		return 0;
	}
	if (r->uid == 1000 && !rtsync_mutex_lock(fd))
		rtsync_mutex_unlock(fd);
	r->reset_ret = rtsync_stats_reset(fd);
	return 0;
}

static void test_reset_rights(void)
{
	struct resetter *r = shared_mem(sizeof(*r));
	struct rtsync_stats st, before;
	char name[64];
	int fd, code;

	fd = new_mutex(name, sizeof(name), "stp", 0);
	rtsync_setperm(fd, 1000, 1000, 0666);
	rtsync_mutex_lock(fd);
	rtsync_mutex_unlock(fd);
	before = stats_of(fd);
	r->name = name;
	r->uid = NOBODY;
	code = wait_child(start_child(resetter_process, r), 60);
	st = stats_of(fd);
	ok(!code && !r->open_ret && r->reset_ret == EPERM &&
	   st.acquisitions == before.acquisitions,
	   "STATS_RESET by another uid: EPERM, counters unchanged (%s)",
	   strerror(r->reset_ret));

	memset(r, 0, sizeof(*r));
	r->name = name;
	r->uid = 1000;
	code = wait_child(start_child(resetter_process, r), 60);
	st = stats_of(fd);
	ok(!code && !r->reset_ret && all_zero(&st),
	   "STATS_RESET by the owner (uid 1000): counters 0 (%s)",
	   strerror(r->reset_ret));

	rtsync_mutex_lock(fd);
	rtsync_mutex_unlock(fd);
	ok(!rtsync_stats_reset(fd) && stats_of(fd).acquisitions == 0,
	   "STATS_RESET by root (CAP_SYS_ADMIN) on uid 1000's mutex");
	drop_object(fd, name);
	shared_free(r, sizeof(*r));
}

static void test_bad_input(void)
{
	struct rtsync_stats st;
	char name[64];
	int fd, dev, ret, err;

	fd = new_mutex(name, sizeof(name), "stb", 0);
	ret = ioctl(fd, RTSYNC_IOC_STATS, (void *)1);
	err = errno;
	ok(ret == -1 && err == EFAULT, "STATS to a bad pointer: EFAULT (%s)",
	   strerror(err));
	dev = open("/dev/rtsync", O_RDWR | O_CLOEXEC);
	ret = ioctl(dev, RTSYNC_IOC_STATS, &st);
	err = errno;
	ok(ret == -1 && err == ENOTTY, "STATS on /dev/rtsync: ENOTTY (%s)",
	   strerror(err));
	close(dev);
	drop_object(fd, name);
}

/* /proc/rtsync_stats shows what STATS returns. */
static void test_proc(void)
{
	struct rtsync_stats st;
	char name[64], line[512], type[16], pname[300];
	unsigned long long v[6];
	unsigned int u[4];
	int fd, found = 0, header = 0;
	FILE *f;

	fd = new_mutex(name, sizeof(name), "stproc", 0);
	rtsync_mutex_lock(fd);
	rtsync_mutex_lock(fd);		/* a deadlock to count */
	rtsync_mutex_unlock(fd);
	st = stats_of(fd);
	f = fopen("/proc/rtsync_stats", "r");
	if (!f)
		bail_out("/proc/rtsync_stats");
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "type ", 5)) {
			header = !!strstr(line, "acquisitions contended wait_ns");
			continue;
		}
		if (sscanf(line, "%15s %llu %llu %llu %llu %llu %llu %u %u %u %u %299s",
			   type, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &u[0], &u[1], &u[2], &u[3], pname) != 12 ||
		    strcmp(pname, name))
			continue;
		found = !strcmp(type, "mutex") && v[0] == st.acquisitions &&
			v[1] == st.contended && v[2] == st.wait_ns &&
			v[3] == st.wait_max_ns && v[4] == st.hold_max_ns &&
			v[5] == st.posts && u[0] == st.timeouts &&
			u[1] == st.deadlocks && u[2] == st.owner_deaths &&
			u[3] == st.max_sleepers;
		if (!found)
			diag("line: %s", line);
	}
	fclose(f);
	ok(header && found,
	   "/proc/rtsync_stats has its header and the mutex's line as STATS gives it");
	drop_object(fd, name);
}

int main(void)
{
	set_hold_time(0);
	test_mutex_counts();
	test_cycle();
	test_hold_time();
	test_sem_counts();
	test_cond_counts();
	test_reset_rights();
	test_bad_input();
	test_proc();
	set_hold_time(0);
	return tap_done();
}
