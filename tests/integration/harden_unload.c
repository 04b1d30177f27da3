// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Module unload safety: rmmod is refused (EWOULDBLOCK) while any object
 * exists — a named mutex, semaphore or condition variable with no fd, an
 * unlinked object that is still open, a mutex held by a process that has
 * closed its fd — and while a /dev/rtsync fd is open; it works once all of
 * that is gone, and the module loads again and works. Then rmmod and
 * insmod run in a loop while child processes open /dev/rtsync, create,
 * lock and exit holding their mutexes: nothing may crash (the kernel log
 * is checked by the harness; the debug kernel has KASAN), every child that
 * got a device fd must be able to use it, and the module must unload once
 * the children are gone.
 *
 * Raw ioctls only: librtsync keeps its /dev/rtsync fd open for the life of
 * the process, which would pin the module. Leaves the module loaded.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "harden_helpers.h"

#define BURST		6	/* children per round of the race */
#define NO_DEVICE	100	/* a child's exit code: /dev/rtsync not there */

static const char *const type_names[] = {
	[RTSYNC_TYPE_MUTEX] = "mutex",
	[RTSYNC_TYPE_SEM] = "semaphore",
	[RTSYNC_TYPE_COND] = "condition variable",
};

static void make_name(char *name, size_t size, const char *what, int n)
{
	snprintf(name, size, "t-unload-%d-%s-%d", (int)getpid(), what, n);
}

/*
 * The check helpers below build their descriptions with strf(), whose
 * buffers are reused: callers pass descriptions in buffers of their own.
 */

/* reload - load the module again after an unload that worked */
static int reload(const char *what)
{
	int err = load_module();

	return is_errno(err, 0, strf("%s: the module loads again", what)) &&
	       ok(wait_device(1), "%s: " DEVICE " is back", what);
}

/* expect_unload - rmmod must work now (after the deferred frees) */
static int expect_unload(const char *what)
{
	if (!is_errno(unload_module_settled(), 0, strf("%s: rmmod works", what)))
		return 0;
	return reload(what);
}

static void expect_refused(const char *what)
{
	is_errno(unload_module(), EWOULDBLOCK, strf("%s: rmmod refused", what));
	ok(device_present(), "%s: " DEVICE " still there", what);
}

/* A named object with no fd, of each type. */
static void test_named(int type)
{
	char name[80], what[80];
	int fd;

	snprintf(what, sizeof(what), "named %s with no fd", type_names[type]);
	make_name(name, sizeof(name), "named", type);
	fd = raw_open(name, type, RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600);
	if (!ok(fd >= 0, "%s: created (%s)", what, fd < 0 ? strerror(-fd) : "ok"))
		return;
	close(fd);
	expect_refused(what);
	is_errno(raw_unlink(name), 0, strf("%s: unlink", what));
	expect_unload(what);
}

/* An unlinked object that is still open. */
static void test_unlinked_open(int type)
{
	char name[80], what[80];
	int fd;

	snprintf(what, sizeof(what), "unlinked but open %s", type_names[type]);
	make_name(name, sizeof(name), "open", type);
	fd = raw_open(name, type, RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600);
	if (!ok(fd >= 0, "%s: created (%s)", what, fd < 0 ? strerror(-fd) : "ok"))
		return;
	is_errno(raw_unlink(name), 0, strf("%s: unlink", what));
	expect_refused(what);
	close(fd);
	expect_unload(what);
}

struct holder {
	char name[80];
	int use_thread;		/* lock in a thread that then exits */
	volatile int locked;	/* the mutex is held and every fd closed */
	volatile int release;	/* the parent lets it go */
	int err;
};

static void *hold_thread(void *arg)
{
	struct holder *h = arg;
	int fd = raw_open(h->name, RTSYNC_TYPE_MUTEX, 0, 0);

	if (fd < 0) {
		h->err = -fd;
		return NULL;
	}
	h->err = raw_lock(fd);
	close(fd);	/* the held mutex pins the object by itself */
	return NULL;	/* a thread that exits holding it: released */
}

/*
 * hold_child - lock the mutex, close the fd, tell the parent, then wait
 * (holding it) until released, and exit: an owner death. With use_thread
 * a thread locks it and exits at once while the process lives on.
 */
static int hold_child(void *arg)
{
	struct holder *h = arg;
	pthread_t t;

	if (h->use_thread) {
		if (pthread_create(&t, NULL, hold_thread, h))
			return EAGAIN;
		pthread_join(t, NULL);
	} else {
		hold_thread(h);
	}
	flag_set(&h->locked, 1);
	flag_wait(&h->release, 1, 60000);
	return h->err;
}

