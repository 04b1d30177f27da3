// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of rtsync's internal API (module/rtsync.h): names, the
 * registry and object lifetime, limits, permissions, mutexes (ownership,
 * recursion, owner death, deadlock detection, priority inheritance),
 * semaphores (counting, overflow, wake order) and condition variables
 * (release and sleep atomic with respect to wake-ups, wake order, the
 * mutex held again on return).
 *
 * The functions are called directly, not through ioctls. Cases that need
 * more than one thread use "actors": kernel threads that run one rtsync
 * call at a time on request (lock, unlock, wait, ...), so a case can make
 * them block, race or die while it watches the state. Every wait of a case
 * is bounded; when a case ends, however it ends, a blocked actor is
 * interrupted with a signal, every actor is stopped and reaped, and every
 * object the case opened is unlinked and put.
 *
 * Timed waits are not tested here: a timeout is delivered through a
 * task_work, which never runs in a kernel thread, so rtsync refuses timed
 * waits in kernel threads with -EOPNOTSUPP (tested below). The user-space
 * tests cover timeouts.
 *
 * The limit cases set rtsync's module parameters through
 * /sys/module/rtsync/parameters, as an administrator does, so they need
 * sysfs mounted on /sys (they are skipped otherwise).
 *
 * Run: insmod rtsync.ko, then insmod rtsync_kunit.ko on a kernel with
 * CONFIG_KUNIT; the results are printed as KTAP in the kernel log.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/kstrtox.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/prio.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <uapi/linux/sched/types.h>
#include "rtsync.h"

/* For what must happen: TCG with KASAN and lockdep is slow. */
#define RTSYNC_TEST_TIMEOUT_MS	10000
/* How long to watch for something that must not happen. */
#define RTSYNC_TEST_QUIET_MS	200
#define RTSYNC_TEST_MAX_OBJS	16
#define RTSYNC_TEST_MAX_ACTORS	8
/* Users no process of the test guest runs as. */
#define RTSYNC_TEST_UID		4242
#define RTSYNC_TEST_UID2	4243
#define RTSYNC_TEST_UID3	4244
#define RTSYNC_TEST_PARAMS	"/sys/module/rtsync/parameters/"
/* Iterations of the racing deadlock case. */
#define RTSYNC_TEST_RACES	20

/*
 * rtsync_poll - evaluate @cond every millisecond or so for up to @ms
 * milliseconds; true if it became true.
 */
#define rtsync_poll(cond, ms)						\
({									\
	unsigned long __end = jiffies + msecs_to_jiffies(ms);		\
	bool __ok;							\
									\
	while (!(__ok = (cond)) && time_before(jiffies, __end))		\
		usleep_range(1000, 2000);				\
	__ok;								\
})

/* ------------------------------------------------------------------ */
/* Actors: helper kernel threads running one rtsync call on request.  */

struct rtsync_actor;
typedef int (*rtsync_actor_op)(struct rtsync_actor *a);

/**
 * struct rtsync_actor - a helper thread
 * @test:    the case it belongs to.
 * @task:    the thread; a reference is held until it is reaped.
 * @wq:      where the idle thread waits for a request.
 * @op:      the requested call, or NULL when idle. Set by the case, cleared
 *           by the thread when the call returns.
 * @mutex:   argument of mutex calls; set before @op.
 * @sem:     argument of semaphore calls; set before @op.
 * @cond:    argument of condition-variable calls, with @mutex; set before
 *           @op.
 * @result:  what the last call returned; valid once @done is complete.
 * @done:    completed when the last requested call returned.
 * @stopped: the thread was stopped (or given up on).
 */
struct rtsync_actor {
	struct kunit *test;
	struct task_struct *task;
	wait_queue_head_t wq;
	rtsync_actor_op op;
	struct rtsync_mutex *mutex;
	struct rtsync_sem *sem;
	struct rtsync_cond *cond;
	int result;
	struct completion done;
	bool stopped;
};

