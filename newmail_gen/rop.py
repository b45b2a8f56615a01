# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the ROP buffers that EcDoRpcExt2 and MAPI over HTTP Execute carry.

Specifications written from (read them before changing a layout):
  MS-OXCRPC 2.2.2.1      RPC_HEADER_EXT: Version, Flags (Compressed 0x0001,
                         XorMagic 0x0002, Last 0x0004), Size, SizeActual
  MS-OXCRPC 3.1.4.1.1.2  compression: LZ77 with DIRECT2 encoding, bit for bit
                         MS-XCA 2.3/2.4 "Plain LZ77"
  MS-OXCRPC 3.1.4.1.1.3  obfuscation: every payload byte XOR 0xA5; a payload
                         that is both is compressed first, then XORed
  MS-OXCRPC 3.1.4.2.1.1  rgbIn/rgbOut: one or more extended buffers, only the
                         last one flagged Last; each rgbOut payload is a
                         whole ROP output buffer
  MS-OXCROPS 2.2.1       ROP buffer: RopSize (uint16, counts itself and the
                         RopsList), RopsList, ServerObjectHandleTable (uint32s)
  MS-OXCROPS 2.2.4.1.2, 2.2.4.13.2, 2.2.4.14.2, 2.2.5.1.2, 2.2.5.2.2,
  2.2.5.3.2, 2.2.5.4.2, 2.2.8.3.2, 2.2.14.1.2, 2.2.14.2, 2.2.14.3
                         the response layouts built here
  MS-OXCNOTIF 2.2.1.4.1.2  NotificationData: which fields a NotificationFlags
                         value brings, in which order

Everything is little-endian. Nothing here reads a capture: this is the
generator's side, and it records, for every buffer it builds, what a correct
dissector must find in it (``RopBuffer.model()``). The LZ77 compressor is
written from the MS-XCA pseudocode; ``lz77_decompress`` is an independent
reference decompressor the tests round-trip it through (it is not the
plugin's, and the plugin's is not checked against it directly).

