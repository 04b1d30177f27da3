// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync wait path: what a thread checks before it sleeps on a mutex.
 *
 * Two things must never reach rt_mutex, whose lock functions WARN and
 * leave the caller asleep for good when their own chain walk meets them:
 * a cycle (EDEADLK is returned instead, as futex does), and a chain of
 * waiters longer than the kernel's max_lock_depth (a chain longer than
 * max_chain is refused with EDEADLK too). Both checks take no lock: a
 * LOCK walks the chain under RCU with preemption enabled, and contended
 * LOCKs on unrelated mutexes touch no common data.
 *
 * Publishing. A thread about to sleep on M first joins M (its waiter count
 * in M's chain word goes up), then publishes "blocked on M" in its record
 * (blocked_on, then gen made odd), then, after a full barrier, walks.
 * Leaving is the reverse: gen made even, then M's count goes down.
 *
 * Cycles. The walk follows M -> owner -> the mutex that owner is blocked
 * on -> ... If it reaches the caller, sleeping would close a cycle. Of the
 * threads of a cycle, the last to publish sees all the others' edges (each
 * publishes, then reads: with the full barrier between, two of them cannot
 * both miss each other), so no cycle can go to sleep unseen. A cycle found
 * is checked again against what the walk read (each thread still in the
 * same wait, gen unchanged, and still owning the mutex before it): only a
 * cycle whose edges all held at one moment is reported, never one
 * assembled from waits that ended while the walk went on. A cycle
 * through a thread that a signal or timeout is taking out of its wait is
 * not reported either: rt_mutex counts that thread as waiting until it has
 * left, so the caller waits for it to leave and walks again. Of threads
 * that close one cycle at the same moment, only one is refused: each
 * record says whether its thread is still checking, and a locker whose
 * cycle holds a checking thread ranked above it (by task_struct address)
 * waits for that check to end and walks again. The highest-ranked one
 * sees nobody to wait for and is refused; if it went to sleep instead (it
 * had walked before the others published), the others find it asleep and
 * the highest-ranked of them is refused. This wait happens only while a
 * deadlock is being closed, and lasts one walk of the other thread.
 *
 * Chain length. Each mutex's chain word also holds "up": a bound on the
 * length of the longest chain of waiters that ends in a waiter of that
 * mutex. A locker's own bound is the largest "up" of the mutexes it holds
 * (read after it published); each step of its walk raises "up" of the
 * mutex it passes to the chain length so far. A chain through the locker
 * longer than max_chain is refused. A thread extending the chain at its
 * tail reads the "up" that walkers from the head raised, unless such a
 * walker, raising first and reading after, saw it publish, and then that
 * walker counts the extension itself: either way somebody refuses. "up"
 * only falls when the mutex's last waiter leaves (to 0), so a chain never
 * regrows past the bound behind a walk that rt_mutex is still making.
 * The price: until then a mutex counts the longest chain that entered it,
 * so a LOCK near the bound may be refused for a chain that just shrank.
 *
 * The model of this protocol, checked by spin, is tests/model/chain.pml.
 */
#include <linux/atomic.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include "rtsync.h"
#include "trace.h"

/*
 * The longest chain of waiters (edges: a thread sleeping on a mutex that
 * another thread holds) that a LOCK may form. rt_mutex walks a chain up
 * to kernel.max_lock_depth steps (1024 by default) and hangs the caller
 * beyond; keep max_chain at most max_lock_depth - 2.
 */
unsigned int rtsync_max_chain = 1000;
module_param_named(max_chain, rtsync_max_chain, uint, 0644);
MODULE_PARM_DESC(max_chain,
		 "Longest chain of mutex waiters a LOCK may form (keep it at most kernel.max_lock_depth - 2)");
EXPORT_SYMBOL_IF_KUNIT(rtsync_max_chain);

/*
 * Bits of rtsync_mutex.chain: "up" in bits 0-15, the published waiters
 * (checking or asleep) in bits 16-39, those asleep (for INFO) from bit 40.
 */
#define RTSYNC_CHAIN_UP_MASK	0xffffULL
#define RTSYNC_CHAIN_WAITER	BIT_ULL(16)
#define RTSYNC_CHAIN_WAITERS	(((1ULL << 24) - 1) << 16)
#define RTSYNC_CHAIN_SLEEPER	BIT_ULL(RTSYNC_CHAIN_SLEEPER_SHIFT)

