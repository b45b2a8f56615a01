#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the NEWMAIL plugin's test captures, their manifest and fuzz seeds.

Usage:
  gen_captures.py --out DIR
      every named scenario as DIR/<name>.pcap, plus DIR/manifest.json
  gen_captures.py --large FRAMES [--registrations R] [--seed S] --out FILE
      a streaming load file of exactly FRAMES frames
  gen_captures.py --random-stubs SEED --count N --out FILE
      N registrations with randomised opnum 4 stubs, plus FILE's manifest
      next to it (FILE with the suffix .json)
  gen_captures.py --stubs DIR [--random-stubs SEED] [--count N]
      the raw opnum 4/5 stubs of every scenario and of the randomised
      registrations, as a libFuzzer seed corpus (may be combined with --out)

All output is deterministic: the same arguments give byte-identical files.
The manifest is derived from the frames as they are written, and whether a
datagram should be NEWMAIL is decided by the rules in PROTOCOL.md (see
Expectations), never typed in by hand.
"""

import argparse
import io
import ipaddress
import json
import os
import random
import struct
import sys
import time

import newmail_pcap as nm

SERVER = "198.51.100.20"
SERVER6 = "2001:db8::20"
NOTIFY_PORT = 60000          # the server's source port for notifications
CLIENT = "192.0.2.10"
CLIENT6 = "2001:db8::10"
CALLBACK_PORT = 50123
OTHER_HOST = "203.0.113.5"   # a stranger that is neither client nor server
RESOLVER = "198.51.100.53"
CONTEXT8 = bytes(range(1, 9))
CONTEXT16 = bytes(range(0x11, 0x21))
HANDLE = 0x00000011
REPEAT_SECONDS = 60          # Exchange repeats a pending notification


def ephemeral_port(index):
    """Return the client port of connection ``index``.

    A port with a stock dissector wins over the DCE/RPC heuristic, so an
    EMSMDB connection from, say, client port 57000 (IRC) would never be
    decoded.  Stock Wireshark 4.0 registers no TCP port in 49152-53247.
    """
    return 49152 + index % 4096


# --------------------------------------------------------------------------
# What a correct dissector should make of a capture
# --------------------------------------------------------------------------

def _hex(data):
    return data.hex() if data is not None else None


def _drep(little_endian):
    return "le" if little_endian else "be"


class Expectations:
    """Tracks registrations as they are written and classifies datagrams.

    The rules are PROTOCOL.md's: a registration is learned when its request
    is well formed (``nm.parse_register_request``) and the response returns
    0; it is keyed by callback address and port, or by port alone when the
    address is unspecified; a later registration of the same callback
    replaces it; an opnum 5 with status 0 naming its hNotification ends it.
    A UDP datagram to a learned callback is NEWMAIL whether or not its payload
    matches the context (a mismatch is flagged, not declined), unless it is
    empty: Wireshark's UDP dissector hands no empty payload to anyone.
    """

    def __init__(self):
        self.registrations = []
        self.unregistrations = []
        self.newmail = []
        self.not_newmail = []
        self.calls = []
        self._active = {}       # (address or None, port) -> registration
        # (client, client port, hNotification) -> (key, request frame)
        self._by_handle = {}
        self._ended = set()     # keys of registrations that were ended
        self._unlearned_ports = set()

    def call(self, call):
        """Record any DCE/RPC call, whatever its opnum."""
        self.calls.append({"opnum": call.opnum,
                           "drep": _drep(call.little_endian),
                           "request_frames": call.request_frames,
                           "request_frame": call.request_frame,
                           "response_frame": call.response_frame})

    def register(self, session, call, context, notification_handle, status):
        """Record an opnum 4 call and learn its callback if it is valid."""
        self.call(call)
        info = nm.parse_register_request(call.request_stub,
                                         call.little_endian)
        advertised = nm.advertised_port(call.request_stub, len(context))
        learned = info.valid and status == 0
        callback = None
        if info.port is not None:
            callback = {"family": info.family, "address": info.address,
                        "port": info.port}
        record = {
            "request_frame": call.request_frame,
            "request_frames": call.request_frames,
            "response_frame": call.response_frame,
            "client": session.client,
            "drep": _drep(call.little_endian),
            "context": _hex(info.context),
            "sockaddr": _hex(info.sockaddr),
            "advertised_port": advertised,
            "callback": callback,
            "handle": notification_handle,
            "status": status,
            "problems": info.problems,
            "learned": learned,
        }
        self.registrations.append(record)
        if not learned:
            if advertised:
                self._unlearned_ports.add(advertised)
            return record
        address = ipaddress.ip_address(info.address)
        key = (None if address.is_unspecified else str(address), info.port)
        self._active[key] = dict(record, _count=0, _context=info.context)
        self._by_handle[session.tcp.client + (notification_handle,)] = (
            key, call.request_frame)
        return record

    def unregister(self, session, call, notification_handle, status):
        """Record an opnum 5 call and end the registration it names."""
        self.call(call)
        ended = None
        key, frame = self._by_handle.pop(
            session.tcp.client + (notification_handle,), (None, None))
        # A registration replaced by a later one of the same callback is
        # gone already; ending it must not end its successor.
        active = self._active.get(key)
        if status == 0 and active and active["request_frame"] == frame:
            ended = self._active.pop(key)["request_frame"]
            self._ended.add(key)
        self.unregistrations.append({
            "request_frame": call.request_frame,
            "response_frame": call.response_frame,
            "drep": _drep(call.little_endian),
            "handle": notification_handle,
            "status": status,
            "registration_frame": ended,
        })

    def datagram(self, frame, dst, dport, payload):
        """Classify one UDP datagram as NEWMAIL or not, with the reason."""
        dst = str(ipaddress.ip_address(dst))
        for key in ((dst, dport), (None, dport)):
            registration = self._active.get(key)
            if registration is not None and payload:
                registration["_count"] += 1
                self.newmail.append({
                    "frame": frame,
                    "address": dst,
                    "port": dport,
                    "length": len(payload),
                    "registration_frame": registration["request_frame"],
                    "sequence": registration["_count"],
                    "payload_matches": payload == registration["_context"],
                })
                return
        if not payload:
            reason = "empty_payload"
        elif (dst, dport) in self._ended or (None, dport) in self._ended:
            reason = "unregistered"
        elif any(port == dport for _, port in self._active):
            reason = "other_address"
        elif dport in self._unlearned_ports:
            reason = "registration_not_learned"
        else:
            reason = "no_registration"
        self.not_newmail.append({"frame": frame, "address": dst,
                                 "port": dport, "length": len(payload),
                                 "reason": reason})

    def quoted(self, frame, dst, dport, payload):
        """Record an ICMP error that quotes a datagram to dst:dport. It is
        not a notification: the datagram was counted where it was sent."""
        self.not_newmail.append({"frame": frame, "address": str(ipaddress.ip_address(dst)),
                                 "port": dport, "length": len(payload),
                                 "reason": "quoted_in_icmp_error"})

    def manifest(self, filename, frames):
        """Return this capture's manifest entry."""
        return {
            "file": filename,
            "frames": frames,
            "registrations": self.registrations,
            "unregistrations": self.unregistrations,
            "newmail": self.newmail,
            "not_newmail": self.not_newmail,
            "calls": self.calls,
        }


