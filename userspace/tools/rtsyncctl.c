// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * rtsyncctl - list, create, inspect, use and remove rtsync objects from the
 * shell. This file holds the commands that work through librtsync; `list`
 * reads /proc/rtsync (list.c, proc.c), and `top` /proc/rtsync_stats (top.c,
 * proc_stats.c); `stat` and `top` show statistics as stats.c writes them.
 *
 * Exit status: 0 success, 1 failure, 2 usage error; `lock` exits with the
 * command's status. Errors go to stderr as "rtsyncctl: <what>: <reason>".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rtsync.h>

#include "rtsyncctl.h"

static const char usage_text[] =
"Usage: rtsyncctl COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  list [--json]                every named object, from /proc/rtsync, as a\n"
"                               table or as a JSON array\n"
"  version                      show the library's and the module's ABI\n"
"  create mutex NAME [--mode MODE] [--recursive]\n"
"                               create a mutex (fails if NAME exists)\n"
"  create sem NAME [--value N] [--max N] [--mode MODE]\n"
"                               create a semaphore with count N (default 0)\n"
"                               and maximum N (default 2147483647)\n"
"  create cond NAME [--mode MODE]\n"
"                               create a condition variable\n"
"  unlink NAME                  remove NAME; open users keep the object\n"
"  info NAME                    show the state of the named object\n"
"  stat [--json] NAME           show the statistics of the named object: how\n"
"                               often and how long it was waited for\n"
"  top [--once [--json]] [--interval SECONDS] [-n COUNT] [--all]\n"
"      [--sort wait|contended|max|timeouts]\n"
"                               the objects waited for most, from\n"
"                               /proc/rtsync_stats, refreshed every SECONDS\n"
"                               (default 1) until interrupted or COUNT\n"
"                               times; --once: one table of the totals\n"
"                               (--json: a JSON array); --all: also the\n"
"                               objects never waited for\n"
"  reset-stats NAME             zero the statistics of the named object\n"
"                               (its owner or creator, or CAP_SYS_ADMIN)\n"
"  post NAME [N]                add N (default 1) to semaphore NAME\n"
"  wait NAME                    take one unit of semaphore NAME, sleeping\n"
"                               while its count is 0\n"
"  lock NAME -- CMD [ARGS]      run CMD while holding mutex NAME; exit with\n"
"                               CMD's status (128+N if killed by signal N)\n"
"\n"
"MODE is octal permission bits (default 0600), masked by the umask.\n"
"\n"
"lock: if the mutex's previous owner died holding it, CMD runs with\n"
"RTSYNC_OWNER_DIED=1 in its environment and is expected to repair what\n"
"the mutex protects; the mutex is marked consistent only if CMD exits 0,\n"
"otherwise it becomes unrecoverable (unlink and create it again).\n"
"rtsyncctl ignores SIGINT and SIGQUIT while CMD runs, as system(3) does,\n"
"so an interrupted CMD still releases the mutex cleanly.\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n"
"See rtsyncctl(1) and rtsync(7).\n";

/* fail_hinted - report "<verb> <name>: <strerror(err)> (<hint>)" */
static int fail_hinted(const char *verb, const char *name, int err,
		       const char *hint)
{
	char what[RTSYNC_NAME_MAX + 64];
	struct stat st;

	/*
	 * The library reports a missing /dev/rtsync and a missing name both
	 * as ENOENT; say which one it is, since the fix differs.
	 */
	if (err == ENOENT && stat("/dev/rtsync", &st) < 0 && errno == ENOENT)
		return report_error("/dev/rtsync", err,
				    "is the rtsync module loaded?");
	snprintf(what, sizeof(what), "%s %s", verb, name);
	return report_error(what, err, hint);
}

/* fail - report a failed operation and return the exit status 1 */
static int fail(const char *verb, const char *name, int err)
{
	return fail_hinted(verb, name, err, NULL);
}

/*
 * fail_open - report a failed open of @name as a @type. All types share
 * one name space, and opening a name as another type is EINVAL: say so.
 */
static int fail_open(const char *verb, const char *name, int err,
		     const char *type)
{
	char hint[64];

	if (err != EINVAL)
		return fail(verb, name, err);
	snprintf(hint, sizeof(hint), "not a %s, or an invalid name", type);
	return fail_hinted(verb, name, err, hint);
}