Standard library only.
"""

import hashlib
import struct
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# RPC_HEADER_EXT (MS-OXCRPC 2.2.2.1) and the two payload transforms
# --------------------------------------------------------------------------

RHE_COMPRESSED = 0x0001
RHE_XOR_MAGIC = 0x0002
RHE_LAST = 0x0004
RHE_SIZE = 8
XOR_MAGIC = 0xA5


def xor_magic(data):
    """MS-OXCRPC 3.1.4.1.1.3: every byte XOR 0xA5 (its own inverse)."""
    return bytes(b ^ XOR_MAGIC for b in data)


def rpc_header_ext(flags, size, size_actual, version=0):
    """The 8-byte RPC_HEADER_EXT, fields as given (lies included)."""
    return struct.pack("<HHHH", version, flags, size, size_actual)


# --------------------------------------------------------------------------
# LZ77 (MS-XCA 2.3 "Plain LZ77 Compression", 2.4 "Decompression")
# --------------------------------------------------------------------------

LZ77_WINDOW = 8192        # the offset is 13 bits: (offset - 1) << 3
LZ77_MIN_MATCH = 3
_LZ77_CHAIN = 64          # candidates tried per position; any value is correct


class _LZ77Writer:
    """Emits the token stream: 32-bit flag words (most significant bit
    first, 1 = match) each followed by its 32 items, and the shared
    "half byte" of long match lengths (MS-XCA 2.3.4)."""

    def __init__(self):
        self.out = bytearray(4)   # room for the first flag word
        self.flag_at = 0
        self.flags = 0
        self.flag_count = 0
        self.half_byte_at = None  # position of a length byte with a free high nibble

    def _flag(self, bit):
        self.flags = (self.flags << 1) | bit
        self.flag_count += 1
        if self.flag_count == 32:
            struct.pack_into("<I", self.out, self.flag_at, self.flags)
            self.flag_at = len(self.out)
            self.out += bytes(4)
            self.flags = 0
            self.flag_count = 0

    def literal(self, byte):
        self.out.append(byte)
        self._flag(0)

    def match(self, offset, length):
        if not 1 <= offset <= LZ77_WINDOW or length < LZ77_MIN_MATCH:
            raise ValueError("bad match %d/%d" % (offset, length))
        length -= LZ77_MIN_MATCH
        token = (offset - 1) << 3
        if length < 7:
            self.out += struct.pack("<H", token | length)
        else:
            self.out += struct.pack("<H", token | 7)
            length -= 7
            nibble = min(length, 15)
            if self.half_byte_at is None:
                self.half_byte_at = len(self.out)
                self.out.append(nibble)
            else:
                self.out[self.half_byte_at] |= nibble << 4
                self.half_byte_at = None
            if length >= 15:
                length -= 15
                if length < 255:
                    self.out.append(length)
                else:
                    self.out.append(255)
                    length += 15 + 7
                    if length < 0x10000:
                        self.out += struct.pack("<H", length)
                    else:
                        self.out += struct.pack("<HI", 0, length)
        self._flag(1)

    def finish(self):
        """Pad the last flag word with 1 bits: the decoder stops at a match
        flag with no input left (MS-XCA 2.3.4, the final flag word)."""
        free = 32 - self.flag_count
        flags = ((self.flags << free) | ((1 << free) - 1)) & 0xFFFFFFFF
        struct.pack_into("<I", self.out, self.flag_at, flags)
        return bytes(self.out)


def lz77_compress(data):
    """Compress ``data`` (greedy longest match within the last 8192 bytes)."""
    writer = _LZ77Writer()
    heads = {}        # 3-byte key -> most recent positions (newest last)
    position = 0
    size = len(data)
    while position < size:
        best_length, best_offset = 0, 0
        if position + LZ77_MIN_MATCH <= size:
            key = data[position:position + LZ77_MIN_MATCH]
            for candidate in reversed(heads.get(key, ())):
                offset = position - candidate
                if offset > LZ77_WINDOW:
                    break
                length = LZ77_MIN_MATCH
                while position + length < size and \
                        data[candidate + length] == data[position + length]:
                    length += 1
                if length > best_length:
                    best_length, best_offset = length, offset
        step = best_length if best_length >= LZ77_MIN_MATCH else 1
        if best_length >= LZ77_MIN_MATCH:
            writer.match(best_offset, best_length)
        else:
            writer.literal(data[position])
        for i in range(position, min(position + step, size - LZ77_MIN_MATCH + 1)):
            chain = heads.setdefault(data[i:i + LZ77_MIN_MATCH], [])
            chain.append(i)
            if len(chain) > _LZ77_CHAIN:
                del chain[0]
        position += step
    return writer.finish()


class LZ77Error(ValueError):
    """The compressed stream is invalid or decompresses past the limit."""


def lz77_decompress(data, limit=None):
    """Reference decompressor (MS-XCA 2.4.4); stops with LZ77Error once the
    output would exceed ``limit`` bytes, so bombs cost bounded work."""
    out = bytearray()
    position = 0
    flags = 0
    flag_count = 0
    half_byte_at = None

    def take(count):
        nonlocal position
        if position + count > len(data):
            raise LZ77Error("truncated at %d" % position)
        chunk = data[position:position + count]
        position += count
        return chunk

    while True:
        if flag_count == 0:
            flags = struct.unpack("<I", take(4))[0]
            flag_count = 32
        flag_count -= 1
        if not flags & (1 << flag_count):
            out += take(1)
        else:
            if position == len(data):
                return bytes(out)
            token = struct.unpack("<H", take(2))[0]
            length = token & 7
            offset = (token >> 3) + 1
            if length == 7:
                if half_byte_at is None:
                    half_byte_at = position
                    length = take(1)[0] & 15
                else:
                    length = data[half_byte_at] >> 4
                    half_byte_at = None
                if length == 15:
                    length = take(1)[0]
                    if length == 255:
                        length = struct.unpack("<H", take(2))[0]
                        if length == 0:
                            length = struct.unpack("<I", take(4))[0]
                        if length < 15 + 7:
                            raise LZ77Error("length underflow")
                        length -= 15 + 7
                    length += 15
                length += 7
            length += 3
            if offset > len(out):
                raise LZ77Error("offset %d before the start" % offset)
            if limit is not None and len(out) + length > limit:
                raise LZ77Error("output past %d bytes" % limit)
            for _ in range(length):
                out.append(out[-offset])
        if limit is not None and len(out) > limit:
            raise LZ77Error("output past %d bytes" % limit)


def lz77_bomb(match_count, match_length=0xFFFF + 3):
    """A small stream that expands to 1 + match_count * match_length bytes:
    one literal "A", then matches of offset 1 and the longest length the
    2-byte extension encodes (MS-XCA 2.3.4), sharing half bytes in pairs."""
    writer = _LZ77Writer()
    writer.literal(0x41)
    for _ in range(match_count):
        writer.match(1, match_length)
    return writer.finish()


# --------------------------------------------------------------------------
# ROP responses (MS-OXCROPS) and what a dissector must make of them
# --------------------------------------------------------------------------

ROP_OPEN_FOLDER = 0x02
ROP_GET_HIERARCHY_TABLE = 0x04
ROP_GET_CONTENTS_TABLE = 0x05
ROP_GET_PROPERTIES_SPECIFIC = 0x07
ROP_SET_COLUMNS = 0x12
ROP_SORT_TABLE = 0x13
ROP_RESTRICT = 0x14
ROP_QUERY_ROWS = 0x15
ROP_REGISTER_NOTIFICATION = 0x29
ROP_NOTIFY = 0x2A
ROP_PENDING = 0x6E

# The ROPs whose response the plugin sizes (README: "ROP buffers and RopNotify"):
# these, any failure response (RopId, handle index, non-zero ReturnValue),
# RopNotify and RopPending. Anything else stops the walk.
SIZED_ROPS = frozenset({ROP_OPEN_FOLDER, ROP_GET_HIERARCHY_TABLE, ROP_GET_CONTENTS_TABLE,
                        ROP_SET_COLUMNS, ROP_SORT_TABLE, ROP_RESTRICT,
                        ROP_REGISTER_NOTIFICATION, ROP_NOTIFY, ROP_PENDING})

EC_NOT_FOUND = 0x8004010F       # MS-OXCDATA 2.4.1 ecNotFound
EC_ACCESS_DENIED = 0x80070005   # ecAccessDenied


@dataclass
class Rop:
    """One ROP response as bytes, with what a dissector should read from it.

    ``sizable``: the plugin can tell where it ends (SIZED_ROPS, or a failure
    response). ``notify``/``pending``: the model of a RopNotify/RopPending.
    """

    rop_id: int
    data: bytes
    sizable: bool
    notify: dict = None
    pending: dict = None


def _plain(rop_id, handle_index, return_value, tail=b""):
    data = struct.pack("<BBI", rop_id, handle_index, return_value)
    if return_value == 0:
        data += tail
    return data


def rop_open_folder(output_handle_index, has_rules=False, ghost_servers=None,
                    cheap_server_count=0):
    """RopOpenFolder success (2.2.4.1.2): HasRules, IsGhosted, and when ghosted
    ServerCount, CheapServerCount and the null-terminated ASCII server names."""
    tail = struct.pack("<BB", int(has_rules), int(bool(ghost_servers)))
    if ghost_servers:
        tail += struct.pack("<HH", len(ghost_servers), cheap_server_count)
        tail += b"".join(s.encode("ascii") + b"\x00" for s in ghost_servers)
    return Rop(ROP_OPEN_FOLDER, _plain(ROP_OPEN_FOLDER, output_handle_index, 0, tail), True)


def rop_get_hierarchy_table(output_handle_index, row_count):
    """RopGetHierarchyTable success (2.2.4.13.2): RowCount uint32."""
    return Rop(ROP_GET_HIERARCHY_TABLE, _plain(ROP_GET_HIERARCHY_TABLE, output_handle_index, 0,
                                               struct.pack("<I", row_count)), True)


def rop_get_contents_table(output_handle_index, row_count):
    """RopGetContentsTable success (2.2.4.14.2): RowCount uint32."""
    return Rop(ROP_GET_CONTENTS_TABLE, _plain(ROP_GET_CONTENTS_TABLE, output_handle_index, 0,
                                              struct.pack("<I", row_count)), True)


def _table_status(rop_id, input_handle_index, table_status):
    """RopSetColumns/RopSortTable/RopRestrict success (2.2.5.1.2, 2.2.5.2.2,
    2.2.5.3.2): TableStatus uint8."""
    return Rop(rop_id, _plain(rop_id, input_handle_index, 0, bytes([table_status])), True)


def rop_set_columns(input_handle_index, table_status=0):
    return _table_status(ROP_SET_COLUMNS, input_handle_index, table_status)


def rop_sort_table(input_handle_index, table_status=0):
    return _table_status(ROP_SORT_TABLE, input_handle_index, table_status)


def rop_restrict(input_handle_index, table_status=0):
    return _table_status(ROP_RESTRICT, input_handle_index, table_status)


def rop_register_notification(output_handle_index):
    """RopRegisterNotification response (2.2.14.1.2): no field past ReturnValue."""
    return Rop(ROP_REGISTER_NOTIFICATION,
               _plain(ROP_REGISTER_NOTIFICATION, output_handle_index, 0), True)


def rop_failure(rop_id, handle_index, return_value=EC_NOT_FOUND):
    """Any ROP's failure response: RopId, handle index, non-zero ReturnValue.
    (Only ROPs whose failure response has no further field are built here.)"""
    if return_value == 0:
        raise ValueError("a failure response needs a non-zero ReturnValue")
    return Rop(rop_id, _plain(rop_id, handle_index, return_value), True)


def rop_query_rows(input_handle_index, row_bytes, row_count=1, origin=0):
    """RopQueryRows success (2.2.5.4.2): Origin, RowCount, RowData. The rows'
    layout depends on an earlier RopSetColumns, so nobody can size it alone."""
    data = _plain(ROP_QUERY_ROWS, input_handle_index, 0,
                  struct.pack("<BH", origin, row_count) + row_bytes)
    return Rop(ROP_QUERY_ROWS, data, False)


def rop_get_properties_specific(input_handle_index, row_bytes):
    """RopGetPropertiesSpecific success (2.2.8.3.2): a PropertyRow whose layout
    depends on the request's tags, so it cannot be sized from the response."""
    data = _plain(ROP_GET_PROPERTIES_SPECIFIC, input_handle_index, 0, row_bytes)
    return Rop(ROP_GET_PROPERTIES_SPECIFIC, data, False)


