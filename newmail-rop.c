/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rop.c: the RPC_HEADER_EXT walk (MS-OXCRPC 2.2.2.1), the bounded
 * Plain LZ77 decoder (MS-XCA 2.4.4, MS-OXCRPC 3.1.4.1.1.2), XorMagic
 * (MS-OXCRPC 3.1.4.1.1.3) and the ROP output buffer walk (MS-OXCROPS 2.2.1,
 * 2.2.14, 2.2.15; MS-OXCNOTIF 2.2.1.4.1.2). See newmail-rop.h for the API.
 *
 * Every read goes through a cursor that checks the bytes are there first and
 * is written so that no sum can wrap, whatever the counts on the wire say.
 */
#include <string.h>

#include "newmail-rop.h"
#include "newmail-rop-response.h"

/* ---- RPC_HEADER_EXT ----------------------------------------------------------- */

void
newmail_rpcx_walk_init(newmail_rpcx_walk_t *walk, const uint8_t *buf, size_t len, size_t budget)
{
    memset(walk, 0, sizeof(*walk));
    walk->buf = buf;
    walk->len = buf ? len : 0;
    walk->done = walk->len == 0;
    walk->budget = budget;
}

bool
newmail_rpcx_next(newmail_rpcx_walk_t *walk, newmail_rpcx_block_t *out)
{
    size_t at = walk->pos, left, avail;
    const uint8_t *h;

    memset(out, 0, sizeof(*out));
    if (walk->done || at >= walk->len)
        return false;
    left = walk->len - at;
    walk->blocks++;
    if (left < NEWMAIL_RPCX_HEADER_LEN) {
        /* Not even a header: the block is these bytes and the walk ends. */
        out->header = newmail_span(at, left);
        out->problems = NEWMAIL_RPCX_TRUNCATED_HEADER | NEWMAIL_RPCX_NO_LAST;
        walk->pos = walk->len;
        walk->done = true;
        return true;
    }

    h = walk->buf + at;
    out->header = newmail_span(at, NEWMAIL_RPCX_HEADER_LEN);
    out->header_read = true;
    out->version = newmail_le16(h);
    out->flags = newmail_le16(h + 2);
    out->size = newmail_le16(h + 4);
    out->size_actual = newmail_le16(h + 6);
    out->version_span = newmail_span(at, 2);
    out->flags_span = newmail_span(at + 2, 2);
    out->size_span = newmail_span(at + 4, 2);
    out->size_actual_span = newmail_span(at + 6, 2);

    if (out->version != NEWMAIL_RPCX_VERSION)
        out->problems |= NEWMAIL_RPCX_BAD_VERSION;
    if (out->flags & ~NEWMAIL_RPCX_FLAGS_KNOWN)
        out->problems |= NEWMAIL_RPCX_UNKNOWN_FLAGS;
    if (out->flags & NEWMAIL_RPCX_FLAG_COMPRESSED) {
        if (out->size >= out->size_actual)
            out->problems |= NEWMAIL_RPCX_NOT_SMALLER;
    } else if (out->size != out->size_actual) {
        out->problems |= NEWMAIL_RPCX_SIZE_MISMATCH;
    }
    if (out->size_actual > NEWMAIL_RPCX_MAX_PAYLOAD)
        out->problems |= NEWMAIL_RPCX_OVERSIZE;

    avail = left - NEWMAIL_RPCX_HEADER_LEN;
    if (out->size > avail) {
        out->problems |= NEWMAIL_RPCX_SIZE_PAST_END;
        out->payload = newmail_span(at + NEWMAIL_RPCX_HEADER_LEN, avail);
    } else {
        out->payload = newmail_span(at + NEWMAIL_RPCX_HEADER_LEN, out->size);
    }
    walk->pos = out->payload.offset + out->payload.length;

    if (out->size_actual > walk->budget - walk->granted) {
        /* Whatever follows is past what the request let the server send. */
        out->problems |= NEWMAIL_RPCX_OVER_BUDGET;
        walk->done = true;
        return true;
    }
    walk->granted += out->size_actual;

    if (out->flags & NEWMAIL_RPCX_FLAG_LAST) {
        walk->done = true;
        if (walk->pos < walk->len) {
            out->problems |= NEWMAIL_RPCX_TRAILING;
            out->trailing = newmail_span(walk->pos, walk->len - walk->pos);
        }
    } else if (walk->pos >= walk->len) {
        walk->done = true;
        out->problems |= NEWMAIL_RPCX_NO_LAST;
    }
    return true;
}

/* ---- Plain LZ77 ------------------------------------------------------------------ */

/* The compressed input, XORed as it is read. */
typedef struct {
    const uint8_t *in;
    size_t len, pos;
    uint8_t mask;
} lz_input_t;

static bool
lz_take(lz_input_t *li, size_t n, uint8_t *dst)
{
    if (n > li->len - li->pos)
        return false;
    for (size_t i = 0; i < n; i++)
        dst[i] = li->in[li->pos + i] ^ li->mask;
    li->pos += n;
    return true;
}