/* parse_uint - whole-string decimal/octal number in [min, max] */
static int parse_uint(const char *s, int base, unsigned long min,
		      unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	uint32_t version;
	int err;

	(void)argv;
	if (argc != 1)
		return usage_error("version takes no arguments");
	printf("rtsyncctl %s, library ABI %u\n", RTSYNC_VERSION_STRING,
	       RTSYNC_ABI_VERSION);
	err = rtsync_version(&version);
	if (err)
		return fail("version of", "/dev/rtsync", err);
	printf("module ABI %u\n", version);
	return EXIT_SUCCESS;
}

static int cmd_create(int argc, char **argv)
{
	enum { OPT_MODE = 1, OPT_RECURSIVE, OPT_VALUE, OPT_MAX };
	static const struct option options[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "recursive", no_argument, NULL, OPT_RECURSIVE },
		{ "value", required_argument, NULL, OPT_VALUE },
		{ "max", required_argument, NULL, OPT_MAX },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int mode = 0600, value = 0, max = RTSYNC_SEM_VALUE_MAX;
	int recursive = 0, value_set = 0, max_set = 0;
	enum { MUTEX, SEM, COND } kind;
	const char *type, *name;
	int opt, fd;

	/* Options may follow NAME; getopt_long moves them to the front. */
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (opt) {
		case OPT_MODE:
			if (parse_uint(optarg, 8, 0, 0777, &mode))
				return usage_error("bad mode '%s' (octal, at most 0777)",
						   optarg);
			break;
		case OPT_RECURSIVE:
			recursive = 1;
			break;
		case OPT_VALUE:
			if (parse_uint(optarg, 10, 0, RTSYNC_SEM_VALUE_MAX,
				       &value))
				return usage_error("bad value '%s' (0..%u)",
						   optarg, RTSYNC_SEM_VALUE_MAX);
			value_set = 1;
			break;
		case OPT_MAX:
			if (parse_uint(optarg, 10, 1, RTSYNC_SEM_VALUE_MAX,
				       &max))
				return usage_error("bad max '%s' (1..%u)",
						   optarg, RTSYNC_SEM_VALUE_MAX);
			max_set = 1;
			break;
		case ':':
			return usage_error("create: option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("create: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage_error("usage: create mutex|sem|cond NAME [OPTIONS]");
	type = argv[optind];
	name = argv[optind + 1];

	if (!strcmp(type, "mutex"))
		kind = MUTEX;
	else if (!strcmp(type, "sem"))
		kind = SEM;
	else if (!strcmp(type, "cond"))
		kind = COND;
	else
		return usage_error("create: unknown type '%s' (mutex, sem or cond)",
				   type);

	if (kind != SEM && (value_set || max_set))
		return usage_error("--value and --max are for semaphores");
	if (kind != MUTEX && recursive)
		return usage_error("--recursive is for mutexes");
	if (value > max)
		return usage_error("value %u exceeds max %u", value, max);

	switch (kind) {
	case MUTEX:
		fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, mode,
				       recursive ? RTSYNC_RECURSIVE : 0);
		break;
	case SEM:
		fd = rtsync_sem_open(name, O_CREAT | O_EXCL, mode, value, max);
		break;
	default:
		fd = rtsync_cond_open(name, O_CREAT | O_EXCL, mode);
		break;
	}
	if (fd < 0) {
		char verb[16];

		snprintf(verb, sizeof(verb), "create %s", type);
		return fail(verb, name, errno);
	}
	rtsync_close(fd);
	return EXIT_SUCCESS;
}

static int cmd_unlink(int argc, char **argv)
{
	int err;

	if (argc != 2)
		return usage_error("usage: unlink NAME");
	err = rtsync_unlink(argv[1]);
	if (err)
		return fail("unlink", argv[1], err);
	return EXIT_SUCCESS;
}

/*
 * open_sem - open an existing semaphore. Value and max are ignored for an
 * existing object; valid ones are passed all the same.
 */
static int open_sem(const char *name)
{
	return rtsync_sem_open(name, 0, 0, 0, RTSYNC_SEM_VALUE_MAX);
}

/* The type of an object open_any() opened, as /proc/rtsync names it. */
static const char *const type_words[] = { "mutex", "sem", "cond" };

enum object_type { OBJ_MUTEX, OBJ_SEM, OBJ_COND };

/*
 * open_any - open the existing object @name, whatever its type. One name
 * space for all types: opening a name as the wrong type is EINVAL, so try
 * each in turn. Returns the fd, or -1 with errno set.
 */
static int open_any(const char *name, enum object_type *type)
{
	int fd;

	*type = OBJ_MUTEX;
	fd = rtsync_mutex_open(name, 0, 0, 0);
	if (fd >= 0 || errno != EINVAL)
		return fd;
	*type = OBJ_SEM;
	fd = open_sem(name);
	if (fd >= 0 || errno != EINVAL)
		return fd;
	*type = OBJ_COND;
	return rtsync_cond_open(name, 0, 0);
}

static void print_flags(const char *type, unsigned int flags)
{
	const char *names[FLAG_NAMES_MAX];
	unsigned int i, n;
	char rest[16];

	printf("%-11s", "flags:");
	n = flag_names(type, flags, names, rest);
	if (!n)
		fputs("-", stdout);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", names[i]);
	putchar('\n');
}

static int print_mutex(int fd, const char *name)
{
	struct rtsync_mutex_status st;
	int err;

	err = rtsync_mutex_info(fd, &st);
	if (err)
		return fail("info", name, err);
	printf("%-11s%s\n", "name:", st.name);
	printf("%-11s%s\n", "type:", "mutex");
	if (st.owner_tid)
		printf("%-11spid %d, tid %d\n", "owner:", (int)st.owner_pid,
		       (int)st.owner_tid);
	else
		printf("%-11s%s\n", "owner:", "none");
	printf("%-11s%u\n", "waiters:", st.waiters);
	printf("%-11s%u\n", "recursion:", st.recursion);
	print_flags("mutex", st.flags);
	return EXIT_SUCCESS;
}

static int print_sem(int fd, const char *name)
{
	struct rtsync_sem_status st;
	int err;

	err = rtsync_sem_info(fd, &st);
	if (err)
		return fail("info", name, err);
	printf("%-11s%s\n", "name:", st.name);
	printf("%-11s%s\n", "type:", "semaphore");
	printf("%-11s%u\n", "value:", st.value);
	printf("%-11s%u\n", "max:", st.max);
	printf("%-11s%u\n", "waiters:", st.waiters);
	print_flags("sem", st.flags);
	return EXIT_SUCCESS;
}

static int print_cond(int fd, const char *name)
{
	struct rtsync_cond_status st;
	int err;

	err = rtsync_cond_info(fd, &st);
	if (err)
		return fail("info", name, err);
	printf("%-11s%s\n", "name:", st.name);
	printf("%-11s%s\n", "type:", "condition variable");
	printf("%-11s%u\n", "waiters:", st.waiters);
	print_flags("cond", st.flags);
	return EXIT_SUCCESS;
}

static int cmd_info(int argc, char **argv)
{
	enum object_type type;
	const char *name;
	int fd, ret;

	if (argc != 2)
		return usage_error("usage: info NAME");
	name = argv[1];

	fd = open_any(name, &type);
	if (fd < 0)
		return fail("info", name, errno);
	switch (type) {
	case OBJ_MUTEX:
		ret = print_mutex(fd, name);
		break;
	case OBJ_SEM:
		ret = print_sem(fd, name);
		break;
	default:
		ret = print_cond(fd, name);
		break;
	}
	rtsync_close(fd);
	return ret;
}

static int cmd_stat(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct rtsync_stats st;
	enum object_type type;
	int json = 0, opt, fd, err;
	const char *name;

	/* --json may follow NAME; getopt_long moves it to the front. */
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (opt != 'j')
			return usage_error("stat: unknown option '%s'",
					   argv[optind - 1]);
		json = 1;
	}
	if (argc - optind != 1)
		return usage_error("usage: stat [--json] NAME");
	name = argv[optind];

	fd = open_any(name, &type);
	if (fd < 0)
		return fail("stat", name, errno);
	err = rtsync_stats(fd, &st);
	rtsync_close(fd);
	if (err)
		return fail("stat", name, err);
	if (json) {
		stats_write_json(stdout, type_words[type], name, &st, 1);
		putchar('\n');
	} else {
		stats_write_text(stdout, type_words[type], name, &st);
	}
	return EXIT_SUCCESS;
}

