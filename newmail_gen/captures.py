#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the NEWMAIL plugin's test captures, their manifest and fuzz seeds.

Usage:
  python3 -m newmail_gen.captures --out DIR
      every named scenario as DIR/<name>.pcap, plus DIR/manifest.json
  python3 -m newmail_gen.captures --large FRAMES [--registrations R]
                  [--async-share P] [--seed S] --out FILE
      a streaming load file of exactly FRAMES frames (see "The load file")
  python3 -m newmail_gen.captures --random-stubs SEED --count N --out FILE
      N registrations with randomised opnum 4 stubs, plus FILE's manifest
      next to it (FILE with the suffix .json)
  python3 -m newmail_gen.captures --stubs DIR [--random-stubs SEED] [--count N]
      the raw stubs the plugin reads (EMSMDB opnums 0-2, 4, 5, 10, 11, 14,
      AsyncEMSMDB opnum 0) of every scenario and of the randomised
      registrations, as a libFuzzer seed corpus (may be combined with --out)
(PYTHONPATH: the source tree, which holds the package newmail_gen/.)

All output is deterministic: the same arguments give byte-identical files.
The manifest is derived from the frames as they are written, and whether a
datagram should be NEWMAIL is decided by the rules in PROTOCOL.md (see
Expectations), never typed in by hand.
"""

import argparse
import heapq
import io
import ipaddress
import json
import os
import random
import struct
import sys
import time
import uuid

from newmail_gen import pcap as nm

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


# EMSMDB opnums whose stubs the plugin reads (README: "Sessions over RPC"): the
# connects (no handle in the request), the fetches (2, 11), the calls that
# carry a session's handle first.
SESSION_OPNUMS = frozenset({
    nm.OPNUM_CONNECT, nm.OPNUM_DISCONNECT, nm.OPNUM_RPC, nm.OPNUM_REGISTER,
    nm.OPNUM_UNREGISTER, nm.OPNUM_CONNECT_EX, nm.OPNUM_RPC_EXT2,
    nm.OPNUM_ASYNC_CONNECT_EX})
CONNECT_OPNUMS = frozenset({nm.OPNUM_CONNECT, nm.OPNUM_CONNECT_EX})
FETCH_OPNUMS = frozenset({nm.OPNUM_RPC, nm.OPNUM_RPC_EXT2})
# newmail.signal: how the server told the client that events are pending.
MECHANISM_UDP = 1
MECHANISM_ASYNC = 2


def _u32(data, little_endian):
    return struct.unpack("<I" if little_endian else ">I", data)[0]


def _address(text):
    return str(ipaddress.ip_address(text))


def _public(value):
    """A manifest copy of a record: keys starting with "_" (the model's own
    cross references) are left out."""
    if isinstance(value, dict):
        return {key: _public(item) for key, item in value.items()
                if not key.startswith("_")}
    if isinstance(value, list):
        return [_public(item) for item in value]
    return value


class Expectations:
    """What a correct dissector makes of a capture, from the frames written.

    Registrations (README: "UDP notifications and push registrations"): a registration is
    learned when its request is well formed (``nm.parse_register_request``)
    and the response returns 0; it is keyed by callback address and port,
    the address being the IP source of the request when the callback's is
    unspecified (0.0.0.0, ::); a later registration of the same callback
    replaces it; an opnum 5 with status 0 naming its hNotification ends it.
    A UDP datagram to a learned callback is a notification whether or not
    its payload matches the context (a mismatch is flagged, not declined),
    unless it is empty: Wireshark's UDP dissector hands no empty payload to
    anyone.  An ICMP error quoting a notification is NEWMAIL but not a
    notification: a refusal.

    Sessions (README: "Sessions over RPC", "Asynchronous waits", "Signals"):
    a session is named by its CXH; its frame is the first frame in which the
    CXH appears (the EcDoConnect(Ex)
    response when the capture holds it).  EcDoAsyncConnectEx issues an ACXH
    tied to the session of its cxh.  A signal is a notification (mechanism
    1) or an EcDoAsyncWaitEx response with NotificationPending (2).  An
    EcDoRpc/EcDoRpcExt2 request of a session is a fetch: it answers every
    signal of the session since the session's previous fetch.  A signal
    whose source (registration, ACXH) signalled before with no fetch of the
    session in between is not fetched.

    ``times`` maps frame numbers to their time stamps (microseconds), as
    the network writes them.
    """

    def __init__(self, times):
        self.times = times
        self.registrations = []
        self.unregistrations = []
        self.newmail = []
        self.not_newmail = []
        self.refusals = []
        self.calls = []
        self.sessions = []
        self.async_handles = []
        self.signals = []
        self.fetches = []
        self._active = {}       # (address, port) -> registration
        # (client, client port, hNotification) -> (key, request frame)
        self._by_handle = {}
        self._ended = set()     # keys of registrations that were ended
        self._unlearned_ports = set()
        self._sessions = {}     # CXH bytes -> session record
        self._async = {}        # ACXH bytes -> async handle record
        self._last_signal = {}  # signal source -> its latest signal
        self._unanswered = {}   # session frame -> signals not yet fetched
        self._signal_of = {}    # notification frame -> its signal

    # --- DCE/RPC calls --------------------------------------------------

    def call(self, conn, call):
        """Record a whole call (request and response), whatever its opnum."""
        return self.response(self.request(conn, call), call)

    def request(self, conn, pending):
        """Record a request as it is written (a PendingCall or a Call);
        return its record, which ``response`` completes."""
        frame = pending.request_frame
        record = {"opnum": pending.opnum,
                  "interface": conn.interface_name,
                  "drep": _drep(conn.little_endian),
                  "client": _address(conn.client),
                  "sealed": conn.security is not None,
                  "request_frames": list(pending.request_frames),
                  "request_frame": frame,
                  "response_frame": None,
                  "request_time_us": self.times[frame]}
        self.calls.append(record)
        stub = pending.request_stub
        if record["interface"] == "asyncemsmdb":
            self._wait_request(record, stub, conn.little_endian)
        elif pending.opnum in SESSION_OPNUMS:
            self._session_request(record, stub)
        return record

    def response(self, record, call):
        """Complete ``record`` with the response (or fault) of ``call``."""
        record["response_frames"] = list(call.response_frames)
        record["response_frame"] = call.response_frame
        record["response_time_us"] = self.times[call.response_frame]
        record["fault_status"] = call.fault_status
        record["cancel_frames"] = list(call.cancel_frames)
        if call.fault_status is not None:
            return record
        stub = call.response_stub
        if record["interface"] == "asyncemsmdb":
            self._wait_response(record, stub, call.little_endian)
        elif record["opnum"] in SESSION_OPNUMS:
            self._session_response(record, stub, call.little_endian)
        return record

    def _session(self, handle, frame, client):
        """The session named by ``handle``, made at ``frame`` if new; None
        for the all-zero handle (no session) or a stub too short."""
        if handle is None or len(handle) < 20 or handle == nm.NULL_HANDLE:
            return None
        session = self._sessions.get(handle)
        if session is None:
            session = {"cxh": handle.hex(), "first_frame": frame,
                       "client": client, "connect_opnum": None,
                       "connect_request_frame": None,
                       "connect_response_frame": None}
            self._sessions[handle] = session
            self.sessions.append(session)
        return session

    def _session_request(self, record, stub):
        if record["opnum"] in CONNECT_OPNUMS:
            record["request_handle"] = None
            record["request_session_frame"] = None
            record["_session"] = None
            return
        handle = stub[:20]
        session = self._session(handle, record["request_frame"],
                                record["client"])
        record["request_handle"] = handle.hex()
        record["request_session_frame"] = (session["first_frame"]
                                           if session else None)
        record["_session"] = session
        if record["opnum"] in FETCH_OPNUMS:
            record["fetch"] = session is not None
            record["signal_frames"] = []
            if session is not None:
                self._fetch(record, session)

    def _fetch(self, record, session):
        frame = record["request_frame"]
        answered = self._unanswered.pop(session["first_frame"], [])
        for signal in answered:
            signal["fetch_frame"] = frame
            signal["fetch_delay_us"] = self.times[frame] - signal["time_us"]
        record["signal_frames"] = [signal["frame"] for signal in answered]
        self.fetches.append({"frame": frame, "opnum": record["opnum"],
                             "session_frame": session["first_frame"],
                             "client": record["client"],
                             "signal_frames": record["signal_frames"]})

    def _session_response(self, record, stub, little_endian):
        opnum = record["opnum"]
        record["return_code"] = (_u32(stub[-4:], little_endian)
                                 if len(stub) >= 4 else None)
        request_session = record["_session"]
        handle = stub[:20]
        record["response_handle"] = handle.hex()
        if opnum == nm.OPNUM_ASYNC_CONNECT_EX:
            # The handle returned is the ACXH, not a CXH.
            record["acxh"] = handle.hex()
            record["response_session_frame"] = record["request_session_frame"]
            if record["return_code"] == 0 and handle != nm.NULL_HANDLE:
                issued = {"acxh": handle.hex(),
                          "connect_frame": record["request_frame"],
                          "response_frame": record["response_frame"],
                          "session_frame": record["request_session_frame"],
                          "client": record["client"],
                          "_session": request_session}
                self._async[handle] = issued
                self.async_handles.append(issued)
            return
        session = self._session(handle, record["response_frame"],
                                record["client"])
        if (opnum in CONNECT_OPNUMS and session is not None
                and session["first_frame"] == record["response_frame"]):
            session["connect_opnum"] = opnum
            session["connect_request_frame"] = record["request_frame"]
            session["connect_response_frame"] = record["response_frame"]
        if session is None:
            # EcDoDisconnect and failed calls return the zero handle: the
            # response belongs to the request's session.
            session = request_session
        record["response_session_frame"] = (session["first_frame"]
                                            if session else None)

    def _wait_request(self, record, stub, little_endian):
        handle = stub[:20]
        issued = self._async.get(handle)
        record["acxh"] = handle.hex()
        record["flags_in"] = _u32(stub[20:24], little_endian)
        record["unknown_handle"] = issued is None
        record["connect_frame"] = issued["connect_frame"] if issued else None
        session = issued["_session"] if issued else None
        record["request_session_frame"] = (session["first_frame"]
                                           if session else None)
        record["_session"] = session

    def _wait_response(self, record, stub, little_endian):
        flags_out = _u32(stub[0:4], little_endian)
        record["flags_out"] = flags_out
        record["pending"] = bool(flags_out & nm.NOTIFICATION_PENDING)
        record["return_code"] = _u32(stub[4:8], little_endian)
        record["wait_time_us"] = (record["response_time_us"]
                                  - record["request_time_us"])
        record["response_session_frame"] = record["request_session_frame"]
        record["signal"] = None
        if record["pending"]:
            record["signal"] = MECHANISM_ASYNC
            self._signal(record["response_frame"], MECHANISM_ASYNC,
                         "acxh:" + record["acxh"], record["_session"],
                         record["client"])

    # --- signals --------------------------------------------------------

    def _signal(self, frame, mechanism, source, session, client):
        signal = {"frame": frame, "mechanism": mechanism, "source": source,
                  "session_frame": session["first_frame"] if session else None,
                  "client": _address(client), "time_us": self.times[frame],
                  "fetch_frame": None, "fetch_delay_us": None,
                  "unfetched_signal_frame": None, "refused_frame": None}
        previous = self._last_signal.get(source)
        if previous is not None and previous["fetch_frame"] is None:
            signal["unfetched_signal_frame"] = previous["frame"]
        self._last_signal[source] = signal
        if session is not None:
            self._unanswered.setdefault(session["first_frame"], []).append(
                signal)
        self.signals.append(signal)
        return signal

    # --- registrations and datagrams -----------------------------------

    def register(self, session, call, context, notification_handle, status):
        """Record an opnum 4 call and learn its callback if it is valid."""
        call_record = self.call(session, call)
        info = nm.parse_register_request(call.request_stub,
                                         call.little_endian)
        advertised = nm.advertised_port(call.request_stub, len(context))
        learned = info.valid and status == 0
        callback = None
        if info.port is not None:
            callback = {"family": info.family, "address": info.address,
                        "port": info.port}
        source = _address(session.client)
        not_source = False
        keyed_address = None
        if info.address is not None:
            address = ipaddress.ip_address(info.address)
            keyed_address = source if address.is_unspecified else str(address)
            not_source = not address.is_unspecified and str(address) != source
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
            "keyed_address": keyed_address,
            "callback_not_source": not_source,
            "session_frame": call_record["request_session_frame"],
            "end_frame": None,
        }
        self.registrations.append(record)
        if info.valid and status != 0:
            # Learned at the request, ended by the refusal.
            record["end_frame"] = call.response_frame
        if not learned:
            if advertised:
                self._unlearned_ports.add(advertised)
            return record
        key = (keyed_address, info.port)
        replaced = self._active.get(key)
        if replaced is not None:
            replaced["_record"]["end_frame"] = call.request_frame
        self._active[key] = {"_record": record, "_count": 0,
                             "_context": info.context,
                             "_session": call_record["_session"]}
        self._by_handle[session.tcp.client + (notification_handle,)] = (
            key, call.request_frame)
        return record

    def unregister(self, session, call, notification_handle, status):
        """Record an opnum 5 call and end the registration it names."""
        self.call(session, call)
        ended = None
        key, frame = self._by_handle.pop(
            session.tcp.client + (notification_handle,), (None, None))
        # A registration replaced by a later one of the same callback is
        # gone already; ending it must not end its successor.
        active = self._active.get(key)
        if status == 0 and active and \
                active["_record"]["request_frame"] == frame:
            record = self._active.pop(key)["_record"]
            record["end_frame"] = call.request_frame
            ended = record["request_frame"]
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
        dst = _address(dst)
        active = self._active.get((dst, dport))
        if active is not None and payload:
            active["_count"] += 1
            registration = active["_record"]
            signal = self._signal(
                frame, MECHANISM_UDP,
                "registration:%d" % registration["request_frame"],
                active["_session"], dst)
            self._signal_of[frame] = signal
            self.newmail.append({
                "frame": frame,
                "address": dst,
                "port": dport,
                "length": len(payload),
                "registration_frame": registration["request_frame"],
                "sequence": active["_count"],
                "payload_matches": payload == active["_context"],
                "session_frame": signal["session_frame"],
            })
            return
        if not payload:
            reason = "empty_payload"
        elif (dst, dport) in self._ended:
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

    def quoted(self, frame, datagram_frame, dst, dport, payload):
        """Record an ICMP error that quotes the datagram of
        ``datagram_frame`` (to dst:dport).  Quoting a notification, it is a
        refusal: NEWMAIL, not a notification, linked both ways.  Quoting
        anything else, it is what stock Wireshark makes of it."""
        signal = self._signal_of.get(datagram_frame)
        if signal is None:
            self.not_newmail.append({"frame": frame, "address": _address(dst),
                                     "port": dport, "length": len(payload),
                                     "reason": "quoted_in_icmp_error"})
            return
        signal["refused_frame"] = frame
        registration = [n for n in self.newmail
                        if n["frame"] == datagram_frame][0]
        self.refusals.append({"frame": frame,
                              "notification_frame": datagram_frame,
                              "client": signal["client"],
                              "port": dport, "length": len(payload),
                              "registration_frame":
                                  registration["registration_frame"]})

    def manifest(self, filename, frames):
        """Return this capture's manifest entry."""
        return _public({
            "file": filename,
            "frames": frames,
            "registrations": self.registrations,
            "unregistrations": self.unregistrations,
            "newmail": self.newmail,
            "not_newmail": self.not_newmail,
            "refusals": self.refusals,
            "calls": self.calls,
            "sessions": self.sessions,
            "async_handles": self.async_handles,
            "signals": self.signals,
            "fetches": self.fetches,
        })


