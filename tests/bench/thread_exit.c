// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Cost of rtsync's thread-exit hook, which runs in every exiting thread of
 * the system: the time to create and join a thread that does nothing
 *  - with the module loaded and nothing held anywhere,
 *  - with 10k rtsync mutexes held by 100 other threads (100 each),
 *  - with the module not loaded at all.
 * The three conditions alternate within each repetition (in a rotating
 * order): this program unloads and reloads rtsync.ko itself between them,
 * as rmmod and insmod would, which works only while no rtsync object
 * exists. Each condition is measured in a fresh child process pinned to
 * one CPU; the parent never opens /dev/rtsync, which would pin the module.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <sys/syscall.h>

#define REPS		7
#define HOLDERS		100
#define PER_HOLDER	100		/* mutexes each holder keeps locked */
#define MODULE_NAME	"rtsync"
#define MODULE_PATH	"/rtsync/rtsync.ko"	/* where make bench puts it */
#define UNLOAD_WAIT_NS	(10 * 1000000000LL)	/* deferred frees finish */
#define SETTLE_US	100000	/* after (un)loading: RCU callbacks, kworkers */

enum phase { NONE_HELD, HELD, UNLOADED, NR_PHASES };

struct shared {
	double ns_per_thread;
	long errors;
};

static struct shared *sh;
static long threads_per_run;

/* The holders of the HELD phase. */
static int held_fd[HOLDERS * PER_HOLDER];
static pthread_barrier_t all_locked, release;

static void count_errors(long n)
{
	__atomic_add_fetch(&sh->errors, n, __ATOMIC_SEQ_CST);
}

static void *noop(void *arg)
{
	return arg;
}

static void *holder(void *arg)
{
	long first = (long)(intptr_t)arg * PER_HOLDER, i, errors = 0;

	pin_cpu(CPU_B);
	for (i = first; i < first + PER_HOLDER; i++)
		errors += rtsync_mutex_lock(held_fd[i]) != 0;
	pthread_barrier_wait(&all_locked);
	pthread_barrier_wait(&release);
	for (i = first; i < first + PER_HOLDER; i++)
		errors += rtsync_mutex_unlock(held_fd[i]) != 0;
	count_errors(errors);
	return NULL;
}

/* Open HOLDERS x PER_HOLDER mutexes (names removed at once: the fds keep
 * them) and start the holders; returns when all are locked.
 */
static void start_holders(pthread_t *t)
{
	char name[64];
	long i;

	raise_nofile(HOLDERS * PER_HOLDER + 256);
	for (i = 0; i < HOLDERS * PER_HOLDER; i++) {
		held_fd[i] = rtsync_mutex_open(bench_name(name, sizeof(name), "exit", i),
					       O_CREAT | O_EXCL, 0600, 0);
		if (held_fd[i] < 0)
			bail("rtsync_mutex_open(%s)", name);
		if (rtsync_unlink(name))
			bail("rtsync_unlink(%s)", name);
	}
	pthread_barrier_init(&all_locked, NULL, HOLDERS + 1);
	pthread_barrier_init(&release, NULL, HOLDERS + 1);
	for (i = 0; i < HOLDERS; i++)
		if ((errno = pthread_create(&t[i], NULL, holder, (void *)(intptr_t)i)))
			bail("pthread_create (holder)");
	pthread_barrier_wait(&all_locked);
}

static void stop_holders(pthread_t *t)
{
	long i;

	pthread_barrier_wait(&release);
	for (i = 0; i < HOLDERS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < HOLDERS * PER_HOLDER; i++)
		close(held_fd[i]);
}

/* The measuring child: ns per thread create + exit + join. */
static int measure(void *arg)
{
	enum phase phase = (enum phase)(intptr_t)arg;
	pthread_t holders[HOLDERS], t;
	long i, errors = 0;
	int64_t start;

	pin_cpu(CPU_A);
	if (phase == HELD)
		start_holders(holders);
	start = now_ns();
	for (i = 0; i < threads_per_run; i++) {
		if (pthread_create(&t, NULL, noop, NULL)) {
			errors++;
			continue;
		}
		errors += pthread_join(t, NULL) != 0;
	}
	sh->ns_per_thread = (double)(now_ns() - start) / threads_per_run;
	if (phase == HELD)
		stop_holders(holders);
	count_errors(errors);
	return 0;
}

