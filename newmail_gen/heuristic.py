#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the captures of NEWMAIL datagrams whose registration is not in the
capture (issue 17), and what the heuristic must make of each.

Usage:
  python3 -m newmail_gen.heuristic --out DIR
      every scenario as DIR/heur_<name>.pcap, plus DIR/heuristic.json
  python3 -m newmail_gen.heuristic --plain-udp N --out FILE
      N ordinary datagrams (DNS, NTP, RTP) between hosts without Exchange:
      the heuristic's cost benchmark (bench/BENCHMARKS.md)

The manifest names, per capture, the frames the heuristic must claim
(``claimed``, each with its evidence frame and server port), the fetch each
claimed datagram's link must name (``fetch``), the repeats that must be
flagged not fetched (``not_fetched``), and the frames no NEWMAIL may touch
(``not_claimed``). Frame numbers come from the writer as frames are
written; nothing is typed in by hand. All output is deterministic.
"""

import argparse
import json
import os
import struct
import sys

from newmail_gen import pcap as nm

SERVER = "198.51.100.30"        # the Exchange server
CLIENT = "192.0.2.40"           # Outlook, its registration not captured
OTHER_CLIENT = "192.0.2.41"     # another Outlook, whose bind is captured
RPC_PORT = 1032                 # the store's DCE/RPC endpoint (Exchange 2003)
C1222_PORT = 1153               # the client's port: Wireshark says ANSI C12.22
NOTIFY_SOURCE = 2571            # the server's datagram source port (mapi.cap)
CALLBACK = 1054                 # the client's callback port
CONTEXT = bytes.fromhex("d027270278010900")
HANDLE_UUID = "6e3c2f10-5b7a-4c1d-9e8f-0a1b2c3d4e5f"


class Scenario:
    """A capture being written and what is expected of it."""

    def __init__(self, fileobj):
        self.net = nm.Network(fileobj)
        self.expect = {"claimed": {}, "fetch": {}, "not_fetched": [],
                       "not_claimed": []}

    def wait(self, seconds):
        self.net.clock.advance(seconds)

    def notify(self, evidence, server_port, src=SERVER, dst=CLIENT,
               dport=CALLBACK, payload=CONTEXT):
        """A datagram the heuristic must claim, for the evidence given."""
        frame = self.net.udp(src, NOTIFY_SOURCE, dst, dport, payload)
        self.expect["claimed"][str(frame)] = {"evidence": evidence,
                                              "server_port": server_port}
        return frame

    def stray(self, src, sport, dst, dport, payload):
        """A datagram nothing of NEWMAIL may touch."""
        frame = self.net.udp(src, sport, dst, dport, payload)
        self.expect["not_claimed"].append(frame)
        return frame


def _handle():
    import uuid
    return nm.context_handle(uuid.UUID(HANDLE_UUID))


def _bound_session(sc, client, client_port):
    """Another client binds to EMSMDB on the server's endpoint and makes a
    call: the capture shows that endpoint serves EMSMDB. Returns the bind
    frame."""
    conn = nm.MapiSession(sc.net, client, client_port, SERVER,
                          server_port=RPC_PORT)
    before = sc.net.frames
    conn.connect()
    bind = before + 4                      # SYN, SYN/ACK, ACK, bind
    conn.call(nm.OPNUM_RPC_EXT2,
              nm.rpc_ext2_request_stub(conn.handle),
              nm.rpc_ext2_response_stub(conn.handle))
    return bind


def _mid_stream(sc, client_port, server_port, isn=0x31000000):
    """The client's connection to the server's endpoint, captured long after
    its bind: DCE/RPC PDUs with no bind before them."""
    return nm.TcpStream(sc.net, CLIENT, client_port, SERVER, server_port,
                        client_isn=isn, server_isn=isn + 0x01000000)


def _request(call_id):
    return b"".join(nm.request_pdus(
        call_id, nm.OPNUM_RPC_EXT2, nm.rpc_ext2_request_stub(_handle())))


def _response(call_id):
    return nm.response_pdu(call_id, nm.rpc_ext2_response_stub(_handle()))


SCENARIOS = {}


def scenario(function):
    SCENARIOS[function.__name__] = function
    return function


@scenario
def bind_elsewhere(sc):
    """Exchange 2003: another client's bind shows the endpoint serves
    EMSMDB; this client's connection is mid-stream from port 1153, which
    Wireshark decodes as ANSI C12.22. Its next request follows the
    datagram 0.25 ms later."""
    bind = _bound_session(sc, OTHER_CLIENT, 49200)
    sc.wait(30)
    tcp = _mid_stream(sc, C1222_PORT, RPC_PORT)
    tcp.send(True, _request(7))
    tcp.send(False, _response(7))
    sc.wait(20)
    datagram = sc.notify(bind, RPC_PORT)
    sc.net.clock.advance(0.00025)
    fetch = tcp.send(True, _request(8))[0]
    sc.expect["fetch"][str(datagram)] = fetch
    tcp.send(False, _response(8))


@scenario
def exchange55(sc):
    """Exchange 5.5: the server's DCE/RPC responses to the client (the
    interface unknown, no bind captured) come before the datagram; the
    client calls 6 ms after it."""
    tcp = _mid_stream(sc, 1047, 1100)
    first = tcp.send(False, _response(3))[0]
    tcp.segment(True, nm.TCP_ACK)
    tcp.send(False, _response(4))
    sc.wait(5)
    datagram = sc.notify(first, 1100)
    sc.net.clock.advance(0.006)
    fetch = tcp.send(True, _request(5))[0]
    sc.expect["fetch"][str(datagram)] = fetch
    tcp.send(False, _response(5))


@scenario
def repeats(sc):
    """The client does not react: the server repeats every 60 seconds; the
    second and third are not fetched; then the client fetches."""
    bind = _bound_session(sc, OTHER_CLIENT, 49200)
    tcp = _mid_stream(sc, C1222_PORT, RPC_PORT)
    tcp.send(True, _request(7))
    tcp.send(False, _response(7))
    first = sc.notify(bind, RPC_PORT)
    sc.wait(60)
    second = sc.notify(bind, RPC_PORT)
    sc.wait(60)
    third = sc.notify(bind, RPC_PORT)
    sc.expect["not_fetched"] += [second, third]
    sc.wait(1)
    fetch = tcp.send(True, _request(8))[0]
    sc.expect["fetch"][str(third)] = fetch
    sc.expect["fetch"][str(first)] = fetch
    sc.expect["fetch"][str(second)] = fetch


def _dns_response(txid):
    question = b"\x04mail\x07example\x03com\x00\x00\x01\x00\x01"
    answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc6\x33\x64\x1e"
    return struct.pack(">HHHHHH", txid, 0x8180, 1, 1, 0, 0) + question + answer


def _ntp_response():
    return bytes([0x24, 2, 6, 0xe9]) + bytes(44)


def _cldap_response():
    # LDAPMessage searchResDone, messageID 1, success
    return bytes.fromhex("300c02010165070a010004000400")


def _netbios_ns():
    return struct.pack(">HHHHHH", 0x8123, 0x8500, 0, 1, 0, 0) + \
        b"\x20" + b"FHEPFCELEHFCEPFFFACACACACACACAAA" + b"\x00\x00\x20\x00\x01" + \
        b"\x00\x00\x0e\x10\x00\x06\x00\x00\xc6\x33\x64\x1e"


def _kerberos_error():
    # a KRB-ERROR's first bytes, enough for the stock dissector to try
    return bytes.fromhex("7e0f300da003020105a10302011e")


def _syslog():
    return b"<134>Dec  4 23:30:00 sbs MSExchangeIS: store started"


def _rtp(seq, length=172):
    return struct.pack(">BBHII", 0x80, 0, seq, 160 * seq, 0x1234abcd) + \
        bytes(length - 12)


def _rtcp():
    return struct.pack(">BBHI", 0x80, 200, 6, 0x1234abcd) + bytes(20)


@scenario
def small_business(sc):
    """A Small Business Server is DNS, NTP, CLDAP, NetBIOS, Kerberos,
    syslog and a PBX at once: none of its UDP to the client is NEWMAIL,
    though the client talks DCE/RPC with it. The one notification at the
    end is."""
    tcp = _mid_stream(sc, 1047, 1100)
    first = tcp.send(False, _response(3))[0]
    for i in range(3):
        sc.stray(SERVER, 53, CLIENT, 50000 + i, _dns_response(0x100 + i))
        sc.stray(SERVER, 123, CLIENT, 123, _ntp_response())
        sc.stray(SERVER, 389, CLIENT, 50100 + i, _cldap_response())
        sc.stray(SERVER, 137, CLIENT, 137, _netbios_ns())
        sc.stray(SERVER, 88, CLIENT, 50200 + i, _kerberos_error())
        sc.stray(SERVER, 514, CLIENT, 514, _syslog())
        sc.stray(SERVER, 1514, CLIENT, 1514, _syslog())
        for seq in range(4):
            sc.stray(SERVER, 16384, CLIENT, 16386, _rtp(4 * i + seq))
        sc.stray(SERVER, 16385, CLIENT, 16387, _rtcp())
        sc.stray(SERVER, 16384, CLIENT, 16386, _rtp(99, length=16))
    sc.notify(first, 1100)


@scenario
def registered(sc):
    """A client whose registration is captured: a datagram to its
    registered port is NEWMAIL as before (not by the heuristic), one of the
    same length to another of its ports is not."""
    conn = nm.MapiSession(sc.net, CLIENT, 1100, SERVER, server_port=RPC_PORT)
    conn.connect()
    conn.register(CONTEXT, nm.sockaddr_in(CLIENT, CALLBACK), 0x11, 0)
    sc.wait(10)
    sc.expect["registered"] = sc.net.udp(SERVER, NOTIFY_SOURCE, CLIENT,
                                         CALLBACK, CONTEXT)
    sc.stray(SERVER, NOTIFY_SOURCE, CLIENT, CALLBACK + 1, CONTEXT)


@scenario
def late_evidence(sc):
    """The capture starts with the datagram; the client's connection to the
    server's endpoint and the server's answers come after it. One pass
    cannot claim it; two passes can."""
    datagram = sc.net.udp(SERVER, NOTIFY_SOURCE, CLIENT, CALLBACK, CONTEXT)
    sc.net.clock.advance(0.004)
    tcp = _mid_stream(sc, 1047, 1100)
    request = tcp.send(True, _request(5))[0]
    tcp.send(False, _response(5))
    sc.expect["two_pass_only"] = {str(datagram): {"evidence": request,
                                                  "server_port": 1100}}


@scenario
def no_rpc(sc):
    """The same two hosts with TCP that is not DCE/RPC (SMB-like, port
    445, and HTTP on 8080): nothing serves DCE/RPC, nothing is claimed."""
    tcp = nm.TcpStream(sc.net, CLIENT, 1047, SERVER, 8080)
    tcp.handshake()
    tcp.send(True, b"GET / HTTP/1.1\r\nHost: sbs\r\n\r\n")
    tcp.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    sc.stray(SERVER, NOTIFY_SOURCE, CLIENT, CALLBACK, CONTEXT)


# --------------------------------------------------------------------------
# Do no harm: ordinary UDP of networks without Exchange
# --------------------------------------------------------------------------

HARMLESS = {}


def harmless(function):
    HARMLESS[function.__name__] = function
    return function


@harmless
def office_udp(net):
    """A network's everyday UDP: DNS, NTP, DHCP, SNMP, syslog, mDNS, SSDP,
    NetBIOS, RTP and RTCP, between hosts that also talk HTTP over TCP."""
    web = nm.TcpStream(net, "10.2.0.10", 49500, "10.2.0.80", 80)
    web.handshake()
    web.send(True, b"GET / HTTP/1.1\r\nHost: intranet\r\n\r\n")
    web.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    for i in range(40):
        host = "10.2.0.%d" % (10 + i % 5)
        net.udp(host, 50000 + i, "10.2.0.53", 53, _dns_response(i)[:12] + bytes(5))
        net.udp("10.2.0.53", 53, host, 50000 + i, _dns_response(i))
        net.udp("10.2.0.123", 123, host, 123, _ntp_response())
        net.udp(host, 161 if i % 2 else 50161, "10.2.0.80", 161 if i % 2 else 50161,
                bytes.fromhex("302602010104067075626c6963a01902") + bytes(8))
        net.udp("10.2.0.80", 514, "10.2.0.99", 514, _syslog())
        net.udp(host, 5353, "224.0.0.251", 5353, bytes(12))
        net.udp(host, 1900, "239.255.255.250", 1900,
                b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n")
        net.udp(host, 137, "10.2.0.255", 137, _netbios_ns())
        net.udp("10.2.0.80", 16384, host, 16386, _rtp(i))
        net.udp("10.2.0.80", 16385, host, 16387, _rtcp())
        # short datagrams between high ports: games, keep-alives, WireGuard
        # handshakes' cousins, from the web server the host talks TCP with
        net.udp("10.2.0.80", 40000 + i, host, 41000 + i, struct.pack(">Q", i))
        net.udp(host, 51820, "10.2.0.80", 51820, bytes([4, 0, 0, 0]) + bytes(12))


@harmless
def plain_udp(net):
    """The benchmark's mix, small: DNS, NTP and RTP without Exchange."""
    _plain_udp(net, 1000)


