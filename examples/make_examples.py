#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the example captures in examples/: small, synthetic, deterministic.

Usage:
  make_examples.py [--out DIR]      write every example into DIR (default:
                                    this script's folder, examples/)
  make_examples.py --list           print each example's NEWMAIL frames
(examples/make-examples.sh runs it with the source tree, which holds the
generators newmail_gen/, on PYTHONPATH.)

The examples are what a user opens first (scripts/quickstart.sh decodes
newmail-ipv4.pcap, the README shows it, docs/screenshot-newmail.png is taken
from it); the test captures of newmail_gen/captures.py are for the tests and may
change with them. These are built here, from the frame builders of
newmail_gen/pcap.py only, so they change only when this file does; the MAPI
over HTTP example (mapihttp-newmail.pcap) comes from newmail_gen/mapihttp.py's
example_script() and changes when that does, and the ROP buffers of
rpc-session.pcap come from newmail_gen/rop.py (whose layouts the specifications
fix).
test/test_examples.py checks that running this again gives byte-identical
files and that tshark with the plugin shows exactly the NEWMAIL frames
recorded here (and, for rpc-session.pcap, the session, signal and fetch
fields recorded while writing it).

Every address is a documentation prefix (RFC 5737, RFC 3849); nothing was ever
sent on a network. Standard library only; run it with /usr/bin/python3.
"""

import argparse
import io
import os
import struct
import sys
import uuid

from newmail_gen import mapihttp as mapihttp_gen  # the MAPI over HTTP example
from newmail_gen import pcap as nm
from newmail_gen import rop as rb  # rgbOut with RopNotify

HERE = os.path.dirname(os.path.abspath(__file__))

CLIENT = "192.0.2.10"
SERVER = "198.51.100.20"
CLIENT6 = "2001:db8::10"
SERVER6 = "2001:db8::20"
RESOLVER = "198.51.100.53"
OTHER_HOST = "203.0.113.5"
NOTIFY_PORT = 60000            # the Exchange server's source port
CALLBACK_PORT = 50123          # the port the client registers
CALLBACK_PORT6 = 50200
CONTEXT = bytes.fromhex("3fa2c41b00000001")   # an 8-byte context, as Outlook sends
HANDLE = 0x00000011            # hNotification the server returns
REPEAT_SECONDS = 60            # Exchange repeats a pending notification


def _dns_name(name):
    return b"".join(bytes([len(part)]) + part.encode("ascii")
                    for part in name.split(".")) + b"\x00"


def dns_query(transaction_id, name):
    """A standard query for an A record."""
    return (struct.pack(">HHHHHH", transaction_id, 0x0100, 1, 0, 0, 0)
            + _dns_name(name) + struct.pack(">HH", 1, 1))


def dns_answer(transaction_id, name, address):
    """The answer to dns_query: one A record, TTL 300."""
    return (struct.pack(">HHHHHH", transaction_id, 0x8180, 1, 1, 0, 0)
            + _dns_name(name) + struct.pack(">HH", 1, 1)
            + struct.pack(">HHHIH", 0xC00C, 1, 1, 300, 4)
            + bytes(int(part) for part in address.split(".")))


class Example:
    """One capture being written, and the NEWMAIL frames it holds.

    ``notifications`` lists, for every datagram the plugin must show as
    NEWMAIL, a dict: frame, destination address and port, the frame of the
    registration it belongs to, its number within that registration, and
    whether its payload is the registered context.
    """

    def __init__(self, description):
        self.description = description
        self.buffer = io.BytesIO()
        self.net = nm.Network(self.buffer)
        self.notifications = []
        self.registrations = []   # request frames of the opnum 4 calls
        self.unregistrations = []  # request frames of the opnum 5 calls
        self._next_client_port = 49200

    def wait(self, seconds):
        self.net.clock.advance(seconds)

    def session(self, client=CLIENT, server=SERVER):
        session = nm.MapiSession(self.net, client, self._next_client_port, server)
        self._next_client_port += 1
        session.connect()
        return session

    def register(self, session, callback):
        call = session.register(CONTEXT, callback, HANDLE)
        self.registrations.append(call.request_frame)
        return call.request_frame

    def unregister(self, session):
        call = session.unregister(HANDLE)
        self.unregistrations.append(call.request_frame)
        return call.request_frame

    def notify(self, dst, port, registration, sequence, payload=CONTEXT, src=SERVER):
        """A notification the plugin must decode."""
        frame = self.net.udp(src, NOTIFY_PORT, dst, port, payload)
        self.notifications.append({
            "frame": frame, "address": dst, "port": port,
            "registration_frame": registration, "sequence": sequence,
            "payload_matches": payload == CONTEXT})
        return frame

    def other(self, src, sport, dst, dport, payload):
        """Any other datagram: never NEWMAIL."""
        return self.net.udp(src, sport, dst, dport, payload)

    def getvalue(self):
        return self.buffer.getvalue()


def example_ipv4():
    ex = Example("Port learning over IPv4: Outlook registers 192.0.2.10:50123 with "
                 "EcRRegisterPushNotification, then Exchange sends three notifications "
                 "there, between DNS lookups and a datagram to the next port.")
    ex.other(CLIENT, 53001, RESOLVER, 53, dns_query(0x1a2b, "outlook.example.com"))
    ex.other(RESOLVER, 53, CLIENT, 53001, dns_answer(0x1a2b, "outlook.example.com", SERVER))
    session = ex.session()
    registration = ex.register(session, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    ex.wait(REPEAT_SECONDS)
    ex.notify(CLIENT, CALLBACK_PORT, registration, 1)
    ex.wait(2)
    ex.other(OTHER_HOST, 40000, CLIENT, CALLBACK_PORT + 1, b"not mail")
    ex.wait(REPEAT_SECONDS)
    ex.notify(CLIENT, CALLBACK_PORT, registration, 2)
    ex.wait(5)
    ex.other(CLIENT, 53002, RESOLVER, 53, dns_query(0x3c4d, "autodiscover.example.com"))
    ex.other(RESOLVER, 53, CLIENT, 53002,
             dns_answer(0x3c4d, "autodiscover.example.com", SERVER))
    ex.wait(REPEAT_SECONDS)
    ex.notify(CLIENT, CALLBACK_PORT, registration, 3)
    return ex


def example_ipv6():
    ex = Example("The same over IPv6: an AF_INET6 callback [2001:db8::10]:50200 "
                 "and two notifications.")
    session = ex.session(CLIENT6, SERVER6)
    registration = ex.register(session, nm.sockaddr_in6(CLIENT6, CALLBACK_PORT6))
    for sequence in (1, 2):
        ex.wait(REPEAT_SECONDS)
        ex.notify(CLIENT6, CALLBACK_PORT6, registration, sequence, src=SERVER6)
    return ex


def example_mismatch():
    ex = Example("A datagram to the registered callback whose payload is not the "
                 "registered context: still NEWMAIL, flagged; the client ignores it.")
    session = ex.session()
    registration = ex.register(session, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    ex.wait(REPEAT_SECONDS)
    ex.notify(CLIENT, CALLBACK_PORT, registration, 1)
    ex.wait(REPEAT_SECONDS)
    ex.notify(CLIENT, CALLBACK_PORT, registration, 2,
              payload=bytes(b ^ 0xFF for b in CONTEXT))
    ex.wait(REPEAT_SECONDS)
    ex.notify(CLIENT, CALLBACK_PORT, registration, 3)
    return ex


def example_unregister():
    ex = Example("EcRUnregisterPushNotification ends the registration: the datagram "
                 "to the callback after it is no longer NEWMAIL.")
    session = ex.session()
    registration = ex.register(session, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    ex.wait(REPEAT_SECONDS)
    ex.notify(CLIENT, CALLBACK_PORT, registration, 1)
    ex.wait(REPEAT_SECONDS)
    ex.notify(CLIENT, CALLBACK_PORT, registration, 2)
    ex.wait(10)
    ex.unregister(session)
    ex.wait(REPEAT_SECONDS)
    ex.other(SERVER, NOTIFY_PORT, CLIENT, CALLBACK_PORT, CONTEXT)
    return ex


# --- rpc-session.pcap: a whole Exchange session over RPC -----------------------

UDP_SIGNAL = 1                 # newmail.signal: a UDP push notification
ASYNC_SIGNAL = 2               # newmail.signal: EcDoAsyncWaitEx with NotificationPending
INBOX_FOLDER_ID = 0x0D00000000000001       # FIDs/MIDs: the uint64 of their 8 LE bytes
NOTIFICATION_HANDLE = 0x0001A2B3           # the RopRegisterNotification handle
NEW_MESSAGE_IDS = (0x4F00000000000E01, 0x4F00000000000E02)


class RpcSessionExample(Example):
    """An Example that also records, as it writes them, the session's calls,
    its signals and its fetches, with the links the README's "What you see" gives
    them (one session, so the rules are short):

    - the session's frame is the EcDoConnectEx response (the first frame
      carrying its CXH); every later call of the session, every wait on the
      ACXH it issued and every signal belongs to it;
    - a signal is a notification to the registered callback (mechanism 1,
      source: the registration) or an EcDoAsyncWaitEx response with
      NotificationPending (2, source: the ACXH);
    - an EcDoRpcExt2 request is a fetch: it answers every signal since the
      previous fetch (``signal_frame`` the first, ``signals_answered`` how
      many), and each of those gets it as ``fetch_frame``;
    - a signal whose source signalled before with no fetch in between is
      not fetched (``unfetched_signal_frame``: that earlier signal);
    - each RopNotify of a fetch response links the first signal its fetch
      answered.

    ``calls``: {"name", "request_frame", "response_frame",
    "request_session_frame", "response_session_frame"} (response_frame None
    for a wait still parked when the capture ends); ``signals``: {"frame",
    "mechanism", "session_frame", "fetch_frame", "unfetched_signal_frame"};
    ``fetches``: {"request_frame", "response_frame", "signal_frame",
    "signals_answered", "notifications", "rop"}, "rop" being rop_build's
    model of the rgbOut and each notification its model plus "signal_frame";
    ``events``: (what, frame) in capture order.
    """

    def __init__(self, description):
        super().__init__(description)
        self.calls = []
        self.signals = []
        self.fetches = []
        self.events = []
        self.session_frame = None
        self._last_signal = {}     # source -> its latest signal
        self._unanswered = []      # signals since the last fetch

    def _event(self, what, frame):
        self.events.append((what, frame))
        return frame

    def _call(self, name, call, request_session_frame):
        self.calls.append({"name": name, "request_frame": call.request_frame,
                           "response_frame": call.response_frame,
                           "request_session_frame": request_session_frame,
                           "response_session_frame": self.session_frame})
        self._event(name + " request", call.request_frame)
        self._event(name + " response", call.response_frame)
        return call

    def _signal(self, frame, mechanism, source):
        signal = {"frame": frame, "mechanism": mechanism,
                  "session_frame": self.session_frame, "fetch_frame": None,
                  "unfetched_signal_frame": None}
        previous = self._last_signal.get(source)
        if previous is not None and previous["fetch_frame"] is None:
            signal["unfetched_signal_frame"] = previous["frame"]
        self._last_signal[source] = signal
        self._unanswered.append(signal)
        self.signals.append(signal)
        return signal

    def connect_ex(self, session):
        """EcDoConnectEx: the response returns the session's CXH."""
        call = session.call(nm.OPNUM_CONNECT_EX, nm.connect_ex_request_stub(),
                            nm.connect_ex_response_stub(session.handle))
        self.session_frame = call.response_frame
        return self._call("EcDoConnectEx", call, None)

    def register_callback(self, session, callback):
        call = session.register(CONTEXT, callback, HANDLE)
        self.registrations.append(call.request_frame)
        self._call("EcRRegisterPushNotification", call, self.session_frame)
        return call.request_frame

    def async_connect(self, session, acxh):
        """EcDoAsyncConnectEx on the session's CXH; the server issues ``acxh``."""
        call = session.call(nm.OPNUM_ASYNC_CONNECT_EX,
                            nm.async_connect_request_stub(session.handle),
                            nm.async_connect_response_stub(acxh))
        return self._call("EcDoAsyncConnectEx", call, self.session_frame)

    def async_connection(self):
        """A second TCP connection, bound to AsyncEMSMDB."""
        conn = nm.MapiSession(self.net, CLIENT, self._next_client_port, SERVER,
                              interface=nm.ASYNCEMSMDB_UUID, version=nm.ASYNCEMSMDB_VERSION)
        self._next_client_port += 1
        conn.connect()
        return conn

    def park_wait(self, conn, acxh):
        """An EcDoAsyncWaitEx request the server holds; recorded as parked
        until complete_wait answers it."""
        pending = conn.request(nm.OPNUM_ASYNC_WAIT_EX, nm.async_wait_request_stub(acxh))
        record = {"name": "EcDoAsyncWaitEx", "request_frame": pending.request_frame,
                  "response_frame": None, "request_session_frame": self.session_frame,
                  "response_session_frame": self.session_frame}
        self.calls.append(record)
        self._event("EcDoAsyncWaitEx request (parked)", pending.request_frame)
        return pending, record

    def complete_wait(self, conn, waiting, flags_out):
        pending, record = waiting
        call = conn.respond(pending, nm.async_wait_response_stub(flags_out))
        record["response_frame"] = call.response_frame
        if flags_out & nm.NOTIFICATION_PENDING:
            self._signal(call.response_frame, ASYNC_SIGNAL, "acxh")
            self._event("EcDoAsyncWaitEx response, NotificationPending (signal 2)",
                        call.response_frame)
        else:
            self._event("EcDoAsyncWaitEx response", call.response_frame)
        return call

    def notify_signal(self, registration, sequence, what="notification"):
        """A UDP notification to the callback: NEWMAIL and a signal."""
        frame = self.notify(CLIENT, CALLBACK_PORT, registration, sequence)
        self._signal(frame, UDP_SIGNAL, "registration:%d" % registration)
        return self._event("UDP %s (signal 1)" % what, frame)

    def fetch(self, session, rgb_out):
        """EcDoRpcExt2 with no ROP in rgbIn; the server answers with
        ``rgb_out`` (an rb.RopBuffer)."""
        call = session.call(nm.OPNUM_RPC_EXT2, nm.rpc_ext2_request_stub(session.handle),
                            nm.rpc_ext2_response_stub(session.handle, rgb_out=rgb_out.data))
        answered, self._unanswered = self._unanswered, []
        for signal in answered:
            signal["fetch_frame"] = call.request_frame
        first = answered[0]["frame"] if answered else None
        rop = rgb_out.model()
        notifications = [dict(model, signal_frame=first) for model in rop["notifications"]]
        self.fetches.append({"request_frame": call.request_frame,
                             "response_frame": call.response_frame,
                             "signal_frame": first, "signals_answered": len(answered),
                             "notifications": notifications, "rop": rop})
        return self._call("EcDoRpcExt2 (fetch)", call, self.session_frame)


