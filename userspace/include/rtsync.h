/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * librtsync: named, cross-process mutexes and semaphores managed by the
 * rtsync kernel module (/dev/rtsync).
 *
 * Conventions
 *  - An object is an int file descriptor (O_CLOEXEC; it can be poll()ed,
 *    passed over SCM_RIGHTS, and is closed with rtsync_close() or close()).
 *  - Open functions behave like open(2) and sem_open(3): they return an
 *    fd >= 0, or -1 with errno set.
 *  - Every other function behaves like pthread_mutex_lock(3): it returns 0
 *    or an errno value and leaves errno alone.
 *  - EOWNERDEAD from a lock call means the lock WAS acquired: the previous
 *    owner died holding it; repair the protected state, then call
 *    rtsync_mutex_consistent() before unlocking.
 *  - Timeouts are absolute times on the named clock (CLOCK_MONOTONIC or
 *    CLOCK_REALTIME), as for pthread_mutex_clocklock(3).
 *  - The library opens /dev/rtsync once per process, lazily and thread-safely
 *    (O_CLOEXEC), for the calls that work by name.
 *
 * Errors every fd-based call can return in addition to those listed:
 *  EBADF  the fd is not open;
 *  ENOTTY the fd is not an rtsync object;
 *  EINVAL the fd is an rtsync object of the other type.
 */
#ifndef RTSYNC_H
#define RTSYNC_H

#include <linux/rtsync.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags for rtsync_mutex_open(): */
#define RTSYNC_RECURSIVE	RTSYNC_MUTEX_RECURSIVE

/*
 * rtsync_version - ABI version the loaded module speaks
 * Stores RTSYNC_ABI_VERSION of the module in *version.
 * Returns 0, or: ENOENT (no /dev/rtsync: module not loaded), EACCES,
 * EFAULT (version is a bad pointer).
 */
int rtsync_version(uint32_t *version);

/*
 * rtsync_mutex_open - open or create the named mutex
 * @name:  1..255 bytes, no '/'
 * @oflag: 0, O_CREAT, or O_CREAT|O_EXCL (other bits: EINVAL)
 * @mode:  permission bits for a new mutex (masked by umask)
 * @flags: 0 or RTSYNC_RECURSIVE, used when the mutex is created
 * Returns an fd, or -1 with errno: ENOENT (no such name and no O_CREAT),
 * EEXIST (O_CREAT|O_EXCL and the name exists), EINVAL (bad name, bad flag,
 * or the name belongs to a semaphore), ENAMETOOLONG, EACCES (no read and
 * write permission), ENOSPC (object limit reached), EMFILE, ENFILE, ENOMEM.
 */
int rtsync_mutex_open(const char *name, int oflag, mode_t mode,
		      unsigned int flags);

/*
 * rtsync_mutex_lock - acquire, sleeping as long as it takes
 * While the caller sleeps, the owner runs at least at the caller's priority
 * (priority inheritance, transitive along chains of rtsync mutexes).
 * Returns 0 or: EOWNERDEAD (acquired; the previous owner died), EDEADLK
 * (caller already owns it, non-recursive; or sleeping would close a cycle
 * of rtsync mutexes: not acquired), ENOTRECOVERABLE, EAGAIN (recursion
 * count would overflow), EINTR (a signal without SA_RESTART), ENOMEM.
 */
int rtsync_mutex_lock(int fd);

/*
 * rtsync_mutex_timedlock - acquire, giving up at @abstime on @clock
 * As rtsync_mutex_lock(), plus: ETIMEDOUT (deadline passed, not acquired),
 * EINVAL (clock is not CLOCK_MONOTONIC/CLOCK_REALTIME, or tv_nsec out of
 * range).
 */
int rtsync_mutex_timedlock(int fd, clockid_t clock,
			   const struct timespec *abstime);

