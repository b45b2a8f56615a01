# SPDX-License-Identifier: GPL-2.0-or-later
"""Foundation: the plugin loads, adopts stock's NEWMAIL protocol, decodes a
notification of any length once told the port (Decode As or the port
preference), and leaves other UDP traffic exactly as stock tshark shows it.

Every tshark run goes through tshark_harness, which fails the test when tshark
exits non-zero or writes anything to stderr.
"""

import os
import unittest

import tshark_harness as tshark

# newmail_gen/captures.py's "payloads" capture: UDP 198.51.100.20:60000 ->
# 192.0.2.10:40001, one datagram per payload length, in this frame order.
PAYLOADS = "payloads"
PAYLOAD_LENGTHS = {  # frame number: payload length
    1: 0,
    2: 1,
    3: 5,
    4: 8,
    5: 13,
    6: 300,
}
EMPTY_FRAME = 1

# The two ways a user tells tshark that UDP port 40001 carries NEWMAIL.
HOW_TO_DECODE = [
    ("Decode As", ["-d", "udp.port==40001,newmail"]),
    ("port preference", ["-o", "newmail.udp.port:40001"]),
]

# Captures with nothing NEWMAIL in them unless the user says so.
NOT_NEWMAIL = ["unrelated", "payloads"]

# Fields stock Wireshark 4.0 registers under "newmail"; the plugin adds the rest.
STOCK_FIELDS = {"newmail.notification_payload"}


def g_report(report, plugin=True):
    """`tshark -G <report>` as rows of tab-separated columns."""
    stdout, _, _ = tshark.run(["-G", report], plugin=plugin)
    return [line.split("\t") for line in stdout.splitlines() if line]


def tshark_folders(plugin=True):
    """`tshark -G folders` as {"Global Plugins": path, ...}."""
    stdout, _, _ = tshark.run(["-G", "folders"], plugin=plugin)
    folders = {}
    for line in stdout.splitlines():
        name, _, value = line.partition(":")
        folders.setdefault(name.strip(), value.strip())
    return folders


def decode_as_protocols(table, plugin=True):
    """The protocols tshark offers for Decode As in `table` (e.g. "udp.port").

    tshark 4.0 has no report for this; asking for an unknown protocol makes it
    list the valid ones on stderr and exit 1.
    """
    _, stderr, returncode = tshark.run(
        ["-d", f"{table}==1,no-such-protocol", "-r", "/dev/null"], plugin=plugin, check=False)
    assert returncode != 0 and "Valid protocols" in stderr, stderr
    protocols = []
    for line in stderr.splitlines():
        if line.startswith("\t"):
            protocols.append(line.strip().split(" ", 1)[0])
    return protocols


