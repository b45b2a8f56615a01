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
    really need port learning.
"""

import filecmp
import importlib.util
import os
import subprocess
import tempfile
import unittest

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
                ["/usr/bin/python3", "-E", "-B", GENERATOR, "--out", out],
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
                rows = tshark.fields(self._path(name), ["newmail.callback.port"],
                                     display_filter="newmail.register && newmail.callback.port")
                self.assertEqual([int(row[0]) for row in rows], example.registrations)
                ports = {n["port"] for n in example.notifications}
                for row in rows:
                    self.assertIn(int(row[1]), ports)
                rows = tshark.fields(self._path(name), ["newmail.registration_frame"],
                                     display_filter="newmail.unregister && newmail.registration_frame")
                self.assertEqual([int(row[0]) for row in rows], example.unregistrations)
                for row in rows:
                    self.assertEqual(int(row[1]), example.registrations[0])

    def test_mismatch_is_flagged(self):
        rows = tshark.fields(self._path("newmail-mismatch.pcap"), [],
                             display_filter="newmail.context_mismatch")
        self.assertEqual([int(row[0]) for row in rows],
                         [n["frame"] for n in EXPECTED["newmail-mismatch.pcap"].notifications
                          if not n["payload_matches"]])

    def test_stock_tshark_learns_nothing(self):
        for name in EXPECTED:
            with self.subTest(example=name):
                rows = tshark.fields(self._path(name), [], display_filter="newmail",
                                     plugin=False)
                self.assertEqual(rows, [])


if __name__ == "__main__":
    unittest.main()
