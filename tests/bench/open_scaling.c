// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The name table at scale: open-by-name time with 1k, 10k and 100k
 * existing objects, and the kernel memory each object costs.
 *
 * Opening: batches of opens (no O_CREAT) of existing names picked at
 * random, timed as a batch; the fds are closed afterwards, untimed. The
 * population can only grow or shrink between measurements, so it is
 * walked up (1k, 10k, 100k) and back down (10k, 1k) and each level's
 * samples are pooled from both visits: a drift over the run then weighs
 * on every level alike. Each batch is followed by a batch of as many NOP
 * ioctls, and the ratio between levels is taken from open time / NOP
 * time, which takes out bursts of load on the host that hit one level's
 * batches and not another's.
 *
 * Memory: SUnreclaim (unreclaimable slab, where kmalloc'ed objects live)
 * plus VmallocUsed (a large name table may be vmalloc'ed) from
 * /proc/meminfo with no object and with 100k objects, each read after a
 * pause so RCU-deferred frees of the creating fds are done; divided by the
 * number of objects. The slab caches that grew are listed from
 * /proc/slabinfo, to show where the bytes went.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <sys/ioctl.h>

#define REPS		5
#define NAME_FMT	"bench-open-%07ld"	/* 17 bytes for every object */
#define NAME_LEN	17
#define MAX_OBJECTS	100000L
#define PARAMS		"/sys/module/rtsync/parameters/"
#define SETTLE_US	1500000		/* RCU and deferred frees finish */
#define MAX_CACHES	512

static const long levels[] = { 1000, 10000, 100000 };
#define NR_LEVELS	((int)(sizeof(levels) / sizeof(levels[0])))

static long population;
static long errors;
static int devfd;

static void name_of(char *buf, size_t size, long i)
{
	snprintf(buf, size, NAME_FMT, i);
}

/* grow_to - create objects until there are n */
static void grow_to(long n)
{
	char name[32];
	int fd;

	for (; population < n; population++) {
		name_of(name, sizeof(name), population);
		fd = rtsync_mutex_open(name, O_CREAT | O_EXCL, 0600, 0);
		if (fd < 0)
			bail("creating object %ld (%s)", population, name);
		close(fd);
	}
}

/* shrink_to - unlink objects until there are n */
static void shrink_to(long n)
{
	char name[32];

	while (population > n) {
		name_of(name, sizeof(name), population - 1);
		if (rtsync_unlink(name))
			bail("unlinking %s", name);
		population--;
	}
}

/* One batch of opens of random existing names; returns ns per open. */
static double open_batch(int batch, unsigned int *seed)
{
	char (*names)[32] = malloc(sizeof(*names) * batch);
	int *fds = malloc(sizeof(*fds) * batch);
	int64_t start, elapsed;
	int i;

	if (!names || !fds)
		bail("malloc");
	for (i = 0; i < batch; i++)
		name_of(names[i], sizeof(names[i]), rand_r(seed) % population);
	start = now_ns();
	for (i = 0; i < batch; i++)
		fds[i] = rtsync_mutex_open(names[i], 0, 0, 0);
	elapsed = now_ns() - start;
	for (i = 0; i < batch; i++) {
		if (fds[i] < 0)
			errors++;
		else
			close(fds[i]);
	}
	free(names);
	free(fds);
	return (double)elapsed / batch;
}

/* One batch of NOP ioctls; returns ns per call. */
static double nop_batch(int batch)
{
	int64_t start = now_ns();
	int i;

	for (i = 0; i < batch; i++)
		errors += ioctl(devfd, RTSYNC_IOC_NOP) != 0;
	return (double)(now_ns() - start) / batch;
}

/* A field of /proc/meminfo in kB; -1 if absent. */
static long meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	size_t len = strlen(field);
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

struct slab_cache {
	char name[64];
	long objs;
	long objsize;
};

/* Snapshot of /proc/slabinfo; returns the number of caches read. */
static int read_slabinfo(struct slab_cache *c, int max)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	long active;
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %ld %ld", c[n].name, &active,
			   &c[n].objs, &c[n].objsize) == 4)
			n++;
	}
	fclose(f);
	return n;
}

/*
 * Print the caches that grew by 64 kB or more, and return the growth of
 * all caches in bytes: what SUnreclaim grew beyond that went straight to
 * the page allocator (kmalloc of more than a page, e.g. a hash table's
 * bucket array).
 */
static long show_slab_growth(const struct slab_cache *before, int nb,
			     const struct slab_cache *after, int na, long objects)
{
	long grown, total = 0;
	int i, j;

	for (i = 0; i < na; i++) {
		grown = after[i].objs;
		for (j = 0; j < nb; j++)
			if (!strcmp(before[j].name, after[i].name)) {
				grown -= before[j].objs;
				break;
			}
		total += grown * after[i].objsize;
		if (grown * after[i].objsize >= 64 * 1024)
			diag("open scaling: slab %s grew by %ld objects of %ld B (%.1f B per rtsync object)",
			     after[i].name, grown, after[i].objsize,
			     (double)grown * after[i].objsize / objects);
	}
	return total;
}