unsigned
newmail_lz77_decompress(const uint8_t *in, size_t in_len, uint8_t xor_mask, uint8_t *out,
                        size_t out_size, size_t *out_len)
{
    lz_input_t li = {in, in ? in_len : 0, 0, xor_mask};
    uint32_t flags = 0;
    unsigned flag_count = 0;
    size_t o = 0;
    /* Where the shared length nibble's byte was read; its high nibble serves
     * the next long match (MS-XCA 2.4.4 LastLengthHalfByte). */
    bool have_half = false;
    uint8_t half = 0;
    unsigned problems = 0;

    if (out == NULL)
        out_size = 0;
    for (;;) {
        uint8_t b[4];

        /* The input ending between tokens ends the stream: the encoder pads
         * the last flag word with 1s ("match", no input left), and some
         * encoders leave a spare flag word with nothing after it. */
        if (li.pos == li.len)
            break;
        if (flag_count == 0) {
            if (!lz_take(&li, 4, b)) {
                problems |= NEWMAIL_DECODE_INPUT_TRUNCATED;
                break;
            }
            flags = newmail_le32(b);
            flag_count = 32;
            if (li.pos == li.len)
                break;
        }
        flag_count--;
        if ((flags & (1u << flag_count)) == 0) {
            if (o == out_size) {
                problems |= NEWMAIL_DECODE_OUTPUT_FULL;
                break;
            }
            lz_take(&li, 1, &out[o]); /* cannot fail: li.pos < li.len */
            o++;
            continue;
        }

        /* A match: 16 bits, offset - 1 above length - 3. */
        uint32_t token, length, offset;
        if (!lz_take(&li, 2, b)) {
            problems |= NEWMAIL_DECODE_INPUT_TRUNCATED;
            break;
        }
        token = newmail_le16(b);
        offset = (token >> 3) + 1;
        length = token & 7;
        if (length == 7) {
            if (!have_half) {
                if (!lz_take(&li, 1, &half)) {
                    problems |= NEWMAIL_DECODE_INPUT_TRUNCATED;
                    break;
                }
                length = half & 0x0F;
                have_half = true;
            } else {
                length = half >> 4;
                have_half = false;
            }
            if (length == 15) {
                if (!lz_take(&li, 1, b)) {
                    problems |= NEWMAIL_DECODE_INPUT_TRUNCATED;
                    break;
                }
                length = b[0];
                if (length == 255) {
                    /* 16 bits hold the whole length - 3; 0 there means
                     * 32 bits do (MS-XCA 2.4.4). */
                    if (!lz_take(&li, 2, b)) {
                        problems |= NEWMAIL_DECODE_INPUT_TRUNCATED;
                        break;
                    }
                    length = newmail_le16(b);
                    if (length == 0) {
                        if (!lz_take(&li, 4, b)) {
                            problems |= NEWMAIL_DECODE_INPUT_TRUNCATED;
                            break;
                        }
                        length = newmail_le32(b);
                    }
                    if (length < 15 + 7) {
                        problems |= NEWMAIL_DECODE_BAD_LENGTH;
                        break;
                    }
                    length -= 15 + 7;
                }
                length += 15;
            }
            length += 7;
        }
        if (offset > o) {
            problems |= NEWMAIL_DECODE_BAD_OFFSET;
            break;
        }
        /* The match is length + 3 bytes; compare before adding so that a
         * 32-bit length cannot wrap a 32-bit size_t. */
        size_t room = out_size - o, n;
        bool full = room < 3 || length > room - 3;
        n = full ? room : (size_t)length + 3;
        /* One byte at a time: a match may overlap what it writes. */
        for (size_t i = 0; i < n; i++, o++)
            out[o] = out[o - offset];
        if (full) {
            problems |= NEWMAIL_DECODE_OUTPUT_FULL;
            break;
        }
    }
    *out_len = o;
    return problems;
}

unsigned
newmail_rpcx_decode(const uint8_t *buf, size_t len, const newmail_rpcx_block_t *block, uint8_t *out,
                    size_t out_size, size_t *out_len)
{
    size_t cap, n = 0;
    unsigned problems = 0;
    uint8_t mask;
    const uint8_t *payload;

    *out_len = 0;
    if (!block->header_read || buf == NULL || block->payload.offset > len ||
        block->payload.length > len - block->payload.offset)
        return NEWMAIL_DECODE_NO_HEADER;
    if (block->problems & NEWMAIL_RPCX_OVER_BUDGET)
        return NEWMAIL_DECODE_OVER_BUDGET;
    cap = block->size_actual < out_size ? block->size_actual : out_size;
    if (out == NULL)
        cap = 0;
    payload = buf + block->payload.offset;
    mask = (block->flags & NEWMAIL_RPCX_FLAG_XOR_MAGIC) ? NEWMAIL_XOR_MAGIC : 0;
    if (block->payload.length < block->size)
        problems |= NEWMAIL_DECODE_PAYLOAD_CUT;

    if (block->flags & NEWMAIL_RPCX_FLAG_COMPRESSED) {
        /* XOR first, then decompress: lz77 XORs each byte as it reads it. */
        problems |= newmail_lz77_decompress(payload, block->payload.length, mask, out, cap, &n);
    } else {
        n = block->payload.length < cap ? block->payload.length : cap;
        for (size_t i = 0; i < n; i++)
            out[i] = payload[i] ^ mask;
        if (block->payload.length > cap)
            problems |= NEWMAIL_DECODE_OUTPUT_FULL;
    }
    if (n < block->size_actual)
        problems |= NEWMAIL_DECODE_SHORT;
    *out_len = n;
    return problems;
}

