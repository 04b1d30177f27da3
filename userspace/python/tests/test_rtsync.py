#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Tests of the rtsync Python binding, printing TAP.

Needs /dev/rtsync (the rtsync module loaded); without it every test is
reported as skipped. Each rtsync object gets a name unique to the test and
the process, and is unlinked at the end of the test.

Run: python3 test_rtsync.py
"""
import dataclasses
import errno
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import unittest
import warnings
from typing import TYPE_CHECKING, Any

import rtsync
import rtsync._rtsync

MP = multiprocessing.get_context("fork")
HAVE_DEVICE = os.path.exists("/dev/rtsync")

# TCG guests are slow: time limits are generous, lower bounds exact.
SLACK = 10.0


def outcome(call):
    """What a call did: ("ret", value) or ("exc", exception type name)."""
    try:
        return ("ret", call())
    except Exception as exc:  # noqa: BLE001 - the type is the outcome
        return ("exc", type(exc).__name__)


def run_script(obj, script):
    """Apply each (method, args, kwargs) of script to obj; the outcomes."""
    return [outcome(lambda m=m, a=a, k=k: getattr(obj, m)(*a, **k))
            for m, a, k in script]


def call(method, *args, **kwargs):
    return (method, args, kwargs)


def in_thread(func):
    """Run func in another thread; its outcome."""
    box = []
    t = threading.Thread(target=lambda: box.append(outcome(func)))
    t.start()
    t.join()
    return box[0]


def child(target, *args):
    """Start target(*args) in a forked process; the Process."""
    p = MP.Process(target=target, args=args)
    p.start()
    return p


def join_ok(test, proc, what):
    proc.join(SLACK * 3)
    test.assertFalse(proc.is_alive(), "%s: child still running" % what)
    test.assertEqual(proc.exitcode, 0, "%s: child exit code" % what)


@unittest.skipUnless(HAVE_DEVICE, "no /dev/rtsync (rtsync module not loaded)")
class RtsyncTestCase(unittest.TestCase):
    """Unique names, unlinked after the test."""

    def setUp(self):
        self.names = []

    def name(self, tag):
        n = "py-%s-%d-%s" % (self._testMethodName, os.getpid(), tag)
        self.names.append(n)
        return n

    def tearDown(self):
        # By name, whatever the type; a name already gone is fine.
        for n in self.names:
            rtsync._rtsync.unlink(n)


# ---------------------------------------------------------------------------
class ThreadingCompat(RtsyncTestCase):
    """The same calls on a threading object and its rtsync counterpart give
    the same return values and exceptions."""

    def compare(self, ours, theirs, script):
        got = run_script(ours, script)
        want = run_script(theirs, script)
        self.assertEqual(got, want)
        return got

    def test_lock(self):
        script = [
            call("locked"), call("acquire"), call("locked"),
            call("acquire", False), call("acquire", timeout=0.05),
            call("acquire", blocking=False, timeout=1),
            call("acquire", True, -2), call("acquire", timeout=-0.5),
            call("release"), call("release"), call("locked"),
            call("acquire", blocking=False), call("release"),
            call("acquire", True, 0), call("acquire", True, 0),
            call("__exit__", None, None, None), call("__enter__"),
            call("locked"), call("release"),
        ]
        got = self.compare(rtsync.Lock(self.name("l")), threading.Lock(), script)
        self.assertIn(("exc", "RuntimeError"), got)
        self.assertIn(("exc", "ValueError"), got)

    def test_lock_released_by_other_thread(self):
        lock: Any
        for lock in (rtsync.Lock(self.name("l")), threading.Lock()):
            self.assertTrue(lock.acquire())
            self.assertEqual(in_thread(lock.release), ("ret", None))
            self.assertEqual(in_thread(lambda: lock.acquire(False)), ("ret", True))
            lock.release()

    def test_rlock(self):
        script = [
            call("acquire"), call("acquire"), call("acquire", False),
            call("acquire", timeout=0.05),
            call("acquire", False, 1), call("acquire", timeout=-3),
            call("release"), call("release"), call("release"), call("release"),
            call("release"), call("__enter__"), call("__exit__", None, None, None),
            call("release"),
        ]
        got = self.compare(rtsync.RLock(self.name("r")), threading.RLock(), script)
        self.assertIn(("exc", "RuntimeError"), got)

    def test_rlock_other_thread(self):
        lock: Any
        for lock in (rtsync.RLock(self.name("r")), threading.RLock()):
            self.assertTrue(lock.acquire())
            self.assertTrue(lock.acquire())
            self.assertEqual(in_thread(lambda: lock.acquire(False)), ("ret", False),
                             type(lock))
            self.assertEqual(in_thread(lambda: lock.acquire(timeout=0.05)),
                             ("ret", False), type(lock))
            self.assertEqual(in_thread(lock.release), ("exc", "RuntimeError"),
                             type(lock))
            lock.release()
            lock.release()
            self.assertEqual(in_thread(lambda: lock.acquire(False)), ("ret", True))

    def test_semaphore(self):
        script = [
            call("acquire"), call("acquire", False), call("acquire", False),
            call("acquire", timeout=0.05), call("acquire", timeout=-1),
            call("acquire", True, 0), call("acquire", False, 1),
            call("acquire", blocking=False, timeout=0),
            call("release", 0), call("release", -1), call("release", 3),
            call("acquire", False), call("acquire", False), call("acquire", False),
            call("acquire", False), call("release"),
            call("__enter__"), call("__exit__", None, None, None),
        ]
        self.compare(rtsync.Semaphore(self.name("s"), 2), threading.Semaphore(2),
                     script)
        self.assertEqual(outcome(lambda: rtsync.Semaphore(self.name("n"), -1)),
                         outcome(lambda: threading.Semaphore(-1)))

    def test_bounded_semaphore(self):
        script = [
            call("release"), call("acquire"), call("acquire"), call("acquire", False),
            call("release"), call("release"), call("release"), call("release", 0),
            call("release", 2), call("acquire", False), call("release", 2),
        ]
        got = self.compare(rtsync.BoundedSemaphore(self.name("b"), 2),
                           threading.BoundedSemaphore(2), script)
        self.assertIn(("exc", "ValueError"), got)

    def test_bounded_overrelease_changes_nothing(self):
        sem = rtsync.BoundedSemaphore(self.name("b"), 3)
        self.assertTrue(sem.acquire())
        with self.assertRaises(ValueError):
            sem.release(2)
        self.assertEqual(sem.value, 2)


# ---------------------------------------------------------------------------
# One test body, two implementations: every test of SameBehaviour runs as
# ThreadingBehaviour.test_x (threading's classes) and RtsyncBehaviour.test_x
# (rtsync's), so a difference shows up as a failing rtsync case beside a
# passing threading one. The differences that remain on purpose are in
# EXPECTED_DIFFERENCES, each tested where it applies (RtsyncOnly below).

EXPECTED_DIFFERENCES = {
    "condition over a plain Lock":
        "threading.Condition(threading.Lock()) works; rtsync.Condition needs "
        "an owned rtsync Mutex or RLock (TypeError otherwise): a kernel "
        "condition variable sleeps on an owned mutex",
    "threading.Condition across processes":
        "threading.Condition over an rtsync lock works between the threads "
        "of one process only (its waiters are private locks); use "
        "rtsync.Condition across processes",
    "owner in repr":
        "an rtsync RLock's repr shows the owner's native thread id "
        "(threading.get_native_id()), threading's its get_ident()",
    "_at_fork_reinit":
        "threading resets a lock in a fork child; rtsync objects are shared "
        "with other processes and are never reset",
    "Semaphore maximum":
        "an rtsync Semaphore has a maximum (SEM_VALUE_MAX by default); "
        "release() past it raises OSError(EOVERFLOW), threading's has none",
    "BoundedSemaphore(0)":
        "threading allows BoundedSemaphore(0); an rtsync semaphore's maximum "
        "is at least 1 (OSError EINVAL)",
}


def recursion_count(lock):
    """RLock._recursion_count() (Python 3.12+; rtsync has it on 3.11 too);
    on an older threading.RLock, the count its repr shows to its owner."""
    if hasattr(lock, "_recursion_count"):
        return lock._recursion_count()
    if not lock._is_owned():
        return 0
    match = re.search(r"count=(\d+)", repr(lock))
    assert match, repr(lock)
    return int(match.group(1))


LOCKED_REPR = r"^<locked \S+ object (\S+ )?at 0x[0-9a-f]+>$"
UNLOCKED_REPR = r"^<unlocked \S+ object (\S+ )?at 0x[0-9a-f]+>$"


# To mypy the tests are TestCase methods; to unittest this class holds no
# tests of its own (only its two subclasses run them).
_BehaviourBase: Any = unittest.TestCase if TYPE_CHECKING else object


class SameBehaviour(_BehaviourBase):
    """Tests written once against the factories below."""

    def make_lock(self):
        raise NotImplementedError

    def make_rlock(self):
        raise NotImplementedError

    def make_semaphore(self, value):
        raise NotImplementedError

    def make_bounded(self, value):
        raise NotImplementedError

    def make_condition(self):
        """A condition variable and its (recursive) lock."""
        raise NotImplementedError

    # -- locks --
    def test_lock_states(self):
        lock = self.make_lock()
        self.assertFalse(lock.locked())
        self.assertTrue(lock.acquire())
        self.assertTrue(lock.locked())
        self.assertFalse(lock.acquire(False))
        self.assertFalse(lock.acquire(timeout=0.02))
        lock.release()
        self.assertFalse(lock.locked())
        with self.assertRaises(RuntimeError):
            lock.release()
        with lock:
            self.assertTrue(lock.locked())
        self.assertFalse(lock.locked())

    def test_lock_argument_errors(self):
        lock = self.make_lock()
        with self.assertRaises(ValueError):
            lock.acquire(False, 1)
        with self.assertRaises(ValueError):
            lock.acquire(timeout=-2)
        with self.assertRaises(OverflowError):
            lock.acquire(timeout=threading.TIMEOUT_MAX + 1)
        self.assertFalse(lock.locked())
        self.assertTrue(lock.acquire(timeout=threading.TIMEOUT_MAX))
        lock.release()

    def test_lock_repr(self):
        lock = self.make_lock()
        self.assertRegex(repr(lock), UNLOCKED_REPR)
        lock.acquire()
        self.assertRegex(repr(lock), LOCKED_REPR)
        lock.release()

    def test_rlock_recursion(self):
        lock = self.make_rlock()
        self.assertEqual(recursion_count(lock), 0)
        self.assertFalse(lock._is_owned())
        lock.acquire()
        lock.acquire()
        self.assertEqual(recursion_count(lock), 2)
        self.assertTrue(lock._is_owned())
        self.assertEqual(in_thread(lambda: recursion_count(lock)), ("ret", 0))
        self.assertEqual(in_thread(lock._is_owned), ("ret", False))
        self.assertEqual(in_thread(lock.release), ("exc", "RuntimeError"))
        lock.release()
        lock.release()
        with self.assertRaises(RuntimeError):
            lock.release()
        with self.assertRaises(OverflowError):
            lock.acquire(timeout=threading.TIMEOUT_MAX + 1)

    def test_rlock_repr(self):
        lock = self.make_rlock()
        self.assertRegex(repr(lock), r"^<unlocked \S+ object (\S+ )?owner=0 "
                                     r"count=0 at 0x[0-9a-f]+>$")
        lock.acquire()
        lock.acquire()
        self.assertRegex(repr(lock), r"^<locked \S+ object (\S+ )?owner=\d+ "
                                     r"count=2 at 0x[0-9a-f]+>$")
        lock.release()
        lock.release()

    def test_rlock_save_restore(self):
        lock = self.make_rlock()
        with self.assertRaises(RuntimeError):
            lock._release_save()
        for _ in range(3):
            lock.acquire()
        state = lock._release_save()
        self.assertFalse(lock._is_owned())
        self.assertEqual(in_thread(lambda: (lock.acquire(False),
                                            lock.release())),
                         ("ret", (True, None)))
        lock._acquire_restore(state)
        self.assertEqual(recursion_count(lock), 3)
        for _ in range(3):
            lock.release()
        self.assertEqual(recursion_count(lock), 0)

    def test_threading_condition_over_rlock_held_twice(self):
        lock = self.make_rlock()
        cond = threading.Condition(lock)
        box = {"go": False}

        def notifier():
            # Can only get in while the waiter's wait released every level.
            with cond:
                box["go"] = True
                cond.notify()
            return True

        with cond:
            with cond:
                t = threading.Thread(target=notifier)
                t.start()
                self.assertTrue(cond.wait_for(lambda: box["go"], SLACK))
                self.assertEqual(recursion_count(lock), 2)
        t.join(SLACK)
        self.assertFalse(t.is_alive())
        self.assertEqual(recursion_count(lock), 0)

    def test_condition_notify_n_and_wait_for(self):
        cond, lock = self.make_condition()
        state = {"ready": 0, "woken": 0}

        def waiter():
            with cond:
                state["ready"] += 1
                cond.wait_for(lambda: state["woken"] > 0, SLACK)
                state["woken"] -= 1
            return True

        threads = [threading.Thread(target=waiter) for _ in range(3)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + SLACK
        while time.monotonic() < deadline:
            with cond:
                if state["ready"] == 3:
                    break
            time.sleep(0.01)
        with cond:
            state["woken"] = 3
            cond.notify(3)
        for t in threads:
            t.join(SLACK)
            self.assertFalse(t.is_alive())
        self.assertEqual(state["woken"], 0)
        with self.assertRaises(RuntimeError):
            cond.notify()
        with cond:
            self.assertFalse(cond.wait(0.01))
            self.assertFalse(cond.wait_for(lambda: False, 0.01))
        with self.assertRaises(RuntimeError):
            cond.wait(0.01)
        del lock

    # -- semaphores --
    def test_semaphore_counts(self):
        sem = self.make_semaphore(2)
        self.assertTrue(sem.acquire())
        self.assertTrue(sem.acquire(False))
        self.assertFalse(sem.acquire(False))
        self.assertFalse(sem.acquire(timeout=0.02))
        self.assertFalse(sem.acquire(timeout=-1))
        with self.assertRaises(ValueError):
            sem.acquire(False, 1)
        with self.assertRaises(ValueError):
            sem.release(0)
        sem.release(3)
        self.assertTrue(sem.acquire(timeout=threading.TIMEOUT_MAX + 1))
        for _ in range(2):
            self.assertTrue(sem.acquire(False))
        with self.assertRaises(OverflowError):
            sem.acquire(timeout=threading.TIMEOUT_MAX + 1)
        sem.release()
        with sem as got:
            self.assertTrue(got)
        with self.assertRaises(ValueError):
            self.make_semaphore(-1)

    def test_semaphore_repr(self):
        sem = self.make_semaphore(3)
        self.assertRegex(repr(sem), r"^<\S+ (\S+ )?at 0x[0-9a-f]+: value=3>$")
        sem.acquire()
        self.assertRegex(repr(sem), r": value=2>$")
        bounded = self.make_bounded(3)
        self.assertRegex(repr(bounded),
                         r"^<\S+ (\S+ )?at 0x[0-9a-f]+: value=3/3>$")

    def test_bounded_semaphore(self):
        sem = self.make_bounded(2)
        with self.assertRaises(ValueError):
            sem.release()
        self.assertTrue(sem.acquire())
        sem.release()
        self.assertTrue(sem.acquire())
        self.assertTrue(sem.acquire())
        self.assertFalse(sem.acquire(False))
        with self.assertRaises(ValueError):
            sem.release(3)
        sem.release(2)
        self.assertTrue(sem.acquire(False))
        self.assertTrue(sem.acquire(False))
        self.assertFalse(sem.acquire(False))


class ThreadingBehaviour(SameBehaviour, unittest.TestCase):
    """SameBehaviour on threading's classes: the reference."""

    def make_lock(self):
        return threading.Lock()

    def make_rlock(self):
        return threading.RLock()

    def make_semaphore(self, value):
        return threading.Semaphore(value)

    def make_bounded(self, value):
        return threading.BoundedSemaphore(value)

    def make_condition(self):
        lock = threading.RLock()
        return threading.Condition(lock), lock


