# SPDX-License-Identifier: GPL-2.0-or-later
"""MAPI over HTTP: several sessions from one client, and X-ResponseCode in the
HTTP headers (docs/decoding.md, "MAPI over HTTP": "Sessions over HTTP" and
the response's X-ResponseCode).

Captures (newmail_gen/mapihttp.py, the captures_mapihttp fixture):
  mapihttp_sessions       one client, four sessions at once: own mailbox,
                          shared mailbox and archive whose Connects are 3 ms
                          apart and answered in reverse order, and a delegate
                          mailbox whose Connect is not in the capture; HTTP
                          shows the MapiContext cookie only for the own
                          mailbox's requests (the others send one Cookie line
                          per cookie, and HTTP hands over only the last)
  mapihttp_response_code  X-ResponseCode only in the HTTP headers: 0 (the body
                          is the request type's), 10 and 6 (failure bodies)

What must hold (MS-OXCMAPIHTTP 2.2.3.3.2: the GUID of X-RequestId is unique
per session context and constant for its life; 2.2.2.2, 2.2.3.3.3: a
non-zero X-ResponseCode makes the body a failure body): every request and
response is tied to its own session's first frame, in one pass and in two;
a response's X-ResponseCode HTTP header is shown with its name, a note when
not 0, and then the body is read as the failure layout and is no signal.
The manifest's session and signal expectations are checked for every frame by
test_mapihttp's check_entry(); this module asserts what those captures are
for, on tshark's own output.
"""

import collections
import re
import unittest

import tshark_harness as tshark
import test_mapihttp as mh
from newmail_gen import mapihttp as mg

SESSIONS = "mapihttp_sessions"
RESPONSE_CODE = "mapihttp_response_code"
MODES = (("one pass", False), ("two passes", True))
# Links one pass cannot know yet: they point forward (a subscription's
# notifications come in later responses).
FORWARD = {"mapihttp.response_frame", "newmail.fetch_frame", "newmail.fetch_delay",
           "newmail.subscription", "newmail.subscription.notification_count",
           "newmail.subscription.notification_frame", "newmail.subscription.type_count"}


def guid_of(request_id):
    """The GUID of "{GUID}:counter", as Wireshark shows an FT_GUID (lower case)."""
    return request_id.rsplit(":", 1)[0].strip("{}").lower()


def by_frame(name, two_pass, names):
    """{frame: {field: value}} of the mapihttp frames of a generated capture."""
    rows = tshark.fields(mh.path_of(name), names, display_filter="mapihttp",
                         two_pass=two_pass)
    return {int(row[0]): dict(zip(names, row[1:])) for row in rows}


