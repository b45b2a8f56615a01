#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The quick start: checks the Debian packages (installs them as root, or
# prints the one sudo command that installs them and those scripts/test.sh
# needs), builds newmail.so in build/, installs it where Wireshark loads it,
# decodes an example capture and shows the plugin loaded. Works from any
# current directory.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
newmail_ensure_packages

if [ "$(id -u)" -eq 0 ]; then
    install_global=ON
else
    install_global=OFF
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEWMAIL_INSTALL_GLOBAL="$install_global"
cmake --build build --parallel "$(nproc)"
cmake --install build

echo
if [ "$install_global" = ON ]; then
    echo "You are root, so newmail.so went into Wireshark's global plugin folder (above)."
    echo "Wireshark and tshark run as root load no personal plugins (~/.local/lib/wireshark/plugins)"
    echo "and ignore WIRESHARK_PLUGIN_DIR; only the global folder works for root."
    echo "Run scripts/quickstart.sh again as root after changes; remove the file to uninstall."
else
    echo "newmail.so went into your personal plugin folder (above), which Wireshark and tshark"
    echo "load when run as you. Delete that file to uninstall."
fi

example=examples/newmail-ipv4.pcap
if [ ! -f "$example" ]; then
    echo
    echo "$example is not in this tree; generating example captures with test/gen_captures.py"
    echo "into build/example-captures/ and using basic_ipv4.pcap instead."
    /usr/bin/python3 -B test/gen_captures.py --out build/example-captures
    example=build/example-captures/basic_ipv4.pcap
fi

echo
echo "\$ tshark -r $example -Y newmail"
tshark -r "$example" -Y newmail
echo
echo "\$ tshark -G plugins | grep newmail"
tshark -G plugins | grep newmail
echo
echo "Next: open examples/rpc-session.pcap in Wireshark (package wireshark), or"
echo "  tshark -2 -r examples/rpc-session.pcap -Y 'newmail.signal || newmail.notify'"
echo "and run every test with scripts/test.sh (README.md, docs/examples.md)."
newmail_test_packages_hint
