// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Timed LOCK: ETIMEDOUT without acquiring, never before the deadline, on
 * CLOCK_MONOTONIC and CLOCK_REALTIME; a free mutex is taken even with a
 * past deadline; bad clocks and timespecs are EINVAL. And the case that
 * needs the module's help: a SCHED_FIFO waiter whose owner busy-loops in
 * user space on the other CPU must still time out promptly (rt_mutex's
 * adaptive spinning on a running owner checks no timeout by itself). A
 * signal and a SIGKILL sent to such a spinning waiter must reach it: the
 * handler runs and LOCK returns EINTR, or 0 once the owner has unlocked
 * (the spin looks at no signal, and on a fully preemptible kernel nothing
 * else ends it earlier); SIGKILL kills it. When they arrive is printed.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"

#define NSEC_PER_MSEC	1000000LL

/* A process that holds a mutex (sleeping) until told to unlock. */
struct holder {
	int fd;
	int release_after_ms;	/* unlock by itself after this long, or 0 */
	volatile int held;
	volatile int release;
	int lock_ret;
	int unlock_ret;
};

static int holder_process(void *arg)
{
	struct holder *h = arg;

	h->lock_ret = rtsync_mutex_lock(h->fd);
	flag_set(&h->held, 1);
	if (h->release_after_ms)
		sleep_ms(h->release_after_ms);
	else
		flag_wait(&h->release, 1, 120000);
	h->unlock_ret = rtsync_mutex_unlock(h->fd);
	return 0;
}

static pid_t start_holder(struct holder *h)
{
	pid_t pid = start_child(holder_process, h);

	if (!flag_wait(&h->held, 1, 30000) || h->lock_ret)
		diag("holder did not lock: %s", strerror(h->lock_ret));
	return pid;
}

static const char *clock_label(clockid_t clock)
{
	return clock == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC" : "CLOCK_REALTIME";
}

static void test_expires(clockid_t clock, int64_t rel_ms)
{
	struct holder *h = shared_mem(sizeof(*h));
	struct rtsync_mutex_status st;
	struct timespec deadline;
	int64_t dl, after;
	char name[64];
	pid_t pid;
	int ret;

	h->fd = new_mutex(name, sizeof(name), "to", 0);
	pid = start_holder(h);
	dl = now_ns(clock) + rel_ms * NSEC_PER_MSEC;
	deadline = ns_to_ts(dl);
	ret = rtsync_mutex_timedlock(h->fd, clock, &deadline);
	after = now_ns(clock);
	ok(ret == ETIMEDOUT, "%s, deadline %+lld ms, held by another: ETIMEDOUT (got %s)",
	   clock_label(clock), (long long)rel_ms, ret ? strerror(ret) : "0");
	ok(after >= dl, "%s: returned no earlier than the deadline (%.3f ms after it)",
	   clock_label(clock), ns_to_ms(after - dl));
	st = mutex_status(h->fd);
	ok(st.owner_pid == pid && st.waiters == 0,
	   "%s: not acquired, no waiter left (owner %d waiters %u)",
	   clock_label(clock), (int)st.owner_pid, st.waiters);
	if (!ret)
		rtsync_mutex_unlock(h->fd);

	flag_set(&h->release, 1);
	is_exit(wait_child(pid, 30), 0,
		strf("%s, deadline %+lld ms: holder finished", clock_label(clock),
		     (long long)rel_ms));
	is_errno(h->unlock_ret, 0,
		 strf("%s, deadline %+lld ms: holder unlocks after the timeout",
		      clock_label(clock), (long long)rel_ms));
	drop_object(h->fd, name);
	shared_free(h, sizeof(*h));
}

