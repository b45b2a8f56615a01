# SPDX-License-Identifier: GPL-2.0-or-later
"""A session's Server objects across calls (issue 16, stage 2).

One session, written twice (EcDoRpcExt2 and MAPI/HTTP Execute), makes these
calls; request handle table index 0 is the logon (LOGON), index 1 a table,
index 2 a subscription:

  A  RopGetContentsTable (table TABLE at index 1) + RopSetColumns (Mid,
     MessageFlags) in one call.
  B  RopQueryRows on index 1: its rows are laid out by A's columns; then a
     RopNotify NewMail on a handle no RopRegisterNotification in the capture
     made (a note, nothing worse).
  C  RopRegisterNotification (NewMail) making subscription SUB at index 2.
  D  RopQueryRows again, then RopNotify NewMail on SUB (tied to C's request
     frame) and a TableModified TableRowAdded on TABLE (its row read in A's
     columns).
  E  RopRelease of index 1, then RopGetContentsTable: the server reuses the
     handle TABLE for the new table, which has no columns yet.
  F  RopQueryRows on the new table: its columns are unknown (the old table's
     must not be used), so the walk stops by name and the RopNotify after it
     is not shown.
  G  RopQueryRows on a table (STRANGER) whose RopSetColumns is not in the
     capture: the same stop.

Every value is read from tshark's own output, on one pass and on two.
"""

import os
import shutil
import struct
import tempfile
import unittest

import tshark_harness as tshark
from newmail_gen import captures as cg
from newmail_gen import mapihttp as mg
from newmail_gen import rop as rb

LOGON = 0x00000010
TABLE = 0x0000AB01
SUB = 0x00005B01
STRANGER = 0x0000CC01
UNKNOWN_SUB = 0x0BAD0001
NONE = 0xFFFFFFFF
INBOX = mg.INBOX

COLUMNS = [rb.PID_TAG_MID, rb.PID_TAG_MESSAGE_FLAGS]
ROW = rb.standard_row([struct.pack("<Q", 0x4F00000000000001), struct.pack("<I", 0x20)])
TABLE_ROW = rb.standard_row([struct.pack("<Q", 0x4F00000000000077), struct.pack("<I", 0x01)])

MID_B = 0x4F000000000000B1
MID_D = 0x4F000000000000D1
MID_F = 0x4F000000000000F1
MID_G = 0x4F000000000000A1

# (name, request ROPs, request handles, response ROPs, response handles)
CALLS = [
    ("A", [rb.rq_get_contents_table(0, 1), rb.rq_set_columns(1, COLUMNS)], (LOGON, NONE),
     [rb.rop_get_contents_table(1, 5), rb.rop_set_columns(1)], (LOGON, TABLE)),
    ("B", [rb.rq_query_rows(1, 10)], (LOGON, TABLE),
     [rb.rop_query_rows(1, ROW), rb.new_mail(UNKNOWN_SUB, INBOX, MID_B)], (LOGON, TABLE)),
    ("C", [rb.rq_register_notification(0, 2, 0x02)], (LOGON, TABLE, NONE),
     [rb.rop_register_notification(2)], (LOGON, TABLE, SUB)),
    ("D", [rb.rq_query_rows(1, 10)], (LOGON, TABLE, SUB),
     [rb.rop_query_rows(1, ROW), rb.new_mail(SUB, INBOX, MID_D),
      rb.table_row_added(TABLE, INBOX, INBOX, TABLE_ROW)], (LOGON, TABLE, SUB)),
    ("E", [rb.rq_release(1), rb.rq_get_contents_table(0, 1)], (LOGON, TABLE, SUB),
     [rb.rop_get_contents_table(1, 3)], (LOGON, TABLE, SUB)),
    ("F", [rb.rq_query_rows(1, 10)], (LOGON, TABLE, SUB),
     [rb.rop_query_rows(1, ROW), rb.new_mail(SUB, INBOX, MID_F)], (LOGON, TABLE, SUB)),
    ("G", [rb.rq_query_rows(1, 10)], (LOGON, STRANGER, SUB),
     [rb.rop_query_rows(1, ROW), rb.new_mail(SUB, INBOX, MID_G)], (LOGON, STRANGER, SUB)),
]


def _buffer(rops, handles):
    return rb.RopBuffer([rb.Block(rops=list(rops), handles=tuple(handles))])


def _ext2_capture(path):
    with open(path, "wb") as fileobj:
        cap = cg.Capture(fileobj)
        session = cap.session()
        cap.connect_ex(session)
        for _, rq, rq_handles, rs, rs_handles in CALLS:
            cap.wait(0.2)
            cap.fetch(session, rgb_in=_buffer(rq, rq_handles).data,
                      rgb_out=_buffer(rs, rs_handles).data)


