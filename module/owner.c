// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync owner tracking: which thread holds which mutexes, what it is
 * blocked on, and releasing a dead owner's mutexes.
 *
 * A thread that locks an rtsync mutex gets a struct rtsync_thread, found by
 * hashing its task_struct pointer. Only the thread itself adds or removes
 * its record and changes its held list, so neither needs a lock beyond the
 * bucket lock for the hash insert/remove; lookups are RCU.
 *
 * Owner death: the sched_process_exit tracepoint runs in every exiting
 * thread (preemption disabled, before its files are closed). It costs an
 * atomic read when no thread has a record and one hash lookup otherwise;
 * only a thread that has a record pays more. sched_process_exec treats an
 * exec by a holder as its death, as robust futexes do.
 *
 * Deadlock detection: before a thread sleeps on mutex M it walks
 * M -> owner -> the mutex that owner is blocked on -> its owner ...; if the
 * walk reaches itself, sleeping would close a cycle and LOCK returns
 * EDEADLK. The walk and the write of "I am blocked on M" happen under
 * rtsync_chain_lock, so of two threads closing one cycle at the same moment
 * the second sees the first's record. A thread that acquires a mutex
 * without sleeping is not blocked on anything, so it cannot be part of a
 * cycle at that moment and the fast path needs no chain lock; a thread that
 * slept records its ownership and drops its blocked-on entry in one step
 * under the lock. Only the contended path takes rtsync_chain_lock.
 */
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include "compat.h"
#include "rtsync.h"

/**
 * struct rtsync_thread - rtsync's record of one thread
 * @task:       the thread; the hash key.
 * @node:       entry in its rtsync_thread_hash bucket (RCU).
 * @held:       rtsync_mutex.held_node of every mutex it holds. Only the
 *              thread itself (or its exit/exec probe) touches this list.
 * @blocked_on: the mutex it sleeps on in LOCK, or NULL. rtsync_chain_lock.
 * @rcu:        the record is freed after a grace period: deadlock walks
 *              may still be reading it.
 */
struct rtsync_thread {
	struct task_struct *task;
	struct hlist_node node;
	struct list_head held;
	struct rtsync_mutex *blocked_on;
	struct rcu_head rcu;
};

#define RTSYNC_THREAD_HASH_BITS 10

/* Bucket locks are raw: the exit probe runs with preemption disabled,
 * where a spinlock_t would sleep on PREEMPT_RT.
 */
static struct rtsync_thread_bucket {
	raw_spinlock_t lock;
	struct hlist_head head;
} rtsync_thread_hash[1 << RTSYNC_THREAD_HASH_BITS];

/* Records in the hash; lets the exit probe return at once when zero. */
static atomic_t rtsync_nr_threads = ATOMIC_INIT(0);

/* Serializes deadlock walks with changes of rtsync_thread.blocked_on. */
static DEFINE_RAW_SPINLOCK(rtsync_chain_lock);

/* rt_mutex's own bound on PI chain walks; a longer chain is refused. */
#define RTSYNC_MAX_CHAIN 1024

static struct rtsync_thread_bucket *rtsync_bucket(struct task_struct *task)
{
	return &rtsync_thread_hash[hash_ptr(task, RTSYNC_THREAD_HASH_BITS)];
}

static struct rtsync_thread *rtsync_thread_find(struct task_struct *task)
{
	struct rtsync_thread_bucket *b = rtsync_bucket(task);
	struct rtsync_thread *t;

	hlist_for_each_entry_rcu(t, &b->head, node)
		if (t->task == task)
			return t;
	return NULL;
}

/**
 * rtsync_thread_current - the calling thread's record
 * @create: make one if it has none (may sleep)
 *
 * The record stays until the thread exits. Return: the record, or NULL
 * (none and !@create, or out of memory).
 */
struct rtsync_thread *rtsync_thread_current(bool create)
{
	struct rtsync_thread_bucket *b;
	struct rtsync_thread *t;

	rcu_read_lock();
	t = rtsync_thread_find(current);
	rcu_read_unlock();
	/* Only current adds or removes its own record: t stays valid. */
	if (t || !create)
		return t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	t->task = current;
	INIT_LIST_HEAD(&t->held);
	b = rtsync_bucket(current);
	raw_spin_lock(&b->lock);
	hlist_add_head_rcu(&t->node, &b->head);
	raw_spin_unlock(&b->lock);
	atomic_inc(&rtsync_nr_threads);
	return t;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_thread_current);

/* Record that the calling thread now owns @m (it holds m->rtm). */
void rtsync_thread_hold(struct rtsync_thread *self, struct rtsync_mutex *m)
{
	list_add(&m->held_node, &self->held);
}

/**
 * rtsync_thread_block_on - record that the caller is about to sleep on @m
 * @self: the caller's record
 * @m:    the mutex it failed to take
 *
 * Return: 0, or -EDEADLK if sleeping would close a cycle (nothing is
 * recorded then).
 */
