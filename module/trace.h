/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtsync's trace events (system "rtsync"): for ftrace and trace-cmd,
 * perf record -e 'rtsync:*' and bpftrace (tracepoint:rtsync:*).
 *
 * Every event names its object by address (obj, hashed as %p prints it)
 * and by name, and the thread it happens in (tid, in the initial PID
 * namespace, as sched events give it). Times are nanoseconds. A disabled
 * event is a static branch that is not taken: its arguments are not even
 * computed. The two events of every hold, mutex acquired and released,
 * share one static key with the hold_time parameter (stats.c: their
 * registration turns it on), so an uncontended LOCK and UNLOCK test one
 * key each and pay for nothing else.
 *
 * Mutexes: contended (a LOCK is about to sleep: the owner and the
 * waiter's priority), acquired (after how long a sleep: 0 when it was
 * free), released (how long it was held, 0 when not measured: the module
 * parameter hold_time), owner_died, deadlock (EDEADLK without sleeping)
 * and timeout. Semaphores: sem_wait (about to sleep), sem_woken (how the
 * sleep ended) and sem_post. Condition variables: cond_wait, cond_woken
 * and cond_signal (SIGNAL and BROADCAST).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rtsync

#if !defined(RTSYNC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define RTSYNC_TRACE_H

#include <linux/tracepoint.h>
#include "rtsync.h"

/*
 * Linux 6.10 dropped __assign_str()'s second argument (the source comes
 * from __string()); Kbuild probes which form the kernel has.
 */
#ifdef RTSYNC_ASSIGN_STR_ONE_ARG
#define rtsync_assign_name(obj)	__assign_str(name)
#else
#define rtsync_assign_name(obj)	__assign_str(name, rtsync_object_name(obj))
#endif

/* rtsync_mutex_deadlock's reason */
#define RTSYNC_DEADLOCK_CYCLE	0	/* sleeping would close a cycle */
#define RTSYNC_DEADLOCK_CHAIN	1	/* the chain would pass max_chain */
#define RTSYNC_DEADLOCK_RELOCK	2	/* the caller holds it already */

DECLARE_EVENT_CLASS(rtsync_sleep,
		    TP_PROTO(struct rtsync_object *obj, u32 count),
		    TP_ARGS(obj, count),
		    TP_STRUCT__entry(__field(const void *, obj)
				     __string(name, rtsync_object_name(obj))
				     __field(pid_t, tid)
				     __field(int, prio)
				     __field(u32, count)),
		    TP_fast_assign(__entry->obj = obj;
				   rtsync_assign_name(obj);
				   __entry->tid = current->pid;
				   __entry->prio = current->prio;
				   __entry->count = count;),
		    TP_printk("obj=%p name=%s tid=%d prio=%d count=%u", __entry->obj,
			      __get_str(name), __entry->tid, __entry->prio, __entry->count));

/* A semaphore WAIT is about to sleep; count: its sleepers before it. */
DEFINE_EVENT(rtsync_sleep, rtsync_sem_wait,
	     TP_PROTO(struct rtsync_object *obj, u32 count),
	     TP_ARGS(obj, count));

/* A COND_WAIT is about to sleep; count: its sleepers before it. */
DEFINE_EVENT(rtsync_sleep, rtsync_cond_wait,
	     TP_PROTO(struct rtsync_object *obj, u32 count),
	     TP_ARGS(obj, count));

DECLARE_EVENT_CLASS(rtsync_wait_end,
		    TP_PROTO(struct rtsync_object *obj, u64 wait_ns, int ret),
		    TP_ARGS(obj, wait_ns, ret),
		    TP_STRUCT__entry(__field(const void *, obj)
				     __string(name, rtsync_object_name(obj))
				     __field(pid_t, tid)
				     __field(u64, wait_ns)
				     __field(int, ret)),
		    TP_fast_assign(__entry->obj = obj;
				   rtsync_assign_name(obj);
				   __entry->tid = current->pid;
				   __entry->wait_ns = wait_ns;
				   __entry->ret = ret;),
		    TP_printk("obj=%p name=%s tid=%d wait_ns=%llu ret=%d", __entry->obj,
			      __get_str(name), __entry->tid, __entry->wait_ns,
			      __entry->ret));

/*
 * A mutex was taken (ret 0 or -EOWNERDEAD) after sleeping wait_ns (0: it
 * was free).
 */
DEFINE_EVENT_FN(rtsync_wait_end, rtsync_mutex_acquired,
		TP_PROTO(struct rtsync_object *obj, u64 wait_ns, int ret),
		TP_ARGS(obj, wait_ns, ret),
		rtsync_hold_trace_reg, rtsync_hold_trace_unreg);

/* A timed LOCK gave up (ret -ETIMEDOUT) after sleeping wait_ns. */
DEFINE_EVENT(rtsync_wait_end, rtsync_mutex_timeout,
	     TP_PROTO(struct rtsync_object *obj, u64 wait_ns, int ret),
	     TP_ARGS(obj, wait_ns, ret));

/* A semaphore WAIT that slept ended: 0 (a unit), -ETIMEDOUT, -EINTR. */
DEFINE_EVENT(rtsync_wait_end, rtsync_sem_woken,
	     TP_PROTO(struct rtsync_object *obj, u64 wait_ns, int ret),
	     TP_ARGS(obj, wait_ns, ret));

/* A COND_WAIT's sleep ended: 0 (woken), -ETIMEDOUT, -EINTR. */
DEFINE_EVENT(rtsync_wait_end, rtsync_cond_woken,
	     TP_PROTO(struct rtsync_object *obj, u64 wait_ns, int ret),
	     TP_ARGS(obj, wait_ns, ret));

