/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rtsync: named, cross-process mutexes and semaphores managed by the kernel.
 *
 * This header is the whole ABI between the rtsync module and user space.
 * It needs nothing beyond <linux/types.h> and <linux/ioctl.h> and is valid
 * C and C++.
 *
 * Rules (Documentation/process/botching-up-ioctls.rst):
 *  - only __u32/__u64/__s32/__s64, naturally aligned, explicit padding that
 *    must be zero (EINVAL otherwise);
 *  - every flags field rejects unknown bits with EINVAL;
 *  - pointers travel as __u64;
 *  - timeouts are absolute: nanoseconds on a clock named by clockid.
 *
 * ioctl magic 0xBD: not listed in Linux 6.1's
 * Documentation/userspace-api/ioctl/ioctl-number.rst (0xB6 and 0xB7 are the
 * nearest users); rtsync uses numbers 0x00-0x3F.
 */
#ifndef _UAPI_LINUX_RTSYNC_H
#define _UAPI_LINUX_RTSYNC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define RTSYNC_IOC_MAGIC	0xBD

/* Bumped when the ABI changes incompatibly; RTSYNC_IOC_VERSION reports it. */
#define RTSYNC_ABI_VERSION	1

/* Longest object name in bytes, without the terminating NUL. */
#define RTSYNC_NAME_MAX		255

/* Largest semaphore value (POSIX SEM_VALUE_MAX). */
#define RTSYNC_SEM_VALUE_MAX	0x7fffffffU

/* Object types. */
#define RTSYNC_TYPE_MUTEX	1
#define RTSYNC_TYPE_SEM		2
#define RTSYNC_TYPE_COND	3

/* rtsync_open_args.flags: as O_CREAT and O_EXCL of open(2). */
#define RTSYNC_OPEN_CREAT	0x1U
#define RTSYNC_OPEN_EXCL	0x2U

/* rtsync_open_args.mutex_flags, fixed at creation. */
#define RTSYNC_MUTEX_RECURSIVE	0x1U

/**
 * struct rtsync_open_args - RTSYNC_IOC_OPEN: open or create a named object
 * @name:        user pointer to the NUL-terminated name: 1..RTSYNC_NAME_MAX
 *               bytes, no '/'
 * @type:        RTSYNC_TYPE_MUTEX, RTSYNC_TYPE_SEM or RTSYNC_TYPE_COND
 * @flags:       RTSYNC_OPEN_*
 * @mode:        permission bits (0777 at most) for a new object, masked by
 *               the caller's umask; ignored when the object exists
 * @mutex_flags: RTSYNC_MUTEX_* for a new mutex; 0 for the other types
 * @sem_value:   initial count of a new semaphore (<= @sem_max); 0 for the
 *               other types
 * @sem_max:     maximum count of a new semaphore (1..RTSYNC_SEM_VALUE_MAX);
 *               0 for the other types
 *
 * Without RTSYNC_OPEN_CREAT the four creation fields must be 0 (EINVAL
 * otherwise), as openat2() wants its mode.
 *
 * Returns a new object file descriptor (O_CLOEXEC) as the ioctl's value.
 */
struct rtsync_open_args {
	__u64 name;
	__u32 type;
	__u32 flags;
	__u32 mode;
	__u32 mutex_flags;
	__u32 sem_value;
	__u32 sem_max;
};

/**
 * struct rtsync_unlink_args - RTSYNC_IOC_UNLINK: remove a name
 * @name:  user pointer to the NUL-terminated name
 * @flags: must be 0
 * @pad:   must be 0
 */
struct rtsync_unlink_args {
	__u64 name;
	__u32 flags;
	__u32 pad;
};

/* rtsync_wait_args.flags */
#define RTSYNC_WAIT_TIMEOUT	0x1U	/* @timeout and @clockid are valid */

/**
 * struct rtsync_wait_args - argument of RTSYNC_IOC_MUTEX_LOCK and
 *                           RTSYNC_IOC_SEM_WAIT
 * @timeout: absolute deadline in nanoseconds on @clockid; must be 0
 *           without RTSYNC_WAIT_TIMEOUT
 * @clockid: CLOCK_MONOTONIC (1) or CLOCK_REALTIME (0); must be 0 without
 *           RTSYNC_WAIT_TIMEOUT
 * @flags:   RTSYNC_WAIT_*; without RTSYNC_WAIT_TIMEOUT the wait has no
 *           timeout
 *
 * A NULL argument in place of the struct also means no timeout, and spares
 * the kernel reading it (as for futex(2)'s timeout).
 */
