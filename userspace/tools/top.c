// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * rtsyncctl top: the objects that waited most, from /proc/rtsync_stats,
 * as a table refreshed every interval (the time waited in the last
 * interval first), or once for scripts (the time waited since creation
 * or the last reset first), or once as a JSON array.
 */
#define _GNU_SOURCE	/* ppoll */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rtsyncctl.h"

#define INTERVAL_MIN_S	0.01
#define INTERVAL_MAX_S	86400.0
#define NSEC_PER_SEC	1000000000LL

static const char *const sort_names[] = {
	[TOP_SORT_WAIT] = "wait", [TOP_SORT_CONTENDED] = "contended",
	[TOP_SORT_MAX] = "max", [TOP_SORT_TIMEOUTS] = "timeouts",
};

/* ---- rows ---- */

/* waited - the object slept, timed out or was refused with EDEADLK */
static int waited(const struct rtsync_stats *st)
{
	return st->contended || st->wait_ns || st->timeouts || st->deadlocks;
}

/*
 * growth - how much a counter grew between two snapshots. One that went
 * down was reset (or its name now belongs to a new object): all of its
 * value is new.
 */
static unsigned long long growth(unsigned long long now,
				 unsigned long long before)
{
	return now >= before ? now - before : now;
}

/* qsort has no context argument; top_rows sets these before sorting. */
static enum top_sort sort_key;
static int sort_by_interval;

