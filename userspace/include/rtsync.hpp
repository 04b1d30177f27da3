/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * rtsync.hpp - C++17 classes over librtsync: named, cross-process mutexes,
 * semaphores and condition variables that the standard library's lock
 * tools accept.
 *
 *   rtsync::mutex, rtsync::recursive_mutex
 *       Lockable and TimedLockable (lock, try_lock, unlock, try_lock_for,
 *       try_lock_until): std::lock_guard, std::unique_lock, std::scoped_lock
 *       over several of them, std::condition_variable_any. Owned by the
 *       locking thread, priority inheritance; owner death: lock() returns
 *       holding it and owner_died() is true until consistent().
 *   rtsync::counting_semaphore<N>, rtsync::binary_semaphore
 *       std::counting_semaphore's interface (acquire, try_acquire,
 *       try_acquire_for/until, release(n), max()).
 *   rtsync::condition_variable
 *       std::condition_variable's interface over std::unique_lock<
 *       rtsync::mutex>: the kernel's condition variable, shared by name.
 *
 * Each object is found by name (1..255 bytes, no '/'); the constructor
 * opens it, creating it as asked (open_mode), and the object owns the file
 * descriptor (move-only; native_handle() gives it to librtsync calls).
 * Clocks: std::chrono::steady_clock deadlines are CLOCK_MONOTONIC ones,
 * system_clock deadlines CLOCK_REALTIME ones; any other clock is measured
 * against steady_clock when the call starts.
 *
 * Errors. The classes above throw std::system_error (generic_category,
 * the errno value) when a call fails. The same classes in namespace
 * rtsync::nothrow never throw (and are all there is when the compiler
 * runs without exceptions, -fno-exceptions): a failed call returns false
 * or does nothing, and error() tells why; a constructor that failed leaves
 * an object that converts to false. In both, unlock() never throws (it runs
 * in destructors): a failed unlock (EPERM, not the owner) only sets
 * error(). A wait interrupted by a signal is resumed with the same
 * deadline, as the standard's waits are.
 *
 * Link with librtsync (pkg-config --cflags --libs rtsync).
 */
#ifndef RTSYNC_HPP
#define RTSYNC_HPP

#include <rtsync.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <system_error>
#include <type_traits>
#include <utility>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define RTSYNC_HPP_EXCEPTIONS 1
#else
#define RTSYNC_HPP_EXCEPTIONS 0
#endif

namespace rtsync {

/* How a constructor opens its object. */
enum class open_mode {
	open_existing,	/* the name must exist (ENOENT otherwise) */
	create,		/* open it, creating it if needed (O_CREAT) */
	create_new,	/* create it; EEXIST if it exists (O_CREAT | O_EXCL) */
};

/* Error policies: the first argument of the basic_* templates. */
struct throw_errors {};	/* failures throw std::system_error */
struct error_codes {};	/* failures set error(), never throw */

namespace detail {

inline int oflag(open_mode how) noexcept
{
	switch (how) {
	case open_mode::open_existing:
		return 0;
	case open_mode::create:
		return O_CREAT;
	case open_mode::create_new:
		break;
	}
	return O_CREAT | O_EXCL;
}

/* @tp as a kernel deadline: its clock and its time on that clock. */
template <class Clock, class Duration>
void to_deadline(const std::chrono::time_point<Clock, Duration> &tp,
		 clockid_t &clock, timespec &ts)
{
	using namespace std::chrono;
	nanoseconds since;

	if constexpr (std::is_same_v<Clock, system_clock>) {
		clock = CLOCK_REALTIME;
		since = duration_cast<nanoseconds>(tp.time_since_epoch());
	} else if constexpr (std::is_same_v<Clock, steady_clock>) {
		clock = CLOCK_MONOTONIC;
		since = duration_cast<nanoseconds>(tp.time_since_epoch());
	} else {
		/* Another clock: its distance to the deadline, now. */
		const auto left = duration_cast<nanoseconds>(tp - Clock::now());
		to_deadline(steady_clock::now() + left, clock, ts);
		return;
	}
	if (since.count() < 0)
		since = nanoseconds::zero();
	ts.tv_sec = static_cast<time_t>(since.count() / 1000000000);
	ts.tv_nsec = static_cast<long>(since.count() % 1000000000);
}

/* The file descriptor of one object, its last error and the policy. */
template <class Errors>
class handle {
	static_assert(std::is_same_v<Errors, throw_errors> ||
		      std::is_same_v<Errors, error_codes>,
		      "Errors is rtsync::throw_errors or rtsync::error_codes");
	static_assert(RTSYNC_HPP_EXCEPTIONS ||
		      !std::is_same_v<Errors, throw_errors>,
		      "without exceptions, use the classes of rtsync::nothrow");

public:
	handle(const handle &) = delete;
	handle &operator=(const handle &) = delete;