/* A LOCK is about to sleep on a mutex @owner holds. */
TRACE_EVENT(rtsync_mutex_contended,
	    TP_PROTO(struct rtsync_object *obj, pid_t owner),
	    TP_ARGS(obj, owner),
	    TP_STRUCT__entry(__field(const void *, obj)
			     __string(name, rtsync_object_name(obj))
			     __field(pid_t, owner)
			     __field(pid_t, tid)
			     __field(int, prio)),
	    TP_fast_assign(__entry->obj = obj;
			   rtsync_assign_name(obj);
			   __entry->owner = owner;
			   __entry->tid = current->pid;
			   __entry->prio = current->prio;),
	    TP_printk("obj=%p name=%s owner=%d tid=%d prio=%d", __entry->obj,
		      __get_str(name), __entry->owner, __entry->tid,
		      __entry->prio));

/* The owner let go (UNLOCK, or its death); hold_ns 0: not measured. */
TRACE_EVENT_FN(rtsync_mutex_released,
	       TP_PROTO(struct rtsync_object *obj, u64 hold_ns),
	       TP_ARGS(obj, hold_ns),
	       TP_STRUCT__entry(__field(const void *, obj)
				__string(name, rtsync_object_name(obj))
				__field(pid_t, tid)
				__field(u64, hold_ns)),
	       TP_fast_assign(__entry->obj = obj;
			      rtsync_assign_name(obj);
			      __entry->tid = current->pid;
			      __entry->hold_ns = hold_ns;),
	       TP_printk("obj=%p name=%s tid=%d hold_ns=%llu", __entry->obj,
			 __get_str(name), __entry->tid, __entry->hold_ns),
	       rtsync_hold_trace_reg, rtsync_hold_trace_unreg);

/* The owner (tid) died or exec'd holding the mutex. */
TRACE_EVENT(rtsync_mutex_owner_died,
	    TP_PROTO(struct rtsync_object *obj),
	    TP_ARGS(obj),
	    TP_STRUCT__entry(__field(const void *, obj)
			     __string(name, rtsync_object_name(obj))
			     __field(pid_t, tid)),
	    TP_fast_assign(__entry->obj = obj;
			   rtsync_assign_name(obj);
			   __entry->tid = current->pid;),
	    TP_printk("obj=%p name=%s tid=%d", __entry->obj, __get_str(name),
		      __entry->tid));

/*
 * A LOCK (or TRYLOCK, or a condition wait's relock) was refused with
 * EDEADLK without sleeping: reason RTSYNC_DEADLOCK_*, chain the waiters
 * the check walked (0 for a relock).
 */
TRACE_EVENT(rtsync_mutex_deadlock,
	    TP_PROTO(struct rtsync_object *obj, unsigned int chain, int reason),
	    TP_ARGS(obj, chain, reason),
	    TP_STRUCT__entry(__field(const void *, obj)
			     __string(name, rtsync_object_name(obj))
			     __field(pid_t, tid)
			     __field(unsigned int, chain)
			     __field(int, reason)),
	    TP_fast_assign(__entry->obj = obj;
			   rtsync_assign_name(obj);
			   __entry->tid = current->pid;
			   __entry->chain = chain;
			   __entry->reason = reason;),
	    TP_printk("obj=%p name=%s tid=%d chain=%u reason=%s", __entry->obj,
		      __get_str(name), __entry->tid, __entry->chain,
		      __print_symbolic(__entry->reason,
				       { RTSYNC_DEADLOCK_CYCLE, "cycle" },
				       { RTSYNC_DEADLOCK_CHAIN, "chain" },
				       { RTSYNC_DEADLOCK_RELOCK, "relock" })));

/*
 * A semaphore POST of count units: prev the count before it, woken the
 * sleepers it handed a unit.
 */
TRACE_EVENT(rtsync_sem_post,
	    TP_PROTO(struct rtsync_object *obj, u32 count, u32 prev, u32 woken),
	    TP_ARGS(obj, count, prev, woken),
	    TP_STRUCT__entry(__field(const void *, obj)
			     __string(name, rtsync_object_name(obj))
			     __field(pid_t, tid)
			     __field(u32, count)
			     __field(u32, prev)
			     __field(u32, woken)),
	    TP_fast_assign(__entry->obj = obj;
			   rtsync_assign_name(obj);
			   __entry->tid = current->pid;
			   __entry->count = count;
			   __entry->prev = prev;
			   __entry->woken = woken;),
	    TP_printk("obj=%p name=%s tid=%d count=%u prev=%u woken=%u",
		      __entry->obj, __get_str(name), __entry->tid, __entry->count,
		      __entry->prev, __entry->woken));

/* A SIGNAL (max 1) or BROADCAST (max 4294967295) woke @woken sleepers. */
TRACE_EVENT(rtsync_cond_signal,
	    TP_PROTO(struct rtsync_object *obj, u32 max, u32 woken),
	    TP_ARGS(obj, max, woken),
	    TP_STRUCT__entry(__field(const void *, obj)
			     __string(name, rtsync_object_name(obj))
			     __field(pid_t, tid)
			     __field(bool, broadcast)
			     __field(u32, woken)),
	    TP_fast_assign(__entry->obj = obj;
			   rtsync_assign_name(obj);
			   __entry->tid = current->pid;
			   __entry->broadcast = max > 1;
			   __entry->woken = woken;),
	    TP_printk("obj=%p name=%s tid=%d broadcast=%d woken=%u", __entry->obj,
		      __get_str(name), __entry->tid, __entry->broadcast,
		      __entry->woken));

#endif /* RTSYNC_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
