/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * librtsync's ioctl(2) without errno.
 *
 * Every lock, unlock, wait and post is one ioctl, and the library reports
 * errors as return values while leaving errno alone. Going through libc's
 * ioctl() costs that convention a call to find errno, a save and a restore
 * around a call that itself stores errno on failure. On x86-64 the system
 * call is made directly instead, as liburing does: the kernel hands back
 * -errno in a register and nothing else is touched. Other architectures
 * use libc's ioctl() and put errno back.
 */
#ifndef RTSYNC_SYSCALL_H
#define RTSYNC_SYSCALL_H

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

/*
 * rtsync__ioctl_libc - ioctl(2) through libc. Returns the ioctl's result
 * (>= 0) or -errno; errno is as it was before the call.
 */
static inline long rtsync__ioctl_libc(int fd, unsigned long request,
				      void *arg)
{
	int *errnop = &errno;	/* one lookup of errno's address */
	int saved_errno = *errnop;
	long ret;

	ret = ioctl(fd, request, arg);
	if (ret >= 0)
		return ret;
	ret = -*errnop;
	*errnop = saved_errno;
	return ret;
}

#if defined(__x86_64__) && !defined(__ILP32__)
#define RTSYNC_RAW_SYSCALL 1
/*
 * rtsync__ioctl_raw - the same through the syscall instruction: the
 * x86-64 system call ABI takes the number in rax and the arguments in rdi,
 * rsi, rdx, returns in rax, and clobbers rcx and r11.
 */
static inline long rtsync__ioctl_raw(int fd, unsigned long request,
				     void *arg)
{
	long ret;

	__asm__ volatile ("syscall"
			  : "=a" (ret)
			  : "0" ((long)SYS_ioctl), "D" ((long)fd),
			    "S" (request), "d" (arg)
			  : "rcx", "r11", "memory");
	return ret;
}
#else
#define RTSYNC_RAW_SYSCALL 0
#define rtsync__ioctl_raw rtsync__ioctl_libc
#endif

#endif /* RTSYNC_SYSCALL_H */
