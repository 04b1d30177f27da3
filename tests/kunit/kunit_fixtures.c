// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of rtsync's internal API (module/rtsync.h): the fixtures
 * every suite shares. One file per suite:
 *
 *   args_kunit.c      rtsync_args: names and wait arguments, what user
 *                     input is accepted
 *   registry_kunit.c  rtsync_registry: the registry and object lifetime,
 *                     limits, permissions
 *   mutex_kunit.c     rtsync_mutex: ownership, recursion, owner death
 *   waitpath_kunit.c  rtsync_wait: how LOCK waits (deadlock detection,
 *                     timed waits refused where they cannot be delivered)
 *   pi_kunit.c        rtsync_pi: priority inheritance
 *   sem_kunit.c       rtsync_sem: counting, overflow, wake order
 *   cond_kunit.c      rtsync_cond: release and sleep atomic with respect
 *                     to wake-ups, wake order, the mutex held again on
 *                     return
 *
 * The functions are called directly, not through ioctls. Cases that need
 * more than one thread use "actors": kernel threads that run one rtsync
 * call at a time on request (lock, unlock, wait, ...), so a case can make
 * them block, race or die while it watches the state. Every wait of a case
 * is bounded; when a case ends, however it ends, a blocked actor is
 * interrupted with a signal, every actor is stopped and reaped, and every
 * object the case opened is unlinked and put: every suite uses
 * rtsync_test_init() and rtsync_test_exit() below as its .init and .exit.
 *
 * Timed waits are not tested here: a timeout is delivered through a
 * task_work, which never runs in a kernel thread, so rtsync refuses timed
 * waits in kernel threads with -EOPNOTSUPP (tested in rtsync_wait,
 * rtsync_sem and rtsync_cond). The user-space tests cover timeouts.
 *
 * The limit cases of rtsync_registry set rtsync's module parameters
 * through /sys/module/rtsync/parameters, as an administrator does, so they
 * need sysfs mounted on /sys (they are skipped otherwise).
 *
 * Run: insmod rtsync.ko, then insmod rtsync_kunit.ko on a kernel with
 * CONFIG_KUNIT; the results are printed as KTAP in the kernel log.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include <uapi/linux/sched/types.h>
#include "rtsync_kunit.h"

/* ------------------------------------------------------------------ */
/* Actors: helper kernel threads running one rtsync call on request.  */

static int rtsync_actor_main(void *data)
{
	struct rtsync_actor *a = data;
	rtsync_actor_op op;

	/* rtsync's waits are interruptible: a signal ends a stuck one. */
	allow_signal(SIGKILL);
	for (;;) {
		wait_event_idle(a->wq,
				READ_ONCE(a->op) || kthread_should_stop());
		if (kthread_should_stop())
			break;
		/* Pairs with the release in rtsync_actor_start(). */
		op = smp_load_acquire(&a->op);
		a->result = op(a);
		/* A signal meant for this call must not hit the next one. */
		flush_signals(current);
		WRITE_ONCE(a->op, NULL);
		complete(&a->done);
	}
	return 0;
}

struct rtsync_actor *rtsync_actor_new(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct task_struct *task;
	struct rtsync_actor *a;

	KUNIT_ASSERT_LT(test, ctx->nr_actors, RTSYNC_TEST_MAX_ACTORS);
	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	a->test = test;
	init_waitqueue_head(&a->wq);
	init_completion(&a->done);
	task = kthread_run(rtsync_actor_main, a, "rtsync-actor%u",
			   ctx->nr_actors);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	get_task_struct(task);
	a->task = task;
	ctx->actors[ctx->nr_actors++] = a;
	return a;
}

/* Ask @a to run @op; its arguments must be set already. */
void rtsync_actor_start(struct rtsync_actor *a, rtsync_actor_op op)
{
	KUNIT_ASSERT_FALSE_MSG(a->test, READ_ONCE(a->op) || a->stopped,
			       "%s is busy or stopped", a->task->comm);
	reinit_completion(&a->done);
	/* Publishes the arguments; pairs with the acquire in the thread. */
	smp_store_release(&a->op, op);
	wake_up(&a->wq);
}

void rtsync_actor_start_mutex(struct rtsync_actor *a, rtsync_actor_op op,
			      struct rtsync_mutex *m)
{
	a->mutex = m;
	rtsync_actor_start(a, op);
}

/* The result of the call @a was asked to run; ends the case if it hangs. */
int rtsync_actor_result(struct rtsync_actor *a)
{
	KUNIT_ASSERT_TRUE_MSG(a->test,
			      rtsync_actor_wait(a, RTSYNC_TEST_TIMEOUT_MS),
			      "%s: call did not return", a->task->comm);
	return a->result;
}

