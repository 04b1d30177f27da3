// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync wait queue: sleepers ordered by priority, for semaphores and
 * condition variables (mutexes sleep in their rt_mutex instead).
 *
 * Sleepers are ordered by their effective priority (task->prio, lower is
 * more urgent, so RT above normal) at the time they went to sleep, FIFO
 * within one priority. A waker dequeues the sleeper and marks it woken
 * before waking it, so a sleeper can tell "woken on purpose" from "signal"
 * or "timeout" and no wake-up is ever lost or given twice.
 *
 * The queue's own lock protects it and every rtsync_waiter on it, and the
 * embedding object uses it for the state that decides who sleeps; the
 * callers take it. Waiters live on their sleeper's stack.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include "rtsync.h"

void rtsync_waitq_init(struct rtsync_waitq *q)
{
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->head);
	q->count = 0;
	q->max_count = 0;
}

/* Queue the calling thread behind every waiter of the same or higher
 * priority. Caller holds q->lock.
 */
void rtsync_waitq_add(struct rtsync_waitq *q, struct rtsync_waiter *w)
{
	struct rtsync_waiter *pos;

	lockdep_assert_held(&q->lock);
	w->task = current;
	w->prio = current->prio;
	w->woken = false;
	list_for_each_entry(pos, &q->head, node) {
		if (w->prio < pos->prio) {
			list_add_tail(&w->node, &pos->node);
			goto queued;
		}
	}
	list_add_tail(&w->node, &q->head);
queued:
	q->count++;
	if (q->count > q->max_count)
		q->max_count = q->count;
}

/**
 * rtsync_waitq_wake_one - take the first waiter off the queue
 * @q:     the queue; the caller holds q->lock
 * @batch: collects the thread to wake once the lock is dropped
 *
 * The sleeper can only see that it was woken after taking the lock, so
 * waking it while the waker still holds the lock would have it spin on
 * that lock at once. The thread is therefore woken by rtsync_wake_run()
 * after the unlock; only beyond RTSYNC_WAKE_BATCH threads in one call is
 * it woken here.
 *
 * Return: whether there was a waiter.
 */
bool rtsync_waitq_wake_one(struct rtsync_waitq *q, struct rtsync_wake *batch)
{
	struct rtsync_waiter *w;

	lockdep_assert_held(&q->lock);
	w = list_first_entry_or_null(&q->head, struct rtsync_waiter, node);
	if (!w)
		return false;
	list_del(&w->node);
	q->count--;
	w->woken = true;
	/* @w lives on the sleeper's stack: only its task is kept. */
	if (batch->n < RTSYNC_WAKE_BATCH) {
		get_task_struct(w->task);
		batch->task[batch->n++] = w->task;
	} else {
		wake_up_process(w->task);
	}
	return true;
}

/* Wake what rtsync_waitq_wake_one() collected; call without the lock. */
void rtsync_wake_run(struct rtsync_wake *batch)
{
	unsigned int i;

	for (i = 0; i < batch->n; i++) {
		wake_up_process(batch->task[i]);
		put_task_struct(batch->task[i]);
	}
	batch->n = 0;
}

/**
 * rtsync_waitq_sleep - sleep until woken or a signal is pending
 * @q: the queue @w is on; q->lock is held on entry and on return
 * @w: the caller's waiter, added with rtsync_waitq_add()
 *
 * A pending signal includes the TIF_NOTIFY_SIGNAL of a timeout (timeout.c).
 * On return @w is off the queue; w->woken says whether a waker took it.
 */
void rtsync_waitq_sleep(struct rtsync_waitq *q, struct rtsync_waiter *w)
{
	lockdep_assert_held(&q->lock);
	rtsync_assert(w->task == current);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (w->woken || signal_pending(current))
			break;
		spin_unlock(&q->lock);
		schedule();
		spin_lock(&q->lock);
	}
	__set_current_state(TASK_RUNNING);
	if (!w->woken) {
		list_del(&w->node);
		q->count--;
	}
}
