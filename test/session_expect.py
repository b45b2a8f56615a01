# SPDX-License-Identifier: GPL-2.0-or-later
"""What the session, async and signal fields (README: "What you see" and
"Statistics") must be, frame by frame, from the manifest newmail_gen/captures.py
writes; and tshark's output read back in one form on every Wireshark version.

Shared by test_sessions.py, test_async.py and test_sealed.py.  Nothing here
runs the plugin's logic: every expected value is the generator's record of
what it wrote (frames, handles, times) and the rules of the README's "What you see" that its
Expectations class applies.

expected_table(entry, two_pass) -> {frame: {field: value or None}}
    the value of each field in OWNED on each frame: a tuple (one element per
    occurrence, () when the field must be absent), or None where the README
    leaves the field open.  In one pass the forward links (FORWARD) are ().
rows(capture, two_pass, extra_args) -> {frame: {field: tuple}}
    tshark -T fields with every registered field this module knows, each
    value normalised by the field's type (see normalise).
"""

import decimal
import re

import tshark_harness as tshark

# Every field and expert info of the README's "What you see" these tests look at.
SESSION_FIELDS = [
    "newmail.session", "newmail.cxh", "newmail.session_frame",
    "newmail.signal_frame", "newmail.signals_answered", "newmail.return_code",
    "newmail.async.acxh",
]
SIGNAL_FIELDS = [
    "newmail.signal", "newmail.fetch_frame", "newmail.fetch_delay",
    "newmail.unfetched_signal_frame", "newmail.not_fetched",
    "newmail.refused_frame", "newmail.refused_notification_frame",
    "newmail.notification_refused", "newmail.callback_not_source",
    "newmail.registration_frame", "newmail.sequence", "newmail.end_frame",
]
ASYNC_FIELDS = [
    "asyncemsmdb.flags_in", "asyncemsmdb.connect_frame",
    "asyncemsmdb.flags_out", "asyncemsmdb.pending",
    "asyncemsmdb.wait_time", "asyncemsmdb.unknown_handle",
    "newmail.request_frame", "newmail.response_frame",
]
OWNED = SESSION_FIELDS + SIGNAL_FIELDS + ASYNC_FIELDS
# Expert infos among them, with the severity the README gives each.
EXPERTS = {
    "newmail.not_fetched": "warning",
    "newmail.notification_refused": "warning",
    "newmail.callback_not_source": "warning",
    "asyncemsmdb.unknown_handle": "note",
}
# Links to later frames: filled in only once the whole file was read (two
# passes, the GUI).  The first three are the README's; the others are forward
# by nature (a request cannot know its response, nor a registration its end).
FORWARD = ("newmail.fetch_frame", "newmail.fetch_delay", "newmail.refused_frame",
           "newmail.response_frame", "newmail.end_frame",
           "newmail.notification_count", "newmail.first_notification_frame")
MODES = [("one pass", False), ("two passes", True)]

SESSION_OPNUMS = {0, 1, 2, 4, 5, 10, 11, 14}
CONNECT_OPNUMS = {0, 10}
# Responses whose leading pcxh the README shows as newmail.cxh.
CXH_RESPONSE_OPNUMS = {0, 2, 10, 11}
OPNUM_NAMES = {10: "EcDoConnectEx", 11: "EcDoRpcExt2", 14: "EcDoAsyncConnectEx"}
SIGNAL_NAMES = {"UDP push notification": 1,
                "Asynchronous RPC wait (EcDoAsyncWaitEx)": 2,
                "MAPI over HTTP NotificationWait": 3}

def scenarios():
    return tshark.manifest()["scenarios"]


def model(name):
    """The full model of capture ``name``: for a sealed capture the one seen
    with the password (manifest "sealed"/"model"), else its entry."""
    entry = scenarios()[name]
    return entry["sealed"]["model"] if "sealed" in entry else entry


def registered_fields():
    """{abbrev: type} of every field of the newmail and asyncemsmdb protocols."""
    def make():
        stdout, _, _ = tshark.run(["-G", "fields"])
        found = {}
        for line in stdout.splitlines():
            row = line.split("\t")
            if len(row) >= 5 and row[0] == "F" and row[4] in ("newmail", "asyncemsmdb"):
                found[row[2]] = row[3]
            elif len(row) >= 3 and row[0] == "P" and row[2] in ("newmail", "asyncemsmdb"):
                found[row[2]] = "FT_PROTOCOL"
        return found
    return tshark.cached("session field types", make)


def missing(fields):
    return [name for name in fields if name not in registered_fields()]


