#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the HTTP load captures of the benchmark: plain HTTP, or MAPI over HTTP.

Usage (Debian's /usr/bin/python3, standard library only):
  http_load.py --kind http FRAMES [--seed S] --out FILE
      ordinary web traffic: HTTP/1.1 GETs and POSTs of HTML and JSON on
      keep-alive connections, no MAPI (BENCHMARKS.md: the plugin must cost
      nothing there)
  http_load.py --kind mapi FRAMES [--sessions N] [--event-interval S]
      [--sync-interval S] [--wait-timeout S] [--seed S] --out FILE
      a MAPI/HTTP-heavy capture: many Outlook sessions (Connect, Execute,
      NotificationWait parked with keep-alives and answered with EventPending,
      the Execute that fetches, PING)
Both print one line, "FILE: N frames (count name, count name, ...) in T s",
which bench/bench.py reads. The output is deterministic (same arguments,
same bytes) and written as a stream: memory grows with the sessions and
connections open, not with the frames.

Framing is newmail_gen/pcap.py's (Ethernet, IPv4, TCP with consistent
sequence numbers: Wireshark sees no loss, retransmission or full window).
Plain HTTP is built here; MAPI/HTTP messages are newmail_gen/mapihttp.py's
(MapiHttpSession: headers, cookies, request ids, chunked responses with
PROCESSING/PENDING/DONE, the body builders of MS-OXCMAPIHTTP 2.2.4) and the
ROP buffers newmail_gen/rop.py's. Instead of mapihttp_gen's Script and player,
which keep a whole scenario in memory to build a test manifest, StreamScript
below writes each message as it is made.

The plain HTTP capture (--kind http), frame by frame:
  * 4,096 client hosts (10.64.0.0/16) talk to 8 web servers (203.0.113.80-87,
    port 80); 48 connections are open at any time and each next frame comes
    from a randomly chosen one, so messages interleave at the segment level.
  * A connection: handshake, 1 to 12 exchanges, then FIN/ACK both ways. An
    exchange is a request (70 % GET of a page or an API resource, 30 % POST
    of a JSON or form body) and its response: 200 with HTML (0.5 to 60 kB) or
    JSON (0.1 to 16 kB), a fifth of them chunked; 10 % 304 Not Modified, 2 %
    404. Bodies go out in 1,460-byte segments; the client ACKs every second
    segment of a response and the last one.
The MAPI/HTTP capture (--kind mapi), per Outlook client (its own address in
10.80.0.0/16, two connections to the server 198.51.100.20:80 as Outlook
opens them, "main" and "waits"):
  * Connect on main (request; response 30 ms later, not chunked), then an
    Execute with RopRegisterNotification; the clients start spread over the
    first minute.
  * A NotificationWait parked on waits: PENDING keep-alives every 60 s
    (X-PendingPeriod); when an event arrives for the client (each client on
    average every --event-interval seconds, exponential gaps) the server ends
    it with EventPending; 0.1 to 2 s later the client Executes to fetch (its
    response holds RopNotify NewMail and RopPending, some XOR-obfuscated, some
    LZ77-compressed) and then parks the next wait. A wait with no event for
    --wait-timeout seconds ends without EventPending and is parked again.
  * Sync Executes on main, each client on average every --sync-interval
    seconds: RopOpenFolder, RopGetContentsTable, RopSetColumns (and RopQueryRows
    with a few kB of rows in half of them, compressed) and their responses.
  * A PING every 5 minutes or so.
  Responses start 20 to 80 ms after their request; every data write that is
  not answered at once is ACKed by the receiver.