/**
 * struct rtsync_test_ctx - what a case has set up, undone by its exit
 * @objs:       objects opened through rtsync_test_open() whose reference
 *              the case still holds (NULL once put).
 * @nr_objs:    slots used in @objs.
 * @actors:     actors started by the case.
 * @nr_actors:  slots used in @actors.
 * @param_name: module parameters changed by the case ...
 * @param_old:  ... and their values before.
 * @nr_params:  slots used in @param_name and @param_old.
 * @saved_cred: credentials before rtsync_test_become(), or NULL.
 * @cred_task:  the thread whose credentials were overridden.
 * @objects_at_start: rtsync_object_count() when the case started.
 */
struct rtsync_test_ctx {
	struct rtsync_object *objs[RTSYNC_TEST_MAX_OBJS];
	unsigned int nr_objs;
	struct rtsync_actor *actors[RTSYNC_TEST_MAX_ACTORS];
	unsigned int nr_actors;
	const char *param_name[2];
	unsigned int param_old[2];
	unsigned int nr_params;
	const struct cred *saved_cred;
	struct task_struct *cred_task;
	unsigned int objects_at_start;
};

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

static struct rtsync_actor *rtsync_actor_new(struct kunit *test)
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
static void rtsync_actor_start(struct rtsync_actor *a, rtsync_actor_op op)
{
	KUNIT_ASSERT_FALSE_MSG(a->test, READ_ONCE(a->op) || a->stopped,
			       "%s is busy or stopped", a->task->comm);
	reinit_completion(&a->done);
	/* Publishes the arguments; pairs with the acquire in the thread. */
	smp_store_release(&a->op, op);
	wake_up(&a->wq);
}

static void rtsync_actor_start_mutex(struct rtsync_actor *a,
				     rtsync_actor_op op, struct rtsync_mutex *m)
{
	a->mutex = m;
	rtsync_actor_start(a, op);
}

static void rtsync_actor_start_sem(struct rtsync_actor *a, rtsync_actor_op op,
				   struct rtsync_sem *s)
{
	a->sem = s;
	rtsync_actor_start(a, op);
}

static void rtsync_actor_start_cond(struct rtsync_actor *a, rtsync_actor_op op,
				    struct rtsync_cond *c, struct rtsync_mutex *m)
{
	a->cond = c;
	a->mutex = m;
	rtsync_actor_start(a, op);
}

static bool rtsync_actor_wait(struct rtsync_actor *a, unsigned int ms)
{
	return wait_for_completion_timeout(&a->done, msecs_to_jiffies(ms));
}

static bool rtsync_actor_finished(struct rtsync_actor *a)
{
	return completion_done(&a->done);
}

/* The result of the call @a was asked to run; ends the case if it hangs. */
static int rtsync_actor_result(struct rtsync_actor *a)
{
	KUNIT_ASSERT_TRUE_MSG(a->test,
			      rtsync_actor_wait(a, RTSYNC_TEST_TIMEOUT_MS),
			      "%s: call did not return", a->task->comm);
	return a->result;
}

/* Run @op on @m in @a and return its result. */
static int rtsync_actor_call(struct rtsync_actor *a, rtsync_actor_op op,
			     struct rtsync_mutex *m)
{
	rtsync_actor_start_mutex(a, op, m);
	return rtsync_actor_result(a);
}

static void rtsync_actor_interrupt(struct rtsync_actor *a)
{
	send_sig(SIGKILL, a->task, 1);
}

/*
 * Stop @a and wait until its thread is gone. It exits through do_exit(),
 * so rtsync's exit probe releases every mutex it still holds, exactly as
 * for a user thread that dies. kthread_stop() returns before that probe
 * runs; exit_state is set after it.
 */
static void rtsync_actor_stop(struct rtsync_actor *a)
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

