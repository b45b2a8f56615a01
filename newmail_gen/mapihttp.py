#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write MAPI over HTTP test captures (and EcDoRpcExt2 ones) with their manifest.

Usage:
  python3 -m newmail_gen.mapihttp --out DIR
      every scenario as DIR/<name>.pcap, plus DIR/manifest.json (what a
      correct dissector shows)
  python3 -m newmail_gen.mapihttp --list
      the scenarios and their MAPI/HTTP frames
(PYTHONPATH: the source tree, which holds the package newmail_gen/.)

Specifications written from:
  MS-OXCMAPIHTTP 2.2.2.1/2.2.2.2  common request/response format (Content-Type
                                  application/mapi-http, X-RequestType,
                                  X-RequestId, X-ClientInfo, X-ResponseCode)
  MS-OXCMAPIHTTP 2.2.3.3.2        X-RequestId "{GUID}:counter", the GUID fixed
                                  for the session, the counter growing per request
  MS-OXCMAPIHTTP 2.2.4.1-2.2.4.4  Connect, Execute, Disconnect, NotificationWait
                                  request and response bodies; 2.2.5.1/2.2.5.2
                                  NSPI Bind/Unbind (written, named only)
  MS-OXCMAPIHTTP 2.2.7, 3.2.5.2   meta-tags: PROCESSING at once, PENDING
                                  keep-alives every X-PendingPeriod, then DONE,
                                  X-ResponseCode, X-ElapsedTime, X-StartTime, a
                                  blank line and the body; chunked responses
  MS-OXCMAPIHTTP 3.1.5.1, 3.2.5.x, 4.1, 4.2
                                  cookies: the Connect response sets the session
                                  context cookie and the request sequence cookie;
                                  every later response sets them again (the
                                  sequence one with a new value), every request
                                  carries the latest ones. Section 4.2's example
                                  names them MapiContext and MapiSequence, as
                                  Exchange does; so do these captures.
  MS-OXCRPC 3.1.4.2               EcDoRpcExt2 (EMSMDB opnum 11) NDR stubs

The traffic is plain HTTP on TCP port 80, as a capture behind TLS offload
sees it. Each scenario is played by a ``Script``: a list of writes on TCP
connections with the silences between them. ``PcapPlayer`` writes a script
into a pcap with virtual time (newmail_gen/pcap.py framing), and
newmail_gen/tls_capture.py plays the same kind of script over real TLS sockets.
While a script is built, every MAPI/HTTP message records what a correct
dissector must show (README: "MAPI over HTTP", "Fields"): fields,
meta-tags, the ROP buffer's RPC_HEADER_EXT blocks, RopNotify/RopPending
contents, and the session, signal and fetch links, derived from the traffic
as written by the rules of the README's "Signals and the fetch that answers
them", never typed in by hand. Standard library only; all output is
deterministic. Addresses are documentation prefixes (RFC 5737), names are
example.com.
"""

import argparse
import email.utils
import hashlib
import io
import json
import os
import struct
import sys
import uuid
from dataclasses import dataclass

from newmail_gen import pcap as nm
from newmail_gen import rop as rb

CLIENT = "192.0.2.10"
CLIENT2 = "192.0.2.11"
SERVER = "198.51.100.20"
HOST = "mail.example.com"
HTTP_PORT = 80
MSS = 1460
MAILBOX = "5d7b5d2e-9f0c-4b3a-a1f6-8a7d1c2e3f40@example.com"
USER_DN = ("/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
           "/cn=Recipients/cn=5d7b5d2e9f0c4b3aa1f68a7d1c2e3f40-alex")
DN_PREFIX = "/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
DISPLAY_NAME = "Alex Example"
CLIENT_APPLICATION = "Outlook/16.0.17928.20114"
SERVER_APPLICATION = "Exchange/15.02.1544.011"
USER_AGENT = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)"
CONTENT_TYPE = "application/mapi-http"
PENDING_PERIOD_MS = 60000     # X-PendingPeriod: keep-alives a minute apart
INBOX = 0x0D00000000000001   # FIDs/MIDs as the uint64 of their 8 LE bytes
SENT_ITEMS = 0x0E00000000000001
CALENDAR = 0x0F00000000000001
NAMESPACE = uuid.UUID("6f1c0d9e-2b7a-4c59-9a52-7e1f2f0c4d11")

# X-RequestType values (MS-OXCMAPIHTTP 2.2.3.3.1).
CONNECT, EXECUTE, DISCONNECT, NOTIFICATION_WAIT, PING = (
    "Connect", "Execute", "Disconnect", "NotificationWait", "PING")
BIND, UNBIND, GET_MATCHES = "Bind", "Unbind", "GetMatches"


def _guid(*parts):
    """A deterministic GUID in braces, upper case, as X-RequestId shows it."""
    return "{%s}" % str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts)))).upper()


def _http_date(time_us):
    return email.utils.formatdate(time_us / 1e6, usegmt=True)


# --------------------------------------------------------------------------
# Request and response bodies (MS-OXCMAPIHTTP 2.2.4, 2.2.5)
# --------------------------------------------------------------------------

def _u32(*values):
    return struct.pack("<%dI" % len(values), *values)


def aux_buffer(session_id=1, request_id=1):
    """An auxiliary buffer: RPC_HEADER_EXT (Last) + AUX_HEADER (Size 8, Version
    1, Type AUX_TYPE_PERF_REQUESTID) + AUX_PERF_REQUESTID (MS-OXCRPC 2.2.2.2)."""
    payload = struct.pack("<HBBHH", 8, 1, 0x01, session_id, request_id)
    return rb.rpc_header_ext(rb.RHE_LAST, len(payload), len(payload)) + payload


def connect_request_body(aux=b""):
    """2.2.4.1.1: UserDn, Flags, DefaultCodePage, LcidSort, LcidString, aux."""
    return (USER_DN.encode("ascii") + b"\x00" + _u32(0, 1252, 1033, 1033, len(aux)) + aux)


def connect_response_body(aux=b""):
    """2.2.4.1.2: StatusCode, ErrorCode, PollsMax, RetryCount, RetryDelay,
    DnPrefix (ASCII), DisplayName (UTF-16LE), aux."""
    return (_u32(0, 0, 60000, 6, 10000) + DN_PREFIX.encode("ascii") + b"\x00"
            + DISPLAY_NAME.encode("utf-16-le") + b"\x00\x00" + _u32(len(aux)) + aux)


def execute_request_body(rop_in, flags=0, max_rop_out=0x40000, aux=b""):
    """2.2.4.2.1: Flags, RopBufferSize, RopBuffer, MaxRopOut, aux."""
    return _u32(flags, len(rop_in)) + rop_in + _u32(max_rop_out, len(aux)) + aux


def execute_response_body(rop_out, flags=0, aux=b"", rop_buffer_size=None, error=0):
    """2.2.4.2.2: StatusCode, ErrorCode, Flags, RopBufferSize, RopBuffer, aux."""
    size = len(rop_out) if rop_buffer_size is None else rop_buffer_size
    return _u32(0, error, flags, size) + rop_out + _u32(len(aux)) + aux


def disconnect_request_body(aux=b""):
    """2.2.4.3.1: AuxiliaryBufferSize, aux."""
    return _u32(len(aux)) + aux


def disconnect_response_body(aux=b""):
    """2.2.4.3.2: StatusCode, ErrorCode, aux."""
    return _u32(0, 0, len(aux)) + aux


def notification_wait_request_body(aux=b""):
    """2.2.4.4.1: Flags (reserved, 0), aux."""
    return _u32(0, len(aux)) + aux


def notification_wait_response_body(event_pending, aux=b""):
    """2.2.4.4.2: StatusCode, ErrorCode, EventPending, aux."""
    return _u32(0, 0, 1 if event_pending else 0, len(aux)) + aux


def bind_request_body(aux=b""):
    """NSPI 2.2.5.1.1: Flags, HasState, State (a 36-byte STAT), aux."""
    stat = _u32(0, 0, 0, 0, 0, 0, 1252, 1033, 1033)
    return _u32(0) + b"\x01" + stat + _u32(len(aux)) + aux


def bind_response_body(aux=b""):
    """NSPI 2.2.5.1.2: StatusCode, ErrorCode, ServerGuid, aux."""
    return _u32(0, 0) + uuid.UUID(_guid("nspi-server")[1:-1]).bytes_le + _u32(len(aux)) + aux


def unbind_request_body(aux=b""):
    """NSPI 2.2.5.2.1: Reserved, aux."""
    return _u32(0, len(aux)) + aux


def unbind_response_body(aux=b""):
    """NSPI 2.2.5.2.2: StatusCode, ErrorCode, aux."""
    return _u32(0, 0, len(aux)) + aux


def fetch_rop_in():
    """The ROP input buffer of a notification fetch: no ROP, one handle."""
    return rb.RopBuffer([rb.Block(rops=[], handles=(0x00000001,))])


def register_rop_in():
    """RopRegisterNotification request (MS-OXCROPS 2.2.14.1.1): LogonId 0,
    InputHandleIndex 0, OutputHandleIndex 1, NotificationTypes NewMail |
    ObjectCreated | ObjectModified, Reserved, WantWholeStore 1."""
    rop = rb.rq_register_notification(0, 1, 0x16, want_whole_store=1)
    return rb.RopBuffer([rb.Block(rops=[rop], handles=(0x00000021, 0xFFFFFFFF))])


# --------------------------------------------------------------------------
# Scripts: writes on TCP connections, and what they hold
# --------------------------------------------------------------------------

@dataclass
class Write:
    """Bytes one side sends on a connection after ``wait`` seconds of silence."""

    conn: int
    from_client: bool
    data: bytes
    wait: float = 0.0


class Script:
    """A capture's traffic: TCP connections, writes, and the message models.

    ``messages`` are dicts; each names the write that completes it
    (``write``), which a player turns into ``frame`` and ``time_us``.
    """

    def __init__(self, name, description, server=SERVER, port=HTTP_PORT):
        self.name = name
        self.description = description
        self.server = server
        self.port = port
        self.connections = []      # client address per connection
        self.writes = []
        self.messages = []
        self.sessions = {}         # session name -> Connect request message
        self._pending_wait = 0.0
        self.elapsed = 0.0         # seconds of silence so far: dates in the headers

    def date(self):
        """An HTTP date near the current point of the script."""
        return _http_date(nm.EPOCH_2026_US + int((self.elapsed + self._pending_wait) * 1e6))

    def connection(self, client=CLIENT):
        self.connections.append(client)
        return len(self.connections) - 1

    def wait(self, seconds):
        self._pending_wait += seconds

    def write(self, conn, from_client, data):
        self.writes.append(Write(conn, from_client, data, self._pending_wait))
        self.elapsed += self._pending_wait
        self._pending_wait = 0.0
        return len(self.writes) - 1

    def message(self, **model):
        self.messages.append(model)
        return model


class HttpConnection:
    """One client connection of a script, sending HTTP/1.1 messages."""

    def __init__(self, script, client=CLIENT):
        self.script = script
        self.client = client
        self.conn = script.connection(client)

    def send(self, from_client, data):
        return self.script.write(self.conn, from_client, data)


def _entity(data):
    """What HTTP hands the media type's dissector: length and SHA-256."""
    return {"entity_length": len(data), "entity_sha256": hashlib.sha256(data).hexdigest()}


