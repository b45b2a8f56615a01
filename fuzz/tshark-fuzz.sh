#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tshark-fuzz.sh: fuzz the whole plugin inside the real tshark, in the way of
# Wireshark's tools/fuzz-test.sh.
#
#   1. Builds newmail.so with -fsanitize=address,undefined in its own build
#      folder (default build-asan/, gcc unless CC says otherwise).
#   2. Writes the generators' captures (newmail_gen/captures.py,
#      newmail_gen/mapihttp.py and newmail_gen/heuristic.py --out), and takes
#      the captures of any folder given with -m.
#   3. Runs fuzz/tshark_fuzz.py: per iteration, every capture plus a fresh
#      --random-stubs capture (new seed each iteration) is corrupted with
#      `editcap -E RATE` at each rate, and the stock /usr/bin/tshark, with the
#      plugin loaded and the sanitizer runtime preloaded (LD_PRELOAD), reads
#      it four ways: one pass and two passes, with -V and with -Y newmail,
#      under WIRESHARK_ABORT_ON_DISSECTOR_BUG=1. tshark runs like the tests run
#      it (test/tshark_harness.py): clean environment, temporary HOME holding
#      the plugin, uid/gid 65534 when root.
#   Any abort, signal, hang, non-zero exit, sanitizer report, "Dissector bug",
#   "DISSECTOR_ASSERT" or GLib critical is a finding: the fuzzed capture, its
#   stderr and a note stay in fuzz/findings/ (gitignored), tshark-*.{pcap,stderr,txt}.
#   The last line is a summary: captures tried, tshark runs, findings.
#   Exit status: 0 no findings, 1 findings, 2 usage or set-up error.
#
# Usage:
#   fuzz/tshark-fuzz.sh [-n ITERATIONS] [-t SECONDS] [-r RATES] [-j JOBS]
#                       [-s SEED] [-B BUILD_DIR] [-o FINDINGS_DIR] [-m FOLDER]...
#                       [--valgrind]
#   fuzz/tshark-fuzz.sh --replay CAPTURE [-- TSHARK_OPTIONS]
#
#   -n N     iterations (default 1; 0 = until -t runs out)
#   -t S     stop starting new runs after S seconds (default: no limit)
#   -r LIST  editcap -E rates, comma separated (default 0.001,0.005,0.02,0.05)
#   -j J     fuzzed captures handled at once (default 1; the machine is shared)
#   -s SEED  base seed (iteration i uses SEED+i for --random-stubs and editcap)
#   -B DIR   build folder of the sanitized plugin (default <source>/build-asan)
#   -o DIR   findings folder (default fuzz/findings)
#   -m DIR   more base captures: every *.pcap in DIR (for example those a test
#            module writes for itself); may be given more than once
#   --valgrind  no sanitizer build: run the normal plugin under valgrind
#            memcheck instead (about 20 times slower; for machines where the
#            preload cannot work)
#   --replay CAPTURE  run tshark once on CAPTURE as the fuzzer does (for a
#            finding), with TSHARK_OPTIONS (default -2 -V)
#
# Environment: CC (gcc or clang; default gcc), PYTHON (default /usr/bin/python3).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
python=${PYTHON:-/usr/bin/python3}
# The generators (newmail_gen/) and the harness (test/), for the Python below.
export PYTHONPATH="$source_dir:$source_dir/test" PYTHONHOME=
iterations=1
seconds=0
rates=0.001,0.005,0.02,0.05
jobs=1
seed=
build=
findings="$here/findings"
runner=asan
replay=
tshark_options=()
more=()

usage() { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        -n) iterations=$2; shift 2 ;;
        -t) seconds=$2; shift 2 ;;
        -r) rates=$2; shift 2 ;;
        -j) jobs=$2; shift 2 ;;
        -s) seed=$2; shift 2 ;;
        -B) build=$2; shift 2 ;;
        -o) findings=$2; shift 2 ;;
        -m) more+=(--more-captures "$(cd "$2" && pwd)"); shift 2 ;;
        --valgrind) runner=valgrind; shift ;;
        --replay) replay=$2; shift 2 ;;
        --) shift; tshark_options=("$@"); break ;;
        -h|--help) usage ;;
        *) echo "tshark-fuzz.sh: unknown option $1" >&2; usage ;;
    esac
done
if [ "$iterations" = 0 ] && [ "$seconds" = 0 ]; then
    echo "tshark-fuzz.sh: -n 0 needs -t SECONDS" >&2
    exit 2
