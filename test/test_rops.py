# SPDX-License-Identifier: GPL-2.0-or-later
"""ROP requests and responses read with their call's requests (issue 16, stage 1).

The captures are written here by the generators (newmail_gen/rop.py builds the
ROPs, newmail_gen/captures.py the EcDoRpcExt2 calls, newmail_gen/mapihttp.py
the MAPI/HTTP Execute exchanges). Each call's response holds the response to
a ROP whose layout depends on its request (RopLogon, RopGetPropertiesSpecific,
RopSetColumns + RopQueryRows, and a RopRelease before a
RopGetPropertiesSpecific) or that the walk without a request also sized
(RopOpenFolder), then a RopNotify NewMail whose MessageId names the call. The
plugin finds every RopNotify only if it sized every ROP before it with the
request the first pass kept. A MAPI/HTTP response whose Execute request was
cut from the capture must stop, by name, at its RopLogon and show no RopNotify.
"""

import io
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

import tshark_harness as tshark
from newmail_gen import captures as cg
from newmail_gen import mapihttp as mg
from newmail_gen import rop as rb

HANDLE = 0x0001A2B3
INBOX = mg.INBOX

# The calls: (name, request ROPs, response ROPs before the RopNotify, the
# RopNotify's MessageId). Handle table of every request: index 0 the logon,
# index 1 a folder.
CALLS = [
    ("logon", [rb.rq_logon(0)], [rb.rop_logon_private(0)], 0x4F00000000000101),
    ("get_properties_specific",
     [rb.rq_get_properties_specific(0, [rb.PID_TAG_MESSAGE_FLAGS, rb.PID_TAG_SUBJECT_8])],
     [rb.rop_get_properties_specific_for(0, [struct.pack("<I", 1), b"Hello\x00"])],
     0x4F00000000000102),
    ("open_folder", [rb.rq_open_folder(0, 1, INBOX)], [rb.rop_open_folder(1)],
     0x4F00000000000103),
    ("query_rows",
     [rb.rq_set_columns(1, [rb.PID_TAG_MID, rb.PID_TAG_MESSAGE_FLAGS]), rb.rq_query_rows(1, 10)],
     [rb.rop_set_columns(1),
      rb.rop_query_rows(1, rb.standard_row([struct.pack("<Q", 0x4F00000000000001),
                                             struct.pack("<I", 0x20)]), row_count=1)],
     0x4F00000000000104),
    ("release",
     [rb.rq_release(1), rb.rq_get_properties_specific(0, [rb.PID_TAG_MESSAGE_FLAGS])],
     [rb.rop_get_properties_specific_for(0, [struct.pack("<I", 3)])],
     0x4F00000000000105),
]
MESSAGE_IDS = {mid for _, _, _, mid in CALLS}
MISSING_MID = 0x4F00000000000199

STOP_EXPERTS = ["newmail.rop_unsized", "newmail.rop_needs_request", "newmail.rop_needs_columns",
                "newmail.rop_truncated", "newmail.rop_request_unread"]


def _in(rops):
    return rb.RopBuffer([rb.Block(rops=list(rops), handles=(0x00000010, 0x00000011))])


def _out(rops, mid, **options):
    return rb.RopBuffer([rb.Block(rops=list(rops) + [rb.new_mail(HANDLE, INBOX, mid)],
                                  handles=(0x00000010, 0x00000011), **options)])


def _ext2_capture(path):
    with open(path, "wb") as fileobj:
        cap = cg.Capture(fileobj)
        session = cap.session()
        cap.connect_ex(session)
        for index, (_, rq, rs, mid) in enumerate(CALLS):
            cap.wait(0.2)
            # XOR-obfuscate one call, compress none: both read alike.
            cap.fetch(session, rgb_in=_in(rq).data,
                      rgb_out=_out(rs, mid, xor=(index == 1)).data)


def _mapihttp_capture(path, calls):
    script = mg.Script("rops", "ROP requests and the responses they lay out")
    session = mg.MapiHttpSession(script, "outlook")
    main = mg.HttpConnection(script, mg.CLIENT)
    session.connect(main)
    for _, rq, rs, mid in calls:
        script.wait(0.2)
        session.execute(main, _out(rs, mid), rop_in=_in(rq))
    data, _ = mg.play(script)
    with open(path, "wb") as fileobj:
        fileobj.write(data)


def _rows(capture, fields, present, two_pass=False):
    """The rows of the frames that hold a field of `present`, from the
    capture's shared run of every common field."""
    return tshark.fields_where(capture, fields, present, two_pass=two_pass)


class Captures:
    directory = None

    @classmethod
    def make(cls):
        if cls.directory is None:
            cls.directory = tempfile.mkdtemp(prefix="newmail-rops-")
            cls.ext2 = os.path.join(cls.directory, "rops-ext2.pcap")
            cls.mapihttp = os.path.join(cls.directory, "rops-mapihttp.pcap")
            cls.missing_full = os.path.join(cls.directory, "rops-missing-full.pcap")
            cls.missing = os.path.join(cls.directory, "rops-missing.pcap")
            _ext2_capture(cls.ext2)
            _mapihttp_capture(cls.mapihttp, CALLS)
            _mapihttp_capture(cls.missing_full,
                              [("logon", [rb.rq_logon(0)], [rb.rop_logon_private(0)],
                                MISSING_MID)])
            # Cut the Execute request that carries the RopLogon.
            rows = _rows(cls.missing_full, ["newmail.rop.request.logon_flags"],
                         "newmail.rop.request.logon_flags")
            frames = [row[0] for row in rows]
            assert len(frames) == 1, frames
            subprocess.run(["editcap", cls.missing_full, cls.missing] + frames, check=True,
                           stdout=subprocess.DEVNULL)
        return cls