class Sessions(unittest.TestCase):
    """Four sessions of one client, each message tied to its own."""

    def entry(self):
        return mh.scenarios()[SESSIONS]

    def test_manifest_in_one_and_two_passes(self):
        """Fields, meta-tags, session_frame, signals and fetches of every frame."""
        mh.check_entry(self, self.entry(), mh.path_of(SESSIONS))

    def test_not_vacuous(self):
        """The capture is the hard case: one client, Connects within 20 ms,
        several sessions parked at once, MapiContext hidden from the media
        dissector for two of them, one session without its Connect."""
        entry = self.entry()
        messages = mh.mapi_messages(entry)
        connects = [m for m in messages if m["request_type"] == mg.CONNECT
                    and m["direction"] == "request"]
        self.assertEqual(len(connects), 3)
        self.assertEqual({m["client"] for m in messages}, {mg.CLIENT})
        self.assertLess(connects[-1]["time_us"] - connects[0]["time_us"], 20000)
        self.assertEqual(len(entry["sessions"]), 4)
        self.assertEqual(len(set(entry["sessions"].values())), 4)
        self.assertEqual(len(entry["signals"]), 2)
        # Connect responses in the reverse order of their requests.
        responses = [m for m in messages if m["request_type"] == mg.CONNECT
                     and m["direction"] == "response"]
        self.assertEqual([m["request_frame"] for m in responses],
                         sorted((m["frame"] for m in connects), reverse=True))
        # Exchange sets MapiContext, then MapiSequence: HTTP hands over the last.
        rows = tshark.fields(mh.path_of(SESSIONS), ["http.set_cookie"], plugin=False,
                             display_filter="http.response && http.set_cookie")
        self.assertTrue(rows)
        for _, cookies in rows:
            self.assertTrue(cookies.split(",")[-1].startswith("MapiSequence="), cookies)
        # Requests of the shared mailbox, archive and delegate: last Cookie line
        # without MapiContext.
        hidden = {m["frame"] for m in messages if m["direction"] == "request"
                  and m["session"] in ("shared", "archive", "delegate")
                  and m["request_type"] != mg.CONNECT}
        cookies = {int(n): c for n, c in tshark.fields(mh.path_of(SESSIONS), ["http.cookie"],
                                                       plugin=False)}
        self.assertTrue(hidden)
        for frame in hidden:
            self.assertNotIn("MapiContext", cookies[frame].split(",")[-1], frame)
        # Sessions interleave: some message of another session comes between
        # two messages of each session.
        order = [m["session"] for m in sorted(messages, key=lambda m: m["frame"])]
        for name in entry["sessions"]:
            where = [i for i, s in enumerate(order) if s == name]
            self.assertTrue(any(s != name for s in order[where[0]:where[-1]]), name)

    def test_guid_names_one_session(self):
        """Each X-RequestId GUID goes with exactly one session frame, its own
        Connect's (the delegate: its first request's), in one pass and two;
        the GUID and counter fields match the header."""
        entry = self.entry()
        expected = {guid_of(m["request_id"]): entry["sessions"][m["session"]]
                    for m in mh.mapi_messages(entry)}
        self.assertEqual(len(expected), 4)
        names = ["mapihttp.request_id", "mapihttp.request_id.guid",
                 "mapihttp.request_id.counter", "newmail.session_frame"]
        for mode, two_pass in MODES:
            seen = collections.defaultdict(set)
            for frame, values in by_frame(SESSIONS, two_pass, names).items():
                where = f"{SESSIONS} frame {frame} ({mode})"
                request_id = values["mapihttp.request_id"]
                self.assertEqual(values["mapihttp.request_id.guid"], guid_of(request_id), where)
                self.assertEqual(int(values["mapihttp.request_id.counter"]),
                                 int(request_id.rsplit(":", 1)[1]), where)
                seen[values["mapihttp.request_id.guid"]].add(
                    int(values["newmail.session_frame"]))
            self.assertEqual({g: sorted(s) for g, s in seen.items()},
                             {g: [f] for g, f in expected.items()}, mode)

    def test_one_pass_agrees_with_two(self):
        """Every mapihttp and newmail value, but the forward links, is the same."""
        names = sorted(n for n in tshark.common_fields()
                       if n.startswith(("mapihttp.", "newmail.")) and n not in FORWARD)
        one = by_frame(SESSIONS, False, names)
        two = by_frame(SESSIONS, True, names)
        self.assertEqual(sorted(one), sorted(two))
        for frame in sorted(one):
            self.assertEqual(one[frame], two[frame], f"{SESSIONS} frame {frame}")

    def test_signals_fetched_by_their_own_session(self):
        """The shared mailbox's signal is fetched by its Execute, not by the
        own mailbox's Execute that comes first; the delegate's by its own."""
        entry = self.entry()
        messages = {m["frame"]: m for m in mh.mapi_messages(entry)}
        rows = by_frame(SESSIONS, True, ["newmail.signal", "newmail.fetch_frame"])
        fetched = {frame: int(v["newmail.fetch_frame"]) for frame, v in rows.items()
                   if v["newmail.signal"]}
        self.assertEqual(len(fetched), 2)
        for signal, fetch in fetched.items():
            self.assertEqual(messages[fetch]["session"], messages[signal]["session"])
            others = [f for f, m in messages.items() if signal < f < fetch
                      and m["request_type"] == mg.EXECUTE and m["direction"] == "request"
                      and m["session"] != messages[signal]["session"]]
            self.assertTrue(others, f"no other session's Execute between {signal} and {fetch}")