static int cmd_reset_stats(int argc, char **argv)
{
	enum object_type type;
	const char *name;
	int fd, err;

	if (argc != 2)
		return usage_error("usage: reset-stats NAME");
	name = argv[1];

	fd = open_any(name, &type);
	if (fd < 0)
		return fail("reset-stats", name, errno);
	err = rtsync_stats_reset(fd);
	rtsync_close(fd);
	if (err == EPERM)
		return fail_hinted("reset-stats", name, err,
				   "only its owner or creator, or CAP_SYS_ADMIN, may reset its statistics");
	if (err)
		return fail("reset-stats", name, err);
	return EXIT_SUCCESS;
}

static int cmd_post(int argc, char **argv)
{
	unsigned int n = 1;
	int fd, err;

	if (argc != 2 && argc != 3)
		return usage_error("usage: post NAME [N]");
	if (argc == 3 &&
	    parse_uint(argv[2], 10, 1, RTSYNC_SEM_VALUE_MAX, &n))
		return usage_error("bad count '%s' (1..%u)", argv[2],
				   RTSYNC_SEM_VALUE_MAX);

	fd = open_sem(argv[1]);
	if (fd < 0)
		return fail_open("post", argv[1], errno, "semaphore");
	err = rtsync_sem_post(fd, n, NULL);
	rtsync_close(fd);
	if (err)
		return fail("post", argv[1], err);
	return EXIT_SUCCESS;
}

