# SPDX-License-Identifier: GPL-2.0-or-later
"""The example captures in examples/ are up to date and show what they promise.

examples/make_examples.py writes examples/newmail-*.pcap and records, while
writing, which frames are registrations, unregistrations and notifications.
These tests check that:
  - running it again gives byte-identical files (the committed examples are
    exactly what the generator makes: regenerate with examples/make-examples.sh
    after changing it);
  - `tshark -Y newmail` with the plugin lists exactly the recorded
    notifications, each linked to its registration, numbered, and with the
    context match the generator intended;
  - the registrations and unregistrations are where the generator put them,
    with the callback port it registered;
  - stock tshark (no plugin) shows none of them as NEWMAIL, so the examples
    really need port learning;
  - in rpc-session.pcap, one pass and two, every frame shows the session,
    signal, fetch and RopNotify fields the generator recorded while writing
    it (RpcSession), and the repeat it did not fetch is the one frame with a
    newmail expert info (newmail.not_fetched).
"""

import filecmp
import importlib.util
import os
import subprocess
import tempfile
import unittest

import session_expect
import tshark_harness as tshark


def _source_dir():
    folder = os.environ.get("NEWMAIL_SOURCE_DIR")
    if not folder:
        folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return folder


EXAMPLES_DIR = os.path.join(_source_dir(), "examples")
GENERATOR = os.path.join(EXAMPLES_DIR, "make_examples.py")


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_examples", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_examples = _load_generator()
EXPECTED = make_examples.build_all()

# Boolean fields print as 1/0 on Wireshark 4.0 and True/False on later ones.
_TRUE = {"1", "True"}
_FALSE = {"0", "False"}


def _as_bool(text):
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise AssertionError(f"not a boolean field value: {text!r}")


