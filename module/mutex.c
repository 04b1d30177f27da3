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
 * The owner is the rt_mutex's owner (rtsync_mutex_owner()): no copy of it
 * is kept, so none can disagree with the rt_mutex.
 *
 * Uncontended LOCK: a record lookup, rt_mutex_trylock() and the held-list
 * entry; no lock or atomic operation of rtsync's own. UNLOCK: a comparison
 * with current and rt_mutex_unlock(). Holding takes no reference to the
 * object: LOCK and UNLOCK run through a file, which holds one, and a mutex
 * whose last reference goes while held is freed by its owner's exit or
 * exec probe (rtsync_mutex_orphan()).
 *
 * Owner death: the sched_process_exit tracepoint runs in every exiting
 * thread (preemption disabled, before its files are closed). It costs an
 * atomic read when no thread has a record and one hash lookup otherwise;
 * only a thread that has a record pays more. sched_process_exec treats an
 * exec by a holder as its death, as robust futexes do.
 */
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "rtsync.h"
#include "trace.h"

static_assert(RTSYNC_INFO_HEAD_OK(struct rtsync_mutex_info));

static int rtsync_mutex_check_create(const struct rtsync_open_args *args)
{
	if (args->mutex_flags & ~RTSYNC_MUTEX_RECURSIVE)
		return -EINVAL;
	return args->sem_value || args->sem_max ? -EINVAL : 0;
}

static void rtsync_mutex_init(struct rtsync_object *obj,
			      const struct rtsync_open_args *args)
{
	struct rtsync_mutex *m = rtsync_to_mutex(obj);

	rt_mutex_init(&m->rtm);
	INIT_HLIST_NODE(&m->held_node);
	atomic64_set(&m->chain, 0);
	atomic_set(&m->orphaned, 0);
	m->recursive = args->mutex_flags & RTSYNC_MUTEX_RECURSIVE;
	m->state = RTSYNC_MUTEX_NORMAL;
}

static bool rtsync_mutex_is_owner(struct rtsync_mutex *m)
{
	return rtsync_mutex_owner(m) == current;
}

/*
 * The owner lets go of @m: its hold time, if timed, and the trace event.
 * Out of line, behind one static key (stats.c: rtsync_hold_work_key),
 * so that an UNLOCK with neither on keeps no register for them
 * (measured: inline, the event cost the uncontended pair a stack frame).
 */
static noinline void rtsync_mutex_released(struct rtsync_mutex *m)
{
	u64 held = 0;

	if (READ_ONCE(rtsync_hold_time))
		held = rtsync_hold_end(m);
	trace_rtsync_mutex_released(&m->obj, held);
}

/*
 * Give up m->rtm, which the owner (current, or a dying current in the exit
 * probe) holds. May run with preemption disabled: nothing here sleeps.
 */
static __always_inline void rtsync_mutex_release(struct rtsync_mutex *m)
{
	rtsync_assert_owner(m);
	if (static_branch_unlikely(&rtsync_hold_work_key))
		rtsync_mutex_released(m);
	hlist_del_init(&m->held_node);
	m->recursion = 0;
	mutex_acquire(&m->rtm.dep_map, 0, 1, _THIS_IP_);
	rt_mutex_unlock(&m->rtm);
}

/*
 * The owner has just taken @m: start timing the hold if asked, and the
 * trace event. Out of line, as rtsync_mutex_released().
 */
static noinline void rtsync_mutex_taken(struct rtsync_mutex *m, u64 wait_ns,
					int ret)
{
	if (READ_ONCE(rtsync_hold_time))
		rtsync_hold_begin(m);
	trace_rtsync_mutex_acquired(&m->obj, wait_ns, ret);
}

/*
 * Count an acquisition that stands (@ret 0 or -EOWNERDEAD), after a sleep
 * of @wait_ns (0: none). The owner alone writes @acquisitions: no atomic.
 */
static __always_inline int rtsync_mutex_count(struct rtsync_mutex *m,
					      u64 wait_ns, int ret)
{
	WRITE_ONCE(m->acquisitions, m->acquisitions + 1);
	if (static_branch_unlikely(&rtsync_hold_work_key))
		rtsync_mutex_taken(m, wait_ns, ret);
	return ret;
}

/*
 * current has just taken m->rtm, after sleeping @wait_ns (0: it was free),
 * and is recorded as owner: finish the acquisition and apply the robust
 * state.
 * Return: 0, -EOWNERDEAD (acquired), -ENOTRECOVERABLE (released again).
 */
