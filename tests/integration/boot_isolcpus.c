// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Timed waits leave isolated CPUs alone. Run in a boot of its own with
 * "isolcpus=1 nohz_full=1" (make check's isolcpus pass; skipped, and
 * counted, where CPU 1 is not isolated). An owner busy in user space on
 * CPU 1 holds a lock; a SCHED_FIFO waiter on CPU 0 makes 10 ms timed
 * LOCKs of it for a while; then the same with a process-shared PI futex
 * (pthread PTHREAD_PRIO_INHERIT). CPU 1's local timer (LOC), function-call
 * IPI (CAL) and reschedule IPI (RES) counts from /proc/interrupts, per
 * wait, may grow no more with rtsync than with the futex: rtsync's timer
 * runs on a housekeeping CPU (here the waiter's own), and only priority
 * inheritance itself may disturb CPU 1. Every rtsync deadline is still
 * honoured (the futex's are not: its waiter spins on the running owner
 * past them, which is why rtsync has its own timer).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "tap.h"
#include "helpers.h"

#define PHASE_MS	1000
#define WAIT_MS		10
#define LATE_MAX_MS	50
#define WAITER_RTPRIO	50
#define NSEC_PER_MSEC	1000000LL

struct counts {
	long long loc, cal, res;
};

struct shared {
	pthread_mutex_t futex;
	int fd;
	int use_futex;
	volatile int holding;
	volatile int stop;
	int owner_err;
};

static int cpu_listed(const char *path, int cpu)
{
	char buf[256], *p;
	FILE *f = fopen(path, "r");
	long a, b;

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* A cpulist: "1", "1-3", "1,3" */
	for (p = buf; *p && *p != '\n';) {
		a = strtol(p, &p, 10);
		b = a;
		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		if (cpu >= a && cpu <= b)
			return 1;
		if (*p == ',')
			p++;
		else
			break;
	}
	return 0;
}

/* CPU 1's column of the LOC, CAL and RES lines of /proc/interrupts. */
static struct counts read_counts(void)
{
	struct counts c = { -1, -1, -1 };
	char line[4096], name[16];
	long long cpu0, cpu1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		bail_out("/proc/interrupts");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %15[A-Z]: %lld %lld", name, &cpu0, &cpu1) != 3)
			continue;
		if (!strcmp(name, "LOC"))
			c.loc = cpu1;
		else if (!strcmp(name, "CAL"))
			c.cal = cpu1;
		else if (!strcmp(name, "RES"))
			c.res = cpu1;
	}
	fclose(f);
	return c;
}

/* On CPU 1: take the lock and stay busy in user space until told. */
static int owner(void *arg)
{
	struct shared *s = arg;
	struct sched_param normal = { 0 };

	/* A normal-priority owner, boosted only by inheritance. */
	s->owner_err = pin_cpu(1);
	if (!s->owner_err && sched_setscheduler(0, SCHED_OTHER, &normal))
		s->owner_err = errno;
	if (s->owner_err)
		return 1;
	s->owner_err = s->use_futex ? pthread_mutex_lock(&s->futex) :
				      rtsync_mutex_lock(s->fd);
	if (s->owner_err)
		return 1;
	flag_set(&s->holding, 1);
	while (!s->stop)
		;
	if (s->use_futex)
		pthread_mutex_unlock(&s->futex);
	else
		rtsync_mutex_unlock(s->fd);
	return 0;
}

/*
 * One phase: the owner busy on CPU 1, 10 ms timed locks from CPU 0 for
 * PHASE_MS (none for the idle phase). Returns the waits made; *delta gets
 * CPU 1's counts during them, *late_max the worst lateness (ms) and
 * *bad the waits that did not end in ETIMEDOUT at or after the deadline.
 */
static int phase(struct shared *s, int use_futex, int idle,
		 struct counts *delta, double *late_max, int *bad)
{
	struct counts before, after;
	struct timespec dl;
	int64_t end, t, lateness;
	int waits = 0, ret;
	pid_t pid;