	handle(handle &&other) noexcept
		: fd_(std::exchange(other.fd_, -1)), error_(other.error_)
	{
	}

	handle &operator=(handle &&other) noexcept
	{
		if (this != &other) {
			close();
			fd_ = std::exchange(other.fd_, -1);
			error_ = other.error_;
		}
		return *this;
	}

	~handle() { close(); }

	/* The object's file descriptor, for librtsync calls and poll(). */
	int native_handle() const noexcept { return fd_; }

	/* False when the constructor failed (rtsync::nothrow) or after a move. */
	explicit operator bool() const noexcept { return fd_ >= 0; }

	/* Why the last call that failed did (empty if none failed). */
	std::error_code error() const noexcept { return error_; }

protected:
	handle() noexcept = default;

	/* Keep @fd, or fail with errno (an open function's -1). */
	void opened(int fd, const char *what)
	{
		if (fd < 0)
			fail(errno, what);
		else
			fd_ = fd;
	}

	/* Record @err; throw it under throw_errors. Returns false. */
	bool fail(int err, const char *what)
	{
		error_.assign(err, std::generic_category());
#if RTSYNC_HPP_EXCEPTIONS
		if constexpr (std::is_same_v<Errors, throw_errors>)
			throw std::system_error(error_, what);
#endif
		(void)what;
		return false;
	}

	/* Record @err without throwing (for unlock()). */
	void note(int err) noexcept
	{
		error_.assign(err, std::generic_category());
	}

	void close() noexcept
	{
		if (fd_ >= 0)
			rtsync_close(std::exchange(fd_, -1));
	}

	int fd_ = -1;
	std::error_code error_;
};

/* Call @call until it returns something else than EINTR. */
template <class Call>
int resume_after_signals(Call call)
{
	int err;

	do {
		err = call();
	} while (err == EINTR);
	return err;
}

/*
 * A timed librtsync call, @call(fd, clock, deadline), with @abs as its
 * deadline, resumed after signals with that same deadline.
 */
template <class Clock, class Duration>
int timed_call(int (*call)(int, clockid_t, const timespec *), int fd,
	       const std::chrono::time_point<Clock, Duration> &abs)
{
	clockid_t clock;
	timespec ts;

	to_deadline(abs, clock, ts);
	return resume_after_signals([&] { return call(fd, clock, &ts); });
}

} /* namespace detail */

template <class Errors>
class basic_condition_variable;

/*
 * A named rtsync mutex: Lockable and TimedLockable. @Recursive: the owner
 * may lock it again (unlock as often); else a relock fails with EDEADLK,
 * as does a lock that would close a cycle of rtsync mutexes.
 */
template <class Errors, bool Recursive>
class basic_mutex : public detail::handle<Errors> {
public:
	explicit basic_mutex(const char *name,
			     open_mode how = open_mode::create,
			     mode_t mode = 0600)
	{
		this->opened(rtsync_mutex_open(name, detail::oflag(how), mode,
					       Recursive ? RTSYNC_RECURSIVE : 0),
			     "rtsync_mutex_open");
	}

	basic_mutex(basic_mutex &&) noexcept = default;
	basic_mutex &operator=(basic_mutex &&) noexcept = default;

	/* Sleep until acquired (a failure: EDEADLK, ENOTRECOVERABLE, ...). */
	void lock()
	{
		const int fd = this->fd_;

		acquired(detail::resume_after_signals(
				 [fd] { return rtsync_mutex_lock(fd); }),
			 "rtsync_mutex_lock");
	}

	bool try_lock()
	{
		const int err = rtsync_mutex_trylock(this->fd_);

		return err != EBUSY && acquired(err, "rtsync_mutex_trylock");
	}

	template <class Rep, class Period>
	bool try_lock_for(const std::chrono::duration<Rep, Period> &rel)
	{
		return try_lock_until(std::chrono::steady_clock::now() + rel);
	}

	template <class Clock, class Duration>
	bool try_lock_until(const std::chrono::time_point<Clock, Duration> &abs)
	{
		const int err = detail::timed_call(rtsync_mutex_timedlock,
						   this->fd_, abs);

		return err != ETIMEDOUT && acquired(err, "rtsync_mutex_timedlock");
	}