class HarnessSelfCheck(unittest.TestCase):
    """The harness runs the freshly built plugin and nothing else."""

    def test_plugin_loaded_from_the_sandbox_home(self):
        rows = [row for row in g_report("plugins") if row[0].strip() == "newmail.so"]
        self.assertEqual([row[3] for row in rows], [tshark.installed_plugin_path()])
        self.assertEqual(rows[0][2], "dissector")

    def test_stock_mode_has_no_plugin(self):
        names = [row[0].strip() for row in g_report("plugins", plugin=False)]
        self.assertNotIn("newmail.so", names)

    def test_global_plugin_folder_is_not_read(self):
        # WIRESHARK_PLUGIN_DIR points at the sandbox, where Wireshark's own
        # plugins are linked; every binary plugin loaded comes from there or
        # from the sandbox HOME, none from the real global folder. `-G
        # plugins` also lists the extcap programs (type "extcap" before 4.6,
        # "External Capture" from 4.6), which are not loaded into tshark:
        # they are told apart by their folder, whatever their type is called.
        for plugin in (True, False):
            with self.subTest(plugin=plugin):
                folders = tshark_folders(plugin)
                global_plugins = folders["Global Plugins"]
                self.assertFalse(global_plugins.startswith("/usr/"), global_plugins)
                # "Extcap path" before 4.4, "Personal/Global Extcap path" from 4.4.
                extcap = tuple(path + os.sep for name, path in folders.items()
                               if "extcap" in name.lower())
                self.assertTrue(extcap, folders)
                for row in g_report("plugins", plugin=plugin):
                    if row[3].startswith(extcap):
                        continue
                    self.assertTrue(row[3].startswith(global_plugins + os.sep)
                                    or row[3] == tshark.installed_plugin_path(), row)

    def test_unprivileged_when_root(self):
        # What a program run in the sandbox is, by `id`: uid 65534, gid 65534
        # and no other group when the tests run as root (tshark as root would
        # load no personal plugin); otherwise the tests' own user.
        if os.geteuid() == 0:
            expected = {"-u": "65534", "-g": "65534", "-G": "65534"}
        else:
            expected = {"-u": str(os.geteuid()), "-g": str(os.getegid())}
        ran_as = {}
        for option, value in expected.items():
            with self.subTest(id=option):
                stdout, _, _ = tshark.run_program(["id", option])
                ran_as[option] = stdout.strip()
                self.assertEqual(ran_as[option], value)
        # runs_unprivileged() (which test/run_two_files.py reports) is true
        # exactly when the program ran as another user than the tests.
        self.assertEqual(tshark.runs_unprivileged(), ran_as["-u"] != str(os.geteuid()))

    def test_tshark_matches_the_build(self):
        stdout, _, _ = tshark.run(["--version"])
        first_line = stdout.splitlines()[0]
        self.assertIn(f" {tshark.ws_version()}.", first_line)


class Adoption(unittest.TestCase):
    """The plugin adopts stock's protocol instead of registering a second one."""

    def test_one_protocol_named_newmail(self):
        for plugin in (True, False):
            with self.subTest(plugin=plugin):
                # Wireshark 4.2 and later add columns (enabled, ...) after these three.
                rows = [row[:3] for row in g_report("protocols", plugin=plugin)
                        if row[2] == "newmail"]
                self.assertEqual(rows, [["Microsoft Exchange New Mail Notification",
                                         "NEWMAIL", "newmail"]])

    def test_protocols_the_plugin_adds(self):
        # AsyncEMSMDB and MAPI over HTTP, which no Wireshark decodes, the
        # Outlook Anywhere channel layer (newmail.rpch), and no EMSMDB
        # protocol of its own where stock's MAPI dissector has EMSMDB.
        def filter_names(plugin):
            return {row[2] for row in g_report("protocols", plugin=plugin)}

        stock, ours = filter_names(False), filter_names(True)
        self.assertIn("mapi", stock)
        self.assertEqual(sorted(ours - stock), ["asyncemsmdb", "mapihttp", "newmail.rpch"])
        self.assertNotIn("newmail_emsmdb", ours)

    def test_new_fields_are_under_newmail_with_descriptions(self):
        def newmail_fields(plugin):
            # F <name> <abbrev> <type> <protocol> <base> <bitmask> <description>
            return {row[2]: row for row in g_report("fields", plugin=plugin)
                    if row[0] == "F" and row[4] == "newmail"}

        stock = newmail_fields(plugin=False)
        ours = newmail_fields(plugin=True)
        self.assertEqual(set(stock), STOCK_FIELDS)
        self.assertLessEqual(STOCK_FIELDS, set(ours))
        added = set(ours) - set(stock)
        self.assertIn("newmail.payload_length", added)
        for abbrev in sorted(added):
            with self.subTest(field=abbrev):
                self.assertTrue(abbrev.startswith("newmail."))
                field_type, description = ours[abbrev][3], ours[abbrev][7].strip()
                # tshark 4.0 has no `-G expert`; it lists each expert info
                # among the fields as FT_NONE with no description. Every other
                # field must say what it is.
                if field_type == "FT_NONE" and description == "":
                    continue
                self.assertNotEqual(description, "", "field without a description")

    def test_decode_as_lists_newmail_once(self):
        for plugin in (True, False):
            with self.subTest(plugin=plugin):
                self.assertEqual(decode_as_protocols("udp.port", plugin=plugin).count("newmail"), 1)

    def test_unknown_preference_is_refused(self):
        # Guards the preference tests below: a misspelt -o is an error, not a no-op.
        _, stderr, returncode = tshark.run(["-o", "newmail.no_such_pref:1", "-r", "/dev/null"],
                                           check=False)
        self.assertNotEqual(returncode, 0)
        self.assertNotEqual(stderr, "")