static unsigned int rtsync_chain_limit(void)
{
	return clamp_t(unsigned int, READ_ONCE(rtsync_max_chain), 1,
		       RTSYNC_CHAIN_UP_MASK);
}

static unsigned int rtsync_chain_up(s64 chain)
{
	return chain & RTSYNC_CHAIN_UP_MASK;
}

/* The caller starts waiting on @m. Fully ordered. */
static void rtsync_chain_join(struct rtsync_mutex *m)
{
	atomic64_add_return(RTSYNC_CHAIN_WAITER, &m->chain);
}

/*
 * The caller stops waiting on @m (@slept: after it went to sleep); the
 * last waiter out resets "up".
 */
static void rtsync_chain_leave(struct rtsync_mutex *m, bool slept)
{
	s64 old = atomic64_read(&m->chain), new;

	do {
		new = old - RTSYNC_CHAIN_WAITER;
		if (slept)
			new -= RTSYNC_CHAIN_SLEEPER;
		if (!(new & RTSYNC_CHAIN_WAITERS))
			new = 0;
	} while (!atomic64_try_cmpxchg(&m->chain, &old, new));
}

/*
 * A chain of @len edges ends in a waiter of @m: raise its "up". False if
 * @m has no waiter any more (the edge the walk followed is gone). Fully
 * ordered either way.
 */
static bool rtsync_chain_raise(struct rtsync_mutex *m, unsigned int len)
{
	s64 old = atomic64_read(&m->chain);

	do {
		if (!(old & RTSYNC_CHAIN_WAITERS)) {
			smp_mb(); /* as a cmpxchg: before the walk's re-read */
			return false;
		}
		if (rtsync_chain_up(old) >= len) {
			smp_mb(); /* as a cmpxchg: before the walk's re-read */
			return true;
		}
	} while (!atomic64_try_cmpxchg(&m->chain, &old,
				       (old & ~RTSYNC_CHAIN_UP_MASK) | len));
	return true;
}

/* The longest chain that ends at the caller: the largest "up" it holds. */
static unsigned int rtsync_chain_up_of(struct rtsync_thread *self)
{
	struct rtsync_mutex *held;
	unsigned int up = 0;

	rtsync_assert_self(self);
	hlist_for_each_entry(held, &self->held, held_node)
		up = max(up, rtsync_chain_up(atomic64_read(&held->chain)));
	return up;
}

/* Publish "@self sleeps on @m" (see the top of this file). */
static void rtsync_wait_publish(struct rtsync_thread *self,
				struct rtsync_mutex *m, unsigned int state)
{
	rtsync_assert_self(self);
	rtsync_chain_join(m);
	WRITE_ONCE(self->blocked_on, m);
	WRITE_ONCE(self->wait_state, state);
	WRITE_ONCE(self->checking, true);
	smp_store_release(&self->gen, self->gen + 1);	/* odd: waiting */
	smp_mb();	/* publish, then read the others' records */
}

/* The walk found no reason not to sleep: the caller is done checking. */
static void rtsync_wait_commit(struct rtsync_thread *self,
			       struct rtsync_mutex *m)
{
	atomic64_add(RTSYNC_CHAIN_SLEEPER, &m->chain);
	smp_store_release(&self->checking, false); /* after the walk's reads */
	/* A locker closing the same cycle may wait for this: rtsync_wait_for(). */
	wake_up_var(self->task);
}

static void rtsync_wait_unpublish(struct rtsync_thread *self,
				  struct rtsync_mutex *m)
{
	bool slept = !self->checking;

	rtsync_assert_self(self);
	smp_store_release(&self->gen, self->gen + 1);	/* even */
	rtsync_chain_leave(m, slept);
	/* A locker may wait for this thread to leave: rtsync_wait_for(). */
	wake_up_var(self->task);
}

/**
 * struct rtsync_link - one step of a walk
 * @task: the owner of the mutex the previous thread (first: the caller)
 *        is blocked on.
 * @held: that mutex.
 * @gen:  @task's rtsync_thread.gen when the walk read it.
 */