"""

import argparse
import heapq
import json
import math
import os
import random
import struct
import sys
import time

from newmail_gen import mapihttp as mh
from newmail_gen import pcap as nm
from newmail_gen import rop as rb

HERE = os.path.dirname(os.path.abspath(__file__))

MSS = 1460
STEP_US = 200                 # virtual time between frames when nothing waits


def _segments(length):
    return max(1, -(-length // MSS))


# --------------------------------------------------------------------------
# Plain HTTP
# --------------------------------------------------------------------------

HTTP_CLIENTS = 4096
HTTP_SERVERS = ["203.0.113.%d" % (80 + i) for i in range(8)]
HTTP_OPEN = 48
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
)
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
         "exercitation ullamco laboris nisi aliquip ex ea commodo consequat").split()
PAGES = ("/", "/index.html", "/news/", "/products/", "/about.html", "/search?q=%s",
         "/blog/%s.html", "/docs/%s/", "/static/%s.html")
APIS = ("/api/v1/items?page=%d", "/api/v1/users/%d", "/api/v1/orders/%d", "/api/v1/status",
        "/graphql", "/api/v2/search?term=%s")
POST_APIS = ("/api/v1/orders", "/api/v1/search", "/graphql", "/api/v1/events")
POST_FORMS = ("/contact/submit", "/login", "/comments/new")


def _text(rng, words):
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _html(rng, size):
    parts = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>%s</title><link rel=\"stylesheet\" href=\"/static/site.css\">"
             "</head><body>\n" % _text(rng, 4)]
    length = len(parts[0])
    while length < size:
        part = "<div class=\"item\"><h2>%s</h2><p>%s</p><a href=\"/%s/%d\">%s</a></div>\n" % (
            _text(rng, 3), _text(rng, rng.randrange(10, 60)), rng.choice(WORDS),
            rng.randrange(10000), _text(rng, 2))
        parts.append(part)
        length += len(part)
    parts.append("</body></html>\n")
    return "".join(parts).encode("ascii")


def _json_doc(rng, size):
    items, length = [], 2
    while length < size:
        item = {"id": rng.randrange(1 << 20), "name": _text(rng, 2),
                "price": round(rng.uniform(1, 500), 2), "tags": [rng.choice(WORDS)
                                                                for _ in range(3)],
                "available": rng.random() < 0.8, "description": _text(rng, 12)}
        text = json.dumps(item)
        items.append(text)
        length += len(text) + 1
    return ("[" + ",".join(items) + "]").encode("ascii")


class _HttpBodies:
    """A pool of response and request bodies, made once (the generator then
    spends its time on framing, not on text)."""

    def __init__(self, rng):
        def sizes(low, high, count):
            # log-uniform: many small, some large
            return [int(math.exp(rng.uniform(math.log(low), math.log(high))))
                    for _ in range(count)]
        self.html = [_html(rng, n) for n in sizes(500, 60000, 48)]
        self.json = [_json_doc(rng, n) for n in sizes(100, 16000, 48)]
        self.posts = [json.dumps({"query": _text(rng, 3), "page": rng.randrange(9),
                                  "filters": {w: rng.random() < 0.5
                                              for w in rng.sample(WORDS, 5)},
                                  "comment": _text(rng, rng.randrange(5, 200))}
                                 ).encode("ascii") for _ in range(32)]
        self.forms = [("name=%s&email=%s%%40example.com&message=%s" % (
            rng.choice(WORDS), rng.choice(WORDS), "+".join(_text(rng, 40).split()))
        ).encode("ascii") for _ in range(16)]
        self.not_found = _html(rng, 300)


def _http_head(first_line, headers):
    return (first_line + "\r\n" + "".join("%s: %s\r\n" % h for h in headers)
            + "\r\n").encode("ascii")


def _chunked(body, rng):
    out, at = [], 0
    while at < len(body):
        size = rng.randrange(1000, 8000)
        piece = body[at:at + size]
        out.append(b"%X\r\n" % len(piece) + piece + b"\r\n")
        at += size
    return b"".join(out) + b"0\r\n\r\n"


class HttpLoad:
    """Writes the plain HTTP capture; ``counts`` says what it holds."""

    def __init__(self, net, rng):
        self.net = net
        self.rng = rng
        self.bodies = _HttpBodies(rng)
        self.counts = dict.fromkeys(("connections", "requests", "gets", "posts",
                                     "html_responses", "json_responses", "chunked_responses",
                                     "not_modified", "not_found"), 0)
        self._connections = 0
        self._open = [self._connection() for _ in range(HTTP_OPEN)]

    def frame(self):
        """Write the next frame of a random open connection."""
        slot = self.rng.randrange(HTTP_OPEN)
        try:
            next(self._open[slot])
        except StopIteration:
            self._open[slot] = self._connection()
            next(self._open[slot])

    def _connection(self):
        number = self._connections
        self._connections += 1
        self.counts["connections"] += 1
        rng = self.rng
        client = "10.64.%d.%d" % divmod(rng.randrange(HTTP_CLIENTS) + 1, 256)
        stream = nm.TcpStream(self.net, client, 49152 + number % 16384,
                              rng.choice(HTTP_SERVERS), 80,
                              client_isn=rng.randrange(1 << 32),
                              server_isn=rng.randrange(1 << 32))
        return self._life(stream, rng.choice(USER_AGENTS), rng.randrange(1, 13))

    def _send(self, stream, from_client, data, ack_every=0):
        """Yield after each segment of ``data``; with ``ack_every`` the peer
        ACKs every that many segments and the last."""
        pieces = _segments(len(data))
        cuts = [len(data) * i // pieces for i in range(pieces + 1)]
        for i in range(pieces):
            flags = nm.TCP_ACK | (nm.TCP_PSH if i == pieces - 1 else 0)
            yield stream.segment(from_client, flags, data[cuts[i]:cuts[i + 1]])
            if ack_every and ((i + 1) % ack_every == 0 or i == pieces - 1):
                yield stream.segment(not from_client, nm.TCP_ACK)

    def _life(self, stream, agent, exchanges):
        yield from _handshake_frames(stream)
        for _ in range(exchanges):
            request, response = self._exchange(agent)
            yield from self._send(stream, True, request)
            yield from self._send(stream, False, response, ack_every=2)
        yield stream.segment(True, nm.TCP_FIN | nm.TCP_ACK)
        yield stream.segment(False, nm.TCP_FIN | nm.TCP_ACK)
        yield stream.segment(True, nm.TCP_ACK)

    def _exchange(self, agent):
        rng, bodies, counts = self.rng, self.bodies, self.counts
        counts["requests"] += 1
        host = "www.example.com"
        headers = [("Host", host), ("User-Agent", agent),
                   ("Accept-Language", "en-US,en;q=0.9"), ("Accept-Encoding", "identity"),
                   ("Connection", "keep-alive")]
        api = rng.random() < 0.4
        if rng.random() < 0.3:
            counts["posts"] += 1
            if api:
                body, kind = rng.choice(bodies.posts), "application/json"
                path = rng.choice(POST_APIS)
            else:
                body, kind = rng.choice(bodies.forms), "application/x-www-form-urlencoded"
                path = rng.choice(POST_FORMS)
            request = _http_head("POST %s HTTP/1.1" % path, headers + [
                ("Accept", "application/json" if api else "text/html"),
                ("Content-Type", kind), ("Content-Length", str(len(body)))]) + body
        else:
            counts["gets"] += 1
            template = rng.choice(APIS if api else PAGES)
            path = template % (rng.randrange(1000) if "%d" in template else rng.choice(WORDS)) \
                if "%" in template else template
            extra = [("Accept", "application/json" if api else
                      "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]
            if rng.random() < 0.3:
                extra.append(("Cookie", "sid=%016x; theme=%s" % (rng.randrange(1 << 64),
                                                                 rng.choice(WORDS))))
            if rng.random() < 0.15:
                extra.append(("If-None-Match", "\"%08x\"" % rng.randrange(1 << 32)))
            request = _http_head("GET %s HTTP/1.1" % path, headers + extra)
        server = [("Server", "nginx/1.22.1"), ("Date", "Thu, 01 Jan 2026 00:00:00 GMT")]
        pick = rng.random()
        if pick < 0.10:
            counts["not_modified"] += 1
            return request, _http_head("HTTP/1.1 304 Not Modified", server + [
                ("ETag", "\"%08x\"" % rng.randrange(1 << 32))])
        if pick < 0.12:
            counts["not_found"] += 1
            body = bodies.not_found
            return request, _http_head("HTTP/1.1 404 Not Found", server + [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body)))]) + body
        if api:
            counts["json_responses"] += 1
            body, kind = rng.choice(bodies.json), "application/json"
        else:
            counts["html_responses"] += 1
            body, kind = rng.choice(bodies.html), "text/html; charset=utf-8"
        headers = server + [("Content-Type", kind), ("Cache-Control", "max-age=60")]
        if rng.random() < 0.2:
            counts["chunked_responses"] += 1
            return request, _http_head("HTTP/1.1 200 OK", headers + [
                ("Transfer-Encoding", "chunked")]) + _chunked(body, rng)
        return request, _http_head("HTTP/1.1 200 OK", headers + [
            ("Content-Length", str(len(body)))]) + body


def _handshake_frames(stream):
    """TcpStream.handshake, one frame at a time."""
    mss = b"\x02\x04\x05\xb4"
    yield stream.segment(True, nm.TCP_SYN, options=mss)
    yield stream.segment(False, nm.TCP_SYN | nm.TCP_ACK, options=mss)
    yield stream.segment(True, nm.TCP_ACK)


def write_http(fileobj, frames, seed):
    rng = random.Random(seed)
    net = nm.Network(fileobj, nm.Clock(step_us=STEP_US))
    load = HttpLoad(net, rng)
    while net.frames < frames:
        load.frame()
    return load.counts


# --------------------------------------------------------------------------
# MAPI over HTTP
# --------------------------------------------------------------------------

MAPI_SERVER = mh.SERVER
PENDING_SECONDS = mh.PENDING_PERIOD_MS / 1000
PING_INTERVAL = 300.0
START_SPREAD = 60.0


class _Discard:
    """A list that keeps nothing: the script's message models are not needed."""

    def append(self, _item):
        pass


