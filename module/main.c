// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync: named, cross-process mutexes and semaphores managed by the kernel.
 *
 * This file: module init/exit and the misc device /dev/rtsync with its
 * ioctls (VERSION, OPEN, UNLINK, NOP). OPEN returns an object file (an
 * anon inode with its type's file_operations, from the type table).
 *
 * Every ioctl copies its arguments in, validates all of them, and only then
 * changes state, so bad input changes nothing.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include "rtsync.h"

/*
 * Copy a name from user space into @name (RTSYNC_NAME_MAX + 1 bytes).
 * Return: 0, -EFAULT, -EINVAL, -ENAMETOOLONG.
 */
static int rtsync_name_from_user(char *name, u64 uptr)
{
	long len;

	len = strncpy_from_user(name, u64_to_user_ptr(uptr),
				RTSYNC_NAME_MAX + 1);
	if (len < 0)
		return len;
	if (len > RTSYNC_NAME_MAX)
		return -ENAMETOOLONG;
	return rtsync_name_valid(name, len);
}

/*
 * Validate OPEN's arguments other than the name.
 * Return: 0 with *typep set, or -EINVAL.
 */
static int rtsync_open_args_valid(const struct rtsync_open_args *args,
				  const struct rtsync_type **typep)
{
	const struct rtsync_type *type = rtsync_type_find(args->type);

	if (args->flags & ~(RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL))
		return -EINVAL;
	if ((args->flags & RTSYNC_OPEN_EXCL) && !(args->flags & RTSYNC_OPEN_CREAT))
		return -EINVAL;
	if (!type)
		return -EINVAL;
	if (args->mode & ~0777)
		return -EINVAL;
	*typep = type;
	/* The creation fields mean something only when the call may create. */
	if (!(args->flags & RTSYNC_OPEN_CREAT))
		return args->mode || args->mutex_flags || args->sem_value ||
		       args->sem_max ? -EINVAL : 0;
	return type->check_create(args);
}

static long rtsync_ioctl_open(void __user *argp)
{
	const struct rtsync_type *type;
	struct rtsync_open_args args;
	struct rtsync_object *obj;
	char name[RTSYNC_NAME_MAX + 1];
	struct file *file;
	bool created;
	int fd, ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	ret = rtsync_open_args_valid(&args, &type);
	if (ret)
		return ret;
	ret = rtsync_name_from_user(name, args.name);
	if (ret)
		return ret;

	/* Reserve the fd first, so running out of fds creates nothing. */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	obj = rtsync_registry_open(name, type, &args, &created);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto err_fd;
	}
	file = anon_inode_getfile(type->file_name, type->fops, obj,
				  O_RDWR | O_CLOEXEC);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		if (created)
			rtsync_registry_unlink_object(obj);
		rtsync_object_put(obj);
		goto err_fd;
	}
	fd_install(fd, file);
	return fd;

err_fd:
	put_unused_fd(fd);
	return ret;
}

static long rtsync_ioctl_unlink(void __user *argp)
{
	struct rtsync_unlink_args args;
	char name[RTSYNC_NAME_MAX + 1];
	int ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.pad)
		return -EINVAL;
	ret = rtsync_name_from_user(name, args.name);
	if (ret)
		return ret;
	return rtsync_registry_unlink(name);
}

static long rtsync_dev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case RTSYNC_IOC_VERSION:
		return put_user(RTSYNC_ABI_VERSION, (__u32 __user *)argp);
	case RTSYNC_IOC_OPEN:
		return rtsync_ioctl_open(argp);
	case RTSYNC_IOC_UNLINK:
		return rtsync_ioctl_unlink(argp);
	case RTSYNC_IOC_NOP:
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations rtsync_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= rtsync_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice rtsync_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "rtsync",
	.fops	= &rtsync_dev_fops,
	.mode	= 0666,
};

static int __init rtsync_init(void)
{
	int ret;

	ret = rtsync_registry_init();
	if (ret)
		return ret;
	ret = rtsync_types_init();
	if (ret)
		goto err_registry;
	ret = rtsync_procfs_init();
	if (ret)
		goto err_types;
	ret = misc_register(&rtsync_misc);
	if (ret)
		goto err_procfs;
	return 0;

err_procfs:
	rtsync_procfs_exit();
err_types:
	rtsync_types_exit();
err_registry:
	rtsync_registry_exit();
	return ret;
}

/*
 * Every object holds a module reference, so this runs only when none is
 * left; what remains is waiting for deferred frees and probes to finish.
 */
static void __exit rtsync_exit(void)
{
	misc_deregister(&rtsync_misc);
	rtsync_procfs_exit();
	rtsync_types_exit();
	rtsync_registry_exit();
}

module_init(rtsync_init);
module_exit(rtsync_exit);

MODULE_DESCRIPTION("rtsync: named cross-process PI mutexes and semaphores");
MODULE_LICENSE("GPL");
#ifdef RTSYNC_RELEASE
MODULE_VERSION(RTSYNC_RELEASE);
#endif
