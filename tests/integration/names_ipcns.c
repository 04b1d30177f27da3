// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Names per IPC namespace, as POSIX message queues have them.
 *
 * This process (the initial IPC namespace) makes mutexes A and B. A child
 * enters a new IPC namespace: A and B do not exist there (open and unlink
 * give ENOENT) and its /proc/rtsync lists nothing; it makes a semaphore
 * named A (another object, of another type, under the same name) and a
 * mutex C whose only user is its name; its /proc/rtsync lists exactly
 * those two. Here /proc/rtsync still shows A as a mutex, and no C. The
 * child passes its semaphore's fd over a Unix socket: here it is the
 * child's semaphore (a post here ends the child's wait there). When the
 * child exits its namespace ends: its names go (INFO on the passed fd
 * shows the name removed, with nobody opening anything meanwhile: the
 * periodic sweep), and the fd keeps working. A second namespace sees none
 * of the first one's names.
 *
 * Then nothing is left behind: ROUNDS namespaces in a row, each made by
 * root and then used by uid 1007 (no capability), each make PER_USER
 * named objects with no fd open and end. With max_objects_per_user at
 * PER_USER, a round can make its objects only once every earlier
 * namespace's objects have been freed and uncharged; at the end the
 * module's reference count (one per object and open file) is back where
 * it started. Needs CONFIG_IPC_NS and CAP_SYS_ADMIN; skipped (and
 * counted) without.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/socket.h>
#include "tap.h"
#include "helpers.h"
#include "harden_helpers.h"

#define ROUNDS		sized(20, 100, 4)
#define PER_USER	8
/* A round's frees may lag its end: its creates retry ENOSPC this long. */
#define SETTLE_LIMIT_MS	20000

static const struct identity u1007 = { .uid = 1007, .gid = 1007 };

/* What the first child, inside its namespace, found. */
struct report {
	volatile int stage;	/* 1: answered below; 2: its wait ended */
	int sock;		/* its end of the socket pair */
	int unshare_err;	/* errno of unshare(CLONE_NEWIPC), or 0 */
	int open_a_err;		/* open of the outer A, no CREAT */
	int unlink_b_err;	/* unlink of the outer B */
	int proc_before;	/* /proc/rtsync lines before it made names */
	int sem_a_err;		/* creating semaphore A */
	int mutex_c_err;	/* creating mutex C */
	int proc_after;		/* /proc/rtsync lines after */
	int proc_a_is_sem;	/* A listed as a semaphore */
	int proc_c_listed;
	int send_err;		/* passing semaphore A's fd */
	int wait_ret;		/* its wait on A, ended by a post from outside */
};

static char name_a[64], name_b[64], name_c[64];
static int have_ipcns;	/* unshare(CLONE_NEWIPC) works here */

static int listed_as(const char *name, const char *type)
{
	struct proc_entry e;

	return proc_find(name, &e) && !strcmp(e.type, type);
}

static int first_child(void *arg)
{
	struct report *r = arg;
	struct timespec deadline;
	int sem, fd;

	if (unshare(CLONE_NEWIPC)) {
		r->unshare_err = errno;
		flag_set(&r->stage, 1);
		return 0;
	}
	fd = rtsync_mutex_open(name_a, 0, 0, 0);
	r->open_a_err = fd < 0 ? errno : 0;
	r->unlink_b_err = rtsync_unlink(name_b) ? errno : 0;
	r->proc_before = proc_count();
	sem = rtsync_sem_open(name_a, O_CREAT | O_EXCL, 0600, 0, 10);
	r->sem_a_err = sem < 0 ? errno : 0;
	fd = rtsync_mutex_open(name_c, O_CREAT | O_EXCL, 0600, 0);
	r->mutex_c_err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);	/* only its name keeps C */
	r->proc_after = proc_count();
	r->proc_a_is_sem = listed_as(name_a, "sem");
	r->proc_c_listed = listed_as(name_c, "mutex");
	r->send_err = sem >= 0 ? send_fd(r->sock, sem) : EBADF;
	flag_set(&r->stage, 1);
	if (sem < 0)
		return 0;
	/* The post comes from outside, through the fd passed there. */
	deadline = ns_to_ts(now_ns(CLOCK_MONOTONIC) + 20000000000LL);
	r->wait_ret = rtsync_sem_timedwait(sem, CLOCK_MONOTONIC, &deadline) ?
		      errno : 0;
	flag_set(&r->stage, 2);
	return 0;
}