def rop_pending(session_index):
    """RopPending (2.2.14.3): RopId, SessionIndex uint16."""
    return Rop(ROP_PENDING, struct.pack("<BH", ROP_PENDING, session_index), True,
               pending={"session_index": session_index})


# --- RopNotify and NotificationData (MS-OXCNOTIF 2.2.1.4.1.2) -----------------

NT_NEW_MAIL = 0x0002
NT_OBJECT_CREATED = 0x0004
NT_OBJECT_DELETED = 0x0008
NT_OBJECT_MODIFIED = 0x0010
NT_OBJECT_MOVED = 0x0020
NT_OBJECT_COPIED = 0x0040
NT_SEARCH_COMPLETE = 0x0080
NT_TABLE_MODIFIED = 0x0100
NF_TOTAL_COUNT = 0x1000     # T
NF_UNREAD_COUNT = 0x2000    # U
NF_SEARCH_FOLDER = 0x4000   # S
NF_MESSAGE = 0x8000         # M

TABLE_CHANGED = 0x0001

# Booleans of newmail.notify.type (README: "Fields"), by mask.
TYPE_BOOLEANS = {
    "newmail": 0x0002, "object_created": 0x0004, "object_deleted": 0x0008,
    "object_modified": 0x0010, "object_moved": 0x0020, "object_copied": 0x0040,
    "search_complete": 0x0080, "table_modified": 0x0100, "extended": 0x0400,
    "total_message_count": 0x1000, "unread_message_count": 0x2000,
    "search_folder": 0x4000, "message": 0x8000,
}


