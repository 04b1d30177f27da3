/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtsync internal API: shared by the module's files and by the KUnit suite.
 *
 * Files, each calling only the ones below it:
 *   main.c      /dev/rtsync (OPEN, UNLINK, VERSION, NOP), module init/exit
 *   procfs.c    /proc/rtsync
 *   mutex.c sem.c cond.c
 *               one object type each: its state, its ioctls, its file
 *               operations and its struct rtsync_type
 *   object.c    what every object file shares: the type table, the ioctls
 *               common to all types, INFO's copy-out, fd to object
 *   registry.c  names, object lifetime, permissions, limits
 *   chain.c     the wait path: deadlock and chain-length checks (mutexes)
 *   owner.c     thread records (mutexes)
 *   waitq.c     the priority-ordered sleepers of semaphores and conditions
 *   timeout.c   deadlines and timed waits
 *   stats.c     contention statistics; trace.c: the trace events (trace.h)
 * registry.c and procfs.c reach a type only through its struct rtsync_type.
 *
 * Locking order (outer to inner):
 *   rtsync_registry_lock (mutex: names, limits, permissions)
 *   rt_mutex of a mutex object (held across system calls by its owner)
 *   thread hash bucket locks (raw spinlocks)
 *   rtsync_waitq.lock of a semaphore or condition (spinlock)
 */
#ifndef RTSYNC_INTERNAL_H
#define RTSYNC_INTERNAL_H

#include <linux/bug.h>
#include <linux/file.h>
#include <linux/hash.h>
#include <linux/jump_label.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/rhashtable-types.h>
#include <linux/rtmutex.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include <linux/rtsync.h>

/*
 * rtsync_assert - check an invariant the code relies on ("only the owner
 * touches this", "called under that lock" where lockdep cannot say it).
 * Checked on kernels built to find locking bugs (PROVE_LOCKING or
 * DEBUG_RT_MUTEXES, as the debug kernel of make check is); elsewhere it
 * compiles to nothing, so the uncontended path pays nothing for it.
 */
#if IS_ENABLED(CONFIG_PROVE_LOCKING) || IS_ENABLED(CONFIG_DEBUG_RT_MUTEXES)
#define RTSYNC_CHECK_INVARIANTS 1
#else
#define RTSYNC_CHECK_INVARIANTS 0
#endif
#define rtsync_assert(cond)						\
	do {								\
		if (RTSYNC_CHECK_INVARIANTS)				\
			WARN_ON_ONCE(!(cond));				\
	} while (0)

struct rtsync_object;
struct seq_file;

/**
 * struct rtsync_type - an object type, as the common code sees it
 * @name:         the type column of /proc/rtsync ("mutex").
 * @file_name:    the name of the object files, as /proc/PID/fd shows it.
 * @fops:         the object files' operations: the type's ioctl, which
 *                passes what it does not know to rtsync_object_ioctl(),
 *                poll (rtsync_object_nopoll() if never ready) and
 *                .release = rtsync_object_file_release.
 * @size:         size of the type's structure; it begins with its struct
 *                rtsync_object, and the name follows it.
 * @ioctls:       the type's ioctl commands (@nr_ioctls of them): another
 *                type's file answers them with EINVAL, not ENOTTY.
 * @nr_ioctls:    see @ioctls.
 * @check_create: validate the creation fields of OPEN's arguments (called
 *                only when OPEN may create); 0 or -EINVAL.
 * @init:         set up the type's part of a new, zeroed object from
 *                arguments @check_create accepted; cannot fail.
 * @release:      the object's last reference is gone (may run in atomic
 *                context). Return true if a user that the reference count
 *                does not count still has it; that user frees it (see
 *                struct rtsync_object). NULL: never.
 * @show:         print the type's columns of its /proc/rtsync line (tid
 *                pid flags value max waiters, '-' where one does not
 *                apply), each preceded by a space.
 * @stats:        fill in the counters the type keeps itself (stats.c:
 *                those that cost nothing where they are counted).
 * @stats_reset:  zero them.
 * @module_init:  optional: set up what the type needs module-wide.
 * @module_exit:  optional: undo @module_init; only called with no object
 *                of the type left.
 */
struct rtsync_type {
	const char *name;
	const char *file_name;
	const struct file_operations *fops;
	size_t size;
	const unsigned int *ioctls;
	unsigned int nr_ioctls;
	int (*check_create)(const struct rtsync_open_args *args);
	void (*init)(struct rtsync_object *obj,
		     const struct rtsync_open_args *args);
	bool (*release)(struct rtsync_object *obj);
	void (*show)(struct seq_file *m, struct rtsync_object *obj);
	void (*stats)(struct rtsync_object *obj, struct rtsync_stats *out);
	void (*stats_reset)(struct rtsync_object *obj);
	int (*module_init)(void);
	void (*module_exit)(void);
};

