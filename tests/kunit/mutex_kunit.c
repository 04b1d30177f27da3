// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync_mutex: ownership, recursion, robustness (owner death,
 * EOWNERDEAD, CONSISTENT, NOTRECOVERABLE) and deletion safety of a mutex
 * held when its last reference goes. How LOCK waits (deadlock detection,
 * timed waits) is tested in waitpath_kunit.c.
 */
#include "rtsync_kunit.h"

static int rtsync_op_trylock(struct rtsync_actor *a)
{
	return rtsync_mutex_trylock(a->mutex);
}

static int rtsync_op_consistent(struct rtsync_actor *a)
{
	return rtsync_mutex_consistent(a->mutex);
}

/* Each case runs in a new thread, which has no record before its first lock. */
static void rtsync_mutex_thread_record_on_first_lock(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_thread *self;

	KUNIT_EXPECT_NULL(test, rtsync_thread_current(false));
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	self = rtsync_thread_current(false);
	KUNIT_EXPECT_NOT_NULL(test, self);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), self->task);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	/* The record stays until the thread exits. */
	KUNIT_EXPECT_PTR_EQ(test, rtsync_thread_current(false), self);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_thread_current(true), self);
}

/*
 * Statistics cost an uncontended mutex no memory: its acquisitions are
 * counted in the mutex, the contention block is only made by a waiter.
 */
static void rtsync_mutex_stats_uncontended(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_stats st;
	int i;

	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
		KUNIT_ASSERT_EQ(test, rtsync_mutex_unlock(m), 0);
	}
	KUNIT_ASSERT_EQ(test, rtsync_mutex_trylock(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), -EDEADLK);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_unlock(m), 0);
	rtsync_object_stats(&m->obj, &st);
	KUNIT_EXPECT_EQ(test, st.acquisitions, 4ULL);
	KUNIT_EXPECT_EQ(test, st.contended, 0ULL);
	KUNIT_EXPECT_EQ(test, st.wait_ns, 0ULL);
	/* The refused relock is counted, and that needed the block. */
	KUNIT_EXPECT_EQ(test, st.deadlocks, 1U);
	KUNIT_EXPECT_NOT_NULL(test, READ_ONCE(m->obj.contention));
	m = rtsync_test_mutex(test, "n");
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_NULL(test, READ_ONCE(m->obj.contention));
}

static void rtsync_mutex_lock_sets_owner(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_object *obj = &m->obj;

	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), current);
	KUNIT_EXPECT_EQ(test, m->recursion, 1U);
	KUNIT_EXPECT_EQ(test, (unsigned int)m->state, (unsigned int)RTSYNC_MUTEX_NORMAL);
	/* Holding takes no reference (the caller's and the name's). */
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 2U);
	KUNIT_EXPECT_FALSE(test, hlist_unhashed(&m->held_node));
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_TRUE(test, hlist_unhashed(&m->held_node));
	KUNIT_EXPECT_EQ(test, m->recursion, 0U);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 2U);
	/* And again, through trylock. */
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), current);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
}

static void rtsync_mutex_recursive_counts(struct kunit *test)
{
	struct rtsync_mutex *m =
		rtsync_test_mutex_flags(test, "m", RTSYNC_MUTEX_RECURSIVE);
	struct rtsync_actor *other = rtsync_actor_new(test);

	KUNIT_EXPECT_TRUE(test, m->recursive);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_EQ(test, m->recursion, 3U);
	/* No reference taken, however deep. */
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(&m->obj), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_EQ(test, m->recursion, 1U);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), current);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(other, rtsync_op_trylock, m),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), -EPERM);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(other, rtsync_op_trylock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(other, rtsync_op_unlock, m), 0);
}

static void rtsync_mutex_trylock_ebusy(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *holder = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(holder, rtsync_op_lock, m), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), holder->task);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), -EBUSY);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), holder->task);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(holder, rtsync_op_unlock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
}

static void rtsync_mutex_unlock_by_other_eperm(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *other = rtsync_actor_new(test);

	KUNIT_EXPECT_EQ(test, rtsync_actor_call(other, rtsync_op_unlock, m),
			-EPERM);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(other, rtsync_op_unlock, m),
			-EPERM);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(other, rtsync_op_consistent, m),
			-EPERM);
	/* Nothing changed. */
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), current);
	KUNIT_EXPECT_EQ(test, m->recursion, 1U);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
}

