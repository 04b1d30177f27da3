// SPDX-License-Identifier: GPL-2.0
/*
 * rtsync: named, cross-process mutexes and semaphores managed by the kernel.
 *
 * This file: module init/exit, the misc device /dev/rtsync and its ioctls
 * (VERSION, OPEN, UNLINK, NOP), and the object file descriptors that OPEN
 * returns (anon inodes with one file_operations per type: their ioctls go
 * straight to mutex.c, sem.c or cond.c, which pass SETPERM and what they
 * do not know to rtsync_obj_ioctl_common()).
 *
 * Every ioctl copies its arguments in, validates all of them, and only then
 * changes state, so bad input changes nothing.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "compat.h"
#include "rtsync.h"

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
	if (copy_to_user(u64_to_user_ptr(buf), obj->name, obj->name_len + 1))
		return -EFAULT;
	return 0;
}

#define RTSYNC_INFO_HEAD_OK(type)					\
	(offsetof(type, name) == offsetof(struct rtsync_info_head, name) && \
	 offsetof(type, name_size) ==					\
	 offsetof(struct rtsync_info_head, name_size))
static_assert(RTSYNC_INFO_HEAD_OK(struct rtsync_mutex_info));
static_assert(RTSYNC_INFO_HEAD_OK(struct rtsync_sem_info));
static_assert(RTSYNC_INFO_HEAD_OK(struct rtsync_cond_info));

/**
 * rtsync_ioctl_info - the part every INFO ioctl shares
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
long rtsync_ioctl_info(struct rtsync_object *obj, void __user *argp,
		       void *info, size_t size,
		       int (*fill)(struct rtsync_object *obj, void *info))
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

static const struct file_operations rtsync_fops[];

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
	const struct file_operations *fops;

	*f = fdget(fd);
	if (!fd_file(*f))
		return ERR_PTR(-EBADF);
	fops = fd_file(*f)->f_op;
	if (fops != &rtsync_fops[RTSYNC_TYPE_MUTEX] &&
	    fops != &rtsync_fops[RTSYNC_TYPE_SEM] &&
	    fops != &rtsync_fops[RTSYNC_TYPE_COND]) {
		fdput(*f);
		return ERR_PTR(-EINVAL);
	}
	return fd_file(*f)->private_data;
}

/**
 * rtsync_obj_ioctl_common - an ioctl a type's own ioctl does not handle
 * @obj:  the object
 * @cmd:  the command
 * @argp: its argument
 *
 * SETPERM, for every type; EINVAL for an rtsync ioctl meant for another
 * type (as in ntsync); ENOTTY for anything else.
 */
long rtsync_obj_ioctl_common(struct rtsync_object *obj, unsigned int cmd,
			     void __user *argp)
{
	struct rtsync_setperm_args perm;

	switch (cmd) {
	case RTSYNC_IOC_SETPERM:
		if (copy_from_user(&perm, argp, sizeof(perm)))
			return -EFAULT;
		return rtsync_registry_setperm(obj, &perm);
	case RTSYNC_IOC_MUTEX_LOCK:
	case RTSYNC_IOC_MUTEX_TRYLOCK:
	case RTSYNC_IOC_MUTEX_UNLOCK:
	case RTSYNC_IOC_MUTEX_CONSISTENT:
	case RTSYNC_IOC_MUTEX_INFO:
	case RTSYNC_IOC_SEM_WAIT:
	case RTSYNC_IOC_SEM_TRYWAIT:
	case RTSYNC_IOC_SEM_POST:
	case RTSYNC_IOC_SEM_INFO:
	case RTSYNC_IOC_COND_WAIT:
	case RTSYNC_IOC_COND_SIGNAL:
	case RTSYNC_IOC_COND_BROADCAST:
	case RTSYNC_IOC_COND_INFO:
		return -EINVAL;
	default:
		return -ENOTTY;
	}
}

static __poll_t rtsync_sem_file_poll(struct file *file, poll_table *wait)
{
	struct rtsync_object *obj = file->private_data;

	return rtsync_sem_poll(&obj->sem, file, wait);
}

/* Mutexes and condition variables are never ready for poll(). */
static __poll_t rtsync_obj_nopoll(struct file *file, poll_table *wait)
{
	return 0;
}

static int rtsync_obj_release(struct inode *inode, struct file *file)
{
	/* A mutex held through this file stays held (rtsync_mutex_orphan()). */
	rtsync_object_put(file->private_data);
	return 0;
}