struct rtsync_wait_args {
	__u64 timeout;
	__u32 clockid;
	__u32 flags;
};

/* rtsync_mutex_info.flags */
#define RTSYNC_MINFO_RECURSIVE		0x1U /* created RECURSIVE */
#define RTSYNC_MINFO_OWNER_DIED		0x2U /* next locker gets EOWNERDEAD */
#define RTSYNC_MINFO_INCONSISTENT	0x4U /* held after EOWNERDEAD */
#define RTSYNC_MINFO_NOTRECOVERABLE	0x8U /* every LOCK: ENOTRECOVERABLE */
#define RTSYNC_MINFO_UNLINKED		0x10U /* the name was removed */

/**
 * struct rtsync_mutex_info - RTSYNC_IOC_MUTEX_INFO
 * @name:      in: user pointer to a buffer for the NUL-terminated name, or 0
 * @name_size: in: size of that buffer (ERANGE if the name does not fit)
 * @owner_tid: out: owner thread id in the caller's pid namespace, 0 if
 *             free (or the owner is not visible there)
 * @owner_pid: out: owner's thread-group id, same rules
 * @waiters:   out: threads sleeping in LOCK
 * @flags:     out: RTSYNC_MINFO_*
 * @recursion: out: how many times the owner holds it (0 when free)
 */
struct rtsync_mutex_info {
	__u64 name;
	__u32 name_size;
	__u32 owner_tid;
	__u32 owner_pid;
	__u32 waiters;
	__u32 flags;
	__u32 recursion;
};

/* rtsync_sem_info.flags */
#define RTSYNC_SINFO_UNLINKED		0x10U /* the name was removed */

/**
 * struct rtsync_sem_info - RTSYNC_IOC_SEM_INFO
 * @name:      in: user pointer to a buffer for the name, or 0
 * @name_size: in: size of that buffer (ERANGE if the name does not fit)
 * @value:     out: current count
 * @max:       out: maximum count
 * @waiters:   out: threads sleeping in WAIT
 * @flags:     out: RTSYNC_SINFO_*
 * @pad:       must be 0
 */
struct rtsync_sem_info {
	__u64 name;
	__u32 name_size;
	__u32 value;
	__u32 max;
	__u32 waiters;
	__u32 flags;
	__u32 pad;
};

/**
 * struct rtsync_sem_post_args - RTSYNC_IOC_SEM_POST
 * @count: in: units to add, >= 1
 * @prev:  out: the count before the post
 */
struct rtsync_sem_post_args {
	__u32 count;
	__u32 prev;
};

/**
 * struct rtsync_cond_wait_args - RTSYNC_IOC_COND_WAIT
 * @wait:     deadline, as for RTSYNC_IOC_MUTEX_LOCK
 * @mutex_fd: an rtsync mutex the caller holds exactly once; released while
 *            waiting and held again on return (except ENOTRECOVERABLE and
 *            the EDEADLK documented in rtsync(7))
 * @pad:      must be 0
 */
struct rtsync_cond_wait_args {
	struct rtsync_wait_args wait;
	__s32 mutex_fd;
	__u32 pad;
};

/**
 * struct rtsync_cond_info - RTSYNC_IOC_COND_INFO
 * @name:      in: user pointer to a buffer for the name, or 0
 * @name_size: in: size of that buffer (ERANGE if the name does not fit)
 * @waiters:   out: threads waiting on the condition variable
 * @flags:     out: RTSYNC_CINFO_*
 * @pad:       must be 0
 */
struct rtsync_cond_info {
	__u64 name;
	__u32 name_size;
	__u32 waiters;
	__u32 flags;
	__u32 pad;
};

/* rtsync_cond_info.flags */
#define RTSYNC_CINFO_UNLINKED		0x10U /* the name was removed */

/* rtsync_setperm_args: leave this field as it is (as chown(2)'s -1). */
#define RTSYNC_PERM_KEEP	0xffffffffU