static void rtsync_mutex_consistent_needs_owner_death(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");

	KUNIT_EXPECT_EQ(test, rtsync_mutex_consistent(m), -EPERM);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_consistent(m), -EINVAL);
	KUNIT_EXPECT_EQ(test, (unsigned int)m->state, (unsigned int)RTSYNC_MUTEX_NORMAL);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
}

static void rtsync_mutex_contended_lock_waits(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *holder = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(holder, rtsync_op_lock, m), 0);
	rtsync_actor_start_mutex(waiter, rtsync_op_lock, m);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_FALSE(test, rtsync_actor_wait(waiter,
						   RTSYNC_TEST_QUIET_MS));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(holder, rtsync_op_unlock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), waiter->task);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_waiters(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
}

static void rtsync_mutex_signal_interrupts_lock(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *holder = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(holder, rtsync_op_lock, m), 0);
	rtsync_actor_start_mutex(waiter, rtsync_op_lock, m);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	rtsync_actor_interrupt(waiter);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), -ERESTARTSYS);
	/* Not acquired, not waiting, the owner unchanged. */
	KUNIT_EXPECT_EQ(test, rtsync_mutex_waiters(m), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), holder->task);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(holder, rtsync_op_unlock, m), 0);
	/* The interrupted thread can lock afterwards. */
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_lock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
}

/* Lock in @a, then let @a exit holding it; wait until it is released. */
static void rtsync_test_die_holding(struct kunit *test, struct rtsync_actor *a,
				    struct rtsync_mutex *m)
{
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(a, rtsync_op_lock, m), 0);
	rtsync_actor_stop(a);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(!rtsync_mutex_owner(m),
					    RTSYNC_TEST_TIMEOUT_MS));
}

static void rtsync_mutex_owner_death_eownerdead(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_object *obj = &m->obj;

	rtsync_test_die_holding(test, rtsync_actor_new(test), m);
	KUNIT_EXPECT_EQ(test, (unsigned int)READ_ONCE(m->state),
			(unsigned int)RTSYNC_MUTEX_OWNER_DIED);
	/* Holding took no reference, and the death left none behind. */
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 2U);

	KUNIT_ASSERT_EQ(test, rtsync_mutex_trylock(m), -EOWNERDEAD);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), current);
	KUNIT_EXPECT_EQ(test, (unsigned int)m->state,
			(unsigned int)RTSYNC_MUTEX_INCONSISTENT);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_consistent(m), 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)m->state, (unsigned int)RTSYNC_MUTEX_NORMAL);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	/* Back to normal. */
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 2U);
}

/* A thread already asleep in LOCK gets EOWNERDEAD when the owner dies. */
static void rtsync_mutex_owner_death_wakes_waiter(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *owner = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(owner, rtsync_op_lock, m), 0);
	rtsync_actor_start_mutex(waiter, rtsync_op_lock, m);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	rtsync_actor_stop(owner);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), -EOWNERDEAD);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), waiter->task);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_consistent, m),
			0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)READ_ONCE(m->state),
			(unsigned int)RTSYNC_MUTEX_NORMAL);
}

static void rtsync_mutex_owner_death_releases_all(struct kunit *test)
{
	struct rtsync_mutex *m[3] = {
		rtsync_test_mutex(test, "m0"),
		rtsync_test_mutex(test, "m1"),
		rtsync_test_mutex_flags(test, "m2", RTSYNC_MUTEX_RECURSIVE),
	};
	struct rtsync_actor *owner = rtsync_actor_new(test);
	int i;

	for (i = 0; i < ARRAY_SIZE(m); i++)
		KUNIT_ASSERT_EQ(test, rtsync_actor_call(owner, rtsync_op_lock,
							m[i]), 0);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(owner, rtsync_op_lock, m[2]), 0);
	rtsync_actor_stop(owner);
	for (i = 0; i < ARRAY_SIZE(m); i++) {
		KUNIT_EXPECT_TRUE(test, rtsync_poll(!rtsync_mutex_owner(m[i]),
						    RTSYNC_TEST_TIMEOUT_MS));
		KUNIT_EXPECT_EQ(test, (unsigned int)READ_ONCE(m[i]->state),
				(unsigned int)RTSYNC_MUTEX_OWNER_DIED);
		KUNIT_EXPECT_EQ(test, rtsync_test_kref(&m[i]->obj),
				2U);
	}
}

