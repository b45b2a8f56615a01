#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Performance benchmark of the NEWMAIL plugin against stock tshark.

Usage (Debian's /usr/bin/python3, standard library only; from the source
tree, with the generators and the harness on the path; or through the bench
target, bench/CMakeLists.txt):
  PYTHONPATH=.:test /usr/bin/python3 bench/bench.py --plugin BUILD/newmail.so [--runs 5]
      [--secondary-runs 3] [--frames 1000000] [--registrations 10000]
      [--sizes 100000,1000000] [--registration-counts 1000,10000,50000]
      [--async-shares 0,30,100] [--http-frames 500000] [--mapi-frames 300000]
      [--legacy-commit COMMIT] [--huge] [--no-callgrind] [--callgrind-scaling]
      [--markdown FILE]

What it does
  1. Writes the load captures once into OUT_DIR (default build/bench/); a
     capture is named by its parameters and by a hash of its generator and
     is reused while both are unchanged:
       rpc     newmail_gen/captures.py --large: Outlook clients in EMSMDB
               sessions over DCE/RPC, each registered for UDP notifications,
               30 % also waiting on AsyncEMSMDB; signals fetched with
               EcDoRpcExt2; unrelated UDP and TCP ("The load file" there
               documents the frame mix). The main capture and the series:
               frame counts (--sizes, sessions in proportion), session counts
               (--registration-counts) and async shares (--async-shares).
       legacy  the same command of an older generator (--legacy-commit, the
               last one before sessions: registrations and UDP notifications
               only), the traffic the earlier figures (0.80) were measured on
       http    bench/http_load.py --kind http: ordinary HTTP/1.1, no MAPI
       mapi    bench/http_load.py --kind mapi: MAPI over HTTP sessions; the
               main mix and three variants (more sync Executes, short
               NotificationWaits, more sessions) for the cost per message type
  2. Runs tshark on each capture in three variants, interleaved a,b,c,a,b,c
     so that load from other processes spreads over all three:
       a  stock tshark: a HOME without newmail.so and a WIRESHARK_PLUGIN_DIR
          that mirrors Wireshark's global plugins except any newmail*.so
       b  the same with the plugin in HOME (~/.local/lib/wireshark/plugins)
       c  b with --disable-protocol newmail (the plugin loaded, its NEWMAIL
          protocol off: what is left is the cost of carrying it, and of the
          parts it registers as protocols of their own)
     Every run goes through test/tshark_harness.py's sandbox, the one the
     tests use (as root, tshark runs as uid/gid 65534 through setpriv,
     because tshark run as root loads no personal plugins).
     Run modes on the main capture:
       one-pass  tshark -r F                     (stdout to /dev/null)
       two-pass  tshark -r F -2 -Y newmail
       fields    tshark -r F -T fields -e newmail.registration_frame
                 -e newmail.sequence -e newmail.context_match
                 -e newmail.signal -e newmail.session_frame
                 (stock tshark has none of those fields and refuses them, so
                 variant a prints stock's only NEWMAIL field instead:
                 -e newmail.notification_payload)
     Every other capture runs one-pass only: --runs rounds on the main and
     the HTTP capture, --secondary-runs on the others. For every run: wall
     time, CPU time (user+sys of the child, from os.wait4) and peak RSS (the
     child's ru_maxrss). Tables show medians.
  3. Least-squares fits of what b adds over a:
       rpc   RSS(b) - RSS(a) = D0 + m_s sessions + m_w async waits
             + m_g signals (UDP notifications and waits completed with
             NotificationPending, each with the fetch that answers it) over
             every rpc capture
       mapi  RSS, CPU time and (callgrind) instructions of b - a = per
             Execute x Executes + per NotificationWait x NotificationWaits
             + per session x (Connects + PINGs) over the MAPI captures
  4. callgrind (instruction counts do not depend on load): one-pass runs of
     a and b on the empty capture, on an rpc and an http capture of
     --callgrind-frames frames and on the four MAPI mixes at
     --callgrind-mapi-frames; totals, the plugin's own share (self cost in
     newmail.so) and the inclusive cost of its entry points.
     --callgrind-scaling adds b on rpc captures of --callgrind-frames with a
     tenth and five times the sessions (instructions per notification and
     per call against the session count).
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

# tshark runs in test/tshark_harness.py's sandbox, as in the tests; only its
# public API is used, which needs no CTest environment (use_plugin() names the
# plugin). PYTHONPATH holds the source tree (newmail_gen) and test/ (the
# harness): the bench target sets it (bench/CMakeLists.txt).
import tshark_harness as harness

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GEN = os.path.join(ROOT, "newmail_gen")
PYTHON = "/usr/bin/python3"
HTTP_GENERATOR = os.path.join(HERE, "http_load.py")
GENERATOR_FILES = {
    "rpc": (os.path.join(GEN, "captures.py"), os.path.join(GEN, "pcap.py"),
            os.path.join(GEN, "rop.py")),
    "http": (HTTP_GENERATOR, os.path.join(GEN, "pcap.py")),
    "mapi": (HTTP_GENERATOR, os.path.join(GEN, "pcap.py"), os.path.join(GEN, "mapihttp.py"),
             os.path.join(GEN, "rop.py")),
}
# The last commit whose load generator wrote registrations and notifications
# only (the traffic of the earlier BENCHMARKS.md figures).
LEGACY_COMMIT = "37bb146"

VARIANTS = ("a", "b", "c")
VARIANT_NAMES = {
    "a": "stock tshark (no plugin)",
    "b": "with the plugin",
    "c": "plugin, --disable-protocol newmail",
}
PLUGIN_FIELDS = ["-e", "newmail.registration_frame", "-e", "newmail.sequence",
                 "-e", "newmail.context_match", "-e", "newmail.signal",
                 "-e", "newmail.session_frame"]
STOCK_FIELDS = ["-e", "newmail.notification_payload"]
MODES = ("one-pass", "two-pass", "fields")

# MAPI/HTTP mixes (bench/http_load.py options), sessions per 100,000 frames
# so that every size has the same mix.
MAPI_SESSIONS_PER_100K = 667
MAPI_MIXES = {
    "mix": {"label": "the main mix: an event per client a minute, a sync Execute "
                     "every 30 s, waits held up to 5 min", "options": {}},
    "sync": {"label": "4x the sync Executes (one every 7.5 s)",
             "options": {"sync-interval": 7.5}},
    "waits": {"label": "NotificationWaits held 15 s at most (many end without an event)",
              "options": {"wait-timeout": 15}},
    "events": {"label": "3x the events (one per client every 20 s)",
               "options": {"event-interval": 20}},
    "sessions": {"label": "4x the sessions, each 4x as quiet (more Connects and PINGs)",
                 "sessions_factor": 4,
                 "options": {"event-interval": 240, "sync-interval": 120}},
}


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

