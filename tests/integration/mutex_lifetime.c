// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Object lifetime (POSIX semantics): unlink removes the name at once while
 * the object lives on for its open fds and while it is held; the name can
 * be reused immediately and then means a new, independent object; closing
 * the last fd of a held mutex frees nothing until it is released.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "helpers.h"

static void test_unlink_while_held(void)
{
	struct rtsync_mutex_status st;
	char name[64];
	int old, new;

	old = new_mutex(name, sizeof(name), "life", 0);
	is_errno(rtsync_mutex_lock(old), 0, "lock before unlink");
	is_errno(rtsync_unlink(name), 0, "unlink while held");
	st = mutex_status(old);
	ok(st.flags & RTSYNC_MINFO_UNLINKED,
	   "INFO on the old fd shows UNLINKED (flags %#x)", st.flags);
	ok(st.owner_tid == gettid() && st.recursion == 1,
	   "the unlinked mutex is still held by us (owner %d)",
	   (int)st.owner_tid);
	ok(!strcmp(st.name, name), "INFO still reports its name ('%s')",
	   st.name);
	ok(rtsync_mutex_open(name, 0, 0, 0) < 0 && errno == ENOENT,
	   "open of the unlinked name without O_CREAT: ENOENT");
	is_errno(rtsync_unlink(name), ENOENT, "second unlink of the name");

	new = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (!ok(new >= 0, "the name can be created again at once (%s)",
		new < 0 ? strerror(errno) : "ok")) {
		rtsync_mutex_unlock(old);
		close(old);
		return;
	}
	st = mutex_status(new);
	ok(!(st.flags & RTSYNC_MINFO_UNLINKED) && st.owner_tid == 0,
	   "the new object is linked and free (flags %#x owner %d)", st.flags,
	   (int)st.owner_tid);
	is_errno(rtsync_mutex_trylock(new), 0,
		 "trylock of the new object succeeds while we hold the old one");
	st = mutex_status(old);
	ok(st.owner_tid == gettid() && st.recursion == 1,
	   "the old object is untouched (owner %d recursion %u)",
	   (int)st.owner_tid, st.recursion);
	is_errno(rtsync_mutex_unlock(new), 0, "unlock the new object");
	ok(mutex_status(old).owner_tid == gettid(),
	   "the old one is still held after unlocking the new one");
	is_errno(rtsync_mutex_unlock(old), 0, "unlock the old object");
	ok(mutex_status(new).owner_tid == 0 && mutex_status(old).owner_tid == 0,
	   "both free");

	/* An unlinked object keeps working for the fds that have it. */
	is_errno(rtsync_mutex_lock(old), 0, "lock the unlinked object again");
	is_errno(rtsync_mutex_unlock(old), 0, "and unlock it");
	close(old);
	drop_object(new, name);
}

struct locker {
	int fd;
	volatile int held;
	volatile int started;
	volatile int release;
	int lock_ret;
	int unlock_ret;
	unsigned int flags_seen;
	pid_t owner_seen;
};

static int holder_process(void *arg)
{
	struct locker *l = arg;

	l->lock_ret = rtsync_mutex_lock(l->fd);
	flag_set(&l->held, 1);
	flag_wait(&l->release, 1, 120000);
	l->unlock_ret = rtsync_mutex_unlock(l->fd);
	return 0;
}

static int waiter_process(void *arg)
{
	struct locker *l = arg;
	struct rtsync_mutex_status st;

	flag_set(&l->started, 1);
	l->lock_ret = rtsync_mutex_lock(l->fd);
	if (!rtsync_mutex_info(l->fd, &st)) {
		l->flags_seen = st.flags;
		l->owner_seen = st.owner_pid;
	}
	if (!l->lock_ret)
		l->unlock_ret = rtsync_mutex_unlock(l->fd);
	return 0;
}

