# SPDX-License-Identifier: GPL-2.0-or-later
"""The MAPI hook adds and never changes: with the plugin, the stock DCE/RPC and
MAPI decode of every frame whose opnum stock knows is what stock tshark shows,
the plugin's subtree (newmail.register / newmail.unregister on opnums 4 and 5,
newmail.session on the other session calls it reads: 0, 1, 2, 10, 11, 14)
sits after the stock MAPI fields and nowhere else, and every frame that is
neither a NEWMAIL notification, nor an ICMP error quoting one, nor a call the
plugin reads decodes exactly as without the plugin. (Opnums stock does not
know, 10, 11 and 14 on Wireshark 4.0, get their name from the plugin, and
AsyncEMSMDB, which no Wireshark decodes, its protocol: their DCE/RPC trees
cannot be stock's.)

Compared per frame through PDML: name, showname, show, value, pos and size of
every element, in tree order. Each capture is read once with the plugin and
once without (one pass; mapi_opnums also in two passes), cached per process.
Which frames are calls, notifications or other datagrams comes from the
manifest newmail_gen/captures.py writes.
"""

import difflib
import unittest

import tshark_harness as tshark

# The protocols whose decode belongs to stock Wireshark's DCE/RPC and MAPI.
STOCK_PROTOCOLS = ("dcerpc", "mapi")
# The plugin's subtrees on the EMSMDB calls it reads: (filter name, label).
REGISTER_SUBTREE = ("newmail.register", "NEWMAIL push notification registration")
UNREGISTER_SUBTREE = ("newmail.unregister", "NEWMAIL push notification unregistration")
SESSION_SUBTREE = ("newmail.session", "NEWMAIL session")
SUBTREE_BY_OPNUM = {4: REGISTER_SUBTREE, 5: UNREGISTER_SUBTREE, 0: SESSION_SUBTREE,
                    1: SESSION_SUBTREE, 2: SESSION_SUBTREE, 10: SESSION_SUBTREE,
                    11: SESSION_SUBTREE, 14: SESSION_SUBTREE}
SUBTREES = {name for name, _ in SUBTREE_BY_OPNUM.values()}
# Connect requests name no session yet: the plugin reads nothing there.
NO_HANDLE_REQUESTS = (0, 10)
# The capture with one call of each opnum the stock MAPI dissector knows.
ALL_OPNUMS = "mapi_opnums"

_cache = {}


def scenarios():
    return tshark.manifest()["scenarios"]


def packets(name, plugin, two_pass=False):
    """{frame number: PDML <packet>} of every frame of capture `name`."""
    key = (name, plugin, two_pass)
    if key not in _cache:
        _cache[key] = {frame_number(packet): packet
                       for packet in tshark.pdml(name, plugin=plugin, two_pass=two_pass)}
    return _cache[key]


def frame_number(packet):
    for field in packet.iter("field"):
        if field.get("name") == "frame.number":
            return int(field.get("show"))
    raise AssertionError("a PDML packet without frame.number")


def _describe(element):
    return (element.tag, element.get("name", ""), element.get("showname"), element.get("show"),
            element.get("value"), element.get("pos"), element.get("size"))


def _flatten(element, out, skip_newmail):
    for child in element:
        if child.tag not in ("field", "proto"):
            continue
        if skip_newmail and child.get("name", "").startswith("newmail."):
            continue  # the plugin's subtree, with everything under it
        out.append(_describe(child))
        _flatten(child, out, skip_newmail)
    return out


def stock_decode(packet):
    """Every element under the dcerpc and mapi protocols, and every mapi.* or
    dcerpc.* field elsewhere in the frame, without the plugin's subtrees."""
    out = []
    for proto in packet.findall("proto"):
        if proto.get("name") in STOCK_PROTOCOLS:
            out.append(_describe(proto))
            _flatten(proto, out, skip_newmail=True)
        else:
            out += [item for item in _flatten(proto, [], skip_newmail=True)
                    if item[1].startswith(tuple(p + "." for p in STOCK_PROTOCOLS))]
    return out


def whole_decode(packet, up_to=None):
    """Every element of the frame but geninfo, or of its protocols up to `up_to` only."""
    out = []
    for proto in packet.findall("proto"):
        if proto.get("name") == "geninfo":
            continue
        out.append(_describe(proto))
        _flatten(proto, out, skip_newmail=False)
        if proto.get("name") == up_to:
            break
    return out


def diff(stock, plugin):
    lines = difflib.unified_diff([repr(item) for item in stock], [repr(item) for item in plugin],
                                 "stock", "with the plugin", lineterm="", n=1)
    return "\n".join(line[:300] for line in lines)


