# SPDX-License-Identifier: GPL-2.0-or-later
"""Sessions, signals and fetches (README: "What you see", "Statistics").

Every expectation comes from the manifest newmail_gen/captures.py writes (which
frames are calls of which session, signals, fetches, refusals; the handles
and times it wrote), through session_expect.expected_table; no frame number
or value is typed in here.

  FrameByFrame      every frame of every capture, one pass and two: the
                    session and signal fields are exactly the table's
                    (absent where the table says absent; the forward links
                    only in two passes)
  Sessions          the README's cases, as readable guards: connect in
                    the capture or not, EcDoConnect, a refused connect,
                    EcDoDisconnect, two sessions of one client
  Filters           -Y newmail.signal lists the signals, -Y newmail the
                    notifications and their ICMP-quoted copies
  Experts           not_fetched, notification_refused, callback_not_source
                    with their severity and item (PDML)
  OnePassTwoPass    every newmail.* field agrees but the forward links
  Statistics        -z newmail,tree: "Signals by client" per the README
  StockUnchanged    the stock dcerpc and mapi trees of EMSMDB frames are what
                    stock tshark shows; Info names opnums 10, 11, 14 where
                    stock cannot
"""

import decimal
import difflib
import unittest

import session_expect as se
import tshark_harness as tshark

# The session captures this module relies on (newmail_gen/captures.py).
SESSION_SCENARIOS = [
    "session_connect_ex", "session_connect_ex_be", "session_mid", "session_mid_be",
    "session_connect_old", "session_disconnect", "session_connect_failed",
    "udp_fetch", "udp_fetch_be", "udp_not_fetched", "mixed_signals", "nat_callback",
    "nat_callback6", "two_sessions", "port_unreachable", "unspecified_address",
]
NAT = ["nat_callback", "nat_callback6"]
STATS_CAPTURES = ["udp_fetch", "udp_not_fetched", "mixed_signals", "port_unreachable", "nat_callback",
                  "nat_callback6", "two_sessions", "async_wait", "async_unknown_handle"]


def clear_scenarios():
    """Every capture whose manifest entry is the full model (not sealed)."""
    return sorted(name for name, entry in se.scenarios().items() if "sealed" not in entry)


def calls_of(entry, opnum, interface="emsmdb"):
    return [call for call in entry["calls"]
            if call["opnum"] == opnum and call["interface"] == interface]


class FieldsRegistered(unittest.TestCase):
    def test_every_field_spec_names(self):
        self.assertEqual(se.missing(se.OWNED + ["newmail.async.acxh"]), [])

    def test_scenarios_the_tests_rely_on(self):
        self.assertEqual(sorted(set(SESSION_SCENARIOS + STATS_CAPTURES) - set(se.scenarios())),
                         [])


class FrameByFrame(unittest.TestCase):
    """The table of session_expect, every frame, every capture, both passes."""

    FIELDS = se.SESSION_FIELDS + se.SIGNAL_FIELDS

    def test_every_capture(self):
        total = present = 0
        for name in clear_scenarios():
            for _, two_pass in se.MODES:
                checked, found = se.compare(self, name, self.FIELDS, two_pass)
                total += checked
                present += found
        # Not vacuous: thousands of values, hundreds of them set.
        self.assertGreater(total, 10000)
        self.assertGreater(present, 300)


