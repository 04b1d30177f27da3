#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# make deb: rtsync's five Debian packages, built with Debian's own tools
# (debhelper, dh-dkms, dh-python) from a copy of the tracked source tree
# with this directory as its debian/, then checked with lintian:
#   rtsync-dkms, librtsync1, librtsync-dev, rtsync-tools, python3-rtsync.
# The version is the one in userspace/lib/version.mk. The packages go to
# dist/ at the top of the tree (DEB_OUT= to choose), lintian's report to
# dist/lintian.txt. Installs its build dependencies with apt-get when
# missing (as root, or with sudo).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/vm/lib.sh"

OUT=${DEB_OUT:-$TOP/dist}
BUILD_DEPS=(debhelper dh-dkms dh-python python3-all-dev python3-setuptools
	lintian dpkg-dev fakeroot)

version=$(printf 'v:\n\t@echo $(RTSYNC_VERSION)\n' |
	make -s --no-print-directory -f "$TOP/userspace/lib/version.mk" -f - v)
[ -n "$version" ] || die "no version in userspace/lib/version.mk"

missing=()
for pkg in "${BUILD_DEPS[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
		missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing the packaging tools: ${missing[*]} ..."
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		"${missing[@]}" </dev/null >/dev/null
fi

# A clean copy of the tracked files (the work tree may hold build output).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/rtsync-$version
mkdir -p "$src"
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$TOP" ls-files -z | (cd "$TOP" && xargs -0 cp --parents -t "$src")
else
	cp -a "$TOP"/. "$src"/
fi
rm -rf "$src/debian"
cp -a "$TOP/userspace/debian" "$src/debian"
rm -f "$src/debian/build-deb.sh"
# The changelog names the one version; its date is the last commit's, so
# two builds of one tree make the same packages.
when=$(git -C "$TOP" log -1 --format=%cD 2>/dev/null || date -R)
cat >"$src/debian/changelog" <<EOT
rtsync ($version) unstable; urgency=medium

  * Release $version; see the project's history for the changes.

 -- rtsync developers <rtsync@example.org>  $when
EOT

say "building rtsync $version's packages (dpkg-buildpackage, log: $OUT/build.log) ..."
mkdir -p "$OUT"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$OUT/build.log" 2>&1; then
	tail -n 30 "$OUT/build.log" >&2
	die "dpkg-buildpackage failed (see $OUT/build.log)"
fi
rm -f "$OUT"/*.deb "$OUT"/*.changes "$OUT"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$OUT"/
say "lintian (report: $OUT/lintian.txt) ..."
lintian --info --display-info "$OUT"/rtsync_"$version"_*.changes >"$OUT/lintian.txt" 2>&1 || true
cat "$OUT/lintian.txt"
ls -1 "$OUT"/*.deb