class Capture:
    """A capture being written: the network, the expectations and the calls.

    Scenario functions only call the methods here, so every frame they write
    is accounted for in the manifest.
    """

    def __init__(self, fileobj):
        self.net = nm.Network(fileobj)
        self.expect = Expectations()
        self.calls = []
        self._connections = 0

    def wait(self, seconds):
        """Let time pass between frames."""
        self.net.clock.advance(seconds)

    def session(self, client=CLIENT, server=SERVER, little_endian=True):
        """Open a client connection and bind to EMSMDB; return the session."""
        session = nm.MapiSession(self.net, client,
                                 ephemeral_port(self._connections), server,
                                 little_endian=little_endian)
        self._connections += 1
        session.connect()
        return session

    def register(self, session, context, callback, handle=HANDLE, status=0,
                 **options):
        """Write an opnum 4 call (``options`` as for MapiSession.register)."""
        call = session.register(context, callback, handle, status, **options)
        self.calls.append(call)
        self.expect.register(session, call, context, handle, status)
        return call

    def unregister(self, session, handle=HANDLE, status=0):
        """Write an opnum 5 call."""
        call = session.unregister(handle, status)
        self.calls.append(call)
        self.expect.unregister(session, call, handle, status)
        return call

    def other_call(self, session, opnum, request_stub, response_stub):
        """Write a call of another EMSMDB opnum."""
        call = session.call(opnum, request_stub, response_stub)
        self.calls.append(call)
        self.expect.call(call)

    def udp(self, src, sport, dst, dport, payload):
        """Write one datagram and classify it."""
        frame = self.net.udp(src, sport, dst, dport, payload)
        self.expect.datagram(frame, dst, dport, payload)
        return frame

    def notify(self, dst, dport, payload, src=SERVER):
        """Write a datagram from the Exchange server's notification port."""
        return self.udp(src, NOTIFY_PORT, dst, dport, payload)

    def notify_refused(self, dst, dport, payload, src=SERVER):
        """Write a notification and the ICMP port unreachable error the
        client's host answers it with; return both frame numbers."""
        datagram = self.net.path(src, dst).udp(NOTIFY_PORT, dport, payload)
        frame = self.net.emit(datagram)
        self.expect.datagram(frame, dst, dport, payload)
        error = self.net.emit(self.net.path(dst, src).icmp_port_unreachable(datagram))
        self.expect.quoted(error, dst, dport, payload)
        return frame, error


# --------------------------------------------------------------------------
# Payloads of unrelated traffic
# --------------------------------------------------------------------------

