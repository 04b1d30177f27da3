# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Named, cross-process locks over the rtsync kernel module (/dev/rtsync).

The classes behave like their counterparts in Python's threading module
(same methods, arguments, return values and exceptions), but each one is a
kernel object found by name, so unrelated processes share it:

  Lock(name)              threading.Lock: a semaphore with maximum 1; any
                          thread or process may release it.
  RLock(name)             threading.RLock: a recursive rtsync mutex, owned
                          by a thread, with priority inheritance.
  Mutex(name)             a non-recursive owned PI mutex: acquiring it again
                          in its owner thread raises DeadlockError (a
                          RuntimeError with errno EDEADLK), as does an
                          acquire that would close a cycle of rtsync mutexes.
  Semaphore(name, value)  threading.Semaphore.
  BoundedSemaphore(name, value)  threading.BoundedSemaphore.
  Condition(name, lock)   threading.Condition over an rtsync Mutex or RLock.

Every constructor takes create=True (open the object, creating it when it
does not exist; with create=False a missing name raises
FileNotFoundError) and mode=0o600 (permissions of a new object). An
existing object keeps the value and maximum it was created with. Each
object has close() (also on garbage collection), unlink() (removes the
name; the object lives on while open) and `name`.

Owner death (Mutex, RLock): when the thread owning the mutex dies holding
it, the next acquire() still takes it and returns True, but sets
`owner_died` to True and issues an OwnerDiedWarning (warnings.warn), so it
cannot go unnoticed. The holder repairs the protected state and calls
consistent(); releasing without that makes the mutex unrecoverable, and
every later acquire() raises NotRecoverableError.

Timeouts are measured on CLOCK_MONOTONIC; blocking calls release the GIL.
As in threading, a timeout above threading.TIMEOUT_MAX raises
OverflowError.

threading.Condition works over RLock and Mutex too (they have
_is_owned(), _release_save() and _acquire_restore(): a wait releases every
level of an RLock and restores its count), but only between the threads
of one process: its waiters are private locks. Condition is the
cross-process one.

Fork: a child of fork() inherits the open objects and sees exactly what
every other process sees. _at_fork_reinit(), which threading and logging
call on their own locks in a fork child, forgets only this process's view
(owner_died) and never resets the shared object: a Lock taken before the
fork stays taken, and a Mutex or RLock held by a thread of the parent
stays owned by that thread, not by the child.

