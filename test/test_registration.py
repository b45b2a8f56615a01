# SPDX-License-Identifier: GPL-2.0-or-later
"""Port learning and registration tracking.

With no Decode As and no preference, the plugin reads every
EcRRegisterPushNotification (EMSMDB opnum 4) call, learns its callback, and
decodes as NEWMAIL exactly the datagrams sent to a registered callback, tied
to their registration; EcRUnregisterPushNotification (opnum 5) ends it. Bad
registrations are flagged and teach nothing.

Every expectation comes from the manifest newmail_gen/captures.py writes with
the captures (which datagrams are notifications, of which registration, in
which order, with which payload), from the captures' own frame times, or
from the tables below, which follow the README's "UDP notifications and push
registrations" and "Fields"; no frame number is typed
in here.

tshark runs, each cached for the process:
  per capture   -Y newmail -T fields in one pass and in two passes (every
                newmail.* field but the two-pass-only summary), and all frames
                -T fields in two passes (every newmail.* field, expert infos'
                own fields included, and the Info column);
  some captures all frames as one-pass PDML (PDML_SCENARIOS: expert infos
                with their severity, tshark_harness.expert_infos);
  a few more    Decode As and the port preference, and -z newmail,tree.
"""

import decimal
import ipaddress
import re
import unittest

import tshark_harness as tshark

# Shown only once the first pass is over (two-pass runs and the GUI): links
# to later frames.
TWO_PASS_ONLY = ("newmail.notification_count", "newmail.first_notification_frame",
                 "newmail.fetch_frame", "newmail.fetch_delay", "newmail.refused_frame")

# Every field and expert info the README's "Fields" names for registrations and
# notifications; all must be registered.
README_FIELDS = [
    "newmail.register", "newmail.unregister", "newmail.context", "newmail.context_length",
    "newmail.advise_bits", "newmail.callback.family", "newmail.callback.port",
    "newmail.callback.ipv4", "newmail.callback.ipv6", "newmail.callback.flowinfo",
    "newmail.callback.scope_id", "newmail.handle", "newmail.return_code",
    "newmail.request_frame", "newmail.response_frame", "newmail.registration_frame",
    "newmail.sequence", "newmail.context_match", "newmail.time_since_registration",
    "newmail.time_since_previous", "newmail.notification_count",
    "newmail.first_notification_frame", "newmail.end_frame",
    "newmail.advise_bits_unexpected", "newmail.registration_failed",
    "newmail.no_registration", "newmail.registration_ended", "newmail.context_mismatch",
]

# Malformed registrations: the capture and the one expert info its request gets.
MALFORMED = {
    "bad_context_length": "newmail.context_length_mismatch",
    "bad_callback_length": "newmail.callback_length_mismatch",
    "bad_family": "newmail.callback.unknown_family",
    "short_sockaddr": "newmail.callback.too_short",
    "short_sockaddr6": "newmail.callback.too_short",
    "port_zero": "newmail.callback.port_zero",
    "truncated_stub": "newmail.stub_truncated",
    "huge_count": "newmail.stub_truncated",
}
MALFORMED_EXPERTS = sorted(set(MALFORMED.values()))
# Flagged, and still learned.
ADVISE_BITS = ("bad_advise_bits", "newmail.advise_bits_unexpected")
ADVISE_BITS_ALL = 0xFFFFFFFF
# Refused by the server: flagged on the response, not learned.
REJECTED = ("rejected", "newmail.registration_failed")
MISMATCH_EXPERT = "newmail.context_mismatch"

# Registrations that must be decoded and learned whatever the PDU looks like.
TRANSPORTS = ["big_endian", "fragmented", "tcp_segmented"]

MODES = [("one pass", False), ("two passes", True)]

# Captures also read as one-pass PDML, for their expert infos (abbreviation
# and severity) and a one-pass view of the registration fields.
PDML_SCENARIOS = sorted(set(MALFORMED) | {ADVISE_BITS[0], REJECTED[0], "mismatch", "reregister"})


def how_to_decode(port):
    """The two ways a user tells tshark that a UDP port carries NEWMAIL."""
    return [("Decode As", ["-d", f"udp.port=={port},newmail"]),
            ("port preference", ["-o", f"newmail.udp.port:{port}"])]


# --- tshark runs, cached ------------------------------------------------------

def scenarios():
    return tshark.manifest()["scenarios"]


def registered_fields():
    """{abbrev: (type, description)} of every newmail.* field, expert infos included."""
    def make():
        stdout, _, _ = tshark.run(["-G", "fields"])
        found = {}
        for line in stdout.splitlines():
            row = line.split("\t")
            if len(row) >= 8 and row[0] == "F" and row[4] == "newmail" \
                    and row[2].startswith("newmail."):
                found[row[2]] = (row[3], row[7].strip())
        return found
    return tshark.cached("newmail field types and blurbs", make)


def notification_columns():
    """What the -Y newmail runs print: frame time, columns, every newmail.* field
    except the two-pass-only summary."""
    return ["frame.time_epoch", "_ws.col.Protocol", "_ws.col.Info"] + [
        name for name in registered_fields() if name not in TWO_PASS_ONLY]