void
newmail_xor_magic(const uint8_t *in, size_t len, uint8_t *out)
{
    for (size_t i = 0; i < len; i++)
        out[i] = in[i] ^ NEWMAIL_XOR_MAGIC;
}

/* ---- the ROP buffer ------------------------------------------------------------------ */

unsigned
newmail_rop_buffer_split(const uint8_t *buf, size_t len, newmail_rop_buffer_t *out)
{
    memset(out, 0, sizeof(*out));
    if (buf == NULL || len < 2) {
        out->problems = NEWMAIL_ROPBUF_TRUNCATED;
        return out->problems;
    }
    out->rop_size = newmail_le16(buf);
    out->rop_size_span = newmail_span(0, 2);
    if (out->rop_size < 2) {
        /* Nothing can be walked; everything after RopSize is unaccounted for. */
        out->problems |= NEWMAIL_ROPBUF_SIZE_SMALL;
        out->rops = newmail_span(2, 0);
        return out->problems;
    }
    if (out->rop_size > len) {
        out->problems |= NEWMAIL_ROPBUF_SIZE_PAST_END;
        out->rops = newmail_span(2, len - 2);
        out->handle_table = newmail_span(len, 0);
        return out->problems;
    }
    out->rops = newmail_span(2, (size_t)out->rop_size - 2);
    out->handle_table = newmail_span(out->rop_size, len - out->rop_size);
    out->handle_count = out->handle_table.length / 4;
    if (out->handle_table.length % 4)
        out->problems |= NEWMAIL_ROPBUF_HANDLES_PARTIAL;
    return out->problems;
}

/* ---- the RopId table (MS-OXCROPS 2.2.2) ---------------------------------------------- */

/* How a response of each RopId is laid out, as far as the walk cares. */
typedef enum {
    ROP_RESERVED = 0,  /* not in the table */
    ROP_NO_RESPONSE,   /* RopRelease */
    ROP_STANDARD,      /* RopId, handle index, ReturnValue, then fields on success only */
    ROP_FAILURE_EXTRA, /* its failure response carries more than the 6 bytes */
    ROP_NO_RETURN,     /* RopNotify, RopPending, RopBackoff, RopBufferTooSmall */
} rop_class_t;

typedef struct {
    const char *name;
    rop_class_t cls;
} rop_info_t;