static void test_free_past_deadline(clockid_t clock)
{
	struct timespec deadline;
	char name[64], what[96];
	int fd;

	fd = new_mutex(name, sizeof(name), "to", 0);
	deadline = ns_to_ts(now_ns(clock) - 1000 * NSEC_PER_MSEC);
	snprintf(what, sizeof(what), "%s: a free mutex is taken with a past deadline",
		 clock_label(clock));
	is_errno(rtsync_mutex_timedlock(fd, clock, &deadline), 0, what);
	ok(mutex_status(fd).owner_tid == gettid(), "%s: and we own it",
	   clock_label(clock));
	rtsync_mutex_unlock(fd);
	deadline.tv_sec = 0;
	deadline.tv_nsec = 0;
	snprintf(what, sizeof(what), "%s: deadline 0 on a free mutex",
		 clock_label(clock));
	is_errno(rtsync_mutex_timedlock(fd, clock, &deadline), 0, what);
	rtsync_mutex_unlock(fd);
	drop_object(fd, name);
}

static void test_acquired_before_deadline(void)
{
	struct holder *h = shared_mem(sizeof(*h));
	struct timespec deadline;
	int64_t dl, after;
	char name[64];
	pid_t pid;

	h->fd = new_mutex(name, sizeof(name), "to", 0);
	h->release_after_ms = 100;
	pid = start_holder(h);
	dl = now_ns(CLOCK_MONOTONIC) + 20000 * NSEC_PER_MSEC;
	deadline = ns_to_ts(dl);
	is_errno(rtsync_mutex_timedlock(h->fd, CLOCK_MONOTONIC, &deadline), 0,
		 "timed lock acquires when the owner unlocks before the deadline");
	after = now_ns(CLOCK_MONOTONIC);
	ok(after < dl, "and returns before the deadline (%.0f ms early)",
	   ns_to_ms(dl - after));
	ok(mutex_status(h->fd).owner_tid == gettid(), "we own it");
	rtsync_mutex_unlock(h->fd);
	is_exit(wait_child(pid, 30), 0, "holder that unlocks by itself finished");
	drop_object(h->fd, name);
	shared_free(h, sizeof(*h));
}

static void test_bad_timeouts(void)
{
	struct rtsync_mutex_status before;
	struct timespec ts;
	char name[64];
	int fd;

	/* On a free mutex, so a bad call that went through would acquire. */
	fd = new_mutex(name, sizeof(name), "to", 0);
	before = mutex_status(fd);
	ts = ns_to_ts(now_ns(CLOCK_MONOTONIC) + 1000 * NSEC_PER_MSEC);
	is_errno(rtsync_mutex_timedlock(fd, CLOCK_BOOTTIME, &ts), EINVAL,
		 "timed lock on CLOCK_BOOTTIME");
	is_errno(rtsync_mutex_timedlock(fd, CLOCK_PROCESS_CPUTIME_ID, &ts),
		 EINVAL, "timed lock on CLOCK_PROCESS_CPUTIME_ID");
	is_errno(rtsync_mutex_timedlock(fd, (clockid_t)-1, &ts), EINVAL,
		 "timed lock on clock -1");
	ts.tv_nsec = 1000000000;
	is_errno(rtsync_mutex_timedlock(fd, CLOCK_MONOTONIC, &ts), EINVAL,
		 "timed lock with tv_nsec = 1e9");
	ts.tv_nsec = -1;
	is_errno(rtsync_mutex_timedlock(fd, CLOCK_REALTIME, &ts), EINVAL,
		 "timed lock with tv_nsec = -1");
	is_unchanged(&before, fd, "bad timeouts");
	drop_object(fd, name);
}

/*
 * A SCHED_OTHER owner busy-loops in user space on CPU 1 while a
 * SCHED_FIFO 50 waiter on CPU 0 locks: TIMED (50 ms, must time out within
 * 1 s), SIGNAL (untimed, SIGUSR1 after 100 ms), KILL (untimed, SIGKILL
 * after 100 ms).
 *
 * The signals come from a sender process on the waiter's CPU at a higher
 * SCHED_FIFO priority, which sleeps in clock_nanosleep() until it is time.
 * Not from a POSIX timer of the waiter's own: on PREEMPT_RT such a timer
 * expires in the timer softirq thread of the CPU it was armed on
 * (ktimers/N, SCHED_FIFO 1), which a spinning SCHED_FIFO 50 waiter starves
 * until it leaves the CPU, so the signal would only be generated after the
 * waiter has taken the lock and exited. A real-time task's nanosleep wakes
 * from the hard interrupt there too, and the sender preempts the waiter
 * without disturbing the owner's CPU, so the waiter is still spinning when
 * the signal is sent.
 */