static __always_inline int rtsync_mutex_acquired(struct rtsync_thread *self,
						 struct rtsync_mutex *m,
						 u64 wait_ns)
{
	rtsync_assert_owner(m);
	rtsync_assert_self(self);
	mutex_release(&m->rtm.dep_map, _THIS_IP_);
	/* Only the thread itself (or its exit probe) touches its list. */
	hlist_add_head(&m->held_node, &self->held);
	m->recursion = 1;

	if (likely(m->state == RTSYNC_MUTEX_NORMAL))
		return rtsync_mutex_count(m, wait_ns, 0);
	switch (m->state) {
	case RTSYNC_MUTEX_NOTRECOVERABLE:
		/* Let the next sleeper see it too. */
		rtsync_mutex_release(m);
		return -ENOTRECOVERABLE;
	case RTSYNC_MUTEX_OWNER_DIED:
		WRITE_ONCE(m->state, RTSYNC_MUTEX_INCONSISTENT);
		return rtsync_mutex_count(m, wait_ns, -EOWNERDEAD);
	default:
		return rtsync_mutex_count(m, wait_ns, 0);
	}
}

/*
 * Why m->rtm could not be taken: the caller holds it already (a recursion,
 * or EDEADLK), it cannot be recovered, or another thread holds it.
 * Return: 1 for another thread, or the result (0 after counting a
 * recursion).
 */
static int rtsync_mutex_busy(struct rtsync_mutex *m)
{
	if (rtsync_mutex_is_owner(m)) {
		if (!m->recursive) {
			rtsync_contention_deadlock(&m->obj);
			trace_rtsync_mutex_deadlock(&m->obj, 0,
						    RTSYNC_DEADLOCK_RELOCK);
			return -EDEADLK;
		}
		if (m->recursion == UINT_MAX)
			return -EAGAIN;
		m->recursion++;
		return 0;
	}
	if (READ_ONCE(m->state) == RTSYNC_MUTEX_NOTRECOVERABLE)
		return -ENOTRECOVERABLE;
	return 1;
}

/*
 * What LOCK and TRYLOCK share: the caller's record, one attempt at m->rtm
 * and, only if that fails, the checks (the owner's relock, a mutex that
 * cannot be recovered; a free one of those is taken and handed back by
 * rtsync_mutex_acquired()). Return: 1 with *selfp set when m->rtm is
 * taken by another thread (LOCK sleeps then, TRYLOCK fails), or the
 * result.
 */
static __always_inline int rtsync_mutex_try(struct rtsync_mutex *m,
					    struct rtsync_thread **selfp)
{
	*selfp = rtsync_thread_current(true);
	if (!*selfp)
		return -ENOMEM;
	if (rt_mutex_trylock(&m->rtm))
		return rtsync_mutex_acquired(*selfp, m, 0);
	return rtsync_mutex_busy(m);
}

/* Inline into the ioctl, as LOCK and UNLOCK are. */
static __always_inline int __rtsync_mutex_trylock(struct rtsync_mutex *m)
{
	struct rtsync_thread *self;
	int ret;

	ret = rtsync_mutex_try(m, &self);
	return ret == 1 ? -EBUSY : ret;
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
	return __rtsync_mutex_trylock(m);
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_mutex_trylock);

/* The contended part of rtsync_mutex_lock_common(): sleep on m->rtm. */
static noinline int rtsync_mutex_lock_slow(struct rtsync_thread *self,
					   struct rtsync_mutex *m,
					   const struct rtsync_deadline *deadline,
					   bool interruptible)
{
	struct rtsync_timeout *timeout = NULL;
	struct rtsync_contention *stats;
	bool timed_out = false;
	u64 start, slept;
	int ret;

	if (deadline) {
		timeout = rtsync_timeout_start(deadline);
		if (IS_ERR(timeout))
			return PTR_ERR(timeout);
	}
	stats = rtsync_contention_get(&m->obj);
	start = ktime_get_ns();
	ret = rtsync_wait_begin(self, m, interruptible ?
				TASK_INTERRUPTIBLE : TASK_KILLABLE);
	if (!ret) {
		if (trace_rtsync_mutex_contended_enabled()) {
			struct task_struct *owner;

			rcu_read_lock();
			owner = rtsync_mutex_owner(m);
			trace_rtsync_mutex_contended(&m->obj,
						     owner ? owner->pid : 0);
			rcu_read_unlock();
		}
		if (interruptible)
			ret = rt_mutex_lock_interruptible(&m->rtm);
		else
			ret = rt_mutex_lock_killable(&m->rtm);
		rtsync_wait_end(self, m);
	}
	if (timeout)
		timed_out = rtsync_timeout_stop(timeout);
	if (ret == -EINTR && timed_out)
		ret = -ETIMEDOUT;
	slept = rtsync_contention_wait_done(stats, start, ret, !ret);
	if (ret == -ETIMEDOUT)
		trace_rtsync_mutex_timeout(&m->obj, slept, ret);
	if (ret == -EINTR)
		return -ERESTARTSYS;
	if (ret)
		return ret;
	/*
	 * A waiter spinning on a running owner sees SIGKILL only once it has
	 * the lock (PREEMPT_RT, preempt=full). It will never get back to user
	 * space, so keeping the lock would report a death to the next owner
	 * (EOWNERDEAD) of a thread that never held it there; give it back.
	 */
	if (fatal_signal_pending(current)) {
		rt_mutex_unlock(&m->rtm);	/* still acquired for lockdep */
		return -ERESTARTSYS;
	}
	return rtsync_mutex_acquired(self, m, slept);
}