class RecordingNetwork(nm.Network):
    """nm.Network that also remembers each frame's time stamp."""

    def __init__(self, fileobj, clock=None):
        super().__init__(fileobj, clock)
        self.times = {}

    def emit(self, frame):
        now = self.clock.now
        number = super().emit(frame)
        self.times[number] = now
        return number


# How a scenario's connections are protected: in the clear, sealed with
# NTLM (newmail_gen/ntlm_seal.py), or in the clear with a bare TCP ACK where the
# sealed twin's AUTH3 is, so that both captures number their frames alike.
CLEAR, SEALED, CLEAR_TWIN = "clear", "sealed", "clear_twin"


class Capture:
    """A capture being written: the network, the expectations and the calls.

    Scenario functions only call the methods here, so every frame they write
    is accounted for in the manifest.
    """

    def __init__(self, fileobj, sealing=CLEAR):
        self.net = RecordingNetwork(fileobj)
        self.expect = Expectations(self.net.times)
        self.calls = []
        self.sealing = sealing
        self._connections = 0

    def wait(self, seconds):
        """Let time pass between frames."""
        self.net.clock.advance(seconds)

    def _connection(self, client, server, little_endian, handle_uuid,
                    interface, version):
        security = None
        if self.sealing == SEALED:
            from newmail_gen import ntlm_seal     # only sealed captures need impacket
            security = ntlm_seal.NtlmSecurity(
                "connection-%d" % self._connections)
        conn = nm.MapiSession(self.net, client,
                              ephemeral_port(self._connections), server,
                              little_endian=little_endian,
                              handle_uuid=handle_uuid, interface=interface,
                              version=version, security=security)
        self._connections += 1
        conn.connect()
        if self.sealing == CLEAR_TWIN:
            conn.tcp.segment(True, nm.TCP_ACK)
        return conn

    def session(self, client=CLIENT, server=SERVER, little_endian=True,
                handle_uuid=None):
        """Open a client connection and bind to EMSMDB; return it.

        Its ``handle`` is the session's CXH: the one EcDoConnect(Ex)
        returns and every later call carries (``handle_uuid`` names it).
        """
        return self._connection(client, server, little_endian, handle_uuid,
                                nm.EMSMDB_UUID, nm.EMSMDB_VERSION)

    def async_connection(self, client=CLIENT, server=SERVER,
                         little_endian=True):
        """Open a client connection of its own and bind to AsyncEMSMDB."""
        return self._connection(client, server, little_endian, None,
                                nm.ASYNCEMSMDB_UUID, nm.ASYNCEMSMDB_VERSION)

    def call(self, conn, opnum, request_stub, response_stub):
        """Write one whole call and record it; return its manifest record."""
        call = conn.call(opnum, request_stub, response_stub)
        self.calls.append(call)
        return self.expect.call(conn, call)

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
        self.call(session, opnum, request_stub, response_stub)

    # --- session calls --------------------------------------------------

    def connect_ex(self, session, status=0):
        """EcDoConnectEx: the server returns the session's CXH, or on
        failure the zero handle and ``status``."""
        le = session.little_endian
        handle = session.handle if status == 0 else nm.NULL_HANDLE
        return self.call(session, nm.OPNUM_CONNECT_EX,
                         nm.connect_ex_request_stub(le),
                         nm.connect_ex_response_stub(handle, le,
                                                     status=status))

    def connect_old(self, session):
        """EcDoConnect (opnum 0), as clients before Outlook 2007 call it."""
        le = session.little_endian
        return self.call(session, nm.OPNUM_CONNECT,
                         nm.connect_request_stub(le),
                         nm.connect_response_stub(session.handle, le))

    def disconnect(self, session):
        """EcDoDisconnect: the server returns the zero handle."""
        le = session.little_endian
        return self.call(session, nm.OPNUM_DISCONNECT,
                         nm.disconnect_request_stub(session.handle, le),
                         nm.disconnect_response_stub(0, le))

    def fetch(self, session, rgb_in=None, rgb_out=None):
        """EcDoRpcExt2 on the session: collects pending notifications (and
        is a fetch whatever its ROPs).  ``rgb_out`` goes into the response
        as it is (see nm.rpc_header_ext)."""
        le = session.little_endian
        return self.call(session, nm.OPNUM_RPC_EXT2,
                         nm.rpc_ext2_request_stub(session.handle, le, rgb_in),
                         nm.rpc_ext2_response_stub(session.handle, le,
                                                   rgb_out))

    def fetch_old(self, session):
        """EcDoRpc (opnum 2) on the session, as old clients fetch."""
        le = session.little_endian
        return self.call(session, nm.OPNUM_RPC,
                         nm.rpc_request_stub(session.handle, le),
                         nm.rpc_response_stub(session.handle, le))

    def ecdorpc(self, session, rop_in, rop_out, status=0, max_data=0x8000):
        """EcDoRpc (opnum 2) carrying ROP buffers, as Exchange 2003 and its
        clients did: ``rop_in`` and ``rop_out`` are whole ROP input and
        output buffers (RopSize, ROPs, server object handle table; no
        RPC_HEADER_EXT), which the stubs XOR with 0xA5.  The request's Max
        Data (``max_data``) is also its Size, as OpenChange sends it."""
        le = session.little_endian
        return self.call(session, nm.OPNUM_RPC,
                         nm.rpc_request_stub(session.handle, le, rop_in,
                                             flags=max_data,
                                             max_data=max_data),
                         nm.rpc_response_stub(session.handle, le, rop_out,
                                              status=status, flags=max_data))

    def async_connect(self, session, name):
        """EcDoAsyncConnectEx on the session; return the ACXH issued (a
        context handle named by ``name``)."""
        le = session.little_endian
        acxh = nm.context_handle(uuid.uuid5(uuid.NAMESPACE_URL,
                                            "acxh://" + name), le)
        self.call(session, nm.OPNUM_ASYNC_CONNECT_EX,
                  nm.async_connect_request_stub(session.handle, le),
                  nm.async_connect_response_stub(acxh, 0, le))
        return acxh

    def async_wait(self, conn, acxh, flags_in=0):
        """Write an EcDoAsyncWaitEx request; the server holds it.  Return
        what async_complete or async_cancel takes."""
        pending = conn.request(nm.OPNUM_ASYNC_WAIT_EX,
                               nm.async_wait_request_stub(
                                   acxh, flags_in, conn.little_endian))
        return pending, self.expect.request(conn, pending)

    def async_complete(self, conn, waiting, flags_out, status=0):
        """The server completes the wait (NOTIFICATION_PENDING or 0)."""
        pending, record = waiting
        call = conn.respond(pending, nm.async_wait_response_stub(
            flags_out, status, conn.little_endian))
        self.calls.append(call)
        return self.expect.response(record, call)

    def async_cancel(self, conn, waiting):
        """The client cancels the wait; the server answers with a fault."""
        pending, record = waiting
        call = conn.fault(pending)
        self.calls.append(call)
        return self.expect.response(record, call)

    # --- datagrams ------------------------------------------------------

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
        self.expect.quoted(error, frame, dst, dport, payload)
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

