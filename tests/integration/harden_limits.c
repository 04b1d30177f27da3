// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Object limits: the module parameters max_objects (all users) and
 * max_objects_per_user (per creator uid) cap how many objects exist; over a
 * limit OPEN fails with ENOSPC and nothing changes. An object counts until
 * it is freed: while it is named, open or held. A user who floods the
 * module reaches only its own limit, never another user's share, also
 * through the subordinate uids of a user namespace it owns: an object
 * counts against its creator and against the owner of every user
 * namespace above the creator.
 *
 * Also measures the kernel memory one named object costs (diag).
 *
 * Runs as root in the guest; lowers the limits and restores them at the
 * end, also when a check fails or the program bails out.
 */
#define _GNU_SOURCE
#include "tap.h"
#include "harden_helpers.h"

#define PER_USER	20	/* the lowered per-user limit */

static unsigned long saved_max, saved_per_user;
static pid_t parent_pid;
static int limits_saved;

static const struct identity u1000 = { .uid = 1000, .gid = 1000 };
static const struct identity u1001 = { .uid = 1001, .gid = 1001 };
static const struct identity u1002 = { .uid = 1002, .gid = 1002 };
static const struct identity u1003 = { .uid = 1003, .gid = 1003 };

/* restore_limits - put the parameters back; an atexit handler too */
static void restore_limits(void)
{
	if (!limits_saved || getpid() != parent_pid)
		return;	/* children exit through atexit as well */
	param_write("max_objects", saved_max);
	param_write("max_objects_per_user", saved_per_user);
	limits_saved = 0;
}

static int set_limits(unsigned long max, unsigned long per_user)
{
	int err = param_write("max_objects", max);

	if (!err)
		err = param_write("max_objects_per_user", per_user);
	if (err)
		diag("setting max_objects=%lu max_objects_per_user=%lu: %s",
		     max, per_user, strerror(err));
	return err;
}

/* ---- batches of objects named <prefix>-<i> ---- */

struct batch {
	char prefix[48];
	int type;
	int created;	/* how many create_batch() made */
	int err;	/* errno of the create that failed, 0 if none did */
};

static void batch_name(const struct batch *b, int i, char *name, size_t size)
{
	snprintf(name, size, "%s-%d", b->prefix, i);
}

static int create_one(const char *name, int type)
{
	int fd;

	if (type == RTSYNC_TYPE_SEM)
		fd = rtsync_sem_open(name, O_CREAT | O_EXCL, 0600, 0, 1);
	else if (type == RTSYNC_TYPE_COND)
		fd = rtsync_cond_open(name, O_CREAT | O_EXCL, 0600);
	else
		fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (fd < 0)
		return errno;
	close(fd);	/* the name keeps it */
	return 0;
}

/* create_batch - create up to @max named objects, stopping at a failure */
static int create_batch(struct batch *b, int max)
{
	char name[96];
	int i;

	b->err = 0;
	for (i = 0; i < max; i++) {
		batch_name(b, b->created, name, sizeof(name));
		b->err = create_one(name, b->type);
		if (b->err)
			break;
		b->created++;
	}
	return b->created;
}

/* unlink_batch - remove every name of @b (root may remove anyone's) */
static int unlink_batch(struct batch *b)
{
	char name[96];
	int i, failed = 0;

	for (i = 0; i < b->created; i++) {
		batch_name(b, i, name, sizeof(name));
		if (rtsync_unlink(name))
			failed++;
	}
	b->created = 0;
	return failed;
}

static void new_batch(struct batch *b, const char *tag, int type)
{
	memset(b, 0, sizeof(*b));
	test_name(b->prefix, sizeof(b->prefix), tag);
	b->type = type;
}

/* A child's flood: as many objects as it is allowed, at most 250. */
static int flood_child(void *arg)
{
	create_batch(arg, 250);
	return 0;
}