struct rtsync_link {
	struct task_struct *task;
	struct rtsync_mutex *held;
	u32 gen;
};

/**
 * struct rtsync_walk - a walk from the mutex the caller is blocked on
 * @path:        the links walked, as far as @cap allows; @len of them.
 * @cap:         room in @path.
 * @len:         links walked (may exceed @cap: then @path holds the
 *               first @cap).
 * @wait_for:    a thread the caller must wait for (rtsync_path_check()),
 *               with a reference.
 * @wait_gen:    its gen then: the wait ends when that changes...
 * @wait_check:  ...or, if set, when it stops checking.
 */
struct rtsync_walk {
	struct rtsync_link *path;
	unsigned int cap;
	unsigned int len;
	struct task_struct *wait_for;
	u32 wait_gen;
	bool wait_check;
};

enum rtsync_walk_end {
	RTSYNC_WALK_END,	/* reached a running or missing owner */
	RTSYNC_WALK_CYCLE,	/* reached the caller */
	RTSYNC_WALK_LONG,	/* the chain is longer than max_chain */
};

/*
 * Read @task's record: its wait (gen odd) and the mutex it waits on.
 * Return: the mutex, or NULL if @task is not waiting.
 */
static struct rtsync_mutex *rtsync_read_wait(struct rtsync_thread *rec,
					     u32 *gen)
{
	struct rtsync_mutex *m;

	/* Pairs with rtsync_wait_publish()'s release: @blocked_on is set. */
	*gen = smp_load_acquire(&rec->gen);
	if (!(*gen & 1))
		return NULL;
	m = READ_ONCE(rec->blocked_on);
	/* Read @blocked_on before checking @gen again, as a seqcount does. */
	smp_rmb();
	return READ_ONCE(rec->gen) == *gen ? m : NULL;
}

/**
 * enum rtsync_check - what checking a walked path found
 * @RTSYNC_PATH_HOLDS:   every link still holds: it held at one moment.
 * @RTSYNC_PATH_CHANGED: a thread on it ended its wait or changed owner.
 * @RTSYNC_PATH_LEAVING: it holds, but a thread on it is leaving its wait.
 * @RTSYNC_PATH_DEFER:   it holds, and closes a cycle that a thread ranked
 *                       above the caller is also checking: that one is
 *                       refused, the caller waits for its check to end.
 */
enum rtsync_check {
	RTSYNC_PATH_HOLDS,
	RTSYNC_PATH_CHANGED,
	RTSYNC_PATH_LEAVING,
	RTSYNC_PATH_DEFER,
};

/*
 * Read the path again. Each thread was in the same wait (gen) at both
 * reads, and owned its link's mutex during that wait (it cannot release
 * or take one while it waits), so all the links held between the end of
 * the walk and the start of this check. Then, on a path that closes a
 * cycle (@cycle): a thread that a signal or timeout is taking out of its
 * wait (RTSYNC_PATH_LEAVING), else the highest-ranked thread that is still
 * checking the cycle, if it ranks above the caller (RTSYNC_PATH_DEFER):
 * of the threads closing one cycle at once, only the highest-ranked gets
 * EDEADLK (rank: task_struct address). Sets w->wait_for for those two.
 * Called in the walk's RCU read-side section, so every task and mutex the
 * walk met is still there.
 */
static enum rtsync_check rtsync_path_check(struct rtsync_walk *w, bool cycle)
{
	struct task_struct *leaving = NULL, *above = NULL;
	const struct rtsync_link *l;
	struct rtsync_thread *rec;
	u32 leaving_gen = 0, above_gen = 0;
	bool is_leaving, is_checking;
	unsigned int i;

