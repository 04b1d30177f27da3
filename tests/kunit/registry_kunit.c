// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync_registry: names, types, object lifetime, permissions and the
 * limits on the number of objects.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include "rtsync_kunit.h"

static void rtsync_registry_create_then_open(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	const char *name = rtsync_test_name(test, "obj");
	struct rtsync_object *obj, *again;
	bool created = false;

	obj = rtsync_test_open(test, name, RTSYNC_TYPE_MUTEX,
			       RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600, NULL,
			       &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_PTR_EQ(test, obj->type, &rtsync_mutex_type);
	KUNIT_EXPECT_EQ(test, (u32)obj->name_len, (u32)strlen(name));
	KUNIT_EXPECT_STREQ(test, rtsync_object_name(obj), name);
	KUNIT_EXPECT_TRUE(test, obj->linked);
	KUNIT_EXPECT_TRUE(test, uid_eq(obj->cuid, current_euid()));
	KUNIT_EXPECT_TRUE(test, uid_eq(obj->uid, current_euid()));
	KUNIT_EXPECT_TRUE(test, gid_eq(obj->cgid, current_egid()));
	/* The caller's reference and the name's. */
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);

	again = rtsync_test_open(test, name, RTSYNC_TYPE_MUTEX, 0, 0, NULL,
				 &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, again);
	KUNIT_EXPECT_PTR_EQ(test, again, obj);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 3U);
	rtsync_test_put(test, again);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
}

static void rtsync_registry_creat_opens_existing(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj, *again;
	bool created = true;

	obj = rtsync_test_create(test, "obj", RTSYNC_TYPE_SEM, NULL);
	again = rtsync_test_open(test, rtsync_object_name(obj), RTSYNC_TYPE_SEM,
				 RTSYNC_OPEN_CREAT, 0600, NULL, &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, again);
	KUNIT_EXPECT_PTR_EQ(test, again, obj);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
}

static void rtsync_registry_excl_eexist(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj, *again;
	bool created = true;

	obj = rtsync_test_create(test, "obj", RTSYNC_TYPE_MUTEX, NULL);
	again = rtsync_test_open(test, rtsync_object_name(obj), RTSYNC_TYPE_MUTEX,
				 RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600,
				 NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(again), -EEXIST);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
}

static void rtsync_registry_missing_enoent(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj;
	bool created = true;

	obj = rtsync_test_open(test, rtsync_test_name(test, "missing"),
			       RTSYNC_TYPE_MUTEX, 0, 0, NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -ENOENT);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(rtsync_test_name(test,
								      "missing")),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start);
}

/* Mutexes and semaphores share one name space. */
static void rtsync_registry_type_mismatch_einval(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *mutex, *sem, *obj;
	bool created = true;

	mutex = rtsync_test_create(test, "mutex", RTSYNC_TYPE_MUTEX, NULL);
	sem = rtsync_test_create(test, "sem", RTSYNC_TYPE_SEM, NULL);

	obj = rtsync_test_open(test, rtsync_object_name(mutex), RTSYNC_TYPE_SEM, 0, 0, NULL,
			       &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EINVAL);
	obj = rtsync_test_open(test, rtsync_object_name(mutex), RTSYNC_TYPE_SEM,
			       RTSYNC_OPEN_CREAT, 0600, NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EINVAL);
	KUNIT_EXPECT_FALSE(test, created);
	obj = rtsync_test_open(test, rtsync_object_name(sem), RTSYNC_TYPE_MUTEX, 0, 0, NULL,
			       &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(mutex), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(sem), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 2);
}

static void rtsync_registry_unlink_removes_name(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj, *again;
	bool created;

	obj = rtsync_test_create(test, "obj", RTSYNC_TYPE_MUTEX, NULL);
	KUNIT_ASSERT_EQ(test, rtsync_registry_unlink(rtsync_object_name(obj)), 0);
	KUNIT_EXPECT_FALSE(test, obj->linked);
	/* The name's reference is gone; the caller's is left. */
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 1U);
	again = rtsync_test_open(test, rtsync_object_name(obj), RTSYNC_TYPE_MUTEX, 0, 0, NULL,
				 &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(again), -ENOENT);
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(rtsync_object_name(obj)), -ENOENT);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
}

