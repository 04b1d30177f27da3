// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync registry: the name tables, object lifetime, permissions and limits.
 *
 * Names live in one rhashtable (O(1) lookup at any size), keyed by the
 * name and the IPC namespace it was made in (struct rtsync_ns below), so
 * each IPC namespace has names of its own, as POSIX message queues do.
 * Opening and unlinking by name are serialized by rtsync_registry_lock, a
 * mutex that the lock/unlock/wait/post paths never take: they work on the
 * object an fd already refers to.
 *
 * Lifetime is POSIX's: a name lives until it is unlinked; an object lives
 * until the last of its users lets go (the rule at struct rtsync_object in
 * rtsync.h). Each object also holds a module reference, so rmmod is
 * refused while any object exists.
 *
 * The last user may let go in the thread-exit probe (preemption off), so
 * the free itself runs from rtsync_free_wq.
 *
 * This file knows no object type: it creates and releases objects through
 * their struct rtsync_type.
 *
 * Permissions follow SysV IPC (ipc/util.c: ipcperms): opening needs read
 * and write permission for the caller's class (owner or creator uid, then
 * group, then other) unless it has CAP_IPC_OWNER; unlinking needs the
 * owner's or creator's uid, or CAP_SYS_ADMIN, and so does changing the
 * owner or mode (SETPERM, as IPC_SET).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/jhash.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/rhashtable.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>
#include "rtsync.h"

unsigned int rtsync_max_objects = 1048576;
module_param_named(max_objects, rtsync_max_objects, uint, 0644);
MODULE_PARM_DESC(max_objects, "Most objects that may exist at once");
EXPORT_SYMBOL_IF_KUNIT(rtsync_max_objects);

unsigned int rtsync_max_objects_per_user = 65536;
module_param_named(max_objects_per_user, rtsync_max_objects_per_user, uint,
		   0644);
MODULE_PARM_DESC(max_objects_per_user,
		 "Most objects one user may have at once, counting those made in user namespaces it owns");
EXPORT_SYMBOL_IF_KUNIT(rtsync_max_objects_per_user);

/**
 * struct rtsync_user - how many objects one user has at one level of the
 *                      user-namespace tree
 * @node:   entry in rtsync_users. Registry lock.
 * @ns:     the level (a reference).
 * @uid:    the user.
 * @count:  objects charged here that are not yet freed. Registry lock.
 * @parent: the level above: @ns's owner in @ns's parent; NULL for
 *          init_user_ns. Its @count is at least this one's.
 *
 * An object is charged, as ucounts charge mqueues, to its creator in the
 * creator's user namespace and to each namespace's owner one level up,
 * up to init_user_ns; ENOSPC when any of them is at the per-user limit.
 * So the objects made under the 65536 subordinate uids of a rootless
 * container all count against the user who owns its namespace.
 */
struct rtsync_user {
	struct hlist_node node;
	struct user_namespace *ns;
	kuid_t uid;
	unsigned int count;
	struct rtsync_user *parent;
};

/**
 * struct rtsync_ns - the names of one IPC namespace
 * @node:    entry in rtsync_namespaces. Registry lock.
 * @mnt:     the namespace's POSIX mqueue mount (ipc_namespace.mq_mnt), with
 *           a reference: the namespace's identity here. NULL on a kernel
 *           without CONFIG_POSIX_MQUEUE: one table for every namespace.
 * @objects: its linked objects in creation order (/proc/rtsync). Registry
 *           lock.
 *
 * A module cannot hold an IPC namespace (ipc/namespace.c exports nothing,
 * put_ipc_ns() included), but it can hold the namespace's mqueue mount,
 * as an open message queue's file does: mntget() and mntput() are
 * exported. While rtsync holds the mount its memory is not reused, so no
 * later namespace can have the same @mnt and see these names. When the
 * namespace's last reference goes, put_ipc_ns() clears the mount's
 * super_block s_fs_info (mq_clear_sbinfo()), as it does for the open
 * queues' sake: rtsync_ns_dead() reads that, and rtsync_ns_sweep() then
 * unlinks the namespace's names and lets the mount go. An rtsync_ns
 * exists while it has names: the last unlink frees it.
 */
struct rtsync_ns {
	struct hlist_node node;
	struct vfsmount *mnt;
	struct list_head objects;
};

