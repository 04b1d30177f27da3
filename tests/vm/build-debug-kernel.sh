#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Build rtsync's debug kernel: Debian's linux-source-6.1 configured with
# `make tinyconfig` plus the fragment tests/vm/debug.config (lockdep,
# DEBUG_RT_MUTEXES, KASAN, kmemleak, KUnit, ...), for booting under QEMU.
#
#   tests/vm/build-debug-kernel.sh [FRAGMENT]
#
# The build tree is $RTSYNC_CACHE/debug-kernel/<key>, where <key> hashes the
# fragment and the source package's version: a second run with neither
# changed only prints the paths. The last two lines of the output are
#   bzImage: <path of the kernel image>
#   kdir: <build tree>   (for external modules: make -C <kdir> M=<dir>)
# Installs its build dependencies with apt-get when they are missing.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${RTSYNC_CACHE:-$HOME/.cache/rtsync}
FRAGMENT=$(readlink -f "${1:-$SCRIPT_DIR/debug.config}")
SOURCE_PKG=linux-source-6.1
SOURCE_TARBALL=/usr/src/$SOURCE_PKG.tar.xz
SRC=$CACHE/src/$SOURCE_PKG
# Records which package version $SRC was unpacked from; it lives beside the
# tree rather than in it, so the tree stays a pristine copy of the tarball.
SRC_STAMP=$CACHE/src/$SOURCE_PKG.version
BUILD_DEPS=(build-essential flex bison bc libelf-dev libssl-dev "$SOURCE_PKG"
	rsync)
JOBS=$(nproc)

say() {
	echo "debug-kernel: $*"
}

die() {
	echo "debug-kernel: error: $*" >&2
	exit 1
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# install_deps: apt-get install what is missing; apt-get update only then.
install_deps() {
	local pkg missing=()

	for pkg in "${BUILD_DEPS[@]}"; do
		dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# unpack_source VERSION: make $SRC the tarball of package VERSION.
unpack_source() {
	local version=$1 tmp

	if [ -f "$SRC_STAMP" ] && [ "$(cat "$SRC_STAMP")" = "$version" ] &&
		[ -f "$SRC/Makefile" ]; then
		say "source: reusing $SRC ($version)"
		return 0
	fi
	# A tree unpacked earlier without a stamp is adopted when its kernel
	# version is the package's upstream version.
	if [ ! -f "$SRC_STAMP" ] && [ -f "$SRC/Makefile" ] &&
		[ "$(make -s -C "$SRC" kernelversion 2>/dev/null)" = "${version%-*}" ]; then
		say "source: adopting $SRC as $version"
		echo "$version" >"$SRC_STAMP"
		return 0
	fi
	say "source: unpacking $SOURCE_TARBALL ($version) into $SRC"
	mkdir -p "$CACHE/src"
	tmp=$(mktemp -d "$CACHE/src/.unpack.XXXXXX")
	tar -xf "$SOURCE_TARBALL" -C "$tmp"
	[ -f "$tmp/$SOURCE_PKG/Makefile" ] ||
		die "$SOURCE_TARBALL has no $SOURCE_PKG/Makefile"
	rm -rf "$SRC" "$SRC_STAMP"
	mv "$tmp/$SOURCE_PKG" "$SRC"
	rmdir "$tmp"
	echo "$version" >"$SRC_STAMP"
}

# verify_fragment CONFIG: every CONFIG_ line of the fragment must have
# survived olddefconfig (a missing dependency silently drops an option).
verify_fragment() {
	local config=$1 line sym value lost=0

	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]}
			value=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			sym=${BASH_REMATCH[1]}
			value=n
		else
			continue
		fi
		if [ "$value" = n ]; then
			# Off is "is not set" or no line at all (not visible).
			grep -q "^$sym=" "$config" || continue
		else
			grep -qxF "$sym=$value" "$config" && continue
		fi
		echo "debug-kernel: lost: $line (config has: $(grep -E "^$sym=|^# $sym is not set" "$config" || echo nothing))" >&2
		lost=$((lost + 1))
	done <"$FRAGMENT"
	[ "$lost" -eq 0 ] ||
		die "$lost line(s) of $FRAGMENT did not survive olddefconfig"
	say "config: every line of the fragment is in .config"
}

# run_make LOG TARGET...: the long build, with a heartbeat line every 30 s
# (the tail of make's output) so a CI log never looks hung.
run_make() {
	local log=$1 pid started=$SECONDS status=0
	shift

	make -C "$SRC" O="$BUILD" -j"$JOBS" "$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 30 &
		wait $! || true
		kill -0 "$pid" 2>/dev/null || break
		say "building ($((SECONDS - started)) s): $(tail -n 1 "$log")"
	done
	wait "$pid" || status=$?
	if [ "$status" -ne 0 ]; then
		tail -n 40 "$log" | sed 's/^/    /' >&2
		die "make $* failed (status $status); full log: $log"
	fi
	say "built in $((SECONDS - started)) s"
}

[ -f "$FRAGMENT" ] || die "no config fragment $FRAGMENT"
say "phase 1/5: build dependencies"
install_deps
[ -f "$SOURCE_TARBALL" ] || die "$SOURCE_TARBALL is missing"
VERSION=$(dpkg-query -W -f='${Version}' "$SOURCE_PKG")

say "phase 2/5: kernel source"
unpack_source "$VERSION"

KEY=$( (cat "$FRAGMENT"; echo "$SOURCE_PKG $VERSION") | sha256sum | cut -c1-16)
BUILD=$CACHE/debug-kernel/$KEY
BZIMAGE=$BUILD/arch/x86/boot/bzImage
DONE=$BUILD/.rtsync-done
mkdir -p "$BUILD"

# Two builds of the same key at once would trample each other's objects.
exec 9>"$BUILD.lock"
flock 9

if [ -f "$DONE" ] && [ -f "$BZIMAGE" ]; then
	say "up to date: $BUILD (fragment and $SOURCE_PKG $VERSION unchanged)"
else
	rm -f "$DONE"
	say "phase 3/5: configure in $BUILD"
	make -s -C "$SRC" O="$BUILD" tinyconfig >"$BUILD/config.log" 2>&1 ||
		{ tail -n 20 "$BUILD/config.log" >&2; die "make tinyconfig failed"; }
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$BUILD" \
		"$BUILD/.config" "$FRAGMENT" >>"$BUILD/config.log" 2>&1 ||
		{ tail -n 20 "$BUILD/config.log" >&2; die "merge_config.sh failed"; }
	make -s -C "$SRC" O="$BUILD" olddefconfig >>"$BUILD/config.log" 2>&1 ||
		{ tail -n 20 "$BUILD/config.log" >&2; die "make olddefconfig failed"; }

	say "phase 4/5: verify the configuration"
	verify_fragment "$BUILD/.config"

	say "phase 5/5: make -j$JOBS bzImage modules_prepare modules (log: $BUILD/build.log)"
	# `modules` also writes Module.symvers with vmlinux's exports, so
	# modpost can check external modules' symbols against this kernel.
	run_make "$BUILD/build.log" bzImage modules_prepare modules
	[ -f "$BZIMAGE" ] || die "make succeeded but $BZIMAGE is missing"
	touch "$DONE"
fi

say "kernelrelease: $(make -s -C "$SRC" O="$BUILD" kernelrelease)"
echo "bzImage: $BZIMAGE"
echo "kdir: $BUILD"
