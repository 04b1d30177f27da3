// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync_cond: condition variables. Releasing the mutex and going to sleep
 * are atomic with respect to wake-ups, wake order, the mutex held again on
 * return, and one mutex per set of sleepers.
 */
#include "rtsync_kunit.h"

static void rtsync_actor_start_cond(struct rtsync_actor *a, rtsync_actor_op op,
				    struct rtsync_cond *c, struct rtsync_mutex *m)
{
	a->cond = c;
	a->mutex = m;
	rtsync_actor_start(a, op);
}

static int rtsync_op_cond_wait(struct rtsync_actor *a)
{
	return rtsync_cond_wait(a->cond, a->mutex, NULL);
}

static int rtsync_op_cond_wait_timed(struct rtsync_actor *a)
{
	struct rtsync_deadline d = {
		.clockid = CLOCK_MONOTONIC,
		.expires = ktime_add_ms(ktime_get(), 50),
	};

	return rtsync_cond_wait(a->cond, a->mutex, &d);
}

/*
 * Take the mutex as soon as it is free (the waiter's COND_WAIT releasing
 * it), wake one sleeper at once, unlock. Returns how many were woken.
 */
static int rtsync_op_lock_and_wake(struct rtsync_actor *a)
{
	int ret, woken;

	ret = rtsync_mutex_lock(a->mutex, NULL);
	if (ret)
		return ret;
	woken = rtsync_cond_wake(a->cond, 1);
	ret = rtsync_mutex_unlock(a->mutex);
	return ret ?: woken;
}

/* Rounds of each wake-right-after-release race. */
#define RTSYNC_TEST_COND_ROUNDS	100

static struct rtsync_cond *rtsync_test_cond(struct kunit *test,
					    const char *tag)
{
	static const struct rtsync_open_args none;

	return rtsync_to_cond(rtsync_test_create(test, tag, RTSYNC_TYPE_COND, &none));
}

static u32 rtsync_test_cond_sleepers(struct rtsync_cond *c)
{
	u32 n;

	spin_lock(&c->sleepers.lock);
	n = c->sleepers.count;
	spin_unlock(&c->sleepers.lock);
	return n;
}

static struct rtsync_mutex *rtsync_test_cond_mutex(struct rtsync_cond *c)
{
	struct rtsync_mutex *m;

	spin_lock(&c->sleepers.lock);
	m = c->mutex;
	spin_unlock(&c->sleepers.lock);
	return m;
}

/*
 * Lock @m in @a, start a wait on @c there, and return once it is queued
 * as sleeper number @n and has released @m.
 */
static void rtsync_test_cond_queue(struct kunit *test, struct rtsync_actor *a,
				   struct rtsync_cond *c, struct rtsync_mutex *m,
				   u32 n)
{
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(a, rtsync_op_lock, m), 0);
	rtsync_actor_start_cond(a, rtsync_op_cond_wait, c, m);
	KUNIT_ASSERT_TRUE_MSG(test,
			      rtsync_poll(rtsync_test_cond_sleepers(c) == n &&
					  rtsync_mutex_owner(m) != a->task,
					  RTSYNC_TEST_TIMEOUT_MS),
			      "%u sleepers, expected %u", rtsync_test_cond_sleepers(c),
			      n);
}

/* The waiter's return: 0, holding @m once again. */
static void rtsync_test_cond_returned(struct kunit *test,
				      struct rtsync_actor *a,
				      struct rtsync_mutex *m)
{
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), a->task);
	KUNIT_EXPECT_EQ(test, m->recursion, 1U);
}

/* Which of the @n actors in @a owns @m (and has returned), or NULL. */
static struct rtsync_actor **rtsync_test_owner_of(struct rtsync_mutex *m,
						  struct rtsync_actor **a,
						  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (rtsync_mutex_owner(m) == a[i]->task &&
		    rtsync_actor_finished(a[i]))
			return &a[i];
	return NULL;
}