def all_columns():
    return ["frame.protocols", "frame.time_epoch", "_ws.col.Info"] + list(registered_fields())


# -T fields prints FT_BOOLEAN as 1/0 up to Wireshark 4.0 and as True/False
# from 4.2 on; the tests compare the 4.0 form.
BOOLEAN_FIELDS = {"newmail.context_match"}
BOOLEAN_FORMS = {"True": "1", "False": "0"}


def _rows(name, columns, **options):
    rows = [dict(zip(["frame.number"] + columns, row))
            for row in tshark.fields(name, columns, **options)]
    for row in rows:
        for field in BOOLEAN_FIELDS & row.keys():
            row[field] = BOOLEAN_FORMS.get(row[field], row[field])
    return rows


def newmail_rows(name, two_pass=False, extra_args=()):
    """The rows of capture `name` whose protocols include NEWMAIL, as the run
    of every field prints them: [{field: value}, ...], with frame.protocols.
    The frames `tshark -Y newmail` shows (Learning checks that on a sample,
    typed as a user types it); taken from the run every module shares."""
    def make():
        rows = _rows(name, notification_columns() + ["frame.protocols"], two_pass=two_pass,
                     extra_args=extra_args)
        return [row for row in rows if "newmail" in row["frame.protocols"].split(":")]
    return tshark.cached(("newmail", name, two_pass, tuple(extra_args)), make)


def filter_sample():
    """The captures Learning runs `tshark -Y newmail` on: the one with the most
    notifications, the one with the most ICMP errors quoting one, and the
    first with neither."""
    entries = sorted(scenarios().items())
    most = max(entries, key=lambda item: len(item[1]["newmail"]))[0]
    quoted = max(entries, key=lambda item: len(item[1].get("refusals", [])))[0]
    none = next(name for name, entry in entries
                if not entry["newmail"] and not entry.get("refusals"))
    return sorted({most, quoted, none})


def notifications(name, two_pass=False, extra_args=()):
    """The notification datagrams of capture `name`: the `tshark -Y newmail`
    rows but those of ICMP errors (one quoting a notification has NEWMAIL
    inside, as Wireshark shows any protocol inside an ICMP error; it is no
    datagram of its own). One tshark run serves both."""
    return [row for row in newmail_rows(name, two_pass, extra_args)
            if "icmp" not in row["frame.protocols"].split(":")]


def frames(name):
    """{frame: {field: value}} of every frame, two passes, -T fields."""
    return tshark.cached(("frames", name), lambda: {
        int(row["frame.number"]): row for row in _rows(name, all_columns(), two_pass=True)})


def packets(name):
    """{frame: PDML <packet>} of every frame, one pass (for expert infos)."""
    def make():
        found = {}
        for packet in tshark.pdml(name):
            number = [f.get("show") for f in packet.iter("field")
                      if f.get("name") == "frame.number"]
            found[int(number[0])] = packet
        return found
    return tshark.cached(("pdml", name), make)


def pdml_row(name, frame):
    """Frame `frame` of the one-pass PDML as a -T fields row of every newmail.* field."""
    types = registered_fields()
    values = {}
    for field in packets(name)[frame].iter("field"):
        abbrev = field.get("name", "")
        if abbrev not in types:
            continue
        kind = types[abbrev][0]
        if kind == "FT_NONE":
            value = "1"
        elif kind == "FT_BYTES":
            value = field.get("value", "")
        else:
            value = field.get("show", "")
        values.setdefault(abbrev, []).append(value)
    return {abbrev: ",".join(values.get(abbrev, [])) for abbrev in types}


def newmail_experts(name, frame):
    """The newmail.* expert infos of a frame in the one-pass PDML."""
    return [info for info in tshark.expert_infos(packets(name)[frame])
            if info["abbrev"].startswith("newmail.")]


def stats_tree(name, extra_args=(), two_pass=False):
    """`tshark -q -z newmail,tree` as {item: (count, {child: (count, {...})})}."""
    return parse_stats_tree(tshark.stats_tree(name, extra_args, two_pass))


def parse_stats_tree(text):
    lines = text.splitlines()
    header = [i for i, line in enumerate(lines) if line.startswith("Topic / Item")]
    if len(header) != 1:
        raise AssertionError(f"no stats tree table in:\n{text}")
    root = {}
    stack = [(-1, root)]
    for line in lines[header[0] + 2:]:
        if line.startswith("---") or not line.strip():
            break
        match = re.match(r"^( *)(\S.*?)\s+(\d+)(\s|$)", line)
        if not match:
            raise AssertionError(f"unreadable stats tree line {line!r}")
        depth = len(match.group(1))
        while stack[-1][0] >= depth:
            stack.pop()
        children = {}
        stack[-1][1][match.group(2)] = (int(match.group(3)), children)
        stack.append((depth, children))
    return root


def without_zeros(tree):
    return {item: (count, without_zeros(children))
            for item, (count, children) in tree.items() if count}


# --- What the manifest says --------------------------------------------------