def notification_fields(flags, table_event_type=None):
    """The fields a NotificationData with ``flags`` carries after
    NotificationFlags, in wire order (MS-OXCNOTIF 2.2.1.4.1.2)."""
    kind = flags & 0x0FFF
    message = bool(flags & NF_MESSAGE)
    search = bool(flags & NF_SEARCH_FOLDER)
    names = []
    if kind == NT_TABLE_MODIFIED:
        names.append("table_event_type")
        if table_event_type not in (TABLE_CHANGED,):
            raise NotImplementedError("only TableChanged table notifications are built")
    if kind not in (NT_TABLE_MODIFIED, 0x0400):
        names.append("folder_id")
        if message:
            names.append("message_id")
    moved_or_copied = kind in (NT_OBJECT_MOVED, NT_OBJECT_COPIED)
    if kind in (NT_OBJECT_CREATED, NT_OBJECT_DELETED) or moved_or_copied:
        if (search and message) or (not search and not message):
            names.append("parent_folder_id")
    if moved_or_copied:
        names.append("old_folder_id")
        names.append("old_message_id" if message else "old_parent_folder_id")
    if kind in (NT_OBJECT_CREATED, NT_OBJECT_MODIFIED):
        names.append("tags")
    if flags & NF_TOTAL_COUNT:
        names.append("total_message_count")
    if flags & NF_UNREAD_COUNT:
        names.append("unread_message_count")
    if kind == NT_NEW_MAIL:
        names += ["message_flags", "unicode", "message_class"]
    return names


