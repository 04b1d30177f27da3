// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * fuzz: a seeded random ioctl driver for rtsync.
 *
 *   fuzz [-n COUNT] [-s SEED] [-t THREADS] [-u] [-w SECONDS]
 *
 * COUNT calls (default 50000, 4000000 under RTSYNC_STRESS, a quarter of
 * that on a lockdep kernel) are spread over THREADS lanes (default 4).
 * Each lane runs its calls in a series of short threads, so threads exit
 * while holding mutexes (owner death) all the time. A call is an ioctl
 * or a close:
 *  - every rtsync ioctl number, its neighbours (other direction or size,
 *    next number), random numbers of rtsync's magic and random numbers of
 *    other magics (not the ones the VFS handles for every file);
 *  - argument structs that are mostly plausible with random flags, padding,
 *    clocks, types, modes and deadlines, sometimes all random bytes;
 *  - placed in read-write memory, in a read-only view of it, across the
 *    end of a mapping, at NULL, at unmapped, kernel and non-canonical
 *    addresses; names that are valid (including spaces, newlines, bytes
 *    above 127 and 255 bytes), empty, too long, with '/', unterminated;
 *  - on the lane's own object fds (known type), on fds that lanes share
 *    and close under each other (unknown type), on /dev/rtsync, a pipe,
 *    /dev/null, and fds that are not open;
 *  - lanes run partly as other users, so EACCES and EPERM happen too.
 * Deadlines are in the past or at most 300 us ahead; untimed and far
 * deadlines are cut short by a per-thread timer signal after 2 ms, so no
 * call waits long.
 *
 * Pass: every lane finishes (no hang); every error is one the uapi header
 * lists for that ioctl, or EBADF (fd not open), ENOTTY (not an rtsync fd,
 * or not an ioctl of that file) or EINVAL (an ioctl of another object
 * type), exactly as the fd's kind says when the lane knows it; only OPEN
 * and COND_SIGNAL/BROADCAST return positive values; every core ioctl
 * succeeded at least once; after all fds are closed and all names
 * unlinked, /proc/rtsync is as it was before. With -u (the default under
 * RTSYNC_STRESS) rmmod must then succeed, and the module is loaded again.
 *
 * -w: how long to wait for the lanes before calling it a hang (default
 * 200 s, 3000 s under RTSYNC_STRESS); a hang report shows each thread's
 * kernel stack and /proc/rtsync.
 *
 * The seed is printed; `fuzz -s SEED -n COUNT -t THREADS` makes each lane
 * draw the same random numbers again (what its calls meet still depends on
 * how the lanes interleave). RTSYNC_FUZZ_SEED in the environment sets the
 * seed too; make stress passes it on to the guest.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>

#include "tap.h"
#include "harden_helpers.h"

#define NAMES		10	/* object names the lanes share */
#define PRIVATE_FDS	10	/* object fds of one lane */
#define SHARED_FDS	16	/* object fds any lane may use or close */
#define MAX_LANES	32
#define ERRNO_MAX	134	/* above every errno an ioctl returns */
#define REPORTED	8	/* unexpected results described in full */
#define INTERRUPT_NS	2000000	/* cut untimed and far waits short */
#define NOT_OPEN_FD	4000	/* beyond the fd table: always EBADF */
#define FOLLOW_UPS	4

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* ---- the ioctls and the errors the uapi header lists for them ---- */

enum kind {		/* what an fd is, as far as the lane knows */
	K_UNKNOWN,	/* a shared fd: any of these, or closed, or reused */
	K_NOT_OPEN,
	K_OTHER,	/* a pipe or /dev/null */
	K_DEV,
	K_MUTEX,
	K_SEM,
	K_COND,
};

static const char *const kind_names[] = {
	"a shared fd", "a closed fd", "a non-rtsync fd", "/dev/rtsync",
	"a mutex fd", "a semaphore fd", "a condition variable fd",
};

struct cmd_info {
	const char *name;
	unsigned long cmd;
	enum kind on;		/* K_DEV, K_MUTEX, K_SEM, K_COND; K_UNKNOWN: any object */
	int positive;		/* may return a value > 0 */
	int must_succeed;	/* a run without one success of it is suspect */
	int blocks;		/* may sleep: cut short by the interrupt timer */
	int errs[12];		/* 0-terminated */
};