/* flood_as - @id creates objects in the shared batch @b until refused */
static void flood_as(const struct identity *id, struct batch *b,
		     const char *what)
{
	is_exit(run_as(id, flood_child, b), 0, strf("%s: the flood ran", what));
}

/* create_settled - create mutex @name, retrying ENOSPC for up to SETTLE_MS */
static int create_settled(const char *name)
{
	return create_mutex_settled(name, SETTLE_MS);
}

/* settle - let the work items that free unlinked objects run */
static void settle(void)
{
	sleep_ms(200);
}

/* refill - one more object in @b, waiting for a slot freed a moment ago */
static int refill(struct batch *b)
{
	char name[96];
	int err;

	batch_name(b, b->created, name, sizeof(name));
	err = create_settled(name);
	if (!err)
		b->created++;
	return err;
}

/*
 * A flood right after objects were unlinked: their slots come back one by
 * one as a work item frees them, so each create waits out ENOSPC (up to
 * SETTLE_MS; a debug kernel may take more than a moment), and the last,
 * refused one only after that.
 */
static int flood_settled_child(void *arg)
{
	struct batch *b = arg;
	int i;

	for (i = 0; i < 250; i++) {
		b->err = refill(b);
		if (b->err)
			break;
	}
	return 0;
}

static int count_root_fn(const struct proc_entry *e, void *arg)
{
	if (e->cuid == 0)
		++*(int *)arg;
	return 0;
}

/* expect_refused - creating @name fails with ENOSPC and changes nothing */
static void expect_refused(const char *name, int type, const char *what)
{
	int before = proc_count();

	is_errno(create_one(name, type), ENOSPC, strf("%s: ENOSPC", what));
	ok(proc_count() == before,
	   "%s: /proc/rtsync still has %d objects (has %d)", what, before,
	   proc_count());
	ok(name_absent(name), "%s: the name does not exist (ENOENT)", what);
}

/* ---- holding a mutex in another process ---- */

struct holder {
	char name[64];
	volatile int locked;	/* the child holds it and closed its fd */
	volatile int release;	/* the parent lets it exit */
	int err;
};

/* hold_child - lock the mutex, close the fd, and exit holding it */
static int hold_child(void *arg)
{
	struct holder *h = arg;
	int fd = rtsync_mutex_open(h->name, 0, 0, 0);

	if (fd < 0)
		return errno;
	h->err = rtsync_mutex_lock(fd);
	close(fd);	/* the held mutex still pins the object */
	flag_set(&h->locked, 1);
	flag_wait(&h->release, 1, 60000);
	return h->err;	/* the exit releases it: owner death */
}

/*
 * Root at its own limit: ENOSPC for every type with nothing created; an
 * existing name still opens; a slot comes back once its object is freed,
 * and not before: an unlinked object counts while open or held.
 */