def _chunk(data):
    return b"%X\r\n" % len(data) + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"


def _headers(lines):
    return "".join("%s: %s\r\n" % item for item in lines).encode("ascii")


class MapiHttpSession:
    """An Outlook MAPI/HTTP session with Exchange: cookies, request ids.

    Requests are written at once; a response is written in steps so that
    other traffic can come between its head and its end, as a parked
    NotificationWait does: ``start`` (status line, headers with Set-Cookie,
    the PROCESSING chunk), ``keepalive`` (a PENDING chunk), ``finish`` (DONE,
    the trailing header lines, the body, the last chunk).
    """

    def __init__(self, script, name, endpoint="emsmdb", cookie_lines=1):
        self.script = script
        self.name = name
        self.endpoint = endpoint
        self.guid = _guid(script.name, name, "request-id")
        self.client_info = _guid(script.name, name, "client-info") + "-1"
        self.counter = 0
        self.cookies = {}         # what the client holds, in Set-Cookie order
        self._sequence = 0
        self.cookie_lines = cookie_lines   # 1: one Cookie header; 2: one per cookie (4.2)
        self.context = None       # the MapiContext value once connected

    @property
    def path(self):
        return "/mapi/%s/?MailboxId=%s" % (self.endpoint, MAILBOX)

    # --- requests ---------------------------------------------------------

    def request(self, connection, request_type, body, fields=None, rop=None):
        """Write a POST; return its message model."""
        self.counter += 1
        request_id = "%s:%d" % (self.guid, self.counter)
        lines = [("Host", HOST), ("Content-Type", CONTENT_TYPE),
                 ("X-RequestType", request_type), ("X-RequestId", request_id),
                 ("X-ClientInfo", self.client_info),
                 ("X-ClientApplication", CLIENT_APPLICATION), ("User-Agent", USER_AGENT)]
        cookies = list(self.cookies.items())
        if cookies and self.cookie_lines == 1:
            lines.append(("Cookie", "; ".join("%s=%s" % c for c in cookies)))
        elif cookies:
            lines += [("Cookie", "%s=%s" % c) for c in cookies]
        lines += [("Content-Length", str(len(body))), ("Connection", "Keep-Alive")]
        head = ("POST %s HTTP/1.1\r\n" % self.path).encode("ascii") + _headers(lines) + b"\r\n"
        write = connection.send(True, head + body)
        model = self.script.message(
            kind="mapihttp", direction="request", session=self.name, endpoint=self.endpoint,
            request_type=request_type, request_id=request_id, client_info=self.client_info,
            client=connection.client, conn=connection.conn, write=write,
            context_cookie=self.context, fields=dict(fields or {}), rop=rop,
            experts=[], body_length=len(body), **_entity(body))
        if request_type in (CONNECT, BIND):
            # README "MAPI over HTTP": session_frame is the Connect request's frame; on
            # /mapi/nspi/ the Bind request creates the Session Context
            # (MS-OXCMAPIHTTP 3.1.5.1, "by Using the Connect or Bind Request Type").
            self.script.sessions[self.name] = model
        return model

    # --- responses --------------------------------------------------------

    def _set_cookies(self, request_type):
        if request_type in (DISCONNECT, UNBIND):
            return []
        if request_type in (CONNECT, BIND):
            self.context = "%s-%s" % (self.endpoint, uuid.uuid5(NAMESPACE, self.guid).hex)
            self.cookies = {"MapiContext": self.context}
        self._sequence += 1
        self.cookies["MapiSequence"] = "%d-%s" % (
            self._sequence, uuid.uuid5(NAMESPACE, "%s/%d" % (self.guid, self._sequence)).hex[:16])
        path = "/mapi/%s/" % self.endpoint
        return [("Set-Cookie", "%s=%s; path=%s; secure; HttpOnly" % (k, v, path))
                for k, v in self.cookies.items()]

    def start(self, connection, request, chunked=True, header_code=0):
        """Write the status line, headers and (chunked) the PROCESSING chunk;
        ``header_code`` is the X-ResponseCode HTTP header's value."""
        response = {"kind": "mapihttp", "direction": "response", "session": self.name,
                    "endpoint": self.endpoint, "request_type": request["request_type"],
                    "request_id": request["request_id"], "client_info": self.client_info,
                    "client": connection.client, "conn": connection.conn,
                    "meta_tags": ["PROCESSING"], "response_code": header_code,
                    "response_codes": [header_code], "fields": {},
                    "rop": None, "experts": [], "_chunked": chunked, "_body": b"",
                    "_start_time": None}
        response["_start_date"] = self.script.date()
        lines = [("Cache-Control", "private")]
        lines.append(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", "{}"))
        lines += [("Content-Type", CONTENT_TYPE), ("Server", "Microsoft-IIS/10.0")]
        lines += self._set_cookies(request["request_type"])
        lines += [("X-RequestType", request["request_type"]),
                  ("X-RequestId", request["request_id"]), ("X-ClientInfo", self.client_info),
                  ("X-ResponseCode", str(header_code)),
                  ("X-PendingPeriod", str(PENDING_PERIOD_MS)),
                  ("X-ExpirationInfo", "900000"), ("X-ServerApplication", SERVER_APPLICATION),
                  ("Date", response["_start_date"])]
        response["context_cookie"] = self.context
        response["_head_lines"] = lines
        if chunked:
            head = b"HTTP/1.1 200 OK\r\n" + _headers(lines) + b"\r\n"
            response["_start_write"] = connection.send(False, head + _chunk(b"PROCESSING\r\n"))
        request["response"] = response
        response["request"] = request
        self.script.messages.append(response)
        return response

    def keepalive(self, connection, response, wait):
        """Write a PENDING chunk after ``wait`` seconds; the client ACKs it."""
        self.script.wait(wait)
        connection.send(False, _chunk(b"PENDING\r\n"))
        response["meta_tags"].append("PENDING")

    def finish(self, connection, response, body, fields=None, rop=None, wait=0.05,
               elapsed_ms=None, final_chunks=1, response_code=0):
        """Write DONE, the additional headers, the body and the last chunk;
        ``response_code`` None: no X-ResponseCode among the additional headers
        (the HTTP header's, from ``start``, is the only one)."""
        self.script.wait(wait)
        response["meta_tags"].append("DONE")
        if response_code is not None:
            # Both are shown, the HTTP header's first (README: "MAPI over HTTP").
            response["response_code"] = response_code
            response["response_codes"].append(response_code)
        response["fields"].update(fields or {})
        response["rop"] = rop
        code_line = "" if response_code is None else "X-ResponseCode: %d\r\n" % response_code
        tail = ("DONE\r\n%sX-ElapsedTime: %d\r\nX-StartTime: %s\r\n\r\n"
                % (code_line, elapsed_ms if elapsed_ms is not None else 5,
                   response["_start_date"])).encode("ascii")
        response["_tail"] = tail
        response["_body"] = body
        response["body_length"] = len(body)
        keepalives = b"PENDING\r\n" * response["meta_tags"].count("PENDING")
        response.update(_entity(b"PROCESSING\r\n" + keepalives + tail + body))
        if response["_chunked"]:
            data = tail + body
            cuts = [len(data) * i // final_chunks for i in range(final_chunks + 1)]
            wire = b"".join(_chunk(data[a:b]) for a, b in zip(cuts, cuts[1:])) + LAST_CHUNK
            response["write"] = connection.send(False, wire)
        else:
            data = b"PROCESSING\r\n" + tail + body
            lines = [(k, str(len(data)) if v == "{}" else v) for k, v in response["_head_lines"]]
            head = b"HTTP/1.1 200 OK\r\n" + _headers(lines) + b"\r\n"
            response["_start_write"] = response["write"] = connection.send(False, head + data)
        return response

    def respond(self, connection, request, body, fields=None, rop=None, keepalives=0,
                chunked=True, header_code=0, **options):
        response = self.start(connection, request, chunked=chunked, header_code=header_code)
        for _ in range(keepalives):
            self.keepalive(connection, response, PENDING_PERIOD_MS / 1000)
        return self.finish(connection, response, body, fields, rop, **options)

    # --- whole exchanges ---------------------------------------------------

    def connect(self, connection):
        aux = aux_buffer(1, self.counter + 1)
        request = self.request(connection, CONNECT, connect_request_body(aux),
                               {"mapihttp.aux_buffer_size": len(aux)})
        body = connect_response_body()
        self.respond(connection, request, body, {"mapihttp.status_code": 0,
                                                 "mapihttp.error_code": 0,
                                                 "mapihttp.aux_buffer_size": 0},
                     chunked=False)
        return request

    def execute(self, connection, rop_out, rop_in=None, keepalives=0, flags=0,
                rop_buffer_size=None, truncate=0, **options):
        """An Execute exchange; ``rop_out`` is the response's RopBuffer."""
        rop_in = rop_in or fetch_rop_in()
        aux = aux_buffer(1, self.counter + 1)
        request = self.request(
            connection, EXECUTE, execute_request_body(rop_in.data, flags, 0x40000, aux),
            {"mapihttp.flags": flags, "mapihttp.rop_buffer_size": len(rop_in),
             "mapihttp.max_rop_out": 0x40000, "mapihttp.aux_buffer_size": len(aux)},
            rop=rop_in.model())
        self.script.wait(0.02)
        body = execute_response_body(rop_out.data, rop_buffer_size=rop_buffer_size)
        if truncate:
            body = body[:-truncate]
        fields = {"mapihttp.status_code": 0, "mapihttp.error_code": 0, "mapihttp.flags": 0,
                  "mapihttp.rop_buffer_size": len(rop_out) if rop_buffer_size is None
                  else rop_buffer_size}
        if not truncate:
            fields["mapihttp.aux_buffer_size"] = 0
        self.respond(connection, request, body, fields, rop=rop_out.model(),
                     keepalives=keepalives, **options)
        return request

    def notification_wait(self, connection):
        """Write a NotificationWait request and the head of its response; the
        caller lets time pass, sends keep-alives and finishes it."""
        request = self.request(connection, NOTIFICATION_WAIT, notification_wait_request_body(),
                               {"mapihttp.flags": 0, "mapihttp.aux_buffer_size": 0})
        self.script.wait(0.01)
        return self.start(connection, request)

    def notification_wait_done(self, connection, response, event_pending, wait):
        """Finish a parked NotificationWait ``wait`` seconds after its last chunk."""
        body = notification_wait_response_body(event_pending)
        response["event_pending"] = bool(event_pending)
        return self.finish(connection, response, body,
                           {"mapihttp.status_code": 0, "mapihttp.error_code": 0,
                            "mapihttp.event_pending": bool(event_pending),
                            "mapihttp.aux_buffer_size": 0},
                           wait=wait, elapsed_ms=int(wait * 1000))

    def ping(self, connection):
        request = self.request(connection, PING, b"")
        self.script.wait(0.01)
        self.respond(connection, request, b"")
        return request

    def disconnect(self, connection):
        request = self.request(connection, DISCONNECT, disconnect_request_body(),
                               {"mapihttp.aux_buffer_size": 0})
        self.script.wait(0.01)
        self.respond(connection, request, disconnect_response_body(),
                     {"mapihttp.status_code": 0, "mapihttp.error_code": 0,
                      "mapihttp.aux_buffer_size": 0})
        return request


def plain_http(connection, method, path, content_type=None, body=b"", status="200 OK",
               response_type="text/html; charset=utf-8", response_body=b"", chunked=False):
    """A request and response that are not MAPI: stock dissectors only."""
    script = connection.script
    lines = [("Host", HOST), ("User-Agent", USER_AGENT), ("Accept", "*/*")]
    if content_type:
        lines += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    head = ("%s %s HTTP/1.1\r\n" % (method, path)).encode("ascii") + _headers(lines) + b"\r\n"
    request_write = connection.send(True, head + body)
    script.wait(0.01)
    lines = [("Content-Type", response_type), ("Server", "Microsoft-IIS/10.0")]
    if chunked:
        lines.append(("Transfer-Encoding", "chunked"))
        half = len(response_body) // 2
        data = _chunk(response_body[:half]) + _chunk(response_body[half:]) + LAST_CHUNK
    else:
        lines.append(("Content-Length", str(len(response_body))))
        data = response_body
    head = ("HTTP/1.1 %s\r\n" % status).encode("ascii") + _headers(lines) + b"\r\n"
    response_write = connection.send(False, head + data)
    script.message(kind="http", direction="request", write=request_write, conn=connection.conn,
                   method=method, path=path)
    script.message(kind="http", direction="response", write=response_write,
                   conn=connection.conn, status=status)


# --------------------------------------------------------------------------
# Playing a script into a pcap
# --------------------------------------------------------------------------

class PcapPlayer:
    """Writes a Script as Ethernet/IPv4/TCP frames with virtual time.

    Each connection opens with a handshake right before its first write; a
    write longer than the MSS goes out in MSS-sized segments; the receiver
    ACKs every write that ends after a silence (keep-alives, parked
    responses), as a real TCP stack acknowledges within its delayed-ACK time.
    """

    def __init__(self, script, fileobj):
        self.script = script
        self.net = nm.Network(fileobj)
        self.streams = {}

    def _stream(self, conn):
        stream = self.streams.get(conn)
        if stream is None:
            port = 50100 + len(self.streams)
            stream = nm.TcpStream(self.net, self.script.connections[conn], port,
                                  self.script.server, self.script.port,
                                  client_isn=0x11000000 + 0x10000 * conn,
                                  server_isn=0x51000000 + 0x10000 * conn)
            stream.handshake()
            self.streams[conn] = stream
        return stream

    def play(self):
        frames, times = [], []
        for write in self.script.writes:
            self.net.clock.advance(write.wait)
            stream = self._stream(write.conn)
            pieces = max(1, -(-len(write.data) // MSS))
            times.append(self.net.clock.now)
            written = stream.send(write.from_client, write.data, pieces)
            frames.append(written[-1])
            if write.wait >= 1.0:
                stream.segment(not write.from_client, nm.TCP_ACK)
        for conn in sorted(self.streams):
            self.streams[conn].close()
        return frames, times


# --------------------------------------------------------------------------
# The model: sessions, signals, fetches (README: "Signals", "MAPI over HTTP")
# --------------------------------------------------------------------------

def _public(message):
    return {k: v for k, v in message.items()
            if not k.startswith("_") and k not in ("request", "response", "write", "conn")}


def resolve(script, frames, times):
    """Turn writes into frames and derive the links a correct dissector shows."""
    for message in script.messages:
        message["frame"] = frames[message["write"]]
        message["time_us"] = times[message["write"]]
    by_session_connect = {name: m["frame"] for name, m in script.sessions.items()}
    mapi = [m for m in script.messages if m["kind"] == "mapihttp"]
    for message in mapi:
        message["session_frame"] = by_session_connect.get(message["session"])
        if message["direction"] == "response":
            message["request_frame"] = message["request"]["frame"]
        elif "response" in message:
            message["response_frame"] = message["response"]["frame"]
    # Signals (mechanism 3) and fetches, per session, in frame order.
    signals, fetches = [], []
    events = sorted((m for m in mapi if m["endpoint"] == "emsmdb"),
                    key=lambda m: m["frame"])
    state = {}    # session -> {"pending": [signal], "last": signal, "fetched_since": bool}
    for message in events:
        session = state.setdefault(message["session"],
                                   {"pending": [], "last": None, "fetched_since": True})
        if message["direction"] == "response" and message["request_type"] == NOTIFICATION_WAIT \
                and message.get("event_pending"):
            signal = {"frame": message["frame"], "time_us": message["time_us"],
                      "session": message["session"], "session_frame": message["session_frame"],
                      "client": message["client"], "fetch_frame": None, "fetch_delay_us": None,
                      "unfetched_signal_frame": None}
            if session["last"] is not None and not session["fetched_since"]:
                signal["unfetched_signal_frame"] = session["last"]["frame"]
            session["pending"].append(signal)
            session["last"] = signal
            session["fetched_since"] = False
            signals.append(signal)
            message["signal"] = signal
        elif message["direction"] == "request" and message["request_type"] == EXECUTE:
            answered = session["pending"]
            session["pending"] = []
            session["fetched_since"] = True
            for signal in answered:
                signal["fetch_frame"] = message["frame"]
                signal["fetch_delay_us"] = message["time_us"] - signal["time_us"]
            message["signal_frames"] = [s["frame"] for s in answered]
            fetches.append({"frame": message["frame"], "signal_frames": message["signal_frames"]})
            if "response" in message:
                message["response"]["answered_signal_frames"] = message["signal_frames"]
    # -z newmail,tree (README: "Statistics"): a signal counts at its frame for its
    # client; "Fetched" and one "Fetch delay (ms)" value (from the first signal
    # answered) per fetch request answering at least one, for the requester.
    stats = {}

    def node(client):
        return stats.setdefault(client, {"MAPI over HTTP NotificationWaits": 0, "Fetched": 0,
                                         "Not fetched": 0, "fetch_delays_ms": []})
    for signal in signals:
        node(signal["client"])["MAPI over HTTP NotificationWaits"] += 1
        if signal["unfetched_signal_frame"] is not None:
            node(signal["client"])["Not fetched"] += 1
    for message in events:
        answered = message.get("signal_frames")
        if answered:
            first = next(s for s in signals if s["frame"] == answered[0])
            node(message["client"])["Fetched"] += 1
            node(message["client"])["fetch_delays_ms"].append(
                (message["time_us"] - first["time_us"]) / 1000)
    entry = {
        "file": script.name + ".pcap",
        "description": script.description,
        "server": script.server, "port": script.port,
        "sessions": by_session_connect,
        "messages": [],
        "signals": signals,
        "fetches": fetches,
        "stats": stats,
    }
    for message in script.messages:
        public = _public(message)
        entry["messages"].append(public)
    return entry


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def _new_mail_out(handle=0x0001A2B3, message_id=0x4F00000000000001, message_class="IPM.Note",
                  unicode=False, pending=True, **options):
    rops = [rb.new_mail(handle, INBOX, message_id, message_class, unicode,
                        message_flags=0x00000000)]
    if pending:
        rops.append(rb.rop_pending(0x0001))
    return rb.single(rops, **options)


def _register_out():
    """The RopRegisterNotification response: its subscription's handle, the
    NotificationHandle of the scenarios' RopNotify, at OutputHandleIndex 1."""
    return rb.single([rb.rop_register_notification(1)], handles=(0x00000021, 0x0001A2B3))


def _connected(script, name="outlook", cookie_lines=1, client=CLIENT):
    session = MapiHttpSession(script, name, cookie_lines=cookie_lines)
    main = HttpConnection(script, client)
    session.connect(main)
    script.wait(0.2)
    session.execute(main, _register_out(), rop_in=register_rop_in())
    return session, main


def scenario_session():
    script = Script("mapihttp_session",
                    "A whole session: Connect (cookies set), an Execute registering for "
                    "notifications, a NotificationWait parked for over three minutes on its "
                    "own connection with PENDING keep-alives a minute apart and answered with "
                    "EventPending, the Execute that fetches (RopNotify NewMail + RopPending), "
                    "a PING, a NotificationWait that ends without an event, Disconnect.")
    session, main = _connected(script)
    waits = HttpConnection(script)
    script.wait(0.5)
    parked = session.notification_wait(waits)
    script.wait(30)
    session.ping(main)
    for _ in range(3):
        session.keepalive(waits, parked, PENDING_PERIOD_MS / 1000)
    session.notification_wait_done(waits, parked, True, wait=20)
    script.wait(0.35)
    session.execute(main, _new_mail_out())
    script.wait(0.1)
    second = session.notification_wait(waits)
    for _ in range(4):
        session.keepalive(waits, second, PENDING_PERIOD_MS / 1000)
    session.notification_wait_done(waits, second, False, wait=59)
    script.wait(1)
    session.disconnect(main)
    return script


def scenario_nw_no_event():
    script = Script("nw_no_event",
                    "NotificationWait completed after five minutes without EventPending "
                    "(no signal), then an Execute: it answers no signal. Cookies sent as one "
                    "Cookie header line each, as in MS-OXCMAPIHTTP 4.2.")
    session, main = _connected(script, cookie_lines=2)
    waits = HttpConnection(script)
    parked = session.notification_wait(waits)
    for _ in range(4):
        session.keepalive(waits, parked, PENDING_PERIOD_MS / 1000)
    session.notification_wait_done(waits, parked, False, wait=60)
    script.wait(2)
    session.execute(main, rb.single([rb.rop_register_notification(2)]))
    return script


def scenario_not_fetched():
    script = Script("not_fetched",
                    "Two NotificationWaits answered with EventPending and no Execute between "
                    "them: the second signal is not_fetched; the Execute after both answers "
                    "both.")
    session, main = _connected(script)
    waits = HttpConnection(script)
    for wait in (45, 30):
        parked = session.notification_wait(waits)
        session.keepalive(waits, parked, wait / 2)
        session.notification_wait_done(waits, parked, True, wait=wait / 2)
        script.wait(0.2)
    script.wait(5)
    session.execute(main, _new_mail_out())
    return script


def _rop_scenario(name, description, rop_out, **options):
    script = Script(name, description)
    session, main = _connected(script)
    script.wait(1)
    session.execute(main, rop_out, **options)
    return script


def _long_class():
    """A class long enough that the buffer compresses well."""
    return "IPM.Note.Microsoft.Approval.Request.Approve.Approve.Approve"


def scenario_compressed():
    rops = [rb.rop_register_notification(1)] + [
        rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000100 + i, _long_class()) for i in range(3)
    ] + [rb.rop_pending(1)]
    return _rop_scenario("rop_compressed", "An Execute response whose RopBuffer is LZ77 "
                         "compressed (RPC_HEADER_EXT Compressed).",
                         rb.single(rops, compress=True))


def scenario_xor():
    return _rop_scenario("rop_xor", "An Execute response whose RopBuffer is XOR-obfuscated "
                         "(RPC_HEADER_EXT XorMagic).", _new_mail_out(xor=True))


def scenario_compressed_xor():
    rops = [rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000200 + i, _long_class())
            for i in range(2)] + [rb.rop_pending(2)]
    return _rop_scenario("rop_compressed_xor", "An Execute response whose RopBuffer is "
                         "compressed, then XOR-obfuscated (both flags).",
                         rb.single(rops, compress=True, xor=True))


def scenario_chained():
    blocks = [
        rb.Block(rops=[rb.rop_register_notification(1)], last=False),
        rb.Block(rops=[rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000301, _long_class())] * 2,
                 compress=True, last=False),
        rb.Block(rops=[rb.new_mail(0x0001A2B4, SENT_ITEMS, 0x4F00000000000302, "IPM.Note"),
                       rb.rop_pending(3)], xor=True, last=True),
    ]
    return _rop_scenario("rop_chained", "Three chained RPC_HEADER_EXT blocks (plain, "
                         "compressed, XOR; only the last flagged Last), NewMail in the second "
                         "and third.", rb.RopBuffer(blocks))


def scenario_rops_before():
    rops = [
        rb.rop_open_folder(1, has_rules=True),
        rb.rop_open_folder(2, ghost_servers=["EXSRV01.example.com", "EXSRV02.example.com"],
                           cheap_server_count=1),
        rb.rop_get_hierarchy_table(3, 12),
        rb.rop_get_contents_table(4, 240),
        rb.rop_set_columns(4),
        rb.rop_sort_table(4, table_status=0x09),
        rb.rop_restrict(4),
        rb.rop_register_notification(5),
        rb.rop_failure(rb.ROP_OPEN_FOLDER, 6, rb.EC_NOT_FOUND),
        rb.rop_failure(rb.ROP_GET_CONTENTS_TABLE, 7, rb.EC_ACCESS_DENIED),
        rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000401, "IPM.Note"),
        rb.rop_pending(4),
    ]
    return _rop_scenario("rops_before_notify", "An Execute response with RopOpenFolder (plain "
                         "and ghosted), RopGetHierarchyTable, RopGetContentsTable, "
                         "RopSetColumns, RopSortTable, RopRestrict, RopRegisterNotification and "
                         "two failure responses before RopNotify NewMail and RopPending.",
                         rb.single(rops, handles=tuple(range(0x20, 0x28))))


