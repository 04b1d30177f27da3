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
 * the second sees the first's record. Owners are the rt_mutexes' owners,
 * which change without the chain lock: a thread that acquires a mutex
 * without sleeping is not blocked on anything, so it cannot be part of a
 * cycle at that moment; a thread that slept on M owns M before it drops
 * its blocked-on entry, and the walk treats "owner blocked on the mutex it
 * owns" as running. Only the contended path takes rtsync_chain_lock.
 */
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include "compat.h"
#include "rtsync.h"

/* Bucket locks are raw: the exit probe runs with preemption disabled,
 * where a spinlock_t would sleep on PREEMPT_RT.
 */
struct rtsync_thread_bucket rtsync_thread_hash[1 << RTSYNC_THREAD_HASH_BITS];
EXPORT_SYMBOL_IF_KUNIT(rtsync_thread_hash);

/* Records in the hash; lets the exit probe return at once when zero. */
static atomic_t rtsync_nr_threads = ATOMIC_INIT(0);

/* Serializes deadlock walks with changes of rtsync_thread.blocked_on. */
static DEFINE_RAW_SPINLOCK(rtsync_chain_lock);

/* rt_mutex's own bound on PI chain walks; a longer chain is refused. */
#define RTSYNC_MAX_CHAIN 1024

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
	struct rtsync_thread *rec;
	struct task_struct *owner;
	int depth, ret = 0;

	raw_spin_lock(&rtsync_chain_lock);
	rcu_read_lock();
	for (depth = 0; next; depth++) {
		owner = rtsync_mutex_owner(next);
		if (!owner)
			break;
		if (owner == current || depth >= RTSYNC_MAX_CHAIN) {
			ret = -EDEADLK;
			break;
		}
		/* Every owner has a record: it made one before locking. */
		rec = rtsync_thread_find(owner);
		/* Woke up owning what it slept on: it is not blocked. */
		if (!rec || rec->blocked_on == next)
			break;
		next = rec->blocked_on;
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
 * @self: the caller's record
 *
 * It now owns that mutex, or gave up (timeout, signal).
 */
void rtsync_thread_unblock(struct rtsync_thread *self)
{
	raw_spin_lock(&rtsync_chain_lock);
	self->blocked_on = NULL;
	raw_spin_unlock(&rtsync_chain_lock);
}

/* Release everything @t holds, on behalf of its dead (or exec'd) thread. */
static void rtsync_thread_release_all(struct rtsync_thread *t)
{
	struct rtsync_mutex *m;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(m, tmp, &t->held, held_node)
		rtsync_mutex_owner_died(m);
}

/*
 * The record of @task, an exiting or exec'ing thread, in its own probe (so
 * it stays valid: only the thread removes it). Costs one atomic read in
 * the common case that no thread has a record.
 */
static struct rtsync_thread *rtsync_probe_record(struct task_struct *task)
{
	struct rtsync_thread *t;

	if (!atomic_read(&rtsync_nr_threads))
		return NULL;
	rcu_read_lock();
	t = rtsync_thread_find(task);
	rcu_read_unlock();
	return t;
}

static void rtsync_exit_probe(struct task_struct *task)
{
	struct rtsync_thread_bucket *b;
	struct rtsync_thread *t;

	t = rtsync_probe_record(task);
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

	t = rtsync_probe_record(task);
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
