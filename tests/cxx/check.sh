#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# tests/cxx/check.sh: compile the C++ header's checks with every compiler
# and standard rtsync supports, TAP on standard output (make check runs it
# among the host tests):
#  - requirements.cpp (static_asserts of the standard's requirements and
#    instantiations of lock_guard, scoped_lock, unique_lock,
#    condition_variable_any over the classes) with g++ and clang++, C++17
#    and C++20, with exceptions and with -fno-exceptions (only
#    rtsync::nothrow then);
#  - the guest test tests/integration/cxx_sync.cpp, with exceptions (it
#    catches them), under the same compilers and standards.
# All with -Wall -Wextra -Werror. tests/vm/deps.sh installs clang.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
flags=(-fsyntax-only -Wall -Wextra -Werror -I"$top/userspace/include" -I"$top/uapi")
n=0

check() {
	local file=$1 cxx=$2 std=$3 extra=$4 out
	n=$((n + 1))
	if ! command -v "$cxx" >/dev/null; then
		echo "not ok $n - $(basename "$file"): $cxx is installed"
		return
	fi
	# shellcheck disable=SC2086
	if out=$("$cxx" -std="$std" $extra "${flags[@]}" "$file" 2>&1); then
		echo "ok $n - $(basename "$file") compiles: $cxx -std=$std ${extra:-(exceptions)}"
	else
		echo "not ok $n - $(basename "$file") compiles: $cxx -std=$std ${extra:-(exceptions)}"
		echo "$out" | head -n 20 | sed 's/^/# /'
	fi
}

echo "1..12"
for cxx in g++ clang++; do
	for std in c++17 c++20; do
		check "$here/requirements.cpp" "$cxx" "$std" ""
		check "$here/requirements.cpp" "$cxx" "$std" -fno-exceptions
		check "$top/tests/integration/cxx_sync.cpp" "$cxx" "$std" ""
	done
done
