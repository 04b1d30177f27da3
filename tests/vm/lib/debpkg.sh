# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The Debian packages of `make deb`, installed as a user installs them
# (deb_pass; make check runs it, and make check-deb alone). In a Debian 12
# chroot (debootstrap, kept in $RTSYNC_CACHE/deb-chroot with the stock and
# PREEMPT_RT kernels' headers):
#   - `apt-get install ./*.deb` of all five packages;
#   - DKMS has built and installed rtsync.ko for both kernels (vermagic
#     checked);
#   - a C program (pkg-config --cflags --libs rtsync) and a C++17 program
#     (rtsync.hpp) build against the installed librtsync-dev;
# then the stock kernel boots in the VM with the module DKMS built, and a
# smoke test runs through the installed rtsyncctl and librtsync.so.1 (the
# chroot's files, with their shared libraries), the C program and the
# installed python3-rtsync; last, `apt-get remove` of the five leaves no
# file behind (the chroot's file list compared with the one before the
# install). Tests are named "deb/<description>". A first run downloads
# about 150 MB and takes about 3 minutes, a warm one about 75 s. Sourced
# after lib.sh, lib/matrix.sh and lib/pyguest.sh.

DEB_DIR=$RTSYNC_CACHE/deb-chroot
ROOT=$DEB_DIR/root
CHROOT_PACKAGES=apt,ca-certificates,dkms,make,gcc,g++,libc6-dev,pkg-config,python3,kmod
PACKAGES=(rtsync-dkms librtsync1 librtsync-dev rtsync-tools python3-rtsync)

# deb_chroot CMD...: run CMD in the chroot, with /proc mounted there (the
# kernel's build tools read it) in a mount namespace that ends with it.
deb_chroot() {
	unshare --mount --fork sh -ec 'mount --make-rprivate /
		mount -t proc proc "$0/proc"
		exec chroot "$0" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive "$@"' "$ROOT" "$@"
}

# deb_step DESCRIPTION CMD...: one test of the tally; the command's output
# goes to the run's log, its tail to the screen on failure.
deb_step() {
	local what=$1 log=$RUN_DIR/deb-steps.log
	shift
	echo "### $what" >>"$log"
	if "$@" >>"$log" 2>&1 </dev/null; then
		record PASS "deb/$what"
	else
		record FAIL "deb/$what"
		tail -n 15 "$log" | sed 's/^/    | /'
		return 1
	fi
}

# The chroot's files, apt's and dpkg's state and caches left out, and
# what the first DKMS module leaves for every later one: depmod's indexes
# (/usr/lib/modules/<release>/modules.*, written for a kernel once a
# module is installed for it and rewritten, not removed, when it goes) and
# dkms's module-signing key (/var/lib/dkms/mok.*, made on its first build).
file_list() {
	(cd "$ROOT" && find . -xdev \( -path ./var/cache -o -path ./var/lib/apt \
		-o -path ./var/lib/dpkg -o -path ./var/log -o -path ./proc \
		-o -path ./tmp -o -path ./debs -o -path ./work \
		-o -path './usr/lib/modules/*/modules.*' \
		-o -path './var/lib/dkms/mok.*' \) -prune -o -print) |
		sort
}

make_chroot() {
	local f

	if [ ! -x "$ROOT/usr/sbin/dkms" ]; then
		debootstrap_root || return 1
	fi
	# The host's Debian sources (bookworm, its updates and security
	# suites, where the current kernel's headers are), nothing else.
	rm -f "$ROOT"/etc/apt/sources.list "$ROOT"/etc/apt/sources.list.d/*
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && grep -qE '^[^#]*/debian(-security)?/?( |$)' "$f" &&
			cp "$f" "$ROOT$f"
	done
	deb_chroot apt-get -q update
}

debootstrap_root() {
	local mirror

	command -v debootstrap >/dev/null ||
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
	mirror=$(backports_mirror)
	[ -n "$mirror" ] || { echo "the host's apt sources name no Debian mirror"; return 1; }
	rm -rf "$ROOT"
	mkdir -p "$DEB_DIR"
	debootstrap --variant=minbase --include="$CHROOT_PACKAGES" bookworm "$ROOT" "$mirror"
}

