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
"""
import errno as _errno
import os as _os
import warnings as _warnings

from . import _rtsync

__all__ = [
    "Lock", "RLock", "Mutex", "Semaphore", "BoundedSemaphore", "Condition",
    "OwnerDiedWarning", "DeadlockError", "NotRecoverableError",
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


def _oserror(err, name=None):
    exc = OSError(err, _os.strerror(err))
    if name is not None:
        exc.filename = name
    return exc


def _oflag(create):
    return _rtsync.O_CREAT if create else 0


class _Object:
    """An open rtsync object: its fd, name, close() and unlink()."""

    _fd = -1

    def __init__(self, name, fd):
        self.name = name
        self._fd = fd

    def fileno(self):
        """The object's file descriptor (poll-able)."""
        self._check_open()
        return self._fd

    def _check_open(self):
        if self._fd < 0:
            raise ValueError("rtsync object is closed")

    def close(self):
        """Close this process's handle; the object lives on elsewhere."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            _rtsync.close(fd)

    def unlink(self):
        """Remove the name; open handles keep working."""
        err = _rtsync.unlink(self.name)
        if err:
            raise _oserror(err, self.name)

    def __del__(self):
        self.close()

    def __repr__(self):
        state = "closed" if self._fd < 0 else "fd=%d" % self._fd
        return "<%s.%s %r %s>" % (self.__module__, type(self).__qualname__,
                                  self.name, state)


def _lock_timeout(blocking, timeout):
    """threading.Lock.acquire's argument checks; the C layer's timeout."""
    if not blocking:
        if timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0.0
    if timeout < 0 and timeout != -1:
        raise ValueError("timeout value must be a non-negative number")
    return float(timeout)


# ---------------------------------------------------------------------------
# Semaphores (and Lock, a semaphore with maximum 1)

class _SemObject(_Object):
    def __init__(self, name, value, maximum, create, mode):
        fd = _rtsync.sem_open(name, _oflag(create), mode, value, maximum)
        super().__init__(name, fd)

    def _wait(self, timeout):
        self._check_open()
        err = _rtsync.sem_wait(self._fd, timeout)
        if err == 0:
            return True
        if err in (_errno.EAGAIN, _errno.ETIMEDOUT):
            return False
        raise _oserror(err)

    def _post(self, n):
        self._check_open()
        return _rtsync.sem_post(self._fd, n)[0]

    def _info(self):
        self._check_open()
        err, value, maximum, waiters, _flags = _rtsync.sem_info(self._fd)
        if err:
            raise _oserror(err)
        return value, maximum, waiters

    @property
    def waiters(self):
        """How many threads wait on the semaphore (a snapshot)."""
        return self._info()[2]

    @property
    def value(self):
        """The current count (a snapshot)."""
        return self._info()[0]

    @property
    def max(self):
        """The largest count the semaphore can reach."""
        return self._info()[1]


class Lock(_SemObject):
    """threading.Lock, shared by name: a semaphore with maximum 1.

    Like threading.Lock it has no owner: any thread of any process may
    release it. `owner` is therefore always None."""

    def __init__(self, name, create=True, mode=0o600):
        super().__init__(name, 1, 1, create, mode)

    def acquire(self, blocking=True, timeout=-1):
        return self._wait(_lock_timeout(blocking, timeout))

    def release(self):
        err = self._post(1)
        if err == _errno.EOVERFLOW:
            raise RuntimeError("release unlocked lock")
        if err:
            raise _oserror(err)

    def locked(self):
        return self._info()[0] == 0

    owner = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked


class Semaphore(_SemObject):
    """threading.Semaphore, shared by name.

    value is the initial count of a new semaphore; its maximum is `max`
    (default SEM_VALUE_MAX). Releasing past the maximum raises OSError
    (EOVERFLOW) and changes nothing."""

    def __init__(self, name, value=1, create=True, mode=0o600, max=SEM_VALUE_MAX):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        super().__init__(name, value, max, create, mode)

    def acquire(self, blocking=True, timeout=None):
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        if not blocking:
            return self._wait(0.0)
        if timeout is None:
            return self._wait(-1.0)
        # threading.Semaphore treats a negative timeout as "do not wait".
        return self._wait(max(float(timeout), 0.0))

    __enter__ = acquire

    def release(self, n=1):
        if n < 1:
            raise ValueError("n must be one or more")
        err = self._post(n)
        if err:
            self._overflow(err)

    def _overflow(self, err):
        raise _oserror(err)

    def __exit__(self, *exc):
        self.release()


class BoundedSemaphore(Semaphore):
    """threading.BoundedSemaphore, shared by name: the initial value is
    also the maximum; releasing past it raises ValueError, nothing changed.
    (value=0 cannot be created: rtsync semaphores have a maximum >= 1.)"""

    def __init__(self, name, value=1, create=True, mode=0o600):
        super().__init__(name, value, create, mode, max=value)

    def _overflow(self, err):
        if err == _errno.EOVERFLOW:
            raise ValueError("Semaphore released too many times")
        raise _oserror(err)


# ---------------------------------------------------------------------------
# Mutexes: owned by a thread, priority inheritance, owner-death detection

class _MutexObject(_Object):
    _recursive = 0
    owner_died = False

    def __init__(self, name, create=True, mode=0o600):
        fd = _rtsync.mutex_open(name, _oflag(create), mode, self._recursive)
        super().__init__(name, fd)

    def acquire(self, blocking=True, timeout=-1):
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

    def release(self):
        self._check_open()
        err = _rtsync.mutex_unlock(self._fd)
        if err == _errno.EPERM:
            raise RuntimeError("cannot release un-acquired lock")
        if err:
            raise _oserror(err)
        self.owner_died = False

    def consistent(self):
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

    def _info(self):
        self._check_open()
        info = _rtsync.mutex_info(self._fd)
        if info[0]:
            raise _oserror(info[0])
        return info

    @property
    def owner(self):
        """Native thread id (threading.get_native_id()) of the owner, or
        None when free (or the owner is not visible from here)."""
        return self._info()[1] or None

    @property
    def waiters(self):
        """How many threads wait for the mutex (a snapshot)."""
        return self._info()[3]

    def locked(self):
        return self.owner is not None

    def _is_owned(self):
        return self.owner == _threading_native_id()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _threading_native_id():
    import threading
    return threading.get_native_id()


class Mutex(_MutexObject):
    """A non-recursive PI mutex owned by the acquiring thread.

    acquire() in the owning thread raises DeadlockError (errno EDEADLK)
    instead of hanging; release() by another thread raises RuntimeError."""


class RLock(_MutexObject):
    """threading.RLock, shared by name: a recursive rtsync mutex."""

    _recursive = _rtsync.RECURSIVE

    @property
    def count(self):
        """How many times the owner holds it (0 when free)."""
        return self._info()[5]


# ---------------------------------------------------------------------------
# Condition variables

class Condition(_Object):
    """threading.Condition, shared by name, bound to an rtsync Mutex or
    RLock (held exactly once when waiting). notify(n) signals n times."""

    def __init__(self, name, lock, create=True, mode=0o600):
        if not isinstance(lock, _MutexObject):
            raise TypeError("lock must be an rtsync.Mutex or rtsync.RLock")
        fd = _rtsync.cond_open(name, _oflag(create), mode)
        super().__init__(name, fd)
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *exc):
        return self._lock.__exit__(*exc)

    def wait(self, timeout=None):
        self._check_open()
        self._lock._check_open()
        t = -1.0 if timeout is None else max(float(timeout), 0.0)
        err = _rtsync.cond_wait(self._fd, self._lock._fd, t)
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
    def waiters(self):
        """How many threads wait on the condition (a snapshot)."""
        self._check_open()
        err, waiters, _flags = _rtsync.cond_info(self._fd)
        if err:
            raise _oserror(err)
        return waiters

    def wait_for(self, predicate, timeout=None):
        # As threading.Condition.wait_for.
        import time
        endtime = None
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

    def _check_owned(self, what):
        if not self._lock._is_owned():
            raise RuntimeError("cannot %s on un-acquired lock" % what)

    def notify(self, n=1):
        self._check_owned("notify")
        self._check_open()
        for _ in range(n):
            _rtsync.cond_signal(self._fd)

    def notify_all(self):
        self._check_owned("notify")
        self._check_open()
        _rtsync.cond_broadcast(self._fd)

    notifyAll = notify_all
