#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Performance benchmark of the NEWMAIL plugin against stock tshark.

Usage (Debian's /usr/bin/python3, standard library only):
  /usr/bin/python3 bench/bench.py [--frames 1000000] [--registrations 10000]
      [--runs 5] [--sizes 100000,1000000] [--registration-counts 1000,10000,100000]
      [--huge] [--no-callgrind] [--callgrind-scaling] [--markdown FILE]

What it does
  1. Writes the load captures with test/gen_captures.py --large into OUT_DIR
     (default build/bench/), once: a capture is named by its parameters and
     by a hash of the generator, and is reused while both are unchanged.
  2. Runs tshark on each capture in three variants, interleaved a,b,c,a,b,c
     so that load from other processes spreads over all three:
       a  stock tshark: a HOME without newmail.so and a WIRESHARK_PLUGIN_DIR
          that mirrors Wireshark's global plugins except any newmail*.so
       b  the same with the plugin in HOME (~/.local/lib/wireshark/plugins)
       c  b with --disable-protocol newmail (the plugin loaded, doing nothing
          but the early return in its MAPI wrappers: the floor)
     As root, tshark runs as uid/gid 65534 through setpriv, because tshark
     run as root loads no personal plugins: every run goes through
     test/tshark_harness.py's sandbox, the one the tests use.
     Run modes on the main capture:
       one-pass  tshark -r F                     (stdout to /dev/null)
       two-pass  tshark -r F -2 -Y newmail
       fields    tshark -r F -T fields -e newmail.registration_frame
                 -e newmail.sequence -e newmail.context_match
                 (stock tshark has none of those fields and refuses them, so
                 variant a prints stock's only NEWMAIL field instead:
                 -e newmail.notification_payload)
     For every run: wall time, CPU time (user+sys of the child, from
     os.wait4) and peak RSS (the child's ru_maxrss). Tables show medians.
  3. Scaling: the frame counts of --sizes with registrations in proportion
     (same traffic mix, so per-frame cost should stay put), and the
     registration counts of --registration-counts at --frames frames; plus
     an empty capture for tshark's start-up cost.
  4. Memory per registration and per notification: a least-squares fit of
     RSS(b) - RSS(a) = D0 + m_r * registrations + m_n * notifications over
     every capture measured in one-pass mode.
  5. callgrind (instruction counts do not depend on load): one-pass runs of
     a and b on a --callgrind-frames capture and on the empty one; totals,
     the plugin's own share (self cost in newmail.so) and the inclusive cost
     of its entry points. --callgrind-scaling adds variant b on every
     capture of the registration series and variant a on the main capture
     (slow: 10 to 20 minutes per 1,000,000-frame run), which gives
     instructions per notification against the registration count and
     instructions per frame at two capture sizes.
  Everything goes to stdout as Markdown, to --markdown FILE if given, and the
  raw numbers to OUT_DIR/results.json (or --json FILE); --report-from FILE
  prints the report of saved numbers again without running anything.
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# tshark runs in test/tshark_harness.py's sandbox, as in the tests; only its
# public API is used, which needs no CTest environment (use_plugin() names the
# plugin).
sys.path.insert(0, os.path.join(ROOT, "test"))
import tshark_harness as harness  # noqa: E402
GENERATOR = os.path.join(ROOT, "test", "gen_captures.py")
GENERATOR_FILES = (GENERATOR, os.path.join(ROOT, "test", "newmail_pcap.py"))
PYTHON = "/usr/bin/python3"
FRAMES_PER_REGISTRATION = 7  # test/gen_captures.py: handshake, bind, call

VARIANTS = ("a", "b", "c")
VARIANT_NAMES = {
    "a": "stock tshark (no plugin)",
    "b": "with the plugin",
    "c": "plugin, --disable-protocol newmail",
}
PLUGIN_FIELDS = ["-e", "newmail.registration_frame", "-e", "newmail.sequence",
                 "-e", "newmail.context_match"]
STOCK_FIELDS = ["-e", "newmail.notification_payload"]
MODES = ("one-pass", "two-pass", "fields")


def mode_args(mode, variant):
    """tshark arguments after `-r F` for a run mode and variant."""
    if mode == "one-pass":
        args = []
    elif mode == "two-pass":
        args = ["-2", "-Y", "newmail"]
    elif mode == "fields":
        args = ["-T", "fields"] + (STOCK_FIELDS if variant == "a" else PLUGIN_FIELDS)
    else:
        raise ValueError(mode)
    if variant == "c":
        args += ["--disable-protocol", "newmail"]
    return args


# --------------------------------------------------------------------------
# Captures
# --------------------------------------------------------------------------

def generator_hash():
    digest = hashlib.sha256()
    for path in GENERATOR_FILES:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:10]


def write_empty_capture(out_dir):
    path = os.path.join(out_dir, "empty.pcap")
    if not os.path.exists(path):
        import struct
        with open(path + ".tmp", "wb") as handle:
            handle.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        os.replace(path + ".tmp", path)
    return {"path": path, "frames": 0, "registrations": 0, "notifications": 0,
            "unrelated_udp": 0, "unrelated_tcp": 0, "name": "empty"}


def large_capture(out_dir, frames, registrations, seed, gen_hash):
    """Generate (or reuse) the load capture; returns its description."""
    name = f"large-{frames}f-{registrations}r-s{seed}-{gen_hash}"
    path = os.path.join(out_dir, name + ".pcap")
    meta = os.path.join(out_dir, name + ".json")
    if os.path.exists(path) and os.path.exists(meta):
        with open(meta, encoding="utf-8") as handle:
            info = json.load(handle)
        info["path"] = path
        return info
    log(f"generating {path} ...")
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-E", "-B", GENERATOR, "--large", str(frames),
                           "--registrations", str(registrations), "--seed", str(seed),
                           "--out", path + ".tmp"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"gen_captures.py failed:\n{done.stdout}{done.stderr}")
    counts = {key.replace(" ", "_"): int(number) for number, key in re.findall(
        r"(\d+) (registrations|notifications|unrelated udp|unrelated tcp)", done.stdout)}
    os.replace(path + ".tmp", path)
    info = {"name": name, "frames": frames, "seed": seed, "generator": gen_hash,
            "bytes": os.path.getsize(path),
            "generate_seconds": round(time.perf_counter() - started, 1)}
    info.update(counts)
    with open(meta, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=1)
    info["path"] = path
    log(f"  {done.stdout.strip()}")
    return info


