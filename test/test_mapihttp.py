# SPDX-License-Identifier: GPL-2.0-or-later
"""MAPI over HTTP, RopNotify and the fetch that answers a NotificationWait.

What the plugin must show is the README's "MAPI over HTTP" and "ROP buffers
and RopNotify" (and "Signals" and "Statistics" for the signal, fetch and
statistics links). Every expectation comes from the
manifests the generators write while they write the traffic:
  newmail_gen/mapihttp.py  plain-HTTP captures (TLS offloaded) and EcDoRpcExt2
                        captures, with a manifest.json of frames and values
                        ($NEWMAIL_MAPIHTTP_CAPTURES, by default the folder
                        captures-mapihttp next to $NEWMAIL_CAPTURES)
  newmail_gen/tls_capture.py   a live TLS capture and its key log, with a manifest
                        naming messages by X-RequestId ($NEWMAIL_TLS_CAPTURES,
                        by default captures-tls next to $NEWMAIL_CAPTURES)
and from examples/ (make_examples.py's mapihttp-newmail.pcap, and
mapihttp-tls.pcapng with its key log, described by newmail_gen/tls_capture.py's script).

tshark runs, each cached for the process: per capture one-pass and
two-pass PDML with the plugin (fields, subtrees, expert infos), stock PDML
(for "unchanged" and "well formed"), `-x` for the decoded ROP buffer data
sources, `-z newmail,tree` for the statistics.

Value conventions: integers are read with int(x, 0) (a field may be decimal
or hex), booleans as 1/0 or True/False (4.0 vs 4.4+), relative times as
decimal seconds.
"""

import decimal
import hashlib
import importlib.util
import json
import os
import re
import sys
import unittest

import tshark_harness as tshark
from newmail_gen import mapihttp as mg
from newmail_gen import rop as rb
from newmail_gen import tls_capture

HERE = os.path.dirname(os.path.abspath(__file__))

# --- Where things are -----------------------------------------------------------


def _beside_captures(name):
    base = os.environ.get("NEWMAIL_CAPTURES", "")
    return os.path.join(os.path.dirname(os.path.abspath(base)), name) if base else ""


def _source_dir():
    return os.environ.get("NEWMAIL_SOURCE_DIR") or os.path.dirname(HERE)


MAPIHTTP_DIR = os.environ.get("NEWMAIL_MAPIHTTP_CAPTURES") or _beside_captures("captures-mapihttp")
TLS_DIR = os.environ.get("NEWMAIL_TLS_CAPTURES") or _beside_captures("captures-tls")
EXAMPLES_DIR = os.path.join(_source_dir(), "examples")

# --- Field names (README: "MAPI over HTTP", "Fields") -----------------------------

MAPIHTTP_FIELDS = [
    "mapihttp.request_type", "mapihttp.request_id", "mapihttp.client_info",
    "mapihttp.response_code", "mapihttp.meta_tag", "mapihttp.status_code",
    "mapihttp.error_code", "mapihttp.flags", "mapihttp.event_pending",
    "mapihttp.rop_buffer_size", "mapihttp.max_rop_out", "mapihttp.aux_buffer_size",
    "mapihttp.endpoint",
]
RHE = "newmail.rpc_header_ext."
RHE_FIELDS = [RHE + f for f in ("version", "flags", "size", "size_actual", "flags.compressed",
                                "flags.xor_magic", "flags.last")]
TYPE_FIELDS = {"newmail.notify.type." + name: mask for name, mask in rb.TYPE_BOOLEANS.items()}
NOTIFY_FIELDS = ["newmail.notify", "newmail.notify.handle", "newmail.notify.logon_id",
                 "newmail.notify.type", "newmail.notify.folder_id", "newmail.notify.message_id",
                 "newmail.notify.message_flags", "newmail.notify.unicode",
                 "newmail.notify.message_class", "newmail.notify.signal_frame",
                 "newmail.pending_rop", "newmail.pending_rop.session_index"] + list(TYPE_FIELDS)
LINK_FIELDS = ["newmail.session_frame", "newmail.signal", "newmail.signal_frame",
               "newmail.signals_answered", "newmail.fetch_frame", "newmail.fetch_delay",
               "newmail.unfetched_signal_frame"]
EXPERTS = ["newmail.rop_unsized", "newmail.not_fetched"]
SIGNAL_MAPI_HTTP = 3
NEWMAIL_TYPE = rb.NT_NEW_MAIL
DECODED_SOURCE = "Decoded ROP buffer"
STATS_NODE = "MAPI over HTTP NotificationWaits"

# --- Reading values -----------------------------------------------------------------

_TRUE = {"1", "True", "true"}
_FALSE = {"0", "False", "false"}


def as_bool(text):
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise AssertionError(f"not a boolean field value: {text!r}")


def as_int(text):
    return int(text, 0)


def as_value(expected, text):
    """Read text the way expected is typed (bool, int or str)."""
    if isinstance(expected, bool):
        return as_bool(text)
    if isinstance(expected, int):
        return as_int(text)
    return text