def log(text):
    print(text, file=sys.stderr, flush=True)


def generator_hash(kind):
    digest = hashlib.sha256()
    for path in GENERATOR_FILES[kind]:
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
    return {"path": path, "frames": 0, "kind": "empty", "name": "empty", "counts": {}}


def parse_counts(stdout):
    """The generators print "FILE: N frames (n name, n name ...) in T s"."""
    match = re.search(r": (\d+) frames \((.*)\) in ", stdout)
    if not match:
        sys.exit(f"cannot read the generator's counts from: {stdout!r}")
    counts = {name.replace(" ", "_"): int(number)
              for number, name in re.findall(r"(\d+) ([a-z][a-z ]*)", match.group(2))}
    return int(match.group(1)), counts


def legacy_generator(out_dir, commit):
    """test/gen_captures.py of ``commit``, written next to the captures, with
    today's newmail_gen/pcap.py beside it as the newmail_pcap it imports
    (whose framing it used)."""
    folder = os.path.join(out_dir, "legacy-generator-" + commit)
    path = os.path.join(folder, "gen_captures.py")
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(os.path.join(GEN, "pcap.py"), os.path.join(folder, "newmail_pcap.py"))
    if not os.path.exists(path):
        text = subprocess.run(["git", "-C", ROOT, "show", commit + ":test/gen_captures.py"],
                              capture_output=True, text=True, check=True).stdout
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(path + ".tmp", path)
    return path


def make_capture(out_dir, kind, frames, seed, **params):
    """Generate (or reuse) a load capture; return its description:
    name, path, kind, params, frames (as written) and counts."""
    if kind == "legacy":
        tag = params["commit"]
        generator = legacy_generator(out_dir, tag)
    else:
        tag = generator_hash(kind)
    suffix = "-".join(f"{key}{value}" for key, value in sorted(params.items())
                      if key != "commit")
    name = f"{kind}-{frames}f-{suffix + '-' if suffix else ''}s{seed}-{tag}"
    path = os.path.join(out_dir, name + ".pcap")
    meta = os.path.join(out_dir, name + ".json")
    if os.path.exists(path) and os.path.exists(meta):
        with open(meta, encoding="utf-8") as handle:
            info = json.load(handle)
        info["path"] = path
        return info
    if kind in ("rpc", "legacy"):
        # The legacy generator imports the newmail_pcap beside it.
        argv = ([PYTHON, "-s", "-B", "-m", "newmail_gen.captures"] if kind == "rpc"
                else [PYTHON, "-E", "-B", generator])
        argv += ["--large", str(frames), "--registrations", str(params["sessions"]),
                 "--seed", str(seed), "--out", path + ".tmp"]
        if kind == "rpc":
            argv += ["--async-share", str(params["async"])]
    else:
        argv = [PYTHON, "-s", "-B", HTTP_GENERATOR, "--kind", kind, str(frames),
                "--seed", str(seed), "--out", path + ".tmp"]
        for key, value in sorted(params.items()):
            argv += [f"--{key}", str(value)]
    log(f"generating {path} ...")
    started = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONHOME="")
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env,
                          cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    written, counts = parse_counts(done.stdout)
    if kind == "legacy":     # its names: registrations, notifications, unrelated ...
        counts.setdefault("async_waits", 0)
    if kind in ("rpc", "legacy"):
        counts["sessions"] = counts["registrations"]
        counts["signals"] = counts["notifications"] + counts.get("async_pending", 0)
    os.replace(path + ".tmp", path)
    info = {"name": name, "kind": kind, "frames": written, "seed": seed, "generator": tag,
            "params": params, "counts": counts, "bytes": os.path.getsize(path),
            "command": " ".join("FILE" if a.endswith(".tmp") else
                                os.path.relpath(a, ROOT) if a.startswith(ROOT) else a
                                for a in argv[argv.index("-B") + 1:]),
            "generate_seconds": round(time.perf_counter() - started, 1)}
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

def loadavg():
    with open("/proc/loadavg", encoding="ascii") as handle:
        return float(handle.read().split()[0])


class Runner:
    def __init__(self, tshark):
        self.tshark = tshark
        self.all_runs = []

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
        """runs rounds of a,b,c on one capture and mode -> {variant: summary}."""
        warm(capture["path"])
        results = {variant: [] for variant in variants}
        for round_number in range(runs):
            for variant in variants:
                result = self.measure(capture, mode, variant)
                results[variant].append(result)
                self.all_runs.append(result)
                log(f"  {capture['name']} {mode} {variant} #{round_number + 1}: "
                    f"wall {result['wall']:.2f} s, cpu {result['cpu']:.2f} s, "
                    f"rss {result['rss_kib'] / 1024:.1f} MiB, load {result['load_before']:.2f}")
        return {variant: summary(r) for variant, r in results.items()}


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


# The plugin's entry points (what Wireshark calls): the UDP notification
# dissector, the EMSMDB wrappers around stock's opnum functions (stock's own
# decode of those opnums included), AsyncEMSMDB's opnum 0 and the
# application/mapi-http media type dissector.
PLUGIN_ENTRY_POINTS = ("dissect_newmail", "dissect_emsmdb_request", "dissect_emsmdb_response",
                       "dissect_async_wait_request", "dissect_async_wait_response",
                       "dissect_mapihttp", "newmail_dissect_rop_buffer")
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
              "plugin_self_functions": plugin_self[:15], "inclusive": inclusive,
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