def decodable(registration):
    """The request names a callback the plugin can read (only advise bits may be off)."""
    return registration["callback"] is not None and \
        set(registration["problems"]) <= {"advise_bits"}


def callback_text(callback):
    address = ipaddress.ip_address(callback["address"])
    if address.version == 6:
        return f"[{address}]:{callback['port']}"
    return f"{address}:{callback['port']}"


def registration_at(entry, frame):
    found = [r for r in entry["registrations"] if r["request_frame"] == frame]
    assert len(found) == 1, (frame, entry["registrations"])
    return found[0]


def expected_summary(entry, registration):
    """(notification count, first notification frame or None) per the manifest."""
    tied = [n["frame"] for n in entry["newmail"]
            if n["registration_frame"] == registration["request_frame"]]
    return len(tied), (min(tied) if tied else None)


def time_of(name, frame):
    return decimal.Decimal(frames(name)[frame]["frame.time_epoch"])


def hex_value(text):
    return int(text, 16)


# --- Tests -------------------------------------------------------------------

class FieldsRegistered(unittest.TestCase):
    def test_every_field_the_readme_names(self):
        missing = [name for name in README_FIELDS + MALFORMED_EXPERTS
                   if name not in registered_fields()]
        self.assertEqual(missing, [])

    def test_scenarios_the_tests_rely_on(self):
        names = set(scenarios())
        wanted = set(MALFORMED) | set(TRANSPORTS) | {
            ADVISE_BITS[0], REJECTED[0], "mapi_opnums", "basic_ipv4", "ipv6", "mismatch",
            "reregister", "unregister", "before_registration", "elastic_port", "two_clients",
            "unspecified_address", "payloads"}
        self.assertEqual(sorted(wanted - names), [])


class Learning(unittest.TestCase):
    """NEWMAIL is exactly the manifest's notifications, tied as the manifest says."""

    def test_filter_as_typed_on_a_sample(self):
        sample = filter_sample()
        self.assertEqual(len(sample), 3)
        for name in sample:
            entry = scenarios()[name]
            expected = sorted([n["frame"] for n in entry["newmail"]]
                              + [r["frame"] for r in entry.get("refusals", [])])
            for mode, two_pass in MODES:
                with self.subTest(capture=name, mode=mode):
                    shown = [int(row[0]) for row in tshark.fields(
                        name, ["frame.protocols"], display_filter="newmail", two_pass=two_pass)]
                    self.assertEqual(shown, expected)

    def test_filter_lists_exactly_the_notifications(self):
        for name, entry in sorted(scenarios().items()):
            expected = [n["frame"] for n in entry["newmail"]]
            quoting = [r["frame"] for r in entry.get("refusals", [])]
            for mode, two_pass in MODES:
                with self.subTest(capture=name, mode=mode):
                    got = [int(row["frame.number"]) for row in notifications(name, two_pass)]
                    self.assertEqual(got, expected)
                    shown = [int(row["frame.number"]) for row in newmail_rows(name, two_pass)]
                    self.assertEqual(shown, sorted(expected + quoting))

    def test_registration_sequence_and_match(self):
        for name, entry in sorted(scenarios().items()):
            for mode, two_pass in MODES:
                rows = {int(row["frame.number"]): row for row in notifications(name, two_pass)}
                for n in entry["newmail"]:
                    with self.subTest(capture=name, mode=mode, frame=n["frame"]):
                        row = rows.get(n["frame"])
                        self.assertIsNotNone(row, "not decoded as NEWMAIL")
                        self.assertEqual(
                            (row["_ws.col.Protocol"], row["newmail.registration_frame"],
                             row["newmail.sequence"], row["newmail.context_match"],
                             row["newmail.payload_length"]),
                            ("NEWMAIL", str(n["registration_frame"]), str(n["sequence"]),
                             "1" if n["payload_matches"] else "0", str(n["length"])))

    def test_context_match_compares_with_the_tied_registration(self):
        # Independent of the manifest's verdict: payload == that registration's context.
        for name, entry in sorted(scenarios().items()):
            for row in notifications(name):
                with self.subTest(capture=name, frame=row["frame.number"]):
                    registration = registration_at(entry, int(row["newmail.registration_frame"]))
                    same = row["newmail.notification_payload"] == registration["context"]
                    self.assertEqual(row["newmail.context_match"], "1" if same else "0")

    def test_one_and_two_passes_agree(self):
        for name in sorted(scenarios()):
            with self.subTest(capture=name):
                self.assertEqual(notifications(name, two_pass=True), notifications(name))

    def test_summary_in_two_passes(self):
        for name, entry in sorted(scenarios().items()):
            for registration in entry["registrations"]:
                if not registration["learned"]:
                    continue
                frame = registration["request_frame"]
                with self.subTest(capture=name, frame=frame):
                    count, first = expected_summary(entry, registration)
                    row = frames(name)[frame]
                    self.assertEqual(row["newmail.notification_count"], str(count))
                    self.assertEqual(row["newmail.first_notification_frame"],
                                     "" if first is None else str(first))

    def test_summary_not_in_one_pass(self):
        for name in PDML_SCENARIOS:
            for frame in sorted(packets(name)):
                with self.subTest(capture=name, frame=frame):
                    row = pdml_row(name, frame)
                    self.assertEqual([row[f] for f in TWO_PASS_ONLY], [""] * len(TWO_PASS_ONLY))


