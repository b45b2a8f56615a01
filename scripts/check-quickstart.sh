#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs the README's first command, scripts/quickstart.sh, as a new user would,
# and checks what the README promises of it: tshark decodes the three
# notifications of examples/newmail-ipv4.pcap as NEWMAIL and lists the plugin
# it installed. Then removes the newmail.so it installed, so that the machine
# (or chroot) is left as it was. It also checks what a user who is not root
# gets when packages are missing (simulated: a dpkg-query that knows none):
# quickstart.sh stops with one sudo line that runs apt-get update and installs
# every package quickstart.sh and scripts/test.sh need. CI runs it on every
# Wireshark version (.ci/run, scripts/test-chroot.sh). Exit status 0 when all
# of this holds.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
out=$(mktemp /tmp/newmail-quickstart.XXXXXX)
trap 'rm -f "$out"' EXIT

bash scripts/quickstart.sh </dev/null 2>&1 | tee "$out"
status=${PIPESTATUS[0]}

# cmake --install names the file it wrote: "-- Installing: /path/newmail.so"
# (or "-- Up-to-date: ..." when it was there already).
installed=$(sed -n 's/^-- \(Installing\|Up-to-date\): \(.*\/newmail\.so\)$/\2/p' "$out" | tail -n 1)
notifications=$(grep -c 'NEWMAIL [0-9]* New mail notification, payload 3fa2c41b00000001$' "$out")
listed=$(grep -c "^newmail\.so[[:space:]].*dissector[[:space:]]*${installed}\$" "$out")

failed=0
echo
echo "=== check-quickstart ==="
if [ "$status" -ne 0 ]; then
    echo "scripts/quickstart.sh exited with status $status"
    failed=1
fi
if [ -z "$installed" ]; then
    echo "cmake --install reported no newmail.so"
    failed=1
fi
if [ "$notifications" -ne 3 ]; then
    echo "expected the 3 notifications of examples/newmail-ipv4.pcap as NEWMAIL, saw $notifications"
    failed=1
fi
if [ -n "$installed" ] && [ "$listed" -ne 1 ]; then
    echo "tshark -G plugins does not list $installed"
    failed=1
fi
if [ -n "$installed" ]; then
    rm -f "$installed"
    echo "removed $installed again"
fi

# --- A user who is not root, on a machine that has none of the packages ----------
# NEWMAIL_DPKG_QUERY=false: every package reads as not installed.
# shellcheck disable=SC2016  # expanded by the inner shell
expected=$(NEWMAIL_DPKG_QUERY=false bash -c 'source scripts/deps.sh &&
    echo "sudo sh -c '\''apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${NEWMAIL_PACKAGES[*]} ${NEWMAIL_TEST_PACKAGES[*]}'\''"')
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
# deps.sh is read from stdin, so that the user needs no access to this tree.
deps="$PWD/scripts/deps.sh"
stop=$(cd / && "${as_user[@]}" env -i PATH=/usr/bin:/bin HOME=/ NEWMAIL_DPKG_QUERY=false \
           bash -c 'source /dev/stdin && newmail_ensure_packages' <"$deps" 2>&1)
stop_status=$?
if [ "$stop_status" -ne 1 ]; then
    echo "without packages, newmail_ensure_packages returned $stop_status as a user, not 1"
    failed=1
fi
if [ "$(grep -c '^  sudo ' <<<"$stop")" -ne 1 ] || ! grep -qxF "  $expected" <<<"$stop"; then
    echo "without packages, a user is not told the one line:"
    echo "  $expected"
    echo "but:"
    echo "$stop"
    failed=1
fi

[ "$failed" -eq 0 ] && echo "quick start: 3 notifications decoded, the installed plugin listed;" \
    "a user without the packages gets the one sudo line"
exit "$failed"