static void rtsync_actor_set_fifo(struct rtsync_actor *a, int priority)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_FIFO,
		.sched_priority = priority,
	};

	KUNIT_ASSERT_EQ(a->test, sched_setattr_nocheck(a->task, &attr), 0);
}

static int rtsync_actor_prio(struct rtsync_actor *a)
{
	return READ_ONCE(a->task->prio);
}

static int rtsync_op_lock(struct rtsync_actor *a)
{
	return rtsync_mutex_lock(a->mutex, NULL);
}

static int rtsync_op_lock_timed(struct rtsync_actor *a)
{
	struct rtsync_deadline d = {
		.clockid = CLOCK_MONOTONIC,
		.expires = ktime_add_ms(ktime_get(), 50),
	};

	return rtsync_mutex_lock(a->mutex, &d);
}

static int rtsync_op_trylock(struct rtsync_actor *a)
{
	return rtsync_mutex_trylock(a->mutex);
}

static int rtsync_op_unlock(struct rtsync_actor *a)
{
	return rtsync_mutex_unlock(a->mutex);
}

static int rtsync_op_consistent(struct rtsync_actor *a)
{
	return rtsync_mutex_consistent(a->mutex);
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

/* ------------------------------------------------------------------ */
/* Objects, credentials and limits, all undone by rtsync_test_exit(). */

/* A name unique to the running case: "kunit.<case>.<tag>". */
static const char *rtsync_test_name(struct kunit *test, const char *tag)
{
	char *name = kunit_kzalloc(test, RTSYNC_NAME_MAX + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, name);
	snprintf(name, RTSYNC_NAME_MAX + 1, "kunit.%s.%s", test->name, tag);
	return name;
}

static const struct rtsync_create_params rtsync_test_params = {
	.sem_value = 0,
	.sem_max = RTSYNC_SEM_VALUE_MAX,
};

/*
 * rtsync_registry_open() that remembers a successful open, so the case's
 * exit puts the reference (and unlinks the name) if the case does not.
 */
static struct rtsync_object *
rtsync_test_open(struct kunit *test, const char *name, u32 type, u32 flags,
		 umode_t mode, const struct rtsync_create_params *p,
		 bool *created)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj;

	KUNIT_ASSERT_LT(test, ctx->nr_objs, RTSYNC_TEST_MAX_OBJS);
	obj = rtsync_registry_open(name, type, flags, mode, p ?: &rtsync_test_params,
				   created);
	if (!IS_ERR(obj))
		ctx->objs[ctx->nr_objs++] = obj;
	return obj;
}

/* Create a new object named after @tag; the case ends if that fails. */
static struct rtsync_object *
rtsync_test_create(struct kunit *test, const char *tag, u32 type,
		   const struct rtsync_create_params *p)
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

static struct rtsync_mutex *rtsync_test_mutex_flags(struct kunit *test,
						    const char *tag, u32 flags)
{
	struct rtsync_create_params p = { .mutex_flags = flags };

	return &rtsync_test_create(test, tag, RTSYNC_TYPE_MUTEX, &p)->mutex;
}

static struct rtsync_mutex *rtsync_test_mutex(struct kunit *test,
					      const char *tag)
{
	return rtsync_test_mutex_flags(test, tag, 0);
}

static struct rtsync_sem *rtsync_test_sem(struct kunit *test, const char *tag,
					  u32 value, u32 max)
{
	struct rtsync_create_params p = { .sem_value = value, .sem_max = max };

	return &rtsync_test_create(test, tag, RTSYNC_TYPE_SEM, &p)->sem;
}

/* Put a reference taken by rtsync_test_open() before the case ends. */
/* The case no longer holds @obj's reference: the exit must not put it. */
static bool rtsync_test_forget(struct kunit *test, struct rtsync_object *obj)
{
	struct rtsync_test_ctx *ctx = test->priv;
	unsigned int i;

	for (i = 0; i < ctx->nr_objs; i++) {
		if (ctx->objs[i] == obj) {
			ctx->objs[i] = NULL;
			return true;
		}
	}
	KUNIT_FAIL(test, "%s: the case does not hold this object", obj->name);
	return false;
}

