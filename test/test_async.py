# SPDX-License-Identifier: GPL-2.0-or-later
"""AsyncEMSMDB: EcDoAsyncWaitEx and the signals it carries (README:
"Asynchronous waits (AsyncEMSMDB)", "Signals and the fetch that answers them").

Expectations come from the manifest newmail_gen/captures.py writes (the async
handles EcDoAsyncConnectEx issued, every wait's request and response frames,
flags and times), through session_expect.

  FrameByFrame   every frame of every capture, one pass and two: the async
                 fields (acxh, flags, pending, connect_frame, wait_time,
                 unknown_handle, call links) exactly as the table says
  Waits          the README's cases: completed with the flag and
                 fetched, completed without it after 300 s, cancelled by a
                 fault, an unknown ACXH; both byte orders
  Decode         the interface: protocol column, Info, asyncemsmdb.opnum,
                 stock DCE/RPC's view of the binds and faults kept
"""

import unittest

import session_expect as se
import tshark_harness as tshark

ASYNCEMSMDB_UUID = "5261574a-4572-206e-b268-6b199213b4e4"
ASYNC_SCENARIOS = ["async_wait", "async_wait_be", "async_cancelled", "async_unknown_handle",
                   "mixed_signals"]
NCA_S_FAULT_CANCEL = 0x1C00000D


def waits(entry):
    return [call for call in entry["calls"] if call["interface"] == "asyncemsmdb"]


def clear_scenarios():
    return sorted(name for name, entry in se.scenarios().items() if "sealed" not in entry)


class FieldsRegistered(unittest.TestCase):
    def test_fields_and_protocol(self):
        self.assertEqual(se.missing(se.ASYNC_FIELDS + ["newmail.async.acxh", "asyncemsmdb",
                                                       "asyncemsmdb.opnum"]), [])

    def test_scenarios_the_tests_rely_on(self):
        self.assertEqual(sorted(set(ASYNC_SCENARIOS) - set(se.scenarios())), [])


class FrameByFrame(unittest.TestCase):
    FIELDS = se.ASYNC_FIELDS + ["newmail.async.acxh"]

    def test_every_capture(self):
        present = 0
        for name in clear_scenarios():
            for _, two_pass in se.MODES:
                present += se.compare(self, name, self.FIELDS, two_pass)[1]
        self.assertGreater(present, 150)