def least_squares(rows, values, intercept=True):
    """Fit values = (c0 +) sum(c_i x_i) over the rows (lists of x_i).

    Columns are scaled to a unit maximum before solving, so counts in the
    hundreds of thousands next to an intercept stay well conditioned.
    Returns {"coefficients": [...], "intercept": c0 or None, "residuals":
    [...]} or None when the points do not determine the fit."""
    xs = [([1.0] if intercept else []) + [float(x) for x in row] for row in rows]
    width = len(xs[0]) if xs else 0
    if len(xs) < width or width == 0:
        return None
    scale = [max(abs(x[j]) for x in xs) or 1.0 for j in range(width)]
    xs_scaled = [[x[j] / scale[j] for j in range(width)] for x in xs]
    ata = [[sum(x[i] * x[j] for x in xs_scaled) for j in range(width)] for i in range(width)]
    aty = [sum(x[i] * y for x, y in zip(xs_scaled, values)) for i in range(width)]
    coef = solve(ata, aty)
    if coef is None:
        return None
    coef = [c / s for c, s in zip(coef, scale)]
    residuals = [y - sum(c * v for c, v in zip(coef, x)) for x, y in zip(xs, values)]
    return {"intercept": coef[0] if intercept else None,
            "coefficients": coef[1:] if intercept else coef,
            "residuals": residuals, "points": len(xs)}


def ratio(x, y):
    return x / y if y else float("nan")


RPC_FIT_COLUMNS = (("sessions", "session"), ("async_waits", "async wait"),
                   ("signals", "signal"))
MAPI_FIT_COLUMNS = (("fetch_executes", "fetching Execute"),
                    ("other_executes", "other Execute"),
                    ("notification_waits", "NotificationWait"),
                    ("session_messages", "Connect or PING"))


def mapi_counts(capture):
    """The fit's counts: Executes that fetch (RopNotify in the response),
    the other Executes (folder syncs, the RopRegisterNotification after
    Connect), NotificationWaits, and Connects with PINGs."""
    counts = dict(capture["counts"])
    counts["other_executes"] = counts["executes"] - counts["fetch_executes"]
    counts["session_messages"] = counts.get("connects", 0) + counts.get("pings", 0)
    return counts


def mapi_per_execute(fit, capture):
    """A fit's cost of the average Execute of ``capture``'s mix."""
    counts = mapi_counts(capture)
    fetch, other = fit["coefficients"][0], fit["coefficients"][1]
    return ratio(fetch * counts["fetch_executes"] + other * counts["other_executes"],
                 counts["executes"])


def rpc_memory_fit(points):
    """RSS(b) - RSS(a), bytes, over the rpc captures."""
    rows = [[p["counts"][key] for key, _ in RPC_FIT_COLUMNS] for p in points]
    return least_squares(rows, [p["b_minus_a_kib"] * 1024.0 for p in points])


def mapi_fits(data):
    """Per Execute, NotificationWait and Connect/PING: RSS bytes, CPU
    microseconds (timing of the MAPI captures) and instructions (callgrind),
    each b - a."""
    fits = {}
    timed = data.get("mapi", [])
    rows = [[mapi_counts(row["capture"])[key] for key, _ in MAPI_FIT_COLUMNS] for row in timed]
    if timed:
        # What b adds over a on the empty capture is taken off: the fit has
        # no intercept, so that three message types can be told apart on
        # four captures with a residual left to judge it by.
        start = data["startup"]
        rss0 = start["b"]["rss_kib"] - start["a"]["rss_kib"]
        cpu0 = start["b"]["cpu"] - start["a"]["cpu"]
        fits["rss_bytes"] = least_squares(rows, [
            (row["summary"]["b"]["rss_kib"] - row["summary"]["a"]["rss_kib"] - rss0) * 1024.0
            for row in timed], intercept=False)
        fits["cpu_us"] = least_squares(rows, [
            (row["summary"]["b"]["cpu"] - row["summary"]["a"]["cpu"] - cpu0) * 1e6
            for row in timed], intercept=False)
    cg = data.get("callgrind") or {}
    pairs = [row for row in cg.get("mapi", []) if "a" in row and "b" in row]
    if pairs and "a" in cg.get("startup", {}) and "b" in cg.get("startup", {}):
        rows = [[mapi_counts(row["capture"])[key] for key, _ in MAPI_FIT_COLUMNS]
                for row in pairs]
        start = cg["startup"]["b"]["total"] - cg["startup"]["a"]["total"]
        fits["ir"] = least_squares(rows, [row["b"]["total"] - row["a"]["total"] - start
                                          for row in pairs], intercept=False)
        fits["ir_plugin"] = least_squares(rows, [
            row["b"]["inclusive"].get("dissect_mapihttp", 0) for row in pairs], intercept=False)
    return fits


def mapi_split(data):
    """Per mix: the plugin's MAPI/HTTP instructions split into ROP buffers
    and the rest, per Execute and per NotificationWait, and b's speed."""
    cg = data.get("callgrind") or {}
    timed = {row["capture"]["params"]["mix"]: row for row in data.get("mapi", [])}
    start = cg.get("startup", {})
    out = []
    for row in cg.get("mapi", []):
        if "a" not in row or "b" not in row or "b" not in start:
            continue
        cap = row["capture"]
        c = cap["counts"]
        inc = row["b"]["inclusive"]
        messages = 2 * (c["connects"] + c["executes"] + c["notification_waits"]) + c["pings"]
        plugin = inc.get("dissect_mapihttp", 0)
        rop = inc.get("newmail_dissect_rop_buffer", 0)
        rest = ratio(plugin - rop, messages)
        mix = cap["params"]["mix"]
        ns_per_ir = float("nan")
        if mix in timed:
            per_frame = (row["b"]["total"] - start["b"]["total"]) / cap["frames"]
            estimated = start["b"]["total"] + per_frame * timed[mix]["capture"]["frames"]
            ns_per_ir = timed[mix]["summary"]["b"]["cpu"] * 1e9 / estimated
        exchanges = c["connects"] + c["executes"] + c["notification_waits"] + c["pings"]
        out.append({"mix": mix, "messages": messages, "plugin": plugin, "rop": rop,
                    "rest": rest, "execute": 2 * rest + ratio(rop, c["executes"]),
                    "wait": 2 * rest, "ns_per_ir": ns_per_ir,
                    "b_minus_a_per_exchange": ratio(row["b"]["total"] - row["a"]["total"]
                                                    - (start["b"]["total"]
                                                       - start["a"]["total"]), exchanges)})
    return out


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
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "*.c", "*.h",
                            "CMakeLists.txt"], capture_output=True, text=True,
                           check=False).stdout.strip()
    info["git"] = git + (" (plugin sources modified: " + ", ".join(
        line[3:] for line in dirty.splitlines()) + ")" if dirty else "")
    return info


def timing_cell(s, key):
    return f"{s[key]:.2f} ({s[key + '_min']:.2f}-{s[key + '_max']:.2f})"


