# SPDX-License-Identifier: GPL-2.0-or-later
"""Outlook Anywhere: RPC over HTTP v2 (MS-RPCH, issue 17).

The captures come from newmail_gen/rpch.py: $NEWMAIL_RPCH_CAPTURES holds the
plain ones and manifest.json (each capture's frames by role), and
$NEWMAIL_RPCH_TLS_CAPTURES the live TLS + NTLM capture and its key log (or
unavailable.txt where Linux refuses the network namespace: those tests skip).

One virtual connection: OUT channel (CONN/A1), IN channel (CONN/B1), the
server's CONN/A3 and CONN/C2, then bind, EcDoConnectEx,
EcRRegisterPushNotification, a NEWMAIL datagram and the EcDoRpcExt2 that
fetches its RopNotify, requests on IN and responses on OUT. Every such
capture is read in one pass and in two and must show what a single TCP
connection would: DCE/RPC pairs each response (OUT) with its request (IN),
the datagram is tied to its registration and (two passes) to the fetch, and
the fetch's response carries the RopNotify.

tshark runs (cached by the harness), 18 in all: -T fields of rpch_plain,
rpch_split, rpch_split_in, rpch_orphan and rpch_tls in one and two passes, of rpch_two_vcs
and rpch_recycled in two, of rpch_bad and rpch_cut_body in one, rpch_plain
with the heuristic off; -V of rpch_late with and without the plugin, two
passes; -G fields once.
"""

import json
import os
import unittest

import tshark_harness as tshark

MODES = (("one pass", False), ("two passes", True))
COLUMNS = ["frame.protocols", "udp.srcport", "tcp.srcport", "tcp.dstport", "dcerpc.pkt_type",
           "dcerpc.cn_call_id", "dcerpc.opnum", "dcerpc.request_in", "dcerpc.response_in",
           "newmail.rpch.vc", "newmail.rpch.channel", "newmail.rpch.rts",
           "newmail.registration_frame", "newmail.fetch_frame", "newmail.notify.message_id",
           "newmail.rpch.malformed", "newmail.rpch.not_dcerpc", "newmail.rpch.not_reassembled"]
PKT_REQUEST, PKT_RESPONSE = "0", "2"
OPNUM_CONNECT_EX, OPNUM_REGISTER, OPNUM_RPC_EXT2 = "10", "4", "11"
# newmail.rpch.rts (rpch_pdu_vals)
RTS_CONN_A1, RTS_CONN_A3, RTS_CONN_B1, RTS_IN_RECYCLE, RTS_OUT_RECYCLE = "1", "2", "3", "5", "6"
CHANNEL_IN, CHANNEL_OUT = "1", "2"           # newmail.rpch.channel
NEW_MAIL_MESSAGE_ID = "0x4f00000000000c01"    # newmail_gen/rpch.py MESSAGE_ID
VC_CAPTURES = ("rpch_plain", "rpch_split")


def folder(variable):
    path = os.environ.get(variable)
    if not path:
        raise unittest.SkipTest(f"{variable} is not set")
    return path


def manifest():
    def make():
        with open(os.path.join(folder("NEWMAIL_RPCH_CAPTURES"), "manifest.json"),
                  encoding="utf-8") as handle:
            return json.load(handle)
    return tshark.cached("rpch manifest", make)


def plain(name):
    return os.path.join(folder("NEWMAIL_RPCH_CAPTURES"), name + ".pcap")


def tls_capture():
    """(pcapng path, extra tshark arguments), or a skip with the generator's reason."""
    path = folder("NEWMAIL_RPCH_TLS_CAPTURES")
    unavailable = os.path.join(path, "unavailable.txt")
    if os.path.exists(unavailable):
        with open(unavailable, encoding="utf-8") as handle:
            raise unittest.SkipTest(handle.read().strip())
    keylog = tshark.readable(os.path.join(path, "rpch_tls.keys"))
    return os.path.join(path, "rpch_tls.pcapng"), ("-o", "tls.keylog_file:" + keylog)


def rows(path, two_pass, extra_args=()):
    """{frame: {column: value}} of every frame."""
    return {int(row[0]): dict(zip(COLUMNS, row[1:]))
            for row in tshark.fields(path, COLUMNS, extra_args=extra_args, two_pass=two_pass)}


def frames(values):
    """The set of frame numbers a link field holds (DCE/RPC may add it twice)."""
    return {int(v) for v in values.split(",") if v}


