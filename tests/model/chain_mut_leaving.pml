/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * Mutant of chain.pml: the check of a path reads the threads' waits again
 * before their leaving state. A thread can then leave its wait, and stop
 * being "leaving", between the two reads: the locker sees an unchanged
 * path of threads that are not leaving and refuses a cycle that, at the
 * moment of the check, ran through a leaving thread. spin must find that
 * false EDEADLK.
 */
#define MUTATE_LEAVING_AFTER_GEN
#include "chain.pml"
