// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The C++ header (userspace/include/rtsync.hpp) in use, as the C tests use
 * librtsync: std::scoped_lock over two named mutexes excluding processes,
 * timeouts on steady_clock and system_clock, owner death, the semaphore
 * (counts, overflow, a wait ended by another process), the condition
 * variable across processes and std::condition_variable_any over an
 * rtsync mutex, and errors both ways: std::system_error from rtsync::*,
 * error() from rtsync::nothrow::*.
 */
#include <rtsync.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using std::chrono::steady_clock;
using std::chrono::system_clock;

static int tap_count, tap_failures;

static bool ok(bool cond, const std::string &what)
{
	std::printf("%s %d - %s\n", cond ? "ok" : "not ok", ++tap_count,
		    what.c_str());
	std::fflush(stdout);
	if (!cond)
		tap_failures++;
	return cond;
}

/* A name unique to this run (each test unlinks its own). */
static std::string name(const char *tag)
{
	return "t-cxx-" + std::to_string(getpid()) + "-" + tag;
}

static void unlink_all(std::initializer_list<std::string> names)
{
	for (const auto &n : names)
		rtsync_unlink(n.c_str());
}

/* Memory shared with forked children. */
template <class T>
static T *shared()
{
	void *p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		std::printf("Bail out! mmap\n");
		std::exit(1);
	}
	return new (p) T();
}

/* Run @fn in a child process; its exit status (0: fn returned 0). */
template <class Fn>
static pid_t fork_child(Fn fn)
{
	std::fflush(stdout);
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	return pid;
}

