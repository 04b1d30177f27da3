// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Uncontended costs, one thread on one CPU:
 *  - the floor: RTSYNC_IOC_NOP on /dev/rtsync, next to a null system call;
 *  - lock+unlock of an rtsync mutex nobody else wants, next to two NOP
 *    ioctls (the same two trips through the ioctl path, doing nothing), a
 *    robust PI pthread mutex in shared memory, a SysV semaphore taken and
 *    given back with SEM_UNDO, and a POSIX named semaphore;
 *  - trylock+unlock, and timedlock+unlock with a deadline that never
 *    comes: LOCK with its argument struct to read (the untimed LOCK passes
 *    none), to split rtsync's own cost;
 *  - lock+unlock with statistics fully on (module parameter hold_time:
 *    two clock reads per hold), next to the default: what hold times
 *    cost. Everything else runs with the defaults: statistics counted only
 *    where free, trace events compiled in and disabled.
 *
 * Each repetition runs every contender once, in an order that rotates from
 * one repetition to the next, so drift and warm-up hit them all alike.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <semaphore.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>

#define REPS	41

enum contender {
	NULL_SYSCALL,
	NOP,
	NOP_PAIR,
	RTSYNC_MUTEX,
	RTSYNC_TRYLOCK,
	RTSYNC_TIMEDLOCK,
	RTSYNC_HOLD_TIME,
	PI_MUTEX,
	SYSV_SEM,
	POSIX_SEM,
	NR_CONTENDERS
};

static const char *const contender_name[NR_CONTENDERS] = {
	[NULL_SYSCALL]	= "null syscall (getppid)",
	[NOP]		= "NOP ioctl",
	[NOP_PAIR]	= "NOP ioctl pair",
	[RTSYNC_MUTEX]	= "rtsync lock+unlock",
	[RTSYNC_TRYLOCK] = "rtsync trylock+unlock",
	[RTSYNC_TIMEDLOCK] = "rtsync timedlock+unlock",
	[RTSYNC_HOLD_TIME] = "rtsync lock+unlock, hold_time on",
	[PI_MUTEX]	= "pthread PI robust pshared mutex lock+unlock",
	[SYSV_SEM]	= "SysV semop -1/+1 with SEM_UNDO",
	[POSIX_SEM]	= "POSIX named sem_wait+sem_post",
};

static struct {
	int devfd;
	int mutex_fd;
	struct timespec far;	/* a timedlock deadline that never comes */
	pthread_mutex_t *pi;
	int sysv_id;
	sem_t *posix;
} c;

static long errors;

#define HOLD_TIME "/sys/module/rtsync/parameters/hold_time"

/* Turn hold times on or off (outside the timed loops: it patches code). */
static void set_hold_time(int on)
{
	if (write_long(HOLD_TIME, on))
		bail("writing %s", HOLD_TIME);
}

/* Run one contender for iters iterations; return ns per iteration. */
static double run(enum contender which, long iters)
{
	struct sembuf down = { .sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO };
	struct sembuf up = { .sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO };
	int64_t start = now_ns();
	long i;

	switch (which) {
	case NULL_SYSCALL:
		for (i = 0; i < iters; i++)
			syscall(SYS_getppid);
		break;
	case NOP:
		for (i = 0; i < iters; i++)
			errors += ioctl(c.devfd, RTSYNC_IOC_NOP) != 0;
		break;
	case NOP_PAIR:
		for (i = 0; i < iters; i++) {
			errors += ioctl(c.devfd, RTSYNC_IOC_NOP) != 0;
			errors += ioctl(c.devfd, RTSYNC_IOC_NOP) != 0;
		}
		break;
	case RTSYNC_MUTEX:
	case RTSYNC_HOLD_TIME:	/* main() turns hold_time on around it */
		for (i = 0; i < iters; i++) {
			errors += rtsync_mutex_lock(c.mutex_fd) != 0;
			errors += rtsync_mutex_unlock(c.mutex_fd) != 0;
		}
		break;
	case RTSYNC_TRYLOCK:
		for (i = 0; i < iters; i++) {
			errors += rtsync_mutex_trylock(c.mutex_fd) != 0;
			errors += rtsync_mutex_unlock(c.mutex_fd) != 0;
		}
		break;
	case RTSYNC_TIMEDLOCK:
		for (i = 0; i < iters; i++) {
			errors += rtsync_mutex_timedlock(c.mutex_fd,
							 CLOCK_MONOTONIC,
							 &c.far) != 0;
			errors += rtsync_mutex_unlock(c.mutex_fd) != 0;
		}
		break;
	case PI_MUTEX:
		for (i = 0; i < iters; i++) {
			errors += pthread_mutex_lock(c.pi) != 0;
			errors += pthread_mutex_unlock(c.pi) != 0;
		}
		break;
	case SYSV_SEM:
		for (i = 0; i < iters; i++) {
			errors += semop(c.sysv_id, &down, 1) != 0;
			errors += semop(c.sysv_id, &up, 1) != 0;
		}
		break;
	case POSIX_SEM:
		for (i = 0; i < iters; i++) {
			errors += sem_wait(c.posix) != 0;
			errors += sem_post(c.posix) != 0;
		}
		break;
	default:
		break;
	}
	return (double)(now_ns() - start) / iters;
}

