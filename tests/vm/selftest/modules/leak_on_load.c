// SPDX-License-Identifier: GPL-2.0
/*
 * Loses memory while loading, as a missing kfree() would: on a kernel with
 * kmemleak, the harness must fail a run whose scan reports it.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

/*
 * Several blocks, none pointing to another: a stale copy of one pointer
 * left somewhere kmemleak scans (a stack, a register) cannot hide them all.
 */
#define LEAK_BLOCKS	4
#define LEAK_SIZE	128

static int __init leak_on_load_init(void)
{
	int i;

	for (i = 0; i < LEAK_BLOCKS; i++) {
		char *lost = kmalloc(LEAK_SIZE, GFP_KERNEL);

		if (!lost)
			return -ENOMEM;
		memset(lost, 0x5a, LEAK_SIZE);
	}
	return 0;
}

static void __exit leak_on_load_exit(void)
{
}

module_init(leak_on_load_init);
module_exit(leak_on_load_exit);
MODULE_DESCRIPTION("rtsync harness self-test: leak memory on load");
MODULE_LICENSE("GPL");