/* clang-format off */
#define STD(n) {n, ROP_STANDARD}
#define XTR(n) {n, ROP_FAILURE_EXTRA}
/* clang-format on */
static const rop_info_t rop_table[256] = {
    [0x01] = {"RopRelease", ROP_NO_RESPONSE},
    [0x02] = STD("RopOpenFolder"),
    [0x03] = STD("RopOpenMessage"),
    [0x04] = STD("RopGetHierarchyTable"),
    [0x05] = STD("RopGetContentsTable"),
    [0x06] = STD("RopCreateMessage"),
    [0x07] = STD("RopGetPropertiesSpecific"),
    [0x08] = STD("RopGetPropertiesAll"),
    [0x09] = STD("RopGetPropertiesList"),
    [0x0A] = STD("RopSetProperties"),
    [0x0B] = STD("RopDeleteProperties"),
    [0x0C] = STD("RopSaveChangesMessage"),
    [0x0D] = STD("RopRemoveAllRecipients"),
    [0x0E] = STD("RopModifyRecipients"),
    [0x0F] = STD("RopReadRecipients"),
    [0x10] = STD("RopReloadCachedInformation"),
    [0x11] = STD("RopSetMessageReadFlag"),
    [0x12] = STD("RopSetColumns"),
    [0x13] = STD("RopSortTable"),
    [0x14] = STD("RopRestrict"),
    [0x15] = STD("RopQueryRows"),
    [0x16] = STD("RopGetStatus"),
    [0x17] = STD("RopQueryPosition"),
    [0x18] = STD("RopSeekRow"),
    [0x19] = STD("RopSeekRowBookmark"),
    [0x1A] = STD("RopSeekRowFractional"),
    [0x1B] = STD("RopCreateBookmark"),
    [0x1C] = STD("RopCreateFolder"),
    [0x1D] = XTR("RopDeleteFolder"),
    [0x1E] = XTR("RopDeleteMessages"),
    [0x1F] = STD("RopGetMessageStatus"),
    [0x20] = STD("RopSetMessageStatus"),
    [0x21] = STD("RopGetAttachmentTable"),
    [0x22] = STD("RopOpenAttachment"),
    [0x23] = STD("RopCreateAttachment"),
    [0x24] = STD("RopDeleteAttachment"),
    [0x25] = STD("RopSaveChangesAttachment"),
    [0x26] = STD("RopSetReceiveFolder"),
    [0x27] = STD("RopGetReceiveFolder"),
    [0x29] = STD("RopRegisterNotification"),
    [0x2A] = {"RopNotify", ROP_NO_RETURN},
    [0x2B] = STD("RopOpenStream"),
    [0x2C] = XTR("RopReadStream"),
    [0x2D] = XTR("RopWriteStream"),
    [0x2E] = STD("RopSeekStream"),
    [0x2F] = STD("RopSetStreamSize"),
    [0x30] = STD("RopSetSearchCriteria"),
    [0x31] = STD("RopGetSearchCriteria"),
    [0x32] = STD("RopSubmitMessage"),
    [0x33] = XTR("RopMoveCopyMessages"),
    [0x34] = STD("RopAbortSubmit"),
    [0x35] = XTR("RopMoveFolder"),
    [0x36] = XTR("RopCopyFolder"),
    [0x37] = STD("RopQueryColumnsAll"),
    [0x38] = STD("RopAbort"),
    [0x39] = XTR("RopCopyTo"),
    [0x3A] = XTR("RopCopyToStream"),
    [0x3B] = STD("RopCloneStream"),
    [0x3E] = STD("RopGetPermissionsTable"),
    [0x3F] = STD("RopGetRulesTable"),
    [0x40] = STD("RopModifyPermissions"),
    [0x41] = STD("RopModifyRules"),
    [0x42] = STD("RopGetOwningServers"),
    [0x43] = STD("RopLongTermIdFromId"),
    [0x44] = STD("RopIdFromLongTermId"),
    [0x45] = STD("RopPublicFolderIsGhosted"),
    [0x46] = STD("RopOpenEmbeddedMessage"),
    [0x47] = STD("RopSetSpooler"),
    [0x48] = STD("RopSpoolerLockMessage"),
    [0x49] = STD("RopGetAddressTypes"),
    [0x4A] = STD("RopTransportSend"),
    [0x4B] = STD("RopFastTransferSourceCopyMessages"),
    [0x4C] = STD("RopFastTransferSourceCopyFolder"),
    [0x4D] = STD("RopFastTransferSourceCopyTo"),
    [0x4E] = XTR("RopFastTransferSourceGetBuffer"),
    [0x4F] = STD("RopFindRow"),
    [0x50] = STD("RopProgress"),
    [0x51] = STD("RopTransportNewMail"),
    [0x52] = STD("RopGetValidAttachments"),
    [0x53] = STD("RopFastTransferDestinationConfigure"),
    [0x54] = XTR("RopFastTransferDestinationPutBuffer"),
    [0x55] = STD("RopGetNamesFromPropertyIds"),
    [0x56] = STD("RopGetPropertyIdsFromNames"),
    [0x57] = STD("RopUpdateDeferredActionMessages"),
    [0x58] = XTR("RopEmptyFolder"),
    [0x59] = STD("RopExpandRow"),
    [0x5A] = STD("RopCollapseRow"),
    [0x5B] = STD("RopLockRegionStream"),
    [0x5C] = STD("RopUnlockRegionStream"),
    [0x5D] = STD("RopCommitStream"),
    [0x5E] = STD("RopGetStreamSize"),
    [0x5F] = STD("RopQueryNamedProperties"),
    [0x60] = STD("RopGetPerUserLongTermIds"),
    [0x61] = STD("RopGetPerUserGuid"),
    [0x63] = STD("RopReadPerUserInformation"),
    [0x64] = STD("RopWritePerUserInformation"),
    [0x66] = XTR("RopSetReadFlags"),
    [0x67] = XTR("RopCopyProperties"),
    [0x68] = STD("RopGetReceiveFolderTable"),
    [0x69] = STD("RopFastTransferSourceCopyProperties"),
    [0x6B] = STD("RopGetCollapseState"),
    [0x6C] = STD("RopSetCollapseState"),
    [0x6D] = STD("RopGetTransportFolder"),
    [0x6E] = {"RopPending", ROP_NO_RETURN},
    [0x6F] = STD("RopOptionsData"),
    [0x70] = STD("RopSynchronizationConfigure"),
    [0x72] = STD("RopSynchronizationImportMessageChange"),
    [0x73] = STD("RopSynchronizationImportHierarchyChange"),
    [0x74] = STD("RopSynchronizationImportDeletes"),
    [0x75] = STD("RopSynchronizationUploadStateStreamBegin"),
    [0x76] = STD("RopSynchronizationUploadStateStreamContinue"),
    [0x77] = STD("RopSynchronizationUploadStateStreamEnd"),
    [0x78] = STD("RopSynchronizationImportMessageMove"),
    [0x79] = STD("RopSetPropertiesNoReplicate"),
    [0x7A] = STD("RopDeletePropertiesNoReplicate"),
    [0x7B] = STD("RopGetStoreState"),
    [0x7E] = STD("RopSynchronizationOpenCollector"),
    [0x7F] = STD("RopGetLocalReplicaIds"),
    [0x80] = STD("RopSynchronizationImportReadStateChanges"),
    [0x81] = STD("RopResetTable"),
    [0x82] = STD("RopSynchronizationGetTransferState"),
    [0x86] = STD("RopTellVersion"),
    [0x89] = STD("RopFreeBookmark"),
    [0x90] = XTR("RopWriteAndCommitStream"),
    [0x91] = XTR("RopHardDeleteMessages"),
    [0x92] = XTR("RopHardDeleteMessagesAndSubfolders"),
    [0x93] = STD("RopSetLocalReplicaMidsetDeleted"),
    [0x9D] = XTR("RopFastTransferDestinationPutBufferExtended"),
    [0xA3] = XTR("RopWriteStreamExtended"),
    [0xF9] = {"RopBackoff", ROP_NO_RETURN},
    /* RopLogon's failure may be a redirect response (LogonFlags, ServerName). */
    [0xFE] = XTR("RopLogon"),
    [0xFF] = {"RopBufferTooSmall", ROP_NO_RETURN},
};
#undef STD
#undef XTR

