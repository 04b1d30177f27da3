/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * Mutant of chain.pml: the walk runs before the wait is published (gen
 * made odd only afterwards). Two threads closing one cycle can then both
 * miss each other's wait and both sleep: spin must find that cycle of
 * rt_mutex waiters.
 */
#define MUTATE_WALK_BEFORE_PUBLISH
#include "chain.pml"