def dns_query(transaction_id, name):
    """Return a standard DNS query for an A record."""
    labels = b"".join(bytes([len(part)]) + part.encode("ascii")
                      for part in name.split("."))
    return (struct.pack(">HHHHHH", transaction_id, 0x0100, 1, 0, 0, 0)
            + labels + b"\x00" + struct.pack(">HH", 1, 1))


def _vint(value):
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _vstring(text):
    data = text.encode("utf-8")
    return _vint(len(data)) + data


def elasticsearch_zen_ping(ping_id, node_address, node_port=9300):
    """Return an Elasticsearch 1.x multicast discovery ping.

    Stock Wireshark decodes UDP 54328 as Elasticsearch; a well-formed ping
    lets a test see that this decode survives a NEWMAIL registration of the
    same port by another host.
    """
    version = 1070599   # 1.7.5
    address = ipaddress.IPv4Address(node_address)
    return (bytes([1, 9, 8, 4]) + _vint(version) + struct.pack(">I", ping_id)
            + _vstring("example-cluster") + _vstring("node-1")
            + _vstring("nTDdVdGqQYqGpXtL2A1w0w") + _vstring("es1.example")
            + _vstring(str(address))
            + struct.pack(">HBB", 1, 0, 4) + address.packed
            + struct.pack(">I", node_port) + _vint(0) + _vint(version))


def _pattern(length, seed=1):
    return bytes((seed + 7 * i) & 0xFF for i in range(length))


# --------------------------------------------------------------------------
# Other EMSMDB calls, for the mapi_opnums scenario
# --------------------------------------------------------------------------

def _cvstring(ndr, text):
    data = text.encode("ascii") + b"\x00"
    ndr.u32(len(data)).u32(0).u32(len(data)).raw(data)


def _xor_a5(data):
    # EcDoRpc buffers are obfuscated by XOR with 0xA5 (MS-OXCRPC 3.1.7.2).
    return bytes(b ^ 0xA5 for b in data)


def emsmdb_other_calls(handle, little_endian):
    """Return (opnum, request stub, response stub) for opnums 0-3 and 6-9.

    Opnums 0 and 2 (EcDoConnect and EcDoRpc, reserved since Exchange 2010)
    follow the old IDL closely enough for the stock MAPI dissector to decode
    them fully, as does 1.  EcDummyRpc (6) takes nothing and returns a long.
    3, 7, 8 and 9 are reserved ("not used on wire") with no parameters, so
    both their stubs are empty.
    """
    le = little_endian
    connect = nm.NdrWriter(le)
    _cvstring(connect, "/o=Example/ou=Exchange Administrative Group"
                       "/cn=Recipients/cn=user")
    connect.u32(0).u32(0).u32(0)           # ulFlags, ulConMod, cbLimit
    connect.u32(1252).u32(1033).u32(1033)  # code page, locales
    connect.u32(0xFFFFFFFF).u16(1)         # ulIcxrLink, can convert
    connect.u16(0x000C).u16(0x0000).u16(0x1B5B)
    connect.u32(0)                         # pullTimeStamp
    connected = nm.NdrWriter(le).raw(handle)
    connected.u32(60000).u32(6).u32(10000).u16(1)
    connected.u32(0x00020000)
    _cvstring(connected, "/o=Example/ou=Exchange Administrative Group")
    connected.u32(0x00020004)
    _cvstring(connected, "Example User")
    connected.u16(0x000F).u16(0x0001).u16(0x0847)
    connected.u16(0x000C).u16(0x0000).u16(0x1B5B)
    connected.u32(0x5A3C0000).u32(0)

    # EcDoRpc carrying RopOpenFolder; the reply reports ecNotFound.
    rop = bytes([0x02, 0x00, 0x00, 0x00]) + struct.pack("<Q", 1) + b"\x00"
    rop_request = struct.pack("<H", 2 + len(rop)) + rop + struct.pack("<I", 1)
    rpc = nm.NdrWriter(le).raw(handle).u32(0).u32(0)
    rpc.u32(len(rop_request)).raw(_xor_a5(rop_request))
    rpc.u16(len(rop_request)).u16(0x8000)
    rop_reply = struct.pack("<HBBI", 8, 0x02, 0x00, 0x8004010F)
    rop_reply += struct.pack("<I", 1)
    rpc_reply = nm.NdrWriter(le).raw(handle).u32(0).u32(0)
    rpc_reply.u32(len(rop_reply)).raw(_xor_a5(rop_reply))
    rpc_reply.u16(len(rop_reply)).u32(0)

    disconnected = nm.NdrWriter(le).raw(bytes(20)).u32(0).getvalue()
    return [
        (0, connect.getvalue(), connected.getvalue()),
        (1, handle, disconnected),
        (2, rpc.getvalue(), rpc_reply.getvalue()),
        (3, b"", b""),
        (6, b"", nm.NdrWriter(le).u32(0).getvalue()),
        (7, b"", b""),
        (8, b"", b""),
        (9, b"", b""),
    ]


# --------------------------------------------------------------------------
# The named scenarios
# --------------------------------------------------------------------------