/*
 * One file_operations per type, so that an ioctl goes straight to its
 * type's handler (one call less on every LOCK and UNLOCK); only a
 * semaphore is ever ready for poll().
 */
static const struct file_operations rtsync_fops[] = {
	[RTSYNC_TYPE_MUTEX] = {
		.owner		= THIS_MODULE,
		.release	= rtsync_obj_release,
		.unlocked_ioctl	= rtsync_mutex_ioctl,
		.compat_ioctl	= compat_ptr_ioctl,
		.poll		= rtsync_obj_nopoll,
	},
	[RTSYNC_TYPE_SEM] = {
		.owner		= THIS_MODULE,
		.release	= rtsync_obj_release,
		.unlocked_ioctl	= rtsync_sem_ioctl,
		.compat_ioctl	= compat_ptr_ioctl,
		.poll		= rtsync_sem_file_poll,
	},
	[RTSYNC_TYPE_COND] = {
		.owner		= THIS_MODULE,
		.release	= rtsync_obj_release,
		.unlocked_ioctl	= rtsync_cond_ioctl,
		.compat_ioctl	= compat_ptr_ioctl,
		.poll		= rtsync_obj_nopoll,
	},
};

/* Names of the object files, as /proc/PID/fd shows them. */
static const char * const rtsync_type_names[] = {
	[RTSYNC_TYPE_MUTEX]	= "[rtsync_mutex]",
	[RTSYNC_TYPE_SEM]	= "[rtsync_sem]",
	[RTSYNC_TYPE_COND]	= "[rtsync_cond]",
};

/* Validate OPEN's arguments other than the name. */
static int rtsync_open_args_valid(const struct rtsync_open_args *args)
{
	if (args->flags & ~(RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL))
		return -EINVAL;
	if ((args->flags & RTSYNC_OPEN_EXCL) && !(args->flags & RTSYNC_OPEN_CREAT))
		return -EINVAL;
	if (args->type != RTSYNC_TYPE_MUTEX && args->type != RTSYNC_TYPE_SEM &&
	    args->type != RTSYNC_TYPE_COND)
		return -EINVAL;
	if (args->mode & ~0777)
		return -EINVAL;
	/* The creation fields count only when the call may create. */
	if (!(args->flags & RTSYNC_OPEN_CREAT))
		return 0;
	switch (args->type) {
	case RTSYNC_TYPE_MUTEX:
		return (args->mutex_flags & ~RTSYNC_MUTEX_RECURSIVE) ||
		       args->sem_value || args->sem_max ? -EINVAL : 0;
	case RTSYNC_TYPE_SEM:
		return args->mutex_flags || !args->sem_max ||
		       args->sem_max > RTSYNC_SEM_VALUE_MAX ||
		       args->sem_value > args->sem_max ? -EINVAL : 0;
	default:
		return args->mutex_flags || args->sem_value || args->sem_max ?
		       -EINVAL : 0;
	}
}

static long rtsync_ioctl_open(void __user *argp)
{
	struct rtsync_create_params params;
	struct rtsync_open_args args;
	struct rtsync_object *obj;
	char name[RTSYNC_NAME_MAX + 1];
	struct file *file;
	bool created;
	int fd, ret;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	ret = rtsync_open_args_valid(&args);
	if (ret)
		return ret;
	ret = rtsync_name_from_user(name, args.name);
	if (ret)
		return ret;
	params.mutex_flags = args.mutex_flags;
	params.sem_value = args.sem_value;
	params.sem_max = args.sem_max;

	/* Reserve the fd first, so running out of fds creates nothing. */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	obj = rtsync_registry_open(name, args.type, args.flags, args.mode,
				   &params, &created);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto err_fd;
	}
	file = anon_inode_getfile(rtsync_type_names[args.type],
				  &rtsync_fops[args.type], obj,
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
	ret = rtsync_owner_init();
	if (ret)
		goto err_registry;
	ret = rtsync_procfs_init();
	if (ret)
		goto err_owner;
	ret = misc_register(&rtsync_misc);
	if (ret)
		goto err_procfs;
	return 0;

err_procfs:
	rtsync_procfs_exit();
err_owner:
	rtsync_owner_exit();
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
	rtsync_owner_exit();
	rtsync_registry_exit();
}

module_init(rtsync_init);
module_exit(rtsync_exit);

MODULE_DESCRIPTION("rtsync: named cross-process PI mutexes and semaphores");
MODULE_LICENSE("GPL");
#ifdef RTSYNC_RELEASE
MODULE_VERSION(RTSYNC_RELEASE);
#endif
