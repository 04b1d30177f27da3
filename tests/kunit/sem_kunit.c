// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync_sem: semaphores. Counting, overflow, a post handing its unit to
 * a sleeper, wake order (priority, then FIFO) and interrupted waits.
 */
#include "rtsync_kunit.h"

static void rtsync_actor_start_sem(struct rtsync_actor *a, rtsync_actor_op op,
				   struct rtsync_sem *s)
{
	a->sem = s;
	rtsync_actor_start(a, op);
}

static int rtsync_op_sem_wait(struct rtsync_actor *a)
{
	return rtsync_sem_wait(a->sem, NULL);
}

static int rtsync_op_sem_wait_timed(struct rtsync_actor *a)
{
	struct rtsync_deadline d = {
		.clockid = CLOCK_MONOTONIC,
		.expires = ktime_add_ms(ktime_get(), 50),
	};

	return rtsync_sem_wait(a->sem, &d);
}

static struct rtsync_sem *rtsync_test_sem(struct kunit *test, const char *tag,
					  u32 value, u32 max)
{
	struct rtsync_open_args p = { .sem_value = value, .sem_max = max };

	return rtsync_to_sem(rtsync_test_create(test, tag, RTSYNC_TYPE_SEM, &p));
}

static u32 rtsync_test_sem_count(struct rtsync_sem *s)
{
	u32 count;

	spin_lock(&s->sleepers.lock);
	count = s->count;
	spin_unlock(&s->sleepers.lock);
	return count;
}

static u32 rtsync_test_sem_waiters(struct rtsync_sem *s)
{
	u32 n;

	spin_lock(&s->sleepers.lock);
	n = s->sleepers.count;
	spin_unlock(&s->sleepers.lock);
	return n;
}

/* Start a wait in @a and return once it is queued as waiter number @n. */
static void rtsync_test_sem_queue(struct kunit *test, struct rtsync_actor *a,
				  struct rtsync_sem *s, u32 n)
{
	rtsync_actor_start_sem(a, rtsync_op_sem_wait, s);
	KUNIT_ASSERT_TRUE_MSG(test, rtsync_poll(rtsync_test_sem_waiters(s) == n,
						RTSYNC_TEST_TIMEOUT_MS),
			      "%u waiters, expected %u",
			      rtsync_test_sem_waiters(s), n);
}

static unsigned int rtsync_test_finished(struct rtsync_actor **a,
					 unsigned int n)
{
	unsigned int i, done = 0;

	for (i = 0; i < n; i++)
		done += rtsync_actor_finished(a[i]);
	return done;
}

static void rtsync_sem_create_values(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 3, 7);

	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 3U);
	KUNIT_EXPECT_EQ(test, s->max, 7U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_waiters(s), 0U);
	KUNIT_EXPECT_PTR_EQ(test, s->obj.type, &rtsync_sem_type);
}

static void rtsync_sem_trywait_eagain(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 2, 5);

	KUNIT_EXPECT_EQ(test, rtsync_sem_trywait(s), 0);
	KUNIT_EXPECT_EQ(test, rtsync_sem_trywait(s), 0);
	KUNIT_EXPECT_EQ(test, rtsync_sem_trywait(s), -EAGAIN);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 0U);
}

static void rtsync_sem_post_returns_previous(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 0, 10);
	u32 prev = 99;

	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 1, &prev), 0);
	KUNIT_EXPECT_EQ(test, prev, 0U);
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 3, &prev), 0);
	KUNIT_EXPECT_EQ(test, prev, 1U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 4U);
}

static void rtsync_sem_post_zero_einval(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 1, 10);
	u32 prev = 99;

	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 0, &prev), -EINVAL);
	KUNIT_EXPECT_EQ(test, prev, 99U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 1U);
}

static void rtsync_sem_post_overflow(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 4, 5);
	u32 prev = 99;

	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 2, &prev), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, prev, 99U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 4U);
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 1, &prev), 0);
	KUNIT_EXPECT_EQ(test, prev, 4U);
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 1, &prev), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 5U);
}

