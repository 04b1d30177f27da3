// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Permissions, as SysV IPC: OPEN needs read and write permission for the
 * caller's class (owner or creator uid: owner bits; else owner or creator
 * gid, primary or supplementary: group bits; else other bits) unless it has
 * CAP_IPC_OWNER, and it is the only check, so an fd passed over a Unix
 * socket works for its receiver. UNLINK and SETPERM need the owner's or
 * the creator's uid, or CAP_SYS_ADMIN. The mode is masked by the
 * creator's umask; SETPERM's is not.
 *
 * Runs as root in the guest; each step runs in a child that switched to
 * another uid/gid with setresuid() (which drops every capability), so the
 * module sees an ordinary user. Results come back as exit codes (errnos).
 */
#define _GNU_SOURCE
#include "tap.h"
#include "harden_helpers.h"

#define KEEP	((unsigned int)-1)	/* SETPERM: leave this field */

static const struct identity u1000 = { .uid = 1000, .gid = 1000 };
static const struct identity u1001 = { .uid = 1001, .gid = 1001 };
static const struct identity u1003 = { .uid = 1003, .gid = 1003 };
/* members of group 3000: by creation gid, primary gid, supplementary */
static const struct identity u1000_g3000 = { .uid = 1000, .gid = 3000 };
static const struct identity u1002_g3000 = { .uid = 1002, .gid = 3000 };
static const struct identity u1001_sup3000 = {
	.uid = 1001, .gid = 1001, .ngroups = 1, .groups = { 3000 },
};
static const struct identity u1004_sup4000 = {
	.uid = 1004, .gid = 1004, .ngroups = 1, .groups = { 4000 },
};

/* What a child does; the parent fills it in before each fork. */
struct op {
	char name[64];
	int type;			/* RTSYNC_TYPE_MUTEX or RTSYNC_TYPE_SEM */
	unsigned int mode;		/* create */
	unsigned int uid, gid, new_mode;	/* setperm */
};

static struct op op;
static char names[32][64];	/* everything created, removed at the end */
static int nnames;

/* use_fd - lock and unlock a mutex, or take and give back a unit */
static int use_fd(int fd, int type)
{
	int err;

	if (type == RTSYNC_TYPE_SEM) {
		err = rtsync_sem_trywait(fd);
		return err ? err : rtsync_sem_post(fd, 1, NULL);
	}
	err = rtsync_mutex_lock(fd);
	return err ? err : rtsync_mutex_unlock(fd);
}

static int open_existing(const struct op *o)
{
	if (o->type == RTSYNC_TYPE_SEM)
		return rtsync_sem_open(o->name, 0, 0, 0, 0);
	return rtsync_mutex_open(o->name, 0, 0, 0);
}

/* ---- child steps: each returns 0 or an errno ---- */

