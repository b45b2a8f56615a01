#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the Debian package wireshark-plugin-newmail_<version>-1_<arch>.deb:
# newmail.so for the installed Wireshark (libwireshark-dev), placed in that
# Wireshark's global plugin folder, depending on its libwireshark package in
# the same major.minor. Works from any current directory.
#
#   scripts/make-deb.sh [BUILD_DIR]     default BUILD_DIR: build-deb
#
# Prints the path of the .deb last. Install it with
#   sudo apt-get install ./build-deb/wireshark-plugin-newmail_*.deb
# (apt-get resolves the Depends; `dpkg -i` does not), remove it with
#   sudo apt-get remove wireshark-plugin-newmail
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
newmail_ensure_packages

build_dir=${1:-build-deb}
rm -f "$build_dir"/wireshark-plugin-newmail_*.deb

# Release: the package is stripped (CPACK_STRIP_FILES); no tests are needed
# to build it, so neither python3 nor tshark is asked for at configure time.
cmake -S . -B "$build_dir" \
    -DCMAKE_BUILD_TYPE=Release \
    -DNEWMAIL_INSTALL_GLOBAL=ON \
    -DCMAKE_INSTALL_PREFIX=/usr \
    -DNEWMAIL_BUILD_TESTS=OFF
cmake --build "$build_dir" --parallel "$(nproc)"
(cd "$build_dir" && cpack -G DEB)

shopt -s nullglob
debs=("$build_dir"/wireshark-plugin-newmail_*.deb)
if [ "${#debs[@]}" -ne 1 ]; then
    echo "expected one .deb in $build_dir, found ${#debs[@]}" >&2
    exit 1
fi
echo
# shellcheck disable=SC2016  # dpkg-deb's own ${Field} syntax
dpkg-deb --show \
    --showformat='${Package} ${Version} (${Architecture})\n  Depends: ${Depends}\n' "${debs[0]}"
dpkg-deb --contents "${debs[0]}" | awk '$1 !~ /^d/ { print "  " $NF }'
echo "${debs[0]}"