def scenario_unsized():
    script = Script("rop_unsized",
                    "Execute responses where a ROP the plugin cannot size comes before "
                    "RopNotify: RopQueryRows (first Execute) and RopGetPropertiesSpecific "
                    "(second). The walk stops there with a note; no RopNotify is shown.")
    session, main = _connected(script)
    row = b"\x00" + struct.pack("<I", 42) + "Inbox".encode("utf-16-le") + b"\x00\x00"
    for unsized in (rb.rop_query_rows(4, row), rb.rop_get_properties_specific(1, row)):
        script.wait(1)
        session.execute(main, rb.single([rb.rop_set_columns(4), unsized,
                                         rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000501),
                                         rb.rop_pending(5)]))
    return script


def scenario_unicode():
    rops = [rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000601, "IPM.Note.SMIME", unicode=True),
            rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000602, "IPM.Note.Rückmeldung",
                        unicode=True, message_flags=0x00000010),
            rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000603, "IPM.Schedule.Meeting.Request"),
            rb.rop_pending(6)]
    return _rop_scenario("unicode_class", "NewMail notifications with a UTF-16LE MessageClass "
                         "(UnicodeFlag 1, one with a non-ASCII class) and an 8-bit one.",
                         rb.single(rops))


def scenario_notify_types():
    rops = [
        rb.rop_notify(0x11, 0, rb.NT_OBJECT_CREATED, folder_id=CALENDAR,
                      parent_folder_id=INBOX, tags=[]),
        rb.rop_notify(0x12, 0, rb.NT_OBJECT_CREATED | rb.NF_MESSAGE, folder_id=INBOX,
                      message_id=0x4F00000000000701, tags=[0x0E070003, 0x0037001F]),
        rb.rop_notify(0x13, 0, rb.NT_OBJECT_DELETED | rb.NF_MESSAGE, folder_id=INBOX,
                      message_id=0x4F00000000000702),
        rb.rop_notify(0x14, 0, rb.NT_OBJECT_MODIFIED | rb.NF_TOTAL_COUNT | rb.NF_UNREAD_COUNT,
                      folder_id=INBOX, tags=[0x36020003, 0x36030003], total_message_count=57,
                      unread_message_count=3),
        rb.rop_notify(0x15, 0, rb.NT_OBJECT_MOVED | rb.NF_MESSAGE, folder_id=SENT_ITEMS,
                      message_id=0x4F00000000000703, old_folder_id=INBOX,
                      old_message_id=0x4F00000000000702),
        rb.rop_notify(0x16, 0, rb.NT_OBJECT_COPIED, folder_id=CALENDAR, parent_folder_id=INBOX,
                      old_folder_id=SENT_ITEMS, old_parent_folder_id=INBOX),
        rb.rop_notify(0x17, 0, rb.NT_SEARCH_COMPLETE, folder_id=CALENDAR),
        rb.rop_notify(0x18, 0, rb.NT_TABLE_MODIFIED, table_event_type=rb.TABLE_CHANGED),
        rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000704, "IPM.Note",
                    extra_flags=rb.NF_UNREAD_COUNT, unread_message_count=4),
        rb.rop_pending(7),
    ]
    return _rop_scenario("notify_types", "RopNotify of every object type (created for a "
                         "folder and a message with tags, deleted, modified with total and "
                         "unread counts, moved, copied), SearchComplete, TableModified, then "
                         "a NewMail with an unread count.", rb.single(rops))