Statistics: every object has stats(), its kernel counters as an immutable
Stats (contended acquisitions, time waited, timeouts, ...; see Stats),
and reset_stats(), which zeroes them (PermissionError unless the caller
is the object's owner or creator or has CAP_SYS_ADMIN).

asyncio: Lock, Semaphore and BoundedSemaphore have `await
acquire_async(timeout=None)`, which waits through the running event loop
(the object's fd is readable while its count is above 0) instead of
blocking a thread; a wait that is cancelled or times out takes no unit.
"""
import asyncio as _asyncio
import dataclasses as _dataclasses
import errno as _errno
import os as _os
import threading as _threading
import warnings as _warnings
from typing import Any, Callable, Optional, Tuple, TypeVar, Union

from . import _rtsync

_T = TypeVar("_T")
_Timeout = Union[int, float]

__all__ = [
    "Lock", "RLock", "Mutex", "Semaphore", "BoundedSemaphore", "Condition",
    "OwnerDiedWarning", "DeadlockError", "NotRecoverableError", "Stats",
    "SEM_VALUE_MAX",
]

SEM_VALUE_MAX = _rtsync.SEM_VALUE_MAX


class OwnerDiedWarning(RuntimeWarning):
    """An acquire() took a mutex whose previous owner died holding it."""


class DeadlockError(RuntimeError):
    """acquire() refused with EDEADLK: the caller owns the (non-recursive)
    mutex already, or waiting would close a cycle of rtsync mutexes."""

    errno = _errno.EDEADLK


class NotRecoverableError(OSError):
    """The mutex was released after owner death without consistent()."""


def _oserror(err: int, name: Optional[str] = None) -> OSError:
    exc = OSError(err, _os.strerror(err))
    if name is not None:
        exc.filename = name
    return exc


def _oflag(create: bool) -> int:
    return _rtsync.O_CREAT if create else 0


@_dataclasses.dataclass(frozen=True)
class Stats:
    """An object's counters (obj.stats()), since its creation or the last
    reset_stats(); a snapshot, read counter by counter. Times are in
    nanoseconds; `wait`, `wait_max` and `mean_wait` give them in seconds.

    acquisitions  Mutex, RLock: times taken (recursive levels not counted);
                  Lock, Semaphore: units taken; Condition: waits woken by
                  notify() or notify_all()
    contended     of those, the ones that had to wait first
    wait_ns       total time waited, whatever the outcome (timeouts too)
    wait_max_ns   the longest of those waits
    hold_max_ns   Mutex, RLock: the longest time held, measured only while
                  the module parameter hold_time is on; else None
    posts         Lock, Semaphore: successful releases; Condition:
                  signals (notify(n) counts n, notify_all() 1); Mutex,
                  RLock: 0
    timeouts      waits that timed out
    deadlocks     Mutex, RLock: acquires refused with DeadlockError
    owner_deaths  Mutex, RLock: owners that died holding it
    max_sleepers  Lock, Semaphore, Condition: most waiters at once;
                  Mutex, RLock: 0 (see `waiters`)
    """

    acquisitions: int
    contended: int
    wait_ns: int
    wait_max_ns: int
    hold_max_ns: Optional[int]
    posts: int
    timeouts: int
    deadlocks: int
    owner_deaths: int
    max_sleepers: int

    @property
    def wait(self) -> float:
        """wait_ns in seconds."""
        return self.wait_ns / 1e9

    @property
    def wait_max(self) -> float:
        """wait_max_ns in seconds."""
        return self.wait_max_ns / 1e9

    @property
    def mean_wait(self) -> Optional[float]:
        """Seconds waited per contended acquisition (wait / contended), or
        None when none was contended. Waits that timed out add their time
        to wait but not to contended."""
        if not self.contended:
            return None
        return self.wait_ns / self.contended / 1e9


class _Object:
    """An open rtsync object: its fd, name, close() and unlink()."""

    _fd = -1

    def __init__(self, name: str, fd: int) -> None:
        self.name = name
        self._fd = fd

    def fileno(self) -> int:
        """The object's file descriptor (poll-able)."""
        self._check_open()
        return self._fd

    def _check_open(self) -> None:
        if self._fd < 0:
            raise ValueError("rtsync object is closed")

    def close(self) -> None:
        """Close this process's handle; the object lives on elsewhere."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            _rtsync.close(fd)

    def unlink(self) -> None:
        """Remove the name; open handles keep working."""
        err = _rtsync.unlink(self.name)
        if err:
            raise _oserror(err, self.name)

    def __del__(self) -> None:
        self.close()

    # Whether the kernel times how long the object is held (mutexes only,
    # while the module parameter hold_time is on).
    _hold_timed = False

    def stats(self) -> Stats:
        """The object's counters, as every process sees them (Stats)."""
        self._check_open()
        (err, acquisitions, contended, wait_ns, wait_max_ns, hold_max_ns,
         posts, timeouts, deadlocks, owner_deaths, max_sleepers,
         flags) = _rtsync.stats(self._fd)
        if err:
            raise _oserror(err)
        measured = self._hold_timed and bool(flags & _rtsync.STATS_HOLD_TIME)
        return Stats(acquisitions=acquisitions, contended=contended,
                     wait_ns=wait_ns, wait_max_ns=wait_max_ns,
                     hold_max_ns=hold_max_ns if measured else None,
                     posts=posts, timeouts=timeouts, deadlocks=deadlocks,
                     owner_deaths=owner_deaths, max_sleepers=max_sleepers)

    def reset_stats(self) -> None:
        """Zero the object's counters, for every process. PermissionError
        unless the caller is the object's owner or creator or has
        CAP_SYS_ADMIN."""
        self._check_open()
        err = _rtsync.stats_reset(self._fd)
        if err:
            raise _oserror(err, self.name)

    def _kind(self) -> str:
        return "%s.%s" % (self.__module__, type(self).__qualname__)

    def _state(self) -> str:
        """What threading's repr shows of the object ("locked" and such)."""
        return ""

    def __repr__(self) -> str:
        # threading's shape, with the name: "<locked rtsync.Lock object
        # 'x' at 0x...>"; "closed" once closed.
        if self._fd < 0:
            return "<closed %s object %r at %#x>" % (self._kind(), self.name,
                                                    id(self))
        return "<%s>" % self._state()

    def _at_fork_reinit(self) -> None:
        """Called by threading and logging in a fork child: the object is
        shared, so nothing of it is reset (see the module's docstring)."""


def _check_timeout_max(timeout: float) -> None:
    if timeout > _threading.TIMEOUT_MAX:
        raise OverflowError("timeout value is too large")


def _lock_timeout(blocking: bool, timeout: _Timeout) -> float:
    """threading.Lock.acquire's argument checks; the C layer's timeout."""
    if not blocking:
        if timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0.0
    if timeout < 0 and timeout != -1:
        raise ValueError("timeout value must be a non-negative number")
    _check_timeout_max(timeout)
    return float(timeout)


# ---------------------------------------------------------------------------
# Semaphores (and Lock, a semaphore with maximum 1)

class _SemObject(_Object):
    def __init__(self, name: str, value: int, maximum: int, create: bool,
                 mode: int) -> None:
        fd = _rtsync.sem_open(name, _oflag(create), mode, value, maximum)
        super().__init__(name, fd)

    def _wait(self, timeout: float) -> bool:
        self._check_open()
        err = _rtsync.sem_wait(self._fd, timeout)
        if err == 0:
            return True
        if err in (_errno.EAGAIN, _errno.ETIMEDOUT):
            return False
        raise _oserror(err)

    def _post(self, n: int) -> int:
        self._check_open()
        return _rtsync.sem_post(self._fd, n)[0]

    async def acquire_async(self, timeout: Optional[_Timeout] = None) -> bool:
        """Take one unit, waiting through the running asyncio event loop
        (the fd is readable while the count is above 0) for at most
        `timeout` seconds (None: no limit). True when a unit was taken,
        False on timeout. A cancelled wait takes no unit."""
        if timeout is not None:
            _check_timeout_max(timeout)
        if self._wait(0.0):
            return True
        if timeout is not None and timeout <= 0:
            return False
        loop = _asyncio.get_running_loop()
        fut = loop.create_future()
        # A descriptor of its own: an event loop has one reader per fd,
        # and other waits on this object may be pending at the same time.
        fd = _os.dup(self.fileno())

        def readable() -> None:
            # Level-triggered: called again while the count stays above 0
            # and another process takes it first.
            if fut.done():
                return
            try:
                if self._wait(0.0):
                    fut.set_result(True)
            except Exception as exc:  # noqa: BLE001 - handed to the waiter
                fut.set_exception(exc)

        def expired() -> None:
            if not fut.done():
                fut.set_result(False)

        timer = None
        try:
            loop.add_reader(fd, readable)
            if timeout is not None:
                timer = loop.call_later(timeout, expired)
            return bool(await fut)
        except _asyncio.CancelledError:
            # Cancelled after readable() took a unit but before this
            # coroutine resumed: give the unit back.
            if fut.done() and not fut.cancelled() and \
                    fut.exception() is None and fut.result():
                self._post(1)
            raise
        finally:
            if timer is not None:
                timer.cancel()
            loop.remove_reader(fd)
            _os.close(fd)

    def _info(self) -> Tuple[int, int, int]:
        self._check_open()
        err, value, maximum, waiters, _flags = _rtsync.sem_info(self._fd)
        if err:
            raise _oserror(err)
        return value, maximum, waiters

    @property
    def waiters(self) -> int:
        """How many threads wait on the semaphore (a snapshot)."""
        return self._info()[2]

    @property
    def value(self) -> int:
        """The current count (a snapshot)."""
        return self._info()[0]

    @property
    def max(self) -> int:
        """The largest count the semaphore can reach."""
        return self._info()[1]


class Lock(_SemObject):
    """threading.Lock, shared by name: a semaphore with maximum 1.

    Like threading.Lock it has no owner: any thread of any process may
    release it. `owner` is therefore always None."""

    def __init__(self, name: str, create: bool = True,
                 mode: int = 0o600) -> None:
        super().__init__(name, 1, 1, create, mode)

    def acquire(self, blocking: bool = True, timeout: _Timeout = -1) -> bool:
        return self._wait(_lock_timeout(blocking, timeout))

    def release(self) -> None:
        err = self._post(1)
        if err == _errno.EOVERFLOW:
            raise RuntimeError("release unlocked lock")
        if err:
            raise _oserror(err)

    def locked(self) -> bool:
        return self._info()[0] == 0

    owner = None

    def _state(self) -> str:
        return "%s %s object %r at %#x" % (
            "locked" if self.locked() else "unlocked", self._kind(),
            self.name, id(self))

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked


class Semaphore(_SemObject):
    """threading.Semaphore, shared by name.

    value is the initial count of a new semaphore; its maximum is `max`
    (default SEM_VALUE_MAX). Releasing past the maximum raises OSError
    (EOVERFLOW) and changes nothing."""

    def __init__(self, name: str, value: int = 1, create: bool = True,
                 mode: int = 0o600, max: int = SEM_VALUE_MAX) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        super().__init__(name, value, max, create, mode)

    def acquire(self, blocking: bool = True,
                timeout: Optional[_Timeout] = None) -> bool:
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        if not blocking:
            return self._wait(0.0)
        if timeout is None:
            return self._wait(-1.0)
        # As threading: a timeout too large for a wait fails only if the
        # call has to wait; a negative one means "do not wait".
        if self._wait(0.0):
            return True
        _check_timeout_max(timeout)
        return self._wait(max(float(timeout), 0.0))

    __enter__ = acquire

    def release(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError("n must be one or more")
        err = self._post(n)
        if err:
            self._overflow(err)

    def _overflow(self, err: int) -> None:
        raise _oserror(err)

    def _state(self) -> str:
        return "%s %r at %#x: value=%d" % (self._kind(), self.name, id(self),
                                           self.value)

    def __exit__(self, *exc: Any) -> None:
        self.release()


class BoundedSemaphore(Semaphore):
    """threading.BoundedSemaphore, shared by name: the initial value is
    also the maximum; releasing past it raises ValueError, nothing changed.
    (value=0 cannot be created: rtsync semaphores have a maximum >= 1.)"""

    def __init__(self, name: str, value: int = 1, create: bool = True,
                 mode: int = 0o600) -> None:
        super().__init__(name, value, create, mode, max=value)

    def _overflow(self, err: int) -> None:
        if err == _errno.EOVERFLOW:
            raise ValueError("Semaphore released too many times")
        raise _oserror(err)

    def _state(self) -> str:
        value, maximum, _waiters = self._info()
        return "%s %r at %#x: value=%d/%d" % (self._kind(), self.name,
                                              id(self), value, maximum)


# ---------------------------------------------------------------------------
# Mutexes: owned by a thread, priority inheritance, owner-death detection

class _MutexObject(_Object):
    _recursive = 0
    _hold_timed = True
    owner_died = False

    def __init__(self, name: str, create: bool = True,
                 mode: int = 0o600) -> None:
        fd = _rtsync.mutex_open(name, _oflag(create), mode, self._recursive)
        super().__init__(name, fd)

    def acquire(self, blocking: bool = True, timeout: _Timeout = -1) -> bool:
        timeout = _lock_timeout(blocking, timeout)
        self._check_open()
        err = _rtsync.mutex_lock(self._fd, timeout)
        if err == 0:
            return True
        if err in (_errno.EBUSY, _errno.ETIMEDOUT):
            return False
        if err == _errno.EOWNERDEAD:
            self.owner_died = True
            _warnings.warn("rtsync mutex %r: its previous owner died holding "
                           "it; repair the state it protects, then call "
                           "consistent()" % self.name, OwnerDiedWarning,
                           stacklevel=2)
            return True
        if err == _errno.EDEADLK:
            raise DeadlockError(_errno.EDEADLK,
                                "acquiring would deadlock: %s" % _os.strerror(err))
        if err == _errno.ENOTRECOVERABLE:
            raise NotRecoverableError(err, _os.strerror(err), self.name)
        raise _oserror(err)

    def release(self) -> None:
        self._check_open()
        err = _rtsync.mutex_unlock(self._fd)
        if err == _errno.EPERM:
            raise RuntimeError("cannot release un-acquired lock")
        if err:
            raise _oserror(err)
        self.owner_died = False

    def consistent(self) -> None:
        """Mark the mutex good again after an owner-death acquire()."""
        self._check_open()
        err = _rtsync.mutex_consistent(self._fd)
        if err == _errno.EPERM:
            raise RuntimeError("cannot mark an un-acquired lock consistent")
        if err == _errno.EINVAL:
            raise RuntimeError("the mutex is not inconsistent")
        if err:
            raise _oserror(err)
        self.owner_died = False

    def _info(self) -> Tuple[int, int, int, int, int, int]:
        self._check_open()
        info = _rtsync.mutex_info(self._fd)
        if info[0]:
            raise _oserror(info[0])
        return info

    @property
    def owner(self) -> Optional[int]:
        """Native thread id (threading.get_native_id()) of the owner, or
        None when free (or the owner is not visible from here)."""
        return self._info()[1] or None

    @property
    def waiters(self) -> int:
        """How many threads wait for the mutex (a snapshot)."""
        return self._info()[3]

    def locked(self) -> bool:
        return self.owner is not None

    def _is_owned(self) -> bool:
        return self.owner == _threading.get_native_id()

    def _recursion_count(self) -> int:
        """How many times the calling thread holds it (0: not its owner),
        as threading.RLock._recursion_count()."""
        info = self._info()
        return info[5] if info[1] == _threading.get_native_id() else 0

    def _release_save(self) -> Tuple[int, Optional[int]]:
        """For threading.Condition.wait(): release every level."""
        count = self._recursion_count()
        if not count:
            raise RuntimeError("cannot release un-acquired lock")
        for _ in range(count):
            self.release()
        return count, _threading.get_native_id()

    def _acquire_restore(self, state: Tuple[int, Optional[int]]) -> None:
        """For threading.Condition.wait(): take back the levels that
        _release_save() released."""
        count = state[0]
        self.acquire()
        for _ in range(count - 1):
            self.acquire()

    def _at_fork_reinit(self) -> None:
        # The parent's owner stays the owner (see the module's docstring).
        self.owner_died = False

    def _state(self) -> str:
        info = self._info()
        return "%s %s object %r owner=%d count=%d at %#x" % (
            "locked" if info[1] else "unlocked", self._kind(), self.name,
            info[1], info[5] if info[1] else 0, id(self))

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


class Mutex(_MutexObject):
    """A non-recursive PI mutex owned by the acquiring thread.

    acquire() in the owning thread raises DeadlockError (errno EDEADLK)
    instead of hanging; release() by another thread raises RuntimeError."""


class RLock(_MutexObject):
    """threading.RLock, shared by name: a recursive rtsync mutex."""

    _recursive = _rtsync.RECURSIVE

    @property
    def count(self) -> int:
        """How many times the owner holds it (0 when free)."""
        return self._info()[5]


# ---------------------------------------------------------------------------
# Condition variables

class Condition(_Object):
    """threading.Condition, shared by name, bound to an rtsync Mutex or
    RLock. Like threading's, wait() releases every level of an RLock held
    recursively and takes them all back. notify(n) signals n times.
    stats() are the condition variable's; its lock has its own."""

    def __init__(self, name: str, lock: "_MutexObject", create: bool = True,
                 mode: int = 0o600) -> None:
        if not isinstance(lock, _MutexObject):
            raise TypeError("lock must be an rtsync.Mutex or rtsync.RLock")
        fd = _rtsync.cond_open(name, _oflag(create), mode)
        super().__init__(name, fd)
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *exc: Any) -> None:
        return self._lock.__exit__(*exc)

    def _state(self) -> str:
        # threading's "<Condition(<lock>, waiters)>", with the name
        return "%s %r(%r, %d)" % (self._kind(), self.name, self._lock,
                                  self.waiters)

    def wait(self, timeout: Optional[_Timeout] = None) -> bool:
        self._check_open()
        self._lock._check_open()
        if timeout is not None:
            _check_timeout_max(timeout)
        t = -1.0 if timeout is None else max(float(timeout), 0.0)
        # The kernel waits on a mutex held once: release the other levels
        # of a recursive hold first, and take them back after.
        extra = self._lock._recursion_count() - 1
        for _ in range(extra):
            self._lock.release()
        try:
            err = _rtsync.cond_wait(self._fd, self._lock._fd, t)
        finally:
            for _ in range(extra):
                self._lock.acquire()
        if err == 0:
            return True
        if err == _errno.ETIMEDOUT:
            return False
        if err == _errno.EPERM:
            raise RuntimeError("cannot wait on un-acquired lock")
        if err == _errno.EOWNERDEAD:
            self._lock.owner_died = True
            _warnings.warn("rtsync mutex %r: its previous owner died holding "
                           "it" % self._lock.name, OwnerDiedWarning, stacklevel=2)
            return True
        if err == _errno.EDEADLK:
            raise DeadlockError(err, _os.strerror(err))
        if err == _errno.ENOTRECOVERABLE:
            raise NotRecoverableError(err, _os.strerror(err), self._lock.name)
        raise _oserror(err)

    @property
    def waiters(self) -> int:
        """How many threads wait on the condition (a snapshot)."""
        self._check_open()
        err, waiters, _flags = _rtsync.cond_info(self._fd)
        if err:
            raise _oserror(err)
        return waiters

    def wait_for(self, predicate: Callable[[], _T],
                 timeout: Optional[_Timeout] = None) -> _T:
        # As threading.Condition.wait_for.
        import time
        endtime: Optional[float] = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                if endtime is None:
                    endtime = time.monotonic() + waittime
                else:
                    waittime = endtime - time.monotonic()
                    if waittime <= 0:
                        break
            self.wait(waittime)
            result = predicate()
        return result

    def _check_owned(self, what: str) -> None:
        if not self._lock._is_owned():
            raise RuntimeError("cannot %s on un-acquired lock" % what)

    def notify(self, n: int = 1) -> None:
        self._check_owned("notify")
        self._check_open()
        for _ in range(n):
            _rtsync.cond_signal(self._fd)

    def notify_all(self) -> None:
        self._check_owned("notify")
        self._check_open()
        _rtsync.cond_broadcast(self._fd)

    notifyAll = notify_all
