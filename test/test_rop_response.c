/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_rop_response.c: unit tests for the ROP response walk with a context
 * (newmail-rop-response.h): every response layout of MS-OXCROPS 2.2, success
 * and failure, matched with request lists, with table columns from the same
 * call, from the caller, and unknown.
 *
 * Every response and request here is written from a layout given again in
 * this file, field by field from MS-OXCROPS 2.2.3-2.2.15 (cross-checked with
 * MAPI Inspector's Rop*Response.cs parsers), never from the reader's code:
 * the reader must report the same fields in the same order with the same
 * spans and values. Requests are read with the request reader
 * (newmail-rop-request.h), as the dissector will. Each response is then cut
 * at every length (heap copy of exactly that length: ASan catches a read past
 * the cut) and followed by a RopNotify NewMail that the walk must reach.
 * The bytes are written with test/writer.h. With --write-seeds
 * DIR it also writes each buffer as a fuzz_rop seed (DIR/ctx-NNN.bin).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newmail-props.h"
#include "newmail-rop-request.h"
#include "newmail-rop-response.h"
#include "newmail-rop.h"

#include "checks.h"
#include "writer.h"

/* ---- buffers ---------------------------------------------------------------------------- */

/* A ROP buffer: RopSize, the ROPs, then a handle table of `handles` entries. */
static void
put_rop_buffer(writer_t *w, const writer_t *rops, unsigned handles)
{
    w->len = 0;
    put16(w, rops->len + 2);
    put_bytes(w, rops->b, rops->len);
    for (unsigned i = 0; i < handles; i++)
        put32(w, 0x100 + i);
}

/* ---- fuzzing seeds (--write-seeds DIR) ------------------------------------------------ */

static const char *seed_dir;
static unsigned seed_count;

/* Writes a fuzz_rop input for the walk with a context (fuzz_rop.c's mode 2
 * with bit 2): the request buffer, the callbacks' flags and columns, then
 * the response buffer. */
static void
write_seed(const char *what, const writer_t *requests, unsigned flags, const uint32_t *tags,
           size_t ntags, const writer_t *responses)
{
    char path[512];
    FILE *f;
    writer_t w = {.len = 0};

    if (seed_dir == NULL)
        return;
    put8(&w, 0x06);
    put16(&w, requests ? requests->len : 0);
    if (requests)
        put_bytes(&w, requests->b, requests->len);
    put8(&w, flags);
    put8(&w, ntags);
    for (size_t i = 0; i < ntags; i++)
        put32(&w, tags[i]);
    put_bytes(&w, responses->b, responses->len);
    snprintf(path, sizeof(path), "%s/ctx-%03u.bin", seed_dir, seed_count++);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(w.b, 1, w.len, f) != w.len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s (%s)\n", path, what);
        exit(2);
    }
}

/* ---- layouts written from MS-OXCROPS ------------------------------------------------ */

enum { F_STR = 1 }; /* a null-terminated string: the span leaves out the terminator */

typedef struct {
    int name;   /* newmail_rs_name_t; -1 ends the list */
    size_t len; /* bytes on the wire */
    uint64_t v; /* the integer written, when bytes is NULL */
    const void *bytes;
    uint64_t want; /* the value the reader must report (for bytes: count or length) */
    unsigned flags;
} item_t;

#define END                                                                                        \
    {                                                                                              \
        -1, 0, 0, NULL, 0, 0                                                                       \
    }
#define I1(n, x)                                                                                   \
    {                                                                                              \
        NEWMAIL_RS_##n, 1, (x), NULL, (x), 0                                                       \
    }
#define I2(n, x)                                                                                   \
    {                                                                                              \
        NEWMAIL_RS_##n, 2, (x), NULL, (x), 0                                                       \
    }
#define I4(n, x)                                                                                   \
    {                                                                                              \
        NEWMAIL_RS_##n, 4, (x), NULL, (x), 0                                                       \
    }
#define I8(n, x)                                                                                   \
    {                                                                                              \
        NEWMAIL_RS_##n, 8, (x), NULL, (x), 0                                                       \
    }
#define B(n, arr, want)                                                                            \
    {                                                                                              \
        NEWMAIL_RS_##n, sizeof(arr), 0, (arr), (want), 0                                           \
    }
#define STR(n, s)                                                                                  \
    {                                                                                              \
        NEWMAIL_RS_##n, sizeof(s), 0, (s), sizeof(s) - 1, F_STR                                    \
    }
#define RV_OK I4(RETURN_VALUE, 0)
#define IN(x) I1(INPUT_HANDLE_INDEX, x)
#define OUT(x) I1(OUTPUT_HANDLE_INDEX, x)

static size_t
put_items(writer_t *w, const item_t *items, size_t offsets[])
{
    size_t n = 0;

    for (; items[n].name >= 0; n++)
        offsets[n] = items[n].bytes ? put_bytes(w, items[n].bytes, items[n].len)
                                    : put_value(w, items[n].v, items[n].len);
    return n;
}

/* Bytes used by the layouts. */
static const uint8_t guid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t folder_ids[104] = {1};
static const uint8_t logon_time[8] = {30, 15, 10, 5, 4, 12, 0xEA, 0x07};
static const uint8_t ltid[24] = {0xAA};
static const uint8_t two_ltids[48] = {0xBB};
static const uint8_t client_data[24] = {0xCC};
/* Two TaggedPropertyValues: PidTagSubject (PtypString "Hi"), PidTagMessageFlags 1. */
static const uint8_t tagged2[] = {0x1F, 0x00, 0x37, 0x00, 'H',  0, 'i', 0, 0,
                                  0,    0x03, 0x00, 0x07, 0x0E, 1, 0,   0, 0};
static const uint8_t tags3[] = {0x1F, 0x00, 0x37, 0x00, 0x03, 0x00,
                                0x07, 0x0E, 0x02, 0x01, 0xFF, 0x0F};
/* One PropertyProblem: Index 1, PropertyTag, ErrorCode 0x8004010F. */
static const uint8_t problem1[] = {1, 0, 0x03, 0x00, 0x07, 0x0E, 0x0F, 0x01, 0x04, 0x80};
static const uint8_t servers2[] = "srv1\0srv2"; /* sizeof includes the last terminator */
static const uint8_t typed_unicode[] = {4, 'R', 0, 'E', 0, 0, 0};
static const uint8_t typed_none[] = {0};
static const uint8_t typed_string8[] = {2, 'h', 'i', 0};
static const uint8_t recip_cols[] = {0x1F, 0x00, 0x01, 0x30};
/* OpenRecipientRow: RecipientType, CodePageId, Reserved, RecipientRowSize 3, 3 bytes. */
static const uint8_t open_recip_row[] = {1, 0xE4, 0x04, 0, 0, 3, 0, 0xA, 0xB, 0xC};
/* ReadRecipientRow: RowId then the same. */
static const uint8_t read_recip_rows[] = {7,   0, 0, 0, 1, 0xE4, 0x04, 0,    0, 2, 0, 0xA,
                                          0xB, 8, 0, 0, 0, 2,    0xE4, 0x04, 0, 0, 0, 0};
