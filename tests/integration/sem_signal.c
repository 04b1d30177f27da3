// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Signals and WAIT. Without SA_RESTART a handled signal ends a wait (timed
 * or not) with EINTR and no unit taken; with SA_RESTART the wait goes on
 * transparently, and a timed wait keeps its absolute deadline; a stop and
 * continue (no handler) also restarts it. Under a storm of signals racing
 * posts, a unit granted to a sleeper interrupted at the same moment is
 * kept: the sleeper gets exactly the units posted, none lost or doubled.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define PATIENCE_MS	30000

struct victim {
	int fd;
	int restart;		/* install the handler with SA_RESTART */
	int timed_ms;		/* > 0: timed wait with this deadline */
	volatile int handled;	/* handler runs */
	volatile int asleep;	/* about to call WAIT */
	int result;
	int64_t took_ns;
	int64_t late_ns;	/* return time - deadline, for timed waits */
};

static struct victim *the_victim;

static int victim_process(void *arg)
{
	struct victim *v = arg;
	struct timespec deadline;
	int64_t start;
	int err;

	err = count_sigusr1(&v->handled, v->restart);
	if (err)
		return err;
	flag_set(&v->asleep, 1);
	start = now_ns(CLOCK_MONOTONIC);
	if (v->timed_ms > 0) {
		deadline = deadline_in(CLOCK_MONOTONIC, v->timed_ms);
		v->result = rtsync_sem_timedwait(v->fd, CLOCK_MONOTONIC,
						 &deadline);
		v->late_ns = now_ns(CLOCK_MONOTONIC) - ts_to_ns(&deadline);
	} else {
		v->result = rtsync_sem_wait(v->fd);
	}
	v->took_ns = now_ns(CLOCK_MONOTONIC) - start;
	return 0;
}

static pid_t start_victim(struct victim *v, int fd, int restart, int timed_ms)
{
	pid_t pid;

	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->restart = restart;
	v->timed_ms = timed_ms;
	v->result = -1;
	pid = start_child(victim_process, v);
	flag_wait(&v->asleep, 1, PATIENCE_MS);
	if (wait_sem_waiters(fd, 1, PATIENCE_MS) != 1)
		diag("the victim did not go to sleep");
	return pid;
}

static void test_eintr(int timed_ms)
{
	struct victim *v = the_victim;
	const char *kind = timed_ms ? "timed wait" : "wait";
	char name[64], what[128];
	pid_t pid;
	int fd;

	fd = new_sem(name, sizeof(name), "signal", 0, 1);
	pid = start_victim(v, fd, 0, timed_ms);
	kill(pid, SIGUSR1);
	snprintf(what, sizeof(what), "%s, no SA_RESTART: victim finished", kind);
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, what);
	snprintf(what, sizeof(what), "%s, no SA_RESTART, SIGUSR1", kind);
	is_errno(v->result, EINTR, what);
	ok(v->handled == 1, "%s: the handler ran once (got %d)", kind,
	   v->handled);
	snprintf(what, sizeof(what), "%s interrupted", kind);
	is_sem(fd, 0, 0, what);
	is_errno(rtsync_sem_post(fd, 1, NULL), 0, "post after the EINTR");
	is_sem(fd, 1, 0, "the interrupted waiter took no unit");
	drop_object(fd, name);
}

static void test_restart(void)
{
	struct victim *v = the_victim;
	char name[64];
	pid_t pid;
	int fd;

	fd = new_sem(name, sizeof(name), "signal", 0, 1);
	pid = start_victim(v, fd, 1, 0);
	kill(pid, SIGUSR1);
	ok(flag_wait(&v->handled, 1, PATIENCE_MS), "SA_RESTART: the handler ran");
	ok(wait_sem_waiters(fd, 1, PATIENCE_MS) == 1,
	   "SA_RESTART: the wait went back to sleep");
	sleep_ms(100);
	ok(v->result == -1, "SA_RESTART: the wait did not return (result %d)",
	   v->result);
	is_errno(rtsync_sem_post(fd, 1, NULL), 0, "post to the restarted wait");
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "victim finished");
	is_errno(v->result, 0, "SA_RESTART: the restarted wait took the unit");
	is_sem(fd, 0, 0, "after the restarted wait");
	drop_object(fd, name);
}

static void test_restart_keeps_deadline(void)
{
	struct victim *v = the_victim;
	const int wait_ms = 1000, signal_ms = 700;
	char name[64];
	pid_t pid;
	int fd;

	fd = new_sem(name, sizeof(name), "signal", 0, 1);
	pid = start_victim(v, fd, 1, wait_ms);
	sleep_ms(signal_ms);
	kill(pid, SIGUSR1);
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "victim finished");
	ok(v->handled == 1, "timed wait, SA_RESTART: the handler ran (got %d)",
	   v->handled);
	is_errno(v->result, ETIMEDOUT, "timed wait, SA_RESTART");
	/* Had the restart begun the wait anew it would end signal_ms late. */
	ok(v->late_ns >= 0 && v->late_ns < (wait_ms - signal_ms) * 1000000LL,
	   "the restarted wait kept its absolute deadline: returned %.1f ms after it, took %.1f ms of %d",
	   ns_to_ms(v->late_ns), ns_to_ms(v->took_ns), wait_ms);
	is_sem(fd, 0, 0, "after the timed-out restarted wait");
	drop_object(fd, name);
}

