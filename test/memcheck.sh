#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# memcheck.sh: valgrind memcheck of the stock tshark with the plugin loaded,
# over the generated captures, each read twice: one pass with -V and two
# passes (-2 -V).
#
# tshark runs the way the tests run it (test/tshark_harness.py): clean
# environment, temporary HOME holding the plugin, WIRESHARK_PLUGIN_DIR away
# from the global plugin folder, WIRESHARK_ABORT_ON_DISSECTOR_BUG=1, uid/gid
# 65534 when root. Also WIRESHARK_DEBUG_WMEM_OVERRIDE=simple and
# G_SLICE=always-malloc, so that every wmem and GSlice allocation is its own
# malloc() block that valgrind can check.
#
# A run fails when
#   - valgrind reports any error (invalid read or write, use of an
#     uninitialised value, bad free, ...): --error-exitcode=99; or
#   - a "definitely lost" block has a frame in the plugin (newmail.so or a
#     source file of this tree) in its allocation stack. Wireshark's own
#     definite leaks (a few KB at start-up) are counted, not failed; or
#   - tshark exits non-zero for another reason.
# Logs of every run stay in the log folder. Exit status 0 when every run
# passed, 1 otherwise, 2 on a set-up error.
#
# Usage:
#   test/memcheck.sh [--plugin SO] [--captures DIR] [--more-captures DIR ...]
#                    [--only "NAME ..."] [--merged | --merged-only] [-j JOBS]
#                    [--logs DIR]
#
#   --plugin SO      plugin to load (default: build it -O1 -g in build-memcheck/)
#   --captures DIR   newmail_gen/captures.py --out folder (default: generate
#                    into the build folder)
#   --more-captures DIR  another folder of captures (newmail_gen/mapihttp.py
#                    --out); may be given again
#   --only "A B"     only these captures (names without .pcap)
#   --merged         also one capture holding every selected capture back to
#                    back (mergecap -a), so one valgrind run sees them all
#   --merged-only    only that one capture: two valgrind runs in all (most of
#                    a run is valgrind starting tshark, so this reads every
#                    selected capture for about the price of one)
#   -j JOBS          valgrind runs at once (default 1)
#   --logs DIR       where the valgrind logs go (default <build>/memcheck-logs)
#
# Environment: PYTHON (default /usr/bin/python3), NEWMAIL_WS_VERSION,
# NEWMAIL_TSHARK, NEWMAIL_WS_GLOBAL_PLUGIN_DIR (as for the harness).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
python=${PYTHON:-/usr/bin/python3}
# The generators (newmail_gen/) and the harness (test/), for the Python below.
export PYTHONPATH="$source_dir:$here" PYTHONHOME=
plugin=
captures=
more_captures=()
only=
merged=0
jobs=1
logs=

while [ $# -gt 0 ]; do
    case $1 in
        --plugin) plugin=$2; shift 2 ;;
        --captures) captures=$2; shift 2 ;;
        --more-captures) more_captures+=("$2"); shift 2 ;;
        --only) only=$2; shift 2 ;;
        --merged) merged=1; shift ;;
        --merged-only) merged=only; shift ;;
        -j) jobs=$2; shift 2 ;;
        --logs) logs=$2; shift 2 ;;
        -h|--help) sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "memcheck.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for tool in valgrind tshark mergecap "$python"; do
    command -v "$tool" >/dev/null || { echo "memcheck.sh: $tool not found" >&2; exit 2; }
done

build="$source_dir/build-memcheck"
if [ -z "$plugin" ]; then
    mkdir -p "$build"
    echo "memcheck.sh: building the plugin -O1 -g in $build"
    cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=None \
          -DCMAKE_C_FLAGS="-O1 -g -fno-omit-frame-pointer" \
          -DNEWMAIL_BUILD_TESTS=OFF -DNEWMAIL_WERROR=OFF >"$build/configure.log" 2>&1 ||
        { cat "$build/configure.log" >&2; exit 2; }
    cmake --build "$build" --target newmail >"$build/build.log" 2>&1 ||
        { cat "$build/build.log" >&2; exit 2; }
    plugin="$build/newmail.so"