static void test_per_user_root(void)
{
	struct batch b;
	struct holder *h;
	char extra[64], name[96];
	pid_t pid;
	int fd, existing = 0;

	/* Objects root already has count against its limit too. */
	if (!ok(proc_scan(count_root_fn, &existing) >= 0,
		"/proc/rtsync is readable (root has %d objects)", existing))
		return;
	if (set_limits(1000000, PER_USER + existing))
		return;

	new_batch(&b, "lim-root", RTSYNC_TYPE_MUTEX);
	create_batch(&b, PER_USER + 10);
	ok(b.created == PER_USER && b.err == ENOSPC,
	   "root creates exactly its %d objects, then ENOSPC (created %d, then %s)",
	   PER_USER, b.created, strerror(b.err));
	test_name(extra, sizeof(extra), "lim-extra");
	expect_refused(extra, RTSYNC_TYPE_MUTEX, "mutex over the per-user limit");
	expect_refused(extra, RTSYNC_TYPE_SEM, "semaphore over the per-user limit");
	expect_refused(extra, RTSYNC_TYPE_COND,
		       "condition variable over the per-user limit");

	batch_name(&b, 0, name, sizeof(name));
	fd = rtsync_mutex_open(name, O_CREAT, 0600, 0);
	ok(fd >= 0, "at the limit an existing name still opens, even with O_CREAT (%s)",
	   fd < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);

	/* Unlinked and closed: freed, the slot comes back. */
	is_errno(rtsync_unlink(name), 0, "unlink one object at the limit");
	is_errno(create_settled(extra), 0, "its slot is free again after the unlink");
	is_errno(rtsync_unlink(extra), 0, "unlink the object made in that slot");
	is_errno(refill(&b), 0, "back at the limit");

	/* Unlinked but open: still counts until the close. */
	batch_name(&b, 1, name, sizeof(name));
	fd = rtsync_mutex_open(name, 0, 0, 0);
	if (ok(fd >= 0, "open an object at the limit")) {
		is_errno(rtsync_unlink(name), 0, "unlink it while it is open");
		expect_refused(extra, RTSYNC_TYPE_MUTEX,
			       "an unlinked but open object still counts");
		close(fd);
		is_errno(create_settled(extra), 0, "its slot is free after the close");
		is_errno(rtsync_unlink(extra), 0, "unlink the object made in that slot");
	}
	is_errno(refill(&b), 0, "back at the limit again");

	/* Unlinked, closed, but held by a live thread: still counts. */
	h = shared_mem(sizeof(*h));
	batch_name(&b, 2, h->name, sizeof(h->name));
	pid = start_child(hold_child, h);
	if (ok(flag_wait(&h->locked, 1, 10000) && h->err == 0,
	       "a child locks an object at the limit and closes its fd (%s)",
	       strerror(h->err))) {
		is_errno(rtsync_unlink(h->name), 0, "unlink the held object");
		expect_refused(extra, RTSYNC_TYPE_MUTEX,
			       "an unlinked, closed but held object still counts");
	}
	flag_set(&h->release, 1);
	is_exit(wait_child(pid, 30), 0, "the holder exits holding the mutex");
	is_errno(create_settled(extra), 0,
		 "the slot is free once the holder died and released it");
	is_errno(rtsync_unlink(extra), 0, "unlink the object made in that slot");
	shared_free(h, sizeof(*h));

	ok(unlink_batch(&b) == 3, "unlink the rest of root's objects (3 already gone)");
	settle();
}

/*
 * Per-user isolation, then the global limit: a flood by uid 1000 stops at
 * its own limit and uid 1001 still gets all of its share; with the global
 * limit lowered, uid 1002 gets only what is left of it.
 */
