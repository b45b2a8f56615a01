# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced by scripts/quickstart.sh, scripts/test.sh and .ci/run: the Debian
# packages this project needs, in one place, and how to get them. The same
# names exist on Debian 12 bookworm, 13 trixie and unstable (sid).
#
#   NEWMAIL_PACKAGES           building and the default configure (which
#                              looks for tshark and python3 for the tests)
#   NEWMAIL_TEST_PACKAGES      what only the test suite needs on top;
#                              scripts/test.sh and .ci/run add them with
#                              NEWMAIL_PACKAGES+=("${NEWMAIL_TEST_PACKAGES[@]}")
#   newmail_missing_packages   prints the packages not installed, one a line
#   newmail_ensure_packages    installs them as root (apt-get, noninteractive);
#                              as anybody else prints the sudo command and
#                              returns 1

NEWMAIL_PACKAGES=(
    tshark            # runs the tests; the plugin's host
    libwireshark-dev  # epan headers and library
    wireshark-dev     # WiresharkConfig.cmake
    libglib2.0-dev    # glib headers the epan headers include
    cmake
    make
    gcc
    libc6-dev
    pkgconf           # pkg-config, the fallback way to find Wireshark
    python3           # /usr/bin/python3 runs the capture generator and tshark tests
    util-linux        # setpriv: the tests run tshark unprivileged when root
)

# shellcheck disable=SC2034  # used by the scripts that source this file
NEWMAIL_TEST_PACKAGES=(
    wireshark-common  # dumpcap (tshark depends on it): tests that capture live
    python3-impacket  # NTLM-sealed DCE/RPC test captures
    iproute2          # ip: a TLS capture test brings lo up in its own network namespace
    openssl           # that test's certificate (openssl req) and TLS peers
)

newmail_missing_packages() {
    local package status
    for package in "${NEWMAIL_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
        if [ "$status" != "installed" ]; then
            echo "$package"
        fi
    done
}

newmail_ensure_packages() {
    local missing
    missing=$(newmail_missing_packages | tr '\n' ' ')
    missing=${missing% }
    if [ -z "$missing" ]; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing Debian packages: $missing" >&2
        echo "Install them with:" >&2
        echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing" >&2
        return 1
    fi
    echo "Installing missing Debian packages: $missing"
    # wireshark-common asks whether non-root users may capture; never ask.
    export DEBIAN_FRONTEND=noninteractive
    if command -v debconf-set-selections >/dev/null 2>&1; then
        echo "wireshark-common wireshark-common/install-setuid boolean false" |
            debconf-set-selections
    fi
    # shellcheck disable=SC2086  # one word per package
    apt-get update && apt-get install -y --no-install-recommends $missing </dev/null
}
