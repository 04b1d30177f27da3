/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtsync internal API: shared by the module's files and by the KUnit suite.
 *
 * Objects
 *   struct rtsync_object is one named mutex, semaphore or condition
 *   variable. Its kref counts the name while it is linked in the registry
 *   and every open file; LOCK and UNLOCK run through a file, so they need
 *   no reference of their own. A mutex still held when the last reference
 *   goes is not freed: it is left to its owner, whose exit or exec probe
 *   frees it (rtsync_mutex_orphan()). Frees are deferred to a workqueue,
 *   because the last put can happen in the thread-exit probe, where
 *   nothing may sleep.
 *
 * Locking order (outer to inner):
 *   rtsync_registry_lock (mutex: names, limits, permissions)
 *   rt_mutex of a mutex object (held across system calls by its owner)
 *   rtsync_chain_lock (raw spinlock: who is blocked on what; contended path
 *                      only)
 *   thread hash bucket locks (raw spinlocks)
 *   rtsync_sem.lock, rtsync_cond.lock (spinlocks)
 */
#ifndef RTSYNC_INTERNAL_H
#define RTSYNC_INTERNAL_H

#include <linux/file.h>
#include <linux/hash.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/rhashtable-types.h>
#include <linux/rtmutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include <linux/rtsync.h>

/**
 * struct rtsync_thread - rtsync's record of one thread (owner.c)
 * @task:       the thread; the hash key.
 * @node:       entry in its rtsync_thread_hash bucket (RCU).
 * @held:       rtsync_mutex.held_node of every mutex it holds. Only the
 *              thread itself (or its exit/exec probe) touches this list.
 * @blocked_on: the mutex it sleeps on in LOCK, or NULL. rtsync_chain_lock.
 * @rcu:        the record is freed after a grace period: deadlock walks
 *              may still be reading it.
 */
struct rtsync_thread {
	struct task_struct *task;
	struct hlist_node node;
	struct hlist_head held;
	struct rtsync_mutex *blocked_on;
	struct rcu_head rcu;
};

/* Robust state of a mutex; see rtsync_mutex.state. */
enum rtsync_mutex_state {
	RTSYNC_MUTEX_NORMAL,
	RTSYNC_MUTEX_OWNER_DIED,	/* free; next acquirer gets EOWNERDEAD */
	RTSYNC_MUTEX_INCONSISTENT,	/* held after EOWNERDEAD */
	RTSYNC_MUTEX_NOTRECOVERABLE,	/* final: every lock fails */
};

/**
 * struct rtsync_mutex - a PI mutex owned by a thread
 * @rtm:        wait queue, priority inheritance and the owner: the thread
 *              that holds @rtm owns the mutex (rtsync_mutex_owner()). Held
 *              by the owner across system calls; lockdep is told user
 *              space holds it.
 * @held_node:  entry in the owner's rtsync_thread.held list; only the owner
 *              touches it.
 * @recursion:  how many times the owner holds it. Owner only.
 * @state:      enum rtsync_mutex_state. Written only by the holder of @rtm,
 *              read locklessly (NOTRECOVERABLE is final).
 * @waiters:    threads sleeping in LOCK, for INFO.
 * @orphaned:   set by whichever comes first of the object's last put and
 *              the owner's exit or exec probe finding no reference left;
 *              the second frees the object (rtsync_mutex_orphan()).
 * @recursive:  RECURSIVE flag; constant after creation.
 */
struct rtsync_mutex {
	struct rt_mutex rtm;
	struct hlist_node held_node;
	unsigned int recursion;
	unsigned int state;
	atomic_t waiters;
	atomic_t orphaned;
	bool recursive;
};

/**
 * struct rtsync_waiter - one sleeper on an rtsync_waitq (waitq.c)
 * @node:  entry in rtsync_waitq.head while queued.
 * @task:  the sleeping thread.
 * @prio:  its task->prio when it queued.
 * @woken: a waker dequeued it on purpose.
 */