static void test_users(void)
{
	struct batch *b = shared_mem(3 * sizeof(*b));
	int base = proc_count();
	char extra[64];

	if (set_limits(1000000, PER_USER))
		goto out;
	new_batch(&b[0], "lim-u1000", RTSYNC_TYPE_MUTEX);
	new_batch(&b[1], "lim-u1001", RTSYNC_TYPE_SEM);
	new_batch(&b[2], "lim-u1002", RTSYNC_TYPE_MUTEX);

	flood_as(&u1000, &b[0], "uid 1000 floods");
	ok(b[0].created == PER_USER && b[0].err == ENOSPC,
	   "uid 1000's flood stops at its own limit of %d (created %d, then %s)",
	   PER_USER, b[0].created, strerror(b[0].err));
	flood_as(&u1001, &b[1], "uid 1001 after the flood");
	ok(b[1].created == PER_USER && b[1].err == ENOSPC,
	   "uid 1001 still gets all of its %d (created %d, then %s)", PER_USER,
	   b[1].created, strerror(b[1].err));
	flood_as(&u1000, &b[0], "uid 1000 floods again");
	ok(b[0].created == PER_USER && b[0].err == ENOSPC,
	   "uid 1000 gets nothing more (has %d, then %s)", b[0].created,
	   strerror(b[0].err));
	ok(proc_count() == base + 2 * PER_USER,
	   "/proc/rtsync lists %d more objects (lists %d more)", 2 * PER_USER,
	   proc_count() - base);

	/* The global limit: 10 slots left in all, uid 1002 gets just those. */
	if (set_limits(proc_count() + 10, PER_USER))
		goto out;
	flood_as(&u1002, &b[2], "uid 1002 under the global limit");
	ok(b[2].created == 10 && b[2].err == ENOSPC,
	   "uid 1002 gets only the 10 objects left under max_objects (created %d, then %s)",
	   b[2].created, strerror(b[2].err));

	/* Lowered below what exists: nothing goes away, nothing new comes. */
	base = proc_count();
	if (set_limits(5, PER_USER))
		goto out;
	ok(proc_count() == base,
	   "lowering max_objects below the count removes nothing (%d objects, %d before)",
	   proc_count(), base);
	test_name(extra, sizeof(extra), "lim-extra");
	expect_refused(extra, RTSYNC_TYPE_MUTEX, "root over a lowered max_objects");

	/* A user with no object yet and a per-user limit of 0. */
	if (!set_limits(1000000, 0))
		expect_refused(extra, RTSYNC_TYPE_MUTEX,
			       "max_objects_per_user 0");
	set_limits(1000000, PER_USER);

	/* Unlinking frees the slots: uid 1000 can create again. */
	ok(unlink_batch(&b[0]) == 0, "root unlinks uid 1000's objects");
	is_exit(run_as(&u1000, flood_settled_child, &b[0]), 0,
		"uid 1000 after its objects were unlinked: the flood ran");
	ok(b[0].created == PER_USER,
	   "uid 1000 has its %d slots back (created %d, then %s)", PER_USER,
	   b[0].created, strerror(b[0].err));
out:
	ok(unlink_batch(&b[0]) + unlink_batch(&b[1]) + unlink_batch(&b[2]) == 0,
	   "root unlinks every user's objects");
	settle();
	shared_free(b, 3 * sizeof(*b));
}

/* ---- user namespaces ---- */

#define NS_UIDS		10	/* users inside the namespace that flood */
#define NS_EACH		15	/* objects each tries: below PER_USER */
#define NS_BASE		300000	/* uid 0 inside is this uid outside */

/* The first user inside fills most of the owner's limit, the second the rest. */
_Static_assert(NS_EACH < PER_USER && 2 * NS_EACH > PER_USER,
	       "the flood must end in the second user inside");

struct userns_flood {
	struct batch b;
	volatile int unshared;	/* the owner made its namespace (or failed) */
	volatile int mapped;	/* root wrote its uid and gid maps */
	int unshare_err;
	uid_t uid;		/* the user inside ns_user() becomes */
	int flood_err[NS_UIDS];	/* why each one's creating ended */
};

/* One user inside the namespace: uid and gid f->uid there. */
static int ns_user(void *arg)
{
	struct userns_flood *f = arg;

	if (setresgid(f->uid, f->uid, f->uid) ||
	    setresuid(f->uid, f->uid, f->uid))
		return RUN_AS_FAILED;
	create_batch(&f->b, NS_EACH);
	return 0;
}

/*
 * uid 1003 makes a user namespace, whose root then becomes uids 1..NS_UIDS
 * there (outside: NS_BASE + 1..), each creating up to NS_EACH objects.
 */
static int ns_owner(void *arg)
{
	struct userns_flood *f = arg;
	int k, ret = 0;

	if (become(&u1003))
		return RUN_AS_FAILED;
	if (unshare(CLONE_NEWUSER))
		f->unshare_err = errno;
	flag_set(&f->unshared, 1);
	if (f->unshare_err)
		return 0;
	if (!flag_wait(&f->mapped, 1, 30000))
		return 2;
	for (k = 1; k <= NS_UIDS; k++) {
		f->uid = k;
		if (wait_child(start_child(ns_user, f), 60))
			ret = 3;
		f->flood_err[k - 1] = f->b.err;
	}
	return ret;
}

