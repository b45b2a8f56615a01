#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Outlook Anywhere (RPC over HTTP v2, MS-RPCH) test captures.

Usage:
  python3 -m newmail_gen.rpch --out DIR
      DIR/rpch_*.pcap (deterministic) and DIR/manifest.json
  python3 -m newmail_gen.rpch --tls DIR
      DIR/rpch_tls.pcapng and DIR/rpch_tls.keys: rpch_split's virtual
      connection, the RPC_IN_DATA header too apart from B1 (separate
      writes are separate TLS records), over real TLS
      with NTLM at the HTTP level, captured on lo in a new
      network namespace as newmail_gen/tls_capture.py does; exit status 77
      (a skip) with DIR/unavailable.txt where Linux refuses the namespace.
(PYTHONPATH: the source tree, which holds the package newmail_gen/.)

One virtual connection (VC): the OUT channel (RPC_OUT_DATA, CONN/A1), the
IN channel (RPC_IN_DATA, CONN/B1), the server's 200 with CONN/A3 and CONN/C2
on OUT; then, DCE/RPC over the VC, bind (IN) and bind_ack (OUT),
EcDoConnectEx, EcRRegisterPushNotification (callback client:50010), a
NEWMAIL datagram from the server, and the fetching EcDoRpcExt2 whose
response carries RopNotify NewMail and RopPending. Requests go on IN,
responses on OUT. The RTS PDUs are impacket's (impacket.dcerpc.v5.rpch).

