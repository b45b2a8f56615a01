# SPDX-License-Identifier: GPL-2.0-or-later
"""Build synthetic captures of Exchange push-notification traffic.

The NEWMAIL plugin learns the UDP port of Microsoft Exchange new-mail
notifications from the EMSMDB call EcRRegisterPushNotification (opnum 4,
MS-OXCRPC 3.1.4.5) and forgets it on EcRUnregisterPushNotification (opnum 5).
Testing that needs captures holding exactly the traffic a case is about,
including variants no real client sends (malformed stubs, big-endian data
representation, split PDUs).  This module writes such captures from first
principles: a classic pcap writer, Ethernet/IPv4/IPv6/UDP/TCP framing with
correct checksums, DCE/RPC connection-oriented PDUs (C706 chapter 12) and the
EMSMDB stubs.

Only the Python 3 standard library is used, so the generator runs anywhere the
tests run.  Nothing is ever sent on a network; the addresses are documentation
prefixes (RFC 5737, RFC 3849) except in the synthetic load file.

The module also holds ``parse_register_request``, a reference reading of the
opnum 4 request stub.  The generator uses it to state, for every capture,
which registrations a correct dissector learns; it is deliberately the simple
rule set written down in PROTOCOL.md, not a copy of the C parser.
"""

import ipaddress
import struct
import uuid
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# Classic pcap
# --------------------------------------------------------------------------

LINKTYPE_ETHERNET = 1
PCAP_SNAPLEN = 262144

# 2026-01-01 00:00:00 UTC: every capture starts here so output is reproducible.
EPOCH_2026_US = 1767225600 * 1000000

