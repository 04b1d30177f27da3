// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync_pi: priority inheritance. The owner of a mutex runs at the
 * priority of its most urgent waiter, follows it as waiters come and go,
 * and passes it along a chain of mutexes.
 */
#include <linux/sched/prio.h>
#include "rtsync_kunit.h"

static int rtsync_actor_prio(struct rtsync_actor *a)
{
	return READ_ONCE(a->task->prio);
}

/* Wait until @a runs at priority @prio (task->prio: lower is higher). */
static bool rtsync_test_prio_becomes(struct rtsync_actor *a, int prio)
{
	return rtsync_poll(rtsync_actor_prio(a) == prio,
			   RTSYNC_TEST_TIMEOUT_MS);
}

static void rtsync_pi_boosts_owner(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *owner = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);
	int normal = rtsync_actor_prio(owner);

	KUNIT_ASSERT_GE(test, normal, MAX_RT_PRIO);
	rtsync_actor_set_fifo(waiter, 50);
	KUNIT_ASSERT_LT(test, rtsync_actor_prio(waiter), MAX_RT_PRIO);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(owner, rtsync_op_lock, m), 0);
	rtsync_actor_start_mutex(waiter, rtsync_op_lock, m);
	KUNIT_EXPECT_TRUE_MSG(test, rtsync_test_prio_becomes(owner,
							     rtsync_actor_prio(waiter)),
			      "owner prio %d, waiter prio %d",
			      rtsync_actor_prio(owner), rtsync_actor_prio(waiter));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(owner, rtsync_op_unlock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), 0);
	KUNIT_EXPECT_TRUE_MSG(test, rtsync_test_prio_becomes(owner, normal),
			      "owner prio %d after unlock, normal %d",
			      rtsync_actor_prio(owner), normal);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
}

/* The owner runs at the priority of its highest waiter, and no higher. */
static void rtsync_pi_follows_top_waiter(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *owner = rtsync_actor_new(test);
	struct rtsync_actor *low = rtsync_actor_new(test);
	struct rtsync_actor *high = rtsync_actor_new(test);
	int normal = rtsync_actor_prio(owner);

	rtsync_actor_set_fifo(low, 10);
	rtsync_actor_set_fifo(high, 40);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(owner, rtsync_op_lock, m), 0);
	rtsync_actor_start_mutex(low, rtsync_op_lock, m);
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(owner,
							 rtsync_actor_prio(low)));
	rtsync_actor_start_mutex(high, rtsync_op_lock, m);
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(owner,
							 rtsync_actor_prio(high)));
	/* The high waiter gives up: back to the low one's priority. */
	rtsync_actor_interrupt(high);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(high), -ERESTARTSYS);
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(owner,
							 rtsync_actor_prio(low)));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(owner, rtsync_op_unlock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(low), 0);
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(owner, normal));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(low, rtsync_op_unlock, m), 0);
}

/* When the only waiter leaves, the boost ends although the lock is held. */
static void rtsync_pi_ends_when_waiter_leaves(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *owner = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);
	int normal = rtsync_actor_prio(owner);

	rtsync_actor_set_fifo(waiter, 50);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(owner, rtsync_op_lock, m), 0);
	rtsync_actor_start_mutex(waiter, rtsync_op_lock, m);
	KUNIT_ASSERT_TRUE(test, rtsync_test_prio_becomes(owner,
							 rtsync_actor_prio(waiter)));
	rtsync_actor_interrupt(waiter);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), -ERESTARTSYS);
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(owner, normal));
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), owner->task);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(owner, rtsync_op_unlock, m), 0);
}

/* Boosting is transitive along a chain of rtsync mutexes. */
static void rtsync_pi_transitive(struct kunit *test)
{
	struct rtsync_mutex *m1 = rtsync_test_mutex(test, "m1");
	struct rtsync_mutex *m2 = rtsync_test_mutex(test, "m2");
	struct rtsync_actor *first = rtsync_actor_new(test);
	struct rtsync_actor *middle = rtsync_actor_new(test);
	struct rtsync_actor *top = rtsync_actor_new(test);
	int normal = rtsync_actor_prio(first);

	rtsync_actor_set_fifo(top, 60);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(first, rtsync_op_lock, m1), 0);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(middle, rtsync_op_lock, m2), 0);
	rtsync_actor_start_mutex(middle, rtsync_op_lock, m1);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m1) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	rtsync_actor_start_mutex(top, rtsync_op_lock, m2);
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(middle,
							 rtsync_actor_prio(top)));
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(first,
							 rtsync_actor_prio(top)));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(first, rtsync_op_unlock, m1), 0);
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(first, normal));
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(middle), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(middle, rtsync_op_unlock, m1), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(middle, rtsync_op_unlock, m2), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(top), 0);
	KUNIT_EXPECT_TRUE(test, rtsync_test_prio_becomes(middle, normal));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(top, rtsync_op_unlock, m2), 0);
}

static struct kunit_case rtsync_pi_test_cases[] = {
	KUNIT_CASE(rtsync_pi_boosts_owner),
	KUNIT_CASE(rtsync_pi_follows_top_waiter),
	KUNIT_CASE(rtsync_pi_ends_when_waiter_leaves),
	KUNIT_CASE(rtsync_pi_transitive),
	{}
};

static struct kunit_suite rtsync_pi_suite = {
	.name = "rtsync_pi",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_pi_test_cases,
};

kunit_test_suite(rtsync_pi_suite);