static const uint8_t bookmark[] = {9, 8, 7, 6, 5};
static const uint8_t data7[] = {'a', 'b', 'c', 'd', 'e', 'f', 'g'};
/* RestrictionData: an Exist restriction (RestrictType 0x08, PropTag). */
static const uint8_t exist_res[] = {0x08, 0x1F, 0x00, 0x37, 0x00};
static const uint8_t fids2[16] = {1, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t u32x3[12] = {1, 0, 0, 0, 2, 0, 0, 0, 3};
static const uint8_t addr_types[] = "SMTP\0EX"; /* 8 bytes, two strings */
/* PropertyNames: Kind 0 (LID), Kind 1 (NameSize 4, Name), Kind 0xFF. */
static const uint8_t names3[] = {
    0x00, 1,    2, 3,    4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x10, 0x85, 0,
    0,    0x01, 1, 2,    3, 4, 5, 6, 7, 8, 9,  10, 11, 12, 13, 14, 15, 16,   4,    'a',
    0,    0,    0, 0xFF, 1, 2, 3, 4, 5, 6, 7,  8,  9,  10, 11, 12, 13, 14,   15,   16,
};
static const uint8_t prop_ids3[] = {0x01, 0x80, 0x02, 0x80, 0x03, 0x80};
/* A RopGetReceiveFolderTable row: StandardPropertyRow, PidTagFolderId,
 * PidTagMessageClass "IPM", PidTagLastModificationTime. */
static const uint8_t rf_row[] = {0,   1, 0, 0, 0, 0, 0, 0, 0, 'I', 'P',
                                 'M', 0, 1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t global_count[6] = {1, 2, 3, 4, 5, 6};
static const uint8_t transfer_buf[] = {0x03, 0x00, 0x01, 0x40};
static const uint8_t help_file[] = {'h', 'l', 'p'};
static const uint8_t options_info[] = {1, 2};
static const uint8_t server_name[] = "mbx01.example.com";

typedef struct {
    const char *what;
    item_t items[17];
} layout_t;

/* Responses that need nothing but their own bytes, success and failure. */
/* clang-format off */
static const layout_t layouts[] = {
    { "RopOpenFolder ghosted", { I1(ROP_ID, 0x02), OUT(1), RV_OK, I1(HAS_RULES, 1),
        I1(IS_GHOSTED, 1), I2(SERVER_COUNT, 2), I2(CHEAP_SERVER_COUNT, 1),
        B(SERVERS, servers2, 2), END } },
    { "RopOpenFolder", { I1(ROP_ID, 0x02), OUT(1), RV_OK, I1(HAS_RULES, 0), I1(IS_GHOSTED, 0),
        END } },
    { "RopOpenMessage", { I1(ROP_ID, 0x03), OUT(2), RV_OK, I1(HAS_NAMED_PROPERTIES, 1),
        B(SUBJECT_PREFIX, typed_unicode, 4), B(NORMALIZED_SUBJECT, typed_string8, 2),
        I2(RECIPIENT_COUNT, 1), I2(COLUMN_COUNT, 1), B(RECIPIENT_COLUMNS, recip_cols, 1),
        I1(ROW_COUNT, 1), B(RECIPIENT_ROWS, open_recip_row, 1), END } },
    { "RopGetHierarchyTable", { I1(ROP_ID, 0x04), OUT(3), RV_OK, I4(ROW_COUNT, 12), END } },
    { "RopGetContentsTable", { I1(ROP_ID, 0x05), OUT(3), RV_OK, I4(ROW_COUNT, 99), END } },
    { "RopCreateMessage", { I1(ROP_ID, 0x06), OUT(4), RV_OK, I1(HAS_MESSAGE_ID, 1),
        I8(MESSAGE_ID, 0x1122334455667788ull), END } },
    { "RopCreateMessage no id", { I1(ROP_ID, 0x06), OUT(4), RV_OK, I1(HAS_MESSAGE_ID, 0),
        END } },
    { "RopGetPropertiesAll", { I1(ROP_ID, 0x08), IN(0), RV_OK, I2(PROPERTY_VALUE_COUNT, 2),
        B(PROPERTY_VALUES, tagged2, 2), END } },
    { "RopGetPropertiesList", { I1(ROP_ID, 0x09), IN(0), RV_OK, I2(PROPERTY_TAG_COUNT, 3),
        B(PROPERTY_TAGS, tags3, 3), END } },
    { "RopSetProperties", { I1(ROP_ID, 0x0A), IN(0), RV_OK, I2(PROPERTY_PROBLEM_COUNT, 1),
        B(PROPERTY_PROBLEMS, problem1, 1), END } },
    { "RopDeleteProperties", { I1(ROP_ID, 0x0B), IN(0), RV_OK, I2(PROPERTY_PROBLEM_COUNT, 0),
        { NEWMAIL_RS_PROPERTY_PROBLEMS, 0, 0, "", 0, 0 }, END } },
    { "RopSaveChangesMessage", { I1(ROP_ID, 0x0C), I1(RESPONSE_HANDLE_INDEX, 2), RV_OK,
        IN(1), I8(MESSAGE_ID, 77), END } },
    { "RopRemoveAllRecipients", { I1(ROP_ID, 0x0D), IN(1), RV_OK, END } },
    { "RopModifyRecipients", { I1(ROP_ID, 0x0E), IN(1), RV_OK, END } },
    { "RopReadRecipients", { I1(ROP_ID, 0x0F), IN(1), RV_OK, I1(ROW_COUNT, 2),
        B(RECIPIENT_ROWS, read_recip_rows, 2), END } },
    { "RopReloadCachedInformation", { I1(ROP_ID, 0x10), IN(1), RV_OK,
        I1(HAS_NAMED_PROPERTIES, 0), B(SUBJECT_PREFIX, typed_none, 0),
        B(NORMALIZED_SUBJECT, typed_none, 0), I2(RECIPIENT_COUNT, 0), I2(COLUMN_COUNT, 0),
        { NEWMAIL_RS_RECIPIENT_COLUMNS, 0, 0, "", 0, 0 }, I1(ROW_COUNT, 0),
        { NEWMAIL_RS_RECIPIENT_ROWS, 0, 0, "", 0, 0 }, END } },
    { "RopSetMessageReadFlag changed", { I1(ROP_ID, 0x11), I1(RESPONSE_HANDLE_INDEX, 1), RV_OK,
        I1(READ_STATUS_CHANGED, 1), I1(LOGON_ID, 0), B(CLIENT_DATA, client_data, 24), END } },
    { "RopSetMessageReadFlag", { I1(ROP_ID, 0x11), I1(RESPONSE_HANDLE_INDEX, 1), RV_OK,
        I1(READ_STATUS_CHANGED, 0), END } },
    { "RopSetColumns", { I1(ROP_ID, 0x12), IN(3), RV_OK, I1(TABLE_STATUS, 0), END } },
    { "RopSortTable", { I1(ROP_ID, 0x13), IN(3), RV_OK, I1(TABLE_STATUS, 9), END } },
    { "RopRestrict", { I1(ROP_ID, 0x14), IN(3), RV_OK, I1(TABLE_STATUS, 0), END } },
    { "RopQueryRows no rows", { I1(ROP_ID, 0x15), IN(3), RV_OK, I1(ORIGIN, 2), I2(ROW_COUNT, 0),
        END } },
    { "RopGetStatus", { I1(ROP_ID, 0x16), IN(3), RV_OK, I1(TABLE_STATUS, 0), END } },
    { "RopQueryPosition", { I1(ROP_ID, 0x17), IN(3), RV_OK, I4(NUMERATOR, 4),
        I4(DENOMINATOR, 10), END } },
    { "RopSeekRow", { I1(ROP_ID, 0x18), IN(3), RV_OK, I1(HAS_SOUGHT_LESS, 1),
        I4(ROWS_SOUGHT, 0xFFFFFFFE), END } },
    { "RopSeekRowBookmark", { I1(ROP_ID, 0x19), IN(3), RV_OK, I1(ROW_NO_LONGER_VISIBLE, 0),
        I1(HAS_SOUGHT_LESS, 0), I4(ROWS_SOUGHT, 5), END } },
    { "RopSeekRowFractional", { I1(ROP_ID, 0x1A), IN(3), RV_OK, END } },
    { "RopCreateBookmark", { I1(ROP_ID, 0x1B), IN(3), RV_OK, I2(BOOKMARK_SIZE, 5),
        B(BOOKMARK, bookmark, 5), END } },
    { "RopCreateFolder existing ghosted", { I1(ROP_ID, 0x1C), OUT(2), RV_OK, I8(FOLDER_ID, 5),
        I1(IS_EXISTING_FOLDER, 1), I1(HAS_RULES, 0), I1(IS_GHOSTED, 1), I2(SERVER_COUNT, 2),
        I2(CHEAP_SERVER_COUNT, 2), B(SERVERS, servers2, 2), END } },
    { "RopCreateFolder new", { I1(ROP_ID, 0x1C), OUT(2), RV_OK, I8(FOLDER_ID, 5),
        I1(IS_EXISTING_FOLDER, 0), END } },
    { "RopDeleteFolder", { I1(ROP_ID, 0x1D), IN(1), RV_OK, I1(PARTIAL_COMPLETION, 0), END } },
    { "RopDeleteFolder failure", { I1(ROP_ID, 0x1D), IN(1), I4(RETURN_VALUE, 0x80004005),
        I1(PARTIAL_COMPLETION, 1), END } },
    { "RopDeleteMessages failure", { I1(ROP_ID, 0x1E), IN(1), I4(RETURN_VALUE, 0x80004005),
        I1(PARTIAL_COMPLETION, 1), END } },
    { "RopGetMessageStatus", { I1(ROP_ID, 0x1F), IN(1), RV_OK, I4(MESSAGE_STATUS_FLAGS, 0x1000),
        END } },
    { "RopSetMessageStatus", { I1(ROP_ID, 0x20), IN(1), RV_OK, I4(MESSAGE_STATUS_FLAGS, 0x2000),
        END } },
    { "RopGetAttachmentTable", { I1(ROP_ID, 0x21), OUT(2), RV_OK, END } },
    { "RopOpenAttachment", { I1(ROP_ID, 0x22), OUT(2), RV_OK, END } },
    { "RopCreateAttachment", { I1(ROP_ID, 0x23), OUT(2), RV_OK, I4(ATTACHMENT_ID, 3), END } },
    { "RopDeleteAttachment", { I1(ROP_ID, 0x24), IN(1), RV_OK, END } },
    { "RopSaveChangesAttachment", { I1(ROP_ID, 0x25), I1(RESPONSE_HANDLE_INDEX, 1), RV_OK,
        END } },
    { "RopSetReceiveFolder", { I1(ROP_ID, 0x26), IN(0), RV_OK, END } },
    { "RopGetReceiveFolder", { I1(ROP_ID, 0x27), IN(0), RV_OK, I8(FOLDER_ID, 0x0100000000000001ull),
        STR(EXPLICIT_MESSAGE_CLASS, "IPM.Note"), END } },
    { "RopRegisterNotification", { I1(ROP_ID, 0x29), OUT(5), RV_OK, END } },
    { "RopOpenStream", { I1(ROP_ID, 0x2B), OUT(2), RV_OK, I4(STREAM_SIZE, 4096), END } },
    { "RopReadStream", { I1(ROP_ID, 0x2C), IN(2), RV_OK, I2(DATA_SIZE, 7), B(DATA, data7, 7),
        END } },
    { "RopReadStream failure", { I1(ROP_ID, 0x2C), IN(2), I4(RETURN_VALUE, 0x80030005),
        I2(DATA_SIZE, 7), B(DATA, data7, 7), END } },
    { "RopWriteStream failure", { I1(ROP_ID, 0x2D), IN(2), I4(RETURN_VALUE, 0x80030005),
        I2(WRITTEN_SIZE, 3), END } },
    { "RopSeekStream", { I1(ROP_ID, 0x2E), IN(2), RV_OK, I8(NEW_POSITION, 123), END } },
    { "RopSetStreamSize", { I1(ROP_ID, 0x2F), IN(2), RV_OK, END } },
    { "RopSetSearchCriteria", { I1(ROP_ID, 0x30), IN(1), RV_OK, END } },
    { "RopGetSearchCriteria", { I1(ROP_ID, 0x31), IN(1), RV_OK, I2(RESTRICTION_DATA_SIZE, 5),
        B(RESTRICTION_DATA, exist_res, 5), I1(LOGON_ID, 0), I2(FOLDER_ID_COUNT, 2),
        B(FOLDER_IDS, fids2, 2), I4(SEARCH_FLAGS, 0x1000), END } },
    { "RopSubmitMessage", { I1(ROP_ID, 0x32), IN(1), RV_OK, END } },
    { "RopMoveCopyMessages", { I1(ROP_ID, 0x33), I1(SOURCE_HANDLE_INDEX, 1), RV_OK,
        I1(PARTIAL_COMPLETION, 0), END } },
    { "RopMoveCopyMessages null destination", { I1(ROP_ID, 0x33), I1(SOURCE_HANDLE_INDEX, 1),
        I4(RETURN_VALUE, 0x503), I4(DEST_HANDLE_INDEX, 2), I1(PARTIAL_COMPLETION, 0), END } },
    { "RopMoveCopyMessages failure", { I1(ROP_ID, 0x33), I1(SOURCE_HANDLE_INDEX, 1),
        I4(RETURN_VALUE, 0x80004005), I1(PARTIAL_COMPLETION, 1), END } },
    { "RopAbortSubmit", { I1(ROP_ID, 0x34), IN(1), RV_OK, END } },
    { "RopMoveFolder null destination", { I1(ROP_ID, 0x35), I1(SOURCE_HANDLE_INDEX, 1),
        I4(RETURN_VALUE, 0x503), I4(DEST_HANDLE_INDEX, 2), I1(PARTIAL_COMPLETION, 0), END } },
    { "RopCopyFolder", { I1(ROP_ID, 0x36), I1(SOURCE_HANDLE_INDEX, 1), RV_OK,
        I1(PARTIAL_COMPLETION, 1), END } },
    { "RopQueryColumnsAll", { I1(ROP_ID, 0x37), IN(3), RV_OK, I2(PROPERTY_TAG_COUNT, 3),
        B(PROPERTY_TAGS, tags3, 3), END } },
    { "RopAbort", { I1(ROP_ID, 0x38), IN(3), RV_OK, I1(TABLE_STATUS, 0), END } },
    { "RopCopyTo", { I1(ROP_ID, 0x39), I1(SOURCE_HANDLE_INDEX, 1), RV_OK,
        I2(PROPERTY_PROBLEM_COUNT, 1), B(PROPERTY_PROBLEMS, problem1, 1), END } },
    { "RopCopyTo null destination", { I1(ROP_ID, 0x39), I1(SOURCE_HANDLE_INDEX, 1),
        I4(RETURN_VALUE, 0x503), I4(DEST_HANDLE_INDEX, 2), END } },
    { "RopCopyTo failure", { I1(ROP_ID, 0x39), I1(SOURCE_HANDLE_INDEX, 1),
        I4(RETURN_VALUE, 0x80004005), END } },
    { "RopCopyToStream", { I1(ROP_ID, 0x3A), I1(SOURCE_HANDLE_INDEX, 1), RV_OK,
        I8(READ_BYTE_COUNT, 10), I8(WRITTEN_BYTE_COUNT, 10), END } },
    { "RopCopyToStream null destination", { I1(ROP_ID, 0x3A), I1(SOURCE_HANDLE_INDEX, 1),
        I4(RETURN_VALUE, 0x503), I4(DEST_HANDLE_INDEX, 2), I8(READ_BYTE_COUNT, 0),
        I8(WRITTEN_BYTE_COUNT, 0), END } },
    { "RopCloneStream", { I1(ROP_ID, 0x3B), OUT(2), RV_OK, END } },
    { "RopGetPermissionsTable", { I1(ROP_ID, 0x3E), OUT(2), RV_OK, END } },
    { "RopGetRulesTable", { I1(ROP_ID, 0x3F), OUT(2), RV_OK, END } },
    { "RopModifyPermissions", { I1(ROP_ID, 0x40), IN(1), RV_OK, END } },
    { "RopModifyRules", { I1(ROP_ID, 0x41), IN(1), RV_OK, END } },
    { "RopGetOwningServers", { I1(ROP_ID, 0x42), IN(0), RV_OK, I2(OWNING_SERVERS_COUNT, 2),
        I2(CHEAP_SERVERS_COUNT, 1), B(OWNING_SERVERS, servers2, 2), END } },
    { "RopLongTermIdFromId", { I1(ROP_ID, 0x43), IN(0), RV_OK, B(LONG_TERM_ID, ltid, 0), END } },
    { "RopIdFromLongTermId", { I1(ROP_ID, 0x44), IN(0), RV_OK, I8(OBJECT_ID, 42), END } },
    { "RopPublicFolderIsGhosted", { I1(ROP_ID, 0x45), IN(0), RV_OK, I1(IS_GHOSTED, 1),
        I2(SERVERS_COUNT, 2), I2(CHEAP_SERVERS_COUNT, 2), B(SERVERS, servers2, 2), END } },
    { "RopOpenEmbeddedMessage", { I1(ROP_ID, 0x46), OUT(3), RV_OK, I1(RESERVED, 0),
        I8(MESSAGE_ID, 9), I1(HAS_NAMED_PROPERTIES, 0), B(SUBJECT_PREFIX, typed_none, 0),
        B(NORMALIZED_SUBJECT, typed_string8, 2), I2(RECIPIENT_COUNT, 1), I2(COLUMN_COUNT, 1),
        B(RECIPIENT_COLUMNS, recip_cols, 1), I1(ROW_COUNT, 1),
        B(RECIPIENT_ROWS, open_recip_row, 1), END } },
    { "RopSetSpooler", { I1(ROP_ID, 0x47), IN(0), RV_OK, END } },
    { "RopSpoolerLockMessage", { I1(ROP_ID, 0x48), IN(0), RV_OK, END } },
    { "RopGetAddressTypes", { I1(ROP_ID, 0x49), IN(0), RV_OK, I2(ADDRESS_TYPE_COUNT, 2),
        I2(ADDRESS_TYPE_SIZE, 8), B(ADDRESS_TYPES, addr_types, 2), END } },
    { "RopTransportSend", { I1(ROP_ID, 0x4A), IN(1), RV_OK, I1(NO_PROPERTIES_RETURNED, 0),
        I2(PROPERTY_VALUE_COUNT, 2), B(PROPERTY_VALUES, tagged2, 2), END } },
    { "RopFastTransferSourceCopyMessages", { I1(ROP_ID, 0x4B), OUT(2), RV_OK, END } },
    { "RopFastTransferSourceCopyFolder", { I1(ROP_ID, 0x4C), OUT(2), RV_OK, END } },
    { "RopFastTransferSourceCopyTo", { I1(ROP_ID, 0x4D), OUT(2), RV_OK, END } },
    { "RopFastTransferSourceGetBuffer", { I1(ROP_ID, 0x4E), IN(2), RV_OK, I2(TRANSFER_STATUS, 3),
        I2(IN_PROGRESS_COUNT, 1), I2(TOTAL_STEP_COUNT, 1), I1(RESERVED, 0),
        I2(TRANSFER_BUFFER_SIZE, 4), B(TRANSFER_BUFFER, transfer_buf, 4), END } },
    { "RopFastTransferSourceGetBuffer busy", { I1(ROP_ID, 0x4E), IN(2), I4(RETURN_VALUE, 0x480),
        I4(BACKOFF_TIME, 1000), END } },
    { "RopFastTransferSourceGetBuffer failure", { I1(ROP_ID, 0x4E), IN(2),
        I4(RETURN_VALUE, 0x80004005), I2(TRANSFER_STATUS, 0), I2(IN_PROGRESS_COUNT, 0),
        I2(TOTAL_STEP_COUNT, 0), I1(RESERVED, 0), I2(TRANSFER_BUFFER_SIZE, 0),
        { NEWMAIL_RS_TRANSFER_BUFFER, 0, 0, "", 0, 0 }, END } },
    { "RopFindRow no row", { I1(ROP_ID, 0x4F), IN(3), RV_OK, I1(ROW_NO_LONGER_VISIBLE, 0),
        I1(HAS_ROW_DATA, 0), END } },
    { "RopProgress", { I1(ROP_ID, 0x50), IN(1), RV_OK, I1(LOGON_ID, 0),
        I4(COMPLETED_TASK_COUNT, 0x1D), I4(TOTAL_TASK_COUNT, 0x2D9), END } },
    { "RopTransportNewMail", { I1(ROP_ID, 0x51), IN(0), RV_OK, END } },
    { "RopGetValidAttachments", { I1(ROP_ID, 0x52), IN(1), RV_OK, I2(ATTACHMENT_ID_COUNT, 3),
        B(ATTACHMENT_ID_ARRAY, u32x3, 3), END } },
    { "RopFastTransferDestinationConfigure", { I1(ROP_ID, 0x53), OUT(2), RV_OK, END } },
    { "RopFastTransferDestinationPutBuffer failure", { I1(ROP_ID, 0x54), IN(2),
        I4(RETURN_VALUE, 0x80004005), I2(TRANSFER_STATUS, 0), I2(IN_PROGRESS_COUNT, 1),
        I2(TOTAL_STEP_COUNT, 2), I1(RESERVED, 0), I2(BUFFER_USED_SIZE, 10), END } },
    { "RopGetNamesFromPropertyIds", { I1(ROP_ID, 0x55), IN(0), RV_OK, I2(PROPERTY_NAME_COUNT, 3),
        B(PROPERTY_NAMES, names3, 3), END } },
    { "RopGetPropertyIdsFromNames", { I1(ROP_ID, 0x56), IN(0), RV_OK, I2(PROPERTY_ID_COUNT, 3),
        B(PROPERTY_IDS, prop_ids3, 3), END } },
    { "RopUpdateDeferredActionMessages", { I1(ROP_ID, 0x57), IN(0), RV_OK, END } },
    { "RopEmptyFolder", { I1(ROP_ID, 0x58), IN(1), RV_OK, I1(PARTIAL_COMPLETION, 0), END } },
    { "RopExpandRow no rows", { I1(ROP_ID, 0x59), IN(3), RV_OK, I4(EXPANDED_ROW_COUNT, 0),
        I2(ROW_COUNT, 0), END } },
    { "RopCollapseRow", { I1(ROP_ID, 0x5A), IN(3), RV_OK, I4(COLLAPSED_ROW_COUNT, 4), END } },
    { "RopLockRegionStream", { I1(ROP_ID, 0x5B), IN(2), RV_OK, END } },
    { "RopUnlockRegionStream", { I1(ROP_ID, 0x5C), IN(2), RV_OK, END } },
    { "RopCommitStream", { I1(ROP_ID, 0x5D), IN(2), RV_OK, END } },
    { "RopGetStreamSize", { I1(ROP_ID, 0x5E), IN(2), RV_OK, I4(STREAM_SIZE, 77), END } },
    { "RopQueryNamedProperties", { I1(ROP_ID, 0x5F), IN(0), RV_OK, I2(ID_COUNT, 3),
        B(PROPERTY_IDS, prop_ids3, 3), B(PROPERTY_NAMES, names3, 3), END } },
    { "RopGetPerUserLongTermIds", { I1(ROP_ID, 0x60), IN(0), RV_OK, I2(LONG_TERM_ID_COUNT, 2),
        B(LONG_TERM_IDS, two_ltids, 2), END } },
    { "RopGetPerUserGuid", { I1(ROP_ID, 0x61), IN(0), RV_OK, B(DATABASE_GUID, guid, 0), END } },
    { "RopReadPerUserInformation", { I1(ROP_ID, 0x63), IN(0), RV_OK, I1(HAS_FINISHED, 1),
        I2(DATA_SIZE, 7), B(DATA, data7, 7), END } },
    { "RopWritePerUserInformation", { I1(ROP_ID, 0x64), IN(0), RV_OK, END } },
    { "RopSetReadFlags", { I1(ROP_ID, 0x66), IN(1), RV_OK, I1(PARTIAL_COMPLETION, 0), END } },
    { "RopCopyProperties null destination", { I1(ROP_ID, 0x67), I1(SOURCE_HANDLE_INDEX, 1),
        I4(RETURN_VALUE, 0x503), I4(DEST_HANDLE_INDEX, 3), END } },
    { "RopCopyProperties", { I1(ROP_ID, 0x67), I1(SOURCE_HANDLE_INDEX, 1), RV_OK,
        I2(PROPERTY_PROBLEM_COUNT, 1), B(PROPERTY_PROBLEMS, problem1, 1), END } },
    { "RopGetReceiveFolderTable", { I1(ROP_ID, 0x68), IN(0), RV_OK, I4(ROW_COUNT, 1),
        B(ROWS, rf_row, 1), END } },
    { "RopFastTransferSourceCopyProperties", { I1(ROP_ID, 0x69), OUT(2), RV_OK, END } },
    { "RopGetCollapseState", { I1(ROP_ID, 0x6B), IN(3), RV_OK, I2(COLLAPSE_STATE_SIZE, 5),
        B(COLLAPSE_STATE, bookmark, 5), END } },
    { "RopSetCollapseState", { I1(ROP_ID, 0x6C), IN(3), RV_OK, I2(BOOKMARK_SIZE, 5),
        B(BOOKMARK, bookmark, 5), END } },
    { "RopGetTransportFolder", { I1(ROP_ID, 0x6D), IN(0), RV_OK, I8(FOLDER_ID, 8), END } },
    { "RopOptionsData", { I1(ROP_ID, 0x6F), IN(0), RV_OK, I1(RESERVED, 1),
        I2(OPTIONS_INFO_SIZE, 2), B(OPTIONS_INFO, options_info, 2), I2(HELP_FILE_SIZE, 3),
        B(HELP_FILE, help_file, 3), STR(HELP_FILE_NAME, "help.hlp"), END } },
    { "RopOptionsData no help", { I1(ROP_ID, 0x6F), IN(0), RV_OK, I1(RESERVED, 1),
        I2(OPTIONS_INFO_SIZE, 2), B(OPTIONS_INFO, options_info, 2), I2(HELP_FILE_SIZE, 0),
        { NEWMAIL_RS_HELP_FILE, 0, 0, "", 0, 0 }, END } },
    { "RopSynchronizationConfigure", { I1(ROP_ID, 0x70), OUT(2), RV_OK, END } },
    { "RopSynchronizationImportMessageChange", { I1(ROP_ID, 0x72), OUT(3), RV_OK,
        I8(MESSAGE_ID, 0), END } },
    { "RopSynchronizationImportHierarchyChange", { I1(ROP_ID, 0x73), IN(2), RV_OK,
        I8(FOLDER_ID, 0), END } },
    { "RopSynchronizationImportDeletes", { I1(ROP_ID, 0x74), IN(2), RV_OK, END } },
    { "RopSynchronizationUploadStateStreamBegin", { I1(ROP_ID, 0x75), IN(2), RV_OK, END } },
    { "RopSynchronizationUploadStateStreamContinue", { I1(ROP_ID, 0x76), IN(2), RV_OK, END } },
    { "RopSynchronizationUploadStateStreamEnd", { I1(ROP_ID, 0x77), IN(2), RV_OK, END } },
    { "RopSynchronizationImportMessageMove", { I1(ROP_ID, 0x78), IN(2), RV_OK,
        I8(MESSAGE_ID, 0), END } },
    { "RopSetPropertiesNoReplicate", { I1(ROP_ID, 0x79), IN(0), RV_OK,
        I2(PROPERTY_PROBLEM_COUNT, 1), B(PROPERTY_PROBLEMS, problem1, 1), END } },
    { "RopDeletePropertiesNoReplicate", { I1(ROP_ID, 0x7A), IN(0), RV_OK,
        I2(PROPERTY_PROBLEM_COUNT, 1), B(PROPERTY_PROBLEMS, problem1, 1), END } },
    { "RopGetStoreState", { I1(ROP_ID, 0x7B), IN(0), RV_OK, I4(STORE_STATE, 0x01000000), END } },
    { "RopSynchronizationOpenCollector", { I1(ROP_ID, 0x7E), OUT(2), RV_OK, END } },
    { "RopGetLocalReplicaIds", { I1(ROP_ID, 0x7F), IN(0), RV_OK, B(REPL_GUID, guid, 0),
        B(GLOBAL_COUNT, global_count, 6), END } },
    { "RopSynchronizationImportReadStateChanges", { I1(ROP_ID, 0x80), IN(2), RV_OK, END } },
    { "RopResetTable", { I1(ROP_ID, 0x81), IN(3), RV_OK, END } },
    { "RopSynchronizationGetTransferState", { I1(ROP_ID, 0x82), OUT(3), RV_OK, END } },
    { "RopTellVersion", { I1(ROP_ID, 0x86), IN(2), RV_OK, END } },
    { "RopFreeBookmark", { I1(ROP_ID, 0x89), IN(3), RV_OK, END } },
    { "RopWriteAndCommitStream", { I1(ROP_ID, 0x90), IN(2), RV_OK, I2(WRITTEN_SIZE, 9), END } },
    { "RopHardDeleteMessages", { I1(ROP_ID, 0x91), IN(1), RV_OK, I1(PARTIAL_COMPLETION, 0),
        END } },
    { "RopHardDeleteMessagesAndSubfolders failure", { I1(ROP_ID, 0x92), IN(1),
        I4(RETURN_VALUE, 0x80004005), I1(PARTIAL_COMPLETION, 1), END } },
    { "RopSetLocalReplicaMidsetDeleted", { I1(ROP_ID, 0x93), IN(2), RV_OK, END } },
    { "RopFastTransferDestinationPutBufferExtended", { I1(ROP_ID, 0x9D), IN(2), RV_OK,
        I2(TRANSFER_STATUS, 1), I4(IN_PROGRESS_COUNT, 0), I4(TOTAL_STEP_COUNT, 7),
        I1(RESERVED, 0), I2(BUFFER_USED_SIZE, 100), END } },
    { "RopWriteStreamExtended", { I1(ROP_ID, 0xA3), IN(2), RV_OK, I4(WRITTEN_SIZE, 70000),
        END } },
    { "RopLogon redirect", { I1(ROP_ID, 0xFE), OUT(0), I4(RETURN_VALUE, 0x478),
        I1(LOGON_FLAGS, 1), I1(SERVER_NAME_SIZE, sizeof(server_name)),
        B(SERVER_NAME, server_name, sizeof(server_name)), END } },
    { "RopLogon failure", { I1(ROP_ID, 0xFE), OUT(0), I4(RETURN_VALUE, 0x3EB), END } },
};
/* clang-format on */

/* A RopNotify NewMail (MS-OXCNOTIF 2.2.1.4.1.2) after each response. */
static size_t
put_new_mail(writer_t *w)
{
    size_t at = put8(w, 0x2A);

    put32(w, 0x1234);
    put8(w, 0);
    put16(w, 0x8002);
    put64(w, 1);
    put64(w, 2);
    put32(w, 0);
    put8(w, 0);
    put_bytes(w, "IPM.Note", 9);
    return at;
}

/* The context of the layouts: no request list, nothing known. */
static const newmail_rop_context_t bare_ctx = {0};

static void
check_fields(const newmail_rop_response_t *r, const item_t *items, const size_t *offsets, size_t n)
{
    CHECK_EQ(r->nfields, n);
    for (size_t i = 0; i < n && i < r->nfields; i++) {
        size_t want_len = items[i].flags & F_STR ? items[i].len - 1 : items[i].len;

        CHECK_EQ(r->rs[i].name, items[i].name);
        CHECK_SPAN(r->rs[i].span, offsets[i], want_len);
        CHECK_EQ(r->rs[i].value, items[i].want);
        if (!items[i].bytes)
            CHECK_EQ(r->rs[i].value, items[i].v);
    }
}

static void
test_layouts(void)
{
    for (size_t k = 0; k < COUNT_OF(layouts); k++) {
        const layout_t *L = &layouts[k];
        writer_t rops = {.len = 0}, buf = {.len = 0};
        size_t offsets[17], n, rop_end, notify_at;
        newmail_rop_walk_t walk;
        newmail_rop_response_t r;
        uint8_t *copy;

        WHERE("%s", L->what);
        n = put_items(&rops, L->items, offsets);
        rop_end = rops.len;
        notify_at = put_new_mail(&rops);
        put_rop_buffer(&buf, &rops, 4);
        for (size_t i = 0; i < n; i++)
            offsets[i] += 2;

        write_seed(L->what, NULL, 0, NULL, 0, &buf);
        copy = exact_copy(buf.b, buf.len);
        newmail_rop_walk_init_ctx(&walk, copy, buf.len, &bare_ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
        CHECK_EQ(r.rop_id, L->items[0].v);
        CHECK_SPAN(r.span, 2, rop_end);
        CHECK_EQ(r.failure, L->items[2].v != 0);
        CHECK_EQ(r.problems, 0);
        CHECK_EQ(r.request_index, NEWMAIL_ROP_NO_REQUEST);
        check_fields(&r, L->items, offsets, n);
        /* The old fixed fields the tree shows: ReturnValue and the handle index. */
        CHECK(newmail_rop_has(&r, NEWMAIL_RF_RETURN_VALUE));
        CHECK_EQ(r.value[NEWMAIL_RF_RETURN_VALUE], L->items[2].v);
        CHECK_EQ(r.value[NEWMAIL_RF_HANDLE_INDEX], L->items[1].v);
        /* The RopNotify after it is reached. */
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
        CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
        CHECK_EQ(r.span.offset, notify_at + 2);
        CHECK_EQ(r.notify.type, NEWMAIL_NOTIFY_NEW_MAIL);
        CHECK(!newmail_rop_next_response(&walk, &r));
        CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
        free(copy);

        /* Cut inside the response: truncated, never sized, never past the cut. */
        for (size_t cut = 0; cut < rop_end; cut++) {
            writer_t part = {.len = 0}, cb = {.len = 0};

            put_bytes(&part, rops.b, cut);
            put_rop_buffer(&cb, &part, 0);
            copy = exact_copy(cb.b, cb.len);
            newmail_rop_walk_init_ctx(&walk, copy, cb.len, &bare_ctx);
            if (cut == 0) {
                CHECK(!newmail_rop_next_response(&walk, &r));
                CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
            } else {
                CHECK(newmail_rop_next_response(&walk, &r));
                CHECK_EQ(r.status, NEWMAIL_ROP_TRUNCATED);
                CHECK(r.span.offset + r.span.length <= cb.len);
                CHECK_EQ(walk.status, NEWMAIL_ROPS_TRUNCATED);
            }
            free(copy);
        }
    }
    where[0] = 0;
}

/* Every RopId of MS-OXCROPS 2.2.2 that has a response: a failure whose
 * ReturnValue is an ordinary error is 6 bytes, except the ids whose failure
 * carries more (listed here from the failure response buffers of
 * MS-OXCROPS). */
static void
test_short_failures(void)
{
    static const uint8_t extra[] = {0x1D, 0x1E, 0x2C, 0x2D, 0x33, 0x35, 0x36, 0x3A, 0x4E,
                                    0x54, 0x58, 0x66, 0x90, 0x91, 0x92, 0x9D, 0xA3};
    unsigned tested = 0;

    for (unsigned id = 0; id < 256; id++) {
        writer_t rops = {.len = 0}, buf = {.len = 0};
        newmail_rop_walk_t walk;
        newmail_rop_response_t r;
        bool is_extra = memchr(extra, (int)id, sizeof(extra)) != NULL;

        if (newmail_rop_name((uint8_t)id) == NULL || id == 0x01 || id == 0x2A || id == 0x6E ||
            id == 0xF9 || id == 0xFF || is_extra)
            continue;
        WHERE("failure of %s", newmail_rop_name((uint8_t)id));
        put8(&rops, id);
        put8(&rops, 1);
        put32(&rops, 0x8004010F);
        put_new_mail(&rops);
        put_rop_buffer(&buf, &rops, 0);
        newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &bare_ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
        CHECK(r.failure);
        CHECK_SPAN(r.span, 2, 6);
        CHECK_EQ(r.nfields, 3);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
        CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
        tested++;
    }
    where[0] = 0;
    /* 0x03..0xA3 minus reserved and the 17 above, plus RopLogon. */
    CHECK(tested > 100);
}

/* ---- request lists ----------------------------------------------------------------------- */

typedef struct {
    writer_t in; /* the decoded ROP input buffer */
    newmail_rop_request_t rq[16];
    size_t n;
    bool complete;
} requests_t;

static void
read_requests(requests_t *q, const writer_t *rops, unsigned handles)
{
    newmail_rop_request_walk_t rw;

    put_rop_buffer(&q->in, rops, handles);
    newmail_rop_request_walk_init(&rw, q->in.b, q->in.len);
    q->n = 0;
    while (q->n < COUNT_OF(q->rq) && newmail_rop_request_next(&rw, &q->rq[q->n]))
        q->n++;
    q->complete = rw.status == NEWMAIL_RQW_COMPLETE;
}

static newmail_rop_context_t
ctx_of(const requests_t *q)
{
    newmail_rop_context_t c = {0};

    c.request_buf = q->in.b;
    c.request_len = q->in.len;
    c.requests = q->rq;
    c.request_count = q->n;
    c.requests_complete = q->complete;
    return c;
}

/* RopLogon request (MS-OXCROPS 2.2.3.1.1). */
static void
put_logon_request(writer_t *w, uint8_t logon_id, uint8_t out, uint8_t flags)
{
    static const char essdn[] = "/o=Example/ou=Exchange/cn=Recipients/cn=user";

    put8(w, 0xFE);
    put8(w, logon_id);
    put8(w, out);
    put8(w, flags);
    put32(w, 0x01000C0D); /* OpenFlags */
    put32(w, 0);          /* StoreState */
    put16(w, sizeof(essdn));
    put_bytes(w, essdn, sizeof(essdn));
}

/* RopSetColumns request (2.2.5.1.1): SetColumnsFlags, PropertyTagCount, tags. */
static void
put_set_columns_request(writer_t *w, uint8_t in, const uint32_t *tags, size_t n)
{
    put8(w, 0x12);
    put8(w, 0);
    put8(w, in);
    put8(w, 0);
    put16(w, n);
    for (size_t i = 0; i < n; i++)
        put32(w, tags[i]);
}

/* RopQueryRows request (2.2.5.4.1): QueryRowsFlags, ForwardRead, RowCount. */
static void
put_query_rows_request(writer_t *w, uint8_t in)
{
    put8(w, 0x15);
    put8(w, 0);
    put8(w, in);
    put8(w, 0);
    put8(w, 1);
    put16(w, 50);
}

/* RopGetContentsTable request (2.2.4.14.1): TableFlags. */
static void
put_contents_table_request(writer_t *w, uint8_t in, uint8_t out)
{
    put8(w, 0x05);
    put8(w, 0);
    put8(w, in);
    put8(w, out);
    put8(w, 0);
}

static void
put_release_request(writer_t *w, uint8_t in)
{
    put8(w, 0x01);
    put8(w, 0);
    put8(w, in);
}

static void
test_logon(void)
{
    for (int priv = 0; priv < 2; priv++) {
        writer_t rq = {.len = 0}, rops = {.len = 0}, buf = {.len = 0};
        requests_t q = {.n = 0};
        newmail_rop_context_t ctx;
        newmail_rop_walk_t walk;
        newmail_rop_response_t r;
        size_t start, end;

        WHERE("RopLogon %s", priv ? "private" : "public");
        put_logon_request(&rq, 0, 0, priv ? 0x01 : 0x00);
        read_requests(&q, &rq, 1);
        CHECK_EQ(q.n, 1);
        CHECK(q.complete);
        ctx = ctx_of(&q);

        /* Success response (2.2.3.1.2 private, 2.2.3.1.3 public). */
        start = put8(&rops, 0xFE);
        put8(&rops, 0);
        put32(&rops, 0);
        put8(&rops, priv ? 0x01 : 0x00);
        put_bytes(&rops, folder_ids, 104);
        if (priv) {
            put8(&rops, 0x07);          /* ResponseFlags */
            put_bytes(&rops, guid, 16); /* MailboxGuid */
            put16(&rops, 1);            /* ReplId */
            put_bytes(&rops, guid, 16); /* ReplGuid */
            put_bytes(&rops, logon_time, 8);
            put64(&rops, 0x01D0000000000000ull); /* GwartTime */
            put32(&rops, 0);                     /* StoreState */
        } else {
            put16(&rops, 1);
            put_bytes(&rops, guid, 16);
            put_bytes(&rops, guid, 16); /* PerUserGuid */
        }
        end = rops.len;
        put_new_mail(&rops);
        put_rop_buffer(&buf, &rops, 1);
        write_seed("logon", &q.in, 1, NULL, 0, &buf);

        newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
        CHECK_SPAN(r.span, start + 2, end - start);
        CHECK_EQ(r.span.length, priv ? 6 + 160 : 6 + 139);
        CHECK_EQ(r.request_index, 0);
        CHECK_EQ(r.problems, 0);
        CHECK_EQ(r.nfields, priv ? 12 : 8);
        CHECK_EQ(r.rs[r.nfields - 1].name,
                 priv ? NEWMAIL_RS_STORE_STATE : NEWMAIL_RS_PER_USER_GUID);
        CHECK(newmail_rop_response_find(&r, NEWMAIL_RS_FOLDER_IDS) != NULL &&
              newmail_rop_response_find(&r, NEWMAIL_RS_FOLDER_IDS)->value == 13);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
        CHECK(!newmail_rop_next_response(&walk, &r));
        CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);

        /* Without the request: a named stop after the prefix. */
        newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &bare_ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_NEEDS_REQUEST);
        CHECK_EQ(r.span.length, 6);
        CHECK(!newmail_rop_next_response(&walk, &r));
        CHECK_EQ(walk.status, NEWMAIL_ROPS_NEEDS_REQUEST);

        /* The walk without a context is unchanged: RopLogon stays unsized. */
        newmail_rop_walk_init(&walk, buf.b, buf.len);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
        CHECK_EQ(r.nfields, 0);
    }
    /* A response whose LogonFlags disagree with the request's is flagged. */
    {
        writer_t rq = {.len = 0}, rops = {.len = 0}, buf = {.len = 0};
        requests_t q = {.n = 0};
        newmail_rop_context_t ctx;
        newmail_rop_walk_t walk;
        newmail_rop_response_t r;

        WHERE("RopLogon flags differ");
        put_logon_request(&rq, 0, 0, 0x01);
        read_requests(&q, &rq, 1);
        ctx = ctx_of(&q);
        put8(&rops, 0xFE);
        put8(&rops, 0);
        put32(&rops, 0);
        put8(&rops, 0x00);
        for (int i = 0; i < 159; i++)
            put8(&rops, 0);
        put_rop_buffer(&buf, &rops, 1);
        newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
        CHECK(r.problems & NEWMAIL_ROP_PROBLEM_LOGON_FLAGS);
        CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
    }
    where[0] = 0;
}

/* RopGetPropertiesSpecific: RowData laid out by the request's tags, standard
 * and flagged rows, a PtypUnspecified column (TypedPropertyValue). */
static void
test_get_properties_specific(void)
{
    static const uint32_t tags[] = {0x0037001F, 0x0E070003, 0x00170000, 0x0E080003};

    for (int flagged = 0; flagged < 2; flagged++) {
        writer_t rq = {.len = 0}, rops = {.len = 0}, buf = {.len = 0};
        requests_t q = {.n = 0};
        newmail_rop_context_t ctx;
        newmail_rop_walk_t walk;
        newmail_rop_response_t r;
        size_t row_at, end;

        WHERE("RopGetPropertiesSpecific %s", flagged ? "flagged" : "standard");
        /* Request (2.2.8.3.1): PropertySizeLimit, WantUnicode, count, tags. */
        put8(&rq, 0x07);
        put8(&rq, 0);
        put8(&rq, 1);
        put16(&rq, 0);
        put16(&rq, 1);
        put16(&rq, COUNT_OF(tags));
        for (size_t i = 0; i < COUNT_OF(tags); i++)
            put32(&rq, tags[i]);
        read_requests(&q, &rq, 2);
        CHECK_EQ(q.n, 1);
        ctx = ctx_of(&q);

        put8(&rops, 0x07);
        put8(&rops, 1);
        put32(&rops, 0);
        row_at = put8(&rops, flagged);
        if (flagged)
            put8(&rops, 0x00);
        put_bytes(&rops, "S\0u\0b\0\0\0", 8); /* PtypString "Sub" */
        if (flagged)
            put8(&rops, 0x00);
        put32(&rops, 0x21); /* PidTagMessageFlags */
        if (flagged) {
            put16(&rops, 0x0003); /* FlaggedPropertyValueWithType (MS-OXCDATA 2.11.6): */
            put8(&rops, 0x00);    /* PropertyType, then Flag */
        } else {
            put16(&rops, 0x0003); /* TypedPropertyValue: type */
        }
        put32(&rops, 1); /* PidTagImportance */
        if (flagged) {
            put8(&rops, 0x0A); /* error */
            put32(&rops, 0x8004010F);
        } else {
            put32(&rops, 1234);
        }
        end = rops.len;
        put_new_mail(&rops);
        put_rop_buffer(&buf, &rops, 2);
        write_seed("getpropertiesspecific", &q.in, 1, NULL, 0, &buf);

        newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
        CHECK_EQ(r.problems, 0);
        CHECK_EQ(r.nfields, 4);
        CHECK_EQ(r.rs[3].name, NEWMAIL_RS_ROW_DATA);
        CHECK_EQ(r.rs[3].kind, NEWMAIL_RSK_PROPERTY_ROW);
        CHECK_SPAN(r.rs[3].span, row_at + 2, end - row_at);
        CHECK_EQ(r.rs[3].value, COUNT_OF(tags));
        CHECK(r.has_columns);
        CHECK_EQ(r.columns.count, COUNT_OF(tags));
        CHECK_EQ(newmail_rop_column_tag(&r.columns, 2), 0x00170000);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
        CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);

        newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &bare_ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_NEEDS_REQUEST);
        CHECK_EQ(walk.status, NEWMAIL_ROPS_NEEDS_REQUEST);
    }
    where[0] = 0;
}

