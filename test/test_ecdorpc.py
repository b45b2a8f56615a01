# SPDX-License-Identifier: GPL-2.0-or-later
"""EcDoRpc (EMSMDB opnum 2): the ROP buffers of Exchange 2003/2007 sessions
(issue 16).

EcDoRpc carries a ROP input or output buffer (RopSize, ROPs, server object
handle table) with no RPC_HEADER_EXT, every byte XOR 0xA5. The capture
ecdorpc_rops (newmail_gen/captures.py, ecdorpc_calls()) holds an Exchange
2003 session: EcDoConnect, a registration, a RopLogon call, a NEWMAIL
datagram, a call whose response ends with the RopNotify NewMail and
RopPending the server queued behind a RopGetPropertiesSpecific and a
RopOpenFolder, and a call answered with two ROP failure responses. The
plugin reads every ROP both ways with the same readers as EcDoRpcExt2,
each response with its call's request, and finds the RopNotify only if it
sized every response before it.

Captures made here: the request's Max Data bounds its response's buffer; a
response whose request was cut from the capture stops, by name, at its
RopLogon; a Length that is not the buffer's length is flagged.
"""

import os
import shutil
import struct
import tempfile
import unittest

import tshark_harness as tshark
from newmail_gen import captures as cg
from newmail_gen import pcap as nm
from newmail_gen import rop as rb

SCENARIO = "ecdorpc_rops"
OPNUM_RPC = 2
STOP_EXPERTS = ["newmail.rop_unsized", "newmail.rop_needs_request", "newmail.rop_needs_columns",
                "newmail.rop_truncated", "newmail.rop_request_unread",
                "newmail.rop_buffer.over_budget", "newmail.rop_buffer.malformed",
                "newmail.rop_length_mismatch"]


def _ints(text):
    return [int(value, 0) for value in text.split(",")] if text else []


def _entry():
    return tshark.manifest()["scenarios"][SCENARIO]


def _ecdorpc_calls():
    """The manifest's EcDoRpc calls, in order."""
    return [call for call in _entry()["calls"] if call["opnum"] == OPNUM_RPC]


def _by_frame(rows):
    return {int(row[0]): row[1:] for row in rows}