/*
 * Take @m, sleeping if needed: interruptibly for LOCK, or only killably to
 * take it back after a condition-variable wait (which must return holding
 * it and so must ignore ordinary signals and the timeout's wake-up).
 * Inline, so that an uncontended LOCK makes no call of rtsync's own.
 */
static __always_inline int
rtsync_mutex_lock_common(struct rtsync_mutex *m,
			 const struct rtsync_deadline *deadline,
			 bool interruptible)
{
	struct rtsync_thread *self;
	int ret;

	ret = rtsync_mutex_try(m, &self);
	if (ret != 1)
		return ret;
	return rtsync_mutex_lock_slow(self, m, deadline, interruptible);
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
	/*
	 * A dying thread never returns to user space: taking the mutex back
	 * would only make its exit look like an owner death to the next
	 * locker (rtsync_mutex_lock_slow() covers a signal that comes while
	 * it sleeps).
	 */
	if (fatal_signal_pending(current))
		return -ERESTARTSYS;
	return rtsync_mutex_lock_common(m, NULL, false);
}

static __always_inline int __rtsync_mutex_unlock(struct rtsync_mutex *m)
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

/**
 * rtsync_mutex_unlock - release one level of @m
 * @m: the mutex
 *
 * Return: 0, -EPERM (caller is not the owner; nothing changes).
 */
