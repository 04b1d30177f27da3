// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync statistics: what each object counts, for RTSYNC_IOC_STATS and
 * /proc/rtsync_stats (procfs.c), and the module parameter hold_time.
 *
 * Two kinds of counters, so that the uncontended path pays nothing:
 *  - those counted where the type already holds what protects them: a
 *    mutex's acquisitions and owner deaths, written by its owner alone; a
 *    semaphore's units taken and posts, a condition's signals and the
 *    most sleepers of a wait queue, under the wait queue's lock. They live
 *    in the type's structure, and each type reports them (struct
 *    rtsync_type's @stats).
 *  - those of the contended path (struct rtsync_contention): sleeps, the
 *    time slept, timeouts and EDEADLKs. Many threads update them at once,
 *    so they are atomics, in a block allocated at the object's first
 *    contention: an object never contended costs no memory for them, and
 *    the allocation is made by a thread about to sleep anyway. If it
 *    fails, that wait is not counted (the wait itself goes on).
 *
 * Hold times cost two clock reads per hold on the uncontended path, so
 * they are measured only while the module parameter hold_time is on (a
 * static key, rtsync_hold_work_key, shared with the trace events of each
 * hold: off, LOCK and UNLOCK each pass one no-op instruction).
 *
 * Readers see each counter as it is at that moment; a snapshot is not
 * atomic across counters, and a reset races with concurrent updates (an
 * update may survive it). Counters wrap.
 */
#include <linux/capability.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include "rtsync.h"

/* The hold_time parameter; read out of line only (rtsync_hold_work_key). */
bool rtsync_hold_time;

/*
 * On while anything wants to see every hold of a mutex: the hold_time
 * parameter, or the mutex acquired or released trace event (a count of
 * them). One key, so that LOCK and UNLOCK test one each: testing the
 * parameter's and the event's keys one after the other cost the
 * uncontended pair a jump (measured).
 */
DEFINE_STATIC_KEY_FALSE(rtsync_hold_work_key);

/* Registration functions of the two trace events (trace.h). */
int rtsync_hold_trace_reg(void)
{
	static_branch_inc(&rtsync_hold_work_key);
	return 0;
}

void rtsync_hold_trace_unreg(void)
{
	static_branch_dec(&rtsync_hold_work_key);
}

/*
 * Parameter writes are serialised by the module's parameter lock. The
 * flag is set before the key lets LOCK look at it, and the key is
 * dropped before the flag is cleared.
 */
static int rtsync_hold_time_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	if (on == READ_ONCE(rtsync_hold_time))
		return 0;
	if (on) {
		WRITE_ONCE(rtsync_hold_time, true);
		static_branch_inc(&rtsync_hold_work_key);
	} else {
		static_branch_dec(&rtsync_hold_work_key);
		WRITE_ONCE(rtsync_hold_time, false);
	}
	return 0;
}

static const struct kernel_param_ops rtsync_hold_time_ops = {
	.set	= rtsync_hold_time_set,
	.get	= param_get_bool,
};
module_param_cb(hold_time, &rtsync_hold_time_ops, &rtsync_hold_time, 0644);
MODULE_PARM_DESC(hold_time,
		 "Measure how long mutexes are held (two clock reads per hold; default N)");

/**
 * rtsync_contention_alloc - make @obj's contention counters
 * @obj: the object; the caller is about to sleep on it (may sleep)
 *
 * For rtsync_contention_get(), the first time.
 * Return: the counters, or NULL if there is no memory for them.
 */
struct rtsync_contention *rtsync_contention_alloc(struct rtsync_object *obj)
{
	struct rtsync_contention *c, *old;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!c)
		return NULL;
	/* Two first waiters: one block wins, the other is dropped. */
	old = cmpxchg(&obj->contention, NULL, c);
	if (old) {
		kfree(c);
		return old;
	}
	return c;
}

/* *max = max(*max, v), lock-free. */
static void rtsync_stat_max(atomic64_t *max, s64 v)
{
	s64 old = atomic64_read(max);

	while (v > old && !atomic64_try_cmpxchg(max, &old, v))
		;
}

/**
 * rtsync_contention_wait_done - count one sleep that ended
 * @c:        the object's counters (NULL: not counted)
 * @start:    ktime_get_ns() when the sleep began
 * @ret:      how it ended (0 or -EOWNERDEAD: got it; -ETIMEDOUT; ...)
 * @acquired: the waiter got what it waited for
 *
 * Return: how long it slept, for the trace events (one clock read).
 */
