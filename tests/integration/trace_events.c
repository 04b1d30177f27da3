// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The trace events (module/trace.h), read from tracefs as ftrace users
 * read them: enable events/rtsync, run a scripted contention, disable,
 * and find in the trace buffer the events of this test's objects, in
 * their order and with their fields:
 *   a holder takes the mutex (acquired, wait 0); a SCHED_FIFO 10 thread
 *   LOCKs it (contended: owner = the holder, prio 89); the holder lets go
 *   (released, with its hold time: hold_time is on); the waiter gets it
 *   (acquired, wait > 0 and at most what it measured) and lets go; a
 *   timed LOCK gives up (timeout, -110); a relock is refused (deadlock,
 *   reason relock); the holder dies holding it (owner_died);
 *   a semaphore WAIT sleeps (sem_wait), a POST of 2 hands it a unit
 *   (sem_post count 2 prev 0 woken 1) and the sleep ends (sem_woken 0);
 *   a condition wait (cond_wait), SIGNAL (cond_signal woken 1), the wake
 *   (cond_woken 0).
 * A kernel without tracefs skips the checks, counted as skips.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include "tap.h"
#include "helpers.h"

#define NSEC_PER_MSEC	1000000LL
#define HOLD_TIME	"/sys/module/rtsync/parameters/hold_time"

static char tracefs[64];

static int tracefs_write(const char *file, const char *value)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, value, strlen(value)) == (ssize_t)strlen(value) ? 0 : -1;
	close(fd);
	return ret;
}

static int find_tracefs(void)
{
	static const char *const where[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events/rtsync/enable",
			 where[i]);
		if (!access(path, F_OK)) {
			snprintf(tracefs, sizeof(tracefs), "%s", where[i]);
			return 0;
		}
	}
	/* Not mounted yet: mount it where the kernel provides the point. */
	if (mount("tracefs", where[0], "tracefs", 0, NULL))
		return -1;
	snprintf(tracefs, sizeof(tracefs), "%s", where[0]);
	snprintf(path, sizeof(path), "%s/events/rtsync/enable", tracefs);
	return access(path, F_OK);
}

/* One event of this test, as parsed from a line of the trace file. */
struct event {
	char name[32];		/* rtsync_mutex_acquired ... */
	char line[512];
};

#define MAX_EVENTS 64
static struct event events[MAX_EVENTS];
static int nr_events;

/* Keep the lines that name one of @names (the test's objects). */
static void read_trace(const char *const *names, int nr_names)
{
	char path[128], line[512], *p, *q, key[300];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/trace", tracefs);
	f = fopen(path, "r");
	if (!f)
		bail_out("reading the trace buffer");
	while (fgets(line, sizeof(line), f) && nr_events < MAX_EVENTS) {
		p = strstr(line, " rtsync_");
		if (!p || line[0] == '#')
			continue;
		for (i = 0; i < nr_names; i++) {
			snprintf(key, sizeof(key), " name=%s ", names[i]);
			if (strstr(line, key))
				break;
		}
		if (i == nr_names)
			continue;
		q = strchr(p + 1, ':');
		if (!q)
			continue;
		snprintf(events[nr_events].name, sizeof(events[0].name),
			 "%.*s", (int)(q - p - 1), p + 1);
		snprintf(events[nr_events].line, sizeof(events[0].line), "%s",
			 line);
		nr_events++;
	}
	fclose(f);
}

/* A field's value as a number; LLONG_MIN if the event has no such field. */
static long long field(const struct event *e, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(e->line, pat);
	return p ? strtoll(p + strlen(pat), NULL, 0) : LLONG_MIN;
}

static int has(const struct event *e, const char *text)
{
	return strstr(e->line, text) != NULL;
}

/* The next event named @name from *pos on; NULL if none. */
static const struct event *next_event(int *pos, const char *name)
{
	for (; *pos < nr_events; (*pos)++)
		if (!strcmp(events[*pos].name, name))
			return &events[(*pos)++];
	return NULL;
}

struct script {
	int mfd, sfd, cfd, cmfd;
	volatile int held, go_die;
	pid_t holder_tid, waiter_tid;
	int64_t waiter_ns;	/* the waiter's LOCK, measured around */
	int64_t timeout_ns;	/* the timed LOCK, measured around */
	int lock_ret;
};

static int holder_process(void *arg)
{
	struct script *s = arg;

	s->holder_tid = gettid();
	if (rtsync_mutex_lock(s->mfd))
		return 1;
	flag_set(&s->held, 1);
	if (wait_waiters(s->mfd, 1, 30000) != 1)
		return 2;
	sleep_ms(20);
	rtsync_mutex_unlock(s->mfd);
	/* Later: take it again and die holding it. */
	flag_wait(&s->go_die, 1, 60000);
	rtsync_mutex_lock(s->mfd);
	return 0;
}

