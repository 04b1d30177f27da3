// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync semaphore: a counting semaphore with no owner.
 *
 * The count lies in [0, max]. Sleepers queue in priority order (waitq.c:
 * the effective priority they had when they went to sleep, FIFO within
 * one priority). POST of n hands units directly to up to
 * n sleepers from the head of the queue, and only what is left over is
 * added to the count: a thread arriving later can never take a unit meant
 * for a woken sleeper of higher priority, and a post of n wakes at most n.
 *
 * A granted unit is never lost: a sleeper that is interrupted or times out
 * after its unit was granted returns success.
 */
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include "rtsync.h"
#include "trace.h"

static_assert(RTSYNC_INFO_HEAD_OK(struct rtsync_sem_info));

static int rtsync_sem_check_create(const struct rtsync_open_args *args)
{
	if (args->mutex_flags || !args->sem_max)
		return -EINVAL;
	if (args->sem_max > RTSYNC_SEM_VALUE_MAX)
		return -EINVAL;
	return args->sem_value > args->sem_max ? -EINVAL : 0;
}

static void rtsync_sem_init(struct rtsync_object *obj,
			    const struct rtsync_open_args *args)
{
	struct rtsync_sem *s = rtsync_to_sem(obj);

	s->count = args->sem_value;
	s->max = args->sem_max;
	rtsync_waitq_init(&s->sleepers);
	init_waitqueue_head(&s->poll_wq);
}

static bool rtsync_sem_take(struct rtsync_sem *s)
{
	lockdep_assert_held(&s->sleepers.lock);
	if (!s->count)
		return false;
	s->count--;
	s->taken++;
	return true;
}

/**
 * rtsync_sem_trywait - take a unit if one is available
 * @s: the semaphore
 *
 * Return: 0, -EAGAIN.
 */
int rtsync_sem_trywait(struct rtsync_sem *s)
{
	bool taken;

	spin_lock(&s->sleepers.lock);
	taken = rtsync_sem_take(s);
	spin_unlock(&s->sleepers.lock);
	return taken ? 0 : -EAGAIN;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_sem_trywait);

/**
 * rtsync_sem_wait - take a unit, sleeping while the count is 0
 * @s:        the semaphore
 * @deadline: absolute deadline, or NULL
 *
 * Return: 0, -ETIMEDOUT, -ERESTARTSYS (signal), -ENOMEM, -EOPNOTSUPP
 * (timed wait in a kernel thread).
 */
int rtsync_sem_wait(struct rtsync_sem *s,
		    const struct rtsync_deadline *deadline)
{
	struct rtsync_timeout *timeout = NULL;
	struct rtsync_contention *stats;
	struct rtsync_waiter w;
	bool timed_out = false;
	bool asleep = false;
	u64 start;
	int ret;

	if (!rtsync_sem_trywait(s))
		return 0;
	if (deadline) {
		timeout = rtsync_timeout_start(deadline);
		if (IS_ERR(timeout))
			return PTR_ERR(timeout);
	}
	stats = rtsync_contention_get(&s->obj);
	start = ktime_get_ns();
	spin_lock(&s->sleepers.lock);
	if (rtsync_sem_take(s)) {
		w.woken = true;
	} else {
		trace_rtsync_sem_wait(&s->obj, s->sleepers.count);
		rtsync_waitq_add(&s->sleepers, &w);
		rtsync_waitq_sleep(&s->sleepers, &w);
		/* A unit handed over by POST counts as taken here. */
		if (w.woken)
			s->taken++;
		asleep = true;
	}
	spin_unlock(&s->sleepers.lock);
	if (timeout)
		timed_out = rtsync_timeout_stop(timeout);
	/* Woken by a post: the unit is ours even if a signal came too. */
	if (w.woken)
		ret = 0;
	else
		ret = timed_out ? -ETIMEDOUT : -EINTR;
	if (asleep) {
		u64 slept = rtsync_contention_wait_done(stats, start, ret,
							w.woken);

		trace_rtsync_sem_woken(&s->obj, slept, ret);
	}
	return ret == -EINTR ? -ERESTARTSYS : ret;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_sem_wait);

/**
 * rtsync_sem_post - add @count units
 * @s:     the semaphore
 * @count: >= 1
 * @prev:  receives the count before the post
 *
 * Return: 0, -EINVAL (@count is 0), -EOVERFLOW (count + @count would pass
 * max; nothing changes).
 */
int rtsync_sem_post(struct rtsync_sem *s, u32 count, u32 *prev)
{
	struct rtsync_wake wake = { 0 };
	u32 woken = 0;

	if (!count)
		return -EINVAL;
	spin_lock(&s->sleepers.lock);
	if (count > s->max - s->count) {
		spin_unlock(&s->sleepers.lock);
		return -EOVERFLOW;
	}
	*prev = s->count;
	s->posts++;
	/* Hand units straight to sleepers, most urgent first. */
	while (woken < count && rtsync_waitq_wake_one(&s->sleepers, &wake))
		woken++;
	s->count += count - woken;
	spin_unlock(&s->sleepers.lock);
	/* Before the wake-ups, so that the trace shows cause before effect. */
	trace_rtsync_sem_post(&s->obj, count, *prev, woken);
	rtsync_wake_run(&wake);
	if (count > woken)
		wake_up_interruptible_poll(&s->poll_wq, EPOLLIN | EPOLLRDNORM);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_sem_post);

static void rtsync_sem_get_info(struct rtsync_sem *s,
				struct rtsync_sem_info *info)
{
	spin_lock(&s->sleepers.lock);
	info->value = s->count;
	info->max = s->max;
	info->waiters = s->sleepers.count;
	spin_unlock(&s->sleepers.lock);
	info->flags = READ_ONCE(s->obj.linked) ? 0 : RTSYNC_SINFO_UNLINKED;
}

