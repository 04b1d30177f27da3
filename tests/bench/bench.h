/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Shared helpers of rtsync's benchmark programs: clocks, medians, CPU
 * pinning and scheduling policy, shared memory, child processes, the
 * peers rtsync is measured against (a robust PI pthread mutex in shared
 * memory), and the result lines that tests/bench/report.sh turns into the
 * Markdown table.
 *
 * Every program is also a TAP producer (tap.h): measuring is its job, but a
 * call that fails while measuring is "not ok", so `make bench` fails on
 * errors and only on errors. A target that is missed is information, not a
 * failure: the report marks it MISS.
 *
 * Result lines (TAP comments, so the harness passes them through):
 *   # row | ID | LABEL | RTSYNC | PEER LABEL | PEER VALUE | UNIT | RATIO |
 *     TARGET | RUNS
 * RTSYNC and PEER VALUE are medians over the repetitions. RATIO is
 * RTSYNC / PEER: where both were measured in every repetition
 * (row_paired), the median of the per-repetition ratios, so a burst of
 * host load that slows one repetition weighs on both sides of its ratio;
 * otherwise the ratio of the two values. TARGET is "-", "<=X" or "<X"
 * for RATIO. RUNS says how much was measured (reps x iterations).
 *
 * Include after _GNU_SOURCE is defined, before any system header.
 */
#ifndef RTSYNC_BENCH_H
#define RTSYNC_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtsync.h>

#include "tap.h"

/* The guest has two CPUs; two-party benchmarks put one party on each. */
#define CPU_A		0
#define CPU_B		1

/* Most repetitions any benchmark takes of one measurement. */
#define MAX_REPS	64

/* A child still running after this long is broken: it kills itself. */
#define CHILD_ALARM_S	120

/* Written by `make bench` into the guest: a factor for run lengths. */
#define SCALE_FILE	"/rtsync/bench.scale"

