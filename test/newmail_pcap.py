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
PTYPE_BIND = 11
PTYPE_BIND_ACK = 12

PFC_FIRST_FRAG = 0x01
PFC_LAST_FRAG = 0x02

EMSMDB_UUID = uuid.UUID("a4f1db00-ca47-1067-b31f-00dd010662da")
EMSMDB_VERSION = (0, 81)
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


def rpc_header(ptype, flags, frag_length, call_id, little_endian):
    """Return the 16-byte common header of a connection-oriented PDU."""
    drep = DREP_LITTLE_ENDIAN if little_endian else DREP_BIG_ENDIAN
    order = "<" if little_endian else ">"
    return (struct.pack("BBBB", 5, 0, ptype, flags) + drep
            + struct.pack(order + "HHI", frag_length, 0, call_id))


def _pdu(ptype, flags, call_id, little_endian, body):
    return rpc_header(ptype, flags, 16 + len(body), call_id,
                      little_endian) + body


def _syntax_id(ndr, syntax_uuid, major, minor):
    # The interface version is one NDR uint32, major in the low half.
    ndr.uuid(syntax_uuid).u32(major | minor << 16)


def bind_pdu(call_id, little_endian=True, interface=EMSMDB_UUID,
             version=EMSMDB_VERSION, max_frag=5840):
    """Return a bind PDU offering one presentation context (id 0, NDR)."""
    ndr = NdrWriter(little_endian)
    ndr.u16(max_frag).u16(max_frag).u32(0)      # xmit, recv, assoc_group
    ndr.raw(b"\x01\x00\x00\x00")                 # one context element
    ndr.u16(0).raw(b"\x01\x00")                  # context id 0, one syntax
    _syntax_id(ndr, interface, *version)
    _syntax_id(ndr, NDR_UUID, NDR_VERSION, 0)
    return _pdu(PTYPE_BIND, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
                little_endian, ndr.getvalue())


def bind_ack_pdu(call_id, little_endian=True, secondary_address=b"6001",
                 max_frag=5840, assoc_group=0x00012345):
    """Return a bind_ack accepting presentation context 0 with NDR."""
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
                little_endian, ndr.getvalue())


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
                 context_id=0):
    """Return the request PDU(s) carrying ``stub``, fragmented as asked.

    alloc_hint is the number of stub bytes still to come, as Windows sends it.
    """
    order = "<" if little_endian else ">"
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


def response_pdu(call_id, stub, little_endian=True, context_id=0):
    """Return one unfragmented response PDU carrying ``stub``."""
    order = "<" if little_endian else ">"
    body = struct.pack(order + "IHBB", len(stub), context_id, 0, 0) + stub
    return _pdu(PTYPE_RESPONSE, PFC_FIRST_FRAG | PFC_LAST_FRAG, call_id,
                little_endian, body)


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

    @property
    def request_frame(self):
        """The frame where Wireshark dissects the reassembled request."""
        return self.request_frames[-1]

    @property
    def response_frame(self):
        """The frame carrying the (unfragmented) response."""
        return self.response_frames[-1]


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
    one request/response pair; ``register`` and ``unregister`` build the
    opnum 4 and 5 stubs.  Every call is recorded in ``calls``.
    """

    def __init__(self, net, client, client_port, server,
                 server_port=EXCHANGE_RPC_PORT,
                 little_endian=True, handle_uuid=None):
        self.net = net
        self.client = client
        self.server = server
        self.little_endian = little_endian
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

    def connect(self):
        """Write the handshake and the EMSMDB bind; return the frames."""
        frames = self.tcp.handshake()
        call_id = self._next_call_id()
        frames += self.tcp.send(True, bind_pdu(call_id, self.little_endian))
        frames += self.tcp.send(False, bind_ack_pdu(
            call_id, self.little_endian, self._secondary_address))
        return frames

    def call(self, opnum, request_stub, response_stub, fragments=1,
             tcp_segments=1):
        """Write one request (maybe fragmented or segmented) and its response.

        ``fragments`` splits the stub over that many DCE/RPC fragments, each
        in its own TCP segment; ``tcp_segments`` instead splits a single PDU
        over that many TCP segments.
        """
        if fragments > 1 and tcp_segments > 1:
            raise ValueError("split by fragments or by segments, not both")
        call_id = self._next_call_id()
        request_frames = []
        for pdu in request_pdus(call_id, opnum, request_stub,
                                self.little_endian, fragments):
            request_frames += self.tcp.send(True, pdu, tcp_segments)
        response_frames = self.tcp.send(
            False, response_pdu(call_id, response_stub, self.little_endian))
        call = Call(opnum, self.little_endian, request_stub, response_stub,
                    request_frames, response_frames)
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