/* Before waiting: -EPERM or -EINVAL, and nothing changes. */
static void rtsync_cond_wait_needs_mutex_once(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_mutex *rec =
		rtsync_test_mutex_flags(test, "rec", RTSYNC_MUTEX_RECURSIVE);
	struct rtsync_actor *holder = rtsync_actor_new(test);

	KUNIT_EXPECT_EQ(test, rtsync_cond_wait(c, m, NULL), -EPERM);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(holder, rtsync_op_lock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_cond_wait(c, m, NULL), -EPERM);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), holder->task);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(rec, NULL), 0);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(rec, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_cond_wait(c, rec, NULL), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(rec), current);
	KUNIT_EXPECT_EQ(test, rec->recursion, 2U);
	KUNIT_EXPECT_EQ(test, rtsync_test_cond_sleepers(c), 0U);
	KUNIT_EXPECT_NULL(test, rtsync_test_cond_mutex(c));
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(rec), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(rec), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(holder, rtsync_op_unlock, m), 0);
}

/* A timeout needs a return to user space: refused, nothing changed. */
static void rtsync_cond_timed_wait_in_kthread(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *a = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(a, rtsync_op_lock, m), 0);
	rtsync_actor_start_cond(a, rtsync_op_cond_wait_timed, c, m);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), -EOPNOTSUPP);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), a->task);
	KUNIT_EXPECT_EQ(test, m->recursion, 1U);
	KUNIT_EXPECT_EQ(test, rtsync_test_cond_sleepers(c), 0U);
	KUNIT_EXPECT_NULL(test, rtsync_test_cond_mutex(c));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a, rtsync_op_unlock, m), 0);
}

/* Asleep without the mutex; woken, it returns 0 holding it again. */
static void rtsync_cond_wake_returns_holding_mutex(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *a = rtsync_actor_new(test);

	rtsync_test_cond_queue(test, a, c, m, 1);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_PTR_EQ(test, rtsync_test_cond_mutex(c), m);
	KUNIT_EXPECT_FALSE(test, rtsync_actor_wait(a, RTSYNC_TEST_QUIET_MS));
	KUNIT_EXPECT_EQ(test, rtsync_cond_wake(c, 1), 1U);
	rtsync_test_cond_returned(test, a, m);
	KUNIT_EXPECT_EQ(test, rtsync_test_cond_sleepers(c), 0U);
	KUNIT_EXPECT_NULL(test, rtsync_test_cond_mutex(c));
	/* Nobody left to wake. */
	KUNIT_EXPECT_EQ(test, rtsync_cond_wake(c, 1), 0U);
	KUNIT_EXPECT_EQ(test, rtsync_cond_wake(c, U32_MAX), 0U);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a, rtsync_op_unlock, m), 0);
}

/* Woken while another thread holds the mutex: it waits for the mutex. */
static void rtsync_cond_woken_waits_for_mutex(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *a = rtsync_actor_new(test);

	rtsync_test_cond_queue(test, a, c, m, 1);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_cond_wake(c, 1), 1U);
	KUNIT_EXPECT_TRUE(test, rtsync_poll(rtsync_mutex_waiters(m) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_FALSE(test, rtsync_actor_wait(a, RTSYNC_TEST_QUIET_MS));
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	rtsync_test_cond_returned(test, a, m);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a, rtsync_op_unlock, m), 0);
}

/* BROADCAST wakes all; they take the mutex back one at a time. */
static void rtsync_cond_broadcast_wakes_all(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *a[3], **owner;
	bool released[ARRAY_SIZE(a)] = { false };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = rtsync_actor_new(test);
		rtsync_test_cond_queue(test, a[i], c, m, i + 1);
	}
	KUNIT_EXPECT_EQ(test, rtsync_cond_wake(c, U32_MAX), 3U);
	KUNIT_EXPECT_EQ(test, rtsync_test_cond_sleepers(c), 0U);
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		/* One of them holds the mutex; the others wait for it. */
		KUNIT_ASSERT_TRUE(test,
				  rtsync_poll((owner = rtsync_test_owner_of(m, a,
									    3)),
					      RTSYNC_TEST_TIMEOUT_MS));
		KUNIT_EXPECT_FALSE(test, released[owner - a]);
		released[owner - a] = true;
		rtsync_test_cond_returned(test, *owner, m);
		KUNIT_EXPECT_EQ(test, rtsync_actor_call(*owner, rtsync_op_unlock,
							m), 0);
	}
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
}