class StreamScript:
    """What mapihttp_gen.MapiHttpSession writes through, written at once.

    It stands in for mapihttp_gen.Script: ``connection`` opens a TCP
    connection (its handshake goes out before its first write), ``write``
    sends the bytes in MSS-sized segments at the current virtual time,
    ``wait`` lets time pass before the next write, and message models are
    dropped. ``ack`` writes a bare ACK from the receiving side.
    """

    def __init__(self, name, net):
        self.name = name
        self.net = net
        self.server = MAPI_SERVER
        self.port = mh.HTTP_PORT
        self.connections = []
        self._streams = []
        self.messages = _Discard()
        self.sessions = {}
        self._pending = 0.0

    def date(self):
        return mh._http_date(self.net.clock.now)

    def connection(self, client=None):
        number = len(self.connections)
        self.connections.append(client)
        self._streams.append(None)
        return number

    def wait(self, seconds):
        self._pending += seconds

    def _stream(self, conn):
        stream = self._streams[conn]
        if stream is None:
            stream = self._streams[conn] = nm.TcpStream(
                self.net, self.connections[conn], 49152 + conn % 16384, self.server,
                self.port, client_isn=(0x11000000 + 0x9E3779B1 * conn) & 0xFFFFFFFF,
                server_isn=(0x51000000 + 0x7F4A7C15 * conn) & 0xFFFFFFFF)
            stream.handshake()
        return stream

    def write(self, conn, from_client, data):
        if self._pending:
            self.net.clock.advance(self._pending)
            self._pending = 0.0
        self._stream(conn).send(from_client, data, _segments(len(data)))
        return 0

    def ack(self, conn, from_client):
        self._stream(conn).segment(from_client, nm.TCP_ACK)

    def message(self, **model):
        return model