/* The semaphore's columns of /proc/rtsync: - - flags value max waiters. */
static void rtsync_sem_show(struct seq_file *sf, struct rtsync_object *obj)
{
	struct rtsync_sem_info info;

	rtsync_sem_get_info(rtsync_to_sem(obj), &info);
	seq_printf(sf, " - - 0x%02x %u %u %u", info.flags, info.value,
		   info.max, info.waiters);
}

/* The counters the semaphore keeps itself (stats.c). */
static void rtsync_sem_stats(struct rtsync_object *obj,
			     struct rtsync_stats *out)
{
	struct rtsync_sem *s = rtsync_to_sem(obj);

	spin_lock(&s->sleepers.lock);
	out->acquisitions = s->taken;
	out->posts = s->posts;
	out->max_sleepers = s->sleepers.max_count;
	spin_unlock(&s->sleepers.lock);
}

static void rtsync_sem_stats_reset(struct rtsync_object *obj)
{
	struct rtsync_sem *s = rtsync_to_sem(obj);

	spin_lock(&s->sleepers.lock);
	s->taken = 0;
	s->posts = 0;
	s->sleepers.max_count = s->sleepers.count;
	spin_unlock(&s->sleepers.lock);
}

/* Readable while the count is above zero. */
static __poll_t rtsync_sem_poll(struct file *file, poll_table *wait)
{
	struct rtsync_sem *s = rtsync_to_sem(file->private_data);

	poll_wait(file, &s->poll_wq, wait);
	return READ_ONCE(s->count) ? EPOLLIN | EPOLLRDNORM : 0;
}

static long rtsync_sem_ioctl_wait(struct rtsync_sem *s, void __user *argp)
{
	struct rtsync_deadline deadline;
	int ret;

	/* NULL: no timeout, as an all-zero struct rtsync_wait_args. */
	if (!argp)
		return rtsync_sem_wait(s, NULL);
	ret = rtsync_wait_args_from_user(argp, &deadline);
	if (ret < 0)
		return ret;
	return rtsync_sem_wait(s, ret ? &deadline : NULL);
}

static long rtsync_sem_ioctl_post(struct rtsync_sem *s, void __user *argp)
{
	struct rtsync_sem_post_args __user *uargs = argp;
	struct rtsync_sem_post_args args;
	int ret;

	if (copy_from_user(&args, uargs, sizeof(args)))
		return -EFAULT;
	/*
	 * Fail on a read-only buffer before posting, not after; writing back
	 * what was read changes nothing when the post then fails.
	 */
	if (put_user(args.prev, &uargs->prev))
		return -EFAULT;
	ret = rtsync_sem_post(s, args.count, &args.prev);
	if (ret)
		return ret;
	/* Posted already: only a concurrent munmap() can make this fail. */
	if (put_user(args.prev, &uargs->prev))
		return -EFAULT;
	return 0;
}

static int rtsync_sem_fill_info(struct rtsync_object *obj, void *data)
{
	struct rtsync_sem_info *info = data;

	if (info->pad)
		return -EINVAL;
	rtsync_sem_get_info(rtsync_to_sem(obj), info);
	return 0;
}

/* Out of line: its buffer is not zeroed on the stack of every call. */
static noinline long rtsync_sem_ioctl_info(struct rtsync_object *obj,
					   void __user *argp)
{
	struct rtsync_sem_info info;

	return rtsync_object_ioctl_info(obj, argp, &info, sizeof(info),
					rtsync_sem_fill_info);
}

static long rtsync_sem_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct rtsync_object *obj = file->private_data;
	void __user *argp = (void __user *)arg;
	struct rtsync_sem *s = rtsync_to_sem(obj);

	switch (cmd) {
	case RTSYNC_IOC_SEM_WAIT:
		return rtsync_sem_ioctl_wait(s, argp);
	case RTSYNC_IOC_SEM_TRYWAIT:
		return rtsync_sem_trywait(s);
	case RTSYNC_IOC_SEM_POST:
		return rtsync_sem_ioctl_post(s, argp);
	case RTSYNC_IOC_SEM_INFO:
		return rtsync_sem_ioctl_info(obj, argp);
	default:
		return rtsync_object_ioctl(obj, cmd, argp);
	}
}

static const struct file_operations rtsync_sem_fops = {
	.owner		= THIS_MODULE,
	.release	= rtsync_object_file_release,
	.unlocked_ioctl	= rtsync_sem_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= rtsync_sem_poll,
};

static const unsigned int rtsync_sem_ioctls[] = {
	RTSYNC_IOC_SEM_WAIT, RTSYNC_IOC_SEM_TRYWAIT, RTSYNC_IOC_SEM_POST,
	RTSYNC_IOC_SEM_INFO,
};

const struct rtsync_type rtsync_sem_type = {
	.name		= "sem",
	.file_name	= "[rtsync_sem]",
	.fops		= &rtsync_sem_fops,
	.size		= sizeof(struct rtsync_sem),
	.ioctls		= rtsync_sem_ioctls,
	.nr_ioctls	= ARRAY_SIZE(rtsync_sem_ioctls),
	.check_create	= rtsync_sem_check_create,
	.init		= rtsync_sem_init,
	.show		= rtsync_sem_show,
	.stats		= rtsync_sem_stats,
	.stats_reset	= rtsync_sem_stats_reset,
};
EXPORT_SYMBOL_IF_KUNIT(rtsync_sem_type);
