// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/rtsync: one line per named object of the reader's IPC namespace
 * (the opener's, as for /proc/sysvipc/sem).
 *
 * Columns (whitespace-separated; '-' where a column does not apply to the
 * type; a stable format, documented in docs/design.md); the type's own
 * columns come from its struct rtsync_type's show():
 *   type      mutex, sem or cond
 *   mode      permission bits, octal
 *   uid gid   owner, in the reader's user namespace
 *   cuid cgid creator, same
 *   tid pid   mutex owner thread and process in the reader's pid
 *             namespace (0: free or not visible)
 *   flags     RTSYNC_MINFO_*, RTSYNC_SINFO_* or RTSYNC_CINFO_* bits, hex
 *   value max semaphore count and maximum
 *   waiters   threads sleeping on the object
 *   name      last, with space, tab, newline and backslash as \ooo
 *
 * /proc/rtsync_stats: the same objects, each with its RTSYNC_IOC_STATS
 * counters (stats.c), decimal, in struct rtsync_stats's order: type
 * acquisitions contended wait_ns wait_max_ns hold_max_ns posts timeouts
 * deadlocks owner_deaths max_sleepers, then the name as above. Readable
 * by all, as /proc/rtsync: it tells no more than who waits for what.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/user_namespace.h>
#include "rtsync.h"

#define RTSYNC_PROC_HEADER \
	"type  mode uid gid cuid cgid tid pid flags value max waiters name\n"
#define RTSYNC_PROC_STATS_HEADER \
	"type  acquisitions contended wait_ns wait_max_ns hold_max_ns posts " \
	"timeouts deadlocks owner_deaths max_sleepers name\n"

static void *rtsync_proc_start(struct seq_file *m, loff_t *pos)
{
	return rtsync_registry_seq_start(m->private, pos);
}

static void *rtsync_proc_next(struct seq_file *m, void *v, loff_t *pos)
{
	return rtsync_registry_seq_next(m->private, v, pos);
}

static void rtsync_proc_stop(struct seq_file *m, void *v)
{
	rtsync_registry_seq_stop();
}

/* The name, last on its line. */
static void rtsync_proc_put_name(struct seq_file *m, struct rtsync_object *obj)
{
	seq_putc(m, ' ');
	/*
	 * Every byte but printable ASCII, and the column separator and the
	 * escape character, as \ooo: a name cannot move the cursor or change
	 * the colours of a terminal that shows this file.
	 */
	seq_escape_str(m, rtsync_object_name(obj),
		       ESCAPE_OCTAL | ESCAPE_NAP | ESCAPE_APPEND, " \\");
	seq_putc(m, '\n');
}

static int rtsync_proc_show(struct seq_file *m, void *v)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct rtsync_object *obj;

	if (rtsync_registry_seq_is_head(m->private, v)) {
		seq_puts(m, RTSYNC_PROC_HEADER);
		return 0;
	}
	obj = list_entry(v, struct rtsync_object, list_node);
	seq_printf(m, "%-5s %04o %u %u %u %u",
		   obj->type->name,
		   obj->mode, from_kuid_munged(ns, obj->uid),
		   from_kgid_munged(ns, obj->gid),
		   from_kuid_munged(ns, obj->cuid),
		   from_kgid_munged(ns, obj->cgid));
	obj->type->show(m, obj);
	rtsync_proc_put_name(m, obj);
	return 0;
}

/*
 * /proc/rtsync_stats: one line per object with its RTSYNC_IOC_STATS
 * counters, in the order of struct rtsync_stats.
 */
static int rtsync_proc_stats_show(struct seq_file *m, void *v)
{
	struct rtsync_object *obj;
	struct rtsync_stats st;

	if (rtsync_registry_seq_is_head(m->private, v)) {
		seq_puts(m, RTSYNC_PROC_STATS_HEADER);
		return 0;
	}
	obj = list_entry(v, struct rtsync_object, list_node);
	rtsync_object_stats(obj, &st);
	seq_printf(m, "%-5s %llu %llu %llu %llu %llu %llu %u %u %u %u",
		   obj->type->name, st.acquisitions, st.contended, st.wait_ns,
		   st.wait_max_ns, st.hold_max_ns, st.posts, st.timeouts,
		   st.deadlocks, st.owner_deaths, st.max_sleepers);
	rtsync_proc_put_name(m, obj);
	return 0;
}

static const struct seq_operations rtsync_proc_ops = {
	.start	= rtsync_proc_start,
	.next	= rtsync_proc_next,
	.stop	= rtsync_proc_stop,
	.show	= rtsync_proc_show,
};

static const struct seq_operations rtsync_proc_stats_ops = {
	.start	= rtsync_proc_start,
	.next	= rtsync_proc_next,
	.stop	= rtsync_proc_stop,
	.show	= rtsync_proc_stats_show,
};

/* Both files: the proc entry's data is the file's seq_operations. */
static int rtsync_proc_open(struct inode *inode, struct file *file)
{
	struct rtsync_registry_iter *it;

	it = __seq_open_private(file, pde_data(inode), sizeof(*it));
	if (!it)
		return -ENOMEM;
	rtsync_registry_iter_init(it);
	return 0;
}

static int rtsync_proc_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	rtsync_registry_iter_exit(m->private);
	return seq_release_private(inode, file);
}

static const struct proc_ops rtsync_proc_fops = {
	.proc_open	= rtsync_proc_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= rtsync_proc_release,
};

int rtsync_procfs_init(void)
{
	if (!proc_create_data("rtsync", 0444, NULL, &rtsync_proc_fops,
			      (void *)&rtsync_proc_ops))
		return -ENOMEM;
	if (!proc_create_data("rtsync_stats", 0444, NULL, &rtsync_proc_fops,
			      (void *)&rtsync_proc_stats_ops)) {
		remove_proc_entry("rtsync", NULL);
		return -ENOMEM;
	}
	return 0;
}

void rtsync_procfs_exit(void)
{
	remove_proc_entry("rtsync_stats", NULL);
	remove_proc_entry("rtsync", NULL);
}