fi
for tool in tshark editcap cmake "$python"; do
    command -v "$tool" >/dev/null || { echo "tshark-fuzz.sh: $tool not found" >&2; exit 2; }
done

ws_version=$(pkg-config --modversion wireshark | cut -d. -f1,2)
cc=${CC:-gcc}

# --- 1. The plugin: sanitized (asan runner) or -O1 -g (valgrind runner) --------
if [ "$runner" = asan ]; then
    build=${build:-$source_dir/build-asan}
    sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    link_sanitize="-fsanitize=address,undefined"
    case $("$cc" --version | head -n 1) in
        *clang*)
            # A clang-built shared object must use the shared runtime
            # (libclang_rt.asan-<arch>.so) to be preloadable into tshark.
            sanitize="$sanitize -shared-libasan"
            link_sanitize="$link_sanitize -shared-libasan" ;;
    esac
    flags="-O1 -g $sanitize"
else
    build=${build:-$source_dir/build-memcheck}
    flags="-O1 -g -fno-omit-frame-pointer"
    link_sanitize=""
fi
mkdir -p "$build"
echo "tshark-fuzz.sh: building the plugin in $build ($cc $flags)"
cmake -S "$source_dir" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=None \
      -DCMAKE_C_FLAGS="$flags" -DCMAKE_MODULE_LINKER_FLAGS="$link_sanitize" \
      -DNEWMAIL_BUILD_TESTS=OFF -DNEWMAIL_WERROR=OFF >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 2; }
cmake --build "$build" --target newmail >"$build/build.log" 2>&1 ||
    { cat "$build/build.log" >&2; exit 2; }
plugin="$build/newmail.so"

preload=
if [ "$runner" = asan ]; then
    # The sanitizer runtimes the plugin links against, asan first: tshark
    # itself is not sanitized, so the runtime must be loaded before anything
    # else, which only LD_PRELOAD can do.
    # ldd names gcc's runtimes (libasan.so.N, libubsan.so.N, in the library
    # path); clang's libclang_rt.asan-<arch>.so lives in clang's resource
    # folder, which only the compiler knows.
    preload=
    for runtime in $(ldd "$plugin" | awk '/libasan|libclang_rt\.asan/ {print $1}') \
                   $(ldd "$plugin" | awk '/libubsan|libclang_rt\.ubsan/ {print $1}'); do
        path=$(ldd "$plugin" | awk -v r="$runtime" '$1 == r && $3 ~ /^\// {print $3}')
        [ -n "$path" ] || path=$("$cc" -print-file-name="$runtime")
        [ -f "$path" ] || { echo "tshark-fuzz.sh: cannot find $runtime for LD_PRELOAD" >&2; exit 2; }
        preload="$preload $path"
    done
    preload=${preload# }
    [ -n "$preload" ] || { echo "tshark-fuzz.sh: $plugin links no sanitizer runtime" >&2; exit 2; }
fi

export NEWMAIL_PLUGIN="$plugin" NEWMAIL_WS_VERSION="$ws_version"

# --- 2. The base captures ----------------------------------------------------------
captures="$build/fuzz-captures"
rm -rf "$captures" "$captures-mapihttp" "$captures-heuristic"
"$python" -s -B -m newmail_gen.captures --out "$captures" >/dev/null
# MAPI over HTTP and the ROP buffers of EcDoRpcExt2 (plain HTTP: no key log needed).
"$python" -s -B -m newmail_gen.mapihttp --out "$captures-mapihttp" >/dev/null
# Notifications without their registration: the UDP heuristic and its evidence.
"$python" -s -B -m newmail_gen.heuristic --out "$captures-heuristic" >/dev/null

if [ -n "$replay" ]; then
    # The sanity check (plugin loaded, sanitizer preloaded) runs first.
    exec "$python" -s -B "$here/tshark_fuzz.py" --runner "$runner" --preload "$preload" \
        --captures "$captures" --replay "$replay" --findings "$findings" -- "${tshark_options[@]}"
fi

# --- 3. Fuzz ---------------------------------------------------------------------
args=(--captures "$captures" --more-captures "$captures-mapihttp"
      --more-captures "$captures-heuristic" "${more[@]}" --iterations "$iterations" --seconds "$seconds" --rates "$rates"
      --jobs "$jobs" --findings "$findings" --runner "$runner" --preload "$preload")
[ -z "$seed" ] || args+=(--seed "$seed")
if [ "$runner" = valgrind ]; then
    args+=(--timeout 900)
fi
exec "$python" -s -B "$here/tshark_fuzz.py" "${args[@]}"
