/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Shared helpers for rtsync's integration tests: child processes with
 * deadlines, shared memory, flags and barriers between processes, clocks,
 * scheduling policy, and the effective priority the scheduler gives a
 * thread.
 *
 * Include after tap.h, with _GNU_SOURCE defined before any system header.
 *
 * Children never print TAP: they return an exit code (see start_child) or
 * write results into shared memory, and the parent reports. Every wait here
 * has a deadline so that a misbehaving module turns into "not ok" instead
 * of a hung run.
 */
#ifndef RTSYNC_TEST_HELPERS_H
#define RTSYNC_TEST_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtsync.h>

#include "tap.h"

/* A child that has not finished after this many seconds kills itself. */
#define CHILD_ALARM_S		240

/* wait_child() results that are not exit codes. */
#define CHILD_TIMED_OUT		(-1000)
#define CHILD_LOST		(-1001)

/* thread_prio() when the stat file cannot be read or parsed. */
#define PRIO_UNKNOWN		INT_MIN

/* Effective priority (field 18 of stat) of a nice-0 SCHED_OTHER thread, and
 * of a thread boosted to SCHED_FIFO priority rtprio.
 */
#define PRIO_NORMAL		20
#define PRIO_FIFO(rtprio)	(-1 - (rtprio))

/* bail_out - the test cannot go on (no memory, fork failed): TAP bail out */
static inline void __attribute__((noreturn)) bail_out(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

/* shared_mem - zeroed memory shared with children forked afterwards */
static inline void *shared_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail_out("mmap shared memory");
	return p;
}

static inline void shared_free(void *p, size_t size)
{
	munmap(p, size);
}

/* test_name - a name no other test (or run) uses: "t-<tag>-<pid>-<n>" */
static inline const char *test_name(char *buf, size_t size, const char *tag)
{
	static unsigned int serial;

	snprintf(buf, size, "t-%s-%d-%u", tag, (int)getpid(), serial++);
	return buf;
}

/* name_absent - OPEN without CREAT finds no object of this name (ENOENT) */
static inline int name_absent(const char *name)
{
	int fd = rtsync_mutex_open(name, 0, 0, 0);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == ENOENT;
}

/* new_mutex - create a fresh mutex under a unique name, or bail out */
static inline int new_mutex(char *name, size_t size, const char *tag,
			    unsigned int flags)
{
	int fd;

	test_name(name, size, tag);
	fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, flags);
	if (fd < 0)
		bail_out("rtsync_mutex_open(O_CREAT|O_EXCL)");
	return fd;
}

/* Where the SIGUSR1 handler of count_sigusr1() counts. */
static volatile int *sigusr1_counter;

static inline void sigusr1_count(int sig)
{
	(void)sig;
	__atomic_add_fetch(sigusr1_counter, 1, __ATOMIC_SEQ_CST);
}

/*
 * count_sigusr1 - from now on count every SIGUSR1 the calling process gets
 * in *counter (in shared memory, so the test can compare it with what it
 * sent); SA_RESTART if @restart. Returns 0 or an errno value.
 */
static inline int count_sigusr1(volatile int *counter, int restart)
{
	struct sigaction sa;

	sigusr1_counter = counter;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigusr1_count;
	sa.sa_flags = restart ? SA_RESTART : 0;
	return sigaction(SIGUSR1, &sa, NULL) ? errno : 0;
}

/* drop_object - close and unlink a test object, reporting failures */
static inline void drop_object(int fd, const char *name)
{
	int err;

	if (fd >= 0 && close(fd))
		diag("close(%s): %s", name, strerror(errno));
	err = rtsync_unlink(name);
	if (err)
		diag("rtsync_unlink(%s): %s", name, strerror(err));
}

/*
 * strf - printf into one of a few static buffers, for building check
 * descriptions inline. Only the reporting (parent) thread may use it; the
 * result stays valid until four more calls.
 */
static inline const char * __attribute__((format(printf, 1, 2)))
strf(const char *fmt, ...)
{
	static char bufs[4][256];
	static unsigned int next;
	char *buf = bufs[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return buf;
}

/* read_number - the number a sysfs or procfs file holds: 0 or errno */
static inline int read_number(const char *path, unsigned long *value)
{
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return errno;
	n = fscanf(f, "%lu", value);
	fclose(f);
	return n == 1 ? 0 : EIO;
}

/* write_number - write a number to a sysfs or procfs file: 0 or errno */
static inline int write_number(const char *path, unsigned long value)
{
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f)
		return errno;
	if (fprintf(f, "%lu\n", value) < 0)
		err = errno;
	if (fclose(f) && !err)
		err = errno;
	return err;
}