def new_mail_out(message_id):
    """rgbOut of a fetch: RopNotify NewMail (a message in the Inbox, class
    IPM.Note) and RopPending, in one block compressed and XORed as Exchange
    sends it to an Outlook that allows both (MS-OXCRPC 3.1.4.1.1.2-3)."""
    return rb.single([rb.new_mail(NOTIFICATION_HANDLE, INBOX_FOLDER_ID, message_id,
                                  "IPM.Note"),
                      rb.rop_pending(1)], compress=True, xor=True)


def example_rpc_session():
    ex = RpcSessionExample(
        "A whole Exchange session over RPC: Outlook connects (EcDoConnectEx), "
        "registers the callback 192.0.2.10:50123 and gets an asynchronous handle "
        "(EcDoAsyncConnectEx), parks an EcDoAsyncWaitEx on a second connection; "
        "a minute later Exchange sends a UDP notification and completes the wait, "
        "and Outlook fetches the RopNotify NewMail with EcDoRpcExt2 and parks a new "
        "wait. Later a notification is repeated 60 s on with no fetch between (not "
        "fetched), then fetched; that wait is still parked when the capture ends.")
    session = ex.session()
    ex.connect_ex(session)
    ex.wait(0.05)
    registration = ex.register_callback(session, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    ex.wait(0.02)
    acxh = nm.context_handle(uuid.uuid5(uuid.NAMESPACE_URL, "acxh://rpc-session"))
    ex.async_connect(session, acxh)
    ex.wait(0.03)
    conn = ex.async_connection()
    waiting = ex.park_wait(conn, acxh)
    # New mail: Exchange signals both ways, the wait completes just after
    # the datagram; Outlook fetches a few hundred ms later, then waits again.
    ex.wait(REPEAT_SECONDS)
    ex.notify_signal(registration, 1)
    ex.wait(0.004)
    ex.complete_wait(conn, waiting, nm.NOTIFICATION_PENDING)
    ex.wait(0.35)
    ex.fetch(session, new_mail_out(NEW_MESSAGE_IDS[0]))
    ex.wait(0.01)
    ex.park_wait(conn, acxh)
    # More mail; Outlook does not fetch, so Exchange repeats the datagram.
    ex.wait(2 * REPEAT_SECONDS)
    ex.notify_signal(registration, 2)
    ex.wait(REPEAT_SECONDS)
    ex.notify_signal(registration, 3, "repeat, not fetched")
    ex.wait(1.2)
    ex.fetch(session, new_mail_out(NEW_MESSAGE_IDS[1]))
    return ex


EXAMPLES = {
    "newmail-ipv4.pcap": example_ipv4,
    "newmail-ipv6.pcap": example_ipv6,
    "newmail-mismatch.pcap": example_mismatch,
    "newmail-unregister.pcap": example_unregister,
    "mapihttp-newmail.pcap": lambda: mapihttp_gen.ExampleCapture(mapihttp_gen.example_script()),
    "rpc-session.pcap": example_rpc_session,
}


def build_all():
    """{file name: Example}, built in memory."""
    return {name: make() for name, make in EXAMPLES.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", metavar="DIR", default=HERE,
                        help="folder to write the examples into (default: %(default)s)")
    parser.add_argument("--list", action="store_true",
                        help="print each example's NEWMAIL frames instead of writing")
    args = parser.parse_args(argv)
    examples = build_all()
    if args.list:
        for name, ex in examples.items():
            frames = ", ".join(str(n["frame"]) + ("" if n["payload_matches"] else " (mismatch)")
                               for n in ex.notifications)
            print("%s: %d frames; registration in frame %s; NEWMAIL frames %s"
                  % (name, ex.net.frames, ", ".join(map(str, ex.registrations)), frames))
            for what, frame in getattr(ex, "events", ()):
                print("  frame %d: %s" % (frame, what))
        return 0
    os.makedirs(args.out, exist_ok=True)
    for name, ex in examples.items():
        path = os.path.join(args.out, name)
        with open(path, "wb") as fileobj:
            fileobj.write(ex.getvalue())
        print("%s: %d frames, %d bytes" % (path, ex.net.frames, len(ex.getvalue())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