	/* Never throws: it runs in lock_guard's and unique_lock's destructors. */
	void unlock() noexcept
	{
		const int err = rtsync_mutex_unlock(this->fd_);

		if (err)
			this->note(err);
		else
			owner_died_ = false;
	}

	/*
	 * True while the caller holds a mutex whose previous owner died
	 * holding it: repair the state it protects, then consistent().
	 * Unlocking without that makes the mutex unrecoverable.
	 */
	bool owner_died() const noexcept { return owner_died_; }

	void consistent()
	{
		const int err = rtsync_mutex_consistent(this->fd_);

		if (err)
			this->fail(err, "rtsync_mutex_consistent");
		else
			owner_died_ = false;
	}

private:
	friend class basic_condition_variable<Errors>;

	/* The end of a lock call: 0 or EOWNERDEAD hold the mutex. */
	bool acquired(int err, const char *what)
	{
		if (err == EOWNERDEAD) {
			owner_died_ = true;
			return true;
		}
		if (err)
			return this->fail(err, what);
		return true;
	}

	/* Written by the owner only, under the mutex. */
	bool owner_died_ = false;
};

/* A named rtsync semaphore with std::counting_semaphore's interface. */
template <class Errors, std::ptrdiff_t LeastMaxValue = RTSYNC_SEM_VALUE_MAX>
class basic_counting_semaphore : public detail::handle<Errors> {
	static_assert(LeastMaxValue >= 1 && LeastMaxValue <= RTSYNC_SEM_VALUE_MAX,
		      "an rtsync semaphore's maximum is 1..RTSYNC_SEM_VALUE_MAX");

public:
	/* @desired: the count of a new semaphore (an existing one keeps its). */
	basic_counting_semaphore(const char *name, std::ptrdiff_t desired,
				 open_mode how = open_mode::create,
				 mode_t mode = 0600)
	{
		if (desired < 0 || desired > LeastMaxValue) {
			this->fail(EINVAL, "rtsync_sem_open");
			return;
		}
		this->opened(rtsync_sem_open(name, detail::oflag(how), mode,
					     static_cast<unsigned int>(desired),
					     static_cast<unsigned int>(LeastMaxValue)),
			     "rtsync_sem_open");
	}

	basic_counting_semaphore(basic_counting_semaphore &&) noexcept = default;
	basic_counting_semaphore &
	operator=(basic_counting_semaphore &&) noexcept = default;

	static constexpr std::ptrdiff_t max() noexcept { return LeastMaxValue; }

	/* Add @update units (EOVERFLOW past the maximum: nothing changes). */
	void release(std::ptrdiff_t update = 1)
	{
		int err = EINVAL;

		if (update >= 1 && update <= LeastMaxValue)
			err = rtsync_sem_post(this->fd_,
					      static_cast<unsigned int>(update),
					      nullptr);
		if (err)
			this->fail(err, "rtsync_sem_post");
	}

	void acquire()
	{
		const int fd = this->fd_;
		const int err = detail::resume_after_signals(
			[fd] { return rtsync_sem_wait(fd); });

		if (err)
			this->fail(err, "rtsync_sem_wait");
	}

	bool try_acquire() noexcept(std::is_same_v<Errors, error_codes>)
	{
		const int err = rtsync_sem_trywait(this->fd_);

		return err != EAGAIN && (!err || this->fail(err, "rtsync_sem_trywait"));
	}

	template <class Rep, class Period>
	bool try_acquire_for(const std::chrono::duration<Rep, Period> &rel)
	{
		return try_acquire_until(std::chrono::steady_clock::now() + rel);
	}

	template <class Clock, class Duration>
	bool try_acquire_until(const std::chrono::time_point<Clock, Duration> &abs)
	{
		const int err = detail::timed_call(rtsync_sem_timedwait,
						   this->fd_, abs);

		return err != ETIMEDOUT &&
		       (!err || this->fail(err, "rtsync_sem_timedwait"));
	}
};

/*
 * A named rtsync condition variable, used with std::unique_lock over the
 * rtsync mutex of the same policy, held once. A wait that cannot take the
 * mutex back (ENOTRECOVERABLE, EDEADLK) fails with the lock released from
 * @lock (lock.owns_lock() is false).
 */
template <class Errors>
class basic_condition_variable : public detail::handle<Errors> {
public:
	using mutex_type = basic_mutex<Errors, false>;

	explicit basic_condition_variable(const char *name,
					  open_mode how = open_mode::create,
					  mode_t mode = 0600)
	{
		this->opened(rtsync_cond_open(name, detail::oflag(how), mode),
			     "rtsync_cond_open");
	}