class RtsyncBehaviour(SameBehaviour, RtsyncTestCase):
    """SameBehaviour on rtsync's classes."""

    def make_lock(self):
        return rtsync.Lock(self.name("l%d" % len(self.names)))

    def make_rlock(self):
        return rtsync.RLock(self.name("r%d" % len(self.names)))

    def make_semaphore(self, value):
        return rtsync.Semaphore(self.name("s%d" % len(self.names)), value)

    def make_bounded(self, value):
        return rtsync.BoundedSemaphore(self.name("b%d" % len(self.names)),
                                       value)

    def make_condition(self):
        lock = rtsync.RLock(self.name("cr"))
        return rtsync.Condition(self.name("c"), lock), lock


def _fork_child_view(lname, mname, out):
    lock = rtsync.Lock(lname, create=False)
    mutex = rtsync.Mutex(mname, create=False)
    lock._at_fork_reinit()
    mutex._at_fork_reinit()
    out.put((lock.locked(), lock.acquire(False), mutex._is_owned(),
             mutex.acquire(False), mutex.locked()))


class RtsyncOnly(RtsyncTestCase):
    """The expected differences (EXPECTED_DIFFERENCES), as rtsync has them."""

    def test_condition_over_plain_lock(self):
        self.assertIn("condition over a plain Lock", EXPECTED_DIFFERENCES)
        threading.Condition(threading.Lock())
        with self.assertRaises(TypeError):
            rtsync.Condition(self.name("c"),
                             rtsync.Lock(self.name("l")))  # type: ignore[arg-type]

    def test_recursion_count_on_any_python(self):
        lock = rtsync.RLock(self.name("r"))
        self.assertEqual(lock._recursion_count(), 0)
        with lock, lock:
            self.assertEqual(lock._recursion_count(), 2)
            self.assertEqual(in_thread(lock._recursion_count), ("ret", 0))

    def test_owner_in_repr_is_native_id(self):
        self.assertIn("owner in repr", EXPECTED_DIFFERENCES)
        lock = rtsync.RLock(self.name("r"))
        with lock:
            self.assertIn("owner=%d " % threading.get_native_id(), repr(lock))
            self.assertIn(repr(lock.name), repr(lock))

    def test_semaphore_maximum(self):
        self.assertIn("Semaphore maximum", EXPECTED_DIFFERENCES)
        sem = rtsync.Semaphore(self.name("s"), 1, max=2)
        sem.release()
        with self.assertRaises(OSError) as ctx:
            sem.release()
        self.assertEqual(ctx.exception.errno, errno.EOVERFLOW)
        self.assertEqual(sem.value, 2)

    def test_bounded_zero(self):
        self.assertIn("BoundedSemaphore(0)", EXPECTED_DIFFERENCES)
        threading.BoundedSemaphore(0)
        with self.assertRaises(OSError) as ctx:
            rtsync.BoundedSemaphore(self.name("b"), 0)
        self.assertEqual(ctx.exception.errno, errno.EINVAL)

    def test_fork_child_sees_shared_state(self):
        """A fork child sees the objects as every process does, and its
        _at_fork_reinit() resets nothing."""
        self.assertIn("_at_fork_reinit", EXPECTED_DIFFERENCES)
        lock = rtsync.Lock(self.name("l"))
        mutex = rtsync.Mutex(self.name("m"))
        lock.acquire()
        mutex.acquire()
        out = MP.SimpleQueue()
        p = child(_fork_child_view, lock.name, mutex.name, out)
        join_ok(self, p, "fork child")
        # Lock taken here: still taken there. Mutex held by this thread:
        # not the child's, and not free for it.
        self.assertEqual(out.get(), (True, False, False, False, True))
        self.assertTrue(lock.locked())
        self.assertTrue(mutex._is_owned())
        lock.release()
        mutex.release()

    def test_fork_child_inherits_handles(self):
        sem = rtsync.Semaphore(self.name("s"), 0)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                sem._at_fork_reinit()
                sem.release(2)
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(sem.value, 2)

    def test_condition_wait_over_rlock_held_twice(self):
        """rtsync.Condition, like threading's, releases every level."""
        lock = rtsync.RLock(self.name("r"))
        cond = rtsync.Condition(self.name("c"), lock)
        box = {"go": False}

        def notifier():
            with cond:
                box["go"] = True
                cond.notify()

        with lock, lock:
            t = threading.Thread(target=notifier)
            t.start()
            self.assertTrue(cond.wait_for(lambda: box["go"], SLACK))
            self.assertEqual(lock._recursion_count(), 2)
        t.join(SLACK)
        self.assertFalse(t.is_alive())
        self.assertEqual(lock._recursion_count(), 0)

    def test_timeout_max_on_condition_wait(self):
        m = rtsync.Mutex(self.name("m"))
        c = rtsync.Condition(self.name("c"), m)
        with m:
            with self.assertRaises(OverflowError):
                c.wait(threading.TIMEOUT_MAX + 1)
            self.assertTrue(m._is_owned())