/* A mutex held by a process with no fd left, then released by a death. */
static void test_held(int use_thread)
{
	const char *what = use_thread ?
		"unlinked mutex locked by a thread that exited" :
		"unlinked mutex held by a process with no fd";
	struct holder *h = shared_mem(sizeof(*h));
	pid_t pid;
	int fd;

	make_name(h->name, sizeof(h->name), "held", use_thread);
	h->use_thread = use_thread;
	fd = raw_open(h->name, RTSYNC_TYPE_MUTEX,
		      RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600);
	if (!ok(fd >= 0, "%s: created", what))
		goto out;
	close(fd);
	pid = start_child(hold_child, h);
	if (ok(flag_wait(&h->locked, 1, 10000) && h->err == 0,
	       "%s: locked (%s)", what, strerror(h->err))) {
		is_errno(raw_unlink(h->name), 0, strf("%s: unlink", what));
		if (use_thread)	/* released when the thread died */
			expect_unload(what);
		else
			expect_refused(what);
	}
	flag_set(&h->release, 1);
	is_exit(wait_child(pid, 30), 0, strf("%s: the holder exits", what));
	if (!use_thread) {
		char after[96];

		snprintf(after, sizeof(after), "%s, after its death", what);
		expect_unload(after);
	}
out:
	shared_free(h, sizeof(*h));
}

/* An open /dev/rtsync fd holds the module too. */
static void test_device_fd(void)
{
	int fd = dev_open();

	if (!ok(fd >= 0, "open " DEVICE))
		return;
	expect_refused("open " DEVICE " fd");
	close(fd);
	expect_unload("closed " DEVICE " fd");
}

/* After a reload: the module works from scratch. */
static void test_works_after_reload(void)
{
	uint32_t version = 0;
	char name[80];
	int devfd, fd, ret;

	devfd = dev_open();
	if (!ok(devfd >= 0, "reloaded: open " DEVICE))
		return;
	ret = ioctl(devfd, RTSYNC_IOC_VERSION, &version);
	ok(ret == 0 && version == RTSYNC_ABI_VERSION,
	   "reloaded: VERSION is %u (got %u)", RTSYNC_ABI_VERSION, version);
	close(devfd);
	make_name(name, sizeof(name), "works", 0);
	fd = raw_open(name, RTSYNC_TYPE_MUTEX,
		      RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL, 0600);
	if (ok(fd >= 0, "reloaded: create a mutex")) {
		is_errno(raw_lock(fd), 0, "reloaded: lock");
		is_errno(ioctl(fd, RTSYNC_IOC_MUTEX_UNLOCK) ? errno : 0, 0,
			 "reloaded: unlock");
		close(fd);
	}
	is_errno(raw_unlink(name), 0, "reloaded: unlink");
}

/* ---- rmmod and insmod racing processes that come and go ---- */

struct race {
	volatile int stop;
	long attempts, unloads, loads;	/* by the hammer thread */
	long load_errors, other_errors;
	int first_error;
	char names[BURST][80];
	int round;
};

static struct race *race;

/* hammer - rmmod, and insmod again after each unload that worked */
static void *hammer(void *arg)
{
	uint64_t rng = (uint64_t)now_ns(CLOCK_MONOTONIC);
	int err;

	(void)arg;
	while (!flag_get(&race->stop)) {
		race->attempts++;
		err = unload_module();
		if (err == 0) {
			race->unloads++;
			if (rng_chance(&rng, 2))
				sleep_ms(rng_below(&rng, 3));
			err = load_module();
			if (err) {
				if (!race->load_errors++)
					race->first_error = err;
			} else {
				race->loads++;
				/* let children find it for a while */
				sleep_ms(rng_below(&rng, 20));
			}
		} else if (err != EWOULDBLOCK) {
			if (!race->other_errors++)
				race->first_error = err;
		}
		if (rng_chance(&rng, 4))
			sched_yield();
	}
	return NULL;
}

/*
 * race_child - open /dev/rtsync, create and lock a mutex, and exit without
 * unlocking, after maybe unlinking it, closing the fds, or pausing.
 * Exit code: 0, NO_DEVICE if the module was away, else the errno of a step
 * that failed although the device fd was open (which pins the module).
 */