	basic_condition_variable(basic_condition_variable &&) noexcept = default;
	basic_condition_variable &
	operator=(basic_condition_variable &&) noexcept = default;

	void notify_one() noexcept { rtsync_cond_signal(this->fd_); }
	void notify_all() noexcept { rtsync_cond_broadcast(this->fd_); }

	void wait(std::unique_lock<mutex_type> &lock)
	{
		mutex_type *m = lock.mutex();
		const int cond = this->fd_, fd = m ? m->native_handle() : -1;

		woke(lock, rtsync_cond_wait(cond, fd), "rtsync_cond_wait");
	}

	template <class Predicate>
	void wait(std::unique_lock<mutex_type> &lock, Predicate stop_waiting)
	{
		while (!stop_waiting() && !failed_)
			wait(lock);
	}

	template <class Clock, class Duration>
	std::cv_status
	wait_until(std::unique_lock<mutex_type> &lock,
		   const std::chrono::time_point<Clock, Duration> &abs)
	{
		mutex_type *m = lock.mutex();
		const int cond = this->fd_, fd = m ? m->native_handle() : -1;
		clockid_t clock;
		timespec ts;

		detail::to_deadline(abs, clock, ts);
		return woke(lock, rtsync_cond_timedwait(cond, fd, clock, &ts),
			    "rtsync_cond_timedwait");
	}

	template <class Clock, class Duration, class Predicate>
	bool wait_until(std::unique_lock<mutex_type> &lock,
			const std::chrono::time_point<Clock, Duration> &abs,
			Predicate stop_waiting)
	{
		while (!stop_waiting()) {
			if (wait_until(lock, abs) == std::cv_status::timeout ||
			    failed_)
				return stop_waiting();
		}
		return true;
	}

	template <class Rep, class Period>
	std::cv_status wait_for(std::unique_lock<mutex_type> &lock,
				const std::chrono::duration<Rep, Period> &rel)
	{
		return wait_until(lock, std::chrono::steady_clock::now() + rel);
	}

	template <class Rep, class Period, class Predicate>
	bool wait_for(std::unique_lock<mutex_type> &lock,
		      const std::chrono::duration<Rep, Period> &rel,
		      Predicate stop_waiting)
	{
		return wait_until(lock, std::chrono::steady_clock::now() + rel,
				  std::move(stop_waiting));
	}

private:
	/*
	 * The end of a wait. 0 and EINTR (a signal: a spurious wake-up, as
	 * the standard allows) and EOWNERDEAD hold the mutex again, and so
	 * do ETIMEDOUT; the rest fail, and those that leave the mutex
	 * released detach it from @lock.
	 */
	std::cv_status woke(std::unique_lock<mutex_type> &lock, int err,
			    const char *what)
	{
		failed_ = false;
		switch (err) {
		case 0:
		case EINTR:
			return std::cv_status::no_timeout;
		case ETIMEDOUT:
			return std::cv_status::timeout;
		case EOWNERDEAD:
			lock.mutex()->owner_died_ = true;
			return std::cv_status::no_timeout;
		case ENOTRECOVERABLE:
		case EDEADLK:
			lock.release();
			break;
		default:
			break;
		}
		failed_ = true;
		this->fail(err, what);
		return std::cv_status::no_timeout;
	}

	/* The last wait failed (rtsync::nothrow: ends the predicate loops). */
	bool failed_ = false;
};

#if RTSYNC_HPP_EXCEPTIONS
using mutex = basic_mutex<throw_errors, false>;
using recursive_mutex = basic_mutex<throw_errors, true>;
template <std::ptrdiff_t LeastMaxValue = RTSYNC_SEM_VALUE_MAX>
using counting_semaphore = basic_counting_semaphore<throw_errors, LeastMaxValue>;
using binary_semaphore = counting_semaphore<1>;
using condition_variable = basic_condition_variable<throw_errors>;
#endif

/* The same, reporting failures through error() instead of exceptions. */
namespace nothrow {
using mutex = basic_mutex<error_codes, false>;
using recursive_mutex = basic_mutex<error_codes, true>;
template <std::ptrdiff_t LeastMaxValue = RTSYNC_SEM_VALUE_MAX>
using counting_semaphore = basic_counting_semaphore<error_codes, LeastMaxValue>;
using binary_semaphore = counting_semaphore<1>;
using condition_variable = basic_condition_variable<error_codes>;
} /* namespace nothrow */

} /* namespace rtsync */

#endif /* RTSYNC_HPP */
