// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * rtsync._rtsync: thin C layer over librtsync for the rtsync package.
 *
 * Every blocking call releases the GIL, turns a relative timeout into an
 * absolute CLOCK_MONOTONIC deadline once, and retries after EINTR with the
 * same deadline once pending Python signal handlers have run (so Ctrl-C
 * interrupts a wait, and a handler that returns does not shorten it).
 * Calls return the errno value librtsync returned (0 on success) and leave
 * the mapping to Python exceptions to rtsync/__init__.py, which mirrors
 * the threading module; only the open calls raise OSError themselves.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <time.h>

#include <rtsync.h>

/* How a wait ends: not at all, at once (try), or at a deadline. */
enum wait_kind { WAIT_FOREVER, WAIT_TRY, WAIT_UNTIL };

/*
 * parse_timeout: timeout < 0 waits for ever, 0 only tries, > 0 waits until
 * now + timeout on CLOCK_MONOTONIC (stored in *deadline).
 */
static int parse_timeout(double timeout, enum wait_kind *kind,
			 struct timespec *deadline)
{
	double whole, frac;

	if (isnan(timeout)) {
		PyErr_SetString(PyExc_ValueError, "timeout is NaN");
		return -1;
	}
	if (timeout < 0) {
		*kind = WAIT_FOREVER;
		return 0;
	}
	if (timeout == 0) {
		*kind = WAIT_TRY;
		return 0;
	}
	if (timeout > 1e12) {
		PyErr_SetString(PyExc_OverflowError, "timeout value is too large");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, deadline);
	frac = modf(timeout, &whole);
	deadline->tv_sec += (time_t)whole;
	deadline->tv_nsec += (long)(frac * 1e9);
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
	*kind = WAIT_UNTIL;
	return 0;
}

/*
 * Retry a blocking call after EINTR unless a Python signal handler raised:
 * then return NULL with that exception set.
 */
#define BLOCKING_CALL(err, call)					\
	do {								\
		Py_BEGIN_ALLOW_THREADS					\
		(err) = (call);						\
		Py_END_ALLOW_THREADS					\
		if ((err) != EINTR)					\
			break;						\
		if (PyErr_CheckSignals() < 0)				\
			return NULL;					\
	} while (1)

static PyObject *open_result(int fd)
{
	if (fd < 0)
		return PyErr_SetFromErrno(PyExc_OSError);
	return PyLong_FromLong(fd);
}

static PyObject *py_mutex_open(PyObject *self, PyObject *args)
{
	const char *name;
	int oflag, fd;
	unsigned int mode, flags;

	(void)self;
	if (!PyArg_ParseTuple(args, "siII", &name, &oflag, &mode, &flags))
		return NULL;
	fd = rtsync_mutex_open(name, oflag, (mode_t)mode, flags);
	return open_result(fd);
}

/* The three ways to take a mutex or a unit of a semaphore. */
struct take_ops {
	int (*try_take)(int fd);
	int (*take)(int fd);
	int (*timed_take)(int fd, clockid_t clock,
			  const struct timespec *abstime);
};

/* (fd, timeout) -> errno: one take, as parse_timeout() says. */
static PyObject *take(PyObject *args, const struct take_ops *ops)
{
	int fd, err;
	double timeout;
	enum wait_kind kind;
	struct timespec deadline;

	if (!PyArg_ParseTuple(args, "id", &fd, &timeout))
		return NULL;
	if (parse_timeout(timeout, &kind, &deadline) < 0)
		return NULL;
	switch (kind) {
	case WAIT_TRY:
		err = ops->try_take(fd);
		break;
	case WAIT_FOREVER:
		BLOCKING_CALL(err, ops->take(fd));
		break;
	default:
		BLOCKING_CALL(err, ops->timed_take(fd, CLOCK_MONOTONIC,
						   &deadline));
		break;
	}
	return PyLong_FromLong(err);
}

static const struct take_ops mutex_take_ops = {
	.try_take = rtsync_mutex_trylock,
	.take = rtsync_mutex_lock,
	.timed_take = rtsync_mutex_timedlock,
};

static PyObject *py_mutex_lock(PyObject *self, PyObject *args)
{
	(void)self;
	return take(args, &mutex_take_ops);
}

static PyObject *py_mutex_unlock(PyObject *self, PyObject *args)
{
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	return PyLong_FromLong(rtsync_mutex_unlock(fd));
}

static PyObject *py_mutex_consistent(PyObject *self, PyObject *args)
{
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	return PyLong_FromLong(rtsync_mutex_consistent(fd));
}