	for (i = 0; i < w->len; i++) {
		l = &w->path[i];
		rec = rtsync_thread_find(l->task);
		if (!rec)
			return RTSYNC_PATH_CHANGED;
		/*
		 * First the wait's leaving and checking state, then its gen:
		 * a thread clears its pending signal only after it has left
		 * (gen changed, then a fully ordered cmpxchg in
		 * rtsync_chain_leave()), so a signal found gone here means
		 * the gen read next has changed. Read the other way round,
		 * a thread could leave and handle its signal between the two
		 * reads, and its wait would pass for one that stays.
		 */
		is_leaving = signal_pending_state(READ_ONCE(rec->wait_state),
						  l->task);
		is_checking = READ_ONCE(rec->checking);
		smp_rmb();	/* pairs with the leaver's full barrier */
		if (READ_ONCE(rec->gen) != l->gen ||
		    rtsync_mutex_owner(l->held) != l->task)
			return RTSYNC_PATH_CHANGED;
		if (!cycle)
			continue;
		if (!leaving && is_leaving) {
			leaving = l->task;
			leaving_gen = l->gen;
		}
		if (is_checking &&
		    (unsigned long)l->task > (unsigned long)(above ?: current)) {
			above = l->task;
			above_gen = l->gen;
		}
	}
	/* They wait, in the kernel: they cannot be gone. */
	if (leaving) {
		w->wait_for = get_task_struct(leaving);
		w->wait_gen = leaving_gen;
		w->wait_check = false;
		return RTSYNC_PATH_LEAVING;
	}
	if (above) {
		w->wait_for = get_task_struct(above);
		w->wait_gen = above_gen;
		w->wait_check = true;
		return RTSYNC_PATH_DEFER;
	}
	return RTSYNC_PATH_HOLDS;
}

/*
 * Walk from @m, on which the caller has published its wait, raising "up"
 * on the way. @up: the longest chain ending at the caller. Unless the walk
 * reached the end of the chain, *check says whether the path it walked
 * holds (RTSYNC_PATH_CHANGED if it was too long to keep).
 */
static enum rtsync_walk_end rtsync_walk(struct rtsync_mutex *m,
					unsigned int up, struct rtsync_walk *w,
					enum rtsync_check *check)
{
	unsigned int len = up + 1, limit = rtsync_chain_limit();
	struct rtsync_mutex *cur = m, *next;
	enum rtsync_walk_end end = RTSYNC_WALK_END;
	struct task_struct *owner;
	struct rtsync_thread *rec;
	u32 gen;

	w->len = 0;
	*check = RTSYNC_PATH_HOLDS;
	if (len > limit)
		return RTSYNC_WALK_LONG;
	rtsync_chain_raise(m, len);	/* the caller joined: it has a waiter */
	rcu_read_lock();
	for (;;) {
		owner = rtsync_mutex_owner(cur);
		if (!owner)
			break;
		if (owner == current) {
			end = RTSYNC_WALK_CYCLE;
			break;
		}
		/* Every owner has a record: it made one before locking. */
		rec = rtsync_thread_find(owner);
		next = rec ? rtsync_read_wait(rec, &gen) : NULL;
		if (!next)
			break;		/* not waiting: the chain ends here */
		if (rtsync_mutex_owner(cur) != owner)
			continue;	/* it was handed on: look again */
		/* Woken owning what it waited for, not unpublished yet. */
		if (rtsync_mutex_owner(next) == owner)
			break;
		if (len + 1 > limit) {
			end = RTSYNC_WALK_LONG;
			break;
		}
		/*
		 * Raise, then look again (see the top of this file). If its
		 * wait changed meanwhile, read it again: it may wait on
		 * another mutex now, and may not have seen this walk's raise.
		 */
		if (!rtsync_chain_raise(next, len + 1) ||
		    READ_ONCE(rec->gen) != gen)
			continue;
		if (w->len < w->cap)
			w->path[w->len] = (struct rtsync_link){
				.task = owner, .held = cur, .gen = gen };
		w->len++;
		len++;
		cur = next;
	}
	if (end != RTSYNC_WALK_END)
		*check = w->len > w->cap ? RTSYNC_PATH_CHANGED :
			 rtsync_path_check(w, end == RTSYNC_WALK_CYCLE);
	rcu_read_unlock();
	return end;
}

/* Has w->wait_for ended the wait (or the check) it was in? */
static bool rtsync_wait_for_done(const struct rtsync_walk *w)
{
	struct rtsync_thread *rec;
	bool done;

	/* The reference keeps the task, so the record is its own. */
	rcu_read_lock();
	rec = rtsync_thread_find(w->wait_for);
	/* Pairs with the releases of rtsync_wait_unpublish() and _commit(). */
	done = !rec || smp_load_acquire(&rec->gen) != w->wait_gen;
	if (!done && w->wait_check)
		done = !smp_load_acquire(&rec->checking); /* as above */
	rcu_read_unlock();
	return done;
}