SCENARIOS = {}


def scenario(function):
    """Register a scenario under its function's name, in definition order."""
    SCENARIOS[function.__name__] = function
    return function


def _notifications(cap, count, context=CONTEXT8, dst=CLIENT,
                   port=CALLBACK_PORT, src=SERVER):
    for _ in range(count):
        cap.wait(REPEAT_SECONDS)
        cap.notify(dst, port, context, src)


@scenario
def basic_ipv4(cap):
    """One registration, three notifications, two datagrams to ignore."""
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 1)
    cap.udp(CLIENT, 53001, RESOLVER, 53,
            dns_query(0x1234, "autodiscover.example.com"))
    _notifications(cap, 1)
    cap.udp(OTHER_HOST, 40000, CLIENT, CALLBACK_PORT + 1, _pattern(8))
    _notifications(cap, 1)


@scenario
def ipv6(cap):
    """Registration and notifications over IPv6, AF_INET6 callback."""
    session = cap.session(CLIENT6, SERVER6)
    cap.register(session, CONTEXT8,
                 nm.sockaddr_in6(CLIENT6, 50200, flowinfo=0x12345,
                                 scope_id=3))
    _notifications(cap, 2, dst=CLIENT6, port=50200, src=SERVER6)


@scenario
def two_clients(cap):
    """Two clients register the same port on their own addresses."""
    other = "192.0.2.11"
    other_context = bytes(range(0xA1, 0xA9))
    first = cap.session(CLIENT)
    cap.register(first, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    second = cap.session(other)
    cap.register(second, other_context, nm.sockaddr_in(other, CALLBACK_PORT),
                 handle=0x12)
    for _ in range(2):
        cap.wait(REPEAT_SECONDS)
        cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
        cap.wait(1)
        cap.notify(other, CALLBACK_PORT, other_context)


@scenario
def mismatch(cap):
    """A datagram to the callback whose payload is not the context."""
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 1, context=bytes(b ^ 0xFF for b in CONTEXT8))
    _notifications(cap, 1)


@scenario
def unregister(cap):
    """A datagram after EcRUnregisterPushNotification is no longer NEWMAIL."""
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 1)
    cap.wait(1)
    cap.unregister(session)
    _notifications(cap, 1)


@scenario
def port_unreachable(cap):
    """The client's port is closed for a while: its host answers a
    notification with ICMP port unreachable, which quotes the datagram."""
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 1)
    cap.wait(REPEAT_SECONDS)
    cap.notify_refused(CLIENT, CALLBACK_PORT, CONTEXT8)
    _notifications(cap, 1)


@scenario
def rejected(cap):
    """The server refuses the registration (MAPI_E_LOGON_FAILED)."""
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT),
                 status=0x80040111)
    _notifications(cap, 1)


@scenario
def big_endian(cap):
    """Every PDU in big-endian data representation."""
    session = cap.session(little_endian=False)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 2)


@scenario
def fragmented(cap):
    """The opnum 4 request in three DCE/RPC fragments."""
    session = cap.session()
    cap.register(session, CONTEXT16, nm.sockaddr_in(CLIENT, CALLBACK_PORT),
                 fragments=3)
    _notifications(cap, 2, context=CONTEXT16)


@scenario
def tcp_segmented(cap):
    """One opnum 4 request PDU split over three TCP segments."""
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT),
                 tcp_segments=3)
    _notifications(cap, 2)


@scenario
def context16(cap):
    """A 16-byte context: NEWMAIL is not always 8 bytes."""
    session = cap.session()
    cap.register(session, CONTEXT16, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 2, context=CONTEXT16)


@scenario
def before_registration(cap):
    """A datagram to the callback before it was registered."""
    session = cap.session()
    cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
    cap.wait(1)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 2)


@scenario
def reregister(cap):
    """The same callback registered again with a new context and handle."""
    context_b = bytes(range(0xB1, 0xB9))
    session = cap.session()
    callback = nm.sockaddr_in(CLIENT, CALLBACK_PORT)
    cap.register(session, CONTEXT8, callback)
    _notifications(cap, 1)
    cap.wait(1)
    cap.register(session, context_b, callback, handle=0x12)
    _notifications(cap, 1, context=context_b)
    _notifications(cap, 1)


@scenario
def elastic_port(cap):
    """A callback on Elasticsearch's port; other hosts' pings stay decoded."""
    port = 54328
    stranger = "192.0.2.99"
    cap.udp(OTHER_HOST, 40000, stranger, port,
            elasticsearch_zen_ping(1, OTHER_HOST))
    cap.wait(1)
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, port))
    _notifications(cap, 2, port=port)
    cap.wait(1)
    cap.udp(OTHER_HOST, 40000, stranger, port,
            elasticsearch_zen_ping(2, OTHER_HOST))


@scenario
def unspecified_address(cap):
    """Callback 0.0.0.0: the registration is keyed by port alone."""
    port = 50300
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in("0.0.0.0", port))
    _notifications(cap, 1, port=port)
    _notifications(cap, 1, dst="192.0.2.77", port=port)


