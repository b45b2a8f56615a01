#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the committed seed corpora of the fuzz targets.

    /usr/bin/python3 fuzz/make_seeds.py

Deterministic: rerunning it rewrites the same bytes into fuzz/seeds-<target>/
for fuzz_stub, fuzz_rop, fuzz_mapihttp and fuzz_props (docs/testing.md,
"Fuzzing"). Each file is the selector byte the target reads (see the comment
at the top of fuzz_<target>.c) followed by bytes built here field by field
from MS-OXCRPC 3.1.4.1-3.1.4.5 (the EMSMDB stubs, NDR), 2.2.2.1, MS-XCA 2.4,
MS-OXCROPS 2.2, MS-OXCNOTIF 2.2.1.4.1.2, MS-OXCMAPIHTTP 2.2.4 / 2.2.7 and
MS-OXCDATA 2.7-2.12. fuzz_rop_request's seeds, and fuzz_rop's ctx-*, come
from the unit tests instead (test_rop_request and test_rop_response
--write-seeds DIR).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack("<B", v)


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def utf16z(s):
    return s.encode("utf-16-le") + b"\0\0"


def str8z(s):
    return s.encode("ascii") + b"\0"


def xor(data):
    return bytes(b ^ 0xA5 for b in data)


def rpc_header_ext(flags, payload, size_actual=None):
    """RPC_HEADER_EXT (Version 0, Flags, Size, SizeActual) and the payload."""
    return u16(0) + u16(flags) + u16(len(payload)) + u16(
        len(payload) if size_actual is None else size_actual) + payload


COMPRESSED, XOR_MAGIC, LAST = 0x1, 0x2, 0x4


def literals_only(data):
    """A Plain LZ77 stream of literals only (MS-XCA 2.3): flag words of 0
    bits, the last one padded with 1 bits to end the stream."""
    out = b""
    for start in range(0, len(data) + 1, 32):
        chunk = data[start:start + 32]
        flags = (1 << (32 - len(chunk))) - 1 if len(chunk) < 32 else 0
        out += u32(flags) + chunk
        if len(chunk) < 32:
            break
    return out


def rop_buffer(rops, handles=(0x0000_0101,)):
    """A ROP output buffer: RopSize, RopsList, the Server object handle table."""
    return u16(2 + len(rops)) + rops + b"".join(u32(h) for h in handles)


FID, MID = 0x0001_0000_0000_0ABC, 0x0001_0000_0000_0DEF


def notify(flags, body):
    return u8(0x2A) + u32(0x101) + u8(0) + u16(flags) + body


NEW_MAIL_ASCII = notify(0x8002, u64(FID) + u64(MID) + u32(8) + u8(0) + b"IPM.Note\0")
NEW_MAIL_UTF16 = notify(0x8002, u64(FID) + u64(MID) + u32(8) + u8(1) +
                        "IPM.Note".encode("utf-16-le") + b"\0\0")
OBJECT_MOVED = notify(0x0020, u64(FID) + u64(FID + 3) + u64(FID + 4) + u64(FID + 5))
OBJECT_MODIFIED = notify(0x3010, u64(FID) + u16(0) + u32(42) + u32(7))
OBJECT_CREATED = notify(0x0004, u64(FID) + u64(FID + 3) + u16(2) + u32(0x0037001F) +
                        u32(0x0E080003))
TABLE_ROW_ADDED = notify(0x8100, u16(3) + u64(FID) + u64(MID) + u32(1) + u64(FID) + u64(MID) +
                         u32(0) + u16(5) + b"\x01\x02\x03\x04\x05")
TABLE_CHANGED = notify(0x0100, u16(1))
SEARCH_COMPLETE = notify(0x0080, u64(FID))
PENDING = u8(0x6E) + u16(0)
SET_COLUMNS = b"\x12\x01" + u32(0) + u8(0)
REGISTER_FAILED = b"\x29\x02" + u32(0x80040102)
OPEN_FOLDER_GHOSTED = b"\x02\x03" + u32(0) + b"\x00\x01" + u16(2) + u16(1) + b"/o=a\0/o=b\0"
BACKOFF = b"\xf9\x00" + u32(10000) + u8(1) + b"\x15" + u32(1000) + u16(2) + b"\xaa\xbb"
TOO_SMALL = b"\xff" + u16(0x100) + b"\x15\x00\x01\x00\x01\x00\x32\x00"
QUERY_ROWS = b"\x15\x01" + u32(0) + b"\x02\x01\x00"  # success: unsized