def calls(got):
    """{(call id, opnum): {"request": frame, "response": frame}} of the DCE/RPC calls.
    A request in several segments is at the frame that completes it."""
    found = {}
    opnums = {}
    for frame, row in sorted(got.items()):
        if row["dcerpc.pkt_type"] == PKT_REQUEST:
            opnums[row["dcerpc.cn_call_id"]] = row["dcerpc.opnum"]
            found.setdefault((row["dcerpc.cn_call_id"], row["dcerpc.opnum"]), {})["request"] = frame
    for frame, row in sorted(got.items()):
        if row["dcerpc.pkt_type"] == PKT_RESPONSE:
            call_id = row["dcerpc.cn_call_id"]
            found.setdefault((call_id, opnums.get(call_id)), {})["response"] = frame
    return found


def call_of(found, opnum):
    matches = [call for (_, op), call in found.items() if op == opnum]
    if len(matches) != 1:
        raise AssertionError(f"expected one call of opnum {opnum}, found {found}")
    return matches[0]


class VirtualConnection:
    """The checks every capture of one whole VC must pass (mixed into the classes below)."""

    def capture(self):
        raise NotImplementedError

    def expected_frames(self):
        """The manifest's frames by role, or None (a live capture)."""
        return None

    def test_channels_are_one_virtual_connection(self):
        path, extra = self.capture()
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                got = rows(path, two_pass, extra)
                b1 = [f for f, r in got.items() if r["newmail.rpch.rts"] == RTS_CONN_B1]
                a1 = [f for f, r in got.items() if r["newmail.rpch.rts"] == RTS_CONN_A1]
                self.assertEqual((len(a1), len(b1)), (1, 1))
                in_port, out_port = got[b1[0]]["tcp.srcport"], got[a1[0]]["tcp.srcport"]
                self.assertNotEqual(in_port, out_port)
                for frame, row in got.items():
                    # Binds and calls; an RTS PDU of no channel (rpch_orphan)
                    # is DCE/RPC's alone.
                    if not set(row["dcerpc.pkt_type"].split(",")) & {"0", "2", "11", "12"}:
                        continue
                    # Every DCE/RPC PDU is the VC's: requests from the IN
                    # channel's client port, responses to the OUT channel's.
                    # (one value per PDU: B1 and a bind share a frame)
                    self.assertEqual(set(row["newmail.rpch.vc"].split(",")), {"1"},
                                     f"frame {frame}")
                    if row["dcerpc.pkt_type"] == PKT_REQUEST:
                        self.assertEqual(row["tcp.srcport"], in_port, f"frame {frame}")
                        self.assertEqual(set(row["newmail.rpch.channel"].split(",")),
                                         {CHANNEL_IN})
                    elif row["dcerpc.pkt_type"] == PKT_RESPONSE:
                        self.assertEqual(row["tcp.dstport"], out_port, f"frame {frame}")
                        self.assertEqual(set(row["newmail.rpch.channel"].split(",")),
                                         {CHANNEL_OUT})

    def test_requests_pair_with_responses_across_channels(self):
        path, extra = self.capture()
        expected = self.expected_frames()
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                got = rows(path, two_pass, extra)
                found = calls(got)
                for opnum, role in ((OPNUM_CONNECT_EX, "connect"), (OPNUM_REGISTER, "register"),
                                    (OPNUM_RPC_EXT2, "fetch")):
                    call = call_of(found, opnum)
                    if expected:
                        self.assertEqual(call["request"], expected[role + "_request"][-1])
                        self.assertEqual(call["response"], expected[role + "_response"][-1])
                    self.assertEqual(frames(got[call["response"]]["dcerpc.request_in"]),
                                     {call["request"]}, f"opnum {opnum}")
                    if two_pass:
                        self.assertEqual(frames(got[call["request"]]["dcerpc.response_in"]),
                                         {call["response"]}, f"opnum {opnum}")

    def test_notification_is_tied_to_registration_and_fetch(self):
        path, extra = self.capture()
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                got = rows(path, two_pass, extra)
                found = calls(got)
                register = call_of(found, OPNUM_REGISTER)["request"]
                fetch = call_of(found, OPNUM_RPC_EXT2)
                datagrams = [f for f, r in got.items() if r["udp.srcport"]]
                self.assertEqual(len(datagrams), 1)
                row = got[datagrams[0]]
                self.assertIn(":newmail", row["frame.protocols"])
                self.assertEqual(row["newmail.registration_frame"], str(register))
                if two_pass:
                    self.assertEqual(row["newmail.fetch_frame"], str(fetch["request"]))
                self.assertEqual(got[fetch["response"]]["newmail.notify.message_id"],
                                 NEW_MAIL_MESSAGE_ID)