def scenario_many_segments():
    rops = [rb.rop_notify(0x20, 0, rb.NT_OBJECT_MODIFIED | rb.NF_MESSAGE, folder_id=INBOX,
                          message_id=0x4F00000000010000 + i, tags=[])
            for i in range(700)]
    rops += [rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000801), rb.rop_pending(8)]
    return _rop_scenario("many_segments", "An Execute response body of about 20 kB sent as "
                         "seven HTTP chunks over fifteen TCP segments.", rb.single(rops),
                         final_chunks=7)


def scenario_nspi():
    script = Script("nspi", "Address book requests to /mapi/nspi/ (Bind, GetMatches, "
                    "Unbind): named, bodies not decoded.")
    emsmdb, main = _connected(script)
    book = MapiHttpSession(script, "addressbook", endpoint="nspi")
    connection = HttpConnection(script)
    request = book.request(connection, BIND, bind_request_body())
    script.wait(0.02)
    book.respond(connection, request, bind_response_body())
    script.wait(0.5)
    request = book.request(connection, GET_MATCHES, _u32(0, 0) + bytes(16))
    script.wait(0.02)
    book.respond(connection, request, _u32(0, 0) + bytes(12))
    script.wait(0.5)
    request = book.request(connection, UNBIND, unbind_request_body())
    script.wait(0.02)
    book.respond(connection, request, unbind_response_body())
    return script


