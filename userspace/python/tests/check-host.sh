#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The Python binding's checks that need no /dev/rtsync, on the build host,
# with Debian's /usr/bin/python3 (TAP on standard output):
#  - mypy --strict on the package (its annotations and the extension's
#    stub, rtsync/_rtsync.pyi), and mypy on the tests, bodies included,
#    so the API mypy and IDEs see is the one the tests use;
#  - `pip wheel` builds a wheel (offline: --no-build-isolation, with
#    Debian's setuptools and wheel) that carries py.typed and the stub,
#    installs into a fresh venv and imports there.
# tests/vm/deps.sh installs mypy and python3-wheel; make check runs this
# among the host tests.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0

# check DESCRIPTION CMD...: one TAP line; the output of a failure as comments.
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@" >"$work/out" 2>&1; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		tail -n 20 "$work/out" | sed 's/^/# /'
	fi
}

wheel_has() {
	"$python" -m zipfile -l "$work"/wheel/rtsync-*.whl | grep "rtsync/$1" >/dev/null
}

echo "1..6"
cd "$here" || exit 1
check "mypy --strict on the rtsync package" \
	"$python" -m mypy --cache-dir "$work/mypy" --strict rtsync
check "mypy on the tests, untyped bodies included" \
	"$python" -m mypy --cache-dir "$work/mypy" --check-untyped-defs \
	rtsync tests/test_rtsync.py
# In place (setup.py finds librtsync.a beside it), as the guest's build.
check "pip wheel builds a wheel" \
	"$python" -m pip wheel --no-build-isolation --no-deps -w "$work/wheel" "$here"
check "the wheel carries py.typed and the extension's stub" \
	eval 'wheel_has py.typed && wheel_has _rtsync.pyi'
check "the wheel installs into a fresh venv" \
	eval '"$python" -m venv "$work/venv" &&
	      "$work/venv/bin/pip" install --no-deps --no-index "$work"/wheel/rtsync-*.whl'
cd "$work" || exit 1	# not the source tree: import the installed package
check "the installed package imports and has the threading API" \
	"$work/venv/bin/python" -c '
import rtsync, rtsync._rtsync
for cls in (rtsync.Lock, rtsync.RLock, rtsync.Semaphore, rtsync.BoundedSemaphore, rtsync.Condition):
    assert hasattr(cls, "acquire") or hasattr(cls, "wait"), cls
assert hasattr(rtsync.Semaphore, "acquire_async")
assert callable(rtsync._rtsync.stats) and callable(rtsync._rtsync.stats_reset)
assert rtsync.Stats(0, 0, 1500000000, 0, None, 0, 0, 0, 0, 0).wait == 1.5
'