static const struct cmd_info cmds[] = {
	{ "VERSION", RTSYNC_IOC_VERSION, K_DEV, 0, 1, 0, { EFAULT } },
	{ "NOP", RTSYNC_IOC_NOP, K_DEV, 0, 1, 0, { 0 } },
	{ "OPEN", RTSYNC_IOC_OPEN, K_DEV, 1, 1, 0,
	  { EFAULT, EINVAL, ENAMETOOLONG, ENOENT, EEXIST, EACCES, ENOSPC,
	    ENOMEM, EMFILE, ENFILE, ENODEV } },
	{ "UNLINK", RTSYNC_IOC_UNLINK, K_DEV, 0, 1, 0,
	  { EFAULT, EINVAL, ENAMETOOLONG, ENOENT, EPERM } },
	{ "SETPERM", RTSYNC_IOC_SETPERM, K_UNKNOWN, 0, 1, 0,
	  { EFAULT, EINVAL, EPERM } },
	{ "MUTEX_LOCK", RTSYNC_IOC_MUTEX_LOCK, K_MUTEX, 0, 1, 1,
	  { EFAULT, EINVAL, EDEADLK, EAGAIN, EOWNERDEAD, ENOTRECOVERABLE,
	    ETIMEDOUT, EINTR, ENOMEM } },
	{ "MUTEX_TRYLOCK", RTSYNC_IOC_MUTEX_TRYLOCK, K_MUTEX, 0, 1, 0,
	  { EBUSY, EDEADLK, EAGAIN, EOWNERDEAD, ENOTRECOVERABLE, ENOMEM } },
	{ "MUTEX_UNLOCK", RTSYNC_IOC_MUTEX_UNLOCK, K_MUTEX, 0, 1, 0, { EPERM } },
	{ "MUTEX_CONSISTENT", RTSYNC_IOC_MUTEX_CONSISTENT, K_MUTEX, 0, 0, 0,
	  { EPERM, EINVAL } },
	{ "MUTEX_INFO", RTSYNC_IOC_MUTEX_INFO, K_MUTEX, 0, 1, 0,
	  { EFAULT, ERANGE } },
	{ "SEM_WAIT", RTSYNC_IOC_SEM_WAIT, K_SEM, 0, 1, 1,
	  { EFAULT, EINVAL, ETIMEDOUT, EINTR, ENOMEM } },
	{ "SEM_TRYWAIT", RTSYNC_IOC_SEM_TRYWAIT, K_SEM, 0, 1, 0, { EAGAIN } },
	{ "SEM_POST", RTSYNC_IOC_SEM_POST, K_SEM, 0, 1, 0,
	  { EFAULT, EINVAL, EOVERFLOW } },
	{ "SEM_INFO", RTSYNC_IOC_SEM_INFO, K_SEM, 0, 1, 0,
	  { EFAULT, EINVAL, ERANGE } },
	{ "COND_WAIT", RTSYNC_IOC_COND_WAIT, K_COND, 0, 0, 1,
	  { EFAULT, EINVAL, EBADF, EPERM, ETIMEDOUT, EINTR, EOWNERDEAD,
	    EDEADLK, ENOTRECOVERABLE, ENOMEM } },
	{ "COND_SIGNAL", RTSYNC_IOC_COND_SIGNAL, K_COND, 1, 1, 0, { 0 } },
	{ "COND_BROADCAST", RTSYNC_IOC_COND_BROADCAST, K_COND, 1, 1, 0, { 0 } },
	{ "COND_INFO", RTSYNC_IOC_COND_INFO, K_COND, 0, 1, 0,
	  { EFAULT, EINVAL, ERANGE } },
};

#define NCMDS	((int)(sizeof(cmds) / sizeof(cmds[0])))

/* Statistics slots: one per ioctl, then the calls that are none of them. */
enum {
	S_OTHER_BD = NCMDS,	/* another number of rtsync's magic */
	S_OTHER,		/* a number of another magic */
	S_CLOSE,
	NSTATS,
};

static const char *stat_name(int s)
{
	static const char *const extra[] = {
		"other 0xBD numbers", "other numbers", "close",
	};

	return s < NCMDS ? cmds[s].name : extra[s - NCMDS];
}

enum { C_VERSION, C_NOP, C_OPEN, C_UNLINK, C_SETPERM, C_LOCK, C_TRYLOCK,
       C_UNLOCK, C_CONSISTENT, C_MINFO, C_WAIT, C_TRYWAIT, C_POST, C_SINFO,
       C_CWAIT, C_SIGNAL, C_BROADCAST, C_CINFO };

static int find_cmd(unsigned long cmd)
{
	int i;

	for (i = 0; i < NCMDS; i++)
		if (cmds[i].cmd == cmd)
			return i;
	return -1;
}

static int listed(const struct cmd_info *ci, int err)
{
	int i;

	for (i = 0; ci->errs[i]; i++)
		if (ci->errs[i] == err)
			return 1;
	return 0;
}

/*
 * expected - may ioctl @cmd (index @c, or -1 for a number rtsync does not
 * define) on an fd of kind @k fail with @err?
 */
static int expected(int c, enum kind k, int err)
{
	const struct cmd_info *ci = c >= 0 ? &cmds[c] : NULL;

	switch (k) {
	case K_NOT_OPEN:
		return err == EBADF;
	case K_OTHER:
		return err == ENOTTY;
	case K_DEV:
		if (ci && ci->on == K_DEV)
			return listed(ci, err);
		return err == ENOTTY;
	case K_MUTEX:
	case K_SEM:
	case K_COND:
		if (!ci || ci->on == K_DEV)
			return err == ENOTTY;
		if (ci->on == K_UNKNOWN || ci->on == k)
			return listed(ci, err);
		return err == EINVAL;	/* another object type's ioctl */
	default:	/* K_UNKNOWN: whatever the fd turned out to be */
		return err == EBADF || err == ENOTTY || err == EINVAL ||
		       (ci && listed(ci, err));
	}
}

/* ---- shared state ---- */

static uint64_t seed;
static int nlanes = 4;
static char names[NAMES][RTSYNC_NAME_MAX + 1];
static char name_prefix[32];
static int shared_fds[SHARED_FDS];	/* -1: empty; taken with an xchg */
static int pipe_fd, null_fd;
static long page_size;

struct unexpected {
	int chunk;
	long call;
	unsigned long cmd;
	int stat;
	enum kind kind;
	long ret;
	int err;
};

struct lane {
	int index;
	uint64_t rng;
	long calls_left;
	uid_t uid;		/* 0, or the user its threads switch to */
	int devfd;
	int priv_fd[PRIVATE_FDS];	/* -1: empty */
	enum kind priv_kind[PRIVATE_FDS];
	char *rw;		/* scratch page, read-write */
	char *ro;		/* the same page, read-only */
	timer_t timer;
	int chunks;
	/* calls queued after a successful lock: CONSISTENT, COND_WAIT, UNLOCK */
	struct { int c; int slot; int fd; } follow[FOLLOW_UPS];
	int nfollow;
	/* results */
	long calls[NSTATS], successes[NSTATS];
	unsigned int errs[NSTATS][ERRNO_MAX];
	long unexpected;
	struct unexpected report[REPORTED];
	int64_t longest_ns;
	volatile int current;	/* stats slot of the call in progress */
	volatile int finished;
	pthread_t thread;
};

static struct lane lanes[MAX_LANES];

static void on_interrupt(int sig)
{
	(void)sig;	/* only ends an interruptible wait with EINTR */
}

/* ---- arguments ---- */