u64 rtsync_contention_wait_done(struct rtsync_contention *c, u64 start,
				int ret, bool acquired)
{
	u64 slept = ktime_get_ns() - start;

	if (!c)
		return slept;
	if (acquired)
		atomic64_inc(&c->contended);
	atomic64_add(slept, &c->wait_ns);
	rtsync_stat_max(&c->wait_max_ns, slept);
	if (ret == -ETIMEDOUT)
		atomic_inc(&c->timeouts);
	else if (ret == -EDEADLK)
		atomic_inc(&c->deadlocks);
	return slept;
}

/* A LOCK of @obj was refused with EDEADLK before sleeping (may sleep). */
void rtsync_contention_deadlock(struct rtsync_object *obj)
{
	struct rtsync_contention *c = rtsync_contention_get(obj);

	if (c)
		atomic_inc(&c->deadlocks);
}

/*
 * The owner just took @m and hold_time is on: note when. Called from
 * LOCK's and TRYLOCK's paths, which may sleep.
 */
void rtsync_hold_begin(struct rtsync_mutex *m)
{
	struct rtsync_contention *c = rtsync_contention_get(&m->obj);

	rtsync_assert_owner(m);
	if (c) {
		c->hold_seq = m->acquisitions;
		c->hold_start = ktime_get_ns();
	}
}

/*
 * The owner is letting go of @m (maybe in its exit probe: atomic): count
 * the hold if it was timed. Return: how long it was held, 0 if untimed.
 */
u64 rtsync_hold_end(struct rtsync_mutex *m)
{
	struct rtsync_contention *c = READ_ONCE(m->obj.contention);
	u64 held;

	rtsync_assert_owner(m);
	/* Not timed: hold_time was off when this hold began. */
	if (!c || !c->hold_start || c->hold_seq != m->acquisitions)
		return 0;
	held = ktime_get_ns() - c->hold_start;
	c->hold_start = 0;
	rtsync_stat_max(&c->hold_max_ns, held);
	return held;
}

/**
 * rtsync_object_stats - a snapshot of @obj's counters
 * @obj: the object
 * @out: filled in whole
 */
void rtsync_object_stats(struct rtsync_object *obj, struct rtsync_stats *out)
{
	struct rtsync_contention *c = READ_ONCE(obj->contention);

	memset(out, 0, sizeof(*out));
	if (c) {
		out->contended = atomic64_read(&c->contended);
		out->wait_ns = atomic64_read(&c->wait_ns);
		out->wait_max_ns = atomic64_read(&c->wait_max_ns);
		out->hold_max_ns = atomic64_read(&c->hold_max_ns);
		out->timeouts = atomic_read(&c->timeouts);
		out->deadlocks = atomic_read(&c->deadlocks);
	}
	if (READ_ONCE(rtsync_hold_time))
		out->flags |= RTSYNC_STATS_HOLD_TIME;
	obj->type->stats(obj, out);
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_object_stats);

/* Zero @obj's counters; see the top of this file for what races. */
static void rtsync_object_stats_reset(struct rtsync_object *obj)
{
	struct rtsync_contention *c = READ_ONCE(obj->contention);

	if (c) {
		atomic64_set(&c->contended, 0);
		atomic64_set(&c->wait_ns, 0);
		atomic64_set(&c->wait_max_ns, 0);
		atomic64_set(&c->hold_max_ns, 0);
		atomic_set(&c->timeouts, 0);
		atomic_set(&c->deadlocks, 0);
	}
	obj->type->stats_reset(obj);
}

/**
 * rtsync_object_ioctl_stats - STATS and STATS_RESET, on any object
 * @obj:  the object
 * @cmd:  RTSYNC_IOC_STATS or RTSYNC_IOC_STATS_RESET
 * @argp: STATS: where to put the struct rtsync_stats
 *
 * STATS_RESET is for the object's owner or creator and CAP_SYS_ADMIN, as
 * SETPERM is.
 * Return: 0, -EFAULT, -EPERM.
 */
long rtsync_object_ioctl_stats(struct rtsync_object *obj, unsigned int cmd,
			       void __user *argp)
{
	struct rtsync_stats st;
	int ret;

	if (cmd == RTSYNC_IOC_STATS_RESET) {
		ret = rtsync_registry_may_change(obj);
		if (!ret)
			rtsync_object_stats_reset(obj);
		return ret;
	}
	rtsync_object_stats(obj, &st);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}
