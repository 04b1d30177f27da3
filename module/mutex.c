// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync mutex: a robust PI mutex owned by a thread.
 *
 * The kernel's rt_mutex provides the wait queue and priority inheritance
 * (transitive along chains of rtsync mutexes, since each is an rt_mutex).
 * rtsync adds what rt_mutex leaves to its users: an owner check for unlock,
 * EDEADLK for relock and for cycles (owner.c), robust state after an
 * owner's death, recursion, timeouts (timeout.c) and holding the lock
 * across system calls.
 *
 * Lockdep: the rt_mutex stays held when LOCK returns to user space, which
 * lockdep reports unless told. After acquiring, lockdep's record is
 * released ("user space holds it now"); before unlocking it is re-acquired
 * as a trylock, which adds no dependency.
 *
 * Uncontended LOCK: a record lookup, rt_mutex_trylock(), and the owner
 * fields; no lock of rtsync's own. UNLOCK: a comparison with current and
 * rt_mutex_unlock().
 */
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include "rtsync.h"

void rtsync_mutex_init(struct rtsync_mutex *m, u32 flags)
{
	rt_mutex_init(&m->rtm);
	INIT_LIST_HEAD(&m->held_node);
	atomic_set(&m->waiters, 0);
	m->recursive = flags & RTSYNC_MUTEX_RECURSIVE;
	m->state = RTSYNC_MUTEX_NORMAL;
}

static bool rtsync_mutex_is_owner(struct rtsync_mutex *m)
{
	return READ_ONCE(m->owner_task) == current;
}

/*
 * Give up m->rtm, which the owner (current, or a dying current in the exit
 * probe) holds. May run with preemption disabled: nothing here sleeps.
 */
static void rtsync_mutex_release(struct rtsync_mutex *m)
{
	struct rtsync_object *obj = rtsync_mutex_object(m);
	struct rtsync_thread *self = m->owner;

	list_del_init(&m->held_node);
	m->recursion = 0;
	mutex_acquire(&m->rtm.dep_map, 0, 1, _THIS_IP_);
	rt_mutex_unlock(&m->rtm);
	/*
	 * Only now report it free, so that whoever sees no owner (INFO) can
	 * take it at once; a thread that took it in between has already
	 * written itself in, and the compare keeps that.
	 */
	cmpxchg(&m->owner_task, current, NULL);
	cmpxchg(&m->owner, self, NULL);
	/* The reference that pinned the object while it was held. */
	rtsync_object_put(obj);
}

/*
 * current has just taken m->rtm and is recorded as owner: finish the
 * acquisition and apply the robust state.
 * Return: 0, -EOWNERDEAD (acquired), -ENOTRECOVERABLE (released again).
 */
static int rtsync_mutex_acquired(struct rtsync_thread *self,
				 struct rtsync_mutex *m)
{
	mutex_release(&m->rtm.dep_map, _THIS_IP_);
	rtsync_object_get(rtsync_mutex_object(m));
	rtsync_thread_hold(self, m);
	m->recursion = 1;

	switch (m->state) {
	case RTSYNC_MUTEX_NOTRECOVERABLE:
		/* Let the next sleeper see it too. */
		rtsync_mutex_release(m);
		return -ENOTRECOVERABLE;
	case RTSYNC_MUTEX_OWNER_DIED:
		WRITE_ONCE(m->state, RTSYNC_MUTEX_INCONSISTENT);
		return -EOWNERDEAD;
	default:
		return 0;
	}
}

/*
 * What LOCK and TRYLOCK decide before touching the rt_mutex.
 * Return: 1 to go on, or the result (0 after counting a recursion).
 */
static int rtsync_mutex_precheck(struct rtsync_mutex *m)
{
	if (rtsync_mutex_is_owner(m)) {
		if (!m->recursive)
			return -EDEADLK;
		if (m->recursion == UINT_MAX)
			return -EAGAIN;
		m->recursion++;
		return 0;
	}
	if (READ_ONCE(m->state) == RTSYNC_MUTEX_NOTRECOVERABLE)
		return -ENOTRECOVERABLE;
	return 1;
}

/* Take m->rtm without sleeping. Return: 1 if taken. */
static int rtsync_mutex_fastlock(struct rtsync_thread *self,
				 struct rtsync_mutex *m)
{
	if (!rt_mutex_trylock(&m->rtm))
		return 0;
	/* Not blocked on anything, so no cycle can go through us: no
	 * chain lock needed to publish the ownership (see owner.c).
	 */
	WRITE_ONCE(m->owner_task, current);
	WRITE_ONCE(m->owner, self);
	return 1;
}