class ResponseCodeHeader(unittest.TestCase):
    """X-ResponseCode only in the HTTP headers."""

    NAMES = ["mapihttp.request_type", "mapihttp.response_code", "mapihttp.status_code",
             "mapihttp.error_code", "mapihttp.event_pending", "mapihttp.aux_buffer_size",
             "newmail.signal", "_ws.col.Info"]

    def responses(self):
        """The responses whose X-ResponseCode is only in the HTTP headers."""
        return [m for m in mh.mapi_messages(mh.scenarios()[RESPONSE_CODE])
                if m["direction"] == "response" and len(m["response_codes"]) == 1]

    def test_manifest_in_one_and_two_passes(self):
        mh.check_entry(self, mh.scenarios()[RESPONSE_CODE], mh.path_of(RESPONSE_CODE))

    def test_not_vacuous(self):
        """No X-ResponseCode after DONE in these responses: the HTTP header's is
        the only one (stock's own view of the body)."""
        codes = sorted(m["response_code"] for m in self.responses())
        self.assertEqual(codes, [0, 6, 10])
        packets = mh.pdml(mh.path_of(RESPONSE_CODE), plugin=False)
        for message in self.responses():
            body = b"".join(bytes.fromhex(v.replace(":", ""))
                            for v in mh.shows(packets[message["frame"]], "media.type"))
            self.assertIn(b"DONE\r\n", body)
            self.assertNotIn(b"X-ResponseCode", body)

    def test_codes(self):
        for mode, two_pass in MODES:
            rows = by_frame(RESPONSE_CODE, two_pass, self.NAMES)
            packets = mh.pdml(mh.path_of(RESPONSE_CODE), two_pass=two_pass)
            for message in self.responses():
                frame, code = message["frame"], message["response_code"]
                values = rows[frame]
                where = f"{RESPONSE_CODE} frame {frame} ({message['request_type']}, {mode})"
                with self.subTest(frame=frame, mode=mode):
                    self.assertEqual(values["mapihttp.response_code"], str(code), where)
                    shownames = [e.get("showname") for e in
                                 mh.subtrees(packets[frame], "mapihttp.response_code")]
                    name = {0: "Success", 6: "Invalid Context Cookie",
                            10: "Context Not Found"}[code]
                    self.assertEqual(shownames, [f"Response code: {name} ({code})"], where)
                    experts = mh.expert_abbrevs(packets[frame])
                    if code:
                        # The failure body: StatusCode and the auxiliary buffer only.
                        self.assertIn("mapihttp.failure", experts, where)
                        self.assertEqual(int(values["mapihttp.status_code"], 0), code, where)
                        self.assertEqual(values["mapihttp.error_code"], "", where)
                        self.assertEqual(values["mapihttp.event_pending"], "", where)
                        self.assertEqual(values["newmail.signal"], "", where)
                        self.assertTrue(values["_ws.col.Info"].endswith(", " + name), where)
                        self.assertFalse([e for e in experts if e.endswith(".malformed")],
                                         where)
                    else:
                        self.assertNotIn("mapihttp.failure", experts, where)
                        self.assertEqual(int(values["mapihttp.status_code"], 0), 0, where)
                        self.assertEqual(int(values["mapihttp.error_code"], 0), 0, where)
                        self.assertNotIn("Success", values["_ws.col.Info"], where)

    def test_signal_after_failures(self):
        """The NotificationWait answered with 0 and EventPending still signals,
        and the next Execute fetches it."""
        entry = mh.scenarios()[RESPONSE_CODE]
        self.assertEqual(len(entry["signals"]), 1)
        signal = entry["signals"][0]
        rows = by_frame(RESPONSE_CODE, True, ["newmail.signal", "newmail.fetch_frame"])
        self.assertEqual(rows[signal["frame"]]["newmail.signal"],
                         str(mh.SIGNAL_MAPI_HTTP))
        self.assertEqual(int(rows[signal["frame"]]["newmail.fetch_frame"]),
                         signal["fetch_frame"])
        self.assertEqual([f for f, v in rows.items() if v["newmail.signal"]], [signal["frame"]])


class Registered(unittest.TestCase):
    def test_fields_and_values(self):
        stdout, _, _ = tshark.run(["-G", "fields"])
        found = {row[2]: row for row in (line.split("\t") for line in stdout.splitlines())
                 if len(row) >= 8 and row[0] == "F"}
        for name, kind in (("mapihttp.request_id.guid", "FT_GUID"),
                           ("mapihttp.request_id.counter", "FT_UINT64")):
            self.assertIn(name, found)
            self.assertEqual(found[name][3], kind)
            self.assertTrue(found[name][7].strip())
        stdout, _, _ = tshark.run(["-G", "values"])
        values = {int(m.group(1)): m.group(2) for m in re.finditer(
            r"^V\tmapihttp\.response_code\t(\d+)\t(.*)$", stdout, re.M)}
        self.assertEqual(len(values), 19)
        self.assertEqual((values[0], values[6], values[10], values[18]),
                         ("Success", "Invalid Context Cookie", "Context Not Found",
                          "Endpoint Shutting Down"))
        for name in ("mapihttp.request_id.malformed", "mapihttp.response_code.malformed"):
            self.assertIn(name, found)

if __name__ == "__main__":
    unittest.main()
