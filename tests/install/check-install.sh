#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Packaging checks on the build host (no VM, no module loaded), as TAP:
#  - `make install DESTDIR=<tmp> PREFIX=/usr` stages exactly the expected
#    files (module under the kernel release it was built for, headers,
#    libraries with their soname links, rtsync.pc, rtsyncctl, man pages
#    with their .so links, udev rule, modules-load.d example);
#  - a program compiles and links against the staged tree through
#    pkg-config, shared and static, and runs;
#  - the man pages lint clean and `man` finds every name;
#  - `make uninstall` removes every file again;
#  - `make dkms` + `dkms add/build/remove` for KDIR's kernel release
#    (root and dkms needed, otherwise skipped), leaving no trace.
# Environment: KDIR as for the top-level Makefile.
set -uo pipefail
# With pipefail, `cmd | grep -q` fails when grep's early exit kills cmd
# with SIGPIPE: pipelines here read all of cmd's output (grep >/dev/null).

TOP=$(cd "$(dirname "$0")/../.." && pwd)

# Two runs at once (two `make check`s on one machine) would share
# /usr/src/rtsync-<version> and dkms's state: the second waits.
exec 9>"${TMPDIR:-/tmp}/rtsync-check-install.lock"
flock 9
STAGE=$(mktemp -d /tmp/rtsync-install.XXXXXX)
PREFIX=/usr
LOG=$STAGE.log
DKMS_SRC=""
DKMS_REGISTERED=""
MOK_CREATED=""

tap_count=0
tap_failures=0