def warm(path):
    """Read the file once so every timed run finds it in the page cache."""
    with open(path, "rb") as handle:
        while handle.read(1 << 22):
            pass


# --------------------------------------------------------------------------
# Running and measuring
# --------------------------------------------------------------------------

def log(text):
    print(text, file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg", encoding="ascii") as handle:
        return float(handle.read().split()[0])


class Runner:
    def __init__(self, tshark):
        self.tshark = tshark

    def measure(self, capture, mode, variant):
        path = harness.readable(capture["path"], in_place=True)
        argv, env = harness.command([self.tshark, "-r", path] + mode_args(mode, variant),
                                    plugin=variant != "a")
        load_before = loadavg()
        with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as errors:
            started = time.perf_counter()
            child = subprocess.Popen(argv, env=env, cwd=harness.work_dir(),
                                     stdin=subprocess.DEVNULL, stdout=devnull, stderr=errors)
            _pid, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            errors.seek(0)
            stderr = errors.read().decode("utf-8", "replace")
        if child.returncode != 0 or stderr:
            sys.exit(f"`{' '.join(argv)}` failed (exit {child.returncode}):\n{stderr}")
        return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                "user": usage.ru_utime, "sys": usage.ru_stime,
                "rss_kib": usage.ru_maxrss, "load_before": load_before,
                "load_after": loadavg()}

    def series(self, capture, mode, runs, variants=VARIANTS):
        """runs rounds of a,b,c on one capture and mode -> {variant: [run, ...]}."""
        warm(capture["path"])
        results = {variant: [] for variant in variants}
        for round_number in range(runs):
            for variant in variants:
                result = self.measure(capture, mode, variant)
                results[variant].append(result)
                log(f"  {capture['name']} {mode} {variant} #{round_number + 1}: "
                    f"wall {result['wall']:.2f} s, cpu {result['cpu']:.2f} s, "
                    f"rss {result['rss_kib'] / 1024:.1f} MiB, load {result['load_before']:.2f}")
        return results


def summary(runs):
    """Medians (and spread) of a list of measurements."""
    def med(key):
        return statistics.median(r[key] for r in runs)
    return {"wall": med("wall"), "cpu": med("cpu"), "rss_kib": med("rss_kib"),
            "wall_min": min(r["wall"] for r in runs), "wall_max": max(r["wall"] for r in runs),
            "cpu_min": min(r["cpu"] for r in runs), "cpu_max": max(r["cpu"] for r in runs),
            "rss_min": min(r["rss_kib"] for r in runs), "rss_max": max(r["rss_kib"] for r in runs),
            "load": statistics.median(r["load_before"] for r in runs),
            "load_max": max(max(r["load_before"], r["load_after"]) for r in runs),
            "runs": len(runs)}


# --------------------------------------------------------------------------
# callgrind
# --------------------------------------------------------------------------

def annotate_text(out_file):
    """callgrind_annotate's flat self-cost listing, kept next to the data for people.

    Run from "/" and without source annotation: inside the source tree,
    callgrind_annotate 3.19 shortens the plugin's file names and drops their
    object. Its per-function numbers are not used for the report: it splits
    a function into one entry per source file of its (inlined) code, and
    which part carries the object name varies; parse_callgrind() reads the
    raw file instead.
    """
    return subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=99",
                           os.path.abspath(out_file)],
                          capture_output=True, text=True, check=True, cwd="/").stdout


_COMPRESSED = re.compile(r"^\((\d+)\)(?: (.*))?$")
_NAME_TABLES = {"ob": "ob", "cob": "ob", "fn": "fn", "cfn": "fn", "fl": "fl", "fi": "fl",
                "fe": "fl", "cfi": "fl", "cfl": "fl"}