struct rtsync_waiter {
	struct list_head node;
	struct task_struct *task;
	int prio;
	bool woken;
};

/**
 * struct rtsync_waitq - sleepers in priority order, FIFO within a priority
 * @head:  rtsync_waiter entries, most urgent first.
 * @count: number of entries.
 *
 * Protected by the lock of the object that embeds it.
 */
struct rtsync_waitq {
	struct list_head head;
	u32 count;
};

/*
 * Threads to wake after the object's lock is dropped (waitq.c). Lives on
 * the waker's stack; the first RTSYNC_WAKE_BATCH wake-ups of one call wait
 * for the unlock, any beyond are done at once.
 */
#define RTSYNC_WAKE_BATCH 8
struct rtsync_wake {
	unsigned int n;
	struct task_struct *task[RTSYNC_WAKE_BATCH];
};

/**
 * struct rtsync_sem - a counting semaphore with no owner
 * @lock:     protects @count and @sleepers.
 * @count:    units available, 0..@max.
 * @max:      constant after creation.
 * @sleepers: threads waiting for a unit.
 * @poll_wq:  poll() sleepers; woken whenever @count becomes non-zero.
 */
struct rtsync_sem {
	spinlock_t lock;		/* see the kernel-doc above */
	u32 count;
	u32 max;
	struct rtsync_waitq sleepers;
	wait_queue_head_t poll_wq;
};

/**
 * struct rtsync_cond - a condition variable
 * @lock:     protects @sleepers and @mutex.
 * @sleepers: threads in COND_WAIT that no SIGNAL/BROADCAST has taken yet.
 * @mutex:    the mutex the current sleepers wait with; NULL when there are
 *            none. Only compared, never dereferenced: each sleeper holds a
 *            reference to that mutex's file for the duration of its wait.
 */
struct rtsync_cond {
	spinlock_t lock;		/* see the kernel-doc above */
	struct rtsync_waitq sleepers;
	struct rtsync_mutex *mutex;
};

struct rtsync_user;

/**
 * struct rtsync_object - a named object
 * @ref:       see the top of this file.
 * @type:      RTSYNC_TYPE_*; constant.
 * @node:      entry in the name table while linked. Registry lock.
 * @list_node: entry in the list of linked objects (for /proc/rtsync).
 *             Registry lock.
 * @linked:    the name still refers to this object. Registry lock; read
 *             locklessly for INFO.
 * @cuid, @cgid: creator; constant.
 * @uid, @gid, @mode: owner and permission bits. Registry lock.
 * @user:      per-user accounting entry of the creator. Registry lock.
 * @free_node: entry in the list of objects to free after the last put.
 * @name_len:  length of @name without the NUL; constant.
 * @name:      NUL-terminated name; constant.
 */
struct rtsync_object {
	struct kref ref;
	u32 type;
	struct rhash_head node;
	struct list_head list_node;
	bool linked;
	kuid_t cuid;
	kgid_t cgid;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	struct rtsync_user *user;
	struct llist_node free_node;
	union {
		struct rtsync_mutex mutex;
		struct rtsync_sem sem;
		struct rtsync_cond cond;
	};
	u32 name_len;
	char name[];
};

/* Type-specific creation parameters, already validated. */
struct rtsync_create_params {
	u32 mutex_flags;
	u32 sem_value;
	u32 sem_max;
};

/* A validated absolute deadline; see timeout.c. */
struct rtsync_deadline {
	clockid_t clockid;
	ktime_t expires;
};

/* registry.c */
extern unsigned int rtsync_max_objects;
extern unsigned int rtsync_max_objects_per_user;
int rtsync_registry_init(void);
void rtsync_registry_exit(void);
int rtsync_name_valid(const char *name, size_t len);
struct rtsync_object *rtsync_registry_open(const char *name, u32 type,
					   u32 flags, umode_t mode,
					   const struct rtsync_create_params *p,
					   bool *created);