/*
 * The scratch memory of a lane: a reserved range of four pages, page 0 a
 * read-write view of a memfd page, page 2 a read-only view of the same
 * page, pages 1 and 3 inaccessible. What the lane writes in page 0 is what
 * the kernel reads at the read-only pointer, and anything that runs past
 * the end of either view faults.
 */
static void arena_init(struct lane *l)
{
	char *base;
	int fd;

	fd = memfd_create("fuzz-arena", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, page_size))
		bail_out("memfd_create");
	base = mmap(NULL, 4 * page_size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		bail_out("mmap arena");
	l->rw = mmap(base, page_size, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_FIXED, fd, 0);
	l->ro = mmap(base + 2 * page_size, page_size, PROT_READ,
		     MAP_SHARED | MAP_FIXED, fd, 0);
	if (l->rw == MAP_FAILED || l->ro == MAP_FAILED)
		bail_out("mmap arena views");
	close(fd);
}

static uint32_t rnd(struct lane *l, uint32_t n)
{
	return rng_below(&l->rng, n);
}

static uint64_t rnd64(struct lane *l)
{
	return rng_next(&l->rng);
}

static void random_bytes(struct lane *l, void *buf, size_t size)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < size; i++)
		p[i] = (unsigned char)rnd64(l);
}

/* A value that is usually small or special, sometimes anything. */
static uint32_t rnd_u32(struct lane *l)
{
	static const uint32_t special[] = {
		0, 1, 2, 3, 4, 0x7fffffff, 0x80000000, 0xffffffff, 0x1000,
	};

	switch (rnd(l, 4)) {
	case 0:
		return special[rnd(l, sizeof(special) / sizeof(special[0]))];
	case 1:
		return (uint32_t)rnd64(l);
	default:
		return rnd(l, 8);
	}
}

/*
 * place - copy @size bytes of argument to the lane's scratch page (at
 * @offset) and return a pointer for the kernel: mostly to it, sometimes to
 * its read-only view, across the end of the page into the guard page, or
 * somewhere that is not user memory at all.
 */
static uint64_t place(struct lane *l, const void *data, size_t size,
		      size_t offset)
{
	char *tail;

	switch (rnd(l, 40)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)(l->rw + page_size);	/* guard page */
	case 2:
		return 0xffffffff81000000ULL;		/* kernel text */
	case 3:
		return 0x8000000000000000ULL;		/* non-canonical */
	case 4:
	case 5:
		memcpy(l->rw + offset, data, size);
		return (uintptr_t)(l->ro + offset);	/* read-only view */
	case 6:
		/* only the first half fits before the guard page */
		tail = l->rw + page_size - size / 2;
		memcpy(tail, data, size / 2);
		return (uintptr_t)tail;
	case 7:
		offset += 1 + rnd(l, 7);		/* misaligned */
		/* fall through */
	default:
		memcpy(l->rw + offset, data, size);
		return (uintptr_t)(l->rw + offset);
	}
}

#define ARG_OFFSET	0	/* where argument structs go */
#define NAME_OFFSET	512	/* where names go */
#define BUF_OFFSET	1024	/* where INFO writes names */

/* name_ptr - a pointer to a name: mostly a shared one, sometimes a bad one */
static uint64_t name_ptr(struct lane *l)
{
	char bad[RTSYNC_NAME_MAX + 2];
	const char *name;
	size_t len;

	switch (rnd(l, 12)) {
	case 0:
		name = "";
		break;
	case 1:
		name = "/";
		break;
	case 2:
		name = "fz/slash";
		break;
	case 3:		/* one byte too long */
		memset(bad, 'L', sizeof(bad) - 1);
		bad[sizeof(bad) - 1] = '\0';
		name = bad;
		break;
	case 4:		/* no NUL before the guard page */
		len = 1 + rnd(l, 40);
		memset(l->rw + page_size - len, 'u', len);
		return (uintptr_t)((rnd(l, 2) ? l->rw : l->ro) + page_size - len);
	default:
		name = names[rnd(l, NAMES)];
		break;
	}
	return place(l, name, strlen(name) + 1, NAME_OFFSET);
}

/*
 * wild_ptr - a random pointer that is certainly not into this process:
 * INFO writes through the name pointer, and a random address that
 * happened to be mapped here would let it scribble over the program.
 */
static uint64_t wild_ptr(uint64_t value)
{
	return value ? value | 1ULL << 63 : 0;	/* non-canonical or kernel */
}

/* fully_random - sometimes an argument is nothing but random bytes */
static int fully_random(struct lane *l, void *arg, size_t size)
{
	if (rnd(l, 16))
		return 0;
	random_bytes(l, arg, size);
	return 1;
}

