// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A sleeper killed with SIGKILL leaves no trace: it leaves the queue (INFO
 * sleeper count drops), takes no unit, and the next posts go to the
 * sleepers still there or to the count, none to the dead one. This holds
 * for a plain wait, a timed wait (whose timer must not fire into a dead
 * task) and for a process whose several threads sleep at once.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define PATIENCE_MS	30000
#define THREADS		3

struct sleepers {
	int fd;
	int timed;		/* timed wait with a long deadline */
	volatile int woken;
};

static int sleep_once(struct sleepers *s)
{
	struct timespec deadline = deadline_in(CLOCK_MONOTONIC, PATIENCE_MS);
	int err;

	if (s->timed)
		err = rtsync_sem_timedwait(s->fd, CLOCK_MONOTONIC, &deadline);
	else
		err = rtsync_sem_wait(s->fd);
	if (!err)
		__atomic_add_fetch(&s->woken, 1, __ATOMIC_SEQ_CST);
	return err;
}

static int sleeper_process(void *arg)
{
	return sleep_once(arg);
}

static void test_kill_middle(int timed)
{
	const char *kind = timed ? "timed" : "plain";
	struct sleepers *s;
	char name[64], what[128];
	pid_t pids[3];
	int i, code;

	s = shared_mem(sizeof(*s));
	s->fd = new_sem(name, sizeof(name), "kill", 0, 5);
	s->timed = timed;
	for (i = 0; i < 3; i++) {
		pids[i] = start_child(sleeper_process, s);
		wait_sem_waiters(s->fd, i + 1, PATIENCE_MS);
	}
	snprintf(what, sizeof(what), "%s: 3 asleep", kind);
	is_sem(s->fd, 0, 3, what);

	kill(pids[1], SIGKILL);
	code = wait_child(pids[1], 30);
	snprintf(what, sizeof(what), "%s: the middle sleeper died", kind);
	is_exit(code, -SIGKILL, what);
	snprintf(what, sizeof(what), "%s: after the kill", kind);
	is_sem(s->fd, 0, 2, what);

	is_errno(rtsync_sem_post(s->fd, 2, NULL), 0, "post 2");
	is_exit(wait_child(pids[0], 30), 0, "the first sleeper got a unit");
	is_exit(wait_child(pids[2], 30), 0, "the third sleeper got a unit");
	snprintf(what, sizeof(what),
		 "%s: both units went to the live sleepers", kind);
	is_sem(s->fd, 0, 0, what);
	is_errno(rtsync_sem_post(s->fd, 1, NULL), 0, "post 1 more");
	snprintf(what, sizeof(what), "%s: no dead sleeper took it", kind);
	is_sem(s->fd, 1, 0, what);
	ok(s->woken == 2, "%s: exactly two woke (got %d)", kind, s->woken);
	drop_object(s->fd, name);
	shared_free(s, sizeof(*s));
}

static void *sleeper_thread(void *arg)
{
	sleep_once(arg);
	return NULL;
}

/* A process whose THREADS threads all sleep on the semaphore. */
static int threaded_process(void *arg)
{
	pthread_t t;
	int i;

	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t, NULL, sleeper_thread, arg))
			return EAGAIN;
	pause();
	return 0;
}

static void test_kill_threads(void)
{
	struct sleepers *s;
	char name[64];
	pid_t pid;

	s = shared_mem(sizeof(*s));
	s->fd = new_sem(name, sizeof(name), "kill", 0, 5);
	pid = start_child(threaded_process, s);
	ok(wait_sem_waiters(s->fd, THREADS, PATIENCE_MS) == THREADS,
	   "%d threads of one process asleep", THREADS);
	kill(pid, SIGKILL);
	is_exit(wait_child(pid, 30), -SIGKILL, "the process died");
	is_sem(s->fd, 0, 0, "none of its threads is left queued");
	is_errno(rtsync_sem_post(s->fd, 2, NULL), 0, "post 2");
	is_sem(s->fd, 2, 0, "both units stay in the count");
	ok(s->woken == 0, "no dead thread took a unit (got %d)", s->woken);
	drop_object(s->fd, name);
	shared_free(s, sizeof(*s));
}

int main(void)
{
	test_kill_middle(0);
	test_kill_middle(1);
	test_kill_threads();
	return tap_done();
}
