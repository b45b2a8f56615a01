#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run test/two_files.c's program the way the tests run tshark.

Usage: run_two_files.py TWO_FILES_BINARY CAPTURE_A CAPTURE_B [PORT]

epan_init() reads personal plugins and honours WIRESHARK_PLUGIN_DIR only in
a process without special privileges, so, like every tshark run of the tests,
the program runs through test/tshark_harness.py: clean environment, a
temporary HOME holding a copy of $NEWMAIL_PLUGIN, WIRESHARK_PLUGIN_DIR on a
folder without any newmail.so, uid/gid 65534 when this is root. The captures
are names from $NEWMAIL_CAPTURES (e.g. basic_ipv4) or paths. The program is
told which newmail.so must be mapped (the sandbox's copy) and fails otherwise.
Exit status: the program's, or 1 when it wrote anything to stderr.
"""

import os
import shutil
import sys

import tshark_harness as harness


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    binary, capture_a, capture_b = argv[:3]
    # A copy uid 65534 can execute, whatever the build folder's permissions.
    program = os.path.join(os.path.dirname(harness.readable(binary)), "two_files")
    shutil.copyfile(binary, program)
    os.chmod(program, 0o755)
    captures = []
    for name in (capture_a, capture_b):
        captures.append(harness.readable(name) if os.sep in name else harness.capture(name))
    out, err, rc = harness.run_program(
        [program, "--expect-plugin", harness.installed_plugin_path()] + captures + argv[3:],
        check=False)
    sys.stdout.write(out)
    if err:
        sys.stdout.write("stderr (must be empty):\n" + err)
    if harness.runs_unprivileged():
        print("(run as uid/gid 65534 through setpriv: root would load no personal plugin)")
    return rc if rc else (1 if err else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
