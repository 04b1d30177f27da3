// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * rtsyncctl, the command-line tool, run as a program against the loaded
 * module: usage errors exit 2, failures exit 1 with "rtsyncctl: <what>:
 * <reason>" on stderr, and list (table and JSON, names with blanks,
 * backslashes and quotes), create, info, post, wait, unlink and lock -- CMD
 * do what they say, checked through librtsync and /proc/rtsync; stat,
 * top and reset-stats show and reset the counts of a scripted contention
 * (reset-stats refused to another uid).
 *
 * The tool is the static build (userspace/tools: make rtsyncctl-static),
 * expected at /rtsync/tests/rtsyncctl in the guest; RTSYNCCTL in the
 * environment names another path.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "tap.h"
#include "helpers.h"

#define DEFAULT_TOOL	"/rtsync/tests/rtsyncctl"
#define RUN_TIMEOUT_S	30
#define OUTPUT_MAX	16384

static const char *tool;

/* One run of the tool: its exit code (wait_child) and what it printed. */
struct run {
	pid_t pid;
	FILE *out, *err;
	int code;
	char stdout_text[OUTPUT_MAX];
	char stderr_text[OUTPUT_MAX];
};

/* ---- running the tool ---- */

/* The uid that spawn_as() runs the tool as, with no capabilities. */
#define NOBODY	65534

/*
 * spawn_as - start the tool with the NULL-terminated @args, as @uid (and
 * gid) unless it is -1; it runs on
 */