int rtsync_mutex_unlock(struct rtsync_mutex *m)
{
	return __rtsync_mutex_unlock(m);
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
 * rtsync_mutex_orphan - the type's release step: the last reference is gone
 * @obj: the mutex's object
 *
 * The lifetime rule (struct rtsync_object): the owner of a held mutex is a
 * user the reference count does not count. No file refers to the object
 * any more, so no LOCK or UNLOCK can run on it; only its owner's exit or
 * exec probe (rtsync_mutex_owner_died()) may still reach it, through the
 * owner's held list. Of the two, whichever sets @orphaned second frees
 * the object. The owner does not give the rt_mutex back once no
 * reference is left, so "held" cannot change under this check.
 *
 * Return: true if the owner's probe will free the object.
 */
static bool rtsync_mutex_orphan(struct rtsync_object *obj)
{
	struct rtsync_mutex *m = rtsync_to_mutex(obj);

	return rtsync_mutex_owner(m) && !atomic_xchg(&m->orphaned, 1);
}

/**
 * rtsync_mutex_owner_died - release a mutex on behalf of its dying owner
 * @m: a mutex the calling thread holds while exiting or exec'ing
 *
 * The next acquirer gets EOWNERDEAD. Runs in the owner thread, from the
 * exit or exec probe, with preemption disabled. Holding a mutex takes no
 * reference to its object, so the probe takes one for the release; if
 * none is left, nobody can lock the mutex again: it is dropped from the
 * held list as it is and freed here or by the release, whichever is last.
 */
static void rtsync_mutex_owner_died(struct rtsync_mutex *m)
{
	struct rtsync_object *obj = &m->obj;

	rtsync_assert_owner(m);
	if (!kref_get_unless_zero(&obj->ref)) {
		hlist_del_init(&m->held_node);
		if (atomic_xchg(&m->orphaned, 1))
			rtsync_object_free_later(obj);
		return;
	}
	if (m->state != RTSYNC_MUTEX_NOTRECOVERABLE)
		WRITE_ONCE(m->state, RTSYNC_MUTEX_OWNER_DIED);
	WRITE_ONCE(m->owner_deaths, m->owner_deaths + 1);
	trace_rtsync_mutex_owner_died(obj);
	rtsync_mutex_release(m);
	rtsync_object_put(obj);
}

/*
 * A snapshot for INFO, with the owner's ids in @ns (0 if not visible
 * there); fields may change as soon as it is taken.
 */
static void rtsync_mutex_get_info(struct rtsync_mutex *m,
				  struct pid_namespace *ns,
				  struct rtsync_mutex_info *info)
{
	struct task_struct *owner;

	rcu_read_lock();
	owner = rtsync_mutex_owner(m);
	if (owner) {
		info->owner_tid = task_pid_nr_ns(owner, ns);
		info->owner_pid = task_tgid_nr_ns(owner, ns);
		info->recursion = READ_ONCE(m->recursion);
	} else {
		info->owner_tid = 0;
		info->owner_pid = 0;
		info->recursion = 0;
	}
	rcu_read_unlock();
	info->waiters = rtsync_mutex_waiters(m);
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
	if (!READ_ONCE(m->obj.linked))
		info->flags |= RTSYNC_MINFO_UNLINKED;
}

/*
 * The mutex's columns of /proc/rtsync: tid pid flags - - waiters. The ids
 * are those of the PID namespace of the proc mount read, as in procfs's
 * own files.
 */
static void rtsync_mutex_show(struct seq_file *sf, struct rtsync_object *obj)
{
	struct rtsync_mutex_info info;

	rtsync_mutex_get_info(rtsync_to_mutex(obj),
			      proc_pid_ns(file_inode(sf->file)->i_sb), &info);
	seq_printf(sf, " %u %u 0x%02x - - %u", info.owner_tid,
		   info.owner_pid, info.flags, info.waiters);
}

/* The counters the mutex keeps itself (stats.c). */
static void rtsync_mutex_stats(struct rtsync_object *obj,
			       struct rtsync_stats *out)
{
	struct rtsync_mutex *m = rtsync_to_mutex(obj);

	out->acquisitions = READ_ONCE(m->acquisitions);
	out->owner_deaths = READ_ONCE(m->owner_deaths);
}

/*
 * A reset may lose to an owner counting at that moment: the counters are
 * its alone (stats.c).
 */
static void rtsync_mutex_stats_reset(struct rtsync_object *obj)
{
	struct rtsync_mutex *m = rtsync_to_mutex(obj);

	WRITE_ONCE(m->acquisitions, 0);
	WRITE_ONCE(m->owner_deaths, 0);
}

/*
 * LOCK with a struct rtsync_wait_args. Out of line, so that the common
 * LOCK without one (a NULL argument: no timeout) keeps no struct on its
 * stack and reads nothing from user space.
 */
static noinline long rtsync_mutex_ioctl_lock_args(struct rtsync_mutex *m,
						  void __user *argp)
{
	struct rtsync_deadline deadline;
	int ret;

	ret = rtsync_wait_args_from_user(argp, &deadline);
	if (ret < 0)
		return ret;
	return rtsync_mutex_lock_common(m, ret ? &deadline : NULL, true);
}

static int rtsync_mutex_fill_info(struct rtsync_object *obj, void *info)
{
	rtsync_mutex_get_info(rtsync_to_mutex(obj), task_active_pid_ns(current),
			      info);
	return 0;
}

/* Out of line: its buffer is not zeroed on the stack of every LOCK. */
static noinline long rtsync_mutex_ioctl_info(struct rtsync_object *obj,
					     void __user *argp)
{
	struct rtsync_mutex_info info;

	return rtsync_object_ioctl_info(obj, argp, &info, sizeof(info),
					rtsync_mutex_fill_info);
}

static long rtsync_mutex_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct rtsync_object *obj = file->private_data;
	void __user *argp = (void __user *)arg;
	struct rtsync_mutex *m = rtsync_to_mutex(obj);

	switch (cmd) {
	case RTSYNC_IOC_MUTEX_LOCK:
		if (argp)
			return rtsync_mutex_ioctl_lock_args(m, argp);
		/* Inline, as UNLOCK: no call of rtsync's own when uncontended. */
		return rtsync_mutex_lock_common(m, NULL, true);
	case RTSYNC_IOC_MUTEX_TRYLOCK:
		return __rtsync_mutex_trylock(m);
	case RTSYNC_IOC_MUTEX_UNLOCK:
		return __rtsync_mutex_unlock(m);
	case RTSYNC_IOC_MUTEX_CONSISTENT:
		return rtsync_mutex_consistent(m);
	case RTSYNC_IOC_MUTEX_INFO:
		return rtsync_mutex_ioctl_info(obj, argp);
	default:
		return rtsync_object_ioctl(obj, cmd, argp);
	}
}