class Sessions(unittest.TestCase):
    """Guards: the captures hold the cases, and the headline fields show them."""

    def session_frames(self, name, two_pass=False):
        return {frame: row["newmail.session_frame"]
                for frame, row in se.rows(name, two_pass).items()}

    def test_connect_ex_in_the_capture(self):
        entry = se.model("session_connect_ex")
        [session] = entry["sessions"]
        self.assertEqual(session["connect_opnum"], 10)
        connect = session["connect_response_frame"]
        self.assertEqual(session["first_frame"], connect)
        frames = self.session_frames("session_connect_ex")
        calls = [call for call in entry["calls"] if call["opnum"] != 10]
        self.assertGreaterEqual(len(calls), 2)
        for call in calls:
            for frame in (call["request_frame"], call["response_frame"]):
                with self.subTest(frame=frame):
                    self.assertEqual(frames[frame], (connect,))
        self.assertEqual(frames[connect], (connect,))
        self.assertEqual(frames[session["connect_request_frame"]], ())

    def test_capture_starts_mid_session(self):
        for name in ("session_mid", "session_mid_be"):
            entry = se.model(name)
            [session] = entry["sessions"]
            self.assertIsNone(session["connect_response_frame"])
            first = entry["calls"][0]
            self.assertEqual(session["first_frame"], first["request_frame"])
            frames = self.session_frames(name)
            for signal in entry["signals"]:
                with self.subTest(capture=name, signal=signal["frame"]):
                    self.assertEqual(frames[signal["frame"]], (first["request_frame"],))

    def test_old_client_connect_and_fetch(self):
        entry = se.model("session_connect_old")
        [session] = entry["sessions"]
        self.assertEqual(session["connect_opnum"], 0)
        fetches = calls_of(entry, 2)
        self.assertEqual(len(fetches), 2)
        rows = se.rows("session_connect_old")
        for call in fetches:
            with self.subTest(frame=call["request_frame"]):
                self.assertEqual(len(call["signal_frames"]), 1)
                self.assertEqual(rows[call["request_frame"]]["newmail.signal_frame"],
                                 tuple(call["signal_frames"]))
                self.assertEqual(rows[call["request_frame"]]["newmail.signals_answered"], (1,))

    def test_refused_connect_has_no_session(self):
        entry = se.model("session_connect_failed")
        failed, accepted = calls_of(entry, 10)
        self.assertNotEqual(failed["return_code"], 0)
        self.assertEqual(failed["response_handle"], "00" * 20)
        rows = se.rows("session_connect_failed")
        response = rows[failed["response_frame"]]
        self.assertEqual(response["newmail.session_frame"], ())
        self.assertEqual(response["newmail.return_code"], (failed["return_code"],))
        self.assertEqual(rows[accepted["response_frame"]]["newmail.session_frame"],
                         (accepted["response_frame"],))

    def test_disconnect_keeps_the_request_session_then_a_new_one(self):
        entry = se.model("session_disconnect")
        first, second = entry["sessions"]
        [disconnect] = calls_of(entry, 1)
        self.assertEqual(disconnect["response_handle"], "00" * 20)
        rows = se.rows("session_disconnect")
        for frame in (disconnect["request_frame"], disconnect["response_frame"]):
            with self.subTest(frame=frame):
                self.assertEqual(rows[frame]["newmail.session_frame"], (first["first_frame"],))
        self.assertEqual(rows[disconnect["request_frame"]]["newmail.cxh"], (first["cxh"],))
        self.assertNotEqual(first["cxh"], second["cxh"])
        last = entry["calls"][-1]
        self.assertEqual(rows[last["request_frame"]]["newmail.session_frame"],
                         (second["first_frame"],))

    def test_two_sessions_fetch_their_own_signals(self):
        entry = se.model("two_sessions")
        self.assertEqual(len(entry["sessions"]), 2)
        by_frame = {signal["frame"]: signal for signal in entry["signals"]}
        rows = se.rows("two_sessions")
        sessions_fetched = []
        for fetch in entry["fetches"]:
            with self.subTest(fetch=fetch["frame"]):
                self.assertTrue(fetch["signal_frames"])
                for frame in fetch["signal_frames"]:
                    self.assertEqual(by_frame[frame]["session_frame"], fetch["session_frame"])
                self.assertEqual(rows[fetch["frame"]]["newmail.signal_frame"],
                                 (fetch["signal_frames"][0],))
                self.assertEqual(rows[fetch["frame"]]["newmail.signals_answered"],
                                 (len(fetch["signal_frames"]),))
            sessions_fetched.append(fetch["session_frame"])
        # Interleaved: consecutive fetches of different sessions, and a
        # fetch that skips the other session's newer signal.
        self.assertTrue(any(a != b for a, b in zip(sessions_fetched, sessions_fetched[1:])))

    def test_big_endian_same_as_little(self):
        # The same traffic in both byte orders: the same fields, handles aside.
        for name in ("session_connect_ex", "session_mid", "udp_fetch"):
            for _, two_pass in se.MODES:
                little, big = se.rows(name, two_pass), se.rows(name + "_be", two_pass)
                self.assertEqual(sorted(little), sorted(big))
                for frame in little:
                    with self.subTest(capture=name, frame=frame, two_pass=two_pass):
                        for field in se.OWNED:
                            if field in ("newmail.cxh", "newmail.async.acxh"):
                                self.assertEqual(len(little[frame][field]),
                                                 len(big[frame][field]))
                            else:
                                self.assertEqual(big[frame][field], little[frame][field],
                                                 field)
            self.assertEqual({call["drep"] for call in se.model(name + "_be")["calls"]}, {"be"})


