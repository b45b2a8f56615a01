#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Usage: sudo scripts/test-chroot.sh SUITE
#
# Builds the plugin against another Wireshark and runs the whole test suite
# there, in a Debian chroot:
#
#   trixie   Debian 13, Wireshark 4.4
#   sid      Debian unstable, Wireshark 4.6
#
# Run as root (debootstrap, chroot and mount need it); the host is not
# changed apart from the chroot folder and a lock file beside it.
#
#   NEWMAIL_CHROOT_DIR   where the chroot lives and is reused from (default
#                        /var/tmp/newmail-SUITE); delete it to start over
#   NEWMAIL_MIRROR       Debian mirror for debootstrap (default: the first
#                        non-security Debian URI in this machine's APT
#                        sources, /etc/apt/sources.list.d/*.sources or
#                        /etc/apt/sources.list)
#   NEWMAIL_CHROOT_PREPARE_ONLY  when set, make (or update) the chroot and its
#                        packages, then stop before building (.ci/run does
#                        this while the fuzzer runs)
#
# First run: debootstrap --variant=minbase SUITE (marker
# .newmail-debootstrapped), then the packages of scripts/deps.sh, test
# packages included, inside it (marker .newmail-packages-ready); a few
# minutes. Later runs reuse the chroot, install only what scripts/deps.sh has
# gained since, and copy the source tree in again. Unstable's Release file may
# be past its Valid-Until date on a mirror snapshot, so for sid the chroot's
# apt is told not to check it. /proc is mounted in the chroot for the run and
# unmounted on exit, whatever happens (one that was already mounted is used
# and left mounted). One run per chroot at a time (flock on
# <chroot>.lock). The source tree goes to <chroot>/root/newmail (build
# folders, .git and fuzzing output left out), where scripts/test.sh builds in
# build-test/ and runs CTest; then scripts/check-quickstart.sh runs the
# README's first command there and uninstalls what it installed. The exit
# status is CTest's, or the quick start's when only that failed; CTest's
# summary is printed last.
set -euo pipefail

usage() {
    echo "Usage: sudo $0 SUITE    (SUITE: trixie for Wireshark 4.4, sid for Wireshark 4.6)" >&2
    exit 2
}

[ $# -eq 1 ] || usage
suite=$1
case "$suite" in
    trixie) skip_valid_until=no ;;
    sid) skip_valid_until=yes ;;
    *) usage ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source_dir=$(pwd)
chroot_dir=${NEWMAIL_CHROOT_DIR:-/var/tmp/newmail-$suite}
chroot_dir=${chroot_dir%/}
ready_marker="$chroot_dir/.newmail-packages-ready"
bootstrapped_marker="$chroot_dir/.newmail-debootstrapped"

if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test-chroot.sh needs root (debootstrap, chroot, mount)." >&2
    echo "Run it as: sudo $0 $suite" >&2
    exit 1
fi

# Two runs in one chroot would remove each other's source tree.
exec 9>"$chroot_dir.lock"
if ! flock -n 9; then
    echo "Another scripts/test-chroot.sh is using $chroot_dir (lock $chroot_dir.lock)." >&2
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
    mirror=${NEWMAIL_MIRROR:-$(find_mirror || true)}
    if [ -z "$mirror" ]; then
        echo "No Debian mirror found in /etc/apt/sources.list.d/*.sources or" >&2
        echo "/etc/apt/sources.list; set NEWMAIL_MIRROR." >&2
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
if [ "$skip_valid_until" = yes ]; then
    # A mirror snapshot's unstable Release file outlives its Valid-Until
    # date within days; apt-get update would refuse it.
    echo 'Acquire::Check-Valid-Until "false";' \
        >"$chroot_dir/etc/apt/apt.conf.d/99newmail-no-valid-until"
fi

if mountpoint -q "$chroot_dir/proc"; then
    echo "$chroot_dir/proc is already mounted; using it (and leaving it mounted)"
else
    mount -t proc proc "$chroot_dir/proc"
    mounted_proc="$chroot_dir/proc"
fi

# --- 2. The source tree ---------------------------------------------------------
dest="$chroot_dir/root/newmail"
rm -rf --one-file-system "$dest"
mkdir -p "$dest"
tar -C "$source_dir" \
    --exclude='./build*' --exclude=./.git \
    --exclude=./fuzz/corpus --exclude=./fuzz/findings \
    --exclude='__pycache__' \
    -cf - . | tar -C "$dest" -xf -

# --- 3. Packages (scripts/deps.sh's lists, as scripts/test.sh installs them) ----
# shellcheck disable=SC2016  # expanded inside the chroot
install_packages='cd /root/newmail && source scripts/deps.sh &&
    NEWMAIL_PACKAGES+=("${NEWMAIL_TEST_PACKAGES[@]}") && newmail_ensure_packages'
if [ ! -f "$ready_marker" ]; then
    started=$SECONDS
    in_chroot bash -c "$install_packages" </dev/null
    touch "$ready_marker"
    echo "Installing the packages took $((SECONDS - started)) s"
else
    # Still install anything scripts/deps.sh has gained since (usually nothing).
    in_chroot bash -c "$install_packages" </dev/null
fi
if [ -n "${NEWMAIL_CHROOT_PREPARE_ONLY:-}" ]; then
    echo "The $suite chroot is ready in $chroot_dir"
    exit 0
fi
tshark_version=$(in_chroot tshark --version | head -n 1)
# shellcheck disable=SC2016  # expanded inside the chroot
os_name=$(in_chroot sh -c '. /etc/os-release; echo "$PRETTY_NAME"')
ws_version=$(in_chroot pkg-config --modversion wireshark)
echo "In the chroot: $tshark_version ($os_name)"

# --- 4. Build and test ------------------------------------------------------------
log=$(mktemp "/tmp/newmail-$suite-test.XXXXXX")
set +e
in_chroot bash /root/newmail/scripts/test.sh </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# --- 5. The README's first command, as a new user runs it ---------------------------
in_chroot bash /root/newmail/scripts/check-quickstart.sh </dev/null
quick_status=$?
set -e

echo
echo "=== CTest summary, Wireshark $ws_version (Debian $suite) ==="
# From "N% tests passed" to the end: the summary, failures and timing. When
# the build failed before CTest ran, say so instead of printing nothing.
if grep -q 'tests passed, [0-9]* tests failed out of' "$log"; then
    sed -n '/tests passed, [0-9]* tests failed out of/,$p' "$log"
else
    echo "CTest did not run (exit status $status); the build output is above."
fi
rm -f "$log"
if [ "$quick_status" -ne 0 ]; then
    echo "scripts/quickstart.sh failed its check (see === check-quickstart === above)"
    [ "$status" -ne 0 ] || status=$quick_status
fi
exit "$status"
