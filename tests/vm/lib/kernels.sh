# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The kernels rtsync is tested on. kernel_use NAME describes one of them in
# these variables, which the rest of the harness reads:
#   KNAME       short name, the first part of every test name ("stock")
#   KREL        its kernelrelease
#   KTAG        names its module build directories in the cache: KREL, plus
#               the build key for a kernel built here (two builds of one
#               release must not share objects)
#   KDIR        the tree `make -C` enters to build external modules; its
#               .config is the kernel's configuration
#   KMAKE_ARGS  (array) extra make arguments for that, e.g. O=<build tree>
#   VMLINUZ     the image QEMU boots
#   KAPPEND     kernel command line words this kernel always needs
#   KTIME_FACTOR  how many times slower test programs may run here than on
#               the stock kernel; per-program time limits are multiplied
#               by it
#
# The kernels:
#   stock  Debian's current 6.1 image (fetched by deps.sh) and its headers
#   debug  linux-source-6.1 with tests/vm/debug.config (lockdep, KASAN,
#          kmemleak, KUnit, ...), built by build-debug-kernel.sh
# Another kernel (PREEMPT_RT, 6.12) is one more case in kernel_use.

# stock_abi: the ABI of Debian's current amd64 kernel, e.g. 6.1.0-56-amd64,
# as named by the linux-headers-amd64 metapackage. Empty when apt knows no
# package lists yet (deps.sh then runs apt-get update).
stock_abi() {
	apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\([0-9][^ ]*\)$/\1/p' |
		head -n 1
}

# stock_image_dir ABI: where deps.sh unpacks that kernel's image package.
stock_image_dir() {
	echo "$RTSYNC_CACHE/kernels/$1"
}

# debug_kernel_build: build the debug kernel, or find it in the cache, with
# build-debug-kernel.sh (its progress is shown: a cold build takes minutes)
# and set DEBUG_BZIMAGE, DEBUG_KDIR and DEBUG_KREL from what it printed.
# Runs the script once per run; returns non-zero when it failed.
DEBUG_KERNEL_STATE=""	# "", "built" or "failed"

debug_kernel_build() {
	local log=$RUN_DIR/build-debug-kernel.log status=0

	case $DEBUG_KERNEL_STATE in
	built) return 0 ;;
	failed) return 1 ;;
	esac
	DEBUG_KERNEL_STATE=failed
	say "building the debug kernel (tests/vm/build-debug-kernel.sh; cached after the first time) ..."
	"$VM_DIR/build-debug-kernel.sh" 2>&1 | tee "$log" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "rtsync: build-debug-kernel.sh failed (status $status); log: $log" >&2
		return 1
	fi
	# Its last lines are "bzImage: <path>" and "kdir: <build tree>".
	DEBUG_BZIMAGE=$(sed -n 's/^bzImage: //p' "$log" | tail -n 1)
	DEBUG_KDIR=$(sed -n 's/^kdir: //p' "$log" | tail -n 1)
	if [ -z "$DEBUG_KDIR" ] || [ ! -f "$DEBUG_KDIR/include/config/kernel.release" ]; then
		echo "rtsync: build-debug-kernel.sh named no usable build tree; log: $log" >&2
		return 1
	fi
	DEBUG_KREL=$(cat "$DEBUG_KDIR/include/config/kernel.release")
	DEBUG_KERNEL_STATE=built
}

# kernel_has CONFIG_X: the current kernel was built with CONFIG_X=y.
kernel_has() {
	grep -qx "$1=y" "$KDIR/.config" 2>/dev/null
}

# kernel_use NAME: select a kernel; returns non-zero, saying why, when one
# of its pieces is missing.
# shellcheck disable=SC2034 # the variables are read by the other files
kernel_use() {
	KNAME=$1
	KMAKE_ARGS=()
	KAPPEND=""
	KTIME_FACTOR=1
	case $1 in
	stock)
		KREL=$(stock_abi)
		if [ -z "$KREL" ]; then
			echo "rtsync: apt names no linux-headers ABI; run tests/vm/deps.sh" >&2
			return 1
		fi
		KTAG=$KREL
		KDIR=/usr/src/linux-headers-$KREL
		VMLINUZ=$(stock_image_dir "$KREL")/boot/vmlinuz-$KREL
		;;
	debug)
		debug_kernel_build || return 1
		KREL=$DEBUG_KREL
		# The build tree is named by the key of fragment and source.
		KTAG=$KREL-debug-$(basename "$DEBUG_KDIR")
		KDIR=$DEBUG_KDIR
		VMLINUZ=$DEBUG_BZIMAGE
		# KASAN, lockdep and kmemleak: the slowest program took 55 s
		# here against 6 s on stock, and 202 s on a host busy with
		# other guests; some take 25 times as long as on stock.
		KTIME_FACTOR=3
		;;
	rt | b612 | sid)
		# PREEMPT_RT 6.1, backports' 6.12, unstable: lib/matrix.sh
		. "$VM_LIB/matrix.sh" && matrix_kernel_use "$1" || return 1
		;;
	*)
		echo "rtsync: unknown kernel '$1'" >&2
		return 1
		;;
	esac
	if [ ! -d "$KDIR" ] || [ ! -f "$VMLINUZ" ]; then
		echo "rtsync: $KNAME kernel: $KDIR or $VMLINUZ is missing; run tests/vm/deps.sh (stock) or tests/vm/build-debug-kernel.sh (debug)" >&2
		return 1
	fi
}
