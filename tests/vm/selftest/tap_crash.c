/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A test program that passes a check and then crashes before printing its
 * plan: the harness must fail it although no check said "not ok".
 */
#include <stdlib.h>

#include "tap.h"

int main(void)
{
	ok(1, "a check before the crash");
	abort();
}
