/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared fixtures of rtsync_kunit.ko, the KUnit tests of rtsync's internal
 * API: actors, the objects, credentials and module parameters a case sets
 * up, and the per-case init and exit every suite uses. They are defined,
 * and the approach explained, in kunit_fixtures.c.
 */
#ifndef RTSYNC_KUNIT_H
#define RTSYNC_KUNIT_H

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/wait.h>
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

struct rtsync_actor *rtsync_actor_new(struct kunit *test);
void rtsync_actor_start(struct rtsync_actor *a, rtsync_actor_op op);
void rtsync_actor_start_mutex(struct rtsync_actor *a, rtsync_actor_op op,
			      struct rtsync_mutex *m);
int rtsync_actor_result(struct rtsync_actor *a);
int rtsync_actor_call(struct rtsync_actor *a, rtsync_actor_op op,
		      struct rtsync_mutex *m);
void rtsync_actor_interrupt(struct rtsync_actor *a);
void rtsync_actor_stop(struct rtsync_actor *a);
void rtsync_actor_set_fifo(struct rtsync_actor *a, int priority);

static inline bool rtsync_actor_wait(struct rtsync_actor *a, unsigned int ms)
{
	return wait_for_completion_timeout(&a->done, msecs_to_jiffies(ms));
}

static inline bool rtsync_actor_finished(struct rtsync_actor *a)
{
	return completion_done(&a->done);
}

/* Operations for rtsync_actor_start() used by more than one suite. */
int rtsync_op_lock(struct rtsync_actor *a);
int rtsync_op_unlock(struct rtsync_actor *a);

/* ------------------------------------------------------------------ */
/* Objects, credentials and limits, all undone by rtsync_test_exit(). */

const char *rtsync_test_name(struct kunit *test, const char *tag);
struct rtsync_object *
rtsync_test_open(struct kunit *test, const char *name, u32 type, u32 flags,
		 umode_t mode, const struct rtsync_open_args *p,
		 bool *created);
struct rtsync_object *
rtsync_test_create(struct kunit *test, const char *tag, u32 type,
		   const struct rtsync_open_args *p);
struct rtsync_mutex *rtsync_test_mutex_flags(struct kunit *test,
					     const char *tag, u32 flags);
struct rtsync_mutex *rtsync_test_mutex(struct kunit *test, const char *tag);
bool rtsync_test_forget(struct kunit *test, struct rtsync_object *obj);
void rtsync_test_put(struct kunit *test, struct rtsync_object *obj);
unsigned int rtsync_test_count(void);

static inline unsigned int rtsync_test_kref(struct rtsync_object *obj)
{
	return kref_read(&obj->ref);
}

void rtsync_test_become(struct kunit *test, uid_t uid, bool privileged);
void rtsync_test_revert(struct kunit *test);
void rtsync_test_set_param(struct kunit *test, const char *name,
			   unsigned int value);

/* Every suite's .init and .exit. */
int rtsync_test_init(struct kunit *test);
void rtsync_test_exit(struct kunit *test);

#endif /* RTSYNC_KUNIT_H */