# ---------------------------------------------------------------------------
# asyncio

def _post_slowly(name, units, gap):
    sem = rtsync.Semaphore(name, 0, create=False)
    for _ in range(units):
        time.sleep(gap)
        sem.release()


class AsyncioWaits(RtsyncTestCase):

    def test_acquire_async_basics(self):
        import asyncio
        sem = rtsync.Semaphore(self.name("s"), 1)

        async def body():
            self.assertTrue(await sem.acquire_async())
            self.assertFalse(await sem.acquire_async(timeout=0))
            t0 = time.monotonic()
            self.assertFalse(await sem.acquire_async(timeout=0.05))
            self.assertGreaterEqual(time.monotonic() - t0, 0.05)
            with self.assertRaises(OverflowError):
                await sem.acquire_async(timeout=threading.TIMEOUT_MAX + 1)
            # A post from another thread ends the wait.
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, lambda: threading.Thread(
                target=sem.release).start())
            self.assertTrue(await sem.acquire_async(timeout=SLACK))
            # Cancelled while waiting: no unit taken.
            task = asyncio.ensure_future(sem.acquire_async())
            await asyncio.sleep(0.02)
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
            sem.release()
            self.assertEqual(sem.value, 1)
            # Cancelled as the unit arrives (posted, the loop not yet
            # back in its poll): the unit stays.
            self.assertTrue(sem.acquire(False))
            task = asyncio.ensure_future(sem.acquire_async())
            await asyncio.sleep(0.02)
            sem.release()
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
            self.assertEqual(sem.value, 1)
            # Two waits at once on one object, each served.
            self.assertTrue(sem.acquire(False))
            first = asyncio.ensure_future(sem.acquire_async(timeout=SLACK))
            second = asyncio.ensure_future(sem.acquire_async(timeout=SLACK))
            await asyncio.sleep(0.02)
            sem.release(2)
            self.assertEqual(await asyncio.gather(first, second), [True, True])
            self.assertEqual(sem.value, 0)

        asyncio.run(asyncio.wait_for(body(), SLACK * 3))

    def test_two_processes_units_conserved(self):
        """One process posts UNITS units; this one awaits them with short
        timeouts and cancels half of its waits: every unit is taken exactly
        once (taken here + left over = posted)."""
        import asyncio
        units = 60
        sem = rtsync.Semaphore(self.name("s"), 0)
        p = child(_post_slowly, sem.name, units, 0.002)
        counts = {"taken": 0, "timeouts": 0, "cancelled": 0}

        async def body():
            deadline = time.monotonic() + SLACK * 3
            while p.is_alive() and time.monotonic() < deadline:
                timed = asyncio.ensure_future(sem.acquire_async(timeout=0.003))
                doomed = asyncio.ensure_future(sem.acquire_async())
                await asyncio.sleep(0.001)
                doomed.cancel()
                for task in (timed, doomed):
                    try:
                        if await task:
                            counts["taken"] += 1
                        else:
                            counts["timeouts"] += 1
                    except asyncio.CancelledError:
                        counts["cancelled"] += 1

        asyncio.run(body())
        join_ok(self, p, "poster")
        left = 0
        while sem.acquire(False):
            left += 1
        self.assertEqual(counts["taken"] + left, units, counts)
        self.assertGreater(counts["cancelled"], 0, counts)
        self.assertGreater(counts["taken"], 0, counts)