static void wait_args(struct lane *l, struct rtsync_wait_args *w)
{
	uint32_t clock = rnd(l, 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;

	memset(w, 0, sizeof(*w));
	switch (rnd(l, 12)) {
	case 0:		/* untimed: the interrupt timer ends it */
		break;
	case 1:
		w->timeout = rnd64(l);
		w->clockid = rnd_u32(l);
		w->flags = rnd_u32(l);
		break;
	case 2:		/* long past */
		w->flags = RTSYNC_WAIT_TIMEOUT;
		w->clockid = clock;
		w->timeout = rnd(l, 2) ? 0 : rnd(l, 1000000000);
		break;
	case 3:		/* far future: the interrupt timer ends it */
		w->flags = RTSYNC_WAIT_TIMEOUT;
		w->clockid = clock;
		w->timeout = UINT64_MAX - rnd(l, 1000);
		break;
	case 4:		/* a timeout without its flag */
		w->timeout = 1 + rnd(l, 1000);
		break;
	case 5:		/* a clock rtsync does not take */
		w->flags = RTSYNC_WAIT_TIMEOUT;
		w->clockid = 2 + rnd(l, 14);
		w->timeout = now_ns(CLOCK_MONOTONIC);
		break;
	default:	/* up to 300 us ahead */
		w->flags = RTSYNC_WAIT_TIMEOUT;
		w->clockid = clock;
		w->timeout = now_ns(clock) + rnd(l, 300000);
		break;
	}
	if (!rnd(l, 40))
		w->flags |= 1U << (1 + rnd(l, 31));	/* an unknown flag */
}

/* A lane's fd of @kind, or -1. */
static int own_fd(struct lane *l, enum kind kind, int *slot)
{
	int i, start = rnd(l, PRIVATE_FDS);

	for (i = 0; i < PRIVATE_FDS; i++) {
		int s = (start + i) % PRIVATE_FDS;

		if (l->priv_fd[s] >= 0 && l->priv_kind[s] == kind) {
			if (slot)
				*slot = s;
			return l->priv_fd[s];
		}
	}
	return -1;
}

/* An fd number for COND_WAIT's mutex_fd: usually one of the lane's mutexes. */
static int32_t mutex_fd_arg(struct lane *l)
{
	int fd;

	switch (rnd(l, 8)) {
	case 0:
		return -1;
	case 1:
		return NOT_OPEN_FD;
	case 2:
		return l->devfd;
	case 3:
		fd = own_fd(l, K_SEM, NULL);
		return fd >= 0 ? fd : pipe_fd;
	default:
		fd = own_fd(l, K_MUTEX, NULL);
		return fd >= 0 ? fd : (int32_t)rnd_u32(l);
	}
}

/*
 * make_arg - the argument of ioctl @c: a pointer to a struct written into
 * the scratch page (or a bad pointer), or a random value for ioctls that
 * take none. For OPEN, *open_type is the type asked for.
 */
static uint64_t make_arg(struct lane *l, int c, uint32_t *open_type)
{
	union {
		struct rtsync_open_args open;
		struct rtsync_unlink_args unlink;
		struct rtsync_setperm_args perm;
		struct rtsync_wait_args wait;
		struct rtsync_mutex_info minfo;
		struct rtsync_sem_info sinfo;
		struct rtsync_cond_info cinfo;
		struct rtsync_sem_post_args post;
		struct rtsync_cond_wait_args cwait;
		uint32_t version;
		unsigned char bytes[64];
	} a;
	size_t size = _IOC_SIZE(cmds[c].cmd);

	memset(&a, 0, sizeof(a));
	if (size == 0)
		return rnd(l, 2) ? 0 : rnd64(l);	/* ignored */
	switch (c) {
	case C_OPEN:
		a.open.name = name_ptr(l);
		a.open.type = rnd(l, 8) ? 1 + rnd(l, 3) : rnd_u32(l);
		a.open.flags = rnd(l, 8) ? rnd(l, 4) : rnd_u32(l);
		a.open.mode = rnd(l, 8) ? rnd(l, 01000) : rnd_u32(l);
		if (a.open.type == RTSYNC_TYPE_MUTEX)
			a.open.mutex_flags = rnd(l, 8) ? rnd(l, 2) : rnd_u32(l);
		if (a.open.type == RTSYNC_TYPE_SEM) {
			a.open.sem_max = rnd(l, 8) ? 1 + rnd(l, 4) : rnd_u32(l);
			a.open.sem_value = rnd(l, 8) ? rnd(l, 3) : rnd_u32(l);
		} else if (!rnd(l, 8)) {
			a.open.sem_max = rnd_u32(l);
		}
		break;
	case C_UNLINK:
		a.unlink.name = name_ptr(l);
		a.unlink.flags = rnd(l, 8) ? 0 : rnd_u32(l);
		a.unlink.pad = rnd(l, 8) ? 0 : rnd_u32(l);
		break;
	case C_SETPERM:
		a.perm.uid = rnd(l, 2) ? RTSYNC_PERM_KEEP : rnd(l, 2) ? 0 : rnd_u32(l);
		a.perm.gid = rnd(l, 2) ? RTSYNC_PERM_KEEP : rnd(l, 2) ? 0 : rnd_u32(l);
		a.perm.mode = rnd(l, 4) ? 0600 | rnd(l, 0200) :
			      rnd(l, 2) ? RTSYNC_PERM_KEEP : rnd_u32(l);
		a.perm.pad = rnd(l, 16) ? 0 : rnd_u32(l);
		break;
	case C_LOCK:
	case C_WAIT:
		wait_args(l, &a.wait);
		break;
	case C_CWAIT:
		wait_args(l, &a.cwait.wait);
		a.cwait.mutex_fd = mutex_fd_arg(l);
		a.cwait.pad = rnd(l, 16) ? 0 : rnd_u32(l);
		break;
	case C_MINFO:
	case C_SINFO:
	case C_CINFO:
		/* all three begin with { name, name_size } */
		if (rnd(l, 4)) {
			uint32_t at = BUF_OFFSET + rnd(l, page_size - BUF_OFFSET);

			a.minfo.name = (uintptr_t)(rnd(l, 8) ? l->rw : l->ro) + at;
		} else {
			a.minfo.name = rnd(l, 2) ? 0 : wild_ptr(rnd64(l));
		}
		a.minfo.name_size = rnd(l, 2) ? RTSYNC_NAME_MAX + 1 : rnd_u32(l);
		if (c != C_MINFO && !rnd(l, 8))
			a.sinfo.pad = rnd_u32(l);	/* same offset in both */
		break;
	case C_POST:
		a.post.count = rnd(l, 4) ? 1 + rnd(l, 2) : rnd_u32(l);
		a.post.prev = rnd_u32(l);
		break;
	default:	/* VERSION */
		a.version = rnd_u32(l);
		break;
	}
	/* OPEN, UNLINK and INFO take a name pointer first: keep it wild */
	if (fully_random(l, &a, size) &&
	    (c == C_OPEN || c == C_UNLINK || c == C_MINFO || c == C_SINFO ||
	     c == C_CINFO))
		a.open.name = wild_ptr(a.open.name);
	if (c == C_OPEN)
		*open_type = a.open.type;
	return place(l, &a, size, ARG_OFFSET);
}

/* ---- which ioctl, on which fd ---- */

static int vfs_generic_magic(unsigned int type)
{
	/*
	 * The VFS answers these magics for every file (FIOCLEX, FIONBIO,
	 * FIFREEZE, FICLONE, FS_IOC_*, FIBMAP, ...) and pipes answer 'W':
	 * never send random numbers of them.
	 */
	return type == 0x00 || type == 0x15 || type == 'T' || type == 'X' ||
	       type == 'f' || type == 0x94 || type == 'W';
}

/* neighbour - a number next to rtsync ioctl @c: other dir, size or nr */
static unsigned long neighbour(struct lane *l, int c)
{
	unsigned long cmd = cmds[c].cmd;
	unsigned int dir = _IOC_DIR(cmd), type = _IOC_TYPE(cmd);
	unsigned int nr = _IOC_NR(cmd), size = _IOC_SIZE(cmd);

	switch (rnd(l, 3)) {
	case 0:
		dir = (dir + 1 + rnd(l, 3)) & 3;
		break;
	case 1:
		size = rnd(l, 2) ? (size + 1 + rnd(l, 8)) & 0x3fff :
			(size ? size - 1 - rnd(l, size) : 8);
		break;
	default:
		nr = (nr + (rnd(l, 2) ? 1 : 255)) & 0xff;
		break;
	}
	return _IOC(dir, type, nr, size);
}

static unsigned long random_number(struct lane *l, int rtsync_magic)
{
	unsigned int type;

	if (rtsync_magic)
		return _IOC(rnd(l, 4), RTSYNC_IOC_MAGIC, rnd(l, 256),
			    rnd(l, 0x4000));
	do {
		type = rnd(l, 256);
	} while (type == RTSYNC_IOC_MAGIC || vfs_generic_magic(type));
	return _IOC(rnd(l, 4), type, rnd(l, 256), rnd(l, 0x4000));
}

/* pick_fd - the fd of the next call and what the lane knows about it */
static int pick_fd(struct lane *l, int c, enum kind *kind, int *slot)
{
	int fd;

	*slot = -1;
	switch (rnd(l, 20)) {
	case 0:
		*kind = K_NOT_OPEN;
		return rnd(l, 2) ? -1 : NOT_OPEN_FD;
	case 1:
		*kind = K_OTHER;
		return rnd(l, 2) ? pipe_fd : null_fd;
	case 2:
	case 3:
	case 4:
		*kind = K_UNKNOWN;
		return __atomic_load_n(&shared_fds[rnd(l, SHARED_FDS)],
				       __ATOMIC_RELAXED);
	default:
		break;
	}
	/* Mostly an fd the ioctl is meant for. */
	if (c >= 0 && cmds[c].on == K_DEV) {
		*kind = K_DEV;
		return l->devfd;
	}
	if (c >= 0 && rnd(l, 8)) {
		/* SETPERM (on K_UNKNOWN: any object) takes any type */
		enum kind want = cmds[c].on == K_UNKNOWN ?
				 K_MUTEX + rnd(l, 3) : cmds[c].on;

		fd = own_fd(l, want, slot);
		if (fd >= 0) {
			*kind = want;
			return fd;
		}
	}
	*slot = rnd(l, PRIVATE_FDS);
	if (l->priv_fd[*slot] < 0) {
		*kind = K_DEV;
		*slot = -1;
		return l->devfd;
	}
	*kind = l->priv_kind[*slot];
	return l->priv_fd[*slot];
}

/* ---- bookkeeping ---- */

static void note(struct lane *l, int s, unsigned long cmd, enum kind kind,
		 long ret, int err, int good)
{
	struct unexpected *u;

	l->calls[s]++;
	if (ret >= 0)
		l->successes[s]++;
	else if (err > 0 && err < ERRNO_MAX)
		l->errs[s][err]++;
	if (good)
		return;
	if (l->unexpected < REPORTED) {
		u = &l->report[l->unexpected];
		u->chunk = l->chunks;
		u->call = l->calls[s];
		u->cmd = cmd;
		u->stat = s;
		u->kind = kind;
		u->ret = ret;
		u->err = err;
	}
	l->unexpected++;
}

/* keep_fd - a new object fd from OPEN goes into the lane's table */
static void keep_fd(struct lane *l, int fd, uint32_t type)
{
	int slot = rnd(l, PRIVATE_FDS);

	if (type < RTSYNC_TYPE_MUTEX || type > RTSYNC_TYPE_COND) {
		/* a success with a type OPEN should have refused */
		note(l, C_OPEN, RTSYNC_IOC_OPEN, K_DEV, fd, 0, 0);
		close(fd);
		return;
	}
	if (l->priv_fd[slot] >= 0)
		close(l->priv_fd[slot]);
	l->priv_fd[slot] = fd;
	l->priv_kind[slot] = K_MUTEX + (type - RTSYNC_TYPE_MUTEX);
}

/*
 * arm_interrupt - start (or stop) SIGUSR1 to this thread every 2 ms. A
 * periodic timer, because the first signal may come before the thread has
 * entered the ioctl (it may be preempted right after arming): the next one
 * still ends the wait.
 */
static void arm_interrupt(struct lane *l, int on)
{
	struct itimerspec its = { 0 };

	if (on) {
		its.it_value.tv_nsec = INTERRUPT_NS;
		its.it_interval.tv_nsec = INTERRUPT_NS;
	}
	timer_settime(l->timer, 0, &its, NULL);
}

/* queue - a call to make next, on the lane's fd in @slot */
static void queue(struct lane *l, int c, int slot)
{
	if (l->nfollow < FOLLOW_UPS) {
		l->follow[l->nfollow].c = c;
		l->follow[l->nfollow].slot = slot;
		l->follow[l->nfollow].fd = l->priv_fd[slot];
		l->nfollow++;
	}
}

/*
 * After the lane took a mutex: usually repair it if needed and let it go
 * soon, so that the mutexes change hands; sometimes wait on a condition
 * variable with it first.
 */
static void after_lock(struct lane *l, int slot, int err)
{
	int cslot;

	if (slot < 0 || rnd(l, 4) == 0)
		return;	/* keep it: released by a later UNLOCK or by exiting */
	if (err == EOWNERDEAD && rnd(l, 8))
		queue(l, C_CONSISTENT, slot);
	if (rnd(l, 4) == 0 && own_fd(l, K_COND, &cslot) >= 0)
		queue(l, C_CWAIT, cslot);
	queue(l, C_UNLOCK, slot);
}

/* ioctl_call - one ioctl, checked */
static void ioctl_call(struct lane *l, int c, unsigned long cmd, int fd,
		       enum kind kind, int slot, uint64_t arg,
		       uint32_t open_type)
{
	int s = c >= 0 ? c :
		_IOC_TYPE(cmd) == RTSYNC_IOC_MAGIC ? S_OTHER_BD : S_OTHER;
	int blocks = c >= 0 && cmds[c].blocks;
	int64_t t0 = 0, took;
	long ret;
	int err, good;

	l->current = s;
	if (blocks) {
		t0 = now_ns(CLOCK_MONOTONIC);
		arm_interrupt(l, 1);
	}
	ret = ioctl(fd, cmd, (unsigned long)arg);
	err = ret < 0 ? errno : 0;
	if (blocks) {
		arm_interrupt(l, 0);
		took = now_ns(CLOCK_MONOTONIC) - t0;
		if (took > l->longest_ns)
			l->longest_ns = took;
	}
	l->current = -1;

	if (ret < 0)
		good = expected(c, kind, err);
	else if (c < 0)		/* no file here answers such a number */
		good = 0;
	else if (ret > 0 && !cmds[c].positive)
		good = 0;
	else if (kind == K_UNKNOWN)
		good = 1;
	else			/* success only on the fd it is meant for */
		good = kind == cmds[c].on ||
		       (cmds[c].on == K_UNKNOWN && kind >= K_MUTEX);
	note(l, s, cmd, kind, ret, err, good);

	if (c == C_OPEN && ret >= 0)
		keep_fd(l, (int)ret, open_type);
	if ((c == C_LOCK || c == C_TRYLOCK) && (ret == 0 || err == EOWNERDEAD) &&
	    kind == K_MUTEX)
		after_lock(l, slot, ret == 0 ? 0 : err);
}

/*
 * fd_op - open, close, share or take one of the lane's or shared fds.
 * Returns 0 when there was nothing to do (no call made).
 */
static int fd_op(struct lane *l)
{
	int slot = rnd(l, PRIVATE_FDS), fd, i;

	switch (rnd(l, 8)) {
	case 0:		/* close one of the lane's fds */
		if (l->priv_fd[slot] < 0)
			return 0;
		fd = l->priv_fd[slot];
		l->priv_fd[slot] = -1;
		break;
	case 1:		/* share one of them; close what was in that slot */
		if (l->priv_fd[slot] < 0)
			return 0;
		i = rnd(l, SHARED_FDS);
		fd = __atomic_exchange_n(&shared_fds[i], l->priv_fd[slot],
					 __ATOMIC_SEQ_CST);
		l->priv_fd[slot] = -1;
		if (fd < 0)
			return 0;
		break;
	case 2:		/* close a shared fd, whoever shared it */
		fd = __atomic_exchange_n(&shared_fds[rnd(l, SHARED_FDS)], -1,
					 __ATOMIC_SEQ_CST);
		if (fd < 0)
			return 0;
		break;
	case 3:		/* reopen /dev/rtsync */
		fd = l->devfd;
		l->devfd = dev_open();
		if (l->devfd < 0)
			bail_out("open " DEVICE);
		break;
	default:	/* a plausible OPEN of a shared name */
		{
			struct rtsync_open_args a = {
				.name = (uintptr_t)names[rnd(l, NAMES)],
				.type = 1 + rnd(l, 3),
				.flags = rnd(l, 4) ? RTSYNC_OPEN_CREAT : 0,
				.mode = 0666,
			};

			if (a.type == RTSYNC_TYPE_SEM) {
				a.sem_max = 1 + rnd(l, 3);
				a.sem_value = rnd(l, 2);
			}
			ioctl_call(l, C_OPEN, RTSYNC_IOC_OPEN, l->devfd, K_DEV,
				   -1, (uintptr_t)&a, a.type);
			return 1;
		}
	}
	/* The lane took this fd out of its table or a shared slot: it is
	 * open and nobody else closes it.
	 */
	l->current = S_CLOSE;
	i = close(fd);
	note(l, S_CLOSE, 0, K_UNKNOWN, i, i ? errno : 0, i == 0);
	l->current = -1;
	return 1;
}

/*
 * fuzz_one - one call: a queued follow-up, an fd operation or an ioctl.
 * Returns 0 if it made none.
 */
static int fuzz_one(struct lane *l)
{
	uint32_t open_type = 0;
	unsigned long cmd;
	enum kind kind;
	int c, fd, slot;
	uint64_t arg;

	if (l->nfollow) {
		/* the oldest queued call, if its fd is still the same */
		c = l->follow[0].c;
		slot = l->follow[0].slot;
		fd = l->follow[0].fd;
		l->nfollow--;
		memmove(&l->follow[0], &l->follow[1],
			l->nfollow * sizeof(l->follow[0]));
		if (l->priv_fd[slot] == fd) {
			if (c == C_CWAIT) {
				/* with the mutex of the queued UNLOCK */
				struct rtsync_cond_wait_args a;

				wait_args(l, &a.wait);
				a.mutex_fd = l->nfollow ?
					l->follow[l->nfollow - 1].fd : -1;
				a.pad = 0;
				arg = place(l, &a, sizeof(a), ARG_OFFSET);
			} else {
				arg = make_arg(l, c, &open_type);
			}
			ioctl_call(l, c, cmds[c].cmd, fd, l->priv_kind[slot],
				   slot, arg, open_type);
			return 1;
		}
	}

	if (rnd(l, 10) == 0)
		return fd_op(l);
	switch (rnd(l, 16)) {
	case 0:
		c = rnd(l, NCMDS);
		cmd = neighbour(l, c);
		c = find_cmd(cmd);	/* it may be another rtsync ioctl */
		break;
	case 1:
		cmd = random_number(l, 1);
		c = find_cmd(cmd);
		break;
	case 2:
		cmd = random_number(l, 0);
		c = -1;
		break;
	default:
		c = rnd(l, NCMDS);
		cmd = cmds[c].cmd;
		break;
	}
	fd = pick_fd(l, c, &kind, &slot);
	if (c >= 0)
		arg = make_arg(l, c, &open_type);
	else
		arg = rnd(l, 2) ? rnd64(l) : place(l, l->rw + BUF_OFFSET, 64, ARG_OFFSET);
	ioctl_call(l, c, cmd, fd, kind, slot, arg, open_type);
	return 1;
}

/* ---- lanes ---- */

/*
 * chunk_thread - a few hundred calls in a thread of their own, which
 * then exits still holding whatever it holds: the module releases it as
 * an owner death.
 */
static void *chunk_thread(void *arg)
{
	struct lane *l = arg;
	struct sigevent sev = { 0 };
	long n = 200 + rnd(l, 1800);

	if (n > l->calls_left)
		n = l->calls_left;
	/* Only this thread becomes the other user: the raw system calls
	 * change one thread's credentials (glibc's change every thread's).
	 */
	if (l->uid && (syscall(SYS_setresgid, l->uid, l->uid, l->uid) ||
		       syscall(SYS_setresuid, l->uid, l->uid, l->uid)))
		bail_out("setresuid in a lane");
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &l->timer))
		bail_out("timer_create");
	l->nfollow = 0;
	while (n > 0) {
		if (fuzz_one(l)) {
			n--;
			l->calls_left--;
		}
	}
	timer_delete(l->timer);
	return NULL;
}