static void rtsync_registry_reuse_gives_new_object(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *old, *new;
	bool created = false;

	old = rtsync_test_create(test, "obj", RTSYNC_TYPE_MUTEX, NULL);
	KUNIT_ASSERT_EQ(test, rtsync_registry_unlink(rtsync_object_name(old)), 0);
	new = rtsync_test_open(test, rtsync_object_name(old), RTSYNC_TYPE_SEM,
			       RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600, NULL,
			       &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, new);
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_PTR_NE(test, new, old);
	KUNIT_EXPECT_PTR_EQ(test, new->type, &rtsync_sem_type);
	KUNIT_EXPECT_TRUE(test, new->linked);
	KUNIT_EXPECT_FALSE(test, old->linked);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 2);
}

static void rtsync_registry_unlinked_object_lives_while_open(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj;

	obj = rtsync_test_create(test, "obj", RTSYNC_TYPE_MUTEX, NULL);
	KUNIT_ASSERT_EQ(test, rtsync_registry_unlink(rtsync_object_name(obj)), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
	/* Still usable. */
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(rtsync_to_mutex(obj), NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(rtsync_to_mutex(obj)), 0);
	rtsync_test_put(test, obj);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start);
}

static void rtsync_registry_mode_applies_umask(struct kunit *test)
{
	struct rtsync_object *obj;
	bool created;

	obj = rtsync_test_open(test, rtsync_test_name(test, "obj"),
			       RTSYNC_TYPE_SEM, RTSYNC_OPEN_CREAT, 0666, NULL,
			       &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, obj->mode, (umode_t)(0666 & ~current_umask()));
}

/* Opening needs read and write permission, as sem_open does. */
static void rtsync_registry_open_needs_permission(struct kunit *test)
{
	struct rtsync_object *private, *shared, *readonly, *obj;
	struct rtsync_open_args p = { .sem_max = 1 };
	bool created;

	private = rtsync_test_create(test, "private", RTSYNC_TYPE_SEM, &p);
	shared = rtsync_test_open(test, rtsync_test_name(test, "shared"),
				  RTSYNC_TYPE_SEM, RTSYNC_OPEN_CREAT, 0666, &p,
				  &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shared);
	/* Force the mode: the umask may have removed the other-write bit. */
	shared->mode = 0666;
	readonly = rtsync_test_open(test, rtsync_test_name(test, "readonly"),
				    RTSYNC_TYPE_SEM, RTSYNC_OPEN_CREAT, 0644,
				    &p, &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, readonly);
	readonly->mode = 0644;

	rtsync_test_become(test, RTSYNC_TEST_UID, false);
	obj = rtsync_test_open(test, rtsync_object_name(private), RTSYNC_TYPE_SEM, 0, 0,
			       NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EACCES);
	obj = rtsync_test_open(test, rtsync_object_name(readonly), RTSYNC_TYPE_SEM, 0, 0,
			       NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EACCES);
	obj = rtsync_test_open(test, rtsync_object_name(shared), RTSYNC_TYPE_SEM, 0, 0, NULL,
			       &created);
	KUNIT_EXPECT_PTR_EQ(test, obj, shared);
	rtsync_test_revert(test);

	/* CAP_IPC_OWNER overrides the mode. */
	rtsync_test_become(test, RTSYNC_TEST_UID, true);
	obj = rtsync_test_open(test, rtsync_object_name(private), RTSYNC_TYPE_SEM, 0, 0,
			       NULL, &created);
	KUNIT_EXPECT_PTR_EQ(test, obj, private);
	rtsync_test_revert(test);
}

