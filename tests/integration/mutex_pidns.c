// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Owners across PID namespaces: INFO and /proc/rtsync name a mutex's owner
 * in the reader's PID namespace, 0 when the owner is not visible there
 * (where a robust PI futex would carry a raw tid that means nothing, or
 * another thread, in the reader's namespace).
 *
 * This process holds mutex H. A child enters a new PID namespace and forks
 * G, pid 1 there. G opens H: INFO shows no owner (this process is outside
 * G's namespace). G locks mutex M: INFO read by G shows owner pid and tid
 * 1; read here, G's pid as the child saw it from fork(). /proc/rtsync
 * names owners in the PID namespace of the proc mount, as procfs's own
 * files do: in a proc mounted inside G's namespace, M's owner is 1 and H's
 * is 0; in the /proc G inherited from outside, and in this process's,
 * M's owner is G's outer pid. Needs
 * CONFIG_PID_NS and CAP_SYS_ADMIN; skipped (and counted) without.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "tap.h"
#include "helpers.h"

/* An owner's tid and pid in one line of /proc/rtsync. */
struct proc_owner {
	int found;
	long tid, pid;
};

/*
 * The owner columns (7th and 8th) of the line of @proc_file that ends in
 * the name @name (no byte of it needs escaping).
 */
static struct proc_owner proc_owner_of(const char *proc_file, const char *name)
{
	struct proc_owner o = { 0 };
	char line[512], type[16], last[300];
	FILE *f = fopen(proc_file, "r");

	if (!f)
		return o;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %*s %*s %*s %*s %*s %ld %ld %*s %*s %*s %*s %299s",
			   type, &o.tid, &o.pid, last) == 4 && !strcmp(last, name)) {
			o.found = 1;
			break;
		}
	}
	fclose(f);
	return o;
}

/* What G, inside the namespace, reports. */
struct report {
	volatile int g_pid;		/* G's pid outside, from fork() */
	volatile int failed;		/* no namespace (100 + errno), or G failed */
	pid_t g_getpid;			/* G's getpid() inside */
	struct rtsync_mutex_status held_by_outsider;	/* H, read by G */
	struct rtsync_mutex_status held_by_self;	/* M, read by G */
	int lock_ret;
	int proc_errno;			/* mounting proc in G's namespace */
	struct proc_owner proc_h, proc_m;	/* read there */
	struct proc_owner outer_proc_m;	/* the outside /proc, read by G */
	volatile int holding;		/* G holds M */
	volatile int release;		/* G may unlock M and exit */
};

struct args {
	const char *h_name;
	const char *m_name;
	struct report *r;
};

/* flag_wait_nonzero - wait up to a minute until *flag is not 0 */
static int flag_wait_nonzero(volatile int *flag)
{
	int i;

	for (i = 0; i < 60000 && !flag_get(flag); i++)
		sleep_ms(1);
	return flag_get(flag) != 0;
}

static int inside(void *arg)
{
	struct args *a = arg;
	struct report *r = a->r;
	char proc_dir[64], proc_file[96];
	int h, m;

	r->g_getpid = getpid();
	/* The directory's name needs G's outer pid: wait for its parent. */
	if (!flag_wait_nonzero(&r->g_pid)) {
		flag_set(&r->failed, 6);
		return 6;
	}
	h = rtsync_mutex_open(a->h_name, 0, 0, 0);
	m = rtsync_mutex_open(a->m_name, 0, 0, 0);
	if (h < 0 || m < 0) {
		flag_set(&r->failed, 2);
		return 2;
	}
	r->held_by_outsider = mutex_status(h);
	r->lock_ret = rtsync_mutex_lock(m);
	if (r->lock_ret) {
		flag_set(&r->failed, 3);
		return 3;
	}
	r->held_by_self = mutex_status(m);
	r->outer_proc_m = proc_owner_of("/proc/rtsync", a->m_name);
	snprintf(proc_dir, sizeof(proc_dir), "/tmp/rtsync-pidns-%d", (int)r->g_pid);
	if ((mkdir(proc_dir, 0700) && errno != EEXIST) ||
	    mount("proc", proc_dir, "proc", 0, NULL)) {
		r->proc_errno = errno;
	} else {
		snprintf(proc_file, sizeof(proc_file), "%s/rtsync", proc_dir);
		r->proc_h = proc_owner_of(proc_file, a->h_name);
		r->proc_m = proc_owner_of(proc_file, a->m_name);
		umount(proc_dir);
	}
	rmdir(proc_dir);
	flag_set(&r->holding, 1);
	if (!flag_wait(&r->release, 1, 60000))
		return 4;
	return rtsync_mutex_unlock(m) ? 5 : 0;
}

/*
 * Enters new PID and mount namespaces (G mounts its own proc) and forks G
 * into them; 100 + errno if they cannot be made.
 */