def _notify_replies():
    """Fetch responses: RopNotify NewMail + RopPending, plain, XOR and (three
    notifications with a long class) compressed."""
    replies = []
    for i in range(6):
        rops = [rb.new_mail(0x0001A2B3, mh.INBOX, 0x4F00000000200000 + i,
                            ("IPM.Note", "IPM.Schedule.Meeting.Request")[i % 2]),
                rb.rop_pending(1)]
        replies.append(rb.single(rops, xor=i % 3 == 1).data)
    long_class = "IPM.Note.Microsoft.Approval.Request.Approve.Approve.Approve"
    rops = [rb.new_mail(0x0001A2B3, mh.INBOX, 0x4F00000000210000 + i, long_class)
            for i in range(3)] + [rb.rop_pending(1)]
    replies.append(rb.single(rops, compress=True).data)
    return replies


def _sync_pairs(rng):
    """(request RopBuffer bytes, response RopBuffer bytes) of folder syncs:
    RopOpenFolder, RopGetContentsTable, RopSetColumns, in half of them
    RopQueryRows with a few kB of rows (compressed). Request ROPs per
    MS-OXCROPS 2.2.4.1.1, 2.2.4.14.1, 2.2.5.1.1, 2.2.5.4.1."""
    pairs = []
    for i in range(8):
        folder = struct.pack("<Q", 0x0D00000000000001 + (i << 40))
        tags = [0x0037001F, 0x0E060040, 0x0E070003, 0x0E080003]
        requests = [bytes([0x02, 0, 0, 1]) + folder + b"\x00",
                    bytes([0x05, 0, 1, 2, 0x00]),
                    bytes([0x12, 0, 2, 0x00]) + struct.pack("<H", len(tags))
                    + b"".join(struct.pack("<I", t) for t in tags)]
        responses = [rb.rop_open_folder(1), rb.rop_get_contents_table(2, rng.randrange(5, 900)),
                     rb.rop_set_columns(2)]
        compress = False
        if i % 2:
            requests.append(bytes([0x15, 0, 2, 0x00, 0x01]) + struct.pack("<H", 50))
            rows = b"".join(b"\x00" + ("Subject %d %s" % (n, _text(rng, 6))).encode(
                "utf-16-le") + b"\x00\x00" + struct.pack("<QII", rng.randrange(1 << 60),
                                                        rng.randrange(1 << 20), 1)
                for n in range(rng.randrange(10, 50)))
            responses.append(rb.rop_query_rows(2, rows, row_count=50))
            compress = True
        rop_in = rb.RopBuffer([rb.Block(rops=requests, handles=(0x00000001, 0xFFFFFFFF,
                                                                0xFFFFFFFF))]).data
        rop_out = rb.single(responses, handles=(0x00000001, 0x00000021, 0x00000022),
                            compress=compress).data
        pairs.append((rop_in, rop_out))
    return pairs