def shows(element, name):
    """The show values of every field `name` under element, in tree order."""
    return [e.get("show") for e in element.iter("field") if e.get("name") == name]


def first(element, name):
    values = shows(element, name)
    return values[0] if values else None


def subtrees(element, name):
    return [e for e in element.iter("field") if e.get("name") == name]


def expert_abbrevs(packet):
    return [info["abbrev"] for info in tshark.expert_infos(packet)]


def frame_number(packet):
    for field in packet.iter("field"):
        if field.get("name") == "num":
            return int(field.get("show"))
    raise AssertionError("a PDML packet without geninfo.num")


# --- tshark runs, cached ---------------------------------------------------------------

def pdml(path, two_pass=False, plugin=True, keylog=None):
    """{frame number: PDML packet} of a whole capture."""
    extra = ("-o", "tls.keylog_file:" + tshark.readable(keylog)) if keylog else ()

    def make():
        return {frame_number(p): p for p in tshark.pdml(path, extra_args=extra, plugin=plugin,
                                                          two_pass=two_pass)}
    return tshark.cached(("pdml", path, two_pass, plugin, keylog), make)


def data_sources(path, frame, keylog=None):
    """The data sources `tshark -x` shows for one frame: {source name: [bytes, ...]}
    (none for a frame that has only its own bytes)."""
    return _data_sources(path, keylog).get(frame, {})


def _data_sources(path, keylog):
    """`tshark -P -x` of a whole capture, one run: {frame: {source name:
    [bytes, ...]}}. Each frame's summary line starts its part; tshark heads
    each source with "Name (N bytes):" when a frame has more than one."""
    def make():
        args = ["-r", tshark.readable(path), "-P", "-x"]
        if keylog:
            args += ["-o", "tls.keylog_file:" + tshark.readable(keylog)]
        stdout, _, _ = tshark.run(args)
        frames, sources, current = {}, None, None
        for line in stdout.splitlines():
            summary = re.match(r"^\s+(\d+)\s", line)
            heading = re.match(r"^(\S.*) \((\d+) bytes\):$", line)
            if summary:
                sources, current = frames.setdefault(int(summary.group(1)), {}), None
            elif heading and sources is not None:
                current = bytearray()
                sources.setdefault(heading.group(1), []).append(current)
            else:
                row = re.match(r"^[0-9a-f]{4,}  ((?:[0-9a-f]{2} )*[0-9a-f]{2})", line)
                if row and current is not None:
                    current += bytes.fromhex(row.group(1).replace(" ", ""))
        return {number: {name: [bytes(b) for b in blobs] for name, blobs in found.items()}
                for number, found in frames.items()}
    return tshark.cached(("x", path, keylog), make)


def stats_tree(path, two_pass=False):
    """`-z newmail,tree` as {item: (columns, {child: ...})}; columns are the
    numbers after the name (Count, then Average/Min/Max for average nodes)."""
    def make():
        stdout = tshark.stats_tree(path, two_pass=two_pass)
        lines = stdout.splitlines()
        header = [i for i, line in enumerate(lines) if line.startswith("Topic / Item")]
        if len(header) != 1:
            raise AssertionError(f"no stats tree table in:\n{stdout}")
        root, stack = {}, [(-1, {})]
        stack[0] = (-1, root)
        for line in lines[header[0] + 2:]:
            if line.startswith("---") or not line.strip():
                break
            depth = len(line) - len(line.lstrip(" "))
            cells = re.split(r"\s{2,}", line.strip())
            numbers = []
            for cell in cells[1:]:
                try:
                    numbers.append(decimal.Decimal(cell.rstrip("%")))
                except decimal.InvalidOperation:
                    numbers.append(None)
            while stack[-1][0] >= depth:
                stack.pop()
            children = {}
            stack[-1][1][cells[0]] = (numbers, children)
            stack.append((depth, children))
        return root
    return tshark.cached(("stats", path, two_pass), make)


# --- The manifests -------------------------------------------------------------------


def _manifest(folder, what):
    path = os.path.join(folder, "manifest.json")
    if not folder or not os.path.isfile(path):
        raise tshark.TsharkError(f"no {path}: {what} did not run (CTest runs it as a fixture)")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)["scenarios"]


def scenarios():
    return tshark.cached("manifest", lambda: _manifest(MAPIHTTP_DIR, "newmail_gen/mapihttp.py"))


def tls_unavailable():
    """Why newmail_gen/tls_capture.py could not capture here (it was refused a
    network namespace), or None when it could."""
    path = os.path.join(TLS_DIR, tls_capture.UNAVAILABLE) if TLS_DIR else ""
    if path and os.path.isfile(path):
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return None


def tls_scenario():
    return tshark.cached("tls", lambda: _manifest(TLS_DIR, "newmail_gen/tls_capture.py")[tls_capture.NAME])


def path_of(name):
    return os.path.join(MAPIHTTP_DIR, scenarios()[name]["file"])