/* Unlink while one process holds and another sleeps in LOCK. */
static void test_unlink_with_waiter(void)
{
	struct locker *h = shared_mem(sizeof(*h));
	struct locker *w = shared_mem(sizeof(*w));
	const char *label = "unlink with a waiter";
	pid_t hpid, wpid;
	char name[64];
	int fd;

	fd = h->fd = w->fd = new_mutex(name, sizeof(name), "life", 0);
	hpid = start_child(holder_process, h);
	flag_wait(&h->held, 1, 30000);
	wpid = start_child(waiter_process, w);
	flag_wait(&w->started, 1, 30000);
	ok(wait_waiters(fd, 1, 30000) == 1, "%s: waiter sleeps", label);
	is_errno(rtsync_unlink(name), 0, "unlink while held and waited on");
	close(fd);	/* the children's fds keep it alive */

	flag_set(&h->release, 1);
	is_exit(wait_child(hpid, 30), 0, strf("%s: holder finished", label));
	is_exit(wait_child(wpid, 30), 0, strf("%s: waiter finished", label));
	is_errno(h->unlock_ret, 0, "holder unlocks the unlinked mutex");
	is_errno(w->lock_ret, 0, "the waiter acquires the unlinked mutex");
	ok(w->owner_seen == wpid && (w->flags_seen & RTSYNC_MINFO_UNLINKED),
	   "%s: the waiter owned it and saw UNLINKED (owner %d flags %#x)",
	   label, (int)w->owner_seen, w->flags_seen);
	is_errno(w->unlock_ret, 0, "the waiter unlocks it");
	ok(rtsync_mutex_open(name, 0, 0, 0) < 0 && errno == ENOENT,
	   "%s: the name stays gone", label);
	shared_free(h, sizeof(*h));
	shared_free(w, sizeof(*w));
}

/*
 * The only fd of a held mutex is closed: the mutex stays held (the name
 * still finds the same, held object) until its owner dies.
 */
struct closer {
	const char *name;
	volatile int held;
	volatile int may_exit;
	int open_err;
	int lock_ret;
	int close_ret;
};

static int close_while_held(void *arg)
{
	struct closer *c = arg;
	int fd = rtsync_mutex_open(c->name, 0, 0, 0);

	if (fd < 0) {
		c->open_err = errno;
		flag_set(&c->held, 1);
		return 1;
	}
	c->lock_ret = rtsync_mutex_lock(fd);
	c->close_ret = close(fd) ? errno : 0;
	flag_set(&c->held, 1);
	flag_wait(&c->may_exit, 1, 120000);
	return 0;
}

static void test_close_while_held(void)
{
	struct closer *c = shared_mem(sizeof(*c));
	const char *label = "last fd closed while held";
	struct rtsync_mutex_status st;
	char name[64];
	pid_t pid;
	int fd;

	fd = new_mutex(name, sizeof(name), "life", 0);
	close(fd);	/* only the name keeps it now */
	c->name = name;
	pid = start_child(close_while_held, c);
	flag_wait(&c->held, 1, 30000);
	is_errno(c->open_err, 0, "child opens by name");
	is_errno(c->lock_ret, 0, "child locks");
	is_errno(c->close_ret, 0, "child closes its only fd while holding");

	fd = rtsync_mutex_open(name, 0, 0, 0);
	if (!ok(fd >= 0, "%s: the name still opens", label)) {
		flag_set(&c->may_exit, 1);
		wait_child(pid, 30);
		rtsync_unlink(name);
		return;
	}
	st = mutex_status(fd);
	ok(st.owner_pid == pid, "%s: still held by the child (owner %d)", label,
	   (int)st.owner_pid);
	is_errno(rtsync_mutex_trylock(fd), EBUSY, "trylock after the holder closed its fd");

	flag_set(&c->may_exit, 1);
	is_exit(wait_child(pid, 30), 0, "child exits holding");
	is_errno(lock_within(fd, 30), EOWNERDEAD,
		 "the exit released it: next lock gets EOWNERDEAD");
	is_errno(rtsync_mutex_consistent(fd), 0, strf("%s: consistent", label));
	is_errno(rtsync_mutex_unlock(fd), 0, strf("%s: unlock", label));
	drop_object(fd, name);
	shared_free(c, sizeof(*c));
}