/* more_first - compare for a descending order */
static int more_first(unsigned long long a, unsigned long long b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int by_sort_key(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;
	const struct rtsync_stats *x = &a->e->st, *y = &b->e->st;
	int c = 0;

	switch (sort_key) {
	case TOP_SORT_WAIT:
		if (sort_by_interval)
			c = more_first(a->new_wait_ns, b->new_wait_ns);
		break;
	case TOP_SORT_CONTENDED:
		if (sort_by_interval)
			c = more_first(a->new_contended, b->new_contended);
		if (!c)
			c = more_first(x->contended, y->contended);
		break;
	case TOP_SORT_MAX:
		c = more_first(x->wait_max_ns, y->wait_max_ns);
		break;
	case TOP_SORT_TIMEOUTS:
		c = more_first(x->timeouts, y->timeouts);
		break;
	}
	if (!c)
		c = more_first(x->wait_ns, y->wait_ns);
	return c ? c : strcmp(a->e->name, b->e->name);
}

int top_rows(const struct proc_stats_list *now,
	     const struct proc_stats_list *before, enum top_sort sort, int all,
	     struct top_row **rows, size_t *count)
{
	const struct proc_stats_entry *e, *old;
	struct top_row *r;
	size_t i, n = 0;

	*rows = NULL;
	*count = 0;
	if (!now->count)
		return 0;
	r = calloc(now->count, sizeof(*r));
	if (!r)
		return ENOMEM;
	for (i = 0; i < now->count; i++) {
		e = &now->entries[i];
		if (!all && !waited(&e->st))
			continue;
		r[n].e = e;
		if (before) {
			old = proc_stats_find(before, e->name);
			if (old && strcmp(old->type, e->type))
				old = NULL;	/* another object now */
			r[n].new_contended = growth(e->st.contended,
						    old ? old->st.contended : 0);
			r[n].new_wait_ns = growth(e->st.wait_ns,
						  old ? old->st.wait_ns : 0);
		}
		n++;
	}
	sort_key = sort;
	sort_by_interval = before != NULL;
	qsort(r, n, sizeof(*r), by_sort_key);
	if (!n) {
		free(r);
		r = NULL;
	}
	*rows = r;
	*count = n;
	return 0;
}

/* ---- table ---- */

enum top_column {
	TC_TYPE, TC_CONTENDED, TC_NEW_WAITS, TC_NEW_WAIT, TC_TOTAL, TC_MAX,
	TC_MEAN, TC_TIMEOUTS, TC_DEADLOCKS, TC_COUNT
};

static const char *const top_heads[TC_COUNT] = {
	"TYPE", "CONTENDED", "+WAITS", "+WAIT", "TOTAL_WAIT", "MAX_WAIT",
	"MEAN_WAIT", "TIMEOUTS", "DEADLOCKS",
};

/* A 64-bit number or a duration, with room to spare. */
#define CELL_SIZE 32

/* format_row - the cells of one row, all but the name */
static void format_row(const struct top_row *r, char cells[TC_COUNT][CELL_SIZE])
{
	const struct rtsync_stats *st = &r->e->st;

	snprintf(cells[TC_TYPE], CELL_SIZE, "%s", r->e->type);
	snprintf(cells[TC_CONTENDED], CELL_SIZE, "%llu",
		 (unsigned long long)st->contended);
	snprintf(cells[TC_NEW_WAITS], CELL_SIZE, "%llu", r->new_contended);
	format_duration(cells[TC_NEW_WAIT], r->new_wait_ns, "");
	format_duration(cells[TC_TOTAL], st->wait_ns, "");
	format_duration(cells[TC_MAX], st->wait_max_ns, "");
	if (st->contended)
		format_duration(cells[TC_MEAN], st->wait_ns / st->contended,
				"");
	else
		strcpy(cells[TC_MEAN], "-");
	snprintf(cells[TC_TIMEOUTS], CELL_SIZE, "%u", st->timeouts);
	snprintf(cells[TC_DEADLOCKS], CELL_SIZE, "%u", st->deadlocks);
}

/* shown - whether column @c is in the table */
static int shown(int c, int has_interval)
{
	return has_interval || (c != TC_NEW_WAITS && c != TC_NEW_WAIT);
}

void top_write_table(FILE *out, const struct top_row *rows, size_t count,
		     int has_interval, size_t max_rows)
{
	char cells[TC_COUNT][CELL_SIZE];
	size_t width[TC_COUNT], i, n;
	int c;

	n = max_rows && count > max_rows ? max_rows : count;
	for (c = 0; c < TC_COUNT; c++)
		width[c] = strlen(top_heads[c]);
	for (i = 0; i < n; i++) {
		format_row(&rows[i], cells);
		for (c = 0; c < TC_COUNT; c++)
			if (strlen(cells[c]) > width[c])
				width[c] = strlen(cells[c]);
	}

	/* The type left-aligned, the numbers right-aligned, the name last. */
	for (c = 0; c < TC_COUNT; c++)
		if (shown(c, has_interval))
			fprintf(out, c == TC_TYPE ? "%-*s  " : "%*s  ",
				(int)width[c], top_heads[c]);
	fputs("NAME\n", out);
	for (i = 0; i < n; i++) {
		format_row(&rows[i], cells);
		for (c = 0; c < TC_COUNT; c++)
			if (shown(c, has_interval))
				fprintf(out, c == TC_TYPE ? "%-*s  " : "%*s  ",
					(int)width[c], cells[c]);
		write_table_name(out, rows[i].e->name);
		fputc('\n', out);
	}
	if (n < count)
		fprintf(out, "(%zu more)\n", count - n);
}

void top_write_json(FILE *out, const struct top_row *rows, size_t count)
{
	size_t i;

	if (!count) {
		fputs("[]\n", out);
		return;
	}
	fputs("[\n", out);
	for (i = 0; i < count; i++) {
		fputs("  ", out);
		stats_write_json(out, rows[i].e->type, rows[i].e->name,
				 &rows[i].e->st, 0);
		fputs(i + 1 < count ? ",\n" : "\n", out);
	}
	fputs("]\n", out);
}

/* ---- reading /proc/rtsync_stats ---- */

/* read_stats - a snapshot; 0, or EXIT_FAILURE after reporting why not */
static int read_stats(struct proc_stats_list *list)
{
	unsigned int bad_line;
	struct stat st;
	char what[64];
	const char *hint = NULL;
	FILE *in;
	int err;

	in = fopen(RTSYNC_PROC_STATS_PATH, "re");
	if (!in) {
		err = errno;
		if (err == ENOENT)
			hint = stat(RTSYNC_PROC_PATH, &st) ?
			       "is the rtsync module loaded?" :
			       "the loaded rtsync module keeps no statistics";
		return report_error(RTSYNC_PROC_STATS_PATH, err, hint);
	}
	err = proc_stats_parse(in, list, &bad_line);
	fclose(in);
	if (err == EBADMSG) {
		snprintf(what, sizeof(what), "%s line %u",
			 RTSYNC_PROC_STATS_PATH, bad_line);
		return report_error(what, err, "unexpected format");
	}
	if (err)
		return report_error(RTSYNC_PROC_STATS_PATH, err, NULL);
	return 0;
}

/* ---- the command ---- */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/*
 * catch_stop_signals - SIGINT and SIGTERM end the refreshing, even when
 * inherited ignored (`rtsyncctl top &` in a script): they are blocked but
 * while sleeping (@sleep_mask), so one never arrives between the check of
 * stop_signal and the sleep.
 */
static void catch_stop_signals(sigset_t *sleep_mask)
{
	static const int signals[] = { SIGINT, SIGTERM };
	struct sigaction sa;
	sigset_t block;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaddset(&block, signals[i]);
	sigprocmask(SIG_BLOCK, &block, sleep_mask);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		sigdelset(sleep_mask, signals[i]);
		sigaction(signals[i], &sa, NULL);
	}
}