def mapi_messages(entry):
    """The MAPI/HTTP messages HTTP hands a body to (an empty PING request has none)."""
    return [m for m in entry["messages"] if m["kind"] == "mapihttp" and m["entity_length"]]


def http_scenarios():
    return [name for name, entry in scenarios().items() if entry["messages"]]


# --- Checks shared by generated captures and examples -------------------------------


def check_message_fields(test, message, packet, where):
    """Header-derived fields, meta-tags, body fields, endpoint."""
    test.assertTrue(packet.findall(".//proto[@name='mapihttp']"), f"{where}: no mapihttp")
    test.assertEqual(first(packet, "mapihttp.request_type"), message["request_type"], where)
    test.assertEqual(first(packet, "mapihttp.request_id"), message["request_id"], where)
    test.assertEqual(first(packet, "mapihttp.client_info"), message["client_info"], where)
    test.assertEqual(first(packet, "mapihttp.endpoint"), message["endpoint"], where)
    if message["direction"] == "response":
        test.assertEqual(shows(packet, "mapihttp.meta_tag"), message["meta_tags"], where)
        test.assertEqual(as_int(first(packet, "mapihttp.response_code")),
                         message["response_code"], where)
    for name, expected in message["fields"].items():
        values = shows(packet, name)
        test.assertEqual(len(values), 1, f"{where}: {name} occurrences {values}")
        test.assertEqual(as_value(expected, values[0]), expected, f"{where}: {name}")


def check_blocks(test, rop, packet, where):
    """One RPC_HEADER_EXT field set per block, in order."""
    blocks = rop["blocks"]
    for name, key in (("version", "version"), ("flags", "flags"), ("size", "size"),
                      ("size_actual", "size_actual")):
        test.assertEqual([as_int(v) for v in shows(packet, RHE + name)],
                         [b[key] for b in blocks], f"{where}: {RHE}{name}")
    for name, key in (("flags.compressed", "compressed"), ("flags.xor_magic", "xor_magic"),
                      ("flags.last", "last")):
        test.assertEqual([as_bool(v) for v in shows(packet, RHE + name)],
                         [b[key] for b in blocks], f"{where}: {RHE}{name}")


def notify_values(packet):
    """Each newmail.notify subtree as {field: show} (first occurrence of each)."""
    found = []
    for tree in subtrees(packet, "newmail.notify"):
        values = {}
        for element in tree.iter("field"):
            values.setdefault(element.get("name"), element.get("show"))
        found.append(values)
    return found


def check_notifications(test, rop, packet, where, signal_frame=None):
    """RopNotify and RopPending, in order, as the model says."""
    expected = rop["notifications"]
    got = notify_values(packet)
    test.assertEqual(len(got), len(expected), f"{where}: RopNotify count")
    for index, (model, values) in enumerate(zip(expected, got)):
        here = f"{where} notification {index}"
        test.assertEqual(as_int(values["newmail.notify.handle"]), model["handle"], here)
        test.assertEqual(as_int(values["newmail.notify.logon_id"]), model["logon_id"], here)
        test.assertEqual(as_int(values["newmail.notify.type"]), model["type"], here)
        for name, mask in TYPE_FIELDS.items():
            test.assertIn(name, values, here)
            test.assertEqual(as_bool(values[name]), bool(model["type"] & mask), f"{here}: {name}")
        if model["type"] & 0x0FFF == NEWMAIL_TYPE:
            test.assertEqual(as_int(values["newmail.notify.folder_id"]), model["folder_id"], here)
            test.assertEqual(as_int(values["newmail.notify.message_id"]), model["message_id"],
                             here)
            test.assertEqual(as_int(values["newmail.notify.message_flags"]),
                             model["message_flags"], here)
            test.assertEqual(as_bool(values["newmail.notify.unicode"]), model["unicode"], here)
            test.assertEqual(values["newmail.notify.message_class"], model["message_class"], here)
            if signal_frame is None:
                test.assertNotIn("newmail.notify.signal_frame", values, here)
            else:
                test.assertEqual(as_int(values["newmail.notify.signal_frame"]), signal_frame, here)
    test.assertEqual([as_int(v) for v in shows(packet, "newmail.pending_rop.session_index")],
                     [p["session_index"] for p in rop["pending"]], f"{where}: RopPending")


def check_fetch(test, packet, answered, where):
    """A fetch request links the first signal it answers and counts them
    (README: "Signals and the fetch that answers them"); anything else carries neither field."""
    test.assertEqual([as_int(v) for v in shows(packet, "newmail.signal_frame")],
                     answered[:1], f"{where}: signal_frame")
    test.assertEqual([as_int(v) for v in shows(packet, "newmail.signals_answered")],
                     [len(answered)] if answered else [], f"{where}: signals_answered")


def check_decoded_sources(test, rop, sources, where):
    """Every compressed or XORed block's payload is a "Decoded ROP buffer"."""
    decoded = {hashlib.sha256(b).hexdigest() for b in sources.get(DECODED_SOURCE, [])}
    for index, block in enumerate(rop["blocks"]):
        if block["compressed"] or block["xor_magic"]:
            test.assertIn(block["payload_sha256"], decoded,
                          f"{where}: block {index} ({block['payload_length']} bytes) is not a "
                          f"'{DECODED_SOURCE}' data source; sources: "
                          f"{ {k: [len(b) for b in v] for k, v in sources.items()} }")