def assert_same(test, got, expected):
    """got == expected, else fail with a diff of the two element lists."""
    if got != expected:
        test.fail("decode differs from stock tshark's:\n" + diff(expected, got))


def call_frames(entry):
    """{frame: opnum} of every frame that carries a whole EMSMDB call's request or
    response (not a DCE/RPC fault: no stub reaches MAPI then)."""
    frames = {}
    for call in entry["calls"]:
        if call.get("interface", "emsmdb") != "emsmdb":
            continue
        frames[call["request_frame"]] = call["opnum"]
        if call.get("fault_status") is None and call.get("response_frame"):
            frames[call["response_frame"]] = call["opnum"]
    return frames


def plugin_frames(entry):
    """Every frame of a call the plugin reads: EMSMDB opnums with a subtree, and
    every AsyncEMSMDB frame; each fragment of a request too."""
    frames = set()
    for call in entry["calls"]:
        if call.get("interface", "emsmdb") == "emsmdb" and call["opnum"] not in SUBTREE_BY_OPNUM:
            continue
        frames.update(call.get("request_frames", []))
        frames.update(f for f in (call["request_frame"], call.get("response_frame")) if f)
    return frames


def stock_knows(packet):
    """Stock's MAPI dissector decodes this frame's operation (not 'unknown operation')."""
    return any(proto.get("name") == "mapi" and "unknown operation" not in proto.get("showname", "")
               for proto in packet.findall("proto"))


def expected_subtree(opnum, frame, call_list):
    """The plugin subtree a frame of that opnum gets: none on a Connect request."""
    for call in call_list:
        if call.get("interface", "emsmdb") == "emsmdb" and call["request_frame"] == frame:
            if call["opnum"] in NO_HANDLE_REQUESTS:
                return []
    return [SUBTREE_BY_OPNUM[opnum]] if opnum in SUBTREE_BY_OPNUM else []


class StockMapiDecodeUnchanged(unittest.TestCase):
    """The stock dcerpc and mapi fields of every frame are the same with the plugin."""

    def assert_stock_decode_same(self, name, two_pass=False):
        ours, stock = packets(name, True, two_pass), packets(name, False, two_pass)
        self.assertEqual(sorted(ours), sorted(stock))
        self.assertEqual(len(ours), scenarios()[name]["frames"])
        compared = 0
        asynchronous = plugin_frames(scenarios()[name]) - set(call_frames(scenarios()[name]))
        for frame in sorted(ours):
            if frame in asynchronous or tshark.plugin_named(stock[frame], ours[frame]):
                continue
            with self.subTest(capture=name, frame=frame, two_pass=two_pass):
                expected = stock_decode(stock[frame])
                assert_same(self, stock_decode(ours[frame]), expected)
                compared += bool(expected)
        return compared

    def test_capture_has_every_opnum(self):
        # Guards the test below: mapi_opnums really holds opnums 0..9, decoded by stock MAPI.
        entry = scenarios()[ALL_OPNUMS]
        self.assertEqual(sorted(call["opnum"] for call in entry["calls"]), list(range(10)))
        stock = packets(ALL_OPNUMS, False)
        for call in entry["calls"]:
            for frame in (call["request_frame"], call["response_frame"]):
                with self.subTest(opnum=call["opnum"], frame=frame):
                    opnums = [field.get("show") for field in stock[frame].iter("field")
                              if field.get("name") == "mapi.opnum"]
                    self.assertEqual(opnums, [str(call["opnum"])])

    def test_every_opnum_one_pass(self):
        compared = self.assert_stock_decode_same(ALL_OPNUMS)
        self.assertGreaterEqual(compared, 2 * len(scenarios()[ALL_OPNUMS]["calls"]))

    def test_every_opnum_two_pass(self):
        self.assert_stock_decode_same(ALL_OPNUMS, two_pass=True)

    def test_every_scenario(self):
        for name, entry in sorted(scenarios().items()):
            if name == ALL_OPNUMS:
                continue
            compared = self.assert_stock_decode_same(name)
            stock = packets(name, False)
            known = [frame for frame in call_frames(entry) if stock_knows(stock[frame])]
            self.assertGreaterEqual(compared, len(known), name)