# forget_packages: the chroot without the five, whatever state an earlier
# run left them in.
forget_packages() {
	deb_chroot dpkg --purge --force-all "${PACKAGES[@]}" || true
	rm -rf "$ROOT"/var/lib/dkms/rtsync "$ROOT"/usr/src/rtsync-* \
		"$ROOT"/lib/modules/*/updates/dkms/rtsync.ko
	rmdir "$ROOT"/lib/modules/*/updates/dkms "$ROOT"/lib/modules/*/updates \
		2>/dev/null || true
}

install_headers() {
	deb_chroot apt-get install -y -q --no-install-recommends \
		"linux-headers-$STOCK" "linux-headers-$RT"
}

# dkms_built KERNEL VERSION: rtsync.ko built by DKMS for KERNEL, installed.
dkms_built() {
	local v

	deb_chroot dkms install "rtsync/$2" -k "$1" || true
	v=$(modinfo -F vermagic "$ROOT/lib/modules/$1/updates/dkms/rtsync.ko")
	echo "vermagic: $v"
	[ "${v%% *}" = "$1" ]
}

# Every test below needs the one before; the first failure ends the run.
deb_tests() {
	local ver deb debs=() k

	deb_step "make deb builds the packages" \
		env DEB_OUT="$RUN_DIR/debs" "$TOP/userspace/debian/build-deb.sh" || return 0
	ver=$(dpkg-deb -f "$(ls "$RUN_DIR"/debs/librtsync1_*.deb)" Version)
	for deb in "${PACKAGES[@]}"; do
		debs+=("$(ls "$RUN_DIR"/debs/"${deb}"_"$ver"_*.deb)")
	done
	say "preparing the Debian 12 chroot $ROOT (first time: debootstrap, several minutes) ..."
	deb_step "a Debian 12 chroot (debootstrap) with dkms and a compiler" make_chroot || return 0
	# A run that stopped half-way may have left them (half) installed.
	forget_packages >>"$RUN_DIR/deb-steps.log" 2>&1
	deb_step "linux-headers-$STOCK and linux-headers-$RT install in the chroot" \
		install_headers || return 0
	file_list >"$RUN_DIR/files-before"
	rm -rf "$ROOT/debs"
	mkdir -p "$ROOT/debs"
	cp "${debs[@]}" "$ROOT/debs/"
	say "installing the five packages in the chroot (DKMS builds the module twice) ..."
	deb_step "apt-get install ./*.deb of ${PACKAGES[*]}" \
		deb_chroot sh -c 'cd /debs && apt-get install -y -q ./*.deb' || return 0
	# What the packages' postinst built, for the log; then both kernels
	# (dkms install is a no-op for one it already did).
	deb_chroot dkms status >>"$RUN_DIR/deb-steps.log" 2>&1 || true
	for k in "$STOCK" "$RT"; do
		deb_step "DKMS built rtsync.ko for $k (vermagic $k)" dkms_built "$k" "$ver" ||
			return 0
	done
	mkdir -p "$ROOT/work"
	cat >"$ROOT/work/prog.c" <<-'EOF'
	#include <fcntl.h>
	#include <stdio.h>
	#include <rtsync.h>
	int main(void)
	{
		int fd = rtsync_mutex_open("deb-smoke-c", O_CREAT, 0600, 0);

		if (fd < 0 || rtsync_mutex_lock(fd) || rtsync_mutex_unlock(fd) ||
		    rtsync_unlink("deb-smoke-c"))
			return 1;
		puts("ok");
		return 0;
	}
	EOF
	deb_step "a C program builds with pkg-config --cflags --libs rtsync" \
		deb_chroot sh -c 'cd /work && cc -Wall -Werror -o prog prog.c $(pkg-config --cflags --libs rtsync)' || return 0
	cat >"$ROOT/work/prog.cc" <<-'EOF'
	#include <mutex>
	#include <rtsync.hpp>
	int main()
	{
		rtsync::nothrow::mutex m("deb-smoke-cxx");
		{
			std::scoped_lock<rtsync::nothrow::mutex> g(m);
		}
		return rtsync_unlink("deb-smoke-cxx") || m.error() ? 1 : 0;
	}
	EOF
	deb_step "a C++17 program with rtsync.hpp builds against the installed package" \
		deb_chroot sh -c 'cd /work && c++ -std=c++17 -Wall -Werror -o progxx prog.cc $(pkg-config --cflags --libs rtsync)' || return 0
	guest_smoke "$ver" || return 0
	say "purging the five packages ..."
	# remove, as a user does: it keeps only conffiles, and these packages
	# have none, so nothing of them may stay.
	deb_step "apt-get remove of the five packages" \
		deb_chroot apt-get remove -y -q "${PACKAGES[@]}" || return 0
	rm -rf "$ROOT/debs" "$ROOT/work"
	file_list >"$RUN_DIR/files-after"
	deb_step "nothing of them is left (the chroot's files as before the install)" \
		diff "$RUN_DIR/files-before" "$RUN_DIR/files-after" || return 0
	deb_step "dpkg --purge then clears dpkg's record of them" \
		deb_chroot dpkg --purge "${PACKAGES[@]}" || return 0
}

# guest_smoke VERSION: boot the stock kernel with the module DKMS built and
# run the installed CLI, library and Python package there.
guest_smoke() {
	local tree=$RUN_DIR/guest-tree lib f

	rm -rf "$tree"
	# Debian 12's python3 and standard library, as the Python pass has them
	# (the binding it stages is replaced by the installed package's).
	pyguest_build "$RUN_DIR/build-python.log" || { record FAIL "deb/stage python3 for the guest"; return 1; }
	pyguest_stage "$tree"
	rm -rf "$tree/usr/lib/python3/dist-packages/rtsync" "$tree/rtsync/tests/python_rtsync" \
		"$tree/rtsync/python"
	# The installed files, from the chroot, with the libraries they load.
	for f in usr/bin/rtsyncctl work/prog usr/lib/python3/dist-packages/rtsync; do
		mkdir -p "$tree/$(dirname "$f")"
		cp -a "$ROOT/$f" "$tree/$f"
	done
	deb_chroot sh -c 'ldd /usr/bin/rtsyncctl /work/prog /usr/lib/python3/dist-packages/rtsync/*.so' |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } NF == 2 && $1 ~ /^\// { print $1 }' |
		sort -u | while IFS= read -r lib; do
		mkdir -p "$tree$(dirname "$lib")"
		cp -L "$ROOT$lib" "$tree$lib"
	done
	cat >"$tree/rtsync/tests/deb_smoke" <<-'SCRIPT'
	#!/bin/sh
	# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
	# The installed packages in use (TAP).
	n=0
	ok() {
		n=$((n + 1))
		if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
	}
	/usr/bin/rtsyncctl create mutex deb-smoke >/dev/null
	ok $? "the installed rtsyncctl creates a mutex through librtsync.so.1"
	/usr/bin/rtsyncctl list | grep -q deb-smoke
	ok $? "rtsyncctl list shows it"
	/usr/bin/rtsyncctl unlink deb-smoke
	ok $? "rtsyncctl unlink removes it"
	[ "$(/work/prog)" = ok ]
	ok $? "the program built with pkg-config locks and unlocks a mutex"
	/usr/bin/python3 -c '
	import rtsync
	lock = rtsync.Lock("deb-smoke-py")
	assert lock.acquire() and lock.locked()
	lock.release()
	lock.unlink()
	'
	ok $? "the installed python3-rtsync takes and releases a Lock"
	echo "1..$n"
	SCRIPT
	chmod 0755 "$tree/rtsync/tests/deb_smoke"
	echo deb_smoke >"$RUN_DIR/deb.list"
	rtsync_pass --label deb --ko "$ROOT/lib/modules/$STOCK/updates/dkms/rtsync.ko" \
		--list "$RUN_DIR/deb.list" --file "$tree" / stock
}

# deb_pass: all of it, as root (debootstrap and chroot need it); skipped,
# and counted, otherwise.
deb_pass() {
	local started=$SECONDS

	if [ "$(id -u)" -ne 0 ]; then
		record SKIP "deb: the packages installed in a Debian 12 chroot (needs root: debootstrap, chroot)"
		return 0
	fi
	STOCK=$(stock_abi)
	RT=$(rt_abi)
	deb_tests
	say "Debian package checks finished in $(elapsed_since "$started") s"
}
