#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make demo: boots the stock kernel with rtsync loaded and shows what the
# guest printed. Runs the programs named in tests/integration/bin/demo.list
# when there is one; otherwise shows the device and the module parameters.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

run_begin demo
"$VM_DIR/deps.sh"
userspace_built=0
build_userspace && userspace_built=1

demo_list=$INTEGRATION_BIN/demo.list
if [ "$userspace_built" -eq 1 ] && [ -f "$demo_list" ]; then
	rtsync_pass --show --list "$demo_list" stock
else
	rtsync_pass --show --no-programs \
		--after "sh ls -l /dev/rtsync" \
		--after "sh grep -H . /sys/module/rtsync/parameters/*" stock
fi
run_end
