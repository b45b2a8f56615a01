# SPDX-License-Identifier: GPL-2.0-or-later
"""The NEWMAIL heuristic on UDP (issue 17): datagrams whose registration is
not in the capture.

The captures and what each must show come from newmail_gen/heuristic.py
($NEWMAIL_HEURISTIC_CAPTURES/heuristic.json):

  capture                  what it holds                      claimed
  heur_bind_elsewhere      another client's bind to EMSMDB    the datagram; fetch =
                           on the endpoint; this client       the client's next
                           mid-stream from port 1153          segment (ANSI C12.22)
                           (ANSI C12.22)
  heur_exchange55          the server's DCE/RPC responses     the datagram; fetch =
                           (interface unknown) before it      the request 6 ms later
  heur_repeats             three datagrams 60 s apart, no     all three; the 2nd and
                           fetch between                      3rd not fetched
  heur_small_business      DNS, NTP, CLDAP, NetBIOS,          only the last datagram
                           Kerberos, syslog, RTP/RTCP from
                           the same server
  heur_registered          the client's registration          not by the heuristic:
                           captured; 8 bytes to another port  the registered port only
  heur_late_evidence       the datagram first, the evidence   two passes only
                           after it
  heur_no_rpc              TCP between the pair that is not   nothing
                           DCE/RPC
  harmless_*               ordinary UDP without Exchange      nothing; -V as stock

Every claim is checked in one pass and in two (-2), and with the heuristic
switched off (--disable-heuristic newmail_udp), which claims nothing.
"""

import json
import os
import re
import unittest

import tshark_harness as tshark

MODES = (("one pass", False), ("two passes", True))
DISABLE = ("--disable-heuristic", "newmail_udp")


def captures_dir():
    folder = os.environ.get("NEWMAIL_HEURISTIC_CAPTURES")
    if not folder:
        raise unittest.SkipTest("NEWMAIL_HEURISTIC_CAPTURES is not set")
    return folder


_manifest = None


def manifest():
    global _manifest
    if _manifest is None:
        with open(os.path.join(captures_dir(), "heuristic.json")) as fileobj:
            _manifest = json.load(fileobj)
    return _manifest


def path(name):
    return os.path.join(captures_dir(), name)


def scenarios():
    return {name: entry for name, entry in manifest().items() if not entry.get("harmless")}


def rows(name, columns, two_pass, extra_args=(), display_filter=None):
    """{frame: {column: value}} for every frame (or those the filter keeps)."""
    out = {}
    for row in tshark.fields(path(name), columns, display_filter=display_filter,
                             extra_args=extra_args, two_pass=two_pass):
        out[int(row[0])] = dict(zip(columns, row[1:]))
    return out


COLUMNS = ["frame.protocols", "newmail.heuristic.evidence_frame",
           "newmail.heuristic.server_port", "newmail.heuristic.connection_frame",
           "newmail.signal", "newmail.fetch_frame", "newmail.fetch_delay",
           "newmail.unfetched_signal_frame", "newmail.registration_frame",
           "_ws.expert.message"]


def is_newmail(row):
    return "newmail" in row["frame.protocols"].split(":")


def claimed(name, two_pass, extra_args=()):
    """The frames the heuristic claimed: {frame: row}."""
    return {frame: row for frame, row in rows(name, COLUMNS, two_pass, extra_args).items()
            if row["newmail.heuristic.evidence_frame"]}


class Registration(unittest.TestCase):
    """The heuristic is listed and can be switched off."""

    def test_listed_enabled(self):
        stdout, _, _ = tshark.run(["-G", "heuristic-decodes"])
        lines = [line.split("\t") for line in stdout.splitlines()]
        self.assertIn(["udp", "newmail", "T"], [line[:3] for line in lines])

    def test_disabled_claims_nothing(self):
        # Every capture in one pass; in two passes the one with the most
        # claims when enabled (whether a heuristic is called is Wireshark's
        # choice, made the same way in each pass; heur_registered's second
        # pass comes with the test below).
        most = max(scenarios().items(), key=lambda item: len(item[1]["claimed"]))[0]
        for name in sorted(scenarios()):
            for mode, two_pass in MODES:
                if two_pass and name != most:
                    continue
                with self.subTest(capture=name, mode=mode):
                    self.assertEqual(claimed(name, two_pass, DISABLE), {})

    def test_disabled_leaves_registered_clients_as_before(self):
        entry = scenarios()["heur_registered.pcap"]
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                got = rows("heur_registered.pcap", COLUMNS, two_pass, DISABLE)
                self.assertTrue(is_newmail(got[entry["registered"]]))