# --- tshark output, normalised ------------------------------------------------

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def normalise(kind, text):
    """One -T fields value as a tuple of Python values, () when absent.

    -T fields prints booleans as 1/0 up to 4.0 and True/False from 4.2,
    value_string integers as numbers (or names), frame numbers and times as
    numbers (later versions may add a unit), bytes as hex (maybe with
    colons).  FT_NONE items print 1 per occurrence; a protocol prints its
    item's text, read here as (1,).
    """
    if text == "":
        return ()
    if kind == "FT_PROTOCOL":
        # Printed as the protocol item's text, which may hold commas.
        return (1,)
    values = []
    for part in text.split(","):
        part = part.strip()
        if kind == "FT_NONE":
            values.append(1)
        elif kind == "FT_BOOLEAN":
            values.append(part in ("1", "True", "TRUE", "true"))
        elif kind == "FT_BYTES":
            values.append(part.replace(":", "").replace(" ", "").lower())
        elif kind == "FT_RELATIVE_TIME":
            values.append(decimal.Decimal(_NUMBER.search(part).group(0)))
        elif kind.startswith(("FT_UINT", "FT_INT", "FT_FRAMENUM")):
            if part in SIGNAL_NAMES:
                values.append(SIGNAL_NAMES[part])
            else:
                match = re.match(r"(0x[0-9a-fA-F]+|\d+)", part)
                values.append(int(match.group(1), 0) if match else part)
        else:
            values.append(part)
    return tuple(values)


def rows(capture, two_pass=False, extra_args=(), fields=None):
    """{frame: {field: normalised value}} of every frame of ``capture``:
    every registered field of ``fields`` (default: OWNED plus the protocols
    and the Info and Protocol columns)."""
    wanted = list(fields or (OWNED + ["newmail", "asyncemsmdb", "asyncemsmdb.opnum"]))
    types = registered_fields()
    columns = [name for name in wanted if name in types]
    key = ("rows", capture, two_pass, tuple(extra_args), tuple(columns))

    def make():
        names = columns + ["_ws.col.Info", "_ws.col.Protocol", "frame.time_epoch"]
        found = {}
        for row in tshark.fields(capture, names, two_pass=two_pass, extra_args=extra_args):
            values = {}
            for name, text in zip(names, row[1:]):
                if name.startswith(("_ws.", "frame.")):
                    values[name] = text
                else:
                    values[name] = normalise(types[name], text)
            for name in wanted:
                values.setdefault(name, ())
            found[int(row[0])] = values
        return found
    return tshark.cached(key, make)


def all_newmail_rows(capture, two_pass=False, extra_args=()):
    """rows() with every registered newmail.* and asyncemsmdb* field."""
    return rows(capture, two_pass, extra_args, fields=sorted(registered_fields()))


def frames_matching(capture, display_filter, two_pass=False, extra_args=()):
    """Frame numbers `tshark -Y display_filter` shows."""
    key = ("filter", capture, display_filter, two_pass, tuple(extra_args))
    # Asking for a field fields() prints anyway makes this the run every
    # module makes with that filter (test_registration's -Y newmail).
    return tshark.cached(key, lambda: [int(row[0]) for row in tshark.fields(
        capture, ["frame.protocols"], display_filter=display_filter, two_pass=two_pass,
        extra_args=extra_args)])


def packets(capture, two_pass=False, extra_args=(), plugin=True):
    """{frame: PDML <packet>} of every frame."""
    def make():
        found = {}
        for packet in tshark.pdml(capture, two_pass=two_pass, extra_args=extra_args,
                                  plugin=plugin):
            for field in packet.iter("field"):
                if field.get("name") == "num":
                    found[int(field.get("show"))] = packet
                    break
        return found
    return tshark.cached(("pdml", capture, two_pass, tuple(extra_args), plugin), make)


def experts(capture, frame, extra_args=(), two_pass=False):
    """The plugin's expert infos (newmail.*, asyncemsmdb.*) of one frame (PDML)."""
    return [info for info in tshark.expert_infos(packets(capture, two_pass, extra_args)[frame])
            if (info["abbrev"] or "").startswith(("newmail.", "asyncemsmdb."))]


def seconds(microseconds):
    """A time in the manifest's microseconds as tshark's seconds."""
    return decimal.Decimal(microseconds) / 1000000


# --- the expected table -------------------------------------------------------

def _frames(value):
    return () if value is None else (value,)


