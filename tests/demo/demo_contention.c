// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * demo_contention: which named lock made the real-time process wait, and
 * for how long?
 *
 * Three processes share two named mutexes for SCENE_MS:
 *   control  SCHED_FIFO 50: every 10 ms takes demo.config, then
 *            demo.journal, briefly each, and measures its own waits;
 *   logger   SCHED_OTHER: holds demo.journal for 5 ms at a time, with
 *            1 ms gaps: the badly contended lock;
 *   report   SCHED_OTHER: now and then takes demo.config for a moment.
 * Then the scene is read back as an engineer would after a missed
 * deadline: `rtsyncctl top --once` ranks the locks by the time threads
 * waited on them, and the trace events (rtsync_mutex_contended and
 * rtsync_mutex_acquired, read from tracefs) say how often and how long
 * control itself waited on each lock.
 *
 * Exits 0 if top ranks demo.journal first and the trace shows control's
 * longest wait on demo.journal, longer than on demo.config and no longer
 * than control measured itself; 1 if not; 2 if the scene could not be set
 * up.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include "demo.h"

#define SCENE_MS	1500
#define PRIO_CONTROL	50
#define TRACEFS		"/sys/kernel/tracing"

static const char *const lock_name[2] = { "demo.config", "demo.journal" };

struct scene {
	int fd[2];		/* demo.config, demo.journal */
	volatile int stop;
	pid_t control_tid;
	long control_waits[2];	/* LOCKs of control that had to sleep */
	int64_t control_max_ns[2];
	int err;
};

static void hold(int fd, unsigned int ms)
{
	if (!rtsync_mutex_lock(fd)) {
		if (ms)
			sleep_ms(ms);
		rtsync_mutex_unlock(fd);
	}
}

static int logger(void *arg)
{
	struct scene *s = arg;

	while (!flag_get(&s->stop)) {
		hold(s->fd[1], 5);
		sleep_ms(1);
	}
	return 0;
}

static int report(void *arg)
{
	struct scene *s = arg;

	while (!flag_get(&s->stop)) {
		hold(s->fd[0], 0);
		sleep_ms(50);
	}
	return 0;
}

static int control(void *arg)
{
	struct scene *s = arg;
	int64_t t0, waited;
	int i, err;

	s->control_tid = gettid();
	err = set_policy(PRIO_CONTROL);
	if (err)
		return err;
	while (!flag_get(&s->stop)) {
		for (i = 0; i < 2; i++) {
			t0 = now_ns();
			if (rtsync_mutex_lock(s->fd[i]))
				return 1;
			waited = now_ns() - t0;
			rtsync_mutex_unlock(s->fd[i]);
			if (waited > s->control_max_ns[i])
				s->control_max_ns[i] = waited;
		}
		sleep_ms(10);
	}
	return 0;
}

static int tracefs_write(const char *file, const char *value)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(value, f);
	return fclose(f);
}

/*
 * Read control's rtsync_mutex_acquired events back: how many of its LOCKs
 * slept on each lock, and the longest. Returns -1 without a trace.
 */
static int read_trace(struct scene *s, long waits[2], int64_t max_ns[2])
{
	char line[512], key[64], *p;
	FILE *f = fopen(TRACEFS "/trace", "r");
	long long wait;
	int i, n = 0;

	if (!f)
		return -1;
	snprintf(key, sizeof(key), " tid=%d ", (int)s->control_tid);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "rtsync_mutex_acquired:") ||
		    !strstr(line, key))
			continue;
		p = strstr(line, " wait_ns=");
		wait = p ? strtoll(p + 9, NULL, 10) : 0;
		for (i = 0; i < 2; i++) {
			char name[64];

			snprintf(name, sizeof(name), " name=%s ", lock_name[i]);
			if (!strstr(line, name) || !wait)
				continue;
			waits[i]++;
			if (wait > max_ns[i])
				max_ns[i] = wait;
			n++;
		}
	}
	fclose(f);
	return n;
}

/* The first lock `rtsyncctl top --once` lists, or "" */
static void top_first(char *first, size_t size)
{
	char line[512];
	FILE *p;

	first[0] = '\0';
	printf("$ rtsyncctl top --once\n");
	fflush(stdout);
	p = popen("rtsyncctl top --once", "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		fputs(line, stdout);
		if (!first[0] && strstr(line, "demo."))
			snprintf(first, size, "%s",
				 strstr(line, "demo.journal") ? "demo.journal" :
				 "demo.config");
	}
	pclose(p);
}

int main(void)
{
	struct scene *s = shared_mem(sizeof(*s));
	int64_t trace_max[2] = { 0, 0 };
	long trace_waits[2] = { 0, 0 };
	pid_t pid[3];
	char first[32];
	int i, traced, shown;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < 2; i++) {
		rtsync_unlink(lock_name[i]);
		s->fd[i] = rtsync_mutex_open(lock_name[i], O_CREAT | O_EXCL,
					     0600, 0);
		if (s->fd[i] < 0)
			die("rtsync_mutex_open");
	}
	/* Mounted by nobody yet in a minimal guest: mount it. */
	if (access(TRACEFS "/trace", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	traced = !tracefs_write("trace", "") &&
		 !tracefs_write("events/rtsync/rtsync_mutex_contended/enable", "1") &&
		 !tracefs_write("events/rtsync/rtsync_mutex_acquired/enable", "1");
	printf("Three processes, two named mutexes, %d ms: control (SCHED_FIFO %d) takes\n"
	       "demo.config and demo.journal every 10 ms; logger holds demo.journal 5 ms\n"
	       "at a time; report takes demo.config now and then.\n\n",
	       SCENE_MS, PRIO_CONTROL);
	pid[0] = start_child(logger, s);
	pid[1] = start_child(report, s);
	pid[2] = start_child(control, s);
	sleep_ms(SCENE_MS);
	flag_set(&s->stop, 1);
	for (i = 0; i < 3; i++)
		if (reap(pid[i], 30))
			s->err = 1;
	tracefs_write("events/rtsync/enable", "0");
	if (s->err) {
		printf("the scene could not be played (no SCHED_FIFO?)\n");
		return 2;
	}

	printf("Which lock made threads wait?\n");
	top_first(first, sizeof(first));
	printf("\nWhat control waited for, from the trace events:\n");
	if (traced && read_trace(s, trace_waits, trace_max) >= 0) {
		for (i = 0; i < 2; i++)
			printf("  %-13s %4ld LOCKs slept, longest %.3f ms (control measured %.3f ms)\n",
			       lock_name[i], trace_waits[i],
			       ns_to_ms(trace_max[i]),
			       ns_to_ms(s->control_max_ns[i]));
	} else {
		printf("  no tracefs at " TRACEFS "\n");
	}
	tracefs_write("trace", "");

	shown = !strcmp(first, "demo.journal") && traced &&
		trace_max[1] > trace_max[0] &&
		trace_max[1] <= s->control_max_ns[1];
	printf("\n%s\n", shown ?
	       "demo.journal is the lock to fix: it is the one control waited on." :
	       "NOT SHOWN: top or the trace did not single out demo.journal");
	for (i = 0; i < 2; i++) {
		rtsync_close(s->fd[i]);
		rtsync_unlink(lock_name[i]);
	}
	return shown ? 0 : 1;
}