def scenario_not_mapi():
    script = Script("http_not_mapi", "HTTP that is not MAPI on the same server and port: "
                    "Autodiscover JSON (chunked), an OWA page, a JSON POST, the MAPI health "
                    "check page. Must decode exactly as stock.")
    connection = HttpConnection(script)
    plain_http(connection, "GET", "/autodiscover/autodiscover.json?Email=alex@example.com"
               "&Protocol=MapiHttp", response_type="application/json; charset=utf-8",
               response_body=json.dumps({"Protocol": "MapiHttp", "Url": "https://%s/mapi/emsmdb/"
                                         "?MailboxId=%s" % (HOST, MAILBOX)}).encode(),
               chunked=True)
    script.wait(1)
    plain_http(connection, "GET", "/owa/", response_body=b"<!DOCTYPE html><html><head>"
               b"<title>Outlook</title></head><body>Outlook on the web</body></html>")
    script.wait(1)
    plain_http(connection, "POST", "/api/v2.0/me/sendmail", content_type="application/json",
               body=json.dumps({"Message": {"Subject": "Lunch?"}}).encode(),
               status="202 Accepted", response_body=b"")
    script.wait(1)
    plain_http(connection, "GET", "/mapi/healthcheck.htm",
               response_body=b"200 OK<br/>EXSRV01.example.com<br/>")
    return script