def expected_table(entry, two_pass):
    """{frame: {field: expected tuple or None}} for every frame of ``entry``
    (a model: a manifest entry, or a sealed capture's "model")."""
    table = {frame: {field: () for field in OWNED}
             for frame in range(1, entry["frames"] + 1)}

    for call in entry["calls"]:
        if call["interface"] == "asyncemsmdb":
            _async_call(call, table, two_pass)
        elif call["opnum"] in SESSION_OPNUMS:
            _session_call(call, table, two_pass)
    signals = {signal["frame"]: signal for signal in entry["signals"]}
    for signal in entry["signals"]:
        row = table[signal["frame"]]
        row["newmail.signal"] = (signal["mechanism"],)
        row["newmail.session_frame"] = _frames(signal["session_frame"])
        row["newmail.unfetched_signal_frame"] = _frames(signal["unfetched_signal_frame"])
        row["newmail.not_fetched"] = (1,) if signal["unfetched_signal_frame"] else ()
        if two_pass:
            row["newmail.fetch_frame"] = _frames(signal["fetch_frame"])
            row["newmail.fetch_delay"] = (() if signal["fetch_delay_us"] is None
                                          else (seconds(signal["fetch_delay_us"]),))
            row["newmail.refused_frame"] = _frames(signal["refused_frame"])
    for notification in entry["newmail"]:
        row = table[notification["frame"]]
        row["newmail.registration_frame"] = (notification["registration_frame"],)
        row["newmail.sequence"] = (notification["sequence"],)
        assert notification["frame"] in signals
    for refusal in entry["refusals"]:
        row = table[refusal["frame"]]
        row["newmail.refused_notification_frame"] = (refusal["notification_frame"],)
        row["newmail.notification_refused"] = (1,)
        row["newmail.session_frame"] = None     # the README says nothing of it
    for registration in entry["registrations"]:
        row = table[registration["request_frame"]]
        row["newmail.callback_not_source"] = (1,) if registration["callback_not_source"] else ()
        row["newmail.registration_frame"] = None
        if not two_pass:
            row["newmail.end_frame"] = ()
        elif registration["callback"] is None:
            row["newmail.end_frame"] = None     # malformed: never learned
        else:
            row["newmail.end_frame"] = _frames(registration["end_frame"])
        table[registration["response_frame"]]["newmail.registration_frame"] = None
    for unregistration in entry["unregistrations"]:
        # opnum 5 names its registration: test_registration's business.
        table[unregistration["request_frame"]]["newmail.registration_frame"] = None
    return table


def _session_call(call, table, two_pass):
    opnum = call["opnum"]
    request = table[call["request_frame"]]
    session_subtree = (1,) if opnum not in (4, 5) else ()
    # A 0/10 request carries nothing the plugin reads, so its subtree may be
    # absent.  Inside the register/unregister subtrees newmail.cxh is
    # optional: those subtrees show what they showed before sessions existed.
    request["newmail.session"] = None if opnum in CONNECT_OPNUMS else session_subtree
    request["newmail.session_frame"] = _frames(call["request_session_frame"])
    if opnum in CONNECT_OPNUMS:
        request["newmail.cxh"] = ()
    elif opnum in (4, 5):
        request["newmail.cxh"] = None
    else:
        request["newmail.cxh"] = (call["request_handle"],)
    # A fetch links the first signal it answers and counts them all.
    answered = call.get("signal_frames", [])
    request["newmail.signal_frame"] = tuple(answered[:1])
    request["newmail.signals_answered"] = (len(answered),) if answered else ()
    # Links between a call's request and response: the existing fields,
    # tested for opnums 4/5 by test_registration; here only that they exist.
    request["newmail.response_frame"] = None
    if call["fault_status"] is not None or call["response_frame"] is None:
        return
    response = table[call["response_frame"]]
    response["newmail.session"] = session_subtree
    response["newmail.session_frame"] = _frames(call["response_session_frame"])
    response["newmail.cxh"] = ((call["response_handle"],) if opnum in CXH_RESPONSE_OPNUMS
                               else None)
    response["newmail.return_code"] = (call["return_code"],)
    response["newmail.request_frame"] = (call["request_frame"],)
    if opnum == 14:
        response["newmail.async.acxh"] = (call["acxh"],)


def _async_call(call, table, two_pass):
    request = table[call["request_frame"]]
    request["newmail.async.acxh"] = (call["acxh"],)
    request["asyncemsmdb.flags_in"] = (call["flags_in"],)
    request["asyncemsmdb.connect_frame"] = _frames(call["connect_frame"])
    request["newmail.session_frame"] = _frames(call["request_session_frame"])
    request["asyncemsmdb.unknown_handle"] = (1,) if call["unknown_handle"] else ()
    if call["fault_status"] is not None:
        request["newmail.response_frame"] = None
        for frame in call["response_frames"] + call["cancel_frames"]:
            # The fault and the co_cancel: stock DCE/RPC's; no signal.
            table[frame]["newmail.request_frame"] = None
            table[frame]["newmail.session_frame"] = None
            table[frame]["asyncemsmdb.connect_frame"] = None
        return
    request["newmail.response_frame"] = (call["response_frame"],) if two_pass else ()
    response = table[call["response_frame"]]
    response["asyncemsmdb.flags_out"] = (call["flags_out"],)
    response["asyncemsmdb.pending"] = (call["pending"],)
    response["newmail.return_code"] = (call["return_code"],)
    response["newmail.request_frame"] = (call["request_frame"],)
    response["asyncemsmdb.wait_time"] = (seconds(call["wait_time_us"]),)
    response["asyncemsmdb.connect_frame"] = _frames(call["connect_frame"])
    response["newmail.session_frame"] = _frames(call["response_session_frame"])
    response["newmail.async.acxh"] = None      # README: on the request