# ok COND_STATUS DESCRIPTION: one TAP line from a command's status.
ok() {
	tap_count=$((tap_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_count - $2"
	else
		echo "not ok $tap_count - $2"
		tap_failures=$((tap_failures + 1))
	fi
	return "$1"
}

# check DESCRIPTION CMD...: run CMD (output to the log); one TAP line.
check() {
	local what=$1
	shift
	local status

	echo "### $what: $*" >>"$LOG"
	"$@" >>"$LOG" 2>&1
	status=$?
	ok $status "$what" || tail -n 15 "$LOG" | as_comments
	return $status
}

skip() {
	tap_count=$((tap_count + 1))
	echo "ok $tap_count - $2 # SKIP $1"
}

diag() {
	echo "# $*"
}

# as_comments: stdin as TAP comment lines.
as_comments() {
	sed 's/^/# /'
}

cleanup() {
	if [ -n "$DKMS_REGISTERED" ]; then
		dkms remove "$DKMS_REGISTERED" --all >>"$LOG" 2>&1
	fi
	[ -z "$DKMS_SRC" ] || rm -rf "$DKMS_SRC"
	[ -z "$MOK_CREATED" ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	rm -rf "$STAGE" "$LOG"
}
trap cleanup EXIT

# --- make install ----------------------------------------------------------

check "make install DESTDIR=<tmp> PREFIX=$PREFIX" \
	make -C "$TOP" install DESTDIR="$STAGE" PREFIX="$PREFIX"

# The one kernel release the module was installed for.
krels=$(cd "$STAGE/lib/modules" 2>/dev/null && ls)
krel=""
[ "$(echo "$krels" | wc -w)" -eq 1 ] && krel=$krels
vermagic=$(modinfo -F vermagic "$STAGE/lib/modules/$krel/updates/rtsync.ko" 2>/dev/null)
[ -n "$krel" ] && [ "${vermagic%% *}" = "$krel" ]
ok $? "rtsync.ko is under lib/modules/<release>/updates for the release it was built for ('$krels', vermagic '$vermagic')"

man3_names="rtsync_close rtsync_cond_broadcast rtsync_cond_info
rtsync_cond_open rtsync_cond_signal rtsync_cond_timedwait rtsync_cond_wait
rtsync_mutex_consistent rtsync_mutex_info rtsync_mutex_lock
rtsync_mutex_open rtsync_mutex_timedlock rtsync_mutex_trylock
rtsync_mutex_unlock rtsync_sem_info rtsync_sem_open rtsync_sem_post
rtsync_sem_timedwait rtsync_sem_trywait rtsync_sem_wait rtsync_setperm
rtsync_stats rtsync_stats_reset rtsync_unlink rtsync_version"

# The release (userspace/lib/version.mk, as dkms.conf reads it): the
# shared library's file name carries it.
RELEASE=$(bash -c ". '$TOP/dkms.conf' && echo \"\$PACKAGE_VERSION\"")

expected_files() {
	local name

	cat <<-EOF
	lib/modules/$krel/updates/rtsync.ko
	lib/udev/rules.d/60-rtsync.rules
	usr/bin/rtsyncctl
	usr/include/linux/rtsync.h
	usr/include/rtsync.h
	usr/include/rtsync.hpp
	usr/lib/librtsync.a
	usr/lib/librtsync.so
	usr/lib/librtsync.so.1
	usr/lib/librtsync.so.$RELEASE
	usr/lib/pkgconfig/rtsync.pc
	usr/share/doc/rtsync/modules-load.d/rtsync.conf
	usr/share/man/man1/rtsyncctl.1
	usr/share/man/man7/rtsync.7
	EOF
	for name in $man3_names; do
		echo "usr/share/man/man3/$name.3"
	done
}

staged_files() {
	(cd "$STAGE" && find . \( -type f -o -type l \) -printf '%P\n')
}

difference=$(diff <(expected_files | sort) <(staged_files | sort))
ok $? "the staged files are exactly the expected ones (no depmod output either)" ||
	as_comments <<<"$difference"

[ "$(readlink "$STAGE/usr/lib/librtsync.so")" = librtsync.so.1 ] &&
	[ "$(readlink "$STAGE/usr/lib/librtsync.so.1")" = "librtsync.so.$RELEASE" ] &&
	objdump -p "$STAGE/usr/lib/librtsync.so.$RELEASE" | grep 'SONAME *librtsync.so.1$' >/dev/null
ok $? "librtsync.so -> librtsync.so.1 -> librtsync.so.$RELEASE, soname librtsync.so.1"

[ -x "$STAGE/usr/bin/rtsyncctl" ] &&
	"$STAGE/usr/bin/rtsyncctl" --help | grep '^  list \[--json\]' >/dev/null
ok $? "the staged rtsyncctl runs and has list"

grep -sqx 'KERNEL=="rtsync", SUBSYSTEM=="misc", MODE="0666"' \
	"$STAGE/lib/udev/rules.d/60-rtsync.rules"
ok $? "the udev rule gives /dev/rtsync mode 0666"

grep -sqx rtsync "$STAGE/usr/share/doc/rtsync/modules-load.d/rtsync.conf" &&
	[ ! -e "$STAGE/etc/modules-load.d" ] && [ ! -e "$STAGE/usr/lib/modules-load.d" ]
ok $? "modules-load.d example installed as documentation only"

# --- building against the staged tree -------------------------------------

export PKG_CONFIG_SYSROOT_DIR=$STAGE
export PKG_CONFIG_LIBDIR=$STAGE$PREFIX/lib/pkgconfig
# pkg-config ends its output with a blank; compare the words only.
cflags=$(pkg-config --cflags rtsync 2>>"$LOG" | sed 's/ *$//')
libs=$(pkg-config --libs rtsync 2>>"$LOG" | sed 's/ *$//')
[ "$(pkg-config --modversion rtsync 2>>"$LOG")" = "$(bash -c ". '$TOP/dkms.conf' && echo \$PACKAGE_VERSION")" ] &&
	[ "$cflags" = "-I$STAGE$PREFIX/include" ] &&
	[ "$libs" = "-L$STAGE$PREFIX/lib -lrtsync" ]
ok $? "pkg-config: version as dkms.conf, cflags '${cflags//$STAGE/<tmp>}', libs '${libs//$STAGE/<tmp>}'"

cat >"$STAGE/program.c" <<'EOF'
/* Uses the installed headers and library; needs no module. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <rtsync.h>

int main(void)
{
	struct rtsync_mutex_status st;
	int fd;

	/* The library refuses a bad oflag before any system call. */
	fd = rtsync_mutex_open("installed", O_TRUNC, 0600, 0);
	if (fd != -1 || errno != EINVAL)
		return 1;
	if (rtsync_mutex_info(-1, &st) != EBADF)
		return 2;
	printf("ABI %d\n", RTSYNC_ABI_VERSION);
	return 0;
}
EOF
# shellcheck disable=SC2086 # pkg-config output is a list of words
check "a program compiles and links with pkg-config's flags (shared)" \
	cc -Wall -Wextra -Werror $cflags -o "$STAGE/program" "$STAGE/program.c" $libs
LD_LIBRARY_PATH=$STAGE$PREFIX/lib "$STAGE/program" >>"$LOG" 2>&1 &&
	LD_LIBRARY_PATH=$STAGE$PREFIX/lib ldd "$STAGE/program" |
	grep "librtsync.so.1 => $STAGE$PREFIX/lib/librtsync.so.1" >/dev/null
ok $? "it runs against the staged librtsync.so.1"
static_libs=$(pkg-config --static --libs rtsync 2>>"$LOG")
# shellcheck disable=SC2086
check "a program links statically with pkg-config --static" \
	cc -Wall -Wextra -Werror $cflags -o "$STAGE/program-static" \
	"$STAGE/program.c" -static $static_libs
check "the static program runs" "$STAGE/program-static"
if command -v c++ >/dev/null; then
	echo '#include <rtsync.h>' >"$STAGE/program.cc"
	# shellcheck disable=SC2086
	check "the installed headers compile as C++" \
		c++ -Wall -Wextra -Werror -fsyntax-only $cflags "$STAGE/program.cc"
	cat >"$STAGE/program-hpp.cc" <<-'EOF'
	#include <mutex>
	#include <rtsync.hpp>
	int main()
	{
		rtsync::nothrow::mutex m("pkg-config-test", rtsync::open_mode::open_existing);
		std::scoped_lock<rtsync::nothrow::mutex> guard(m);
		return m.error().value() == 0;
	}
	EOF
	# shellcheck disable=SC2086
	check "a C++17 program using the installed rtsync.hpp builds with pkg-config" \
		c++ -std=c++17 -Wall -Wextra -Werror $cflags -o "$STAGE/program-hpp" \
		"$STAGE/program-hpp.cc" $libs
else
	skip "no C++ compiler" "the installed headers compile as C++"
	skip "no C++ compiler" "a C++17 program using the installed rtsync.hpp builds with pkg-config"
fi
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR

# --- man pages -------------------------------------------------------------

check "man pages lint clean (make -C docs/man check)" make -C "$TOP/docs/man" check

man_ok=0
for name in rtsyncctl rtsync $man3_names; do
	if ! text=$(MANPATH=$STAGE$PREFIX/share/man MANWIDTH=80 man -P cat "$name" 2>&1) ||
		! grep -q "^NAME" <<<"$text" || ! grep -qw "$name" <<<"$text"; then
		diag "man $name: $(head -n 3 <<<"$text")"
		man_ok=1
	fi
done
ok $man_ok "man renders a page for every installed name, .so links included"

# --- make uninstall --------------------------------------------------------

check "make uninstall DESTDIR=<tmp> PREFIX=$PREFIX" \
	make -C "$TOP" uninstall DESTDIR="$STAGE" PREFIX="$PREFIX"
rm -f "$STAGE"/program*
left=$(staged_files)
[ -z "$left" ]
ok $? "make uninstall removed every installed file" ||
	as_comments <<<"$left"

# --- DKMS ------------------------------------------------------------------

version=$(bash -c ". '$TOP/dkms.conf' && echo \"\$PACKAGE_VERSION\"")
dkms_skip=""
if ! command -v dkms >/dev/null; then
	dkms_skip="dkms is not installed (apt-get install dkms)"
elif [ "$(id -u)" -ne 0 ]; then
	dkms_skip="dkms needs root"
elif [ -z "$krel" ] || [ ! -d "/lib/modules/$krel/build" ]; then
	dkms_skip="no /lib/modules/$krel/build to build against"
elif [ -e "/usr/src/rtsync-$version" ] || [ -e "/var/lib/dkms/rtsync/$version" ]; then
	dkms_skip="rtsync/$version is already in /usr/src or dkms: left alone"
fi

if [ -n "$dkms_skip" ]; then
	skip "$dkms_skip" "dkms add/build/remove cycle"
else
	[ -e /var/lib/dkms/mok.key ] || MOK_CREATED=yes
	DKMS_SRC=/usr/src/rtsync-$version
	check "make dkms puts the module sources in $DKMS_SRC" make -C "$TOP" dkms
	check "dkms add rtsync/$version" dkms add "rtsync/$version" &&
		DKMS_REGISTERED=rtsync/$version
	check "dkms build rtsync/$version -k $krel" \
		dkms build "rtsync/$version" -k "$krel"
	built=/var/lib/dkms/rtsync/$version/$krel/$(uname -m)/module/rtsync.ko
	dkms status "rtsync/$version" -k "$krel" 2>>"$LOG" | grep ': built$' >/dev/null &&
		[ "$(modinfo -F vermagic "$built" 2>/dev/null | cut -d' ' -f1)" = "$krel" ]
	ok $? "dkms reports it built, and the module's vermagic is $krel"
	check "dkms remove rtsync/$version --all" \
		dkms remove "rtsync/$version" --all && DKMS_REGISTERED=""
	[ -z "$(dkms status rtsync 2>/dev/null)" ] &&
		[ ! -e "/var/lib/dkms/rtsync/$version" ] &&
		! find "/lib/modules/$krel" -name 'rtsync.ko*' | grep . >/dev/null
	ok $? "nothing of rtsync is left in dkms or /lib/modules/$krel"
fi

echo "1..$tap_count"
[ "$tap_failures" -eq 0 ]
