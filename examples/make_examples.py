#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the example captures in examples/: small, synthetic, deterministic.

Usage:
  make_examples.py [--out DIR]      write every example into DIR (default:
                                    this script's folder, examples/)
  make_examples.py --list           print each example's NEWMAIL frames

The examples are what a user opens first (scripts/quickstart.sh decodes
newmail-ipv4.pcap, the README shows it, docs/screenshot-newmail.png is taken
from it); the test captures of test/gen_captures.py are for the tests and may
change with them. These are built here, from the frame builders of
test/newmail_pcap.py only, so they change only when this file does; the MAPI
over HTTP example (mapihttp-newmail.pcap) comes from test/mapihttp_gen.py's
example_script() and changes when that does.
test/test_examples.py checks that running this again gives byte-identical
files and that tshark with the plugin shows exactly the NEWMAIL frames
recorded here.

Every address is a documentation prefix (RFC 5737, RFC 3849); nothing was ever
sent on a network. Standard library only; run it with /usr/bin/python3.
"""

import argparse
import io
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test"))

import mapihttp_gen  # noqa: E402  (test/mapihttp_gen.py: the MAPI over HTTP example)
import newmail_pcap as nm  # noqa: E402  (needs the path above)

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


EXAMPLES = {
    "newmail-ipv4.pcap": example_ipv4,
    "newmail-ipv6.pcap": example_ipv6,
    "newmail-mismatch.pcap": example_mismatch,
    "newmail-unregister.pcap": example_unregister,
    "mapihttp-newmail.pcap": lambda: mapihttp_gen.ExampleCapture(mapihttp_gen.example_script()),
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