static int wait_exit(pid_t pid)
{
	int status = 0;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static double ms_since(steady_clock::time_point t0)
{
	return std::chrono::duration<double, std::milli>(steady_clock::now() - t0)
		.count();
}

/* ---- exclusion: std::scoped_lock over two named mutexes ---- */

struct counter {
	long value;
	int inside;
	int overlaps;
};

static void test_scoped_lock_exclusion()
{
	const std::string a = name("xa"), b = name("xb");
	const int procs = 3, rounds = 2000;
	counter *c = shared<counter>();
	pid_t pids[procs];
	int failed = 0;

	rtsync::mutex ma(a.c_str()), mb(b.c_str());
	for (int i = 0; i < procs; i++) {
		pids[i] = fork_child([&] {
			rtsync::mutex m1(a.c_str(), rtsync::open_mode::open_existing);
			rtsync::mutex m2(b.c_str(), rtsync::open_mode::open_existing);

			for (int r = 0; r < rounds; r++) {
				/* half the rounds take them in the other order */
				if (r % 2) {
					std::scoped_lock both(m2, m1);
					c->overlaps += c->inside++ != 0;
					c->value++;
					c->inside--;
				} else {
					std::scoped_lock both(m1, m2);
					c->overlaps += c->inside++ != 0;
					c->value++;
					c->inside--;
				}
			}
			return 0;
		});
	}
	for (pid_t pid : pids)
		failed += wait_exit(pid) != 0;
	ok(failed == 0 && c->value == long(procs) * rounds && c->overlaps == 0,
	   "std::scoped_lock over two named mutexes excludes " +
		   std::to_string(procs) + " processes, both orders: " +
		   std::to_string(c->value) + " increments, " +
		   std::to_string(c->overlaps) + " overlaps, " +
		   std::to_string(failed) + " children failed");
	munmap(c, sizeof(*c));
	unlink_all({ a, b });
}

/* ---- timeouts on both clocks ---- */

static void test_timeouts()
{
	const std::string n = name("t"), s = name("ts");
	rtsync::mutex m(n.c_str());
	rtsync::counting_semaphore<> sem(s.c_str(), 0);
	std::atomic<int> stage{ 0 };
	std::thread holder([&] {
		std::lock_guard<rtsync::mutex> g(m);
		stage = 1;
		while (stage != 2)
			std::this_thread::sleep_for(1ms);
	});

	while (stage != 1)
		std::this_thread::sleep_for(1ms);
	auto t0 = steady_clock::now();
	bool got = m.try_lock_for(50ms);
	double ms = ms_since(t0);
	ok(!got && ms >= 50, "try_lock_for(50ms) on a held mutex: false after " +
				     std::to_string(ms) + " ms");
	t0 = steady_clock::now();
	got = m.try_lock_until(steady_clock::now() + 50ms);
	ms = ms_since(t0);
	ok(!got && ms >= 50, "try_lock_until(steady_clock + 50ms): false after " +
				     std::to_string(ms) + " ms");
	t0 = steady_clock::now();
	got = m.try_lock_until(system_clock::now() + 50ms);
	ms = ms_since(t0);
	ok(!got && ms >= 45, "try_lock_until(system_clock + 50ms): false after " +
				     std::to_string(ms) + " ms");
	ok(!m.try_lock(), "try_lock on a held mutex: false");
	stage = 2;
	holder.join();
	ok(m.try_lock_for(1s), "try_lock_for once it is free: true");
	m.unlock();

	t0 = steady_clock::now();
	got = sem.try_acquire_for(50ms);
	ms = ms_since(t0);
	ok(!got && ms >= 50, "semaphore try_acquire_for(50ms) at 0: false after " +
				     std::to_string(ms) + " ms");
	t0 = steady_clock::now();
	got = sem.try_acquire_until(system_clock::now() + 50ms);
	ms = ms_since(t0);
	ok(!got && ms >= 45,
	   "semaphore try_acquire_until(system_clock + 50ms): false after " +
		   std::to_string(ms) + " ms");
	sem.release();
	ok(sem.try_acquire_until(steady_clock::now() + 1s),
	   "semaphore try_acquire_until with a unit there: true");
	unlink_all({ n, s });
}

/* ---- owner death ---- */

template <class Mutex>
static void test_owner_death(const char *label)
{
	const std::string n = name(label);
	Mutex m(n.c_str());
	pid_t pid = fork_child([&] {
		Mutex mine(n.c_str(), rtsync::open_mode::open_existing);

		mine.lock();
		return 0;	/* exits holding it */
	});

	ok(wait_exit(pid) == 0, std::string(label) + ": the owner exited holding it");
	m.lock();
	ok(m.owner_died() && !m.error(),
	   std::string(label) + ": lock() returns holding it, owner_died() true");
	m.consistent();
	m.unlock();
	ok(!m.owner_died() && !m.error(),
	   std::string(label) + ": consistent() and unlock() clear it");
	ok(m.try_lock() && !m.owner_died(),
	   std::string(label) + ": the next lock is an ordinary one");
	m.unlock();
	unlink_all({ n });
}

/* ---- semaphore ---- */

static void test_semaphore()
{
	const std::string s = name("s"), t = name("s2");
	rtsync::counting_semaphore<5> sem(s.c_str(), 0);
	rtsync::nothrow::binary_semaphore bin(t.c_str(), 1);

	static_assert(rtsync::counting_semaphore<5>::max() == 5);
	sem.release(2);
	ok(sem.try_acquire() && sem.try_acquire() && !sem.try_acquire(),
	   "release(2), then two try_acquire() succeed and the third fails");
	sem.release(5);
	bool threw = false;
	try {
		sem.release(1);
	} catch (const std::system_error &e) {
		threw = e.code() == std::errc::value_too_large;
	}
	ok(threw, "release past max() throws std::system_error(EOVERFLOW)");
	for (int i = 0; i < 5; i++)
		sem.acquire();
	ok(!sem.try_acquire(), "the failed release changed nothing (5 units taken, none left)");

	ok(bin.try_acquire() && !bin.try_acquire(),
	   "nothrow::binary_semaphore: one unit");
	bin.release();
	bin.release();
	ok(bin.error() == std::errc::value_too_large,
	   "nothrow: release past the maximum sets error() to EOVERFLOW (" +
		   bin.error().message() + ")");

	pid_t pid = fork_child([&] {
		rtsync::counting_semaphore<5> mine(s.c_str(), 0,
						   rtsync::open_mode::open_existing);

		mine.acquire();
		return 0;
	});
	std::this_thread::sleep_for(50ms);
	sem.release();
	ok(wait_exit(pid) == 0, "a wait in another process ends with this release");
	unlink_all({ s, t });
}

/* ---- condition variables ---- */

struct flag {
	int ready;
};

static void test_condition()
{
	const std::string mn = name("cm"), cn = name("cv");
	flag *f = shared<flag>();
	rtsync::mutex m(mn.c_str());
	rtsync::condition_variable cv(cn.c_str());

	pid_t pid = fork_child([&] {
		rtsync::mutex cm(mn.c_str(), rtsync::open_mode::open_existing);
		rtsync::condition_variable ccv(cn.c_str(),
					       rtsync::open_mode::open_existing);
		std::unique_lock<rtsync::mutex> lk(cm);

		return ccv.wait_for(lk, 30s, [&] { return f->ready == 1; }) ? 0 : 1;
	});
	std::this_thread::sleep_for(50ms);
	{
		std::unique_lock<rtsync::mutex> lk(m);
		f->ready = 1;
		cv.notify_all();
	}
	ok(wait_exit(pid) == 0,
	   "condition_variable across processes: wait_for(lock, 30s, pred) ends with notify_all");

	std::unique_lock<rtsync::mutex> lk(m);
	auto t0 = steady_clock::now();
	std::cv_status st = cv.wait_for(lk, 50ms);
	ok(st == std::cv_status::timeout && lk.owns_lock() && ms_since(t0) >= 50,
	   "wait_for(50ms) with nobody notifying: timeout, lock held again");
	ok(!cv.wait_until(lk, system_clock::now() + 30ms, [] { return false; }) &&
		   lk.owns_lock(),
	   "wait_until(system_clock, pred false): false, lock held again");
	lk.unlock();

	/* std::condition_variable_any takes any BasicLockable. */
	std::condition_variable_any any;
	bool go = false;
	std::thread t([&] {
		std::lock_guard<rtsync::mutex> g(m);
		go = true;
		any.notify_one();
	});
	{
		std::unique_lock<rtsync::mutex> l2(m);
		ok(any.wait_for(l2, 30s, [&] { return go; }),
		   "std::condition_variable_any over an rtsync::mutex");
	}
	t.join();
	munmap(f, sizeof(*f));
	unlink_all({ mn, cn });
}

/* ---- errors both ways ---- */

static void test_errors()
{
	const std::string missing = name("missing"), n = name("e"), r = name("r");
	int code = 0;

	try {
		rtsync::mutex m(missing.c_str(), rtsync::open_mode::open_existing);
	} catch (const std::system_error &e) {
		code = e.code().value();
	}
	ok(code == ENOENT, "rtsync::mutex of a missing name throws ENOENT");
	rtsync::nothrow::mutex nm(missing.c_str(), rtsync::open_mode::open_existing);
	ok(!nm && nm.error() == std::errc::no_such_file_or_directory,
	   "nothrow::mutex of a missing name: false, error() ENOENT");

	rtsync::mutex m(n.c_str());
	m.lock();
	code = 0;
	try {
		m.lock();
	} catch (const std::system_error &e) {
		code = e.code().value();
	}
	ok(code == EDEADLK,
	   "relocking a non-recursive mutex throws resource_deadlock_would_occur");
	bool other_got_it = true;
	std::thread([&] {
		m.unlock();
		other_got_it = m.try_lock();
	}).join();
	ok(m.error() == std::errc::operation_not_permitted && !other_got_it,
	   "unlock() by another thread does not throw, sets error() EPERM and changes nothing");
	m.unlock();
	std::thread([&] {
		other_got_it = m.try_lock();
		if (other_got_it)
			m.unlock();
	}).join();
	ok(other_got_it, "the owner's unlock() then frees it for another thread");

	rtsync::recursive_mutex rm(r.c_str());
	ok(rm.try_lock() && rm.try_lock() && (rm.unlock(), rm.unlock(), !rm.error()),
	   "recursive_mutex: locked twice, unlocked twice");

	rtsync::mutex moved(std::move(m));
	ok(!m && moved && moved.native_handle() >= 0 && moved.try_lock(),
	   "a moved-from mutex is empty; the fd moved with it");
	moved.unlock();
	unlink_all({ n, r });
}

int main()
{
	test_scoped_lock_exclusion();
	test_timeouts();
	test_owner_death<rtsync::mutex>("death");
	test_owner_death<rtsync::nothrow::recursive_mutex>("death-nothrow-rec");
	test_semaphore();
	test_condition();
	test_errors();
	std::printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}