Plain captures (the manifest gives each one's frames by role):
  rpch_plain      as above, one PDU per segment
  rpch_split      the RPC_OUT_DATA header and A1 in separate segments; B1
                  and the bind in one HTTP body; the server's 200 header and
                  A3 in separate segments; EcDoConnectEx request in 2
                  segments, its response in 3
  rpch_split_in   rpch_plain but the RPC_IN_DATA header in a segment of its
                  own, then B1 and the bind in the next
  rpch_late       rpch_plain without the frames up to A3 (no VC to tie to),
                  then ordinary HTTP (a GET, a POST of binary data), then
                  an RPC_IN_DATA header alone followed by a bind, no B1
  rpch_two_vcs    two VCs of one client interleaved, with the same call ids,
                  up to EcDoConnectEx (roles "<role>.1", "<role>.2")
  rpch_recycled   rpch_plain up to EcDoConnectEx, then a new IN channel
                  (IN_R1/A1) and a new OUT channel (OUT_R1/A3) carry
                  EcRRegisterPushNotification's request and response
  rpch_bad        rpch_plain's start, then on IN: an RTS PDU claiming 65535
                  commands, 8 bytes claiming frag_length 8, and a PDU whose
                  frag_length (65535) runs past the end of the capture
  rpch_cut_body   B1 followed, in the same body, by half a bind
  rpch_orphan     a 200 with CONN/A3 whose RPC_OUT_DATA and A1 the capture
                  missed, then rpch_plain's VC
"""

import argparse
import base64
import json
import os
import socket
import ssl
import struct
import sys
import tempfile
import time
import uuid

from impacket import ntlm
from impacket.dcerpc.v5 import rpch as R

from newmail_gen import pcap as P
from newmail_gen import rop as rb

CLIENT = "192.0.2.10"
SERVER = "198.51.100.20"
HOST = "mail.example.com"
HTTP_PORT, TLS_PORT = 80, 443
OUT_PORT, IN_PORT = 50001, 50002
CALLBACK_PORT, NOTIFY_PORT = 50010, 50011
VC = uuid.UUID("11111111-2222-3333-4444-555555555555")
OUT_COOKIE = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
IN_COOKIE = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")
ASSOCIATION = uuid.UUID("cccccccc-0000-0000-0000-000000000003")
SESSION_HANDLE = uuid.UUID("0f0e0d0c-0b0a-0908-0706-050403020100")
CONTEXT = b"\x01\x02\x03\x04\x05\x06\x07\x08"
INBOX = 0x0D00000000000001
MESSAGE_ID = 0x4F00000000000C01
SUBSCRIPTION = 0x00010001
OUT, IN = 0, 1                      # connection indexes
SKIPPED = 77


def rts(flags, commands):
    header = R.RTSHeader()
    header["Flags"] = flags
    header["NumberOfCommands"] = len(commands)
    header["pduData"] = b"".join(command.getData() for command in commands)
    return header.getData()


def conn_a1():
    return R.hCONN_A1(VC.bytes_le, OUT_COOKIE.bytes_le)


def conn_b1():
    return R.hCONN_B1(VC.bytes_le, IN_COOKIE.bytes_le, ASSOCIATION.bytes_le)


def conn_a3():
    return rts(R.RTS_FLAG_NONE, [R.ConnectionTimeout()])


def conn_c2():
    return rts(R.RTS_FLAG_NONE, [R.Version(), R.ReceiveWindowSize(), R.ConnectionTimeout()])


def http_request(method, length, authorization=None):
    text = ("%s /rpc/rpcproxy.dll?%s:6001 HTTP/1.1\r\nAccept: application/rpc\r\n"
            "User-Agent: MSRPC\r\nHost: %s\r\nContent-Length: %d\r\nConnection: Keep-Alive\r\n"
            "Cache-Control: no-cache\r\nPragma: no-cache\r\n" % (method, HOST, HOST, length))
    if authorization:
        text += "Authorization: NTLM %s\r\n" % authorization
    return (text + "\r\n").encode()


def http_response():
    return (b"HTTP/1.1 200 Success\r\nContent-Type: application/rpc\r\n"
            b"Content-Length: 1073741824\r\n\r\n")


class Write:
    """One write on a connection: who sends, the bytes, in how many segments."""

    def __init__(self, role, conn, from_client, data, pieces=1):
        self.role, self.conn, self.from_client = role, conn, from_client
        self.data, self.pieces = data, pieces


def dcerpc_writes(split=False, bind=True):
    """The calls of the VC, requests on IN and responses on OUT."""
    handle = P.context_handle(SESSION_HANDLE)
    writes = []
    if bind:
        writes.append(Write("bind", IN, True, P.bind_pdu(1)))
    writes.append(Write("bind_ack", OUT, False, P.bind_ack_pdu(1)))
    connect = b"".join(P.request_pdus(2, P.OPNUM_CONNECT_EX, P.connect_ex_request_stub()))
    writes.append(Write("connect_request", IN, True, connect, 2 if split else 1))
    writes.append(Write("connect_response", OUT, False,
                        P.response_pdu(2, P.connect_ex_response_stub(handle)),
                        3 if split else 1))
    register = b"".join(P.request_pdus(3, P.OPNUM_REGISTER, P.register_request_stub(
        handle, CONTEXT, P.sockaddr_in(CLIENT, CALLBACK_PORT))))
    writes.append(Write("register_request", IN, True, register))
    writes.append(Write("register_response", OUT, False,
                        P.response_pdu(3, P.register_response_stub(handle, 0x1234, 0))))
    writes.append(Write("notification", None, False, CONTEXT))
    writes.append(Write("fetch_request", IN, True, b"".join(P.request_pdus(
        4, P.OPNUM_RPC_EXT2, P.rpc_ext2_request_stub(handle)))))
    reply = rb.single([rb.new_mail(SUBSCRIPTION, INBOX, MESSAGE_ID), rb.rop_pending(1)]).data
    writes.append(Write("fetch_response", OUT, False, P.response_pdu(
        4, P.rpc_ext2_response_stub(handle, rgb_out=reply))))
    return writes


def vc_writes(split=False, authorization=(None, None), split_in=False):
    """The whole VC: the two channels' handshakes, then dcerpc_writes().
    split: the RPC_OUT_DATA header and its A1 in separate segments, the
    bind behind B1 in one HTTP body, the server's 200 header alone, then A3
    in a segment of its own, and the EcDoConnectEx call in several
    segments (HTTP waits for the 76 bytes of A1; it would not for a body of
    1 GiB: see docs/decoding.md).
    split_in: the RPC_IN_DATA header in a segment of its own, then B1 and
    the bind in the next (as rpcrt4 over WinHTTP sends them)."""
    b1 = conn_b1() + (P.bind_pdu(1) if split or split_in else b"")
    if split:
        response = [Write("a3_header", OUT, False, http_response()),
                    Write("a3", OUT, False, conn_a3())]
    else:
        response = [Write("a3", OUT, False, http_response() + conn_a3())]
    a1_header = http_request("RPC_OUT_DATA", 76, authorization[OUT])
    if split:
        a1 = [Write("a1_header", OUT, True, a1_header), Write("a1", OUT, True, conn_a1())]
    else:
        a1 = [Write("a1", OUT, True, a1_header + conn_a1())]
    b1_header = http_request("RPC_IN_DATA", 1073741824, authorization[IN])
    if split_in:
        b1 = [Write("b1_header", IN, True, b1_header), Write("b1", IN, True, b1)]
    else:
        b1 = [Write("b1", IN, True, b1_header + b1)]
    return a1 + b1 + response + [
        Write("c2", OUT, False, conn_c2()),
    ] + dcerpc_writes(split, bind=not (split or split_in))


def bad_writes():
    """After the handshakes, malformed PDUs on IN."""
    many = bytearray(rts(R.RTS_FLAG_NONE, [R.Version(), R.ReceiveWindowSize()]))
    struct.pack_into("<H", many, 18, 0xFFFF)             # NumberOfCommands
    short = bytearray(P.bind_pdu(5)[:8] + struct.pack("<HHI", 8, 0, 5))
    huge = bytearray(P.bind_pdu(6))
    struct.pack_into("<H", huge, 8, 0xFFFF)              # frag_length past the capture
    return vc_writes()[:4] + [
        Write("too_many_commands", IN, True, bytes(many)),
        Write("short_frag", IN, True, bytes(short)),
        Write("huge_frag", IN, True, bytes(huge)),
    ]


def cut_body_writes():
    bind = P.bind_pdu(1)
    return [
        Write("a1", OUT, True, http_request("RPC_OUT_DATA", 76) + conn_a1()),
        Write("b1", IN, True, http_request("RPC_IN_DATA", 1073741824) + conn_b1()
              + bind[:len(bind) // 2]),
        Write("a3", OUT, False, http_response() + conn_a3()),
    ]


SECOND_VC = uuid.UUID("22222222-3333-4444-5555-666666666666")


def two_vc_writes():
    """Two VCs of one client, their handshakes and calls interleaved, with the
    same call ids: VC 1 on connections 0 (OUT) and 1 (IN), VC 2 on 2 and 3.
    Roles are "<role>.<vc>"."""
    second = [
        Write("a1", OUT + 2, True, http_request("RPC_OUT_DATA", 76)
              + R.hCONN_A1(SECOND_VC.bytes_le, OUT_COOKIE.bytes_le)),
        Write("b1", IN + 2, True, http_request("RPC_IN_DATA", 1073741824)
              + R.hCONN_B1(SECOND_VC.bytes_le, IN_COOKIE.bytes_le, ASSOCIATION.bytes_le)),
        Write("a3", OUT + 2, False, http_response() + conn_a3()),
        Write("c2", OUT + 2, False, conn_c2()),
    ]
    for write in dcerpc_writes()[:4]:      # bind, bind_ack, EcDoConnectEx
        second.append(Write(write.role, write.conn + 2, write.from_client, write.data))
    first = vc_writes()[:8]                 # the same up to EcDoConnectEx's response
    writes = []
    for one, two in zip(first, second):
        one.role += ".1"
        two.role += ".2"
        writes += [one, two]
    return writes


def cookie(value):
    command = R.Cookie()
    command["Cookie"] = value.bytes_le
    return command


def recycled_writes():
    """rpch_plain up to EcDoConnectEx, then both channels replaced
    (MS-RPCH 3.2.2.5.6 and 3.2.2.5.7): a new IN channel (connection 2,
    IN_R1/A1) carries the EcRRegisterPushNotification request, a new OUT
    channel (connection 3, OUT_R1/A3, then the server's 200 and an RTS PDU)
    its response."""
    new_in = uuid.UUID("bbbbbbbb-0000-0000-0000-0000000000b2")
    new_out = uuid.UUID("aaaaaaaa-0000-0000-0000-0000000000a2")
    in_r1_a1 = rts(R.RTS_FLAG_RECYCLE_CHANNEL,
                   [R.Version(), cookie(VC), cookie(IN_COOKIE), cookie(new_in)])
    out_r1_a3 = rts(R.RTS_FLAG_RECYCLE_CHANNEL, [R.Version(), cookie(VC), cookie(OUT_COOKIE),
                                                 cookie(new_out), R.ReceiveWindowSize()])
    calls = {w.role: w for w in dcerpc_writes()}
    return vc_writes()[:8] + [
        Write("in_recycle", IN + 2, True, http_request("RPC_IN_DATA", 1073741824) + in_r1_a1),
        Write("out_recycle", OUT + 2, True,
              http_request("RPC_OUT_DATA", len(out_r1_a3)) + out_r1_a3),
        Write("out_recycle_response", OUT + 2, False,
              http_response() + rts(R.RTS_FLAG_RECYCLE_CHANNEL, [R.Version()])),
        Write("register_request", IN + 2, True, calls["register_request"].data),
        Write("register_response", OUT + 2, False, calls["register_response"].data),
    ]


def orphan_writes():
    """An RPC_OUT_DATA answered with A3 whose request (and A1) the capture
    missed, on a connection of its own (4), then rpch_plain's VC."""
    return [Write("orphan_a3", OUT + 4, False, http_response() + conn_a3())] + vc_writes()


def late_writes():
    """rpch_plain's VC, then ordinary HTTP on a connection of its own (4),
    then on another (5) an RPC_IN_DATA header alone followed by no B1 but a
    bind: a channel that the plugin declines."""
    return vc_writes() + [Write(w.role, 4, w.from_client, w.data) for w in http_plain_writes()] + [
        Write("declined_header", 5, True, http_request("RPC_IN_DATA", 1073741824)),
        Write("declined_bind", 5, True, P.bind_pdu(1)),
    ]


def http_plain_writes():
    post = bytes(range(5, 0, -1)) * 8
    return [
        Write("get", OUT, True, b"GET /owa/ HTTP/1.1\r\nHost: mail.example.com\r\n\r\n"),
        Write("get_response", OUT, False, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
              b"Content-Length: 5\r\n\r\nhello"),
        Write("post", OUT, True, b"POST /upload HTTP/1.1\r\nHost: mail.example.com\r\n"
              b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
              % len(post) + post),
        Write("post_response", OUT, False, b"HTTP/1.1 204 No Content\r\n\r\n"),
    ]


def write_pcap(path, writes, skip_until=None):
    """Plays writes into a pcap; returns {role: [frame, ...]}. With skip_until,
    frames up to that role's last are left out (a capture started later)."""
    frames = {}
    with open(path, "wb") as handle:
        net = P.Network(handle)
        count = 1 + max(w.conn for w in writes if w.conn is not None)
        streams = [P.TcpStream(net, CLIENT, OUT_PORT + i, SERVER, HTTP_PORT,
                               0x1000 + 0x2000 * i, 0x2000 + 0x2000 * i) for i in range(count)]
        skipping = skip_until is not None
        if skipping:
            net.pcap.write = _counting_sink(net.pcap.write)
        for stream in streams:
            stream.handshake()
        for write in writes:
            if write.conn is None:
                sent = [net.udp(SERVER, NOTIFY_PORT, CLIENT, CALLBACK_PORT, write.data)]
            else:
                sent = streams[write.conn].send(write.from_client, write.data, write.pieces)
            if skipping:
                if write.role == skip_until:
                    net.pcap.write.resume()
                    skipping = False
                continue
            frames.setdefault(write.role, []).extend(sent)
    return frames


def _counting_sink(write):
    """A PcapWriter.write that drops frames until resume(); the writer numbers
    only the frames it writes."""
    state = {"on": False}

    def sink(timestamp, frame):
        return write(timestamp, frame) if state["on"] else 0
    sink.resume = lambda: state.update(on=True)
    return sink


PLAIN = {
    "rpch_plain": (lambda: vc_writes(), None),
    "rpch_split": (lambda: vc_writes(split=True), None),
    "rpch_split_in": (lambda: vc_writes(split_in=True), None),
    "rpch_late": (late_writes, "a3"),
    "rpch_two_vcs": (two_vc_writes, None),
    "rpch_recycled": (recycled_writes, None),
    "rpch_orphan": (orphan_writes, None),
    "rpch_bad": (bad_writes, None),
    "rpch_cut_body": (cut_body_writes, None),
}


def write_plain(out):
    os.makedirs(out, exist_ok=True)
    manifest = {}
    for name, (make, skip_until) in sorted(PLAIN.items()):
        frames = write_pcap(os.path.join(out, name + ".pcap"), make(), skip_until)
        manifest[name] = {"file": name + ".pcap", "frames": frames}
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump({"captures": manifest, "client": CLIENT, "server": SERVER,
                   "callback_port": CALLBACK_PORT}, handle, indent=1, sort_keys=True)
        handle.write("\n")


# --------------------------------------------------------------------------
# TLS with NTLM, in a network namespace (newmail_gen/tls_capture.py's tools)
# --------------------------------------------------------------------------

INSIDE = "NEWMAIL_RPCH_TLS_INSIDE_NETNS"
TLS_NAME = "rpch_tls"


def _ntlm_challenge(negotiate):
    challenge = ntlm.NTLMAuthChallenge()
    challenge["flags"] = ((negotiate["flags"] | ntlm.NTLMSSP_NEGOTIATE_TARGET_INFO)
                          & ~ntlm.NTLMSSP_NEGOTIATE_VERSION)
    challenge["Version"] = b""
    challenge["challenge"] = b"\x01\x23\x45\x67\x89\xab\xcd\xef"
    pairs = ntlm.AV_PAIRS()
    pairs[ntlm.NTLMSSP_AV_HOSTNAME] = "MAIL".encode("utf-16le")
    pairs[ntlm.NTLMSSP_AV_DOMAINNAME] = "EXAMPLE".encode("utf-16le")
    # What a server sends, and what impacket 0.12 (Debian sid) needs to answer.
    pairs[ntlm.NTLMSSP_AV_DNS_HOSTNAME] = HOST.encode("utf-16le")
    pairs[ntlm.NTLMSSP_AV_DNS_DOMAINNAME] = "example.com".encode("utf-16le")
    challenge["domain_name"] = "EXAMPLE".encode("utf-16le")
    challenge["TargetInfoFields"] = pairs.getData()
    challenge["TargetInfoFields_len"] = challenge["TargetInfoFields_max_len"] = \
        len(pairs.getData())
    challenge["domain_offset"] = 48
    challenge["TargetInfoFields_offset"] = 48 + len(challenge["domain_name"])
    return challenge


def ntlm_writes(conn, method):
    """The 401 round trip of one channel; returns (writes, Authorization value)."""
    negotiate = ntlm.getNTLMSSPType1("", "EXAMPLE")
    challenge = _ntlm_challenge(negotiate)
    authenticate, _ = ntlm.getNTLMSSPType3(negotiate, challenge.getData(), "user", "Passw0rd",
                                           "EXAMPLE")
    request = ("%s /rpc/rpcproxy.dll?%s:6001 HTTP/1.1\r\nHost: %s\r\nUser-Agent: MSRPC\r\n"
               "Content-Length: 0\r\nAuthorization: NTLM %s\r\n\r\n"
               % (method, HOST, HOST, base64.b64encode(negotiate.getData()).decode())).encode()
    answer = ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM %s\r\nContent-Length: 0"
              "\r\n\r\n" % base64.b64encode(challenge.getData()).decode()).encode()
    return ([Write("ntlm_negotiate", conn, True, request),
             Write("ntlm_challenge", conn, False, answer)],
            base64.b64encode(authenticate.getData()).decode())


def tls_writes():
    out_auth, out_token = ntlm_writes(OUT, "RPC_OUT_DATA")
    in_auth, in_token = ntlm_writes(IN, "RPC_IN_DATA")
    # Separate writes of the RPC_IN_DATA header and B1, of the 200 header
    # and A3, are separate TLS records.
    vc = vc_writes(split=True, authorization=(out_token, in_token), split_in=True)
    # OUT's 401 round trip, its header and A1, then IN's, its header and B1,
    # then the rest.
    return out_auth + vc[:2] + in_auth + vc[2:]


def capture_tls(out):
    from newmail_gen import tls_capture as tc
    pcapng = os.path.join(out, TLS_NAME + ".pcapng")
    keylog = os.path.join(out, TLS_NAME + ".keys")
    for path in (pcapng, keylog):
        if os.path.exists(path):
            os.unlink(path)
    tc._run([tc._need("ip"), "link", "set", "lo", "up"])
    for address in (CLIENT, SERVER):
        tc._run([tc._need("ip"), "address", "add", address + "/32", "dev", "lo"])
    with tempfile.TemporaryDirectory(prefix="newmail-rpch-") as folder:
        cert, key = tc.make_certificate(folder)
        dumpcap = tc.start_dumpcap(pcapng, "tcp port %d or udp port %d"
                                   % (TLS_PORT, CALLBACK_PORT))
        try:
            _play_tls(cert, key, keylog)
        finally:
            tc.stop_dumpcap(dumpcap)
    for path in (pcapng, keylog):
        os.chmod(path, 0o644)


def _play_tls(cert, key, keylog):
    from newmail_gen import tls_capture as tc
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.load_verify_locations(cert)
    client_context.keylog_filename = keylog
    listener = socket.create_server((SERVER, TLS_PORT))
    callback = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    callback.bind((CLIENT, CALLBACK_PORT))
    notifier = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    notifier.bind((SERVER, NOTIFY_PORT))
    pairs = {}

    def pair(conn):
        if conn not in pairs:
            raw = socket.create_connection((SERVER, TLS_PORT), source_address=(CLIENT, 0))
            accepted, _ = listener.accept()
            for sock in (raw, accepted):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            result = {}
            import threading
            thread = threading.Thread(target=lambda: result.setdefault(
                "server", server_context.wrap_socket(accepted, server_side=True)))
            thread.start()
            client = client_context.wrap_socket(raw, server_hostname=HOST)
            thread.join(30)
            if "server" not in result:
                raise tc.CaptureError("TLS handshake failed")
            pairs[conn] = (client, result["server"])
        return pairs[conn]

    for write in tls_writes():
        if write.conn is None:
            notifier.sendto(write.data, (CLIENT, CALLBACK_PORT))
            callback.recv(64)
        else:
            client, server = pair(write.conn)
            sender, receiver = (client, server) if write.from_client else (server, client)
            sender.sendall(write.data)
            if tc._read_exactly(receiver, len(write.data)) != write.data:
                raise tc.CaptureError("a TLS write arrived changed")
        time.sleep(0.02)
    for client, server in pairs.values():
        client.close()
        server.close()
    listener.close()
    callback.close()
    notifier.close()


def run_tls(out):
    """Outside the namespace: enter it (or say why not) and capture there."""
    import subprocess
    from newmail_gen import tls_capture as tc
    os.makedirs(out, exist_ok=True)
    unavailable = os.path.join(out, tc.UNAVAILABLE)
    if os.path.exists(unavailable):
        os.unlink(unavailable)
    try:
        for tool in ("unshare", "dumpcap", "openssl", "ip"):
            tc._need(tool)
        unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]
        probe = subprocess.run(unshare + ["true"], capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            raise tc.NamespaceRefused("`%s true` failed (exit status %d): %s"
                                      % (" ".join(unshare), probe.returncode,
                                         probe.stderr.strip() or "no message"))
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, **{INSIDE: "1", "PYTHONPATH": root, "PYTHONHOME": ""})
        done = subprocess.run(unshare + [sys.executable, "-s", "-B", "-m", __spec__.name,
                                         "--tls", out], env=env, check=False)
        if done.returncode != 0:
            raise tc.CaptureError("the capture in a new network namespace failed (exit status"
                                  " %d)" % done.returncode)
    except tc.CaptureError as error:
        print("newmail_gen/rpch.py: %s" % error, file=sys.stderr)
        return 1
    except tc.NamespaceRefused as error:
        reason = ("no live TLS capture: this user may not make a network namespace (%s); the"
                  " tests that need it skip" % error)
        with open(unavailable, "w", encoding="utf-8") as handle:
            handle.write(reason + "\n")
        print("newmail_gen/rpch.py: SKIPPED: %s" % reason)
        return SKIPPED
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", metavar="DIR", help="the plain captures and manifest.json")
    group.add_argument("--tls", metavar="DIR", help="rpch_tls.pcapng and its key log")
    args = parser.parse_args(argv)
    if args.out:
        write_plain(args.out)
        return 0
    if os.environ.get(INSIDE):
        capture_tls(args.tls)
        return 0
    return run_tls(args.tls)


if __name__ == "__main__":
    sys.exit(main())