/* (errno, owner_tid, owner_pid, waiters, flags, recursion) */
static PyObject *py_mutex_info(PyObject *self, PyObject *args)
{
	int fd, err;
	struct rtsync_mutex_status st = { 0 };

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	err = rtsync_mutex_info(fd, &st);
	return Py_BuildValue("(iiiIII)", err, (int)st.owner_tid,
			     (int)st.owner_pid, st.waiters, st.flags,
			     st.recursion);
}

static PyObject *py_sem_open(PyObject *self, PyObject *args)
{
	const char *name;
	int oflag, fd;
	unsigned int mode, value, max;

	(void)self;
	if (!PyArg_ParseTuple(args, "siIII", &name, &oflag, &mode, &value, &max))
		return NULL;
	fd = rtsync_sem_open(name, oflag, (mode_t)mode, value, max);
	return open_result(fd);
}

static const struct take_ops sem_take_ops = {
	.try_take = rtsync_sem_trywait,
	.take = rtsync_sem_wait,
	.timed_take = rtsync_sem_timedwait,
};

static PyObject *py_sem_wait(PyObject *self, PyObject *args)
{
	(void)self;
	return take(args, &sem_take_ops);
}

/* (errno, previous count) */
static PyObject *py_sem_post(PyObject *self, PyObject *args)
{
	int fd, err;
	unsigned int n, prev = 0;

	(void)self;
	if (!PyArg_ParseTuple(args, "iI", &fd, &n))
		return NULL;
	err = rtsync_sem_post(fd, n, &prev);
	return Py_BuildValue("(iI)", err, prev);
}

/* (errno, value, max, waiters, flags) */
static PyObject *py_sem_info(PyObject *self, PyObject *args)
{
	int fd, err;
	struct rtsync_sem_status st = { 0 };

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	err = rtsync_sem_info(fd, &st);
	return Py_BuildValue("(iIIII)", err, st.value, st.max, st.waiters,
			     st.flags);
}

static PyObject *py_cond_open(PyObject *self, PyObject *args)
{
	const char *name;
	int oflag, fd;
	unsigned int mode;

	(void)self;
	if (!PyArg_ParseTuple(args, "siI", &name, &oflag, &mode))
		return NULL;
	fd = rtsync_cond_open(name, oflag, (mode_t)mode);
	return open_result(fd);
}

/*
 * A condition wait that EINTR ends holds the mutex again; retrying it is
 * what SA_RESTART would do, and the wake-up it may have missed is allowed
 * (a spurious wake-up is always possible).
 */
static PyObject *py_cond_wait(PyObject *self, PyObject *args)
{
	int cond_fd, mutex_fd, err;
	double timeout;
	enum wait_kind kind;
	struct timespec deadline;

	(void)self;
	if (!PyArg_ParseTuple(args, "iid", &cond_fd, &mutex_fd, &timeout))
		return NULL;
	if (parse_timeout(timeout, &kind, &deadline) < 0)
		return NULL;
	if (kind == WAIT_TRY) {
		/* threading.Condition.wait(0) releases and retakes the lock. */
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		kind = WAIT_UNTIL;
	}
	if (kind == WAIT_FOREVER)
		BLOCKING_CALL(err, rtsync_cond_wait(cond_fd, mutex_fd));
	else
		BLOCKING_CALL(err, rtsync_cond_timedwait(cond_fd, mutex_fd,
							  CLOCK_MONOTONIC,
							  &deadline));
	return PyLong_FromLong(err);
}

static PyObject *py_cond_signal(PyObject *self, PyObject *args)
{
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	return PyLong_FromLong(rtsync_cond_signal(fd));
}

static PyObject *py_cond_broadcast(PyObject *self, PyObject *args)
{
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	return PyLong_FromLong(rtsync_cond_broadcast(fd));
}

/* (errno, waiters, flags) */
static PyObject *py_cond_info(PyObject *self, PyObject *args)
{
	int fd, err;
	struct rtsync_cond_status st = { 0 };

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	err = rtsync_cond_info(fd, &st);
	return Py_BuildValue("(iII)", err, st.waiters, st.flags);
}

/*
 * (errno, acquisitions, contended, wait_ns, wait_max_ns, hold_max_ns,
 *  posts, timeouts, deadlocks, owner_deaths, max_sleepers, flags), any
 * object type (struct rtsync_stats in <linux/rtsync.h>).
 */
static PyObject *py_stats(PyObject *self, PyObject *args)
{
	int fd, err;
	struct rtsync_stats st = { 0 };

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	err = rtsync_stats(fd, &st);
	return Py_BuildValue("(iKKKKKKIIIII)", err,
			     (unsigned long long)st.acquisitions,
			     (unsigned long long)st.contended,
			     (unsigned long long)st.wait_ns,
			     (unsigned long long)st.wait_max_ns,
			     (unsigned long long)st.hold_max_ns,
			     (unsigned long long)st.posts, st.timeouts,
			     st.deadlocks, st.owner_deaths, st.max_sleepers,
			     st.flags);
}

