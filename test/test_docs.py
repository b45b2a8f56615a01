# SPDX-License-Identifier: GPL-2.0-or-later
"""The documentation says what the plugin registers, and the README stays short.

  - docs/fields.md is exactly what scripts/gen-fields-doc.py writes from
    `tshark -G fields` and `tshark -G values` with the plugin just built
    (docs/fields.md, its header): a field, blurb, value string or expert info
    changed in the C without regenerating the file fails here. Regenerate with
    `scripts/gen-fields-doc.py --plugin build-test/newmail.so`.
  - Every field or expert info name README.md, docs/decoding.md and
    docs/examples.md show (filters, tshark -e options) is one
    the plugin registers.
  - README.md stays a page a newcomer reads (at most 20,000 bytes); the
    reference lives in docs/.
"""

import difflib
import importlib.util
import os
import re
import unittest

import tshark_harness  # noqa: F401  (the generator runs tshark through it)

README_MAX_BYTES = 20000


def _source_dir():
    folder = os.environ.get("NEWMAIL_SOURCE_DIR")
    if not folder:
        folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return folder


def _generator():
    path = os.path.join(_source_dir(), "scripts", "gen-fields-doc.py")
    spec = importlib.util.spec_from_file_location("gen_fields_doc", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FieldsDoc(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.generated = _generator().generate()
        with open(os.path.join(_source_dir(), "docs", "fields.md"), encoding="utf-8") as doc:
            cls.committed = doc.read()

    def test_fields_md_is_what_the_registrations_give(self):
        if self.generated != self.committed:
            diff = "".join(difflib.unified_diff(
                self.committed.splitlines(True), self.generated.splitlines(True),
                "docs/fields.md", "generated from tshark -G fields"))
            self.fail("docs/fields.md differs from the plugin's registrations; regenerate it "
                      "with scripts/gen-fields-doc.py --plugin build-test/newmail.so\n" + diff)

    def test_documented_filters_are_registered(self):
        """Every newmail/mapihttp/asyncemsmdb name the README and docs/ show is registered."""
        listed = set(re.findall(r"^\| `([a-z0-9_.]+)` \|", self.generated, re.M))
        not_fields = {"newmail.udp.port", "newmail.so"}  # a preference, the plugin's file
        for name in ("README.md", "docs/decoding.md", "docs/examples.md"):
            with self.subTest(document=name):
                with open(os.path.join(_source_dir(), name), encoding="utf-8") as document:
                    text = document.read()
                named = set(re.findall(r"(?<![\w/.-])((?:newmail|mapihttp|asyncemsmdb)"
                                       r"\.[a-z][a-z0-9_.]*[a-z0-9_])", text))
                self.assertGreater(len(named), 5, f"{name} names the filters users type")
                self.assertEqual(sorted(named - listed - not_fields), [],
                                 f"{name} names filters the plugin does not register")


class Readme(unittest.TestCase):
    def test_readme_is_short(self):
        size = os.path.getsize(os.path.join(_source_dir(), "README.md"))
        self.assertLessEqual(size, README_MAX_BYTES,
                             "README.md is for a newcomer; move reference text to docs/")


if __name__ == "__main__":
    unittest.main()