/* Unlocking after EOWNERDEAD without CONSISTENT: unusable for everyone. */
static void rtsync_mutex_unlock_inconsistent_notrecoverable(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *other = rtsync_actor_new(test);

	rtsync_test_die_holding(test, rtsync_actor_new(test), m);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), -EOWNERDEAD);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)READ_ONCE(m->state),
			(unsigned int)RTSYNC_MUTEX_NOTRECOVERABLE);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(m, NULL), -ENOTRECOVERABLE);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), -ENOTRECOVERABLE);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(other, rtsync_op_lock, m),
			-ENOTRECOVERABLE);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(&m->obj), 2U);
}

/* A thread asleep in LOCK sees NOTRECOVERABLE too, and does not keep it. */
static void rtsync_mutex_notrecoverable_reaches_sleepers(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *repairer = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);

	rtsync_test_die_holding(test, rtsync_actor_new(test), m);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(repairer, rtsync_op_lock, m),
			-EOWNERDEAD);
	rtsync_actor_start_mutex(waiter, rtsync_op_lock, m);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(repairer, rtsync_op_unlock, m),
			0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), -ENOTRECOVERABLE);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(&m->obj), 2U);
}

/* A mutex held by a new actor, unlinked: the case's is its last reference. */
static struct rtsync_mutex *rtsync_test_held_unlinked(struct kunit *test,
						      struct rtsync_actor **owner)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");

	*owner = rtsync_actor_new(test);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(*owner, rtsync_op_lock, m), 0);
	KUNIT_ASSERT_EQ(test,
			rtsync_registry_unlink(rtsync_object_name(&m->obj)), 0);
	return m;
}

/*
 * Deletion safety: a mutex held when its last reference goes (unlinked,
 * every fd closed) is not freed; its owner's exit frees it.
 */
static void rtsync_mutex_owner_death_frees_object(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_actor *owner;
	struct rtsync_mutex *m = rtsync_test_held_unlinked(test, &owner);

	rtsync_test_put(test, &m->obj);
	/* Left to the owner: still held, still counted. */
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), owner->task);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->orphaned), 1);
	rtsync_actor_stop(owner);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start);
}

/*
 * The other order: the owner's exit finds no reference left before the
 * release has run (the last put is on its way on another CPU). The exit
 * leaves the object to the release, which frees it when it comes.
 */
static void rtsync_mutex_owner_death_before_release(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_actor *owner;
	struct rtsync_mutex *m = rtsync_test_held_unlinked(test, &owner);
	struct rtsync_object *obj = &m->obj;

	/* The last put, stopped between its decrement and the release. */
	KUNIT_ASSERT_TRUE(test, rtsync_test_forget(test, obj));
	KUNIT_ASSERT_TRUE(test, refcount_dec_and_test(&obj->ref.refcount));
	rtsync_actor_stop(owner);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->orphaned), 1);
	/* The rt_mutex is not given back once no reference is left. */
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), owner->task);
	rtsync_object_release(&obj->ref);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start);
}

static struct kunit_case rtsync_mutex_test_cases[] = {
	KUNIT_CASE(rtsync_mutex_thread_record_on_first_lock),
	KUNIT_CASE(rtsync_mutex_lock_sets_owner),
	KUNIT_CASE(rtsync_mutex_stats_uncontended),
	KUNIT_CASE(rtsync_mutex_recursive_counts),
	KUNIT_CASE(rtsync_mutex_trylock_ebusy),
	KUNIT_CASE(rtsync_mutex_unlock_by_other_eperm),
	KUNIT_CASE(rtsync_mutex_consistent_needs_owner_death),
	KUNIT_CASE(rtsync_mutex_contended_lock_waits),
	KUNIT_CASE(rtsync_mutex_signal_interrupts_lock),
	KUNIT_CASE(rtsync_mutex_owner_death_eownerdead),
	KUNIT_CASE(rtsync_mutex_owner_death_wakes_waiter),
	KUNIT_CASE(rtsync_mutex_owner_death_releases_all),
	KUNIT_CASE(rtsync_mutex_unlock_inconsistent_notrecoverable),
	KUNIT_CASE(rtsync_mutex_notrecoverable_reaches_sleepers),
	KUNIT_CASE(rtsync_mutex_owner_death_frees_object),
	KUNIT_CASE(rtsync_mutex_owner_death_before_release),
	{}
};

static struct kunit_suite rtsync_mutex_suite = {
	.name = "rtsync_mutex",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_mutex_test_cases,
};

kunit_test_suite(rtsync_mutex_suite);
