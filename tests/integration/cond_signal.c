// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Signals and COND_WAIT. A handled signal without SA_RESTART ends a wait
 * (timed or not) with EINTR, holding the mutex again: if another process
 * holds it at that moment, only after that one unlocks. With SA_RESTART
 * the wait goes on transparently, a timed one keeping its absolute
 * deadline; a stop and continue (no handler) also restarts it. A waiter
 * that SIGNAL already woke keeps that wake-up when a signal hits it while
 * it waits for the mutex: it returns 0, and its handler runs. SIGKILL ends
 * a wait in either phase without leaving a waiter behind or marking the
 * mutex as if its owner had died.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"
#include "cond_helpers.h"

#define PATIENCE_MS	20000

struct victim {
	int cfd;
	int mfd;
	int restart;		/* install the handler with SA_RESTART */
	int timed_ms;		/* > 0: timed wait with this deadline */
	volatile int handled;	/* handler runs */
	volatile int locked;	/* holds the mutex, about to wait */
	int result;
	int held_after;
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
	err = rtsync_mutex_lock(v->mfd);
	if (err)
		return err;
	flag_set(&v->locked, 1);
	start = now_ns(CLOCK_MONOTONIC);
	if (v->timed_ms > 0) {
		deadline = deadline_in(CLOCK_MONOTONIC, v->timed_ms);
		v->result = rtsync_cond_timedwait(v->cfd, v->mfd,
						  CLOCK_MONOTONIC, &deadline);
		v->late_ns = now_ns(CLOCK_MONOTONIC) - ts_to_ns(&deadline);
	} else {
		v->result = rtsync_cond_wait(v->cfd, v->mfd);
	}
	v->took_ns = now_ns(CLOCK_MONOTONIC) - start;
	v->held_after = holds_mutex(v->mfd);
	if (v->held_after)
		rtsync_mutex_unlock(v->mfd);
	return 0;
}

/* start_victim - a victim asleep on a fresh condition variable and mutex */
static pid_t start_victim(int restart, int timed_ms, char *cname, char *mname)
{
	struct victim *v = the_victim;
	pid_t pid;

	memset(v, 0, sizeof(*v));
	v->cfd = new_cond(cname, 64, "csig");
	v->mfd = new_mutex(mname, 64, "csig", 0);
	v->restart = restart;
	v->timed_ms = timed_ms;
	v->result = -1;
	pid = start_child(victim_process, v);
	if (wait_cond_waiters(v->cfd, 1, PATIENCE_MS) != 1)
		diag("the victim did not go to sleep");
	/* Queued before it releases the mutex: wait for the release too. */
	wait_owner(v->mfd, 0, PATIENCE_MS);
	return pid;
}

static void drop_victim(const char *cname, const char *mname)
{
	drop_object(the_victim->cfd, cname);
	drop_object(the_victim->mfd, mname);
}

static void test_eintr(int timed_ms)
{
	struct victim *v = the_victim;
	const char *kind = timed_ms ? "timed wait" : "wait";
	char cname[64], mname[64];
	pid_t pid;

	pid = start_victim(0, timed_ms, cname, mname);
	kill(pid, SIGUSR1);
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0,
		strf("%s, no SA_RESTART: the victim finished", kind));
	is_errno(v->result, EINTR, strf("%s, no SA_RESTART, SIGUSR1", kind));
	ok(v->held_after, "%s: EINTR returns holding the mutex", kind);
	ok(v->handled == 1, "%s: the handler ran once (got %d)", kind,
	   v->handled);
	ok(cond_state(v->cfd).waiters == 0, "%s: no waiter left", kind);
	drop_victim(cname, mname);
}

/* The signal ends the sleep, but EINTR waits for the mutex. */
static void test_eintr_waits_for_mutex(void)
{
	struct victim *v = the_victim;
	char cname[64], mname[64];
	pid_t pid;

	pid = start_victim(0, 0, cname, mname);
	is_errno(rtsync_mutex_lock(v->mfd), 0, "the parent takes the mutex");
	kill(pid, SIGUSR1);
	ok(wait_waiters(v->mfd, 1, PATIENCE_MS) == 1,
	   "the interrupted victim waits for the mutex");
	ok(cond_state(v->cfd).waiters == 0,
	   "it left the condition variable's queue");
	sleep_ms(100);
	ok(v->result == -1, "it does not return while the parent holds the mutex");
	is_errno(rtsync_mutex_unlock(v->mfd), 0, "the parent unlocks");
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "the victim finished");
	is_errno(v->result, EINTR, "then the wait returns");
	ok(v->held_after && v->handled == 1,
	   "holding the mutex, the handler run once (%d)", v->handled);
	drop_victim(cname, mname);
}

static void test_restart(void)
{
	struct victim *v = the_victim;
	char cname[64], mname[64];
	pid_t pid;

	pid = start_victim(1, 0, cname, mname);
	kill(pid, SIGUSR1);
	ok(flag_wait(&v->handled, 1, PATIENCE_MS), "SA_RESTART: the handler ran");
	ok(wait_cond_waiters(v->cfd, 1, PATIENCE_MS) == 1 &&
	   wait_owner(v->mfd, 0, PATIENCE_MS) == 0,
	   "SA_RESTART: the wait went back to sleep and released the mutex");
	sleep_ms(100);
	ok(v->result == -1, "SA_RESTART: the wait did not return (result %d)",
	   v->result);
	is_errno(rtsync_cond_signal(v->cfd), 0, "SIGNAL the restarted wait");
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "the victim finished");
	is_errno(v->result, 0, "SA_RESTART: the restarted wait was woken");
	ok(v->held_after, "holding the mutex");
	drop_victim(cname, mname);
}