else
    build=$(dirname "$plugin")
fi
if [ -z "$captures" ]; then
    captures="$build/memcheck-captures"
    rm -rf "$captures"
    "$python" -s -B -m newmail_gen.captures --out "$captures" >/dev/null
fi
logs=${logs:-$build/memcheck-logs}
rm -rf "$logs"
mkdir -p "$logs"

export NEWMAIL_PLUGIN="$plugin"
export NEWMAIL_CAPTURES="$captures"
export NEWMAIL_WS_VERSION=${NEWMAIL_WS_VERSION:-$(pkg-config --modversion wireshark | cut -d. -f1,2)}

exec "$python" -s -B - "$here" "$source_dir" "$captures" "$logs" "$jobs" "$merged" "$only" \
    "${more_captures[@]}" <<'PY'
import concurrent.futures
import os
import re
import subprocess
import sys
import time

here, source_dir, captures, logs, jobs, merged, only = sys.argv[1:8]
folders = [captures] + sys.argv[8:]
import tshark_harness as harness

VALGRIND = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite", "--errors-for-leak-kinds=none",
            "--num-callers=40", "--fullpath-after=",
            # The plugin is unloaded before the leak report: keep its symbols.
            "--keep-debuginfo=yes"]
supp = os.path.join(here, "valgrind.supp")
if os.path.isfile(supp):
    VALGRIND.append("--suppressions=" + harness.readable(supp))
ENV = ["env", "WIRESHARK_DEBUG_WMEM_OVERRIDE=simple", "G_SLICE=always-malloc"]
MODES = (("1pass-V", ["-V"]), ("2pass-V", ["-2", "-V"]))
# A frame in the plugin: its object (no debug information), one of its source
# files (with it; stock's built-in epan/dissectors/packet-*.c excluded),
# or (with --fullpath-after=) any file of this tree.
PLUGIN_FRAME = re.compile(r"newmail\.so|"
                          r"(?<!dissectors/)packet-(?:newmail|dcerpc-newmail|asyncemsmdb|mapihttp)\.c|"
                          r"newmail-[a-z-]+\.c|"
                          + re.escape(source_dir.rstrip("/") + "/"))
LOSS_RECORD = re.compile(r"^==\d+== (\S.*) are definitely lost in loss record")
ERROR_SUMMARY = re.compile(r"ERROR SUMMARY: (\d+) errors")
DEFINITELY = re.compile(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks")

paths = {}
for folder in folders:
    for f in os.listdir(folder):
        if f.endswith(".pcap"):
            paths.setdefault(f[:-5], os.path.join(folder, f))
names = sorted(paths)
if only.strip():
    wanted = only.split()
    missing = [n for n in wanted if n not in names]
    if missing:
        sys.exit(f"memcheck.sh: no such captures in {folders}: {missing}")
    names = wanted
files = [(n, paths[n]) for n in names]
if merged in ("1", "only"):
    all_in_one = os.path.join(logs, "all-captures.pcap")
    subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", all_in_one] + [p for _, p in files],
                   check=True)
    files = ([] if merged == "only" else files) + [("all-captures", all_in_one)]


def plugin_leaks(log):
    """Definitely-lost records whose allocation stack has a plugin frame."""
    found, record, frames = [], None, []
    for line in log.splitlines() + ["==0== "]:
        match = LOSS_RECORD.match(line)
        if match:
            record, frames = match.group(1), []
        elif record is not None:
            if re.match(r"^==\d+== +(at|by) ", line):
                frames.append(line)
            else:
                if any(PLUGIN_FRAME.search(f) for f in frames):
                    found.append(record + "\n" + "\n".join(frames))
                record = None
    return found