def emsmdb_other_calls(handle, little_endian):
    """Return (opnum, request stub, response stub) for opnums 0-3 and 6-9.

    Opnums 0 and 2 (EcDoConnect and EcDoRpc, reserved since Exchange 2010)
    follow the old IDL closely enough for the stock MAPI dissector to decode
    them fully, as does 1 (newmail_pcap's builders).  EcDummyRpc (6) takes
    nothing and returns a long.  3, 7, 8 and 9 are reserved ("not used on
    wire") with no parameters, so both their stubs are empty.
    """
    le = little_endian
    return [
        (0, nm.connect_request_stub(le), nm.connect_response_stub(handle, le)),
        (1, nm.disconnect_request_stub(handle, le),
         nm.disconnect_response_stub(0, le)),
        (2, nm.rpc_request_stub(handle, le), nm.rpc_response_stub(handle, le)),
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
def clock_jumps(cap):
    """Notifications two hours apart, then one stamped before the one it
    follows (a merged capture's clock): the times since the previous one
    stay exact, which the plugin keeps apart from its usual records."""
    session = cap.session()
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 1)
    cap.wait(2 * 3600)
    cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
    cap.wait(-90)
    cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
    _notifications(cap, 1)


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


# --------------------------------------------------------------------------
# Sessions, asynchronous waits, signals and fetches (README: "What you see")
# --------------------------------------------------------------------------