const char *
newmail_rop_name(uint8_t rop_id)
{
    return rop_table[rop_id].name;
}

const char *
newmail_notify_type_name(uint16_t type)
{
    switch (type) {
    case NEWMAIL_NOTIFY_NEW_MAIL:
        return "NewMail";
    case NEWMAIL_NOTIFY_OBJECT_CREATED:
        return "ObjectCreated";
    case NEWMAIL_NOTIFY_OBJECT_DELETED:
        return "ObjectDeleted";
    case NEWMAIL_NOTIFY_OBJECT_MODIFIED:
        return "ObjectModified";
    case NEWMAIL_NOTIFY_OBJECT_MOVED:
        return "ObjectMoved";
    case NEWMAIL_NOTIFY_OBJECT_COPIED:
        return "ObjectCopied";
    case NEWMAIL_NOTIFY_SEARCH_COMPLETE:
        return "SearchComplete";
    case NEWMAIL_NOTIFY_TABLE_MODIFIED:
        return "TableModified";
    case NEWMAIL_NOTIFY_EXTENDED:
        return "Extended";
    default:
        return NULL;
    }
}

/* The TableEventType values MS-OXCNOTIF 2.2.1.4.1.2 defines (their names
 * are the dissector's value_string). */
static bool
table_event_is_known(uint16_t event)
{
    switch (event) {
    case NEWMAIL_TABLE_CHANGED:
    case NEWMAIL_TABLE_ROW_ADDED:
    case NEWMAIL_TABLE_ROW_DELETED:
    case NEWMAIL_TABLE_ROW_MODIFIED:
    case NEWMAIL_TABLE_RESTRICTION_CHANGED:
        return true;
    default:
        return false;
    }
}

/* ---- reading fields within RopsList ------------------------------------------------- */

/* Reads an integer field of the response into value[] and field[]. */
static bool
rop_int(newmail_cursor_t *c, newmail_rop_response_t *r, newmail_rop_field_t f, size_t size)
{
    newmail_span_t sp;
    const uint8_t *p;

    if (!newmail_cursor_take(c, 1, size, &sp))
        return false;
    p = c->buf + sp.offset;
    r->value[f] = size == 1 ? p[0] : size == 2 ? newmail_le16(p) : newmail_le32(p);
    r->field[f] = sp;
    r->fields_read |= 1u << f;
    return true;
}

static bool
rop_bytes(newmail_cursor_t *c, newmail_rop_response_t *r, newmail_rop_field_t f, size_t size)
{
    if (!newmail_cursor_take(c, 1, size, &r->field[f]))
        return false;
    r->fields_read |= 1u << f;
    return true;
}

/* ---- RopNotify ------------------------------------------------------------------ */

static bool
nf_take(newmail_cursor_t *c, newmail_notify_t *n, newmail_notify_field_t f, size_t size)
{
    if (!newmail_cursor_take(c, 1, size, &n->span[f]))
        return false;
    n->fields_read |= 1u << f;
    return true;
}

/* Reads an integer field; false when RopsList ends first. */
static bool
nf_u(newmail_cursor_t *c, newmail_notify_t *n, newmail_notify_field_t f, size_t size, void *dst)
{
    const uint8_t *p;

    if (!nf_take(c, n, f, size))
        return false;
    p = c->buf + n->span[f].offset;
    switch (size) {
    case 1:
        *(uint8_t *)dst = p[0];
        break;
    case 2:
        *(uint16_t *)dst = newmail_le16(p);
        break;
    case 4:
        *(uint32_t *)dst = newmail_le32(p);
        break;
    default:
        *(uint64_t *)dst = newmail_le64(p);
        break;
    }
    return true;
}

static bool
type_is_known(uint16_t t)
{
    return newmail_notify_type_name(t) != NULL;
}