/* unload - rmmod rtsync; waits while deferred frees still pin it */
static int unload(void)
{
	int64_t end = now_ns() + UNLOAD_WAIT_NS;

	while (syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK)) {
		if ((errno != EWOULDBLOCK && errno != EBUSY) || now_ns() > end) {
			diag("delete_module(%s): %s", MODULE_NAME, strerror(errno));
			return 0;
		}
		sleep_us(10000);
	}
	return 1;
}

/* load - insmod MODULE_PATH */
static int load(void)
{
	int fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0) {
		diag("open %s: %s", MODULE_PATH, strerror(errno));
		return 0;
	}
	ret = syscall(SYS_finit_module, fd, "", 0);
	if (ret)
		diag("finit_module(%s): %s", MODULE_PATH, strerror(errno));
	close(fd);
	return ret == 0;
}

int main(void)
{
	static const char *const phase_name[NR_PHASES] = {
		[NONE_HELD] = "module loaded, none held",
		[HELD]	    = "10k mutexes held by 100 other threads",
		[UNLOADED]  = "module not loaded",
	};
	struct samples s[NR_PHASES] = { 0 };
	int children_ok = 1, module_ok = 1, can_unload, nphases, rep, i;
	char runs[64];

	sh = shared_mem(sizeof(*sh));
	threads_per_run = scaled(2000, 100);
	if (access("/dev/rtsync", F_OK))
		bail("rtsync is not loaded (/dev/rtsync missing)");
	can_unload = geteuid() == 0 && !access(MODULE_PATH, R_OK);
	nphases = can_unload ? NR_PHASES : UNLOADED;

	diag("thread exit: %d reps x %ld thread create+exit per condition, %d conditions%s",
		 REPS, threads_per_run, nphases,
		 can_unload ? " (unloads and reloads rtsync.ko)" : "");
	for (rep = 0; rep < REPS && module_ok; rep++) {
		for (i = 0; i < nphases && module_ok; i++) {
			enum phase phase = (rep + i) % nphases;

			if (phase == UNLOADED && !(module_ok = unload()))
				break;
			/* Work the previous phase left behind (frees, the
			 * module's own unload or load) must not land here.
			 */
			sleep_us(SETTLE_US);
			children_ok &= reap(spawn(measure, (void *)(intptr_t)phase));
			if (phase == UNLOADED && !(module_ok = load()))
				break;
			add_sample(&s[phase], sh->ns_per_thread);
		}
		diag("thread exit: rep %d/%d done", rep + 1, REPS);
	}
	ok(children_ok && sh->errors == 0,
	   "thread exit: every thread, lock and unlock succeeded (%ld failed)",
	   sh->errors);
	if (can_unload)
		ok(module_ok && !access("/dev/rtsync", F_OK),
		   "thread exit: rtsync unloaded and loaded again between conditions");
	else
		skip("not root or no " MODULE_PATH,
		     "thread exit: rtsync unloaded and loaded again between conditions");

	snprintf(runs, sizeof(runs), "%d reps x %ld threads", REPS, threads_per_run);
	row_paired("8", "thread create+exit, 10k mutexes held by 100 other threads",
		   &s[HELD], phase_name[NONE_HELD], &s[NONE_HELD], "ns", "<=1.1",
		   runs);
	if (can_unload && module_ok) {
		row_paired("8", "thread create+exit, module loaded, none held",
			   &s[NONE_HELD], phase_name[UNLOADED], &s[UNLOADED], "ns",
			   "-", runs);
		row_paired("8", "thread create+exit, 10k mutexes held by 100 other threads",
			   &s[HELD], phase_name[UNLOADED], &s[UNLOADED], "ns", "-",
			   runs);
	}
	return tap_done();
}