#define EXEC_ARG	"--exit-after-exec"
/*
 * Unlinked and its last fd closed while held: nothing refers to the object
 * but the owner's held list. The owner thread then ends; its exit hook
 * must free it (a debug kernel reports use-after-free or a leak here; the
 * module's reference count shows a leak on any kernel), and the name is
 * free for a new object.
 */
struct orphan {
	char name[64];
	int steps;		/* each step's result, 0 when all succeeded */
};

static void *orphan_thread(void *arg)
{
	struct orphan *o = arg;
	int fd = rtsync_mutex_open(o->name, O_CREAT | O_EXCL, 0600, 0);

	if (fd < 0) {
		o->steps = errno;
		return NULL;
	}
	o->steps |= rtsync_mutex_lock(fd);
	o->steps |= rtsync_unlink(o->name);
	o->steps |= close(fd) ? errno : 0;
	return NULL;	/* ends holding an object nobody can reach */
}

static int orphan_process(void *arg)
{
	orphan_thread(arg);
	return 0;
}

static void test_orphan(int in_process)
{
	const char *label = in_process ? "unlinked, closed and held by a process that exits"
				       : "unlinked, closed and held by a thread that returns";
	struct orphan *o = shared_mem(sizeof(*o));
	struct rtsync_mutex_status st;
	int fd, before = module_refcnt_settled();
	pthread_t t;

	ok(before > 0, "%s: %s reads %d", label, MODULE_REFCNT, before);
	test_name(o->name, sizeof(o->name), "life");
	if (in_process) {
		is_exit(wait_child(start_child(orphan_process, o), 30), 0,
			"orphaning process finished");
	} else {
		if (pthread_create(&t, NULL, orphan_thread, o))
			bail_out("pthread_create");
		ok(!join_thread(t, 30, NULL), "orphaning thread finished");
	}
	is_errno(o->steps, 0, strf("%s: every step worked", label));
	fd = rtsync_mutex_open(o->name, O_CREAT | O_EXCL, 0600, 0);
	if (ok(fd >= 0, "%s: the name makes a new object (%s)", label,
	       fd < 0 ? strerror(errno) : "ok")) {
		st = mutex_status(fd);
		ok(st.owner_tid == 0 && st.flags == 0,
		   "%s: the new object is free and clean (owner %d flags %#x)",
		   label, (int)st.owner_tid, st.flags);
		is_errno(rtsync_mutex_trylock(fd), 0,
			 strf("%s: trylock of the new object", label));
		rtsync_mutex_unlock(fd);
		drop_object(fd, o->name);
	}
	expect_refcnt(before, label);
	shared_free(o, sizeof(*o));
}

/*
 * Locks, unlinks and exec()s holding the mutex, whose only fd is
 * close-on-exec: the exec hook releases it as an owner death while the fd
 * is still open (its close completes on the way back to user space), and
 * that close frees the object.
 */
static int orphan_exec_process(void *arg)
{
	const char *name = arg;
	int fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);

	if (fd < 0 || rtsync_mutex_lock(fd) || rtsync_unlink(name))
		return 1;
	execl("/proc/self/exe", "mutex_lifetime", EXEC_ARG, (char *)NULL);
	return 127;
}

static void test_orphan_exec(void)
{
	const char *label = "unlinked and held across exec() (fds close on exec)";
	char *name = shared_mem(64);
	int before = module_refcnt_settled();

	test_name(name, 64, "life");
	is_exit(wait_child(start_child(orphan_exec_process, name), 30), 0,
		"process that locked, unlinked and exec'd");
	expect_refcnt(before, label);
	ok(name_absent(name), "%s: the name is gone", label);
	shared_free(name, 64);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], EXEC_ARG))
		return 0;
	test_unlink_while_held();
	test_unlink_with_waiter();
	test_close_while_held();
	test_orphan(0);
	test_orphan(1);
	test_orphan_exec();
	return tap_done();
}