def check_entry(test, entry, path, keylog=None):
    """Everything a generated capture's manifest entry promises, one pass and two."""
    one, two = pdml(path, keylog=keylog), pdml(path, two_pass=True, keylog=keylog)
    signals = {s["frame"]: s for s in entry["signals"]}
    for message in mapi_messages(entry):
        for mode, packets in (("one pass", one), ("two passes", two)):
            with test.subTest(frame=message["frame"], mode=mode):
                check_message(test, entry, message, mode, packets, signals)


def check_message(test, entry, message, mode, packets, signals):
    """One MAPI/HTTP message of a generated capture, in one mode."""
    frame = message["frame"]
    where = (f"{entry['file']} frame {frame} ({message['request_type']} "
             f"{message['direction']}, {mode})")
    packet = packets[frame]
    check_message_fields(test, message, packet, where)
    session = message["session_frame"]
    test.assertEqual([as_int(v) for v in shows(packet, "newmail.session_frame")][:1],
                     [session] if session else [], f"{where}: session_frame")
    rop = message.get("rop")
    if rop and not message.get("truncated"):
        check_blocks(test, rop, packet, where)
        if not message.get("bad"):
            answered = message.get("answered_signal_frames") or []
            check_notifications(test, rop, packet, where,
                                answered[0] if answered else None)
            unsized = "newmail.rop_unsized" in expert_abbrevs(packet)
            test.assertEqual(unsized, bool(rop["unsized"]), f"{where}: rop_unsized")
    # Signals (mechanism 3) and fetches.
    signal = signals.get(frame) if message["direction"] == "response" else None
    if signal:
        test.assertEqual([as_int(v) for v in shows(packet, "newmail.signal")],
                         [SIGNAL_MAPI_HTTP], f"{where}: signal")
        unfetched = signal["unfetched_signal_frame"]
        test.assertEqual([as_int(v) for v in
                          shows(packet, "newmail.unfetched_signal_frame")],
                         [unfetched] if unfetched else [], f"{where}: unfetched")
        test.assertEqual("newmail.not_fetched" in expert_abbrevs(packet),
                         bool(unfetched), f"{where}: not_fetched")
        fetch = shows(packet, "newmail.fetch_frame")
        delay = shows(packet, "newmail.fetch_delay")
        if mode == "two passes" and signal["fetch_frame"]:
            test.assertEqual([as_int(v) for v in fetch], [signal["fetch_frame"]], where)
            test.assertEqual([decimal.Decimal(v) for v in delay],
                             [decimal.Decimal(signal["fetch_delay_us"]) / 1000000],
                             f"{where}: fetch_delay")
        else:
            test.assertEqual((fetch, delay), ([], []), f"{where}: forward links")
    else:
        test.assertEqual(shows(packet, "newmail.signal"), [], f"{where}: not a signal")
    answered = (message["signal_frames"] if message["direction"] == "request"
                and message["request_type"] == mg.EXECUTE else [])
    check_fetch(test, packet, answered, where)


# --- The tests -------------------------------------------------------------------------


class Compressor(unittest.TestCase):
    """newmail_gen/rop.py itself: no tshark."""

    def test_matches_ms_xca_examples(self):
        # MS-XCA section 3.1, the two Plain LZ77 examples.
        self.assertEqual(rb.lz77_compress(b"abcdefghijklmnopqrstuvwxyz"),
                         bytes.fromhex("3f000000") + b"abcdefghijklmnopqrstuvwxyz")
        self.assertEqual(rb.lz77_compress(b"abc" * 100),
                         bytes.fromhex("ffffff1f6162631700 0fff2601".replace(" ", "")))

    def test_round_trip(self):
        import random
        generator = random.Random(1234)
        inputs = [b"", b"a", b"aaaaaa", b"ABCABCDEFG", bytes(range(256)) * 40, b"x" * 100000,
                  bytes(generator.getrandbits(8) for _ in range(3000))]
        for _ in range(100):
            alphabet = bytes(generator.sample(range(256), generator.randint(1, 6)))
            inputs.append(bytes(generator.choice(alphabet)
                                for _ in range(generator.randint(0, 5000))))
        for data in inputs:
            with self.subTest(length=len(data)):
                self.assertEqual(rb.lz77_decompress(rb.lz77_compress(data)), data)

    def test_bomb_is_what_it_claims(self):
        bomb = rb.lz77_bomb(4)
        self.assertEqual(len(rb.lz77_decompress(bomb)), 1 + 4 * (0xFFFF + 3))
        with self.assertRaises(rb.LZ77Error):
            rb.lz77_decompress(bomb, limit=4096)

    def test_rop_buffer_matches_ms_oxcrops_example(self):
        # MS-OXCROPS 4.7: RopOpenFolder and RopBackoff, two handles.
        backoff = bytes.fromhex("f9000000000001" "1c174f04000000")
        built = rb.rop_buffer([rb.rop_open_folder(1), backoff], handles=(0x0A, 0x24))
        self.assertEqual(built, bytes.fromhex(
            "1800020100000000 0000f90000000000 011c174f04000000 0a00000024000000"
            .replace(" ", "")))

    def test_extended_buffer_transforms(self):
        payload = rb.rop_buffer([rb.new_mail(1, mg.INBOX, 2, "IPM.Note")] * 4)
        data, model = rb.Block(rops=[rb.new_mail(1, mg.INBOX, 2, "IPM.Note")] * 4,
                               compress=True, xor=True).encode()
        self.assertEqual(data[:8], rb.rpc_header_ext(7, model["size"], len(payload)))
        self.assertEqual(rb.lz77_decompress(rb.xor_magic(data[8:])), payload)
        self.assertLess(model["size"], model["size_actual"])


