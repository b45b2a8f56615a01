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
#   newmail_missing_packages [PACKAGE...]
#                              prints those not installed (default: the
#                              NEWMAIL_PACKAGES), one a line, each once
#   newmail_install_line       the one command that installs every package
#                              missing for this script and for scripts/test.sh
#                              (NEWMAIL_PACKAGES and NEWMAIL_TEST_PACKAGES),
#                              apt-get update included: empty package lists
#                              (a fresh image) would otherwise make apt-get
#                              install fail with "Unable to locate package"
#   newmail_ensure_packages    as root installs the missing NEWMAIL_PACKAGES
#                              (apt-get update, then apt-get install,
#                              noninteractive); as anybody else, when one is
#                              missing, prints newmail_install_line and
#                              returns 1
#   newmail_test_packages_hint as anybody but root, when scripts/test.sh
#                              would still miss a package, says so with
#                              newmail_install_line (scripts/quickstart.sh
#                              ends with it)
#
# NEWMAIL_DPKG_QUERY names the dpkg-query to ask (default: dpkg-query), so
# that the non-root path can be tried without removing packages.

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
    python3-impacket  # NTLM-sealed DCE/RPC and Outlook Anywhere (RPC over HTTP) test captures
    iproute2          # ip: a TLS capture test brings lo up in its own network namespace
    openssl           # that test's certificate (openssl req) and TLS peers
)

newmail_missing_packages() {
    local package status
    local -A seen=()
    if [ "$#" -eq 0 ]; then
        set -- "${NEWMAIL_PACKAGES[@]}"
    fi
    for package in "$@"; do
        if [ -n "${seen[$package]:-}" ]; then
            continue
        fi
        seen[$package]=1
        # shellcheck disable=SC2016  # a dpkg-query format, not a shell expansion
        status=$("${NEWMAIL_DPKG_QUERY:-dpkg-query}" -W -f='${db:Status-Status}' "$package" \
                     2>/dev/null || true)
        if [ "$status" != "installed" ]; then
            echo "$package"
        fi
    done
}

newmail_install_line() {
    local missing
    missing=$(newmail_missing_packages "${NEWMAIL_PACKAGES[@]}" "${NEWMAIL_TEST_PACKAGES[@]}" |
                  tr '\n' ' ')
    missing=${missing% }
    if [ -n "$missing" ]; then
        echo "sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing'"
    fi
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
        echo "Install everything scripts/quickstart.sh and scripts/test.sh need with:" >&2
        echo "  $(newmail_install_line)" >&2
        return 1
    fi
    echo "Installing missing Debian packages: $missing"
    # wireshark-common asks whether non-root users may capture; never ask.
    export DEBIAN_FRONTEND=noninteractive
    if command -v debconf-set-selections >/dev/null 2>&1; then
        echo "wireshark-common wireshark-common/install-setuid boolean false" |
            debconf-set-selections
    fi
    # Always update first: on a fresh image the package lists are empty, and
    # old lists name versions the mirror no longer has.
    # shellcheck disable=SC2086  # one word per package
    apt-get update && apt-get install -y --no-install-recommends $missing </dev/null
}

newmail_test_packages_hint() {
    local line
    if [ "$(id -u)" -eq 0 ]; then
        return 0  # scripts/test.sh installs them itself
    fi
    line=$(newmail_install_line)
    if [ -n "$line" ]; then
        echo
        echo "scripts/test.sh needs these too:" \
            "$(newmail_missing_packages "${NEWMAIL_TEST_PACKAGES[@]}" | paste -sd ' ')"
        echo "Install them with:"
        echo "  $line"
    fi
}