static void *fifo_waiter(void *arg)
{
	struct script *s = arg;
	int64_t t0;

	s->waiter_tid = gettid();
	if (set_fifo(10))
		diag("SCHED_FIFO 10 refused: %s", strerror(errno));
	t0 = now_ns(CLOCK_MONOTONIC);
	s->lock_ret = rtsync_mutex_lock(s->mfd);
	s->waiter_ns = now_ns(CLOCK_MONOTONIC) - t0;
	rtsync_mutex_unlock(s->mfd);
	return NULL;
}

static void *sem_sleeper(void *arg)
{
	struct script *s = arg;

	return (void *)(long)rtsync_sem_wait(s->sfd);
}

static void *cond_sleeper(void *arg)
{
	struct script *s = arg;
	long ret;

	rtsync_mutex_lock(s->cmfd);
	ret = rtsync_cond_wait(s->cfd, s->cmfd);
	rtsync_mutex_unlock(s->cmfd);
	return (void *)ret;
}

static void run_script(struct script *s)
{
	struct rtsync_sem_status sinfo;
	struct rtsync_cond_status cinfo;
	struct timespec ts;
	unsigned int prev;
	pthread_t t;
	pid_t pid;
	int i;

	pid = start_child(holder_process, s);
	flag_wait(&s->held, 1, 30000);
	pthread_create(&t, NULL, fifo_waiter, s);
	join_thread(t, 60, NULL);

	/* A relock, refused. */
	rtsync_mutex_lock(s->mfd);
	rtsync_mutex_lock(s->mfd);
	rtsync_mutex_unlock(s->mfd);

	flag_set(&s->go_die, 1);
	wait_child(pid, 60);
	/* Taken back from the dead holder; another process times out. */
	if (rtsync_mutex_lock(s->mfd) == EOWNERDEAD)
		rtsync_mutex_consistent(s->mfd);
	pid = tap_fork();
	if (pid == 0) {
		int64_t t0 = now_ns(CLOCK_MONOTONIC);
		int ret;

		ts = ns_to_ts(t0 + 10 * NSEC_PER_MSEC);
		ret = rtsync_mutex_timedlock(s->mfd, CLOCK_MONOTONIC, &ts);
		s->timeout_ns = now_ns(CLOCK_MONOTONIC) - t0;
		_exit(ret == ETIMEDOUT ? 0 : 1);
	}
	wait_child(pid, 60);
	rtsync_mutex_unlock(s->mfd);

	pthread_create(&t, NULL, sem_sleeper, s);
	for (i = 0; i < 3000; i++) {
		rtsync_sem_info(s->sfd, &sinfo);
		if (sinfo.waiters == 1)
			break;
		sleep_ms(10);
	}
	rtsync_sem_post(s->sfd, 2, &prev);
	join_thread(t, 60, NULL);

	pthread_create(&t, NULL, cond_sleeper, s);
	for (i = 0; i < 3000; i++) {
		rtsync_cond_info(s->cfd, &cinfo);
		if (cinfo.waiters == 1)
			break;
		sleep_ms(10);
	}
	rtsync_cond_signal(s->cfd);
	join_thread(t, 60, NULL);
}