/*
 * rtsync_mutex_trylock - acquire only if free
 * Returns 0 or: EBUSY (held by another thread), EOWNERDEAD, EDEADLK (held by
 * the caller, non-recursive), ENOTRECOVERABLE, EAGAIN (recursion overflow).
 */
int rtsync_mutex_trylock(int fd);

/*
 * rtsync_mutex_unlock - release (one level, for a recursive mutex)
 * Returns 0 or: EPERM (caller does not own it; nothing changes).
 * Unlocking after EOWNERDEAD without rtsync_mutex_consistent() makes the
 * mutex not recoverable: every later lock returns ENOTRECOVERABLE.
 */
int rtsync_mutex_unlock(int fd);

/*
 * rtsync_mutex_consistent - mark a mutex acquired with EOWNERDEAD as good
 * Returns 0 or: EPERM (caller does not own it), EINVAL (it is not in the
 * inconsistent state).
 */
int rtsync_mutex_consistent(int fd);

struct rtsync_mutex_status {
	pid_t owner_tid;	/* 0: free, or owner not visible to the caller */
	pid_t owner_pid;
	unsigned int waiters;
	unsigned int flags;	/* RTSYNC_MINFO_* */
	unsigned int recursion;
	char name[RTSYNC_NAME_MAX + 1];
};

/*
 * rtsync_mutex_info - snapshot of a mutex's state
 * Returns 0 or: EFAULT (st is a bad pointer).
 */
int rtsync_mutex_info(int fd, struct rtsync_mutex_status *st);

/*
 * rtsync_sem_open - open or create the named counting semaphore
 * @value, @max: initial and maximum count of a new semaphore
 *               (1 <= max <= RTSYNC_SEM_VALUE_MAX, value <= max; EINVAL
 *               otherwise); ignored when it exists
 * Other arguments and errors as rtsync_mutex_open().
 */
int rtsync_sem_open(const char *name, int oflag, mode_t mode,
		    unsigned int value, unsigned int max);

/*
 * rtsync_sem_wait - take one unit, sleeping while the count is 0
 * Sleepers are served highest priority first, FIFO within a priority.
 * Returns 0 or: EINTR (signal without SA_RESTART; no unit taken).
 */
int rtsync_sem_wait(int fd);

/*
 * rtsync_sem_trywait - take one unit if the count is above 0
 * Returns 0 or: EAGAIN (count is 0).
 */
int rtsync_sem_trywait(int fd);

/*
 * rtsync_sem_timedwait - as rtsync_sem_wait(), giving up at @abstime
 * Returns 0 or: ETIMEDOUT, EINTR, EINVAL (bad clock or timespec).
 */
int rtsync_sem_timedwait(int fd, clockid_t clock,
			 const struct timespec *abstime);

/*
 * rtsync_sem_post - add @n units (n >= 1), waking at most n sleepers
 * Stores the count before the post in *prev unless prev is NULL.
 * Returns 0 or: EINVAL (n is 0), EOVERFLOW (the count would pass max;
 * nothing changes).
 */
int rtsync_sem_post(int fd, unsigned int n, unsigned int *prev);

struct rtsync_sem_status {
	unsigned int value;
	unsigned int max;
	unsigned int waiters;
	unsigned int flags;	/* RTSYNC_SINFO_* */
	char name[RTSYNC_NAME_MAX + 1];
};

/*
 * rtsync_sem_info - snapshot of a semaphore's state
 * Returns 0 or: EFAULT.
 */
int rtsync_sem_info(int fd, struct rtsync_sem_status *st);

/*
 * rtsync_cond_open - open or create the named condition variable
 * Arguments and errors as rtsync_mutex_open() (without flags).
 */
int rtsync_cond_open(const char *name, int oflag, mode_t mode);