/**
 * rtsync_mutex_trylock - take @m if it is free
 * @m: the mutex
 *
 * Return: 0, -EBUSY, -EDEADLK, -EAGAIN, -EOWNERDEAD, -ENOTRECOVERABLE,
 * -ENOMEM.
 */
int rtsync_mutex_trylock(struct rtsync_mutex *m)
{
	struct rtsync_thread *self;
	int ret;

	ret = rtsync_mutex_precheck(m);
	if (ret <= 0)
		return ret;
	self = rtsync_thread_current(true);
	if (!self)
		return -ENOMEM;
	if (!rtsync_mutex_fastlock(self, m))
		return -EBUSY;
	return rtsync_mutex_acquired(self, m);
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_mutex_trylock);

/*
 * Take @m, sleeping if needed: interruptibly for LOCK, or only killably to
 * take it back after a condition-variable wait (which must return holding
 * it and so must ignore ordinary signals and the timeout's wake-up).
 */
static int rtsync_mutex_lock_common(struct rtsync_mutex *m,
				    const struct rtsync_deadline *deadline,
				    bool interruptible)
{
	struct rtsync_timeout *timeout = NULL;
	struct rtsync_thread *self;
	bool timed_out = false;
	int ret;

	ret = rtsync_mutex_precheck(m);
	if (ret <= 0)
		return ret;
	self = rtsync_thread_current(true);
	if (!self)
		return -ENOMEM;
	if (rtsync_mutex_fastlock(self, m))
		return rtsync_mutex_acquired(self, m);

	/* Contended. */
	if (deadline) {
		timeout = rtsync_timeout_start(deadline);
		if (IS_ERR(timeout))
			return PTR_ERR(timeout);
	}
	ret = rtsync_thread_block_on(self, m);
	if (!ret) {
		atomic_inc(&m->waiters);
		if (interruptible)
			ret = rt_mutex_lock_interruptible(&m->rtm);
		else
			ret = rt_mutex_lock_killable(&m->rtm);
		atomic_dec(&m->waiters);
		rtsync_thread_unblock(self, ret ? NULL : m);
	}
	if (timeout)
		timed_out = rtsync_timeout_stop(timeout);
	if (ret == -EINTR)
		return timed_out ? -ETIMEDOUT : -ERESTARTSYS;
	if (ret)
		return ret;
	return rtsync_mutex_acquired(self, m);
}

/**
 * rtsync_mutex_lock - take @m, sleeping while another thread holds it
 * @m:        the mutex
 * @deadline: absolute deadline, or NULL to wait as long as it takes
 *
 * Return: 0, -EOWNERDEAD (acquired), -EDEADLK, -EAGAIN, -ENOTRECOVERABLE,
 * -ETIMEDOUT, -ERESTARTSYS (signal), -ENOMEM, -EOPNOTSUPP (timed wait in
 * a kernel thread).
 */
int rtsync_mutex_lock(struct rtsync_mutex *m,
		      const struct rtsync_deadline *deadline)
{
	return rtsync_mutex_lock_common(m, deadline, true);
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_mutex_lock);

/**
 * rtsync_mutex_relock - take @m back after a condition-variable wait
 * @m: the mutex the caller released to wait (rtsync_mutex_check_wait())
 *
 * Only a fatal signal interrupts the sleep.
 * Return: 0, -EOWNERDEAD (acquired), -ENOTRECOVERABLE, -EDEADLK (taking it
 * would close a cycle), -ENOMEM, -ERESTARTSYS (fatal signal).
 */
int rtsync_mutex_relock(struct rtsync_mutex *m)
{
	return rtsync_mutex_lock_common(m, NULL, false);
}

/**
 * rtsync_mutex_unlock - release one level of @m
 * @m: the mutex
 *
 * Return: 0, -EPERM (caller is not the owner; nothing changes).
 */
int rtsync_mutex_unlock(struct rtsync_mutex *m)
{
	if (!rtsync_mutex_is_owner(m))
		return -EPERM;
	if (m->recursion > 1) {
		m->recursion--;
		return 0;
	}
	/* Unlocked without repair: nobody may trust the data again. */
	if (m->state == RTSYNC_MUTEX_INCONSISTENT)
		WRITE_ONCE(m->state, RTSYNC_MUTEX_NOTRECOVERABLE);
	rtsync_mutex_release(m);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_mutex_unlock);

