#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The test command: installs missing Debian packages (as root; otherwise says
# which), builds from scratch in build-test/ and runs every test with CTest.
# Its exit status is CTest's. Works from any current directory.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
NEWMAIL_PACKAGES+=("${NEWMAIL_TEST_PACKAGES[@]}")
newmail_ensure_packages

rm -rf build-test
# NEWMAIL_CMAKE_ARGS: extra configure options, e.g. -DNEWMAIL_TEST_TSHARK_FUZZ=ON.
# shellcheck disable=SC2086
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo ${NEWMAIL_CMAKE_ARGS:-}
cmake --build build-test --parallel "$(nproc)"
# One test per core: each runs its own tshark processes in its own sandbox,
# and the longest (test_sessions, memcheck) no longer wait for the rest.
# The smoke tests (label smoke) are a part of the modules' own tests, for
# ctest -L quick: the whole run has them already (docs/testing.md, "Labels").
exec ctest --test-dir build-test --output-on-failure --parallel "$(nproc)" --label-exclude '^smoke$'