def parse_callgrind(out_file):
    """Total Ir, self Ir per (object, function) and inclusive Ir per
    (object, function), the latter summed over every call edge into the
    function from another function (the callgrind format's calls= lines)."""
    tables = {"ob": {}, "fn": {}, "fl": {}}
    current = {"ob": "", "fn": ""}
    call_ob = call_fn = None
    pending_call = False
    total = 0
    self_cost, inclusive = {}, {}
    with open(out_file, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line:
                continue
            head = line[0]
            if head.isdigit() or head in "+-*":
                fields = line.split()
                cost = int(fields[1]) if len(fields) > 1 else 0
                if pending_call:
                    callee = (call_ob if call_ob is not None else current["ob"], call_fn)
                    if callee != (current["ob"], current["fn"]):
                        inclusive[callee] = inclusive.get(callee, 0) + cost
                    pending_call = False
                    call_ob = call_fn = None
                else:
                    key = (current["ob"], current["fn"])
                    self_cost[key] = self_cost.get(key, 0) + cost
                continue
            key, sep, value = line.partition("=")
            if not sep:
                if line.startswith(("summary:", "totals:")):
                    total = max(total, int(line.split()[1]))
                continue
            if key in _NAME_TABLES:
                table = tables[_NAME_TABLES[key]]
                match = _COMPRESSED.match(value)
                if match:
                    if match.group(2) is not None:
                        table[match.group(1)] = match.group(2)
                    name = table.get(match.group(1), "?")
                else:
                    name = value
                if key in ("ob", "fn"):
                    current[key] = name
                    if key == "ob":
                        current["fn"] = ""
                elif key == "cob":
                    call_ob = name
                elif key == "cfn":
                    call_fn = name
            elif key == "calls":
                pending_call = True
    return total, self_cost, inclusive


PLUGIN_ENTRY_POINTS = ("dissect_newmail", "dissect_register_request", "dissect_register_response",
                       "dissect_unregister_request", "dissect_unregister_response")
WIRESHARK_FUNCTIONS = ("dissector_try_heuristic", "decode_udp_ports", "call_dissector_only")


def callgrind(tshark, capture, variant, out_dir):
    path = harness.readable(capture["path"], in_place=True)
    inside = os.path.join(harness.work_dir(), f"callgrind.{capture['name']}.{variant}.out")
    argv, env = harness.command(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + inside,
                             tshark, "-r", path] + mode_args("one-pass", variant),
                            plugin=variant != "a")
    log(f"  callgrind {capture['name']} {variant} ...")
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=harness.work_dir(), stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        sys.exit(f"callgrind failed: {done.stderr.decode()[-2000:]}")
    folder = os.path.join(out_dir, "callgrind")
    os.makedirs(folder, exist_ok=True)
    kept = os.path.join(folder, os.path.basename(inside))
    shutil.copyfile(inside, kept)
    os.unlink(inside)
    total, self_cost, incl_cost = parse_callgrind(kept)
    with open(kept + ".annotate.txt", "w", encoding="utf-8") as handle:
        handle.write(annotate_text(kept))
    plugin_self = sorted(((cost, fn) for (obj, fn), cost in self_cost.items()
                          if obj.endswith("newmail.so")), reverse=True)
    inclusive = {}
    for (obj, function), cost in incl_cost.items():
        if obj.endswith("newmail.so") and function in PLUGIN_ENTRY_POINTS:
            inclusive[function] = inclusive.get(function, 0) + cost
        elif "libwireshark" in obj and function in WIRESHARK_FUNCTIONS:
            inclusive[function] = inclusive.get(function, 0) + cost
    result = {"total": total, "plugin_self": sum(cost for cost, _ in plugin_self),
              "plugin_self_functions": plugin_self[:12], "inclusive": inclusive,
              "file": kept, "seconds": round(time.perf_counter() - started, 1)}
    log(f"    Ir {total:,}, newmail.so self {result['plugin_self']:,} "
        f"({result['seconds']} s)")
    return result


# --------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------

def solve(matrix, vector):
    """Gaussian elimination for a small square system; None if singular."""
    size = len(vector)
    rows = [list(matrix[i]) + [vector[i]] for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-9:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(size):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col])]
    return [rows[i][size] / rows[i][i] for i in range(size)]


def memory_fit(points):
    """Least squares of d = D0 + m_r*R + m_n*N; points are (R, N, d bytes)."""
    distinct = {(r, n) for r, n, _ in points}
    if len(distinct) < 3:
        return None
    xs = [(1.0, float(r), float(n)) for r, n, _ in points]
    ys = [float(d) for _, _, d in points]
    ata = [[sum(x[i] * x[j] for x in xs) for j in range(3)] for i in range(3)]
    aty = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(3)]
    coef = solve(ata, aty)
    if coef is None:
        return None
    residuals = [y - (coef[0] + coef[1] * x[1] + coef[2] * x[2]) for x, y in zip(xs, ys)]
    return {"d0": coef[0], "per_registration": coef[1], "per_notification": coef[2],
            "max_residual": max(abs(r) for r in residuals)}