static void rtsync_test_put(struct kunit *test, struct rtsync_object *obj)
{
	if (rtsync_test_forget(test, obj))
		rtsync_object_put(obj);
}

/* Objects not yet freed, after every pending free has run. */
static unsigned int rtsync_test_count(void)
{
	rtsync_registry_flush();
	return rtsync_object_count();
}

static unsigned int rtsync_test_kref(struct rtsync_object *obj)
{
	return kref_read(&obj->ref);
}

/* Act as @uid (effective and fs ids, and the same gid) until reverted;
 * without @privileged, with no capabilities at all.
 */
static void rtsync_test_become(struct kunit *test, uid_t uid, bool privileged)
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

static void rtsync_test_revert(struct kunit *test)
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
static void rtsync_test_set_param(struct kunit *test, const char *name,
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

static int rtsync_test_init(struct kunit *test)
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
static void rtsync_test_exit(struct kunit *test)
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
		while (obj->type == RTSYNC_TYPE_MUTEX &&
		       rtsync_mutex_owner(&obj->mutex) == current)
			rtsync_mutex_unlock(&obj->mutex);
		/* A linked object is the one its name refers to. */
		if (READ_ONCE(obj->linked))
			rtsync_registry_unlink(obj->name);
		rtsync_object_put(obj);
	}
	for (i = ctx->nr_params; i-- > 0;)
		rtsync_test_param_io(ctx->param_name[i], &ctx->param_old[i],
				     true);
	rtsync_registry_flush();
}

/* ------------------------------------------------------------------ */
/* Names and wait arguments.                                          */

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

static struct kunit_case rtsync_name_test_cases[] = {
	KUNIT_CASE_PARAM(rtsync_name_valid_test, rtsync_name_gen_params),
	KUNIT_CASE(rtsync_name_any_byte_but_slash),
	KUNIT_CASE_PARAM(rtsync_deadline_from_user_test,
			 rtsync_deadline_gen_params),
	{}
};

static struct kunit_suite rtsync_name_suite = {
	.name = "rtsync_args",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_name_test_cases,
};

/* ------------------------------------------------------------------ */
/* Registry: names, types, lifetime, permissions, limits.             */

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
	KUNIT_EXPECT_EQ(test, obj->type, (u32)RTSYNC_TYPE_MUTEX);
	KUNIT_EXPECT_EQ(test, obj->name_len, (u32)strlen(name));
	KUNIT_EXPECT_STREQ(test, obj->name, name);
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
	again = rtsync_test_open(test, obj->name, RTSYNC_TYPE_SEM,
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
	again = rtsync_test_open(test, obj->name, RTSYNC_TYPE_MUTEX,
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

	obj = rtsync_test_open(test, mutex->name, RTSYNC_TYPE_SEM, 0, 0, NULL,
			       &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EINVAL);
	obj = rtsync_test_open(test, mutex->name, RTSYNC_TYPE_SEM,
			       RTSYNC_OPEN_CREAT, 0600, NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EINVAL);
	KUNIT_EXPECT_FALSE(test, created);
	obj = rtsync_test_open(test, sem->name, RTSYNC_TYPE_MUTEX, 0, 0, NULL,
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
	KUNIT_ASSERT_EQ(test, rtsync_registry_unlink(obj->name), 0);
	KUNIT_EXPECT_FALSE(test, obj->linked);
	/* The name's reference is gone; the caller's is left. */
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 1U);
	again = rtsync_test_open(test, obj->name, RTSYNC_TYPE_MUTEX, 0, 0, NULL,
				 &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(again), -ENOENT);
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(obj->name), -ENOENT);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
}