NAT_CLIENT = "10.0.0.5"          # the client's own address behind a NAT
NAT_CLIENT6 = "2001:db8:1::5"
LOGON_FAILED = 0x80040111        # MAPI_E_LOGON_FAILED
ASYNC_TIMEOUT_SECONDS = 300      # the server ends an idle wait after 5 min

# Scenarios that come in both byte orders: name -> function(cap, le).
_BOTH_ORDERS = []


def both_byte_orders(function):
    """Register ``function(cap, little_endian)`` as NAME (little-endian)
    and NAME_be (every PDU big-endian)."""
    def little(cap):
        function(cap, True)

    def big(cap):
        function(cap, False)
    little.__name__ = function.__name__
    little.__doc__ = function.__doc__
    big.__name__ = function.__name__ + "_be"
    big.__doc__ = function.__doc__.rstrip(".") + "; big-endian PDUs."
    scenario(little)
    scenario(big)
    return function


# Sealed scenarios: NAME is written sealed with NTLM, NAME_clear in the
# clear with the same frame numbers (SEALING says which is which).
SEALING = {}


def sealed_scenario(function):
    """Register ``function(cap)`` as NAME (sealed) and NAME_clear."""
    def clear(cap):
        function(cap)
    clear.__name__ = function.__name__ + "_clear"
    clear.__doc__ = (function.__doc__.rstrip(".")
                     + "; in the clear, frame for frame as the sealed one.")
    scenario(function)
    scenario(clear)
    SEALING[function.__name__] = SEALED
    SEALING[clear.__name__] = CLEAR_TWIN
    return function


def _notify_and_fetch(cap, session, delays, port=CALLBACK_PORT, dst=CLIENT,
                      src=SERVER):
    """Per delay: 60 s on, a notification, then the fetch that many
    seconds after it."""
    for delay in delays:
        cap.wait(REPEAT_SECONDS)
        cap.notify(dst, port, CONTEXT8, src)
        cap.wait(delay)
        cap.fetch(session)


@both_byte_orders
def session_connect_ex(cap, little_endian):
    """EcDoConnectEx opens the session; two EcDoRpcExt2 calls carry its
    handle with no signal to answer."""
    session = cap.session(little_endian=little_endian)
    cap.connect_ex(session)
    cap.wait(0.3)
    cap.fetch(session)
    cap.wait(2)
    cap.fetch(session)


@both_byte_orders
def session_mid(cap, little_endian):
    """The capture starts mid-session: no EcDoConnectEx, the first call on a
    new connection carries the handle; then a registration, a notification
    and its fetch."""
    session = cap.session(little_endian=little_endian,
                          handle_uuid=uuid.uuid5(uuid.NAMESPACE_URL,
                                                 "cxh://mid-session"))
    cap.fetch(session)
    cap.wait(1)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notify_and_fetch(cap, session, [1.5])


@scenario
def session_connect_old(cap):
    """An old client: EcDoConnect (opnum 0), a registration, and EcDoRpc
    (opnum 2) fetching after each of two notifications."""
    session = cap.session()
    cap.connect_old(session)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    for delay in (0.6, 3):
        cap.wait(REPEAT_SECONDS)
        cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
        cap.wait(delay)
        cap.fetch_old(session)


# EcDoRpc (opnum 2) calls of an Exchange 2003 session (test/test_ecdorpc.py):
# (request ROPs, response ROPs, request handles, response handles).
ECDORPC_SUBSCRIPTION = 0x0001A2B3   # the NotificationHandle of its RopNotify
ECDORPC_INBOX = 0x0001000000000005
ECDORPC_MESSAGE_ID = 0x4F00000000000201
ECDORPC_DRAFTS = 0x0001000000000009


def ecdorpc_calls():
    """The ROPs of the ecdorpc_rops scenario's three EcDoRpc calls: a
    RopLogon; a RopGetPropertiesSpecific and a RopOpenFolder whose response
    ends with the RopNotify NewMail and RopPending the server queued; and
    two failure responses (RopGetPropertiesSpecific, whose success layout
    is long, and RopOpenFolder)."""
    from newmail_gen import rop as rb
    tags = [rb.PID_TAG_MESSAGE_FLAGS, rb.PID_TAG_SUBJECT_8]
    return [
        ([rb.rq_logon(0)], [rb.rop_logon_private(0)],
         (0xFFFFFFFF,), (0x00000010,)),
        ([rb.rq_get_properties_specific(0, tags),
          rb.rq_open_folder(0, 1, ECDORPC_INBOX)],
         [rb.rop_get_properties_specific_for(
             0, [struct.pack("<I", 1), b"Hello\x00"]),
          rb.rop_open_folder(1),
          rb.new_mail(ECDORPC_SUBSCRIPTION, ECDORPC_INBOX,
                      ECDORPC_MESSAGE_ID),
          rb.rop_pending(1)],
         (0x00000010, 0xFFFFFFFF), (0x00000010, 0x00000011)),
        ([rb.rq_get_properties_specific(1, tags),
          rb.rq_open_folder(0, 2, ECDORPC_DRAFTS)],
         [rb.rop_failure(rb.ROP_GET_PROPERTIES_SPECIFIC, 1,
                         rb.EC_ACCESS_DENIED),
          rb.rop_failure(rb.ROP_OPEN_FOLDER, 2)],
         (0x00000010, 0x00000011, 0xFFFFFFFF),
         (0x00000010, 0x00000011, 0xFFFFFFFF)),
    ]


def ecdorpc_buffers(calls=None):
    """(ROP input buffer, ROP output buffer) of each call of ecdorpc_calls(),
    as they are before the XOR."""
    from newmail_gen import rop as rb
    return [(rb.rop_buffer(rq, rq_handles), rb.rop_buffer(rs, rs_handles))
            for rq, rs, rq_handles, rs_handles in (calls or ecdorpc_calls())]