class Timing(unittest.TestCase):
    """Times since the registration and the previous notification, from frame times."""

    def test_times_match_the_frame_times(self):
        for name, entry in sorted(scenarios().items()):
            by_sequence = {(n["registration_frame"], n["sequence"]): n["frame"]
                           for n in entry["newmail"]}
            for mode, two_pass in MODES:
                for row in notifications(name, two_pass):
                    frame = int(row["frame.number"])
                    with self.subTest(capture=name, mode=mode, frame=frame):
                        registration = int(row["newmail.registration_frame"])
                        sequence = int(row["newmail.sequence"])
                        now = decimal.Decimal(row["frame.time_epoch"])
                        self.assertEqual(now, time_of(name, frame))
                        self.assertEqual(decimal.Decimal(row["newmail.time_since_registration"]),
                                         now - time_of(name, registration))
                        if sequence == 1:
                            self.assertEqual(row["newmail.time_since_previous"], "")
                        else:
                            previous = by_sequence[(registration, sequence - 1)]
                            self.assertEqual(decimal.Decimal(row["newmail.time_since_previous"]),
                                             now - time_of(name, previous))

    def test_repeats_are_timed(self):
        # Guards the test above: some notifications are repeats, spaced in time.
        repeats = [n for entry in scenarios().values() for n in entry["newmail"]
                   if n["sequence"] > 1]
        self.assertGreaterEqual(len(repeats), 5)
        row = notifications("basic_ipv4")[-1]
        self.assertGreater(decimal.Decimal(row["newmail.time_since_previous"]), 0)


class RegistrationDecode(unittest.TestCase):
    """The opnum 4 request and response fields, for every registration the plugin can read."""

    def cases(self):
        for name, entry in sorted(scenarios().items()):
            for registration in entry["registrations"]:
                if decodable(registration):
                    yield name, entry, registration

    def expected_request(self, registration):
        context = bytes.fromhex(registration["context"])
        sockaddr = bytes.fromhex(registration["sockaddr"])
        callback = registration["callback"]
        address = ipaddress.ip_address(callback["address"])
        expected = {
            "newmail.context": context.hex(),
            "newmail.context_length": str(len(context)),
            "newmail.callback.family": str(callback["family"]),
            "newmail.callback.port": str(callback["port"]),
            "newmail.callback_length": str(len(sockaddr)),
            "newmail.callback.ipv4": "", "newmail.callback.ipv6": "",
            "newmail.callback.flowinfo": "", "newmail.callback.scope_id": "",
        }
        if address.version == 4:
            expected["newmail.callback.ipv4"] = str(address)
        else:
            # SOCKADDR_IN6: flowinfo in network order, scope id little-endian (PROTOCOL.md).
            expected["newmail.callback.ipv6"] = str(address)
            expected["newmail.callback.flowinfo"] = "0x%08x" % int.from_bytes(sockaddr[4:8], "big")
            expected["newmail.callback.scope_id"] = str(int.from_bytes(sockaddr[24:28], "little"))
        return expected

    @staticmethod
    def views(name, frame):
        """(mode, row) of the frame: two passes always, one pass where read as PDML."""
        yield "two passes", frames(name)[frame]
        if name in PDML_SCENARIOS:
            yield "one pass", pdml_row(name, frame)

    def test_request_fields(self):
        for name, entry, registration in self.cases():
            frame = registration["request_frame"]
            expected = self.expected_request(registration)
            for mode, row in self.views(name, frame):
                with self.subTest(capture=name, frame=frame, mode=mode):
                    self.assertEqual(row["newmail.register"], "1")
                    self.assertEqual({f: row[f] for f in expected}, expected)
                    advise_bits = hex_value(row["newmail.advise_bits"])
                    if "advise_bits" in registration["problems"]:
                        self.assertNotEqual(advise_bits, ADVISE_BITS_ALL)
                    else:
                        self.assertEqual(advise_bits, ADVISE_BITS_ALL)

    def test_info_names_the_callback(self):
        for name, entry, registration in self.cases():
            frame = registration["request_frame"]
            with self.subTest(capture=name, frame=frame):
                info = frames(name)[frame]["_ws.col.Info"]
                self.assertIn(f"registers {callback_text(registration['callback'])}", info)

    def test_response_fields(self):
        for name, entry, registration in self.cases():
            frame = registration["response_frame"]
            for mode, row in self.views(name, frame):
                with self.subTest(capture=name, frame=frame, mode=mode):
                    self.assertEqual(row["newmail.register"], "1")
                    self.assertEqual(hex_value(row["newmail.handle"]), registration["handle"])
                    self.assertEqual(hex_value(row["newmail.return_code"]), registration["status"])
                    self.assertEqual(row["newmail.request_frame"],
                                     str(registration["request_frame"]))

    def test_request_links_its_response_in_two_passes(self):
        for name, entry, registration in self.cases():
            frame = registration["request_frame"]
            with self.subTest(capture=name, frame=frame):
                self.assertEqual(frames(name)[frame]["newmail.response_frame"],
                                 str(registration["response_frame"]))

    def test_malformed_request_links_its_response_in_two_passes(self):
        # The README ("Fields") lists newmail.response_frame among the request's
        # fields without exception; a malformed request has a response too.
        for name in sorted(MALFORMED):
            for registration in scenarios()[name]["registrations"]:
                frame = registration["request_frame"]
                with self.subTest(capture=name, frame=frame):
                    self.assertEqual(frames(name)[frame]["newmail.response_frame"],
                                     str(registration["response_frame"]))

    def test_any_byte_order_and_reassembly(self):
        # Big-endian drep, three DCE/RPC fragments, three TCP segments: read and learned.
        for name in TRANSPORTS:
            entry = scenarios()[name]
            with self.subTest(capture=name):
                [registration] = entry["registrations"]
                self.assertTrue(registration["learned"])
                if name == "big_endian":
                    self.assertEqual(registration["drep"], "be")
                else:
                    self.assertGreater(len(registration["request_frames"]), 1)
                row = frames(name)[registration["request_frame"]]
                self.assertEqual(row["newmail.context"], registration["context"])
                self.assertEqual(row["newmail.callback.port"], str(registration["callback"]["port"]))
                self.assertEqual(
                    [row["newmail.registration_frame"] for row in notifications(name)],
                    [str(registration["request_frame"])] * len(entry["newmail"]))
                self.assertTrue(entry["newmail"])
                for fragment in registration["request_frames"][:-1]:
                    self.assertEqual(frames(name)[fragment]["newmail.register"], "")