/* Each type's table lives in its own file; object.c maps RTSYNC_TYPE_*. */
extern const struct rtsync_type rtsync_mutex_type;
extern const struct rtsync_type rtsync_sem_type;
extern const struct rtsync_type rtsync_cond_type;

struct rtsync_user;
struct rtsync_ns;
struct vfsmount;

/**
 * struct rtsync_contention - what an object counts on its contended path
 * @contended:   waits that slept and then got the object.
 * @wait_ns:     total time slept, whatever the outcome.
 * @wait_max_ns: longest sleep.
 * @hold_max_ns: mutex: longest hold timed (module parameter hold_time).
 * @hold_start:  mutex: when the owner took it, if timed; 0 otherwise.
 *               Written by the owner only (rtsync_assert_owner()).
 * @hold_seq:    mutex: its @acquisitions when @hold_start was taken, so
 *               that a hold that began untimed is not measured.
 * @timeouts:    waits that ended in ETIMEDOUT.
 * @deadlocks:   mutex: EDEADLK refusals.
 *
 * Allocated at the object's first contention (stats.c) and freed with the
 * object, so that an object that is never contended pays no memory for
 * it; many waiters update it at once, hence atomics.
 */
struct rtsync_contention {
	atomic64_t contended;
	atomic64_t wait_ns;
	atomic64_t wait_max_ns;
	atomic64_t hold_max_ns;
	u64 hold_start;
	u64 hold_seq;
	atomic_t timeouts;
	atomic_t deadlocks;
};

/**
 * struct rtsync_object - what every named object has
 * @ref:       the object's references; see the lifetime rule below.
 * @type:      its type; constant.
 * @node:      entry in the name table while linked. Registry lock.
 * @list_node: entry in its namespace's list of linked objects (for
 *             /proc/rtsync). Registry lock.
 * @ns:        the IPC namespace of its name (registry.c: struct
 *             rtsync_ns), part of the name's key; NULL once unlinked.
 *             Registry lock.
 * @linked:    the name still refers to this object. Registry lock; read
 *             locklessly for INFO.
 * @cuid, @cgid: creator; constant.
 * @uid, @gid, @mode: owner and permission bits. Registry lock.
 * @user:      the creator's accounting level (registry.c: struct
 *             rtsync_user), charged with every level above. Registry lock.
 * @free_node: entry in the list of objects to free after the last put.
 * @name_len:  length of the name without the NUL; constant.
 * @contention: its contention counters, or NULL until its first
 *             contention; set once (cmpxchg), freed with the object.
 *
 * The object is the first member of its type's structure (@type->size
 * bytes), and its NUL-terminated name follows that structure in the same
 * allocation (rtsync_object_name()).
 *
 * Lifetime, the one rule: an object is freed when the last of its users
 * lets go of it. Its users are its name while linked and each open file,
 * counted in @ref, and, for a mutex, its owner while it holds it, not
 * counted, so that LOCK and UNLOCK (which run through a file, a counted
 * user) do no atomic operation of rtsync's own. Hence when @ref reaches
 * zero the type's release step is asked whether an uncounted user is
 * left (a mutex: still held); if so, that user frees the object when it
 * lets go (a mutex's owner can then only let go by dying or exec'ing:
 * rtsync_mutex_orphan()). Frees are deferred to a workqueue, because the
 * last user can let go in the thread-exit probe, where nothing may sleep,
 * and wait for an RCU grace period there (chain.c reads mutexes under RCU).
 */
struct rtsync_object {
	struct kref ref;
	umode_t mode;
	bool linked;
	u8 name_len;
	const struct rtsync_type *type;
	struct rhash_head node;
	struct list_head list_node;
	struct rtsync_ns *ns;
	kuid_t cuid;
	kgid_t cgid;
	kuid_t uid;
	kgid_t gid;
	struct rtsync_user *user;
	struct llist_node free_node;
	struct rtsync_contention *contention;
};

static_assert(RTSYNC_NAME_MAX <= U8_MAX);

/* The name, stored right after the type's structure. */
static inline const char *rtsync_object_name(const struct rtsync_object *obj)
{
	return (const char *)obj + obj->type->size;
}