static void setup(char *mutex_name, size_t mutex_size, char *sem_name,
		  size_t sem_size)
{
	c.devfd = open("/dev/rtsync", O_RDWR | O_CLOEXEC);
	if (c.devfd < 0)
		bail("open /dev/rtsync");
	c.mutex_fd = rtsync_mutex_open(bench_name(mutex_name, mutex_size,
						  "unc", 0),
				       O_CREAT | O_EXCL, 0600, 0);
	if (c.mutex_fd < 0)
		bail("rtsync_mutex_open");
	clock_gettime(CLOCK_MONOTONIC, &c.far);
	c.far.tv_sec += 3600;
	c.pi = shared_mem(sizeof(*c.pi));
	pi_mutex_init(c.pi);
	c.sysv_id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	if (c.sysv_id < 0 || semctl(c.sysv_id, 0, SETVAL, 1))
		bail("semget/semctl SETVAL");
	snprintf(sem_name, sem_size, "/%s", mutex_name);
	c.posix = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 1);
	if (c.posix == SEM_FAILED)
		bail("sem_open(%s)", sem_name);
}

static void teardown(const char *mutex_name, const char *sem_name)
{
	int err = 0;

	err |= rtsync_close(c.mutex_fd);
	err |= rtsync_unlink(mutex_name);
	err |= semctl(c.sysv_id, 0, IPC_RMID) != 0;
	err |= sem_close(c.posix) != 0;
	err |= sem_unlink(sem_name) != 0;
	err |= close(c.devfd) != 0;
	ok(!err, "uncontended: every object removed again");
}

int main(void)
{
	struct samples s[NR_CONTENDERS] = { 0 };
	char mutex_name[64], sem_name[72], runs[64];
	long iters = scaled(10000, 500);
	double m[NR_CONTENDERS];
	int rep, k;

	pin_cpu(CPU_A);
	setup(mutex_name, sizeof(mutex_name), sem_name, sizeof(sem_name));
	diag("uncontended: %d reps x %ld iterations of %d contenders, one thread on CPU %d",
		 REPS, iters, NR_CONTENDERS, CPU_A);

	/* Warm-up: first-use costs (the SEM_UNDO record, rtsync's thread
	 * record, page faults) are not what is measured.
	 */
	for (k = 0; k < NR_CONTENDERS; k++)
		run(k, iters / 10);
	for (rep = 0; rep < REPS; rep++)
		for (k = 0; k < NR_CONTENDERS; k++) {
			enum contender which = (rep + k) % NR_CONTENDERS;

			if (which == RTSYNC_HOLD_TIME)
				set_hold_time(1);
			add_sample(&s[which], run(which, iters));
			if (which == RTSYNC_HOLD_TIME)
				set_hold_time(0);
		}
	ok(errors == 0, "uncontended: every call succeeded (%ld failed)", errors);

	for (k = 0; k < NR_CONTENDERS; k++) {
		m[k] = samples_median(&s[k]);
		diag("uncontended: %-45s %8.1f ns", contender_name[k], m[k]);
	}
	snprintf(runs, sizeof(runs), "%d reps x %ld", REPS, iters);
	row_paired("1", "NOP ioctl on /dev/rtsync (floor)", &s[NOP],
		   contender_name[NULL_SYSCALL], &s[NULL_SYSCALL], "ns", "-", runs);
	row_paired("2", "uncontended lock+unlock", &s[RTSYNC_MUTEX],
		   contender_name[NOP_PAIR], &s[NOP_PAIR], "ns", "<=1.15", runs);
	row_paired("2", "uncontended lock+unlock", &s[RTSYNC_MUTEX],
		   contender_name[SYSV_SEM], &s[SYSV_SEM], "ns", "<1", runs);
	row_paired("2", "uncontended lock+unlock", &s[RTSYNC_MUTEX],
		   contender_name[PI_MUTEX], &s[PI_MUTEX], "ns", "-", runs);
	row_paired("2", "uncontended lock+unlock", &s[RTSYNC_MUTEX],
		   contender_name[POSIX_SEM], &s[POSIX_SEM], "ns", "-", runs);
	row_paired("2", "uncontended trylock+unlock",
		   &s[RTSYNC_TRYLOCK], contender_name[NOP_PAIR], &s[NOP_PAIR],
		   "ns", "-", runs);
	row_paired("2", "uncontended timedlock+unlock (LOCK reads its argument)",
		   &s[RTSYNC_TIMEDLOCK], contender_name[NOP_PAIR], &s[NOP_PAIR],
		   "ns", "-", runs);
	row_paired("2", "uncontended lock+unlock, statistics fully on (hold_time=Y)",
		   &s[RTSYNC_HOLD_TIME], "statistics at their default",
		   &s[RTSYNC_MUTEX], "ns", "-", runs);

	teardown(mutex_name, sem_name);
	return tap_done();
}