def _bad_scenario(name, description, rop_out, expert="rop", **options):
    script = _rop_scenario(name, description, rop_out, **options)
    response = script.messages[-1]
    response["experts"] = [expert]
    response["bad"] = True
    return script


def scenario_bad_size():
    block = rb.Block(rops=[rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000901), rb.rop_pending(9)],
                     size=0x0200)
    return _bad_scenario("bad_size_past_buffer", "An RPC_HEADER_EXT whose Size (512) runs past "
                         "the RopBuffer: expert info, no ROP decoded from it.",
                         rb.RopBuffer([block], lying=True))


def scenario_bad_size_actual():
    script = Script("bad_size_actual",
                    "SizeActual lies: an uncompressed block with SizeActual != Size, then a "
                    "compressed block whose data expands to fewer bytes than SizeActual says.")
    session, main = _connected(script)
    plain = rb.Block(rops=[rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000A01), rb.rop_pending(10)],
                     size_actual=0x0100)
    packed = rb.Block(rops=[rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000A02 + i,
                                        _long_class()) for i in range(3)],
                      compress=True, size_actual=0x1000)
    for block in (plain, packed):
        script.wait(1)
        session.execute(main, rb.RopBuffer([block], lying=True))
        script.messages[-1]["experts"] = ["rop"]
        script.messages[-1]["bad"] = True
    return script


def scenario_bad_bomb():
    bomb = rb.lz77_bomb(1024)
    block = rb.Block(rops=[], raw=b"A" * 4096, wire=bomb, size_actual=4096,
                     flags=rb.RHE_COMPRESSED | rb.RHE_LAST)
    buffer = rb.RopBuffer([block], lying=True)
    buffer.block_models[0]["expands_to"] = 1 + 1024 * (0xFFFF + 3)
    return _bad_scenario("bad_bomb", "A decompression bomb: %d compressed bytes that expand to "
                         "about 64 MiB, SizeActual 4096." % len(bomb), buffer)


def scenario_bad_truncated():
    script = _bad_scenario("bad_truncated_body", "An Execute response body cut 40 bytes short "
                           "of its RopBufferSize (the HTTP message itself is complete).",
                           _new_mail_out(), truncate=40)
    script.messages[-1]["truncated"] = True    # the RopBuffer field itself is cut
    return script


# --- Several sessions from one client; X-ResponseCode in the HTTP headers ------
# MS-OXCMAPIHTTP 2.2.3.3.2: the GUID of X-RequestId is unique per session
# context and constant for its life, so it ties every request to its Connect
# even where HTTP shows no MapiContext cookie (Exchange sets MapiContext and
# MapiSequence as two Set-Cookie lines, and Wireshark hands a media type's
# dissector only the last one; a client that sends one Cookie line per cookie,
# as 4.2 does, shows only MapiSequence too).

