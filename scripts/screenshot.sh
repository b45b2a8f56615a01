#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Takes docs/screenshot-newmail.png: Wireshark (Qt) with the plugin just
# built, on examples/newmail-ipv4.pcap, display filter "newmail", one
# notification selected and its NEWMAIL tree expanded (with the link to the
# registration frame). Runs on a virtual X server (Xvfb), so no display is
# needed. Also checks that Wireshark writes nothing to stderr that comes from
# the plugin; everything it writes is printed.
#
#   scripts/screenshot.sh [--capture FILE] [--frame N] [--out PNG] [--filter F]
#                         [--keys "KEY ..."] [--option NAME:VALUE ...] [--plugin SO]
#                         [--height PIXELS]
#       defaults: examples/newmail-ipv4.pcap, frame 12, docs/screenshot-newmail.png,
#       filter "newmail", keys "shift+Right" (expand the last top-level item
#       of the packet's tree with all its subtrees; other keys walk the tree
#       from that item, e.g. "Right Down Down Right"), plugin build/newmail.so
#       (built when missing)
#
# Needs the Debian packages wireshark-qt xvfb imagemagick xdotool
# fonts-dejavu-core (plus the build's, to build newmail.so if build/ has none);
# run as root it installs the missing ones, as anybody else it prints the
# apt-get line. Like the tests (test/tshark_harness.py), Wireshark runs with
# a clean environment and a temporary HOME whose personal plugin folder holds
# a copy of build/newmail.so, with WIRESHARK_PLUGIN_DIR pointing at links to
# Wireshark's own plugins but no newmail.so; as root it runs as uid/gid 65534,
# because Wireshark run as root loads no personal plugins. Nothing is written
# outside a temporary folder but the PNG. Exit status 0 when the PNG was
# written and stderr had nothing from the plugin.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

width=1100   # Wireshark's window; the PNG is exactly this
height=680
capture=examples/newmail-ipv4.pcap
frame=12
out=docs/screenshot-newmail.png
filter=newmail
keys="shift+Right"
plugin=build/newmail.so
options=()
while [ $# -gt 0 ]; do
    case "$1" in
    --capture) capture=$2; shift 2 ;;
    --frame) frame=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --option) options+=(-o "$2"); shift 2 ;;
    --plugin) plugin=$2; shift 2 ;;
    --height) height=$2; shift 2 ;;
    -h | --help) sed -n '3,32p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

# shellcheck source=scripts/deps.sh
source scripts/deps.sh
NEWMAIL_PACKAGES+=(wireshark-qt xvfb imagemagick xdotool fonts-dejavu-core)
newmail_ensure_packages