/**
 * struct rtsync_setperm_args - RTSYNC_IOC_SETPERM: change owner and mode
 * @uid:  new owner uid (in the caller's user namespace), or RTSYNC_PERM_KEEP
 * @gid:  new owner gid, or RTSYNC_PERM_KEEP
 * @mode: new permission bits (<= 0777), or RTSYNC_PERM_KEEP
 * @pad:  must be 0
 *
 * Allowed to the object's owner or creator and to CAP_SYS_ADMIN (as SysV
 * IPC_SET); the creator ids never change.
 */
struct rtsync_setperm_args {
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 pad;
};

/* rtsync_stats.flags */
#define RTSYNC_STATS_HOLD_TIME	0x1U /* hold_max_ns is measured (module
					parameter hold_time was on) */

/**
 * struct rtsync_stats - RTSYNC_IOC_STATS: the object's counters, out only
 * @acquisitions: mutex: times it was taken (EOWNERDEAD included, recursive
 *                levels not); semaphore: units taken by WAIT and TRYWAIT;
 *                condition: COND_WAITs woken by SIGNAL or BROADCAST
 * @contended:    of @acquisitions, those that slept first
 * @wait_ns:      total time slept in LOCK (and COND_WAIT's relock), WAIT
 *                or COND_WAIT, whatever the outcome
 * @wait_max_ns:  longest of those sleeps
 * @hold_max_ns:  mutex: longest time held, measured only while the module
 *                parameter hold_time is on (RTSYNC_STATS_HOLD_TIME); else 0
 * @posts:        semaphore: successful POSTs; condition: SIGNALs and
 *                BROADCASTs; mutex: 0
 * @timeouts:     waits that ended in ETIMEDOUT
 * @deadlocks:    mutex: LOCK, TRYLOCK or relock refused with EDEADLK (a
 *                relock, a cycle or a chain over max_chain)
 * @owner_deaths: mutex: owners that died or exec'd holding it
 * @max_sleepers: most threads asleep on it at once (semaphore, condition);
 *                mutex: 0 (see INFO's @waiters)
 * @flags:        RTSYNC_STATS_*
 * @pad:          0
 *
 * Counted since creation or the last RTSYNC_IOC_STATS_RESET; the counters
 * wrap. Contention is counted always (it costs nothing beside a sleep);
 * hold times only on request, because they cost two clock reads per hold.
 */
struct rtsync_stats {
	__u64 acquisitions;
	__u64 contended;
	__u64 wait_ns;
	__u64 wait_max_ns;
	__u64 hold_max_ns;
	__u64 posts;
	__u32 timeouts;
	__u32 deadlocks;
	__u32 owner_deaths;
	__u32 max_sleepers;
	__u32 flags;
	__u32 pad;
};

/*
 * Errors, per ioctl (besides EBADF for a closed fd). Any ioctl number not
 * listed for a file is ENOTTY; on an object fd, an ioctl of the other
 * object type is EINVAL. Bad input changes nothing.
 *
 * VERSION     EFAULT
 * NOP         -
 * OPEN        EFAULT, EINVAL, ENAMETOOLONG, ENOENT, EEXIST, EACCES,
 *             ENOSPC, ENOMEM, EMFILE, ENFILE, ENODEV (module unloading)
 * UNLINK      EFAULT, EINVAL, ENAMETOOLONG, ENOENT, EPERM
 * SETPERM     EFAULT, EINVAL, EPERM
 * MUTEX_LOCK  EFAULT, EINVAL, EDEADLK, EAGAIN (recursion overflow),
 *             EOWNERDEAD (acquired), ENOTRECOVERABLE, ETIMEDOUT, EINTR,
 *             ENOMEM
 * MUTEX_TRYLOCK  EBUSY, EDEADLK, EAGAIN, EOWNERDEAD (acquired),
 *             ENOTRECOVERABLE, ENOMEM
 * MUTEX_UNLOCK   EPERM
 * MUTEX_CONSISTENT  EPERM, EINVAL
 * MUTEX_INFO  EFAULT, ERANGE
 * SEM_WAIT    EFAULT, EINVAL, ETIMEDOUT, EINTR, ENOMEM
 * SEM_TRYWAIT EAGAIN
 * SEM_POST    EFAULT, EINVAL, EOVERFLOW
 * SEM_INFO    EFAULT, EINVAL, ERANGE
 * COND_WAIT   EFAULT, EINVAL (bad args, @mutex_fd not an rtsync mutex,
 *             recursion held more than once, or another mutex is already
 *             bound to the waiters), EBADF (@mutex_fd), EPERM (mutex not
 *             held by the caller), ETIMEDOUT, EINTR, EOWNERDEAD, EDEADLK,
 *             ENOTRECOVERABLE, ENOMEM — the mutex is held again on every
 *             return except ENOTRECOVERABLE and EDEADLK (and a fatal
 *             signal: that caller never returns), and the errors found
 *             before waiting, which leave it held as it was
 * COND_SIGNAL, COND_BROADCAST   - (return the number of threads woken)
 * COND_INFO   EFAULT, EINVAL, ERANGE
 * STATS       EFAULT
 * STATS_RESET EPERM (neither the object's owner or creator nor
 *             CAP_SYS_ADMIN)
 */