_U64_FIELDS = {"folder_id", "message_id", "parent_folder_id", "old_folder_id",
               "old_message_id", "old_parent_folder_id"}


def rop_notify(handle, logon_id, flags, **values):
    """A RopNotify (MS-OXCROPS 2.2.14.2): RopId, NotificationHandle uint32,
    LogonId uint8, NotificationData. ``values`` must hold exactly the fields
    ``notification_fields(flags)`` names: FIDs/MIDs as ints (uint64), tags as a
    list of uint32 property tags, message_class as str with unicode a bool
    (UTF-16LE when true, else 8-bit), each null-terminated on the wire."""
    wanted = notification_fields(flags, values.get("table_event_type"))
    given = set(values)
    if given != set(wanted):
        raise ValueError("flags 0x%04x need %s, got %s" % (flags, wanted, sorted(given)))
    data = struct.pack("<BIBH", ROP_NOTIFY, handle, logon_id, flags)
    for name in wanted:
        value = values[name]
        if name == "table_event_type":
            data += struct.pack("<H", value)
        elif name in _U64_FIELDS:
            data += struct.pack("<Q", value)
        elif name == "tags":
            data += struct.pack("<H", len(value)) + b"".join(struct.pack("<I", t) for t in value)
        elif name in ("total_message_count", "unread_message_count", "message_flags"):
            data += struct.pack("<I", value)
        elif name == "unicode":
            data += bytes([1 if value else 0])
        elif name == "message_class":
            if values["unicode"]:
                data += value.encode("utf-16-le") + b"\x00\x00"
            else:
                data += value.encode("latin-1") + b"\x00"
    model = {"handle": handle, "logon_id": logon_id, "type": flags,
             "fields": wanted}
    model.update({name: values[name] for name in wanted})
    return Rop(ROP_NOTIFY, data, True, notify=model)