FETCH = rop_buffer(REGISTER_FAILED + NEW_MAIL_ASCII + PENDING)
MIXED = rop_buffer(SET_COLUMNS + OPEN_FOLDER_GHOSTED + OBJECT_MOVED + NEW_MAIL_UTF16 + BACKOFF +
                   PENDING + TOO_SMALL, handles=(1, 2, 3))

# MS-XCA 3.1's two examples, and a stream whose two long matches share a nibble.
XCA1 = bytes.fromhex("3f000000") + b"abcdefghijklmnopqrstuvwxyz"
XCA2 = bytes.fromhex("ffffff1f61626317000fff2601")
NIBBLE = bytes.fromhex("ffffff5f61070021626700")
LONG32 = bytes.fromhex("ffffff7f6107000fff000029010000")
# "a", then 16 matches of length 65538 (two per shared length byte): 1 MiB.
BOMB = bytes.fromhex("ffffff7f61") + bytes.fromhex("0700ffffffff0700ffffff") * 8


def write(folder, name, selector, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name + ".bin"), "wb") as f:
        f.write(u8(selector) + data)


def rop_seeds():
    d = "seeds-rop"
    # Selector 0: rgbOut / RopBuffer, the dissector's whole path.
    write(d, "rgbout-plain-fetch", 0, rpc_header_ext(LAST, FETCH))
    write(d, "rgbout-xor-fetch", 0, rpc_header_ext(LAST | XOR_MAGIC, xor(FETCH)))
    write(d, "rgbout-lz77-fetch", 0,
          rpc_header_ext(LAST | COMPRESSED, literals_only(FETCH), len(FETCH)))
    write(d, "rgbout-lz77-xor-mixed", 0,
          rpc_header_ext(LAST | COMPRESSED | XOR_MAGIC, xor(literals_only(MIXED)), len(MIXED)))
    write(d, "rgbout-chain", 0,
          rpc_header_ext(0, rop_buffer(SET_COLUMNS + PENDING)) +
          rpc_header_ext(XOR_MAGIC, xor(rop_buffer(NEW_MAIL_UTF16))) +
          rpc_header_ext(LAST | COMPRESSED, XCA2, 300))
    write(d, "rgbout-bomb", 0, rpc_header_ext(LAST | COMPRESSED, BOMB, 200))
    write(d, "rgbout-no-last", 0, rpc_header_ext(0, FETCH))
    # Selector 1: raw LZ77 (bit 2: XORed), then the output size / 16.
    write(d, "lz77-xca1", 1, u8(2) + XCA1)
    write(d, "lz77-xca2", 1, u8(19) + XCA2)
    write(d, "lz77-xca2-xor", 5, u8(19) + xor(XCA2))
    write(d, "lz77-nibble", 1, u8(2) + NIBBLE)
    write(d, "lz77-32bit", 1, u8(19) + LONG32)
    write(d, "lz77-bomb", 1, u8(255) + BOMB)
    # Selector 2: decoded ROP output buffers.
    write(d, "rops-fetch", 2, FETCH)
    write(d, "rops-mixed", 2, MIXED)
    write(d, "rops-tables", 2, rop_buffer(TABLE_ROW_ADDED + TABLE_CHANGED + SEARCH_COMPLETE +
                                          OBJECT_CREATED + OBJECT_MODIFIED))
    write(d, "rops-unsized", 2, rop_buffer(SET_COLUMNS + QUERY_ROWS + PENDING))
    # Selector 3: NotificationData from NotificationHandle on.
    for name, n in (("newmail", NEW_MAIL_ASCII), ("newmail-utf16", NEW_MAIL_UTF16),
                    ("moved", OBJECT_MOVED), ("row-added", TABLE_ROW_ADDED)):
        write(d, "notify-" + name, 3, n[1:])


