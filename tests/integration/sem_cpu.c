// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Sleepers do not burn CPU: a process blocked for SLEEP_MS in WAIT (woken
 * by a post), in a timed WAIT (ending in ETIMEDOUT), or in poll() on a
 * semaphore, as SCHED_OTHER and as SCHED_FIFO, uses almost no CPU time
 * (its own getrusage(), and the parent's wait4() view of it).
 */
#define _GNU_SOURCE
#include <poll.h>

#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define SLEEP_MS	2000
#define CPU_LIMIT_MS	100
#define PATIENCE_S	30

enum how { BY_WAIT, BY_TIMEDWAIT, BY_POLL };

static const char *const how_label[] = {
	[BY_WAIT] = "WAIT",
	[BY_TIMEDWAIT] = "timed WAIT",
	[BY_POLL] = "poll()",
};

struct blocked {
	int fd;
	enum how how;
	int rtprio;		/* > 0: SCHED_FIFO */
	int result;
	int64_t cpu_ns;		/* CPU time spent in the blocking call */
	int64_t wall_ns;
};

static int blocked_process(void *arg)
{
	struct blocked *b = arg;
	struct pollfd p = { .fd = b->fd, .events = POLLIN };
	struct timespec deadline;
	int64_t cpu, wall;
	int err;

	if (b->rtprio) {
		err = set_fifo(b->rtprio);
		if (err)
			return err;
	}
	cpu = thread_cpu_ns();
	wall = now_ns(CLOCK_MONOTONIC);
	switch (b->how) {
	case BY_TIMEDWAIT:
		deadline = deadline_in(CLOCK_MONOTONIC, SLEEP_MS);
		b->result = rtsync_sem_timedwait(b->fd, CLOCK_MONOTONIC,
						 &deadline);
		break;
	case BY_POLL:
		b->result = poll(&p, 1, SLEEP_MS) < 0 ? errno : 0;
		break;
	default:
		b->result = rtsync_sem_wait(b->fd);
		break;
	}
	b->wall_ns = now_ns(CLOCK_MONOTONIC) - wall;
	b->cpu_ns = thread_cpu_ns() - cpu;
	return 0;
}

/* reap - wait4() with a deadline; returns the child's total CPU ns or -1 */
static int64_t reap(pid_t pid)
{
	struct rusage ru;
	int status;

	alarm(PATIENCE_S);
	if (wait4(pid, &status, 0, &ru) != pid) {
		alarm(0);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	alarm(0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only interrupts wait4() */
}

static void test_blocked(struct blocked *b, enum how how, int rtprio)
{
	char name[64], label[64];
	int64_t total;
	pid_t pid;

	snprintf(label, sizeof(label), "%s, %s", how_label[how],
		 rtprio ? "SCHED_FIFO 50" : "SCHED_OTHER");
	memset(b, 0, sizeof(*b));
	b->fd = new_sem(name, sizeof(name), "cpu", 0, 1);
	b->how = how;
	b->rtprio = rtprio;
	b->result = -1;
	pid = start_child(blocked_process, b);
	if (how != BY_POLL)
		wait_sem_waiters(b->fd, 1, PATIENCE_S * 1000);
	if (how == BY_WAIT) {
		sleep_ms(SLEEP_MS);
		rtsync_sem_post(b->fd, 1, NULL);
	}
	total = reap(pid);
	ok(total >= 0, "%s: the blocked process finished", label);
	is_errno(b->result, how == BY_TIMEDWAIT ? ETIMEDOUT : 0, label);
	ok(b->wall_ns >= (SLEEP_MS - 10) * 1000000LL,
	   "%s: it was blocked %.0f ms", label, ns_to_ms(b->wall_ns));
	ok(b->cpu_ns < CPU_LIMIT_MS * 1000000LL,
	   "%s: it used %.1f ms of CPU while blocked (< %d)", label,
	   ns_to_ms(b->cpu_ns), CPU_LIMIT_MS);
	ok(total >= 0 && total < CPU_LIMIT_MS * 1000000LL,
	   "%s: wait4() says %.1f ms of CPU in all (< %d)", label,
	   ns_to_ms(total), CPU_LIMIT_MS);
	drop_object(b->fd, name);
}

int main(void)
{
	struct sigaction sa;
	struct blocked *b;
	int fifo;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	b = shared_mem(sizeof(*b));
	test_blocked(b, BY_WAIT, 0);
	test_blocked(b, BY_TIMEDWAIT, 0);
	test_blocked(b, BY_POLL, 0);

	/* A SCHED_FIFO sleeper that spun would also starve its CPU. */
	fifo = set_fifo(60);	/* stay above the child to post on time */
	if (fifo) {
		skip(strerror(fifo), "SCHED_FIFO sleepers");
	} else {
		test_blocked(b, BY_WAIT, 50);
		test_blocked(b, BY_TIMEDWAIT, 50);
	}
	shared_free(b, sizeof(*b));
	return tap_done();
}