static void rtsync_registry_reuse_gives_new_object(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *old, *new;
	bool created = false;

	old = rtsync_test_create(test, "obj", RTSYNC_TYPE_MUTEX, NULL);
	KUNIT_ASSERT_EQ(test, rtsync_registry_unlink(old->name), 0);
	new = rtsync_test_open(test, old->name, RTSYNC_TYPE_SEM,
			       RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600, NULL,
			       &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, new);
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_PTR_NE(test, new, old);
	KUNIT_EXPECT_EQ(test, new->type, (u32)RTSYNC_TYPE_SEM);
	KUNIT_EXPECT_TRUE(test, new->linked);
	KUNIT_EXPECT_FALSE(test, old->linked);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 2);
}

static void rtsync_registry_unlinked_object_lives_while_open(struct kunit *test)
{
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *obj;

	obj = rtsync_test_create(test, "obj", RTSYNC_TYPE_MUTEX, NULL);
	KUNIT_ASSERT_EQ(test, rtsync_registry_unlink(obj->name), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 1);
	/* Still usable. */
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(&obj->mutex, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(&obj->mutex), 0);
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
	struct rtsync_create_params p = { .sem_max = 1 };
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
	obj = rtsync_test_open(test, private->name, RTSYNC_TYPE_SEM, 0, 0,
			       NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EACCES);
	obj = rtsync_test_open(test, readonly->name, RTSYNC_TYPE_SEM, 0, 0,
			       NULL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(obj), -EACCES);
	obj = rtsync_test_open(test, shared->name, RTSYNC_TYPE_SEM, 0, 0, NULL,
			       &created);
	KUNIT_EXPECT_PTR_EQ(test, obj, shared);
	rtsync_test_revert(test);

	/* CAP_IPC_OWNER overrides the mode. */
	rtsync_test_become(test, RTSYNC_TEST_UID, true);
	obj = rtsync_test_open(test, private->name, RTSYNC_TYPE_SEM, 0, 0,
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
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(root_obj->name), -EPERM);
	KUNIT_EXPECT_TRUE(test, root_obj->linked);
	/* A user may unlink what it created. */
	user_obj = rtsync_test_open(test, rtsync_test_name(test, "user"),
				    RTSYNC_TYPE_MUTEX, RTSYNC_OPEN_CREAT, 0600,
				    NULL, &created);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, user_obj);
	KUNIT_EXPECT_TRUE(test, uid_eq(user_obj->cuid,
				       make_kuid(&init_user_ns,
						 RTSYNC_TEST_UID)));
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(user_obj->name), 0);
	rtsync_test_revert(test);

	rtsync_test_become(test, RTSYNC_TEST_UID, true);
	KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(root_obj->name), 0);
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
	struct rtsync_create_params rec = {
		.mutex_flags = RTSYNC_MUTEX_RECURSIVE,
	};
	struct rtsync_create_params sem = { .sem_value = 1, .sem_max = 3 };
	struct rtsync_test_ctx *ctx = test->priv;
	struct rtsync_object *objs[5];
	u32 prev;
	int i;

	objs[0] = rtsync_test_create(test, "m0", RTSYNC_TYPE_MUTEX, NULL);
	objs[1] = rtsync_test_create(test, "m1", RTSYNC_TYPE_MUTEX, &rec);
	objs[2] = rtsync_test_create(test, "m2", RTSYNC_TYPE_MUTEX, NULL);
	objs[3] = rtsync_test_create(test, "s0", RTSYNC_TYPE_SEM, &sem);
	objs[4] = rtsync_test_create(test, "s1", RTSYNC_TYPE_SEM, &sem);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(&objs[0]->mutex, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(&objs[1]->mutex, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(&objs[1]->mutex, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_sem_trywait(&objs[3]->sem), 0);
	KUNIT_EXPECT_EQ(test, rtsync_sem_post(&objs[4]->sem, 2, &prev), 0);
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start + 5);

	for (i = 0; i < ARRAY_SIZE(objs); i++)
		KUNIT_EXPECT_EQ(test, rtsync_registry_unlink(objs[i]->name), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(&objs[0]->mutex), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(&objs[1]->mutex), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(&objs[1]->mutex), 0);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		KUNIT_EXPECT_EQ(test, rtsync_test_kref(objs[i]), 1U);
		rtsync_test_put(test, objs[i]);
	}
	KUNIT_EXPECT_EQ(test, rtsync_test_count(), ctx->objects_at_start);
}