/* SIGNAL wakes the most urgent sleeper, FIFO within a priority. */
static void rtsync_cond_wake_order_by_priority(struct kunit *test)
{
	static const int fifo[] = { 10, 30, 0, 20, 30 };	/* 0: NORMAL */
	static const unsigned int expected[] = { 1, 4, 3, 0, 2 };
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *a[ARRAY_SIZE(fifo)];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = rtsync_actor_new(test);
		if (fifo[i])
			rtsync_actor_set_fifo(a[i], fifo[i]);
		rtsync_test_cond_queue(test, a[i], c, m, i + 1);
	}
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		KUNIT_ASSERT_EQ(test, rtsync_cond_wake(c, 1), 1U);
		rtsync_test_cond_returned(test, a[expected[i]], m);
		for (j = i + 1; j < ARRAY_SIZE(a); j++)
			KUNIT_EXPECT_FALSE_MSG(test,
					       rtsync_actor_finished(a[expected[j]]),
					       "actor %u woke before actor %u",
					       expected[j], expected[i]);
		KUNIT_EXPECT_EQ(test, rtsync_actor_call(a[expected[i]],
							rtsync_op_unlock, m), 0);
	}
}

/*
 * The wake-up comes the moment COND_WAIT releases the mutex: another
 * thread, blocked on the mutex the waiter holds, gets it then and wakes at
 * once. The waiter was queued before the release, so it is always woken,
 * however its release and its sleep interleave with the wake-up.
 */
static void rtsync_cond_wake_right_after_release(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *waiter = rtsync_actor_new(test);
	struct rtsync_actor *waker = rtsync_actor_new(test);
	int i;

	/* The waiter holds the mutex from here on: each wait returns with it. */
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(waiter, rtsync_op_lock, m), 0);
	for (i = 0; i < RTSYNC_TEST_COND_ROUNDS; i++) {
		rtsync_actor_start_cond(waker, rtsync_op_lock_and_wake, c, m);
		KUNIT_ASSERT_TRUE_MSG(test,
				      rtsync_poll(rtsync_mutex_waiters(m) == 1,
						  RTSYNC_TEST_TIMEOUT_MS),
				      "round %d: the waker does not block", i);
		rtsync_actor_start_cond(waiter, rtsync_op_cond_wait, c, m);
		KUNIT_ASSERT_EQ_MSG(test, rtsync_actor_result(waker), 1,
				    "round %d: woken", i);
		KUNIT_ASSERT_EQ_MSG(test, rtsync_actor_result(waiter), 0,
				    "round %d: the wait", i);
		KUNIT_ASSERT_PTR_EQ(test, rtsync_mutex_owner(m),
				    waiter->task);
	}
	KUNIT_EXPECT_EQ(test, rtsync_test_cond_sleepers(c), 0U);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
}

/*
 * The same without the mutex: the case wakes as soon as the waiter is
 * queued, which can be before the waiter has released the mutex or gone
 * to sleep.
 */
