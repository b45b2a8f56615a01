/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rop.h: bounds-checked readers for the ROP buffers that EcDoRpcExt2
 * (EMSMDB opnum 11, rgbIn/rgbOut) and the MAPI over HTTP Execute request type
 * carry: the RPC_HEADER_EXT block chain, the decoding of one block's payload
 * (XorMagic, then LZ77), and a walk over the ROP responses of a decoded ROP
 * output buffer that sizes what it can and stops at the first ROP it cannot.
 * Started with newmail_rop_walk_init() it sizes the NEWMAIL_ROP_SIZABLE_IDS
 * below; started with newmail_rop_walk_init_ctx() and a context (the request
 * list of the call, the session's table columns: newmail-rop-response.h) it
 * reads every response of MS-OXCROPS 2.2 field by field into .rs[], and stops
 * only where a layout needs what the capture lacks, saying what
 * (NEWMAIL_ROP_NEEDS_REQUEST, NEWMAIL_ROP_NEEDS_COLUMNS).
 *
 * Specifications:
 *   MS-OXCRPC 2.2.2.1      RPC_HEADER_EXT (Version, Flags, Size, SizeActual)
 *   MS-OXCRPC 3.1.4.1.1.2  LZ77 compression with DIRECT2 encoding, the same
 *                          bit format as MS-XCA 2.3/2.4 "Plain LZ77"
 *   MS-OXCRPC 3.1.4.1.1.3  obfuscation: every byte XOR 0xA5
 *   MS-OXCRPC 3.1.4.2.1.1  rgbIn/rgbOut: chained blocks, the last with Last
 *   MS-OXCROPS 2.2.1       ROP input/output buffer: RopSize, RopsList, the
 *                          Server object handle table
 *   MS-OXCROPS 2.2.2       the table of RopIds
 *   MS-OXCROPS 2.2.14.2/3, 2.2.15.1/2  RopNotify, RopPending,
 *                          RopBufferTooSmall, RopBackoff
 *   MS-OXCNOTIF 2.2.1.4.1.2  NotificationData
 *
 * Plain C11 with no Wireshark or GLib types, so that the unit tests and the
 * fuzzers drive exactly the code the dissector uses. Every reader takes a
 * buffer and its length, never reads outside it, and reports where each field
 * lies as a newmail_span_t (offset from the start of the buffer it was given,
 * length) so that the dissector can highlight the bytes.
 *
 * Why not libwireshark's tvb_uncompress_lz77() (epan/tvbuff_lz77.c)? It
 * decodes the same MS-XCA format but has no output bound: it appends to a
 * growing array until the input runs out, so one 6-byte match token (token,
 * length nibble 15, byte 255, 16-bit length 0xFFFF) yields about 64 KiB, and
 * a block of a few hundred bytes expands to megabytes while SizeActual says
 * 200 (test_rop's bomb: under 600 bytes asking for 6.5 MB). It also
 * reads a literal without checking that the literal lies inside in_size (only
 * the end of the whole tvb stops it, so a literal flag at the end of one block
 * reads the next block's header as data), and its "length 0 means a 32-bit
 * length" case reads two bytes but skips four. newmail_lz77_decompress() below
 * writes into a caller buffer of SizeActual bytes, stops with a problem bit
 * when the stream wants more, and never reads outside the block's Size bytes.
 */
#ifndef NEWMAIL_ROP_H
#define NEWMAIL_ROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newmail-bytes.h"

/* ---- RPC_HEADER_EXT (MS-OXCRPC 2.2.2.1) ------------------------------------ */

#define NEWMAIL_RPCX_HEADER_LEN 8 /* Version, Flags, Size, SizeActual: uint16 LE each */
#define NEWMAIL_RPCX_VERSION 0x0000
#define NEWMAIL_RPCX_FLAG_COMPRESSED 0x0001
#define NEWMAIL_RPCX_FLAG_XOR_MAGIC 0x0002
#define NEWMAIL_RPCX_FLAG_LAST 0x0004
#define NEWMAIL_RPCX_FLAGS_KNOWN 0x0007
#define NEWMAIL_RPCX_MAX_PAYLOAD 0x8000 /* "A single payload MUST NOT exceed 32 KB" */
#define NEWMAIL_XOR_MAGIC 0xA5

/* What can be wrong with one block; several may hold at once. */
enum {
    NEWMAIL_RPCX_TRUNCATED_HEADER = 1u << 0, /* fewer than 8 bytes left for the header */
    NEWMAIL_RPCX_SIZE_PAST_END = 1u << 1,    /* Size bytes do not all fit in the buffer */
    NEWMAIL_RPCX_SIZE_MISMATCH = 1u << 2,    /* not Compressed, and SizeActual != Size */
    NEWMAIL_RPCX_NOT_SMALLER = 1u << 3,      /* Compressed, and Size >= SizeActual */
    NEWMAIL_RPCX_UNKNOWN_FLAGS = 1u << 4,    /* Flags bits other than 0x0007 */
    NEWMAIL_RPCX_BAD_VERSION = 1u << 5,      /* Version is not 0x0000 */
    NEWMAIL_RPCX_NO_LAST = 1u << 6,     /* the buffer ends after this block, which lacks Last */
    NEWMAIL_RPCX_TRAILING = 1u << 7,    /* bytes follow this block although it has Last */
    NEWMAIL_RPCX_OVERSIZE = 1u << 8,    /* SizeActual exceeds 32 KB */
    NEWMAIL_RPCX_OVER_BUDGET = 1u << 9, /* SizeActual would take the buffer's decoded bytes
                                           past its budget: not decoded, the walk ends here */
};

/* The most bytes a whole ROP buffer may decode to when the request that set
 * its limit is not in the capture. MS-OXCRPC 3.1.4.2 types pcbOut (and cbIn)
 * as BIG_RANGE_ULONG, at most 0x40000; a MAPI/HTTP Execute request says its
 * own (MaxRopOut, MS-OXCMAPIHTTP 2.2.4.2.1). Each block is bounded by its
 * SizeActual (at most 65,535 bytes), but only this bounds the chain: without
 * it a buffer of 11-byte blocks that each expand to 64 KiB asks for
 * gigabytes. */
#define NEWMAIL_ROP_BUFFER_MAX_DECODED 0x40000

/* One block. All offsets are from the start of the buffer given to the walk. */
typedef struct {
    newmail_span_t header; /* the 8 header bytes (fewer with TRUNCATED_HEADER) */
    bool header_read;      /* false only with NEWMAIL_RPCX_TRUNCATED_HEADER */
    uint16_t version;      /* valid when header_read */
    uint16_t flags;        /* NEWMAIL_RPCX_FLAG_* */
    uint16_t size;         /* payload bytes after the header (compressed size) */
    uint16_t size_actual;  /* payload bytes once decoded */
    newmail_span_t version_span, flags_span, size_span, size_actual_span;
    newmail_span_t payload;  /* the Size bytes after the header, cut at the buffer's end */
    newmail_span_t trailing; /* with NEWMAIL_RPCX_TRAILING: the bytes after this block */
    unsigned problems;       /* NEWMAIL_RPCX_* */
} newmail_rpcx_block_t;

/* A walk over the blocks of one rgbIn/rgbOut or Execute RopBuffer. */
typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t pos;      /* where the next block starts */
    bool done;       /* a block had Last, the buffer ended, or the budget ran out */
    unsigned blocks; /* blocks returned so far */
    size_t budget;   /* the most decoded bytes (SizeActual summed over blocks) allowed */
    size_t granted;  /* SizeActual summed over the blocks returned, never above budget */
} newmail_rpcx_walk_t;

/* Starts a walk over buf[0, len) whose blocks may decode to at most `budget`
 * bytes in all (the request's pcbOut or MaxRopOut, else
 * NEWMAIL_ROP_BUFFER_MAX_DECODED). */
void newmail_rpcx_walk_init(newmail_rpcx_walk_t *walk, const uint8_t *buf, size_t len,
                            size_t budget);

/* Reads the next block into *out; false when there is none (the previous one
 * had Last, or the buffer is used up; an empty buffer has no block at all).
 * Each call advances by at least one byte, so a walk ends after at most
 * len / 8 + 1 blocks. A block whose SizeActual does not fit in what is left
 * of the budget is returned with NEWMAIL_RPCX_OVER_BUDGET and ends the walk:
 * its payload must not be decoded. So the blocks a walk lets the caller
 * decode yield at most `budget` bytes together. */
bool newmail_rpcx_next(newmail_rpcx_walk_t *walk, newmail_rpcx_block_t *out);

/* ---- decoding one block's payload ------------------------------------------- */

/* What went wrong while decoding; the bytes written before it are valid. */
enum {
    NEWMAIL_DECODE_INPUT_TRUNCATED = 1u << 0, /* the input ends inside a flag word, a match
                                                 token or its length bytes */
    NEWMAIL_DECODE_BAD_OFFSET = 1u << 1,      /* a match reaches before the output's start */
    NEWMAIL_DECODE_OUTPUT_FULL = 1u << 2,     /* the stream wants more bytes than SizeActual
                                                 (a bomb, or a lying SizeActual): stopped there */
    NEWMAIL_DECODE_BAD_LENGTH = 1u << 3,      /* a 16- or 32-bit length below 22 (MS-XCA 2.4.4) */
    NEWMAIL_DECODE_SHORT = 1u << 4,           /* fewer than SizeActual bytes came out */
    NEWMAIL_DECODE_PAYLOAD_CUT = 1u << 5,     /* the block's Size bytes are not all in the buffer */
    NEWMAIL_DECODE_NO_HEADER = 1u << 6,   /* the block has no complete header: nothing decoded */
    NEWMAIL_DECODE_OVER_BUDGET = 1u << 7, /* the walk refused the block (NEWMAIL_RPCX_OVER_BUDGET):
                                             nothing decoded */
};

/* Plain LZ77 (MS-XCA 2.4.4; MS-OXCRPC 3.1.4.1.1.2.2 DIRECT2): 32-bit
 * little-endian flag words read from the most significant bit, 0 = literal
 * byte, 1 = 16-bit match token (offset - 1 in the high 13 bits, length - 3 in
 * the low 3), the length nibble shared by two successive long matches, then
 * 8-bit, 16-bit and 32-bit length extensions. Every input byte is XORed with
 * xor_mask as it is read (0 for none, NEWMAIL_XOR_MAGIC for an XorMagic
 * block), so no scratch copy is needed.
 *
 * Writes at most out_size bytes to out and stops with
 * NEWMAIL_DECODE_OUTPUT_FULL when the stream would write more: the work done
 * is bounded by in_len + out_size whatever the tokens say. The end of the
 * stream is the end of the input at a token boundary (the encoder pads its
 * last flag word with 1 bits, which read as "match" with no input left).
 * Returns NEWMAIL_DECODE_* bits (never SHORT or PAYLOAD_CUT: the caller knows
 * the expected size); *out_len receives the bytes written. */
unsigned newmail_lz77_decompress(const uint8_t *in, size_t in_len, uint8_t xor_mask, uint8_t *out,
                                 size_t out_size, size_t *out_len);

/* Decodes the payload of a block that newmail_rpcx_next() read from
 * buf[0, len) into out, which holds out_size bytes; pass a buffer of
 * block->size_actual bytes (at most 65,535). At most
 * min(size_actual, out_size) bytes are written.
 *
 * Order (MS-OXCRPC 3.1.4.2.1.1.2, and the same words for rgbIn, rgbAuxIn and
 * rgbAuxOut): "If both the Compressed and XorMagic flags are present ... the
 * payload data MUST first be compressed and then obfuscated by the server,
 * and then MUST first be reverted and then uncompressed by the client." So
 * the XOR applies to the Size bytes on the wire, before decompression (here:
 * as each compressed byte is read); an uncompressed block is just XORed.
 * Returns NEWMAIL_DECODE_* bits; *out_len receives the bytes written. */
unsigned newmail_rpcx_decode(const uint8_t *buf, size_t len, const newmail_rpcx_block_t *block,
                             uint8_t *out, size_t out_size, size_t *out_len);

/* EcDoRpc (EMSMDB opnum 2, deprecated) carries its ROP buffer with no
 * RPC_HEADER_EXT, so with no XorMagic flag either: Exchange 2003 and its
 * clients obfuscated every byte of it with XOR 0xA5 (MS-OXCRPC 3.1.4.1.1.3
 * names the same transform for XorMagic blocks; stock Wireshark 4.x and
 * OpenChange clear every EcDoRpc buffer so). Writes len bytes to out, which
 * may be in itself. */
void newmail_xor_magic(const uint8_t *in, size_t len, uint8_t *out);

/* ---- the ROP output buffer (MS-OXCROPS 2.2.1) -------------------------------- */

/* A decoded payload: RopSize (uint16 LE: the size of RopSize plus RopsList),
 * RopsList, then the Server object handle table (uint32 LE each). */
enum {
    NEWMAIL_ROPBUF_TRUNCATED = 1u << 0,       /* fewer than 2 bytes: no RopSize */
    NEWMAIL_ROPBUF_SIZE_SMALL = 1u << 1,      /* RopSize < 2 */
    NEWMAIL_ROPBUF_SIZE_PAST_END = 1u << 2,   /* RopSize > the payload: RopsList is cut */
    NEWMAIL_ROPBUF_HANDLES_PARTIAL = 1u << 3, /* the handle table is not a multiple of 4 bytes */
};

typedef struct {
    uint16_t rop_size;
    newmail_span_t rop_size_span;
    newmail_span_t rops;         /* RopsList: [2, RopSize), cut at the payload's end */
    newmail_span_t handle_table; /* [RopSize, end); empty with SIZE_PAST_END */
    size_t handle_count;         /* whole uint32 handles in handle_table */
    unsigned problems;           /* NEWMAIL_ROPBUF_* */
} newmail_rop_buffer_t;

/* Splits a decoded ROP input or output buffer. Returns out->problems. */
unsigned newmail_rop_buffer_split(const uint8_t *buf, size_t len, newmail_rop_buffer_t *out);

/* ---- ROP ids ------------------------------------------------------------------ */

#define NEWMAIL_ROP_RELEASE 0x01 /* has no response */
#define NEWMAIL_ROP_OPEN_FOLDER 0x02
#define NEWMAIL_ROP_GET_HIERARCHY_TABLE 0x04
#define NEWMAIL_ROP_GET_CONTENTS_TABLE 0x05
#define NEWMAIL_ROP_SET_COLUMNS 0x12
#define NEWMAIL_ROP_SORT_TABLE 0x13
#define NEWMAIL_ROP_RESTRICT 0x14
#define NEWMAIL_ROP_REGISTER_NOTIFICATION 0x29
#define NEWMAIL_ROP_NOTIFY 0x2A
#define NEWMAIL_ROP_READ_STREAM 0x2C /* may chain (MS-OXCRPC 3.1.4.2.1.2.2) */
#define NEWMAIL_ROP_FAST_TRANSFER_SOURCE_GET_BUFFER 0x4E /* may chain */
#define NEWMAIL_ROP_PENDING 0x6E
#define NEWMAIL_ROP_BACKOFF 0xF9
#define NEWMAIL_ROP_LOGON 0xFE
#define NEWMAIL_ROP_BUFFER_TOO_SMALL 0xFF

/* The ROP responses the walk without a context sizes in full, success or
 * failure (the walk with a context reads them all). A generator
 * that wants its RopNotify decoded puts only these before it:
 *   0x02 RopOpenFolder           RopId, OutputHandleIndex, ReturnValue; on success
 *                                HasRules, IsGhosted, and when IsGhosted is nonzero
 *                                ServerCount, CheapServerCount, ServerCount ASCIIZ Servers
 *   0x04 RopGetHierarchyTable    RopId, OutputHandleIndex, ReturnValue; success: RowCount u32
 *   0x05 RopGetContentsTable     the same
 *   0x12 RopSetColumns           RopId, InputHandleIndex, ReturnValue; success: TableStatus u8
 *   0x13 RopSortTable            the same
 *   0x14 RopRestrict             the same
 *   0x29 RopRegisterNotification RopId, OutputHandleIndex, ReturnValue (one layout)
 *   0x2A RopNotify               RopId, NotificationHandle u32, LogonId u8, NotificationData
 *                                (every NotificationType MS-OXCNOTIF defines; see below)
 *   0x6E RopPending              RopId, SessionIndex u16
 *   0xF9 RopBackoff              RopId, LogonId u8, Duration u32, BackoffRopCount u8,
 *                                BackoffRopCount x (RopIdBackoff u8, Duration u32),
 *                                AdditionalDataSize u16, AdditionalData
 *   0xFF RopBufferTooSmall       RopId, SizeNeeded u16, RequestBuffers = the rest of RopsList
 *                                (it is always the last ROP response)
 * (RopRelease, 0x01, has no response.) Every other ROP of MS-OXCROPS 2.2.2 is
 * sized only as a failure (ReturnValue != 0: RopId, handle index, ReturnValue,
 * 6 bytes), except the ROPs whose failure response carries more than that:
 * RopLogon 0xFE (redirect response), RopMoveCopyMessages 0x33, RopMoveFolder
 * 0x35, RopCopyFolder 0x36, RopCopyTo 0x39, RopCopyToStream 0x3A,
 * RopCopyProperties 0x67 (DestHandleIndex on a null destination),
 * RopDeleteFolder 0x1D, RopDeleteMessages 0x1E, RopEmptyFolder 0x58,
 * RopSetReadFlags 0x66, RopHardDeleteMessages 0x91,
 * RopHardDeleteMessagesAndSubfolders 0x92 (PartialCompletion always),
 * RopReadStream 0x2C, RopWriteStream 0x2D, RopWriteAndCommitStream 0x90,
 * RopWriteStreamExtended 0xA3, RopFastTransferSourceGetBuffer 0x4E,
 * RopFastTransferDestinationPutBuffer 0x54 and ...Extended 0x9D (fields
 * present whatever the ReturnValue). */
#define NEWMAIL_ROP_SIZABLE_IDS 0x02, 0x04, 0x05, 0x12, 0x13, 0x14, 0x29, 0x2A, 0x6E, 0xF9, 0xFF

/* The ROP's name in MS-OXCROPS 2.2.2 ("RopNotify"), or NULL for a reserved id. */
const char *newmail_rop_name(uint8_t rop_id);

/* ---- one ROP response ---------------------------------------------------------- */

typedef enum {
    NEWMAIL_ROP_SIZED, /* span is the whole response; the walk continues after it */
    /* With a context only (newmail_rop_walk_init_ctx): */
    NEWMAIL_ROP_NEEDS_REQUEST, /* the layout depends on the request of this response, which
                                  the capture lacks (no request list, the request list
                                  ended first, or the request was not read far enough):
                                  the RopId and prefix were read; walk ends */
    NEWMAIL_ROP_NEEDS_COLUMNS, /* a row set (RopQueryRows, RopFindRow, RopExpandRow) whose
                                  table's columns are not known (its RopSetColumns is not in
                                  the capture, or the table was made in this call with no
                                  RopSetColumns before): prefix and counts read; walk ends */
    NEWMAIL_ROP_UNSIZED,       /* the reader cannot size it: fields_read says what was read
                                  (RopId, and the 6-byte prefix when the id has one); walk ends */
    NEWMAIL_ROP_TRUNCATED,     /* RopsList ends inside it; fields read before that are valid;
                                  walk ends */
} newmail_rop_status_t;

/* Every field of the responses the walk reads. Integer fields have their
 * value in value[field]; byte fields only a span. */
typedef enum {
    NEWMAIL_RF_ROP_ID,
    NEWMAIL_RF_HANDLE_INDEX, /* InputHandleIndex or OutputHandleIndex */
    NEWMAIL_RF_RETURN_VALUE,
    NEWMAIL_RF_HAS_RULES, /* RopOpenFolder success */
    NEWMAIL_RF_IS_GHOSTED,
    NEWMAIL_RF_SERVER_COUNT, /* only when IsGhosted is nonzero */
    NEWMAIL_RF_CHEAP_SERVER_COUNT,
    NEWMAIL_RF_SERVERS,       /* ServerCount null-terminated ASCII strings, one span */
    NEWMAIL_RF_ROW_COUNT,     /* RopGetHierarchyTable, RopGetContentsTable success */
    NEWMAIL_RF_TABLE_STATUS,  /* RopSetColumns, RopSortTable, RopRestrict success */
    NEWMAIL_RF_SESSION_INDEX, /* RopPending */
    NEWMAIL_RF_SIZE_NEEDED,   /* RopBufferTooSmall */
    NEWMAIL_RF_REQUEST_BUFFERS,
    NEWMAIL_RF_LOGON_ID, /* RopBackoff (RopNotify's is in .notify) */
    NEWMAIL_RF_DURATION,
    NEWMAIL_RF_BACKOFF_ROP_COUNT,
    NEWMAIL_RF_BACKOFF_ROP_DATA, /* BackoffRopCount 5-byte entries: RopIdBackoff, Duration */
    NEWMAIL_RF_ADDITIONAL_DATA_SIZE,
    NEWMAIL_RF_ADDITIONAL_DATA,
    NEWMAIL_RF_NOTIFICATION, /* RopNotify: NotificationHandle to the end; see .notify */
    NEWMAIL_RF_COUNT
} newmail_rop_field_t;

/* ---- RopNotify (MS-OXCROPS 2.2.14.2, MS-OXCNOTIF 2.2.1.4.1.2) ----------------- */

/* NotificationFlags: the low 12 bits are the NotificationType enumeration,
 * the high 4 bits say which fields are present. */
#define NEWMAIL_NOTIFY_TYPE_MASK 0x0FFF
#define NEWMAIL_NOTIFY_NEW_MAIL 0x0002
#define NEWMAIL_NOTIFY_OBJECT_CREATED 0x0004
#define NEWMAIL_NOTIFY_OBJECT_DELETED 0x0008
#define NEWMAIL_NOTIFY_OBJECT_MODIFIED 0x0010
#define NEWMAIL_NOTIFY_OBJECT_MOVED 0x0020
#define NEWMAIL_NOTIFY_OBJECT_COPIED 0x0040
#define NEWMAIL_NOTIFY_SEARCH_COMPLETE 0x0080
#define NEWMAIL_NOTIFY_TABLE_MODIFIED 0x0100
#define NEWMAIL_NOTIFY_EXTENDED 0x0400 /* "reserved ... MUST be ignored by the client" */
#define NEWMAIL_NOTIFY_FLAG_T 0x1000   /* TotalMessageCount present */
#define NEWMAIL_NOTIFY_FLAG_U 0x2000   /* UnreadMessageCount present */
#define NEWMAIL_NOTIFY_FLAG_S 0x4000   /* event in a search folder */
#define NEWMAIL_NOTIFY_FLAG_M 0x8000   /* event on a message (MessageId etc. present) */

/* TableEventType (TableModified only). */
#define NEWMAIL_TABLE_CHANGED 0x0001
#define NEWMAIL_TABLE_ROW_ADDED 0x0003
#define NEWMAIL_TABLE_ROW_DELETED 0x0004
#define NEWMAIL_TABLE_ROW_MODIFIED 0x0005
#define NEWMAIL_TABLE_RESTRICTION_CHANGED 0x0007

/* Every field of RopNotify after RopId, in wire order. */
typedef enum {
    NEWMAIL_NF_HANDLE,                  /* NotificationHandle u32 */
    NEWMAIL_NF_LOGON_ID,                /* u8 */
    NEWMAIL_NF_FLAGS,                   /* NotificationFlags u16 */
    NEWMAIL_NF_TABLE_EVENT_TYPE,        /* u16, TableModified */
    NEWMAIL_NF_TABLE_ROW_FOLDER_ID,     /* u64, events 3, 4, 5 */
    NEWMAIL_NF_TABLE_ROW_MESSAGE_ID,    /* u64, events 3, 4, 5 with M */
    NEWMAIL_NF_TABLE_ROW_INSTANCE,      /* u32, events 3, 4, 5 with M */
    NEWMAIL_NF_INSERT_AFTER_FOLDER_ID,  /* u64, events 3, 5 */
    NEWMAIL_NF_INSERT_AFTER_MESSAGE_ID, /* u64, events 3, 5 with M */
    NEWMAIL_NF_INSERT_AFTER_INSTANCE,   /* u32, events 3, 5 with M */
    NEWMAIL_NF_TABLE_ROW_DATA_SIZE,     /* u16, events 3, 5 */
    NEWMAIL_NF_TABLE_ROW_DATA,          /* TableRowDataSize bytes: a PropertyRow whose columns
                                           only the table's RopSetColumns knows; sized, not read */
    NEWMAIL_NF_FOLDER_ID,               /* u64, every type but TableModified and Extended */
    NEWMAIL_NF_MESSAGE_ID,              /* u64, the same with M */
    NEWMAIL_NF_PARENT_FOLDER_ID,        /* u64, Created/Deleted/Moved/Copied with S and M both
                                           set or both clear */
    NEWMAIL_NF_OLD_FOLDER_ID,           /* u64, Moved/Copied */
    NEWMAIL_NF_OLD_MESSAGE_ID,          /* u64, Moved/Copied with M */
    NEWMAIL_NF_OLD_PARENT_FOLDER_ID,    /* u64, Moved/Copied without M */
    NEWMAIL_NF_TAG_COUNT,               /* u16, Created/Modified */
    NEWMAIL_NF_TAGS,                    /* TagCount u32 property tags, unless 0 or 0xFFFF */
    NEWMAIL_NF_TOTAL_MESSAGE_COUNT,     /* u32, flag T */
    NEWMAIL_NF_UNREAD_MESSAGE_COUNT,    /* u32, flag U */
    NEWMAIL_NF_MESSAGE_FLAGS,           /* u32, NewMail */
    NEWMAIL_NF_UNICODE_FLAG,            /* u8, NewMail: 0 = 8-bit class, 1 = UTF-16LE */
    NEWMAIL_NF_MESSAGE_CLASS,           /* NewMail: the string without its terminator */
    NEWMAIL_NF_COUNT
} newmail_notify_field_t;

typedef struct {
    uint32_t fields_read; /* bit (1u << field) for each NEWMAIL_NF_* read whole */
    newmail_span_t span[NEWMAIL_NF_COUNT];
    uint32_t handle;
    uint8_t logon_id;
    uint16_t flags; /* NotificationFlags as on the wire */
    uint16_t type;  /* flags & NEWMAIL_NOTIFY_TYPE_MASK */
    uint16_t table_event_type;
    uint64_t table_row_folder_id, table_row_message_id;
    uint32_t table_row_instance;
    uint64_t insert_after_folder_id, insert_after_message_id;
    uint32_t insert_after_instance;
    uint16_t table_row_data_size;
    uint64_t folder_id, message_id, parent_folder_id;
    uint64_t old_folder_id, old_message_id, old_parent_folder_id;
    uint16_t tag_count;
    uint32_t total_message_count, unread_message_count;
    uint32_t message_flags;
    uint8_t unicode_flag;
    bool message_class_unicode; /* MessageClass is UTF-16LE (span length is even) */
    size_t message_class_chars; /* characters before the terminator */
} newmail_notify_t;

/* Problems of one ROP response. */
enum {
    NEWMAIL_ROP_PROBLEM_UNKNOWN_ID = 1u << 0,   /* a reserved RopId (not in MS-OXCROPS 2.2.2) */
    NEWMAIL_ROP_PROBLEM_NO_RESPONSE = 1u << 1,  /* RopRelease, which has no response */
    NEWMAIL_ROP_PROBLEM_NOTIFY_TYPE = 1u << 2,  /* NotificationType not in the enumeration */
    NEWMAIL_ROP_PROBLEM_NOTIFY_FLAGS = 1u << 3, /* T or U without ObjectModified, or S
                                                   without M (MS-OXCNOTIF 2.2.1.4.1.2) */
    NEWMAIL_ROP_PROBLEM_TABLE_EVENT = 1u << 4,  /* TableEventType not 1, 3, 4, 5 or 7 */
    NEWMAIL_ROP_PROBLEM_UNICODE_FLAG = 1u << 5, /* UnicodeFlag neither 0 nor 1 */
    NEWMAIL_ROP_PROBLEM_UNTERMINATED = 1u << 6, /* a string runs to the end of RopsList */
    /* With a context only: */
    NEWMAIL_ROP_PROBLEM_REQUEST_MISMATCH = 1u << 7, /* the RopId is not that of the next
                                                       request that has a response: stop */
    NEWMAIL_ROP_PROBLEM_NO_REQUEST = 1u << 8,       /* a response after the last request of a
                                                       complete request list: stop */
    NEWMAIL_ROP_PROBLEM_HANDLE_INDEX = 1u << 9,     /* the handle index differs from the
                                                       request's (read on) */
    NEWMAIL_ROP_PROBLEM_PROPERTY = 1u << 10,        /* a property value, row, restriction or
                                                       name the property reader flags (read on)
                                                       or cannot size (UNSIZED) */
    NEWMAIL_ROP_PROBLEM_VALUE = 1u << 11,           /* an enumeration outside its values that
                                                       decides the layout (TypedString
                                                       StringType, PropertyName Kind): UNSIZED */
    NEWMAIL_ROP_PROBLEM_SIZE = 1u << 12,            /* a byte count that its contents do not fill
                                                       exactly (TableRowDataSize,
                                                       RestrictionDataSize, AddressTypeSize) */
    NEWMAIL_ROP_PROBLEM_LOGON_FLAGS = 1u << 13,     /* RopLogon's LogonFlags Private bit differs
                                                       from the request's */
};

/* ---- every field of a response, in wire order (with a context) ------------------- */

/* X(enum suffix, MS-OXCROPS field name). */
/* clang-format off */
#define NEWMAIL_RS_NAMES(X)                                                                         \
    X(ROP_ID, "RopId") X(INPUT_HANDLE_INDEX, "InputHandleIndex")                                   \
    X(OUTPUT_HANDLE_INDEX, "OutputHandleIndex") X(RESPONSE_HANDLE_INDEX, "ResponseHandleIndex")    \
    X(SOURCE_HANDLE_INDEX, "SourceHandleIndex") X(RETURN_VALUE, "ReturnValue")                     \
    X(DEST_HANDLE_INDEX, "DestHandleIndex") X(LOGON_FLAGS, "LogonFlags")                           \
    X(FOLDER_IDS, "FolderIds") X(RESPONSE_FLAGS, "ResponseFlags") X(MAILBOX_GUID, "MailboxGuid")   \
    X(REPL_ID, "ReplId") X(REPL_GUID, "ReplGuid") X(LOGON_TIME, "LogonTime")                       \
    X(GWART_TIME, "GwartTime") X(STORE_STATE, "StoreState") X(PER_USER_GUID, "PerUserGuid")        \
    X(SERVER_NAME_SIZE, "ServerNameSize") X(SERVER_NAME, "ServerName")                             \
    X(HAS_RULES, "HasRules") X(IS_GHOSTED, "IsGhosted") X(SERVER_COUNT, "ServerCount")             \
    X(CHEAP_SERVER_COUNT, "CheapServerCount") X(SERVERS, "Servers")                                \
    X(HAS_NAMED_PROPERTIES, "HasNamedProperties") X(SUBJECT_PREFIX, "SubjectPrefix")               \
    X(NORMALIZED_SUBJECT, "NormalizedSubject") X(RECIPIENT_COUNT, "RecipientCount")                \
    X(COLUMN_COUNT, "ColumnCount") X(RECIPIENT_COLUMNS, "RecipientColumns")                        \
    X(ROW_COUNT, "RowCount") X(RECIPIENT_ROWS, "RecipientRows")                                    \
    X(READ_STATUS_CHANGED, "ReadStatusChanged") X(LOGON_ID, "LogonId")                             \
    X(CLIENT_DATA, "ClientData") X(HAS_MESSAGE_ID, "HasMessageId") X(MESSAGE_ID, "MessageId")      \
    X(MESSAGE_STATUS_FLAGS, "MessageStatusFlags") X(ATTACHMENT_ID, "AttachmentID")                 \
    X(RESERVED, "Reserved") X(PROPERTY_VALUE_COUNT, "PropertyValueCount")                          \
    X(PROPERTY_VALUES, "PropertyValues") X(PROPERTY_TAG_COUNT, "PropertyTagCount")                 \
    X(PROPERTY_TAGS, "PropertyTags") X(ROW_DATA, "RowData")                                        \
    X(PROPERTY_PROBLEM_COUNT, "PropertyProblemCount") X(PROPERTY_PROBLEMS, "PropertyProblems")     \
    X(ID_COUNT, "IdCount") X(PROPERTY_IDS, "PropertyIds") X(PROPERTY_NAMES, "PropertyNames")       \
    X(PROPERTY_ID_COUNT, "PropertyIdCount") X(PROPERTY_NAME_COUNT, "PropertyNameCount")            \
    X(STREAM_SIZE, "StreamSize") X(DATA_SIZE, "DataSize") X(DATA, "Data")                          \
    X(WRITTEN_SIZE, "WrittenSize") X(NEW_POSITION, "NewPosition")                                  \
    X(READ_BYTE_COUNT, "ReadByteCount") X(WRITTEN_BYTE_COUNT, "WrittenByteCount")                  \
    X(TABLE_STATUS, "TableStatus") X(ORIGIN, "Origin") X(NUMERATOR, "Numerator")                   \
    X(DENOMINATOR, "Denominator") X(HAS_SOUGHT_LESS, "HasSoughtLess")                              \
    X(ROWS_SOUGHT, "RowsSought") X(ROW_NO_LONGER_VISIBLE, "RowNoLongerVisible")                    \
    X(BOOKMARK_SIZE, "BookmarkSize") X(BOOKMARK, "Bookmark") X(HAS_ROW_DATA, "HasRowData")         \
    X(EXPANDED_ROW_COUNT, "ExpandedRowCount") X(COLLAPSED_ROW_COUNT, "CollapsedRowCount")          \
    X(COLLAPSE_STATE_SIZE, "CollapseStateSize") X(COLLAPSE_STATE, "CollapseState")                 \
    X(FOLDER_ID, "FolderId") X(IS_EXISTING_FOLDER, "IsExistingFolder")                             \
    X(PARTIAL_COMPLETION, "PartialCompletion") X(RESTRICTION_DATA_SIZE, "RestrictionDataSize")     \
    X(RESTRICTION_DATA, "RestrictionData") X(FOLDER_ID_COUNT, "FolderIdCount")                     \
    X(SEARCH_FLAGS, "SearchFlags") X(ATTACHMENT_ID_COUNT, "AttachmentIdCount")                     \
    X(ATTACHMENT_ID_ARRAY, "AttachmentIdArray") X(ADDRESS_TYPE_COUNT, "AddressTypeCount")          \
    X(ADDRESS_TYPE_SIZE, "AddressTypeSize") X(ADDRESS_TYPES, "AddressTypes")                       \
    X(NO_PROPERTIES_RETURNED, "NoPropertiesReturned") X(OPTIONS_INFO_SIZE, "OptionsInfoSize")      \
    X(OPTIONS_INFO, "OptionsInfo") X(HELP_FILE_SIZE, "HelpFileSize") X(HELP_FILE, "HelpFile")      \
    X(HELP_FILE_NAME, "HelpFileName") X(TRANSFER_STATUS, "TransferStatus")                         \
    X(IN_PROGRESS_COUNT, "InProgressCount") X(TOTAL_STEP_COUNT, "TotalStepCount")                  \
    X(BUFFER_USED_SIZE, "BufferUsedSize") X(TRANSFER_BUFFER_SIZE, "TransferBufferSize")            \
    X(TRANSFER_BUFFER, "TransferBuffer") X(BACKOFF_TIME, "BackoffTime")                            \
    X(GLOBAL_COUNT, "GlobalCount") X(OWNING_SERVERS_COUNT, "OwningServersCount")                   \
    X(CHEAP_SERVERS_COUNT, "CheapServersCount") X(OWNING_SERVERS, "OwningServers")                 \
    X(SERVERS_COUNT, "ServersCount") X(LONG_TERM_ID, "LongTermId") X(OBJECT_ID, "ObjectId")        \
    X(LONG_TERM_ID_COUNT, "LongTermIdCount") X(LONG_TERM_IDS, "LongTermIds")                       \
    X(DATABASE_GUID, "DatabaseGuid") X(HAS_FINISHED, "HasFinished")                                \
    X(EXPLICIT_MESSAGE_CLASS, "ExplicitMessageClass") X(ROWS, "Rows")                              \
    X(COMPLETED_TASK_COUNT, "CompletedTaskCount") X(TOTAL_TASK_COUNT, "TotalTaskCount")            \
    X(SESSION_INDEX, "SessionIndex") X(SIZE_NEEDED, "SizeNeeded")                                  \
    X(REQUEST_BUFFERS, "RequestBuffers") X(DURATION, "Duration")                                   \
    X(BACKOFF_ROP_COUNT, "BackoffRopCount") X(BACKOFF_ROP_DATA, "BackoffRopData")                  \
    X(ADDITIONAL_DATA_SIZE, "AdditionalDataSize") X(ADDITIONAL_DATA, "AdditionalData")             \
    X(NOTIFICATION_DATA, "NotificationData")
/* clang-format on */

typedef enum {
#define NEWMAIL_RS_ENUM(sym, str) NEWMAIL_RS_##sym,
    NEWMAIL_RS_NAMES(NEWMAIL_RS_ENUM)
#undef NEWMAIL_RS_ENUM
        NEWMAIL_RS_NAME_COUNT
} newmail_rs_name_t;

/* "ReturnValue" for NEWMAIL_RS_RETURN_VALUE; NULL out of range. */
const char *newmail_rs_field_name(unsigned name);

/* How a response field's bytes are laid out; value is the integer for the
 * integer kinds, the element count for lists and rows, the characters for
 * strings, the byte length for byte arrays. */
typedef enum {
    NEWMAIL_RSK_U8,
    NEWMAIL_RSK_U16,
    NEWMAIL_RSK_U32,
    NEWMAIL_RSK_I32,               /* RowsSought: signed (value holds its 32 bits) */
    NEWMAIL_RSK_U64,               /* FolderId, MessageId, times (MS-OXCDATA 2.2.1) */
    NEWMAIL_RSK_HANDLE_INDEX,      /* u8 */
    NEWMAIL_RSK_GUID,              /* 16 bytes */
    NEWMAIL_RSK_BYTES,             /* value = length */
    NEWMAIL_RSK_STRING8,           /* null-terminated 8-bit; span without the terminator */
    NEWMAIL_RSK_STRINGS8,          /* value x null-terminated 8-bit strings, one span */
    NEWMAIL_RSK_TYPED_STRING,      /* MS-OXCROPS 2.2.6.1.2.1 TypedString: StringType u8, then
                                      nothing (0, 1), String8 (2), reduced Unicode as 8-bit (3)
                                      or UTF-16LE (4), null-terminated; value = StringType */
    NEWMAIL_RSK_LOGON_TIME,        /* 8 bytes: Seconds, Minutes, Hour, DayOfWeek, Day, Month
                                      (u8 each), Year (u16) */
    NEWMAIL_RSK_LONG_TERM_ID,      /* 24 bytes */
    NEWMAIL_RSK_TAGS,              /* value x u32 PropertyTag */
    NEWMAIL_RSK_IDS,               /* value x u64 */
    NEWMAIL_RSK_U16S,              /* value x u16 (PropertyIds) */
    NEWMAIL_RSK_U32S,              /* value x u32 (AttachmentIdArray) */
    NEWMAIL_RSK_LONG_TERM_IDS,     /* value x 24 bytes */
    NEWMAIL_RSK_TAGGED_VALUES,     /* value x TaggedPropertyValue (MS-OXCDATA 2.11.4) */
    NEWMAIL_RSK_PROPERTY_PROBLEMS, /* value x PropertyProblem (10 bytes, MS-OXCDATA 2.7) */
    NEWMAIL_RSK_PROPERTY_NAMES,    /* value x PropertyName (MS-OXCDATA 2.6.1) */
    NEWMAIL_RSK_PROPERTY_ROW,      /* one PropertyRow in response.columns; value = columns */
    NEWMAIL_RSK_PROPERTY_ROWS,     /* value x PropertyRow in response.columns */
    NEWMAIL_RSK_RECIPIENT_ROWS,    /* value x OpenRecipientRow / ReadRecipientRow, each sized by
                                      its RecipientRowSize */
    NEWMAIL_RSK_RESTRICTION,       /* RestrictionDataSize bytes holding a restriction */
    NEWMAIL_RSK_NOTIFICATION,      /* RopNotify from NotificationHandle: see .notify */
    NEWMAIL_RSK_COUNT
} newmail_rs_kind_t;

typedef struct {
    uint16_t name; /* newmail_rs_name_t */
    uint8_t kind;  /* newmail_rs_kind_t */
    newmail_span_t span;
    uint64_t value;
} newmail_rs_field_t;

/* More than any response has (RopLogon for a private mailbox: 12). */
#define NEWMAIL_RS_MAX_FIELDS 16

/* The columns a row of a response is laid out in: from the caller (tags,
 * host order) or from the request buffer (le: 4-byte little-endian tags). */
typedef struct {
    const uint32_t *tags;
    const uint8_t *le;
    size_t count;
} newmail_rop_columns_t;

static inline uint32_t
newmail_rop_column_tag(const newmail_rop_columns_t *cols, size_t i)
{
    return cols->tags ? cols->tags[i] : newmail_le32(cols->le + 4 * i);
}

typedef struct {
    uint8_t rop_id;
    newmail_rop_status_t status;
    newmail_span_t span;  /* the response from its RopId; for UNSIZED/TRUNCATED,
                             the bytes read */
    uint32_t fields_read; /* bit (1u << field) for each NEWMAIL_RF_* read whole */
    bool failure;         /* a failure response: ReturnValue != 0, 6 bytes */
    newmail_span_t field[NEWMAIL_RF_COUNT];
    uint32_t value[NEWMAIL_RF_COUNT]; /* integer fields (ids, indexes, counts, sizes) */
    newmail_notify_t notify;          /* RopNotify only */
    unsigned problems;                /* NEWMAIL_ROP_PROBLEM_* */
    /* With a context only (newmail_rop_walk_init_ctx); nfields is 0 otherwise. */
    unsigned nfields;
    newmail_rs_field_t rs[NEWMAIL_RS_MAX_FIELDS]; /* every field read, in wire order */
    size_t request_index; /* the request this answers, index into the context's list;
                             NEWMAIL_ROP_NO_REQUEST for none (RopNotify, RopPending,
                             RopBackoff, RopBufferTooSmall, or no list) */
    bool has_columns;     /* columns says how RowData / TableRowData is laid out */
    newmail_rop_columns_t columns;
    bool row_data_read; /* RopNotify TableModified: TableRowData read in columns;
                           false with a TableRowData: its table's columns are unknown
                           (sized by TableRowDataSize, left unread) */
} newmail_rop_response_t;

#define NEWMAIL_ROP_NO_REQUEST ((size_t)-1)

/* ---- the walk over a ROP output buffer ------------------------------------------- */

typedef enum {
    NEWMAIL_ROPS_RUNNING,       /* newmail_rop_next_response() has more to give */
    NEWMAIL_ROPS_COMPLETE,      /* every response sized, RopsList used up exactly */
    NEWMAIL_ROPS_UNSIZED,       /* stopped at a response it cannot size */
    NEWMAIL_ROPS_TRUNCATED,     /* a response runs past the end of RopsList */
    NEWMAIL_ROPS_NEEDS_REQUEST, /* stopped at a response whose request is not known */
    NEWMAIL_ROPS_NEEDS_COLUMNS, /* stopped at rows whose table's columns are not known */
} newmail_rops_status_t;

struct newmail_rop_context; /* newmail-rop-response.h */

typedef struct {
    const uint8_t *buf;
    size_t len;
    newmail_rop_buffer_t buffer; /* RopSize, RopsList and handle table of buf */
    size_t pos;                  /* where the next response starts */
    size_t rops_end;             /* end of RopsList */
    unsigned count;              /* responses returned so far */
    newmail_rops_status_t status;
    const struct newmail_rop_context *ctx; /* NULL: the walk of newmail_rop_walk_init */
    size_t next_request;                   /* with ctx: the request the next response answers */
    uint8_t made[32];        /* with ctx: bit i, handle index i got a new object in this
                                call (an output handle index of a response) */
    uint8_t set_columns[32]; /* bit i, a RopSetColumns response on index i in this call */
    /* With a request list: what the requests before the current one did to
     * each handle index, applied once each (so the work stays linear). */
    size_t applied;                /* requests [0, applied) applied */
    uint32_t columns_request[256]; /* index + 1 of the last RopSetColumns request on handle
                                      index i, 0 for none since the object was made */
    uint8_t request_made[32];      /* bit i, a request gave index i a new object */
} newmail_rop_walk_t;

/* Starts a walk over a decoded ROP output buffer buf[0, len). Spans in the
 * responses are offsets from buf. This walk sizes the NEWMAIL_ROP_SIZABLE_IDS
 * and 6-byte failures only, and stops with UNSIZED at anything else. */
void newmail_rop_walk_init(newmail_rop_walk_t *walk, const uint8_t *buf, size_t len);

/* newmail-rop-response.h drives the walk: newmail_rop_next_response(), and
 * newmail_rop_walk_init_ctx() for the walk with a context. */

/* Reads NotificationData and what precedes it: buf[start, end) begins with
 * RopNotify's NotificationHandle (the byte after RopId) and end is the end of
 * RopsList. Returns the status; *consumed receives the bytes read from start.
 * Problems are ORed into *problems. Exposed for the tests and the fuzzer. */
newmail_rop_status_t newmail_notify_parse(const uint8_t *buf, size_t start, size_t end,
                                          newmail_notify_t *out, size_t *consumed,
                                          unsigned *problems);

static inline bool
newmail_rop_has(const newmail_rop_response_t *r, newmail_rop_field_t f)
{
    return (r->fields_read & (1u << f)) != 0;
}

static inline bool
newmail_notify_has(const newmail_notify_t *n, newmail_notify_field_t f)
{
    return (n->fields_read & (1u << f)) != 0;
}

/* "NewMail", "ObjectCreated", ... for a NotificationType, NULL if unknown. */
const char *newmail_notify_type_name(uint16_t type);

#endif /* NEWMAIL_ROP_H */
