// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync_wait: how a LOCK waits. Before it sleeps, the deadlock detection
 * refuses a wait that would close a cycle of mutex owners (the caller's
 * own mutex, ABBA, longer cycles, two threads closing one at once) and
 * lets a chain without a cycle wait; and a timed wait is refused where its
 * timeout cannot be delivered (a kernel thread). The semaphore and
 * condition-variable timed waits are tested in their own suites.
 */
#include "rtsync_kunit.h"

/* Iterations of the racing deadlock case. */
#define RTSYNC_TEST_RACES	20

static int rtsync_op_lock_timed(struct rtsync_actor *a)
{
	struct rtsync_deadline d = {
		.clockid = CLOCK_MONOTONIC,
		.expires = ktime_add_ms(ktime_get(), 50),
	};

	return rtsync_mutex_lock(a->mutex, &d);
}

static void rtsync_mutex_relock_edeadlk(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");

	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(m, NULL), -EDEADLK);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), -EDEADLK);
	KUNIT_EXPECT_EQ(test, m->recursion, 1U);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(&m->obj), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), -EPERM);
}

/* A holds m1 and waits for m2; B holds m2 and asks for m1: B gets EDEADLK. */
static void rtsync_mutex_deadlock_abba(struct kunit *test)
{
	struct rtsync_mutex *m1 = rtsync_test_mutex(test, "m1");
	struct rtsync_mutex *m2 = rtsync_test_mutex(test, "m2");
	struct rtsync_actor *a = rtsync_actor_new(test);
	struct rtsync_actor *b = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(a, rtsync_op_lock, m1), 0);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(b, rtsync_op_lock, m2), 0);
	rtsync_actor_start_mutex(a, rtsync_op_lock, m2);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m2) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(b, rtsync_op_lock, m1),
			-EDEADLK);
	/* B did not queue on m1; A still waits. */
	KUNIT_EXPECT_EQ(test, rtsync_mutex_waiters(m1), 0);
	KUNIT_EXPECT_FALSE(test, rtsync_actor_finished(a));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(b, rtsync_op_unlock, m2), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a, rtsync_op_unlock, m2), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a, rtsync_op_unlock, m1), 0);
}

/*
 * Both threads close the cycle at the same moment: exactly one of them
 * gets EDEADLK, the other one gets the lock once the first lets go.
 */
static void rtsync_mutex_deadlock_abba_race(struct kunit *test)
{
	struct rtsync_mutex *m1 = rtsync_test_mutex(test, "m1");
	struct rtsync_mutex *m2 = rtsync_test_mutex(test, "m2");
	struct rtsync_actor *a = rtsync_actor_new(test);
	struct rtsync_actor *b = rtsync_actor_new(test);
	struct rtsync_actor *loser, *winner;
	struct rtsync_mutex *loser_holds;
	int i;

	for (i = 0; i < RTSYNC_TEST_RACES; i++) {
		KUNIT_ASSERT_EQ(test, rtsync_actor_call(a, rtsync_op_lock, m1),
				0);
		KUNIT_ASSERT_EQ(test, rtsync_actor_call(b, rtsync_op_lock, m2),
				0);
		rtsync_actor_start_mutex(a, rtsync_op_lock, m2);
		rtsync_actor_start_mutex(b, rtsync_op_lock, m1);
		KUNIT_ASSERT_TRUE_MSG(test,
				      rtsync_poll(rtsync_actor_finished(a) ||
						  rtsync_actor_finished(b),
						  RTSYNC_TEST_TIMEOUT_MS),
				      "round %d: both threads sleep", i);
		/* Give a wrong second EDEADLK the time to show. */
		msleep(RTSYNC_TEST_QUIET_MS / 10);
		KUNIT_ASSERT_FALSE_MSG(test, rtsync_actor_finished(a) &&
				       rtsync_actor_finished(b),
				       "round %d: both returned (%d, %d)", i,
				       a->result, b->result);
		loser = rtsync_actor_finished(a) ? a : b;
		winner = loser == a ? b : a;
		loser_holds = loser == a ? m1 : m2;
		KUNIT_ASSERT_EQ_MSG(test, loser->result, -EDEADLK, "round %d", i);
		KUNIT_ASSERT_EQ(test, rtsync_actor_call(loser, rtsync_op_unlock,
							loser_holds), 0);
		KUNIT_ASSERT_EQ(test, rtsync_actor_result(winner), 0);
		KUNIT_ASSERT_EQ(test, rtsync_actor_call(winner, rtsync_op_unlock,
							m1), 0);
		KUNIT_ASSERT_EQ(test, rtsync_actor_call(winner, rtsync_op_unlock,
							m2), 0);
	}
}

