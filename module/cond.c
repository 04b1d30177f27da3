// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync condition variable: the "monitor" half of the mutex/semaphore/
 * monitor trio, bound to an rtsync mutex.
 *
 * COND_WAIT queues the caller on the condition (under its lock) before it
 * releases the mutex, so a SIGNAL or BROADCAST issued after the release
 * always finds it: no wake-up is lost between the unlock and the sleep.
 * After waking (signalled, timed out or interrupted) the caller takes the
 * mutex back through the rt_mutex, so priority inheritance works while it
 * waits for it, and an owner death in the meantime gives EOWNERDEAD.
 *
 * Waking: SIGNAL wakes the most urgent sleeper (waitq.c order); BROADCAST
 * wakes all of them. The woken sleepers then queue on the mutex's rt_mutex
 * in priority order and are handed the mutex one at a time: each costs one
 * wake-up and one sleep on the rt_mutex, not a stampede of retries. (Moving
 * them to the rt_mutex without waking them, as futex requeue-PI does, needs
 * rt_mutex internals that modules cannot reach.)
 *
 * A signal before the wake-up makes COND_WAIT return -ERESTARTSYS with the
 * mutex held again: with SA_RESTART the wait restarts (the deadline is
 * absolute), otherwise user space sees EINTR holding the mutex.
 */
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include "rtsync.h"
#include "trace.h"

static_assert(RTSYNC_INFO_HEAD_OK(struct rtsync_cond_info));

static int rtsync_cond_check_create(const struct rtsync_open_args *args)
{
	return args->mutex_flags || args->sem_value || args->sem_max ?
	       -EINVAL : 0;
}

static void rtsync_cond_init(struct rtsync_object *obj,
			     const struct rtsync_open_args *args)
{
	struct rtsync_cond *c = rtsync_to_cond(obj);

	rtsync_waitq_init(&c->sleepers);
	c->mutex = NULL;
}

/* The binding to a mutex lasts while there are sleepers. */
static void rtsync_cond_unbind_if_idle(struct rtsync_cond *c)
{
	lockdep_assert_held(&c->sleepers.lock);
	if (!c->sleepers.count)
		c->mutex = NULL;
}

/**
 * rtsync_cond_wait - release @m, wait for a wake-up on @c, take @m back
 * @c:        the condition variable
 * @m:        a mutex the caller holds once
 * @deadline: absolute deadline, or NULL
 *
 * Return: 0 (woken), -ETIMEDOUT, -ERESTARTSYS (signal), -EOWNERDEAD — all
 * holding @m again; -ENOTRECOVERABLE or -EDEADLK from taking it back, or
 * -ERESTARTSYS with a fatal signal pending (not held); before waiting,
 * with nothing changed: -EPERM (not the owner), -EINVAL (held more than
 * once, or @c's sleepers use another mutex), -ENOMEM, -EOPNOTSUPP (timed
 * wait in a kernel thread).
 */
int rtsync_cond_wait(struct rtsync_cond *c, struct rtsync_mutex *m,
		     const struct rtsync_deadline *deadline)
{
	struct rtsync_timeout *timeout = NULL;
	struct rtsync_contention *stats;
	struct rtsync_waiter w;
	bool timed_out = false;
	u64 start, slept;
	int ret;

	ret = rtsync_mutex_check_wait(m);
	if (ret)
		return ret;
	if (deadline) {
		timeout = rtsync_timeout_start(deadline);
		if (IS_ERR(timeout))
			return PTR_ERR(timeout);
	}
	stats = rtsync_contention_get(&c->obj);
	start = ktime_get_ns();

	spin_lock(&c->sleepers.lock);
	if (c->mutex && c->mutex != m) {
		spin_unlock(&c->sleepers.lock);
		if (timeout)
			rtsync_timeout_stop(timeout);
		return -EINVAL;
	}
	c->mutex = m;
	trace_rtsync_cond_wait(&c->obj, c->sleepers.count);
	rtsync_waitq_add(&c->sleepers, &w);
	spin_unlock(&c->sleepers.lock);

	/* Queued first, released second: see the top of this file. */
	rtsync_mutex_unlock(m);

	spin_lock(&c->sleepers.lock);
	rtsync_waitq_sleep(&c->sleepers, &w);
	rtsync_cond_unbind_if_idle(c);
	spin_unlock(&c->sleepers.lock);
	if (timeout)
		timed_out = rtsync_timeout_stop(timeout);
	ret = w.woken ? 0 : timed_out ? -ETIMEDOUT : -EINTR;
	slept = rtsync_contention_wait_done(stats, start, ret, w.woken);
	trace_rtsync_cond_woken(&c->obj, slept, ret);

	ret = rtsync_mutex_relock(m);
	if (ret)
		return ret;
	if (w.woken)
		return 0;
	return timed_out ? -ETIMEDOUT : -ERESTARTSYS;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_cond_wait);

/**
 * rtsync_cond_wake - wake up to @max sleepers, most urgent first
 * @c:   the condition variable
 * @max: 1 for SIGNAL, U32_MAX for BROADCAST
 *
 * Return: how many were woken.
 */