def filter_sample(wanted):
    """A few captures on which a filter test runs tshark -Y: for each kind of
    frame wanted(entry) counts ({kind: count}), the capture with the most
    frames of that kind, and the first capture with none at all.

    FrameByFrame already checks the field on every frame of every capture (a
    filter on a field matches where -T fields prints it); these runs check
    that the filter the README documents, typed as a user types it, selects
    those frames through tshark's own filter engine.
    """
    sample = []
    by_kind = {}
    for name in clear_scenarios():
        kinds = wanted(se.model(name))
        if not kinds and not any(not wanted(se.model(n)) for n in sample):
            sample.append(name)
        for kind, count in kinds.items():
            if count > by_kind.get(kind, ("", 0))[1]:
                by_kind[kind] = (name, count)
    sample += sorted({name for name, _ in by_kind.values()} - set(sample))
    return sample


def newmail_kinds(entry):
    return {kind: len(entry[kind]) for kind in ("newmail", "refusals") if entry[kind]}


def signal_kinds(entry):
    kinds = {}
    for signal in entry["signals"]:
        kinds[signal["mechanism"]] = kinds.get(signal["mechanism"], 0) + 1
    return kinds


class Filters(unittest.TestCase):
    def test_signal_filter_lists_every_signal(self):
        sample = filter_sample(signal_kinds)
        # UDP and async signals, and a capture without any.
        self.assertGreaterEqual(len(sample), 3)
        for name in sample:
            expected = [signal["frame"] for signal in se.model(name)["signals"]]
            for mode, two_pass in se.MODES:
                with self.subTest(capture=name, mode=mode):
                    self.assertEqual(se.frames_matching(name, "newmail.signal", two_pass),
                                     expected)

    def test_newmail_filter_is_notifications_and_quoted_copies(self):
        sample = filter_sample(newmail_kinds)
        # Notifications, ICMP errors quoting one, and a capture without either.
        self.assertGreaterEqual(len(sample), 3)
        for name in sample:
            entry = se.model(name)
            expected = sorted([n["frame"] for n in entry["newmail"]]
                              + [r["frame"] for r in entry["refusals"]])
            for mode, two_pass in se.MODES:
                with self.subTest(capture=name, mode=mode):
                    self.assertEqual(se.frames_matching(name, "newmail", two_pass), expected)

    def test_unspecified_callback_is_the_request_source(self):
        # README, "How a datagram becomes NEWMAIL": 0.0.0.0 means the host that registered.
        entry = se.model("unspecified_address")
        [registration] = entry["registrations"]
        self.assertEqual(registration["callback"]["address"], "0.0.0.0")
        self.assertEqual(registration["keyed_address"], registration["client"])
        [stranger] = [n for n in entry["not_newmail"] if n["reason"] == "other_address"]
        self.assertNotIn(stranger["frame"], se.frames_matching("unspecified_address", "newmail"))
        self.assertEqual([n["address"] for n in entry["newmail"]], [registration["client"]])

    def test_there_are_signals_of_both_mechanisms(self):
        mechanisms = {signal["mechanism"] for name in clear_scenarios()
                      for signal in se.model(name)["signals"]}
        self.assertEqual(mechanisms, {1, 2})