@scenario
def ecdorpc_rops(cap):
    """An Exchange 2003 session over EcDoRpc (opnum 2): EcDoConnect, a
    registration, a RopLogon call; a NEWMAIL datagram, then a call whose
    response ends with RopNotify NewMail and RopPending; a call answered
    with two ROP failure responses.  Every ROP buffer XOR 0xA5, with no
    RPC_HEADER_EXT."""
    session = cap.session()
    cap.connect_old(session)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    buffers = ecdorpc_buffers()
    cap.wait(0.5)
    cap.ecdorpc(session, *buffers[0])
    cap.wait(REPEAT_SECONDS)
    cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
    cap.wait(0.6)
    cap.ecdorpc(session, *buffers[1])
    cap.wait(2)
    cap.ecdorpc(session, *buffers[2])


@scenario
def session_disconnect(cap):
    """EcDoDisconnect returns the zero handle; EcDoConnectEx on the same
    connection then opens a second session."""
    session = cap.session()
    cap.connect_ex(session)
    cap.fetch(session)
    cap.wait(5)
    cap.disconnect(session)
    cap.wait(1)
    session.handle = nm.context_handle(
        uuid.uuid5(uuid.NAMESPACE_URL, "cxh://second-session"))
    cap.connect_ex(session)
    cap.fetch(session)


@scenario
def session_connect_failed(cap):
    """EcDoConnectEx refused (MAPI_E_LOGON_FAILED, zero handle), then
    accepted."""
    session = cap.session()
    cap.connect_ex(session, status=LOGON_FAILED)
    cap.wait(2)
    cap.connect_ex(session)
    cap.fetch(session)


@both_byte_orders
def udp_fetch(cap, little_endian):
    """A registration, then three notifications, each fetched with
    EcDoRpcExt2 after a different delay."""
    session = cap.session(little_endian=little_endian)
    cap.connect_ex(session)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notify_and_fetch(cap, session, [0.8, 2.5, 1.2])


@scenario
def udp_not_fetched(cap):
    """The client does not react: the server repeats the notification
    every 60 s until a fetch; one more notification after it."""
    session = cap.session()
    cap.connect_ex(session)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notifications(cap, 3)
    cap.wait(4)
    cap.fetch(session)
    _notify_and_fetch(cap, session, [0.5])


def _async_session(cap, little_endian=True, name="async"):
    """A session with EcDoConnectEx and EcDoAsyncConnectEx, and the
    AsyncEMSMDB connection its waits go over: (session, conn, ACXH)."""
    session = cap.session(little_endian=little_endian)
    cap.connect_ex(session)
    acxh = cap.async_connect(session, name)
    conn = cap.async_connection(little_endian=little_endian)
    return session, conn, acxh


@both_byte_orders
def async_wait(cap, little_endian):
    """EcDoAsyncWaitEx: completed with NotificationPending and fetched,
    completed without it after 300 s, pending twice with no fetch between
    (the second not fetched), then one fetch for both."""
    session, conn, acxh = _async_session(cap, little_endian)
    waiting = cap.async_wait(conn, acxh)
    cap.wait(12)
    cap.async_complete(conn, waiting, nm.NOTIFICATION_PENDING)
    cap.wait(1.5)
    cap.fetch(session)
    waiting = cap.async_wait(conn, acxh)
    cap.wait(ASYNC_TIMEOUT_SECONDS)
    cap.async_complete(conn, waiting, 0)
    waiting = cap.async_wait(conn, acxh)
    cap.wait(40)
    cap.async_complete(conn, waiting, nm.NOTIFICATION_PENDING)
    waiting = cap.async_wait(conn, acxh)
    cap.wait(5)
    cap.async_complete(conn, waiting, nm.NOTIFICATION_PENDING)
    cap.wait(0.7)
    cap.fetch(session)


@scenario
def async_cancelled(cap):
    """A wait the client cancels (co_cancel, then a fault from the
    server): no signal; the next wait completes pending and is fetched."""
    session, conn, acxh = _async_session(cap)
    waiting = cap.async_wait(conn, acxh)
    cap.wait(20)
    cap.async_cancel(conn, waiting)
    cap.wait(1)
    waiting = cap.async_wait(conn, acxh)
    cap.wait(8)
    cap.async_complete(conn, waiting, nm.NOTIFICATION_PENDING)
    cap.wait(0.4)
    cap.fetch(session)


@scenario
def async_unknown_handle(cap):
    """Waits on an ACXH no EcDoAsyncConnectEx in the capture issued: each
    completes at once with the flag set; no session, so the second is not
    fetched."""
    conn = cap.async_connection()
    acxh = nm.context_handle(uuid.uuid5(uuid.NAMESPACE_URL,
                                        "acxh://issued-before-the-capture"))
    for _ in range(2):
        waiting = cap.async_wait(conn, acxh)
        cap.wait(0.05)
        cap.async_complete(conn, waiting, nm.NOTIFICATION_PENDING)
        cap.wait(3)


@scenario
def mixed_signals(cap):
    """UDP and async signals in one session: one fetch answers both; a
    repeated notification is not fetched, the async signal after it is
    (its own source was fetched)."""
    session = cap.session()
    cap.connect_ex(session)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    acxh = cap.async_connect(session, "mixed")
    conn = cap.async_connection()
    waiting = cap.async_wait(conn, acxh)
    cap.wait(10)
    cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
    cap.wait(0.2)
    cap.async_complete(conn, waiting, nm.NOTIFICATION_PENDING)
    cap.wait(0.9)
    cap.fetch(session)
    waiting = cap.async_wait(conn, acxh)
    _notifications(cap, 2)
    cap.wait(0.3)
    cap.async_complete(conn, waiting, nm.NOTIFICATION_PENDING)
    cap.wait(1)
    cap.fetch(session)
    waiting = cap.async_wait(conn, acxh)
    cap.wait(30)
    cap.async_cancel(conn, waiting)


@scenario
def nat_callback(cap):
    """The client (10.0.0.5 behind a NAT) registers the callback
    192.0.2.10: the server sends there; one notification is fetched."""
    session = cap.session(NAT_CLIENT)
    cap.connect_ex(session)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notify_and_fetch(cap, session, [1.1])
    _notifications(cap, 1)


@scenario
def nat_callback6(cap):
    """The same over IPv6: 2001:db8:1::5 registers [2001:db8::10]."""
    session = cap.session(NAT_CLIENT6, SERVER6)
    cap.connect_ex(session)
    cap.register(session, CONTEXT8, nm.sockaddr_in6(CLIENT6, 50200))
    _notify_and_fetch(cap, session, [0.9], port=50200, dst=CLIENT6,
                      src=SERVER6)
    _notifications(cap, 1, dst=CLIENT6, port=50200, src=SERVER6)