class Unregistration(unittest.TestCase):
    """Opnum 5 ends the registration it names; later datagrams are no longer tied."""

    def cases(self):
        for name, entry in sorted(scenarios().items()):
            for unregistration in entry["unregistrations"]:
                yield name, entry, unregistration

    def test_opnum_5_names_the_registration(self):
        cases = list(self.cases())
        self.assertGreaterEqual(len(cases), 2)
        for name, entry, unregistration in cases:
            frame = unregistration["request_frame"]
            with self.subTest(capture=name, frame=frame):
                row = frames(name)[frame]
                self.assertEqual(row["newmail.unregister"], "1")
                self.assertEqual(hex_value(row["newmail.handle"]), unregistration["handle"])
                self.assertEqual(row["newmail.registration_frame"],
                                 str(unregistration["registration_frame"]))
                self.assertEqual(row["newmail.response_frame"],
                                 str(unregistration["response_frame"]))
            response = unregistration["response_frame"]
            with self.subTest(capture=name, frame=response):
                row = frames(name)[response]
                self.assertEqual(row["newmail.unregister"], "1")
                self.assertEqual(hex_value(row["newmail.return_code"]), unregistration["status"])
                self.assertEqual(row["newmail.request_frame"], str(frame))

    def test_registration_shows_where_it_ended_in_two_passes(self):
        for name, entry, unregistration in self.cases():
            with self.subTest(capture=name, frame=unregistration["registration_frame"]):
                row = frames(name)[unregistration["registration_frame"]]
                self.assertEqual(row["newmail.end_frame"],
                                 str(unregistration["request_frame"]))

    def test_datagram_after_is_not_newmail(self):
        entry = scenarios()["unregister"]
        after = [n["frame"] for n in entry["not_newmail"] if n["reason"] == "unregistered"]
        self.assertTrue(after)
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                listed = {int(row["frame.number"]) for row in notifications("unregister", two_pass)}
                self.assertEqual(listed & set(after), set())
                for frame in after:
                    self.assertNotIn("newmail", frames("unregister")[frame]["frame.protocols"])

    def test_decode_as_flags_the_ended_registration(self):
        entry = scenarios()["unregister"]
        [registration] = entry["registrations"]
        port = registration["callback"]["port"]
        after = [n["frame"] for n in entry["not_newmail"] if n["reason"] == "unregistered"]
        tied = {n["frame"]: n for n in entry["newmail"]}
        how, args = how_to_decode(port)[0]
        for mode, two_pass in MODES:
            rows = {int(row["frame.number"]): row
                    for row in notifications("unregister", two_pass, args)}
            with self.subTest(how=how, mode=mode):
                self.assertEqual(sorted(rows), sorted(set(tied) | set(after)))
            for frame in after:
                with self.subTest(how=how, mode=mode, frame=frame):
                    self.assertEqual(rows[frame]["newmail.registration_ended"], "1")
                    self.assertEqual(rows[frame]["newmail.registration_frame"], "")
                    self.assertEqual(rows[frame]["newmail.no_registration"], "")
            for frame, n in tied.items():
                with self.subTest(how=how, mode=mode, frame=frame):
                    self.assertEqual(rows[frame]["newmail.registration_frame"],
                                     str(n["registration_frame"]))
                    self.assertEqual(rows[frame]["newmail.registration_ended"], "")