/* Unlinking needs the owner's uid or CAP_SYS_ADMIN. */
static void rtsync_registry_unlink_needs_owner(struct kunit *test)
{
	struct rtsync_object *root_obj, *user_obj;
	bool created;

	root_obj = rtsync_test_create(test, "root", RTSYNC_TYPE_MUTEX, NULL);
	root_obj->mode = 0666;

	rtsync_test_become(test, RTSYNC_TEST_UID, false);
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(rtsync_object_name(root_obj)), -EPERM);
	KUNIT_EXPECT_TRUE(test, root_obj->linked);
	/* A user may unlink what it created. */
	user_obj = rtsync_test_open(test, rtsync_test_name(test, "user"),
				    RTSYNC_TYPE_MUTEX, RTSYNC_OPEN_CREAT, 0600,
				    NULL, &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, user_obj);
	KUNIT_EXPECT_TRUE(test, uid_eq(user_obj->cuid,
				       make_kuid(&init_user_ns,
						 RTSYNC_TEST_UID)));
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(rtsync_object_name(user_obj)), 0);
	rtsync_test_revert(test);

	rtsync_test_become(test, RTSYNC_TEST_UID, true);
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(rtsync_object_name(root_obj)), 0);
	KUNIT_EXPECT_FALSE(test, root_obj->linked);
	rtsync_test_revert(test);
}

static void rtsync_registry_limit_total_enospc(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	const char *name = rtsync_test_name(test, "over");
	struct rtsync_object *obj;
	unsigned int start;
	bool created = true;

	start = rtsync_test_count();
	rtsync_test_set_param(test, "max_objects", start);
	obj = rtsync_test_open(test, name, RTSYNC_TYPE_MUTEX,
			       RTSYNC_OPEN_CREAT, 0600, NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -ENOSPC);
	KUNIT_EXPECT_FALSE(test, created);
	/* Nothing was created. */
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), start);
	obj = rtsync_test_open(test, name, RTSYNC_TYPE_MUTEX, 0, 0, NULL,
			       &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -ENOENT);

	/* One more is allowed, then no more. */
	rtsync_test_set_param(test, "max_objects", start + 1);
	rtsync_test_create(test, "one", RTSYNC_TYPE_MUTEX, NULL);
	obj = rtsync_test_open(test, name, RTSYNC_TYPE_SEM, RTSYNC_OPEN_CREAT,
			       0600, NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -ENOSPC);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
}

/* Objects count against their creator's uid; other users are not hit. */
static void rtsync_registry_limit_per_user_enospc(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj;
	bool created;

	rtsync_test_set_param(test, "max_objects_per_user", 1);
	rtsync_test_become(test, RTSYNC_TEST_UID, true);
	obj = rtsync_test_open(test, rtsync_test_name(test, "first"),
			       RTSYNC_TYPE_MUTEX, RTSYNC_OPEN_CREAT, 0600, NULL,
			       &created);
	KUNIT_EXPECT_FALSE(test, IS_ERR(obj));
	obj = rtsync_test_open(test, rtsync_test_name(test, "second"),
			       RTSYNC_TYPE_MUTEX, RTSYNC_OPEN_CREAT, 0600, NULL,
			       &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -ENOSPC);
	rtsync_test_revert(test);

	rtsync_test_become(test, RTSYNC_TEST_UID2, true);
	obj = rtsync_test_open(test, rtsync_test_name(test, "other"),
			       RTSYNC_TYPE_SEM, RTSYNC_OPEN_CREAT, 0600, NULL,
			       &created);
	KUNIT_EXPECT_FALSE(test, IS_ERR(obj));
	rtsync_test_revert(test);

	/* A limit of 0 refuses a user that has no object yet. */
	rtsync_test_set_param(test, "max_objects_per_user", 0);
	rtsync_test_become(test, RTSYNC_TEST_UID3, true);
	obj = rtsync_test_open(test, rtsync_test_name(test, "none"),
			       RTSYNC_TYPE_SEM, RTSYNC_OPEN_CREAT, 0600, NULL,
			       &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -ENOSPC);
	rtsync_test_revert(test);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 2);
}

