// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * poll(), select() and epoll on semaphore fds: POLLIN exactly while the
 * count is above 0 (level-triggered, and polling takes no unit). A process
 * blocked in poll() on two semaphores wakes when another process posts one
 * of them, and only that one is reported; the same for select() and
 * epoll_wait(). A unit handed straight to a sleeper in WAIT leaves the
 * count at 0 and so reports nothing.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "tap.h"
#include "helpers.h"
#include "sem_helpers.h"

#define PATIENCE_MS	30000
#define POST_AFTER_MS	100

/* poll_one - revents of one fd after poll() with timeout_ms, or -errno */
static int poll_one(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

static void test_level(void)
{
	char name[64];
	int fd;

	fd = new_sem(name, sizeof(name), "poll", 0, 5);
	ok(poll_one(fd, 0) == 0, "count 0: no events");
	rtsync_sem_post(fd, 2, NULL);
	ok(poll_one(fd, 0) == POLLIN, "count 2: POLLIN (got %#x)",
	   poll_one(fd, 0));
	ok(poll_one(fd, 0) == POLLIN, "polling again: still POLLIN");
	is_sem(fd, 2, 0, "polling took no unit");
	rtsync_sem_trywait(fd);
	ok(poll_one(fd, 0) == POLLIN, "count 1: POLLIN");
	rtsync_sem_trywait(fd);
	ok(poll_one(fd, 0) == 0, "count 0 again: no events");
	drop_object(fd, name);
}

struct later {
	int fd;
	int delay_ms;
};

static int post_later(void *arg)
{
	struct later *l = arg;

	sleep_ms(l->delay_ms);
	return rtsync_sem_post(l->fd, 1, NULL);
}

/* Another process posts fd after POST_AFTER_MS. */
static pid_t start_poster(int fd)
{
	struct later l = { .fd = fd, .delay_ms = POST_AFTER_MS };

	return start_child(post_later, &l);
}

static void test_poll_two(int which)
{
	struct pollfd p[2];
	char names[2][64];
	int fds[2], n, i;
	int64_t start;
	pid_t pid;

	for (i = 0; i < 2; i++) {
		fds[i] = new_sem(names[i], sizeof(names[i]), "poll", 0, 1);
		p[i].fd = fds[i];
		p[i].events = POLLIN;
		p[i].revents = 0;
	}
	pid = start_poster(fds[which]);
	start = now_ns(CLOCK_MONOTONIC);
	n = poll(p, 2, PATIENCE_MS);
	ok(n == 1, "poll(): one fd ready when semaphore %d is posted (got %d)",
	   which, n);
	ok(ns_to_ms(now_ns(CLOCK_MONOTONIC) - start) >= POST_AFTER_MS - 5,
	   "poll() slept until the post (%.1f ms)",
	   ns_to_ms(now_ns(CLOCK_MONOTONIC) - start));
	ok(p[which].revents == POLLIN && p[!which].revents == 0,
	   "poll(): POLLIN on the posted one only (revents %#x, %#x)",
	   p[0].revents, p[1].revents);
	is_exit(wait_child(pid, 30), 0, "poster finished");
	is_sem(fds[which], 1, 0, "the posted semaphore kept its unit");
	for (i = 0; i < 2; i++)
		drop_object(fds[i], names[i]);
}

static void test_select_two(void)
{
	char names[2][64];
	struct timeval tv = { .tv_sec = PATIENCE_MS / 1000 };
	fd_set rd;
	int fds[2], n, i;
	pid_t pid;

	for (i = 0; i < 2; i++)
		fds[i] = new_sem(names[i], sizeof(names[i]), "poll", 0, 1);
	pid = start_poster(fds[0]);
	FD_ZERO(&rd);
	FD_SET(fds[0], &rd);
	FD_SET(fds[1], &rd);
	n = select((fds[0] > fds[1] ? fds[0] : fds[1]) + 1, &rd, NULL, NULL,
		   &tv);
	ok(n == 1 && FD_ISSET(fds[0], &rd) && !FD_ISSET(fds[1], &rd),
	   "select(): only the posted semaphore is readable (n %d)", n);
	is_exit(wait_child(pid, 30), 0, "poster finished");
	for (i = 0; i < 2; i++)
		drop_object(fds[i], names[i]);
}

static void test_epoll_two(void)
{
	struct epoll_event ev, got[2];
	char names[2][64];
	int fds[2], ep, n, i;
	pid_t pid;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		skip(strerror(errno), "epoll on semaphores");
		return;
	}
	for (i = 0; i < 2; i++) {
		fds[i] = new_sem(names[i], sizeof(names[i]), "poll", 0, 1);
		ev.events = EPOLLIN;
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			bail_out("epoll_ctl");
	}
	n = epoll_wait(ep, got, 2, 0);
	ok(n == 0, "epoll_wait(): nothing ready at count 0 (got %d)", n);
	pid = start_poster(fds[1]);
	n = epoll_wait(ep, got, 2, PATIENCE_MS);
	ok(n == 1 && got[0].data.u32 == 1 && (got[0].events & EPOLLIN),
	   "epoll_wait(): one event, for the posted semaphore (n %d, which %u, events %#x)",
	   n, n > 0 ? got[0].data.u32 : 99, n > 0 ? got[0].events : 0);
	is_exit(wait_child(pid, 30), 0, "poster finished");
	n = epoll_wait(ep, got, 2, 0);
	ok(n == 1, "level-triggered: still reported while the unit is there (n %d)",
	   n);
	rtsync_sem_trywait(fds[1]);
	n = epoll_wait(ep, got, 2, 0);
	ok(n == 0, "not reported once the unit is taken (n %d)", n);
	close(ep);
	for (i = 0; i < 2; i++)
		drop_object(fds[i], names[i]);
}

static int wait_once(void *arg)
{
	return rtsync_sem_wait(*(int *)arg);
}

static void test_unit_to_sleeper(void)
{
	pid_t sleeper, poster;
	char name[64];
	int fd, ev;

	fd = new_sem(name, sizeof(name), "poll", 0, 1);
	sleeper = start_child(wait_once, &fd);
	ok(wait_sem_waiters(fd, 1, PATIENCE_MS) == 1, "a process sleeps in WAIT");
	poster = start_poster(fd);
	ev = poll_one(fd, POST_AFTER_MS + 400);
	ok(ev == 0,
	   "poll() across a post that goes straight to a sleeper: no POLLIN (got %#x)",
	   ev);
	is_exit(wait_child(poster, 30), 0, "poster finished");
	is_exit(wait_child(sleeper, 30), 0, "the sleeper took the unit");
	is_sem(fd, 0, 0, "after the hand-over");
	drop_object(fd, name);
}

int main(void)
{
	test_level();
	test_poll_two(0);
	test_poll_two(1);
	test_select_two();
	test_epoll_two();
	test_unit_to_sleeper();
	return tap_done();
}