class Waits(unittest.TestCase):
    def test_pending_then_fetched(self):
        entry = se.model("async_wait")
        first = waits(entry)[0]
        self.assertTrue(first["pending"])
        self.assertEqual(first["flags_out"], 1)
        [signal] = [s for s in entry["signals"] if s["frame"] == first["response_frame"]]
        self.assertEqual(signal["mechanism"], 2)
        self.assertIsNotNone(signal["fetch_frame"])
        two = se.rows("async_wait", True)
        response = two[first["response_frame"]]
        self.assertEqual(response["asyncemsmdb.pending"], (True,))
        self.assertEqual(response["newmail.signal"], (2,))
        self.assertEqual(response["newmail.fetch_frame"], (signal["fetch_frame"],))
        self.assertEqual(response["newmail.fetch_delay"], (se.seconds(signal["fetch_delay_us"]),))
        self.assertEqual(two[signal["fetch_frame"]]["newmail.signal_frame"], (signal["frame"],))
        self.assertEqual(two[signal["fetch_frame"]]["newmail.signals_answered"], (1,))
        [issued] = entry["async_handles"]
        self.assertEqual(response["asyncemsmdb.connect_frame"], (issued["connect_frame"],))
        self.assertEqual(response["newmail.session_frame"], (issued["session_frame"],))

    def test_timeout_without_the_flag(self):
        entry = se.model("async_wait")
        timed_out = [call for call in waits(entry) if not call["pending"]]
        self.assertEqual(len(timed_out), 1)
        [call] = timed_out
        self.assertGreaterEqual(call["wait_time_us"], 300 * 1000000)
        for mode, two_pass in se.MODES:
            row = se.rows("async_wait", two_pass)[call["response_frame"]]
            with self.subTest(mode=mode):
                self.assertEqual(row["asyncemsmdb.pending"], (False,))
                self.assertEqual(row["asyncemsmdb.flags_out"], (0,))
                self.assertEqual(row["newmail.signal"], ())
                self.assertEqual(row["asyncemsmdb.wait_time"], (se.seconds(call["wait_time_us"]),))
                self.assertNotIn("NotificationPending", row["_ws.col.Info"])

    def test_pending_twice_without_fetch(self):
        entry = se.model("async_wait")
        signals = entry["signals"]
        self.assertEqual([s["unfetched_signal_frame"] for s in signals],
                         [None, None, signals[1]["frame"]])
        last_fetch = entry["fetches"][-1]
        self.assertEqual(last_fetch["signal_frames"], [signals[1]["frame"], signals[2]["frame"]])
        row = se.rows("async_wait")[signals[2]["frame"]]
        self.assertEqual(row["newmail.unfetched_signal_frame"], (signals[1]["frame"],))
        self.assertEqual(row["newmail.not_fetched"], (1,))

    def test_cancelled_by_a_fault(self):
        entry = se.model("async_cancelled")
        [cancelled] = [call for call in waits(entry) if call["fault_status"] is not None]
        self.assertEqual(cancelled["fault_status"], NCA_S_FAULT_CANCEL)
        [fault] = cancelled["response_frames"]
        self.assertNotIn(fault, [s["frame"] for s in entry["signals"]])
        for plugin in (True, False):
            rows = {int(r[0]): r[1:] for r in tshark.fields(
                "async_cancelled", ["dcerpc.pkt_type", "dcerpc.cn_status"], plugin=plugin)}
            with self.subTest(plugin=plugin):
                self.assertEqual(rows[fault], ["3", hex(NCA_S_FAULT_CANCEL)])
        for mode, two_pass in se.MODES:
            row = se.rows("async_cancelled", two_pass)[fault]
            with self.subTest(mode=mode):
                self.assertEqual((row["newmail.signal"], row["asyncemsmdb.pending"],
                                  row["asyncemsmdb.flags_out"]), ((), (), ()))
        request = se.rows("async_cancelled")[cancelled["request_frame"]]
        self.assertEqual(request["newmail.async.acxh"], (cancelled["acxh"],))
        self.assertEqual(request["asyncemsmdb.connect_frame"], (cancelled["connect_frame"],))

    def test_unknown_handle(self):
        entry = se.model("async_unknown_handle")
        calls = waits(entry)
        self.assertEqual(len(calls), 2)
        self.assertEqual(entry["async_handles"], [])
        for call in calls:
            frame = call["request_frame"]
            infos = [info for info in se.experts("async_unknown_handle", frame)
                     if info["abbrev"] == "asyncemsmdb.unknown_handle"]
            with self.subTest(frame=frame):
                self.assertEqual([(i["severity"], i["item"]) for i in infos],
                                 [("note", "newmail.async.acxh")])
                row = se.rows("async_unknown_handle")[frame]
                self.assertEqual(row["newmail.async.acxh"], (call["acxh"],))
                self.assertEqual((row["newmail.session_frame"],
                                  row["asyncemsmdb.connect_frame"]), ((), ()))
        first, second = entry["signals"]
        self.assertEqual((first["session_frame"], second["session_frame"]), (None, None))
        self.assertEqual(second["unfetched_signal_frame"], first["frame"])
        for mode, two_pass in se.MODES:
            rows = se.rows("async_unknown_handle", two_pass)
            with self.subTest(mode=mode):
                self.assertEqual(rows[second["frame"]]["newmail.unfetched_signal_frame"],
                                 (first["frame"],))
                self.assertEqual(rows[first["frame"]]["newmail.fetch_frame"], ())

    def test_known_handles_have_no_expert(self):
        for name in ASYNC_SCENARIOS:
            for call in waits(se.model(name)):
                if call["unknown_handle"]:
                    continue
                with self.subTest(capture=name, frame=call["request_frame"]):
                    self.assertNotIn("asyncemsmdb.unknown_handle",
                                     [i["abbrev"] for i in se.experts(name, call["request_frame"])])

    def test_issued_acxh_on_the_connect_response(self):
        for name in ASYNC_SCENARIOS:
            for issued in se.model(name)["async_handles"]:
                row = se.rows(name)[issued["response_frame"]]
                with self.subTest(capture=name, frame=issued["response_frame"]):
                    self.assertEqual(row["newmail.async.acxh"], (issued["acxh"],))
                    self.assertEqual(row["newmail.session_frame"], (issued["session_frame"],))

    def test_big_endian_same_as_little(self):
        for _, two_pass in se.MODES:
            little, big = se.rows("async_wait", two_pass), se.rows("async_wait_be", two_pass)
            self.assertEqual(sorted(little), sorted(big))
            for frame in little:
                for field in se.OWNED:
                    if field in ("newmail.cxh", "newmail.async.acxh"):
                        continue
                    with self.subTest(frame=frame, field=field, two_pass=two_pass):
                        self.assertEqual(big[frame][field], little[frame][field])
        self.assertEqual({call["drep"] for call in se.model("async_wait_be")["calls"]}, {"be"})