static void *lane_thread(void *arg)
{
	struct lane *l = arg;
	pthread_t t;
	int i;

	while (l->calls_left > 0) {
		if (pthread_create(&t, NULL, chunk_thread, l))
			bail_out("pthread_create");
		pthread_join(t, NULL);
		l->chunks++;
	}
	for (i = 0; i < PRIVATE_FDS; i++)
		if (l->priv_fd[i] >= 0)
			close(l->priv_fd[i]);
	close(l->devfd);
	flag_set(&l->finished, 1);
	return NULL;
}

static void make_names(void)
{
	static const char *const suffix[NAMES - 1] = {
		"-a", "-b", "-c", "-d", "-e", " space", "\ttab\nnewline",
		"\\back\\slash", "\xff\xfe\x80high",
	};
	int i;

	snprintf(name_prefix, sizeof(name_prefix), "fz%d", (int)getpid());
	for (i = 0; i < NAMES - 1; i++)
		snprintf(names[i], sizeof(names[i]), "%s%s", name_prefix,
			 suffix[i]);
	/* the longest name there is */
	memset(names[i], 'z', RTSYNC_NAME_MAX);
	memcpy(names[i], name_prefix, strlen(name_prefix));
	names[i][RTSYNC_NAME_MAX] = '\0';
}

