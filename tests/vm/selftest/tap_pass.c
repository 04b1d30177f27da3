/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A test program whose checks all pass: the harness must report each of
 * them as passed and nothing as failed.
 */
#include "tap.h"

int main(void)
{
	ok(1 + 1 == 2, "arithmetic works");
	ok(getpid() > 1, "runs as a process of its own");
	return tap_done();
}