static void test_restart_keeps_deadline(void)
{
	struct victim *v = the_victim;
	const int wait_ms = 1000, signal_ms = 700;
	char cname[64], mname[64];
	pid_t pid;

	pid = start_victim(1, wait_ms, cname, mname);
	sleep_ms(signal_ms);
	kill(pid, SIGUSR1);
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "the victim finished");
	ok(v->handled == 1, "timed wait, SA_RESTART: the handler ran (got %d)",
	   v->handled);
	is_errno(v->result, ETIMEDOUT, "timed wait, SA_RESTART");
	/* Had the restart begun the wait anew it would end signal_ms late. */
	ok(v->late_ns >= 0 && v->late_ns < (wait_ms - signal_ms) * 1000000LL,
	   "the restarted wait kept its absolute deadline: returned %.1f ms after it, took %.1f ms of %d",
	   ns_to_ms(v->late_ns), ns_to_ms(v->took_ns), wait_ms);
	ok(v->held_after, "holding the mutex");
	drop_victim(cname, mname);
}

static void test_stop_continue(void)
{
	struct victim *v = the_victim;
	char cname[64], mname[64];
	pid_t pid;

	pid = start_victim(0, 0, cname, mname);
	kill(pid, SIGSTOP);
	sleep_ms(50);
	kill(pid, SIGCONT);
	ok(wait_cond_waiters(v->cfd, 1, PATIENCE_MS) == 1,
	   "SIGSTOP + SIGCONT: the wait sleeps again");
	sleep_ms(50);
	ok(v->result == -1, "SIGSTOP + SIGCONT: the wait did not return");
	is_errno(rtsync_cond_signal(v->cfd), 0, "SIGNAL");
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "the victim finished");
	is_errno(v->result, 0, "the stopped and continued wait was woken");
	drop_victim(cname, mname);
}

/* SIGNAL first, then a handled signal while it waits for the mutex. */
static void test_woken_then_signalled(void)
{
	struct victim *v = the_victim;
	char cname[64], mname[64];
	pid_t pid;
	int n;

	pid = start_victim(0, 0, cname, mname);
	is_errno(rtsync_mutex_lock(v->mfd), 0, "the parent takes the mutex");
	n = raw_wake(v->cfd, RTSYNC_IOC_COND_SIGNAL);
	ok(n == 1, "SIGNAL wakes the victim (raw ioctl %d)", n);
	ok(wait_waiters(v->mfd, 1, PATIENCE_MS) == 1,
	   "the woken victim waits for the mutex");
	kill(pid, SIGUSR1);
	sleep_ms(100);
	ok(v->result == -1, "the signal does not make it give up the mutex");
	is_errno(rtsync_mutex_unlock(v->mfd), 0, "the parent unlocks");
	is_exit(wait_child(pid, PATIENCE_MS / 1000), 0, "the victim finished");
	is_errno(v->result, 0, "woken, then signalled: the wake-up is kept");
	ok(v->held_after, "holding the mutex");
	ok(v->handled == 1, "and the handler ran (got %d)", v->handled);
	drop_victim(cname, mname);
}

static void test_sigkill(int while_relocking)
{
	struct victim *v = the_victim;
	const char *phase = while_relocking ? "waiting for the mutex" :
					      "asleep on the condition";
	struct rtsync_mutex_status st;
	char cname[64], mname[64];
	pid_t pid;

	pid = start_victim(0, 0, cname, mname);
	if (while_relocking) {
		is_errno(rtsync_mutex_lock(v->mfd), 0, "the parent takes the mutex");
		raw_wake(v->cfd, RTSYNC_IOC_COND_SIGNAL);
		wait_waiters(v->mfd, 1, PATIENCE_MS);
	}
	kill(pid, SIGKILL);
	is_exit(wait_child(pid, PATIENCE_MS / 1000), -SIGKILL,
		strf("SIGKILL %s", phase));
	ok(cond_state(v->cfd).waiters == 0, "%s: no waiter left behind", phase);
	if (while_relocking)
		is_errno(rtsync_mutex_unlock(v->mfd), 0, "the parent unlocks");
	st = mutex_status(v->mfd);
	ok(st.owner_tid == 0 && st.waiters == 0 && st.flags == 0,
	   "%s: the mutex is free and not owner-died (flags %#x, waiters %u)",
	   phase, st.flags, st.waiters);
	is_errno(rtsync_mutex_lock(v->mfd), 0, "the mutex can be locked");
	is_errno(rtsync_mutex_unlock(v->mfd), 0, "unlock");
	drop_victim(cname, mname);
}

int main(void)
{
	the_victim = shared_mem(sizeof(*the_victim));
	test_eintr(0);
	test_eintr(10000);
	test_eintr_waits_for_mutex();
	test_restart();
	test_restart_keeps_deadline();
	test_stop_continue();
	test_woken_then_signalled();
	test_sigkill(0);
	test_sigkill(1);
	shared_free(the_victim, sizeof(*the_victim));
	return tap_done();
}