def mapihttp_seeds():
    d = "seeds-mapihttp"
    aux = rpc_header_ext(LAST, u16(8) + b"\x01\x01" + u32(0))
    rop_out = rpc_header_ext(LAST, FETCH)
    rop_in = rpc_header_ext(LAST, rop_buffer(b"\x12\x00\x01\x00" + u16(1) + u32(0x0E080003),
                                             handles=(0x12, 0x34)))
    bodies = {
        0: b"/o=Contoso/ou=Exchange/cn=Recipients/cn=user\0" + u32(0) + u32(1252) +
           u32(0x409) + u32(0x409) + u32(len(aux)) + aux,
        1: u32(0) + u32(0) + u32(60000) + u32(6) + u32(10000) + b"/o=Contoso/\0" +
           "Alice".encode("utf-16-le") + b"\0\0" + u32(0),
        2: u32(3) + u32(len(rop_in)) + rop_in + u32(0x10008) + u32(len(aux)) + aux,
        3: u32(0) + u32(0) + u32(0) + u32(len(rop_out)) + rop_out + u32(0),
        4: u32(0),
        5: u32(0) + u32(0) + u32(0),
        6: u32(0) + u32(0),
        7: u32(0) + u32(0) + u32(1) + u32(len(aux)) + aux,
    }
    names = ["connect-req", "connect-resp", "execute-req", "execute-resp", "disconnect-req",
             "disconnect-resp", "notificationwait-req", "notificationwait-resp"]
    for kind, data in bodies.items():
        write(d, "body-" + names[kind], kind << 1, data)
    write(d, "body-failure", 3 << 1, u32(0x6BB) + u32(len(aux)) + aux)

    head = b"PROCESSING\r\nPENDING\r\nPENDING\r\nDONE\r\n"
    tail = b"X-ResponseCode: 0\r\nX-ElapsedTime: 1250\r\n" \
           b"X-StartTime: Tue, 01 Nov 2016 01:02:03 GMT\r\n\r\n"
    write(d, "envelope-execute", 1, head + tail + bodies[3])
    write(d, "envelope-notificationwait", 1, head + tail + bodies[7])
    write(d, "envelope-connect", 1, b"PROCESSING\r\nDONE\r\n" + tail + bodies[1])
    write(d, "envelope-failed", 1, b"PROCESSING\r\nDONE\r\nX-ResponseCode: 10\r\n\r\n")
    for name in ("NotificationWait", "Execute", "PING", "GetAddressBookUrl"):
        write(d, "request-type-" + name, 0x10, name.encode())
    # Selector bit 0x20: the failure layout forced (X-ResponseCode not 0) and
    # the X-RequestId / X-ResponseCode readers (MS-OXCMAPIHTTP 2.2.3.3.2).
    write(d, "forced-failure", 0x20 | 7 << 1, u32(10) + u32(len(aux)) + aux)
    write(d, "request-id", 0x20, b"{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:123456")
    write(d, "response-code", 0x20, b" 18 ")


class Stub:
    """An NDR stub being built, aligned from its own start, in either byte order."""

    def __init__(self, big_endian=False):
        self.data = b""
        self.order = ">" if big_endian else "<"

    def pad(self, size):
        self.data += b"\0" * (-len(self.data) % size)
        return self

    def u16(self, v):
        self.pad(2).data += struct.pack(self.order + "H", v)
        return self

    def u32(self, v):
        self.pad(4).data += struct.pack(self.order + "I", v)
        return self

    def raw(self, text):
        self.data += bytes.fromhex(text)
        return self


PCXH = "00000000a4f1db00ca471067b31f00dd010662da"  # attributes, then a UUID
SA_IN = "0200d438c000020a0000000000000000"  # AF_INET 192.0.2.10:54328
SA_IN6 = "1700177112345678200100db0000000000000000000000010d0c0b0a"  # [2001:db8::1]:6001
# fuzz_stub.c's selector: bits 0-1 the stub kind, bit 2 big-endian, bit 3 a bare SOCKADDR.
BIG_ENDIAN, SOCKADDR = 0x04, 0x08


