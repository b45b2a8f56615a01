#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The captures of BENCHMARKS.md's "ROP objects and subscriptions" figures.

Usage: rop_objects.py N ok|fail OUT.pcap [reuse]

One EcDoRpcExt2 session of N calls; each releases the table the call before
made (RopRelease), makes a table (RopGetContentsTable) and sets two columns
(RopSetColumns). "ok": the ROPs succeed and each table gets a new handle
("reuse": always the same handle); "fail": the same calls answered with
failures, so no object is made (the baseline: same frames). Peak RSS of a
one-pass tshark over "ok" minus "fail", divided by N, is what the plugin keeps
per object.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from newmail_gen import captures as cg  # noqa: E402
from newmail_gen import rop as rb  # noqa: E402

COLUMNS = [rb.PID_TAG_MID, rb.PID_TAG_MESSAGE_FLAGS]


def main():
    count, ok, path = int(sys.argv[1]), sys.argv[2] == "ok", sys.argv[3]
    reuse = len(sys.argv) > 4 and sys.argv[4] == "reuse"
    with open(path, "wb") as fileobj:
        cap = cg.Capture(fileobj)
        session = cap.session()
        cap.connect_ex(session)
        for i in range(count):
            handle = 0x00010000 + (0 if reuse else i)
            previous = 0xFFFFFFFF if i == 0 else (handle if reuse else handle - 1)
            rq = [rb.rq_release(1), rb.rq_get_contents_table(0, 1), rb.rq_set_columns(1, COLUMNS)]
            if ok:
                rs = [rb.rop_get_contents_table(1, 5), rb.rop_set_columns(1)]
            else:
                rs = [rb.rop_failure(rb.ROP_GET_CONTENTS_TABLE, 1),
                      rb.rop_failure(rb.ROP_SET_COLUMNS, 1)]
            cap.fetch(session,
                      rgb_in=rb.RopBuffer([rb.Block(rops=rq, handles=(0x10, previous))]).data,
                      rgb_out=rb.RopBuffer([rb.Block(rops=rs, handles=(0x10, handle))]).data)


if __name__ == "__main__":
    main()