/* Owner death: the exit and exec probes. */

/* Release everything @t holds, on behalf of its dying (or exec'ing) thread. */
static void rtsync_mutex_release_all(struct rtsync_thread *t)
{
	struct rtsync_mutex *m;
	struct hlist_node *tmp;

	rtsync_assert_self(t);
	hlist_for_each_entry_safe(m, tmp, &t->held, held_node)
		rtsync_mutex_owner_died(m);
}

static void rtsync_mutex_exit_probe(struct task_struct *task)
{
	struct rtsync_thread *t = rtsync_thread_of_exiting(task);

	if (!t)
		return;
	rtsync_mutex_release_all(t);
	rtsync_thread_destroy(t);
}

RTSYNC_DEFINE_EXIT_PROBE(rtsync_mutex_exit_probe);

static void rtsync_mutex_exec_probe(void *data, struct task_struct *task,
				    pid_t old_pid, struct linux_binprm *bprm)
{
	struct rtsync_thread *t = rtsync_thread_of_exiting(task);

	if (t)
		rtsync_mutex_release_all(t);
}

static struct tracepoint *rtsync_tp_exit;
static struct tracepoint *rtsync_tp_exec;

static void rtsync_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		rtsync_tp_exit = tp;
	else if (!strcmp(tp->name, "sched_process_exec"))
		rtsync_tp_exec = tp;
}

static int rtsync_mutex_module_init(void)
{
	int ret;

	rtsync_threads_init();
	/* Neither tracepoint is exported by name: look them up. */
	for_each_kernel_tracepoint(rtsync_find_tracepoint, NULL);
	if (!rtsync_tp_exit || !rtsync_tp_exec) {
		pr_err("rtsync: sched_process_exit/exec tracepoints not found\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(rtsync_tp_exit,
					rtsync_mutex_exit_probe_fn, NULL);
	if (ret)
		return ret;
	ret = tracepoint_probe_register(rtsync_tp_exec,
					rtsync_mutex_exec_probe, NULL);
	if (ret) {
		tracepoint_probe_unregister(rtsync_tp_exit,
					    rtsync_mutex_exit_probe_fn, NULL);
		tracepoint_synchronize_unregister();
	}
	return ret;
}

/* Only reached with no mutex left, so nobody holds one. */
static void rtsync_mutex_module_exit(void)
{
	tracepoint_probe_unregister(rtsync_tp_exec, rtsync_mutex_exec_probe,
				    NULL);
	tracepoint_probe_unregister(rtsync_tp_exit, rtsync_mutex_exit_probe_fn,
				    NULL);
	tracepoint_synchronize_unregister();
	rtsync_threads_exit();
}

static const struct file_operations rtsync_mutex_fops = {
	.owner		= THIS_MODULE,
	.release	= rtsync_object_file_release,
	.unlocked_ioctl	= rtsync_mutex_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= rtsync_object_nopoll,
};

static const unsigned int rtsync_mutex_ioctls[] = {
	RTSYNC_IOC_MUTEX_LOCK, RTSYNC_IOC_MUTEX_TRYLOCK, RTSYNC_IOC_MUTEX_UNLOCK,
	RTSYNC_IOC_MUTEX_CONSISTENT, RTSYNC_IOC_MUTEX_INFO,
};

const struct rtsync_type rtsync_mutex_type = {
	.name		= "mutex",
	.file_name	= "[rtsync_mutex]",
	.fops		= &rtsync_mutex_fops,
	.size		= sizeof(struct rtsync_mutex),
	.ioctls		= rtsync_mutex_ioctls,
	.nr_ioctls	= ARRAY_SIZE(rtsync_mutex_ioctls),
	.check_create	= rtsync_mutex_check_create,
	.init		= rtsync_mutex_init,
	.release	= rtsync_mutex_orphan,
	.show		= rtsync_mutex_show,
	.stats		= rtsync_mutex_stats,
	.stats_reset	= rtsync_mutex_stats_reset,
	.module_init	= rtsync_mutex_module_init,
	.module_exit	= rtsync_mutex_module_exit,
};
EXPORT_SYMBOL_IF_KUNIT(rtsync_mutex_type);
