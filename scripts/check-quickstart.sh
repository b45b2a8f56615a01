#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs the README's first command, scripts/quickstart.sh, as a new user would,
# and checks what the README promises of it: tshark decodes the three
# notifications of examples/newmail-ipv4.pcap as NEWMAIL and lists the plugin
# it installed. Then removes the newmail.so it installed, so that the machine
# (or chroot) is left as it was. CI runs it on every Wireshark version
# (.ci/run, scripts/test-chroot.sh). Exit status 0 when both hold.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
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
[ "$failed" -eq 0 ] && echo "quick start: 3 notifications decoded, the installed plugin listed"
exit "$failed"