class PluginSubtree(unittest.TestCase):
    """The plugin's subtrees: on the calls it reads only, after stock's fields."""

    def test_on_the_calls_it_reads_only(self):
        for name, entry in sorted(scenarios().items()):
            calls = call_frames(entry)
            for frame, packet in sorted(packets(name, True).items()):
                with self.subTest(capture=name, frame=frame, opnum=calls.get(frame)):
                    found = [(field.get("name"), field.get("showname")) for field in packet.iter()
                             if field.get("name") in SUBTREES]
                    expected = (expected_subtree(calls[frame], frame, entry["calls"])
                                if frame in calls else [])
                    self.assertEqual(found, expected)

    def test_after_the_stock_mapi_fields(self):
        for name, entry in sorted(scenarios().items()):
            for frame, opnum in sorted(call_frames(entry).items()):
                if opnum not in SUBTREE_BY_OPNUM:
                    continue
                if not expected_subtree(opnum, frame, entry["calls"]) or \
                        not stock_knows(packets(name, False)[frame]):
                    continue
                with self.subTest(capture=name, frame=frame, opnum=opnum):
                    packet = packets(name, True)[frame]
                    mapi = [proto for proto in packet.findall("proto")
                            if proto.get("name") == "mapi"]
                    self.assertEqual(len(mapi), 1)
                    names = [child.get("name", "") for child in mapi[0]]
                    subtree = SUBTREE_BY_OPNUM[opnum][0]
                    self.assertEqual(names.count(subtree), 1, names)
                    position = names.index(subtree)
                    stock_positions = [i for i, child in enumerate(mapi[0])
                                       if any(field.get("name", "").startswith("mapi.")
                                              for field in child.iter())]
                    self.assertTrue(stock_positions, "no stock MAPI field in this frame")
                    self.assertGreater(position, max(stock_positions), names)


class OtherFramesAsStock(unittest.TestCase):
    """Frames that are not notifications decode exactly as stock tshark decodes them."""

    def test_every_frame_but_notifications_and_calls(self):
        # Datagrams before a registration, to other hosts, after an unregister,
        # after a malformed or refused registration; TCP; DCE/RPC binds.
        for name, entry in sorted(scenarios().items()):
            notifications = {n["frame"] for n in entry["newmail"]}
            notifications |= {r["frame"] for r in entry.get("refusals", [])}
            calls = plugin_frames(entry)
            ours, stock = packets(name, True), packets(name, False)
            for frame in sorted(set(stock) - notifications - calls):
                if tshark.plugin_named(stock[frame], ours[frame]):
                    continue
                with self.subTest(capture=name, frame=frame):
                    assert_same(self, whole_decode(ours[frame]), whole_decode(stock[frame]))

    def test_notifications_below_udp_unchanged(self):
        for name, entry in sorted(scenarios().items()):
            ours, stock = packets(name, True), packets(name, False)
            for notification in entry["newmail"]:
                frame = notification["frame"]
                with self.subTest(capture=name, frame=frame):
                    # frame.protocols differs by design: it names newmail.
                    expected = [item for item in whole_decode(stock[frame], up_to="udp")
                                if item[1] != "frame.protocols"]
                    got = [item for item in whole_decode(ours[frame], up_to="udp")
                           if item[1] != "frame.protocols"]
                    assert_same(self, got, expected)
                    protocols = [p.get("name") for p in ours[frame].findall("proto")]
                    self.assertEqual(protocols[-2:], ["udp", "newmail"])

    def test_elastic_port_pings_stay_elasticsearch(self):
        # Another host's datagrams on the learned port 54328, before and after
        # the registration, keep stock's Elasticsearch decode, frame.protocols included.
        entry = scenarios()["elastic_port"]
        registration = entry["registrations"][0]
        port = registration["callback"]["port"]
        strangers = [n["frame"] for n in entry["not_newmail"] if n["port"] == port]
        self.assertTrue(any(f < registration["request_frame"] for f in strangers))
        self.assertTrue(any(f > registration["response_frame"] for f in strangers))
        ours, stock = packets("elastic_port", True), packets("elastic_port", False)
        for frame in strangers:
            with self.subTest(frame=frame):
                stock_protocols = protocols_field(stock[frame])
                self.assertIn("elasticsearch", stock_protocols.split(":"))
                self.assertEqual(protocols_field(ours[frame]), stock_protocols)
                assert_same(self, whole_decode(ours[frame]), whole_decode(stock[frame]))
        for notification in entry["newmail"]:
            with self.subTest(frame=notification["frame"]):
                self.assertTrue(protocols_field(ours[notification["frame"]]).endswith(":udp:newmail"))

    def test_after_unregister_decodes_as_stock(self):
        entry = scenarios()["unregister"]
        after = [n["frame"] for n in entry["not_newmail"] if n["reason"] == "unregistered"]
        self.assertTrue(after)
        ours, stock = packets("unregister", True), packets("unregister", False)
        for frame in after:
            with self.subTest(frame=frame):
                assert_same(self, whole_decode(ours[frame]), whole_decode(stock[frame]))
                self.assertNotIn("newmail", protocols_field(ours[frame]).split(":"))


def protocols_field(packet):
    for field in packet.iter("field"):
        if field.get("name") == "frame.protocols":
            return field.get("show")
    return ""


if __name__ == "__main__":
    unittest.main()
