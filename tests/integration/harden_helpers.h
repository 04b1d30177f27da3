/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Helpers for rtsync's hardening tests (harden_*.c, fuzz.c): run sizes for
 * `make check` and `make stress`, a seeded random generator, raw ioctls
 * that keep no /dev/rtsync fd open, unloading and loading the module,
 * /proc/rtsync and the module parameters, and child processes that run as
 * another user without capabilities.
 *
 * Include after tap.h, with _GNU_SOURCE defined before any system header;
 * it brings in helpers.h.
 */
#ifndef RTSYNC_HARDEN_HELPERS_H
#define RTSYNC_HARDEN_HELPERS_H

#include <grp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "helpers.h"

#define DEVICE		"/dev/rtsync"
#define MODULE_FILE	"/rtsync/rtsync.ko"
#define MODULE_NAME	"rtsync"
#define PROC_RTSYNC	"/proc/rtsync"
#define PARAM_DIR	"/sys/module/rtsync/parameters/"

/* How long a deferred object free (a work item) may lag the close. */
#define SETTLE_MS	2000

/* Exit code of a run_as() child that could not switch identity. */
#define RUN_AS_FAILED	250

/* ---- run sizes ---- */

/*
 * stress_mode - true under `make stress`. The harness puts RTSYNC_STRESS=1
 * on the guest kernel's command line; the kernel hands unknown name=value
 * words to /init's environment, and every test program inherits it.
 */
static inline int stress_mode(void)
{
	const char *s = getenv("RTSYNC_STRESS");

	return s && *s && strcmp(s, "0");
}

/*
 * debug_kernel - true on a kernel with lockdep (/proc/lockdep), such as
 * the debug kernel of the harness: with lockdep, KASAN and kmemleak the
 * same work takes ten to a hundred times longer than on the stock kernel.
 */
static inline int debug_kernel(void)
{
	return access("/proc/lockdep", F_OK) == 0;
}

/*
 * sized - the check-sized or the stress-sized amount of work, divided by
 * @slowdown on a debug kernel (at least 1)
 */
static inline long sized(long check, long stress, long slowdown)
{
	long n = stress_mode() ? stress : check;

	if (debug_kernel())
		n /= slowdown;
	return n > 0 ? n : 1;
}

/* ---- random numbers (splitmix64: any seed, including 0, works) ---- */

static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* rng_below - uniform enough in [0, n) for n < 2^32 */
static inline uint32_t rng_below(uint64_t *state, uint32_t n)
{
	return n ? (uint32_t)((rng_next(state) >> 32) * n >> 32) : 0;
}

/* rng_chance - true with probability 1/n */
static inline int rng_chance(uint64_t *state, uint32_t n)
{
	return rng_below(state, n) == 0;
}

/* ---- raw ioctls: each opens and closes its own /dev/rtsync fd ---- */

