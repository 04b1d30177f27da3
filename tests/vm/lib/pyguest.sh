# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# A guest that runs Python: the rtsync binding (userspace/python) built with
# pip in a venv of Debian's /usr/bin/python3 on the host (not whichever
# python3 comes first in PATH), then that python3.11, the shared libraries
# it and its extension modules load (from ldd) and its standard library
# staged into a tree that rtsync_pass copies into the initramfs (--file
# TREE /). The binding's tests run in the guest as the plan step
# python_rtsync. deps.sh installs python3-dev, python3-setuptools,
# python3-venv, python3-pip and rsync. Sourced after lib.sh by python.sh
# and check.sh; python_pass is the whole pass.

PY_VERSION=3.11		# Debian 12's
PY_PYTHON=/usr/bin/python$PY_VERSION
PY_VENV=$RTSYNC_CACHE/python-venv
PY_SRC=$TOP/userspace/python
# Parts of the standard library no test imports: left out of the guest.
PY_STDLIB_SKIP=(test idlelib tkinter turtledemo ensurepip lib2to3 pydoc_data
	"config-$PY_VERSION-*" distutils/tests unittest/test sqlite3/test)

# python_pass [KERNEL]: build the binding, boot KERNEL (default stock) with
# it and Python, run its tests; each TAP check is one test of the tally,
# "python/python_rtsync: <description>", plus "python/build: ..." and
# "python/insmod: ...". Returns 0 unless the harness itself broke.
python_pass() {
	local kernel=${1:-stock} started=$SECONDS tree=$RUN_DIR/python-tree
	local log=$RUN_DIR/build-python.log

	say "building the Python binding with $PY_PYTHON (pip install into $PY_VENV) ..."
	# Two runs at once share the venv: one builds and stages at a time.
	exec 8>"$PY_VENV.lock"
	flock 8
	if ! pyguest_build "$log"; then
		exec 8>&-
		record FAIL "python/build: pip install userspace/python"
		show_tail "$log"
		return 0
	fi
	record PASS "python/build: pip install userspace/python"
	pyguest_stage "$tree"
	exec 8>&-
	rtsync_pass --label python --no-programs --file "$tree" / \
		--before "test python_rtsync" "$kernel"
	rm -rf "$tree"
	say "Python pass finished in $(elapsed_since "$started") s"
}

# pyguest_build LOG: librtsync.a and `pip install` of the binding into
# PY_VENV (Debian's pip refuses system-wide installs, and only Debian's
# packages are reachable: --system-site-packages, --no-build-isolation).
pyguest_build() {
	local log=$1

	# A venv made by another interpreter, or a broken one, is made again.
	if ! grep -qx "executable = $PY_PYTHON" "$PY_VENV/pyvenv.cfg" 2>/dev/null ||
		[ ! -x "$PY_VENV/bin/pip" ]; then
		rm -rf "$PY_VENV"
	fi
	{
		make -C "$TOP" lib &&
			{ [ -x "$PY_VENV/bin/pip" ] ||
				"$PY_PYTHON" -m venv --system-site-packages "$PY_VENV"; } &&
			"$PY_VENV/bin/pip" install --no-build-isolation --no-deps \
				--force-reinstall --no-index "$PY_SRC" &&
			(cd / && "$PY_VENV/bin/python" -c 'import rtsync; rtsync.Lock')
	} >"$log" 2>&1
}

# pyguest_site: the directory the venv installed the package into.
pyguest_site() {
	"$PY_VENV/bin/python" -c 'import os, rtsync; print(os.path.dirname(rtsync.__path__[0]))'
}

# pyguest_copy_libs TREE FILE...: each shared library FILE needs (and the
# dynamic loader), at the path ldd names, as a regular file.
pyguest_copy_libs() {
	local tree=$1 lib
	shift

	ldd "$@" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } NF == 2 && $1 ~ /^\// { print $1 }' |
		sort -u | while IFS= read -r lib; do
		mkdir -p "$tree$(dirname "$lib")"
		cp -L "$lib" "$tree$lib"
	done
}

# pyguest_stage TREE: python3, its libraries, the standard library, the
# installed binding, its tests and the plan step that runs them.
pyguest_stage() {
	local tree=$1 python stdlib=/usr/lib/python$PY_VERSION excludes=() skip

	rm -rf "$tree"
	mkdir -p "$tree/usr/bin" "$tree/usr/lib/python3/dist-packages" \
		"$tree/rtsync/tests" "$tree/rtsync/python"
	python=$(readlink -f "$PY_PYTHON")
	cp "$python" "$tree/usr/bin/python$PY_VERSION"
	ln -s "python$PY_VERSION" "$tree/usr/bin/python3"
	for skip in "${PY_STDLIB_SKIP[@]}"; do
		excludes+=(--exclude "/$skip")
	done
	rsync -a "${excludes[@]}" "$stdlib/" "$tree$stdlib/"
	cp -a "$(pyguest_site)/rtsync" "$tree/usr/lib/python3/dist-packages/"
	find "$tree/usr/lib/python3/dist-packages/rtsync" -name __pycache__ -prune -exec rm -rf {} +
	pyguest_copy_libs "$tree" "$python" "$stdlib"/lib-dynload/*.so \
		"$tree"/usr/lib/python3/dist-packages/rtsync/*.so
	cp "$PY_SRC/tests/test_rtsync.py" "$tree/rtsync/python/"
	cat >"$tree/rtsync/tests/python_rtsync" <<-'SCRIPT'
	#!/bin/sh
	# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
	# The rtsync Python binding's tests (TAP).
	exec /usr/bin/python3 -X faulthandler /rtsync/python/test_rtsync.py
	SCRIPT
	chmod 0755 "$tree/rtsync/tests/python_rtsync"
}