def _plain_udp(net, count):
    for i in range(count):
        kind = i % 3
        host = "10.1.%d.%d" % (i // 250 % 250, i % 250 + 1)
        if kind == 0:
            net.udp(host, 40000 + i % 20000, "10.0.0.53", 53,
                    _dns_response(i & 0xffff))
        elif kind == 1:
            net.udp("10.0.0.123", 123, host, 123, _ntp_response())
        else:
            net.udp("10.0.0.7", 16384, host, 16386, _rtp(i & 0xffff))


def write_all(out):
    os.makedirs(out, exist_ok=True)
    manifest = {}
    for name, function in SCENARIOS.items():
        filename = "heur_%s.pcap" % name
        with open(os.path.join(out, filename), "wb") as fileobj:
            sc = Scenario(fileobj)
            function(sc)
            sc.expect["frames"] = sc.net.frames
        manifest[filename] = sc.expect
    for name, function in HARMLESS.items():
        filename = "harmless_%s.pcap" % name
        with open(os.path.join(out, filename), "wb") as fileobj:
            function(nm.Network(fileobj, nm.Clock(step_us=200)))
        manifest[filename] = {"harmless": True}
    with open(os.path.join(out, "heuristic.json"), "w") as fileobj:
        json.dump(manifest, fileobj, indent=1, sort_keys=True)


def write_plain_udp(count, path):
    """DNS, NTP and RTP among hosts that run no Exchange."""
    with open(path, "wb") as fileobj:
        _plain_udp(nm.Network(fileobj, nm.Clock(step_us=200)), count)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--plain-udp", type=int)
    args = parser.parse_args(argv)
    if args.plain_udp:
        write_plain_udp(args.plain_udp, args.out)
    else:
        write_all(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
