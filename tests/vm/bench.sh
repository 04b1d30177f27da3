#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make bench: will boot the stock kernel and print the benchmark table of
# tests/bench; there are no benchmark programs yet.
set -euo pipefail

echo "rtsync: no benchmarks yet"
