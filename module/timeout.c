// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync timeouts for LOCK and WAIT.
 *
 * The kernel exports no timed rt_mutex lock, so a timed wait is an
 * interruptible wait plus an hrtimer that interrupts it: at the deadline the
 * timer queues a task_work with TWA_SIGNAL on the sleeper, which sets
 * TIF_NOTIFY_SIGNAL and wakes it; the interruptible wait returns -EINTR and
 * the caller, seeing the timer fired, reports ETIMEDOUT. No real signal is
 * involved, and priority inheritance stays in force while waiting.
 *
 * A waiter on an rt_mutex whose owner is running on another CPU does not
 * sleep: it spins (rtmutex_spin_on_owner()), and that loop looks neither at
 * signals nor at timeouts, only at need_resched(). So once the deadline has
 * passed the timer also sets the waiter's need-resched flag whenever it
 * finds it running, and fires again every RTSYNC_KICK_PERIOD until the
 * wait ends. A flag set from the waiter's own CPU is cleared by the
 * preemption on interrupt return under full preemption (preempt=full,
 * PREEMPT_RT), which picks the spinning waiter again; so when the waiter
 * runs on the timer's CPU, the timer also sends a kick, an asynchronous
 * function call, to another housekeeping CPU (one not isolated with
 * isolcpus= or nohz_full=), which sets the flag from there. With no such
 * CPU only the local flag is set, which ends the spin without full
 * preemption (documented in docs/design.md).
 *
 * The timer runs on the waiter's own CPU, as futex's and nanosleep's do:
 * arming it costs no IPI, and nothing waits for another CPU while the
 * waiter goes to sleep. Only a deadline that passes while the waiter runs
 * costs an IPI, to a housekeeping CPU.
 *
 * The task_work cannot be cancelled once queued, so the timeout lives on
 * the heap: if the timer fired, the task_work frees it on the way back to
 * user space; otherwise rtsync_timeout_stop() does. Either way only
 * after the timer and every kick it sent are done with it:
 * rtsync_timeout_stop() waits for both.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/isolation.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/task_work.h>
#include <linux/time.h>
#include <linux/time_namespace.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "rtsync.h"

#define RTSYNC_KICK_PERIOD_NS	(1 * NSEC_PER_MSEC)

/**
 * struct rtsync_timeout - one timed wait
 * @timer:       fires at the deadline, then every RTSYNC_KICK_PERIOD_NS.
 * @kick:        sent by @timer to another CPU to set @task's need-resched
 *               flag from there.
 * @kicked:      each kick that has run; completed last thing by the kick.
 * @work:        queued on @task when @timer first fires; frees this.
 * @task:        the waiting thread.
 * @kicks:       kicks sent. Written by the timer callback; read after
 *               hrtimer_cancel(), which waits for a running callback.
 * @fired:       the deadline passed. Same rules.
 * @work_queued: @work was queued, so it owns the memory. Same rules.
 */
struct rtsync_timeout {
	struct hrtimer timer;
	call_single_data_t kick;
	struct completion kicked;
	struct callback_head work;
	struct task_struct *task;
	unsigned int kicks;
	bool fired;
	bool work_queued;
};

/*
 * A CLOCK_MONOTONIC deadline read in the caller's time namespace, on the
 * host's clock, which the timer runs on: what timens_ktime_to_host() does
 * for futex, timerfd and clock_nanosleep (not exported to modules; the
 * offsets are readable, and zero in the initial namespace). A deadline
 * before the namespace's offset has passed already.
 */
static ktime_t rtsync_monotonic_to_host(ktime_t expires)
{
	struct time_namespace *ns = current->nsproxy->time_ns;
	ktime_t offset;

	/* Without CONFIG_TIME_NS there is no namespace, not even the first. */
	if (!IS_ENABLED(CONFIG_TIME_NS) || !ns)
		return expires;
	offset = timespec64_to_ktime(ns->offsets.monotonic);
	if (expires < offset)
		return 0;
	/* A negative offset: a far deadline stays the farthest there is. */
	if (offset < 0 && expires > KTIME_MAX + offset)
		return KTIME_MAX;
	return ktime_sub(expires, offset);
}

/**
 * rtsync_deadline_from_user - validate the timeout part of wait args
 * @args:     copied from user space
 * @deadline: filled in when the args carry a timeout
 *
 * A CLOCK_MONOTONIC deadline is read in the caller's time namespace.
 * Return: 1 with @deadline set, 0 for "no timeout", -EINVAL for unknown
 * flags, a bad clock, or a timeout/clock given without RTSYNC_WAIT_TIMEOUT.
 */
