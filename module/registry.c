// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync registry: the name table, object lifetime, permissions and limits.
 *
 * Names live in one rhashtable (O(1) lookup at any size). Opening and
 * unlinking by name are serialized by rtsync_registry_lock, a mutex that
 * the lock/unlock/wait/post paths never take: they work on the object an
 * fd already refers to.
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
#include <linux/fs_struct.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
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

/* Protects the name table, rtsync_users, rtsync_nr_objects, and the
 * registry fields of every object (see struct rtsync_object).
 */
static DEFINE_MUTEX(rtsync_registry_lock);
static LIST_HEAD(rtsync_linked_objects);
static DEFINE_HASHTABLE(rtsync_users, 6);
static unsigned int rtsync_nr_objects;
static struct workqueue_struct *rtsync_free_wq;
/* Objects whose last reference is gone, for rtsync_free_work to free. */
static LLIST_HEAD(rtsync_free_list);

struct rtsync_name_key {
	const char *name;
	u32 len;
};

static u32 rtsync_key_hash(const void *data, u32 len, u32 seed)
{
	const struct rtsync_name_key *key = data;

	return jhash(key->name, key->len, seed);
}

static u32 rtsync_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct rtsync_object *obj = data;

	return jhash(rtsync_object_name(obj), obj->name_len, seed);
}

static int rtsync_obj_cmp(struct rhashtable_compare_arg *arg, const void *data)
{
	const struct rtsync_name_key *key = arg->key;
	const struct rtsync_object *obj = data;

	return obj->name_len != key->len ||
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

static struct rtsync_object *rtsync_lookup(const char *name, u32 len)
{
	struct rtsync_name_key key = { .name = name, .len = len };

	lockdep_assert_held(&rtsync_registry_lock);
	return rhashtable_lookup_fast(&rtsync_names, &key, rtsync_name_params);
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
 * Account @obj to its creator and link its name. Registry lock held.
 * Return: 0, -ENOSPC (a limit is reached), -ENOMEM, -ENODEV (the module is
 * being unloaded).
 */
static int rtsync_object_link_new(struct rtsync_object *obj)
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
	ret = rhashtable_insert_fast(&rtsync_names, &obj->node,
				     rtsync_name_params);
	if (ret)
		goto err_module;
	for (u = bottom; u; u = u->parent)
		u->count++;
	obj->user = bottom;
	list_add_tail(&obj->list_node, &rtsync_linked_objects);
	obj->linked = true;
	rtsync_nr_objects++;
	/* The name's reference; the caller keeps the one from kref_init. */
	kref_get(&obj->ref);
	return 0;

err_module:
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
 * Return: the object with a reference for the caller, or ERR_PTR of
 * -ENOENT, -EEXIST, -EINVAL (exists with another type), -EACCES,
 * -ENOSPC, -ENOMEM, -ENODEV.
 */
struct rtsync_object *rtsync_registry_open(const char *name,
					   const struct rtsync_type *type,
					   const struct rtsync_open_args *args,
					   bool *created)
{
	u32 flags = args->flags, len = strlen(name);
	struct rtsync_object *obj, *new_obj = NULL;
	int ret;

	*created = false;
	/* Allocate outside the lock; freed again if the name exists. */
	if (flags & RTSYNC_OPEN_CREAT) {
		new_obj = rtsync_object_alloc(name, len, type, args);
		if (!new_obj)
			return ERR_PTR(-ENOMEM);
	}

	mutex_lock(&rtsync_registry_lock);
	obj = rtsync_lookup(name, len);
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
		obj = new_obj;
		ret = rtsync_object_link_new(obj);
		if (!ret) {
			new_obj = NULL;
			*created = true;
		}
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&rtsync_registry_lock);

	/* Never linked or accounted: free it directly. */
	kfree(new_obj);
	return ret ? ERR_PTR(ret) : obj;
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_registry_open);

static void rtsync_unlink_locked(struct rtsync_object *obj)
{
	lockdep_assert_held(&rtsync_registry_lock);
	rhashtable_remove_fast(&rtsync_names, &obj->node, rtsync_name_params);
	list_del(&obj->list_node);
	WRITE_ONCE(obj->linked, false);
}

/**
 * rtsync_registry_unlink - remove a name
 * @name: valid name
 *
 * Return: 0, -ENOENT, -EPERM.
 */
int rtsync_registry_unlink(const char *name)
{
	struct rtsync_object *obj;
	int ret;

	mutex_lock(&rtsync_registry_lock);
	obj = rtsync_lookup(name, strlen(name));
	if (!obj) {
		ret = -ENOENT;
	} else {
		ret = rtsync_may_change(obj);
		if (!ret)
			rtsync_unlink_locked(obj);
	}
	mutex_unlock(&rtsync_registry_lock);
	/* The put is outside the lock: the free work takes it too. */
	if (!ret)
		rtsync_object_put(obj);
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
 * rtsync_registry_unlink_object - undo the creation of @obj
 * @obj: an object the caller created, still holding the creation reference
 *
 * For an open that created an object and then failed to make its file.
 */
void rtsync_registry_unlink_object(struct rtsync_object *obj)
{
	bool was_linked;

	mutex_lock(&rtsync_registry_lock);
	was_linked = obj->linked;
	if (was_linked)
		rtsync_unlink_locked(obj);
	mutex_unlock(&rtsync_registry_lock);
	if (was_linked)
		rtsync_object_put(obj);
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
 * Iteration over the linked objects for /proc/rtsync (seq_file order):
 * start takes the registry lock and stop drops it, so the listing is one
 * consistent snapshot per read() chunk and objects cannot go away under it.
 */
struct list_head *rtsync_registry_seq_start(loff_t *pos)
{
	mutex_lock(&rtsync_registry_lock);
	return seq_list_start_head(&rtsync_linked_objects, *pos);
}

struct list_head *rtsync_registry_seq_next(struct list_head *v, loff_t *pos)
{
	return seq_list_next(v, &rtsync_linked_objects, pos);
}

void rtsync_registry_seq_stop(void)
{
	mutex_unlock(&rtsync_registry_lock);
}

/* True for the list head that rtsync_registry_seq_start() may return. */
bool rtsync_registry_seq_is_head(struct list_head *v)
{
	return v == &rtsync_linked_objects;
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
	destroy_workqueue(rtsync_free_wq);
	WARN_ON(rtsync_nr_objects);
	rhashtable_destroy(&rtsync_names);
}