/* After everything is unlocked, unlinked and put, nothing is left. */
static void rtsync_registry_all_freed(struct kunit *test)
{
	struct rtsync_open_args rec = {
		.mutex_flags = RTSYNC_MUTEX_RECURSIVE,
	};
	struct rtsync_open_args sem = { .sem_value = 1, .sem_max = 3 };
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *objs[5];
	u32 prev;
	int i;

	objs[0] = rtsync_test_create(test, "m0", RTSYNC_TYPE_MUTEX, NULL);
	objs[1] = rtsync_test_create(test, "m1", RTSYNC_TYPE_MUTEX, &rec);
	objs[2] = rtsync_test_create(test, "m2", RTSYNC_TYPE_MUTEX, NULL);
	objs[3] = rtsync_test_create(test, "s0", RTSYNC_TYPE_SEM, &sem);
	objs[4] = rtsync_test_create(test, "s1", RTSYNC_TYPE_SEM, &sem);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(rtsync_to_mutex(objs[0]), NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(rtsync_to_mutex(objs[1]), NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(rtsync_to_mutex(objs[1]), NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_sem_trywait(rtsync_to_sem(objs[3])), 0);
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(rtsync_to_sem(objs[4]), 2, &prev), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 5);

	for (i = 0; i < ARRAY_SIZE(objs); i++)
		KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(rtsync_object_name(objs[i])), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(rtsync_to_mutex(objs[0])), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(rtsync_to_mutex(objs[1])), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(rtsync_to_mutex(objs[1])), 0);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		KUNIT_EXPECT_EQ(test, rtsync_test_kref(objs[i]), 1U);
		rtsync_test_put(test, objs[i]);
	}
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start);
}

/*
 * The type table: every ABI type number names a type whose structure
 * begins with the object and whose files are rtsync's; no other number
 * names one. The name follows the type's structure.
 */
static void rtsync_registry_type_table(struct kunit *test)
{
	static const u32 none[] = { 0, RTSYNC_TYPE_COND + 1, 64, U32_MAX };
	static const struct {
		u32 number;
		const struct rtsync_type *type;
		const char *name;
	} types[] = {
		{ RTSYNC_TYPE_MUTEX, &rtsync_mutex_type, "mutex" },
		{ RTSYNC_TYPE_SEM, &rtsync_sem_type, "sem" },
		{ RTSYNC_TYPE_COND, &rtsync_cond_type, "cond" },
	};
	struct rtsync_object *obj;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		const struct rtsync_type *t = rtsync_type_find(types[i].number);

		KUNIT_EXPECT_PTR_EQ(test, t, types[i].type);
		KUNIT_ASSERT_NOT_NULL(test, t);
		KUNIT_EXPECT_STREQ(test, t->name, types[i].name);
		KUNIT_EXPECT_GE(test, t->size, sizeof(struct rtsync_object));
		KUNIT_EXPECT_NOT_NULL(test, t->fops);
		KUNIT_EXPECT_GT(test, t->nr_ioctls, 0U);
		obj = rtsync_test_create(test, types[i].name, types[i].number,
					 NULL);
		KUNIT_EXPECT_PTR_EQ(test, obj->type, t);
		KUNIT_EXPECT_PTR_EQ(test, rtsync_object_name(obj),
				    (const char *)obj + t->size);
	}
	for (i = 0; i < ARRAY_SIZE(none); i++)
		KUNIT_EXPECT_NULL(test, rtsync_type_find(none[i]));
}

static struct kunit_case rtsync_registry_test_cases[] = {
	KUNIT_CASE(rtsync_registry_type_table),
	KUNIT_CASE(rtsync_registry_create_then_open),
	KUNIT_CASE(rtsync_registry_creat_opens_existing),
	KUNIT_CASE(rtsync_registry_excl_eexist),
	KUNIT_CASE(rtsync_registry_missing_enoent),
	KUNIT_CASE(rtsync_registry_type_mismatch_einval),
	KUNIT_CASE(rtsync_registry_unlink_removes_name),
	KUNIT_CASE(rtsync_registry_reuse_gives_new_object),
	KUNIT_CASE(rtsync_registry_unlinked_object_lives_while_open),
	KUNIT_CASE(rtsync_registry_mode_applies_umask),
	KUNIT_CASE(rtsync_registry_open_needs_permission),
	KUNIT_CASE(rtsync_registry_unlink_needs_owner),
	KUNIT_CASE(rtsync_registry_limit_total_enospc),
	KUNIT_CASE(rtsync_registry_limit_per_user_enospc),
	KUNIT_CASE(rtsync_registry_all_freed),
	{}
};

static struct kunit_suite rtsync_registry_suite = {
	.name = "rtsync_registry",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_registry_test_cases,
};

kunit_test_suite(rtsync_registry_suite);
