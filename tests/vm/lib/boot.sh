# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# One guest boot: the current kernel (kernel_use) with an initramfs, under
# QEMU's TCG (the build machines have no KVM), killed after a hard time
# limit. Everything about the boot stays in its directory:
#   console.log   ttyS0: kernel messages and /init's chatter
#   results.log   ttyS1: the framed TAP output of the plan (guest-init.sh)
#   qemu.cmd      the command line, to repeat the boot by hand
#   qemu.stderr   QEMU's own complaints
#   qemu.status   QEMU's exit status (124: killed at the time limit)
#   limit         the time limit in seconds

# Kernel command line of every boot. Never `quiet`: it lowers the console
# log level to 4 and hides WARNINGs and lockdep reports from console.log.
# panic=-1 with -no-reboot ends QEMU at once on a panic; oops=panic turns
# an oops into one, so a broken guest stops instead of limping on.
BOOT_APPEND="console=ttyS0 loglevel=7 panic=-1 oops=panic"

# vm_boot DIR INITRAMFS LIMIT [APPEND...]: boot and wait for the guest to
# power off or for LIMIT seconds to pass; APPEND words are added to the
# kernel command line (e.g. preempt=full). Returns 0 when QEMU ended by
# itself; the verdict decides whether the guest did its work.
vm_boot() {
	local dir=$1 initramfs=$2 limit=$3 started status words append
	shift 3
	# Split on purpose: empty parts drop out, one space between words.
	# shellcheck disable=SC2206
	words=($BOOT_APPEND $KAPPEND "$@")
	append=${words[*]}
	local cmd=(
		timeout --kill-after=10 "$limit"
		qemu-system-x86_64 -accel tcg -smp 2 -m 2G
		-display none -no-reboot -monitor none
		-serial "file:$dir/console.log" -serial "file:$dir/results.log"
		-kernel "$VMLINUZ" -initrd "$initramfs"
		-append "$append"
	)

	mkdir -p "$dir"
	rm -f "$dir/console.log" "$dir/results.log"
	printf '%q ' "${cmd[@]}" >"$dir/qemu.cmd"
	echo >>"$dir/qemu.cmd"
	echo "$limit" >"$dir/limit"
	say "booting $KNAME kernel $KREL (timeout $limit s) ..."
	started=$SECONDS
	status=0
	"${cmd[@]}" </dev/null >"$dir/qemu.stderr" 2>&1 || status=$?
	echo "$status" >"$dir/qemu.status"
	# QEMU creates the files only once it runs; the verdict wants them.
	touch "$dir/console.log" "$dir/results.log"
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		say "$KNAME kernel killed after $(elapsed_since "$started") s (time limit)"
	else
		say "$KNAME kernel finished in $(elapsed_since "$started") s"
	fi
	if [ "$status" -ne 0 ] && [ -s "$dir/qemu.stderr" ]; then
		show_tail "$dir/qemu.stderr" 10
	fi
	return "$status"
}