static void spawn_as(struct run *r, uid_t uid, const char *const args[])
{
	const char *argv[32];
	unsigned int n = 0;

	argv[n++] = "rtsyncctl";
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;

	r->out = tmpfile();
	r->err = tmpfile();
	if (!r->out || !r->err)
		bail_out("tmpfile");
	r->pid = tap_fork();
	if (r->pid < 0)
		bail_out("fork");
	if (r->pid == 0) {
		dup2(fileno(r->out), STDOUT_FILENO);
		dup2(fileno(r->err), STDERR_FILENO);
		if (uid != (uid_t)-1 &&
		    (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		/* top is stopped by these: not ignored, whatever we inherited. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(tool, (char **)argv);
		_exit(127);
	}
}

/* spawn - start the tool with the NULL-terminated @args; it runs on */
static void spawn(struct run *r, const char *const args[])
{
	spawn_as(r, (uid_t)-1, args);
}

static void slurp(FILE *f, char *buf)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, OUTPUT_MAX - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* reap - wait for a spawned run (killing it after RUN_TIMEOUT_S) */
static int reap(struct run *r)
{
	r->code = wait_child(r->pid, RUN_TIMEOUT_S);
	slurp(r->out, r->stdout_text);
	slurp(r->err, r->stderr_text);
	return r->code;
}

/* run - the tool with the arguments given, to the end */
#define run(r, ...) run_args((r), (const char *const[]){ __VA_ARGS__, NULL })

static int run_args(struct run *r, const char *const args[])
{
	spawn(r, args);
	return reap(r);
}

/* show - the run's output as TAP comments, after a failed check */
static void show(const struct run *r)
{
	char exit_text[80];

	if (r->code >= 0)
		snprintf(exit_text, sizeof(exit_text), "exit %d", r->code);
	else
		describe_exit(r->code, exit_text, sizeof(exit_text));
	diag("rtsyncctl %s; stdout:\n%s\n# stderr:\n%s", exit_text,
	     r->stdout_text, r->stderr_text);
}

/* one_line - @text with newlines as "\\n", for a TAP description */
static const char *one_line(const char *text, char *buf, size_t size)
{
	size_t n = 0;

	for (; *text && n + 3 < size; text++) {
		if (*text == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else {
			buf[n++] = *text;
		}
	}
	buf[n] = '\0';
	return buf;
}

/* expect - check a run's exit code and that @want_out is in its stdout */
static int expect(const struct run *r, int code, const char *want_out,
		  const char *what)
{
	int good = r->code == code &&
		   (!want_out || strstr(r->stdout_text, want_out));
	char shown[128];

	if (!ok(good, "%s: exit %d%s%s%s", what, code,
		want_out ? ", prints '" : "",
		want_out ? one_line(want_out, shown, sizeof(shown)) : "",
		want_out ? "'" : ""))
		show(r);
	return good;
}

/*
 * expect_error - a failed run: exit @code, nothing on stdout, and one
 * stderr line starting "rtsyncctl: " that contains @want_err.
 */
static int expect_error(const struct run *r, int code, const char *want_err,
			const char *what)
{
	const char *nl = strchr(r->stderr_text, '\n');
	int good = r->code == code && !r->stdout_text[0] &&
		   !strncmp(r->stderr_text, "rtsyncctl: ", 11) &&
		   strstr(r->stderr_text, want_err) && nl;

	/* Usage errors add one "Try 'rtsyncctl --help'." line. */
	if (good && code != 2)
		good = nl[1] == '\0';
	if (!ok(good, "%s: exit %d, stderr 'rtsyncctl: ...%s...'", what, code,
		want_err))
		show(r);
	return good;
}

/* line_with - the line of @text that contains @needle, or "" */
static const char *line_with(const char *text, const char *needle)
{
	static char line[OUTPUT_MAX];
	const char *hit = strstr(text, needle), *start, *end;

	if (!hit)
		return "";
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = strchrnul(hit, '\n');
	snprintf(line, sizeof(line), "%.*s", (int)(end - start), start);
	return line;
}

/*
 * table_field - word @index (0 = TYPE) of a table line, or "" when the
 * line is shorter. A line may not be longer than OUTPUT_MAX.
 */
static const char *table_field(const char *line, int index)
{
	static char copy[OUTPUT_MAX];
	char *save = NULL, *word;
	int i;

	snprintf(copy, sizeof(copy), "%s", line);
	for (i = 0, word = strtok_r(copy, " ", &save); word && i < index;
	     i++, word = strtok_r(NULL, " ", &save))
		;
	return word ? word : "";
}

/* has_all - @line contains every NULL-terminated string that follows */
static int has_all(const char *line, ...)
{
	const char *want;
	va_list ap;
	int good = 1;

	va_start(ap, line);
	while ((want = va_arg(ap, const char *)))
		if (!strstr(line, want)) {
			diag("missing '%s' in: %s", want, line);
			good = 0;
		}
	va_end(ap);
	return good;
}

/* sem_value - the count of semaphore @name, or -1 with errno set */
static int sem_value(const char *name)
{
	struct rtsync_sem_status st;
	int fd, err;

	fd = rtsync_sem_open(name, 0, 0, 0, 1);
	if (fd < 0)
		return -1;
	err = rtsync_sem_info(fd, &st);
	close(fd);
	if (err) {
		errno = err;
		return -1;
	}
	return (int)st.value;
}

/* sem_value_err - 0 if @name opens as a semaphore, else the errno */
static int sem_value_err(const char *name)
{
	int err = sem_value(name) < 0 ? errno : 0;

	return err;
}

/* waiters_soon - wait up to 10 s until @get(fd) reports @n waiters */
static int waiters_soon(int fd, int is_sem, unsigned int n)
{
	struct rtsync_mutex_status ms;
	struct rtsync_sem_status ss;
	int i;

	for (i = 0; i < 1000; i++) {
		if (is_sem ? !rtsync_sem_info(fd, &ss) && ss.waiters == n :
			     !rtsync_mutex_info(fd, &ms) && ms.waiters == n)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

/* ---- the checks ---- */

static void test_usage(void)
{
	char name[64];
	struct run r;

	test_name(name, sizeof(name), "cli-usage");

	run(&r, "--help");
	expect(&r, 0, "Usage: rtsyncctl COMMAND", "--help");
	ok(strstr(r.stdout_text, "list [--json]") && !r.stderr_text[0],
	   "--help lists the list command, stderr empty");
	run(&r, "info", "--help");
	expect(&r, 0, "Usage: rtsyncctl COMMAND", "COMMAND --help");

	run_args(&r, (const char *const[]){ NULL });
	expect_error(&r, 2, "no command given", "no command");
	run(&r, "frobnicate");
	expect_error(&r, 2, "unknown command 'frobnicate'", "unknown command");
	run(&r, "create", "queue", name);
	expect_error(&r, 2, "unknown type 'queue'", "create with a bad type");
	run(&r, "create", "sem", name, "--value", "3", "--max", "2");
	expect_error(&r, 2, "value 3 exceeds max 2", "create sem value > max");
	is_errno(sem_value_err(name), ENOENT,
		 "a refused create creates nothing: opening it");
	run(&r, "create", "mutex", name, "--mode", "0999");
	expect_error(&r, 2, "bad mode '0999'", "create with a bad mode");
	run(&r, "create", "mutex", name, "--value", "1");
	expect_error(&r, 2, "--value and --max are for semaphores",
		     "create mutex --value");
	run(&r, "create", "mutex");
	expect_error(&r, 2, "usage: create", "create without a name");
	run(&r, "info");
	expect_error(&r, 2, "usage: info NAME", "info without a name");
	run(&r, "unlink", "a", "b");
	expect_error(&r, 2, "usage: unlink NAME", "unlink with two names");
	run(&r, "post", name, "0");
	expect_error(&r, 2, "bad count '0'", "post 0");
	run(&r, "post", name, "many");
	expect_error(&r, 2, "bad count 'many'", "post with a bad count");
	run(&r, "wait");
	expect_error(&r, 2, "usage: wait NAME", "wait without a name");
	run(&r, "lock", name);
	expect_error(&r, 2, "usage: lock NAME -- CMD", "lock without CMD");
	run(&r, "list", "extra");
	expect_error(&r, 2, "usage: list [--json]", "list with an argument");
	run(&r, "list", "--yaml");
	expect_error(&r, 2, "unknown option '--yaml'", "list with a bad option");

	run(&r, "--help");
	ok(strstr(r.stdout_text, "\n  stat [--json] NAME") &&
	   strstr(r.stdout_text, "\n  top [--once [--json]]") &&
	   strstr(r.stdout_text, "\n  reset-stats NAME"),
	   "--help lists stat, top and reset-stats");
	run(&r, "stat");
	expect_error(&r, 2, "usage: stat [--json] NAME", "stat without a name");
	run(&r, "stat", "a", "b");
	expect_error(&r, 2, "usage: stat [--json] NAME", "stat with two names");
	run(&r, "stat", "--yaml", name);
	expect_error(&r, 2, "stat: unknown option '--yaml'",
		     "stat with a bad option");
	run(&r, "reset-stats");
	expect_error(&r, 2, "usage: reset-stats NAME",
		     "reset-stats without a name");
	run(&r, "reset-stats", "a", "b");
	expect_error(&r, 2, "usage: reset-stats NAME",
		     "reset-stats with two names");
	run(&r, "top", "extra");
	expect_error(&r, 2, "usage: top [--once", "top with an argument");
	run(&r, "top", "--sort", "name");
	expect_error(&r, 2, "bad sort key 'name'", "top --sort with a bad key");
	run(&r, "top", "--interval", "0");
	expect_error(&r, 2, "bad interval '0'", "top --interval 0");
	run(&r, "top", "--interval", "soon");
	expect_error(&r, 2, "bad interval 'soon'", "top --interval soon");
	run(&r, "top", "--interval");
	expect_error(&r, 2, "option '--interval' needs a value",
		     "top --interval without a value");
	run(&r, "top", "-n", "0");
	expect_error(&r, 2, "bad count '0'", "top -n 0");
	run(&r, "top", "--json");
	expect_error(&r, 2, "--json needs --once", "top --json without --once");
	run(&r, "top", "--once", "-n", "2");
	expect_error(&r, 2, "--once takes no --interval or -n",
		     "top --once -n 2");
	run(&r, "top", "--color");
	expect_error(&r, 2, "top: unknown option '--color'",
		     "top with a bad option");
}

static void test_missing(void)
{
	char name[64], want[128], marker[80];
	struct stat st;
	struct run r;

	test_name(name, sizeof(name), "cli-missing");
	snprintf(want, sizeof(want), "info %s: %s", name, strerror(ENOENT));

	run(&r, "info", name);
	expect_error(&r, 1, want, "info of a missing name");
	run(&r, "unlink", name);
	expect_error(&r, 1, strerror(ENOENT), "unlink of a missing name");
	run(&r, "post", name);
	expect_error(&r, 1, strerror(ENOENT), "post to a missing name");
	run(&r, "wait", name);
	expect_error(&r, 1, strerror(ENOENT), "wait on a missing name");
	run(&r, "stat", name);
	expect_error(&r, 1, strf("stat %s: %s", name, strerror(ENOENT)),
		     "stat of a missing name");
	run(&r, "stat", "--json", name);
	expect_error(&r, 1, strerror(ENOENT), "stat --json of a missing name");
	run(&r, "reset-stats", name);
	expect_error(&r, 1, strf("reset-stats %s: %s", name, strerror(ENOENT)),
		     "reset-stats of a missing name");

	snprintf(marker, sizeof(marker), "/tmp/cli-marker-%d", (int)getpid());
	run(&r, "lock", name, "--", "/bin/touch", marker);
	expect_error(&r, 1, strerror(ENOENT), "lock of a missing name");
	ok(stat(marker, &st) < 0 && errno == ENOENT,
	   "lock of a missing name did not run CMD");
	unlink(marker);
}

static void test_semaphore(void)
{
	struct rtsync_sem_status st;
	char name[64], mname[64];
	struct run r, waiter;
	int fd, err;

	test_name(name, sizeof(name), "cli-sem");

	run(&r, "create", "sem", name, "--value", "2", "--max", "5", "--mode",
	    "0640");
	expect(&r, 0, NULL, "create sem --value 2 --max 5 --mode 0640");
	fd = rtsync_sem_open(name, 0, 0, 0, 1);
	if (!ok(fd >= 0, "the semaphore exists for librtsync"))
		return;
	memset(&st, 0, sizeof(st));
	err = rtsync_sem_info(fd, &st);
	ok(!err && st.value == 2 && st.max == 5,
	   "created with value 2, max 5 (got %s, %u, %u)", strerror(err),
	   st.value, st.max);

	run(&r, "create", "sem", name);
	expect_error(&r, 1, strerror(EEXIST), "create of an existing name");

	run(&r, "info", name);
	if (expect(&r, 0, "type:      semaphore", "info of a semaphore"))
		ok(has_all(r.stdout_text, strf("name:      %s\n", name),
			   "value:     2\n", "max:       5\n",
			   "waiters:   0\n", "flags:     -\n", NULL),
		   "info shows name, value, max, waiters and flags");

	run(&r, "post", name, "3");
	expect(&r, 0, NULL, "post NAME 3");
	ok(sem_value(name) == 5, "post 3 made the count 5");
	run(&r, "post", name);
	expect_error(&r, 1, strerror(EOVERFLOW), "post beyond the maximum");
	ok(sem_value(name) == 5, "the refused post changed nothing");

	run(&r, "wait", name);
	expect(&r, 0, NULL, "wait with a count of 5");
	ok(sem_value(name) == 4, "wait took one unit");

	/* A wait at count 0 sleeps until someone posts. */
	while (!rtsync_sem_trywait(fd))
		;
	spawn(&waiter, (const char *const[]){ "wait", name, NULL });
	ok(waiters_soon(fd, 1, 1), "wait at count 0 sleeps in the semaphore");
	ok(!rtsync_sem_post(fd, 1, NULL), "post from librtsync");
	reap(&waiter);
	expect(&waiter, 0, NULL, "the sleeping wait returns after the post");
	ok(sem_value(name) == 0, "and took the posted unit");

	test_name(mname, sizeof(mname), "cli-sem-mutex");
	run(&r, "create", "mutex", mname);
	run(&r, "wait", mname);
	expect_error(&r, 1, "not a semaphore", "wait on a mutex");
	run(&r, "post", mname);
	expect_error(&r, 1, "not a semaphore", "post to a mutex");
	rtsync_unlink(mname);

	run(&r, "unlink", name);
	expect(&r, 0, NULL, "unlink");
	is_errno(sem_value_err(name), ENOENT, "the name is gone: opening it");
	ok(!rtsync_sem_info(fd, &st) && (st.flags & RTSYNC_SINFO_UNLINKED),
	   "an open fd keeps the object, flagged unlinked");
	run(&r, "info", name);
	expect_error(&r, 1, strerror(ENOENT), "info after unlink");
	close(fd);
}

static void test_mutex_and_lock(void)
{
	struct rtsync_mutex_status st;
	char name[64], rname[64], want[80];
	struct run r, locker;
	int fd, err;

	test_name(name, sizeof(name), "cli-mutex");
	run(&r, "create", "mutex", name);
	expect(&r, 0, NULL, "create mutex");
	run(&r, "info", name);
	if (expect(&r, 0, "type:      mutex", "info of a free mutex"))
		ok(has_all(r.stdout_text, "owner:     none\n",
			   "recursion: 0\n", "flags:     -\n", NULL),
		   "a free mutex has no owner");

	/* CMD runs while rtsyncctl holds the mutex: it sees the owner. */
	spawn(&r, (const char *const[]){ "lock", name, "--", tool, "info",
					 name, NULL });
	snprintf(want, sizeof(want), "owner:     pid %d, tid %d", (int)r.pid,
		 (int)r.pid);
	reap(&r);
	expect(&r, 0, want, "lock -- rtsyncctl info: CMD sees the lock held by rtsyncctl");

	fd = rtsync_mutex_open(name, 0, 0, 0);
	if (!ok(fd >= 0, "the mutex exists for librtsync"))
		return;
	memset(&st, 0, sizeof(st));
	err = rtsync_mutex_info(fd, &st);
	ok(!err && st.owner_tid == 0,
	   "lock released the mutex after CMD (%s, owner %d)", strerror(err),
	   (int)st.owner_tid);

	run(&r, "lock", name, "--", "/bin/sh", "-c", "exit 3");
	expect(&r, 3, NULL, "lock exits with CMD's status");
	run(&r, "lock", name, "--", "/nonexistent/cmd");
	expect(&r, 127, NULL, "lock with a CMD that does not exist: 127");
	ok(!rtsync_mutex_info(fd, &st) && st.owner_tid == 0,
	   "the mutex is free after both");

	/* A lock held elsewhere makes rtsyncctl lock sleep until released. */
	if (ok(!rtsync_mutex_lock(fd), "librtsync takes the mutex")) {
		spawn(&locker, (const char *const[]){ "lock", name, "--",
						      "/bin/true", NULL });
		ok(waiters_soon(fd, 0, 1), "lock sleeps while the mutex is held");
		ok(!rtsync_mutex_unlock(fd), "librtsync releases it");
		reap(&locker);
		expect(&locker, 0, NULL, "the sleeping lock runs CMD once released");
	}

	test_name(rname, sizeof(rname), "cli-recursive");
	run(&r, "create", "mutex", rname, "--recursive");
	expect(&r, 0, NULL, "create mutex --recursive");
	run(&r, "info", rname);
	expect(&r, 0, "flags:     recursive\n", "info shows the recursive flag");
	rtsync_unlink(rname);

	run(&r, "unlink", name);
	expect(&r, 0, NULL, "unlink of the mutex");
	close(fd);
}

static void test_cond(void)
{
	char name[64];
	struct run r;

	test_name(name, sizeof(name), "cli-cond");
	run(&r, "create", "cond", name, "--mode", "0600");
	expect(&r, 0, NULL, "create cond");
	run(&r, "info", name);
	expect(&r, 0, "type:      condition variable", "info of a condition variable");
	run(&r, "list", "--json");
	ok(has_all(line_with(r.stdout_text, strf("\"name\": \"%s\"", name)),
		   "{\"type\": \"cond\"", "\"owner_pid\": null",
		   "\"value\": null", NULL),
	   "list --json shows the condition variable");
	run(&r, "unlink", name);
	expect(&r, 0, NULL, "unlink of the condition variable");
}

/* proc_line - the /proc/rtsync line that contains @needle, or "" */
static const char *proc_line(const char *needle)
{
	static char text[OUTPUT_MAX];
	size_t n = 0;
	FILE *f = fopen("/proc/rtsync", "r");

	if (f) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return line_with(text, needle);
}

/*
 * A name with terminal control bytes (ESC [ 3 1 m, the C1 CSI byte 0x9b)
 * and UTF-8: /proc/rtsync and the table show every byte that is not
 * printable ASCII as \ooo, so neither sends a control sequence.
 */
static void test_list_controls(void)
{
	char name[80], escaped[96];
	const char *line;
	struct run r;
	int fd;

	snprintf(name, sizeof(name), "cli\033[31mred\x9b\xc3\xa9-%d",
		 (int)getpid());
	snprintf(escaped, sizeof(escaped), "cli\\033[31mred\\233\\303\\251-%d",
		 (int)getpid());
	fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (fd < 0)
		bail_out("rtsync_mutex_open");
	line = proc_line(escaped);
	ok(*line && !strchr(line, '\033'),
	   "/proc/rtsync: ESC, 0x9b and UTF-8 bytes of a name as \\ooo");
	run(&r, "list");
	if (expect(&r, 0, "TYPE", "list with a name of control bytes")) {
		ok(*line_with(r.stdout_text, escaped) &&
		   !strchr(r.stdout_text, '\033') &&
		   !strchr(r.stdout_text, (char)0x9b),
		   "table: the same escapes, no control byte in the output");
	}
	close(fd);
	ok(!rtsync_unlink(name), "the name of control bytes unlinks");
}

static void test_list(void)
{
	char spaced[80], odd[80], sem[64], json_odd[96], table_odd[96];
	char pid_text[16], tid_text[16];
	const char *line;
	struct run r;
	int fd;

	/* A name with a space, and one with a tab, a backslash and a quote. */
	snprintf(spaced, sizeof(spaced), "cli list %d", (int)getpid());
	snprintf(odd, sizeof(odd), "cli\tq\"b\\s-%d", (int)getpid());
	snprintf(json_odd, sizeof(json_odd), "\"name\": \"cli\\tq\\\"b\\\\s-%d\"",
		 (int)getpid());
	snprintf(table_odd, sizeof(table_odd), "cli\\011q\"b\\134s-%d",
		 (int)getpid());
	test_name(sem, sizeof(sem), "cli-list-sem");

	fd = rtsync_mutex_open(spaced, O_CREAT | O_EXCL, 0600, 0);
	if (fd < 0)
		bail_out("rtsync_mutex_open");
	run(&r, "create", "mutex", odd, "--mode", "0644");
	expect(&r, 0, NULL, "create a mutex named with tab, quote and backslash");
	run(&r, "create", "sem", sem, "--value", "2", "--max", "5");
	expect(&r, 0, NULL, "create sem for list");

	ok(has_all(proc_line(strf("cli\\040list\\040%d", (int)getpid())),
		   "mutex", NULL),
	   "/proc/rtsync escapes the space as \\040");

	/* The test holds the spaced mutex: list shows this process as owner. */
	ok(!rtsync_mutex_lock(fd), "librtsync locks the spaced mutex");
	snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
	snprintf(tid_text, sizeof(tid_text), "%d", (int)gettid());

	run(&r, "list");
	if (expect(&r, 0, "TYPE", "list")) {
		line = line_with(r.stdout_text, "TYPE");
		ok(line == strstr(line, "TYPE ") && r.stdout_text[0] == 'T' &&
		   !strcmp(table_field(line, 10), "NAME"),
		   "the table starts with its head line, NAME the 11th column");
		line = line_with(r.stdout_text, strf("  %s\n", spaced));
		ok(!strcmp(table_field(line, 0), "mutex") &&
		   !strcmp(table_field(line, 1), "0600") &&
		   !strcmp(table_field(line, 4), pid_text) &&
		   !strcmp(table_field(line, 5), tid_text) &&
		   !strcmp(table_field(line, 6), "-"),
		   "table: the spaced name as it is, mode, owner pid and tid");
		if (!*line)
			show(&r);
		line = line_with(r.stdout_text, table_odd);
		ok(!strcmp(table_field(line, 0), "mutex") &&
		   !strcmp(table_field(line, 1), "0644") &&
		   !strcmp(table_field(line, 4), "-"),
		   "table: tab and backslash as \\ooo, a free mutex has no owner");
		line = line_with(r.stdout_text, strf("  %s\n", sem));
		ok(!strcmp(table_field(line, 0), "sem") &&
		   !strcmp(table_field(line, 4), "-") &&
		   !strcmp(table_field(line, 6), "2") &&
		   !strcmp(table_field(line, 7), "5") &&
		   !strcmp(table_field(line, 8), "0"),
		   "table: the semaphore's value, max and waiters");
	}

	run(&r, "list", "--json");
	if (expect(&r, 0, "[\n", "list --json")) {
		ok(r.stdout_text[strlen(r.stdout_text) - 2] == ']',
		   "the JSON array is closed");
		ok(has_all(line_with(r.stdout_text,
				     strf("\"name\": \"%s\"", spaced)),
			   "{\"type\": \"mutex\"", "\"mode\": 384",
			   strf("\"owner_pid\": %d, \"owner_tid\": %d",
				(int)getpid(), (int)gettid()),
			   "\"value\": null", "\"max\": null",
			   "\"flag_names\": []", NULL),
		   "JSON: the unescaped spaced name, mode 0600, owner, nulls");
		ok(has_all(line_with(r.stdout_text, json_odd),
			   "\"mode\": 420", "\"owner_pid\": 0", NULL),
		   "JSON: tab, quote and backslash in JSON escapes");
		ok(has_all(line_with(r.stdout_text,
				     strf("\"name\": \"%s\"", sem)),
			   "{\"type\": \"sem\"", "\"value\": 2", "\"max\": 5",
			   "\"owner_pid\": null", "\"waiters\": 0", NULL),
		   "JSON: the semaphore's typed fields");
	}
	rtsync_mutex_unlock(fd);
	close(fd);

	rtsync_unlink(spaced);
	run(&r, "unlink", odd);
	expect(&r, 0, NULL, "unlink of the oddly named mutex");
	run(&r, "unlink", sem);
	run(&r, "list", "--json");
	ok(r.code == 0 && !strstr(r.stdout_text, "cli list") &&
	   !strstr(r.stdout_text, json_odd) && !strstr(r.stdout_text, sem),
	   "unlinked names are gone from list --json");
}

/* ---- statistics: stat, top, reset-stats ---- */

#define HOLD_TIME_PARAM	"/sys/module/rtsync/parameters/hold_time"
/* How long the child holds the mutex after the test sleeps on it. */
#define HOLD_MS		50
#define NS_PER_MS	1000000LL

/*
 * json_number - the number member @key of a JSON object on one line, or
 * -1 when there is none. Names are JSON strings, whose quotes are
 * escaped: a name cannot fake a member.
 */
static long long json_number(const char *text, const char *key)
{
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "\"%s\": ", key);
	p = strstr(text, pattern);
	if (!p)
		return -1;
	p += strlen(pattern);
	if (*p < '0' || *p > '9')
		return -1;
	return strtoll(p, NULL, 10);
}

/* count_of - how many times @needle occurs in @text */
static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)); text += strlen(needle))
		n++;
	return n;
}

/*
 * hold_time - write @set ("Y" or "N") to the module parameter, or with
 * @set NULL read its letter into *@got: 0 or an errno value
 */
static int hold_time(const char *set, char *got)
{
	FILE *f = fopen(HOLD_TIME_PARAM, set ? "we" : "re");
	int err = 0, c;

	if (!f)
		return errno;
	if (set) {
		if (fputs(set, f) < 0)
			err = EIO;
	} else {
		c = fgetc(f);
		if (c == EOF)
			err = EIO;
		else
			*got = (char)c;
	}
	if (fclose(f) && !err)
		err = errno;
	return err;
}

static volatile int *holder_ready;

/*
 * hold_while_waited - child: lock mutex @arg, wait until someone sleeps
 * on it, hold it HOLD_MS more, unlock. Exits 0 or an errno value.
 */
static int hold_while_waited(void *arg)
{
	struct rtsync_mutex_status st;
	int fd, err, i;

	fd = rtsync_mutex_open(arg, 0, 0, 0);
	if (fd < 0)
		return errno;
	err = rtsync_mutex_lock(fd);
	if (err)
		return err;
	flag_set(holder_ready, 1);
	for (i = 0; i < 1000; i++) {
		if (!rtsync_mutex_info(fd, &st) && st.waiters == 1)
			break;
		sleep_ms(10);
	}
	if (i == 1000)
		err = ETIMEDOUT;
	else
		sleep_ms(HOLD_MS);
	if (rtsync_mutex_unlock(fd) && !err)
		err = EPERM;
	close(fd);
	return err;
}

/*
 * contend - one contended acquisition of mutex @fd (named @name): a child
 * holds it until this process has slept in LOCK at least HOLD_MS. Two
 * acquisitions in all, one contended, one wait of HOLD_MS or more.
 */
static int contend(int fd, const char *name)
{
	char child_text[80];
	int err = ETIMEDOUT, code;
	pid_t pid;

	holder_ready = shared_mem(sizeof(int));
	pid = start_child(hold_while_waited, (void *)name);
	if (flag_wait(holder_ready, 1, 10000)) {
		err = lock_within(fd, 20);
		if (!err)
			err = rtsync_mutex_unlock(fd);
	}
	code = wait_child(pid, 30);
	shared_free((void *)holder_ready, sizeof(int));
	return ok(!err && code == 0,
		  "a child holds the mutex until LOCK here slept %d ms (LOCK: %s; child: %s)",
		  HOLD_MS, strerror(err),
		  describe_exit(code, child_text, sizeof(child_text)));
}

static void test_stat(const char *name, const char *calm)
{
	long long wait, max;
	const char *nl;
	struct run r;

	run(&r, "stat", name);
	if (expect(&r, 0, "type:          mutex\n", "stat of the contended mutex"))
		ok(has_all(r.stdout_text, strf("name:          %s\n", name),
			   "acquisitions:  2\n", "contended:     1\n",
			   "timeouts:      0\n", "deadlocks:     0\n",
			   "owner deaths:  0\n", "posts:         -\n",
			   "max sleepers:  -\n",
			   "hold max:      not measured (to measure: echo Y > " HOLD_TIME_PARAM ")\n",
			   NULL),
		   "stat: two acquisitions, one contended, '-' for what a mutex does not count, hold time not measured");
	ok(strstr(line_with(r.stdout_text, "wait total:"), " ns)") &&
	   strstr(line_with(r.stdout_text, "wait max:"), " ns)") &&
	   *line_with(r.stdout_text, "wait mean:"),
	   "stat: total, longest and mean wait");

	run(&r, "stat", "--json", name);
	if (expect(&r, 0, "{\"type\": \"mutex\", \"name\": ", "stat --json")) {
		nl = strchr(r.stdout_text, '\n');
		ok(nl && !nl[1] && nl[-1] == '}',
		   "stat --json: one object on one line");
		ok(has_all(r.stdout_text, strf("\"name\": \"%s\"", name),
			   "\"acquisitions\": 2,", "\"contended\": 1,",
			   "\"hold_max_ns\": 0,", "\"posts\": 0,",
			   "\"timeouts\": 0,", "\"deadlocks\": 0,",
			   "\"owner_deaths\": 0,", "\"max_sleepers\": 0,",
			   "\"flags\": 0}", NULL),
		   "stat --json: the counts as numbers");
		wait = json_number(r.stdout_text, "wait_ns");
		max = json_number(r.stdout_text, "wait_max_ns");
		ok(max >= HOLD_MS * NS_PER_MS && wait >= max &&
		   wait < 60000 * NS_PER_MS,
		   "stat --json: the wait lasted the hold (wait_ns %lld, wait_max_ns %lld)",
		   wait, max);
	}

	/* Mode 0600, owned by root: another uid cannot open it. */
	spawn_as(&r, NOBODY, (const char *const[]){ "stat", calm, NULL });
	reap(&r);
	expect_error(&r, 1, strf("stat %s: %s", calm, strerror(EACCES)),
		     "stat as another uid of a mode 0600 object");
}

static void test_stat_types(void)
{
	char sem[64], odd[80];
	struct run r;
	int fd;

	test_name(sem, sizeof(sem), "cli-stat-sem");
	run(&r, "create", "sem", sem);
	run(&r, "post", sem, "2");
	run(&r, "wait", sem);
	expect(&r, 0, NULL, "post 2 and wait on a new semaphore");
	run(&r, "stat", sem);
	if (expect(&r, 0, "type:          semaphore\n", "stat of a semaphore"))
		ok(has_all(r.stdout_text, "acquisitions:  1\n",
			   "contended:     0\n", "posts:         1\n",
			   "wait mean:     -\n", "hold max:      -\n",
			   "owner deaths:  -\n", NULL),
		   "stat: one unit taken, one post, no wait, no hold time");
	run(&r, "stat", sem, "--json");
	expect(&r, 0, strf("{\"type\": \"sem\", \"name\": \"%s\", \"acquisitions\": 1, \"contended\": 0, \"wait_ns\": 0,",
			   sem),
	       "stat NAME --json of a semaphore");
	rtsync_unlink(sem);

	/* A name with ESC and a tab: escaped for the terminal and in JSON. */
	snprintf(odd, sizeof(odd), "cli-stat\033\t-%d", (int)getpid());
	fd = rtsync_cond_open(odd, O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		bail_out("rtsync_cond_open");
	run(&r, "stat", odd);
	expect(&r, 0, strf("name:          cli-stat\\033\\011-%d\ntype:          condition variable\n",
			   (int)getpid()),
	       "stat of a condition variable: control bytes of its name as \\ooo");
	ok(!strchr(r.stdout_text, '\033'), "stat: no control byte in the output");
	run(&r, "stat", "--json", odd);
	expect(&r, 0, strf("{\"type\": \"cond\", \"name\": \"cli-stat\\u001b\\t-%d\"",
			   (int)getpid()),
	       "stat --json: ESC as \\u001b, tab as \\t");
	close(fd);
	rtsync_unlink(odd);
}

/* output_soon - wait up to 10 s for a spawned run to print something */
static int output_soon(const struct run *r)
{
	struct stat st;
	int i;

	for (i = 0; i < 1000; i++) {
		if (!fstat(fileno(r->out), &st) && st.st_size > 0)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static void test_top(const char *name, const char *calm)
{
	const int signals[] = { SIGINT, SIGTERM };
	const char *line, *end;
	unsigned int i;
	struct run r;

	run(&r, "top", "--once");
	if (expect(&r, 0, "TYPE ", "top --once")) {
		line = line_with(r.stdout_text, "TYPE");
		ok(r.stdout_text[0] == 'T' &&
		   !strcmp(table_field(line, 1), "CONTENDED") &&
		   !strcmp(table_field(line, 7), "NAME"),
		   "top --once: the head line first, NAME the 8th column");
		line = line_with(r.stdout_text, strf("  %s\n", name));
		ok(!strcmp(table_field(line, 0), "mutex") &&
		   !strcmp(table_field(line, 1), "1") &&
		   !strcmp(table_field(line, 5), "0") &&
		   !strcmp(table_field(line, 6), "0"),
		   "top --once: the contended mutex, contended 1, no timeouts or deadlocks");
		ok(!*line_with(r.stdout_text, strf("  %s\n", calm)),
		   "top --once: not the mutex never waited for");
		if (!*line)
			show(&r);
	}
	run(&r, "top", "--once", "--all", "--sort", "contended");
	ok(r.code == 0 && *line_with(r.stdout_text, strf("  %s\n", calm)),
	   "top --once --all --sort contended: also the mutex never waited for");

	run(&r, "top", "--once", "--json");
	if (expect(&r, 0, "[\n", "top --once --json")) {
		end = r.stdout_text + strlen(r.stdout_text);
		ok(r.stdout_text[0] == '[' && !strcmp(end - 2, "]\n"),
		   "top --once --json: one JSON array");
		ok(has_all(line_with(r.stdout_text,
				     strf("\"name\": \"%s\"", name)),
			   "{\"type\": \"mutex\"", "\"acquisitions\": 2,",
			   "\"contended\": 1,", "\"timeouts\": 0,", NULL),
		   "top --once --json: the contended mutex and its counts");
		ok(!strstr(r.stdout_text, strf("\"name\": \"%s\"", calm)),
		   "top --once --json: not the mutex never waited for");
	}

	run(&r, "top", "-n", "2", "--interval", "0.1");
	if (expect(&r, 0, "rtsyncctl top", "top -n 2 --interval 0.1")) {
		ok(count_of(r.stdout_text, "rtsyncctl top ") == 2 &&
		   count_of(r.stdout_text, "\nTYPE ") == 2,
		   "top -n 2: two tables");
		ok(!strchr(r.stdout_text, '\033'),
		   "top: no escape sequences when stdout is not a terminal");
		ok(strstr(r.stdout_text, strf("  %s\n", name)) != NULL,
		   "top: the contended mutex is in the table");
	}

	/* Without -n it refreshes until a signal, and exits 0 then. */
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		spawn(&r, (const char *const[]){ "top", "--interval", "0.1",
						 NULL });
		ok(output_soon(&r), "top --interval 0.1 prints a table");
		kill(r.pid, signals[i]);
		reap(&r);
		expect(&r, 0, "rtsyncctl top",
		       strf("top stops on %s", sigabbrev_np(signals[i])));
	}
}

static void test_reset_stats(int fd, const char *name)
{
	char was = 'N';
	long long held;
	struct run r;
	int err;

	spawn_as(&r, NOBODY, (const char *const[]){ "reset-stats", name,
						    NULL });
	reap(&r);
	expect_error(&r, 1,
		     strf("reset-stats %s: %s (only its owner or creator",
			  name, strerror(EPERM)),
		     "reset-stats as another uid: permission error");
	spawn_as(&r, NOBODY, (const char *const[]){ "stat", "--json", name,
						    NULL });
	reap(&r);
	expect(&r, 0, "\"acquisitions\": 2, \"contended\": 1,",
	       "stat as another uid of a mode 0666 object: the refused reset changed nothing");

	/* Hold times, while the module parameter is on. */
	err = hold_time(NULL, &was);
	if (err) {
		skip(strf("%s: %s", HOLD_TIME_PARAM, strerror(err)),
		     "stat with hold_time on");
	} else if (!hold_time("Y", NULL)) {
		if (!rtsync_mutex_lock(fd)) {
			sleep_ms(20);
			rtsync_mutex_unlock(fd);
		}
		run(&r, "stat", "--json", name);
		held = json_number(r.stdout_text, "hold_max_ns");
		ok(r.code == 0 && strstr(r.stdout_text, "\"flags\": 1}") &&
		   held >= 20 * NS_PER_MS && held < 60000 * NS_PER_MS,
		   "hold_time on: stat --json has flag 1 and the 20 ms hold (hold_max_ns %lld)",
		   held);
		run(&r, "stat", name);
		ok(r.code == 0 &&
		   strstr(line_with(r.stdout_text, "hold max:"), " ns)") &&
		   !strstr(r.stdout_text, "measured"),
		   "hold_time on: stat shows the longest hold");
		hold_time(was == 'Y' ? "Y" : "N", NULL);
	}

	run(&r, "reset-stats", name);
	expect(&r, 0, NULL, "reset-stats as the owner");
	ok(!r.stdout_text[0] && !r.stderr_text[0],
	   "reset-stats prints nothing");
	run(&r, "stat", "--json", name);
	expect(&r, 0,
	       "\"acquisitions\": 0, \"contended\": 0, \"wait_ns\": 0, \"wait_max_ns\": 0, \"hold_max_ns\": 0, \"posts\": 0, \"timeouts\": 0, \"deadlocks\": 0, \"owner_deaths\": 0, \"max_sleepers\": 0,",
	       "after reset-stats every counter is 0");
	run(&r, "top", "--once");
	ok(r.code == 0 && !*line_with(r.stdout_text, strf("  %s\n", name)),
	   "after reset-stats top --once leaves it out");
}

static void test_stats(void)
{
	char name[64], calm[64], was = 'N';
	int fd, cfd, hold_err;

	test_name(name, sizeof(name), "cli-stat");
	test_name(calm, sizeof(calm), "cli-calm");
	/* 0666: another uid may open it, and still not reset it. */
	umask(0);
	fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0666, 0);
	umask(022);
	if (fd < 0)
		bail_out("rtsync_mutex_open");
	cfd = rtsync_mutex_open(calm, O_CREAT | O_EXCL, 0600, 0);
	if (cfd < 0)
		bail_out("rtsync_mutex_open");
	ok(!rtsync_mutex_lock(cfd) && !rtsync_mutex_unlock(cfd),
	   "one lock of another mutex, never waited for");

	/* Hold times off, whatever an earlier program left. */
	hold_err = hold_time(NULL, &was);
	if (!hold_err)
		hold_err = hold_time("N", NULL);
	if (hold_err)
		diag("%s: %s", HOLD_TIME_PARAM, strerror(hold_err));

	if (contend(fd, name)) {
		test_stat(name, calm);
		test_top(name, calm);
		test_reset_stats(fd, name);
	}
	test_stat_types();

	if (!hold_err)
		hold_time(was == 'Y' ? "Y" : "N", NULL);
	drop_object(fd, name);
	drop_object(cfd, calm);
}

int main(void)
{
	tool = getenv("RTSYNCCTL");
	if (!tool)
		tool = DEFAULT_TOOL;
	if (access(tool, X_OK)) {
		skip(strf("no rtsyncctl at %s (userspace/tools: make rtsyncctl-static)",
			  tool),
		     "rtsyncctl command-line checks");
		return tap_done();
	}
	umask(022);

	test_usage();
	test_missing();
	test_semaphore();
	test_mutex_and_lock();
	test_cond();
	test_list();
	test_list_controls();
	test_stats();
	return tap_done();
}