class Claims(unittest.TestCase):
    """What is claimed, on what evidence, in one pass and in two."""

    def test_exactly_the_expected_frames(self):
        for name, entry in sorted(scenarios().items()):
            for mode, two_pass in MODES:
                expected = dict(entry["claimed"])
                if two_pass:
                    expected.update(entry.get("two_pass_only", {}))
                with self.subTest(capture=name, mode=mode):
                    got = claimed(name, two_pass)
                    self.assertEqual(sorted(got), sorted(int(f) for f in expected))
                    for frame, why in expected.items():
                        row = got[int(frame)]
                        self.assertEqual(int(row["newmail.heuristic.evidence_frame"]),
                                         why["evidence"])
                        self.assertEqual(int(row["newmail.heuristic.server_port"]),
                                         why["server_port"])

    def test_nothing_else_is_newmail(self):
        for name, entry in sorted(scenarios().items()):
            for mode, two_pass in MODES:
                got = rows(name, COLUMNS, two_pass)
                with self.subTest(capture=name, mode=mode):
                    self.assertEqual(len(got), entry["frames"])
                    for frame in entry["not_claimed"]:
                        self.assertFalse(is_newmail(got[frame]), f"frame {frame}")
                    allowed = {int(f) for f in entry["claimed"]}
                    if two_pass:
                        allowed |= {int(f) for f in entry.get("two_pass_only", {})}
                    if "registered" in entry:
                        allowed.add(entry["registered"])
                    udp_newmail = {frame for frame, row in got.items()
                                   if is_newmail(row) and ":udp:" in row["frame.protocols"]}
                    self.assertEqual(udp_newmail, allowed)

    def test_expert_note_names_the_evidence(self):
        for name, entry in sorted(scenarios().items()):
            for mode, two_pass in MODES:
                for frame, row in claimed(name, two_pass).items():
                    with self.subTest(capture=name, mode=mode, frame=frame):
                        evidence = row["newmail.heuristic.evidence_frame"]
                        port = row["newmail.heuristic.server_port"]
                        self.assertRegex(
                            row["_ws.expert.message"],
                            r"No registration of this client in the capture; taken as NEWMAIL"
                            r" because the sender serves (EMSMDB|DCE/RPC) on TCP port %s"
                            r" \(frame %s\)" % (port, evidence))

    def test_a_claim_is_a_signal(self):
        for name in sorted(scenarios()):
            for mode, two_pass in MODES:
                for frame, row in claimed(name, two_pass).items():
                    with self.subTest(capture=name, mode=mode, frame=frame):
                        self.assertEqual(row["newmail.signal"], "1")
                        self.assertEqual(row["newmail.registration_frame"], "")

    def test_bind_elsewhere_says_emsmdb(self):
        got = rows("heur_bind_elsewhere.pcap", ["newmail.heuristic.emsmdb"], True,
                   display_filter="newmail.heuristic.evidence_frame")
        self.assertEqual([row["newmail.heuristic.emsmdb"] in ("1", "True")
                          for row in got.values()], [True])

    def test_registered_client_keeps_its_port(self):
        entry = scenarios()["heur_registered.pcap"]
        for mode, two_pass in MODES:
            got = rows("heur_registered.pcap", COLUMNS, two_pass)
            with self.subTest(mode=mode):
                registered = got[entry["registered"]]
                self.assertTrue(is_newmail(registered))
                self.assertNotEqual(registered["newmail.registration_frame"], "")
                self.assertEqual(registered["newmail.heuristic.evidence_frame"], "")
                for frame in entry["not_claimed"]:
                    self.assertFalse(is_newmail(got[frame]))


