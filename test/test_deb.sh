#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# CTest test deb_package: builds the .deb with scripts/make-deb.sh in a
# temporary build folder, unpacks it with `dpkg-deb -x` into a scratch root
# (nothing is installed on this machine) and checks:
#   - it holds exactly one file, newmail.so, in <global plugin folder>/epan;
#   - Package, Version (from moduleinfo.h) and Maintainer;
#   - Depends names the package owning the libwireshark this Wireshark ships,
#     limited to the major.minor the plugin was built for;
#   - the packaged (stripped) newmail.so loads: tshark -G plugins lists it
#     (run through test/tshark_harness.py, so as uid 65534 when root, with a
#     temporary HOME, never from a system folder).
#
#   test_deb.sh SOURCE_DIR WS_PLUGIN_DIR WS_VERSION [PYTHON3]
#     WS_PLUGIN_DIR  Wireshark's global plugin folder, e.g.
#                    /usr/lib/x86_64-linux-gnu/wireshark/plugins/4.0
#     WS_VERSION     major.minor, e.g. 4.0
# Exit status 77 (CTest: skipped) where there is no dpkg.
set -euo pipefail

source_dir=${1:?usage: test_deb.sh SOURCE_DIR WS_PLUGIN_DIR WS_VERSION [PYTHON3]}
plugin_dir=${2:?usage: test_deb.sh SOURCE_DIR WS_PLUGIN_DIR WS_VERSION [PYTHON3]}
ws_version=${3:?usage: test_deb.sh SOURCE_DIR WS_PLUGIN_DIR WS_VERSION [PYTHON3]}
python3=${4:-/usr/bin/python3}

if ! command -v dpkg-deb >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
    echo "SKIP: no dpkg/dpkg-deb here (not a Debian system)"
    exit 77
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/newmail-deb-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

failures=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then
        echo "ok   $1: $3"
    else
        echo "FAIL $1"
        echo "       expected: $2"
        echo "       got:      $3"
        failures=$((failures + 1))
    fi
}

# --- Build -------------------------------------------------------------------------
bash "$source_dir/scripts/make-deb.sh" "$scratch/build" >"$scratch/build.log" 2>&1 || {
    cat "$scratch/build.log"
    echo "FAIL scripts/make-deb.sh failed (log above)"
    exit 1
}
shopt -s nullglob
debs=("$scratch"/build/wireshark-plugin-newmail_*.deb)
if [ "${#debs[@]}" -ne 1 ]; then
    cat "$scratch/build.log"
    echo "FAIL expected one wireshark-plugin-newmail_*.deb, found ${#debs[@]}"
    exit 1
fi
deb=${debs[0]}
echo "built $(basename "$deb")"

# --- Control fields ----------------------------------------------------------------
version=$(sed -n 's/^#define NEWMAIL_PLUGIN_VERSION "\([0-9.]*\)".*/\1/p' "$source_dir/moduleinfo.h")
arch=$(dpkg --print-architecture)
check "Package" "wireshark-plugin-newmail" "$(dpkg-deb -f "$deb" Package)"
check "Version" "$version-1" "$(dpkg-deb -f "$deb" Version)"
check "Architecture" "$arch" "$(dpkg-deb -f "$deb" Architecture)"
check "file name" "wireshark-plugin-newmail_${version}-1_${arch}.deb" "$(basename "$deb")"
maintainer=$(dpkg-deb -f "$deb" Maintainer)
if [[ "$maintainer" =~ ^[^\<]+\ \<[^\>@]+@[^\>]+\>$ ]]; then
    echo "ok   Maintainer: $maintainer"
else
    check "Maintainer is 'Name <address>'" "Name <address>" "$maintainer"
fi

# The package that owns the real libwireshark file of this Wireshark, asked
# of dpkg the way a packager would, independently of CMake.
libdir=$(pkg-config --variable=libdir wireshark)
libwireshark=$(realpath "$libdir/libwireshark.so")
owner=$(dpkg -S "$libwireshark" | head -n 1)
libpackage=${owner%%:*}
epoch=$(dpkg-query -W -f='${Version}' "$libpackage" | sed -n 's/^\([0-9]*:\).*/\1/p')
major=${ws_version%%.*}
minor=${ws_version#*.}
expected="$libpackage (>= ${epoch}${ws_version}.0), $libpackage (<< ${epoch}${major}.$((minor + 1))~)"
check "Depends" "$expected" "$(dpkg-deb -f "$deb" Depends)"
# The installed libwireshark satisfies it: the package would install here.
installed=$(dpkg-query -W -f='${Version}' "$libpackage")
if dpkg --compare-versions "$installed" ge "${epoch}${ws_version}.0" &&
    dpkg --compare-versions "$installed" lt "${epoch}${major}.$((minor + 1))~"; then
    echo "ok   installed $libpackage $installed satisfies Depends"
else
    check "installed $libpackage satisfies Depends" "yes" "no ($installed)"
fi

# --- Contents ----------------------------------------------------------------------
root="$scratch/root"
dpkg-deb -x "$deb" "$root"
files=$(cd "$root" && find . ! -type d | sed 's|^\.||' | sort)
check "files in the package" "$plugin_dir/epan/newmail.so" "$files"
so="$root$plugin_dir/epan/newmail.so"
if [ -f "$so" ]; then
    check "newmail.so mode" "644" "$(stat -c %a "$so")"
    # It loads: the harness puts this copy in a temporary HOME's plugin folder.
    listed=$(cd "$source_dir/test" &&
        env -i PATH=/usr/bin:/bin NEWMAIL_PLUGIN="$so" NEWMAIL_WS_VERSION="$ws_version" \
            NEWMAIL_WS_GLOBAL_PLUGIN_DIR="$plugin_dir" \
            "$python3" -E -B tshark_harness.py -G plugins 2>&1 |
        awk -F'\t' '$1 ~ /newmail/ { gsub(/ /, "", $1); gsub(/ /, "", $3); print $1 "\t" $3 }') ||
        true
    check "tshark -G plugins lists the packaged plugin" "newmail.so	dissector" "$listed"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