int rtsync_thread_block_on(struct rtsync_thread *self, struct rtsync_mutex *m)
{
	struct rtsync_mutex *next = m;
	struct rtsync_thread *owner;
	int depth, ret = 0;

	raw_spin_lock(&rtsync_chain_lock);
	rcu_read_lock();
	for (depth = 0; next; depth++) {
		owner = READ_ONCE(next->owner);
		if (!owner)
			break;
		if (owner == self || depth >= RTSYNC_MAX_CHAIN) {
			ret = -EDEADLK;
			break;
		}
		next = owner->blocked_on;
	}
	rcu_read_unlock();
	if (!ret)
		self->blocked_on = m;
	raw_spin_unlock(&rtsync_chain_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_thread_block_on);

/**
 * rtsync_thread_unblock - the caller stopped sleeping on a mutex
 * @self:     the caller's record
 * @acquired: the mutex it now owns, or NULL (timeout, signal)
 *
 * Ownership is published in the same step, so no walk ever sees the
 * caller both owning a mutex and blocked on it.
 */
void rtsync_thread_unblock(struct rtsync_thread *self,
			   struct rtsync_mutex *acquired)
{
	raw_spin_lock(&rtsync_chain_lock);
	self->blocked_on = NULL;
	if (acquired) {
		WRITE_ONCE(acquired->owner_task, current);
		WRITE_ONCE(acquired->owner, self);
	}
	raw_spin_unlock(&rtsync_chain_lock);
}

/* Release everything @t holds, on behalf of its dead (or exec'd) thread. */
static void rtsync_thread_release_all(struct rtsync_thread *t)
{
	struct rtsync_mutex *m, *tmp;

	list_for_each_entry_safe(m, tmp, &t->held, held_node)
		rtsync_mutex_owner_died(m);
}

static void rtsync_exit_probe(struct task_struct *task)
{
	struct rtsync_thread_bucket *b;
	struct rtsync_thread *t;

	if (!atomic_read(&rtsync_nr_threads))
		return;
	rcu_read_lock();
	t = rtsync_thread_find(task);
	rcu_read_unlock();
	if (!t)
		return;
	rtsync_thread_release_all(t);
	b = rtsync_bucket(task);
	raw_spin_lock(&b->lock);
	hlist_del_rcu(&t->node);
	raw_spin_unlock(&b->lock);
	atomic_dec(&rtsync_nr_threads);
	kfree_rcu(t, rcu);
}

RTSYNC_DEFINE_EXIT_PROBE(rtsync_exit_probe);

static void rtsync_exec_probe(void *data, struct task_struct *task,
			      pid_t old_pid, struct linux_binprm *bprm)
{
	struct rtsync_thread *t;

	if (!atomic_read(&rtsync_nr_threads))
		return;
	rcu_read_lock();
	t = rtsync_thread_find(task);
	rcu_read_unlock();
	if (t)
		rtsync_thread_release_all(t);
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

int rtsync_owner_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(rtsync_thread_hash); i++) {
		raw_spin_lock_init(&rtsync_thread_hash[i].lock);
		INIT_HLIST_HEAD(&rtsync_thread_hash[i].head);
	}
	/* Neither tracepoint is exported by name: look them up. */
	for_each_kernel_tracepoint(rtsync_find_tracepoint, NULL);
	if (!rtsync_tp_exit || !rtsync_tp_exec) {
		pr_err("rtsync: sched_process_exit/exec tracepoints not found\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(rtsync_tp_exit,
					rtsync_exit_probe_fn, NULL);
	if (ret)
		return ret;
	ret = tracepoint_probe_register(rtsync_tp_exec, rtsync_exec_probe,
					NULL);
	if (ret) {
		tracepoint_probe_unregister(rtsync_tp_exit,
					    rtsync_exit_probe_fn, NULL);
		tracepoint_synchronize_unregister();
	}
	return ret;
}

/* Only reached with no object left, so nobody holds an rtsync mutex. */
void rtsync_owner_exit(void)
{
	struct rtsync_thread *t;
	struct hlist_node *tmp;
	int i;

	tracepoint_probe_unregister(rtsync_tp_exec, rtsync_exec_probe, NULL);
	tracepoint_probe_unregister(rtsync_tp_exit, rtsync_exit_probe_fn, NULL);
	tracepoint_synchronize_unregister();
	/* Records of threads that are still alive. */
	for (i = 0; i < ARRAY_SIZE(rtsync_thread_hash); i++) {
		hlist_for_each_entry_safe(t, tmp, &rtsync_thread_hash[i].head,
					  node) {
			hlist_del(&t->node);
			kfree(t);
		}
	}
	/* kfree_rcu callbacks of exited threads must run before unload. */
	rcu_barrier();
}