_PCAP_GLOBAL_HEADER = struct.pack(
    "<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, PCAP_SNAPLEN, LINKTYPE_ETHERNET)
_PCAP_RECORD = struct.Struct("<IIII")


class PcapWriter:
    """Streams frames to a binary file object in classic pcap format.

    Timestamps are integer microseconds so that no floating-point rounding can
    make two runs differ.  ``frames`` is the number of the last frame written,
    which is how callers learn the frame numbers tshark will show.
    """

    def __init__(self, fileobj):
        self._write = fileobj.write
        self._write(_PCAP_GLOBAL_HEADER)
        self.frames = 0

    def write(self, timestamp_us, frame):
        """Append one frame; return its 1-based frame number."""
        seconds, micros = divmod(timestamp_us, 1000000)
        length = len(frame)
        self._write(_PCAP_RECORD.pack(seconds, micros, length, length))
        self._write(frame)
        self.frames += 1
        return self.frames


class Clock:
    """A virtual clock: each frame is stamped with ``now``, then it moves on.

    ``step_us`` keeps consecutive frames apart by a plausible LAN delay;
    scenarios call ``advance`` for the long gaps (60 s between notifications).
    """

    def __init__(self, start_us=EPOCH_2026_US, step_us=1000):
        self.now = start_us
        self.step_us = step_us

    def tick(self):
        """Return the time for the next frame and move past it."""
        now = self.now
        self.now += self.step_us
        return now

    def advance(self, seconds):
        """Let ``seconds`` of silence pass."""
        self.now += int(seconds * 1000000)


# --------------------------------------------------------------------------
# Checksums and framing
# --------------------------------------------------------------------------

IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17

TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_PSH = 0x08
TCP_ACK = 0x10


def _word_sum(data):
    """Return a number congruent to the ones'-complement sum of ``data``.

    Because 2**16 == 1 (mod 0xFFFF), the big-endian integer value of an
    even-length byte string is congruent to the sum of its 16-bit words; one
    C-level conversion replaces a Python loop over the words.
    """
    if len(data) & 1:
        data += b"\x00"
    return int.from_bytes(data, "big")


def _checksum(total):
    """Finish an Internet checksum (RFC 1071) from a ``_word_sum`` total.

    The result is never 0: where the arithmetic gives 0 this returns 0xFFFF,
    the other ones'-complement zero, which UDP requires (0 there means "no
    checksum") and which IP and TCP verify just the same.
    """
    return 0xFFFF - total % 0xFFFF


def mac_for(address):
    """Derive a stable, locally administered MAC address from an IP address."""
    packed = ipaddress.ip_address(address).packed
    return b"\x02" + packed[-5:].rjust(5, b"\x00")


class IPPath:
    """Builds Ethernet frames from one IP address to another.

    Everything that does not change from packet to packet (the Ethernet
    header, the constant part of the IPv4 header checksum, the addresses in
    the transport pseudo-header) is computed once, which is what makes the
    million-frame load file quick to write.
    """

    _IPV4 = struct.Struct("!BBHHHBBH4s4s")
    _IPV6 = struct.Struct("!IHBB16s16s")
    _UDP = struct.Struct("!HHHH")
    _TCP = struct.Struct("!HHIIBBHHH")

    def __init__(self, src, dst, ttl=128):
        self.src = ipaddress.ip_address(src)
        self.dst = ipaddress.ip_address(dst)
        if self.src.version != self.dst.version:
            raise ValueError("mixed IPv4/IPv6 path %s -> %s" % (src, dst))
        self.ttl = ttl
        self._ident = 0x4000
        ethertype = b"\x08\x00" if self.src.version == 4 else b"\x86\xdd"
        self._ethernet = mac_for(dst) + mac_for(src) + ethertype
        addresses = self.src.packed + self.dst.packed
        self._pseudo_sum = _word_sum(addresses)
        # The IPv4 header words that never change: version/IHL/TOS, flags
        # (DF), the TTL half of TTL/protocol, and both addresses.
        self._ipv4_sum = 0x4500 + 0x4000 + (ttl << 8) + self._pseudo_sum

    def _ip(self, proto, segment):
        if self.src.version == 6:
            return self._IPV6.pack(0x60000000, len(segment), proto, self.ttl,
                                   self.src.packed, self.dst.packed) + segment
        self._ident = (self._ident + 1) & 0xFFFF
        total_length = 20 + len(segment)
        checksum = _checksum(self._ipv4_sum + proto + total_length
                             + self._ident)
        return self._IPV4.pack(0x45, 0, total_length, self._ident, 0x4000,
                               self.ttl, proto, checksum, self.src.packed,
                               self.dst.packed) + segment

    def udp(self, sport, dport, payload):
        """Return an Ethernet frame carrying one UDP datagram."""
        length = 8 + len(payload)
        total = (self._pseudo_sum + IPPROTO_UDP + length + (sport << 48)
                 + (dport << 32) + (length << 16) + _word_sum(payload))
        header = self._UDP.pack(sport, dport, length, _checksum(total))
        return self._ethernet + self._ip(IPPROTO_UDP, header + payload)

    def icmp_port_unreachable(self, quoted_frame):
        """Return an Ethernet frame with an ICMP port unreachable error that
        quotes the IPv4 packet of ``quoted_frame`` (an Ethernet frame), as a
        host whose UDP port is closed answers (RFC 792, 1812)."""
        if self.src.version != 4:
            raise ValueError("ICMP errors are written for IPv4 paths only")
        quoted = quoted_frame[14:]
        body = b"\x00\x00\x00\x00" + quoted
        checksum = _checksum(0x0303 + _word_sum(body))
        message = struct.pack("!BBH", 3, 3, checksum) + body
        return self._ethernet + self._ip(IPPROTO_ICMP, message)

    def tcp(self, sport, dport, seq, ack, flags, payload=b"", window=64240,
            options=b""):
        """Return an Ethernet frame carrying one TCP segment."""
        offset_byte = (5 + len(options) // 4) << 4
        header = self._TCP.pack(sport, dport, seq, ack, offset_byte, flags,
                                window, 0, 0) + options
        length = len(header) + len(payload)
        total = (self._pseudo_sum + IPPROTO_TCP + length + _word_sum(header)
                 + _word_sum(payload))
        checksum = _checksum(total).to_bytes(2, "big")
        segment = header[:16] + checksum + header[18:] + payload
        return self._ethernet + self._ip(IPPROTO_TCP, segment)


class Network:
    """The capture being written: a pcap writer, a clock and cached paths.

    Every frame goes through here so that frame numbers and timestamps stay
    in step.  ``emit`` and ``udp`` return the number of the frame written.
    """

    def __init__(self, fileobj, clock=None):
        self.pcap = PcapWriter(fileobj)
        self.clock = clock or Clock()
        self._paths = {}

    def path(self, src, dst):
        """Return the (cached) IPPath from ``src`` to ``dst``."""
        key = (src, dst)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = IPPath(src, dst)
        return path

    def emit(self, frame):
        """Write a ready-made frame at the current virtual time."""
        return self.pcap.write(self.clock.tick(), frame)

    def udp(self, src, sport, dst, dport, payload):
        """Write one UDP datagram; return its frame number."""
        return self.emit(self.path(src, dst).udp(sport, dport, payload))

    @property
    def frames(self):
        """The number of the last frame written so far."""
        return self.pcap.frames


class TcpStream:
    """One TCP connection, with sequence numbers tracked in both directions.

    Wireshark's TCP analysis and reassembly only work when sequence and
    acknowledgement numbers are consistent, so every segment is sent through
    here.  Each data segment acknowledges everything the peer has sent, which
    keeps Wireshark from seeing lost segments, retransmissions or a full
    window.
    """

    _MSS_OPTION = b"\x02\x04\x05\xb4"  # MSS 1460, as a real SYN carries

    def __init__(self, net, client, client_port, server, server_port,
                 client_isn=0x10000000, server_isn=0x20000000):
        self.net = net
        self.client = (client, client_port)
        self.server = (server, server_port)
        self._next_seq = {True: client_isn, False: server_isn}

    def segment(self, from_client, flags, payload=b"", options=b""):
        """Write one segment with the next sequence number; return its frame.

        The acknowledgement number, when ACK is set, covers everything the
        peer has sent so far.
        """
        src, sport = self.client if from_client else self.server
        dst, dport = self.server if from_client else self.client
        seq = self._next_seq[from_client]
        ack = self._next_seq[not from_client] if flags & TCP_ACK else 0
        frame = self.net.path(src, dst).tcp(sport, dport, seq, ack, flags,
                                            payload, options=options)
        advance = len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)
        self._next_seq[from_client] = (seq + advance) & 0xFFFFFFFF
        return self.net.emit(frame)

    def handshake(self):
        """Write SYN, SYN/ACK, ACK; return their frame numbers."""
        mss = self._MSS_OPTION
        return [self.segment(True, TCP_SYN, options=mss),
                self.segment(False, TCP_SYN | TCP_ACK, options=mss),
                self.segment(True, TCP_ACK)]

    def send(self, from_client, data, pieces=1):
        """Send ``data`` in ``pieces`` segments of near-equal size.

        Returns the frame numbers.  Splitting one message over several
        segments exercises TCP reassembly in the dissectors above TCP.
        """
        if pieces < 1 or pieces > max(len(data), 1):
            raise ValueError("cannot split %d bytes into %d segments"
                             % (len(data), pieces))
        cuts = [len(data) * i // pieces for i in range(pieces + 1)]
        frames = []
        for i in range(pieces):
            flags = TCP_ACK | (TCP_PSH if i == pieces - 1 else 0)
            frames.append(self.segment(from_client, flags,
                                       data[cuts[i]:cuts[i + 1]]))
        return frames

    def close(self):
        """Write an orderly FIN exchange; return the frame numbers."""
        return [self.segment(True, TCP_FIN | TCP_ACK),
                self.segment(False, TCP_FIN | TCP_ACK),
                self.segment(True, TCP_ACK)]


# --------------------------------------------------------------------------
# NDR and DCE/RPC connection-oriented PDUs (C706 chapters 12 and 14)
# --------------------------------------------------------------------------

DREP_LITTLE_ENDIAN = b"\x10\x00\x00\x00"  # ASCII, little-endian, IEEE float
DREP_BIG_ENDIAN = b"\x00\x00\x00\x00"     # ASCII, big-endian, IEEE float

PTYPE_REQUEST = 0
PTYPE_RESPONSE = 2
PTYPE_FAULT = 3
PTYPE_BIND = 11
PTYPE_BIND_ACK = 12
PTYPE_AUTH3 = 16          # MS-RPCE 2.2.2.10: the third leg of NTLM
PTYPE_CO_CANCEL = 18

PFC_FIRST_FRAG = 0x01
PFC_LAST_FRAG = 0x02

EMSMDB_UUID = uuid.UUID("a4f1db00-ca47-1067-b31f-00dd010662da")
EMSMDB_VERSION = (0, 81)
# MS-OXCRPC 1.9 / 3.3: the interface of EcDoAsyncWaitEx, version 0.1.
ASYNCEMSMDB_UUID = uuid.UUID("5261574a-4572-206e-b268-6b199213b4e4")
ASYNCEMSMDB_VERSION = (0, 1)
NDR_UUID = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860")
NDR_VERSION = 2


class NdrWriter:
    """Encodes NDR primitives in one byte order, aligned to the stub start.

    Alignment is relative to the start of the stub, which is how the stub
    dissectors in Wireshark (and our plugin) count it.
    """

    def __init__(self, little_endian=True):
        self.little_endian = little_endian
        self._prefix = "<" if little_endian else ">"
        self._buffer = bytearray()

    def align(self, boundary):
        """Pad with zero bytes up to the next multiple of ``boundary``."""
        self._buffer += bytes(-len(self._buffer) % boundary)
        return self

    def u16(self, value):
        """Append an aligned unsigned short."""
        self.align(2)
        self._buffer += struct.pack(self._prefix + "H", value & 0xFFFF)
        return self

    def u32(self, value):
        """Append an aligned unsigned long."""
        self.align(4)
        self._buffer += struct.pack(self._prefix + "I", value & 0xFFFFFFFF)
        return self

    def raw(self, data):
        """Append bytes as they are (byte arrays need no alignment)."""
        self._buffer += data
        return self

    def uuid(self, value):
        """Append a GUID: its first three fields follow the byte order."""
        self.align(4)
        self._buffer += value.bytes_le if self.little_endian else value.bytes
        return self

    def conformant_array(self, data, max_count=None):
        """Append a conformant byte array: max_count, then the bytes.

        ``max_count`` can be set apart from ``len(data)`` to build
        inconsistent arrays on purpose.
        """
        self.u32(len(data) if max_count is None else max_count)
        return self.raw(data)

    def getvalue(self):
        """Return the bytes encoded so far."""
        return bytes(self._buffer)


def rpc_header(ptype, flags, frag_length, call_id, little_endian,
               auth_length=0):
    """Return the 16-byte common header of a connection-oriented PDU."""
    drep = DREP_LITTLE_ENDIAN if little_endian else DREP_BIG_ENDIAN
    order = "<" if little_endian else ">"
    return (struct.pack("BBBB", 5, 0, ptype, flags) + drep
            + struct.pack(order + "HHI", frag_length, auth_length, call_id))


def _pdu(ptype, flags, call_id, little_endian, body, auth_value=b"",
         security=None):
    """Return a PDU; with ``auth_value`` (a security token) the body is
    padded to 4 bytes and followed by a sec_trailer and the token, as binds,
    bind_acks and AUTH3 carry them (MS-RPCE 2.2.2.11)."""
    if not auth_value:
        return rpc_header(ptype, flags, 16 + len(body), call_id,
                          little_endian) + body
    pad = -len(body) % 4
    body += bytes(pad) + sec_trailer(security, pad, little_endian)
    return rpc_header(ptype, flags, 16 + len(body) + len(auth_value),
                      call_id, little_endian, len(auth_value)) \
        + body + auth_value


def sec_trailer(security, pad, little_endian=True):
    """Return the 8-byte sec_trailer (C706 auth_verifier_co_t header):
    auth_type, auth_level, auth_pad_length, reserved, auth_context_id."""
    order = "<" if little_endian else ">"
    return struct.pack(order + "BBBBI", security.auth_type,
                       security.auth_level, pad, 0, security.context_id)


def protected_pdu(ptype, flags, call_id, little_endian, body_header, stub,
                  security, from_client):
    """Return a request or response PDU whose stub is sealed and signed.

    MS-RPCE 2.2.2.11: the sec_trailer is 16-byte aligned relative to the
    start of the stub, so the stub is padded (auth_pad_length says by how
    much).  ``security.seal`` encrypts stub and padding and returns the
    verifier computed over the whole PDU as it will be sent, the verifier
    itself left out (NTLM with extended session security signs the header
    too).
    """
    pad = -len(stub) % 16
    trailer = sec_trailer(security, pad, little_endian)
    plain = stub + bytes(pad)
    frag_length = (16 + len(body_header) + len(plain) + len(trailer)
                   + security.verifier_length)
    header = rpc_header(ptype, flags, frag_length, call_id, little_endian,
                        security.verifier_length)
    sealed, verifier = security.seal(
        from_client, header + body_header + plain + trailer, plain)
    if len(verifier) != security.verifier_length:
        raise ValueError("verifier of %d bytes" % len(verifier))
    return header + body_header + sealed + trailer + verifier


def _syntax_id(ndr, syntax_uuid, major, minor):
    # The interface version is one NDR uint32, major in the low half.
    ndr.uuid(syntax_uuid).u32(major | minor << 16)


def bind_pdu(call_id, little_endian=True, interface=EMSMDB_UUID,
             version=EMSMDB_VERSION, max_frag=5840, auth_value=b"",
             security=None):
    """Return a bind PDU offering one presentation context (id 0, NDR).

    ``auth_value`` (with ``security``) is the first security token, e.g.
    NTLM's NEGOTIATE_MESSAGE.
    """
    ndr = NdrWriter(little_endian)
    ndr.u16(max_frag).u16(max_frag).u32(0)      # xmit, recv, assoc_group
    ndr.raw(b"\x01\x00\x00\x00")                 # one context element
    ndr.u16(0).raw(b"\x01\x00")                  # context id 0, one syntax
    _syntax_id(ndr, interface, *version)
    _syntax_id(ndr, NDR_UUID, NDR_VERSION, 0)
    return _pdu(PTYPE_BIND, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
                little_endian, ndr.getvalue(), auth_value, security)


def auth3_pdu(call_id, auth_value, security, little_endian=True):
    """Return an AUTH3 PDU (MS-RPCE 2.2.2.10): 4 bytes of pad, then the
    sec_trailer and the last token (NTLM's AUTHENTICATE_MESSAGE)."""
    return _pdu(PTYPE_AUTH3, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
                little_endian, bytes(4), auth_value, security)


def bind_ack_pdu(call_id, little_endian=True, secondary_address=b"6001",
                 max_frag=5840, assoc_group=0x00012345, auth_value=b"",
                 security=None):
    """Return a bind_ack accepting presentation context 0 with NDR.

    ``auth_value`` (with ``security``) is the server's security token, e.g.
    NTLM's CHALLENGE_MESSAGE.
    """
    ndr = NdrWriter(little_endian)
    ndr.u16(max_frag).u16(max_frag).u32(assoc_group)
    port_spec = secondary_address + b"\x00"
    ndr.u16(len(port_spec)).raw(port_spec)
    # The result list is 4-aligned relative to the PDU, whose header is 16
    # bytes, so aligning the body to 4 is the same thing.
    ndr.align(4).raw(b"\x01\x00\x00\x00")        # one result
    ndr.u16(0).u16(0)                            # acceptance, no reason
    _syntax_id(ndr, NDR_UUID, NDR_VERSION, 0)
    return _pdu(PTYPE_BIND_ACK, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
                little_endian, ndr.getvalue(), auth_value, security)


def _split(data, pieces):
    """Cut ``data`` into ``pieces`` parts, all but the last a multiple of 8.

    NDR stubs are fragmented on 8-byte boundaries by real implementations;
    every part is non-empty unless the whole stub is.
    """
    if pieces < 1:
        raise ValueError("need at least one fragment")
    if not data:
        parts = [b""]
    else:
        step = -(-len(data) // pieces)
        step += -step % 8
        parts = [data[i:i + step] for i in range(0, len(data), step)]
    if len(parts) != pieces:
        raise ValueError("a %d-byte stub cannot make %d fragments"
                         % (len(data), pieces))
    return parts


def request_pdus(call_id, opnum, stub, little_endian=True, fragments=1,
                 context_id=0, security=None):
    """Return the request PDU(s) carrying ``stub``, fragmented as asked.

    alloc_hint is the number of stub bytes still to come, as Windows sends it.
    With ``security`` the one PDU is sealed and signed (see protected_pdu).
    """
    order = "<" if little_endian else ">"
    if security is not None:
        if fragments != 1:
            raise ValueError("sealed requests are written unfragmented")
        return [protected_pdu(
            PTYPE_REQUEST, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
            little_endian, struct.pack(order + "IHH", len(stub), context_id,
                                       opnum), stub, security, True)]
    parts = _split(stub, fragments)
    pdus = []
    remaining = len(stub)
    for i, part in enumerate(parts):
        flags = ((PFC_FIRST_FRAG if i == 0 else 0)
                 | (PFC_LAST_FRAG if i == len(parts) - 1 else 0))
        body = struct.pack(order + "IHH", remaining, context_id, opnum) + part
        pdus.append(_pdu(PTYPE_REQUEST, flags, call_id, little_endian, body))
        remaining -= len(part)
    return pdus


def response_pdu(call_id, stub, little_endian=True, context_id=0,
                 security=None):
    """Return one unfragmented response PDU carrying ``stub``, sealed and
    signed by the server when ``security`` is given."""
    order = "<" if little_endian else ">"
    body_header = struct.pack(order + "IHBB", len(stub), context_id, 0, 0)
    if security is not None:
        return protected_pdu(PTYPE_RESPONSE, PFC_FIRST_FRAG | PFC_LAST_FRAG,
                             call_id, little_endian, body_header, stub,
                             security, False)
    return _pdu(PTYPE_RESPONSE, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
                little_endian, body_header + stub)


# C706 appendix E / MS-RPCE 2.2.2.2: the fault a server returns for a call
# the client cancelled.
NCA_S_FAULT_CANCEL = 0x1C00000D


def fault_pdu(call_id, status, little_endian=True, context_id=0,
              cancel_count=0):
    """Return a fault PDU (C706 12.6.4.7): alloc_hint, p_cont_id,
    cancel_count, reserved, status, 4 reserved bytes, no stub."""
    order = "<" if little_endian else ">"
    body = struct.pack(order + "IHBBI", 0, context_id, cancel_count, 0,
                       status) + bytes(4)
    return _pdu(PTYPE_FAULT, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
                little_endian, body)


def co_cancel_pdu(call_id, little_endian=True):
    """Return a co_cancel PDU (C706 12.6.4.1), with no optional data: the
    client asks the server to cancel call ``call_id``."""
    return _pdu(PTYPE_CO_CANCEL, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
                little_endian, b"")


# --------------------------------------------------------------------------
# EMSMDB stubs (MS-OXCRPC 3.1.4.5 and 3.1.4.6) and Windows SOCKADDRs
# --------------------------------------------------------------------------

OPNUM_REGISTER = 4
OPNUM_UNREGISTER = 5
ADVISE_BITS_ALL = 0xFFFFFFFF
AF_INET = 2
AF_INET6 = 23
SOCKADDR_IN_SIZE = 16
SOCKADDR_IN6_SIZE = 28


def context_handle(handle_uuid, little_endian=True, attributes=0):
    """Return the 20-byte NDR context handle (pcxh)."""
    return (NdrWriter(little_endian).u32(attributes).uuid(handle_uuid)
            .getvalue())


def sockaddr_in(address, port, family=AF_INET, length=SOCKADDR_IN_SIZE):
    """Return a Windows SOCKADDR_IN, cut or zero-padded to ``length`` bytes.

    The family is little-endian (host order on Windows), the port and address
    are in network order.
    """
    full = (struct.pack("<H", family) + struct.pack(">H", port)
            + ipaddress.IPv4Address(address).packed + bytes(8))
    return full[:length].ljust(length, b"\x00")


def sockaddr_in6(address, port, flowinfo=0, scope_id=0, family=AF_INET6,
                 length=SOCKADDR_IN6_SIZE):
    """Return a Windows SOCKADDR_IN6, cut or zero-padded to ``length`` bytes.

    flowinfo is in network order; the scope id is a host-order (little-endian)
    ULONG, as Windows lays the structure out.
    """
    full = (struct.pack("<H", family) + struct.pack(">HI", port, flowinfo)
            + ipaddress.IPv6Address(address).packed
            + struct.pack("<I", scope_id))
    return full[:length].ljust(length, b"\x00")


def register_request_stub(handle, context, callback, little_endian=True, *,
                          irpc=0, context_max_count=None, cb_context=None,
                          advise_bits=ADVISE_BITS_ALL,
                          callback_max_count=None, cb_callback=None,
                          truncate_at=None):
    """Return the NDR stub of an EcRRegisterPushNotification request.

    ``handle`` is the 20-byte pcxh.  Every count can be overridden apart from
    the data it describes, and ``truncate_at`` cuts the finished stub, so that
    the malformed cases a dissector must reject can be built.
    """
    ndr = NdrWriter(little_endian)
    ndr.raw(handle).u32(irpc)
    ndr.conformant_array(context, context_max_count)
    ndr.u16(len(context) if cb_context is None else cb_context)
    ndr.u32(advise_bits)
    ndr.conformant_array(callback, callback_max_count)
    ndr.u16(len(callback) if cb_callback is None else cb_callback)
    stub = ndr.getvalue()
    return stub if truncate_at is None else stub[:truncate_at]


def callback_offset(context_length):
    """Return where rgbCallbackAddress's bytes start in an opnum 4 stub.

    The layout depends only on the context's length, so this holds for the
    malformed variants too (overridden counts do not move anything).
    """
    offset = 20 + 4 + 4 + context_length   # pcxh, iRpc, max_count, bytes
    offset += offset & 1                    # cbContext is 2-aligned
    offset += 2
    offset += -offset % 4                   # grbitAdviseBits is 4-aligned
    return offset + 4 + 4                   # grbitAdviseBits, max_count


def advertised_port(stub, context_length):
    """Return the port bytes of the stub's SOCKADDR, valid or not, if present.

    This is what a datagram aimed at "the port the stub names" uses, even
    when a correct dissector must refuse to learn it.
    """
    port_at = callback_offset(context_length) + 2
    if len(stub) < port_at + 2:
        return None
    return struct.unpack(">H", stub[port_at:port_at + 2])[0]


def register_response_stub(handle, notification_handle, status,
                           little_endian=True):
    """Return the stub of an EcRRegisterPushNotification response."""
    return (NdrWriter(little_endian).raw(handle).u32(notification_handle)
            .u32(status).getvalue())


def unregister_request_stub(handle, notification_handle, little_endian=True):
    """Return the stub of an EcRUnregisterPushNotification request."""
    ndr = NdrWriter(little_endian).raw(handle).u32(notification_handle)
    return ndr.getvalue()


def unregister_response_stub(handle, status, little_endian=True):
    """Return the stub of an EcRUnregisterPushNotification response."""
    return NdrWriter(little_endian).raw(handle).u32(status).getvalue()


# --------------------------------------------------------------------------
# Session stubs: EcDoConnect(Ex), EcDoDisconnect, EcDoRpc(Ext2),
# EcDoAsyncConnectEx (MS-OXCRPC 3.1.4) and AsyncEMSMDB's EcDoAsyncWaitEx
# (MS-OXCRPC 3.3.4.1)
# --------------------------------------------------------------------------
#
# NDR reminders for these IDL signatures: [in] and [out] parameters are laid
# out in the order the IDL lists them, [in] ones in the request and [out]
# ones (then the return value) in the response.  A top-level pointer is
# [ref] (no referent id on the wire); the inner pointer of an [out, string]
# char ** is unique (a referent id, then the string).  Strings and
# [size_is, length_is] arrays are conformant and varying (max_count, offset,
# actual_count, then the elements); [size_is] alone is conformant (max_count,
# then the elements).  Integers are aligned on their size, relative to the
# start of the stub.

OPNUM_CONNECT = 0             # EcDoConnect: old clients (Exchange 2003)
OPNUM_DISCONNECT = 1          # EcDoDisconnect
OPNUM_RPC = 2                 # EcDoRpc: old clients' ROP call
OPNUM_CONNECT_EX = 10         # EcDoConnectEx
OPNUM_RPC_EXT2 = 11           # EcDoRpcExt2
OPNUM_ASYNC_CONNECT_EX = 14   # EcDoAsyncConnectEx
OPNUM_ASYNC_WAIT_EX = 0       # EcDoAsyncWaitEx, on the AsyncEMSMDB interface
NOTIFICATION_PENDING = 0x00000001   # pulFlagsOut of EcDoAsyncWaitEx
NULL_HANDLE = bytes(20)       # the context handle of "no session"
BIG_RANGE_ULONG_MAX = 0x40000     # pcbOut's upper bound (3.1.4.2)
SMALL_RANGE_ULONG_MAX = 0x1008    # pcbAuxOut's upper bound

RPC_HEADER_EXT_COMPRESSED = 0x0001
RPC_HEADER_EXT_XOR_MAGIC = 0x0002
RPC_HEADER_EXT_LAST = 0x0004
AUX_TYPE_PERF_REQUESTID = 0x01
AUX_VERSION_1 = 0x01

# What EcDoConnect(Ex) carries besides the handle: a user DN, the versions.
USER_DN = ("/o=Example/ou=Exchange Administrative Group"
           "/cn=Recipients/cn=user")
DN_PREFIX = "/o=Example/ou=Exchange Administrative Group"
DISPLAY_NAME = "Example User"
CLIENT_VERSION = (0x000C, 0x0000, 0x1B5B)     # Outlook 12.0.6997
SERVER_VERSION = (0x000F, 0x0001, 0x0847)     # Exchange 15.1.2119


def rpc_header_ext(payload, flags=RPC_HEADER_EXT_LAST, version=0):
    """Return one RPC_HEADER_EXT block (MS-OXCRPC 2.2.2.1) and its payload,
    uncompressed and not obfuscated: Size and SizeActual are both the
    payload's length.  Always little-endian: it is a byte buffer to NDR."""
    return struct.pack("<HHHH", version, flags, len(payload),
                       len(payload)) + payload


def rop_buffer(rops=b"", handles=(0xFFFFFFFF,)):
    """Return an rgbIn/rgbOut buffer: one RPC_HEADER_EXT block holding
    RopSize (2 + the ROP bytes), the ROPs as given, then the server object
    handle table (MS-OXCROPS 2.2.1)."""
    payload = struct.pack("<H", 2 + len(rops)) + rops
    payload += b"".join(struct.pack("<I", handle) for handle in handles)
    return rpc_header_ext(payload)


def aux_buffer(session_id=1, request_id=1):
    """Return an auxiliary buffer with one AUX_PERF_REQUESTID block
    (MS-OXCRPC 2.2.2.2 and 2.2.2.4): what a client sends in rgbAuxIn."""
    block = struct.pack("<HBB", 8, AUX_VERSION_1, AUX_TYPE_PERF_REQUESTID)
    block += struct.pack("<HH", session_id, request_id)
    return rpc_header_ext(block)


def _cv_string(ndr, text):
    """A conformant varying NUL-terminated 8-bit string."""
    data = text.encode("ascii") + b"\x00"
    ndr.u32(len(data)).u32(0).u32(len(data)).raw(data)


def _cv_bytes(ndr, data):
    """A [size_is(n), length_is(n)] byte array: max_count, offset, count."""
    ndr.u32(len(data)).u32(0).u32(len(data)).raw(data)


def _connect_request(little_endian, user_dn, flags, con_mod, limit, cpid,
                     lcid_string, lcid_sort, icxr_link, can_convert,
                     client_version, timestamp):
    ndr = NdrWriter(little_endian)
    _cv_string(ndr, user_dn)                 # szUserDN, a [ref] string
    for value in (flags, con_mod, limit, cpid, lcid_string, lcid_sort,
                  icxr_link):
        ndr.u32(value)
    ndr.u16(can_convert)                     # usFCanConvertCodePages
    for word in client_version:              # rgwClientVersion[3]
        ndr.u16(word)
    ndr.u32(timestamp)                       # *pulTimeStamp
    return ndr


def connect_request_stub(little_endian=True, user_dn=USER_DN, *, flags=0,
                         con_mod=0, limit=0, cpid=1252, lcid_string=1033,
                         lcid_sort=1033, icxr_link=0xFFFFFFFF, can_convert=1,
                         client_version=CLIENT_VERSION, timestamp=0):
    """Return the request stub of EcDoConnect (opnum 0), the old IDL that
    EcDoConnectEx extends: EcDoConnectEx's [in] parameters up to
    pulTimeStamp, no auxiliary buffer."""
    return _connect_request(little_endian, user_dn, flags, con_mod, limit,
                            cpid, lcid_string, lcid_sort, icxr_link,
                            can_convert, client_version,
                            timestamp).getvalue()


def connect_ex_request_stub(little_endian=True, user_dn=USER_DN, *,
                            aux_in=None, pcb_aux_out=SMALL_RANGE_ULONG_MAX,
                            flags=0, con_mod=0x2A5F3C91, limit=0, cpid=1252,
                            lcid_string=1033, lcid_sort=1033,
                            icxr_link=0xFFFFFFFF, can_convert=1,
                            client_version=CLIENT_VERSION, timestamp=0):
    """Return the request stub of EcDoConnectEx (opnum 10, MS-OXCRPC
    3.1.4.1): szUserDN, ulFlags, ulConMod, cbLimit, ulCpid, ulLcidString,
    ulLcidSort, ulIcxrLink, usFCanConvertCodePages, rgwClientVersion[3],
    *pulTimeStamp, rgbAuxIn (conformant), cbAuxIn, *pcbAuxOut."""
    aux_in = aux_buffer() if aux_in is None else aux_in
    ndr = _connect_request(little_endian, user_dn, flags, con_mod, limit,
                           cpid, lcid_string, lcid_sort, icxr_link,
                           can_convert, client_version, timestamp)
    ndr.conformant_array(aux_in)             # rgbAuxIn[cbAuxIn]
    ndr.u32(len(aux_in)).u32(pcb_aux_out)    # cbAuxIn, *pcbAuxOut
    return ndr.getvalue()


def _connect_response(handle, little_endian, dn_prefix, display_name,
                      polls_max, retry, retry_delay, icxr, server_version,
                      best_version, timestamp):
    ndr = NdrWriter(little_endian).raw(handle)          # *pcxh
    ndr.u32(polls_max).u32(retry).u32(retry_delay)      # pcmsPollsMax ...
    ndr.u16(icxr)                                       # *picxr
    ndr.u32(0x00020000)                                 # szDNPrefix: unique
    _cv_string(ndr, dn_prefix)
    ndr.u32(0x00020004)                                 # szDisplayName
    _cv_string(ndr, display_name)
    for word in tuple(server_version) + tuple(best_version):
        ndr.u16(word)                                   # rgwServer/BestVersion
    ndr.u32(timestamp)                                  # *pulTimeStamp
    return ndr


def connect_response_stub(handle, little_endian=True, *, status=0,
                          dn_prefix=DN_PREFIX, display_name=DISPLAY_NAME,
                          polls_max=60000, retry=6, retry_delay=10000,
                          icxr=1, server_version=SERVER_VERSION,
                          best_version=CLIENT_VERSION, timestamp=0x5A3C0000):
    """Return the response stub of EcDoConnect (opnum 0): *pcxh, the
    polling and retry values, *picxr, szDNPrefix, szDisplayName, the
    server's and best versions, *pulTimeStamp, the return value."""
    ndr = _connect_response(handle, little_endian, dn_prefix, display_name,
                            polls_max, retry, retry_delay, icxr,
                            server_version, best_version, timestamp)
    return ndr.u32(status).getvalue()


def connect_ex_response_stub(handle, little_endian=True, *, status=0,
                             aux_out=b"", dn_prefix=DN_PREFIX,
                             display_name=DISPLAY_NAME, polls_max=60000,
                             retry=6, retry_delay=10000, icxr=1,
                             server_version=SERVER_VERSION,
                             best_version=CLIENT_VERSION,
                             timestamp=0x5A3C0000):
    """Return the response stub of EcDoConnectEx (opnum 10): as
    EcDoConnect's, then rgbAuxOut (conformant varying), *pcbAuxOut and the
    return value.  A refused connect returns the all-zero handle."""
    ndr = _connect_response(handle, little_endian, dn_prefix, display_name,
                            polls_max, retry, retry_delay, icxr,
                            server_version, best_version, timestamp)
    _cv_bytes(ndr, aux_out)
    return ndr.u32(len(aux_out)).u32(status).getvalue()


def disconnect_request_stub(handle, little_endian=True):
    """Return the request stub of EcDoDisconnect (opnum 1, 3.1.4.3): pcxh."""
    return NdrWriter(little_endian).raw(handle).getvalue()


def disconnect_response_stub(status=0, little_endian=True,
                             handle=NULL_HANDLE):
    """Return the response stub of EcDoDisconnect: the handle, zeroed when
    the session is gone, and the return value."""
    return NdrWriter(little_endian).raw(handle).u32(status).getvalue()


def xor_a5(data):
    """Obfuscate (or clear) a buffer the way EcDoRpc's were: XOR 0xA5."""
    return bytes(b ^ 0xA5 for b in data)


# An old-style ROP request: RopOpenFolder (0x02) on handle index 0 of
# folder id 1, and its reply, ecNotFound (0x8004010F).
_OPEN_FOLDER = bytes([0x02, 0x00, 0x00, 0x00]) + struct.pack("<Q", 1) + b"\x00"
OLD_ROP_REQUEST = (struct.pack("<H", 2 + len(_OPEN_FOLDER)) + _OPEN_FOLDER
                   + struct.pack("<I", 1))
OLD_ROP_REPLY = struct.pack("<HBBI", 8, 0x02, 0x00, 0x8004010F) \
    + struct.pack("<I", 1)


def rpc_request_stub(handle, little_endian=True, rop_request=OLD_ROP_REQUEST,
                     *, flags=0, offset=0, max_data=0x8000):
    """Return the request stub of EcDoRpc (opnum 2, reserved since Exchange
    2010), laid out as Wireshark's MAPI dissector reads it: pcxh, two
    ulongs, the ROP buffer (length-prefixed, XOR 0xA5), its length (uint16)
    and the maximum reply size (uint16)."""
    ndr = NdrWriter(little_endian).raw(handle).u32(flags).u32(offset)
    ndr.u32(len(rop_request)).raw(xor_a5(rop_request))
    return ndr.u16(len(rop_request)).u16(max_data).getvalue()


def rpc_response_stub(handle, little_endian=True, rop_reply=OLD_ROP_REPLY,
                      *, status=0, flags=0, offset=0):
    """Return the response stub of EcDoRpc: pcxh, two ulongs, the ROP reply
    buffer (length-prefixed, XOR 0xA5), its length and the return value."""
    ndr = NdrWriter(little_endian).raw(handle).u32(flags).u32(offset)
    ndr.u32(len(rop_reply)).raw(xor_a5(rop_reply))
    return ndr.u16(len(rop_reply)).u32(status).getvalue()


def rpc_ext2_request_stub(handle, little_endian=True, rgb_in=None, *,
                          flags=0, pcb_out=BIG_RANGE_ULONG_MAX, aux_in=None,
                          pcb_aux_out=SMALL_RANGE_ULONG_MAX):
    """Return the request stub of EcDoRpcExt2 (opnum 11, MS-OXCRPC
    3.1.4.2): *pcxh, *pulFlags, rgbIn (conformant), cbIn, *pcbOut,
    rgbAuxIn (conformant), cbAuxIn, *pcbAuxOut.  ``rgb_in`` defaults to a
    ROP buffer with no ROP (what a client sends to collect notifications)."""
    rgb_in = rop_buffer() if rgb_in is None else rgb_in
    aux_in = aux_buffer() if aux_in is None else aux_in
    ndr = NdrWriter(little_endian).raw(handle).u32(flags)
    ndr.conformant_array(rgb_in).u32(len(rgb_in)).u32(pcb_out)
    ndr.conformant_array(aux_in).u32(len(aux_in)).u32(pcb_aux_out)
    return ndr.getvalue()


def rpc_ext2_response_stub(handle, little_endian=True, rgb_out=None, *,
                           status=0, flags=0, aux_out=b"", trans_time=15):
    """Return the response stub of EcDoRpcExt2: *pcxh, *pulFlags, rgbOut
    (conformant varying), *pcbOut, rgbAuxOut (conformant varying),
    *pcbAuxOut, *pulTransTime and the return value.  ``rgb_out`` is the ROP
    response buffer as it goes on the wire (see rpc_header_ext); it
    defaults to an empty ROP list."""
    rgb_out = rop_buffer() if rgb_out is None else rgb_out
    ndr = NdrWriter(little_endian).raw(handle).u32(flags)
    _cv_bytes(ndr, rgb_out)
    ndr.u32(len(rgb_out))
    _cv_bytes(ndr, aux_out)
    return ndr.u32(len(aux_out)).u32(trans_time).u32(status).getvalue()


def async_connect_request_stub(handle, little_endian=True):
    """Return the request stub of EcDoAsyncConnectEx (opnum 14): cxh."""
    return NdrWriter(little_endian).raw(handle).getvalue()


def async_connect_response_stub(async_handle, status=0, little_endian=True):
    """Return the response stub of EcDoAsyncConnectEx: *pacxh (the ACXH, a
    20-byte context handle) and the return value."""
    return NdrWriter(little_endian).raw(async_handle).u32(status).getvalue()


def async_wait_request_stub(async_handle, flags_in=0, little_endian=True):
    """Return the request stub of EcDoAsyncWaitEx (AsyncEMSMDB opnum 0,
    MS-OXCRPC 3.3.4.1): acxh, ulFlagsIn (must be 0)."""
    return NdrWriter(little_endian).raw(async_handle).u32(flags_in).getvalue()


def async_wait_response_stub(flags_out, status=0, little_endian=True):
    """Return the response stub of EcDoAsyncWaitEx: *pulFlagsOut
    (NOTIFICATION_PENDING or 0) and the return value."""
    return NdrWriter(little_endian).u32(flags_out).u32(status).getvalue()


# --------------------------------------------------------------------------
# Reference reading of the opnum 4 request
# --------------------------------------------------------------------------

# Problems that make a registration unusable: no port may be learned from it.
FATAL_PROBLEMS = frozenset({
    "truncated", "context_count_mismatch", "callback_count_mismatch",
    "unknown_family", "sockaddr_too_short", "port_zero"})


@dataclass
class RegisterRequest:
    """What a correct reader finds in an opnum 4 request stub.

    ``problems`` names each rule the stub breaks (see FATAL_PROBLEMS; the
    only non-fatal one is "advise_bits"); ``family``, ``address`` and ``port``
    are None when the stub does not get that far or the SOCKADDR is unusable.
    """

    context: bytes = None
    advise_bits: int = None
    sockaddr: bytes = None
    family: int = None
    address: str = None
    port: int = None
    problems: list = field(default_factory=list)

    @property
    def valid(self):
        """True when a port can be learned from this request."""
        return not FATAL_PROBLEMS.intersection(self.problems)


class _Truncated(Exception):
    pass


class _NdrReader:
    def __init__(self, data, little_endian):
        self.data = data
        self.offset = 0
        self._prefix = "<" if little_endian else ">"

    def take(self, count):
        if count > len(self.data) - self.offset:
            raise _Truncated
        chunk = self.data[self.offset:self.offset + count]
        self.offset += count
        return chunk

    def number(self, size, code):
        self.offset += -self.offset % size
        return struct.unpack(self._prefix + code, self.take(size))[0]


def parse_register_request(stub, little_endian=True):
    """Read an opnum 4 request stub the way PROTOCOL.md says a dissector must.

    Counts must agree with their arrays, the SOCKADDR must be AF_INET with at
    least 16 bytes or AF_INET6 with at least 28, and the port must not be 0;
    grbitAdviseBits other than 0xFFFFFFFF is reported but not fatal.
    """
    result = RegisterRequest()
    reader = _NdrReader(stub, little_endian)
    try:
        reader.take(20)                      # pcxh
        reader.number(4, "I")                # iRpc
        result.context = reader.take(reader.number(4, "I"))
        if reader.number(2, "H") != len(result.context):
            result.problems.append("context_count_mismatch")
        result.advise_bits = reader.number(4, "I")
        if result.advise_bits != ADVISE_BITS_ALL:
            result.problems.append("advise_bits")
        result.sockaddr = reader.take(reader.number(4, "I"))
        if reader.number(2, "H") != len(result.sockaddr):
            result.problems.append("callback_count_mismatch")
    except _Truncated:
        result.problems.append("truncated")
        return result
    _read_sockaddr(result)
    return result


def _read_sockaddr(result):
    raw = result.sockaddr
    family = struct.unpack("<H", raw[:2])[0] if len(raw) >= 2 else None
    if family == AF_INET:
        needed = SOCKADDR_IN_SIZE
    elif family == AF_INET6:
        needed = SOCKADDR_IN6_SIZE
    else:
        result.problems.append("unknown_family" if family is not None
                               else "sockaddr_too_short")
        return
    if len(raw) < needed:
        result.problems.append("sockaddr_too_short")
        return
    port = struct.unpack(">H", raw[2:4])[0]
    if port == 0:
        result.problems.append("port_zero")
        return
    if not FATAL_PROBLEMS.intersection(result.problems):
        result.family = family
        result.port = port
        packed = raw[4:8] if family == AF_INET else raw[8:24]
        result.address = str(ipaddress.ip_address(packed))


# --------------------------------------------------------------------------
# A MAPI client session
# --------------------------------------------------------------------------

@dataclass
class Call:
    """One DCE/RPC call as written: frames, opnum and stubs.

    ``request_frame`` is the frame that completes the request (the last TCP
    segment of the last fragment), which is where Wireshark dissects the stub.
    """

    opnum: int
    little_endian: bool
    request_stub: bytes
    response_stub: bytes
    request_frames: list
    response_frames: list
    # "emsmdb" or "asyncemsmdb": the interface the connection is bound to.
    interface: str = "emsmdb"
    # A call ended by a fault PDU: its status; response_stub is then None
    # and response_frames hold the fault.
    fault_status: int = None
    # The co_cancel PDU the client sent before the fault, if any.
    cancel_frames: list = field(default_factory=list)
    sealed: bool = False

    @property
    def request_frame(self):
        """The frame where Wireshark dissects the reassembled request."""
        return self.request_frames[-1]

    @property
    def response_frame(self):
        """The frame carrying the (unfragmented) response."""
        return self.response_frames[-1]


@dataclass
class PendingCall:
    """A request written whose response has not been written yet (an
    EcDoAsyncWaitEx the server holds for minutes, say)."""

    opnum: int
    call_id: int
    request_stub: bytes
    request_frames: list

    @property
    def request_frame(self):
        """The frame where Wireshark dissects the reassembled request."""
        return self.request_frames[-1]


# The TCP port the EMSMDB server listens on in every capture.  MS-OXCRPC 1.9
# names 6001 (the RPC over HTTP back end), but stock Wireshark registers TCP
# 6000-6063 for X11 and decodes such traffic as X11, so nothing would reach
# DCE/RPC without Decode As.  59531 is a static port administrators commonly
# pin the RPC Client Access service to; no stock dissector claims it, so the
# DCE/RPC heuristic recognises the bind and follows the connection.
EXCHANGE_RPC_PORT = 59531


class MapiSession:
    """An Outlook client's DCE/RPC connection to EMSMDB on an Exchange server.

    ``connect`` writes the TCP handshake and bind/bind_ack; ``call`` writes
    one request/response pair (``request`` and then ``respond`` or
    ``fault`` the same in two steps, for calls the server holds);
    ``register`` and ``unregister`` build the opnum 4 and 5 stubs.  Every
    call is recorded in ``calls``.

    ``interface`` and ``version`` name the interface bound to (AsyncEMSMDB
    runs on a connection of its own).  With ``security`` (an object with
    the tokens and the seal of newmail_gen/ntlm_seal.py) the bind, bind_ack and an
    AUTH3 carry its tokens and every request and response stub is sealed
    and signed (packet privacy).
    """

    def __init__(self, net, client, client_port, server,
                 server_port=EXCHANGE_RPC_PORT,
                 little_endian=True, handle_uuid=None,
                 interface=EMSMDB_UUID, version=EMSMDB_VERSION,
                 security=None):
        self.net = net
        self.client = client
        self.server = server
        self.little_endian = little_endian
        self.interface = interface
        self.version = version
        self.security = security
        self.tcp = TcpStream(net, client, client_port, server, server_port)
        self._secondary_address = str(server_port).encode("ascii")
        if handle_uuid is None:
            handle_uuid = uuid.uuid5(uuid.NAMESPACE_URL, "emsmdb://%s:%d"
                                     % (client, client_port))
        self.handle = context_handle(handle_uuid, little_endian)
        self._call_id = 0
        self.calls = []

    def _next_call_id(self):
        self._call_id += 1
        return self._call_id

    @property
    def interface_name(self):
        """"emsmdb" or "asyncemsmdb", as the manifest names interfaces."""
        return "asyncemsmdb" if self.interface == ASYNCEMSMDB_UUID \
            else "emsmdb"

    def connect(self):
        """Write the handshake and the bind; return the frames.

        With security: bind (first token), bind_ack (second), AUTH3 (third,
        same call id as the bind, no answer), as Windows clients do.
        """
        frames = self.tcp.handshake()
        call_id = self._next_call_id()
        security = self.security
        if security is None:
            frames += self.tcp.send(True, bind_pdu(
                call_id, self.little_endian, self.interface, self.version))
            frames += self.tcp.send(False, bind_ack_pdu(
                call_id, self.little_endian, self._secondary_address))
            return frames
        frames += self.tcp.send(True, bind_pdu(
            call_id, self.little_endian, self.interface, self.version,
            auth_value=security.negotiate(), security=security))
        frames += self.tcp.send(False, bind_ack_pdu(
            call_id, self.little_endian, self._secondary_address,
            auth_value=security.challenge(), security=security))
        frames += self.tcp.send(True, auth3_pdu(
            call_id, security.authenticate(), security, self.little_endian))
        return frames

    def call(self, opnum, request_stub, response_stub, fragments=1,
             tcp_segments=1):
        """Write one request (maybe fragmented or segmented) and its response.

        ``fragments`` splits the stub over that many DCE/RPC fragments, each
        in its own TCP segment; ``tcp_segments`` instead splits a single PDU
        over that many TCP segments.
        """
        pending = self.request(opnum, request_stub, fragments, tcp_segments)
        return self.respond(pending, response_stub)

    def request(self, opnum, request_stub, fragments=1, tcp_segments=1):
        """Write a request only; return the PendingCall to answer later."""
        if fragments > 1 and tcp_segments > 1:
            raise ValueError("split by fragments or by segments, not both")
        call_id = self._next_call_id()
        request_frames = []
        for pdu in request_pdus(call_id, opnum, request_stub,
                                self.little_endian, fragments,
                                security=self.security):
            request_frames += self.tcp.send(True, pdu, tcp_segments)
        return PendingCall(opnum, call_id, request_stub, request_frames)

    def respond(self, pending, response_stub):
        """Write the response to ``pending``; return the Call."""
        response_frames = self.tcp.send(False, response_pdu(
            pending.call_id, response_stub, self.little_endian,
            security=self.security))
        call = Call(pending.opnum, self.little_endian, pending.request_stub,
                    response_stub, pending.request_frames, response_frames,
                    self.interface_name, sealed=self.security is not None)
        self.calls.append(call)
        return call

    def fault(self, pending, status=NCA_S_FAULT_CANCEL, cancel=True):
        """End ``pending`` with a fault PDU; return the Call.

        With ``cancel`` the client first sends a co_cancel for the call, and
        the fault counts it (cancel_count 1): a wait the client gave up.
        """
        cancel_frames = []
        if cancel:
            cancel_frames = self.tcp.send(True, co_cancel_pdu(
                pending.call_id, self.little_endian))
        response_frames = self.tcp.send(False, fault_pdu(
            pending.call_id, status, self.little_endian,
            cancel_count=1 if cancel else 0))
        call = Call(pending.opnum, self.little_endian, pending.request_stub,
                    None, pending.request_frames, response_frames,
                    self.interface_name, status, cancel_frames,
                    self.security is not None)
        self.calls.append(call)
        return call

    def register(self, context, callback, notification_handle, status=0,
                 fragments=1, tcp_segments=1, **stub_options):
        """Write an EcRRegisterPushNotification call; return the Call.

        ``stub_options`` go to ``register_request_stub`` (malformed cases).
        """
        request = register_request_stub(self.handle, context, callback,
                                        self.little_endian, **stub_options)
        response = register_response_stub(self.handle, notification_handle,
                                          status, self.little_endian)
        return self.call(OPNUM_REGISTER, request, response, fragments,
                         tcp_segments)

    def unregister(self, notification_handle, status=0):
        """Write an EcRUnregisterPushNotification call; return the Call."""
        request = unregister_request_stub(self.handle, notification_handle,
                                          self.little_endian)
        response = unregister_response_stub(self.handle, status,
                                            self.little_endian)
        return self.call(OPNUM_UNREGISTER, request, response)
