/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the demo programs share: clocks, shared memory, child processes
 * with a deadline, CPU pinning and scheduling, and an event log in shared
 * memory that the parent prints as a timeline once the scene is over
 * (children never print, so lines cannot interleave or be lost).
 *
 * Define _GNU_SOURCE before including this file.
 */
#ifndef RTSYNC_DEMO_H
#define RTSYNC_DEMO_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtsync.h>

/* A child still running after this many seconds kills itself. */
#define DEMO_CHILD_ALARM_S	60

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline double ns_to_ms(int64_t ns)
{
	return ns / 1e6;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* shared_mem - zeroed memory shared with children forked afterwards */
static inline void *shared_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static inline int flag_get(volatile int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}

static inline void flag_set(volatile int *flag, int value)
{
	__atomic_store_n(flag, value, __ATOMIC_SEQ_CST);
}

/* flag_wait - poll every millisecond until *flag is set; 0 on timeout */
static inline int flag_wait(volatile int *flag, int timeout_ms)
{
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;

	while (!flag_get(flag)) {
		if (now_ns() > end)
			return 0;
		sleep_ms(1);
	}
	return 1;
}

/* start_child - fork; the child runs fn(arg) and exits with its result */
static inline pid_t start_child(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		alarm(DEMO_CHILD_ALARM_S);
		_exit(fn(arg));
	}
	return pid;
}

/*
 * reap - wait for pid at most timeout_s seconds (killing it after that).
 * Returns its exit code, or -1 if it was killed or did not finish.
 */
static inline int reap(pid_t pid, int timeout_s)
{
	int64_t end = now_ns() + (int64_t)timeout_s * 1000000000;
	int status;
	pid_t got;

	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_ns() < end)
		sleep_ms(5);
	if (got != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* pin_cpu - run the calling process on one CPU only; 0 or errno */
static inline int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

/* set_policy - SCHED_FIFO rtprio, or SCHED_OTHER for rtprio 0 */
static inline int set_policy(int rtprio)
{
	struct sched_param sp = { .sched_priority = rtprio };

	return sched_setscheduler(0, rtprio ? SCHED_FIFO : SCHED_OTHER, &sp) ?
	       errno : 0;
}

/* ---- the timeline ---- */

#define TIMELINE_MAX	64

struct timeline {
	int64_t start;
	volatile int count;
	struct {
		int64_t ns;
		char text[120];
	} event[TIMELINE_MAX];
};

static inline void timeline_begin(struct timeline *tl)
{
	tl->count = 0;
	tl->start = now_ns();
}

/* event - note what happened now; callable from any process */
static inline void __attribute__((format(printf, 2, 3)))
event(struct timeline *tl, const char *fmt, ...)
{
	int64_t t = now_ns();
	int i = __atomic_fetch_add(&tl->count, 1, __ATOMIC_SEQ_CST);
	va_list ap;

	if (i >= TIMELINE_MAX)
		return;
	tl->event[i].ns = t;
	va_start(ap, fmt);
	vsnprintf(tl->event[i].text, sizeof(tl->event[i].text), fmt, ap);
	va_end(ap);
}

/* timeline_print - the events in time order, in ms from the start */
static inline void timeline_print(struct timeline *tl)
{
	int n = tl->count < TIMELINE_MAX ? tl->count : TIMELINE_MAX;
	int i, j, first;
	int printed[TIMELINE_MAX] = { 0 };

	for (i = 0; i < n; i++) {
		first = -1;
		for (j = 0; j < n; j++)
			if (!printed[j] &&
			    (first < 0 || tl->event[j].ns < tl->event[first].ns))
				first = j;
		printed[first] = 1;
		printf("  %8.1f ms  %s\n",
		       ns_to_ms(tl->event[first].ns - tl->start),
		       tl->event[first].text);
	}
}

#endif /* RTSYNC_DEMO_H */