/**
 * struct rtsync_thread - rtsync's record of one thread (owner.c)
 * @task:       the thread; the hash key.
 * @node:       entry in its rtsync_thread_hash bucket (RCU).
 * @held:       rtsync_mutex.held_node of every mutex it holds. Only the
 *              thread itself touches this list (in its ioctls and in its
 *              own exit or exec probe): rtsync_assert_self().
 * @blocked_on: the mutex it sleeps on in LOCK; valid while @gen is odd.
 * @wait_state: how it sleeps there: TASK_INTERRUPTIBLE (LOCK) or
 *              TASK_KILLABLE (a condition wait taking its mutex back);
 *              valid while @gen is odd.
 * @gen:        odd while it waits on @blocked_on; one more at every start
 *              and end of a wait, so a reader can tell one wait from the
 *              next. Written by the thread only, read locklessly (chain.c).
 * @checking:   it is still walking its chain (chain.c); false once it
 *              goes to sleep on @blocked_on. Same rules.
 * @rcu:        the record is freed after a grace period: deadlock walks
 *              may still be reading it.
 */
struct rtsync_thread {
	struct task_struct *task;
	struct hlist_node node;
	struct hlist_head held;
	struct rtsync_mutex *blocked_on;
	unsigned int wait_state;
	u32 gen;
	bool checking;
	struct rcu_head rcu;
};

/* The caller is the thread @t records. */
#define rtsync_assert_self(t)	rtsync_assert((t)->task == current)

/* Robust state of a mutex; see rtsync_mutex.state. */
enum rtsync_mutex_state {
	RTSYNC_MUTEX_NORMAL,
	RTSYNC_MUTEX_OWNER_DIED,	/* free; next acquirer gets EOWNERDEAD */
	RTSYNC_MUTEX_INCONSISTENT,	/* held after EOWNERDEAD */
	RTSYNC_MUTEX_NOTRECOVERABLE,	/* final: every lock fails */
};

/**
 * struct rtsync_mutex - a PI mutex owned by a thread
 * @obj:        the object; first.
 * @rtm:        wait queue, priority inheritance and the owner: the thread
 *              that holds @rtm owns the mutex (rtsync_mutex_owner()). Held
 *              by the owner across system calls; lockdep is told user
 *              space holds it.
 * @held_node:  entry in the owner's rtsync_thread.held list. Owner only
 *              (rtsync_assert_owner()).
 * @recursion:  how many times the owner holds it. Owner only.
 * @state:      enum rtsync_mutex_state. Written only by the holder of @rtm,
 *              read locklessly (NOTRECOVERABLE is final).
 * @chain:      threads in LOCK's slow path, those of them asleep, and "up":
 *              a bound on the longest chain of waiters that ends in one of
 *              them (chain.c).
 * @orphaned:   set by whichever comes first of the object's release (its
 *              last reference gone while held) and the owner letting go
 *              in its exit or exec probe; the second frees the object.
 * @recursive:  RECURSIVE flag; constant after creation.
 * @owner_deaths: owners that died or exec'd holding it. Written by the
 *              dying owner only.
 * @acquisitions: times it was taken. Written by the new owner only.
 *
 * Laid out so that a mutex with a name of up to 23 bytes fits kmalloc-192.
 */