static void rtsync_cond_wake_as_soon_as_queued(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *waiter = rtsync_actor_new(test);
	unsigned long end;
	int i;

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(waiter, rtsync_op_lock, m), 0);
	for (i = 0; i < RTSYNC_TEST_COND_ROUNDS; i++) {
		rtsync_actor_start_cond(waiter, rtsync_op_cond_wait, c, m);
		end = jiffies + msecs_to_jiffies(RTSYNC_TEST_TIMEOUT_MS);
		while (!rtsync_test_cond_sleepers(c) && time_before(jiffies, end))
			cpu_relax();
		KUNIT_ASSERT_EQ_MSG(test, rtsync_cond_wake(c, 1), 1U,
				    "round %d: woken", i);
		KUNIT_ASSERT_EQ_MSG(test, rtsync_actor_result(waiter), 0,
				    "round %d: the wait", i);
		KUNIT_ASSERT_PTR_EQ(test, rtsync_mutex_owner(m),
				    waiter->task);
	}
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
}

/*
 * A fatal signal (the only one a kernel thread takes) ends the wait without
 * taking the mutex back, so the dying thread leaves no false owner death.
 */
static void rtsync_cond_fatal_signal_leaves_mutex(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *a = rtsync_actor_new(test);

	rtsync_test_cond_queue(test, a, c, m, 1);
	rtsync_actor_interrupt(a);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), -ERESTARTSYS);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_EQ(test, rtsync_test_cond_sleepers(c), 0U);
	KUNIT_EXPECT_NULL(test, rtsync_test_cond_mutex(c));
	/* The wake-up that comes too late is not kept for a later wait. */
	KUNIT_EXPECT_EQ(test, rtsync_cond_wake(c, 1), 0U);
	/* Free and in its normal state: no EOWNERDEAD for the next locker. */
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
}

/* Sleepers use one mutex at a time; the binding ends with them. */
static void rtsync_cond_second_mutex_einval(struct kunit *test)
{
	struct rtsync_cond *c = rtsync_test_cond(test, "c");
	struct rtsync_mutex *m1 = rtsync_test_mutex(test, "m1");
	struct rtsync_mutex *m2 = rtsync_test_mutex(test, "m2");
	struct rtsync_actor *a = rtsync_actor_new(test);
	struct rtsync_actor *b = rtsync_actor_new(test);

	rtsync_test_cond_queue(test, a, c, m1, 1);
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m2, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_cond_wait(c, m2, NULL), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m2), current);
	KUNIT_EXPECT_EQ(test, rtsync_test_cond_sleepers(c), 1U);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_test_cond_mutex(c), m1);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m2), 0);
	KUNIT_EXPECT_EQ(test, rtsync_cond_wake(c, 1), 1U);
	rtsync_test_cond_returned(test, a, m1);
	KUNIT_EXPECT_NULL(test, rtsync_test_cond_mutex(c));
	/* Now another mutex may be used. */
	rtsync_test_cond_queue(test, b, c, m2, 1);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_test_cond_mutex(c), m2);
	KUNIT_EXPECT_EQ(test, rtsync_cond_wake(c, 1), 1U);
	rtsync_test_cond_returned(test, b, m2);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a, rtsync_op_unlock, m1), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(b, rtsync_op_unlock, m2), 0);
}

static struct kunit_case rtsync_cond_test_cases[] = {
	KUNIT_CASE(rtsync_cond_wait_needs_mutex_once),
	KUNIT_CASE(rtsync_cond_timed_wait_in_kthread),
	KUNIT_CASE(rtsync_cond_wake_returns_holding_mutex),
	KUNIT_CASE(rtsync_cond_woken_waits_for_mutex),
	KUNIT_CASE(rtsync_cond_broadcast_wakes_all),
	KUNIT_CASE(rtsync_cond_wake_order_by_priority),
	KUNIT_CASE(rtsync_cond_wake_right_after_release),
	KUNIT_CASE(rtsync_cond_wake_as_soon_as_queued),
	KUNIT_CASE(rtsync_cond_fatal_signal_leaves_mutex),
	KUNIT_CASE(rtsync_cond_second_mutex_einval),
	{}
};

static struct kunit_suite rtsync_cond_suite = {
	.name = "rtsync_cond",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_cond_test_cases,
};

kunit_test_suite(rtsync_cond_suite);