class Session(unittest.TestCase):
    """The ecdorpc_rops capture, field by field, one pass and two."""

    def rows(self, fields, present="newmail.rop_buffer", two_pass=False):
        """The rows of the frames that hold `present`, from the capture's
        shared run of every common field."""
        return _by_frame(tshark.fields_where(tshark.capture(SCENARIO), fields, present,
                                             two_pass=two_pass))

    def test_every_call_has_its_buffer(self):
        calls = _ecdorpc_calls()
        self.assertEqual(3, len(calls))
        frames = set(self.rows(["newmail.rop_buffer"]))
        self.assertEqual({f for c in calls for f in (c["request_frame"], c["response_frame"])},
                         frames)
        # The filter typed as a user types it shows the same frames.
        typed = tshark.fields(tshark.capture(SCENARIO), [], display_filter="newmail.rop_buffer")
        self.assertEqual(frames, {int(row[0]) for row in typed})

    def test_decoded_rop_size_and_handles(self):
        # RopSize and the handle table are read from the buffer cleared of its
        # XOR: the values the generator wrote before obfuscating.
        calls = _ecdorpc_calls()
        rows = self.rows(["newmail.rop_size", "newmail.server_handle"])
        for call, (rop_in, rop_out) in zip(calls, cg.ecdorpc_buffers()):
            for frame, buf in ((call["request_frame"], rop_in),
                               (call["response_frame"], rop_out)):
                with self.subTest(frame=frame):
                    rop_size = struct.unpack_from("<H", buf)[0]
                    handles = list(struct.unpack_from("<%dI" % ((len(buf) - rop_size) // 4),
                                                      buf, rop_size))
                    self.assertEqual([rop_size], _ints(rows[frame][0]))
                    self.assertEqual(handles, _ints(rows[frame][1]))

    def test_requests_field_by_field(self):
        calls = _ecdorpc_calls()
        rows = self.rows(["newmail.rop.request", "newmail.rop.request.logon_flags",
                          "newmail.rop.request.essdn", "newmail.rop.request.property_tags",
                          "newmail.rop.request.folder_id",
                          "newmail.rop.request.output_handle_index"],
                         "newmail.rop.request")
        self.assertEqual({c["request_frame"] for c in calls}, set(rows))
        logon, props, failing = (rows[c["request_frame"]] for c in calls)
        self.assertEqual([0xFE], _ints(logon[0]))
        self.assertEqual([1], _ints(logon[1]))                  # LogonFlags: Private
        self.assertEqual("/o=Example/ou=Exchange/cn=Recipients/cn=user", logon[2])
        self.assertEqual([0x07, 0x02], _ints(props[0]))
        self.assertEqual(struct.pack("<II", rb.PID_TAG_MESSAGE_FLAGS,
                                     rb.PID_TAG_SUBJECT_8).hex(),
                         props[3].replace(":", ""))
        self.assertEqual([cg.ECDORPC_INBOX], _ints(props[4]))
        self.assertEqual([1], _ints(props[5]))                  # RopOpenFolder's output index
        self.assertEqual([0x07, 0x02], _ints(failing[0]))
        self.assertEqual([cg.ECDORPC_DRAFTS], _ints(failing[4]))

    def check_responses(self, two_pass):
        calls = _ecdorpc_calls()
        rows = self.rows(["newmail.rop", "newmail.rop.return_value",
                          "newmail.rop.response.logon_flags", "newmail.rop.response.row_data",
                          "newmail.rop.response.has_rules", "newmail.notify",
                          "newmail.pending_rop.session_index"] + STOP_EXPERTS,
                         two_pass=two_pass)
        logon, props, failing = (rows[c["response_frame"]] for c in calls)
        for call in calls:
            for frame in (call["request_frame"], call["response_frame"]):
                self.assertEqual([""] * len(STOP_EXPERTS), rows[frame][7:],
                                 "frame %d stopped a walk" % frame)
        self.assertEqual([0xFE], _ints(logon[0]))
        self.assertEqual([0], _ints(logon[1]))
        self.assertEqual([1], _ints(logon[2]))                  # laid out as Private
        self.assertEqual("", logon[5])
        self.assertEqual([0x07, 0x02], _ints(props[0]))
        self.assertEqual([0, 0], _ints(props[1]))
        self.assertEqual(rb.standard_row([struct.pack("<I", 1), b"Hello\x00"]).hex(),
                         props[3].replace(":", ""))
        self.assertEqual([0], _ints(props[4]))
        self.assertEqual("1", props[5])                         # one RopNotify
        self.assertEqual([1], _ints(props[6]))                  # RopPending SessionIndex
        # Failure responses: 6 bytes each, the walk goes on past them.
        self.assertEqual([0x07, 0x02], _ints(failing[0]))
        self.assertEqual([rb.EC_ACCESS_DENIED, rb.EC_NOT_FOUND], _ints(failing[1]))
        self.assertEqual("", failing[3])
        self.assertEqual("", failing[5])

    def test_responses_read_with_their_requests(self):
        self.check_responses(False)

    def test_responses_read_with_their_requests_two_pass(self):
        self.check_responses(True)

    def check_notify(self, two_pass):
        entry = _entry()
        calls = _ecdorpc_calls()
        rows = self.rows(["newmail.notify.type.newmail", "newmail.notify.handle",
                          "newmail.notify.folder_id", "newmail.notify.message_id",
                          "newmail.notify.message_class", "newmail.notify.signal_frame"],
                         "newmail.notify", two_pass)
        self.assertEqual([calls[1]["response_frame"]], list(rows))
        row = rows[calls[1]["response_frame"]]
        self.assertIn(row[0], ("1", "True"))
        self.assertEqual([cg.ECDORPC_SUBSCRIPTION], _ints(row[1]))
        self.assertEqual([cg.ECDORPC_INBOX], _ints(row[2]))
        self.assertEqual([cg.ECDORPC_MESSAGE_ID], _ints(row[3]))
        self.assertEqual("IPM.Note", row[4])
        # The NEWMAIL datagram that announced it, which the request fetched.
        self.assertEqual(1, len(entry["newmail"]))
        self.assertEqual([entry["newmail"][0]["frame"]], _ints(row[5]))

    def test_notify_found(self):
        self.check_notify(False)

    def test_notify_found_two_pass(self):
        self.check_notify(True)

    def test_ecdorpc_is_a_fetch(self):
        entry = _entry()
        calls = _ecdorpc_calls()
        rows = self.rows(["newmail.signal_frame", "newmail.signals_answered"],
                         "newmail.session", two_pass=True)
        # Only the call after the datagram answers it; the request says so.
        signal = entry["newmail"][0]["frame"]
        self.assertEqual(["", ""], rows[calls[0]["request_frame"]])
        self.assertEqual([[signal], [1]], [_ints(v) for v in rows[calls[1]["request_frame"]]])
        self.assertEqual(["", ""], rows[calls[2]["request_frame"]])
        self.assertEqual(3, len([f for f in entry["fetches"] if f["opnum"] == OPNUM_RPC]))

    def test_decoded_data_source(self):
        calls = _ecdorpc_calls()
        out, _, _ = tshark.run(["-r", tshark.capture(SCENARIO), "-x", "-Y",
                                "frame.number == %d" % calls[0]["response_frame"]])
        self.assertIn("Decoded ROP buffer", out)


# ---- Captures made here ------------------------------------------------------------


def _one_call(path, rop_in, rop_out, max_data=0x8000, request_stub=None):
    """EcDoConnect, then one EcDoRpc call; request_stub(handle), when given,
    writes the request stub instead."""
    with open(path, "wb") as fileobj:
        cap = cg.Capture(fileobj)
        session = cap.session()
        cap.connect_old(session)
        cap.wait(0.2)
        if request_stub is None:
            cap.ecdorpc(session, rop_in, rop_out, max_data=max_data)
        else:
            cap.call(session, OPNUM_RPC, request_stub(session.handle),
                     nm.rpc_response_stub(session.handle, True, rop_out))


def _cut_frame(source, target, number, drop):
    """Copy a classic pcap file, the frame ``number`` (1-based) cut by
    ``drop`` bytes as a snap length would cut it (original length kept)."""
    with open(source, "rb") as fileobj:
        data = fileobj.read()
    out, at, frame = [data[:24]], 24, 0
    while at < len(data):
        seconds, micros, captured, original = struct.unpack_from("<IIII", data, at)
        body = data[at + 16:at + 16 + captured]
        at += 16 + captured
        frame += 1
        if frame == number:
            body = body[:-drop]
        out.append(struct.pack("<IIII", seconds, micros, len(body), original) + body)
    with open(target, "wb") as fileobj:
        fileobj.write(b"".join(out))


def _length_plus_one(rop_in):
    """An EcDoRpc request stub whose Length says one byte more than its buffer."""
    def stub(handle):
        data = bytearray(nm.rpc_request_stub(handle, True, rop_in))
        # pcxh, Size, Offset, the buffer's length, the buffer, then Length
        # aligned to 2.
        at = 20 + 12 + len(rop_in)
        at += at % 2
        struct.pack_into("<H", data, at, len(rop_in) + 1)
        return bytes(data)
    return stub


# Chained responses (MS-OXCRPC 3.1.4.2.1.2.2), EcDoRpcExt2: RopSetColumns and
# RopQueryRows, answered in three extended buffers; the second and third hold
# one more RopQueryRows response each, built "as if the client sent another
# request with only" it, the third then the RopNotify and RopPending.
CHAINED_MIDS = [0x4F00000000000301, 0x4F00000000000302, 0x4F00000000000303]
CHAINED_NOTIFY_MID = 0x4F00000000000399
COLUMNS = [rb.PID_TAG_MID, rb.PID_TAG_MESSAGE_FLAGS]


def _row(mid):
    return rb.standard_row([struct.pack("<Q", mid), struct.pack("<I", 0x20)])


def _chained_capture(path, query_rows_last):
    """query_rows_last: the call's last request is the RopQueryRows (the
    server may chain); else a RopGetPropertiesSpecific follows it, and the
    later buffers answer nothing the spec lets them."""
    requests = [rb.rq_set_columns(1, COLUMNS), rb.rq_query_rows(1, 1)]
    first = [rb.rop_set_columns(1), rb.rop_query_rows(1, _row(CHAINED_MIDS[0]))]
    if not query_rows_last:
        requests.append(rb.rq_get_properties_specific(0, [rb.PID_TAG_MESSAGE_FLAGS]))
        first.append(rb.rop_get_properties_specific_for(0, [struct.pack("<I", 1)]))
    handles = (0x00000010, 0x00000011)
    rgb_out = rb.RopBuffer([
        rb.Block(rops=first, handles=handles, last=False),
        rb.Block(rops=[rb.rop_query_rows(1, _row(CHAINED_MIDS[1]))], handles=handles,
                 last=False, xor=True),
        rb.Block(rops=[rb.rop_query_rows(1, _row(CHAINED_MIDS[2])),
                       rb.new_mail(cg.ECDORPC_SUBSCRIPTION, cg.ECDORPC_INBOX,
                                   CHAINED_NOTIFY_MID),
                       rb.rop_pending(1)], handles=handles)])
    with open(path, "wb") as fileobj:
        cap = cg.Capture(fileobj)
        session = cap.session()
        cap.connect_ex(session)
        cap.wait(0.2)
        cap.fetch(session, rgb_in=rb.single(requests, handles=handles).data,
                  rgb_out=rgb_out.data)


class Captures:
    directory = None

    @classmethod
    def make(cls):
        if cls.directory is None:
            cls.directory = tempfile.mkdtemp(prefix="newmail-ecdorpc-")
            calls = cg.ecdorpc_calls()
            logon_in, logon_out = cg.ecdorpc_buffers(calls[:1])[0]
            props_in, props_out = cg.ecdorpc_buffers(calls[1:2])[0]
            cls.within = cls._path("within.pcap")
            cls.over = cls._path("over.pcap")
            cls.cut_full = cls._path("cut-full.pcap")
            cls.cut = cls._path("cut.pcap")
            cls.length = cls._path("length.pcap")
            _one_call(cls.within, props_in, props_out, max_data=len(props_out))
            _one_call(cls.over, props_in, props_out, max_data=len(props_out) - 1)
            logon_notify = rb.rop_buffer(
                calls[0][1] + [rb.new_mail(cg.ECDORPC_SUBSCRIPTION, cg.ECDORPC_INBOX,
                                           cg.ECDORPC_MESSAGE_ID)], calls[0][3])
            _one_call(cls.cut_full, logon_in, logon_notify)
            rows = tshark.fields_where(cls.cut_full, ["newmail.rop.request.logon_flags"],
                                       "newmail.rop.request.logon_flags")
            assert len(rows) == 1, rows
            # Keep the request's headers and the start of its stub: the
            # capture ends inside its ROP buffer.
            _cut_frame(cls.cut_full, cls.cut, int(rows[0][0]), len(logon_in) // 2)
            _one_call(cls.length, logon_in, logon_out,
                      request_stub=_length_plus_one(logon_in))
            cls.chained = cls._path("chained.pcap")
            cls.not_chained = cls._path("not-chained.pcap")
            _chained_capture(cls.chained, True)
            _chained_capture(cls.not_chained, False)
        return cls

    @classmethod
    def _path(cls, name):
        return os.path.join(cls.directory, name)


class Bounds(unittest.TestCase):
    """The request's Max Data bounds its response's buffer."""

    def test_within_max_data_decoded(self):
        rows = tshark.fields(Captures.make().within, ["newmail.notify.message_id",
                                                      "newmail.rop_buffer.over_budget"],
                             display_filter="newmail.rop_buffer")
        self.assertEqual([[cg.ECDORPC_MESSAGE_ID]], [_ints(r[1]) for r in rows if r[1]])
        self.assertEqual([""] * len(rows), [r[2] for r in rows])

    def test_over_max_data_not_decoded(self):
        for two_pass in (False, True):
            rows = tshark.fields(Captures.make().over, ["newmail.rop_size", "newmail.rop",
                                                        "newmail.notify",
                                                        "newmail.rop_buffer.over_budget"],
                                 display_filter="newmail.rop_buffer.over_budget",
                                 two_pass=two_pass)
            self.assertEqual(1, len(rows))
            self.assertEqual(["", "", "", "1"], rows[0][1:])
        packets = tshark.pdml(Captures.make().over, display_filter="newmail.rop_buffer.over_budget")
        messages = [e["message"] for e in tshark.expert_infos(packets[0])
                    if e["abbrev"] == "newmail.rop_buffer.over_budget"]
        self.assertEqual(1, len(messages))
        self.assertIn("the request's Max Data", messages[0])


class RequestCut(unittest.TestCase):
    """A response whose request the capture cut inside its ROP buffer: DCE/RPC
    does not hand a cut request to EMSMDB, so it never learns the call's
    opnum and hands the response to nobody. The plugin then shows nothing of
    that call, and never the RopNotify its response holds. (Only MAPI/HTTP
    names a response's request type by itself: test_rops.MissingRequest.)"""

    def test_full_capture_reads_logon_and_notify(self):
        rows = tshark.fields_where(Captures.make().cut_full,
                                   ["newmail.rop.response.logon_flags",
                                    "newmail.notify.message_id"],
                                   "newmail.rop.response.logon_flags")
        self.assertEqual([[[1], [cg.ECDORPC_MESSAGE_ID]]],
                         [[_ints(r[1]), _ints(r[2])] for r in rows])

    def test_nothing_invented(self):
        for two_pass in (False, True):
            capture = Captures.make().cut
            # The EcDoRpc response is still in the capture, after EcDoConnect's.
            self.assertEqual(2, len(tshark.fields(capture, ["dcerpc.pkt_type"],
                                                  display_filter="dcerpc.pkt_type == 2",
                                                  two_pass=two_pass)))
            for field in ("newmail.rop_buffer", "newmail.notify", "newmail.rop"):
                self.assertEqual([], tshark.fields_where(capture, [field], field,
                                                         two_pass=two_pass))


class LengthMismatch(unittest.TestCase):
    """A Length that is not the buffer's length is flagged; the buffer is
    still read, as its own length says where it ends."""

    def test_flagged(self):
        rows = tshark.fields(Captures.make().length, ["newmail.rop_length_mismatch",
                                                      "newmail.rop.request"],
                             display_filter="newmail.rop_buffer")
        self.assertEqual(2, len(rows))
        request, response = rows
        self.assertEqual("1", request[1])
        self.assertEqual([0xFE], _ints(request[2]))
        self.assertEqual("", response[1])


class Chained(unittest.TestCase):
    """A chained EcDoRpcExt2 response: the payloads after the first are read
    with the call's last request when it is one a server may chain."""

    def test_every_payload_read_with_the_last_request(self):
        for two_pass in (False, True):
            rows = tshark.fields(Captures.make().chained,
                                 ["newmail.rpc_header_ext", "newmail.rop",
                                  "newmail.rop.response.row_count", "newmail.rop.response.row_data",
                                  "newmail.notify.message_id"] + STOP_EXPERTS,
                                 display_filter="newmail.rop", two_pass=two_pass)
            self.assertEqual(1, len(rows))
            row = rows[0]
            self.assertEqual([""] * len(STOP_EXPERTS), row[6:])
            self.assertEqual([0x12, 0x15, 0x15, 0x15], _ints(row[2]))
            self.assertEqual([1, 1, 1], _ints(row[3]))
            self.assertEqual("".join(_row(mid).hex() for mid in CHAINED_MIDS),
                             row[4].replace(":", "").replace(",", ""))
            self.assertEqual([CHAINED_NOTIFY_MID], _ints(row[5]))

    def test_not_chained_stops_named(self):
        for two_pass in (False, True):
            rows = tshark.fields(Captures.make().not_chained,
                                 ["newmail.rop", "newmail.rop.response.row_count",
                                  "newmail.rop_unsized", "newmail.notify"],
                                 display_filter="newmail.rop", two_pass=two_pass)
            self.assertEqual(1, len(rows))
            row = rows[0]
            # The first payload whole; the second stops at its RopQueryRows,
            # the third too; no RopNotify shown behind them.
            self.assertEqual([0x12, 0x15, 0x07, 0x15, 0x15], _ints(row[1]))
            self.assertEqual([1], _ints(row[2]))
            self.assertEqual("1,1", row[3])
            self.assertEqual("", row[4])


def tearDownModule():
    if Captures.directory is not None:
        shutil.rmtree(Captures.directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