class BadRegistrations(unittest.TestCase):
    """Malformed requests get their own expert info and teach no port."""

    def test_each_gets_its_expert_info(self):
        for name, expert in sorted(MALFORMED.items()):
            [registration] = scenarios()[name]["registrations"]
            frame = registration["request_frame"]
            with self.subTest(capture=name, mode="one pass"):
                found = sorted({info["abbrev"] for info in newmail_experts(name, frame)})
                self.assertEqual(found, [expert])
            with self.subTest(capture=name, mode="two passes"):
                row = frames(name)[frame]
                self.assertEqual([e for e in MALFORMED_EXPERTS if row[e]], [expert])

    def test_no_port_learned(self):
        for name in sorted(MALFORMED):
            entry = scenarios()[name]
            [registration] = entry["registrations"]
            self.assertFalse(registration["learned"], name)
            for mode, two_pass in MODES:
                with self.subTest(capture=name, mode=mode):
                    self.assertEqual(notifications(name, two_pass), [])
            with self.subTest(capture=name, check="Info"):
                row = frames(name)[registration["request_frame"]]
                self.assertNotIn("registers", row["_ws.col.Info"])
            with self.subTest(capture=name, check="datagrams stay stock"):
                for n in entry["not_newmail"]:
                    protocols = frames(name)[n["frame"]]["frame.protocols"]
                    self.assertNotIn("newmail", protocols.split(":"))

    def test_the_datagram_after_goes_to_the_advertised_port(self):
        # Guards test_no_port_learned: where the stub names a port, a datagram follows to it.
        for name in sorted(MALFORMED):
            entry = scenarios()[name]
            [registration] = entry["registrations"]
            port = registration["advertised_port"]
            with self.subTest(capture=name, port=port):
                after = [n for n in entry["not_newmail"]
                         if n["frame"] > registration["response_frame"]]
                if port:
                    self.assertEqual([n["port"] for n in after], [port])
                else:
                    self.assertEqual(after, [])

    def test_advise_bits_flagged_but_learned(self):
        name, expert = ADVISE_BITS
        entry = scenarios()[name]
        [registration] = entry["registrations"]
        frame = registration["request_frame"]
        self.assertIn(expert, [info["abbrev"] for info in newmail_experts(name, frame)])
        self.assertEqual(frames(name)[frame][expert], "1")
        self.assertNotEqual(hex_value(frames(name)[frame]["newmail.advise_bits"]), ADVISE_BITS_ALL)
        self.assertIn("registers", frames(name)[frame]["_ws.col.Info"])
        self.assertTrue(entry["newmail"])
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                self.assertEqual([row["newmail.registration_frame"]
                                  for row in notifications(name, two_pass)],
                                 [str(frame)] * len(entry["newmail"]))

    def test_rejected_flagged_and_not_tied(self):
        name, expert = REJECTED
        entry = scenarios()[name]
        [registration] = entry["registrations"]
        self.assertNotEqual(registration["status"], 0)
        response = registration["response_frame"]
        self.assertEqual([info["abbrev"] for info in newmail_experts(name, response)], [expert])
        self.assertEqual(frames(name)[response][expert], "1")
        self.assertEqual(frames(name)[registration["request_frame"]][expert], "")
        after = [n["frame"] for n in entry["not_newmail"] if n["frame"] > response]
        self.assertTrue(after)
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                self.assertEqual(notifications(name, two_pass), [])
        for frame in after:
            self.assertNotIn("newmail", frames(name)[frame]["frame.protocols"].split(":"))


class BeforeRegistration(unittest.TestCase):
    """A datagram to the callback before its registration is NEWMAIL only when the user says so."""

    def early(self):
        entry = scenarios()["before_registration"]
        [registration] = entry["registrations"]
        port = registration["callback"]["port"]
        early = [n["frame"] for n in entry["not_newmail"]
                 if n["port"] == port and n["frame"] < registration["request_frame"]]
        self.assertTrue(early)
        return entry, port, early

    def test_not_newmail_by_itself(self):
        _, _, early = self.early()
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                listed = {int(row["frame.number"])
                          for row in notifications("before_registration", two_pass)}
                self.assertEqual(listed & set(early), set())

    def test_newmail_when_told(self):
        entry, port, early = self.early()
        tied = {n["frame"]: n for n in entry["newmail"]}
        self.assertTrue(tied)
        for how, args in how_to_decode(port):
            for mode, two_pass in MODES:
                rows = {int(row["frame.number"]): row
                        for row in notifications("before_registration", two_pass, args)}
                with self.subTest(how=how, mode=mode):
                    self.assertEqual(sorted(rows), sorted(set(early) | set(tied)))
                for frame in early:
                    with self.subTest(how=how, mode=mode, frame=frame):
                        self.assertEqual(rows[frame]["newmail.no_registration"], "1")
                        self.assertEqual(rows[frame]["newmail.registration_frame"], "")
                        self.assertEqual(rows[frame]["_ws.col.Protocol"], "NEWMAIL")
                for frame, n in tied.items():
                    with self.subTest(how=how, mode=mode, frame=frame):
                        self.assertEqual(
                            (rows[frame]["newmail.registration_frame"],
                             rows[frame]["newmail.sequence"], rows[frame]["newmail.no_registration"]),
                            (str(n["registration_frame"]), str(n["sequence"]), ""))


