// SPDX-License-Identifier: GPL-2.0
/*
 * Loads fine but prints a kernel WARNING on the way, as a bug caught by a
 * WARN_ON() would: the harness must fail a run whose log shows one.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init warn_on_load_init(void)
{
	WARN(1, "rtsync harness self-test: deliberate warning\n");
	return 0;
}

static void __exit warn_on_load_exit(void)
{
}

module_init(warn_on_load_init);
module_exit(warn_on_load_exit);
MODULE_DESCRIPTION("rtsync harness self-test: WARN on load");
MODULE_LICENSE("GPL");