/*
 * Wait, as the caller's LOCK sleeps (interruptibly or killably), for
 * w->wait_for. Return: 0, or -EINTR.
 */
static int rtsync_wait_for(struct rtsync_walk *w, unsigned int state)
{
	int ret;

	if (state == TASK_INTERRUPTIBLE)
		ret = wait_var_event_interruptible(w->wait_for,
						   rtsync_wait_for_done(w));
	else
		ret = wait_var_event_killable(w->wait_for,
					      rtsync_wait_for_done(w));
	put_task_struct(w->wait_for);
	return ret ? -EINTR : 0;
}

/*
 * Does a long path visit a thread twice? Then it ran round a cycle of
 * other threads, which the last of them to publish is about to refuse:
 * not a chain that stays.
 */
static bool rtsync_path_repeats(const struct rtsync_walk *w)
{
	unsigned int i, j;

	for (i = 0; i < w->len; i++)
		for (j = i + 1; j < w->len; j++)
			if (w->path[i].task == w->path[j].task)
				return true;
	return false;
}

/**
 * rtsync_wait_begin - check and publish that the caller will sleep on @m
 * @self:  the caller's record
 * @m:     the mutex it failed to take
 * @state: TASK_INTERRUPTIBLE or TASK_KILLABLE: how it will sleep
 *
 * On 0 the caller is published as waiting on @m and must call
 * rtsync_wait_end() after its rt_mutex wait; otherwise nothing is left
 * published.
 * Return: 0; -EDEADLK if sleeping would close a cycle or form a chain
 * longer than max_chain; -EINTR (signal or timeout while waiting for a
 * leaving thread, or for another thread's check of the same cycle);
 * -ENOMEM.
 */
int rtsync_wait_begin(struct rtsync_thread *self, struct rtsync_mutex *m,
		      unsigned int state)
{
	struct rtsync_link on_stack[8];
	struct rtsync_walk w = { .path = on_stack, .cap = ARRAY_SIZE(on_stack) };
	enum rtsync_walk_end end;
	enum rtsync_check check;
	int ret = 0;

	for (;;) {
		rtsync_wait_publish(self, m, state);
		end = rtsync_walk(m, rtsync_chain_up_of(self), &w, &check);
		if (end == RTSYNC_WALK_END) {
			rtsync_wait_commit(self, m);
			break;		/* published: the caller sleeps */
		}
		rtsync_wait_unpublish(self, m);
		if (end == RTSYNC_WALK_LONG && check == RTSYNC_PATH_HOLDS &&
		    rtsync_path_repeats(&w))
			check = RTSYNC_PATH_CHANGED;
		if (check == RTSYNC_PATH_HOLDS) {
			trace_rtsync_mutex_deadlock(&m->obj, w.len,
						    end == RTSYNC_WALK_LONG ?
						    RTSYNC_DEADLOCK_CHAIN :
						    RTSYNC_DEADLOCK_CYCLE);
			ret = -EDEADLK;
			break;
		}
		if (check == RTSYNC_PATH_LEAVING || check == RTSYNC_PATH_DEFER) {
			ret = rtsync_wait_for(&w, state);
			if (ret)
				break;
		} else if (w.len > w.cap) {
			if (w.path != on_stack)
				kfree(w.path);
			w.cap = rtsync_chain_limit() + 1;
			w.path = kmalloc_array(w.cap, sizeof(*w.path),
					       GFP_KERNEL);
			if (!w.path) {
				ret = -ENOMEM;
				break;
			}
		}
		cond_resched();
	}
	if (w.path != on_stack)
		kfree(w.path);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_wait_begin);

/**
 * rtsync_wait_end - the caller stopped waiting on @m
 * @self: the caller's record
 * @m:    the mutex of its rtsync_wait_begin()
 *
 * It now owns @m, or gave up (timeout, signal).
 */
void rtsync_wait_end(struct rtsync_thread *self, struct rtsync_mutex *m)
{
	rtsync_wait_unpublish(self, m);
}
