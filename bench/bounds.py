#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the crafted ROP buffers of newmail_gen/bounds.py cost tshark -V:
peak memory and time, stock against the plugin (BENCHMARKS.md, "Bounded
decoding"; docs/architecture.md says what bounds them).

    PYTHONPATH=.:test /usr/bin/python3 bench/bounds.py --plugin BUILD/newmail.so [--runs 3]

Each capture is decoded with tshark -V as the tests run it (test/
tshark_harness.py: a clean environment, uid 65534 when root), under
/usr/bin/time for the peak resident set; the median of --runs runs is
printed as a Markdown table, with the plugin's figures as multiples of
stock's. Point --plugin at an older build to see what it cost before.
"""

import argparse
import os
import statistics
import subprocess
import tempfile

import tshark_harness as tshark
from newmail_gen import bounds


def measure(path, plugin, runs):
    """Median (peak RSS in MiB, seconds) of tshark -V on path."""
    rss, seconds = [], []
    for _ in range(runs):
        argv, env = tshark.command([tshark.tshark_path(), "-r", tshark.readable(path), "-V"],
                                   plugin)
        with tempfile.NamedTemporaryFile("r", dir=tshark.work_dir(), delete=False) as out:
            report = out.name
        os.chmod(report, 0o666)
        subprocess.run(["/usr/bin/time", "-f", "%M %e", "-o", report] + argv, env=env,
                       cwd=tshark.work_dir(), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        with open(report, encoding="ascii") as handle:
            kib, elapsed = handle.read().split()[-2:]
        os.unlink(report)
        rss.append(int(kib) / 1024)
        seconds.append(float(elapsed))
    return statistics.median(rss), statistics.median(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    folder = tshark.work_dir()
    captures = {}
    for name, rgb_out in bounds.BUFFERS.items():
        captures[name] = bounds.write_capture(os.path.join(folder, name + ".pcap"), rgb_out)
    captures["mapihttp_chain (1 MB Execute)"] = bounds.write_mapihttp_capture(
        os.path.join(folder, "mapihttp_chain.pcap"), bounds.expanding_block() * (1_000_000 // 19))

    tshark.use_plugin(args.plugin)
    results = {}
    for name, path in captures.items():
        results[name] = {"stock": measure(path, False, args.runs),
                         "plugin": measure(path, True, args.runs)}

    head = "| capture (tshark -V) | stock MiB | plugin MiB | ratio | stock s | plugin s | ratio |"
    print(head)
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, row in results.items():
        (s_rss, s_sec), (p_rss, p_sec) = row["stock"], row["plugin"]
        print(f"| {name} | {s_rss:.1f} | {p_rss:.1f} | {p_rss / s_rss:.3f} | {s_sec:.2f} | "
              f"{p_sec:.2f} | {p_sec / s_sec:.2f} |")


if __name__ == "__main__":
    main()