@scenario
def two_sessions(cap):
    """One client, two sessions (two mailboxes) on two connections, each
    with its own callback: interleaved notifications and fetches; a fetch
    answers only its own session's signals."""
    first = cap.session(handle_uuid=uuid.uuid5(uuid.NAMESPACE_URL,
                                                "cxh://mailbox-a"))
    cap.connect_ex(first)
    second = cap.session(handle_uuid=uuid.uuid5(uuid.NAMESPACE_URL,
                                                 "cxh://mailbox-b"))
    cap.connect_ex(second)
    port_b = CALLBACK_PORT + 1
    cap.register(first, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    cap.register(second, CONTEXT16, nm.sockaddr_in(CLIENT, port_b),
                 handle=0x12)
    cap.wait(REPEAT_SECONDS)
    cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
    cap.wait(0.5)
    cap.notify(CLIENT, port_b, CONTEXT16)
    cap.wait(0.5)
    cap.fetch(second)
    cap.wait(0.5)
    cap.fetch(first)
    cap.wait(REPEAT_SECONDS)
    cap.notify(CLIENT, port_b, CONTEXT16)
    cap.wait(0.5)
    cap.notify(CLIENT, CALLBACK_PORT, CONTEXT8)
    cap.wait(0.5)
    cap.fetch(first)
    cap.wait(REPEAT_SECONDS)
    cap.notify(CLIENT, port_b, CONTEXT16)
    cap.wait(2)
    cap.fetch(second)


@sealed_scenario
def sealed_session(cap):
    """Packet privacy (NTLM): EcDoConnectEx, a registration, notifications
    fetched with EcDoRpcExt2, one repeated with no fetch."""
    session = cap.session()
    cap.connect_ex(session)
    cap.register(session, CONTEXT8, nm.sockaddr_in(CLIENT, CALLBACK_PORT))
    _notify_and_fetch(cap, session, [0.8])
    _notifications(cap, 2)
    cap.wait(1)
    cap.fetch(session)


@sealed_scenario
def sealed_async(cap):
    """Packet privacy (NTLM) on both connections: EcDoAsyncConnectEx, a
    wait completed pending and fetched, a wait timed out."""
    session, conn, acxh = _async_session(cap, name="sealed")
    waiting = cap.async_wait(conn, acxh)
    cap.wait(15)
    cap.async_complete(conn, waiting, nm.NOTIFICATION_PENDING)
    cap.wait(0.6)
    cap.fetch(session)
    waiting = cap.async_wait(conn, acxh)
    cap.wait(ASYNC_TIMEOUT_SECONDS)
    cap.async_complete(conn, waiting, 0)


def run_scenario(name, fileobj):
    """Write one scenario to ``fileobj``; return its Capture."""
    cap = Capture(fileobj, SEALING.get(name, CLEAR))
    SCENARIOS[name](cap)
    return cap


def sealing_unavailable():
    """Why the sealed scenarios cannot be written here, or None."""
    from newmail_gen import ntlm_seal
    ok, why = ntlm_seal.available()
    return None if ok else why


def _without_sealed_flags(entry):
    entry = json.loads(json.dumps(entry))
    for call in entry["calls"]:
        call.pop("sealed")
    return entry


def sealed_view(entry, clear_twin):
    """The manifest entry of a sealed capture: what a dissector sees
    without the password (no call can be read, so nothing is learned, no
    session is known and every datagram is what stock makes of it), and
    under "sealed" the account and the full model, which is the clear
    twin's frame for frame (checked here)."""
    full = {key: value for key, value in entry.items()}
    model = {key: value for key, value in full.items()
             if key not in ("file", "description")}
    twin = {key: value for key, value in clear_twin.items()
            if key not in ("file", "description")}
    if _without_sealed_flags(model) != _without_sealed_flags(twin):
        raise AssertionError("%s does not match its clear twin frame for "
                             "frame" % entry["file"])
    from newmail_gen import ntlm_seal
    hidden = [{"frame": n["frame"], "address": n["address"],
               "port": n["port"], "length": n["length"],
               "reason": "registration_sealed"} for n in entry["newmail"]]
    quoted = [{"frame": r["frame"], "address": r["client"],
               "port": r["port"], "length": r["length"],
               "reason": "quoted_in_icmp_error"} for r in entry["refusals"]]
    view = {key: [] for key in ("registrations", "unregistrations", "newmail",
                                "refusals", "calls", "sessions",
                                "async_handles", "signals", "fetches")}
    view.update({
        "file": entry["file"],
        "frames": entry["frames"],
        "not_newmail": sorted(entry["not_newmail"] + hidden + quoted,
                              key=lambda n: n["frame"]),
        "sealed": {"user": ntlm_seal.USER, "domain": ntlm_seal.DOMAIN,
                   "password": ntlm_seal.PASSWORD,
                   "clear_twin": os.path.splitext(clear_twin["file"])[0],
                   "model": model},
    })
    return view


def write_scenarios(directory):
    """Write every scenario and manifest.json into ``directory``.

    The sealed scenarios need python3-impacket; without it they are left
    out and the manifest says why under "unavailable".
    """
    os.makedirs(directory, exist_ok=True)
    scenarios = {}
    unavailable = {}
    why = sealing_unavailable() if SEALING else None
    for name in SCENARIOS:
        if why and SEALING.get(name) == SEALED:
            unavailable[name] = why
            continue
        filename = name + ".pcap"
        with open(os.path.join(directory, filename), "wb") as fileobj:
            cap = run_scenario(name, fileobj)
        entry = cap.expect.manifest(filename, cap.net.frames)
        entry["description"] = SCENARIOS[name].__doc__
        scenarios[name] = entry
    for name, mode in SEALING.items():
        if mode == SEALED and name in scenarios:
            description = scenarios[name]["description"]
            scenarios[name] = sealed_view(scenarios[name],
                                          scenarios[name + "_clear"])
            scenarios[name]["description"] = description
    _write_manifest(os.path.join(directory, "manifest.json"), scenarios,
                    unavailable)


def _write_manifest(path, scenarios, unavailable=None):
    manifest = {
        "server": {"address": SERVER, "address6": SERVER6,
                   "port": nm.EXCHANGE_RPC_PORT,
                   "notification_port": NOTIFY_PORT},
        "scenarios": scenarios,
        "unavailable": unavailable or {},
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

def _stub_kind(call):
    """The file name part that says which parser a stub is for: req4,
    resp11, ... for EMSMDB opnums the plugin reads, areq0/aresp0 for
    AsyncEMSMDB's EcDoAsyncWaitEx; None for stubs the plugin never reads."""
    if call.interface == "asyncemsmdb":
        return "a"
    if call.opnum in SESSION_OPNUMS:
        return ""
    return None


def _write_call_stubs(directory, prefix, calls):
    for call in calls:
        kind = _stub_kind(call)
        if kind is None:
            continue
        for frame, role, stub in (
                (call.request_frame, "req", call.request_stub),
                (call.response_frame, "resp", call.response_stub)):
            if stub is None:        # a fault: no response stub
                continue
            name = "%s-f%d-%s%s%d-%s.bin" % (
                prefix, frame, kind, role, call.opnum,
                _drep(call.little_endian))
            with open(os.path.join(directory, name), "wb") as fileobj:
                fileobj.write(stub)


def write_stub_corpus(directory, seed, count):
    """Write every stub the plugin reads, of the scenarios and of the
    random registrations: EMSMDB opnums 0, 1, 2, 4, 5, 10, 11 and 14 and
    AsyncEMSMDB's opnum 0.

    File names say where the stub came from, the frame, request or response,
    the opnum and the byte order (basic_ipv4-f6-req4-le.bin,
    random1-f14-resp4-be.bin, async_wait-f16-aresp0-le.bin: "a" for
    AsyncEMSMDB), so a fuzz harness can pick the parser and the byte order
    from the name.  The frame numbers match the captures written by --out
    and by --random-stubs with the same seed and count.  Sealed scenarios
    are left out: their stubs are their clear twins'.
    """
    os.makedirs(directory, exist_ok=True)
    for name in SCENARIOS:
        if SEALING.get(name) == SEALED:
            continue
        cap = run_scenario(name, io.BytesIO())
        _write_call_stubs(directory, name, cap.calls)
    cap = Capture(io.BytesIO())
    write_random_registrations(cap, seed, count)
    _write_call_stubs(directory, "random%d" % seed, cap.calls)


# --------------------------------------------------------------------------
# The load file
# --------------------------------------------------------------------------
#
# What bench/bench.py reads: a busy Exchange server's traffic, written as a
# stream (nothing grows with the frame count but the per-client records and
# the queue of what is due next).  Every client is an Outlook with one EMSMDB
# session over DCE/RPC; the frames, by kind:
#
#   session   one unit when the client starts: TCP handshake (3), bind,
#             bind_ack, EcDoConnectEx request and response, and
#             EcRRegisterPushNotification request and response: 9 frames.
#             --async-share percent of the clients (30, spread evenly) also
#             call EcDoAsyncConnectEx on that connection (2), open their own
#             AsyncEMSMDB connection (handshake, bind, bind_ack: 5) and park
#             their first EcDoAsyncWaitEx (1): 17 frames for such a client.
#   event     something arrives for a random client, and the server signals:
#             - the client's wait is parked: the server completes it with
#               NotificationPending (1); 0.3 to 4 s later the client fetches
#               with EcDoRpcExt2 (2: the response's rgbOut holds RopNotify
#               NewMail and RopPending) and parks its next wait (1);
#             - otherwise a UDP notification to its callback (1), fetched
#               0.3 to 4 s later (2).
#             In LOAD_UNFETCHED of the events the client does not react: the
#             server repeats the notification 60 s later (1), which is then
#             fetched (2); a completed wait is parked again at once (1) and
#             the next signal of that wait finds the first unanswered.  For
#             an event that comes while the client's fetch (or the repeat) is
#             on its way the server signals nothing: that fetch collects it
#             (an unrelated datagram is written in its place).
#   timeout   a wait parked for 300 s with nothing to report: the server
#             completes it without the flag (1), the client parks the next (1).
#   unrelated DNS queries and datagrams between odd high ports (UDP), and TCP
#             connections with line-based chatter.
#
# The sessions take their frames first; of the rest, events with everything
# that follows from them (and the timeouts) take LARGE_SHARES[0] percent,
# unrelated UDP LARGE_SHARES[1] and unrelated TCP LARGE_SHARES[2].  Each next
# unit is drawn with probability proportional to what is left of its kind,
# and what is due from earlier events (a fetch, a repeat, a wait to park or
# to time out) is written when its time comes, so everything interleaves
# evenly; frames run LOAD_STEP_US apart.  The last sessions are forced in
# before the end, so the file always holds exactly the sessions asked for;
# what falls due after the last frame (a fetch, a parked wait's end) is not
# written, as a capture stopped at any moment would not hold it.

LARGE_SHARES = (45, 35, 20)   # events and what follows, unrelated UDP, TCP %
SESSION_FRAMES = 9            # handshake, bind, bind_ack, opnums 10 and 4
ASYNC_FRAMES = 8              # opnum 14, AsyncEMSMDB handshake, bind, a wait
FRAMES_PER_REGISTRATION = SESSION_FRAMES  # the least one registration takes
LOAD_ASYNC_SHARE = 30             # % of sessions that also wait on AsyncEMSMDB
LOAD_STEP_US = 2000               # 1,000,000 frames span 33 minutes
LOAD_UNFETCHED = 0.05             # events the client does not react to
LOAD_FETCH_DELAY = (0.3, 4.0)     # seconds from a signal to its fetch
LOAD_REPARK_SECONDS = 0.004       # a wait parked again right after
LOAD_TCP_SERVER = ("203.0.113.80", 45000)
LOAD_DNS_NAMES = ("autodiscover.example.com", "outlook.example.com",
                  "www.example.net", "mail.example.org", "cdn.example.com")
LOAD_MESSAGE_CLASSES = ("IPM.Note", "IPM.Note", "IPM.Note",
                        "IPM.Schedule.Meeting.Request", "IPM.Note.SMIME")


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


def _fetch_replies(count=8):
    """rgbOut buffers a fetch returns: RopNotify NewMail and RopPending
    (MS-OXCROPS 2.2.14.2/2.2.14.3), some XOR-obfuscated as Exchange sends
    them; built once (newmail_gen/rop.py), picked at random."""
    from newmail_gen import rop as rb
    inbox = 0x0D00000000000001
    replies = []
    for i in range(count):
        message_class = LOAD_MESSAGE_CLASSES[i % len(LOAD_MESSAGE_CLASSES)]
        rops = [rb.new_mail(0x00010000 + i, inbox, 0x4F00000000100000 + i,
                            message_class),
                rb.rop_pending(1)]
        replies.append(rb.single(rops, xor=i % 2 == 1).data)
    return replies


class _LoadClient:
    """One Outlook of the load file and what it is doing."""

    __slots__ = ("index", "session", "path", "port", "conn", "acxh",
                 "waiting", "wait_serial", "fetch_due", "udp_unfetched",
                 "async_unfetched")

    def __init__(self, index):
        self.index = index
        self.session = self.path = self.port = None
        self.conn = self.acxh = self.waiting = None   # AsyncEMSMDB, if used
        self.wait_serial = 0
        self.fetch_due = False       # a fetch (or a repeat) is on its way
        # The source's last signal has had no fetch since: the next one
        # from that source gets newmail.not_fetched (README: "Signals and the
        # fetch that answers them").
        self.udp_unfetched = self.async_unfetched = False


class _LoadWriter:
    """Writes the load file's traffic one unit at a time.

    Unrelated traffic comes from a fixed pool of hosts so that the cache of
    IP paths stays small however many frames are written.  ``counts`` says
    what was written (and, for ``not_fetched``, how many signals a correct
    dissector flags newmail.not_fetched).
    """

    POOL = 256
    TCP_STREAMS = 32

    def __init__(self, net, rng, async_share):
        self.net = net
        self.rng = rng
        self.async_share = async_share
        self.clients = []
        self.counts = dict.fromkeys((
            "registrations", "async_sessions", "notifications", "async_waits",
            "async_pending", "async_timeouts", "fetches", "not_fetched",
            "unrelated_udp", "unrelated_tcp"), 0)
        self._pool = [_load_host((1 << 23) + i) for i in range(self.POOL)]
        self._queries = 0
        self._streams = 0
        self._chatter = [self._new_chatter() for _ in range(self.TCP_STREAMS)]
        self._due = []      # heap of (time, serial, action, client, arg)
        self._serial = 0
        self._connect_stub = nm.connect_ex_request_stub()
        self._replies = _fetch_replies()

    # --- what the clients do ------------------------------------------------

    def is_async(self, index):
        """Whether client ``index`` uses AsyncEMSMDB: spread evenly, exactly
        round-down(sessions x share / 100) of them."""
        share = self.async_share
        return (index + 1) * share // 100 > index * share // 100

    def setup_frames(self, index):
        return SESSION_FRAMES + (ASYNC_FRAMES if self.is_async(index) else 0)

    def _call(self, session, opnum, request, response):
        session.call(opnum, request, response)
        session.calls.clear()      # streaming: keep no record of old calls

    def start_session(self):
        """One client's connection, EcDoConnectEx, registration and, for an
        async client, EcDoAsyncConnectEx, its AsyncEMSMDB connection and
        first wait (SESSION_FRAMES or SESSION_FRAMES + ASYNC_FRAMES)."""
        index = len(self.clients)
        client = _LoadClient(index)
        host = _load_host(index)
        client.port = self.rng.randrange(50000, 54000)
        context = self.rng.randbytes(8)
        session = client.session = nm.MapiSession(
            self.net, host, ephemeral_port(index), SERVER)
        session.connect()
        self._call(session, nm.OPNUM_CONNECT_EX, self._connect_stub,
                   nm.connect_ex_response_stub(session.handle))
        session.register(context, nm.sockaddr_in(host, client.port), index + 1)
        session.calls.clear()
        client.path = (self.net.path(SERVER, host), context)
        self.counts["registrations"] += 1
        if self.is_async(index):
            client.acxh = nm.context_handle(uuid.uuid5(
                uuid.NAMESPACE_URL, "acxh://load/%d" % index))
            self._call(session, nm.OPNUM_ASYNC_CONNECT_EX,
                       nm.async_connect_request_stub(session.handle),
                       nm.async_connect_response_stub(client.acxh))
            client.conn = nm.MapiSession(
                self.net, host, ephemeral_port(index + 2048), SERVER,
                interface=nm.ASYNCEMSMDB_UUID, version=nm.ASYNCEMSMDB_VERSION)
            client.conn.connect()
            self._park(client)
            self.counts["async_sessions"] += 1
        self.clients.append(client)

    def _later(self, seconds, action, client, arg=None):
        self._serial += 1
        heapq.heappush(self._due, (self.net.clock.now + int(seconds * 1e6),
                                   self._serial, action, client, arg))

    def _fetch_delay(self):
        return self.rng.uniform(*LOAD_FETCH_DELAY)

    # The actions written when they fall due (``due``) return the frames
    # they take that nobody counted in advance: only a timeout's, as an
    # event counts everything it sets off when it is drawn.

    def _park(self, client, _arg=None):
        """EcDoAsyncWaitEx request; the server holds it (1 frame)."""
        client.waiting = client.conn.request(
            nm.OPNUM_ASYNC_WAIT_EX, nm.async_wait_request_stub(client.acxh))
        client.wait_serial += 1
        self.counts["async_waits"] += 1
        self._later(ASYNC_TIMEOUT_SECONDS, self._timeout, client,
                    client.wait_serial)
        return 0

    def _complete(self, client, flags):
        client.conn.respond(client.waiting,
                            nm.async_wait_response_stub(flags))
        client.conn.calls.clear()
        client.waiting = None

    def _timeout(self, client, serial):
        """The parked wait ``serial`` ends empty after 300 s, unless it was
        completed before (2 frames, or none)."""
        if client.waiting is None or client.wait_serial != serial:
            return 0
        self._complete(client, 0)
        self.counts["async_timeouts"] += 1
        self._later(LOAD_REPARK_SECONDS, self._park, client)
        return 2

    def _notify(self, client):
        if client.udp_unfetched:
            self.counts["not_fetched"] += 1
        client.udp_unfetched = True
        path, context = client.path
        self.net.emit(path.udp(NOTIFY_PORT, client.port, context))
        self.counts["notifications"] += 1

    def _repeat(self, client, _arg=None):
        """The server sends the unanswered notification again (1 frame);
        this time the client fetches."""
        self._notify(client)
        self._later(self._fetch_delay(), self._fetch, client)
        return 0

    def _fetch(self, client, park=False):
        """EcDoRpcExt2 collecting the events (2 frames), then, for a client
        whose wait completed, its next wait (1)."""
        session = client.session
        self._call(session, nm.OPNUM_RPC_EXT2,
                   nm.rpc_ext2_request_stub(session.handle),
                   nm.rpc_ext2_response_stub(
                       session.handle, rgb_out=self.rng.choice(self._replies)))
        client.fetch_due = False
        client.udp_unfetched = client.async_unfetched = False
        self.counts["fetches"] += 1
        if park:
            self._park(client)
        return 0

    def event(self):
        """Something arrives for a random client: the signal now, the rest
        scheduled.  Returns the frames it takes in all (0: no signal)."""
        client = self.rng.choice(self.clients)
        unreacting = self.rng.random() < LOAD_UNFETCHED
        if client.waiting is not None:
            self._complete(client, nm.NOTIFICATION_PENDING)
            self.counts["async_pending"] += 1
            if client.async_unfetched:
                self.counts["not_fetched"] += 1
            client.async_unfetched = True
            if unreacting:
                self._later(LOAD_REPARK_SECONDS, self._park, client)
                return 2
            client.fetch_due = True
            self._later(self._fetch_delay(), self._fetch, client, True)
            return 4
        if client.fetch_due:
            return 0    # signalled already: the coming fetch collects it
        self._notify(client)
        client.fetch_due = True
        if unreacting:
            self._later(REPEAT_SECONDS, self._repeat, client)
            return 4
        self._later(self._fetch_delay(), self._fetch, client)
        return 3

    def due(self, room):
        """Write what is due now, if it fits in ``room`` frames; returns
        (whether something was due, the frames it took that no event
        counted)."""
        if not self._due or self._due[0][0] > self.net.clock.now:
            return False, 0
        _, _, action, client, arg = heapq.heappop(self._due)
        # A fetch needs 2 or 3 frames; at the very end it is left out.
        if room < 3 and action == self._fetch:
            return True, 0
        return True, action(client, arg)

    # --- unrelated traffic --------------------------------------------------

    def unrelated_udp(self):
        """Write a DNS query or a datagram between odd high ports."""
        rng = self.rng
        self.counts["unrelated_udp"] += 1
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
        self.counts["unrelated_tcp"] += 1
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


def write_large(fileobj, frames, registrations, seed,
                async_share=LOAD_ASYNC_SHARE):
    """Write exactly ``frames`` frames of the load traffic described above,
    with exactly ``registrations`` client sessions; return the counts of
    what was written."""
    if not 0 <= async_share <= 100:
        raise ValueError("async share %r is not a percentage" % async_share)
    rng = random.Random(seed)
    net = nm.Network(fileobj, nm.Clock(step_us=LOAD_STEP_US))
    load = _LoadWriter(net, rng, async_share)
    session_frames = sum(load.setup_frames(i) for i in range(registrations))
    if session_frames > frames:
        raise ValueError("%d sessions need %d frames"
                         % (registrations, session_frames))
    rest = frames - session_frames
    events = rest * LARGE_SHARES[0] // 100 if registrations else 0
    tcp = rest * LARGE_SHARES[2] // 100
    udp = rest - events - tcp
    # What is left to draw of each kind, in frames: sessions, events, UDP, TCP.
    left = [session_frames, events, udp, tcp]
    while net.frames < frames:
        room = frames - net.frames
        if left[0] and room <= left[0] + 2 * SESSION_FRAMES:
            pick = 0          # the last sessions, before the file ends
        else:
            was_due, used = load.due(room)
            if was_due:
                left[1] -= used
                continue
            weights = [max(0, x) for x in left]
            total = sum(weights)
            if total == 0:
                load.unrelated_udp()    # only what is due remains: fill
                continue
            draw = rng.randrange(total)
            pick = 0
            while draw >= weights[pick]:
                draw -= weights[pick]
                pick += 1
            if pick == 1 and not load.clients:
                pick = 0
        if pick == 0:
            left[0] -= load.setup_frames(len(load.clients))
            load.start_session()
        elif pick == 1:
            used = load.event()
            if not used:        # nothing to signal: time must still move on
                load.unrelated_udp()
                left[2] -= 1
            left[1] -= used
        elif pick == 2:
            load.unrelated_udp()
            left[2] -= 1
        else:
            load.unrelated_tcp()
            left[3] -= 1
    assert net.frames == frames, (net.frames, frames)
    assert load.counts["registrations"] == registrations
    return load.counts


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
    parser.add_argument("--async-share", type=int, default=LOAD_ASYNC_SHARE,
                        metavar="PERCENT",
                        help="load file: sessions that also wait on "
                             "AsyncEMSMDB (default %d)" % LOAD_ASYNC_SHARE)
    parser.add_argument("--random-stubs", type=int, metavar="SEED",
                        help="write randomised registrations from SEED")
    parser.add_argument("--count", type=int, default=200, metavar="N",
                        help="number of randomised registrations "
                             "(default 200)")
    parser.add_argument("--stubs", metavar="DIR",
                        help="write the stubs the plugin reads as a fuzz "
                             "corpus")
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
                                 args.seed, args.async_share)
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