#define SPIN_MS		2000
#define SPIN_TIMEOUT_MS	50
#define SPIN_SIGNAL_MS	100
#define WAITER_RTPRIO	50
#define SENDER_RTPRIO	60
#define SPIN_TIMED_ATTEMPTS	3

enum spin_mode { SPIN_TIMED, SPIN_SIGNAL, SPIN_KILL };

struct spin {
	int fd;
	enum spin_mode mode;
	volatile int held;
	volatile int sender_ready;	/* 1, or -1 when its setup failed */
	volatile int locking;	/* the waiter is about to LOCK */
	int owner_setup;	/* errno of pinning or locking */
	int owner_unlock;
	int waiter_setup;	/* errno of pinning or SCHED_FIFO */
	int sender_setup;	/* errno of pinning or SCHED_FIFO */
	pid_t waiter_pid;
	int ret;
	int64_t lock_start, lock_end;	/* CLOCK_MONOTONIC ns */
	int64_t owner_unlock_at;	/* just before the owner's UNLOCK */
	int64_t signal_at;		/* when the sender is to send */
	int64_t sent_at;		/* when it did */
	volatile int64_t handler_at;
	volatile int handler_ran;
};

static struct spin *spin_state;	/* for the signal handler */

static void on_sigusr1(int sig)
{
	(void)sig;
	spin_state->handler_at = now_ns(CLOCK_MONOTONIC);
	spin_state->handler_ran = 1;
}

static int spin_owner(void *arg)
{
	struct spin *s = arg;
	int64_t end;

	s->owner_setup = pin_cpu(1);
	if (!s->owner_setup)
		s->owner_setup = rtsync_mutex_lock(s->fd);
	flag_set(&s->held, s->owner_setup ? -1 : 1);
	if (s->owner_setup)
		return 1;
	end = now_ns(CLOCK_MONOTONIC) + SPIN_MS * NSEC_PER_MSEC;
	while (now_ns(CLOCK_MONOTONIC) < end)
		;	/* stay on the CPU, in user space */
	s->owner_unlock_at = now_ns(CLOCK_MONOTONIC);
	s->owner_unlock = rtsync_mutex_unlock(s->fd);
	return 0;
}

/*
 * On the waiter's CPU, above its priority: once the waiter is about to
 * LOCK, sleep until s->signal_at and send it SIGUSR1 or SIGKILL. Exits
 * with kill()'s errno.
 */
static int spin_sender(void *arg)
{
	struct spin *s = arg;
	struct timespec at;
	int err;

	s->sender_setup = pin_cpu(0);
	if (!s->sender_setup)
		s->sender_setup = set_fifo(SENDER_RTPRIO);
	flag_set(&s->sender_ready, s->sender_setup ? -1 : 1);
	if (s->sender_setup)
		return 0;
	while (!flag_get(&s->locking))
		sleep_ms(1);
	if (flag_get(&s->locking) < 0)
		return 0;	/* the waiter gave up before LOCK */
	at = ns_to_ts(s->signal_at);
	while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at,
				      NULL)) == EINTR)
		;
	if (err)
		return err;
	s->sent_at = now_ns(CLOCK_MONOTONIC);
	return kill(s->waiter_pid, s->mode == SPIN_KILL ? SIGKILL : SIGUSR1) ?
	       errno : 0;
}