class QuotedInIcmpError(unittest.TestCase):
    """An ICMP port unreachable that quotes a notification is not another notification:
    it shows the NEWMAIL it quotes, refused, and is neither counted nor tied."""

    def quoted(self):
        entry = scenarios()["port_unreachable"]
        [error] = entry["refusals"]
        return entry, error

    def test_error_is_not_counted(self):
        entry, error = self.quoted()
        # The notification after the error is the registration's second.
        self.assertEqual([n["sequence"] for n in entry["newmail"]], [1, 2, 3])
        self.assertEqual(entry["newmail"][1]["frame"], error["frame"] - 1)
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                rows = notifications("port_unreachable", two_pass)
                self.assertEqual([int(row["frame.number"]) for row in rows],
                                 [n["frame"] for n in entry["newmail"]])
                self.assertEqual([row["newmail.sequence"] for row in rows], ["1", "2", "3"])
        row = frames("port_unreachable")[entry["registrations"][0]["request_frame"]]
        self.assertEqual(row["newmail.notification_count"], "3")

    def test_error_shows_the_refused_notification(self):
        entry, error = self.quoted()
        row = frames("port_unreachable")[error["frame"]]
        protocols = row["frame.protocols"].split(":")
        self.assertIn("icmp", protocols)
        self.assertEqual(protocols[protocols.index("icmp") + 1:], ["ip", "udp", "newmail"])
        self.assertEqual(row["newmail.refused_notification_frame"],
                         str(error["notification_frame"]))
        self.assertEqual(row["newmail.notification_refused"], "1")
        self.assertEqual((row["newmail.registration_frame"], row["newmail.sequence"],
                          row["newmail.signal"]), ("", "", ""))
        refused = frames("port_unreachable")[error["notification_frame"]]
        self.assertEqual(refused["newmail.refused_frame"], str(error["frame"]))

    def test_error_on_a_port_given_to_newmail_is_not_tied(self):
        entry, error = self.quoted()
        for how, args in how_to_decode(error["port"]):
            for mode, two_pass in MODES:
                rows = {int(row["frame.number"]): row
                        for row in notifications("port_unreachable", two_pass, args)}
                # The ICMP errors, from the same run (what -Y icmp shows).
                quoted = {int(row["frame.number"]): row for row in _rows(
                    "port_unreachable", notification_columns() + ["frame.protocols"],
                    two_pass=two_pass, extra_args=args)
                          if "icmp" in row["frame.protocols"].split(":")}
                with self.subTest(how=how, mode=mode):
                    row = quoted[error["frame"]]
                    self.assertEqual((row["newmail.registration_frame"], row["newmail.sequence"],
                                      row["newmail.no_registration"]), ("", "", ""))
                    self.assertEqual(row["newmail.refused_notification_frame"],
                                     str(error["notification_frame"]))
                    self.assertEqual(row["newmail.notification_payload"],
                                     entry["registrations"][0]["context"])
                    self.assertEqual([rows[n["frame"]]["newmail.sequence"]
                                      for n in entry["newmail"]], ["1", "2", "3"])


class Callbacks(unittest.TestCase):
    """Which registration a datagram belongs to: host and port, or port alone."""

    def test_two_clients_on_one_port_stay_apart(self):
        entry = scenarios()["two_clients"]
        registrations = entry["registrations"]
        self.assertEqual(len({r["callback"]["port"] for r in registrations}), 1)
        self.assertEqual(len({r["callback"]["address"] for r in registrations}), 2)
        by_address = {r["callback"]["address"]: r["request_frame"] for r in registrations}
        for mode, two_pass in MODES:
            rows = notifications("two_clients", two_pass)
            self.assertEqual(len(rows), len(entry["newmail"]))
            sequences = {}
            for row, n in zip(rows, entry["newmail"]):
                with self.subTest(mode=mode, frame=n["frame"]):
                    expected = by_address[n["address"]]
                    sequences[expected] = sequences.get(expected, 0) + 1
                    self.assertEqual(row["newmail.registration_frame"], str(expected))
                    self.assertEqual(row["newmail.sequence"], str(sequences[expected]))
                    self.assertEqual(row["newmail.context_match"], "1")
            self.assertEqual(sorted(sequences.values()), [2, 2])

    def test_unspecified_address_takes_the_registering_host(self):
        # The server cannot send to 0.0.0.0: it answers the host the registration
        # came from. A datagram to another host on that port is not a notification.
        entry = scenarios()["unspecified_address"]
        [registration] = entry["registrations"]
        self.assertTrue(ipaddress.ip_address(registration["callback"]["address"]).is_unspecified)
        self.assertEqual({n["address"] for n in entry["newmail"]}, {registration["client"]})
        self.assertTrue(any(n["reason"] == "other_address" for n in entry["not_newmail"]))
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                rows = notifications("unspecified_address", two_pass)
                self.assertEqual([int(row["frame.number"]) for row in rows],
                                 [n["frame"] for n in entry["newmail"]])
                self.assertEqual([row["newmail.registration_frame"] for row in rows],
                                 [str(registration["request_frame"])] * len(rows))
                self.assertEqual([row["newmail.sequence"] for row in rows],
                                 [str(i + 1) for i in range(len(rows))])

    def test_mismatch_is_a_warning(self):
        for name in ("mismatch", "reregister"):
            entry = scenarios()[name]
            self.assertTrue(any(not n["payload_matches"] for n in entry["newmail"]), name)
            for n in entry["newmail"]:
                with self.subTest(capture=name, frame=n["frame"]):
                    experts = [info for info in newmail_experts(name, n["frame"])
                               if info["abbrev"] == MISMATCH_EXPERT]
                    row = frames(name)[n["frame"]]
                    if n["payload_matches"]:
                        self.assertEqual(experts, [])
                        self.assertEqual(row["newmail.context_match"], "1")
                    else:
                        self.assertEqual([info["severity"] for info in experts], ["warning"])
                        self.assertEqual(row["newmail.context_match"], "0")

    def test_reregistration_context_is_the_reference(self):
        entry = scenarios()["reregister"]
        first, second = entry["registrations"]
        self.assertEqual(first["callback"], second["callback"])
        self.assertNotEqual(first["context"], second["context"])
        rows = [row for row in notifications("reregister")
                if int(row["frame.number"]) > second["request_frame"]]
        payloads = {row["newmail.notification_payload"] for row in rows}
        self.assertEqual(payloads, {first["context"], second["context"]})
        for row in rows:
            with self.subTest(frame=row["frame.number"]):
                self.assertEqual(row["newmail.registration_frame"], str(second["request_frame"]))
                current = row["newmail.notification_payload"] == second["context"]
                self.assertEqual(row["newmail.context_match"], "1" if current else "0")
                self.assertEqual(row[MISMATCH_EXPERT], "" if current else "1")


