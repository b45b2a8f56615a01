#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the NEWMAIL heuristic on UDP costs where there is no Exchange:
tshark's instructions (callgrind) on ordinary UDP, stock against the plugin
(BENCHMARKS.md, "The UDP heuristic").

    PYTHONPATH=.:test /usr/bin/python3 bench/heuristic.py --plugin BUILD/newmail.so
        [--frames 50000] [--two-pass]

The capture is newmail_gen/heuristic.py --plain-udp: DNS, NTP and RTP among
hosts without Exchange, a third each (RTP has no port of its own, so UDP
offers it to every enabled heuristic, newmail_udp among them). tshark reads
it in one pass (or -2) under valgrind --tool=callgrind, through the tests'
sandbox (test/tshark_harness.py), once stock and once with the plugin; the
ratio of the two instruction counts is the figure the issue bounds (1.01).
"""

import argparse
import os
import re
import subprocess

import tshark_harness as tshark
from newmail_gen import heuristic


def instructions(path, plugin, two_pass):
    out = os.path.join(tshark.work_dir(), "callgrind.heuristic.%s.out"
                       % ("plugin" if plugin else "stock"))
    args = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
            tshark.tshark_path(), "-r", tshark.readable(path, in_place=True)]
    if two_pass:
        args.append("-2")
    argv, env = tshark.command(args, plugin)
    done = subprocess.run(argv, env=env, cwd=tshark.work_dir(), stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise SystemExit("callgrind failed: " + done.stderr.decode()[-2000:])
    with open(out, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    os.unlink(out)
    match = re.search(r"^summary:\s+(\d+)", text, re.M) or re.search(r"^totals:\s+(\d+)", text,
                                                                   re.M)
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--frames", type=int, default=50000)
    parser.add_argument("--two-pass", action="store_true")
    args = parser.parse_args()

    path = os.path.join(tshark.work_dir(), "plain-udp-%d.pcap" % args.frames)
    heuristic.write_plain_udp(args.frames, path)
    os.chmod(path, 0o644)
    tshark.use_plugin(args.plugin)
    stock = instructions(path, False, args.two_pass)
    mine = instructions(path, True, args.two_pass)
    print("| capture | mode | stock Ir | plugin Ir | plugin/stock |")
    print("|---|---|---:|---:|---:|")
    print("| %d DNS/NTP/RTP datagrams, no Exchange | %s | %s | %s | %.4f |"
          % (args.frames, "two passes" if args.two_pass else "one pass",
             f"{stock:,}", f"{mine:,}", mine / stock))


if __name__ == "__main__":
    main()
