/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A test program that fails exactly one check, between a passing and a
 * skipped one: the harness must report one failure, one pass, one skip.
 */
#include "tap.h"

int main(void)
{
	ok(1, "a check that passes");
	if (!ok(0, "a check that fails"))
		diag("expected 1, got 0 (deliberately)");
	skip("nothing to test", "a check that is skipped");
	return tap_done();
}