/* ---- clocks ---- */

static inline int64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline struct timespec ns_to_ts(int64_t ns)
{
	struct timespec ts = {
		.tv_sec = ns / 1000000000,
		.tv_nsec = ns % 1000000000,
	};

	return ts;
}

static inline int64_t ts_to_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static inline double ns_to_ms(int64_t ns)
{
	return ns / 1e6;
}

/* sleep_ms - sleep the whole interval even if signal handlers run */
static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = ns_to_ts((int64_t)ms * 1000000);

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- flags and barriers in shared memory ---- */

static inline void flag_set(volatile int *flag, int value)
{
	__atomic_store_n(flag, value, __ATOMIC_SEQ_CST);
}

static inline int flag_get(volatile int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}

/*
 * flag_wait - wait until *flag == value, polling every millisecond.
 * Returns 1 when it is, 0 after timeout_ms. Polling rather than a futex:
 * sleeping 1 ms at a time costs nothing measurable and cannot hang.
 */
static inline int flag_wait(volatile int *flag, int value, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;

	while (flag_get(flag) != value) {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return 0;
		sleep_ms(1);
	}
	return 1;
}

/* shared_barrier_init - a pthread barrier usable by forked processes */
static inline void shared_barrier_init(pthread_barrier_t *b, unsigned int n)
{
	pthread_barrierattr_t attr;

	pthread_barrierattr_init(&attr);
	pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	errno = pthread_barrier_init(b, &attr, n);
	if (errno)
		bail_out("pthread_barrier_init");
	pthread_barrierattr_destroy(&attr);
}

/* ---- child processes ---- */

static inline void helpers_on_alarm(int sig)
{
	(void)sig;	/* only interrupts the blocking waitpid() */
}

/*
 * start_child - fork; the child runs fn(arg) and exits with its return
 * value. The child dies by SIGALRM after CHILD_ALARM_S seconds, so nothing
 * outlives a broken run.
 */
static inline pid_t start_child(int (*fn)(void *), void *arg)
{
	pid_t pid = tap_fork();

	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(CHILD_ALARM_S);
		_exit(fn(arg));
	}
	return pid;
}

static inline int decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return CHILD_LOST;
}

/*
 * wait_child - reap pid within timeout_s seconds.
 * Returns its exit code (0..255), -SIG if a signal killed it, or
 * CHILD_TIMED_OUT after killing it with SIGKILL because it did not finish.
 * It blocks in waitpid() (interrupted by alarm()) instead of polling, so
 * the parent stays off the CPUs while children measure scheduling.
 */
static inline int wait_child(pid_t pid, int timeout_s)
{
	struct sigaction sa, old;
	int status, ret;
	pid_t got;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = helpers_on_alarm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, &old);
	alarm(timeout_s);
	got = waitpid(pid, &status, 0);
	alarm(0);
	if (got == pid) {
		ret = decode_status(status);
	} else {
		kill(pid, SIGKILL);
		/* a task stuck unkillably in the kernel must not hang us */
		alarm(10);
		if (waitpid(pid, &status, 0) != pid)
			diag("child %d could not be reaped after SIGKILL",
			     (int)pid);
		alarm(0);
		ret = CHILD_TIMED_OUT;
	}
	sigaction(SIGALRM, &old, NULL);
	return ret;
}

/* describe_exit - human-readable form of a wait_child() result */
static inline const char *describe_exit(int code, char *buf, size_t size)
{
	if (code == CHILD_TIMED_OUT)
		snprintf(buf, size, "did not finish in time, killed");
	else if (code == CHILD_LOST)
		snprintf(buf, size, "lost");
	else if (code < 0)
		snprintf(buf, size, "killed by signal %d (%s)", -code,
			 strsignal(-code));
	else
		snprintf(buf, size, "exit %d (%s)", code, strerror(code));
	return buf;
}

/*
 * is_exit - a child's wait_child() result equals the expected exit code.
 * Children that report one errno value exit with it, so want is often an
 * errno (0 for success).
 */