class _MapiClient:
    __slots__ = ("session", "main", "waits", "parked", "wait_serial", "fetch_due",
                 "main_free")

    def __init__(self):
        self.session = self.main = self.waits = self.parked = None
        self.wait_serial = 0
        self.fetch_due = False
        self.main_free = 0      # virtual time (us) from which main is idle


class MapiLoad:
    """Writes the MAPI/HTTP capture; ``counts`` says what it holds."""

    def __init__(self, net, rng, sessions, event_interval, sync_interval, wait_timeout):
        self.net = net
        self.rng = rng
        self.script = StreamScript("mapi-load", net)
        self.sessions = sessions
        self.event_interval = event_interval
        self.sync_interval = sync_interval
        self.wait_timeout = wait_timeout
        self.clients = []
        self.counts = dict.fromkeys((
            "sessions", "connects", "executes", "fetch_executes", "sync_executes",
            "notification_waits", "event_pending", "wait_timeouts", "keepalives", "pings"), 0)
        self._replies = _notify_replies()
        self._sync = _sync_pairs(rng)
        self._register_in = mh.register_rop_in().data
        self._register_out = rb.single([rb.rop_register_notification(1)]).data
        self._fetch_in = mh.fetch_rop_in().data
        self._due = []
        self._serial = 0
        start = net.clock.now
        for index in range(sessions):
            self._at(start + int(rng.uniform(0, START_SPREAD) * 1e6), self._start, index)
        self._at(start + self._gap(event_interval / sessions), self._event, None)
        if sync_interval:
            self._at(start + self._gap(sync_interval / sessions), self._sync_draw, None)

    # --- scheduling -----------------------------------------------------------

    def _gap(self, mean_seconds):
        return int(self.rng.expovariate(1.0 / mean_seconds) * 1e6)

    def _at(self, when_us, action, arg):
        self._serial += 1
        heapq.heappush(self._due, (when_us, self._serial, action, arg))

    def _after(self, seconds, action, arg):
        self._at(self.net.clock.now + int(seconds * 1e6), action, arg)

    def step(self):
        """Write the next thing due."""
        when, _, action, arg = heapq.heappop(self._due)
        clock = self.net.clock
        if when > clock.now:
            clock.now = when
        action(arg)

    def _latency(self):
        return self.rng.uniform(0.02, 0.08)

    def _on_main(self, client, seconds, action, arg):
        """Run ``action`` on the main connection ``seconds`` from now, or
        once its exchange in progress is over (HTTP/1.1, no pipelining)."""
        when = max(self.net.clock.now + int(seconds * 1e6), client.main_free)
        client.main_free = when + 200000     # request and response, with room
        self._at(when, action, arg)

    # --- one exchange ---------------------------------------------------------

    def _respond(self, args):
        client, connection, request, body, chunked, ack = args
        client.session.respond(connection, request, body, chunked=chunked, wait=0.0)
        if ack:
            self.script.ack(connection.conn, True)

    def _request(self, client, connection, request_type, body, response_body, chunked=True):
        request = client.session.request(connection, request_type, body)
        self._after(self._latency(), self._respond,
                    (client, connection, request, response_body, chunked, True))
        return request

    def _execute(self, client, rop_in, rop_out):
        aux = mh.aux_buffer(1, client.session.counter + 1)
        self.counts["executes"] += 1
        self._request(client, client.main, mh.EXECUTE,
                      mh.execute_request_body(rop_in, 0, 0x40000, aux),
                      mh.execute_response_body(rop_out))

    # --- what a client does ---------------------------------------------------

    def _start(self, index):
        client = _MapiClient()
        host = "10.80.%d.%d" % divmod(index + 1, 256)
        client.session = mh.MapiHttpSession(self.script, "client-%d" % index)
        client.main = mh.HttpConnection(self.script, host)
        client.waits = mh.HttpConnection(self.script, host)
        self.clients.append(client)
        self.counts["sessions"] += 1
        self.counts["connects"] += 1
        aux = mh.aux_buffer(1, 1)
        request = client.session.request(client.main, mh.CONNECT, mh.connect_request_body(aux))
        self._after(0.03, self._respond, (client, client.main, request,
                                          mh.connect_response_body(), False, False))
        client.main_free = self.net.clock.now + 100000
        self._on_main(client, 0.1, self._register, client)
        self._after(0.4, self._park, client)
        self._after(self.rng.uniform(0, PING_INTERVAL), self._ping, client)

    def _register(self, client):
        self._execute(client, self._register_in, self._register_out)

    def _park(self, client):
        """A NotificationWait request; the server answers with the head and
        PROCESSING 10 ms later and holds the rest."""
        self.counts["notification_waits"] += 1
        request = client.session.request(client.waits, mh.NOTIFICATION_WAIT,
                                         mh.notification_wait_request_body())
        client.wait_serial += 1
        self._after(0.01, self._wait_head, (client, request, client.wait_serial))

    def _wait_head(self, args):
        client, request, serial = args
        client.parked = client.session.start(client.waits, request)
        self.script.ack(client.waits.conn, True)
        self._next_tick(client, serial, 0.0)

    def _next_tick(self, client, serial, held):
        """The parked wait's next keep-alive, or its end at the timeout."""
        at = min(held + PENDING_SECONDS, self.wait_timeout)
        self._after(at - held, self._tick, (client, serial, at))

    def _tick(self, args):
        client, serial, held = args
        if client.parked is None or client.wait_serial != serial:
            return          # answered already
        if held >= self.wait_timeout:
            self._end_wait(client, False)
            self.counts["wait_timeouts"] += 1
            self._after(0.005, self._park, client)
            return
        client.session.keepalive(client.waits, client.parked, 0)
        self.script.ack(client.waits.conn, True)
        self.counts["keepalives"] += 1
        self._next_tick(client, serial, held)

    def _end_wait(self, client, event_pending):
        client.session.finish(client.waits, client.parked,
                              mh.notification_wait_response_body(event_pending), wait=0.0)
        self.script.ack(client.waits.conn, True)
        client.parked = None

    def _event(self, _arg):
        """Something arrives for a random client (a global Poisson stream)."""
        self._after(self._gap(self.event_interval / self.sessions) / 1e6, self._event, None)
        if not self.clients:
            return
        client = self.rng.choice(self.clients)
        if client.parked is None or client.fetch_due:
            return          # no wait parked: the next one is answered, or the fetch takes it
        self._end_wait(client, True)
        self.counts["event_pending"] += 1
        client.fetch_due = True
        self._on_main(client, self.rng.uniform(0.1, 2.0), self._fetch, client)

    def _fetch(self, client):
        self.counts["fetch_executes"] += 1
        self._execute(client, self._fetch_in, self.rng.choice(self._replies))
        client.fetch_due = False
        self._after(0.15, self._park, client)

    def _sync_draw(self, _arg):
        self._after(self._gap(self.sync_interval / self.sessions) / 1e6, self._sync_draw, None)
        if not self.clients:
            return
        client = self.rng.choice(self.clients)
        self._on_main(client, 0.0, self._sync_execute, client)

    def _sync_execute(self, client):
        self.counts["sync_executes"] += 1
        rop_in, rop_out = self.rng.choice(self._sync)
        self._execute(client, rop_in, rop_out)

    def _ping(self, client):
        self._on_main(client, 0.0, self._ping_now, client)
        self._after(PING_INTERVAL * self.rng.uniform(0.8, 1.2), self._ping, client)

    def _ping_now(self, client):
        self.counts["pings"] += 1
        self._request(client, client.main, mh.PING, b"", b"")


