// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Timed waits inside a time namespace: a CLOCK_MONOTONIC deadline is read
 * on the caller's clock, as futex, timerfd and clock_nanosleep read it.
 * A process in a namespace whose monotonic clock is shifted by +1 h or by
 * minus most of the uptime asks for a deadline 100 ms ahead on its clock:
 * LOCK and SEM_WAIT must time out after about 100 ms (read on the host's
 * clock the deadline is an hour away, or long past). The shift itself is
 * checked, so a namespace that silently did not apply cannot pass.
 * Needs CONFIG_TIME_NS and CAP_SYS_ADMIN; skipped (and counted) without.
 */
#define _GNU_SOURCE
#include <sched.h>
#include "tap.h"
#include "helpers.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

#define NSEC_PER_MSEC	1000000LL
#define NSEC_PER_SEC	1000000000LL
#define WAIT_MS		100
/* A timeout in the guest under TCG may fire late, never early. */
#define LATE_MS		1000

/* What the process inside the namespace reports. */
struct report {
	int64_t ns_now;		/* its CLOCK_MONOTONIC when it started */
	int lock_ret;
	int64_t lock_ms;	/* how long LOCK took, on its clock */
	int sem_ret;
	int64_t sem_ms;
	volatile int done;
};

struct args {
	int mutex_fd;
	int sem_fd;
	struct report *r;
};

/* Inside the namespace: a 100 ms timed LOCK and SEM_WAIT on its clock. */
static int waiter(void *arg)
{
	struct args *a = arg;
	struct report *r = a->r;
	struct timespec dl;
	int64_t start;

	r->ns_now = now_ns(CLOCK_MONOTONIC);
	start = now_ns(CLOCK_MONOTONIC);
	dl = ns_to_ts(start + WAIT_MS * NSEC_PER_MSEC);
	r->lock_ret = rtsync_mutex_timedlock(a->mutex_fd, CLOCK_MONOTONIC, &dl);
	r->lock_ms = (now_ns(CLOCK_MONOTONIC) - start) / NSEC_PER_MSEC;

	start = now_ns(CLOCK_MONOTONIC);
	dl = ns_to_ts(start + WAIT_MS * NSEC_PER_MSEC);
	r->sem_ret = rtsync_sem_timedwait(a->sem_fd, CLOCK_MONOTONIC, &dl);
	r->sem_ms = (now_ns(CLOCK_MONOTONIC) - start) / NSEC_PER_MSEC;
	flag_set(&r->done, 1);
	return 0;
}

static int write_offset(int64_t offset_s)
{
	char buf[64];
	int fd, len, ret = 0;

	fd = open("/proc/self/timens_offsets", O_WRONLY);
	if (fd < 0)
		return errno;
	len = snprintf(buf, sizeof(buf), "monotonic %lld 0\n",
		       (long long)offset_s);
	if (write(fd, buf, len) != len)
		ret = errno;
	close(fd);
	return ret;
}

/*
 * A process that enters a new time namespace with @offset_s and forks the
 * waiter into it (a namespace applies to children made after unshare()).
 * Exits 0, or 100 + errno if the namespace could not be made.
 */
static int64_t offset_for_child;

static int enter_namespace(void *arg)
{
	pid_t pid;
	int ret;

	if (unshare(CLONE_NEWTIME))
		return 100 + errno;
	ret = write_offset(offset_for_child);
	if (ret)
		return 100 + ret;
	pid = start_child(waiter, arg);
	return wait_child(pid, 60) == 0 ? 0 : 1;
}

static void test_offset(int64_t offset_s, const char *label)
{
	struct report *r = shared_mem(sizeof(*r));
	struct args a = { .r = r };
	int64_t host_before, shift_s;
	char mname[64], sname[64];
	pid_t pid;
	int ret;

	a.mutex_fd = new_mutex(mname, sizeof(mname), "tns", 0);
	a.sem_fd = rtsync_sem_open(test_name(sname, sizeof(sname), "tns"),
				   O_CREAT | O_EXCL, 0600, 0, 1);
	if (a.sem_fd < 0)
		bail_out("rtsync_sem_open");
	/* Held by this process, so the waiter must time out. */
	if (rtsync_mutex_lock(a.mutex_fd))
		bail_out("rtsync_mutex_lock");

	offset_for_child = offset_s;
	host_before = now_ns(CLOCK_MONOTONIC);
	pid = start_child(enter_namespace, &a);
	ret = wait_child(pid, 60);
	if (ret > 100) {
		skip("no time namespace here", "%s: timed waits in a time namespace (%s)",
		     label, strerror(ret - 100));
		skip("no time namespace here", "%s: SEM_WAIT", label);
		skip("no time namespace here", "%s: the clock is shifted", label);
		goto out;
	}
	ok(ret == 0 && r->done, "%s: the waiter ran in the namespace and finished (status %d)",
	   label, ret);
	shift_s = (r->ns_now - host_before) / NSEC_PER_SEC;
	ok(llabs(shift_s - offset_s) <= 5,
	   "%s: its CLOCK_MONOTONIC is shifted by about %lld s (%lld s)",
	   label, (long long)offset_s, (long long)shift_s);
	ok(r->lock_ret == ETIMEDOUT && r->lock_ms >= WAIT_MS &&
	   r->lock_ms <= WAIT_MS + LATE_MS,
	   "%s: LOCK with a deadline %d ms ahead on its clock: ETIMEDOUT after %d..%d ms (got %s after %lld ms)",
	   label, WAIT_MS, WAIT_MS, WAIT_MS + LATE_MS,
	   r->lock_ret ? strerror(r->lock_ret) : "0", (long long)r->lock_ms);
	ok(r->sem_ret == ETIMEDOUT && r->sem_ms >= WAIT_MS &&
	   r->sem_ms <= WAIT_MS + LATE_MS,
	   "%s: SEM_WAIT with a deadline %d ms ahead on its clock: ETIMEDOUT after %d..%d ms (got %s after %lld ms)",
	   label, WAIT_MS, WAIT_MS, WAIT_MS + LATE_MS,
	   r->sem_ret ? strerror(r->sem_ret) : "0", (long long)r->sem_ms);
out:
	rtsync_mutex_unlock(a.mutex_fd);
	drop_object(a.mutex_fd, mname);
	drop_object(a.sem_fd, sname);
	shared_free(r, sizeof(*r));
}

int main(void)
{
	int64_t up_s = now_ns(CLOCK_MONOTONIC) / NSEC_PER_SEC;

	test_offset(3600, "offset +3600 s");
	/* A namespace's clock may not go below zero: stay 1 s above it. */
	if (up_s >= 3)
		test_offset(-(up_s - 1), "offset -(uptime - 1 s)");
	else
		skip("uptime below 3 s", "negative offset");
	return tap_done();
}
