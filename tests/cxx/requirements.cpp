// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Compile-time proof that rtsync.hpp's classes meet the standard's named
 * requirements (as far as they can be checked by the compiler), and that
 * the standard library's lock tools accept them. Compiled by
 * tests/cxx/check.sh with g++ and clang++, C++17 and C++20, with and
 * without exceptions (then only rtsync::nothrow exists). Nothing runs.
 */
#include <rtsync.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <type_traits>
#include <utility>
#if __cplusplus >= 202002L
#include <semaphore>
#endif

namespace {

using std::declval;
using ms = std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using wall = std::chrono::system_clock;

/* BasicLockable, Lockable, TimedLockable: the expressions and their types. */
template <class M>
constexpr bool basic_lockable =
	std::is_same_v<decltype(declval<M &>().lock()), void> &&
	std::is_same_v<decltype(declval<M &>().unlock()), void>;

/* Beyond the standard: unlock() never throws (it runs in destructors). */
template <class M>
constexpr bool unlock_noexcept = noexcept(declval<M &>().unlock());

template <class M>
constexpr bool lockable =
	basic_lockable<M> &&
	std::is_same_v<decltype(declval<M &>().try_lock()), bool>;

template <class M>
constexpr bool timed_lockable =
	lockable<M> &&
	std::is_same_v<decltype(declval<M &>().try_lock_for(ms(1))), bool> &&
	std::is_same_v<decltype(declval<M &>().try_lock_until(steady::now())), bool> &&
	std::is_same_v<decltype(declval<M &>().try_lock_until(wall::now())), bool>;

/* Move-only RAII ownership of the fd. */
template <class T>
constexpr bool move_only =
	!std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T> &&
	std::is_nothrow_move_constructible_v<T> &&
	std::is_nothrow_move_assignable_v<T> &&
	std::is_same_v<decltype(declval<const T &>().native_handle()), int> &&
	std::is_constructible_v<bool, const T &> &&
	!std::is_convertible_v<const T &, bool>;	/* explicit */

/* std::counting_semaphore's members, with its types. */
template <class S>
constexpr bool semaphore_like =
	std::is_same_v<decltype(declval<S &>().release()), void> &&
	std::is_same_v<decltype(declval<S &>().release(std::ptrdiff_t(2))), void> &&
	std::is_same_v<decltype(declval<S &>().acquire()), void> &&
	std::is_same_v<decltype(declval<S &>().try_acquire()), bool> &&
	std::is_same_v<decltype(declval<S &>().try_acquire_for(ms(1))), bool> &&
	std::is_same_v<decltype(declval<S &>().try_acquire_until(steady::now())), bool> &&
	std::is_same_v<decltype(declval<S &>().try_acquire_until(wall::now())), bool> &&
	std::is_same_v<decltype(S::max()), std::ptrdiff_t>;

/* A predicate (a lambda cannot appear in decltype before C++20). */
struct always {
	bool operator()() const { return true; }
};

/* std::condition_variable's members over unique_lock<its mutex>. */
template <class CV>
constexpr bool condition_like =
	std::is_same_v<decltype(declval<CV &>().wait(
			       declval<std::unique_lock<typename CV::mutex_type> &>())),
		       void> &&
	std::is_same_v<decltype(declval<CV &>().wait_for(
			       declval<std::unique_lock<typename CV::mutex_type> &>(), ms(1))),
		       std::cv_status> &&
	std::is_same_v<decltype(declval<CV &>().wait_until(
			       declval<std::unique_lock<typename CV::mutex_type> &>(),
			       wall::now(), always())),
		       bool> &&
	noexcept(declval<CV &>().notify_one()) &&
	noexcept(declval<CV &>().notify_all());

namespace nt = rtsync::nothrow;

static_assert(timed_lockable<nt::mutex> && timed_lockable<nt::recursive_mutex>);
static_assert(unlock_noexcept<nt::mutex> && unlock_noexcept<nt::recursive_mutex>);
static_assert(move_only<nt::mutex> && move_only<nt::recursive_mutex> &&
	      move_only<nt::counting_semaphore<>> && move_only<nt::condition_variable>);
static_assert(semaphore_like<nt::counting_semaphore<>> &&
	      semaphore_like<nt::binary_semaphore>);
static_assert(nt::binary_semaphore::max() == 1 &&
	      nt::counting_semaphore<>::max() == RTSYNC_SEM_VALUE_MAX);
static_assert(condition_like<nt::condition_variable>);
static_assert(std::is_same_v<decltype(declval<const nt::mutex &>().error()),
			     std::error_code>);

#if RTSYNC_HPP_EXCEPTIONS
static_assert(timed_lockable<rtsync::mutex> &&
	      timed_lockable<rtsync::recursive_mutex>);
static_assert(unlock_noexcept<rtsync::mutex>);
static_assert(move_only<rtsync::mutex> && move_only<rtsync::counting_semaphore<4>> &&
	      move_only<rtsync::condition_variable>);
static_assert(semaphore_like<rtsync::counting_semaphore<>> &&
	      semaphore_like<rtsync::binary_semaphore>);
static_assert(condition_like<rtsync::condition_variable>);
#endif

#if __cplusplus >= 202002L
/* The reference: the same checks hold for the standard's own classes. */
static_assert(semaphore_like<std::counting_semaphore<>>);
static_assert(timed_lockable<std::timed_mutex>);
#endif

/* The lock tools instantiated over the classes (never called). */
template <class M, class CV>
[[maybe_unused]] void uses(M &a, M &b, CV &cv)
{
	{
		std::lock_guard<M> g(a);
	}
	{
		std::scoped_lock both(a, b);
	}
	{
		std::unique_lock<M> u(a, ms(5));
		std::unique_lock<M> v(b, std::try_to_lock);
		std::condition_variable_any any;
		any.wait_for(u, ms(1));
		std::lock(u, v);
	}
	{
		std::unique_lock<typename CV::mutex_type> u(a);
		cv.wait(u, [] { return true; });
		cv.wait_for(u, ms(1), [] { return true; });
	}
}

template void uses<nt::mutex, nt::condition_variable>(nt::mutex &, nt::mutex &,
						      nt::condition_variable &);
#if RTSYNC_HPP_EXCEPTIONS
template void uses<rtsync::mutex, rtsync::condition_variable>(
	rtsync::mutex &, rtsync::mutex &, rtsync::condition_variable &);
#endif

} /* namespace */