def _malformed(cap, callback=None, **options):
    """Bind, one bad opnum 4 call answered with success, then a datagram.

    The datagram goes to the port the stub's SOCKADDR bytes name, if they
    name one, so a test can see that no port was learned from a bad stub.
    """
    callback = callback or nm.sockaddr_in(CLIENT, CALLBACK_PORT)
    session = cap.session()
    stub = cap.register(session, CONTEXT8, callback, **options).request_stub
    port = nm.advertised_port(stub, len(CONTEXT8))
    if port:
        _notifications(cap, 1, port=port)


@scenario
def bad_context_length(cap):
    """cbContext one more than the context array's count."""
    _malformed(cap, cb_context=len(CONTEXT8) + 1)


@scenario
def bad_callback_length(cap):
    """cbCallbackAddress 15 while the array holds 16 bytes."""
    _malformed(cap, cb_callback=15)


@scenario
def bad_family(cap):
    """A 16-byte SOCKADDR of unknown family 99."""
    _malformed(cap, nm.sockaddr_in(CLIENT, CALLBACK_PORT, family=99))


@scenario
def short_sockaddr(cap):
    """AF_INET with only 8 of its 16 bytes."""
    _malformed(cap, nm.sockaddr_in(CLIENT, CALLBACK_PORT, length=8))


@scenario
def short_sockaddr6(cap):
    """AF_INET6 with only 16 of its 28 bytes."""
    _malformed(cap, nm.sockaddr_in6(CLIENT6, CALLBACK_PORT, length=16))


@scenario
def port_zero(cap):
    """AF_INET callback with port 0: nothing to learn, no datagram."""
    _malformed(cap, nm.sockaddr_in(CLIENT, 0))


