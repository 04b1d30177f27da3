// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync object files: what every type's file shares, below the types.
 *
 * The type table maps the ABI's RTSYNC_TYPE_* to each type's struct
 * rtsync_type; everything outside a type's own file reaches the type
 * through it. An object file's ioctl goes straight to its type's handler
 * (each type has its own file_operations, so an uncontended LOCK makes no
 * extra call); what a type does not handle ends here, in
 * rtsync_object_ioctl(): SETPERM, which every type has, and EINVAL for
 * another type's command, as in ntsync.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "rtsync.h"

static const struct rtsync_type * const rtsync_types[] = {
	[RTSYNC_TYPE_MUTEX]	= &rtsync_mutex_type,
	[RTSYNC_TYPE_SEM]	= &rtsync_sem_type,
	[RTSYNC_TYPE_COND]	= &rtsync_cond_type,
};

/**
 * rtsync_type_find - the type an ABI type number names
 * @type: RTSYNC_TYPE_*, from user space
 *
 * Return: the type, or NULL for a number that names none.
 */
const struct rtsync_type *rtsync_type_find(u32 type)
{
	if (type >= ARRAY_SIZE(rtsync_types))
		return NULL;
	return rtsync_types[type];
}
EXPORT_SYMBOL_IF_KUNIT(rtsync_type_find);

/* The type whose object files have @fops, or NULL. */
static const struct rtsync_type *
rtsync_type_of_fops(const struct file_operations *fops)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rtsync_types); i++)
		if (rtsync_types[i] && rtsync_types[i]->fops == fops)
			return rtsync_types[i];
	return NULL;
}

/* Is @cmd an ioctl command of some object type? */
static bool rtsync_is_type_ioctl(unsigned int cmd)
{
	const struct rtsync_type *type;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(rtsync_types); i++) {
		type = rtsync_types[i];
		for (j = 0; type && j < type->nr_ioctls; j++)
			if (type->ioctls[j] == cmd)
				return true;
	}
	return false;
}

/**
 * rtsync_object_fdget - the rtsync object behind a file descriptor
 * @fd: the descriptor
 * @f:  filled by fdget(); the caller must fdput() it after a non-error
 *      return
 *
 * Return: the object (valid until fdput), or ERR_PTR(-EBADF) for a closed
 * fd, ERR_PTR(-EINVAL) for a file that is not an rtsync object.
 */
struct rtsync_object *rtsync_object_fdget(int fd, struct fd *f)
{
	*f = fdget(fd);
	if (!fd_file(*f))
		return ERR_PTR(-EBADF);
	if (!rtsync_type_of_fops(fd_file(*f)->f_op)) {
		fdput(*f);
		return ERR_PTR(-EINVAL);
	}
	return fd_file(*f)->private_data;
}

/**
 * rtsync_object_ioctl - an ioctl the object's type does not handle
 * @obj:  the object
 * @cmd:  the command
 * @argp: its argument
 *
 * SETPERM, STATS and STATS_RESET, for every type; EINVAL for an ioctl of
 * another object type (as in ntsync); ENOTTY for anything else.
 */
long rtsync_object_ioctl(struct rtsync_object *obj, unsigned int cmd,
			 void __user *argp)
{
	struct rtsync_setperm_args perm;

	if (cmd == RTSYNC_IOC_SETPERM) {
		if (copy_from_user(&perm, argp, sizeof(perm)))
			return -EFAULT;
		return rtsync_registry_setperm(obj, &perm);
	}
	if (cmd == RTSYNC_IOC_STATS || cmd == RTSYNC_IOC_STATS_RESET)
		return rtsync_object_ioctl_stats(obj, cmd, argp);
	return rtsync_is_type_ioctl(cmd) ? -EINVAL : -ENOTTY;
}

/**
 * rtsync_copy_name_out - copy @obj's name to a user buffer for INFO
 * @obj:  the object
 * @buf:  user pointer, or 0 for "no name wanted"
 * @size: size of the buffer
 *
 * Return: 0, -ERANGE (name and NUL do not fit), -EFAULT.
 */
static int rtsync_copy_name_out(const struct rtsync_object *obj, u64 buf,
				u32 size)
{
	if (!buf)
		return 0;
	if (size < obj->name_len + 1)
		return -ERANGE;
	if (copy_to_user(u64_to_user_ptr(buf), rtsync_object_name(obj),
			 obj->name_len + 1))
		return -EFAULT;
	return 0;
}

/**
 * rtsync_object_ioctl_info - the part every INFO ioctl shares
 * @obj:  the object
 * @argp: user pointer to the INFO struct
 * @info: kernel buffer of @size bytes for it
 * @size: size of the INFO struct
 * @fill: checks the struct's input fields and fills in the rest
 *
 * Every INFO struct starts with { __u64 name; __u32 name_size; }: the user
 * buffer that receives the object's name.
 * Return: 0, -EFAULT, -ERANGE, or what @fill returns.
 */
long rtsync_object_ioctl_info(struct rtsync_object *obj, void __user *argp,
			      void *info, size_t size,
			      int (*fill)(struct rtsync_object *obj,
					  void *info))
{
	struct rtsync_info_head *head = info;
	int ret;

	if (copy_from_user(info, argp, size))
		return -EFAULT;
	ret = fill(obj, info);
	if (ret)
		return ret;
	ret = rtsync_copy_name_out(obj, head->name, head->name_size);
	if (ret)
		return ret;
	if (copy_to_user(argp, info, size))
		return -EFAULT;
	return 0;
}

/* .release of every object file: the file's reference goes. */
int rtsync_object_file_release(struct inode *inode, struct file *file)
{
	/* A mutex held through this file stays held: the lifetime rule. */
	rtsync_object_put(file->private_data);
	return 0;
}

/* .poll of a type whose objects are never ready for poll(). */
__poll_t rtsync_object_nopoll(struct file *file, poll_table *wait)
{
	return 0;
}

/* Module-wide setup of every type that has some. */
int rtsync_types_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(rtsync_types); i++) {
		if (!rtsync_types[i] || !rtsync_types[i]->module_init)
			continue;
		ret = rtsync_types[i]->module_init();
		if (ret)
			goto err;
	}
	return 0;

err:
	while (i--)
		if (rtsync_types[i] && rtsync_types[i]->module_exit)
			rtsync_types[i]->module_exit();
	return ret;
}

/* Only called with no object left: each one holds a module reference. */
void rtsync_types_exit(void)
{
	unsigned int i = ARRAY_SIZE(rtsync_types);

	while (i--)
		if (rtsync_types[i] && rtsync_types[i]->module_exit)
			rtsync_types[i]->module_exit();
}