static int cmd_wait(int argc, char **argv)
{
	int fd, err;

	if (argc != 2)
		return usage_error("usage: wait NAME");
	fd = open_sem(argv[1]);
	if (fd < 0)
		return fail_open("wait", argv[1], errno, "semaphore");
	err = rtsync_sem_wait(fd);
	rtsync_close(fd);
	if (err)
		return fail("wait", argv[1], err);
	return EXIT_SUCCESS;
}

/*
 * run_command - fork/exec @cmd and return the status to exit with.
 * Returns -1 (after reporting) if no child could be started.
 */
static int run_command(char **cmd, int owner_died)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN };
	struct sigaction old_int, old_quit;
	int status, ret;
	pid_t pid;

	/*
	 * Like system(3): ^C and ^\ reach CMD, and this process lives on to
	 * unlock. Dying here instead would hand the next locker EOWNERDEAD.
	 */
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		if (owner_died)
			setenv("RTSYNC_OWNER_DIED", "1", 1);
		execvp(cmd[0], cmd);
		ret = errno;
		fprintf(stderr, "rtsyncctl: %s: %s\n", cmd[0], strerror(ret));
		/* The shell's conventions: 127 not found, 126 not runnable. */
		_exit(ret == ENOENT ? 127 : 126);
	}
	if (pid < 0) {
		ret = errno;
		fprintf(stderr, "rtsyncctl: fork: %s\n", strerror(ret));
		ret = -1;
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status))
			ret = WEXITSTATUS(status);
		else
			ret = 128 + WTERMSIG(status);
	}

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return ret;
}

static int cmd_lock(int argc, char **argv)
{
	const char *name;
	int owner_died, status, err, fd;
	char **cmd;

	if (argc >= 3 && !strcmp(argv[2], "--"))
		cmd = argv + 3;
	else
		cmd = argv + 2;
	if (argc < 2 || !*cmd)
		return usage_error("usage: lock NAME -- CMD [ARGS]");
	name = argv[1];

	fd = rtsync_mutex_open(name, 0, 0, 0);
	if (fd < 0)
		return fail_open("lock", name, errno, "mutex");
	err = rtsync_mutex_lock(fd);
	owner_died = err == EOWNERDEAD;
	if (err && !owner_died) {
		rtsync_close(fd);
		return fail("lock", name, err);
	}
	if (owner_died)
		fprintf(stderr,
			"rtsyncctl: lock %s: previous owner died holding it; running %s with RTSYNC_OWNER_DIED=1\n",
			name, cmd[0]);

	status = run_command(cmd, owner_died);
	if (owner_died && status == 0) {
		err = rtsync_mutex_consistent(fd);
		if (err)
			status = fail("mark consistent", name, err);
	}

	err = rtsync_mutex_unlock(fd);
	rtsync_close(fd);
	if (err)
		return fail("unlock", name, err);
	return status < 0 ? EXIT_FAILURE : status;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "list", cmd_list },
	{ "version", cmd_version },
	{ "create", cmd_create },
	{ "unlink", cmd_unlink },
	{ "info", cmd_info },
	{ "stat", cmd_stat },
	{ "top", cmd_top },
	{ "reset-stats", cmd_reset_stats },
	{ "post", cmd_post },
	{ "wait", cmd_wait },
	{ "lock", cmd_lock },
};

static int is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/*
 * finish - exit status after checking that stdout really got everything:
 * a full disk or a closed pipe must not look like success.
 */
static int finish(int status)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "rtsyncctl: standard output: %s\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	return status;
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc < 2)
		return usage_error("no command given");
	/* "rtsyncctl help", "rtsyncctl --help", "rtsyncctl COMMAND --help" */
	if (!strcmp(argv[1], "help") || is_help(argv[1]) ||
	    (argc == 3 && is_help(argv[2]))) {
		fputs(usage_text, stdout);
		return finish(EXIT_SUCCESS);
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return finish(commands[i].run(argc - 1, argv + 1));
	return usage_error("unknown command '%s'", argv[1]);
}