/* ---- tables: RopQueryRows, RopFindRow, RopExpandRow ---------------------------------- */

static const uint32_t table_cols[] = {0x0037001F, 0x0E070003};

typedef struct {
    bool known;
    unsigned calls;
    uint8_t last_index;
    uint32_t last_handle;
} columns_cb_t;

static bool
cb_table_columns(void *p, uint8_t index, const uint32_t **tags, size_t *count)
{
    columns_cb_t *cb = p;

    cb->calls++;
    cb->last_index = index;
    if (!cb->known)
        return false;
    *tags = table_cols;
    *count = COUNT_OF(table_cols);
    return true;
}

static bool
cb_notify_columns(void *p, uint32_t handle, const uint32_t **tags, size_t *count)
{
    columns_cb_t *cb = p;

    cb->calls++;
    cb->last_handle = handle;
    if (!cb->known)
        return false;
    *tags = table_cols;
    *count = COUNT_OF(table_cols);
    return true;
}

/* Two standard rows in table_cols. */
static size_t
put_two_rows(writer_t *w)
{
    size_t at = put8(w, 0);

    put_bytes(w, "A\0\0\0", 4);
    put32(w, 1);
    put8(w, 0);
    put_bytes(w, "B\0\0\0", 4);
    put32(w, 0);
    return at;
}