def count_cell(capture, *keys):
    return ", ".join(f"{fmt_count(capture['counts'].get(k, 0))} {k.replace('_', ' ')}"
                     for k in keys)


def ratios_line(s):
    a, b, c = s["a"], s["b"], s["c"]
    return (f"{ratio(b['wall'], a['wall']):.3f} | {ratio(b['cpu'], a['cpu']):.3f} | "
            f"{ratio(b['rss_kib'], a['rss_kib']):.3f} | {ratio(b['wall'], c['wall']):.3f} | "
            f"{ratio(b['cpu'], c['cpu']):.3f} | {ratio(b['rss_kib'], c['rss_kib']):.3f}")


def one_pass_table(add, rows, describe):
    """Rows of {capture, summary}: one line per variant, then b/a, b/c."""
    add("| capture | variant | wall s | CPU s | peak RSS MiB | load |")
    add("|---|---|---|---|---|---|")
    for row in rows:
        for variant in VARIANTS:
            s = row["summary"][variant]
            add(f"| {describe(row['capture'])} | {variant} | {timing_cell(s, 'wall')} | "
                f"{timing_cell(s, 'cpu')} | {mib(s['rss_kib']):.1f} | {s['load']:.2f} |")
    add("")
    add("| capture | b/a wall | b/a CPU | b/a RSS | b/c wall | b/c CPU | b/c RSS | "
        "RSS b - a MiB | CPU b - a s |")
    add("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        s = row["summary"]
        add(f"| {describe(row['capture'])} | {ratios_line(s)} | "
            f"{mib(s['b']['rss_kib'] - s['a']['rss_kib']):+.1f} | "
            f"{s['b']['cpu'] - s['a']['cpu']:+.2f} |")
    add("")


def describe_rpc(cap):
    counts = cap["counts"]
    if cap["kind"] == "legacy":
        return (f"legacy {fmt_count(cap['frames'])} frames, {fmt_count(counts['sessions'])} "
                f"registrations")
    return (f"{fmt_count(cap['frames'])} frames, {fmt_count(counts['sessions'])} sessions, "
            f"{cap['params']['async']}% async")


def describe_mapi(cap):
    return f"{cap['params'].get('mix', 'mix')} {fmt_count(cap['frames'])} frames"


def fit_line(fit, columns, unit, digits=0):
    if not fit:
        return "not enough distinct captures for a fit"
    parts = [f"**{value:,.{digits}f} {unit} per {label}**"
             for value, (_, label) in zip(fit["coefficients"], columns)]
    text = ", ".join(parts)
    if fit.get("intercept") is not None:
        text = f"D0 = {fit['intercept'] / 1024:+,.0f} KiB, " + text
    worst = max(abs(r) for r in fit["residuals"])
    return text + f" (largest residual {worst:,.0f} {unit}, {fit['points']} captures)"


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
    add(f"- runs per variant: {data['runs']} on the main, HTTP and main MAPI captures, "
        f"{data['secondary_runs']} on the others (interleaved a,b,c), medians shown as "
        f"`median (min-max)`; load average (1 min) seen over the runs: "
        f"{data['load_min']:.2f} to {data['load_max']:.2f}, started {data['started']}, "
        f"took {data['elapsed_minutes']:.1f} min")
    add("- a = stock tshark (no plugin), b = with the plugin, c = plugin loaded but "
        "`--disable-protocol newmail`")
    add("")
    add("Captures (generator command lines, in `OUT_DIR`):")
    add("")
    for cap in data["captures"]:
        add(f"- `{cap['name']}`: `{cap['command']}`; "
            + ", ".join(f"{fmt_count(n)} {k.replace('_', ' ')}"
                        for k, n in cap["counts"].items()
                        if k not in ("sessions", "signals")))
    add("")

    mc = main["counts"]
    add(f"## Main capture: {fmt_count(main['frames'])} frames, "
        f"{fmt_count(mc['sessions'])} sessions ({fmt_count(mc['async_sessions'])} with "
        f"AsyncEMSMDB), {fmt_count(mc['notifications'])} UDP notifications, "
        f"{fmt_count(mc['async_waits'])} async waits ({fmt_count(mc['async_pending'])} "
        f"NotificationPending), {fmt_count(mc['fetches'])} fetches, "
        f"{fmt_count(mc['not_fetched'])} not fetched")
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
        add(f"| {mode} | {ratios_line(data['main'][mode])} |")
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

    if data.get("legacy"):
        add("## The earlier traffic (legacy generator, one pass)")
        add("")
        add(f"`newmail_gen/captures.py --large` of commit {data['legacy_commit']}: registrations "
            "and UDP notifications only, no sessions, no fetches; the traffic of the earlier "
            "figures (b/a 0.80 one pass).")
        add("")
        one_pass_table(add, [data["legacy"]], describe_rpc)

    add("## RPC captures (one pass)")
    add("")
    add("Every rpc capture measured one pass: the frame series (sessions in proportion), "
        "the session series and the async share series.")
    add("")
    one_pass_table(add, data["rpc_series"], describe_rpc)
    growth = data.get("frame_growth")
    if growth:
        add(f"From {fmt_count(growth['small'])} to {fmt_count(growth['large'])} frames "
            f"(x{growth['large'] / growth['small']:.0f}), start-up taken off:")
        add("")
        add("| variant | CPU growth | RSS growth |")
        add("|---|---|---|")
        for variant in VARIANTS:
            g = growth[variant]
            add(f"| {variant} | x{g['cpu']:.2f} | x{g['rss']:.2f} |")
        add("")

    fit = data.get("rpc_memory_fit")
    add("## Memory per session, async wait and signal (RPC)")
    add("")
    add("RSS(b) - RSS(a) (medians of peak RSS, one pass) on every rpc capture, fitted by "
        "least squares to D0 + m_s x sessions + m_w x async waits + m_g x signals. A "
        "session is a client's EMSMDB session with its registration (and, for the async "
        "share, its EcDoAsyncConnectEx and AsyncEMSMDB connection); an async wait is one "
        "EcDoAsyncWaitEx call; a signal is a UDP notification or a wait completed with "
        "NotificationPending, together with the EcDoRpcExt2 fetch that answers it (every "
        "signal of these captures is fetched once, so the two cannot be told apart). "
        "RSS(a) also holds what stock spends on the notification frames it hands to the "
        "UDP heuristics.")
    add("")
    add("| capture | sessions | async waits | signals | fetches | RSS b - a KiB | "
        "RSS b - c KiB | fit residual KiB |")
    add("|---|---|---|---|---|---|---|---|")
    for i, point in enumerate(data["rpc_memory_points"]):
        c = point["counts"]
        residual = f"{fit['residuals'][i] / 1024:+,.0f}" if fit else ""
        add(f"| {point['name']} | {fmt_count(c['sessions'])} | {fmt_count(c['async_waits'])} | "
            f"{fmt_count(c['signals'])} | {fmt_count(c['fetches'])} | "
            f"{point['b_minus_a_kib']:+,.0f} | {point['b_minus_c_kib']:+,.0f} | {residual} |")
    add("")
    add("Fit: " + fit_line(fit, RPC_FIT_COLUMNS, "bytes") + ".")
    add("")

    if data.get("http"):
        cap = data["http"]["capture"]
        add(f"## Ordinary HTTP: {fmt_count(cap['frames'])} frames, no MAPI")
        add("")
        add(count_cell(cap, "connections", "requests", "gets", "posts", "html_responses",
                       "json_responses", "chunked_responses") + ".")
        add("")
        one_pass_table(add, [data["http"]], lambda c: "http")

    if data.get("mapi"):
        add("## MAPI over HTTP")
        add("")
        add("| capture | mix | sessions | Executes (fetch, sync) | NotificationWaits "
            "(EventPending, timed out) | keep-alives | PINGs |")
        add("|---|---|---|---|---|---|---|")
        for row in data["mapi"]:
            cap = row["capture"]
            c = cap["counts"]
            add(f"| {describe_mapi(cap)} | {MAPI_MIXES[cap['params']['mix']]['label']} | "
                f"{fmt_count(c['sessions'])} | {fmt_count(c['executes'])} "
                f"({fmt_count(c['fetch_executes'])}, {fmt_count(c['sync_executes'])}) | "
                f"{fmt_count(c['notification_waits'])} ({fmt_count(c['event_pending'])}, "
                f"{fmt_count(c['wait_timeouts'])}) | {fmt_count(c['keepalives'])} | "
                f"{fmt_count(c['pings'])} |")
        add("")
        one_pass_table(add, data["mapi"], describe_mapi)
        fits = data.get("mapi_fits", {})
        add("Cost of each MAPI/HTTP message type: b - a (minus b - a on the empty capture) "
            "fitted by least squares over the MAPI captures to a cost per fetching Execute "
            "(its response carries RopNotify), per other Execute (folder syncs, the "
            "RopRegisterNotification after Connect), per NotificationWait and per Connect "
            "or PING, each times its count. An exchange is its request and its response; a "
            "NotificationWait includes its keep-alives. \"Average Execute\" weighs the "
            "two kinds as the main mix has them. Instructions come from the callgrind "
            f"captures ({fmt_count(data['callgrind_mapi_frames'])} frames of each mix), "
            "time and memory from the timed ones.")
        add("")
        main_mapi = data["mapi"][0]["capture"]
        for key, what, unit, digits in (
                ("ir", "instructions (callgrind, whole tshark, b - a)", "Ir", 0),
                ("ir_plugin", "instructions inside the plugin's `dissect_mapihttp` "
                              "(inclusive, b)", "Ir", 0),
                ("cpu_us", "CPU time (medians, b - a)", "us", 1),
                ("rss_bytes", "peak RSS (medians, b - a)", "bytes", 0)):
            if fits.get(key):
                add(f"- {what}: " + fit_line(fits[key], MAPI_FIT_COLUMNS, unit, digits)
                    + f"; average Execute {mapi_per_execute(fits[key], main_mapi):,.{digits}f}"
                      f" {unit}")
        add("")
        split = mapi_split(data)
        if split:
            add("The plugin's own cost split by what it does (callgrind, b, no fit): "
                "`dissect_mapihttp` inclusive = the ROP buffers of the Executes "
                "(`newmail_dissect_rop_buffer`, request and response) + the rest, which is "
                "about the same for every message (headers, envelope, session, tree). A "
                "message is a request or a response that HTTP hands to the plugin (all but "
                "the empty PING requests). Per Execute = 2 x the rest per message + its ROP "
                "buffers; per NotificationWait = 2 x the rest per message. Time = "
                "instructions x b's nanoseconds per instruction on the timed capture of the "
                "same mix (its CPU time over its estimated Ir). b - a per exchange is what "
                "the whole tshark spends more per MAPI exchange (stock hands these bodies to "
                "HTTP's heuristic dissectors instead).")
            add("")
            add("| mix | messages | dissect_mapihttp incl. Ir | ROP buffers Ir | rest per message "
                "Ir | per Execute Ir | per NotificationWait Ir | b ns per Ir | per Execute us | "
                "per NotificationWait us | b - a Ir per exchange |")
            add("|---|---|---|---|---|---|---|---|---|---|---|")
            for row in split:
                add(f"| {row['mix']} | {fmt_count(row['messages'])} | {row['plugin']:,} | "
                    f"{row['rop']:,} | {row['rest']:,.0f} | {row['execute']:,.0f} | "
                    f"{row['wait']:,.0f} | {row['ns_per_ir']:.3f} | "
                    f"{row['execute'] * row['ns_per_ir'] / 1000:.1f} | "
                    f"{row['wait'] * row['ns_per_ir'] / 1000:.1f} | "
                    f"{row['b_minus_a_per_exchange']:+,.0f} |")
            add("")

    cg = data.get("callgrind")
    if cg:
        add("## callgrind (instructions, one pass)")
        add("")
        add("| capture | variant | Ir total | Ir per frame (minus start-up) | newmail.so self Ir "
            "| share | plugin entry points incl. Ir | dissector_try_heuristic incl. Ir |")
        add("|---|---|---|---|---|---|---|---|")
        for row in cg["rows"]:
            r = row["result"]
            cap = row["capture"]
            base = cg["startup"].get(row["variant"])
            per_frame = ""
            if base and cap["frames"]:
                per_frame = f"{(r['total'] - base['total']) / cap['frames']:,.0f}"
            entry = sum(r["inclusive"].get(f, 0) for f in PLUGIN_ENTRY_POINTS
                        if f != "newmail_dissect_rop_buffer")
            add(f"| {cap['name']} | {row['variant']} | {r['total']:,} | {per_frame} | "
                f"{r['plugin_self']:,} | {100.0 * r['plugin_self'] / r['total']:.3f}% | "
                f"{entry:,} | {r['inclusive'].get('dissector_try_heuristic', 0):,} |")
        add("")
        by_capture = {}
        for row in cg["rows"]:
            by_capture.setdefault(row["capture"]["name"], {})[row["variant"]] = row
        for name, rows in by_capture.items():
            if "a" in rows and "b" in rows and "a" in cg["startup"] and "b" in cg["startup"]:
                a, b = rows["a"]["result"]["total"], rows["b"]["result"]["total"]
                per_a = a - cg["startup"]["a"]["total"]
                per_b = b - cg["startup"]["b"]["total"]
                add(f"- {name}: Ir b/a = {b / a:.4f} (b - a = {b - a:+,}); without start-up "
                    f"b/a = {per_b / per_a:.4f}")
        add("")
        rpc_b = next((row for row in cg["rows"]
                      if row["variant"] == "b" and row["capture"]["kind"] == "rpc"), None)
        if rpc_b:
            cap, r = rpc_b["capture"], rpc_b["result"]
            c = cap["counts"]
            inc = r["inclusive"]
            calls = (c["sessions"] * 2 + c["async_sessions"] + c["fetches"])
            add(f"Per event on {cap['name']} (b, inclusive Ir of the plugin's entry points; "
                "the EMSMDB wrappers include stock's decode of the opnum):")
            add("")
            add("| entry point | inclusive Ir | per | Ir each |")
            add("|---|---|---|---|")
            for function, count, per in (
                    ("dissect_newmail", c["notifications"], "UDP notification"),
                    ("dissect_emsmdb_request", calls,
                     "EMSMDB call the plugin reads (opnums 10, 4, 14, 11)"),
                    ("dissect_emsmdb_response", calls, "such call's response"),
                    ("newmail_dissect_rop_buffer", c["fetches"] * 2,
                     "ROP buffer (fetch request and response)"),
                    ("dissect_async_wait_request", c["async_waits"], "EcDoAsyncWaitEx request"),
                    ("dissect_async_wait_response",
                     c["async_pending"] + c["async_timeouts"], "EcDoAsyncWaitEx response")):
                value = inc.get(function, 0)
                add(f"| {function} | {value:,} | {per} ({fmt_count(count)}) | "
                    f"{ratio(value, count):,.0f} |")
            add("")
            add(f"The plugin's own functions (self Ir) on {cap['name']}:")
            add("")
            add("| self Ir | function |")
            add("|---|---|")
            for cost, function in r["plugin_self_functions"]:
                add(f"| {cost:,} | {function} |")
            add("")
        if cg.get("scaling"):
            add("Per-packet cost against the session count (b, callgrind):")
            add("")
            add("| sessions | frames | dissect_newmail Ir per notification | EMSMDB wrappers "
                "Ir per call | plugin self Ir per frame |")
            add("|---|---|---|---|---|")
            for s in cg["scaling"]:
                add(f"| {fmt_count(s['sessions'])} | {fmt_count(s['frames'])} | "
                    f"{s['per_notification']:,.0f} | {s['per_call']:,.0f} | "
                    f"{s['plugin_self_per_frame']:,.1f} |")
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


def targets(data):
    out = []
    main = data["main"]
    if "one-pass" in main:
        m = main["one-pass"]
        wall, cpu = ratio(m["b"]["wall"], m["a"]["wall"]), ratio(m["b"]["cpu"], m["a"]["cpu"])
        out.append({"target": "issue 11: one-pass b/a wall no worse than the earlier 0.80 "
                              "(main capture, sessions and async waits)",
                    "measured": f"{wall:.3f} (CPU {cpu:.3f})", "holds": wall <= 0.80})
    if data.get("legacy"):
        s = data["legacy"]["summary"]
        wall, cpu = ratio(s["b"]["wall"], s["a"]["wall"]), ratio(s["b"]["cpu"], s["a"]["cpu"])
        out.append({"target": "issue 11: one-pass b/a wall no worse than 0.80 on the earlier "
                              "traffic (legacy capture)",
                    "measured": f"{wall:.3f} (CPU {cpu:.3f})", "holds": wall <= 0.80})
    for mode in ("one-pass", "two-pass"):
        if mode in main:
            m = main[mode]
            wall = ratio(m["b"]["wall"], m["a"]["wall"])
            out.append({"target": f"{mode}: b/a wall <= 1.03 (main capture)",
                        "measured": f"{wall:.3f} (CPU {ratio(m['b']['cpu'], m['a']['cpu']):.3f})",
                        "holds": wall <= 1.03})
    for mode in data["modes"]:
        m = main[mode]
        rss = ratio(m["b"]["rss_kib"], m["a"]["rss_kib"])
        out.append({"target": f"issue 11: {mode}: peak RSS b <= 1.02 x a "
                              f"({fmt_count(data['main_capture']['counts']['sessions'])} "
                              "registrations)",
                    "measured": f"{rss:.3f} ({mib(m['b']['rss_kib']) - mib(m['a']['rss_kib']):+.1f}"
                                f" MiB)", "holds": rss <= 1.02})
    if data.get("http"):
        s = data["http"]["summary"]
        wall, cpu = ratio(s["b"]["wall"], s["a"]["wall"]), ratio(s["b"]["cpu"], s["a"]["cpu"])
        rss = ratio(s["b"]["rss_kib"], s["a"]["rss_kib"])
        measured = f"wall {wall:.3f}, CPU {cpu:.3f}, RSS {rss:.3f}"
        cg = data.get("callgrind") or {}
        pair = next((row for row in cg.get("http", []) if "a" in row and "b" in row), None)
        if pair:
            measured += f"; callgrind Ir {pair['b']['total'] / pair['a']['total']:.4f}"
        out.append({"target": "issue 12: ordinary HTTP, plugin/stock within 1.02 "
                              "(wall, CPU and RSS)",
                    "measured": measured, "holds": max(wall, cpu, rss) <= 1.02})
    fits = data.get("mapi_fits") or {}
    if fits.get("ir") or fits.get("cpu_us"):
        parts = []
        main_mapi = data["mapi"][0]["capture"]
        split = {row["mix"]: row for row in mapi_split(data)}
        main_split = split.get(main_mapi["params"]["mix"])
        if main_split:
            parts.append(f"plugin (callgrind, main mix): {main_split['execute']:,.0f} Ir "
                         f"({main_split['execute'] * main_split['ns_per_ir'] / 1000:.1f} us) "
                         f"per Execute, {main_split['wait']:,.0f} Ir "
                         f"({main_split['wait'] * main_split['ns_per_ir'] / 1000:.1f} us) per "
                         "NotificationWait")
        for key, unit, digits in (("ir", "Ir", 0), ("rss_bytes", "bytes", 0)):
            if fits.get(key):
                fetch, other, wait, _ = fits[key]["coefficients"]
                parts.append(f"b - a fit: {mapi_per_execute(fits[key], main_mapi):,.{digits}f} "
                             f"{unit} per Execute (fetching {fetch:,.{digits}f}, other "
                             f"{other:,.{digits}f}), {wait:,.{digits}f} {unit} per "
                             "NotificationWait")
        out.append({"target": "issue 12: report the plugin's cost per Execute and per "
                              "NotificationWait (MAPI/HTTP-heavy captures)",
                    "measured": "; ".join(parts), "holds": None})
    fit = data.get("rpc_memory_fit")
    if fit:
        out.append({"target": "issue 11: report bytes per session",
                    "measured": ", ".join(f"{v:,.0f} bytes per {label}" for v, (_, label)
                                          in zip(fit["coefficients"], RPC_FIT_COLUMNS)),
                    "holds": None})
    growth = data.get("frame_growth")
    if growth:
        factor = growth["large"] / growth["small"]
        b, a = growth["b"], growth["a"]
        out.append({"target": "linear in frames: b's RSS growth no faster than a's (+5%)",
                    "measured": f"b x{b['rss']:.2f}, a x{a['rss']:.2f} (x{factor:.0f} frames)",
                    "holds": b["rss"] <= a["rss"] * 1.05})
    scaling = (data.get("callgrind") or {}).get("scaling") or []
    if len(scaling) >= 2:
        per_n = [s["per_notification"] for s in scaling]
        per_c = [s["per_call"] for s in scaling]
        out.append({"target": "no per-packet growth with sessions (callgrind, +10% at most)",
                    "measured": "dissect_newmail Ir per notification " +
                                ", ".join(f"{p:,.0f}" for p in per_n) +
                                "; EMSMDB wrappers Ir per call " +
                                ", ".join(f"{p:,.0f}" for p in per_c) + " at " +
                                ", ".join(fmt_count(s["sessions"]) for s in scaling) +
                                " sessions",
                    "holds": all(v <= per_n[0] * 1.10 for v in per_n) and
                    all(v <= per_c[0] * 1.10 for v in per_c)})
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
                        help="frames of the main capture and of the rpc series")
    parser.add_argument("--registrations", type=int, default=10000,
                        help="sessions (each with its registration) in the main capture")
    parser.add_argument("--async-share", type=int, default=30,
                        help="percent of sessions with AsyncEMSMDB in the main capture")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs per variant on the main, HTTP and main MAPI captures")
    parser.add_argument("--secondary-runs", type=int, default=3,
                        help="runs per variant on the other captures")
    parser.add_argument("--sizes", type=int_list, default=[100000, 1000000],
                        help="frame counts of the frame series; sessions in proportion")
    parser.add_argument("--registration-counts", type=int_list, default=[1000, 10000, 50000],
                        help="session counts of the session series at --frames")
    parser.add_argument("--async-shares", type=int_list, default=[0, 30, 100],
                        help="async shares (%%) of the async series at --frames and "
                             "--registrations")
    parser.add_argument("--legacy-commit", default=LEGACY_COMMIT,
                        help="commit of the earlier load generator ('' to skip)")
    parser.add_argument("--http-frames", type=int, default=500000,
                        help="frames of the ordinary HTTP capture (0 to skip)")
    parser.add_argument("--mapi-frames", type=int, default=300000,
                        help="frames of each MAPI/HTTP capture (0 to skip)")
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
                        help="frames of the rpc and http callgrind captures (default 100000)")
    parser.add_argument("--callgrind-mapi-frames", type=int, default=40000,
                        help="frames of the MAPI callgrind captures (default 40000)")
    parser.add_argument("--callgrind-scaling", action="store_true",
                        help="also run b under callgrind on rpc captures of "
                             "--callgrind-frames with a tenth and five times the "
                             "sessions of the callgrind capture")
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
    if args.runs < 1 or args.secondary_runs < 1:
        parser.error("--runs and --secondary-runs must be at least 1")
    os.makedirs(args.out_dir, exist_ok=True)
    started = time.time()

    # The sandbox copies the plugin now: a rebuild during the benchmark changes nothing.
    harness.use_plugin(args.plugin)
    harness.installed_plugin_path()
    runner = Runner(args.tshark)
    data = {"machine": machine_info(args.tshark), "runs": args.runs,
            "secondary_runs": args.secondary_runs, "modes": modes,
            "frames": args.frames, "registrations": args.registrations,
            "legacy_commit": args.legacy_commit,
            "callgrind_mapi_frames": args.callgrind_mapi_frames,
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
            "commands": {}}

    def rpc(frames, sessions, share=args.async_share):
        return make_capture(args.out_dir, "rpc", frames, args.seed,
                            sessions=sessions, **{"async": share})

    def mapi(frames, mix):
        spec = MAPI_MIXES[mix]
        sessions = max(1, round(frames / 100000 * MAPI_SESSIONS_PER_100K
                                * spec.get("sessions_factor", 1)))
        info = make_capture(args.out_dir, "mapi", frames, args.seed, sessions=sessions,
                            **spec["options"])
        info["params"]["mix"] = mix
        return info

    # Generate everything first so that generation never overlaps a timing.
    main_capture = rpc(args.frames, args.registrations)
    sizes = sorted(set(args.sizes + ([10000000] if args.huge else [])))
    series = []
    for size in sizes:
        series.append(rpc(size, max(1, round(args.registrations * size / args.frames))))
    for count in sorted(set(args.registration_counts)):
        series.append(rpc(args.frames, count))
    for share in sorted(set(args.async_shares)):
        series.append(rpc(args.frames, args.registrations, share))
    unique = {}
    for cap in series:
        unique.setdefault(cap["name"], cap)
    series = list(unique.values())
    legacy = (make_capture(args.out_dir, "legacy", args.frames, args.seed,
                           sessions=args.registrations, commit=args.legacy_commit)
              if args.legacy_commit else None)
    http = make_capture(args.out_dir, "http", args.http_frames, args.seed) \
        if args.http_frames else None
    mapis = [mapi(args.mapi_frames, mix) for mix in MAPI_MIXES] if args.mapi_frames else []
    callgrinding = not args.no_callgrind and shutil.which("valgrind")
    if callgrinding:
        cg_sessions = max(1, round(args.registrations * args.callgrind_frames / args.frames))
        cg_rpc = rpc(args.callgrind_frames, cg_sessions)
        cg_http = make_capture(args.out_dir, "http", args.callgrind_frames, args.seed) \
            if args.http_frames else None
        cg_mapis = [mapi(args.callgrind_mapi_frames, mix) for mix in MAPI_MIXES] \
            if args.mapi_frames else []
        cg_scaling = ([rpc(args.callgrind_frames, n)
                       for n in (max(1, cg_sessions // 10), cg_sessions * 5)]
                      if args.callgrind_scaling else [])
    empty = write_empty_capture(args.out_dir)
    data["main_capture"] = dict(main_capture)
    data["captures"] = [main_capture] + [c for c in series if c is not main_capture
                                         and c["name"] != main_capture["name"]] \
        + [c for c in (legacy, http) if c] + mapis
    for mode in modes:
        data["commands"][mode] = {v: " ".join([args.tshark, "-r", "F"] + mode_args(mode, v))
                                  for v in VARIANTS}

    log(f"start-up: empty capture, {args.runs} x a,b,c")
    data["startup"] = runner.series(empty, "one-pass", args.runs)

    one_pass = {}     # capture name -> {variant: summary}
    data["main"] = {}
    for mode in modes:
        log(f"main capture, {mode}: {args.runs} x a,b,c")
        data["main"][mode] = runner.series(main_capture, mode, args.runs)
    if "one-pass" in data["main"]:
        one_pass[main_capture["name"]] = data["main"]["one-pass"]

    def measured(capture, runs):
        if capture["name"] not in one_pass:
            log(f"{capture['name']}, one-pass: {runs} x a,b,c")
            one_pass[capture["name"]] = runner.series(capture, "one-pass", runs)
        return {"capture": capture, "summary": one_pass[capture["name"]]}

    if http:
        data["http"] = measured(http, args.runs)
    data["mapi"] = [measured(cap, args.runs if i == 0 else args.secondary_runs)
                    for i, cap in enumerate(mapis)]
    if legacy:
        data["legacy"] = measured(legacy, args.secondary_runs)
    data["rpc_series"] = [measured(cap, args.secondary_runs) for cap in series]

    by_size = sorted((row for row in data["rpc_series"]
                      if row["capture"]["params"]["async"] == args.async_share and
                      row["capture"]["counts"]["sessions"] == max(
                          1, round(args.registrations * row["capture"]["frames"] / args.frames))),
                     key=lambda row: row["capture"]["frames"])
    if len(by_size) >= 2 and by_size[0]["capture"]["frames"] != by_size[-1]["capture"]["frames"]:
        small, large = by_size[0], by_size[-1]
        growth = {"small": small["capture"]["frames"], "large": large["capture"]["frames"]}
        for variant in VARIANTS:
            s0 = data["startup"][variant]
            s1, s2 = small["summary"][variant], large["summary"][variant]
            growth[variant] = {
                "cpu": ratio(s2["cpu"] - s0["cpu"], s1["cpu"] - s0["cpu"]),
                "wall": ratio(s2["wall"] - s0["wall"], s1["wall"] - s0["wall"]),
                "rss": ratio(s2["rss_kib"] - s0["rss_kib"], s1["rss_kib"] - s0["rss_kib"])}
        data["frame_growth"] = growth

    points = []
    for row in data["rpc_series"]:
        s = row["summary"]
        points.append({"name": row["capture"]["name"], "counts": row["capture"]["counts"],
                       "b_minus_a_kib": s["b"]["rss_kib"] - s["a"]["rss_kib"],
                       "b_minus_c_kib": s["b"]["rss_kib"] - s["c"]["rss_kib"]})
    data["rpc_memory_points"] = points
    data["rpc_memory_fit"] = rpc_memory_fit(points)

    if callgrinding:
        cg = {"startup": {}, "rows": [], "http": [], "mapi": [], "scaling": []}
        for variant in ("a", "b"):
            cg["startup"][variant] = callgrind(args.tshark, empty, variant, args.out_dir)

        def pair(capture):
            row = {"capture": capture}
            for variant in ("a", "b"):
                row[variant] = callgrind(args.tshark, capture, variant, args.out_dir)
                cg["rows"].append({"capture": capture, "variant": variant,
                                   "result": row[variant]})
            return row

        pair(cg_rpc)
        if cg_http:
            cg["http"].append(pair(cg_http))
        for capture in cg_mapis:
            cg["mapi"].append(pair(capture))
        scaling_rows = [row for row in cg["rows"]
                        if row["variant"] == "b" and row["capture"]["name"] == cg_rpc["name"]]
        for capture in cg_scaling:
            result = callgrind(args.tshark, capture, "b", args.out_dir)
            cg["rows"].append({"capture": capture, "variant": "b", "result": result})
            scaling_rows.append({"capture": capture, "result": result})
        for row in sorted(scaling_rows, key=lambda r: r["capture"]["counts"]["sessions"]):
            if not cg_scaling:
                break
            c, r = row["capture"]["counts"], row["result"]
            calls = c["sessions"] * 2 + c["async_sessions"] + c["fetches"]
            cg["scaling"].append({
                "sessions": c["sessions"], "frames": row["capture"]["frames"],
                "per_notification": ratio(r["inclusive"].get("dissect_newmail", 0),
                                          c["notifications"]),
                "per_call": ratio(r["inclusive"].get("dissect_emsmdb_request", 0)
                                  + r["inclusive"].get("dissect_emsmdb_response", 0), calls),
                "plugin_self_per_frame": ratio(r["plugin_self"], row["capture"]["frames"])})
        data["callgrind"] = cg
    data["mapi_fits"] = mapi_fits(data)

    loads = [r["load_before"] for r in runner.all_runs] + \
        [r["load_after"] for r in runner.all_runs]
    data["load_min"], data["load_max"] = min(loads), max(loads)
    data["elapsed_minutes"] = (time.time() - started) / 60.0
    with open(args.json or os.path.join(args.out_dir, "results.json"), "w",
              encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, default=str)
    publish(data, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