/*
 * rtsync_cond_wait - release @mutex_fd, sleep until signalled, take it back
 * The caller must hold the rtsync mutex @mutex_fd exactly once. The release
 * and the sleep are atomic with respect to rtsync_cond_signal() and
 * rtsync_cond_broadcast(): no wake-up is lost in between. Taking the mutex
 * back goes through its priority-inheritance queue.
 * Returns, holding the mutex again: 0 (woken; spurious wake-ups are
 * possible, so re-check the condition), EINTR (a signal without
 * SA_RESTART; with it the wait restarts), EOWNERDEAD (its owner died while
 * the caller waited: repair and rtsync_mutex_consistent()).
 * Returns without holding it: ENOTRECOVERABLE, EDEADLK (taking it back
 * would close a cycle of rtsync mutexes, e.g. while the caller holds
 * another one that the mutex's new owner waits for).
 * Returns before waiting, nothing changed: EPERM (caller does not hold the
 * mutex), EINVAL (@mutex_fd is not an rtsync mutex, is held recursively
 * more than once, or other threads wait on this condition with another
 * mutex), EBADF (@mutex_fd), ENOMEM.
 */
int rtsync_cond_wait(int cond_fd, int mutex_fd);

/*
 * rtsync_cond_timedwait - as rtsync_cond_wait(), giving up at @abstime
 * Also returns (holding the mutex) ETIMEDOUT, and EINVAL for a bad clock
 * or timespec.
 */
int rtsync_cond_timedwait(int cond_fd, int mutex_fd, clockid_t clock,
			  const struct timespec *abstime);

/*
 * rtsync_cond_signal - wake the most urgent waiter (highest priority,
 * FIFO within a priority), if any
 * Returns 0.
 */
int rtsync_cond_signal(int cond_fd);

/*
 * rtsync_cond_broadcast - wake every waiter; they take the mutex back one
 * at a time, in priority order
 * Returns 0.
 */
int rtsync_cond_broadcast(int cond_fd);

struct rtsync_cond_status {
	unsigned int waiters;
	unsigned int flags;	/* RTSYNC_CINFO_* */
	char name[RTSYNC_NAME_MAX + 1];
};

/*
 * rtsync_cond_info - snapshot of a condition variable's state
 * Returns 0 or: EFAULT.
 */
int rtsync_cond_info(int cond_fd, struct rtsync_cond_status *st);

/*
 * rtsync_setperm - change an object's owner and permission bits, as
 * IPC_SET does for SysV IPC objects; (uid_t)-1, (gid_t)-1 or (mode_t)-1
 * leaves that part as it is. Later opens are checked against the new
 * values; fds already open keep working.
 * Returns 0 or: EPERM (caller is neither the object's owner, its creator
 * nor CAP_SYS_ADMIN), EINVAL (mode above 0777, or an id that does not map
 * into the kernel); nothing changes on error.
 */
int rtsync_setperm(int fd, uid_t uid, gid_t gid, mode_t mode);

/*
 * rtsync_stats - an object's statistics, any type (struct rtsync_stats in
 * <linux/rtsync.h> says what each counter counts; /proc/rtsync_stats
 * lists the same for every object)
 * Returns 0 or: EFAULT (st is a bad pointer).
 * Since librtsync 1.1.
 */
int rtsync_stats(int fd, struct rtsync_stats *st);

/*
 * rtsync_stats_reset - zero an object's statistics
 * Returns 0 or: EPERM (the caller is neither the object's owner or creator
 * nor CAP_SYS_ADMIN).
 * Since librtsync 1.1.
 */
int rtsync_stats_reset(int fd);

/*
 * rtsync_close - close an object fd (close(2))
 * Returns 0 or: EBADF, EINTR, EIO.
 */
int rtsync_close(int fd);

/*
 * rtsync_unlink - remove a name; the object lives on while fds are open
 * or while a mutex is held, and the name can be reused at once.
 * Returns 0 or: ENOENT, EINVAL (bad name), ENAMETOOLONG, EPERM (caller is
 * neither the object's owner nor CAP_SYS_ADMIN), and the errors of opening
 * /dev/rtsync.
 */
int rtsync_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* RTSYNC_H */