static long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/*
 * sleep_until - sleep until CLOCK_MONOTONIC reaches @deadline_ns, or a
 * stop signal arrives. No busy waiting: ppoll() with no descriptors.
 */
static void sleep_until(long long deadline_ns, const sigset_t *sleep_mask)
{
	struct timespec left;
	long long ns;

	while (!stop_signal) {
		ns = deadline_ns - monotonic_ns();
		if (ns <= 0)
			return;
		left.tv_sec = ns / NSEC_PER_SEC;
		left.tv_nsec = ns % NSEC_PER_SEC;
		ppoll(NULL, 0, &left, sleep_mask);	/* EINTR: look again */
	}
}

/* screen_rows - how many table rows fit the terminal, 0 if unknown */
static size_t screen_rows(void)
{
	struct winsize ws;

	/* The summary, a blank line, the head, "(N more)" and the cursor. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row <= 6)
		return 0;
	return ws.ws_row - 5;
}

struct top_options {
	enum top_sort sort;
	int all, tty;
	long long interval_ns;
	unsigned int count;	/* refreshes; 0: until a signal */
};

/* write_frame - one refresh: a summary line and the table */
static int write_frame(const struct top_options *o,
		       const struct proc_stats_list *now,
		       const struct proc_stats_list *before, unsigned int frame)
{
	char clock[16] = "";
	struct top_row *rows;
	size_t count;
	struct tm tm;
	time_t t;
	int err;

	err = top_rows(now, before, o->sort, o->all, &rows, &count);
	if (err)
		return report_error("top", err, NULL);
	t = time(NULL);
	if (localtime_r(&t, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	if (o->tty)
		fputs("\033[H\033[2J", stdout);	/* home, clear the screen */
	else if (frame)
		putchar('\n');
	printf("rtsyncctl top  %s  every %g s  sorted by %s  %zu of %zu objects shown%s\n\n",
	       clock, (double)o->interval_ns / NSEC_PER_SEC,
	       sort_names[o->sort], count, now->count,
	       o->tty ? "  (Ctrl-C quits)" : "");
	top_write_table(stdout, rows, count, 1, o->tty ? screen_rows() : 0);
	free(rows);
	return 0;
}

/* refresh - the table every interval until a signal or o->count tables */
static int refresh(const struct top_options *o)
{
	struct proc_stats_list lists[2], *now = &lists[0], *before = &lists[1],
			       *swap;
	long long next_ns;
	sigset_t sleep_mask;
	unsigned int frame;
	int status;

	catch_stop_signals(&sleep_mask);
	status = read_stats(before);
	if (status)
		return status;
	next_ns = monotonic_ns() + o->interval_ns;
	for (frame = 0; !o->count || frame < o->count; frame++) {
		sleep_until(next_ns, &sleep_mask);
		if (stop_signal)
			break;
		status = read_stats(now);
		if (status)
			break;
		status = write_frame(o, now, before, frame);
		proc_stats_list_free(before);
		swap = before;
		before = now;
		now = swap;
		if (status || fflush(stdout) || ferror(stdout))
			break;	/* main() reports a failed stdout */
		/* Keep the beat; after a stall, start again from now. */
		next_ns += o->interval_ns;
		if (next_ns < monotonic_ns())
			next_ns = monotonic_ns() + o->interval_ns;
	}
	proc_stats_list_free(before);
	return status;
}

/* once - one table (or JSON array) of the totals */
static int once(const struct top_options *o, int json)
{
	struct proc_stats_list list;
	struct top_row *rows;
	size_t count;
	int status;

	status = read_stats(&list);
	if (status)
		return status;
	status = top_rows(&list, NULL, o->sort, o->all, &rows, &count);
	if (status) {
		proc_stats_list_free(&list);
		return report_error("top", status, NULL);
	}
	if (json)
		top_write_json(stdout, rows, count);
	else
		top_write_table(stdout, rows, count, 0, 0);
	free(rows);
	proc_stats_list_free(&list);
	return EXIT_SUCCESS;
}

/* parse_interval - seconds, maybe with a fraction, in the allowed range */
static int parse_interval(const char *s, long long *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* NaN fails both comparisons. */
	if (errno || end == s || *end ||
	    !(v >= INTERVAL_MIN_S && v <= INTERVAL_MAX_S))
		return -1;
	*ns = (long long)(v * NSEC_PER_SEC + 0.5);
	return 0;
}

static int parse_count(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > INT_MAX)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int parse_sort(const char *s, enum top_sort *out)
{
	unsigned int i;

	for (i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
		if (!strcmp(s, sort_names[i])) {
			*out = (enum top_sort)i;
			return 0;
		}
	return -1;
}

int cmd_top(int argc, char **argv)
{
	enum { OPT_ONCE = 1, OPT_JSON, OPT_INTERVAL, OPT_SORT, OPT_ALL };
	static const struct option options[] = {
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "all", no_argument, NULL, OPT_ALL },
		{ NULL, 0, NULL, 0 },
	};
	struct top_options o = {
		.sort = TOP_SORT_WAIT,
		.interval_ns = NSEC_PER_SEC,
	};
	int once_only = 0, json = 0, interval_set = 0, opt;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:n:", options, NULL)) != -1) {
		switch (opt) {
		case OPT_ONCE:
			once_only = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_INTERVAL:
			if (parse_interval(optarg, &o.interval_ns))
				return usage_error("bad interval '%s' (seconds, %g to %g)",
						   optarg, INTERVAL_MIN_S,
						   INTERVAL_MAX_S);
			interval_set = 1;
			break;
		case 'n':
			if (parse_count(optarg, &o.count))
				return usage_error("bad count '%s' (1..%d)",
						   optarg, INT_MAX);
			break;
		case OPT_SORT:
			if (parse_sort(optarg, &o.sort))
				return usage_error("bad sort key '%s' (wait, contended, max or timeouts)",
						   optarg);
			break;
		case OPT_ALL:
			o.all = 1;
			break;
		case ':':
			return usage_error("top: option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("top: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error("usage: top [--once [--json]] [--interval SECONDS] [-n COUNT] [--sort KEY] [--all]");
	if (json && !once_only)
		return usage_error("top: --json needs --once");
	if (once_only && (interval_set || o.count))
		return usage_error("top: --once takes no --interval or -n");

	if (once_only)
		return once(&o, json);
	o.tty = isatty(STDOUT_FILENO);
	return refresh(&o);
}
