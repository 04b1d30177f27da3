# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# External modules are built in a directory of their own per kernel,
# $RTSYNC_CACHE/build/<KTAG>/<name> (KTAG, set by kernel_use, is the
# kernelrelease plus the build key of a kernel built here): on 6.1,
# `make M=DIR` writes objects next to the sources, so building one tree for
# two kernels would overwrite one kernel's objects with the other's.

# Build products never travel from the source tree into a build directory
# (an in-tree `make module` leaves them there, for another kernel), and
# rsync --delete leaves these excluded files alone in the build directory,
# so the next build there is incremental.
KMOD_RSYNC_EXCLUDES=(
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c'
	--exclude='.*.cmd' --exclude='*.a' --exclude='*.symvers'
	--exclude='modules.order' --exclude='.tmp_versions' --exclude='*.dwo'
)

# kmod_dir NAME: the build directory of module set NAME for the current
# kernel (see kernel_use).
kmod_dir() {
	echo "$RTSYNC_CACHE/build/$KTAG/$1"
}

# kmod_build NAME LOG SRC...: copy SRC (files, or directories; a trailing
# slash copies a directory's contents, as rsync does) into kmod_dir NAME and
# build the modules there against the current kernel, with make's output in
# LOG. Returns make's status. Set KBUILD_EXTRA_SYMBOLS in the environment to
# link against another set's Module.symvers.
kmod_build() {
	local name=$1 log=$2 dir
	shift 2
	dir=$(kmod_dir "$name")
	mkdir -p "$dir"
	# Two runs at once must not build in the same directory together.
	(
		flock 9
		# --checksum: only files whose contents changed get a new mtime,
		# so make rebuilds exactly what changed, even after a checkout
		# that gave a file an older date.
		rsync --recursive --links --checksum --delete \
			"${KMOD_RSYNC_EXCLUDES[@]}" "$@" "$dir/" &&
			make -C "$KDIR" "${KMAKE_ARGS[@]}" M="$dir" modules
	) 9>"$dir.lock" >"$log" 2>&1
}