class Registered(unittest.TestCase):
    def test_fields_and_experts(self):
        stdout, _, _ = tshark.run(["-G", "fields"])
        found = {}
        for line in stdout.splitlines():
            row = line.split("\t")
            if len(row) >= 8 and row[0] == "F":
                found[row[2]] = row[7].strip()
        for name in MAPIHTTP_FIELDS + RHE_FIELDS + NOTIFY_FIELDS + LINK_FIELDS + EXPERTS:
            with self.subTest(field=name):
                self.assertIn(name, found)
                if name not in EXPERTS:    # an expert's row has no description column
                    self.assertTrue(found[name], f"{name} has no description")
        protocols, _, _ = tshark.run(["-G", "protocols"])
        self.assertIn("mapihttp", [line.split("\t")[2] for line in protocols.splitlines()
                                   if line.count("\t") >= 2])


class StockHttp(unittest.TestCase):
    """The captures are well formed: stock tshark reassembles and de-chunks every
    MAPI/HTTP body to exactly the bytes written, and flags nothing."""

    def check_capture(self, path, entry, keylog=None):
        # Two passes: the run Unchanged compares with (stock reassembles and
        # de-chunks alike in one pass and two).
        packets = pdml(path, two_pass=True, plugin=False, keylog=keylog)
        bodies = {}
        for number, packet in packets.items():
            self.assertFalse(packet.findall(".//proto[@name='_ws.malformed']"),
                             f"{path} frame {number} is malformed")
            for info in tshark.expert_infos(packet):
                # A live capture's TCP may retransmit or D-SACK on a busy
                # machine (the TLS capture is taken on loopback): TCP's
                # sequence analysis says so, and it is no fault of the
                # capture's HTTP.
                if info["group"] == "sequence" and (info["abbrev"] or "").startswith("tcp."):
                    continue
                self.assertNotIn(info["severity"], ("warning", "error"), f"{path} {number} {info}")
            for media in shows(packet, "media.type"):
                data = bytes.fromhex(media.replace(":", ""))
                bodies.setdefault(number, []).append(hashlib.sha256(data).hexdigest())
        messages = mapi_messages(entry)
        if all("frame" in m for m in messages):
            self.assertEqual(bodies, {m["frame"]: [m["entity_sha256"]] for m in messages},
                             f"{path}: MAPI/HTTP bodies by frame")
        else:
            self.assertEqual(sorted(d for found in bodies.values() for d in found),
                             sorted(m["entity_sha256"] for m in messages), f"{path}: bodies")

    def test_generated(self):
        for name in http_scenarios():
            with self.subTest(capture=name):
                self.check_capture(path_of(name), scenarios()[name])

    def test_tls_with_key_log(self):
        entry = tls_scenario()
        self.check_capture(os.path.join(TLS_DIR, entry["file"]), entry,
                           keylog=os.path.join(TLS_DIR, entry["keylog"]))


class Messages(unittest.TestCase):
    """Every MAPI/HTTP frame: fields, meta-tags, session, ROP buffer, RopNotify,
    RopPending, signal and fetch links, in one and two passes."""

    def test_every_scenario(self):
        names = http_scenarios()
        self.assertGreaterEqual(len(names), 15)
        for name in names:
            with self.subTest(capture=name):
                check_entry(self, scenarios()[name], path_of(name))

    def test_decoded_rop_buffers(self):
        checked = 0
        for name in http_scenarios():
            entry = scenarios()[name]
            for message in mapi_messages(entry):
                rop = message.get("rop")
                if not rop or message.get("bad") or not any(
                        b["compressed"] or b["xor_magic"] for b in rop["blocks"]):
                    continue
                with self.subTest(capture=name, frame=message["frame"]):
                    check_decoded_sources(self, rop, data_sources(path_of(name),
                                                                  message["frame"]),
                                          f"{name} frame {message['frame']}")
                    checked += 1
        self.assertGreaterEqual(checked, 4)

    def test_not_vacuous(self):
        """The model has what the README's "MAPI over HTTP" shows: the checks above saw it."""
        entries = scenarios()
        notes = [n for e in entries.values() for m in mapi_messages(e) if m.get("rop")
                 and not m.get("bad") for n in m["rop"]["notifications"]]
        self.assertIn(True, [n.get("unicode") for n in notes])
        self.assertGreater(len({n["type"] for n in notes}), 8)
        self.assertTrue(any(s["unfetched_signal_frame"] for e in entries.values()
                            for s in e["signals"]))
        self.assertTrue(any(m["rop"]["unsized"] for e in entries.values()
                            for m in mapi_messages(e) if m.get("rop")))
        waits = [m for m in entries["mapihttp_session"]["messages"]
                 if m["direction"] == "response" and m["request_type"] == mg.NOTIFICATION_WAIT]
        self.assertEqual([w["meta_tags"].count("PENDING") for w in waits], [3, 4])