class NotifyFound:
    """Every RopNotify NewMail behind a ROP laid out by its request is found."""

    capture = None

    def notify_rows(self, two_pass):
        return _rows(self.capture(), ["newmail.notify.type.newmail", "newmail.notify.message_id"]
                     + STOP_EXPERTS, ("newmail.notify", "newmail.rop"), two_pass)

    def check_all_found(self, two_pass):
        found = set()
        for row in self.notify_rows(two_pass):
            newmail, mid = row[1], row[2]
            self.assertEqual([""] * len(STOP_EXPERTS), row[3:],
                             "frame %s stopped a walk" % row[0])
            if mid:
                self.assertIn(newmail.split(",")[0], ("1", "True"))
                found.add(int(mid.split(",")[0], 0))
        self.assertEqual(MESSAGE_IDS, found)

    def test_notify_after_each_rop(self):
        self.check_all_found(False)

    def test_notify_after_each_rop_two_pass(self):
        self.check_all_found(True)

    def test_request_fields(self):
        rows = _rows(self.capture(), ["newmail.rop.request", "newmail.rop.request.logon_flags",
                                      "newmail.rop.request.property_tag_count",
                                      "newmail.rop.request.property_tags",
                                      "newmail.rop.request.folder_id",
                                      "newmail.rop.request.row_count",
                                      "newmail.rop.request.input_handle_index"],
                     "newmail.rop.request")
        by_id = {}
        for row in rows:
            for rop_id in row[1].split(","):
                by_id.setdefault(int(rop_id, 0), row)
        self.assertEqual({0xFE, 0x07, 0x02, 0x12, 0x15, 0x01}, set(by_id))
        self.assertEqual(1, int(by_id[0xFE][2], 0))                    # LogonFlags Private
        gps = by_id[0x07]
        self.assertEqual(2, int(gps[3].split(",")[0], 0))
        self.assertEqual(struct.pack("<II", rb.PID_TAG_MESSAGE_FLAGS, rb.PID_TAG_SUBJECT_8).hex(),
                         gps[4].split(",")[0].replace(":", ""))
        self.assertEqual(INBOX, int(by_id[0x02][5], 0))
        self.assertEqual(10, int(by_id[0x15][6], 0))
        # RopRelease's InputHandleIndex 1, then RopGetPropertiesSpecific's 0.
        self.assertEqual(["1", "0"], by_id[0x01][7].split(","))

    def test_response_fields(self):
        rows = _rows(self.capture(), ["newmail.rop.response.logon_flags",
                                      "newmail.rop.response.folder_ids",
                                      "newmail.rop.response.row_count",
                                      "newmail.rop.response.row_data",
                                      "newmail.rop.response.has_rules"],
                     ("newmail.rop.response.logon_flags", "newmail.rop.response.row_count"))
        logon = [r for r in rows if r[1]]
        self.assertEqual(1, len(logon))
        self.assertEqual(1, int(logon[0][1], 0))
        self.assertEqual(13 * 8 * 2, len(logon[0][2].replace(":", "")))
        rows_call = [r for r in rows if r[3]]
        self.assertEqual(1, len(rows_call))
        self.assertEqual(1, int(rows_call[0][3], 0))
        self.assertEqual(rb.standard_row([struct.pack("<Q", 0x4F00000000000001),
                                          struct.pack("<I", 0x20)]).hex(),
                         rows_call[0][4].replace(":", ""))


class Ext2(NotifyFound, unittest.TestCase):
    """EcDoRpcExt2 rgbIn / rgbOut."""

    def capture(self):
        return Captures.make().ext2


class MapiHttp(NotifyFound, unittest.TestCase):
    """MAPI/HTTP Execute RopBuffers."""

    def capture(self):
        return Captures.make().mapihttp


class MissingRequest(unittest.TestCase):
    """A response whose request is not in the capture stops at the ROP that
    needs it, by name, and never shows a RopNotify."""

    def test_full_capture_finds_notify(self):
        rows = _rows(Captures.make().missing_full, ["newmail.notify.message_id"],
                     "newmail.notify")
        self.assertEqual([MISSING_MID], [int(r[1], 0) for r in rows])

    def test_stops_named(self):
        for two_pass in (False, True):
            capture = Captures.make().missing
            self.assertEqual([], _rows(capture, ["newmail.notify"], "newmail.notify",
                                       two_pass))
            self.assertEqual([], _rows(capture, ["newmail.rop.request"], "newmail.rop.request",
                                       two_pass))
            # The module's one display filter typed as a user types it.
            rows = tshark.fields(capture, ["newmail.rop", "newmail.rop_needs_request"],
                                 display_filter="newmail.rop_needs_request", two_pass=two_pass)
            self.assertEqual(1, len(rows))
            self.assertEqual(0xFE, int(rows[0][1], 0))
            self.assertEqual("1", rows[0][2])


def tearDownModule():
    if Captures.directory is not None:
        shutil.rmtree(Captures.directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
