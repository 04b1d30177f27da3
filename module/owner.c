// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync owner tracking: the record of each thread that locks mutexes
 * (which it holds, what it waits on; chain.c reads and writes the wait).
 * Below mutex.c and chain.c, which call it; it calls nothing else.
 *
 * A thread that locks an rtsync mutex gets a struct rtsync_thread, found by
 * hashing its task_struct pointer. Only the thread itself adds or removes
 * its record and changes its held list, so neither needs a lock beyond the
 * bucket lock for the hash insert/remove; lookups are RCU. The record is
 * removed when the thread exits (mutex.c's exit probe, after it released
 * what the thread held).
 */
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "rtsync.h"

/* Bucket locks are raw: the exit probe runs with preemption disabled,
 * where a spinlock_t would sleep on PREEMPT_RT.
 */
struct rtsync_thread_bucket rtsync_thread_hash[1 << RTSYNC_THREAD_HASH_BITS];
EXPORT_SYMBOL_IF_KUNIT(rtsync_thread_hash);

/* Records in the hash; lets the exit probe return at once when zero. */
static atomic_t rtsync_nr_threads = ATOMIC_INIT(0);

/**
 * rtsync_thread_create - give the calling thread a record
 *
 * Called by rtsync_thread_current() when it has none. May sleep.
 * Return: the record, or NULL (out of memory).
 */
struct rtsync_thread *rtsync_thread_create(void)
{
	struct rtsync_thread_bucket *b;
	struct rtsync_thread *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	t->task = current;
	b = rtsync_bucket(current);
	raw_spin_lock(&b->lock);
	hlist_add_head_rcu(&t->node, &b->head);
	raw_spin_unlock(&b->lock);
	atomic_inc(&rtsync_nr_threads);
	return t;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_thread_create);

/**
 * rtsync_thread_of_exiting - the record of an exiting or exec'ing thread
 * @task: the thread, in its own exit or exec probe (so the record stays
 *        valid: only the thread removes it)
 *
 * Costs one atomic read in the common case that no thread has a record.
 * Return: the record, or NULL.
 */
struct rtsync_thread *rtsync_thread_of_exiting(struct task_struct *task)
{
	struct rtsync_thread *t;

	if (!atomic_read(&rtsync_nr_threads))
		return NULL;
	rcu_read_lock();
	t = rtsync_thread_find(task);
	rcu_read_unlock();
	return t;
}

/**
 * rtsync_thread_destroy - remove the exiting caller's record
 * @t: its record, whose held list is empty
 *
 * May run with preemption disabled (the exit probe).
 */
void rtsync_thread_destroy(struct rtsync_thread *t)
{
	struct rtsync_thread_bucket *b = rtsync_bucket(t->task);

	rtsync_assert_self(t);
	rtsync_assert(hlist_empty(&t->held));
	raw_spin_lock(&b->lock);
	hlist_del_rcu(&t->node);
	raw_spin_unlock(&b->lock);
	atomic_dec(&rtsync_nr_threads);
	kfree_rcu(t, rcu);
}

void rtsync_threads_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rtsync_thread_hash); i++) {
		raw_spin_lock_init(&rtsync_thread_hash[i].lock);
		INIT_HLIST_HEAD(&rtsync_thread_hash[i].head);
	}
}

/*
 * Only reached with no mutex left and the exit probe unregistered: frees
 * the records of threads that are still alive.
 */
void rtsync_threads_exit(void)
{
	struct rtsync_thread *t;
	struct hlist_node *tmp;
	int i;

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
