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
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include "rtsync.h"

void rtsync_sem_init(struct rtsync_sem *s, u32 value, u32 max)
{
	spin_lock_init(&s->lock);
	s->count = value;
	s->max = max;
	rtsync_waitq_init(&s->sleepers);
	init_waitqueue_head(&s->poll_wq);
}

static bool rtsync_sem_take(struct rtsync_sem *s)
{
	lockdep_assert_held(&s->lock);
	if (!s->count)
		return false;
	s->count--;
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

	spin_lock(&s->lock);
	taken = rtsync_sem_take(s);
	spin_unlock(&s->lock);
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
	struct rtsync_waiter w;
	bool timed_out = false;

	if (!rtsync_sem_trywait(s))
		return 0;
	if (deadline) {
		timeout = rtsync_timeout_start(deadline);
		if (IS_ERR(timeout))
			return PTR_ERR(timeout);
	}
	spin_lock(&s->lock);
	if (rtsync_sem_take(s)) {
		w.woken = true;
	} else {
		rtsync_waitq_add(&s->sleepers, &w);
		rtsync_waitq_sleep(&s->sleepers, &w, &s->lock);
	}
	spin_unlock(&s->lock);
	if (timeout)
		timed_out = rtsync_timeout_stop(timeout);
	/* Woken by a post: the unit is ours even if a signal came too. */
	if (w.woken)
		return 0;
	return timed_out ? -ETIMEDOUT : -ERESTARTSYS;
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

	if (!count)
		return -EINVAL;
	spin_lock(&s->lock);
	if (count > s->max - s->count) {
		spin_unlock(&s->lock);
		return -EOVERFLOW;
	}
	*prev = s->count;
	/* Hand units straight to sleepers, most urgent first. */
	while (count && rtsync_waitq_wake_one(&s->sleepers, &wake))
		count--;
	s->count += count;
	spin_unlock(&s->lock);
	rtsync_wake_run(&wake);
	if (count)
		wake_up_interruptible_poll(&s->poll_wq, EPOLLIN | EPOLLRDNORM);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_sem_post);

void rtsync_sem_get_info(struct rtsync_sem *s, struct rtsync_sem_info *info)
{
	struct rtsync_object *obj = rtsync_sem_object(s);

	spin_lock(&s->lock);
	info->value = s->count;
	info->max = s->max;
	info->waiters = s->sleepers.count;
	spin_unlock(&s->lock);
	info->flags = READ_ONCE(obj->linked) ? 0 : RTSYNC_SINFO_UNLINKED;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_sem_get_info);

__poll_t rtsync_sem_poll(struct rtsync_sem *s, struct file *file,
			 poll_table *wait)
{
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
	/* Fail on a read-only buffer before posting, not after. */
	if (put_user(0, &uargs->prev))
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
	rtsync_sem_get_info(&obj->sem, info);
	return 0;
}

/* Out of line: its buffer is not zeroed on the stack of every call. */
static noinline long rtsync_sem_ioctl_info(struct rtsync_object *obj,
					   void __user *argp)
{
	struct rtsync_sem_info info;

	return rtsync_ioctl_info(obj, argp, &info, sizeof(info),
				 rtsync_sem_fill_info);
}

long rtsync_sem_ioctl(struct file *file, unsigned int cmd,
		      unsigned long arg)
{
	struct rtsync_object *obj = file->private_data;
	void __user *argp = (void __user *)arg;
	struct rtsync_sem *s = &obj->sem;

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
		return rtsync_obj_ioctl_common(obj, cmd, argp);
	}
}
