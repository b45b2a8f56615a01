# SPDX-License-Identifier: GPL-2.0-or-later
"""The path a Wireshark without a built-in NEWMAIL takes.

Stock Wireshark 4.0 has a "newmail" protocol, so the plugin normally adopts it.
CMake also builds a variant (target newmail_own) that looks for the filter
name "newmailown", does not find it, and so registers the protocol, its port
preference, its Decode As entry and its fields itself (the payload field
under the protocol's name, the others under their written-out newmail.*
abbreviations). CTest runs this module
with NEWMAIL_PLUGIN pointing at that variant; everything here is what the
plugin must give users when it owns the protocol.
"""

import unittest

import tshark_harness as tshark

OWN = "newmailown"

# Decode As and the port preference for the "payloads" capture (port 40001).
HOW_TO_DECODE = [
    ("Decode As", ["-d", f"udp.port==40001,{OWN}"]),
    ("port preference", ["-o", f"{OWN}.udp.port:40001"]),
]


def protocols():
    stdout, _, _ = tshark.run(["-G", "protocols"])
    return [line.split("\t") for line in stdout.splitlines() if line]


class OwnProtocol(unittest.TestCase):
    def test_registers_its_own_protocol_beside_stock(self):
        names = {row[2]: row for row in protocols()}
        self.assertIn(OWN, names)
        self.assertIn("newmail", names, "stock's protocol is still there")
        self.assertEqual(sum(1 for row in protocols() if row[2] == OWN), 1)

    def test_registers_the_payload_field_itself(self):
        stdout, _, _ = tshark.run(["-G", "fields"])
        # -G fields: F, name, abbreviation, type, the protocol it belongs to, ...
        rows = [line.split("\t") for line in stdout.splitlines() if line.startswith("F\t")]
        fields_of_own = [row[2] for row in rows if row[4] == OWN]
        # The payload field is the protocol's own (stock has it under its own
        # name); the plugin's other fields keep their written-out newmail.*
        # abbreviations whatever the protocol is called.
        self.assertIn(f"{OWN}.notification_payload", fields_of_own)
        self.assertIn("newmail.payload_length", fields_of_own)

    def test_decode_as_and_preference_reach_the_dissector(self):
        for how, args in HOW_TO_DECODE:
            with self.subTest(how=how):
                rows = tshark.fields("payloads", ["newmail.payload_length", "_ws.col.Protocol"],
                                     display_filter=OWN, extra_args=args)
                manifest = tshark.manifest()["scenarios"]["payloads"]
                lengths = [str(n["length"]) for n in manifest["not_newmail"]
                           if n["length"] > 0]
                self.assertEqual([row[1] for row in rows], lengths)
                self.assertTrue(all(row[2] == "NEWMAIL" for row in rows), rows)

    def test_learns_ports_from_registrations(self):
        expected = tshark.manifest()["scenarios"]["basic_ipv4"]["newmail"]
        rows = tshark.fields("basic_ipv4", ["newmail.registration_frame", "newmail.sequence"],
                             display_filter=OWN)
        self.assertEqual(rows, [[str(n["frame"]), str(n["registration_frame"]),
                                 str(n["sequence"])] for n in expected])

    def test_statistics_tree_under_its_own_name(self):
        stdout, _, _ = tshark.run(["-r", tshark.capture("basic_ipv4"), "-q", "-z",
                                   f"{OWN},tree"])
        self.assertIn("192.0.2.10:50123", stdout)


if __name__ == "__main__":
    unittest.main()