def error_records(log):
    """The first lines of each valgrind error (invalid read, ...) in the log."""
    found, lines = [], log.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^==\d+== (Invalid |Conditional jump|Use of uninitialised|Syscall param|"
                    r"Mismatched free|Source and destination overlap)", line):
            found.append("\n".join(lines[i:i + 8]))
    return found


def without_pids(record):
    return re.sub(r"^==\d+==", "==", re.sub(r"0x[0-9A-Fa-f]+", "0x", record), flags=re.M)


def one(item):
    (name, path), (mode, options) = item
    argv = ENV + VALGRIND + [harness.tshark_path(), "-n", "-r", path] + options
    started = time.monotonic()
    out, err, rc = harness.run_program(argv, check=False)
    seconds = time.monotonic() - started
    log_path = os.path.join(logs, f"{name}-{mode}.log")
    with open(log_path, "w", encoding="utf-8") as handle:
        handle.write(err)
    errors = ERROR_SUMMARY.search(err)
    errors = int(errors.group(1)) if errors else None
    lost = DEFINITELY.search(err)
    lost_bytes = int(lost.group(1).replace(",", "")) if lost else 0
    lost_blocks = int(lost.group(2).replace(",", "")) if lost else 0
    leaks = plugin_leaks(err)
    problems = []
    if errors is None:
        problems.append("no valgrind ERROR SUMMARY (valgrind did not finish?)")
    elif errors:
        problems.append(f"{errors} valgrind errors")
    if leaks:
        problems.append(f"{len(leaks)} definitely-lost records allocated in the plugin")
    if rc not in (0, 99) or (rc == 99 and not errors):
        problems.append(f"exit status {rc}")
    if "Dissector bug" in err or "DISSECTOR_ASSERT" in err:
        problems.append("dissector bug")
    return dict(name=name, mode=mode, seconds=seconds, errors=errors or 0, lost_bytes=lost_bytes,
                lost_blocks=lost_blocks, plugin_leaks=len(leaks), problems=problems,
                leak_records=leaks, error_records=error_records(err),
                log=log_path, packets=out.count("\nFrame ") + out.startswith("Frame "))


# Copies tshark (maybe uid 65534) can read, made before the threads start.
files = [(name, harness.readable(path)) for name, path in files]
work = [(f, m) for f in files for m in MODES]
print(f"memcheck.sh: {len(work)} valgrind runs over {len(files)} captures, "
      f"{jobs} at once; logs in {logs}", flush=True)
results = []
with concurrent.futures.ThreadPoolExecutor(max_workers=int(jobs)) as pool:
    for result in pool.map(one, work):
        results.append(result)
        verdict = "FAIL: " + "; ".join(result["problems"]) if result["problems"] else "ok"
        print(f"  {result['name']:<22} {result['mode']}: {result['packets']:4d} frames, "
              f"errors {result['errors']}, definitely lost {result['lost_bytes']} bytes in "
              f"{result['lost_blocks']} blocks ({result['plugin_leaks']} records in the plugin), "
              f"{result['seconds']:.0f} s  {verdict}", flush=True)
failed = [r for r in results if r["problems"]]
print(f"memcheck summary: {len(results)} runs over {len(files)} captures, "
      f"{sum(r['packets'] for r in results)} frames dissected, "
      f"valgrind errors {sum(r['errors'] for r in results)}, "
      f"plugin definitely-lost records {sum(r['plugin_leaks'] for r in results)}, "
      f"Wireshark definitely lost at most {max(r['lost_bytes'] for r in results)} bytes a run, "
      f"{len(failed)} failed runs, {sum(r['seconds'] for r in results):.0f} s of valgrind")
for r in failed:
    print(f"  FAILED {r['name']} {r['mode']}: {'; '.join(r['problems'])} (log {r['log']})")
shown = set()
for r in failed:
    for record in r["error_records"] + r["leak_records"]:
        key = without_pids(record.split("\n", 1)[-1])
        if key not in shown:
            shown.add(key)
            print(f"\nfirst seen in {r['name']} {r['mode']}:\n{record}")
sys.exit(1 if failed else 0)
PY