def write_mapi(fileobj, frames, seed, sessions, event_interval, sync_interval, wait_timeout):
    rng = random.Random(seed)
    net = nm.Network(fileobj, nm.Clock(step_us=STEP_US))
    load = MapiLoad(net, rng, sessions, event_interval, sync_interval, wait_timeout)
    while net.frames < frames:
        load.step()
    return load.counts


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("frames", type=int, help="write at least this many frames")
    parser.add_argument("--kind", choices=("http", "mapi"), required=True)
    parser.add_argument("--out", required=True, metavar="FILE")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sessions", type=int, default=2000,
                        help="mapi: Outlook sessions (default 2000)")
    parser.add_argument("--event-interval", type=float, default=60.0,
                        help="mapi: mean seconds between events of one client (default 60)")
    parser.add_argument("--sync-interval", type=float, default=30.0,
                        help="mapi: mean seconds between sync Executes of one client "
                             "(default 30; 0: none)")
    parser.add_argument("--wait-timeout", type=float, default=300.0,
                        help="mapi: seconds a NotificationWait with no event is held "
                             "(default 300)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with open(args.out, "wb", buffering=1 << 20) as fileobj:
        if args.kind == "http":
            counts = write_http(fileobj, args.frames, args.seed)
        else:
            if args.sessions < 1:
                parser.error("--sessions must be at least 1")
            counts = write_mapi(fileobj, args.frames, args.seed, args.sessions,
                                args.event_interval, args.sync_interval, args.wait_timeout)
    written = os.path.getsize(args.out)
    frames = _count_frames(args.out)
    print("%s: %d frames (%s) in %.1f s" % (
        args.out, frames, ", ".join("%d %s" % (n, k.replace("_", " "))
                                    for k, n in counts.items()),
        time.perf_counter() - started))
    return 0 if written else 1


def _count_frames(path):
    """Frames in a classic pcap (the writers stop at the first frame past
    the target, so a connection's last exchange may add a few)."""
    count = 0
    with open(path, "rb") as handle:
        handle.seek(24)
        header = struct.Struct("<IIII")
        while True:
            record = handle.read(16)
            if len(record) < 16:
                return count
            length = header.unpack(record)[2]
            handle.seek(length, 1)
            count += 1


if __name__ == "__main__":
    sys.exit(main())