@scenario
def truncated_stub(cap):
    """The stub ends in the middle of rgbCallbackAddress."""
    callback = nm.sockaddr_in(CLIENT, CALLBACK_PORT)
    _malformed(cap, callback, truncate_at=nm.callback_offset(len(CONTEXT8))
               + len(callback) // 2)


@scenario
def huge_count(cap):
    """rgbContext claims 0xFFFFFFF0 bytes; 8 follow, then the stub ends."""
    context_at = 20 + 4 + 4      # pcxh, iRpc, max_count
    _malformed(cap, context_max_count=0xFFFFFFF0,
               truncate_at=context_at + len(CONTEXT8))


@scenario
def bad_advise_bits(cap):
    """grbitAdviseBits 1: flagged, but the registration is still valid."""
    _malformed(cap, advise_bits=0x00000001)


@scenario
def payloads(cap):
    """Datagrams of assorted lengths to an unregistered port (Decode As)."""
    for length in (0, 1, 5, 8, 13, 300):
        cap.notify(CLIENT, 40001, _pattern(length))
        cap.wait(1)


@scenario
def unrelated(cap):
    """Traffic with no MAPI at all: DNS, mDNS, odd ports, one TCP exchange."""
    cap.udp(CLIENT, 53002, RESOLVER, 53, dns_query(0x2345, "www.example.com"))
    cap.udp(SERVER, NOTIFY_PORT, CLIENT, 40001, _pattern(8))
    cap.udp(CLIENT, 5353, RESOLVER, 5353, dns_query(0, "printer.local"))
    cap.udp(OTHER_HOST, 40000, CLIENT, CALLBACK_PORT, _pattern(8, seed=3))
    stream = nm.TcpStream(cap.net, CLIENT, ephemeral_port(100),
                          "203.0.113.80", 45000)
    stream.handshake()
    stream.send(True, b"HELLO example\r\n")
    stream.send(False, b"OK ready\r\n")
    stream.send(True, b"QUIT\r\n")
    stream.close()


@scenario
def mapi_opnums(cap):
    """One call of every EMSMDB opnum the stock MAPI dissector knows."""
    session = cap.session()
    calls = emsmdb_other_calls(session.handle, session.little_endian)
    for opnum, request, response in calls[:4]:
        cap.other_call(session, opnum, request, response)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    cap.unregister(session)
    for opnum, request, response in calls[4:]:
        cap.other_call(session, opnum, request, response)


def run_scenario(name, fileobj):
    """Write one scenario to ``fileobj``; return its Capture."""
    cap = Capture(fileobj)
    SCENARIOS[name](cap)
    return cap


def write_scenarios(directory):
    """Write every scenario and manifest.json into ``directory``."""
    os.makedirs(directory, exist_ok=True)
    scenarios = {}
    for name in SCENARIOS:
        filename = name + ".pcap"
        with open(os.path.join(directory, filename), "wb") as fileobj:
            cap = run_scenario(name, fileobj)
        entry = cap.expect.manifest(filename, cap.net.frames)
        entry["description"] = SCENARIOS[name].__doc__
        scenarios[name] = entry
    _write_manifest(os.path.join(directory, "manifest.json"), scenarios)


def _write_manifest(path, scenarios):
    manifest = {
        "server": {"address": SERVER, "address6": SERVER6,
                   "port": nm.EXCHANGE_RPC_PORT,
                   "notification_port": NOTIFY_PORT},
        "scenarios": scenarios,
    }
    with open(path, "w", encoding="ascii") as fileobj:
        json.dump(manifest, fileobj, indent=2, sort_keys=True)
        fileobj.write("\n")


# --------------------------------------------------------------------------
# Randomised registrations (fuzzing)
# --------------------------------------------------------------------------

def _random_sockaddr(rng, client):
    family = rng.choice([nm.AF_INET] * 5 + [nm.AF_INET6] * 3
                        + [0, 99, rng.randrange(0x10000)])
    port = rng.choice([rng.randrange(50000, 54000)] * 6
                      + [0, rng.randrange(0x10000)])
    if family == nm.AF_INET6:
        size = nm.SOCKADDR_IN6_SIZE
        address = rng.choice([CLIENT6, "::", "2001:db8::%x"
                              % rng.randrange(1, 0x10000)])
        raw = nm.sockaddr_in6(address, port, rng.randrange(1 << 20),
                              rng.randrange(16))
    else:
        size = nm.SOCKADDR_IN_SIZE
        address = rng.choice([client, client, "0.0.0.0"])
        raw = nm.sockaddr_in(address, port, family=family)
    if rng.random() < 0.25:
        size = rng.randrange(0, 40)
    return raw[:size].ljust(size, bytes([rng.randrange(256)]))


def _maybe(rng, probability, value):
    return value if rng.random() < probability else None


def random_registration(rng, client):
    """Return (context, sockaddr, stub options, little_endian, status).

    Most registrations are valid or nearly so; each kind of damage is applied
    with a small probability so the parser's every branch gets exercised.
    """
    context = rng.randbytes(rng.choice([0, 1, 4, 8, 8, 8, 16, 16, 32,
                                        rng.randrange(300)]))
    sockaddr = _random_sockaddr(rng, client)
    options = {
        "irpc": rng.choice([0, 0, rng.randrange(1 << 32)]),
        "context_max_count": _maybe(rng, 0.08, rng.choice(
            [len(context) + 1, max(len(context) - 1, 0), 0xFFFFFFF0,
             rng.randrange(1 << 32)])),
        "cb_context": _maybe(rng, 0.08, rng.randrange(0x10000)),
        "advise_bits": rng.choice([nm.ADVISE_BITS_ALL] * 8
                                  + [0, rng.randrange(1 << 32)]),
        "callback_max_count": _maybe(rng, 0.08, rng.choice(
            [len(sockaddr) + 1, 0xFFFFFFFF, rng.randrange(64)])),
        "cb_callback": _maybe(rng, 0.08, rng.randrange(0x10000)),
    }
    options = {key: value for key, value in options.items()
               if value is not None}
    full = nm.register_request_stub(bytes(20), context, sockaddr, **options)
    if rng.random() < 0.12:
        options["truncate_at"] = rng.randrange(len(full))
    little_endian = rng.random() < 0.6
    status = rng.choice([0] * 8 + [0x80040111, rng.randrange(1 << 32)])
    return context, sockaddr, options, little_endian, status


def write_random_registrations(cap, seed, count):
    """Write ``count`` randomised registrations, each with one datagram.

    Every registration gets its own connection (its data representation is
    random) and is followed by a datagram to the port its SOCKADDR names when
    it names one, else to a random port; the payload is usually the context.
    """
    rng = random.Random(seed)
    for index in range(count):
        client = "192.0.2.%d" % (10 + index % 64)
        context, sockaddr, options, little_endian, status = \
            random_registration(rng, client)
        session = cap.session(client, little_endian=little_endian)
        call = cap.register(session, context, sockaddr, handle=index + 1,
                            status=status, **options)
        info = nm.parse_register_request(call.request_stub, little_endian)
        src, dst = SERVER, client
        if info.family == nm.AF_INET6:
            src = SERVER6
            unspecified = ipaddress.ip_address(info.address).is_unspecified
            dst = CLIENT6 if unspecified else info.address
        port = (nm.advertised_port(call.request_stub, len(context))
                or rng.randrange(50000, 54000))
        payload = context if rng.random() < 0.9 else rng.randbytes(8)
        cap.wait(1)
        cap.notify(dst, port, payload, src)
        cap.wait(1)


# --------------------------------------------------------------------------
# Fuzz seed corpus
# --------------------------------------------------------------------------

_STUB_OPNUMS = (nm.OPNUM_REGISTER, nm.OPNUM_UNREGISTER)


def _write_call_stubs(directory, prefix, calls):
    for call in calls:
        if call.opnum not in _STUB_OPNUMS:
            continue
        for frame, role, stub in (
                (call.request_frame, "req", call.request_stub),
                (call.response_frame, "resp", call.response_stub)):
            name = "%s-f%d-%s%d-%s.bin" % (
                prefix, frame, role, call.opnum, _drep(call.little_endian))
            with open(os.path.join(directory, name), "wb") as fileobj:
                fileobj.write(stub)


def write_stub_corpus(directory, seed, count):
    """Write every opnum 4/5 stub of the scenarios and random registrations.

    File names say where the stub came from, the frame, request or response,
    the opnum and the byte order (basic_ipv4-f6-req4-le.bin,
    random1-f14-resp4-be.bin), so a fuzz harness can pick the parser and the
    byte order from the name.  The frame numbers match the captures written
    by --out and by --random-stubs with the same seed and count.
    """
    os.makedirs(directory, exist_ok=True)
    for name in SCENARIOS:
        cap = run_scenario(name, io.BytesIO())
        _write_call_stubs(directory, name, cap.calls)
    cap = Capture(io.BytesIO())
    write_random_registrations(cap, seed, count)
    _write_call_stubs(directory, "random%d" % seed, cap.calls)


# --------------------------------------------------------------------------
# The load file
# --------------------------------------------------------------------------

LARGE_SHARES = (45, 35, 20)       # notifications, unrelated UDP, TCP (%)
FRAMES_PER_REGISTRATION = 7       # handshake, bind, bind_ack, request, reply
LOAD_TCP_SERVER = ("203.0.113.80", 45000)
LOAD_DNS_NAMES = ("autodiscover.example.com", "outlook.example.com",
                  "www.example.net", "mail.example.org", "cdn.example.com")


def _load_host(index):
    """Return the address of host ``index`` in the 10.0.0.0/8 load range."""
    return str(ipaddress.IPv4Address(0x0A000001 + index))


def _tcp_chatter(stream, rng):
    """Yield after each frame of one unrelated TCP connection's life.

    Data goes alternately each way so that every segment acknowledges the
    previous one and Wireshark never sees a full window or a lost segment.
    """
    yield stream.segment(True, nm.TCP_SYN)
    yield stream.segment(False, nm.TCP_SYN | nm.TCP_ACK)
    yield stream.segment(True, nm.TCP_ACK)
    for turn in range(rng.randrange(2, 40)):
        line = b"LINE %06d %s\r\n" % (turn, b"x" * rng.randrange(200))
        yield stream.segment(turn % 2 == 0, nm.TCP_PSH | nm.TCP_ACK, line)
    yield stream.segment(True, nm.TCP_FIN | nm.TCP_ACK)
    yield stream.segment(False, nm.TCP_FIN | nm.TCP_ACK)
    yield stream.segment(True, nm.TCP_ACK)


class _LoadWriter:
    """Writes the load file's traffic one unit at a time.

    Unrelated traffic comes from a fixed pool of hosts so that the cache of
    IP paths stays small however many frames are written.
    """

    POOL = 256
    TCP_STREAMS = 32

    def __init__(self, net, rng, registrations):
        self.net = net
        self.rng = rng
        self.registrations = registrations
        self.clients = []          # (IPPath server -> client, port, context)
        self._pool = [_load_host((1 << 23) + i) for i in range(self.POOL)]
        self._queries = 0
        self._streams = 0
        self._chatter = [self._new_chatter() for _ in range(self.TCP_STREAMS)]

    def register(self):
        """Write one client's connection, bind and opnum 4 call (7 frames)."""
        index = len(self.clients)
        client = _load_host(index)
        port = self.rng.randrange(50000, 54000)
        context = self.rng.randbytes(8)
        session = nm.MapiSession(self.net, client, ephemeral_port(index),
                                 SERVER)
        session.connect()
        session.register(context, nm.sockaddr_in(client, port), index + 1)
        self.clients.append((self.net.path(SERVER, client), port, context))

    def notify(self):
        """Write one notification to a random registered client."""
        path, port, context = self.rng.choice(self.clients)
        self.net.emit(path.udp(NOTIFY_PORT, port, context))

    def unrelated_udp(self):
        """Write a DNS query or a datagram between odd high ports."""
        rng = self.rng
        if rng.random() < 0.5:
            # A unique (host, port, id) per query keeps DNS from seeing
            # retransmissions.
            count = self._queries
            self._queries += 1
            host = self._pool[count % self.POOL]
            query = dns_query(count & 0xFFFF, rng.choice(LOAD_DNS_NAMES))
            self.net.udp(host, ephemeral_port(count >> 16), RESOLVER, 53,
                         query)
        else:
            # Four zero bytes keep the UDP heuristics (RTCP, CLTP, GOOSE,
            # WireGuard...) from claiming the random bytes that follow.
            self.net.udp("203.0.113.%d" % rng.randrange(1, 255),
                         rng.randrange(61000, 65000),
                         rng.choice(self._pool), rng.randrange(42000, 44000),
                         bytes(4) + rng.randbytes(rng.randrange(16, 200)))

    def unrelated_tcp(self):
        """Write the next frame of one of the open unrelated TCP streams."""
        slot = self.rng.randrange(self.TCP_STREAMS)
        try:
            next(self._chatter[slot])
        except StopIteration:
            self._chatter[slot] = self._new_chatter()
            next(self._chatter[slot])

    def _new_chatter(self):
        count = self._streams
        self._streams += 1
        host = self._pool[(count >> 12) % self.POOL]
        stream = nm.TcpStream(self.net, host, ephemeral_port(count),
                              *LOAD_TCP_SERVER,
                              client_isn=self.rng.randrange(1 << 32),
                              server_isn=self.rng.randrange(1 << 32))
        return _tcp_chatter(stream, self.rng)


def write_large(fileobj, frames, registrations, seed):
    """Write exactly ``frames`` frames of mixed traffic; return the counts.

    Registrations take FRAMES_PER_REGISTRATION frames each; the rest is split
    by LARGE_SHARES.  Each next unit is drawn with probability proportional
    to what is left of its kind, which interleaves everything evenly and
    still hits every total exactly.  A notification drawn before any client
    has registered becomes a registration instead.
    """
    registration_frames = registrations * FRAMES_PER_REGISTRATION
    if registration_frames > frames:
        raise ValueError("%d registrations need %d frames"
                         % (registrations, registration_frames))
    rest = frames - registration_frames
    notifications = rest * LARGE_SHARES[0] // 100 if registrations else 0
    tcp = rest * LARGE_SHARES[2] // 100
    udp = rest - notifications - tcp
    counts = {"registrations": registrations, "notifications": notifications,
              "unrelated_udp": udp, "unrelated_tcp": tcp}
    rng = random.Random(seed)
    net = nm.Network(fileobj, nm.Clock(step_us=200))
    load = _LoadWriter(net, rng, registrations)
    left = [registration_frames, notifications, udp, tcp]
    for _ in range(frames):
        if net.frames >= frames:
            break
        pick = rng.randrange(sum(left))
        if pick < left[0] or (pick < left[0] + left[1] and not load.clients):
            load.register()
            left[0] -= FRAMES_PER_REGISTRATION
        elif pick < left[0] + left[1]:
            load.notify()
            left[1] -= 1
        elif pick < left[0] + left[1] + left[2]:
            load.unrelated_udp()
            left[2] -= 1
        else:
            load.unrelated_tcp()
            left[3] -= 1
    assert net.frames == frames, (net.frames, frames)
    return counts


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def main(argv=None):
    """Parse the command line and write what it asks for."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", metavar="DIR|FILE",
                        help="scenario directory, or the file for --large "
                             "and --random-stubs")
    parser.add_argument("--large", type=int, metavar="FRAMES",
                        help="write one load file of exactly FRAMES frames")
    parser.add_argument("--registrations", type=int, default=1000,
                        metavar="R", help="client registrations in the load "
                                          "file (default 1000)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed of the load file (default 1)")
    parser.add_argument("--random-stubs", type=int, metavar="SEED",
                        help="write randomised registrations from SEED")
    parser.add_argument("--count", type=int, default=200, metavar="N",
                        help="number of randomised registrations "
                             "(default 200)")
    parser.add_argument("--stubs", metavar="DIR",
                        help="write the opnum 4/5 stubs as a fuzz corpus")
    args = parser.parse_args(argv)

    if args.large is not None and args.random_stubs is not None:
        parser.error("--large and --random-stubs write different files; "
                     "pick one")
    if args.large is not None and not args.out:
        parser.error("--large needs --out FILE")
    if args.large is not None and (
            args.registrations < 0
            or args.registrations * FRAMES_PER_REGISTRATION > args.large):
        parser.error("%d registrations do not fit in %d frames (each takes %d)"
                     % (args.registrations, args.large,
                        FRAMES_PER_REGISTRATION))
    if args.random_stubs is not None and not (args.out or args.stubs):
        parser.error("--random-stubs needs --out FILE or --stubs DIR")
    if not (args.out or args.stubs):
        parser.error("nothing to do: give --out or --stubs")

    if args.large is not None:
        started = time.perf_counter()
        with open(args.out, "wb", buffering=1 << 20) as fileobj:
            counts = write_large(fileobj, args.large, args.registrations,
                                 args.seed)
        elapsed = time.perf_counter() - started
        print("%s: %d frames (%s) in %.1f s" % (
            args.out, args.large,
            ", ".join("%d %s" % (n, k.replace("_", " "))
                      for k, n in counts.items()), elapsed))
    elif args.random_stubs is not None and args.out:
        with open(args.out, "wb") as fileobj:
            cap = Capture(fileobj)
            write_random_registrations(cap, args.random_stubs, args.count)
        name = "random%d" % args.random_stubs
        entry = cap.expect.manifest(os.path.basename(args.out),
                                    cap.net.frames)
        _write_manifest(os.path.splitext(args.out)[0] + ".json",
                        {name: entry})
    elif args.out:
        write_scenarios(args.out)
    if args.stubs:
        seed = 1 if args.random_stubs is None else args.random_stubs
        write_stub_corpus(args.stubs, seed, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