class NotificationDecode(unittest.TestCase):
    """Frames of the payloads capture, decoded as NEWMAIL by Decode As or by the preference."""

    COLUMNS = ["udp.length", "udp.payload", "_ws.col.Protocol", "_ws.col.Info",
               "newmail.notification_payload", "newmail.payload_length",
               "newmail.empty_payload"]

    def decode(self, how):
        rows = tshark.fields(PAYLOADS, self.COLUMNS, extra_args=how)
        return {int(row[0]): dict(zip(self.COLUMNS, row[1:])) for row in rows}

    def test_capture_is_what_the_table_says(self):
        frames = self.decode([])
        self.assertEqual({frame: int(row["udp.length"]) - 8 for frame, row in frames.items()},
                         PAYLOAD_LENGTHS)

    def test_any_payload_length_decodes(self):
        for how, args in HOW_TO_DECODE:
            frames = self.decode(args)
            for frame, length in PAYLOAD_LENGTHS.items():
                if length == 0:
                    continue
                with self.subTest(how=how, frame=frame, length=length):
                    row = frames[frame]
                    payload_hex = row["udp.payload"]
                    self.assertEqual(len(payload_hex), 2 * length)
                    self.assertEqual(row["_ws.col.Protocol"], "NEWMAIL")
                    self.assertTrue(row["_ws.col.Info"].startswith("New mail notification"),
                                    row["_ws.col.Info"])
                    # The Info column may shorten a long payload; its start is there.
                    self.assertIn(f"payload {payload_hex[:32]}", row["_ws.col.Info"])
                    # Bytes fields print as plain lowercase hex with -T fields.
                    self.assertEqual(row["newmail.notification_payload"], payload_hex)
                    # Only the plugin registers payload_length: this proves that
                    # Decode As and the preference reach the plugin, not stock.
                    self.assertEqual(row["newmail.payload_length"], str(length))
                    self.assertEqual(row["newmail.empty_payload"], "")

    def test_empty_datagram_is_harmless(self):
        # Wireshark's UDP dissector returns before calling any sub-dissector
        # when the payload is empty (udp.length == 8), so not even Decode As
        # reaches NEWMAIL: the empty datagram stays plain UDP, with no error
        # (the harness fails the test on anything written to stderr).
        stock = self.decode([])[EMPTY_FRAME]
        for how, args in HOW_TO_DECODE:
            with self.subTest(how=how):
                row = self.decode(args)[EMPTY_FRAME]
                self.assertEqual(row["_ws.col.Protocol"], "UDP")
                self.assertEqual(row["newmail.payload_length"], "")
                self.assertEqual(row["_ws.col.Info"], stock["_ws.col.Info"])

    def test_two_pass_decode_is_the_same(self):
        for how, args in HOW_TO_DECODE:
            with self.subTest(how=how):
                one = tshark.fields(PAYLOADS, self.COLUMNS, extra_args=args)
                two = tshark.fields(PAYLOADS, self.COLUMNS, extra_args=args, two_pass=True)
                self.assertEqual(one, two)


class OtherTrafficUntouched(unittest.TestCase):
    """Without Decode As or the preference, nothing here is NEWMAIL, plugin or not."""

    def test_filter_newmail_matches_nothing(self):
        for name in NOT_NEWMAIL:
            with self.subTest(capture=name):
                self.assertEqual(tshark.fields(name, [], display_filter="newmail"), [])

    def test_decode_identical_with_and_without_plugin(self):
        columns = ["frame.protocols", "_ws.col.Protocol"]
        for name in NOT_NEWMAIL:
            with self.subTest(capture=name):
                with_plugin = tshark.fields(name, columns, plugin=True)
                stock = tshark.fields(name, columns, plugin=False)
                self.assertNotEqual(with_plugin, [])
                self.assertEqual(with_plugin, stock)


if __name__ == "__main__":
    unittest.main()