/* ioctls on /dev/rtsync */
#define RTSYNC_IOC_VERSION	_IOR(RTSYNC_IOC_MAGIC, 0x00, __u32)
#define RTSYNC_IOC_OPEN		_IOW(RTSYNC_IOC_MAGIC, 0x01, struct rtsync_open_args)
#define RTSYNC_IOC_UNLINK	_IOW(RTSYNC_IOC_MAGIC, 0x02, struct rtsync_unlink_args)
/* Validates nothing, changes nothing, returns 0: the syscall floor. */
#define RTSYNC_IOC_NOP		_IO(RTSYNC_IOC_MAGIC, 0x03)

/* ioctls on a mutex fd */
#define RTSYNC_IOC_MUTEX_LOCK	_IOW(RTSYNC_IOC_MAGIC, 0x10, struct rtsync_wait_args)
#define RTSYNC_IOC_MUTEX_TRYLOCK	_IO(RTSYNC_IOC_MAGIC, 0x11)
#define RTSYNC_IOC_MUTEX_UNLOCK	_IO(RTSYNC_IOC_MAGIC, 0x12)
#define RTSYNC_IOC_MUTEX_CONSISTENT	_IO(RTSYNC_IOC_MAGIC, 0x13)
#define RTSYNC_IOC_MUTEX_INFO	_IOWR(RTSYNC_IOC_MAGIC, 0x14, struct rtsync_mutex_info)

/* ioctls on a semaphore fd */
#define RTSYNC_IOC_SEM_WAIT	_IOW(RTSYNC_IOC_MAGIC, 0x20, struct rtsync_wait_args)
#define RTSYNC_IOC_SEM_TRYWAIT	_IO(RTSYNC_IOC_MAGIC, 0x21)
#define RTSYNC_IOC_SEM_POST	_IOWR(RTSYNC_IOC_MAGIC, 0x22, struct rtsync_sem_post_args)
#define RTSYNC_IOC_SEM_INFO	_IOWR(RTSYNC_IOC_MAGIC, 0x23, struct rtsync_sem_info)

/* ioctls on a condition variable fd */
#define RTSYNC_IOC_COND_WAIT	_IOW(RTSYNC_IOC_MAGIC, 0x28, struct rtsync_cond_wait_args)
#define RTSYNC_IOC_COND_SIGNAL	_IO(RTSYNC_IOC_MAGIC, 0x29)
#define RTSYNC_IOC_COND_BROADCAST	_IO(RTSYNC_IOC_MAGIC, 0x2a)
#define RTSYNC_IOC_COND_INFO	_IOWR(RTSYNC_IOC_MAGIC, 0x2b, struct rtsync_cond_info)

/* ioctls on any object fd */
#define RTSYNC_IOC_SETPERM	_IOW(RTSYNC_IOC_MAGIC, 0x30, struct rtsync_setperm_args)
#define RTSYNC_IOC_STATS	_IOR(RTSYNC_IOC_MAGIC, 0x31, struct rtsync_stats)
#define RTSYNC_IOC_STATS_RESET	_IO(RTSYNC_IOC_MAGIC, 0x32)

#endif /* _UAPI_LINUX_RTSYNC_H */