class Experts(unittest.TestCase):
    def expert_frames(self, name, abbrev):
        found = {}
        for frame in se.packets(name):
            for info in se.experts(name, frame):
                if info["abbrev"] == abbrev:
                    found.setdefault(frame, []).append(info)
        return found

    def test_not_fetched(self):
        total = 0
        for name in clear_scenarios():
            entry = se.model(name)
            expected = {s["frame"] for s in entry["signals"] if s["unfetched_signal_frame"]}
            found = self.expert_frames(name, "newmail.not_fetched")
            with self.subTest(capture=name):
                self.assertEqual(sorted(found), sorted(expected))
                for infos in found.values():
                    self.assertEqual([info["severity"] for info in infos], ["warning"])
            total += len(expected)
        self.assertGreaterEqual(total, 10)

    def test_repeats_every_60_s_are_not_fetched(self):
        entry = se.model("udp_not_fetched")
        signals = entry["signals"]
        self.assertEqual([s["unfetched_signal_frame"] for s in signals],
                         [None, signals[0]["frame"], signals[1]["frame"], None])
        [first_fetch, _] = entry["fetches"]
        self.assertEqual(first_fetch["signal_frames"], [s["frame"] for s in signals[:3]])

    def test_notification_refused(self):
        entry = se.model("port_unreachable")
        [refusal] = entry["refusals"]
        infos = self.expert_frames("port_unreachable", "newmail.notification_refused")
        self.assertEqual(sorted(infos), [refusal["frame"]])
        self.assertEqual([info["severity"] for info in infos[refusal["frame"]]], ["warning"])
        two = se.rows("port_unreachable", True)
        one = se.rows("port_unreachable", False)
        notification = refusal["notification_frame"]
        self.assertEqual(two[notification]["newmail.refused_frame"], (refusal["frame"],))
        self.assertEqual(one[notification]["newmail.refused_frame"], ())
        for rows in (one, two):
            quoted = rows[refusal["frame"]]
            self.assertEqual(quoted["newmail.refused_notification_frame"], (notification,))
            self.assertEqual((quoted["newmail.sequence"], quoted["newmail.registration_frame"],
                              quoted["newmail.signal"]), ((), (), ()))
        # Not counted: the registration still has the three notifications.
        [registration] = entry["registrations"]
        self.assertEqual(se.all_newmail_rows("port_unreachable", True)
                         [registration["request_frame"]].get("newmail.notification_count"),
                         (len(entry["newmail"]),))

    def test_callback_not_source(self):
        for name in NAT:
            entry = se.model(name)
            [registration] = entry["registrations"]
            self.assertTrue(registration["callback_not_source"])
            self.assertNotEqual(registration["callback"]["address"], registration["client"])
            infos = self.expert_frames(name, "newmail.callback_not_source")
            with self.subTest(capture=name):
                self.assertEqual(sorted(infos), [registration["request_frame"]])
                [info] = infos[registration["request_frame"]]
                self.assertEqual((info["severity"], info["item"]), ("warning", "newmail.callback"))
                # The port is still learned: the notifications are NEWMAIL, tied.
                self.assertTrue(entry["newmail"])
                self.assertEqual(se.frames_matching(name, "newmail"),
                                 [n["frame"] for n in entry["newmail"]])

    def test_no_callback_not_source_where_callback_is_the_source(self):
        checked = 0
        for name in clear_scenarios():
            for registration in se.model(name)["registrations"]:
                if registration["callback_not_source"]:
                    continue
                frame = registration["request_frame"]
                with self.subTest(capture=name, frame=frame):
                    self.assertNotIn("newmail.callback_not_source",
                                     [info["abbrev"] for info in se.experts(name, frame)])
                checked += 1
        self.assertGreater(checked, 20)


