#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# decode-snapshot.sh: what tshark -V shows with one newmail.so, capture by
# capture, one pass and two, written to files that `diff -r` compares.
#
# Why: issue 15 restructures the sources and requires that every capture of
# the test suite and of examples/ decodes byte-identically before and after,
# on Wireshark 4.0, 4.4 and 4.6, apart from the defects it fixes. The tests
# check chosen fields; this compares everything tshark prints. The captures
# are made once (--collect) and then reused, because the TLS capture is taken
# live with fresh random keys and would differ at every run.
#
# Usage:
#   scripts/decode-snapshot.sh --collect SOURCE_DIR CAPTURE_DIR
#       Builds SOURCE_DIR in a temporary folder, runs its CTest capture
#       fixtures (captures, captures_mapihttp, capture_tls) and copies every
#       capture they write, and every capture of SOURCE_DIR/examples/ with
#       its key log, into CAPTURE_DIR (which must not exist yet), with the
#       manifest CAPTURE_DIR/options.tsv.
#   scripts/decode-snapshot.sh PLUGIN_SO CAPTURE_DIR OUT_DIR
#       Runs the installed tshark with PLUGIN_SO over every line of
#       CAPTURE_DIR/options.tsv, writing OUT_DIR/<id>.1.txt (tshark -V),
#       <id>.2.txt (tshark -2 -V) and their stderr <id>.1.err, <id>.2.err (a
#       non-zero exit status is added as the .err file's last line), plus
#       _tshark.txt (tshark's version, the plugin's -G plugins line) and
#       _glossary.txt (the plugin's protocols and fields, tshark -G fields).
#   scripts/decode-snapshot.sh --build SOURCE_DIR CAPTURE_DIR OUT_DIR
#       Builds SOURCE_DIR's plugin for the installed Wireshark in a temporary
#       folder, then as above.
#   sudo scripts/decode-snapshot.sh --all-versions SOURCE_DIR OUT_DIR [CAPTURE_DIR]
#       --build on this machine (Wireshark 4.0 on Debian bookworm) into
#       OUT_DIR/<major.minor>/, then the same inside the chroots that
#       scripts/test-chroot.sh makes (/var/tmp/newmail-trixie: 4.4,
#       /var/tmp/newmail-sid: 4.6) into OUT_DIR/4.4/ and OUT_DIR/4.6/.
#       CAPTURE_DIR defaults to $NEWMAIL_SNAP_CAPTURES, else /work/snap/captures.
#       A chroot is used under scripts/test-chroot.sh's lock (<chroot>.lock,
#       waited for up to an hour); /proc is mounted for the run and unmounted
#       after; the source and captures go to <chroot>/root/newmail-snapshot/,
#       removed afterwards. NEWMAIL_SNAP_TARGETS (default "host trixie sid")
#       picks where: this machine and the chroots' suites.
#
# Comparing: diff -r BASE NEW (or BASE/4.0 NEW/4.0, ...); empty means every
# decode is byte-identical. _glossary.txt also changes when a field's name,
# type or blurb does, which is not a decode change.
#
# options.tsv: one decode per line, tab-separated: an id (the output's name,
# "<folder>/<capture>[+<variant>]"), the capture's path relative to
# CAPTURE_DIR, then tshark's extra options, one argument per column; paths in
# them are relative to CAPTURE_DIR too. Lines starting with # are comments.
#
# Like test/tshark_harness.py, tshark runs with a clean environment (HOME a
# temporary folder holding only the plugin in
# ~/.local/lib/wireshark/plugins/<major.minor>/epan/newmail.so, LANG=C.UTF-8,
# TZ=UTC, WIRESHARK_ABORT_ON_DISSECTOR_BUG=1, WIRESHARK_PLUGIN_DIR linking
# Wireshark's own global plugins but never a newmail one) and, as root, as
# uid/gid 65534 through setpriv: tshark run as root loads no personal plugin.
# It runs inside a copy of CAPTURE_DIR with relative paths, so nothing of
# this run (temporary folder, date) reaches the output.
set -euo pipefail