int rtsync_deadline_from_user(const struct rtsync_wait_args *args,
			      struct rtsync_deadline *deadline)
{
	if (args->flags & ~RTSYNC_WAIT_TIMEOUT)
		return -EINVAL;
	if (!(args->flags & RTSYNC_WAIT_TIMEOUT))
		return args->timeout || args->clockid ? -EINVAL : 0;
	if (args->clockid != CLOCK_MONOTONIC && args->clockid != CLOCK_REALTIME)
		return -EINVAL;
	deadline->clockid = args->clockid;
	deadline->expires = args->timeout > KTIME_MAX ?
			    KTIME_MAX : ns_to_ktime(args->timeout);
	if (args->clockid == CLOCK_MONOTONIC)
		deadline->expires = rtsync_monotonic_to_host(deadline->expires);
	return 1;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_deadline_from_user);

/**
 * rtsync_wait_args_from_user - copy and validate a struct rtsync_wait_args
 * @argp:     user pointer (LOCK and WAIT without one have no timeout and
 *            never get here)
 * @deadline: filled in when the args carry a timeout
 *
 * Return: as rtsync_deadline_from_user(), or -EFAULT.
 */
int rtsync_wait_args_from_user(const void __user *argp,
			       struct rtsync_deadline *deadline)
{
	struct rtsync_wait_args args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return rtsync_deadline_from_user(&args, deadline);
}

static void rtsync_timeout_free_work(struct callback_head *work)
{
	kfree(container_of(work, struct rtsync_timeout, work));
}

/* Runs in hard interrupt context on the CPU the kick was sent to. */
static void rtsync_timeout_kick(void *data)
{
	struct rtsync_timeout *t = data;

	set_tsk_need_resched(t->task);
	complete(&t->kicked);
}

/*
 * The CPU to send a kick to: an online housekeeping CPU for timers other
 * than @self, so that CPUs isolated with isolcpus= or nohz_full= never
 * get rtsync's IPIs; nr_cpu_ids if there is none.
 */
static unsigned int rtsync_kick_cpu(unsigned int self)
{
	unsigned int cpu;

	for_each_cpu_and(cpu, housekeeping_cpumask(HK_TYPE_TIMER),
			 cpu_online_mask)
		if (cpu != self)
			return cpu;
	return nr_cpu_ids;
}

static enum hrtimer_restart rtsync_timeout_fire(struct hrtimer *timer)
{
	struct rtsync_timeout *t = container_of(timer, struct rtsync_timeout,
						timer);
	struct task_struct *task = t->task;
	unsigned int self = smp_processor_id(), cpu;

	if (!t->fired) {
		t->fired = true;
		t->work_queued = !task_work_add(task, &t->work, TWA_SIGNAL);
	}
	/* Ends a spin on a running owner; see the top of this file. */
	if (READ_ONCE(task->on_cpu)) {
		set_tsk_need_resched(task);
		cpu = task_cpu(task) == self ? rtsync_kick_cpu(self) : nr_cpu_ids;
		/* -EBUSY: the last kick has not run yet; that one will do. */
		if (cpu < nr_cpu_ids &&
		    !smp_call_function_single_async(cpu, &t->kick))
			t->kicks++;
	}
	hrtimer_forward_now(timer, ns_to_ktime(RTSYNC_KICK_PERIOD_NS));
	return HRTIMER_RESTART;
}

/**
 * rtsync_timeout_start - arm a timeout for the calling thread's next wait
 * @d: the deadline
 *
 * The wait that follows must be interruptible, and the caller must call
 * rtsync_timeout_stop() after it, before returning to user space.
 * Return: the timeout, or ERR_PTR(-ENOMEM), or ERR_PTR(-EOPNOTSUPP) in a
 * kernel thread (a task_work never runs there).
 */
struct rtsync_timeout *rtsync_timeout_start(const struct rtsync_deadline *d)
{
	struct rtsync_timeout *t;

	if (current->flags & PF_KTHREAD)
		return ERR_PTR(-EOPNOTSUPP);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->task = current;
	init_task_work(&t->work, rtsync_timeout_free_work);
	INIT_CSD(&t->kick, rtsync_timeout_kick, t);
	init_completion(&t->kicked);
	rtsync_hrtimer_setup(&t->timer, rtsync_timeout_fire, d->clockid,
			     HRTIMER_MODE_ABS_PINNED_HARD);
	hrtimer_start(&t->timer, d->expires, HRTIMER_MODE_ABS_PINNED_HARD);
	return t;
}

/**
 * rtsync_timeout_stop - disarm; @t must not be used afterwards
 * @t: from rtsync_timeout_start()
 *
 * Return: whether the deadline passed.
 */
bool rtsync_timeout_stop(struct rtsync_timeout *t)
{
	unsigned int i;
	bool fired;

	hrtimer_cancel(&t->timer);
	/*
	 * Kicks go out only once the deadline passed while the waiter ran;
	 * each one is done after one IPI's delivery.
	 */
	for (i = 0; i < t->kicks; i++)
		wait_for_completion(&t->kicked);
	fired = t->fired;
	if (!t->work_queued)
		kfree(t);
	return fired;
}