/* Run @op on @m in @a and return its result. */
int rtsync_actor_call(struct rtsync_actor *a, rtsync_actor_op op,
		      struct rtsync_mutex *m)
{
	rtsync_actor_start_mutex(a, op, m);
	return rtsync_actor_result(a);
}

void rtsync_actor_interrupt(struct rtsync_actor *a)
{
	send_sig(SIGKILL, a->task, 1);
}

/*
 * Stop @a and wait until its thread is gone. It exits through do_exit(),
 * so rtsync's exit probe releases every mutex it still holds, exactly as
 * for a user thread that dies. kthread_stop() returns before that probe
 * runs; exit_state is set after it.
 */
void rtsync_actor_stop(struct rtsync_actor *a)
{
	struct kunit *test = a->test;
	bool gone;

	if (a->stopped)
		return;
	a->stopped = true;
	if (READ_ONCE(a->op)) {
		rtsync_actor_interrupt(a);
		if (!rtsync_actor_wait(a, RTSYNC_TEST_TIMEOUT_MS)) {
			/* Leak the thread rather than hang the suite. */
			KUNIT_FAIL(test, "%s: call ignores signals, left running",
				   a->task->comm);
			return;
		}
	}
	kthread_stop(a->task);
	gone = rtsync_poll(READ_ONCE(a->task->exit_state),
			   RTSYNC_TEST_TIMEOUT_MS);
	KUNIT_EXPECT_TRUE_MSG(test, gone, "%s did not finish exiting",
			      a->task->comm);
	put_task_struct(a->task);
}

void rtsync_actor_set_fifo(struct rtsync_actor *a, int priority)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_FIFO,
		.sched_priority = priority,
	};

	KUNIT_ASSERT_EQ(a->test, sched_setattr_nocheck(a->task, &attr), 0);
}

int rtsync_op_lock(struct rtsync_actor *a)
{
	return rtsync_mutex_lock(a->mutex, NULL);
}

int rtsync_op_unlock(struct rtsync_actor *a)
{
	return rtsync_mutex_unlock(a->mutex);
}

/* ------------------------------------------------------------------ */
/* Objects, credentials and limits, all undone by rtsync_test_exit(). */

/* A name unique to the running case: "kunit.<case>.<tag>". */
const char *rtsync_test_name(struct kunit *test, const char *tag)
{
	char *name = kunit_kzalloc(test, RTSYNC_NAME_MAX + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, name);
	snprintf(name, RTSYNC_NAME_MAX + 1, "kunit.%s.%s", test->name, tag);
	return name;
}

static const struct rtsync_open_args rtsync_test_params = {
	.sem_value = 0,
	.sem_max = RTSYNC_SEM_VALUE_MAX,
};

/*
 * rtsync_registry_open() that remembers a successful open, so the case's
 * exit puts the reference (and unlinks the name) if the case does not.
 * @p gives the creation fields (NULL: a semaphore's maximum count, zero
 * elsewhere); type, flags and mode are the arguments.
 */
struct rtsync_object *
rtsync_test_open(struct kunit *test, const char *name, u32 type, u32 flags,
		 umode_t mode, const struct rtsync_open_args *p,
		 bool *created)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_open_args args = *(p ?: &rtsync_test_params);
	const struct rtsync_type *t = rtsync_type_find(type);
	struct rtsync_object *obj;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_LT(test, ctx->nr_objs, RTSYNC_TEST_MAX_OBJS);
	args.type = type;
	args.flags = flags;
	args.mode = mode;
	obj = rtsync_registry_open(name, t, &args, created);
	if (!IS_ERR(obj))
		ctx->objs[ctx->nr_objs++] = obj;
	return obj;
}

/* Create a new object named after @tag; the case ends if that fails. */
struct rtsync_object *
rtsync_test_create(struct kunit *test, const char *tag, u32 type,
		   const struct rtsync_open_args *p)
{
	struct rtsync_object *obj;
	bool created;

	obj = rtsync_test_open(test, rtsync_test_name(test, tag), type,
			       RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600, p,
			       &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	KUNIT_ASSERT_TRUE(test, created);
	return obj;
}

struct rtsync_mutex *rtsync_test_mutex_flags(struct kunit *test,
					     const char *tag, u32 flags)
{
	struct rtsync_open_args p = { .mutex_flags = flags };

	return rtsync_to_mutex(rtsync_test_create(test, tag, RTSYNC_TYPE_MUTEX, &p));
}

struct rtsync_mutex *rtsync_test_mutex(struct kunit *test, const char *tag)
{
	return rtsync_test_mutex_flags(test, tag, 0);
}

/* The case no longer holds @obj's reference: the exit must not put it. */
bool rtsync_test_forget(struct kunit *test, struct rtsync_object *obj)
{
	struct rtsync_test_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < ctx->nr_objs; i++) {
		if (ctx->objs[i] == obj) {
			ctx->objs[i] = NULL;
			return true;
		}
	}
	KUNIT_FAIL(test, "%s: the case does not hold this object", rtsync_object_name(obj));
	return false;
}