class Plain(VirtualConnection, unittest.TestCase):
    """rpch_plain: plain HTTP, one PDU per segment."""
    name = "rpch_plain"

    def capture(self):
        return plain(self.name), ()

    def expected_frames(self):
        return manifest()["captures"][self.name]["frames"]

    def test_heuristic_off_is_stock(self):
        got = rows(plain(self.name), False, ("--disable-heuristic", "newmail_rpch_http"))
        self.assertFalse(any(r["newmail.rpch.vc"] or r["dcerpc.request_in"]
                             for r in got.values()))


class Split(VirtualConnection, unittest.TestCase):
    """rpch_split: the bind behind B1 in one HTTP body; EcDoConnectEx's request
    in 2 segments and its response in 3."""
    name = "rpch_split"

    def capture(self):
        return plain(self.name), ()

    def expected_frames(self):
        return manifest()["captures"][self.name]["frames"]

    def test_bind_behind_b1_is_decoded(self):
        b1 = self.expected_frames()["b1"][0]
        row = rows(plain(self.name), False)[b1]
        self.assertEqual(row["newmail.rpch.rts"].split(",")[0], RTS_CONN_B1)
        self.assertIn("11", row["dcerpc.pkt_type"].split(","))   # bind


    def test_response_header_alone_then_a3(self):
        expected = self.expected_frames()
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                got = rows(plain(self.name), two_pass)
                header = got[expected["a3_header"][0]]
                self.assertTrue(header["frame.protocols"].endswith(":http"),
                                header["frame.protocols"])
                self.assertEqual(got[expected["a3"][0]]["newmail.rpch.rts"], RTS_CONN_A3)


class SplitIn(VirtualConnection, unittest.TestCase):
    """rpch_split_in: the RPC_IN_DATA header in a segment of its own, as
    rpcrt4 over WinHTTP sends it; HTTP does not wait for its 1 GiB body and
    hands B1 to no one. The plugin takes the connection over from the frame
    after the header, and B1 (with the bind behind it) names the VC."""
    name = "rpch_split_in"

    def capture(self):
        return plain(self.name), ()

    def expected_frames(self):
        return manifest()["captures"][self.name]["frames"]

    def test_header_is_http_and_b1_opens_the_in_channel(self):
        expected = self.expected_frames()
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                got = rows(plain(self.name), two_pass)
                header = got[expected["b1_header"][0]]
                self.assertTrue(header["frame.protocols"].endswith(":tcp:http"),
                                header["frame.protocols"])
                self.assertEqual(header["newmail.rpch.vc"], "")
                b1 = got[expected["b1"][0]]
                self.assertEqual(b1["newmail.rpch.rts"], RTS_CONN_B1)
                self.assertEqual(b1["dcerpc.pkt_type"].split(","), ["20", "11"])  # B1, bind
                self.assertEqual(set(b1["newmail.rpch.channel"].split(",")), {CHANNEL_IN})


class Orphan(VirtualConnection, unittest.TestCase):
    """rpch_orphan: an RTS body of no channel (a 200 with CONN/A3 whose A1 the
    capture missed) goes to DCE/RPC as without the plugin, and the plugin
    still takes the VC after it: DCE/RPC's heuristic, had it taken that body
    from HTTP's list, would be tried first for every later body."""

    def capture(self):
        return plain("rpch_orphan"), ()

    def expected_frames(self):
        return manifest()["captures"]["rpch_orphan"]["frames"]

    def test_orphan_a3_is_dcerpc_alone(self):
        row = rows(plain("rpch_orphan"), False)[self.expected_frames()["orphan_a3"][0]]
        self.assertEqual(row["dcerpc.pkt_type"], "20")
        self.assertEqual(row["newmail.rpch.vc"], "")


