# SPDX-License-Identifier: GPL-2.0-or-later
"""Crafted ROP buffers that cost far more to decode than the bytes they carry.

What test/test_bounds.py checks the plugin against, and bench/bounds.py
measures (docs/architecture.md, "Bounded decoding"; BENCHMARKS.md). Each
buffer is built byte by byte from MS-OXCRPC 2.2.2.1 (RPC_HEADER_EXT) and
MS-XCA 2.4.4 (Plain LZ77) and written as a whole session (bind, EcDoRpcExt2
request with its pcbOut, response), or as a MAPI/HTTP Execute exchange.
"""

import struct

from newmail_gen import mapihttp as mh
from newmail_gen import pcap as nm

COMPRESSED, LAST = 0x0001, 0x0004
CLIENT, SERVER = "192.0.2.10", "192.0.2.1"


def header(flags, size, size_actual):
    """RPC_HEADER_EXT: Version 0, Flags, Size, SizeActual (MS-OXCRPC 2.2.2.1)."""
    return struct.pack("<HHHH", 0, flags, size, size_actual)


def expanding_block():
    """One Compressed block: flags word (a literal, then matches), 0xFF, one
    match of offset 1 whose length goes through the nibble (15), the byte
    (255) and the 16-bit extension: 65,534 bytes. 11 payload bytes, 65,535
    out (MS-XCA 2.4.4). Decoded, it is a ROP buffer of RopSize 0xFFFF holding
    one RopBufferTooSmall (0xFF) and no handles: two tree entries a block."""
    stream = struct.pack("<I", 0x7FFFFFFF) + b"\xff" + struct.pack("<H", 0x0007)
    stream += bytes([0x0F, 0xFF]) + struct.pack("<H", 65534 - 3)
    assert len(stream) == 11
    return header(COMPRESSED, len(stream), 65535) + stream


def handles_block():
    """The same stream with "a" as its literal: a ROP buffer whose RopSize is
    0x6161 and whose remaining ~40 KB read as 10,000 server object handles,
    the tree items that once hit Wireshark's million-item limit."""
    stream = struct.pack("<I", 0x7FFFFFFF) + b"a" + struct.pack("<H", 0x0007)
    stream += bytes([0x0F, 0xFF]) + struct.pack("<H", 65534 - 3)
    return header(COMPRESSED, len(stream), 65535) + stream


BUFFERS = {
    "bomb_chain": expanding_block() * 3000,
    "bomb_handles": handles_block() * 3000,
    "empty_claiming": header(0, 0, 0xFFFF) * 8000,
    "empty_blocks": header(0, 0, 0) * 8000,
}


def write_capture(path, rgb_out, pcb_out=nm.BIG_RANGE_ULONG_MAX):
    """A session with one EcDoRpcExt2 call whose response carries rgb_out."""
    with open(path, "wb") as handle:
        net = nm.Network(handle)
        session = nm.MapiSession(net, CLIENT, 50123, SERVER)
        session.connect()
        session.call(nm.OPNUM_RPC_EXT2,
                     nm.rpc_ext2_request_stub(session.handle, True, pcb_out=pcb_out),
                     nm.rpc_ext2_response_stub(session.handle, True, rgb_out))
    return path


class RawRopBuffer:
    """A RopBuffer given as bytes, for mapihttp_gen's Execute: no model of
    its ROPs (the script's manifest is not read here)."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)

    def model(self):
        return None


def write_mapihttp_capture(path, rop_out):
    """A MAPI/HTTP session: Connect, then one Execute answered by rop_out."""
    script = mh.Script("bounds", "an Execute with a crafted RopBuffer")
    session = mh.MapiHttpSession(script, "bounds")
    connection = mh.HttpConnection(script)
    session.connect(connection)
    session.execute(connection, RawRopBuffer(rop_out))
    with open(path, "wb") as handle:
        mh.PcapPlayer(script, handle).play()
    return path