static PyObject *py_stats_reset(PyObject *self, PyObject *args)
{
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	return PyLong_FromLong(rtsync_stats_reset(fd));
}

static PyObject *py_unlink(PyObject *self, PyObject *args)
{
	const char *name;

	(void)self;
	if (!PyArg_ParseTuple(args, "s", &name))
		return NULL;
	return PyLong_FromLong(rtsync_unlink(name));
}

static PyObject *py_close(PyObject *self, PyObject *args)
{
	int fd;

	(void)self;
	if (!PyArg_ParseTuple(args, "i", &fd))
		return NULL;
	return PyLong_FromLong(rtsync_close(fd));
}

static PyMethodDef rtsync_methods[] = {
	{ "mutex_open", py_mutex_open, METH_VARARGS,
	  "mutex_open(name, oflag, mode, flags) -> fd" },
	{ "mutex_lock", py_mutex_lock, METH_VARARGS,
	  "mutex_lock(fd, timeout) -> errno; timeout < 0: for ever, 0: try" },
	{ "mutex_unlock", py_mutex_unlock, METH_VARARGS, "mutex_unlock(fd) -> errno" },
	{ "mutex_consistent", py_mutex_consistent, METH_VARARGS,
	  "mutex_consistent(fd) -> errno" },
	{ "mutex_info", py_mutex_info, METH_VARARGS,
	  "mutex_info(fd) -> (errno, owner_tid, owner_pid, waiters, flags, recursion)" },
	{ "sem_open", py_sem_open, METH_VARARGS,
	  "sem_open(name, oflag, mode, value, max) -> fd" },
	{ "sem_wait", py_sem_wait, METH_VARARGS,
	  "sem_wait(fd, timeout) -> errno; timeout < 0: for ever, 0: try" },
	{ "sem_post", py_sem_post, METH_VARARGS, "sem_post(fd, n) -> (errno, previous)" },
	{ "sem_info", py_sem_info, METH_VARARGS,
	  "sem_info(fd) -> (errno, value, max, waiters, flags)" },
	{ "cond_open", py_cond_open, METH_VARARGS, "cond_open(name, oflag, mode) -> fd" },
	{ "cond_wait", py_cond_wait, METH_VARARGS,
	  "cond_wait(cond_fd, mutex_fd, timeout) -> errno; timeout < 0: for ever" },
	{ "cond_signal", py_cond_signal, METH_VARARGS, "cond_signal(fd) -> errno" },
	{ "cond_broadcast", py_cond_broadcast, METH_VARARGS, "cond_broadcast(fd) -> errno" },
	{ "cond_info", py_cond_info, METH_VARARGS,
	  "cond_info(fd) -> (errno, waiters, flags)" },
	{ "stats", py_stats, METH_VARARGS,
	  "stats(fd) -> (errno, acquisitions, contended, wait_ns, wait_max_ns, "
	  "hold_max_ns, posts, timeouts, deadlocks, owner_deaths, max_sleepers, "
	  "flags)" },
	{ "stats_reset", py_stats_reset, METH_VARARGS, "stats_reset(fd) -> errno" },
	{ "unlink", py_unlink, METH_VARARGS, "unlink(name) -> errno" },
	{ "close", py_close, METH_VARARGS, "close(fd) -> errno" },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef rtsync_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "rtsync._rtsync",
	.m_doc = "Low-level librtsync calls; use the rtsync package instead.",
	.m_size = -1,
	.m_methods = rtsync_methods,
};

PyMODINIT_FUNC PyInit__rtsync(void)
{
	PyObject *m = PyModule_Create(&rtsync_module);

	if (!m)
		return NULL;
	if (PyModule_AddIntConstant(m, "O_CREAT", O_CREAT) < 0 ||
	    PyModule_AddIntConstant(m, "RECURSIVE", RTSYNC_RECURSIVE) < 0 ||
	    PyModule_AddIntConstant(m, "SEM_VALUE_MAX", RTSYNC_SEM_VALUE_MAX) < 0 ||
	    PyModule_AddIntConstant(m, "MINFO_OWNER_DIED", RTSYNC_MINFO_OWNER_DIED) < 0 ||
	    PyModule_AddIntConstant(m, "MINFO_INCONSISTENT", RTSYNC_MINFO_INCONSISTENT) < 0 ||
	    PyModule_AddIntConstant(m, "MINFO_NOTRECOVERABLE",
				    RTSYNC_MINFO_NOTRECOVERABLE) < 0 ||
	    PyModule_AddIntConstant(m, "STATS_HOLD_TIME", RTSYNC_STATS_HOLD_TIME) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