/* ---- the report ---- */

static void describe(const struct lane *l, const struct unexpected *u)
{
	char cmdname[48];

	if (u->stat < NCMDS)
		snprintf(cmdname, sizeof(cmdname), "%s", cmds[u->stat].name);
	else
		snprintf(cmdname, sizeof(cmdname), "%#lx", u->cmd);
	if (u->ret < 0)
		diag("lane %d, thread %d: %s on %s failed with %s (%d)",
		     l->index, u->chunk, cmdname, kind_names[u->kind],
		     strerror(u->err), u->err);
	else
		diag("lane %d, thread %d: %s on %s returned %ld", l->index,
		     u->chunk, cmdname, kind_names[u->kind], u->ret);
}

/* summarize - merge the lanes' results and report them */
static void summarize(void)
{
	long total = 0;
	long calls[NSTATS] = { 0 }, successes[NSTATS] = { 0 }, unexpected = 0;
	static unsigned int errs[NSTATS][ERRNO_MAX];
	int64_t longest = 0;
	char line[512];
	int i, s, e, len, missing = 0;

	for (i = 0; i < nlanes; i++) {
		for (s = 0; s < NSTATS; s++) {
			calls[s] += lanes[i].calls[s];
			successes[s] += lanes[i].successes[s];
			for (e = 0; e < ERRNO_MAX; e++)
				errs[s][e] += lanes[i].errs[s][e];
		}
		unexpected += lanes[i].unexpected;
		if (lanes[i].longest_ns > longest)
			longest = lanes[i].longest_ns;
	}
	for (s = 0; s < NSTATS; s++)
		total += calls[s];
	diag("%ld calls; per call: count, successes, errors seen", total);
	for (s = 0; s < NSTATS; s++) {
		len = snprintf(line, sizeof(line), "  %-17s %7ld %7ld ",
			       stat_name(s), calls[s], successes[s]);
		for (e = 1; e < ERRNO_MAX && len < (int)sizeof(line) - 24; e++)
			if (errs[s][e])
				len += snprintf(line + len, sizeof(line) - len,
						" %s:%u", strerrorname_np(e),
						errs[s][e]);
		diag("%s", line);
	}
	diag("longest blocking call: %.1f ms", ns_to_ms(longest));

	for (i = 0; i < nlanes; i++)
		for (s = 0; s < lanes[i].unexpected && s < REPORTED; s++)
			describe(&lanes[i], &lanes[i].report[s]);
	ok(unexpected == 0,
	   "every error is one listed for its ioctl and fd, and only OPEN and COND_SIGNAL/BROADCAST return values (%ld unexpected)",
	   unexpected);
	for (s = 0; s < NCMDS; s++)
		if (cmds[s].must_succeed && !successes[s]) {
			diag("%s never succeeded", cmds[s].name);
			missing++;
		}
	ok(missing == 0, "every core ioctl succeeded at least once (%d never did)",
	   missing);
	diag("owner deaths seen as EOWNERDEAD: %u by LOCK, %u by TRYLOCK, %u by COND_WAIT; CONSISTENT succeeded %ld times",
	     errs[C_LOCK][EOWNERDEAD], errs[C_TRYLOCK][EOWNERDEAD],
	     errs[C_CWAIT][EOWNERDEAD], successes[C_CONSISTENT]);
}