/* RopQueryRows success response on handle index `in` with two rows. */
static void
put_query_rows_response(writer_t *w, uint8_t in, size_t *rows_at, size_t *rows_len)
{
    put8(w, 0x15);
    put8(w, in);
    put32(w, 0);
    put8(w, 1); /* Origin */
    put16(w, 2);
    *rows_at = put_two_rows(w);
    *rows_len = w->len - *rows_at;
}

static void
test_query_rows(void)
{
    writer_t rq, rops, buf = {.len = 0};
    requests_t q = {.n = 0};
    newmail_rop_context_t ctx;
    newmail_rop_walk_t walk;
    newmail_rop_response_t r;
    columns_cb_t cb;
    size_t rows_at, rows_len;

    /* 1. RopSetColumns in the same call: the columns come from its request;
     * the callback is not asked. */
    WHERE("QueryRows after SetColumns in the call");
    rq.len = rops.len = 0;
    put_set_columns_request(&rq, 2, table_cols, COUNT_OF(table_cols));
    put_query_rows_request(&rq, 2);
    read_requests(&q, &rq, 3);
    CHECK_EQ(q.n, 2);
    ctx = ctx_of(&q);
    memset(&cb, 0, sizeof(cb));
    ctx.table_columns = cb_table_columns;
    ctx.ctx = &cb;
    put8(&rops, 0x12);
    put8(&rops, 2);
    put32(&rops, 0);
    put8(&rops, 0);
    put_query_rows_response(&rops, 2, &rows_at, &rows_len);
    put_new_mail(&rops);
    put_rop_buffer(&buf, &rops, 3);
    write_seed("setcolumns queryrows", &q.in, 1, NULL, 0, &buf);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.rop_id, 0x12);
    CHECK_EQ(r.request_index, 0);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK_EQ(r.request_index, 1);
    CHECK(r.has_columns);
    CHECK(r.columns.le != NULL && r.columns.tags == NULL);
    CHECK_EQ(r.columns.count, 2);
    CHECK_EQ(newmail_rop_column_tag(&r.columns, 1), 0x0E070003);
    CHECK_EQ(r.rs[r.nfields - 1].name, NEWMAIL_RS_ROW_DATA);
    CHECK_EQ(r.rs[r.nfields - 1].kind, NEWMAIL_RSK_PROPERTY_ROWS);
    CHECK_EQ(r.rs[r.nfields - 1].value, 2);
    CHECK_SPAN(r.rs[r.nfields - 1].span, rows_at + 2, rows_len);
    CHECK_EQ(cb.calls, 0);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
    CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);

    /* 2. RopSetColumns in an earlier call: the callback gives the columns. */
    WHERE("QueryRows with columns from the session");
    rq.len = rops.len = 0;
    put_query_rows_request(&rq, 4);
    read_requests(&q, &rq, 5);
    ctx = ctx_of(&q);
    memset(&cb, 0, sizeof(cb));
    cb.known = true;
    ctx.table_columns = cb_table_columns;
    ctx.ctx = &cb;
    put_query_rows_response(&rops, 4, &rows_at, &rows_len);
    put_new_mail(&rops);
    put_rop_buffer(&buf, &rops, 5);
    write_seed("queryrows session columns", &q.in, 3, table_cols, COUNT_OF(table_cols), &buf);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK_EQ(cb.calls, 1);
    CHECK_EQ(cb.last_index, 4);
    CHECK(r.columns.tags == table_cols);
    CHECK_SPAN(r.rs[r.nfields - 1].span, rows_at + 2, rows_len);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
    CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);

    /* 3. Columns unknown (the RopSetColumns was before the capture). */
    WHERE("QueryRows with unknown columns");
    cb.known = false;
    cb.calls = 0;
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_NEEDS_COLUMNS);
    CHECK_EQ(cb.calls, 1);
    CHECK(!r.has_columns);
    CHECK(newmail_rop_response_find(&r, NEWMAIL_RS_ROW_COUNT) != NULL);
    CHECK(newmail_rop_response_find(&r, NEWMAIL_RS_ROW_DATA) == NULL);
    CHECK(!newmail_rop_next_response(&walk, &r));
    CHECK_EQ(walk.status, NEWMAIL_ROPS_NEEDS_COLUMNS);
    /* Without a callback at all: the same stop. */
    ctx.table_columns = NULL;
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_NEEDS_COLUMNS);

    /* 4. The table was made in this call (RopGetContentsTable on the same
     * index) with no RopSetColumns: the session's columns belong to the old
     * object, so they are not asked for. */
    WHERE("QueryRows on a table made in the call");
    rq.len = rops.len = 0;
    put_contents_table_request(&rq, 1, 4);
    put_query_rows_request(&rq, 4);
    read_requests(&q, &rq, 5);
    ctx = ctx_of(&q);
    memset(&cb, 0, sizeof(cb));
    cb.known = true;
    ctx.table_columns = cb_table_columns;
    ctx.ctx = &cb;
    put8(&rops, 0x05);
    put8(&rops, 4);
    put32(&rops, 0);
    put32(&rops, 2);
    put_query_rows_response(&rops, 4, &rows_at, &rows_len);
    put_rop_buffer(&buf, &rops, 5);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_NEEDS_COLUMNS);
    CHECK_EQ(cb.calls, 0);
    /* The same without requests: the responses show the new object. */
    ctx = bare_ctx;
    ctx.table_columns = cb_table_columns;
    ctx.ctx = &cb;
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_NEEDS_COLUMNS);
    CHECK_EQ(cb.calls, 0);

    /* 4b. Made, then RopSetColumns, then rows: the request's columns; a
     * RopSetColumns, then the index made again: unknown. */
    for (int remade = 0; remade < 2; remade++) {
        WHERE("QueryRows, table %s",
              remade ? "made again after SetColumns" : "made then SetColumns");
        rq.len = rops.len = 0;
        if (!remade)
            put_contents_table_request(&rq, 1, 4);
        put_set_columns_request(&rq, 4, table_cols, COUNT_OF(table_cols));
        if (remade)
            put_contents_table_request(&rq, 1, 4);
        put_query_rows_request(&rq, 4);
        read_requests(&q, &rq, 5);
        CHECK_EQ(q.n, 3);
        ctx = ctx_of(&q);
        memset(&cb, 0, sizeof(cb));
        cb.known = true;
        ctx.table_columns = cb_table_columns;
        ctx.ctx = &cb;
        if (!remade) {
            put8(&rops, 0x05);
            put8(&rops, 4);
            put32(&rops, 0);
            put32(&rops, 2);
        }
        put8(&rops, 0x12);
        put8(&rops, 4);
        put32(&rops, 0);
        put8(&rops, 0);
        if (remade) {
            put8(&rops, 0x05);
            put8(&rops, 4);
            put32(&rops, 0);
            put32(&rops, 2);
        }
        put_query_rows_response(&rops, 4, &rows_at, &rows_len);
        put_rop_buffer(&buf, &rops, 5);
        newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.rop_id, 0x15);
        CHECK_EQ(r.status, remade ? NEWMAIL_ROP_NEEDS_COLUMNS : NEWMAIL_ROP_SIZED);
        CHECK_EQ(cb.calls, 0);
        if (!remade)
            CHECK(r.has_columns && r.columns.le != NULL);
    }

    /* 5. No requests, a RopSetColumns response before: its tags are in the
     * request, which is missing. */
    WHERE("QueryRows after SetColumns without requests");
    ctx = bare_ctx;
    ctx.table_columns = cb_table_columns;
    ctx.ctx = &cb;
    rops.len = 0;
    put8(&rops, 0x12);
    put8(&rops, 2);
    put32(&rops, 0);
    put8(&rops, 0);
    put_query_rows_response(&rops, 2, &rows_at, &rows_len);
    put_rop_buffer(&buf, &rops, 3);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_NEEDS_REQUEST);
    CHECK_EQ(walk.status, NEWMAIL_ROPS_NEEDS_REQUEST);

    /* 6. RopFindRow and RopExpandRow with the callback's columns. */
    WHERE("FindRow and ExpandRow");
    rops.len = 0;
    put8(&rops, 0x4F);
    put8(&rops, 6);
    put32(&rops, 0);
    put8(&rops, 0); /* RowNoLongerVisible */
    put8(&rops, 1); /* HasRowData */
    put8(&rops, 0);
    put_bytes(&rops, "A\0\0\0", 4);
    put32(&rops, 1);
    put8(&rops, 0x59);
    put8(&rops, 6);
    put32(&rops, 0);
    put32(&rops, 2); /* ExpandedRowCount */
    put16(&rops, 2);
    put_two_rows(&rops);
    put_new_mail(&rops);
    put_rop_buffer(&buf, &rops, 7);
    write_seed("findrow expandrow", NULL, 2, table_cols, COUNT_OF(table_cols), &buf);
    ctx = bare_ctx;
    memset(&cb, 0, sizeof(cb));
    cb.known = true;
    ctx.table_columns = cb_table_columns;
    ctx.ctx = &cb;
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK_EQ(r.span.length, 6 + 2 + 1 + 4 + 4);
    CHECK_EQ(r.rs[r.nfields - 1].kind, NEWMAIL_RSK_PROPERTY_ROW);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK_EQ(r.rs[r.nfields - 1].value, 2);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
    CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
    CHECK_EQ(cb.calls, 2);

    /* 7. A row the columns do not fit (bad row flag): UNSIZED, PROPERTY. */
    WHERE("QueryRows with a bad row");
    rops.len = 0;
    put8(&rops, 0x15);
    put8(&rops, 6);
    put32(&rops, 0);
    put8(&rops, 0);
    put16(&rops, 1);
    put8(&rops, 7);
    put_bytes(&rops, "A\0\0\0\1\0\0\0", 8);
    put_rop_buffer(&buf, &rops, 7);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_PROPERTY);
    where[0] = 0;
}