# ---------------------------------------------------------------------------
class MutexSemantics(RtsyncTestCase):

    def test_reacquire_by_owner_is_deadlock_error(self):
        m = rtsync.Mutex(self.name("m"))
        self.assertTrue(m.acquire())
        with self.assertRaises(RuntimeError) as ctx:
            m.acquire()
        exc = ctx.exception
        assert isinstance(exc, rtsync.DeadlockError)
        self.assertEqual(exc.errno, errno.EDEADLK)
        with self.assertRaises(rtsync.DeadlockError):
            m.acquire(False)
        self.assertEqual(m.owner, threading.get_native_id())
        m.release()
        self.assertIsNone(m.owner)

    def test_release_by_non_owner(self):
        m = rtsync.Mutex(self.name("m"))
        with self.assertRaises(RuntimeError):
            m.release()
        self.assertTrue(m.acquire())
        self.assertEqual(in_thread(m.release), ("exc", "RuntimeError"))
        self.assertEqual(m.owner, threading.get_native_id())
        m.release()
        self.assertEqual(in_thread(lambda: m.acquire(False)), ("ret", True))

    def test_rlock_owner_and_count(self):
        r = rtsync.RLock(self.name("r"))
        self.assertIsNone(r.owner)
        with r:
            with r:
                self.assertEqual(r.count, 2)
                self.assertEqual(r.owner, threading.get_native_id())
        self.assertEqual(r.count, 0)

    def test_lock_has_no_owner(self):
        lock = rtsync.Lock(self.name("l"))
        lock.acquire()
        self.assertIsNone(lock.owner)
        lock.release()

    def test_deadlock_cycle_across_threads(self):
        a, b = rtsync.Mutex(self.name("a")), rtsync.Mutex(self.name("b"))
        a_held, b_held, done = threading.Event(), threading.Event(), threading.Event()
        box = []

        def other():
            b.acquire()
            b_held.set()
            a_held.wait()
            box.append(outcome(lambda: a.acquire(timeout=SLACK)))
            done.wait()
            if box[0] == ("ret", True):
                a.release()
            b.release()

        t = threading.Thread(target=other)
        a.acquire()
        t.start()
        b_held.wait()
        a_held.set()
        # One of the two acquires closes the cycle: that one is refused.
        mine = outcome(lambda: b.acquire(timeout=SLACK))
        if mine == ("ret", True):
            b.release()
        a.release()
        done.set()
        t.join()
        self.assertIn(("exc", "DeadlockError"), [mine, box[0]])