class OnePassTwoPass(unittest.TestCase):
    """tshark, tshark -2 (and the GUI) agree on every field but the forward links."""

    def test_every_field_but_forward_links(self):
        compared = 0
        for name in clear_scenarios():
            one, two = se.all_newmail_rows(name), se.all_newmail_rows(name, True)
            self.assertEqual(sorted(one), sorted(two))
            for frame in sorted(one):
                for field in one[frame]:
                    if field in se.FORWARD or field.startswith("_ws.") or \
                            field == "frame.time_epoch":
                        continue
                    with self.subTest(capture=name, frame=frame, field=field):
                        self.assertEqual(one[frame][field], two[frame][field])
                    compared += bool(one[frame][field])
        self.assertGreater(compared, 500)

    def test_forward_links_only_in_two_passes(self):
        found = 0
        for name in clear_scenarios():
            one, two = se.rows(name), se.rows(name, True)
            for frame in one:
                for field in ("newmail.fetch_frame", "newmail.fetch_delay",
                              "newmail.refused_frame"):
                    with self.subTest(capture=name, frame=frame, field=field):
                        self.assertEqual(one[frame][field], ())
                    found += bool(two[frame][field])
        self.assertGreater(found, 20)


class Statistics(unittest.TestCase):
    """-z newmail,tree: "Signals by client" (README: "Statistics")."""

    def check(self, name, two_pass):
        entry = se.model(name)
        expected = se.expected_signal_stats(entry)
        tree = se.stats(name, two_pass)
        self.assertIn(se.STATS_NODE, tree)
        clients = tree[se.STATS_NODE]["children"]
        self.assertEqual(sorted(c for c, node in clients.items() if node["count"]),
                         sorted(expected))
        for client, counts in expected.items():
            children = clients[client]["children"]
            got = {child: node["count"] for child, node in children.items()
                   if node["count"] and child != se.DELAY}
            want = {child: count for child, count in counts.items() if child != se.DELAY}
            self.assertEqual(got, want, client)
            delays = counts[se.DELAY]
            if not delays:
                self.assertEqual(children.get(se.DELAY, {"count": 0})["count"], 0)
                continue
            node = children[se.DELAY]
            self.assertEqual(node["count"], len(delays))
            # The plugin may keep milliseconds as integers: within 1 ms.
            for column, value in (("average", sum(delays) / len(delays)),
                                  ("min", min(delays)), ("max", max(delays))):
                self.assertLessEqual(abs(decimal.Decimal(node[column]) - value), 1,
                                     f"{client} {column}: {node[column]} vs {value}")

    def test_signals_by_client(self):
        for name in STATS_CAPTURES:
            for mode, two_pass in se.MODES:
                with self.subTest(capture=name, mode=mode):
                    self.check(name, two_pass)

    def test_guard_the_cases(self):
        # Between them the captures tick every counter but HTTP's.
        ticked = set()
        for name in STATS_CAPTURES:
            for counts in se.expected_signal_stats(se.model(name)).values():
                ticked.update(child for child, count in counts.items() if count)
        self.assertEqual(ticked, {se.STATS_CHILDREN[1], se.STATS_CHILDREN[2], se.FETCHED,
                                  se.NOT_FETCHED, se.REFUSED, se.DELAY})
        clients = {c for name in STATS_CAPTURES for c in se.expected_signal_stats(se.model(name))}
        self.assertIn("2001:db8::10", clients)


# --- stock decode -------------------------------------------------------------

def _describe(element):
    return (element.tag, element.get("name", ""), element.get("showname"), element.get("show"),
            element.get("value"), element.get("pos"), element.get("size"))


def _flatten(element, out):
    for child in element:
        if child.tag not in ("field", "proto") or child.get("name", "").startswith("newmail"):
            continue
        out.append(_describe(child))
        _flatten(child, out)
    return out


# How DCE/RPC shows a stub: as "Stub data" when the interface has no
# procedure for the opnum, as complete and payload stub data when it has one.
STUB_ELEMENTS = ("dcerpc.stub_data", "dcerpc.payload_stub_data")