def ratio(x, y):
    return x / y if y else float("nan")


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def mib(kib):
    return kib / 1024.0


def fmt_count(n):
    return f"{n:,}"


def machine_info(tshark):
    info = {"nproc": os.cpu_count(), "python": platform.python_version(),
            "kernel": platform.release()}
    try:
        info["nproc_available"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal"):
                info["memory_kib"] = int(line.split()[1])
    try:
        with open("/etc/debian_version", encoding="ascii") as handle:
            info["debian"] = handle.read().strip()
    except OSError:
        pass
    argv, env = harness.command([tshark, "--version"], plugin=False)
    out = subprocess.run(argv, env=env, cwd=harness.work_dir(), capture_output=True, text=True,
                         check=False).stdout
    info["tshark"] = out.splitlines()[0] if out else "?"
    out = subprocess.run(["valgrind", "--version"], capture_output=True, text=True,
                         check=False).stdout.strip() if shutil.which("valgrind") else ""
    info["valgrind"] = out
    with open(harness.installed_plugin_path(), "rb") as handle:
        info["plugin_sha256"] = hashlib.sha256(handle.read()).hexdigest()[:16]
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--",
                            "packet-newmail.c", "newmail-parse.c", "newmail-stats.c",
                            "plugin.c"], capture_output=True, text=True,
                           check=False).stdout.strip()
    info["git"] = git + (" (plugin sources modified)" if dirty else "")
    return info


def timing_cell(s, key):
    return f"{s[key]:.2f} ({s[key + '_min']:.2f}-{s[key + '_max']:.2f})"