class Recycled(unittest.TestCase):
    """rpch_recycled: both channels replaced (IN_R1/A1 and OUT_R1/A3 on new
    connections); a call on the new IN channel pairs with its response on the
    new OUT channel."""

    def test_call_pairs_across_recycled_channels(self):
        expected = manifest()["captures"]["rpch_recycled"]["frames"]
        got = rows(plain("rpch_recycled"), True)
        request = expected["register_request"][0]
        response = expected["register_response"][0]
        self.assertEqual(frames(got[response]["dcerpc.request_in"]), {request})
        self.assertEqual(frames(got[request]["dcerpc.response_in"]), {response})
        for role, channel in (("in_recycle", CHANNEL_IN), ("out_recycle", CHANNEL_OUT),
                              ("register_request", CHANNEL_IN),
                              ("register_response", CHANNEL_OUT)):
            row = got[expected[role][0]]
            self.assertEqual((row["newmail.rpch.vc"], row["newmail.rpch.channel"]),
                             ("1", channel), role)
        self.assertEqual(got[expected["in_recycle"][0]]["newmail.rpch.rts"], RTS_IN_RECYCLE)
        self.assertEqual(got[expected["out_recycle"][0]]["newmail.rpch.rts"], RTS_OUT_RECYCLE)


class TwoVcs(unittest.TestCase):
    """rpch_two_vcs: two VCs of one client, interleaved, the same call ids on
    both: each response pairs with the request of its own VC."""

    def test_calls_pair_within_their_vc(self):
        expected = manifest()["captures"]["rpch_two_vcs"]["frames"]
        got = rows(plain("rpch_two_vcs"), True)
        for vc in ("1", "2"):
            request = expected["connect_request." + vc][0]
            response = expected["connect_response." + vc][0]
            self.assertEqual(got[request]["newmail.rpch.vc"], vc)
            self.assertEqual(got[response]["newmail.rpch.vc"], vc)
            self.assertEqual(frames(got[response]["dcerpc.request_in"]), {request})
            self.assertEqual(frames(got[request]["dcerpc.response_in"]), {response})


class Tls(VirtualConnection, unittest.TestCase):
    """rpch_tls: rpch_split's virtual connection over two TLS connections to
    :443 (the RPC_IN_DATA header and B1, the 200 header and A3, in separate
    records), NTLM's 401 round trip on each, read with the key log."""

    def capture(self):
        return tls_capture()

    def test_ntlm_round_trips_stay_http(self):
        path, extra = self.capture()
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                got = rows(path, two_pass, extra)
                ntlm = [f for f, r in got.items() if ":ntlmssp" in r["frame.protocols"]]
                self.assertEqual(len(ntlm), 6, "negotiate, challenge, authenticate per channel")
                for frame in ntlm:
                    self.assertIn(":http", got[frame]["frame.protocols"])


class BadInput(unittest.TestCase):
    """Malformed PDUs get an expert on their frame; nothing crashes (the
    harness fails a run with any stderr or a non-zero exit)."""

    def test_malformed_pdus_on_a_channel(self):
        expected = manifest()["captures"]["rpch_bad"]["frames"]
        got = rows(plain("rpch_bad"), False)
        # One expert per problem: NumberOfCommands too big, a command cut.
        self.assertEqual(got[expected["too_many_commands"][0]]["newmail.rpch.malformed"], "1,1")
        self.assertEqual(got[expected["short_frag"][0]]["newmail.rpch.not_dcerpc"], "1")
        # frag_length 65535 past the end of the capture: waits for bytes that never come.
        self.assertFalse(got[expected["huge_frag"][0]]["dcerpc.pkt_type"])

    def test_pdu_cut_by_the_http_body(self):
        expected = manifest()["captures"]["rpch_cut_body"]["frames"]
        got = rows(plain("rpch_cut_body"), False)
        self.assertEqual(got[expected["b1"][0]]["newmail.rpch.not_reassembled"], "1")
        self.assertEqual(got[expected["b1"][0]]["newmail.rpch.rts"], RTS_CONN_B1)


class DoNoHarm(unittest.TestCase):
    """Without a CONN/A1 or CONN/B1 in an HTTP body nothing is taken over: a
    VC whose A1 and B1 are not in the capture, ordinary HTTP, and an
    RPC_IN_DATA header sent alone whose next bytes are no B1 (the plugin
    takes the connection and gives it back), decode exactly as stock."""

    def check_unchanged(self, name):
        args = ["-r", tshark.readable(plain(name)), "-2", "-V"]
        ours, _, _ = tshark.run(args)
        stock, _, _ = tshark.run(args, plugin=False)
        self.assertEqual(ours, stock)

    def test_capture_started_after_a1_and_b1_then_ordinary_http(self):
        self.check_unchanged("rpch_late")


if __name__ == "__main__":
    unittest.main()
