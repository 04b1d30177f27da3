# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Release of librtsync and rtsyncctl, shared by both Makefiles.
# The major number is the shared library's soname (librtsync.so.1): bump it
# only when an exported function changes incompatibly.
RTSYNC_VERSION_MAJOR := 1
RTSYNC_VERSION := $(RTSYNC_VERSION_MAJOR).1.0