/* ---- matching responses with requests --------------------------------------------------- */

static void
test_matching(void)
{
    writer_t rq = {.len = 0}, rops = {.len = 0}, buf = {.len = 0};
    requests_t q = {.n = 0};
    newmail_rop_context_t ctx;
    newmail_rop_walk_t walk;
    newmail_rop_response_t r;

    /* Release (no response) between two requests; Pending and Notify after. */
    WHERE("matching with RopRelease");
    put_release_request(&rq, 3);
    put_contents_table_request(&rq, 1, 4);
    put_release_request(&rq, 2);
    put_query_rows_request(&rq, 4);
    put_release_request(&rq, 4);
    read_requests(&q, &rq, 5);
    CHECK_EQ(q.n, 5);
    CHECK(q.complete);
    ctx = ctx_of(&q);
    put8(&rops, 0x05);
    put8(&rops, 4);
    put32(&rops, 0);
    put32(&rops, 0);
    put8(&rops, 0x15);
    put8(&rops, 4);
    put32(&rops, 0);
    put8(&rops, 0);
    put16(&rops, 0);
    put_new_mail(&rops);
    put8(&rops, 0x6E);
    put16(&rops, 1);
    put_rop_buffer(&buf, &rops, 5);
    write_seed("matching", &q.in, 1, NULL, 0, &buf);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.request_index, 1);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.request_index, 3);
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
    CHECK_EQ(r.request_index, NEWMAIL_ROP_NO_REQUEST);
    CHECK_EQ(r.rs[0].name, NEWMAIL_RS_ROP_ID);
    CHECK_EQ(r.rs[1].name, NEWMAIL_RS_NOTIFICATION_DATA);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.rop_id, NEWMAIL_ROP_PENDING);
    CHECK_EQ(r.rs[1].name, NEWMAIL_RS_SESSION_INDEX);
    CHECK_EQ(r.rs[1].value, 1);
    CHECK(!newmail_rop_next_response(&walk, &r));
    CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);

    /* A response with another RopId than its request: stop. */
    WHERE("mismatch");
    rops.len = 0;
    put8(&rops, 0x04);
    put8(&rops, 4);
    put32(&rops, 0);
    put32(&rops, 0);
    put_rop_buffer(&buf, &rops, 5);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_REQUEST_MISMATCH);
    CHECK_EQ(r.span.length, 1);
    CHECK_EQ(walk.status, NEWMAIL_ROPS_UNSIZED);

    /* A handle index other than the request's: flagged, read on. */
    WHERE("handle index differs");
    rops.len = 0;
    put8(&rops, 0x05);
    put8(&rops, 7);
    put32(&rops, 0);
    put32(&rops, 0);
    put_rop_buffer(&buf, &rops, 5);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_HANDLE_INDEX);

    /* More responses than a complete list has requests: stop, NO_REQUEST;
     * with an incomplete list: NEEDS_REQUEST. */
    WHERE("response past the requests");
    rops.len = 0;
    put8(&rops, 0x05);
    put8(&rops, 4);
    put32(&rops, 0);
    put32(&rops, 0);
    put8(&rops, 0x15);
    put8(&rops, 4);
    put32(&rops, 0);
    put8(&rops, 0);
    put16(&rops, 0);
    put8(&rops, 0x05);
    put8(&rops, 4);
    put32(&rops, 0x80004005);
    put_rop_buffer(&buf, &rops, 5);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_NO_REQUEST);
    ctx.requests_complete = false;
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_NEEDS_REQUEST);
    CHECK_EQ(walk.status, NEWMAIL_ROPS_NEEDS_REQUEST);

    /* RopBufferTooSmall in place of the responses that did not fit. */
    WHERE("RopBufferTooSmall");
    rops.len = 0;
    put8(&rops, 0x05);
    put8(&rops, 4);
    put32(&rops, 0);
    put32(&rops, 0);
    put8(&rops, 0xFF);
    put16(&rops, 0x4000);
    put_bytes(&rops, rq.b + 8, 7); /* the unprocessed requests */
    put_rop_buffer(&buf, &rops, 5);
    ctx.requests_complete = true;
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.rop_id, NEWMAIL_ROP_BUFFER_TOO_SMALL);
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
    where[0] = 0;
}