int rtsync_registry_unlink(const char *name);
int rtsync_registry_setperm(struct rtsync_object *obj,
			    const struct rtsync_setperm_args *args);
void rtsync_registry_unlink_object(struct rtsync_object *obj);
void rtsync_object_release(struct kref *ref);
void rtsync_object_free_later(struct rtsync_object *obj);
unsigned int rtsync_object_count(void);
void rtsync_registry_flush(void);
struct list_head *rtsync_registry_seq_start(loff_t *pos);
struct list_head *rtsync_registry_seq_next(struct list_head *v, loff_t *pos);
void rtsync_registry_seq_stop(void);
bool rtsync_registry_seq_is_head(struct list_head *v);

/* procfs.c */
int rtsync_procfs_init(void);
void rtsync_procfs_exit(void);

/* owner.c */
struct rtsync_thread *rtsync_thread_create(void);
int rtsync_thread_block_on(struct rtsync_thread *self, struct rtsync_mutex *m);
void rtsync_thread_unblock(struct rtsync_thread *self);
int rtsync_owner_init(void);
void rtsync_owner_exit(void);

/* mutex.c */
void rtsync_mutex_init(struct rtsync_mutex *m, u32 flags);
int rtsync_mutex_lock(struct rtsync_mutex *m,
		      const struct rtsync_deadline *deadline);
int rtsync_mutex_trylock(struct rtsync_mutex *m);
int rtsync_mutex_unlock(struct rtsync_mutex *m);
int rtsync_mutex_consistent(struct rtsync_mutex *m);
int rtsync_mutex_check_wait(struct rtsync_mutex *m);
int rtsync_mutex_relock(struct rtsync_mutex *m);
void rtsync_mutex_owner_died(struct rtsync_mutex *m);
bool rtsync_mutex_orphan(struct rtsync_mutex *m);
void rtsync_mutex_get_info(struct rtsync_mutex *m,
			   struct rtsync_mutex_info *info);
long rtsync_mutex_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg);

/* sem.c */
void rtsync_sem_init(struct rtsync_sem *s, u32 value, u32 max);
int rtsync_sem_wait(struct rtsync_sem *s,
		    const struct rtsync_deadline *deadline);
int rtsync_sem_trywait(struct rtsync_sem *s);
int rtsync_sem_post(struct rtsync_sem *s, u32 count, u32 *prev);
void rtsync_sem_get_info(struct rtsync_sem *s, struct rtsync_sem_info *info);
long rtsync_sem_ioctl(struct file *file, unsigned int cmd,
		      unsigned long arg);
__poll_t rtsync_sem_poll(struct rtsync_sem *s, struct file *file,
			 poll_table *wait);

/* cond.c */
void rtsync_cond_init(struct rtsync_cond *c);
int rtsync_cond_wait(struct rtsync_cond *c, struct rtsync_mutex *m,
		     const struct rtsync_deadline *deadline);
u32 rtsync_cond_wake(struct rtsync_cond *c, u32 max);
void rtsync_cond_get_info(struct rtsync_cond *c, struct rtsync_cond_info *info);
long rtsync_cond_ioctl(struct file *file, unsigned int cmd,
		       unsigned long arg);

/* waitq.c */
void rtsync_waitq_init(struct rtsync_waitq *q);
void rtsync_waitq_add(struct rtsync_waitq *q, struct rtsync_waiter *w);
bool rtsync_waitq_wake_one(struct rtsync_waitq *q, struct rtsync_wake *batch);
void rtsync_wake_run(struct rtsync_wake *batch);
void rtsync_waitq_sleep(struct rtsync_waitq *q, struct rtsync_waiter *w, spinlock_t *lock);

/* timeout.c */
struct rtsync_timeout;
int rtsync_deadline_from_user(const struct rtsync_wait_args *args,
			      struct rtsync_deadline *deadline);
int rtsync_wait_args_from_user(const void __user *argp,
			       struct rtsync_deadline *deadline);
