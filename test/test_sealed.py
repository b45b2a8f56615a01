# SPDX-License-Identifier: GPL-2.0-or-later
"""Sealed RPC (README: "Sessions over RPC"): NTLM packet privacy, decrypted by tshark.

newmail_gen/captures.py writes each sealed scenario twice: sealed with NTLM
(newmail_gen/ntlm_seal.py, impacket: NTLMv2, key exchange, RC4 seal and signature
on every request and response) and in the clear, frame for frame alike (a
bare TCP ACK stands where the sealed one has its AUTH3).  The manifest entry
of a sealed capture says what a dissector sees without the password
(nothing of the calls) and, under "sealed", the account and the full model,
which the generator checked is the clear twin's.

  Decryption      the captures are really sealed: stock tshark shows the
                  stock MAPI fields of the opnum 4 call only with the password
  WithPassword    with -o ntlmssp.nt_password: every newmail.* and
                  asyncemsmdb field of every frame is the clear twin's, both
                  passes, and the frame-by-frame table holds
  WithoutPassword no newmail field anywhere, no signal, no NEWMAIL frame
                  (DCE/RPC itself still names the interface and the opnum)
"""

import unittest

import session_expect as se
import tshark_harness as tshark

SEALED = ["sealed_session", "sealed_async"]
# Stock MAPI's opnum 4 fields: 4.0 names them mapi.EcRRegisterPushNotification.*,
# 4.2 and later mapi.mapi_EcRRegisterPushNotification.*.
STOCK_REGISTER_PREFIXES = ("mapi.EcRRegisterPushNotification.",
                           "mapi.mapi_EcRRegisterPushNotification.")


def password_args(name):
    return ["-o", "ntlmssp.nt_password:" + se.scenarios()[name]["sealed"]["password"]]


class Available(unittest.TestCase):
    def test_sealed_captures_were_written(self):
        unavailable = tshark.manifest().get("unavailable", {})
        self.assertEqual(unavailable, {}, "newmail_gen/captures.py could not write the sealed "
                                          "captures; install python3-impacket")
        for name in SEALED:
            with self.subTest(capture=name):
                entry = se.scenarios()[name]
                self.assertIn("sealed", entry)
                self.assertIn(entry["sealed"]["clear_twin"], se.scenarios())
                self.assertTrue(entry["sealed"]["model"]["signals"])


class Decryption(unittest.TestCase):
    """Guards: sealed for real, and stock tshark decrypts with the password."""

    def stock_register_fields(self, name, frame, extra_args):
        packet = se.packets(name, extra_args=extra_args, plugin=False)[frame]
        return [f.get("name") for f in packet.iter("field")
                if f.get("name", "").startswith(STOCK_REGISTER_PREFIXES)]

    def test_stock_decodes_opnum_4_only_with_the_password(self):
        name = "sealed_session"
        [registration] = se.scenarios()[name]["sealed"]["model"]["registrations"]
        frame = registration["request_frame"]
        self.assertEqual(self.stock_register_fields(name, frame, ()), [])
        self.assertTrue(self.stock_register_fields(name, frame, password_args(name)))
        wrong = ["-o", "ntlmssp.nt_password:not-the-password"]
        self.assertEqual(self.stock_register_fields(name, frame, wrong), [])

    def test_every_call_is_sealed(self):
        for name in SEALED:
            model = se.scenarios()[name]["sealed"]["model"]
            rows = {int(r[0]): r[1:] for r in tshark.fields(
                name, ["dcerpc.auth_type", "dcerpc.auth_level"], plugin=False)}
            for call in model["calls"]:
                self.assertTrue(call["sealed"])
                for frame in [call["request_frame"]] + call["response_frames"]:
                    with self.subTest(capture=name, frame=frame):
                        self.assertEqual(rows[frame], ["10", "6"])


class WithPassword(unittest.TestCase):
    def test_same_fields_as_the_clear_twin(self):
        compared = 0
        for name in SEALED:
            twin = se.scenarios()[name]["sealed"]["clear_twin"]
            for mode, two_pass in se.MODES:
                sealed = se.all_newmail_rows(name, two_pass, password_args(name))
                clear = se.all_newmail_rows(twin, two_pass)
                self.assertEqual(sorted(sealed), sorted(clear))
                for frame in sorted(clear):
                    for field, value in clear[frame].items():
                        if field.startswith(("_ws.", "frame.")):
                            continue
                        with self.subTest(capture=name, mode=mode, frame=frame, field=field):
                            self.assertEqual(sealed[frame][field], value)
                        compared += bool(value)
        self.assertGreater(compared, 100)

    def test_frame_by_frame(self):
        for name in SEALED:
            checked = present = 0
            for _, two_pass in se.MODES:
                done, found = se.compare(self, name, se.OWNED, two_pass, password_args(name))
                checked += done
                present += found
            # Not vacuous: most fields of every frame in both passes (the
            # table leaves a few open), and values really shown: 92 and 96
            # of the two captures' expected values are present.
            with self.subTest(capture=name):
                frames = se.model(name)["frames"]
                self.assertGreaterEqual(checked, frames * len(se.OWNED))
                self.assertGreater(present, 50)

    def test_signals_and_fetches(self):
        for name in SEALED:
            model = se.scenarios()[name]["sealed"]["model"]
            for mode, two_pass in se.MODES:
                with self.subTest(capture=name, mode=mode):
                    self.assertEqual(se.frames_matching(name, "newmail.signal", two_pass,
                                                        password_args(name)),
                                     [s["frame"] for s in model["signals"]])
                    rows = se.rows(name, two_pass, password_args(name))
                    for fetch in model["fetches"]:
                        self.assertEqual(rows[fetch["frame"]]["newmail.signal_frame"],
                                         tuple(fetch["signal_frames"][:1]))
                        self.assertEqual(rows[fetch["frame"]]["newmail.signals_answered"],
                                         (len(fetch["signal_frames"]),) if fetch["signal_frames"]
                                         else ())


class WithoutPassword(unittest.TestCase):
    def test_nothing_of_the_plugin(self):
        for name in SEALED:
            entry = se.scenarios()[name]
            self.assertEqual((entry["calls"], entry["signals"], entry["newmail"]), ([], [], []))
            for mode, two_pass in se.MODES:
                rows = se.all_newmail_rows(name, two_pass)
                for frame, row in rows.items():
                    # DCE/RPC still names the interface and opnum of a sealed
                    # call (the asyncemsmdb item, as stock's mapi item);
                    # nothing of the stub can be read.
                    with self.subTest(capture=name, mode=mode, frame=frame):
                        self.assertEqual({field: value for field, value in row.items()
                                          if value and field.startswith("newmail")}, {})
                self.assertEqual(se.frames_matching(name, "newmail || newmail.signal", two_pass),
                                 [])


if __name__ == "__main__":
    unittest.main()
