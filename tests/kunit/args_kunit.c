// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync_args: what user input rtsync accepts. Object names (length,
 * '/', any other byte) and the wait arguments a timed call passes,
 * turned into a deadline.
 */
#include <linux/string.h>
#include "rtsync_kunit.h"

struct rtsync_name_case {
	const char *desc;
	unsigned int len;
	int slash_at;		/* index of a '/', or -1 */
	int expected;
};

static const struct rtsync_name_case rtsync_name_cases[] = {
	{ "empty", 0, -1, -EINVAL },
	{ "one byte", 1, -1, 0 },
	{ "slash alone", 1, 0, -EINVAL },
	{ "slash inside", 10, 4, -EINVAL },
	{ "slash last of 255", 255, 254, -EINVAL },
	{ "255 bytes", 255, -1, 0 },
	{ "256 bytes", 256, -1, -ENAMETOOLONG },
	{ "4096 bytes", 4096, -1, -ENAMETOOLONG },
};

static void rtsync_name_case_desc(const struct rtsync_name_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rtsync_name, rtsync_name_cases, rtsync_name_case_desc);

static void rtsync_name_valid_test(struct kunit *test)
{
	const struct rtsync_name_case *c = test->param_value;
	char *name = kunit_kzalloc(test, c->len + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, name);
	memset(name, 'n', c->len);
	if (c->slash_at >= 0)
		name[c->slash_at] = '/';
	KUNIT_EXPECT_EQ(test, rtsync_name_valid(name, c->len), c->expected);
}

/* Every byte but '/' (and NUL, which ends a name) may appear in a name. */
static void rtsync_name_any_byte_but_slash(struct kunit *test)
{
	char name[4] = "a?z";
	int c;

	for (c = 1; c < 256; c++) {
		name[1] = c;
		KUNIT_EXPECT_EQ_MSG(test, rtsync_name_valid(name, 3),
				    c == '/' ? -EINVAL : 0, "byte 0x%02x", c);
	}
}

struct rtsync_deadline_case {
	const char *desc;
	struct rtsync_wait_args args;
	int expected;
	ktime_t expires;	/* when expected is 1 */
};

static const struct rtsync_deadline_case rtsync_deadline_cases[] = {
	{ "no timeout", { 0, 0, 0 }, 0, 0 },
	{ "unknown flag", { 0, 0, 0x2 }, -EINVAL, 0 },
	{ "timeout without flag", { 5, 0, 0 }, -EINVAL, 0 },
	{ "clock without flag", { 0, CLOCK_MONOTONIC, 0 }, -EINVAL, 0 },
	{ "monotonic", { 1000, CLOCK_MONOTONIC, RTSYNC_WAIT_TIMEOUT }, 1, 1000 },
	{ "realtime", { 2000, CLOCK_REALTIME, RTSYNC_WAIT_TIMEOUT }, 1, 2000 },
	{ "boottime refused", { 1, CLOCK_BOOTTIME, RTSYNC_WAIT_TIMEOUT },
	  -EINVAL, 0 },
	{ "past KTIME_MAX clamps", { U64_MAX, CLOCK_MONOTONIC,
				     RTSYNC_WAIT_TIMEOUT }, 1, KTIME_MAX },
};

static void rtsync_deadline_case_desc(const struct rtsync_deadline_case *c,
				      char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rtsync_deadline, rtsync_deadline_cases,
		  rtsync_deadline_case_desc);

static void rtsync_deadline_from_user_test(struct kunit *test)
{
	const struct rtsync_deadline_case *c = test->param_value;
	struct rtsync_deadline d = { .clockid = -1, .expires = -1 };

	KUNIT_ASSERT_EQ(test, rtsync_deadline_from_user(&c->args, &d),
			c->expected);
	if (c->expected == 1) {
		KUNIT_EXPECT_EQ(test, d.clockid, (clockid_t)c->args.clockid);
		KUNIT_EXPECT_EQ(test, d.expires, c->expires);
	}
}

static struct kunit_case rtsync_args_test_cases[] = {
	KUNIT_CASE_PARAM(rtsync_name_valid_test, rtsync_name_gen_params),
	KUNIT_CASE(rtsync_name_any_byte_but_slash),
	KUNIT_CASE_PARAM(rtsync_deadline_from_user_test,
			 rtsync_deadline_gen_params),
	{}
};

static struct kunit_suite rtsync_args_suite = {
	.name = "rtsync_args",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_args_test_cases,
};

kunit_test_suite(rtsync_args_suite);