u32 rtsync_cond_wake(struct rtsync_cond *c, u32 max)
{
	struct rtsync_wake wake = { 0 };
	u32 woken = 0;

	spin_lock(&c->sleepers.lock);
	c->signals++;
	while (woken < max && rtsync_waitq_wake_one(&c->sleepers, &wake))
		woken++;
	rtsync_cond_unbind_if_idle(c);
	spin_unlock(&c->sleepers.lock);
	/* Before the wake-ups, so that the trace shows cause before effect. */
	trace_rtsync_cond_signal(&c->obj, max, woken);
	rtsync_wake_run(&wake);
	return woken;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_cond_wake);

/*
 * The counters the condition keeps itself (stats.c). Every wait sleeps,
 * so the waits woken are its contended ones.
 */
static void rtsync_cond_stats(struct rtsync_object *obj,
			      struct rtsync_stats *out)
{
	struct rtsync_cond *c = rtsync_to_cond(obj);

	out->acquisitions = out->contended;
	spin_lock(&c->sleepers.lock);
	out->posts = c->signals;
	out->max_sleepers = c->sleepers.max_count;
	spin_unlock(&c->sleepers.lock);
}

static void rtsync_cond_stats_reset(struct rtsync_object *obj)
{
	struct rtsync_cond *c = rtsync_to_cond(obj);

	spin_lock(&c->sleepers.lock);
	c->signals = 0;
	c->sleepers.max_count = c->sleepers.count;
	spin_unlock(&c->sleepers.lock);
}

static void rtsync_cond_get_info(struct rtsync_cond *c,
				 struct rtsync_cond_info *info)
{
	spin_lock(&c->sleepers.lock);
	info->waiters = c->sleepers.count;
	spin_unlock(&c->sleepers.lock);
	info->flags = READ_ONCE(c->obj.linked) ? 0 : RTSYNC_CINFO_UNLINKED;
}

/* The condition's columns of /proc/rtsync: - - flags - - waiters. */
static void rtsync_cond_show(struct seq_file *sf, struct rtsync_object *obj)
{
	struct rtsync_cond_info info;

	rtsync_cond_get_info(rtsync_to_cond(obj), &info);
	seq_printf(sf, " - - 0x%02x - - %u", info.flags, info.waiters);
}

static long rtsync_cond_ioctl_wait(struct rtsync_cond *c, void __user *argp)
{
	struct rtsync_cond_wait_args args;
	struct rtsync_deadline deadline;
	struct rtsync_object *mobj;
	struct fd f;
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.pad)
		return -EINVAL;
	ret = rtsync_deadline_from_user(&args.wait, &deadline);
	if (ret < 0)
		return ret;
	mobj = rtsync_object_fdget(args.mutex_fd, &f);
	if (IS_ERR(mobj))
		return PTR_ERR(mobj);
	if (mobj->type != &rtsync_mutex_type)
		ret = -EINVAL;
	else
		ret = rtsync_cond_wait(c, rtsync_to_mutex(mobj),
				       ret ? &deadline : NULL);
	fdput(f);
	return ret;
}

static int rtsync_cond_fill_info(struct rtsync_object *obj, void *data)
{
	struct rtsync_cond_info *info = data;

	if (info->pad)
		return -EINVAL;
	rtsync_cond_get_info(rtsync_to_cond(obj), info);
	return 0;
}

/* Out of line: its buffer is not zeroed on the stack of every call. */
static noinline long rtsync_cond_ioctl_info(struct rtsync_object *obj,
					    void __user *argp)
{
	struct rtsync_cond_info info;

	return rtsync_object_ioctl_info(obj, argp, &info, sizeof(info),
					rtsync_cond_fill_info);
}

static long rtsync_cond_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct rtsync_object *obj = file->private_data;
	void __user *argp = (void __user *)arg;
	struct rtsync_cond *c = rtsync_to_cond(obj);

	switch (cmd) {
	case RTSYNC_IOC_COND_WAIT:
		return rtsync_cond_ioctl_wait(c, argp);
	case RTSYNC_IOC_COND_SIGNAL:
		return rtsync_cond_wake(c, 1);
	case RTSYNC_IOC_COND_BROADCAST:
		return rtsync_cond_wake(c, U32_MAX);
	case RTSYNC_IOC_COND_INFO:
		return rtsync_cond_ioctl_info(obj, argp);
	default:
		return rtsync_object_ioctl(obj, cmd, argp);
	}
}

static const struct file_operations rtsync_cond_fops = {
	.owner		= THIS_MODULE,
	.release	= rtsync_object_file_release,
	.unlocked_ioctl	= rtsync_cond_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= rtsync_object_nopoll,
};

static const unsigned int rtsync_cond_ioctls[] = {
	RTSYNC_IOC_COND_WAIT, RTSYNC_IOC_COND_SIGNAL, RTSYNC_IOC_COND_BROADCAST,
	RTSYNC_IOC_COND_INFO,
};

const struct rtsync_type rtsync_cond_type = {
	.name		= "cond",
	.file_name	= "[rtsync_cond]",
	.fops		= &rtsync_cond_fops,
	.size		= sizeof(struct rtsync_cond),
	.ioctls		= rtsync_cond_ioctls,
	.nr_ioctls	= ARRAY_SIZE(rtsync_cond_ioctls),
	.check_create	= rtsync_cond_check_create,
	.init		= rtsync_cond_init,
	.show		= rtsync_cond_show,
	.stats		= rtsync_cond_stats,
	.stats_reset	= rtsync_cond_stats_reset,
};
EXPORT_SYMBOL_IF_KUNIT(rtsync_cond_type);