def failure_response_body(status_code, aux=b""):
    """2.2.4.x.3: the failure response body, StatusCode then the auxiliary buffer."""
    return _u32(status_code, len(aux)) + aux


def _connect_together(script, sessions, client=CLIENT):
    """The Connects of several sessions written before any is answered, each on
    its own connection, answered in the reverse order; returns the connections."""
    connections, requests = [], []
    for session in sessions:
        connection = HttpConnection(script, client)
        aux = aux_buffer(1, session.counter + 1)
        requests.append(session.request(connection, CONNECT, connect_request_body(aux),
                                        {"mapihttp.aux_buffer_size": len(aux)}))
        connections.append(connection)
        script.wait(0.003)
    for session, connection, request in reversed(list(zip(sessions, connections, requests))):
        session.respond(connection, request, connect_response_body(),
                        {"mapihttp.status_code": 0, "mapihttp.error_code": 0,
                         "mapihttp.aux_buffer_size": 0}, chunked=False)
        script.wait(0.002)
    return connections


def _joined_mid_session(session, counter):
    """A session whose Connect is not in the capture: the client holds its
    cookies and has sent ``counter`` requests."""
    session.context = "%s-%s" % (session.endpoint, uuid.uuid5(NAMESPACE, session.guid).hex)
    session.cookies = {"MapiContext": session.context,
                       "MapiSequence": "9-%s" % uuid.uuid5(NAMESPACE, session.guid).hex[:16]}
    session.counter = counter


def scenario_sessions():
    script = Script("mapihttp_sessions",
                    "One client, four MAPI/HTTP sessions at once: its own mailbox (one Cookie "
                    "line), a shared mailbox and an archive (one Cookie line per cookie, so "
                    "HTTP shows no MapiContext), their Connects 3 ms apart and answered in "
                    "reverse order, each Connect response setting MapiContext then "
                    "MapiSequence; a delegate mailbox whose Connect is not in the capture. "
                    "Executes, NotificationWaits (two answered with EventPending), a PING "
                    "and keep-alives of all four interleaved on shared connections; every "
                    "message belongs to its own session by its X-RequestId GUID.")
    own = MapiHttpSession(script, "own", cookie_lines=1)
    shared = MapiHttpSession(script, "shared", cookie_lines=2)
    archive = MapiHttpSession(script, "archive", cookie_lines=2)
    delegate = MapiHttpSession(script, "delegate", cookie_lines=2)
    c_own, c_shared, c_archive = _connect_together(script, [own, shared, archive])
    script.wait(0.05)
    # Registrations, each session on the connection another one opened.
    own.execute(c_shared, _register_out(), rop_in=register_rop_in())
    archive.execute(c_own, _register_out(), rop_in=register_rop_in())
    shared.execute(c_archive, _register_out(), rop_in=register_rop_in())
    script.wait(0.1)
    # NotificationWaits parked side by side; the delegate mailbox's is the
    # first of its requests in the capture, which starts its session (README:
    # "MAPI over HTTP", a session's first frame).
    waits = [HttpConnection(script) for _ in range(3)]
    parked = [shared.notification_wait(waits[0])]
    script.wait(0.02)
    _joined_mid_session(delegate, 41)
    parked.append(delegate.notification_wait(waits[1]))
    script.sessions[delegate.name] = parked[-1]["request"]
    script.wait(0.02)
    parked.append(own.notification_wait(waits[2]))
    script.wait(5)
    archive.ping(c_shared)
    delegate.execute(c_own, rb.single([rb.rop_register_notification(3)]))
    for session, connection, response in zip((shared, delegate, own), waits, parked):
        session.keepalive(connection, response, PENDING_PERIOD_MS / 1000)
    # The shared mailbox gets mail: its wait ends, its Execute fetches; the
    # own mailbox's Execute between them answers no signal.
    shared.notification_wait_done(waits[0], parked[0], True, wait=3)
    script.wait(0.05)
    own.execute(c_archive, _register_out(), rop_in=register_rop_in())
    script.wait(0.2)
    shared.execute(c_own, _new_mail_out(message_id=0x4F00000000000E01))
    script.wait(0.1)
    # The delegate mailbox too, while the own mailbox's wait ends empty.
    delegate.notification_wait_done(waits[1], parked[1], True, wait=2)
    own.notification_wait_done(waits[2], parked[2], False, wait=0.01)
    script.wait(0.3)
    archive.execute(c_shared, _register_out(), rop_in=register_rop_in())
    delegate.execute(c_archive, _new_mail_out(message_id=0x4F00000000000E02))
    script.wait(1)
    for session, connection in ((archive, c_archive), (shared, c_shared), (own, c_own)):
        session.disconnect(connection)
        script.wait(0.01)
    return script


def scenario_response_code_header():
    script = Script("mapihttp_response_code",
                    "X-ResponseCode only in the HTTP headers, none after DONE "
                    "(MS-OXCMAPIHTTP 2.2.2.2): an Execute answered with 0 and its ROP "
                    "buffer; a NotificationWait answered with 10 (Context Not Found) and the "
                    "failure body; an Execute answered with 6 (Invalid Context Cookie), not "
                    "chunked, whose failure body carries an auxiliary buffer; then a "
                    "NotificationWait answered with 0 and EventPending, and its fetch.")
    session, main = _connected(script)
    waits = HttpConnection(script)
    script.wait(0.5)
    # 0 in the HTTP headers only: the ROP buffer as usual.
    request = session.request(
        main, EXECUTE, execute_request_body(fetch_rop_in().data, 0, 0x40000),
        {"mapihttp.flags": 0, "mapihttp.max_rop_out": 0x40000}, rop=fetch_rop_in().model())
    script.wait(0.02)
    out = rb.single([rb.rop_register_notification(2)])
    session.respond(main, request, execute_response_body(out.data),
                    {"mapihttp.status_code": 0, "mapihttp.error_code": 0,
                     "mapihttp.rop_buffer_size": len(out), "mapihttp.aux_buffer_size": 0},
                    rop=out.model(), response_code=None)
    script.wait(1)
    # 10 Context Not Found: the failure body, no EventPending, no signal.
    request = session.request(waits, NOTIFICATION_WAIT, notification_wait_request_body(),
                              {"mapihttp.flags": 0, "mapihttp.aux_buffer_size": 0})
    script.wait(0.01)
    response = session.respond(waits, request, failure_response_body(10),
                               {"mapihttp.status_code": 10, "mapihttp.aux_buffer_size": 0},
                               header_code=10, response_code=None)
    response["failure"] = True
    script.wait(1)
    # 6 Invalid Context Cookie, not chunked, with an auxiliary buffer.
    aux = aux_buffer(1, session.counter + 1)
    request = session.request(
        main, EXECUTE, execute_request_body(fetch_rop_in().data, 0, 0x40000),
        {"mapihttp.flags": 0, "mapihttp.max_rop_out": 0x40000}, rop=fetch_rop_in().model())
    script.wait(0.02)
    response = session.respond(main, request, failure_response_body(6, aux),
                               {"mapihttp.status_code": 6, "mapihttp.aux_buffer_size": len(aux)},
                               chunked=False, header_code=6, response_code=None)
    response["failure"] = True
    script.wait(1)
    # 0 again: a signal and the Execute that fetches it.
    parked = session.notification_wait(waits)
    session.notification_wait_done(waits, parked, True, wait=4)
    script.wait(0.3)
    session.execute(main, _new_mail_out(message_id=0x4F00000000000F01))
    return script