struct rtsync_timeout *rtsync_timeout_start(const struct rtsync_deadline *d);
bool rtsync_timeout_stop(struct rtsync_timeout *t);

/* main.c: helpers shared by the object ioctls */
struct rtsync_info_head {	/* how every rtsync_*_info struct begins */
	__u64 name;
	__u32 name_size;
};

long rtsync_ioctl_info(struct rtsync_object *obj, void __user *argp,
		       void *info, size_t size,
		       int (*fill)(struct rtsync_object *obj, void *info));
struct rtsync_object *rtsync_object_fdget(int fd, struct fd *f);
long rtsync_obj_ioctl_common(struct rtsync_object *obj, unsigned int cmd,
			     void __user *argp);

/*
 * The thread that holds @m, or NULL: the owner of its rt_mutex, read as
 * kernel/locking/rtmutex_common.h's rt_mutex_owner() does (bit 0 of the
 * field flags waiters). Lockless; only compare the result with current,
 * or dereference it under RCU (task_structs are RCU-freed). There is no
 * second copy of the owner to keep in step: the rt_mutex changes hands
 * in one atomic step, so what this returns is never stale in the other
 * direction (free while the rt_mutex is still held).
 */
static inline struct task_struct *rtsync_mutex_owner(struct rtsync_mutex *m)
{
	unsigned long owner = (unsigned long)READ_ONCE(m->rtm.rtmutex.owner);

	return (struct task_struct *)(owner & ~1UL);
}

/* Inline: LOCK and UNLOCK of a mutex take and drop a reference. */
/* May be called in atomic context: the free is deferred. */
static inline void rtsync_object_put(struct rtsync_object *obj)
{
	kref_put(&obj->ref, rtsync_object_release);
}

static inline struct rtsync_object *rtsync_mutex_object(struct rtsync_mutex *m)
{
	return container_of(m, struct rtsync_object, mutex);
}

static inline struct rtsync_object *rtsync_sem_object(struct rtsync_sem *s)
{
	return container_of(s, struct rtsync_object, sem);
}

static inline struct rtsync_object *rtsync_cond_object(struct rtsync_cond *c)
{
	return container_of(c, struct rtsync_object, cond);
}

/*
 * The thread records (owner.c), hashed by task_struct pointer. The lookup
 * is inline because every LOCK makes it.
 */
#define RTSYNC_THREAD_HASH_BITS 10
struct rtsync_thread_bucket {
	raw_spinlock_t lock;	/* insert and remove; lookups are RCU */
	struct hlist_head head;
};

extern struct rtsync_thread_bucket
	rtsync_thread_hash[1 << RTSYNC_THREAD_HASH_BITS];

static inline struct rtsync_thread_bucket *
rtsync_bucket(struct task_struct *task)
{
	return &rtsync_thread_hash[hash_ptr(task, RTSYNC_THREAD_HASH_BITS)];
}

/* Caller is in an RCU read-side section (or preemption disabled). */
static inline struct rtsync_thread *rtsync_thread_find(struct task_struct *task)
{
	struct rtsync_thread *t;

	hlist_for_each_entry_rcu(t, &rtsync_bucket(task)->head, node)
		if (t->task == task)
			return t;
	return NULL;
}

/**
 * rtsync_thread_current - the calling thread's record
 * @create: make one if it has none (may sleep)
 *
 * The record stays until the thread exits. Return: the record, or NULL
 * (none and !@create, or out of memory).
 */
static inline struct rtsync_thread *rtsync_thread_current(bool create)
{
	struct rtsync_thread *t;

	/*
	 * A preemption-disabled section is an RCU reader too (kfree_rcu()
	 * waits for it), and costs less than rcu_read_lock() with
	 * preemptible RCU.
	 */
	rcu_read_lock_sched();
	t = rtsync_thread_find(current);
	rcu_read_unlock_sched();
	/* Only current adds or removes its own record: t stays valid. */
	if (t || !create)
		return t;
	return rtsync_thread_create();
}

#endif /* RTSYNC_INTERNAL_H */