# ---------------------------------------------------------------------------
def _hold_then_release(name, kind, held, seconds):
    lock = kind(name, create=False)
    lock.acquire()
    held.set()
    time.sleep(seconds)
    lock.release()
    os._exit(0)


class Timeouts(RtsyncTestCase):

    def check_timeout(self, kind, name, acquire):
        held = MP.Event()
        p = child(_hold_then_release, name, kind, held, SLACK)
        self.assertTrue(held.wait(SLACK * 3))
        start = time.monotonic()
        self.assertFalse(acquire())
        took = time.monotonic() - start
        self.assertGreaterEqual(took, 0.3)
        self.assertLess(took, SLACK)
        p.kill()
        p.join()

    def test_lock_timeout(self):
        n = self.name("l")
        lock = rtsync.Lock(n)
        self.check_timeout(rtsync.Lock, n, lambda: lock.acquire(timeout=0.3))
        self.assertFalse(lock.acquire(False))

    def test_mutex_timeout(self):
        n = self.name("m")
        m = rtsync.Mutex(n)
        self.check_timeout(rtsync.Mutex, n, lambda: m.acquire(True, 0.3))

    def test_semaphore_timeout(self):
        n = self.name("s")
        s = rtsync.Semaphore(n, 1)
        self.check_timeout(rtsync.Semaphore, n,
                           lambda: s.acquire(timeout=0.3))

    def test_condition_wait_timeout(self):
        m = rtsync.Mutex(self.name("m"))
        c = rtsync.Condition(self.name("c"), m)
        with c:
            start = time.monotonic()
            self.assertFalse(c.wait(0.3))
            self.assertGreaterEqual(time.monotonic() - start, 0.3)
            self.assertEqual(m.owner, threading.get_native_id())
            self.assertFalse(c.wait_for(lambda: False, timeout=0.2))


# ---------------------------------------------------------------------------
def _count_under(name, kind, counter, loops):
    lock = kind(name, create=False)
    for _ in range(loops):
        with lock:
            v = counter.value
            time.sleep(0)
            counter.value = v + 1
    os._exit(0)


def _release_lock(name):
    rtsync.Lock(name, create=False).release()
    os._exit(0)


def _post_sem(name, n):
    rtsync.Semaphore(name, create=False).release(n)
    os._exit(0)


def _acquire_then_report(name, kind, result):
    lock = kind(name, create=False)
    result.value = 1 if lock.acquire(timeout=SLACK * 3) else 2
    os._exit(0)


class CrossProcess(RtsyncTestCase):

    def exclusion(self, kind):
        n = self.name("x")
        kind(n)  # create
        counter = MP.Value("l", 0, lock=False)
        procs = [child(_count_under, n, kind, counter, 150) for _ in range(3)]
        for p in procs:
            join_ok(self, p, "counter")
        self.assertEqual(counter.value, 450)

    def test_mutual_exclusion_lock(self):
        self.exclusion(rtsync.Lock)

    def test_mutual_exclusion_mutex(self):
        self.exclusion(rtsync.Mutex)

    def test_mutual_exclusion_rlock(self):
        self.exclusion(rtsync.RLock)

    def test_lock_released_by_another_process(self):
        n = self.name("l")
        lock = rtsync.Lock(n)
        self.assertTrue(lock.acquire())
        join_ok(self, child(_release_lock, n), "release")
        self.assertTrue(lock.acquire(False))

    def test_waiter_in_other_process_wakes(self):
        n = self.name("m")
        m = rtsync.Mutex(n)
        m.acquire()
        result = MP.Value("i", 0)
        p = child(_acquire_then_report, n, rtsync.Mutex, result)
        deadline = time.monotonic() + SLACK
        while m.waiters == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(m.waiters, 1, "child waits on the mutex")
        m.release()
        join_ok(self, p, "waiter")
        self.assertEqual(result.value, 1)  # type: ignore[attr-defined]

    def test_semaphore_posted_by_another_process(self):
        n = self.name("s")
        s = rtsync.Semaphore(n, 0)
        self.assertFalse(s.acquire(False))
        join_ok(self, child(_post_sem, n, 3), "post")
        for _ in range(3):
            self.assertTrue(s.acquire(timeout=SLACK))
        self.assertFalse(s.acquire(False))

    def test_existing_object_keeps_its_values(self):
        n = self.name("s")
        rtsync.BoundedSemaphore(n, 2)
        again = rtsync.BoundedSemaphore(n, 5)
        self.assertEqual((again.value, again.max), (2, 2))