# --- EcDoRpcExt2 over DCE/RPC (MS-OXCRPC 3.1.4.2) ---------------------------
# Built here because newmail_gen/pcap.py has no EcDoRpcExt2 builders yet;
# MapiSession.call() carries them as opnum 11.

OPNUM_RPC_EXT2 = 11


def rpc_ext2_request_stub(handle, rgb_in, little_endian=True, flags=0, pcb_out=0x40000,
                          aux_in=None, pcb_aux_out=0x1008):
    """[in,out,ref] CXH *pcxh, [in,out] ulong *pulFlags, [in, size_is(cbIn)] byte
    rgbIn[], [in] ulong cbIn, [in,out] ulong *pcbOut, [in, size_is(cbAuxIn)] byte
    rgbAuxIn[], [in] ulong cbAuxIn, [in,out] ulong *pcbAuxOut."""
    aux_in = aux_buffer(1, 1) if aux_in is None else aux_in
    ndr = nm.NdrWriter(little_endian).raw(handle).u32(flags)
    ndr.conformant_array(rgb_in).u32(len(rgb_in)).u32(pcb_out)
    ndr.conformant_array(aux_in).u32(len(aux_in)).u32(pcb_aux_out)
    return ndr.getvalue()


def rpc_ext2_response_stub(handle, rgb_out, little_endian=True, flags=0, trans_time=12,
                           status=0):
    """pcxh, pulFlags, rgbOut (conformant varying: max, offset 0, actual,
    bytes), pcbOut, rgbAuxOut (empty), pcbAuxOut, pulTransTime, return value."""
    ndr = nm.NdrWriter(little_endian).raw(handle).u32(flags)
    ndr.u32(len(rgb_out)).u32(0).u32(len(rgb_out)).raw(rgb_out).u32(len(rgb_out))
    ndr.u32(0).u32(0).u32(0).u32(0)
    return ndr.u32(trans_time).u32(status).getvalue()


def scenario_rpc_ext2(fileobj):
    """EcDoRpcExt2 calls whose rgbOut carries RopNotify; played straight into
    a pcap (DCE/RPC framing from newmail_gen/pcap.py)."""
    net = nm.Network(fileobj)
    calls = []
    outs = [
        ("plain", rb.single([rb.rop_register_notification(1),
                             rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000B01, "IPM.Note"),
                             rb.rop_pending(11)])),
        ("compressed_xor", rb.single(
            [rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000B02 + i, _long_class())
             for i in range(2)] + [rb.rop_pending(11)], compress=True, xor=True)),
        ("chained", rb.RopBuffer([
            rb.Block(rops=[rb.rop_open_folder(1)], last=False),
            rb.Block(rops=[rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000B05, "IPM.Note"),
                           rb.rop_pending(11)], xor=True)])),
        ("unicode", rb.single([rb.new_mail(0x0001A2B3, INBOX, 0x4F00000000000B06,
                                           "IPM.Note.Rückmeldung", unicode=True)])),
    ]
    sessions = [nm.MapiSession(net, CLIENT, 50300, SERVER, little_endian=True),
                nm.MapiSession(net, CLIENT2, 50301, SERVER, little_endian=False)]
    for session in sessions:
        session.connect()
        for label, out in outs:
            net.clock.advance(1)
            rgb_in = fetch_rop_in()
            call = session.call(OPNUM_RPC_EXT2,
                                rpc_ext2_request_stub(session.handle, rgb_in.data,
                                                      session.little_endian),
                                rpc_ext2_response_stub(session.handle, out.data,
                                                       session.little_endian))
            calls.append({"label": label, "drep": "le" if session.little_endian else "be",
                          "cxh": session.handle.hex(), "client": session.client,
                          "request_frame": call.request_frame,
                          "response_frame": call.response_frame,
                          "request_rop": rgb_in.model(), "rop": out.model()})
        session.tcp.close()
    return {"file": "rpc_ext2.pcap",
            "description": "EcDoRpcExt2 (EMSMDB opnum 11) calls whose rgbOut carries "
                           "RopNotify NewMail: plain, compressed+XOR, chained, Unicode class; "
                           "once little-endian, once big-endian NDR.",
            "rpc_calls": calls, "messages": [], "signals": [], "fetches": [], "stats": {},
            "sessions": {}}


def example_script():
    """examples/mapihttp-newmail.pcap: the smallest whole story, for the README."""
    script = Script("mapihttp-newmail",
                    "MAPI over HTTP (plain HTTP behind TLS offload): Outlook connects and "
                    "registers for notifications, parks a NotificationWait that Exchange "
                    "answers with EventPending after two keep-alives, and fetches the "
                    "RopNotify NewMail with an Execute.")
    session, main = _connected(script)
    waits = HttpConnection(script)
    parked = session.notification_wait(waits)
    for _ in range(2):
        session.keepalive(waits, parked, PENDING_PERIOD_MS / 1000)
    session.notification_wait_done(waits, parked, True, wait=12.5)
    script.wait(0.4)
    session.execute(main, _new_mail_out(message_id=0x4F00000000000D01))
    return script


class ExampleCapture:
    """A played script in the shape examples/make_examples.py's Example has:
    no UDP notification, registration or unregistration; ``entry`` is its
    manifest entry."""

    def __init__(self, script):
        self.description = script.description
        self._data, self.entry = play(script)
        self.notifications, self.registrations, self.unregistrations = [], [], []
        self.net = argparse.Namespace(frames=self.entry["frames"])

    def getvalue(self):
        return self._data


SCENARIOS = [scenario_session, scenario_nw_no_event, scenario_not_fetched, scenario_compressed,
             scenario_xor, scenario_compressed_xor, scenario_chained, scenario_rops_before,
             scenario_unsized, scenario_unicode, scenario_notify_types, scenario_many_segments,
             scenario_nspi, scenario_not_mapi, scenario_bad_size, scenario_bad_size_actual,
             scenario_bad_bomb, scenario_bad_truncated, scenario_sessions,
             scenario_response_code_header]


def play(script):
    """(pcap bytes, manifest entry) of a script."""
    buffer = io.BytesIO()
    player = PcapPlayer(script, buffer)
    frames, times = player.play()
    entry = resolve(script, frames, times)
    entry["frames"] = player.net.frames
    return buffer.getvalue(), entry


def build_all():
    """{name: (pcap bytes, manifest entry)} of every scenario, in memory."""
    built = {}
    for make in SCENARIOS:
        script = make()
        built[script.name] = play(script)
    buffer = io.BytesIO()
    entry = scenario_rpc_ext2(buffer)
    built["rpc_ext2"] = (buffer.getvalue(), entry)
    return built


def _jsonable(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", metavar="DIR", help="folder for the pcaps and manifest.json")
    parser.add_argument("--list", action="store_true", help="print the scenarios' frames")
    args = parser.parse_args(argv)
    if not args.out and not args.list:
        parser.error("give --out DIR or --list")
    built = build_all()
    if args.list:
        for name, (_, entry) in built.items():
            frames = ["%d %s %s" % (m["frame"], m.get("request_type") or m.get("method") or
                                    m.get("status"), m["direction"])
                      for m in entry["messages"]]
            print("%s: %s" % (name, "; ".join(frames)))
        return 0
    os.makedirs(args.out, exist_ok=True)
    manifest = {"scenarios": {}}
    for name, (data, entry) in built.items():
        with open(os.path.join(args.out, entry["file"]), "wb") as handle:
            handle.write(data)
        manifest["scenarios"][name] = _jsonable(entry)
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
        handle.write("\n")
    print("%d captures and manifest.json in %s" % (len(built), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