	s->use_futex = use_futex;
	s->holding = 0;
	s->stop = 0;
	*late_max = 0;
	*bad = 0;
	pid = start_child(owner, s);
	if (!flag_wait(&s->holding, 1, 10000))
		bail_out("the owner did not take the lock");
	sleep_ms(100);	/* let CPU 1 settle into its tickless state */
	before = read_counts();
	end = now_ns(CLOCK_MONOTONIC) + PHASE_MS * NSEC_PER_MSEC;
	while ((t = now_ns(CLOCK_MONOTONIC)) < end) {
		if (idle) {
			sleep_ms(10);
			continue;
		}
		if (use_futex) {
			t = now_ns(CLOCK_REALTIME);
			dl = ns_to_ts(t + WAIT_MS * NSEC_PER_MSEC);
			ret = pthread_mutex_timedlock(&s->futex, &dl);
			lateness = now_ns(CLOCK_REALTIME) - (t + WAIT_MS * NSEC_PER_MSEC);
			if (!ret)
				pthread_mutex_unlock(&s->futex);
		} else {
			dl = ns_to_ts(t + WAIT_MS * NSEC_PER_MSEC);
			ret = rtsync_mutex_timedlock(s->fd, CLOCK_MONOTONIC, &dl);
			lateness = now_ns(CLOCK_MONOTONIC) - (t + WAIT_MS * NSEC_PER_MSEC);
			if (!ret)
				rtsync_mutex_unlock(s->fd);
		}
		waits++;
		if (ret != ETIMEDOUT || lateness < 0)
			(*bad)++;
		if (lateness / 1e6 > *late_max)
			*late_max = lateness / 1e6;
	}
	after = read_counts();
	s->stop = 1;
	if (wait_child(pid, 30))
		diag("the owner did not finish cleanly");
	delta->loc = after.loc - before.loc;
	delta->cal = after.cal - before.cal;
	delta->res = after.res - before.res;
	return waits;
}

static double per(long long n, int waits)
{
	return waits ? (double)n / waits : 0;
}

int main(void)
{
	struct shared *s = shared_mem(sizeof(*s));
	struct counts idle, rt, fx;
	int rt_waits, fx_waits, rt_bad, fx_bad, bad;
	double rt_late, fx_late, late;
	pthread_mutexattr_t attr;
	char name[64];

	if (!cpu_listed("/sys/devices/system/cpu/isolated", 1) ||
	    !cpu_listed("/sys/devices/system/cpu/nohz_full", 1)) {
		skip("CPU 1 is not isolated (boot with isolcpus=1 nohz_full=1)",
		     "timed waits add no timer interrupt or IPI to an isolated CPU");
		skip("CPU 1 is not isolated", "every deadline honoured");
		return tap_done();
	}
	if (read_counts().loc < 0)
		bail_out("no LOC line in /proc/interrupts");
	if (pin_cpu(0) || set_fifo(WAITER_RTPRIO))
		bail_out("waiter: CPU 0 at SCHED_FIFO");
	rt_throttling_off();
	atexit(rt_throttling_restore);

	s->fd = new_mutex(name, sizeof(name), "iso", 0);
	pthread_mutexattr_init(&attr);
	if (pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT) ||
	    pthread_mutex_init(&s->futex, &attr))
		bail_out("PI futex");

	phase(s, 0, 1, &idle, &late, &bad);
	rt_waits = phase(s, 0, 0, &rt, &rt_late, &rt_bad);
	fx_waits = phase(s, 1, 0, &fx, &fx_late, &fx_bad);
	diag("CPU 1 during %d ms: idle LOC %lld CAL %lld RES %lld", PHASE_MS,
	     idle.loc, idle.cal, idle.res);
	diag("rtsync: %d waits, LOC %lld CAL %lld RES %lld, worst %.1f ms late",
	     rt_waits, rt.loc, rt.cal, rt.res, rt_late);
	diag("PI futex: %d waits, LOC %lld CAL %lld RES %lld, worst %.1f ms late",
	     fx_waits, fx.loc, fx.cal, fx.res, fx_late);

	ok(rt_waits > 0 && fx_waits > 0 &&
	   per(rt.loc, rt_waits) <= per(fx.loc, fx_waits) + 0.1 &&
	   per(rt.cal, rt_waits) <= per(fx.cal, fx_waits) + 0.1 &&
	   per(rt.res, rt_waits) <= per(fx.res, fx_waits) + 0.2,
	   "per wait on the isolated CPU: rtsync LOC %.2f CAL %.2f RES %.2f, no more than the PI futex's %.2f %.2f %.2f",
	   per(rt.loc, rt_waits), per(rt.cal, rt_waits), per(rt.res, rt_waits),
	   per(fx.loc, fx_waits), per(fx.cal, fx_waits), per(fx.res, fx_waits));
	ok(rt_bad == 0 && rt_late <= LATE_MAX_MS,
	   "all %d rtsync waits ETIMEDOUT, none early, at most %d ms late (%d bad, worst %.1f ms)",
	   rt_waits, LATE_MAX_MS, rt_bad, rt_late);
	drop_object(s->fd, name);
	return tap_done();
}