static int spin_waiter(void *arg)
{
	struct spin *s = arg;
	struct sigaction sa;
	struct timespec deadline;

	spin_state = s;
	s->waiter_setup = pin_cpu(0);
	if (!flag_wait(&s->held, 1, 30000)) {
		flag_set(&s->locking, -1);
		return 1;
	}
	sleep_ms(20);	/* the owner is in its loop now */
	if (!s->waiter_setup)
		s->waiter_setup = set_fifo(WAITER_RTPRIO);
	if (s->waiter_setup) {
		flag_set(&s->locking, -1);
		return 0;	/* reported by the parent as a skip */
	}

	s->waiter_pid = getpid();
	s->lock_start = now_ns(CLOCK_MONOTONIC);
	s->signal_at = s->lock_start + SPIN_SIGNAL_MS * NSEC_PER_MSEC;
	if (s->mode == SPIN_SIGNAL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigusr1;	/* no SA_RESTART */
		sigaction(SIGUSR1, &sa, NULL);
	}
	flag_set(&s->locking, 1);	/* the sender's cue */
	switch (s->mode) {
	case SPIN_TIMED:
		deadline = ns_to_ts(s->lock_start +
				    SPIN_TIMEOUT_MS * NSEC_PER_MSEC);
		s->ret = rtsync_mutex_timedlock(s->fd, CLOCK_MONOTONIC,
						&deadline);
		break;
	case SPIN_SIGNAL:
	case SPIN_KILL:
		s->ret = rtsync_mutex_lock(s->fd);
		break;
	}
	s->lock_end = now_ns(CLOCK_MONOTONIC);
	if (!s->ret)
		rtsync_mutex_unlock(s->fd);
	return 0;
}

static void test_spinning_owner(enum spin_mode mode, int attempt)
{
	static const char *const labels[] = {
		[SPIN_TIMED] = "running owner, 50 ms timed lock",
		[SPIN_SIGNAL] = "running owner, SIGUSR1 to the waiter",
		[SPIN_KILL] = "running owner, SIGKILL to the waiter",
	};
	char label[64];
	struct spin *s = shared_mem(sizeof(*s));
	struct rtsync_mutex_status st;
	int wcode, ocode, scode = 0;
	int64_t reaped;
	char name[64];
	pid_t opid, wpid, spid = 0;

	snprintf(label, sizeof(label), "%s (%d)", labels[mode], attempt);
	s->fd = new_mutex(name, sizeof(name), "spin", 0);
	s->mode = mode;
	opid = start_child(spin_owner, s);
	if (mode != SPIN_TIMED) {
		/* On CPU 0 and real-time before the waiter spins there. */
		spid = start_child(spin_sender, s);
		while (!flag_get(&s->sender_ready))
			sleep_ms(1);
	}
	wpid = start_child(spin_waiter, s);
	/* Block (no polling) so the parent never takes the owner's CPU. */
	wcode = wait_child(wpid, 60);
	reaped = now_ns(CLOCK_MONOTONIC);
	ocode = wait_child(opid, 60);
	if (spid)
		scode = wait_child(spid, 60);

	if (s->owner_setup || s->waiter_setup || s->sender_setup) {
		skip("cannot pin to CPUs 0 and 1 or use SCHED_FIFO",
		     "%s (owner: %s, waiter: %s, sender: %s)", label,
		     strerror(s->owner_setup), strerror(s->waiter_setup),
		     strerror(s->sender_setup));
		goto out;
	}
	is_exit(ocode, 0, strf("%s: spinning owner finished", label));
	is_errno(s->owner_unlock, 0,
		 strf("%s: spinning owner unlocked after 2 s", label));

	switch (mode) {
	case SPIN_TIMED:
		is_exit(wcode, 0, "timed waiter finished");
		ok(s->ret == ETIMEDOUT, "%s: ETIMEDOUT (got %s after %.1f ms)",
		   label, s->ret ? strerror(s->ret) : "0",
		   ns_to_ms(s->lock_end - s->lock_start));
		ok(s->lock_end - s->lock_start < 1000 * NSEC_PER_MSEC,
		   "%s: returned within 1 s (%.1f ms)", label,
		   ns_to_ms(s->lock_end - s->lock_start));
		diag("%s: returned %.1f ms after the deadline", label,
		     ns_to_ms(s->lock_end - s->lock_start) - SPIN_TIMEOUT_MS);
		break;
	case SPIN_SIGNAL:
		is_exit(scode, 0, strf("%s: SIGUSR1 sent", label));
		diag("%s: sent %.1f ms after LOCK began (due at %d ms)", label,
		     ns_to_ms(s->sent_at - s->lock_start), SPIN_SIGNAL_MS);
		is_exit(wcode, 0, "signalled waiter finished");
		ok(s->handler_ran, "%s: the handler ran", label);
		if (s->handler_ran)
			diag("%s: handler ran %.1f ms after the signal", label,
			     ns_to_ms(s->handler_at - s->sent_at));
		ok(s->ret == EINTR ||
		   (s->ret == 0 && s->lock_end >= s->owner_unlock_at),
		   "%s: LOCK returned EINTR, or 0 after the owner's unlock (got %s after %.1f ms, owner unlocked at %.1f ms)",
		   label, s->ret ? strerror(s->ret) : "0",
		   ns_to_ms(s->lock_end - s->lock_start),
		   ns_to_ms(s->owner_unlock_at - s->lock_start));
		break;
	case SPIN_KILL:
		is_exit(scode, 0, strf("%s: SIGKILL sent", label));
		diag("%s: sent %.1f ms after LOCK began (due at %d ms)", label,
		     ns_to_ms(s->sent_at - s->lock_start), SPIN_SIGNAL_MS);
		is_exit(wcode, -SIGKILL, "waiter killed by SIGKILL");
		if (wcode == -SIGKILL)
			diag("%s: dead and reaped %.1f ms after the signal",
			     label, ns_to_ms(reaped - s->sent_at));
		break;
	}
	st = mutex_status(s->fd);
	ok(st.owner_tid == 0 && st.waiters == 0,
	   "%s: free with no waiters afterwards (owner %d waiters %u)", label,
	   (int)st.owner_tid, st.waiters);
	/*
	 * Where the spin hides SIGKILL until the owner unlocks (PREEMPT_RT),
	 * the waiter takes the lock as it dies: the module must give it
	 * back rather than report an owner death of a thread that never
	 * held it in user space.
	 */
	if (s->mode == SPIN_KILL)
		ok(!(st.flags & RTSYNC_MINFO_OWNER_DIED),
		   "%s: the killed waiter left no owner death behind (flags 0x%x)",
		   label, st.flags);
out:
	drop_object(s->fd, name);
	shared_free(s, sizeof(*s));
}

