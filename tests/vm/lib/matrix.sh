# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The kernels of the matrix besides stock and debug, as kernel_use cases:
#   rt    Debian 12's PREEMPT_RT 6.1 image (linux-image-rt-amd64's ABI);
#         its headers package is installed on the host like the stock
#         one's, the image only unpacked into the cache
#   b612  Debian 12's 6.12 from bookworm-backports, fetched with a private
#         apt configuration in the cache (the host's sources stay as they
#         are); image, headers, common headers and kbuild tools are all
#         only unpacked, into $RTSYNC_CACHE/kernels/<abi>; the host gets
#         pahole (package dwarves), which its module build needs
# matrix_fetch NAME gets a kernel's pieces (idempotent); kernel_use NAME
# (through matrix_kernel_use) then describes it to the harness.

MATRIX_APT_GET=(apt-get -y -q -o DPkg::Lock::Timeout=600)

# rt_abi: the ABI of Debian's current PREEMPT_RT kernel, e.g.
# 6.1.0-56-rt-amd64, as named by the linux-image-rt-amd64 metapackage.
rt_abi() {
	apt-cache depends linux-image-rt-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' |
		head -n 1
}

# --- bookworm-backports through a private apt configuration ---------------

BACKPORTS_APT=$RTSYNC_CACHE/apt-backports

# backports_mirror: the Debian mirror the host's own sources name (its
# debian archive, not the security one), so the private configuration
# uses the same place.
backports_mirror() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -E '^[[:space:]]*(URIs:|deb[[:space:]])' |
		grep -oE '(https?|file):/+[^] ]*/debian/?( |$)' |
		head -n 1 | sed 's, *$,,; s,/$,,'
}

# backports_apt CMD ARG...: run apt-get or apt-cache with the private
# sources list, state and cache. Downloads run as root, not as _apt: the
# cache lies under root's home, which _apt cannot enter.
backports_apt() {
	local cmd=$1
	shift
	"$cmd" -o Dir::Etc::sourcelist="$BACKPORTS_APT/sources.list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::State="$BACKPORTS_APT/state" \
		-o Dir::Cache="$BACKPORTS_APT/cache" \
		-o APT::Sandbox::User=root "$@"
}

# backports_update: write the private sources list and refresh its package
# lists (once per run).
BACKPORTS_UPDATED=0

backports_update() {
	local mirror

	[ "$BACKPORTS_UPDATED" -eq 0 ] || return 0
	mirror=$(backports_mirror)
	if [ -z "$mirror" ]; then
		echo "rtsync: the host's apt sources name no Debian mirror" >&2
		return 1
	fi
	mkdir -p "$BACKPORTS_APT/state/lists/partial" "$BACKPORTS_APT/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" \
		>"$BACKPORTS_APT/sources.list"
	say "updating the bookworm-backports package lists ($BACKPORTS_APT) ..."
	backports_apt apt-get -q update </dev/null >"$BACKPORTS_APT/update.log" 2>&1 || {
		echo "rtsync: apt-get update of bookworm-backports failed:" >&2
		show_tail "$BACKPORTS_APT/update.log" >&2
		return 1
	}
	BACKPORTS_UPDATED=1
}

# b612_abi: the ABI of bookworm-backports' current 6.12 kernel, e.g.
# 6.12.95+deb12-amd64, from the private package lists.
b612_abi() {
	backports_apt apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\(6\.12\.[^ ]*\)$/\1/p' |
		head -n 1
}

# b612_kbuild_version ABI: the version part of its kbuild package's name,
# e.g. 6.12.95+deb12 (linux-kbuild-6.12.95+deb12).
b612_kbuild_version() {
	echo "${1%-amd64}"
}

# --- fetching --------------------------------------------------------------

