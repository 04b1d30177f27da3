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
#   stalled       present when the guest was killed for lack of output:
#                 the number of silent seconds that took

# Kernel command line of every boot. Never `quiet`: it lowers the console
# log level to 4 and hides WARNINGs and lockdep reports from console.log.
# panic=-1 with -no-reboot ends QEMU at once on a panic; oops=panic turns
# an oops into one, so a broken guest stops instead of limping on.
BOOT_APPEND="console=ttyS0 loglevel=7 panic=-1 oops=panic"

# What vm_boot shows while the guest runs: "steps" (a line as each plan
# step begins, so a long boot is not silent), "all" (the whole results
# output), "text" (for a human watching: each step's name, its output
# without the TAP comment marks, and its ok/not ok lines) or "none".
# Callers may set it for one call:
#   BOOT_WATCH=all vm_boot ...
BOOT_WATCH=steps

# A guest whose results output stays silent this long (seconds) is stuck
# (a test in an unkillable sleep, a hung kernel) and is killed before the
# hard time limit; 0: no such check. The guest kills each test at its own
# time limit and then writes, so a value above that never hits a working
# guest. Set for one call, like BOOT_WATCH.
BOOT_IDLE_LIMIT=0

# boot_watch_filter MODE: reads results.log as it grows. A bash read loop,
# because sed, tr and mawk would buffer their output in a pipe.
boot_watch_filter() {
	local line

	while IFS= read -r line; do
		line=${line%$'\r'}
		case $1 in
		all) echo "$line" ;;
		steps) [[ $line != "### begin "* ]] || say "  running ${line#"### begin "} ..." ;;
		text)
			case $line in
			"### begin "*) say "${line#"### begin "}:" ;;
			"### "* | 1..*) ;;
			"#"*)
				line=${line#"#"}
				echo "    ${line#" "}"
				;;
			*) echo "$line" ;;
			esac
			;;
		esac
	done
}

# vm_boot DIR INITRAMFS LIMIT [APPEND...]: boot and wait for the guest to
# power off, for LIMIT seconds to pass or for BOOT_IDLE_LIMIT seconds
# without results output; APPEND words are added to the kernel command line
# (e.g. preempt=full). Returns 0 when QEMU ended by itself; the verdict
# decides whether the guest did its work.
vm_boot() {
	local dir=$1 initramfs=$2 limit=$3 started status words append qemu watcher=""
	shift 3
	# Split on purpose: empty parts drop out, one space between words.
	# shellcheck disable=SC2206
	words=($BOOT_APPEND $KAPPEND "$@")
	append=${words[*]}
	local cmd=(
		timeout --kill-after=10 "$limit"
		qemu-system-x86_64 -accel tcg -smp 2 -m 2G
		-display none -no-reboot -monitor none -nic none
		-serial "file:$dir/console.log" -serial "file:$dir/results.log"
		-kernel "$VMLINUZ" -initrd "$initramfs"
		-append "$append"
	)

	mkdir -p "$dir"
	rm -f "$dir/console.log" "$dir/stalled"
	: >"$dir/results.log"	# for the watcher; QEMU truncates it again
	printf '%q ' "${cmd[@]}" >"$dir/qemu.cmd"
	echo >>"$dir/qemu.cmd"
	echo "$limit" >"$dir/limit"
	say "booting $KNAME kernel $KREL (timeout $limit s) ..."
	started=$SECONDS
	status=0
	"${cmd[@]}" </dev/null >"$dir/qemu.stderr" 2>&1 &
	qemu=$!
	if [ "$BOOT_WATCH" != none ]; then
		tail --pid="$qemu" -n +1 -F "$dir/results.log" 2>/dev/null |
			boot_watch_filter "$BOOT_WATCH" &
		watcher=$!
	fi
	boot_idle_watch "$dir" "$qemu"
	wait "$qemu" || status=$?
	# tail notices within a second that QEMU is gone; then the filter ends.
	[ -z "$watcher" ] || wait "$watcher" || true
	echo "$status" >"$dir/qemu.status"
	# QEMU creates console.log only once it runs; the verdict wants it.
	touch "$dir/console.log"
	if [ -f "$dir/stalled" ]; then
		say "$KNAME kernel killed after $(elapsed_since "$started") s ($(cat "$dir/stalled") s without results output)"
	elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		say "$KNAME kernel killed after $(elapsed_since "$started") s (time limit)"
	else
		say "$KNAME kernel finished in $(elapsed_since "$started") s"
	fi
	# QEMU's own complaints, less the note that the time limit killed it.
	if [ "$status" -ne 0 ] && grep -qv 'terminating on signal' "$dir/qemu.stderr"; then
		show_tail "$dir/qemu.stderr" 10
	fi
	return "$status"
}

# boot_idle_watch DIR PID: return when PID (the QEMU under timeout) ends;
# kill it first if DIR/results.log stops growing for BOOT_IDLE_LIMIT s.
boot_idle_watch() {
	local dir=$1 pid=$2 size last_size=-1 quiet_since=$SECONDS

	[ "$BOOT_IDLE_LIMIT" -gt 0 ] || return 0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		size=$(stat -c %s "$dir/results.log" 2>/dev/null || echo 0)
		if [ "$size" != "$last_size" ]; then
			last_size=$size
			quiet_since=$SECONDS
		elif [ $((SECONDS - quiet_since)) -ge "$BOOT_IDLE_LIMIT" ]; then
			echo "$BOOT_IDLE_LIMIT" >"$dir/stalled"
			kill "$pid" 2>/dev/null || true	# timeout passes it on to QEMU
			return 0
		fi
	done
}