/* MS-OXCPRPT 4.5 "Asynchronous Progress", byte for byte: a RopEmptyFolder
 * request with WantAsynchronous answered by RopProgress. */
static void
test_spec_progress(void)
{
    static const uint8_t request[] = {0x58, 0x00, 0x00, 0x01, 0x00};
    static const uint8_t response[] = {0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1D,
                                       0x00, 0x00, 0x00, 0xD9, 0x02, 0x00, 0x00};
    writer_t rq = {.len = 0}, rops = {.len = 0}, buf = {.len = 0};
    requests_t q = {.n = 0};
    newmail_rop_context_t ctx;
    newmail_rop_walk_t walk;
    newmail_rop_response_t r;
    const newmail_rs_field_t *f;

    WHERE("MS-OXCPRPT 4.5");
    put_bytes(&rq, request, sizeof(request));
    read_requests(&q, &rq, 1);
    CHECK_EQ(q.n, 1);
    ctx = ctx_of(&q);
    put_bytes(&rops, response, sizeof(response));
    put_new_mail(&rops);
    put_rop_buffer(&buf, &rops, 1);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK_EQ(r.rop_id, 0x50);
    CHECK_EQ(r.request_index, 0);
    CHECK_SPAN(r.span, 2, sizeof(response));
    f = newmail_rop_response_find(&r, NEWMAIL_RS_COMPLETED_TASK_COUNT);
    CHECK(f != NULL && f->value == 29);
    f = newmail_rop_response_find(&r, NEWMAIL_RS_TOTAL_TASK_COUNT);
    CHECK(f != NULL && f->value == 729);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.rop_id, NEWMAIL_ROP_NOTIFY);
    CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
    /* Without WantAsynchronous, RopProgress does not answer RopEmptyFolder. */
    rq.b[3] = 0;
    read_requests(&q, &rq, 1);
    ctx = ctx_of(&q);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_REQUEST_MISMATCH);
    where[0] = 0;
}