def new_mail(handle, folder_id, message_id, message_class="IPM.Note", unicode=False,
             message_flags=0, logon_id=0, extra_flags=0, **counts):
    """A NewMail RopNotify for a message (flags NewMail | M [| T | U])."""
    return rop_notify(handle, logon_id, NT_NEW_MAIL | NF_MESSAGE | extra_flags,
                      folder_id=folder_id, message_id=message_id,
                      message_flags=message_flags, unicode=unicode,
                      message_class=message_class, **counts)


# --------------------------------------------------------------------------
# ROP requests, and responses laid out by their requests (issue 16)
# --------------------------------------------------------------------------
# Requests are bytes (MS-OXCROPS 2.2.3 to 2.2.14 "request buffer" layouts);
# the responses that need them are Rop with sizable False: the walk without
# a context cannot size them, the walk given their request can.

ROP_LOGON = 0xFE
ROP_RELEASE = 0x01
LOGON_FLAG_PRIVATE = 0x01
PID_TAG_MESSAGE_FLAGS = 0x0E070003     # PtypInteger32
PID_TAG_SUBJECT_8 = 0x0037001E         # PtypString8
PID_TAG_MID = 0x674A0014               # PtypInteger64


def rq_logon(output_handle_index=0, logon_flags=LOGON_FLAG_PRIVATE, open_flags=0x01000000,
             store_state=0, essdn="/o=Example/ou=Exchange/cn=Recipients/cn=user", logon_id=0):
    """RopLogon request (2.2.3.1.1): LogonFlags, OpenFlags, StoreState,
    EssdnSize and Essdn (ASCII with its terminator)."""
    essdn_bytes = essdn.encode("ascii") + b"\x00" if essdn else b""
    return struct.pack("<BBBBIIH", ROP_LOGON, logon_id, output_handle_index, logon_flags,
                       open_flags, store_state, len(essdn_bytes)) + essdn_bytes


def rop_logon_private(output_handle_index=0, logon_flags=LOGON_FLAG_PRIVATE, folder_ids=None,
                      store_state=0):
    """RopLogon success for a private mailbox (2.2.3.1.2): LogonFlags, 13
    FolderIds, ResponseFlags, MailboxGuid, ReplId, ReplGuid, LogonTime,
    GwartTime, StoreState. Its layout depends on the request's LogonFlags."""
    folder_ids = folder_ids or [0x0001000000000001 + i for i in range(13)]
    tail = struct.pack("<B", logon_flags) + b"".join(struct.pack("<Q", f) for f in folder_ids)
    tail += struct.pack("<B", 0x01) + bytes(range(16)) + struct.pack("<H", 1)
    tail += bytes(range(16, 32)) + struct.pack("<BBBBBBH", 5, 4, 3, 2, 1, 12, 2026)
    tail += struct.pack("<QI", 0, store_state)
    return Rop(ROP_LOGON, _plain(ROP_LOGON, output_handle_index, 0, tail), False)


def rq_open_folder(input_handle_index, output_handle_index, folder_id, open_mode_flags=0,
                   logon_id=0):
    """RopOpenFolder request (2.2.4.1.1)."""
    return struct.pack("<BBBBQB", ROP_OPEN_FOLDER, logon_id, input_handle_index,
                       output_handle_index, folder_id, open_mode_flags)