/* ---- main ---- */

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n COUNT] [-s SEED] [-t THREADS] [-u] [-w SECONDS]\n",
		prog);
	exit(2);
}

static int start_lanes(long count)
{
	int i, s;

	for (i = 0; i < nlanes; i++) {
		struct lane *l = &lanes[i];

		l->index = i;
		l->rng = seed + 0x632be59bd9b4e019ULL * (i + 1);
		l->calls_left = count / nlanes + (i < count % nlanes);
		/* every other lane is another user, from uid 1001 on */
		l->uid = i % 2 ? 1000 + i : 0;
		l->devfd = dev_open();
		if (l->devfd < 0) {
			errno = -l->devfd;
			bail_out("open " DEVICE);
		}
		for (s = 0; s < PRIVATE_FDS; s++)
			l->priv_fd[s] = -1;
		l->current = -1;
		arena_init(l);
	}
	for (i = 0; i < nlanes; i++)
		if (pthread_create(&lanes[i].thread, NULL, lane_thread, &lanes[i]))
			bail_out("pthread_create");
	return 0;
}

/* diag_file - a small text file as diag lines, each prefixed */
static void diag_file(const char *path, const char *prefix)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		diag("%s%s", prefix, line);
	}
	fclose(f);
}

/* diag_stuck - where every thread of this process is, and the objects */
static void diag_stuck(void)
{
	char path[96], prefix[48];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");

	while (dir && (d = readdir(dir))) {
		int tid = atoi(d->d_name);

		if (tid <= 0)
			continue;
		snprintf(prefix, sizeof(prefix), "task %d: ", tid);
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
		diag_file(path, prefix);
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
		diag_file(path, prefix);
	}
	if (dir)
		closedir(dir);
	diag_file(PROC_RTSYNC, "");
}