/* bail - the benchmark cannot go on: a TAP "Bail out!", so the run fails */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
bail(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (errno: %s)\n", strerror(err));
	fflush(stdout);
	exit(1);
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
			       .tv_nsec = (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/*
 * bench_scale - the factor `make bench` asks run lengths to be multiplied
 * by (RTSYNC_BENCH_SCALE on the host; 1 when the file is absent).
 */
static inline double bench_scale(void)
{
	static double scale;
	FILE *f;

	if (scale > 0)
		return scale;
	scale = 1.0;
	f = fopen(SCALE_FILE, "r");
	if (f) {
		if (fscanf(f, "%lf", &scale) != 1 || scale < 0.01 || scale > 100)
			scale = 1.0;
		fclose(f);
	}
	return scale;
}

/* scaled - n times the scale factor, but at least min */
static inline long scaled(long n, long min)
{
	long v = (long)(n * bench_scale());

	return v < min ? min : v;
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* median - of n values (n >= 1); v is left untouched */
static inline double median(const double *v, int n)
{
	double *s = malloc(sizeof(*s) * n);
	double m;

	if (!s)
		bail("malloc");
	memcpy(s, v, sizeof(*s) * n);
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* One measurement's value in each repetition. */
struct samples {
	double v[MAX_REPS];
	int n;
};

static inline void add_sample(struct samples *s, double v)
{
	if (s->n < MAX_REPS)
		s->v[s->n++] = v;
}

static inline double samples_median(const struct samples *s)
{
	return s->n ? median(s->v, s->n) : 0;
}

/* ---- output ---- */

static inline void print_row(const char *id, const char *label, double value,
			     const char *peer, double peer_value,
			     const char *unit, double ratio, const char *target,
			     const char *runs)
{
	printf("# row | %s | %s | %.1f | %s | %.1f | %s | %.4f | %s | %s\n", id,
	       label, value, peer, peer_value, unit, ratio, target, runs);
	fflush(stdout);
}

/* row - one line of the table from two single values */
static inline void row(const char *id, const char *label, double value,
		       const char *peer, double peer_value, const char *unit,
		       const char *target, const char *runs)
{
	print_row(id, label, value, peer, peer_value, unit,
		  peer_value > 0 ? value / peer_value : 0, target, runs);
}

/*
 * row_paired - one line of the table from two series measured side by
 * side: sample i of each comes from repetition i.
 */
static inline void row_paired(const char *id, const char *label,
			      const struct samples *a, const char *peer,
			      const struct samples *b, const char *unit,
			      const char *target, const char *runs)
{
	double r[MAX_REPS];
	int i, n = 0;

	for (i = 0; i < a->n && i < b->n; i++)
		if (b->v[i] > 0)
			r[n++] = a->v[i] / b->v[i];
	print_row(id, label, samples_median(a), peer, samples_median(b), unit,
		  n ? median(r, n) : 0, target, runs);
}

/* ---- scheduling ---- */

/* pin_cpu - run the calling thread on one CPU only */
static inline void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		bail("sched_setaffinity(CPU %d)", cpu);
}

/* set_fifo - make the calling thread SCHED_FIFO at prio (0: SCHED_OTHER) */
static inline void set_fifo(int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	if (sched_setscheduler(0, prio ? SCHED_FIFO : SCHED_OTHER, &sp))
		bail("sched_setscheduler(%s %d)", prio ? "SCHED_FIFO" : "SCHED_OTHER",
		     prio);
}

/* ---- memory and processes ---- */

/* shared_mem - zeroed memory shared with children forked afterwards */
static inline void *shared_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap(%zu bytes, shared)", size);
	return p;
}

/*
 * spawn - fork a child that runs fn(arg) and exits with its result.
 * The child kills itself after CHILD_ALARM_S so nothing outlives a broken
 * run.
 */
static inline pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (pid == 0) {
		alarm(CHILD_ALARM_S);
		_exit(fn(arg));
	}
	return pid;
}

/* reap - wait for a child; returns 1 if it exited with status 0 */
static inline int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bail("waitpid(%d)", (int)pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (WIFSIGNALED(status))
		diag("child %d killed by signal %d", (int)pid, WTERMSIG(status));
	else
		diag("child %d exited with status %d", (int)pid,
		     WEXITSTATUS(status));
	return 0;
}

/* raise_nofile - allow at least n open files */
static inline void raise_nofile(rlim_t n)
{
	struct rlimit rl = { .rlim_cur = n, .rlim_max = n };

	if (setrlimit(RLIMIT_NOFILE, &rl))
		bail("setrlimit(RLIMIT_NOFILE, %lu)", (unsigned long)n);
}

/* ---- small files in /proc and /sys ---- */

/* read_long - the first number in a file; -1 if it cannot be read */
static inline long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* write_long - write a number into a file; returns 0 or an errno */
static inline int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return errno;
	if (fprintf(f, "%ld\n", v) < 0)
		err = errno;
	if (fclose(f) && !err)
		err = errno;
	return err;
}

/* ---- the peer: a robust PI pthread mutex shared between processes ---- */

/*
 * pi_mutex_init - PTHREAD_PRIO_INHERIT + PTHREAD_PROCESS_SHARED + robust:
 * a PI futex, the closest thing Linux already has to an rtsync mutex.
 * m must live in shared memory.
 */
static inline void pi_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;

	if (pthread_mutexattr_init(&attr) ||
	    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT) ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST))
		bail("pthread_mutexattr_*");
	errno = pthread_mutex_init(m, &attr);
	if (errno)
		bail("pthread_mutex_init(PI, shared, robust)");
	pthread_mutexattr_destroy(&attr);
}

/* bench_name - a name no other program or run uses */
static inline const char *bench_name(char *buf, size_t size, const char *tag,
				     long i)
{
	snprintf(buf, size, "bench-%s-%d-%ld", tag, (int)getpid(), i);
	return buf;
}

#endif /* RTSYNC_BENCH_H */