/* A TableModified RopNotify (TABLE_ROW_ADDED) whose row is read with the
 * subscription's columns when known, sized only otherwise. */
static void
test_table_notify(void)
{
    writer_t rops = {.len = 0}, buf = {.len = 0};
    newmail_rop_context_t ctx = bare_ctx;
    newmail_rop_walk_t walk;
    newmail_rop_response_t r;
    columns_cb_t cb;

    put8(&rops, 0x2A);
    put32(&rops, 0xABCD);
    put8(&rops, 0);
    put16(&rops, NEWMAIL_NOTIFY_TABLE_MODIFIED);
    put16(&rops, NEWMAIL_TABLE_ROW_ADDED);
    put64(&rops, 1); /* TableRowFolderID */
    put64(&rops, 2); /* InsertAfterTableRowFolderID */
    put16(&rops, 9);
    put8(&rops, 0);
    put_bytes(&rops, "A\0\0\0", 4);
    put32(&rops, 1);
    put_rop_buffer(&buf, &rops, 0);
    write_seed("table notify", NULL, 4, table_cols, COUNT_OF(table_cols), &buf);
    for (int known = 0; known < 2; known++) {
        WHERE("TableModified, columns %s", known ? "known" : "unknown");
        memset(&cb, 0, sizeof(cb));
        cb.known = known;
        ctx.notify_columns = cb_notify_columns;
        ctx.ctx = &cb;
        newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
        CHECK_EQ(cb.last_handle, 0xABCD);
        CHECK_EQ(r.row_data_read, known);
        CHECK_EQ(r.has_columns, known);
        CHECK_EQ(r.problems, 0);
        CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
    }
    /* Columns that do not fill TableRowDataSize exactly. */
    WHERE("TableModified, row shorter than its size");
    buf.b[2 + 1 + 4 + 1 + 2 + 2 + 16] = 10; /* TableRowDataSize */
    {
        writer_t more = {.len = 0};

        put_bytes(&more, buf.b + 2, buf.len - 2);
        put8(&more, 0xEE);
        put_rop_buffer(&buf, &more, 0);
    }
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_SIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_SIZE);
    where[0] = 0;
}