/* Poll INFO on @sem until its name is removed; 1 if it was, in 20 s. */
static int wait_unlinked(int sem)
{
	struct rtsync_sem_status st;
	int i;

	for (i = 0; i < 2000; i++) {
		if (rtsync_sem_info(sem, &st))
			return 0;
		if (st.flags & RTSYNC_SINFO_UNLINKED)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

/* A second namespace: none of the first one's names. */
static int second_child(void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWIPC))
		return 1;
	if (proc_count() != 0 || !name_absent(name_a) || !name_absent(name_c))
		return 2;
	return 0;
}

static void test_isolation(void)
{
	struct report *r = shared_mem(sizeof(*r));
	struct rtsync_sem_status st;
	int a, b, sv[2], sem = -1;
	int code, works;
	pid_t pid;

	a = new_mutex(name_a, sizeof(name_a), "ipcA", 0);
	b = new_mutex(name_b, sizeof(name_b), "ipcB", 0);
	test_name(name_c, sizeof(name_c), "ipcC");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		bail_out("socketpair");
	r->sock = sv[1];
	pid = start_child(first_child, r);
	if (!flag_wait(&r->stage, 1, 30000))
		bail_out("the child did not answer");
	if (r->unshare_err) {
		skip(strerror(r->unshare_err),
		     "names per IPC namespace: needs CONFIG_IPC_NS and CAP_SYS_ADMIN");
		wait_child(pid, 30);
		goto out;
	}
	have_ipcns = 1;
	ok(r->open_a_err == ENOENT && r->unlink_b_err == ENOENT,
	   "a new namespace does not see the initial one's names: open %s, unlink %s",
	   strerror(r->open_a_err), strerror(r->unlink_b_err));
	ok(r->proc_before == 0,
	   "its /proc/rtsync lists no object at first (%d)", r->proc_before);
	ok(r->sem_a_err == 0 && r->mutex_c_err == 0,
	   "it makes a semaphore under the name of an outer mutex, and a mutex (%s, %s)",
	   strerror(r->sem_a_err), strerror(r->mutex_c_err));
	ok(r->proc_after == 2 && r->proc_a_is_sem && r->proc_c_listed,
	   "its /proc/rtsync lists exactly its own two (%d lines)",
	   r->proc_after);
	ok(listed_as(name_a, "mutex") && !listed_as(name_a, "sem") &&
	   !listed_as(name_c, "mutex"),
	   "here /proc/rtsync lists the outer mutex of that name and not the namespace's objects");
	ok(mutex_status(a).owner_pid == 0 && rtsync_mutex_trylock(a) == 0 &&
	   rtsync_mutex_unlock(a) == 0,
	   "the outer mutex of that name is untouched");
	if (!r->send_err)
		sem = recv_fd(sv[0]);
	if (!ok(sem >= 0 && !rtsync_sem_info(sem, &st) &&
		!strcmp(st.name, name_a) && st.max == 10,
		"the namespace's semaphore arrives over a Unix socket (%s)",
		strerror(sem >= 0 ? 0 : r->send_err ? r->send_err : -sem))) {
		wait_child(pid, 30);
		goto out;
	}
	ok(rtsync_sem_post(sem, 1, NULL) == 0 && flag_wait(&r->stage, 2, 30000) &&
	   r->wait_ret == 0,
	   "a post here ends the wait there (%s)", strerror(r->wait_ret));
	code = wait_child(pid, 30);
	ok(code == 0, "the child finished: %s",
	   describe_exit(code, (char[64]){ 0 }, 64));
	ok(wait_unlinked(sem),
	   "once the namespace has ended its names are removed (INFO on the passed fd)");
	memset(&st, 0, sizeof(st));
	works = rtsync_sem_post(sem, 2, NULL) == 0 &&
		rtsync_sem_trywait(sem) == 0 && !rtsync_sem_info(sem, &st);
	ok(works && st.value == 1,
	   "the passed fd keeps working after its namespace ended (post 2, take 1: value %u)",
	   st.value);
	code = wait_child(start_child(second_child, NULL), 30);
	ok(code == 0,
	   "a later namespace sees none of the ended one's names: %s",
	   describe_exit(code, (char[64]){ 0 }, 64));
	ok(listed_as(name_a, "mutex") && listed_as(name_b, "mutex"),
	   "the initial namespace's names are all still there");
	close(sem);
out:
	close(sv[0]);
	close(sv[1]);
	drop_object(a, name_a);
	drop_object(b, name_b);
	shared_free(r, sizeof(*r));
}