static int race_child(void *arg)
{
	const char *name = arg;
	struct rtsync_open_args args = {
		.name = (uintptr_t)name,
		.type = RTSYNC_TYPE_MUTEX,
		.flags = RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL,
		.mode = 0600,
	};
	struct rtsync_unlink_args unlink_args = { .name = (uintptr_t)name };
	uint64_t rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	int devfd, fd, err, ms;

	/* The module may be away for a moment: try for up to 100 ms. */
	for (ms = 0; (devfd = open(DEVICE, O_RDWR | O_CLOEXEC)) < 0; ms++) {
		if (ms == 100)
			return NO_DEVICE;
		sleep_ms(1);
	}
	fd = ioctl(devfd, RTSYNC_IOC_OPEN, &args);
	if (fd < 0)
		return errno;
	err = raw_lock(fd);
	if (err)
		return err;
	if (rng_chance(&rng, 2) &&
	    ioctl(devfd, RTSYNC_IOC_UNLINK, &unlink_args) < 0)
		return errno;
	if (rng_chance(&rng, 2))
		close(fd);
	if (rng_chance(&rng, 2))
		close(devfd);
	if (rng_chance(&rng, 2))
		sleep_ms(rng_below(&rng, 3));
	return 0;	/* exits holding the mutex */
}

static void test_race(void)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) +
		      sized(3, 60, 1) * 1000000000LL;
	long children = 0, no_device = 0, failed = 0, rounds = 0;
	pid_t pids[BURST];
	pthread_t t;
	int i, code, err;

	race = shared_mem(sizeof(*race));
	if (pthread_create(&t, NULL, hammer, NULL))
		bail_out("pthread_create");
	while (now_ns(CLOCK_MONOTONIC) < end) {
		for (i = 0; i < BURST; i++) {
			snprintf(race->names[i], sizeof(race->names[i]),
				 "t-unload-%d-race-%ld-%d", (int)getpid(),
				 rounds, i);
			pids[i] = start_child(race_child, race->names[i]);
		}
		for (i = 0; i < BURST; i++) {
			code = wait_child(pids[i], 30);
			children++;
			if (code == NO_DEVICE) {
				no_device++;
			} else if (code) {
				char buf[80];

				if (failed++ < 5)
					diag("race child: %s",
					     describe_exit(code, buf, sizeof(buf)));
			}
		}
		/* Names the children left: gone, so the module can go. */
		for (i = 0; i < BURST; i++) {
			err = raw_unlink(race->names[i]);
			if (err && err != ENOENT && err != ENODEV && err != ENXIO)
				diag("unlink %s: %s", race->names[i], strerror(err));
		}
		rounds++;
		sleep_ms(20);	/* a quiet moment: the hammer should succeed */
	}
	flag_set(&race->stop, 1);
	if (join_thread(t, 30, NULL)) {
		ok(0, "race: the rmmod/insmod loop stops");
		return;
	}
	diag("race: %ld rounds, %ld children (%ld found no device); %ld rmmod attempts, %ld unloads, %ld loads",
	     rounds, children, no_device, race->attempts, race->unloads,
	     race->loads);
	ok(failed == 0,
	   "race: every child with a device fd could create and lock (%ld failed)",
	   failed);
	ok(race->load_errors == 0 && race->other_errors == 0,
	   "race: insmod always worked and rmmod failed only with EWOULDBLOCK (%ld, %ld; first %s)",
	   race->load_errors, race->other_errors,
	   race->first_error ? strerror(race->first_error) : "none");
	ok(race->unloads > 0, "race: the module was unloaded and loaded again during the race (%ld times)",
	   race->unloads);
	if (!device_present()) {
		err = load_module();
		is_errno(err, 0, "race: load the module after the loop");
		wait_device(1);
	}
	expect_unload("after the race, with every child gone");
	shared_free(race, sizeof(*race));
}

static int count_fn(const struct proc_entry *e, void *arg)
{
	(void)arg;
	diag("left by an earlier test: %s %s", e->type, e->name);
	return 0;
}

int main(void)
{
	int left, err, type;

	if (!ok(device_present(), DEVICE " present at the start") ||
	    !ok(access(MODULE_FILE, R_OK) == 0, MODULE_FILE " is readable"))
		return tap_done();	/* nothing here could restore it */

	left = proc_scan(count_fn, NULL);
	if (left != 0) {
		skip(strf("%d objects left by earlier tests", left),
		     "rmmod with no object, and everything after it");
		return tap_done();
	}
	if (!expect_unload("no object at all"))
		goto end;

	for (type = RTSYNC_TYPE_MUTEX; type <= RTSYNC_TYPE_COND; type++)
		test_named(type);
	for (type = RTSYNC_TYPE_MUTEX; type <= RTSYNC_TYPE_COND; type++)
		test_unlinked_open(type);
	test_held(0);
	test_held(1);
	test_device_fd();
	test_works_after_reload();
	test_race();
end:
	/* Whatever happened above, leave the module loaded. */
	if (!device_present()) {
		err = load_module();
		ok(err == 0 && wait_device(1), "module loaded again at the end (%s)",
		   err ? strerror(err) : "ok");
	}
	return tap_done();
}