if [ ! -f "$plugin" ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build build --parallel "$(nproc)"
fi
if [ ! -f "$capture" ]; then
    echo "$capture does not exist (examples/make-examples.sh writes the examples)" >&2
    exit 1
fi
ws_version=$(pkg-config --modversion wireshark | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
global_plugins=$(pkg-config --variable=plugindir wireshark)

# --- The sandbox -------------------------------------------------------------------
box=$(mktemp -d /tmp/newmail-screenshot.XXXXXX)
chmod 755 "$box"
xvfb_pid=""
wireshark_pid=""
cleanup() {
    if [ -n "$wireshark_pid" ] && kill -0 "$wireshark_pid" 2>/dev/null; then
        kill "$wireshark_pid" 2>/dev/null || true
        wait "$wireshark_pid" 2>/dev/null || true
    fi
    if [ -n "$xvfb_pid" ] && kill -0 "$xvfb_pid" 2>/dev/null; then
        kill "$xvfb_pid" 2>/dev/null || true
        wait "$xvfb_pid" 2>/dev/null || true
    fi
    rm -rf "$box"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

home="$box/home"
config="$home/.config/wireshark"
epan="$home/.local/lib/wireshark/plugins/$ws_version/epan"
mkdir -p "$config" "$epan" "$box/run" "$box/plugin-dir/$ws_version"
cp "$plugin" "$epan/newmail.so"
cp "$capture" "$box/$(basename "$capture")"
chmod 644 "$box/$(basename "$capture")"
# Wireshark's own plugins, never a newmail.so from the global folder.
if [ -d "$global_plugins" ]; then
    (cd "$global_plugins" && find . -type d) | while read -r dir; do
        mkdir -p "$box/plugin-dir/$ws_version/$dir"
    done
    (cd "$global_plugins" && find . ! -type d ! -iname '*newmail*') | while read -r file; do
        ln -s "$global_plugins/$file" "$box/plugin-dir/$ws_version/$file"
    done
fi
# Window at the top left, this size; no packet bytes pane, so the details
# pane gets the whole width; a packet list just tall enough.
cat >"$config/recent_common" <<EOF
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: $width
gui.geometry_main_height: $height
gui.geometry_main_maximized: FALSE
privs.warn_if_elevated: FALSE
sys.warn_if_no_capture: FALSE
EOF
cat >"$config/recent" <<EOF
gui.byte_view_show: FALSE
gui.packet_diagram_show: FALSE
gui.geometry_main_upper_pane: 150
EOF
chmod -R a+rX "$box"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R 65534:65534 "$home" "$box/run"
    run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
fi
chmod 700 "$box/run"

# --- A virtual X server on a free display ------------------------------------------
Xvfb -displayfd 3 -screen 0 "$((width + 100))x$((height + 100))x24" -nolisten tcp \
    3>"$box/display" >"$box/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do
    [ -s "$box/display" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || { cat "$box/xvfb.log" >&2; exit 1; }
    sleep 0.1
done
display=":$(head -n 1 "$box/display")"
export DISPLAY=$display
echo "Xvfb on display $display"

# --- Wireshark -------------------------------------------------------------------
title=$(basename "$capture")
"${run_as[@]}" env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 TZ=UTC \
    DISPLAY="$display" XDG_RUNTIME_DIR="$box/run" WIRESHARK_PLUGIN_DIR="$box/plugin-dir" \
    WIRESHARK_ABORT_ON_DISSECTOR_BUG=1 \
    wireshark -r "$box/$title" -Y "$filter" -g "$frame" "${options[@]}" \
    >"$box/wireshark.stdout" 2>"$box/wireshark.stderr" </dev/null &
wireshark_pid=$!

window=""
for _ in $(seq 120); do
    window=$(xdotool search --name "$title" 2>/dev/null | head -n 1 || true)
    [ -n "$window" ] && break
    kill -0 "$wireshark_pid" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$window" ]; then
    echo "Wireshark opened no window for $title; its stderr:" >&2
    cat "$box/wireshark.stderr" >&2
    exit 1
fi
sleep 3   # the file is read and frame $frame selected
# There is no window manager: give the window the keyboard directly. Click in
# the details pane (below the last row, so nothing is toggled), collapse
# everything, go to the last top-level item (the NEWMAIL tree of the selected
# packet) and press the keys asked for (by default: expand it with all its
# subtrees).
xdotool windowfocus --sync "$window"
xdotool mousemove --window "$window" $((width / 2)) $((height - 60)) click 1
# shellcheck disable=SC2086  # one word per key
for key in ctrl+Left Home End $keys; do
    xdotool key "$key"
    sleep 0.3
done
sleep 1

mkdir -p "$(dirname "$out")"
import -window "$window" "$box/raw.png"
# Few colours and no metadata keep the PNG small (a UI has few colours anyway).
convert "$box/raw.png" -strip -dither None -colors 64 "PNG8:$out"
echo "wrote $out ($(stat -c %s "$out") bytes, $(identify -format '%wx%h' "$out"))"

# Quit the way a user does, so that Wireshark's exit is seen too.
xdotool key ctrl+q
for _ in $(seq 20); do
    kill -0 "$wireshark_pid" 2>/dev/null || break
    sleep 0.5
done
if kill -0 "$wireshark_pid" 2>/dev/null; then
    kill "$wireshark_pid"
fi
wait "$wireshark_pid" 2>/dev/null || true
wireshark_pid=""

echo "--- Wireshark's stderr ---"
cat "$box/wireshark.stderr"
echo "--- end of stderr ---"
# Lines that would come from the plugin or from dissection: its name, a
# dissector bug, a GLib warning or critical, a registration clash.
if grep -Ei 'newmail|emsmdb|mapi|plugin|dissector|proto_|expert|duplicate|critical|warning|assert' \
    "$box/wireshark.stderr" >"$box/suspicious"; then
    echo "Wireshark's stderr has lines that may come from the plugin:" >&2
    cat "$box/suspicious" >&2
    exit 1
fi
echo "nothing on stderr from the plugin"