/* How often the namespaces are swept while any but the initial one has names. */
#define RTSYNC_NS_SWEEP_INTERVAL	HZ

/* Protects the name table, rtsync_namespaces, rtsync_users,
 * rtsync_nr_objects, and the registry fields of every object (see
 * struct rtsync_object).
 */
static DEFINE_MUTEX(rtsync_registry_lock);
static DEFINE_HASHTABLE(rtsync_namespaces, 6);
static DEFINE_HASHTABLE(rtsync_users, 6);
static unsigned int rtsync_nr_objects;
static struct workqueue_struct *rtsync_free_wq;
/* Objects whose last reference is gone, for rtsync_free_work to free. */
static LLIST_HEAD(rtsync_free_list);

/* A name in the table: the namespace and the name. */
struct rtsync_name_key {
	const struct rtsync_ns *ns;
	const char *name;
	u32 len;
};

static u32 rtsync_name_hash(const struct rtsync_ns *ns, const char *name,
			    u32 len, u32 seed)
{
	return jhash(name, len, seed ^ hash_ptr(ns, 32));
}

static u32 rtsync_key_hash(const void *data, u32 len, u32 seed)
{
	const struct rtsync_name_key *key = data;

	return rtsync_name_hash(key->ns, key->name, key->len, seed);
}

static u32 rtsync_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct rtsync_object *obj = data;

	return rtsync_name_hash(obj->ns, rtsync_object_name(obj),
				obj->name_len, seed);
}

static int rtsync_obj_cmp(struct rhashtable_compare_arg *arg, const void *data)
{
	const struct rtsync_name_key *key = arg->key;
	const struct rtsync_object *obj = data;

	return obj->ns != key->ns || obj->name_len != key->len ||
	       memcmp(rtsync_object_name(obj), key->name, key->len);
}

static const struct rhashtable_params rtsync_name_params = {
	.head_offset = offsetof(struct rtsync_object, node),
	.hashfn = rtsync_key_hash,
	.obj_hashfn = rtsync_obj_hash,
	.obj_cmpfn = rtsync_obj_cmp,
	.automatic_shrinking = true,
};

static struct rhashtable rtsync_names;

/**
 * rtsync_name_valid - check a name: 1..RTSYNC_NAME_MAX bytes, no '/'
 * @name: the name, NUL-terminated at @len
 * @len:  its length
 *
 * Return: 0, -EINVAL (empty or contains '/'), -ENAMETOOLONG.
 */