class Regenerate(unittest.TestCase):
    """The committed example captures are exactly what the generator writes."""

    def test_byte_identical(self):
        with tempfile.TemporaryDirectory(prefix="newmail-examples-") as out:
            done = subprocess.run(
                ["bash", os.path.join(EXAMPLES_DIR, "make-examples.sh"), out],
                capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"})
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(sorted(os.listdir(out)), sorted(EXPECTED))
            for name in sorted(EXPECTED):
                with self.subTest(example=name):
                    committed = os.path.join(EXAMPLES_DIR, name)
                    self.assertTrue(os.path.isfile(committed),
                                    f"{committed} is missing: run examples/make-examples.sh")
                    self.assertTrue(
                        filecmp.cmp(committed, os.path.join(out, name), shallow=False),
                        f"{committed} differs from what examples/make_examples.py writes "
                        f"now: run examples/make-examples.sh and commit the result")

    def test_in_memory_build_matches_files(self):
        # The expectations below come from an in-memory build; it must be the
        # same capture as the file, or the expectations would be about another one.
        for name, example in EXPECTED.items():
            with self.subTest(example=name):
                with open(os.path.join(EXAMPLES_DIR, name), "rb") as handle:
                    self.assertEqual(handle.read(), example.getvalue())

    def test_small(self):
        for name in EXPECTED:
            with self.subTest(example=name):
                self.assertLess(os.path.getsize(os.path.join(EXAMPLES_DIR, name)), 16384)


class Decode(unittest.TestCase):
    """What tshark with the plugin shows for each example."""

    def _path(self, name):
        return os.path.join(EXAMPLES_DIR, name)

    def test_newmail_filter_lists_the_notifications(self):
        for name, example in EXPECTED.items():
            with self.subTest(example=name):
                rows = tshark.fields(self._path(name),
                                     ["udp.dstport", "newmail.registration_frame",
                                      "newmail.sequence", "newmail.context_match"],
                                     display_filter="newmail")
                expected = example.notifications
                self.assertEqual([int(row[0]) for row in rows],
                                 [n["frame"] for n in expected], f"-Y newmail on {name}")
                for row, note in zip(rows, expected):
                    self.assertEqual(int(row[1]), note["port"])
                    self.assertEqual(int(row[2]), note["registration_frame"])
                    self.assertEqual(int(row[3]), note["sequence"])
                    self.assertEqual(_as_bool(row[4]), note["payload_matches"])

    def test_registrations_and_unregistrations(self):
        for name, example in EXPECTED.items():
            with self.subTest(example=name):
                # As "newmail.register && newmail.callback.port" would show:
                # from the example's shared run (-Y newmail above is typed).
                rows = [row for row in tshark.fields_where(
                    self._path(name), ["newmail.callback.port"], "newmail.register") if row[1]]
                self.assertEqual([int(row[0]) for row in rows], example.registrations)
                ports = {n["port"] for n in example.notifications}
                for row in rows:
                    self.assertIn(int(row[1]), ports)
                rows = [row for row in tshark.fields_where(
                    self._path(name), ["newmail.registration_frame"], "newmail.unregister")
                        if row[1]]
                self.assertEqual([int(row[0]) for row in rows], example.unregistrations)
                for row in rows:
                    self.assertEqual(int(row[1]), example.registrations[0])

    def test_mismatch_is_flagged(self):
        rows = tshark.fields_where(self._path("newmail-mismatch.pcap"), [],
                                   "newmail.context_mismatch")
        self.assertEqual([int(row[0]) for row in rows],
                         [n["frame"] for n in EXPECTED["newmail-mismatch.pcap"].notifications
                          if not n["payload_matches"]])

    def test_stock_tshark_learns_nothing(self):
        for name in EXPECTED:
            with self.subTest(example=name):
                rows = tshark.fields(self._path(name), [], display_filter="newmail",
                                     plugin=False)
                self.assertEqual(rows, [])


RPC_SESSION = "rpc-session.pcap"
# The session, signal and fetch fields checked on every frame of rpc-session.pcap.
RPC_SESSION_FIELDS = [
    "newmail.session_frame", "newmail.signal", "newmail.signal_frame",
    "newmail.signals_answered", "newmail.fetch_frame", "newmail.unfetched_signal_frame",
    "newmail.notify.message_class", "newmail.notify.signal_frame",
]
MODES = [("one pass", False), ("two passes", True)]


def _frames(value):
    return () if value is None else (value,)


def rpc_session_table(example, two_pass):
    """{frame: {field: expected tuple}} for every frame of rpc-session.pcap,
    from what make_examples.py recorded while writing it (the README's "What
    you see"): () where a field must be absent. newmail.fetch_frame is a link
    forward, shown only when tshark reads the file twice."""
    table = {frame: {field: () for field in RPC_SESSION_FIELDS}
             for frame in range(1, example.net.frames + 1)}
    for call in example.calls:
        table[call["request_frame"]]["newmail.session_frame"] = \
            _frames(call["request_session_frame"])
        if call["response_frame"] is not None:
            table[call["response_frame"]]["newmail.session_frame"] = \
                _frames(call["response_session_frame"])
    for signal in example.signals:
        row = table[signal["frame"]]
        row["newmail.signal"] = (signal["mechanism"],)
        row["newmail.session_frame"] = _frames(signal["session_frame"])
        row["newmail.unfetched_signal_frame"] = _frames(signal["unfetched_signal_frame"])
        if two_pass:
            row["newmail.fetch_frame"] = _frames(signal["fetch_frame"])
    for fetch in example.fetches:
        request = table[fetch["request_frame"]]
        request["newmail.signal_frame"] = _frames(fetch["signal_frame"])
        request["newmail.signals_answered"] = ((fetch["signals_answered"],)
                                              if fetch["signals_answered"] else ())
        response = table[fetch["response_frame"]]
        response["newmail.notify.message_class"] = tuple(
            n["message_class"] for n in fetch["notifications"])
        response["newmail.notify.signal_frame"] = tuple(
            n["signal_frame"] for n in fetch["notifications"] if n["signal_frame"] is not None)
    return table


class RpcSession(unittest.TestCase):
    """rpc-session.pcap: the session, its signals (UDP and asynchronous wait),
    the fetches that answer them, the repeat that was not fetched and the
    RopNotify in the fetch responses, as the generator recorded them."""

    example = EXPECTED[RPC_SESSION]

    def _rows(self, two_pass):
        types = session_expect.registered_fields()
        missing = [name for name in RPC_SESSION_FIELDS if name not in types]
        self.assertEqual(missing, [], "fields the plugin does not register")
        rows = tshark.fields(os.path.join(EXAMPLES_DIR, RPC_SESSION), RPC_SESSION_FIELDS,
                             two_pass=two_pass)
        return {int(row[0]): {name: session_expect.normalise(types[name], text)
                              for name, text in zip(RPC_SESSION_FIELDS, row[1:])}
                for row in rows}

    def test_the_story_is_there(self):
        # The recorded model itself holds what the example is meant to show,
        # so the frame-by-frame comparison below cannot pass on an empty story.
        ex = self.example
        self.assertEqual([s["mechanism"] for s in ex.signals], [1, 2, 1, 1])
        self.assertEqual([s["unfetched_signal_frame"] is not None for s in ex.signals],
                         [False, False, False, True])
        self.assertTrue(all(s["fetch_frame"] for s in ex.signals))
        self.assertEqual([f["signals_answered"] for f in ex.fetches], [2, 2])
        self.assertEqual([[n["message_class"] for n in f["notifications"]]
                          for f in ex.fetches], [["IPM.Note"], ["IPM.Note"]])
        self.assertEqual(len(ex.registrations), 1)

    def test_fields_frame_by_frame(self):
        for mode, two_pass in MODES:
            table = rpc_session_table(self.example, two_pass)
            got = self._rows(two_pass)
            self.assertEqual(sorted(got), sorted(table), f"{mode}: frame numbers")
            for frame in sorted(table):
                for field in RPC_SESSION_FIELDS:
                    with self.subTest(mode=mode, frame=frame, field=field):
                        self.assertEqual(got[frame][field], table[frame][field])

    def test_fetch_responses_decoded(self):
        # rgbOut is one compressed and XORed block: the RopNotify fields above
        # come from the decoded payload; here the header and the rest of it.
        fields = ["newmail.rpc_header_ext.flags", "newmail.rpc_header_ext.size",
                  "newmail.rpc_header_ext.size_actual", "newmail.notify.folder_id",
                  "newmail.notify.message_id", "newmail.pending_rop.session_index"]
        types = session_expect.registered_fields()
        rows = {int(row[0]): [session_expect.normalise(types[name], text)
                              for name, text in zip(fields, row[1:])]
                for row in tshark.fields(os.path.join(EXAMPLES_DIR, RPC_SESSION), fields)}
        for fetch in self.example.fetches:
            rop = fetch["rop"]
            with self.subTest(frame=fetch["response_frame"]):
                self.assertTrue(all(b["compressed"] and b["xor_magic"] for b in rop["blocks"]))
                self.assertEqual(rows[fetch["response_frame"]], [
                    tuple(b["flags"] for b in rop["blocks"]),
                    tuple(b["size"] for b in rop["blocks"]),
                    tuple(b["size_actual"] for b in rop["blocks"]),
                    tuple(n["folder_id"] for n in rop["notifications"]),
                    tuple(n["message_id"] for n in rop["notifications"]),
                    tuple(p["session_index"] for p in rop["pending"])])

    def test_readme_filter(self):
        # The README shows `tshark -2 -Y "newmail.signal || newmail.signal_frame"`:
        # the signals and the fetch requests that answer them.
        rows = tshark.fields(os.path.join(EXAMPLES_DIR, RPC_SESSION), [],
                             display_filter="newmail.signal || newmail.signal_frame",
                             two_pass=True)
        expected = sorted([s["frame"] for s in self.example.signals]
                          + [f["request_frame"] for f in self.example.fetches
                             if f["signal_frame"] is not None])
        self.assertEqual([int(row[0]) for row in rows], expected)

    def test_not_fetched_is_the_only_expert(self):
        # The repeat gets the warning newmail.not_fetched. The session
        # registered for notifications before the capture began (the example
        # holds no RopRegisterNotification), so each RopNotify of a fetch gets
        # the note newmail.notify.subscription_unknown. Nothing else in this
        # well-behaved session gets a newmail expert info.
        expected = [(s["frame"], "newmail.not_fetched", "warning")
                    for s in self.example.signals if s["unfetched_signal_frame"] is not None]
        expected += [(f["response_frame"], "newmail.notify.subscription_unknown", "note")
                     for f in self.example.fetches for _ in f["notifications"]]
        expected.sort()
        for mode, two_pass in MODES:
            with self.subTest(mode=mode):
                found = []
                for packet in tshark.pdml(os.path.join(EXAMPLES_DIR, RPC_SESSION),
                                          two_pass=two_pass):
                    frame = int(next(f.get("show") for f in packet.iter("field")
                                     if f.get("name") == "num"))
                    found += [(frame, info["abbrev"], info["severity"])
                              for info in tshark.expert_infos(packet)
                              if (info["abbrev"] or "").startswith("newmail.")]
                self.assertEqual(found, expected)


if __name__ == "__main__":
    unittest.main()