/* Values the layout depends on that are outside their enumerations. */
static void
test_bad_values(void)
{
    writer_t rops = {.len = 0}, buf = {.len = 0};
    newmail_rop_walk_t walk;
    newmail_rop_response_t r;

    WHERE("TypedString type 5");
    put8(&rops, 0x03);
    put8(&rops, 1);
    put32(&rops, 0);
    put8(&rops, 0);
    put8(&rops, 5);
    put_bytes(&rops, "xxxxxxxx", 8);
    put_rop_buffer(&buf, &rops, 0);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &bare_ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_VALUE);

    WHERE("PropertyName kind 2");
    rops.len = 0;
    put8(&rops, 0x55);
    put8(&rops, 0);
    put32(&rops, 0);
    put16(&rops, 1);
    put8(&rops, 2);
    put_bytes(&rops, guid, 16);
    put_rop_buffer(&buf, &rops, 0);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &bare_ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_VALUE);

    WHERE("TaggedPropertyValue of an unknown type");
    rops.len = 0;
    put8(&rops, 0x08);
    put8(&rops, 0);
    put32(&rops, 0);
    put16(&rops, 1);
    put32(&rops, 0x00370099);
    put32(&rops, 0);
    put_rop_buffer(&buf, &rops, 0);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &bare_ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_PROPERTY);

    WHERE("RopRelease and a reserved id");
    rops.len = 0;
    put8(&rops, 0x01);
    put_rop_buffer(&buf, &rops, 0);
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &bare_ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_NO_RESPONSE);
    buf.b[2] = 0x28;
    newmail_rop_walk_init_ctx(&walk, buf.b, buf.len, &bare_ctx);
    CHECK(newmail_rop_next_response(&walk, &r));
    CHECK_EQ(r.status, NEWMAIL_ROP_UNSIZED);
    CHECK(r.problems & NEWMAIL_ROP_PROBLEM_UNKNOWN_ID);
    where[0] = 0;
}

static void
test_names(void)
{
    CHECK(strcmp(newmail_rs_field_name(NEWMAIL_RS_RETURN_VALUE), "ReturnValue") == 0);
    CHECK(strcmp(newmail_rs_field_name(NEWMAIL_RS_NOTIFICATION_DATA), "NotificationData") == 0);
    CHECK(newmail_rs_field_name(NEWMAIL_RS_NAME_COUNT) == NULL);
    for (unsigned i = 0; i < NEWMAIL_RS_NAME_COUNT; i++)
        CHECK(newmail_rs_field_name(i) != NULL);
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
        seed_dir = argv[2];
    else if (argc != 1) {
        fprintf(stderr, "usage: %s [--write-seeds DIR]\n", argv[0]);
        return 2;
    }
    test_names();
    test_layouts();
    test_short_failures();
    test_logon();
    test_get_properties_specific();
    test_query_rows();
    test_matching();
    test_spec_progress();
    test_table_notify();
    test_bad_values();
    return checks_report();
}