static int write_map(pid_t pid, const char *which)
{
	char path[64], map[64];
	int fd, len, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
	len = snprintf(map, sizeof(map), "0 %d %d\n", NS_BASE, NS_UIDS + 1);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, map, len) != len)
		err = errno;
	close(fd);
	return err;
}

/*
 * The subordinate-uid flood: objects created under many uids inside a
 * user namespace all count against the namespace's owner, so the flood
 * stops at the owner's limit; the owner itself then gets nothing outside,
 * and another user still gets its whole share.
 */
static void test_userns(void)
{
	struct userns_flood *f = shared_mem(sizeof(*f));
	struct batch *other = shared_mem(2 * sizeof(*other));
	int k, ret, err, refused = 0;
	pid_t pid;

	if (set_limits(1000000, PER_USER))
		goto out;
	new_batch(&f->b, "lim-userns", RTSYNC_TYPE_MUTEX);
	new_batch(&other[0], "lim-u1002-ns", RTSYNC_TYPE_MUTEX);
	new_batch(&other[1], "lim-u1003-ns", RTSYNC_TYPE_MUTEX);

	pid = start_child(ns_owner, f);
	if (!flag_wait(&f->unshared, 1, 30000) || f->unshare_err) {
		ret = wait_child(pid, 60);
		skip(f->unshare_err ? strerror(f->unshare_err) : "no answer",
		     "user namespace flood (status %d)", ret);
		goto out;
	}
	err = write_map(pid, "uid_map");
	if (!err)
		err = write_map(pid, "gid_map");
	ok(!err, "root maps uids and gids 0..%d of uid 1003's namespace to %d.. (%s)",
	   NS_UIDS, NS_BASE, err ? strerror(err) : "ok");
	flag_set(&f->mapped, 1);
	ret = wait_child(pid, 120);
	is_exit(ret, 0, "the users inside the namespace ran");
	for (k = 0; k < NS_UIDS; k++)
		refused += f->flood_err[k] == ENOSPC;
	/* The first made NS_EACH freely; every later one hit the limit. */
	ok(f->b.created == PER_USER && refused == NS_UIDS - 1,
	   "%d uids inside uid 1003's namespace, up to %d objects each: %d in all, the owner's limit (created %d; %d of them stopped by ENOSPC)",
	   NS_UIDS, NS_EACH, PER_USER, f->b.created, refused);
	flood_as(&u1003, &other[1], "uid 1003 outside its namespace");
	ok(other[1].created == 0 && other[1].err == ENOSPC,
	   "uid 1003 itself gets nothing more: its namespace's objects are its own (created %d, then %s)",
	   other[1].created, strerror(other[1].err));
	flood_as(&u1002, &other[0], "uid 1002 after the namespace flood");
	ok(other[0].created == PER_USER && other[0].err == ENOSPC,
	   "uid 1002 still gets all of its %d (created %d, then %s)",
	   PER_USER, other[0].created, strerror(other[0].err));
out:
	ok(unlink_batch(&f->b) + unlink_batch(&other[0]) +
	   unlink_batch(&other[1]) == 0,
	   "root unlinks the namespace flood's objects");
	settle();
	shared_free(f, sizeof(*f));
	shared_free(other, 2 * sizeof(*other));
}

/* ---- kernel memory per object ---- */

/* slab_kb - the Slab: line of /proc/meminfo, in kB; -1 if unreadable */
static long slab_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#define MAX_CACHES 512

struct slab_cache {
	char name[64];
	long active;
	long objsize;
};

/* slab_caches - /proc/slabinfo's caches; returns how many, or -1 */
static int slab_caches(struct slab_cache *c)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "re");
	int n = 0;

	if (!f)
		return -1;
	while (n < MAX_CACHES && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld %*d %ld", c[n].name, &c[n].active,
			   &c[n].objsize) == 3 && line[0] != '#')
			n++;
	fclose(f);
	return n;
}