static int enter_namespace(void *arg)
{
	struct args *a = arg;
	pid_t pid;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS)) {
		flag_set(&a->r->failed, 100 + errno);
		return 100 + errno;
	}
	/* Keep G's proc mount to its namespace (the guest shares none). */
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	pid = start_child(inside, arg);
	flag_set(&a->r->g_pid, pid);
	return wait_child(pid, 90) == 0 ? 0 : 1;
}

int main(void)
{
	struct report *r = shared_mem(sizeof(*r));
	char h_name[64], m_name[64];
	struct args a = { .h_name = h_name, .m_name = m_name, .r = r };
	struct rtsync_mutex_status st;
	struct proc_owner po;
	int h, m, ret;
	pid_t pid;

	h = new_mutex(h_name, sizeof(h_name), "pidns-h", 0);
	m = new_mutex(m_name, sizeof(m_name), "pidns-m", 0);
	if (rtsync_mutex_lock(h))
		bail_out("rtsync_mutex_lock");
	st = mutex_status(h);
	ok(st.owner_pid == getpid() && st.owner_tid == gettid(),
	   "H held here: INFO here names this process (%d/%d)",
	   (int)st.owner_pid, (int)st.owner_tid);

	pid = start_child(enter_namespace, &a);
	/* Until G holds M and its parent wrote G's pid, or something failed. */
	for (ret = 0; ret < 6000 && !flag_get(&r->failed) &&
	     !(flag_get(&r->holding) && flag_get(&r->g_pid)); ret++)
		sleep_ms(10);
	if (!flag_get(&r->holding) || !flag_get(&r->g_pid)) {
		ret = wait_child(pid, 60);
		if (ret > 100) {
			skip("no PID namespace here", "G in a new PID namespace (%s)",
			     strerror(ret - 100));
			skip("no PID namespace here", "INFO of an owner outside the namespace");
			skip("no PID namespace here", "INFO of an owner inside, read inside");
			skip("no PID namespace here", "INFO of an owner inside, read outside");
			skip("no PID namespace here", "/proc/rtsync of a proc mounted inside");
			skip("no PID namespace here", "/proc/rtsync read outside");
			skip("no PID namespace here", "the outside /proc/rtsync read inside");
		} else {
			ok(0, "G locked M in its PID namespace (status %d, lock %d)",
			   ret, r->lock_ret);
		}
		goto out;
	}
	ok(r->g_getpid == 1, "G is pid 1 in its namespace (%d)", (int)r->g_getpid);
	ok(r->held_by_outsider.owner_pid == 0 && r->held_by_outsider.owner_tid == 0,
	   "H read by G: an owner outside G's namespace shows as 0 (%d/%d)",
	   (int)r->held_by_outsider.owner_pid, (int)r->held_by_outsider.owner_tid);
	ok(r->held_by_self.owner_pid == 1 && r->held_by_self.owner_tid == 1,
	   "M read by G: its owner is G, pid and tid 1 there (%d/%d)",
	   (int)r->held_by_self.owner_pid, (int)r->held_by_self.owner_tid);
	st = mutex_status(m);
	ok(r->g_pid > 1 && st.owner_pid == r->g_pid && st.owner_tid == r->g_pid,
	   "M read here: its owner is G under G's pid here, %d (%d/%d)",
	   (int)r->g_pid, (int)st.owner_pid, (int)st.owner_tid);
	if (r->proc_errno) {
		skip(strerror(r->proc_errno), "/proc/rtsync of a proc mounted in G's namespace");
	} else {
		ok(r->proc_m.found && r->proc_m.tid == 1 && r->proc_m.pid == 1 &&
		   r->proc_h.found && r->proc_h.tid == 0 && r->proc_h.pid == 0,
		   "/proc/rtsync of a proc mounted in G's namespace: M's owner 1/1, H's 0/0 (%ld/%ld, %ld/%ld)",
		   r->proc_m.tid, r->proc_m.pid, r->proc_h.tid, r->proc_h.pid);
	}
	ok(r->outer_proc_m.found && r->outer_proc_m.tid == r->g_pid &&
	   r->outer_proc_m.pid == r->g_pid,
	   "/proc/rtsync of the outside proc, read by G: M's owner is G's outer pid %d, the mount's namespace's, not the reader's (%ld/%ld)",
	   (int)r->g_pid, r->outer_proc_m.tid, r->outer_proc_m.pid);
	po = proc_owner_of("/proc/rtsync", m_name);
	ok(po.found && po.tid == r->g_pid && po.pid == r->g_pid,
	   "/proc/rtsync here: M's owner is G's pid here, %d (%ld/%ld)",
	   (int)r->g_pid, po.tid, po.pid);
	flag_set(&r->release, 1);
	ret = wait_child(pid, 60);
	ok(ret == 0, "G unlocked M and the namespace ended cleanly (status %d)", ret);
	st = mutex_status(m);
	ok(st.owner_pid == 0, "M is free again (owner %d)", (int)st.owner_pid);
out:
	rtsync_mutex_unlock(h);
	drop_object(h, h_name);
	drop_object(m, m_name);
	return tap_done();
}
