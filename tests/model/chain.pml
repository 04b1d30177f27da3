/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * A model of rtsync's wait path (module/chain.c) for the spin model
 * checker: threads that lock, unlock, time out or get signalled while
 * they wait, and die or exec (releasing what they hold), on a few
 * mutexes.
 *
 * What is modelled, step by step as chain.c does it: joining a mutex's
 * waiter count, publishing the wait (gen odd, checking), reading "up" of
 * the mutexes held, raising "up" along the walk, the walk's reads of
 * owners and records (each read one step, so any interleaving is
 * explored), the re-reads, the check of a path (two steps: the path's
 * leaving and checking states, then every link again, which with the
 * walk's reads is a double collect, a snapshot), waiting
 * for a leaving thread or for a higher-ranked thread's check, committing,
 * leaving. rt_mutex is modelled by its waiters (inrt) and its owner: a
 * waiter takes a free mutex, and a pending signal or timeout (leaving)
 * takes a waiter out. Memory is sequentially consistent: chain.c puts a
 * full barrier between each publish or raise and the reads that follow.
 *
 * The exit and exec probes release a dead owner's mutexes one by one,
 * as the UNLOCK steps do.
 *
 * Checked in every reachable state (the monitor):
 *   no_rt_cycle   no cycle of threads waiting in rt_mutex (rt_mutex would
 *                 WARN and hang the thread that closed it);
 *   chain_bound   no chain of rt_mutex waiters longer than MAXCHAIN edges
 *                 (rt_mutex's walk would pass max_lock_depth);
 * and where a LOCK returns EDEADLK for a cycle, that the cycle exists at
 * that moment among published waits of threads that are not leaving (no
 * false EDEADLK). spin also reports a state where nobody can move (the
 * protocol's own waits must end).
 *
 * Sizes: N threads (3) and 3 mutexes; MAXCHAIN (3: no chain of 3 threads
 * reaches it, so every cycle a walk meets ends as a cycle; with 2, the
 * "up" a cycle's first waiter raised already makes the closing walk too
 * long, and the cycle checks would go unexercised; 1: the chain bound is
 * exercised); OPS lock attempts per thread (2); RETRIES walks per LOCK
 * before it gives up (1; 2 with one leaver); LEAVERS, the threads that
 * may time out. tests/model/check.sh runs the combinations (30 to 110
 * million states each). Mutants (one
 * step removed) are chain_mut_*.pml.
 */

#ifndef N
#define N		3
#endif
#define NM		3
#ifndef MAXCHAIN
#define MAXCHAIN	3
#endif
#ifndef OPS
#define OPS		2
#endif
/*
 * Walks one LOCK may start over (a path that changed, a thread to wait
 * for) before it gives up, as a timed LOCK does when its deadline passes
 * meanwhile: more rounds repeat the same steps, and an unbounded number
 * makes the state space explode.
 */
#ifndef RETRIES
#define RETRIES		1
#endif
/*
 * The threads that time out or get signalled while they wait in rt_mutex
 * (a mask; others wait until they get the mutex): fewer leavers, fewer
 * states.
 */
#ifndef LEAVERS
#define LEAVERS		7
#endif
#define NONE		255
/* gen counts modulo GENS: wrapping only adds behaviours (a stale read that
 * looks current), so a model that passes with it passes without. */
#define GENS		8

#define WALK_END	0
#define WALK_CYCLE	1
#define WALK_LONG	2

byte owner[NM];		/* 0: free, else thread + 1 */
byte pub[NM];		/* published waiters: chain word's count */
byte up[NM];		/* chain word's "up" */
byte gen[N];		/* odd while a wait is published */
byte blk[N];		/* the mutex waited on; valid while gen is odd */
bool checking[N];
bool inrt[N];		/* waiting in rt_mutex on blk */
bool leaving[N];	/* a signal or timeout is ending its wait */

/* Thread a waits in rt_mutex for a mutex that thread b holds. */
#define E(a, b)		(inrt[a] && owner[blk[a]] == (b) + 1)

#define RT_CYCLE	((E(0, 1) && E(1, 0)) || (E(0, 2) && E(2, 0)) || \
			 (E(1, 2) && E(2, 1)) || \
			 (E(0, 1) && E(1, 2) && E(2, 0)) || \
			 (E(0, 2) && E(2, 1) && E(1, 0)))

#define PATH2(a, b, c)	(E(a, b) && E(b, c))
#define RT_LONG2	(PATH2(0, 1, 2) || PATH2(0, 2, 1) || PATH2(1, 0, 2) || \
			 PATH2(1, 2, 0) || PATH2(2, 0, 1) || PATH2(2, 1, 0))

#if MAXCHAIN == 1
#define CHAIN_OK	(!RT_LONG2)
#else
#define CHAIN_OK	true
#endif

active proctype monitor()
{
	assert(!RT_CYCLE);
	assert(CHAIN_OK)
}

/*
 * Stop waiting on m: gen even, then leave the waiter count. A pending
 * signal or timeout (leaving) lasts until the thread is back in user
 * space: it ends here.
 */
inline unpublish(t, m)
{
	gen[t] = (gen[t] + 1) % GENS;
	atomic {
		pub[m] = pub[m] - 1;
		if
		:: pub[m] == 0 -> up[m] = 0
		:: else
		fi;
		leaving[t] = false
	}
}

/*
 * The moment a check is about (the end of the walk, before the check's
 * reads): is there then a cycle from t's mutex m back to t through
 * published waits of threads that are not leaving? A ghost, read only by
 * the assertion in path_verdict().
 */
inline path_moment(t, m)
{
	genuine = true;
	x = owner[m];
	steps = 0;
	do
	:: x == t + 1 -> break
	:: x != t + 1 && steps < N && x != 0 &&
	   gen[x - 1] % 2 == 1 && !leaving[x - 1] ->
		x = owner[blk[x - 1]];
		steps++
	:: else -> genuine = false; break
	od;
	x = 0;
	steps = 0
}

/* On a cycle: a leaving thread to wait for, else a checking one above t. */
inline path_states()
{
	wfor = NONE;
	wcheck = false;
	if
	:: end == WALK_CYCLE ->
		i = 0;
		do
		:: i < plen ->
			if
			:: wfor == NONE && leaving[pt[i]] ->
				wfor = pt[i]; wgen = pg[i]; wcheck = false
			:: else
			fi;
			i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < plen && wfor == NONE ->
			if
			:: checking[pt[i]] && pt[i] > t ->
				wfor = pt[i]; wgen = pg[i]; wcheck = true
			:: else
			fi;
			i++
		:: else -> break
		od;
		i = 0
	:: else
	fi
}

/* Each thread of the path still in the wait the walk read, owning its link. */
inline path_again()
{
	ok = true;
	i = 0;
	do
	:: i < plen ->
		if
		:: gen[pt[i]] != pg[i] || owner[pm[i]] != pt[i] + 1 ->
			ok = false
		:: else
		fi;
		i++
	:: else -> break
	od;
	i = 0
}

/* No false EDEADLK: a cycle refused held at the moment of the check. */
inline path_verdict()
{
	if
	:: ok && end == WALK_CYCLE && wfor == NONE -> assert(genuine)
	:: else
	fi;
	genuine = false
}

proctype thread(byte t)
{
	byte ops, m, cur, nxt, o, g, clen, upw, i, end, plen, x, steps, tries;
	byte pt[N], pg[N], pm[N];	/* the path: task, its gen, mutex it holds */
	byte wfor, wgen;
	bool wcheck, ok, raised;
	bool genuine;	/* a ghost: see path_moment() */

	do
	:: ops < OPS ->
		ops++;
		/*
		 * LOCK of a mutex the thread does not hold. The first LOCK of
		 * thread t is of mutex t: runs that differ only by a renaming
		 * of the mutexes are left out (it may still find mutex t held,
		 * by another thread's second LOCK).
		 */
		if
		:: ops == 1 -> m = t
		:: ops > 1 && owner[0] != t + 1 -> m = 0
		:: ops > 1 && owner[1] != t + 1 -> m = 1
		:: ops > 1 && owner[2] != t + 1 -> m = 2
		fi;
		atomic {
			if
			:: owner[m] == 0 -> owner[m] = t + 1; goto done
			:: else
			fi
		}
		tries = 0;
retry:
		if
		:: tries == RETRIES -> goto done	/* gives up: ETIMEDOUT */
		:: else -> tries++
		fi;
		/*
		 * Publish: join, then the wait. blocked_on and checking are
		 * written before gen, which others read first (release and
		 * acquire in chain.c): one step.
		 */
		pub[m] = pub[m] + 1;
		atomic {
			blk[t] = m;
			checking[t] = true;
#ifndef MUTATE_WALK_BEFORE_PUBLISH
			gen[t] = (gen[t] + 1) % GENS
#endif
		}
		/*
		 * The longest chain ending here: "up" of what it holds. One
		 * step: each read only has to come after the publish (for each
		 * mutex a raiser either is seen here or sees the publish).
		 */
		d_step {
			upw = 0;
#ifndef MUTATE_NO_UP
			i = 0;
			do
			:: i < NM ->
				if
				:: owner[i] == t + 1 && up[i] > upw -> upw = up[i]
				:: else
				fi;
				i++
			:: else -> break
			od;
			i = 0;
#endif
			clen = upw + 1;
			plen = 0;
			end = WALK_END
		}
		if
		:: clen > MAXCHAIN -> end = WALK_LONG; goto check
		:: else
		fi;
		atomic {
			if
			:: pub[m] > 0 && up[m] < clen -> up[m] = clen
			:: else
			fi;
			cur = m
		}
walk:
		/* each step below is one read or one update of shared state */
		atomic {
			o = owner[cur];
			if
			:: o == 0 -> goto walked
			:: o == t + 1 -> end = WALK_CYCLE; goto check
			:: else
			fi
		}
		atomic {	/* rtsync_read_wait(): gen and blocked_on, consistent */
			g = gen[o - 1];
			nxt = blk[o - 1];
			if
			:: g % 2 == 0 -> goto walked
			:: else
			fi
		}
		atomic {
			if
			:: owner[cur] != o -> goto walk
			:: else
			fi
		}
		atomic {
			if
			:: owner[nxt] == o -> goto walked
			:: clen + 1 > MAXCHAIN -> end = WALK_LONG; goto check
			:: else
			fi
		}
		/* raise, then look again */
		atomic {
			if
			:: pub[nxt] > 0 ->
				raised = true;
#ifndef MUTATE_NO_RAISE
				if
				:: up[nxt] < clen + 1 -> up[nxt] = clen + 1
				:: else
				fi
#endif
			:: else -> raised = false
			fi
		}
		atomic {
			if
			:: !raised || gen[o - 1] != g -> goto walk
			:: else
			fi
		}
		d_step {
			pt[plen] = o - 1;
			pg[plen] = g;
			pm[plen] = cur;
			plen++;
			clen++;
			cur = nxt;
			raised = false;
			o = 0;
			g = 0;
			nxt = 0
		}
		goto walk;
check:
		skip;
		/*
		 * The check of the path (rtsync_path_check()), in two steps as
		 * chain.c reads it: first the leaving and checking state of the
		 * path's threads, then the path again (the double collect). A
		 * thread may leave its wait between the two.
		 */
#ifndef MUTATE_LEAVING_AFTER_GEN
		d_step {
			path_moment(t, m);
			path_states()
		}
		d_step {
			path_again();
			path_verdict()
		}
#else
		d_step {
			path_moment(t, m);
			path_again()
		}
		d_step {
			path_states();
			path_verdict()
		}
#endif
#ifdef MUTATE_WALK_BEFORE_PUBLISH
		gen[t] = (gen[t] + 1) % GENS;
#endif
		unpublish(t, m);
		if
		:: !ok -> goto retry
		:: ok && wfor != NONE ->
			/* wait for it to leave, or to end its check */
			(gen[wfor] != wgen || (wcheck && !checking[wfor]));
			goto retry
		:: else ->
			goto done	/* EDEADLK */
		fi;
walked:
#ifdef MUTATE_WALK_BEFORE_PUBLISH
		gen[t] = (gen[t] + 1) % GENS;
#endif
		checking[t] = false;
		inrt[t] = true;
		/* rt_mutex: take the mutex once free, or be taken out */
		if
		:: atomic { owner[m] == 0 -> owner[m] = t + 1; inrt[t] = false }
		:: (LEAVERS >> t) & 1 -> leaving[t] = true;
			inrt[t] = false
		fi;
		unpublish(t, m);
done:
		skip;
		/* forget the temporaries, so equal states compare equal */
		d_step {
			m = 0; cur = 0; nxt = 0; o = 0; g = 0; clen = 0; upw = 0;
			i = 0; end = 0; x = 0; steps = 0; wfor = 0; tries = 0;
			wgen = 0; wcheck = false; ok = false; raised = false;
			plen = 0; pt[0] = 0; pt[1] = 0; pt[2] = 0; pg[0] = 0;
			pg[1] = 0; pg[2] = 0; pm[0] = 0; pm[1] = 0; pm[2] = 0
		}
	/*
	 * UNLOCK. A thread that dies or execs holding mutexes has them
	 * released one by one by its exit or exec probe: these steps, taken
	 * one after the other, cover it.
	 */
	:: owner[0] == t + 1 -> owner[0] = 0
	:: owner[1] == t + 1 -> owner[1] = 0
	:: owner[2] == t + 1 -> owner[2] = 0
	:: ops >= OPS && owner[0] != t + 1 && owner[1] != t + 1 &&
	   owner[2] != t + 1 -> break
	od
}

init
{
	atomic {
		run thread(0);
		run thread(1);
		run thread(2)
	}
}