/* ---- nothing left behind ---- */

struct churn {
	int round;
	int made;		/* objects the round made */
	int err;		/* its last error */
	int stale;		/* earlier rounds' names it could open */
};

static void churn_name(char *buf, size_t size, int round, int i)
{
	snprintf(buf, size, "t-churn-%d-%d-%d", (int)getppid(), round, i);
}

static int churn_child(void *arg)
{
	struct churn *c = arg;
	char name[64];
	int i;

	if (unshare(CLONE_NEWIPC)) {
		c->err = errno;
		return 1;
	}
	if (become(&u1007)) {
		c->err = errno;
		return 1;
	}
	for (i = 0; c->round && i < PER_USER; i++) {
		churn_name(name, sizeof(name), c->round - 1, i);
		c->stale += !name_absent(name);
	}
	for (i = 0; i < PER_USER; i++) {
		churn_name(name, sizeof(name), c->round, i);
		c->err = create_mutex_settled(name, SETTLE_LIMIT_MS);
		if (c->err)
			break;
		c->made++;
	}
	return 0;
}

static void test_churn(void)
{
	struct churn *c = shared_mem(sizeof(*c));
	unsigned long saved;
	int rounds = ROUNDS, round, code, stale = 0;

	if (param_read("max_objects_per_user", &saved)) {
		ok(0, "max_objects_per_user is readable");
		goto out;
	}
	if (param_write("max_objects_per_user", PER_USER)) {
		ok(0, "max_objects_per_user can be set");
		goto out;
	}
	for (round = 0; round < rounds; round++) {
		memset(c, 0, sizeof(*c));
		c->round = round;
		code = wait_child(start_child(churn_child, c), 60);
		stale += c->stale;
		if (code || c->made != PER_USER)
			break;
	}
	param_write("max_objects_per_user", saved);
	ok(round == rounds,
	   "%d namespaces in a row each made %d objects at a limit of %d per user (round %d made %d: %s)",
	   rounds, PER_USER, PER_USER, round, c->made, strerror(c->err));
	ok(stale == 0, "no namespace saw a name of the one before (%d seen)",
	   stale);
out:
	shared_free(c, sizeof(*c));
}

int main(void)
{
	uint32_t version;
	int refcnt;

	/* librtsync's own /dev/rtsync fd counts too: open it first. */
	rtsync_version(&version);
	refcnt = module_refcnt_settled();

	test_isolation();
	if (have_ipcns) {
		test_churn();
		/* the last namespace's names go with the next periodic sweep */
		expect_refcnt(refcnt, "after every namespace ended");
	} else {
		skip("no IPC namespace", "namespace churn");
	}
	return tap_done();
}
