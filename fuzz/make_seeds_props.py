#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the committed seed corpus of fuzz_props.

    /usr/bin/python3 fuzz/make_seeds_props.py

Deterministic: rerunning it rewrites the same bytes into fuzz/seeds-props/.
Each file is the selector byte fuzz_props.c reads (see the comment at its
top) followed by bytes built here field by field from MS-OXCDATA 2.7-2.12,
the same layouts test/test_props.c checks.
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


def value(type_, body):
    return u8(0) + u16(type_) + body


SEEDS = {
    "value-int32": value(0x0003, u32(0x2A)),
    "value-bool": value(0x000B, u8(1)),
    "value-time": value(0x0040, u64(0x01D9C6F4B3C0A000)),
    "value-guid": value(0x0048, bytes(range(16))),
    "value-string": value(0x001F, utf16z("Inbox")),
    "value-string8": value(0x001E, str8z("IPM.Note")),
    "value-binary": value(0x0102, u16(3) + b"\x01\x02\x03"),
    "value-serverid": value(0x00FB, u16(21) + u8(1) + u64(1) + u64(0) + u32(0)),
    "value-mv-int32": value(0x1003, u32(2) + u32(1) + u32(2)),
    "value-mv-string": value(0x101F, u32(2) + utf16z("a") + utf16z("")),
    "value-mv-binary": value(0x1102, u32(2) + u16(1) + b"\xAA" + u16(0)),
    "value-mvi-string": value(0x301F, utf16z("Red")),
    "value-ruleaction": value(0x00FE, u16(1) + u16(9) + u8(0x0A) + u32(0) + u32(0)),
    "value-restriction": value(0x00FD, u8(0x08) + u32(0x0037001F)),
    # MS-OXCPRPT section 4's RopSetProperties request, its first value.
    "tagged-subject-prefix": u8(1) + u32(0x003D001F) + u16(0),
    "tagged-normalized-subject": u8(1) + u32(0x0E1D001F) + utf16z("Hello World"),
    "typed-int32": u8(2) + u16(0x0003) + u32(7),
    "flagged-error": u8(3) + u16(0x001F) + u8(0x0A) + u32(0x8004010F),
    "flagged-with-type": u8(3 | 8) + u16(0) + u16(0x001E) + u8(0) + str8z("hi"),
    "row-standard": u8(4) + u8(3) + u32(0x674A0014) + u32(0x0037001F) + u32(0x001A0000)
    + u8(0) + u64(0x1234) + utf16z("Hi") + u16(0x001E) + str8z("IPM.Note"),
    "row-flagged": u8(4) + u8(3) + u32(0x674A0014) + u32(0x0037001F) + u32(0x0E1B000B)
    + u8(1) + u8(0) + u64(7) + u8(0x0A) + u32(0x8004010F) + u8(1),
    "restriction-all": u8(5) + u8(0x00) + u16(4)
    + u8(0x03) + u16(1) + u16(1) + u32(0x0037001F) + u32(0x0037001F) + utf16z("x")
    + u8(0x01) + u16(2) + u8(0x04) + u8(3) + u32(0x0E060040) + u32(0x0E060040) + u64(1)
    + u8(0x08) + u32(0x0E1B000B)
    + u8(0x02) + u8(0x06) + u8(1) + u32(0x0E070003) + u32(1)
    + u8(0x0A) + u8(1) + u32(0x3004001E) + str8z("c") + u8(1)
    + u8(0x0B) + u32(5) + u8(0x09) + u32(0x0E12000D) + u8(0x07) + u8(0) + u32(0x0E080003)
    + u32(1000),
    "restriction-compare": u8(5) + u8(0x05) + u8(4) + u32(0x0E060040) + u32(0x00390040),
    "rowset": u8(6) + u8(2) + u32(0x0E080003) + u32(0x3001001F) + u16(2)
    + u8(0) + u32(100) + utf16z("A") + u8(1) + u8(0) + u32(200) + u8(1),
    "arrays": u8(7) + u16(2) + u32(0x0037001F) + u32(0x0E070003)
    + u16(1) + u16(1) + u32(0x0E1D001F) + u32(0x80040102)
    + u16(2) + u16(1) + u16(1) + u16(0x001F) + u16(0x0070) + u8(0) + u16(0x0040) + u16(0x0E06)
    + u8(1),
}


def main():
    out = os.path.join(HERE, "seeds-props")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