/* join_lanes - wait for every lane; 1 if all finished in time */
static int join_lanes(int timeout_s)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_s * 1000000000;
	int i, hung = 0;

	for (i = 0; i < nlanes; i++) {
		while (!flag_get(&lanes[i].finished) &&
		       now_ns(CLOCK_MONOTONIC) < end)
			sleep_ms(20);
		if (!flag_get(&lanes[i].finished)) {
			diag("lane %d is stuck in %s with %ld calls left", i,
			     lanes[i].current >= 0 ?
			     stat_name(lanes[i].current) : "user space",
			     lanes[i].calls_left);
			hung++;
		} else {
			pthread_join(lanes[i].thread, NULL);
		}
	}
	if (hung)
		diag_stuck();
	return hung == 0;
}

/* cleanup - close the shared fds and remove every name */
static int cleanup(void)
{
	int i, fd, err, failed = 0;

	for (i = 0; i < SHARED_FDS; i++) {
		fd = __atomic_exchange_n(&shared_fds[i], -1, __ATOMIC_SEQ_CST);
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < NAMES; i++) {
		err = raw_unlink(names[i]);
		if (err && err != ENOENT) {
			diag("unlink of name %d: %s", i, strerror(err));
			failed++;
		}
	}
	return failed;
}

int main(int argc, char **argv)
{
	long count = sized(50000, 4000000, 4);
	int unload = stress_mode(), opt, before, after, pipefd[2], i;
	int wait_s = sized(200, 3000, 1);
	const char *env = getenv("RTSYNC_FUZZ_SEED");
	struct sigaction sa;
	int64_t t0;

	seed = env ? strtoull(env, NULL, 0) :
	       (uint64_t)now_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
	while ((opt = getopt(argc, argv, "n:s:t:uw:")) != -1) {
		switch (opt) {
		case 'n':
			count = atol(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			nlanes = atoi(optarg);
			break;
		case 'u':
			unload = 1;
			break;
		case 'w':
			wait_s = atoi(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (count < 1 || nlanes < 1 || nlanes > MAX_LANES)
		usage(argv[0]);

	diag("seed %llu: replay with fuzz -s %llu -n %ld -t %d%s",
	     (unsigned long long)seed, (unsigned long long)seed, count, nlanes,
	     unload ? " -u" : "");
	page_size = sysconf(_SC_PAGESIZE);
	make_names();
	for (i = 0; i < SHARED_FDS; i++)
		shared_fds[i] = -1;
	if (pipe2(pipefd, O_CLOEXEC))
		bail_out("pipe");
	pipe_fd = pipefd[0];
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		bail_out("open /dev/null");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;	/* no SA_RESTART: waits end in EINTR */
	sigaction(SIGUSR1, &sa, NULL);

	before = proc_count();
	if (!ok(before >= 0, "/proc/rtsync is readable (%d objects before)", before))
		return tap_done();

	t0 = now_ns(CLOCK_MONOTONIC);
	start_lanes(count);
	if (!ok(join_lanes(wait_s),
		"all %d lanes finished their calls (no call hung)", nlanes)) {
		summarize();
		return tap_done();	/* a stuck thread: no clean-up possible */
	}
	diag("%ld calls by %d lanes in %.1f s", count, nlanes,
	     ns_to_ms(now_ns(CLOCK_MONOTONIC) - t0) / 1000);
	summarize();

	ok(cleanup() == 0, "every name unlinked (ENOENT for those already gone)");
	close(pipefd[0]);
	close(pipefd[1]);
	close(null_fd);
	after = proc_count();
	ok(after == before, "/proc/rtsync lists %d objects, as before (lists %d)",
	   before, after);

	if (unload) {
		int err = unload_module_settled();

		is_errno(err, 0, "rmmod once every fd is closed and every name unlinked");
		if (!err) {
			err = load_module();
			is_errno(err, 0, "the module loads again");
			ok(wait_device(1), DEVICE " is back");
		}
	}
	return tap_done();
}