struct rtsync_mutex {
	struct rtsync_object obj;
	struct rt_mutex rtm;
	struct hlist_node held_node;
	unsigned int recursion;
	u8 state;
	bool recursive;
	atomic64_t chain;
	atomic_t orphaned;
	u32 owner_deaths;
	u64 acquisitions;
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
 * @lock:  protects @head, @count, every waiter on @head, and whatever
 *         state of the embedding object decides who sleeps (a
 *         semaphore's count, a condition's mutex).
 * @head:  rtsync_waiter entries, most urgent first.
 * @count: number of entries.
 * @max_count: the most entries it had at once (statistics; reset to
 *         @count).
 */
struct rtsync_waitq {
	spinlock_t lock;		/* see the kernel-doc above */
	struct list_head head;
	u32 count;
	u32 max_count;
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
 * @obj:      the object; first.
 * @count:    units available, 0..@max. @sleepers.lock.
 * @max:      constant after creation.
 * @sleepers: threads waiting for a unit.
 * @poll_wq:  poll() sleepers; woken whenever @count becomes non-zero.
 * @taken:    units taken by WAIT and TRYWAIT (statistics). @sleepers.lock.
 * @posts:    successful POSTs (statistics). @sleepers.lock.
 */
struct rtsync_sem {
	struct rtsync_object obj;
	u32 count;
	u32 max;
	struct rtsync_waitq sleepers;
	wait_queue_head_t poll_wq;
	u64 taken;
	u64 posts;
};

/**
 * struct rtsync_cond - a condition variable
 * @obj:      the object; first.
 * @sleepers: threads in COND_WAIT that no SIGNAL/BROADCAST has taken yet.
 * @signals:  SIGNALs and BROADCASTs (statistics). @sleepers.lock.
 * @mutex:    the mutex the current sleepers wait with; NULL when there are
 *            none. @sleepers.lock. Only compared, never dereferenced; the
 *            mutex cannot be freed (and its address reused) while a
 *            sleeper waits, because the sleeper's fdget() keeps the
 *            mutex's file open: with a reference of its own when the
 *            caller's fd table is shared, else through that table, which
 *            only the sleeping caller could change.
 */
struct rtsync_cond {
	struct rtsync_object obj;
	struct rtsync_waitq sleepers;
	struct rtsync_mutex *mutex;
	u64 signals;
};

static_assert(offsetof(struct rtsync_mutex, obj) == 0);
static_assert(offsetof(struct rtsync_sem, obj) == 0);
static_assert(offsetof(struct rtsync_cond, obj) == 0);

static inline struct rtsync_mutex *rtsync_to_mutex(struct rtsync_object *obj)
{
	return container_of(obj, struct rtsync_mutex, obj);
}

static inline struct rtsync_sem *rtsync_to_sem(struct rtsync_object *obj)
{
	return container_of(obj, struct rtsync_sem, obj);
}

static inline struct rtsync_cond *rtsync_to_cond(struct rtsync_object *obj)
{
	return container_of(obj, struct rtsync_cond, obj);
}

/* A validated absolute deadline; see timeout.c. */
struct rtsync_deadline {
	clockid_t clockid;
	ktime_t expires;
};

/* object.c */
const struct rtsync_type *rtsync_type_find(u32 type);
struct rtsync_object *rtsync_object_fdget(int fd, struct fd *f);
long rtsync_object_ioctl(struct rtsync_object *obj, unsigned int cmd,
			 void __user *argp);
struct rtsync_info_head {	/* how every rtsync_*_info struct begins */
	__u64 name;
	__u32 name_size;
};

/* Each type asserts that its INFO struct begins as rtsync_info_head. */
#define RTSYNC_INFO_HEAD_OK(type)					\
	(offsetof(type, name) == offsetof(struct rtsync_info_head, name) && \
	 offsetof(type, name_size) ==					\
	 offsetof(struct rtsync_info_head, name_size))

long rtsync_object_ioctl_info(struct rtsync_object *obj, void __user *argp,
			      void *info, size_t size,
			      int (*fill)(struct rtsync_object *obj,
					  void *info));
int rtsync_object_file_release(struct inode *inode, struct file *file);
__poll_t rtsync_object_nopoll(struct file *file, poll_table *wait);
int rtsync_types_init(void);
void rtsync_types_exit(void);

/* registry.c */
extern unsigned int rtsync_max_objects;
extern unsigned int rtsync_max_objects_per_user;
int rtsync_registry_init(void);
void rtsync_registry_exit(void);
int rtsync_name_valid(const char *name, size_t len);
struct rtsync_object *rtsync_registry_open(const char *name,
					   const struct rtsync_type *type,
					   const struct rtsync_open_args *args,
					   bool *created);
int rtsync_registry_unlink(const char *name);
int rtsync_registry_setperm(struct rtsync_object *obj,
			    const struct rtsync_setperm_args *args);
int rtsync_registry_may_change(struct rtsync_object *obj);
void rtsync_registry_unlink_object(struct rtsync_object *obj);
void rtsync_object_release(struct kref *ref);
void rtsync_object_free_later(struct rtsync_object *obj);
unsigned int rtsync_object_count(void);
void rtsync_registry_flush(void);

/**
 * struct rtsync_registry_iter - a /proc/rtsync reader's place
 * @mnt:     the opener's IPC namespace, as its mqueue mount (a reference).
 * @objects: the list the read in progress walks. Registry lock.
 */
struct rtsync_registry_iter {
	struct vfsmount *mnt;
	struct list_head *objects;
};

void rtsync_registry_iter_init(struct rtsync_registry_iter *it);
void rtsync_registry_iter_exit(struct rtsync_registry_iter *it);
struct list_head *rtsync_registry_seq_start(struct rtsync_registry_iter *it,
					    loff_t *pos);
struct list_head *rtsync_registry_seq_next(struct rtsync_registry_iter *it,
					   struct list_head *v, loff_t *pos);
void rtsync_registry_seq_stop(void);
bool rtsync_registry_seq_is_head(const struct rtsync_registry_iter *it,
				 const struct list_head *v);

/* procfs.c */
int rtsync_procfs_init(void);
void rtsync_procfs_exit(void);

/* owner.c */
struct rtsync_thread *rtsync_thread_create(void);
void rtsync_thread_destroy(struct rtsync_thread *t);
struct rtsync_thread *rtsync_thread_of_exiting(struct task_struct *task);
void rtsync_threads_init(void);
void rtsync_threads_exit(void);

/* chain.c */
extern unsigned int rtsync_max_chain;
int rtsync_wait_begin(struct rtsync_thread *self, struct rtsync_mutex *m,
		      unsigned int state);
void rtsync_wait_end(struct rtsync_thread *self, struct rtsync_mutex *m);

/* Threads asleep in LOCK on @m, for INFO. */
#define RTSYNC_CHAIN_SLEEPER_SHIFT	40
static inline u32 rtsync_mutex_waiters(struct rtsync_mutex *m)
{
	return atomic64_read(&m->chain) >> RTSYNC_CHAIN_SLEEPER_SHIFT;
}

/* mutex.c */
int rtsync_mutex_lock(struct rtsync_mutex *m,
		      const struct rtsync_deadline *deadline);
int rtsync_mutex_trylock(struct rtsync_mutex *m);
int rtsync_mutex_unlock(struct rtsync_mutex *m);
int rtsync_mutex_consistent(struct rtsync_mutex *m);
int rtsync_mutex_check_wait(struct rtsync_mutex *m);
int rtsync_mutex_relock(struct rtsync_mutex *m);

/* sem.c */
int rtsync_sem_wait(struct rtsync_sem *s,
		    const struct rtsync_deadline *deadline);
int rtsync_sem_trywait(struct rtsync_sem *s);
int rtsync_sem_post(struct rtsync_sem *s, u32 count, u32 *prev);

/* cond.c */
int rtsync_cond_wait(struct rtsync_cond *c, struct rtsync_mutex *m,
		     const struct rtsync_deadline *deadline);
u32 rtsync_cond_wake(struct rtsync_cond *c, u32 max);

/* waitq.c */
void rtsync_waitq_init(struct rtsync_waitq *q);
void rtsync_waitq_add(struct rtsync_waitq *q, struct rtsync_waiter *w);
bool rtsync_waitq_wake_one(struct rtsync_waitq *q, struct rtsync_wake *batch);
void rtsync_wake_run(struct rtsync_wake *batch);
void rtsync_waitq_sleep(struct rtsync_waitq *q, struct rtsync_waiter *w);

/* stats.c */
extern bool rtsync_hold_time;
DECLARE_STATIC_KEY_FALSE(rtsync_hold_work_key);
int rtsync_hold_trace_reg(void);
void rtsync_hold_trace_unreg(void);
struct rtsync_contention *rtsync_contention_alloc(struct rtsync_object *obj);
u64 rtsync_contention_wait_done(struct rtsync_contention *c, u64 start,
				int ret, bool acquired);
void rtsync_contention_deadlock(struct rtsync_object *obj);
void rtsync_hold_begin(struct rtsync_mutex *m);
u64 rtsync_hold_end(struct rtsync_mutex *m);
long rtsync_object_ioctl_stats(struct rtsync_object *obj, unsigned int cmd,
			       void __user *argp);
void rtsync_object_stats(struct rtsync_object *obj, struct rtsync_stats *out);

/* timeout.c */
struct rtsync_timeout;
int rtsync_deadline_from_user(const struct rtsync_wait_args *args,
			      struct rtsync_deadline *deadline);
int rtsync_wait_args_from_user(const void __user *argp,
			       struct rtsync_deadline *deadline);
struct rtsync_timeout *rtsync_timeout_start(const struct rtsync_deadline *d);
bool rtsync_timeout_stop(struct rtsync_timeout *t);

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

/* The caller holds @m: the only thread that may touch its owner fields. */
#define rtsync_assert_owner(m)	rtsync_assert(rtsync_mutex_owner(m) == current)

/*
 * @obj's contention counters, made at its first contention (stats.c). The
 * caller is about to sleep on @obj (may sleep). Return: the counters, or
 * NULL if there is no memory for them (the wait is then not counted).
 */
static inline struct rtsync_contention *
rtsync_contention_get(struct rtsync_object *obj)
{
	struct rtsync_contention *c = READ_ONCE(obj->contention);

	return likely(c) ? c : rtsync_contention_alloc(obj);
}

/* Drop a counted reference; may be called in atomic context. */
static inline void rtsync_object_put(struct rtsync_object *obj)
{
	kref_put(&obj->ref, rtsync_object_release);
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