/* count + n must not wrap around 2^32 and slip under the maximum. */
static void rtsync_sem_post_overflow_no_wrap(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s",
					       RTSYNC_SEM_VALUE_MAX - 1,
					       RTSYNC_SEM_VALUE_MAX);
	u32 prev;

	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, U32_MAX, &prev), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 0x80000002U, &prev),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 2, &prev), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), RTSYNC_SEM_VALUE_MAX - 1);
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 1, &prev), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), RTSYNC_SEM_VALUE_MAX);
}

static void rtsync_sem_wait_takes_available(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 1, 1);
	struct rtsync_actor *a = rtsync_actor_new(test);

	rtsync_actor_start_sem(a, rtsync_op_sem_wait, s);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 0U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_waiters(s), 0U);
}

static void rtsync_sem_timed_wait_in_kthread(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 0, 1);
	struct rtsync_actor *a = rtsync_actor_new(test);
	u32 prev;

	rtsync_actor_start_sem(a, rtsync_op_sem_wait_timed, s);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_waiters(s), 0U);
	/* With a unit available no timer is needed. */
	KUNIT_ASSERT_EQ(test, rtsync_sem_post(s, 1, &prev), 0);
	rtsync_actor_start_sem(a, rtsync_op_sem_wait_timed, s);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 0U);
}

/* A post hands its unit to the sleeper: a later trywait cannot steal it. */
static void rtsync_sem_post_hands_unit_to_sleeper(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 0, 5);
	struct rtsync_actor *a = rtsync_actor_new(test);
	u32 prev = 99;

	rtsync_test_sem_queue(test, a, s, 1);
	KUNIT_EXPECT_FALSE(test, rtsync_actor_wait(a, RTSYNC_TEST_QUIET_MS));
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 1, &prev), 0);
	KUNIT_EXPECT_EQ(test, prev, 0U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 0U);
	KUNIT_EXPECT_EQ(test, rtsync_sem_trywait(s), -EAGAIN);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_waiters(s), 0U);
}

static void rtsync_sem_post_one_wakes_exactly_one(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 0, 5);
	struct rtsync_actor *a[3];
	u32 prev;
	int i;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = rtsync_actor_new(test);
		rtsync_test_sem_queue(test, a[i], s, i + 1);
	}
	KUNIT_ASSERT_EQ(test, rtsync_sem_post(s, 1, &prev), 0);
	KUNIT_EXPECT_TRUE(test, rtsync_poll(rtsync_test_finished(a, 3) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	msleep(RTSYNC_TEST_QUIET_MS);
	KUNIT_EXPECT_EQ(test, rtsync_test_finished(a, 3), 1U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_waiters(s), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 0U);
	KUNIT_ASSERT_EQ(test, rtsync_sem_post(s, 2, &prev), 0);
	for (i = 0; i < ARRAY_SIZE(a); i++)
		KUNIT_EXPECT_EQ(test, rtsync_actor_result(a[i]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 0U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_waiters(s), 0U);
}

/* POST n wakes at most n, and the rest goes to the count. */
static void rtsync_sem_post_n_leftover_counts(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 0, 10);
	struct rtsync_actor *a[2];
	u32 prev = 99;
	int i;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = rtsync_actor_new(test);
		rtsync_test_sem_queue(test, a[i], s, i + 1);
	}
	KUNIT_ASSERT_EQ(test, rtsync_sem_post(s, 5, &prev), 0);
	KUNIT_EXPECT_EQ(test, prev, 0U);
	for (i = 0; i < ARRAY_SIZE(a); i++)
		KUNIT_EXPECT_EQ(test, rtsync_actor_result(a[i]), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 3U);
}

/*
 * Queue @n actors in array order, then post one unit at a time and check
 * that they are woken in the order @expected gives (indices into @a).
 */
