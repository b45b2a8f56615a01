#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Whole-plugin fuzzing inside the real tshark; fuzz/tshark-fuzz.sh drives it.

Like Wireshark's tools/fuzz-test.sh: every capture is corrupted with
`editcap -E RATE` and tshark, with the plugin loaded, reads the result four
ways (one pass and two passes, each with -V and with -Y newmail). tshark runs
through test/tshark_harness.py's sandbox: clean environment, a temporary HOME
holding the plugin, WIRESHARK_PLUGIN_DIR pointing away from the global folder,
WIRESHARK_ABORT_ON_DISSECTOR_BUG=1, and uid/gid 65534 when this is root.

A run is a finding when tshark dies of a signal or aborts (return code >= 128
from a shell, negative here), times out, exits non-zero, or its stderr shows
a sanitizer report, valgrind error, "Dissector bug", "DISSECTOR_ASSERT" or a
GLib CRITICAL/ERROR. The fuzzed capture, the stderr and a note (command, the
verdict, and whether stock tshark without the plugin fails on it too) are kept
in the findings folder.

Environment it needs: NEWMAIL_PLUGIN (the plugin to load, normally the
sanitized build); optional NEWMAIL_WS_VERSION, NEWMAIL_TSHARK,
NEWMAIL_WS_GLOBAL_PLUGIN_DIR as for the harness.
"""

import argparse
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# PYTHONPATH: the source tree and test/ (fuzz/tshark-fuzz.sh sets it).
import tshark_harness as harness

MODES = (
    ("1pass-V", ["-V"]),
    ("2pass-V", ["-2", "-V"]),
    ("1pass-Y", ["-Y", "newmail"]),
    ("2pass-Y", ["-2", "-Y", "newmail"]),
)

# What on stderr makes a run a finding.
BAD_STDERR = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"UndefinedBehaviorSanitizer|Dissector bug|DISSECTOR_ASSERT|"
    r"== Invalid (read|write)|== Conditional jump|== Use of uninitialised|"
    r"== Invalid free|== Mismatched free|== Syscall param|"
    r"-CRITICAL \*\*|-ERROR \*\*|\*\* ERROR \*\*|Segmentation fault|Aborted|"
    r"Couldn't load plugin|cannot be preloaded",
    re.IGNORECASE)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--captures",
                        help="folder of newmail_gen/captures.py --out (the base captures)")
    parser.add_argument("--more-captures", action="append", default=[], metavar="FOLDER",
                        help="another folder of base captures (newmail_gen/mapihttp.py --out);"
                             " may be given again")
    parser.add_argument("--replay", metavar="CAPTURE",
                        help="run tshark once on CAPTURE (options after --, default -2 -V) "
                             "the way the fuzzer does, show stderr and the verdict")
    parser.add_argument("--iterations", type=int, default=0,
                        help="iterations to run (0: until --seconds is up)")
    parser.add_argument("--seconds", type=float, default=0,
                        help="stop starting new work after this many seconds (0: no limit)")
    parser.add_argument("--rates", default="0.001,0.005,0.02,0.05",
                        help="editcap -E error rates, comma separated")
    parser.add_argument("--offsets", default="0,54",
                        help="editcap -o change offsets to pick from per capture "
                             "(54 keeps Ethernet+IPv4+TCP headers intact)")
    parser.add_argument("--random-count", type=int, default=40,
                        help="registrations in each iteration's --random-stubs capture")
    parser.add_argument("--seed", type=int, default=None,
                        help="base seed (default: from the clock); iteration i uses seed+i")
    parser.add_argument("--jobs", type=int, default=1, help="captures fuzzed at once")
    parser.add_argument("--timeout", type=float, default=180,
                        help="seconds one tshark run may take before it counts as a hang")
    parser.add_argument("--findings", default=os.path.join(HERE, "findings"),
                        help="where offending captures and stderr are kept")
    parser.add_argument("--max-findings", type=int, default=25,
                        help="stop after this many findings")
    parser.add_argument("--runner", choices=("asan", "valgrind", "plain"), default="asan",
                        help="asan: preload --preload into tshark; valgrind: run tshark "
                             "under valgrind memcheck; plain: neither")
    parser.add_argument("--preload", default="",
                        help="space-separated sanitizer runtimes for LD_PRELOAD (asan runner)")
    parser.add_argument("--symbolizer", default=shutil.which("llvm-symbolizer") or "",
                        help="llvm-symbolizer for sanitizer stack traces")
    parser.add_argument("--generator", default="newmail_gen.captures",
                        help="the module that writes the --random-stubs captures")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    options = []
    if "--" in argv:
        options = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    args = parser.parse_args(argv)
    args.tshark_options = options or ["-2", "-V"]
    if not args.captures and not args.replay:
        parser.error("--captures is required (or --replay CAPTURE)")
    return args


class Fuzzer:
    # Every wmem block its own malloc(), every GSlice one too, so the
    # sanitizer or valgrind sees each allocation's bounds; a GLib critical
    # aborts like a dissector bug does.
    COMMON_ENV = ["WIRESHARK_DEBUG_WMEM_OVERRIDE=simple", "G_SLICE=always-malloc",
                  "G_DEBUG=fatal-criticals"]

    def __init__(self, args):
        self.args = args
        self.rates = [r.strip() for r in args.rates.split(",") if r.strip()]
        self.offsets = [int(o) for o in args.offsets.split(",") if o.strip()]
        self.seed = args.seed if args.seed is not None else int(time.time()) % 1000000
        self.box = harness._box()  # one sandbox for the whole run
        self.fuzz_dir = os.path.join(self.box.root, "fuzzed")
        os.makedirs(self.fuzz_dir, exist_ok=True)
        os.chmod(self.fuzz_dir, 0o755)
        self.lock = threading.Lock()
        self.captures_tried = 0
        self.runs = 0
        self.newmail_frames = 0  # frames -Y newmail matched, over all runs
        self.findings = []
        self.plugin_findings = 0
        self.deadline = time.monotonic() + args.seconds if args.seconds > 0 else None
        self.started = time.monotonic()
        os.makedirs(args.findings, exist_ok=True)

    # ---- running tshark ------------------------------------------------------

    def _env_prefix(self):
        """Variables for the tshark process, passed through `env` (the
        harness gives tshark a clean environment of its own)."""
        common = self.COMMON_ENV
        if self.args.runner == "asan":
            asan = ("detect_leaks=0:abort_on_error=1:symbolize=1:"
                    "allocator_may_return_null=0:detect_stack_use_after_return=0")
            prefix = ["env", "LD_PRELOAD=" + self.args.preload, "ASAN_OPTIONS=" + asan,
                      "UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1"]
            if self.args.symbolizer:
                prefix.append("ASAN_SYMBOLIZER_PATH=" + self.args.symbolizer)
            return prefix + common
        if self.args.runner == "valgrind":
            return ["env"] + common + [
                "valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=no",
                "--num-callers=30", "--quiet"]
        return ["env"] + common

    def tshark(self, capture, options, plugin=True, env_prefix=None):
        """One tshark run -> (returncode or 'timeout', stderr, stdout, argv)."""
        prefix = self._env_prefix() if env_prefix is None else env_prefix
        argv = prefix + [harness.tshark_path(), "-n", "-r", capture] + list(options)
        full, env = self.box.command(argv, plugin)
        try:
            done = subprocess.run(full, env=env, cwd=self.box.work_dir,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=self.args.timeout,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            return "timeout", (exc.stderr or b"").decode("utf-8", "replace"), "", argv
        return (done.returncode, done.stderr.decode("utf-8", "replace"),
                done.stdout.decode("utf-8", "replace"), argv)

    @staticmethod
    def verdict(returncode, stderr):
        """Why this run is a finding, or None."""
        match = BAD_STDERR.search(stderr)
        shown = f"stderr shows {match.group(0)!r}" if match else ""
        if returncode == "timeout":
            why = "timeout (hang?)"
        elif returncode < 0:
            why = f"killed by signal {-returncode}"
        elif returncode >= 128:
            why = f"exit status {returncode} (signal {returncode - 128}?)"
        elif match or returncode != 0:
            why = f"exit status {returncode}"
        else:
            return None
        return f"{shown}, {why}" if shown else why

    def sanity_check(self, captures_dir):
        """The plugin must really be loaded, and the sanitizer really preloaded."""
        basic = os.path.join(self.fuzz_dir, "sanity-basic_ipv4.pcap")
        shutil.copyfile(os.path.join(captures_dir, "basic_ipv4.pcap"), basic)
        os.chmod(basic, 0o644)
        prefix = self._env_prefix()
        if self.args.runner == "asan":
            prefix = [p.replace("ASAN_OPTIONS=", "ASAN_OPTIONS=verbosity=1:", 1)
                      if p.startswith("ASAN_OPTIONS=") else p for p in prefix]
        returncode, stderr, stdout, argv = self.tshark(
            basic, ["-T", "fields", "-e", "frame.number", "-Y", "newmail"], env_prefix=prefix)
        if returncode != 0:
            sys.exit(f"tshark-fuzz: sanity run failed (exit {returncode}): "
                     f"{' '.join(argv)}\n{stderr[-4000:]}")
        if self.args.runner == "asan" and "AddressSanitizer Init done" not in stderr:
            sys.exit("tshark-fuzz: the sanitizer runtime was not preloaded into tshark "
                     f"(LD_PRELOAD={self.args.preload!r})")
        frames = stdout.split()
        if len(frames) != 3:
            sys.exit("tshark-fuzz: the plugin is not loaded (basic_ipv4 should show 3 "
                     f"NEWMAIL frames, got {frames})")

    # ---- one fuzzed capture ----------------------------------------------------

    def fuzz_one(self, iteration, source, rate, offset, editcap_seed):
        if self.deadline is not None and time.monotonic() > self.deadline:
            return
        if len(self.findings) >= self.args.max_findings:
            return
        base = os.path.splitext(os.path.basename(source))[0]
        fuzzed = os.path.join(self.fuzz_dir,
                              f"it{iteration}-{base}-E{rate}-o{offset}-s{editcap_seed}.pcap")
        done = subprocess.run(["editcap", "-E", rate, "-o", str(offset), "--seed",
                               str(editcap_seed), source, fuzzed],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"editcap failed on {source}: {done.stderr.decode()}")
        os.chmod(fuzzed, 0o644)
        with self.lock:
            self.captures_tried += 1
        for mode, options in MODES:
            returncode, stderr, stdout, argv = self.tshark(fuzzed, options)
            with self.lock:
                self.runs += 1
                if "-Y" in options:
                    self.newmail_frames += sum(1 for line in stdout.splitlines() if line)
            why = self.verdict(returncode, stderr)
            if why:
                self.record(fuzzed, mode, options, argv, why, stderr)
        os.remove(fuzzed)

    def record(self, fuzzed, mode, options, argv, why, stderr):
        """Keep the capture and stderr; say whether stock tshark fails on it too."""
        stock_rc, stock_err, _, _ = self.tshark(fuzzed, options, plugin=False,
                                                env_prefix=["env"] + self.COMMON_ENV)
        stock_why = self.verdict(stock_rc, stock_err)
        in_plugin = stock_why is None or "newmail" in stderr.lower()
        with self.lock:
            index = len(self.findings) + 1
            stem = time.strftime("tshark-%Y%m%d-%H%M%S") + f"-{index:02d}-" + \
                os.path.splitext(os.path.basename(fuzzed))[0] + "-" + mode
            kept = os.path.join(self.args.findings, stem + ".pcap")
            shutil.copyfile(fuzzed, kept)
            with open(os.path.join(self.args.findings, stem + ".stderr"), "w",
                      encoding="utf-8") as handle:
                handle.write(stderr)
            with open(os.path.join(self.args.findings, stem + ".txt"), "w",
                      encoding="utf-8") as handle:
                handle.write(f"verdict: {why}\ncommand: {' '.join(argv)}\n"
                             f"stock tshark without the plugin: {stock_why or 'fine'}\n"
                             f"attributed to: {'the plugin' if in_plugin else 'stock Wireshark'}\n"
                             f"reproduce: fuzz/tshark-fuzz.sh --replay {kept} -- "
                             f"{' '.join(options)}\n")
            self.findings.append((kept, why, in_plugin))
            if in_plugin:
                self.plugin_findings += 1
        print(f"FINDING {index}: {why} [{mode}] -> {kept}"
              f" (stock tshark: {stock_why or 'fine'})", flush=True)

    # ---- the loop -------------------------------------------------------------------

    def random_capture(self, seed):
        out = os.path.join(self.fuzz_dir, f"random{seed}.pcap")
        subprocess.run([sys.executable, "-s", "-B", "-m", self.args.generator, "--random-stubs", str(seed),
                        "--count", str(self.args.random_count), "--out", out],
                       check=True, stdout=subprocess.DEVNULL)
        return out

    def time_left(self):
        return self.deadline is None or time.monotonic() < self.deadline

    def run(self):
        captures = sorted(os.path.join(folder, f)
                          for folder in [self.args.captures] + self.args.more_captures
                          for f in os.listdir(folder) if f.endswith(".pcap"))
        if not captures:
            sys.exit(f"tshark-fuzz: no captures in {self.args.captures}")
        self.sanity_check(self.args.captures)
        iteration = 0
        while self.time_left() and len(self.findings) < self.args.max_findings and \
                (self.args.iterations <= 0 or iteration < self.args.iterations):
            seed = self.seed + iteration
            rng = random.Random(seed)
            sources = captures + [self.random_capture(seed)]
            work = []
            for source in sources:
                for rate in self.rates:
                    work.append((iteration, source, rate, rng.choice(self.offsets),
                                 rng.randrange(1, 2**31)))
            rng.shuffle(work)  # a time limit then cuts a random subset, not the tail
            with concurrent.futures.ThreadPoolExecutor(max_workers=self.args.jobs) as pool:
                for future in [pool.submit(self.fuzz_one, *item) for item in work]:
                    future.result()
            iteration += 1
            if not self.args.quiet:
                print(f"tshark-fuzz: iteration {iteration} (seed {seed}) done: "
                      f"{self.captures_tried} captures, {self.runs} runs, "
                      f"{len(self.findings)} findings, {time.monotonic() - self.started:.0f} s",
                      flush=True)
        elapsed = time.monotonic() - self.started
        print(f"tshark-fuzz summary: {iteration} iterations (seeds {self.seed}..."
              f"{self.seed + max(iteration - 1, 0)}), captures tried {self.captures_tried}, "
              f"tshark runs {self.runs}, findings {len(self.findings)} "
              f"({self.plugin_findings} attributed to the plugin), "
              f"NEWMAIL frames matched by -Y newmail {self.newmail_frames}, "
              f"runner {self.args.runner}, rates {','.join(self.rates)}, {elapsed:.0f} s",
              flush=True)
        for kept, why, in_plugin in self.findings:
            print(f"  {kept}: {why}{'' if in_plugin else ' (stock tshark fails too)'}")
        return 1 if self.findings else 0


def replay(args):
    """--replay CAPTURE [-- tshark options]: one run, stderr shown."""
    fuzzer = Fuzzer(args)
    if args.captures:
        fuzzer.sanity_check(args.captures)
    copy = os.path.join(fuzzer.fuzz_dir, os.path.basename(args.replay))
    shutil.copyfile(args.replay, copy)
    os.chmod(copy, 0o644)
    returncode, stderr, _, argv_run = fuzzer.tshark(copy, args.tshark_options)
    sys.stderr.write(stderr)
    why = fuzzer.verdict(returncode, stderr)
    print(f"{' '.join(argv_run)}\n-> {why or 'no finding'}")
    return 1 if why else 0


def main(argv):
    args = parse_args(argv)
    if args.replay:
        return replay(args)
    return Fuzzer(args).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
