/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * Mutant of chain.pml: a locker does not read "up" of the mutexes it
 * holds, so it counts only the chain ahead of it. A thread extending a
 * chain at its tail then forms a chain longer than the bound: spin must
 * find that chain of rt_mutex waiters (run with MAXCHAIN 1).
 */
#define MUTATE_NO_UP
#include "chain.pml"
