// SPDX-License-Identifier: GPL-2.0
/*
 * Panics the kernel while loading: the harness must fail a run whose guest
 * dies before finishing its plan.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/panic.h>

static int __init panic_on_load_init(void)
{
	panic("rtsync harness self-test: deliberate panic\n");
	return 0;
}

module_init(panic_on_load_init);
MODULE_DESCRIPTION("rtsync harness self-test: panic on load");
MODULE_LICENSE("GPL");
