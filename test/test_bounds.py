# SPDX-License-Identifier: GPL-2.0-or-later
"""Bounded decoding: what a small crafted ROP buffer may cost, and cut frames.

Each EcDoRpcExt2 response below is built here, byte by byte, from MS-OXCRPC
2.2.2.1 (RPC_HEADER_EXT) and MS-XCA 2.4.4 (Plain LZ77), and written as a whole
session (bind, EcDoRpcExt2 request with its pcbOut, response) so that tshark
reads it as a user's capture:

- a chain of 3,000 Compressed blocks, none Last, each an 11-byte stream that
  really expands to 65,535 bytes (196 MB if every block were decoded);
- 8,000 empty blocks that each claim SizeActual 0xFFFF;
- 8,000 empty blocks that claim nothing (every block is valid alone: only
  the bound on what one buffer adds to the tree stops them);
- the chain again behind a request whose pcbOut allows 100,000 bytes;
- a MAPI/HTTP Execute response whose 1 MB RopBuffer is that chain.

The plugin must decode no more than the request allowed (0x40000 when the
capture does not say), say so with newmail.rop_buffer.over_budget, add no
more than 2,048 blocks, ROPs and handles to the tree, and print nothing on
stderr (no "Dissector bug", no tree-item limit). docs/architecture.md,
"Bounded decoding", says why; BENCHMARKS.md has the memory and time figures.

A frame cut by the capture's snap length is Wireshark's "Packet size limited
during capture", not a malformed stub (docs/architecture.md, same section).
"""

import os
import subprocess
import unittest

import tshark_harness as tshark
from newmail_gen.bounds import BUFFERS, expanding_block, write_capture, write_mapihttp_capture

def response_experts(path, display_filter="dcerpc.pkt_type == 2 && dcerpc.opnum == 11"):
    """The expert infos of the response, and its block count."""
    packets = tshark.pdml(path, display_filter)
    assert len(packets) == 1, f"one response expected, {len(packets)} found"
    blocks = sum(1 for f in packets[0].iter("field") if f.get("name") == "newmail.rpc_header_ext")
    return tshark.expert_infos(packets[0]), blocks


class BoundedBuffers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.paths = {}
        for name, rgb_out in BUFFERS.items():
            cls.paths[name] = write_capture(os.path.join(tshark.work_dir(), name + ".pcap"),
                                            rgb_out)
        cls.paths["bomb_chain_pcbout"] = write_capture(
            os.path.join(tshark.work_dir(), "bomb_chain_pcbout.pcap"), BUFFERS["bomb_chain"],
            pcb_out=100000)
        cls.paths["mapihttp_chain"] = write_mapihttp_capture(
            os.path.join(tshark.work_dir(), "mapihttp_chain.pcap"),
            expanding_block() * (1_000_000 // 19))

    def over_budget(self, experts):
        return [e for e in experts if e["abbrev"] == "newmail.rop_buffer.over_budget"]

    def test_chain_stops_at_the_default_budget(self):
        experts, blocks = response_experts(self.paths["bomb_chain"])
        # Four blocks of 65,535 fit in 0x40000; the fifth is refused whole.
        self.assertEqual(blocks, 5)
        found = self.over_budget(experts)
        self.assertEqual(len(found), 1, experts)
        self.assertIn("262144 bytes the protocol allows", found[0]["message"])
        self.assertEqual(found[0]["severity"], "error")

    def test_chain_stops_at_the_requests_pcbout(self):
        experts, blocks = response_experts(self.paths["bomb_chain_pcbout"])
        self.assertEqual(blocks, 2)
        found = self.over_budget(experts)
        self.assertEqual(len(found), 1, experts)
        self.assertIn("100000 bytes the request's pcbOut allows", found[0]["message"])

    def test_execute_response_stops_at_the_budget(self):
        experts, blocks = response_experts(self.paths["mapihttp_chain"],
                                           "mapihttp.rop_buffer_size > 900000")
        # The request's MaxRopOut is 0x40000: the same four blocks fit.
        self.assertEqual(blocks, 5)
        self.assertEqual(len(self.over_budget(experts)), 1, experts)

    def test_empty_blocks_count_what_they_claim(self):
        experts, blocks = response_experts(self.paths["empty_claiming"])
        self.assertEqual(blocks, 5)
        self.assertEqual(len(self.over_budget(experts)), 1)

    def test_tree_entries_are_bounded(self):
        experts, blocks = response_experts(self.paths["empty_blocks"])
        self.assertEqual(blocks, 2048)
        too_many = [e for e in experts if e["abbrev"] == "newmail.rop_buffer.too_many"]
        self.assertEqual(len(too_many), 1, experts)
        self.assertIn("more than 2048", too_many[0]["message"])

    def test_verbose_output_is_clean(self):
        # tshark.run fails the test on any stderr output or a non-zero exit.
        for name, path in self.paths.items():
            with self.subTest(capture=name):
                stdout, _, _ = tshark.run(["-r", tshark.readable(path), "-V"])
                self.assertNotIn("Dissector bug", stdout)
                self.assertNotIn("would put more than", stdout)
                self.assertIn("RPC_HEADER_EXT", stdout)


class CutFrames(unittest.TestCase):
    """examples/rpc-session.pcap cut to 160 bytes a frame: what the capture
    did not keep is the capture's doing, not the sender's. DCE/RPC itself
    marks such frames "Packet size limited during capture" and hands no cut
    stub on; the plugin adds no malformed-stub expert to any frame, and the
    frames that were kept whole still decode (the registration, 144 bytes)."""

    @classmethod
    def setUpClass(cls):
        example = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                               "examples", "rpc-session.pcap")
        cls.cut = os.path.join(tshark.work_dir(), "rpc-session-cut.pcap")
        subprocess.run(["editcap", "-s", "160", example, cls.cut], check=True,
                       stdout=subprocess.DEVNULL)

    def test_cut_frames_are_shown_as_cut_not_malformed(self):
        stdout, _, _ = tshark.run(["-r", tshark.readable(self.cut), "-V"])
        self.assertIn("Packet size limited during capture", stdout)
        for packet in tshark.pdml(self.cut):
            for info in tshark.expert_infos(packet):
                self.assertFalse(info["abbrev"] and info["abbrev"].startswith("newmail.") and
                                 info["group"] == "malformed", info)

    def test_whole_frames_still_decode(self):
        rows = tshark.fields(self.cut, ["newmail.callback.port"], "newmail.register")
        self.assertIn("50123", [row[1] for row in rows])


if __name__ == "__main__":
    unittest.main()