int main(void)
{
	static struct slab_cache slab_before[MAX_CACHES], slab_after[MAX_CACHES];
	struct samples s[NR_LEVELS] = { 0 }, rel[NR_LEVELS] = { 0 };
	long old_max, old_per_user, unrec0, vmalloc0, unrec1 = 0, vmalloc1 = 0;
	int batch = scaled(1000, 50), visit, level, rep, nb, na = 0;
	unsigned int seed = 12345;
	char label[96], peer[64], runs[96];
	double per_object;
	long slab_grown;

	raise_nofile(batch + 64);
	devfd = open("/dev/rtsync", O_RDWR | O_CLOEXEC);
	if (devfd < 0)
		bail("open /dev/rtsync");
	old_max = read_long(PARAMS "max_objects");
	old_per_user = read_long(PARAMS "max_objects_per_user");
	if (old_max < 0 || old_per_user < 0)
		bail("reading %s", PARAMS);
	if (write_long(PARAMS "max_objects", 4 * MAX_OBJECTS) ||
	    write_long(PARAMS "max_objects_per_user", 4 * MAX_OBJECTS))
		bail("raising the object limits in %s", PARAMS);

	sleep_us(SETTLE_US);
	unrec0 = meminfo_kb("SUnreclaim");
	vmalloc0 = meminfo_kb("VmallocUsed");
	nb = read_slabinfo(slab_before, MAX_CACHES);

	diag("open scaling: %d reps x %d opens per visit; levels 1k, 10k, 100k, 10k, 1k objects",
		 REPS, batch);
	/* Visits: up through every level, then back down. */
	for (visit = 0; visit < 2 * NR_LEVELS - 1; visit++) {
		level = visit < NR_LEVELS ? visit : 2 * NR_LEVELS - 2 - visit;
		if (levels[level] > population)
			grow_to(levels[level]);
		else
			shrink_to(levels[level]);
		if (population == MAX_OBJECTS) {
			sleep_us(SETTLE_US);
			unrec1 = meminfo_kb("SUnreclaim");
			vmalloc1 = meminfo_kb("VmallocUsed");
			na = read_slabinfo(slab_after, MAX_CACHES);
		}
		/* The top level is visited once: give it both visits' reps. */
		for (rep = 0; rep < (level == NR_LEVELS - 1 ? 2 : 1) * REPS; rep++) {
			double open_ns = open_batch(batch, &seed);

			add_sample(&s[level], open_ns);
			add_sample(&rel[level], open_ns / nop_batch(batch));
		}
		diag("open scaling: %ld objects: %.1f ns per open (median so far)",
			 population, samples_median(&s[level]));
	}
	shrink_to(0);
	ok(errors == 0, "open scaling: every open of an existing name succeeded (%ld failed)",
	   errors);
	ok(!write_long(PARAMS "max_objects", old_max) &&
	   !write_long(PARAMS "max_objects_per_user", old_per_user),
	   "open scaling: object limits restored");

	snprintf(runs, sizeof(runs), "%d reps x %d opens, 2 visits; ratio of open/NOP",
		 REPS, batch);
	snprintf(peer, sizeof(peer), "%ld objects", levels[0]);
	for (level = 1; level < NR_LEVELS; level++) {
		snprintf(label, sizeof(label), "open by name, %ld objects", levels[level]);
		print_row("6", label, samples_median(&s[level]), peer,
			  samples_median(&s[0]), "ns",
			  samples_median(&rel[level]) / samples_median(&rel[0]),
			  "<=1.5", runs);
	}

	per_object = (double)((unrec1 - unrec0) + (vmalloc1 - vmalloc0)) * 1024 /
		     MAX_OBJECTS;
	diag("open scaling: %ld objects: SUnreclaim %+ld kB, VmallocUsed %+ld kB",
	     MAX_OBJECTS, unrec1 - unrec0, vmalloc1 - vmalloc0);
	slab_grown = show_slab_growth(slab_before, nb, slab_after, na, MAX_OBJECTS);
	diag("open scaling: outside slab caches (pages, e.g. the name table's buckets): %.1f B per object",
	     ((double)(unrec1 - unrec0) * 1024 - slab_grown) / MAX_OBJECTS);
	snprintf(label, sizeof(label), "kernel memory per object (%d-byte name)",
		 NAME_LEN);
	snprintf(peer, sizeof(peer), "256 B + name and NUL (%d B)", NAME_LEN + 1);
	snprintf(runs, sizeof(runs), "%ld objects; SUnreclaim %+ld kB, VmallocUsed %+ld kB",
		 MAX_OBJECTS, unrec1 - unrec0, vmalloc1 - vmalloc0);
	row("6", label, per_object, peer, 256 + NAME_LEN + 1, "B", "<=1", runs);
	close(devfd);
	return tap_done();
}