static struct kunit_case rtsync_registry_test_cases[] = {
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

/* ------------------------------------------------------------------ */
/* Mutex: ownership, recursion, robustness.                           */

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

static void rtsync_mutex_lock_sets_owner(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_object *obj = rtsync_mutex_object(m);

	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), current);
	KUNIT_EXPECT_EQ(test, m->recursion, 1U);
	KUNIT_EXPECT_EQ(test, m->state, (unsigned int)RTSYNC_MUTEX_NORMAL);
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

static void rtsync_mutex_relock_edeadlk(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");

	KUNIT_ASSERT_EQ(test, rtsync_mutex_lock(m, NULL), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(m, NULL), -EDEADLK);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), -EDEADLK);
	KUNIT_EXPECT_EQ(test, m->recursion, 1U);
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(rtsync_mutex_object(m)), 2U);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), -EPERM);
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
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(rtsync_mutex_object(m)), 2U);
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
	KUNIT_EXPECT_EQ(test, m->state, (unsigned int)RTSYNC_MUTEX_NORMAL);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_unlock(m), 0);
}

static void rtsync_mutex_contended_lock_waits(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *holder = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(holder, rtsync_op_lock, m), 0);
	rtsync_actor_start_mutex(waiter, rtsync_op_lock, m);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(atomic_read(&m->waiters) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_FALSE(test, rtsync_actor_wait(waiter,
						   RTSYNC_TEST_QUIET_MS));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(holder, rtsync_op_unlock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), waiter->task);
	KUNIT_EXPECT_EQ(test, atomic_read(&m->waiters), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
}

static void rtsync_mutex_signal_interrupts_lock(struct kunit *test)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");
	struct rtsync_actor *holder = rtsync_actor_new(test);
	struct rtsync_actor *waiter = rtsync_actor_new(test);

	KUNIT_ASSERT_EQ(test, rtsync_actor_call(holder, rtsync_op_lock, m), 0);
	rtsync_actor_start_mutex(waiter, rtsync_op_lock, m);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(atomic_read(&m->waiters) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	rtsync_actor_interrupt(waiter);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), -ERESTARTSYS);
	/* Not acquired, not waiting, the owner unchanged. */
	KUNIT_EXPECT_EQ(test, atomic_read(&m->waiters), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), holder->task);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(holder, rtsync_op_unlock, m), 0);
	/* The interrupted thread can lock afterwards. */
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_lock, m), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
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
	KUNIT_EXPECT_EQ(test, atomic_read(&m->waiters), 0);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), holder->task);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(holder, rtsync_op_unlock, m), 0);
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
	struct rtsync_object *obj = rtsync_mutex_object(m);

	rtsync_test_die_holding(test, rtsync_actor_new(test), m);
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->state),
			(unsigned int)RTSYNC_MUTEX_OWNER_DIED);
	/* Holding took no reference, and the death left none behind. */
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(obj), 2U);

	KUNIT_ASSERT_EQ(test, rtsync_mutex_trylock(m), -EOWNERDEAD);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), current);
	KUNIT_EXPECT_EQ(test, m->state,
			(unsigned int)RTSYNC_MUTEX_INCONSISTENT);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_consistent(m), 0);
	KUNIT_EXPECT_EQ(test, m->state, (unsigned int)RTSYNC_MUTEX_NORMAL);
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
	KUNIT_ASSERT_TRUE(test, rtsync_poll(atomic_read(&m->waiters) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	rtsync_actor_stop(owner);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), -EOWNERDEAD);
	KUNIT_EXPECT_PTR_EQ(test, rtsync_mutex_owner(m), waiter->task);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_consistent, m),
			0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(waiter, rtsync_op_unlock, m), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->state),
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
		KUNIT_EXPECT_EQ(test, READ_ONCE(m[i]->state),
				(unsigned int)RTSYNC_MUTEX_OWNER_DIED);
		KUNIT_EXPECT_EQ(test, rtsync_test_kref(rtsync_mutex_object(m[i])),
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
	KUNIT_EXPECT_EQ(test, READ_ONCE(m->state),
			(unsigned int)RTSYNC_MUTEX_NOTRECOVERABLE);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_EQ(test, rtsync_mutex_lock(m, NULL), -ENOTRECOVERABLE);
	KUNIT_EXPECT_EQ(test, rtsync_mutex_trylock(m), -ENOTRECOVERABLE);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(other, rtsync_op_lock, m),
			-ENOTRECOVERABLE);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(rtsync_mutex_object(m)), 2U);
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
	KUNIT_ASSERT_TRUE(test, rtsync_poll(atomic_read(&m->waiters) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(repairer, rtsync_op_unlock, m),
			0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(waiter), -ENOTRECOVERABLE);
	KUNIT_EXPECT_NULL(test, rtsync_mutex_owner(m));
	KUNIT_EXPECT_EQ(test, rtsync_test_kref(rtsync_mutex_object(m)), 2U);
}

