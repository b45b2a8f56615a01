#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the plugin against Wireshark 4.4 and runs the whole test suite there,
# in a Debian trixie chroot. Run as root (debootstrap, chroot and mount need
# it); the host is not changed apart from the chroot folder.
#
#   NEWMAIL_TRIXIE_CHROOT   where the chroot lives and is reused from
#                           (default /var/tmp/newmail-trixie); delete it to
#                           start over
#   NEWMAIL_TRIXIE_MIRROR   Debian mirror for debootstrap (default: the first
#                           non-security Debian URI in this machine's APT
#                           sources, /etc/apt/sources.list.d/*.sources or
#                           /etc/apt/sources.list)
#
# First run: debootstrap --variant=minbase trixie, then the packages of
# scripts/deps.sh inside it (several minutes). Later runs reuse the chroot and
# only copy the source tree in again. /proc is mounted in the chroot for the
# run and unmounted on exit, whatever happens. The source tree goes to
# <chroot>/root/newmail (build folders, .git and fuzzing output left out),
# where scripts/test.sh builds in build-test/ and runs CTest. The exit status
# is CTest's; its summary is printed last.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source_dir=$(pwd)
chroot_dir=${NEWMAIL_TRIXIE_CHROOT:-/var/tmp/newmail-trixie}
suite=trixie
ready_marker="$chroot_dir/.newmail-packages-ready"
bootstrapped_marker="$chroot_dir/.newmail-debootstrapped"

if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test-trixie.sh needs root (debootstrap, chroot, mount)." >&2
    echo "Run it as: sudo $0" >&2
    exit 1
fi

# The Debian mirror this machine already uses, never a host typed in here.
# deb822 files first (Debian 12's default), then one-line sources.list files.
find_mirror() {
    local file uri
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        # Stanzas are separated by blank lines; take the URIs of a "deb"
        # stanza whose suites are not the security ones.
        uri=$(awk '
            function flush() {
                if (types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "" && suites !~ /-security/)
                    { split(uris, u, /[ \t]+/); print u[1]; found = 1; exit }
                types = ""; uris = ""; suites = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            tolower($1) == "types:"  { $1 = ""; types = $0 }
            tolower($1) == "uris:"   { $1 = ""; sub(/^[ \t]+/, ""); uris = $0 }
            tolower($1) == "suites:" { $1 = ""; suites = $0 }
            END { if (!found) flush() }
        ' "$file")
        if [ -n "$uri" ]; then
            echo "$uri"
            return 0
        fi
    done
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] || continue
        # deb [options] URI suite components...
        uri=$(awk '
            $1 != "deb" { next }
            { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } }
            $(i + 1) ~ /-security/ { next }
            { print $i; exit }
        ' "$file")
        if [ -n "$uri" ]; then
            echo "$uri"
            return 0
        fi
    done
    return 1
}

mounted_proc=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    if [ -n "$mounted_proc" ] && mountpoint -q "$mounted_proc"; then
        umount "$mounted_proc" || umount -l "$mounted_proc" || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_chroot() {
    chroot "$chroot_dir" /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb CI=true DEBIAN_FRONTEND=noninteractive \
        "$@"
}

# --- 1. The chroot: made once, then reused -------------------------------------
if [ ! -f "$bootstrapped_marker" ]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
        echo "Installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            debootstrap </dev/null
    fi
    mirror=${NEWMAIL_TRIXIE_MIRROR:-$(find_mirror || true)}
    if [ -z "$mirror" ]; then
        echo "No Debian mirror found in /etc/apt/sources.list.d/*.sources or" >&2
        echo "/etc/apt/sources.list; set NEWMAIL_TRIXIE_MIRROR." >&2
        exit 1
    fi
    if [ -e "$chroot_dir" ]; then
        # A debootstrap that did not finish: start again, but never remove
        # anything that has a file system mounted inside it.
        if grep -q " $(realpath "$chroot_dir")/" /proc/mounts; then
            echo "$chroot_dir has file systems mounted inside; unmount them first." >&2
            exit 1
        fi
        echo "Removing the unfinished chroot $chroot_dir"
        rm -rf --one-file-system "$chroot_dir"
    fi
    echo "Making a Debian $suite chroot in $chroot_dir from $mirror"
    started=$SECONDS
    debootstrap --variant=minbase "$suite" "$chroot_dir" "$mirror"
    touch "$bootstrapped_marker"
    echo "debootstrap took $((SECONDS - started)) s"
else
    echo "Reusing the $suite chroot in $chroot_dir"
fi

# Name resolution for apt-get inside, as the host has it now.
cp -L /etc/resolv.conf "$chroot_dir/etc/resolv.conf"

mount -t proc proc "$chroot_dir/proc"
mounted_proc="$chroot_dir/proc"

# --- 2. The source tree ---------------------------------------------------------
dest="$chroot_dir/root/newmail"
rm -rf --one-file-system "$dest"
mkdir -p "$dest"
tar -C "$source_dir" \
    --exclude='./build*' --exclude=./.git \
    --exclude=./fuzz/corpus --exclude=./fuzz/findings \
    --exclude='__pycache__' \
    -cf - . | tar -C "$dest" -xf -

# --- 3. Packages (scripts/deps.sh's list, as CI installs them) -----------------
if [ ! -f "$ready_marker" ]; then
    started=$SECONDS
    in_chroot bash -c 'cd /root/newmail && source scripts/deps.sh && newmail_ensure_packages' </dev/null
    touch "$ready_marker"
    echo "Installing the packages took $((SECONDS - started)) s"
else
    # Still install anything scripts/deps.sh has gained since (usually nothing).
    in_chroot bash -c 'cd /root/newmail && source scripts/deps.sh && newmail_ensure_packages' </dev/null
fi
tshark_version=$(in_chroot tshark --version | head -n 1)
# shellcheck disable=SC2016  # expanded inside the chroot
os_name=$(in_chroot sh -c '. /etc/os-release; echo "$PRETTY_NAME"')
echo "In the chroot: $tshark_version ($os_name)"

# --- 4. Build and test ------------------------------------------------------------
log=$(mktemp /tmp/newmail-trixie-test.XXXXXX)
set +e
in_chroot bash /root/newmail/scripts/test.sh </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

echo
echo "=== CTest summary, Wireshark 4.4 (Debian $suite) ==="
# From "N% tests passed" to the end: the summary, failures and timing.
sed -n '/tests passed, [0-9]* tests failed out of/,$p' "$log"
rm -f "$log"
exit "$status"