newmail_rop_status_t
newmail_notify_parse(const uint8_t *buf, size_t start, size_t end, newmail_notify_t *n,
                     size_t *consumed, unsigned *problems)
{
    newmail_cursor_t c = newmail_cursor(buf, start, end); /* to the end of RopsList */
    uint16_t t;
    bool m, s, table_adm = false, table_am = false;

    memset(n, 0, sizeof(*n));
    *consumed = 0;
    if (start > end)
        return NEWMAIL_ROP_TRUNCATED;
#define NEED(expr)                                                                                 \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            *consumed = c.pos - start;                                                             \
            return NEWMAIL_ROP_TRUNCATED;                                                          \
        }                                                                                          \
    } while (0)

    NEED(nf_u(&c, n, NEWMAIL_NF_HANDLE, 4, &n->handle));
    NEED(nf_u(&c, n, NEWMAIL_NF_LOGON_ID, 1, &n->logon_id));
    NEED(nf_u(&c, n, NEWMAIL_NF_FLAGS, 2, &n->flags));
    t = n->type = n->flags & NEWMAIL_NOTIFY_TYPE_MASK;
    m = (n->flags & NEWMAIL_NOTIFY_FLAG_M) != 0;
    s = (n->flags & NEWMAIL_NOTIFY_FLAG_S) != 0;

    /* The type is an enumeration, not a bit set: one value, or nothing
     * after NotificationFlags can be placed. */
    if (!type_is_known(t)) {
        *problems |= NEWMAIL_ROP_PROBLEM_NOTIFY_TYPE;
        *consumed = c.pos - start;
        return NEWMAIL_ROP_UNSIZED;
    }
    /* "If this bit [T/U] is set, the NotificationType MUST be 0x0010";
     * "If this bit [S] is set, bit 0x8000 MUST be set." The fields still
     * follow the bits, so this is noted and the walk goes on. */
    if (((n->flags & (NEWMAIL_NOTIFY_FLAG_T | NEWMAIL_NOTIFY_FLAG_U)) &&
         t != NEWMAIL_NOTIFY_OBJECT_MODIFIED) ||
        (s && !m))
        *problems |= NEWMAIL_ROP_PROBLEM_NOTIFY_FLAGS;

    if (t == NEWMAIL_NOTIFY_TABLE_MODIFIED) {
        uint16_t e;

        NEED(nf_u(&c, n, NEWMAIL_NF_TABLE_EVENT_TYPE, 2, &n->table_event_type));
        e = n->table_event_type;
        if (!table_event_is_known(e)) {
            /* An event MS-OXCNOTIF does not list may carry anything. */
            *problems |= NEWMAIL_ROP_PROBLEM_TABLE_EVENT;
            *consumed = c.pos - start;
            return NEWMAIL_ROP_UNSIZED;
        }
        table_adm = e == NEWMAIL_TABLE_ROW_ADDED || e == NEWMAIL_TABLE_ROW_DELETED ||
                    e == NEWMAIL_TABLE_ROW_MODIFIED;
        table_am = e == NEWMAIL_TABLE_ROW_ADDED || e == NEWMAIL_TABLE_ROW_MODIFIED;
    }
    if (table_adm)
        NEED(nf_u(&c, n, NEWMAIL_NF_TABLE_ROW_FOLDER_ID, 8, &n->table_row_folder_id));
    if (table_adm && m) {
        NEED(nf_u(&c, n, NEWMAIL_NF_TABLE_ROW_MESSAGE_ID, 8, &n->table_row_message_id));
        NEED(nf_u(&c, n, NEWMAIL_NF_TABLE_ROW_INSTANCE, 4, &n->table_row_instance));
    }
    /* InsertAfterTableRowFolderID needs only the event (3 or 5), not M. */
    if (table_am)
        NEED(nf_u(&c, n, NEWMAIL_NF_INSERT_AFTER_FOLDER_ID, 8, &n->insert_after_folder_id));
    if (table_am && m) {
        NEED(nf_u(&c, n, NEWMAIL_NF_INSERT_AFTER_MESSAGE_ID, 8, &n->insert_after_message_id));
        NEED(nf_u(&c, n, NEWMAIL_NF_INSERT_AFTER_INSTANCE, 4, &n->insert_after_instance));
    }
    if (table_am) {
        /* The row is a PropertyRow in the table's columns, which only its
         * RopSetColumns knows; TableRowDataSize still sizes it. */
        NEED(nf_u(&c, n, NEWMAIL_NF_TABLE_ROW_DATA_SIZE, 2, &n->table_row_data_size));
        NEED(nf_take(&c, n, NEWMAIL_NF_TABLE_ROW_DATA, n->table_row_data_size));
    }

    if (t != NEWMAIL_NOTIFY_TABLE_MODIFIED && t != NEWMAIL_NOTIFY_EXTENDED) {
        NEED(nf_u(&c, n, NEWMAIL_NF_FOLDER_ID, 8, &n->folder_id));
        if (m)
            NEED(nf_u(&c, n, NEWMAIL_NF_MESSAGE_ID, 8, &n->message_id));
    }
    if ((t == NEWMAIL_NOTIFY_OBJECT_CREATED || t == NEWMAIL_NOTIFY_OBJECT_DELETED ||
         t == NEWMAIL_NOTIFY_OBJECT_MOVED || t == NEWMAIL_NOTIFY_OBJECT_COPIED) &&
        s == m)
        NEED(nf_u(&c, n, NEWMAIL_NF_PARENT_FOLDER_ID, 8, &n->parent_folder_id));
    if (t == NEWMAIL_NOTIFY_OBJECT_MOVED || t == NEWMAIL_NOTIFY_OBJECT_COPIED) {
        NEED(nf_u(&c, n, NEWMAIL_NF_OLD_FOLDER_ID, 8, &n->old_folder_id));
        if (m)
            NEED(nf_u(&c, n, NEWMAIL_NF_OLD_MESSAGE_ID, 8, &n->old_message_id));
        else
            NEED(nf_u(&c, n, NEWMAIL_NF_OLD_PARENT_FOLDER_ID, 8, &n->old_parent_folder_id));
    }
    if (t == NEWMAIL_NOTIFY_OBJECT_CREATED || t == NEWMAIL_NOTIFY_OBJECT_MODIFIED) {
        NEED(nf_u(&c, n, NEWMAIL_NF_TAG_COUNT, 2, &n->tag_count));
        if (n->tag_count != 0 && n->tag_count != 0xFFFF)
            NEED(nf_take(&c, n, NEWMAIL_NF_TAGS, (size_t)n->tag_count * 4));
    }
    if (n->flags & NEWMAIL_NOTIFY_FLAG_T)
        NEED(nf_u(&c, n, NEWMAIL_NF_TOTAL_MESSAGE_COUNT, 4, &n->total_message_count));
    if (n->flags & NEWMAIL_NOTIFY_FLAG_U)
        NEED(nf_u(&c, n, NEWMAIL_NF_UNREAD_MESSAGE_COUNT, 4, &n->unread_message_count));
    if (t == NEWMAIL_NOTIFY_NEW_MAIL) {
        NEED(nf_u(&c, n, NEWMAIL_NF_MESSAGE_FLAGS, 4, &n->message_flags));
        NEED(nf_u(&c, n, NEWMAIL_NF_UNICODE_FLAG, 1, &n->unicode_flag));
        if (n->unicode_flag > 1) {
            /* Neither TRUE (0x01) nor FALSE (0x00): the class's encoding,
             * and so where it ends, is unknown. */
            *problems |= NEWMAIL_ROP_PROBLEM_UNICODE_FLAG;
            *consumed = c.pos - start;
            return NEWMAIL_ROP_UNSIZED;
        }
        n->message_class_unicode = n->unicode_flag == 1;
        if (!newmail_cursor_take_string(&c, n->message_class_unicode ? 2 : 1, &n->span[NEWMAIL_NF_MESSAGE_CLASS],
                         &n->message_class_chars)) {
            *problems |= NEWMAIL_ROP_PROBLEM_UNTERMINATED;
            *consumed = c.pos - start;
            return NEWMAIL_ROP_TRUNCATED;
        }
        n->fields_read |= 1u << NEWMAIL_NF_MESSAGE_CLASS;
    }