usage() {
    sed -n '/^# Usage:/,/^# Comparing:/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

die() {
    echo "decode-snapshot.sh: $*" >&2
    exit 1
}

self=$(realpath "${BASH_SOURCE[0]}")
UNPRIVILEGED_ID=65534

# Temporary folders of this process, removed when it exits.
temporary=()
# shellcheck disable=SC2317  # run by the EXIT trap
remove_temporary() {
    [ ${#temporary[@]} -eq 0 ] || rm -rf --one-file-system "${temporary[@]}"
}
trap remove_temporary EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Wireshark's major.minor, as the plugin folder names it. pkg-config first, as
# the harness does: a broken global newmail.so would abort any tshark.
ws_version() {
    local version
    version=$(env -i PATH=/usr/bin:/bin pkg-config --modversion wireshark 2>/dev/null || true)
    if [ -z "$version" ]; then
        version=$(env -i PATH=/usr/bin:/bin HOME=/nonexistent tshark --version 2>/dev/null |
            sed -n '1s/^TShark (Wireshark) \([0-9.]*\).*/\1/p')
    fi
    [[ "$version" =~ ^([0-9]+)\.([0-9]+) ]] || die "cannot tell Wireshark's version (pkg-config, tshark)"
    echo "${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
}

# The empty or not yet existing folder $1, made.
fresh_dir() {
    if [ -e "$1" ] && [ -n "$(ls -A "$1")" ]; then
        die "$1 exists and is not empty; give a new folder"
    fi
    mkdir -p "$1"
}

# --- Building the plugin -------------------------------------------------------

# build_plugin SOURCE_DIR BUILD_DIR: prints the path of the built newmail.so.
build_plugin() {
    local source=$1 build=$2 so
    nice cmake -S "$source" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DNEWMAIL_BUILD_TESTS=OFF -DNEWMAIL_WERROR=OFF >"$build.log" 2>&1 ||
        { cat "$build.log" >&2; die "cmake failed to configure $source"; }
    nice cmake --build "$build" -j2 >>"$build.log" 2>&1 ||
        { cat "$build.log" >&2; die "the build of $source failed"; }
    so=$build/newmail.so
    [ -f "$so" ] || so=$(find "$build" -name newmail.so -type f -not -path '*/own-protocol/*' | head -n 1)
    if [ -z "$so" ] || [ ! -f "$so" ]; then
        die "the build of $source made no newmail.so"
    fi
    echo "$so"
}

# --- Collecting the captures (once) ----------------------------------------------

is_capture() {
    local magic
    magic=$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')
    case "$magic" in
        d4c3b2a1 | a1b2c3d4 | 4d3cb2a1 | a1b23c4d | 0a0d0d0a) return 0 ;;
    esac
    return 1
}

collect() {
    local source capture_dir tmp build file name
    source=$(realpath "$1")
    capture_dir=$2
    fresh_dir "$capture_dir"
    capture_dir=$(realpath "$capture_dir")
    tmp=$(mktemp -d /tmp/decode-snapshot-collect.XXXXXX)
    temporary+=("$tmp")
    build=$tmp/build
    echo "Building $source in $build and running its capture fixtures"
    if ! { nice cmake -S "$source" -B "$build" && nice cmake --build "$build" -j2; } \
        >"$tmp/build.log" 2>&1; then
        cat "$tmp/build.log" >&2
        die "the build of $source failed"
    fi
    ctest --test-dir "$build" -R '^capture' --output-on-failure ||
        die "a capture fixture failed (ctest --test-dir $build -R '^capture')"
    mkdir -p "$capture_dir"/{test,mapihttp,tls,examples}
    cp "$build"/captures/*.pcap "$build/captures/manifest.json" "$capture_dir/test/"
    cp "$build"/captures-mapihttp/*.pcap "$build/captures-mapihttp/manifest.json" \
        "$capture_dir/mapihttp/"
    cp "$build"/captures-tls/* "$capture_dir/tls/"
    for file in "$source"/examples/*; do
        name=$(basename "$file")
        if is_capture "$file" || [[ "$name" == *.keys ]]; then
            cp "$file" "$capture_dir/examples/"
        fi
    done
    write_options "$capture_dir" >"$capture_dir/options.tsv"
    echo "$(grep -vc '^#' "$capture_dir/options.tsv") decodes of" \
        "$(find "$capture_dir" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | wc -l)" \
        "captures in $capture_dir/options.tsv"
}

# The manifest: every capture once without options, then the variants the
# tests decode it with, their values read from the generators' manifests
# exactly as the tests read them.
write_options() {
    /usr/bin/python3 -E -B - "$1" <<'EOF'
import json, os, sys

root = sys.argv[1]
rows = []

def add(ident, path, *options):
    rows.append("\t".join((ident, path) + options))

def captures(folder):
    names = sorted(os.listdir(os.path.join(root, folder)))
    return [n for n in names if n.endswith((".pcap", ".pcapng"))]

scenarios = json.load(open(os.path.join(root, "test", "manifest.json")))["scenarios"]

def decode_as(capture, port):
    # test_registration.how_to_decode(), test_foundation.HOW_TO_DECODE
    path = f"test/{capture}.pcap"
    add(f"test/{capture}+decode-as-{port}", path, "-d", f"udp.port=={port},newmail")
    add(f"test/{capture}+port-pref-{port}", path, "-o", f"newmail.udp.port:{port}")

print("# id\tcapture\ttshark options (one argument per column; paths relative to this folder)")
print("# Written by scripts/decode-snapshot.sh --collect from the test generators' manifests.")
for folder in ("test", "mapihttp", "tls", "examples"):
    for name in captures(folder):
        stem = os.path.splitext(name)[0]
        add(f"{folder}/{stem}", f"{folder}/{name}")
        keys = os.path.join(folder, stem + ".keys")
        if os.path.isfile(os.path.join(root, keys)):
            # test_mapihttp: -o tls.keylog_file:<key log> (live capture, example)
            add(f"{folder}/{stem}+keylog", f"{folder}/{name}", "-o", f"tls.keylog_file:{keys}")
        if folder == "test":
            sealed = scenarios[stem].get("sealed")
            if sealed:
                # test_sealed.password_args()
                add(f"test/{stem}+password", f"test/{name}",
                    "-o", f"ntlmssp.nt_password:{sealed['password']}")

# test_foundation, test_registration.StatsTree: the payloads' one port.
[port] = {n["port"] for n in scenarios["payloads"]["not_newmail"]}
decode_as("payloads", port)
# test_registration.BeforeRegistration, Unregistration (Decode As only there,
# both here: the same code path), PortUnreachable (the refused port).
decode_as("before_registration", scenarios["before_registration"]["registrations"][0]["callback"]["port"])
decode_as("unregister", scenarios["unregister"]["registrations"][0]["callback"]["port"])
decode_as("port_unreachable", scenarios["port_unreachable"]["refusals"][0]["port"])

print("\n".join(rows))
EOF
}

# --- One snapshot with the installed tshark --------------------------------------

snapshot() {
    local plugin capture_dir out ver sandbox home epan global runas line id path
    local pass status count=0 failed=0
    plugin=$(realpath "$1")
    capture_dir=$(realpath "$2")
    out=$3
    [ -f "$plugin" ] || die "no plugin $plugin"
    [ -f "$capture_dir/options.tsv" ] || die "no $capture_dir/options.tsv (make it with --collect)"
    fresh_dir "$out"
    out=$(realpath "$out")
    ver=$(ws_version)

    sandbox=$(mktemp -d /tmp/decode-snapshot.XXXXXX)
    temporary+=("$sandbox")
    chmod 755 "$sandbox"
    home=$sandbox/home
    epan=$home/.local/lib/wireshark/plugins/$ver/epan
    mkdir -p "$epan" "$sandbox/plugin-dir/$ver"
    cp "$plugin" "$epan/newmail.so"
    # Wireshark's own global plugins, without any newmail.so put there.
    global=$(env -i PATH=/usr/bin:/bin pkg-config --variable=plugindir wireshark 2>/dev/null || true)
    if [ -n "$global" ] && [ -d "$global" ]; then
        (cd "$global" && find . -type f -o -type l) | while read -r file; do
            case "$(basename "$file")" in *[Nn][Ee][Ww][Mm][Aa][Ii][Ll]*) continue ;; esac
            mkdir -p "$sandbox/plugin-dir/$ver/$(dirname "$file")"
            ln -s "$global/$file" "$sandbox/plugin-dir/$ver/$file"
        done
    fi
    cp -r "$capture_dir" "$sandbox/captures"
    chmod -R a+rX "$sandbox"
    runas=()
    if [ "$(id -u)" -eq 0 ]; then
        chown -R "$UNPRIVILEGED_ID:$UNPRIVILEGED_ID" "$home"
        runas=(setpriv "--reuid=$UNPRIVILEGED_ID" "--regid=$UNPRIVILEGED_ID" --clear-groups --)
    fi
    ulimit -c 0
    run_tshark() {
        (cd "$sandbox/captures" && "${runas[@]}" env -i PATH=/usr/bin:/bin HOME="$home" \
            LANG=C.UTF-8 TZ=UTC WIRESHARK_ABORT_ON_DISSECTOR_BUG=1 \
            WIRESHARK_PLUGIN_DIR="$sandbox/plugin-dir" nice tshark "$@" </dev/null)
    }

    # The plugin must be the one loaded, and from this HOME only.
    run_tshark -G plugins >"$sandbox/plugins" 2>"$sandbox/plugins.err" || true
    grep -qF "$epan/newmail.so" "$sandbox/plugins" ||
        die "tshark $ver did not load $plugin from $epan: $(cat "$sandbox/plugins.err")"
    [ "$(grep -c 'newmail' "$sandbox/plugins")" -eq 1 ] ||
        die "tshark loads another newmail plugin too: $(grep newmail "$sandbox/plugins")"
    {
        run_tshark --version | sed -n 1p
        grep newmail "$sandbox/plugins" | cut -f1-3
        sed 's/^/stderr: /' "$sandbox/plugins.err"
    } >"$out/_tshark.txt"
    run_tshark -G fields 2>&1 | grep -iE 'newmail|mapihttp|asyncemsmdb' >"$out/_glossary.txt" || true

    while IFS= read -r line; do
        case "$line" in "" | "#"*) continue ;; esac
        IFS=$'\t' read -r -a fields <<<"$line"
        id=${fields[0]}
        path=${fields[1]}
        mkdir -p "$out/$(dirname "$id")"
        for pass in 1 2; do
            local passes=()
            [ "$pass" = 2 ] && passes=(-2)
            set +e
            run_tshark -r "$path" "${passes[@]}" -V "${fields[@]:2}" \
                >"$out/$id.$pass.txt" 2>"$out/$id.$pass.err"
            status=$?
            set -e
            if [ "$status" -ne 0 ]; then
                echo "[decode-snapshot: tshark exit status $status]" >>"$out/$id.$pass.err"
            fi
            if [ -s "$out/$id.$pass.err" ]; then
                failed=$((failed + 1))
                echo "  $id, pass $pass: stderr or exit status $status (see $out/$id.$pass.err)" >&2
            fi
        done
        count=$((count + 1))
    done <"$capture_dir/options.tsv"
    echo "Wireshark $ver: $count decodes, one pass and two, in $out ($failed runs with stderr or failure)"
}

# --- Inside the chroots -------------------------------------------------------------

in_chroot() {
    local dir=$1
    shift
    chroot "$dir" /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

# chroot_snapshot SUITE SOURCE_DIR CAPTURE_DIR OUT_DIR: into OUT_DIR/<major.minor>.
chroot_snapshot() (
    local suite=$1 source=$2 capture_dir=$3 out=$4 dir dest ver mounted=""
    dir=/var/tmp/newmail-$suite
    [ -f "$dir/.newmail-packages-ready" ] ||
        die "the $suite chroot $dir is not ready (make it: sudo scripts/test-chroot.sh $suite)"
    # scripts/test-chroot.sh's lock: one user of a chroot at a time.
    exec 9>"$dir.lock"
    if ! flock -n 9; then
        echo "Waiting for $dir.lock (scripts/test-chroot.sh $suite is running)"
        flock -w 3600 9 || die "$dir.lock still held after an hour"
    fi
    dest=$dir/root/newmail-snapshot
    # shellcheck disable=SC2317  # run by the EXIT trap (of this subshell)
    cleanup() {
        rm -rf --one-file-system "$dest"
        if [ -n "$mounted" ] && mountpoint -q "$mounted"; then
            umount "$mounted" || umount -l "$mounted" || true
        fi
    }
    trap cleanup EXIT
    if ! mountpoint -q "$dir/proc"; then
        mount -t proc proc "$dir/proc"
        mounted=$dir/proc
    fi
    rm -rf --one-file-system "$dest"
    mkdir -p "$dest/src"
    tar -C "$source" --exclude='./build*' --exclude=./.git \
        --exclude=./fuzz/corpus --exclude=./fuzz/findings --exclude='__pycache__' \
        -cf - . | tar -C "$dest/src" -xf -
    cp -r "$capture_dir" "$dest/captures"
    cp "$self" "$dest/decode-snapshot.sh"
    ver=$(in_chroot "$dir" pkg-config --modversion wireshark | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
    [ -n "$ver" ] || die "no Wireshark in the $suite chroot"
    fresh_dir "$out/$ver"
    echo "Debian $suite chroot, Wireshark $ver: building and decoding"
    in_chroot "$dir" bash /root/newmail-snapshot/decode-snapshot.sh --build \
        /root/newmail-snapshot/src /root/newmail-snapshot/captures /root/newmail-snapshot/out
    cp -r "$dest/out/." "$out/$ver/"
)

build_and_snapshot() {
    local source capture_dir out tmp so
    source=$(realpath "$1")
    capture_dir=$(realpath "$2")
    out=$3
    fresh_dir "$out"
    tmp=$(mktemp -d /tmp/decode-snapshot-build.XXXXXX)
    temporary+=("$tmp")
    so=$(build_plugin "$source" "$tmp/build")
    snapshot "$so" "$capture_dir" "$out"
}

all_versions() {
    local source=$1 out=$2 capture_dir=$3 ver target
    [ "$(id -u)" -eq 0 ] || die "--all-versions needs root (chroot, mount)"
    [ -d "$source" ] || die "no source folder $source"
    [ -f "$capture_dir/options.tsv" ] || die "no $capture_dir/options.tsv (make it with --collect)"
    source=$(realpath "$source")
    capture_dir=$(realpath "$capture_dir")
    mkdir -p "$out"
    out=$(realpath "$out")
    for target in ${NEWMAIL_SNAP_TARGETS:-host trixie sid}; do
        case "$target" in
            host)
                ver=$(ws_version)
                echo "This machine, Wireshark $ver: building and decoding"
                build_and_snapshot "$source" "$capture_dir" "$out/$ver"
                ;;
            *) chroot_snapshot "$target" "$source" "$capture_dir" "$out" ;;
        esac
    done
    echo "Done: $(find "$out" -mindepth 1 -maxdepth 1 -type d | sort | paste -sd' ')"
}

case "${1:-}" in
    --collect)
        [ $# -eq 3 ] || usage
        collect "$2" "$3"
        ;;
    --build)
        [ $# -eq 4 ] || usage
        build_and_snapshot "$2" "$3" "$4"
        ;;
    --all-versions)
        [ $# -eq 3 ] || [ $# -eq 4 ] || usage
        all_versions "$2" "$3" "${4:-${NEWMAIL_SNAP_CAPTURES:-/work/snap/captures}}"
        ;;
    -h | --help | -*)
        usage
        ;;
    *)
        [ $# -eq 3 ] || usage
        snapshot "$1" "$2" "$3"
        ;;
esac