class Decode(unittest.TestCase):
    def test_protocol_info_and_opnum(self):
        checked = 0
        for name in ASYNC_SCENARIOS:
            rows = se.rows(name)
            for call in waits(se.model(name)):
                answered = call["fault_status"] is None
                frames = [(call["request_frame"], "request")]
                if answered:
                    frames.append((call["response_frame"], "response"))
                for frame, kind in frames:
                    row = rows[frame]
                    with self.subTest(capture=name, frame=frame):
                        self.assertEqual(row["_ws.col.Protocol"], "AsyncEMSMDB")
                        self.assertEqual(row["asyncemsmdb.opnum"], (0,))
                        self.assertEqual(row["asyncemsmdb"], (1,))
                        info = row["_ws.col.Info"]
                        self.assertTrue(info.startswith(f"EcDoAsyncWaitEx {kind}"), info)
                        pending = kind == "response" and call["pending"]
                        self.assertEqual(info.endswith(", NotificationPending"), pending, info)
                    checked += 1
        self.assertGreater(checked, 20)

    def test_asyncemsmdb_filter(self):
        for name in ASYNC_SCENARIOS:
            expected = sorted({frame for call in waits(se.model(name))
                               for frame in [call["request_frame"]]
                               + ([call["response_frame"]] if call["fault_status"] is None
                                  else [])})
            with self.subTest(capture=name):
                got = se.frames_matching(name, "asyncemsmdb")
                self.assertEqual(sorted(set(got) & set(expected)), expected)
                # A fault or a co_cancel may still name the interface; nothing else may.
                extra = set(got) - set(expected)
                allowed = {frame for call in waits(se.model(name))
                           for frame in call["response_frames"] + call["cancel_frames"]}
                self.assertEqual(extra - allowed, set())

    def test_stock_sees_the_interface_and_opnum(self):
        # Stock DCE/RPC already shows the binding and the calls (as an
        # interface it cannot decode): the capture is what it claims.
        for name in ASYNC_SCENARIOS:
            entry = se.model(name)
            rows = {int(r[0]): r[1:] for r in tshark.fields(
                name, ["dcerpc.cn_bind_to_uuid", "dcerpc.cn_bind_if_ver",
                       "dcerpc.cn_bind_if_ver_minor", "dcerpc.opnum"], plugin=False)}
            bound = [frame for frame, row in rows.items() if row[0] == ASYNCEMSMDB_UUID]
            with self.subTest(capture=name):
                self.assertEqual(len(bound), 1)
                self.assertEqual(rows[bound[0]][1:3], ["0", "1"])
                for call in waits(entry):
                    self.assertEqual(rows[call["request_frame"]][3], "0")

    def test_dcerpc_headers_unchanged(self):
        # The plugin decodes the stub; DCE/RPC's own header fields stay.
        # Only how DCE/RPC shows the stub of an interface it has no
        # dissector for ("Stub data", the unknown-interface mark) changes.
        stub_fields = ("dcerpc.stub_data", "dcerpc.payload_stub_data",
                       "dcerpc.unknown_if_id")
        for name in ASYNC_SCENARIOS:
            ours, stock = se.packets(name), se.packets(name, plugin=False)
            for call in waits(se.model(name)):
                for frame in [call["request_frame"]] + call["response_frames"]:
                    def header(packet):
                        return [(f.get("name"), f.get("show"), f.get("pos"), f.get("size"))
                                for proto in packet.findall("proto")
                                if proto.get("name") == "dcerpc"
                                for f in proto.iter("field")
                                if f.get("name", "").startswith("dcerpc.")
                                and f.get("name") not in stub_fields]
                    with self.subTest(capture=name, frame=frame):
                        self.assertEqual(header(ours[frame]), header(stock[frame]))


if __name__ == "__main__":
    unittest.main()