class Fetches(unittest.TestCase):
    """A claimed datagram is linked to the client's next request to the
    server's endpoint, however Wireshark decodes that connection."""

    def test_fetch_frame_in_two_passes(self):
        for name, entry in sorted(scenarios().items()):
            got = claimed(name, True)
            for frame, fetch in entry["fetch"].items():
                with self.subTest(capture=name, frame=frame):
                    self.assertEqual(int(got[int(frame)]["newmail.fetch_frame"]), fetch)
                    self.assertNotEqual(got[int(frame)]["newmail.fetch_delay"], "")

    def test_fetch_shows_the_signal_it_answers(self):
        # The filter is typed as a user types it on the capture with the most
        # fetches (and on one with none), the rows of the others are read
        # from their shared runs.
        typed = {max(scenarios().items(), key=lambda item: len(item[1]["fetch"]))[0],
                 min(scenarios().items(), key=lambda item: len(item[1]["fetch"]))[0]}
        for name, entry in sorted(scenarios().items()):
            answered = {}
            for frame, fetch in sorted(entry["fetch"].items(), key=lambda i: int(i[0])):
                answered.setdefault(fetch, []).append(int(frame))
            for mode, two_pass in MODES:
                columns = ["newmail.signal_frame", "newmail.signals_answered"]
                got = {frame: row for frame, row in rows(name, columns, two_pass).items()
                       if row["newmail.signal_frame"]}
                with self.subTest(capture=name, mode=mode):
                    self.assertEqual(sorted(got), sorted(answered))
                    if two_pass and name in typed:
                        # The filter as a user types it finds the same frames.
                        self.assertEqual(sorted(rows(name, columns, two_pass,
                                                     display_filter="newmail.signal_frame")),
                                         sorted(answered))
                    for fetch, signals in answered.items():
                        self.assertEqual(int(got[fetch]["newmail.signal_frame"]), signals[0])
                        self.assertEqual(int(got[fetch]["newmail.signals_answered"]),
                                         len(signals))

    def test_repeats_not_fetched(self):
        for name, entry in sorted(scenarios().items()):
            for mode, two_pass in MODES:
                got = claimed(name, two_pass)
                flagged = sorted(frame for frame, row in got.items()
                                 if "Signalled again" in row["_ws.expert.message"])
                with self.subTest(capture=name, mode=mode):
                    self.assertEqual(flagged, sorted(entry["not_fetched"]))
                    for frame in flagged:
                        self.assertNotEqual(got[frame]["newmail.unfetched_signal_frame"], "")

    def test_statistics_count_signals_and_fetches(self):
        for mode, two_pass in MODES:
            args = ["-r", tshark.readable(path("heur_repeats.pcap")), "-q",
                    "-z", "newmail,tree"]
            if two_pass:
                args.insert(2, "-2")
            stdout, _, _ = tshark.run(args)
            counts = {m.group(1).strip(): int(m.group(2))
                      for m in re.finditer(r"^\s*(\S[^\d]*?)\s{2,}(\d+)", stdout, re.M)}
            with self.subTest(mode=mode):
                self.assertEqual(counts.get("UDP push notifications"), 3)
                self.assertEqual(counts.get("Not fetched"), 2)
                self.assertEqual(counts.get("Fetched"), 1)


class DoNoHarm(unittest.TestCase):
    """Ordinary UDP of networks without Exchange: no NEWMAIL, and tshark -V
    prints exactly what stock prints."""

    def harmless(self):
        names = sorted(name for name, entry in manifest().items() if entry.get("harmless"))
        self.assertTrue(names)
        return names

    def test_no_newmail(self):
        for name in self.harmless():
            for mode, two_pass in MODES:
                with self.subTest(capture=name, mode=mode):
                    got = rows(name, ["frame.protocols"], two_pass)
                    self.assertTrue(got)
                    self.assertEqual([f for f, row in got.items() if is_newmail(row)], [])

    def test_verbose_output_as_stock(self):
        for name in self.harmless():
            for mode, two_pass in MODES:
                args = ["-r", tshark.readable(path(name)), "-V"]
                if two_pass:
                    args.append("-2")
                mine, _, _ = tshark.run(args)
                stock, _, _ = tshark.run(args, plugin=False)
                with self.subTest(capture=name, mode=mode):
                    self.assertTrue(mine)
                    self.assertEqual(mine, stock)


if __name__ == "__main__":
    unittest.main()
