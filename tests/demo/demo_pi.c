// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * demo_pi: priority inversion, and how an rtsync mutex prevents it.
 *
 * Three processes share CPU 0:
 *   low     SCHED_FIFO 10, holds the lock for CS_MS of CPU work;
 *   medium  SCHED_FIFO 30, busy for HOG_MS, needs no lock;
 *   high    SCHED_FIFO 50, needs the lock.
 * low takes the lock, medium starts and preempts it, then high asks for
 * the lock. The scene runs twice. With an rtsync semaphore of max 1 as the
 * lock there is no owner to boost: low cannot run while medium does, so
 * high waits for medium's whole run. With an rtsync mutex, low inherits
 * high's priority, runs ahead of medium, finishes its critical section and
 * hands over the lock: high waits only for the rest of that section.
 *
 * Exits 0 if high waited at least HOG_MS / 2 with the semaphore and less
 * than half of that with the mutex; 1 if not; 2 if the scene could not be
 * set up (e.g. no permission for SCHED_FIFO).
 */
#define _GNU_SOURCE
#include "demo.h"

#define CS_MS		100	/* low's critical section, in CPU time */
#define HOG_MS		1000	/* medium's busy run, in wall time */
#define SCENE_CPU	0
#define PRIO_LOW	10
#define PRIO_MEDIUM	30
#define PRIO_HIGH	50
#define PRIO_PARENT	60	/* to set the scene on time */
#define RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"

struct scene {
	int use_mutex;
	int lock_fd;
	volatile int low_locked;
	volatile int medium_running;
	volatile int high_asking;
	int64_t high_wait_ns;
	struct timeline tl;
};

static int take(struct scene *s)
{
	return s->use_mutex ? rtsync_mutex_lock(s->lock_fd) :
			      rtsync_sem_wait(s->lock_fd);
}

static int release(struct scene *s)
{
	return s->use_mutex ? rtsync_mutex_unlock(s->lock_fd) :
			      rtsync_sem_post(s->lock_fd, 1, NULL);
}

/* Enter the scene: CPU 0 at the given priority. */
static int join_scene(int rtprio)
{
	int err = pin_cpu(SCENE_CPU);

	return err ? err : set_policy(rtprio);
}

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int low(void *arg)
{
	struct scene *s = arg;
	int64_t until;
	int err;

	err = join_scene(PRIO_LOW);
	if (err)
		return err;
	err = take(s);
	if (err)
		return err;
	event(&s->tl, "low takes the lock and starts %d ms of work", CS_MS);
	flag_set(&s->low_locked, 1);
	/* CPU time, not wall time: the work only advances while low runs. */
	until = thread_cpu_ns() + CS_MS * 1000000LL;
	while (thread_cpu_ns() < until)
		;
	event(&s->tl, "low releases the lock");
	return release(s);
}

static int medium(void *arg)
{
	struct scene *s = arg;
	int64_t until;
	int err;

	err = join_scene(PRIO_MEDIUM);
	if (err)
		return err;
	event(&s->tl, "medium starts %d ms of busy work (no lock)", HOG_MS);
	flag_set(&s->medium_running, 1);
	until = now_ns() + HOG_MS * 1000000LL;
	while (now_ns() < until)
		;
	event(&s->tl, "medium is done");
	return 0;
}

static int high(void *arg)
{
	struct scene *s = arg;
	int64_t asked;
	int err;

	err = join_scene(PRIO_HIGH);
	if (err)
		return err;
	event(&s->tl, "high asks for the lock");
	flag_set(&s->high_asking, 1);
	asked = now_ns();
	err = take(s);
	if (err)
		return err;
	s->high_wait_ns = now_ns() - asked;
	event(&s->tl, "high gets the lock");
	return release(s);
}

/* sleepers - how many sleep on the lock, as INFO reports it */
static unsigned int sleepers(struct scene *s)
{
	struct rtsync_mutex_status ms;
	struct rtsync_sem_status ss;

	if (s->use_mutex)
		return rtsync_mutex_info(s->lock_fd, &ms) ? 0 : ms.waiters;
	return rtsync_sem_info(s->lock_fd, &ss) ? 0 : ss.waiters;
}

/*
 * rtprio_of - the SCHED_FIFO priority a process runs at right now, read
 * from field 18 of /proc/PID/stat (-1 - rtprio): the only place that shows
 * a boost by priority inheritance. -1 if unknown.
 */
static int rtprio_of(pid_t pid)
{
	char path[64], buf[512], *p, *save = NULL;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* field 2, "(comm)", may hold spaces */
	if (!p)
		return -1;
	for (field = 3, p = strtok_r(p + 1, " ", &save); p;
	     field++, p = strtok_r(NULL, " ", &save))
		if (field == 18)
			return -1 - atoi(p);
	return -1;
}