class BadInputs(unittest.TestCase):
    """Lies, bombs, a cut body: a warning or error expert info on the frame,
    bounded memory (the RPC_HEADER_EXT fields as written: Messages)."""

    # Captures whose bad frame may also be marked malformed (the data is short).
    SHORT = {"bad_size_past_buffer", "bad_truncated_body"}

    def test_experts(self):
        names = [n for n in http_scenarios() if n.startswith("bad_")]
        self.assertEqual(len(names), 4)
        for name in names:
            packets = pdml(path_of(name))
            for message in scenarios()[name]["messages"]:
                if not message.get("bad"):
                    continue
                with self.subTest(capture=name, frame=message["frame"]):
                    infos = tshark.expert_infos(packets[message["frame"]])
                    prefixes = ("newmail.", "mapihttp.") + (
                        ("_ws.malformed",) if name in self.SHORT else ())
                    flagged = [i for i in infos if i["abbrev"].startswith(prefixes)
                               and i["severity"] in ("warning", "error")]
                    self.assertTrue(flagged, f"{name} frame {message['frame']}: no warning or "
                                             f"error expert info, only {infos}")

    def test_bomb_memory_is_bounded(self):
        """tshark's peak RSS on the bomb exceeds that on a same-sized harmless
        capture by less than a quarter of what the bomb expands to (64 MiB)."""
        peaks = {}
        for name in ("bad_bomb", "rop_compressed"):
            code = ("import resource, subprocess, sys; "
                    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
                    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            stdout, _, _ = tshark.run_program(
                ["/usr/bin/python3", "-c", code, tshark.tshark_path(), "-r",
                 tshark.readable(path_of(name)), "-V"])
            peaks[name] = int(stdout.split()[-1])
        expands_kib = next(m for m in scenarios()["bad_bomb"]["messages"] if m.get("bad"))[
            "rop"]["blocks"][0]["expands_to"] // 1024
        self.assertLess(peaks["bad_bomb"] - peaks["rop_compressed"], expands_kib // 4, peaks)


class Statistics(unittest.TestCase):
    """-z newmail,tree: per client, MAPI over HTTP NotificationWaits, Fetched,
    Not fetched, Fetch delay (ms) (README "Statistics": Fetched and one delay
    per fetch request that answers at least one signal)."""

    def test_signals_by_client(self):
        checked = 0
        for name in http_scenarios():
            expected = scenarios()[name]["stats"]
            tree = stats_tree(path_of(name))
            with self.subTest(capture=name):
                if not expected:
                    for client, (_, children) in tree.get("Signals by client",
                                                          ([], {}))[1].items():
                        count = children.get(STATS_NODE, ([0], {}))[0][0]
                        self.assertFalse(count, f"{name}: {client} has MAPI/HTTP signals")
                    continue
                self.assertIn("Signals by client", tree)
                clients = tree["Signals by client"][1]
                for client, node in expected.items():
                    self.assertIn(client, clients, f"{name}: Signals by client")
                    children = clients[client][1]
                    for item in (STATS_NODE, "Fetched", "Not fetched"):
                        count = children.get(item, ([0], {}))[0][0]
                        self.assertEqual(count, node[item], f"{name} {client} {item}")
                    delays = node["fetch_delays_ms"]
                    if delays:
                        numbers = children["Fetch delay (ms)"][0]
                        count, average, low, high = numbers[:4]
                        self.assertEqual(count, len(delays))
                        for got, want in ((average, sum(delays) / len(delays)),
                                          (low, min(delays)), (high, max(delays))):
                            self.assertAlmostEqual(float(got), want, delta=1.0)
                    checked += 1
        self.assertGreaterEqual(checked, 2)


def _strip(element, drop, http_size=True):
    """A copy of element without the elements drop() selects; frame.protocols
    loses the names drop() selects as protocols. http_size=False also leaves
    out the size of the http protocol item: HTTP shortens it to the headers
    when a media type's dissector takes the body (packet-http.c, "Fix up the
    top-level item"), which stock's fallback "media" does not."""
    copy = element.makeelement(element.tag, dict(element.attrib))
    if not http_size and copy.tag == "proto" and copy.get("name") == "http":
        del copy.attrib["size"]
    if copy.get("name") == "frame.protocols":
        kept = ":".join(p for p in copy.get("show").split(":") if not drop(p))
        copy.set("show", kept)
        copy.set("showname", "Protocols in frame: " + kept)
    for child in element:
        if not drop(child.get("name", "")):
            copy.append(_strip(child, drop, http_size))
    return copy


def first_difference(mine, stock, path=""):
    here = f"{path}/{mine.tag}[{mine.get('name', '')}]"
    if mine.tag != stock.tag or mine.attrib != stock.attrib:
        return f"{here}: plugin {dict(mine.attrib)}\n  stock {dict(stock.attrib)}"
    for a, b in zip(mine, stock):
        difference = first_difference(a, b, here)
        if difference:
            return difference
    if len(mine) != len(stock):
        return f"{here}: {len(mine)} children with the plugin, {len(stock)} stock"
    return None


def is_plugins(name):
    return name.startswith(("mapihttp", "newmail"))


class Unchanged(unittest.TestCase):
    """Everything that is not the plugin's is exactly stock: frames that are not
    MAPI/HTTP entirely; MAPI/HTTP frames once the plugin's protocol (and
    stock's "media" in its place) and the length of HTTP's own item are left
    out; the EcDoRpcExt2 frames once the newmail* elements are left out (the
    stock MAPI tree, 4.4/4.6 ROP decode included)."""

    def compare(self, path, special):
        """special: {frame: also drop _ws.malformed (a bad input may be short)}."""
        mine = pdml(path, two_pass=True)
        stock = pdml(path, two_pass=True, plugin=False)
        self.assertEqual(sorted(mine), sorted(stock))
        for number in sorted(stock):
            where = f"{path} frame {number}"
            if number in special:
                malformed = special[number]
                difference = first_difference(
                    _strip(mine[number], lambda n: is_plugins(n) or (
                        malformed and n == "_ws.malformed"), http_size=False),
                    _strip(stock[number], lambda n: n == "media", http_size=False))
            else:
                difference = first_difference(mine[number], stock[number])
            self.assertIsNone(difference, f"{where}: {difference}")

    def test_generated_http(self):
        for name in http_scenarios():
            with self.subTest(capture=name):
                self.compare(path_of(name),
                             {m["frame"]: bool(m.get("bad")) and name in BadInputs.SHORT
                              for m in mapi_messages(scenarios()[name])})

    def test_not_mapi_columns(self):
        columns = ["_ws.col.Protocol", "_ws.col.Info"]
        path = path_of("http_not_mapi")
        self.assertEqual(tshark.fields(path, columns, two_pass=True),
                         tshark.fields(path, columns, two_pass=True, plugin=False))
        self.assertEqual(tshark.fields(path, [], display_filter="mapihttp || newmail"), [])

    def test_rpc_ext2_stock_tree(self):
        """Where stock decodes EcDoRpcExt2 (4.4, 4.6) its tree stays as it is; where
        it shows "Unknown operation (11)" (4.0) the plugin names the opnum, so
        there only the layers below DCE/RPC are compared."""
        path = path_of("rpc_ext2")
        mine = pdml(path, two_pass=True)
        stock = pdml(path, two_pass=True, plugin=False)
        stock_decodes = 0
        for number in sorted(stock):
            unnamed = any("Unknown operation" in (e.get("showname") or "")
                          for e in subtrees(stock[number], "mapi.opnum"))
            stock_decodes += bool(subtrees(stock[number], "mapi.opnum")) and not unnamed

            def drop(name, unnamed=unnamed):
                return name.startswith("newmail") or (unnamed and name in ("dcerpc", "mapi"))
            difference = first_difference(_strip(mine[number], drop),
                                          _strip(stock[number], drop))
            self.assertIsNone(difference, f"rpc_ext2 frame {number}: {difference}")
        if tshark.ws_version() != "4.0":
            self.assertEqual(stock_decodes, 16, "stock names every EcDoRpcExt2 call here")


class RpcExt2(unittest.TestCase):
    """EcDoRpcExt2 (opnum 11): the same ROP-buffer decoder on rgbIn and rgbOut."""

    def test_buffers(self):
        entry = scenarios()["rpc_ext2"]
        packets = pdml(path_of("rpc_ext2"))
        self.assertEqual(len(entry["rpc_calls"]), 8)
        for call in entry["rpc_calls"]:
            where = f"rpc_ext2 {call['label']} ({call['drep']})"
            with self.subTest(call=where):
                check_blocks(self, call["request_rop"], packets[call["request_frame"]],
                             where + " request")
                check_fetch(self, packets[call["request_frame"]], [], where + " request")
                response = packets[call["response_frame"]]
                check_blocks(self, call["rop"], response, where + " response")
                check_notifications(self, call["rop"], response, where + " response")
                check_decoded_sources(self, call["rop"],
                                      data_sources(path_of("rpc_ext2"), call["response_frame"]),
                                      where)


# --- Real TLS ----------------------------------------------------------------------------


def check_tls(test, entry, path, keylog):
    """The relational checks of a live capture, messages found by X-RequestId."""
    packets = pdml(path, keylog=keylog)
    two = pdml(path, two_pass=True, keylog=keylog)
    found = {}
    for number, packet in packets.items():
        for request_id in shows(packet, "mapihttp.request_id"):
            direction = ("request" if first(packet, "http.request.method") is not None
                         else "response")
            found[(request_id, direction)] = number
    wanted = {(m["request_id"], m["direction"]): m for m in mapi_messages(entry)}
    test.assertEqual(sorted(found), sorted(wanted), "MAPI/HTTP messages found by X-RequestId")
    connect = found[(entry["connect_request_id"], "request")]
    signal_frames = [found[(s["request_id"], "response")] for s in entry["signals"]]
    test.assertTrue(signal_frames)
    for key, message in wanted.items():
        frame = found[key]
        where = f"{path} frame {frame} ({message['request_type']} {message['direction']})"
        packet = packets[frame]
        check_message_fields(test, message, packet, where)
        test.assertEqual([as_int(v) for v in shows(packet, "newmail.session_frame")][:1],
                         [connect], where)
        if message.get("rop"):
            check_blocks(test, message["rop"], packet, where)
            answered = [found[(i, "response")] for i in
                        wanted[(message["request_id"], "request")].get("signal_request_ids", [])]
            check_notifications(test, message["rop"], packet, where,
                                answered[0] if answered and message["direction"] == "response"
                                else None)
        answered = ([found[(i, "response")] for i in message["signal_request_ids"]]
                    if message["direction"] == "request"
                    and message["request_type"] == mg.EXECUTE else [])
        check_fetch(test, packet, answered, where)
    for signal in entry["signals"]:
        frame = found[(signal["request_id"], "response")]
        test.assertEqual([as_int(v) for v in shows(packets[frame], "newmail.signal")],
                         [SIGNAL_MAPI_HTTP])
        fetch = found[(signal["fetch_request_id"], "request")]
        test.assertEqual([as_int(v) for v in shows(two[frame], "newmail.fetch_frame")], [fetch])
        times = {n: decimal.Decimal(first(two[n], "frame.time_epoch")) for n in (frame, fetch)}
        test.assertEqual([decimal.Decimal(v) for v in shows(two[frame], "newmail.fetch_delay")],
                         [times[fetch] - times[frame]])


class RealTls(unittest.TestCase):
    """newmail_gen/tls_capture.py's live capture: decrypted with its key log it shows
    what the plain captures show; without it, no HTTP and no mapihttp.
    Skipped, with newmail_gen/tls_capture.py's reason, where Linux refused it a network
    namespace (docs/testing.md, "What is skipped where"); the examples'
    TLS capture (Examples.test_tls) is checked everywhere."""

    def setUp(self):
        reason = tls_unavailable()
        if reason:
            self.skipTest(reason)

    def paths(self):
        entry = tls_scenario()
        return entry, os.path.join(TLS_DIR, entry["file"]), os.path.join(TLS_DIR,
                                                                         entry["keylog"])

    def test_decrypted(self):
        entry, path, keylog = self.paths()
        check_tls(self, entry, path, keylog)

    def test_without_key_log(self):
        _, path, _ = self.paths()
        self.assertTrue(tshark.fields(path, [], display_filter="tls"))
        self.assertEqual(tshark.fields(path, [], display_filter="http || mapihttp || newmail"),
                         [])

    def test_both_tls_versions(self):
        entry, _, _ = self.paths()
        self.assertEqual(sorted(entry["tls_versions"]), ["TLSv1.2", "TLSv1.3"])


# --- Examples ------------------------------------------------------------------------------


def _example_generator():
    spec = importlib.util.spec_from_file_location(
        "make_examples", os.path.join(EXAMPLES_DIR, "make_examples.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Examples(unittest.TestCase):
    """examples/mapihttp-newmail.pcap (regenerated by make_examples.py, checked
    byte for byte by test_examples) and examples/mapihttp-tls.pcapng with
    its key log show what their scripts put in them."""

    def test_plain(self):
        example = tshark.cached("example", lambda: _example_generator().build_all()[
            "mapihttp-newmail.pcap"])
        path = os.path.join(EXAMPLES_DIR, "mapihttp-newmail.pcap")
        with open(path, "rb") as handle:
            self.assertEqual(handle.read(), example.getvalue(),
                             "examples/mapihttp-newmail.pcap is stale: run "
                             "examples/make-examples.sh")
        entry = mg._jsonable(example.entry)
        check_entry(self, entry, path)
        self.assertEqual(len(entry["signals"]), 1)

    def test_tls(self):
        path = os.path.join(EXAMPLES_DIR, "mapihttp-tls.pcapng")
        keylog = os.path.join(EXAMPLES_DIR, "mapihttp-tls.keys")
        entry = tls_capture.model(tls_capture.build_script())
        check_tls(self, entry, path, keylog)


if __name__ == "__main__":
    unittest.main()