/**
 * rtsync_mutex_check_wait - may the caller release @m to wait on a condition?
 * @m: the mutex
 *
 * Return: 0, -EPERM (caller is not the owner), -EINVAL (held more than
 * once: one unlock would not release it).
 */
int rtsync_mutex_check_wait(struct rtsync_mutex *m)
{
	if (!rtsync_mutex_is_owner(m))
		return -EPERM;
	return m->recursion > 1 ? -EINVAL : 0;
}

/**
 * rtsync_mutex_consistent - mark @m repaired after EOWNERDEAD
 * @m: the mutex
 *
 * Return: 0, -EPERM (not the owner), -EINVAL (not inconsistent).
 */
int rtsync_mutex_consistent(struct rtsync_mutex *m)
{
	if (!rtsync_mutex_is_owner(m))
		return -EPERM;
	if (m->state != RTSYNC_MUTEX_INCONSISTENT)
		return -EINVAL;
	WRITE_ONCE(m->state, RTSYNC_MUTEX_NORMAL);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_mutex_consistent);

/**
 * rtsync_mutex_owner_died - release a mutex on behalf of its dying owner
 * @m: a mutex the calling thread holds while exiting or exec'ing
 *
 * The next acquirer gets EOWNERDEAD. Runs in the owner thread, from the
 * exit or exec probe, with preemption disabled.
 */
void rtsync_mutex_owner_died(struct rtsync_mutex *m)
{
	if (m->state != RTSYNC_MUTEX_NOTRECOVERABLE)
		WRITE_ONCE(m->state, RTSYNC_MUTEX_OWNER_DIED);
	rtsync_mutex_release(m);
}

/* A snapshot for INFO; fields may change as soon as it is taken. */
void rtsync_mutex_get_info(struct rtsync_mutex *m,
			   struct rtsync_mutex_info *info)
{
	struct rtsync_object *obj = rtsync_mutex_object(m);
	struct task_struct *owner;

	rcu_read_lock();
	owner = READ_ONCE(m->owner_task);
	if (owner) {
		info->owner_tid = task_pid_vnr(owner);
		info->owner_pid = task_tgid_vnr(owner);
		info->recursion = READ_ONCE(m->recursion);
	} else {
		info->owner_tid = 0;
		info->owner_pid = 0;
		info->recursion = 0;
	}
	rcu_read_unlock();
	info->waiters = atomic_read(&m->waiters);
	info->flags = 0;
	if (m->recursive)
		info->flags |= RTSYNC_MINFO_RECURSIVE;
	switch (READ_ONCE(m->state)) {
	case RTSYNC_MUTEX_OWNER_DIED:
		info->flags |= RTSYNC_MINFO_OWNER_DIED;
		break;
	case RTSYNC_MUTEX_INCONSISTENT:
		info->flags |= RTSYNC_MINFO_INCONSISTENT;
		break;
	case RTSYNC_MUTEX_NOTRECOVERABLE:
		info->flags |= RTSYNC_MINFO_NOTRECOVERABLE;
		break;
	}
	if (!READ_ONCE(obj->linked))
		info->flags |= RTSYNC_MINFO_UNLINKED;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_mutex_get_info);

static long rtsync_mutex_ioctl_lock(struct rtsync_mutex *m, void __user *argp)
{
	struct rtsync_deadline deadline;
	int ret;

	ret = rtsync_wait_args_from_user(argp, &deadline);
	if (ret < 0)
		return ret;
	return rtsync_mutex_lock(m, ret ? &deadline : NULL);
}

static int rtsync_mutex_fill_info(struct rtsync_object *obj, void *info)
{
	rtsync_mutex_get_info(&obj->mutex, info);
	return 0;
}

long rtsync_mutex_ioctl(struct rtsync_object *obj, unsigned int cmd,
			void __user *argp)
{
	struct rtsync_mutex *m = &obj->mutex;
	struct rtsync_mutex_info info;

	switch (cmd) {
	case RTSYNC_IOC_MUTEX_LOCK:
		return rtsync_mutex_ioctl_lock(m, argp);
	case RTSYNC_IOC_MUTEX_TRYLOCK:
		return rtsync_mutex_trylock(m);
	case RTSYNC_IOC_MUTEX_UNLOCK:
		return rtsync_mutex_unlock(m);
	case RTSYNC_IOC_MUTEX_CONSISTENT:
		return rtsync_mutex_consistent(m);
	case RTSYNC_IOC_MUTEX_INFO:
		return rtsync_ioctl_info(obj, argp, &info, sizeof(info),
					 rtsync_mutex_fill_info);
	default:
		return -ENOTTY;
	}
}