int rtsync_name_valid(const char *name, size_t len)
{
	if (!len)
		return -EINVAL;
	if (len > RTSYNC_NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_name_valid);

static struct rtsync_object *rtsync_lookup(const struct rtsync_ns *ns,
					   const char *name, u32 len)
{
	struct rtsync_name_key key = { .ns = ns, .name = name, .len = len };

	lockdep_assert_held(&rtsync_registry_lock);
	if (!ns)
		return NULL;
	return rhashtable_lookup_fast(&rtsync_names, &key, rtsync_name_params);
}

/* ---- IPC namespaces (struct rtsync_ns) ---- */

static void rtsync_ns_sweep_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(rtsync_ns_sweep_work, rtsync_ns_sweep_fn);

/*
 * The caller's IPC namespace, as its mqueue mount (NULL without
 * CONFIG_POSIX_MQUEUE). Called from system calls of a live task, whose
 * nsproxy is set.
 */
static struct vfsmount *rtsync_current_mnt(void)
{
	return current->nsproxy->ipc_ns->mq_mnt;
}

/*
 * Is @ns the initial IPC namespace, which never ends? (init_ipc_ns is not
 * exported; the idle task's namespaces are the initial ones.)
 */
static bool rtsync_ns_initial(const struct rtsync_ns *ns)
{
	return ns->mnt == init_task.nsproxy->ipc_ns->mq_mnt;
}

/* Has @ns's IPC namespace gone (put_ipc_ns() cleared s_fs_info)? */
static bool rtsync_ns_dead(const struct rtsync_ns *ns)
{
	return ns->mnt && !READ_ONCE(ns->mnt->mnt_sb->s_fs_info);
}

/* The names of the namespace whose mqueue mount is @mnt, if it has any. */
static struct rtsync_ns *rtsync_ns_find(const struct vfsmount *mnt)
{
	struct rtsync_ns *ns;

	lockdep_assert_held(&rtsync_registry_lock);
	hash_for_each_possible(rtsync_namespaces, ns, node, hash_ptr(mnt, 32))
		if (ns->mnt == mnt)
			return ns;
	return NULL;
}

/*
 * What a registry call unlinked under its lock, to let go of after the
 * lock: the names' object references (the free work takes the lock), and
 * the namespaces left without a name (the last mntput() of a dead
 * namespace's mount tears its super_block down, no work for under
 * rtsync's lock).
 */
struct rtsync_unlinked {
	struct list_head objects;	/* by rtsync_object.list_node */
	struct hlist_head namespaces;	/* by rtsync_ns.node */
};

#define RTSYNC_UNLINKED_INIT(u)	{ .objects = LIST_HEAD_INIT((u).objects) }

/* @ns has no name left: forget it, and free it after the lock. */
static void rtsync_ns_forget(struct rtsync_ns *ns, struct rtsync_unlinked *u)
{
	lockdep_assert_held(&rtsync_registry_lock);
	hash_del(&ns->node);
	hlist_add_head(&ns->node, &u->namespaces);
}

/* Remove @obj's name from the table and from its namespace. */
static void rtsync_unlink_locked(struct rtsync_object *obj,
				 struct rtsync_unlinked *u)
{
	struct rtsync_ns *ns = obj->ns;

	lockdep_assert_held(&rtsync_registry_lock);
	rhashtable_remove_fast(&rtsync_names, &obj->node, rtsync_name_params);
	list_move_tail(&obj->list_node, &u->objects);
	obj->ns = NULL;
	WRITE_ONCE(obj->linked, false);
	if (list_empty(&ns->objects))
		rtsync_ns_forget(ns, u);
}

static void rtsync_unlinked_release(struct rtsync_unlinked *u)
{
	struct rtsync_object *obj, *next;
	struct hlist_node *tmp;
	struct rtsync_ns *ns;

	list_for_each_entry_safe(obj, next, &u->objects, list_node)
		rtsync_object_put(obj);
	hlist_for_each_entry_safe(ns, tmp, &u->namespaces, node) {
		mntput(ns->mnt);
		kfree(ns);
	}
}

/*
 * Unlink every name of each namespace that has gone. Return: whether a
 * namespace other than the initial one still has names.
 */
static bool rtsync_ns_sweep(struct rtsync_unlinked *u)
{
	struct rtsync_object *obj;
	struct hlist_node *tmp;
	struct rtsync_ns *ns;
	bool others = false;
	int bkt;

	lockdep_assert_held(&rtsync_registry_lock);
	hash_for_each_safe(rtsync_namespaces, bkt, tmp, ns, node) {
		if (rtsync_ns_dead(ns)) {
			/* The last unlink forgets @ns. */
			while (!list_empty(&ns->objects)) {
				obj = list_first_entry(&ns->objects,
						       struct rtsync_object,
						       list_node);
				rtsync_unlink_locked(obj, u);
			}
		} else if (!rtsync_ns_initial(ns)) {
			others = true;
		}
	}
	return others;
}

/* The periodic sweep: runs while a namespace other than the initial one has names. */
static void rtsync_ns_sweep_fn(struct work_struct *work)
{
	struct rtsync_unlinked u = RTSYNC_UNLINKED_INIT(u);
	bool again;

	mutex_lock(&rtsync_registry_lock);
	again = rtsync_ns_sweep(&u);
	mutex_unlock(&rtsync_registry_lock);
	rtsync_unlinked_release(&u);
	if (again)
		schedule_delayed_work(&rtsync_ns_sweep_work,
				      RTSYNC_NS_SWEEP_INTERVAL);
}

/*
 * Names for the namespace whose mqueue mount is @mnt, which has none yet.
 * Dead namespaces are swept first, so that namespaces made and ended in
 * a loop leave nothing behind between two periodic sweeps.
 * Return: the new, empty table, or NULL (no memory).
 */
static struct rtsync_ns *rtsync_ns_make(struct vfsmount *mnt,
					struct rtsync_unlinked *u)
{
	struct rtsync_ns *ns;

	lockdep_assert_held(&rtsync_registry_lock);
	rtsync_ns_sweep(u);
	ns = kzalloc(sizeof(*ns), GFP_KERNEL_ACCOUNT);
	if (!ns)
		return NULL;
	ns->mnt = mntget(mnt);
	INIT_LIST_HEAD(&ns->objects);
	hash_add(rtsync_namespaces, &ns->node, hash_ptr(mnt, 32));
	/* Only namespaces other than the initial one ever end. */
	if (!rtsync_ns_initial(ns))
		schedule_delayed_work(&rtsync_ns_sweep_work,
				      RTSYNC_NS_SWEEP_INTERVAL);
	return ns;
}

static unsigned long rtsync_user_key(struct user_namespace *ns, kuid_t uid)
{
	return (unsigned long)ns ^ __kuid_val(uid);
}

static struct rtsync_user *rtsync_user_find(struct user_namespace *ns,
					    kuid_t uid)
{
	struct rtsync_user *u;

	lockdep_assert_held(&rtsync_registry_lock);
	hash_for_each_possible(rtsync_users, u, node, rtsync_user_key(ns, uid))
		if (u->ns == ns && uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/*
 * Free the levels from @u up that nothing is charged to any more. A level
 * with a count keeps every level above it (their counts are larger).
 */
static void rtsync_user_put_unused(struct rtsync_user *u)
{
	struct rtsync_user *parent;

	lockdep_assert_held(&rtsync_registry_lock);
	for (; u && !u->count; u = parent) {
		parent = u->parent;
		hash_del(&u->node);
		put_user_ns(u->ns);
		kfree(u);
	}
}

/*
 * The levels an object made by @uid in @ns is charged to, from the bottom
 * up, found or made (count 0). A level found has all its levels above.
 * Return: the bottom level, or NULL if out of memory.
 */
static struct rtsync_user *rtsync_user_levels(struct user_namespace *ns,
					      kuid_t uid)
{
	struct rtsync_user *bottom = NULL, **link = &bottom, *u;

	lockdep_assert_held(&rtsync_registry_lock);
	for (;;) {
		u = rtsync_user_find(ns, uid);
		if (u) {
			*link = u;
			return bottom;
		}
		u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
		if (!u) {
			rtsync_user_put_unused(bottom);
			return NULL;
		}
		u->ns = get_user_ns(ns);
		u->uid = uid;
		hash_add(rtsync_users, &u->node, rtsync_user_key(ns, uid));
		*link = u;
		link = &u->parent;
		if (!ns->parent)
			return bottom;	/* init_user_ns: the top */
		uid = ns->owner;
		ns = ns->parent;
	}
}

/* Uncharge an object from @u and every level above it. */
static void rtsync_user_uncharge(struct rtsync_user *u)
{
	struct rtsync_user *bottom = u;

	for (; u; u = u->parent)
		u->count--;
	rtsync_user_put_unused(bottom);
}

/* SysV-style check that the caller may open @obj for read and write. */
static int rtsync_may_open(const struct rtsync_object *obj)
{
	kuid_t euid = current_euid();
	umode_t granted = obj->mode;

	lockdep_assert_held(&rtsync_registry_lock);
	if (uid_eq(euid, obj->cuid) || uid_eq(euid, obj->uid))
		granted >>= 6;
	else if (in_group_p(obj->cgid) || in_group_p(obj->gid))
		granted >>= 3;
	if ((granted & 06) != 06 && !capable(CAP_IPC_OWNER))
		return -EACCES;
	return 0;
}

/* May the caller unlink @obj or change its permissions? */
static int rtsync_may_change(const struct rtsync_object *obj)
{
	kuid_t euid = current_euid();

	lockdep_assert_held(&rtsync_registry_lock);
	if (uid_eq(euid, obj->cuid) || uid_eq(euid, obj->uid) ||
	    capable(CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

static void rtsync_object_free(struct rtsync_object *obj)
{
	mutex_lock(&rtsync_registry_lock);
	rtsync_user_uncharge(obj->user);
	rtsync_nr_objects--;
	mutex_unlock(&rtsync_registry_lock);
	kfree(obj->contention);
	kfree(obj);
	/* Last: module_exit drains rtsync_free_wq before the code goes away. */
	module_put(THIS_MODULE);
}

static void rtsync_free_objects(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&rtsync_free_list);
	struct rtsync_object *obj, *tmp;

	/* A mutex's wait-path walk (chain.c) may still read it under RCU. */
	if (list)
		synchronize_rcu();
	llist_for_each_entry_safe(obj, tmp, list, free_node)
		rtsync_object_free(obj);
}

static DECLARE_WORK(rtsync_free_work, rtsync_free_objects);

/* Free @obj from a work item; may be called in atomic context. */
void rtsync_object_free_later(struct rtsync_object *obj)
{
	/* Queued by whoever finds the list empty; the work takes them all. */
	if (llist_add(&obj->free_node, &rtsync_free_list))
		queue_work(rtsync_free_wq, &rtsync_free_work);
}

/* The last rtsync_object_put(): may run in atomic context. */
void rtsync_object_release(struct kref *ref)
{
	struct rtsync_object *obj = container_of(ref, struct rtsync_object, ref);

	/* A user the kref does not count frees it when it lets go. */
	if (obj->type->release && obj->type->release(obj))
		return;
	rtsync_object_free_later(obj);
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_object_release);

static struct rtsync_object *
rtsync_object_alloc(const char *name, u32 len, const struct rtsync_type *type,
		    const struct rtsync_open_args *args)
{
	struct rtsync_object *obj;

	/* The type's structure, then the name (rtsync_object_name()). */
	obj = kzalloc(type->size + len + 1, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return NULL;
	kref_init(&obj->ref);
	obj->type = type;
	obj->cuid = current_euid();
	obj->uid = obj->cuid;
	obj->cgid = current_egid();
	obj->gid = obj->cgid;
	obj->mode = args->mode & ~current_umask() & 0777;
	obj->name_len = len;
	memcpy((char *)obj + type->size, name, len);
	type->init(obj, args);
	return obj;
}

/*
 * Account @obj to its creator and link its name in @ns. Registry lock
 * held. Return: 0, -ENOSPC (a limit is reached), -ENOMEM, -ENODEV (the
 * module is being unloaded).
 */
static int rtsync_object_link_new(struct rtsync_ns *ns,
				  struct rtsync_object *obj)
{
	unsigned int per_user = READ_ONCE(rtsync_max_objects_per_user);
	struct rtsync_user *bottom, *u;
	int ret;

	lockdep_assert_held(&rtsync_registry_lock);
	if (rtsync_nr_objects >= READ_ONCE(rtsync_max_objects))
		return -ENOSPC;
	bottom = rtsync_user_levels(current_user_ns(), obj->cuid);
	if (!bottom)
		return -ENOMEM;
	for (u = bottom; u; u = u->parent) {
		if (u->count >= per_user) {
			ret = -ENOSPC;
			goto err_user;
		}
	}
	if (!try_module_get(THIS_MODULE)) {
		ret = -ENODEV;
		goto err_user;
	}
	obj->ns = ns;	/* part of the name's key */
	ret = rhashtable_insert_fast(&rtsync_names, &obj->node,
				     rtsync_name_params);
	if (ret)
		goto err_module;
	for (u = bottom; u; u = u->parent)
		u->count++;
	obj->user = bottom;
	list_add_tail(&obj->list_node, &ns->objects);
	obj->linked = true;
	rtsync_nr_objects++;
	/* The name's reference; the caller keeps the one from kref_init. */
	kref_get(&obj->ref);
	return 0;

err_module:
	obj->ns = NULL;
	module_put(THIS_MODULE);
err_user:
	rtsync_user_put_unused(bottom);
	return ret;
}

/**
 * rtsync_registry_open - open or create a named object
 * @name:    valid name (rtsync_name_valid())
 * @type:    the type @args name
 * @args:    OPEN's arguments, all valid (flags, mode and, with
 *           RTSYNC_OPEN_CREAT, the creation fields); the name pointer in
 *           them is not used
 * @created: set to whether a new object was made
 *
 * The name is looked up, or made, in the caller's IPC namespace.
 *
 * Return: the object with a reference for the caller, or ERR_PTR of
 * -ENOENT, -EEXIST, -EINVAL (exists with another type), -EACCES,
 * -ENOSPC, -ENOMEM, -ENODEV.
 */
struct rtsync_object *rtsync_registry_open(const char *name,
					   const struct rtsync_type *type,
					   const struct rtsync_open_args *args,
					   bool *created)
{
	struct rtsync_unlinked u = RTSYNC_UNLINKED_INIT(u);
	u32 flags = args->flags, len = strlen(name);
	struct rtsync_object *obj, *new_obj = NULL;
	struct vfsmount *mnt = rtsync_current_mnt();
	struct rtsync_ns *ns;
	int ret;

	*created = false;
	/* Allocate outside the lock; freed again if the name exists. */
	if (flags & RTSYNC_OPEN_CREAT) {
		new_obj = rtsync_object_alloc(name, len, type, args);
		if (!new_obj)
			return ERR_PTR(-ENOMEM);
	}

	mutex_lock(&rtsync_registry_lock);
	ns = rtsync_ns_find(mnt);
	obj = rtsync_lookup(ns, name, len);
	if (obj) {
		if (flags & RTSYNC_OPEN_EXCL)
			ret = -EEXIST;
		else if (obj->type != type)
			ret = -EINVAL;
		else
			ret = rtsync_may_open(obj);
		if (!ret)
			kref_get(&obj->ref);
	} else if (new_obj) {
		ret = -ENOMEM;
		if (!ns)
			ns = rtsync_ns_make(mnt, &u);
		if (ns) {
			obj = new_obj;
			ret = rtsync_object_link_new(ns, obj);
		}
		if (!ret) {
			new_obj = NULL;
			*created = true;
		} else if (ns && list_empty(&ns->objects)) {
			rtsync_ns_forget(ns, &u);	/* made for this one */
		}
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&rtsync_registry_lock);
	rtsync_unlinked_release(&u);

	/* Never linked or accounted: free it directly. */
	kfree(new_obj);
	return ret ? ERR_PTR(ret) : obj;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_registry_open);

/**
 * rtsync_registry_unlink - remove a name of the caller's IPC namespace
 * @name: valid name
 *
 * Return: 0, -ENOENT, -EPERM.
 */
int rtsync_registry_unlink(const char *name)
{
	struct rtsync_unlinked u = RTSYNC_UNLINKED_INIT(u);
	struct rtsync_object *obj;
	int ret;

	mutex_lock(&rtsync_registry_lock);
	obj = rtsync_lookup(rtsync_ns_find(rtsync_current_mnt()), name,
			    strlen(name));
	if (!obj) {
		ret = -ENOENT;
	} else {
		ret = rtsync_may_change(obj);
		if (!ret)
			rtsync_unlink_locked(obj, &u);
	}
	mutex_unlock(&rtsync_registry_lock);
	rtsync_unlinked_release(&u);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_registry_unlink);

/**
 * rtsync_registry_setperm - change an object's owner and mode (SysV IPC_SET)
 * @obj:  the object
 * @args: copied from user space
 *
 * Return: 0, -EINVAL (bad mode, non-zero pad, or an id that does not map
 * into the kernel), -EPERM (caller is neither owner, creator nor
 * CAP_SYS_ADMIN); on error nothing changes.
 */
int rtsync_registry_setperm(struct rtsync_object *obj,
			    const struct rtsync_setperm_args *args)
{
	struct user_namespace *ns = current_user_ns();
	kuid_t uid = INVALID_UID;
	kgid_t gid = INVALID_GID;
	int ret;

	if (args->pad)
		return -EINVAL;
	if (args->mode != RTSYNC_PERM_KEEP && args->mode & ~0777)
		return -EINVAL;
	if (args->uid != RTSYNC_PERM_KEEP) {
		uid = make_kuid(ns, args->uid);
		if (!uid_valid(uid))
			return -EINVAL;
	}
	if (args->gid != RTSYNC_PERM_KEEP) {
		gid = make_kgid(ns, args->gid);
		if (!gid_valid(gid))
			return -EINVAL;
	}

	mutex_lock(&rtsync_registry_lock);
	ret = rtsync_may_change(obj);
	if (!ret) {
		if (uid_valid(uid))
			obj->uid = uid;
		if (gid_valid(gid))
			obj->gid = gid;
		if (args->mode != RTSYNC_PERM_KEEP)
			obj->mode = args->mode;
	}
	mutex_unlock(&rtsync_registry_lock);
	return ret;
}

/**
 * rtsync_registry_may_change - may the caller change @obj's settings?
 * @obj: the object
 *
 * As for SETPERM: its owner, its creator and CAP_SYS_ADMIN may.
 * Return: 0 or -EPERM.
 */
int rtsync_registry_may_change(struct rtsync_object *obj)
{
	int ret;

	mutex_lock(&rtsync_registry_lock);
	ret = rtsync_may_change(obj);
	mutex_unlock(&rtsync_registry_lock);
	return ret;
}

/**
 * rtsync_registry_unlink_object - undo the creation of @obj
 * @obj: an object the caller created, still holding the creation reference
 *
 * For an open that created an object and then failed to make its file.
 */
void rtsync_registry_unlink_object(struct rtsync_object *obj)
{
	struct rtsync_unlinked u = RTSYNC_UNLINKED_INIT(u);

	mutex_lock(&rtsync_registry_lock);
	if (obj->linked)
		rtsync_unlink_locked(obj, &u);
	mutex_unlock(&rtsync_registry_lock);
	rtsync_unlinked_release(&u);
}

/* Number of objects not yet freed (linked, open, held or being freed). */
unsigned int rtsync_object_count(void)
{
	unsigned int n;

	mutex_lock(&rtsync_registry_lock);
	n = rtsync_nr_objects;
	mutex_unlock(&rtsync_registry_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_object_count);

/* Wait until every object whose last reference is gone has been freed. */
void rtsync_registry_flush(void)
{
	flush_workqueue(rtsync_free_wq);
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_registry_flush);

/*
 * Iteration over the linked objects of one IPC namespace for /proc/rtsync
 * (seq_file order): the namespace is the opener's, held by its mqueue
 * mount as struct rtsync_ns does (no names if it has none, or has gone).
 * start takes the registry lock and stop drops it, so the listing is one
 * consistent snapshot per read() chunk and objects cannot go away under
 * it.
 */
static LIST_HEAD(rtsync_no_objects);

void rtsync_registry_iter_init(struct rtsync_registry_iter *it)
{
	it->mnt = mntget(rtsync_current_mnt());
	it->objects = &rtsync_no_objects;
}

void rtsync_registry_iter_exit(struct rtsync_registry_iter *it)
{
	mntput(it->mnt);
}

struct list_head *rtsync_registry_seq_start(struct rtsync_registry_iter *it,
					    loff_t *pos)
{
	struct rtsync_ns *ns;

	mutex_lock(&rtsync_registry_lock);
	ns = rtsync_ns_find(it->mnt);
	it->objects = ns && !rtsync_ns_dead(ns) ? &ns->objects :
						  &rtsync_no_objects;
	return seq_list_start_head(it->objects, *pos);
}

struct list_head *rtsync_registry_seq_next(struct rtsync_registry_iter *it,
					   struct list_head *v, loff_t *pos)
{
	return seq_list_next(v, it->objects, pos);
}

void rtsync_registry_seq_stop(void)
{
	mutex_unlock(&rtsync_registry_lock);
}

/* True for the list head that rtsync_registry_seq_start() may return. */
bool rtsync_registry_seq_is_head(const struct rtsync_registry_iter *it,
				 const struct list_head *v)
{
	return v == it->objects;
}

int rtsync_registry_init(void)
{
	int ret;

	/* Unbound: the frees need no particular CPU (7.x warns otherwise). */
	rtsync_free_wq = alloc_workqueue("rtsync_free", WQ_UNBOUND, 0);
	if (!rtsync_free_wq)
		return -ENOMEM;
	ret = rhashtable_init(&rtsync_names, &rtsync_name_params);
	if (ret)
		destroy_workqueue(rtsync_free_wq);
	return ret;
}

/* Only reached with no object left: each one holds a module reference. */
void rtsync_registry_exit(void)
{
	cancel_delayed_work_sync(&rtsync_ns_sweep_work);
	destroy_workqueue(rtsync_free_wq);
	WARN_ON(rtsync_nr_objects);
	WARN_ON(!hash_empty(rtsync_namespaces));
	rhashtable_destroy(&rtsync_names);
}