/*
 * cache_growth - bytes in the slab caches that grew by at least one entry
 * per two objects (the object itself; other kernel activity meanwhile
 * rarely adds that many), each printed
 */
static long cache_growth(const struct slab_cache *before, int nb,
			 const struct slab_cache *after, int na, int objects)
{
	long grew, bytes = 0;
	int i, j;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (!strcmp(after[i].name, before[j].name))
				break;
		grew = after[i].active - (j < nb ? before[j].active : 0);
		if (grew >= objects / 2) {
			diag("  slab %s: +%ld objects of %ld bytes",
			     after[i].name, grew, after[i].objsize);
			bytes += grew * after[i].objsize;
		}
	}
	return bytes;
}

/* Named objects with 16-byte names and no fd: what does one cost? */
static void test_memory(int type, const char *what)
{
	static struct slab_cache before[MAX_CACHES], after[MAX_CACHES];
	/* objects created to measure; fewer on a (slow) debug kernel */
	int measured = sized(10000, 10000, 10);
	long kb0, kb1, per_object, in_caches;
	char name[32];
	int i, nb, na, created = 0, err = 0;

	if (set_limits(saved_max, saved_per_user))
		return;
	settle();	/* frees of earlier objects must not blur the figure */
	nb = slab_caches(before);
	kb0 = slab_kb();
	for (i = 0; i < measured; i++) {
		/* exactly 16 bytes */
		snprintf(name, sizeof(name), "hm%c%05d-%08x",
			 type == RTSYNC_TYPE_SEM ? 's' : 'm', i,
			 (unsigned int)getpid());
		err = create_one(name, type);
		if (err)
			break;
		created++;
	}
	kb1 = slab_kb();
	na = slab_caches(after);
	if (!ok(created == measured, "%s: created %d named objects (%d, %s)",
		what, measured, created, strerror(err)) ||
	    !ok(kb0 >= 0 && kb1 >= 0, "%s: /proc/meminfo has Slab:", what))
		goto out;
	per_object = (kb1 - kb0) * 1024 / measured;
	diag("%s: Slab %ld kB -> %ld kB for %d objects: %ld bytes per object",
	     what, kb0, kb1, measured, per_object);
	if (nb > 0 && na > 0) {
		in_caches = cache_growth(before, nb, after, na, measured);
		diag("%s: %ld bytes per object in the caches that grew with them",
		     what, in_caches / measured);
	}
	ok(per_object < 4096,
	   "%s: kernel memory per object stays under a page (%ld bytes)", what,
	   per_object);
out:
	for (i = 0; i < created; i++) {
		snprintf(name, sizeof(name), "hm%c%05d-%08x",
			 type == RTSYNC_TYPE_SEM ? 's' : 'm', i,
			 (unsigned int)getpid());
		rtsync_unlink(name);
	}
	settle();
	diag("%s: Slab %ld kB after unlinking them", what, slab_kb());
}

int main(void)
{
	int err;

	umask(0);
	parent_pid = getpid();
	err = param_read("max_objects", &saved_max);
	if (!err)
		err = param_read("max_objects_per_user", &saved_per_user);
	if (!ok(!err, "read the limits (max_objects %lu, max_objects_per_user %lu)",
		saved_max, saved_per_user))
		return tap_done();
	limits_saved = 1;
	atexit(restore_limits);

	test_per_user_root();
	test_users();
	test_userns();
	test_memory(RTSYNC_TYPE_MUTEX, "memory, mutexes");
	test_memory(RTSYNC_TYPE_SEM, "memory, semaphores");

	restore_limits();
	{
		unsigned long max = 0, per_user = 0;

		param_read("max_objects", &max);
		param_read("max_objects_per_user", &per_user);
		ok(max == saved_max && per_user == saved_per_user,
		   "limits restored (max_objects %lu, max_objects_per_user %lu)",
		   max, per_user);
	}
	return tap_done();
}