def compare(test, capture, fields, two_pass, extra_args=(), entry=None):
    """Assert that every frame of ``capture`` shows ``fields`` as the
    expected table says (None: not checked).  Returns how many values were
    checked and how many of them were non-empty, for not-vacuous checks."""
    entry = entry or model(capture)
    table = expected_table(entry, two_pass)
    got = rows(capture, two_pass, extra_args)
    test.assertEqual(sorted(got), sorted(table), f"{capture}: frame numbers")
    checked = present = 0
    for frame in sorted(table):
        for field in fields:
            expected = table[frame][field]
            if expected is None:
                continue
            with test.subTest(capture=capture, frame=frame, field=field,
                              mode="two passes" if two_pass else "one pass"):
                test.assertEqual(got[frame][field], expected)
            checked += 1
            present += bool(expected)
    return checked, present


# --- statistics ---------------------------------------------------------------

STATS_NODE = "Signals by client"
STATS_CHILDREN = {1: "UDP push notifications", 2: "Asynchronous RPC waits",
                  3: "MAPI over HTTP NotificationWaits"}
FETCHED, NOT_FETCHED, REFUSED, DELAY = ("Fetched", "Not fetched", "Refused", "Fetch delay (ms)")


def parse_stats(text):
    """tshark's stats_tree text as {item: {"count", "average", "min", "max",
    "children"}}, the columns found by the header's titles (an average node
    fills Average, Min Val and Max Val)."""
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith("Topic / Item")]
    if len(headers) != 1:
        raise AssertionError(f"no stats tree table in:\n{text}")
    header = lines[headers[0]]
    starts = {title: header.index(title) for title in ("Count", "Average", "Min Val",
                                                        "Max Val", "Rate (ms)")}
    root = {}
    stack = [(-1, root)]
    for line in lines[headers[0] + 2:]:
        if line.startswith("---") or not line.strip():
            break
        name_part = line[:starts["Count"]]
        depth = len(name_part) - len(name_part.lstrip(" "))
        name = name_part.strip()

        def column(first, after):
            return line[starts[first]:starts[after]].strip()
        node = {"count": int(column("Count", "Average")),
                "average": column("Average", "Min Val"),
                "min": column("Min Val", "Max Val"),
                "max": column("Max Val", "Rate (ms)"),
                "children": {}}
        while stack[-1][0] >= depth:
            stack.pop()
        stack[-1][1][name] = node
        stack.append((depth, node["children"]))
    return root


def stats(capture, two_pass=False, extra_args=()):
    def make():
        return parse_stats(tshark.stats_tree(capture, extra_args, two_pass))
    return tshark.cached(("stats", capture, two_pass, tuple(extra_args)), make)


def expected_signal_stats(entry):
    """{client: {child: count, DELAY: [delays in ms]}} per the README's "Statistics":
    a signal counts under its mechanism and, when not fetched, under Not
    fetched, for its client (its destination address); a fetch request that
    answers signals counts once under Fetched, for its client (the request's
    source), with one delay, from the first signal it answers; an ICMP error
    quoting a notification counts under Refused for the notification's
    destination."""
    clients = {}

    def node(client):
        return clients.setdefault(client, {DELAY: []})

    times = {signal["frame"]: signal["time_us"] for signal in entry["signals"]}
    for signal in entry["signals"]:
        counts = node(signal["client"])
        child = STATS_CHILDREN[signal["mechanism"]]
        counts[child] = counts.get(child, 0) + 1
        if signal["unfetched_signal_frame"] is not None:
            counts[NOT_FETCHED] = counts.get(NOT_FETCHED, 0) + 1
    for fetch in entry["fetches"]:
        if not fetch["signal_frames"]:
            continue
        counts = node(fetch["client"])
        counts[FETCHED] = counts.get(FETCHED, 0) + 1
        call = [c for c in entry["calls"] if c["request_frame"] == fetch["frame"]
                and c["interface"] == "emsmdb"][0]
        delay = call["request_time_us"] - times[fetch["signal_frames"][0]]
        counts[DELAY].append(decimal.Decimal(delay) / 1000)
    for refusal in entry["refusals"]:
        counts = node(refusal["client"])
        counts[REFUSED] = counts.get(REFUSED, 0) + 1
    return clients
