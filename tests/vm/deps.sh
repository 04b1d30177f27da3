#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Installs what building and testing rtsync needs, and fetches the Debian
# kernel image the tests boot. Idempotent: a second run downloads nothing.
# Works unattended (CI=true, no stdin). The kernel image is only unpacked
# into the cache, never installed: the host keeps its own kernel.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

export DEBIAN_FRONTEND=noninteractive
APT_GET=(apt-get -y -q -o DPkg::Lock::Timeout=600)
# Building and booting: make, gcc, qemu, busybox, cpio, sparse. The
# packaging checks (tests/install/check-install.sh): pkg-config, g++ (the
# headers as C++), objdump (binutils), modinfo (kmod), groff and mandoc
# (man page lint), man-db, dkms. The Python binding's pass (lib/pyguest.sh):
# Debian's python3 with its headers, setuptools, venv and pip, and rsync;
# its host checks: python3-wheel (pip wheel) and mypy. The wait path's
# model (tests/model): spin. The C++ header's checks (tests/cxx): clang.
# The Debian packages (make deb, lib/debpkg.sh): debhelper, dh-dkms,
# dh-python, python3-all-dev, fakeroot, lintian, and debootstrap for the
# chroot they are installed in.
HOST_PACKAGES=(make gcc libc6-dev qemu-system-x86 busybox-static cpio sparse
	pkg-config g++ binutils kmod groff-base mandoc man-db dkms
	python3-dev python3-setuptools python3-venv python3-pip python3-wheel
	mypy rsync spin clang gcc-multilib
	debhelper dh-dkms dh-python python3-all-dev fakeroot lintian debootstrap)

apt_updated=0

# apt_update: once per run, and only when something must be installed.
apt_update() {
	if [ "$apt_updated" -eq 0 ]; then
		say "updating package lists ..."
		as_root env DEBIAN_FRONTEND=noninteractive "${APT_GET[@]}" update </dev/null
		apt_updated=1
	fi
}

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# missing_packages: those of HOST_PACKAGES and linux-headers-$abi not
# installed, one a line.
missing_packages() {
	local pkg

	for pkg in "${HOST_PACKAGES[@]}" "linux-headers-$abi"; do
		installed "$pkg" || echo "$pkg"
	done
}

# The kernel ABI comes from the package lists. A machine that never ran
# apt-get update has none; stale ones (a fresh image or chroot) name an
# older ABI than the one the tests will look for after any update. So when
# anything must be installed, the lists are updated first and the ABI is
# read again.
abi=$(stock_abi)
missing=()
[ -z "$abi" ] || mapfile -t missing < <(missing_packages)
if [ -z "$abi" ] || [ "${#missing[@]}" -gt 0 ]; then
	apt_update
	abi=$(stock_abi)
	[ -n "$abi" ] || die "linux-headers-amd64 names no kernel ABI"
	mapfile -t missing < <(missing_packages)
fi
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing ${missing[*]} ..."
	as_root env DEBIAN_FRONTEND=noninteractive "${APT_GET[@]}" install \
		--no-install-recommends "${missing[@]}" </dev/null
fi

# fetch_kernel_image ABI: download linux-image-ABI (signed, else unsigned)
# and unpack it into the cache. Unpacked in a scratch directory and renamed,
# so an interrupted run never leaves a half kernel that looks complete.
fetch_kernel_image() {
	local abi=$1 dest downloads scratch pkg
	dest=$(stock_image_dir "$abi")
	# Run as root, apt downloads as the unprivileged _apt user, which
	# cannot reach a cache under root's home: download under $TMPDIR.
	downloads=$(mktemp -d)
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$downloads"
	fi
	say "fetching kernel image $abi ..."
	for pkg in "linux-image-$abi" "linux-image-$abi-unsigned"; do
		if (cd "$downloads" && apt-get -q download "$pkg" </dev/null); then
			break
		fi
		# Stale package lists name versions the mirror no longer has.
		if [ "$apt_updated" -eq 0 ]; then
			apt_update
			if (cd "$downloads" && apt-get -q download "$pkg" </dev/null); then
				break
			fi
		fi
	done
	ls "$downloads"/linux-image-*.deb >/dev/null 2>&1 ||
		die "could not download linux-image-$abi"
	scratch=$(mktemp -d "$RTSYNC_CACHE/kernels/.fetch.XXXXXX")
	dpkg-deb -x "$downloads"/linux-image-*.deb "$scratch"
	rm -rf "$downloads"
	[ -f "$scratch/boot/vmlinuz-$abi" ] ||
		die "linux-image-$abi has no boot/vmlinuz-$abi"
	rm -rf "$dest"
	mv "$scratch" "$dest"
	chmod 0755 "$dest"
}

mkdir -p "$RTSYNC_CACHE/kernels"
vmlinuz=$(stock_image_dir "$abi")/boot/vmlinuz-$abi
if [ ! -f "$vmlinuz" ]; then
	# Two runs at once fetch the image once.
	exec 9>"$RTSYNC_CACHE/kernels/.lock"
	flock 9
	[ -f "$vmlinuz" ] || fetch_kernel_image "$abi"
	exec 9>&-
fi
say "dependencies ready: kernel $abi ($vmlinuz)"