def rq_get_properties_specific(input_handle_index, tags, size_limit=0, want_unicode=0,
                               logon_id=0):
    """RopGetPropertiesSpecific request (2.2.8.3.1): PropertySizeLimit,
    WantUnicode, PropertyTagCount, PropertyTags."""
    return struct.pack("<BBBHHH", ROP_GET_PROPERTIES_SPECIFIC, logon_id, input_handle_index,
                       size_limit, want_unicode, len(tags)) + \
        b"".join(struct.pack("<I", t) for t in tags)


def standard_row(values):
    """A StandardPropertyRow (MS-OXCDATA 2.8.1.1): Flag 0, then each value
    (already encoded for its tag's type)."""
    return b"\x00" + b"".join(values)


def rop_get_properties_specific_for(input_handle_index, values):
    """RopGetPropertiesSpecific success whose RowData holds ``values``: laid
    out by the request's PropertyTags."""
    return rop_get_properties_specific(input_handle_index, standard_row(values))


def rq_set_columns(input_handle_index, tags, flags=0, logon_id=0):
    """RopSetColumns request (2.2.5.1.1)."""
    return struct.pack("<BBBBH", ROP_SET_COLUMNS, logon_id, input_handle_index, flags,
                       len(tags)) + b"".join(struct.pack("<I", t) for t in tags)


def rq_query_rows(input_handle_index, row_count, flags=0, forward_read=1, logon_id=0):
    """RopQueryRows request (2.2.5.4.1)."""
    return struct.pack("<BBBBBH", ROP_QUERY_ROWS, logon_id, input_handle_index, flags,
                       forward_read, row_count)


def rq_release(input_handle_index, logon_id=0):
    """RopRelease request (2.2.15.3.1): no response."""
    return struct.pack("<BBB", ROP_RELEASE, logon_id, input_handle_index)


def rq_get_contents_table(input_handle_index, output_handle_index, table_flags=0, logon_id=0):
    """RopGetContentsTable request (2.2.4.14.1): TableFlags."""
    return struct.pack("<BBBBB", ROP_GET_CONTENTS_TABLE, logon_id, input_handle_index,
                       output_handle_index, table_flags)


def rq_register_notification(input_handle_index, output_handle_index, notification_types,
                             want_whole_store=1, folder_id=0, message_id=0, logon_id=0):
    """RopRegisterNotification request (MS-OXCROPS 2.2.14.1.1): RopId, LogonId,
    InputHandleIndex, OutputHandleIndex, NotificationTypes u8, Reserved u8 (0),
    WantWholeStore u8, then FolderId u64 and MessageId u64 only when
    WantWholeStore is 0. The one encoder of this request in the generators."""
    data = struct.pack("<BBBBBBB", ROP_REGISTER_NOTIFICATION, logon_id, input_handle_index,
                       output_handle_index, notification_types, 0, want_whole_store)
    if not want_whole_store:
        data += struct.pack("<QQ", folder_id, message_id)
    return data


TABLE_ROW_ADDED = 0x0003


def table_row_added(handle, folder_id, insert_after_folder_id, row, logon_id=0):
    """A TableModified RopNotify with TableEventType TableRowAdded on a
    hierarchy-style row (no M flag; MS-OXCNOTIF 2.2.1.4.1.2): TableRowFolderID,
    InsertAfterTableRowFolderID, TableRowDataSize, TableRowData (a
    PropertyRow in the table's columns, e.g. standard_row())."""
    data = struct.pack("<BIBHHQQH", ROP_NOTIFY, handle, logon_id, NT_TABLE_MODIFIED,
                       TABLE_ROW_ADDED, folder_id, insert_after_folder_id, len(row)) + row
    model = {"handle": handle, "logon_id": logon_id, "type": NT_TABLE_MODIFIED,
             "table_event_type": TABLE_ROW_ADDED, "row": row}
    return Rop(ROP_NOTIFY, data, True, notify=model)


# --------------------------------------------------------------------------
# ROP buffers and extended buffers
# --------------------------------------------------------------------------