def stock_decode(packet, procedure=None):
    """The dcerpc and mapi elements of a frame, the plugin's left out.

    ``procedure`` = (name, opnum) for an opnum stock has no procedure for
    and the plugin gives one: DCE/RPC then shows the stub as a procedure's
    (complete and payload stub data) instead of "Stub data", so those
    elements are left out on both sides, and the plugin's name, should it
    show in the mapi item or the opnum field, is put back to stock's words;
    everything else must be stock's."""
    out = []
    for proto in packet.findall("proto"):
        if proto.get("name") in ("dcerpc", "mapi"):
            out.append(_describe(proto))
            _flatten(proto, out)
    if procedure is None:
        return out
    name, number = procedure
    renamed = []
    for item in out:
        if item[1] in STUB_ELEMENTS or (
                item[1] == "" and (item[3] or "").startswith("Complete stub data")):
            continue
        showname = item[2]
        if showname:
            showname = showname.replace(f", {name}", f", unknown operation {number}")
            showname = showname.replace(f": {name} ({number})",
                                        f": Unknown operation ({number})")
        renamed.append(item[:2] + (showname,) + item[3:])
    return renamed


class StockUnchanged(unittest.TestCase):
    """The plugin adds its subtree and never changes stock's dcerpc/mapi decode."""

    def test_emsmdb_frames(self):
        compared = 0
        for name in SESSION_SCENARIOS:
            entry = se.model(name)
            ours, stock = se.packets(name), se.packets(name, plugin=False)
            for call in entry["calls"]:
                if call["interface"] != "emsmdb":
                    continue
                for frame in (call["request_frame"], call["response_frame"]):
                    # Stock 4.0 has no procedure for 10, 11 and 14; 4.4 has.
                    unknown = any(f.get("name") == "mapi.opnum" and
                                  "Unknown operation" in (f.get("showname") or "")
                                  for f in stock[frame].iter("field"))
                    procedure = ((se.OPNUM_NAMES[call["opnum"]], call["opnum"])
                                 if unknown and call["opnum"] in se.OPNUM_NAMES else None)
                    with self.subTest(capture=name, frame=frame, opnum=call["opnum"]):
                        expected = stock_decode(stock[frame], procedure)
                        got = stock_decode(ours[frame], procedure)
                        if got != expected:
                            self.fail("\n".join(difflib.unified_diff(
                                [repr(i) for i in expected], [repr(i) for i in got],
                                "stock", "with the plugin", lineterm="", n=1)))
                        compared += 1
        self.assertGreater(compared, 100)

    def test_info_names_the_opnums(self):
        # 4.0 has no name for 10, 11, 14 ("Unknown operation 10 request");
        # the plugin gives one.  Where stock has a name, stock's Info stays
        # (the plugin may append to it, as on opnum 4). Ours in one pass and
        # two; stock's Info of a call does not depend on the pass, and is
        # read from the two-pass run test_harmless shares.
        checked = 0
        for name in SESSION_SCENARIOS:
            entry = se.model(name)
            stock = {int(row[0]): row[1] for row in tshark.fields(name, ["_ws.col.Info"],
                                                                  plugin=False, two_pass=True)}
            for mode, two_pass in se.MODES:
                ours = se.rows(name, two_pass)
                for call in entry["calls"]:
                    if call["interface"] != "emsmdb" or call["opnum"] not in se.SESSION_OPNUMS:
                        continue
                    for frame, kind in ((call["request_frame"], "request"),
                                        (call["response_frame"], "response")):
                        with self.subTest(capture=name, frame=frame, opnum=call["opnum"],
                                          mode=mode):
                            info = ours[frame]["_ws.col.Info"]
                            if stock[frame].startswith("Unknown operation"):
                                self.assertIn(call["opnum"], se.OPNUM_NAMES)
                                self.assertTrue(info.startswith(
                                    f"{se.OPNUM_NAMES[call['opnum']]} {kind}"), info)
                            else:
                                # "EcDoConnect request", "EcRRegisterPushNotification
                                # request": stock's words up to the call's kind.
                                words = stock[frame].split(f" {kind}")[0] + f" {kind}"
                                self.assertTrue(info.startswith(words), (info, stock[frame]))
                            checked += 1
        self.assertGreater(checked, 100)


if __name__ == "__main__":
    unittest.main()