def _mapihttp_capture(path):
    script = mg.Script("objects", "A session's tables and subscriptions across Execute calls")
    session = mg.MapiHttpSession(script, "outlook")
    main = mg.HttpConnection(script, mg.CLIENT)
    session.connect(main)
    for _, rq, rq_handles, rs, rs_handles in CALLS:
        script.wait(0.2)
        session.execute(main, _buffer(rs, rs_handles), rop_in=_buffer(rq, rq_handles))
    data, _ = mg.play(script)
    with open(path, "wb") as fileobj:
        fileobj.write(data)


class Captures:
    directory = None

    @classmethod
    def make(cls):
        if cls.directory is None:
            cls.directory = tempfile.mkdtemp(prefix="newmail-objects-")
            cls.ext2 = os.path.join(cls.directory, "objects-ext2.pcap")
            cls.mapihttp = os.path.join(cls.directory, "objects-mapihttp.pcap")
            _ext2_capture(cls.ext2)
            _mapihttp_capture(cls.mapihttp)
        return cls


def _stats_tree(text):
    """`-z newmail,tree` output as {item: (count, {child: ...})}, items with
    a count of 0 left out (test_registration.py reads it the same way)."""
    lines = text.splitlines()
    start = [i for i, line in enumerate(lines) if line.startswith("Topic / Item")]
    assert len(start) == 1, text
    # Item names may end in a number ("Subscription made in frame 12"): the
    # count is read from its own column, where the header puts "Count".
    count_column = lines[start[0]].index("Count")
    root = {}
    stack = [(-1, root)]
    for line in lines[start[0] + 2:]:
        if line.startswith("---") or not line.strip():
            break
        name, count = line[:count_column].rstrip(), line[count_column:].split()[0]
        depth = len(name) - len(name.lstrip(" "))
        while stack[-1][0] >= depth:
            stack.pop()
        children = {}
        if int(count):
            stack[-1][1][name.strip()] = (int(count), children)
        stack.append((depth, children))
    return root


class SessionObjects:
    """The assertions, for either transport."""

    capture = None

    def rows(self, fields, present, two_pass):
        """The rows of the frames that hold a field of `present`, from the
        capture's shared run of every common field."""
        return tshark.fields_where(self.capture(), fields, present, two_pass=two_pass)

    def response_frames(self, two_pass):
        """The frame of each call's response, in call order: the frames whose
        ROP buffer holds ROP responses (newmail.rop) or a RopNotify."""
        rows = self.rows(["newmail.rop_buffer"], ("newmail.rop", "newmail.notify"), two_pass)
        frames = [int(r[0]) for r in rows]
        self.assertEqual(len(CALLS), len(frames), frames)
        return dict(zip([c[0] for c in CALLS], frames))

    def request_frame_of_registration(self, two_pass):
        rows = self.rows(["newmail.rop.request.notification_types"],
                         "newmail.rop.request.notification_types", two_pass)
        self.assertEqual(1, len(rows))
        self.assertEqual(0x02, int(rows[0][1], 0))
        return int(rows[0][0])

    def by_frame(self, fields, present, two_pass):
        return {int(r[0]): r[1:] for r in self.rows(fields, present, two_pass)}

    def check_rows_with_earlier_columns(self, two_pass):
        frames = self.response_frames(two_pass)
        got = self.by_frame(["newmail.rop.response.row_data", "newmail.rop_needs_columns"],
                            "newmail.rop", two_pass)
        for call in ("B", "D"):
            row_data, needs = got[frames[call]]
            self.assertEqual(ROW.hex(), row_data, call)
            self.assertEqual("", needs, call)

    def check_missing_columns_stop(self, two_pass):
        frames = self.response_frames(two_pass)
        got = self.by_frame(["newmail.rop", "newmail.rop.response.row_data",
                             "newmail.rop_needs_columns", "newmail.notify"],
                            ("newmail.rop", "newmail.notify"), two_pass)
        # F: the handle was reused after RopRelease; G: columns never seen.
        for call in ("F", "G"):
            rop, row_data, needs, notify = got[frames[call]]
            self.assertEqual(rb.ROP_QUERY_ROWS, int(rop, 0), call)
            self.assertEqual("", row_data, call)
            self.assertEqual("1", needs, call)
            self.assertEqual("", notify, call)

    def check_subscription(self, two_pass):
        frames = self.response_frames(two_pass)
        registered = self.request_frame_of_registration(two_pass)
        got = self.by_frame(["newmail.notify.message_id", "newmail.notify.subscription_frame",
                             "newmail.notify.subscription_unknown"],
                            "newmail.notify", two_pass)
        # B: a NewMail on a subscription the capture never made: the note.
        mid, sub_frame, unknown = got[frames["B"]]
        self.assertEqual(MID_B, int(mid, 0))
        self.assertEqual("", sub_frame)
        self.assertEqual("1", unknown)
        # D: the NewMail is tied to C's RopRegisterNotification request; the
        # TableModified on the table is no subscription's and gets no note.
        mid, sub_frame, unknown = got[frames["D"]]
        self.assertEqual(MID_D, int(mid, 0))
        self.assertEqual(str(registered), sub_frame)
        self.assertEqual("", unknown)
        self.assertEqual(sorted([frames["B"], frames["D"]]), sorted(got))

    def check_table_modified_row(self, two_pass):
        # The module's one display filter typed as a user types it.
        frames = self.response_frames(two_pass)
        got = {int(r[0]): r[1:] for r in tshark.fields(
            self.capture(), ["newmail.notify.table_event", "newmail.notify.table_row_data"],
            display_filter="newmail.notify.type.table_modified == 1", two_pass=two_pass)}
        self.assertEqual([frames["D"]], list(got))
        self.assertEqual([str(rb.TABLE_ROW_ADDED), TABLE_ROW.hex()],
                         [str(int(got[frames["D"]][0], 0)), got[frames["D"]][1]])

    def test_rows_with_earlier_columns(self):
        self.check_rows_with_earlier_columns(False)

    def test_rows_with_earlier_columns_two_pass(self):
        self.check_rows_with_earlier_columns(True)

    def test_missing_columns_stop(self):
        self.check_missing_columns_stop(False)

    def test_missing_columns_stop_two_pass(self):
        self.check_missing_columns_stop(True)

    def test_subscription(self):
        self.check_subscription(False)

    def test_subscription_two_pass(self):
        self.check_subscription(True)

    def test_table_modified_row(self):
        self.check_table_modified_row(False)

    def test_table_modified_row_two_pass(self):
        self.check_table_modified_row(True)

    def test_registration_lists_its_notifications(self):
        """With two passes, C's response names D, the one response whose
        RopNotify the walk read for the subscription, and counts it."""
        frames = self.response_frames(True)
        got = self.by_frame(["newmail.subscription.notification_count",
                             "newmail.subscription.type_count",
                             "newmail.subscription.notification_frame"],
                            "newmail.subscription", True)
        self.assertEqual({frames["C"]: ["1", "1", str(frames["D"])]}, got)


    def test_statistics(self):
        """-z newmail,tree: each RopNotify the walk reached (B, D; F and G
        stop before theirs), by NotificationType and by subscription."""
        registered = self.request_frame_of_registration(False)
        for two_pass in (False, True):
            tree = _stats_tree(tshark.stats_tree(self.capture(), two_pass=two_pass))
            self.assertEqual(
                (3, {"NewMail": (2, {}), "TableModified": (1, {})}),
                tree["RopNotify by NotificationType"])
            self.assertEqual(
                (3, {"Subscription not in the capture": (1, {"NewMail": (1, {})}),
                     "Subscription made in frame %d" % registered: (1, {"NewMail": (1, {})}),
                     "On a table or other object": (1, {"TableModified": (1, {})})}),
                tree["RopNotify by subscription"])