static void check_mutex_events(const struct script *s)
{
	const struct event *e;
	int pos = 0, p;

	e = next_event(&pos, "rtsync_mutex_acquired");
	ok(e && field(e, "tid") == s->holder_tid && field(e, "wait_ns") == 0 &&
	   field(e, "ret") == 0,
	   "mutex_acquired: the holder took it free (wait_ns=0)");
	e = next_event(&pos, "rtsync_mutex_contended");
	ok(e && field(e, "owner") == s->holder_tid &&
	   field(e, "tid") == s->waiter_tid && field(e, "prio") == 89,
	   "mutex_contended: owner is the holder, the waiter at prio 89 (SCHED_FIFO 10)");
	p = pos;
	e = next_event(&pos, "rtsync_mutex_released");
	ok(e && field(e, "tid") == s->holder_tid &&
	   field(e, "hold_ns") >= 20 * NSEC_PER_MSEC,
	   "mutex_released: the holder let go after %.3f ms (hold_time on, slept 20 ms)",
	   e ? ns_to_ms(field(e, "hold_ns")) : -1.0);
	e = next_event(&pos, "rtsync_mutex_acquired");
	ok(e && pos > p && field(e, "tid") == s->waiter_tid &&
	   field(e, "wait_ns") > 0 && field(e, "wait_ns") <= s->waiter_ns,
	   "mutex_acquired: then the waiter, after %.3f ms (it measured %.3f)",
	   e ? ns_to_ms(field(e, "wait_ns")) : -1.0, ns_to_ms(s->waiter_ns));
	e = next_event(&pos, "rtsync_mutex_released");
	ok(e && field(e, "tid") == s->waiter_tid,
	   "mutex_released: the waiter let go");
	e = next_event(&pos, "rtsync_mutex_deadlock");
	ok(e && has(e, "reason=relock") && field(e, "tid") == gettid(),
	   "mutex_deadlock: the relock, reason=relock");
	e = next_event(&pos, "rtsync_mutex_owner_died");
	ok(e && field(e, "tid") == s->holder_tid,
	   "mutex_owner_died: the holder died holding it");
	e = next_event(&pos, "rtsync_mutex_acquired");
	ok(e && field(e, "ret") == -EOWNERDEAD,
	   "mutex_acquired: taken back with ret=-%d (EOWNERDEAD)", EOWNERDEAD);
	e = next_event(&pos, "rtsync_mutex_timeout");
	ok(e && field(e, "ret") == -ETIMEDOUT && field(e, "wait_ns") > 0 &&
	   field(e, "wait_ns") <= s->timeout_ns,
	   "mutex_timeout: the timed LOCK (10 ms deadline) gave up after sleeping %.3f ms of the %.3f ms it measured",
	   e ? ns_to_ms(field(e, "wait_ns")) : -1.0, ns_to_ms(s->timeout_ns));
}

static void check_sem_cond_events(void)
{
	const struct event *e;
	int pos = 0;

	e = next_event(&pos, "rtsync_sem_wait");
	ok(e && field(e, "count") == 0, "sem_wait: a WAIT sleeps, nobody before it");
	e = next_event(&pos, "rtsync_sem_post");
	ok(e && field(e, "count") == 2 && field(e, "prev") == 0 &&
	   field(e, "woken") == 1,
	   "sem_post: count=2 prev=0 woken=1");
	e = next_event(&pos, "rtsync_sem_woken");
	ok(e && field(e, "ret") == 0 && field(e, "wait_ns") > 0,
	   "sem_woken: the sleeper got its unit");
	pos = 0;
	e = next_event(&pos, "rtsync_cond_wait");
	ok(e && field(e, "count") == 0, "cond_wait: a COND_WAIT sleeps");
	e = next_event(&pos, "rtsync_cond_signal");
	ok(e && field(e, "broadcast") == 0 && field(e, "woken") == 1,
	   "cond_signal: SIGNAL woke 1");
	e = next_event(&pos, "rtsync_cond_woken");
	ok(e && field(e, "ret") == 0, "cond_woken: the waiter was woken");
}

int main(void)
{
	struct script *s = shared_mem(sizeof(*s));
	char mname[64], sname[64], cname[64], cmname[64];
	const char *names[4] = { mname, sname, cname, cmname };
	int i;

	if (find_tracefs()) {
		for (i = 0; i < 15; i++)
			skip("no tracefs with rtsync events", "trace event %d", i);
		return tap_done();
	}
	s->mfd = new_mutex(mname, sizeof(mname), "trm", 0);
	s->cmfd = new_mutex(cmname, sizeof(cmname), "trcm", 0);
	test_name(sname, sizeof(sname), "trs");
	s->sfd = rtsync_sem_open(sname, O_CREAT | O_EXCL, 0600, 0, 10);
	test_name(cname, sizeof(cname), "trc");
	s->cfd = rtsync_cond_open(cname, O_CREAT | O_EXCL, 0600);
	if (s->sfd < 0 || s->cfd < 0)
		bail_out("creating the semaphore and the condition");

	write_number(HOLD_TIME, 1);
	ok(!tracefs_write("trace", "") &&
	   !tracefs_write("events/rtsync/enable", "1") &&
	   !tracefs_write("tracing_on", "1"),
	   "tracefs at %s: buffer cleared, events/rtsync enabled", tracefs);
	run_script(s);
	tracefs_write("events/rtsync/enable", "0");
	write_number(HOLD_TIME, 0);
	read_trace(names, 4);
	diag("%d events of this test's objects", nr_events);
	for (i = 0; i < nr_events; i++)
		diag("%s", events[i].line);
	check_mutex_events(s);
	check_sem_cond_events();
	tracefs_write("trace", "");

	drop_object(s->mfd, mname);
	drop_object(s->cmfd, cmname);
	drop_object(s->sfd, sname);
	drop_object(s->cfd, cname);
	shared_free(s, sizeof(*s));
	return tap_done();
}