/* dev_open - a new /dev/rtsync fd, or -errno */
static inline int dev_open(void)
{
	int fd = open(DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* raw_open - RTSYNC_IOC_OPEN; an object fd, or -errno */
static inline int raw_open(const char *name, unsigned int type,
			   unsigned int flags, unsigned int mode)
{
	struct rtsync_open_args args = {
		.name = (uintptr_t)name,
		.type = type,
		.flags = flags,
		.mode = mode,
	};
	int devfd, fd;

	if (type == RTSYNC_TYPE_SEM && (flags & RTSYNC_OPEN_CREAT)) {
		args.sem_value = 1;
		args.sem_max = 1;
	}
	devfd = dev_open();
	if (devfd < 0)
		return devfd;
	fd = ioctl(devfd, RTSYNC_IOC_OPEN, &args);
	if (fd < 0)
		fd = -errno;
	close(devfd);
	return fd;
}

/* raw_unlink - RTSYNC_IOC_UNLINK; 0 or errno */
static inline int raw_unlink(const char *name)
{
	struct rtsync_unlink_args args = { .name = (uintptr_t)name };
	int devfd, err = 0;

	devfd = dev_open();
	if (devfd < 0)
		return -devfd;
	if (ioctl(devfd, RTSYNC_IOC_UNLINK, &args) < 0)
		err = errno;
	close(devfd);
	return err;
}

/* raw_call - ioctl(fd, cmd, arg): 0 (or the value if >= 0) or -errno */
static inline long raw_call(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* raw_lock - untimed LOCK on a mutex fd; 0 or errno */
static inline int raw_lock(int fd)
{
	struct rtsync_wait_args args = { 0 };

	return ioctl(fd, RTSYNC_IOC_MUTEX_LOCK, &args) < 0 ? errno : 0;
}

/* ---- the module ---- */

static inline int device_present(void)
{
	struct stat st;

	return stat(DEVICE, &st) == 0;
}

/* wait_device - wait up to SETTLE_MS until /dev/rtsync is (not) there */
static inline int wait_device(int present)
{
	int ms;

	for (ms = 0; ms < SETTLE_MS; ms += 10) {
		if (device_present() == present)
			return 1;
		sleep_ms(10);
	}
	return device_present() == present;
}

/* unload_module - rmmod rtsync without waiting: 0 or errno (EWOULDBLOCK
 * while anything holds a reference)
 */
static inline int unload_module(void)
{
	return syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK) < 0 ?
	       errno : 0;
}

/*
 * unload_module_settled - rmmod where it is expected to work. The last
 * object reference is dropped by a work item, a moment after the close or
 * exit that caused it, so EWOULDBLOCK is retried for up to SETTLE_MS.
 */
static inline int unload_module_settled(void)
{
	int err, ms;

	for (ms = 0; ms < SETTLE_MS; ms += 5) {
		err = unload_module();
		if (err != EWOULDBLOCK)
			return err;
		sleep_ms(5);
	}
	return unload_module();
}

/* load_module - insmod /rtsync/rtsync.ko: 0 or errno */
static inline int load_module(void)
{
	int fd, err = 0;

	fd = open(MODULE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (syscall(SYS_finit_module, fd, "", 0) < 0)
		err = errno;
	close(fd);
	return err;
}

/* ---- module parameters ---- */

/* param_read - a module parameter as a number: 0 or errno */
static inline int param_read(const char *param, unsigned long *value)
{
	char path[128];

	snprintf(path, sizeof(path), PARAM_DIR "%s", param);
	return read_number(path, value);
}

/* param_write - set a module parameter: 0 or errno */
static inline int param_write(const char *param, unsigned long value)
{
	char path[128], buf[32];
	int fd, len, err = 0;

	snprintf(path, sizeof(path), PARAM_DIR "%s", param);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	len = snprintf(buf, sizeof(buf), "%lu\n", value);
	if (write(fd, buf, len) != len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/*
 * create_mutex_settled - create mutex @name (O_CREAT | O_EXCL, no fd kept:
 * the name keeps it), retrying ENOSPC for up to @limit_ms: an object's
 * slot under the limits is given back by a work item a moment after its
 * last reference went. Returns 0 or the last errno.
 */
static inline int create_mutex_settled(const char *name, int limit_ms)
{
	int fd, ms;

	for (ms = 0;; ms += 5) {
		fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != ENOSPC || ms >= limit_ms)
			return errno;
		sleep_ms(5);
	}
}

/* ---- /proc/rtsync ---- */

/* One line of /proc/rtsync (module/procfs.c documents the columns). */
struct proc_entry {
	char type[8];
	unsigned int mode;
	unsigned int uid, gid, cuid, cgid;
	char name[4 * RTSYNC_NAME_MAX + 1];	/* as printed: \ooo escapes */
};

/*
 * proc_scan - read /proc/rtsync; calls fn(entry, arg) for each object line
 * until fn returns non-zero. Returns the number of object lines read, or
 * -1 if the file cannot be read or a line does not parse.
 */
static inline int proc_scan(int (*fn)(const struct proc_entry *, void *),
			    void *arg)
{
	struct proc_entry e;
	char line[1200];
	int n = 0, header = 1;
	FILE *f;

	f = fopen(PROC_RTSYNC, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (header) {	/* the first line names the columns */
			header = 0;
			continue;
		}
		memset(&e, 0, sizeof(e));
		if (sscanf(line, "%7s %o %u %u %u %u %*s %*s %*s %*s %*s %*s %1020s",
			   e.type, &e.mode, &e.uid, &e.gid, &e.cuid, &e.cgid,
			   e.name) != 7) {
			n = -1;
			break;
		}
		n++;
		if (fn && fn(&e, arg))
			break;
	}
	fclose(f);
	return n;
}

/* proc_count - object lines in /proc/rtsync, or -1 */
static inline int proc_count(void)
{
	return proc_scan(NULL, NULL);
}

struct proc_find {
	const char *name;
	struct proc_entry *out;
	int found;
};

static inline int proc_find_fn(const struct proc_entry *e, void *arg)
{
	struct proc_find *f = arg;

	if (strcmp(e->name, f->name))
		return 0;
	*f->out = *e;
	f->found = 1;
	return 1;
}

/* proc_find - the line of a name without characters /proc escapes */
static inline int proc_find(const char *name, struct proc_entry *out)
{
	struct proc_find f = { .name = name, .out = out };

	proc_scan(proc_find_fn, &f);
	return f.found;
}

/* ---- other users ---- */

/* A user to run as: ids, supplementary groups, umask. */
struct identity {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[4];
	mode_t umask;
};

/*
 * become - switch the calling (single-threaded) process to @id for good.
 * setresuid() to a non-zero uid also clears every capability, so the
 * process is an ordinary user afterwards. Returns 0 or errno.
 */
static inline int become(const struct identity *id)
{
	if (setgroups(id->ngroups, id->groups) ||
	    setresgid(id->gid, id->gid, id->gid) ||
	    setresuid(id->uid, id->uid, id->uid))
		return errno;
	umask(id->umask);
	return 0;
}

struct run_as_call {
	const struct identity *id;
	int (*fn)(void *);
	void *arg;
};

static inline int run_as_child(void *arg)
{
	struct run_as_call *c = arg;

	if (become(c->id))
		return RUN_AS_FAILED;
	return c->fn(c->arg);
}

/* run_as - run fn(arg) in a child as @id; its exit code, as wait_child() */
static inline int run_as(const struct identity *id, int (*fn)(void *),
			 void *arg)
{
	struct run_as_call c = { .id = id, .fn = fn, .arg = arg };

	return wait_child(start_child(run_as_child, &c), 60);
}

/* ---- passing fds over a Unix socket ---- */

/* send_fd - send one fd (SCM_RIGHTS); 0 or errno */
static inline int send_fd(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	memset(&control, 0, sizeof(control));
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : errno;
}

/* recv_fd - receive one fd; the fd, or -errno */
static inline int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	errno = 0;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -(errno ? errno : EPROTO);
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

#endif /* RTSYNC_HARDEN_HELPERS_H */