class Ext2(SessionObjects, unittest.TestCase):
    """EcDoRpcExt2 rgbIn / rgbOut, the session named by its CXH."""

    def capture(self):
        return Captures.make().ext2


class MapiHttp(SessionObjects, unittest.TestCase):
    """MAPI/HTTP Execute, the session named by its cookie."""

    def capture(self):
        return Captures.make().mapihttp


class Bound(unittest.TestCase):
    """At most 65,536 objects per session: 257 calls of 255 RopGetContentsTable
    each make 65,535 tables; the 258th call's first table is the 65,536th,
    its 254 others are not followed, and its response says so."""

    CALLS = 258
    PER_CALL = 255

    @classmethod
    def setUpClass(cls):
        Captures.make()
        cls.path = os.path.join(Captures.directory, "objects-bound.pcap")
        with open(cls.path, "wb") as fileobj:
            cap = cg.Capture(fileobj)
            session = cap.session()
            cap.connect_ex(session)
            for call in range(cls.CALLS):
                rq = [rb.rq_get_contents_table(0, i) for i in range(cls.PER_CALL)]
                rs = [rb.rop_get_contents_table(i, 1) for i in range(cls.PER_CALL)]
                handles = tuple(0x01000000 + call * 0x100 + i for i in range(cls.PER_CALL))
                cap.fetch(session,
                          rgb_in=_buffer(rq, (LOGON,) + (NONE,) * (cls.PER_CALL - 1)).data,
                          rgb_out=_buffer(rs, handles).data)

    def test_too_many_on_the_last_call_only(self):
        for two_pass in (False, True):
            rows = tshark.fields_where(self.path,
                                       ["newmail.objects.too_many", "_ws.expert.message"],
                                       "newmail.objects.too_many", two_pass=two_pass)
            responses = tshark.fields_where(self.path, ["newmail.rop_buffer"], "newmail.rop",
                                            two_pass=two_pass)
            self.assertEqual(self.CALLS, len(responses))
            self.assertEqual([responses[-1][0]], [r[0] for r in rows])
            self.assertIn("254 objects this call made are not followed", rows[0][2])


def tearDownModule():
    if Captures.directory is not None:
        shutil.rmtree(Captures.directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