static void print_preempt_mode(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/debug/sched/preempt", "r");

	if (!f) {
		diag("preemption mode: /sys/kernel/debug/sched/preempt: %s",
		     strerror(errno));
		return;
	}
	if (fgets(buf, sizeof(buf), f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	diag("preemption mode: %s", buf);
}


int main(void)
{
	int i;

	test_expires(CLOCK_MONOTONIC, 200);
	test_expires(CLOCK_REALTIME, 200);
	test_expires(CLOCK_MONOTONIC, -100);
	test_expires(CLOCK_REALTIME, -100);
	test_free_past_deadline(CLOCK_MONOTONIC);
	test_free_past_deadline(CLOCK_REALTIME);
	test_acquired_before_deadline();
	test_bad_timeouts();

	print_preempt_mode();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip("needs 2 CPUs", "running owner tests");
	} else {
		/*
		 * Without the module's help the timed LOCK returns anywhere
		 * between a few hundred ms late and the owner's unlock
		 * (whatever happens to preempt the spin), so one attempt can
		 * pass by luck: make three.
		 */
		rt_throttling_off();
		atexit(rt_throttling_restore);	/* also after a bail out */
		for (i = 1; i <= SPIN_TIMED_ATTEMPTS; i++)
			test_spinning_owner(SPIN_TIMED, i);
		test_spinning_owner(SPIN_SIGNAL, 1);
		test_spinning_owner(SPIN_KILL, 1);
		rt_throttling_restore();
	}
	return tap_done();
}