static void rtsync_mutex_deadlock_cycle_of_three(struct kunit *test)
{
	static const char * const tags[] = { "m0", "m1", "m2" };
	struct rtsync_mutex *m[3];
	struct rtsync_actor *a[3];
	int i;

	for (i = 0; i < 3; i++) {
		m[i] = rtsync_test_mutex(test, tags[i]);
		a[i] = rtsync_actor_new(test);
		KUNIT_ASSERT_EQ(test, rtsync_actor_call(a[i], rtsync_op_lock,
							m[i]), 0);
	}
	/* a0 waits for m1 (held by a1), a1 for m2 (held by a2) ... */
	for (i = 0; i < 2; i++) {
		rtsync_actor_start_mutex(a[i], rtsync_op_lock, m[i + 1]);
		KUNIT_ASSERT_TRUE(test,
				  rtsync_poll(rtsync_mutex_waiters(m[i + 1]) == 1,
					      RTSYNC_TEST_TIMEOUT_MS));
	}
	/* ... and a2 asking for m0 would close the cycle. */
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[2], rtsync_op_lock, m[0]),
			-EDEADLK);
	KUNIT_EXPECT_FALSE(test, rtsync_actor_finished(a[0]));
	KUNIT_EXPECT_FALSE(test, rtsync_actor_finished(a[1]));
	/* Unwind: a2 lets m2 go, a1 gets it and lets both go, a0 gets m1. */
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[2], rtsync_op_unlock, m[2]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a[1]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[1], rtsync_op_unlock, m[2]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[1], rtsync_op_unlock, m[1]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a[0]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[0], rtsync_op_unlock, m[1]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[0], rtsync_op_unlock, m[0]), 0);
}

/* Waiting at the end of a chain that does not come back is no deadlock. */
static void rtsync_mutex_chain_without_cycle_waits(struct kunit *test)
{
	struct rtsync_mutex *m1 = rtsync_test_mutex(test, "m1");
	struct rtsync_mutex *m2 = rtsync_test_mutex(test, "m2");
	struct rtsync_actor *a = rtsync_actor_new(test);
	struct rtsync_actor *b = rtsync_actor_new(test);
	struct rtsync_actor *c = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(a, rtsync_op_lock, m1), 0);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(b, rtsync_op_lock, m2), 0);
	rtsync_actor_start_mutex(b, rtsync_op_lock, m1);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m1) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	rtsync_actor_start_mutex(c, rtsync_op_lock, m2);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m2) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_FALSE(test, rtsync_actor_wait(c, RTSYNC_TEST_QUIET_MS));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a, rtsync_op_unlock, m1), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(b), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(b, rtsync_op_unlock, m1), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(b, rtsync_op_unlock, m2), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(c), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(c, rtsync_op_unlock, m2), 0);
}

/*
 * The chain bound: with max_chain 2, a chain of two waiting edges forms,
 * and a third is refused with EDEADLK at once, whether it would come
 * ahead of the chain (a new waiter on its head) or behind it (its running
 * tail waiting for another thread).
 */
static void rtsync_wait_chain_bound(struct kunit *test)
{
	static const char * const tags[] = { "m0", "m1", "m2", "m3" };
	unsigned int old = READ_ONCE(rtsync_max_chain);
	struct rtsync_actor *a[5];
	struct rtsync_mutex *m[4];
	int i;

	for (i = 0; i < 4; i++)
		m[i] = rtsync_test_mutex(test, tags[i]);
	for (i = 0; i < 5; i++)
		a[i] = rtsync_actor_new(test);
	/* a[i] holds m[i] (i < 4); a[2] is the chain's running tail. */
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, rtsync_actor_call(a[i], rtsync_op_lock, m[i]),
				0);
	WRITE_ONCE(rtsync_max_chain, 2);
	rtsync_actor_start_mutex(a[1], rtsync_op_lock, m[2]);
	KUNIT_EXPECT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m[2]) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	rtsync_actor_start_mutex(a[0], rtsync_op_lock, m[1]);
	KUNIT_EXPECT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m[1]) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	/* Ahead: a[4] -> a[0] -> a[1] -> a[2] would be three edges. */
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[4], rtsync_op_lock, m[0]),
			-EDEADLK);
	/* Behind: a[0] -> a[1] -> a[2] -> a[3], three edges too. */
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[2], rtsync_op_lock, m[3]),
			-EDEADLK);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_waiters(m[0]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_waiters(m[3]), 0);
	WRITE_ONCE(rtsync_max_chain, old);
	/* Undo: the tail lets go, each waiter gets its mutex. */
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[2], rtsync_op_unlock, m[2]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a[1]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[1], rtsync_op_unlock, m[2]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[1], rtsync_op_unlock, m[1]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a[0]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[0], rtsync_op_unlock, m[1]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[0], rtsync_op_unlock, m[0]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[3], rtsync_op_unlock, m[3]), 0);
}

/* A timeout needs a return to user space, which a kernel thread lacks. */
static void rtsync_mutex_timed_lock_in_kthread(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *holder = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);

	/* Uncontended: taken without a timer. */
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(holder, rtsync_op_lock_timed, m),
			0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_lock_timed, m),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_waiters(m), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), holder->task);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(holder, rtsync_op_unlock, m), 0);
}

static struct kunit_case rtsync_wait_test_cases[] = {
	KUNIT_CASE(rtsync_mutex_relock_edeadlk),
	KUNIT_CASE(rtsync_mutex_deadlock_abba),
	KUNIT_CASE(rtsync_mutex_deadlock_abba_race),
	KUNIT_CASE(rtsync_mutex_deadlock_cycle_of_three),
	KUNIT_CASE(rtsync_mutex_chain_without_cycle_waits),
	KUNIT_CASE(rtsync_wait_chain_bound),
	KUNIT_CASE(rtsync_mutex_timed_lock_in_kthread),
	{}
};

static struct kunit_suite rtsync_wait_suite = {
	.name = "rtsync_wait",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_wait_test_cases,
};

kunit_test_suite(rtsync_wait_suite);