# matrix_download DEST PKG...: download the first of the PKG alternatives
# (a `|`-separated list) per argument into DEST; uses APT (an array
# holding the apt-get command line, private or the host's).
matrix_download() {
	local dest=$1 alt pkg got
	shift
	for alt in "$@"; do
		got=0
		for pkg in ${alt//|/ }; do
			if (cd "$dest" && "${APT[@]}" -q download "$pkg" </dev/null >>"$dest/download.log" 2>&1); then
				got=1
				break
			fi
		done
		if [ "$got" -eq 0 ]; then
			echo "rtsync: could not download ${alt//|/ or }; see $dest/download.log" >&2
			return 1
		fi
	done
}

# matrix_unpack DEST DEB_DIR: unpack every package of DEB_DIR into a
# scratch directory beside DEST and rename it DEST, so an interrupted run
# never leaves a half kernel that looks complete.
matrix_unpack() {
	local dest=$1 debs=$2 scratch deb
	scratch=$(mktemp -d "$RTSYNC_CACHE/kernels/.fetch.XXXXXX")
	for deb in "$debs"/*.deb; do
		dpkg-deb -x "$deb" "$scratch" || { rm -rf "$scratch"; return 1; }
	done
	rm -rf "$dest"
	mv "$scratch" "$dest"
	chmod 0755 "$dest"
}

# rt_fetch: the PREEMPT_RT image into the cache, its headers on the host.
# Package lists older than the mirror name packages it no longer has (and
# an older ABI): then once more after apt-get update.
rt_fetch() {
	rt_fetch_once && return 0
	say "updating the package lists and trying again ..."
	as_root env DEBIAN_FRONTEND=noninteractive "${MATRIX_APT_GET[@]}" update </dev/null || return 1
	rt_fetch_once
}

rt_fetch_once() {
	local abi downloads status=0 APT=(apt-get)

	abi=$(rt_abi)
	if [ -z "$abi" ]; then
		echo "rtsync: apt names no linux-image-rt-amd64 ABI (run apt-get update)" >&2
		return 1
	fi
	if [ ! -d "/usr/src/linux-headers-$abi" ]; then
		say "installing linux-headers-$abi ..."
		as_root env DEBIAN_FRONTEND=noninteractive "${MATRIX_APT_GET[@]}" install \
			--no-install-recommends "linux-headers-$abi" </dev/null || return 1
	fi
	[ ! -f "$(stock_image_dir "$abi")/boot/vmlinuz-$abi" ] || return 0
	say "fetching kernel image $abi ..."
	# apt downloads as the unprivileged _apt user when it can.
	downloads=$(mktemp -d)
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$downloads"
	fi
	matrix_download "$downloads" "linux-image-$abi|linux-image-$abi-unsigned" &&
		matrix_unpack "$(stock_image_dir "$abi")" "$downloads" || status=1
	rm -rf "$downloads"
	return "$status"
}

# b612_fetch: image, headers, common headers and kbuild tools of the
# backports 6.12 kernel, all unpacked into one tree in the cache, with the
# headers' Makefile pointed at the unpacked common headers (it names
# /usr/src/...; the scripts/tools symlinks are relative and hold).
b612_fetch() {
	local abi dir downloads status=0 ver APT=(backports_apt apt-get)

	# Its modules carry BTF, which kbuild makes with pahole.
	if ! command -v pahole >/dev/null; then
		say "installing dwarves (pahole) ..."
		as_root env DEBIAN_FRONTEND=noninteractive "${MATRIX_APT_GET[@]}" install \
			--no-install-recommends dwarves </dev/null || return 1
	fi
	backports_update || return 1
	abi=$(b612_abi)
	if [ -z "$abi" ]; then
		echo "rtsync: bookworm-backports names no 6.12 linux-headers ABI" >&2
		return 1
	fi
	dir=$(stock_image_dir "$abi")
	[ ! -f "$dir/boot/vmlinuz-$abi" ] || return 0
	ver=$(b612_kbuild_version "$abi")
	say "fetching kernel $abi from bookworm-backports ..."
	downloads=$(mktemp -d)
	matrix_download "$downloads" \
		"linux-image-$abi-unsigned|linux-image-$abi" "linux-headers-$abi" \
		"linux-headers-$ver-common" "linux-kbuild-$ver" || status=1
	if [ "$status" -eq 0 ] && matrix_unpack "$dir.new" "$downloads"; then
		echo "include $dir/usr/src/linux-headers-$ver-common/Makefile" \
			>"$dir.new/usr/src/linux-headers-$abi/Makefile"
		rm -rf "$dir"
		mv "$dir.new" "$dir"
	else
		status=1
	fi
	rm -rf "$downloads" "$dir.new"
	return "$status"
}

# matrix_fetch NAME: get kernel NAME's pieces; non-zero, saying why, when
# they cannot be had.
matrix_fetch() {
	mkdir -p "$RTSYNC_CACHE/kernels"
	# Two runs at once fetch a kernel once.
	(
		flock 9
		case $1 in
		rt) rt_fetch ;;
		b612) b612_fetch ;;
		sid) sid_fetch ;;
		*) echo "rtsync: matrix_fetch: unknown kernel '$1'" >&2; exit 1 ;;
		esac
	) 9>"$RTSYNC_CACHE/kernels/.lock"
}

# b612_check_tools: the kbuild tools of the 6.12 package run on this
# host's C library (they are built for Debian 12; a mismatch shows here,
# not as a strange build failure).
b612_check_tools() {
	local fixdep=$1/scripts/basic/fixdep out

	# Without arguments it prints its usage (and exits 1).
	out=$("$fixdep" 2>&1) || true
	case $out in
	*Usage*) ;;
	*)
		echo "rtsync: $fixdep does not run on this host: ${out%%$'\n'*}" >&2
		return 1
		;;
	esac
	if ! command -v pahole >/dev/null; then
		echo "rtsync: 6.12's module build needs pahole (package dwarves) for BTF" >&2
		return 1
	fi
}

# matrix_kernel_use NAME: the kernel_use case of rt and b612 (see
# kernels.sh for the variables); uses what matrix_fetch fetched.
# shellcheck disable=SC2034 # the variables are read by the other files
matrix_kernel_use() {
	case $1 in
	rt)
		KREL=$(rt_abi)
		KDIR=/usr/src/linux-headers-$KREL
		;;
	b612)
		KREL=$(b612_abi)
		KDIR=$(stock_image_dir "$KREL")/usr/src/linux-headers-$KREL
		;;
	sid)
		KREL=$(sid_abi)
		KDIR=$(sid_kdir "$KREL")
		;;
	esac
	if [ -z "$KREL" ]; then
		echo "rtsync: $1 kernel: apt names no ABI for it" >&2
		return 1
	fi
	KTAG=$KREL
	VMLINUZ=$(stock_image_dir "$KREL")/boot/vmlinuz-$KREL
	if [ "$1" = b612 ] && [ -d "$KDIR" ]; then
		b612_check_tools "$KDIR" || return 1
	fi
}

# --- Debian unstable, built in a chroot ------------------------------------
# sid's kernel wants sid's compiler and its kbuild tools sid's libc, so its
# modules are built in a debootstrap chroot in the cache
# ($RTSYNC_CACHE/sid/root, with the kernel's headers installed there) and
# its image is unpacked into $RTSYNC_CACHE/kernels/<abi> as the others.
# The harness builds modules with `make -C KDIR M=DIR modules`: for sid,
# KDIR is a small tree in the cache whose Makefile runs that make in the
# chroot, with DIR bind-mounted at /build/m and /proc mounted (objtool
# reads it), both in a private mount namespace that ends with the build.

SID_DIR=$RTSYNC_CACHE/sid
SID_ROOT=$SID_DIR/root
SID_PACKAGES=gcc,make,libc6-dev,bc,flex,bison,libelf-dev,dwarves,kmod

sid_chroot() {
	chroot "$SID_ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# sid_abi: the ABI of unstable's current amd64 kernel (chroot's lists).
sid_abi() {
	[ -d "$SID_ROOT" ] || return 0
	sid_chroot apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\([0-9][^ ]*\)$/\1/p' |
		head -n 1
}

# sid_kdir ABI: the forwarding build tree.
sid_kdir() {
	echo "$SID_DIR/kdir-$1"
}

sid_fetch() {
	local abi mirror dest kdir

	if [ ! -x "$SID_ROOT/usr/bin/make" ]; then
		command -v debootstrap >/dev/null ||
			as_root env DEBIAN_FRONTEND=noninteractive "${MATRIX_APT_GET[@]}" install \
				--no-install-recommends debootstrap </dev/null || return 1
		mirror=$(backports_mirror)
		[ -n "$mirror" ] || { echo "rtsync: the host's apt sources name no Debian mirror" >&2; return 1; }
		say "creating the unstable chroot $SID_ROOT (debootstrap) ..."
		rm -rf "$SID_ROOT"
		mkdir -p "$SID_DIR"
		as_root debootstrap --variant=minbase --include="$SID_PACKAGES" sid \
			"$SID_ROOT" "$mirror" >"$SID_DIR/debootstrap.log" 2>&1 || {
			echo "rtsync: debootstrap of sid failed; see $SID_DIR/debootstrap.log" >&2
			return 1
		}
	else
		sid_chroot apt-get -q update >"$SID_DIR/update.log" 2>&1 || true
	fi
	abi=$(sid_abi)
	if [ -z "$abi" ]; then
		echo "rtsync: unstable names no linux-headers ABI" >&2
		return 1
	fi
	if [ ! -d "$SID_ROOT/usr/src/linux-headers-$abi" ]; then
		say "installing linux-headers-$abi in the chroot ..."
		sid_chroot apt-get -y -q install --no-install-recommends \
			"linux-headers-$abi" </dev/null >"$SID_DIR/headers.log" 2>&1 || {
			echo "rtsync: linux-headers-$abi does not install in the chroot; see $SID_DIR/headers.log" >&2
			return 1
		}
	fi
	kdir=$(sid_kdir "$abi")
	mkdir -p "$kdir"
	ln -sfn "$SID_ROOT/usr/src/linux-headers-$abi/.config" "$kdir/.config"
	cat >"$kdir/Makefile" <<MAKEFILE
# Generated by tests/vm/lib/matrix.sh: builds M= in the unstable chroot.
modules:
	unshare --mount --fork sh -ec 'mount --make-rprivate /; \\
		mkdir -p $SID_ROOT/build/m; mount --bind \$(M) $SID_ROOT/build/m; \\
		mount -t proc proc $SID_ROOT/proc; \\
		chroot $SID_ROOT make -C /usr/src/linux-headers-$abi M=/build/m modules'
MAKEFILE
	dest=$(stock_image_dir "$abi")
	[ ! -f "$dest/boot/vmlinuz-$abi" ] || return 0
	say "fetching kernel image $abi in the chroot ..."
	rm -rf "$SID_ROOT/dl"
	mkdir -p "$SID_ROOT/dl"
	# Newer Debian kernels keep the image in linux-binary-<abi> (then
	# linux-image-<abi> is a small package depending on it).
	sid_chroot sh -c "cd /dl && for p in linux-binary-$abi linux-image-$abi-unsigned linux-image-$abi; do apt-get -q -o APT::Sandbox::User=root download \$p && break; done" \
		</dev/null >"$SID_DIR/download.log" 2>&1 || {
		echo "rtsync: linux-image-$abi could not be downloaded; see $SID_DIR/download.log" >&2
		return 1
	}
	matrix_unpack "$dest" "$SID_ROOT/dl" && rm -rf "$SID_ROOT/dl" || return 1
	# linux-binary-<abi> has it at /usr/lib/modules/<abi>/vmlinuz.
	if [ ! -e "$dest/boot/vmlinuz-$abi" ] && [ -f "$dest/usr/lib/modules/$abi/vmlinuz" ]; then
		mkdir -p "$dest/boot"
		ln -s "../usr/lib/modules/$abi/vmlinuz" "$dest/boot/vmlinuz-$abi"
	fi
	if [ ! -f "$dest/boot/vmlinuz-$abi" ]; then
		echo "rtsync: unstable's packages for $abi hold no boot/vmlinuz-$abi" >&2
		rm -rf "$dest"
		return 1
	fi
}
