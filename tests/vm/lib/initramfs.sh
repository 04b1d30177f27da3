# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# The guest's root file system: busybox-static with a link per applet,
# guest-init.sh as /init, and whatever a run adds under /rtsync (modules,
# test programs, the plan /init executes). Built in three steps so each run
# adds exactly what it needs:
#   initramfs_begin DIR; initramfs_add DIR SRC DEST...; initramfs_pack DIR OUT

GUEST_BUSYBOX=/bin/busybox	# from busybox-static: no shared libraries

# initramfs_begin DIR: a fresh root in DIR with busybox and /init.
initramfs_begin() {
	local root=$1 applet

	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,rtsync}
	cp "$GUEST_BUSYBOX" "$root/bin/busybox"
	for applet in $("$GUEST_BUSYBOX" --list-full); do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	install -m 0755 "$VM_LIB/guest-init.sh" "$root/init"
	# The kernel opens /dev/console for /init before anything is mounted;
	# without the node (only root can make it) /init starts without
	# stdio and re-opens the console once devtmpfs is up.
	mknod -m 0600 "$root/dev/console" c 5 1 2>/dev/null || true
}

# initramfs_add DIR SRC DEST: copy SRC (a file, or a directory's contents)
# to DEST, an absolute path inside the guest.
initramfs_add() {
	local root=$1 src=$2 dest=$3

	mkdir -p "$(dirname "$root$dest")"
	if [ -d "$src" ]; then
		mkdir -p "$root$dest"
		cp -a "$src/." "$root$dest/"
	else
		cp -a "$src" "$root$dest"
	fi
}

# initramfs_pack DIR OUT: DIR as a gzip'd newc cpio archive, owned by root.
initramfs_pack() {
	(cd "$1" && find . -print0 | cpio --null --create --format=newc \
		--owner=0:0 --quiet) | gzip -1 >"$2"
}
