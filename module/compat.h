/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtsync compatibility layer: every difference between the kernel versions
 * rtsync builds against lives here (and in the feature probes of Kbuild
 * that feed it), and nothing else does. Each shim names the kernels that
 * need it.
 */
#ifndef RTSYNC_COMPAT_H
#define RTSYNC_COMPAT_H

#include <linux/sched.h>

/*
 * sched_process_exit passes only the task up to 6.12 and gains a
 * "bool group_dead" argument in later kernels. A probe's prototype must
 * match the tracepoint exactly (kCFI checks indirect calls), so Kbuild
 * reads the kernel's header and defines RTSYNC_EXIT_TP_GROUP_DEAD when the
 * argument is there. RTSYNC_DEFINE_EXIT_PROBE(fn) defines fn##_fn with the
 * right prototype, calling void fn(struct task_struct *).
 */
#ifdef RTSYNC_EXIT_TP_GROUP_DEAD
#define RTSYNC_DEFINE_EXIT_PROBE(fn)					\
	static void fn##_fn(void *data, struct task_struct *task,	\
			    bool group_dead)				\
	{								\
		fn(task);						\
	}
#else
#define RTSYNC_DEFINE_EXIT_PROBE(fn)					\
	static void fn##_fn(void *data, struct task_struct *task)	\
	{								\
		fn(task);						\
	}
#endif

/*
 * struct fd became opaque in 6.12 and is read through fd_file(); up to
 * 6.11 the file is f.file.
 */
#include <linux/file.h>
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/*
 * hrtimer_setup() (timer and callback in one call) appeared in 6.13 and
 * replaced hrtimer_init(), which later kernels removed. Kbuild defines
 * RTSYNC_HAVE_HRTIMER_SETUP when the kernel's header declares it.
 */
#include <linux/hrtimer.h>
static inline void
rtsync_hrtimer_setup(struct hrtimer *timer,
		     enum hrtimer_restart (*fn)(struct hrtimer *),
		     clockid_t clockid, enum hrtimer_mode mode)
{
#ifdef RTSYNC_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, clockid, mode);
#else
	hrtimer_init(timer, clockid, mode);
	timer->function = fn;
#endif
}

#endif /* RTSYNC_COMPAT_H */