def stub_seeds():
    d = "seeds-stub"

    def req4(name, be, context, sockaddr, advise=0xFFFFFFFF):
        """An opnum 4 request: the context and callback with their counts."""
        stub = Stub(be).raw(PCXH).u32(0)  # iRpc
        stub.u32(len(context) // 2).raw(context).u16(len(context) // 2)
        stub.u32(advise)
        stub.u32(len(sockaddr) // 2).raw(sockaddr).u16(len(sockaddr) // 2)
        write(d, name, BIG_ENDIAN if be else 0, stub.data)

    for order, be in (("le", False), ("be", True)):
        sel = BIG_ENDIAN if be else 0
        req4(f"req4-in-ctx8-{order}", be, "0102030405060708", SA_IN)
        req4(f"req4-in6-ctx5-{order}", be, "0102030405", SA_IN6)
        req4(f"req4-in-ctx7-{order}", be, "01020304050607", SA_IN)
        req4(f"req4-in6-ctx1-advise0-{order}", be, "01", SA_IN6, 0)
        write(d, f"resp4-ok-{order}", sel | 1, Stub(be).raw(PCXH).u32(0x1234).u32(0).data)
        write(d, f"resp4-err-{order}", sel | 1, Stub(be).raw(PCXH).u32(0).u32(0x80040111).data)
        write(d, f"req5-{order}", sel | 2, Stub(be).raw(PCXH).u32(0x1234).data)
        write(d, f"resp5-{order}", sel | 3, Stub(be).raw(PCXH).u32(0).data)
    write(d, "sockaddr-in", SOCKADDR, bytes.fromhex(SA_IN))
    write(d, "sockaddr-in6", SOCKADDR, bytes.fromhex(SA_IN6))


# fuzz_props.c's selector: the low 3 bits say what follows (a value, a
# row, a restriction...), bit 3 asks a FlaggedPropertyValue for its type.
# The layouts are MS-OXCDATA 2.7-2.12's, the ones test/test_props.c checks.
def props_seeds():
    d = "seeds-props"

    def value(type_, body):
        """Selector 0: a PropertyValue of type_, the type first."""
        return u16(type_) + body

    write(d, "value-int32", 0, value(0x0003, u32(0x2A)))
    write(d, "value-bool", 0, value(0x000B, u8(1)))
    write(d, "value-time", 0, value(0x0040, u64(0x01D9C6F4B3C0A000)))
    write(d, "value-guid", 0, value(0x0048, bytes(range(16))))
    write(d, "value-string", 0, value(0x001F, utf16z("Inbox")))
    write(d, "value-string8", 0, value(0x001E, str8z("IPM.Note")))
    write(d, "value-binary", 0, value(0x0102, u16(3) + b"\x01\x02\x03"))
    write(d, "value-serverid", 0, value(0x00FB, u16(21) + u8(1) + u64(1) + u64(0) + u32(0)))
    write(d, "value-mv-int32", 0, value(0x1003, u32(2) + u32(1) + u32(2)))
    write(d, "value-mv-string", 0, value(0x101F, u32(2) + utf16z("a") + utf16z("")))
    write(d, "value-mv-binary", 0, value(0x1102, u32(2) + u16(1) + b"\xAA" + u16(0)))
    write(d, "value-mvi-string", 0, value(0x301F, utf16z("Red")))
    write(d, "value-ruleaction", 0, value(0x00FE, u16(1) + u16(9) + u8(0x0A) + u32(0) + u32(0)))
    write(d, "value-restriction", 0, value(0x00FD, u8(0x08) + u32(0x0037001F)))
    # MS-OXCPRPT section 4's RopSetProperties request, its first value.
    write(d, "tagged-subject-prefix", 1, u32(0x003D001F) + u16(0))
    write(d, "tagged-normalized-subject", 1, u32(0x0E1D001F) + utf16z("Hello World"))
    write(d, "typed-int32", 2, u16(0x0003) + u32(7))
    write(d, "flagged-error", 3, u16(0x001F) + u8(0x0A) + u32(0x8004010F))
    write(d, "flagged-with-type", 3 | 8, u16(0) + u16(0x001E) + u8(0) + str8z("hi"))
    write(d, "row-standard", 4, u8(3) + u32(0x674A0014) + u32(0x0037001F) + u32(0x001A0000)
          + u8(0) + u64(0x1234) + utf16z("Hi") + u16(0x001E) + str8z("IPM.Note"))
    write(d, "row-flagged", 4, u8(3) + u32(0x674A0014) + u32(0x0037001F) + u32(0x0E1B000B)
          + u8(1) + u8(0) + u64(7) + u8(0x0A) + u32(0x8004010F) + u8(1))
    write(d, "restriction-all", 5, u8(0x00) + u16(4)
          + u8(0x03) + u16(1) + u16(1) + u32(0x0037001F) + u32(0x0037001F) + utf16z("x")
          + u8(0x01) + u16(2) + u8(0x04) + u8(3) + u32(0x0E060040) + u32(0x0E060040) + u64(1)
          + u8(0x08) + u32(0x0E1B000B)
          + u8(0x02) + u8(0x06) + u8(1) + u32(0x0E070003) + u32(1)
          + u8(0x0A) + u8(1) + u32(0x3004001E) + str8z("c") + u8(1)
          + u8(0x0B) + u32(5) + u8(0x09) + u32(0x0E12000D) + u8(0x07) + u8(0) + u32(0x0E080003)
          + u32(1000))
    write(d, "restriction-compare", 5, u8(0x05) + u8(4) + u32(0x0E060040) + u32(0x00390040))
    write(d, "rowset", 6, u8(2) + u32(0x0E080003) + u32(0x3001001F) + u16(2)
          + u8(0) + u32(100) + utf16z("A") + u8(1) + u8(0) + u32(200) + u8(1))
    write(d, "arrays", 7, u16(2) + u32(0x0037001F) + u32(0x0E070003)
          + u16(1) + u16(1) + u32(0x0E1D001F) + u32(0x80040102)
          + u16(2) + u16(1) + u16(1) + u16(0x001F) + u16(0x0070) + u8(0) + u16(0x0040)
          + u16(0x0E06) + u8(1))


def rts(flags, commands, frag_length=None, count=None):
    """An RTS PDU (MS-RPCH 2.2.3.6.1), little-endian, its commands as (type, body)."""
    body = b"".join(u32(t) + b for t, b in commands)
    length = 20 + len(body) if frag_length is None else frag_length
    return (b"\x05\x00\x14\x03" + b"\x10\x00\x00\x00" + u16(length) + u16(0) + u32(0)
            + u16(flags) + u16(len(commands) if count is None else count) + body)


def rpch_seeds():
    """fuzz_rpch reads the raw bytes: no selector byte. (Written by hand, not
    with write(), which prepends one.)"""
    d = os.path.join(HERE, "seeds-rpch")
    os.makedirs(d, exist_ok=True)
    vc, out_cookie, in_cookie, group = (bytes([i]) * 16 for i in (0x11, 0xAA, 0xBB, 0xCC))
    version, window, timeout = (6, u32(1)), (0, u32(0x40000)), (2, u32(120000))
    seeds = {
        "conn-a1": rts(0, [version, (3, vc), (3, out_cookie), window]),
        "conn-b1": rts(0, [version, (3, vc), (3, in_cookie), (4, u32(0x40000000)),
                           (5, u32(300000)), (12, group)]),
        "conn-a3": rts(0, [timeout]),
        "conn-c2": rts(0, [version, window, timeout]),
        "in-recycle": rts(4, [version, (3, vc), (3, in_cookie), (3, out_cookie)]),
        "out-recycle": rts(4, [version, (3, vc), (3, out_cookie), (3, in_cookie), window]),
        "flow-control-ack": rts(2, [(13, u32(0)), (1, u32(100) + u32(0x10000) + in_cookie)]),
        "padding-address": rts(2, [(8, u32(3) + b"\0\0\0"), (11, u32(0) + bytes(4) + bytes(12)),
                                   (11, u32(1) + bytes(16) + bytes(12)), (7, b""), (9, b""),
                                   (10, b""), (14, u32(5))]),
        "too-many": rts(0, [version, window], count=0xFFFF),
        "short-frag": rts(0, [timeout], frag_length=8),
        "a1-and-bind": rts(0, [version, (3, vc), (3, out_cookie), window])
        + b"\x05\x00\x0b\x03\x10\x00\x00\x00" + u16(16) + u16(0) + u32(1),
    }
    for name, data in seeds.items():
        with open(os.path.join(d, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    rpch_seeds()
    stub_seeds()
    rop_seeds()
    mapihttp_seeds()
    props_seeds()