static int do_create(void *arg)
{
	const struct op *o = arg;
	int fd;

	if (o->type == RTSYNC_TYPE_SEM)
		fd = rtsync_sem_open(o->name, O_CREAT | O_EXCL, o->mode, 1, 1);
	else
		fd = rtsync_mutex_open(o->name, O_CREAT | O_EXCL, o->mode, 0);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* do_use - open the existing object, use it, close it */
static int do_use(void *arg)
{
	const struct op *o = arg;
	int fd, err;

	fd = open_existing(o);
	if (fd < 0)
		return errno;
	err = use_fd(fd, o->type);
	close(fd);
	return err;
}

static int do_unlink(void *arg)
{
	const struct op *o = arg;

	return rtsync_unlink(o->name);
}

static int do_setperm(void *arg)
{
	const struct op *o = arg;
	int fd, err;

	fd = open_existing(o);
	if (fd < 0)
		return errno;
	err = rtsync_setperm(fd, o->uid, o->gid, o->new_mode);
	close(fd);
	return err;
}

/* do_check_unprivileged - 0 if the child has a non-zero euid and no
 * effective capability left
 */
static int do_check_unprivileged(void *arg)
{
	char line[256];
	int result = 1;
	FILE *f;

	(void)arg;
	if (geteuid() == 0)
		return 2;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return 3;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			result = strtoull(line + 7, NULL, 16) != 0;
	fclose(f);
	return result;
}

/* The socket pair of the fd-passing steps, and the receiver's results. */
static int pass_sv[2];
static int *pass_results;

/* do_send - open the object and send the fd over pass_sv[0] */
static int do_send(void *arg)
{
	const struct op *o = arg;
	int fd, err;

	fd = open_existing(o);
	if (fd < 0)
		return errno;
	err = send_fd(pass_sv[0], fd);
	close(fd);
	return err;
}

/* do_receive - take the fd from pass_sv[1], use it, try to SETPERM it */
static int do_receive(void *arg)
{
	const struct op *o = arg;
	int fd = recv_fd(pass_sv[1]);

	if (fd < 0)
		return -fd;
	pass_results[0] = use_fd(fd, o->type);
	pass_results[1] = rtsync_setperm(fd, KEEP, KEEP, 0666);
	pass_results[2] = rtsync_setperm(fd, 1001, KEEP, KEEP);
	close(fd);
	return 0;
}

/* ---- parent side ---- */

/* new_op - a fresh name for the next object (remembered for cleanup) */
static void new_op(const char *tag, int type, unsigned int mode)
{
	memset(&op, 0, sizeof(op));
	test_name(op.name, sizeof(op.name), tag);
	op.type = type;
	op.mode = mode;
	if (nnames < (int)(sizeof(names) / sizeof(names[0])))
		strcpy(names[nnames++], op.name);
}

static void set_perm(unsigned int uid, unsigned int gid, unsigned int mode)
{
	op.uid = uid;
	op.gid = gid;
	op.new_mode = mode;
}

static int as_user(const struct identity *id, int (*fn)(void *))
{
	return run_as(id, fn, &op);
}

#define expect_as(id, fn, want, ...) \
	is_exit(as_user(id, fn), want, strf(__VA_ARGS__))

/* expect_entry - /proc/rtsync shows op.name with this mode and ids */
static void expect_entry(unsigned int mode, unsigned int uid,
			 unsigned int gid, unsigned int cuid,
			 unsigned int cgid, const char *what)
{
	struct proc_entry e;

	if (!ok(proc_find(op.name, &e), "%s: /proc/rtsync lists it", what))
		return;
	ok(e.mode == mode && e.uid == uid && e.gid == gid && e.cuid == cuid &&
	   e.cgid == cgid,
	   "%s: /proc/rtsync shows mode %04o uid %u gid %u cuid %u cgid %u (got %04o %u %u %u %u)",
	   what, mode, uid, gid, cuid, cgid, e.mode, e.uid, e.gid, e.cuid,
	   e.cgid);
}

/* root_use - the parent (root, every capability) opens and uses op.name */
static int root_use(void)
{
	return do_use(&op);
}

static void test_unprivileged_children(void)
{
	is_exit(run_as(&u1001, do_check_unprivileged, NULL), 0,
		"a child switched to uid 1001 has euid 1001 and no capabilities");
}


static int gone(void)
{
	struct proc_entry e;

	return !proc_find(op.name, &e);
}

/*
 * A 0600 object of uid 1000: uid 1001 can neither open, unlink nor
 * SETPERM it, yet an fd uid 1000 passes to it over a Unix socket works.
 */
static void test_private(int type)
{
	const char *t = type == RTSYNC_TYPE_SEM ? "sem" : "mutex";

	new_op("perm-private", type, 0600);
	if (!expect_as(&u1000, do_create, 0, "0600 %s: uid 1000 creates it", t))
		return;
	expect_entry(0600, 1000, 1000, 1000, 1000, strf("0600 %s", t));
	expect_as(&u1001, do_use, EACCES, "0600 %s: uid 1001 cannot open it", t);
	expect_as(&u1001, do_unlink, EPERM, "0600 %s: uid 1001 cannot unlink it", t);
	ok(!gone(), "0600 %s: still there after the refused unlink", t);
	expect_as(&u1000, do_use, 0, "0600 %s: its owner uses it", t);
	is_errno(root_use(), 0,
		 strf("0600 %s: root opens and uses it (CAP_IPC_OWNER)", t));

	/* The socket keeps the fd in flight after the sender has exited. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pass_sv))
		bail_out("socketpair");
	pass_results = shared_mem(3 * sizeof(int));
	if (expect_as(&u1000, do_send, 0,
		      "0600 %s: uid 1000 sends an fd over a Unix socket", t) &&
	    expect_as(&u1001, do_receive, 0,
		      "0600 %s: uid 1001 receives it", t)) {
		is_errno(pass_results[0], 0,
			 strf("0600 %s: uid 1001 uses the passed fd (OPEN is the only check)", t));
		is_errno(pass_results[1], EPERM,
			 strf("0600 %s: uid 1001 cannot change the mode through it", t));
		is_errno(pass_results[2], EPERM,
			 strf("0600 %s: uid 1001 cannot change the owner through it", t));
		expect_entry(0600, 1000, 1000, 1000, 1000,
			     strf("0600 %s after the refused SETPERMs", t));
	}
	shared_free(pass_results, 3 * sizeof(int));
	close(pass_sv[0]);
	close(pass_sv[1]);

	expect_as(&u1000, do_unlink, 0, "0600 %s: uid 1000 unlinks it", t);
	ok(gone(), "0600 %s: gone from /proc/rtsync", t);
}

/* 0666: everyone may open; still only the owner may unlink or SETPERM. */
static void test_public(void)
{
	new_op("perm-public", RTSYNC_TYPE_MUTEX, 0666);
	if (!expect_as(&u1000, do_create, 0, "0666 mutex: uid 1000 creates it"))
		return;
	expect_entry(0666, 1000, 1000, 1000, 1000, "0666 mutex");
	expect_as(&u1001, do_use, 0, "0666 mutex: uid 1001 uses it");
	expect_as(&u1000, do_use, 0, "0666 mutex: uid 1000 uses it");
	set_perm(KEEP, KEEP, 0600);
	expect_as(&u1001, do_setperm, EPERM,
		  "0666 mutex: uid 1001 cannot SETPERM it (not the owner)");
	expect_as(&u1001, do_unlink, EPERM,
		  "0666 mutex: uid 1001 cannot unlink it (write permission is not ownership)");
	expect_as(&u1000, do_unlink, 0, "0666 mutex: uid 1000 unlinks it");
	ok(gone(), "0666 mutex: gone from /proc/rtsync");
}

/*
 * Group bits: for a member of the owner or creator group (primary or
 * supplementary) the group bits decide, even where the other bits would
 * allow more; the owner bits decide for the owner.
 */
static void test_groups(void)
{
	new_op("perm-group", RTSYNC_TYPE_MUTEX, 0660);
	if (expect_as(&u1000_g3000, do_create, 0,
		      "0660 mutex: uid 1000 with gid 3000 creates it")) {
		expect_entry(0660, 1000, 3000, 1000, 3000, "0660 mutex");
		expect_as(&u1002_g3000, do_use, 0,
			  "0660 mutex: uid 1002 with primary gid 3000 uses it");
		expect_as(&u1001_sup3000, do_use, 0,
			  "0660 mutex: uid 1001 with supplementary group 3000 uses it");
		expect_as(&u1003, do_use, EACCES,
			  "0660 mutex: uid 1003 outside the group cannot open it");
		expect_as(&u1004_sup4000, do_use, EACCES,
			  "0660 mutex: uid 1004 in group 4000 cannot open it");

		/* The owner gid counts as well as the creator gid. */
		set_perm(KEEP, 4000, KEEP);
		expect_as(&u1000_g3000, do_setperm, 0,
			  "0660 mutex: its owner changes the group to 4000");
		expect_entry(0660, 1000, 4000, 1000, 3000,
			     "0660 mutex after SETPERM gid 4000");
		expect_as(&u1004_sup4000, do_use, 0,
			  "0660 mutex: uid 1004 in group 4000 now uses it");
		expect_as(&u1002_g3000, do_use, 0,
			  "0660 mutex: the creator group 3000 still uses it");
		expect_as(&u1003, do_use, EACCES,
			  "0660 mutex: uid 1003 still cannot open it");
		expect_as(&u1000_g3000, do_unlink, 0, "0660 mutex: unlinked");
	}

	new_op("perm-group", RTSYNC_TYPE_MUTEX, 0606);
	if (expect_as(&u1000_g3000, do_create, 0,
		      "0606 mutex: uid 1000 with gid 3000 creates it")) {
		expect_as(&u1002_g3000, do_use, EACCES,
			  "0606 mutex: a group member is refused (group bits decide)");
		expect_as(&u1003, do_use, 0,
			  "0606 mutex: uid 1003 outside the group uses it");
		expect_as(&u1000_g3000, do_unlink, 0, "0606 mutex: unlinked");
	}

	new_op("perm-group", RTSYNC_TYPE_MUTEX, 0066);
	if (expect_as(&u1000, do_create, 0, "0066 mutex: uid 1000 creates it")) {
		expect_as(&u1000, do_use, EACCES,
			  "0066 mutex: its owner is refused (owner bits decide)");
		expect_as(&u1003, do_use, 0, "0066 mutex: uid 1003 uses it");
		expect_as(&u1000, do_unlink, 0,
			  "0066 mutex: its owner may unlink it without access");
	}
}

/*
 * SETPERM by the owner: opening to 0666 lets uid 1001 in; giving it to
 * uid 1001 lets uid 1001 change and unlink it, while uid 1000 keeps the
 * creator's rights.
 */
static void test_setperm(void)
{
	new_op("perm-setperm", RTSYNC_TYPE_MUTEX, 0600);
	if (!expect_as(&u1000, do_create, 0, "SETPERM: uid 1000 creates a 0600 mutex"))
		return;
	expect_as(&u1001, do_use, EACCES, "SETPERM: uid 1001 cannot open it yet");
	set_perm(KEEP, KEEP, 0666);
	expect_as(&u1000, do_setperm, 0, "SETPERM: the owner sets mode 0666");
	expect_entry(0666, 1000, 1000, 1000, 1000, "SETPERM mode 0666");
	expect_as(&u1001, do_use, 0, "SETPERM: uid 1001 now uses it");

	set_perm(KEEP, KEEP, 01000);
	expect_as(&u1000, do_setperm, EINVAL, "SETPERM: mode 01000 is EINVAL");
	expect_entry(0666, 1000, 1000, 1000, 1000, "SETPERM after the EINVAL");

	set_perm(1001, KEEP, 0600);
	expect_as(&u1000, do_setperm, 0,
		  "SETPERM: the owner gives it to uid 1001 with mode 0600");
	expect_entry(0600, 1001, 1000, 1000, 1000, "SETPERM uid 1001");
	expect_as(&u1001, do_use, 0, "SETPERM: the new owner uid 1001 uses it");
	expect_as(&u1000, do_use, 0, "SETPERM: the creator uid 1000 still uses it");
	expect_as(&u1003, do_use, EACCES, "SETPERM: uid 1003 cannot open it");
	expect_as(&u1003, do_unlink, EPERM, "SETPERM: uid 1003 cannot unlink it");
	set_perm(KEEP, KEEP, 0644);
	expect_as(&u1001, do_setperm, 0, "SETPERM: the new owner changes the mode");
	expect_as(&u1000, do_setperm, 0, "SETPERM: so does the creator");
	expect_entry(0644, 1001, 1000, 1000, 1000, "SETPERM by the new owner");
	expect_as(&u1001, do_unlink, 0, "SETPERM: the new owner uid 1001 unlinks it");
	ok(gone(), "SETPERM: gone from /proc/rtsync");
}

/* Root (CAP_IPC_OWNER, CAP_SYS_ADMIN) opens, changes and unlinks anything. */
static void test_root(void)
{
	new_op("perm-root", RTSYNC_TYPE_MUTEX, 0000);
	if (!expect_as(&u1000, do_create, 0, "root: uid 1000 creates a 0000 mutex"))
		return;
	expect_as(&u1000, do_use, EACCES, "root: its owner cannot open a 0000 mutex");
	is_errno(root_use(), 0, "root: opens and uses the 0000 mutex");
	set_perm(2000, 2000, 0640);
	is_errno(do_setperm(&op), 0, "root: SETPERMs a mutex it does not own");
	expect_entry(0640, 2000, 2000, 1000, 1000, "root SETPERM");
	is_errno(do_unlink(&op), 0, "root: unlinks a mutex it does not own");
	ok(gone(), "root: gone from /proc/rtsync");
}

/* The creator's umask masks the mode at creation, and only there. */
static void test_umask(void)
{
	struct identity masked = u1000;

	masked.umask = 077;
	new_op("perm-umask", RTSYNC_TYPE_MUTEX, 0666);
	if (expect_as(&masked, do_create, 0, "umask 077: uid 1000 creates with mode 0666")) {
		expect_entry(0600, 1000, 1000, 1000, 1000, "umask 077");
		expect_as(&u1001, do_use, EACCES, "umask 077: uid 1001 cannot open it");
		set_perm(KEEP, KEEP, 0666);
		expect_as(&masked, do_setperm, 0, "umask 077: SETPERM mode 0666");
		expect_entry(0666, 1000, 1000, 1000, 1000,
			     "umask 077: SETPERM is not masked");
		expect_as(&u1001, do_use, 0, "umask 077: uid 1001 uses it after SETPERM");
		expect_as(&u1000, do_unlink, 0, "umask 077: unlinked");
	}

	masked.umask = 022;
	new_op("perm-umask", RTSYNC_TYPE_MUTEX, 0666);
	if (expect_as(&masked, do_create, 0, "umask 022: uid 1000 creates with mode 0666")) {
		expect_entry(0644, 1000, 1000, 1000, 1000, "umask 022");
		expect_as(&u1001, do_use, EACCES,
			  "umask 022: uid 1001 cannot open it (read without write)");
		expect_as(&u1000, do_unlink, 0, "umask 022: unlinked");
	}

	new_op("perm-umask", RTSYNC_TYPE_MUTEX, 0666);
	if (expect_as(&u1000, do_create, 0, "umask 0: uid 1000 creates with mode 0666")) {
		expect_entry(0666, 1000, 1000, 1000, 1000, "umask 0");
		expect_as(&u1001, do_use, 0, "umask 0: uid 1001 uses it");
		expect_as(&u1000, do_unlink, 0, "umask 0: unlinked");
	}
}

/* Whatever a failed step left behind goes (root may unlink anything). */
static void cleanup(void)
{
	int i, err, left = 0;

	for (i = 0; i < nnames; i++) {
		err = rtsync_unlink(names[i]);
		if (err != ENOENT) {
			diag("%s was left behind (unlink: %s)", names[i],
			     strerror(err));
			left++;
		}
	}
	ok(left == 0, "nothing left behind (%d names)", left);
}

int main(void)
{
	umask(0);
	test_unprivileged_children();
	test_private(RTSYNC_TYPE_MUTEX);
	test_private(RTSYNC_TYPE_SEM);
	test_public();
	test_groups();
	test_setperm();
	test_root();
	test_umask();
	cleanup();
	return tap_done();
}