#undef NEED
    *consumed = c.pos - start;
    return NEWMAIL_ROP_SIZED;
}

/* ---- one response ------------------------------------------------------------------- */

/* Reads the success fields of a sizable ROP whose 6-byte prefix was read
 * with ReturnValue 0. */
static newmail_rop_status_t
read_success(newmail_cursor_t *c, newmail_rop_response_t *r)
{
    switch (r->rop_id) {
    case NEWMAIL_ROP_OPEN_FOLDER: {
        newmail_span_t one;
        size_t chars;

        if (!rop_int(c, r, NEWMAIL_RF_HAS_RULES, 1) || !rop_int(c, r, NEWMAIL_RF_IS_GHOSTED, 1))
            return NEWMAIL_ROP_TRUNCATED;
        if (r->value[NEWMAIL_RF_IS_GHOSTED] == 0)
            return NEWMAIL_ROP_SIZED;
        if (!rop_int(c, r, NEWMAIL_RF_SERVER_COUNT, 2) ||
            !rop_int(c, r, NEWMAIL_RF_CHEAP_SERVER_COUNT, 2))
            return NEWMAIL_ROP_TRUNCATED;
        /* ServerCount ASCIIZ strings, shown as one span. */
        size_t first = c->pos;
        for (uint32_t i = 0; i < r->value[NEWMAIL_RF_SERVER_COUNT]; i++) {
            if (!newmail_cursor_take_string(c, 1, &one, &chars)) {
                r->problems |= NEWMAIL_ROP_PROBLEM_UNTERMINATED;
                return NEWMAIL_ROP_TRUNCATED;
            }
        }
        r->field[NEWMAIL_RF_SERVERS] = newmail_span(first, c->pos - first);
        r->fields_read |= 1u << NEWMAIL_RF_SERVERS;
        return NEWMAIL_ROP_SIZED;
    }
    case NEWMAIL_ROP_GET_HIERARCHY_TABLE:
    case NEWMAIL_ROP_GET_CONTENTS_TABLE:
        return rop_int(c, r, NEWMAIL_RF_ROW_COUNT, 4) ? NEWMAIL_ROP_SIZED : NEWMAIL_ROP_TRUNCATED;
    case NEWMAIL_ROP_SET_COLUMNS:
    case NEWMAIL_ROP_SORT_TABLE:
    case NEWMAIL_ROP_RESTRICT:
        return rop_int(c, r, NEWMAIL_RF_TABLE_STATUS, 1) ? NEWMAIL_ROP_SIZED
                                                         : NEWMAIL_ROP_TRUNCATED;
    case NEWMAIL_ROP_REGISTER_NOTIFICATION:
        return NEWMAIL_ROP_SIZED; /* one layout: nothing after ReturnValue */
    default:
        return NEWMAIL_ROP_UNSIZED;
    }
}

