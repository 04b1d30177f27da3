# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The kernels rtsync is tested on. kernel_use NAME describes one of them in
# these variables, which the rest of the harness reads:
#   KNAME       short name, the first part of every test name ("stock")
#   KREL        its kernelrelease; names its module build directory
#   KDIR        the tree `make -C` enters to build external modules
#   KMAKE_ARGS  (array) extra make arguments for that, e.g. O=<build tree>
#   VMLINUZ     the image QEMU boots
#   KAPPEND     kernel command line words this kernel always needs
#
# Another kernel is one more case below. A debug kernel built from
# linux-source-6.1 would set KDIR to the source tree, KMAKE_ARGS=(O=<its
# build tree>), KREL from `make -s -C <src> O=<build> kernelrelease` and
# VMLINUZ=<build>/arch/x86/boot/bzImage; the function that builds it belongs
# next to stock_abi() and runs before the pass that boots it.

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

# kernel_use NAME: select a kernel; returns non-zero, saying why, when one
# of its pieces is missing.
# shellcheck disable=SC2034 # the variables are read by the other files
kernel_use() {
	KNAME=$1
	KMAKE_ARGS=()
	KAPPEND=""
	case $1 in
	stock)
		KREL=$(stock_abi)
		if [ -z "$KREL" ]; then
			echo "rtsync: apt names no linux-headers ABI; run tests/vm/deps.sh" >&2
			return 1
		fi
		KDIR=/usr/src/linux-headers-$KREL
		VMLINUZ=$(stock_image_dir "$KREL")/boot/vmlinuz-$KREL
		;;
	*)
		echo "rtsync: unknown kernel '$1'" >&2
		return 1
		;;
	esac
	if [ ! -d "$KDIR" ] || [ ! -f "$VMLINUZ" ]; then
		echo "rtsync: $KNAME kernel: $KDIR or $VMLINUZ is missing; run tests/vm/deps.sh" >&2
		return 1
	fi
}