# ---------------------------------------------------------------------------
def _die_holding(name, kind):
    kind(name, create=False).acquire()
    os._exit(0)


class OwnerDeath(RtsyncTestCase):

    def acquire_after_death(self, m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertTrue(m.acquire(timeout=SLACK))
        self.assertTrue(m.owner_died)
        self.assertEqual([w.category for w in caught], [rtsync.OwnerDiedWarning])
        self.assertEqual(m.owner, threading.get_native_id())

    def test_process_death_surfaces(self):
        for kind in (rtsync.Mutex, rtsync.RLock):
            n = self.name(kind.__name__)
            m = kind(n)
            join_ok(self, child(_die_holding, n, kind), "dies holding")
            self.acquire_after_death(m)
            m.consistent()
            self.assertFalse(m.owner_died)
            m.release()
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                self.assertTrue(m.acquire(False))
            self.assertFalse(m.owner_died)
            m.release()

    def test_thread_death_surfaces(self):
        m = rtsync.Mutex(self.name("m"))
        t = threading.Thread(target=m.acquire)
        t.start()
        t.join()
        self.acquire_after_death(m)
        m.consistent()
        m.release()

    def test_warning_can_be_an_error_but_lock_is_held(self):
        n = self.name("m")
        m = rtsync.Mutex(n)
        join_ok(self, child(_die_holding, n, rtsync.Mutex), "dies holding")
        with warnings.catch_warnings():
            warnings.simplefilter("error", rtsync.OwnerDiedWarning)
            with self.assertRaises(rtsync.OwnerDiedWarning):
                m.acquire()
        # The exception came from warnings; the mutex is nevertheless held.
        self.assertEqual(m.owner, threading.get_native_id())
        m.consistent()
        m.release()

    def test_release_without_consistent_is_unrecoverable(self):
        n = self.name("m")
        m = rtsync.Mutex(n)
        join_ok(self, child(_die_holding, n, rtsync.Mutex), "dies holding")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.assertTrue(m.acquire())
        m.release()
        with self.assertRaises(rtsync.NotRecoverableError) as ctx:
            m.acquire(timeout=1)
        self.assertEqual(ctx.exception.errno, errno.ENOTRECOVERABLE)

    def test_consistent_refused_when_not_needed(self):
        m = rtsync.Mutex(self.name("m"))
        with self.assertRaises(RuntimeError):
            m.consistent()
        with m:
            with self.assertRaises(RuntimeError):
                m.consistent()


# ---------------------------------------------------------------------------
def _wait_for_flag(mname, cname, flag, woke):
    m = rtsync.Mutex(mname, create=False)
    c = rtsync.Condition(cname, m, create=False)
    with c:
        woke.value = 1 if c.wait_for(lambda: flag.value == 1, SLACK * 3) else 2
    os._exit(0)


class Conditions(RtsyncTestCase):

    def test_needs_the_lock(self):
        m = rtsync.Mutex(self.name("m"))
        c = rtsync.Condition(self.name("c"), m)
        for method in ("wait", "notify", "notify_all"):
            with self.assertRaises(RuntimeError):
                getattr(c, method)()
        with self.assertRaises(TypeError):
            rtsync.Condition(self.name("c2"), threading.Lock())  # type: ignore[arg-type]

    def test_producer_consumer_across_processes(self):
        mn, cn = self.name("m"), self.name("c")
        m = rtsync.Mutex(mn)
        c = rtsync.Condition(cn, m)
        flag, woke = MP.Value("i", 0, lock=False), MP.Value("i", 0, lock=False)
        p = child(_wait_for_flag, mn, cn, flag, woke)
        deadline = time.monotonic() + SLACK
        while c.waiters == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        with c:
            flag.value = 1
            c.notify()
        join_ok(self, p, "condition waiter")
        self.assertEqual(woke.value, 1)

    def test_notify_all_wakes_threads(self):
        m = rtsync.RLock(self.name("m"))
        c = rtsync.Condition(self.name("c"), m)
        ready = []
        woken = []

        def waiter():
            with c:
                ready.append(1)
                woken.append(c.wait(SLACK))

        threads = [threading.Thread(target=waiter) for _ in range(3)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + SLACK
        while c.waiters < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        with c:
            c.notify_all()
        for t in threads:
            t.join()
        self.assertEqual(woken, [True, True, True])




# ---------------------------------------------------------------------------
class Blocking(RtsyncTestCase):

    def test_gil_released_while_waiting(self):
        lock = rtsync.Lock(self.name("l"))
        lock.acquire()
        t = threading.Thread(target=lambda: lock.acquire(timeout=2))
        start = time.monotonic()
        t.start()
        spins = 0
        while time.monotonic() - start < 0.5:
            spins += 1
        took = time.monotonic() - start
        t.join()
        # Holding the GIL, the waiter would stall this loop for 2 s.
        self.assertLess(took, 1.5)
        self.assertGreater(spins, 1000)

    def test_signal_handler_exception_interrupts_wait(self):
        lock = rtsync.Lock(self.name("l"))
        lock.acquire()

        class Alarm(Exception):
            pass

        def handler(signum, frame):
            raise Alarm()

        old = signal.signal(signal.SIGALRM, handler)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            start = time.monotonic()
            with self.assertRaises(Alarm):
                lock.acquire()
            self.assertLess(time.monotonic() - start, SLACK)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        self.assertTrue(lock.locked())

    def test_signal_handler_returning_keeps_deadline(self):
        m = rtsync.Mutex(self.name("m"))
        held = MP.Event()
        p = child(_hold_then_release, m.name, rtsync.Mutex, held, SLACK)
        self.assertTrue(held.wait(SLACK * 3))
        calls = []
        old = signal.signal(signal.SIGALRM, lambda s, f: calls.append(s))
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            start = time.monotonic()
            self.assertFalse(m.acquire(timeout=0.6))
            self.assertGreaterEqual(time.monotonic() - start, 0.6)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        self.assertEqual(calls, [signal.SIGALRM])
        p.kill()
        p.join()


# ---------------------------------------------------------------------------
class Handles(RtsyncTestCase):

    def test_create_false_needs_the_name(self):
        with self.assertRaises(FileNotFoundError):
            rtsync.Lock(self.name("none"), create=False)

    def test_unlink_removes_the_name_only(self):
        n = self.name("l")
        lock = rtsync.Lock(n)
        lock.unlink()
        with self.assertRaises(FileNotFoundError):
            rtsync.Lock(n, create=False)
        self.assertTrue(lock.acquire(False))
        lock.release()

    def test_closed_object_refuses(self):
        lock = rtsync.Mutex(self.name("m"))
        lock.close()
        lock.close()
        with self.assertRaises(ValueError):
            lock.acquire()

    def test_other_type_is_einval(self):
        n = self.name("l")
        rtsync.Lock(n)
        with self.assertRaises(OSError) as ctx:
            rtsync.Mutex(n, create=False)
        self.assertEqual(ctx.exception.errno, errno.EINVAL)

    def test_mode(self):
        n = self.name("l")
        rtsync.Lock(n, mode=0o600)
        # Root passes any permission check; the object opens again.
        self.assertEqual(rtsync.Lock(n, create=False).name, n)


# ---------------------------------------------------------------------------
HOLD_TIME_PARAM = "/sys/module/rtsync/parameters/hold_time"
HOLD = 0.05  # seconds a lock is held in the statistics tests


def _hold_until_waited(name, held, seconds):
    """Take the Lock, wait until someone sleeps on it, hold it `seconds`
    more, release: that sleeper's wait is longer than `seconds`."""
    lock = rtsync.Lock(name, create=False)
    lock.acquire()
    held.set()
    deadline = time.monotonic() + SLACK * 3
    while lock.waiters == 0 and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(seconds)
    lock.release()
    os._exit(0)


def _reset_as_nobody(name, result):
    lock = rtsync.Lock(name, create=False)
    os.setgid(65534)
    os.setuid(65534)
    try:
        lock.reset_stats()
        result.value = 1
    except PermissionError:
        result.value = 2
    os._exit(0)


def _hold_time_param():
    """The module parameter hold_time ("Y" or "N"), None if unreadable."""
    try:
        with open(HOLD_TIME_PARAM) as f:
            return f.read().strip()
    except OSError:
        return None


def _set_hold_time(value):
    with open(HOLD_TIME_PARAM, "w") as f:
        f.write(value)


ZERO = rtsync.Stats(acquisitions=0, contended=0, wait_ns=0, wait_max_ns=0,
                    hold_max_ns=None, posts=0, timeouts=0, deadlocks=0,
                    owner_deaths=0, max_sleepers=0)


class Statistics(RtsyncTestCase):
    """stats() and reset_stats(): the kernel's counters of each object."""

    def test_contended_lock(self):
        n = self.name("l")
        lock = rtsync.Lock(n)
        held = MP.Event()
        p = child(_hold_until_waited, n, held, HOLD)
        self.assertTrue(held.wait(SLACK * 3))
        start = time.monotonic_ns()
        self.assertTrue(lock.acquire(timeout=SLACK * 3))
        took = time.monotonic_ns() - start
        lock.release()
        join_ok(self, p, "holder")
        st = lock.stats()
        self.assertEqual((st.acquisitions, st.contended, st.posts,
                          st.timeouts, st.max_sleepers), (2, 1, 2, 0, 1), st)
        self.assertGreaterEqual(st.wait_max_ns, HOLD * 0.8e9, st)
        self.assertLessEqual(st.wait_max_ns, took, st)
        self.assertEqual(st.wait_ns, st.wait_max_ns)
        self.assertEqual(st.wait, st.wait_ns / 1e9)
        self.assertEqual(st.wait_max, st.wait_max_ns / 1e9)
        self.assertEqual(st.mean_wait, st.wait)
        self.assertIsNone(st.hold_max_ns)
        self.assertEqual((st.deadlocks, st.owner_deaths), (0, 0))

    def test_timeouts_counted(self):
        lock = rtsync.Lock(self.name("l"))
        lock.acquire()
        start = time.monotonic_ns()
        self.assertFalse(lock.acquire(timeout=HOLD))
        took = time.monotonic_ns() - start
        st = lock.stats()
        self.assertEqual((st.timeouts, st.contended, st.acquisitions,
                          st.max_sleepers), (1, 0, 1, 1), st)
        # The sleep began after the deadline was set: a little shorter.
        self.assertGreaterEqual(st.wait_ns, HOLD * 0.4e9, st)
        self.assertLessEqual(st.wait_ns, took, st)
        self.assertIsNone(st.mean_wait)
        lock.release()

        m = rtsync.Mutex(self.name("m"))
        with m:
            self.assertEqual(in_thread(lambda: m.acquire(timeout=HOLD)),
                             ("ret", False))
        st = m.stats()
        self.assertEqual((st.timeouts, st.contended, st.acquisitions),
                         (1, 0, 1), st)
        self.assertGreater(st.wait_ns, 0)

    def test_semaphore_counts_and_reset(self):
        sem = rtsync.Semaphore(self.name("s"), 2, max=3)
        self.assertEqual(sem.stats(), ZERO)
        self.assertTrue(sem.acquire())
        self.assertTrue(sem.acquire(False))
        self.assertFalse(sem.acquire(False))
        sem.release(3)
        with self.assertRaises(OSError):
            sem.release()  # past the maximum: not a post
        for _ in range(3):
            self.assertTrue(sem.acquire(False))
        sem.release()
        self.assertEqual(sem.stats(), dataclasses.replace(
            ZERO, acquisitions=5, posts=2))
        sem.reset_stats()
        self.assertEqual(sem.stats(), ZERO)

        bounded = rtsync.BoundedSemaphore(self.name("b"), 2)
        with bounded:
            pass
        with self.assertRaises(ValueError):
            bounded.release()
        self.assertEqual(bounded.stats(), dataclasses.replace(
            ZERO, acquisitions=1, posts=1))

    def test_reset_zeroes_contention_counters(self):
        lock = rtsync.Lock(self.name("l"))
        lock.acquire()
        self.assertFalse(lock.acquire(timeout=0.01))
        self.assertNotEqual(lock.stats(), ZERO)
        lock.reset_stats()
        self.assertEqual(lock.stats(), ZERO)
        lock.release()
        self.assertEqual(lock.stats().posts, 1)

    def test_mutex_counts(self):
        r = rtsync.RLock(self.name("r"))
        with r, r:
            pass
        with r:
            pass
        # Recursive levels are not acquisitions.
        self.assertEqual(r.stats().acquisitions, 2)

        m = rtsync.Mutex(self.name("m"))
        with m:
            with self.assertRaises(rtsync.DeadlockError):
                m.acquire()
            with self.assertRaises(rtsync.DeadlockError):
                m.acquire(False)
        st = m.stats()
        self.assertEqual((st.acquisitions, st.deadlocks, st.posts,
                          st.max_sleepers), (1, 2, 0, 0), st)

        n = self.name("d")
        d = rtsync.Mutex(n)
        join_ok(self, child(_die_holding, n, rtsync.Mutex), "dies holding")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rtsync.OwnerDiedWarning)
            self.assertTrue(d.acquire(timeout=SLACK))
        d.consistent()
        d.release()
        st = d.stats()
        self.assertEqual((st.acquisitions, st.owner_deaths, st.contended),
                         (2, 1, 0), st)

    def test_condition_counts(self):
        m = rtsync.Mutex(self.name("m"))
        c = rtsync.Condition(self.name("c"), m)
        with c:
            self.assertFalse(c.wait(HOLD))
        st = c.stats()
        self.assertEqual((st.timeouts, st.acquisitions, st.max_sleepers),
                         (1, 0, 1), st)
        woken = []

        def waiter():
            with c:
                woken.append(c.wait(SLACK))

        t = threading.Thread(target=waiter)
        t.start()
        deadline = time.monotonic() + SLACK
        while c.waiters == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        with c:
            c.notify()
        t.join(SLACK)
        self.assertEqual(woken, [True])
        with c:
            c.notify_all()
        st = c.stats()
        # A condition's acquisitions are its waits woken by a notify.
        self.assertEqual((st.acquisitions, st.contended, st.posts,
                          st.timeouts, st.max_sleepers), (1, 1, 2, 1, 1), st)
        self.assertIsNone(st.hold_max_ns)
        c.reset_stats()
        self.assertEqual(c.stats(), ZERO)

    def test_every_class(self):
        m = rtsync.Mutex(self.name("m"))
        objects = [rtsync.Lock(self.name("l")), rtsync.RLock(self.name("r")),
                   m, rtsync.Semaphore(self.name("s")),
                   rtsync.BoundedSemaphore(self.name("b")),
                   rtsync.Condition(self.name("c"), m)]
        timed = _hold_time_param() == "Y"
        for obj in objects:
            st = obj.stats()
            self.assertIsInstance(st, rtsync.Stats)
            mutex = isinstance(obj, (rtsync.Mutex, rtsync.RLock))
            want = dataclasses.replace(ZERO, hold_max_ns=0) \
                if mutex and timed else ZERO
            self.assertEqual(st, want, obj)
            obj.reset_stats()
        m.close()
        with self.assertRaises(ValueError):
            m.stats()
        with self.assertRaises(ValueError):
            m.reset_stats()

    def test_stats_is_frozen(self):
        lock = rtsync.Lock(self.name("l"))
        st = lock.stats()
        with self.assertRaises(dataclasses.FrozenInstanceError):
            st.acquisitions = 1  # type: ignore[misc]
        self.assertEqual(st, lock.stats())
        self.assertEqual(hash(st), hash(lock.stats()))
        made = rtsync.Stats(acquisitions=4, contended=2, wait_ns=3_000_000_000,
                            wait_max_ns=2_000_000_000, hold_max_ns=None,
                            posts=0, timeouts=0, deadlocks=0, owner_deaths=0,
                            max_sleepers=0)
        self.assertEqual((made.wait, made.wait_max, made.mean_wait),
                         (3.0, 2.0, 1.5))

    def test_reset_needs_owner_creator_or_cap_sys_admin(self):
        if os.geteuid() != 0:
            self.skipTest("needs root, to become another user")
        n = self.name("l")
        lock = rtsync.Lock(n)
        lock.acquire()
        result = MP.Value("i", 0, lock=False)
        join_ok(self, child(_reset_as_nobody, n, result), "reset as nobody")
        self.assertEqual(result.value, 2, "PermissionError")
        self.assertEqual(lock.stats().acquisitions, 1)
        lock.release()

    def test_hold_time(self):
        """hold_max_ns is None while hold_time is off, and measured (on a
        mutex) while it is on."""
        m = rtsync.Mutex(self.name("m"))
        lock = rtsync.Lock(self.name("l"))
        old = _hold_time_param()
        if old == "N":
            self.assertIsNone(m.stats().hold_max_ns)
        if old is None or not os.access(HOLD_TIME_PARAM, os.W_OK):
            self.skipTest("%s cannot be written" % HOLD_TIME_PARAM)
        _set_hold_time("Y")
        try:
            self.assertEqual(m.stats().hold_max_ns, 0)
            start = time.monotonic_ns()
            with m:
                time.sleep(HOLD)
            took = time.monotonic_ns() - start
            with lock:
                pass
            hold = m.stats().hold_max_ns
            # Semaphores are not held by anyone: never measured.
            self.assertIsNone(lock.stats().hold_max_ns)
        finally:
            _set_hold_time(old)
        assert hold is not None
        self.assertGreaterEqual(hold, HOLD * 1e9)
        self.assertLessEqual(hold, took)
        if old == "N":
            self.assertIsNone(m.stats().hold_max_ns)


# ---------------------------------------------------------------------------
class TapResult(unittest.TestResult):
    """Prints one TAP line per test as it ends."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, test, ok, extra=""):
        self.n += 1
        print("%s %d - %s%s" % ("ok" if ok else "not ok", self.n, test.id().replace("__main__.", ""), extra),
              flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(test, True)

    def _fail(self, test, err):
        self._line(test, False)
        text = self._exc_info_to_string(err, test)  # type: ignore[attr-defined]
        for line in text.splitlines():
            print("# " + line, flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(test, True, " # SKIP " + reason)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = TapResult()
    suite.run(result)
    print("1..%d" % result.n, flush=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