/* Reads the response at c->pos; the cursor ends after what was read. */
newmail_rop_status_t
newmail_rop_response_read_legacy(newmail_cursor_t *c, newmail_rop_response_t *r)
{
    const rop_info_t *info;

    if (!rop_int(c, r, NEWMAIL_RF_ROP_ID, 1))
        return NEWMAIL_ROP_TRUNCATED;
    r->rop_id = (uint8_t)r->value[NEWMAIL_RF_ROP_ID];
    info = &rop_table[r->rop_id];

    switch (info->cls) {
    case ROP_RESERVED:
        r->problems |= NEWMAIL_ROP_PROBLEM_UNKNOWN_ID;
        return NEWMAIL_ROP_UNSIZED;
    case ROP_NO_RESPONSE:
        r->problems |= NEWMAIL_ROP_PROBLEM_NO_RESPONSE;
        return NEWMAIL_ROP_UNSIZED;
    case ROP_NO_RETURN:
        break;
    case ROP_STANDARD:
    case ROP_FAILURE_EXTRA:
        if (!rop_int(c, r, NEWMAIL_RF_HANDLE_INDEX, 1) ||
            !rop_int(c, r, NEWMAIL_RF_RETURN_VALUE, 4))
            return NEWMAIL_ROP_TRUNCATED;
        if (r->value[NEWMAIL_RF_RETURN_VALUE] != 0) {
            if (info->cls == ROP_FAILURE_EXTRA)
                return NEWMAIL_ROP_UNSIZED;
            r->failure = true;
            return NEWMAIL_ROP_SIZED;
        }
        return read_success(c, r);
    }

    switch (r->rop_id) {
    case NEWMAIL_ROP_NOTIFY: {
        size_t used;
        newmail_rop_status_t st =
            newmail_notify_parse(c->buf, c->pos, c->end, &r->notify, &used, &r->problems);

        r->field[NEWMAIL_RF_NOTIFICATION] = newmail_span(c->pos, used);
        c->pos += used;
        if (st == NEWMAIL_ROP_SIZED)
            r->fields_read |= 1u << NEWMAIL_RF_NOTIFICATION;
        return st;
    }
    case NEWMAIL_ROP_PENDING:
        return rop_int(c, r, NEWMAIL_RF_SESSION_INDEX, 2) ? NEWMAIL_ROP_SIZED
                                                          : NEWMAIL_ROP_TRUNCATED;
    case NEWMAIL_ROP_BUFFER_TOO_SMALL:
        /* "The size of the array is equal to the size of the space remaining
         * in the ROP output buffer": it is always the last response. */
        if (!rop_int(c, r, NEWMAIL_RF_SIZE_NEEDED, 2))
            return NEWMAIL_ROP_TRUNCATED;
        rop_bytes(c, r, NEWMAIL_RF_REQUEST_BUFFERS, c->end - c->pos);
        return NEWMAIL_ROP_SIZED;
    case NEWMAIL_ROP_BACKOFF:
        if (!rop_int(c, r, NEWMAIL_RF_LOGON_ID, 1) || !rop_int(c, r, NEWMAIL_RF_DURATION, 4) ||
            !rop_int(c, r, NEWMAIL_RF_BACKOFF_ROP_COUNT, 1) ||
            !rop_bytes(c, r, NEWMAIL_RF_BACKOFF_ROP_DATA,
                       (size_t)r->value[NEWMAIL_RF_BACKOFF_ROP_COUNT] * 5) ||
            !rop_int(c, r, NEWMAIL_RF_ADDITIONAL_DATA_SIZE, 2) ||
            !rop_bytes(c, r, NEWMAIL_RF_ADDITIONAL_DATA, r->value[NEWMAIL_RF_ADDITIONAL_DATA_SIZE]))
            return NEWMAIL_ROP_TRUNCATED;
        return NEWMAIL_ROP_SIZED;
    default:
        return NEWMAIL_ROP_UNSIZED; /* not reached: the table lists four */
    }
}

void
newmail_rop_walk_init(newmail_rop_walk_t *walk, const uint8_t *buf, size_t len)
{
    memset(walk, 0, sizeof(*walk));
    walk->buf = buf;
    walk->len = buf ? len : 0;
    newmail_rop_buffer_split(walk->buf, walk->len, &walk->buffer);
    walk->pos = walk->buffer.rops.offset;
    walk->rops_end = walk->buffer.rops.offset + walk->buffer.rops.length;
    if (walk->buffer.problems & (NEWMAIL_ROPBUF_TRUNCATED | NEWMAIL_ROPBUF_SIZE_SMALL))
        walk->status = NEWMAIL_ROPS_TRUNCATED;
    else if (walk->pos == walk->rops_end)
        walk->status = walk->buffer.problems & NEWMAIL_ROPBUF_SIZE_PAST_END ? NEWMAIL_ROPS_TRUNCATED
                                                                            : NEWMAIL_ROPS_COMPLETE;
    else
        walk->status = NEWMAIL_ROPS_RUNNING;
}