class Statistics(unittest.TestCase):
    """`tshark -z newmail,tree`: counts per callback endpoint and in total."""

    @staticmethod
    def expected(entry, decoded_port=None):
        events = []  # (endpoint or None, [counters it ticks])
        registrations = {r["request_frame"]: r for r in entry["registrations"]}
        for registration in entry["registrations"]:
            if decodable(registration):
                events.append((callback_text(registration["callback"]), ["Registrations"]))
        for n in entry["newmail"]:
            counters = ["Notifications"] + ([] if n["payload_matches"] else ["Context mismatches"])
            events.append((callback_text(registrations[n["registration_frame"]]["callback"]),
                           counters))
        for unregistration in entry["unregistrations"]:
            registration = registrations.get(unregistration["registration_frame"])
            events.append((callback_text(registration["callback"]) if registration else None,
                           ["Unregisters"]))
        if decoded_port is not None:
            # Wireshark 4.0's UDP hands an empty payload to no dissector, stock
            # or plugin, so an empty datagram is never a notification.
            for n in entry["not_newmail"]:
                if n["port"] == decoded_port and n["length"] > 0:
                    endpoint = callback_text({"address": n["address"], "port": n["port"]})
                    events.append((endpoint, ["Notifications",
                                              "Notifications with no known registration"]))

        def node(selected):
            children = {}
            for _, counters in selected:
                for counter in counters:
                    count, _ = children.get(counter, (0, {}))
                    children[counter] = (count + 1, {})
            return len(selected), children

        endpoints = {}
        for endpoint, counters in events:
            if endpoint is not None:
                endpoints.setdefault(endpoint, []).append((endpoint, counters))
        tree = {"Totals": node(events),
                "Per callback endpoint": (sum(len(e) for e in endpoints.values()),
                                          {k: node(v) for k, v in endpoints.items()})}
        return without_zeros(tree)

    @staticmethod
    def registration_nodes(tree):
        """The registration side of the tree (signals by client are test_sessions')."""
        return {key: tree[key] for key in ("Totals", "Per callback endpoint") if key in tree}

    def cases(self):
        payload_ports = {n["port"] for n in scenarios()["payloads"]["not_newmail"]}
        self.assertEqual(len(payload_ports), 1)
        [port] = payload_ports
        return [("basic_ipv4", (), None), ("mismatch", (), None), ("unregister", (), None),
                ("payloads", ("-d", f"udp.port=={port},newmail"), port)]

    def test_counts(self):
        for name, args, port in self.cases():
            with self.subTest(capture=name, args=args):
                expected = self.expected(scenarios()[name], port)
                self.assertTrue(expected["Totals"][0] > 0)
                self.assertEqual(self.registration_nodes(without_zeros(stats_tree(name, args))),
                                 expected)

    def test_parser_reads_nesting(self):
        # Guards the tests above against a parser that flattens the table.
        tree = stats_tree("basic_ipv4")
        endpoint = callback_text(scenarios()["basic_ipv4"]["registrations"][0]["callback"])
        self.assertIn(endpoint, tree["Per callback endpoint"][1])
        self.assertIn("Notifications", tree["Per callback endpoint"][1][endpoint][1])


if __name__ == "__main__":
    unittest.main()