#define is_exit(got, want, what)					\
	({								\
		char got_buf_[80], want_buf_[80];			\
		int got_ = (got), want_ = (want);			\
		ok(got_ == want_, "%s: %s (got %s)", (what),		\
		   describe_exit(want_, want_buf_, sizeof(want_buf_)),	\
		   describe_exit(got_, got_buf_, sizeof(got_buf_)));	\
	})

/*
 * lock_within - rtsync_mutex_lock() that gives up after timeout_s seconds
 * (an alarm interrupts it: EINTR). For plain LOCKs that only return when
 * the module releases the mutex on someone else's behalf, so a module that
 * never does fails the check instead of hanging the program.
 */
static inline int lock_within(int fd, int timeout_s)
{
	struct sigaction sa, old;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = helpers_on_alarm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, &old);
	alarm(timeout_s);
	ret = rtsync_mutex_lock(fd);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return ret;
}

/* ---- threads ---- */

/* join_thread - pthread_join with a deadline; returns 0 or ETIMEDOUT */
static inline int join_thread(pthread_t t, int timeout_s, void **ret)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_s;
	return pthread_timedjoin_np(t, ret, &ts);
}

/* ---- scheduling ---- */

/* set_fifo - make the calling thread SCHED_FIFO rtprio; 0 or errno */
static inline int set_fifo(int rtprio)
{
	struct sched_param p = { .sched_priority = rtprio };

	return sched_setscheduler(0, SCHED_FIFO, &p) ? errno : 0;
}

/* pin_cpu - run the calling thread on one CPU only; 0 or errno */
static inline int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

/*
 * thread_prio - effective priority of thread tid of process pid: field 18
 * of /proc/PID/task/TID/stat (20 for nice-0 SCHED_OTHER, -1 - rtprio for
 * SCHED_FIFO, including a boost by priority inheritance, which
 * sched_getattr() does not show). Field 2 is "(comm)" and may contain
 * spaces, so the fields are counted after the last ')'.
 * Returns PRIO_UNKNOWN if the file cannot be read.
 */
static inline int thread_prio(pid_t pid, pid_t tid)
{
	char path[64], buf[1024], *p, *save = NULL;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PRIO_UNKNOWN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return PRIO_UNKNOWN;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return PRIO_UNKNOWN;
	/* the first token after ')' is field 3 (state) */
	for (field = 3, p = strtok_r(p + 1, " ", &save); p;
	     field++, p = strtok_r(NULL, " ", &save)) {
		if (field == 18)
			return atoi(p);
	}
	return PRIO_UNKNOWN;
}

/*
 * wait_prio - poll thread_prio() until it equals want or timeout_ms passes.
 * Returns the last value read, so the caller can report what it saw.
 */
static inline int wait_prio(pid_t pid, pid_t tid, int want, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
	int prio;

	for (;;) {
		prio = thread_prio(pid, tid);
		if (prio == want || now_ns(CLOCK_MONOTONIC) > end)
			return prio;
		sleep_ms(1);
	}
}

/* ---- mutex state ---- */

/* mutex_status - INFO snapshot; bails out if INFO itself fails */
static inline struct rtsync_mutex_status mutex_status(int fd)
{
	struct rtsync_mutex_status st;
	int err;

	memset(&st, 0, sizeof(st));
	err = rtsync_mutex_info(fd, &st);
	if (err) {
		errno = err;
		bail_out("rtsync_mutex_info");
	}
	return st;
}

static inline int status_equal(const struct rtsync_mutex_status *a,
			       const struct rtsync_mutex_status *b)
{
	return a->owner_tid == b->owner_tid &&
	       a->owner_pid == b->owner_pid && a->waiters == b->waiters &&
	       a->flags == b->flags && a->recursion == b->recursion &&
	       !strcmp(a->name, b->name);
}

/* status_diag - print a snapshot (used when a comparison fails) */
static inline void status_diag(const char *label,
			       const struct rtsync_mutex_status *st)
{
	diag("%s: owner %d/%d waiters %u flags %#x recursion %u name '%s'",
	     label, (int)st->owner_pid, (int)st->owner_tid, st->waiters,
	     st->flags, st->recursion, st->name);
}