/* A mutex held by a new actor, unlinked: the case's is its last reference. */
static struct rtsync_mutex *rtsync_test_held_unlinked(struct kunit *test,
						      struct rtsync_actor **owner)
{
	struct rtsync_mutex *m = rtsync_test_mutex(test, "m");

	*owner = rtsync_actor_new(test);
	KUNIT_ASSERT_EQ(test, rtsync_actor_call(*owner, rtsync_op_lock, m), 0);
	KUNIT_ASSERT_EQ(test,
			rtsync_registry_unlink(rtsync_mutex_object(m)->name), 0);
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

	rtsync_test_put(test, rtsync_mutex_object(m));
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
	struct rtsync_object *obj = rtsync_mutex_object(m);

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

/* ------------------------------------------------------------------ */
/* Mutex: deadlock detection.                                          */

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
	KUNIT_ASSERT_TRUE(test, rtsync_poll(atomic_read(&m2->waiters) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(b, rtsync_op_lock, m1),
			-EDEADLK);
	/* B did not queue on m1; A still waits. */
	KUNIT_EXPECT_EQ(test, atomic_read(&m1->waiters), 0);
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
				  rtsync_poll(atomic_read(&m[i + 1]->waiters) == 1,
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
	KUNIT_ASSERT_TRUE(test, rtsync_poll(atomic_read(&m1->waiters) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	rtsync_actor_start_mutex(c, rtsync_op_lock, m2);
	KUNIT_ASSERT_TRUE(test, rtsync_poll(atomic_read(&m2->waiters) == 1,
					    RTSYNC_TEST_TIMEOUT_MS));
	KUNIT_EXPECT_FALSE(test, rtsync_actor_wait(c, RTSYNC_TEST_QUIET_MS));
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(a, rtsync_op_unlock, m1), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(b), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(b, rtsync_op_unlock, m1), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(b, rtsync_op_unlock, m2), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_result(c), 0);
	KUNIT_EXPECT_EQ(test, rtsync_actor_call(c, rtsync_op_unlock, m2), 0);
}

static struct kunit_case rtsync_mutex_test_cases[] = {
	KUNIT_CASE(rtsync_mutex_thread_record_on_first_lock),
	KUNIT_CASE(rtsync_mutex_lock_sets_owner),
	KUNIT_CASE(rtsync_mutex_relock_edeadlk),
	KUNIT_CASE(rtsync_mutex_recursive_counts),
	KUNIT_CASE(rtsync_mutex_trylock_ebusy),
	KUNIT_CASE(rtsync_mutex_unlock_by_other_eperm),
	KUNIT_CASE(rtsync_mutex_consistent_needs_owner_death),
	KUNIT_CASE(rtsync_mutex_contended_lock_waits),
	KUNIT_CASE(rtsync_mutex_signal_interrupts_lock),
	KUNIT_CASE(rtsync_mutex_timed_lock_in_kthread),
	KUNIT_CASE(rtsync_mutex_owner_death_eownerdead),
	KUNIT_CASE(rtsync_mutex_owner_death_wakes_waiter),
	KUNIT_CASE(rtsync_mutex_owner_death_releases_all),
	KUNIT_CASE(rtsync_mutex_unlock_inconsistent_notrecoverable),
	KUNIT_CASE(rtsync_mutex_notrecoverable_reaches_sleepers),
	KUNIT_CASE(rtsync_mutex_owner_death_frees_object),
	KUNIT_CASE(rtsync_mutex_owner_death_before_release),
	KUNIT_CASE(rtsync_mutex_deadlock_abba),
	KUNIT_CASE(rtsync_mutex_deadlock_abba_race),
	KUNIT_CASE(rtsync_mutex_deadlock_cycle_of_three),
	KUNIT_CASE(rtsync_mutex_chain_without_cycle_waits),
	{}
};

static struct kunit_suite rtsync_mutex_suite = {
	.name = "rtsync_mutex",
	.init = rtsync_test_init,
	.exit = rtsync_test_exit,
	.test_cases = rtsync_mutex_test_cases,
};

/* ------------------------------------------------------------------ */
/* Priority inheritance.                                               */

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
	KUNIT_ASSERT_TRUE(test, rtsync_poll(atomic_read(&m1->waiters) == 1,
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

/* ------------------------------------------------------------------ */
/* Semaphores.                                                         */

static u32 rtsync_test_sem_count(struct rtsync_sem *s)
{
	u32 count;

	spin_lock(&s->lock);
	count = s->count;
	spin_unlock(&s->lock);
	return count;
}

static u32 rtsync_test_sem_waiters(struct rtsync_sem *s)
{
	u32 n;

	spin_lock(&s->lock);
	n = s->sleepers.count;
	spin_unlock(&s->lock);
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
	KUNIT_EXPECT_EQ(test, rtsync_sem_object(s)->type, (u32)RTSYNC_TYPE_SEM);
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

/* ------------------------------------------------------------------ */
/* Condition variables.                                                */

/* Rounds of each wake-right-after-release race. */
#define RTSYNC_TEST_COND_ROUNDS	100

static struct rtsync_cond *rtsync_test_cond(struct kunit *test,
					    const char *tag)
{
	static const struct rtsync_create_params none;

	return &rtsync_test_create(test, tag, RTSYNC_TYPE_COND, &none)->cond;
}

static u32 rtsync_test_cond_sleepers(struct rtsync_cond *c)
{
	u32 n;

	spin_lock(&c->lock);
	n = c->sleepers.count;
	spin_unlock(&c->lock);
	return n;
}

static struct rtsync_mutex *rtsync_test_cond_mutex(struct rtsync_cond *c)
{
	struct rtsync_mutex *m;

	spin_lock(&c->lock);
	m = c->mutex;
	spin_unlock(&c->lock);
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
	KUNIT_EXPECT_TRUE(test, rtsync_poll(atomic_read(&m->waiters) == 1,
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
				      rtsync_poll(atomic_read(&m->waiters) == 1,
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

kunit_test_suites(&rtsync_name_suite, &rtsync_registry_suite,
		  &rtsync_mutex_suite, &rtsync_pi_suite, &rtsync_sem_suite,
		  &rtsync_cond_suite);

MODULE_DESCRIPTION("KUnit tests of rtsync's internal API");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