/* Put a reference taken by rtsync_test_open() before the case ends. */
void rtsync_test_put(struct kunit *test, struct rtsync_object *obj)
{
	if (rtsync_test_forget(test, obj))
		rtsync_object_put(obj);
}

/* Objects not yet freed, after every pending free has run. */
unsigned int rtsync_test_count(void)
{
	rtsync_registry_flush();
	return rtsync_object_count();
}

/* Act as @uid (effective and fs ids, and the same gid) until reverted;
 * without @privileged, with no capabilities at all.
 */
void rtsync_test_become(struct kunit *test, uid_t uid, bool privileged)
{
	struct rtsync_test_ctx *ctx = test->priv;
	const struct cred *old;
	struct cred *new;

	KUNIT_ASSERT_NULL(test, ctx->saved_cred);
	new = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, new);
	new->euid = make_kuid(&init_user_ns, uid);
	new->fsuid = new->euid;
	new->egid = make_kgid(&init_user_ns, uid);
	new->fsgid = new->egid;
	if (!privileged)
		cap_clear(new->cap_effective);
	old = override_creds(new);
	put_cred(new);
	ctx->saved_cred = old;
	ctx->cred_task = current;
}

void rtsync_test_revert(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;

	if (!ctx->saved_cred)
		return;
	if (ctx->cred_task == current)
		revert_creds(ctx->saved_cred);
	else	/* the case's thread died with them; drop the reference */
		put_cred(ctx->saved_cred);
	ctx->saved_cred = NULL;
}

/* Read or write one of rtsync's module parameters through sysfs. */
static int rtsync_test_param_io(const char *name, unsigned int *value,
				bool write)
{
	char path[96], buf[16] = "";
	struct file *file;
	loff_t pos = 0;
	ssize_t n;
	int len;

	snprintf(path, sizeof(path), RTSYNC_TEST_PARAMS "%s", name);
	file = filp_open(path, write ? O_WRONLY : O_RDONLY, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);
	if (write) {
		len = snprintf(buf, sizeof(buf), "%u\n", *value);
		n = kernel_write(file, buf, len, &pos);
		if (n >= 0 && n != len)
			n = -EIO;
	} else {
		n = kernel_read(file, buf, sizeof(buf) - 1, &pos);
		if (n >= 0)
			n = kstrtouint(buf, 10, value);
	}
	filp_close(file, NULL);
	return n < 0 ? n : 0;
}

/* Set a module parameter until the case ends. */
void rtsync_test_set_param(struct kunit *test, const char *name,
			   unsigned int value)
{
	struct rtsync_test_ctx *ctx = test->priv;
	unsigned int old, i;
	int ret;

	for (i = 0; i < ctx->nr_params; i++)
		if (!strcmp(ctx->param_name[i], name))
			break;
	if (i == ctx->nr_params) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(ctx->param_name));
		ret = rtsync_test_param_io(name, &old, false);
		if (ret)
			kunit_skip(test, "cannot read " RTSYNC_TEST_PARAMS "%s: %d",
				   name, ret);
		ctx->param_name[i] = name;
		ctx->param_old[i] = old;
		ctx->nr_params++;
	}
	KUNIT_ASSERT_EQ(test, rtsync_test_param_io(name, &value, true), 0);
}

int rtsync_test_init(struct kunit *test)
{
	struct rtsync_test_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	/* Frees left pending by earlier cases must not show in this one. */
	ctx->objects_at_start = rtsync_test_count();
	return 0;
}

/*
 * Runs after every case, also one that failed an assertion (then in
 * another thread: the case's own thread has exited, and rtsync's exit
 * probe released what it held).
 */
void rtsync_test_exit(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj;
	unsigned int i;

	rtsync_test_revert(test);
	for (i = ctx->nr_actors; i-- > 0;)
		rtsync_actor_stop(ctx->actors[i]);
	for (i = 0; i < ctx->nr_objs; i++) {
		obj = ctx->objs[i];
		if (!obj)
			continue;
		while (obj->type == &rtsync_mutex_type &&
		       rtsync_mutex_owner(rtsync_to_mutex(obj)) == current)
			rtsync_mutex_unlock(rtsync_to_mutex(obj));
		/* A linked object is the one its name refers to. */
		if (READ_ONCE(obj->linked))
			rtsync_registry_unlink(rtsync_object_name(obj));
		rtsync_object_put(obj);
	}
	for (i = ctx->nr_params; i-- > 0;)
		rtsync_test_param_io(ctx->param_name[i], &ctx->param_old[i],
				     true);
	rtsync_registry_flush();
}

MODULE_DESCRIPTION("KUnit tests of rtsync's internal API");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