/* is_unchanged - assert INFO after == before; print both when not */
static inline int is_unchanged(const struct rtsync_mutex_status *before,
			       int fd, const char *what)
{
	struct rtsync_mutex_status after = mutex_status(fd);

	if (ok(status_equal(before, &after), "%s: state unchanged", what))
		return 1;
	status_diag("before", before);
	status_diag("after", &after);
	return 0;
}

/*
 * wait_waiters - poll INFO until want threads sleep in LOCK, or timeout_ms
 * passes. Returns the last count seen. Tests use it to know a waiter has
 * really gone to sleep before they act on it.
 */
static inline unsigned int wait_waiters(int fd, unsigned int want,
					int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
	unsigned int n;

	for (;;) {
		n = mutex_status(fd).waiters;
		if (n == want || now_ns(CLOCK_MONOTONIC) > end)
			return n;
		sleep_ms(1);
	}
}

/* wait_owner - poll INFO until the owner's pid is want (0: free) */
static inline pid_t wait_owner(int fd, pid_t want, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
	pid_t owner;

	for (;;) {
		owner = mutex_status(fd).owner_pid;
		if (owner == want || now_ns(CLOCK_MONOTONIC) > end)
			return owner;
		sleep_ms(1);
	}
}

/* ---- RT throttling ---- */

/*
 * RT throttling (by default SCHED_FIFO may use 950 ms of each second)
 * forces a reschedule on a FIFO task that spins that long, which ends
 * rt_mutex's spin just before the 1 s bound: a module with no remedy of
 * its own would pass by that accident. The running-owner tests therefore
 * turn throttling off (rt_throttling_off()), and restore it afterwards;
 * the spin is bounded by the owner's loop anyway.
 */
#define RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"

static char saved_rt_runtime[32];

static inline int write_rt_runtime(const char *value)
{
	FILE *f = fopen(RT_RUNTIME, "w");
	int err = 0;

	if (!f)
		return errno;
	if (fputs(value, f) < 0)
		err = errno;
	if (fclose(f) && !err)
		err = errno;
	return err;
}

static inline void rt_throttling_off(void)
{
	FILE *f = fopen(RT_RUNTIME, "r");
	int err;

	if (!f || !fgets(saved_rt_runtime, sizeof(saved_rt_runtime), f)) {
		diag("%s: %s; RT throttling stays as it is", RT_RUNTIME,
		     strerror(errno));
		saved_rt_runtime[0] = '\0';
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	saved_rt_runtime[strcspn(saved_rt_runtime, "\n")] = '\0';
	err = write_rt_runtime("-1");
	if (err) {
		diag("writing -1 to %s: %s; RT throttling stays on (%s us)",
		     RT_RUNTIME, strerror(err), saved_rt_runtime);
		saved_rt_runtime[0] = '\0';
		return;
	}
	diag("RT throttling off for the running-owner tests (was %s us)",
	     saved_rt_runtime);
}

static inline void rt_throttling_restore(void)
{
	int err;

	if (!saved_rt_runtime[0])
		return;
	err = write_rt_runtime(saved_rt_runtime);
	if (err)
		diag("restoring %s to %s: %s", RT_RUNTIME, saved_rt_runtime,
		     strerror(err));
	saved_rt_runtime[0] = '\0';
}

/* ---- the module's reference count ---- */

#define MODULE_REFCNT	"/sys/module/rtsync/refcnt"

/* The module's reference count: one per live object and per open file. */
static inline int module_refcnt(void)
{
	unsigned long n;

	return read_number(MODULE_REFCNT, &n) ? -1 : (int)n;
}

/*
 * The module's reference count once objects dropped earlier are freed (a
 * work item frees them): the value that two reads 50 ms apart agree on.
 */
static inline int module_refcnt_settled(void)
{
	int n = module_refcnt(), i;

	for (i = 0; i < 100; i++) {
		int again;

		sleep_ms(50);
		again = module_refcnt();
		if (again == n)
			break;
		n = again;
	}
	return n;
}

/* The module's reference count comes back to @before (objects freed). */
static inline void expect_refcnt(int before, const char *label)
{
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + 5000000000LL;
	int now;

	/* The free runs from a work item: give it a moment. */
	while ((now = module_refcnt()) != before &&
	       now_ns(CLOCK_MONOTONIC) < deadline)
		sleep_ms(10);
	ok(now == before, "%s: every object is freed (module refcount %d, was %d)",
	   label, now, before);
}

#endif /* RTSYNC_TEST_HELPERS_H */