def report(data):
    lines = []
    add = lines.append
    info = data["machine"]
    main = data["main_capture"]
    add("## Machine and run")
    add("")
    add(f"- CPU: {info.get('cpu', '?')}, nproc {info['nproc']}"
        f" (available {info.get('nproc_available', '?')}), memory "
        f"{info.get('memory_kib', 0) / 1048576:.1f} GiB, kernel {info['kernel']}")
    add(f"- Debian {info.get('debian', '?')}; {info['tshark']}; {info.get('valgrind', '')}")
    add(f"- plugin: git {info['git']}, newmail.so sha256 {info['plugin_sha256']}")
    add(f"- runs per variant: {data['runs']} (interleaved a,b,c), medians shown as "
        f"`median (min-max)`; load average (1 min) seen over the runs: "
        f"{data['load_min']:.2f} to {data['load_max']:.2f}, started {data['started']}, "
        f"took {data['elapsed_minutes']:.1f} min")
    add("- a = stock tshark (no plugin), b = with the plugin, c = plugin loaded but "
        "`--disable-protocol newmail`")
    add("")

    add(f"## Main capture: {fmt_count(main['frames'])} frames, "
        f"{fmt_count(main['registrations'])} registrations, "
        f"{fmt_count(main['notifications'])} notifications")
    add("")
    add("| mode | variant | wall s | CPU s (user+sys) | peak RSS MiB | load |")
    add("|---|---|---|---|---|---|")
    for mode in data["modes"]:
        for variant in VARIANTS:
            s = data["main"][mode][variant]
            add(f"| {mode} | {variant} | {timing_cell(s, 'wall')} | {timing_cell(s, 'cpu')} | "
                f"{mib(s['rss_kib']):.1f} | {s['load']:.2f} |")
    add("")
    add("| mode | b/a wall | b/a CPU | b/a RSS | b/c wall | b/c CPU | b/c RSS |")
    add("|---|---|---|---|---|---|---|")
    for mode in data["modes"]:
        m = data["main"][mode]
        a, b, c = m["a"], m["b"], m["c"]
        add(f"| {mode} | {ratio(b['wall'], a['wall']):.3f} | {ratio(b['cpu'], a['cpu']):.3f} | "
            f"{ratio(b['rss_kib'], a['rss_kib']):.3f} | {ratio(b['wall'], c['wall']):.3f} | "
            f"{ratio(b['cpu'], c['cpu']):.3f} | {ratio(b['rss_kib'], c['rss_kib']):.3f} |")
    add("")

    start = data["startup"]
    add("## Start-up (empty capture, one pass)")
    add("")
    add("| variant | wall s | CPU s | peak RSS MiB |")
    add("|---|---|---|---|")
    for variant in VARIANTS:
        s = start[variant]
        add(f"| {variant} | {timing_cell(s, 'wall')} | {timing_cell(s, 'cpu')} | "
            f"{mib(s['rss_kib']):.1f} |")
    add("")

    add("## Scaling with frames (one pass; registrations in proportion, same mix)")
    add("")
    add("Per frame = (median - empty-capture median) / frames.")
    add("")
    add("| frames | registrations | notifications | variant | wall s | CPU s | "
        "CPU us/frame | peak RSS MiB | RSS growth bytes/frame |")
    add("|---|---|---|---|---|---|---|---|---|")
    for row in data["frame_scaling"]:
        cap = row["capture"]
        for variant in VARIANTS:
            s = row["summary"][variant]
            st = start[variant]
            cpu_pf = (s["cpu"] - st["cpu"]) / cap["frames"] * 1e6
            rss_pf = (s["rss_kib"] - st["rss_kib"]) * 1024.0 / cap["frames"]
            add(f"| {fmt_count(cap['frames'])} | {fmt_count(cap['registrations'])} | "
                f"{fmt_count(cap['notifications'])} | {variant} | {s['wall']:.2f} | "
                f"{s['cpu']:.2f} | {cpu_pf:.2f} | {mib(s['rss_kib']):.1f} | {rss_pf:.0f} |")
    growth = data.get("frame_growth")
    if growth:
        add("")
        add(f"From {fmt_count(growth['small'])} to {fmt_count(growth['large'])} frames "
            f"(x{growth['large'] / growth['small']:.0f}):")
        add("")
        add("| variant | CPU growth (minus start-up) | RSS growth (minus start-up) |")
        add("|---|---|---|")
        for variant in VARIANTS:
            g = growth[variant]
            add(f"| {variant} | x{g['cpu']:.2f} | x{g['rss']:.2f} |")
    add("")

    add(f"## Scaling with registrations (one pass, {fmt_count(data['frames'])} frames)")
    add("")
    add("| registrations | notifications | variant | wall s | CPU s | CPU us/frame | "
        "peak RSS MiB | b/a CPU | b/a wall | b-a CPU s |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    for row in data["registration_scaling"]:
        cap = row["capture"]
        summ = row["summary"]
        for variant in VARIANTS:
            s = summ[variant]
            cpu_pf = (s["cpu"] - start[variant]["cpu"]) / cap["frames"] * 1e6
            extra = ""
            if variant == "b":
                extra = (f"{ratio(s['cpu'], summ['a']['cpu']):.3f} | "
                         f"{ratio(s['wall'], summ['a']['wall']):.3f} | "
                         f"{s['cpu'] - summ['a']['cpu']:+.2f}")
            else:
                extra = " | | "
            add(f"| {fmt_count(cap['registrations'])} | {fmt_count(cap['notifications'])} | "
                f"{variant} | {s['wall']:.2f} | {s['cpu']:.2f} | {cpu_pf:.2f} | "
                f"{mib(s['rss_kib']):.1f} | {extra} |")
    add("")

    fit = data.get("memory_fit")
    add("## Memory per registration and per notification")
    add("")
    add("RSS(b) - RSS(a) (medians of peak RSS, one pass) on every capture above, fitted by "
        "least squares to D0 + m_r x registrations + m_n x notifications. The difference "
        "also holds what stock would have spent on the notification frames (they go to "
        "NEWMAIL instead of the UDP heuristics), so m_n is the net cost of a notification.")
    add("")
    add("| capture | registrations | notifications | RSS b - a KiB | RSS b - c KiB |")
    add("|---|---|---|---|---|")
    for point in data["memory_points"]:
        add(f"| {point['name']} | {fmt_count(point['registrations'])} | "
            f"{fmt_count(point['notifications'])} | {point['b_minus_a_kib']:+.0f} | "
            f"{point['b_minus_c_kib']:+.0f} |")
    add("")
    if fit:
        add(f"Fit: D0 = {fit['d0'] / 1024:.0f} KiB, **{fit['per_registration']:.0f} bytes per "
            f"registration**, **{fit['per_notification']:.0f} bytes per notification** "
            f"(largest residual {fit['max_residual'] / 1024:.0f} KiB).")
    else:
        add("Not enough distinct captures for a fit.")
    add("")

    cg = data.get("callgrind")
    if cg:
        add("## callgrind (instructions, one pass)")
        add("")
        add("| capture | variant | Ir total | Ir per frame (minus start-up) | newmail.so self Ir | "
            "share | dissect_newmail incl. Ir | per notification | "
            "opnum 4 wrappers incl. Ir per registration | dissector_try_heuristic incl. Ir |")
        add("|---|---|---|---|---|---|---|---|---|---|")
        for row in cg["rows"]:
            r = row["result"]
            cap = row["capture"]
            base = cg["startup"].get(row["variant"])
            per_frame = ""
            if base and cap["frames"]:
                per_frame = f"{(r['total'] - base['total']) / cap['frames']:,.0f}"
            dn = r["inclusive"].get("dissect_newmail", 0)
            per_n = f"{dn / cap['notifications']:,.0f}" if cap["notifications"] and dn else ""
            wrappers = (r["inclusive"].get("dissect_register_request", 0) +
                        r["inclusive"].get("dissect_register_response", 0))
            per_r = (f"{wrappers / cap['registrations']:,.0f}"
                     if cap["registrations"] and wrappers else "")
            add(f"| {cap['name']} | {row['variant']} | {r['total']:,} | {per_frame} | "
                f"{r['plugin_self']:,} | {100.0 * r['plugin_self'] / r['total']:.3f}% | "
                f"{dn:,} | {per_n} | {per_r} | "
                f"{r['inclusive'].get('dissector_try_heuristic', 0):,} |")
        add("")
        by_capture = {}
        for row in cg["rows"]:
            by_capture.setdefault(row["capture"]["name"], {})[row["variant"]] = row
        for name, rows in by_capture.items():
            if "a" in rows and "b" in rows and "a" in cg["startup"] and "b" in cg["startup"]:
                a, b = rows["a"]["result"]["total"], rows["b"]["result"]["total"]
                per_a = a - cg["startup"]["a"]["total"]
                per_b = b - cg["startup"]["b"]["total"]
                add(f"- {name}: Ir b/a = {b / a:.3f} (b - a = {b - a:+,}); without start-up "
                    f"b/a = {per_b / per_a:.3f}")
        add("")
        first_b = next((row for row in cg["rows"] if row["variant"] == "b"), None)
        if first_b:
            add(f"The plugin's own functions (self Ir, `callgrind_annotate` lines of newmail.so) "
                f"on {first_b['capture']['name']}:")
            add("")
            add("| self Ir | function |")
            add("|---|---|")
            for cost, function in first_b["result"]["plugin_self_functions"]:
                add(f"| {cost:,} | {function} |")
            add("")

    add("## Targets")
    add("")
    add("| target | measured | holds |")
    add("|---|---|---|")
    for target in data["targets"]:
        add(f"| {target['target']} | {target['measured']} | "
            f"{'yes' if target['holds'] else ('no' if target['holds'] is False else 'n/a')} |")
    add("")
    return "\n".join(lines)


def callgrind_per_frame(data):
    """{(frames, registrations, variant): Ir per frame minus start-up} from callgrind."""
    cg = data.get("callgrind") or {}
    out = {}
    for row in cg.get("rows", []):
        cap, variant = row["capture"], row["variant"]
        base = cg.get("startup", {}).get(variant)
        if base and cap["frames"]:
            out[(cap["frames"], cap["registrations"], variant)] = (
                (row["result"]["total"] - base["total"]) / cap["frames"])
    return out


def frame_linearity_callgrind(data):
    """Ir per frame on the smallest and largest same-mix captures, per variant."""
    per_frame = callgrind_per_frame(data)
    found = {}
    for variant in ("a", "b"):
        same_mix = sorted((frames, value) for (frames, regs, v), value in per_frame.items()
                          if v == variant and frames and
                          abs(regs / frames - data["registrations"] / data["frames"]) < 1e-9)
        if len(same_mix) >= 2 and same_mix[0][0] != same_mix[-1][0]:
            found[variant] = {"small": same_mix[0][0], "large": same_mix[-1][0],
                              "small_ir": same_mix[0][1], "large_ir": same_mix[-1][1]}
    return found


def targets(data):
    out = []
    for mode in ("one-pass", "two-pass"):
        if mode in data["main"]:
            m = data["main"][mode]
            wall = ratio(m["b"]["wall"], m["a"]["wall"])
            cpu = ratio(m["b"]["cpu"], m["a"]["cpu"])
            out.append({"target": f"{mode}: b/a wall <= 1.03",
                        "measured": f"{wall:.3f} (CPU {cpu:.3f})", "holds": wall <= 1.03})
    for mode in data["modes"]:
        m = data["main"][mode]
        rss = ratio(m["b"]["rss_kib"], m["a"]["rss_kib"])
        out.append({"target": f"{mode}: peak RSS b <= 1.02 x a "
                              f"({fmt_count(data['main_capture']['frames'])} frames)",
                    "measured": f"{rss:.3f} ({mib(m['b']['rss_kib']) - mib(m['a']['rss_kib']):+.1f}"
                                f" MiB)", "holds": rss <= 1.02})
    growth = data.get("frame_growth")
    linear = frame_linearity_callgrind(data)
    if "b" in linear:
        parts, holds = [], True
        for variant in ("a", "b"):
            if variant in linear:
                g = linear[variant]
                change = g["large_ir"] / g["small_ir"]
                parts.append(f"{variant}: {g['small_ir']:,.0f} Ir/frame at "
                             f"{fmt_count(g['small'])}, {g['large_ir']:,.0f} at "
                             f"{fmt_count(g['large'])} (x{change:.3f})")
                if variant == "b":
                    holds = abs(change - 1) <= 0.05
        out.append({"target": "linear in frames (callgrind Ir per frame, same mix, within 5%)",
                    "measured": "; ".join(parts), "holds": holds})
    if growth:
        factor = growth["large"] / growth["small"]
        b, a = growth["b"], growth["a"]
        out.append({"target": f"linear in frames (CPU time x{factor:.0f} +-15%, minus start-up)",
                    "measured": f"b x{b['cpu']:.2f}, a x{a['cpu']:.2f}",
                    "holds": abs(b["cpu"] / factor - 1) <= 0.15})
        out.append({"target": "linear in frames: b's RSS growth no faster than a's (+5%)",
                    "measured": f"b x{b['rss']:.2f}, a x{a['rss']:.2f} (x{factor:.0f} frames)",
                    "holds": b["rss"] <= a["rss"] * 1.05})
    scaling = (data.get("callgrind") or {}).get("scaling") or []
    if len(scaling) >= 2:
        per_n = [s["dissect_newmail_per_notification"] for s in scaling]
        per_r = [s.get("register_wrappers_per_registration", 0) for s in scaling]
        measured = ("callgrind, dissect_newmail Ir per notification: " +
                    ", ".join(f"{p:,.0f}" for p in per_n) +
                    "; opnum 4 wrappers (with stock MAPI) Ir per registration: " +
                    ", ".join(f"{p:,.0f}" for p in per_r) + " at " +
                    ", ".join(fmt_count(s["registrations"]) for s in scaling) +
                    " registrations")
        # No growth: at every larger count, within 10% of the smallest count's cost.
        holds = (all(value <= per_n[0] * 1.10 for value in per_n) and
                 all(value <= per_r[0] * 1.10 for value in per_r))
        out.append({"target": "no per-packet growth with registrations (callgrind, +10% at most)",
                    "measured": measured,
                    "holds": holds})
    elif len(data["registration_scaling"]) >= 2:
        out.append({"target": "no per-packet growth with registrations",
                    "measured": "timing only (see the registration table; the traffic mix "
                                "changes with the registration count): run --callgrind-scaling",
                    "holds": None})
    return out


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def int_list(text):
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def publish(data, markdown):
    """Judges the targets and prints the report (and writes it to markdown)."""
    data["targets"] = targets(data)
    text = report(data)
    print(text)
    if markdown:
        with open(markdown, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=1000000,
                        help="frames of the main capture and of the registration series")
    parser.add_argument("--registrations", type=int, default=10000,
                        help="registrations in the main capture")
    parser.add_argument("--runs", type=int, default=5, help="runs per variant (median)")
    parser.add_argument("--sizes", type=int_list, default=[100000, 1000000],
                        help="frame counts of the frame series, comma separated; "
                             "registrations scale in proportion")
    parser.add_argument("--registration-counts", type=int_list, default=[1000, 10000, 100000],
                        help="registration counts of the registration series at --frames")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="run modes on the main capture (one-pass,two-pass,fields)")
    parser.add_argument("--huge", action="store_true",
                        help="add a 10,000,000-frame capture to the frame series")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--plugin", default=os.path.join(ROOT, "build", "newmail.so"),
                        help="the built newmail.so (default build/newmail.so)")
    parser.add_argument("--tshark", default="/usr/bin/tshark")
    parser.add_argument("--out-dir", default=os.path.join(ROOT, "build", "bench"),
                        help="captures, callgrind files and results.json (default build/bench)")
    parser.add_argument("--markdown", help="also write the Markdown report to this file")
    parser.add_argument("--json", metavar="FILE",
                        help="where the raw numbers go (default OUT_DIR/results.json)")
    parser.add_argument("--no-callgrind", action="store_true", help="skip valgrind")
    parser.add_argument("--callgrind-frames", type=int, default=100000,
                        help="frames of the callgrind capture (default 100000)")
    parser.add_argument("--callgrind-variants", default="a,b",
                        help="variants run under callgrind (default a,b)")
    parser.add_argument("--callgrind-scaling", action="store_true",
                        help="also run b under callgrind on the registration series and a "
                             "on the main capture (slow)")
    parser.add_argument("--report-from", metavar="RESULTS_JSON",
                        help="run nothing: print (and --markdown) the report of a saved "
                             "results.json again")
    args = parser.parse_args(argv)
    # tshark runs in a sandbox folder of its own: every path it gets is absolute.
    args.out_dir = os.path.abspath(args.out_dir)

    if args.report_from:
        with open(args.report_from, encoding="utf-8") as handle:
            data = json.load(handle)
        publish(data, args.markdown)
        return 0

    modes = [m for m in args.modes.split(",") if m]
    for mode in modes:
        if mode not in MODES:
            parser.error(f"unknown mode {mode}")
    if not os.path.isfile(args.plugin):
        parser.error(f"{args.plugin} does not exist: build the plugin first")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    os.makedirs(args.out_dir, exist_ok=True)
    started = time.time()

    # The sandbox copies the plugin now: a rebuild during the benchmark changes nothing.
    harness.use_plugin(args.plugin)
    harness.installed_plugin_path()
    runner = Runner(args.tshark)
    gen_hash = generator_hash()
    data = {"machine": machine_info(args.tshark), "runs": args.runs, "modes": modes,
            "frames": args.frames, "registrations": args.registrations,
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
            "commands": {}}
    all_runs = []

    def capture_for(frames, registrations):
        return large_capture(args.out_dir, frames, registrations, args.seed, gen_hash)

    def scaled_registrations(frames):
        return max(1, round(args.registrations * frames / args.frames))

    # Generate everything first so that generation never overlaps a timing.
    main_capture = capture_for(args.frames, args.registrations)
    sizes = sorted(set(args.sizes + ([10000000] if args.huge else [])))
    size_captures = [main_capture if s == args.frames else capture_for(s, scaled_registrations(s))
                     for s in sizes]
    reg_captures = [main_capture if r == args.registrations else capture_for(args.frames, r)
                    for r in sorted(set(args.registration_counts))]
    empty = write_empty_capture(args.out_dir)
    data["main_capture"] = {k: v for k, v in main_capture.items()}

    for mode in modes:
        data["commands"][mode] = {v: " ".join([args.tshark, "-r", "F"] + mode_args(mode, v))
                                  for v in VARIANTS}

    log(f"start-up: empty capture, {args.runs} x a,b,c")
    startup_runs = runner.series(empty, "one-pass", args.runs)
    data["startup"] = {v: summary(r) for v, r in startup_runs.items()}
    all_runs += [r for runs in startup_runs.values() for r in runs]

    one_pass_results = {}  # capture name -> {variant: summary}
    data["main"] = {}
    for mode in modes:
        log(f"main capture, {mode}: {args.runs} x a,b,c")
        results = runner.series(main_capture, mode, args.runs)
        all_runs += [r for runs in results.values() for r in runs]
        data["main"][mode] = {v: summary(r) for v, r in results.items()}
        if mode == "one-pass":
            one_pass_results[main_capture["name"]] = data["main"][mode]

    def one_pass(capture):
        if capture["name"] not in one_pass_results:
            log(f"{capture['name']}, one-pass: {args.runs} x a,b,c")
            results = runner.series(capture, "one-pass", args.runs)
            all_runs.extend(r for runs in results.values() for r in runs)
            one_pass_results[capture["name"]] = {v: summary(r) for v, r in results.items()}
        return one_pass_results[capture["name"]]

    data["frame_scaling"] = [{"capture": cap, "summary": one_pass(cap)} for cap in size_captures]
    if len(size_captures) >= 2:
        small, large = size_captures[0], size_captures[-1]
        growth = {"small": small["frames"], "large": large["frames"]}
        for variant in VARIANTS:
            s0 = data["startup"][variant]
            s1 = one_pass_results[small["name"]][variant]
            s2 = one_pass_results[large["name"]][variant]
            growth[variant] = {
                "cpu": ratio(s2["cpu"] - s0["cpu"], s1["cpu"] - s0["cpu"]),
                "wall": ratio(s2["wall"] - s0["wall"], s1["wall"] - s0["wall"]),
                "rss": ratio(s2["rss_kib"] - s0["rss_kib"], s1["rss_kib"] - s0["rss_kib"])}
        data["frame_growth"] = growth
    data["registration_scaling"] = [{"capture": cap, "summary": one_pass(cap)}
                                    for cap in reg_captures]

    points = []
    seen = set()
    for cap in size_captures + reg_captures:
        if cap["name"] in seen:
            continue
        seen.add(cap["name"])
        s = one_pass_results[cap["name"]]
        points.append({"name": cap["name"], "registrations": cap["registrations"],
                       "notifications": cap["notifications"],
                       "b_minus_a_kib": s["b"]["rss_kib"] - s["a"]["rss_kib"],
                       "b_minus_c_kib": s["b"]["rss_kib"] - s["c"]["rss_kib"]})
    data["memory_points"] = points
    data["memory_fit"] = memory_fit([(p["registrations"], p["notifications"],
                                      p["b_minus_a_kib"] * 1024) for p in points])

    if not args.no_callgrind and shutil.which("valgrind"):
        variants = [v for v in args.callgrind_variants.split(",") if v in VARIANTS]
        cg_capture = capture_for(args.callgrind_frames,
                                 scaled_registrations(args.callgrind_frames))
        cg = {"startup": {}, "rows": [], "scaling": []}
        for variant in variants:
            cg["startup"][variant] = callgrind(args.tshark, empty, variant, args.out_dir)
            cg["rows"].append({"capture": cg_capture, "variant": variant,
                               "result": callgrind(args.tshark, cg_capture, variant,
                                                   args.out_dir)})
        if args.callgrind_scaling:
            for cap in reg_captures:
                result = callgrind(args.tshark, cap, "b", args.out_dir)
                cg["rows"].append({"capture": cap, "variant": "b", "result": result})
                dn = result["inclusive"].get("dissect_newmail", 0)
                cg["scaling"].append({
                    "registrations": cap["registrations"],
                    "dissect_newmail_per_notification": ratio(dn, cap["notifications"]),
                    "plugin_self_per_notification": ratio(result["plugin_self"],
                                                          cap["notifications"]),
                    "register_wrappers_per_registration": ratio(
                        result["inclusive"].get("dissect_register_request", 0) +
                        result["inclusive"].get("dissect_register_response", 0),
                        cap["registrations"])})
            # Stock on the main capture too: with the callgrind capture
            # (same mix) it gives Ir per frame at two sizes for a and b.
            if "a" in variants and main_capture["frames"] != cg_capture["frames"]:
                cg["rows"].append({"capture": main_capture, "variant": "a",
                                   "result": callgrind(args.tshark, main_capture, "a",
                                                       args.out_dir)})
        data["callgrind"] = cg

    loads = [r["load_before"] for r in all_runs] + [r["load_after"] for r in all_runs]
    data["load_min"], data["load_max"] = min(loads), max(loads)
    data["elapsed_minutes"] = (time.time() - started) / 60.0
    publish(data, args.markdown)
    with open(args.json or os.path.join(args.out_dir, "results.json"), "w",
              encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