def rop_buffer(rops, handles=(0x00000001,)):
    """A ROP output (or input) buffer: RopSize, the ROPs, the handle table."""
    body = b"".join(r.data if isinstance(r, Rop) else r for r in rops)
    return struct.pack("<H", 2 + len(body)) + body + \
        b"".join(struct.pack("<I", h) for h in handles)


@dataclass
class Block:
    """One extended buffer: an RPC_HEADER_EXT and its payload.

    ``rops`` is the ROP list of its (decoded) payload, ``handles`` its
    handle table. The wire fields default to the honest values;
    ``size``/``size_actual``/``version`` may be forced to lie, ``raw``
    replaces the whole decoded payload (then ``rops`` only documents it),
    ``wire`` replaces the bytes after the header and ``flags`` the header's
    flags (a hand-made compressed stream such as a bomb).
    """

    rops: list = field(default_factory=list)
    handles: tuple = (0x00000001,)
    compress: bool = False
    xor: bool = False
    last: bool = True
    size: int = None
    size_actual: int = None
    version: int = 0
    raw: bytes = None
    wire: bytes = None
    flags: int = None

    def payload(self):
        """The decoded payload: the ROP buffer."""
        return self.raw if self.raw is not None else rop_buffer(self.rops, self.handles)

    def encode(self):
        """(bytes of header + wire payload, model dict)."""
        plain = self.payload()
        body = plain
        flags = RHE_LAST if self.last else 0
        if self.compress:
            flags |= RHE_COMPRESSED
            body = lz77_compress(body)
            if len(body) >= len(plain):
                raise ValueError("payload does not compress; MS-OXCRPC 2.2.2.1 wants "
                                 "Size < SizeActual when Compressed is set")
        if self.xor:
            flags |= RHE_XOR_MAGIC
            body = xor_magic(body)
        if self.wire is not None:
            body = self.wire
        if self.flags is not None:
            flags = self.flags
        size = len(body) if self.size is None else self.size
        size_actual = len(plain) if self.size_actual is None else self.size_actual
        header = rpc_header_ext(flags, size, size_actual, self.version)
        model = {"version": self.version, "flags": flags, "size": size,
                 "size_actual": size_actual,
                 "compressed": bool(flags & RHE_COMPRESSED),
                 "xor_magic": bool(flags & RHE_XOR_MAGIC), "last": bool(flags & RHE_LAST),
                 "payload_length": len(plain),
                 "payload_sha256": hashlib.sha256(plain).hexdigest()}
        return header + body, model


class RopBuffer:
    """A whole rgbIn/rgbOut/RopBuffer: one or more extended buffers.

    ``model()`` says what a correct dissector reads: the RPC_HEADER_EXT
    fields of every block, then, walking each honest block's ROPs in order,
    every RopNotify and RopPending up to the first ROP it cannot size (that
    block's walk stops there: ``unsized`` lists the RopIds). Blocks built to
    lie (``lying=True``) contribute headers only.
    """

    def __init__(self, blocks, lying=False):
        self.blocks = blocks
        self.lying = lying
        parts = [block.encode() for block in blocks]
        self.data = b"".join(p[0] for p in parts)
        self.block_models = [p[1] for p in parts]

    def __len__(self):
        return len(self.data)

    def model(self):
        notifications, pending, unsized = [], [], []
        if not self.lying:
            for block in self.blocks:
                for rop in block.rops:
                    if not isinstance(rop, Rop):
                        continue      # a request ROP given as bytes: not walked
                    if not rop.sizable:
                        unsized.append(rop.rop_id)
                        break
                    if rop.notify:
                        notifications.append(rop.notify)
                    if rop.pending:
                        pending.append(rop.pending)
        return {"blocks": self.block_models, "notifications": notifications,
                "pending": pending, "unsized": unsized}


def single(rops, **options):
    """A RopBuffer of one Last block holding ``rops``."""
    return RopBuffer([Block(rops=list(rops), **options)])