/* run_scene - one run; returns high's wait in ns, or -1 if it failed */
static int64_t run_scene(struct scene *s, int use_mutex)
{
	char name[64];
	pid_t pid_low, pid_medium, pid_high;
	int ok = 1, prio = -1;
	int64_t end;

	memset(s, 0, sizeof(*s));
	s->use_mutex = use_mutex;
	snprintf(name, sizeof(name), "demo-pi-%s-%d",
		 use_mutex ? "mutex" : "sem", (int)getpid());
	s->lock_fd = use_mutex ?
		     rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0) :
		     rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, 1, 1);
	if (s->lock_fd < 0)
		die(use_mutex ? "rtsync_mutex_open" : "rtsync_sem_open");

	timeline_begin(&s->tl);
	pid_low = start_child(low, s);
	ok &= flag_wait(&s->low_locked, 10000);
	pid_medium = start_child(medium, s);
	ok &= flag_wait(&s->medium_running, 10000);
	pid_high = start_child(high, s);
	ok &= flag_wait(&s->high_asking, 10000);

	/* Show low's priority once high sleeps on the lock. */
	end = now_ns() + 5000 * 1000000LL;
	while (ok && sleepers(s) == 0 && now_ns() < end)
		sleep_ms(1);
	if (sleepers(s))
		prio = rtprio_of(pid_low);
	if (prio >= 0)
		event(&s->tl, "low's priority while high waits: FIFO %d%s",
		      prio, prio > PRIO_LOW ? " (boosted)" : "");

	ok &= reap(pid_high, 20) == 0;
	ok &= reap(pid_medium, 20) == 0;
	ok &= reap(pid_low, 20) == 0;
	timeline_print(&s->tl);
	close(s->lock_fd);
	rtsync_unlink(name);
	if (!ok) {
		printf("  the scene did not play out (a process failed or hung)\n");
		return -1;
	}
	printf("  high waited %.1f ms for the lock\n", ns_to_ms(s->high_wait_ns));
	return s->high_wait_ns;
}

/*
 * RT throttling would stop every SCHED_FIFO task on CPU 0 for 50 ms each
 * second, blurring the scene: turn it off while the demo runs.
 */
static char saved_rt_runtime[32];

static void write_rt_runtime(const char *value)
{
	int fd = open(RT_RUNTIME, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		fprintf(stderr, "demo: cannot write %s: %s\n", RT_RUNTIME,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void restore_rt_runtime(void)
{
	if (saved_rt_runtime[0])
		write_rt_runtime(saved_rt_runtime);
}

static void on_fatal_signal(int sig)
{
	restore_rt_runtime();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void disable_rt_throttling(void)
{
	int fd = open(RT_RUNTIME, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, saved_rt_runtime,
					sizeof(saved_rt_runtime) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		saved_rt_runtime[0] = '\0';
		return;
	}
	saved_rt_runtime[n] = '\0';
	saved_rt_runtime[strcspn(saved_rt_runtime, "\n")] = '\0';
	if (!strcmp(saved_rt_runtime, "-1")) {
		saved_rt_runtime[0] = '\0';	/* nothing to restore */
		return;
	}
	atexit(restore_rt_runtime);
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	write_rt_runtime("-1");
}

int main(void)
{
	int64_t without_pi, with_pi;
	struct scene *s;
	long cpus;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	s = shared_mem(sizeof(*s));
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* The parent watches from another CPU when there is one. */
	err = pin_cpu(cpus > 1 ? (int)cpus - 1 : SCENE_CPU);
	if (!err)
		err = set_policy(PRIO_PARENT);
	if (err) {
		fprintf(stderr, "demo_pi: cannot use SCHED_FIFO: %s\n",
			strerror(err));
		return 2;
	}
	disable_rt_throttling();

	printf("Priority inversion, three processes on CPU %d:\n", SCENE_CPU);
	printf("  low    SCHED_FIFO %d  holds the lock for %d ms of work\n",
	       PRIO_LOW, CS_MS);
	printf("  medium SCHED_FIFO %d  runs %d ms, needs no lock\n",
	       PRIO_MEDIUM, HOG_MS);
	printf("  high   SCHED_FIFO %d  needs the lock\n\n", PRIO_HIGH);

	printf("1. The lock is an rtsync semaphore of max 1 (no owner, no priority inheritance):\n");
	without_pi = run_scene(s, 0);
	printf("\n2. The lock is an rtsync mutex (priority inheritance):\n");
	with_pi = run_scene(s, 1);
	printf("\n");
	if (without_pi < 0 || with_pi < 0)
		return 1;

	if (without_pi < HOG_MS * 1000000LL / 2) {
		printf("NOT SHOWN: without priority inheritance high waited only %.1f ms; the inversion did not happen\n",
		       ns_to_ms(without_pi));
		return 1;
	}
	if (with_pi >= without_pi / 2) {
		printf("NOT SHOWN: with priority inheritance high still waited %.1f ms (%.1f ms without)\n",
		       ns_to_ms(with_pi), ns_to_ms(without_pi));
		return 1;
	}
	printf("With priority inheritance high waited %.1f ms instead of %.1f ms: %.0fx shorter.\n",
	       ns_to_ms(with_pi), ns_to_ms(without_pi),
	       (double)without_pi / (with_pi > 0 ? with_pi : 1));
	return 0;
}