static void rtsync_test_sem_wake_order(struct kunit *test, struct rtsync_sem *s,
				       struct rtsync_actor **a,
				       const unsigned int *expected,
				       unsigned int n)
{
	unsigned int i, j;
	u32 prev;

	for (i = 0; i < n; i++)
		rtsync_test_sem_queue(test, a[i], s, i + 1);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, rtsync_sem_post(s, 1, &prev), 0);
		KUNIT_EXPECT_EQ_MSG(test, rtsync_actor_result(a[expected[i]]), 0,
				    "wake %u", i);
		for (j = i + 1; j < n; j++)
			KUNIT_EXPECT_FALSE_MSG(test,
					       rtsync_actor_finished(a[expected[j]]),
					       "actor %u woke before actor %u",
					       expected[j], expected[i]);
	}
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_waiters(s), 0U);
}

static void rtsync_sem_wake_order_by_priority(struct kunit *test)
{
	static const int fifo[] = { 10, 30, 0, 20 };	/* 0: SCHED_NORMAL */
	static const unsigned int expected[] = { 1, 3, 0, 2 };
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 0, 5);
	struct rtsync_actor *a[ARRAY_SIZE(fifo)];
	int i;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = rtsync_actor_new(test);
		if (fifo[i])
			rtsync_actor_set_fifo(a[i], fifo[i]);
	}
	rtsync_test_sem_wake_order(test, s, a, expected, ARRAY_SIZE(a));
}

static void rtsync_sem_wake_order_fifo_within_priority(struct kunit *test)
{
	static const unsigned int expected[] = { 0, 1, 2, 3 };
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 0, 5);
	struct rtsync_actor *a[ARRAY_SIZE(expected)];
	int i;

	/* Two equal real-time ones, then two equal normal ones. */
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = rtsync_actor_new(test);
		if (i < 2)
			rtsync_actor_set_fifo(a[i], 25);
	}
	rtsync_test_sem_wake_order(test, s, a, expected, ARRAY_SIZE(a));
}

static void rtsync_sem_signal_interrupts_wait(struct kunit *test)
{
	struct rtsync_sem *s = rtsync_test_sem(test, "s", 0, 5);
	struct rtsync_actor *a = rtsync_actor_new(test);
	u32 prev = 99;

	rtsync_test_sem_queue(test, a, s, 1);
	rtsync_actor_interrupt(a);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_waiters(s), 0U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 0U);
	/* Nobody is left to hand the unit to: it stays in the count. */
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(s, 1, &prev), 0);
	KUNIT_EXPECT_EQ(test, prev, 0U);
	KUNIT_EXPECT_EQ(test, rtsync_test_sem_count(s), 1U);
	/* And the interrupted thread can wait again. */
	rtsync_actor_start_sem(a, rtsync_op_sem_wait, s);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(a), 0);
}

static struct kunit_case rtsync_sem_test_cases[] = {
	KUNIT_CASE(rtsync_sem_create_values),
	KUNIT_CASE(rtsync_sem_trywait_eagain),
	KUNIT_CASE(rtsync_sem_post_returns_previous),
	KUNIT_CASE(rtsync_sem_post_zero_einval),
	KUNIT_CASE(rtsync_sem_post_overflow),
	KUNIT_CASE(rtsync_sem_post_overflow_no_wrap),
	KUNIT_CASE(rtsync_sem_wait_takes_available),
	KUNIT_CASE(rtsync_sem_timed_wait_in_kthread),
	KUNIT_CASE(rtsync_sem_post_hands_unit_to_sleeper),
	KUNIT_CASE(rtsync_sem_post_one_wakes_exactly_one),
	KUNIT_CASE(rtsync_sem_post_n_leftover_counts),
	KUNIT_CASE(rtsync_sem_wake_order_by_priority),
	KUNIT_CASE(rtsync_sem_wake_order_fifo_within_priority),
	KUNIT_CASE(rtsync_sem_signal_interrupts_wait),
	{}
};

static struct kunit_suite rtsync_sem_suite = {
	.name = "rtsync_sem",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_sem_test_cases,
};

kunit_test_suite(rtsync_sem_suite);
