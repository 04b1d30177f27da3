// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Unloading and reloading rtsync: rmmod works when no object exists and
 * /dev/rtsync goes away; loading brings it back working; every live object
 * (open or named) keeps the module loaded; librtsync retries a failed
 * /dev/rtsync open instead of caching the failure.
 *
 * Runs last (it unloads the module), as root in the guest, and always
 * leaves the module loaded. The module file is /rtsync/rtsync.ko.
 *
 * The device is used through raw open/ioctl/close here, except in the
 * final part: an open /dev/rtsync fd holds a module reference itself, and
 * librtsync keeps its fd for the life of the process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <rtsync.h>

#include "tap.h"
#include "harden_helpers.h"	/* the module: load, unload, wait_device */

/* tap.h's is_errno() evaluates its first argument twice: pass it a value. */
static int expect_errno(int got, int want, const char *what)
{
	return is_errno(got, want, what);
}

/* RTSYNC_IOC_VERSION through a device fd opened and closed here. */
static int device_version(uint32_t *version)
{
	int fd, err = 0;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (ioctl(fd, RTSYNC_IOC_VERSION, version) < 0)
		err = errno;
	close(fd);
	return err;
}

/* Creates mutex @name; returns its fd, or -errno. No device fd stays open. */
static int create_mutex(const char *name)
{
	struct rtsync_open_args args = {
		.name = (uintptr_t)name,
		.type = RTSYNC_TYPE_MUTEX,
		.flags = RTSYNC_OPEN_CREAT | RTSYNC_OPEN_EXCL,
		.mode = 0600,
	};
	int devfd, fd;

	devfd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		return -errno;
	fd = ioctl(devfd, RTSYNC_IOC_OPEN, &args);
	if (fd < 0)
		fd = -errno;
	close(devfd);
	return fd;
}

/* Removes @name; 0 or the errno. No device fd stays open. */
static int unlink_name(const char *name)
{
	struct rtsync_unlink_args args = { .name = (uintptr_t)name };
	int devfd, err = 0;

	devfd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		return errno;
	if (ioctl(devfd, RTSYNC_IOC_UNLINK, &args) < 0)
		err = errno;
	close(devfd);
	return err;
}

/* Reloads after a successful unload and checks the device came back. */
static int reload(const char *when)
{
	int err = load_module();

	expect_errno(err, 0, when);
	return !err && ok(wait_device(1), DEVICE " is back after loading");
}

/*
 * Unload and load with no object: the device goes and comes back, and a
 * second load of the loaded module is refused.
 */
static int check_unload_reload(void)
{
	uint32_t version = 0;
	struct stat st;
	int err;

	err = unload_module_settled();
	if (!expect_errno(err, 0, "rmmod with no rtsync object")) {
		diag("objects left by earlier tests keep the module loaded?");
		return 0;
	}
	ok(wait_device(0), DEVICE " disappears after rmmod");
	ok(stat("/sys/module/" MODULE_NAME, &st) < 0 && errno == ENOENT,
	   "/sys/module/" MODULE_NAME " disappears after rmmod");
	expect_errno(device_version(&version), ENOENT,
		 "opening " DEVICE " while unloaded");

	if (!reload("finit_module loads " MODULE_FILE " again"))
		return 0;
	expect_errno(device_version(&version), 0, "VERSION after reloading");
	ok(version == RTSYNC_ABI_VERSION, "VERSION after reloading is %u (got %u)",
	   RTSYNC_ABI_VERSION, version);
	expect_errno(load_module(), EEXIST, "loading it a second time");
	return 1;
}

/*
 * An object pins the module while it is open and while it is named; the
 * module unloads once the last fd is closed and the name is removed, in
 * either order. The kernel refuses a busy module with EWOULDBLOCK when
 * delete_module is called with O_NONBLOCK (kernel/module/main.c,
 * try_stop_module()).
 */
static int check_objects_pin_module(void)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "t-lifecycle-%d", (int)getpid());
	fd = create_mutex(name);
	if (fd == -EOPNOTSUPP) {
		static const char reason[] = "OPEN not implemented (EOPNOTSUPP)";

		skip(reason, "rmmod refused while a named mutex is open");
		skip(reason, "rmmod refused while a closed mutex is still named");
		skip(reason, "rmmod refused while an unlinked mutex is still open");
		return 1;
	}
	if (!ok(fd >= 0, "create mutex %s (got %s)", name,
		fd < 0 ? strerror(-fd) : "an fd"))
		return 1;

	/* Named and open. */
	expect_errno(unload_module(), EWOULDBLOCK,
		 "rmmod refused while a named mutex is open");
	ok(device_present(), DEVICE " still there after the refused rmmod");

	/* Named, no fd left. */
	close(fd);
	expect_errno(unload_module(), EWOULDBLOCK,
		 "rmmod refused while a closed mutex is still named");

	/* Gone. */
	expect_errno(unlink_name(name), 0, "unlink the mutex");
	if (!expect_errno(unload_module_settled(), 0,
		      "rmmod after close and unlink"))
		return 1;
	if (!reload("load again after close and unlink"))
		return 0;

	/* Unlinked but still open: the fd alone pins it. */
	fd = create_mutex(name);
	if (!ok(fd >= 0, "create mutex %s again (got %s)", name,
		fd < 0 ? strerror(-fd) : "an fd"))
		return 1;
	expect_errno(unlink_name(name), 0, "unlink the open mutex");
	expect_errno(unload_module(), EWOULDBLOCK,
		 "rmmod refused while an unlinked mutex is still open");
	close(fd);
	if (!expect_errno(unload_module_settled(), 0,
		      "rmmod after unlink and close"))
		return 1;
	return reload("load again after unlink and close");
}

/*
 * librtsync while the module is missing and after it is loaded again: the
 * failed open of /dev/rtsync must not be cached. Ends with librtsync
 * holding its device fd, so this comes last.
 */
static void check_library_retries(void)
{
	uint32_t version = 0;
	int err;

	err = unload_module_settled();
	if (!expect_errno(err, 0, "rmmod before the library checks"))
		return;
	wait_device(0);
	expect_errno(rtsync_version(&version), ENOENT,
		 "rtsync_version while unloaded");
	expect_errno(rtsync_version(&version), ENOENT,
		 "rtsync_version while unloaded, again");
	if (!reload("load for the library checks"))
		return;
	err = rtsync_version(&version);
	expect_errno(err, 0, "rtsync_version after loading (failure not cached)");
	ok(version == RTSYNC_ABI_VERSION, "rtsync_version is %u (got %u)",
	   RTSYNC_ABI_VERSION, version);
}

int main(void)
{
	int err;

	if (!ok(device_present(), DEVICE " present at the start") ||
	    !ok(access(MODULE_FILE, R_OK) == 0, MODULE_FILE " is readable"))
		/* Nothing here could restore the module: leave it alone. */
		return tap_done();

	if (check_unload_reload() && check_objects_pin_module())
		check_library_retries();

	/* Whatever happened above, leave the module loaded for what follows. */
	if (!device_present()) {
		err = load_module();
		ok(err == 0 && wait_device(1),
		   "module loaded again at the end (%s)",
		   err ? strerror(err) : "ok");
	}
	return tap_done();
}