static void test_stop_continue(void)
{
	struct victim *v = the_victim;
	char name[64];
	pid_t pid;
	int fd;

	fd = new_sem(name, sizeof(name), "signal", 0, 1);
	pid = start_victim(v, fd, 0, 0);
	kill(pid, SIGSTOP);
	sleep_ms(50);
	kill(pid, SIGCONT);
	ok(wait_sem_waiters(fd, 1, PATIENCE_MS) == 1,
	   "SIGSTOP + SIGCONT: the wait sleeps again");
	sleep_ms(50);
	ok(v->result == -1, "SIGSTOP + SIGCONT: the wait did not return");
	is_errno(rtsync_sem_post(fd, 1, NULL), 0, "post");
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "victim finished");
	is_errno(v->result, 0, "the stopped and continued wait took the unit");
	drop_object(fd, name);
}

/*
 * The storm: the victim waits for units in a loop (no SA_RESTART), counting
 * the waits that return 0; the parent posts one unit and at once signals
 * the victim, RACE_POSTS times, and every eighth time also signals it once
 * it sleeps with nothing to take. Then the parent waits for the victim to
 * have consumed everything and to sleep again, stops it, and compares.
 */
#define RACE_POSTS	2000

struct storm {
	int fd;
	volatile int got;
	volatile int eintr;
	volatile int errors;
	volatile int stop;
	volatile int handled;
};

static int storm_victim(void *arg)
{
	struct storm *s = arg;
	int err;

	err = count_sigusr1(&s->handled, 0);
	if (err)
		return err;
	while (!flag_get(&s->stop)) {
		err = rtsync_sem_wait(s->fd);
		if (!err)
			__atomic_add_fetch(&s->got, 1, __ATOMIC_SEQ_CST);
		else if (err == EINTR)
			__atomic_add_fetch(&s->eintr, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

static void test_storm(void)
{
	struct rtsync_sem_status st;
	struct storm *s;
	int i, posted = 0, settled = 0, got, code;
	int64_t end;
	char name[64];
	pid_t pid;

	s = shared_mem(sizeof(*s));
	s->fd = new_sem(name, sizeof(name), "signal", 0, RACE_POSTS + 1);
	pid = start_child(storm_victim, s);
	wait_sem_waiters(s->fd, 1, PATIENCE_MS);
	for (i = 0; i < RACE_POSTS; i++) {
		if (!rtsync_sem_post(s->fd, 1, NULL))
			posted++;
		kill(pid, SIGUSR1);
		/*
		 * Now and then a signal alone, to a victim surely asleep, and
		 * no post until it has returned EINTR: a post in between
		 * would hand it a unit first (and rightly so).
		 */
		if (i % 8 == 0 && wait_sem_waiters(s->fd, 1, 1000) == 1 &&
		    !sem_state(s->fd).value) {
			int before = flag_get(&s->eintr);
			int64_t until = now_ns(CLOCK_MONOTONIC) + 1000000000LL;

			kill(pid, SIGUSR1);
			while (flag_get(&s->eintr) == before &&
			       now_ns(CLOCK_MONOTONIC) < until)
				sleep_ms(1);
		}
	}
	/* Settled: every unit consumed and the victim asleep again. */
	end = now_ns(CLOCK_MONOTONIC) + PATIENCE_MS * 1000000LL;
	while (now_ns(CLOCK_MONOTONIC) < end) {
		st = sem_state(s->fd);
		if (st.value == 0 && st.waiters == 1 &&
		    flag_get(&s->got) == posted) {
			settled = 1;
			break;
		}
		if (st.value == 0 && st.waiters == 1)
			sleep_ms(20);	/* maybe a lost unit: look again */
		else
			sleep_ms(1);
	}
	st = sem_state(s->fd);
	got = flag_get(&s->got);
	/* A unit, not a signal, ends its loop: a signal could come too early. */
	flag_set(&s->stop, 1);
	rtsync_sem_post(s->fd, 1, NULL);
	code = wait_child(pid, 10);
	is_exit(code, 0, "the signalled waiter finished");
	diag("%d posted, %d taken, %d EINTR, %d signals handled, %u left",
	     posted, got, s->eintr, s->handled, st.value);
	ok(settled && got == posted,
	   "every unit posted amid signals was taken once: %d taken + %u left == %d posted",
	   got, st.value, posted);
	ok(s->eintr > 0, "some waits were interrupted (EINTR %d)", s->eintr);
	ok(s->errors == 0, "no other error (got %d)", s->errors);
	drop_object(s->fd, name);
	shared_free(s, sizeof(*s));
}

int main(void)
{
	the_victim = shared_mem(sizeof(*the_victim));
	test_eintr(0);
	test_eintr(10000);
	test_restart();
	test_restart_keeps_deadline();
	test_stop_continue();
	test_storm();
	shared_free(the_victim, sizeof(*the_victim));
	return tap_done();
}
