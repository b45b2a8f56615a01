/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_rop_request.c: unit tests for newmail-rop-request.c, the reader of
 * the ROP requests of a ROP input buffer (MS-OXCROPS 2.2.1 to 2.2.15).
 *
 * Byte-exact vectors from the specifications where they give any:
 * MS-OXCROPS 4.4 (a ROP input buffer with two RopRelease requests and its
 * handle table) and MS-OXCTABL 4.5.3.1 (a RopQueryRows request). Every other
 * request is built here from a layout written again in this file, field by
 * field from MS-OXCROPS 2.2.3 to 2.2.15 (and checked against MAPI
 * Inspector's Rop*Request.cs parsers), never from the reader's table: the
 * reader must give the same fields, names, spans and values. Every vector is
 * then cut at every length and read from a heap copy of exactly that length
 * (ASan catches any read past the cut). No framework: main() ends with
 * "N passed, N failed".
 * The bytes are written with test/writer.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newmail-rop-request.h"

#include "checks.h"
#include "writer.h"

static bool
check_str(const char *got, const char *want, const char *what, const char *file, int line)
{
    bool ok = got != NULL && strcmp(got, want) == 0;

    check(ok, what, file, line);
    if (!ok)
        printf("    got \"%s\", want \"%s\"\n", got ? got : "(null)", want);
    return ok;
}

#define CHECK_STR(got, want) check_str((got), (want), #got, __FILE__, __LINE__)

/* ---- seeds for fuzz/fuzz_rop_request.c (test_rop_request --write-seeds DIR) ---- */

static const char *seed_dir;
static unsigned seed_count;

/* Writes bytes as a fuzz input: the mode byte (see fuzz_rop_request.c), a
 * logon pattern byte, then the bytes. */
static void
seed(uint8_t mode, const uint8_t *bytes, size_t n)
{
    char path[4096];
    FILE *f;

    if (seed_dir == NULL)
        return;
    snprintf(path, sizeof(path), "%s/%s-%03u.bin", seed_dir, mode & 1 ? "req" : "buf",
             seed_count++);
    f = fopen(path, "wb");
    if (f == NULL || fputc(mode, f) == EOF || fputc(0x55, f) == EOF ||
        fwrite(bytes, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

/* A ROP input buffer: RopSize, the requests in rops[0, n), handles. */
static void
input_buffer(writer_t *w, const uint8_t *rops, size_t n, const uint32_t *handles, size_t nh)
{
    w->len = 0;
    put16(w, (uint16_t)(2 + n));
    put_bytes(w, rops, n);
    for (size_t i = 0; i < nh; i++)
        put32(w, handles[i]);
}

/* ---- the layouts, written again from MS-OXCROPS ------------------------------------- */

/* One field: its MS-OXCROPS name and a type letter:
 *   b u8   w u16   d u32   i i32   q u64   h handle index (u8)
 *   g GUID (16)    l LongTermId (24)   f fixed 6 bytes (RopTellVersion's Version)
 *   c u16 count (written as 2)   C u32 count (written as 2)
 *   T tags, Q u64 ids, P u16 property ids, S 5-byte SortOrders, R restriction
 *   bytes, B bytes, E Essdn, G 48-byte LongTermIdRanges: each as many as the
 *   last count written
 *   s ASCII string "IPM.Note" and its terminator
 *   z u16 written as 0 (RopSortTable's CategorizedCount, ExpandedCount)
 * R is an ExistRestriction on PidTagSubject (5 bytes; its count is
 * rewritten to 5) and each SortOrder sorts PidTagSubject ascending, so that
 * the property reader accepts them.
 * The writer gives each integer a value of its own (1 + its field number). */
typedef struct {
    uint8_t rop_id;
    const char *layout; /* "Name:type Name:type ..." after RopId and LogonId */
} flat_case_t;

static const flat_case_t flat_cases[] = {
    {0x01, "InputHandleIndex:h"},
    {0x02, "InputHandleIndex:h OutputHandleIndex:h FolderId:q OpenModeFlags:b"},
    {0x03, "InputHandleIndex:h OutputHandleIndex:h CodePageId:w FolderId:q OpenModeFlags:b "
           "MessageId:q"},
    {0x04, "InputHandleIndex:h OutputHandleIndex:h TableFlags:b"},
    {0x05, "InputHandleIndex:h OutputHandleIndex:h TableFlags:b"},
    {0x06, "InputHandleIndex:h OutputHandleIndex:h CodePageId:w FolderId:q AssociatedFlag:b"},
    {0x07, "InputHandleIndex:h PropertySizeLimit:w WantUnicode:w PropertyTagCount:c "
           "PropertyTags:T"},
    {0x08, "InputHandleIndex:h PropertySizeLimit:w WantUnicode:w"},
    {0x09, "InputHandleIndex:h"},
    {0x0B, "InputHandleIndex:h PropertyTagCount:c PropertyTags:T"},
    {0x0C, "ResponseHandleIndex:h InputHandleIndex:h SaveFlags:b"},
    {0x0D, "InputHandleIndex:h Reserved:d"},
    {0x0F, "InputHandleIndex:h RowId:d Reserved:w"},
    {0x10, "InputHandleIndex:h Reserved:w"},
    {0x12, "InputHandleIndex:h SetColumnsFlags:b PropertyTagCount:c PropertyTags:T"},
    {0x13, "InputHandleIndex:h SortTableFlags:b SortOrderCount:c CategorizedCount:z "
           "ExpandedCount:z SortOrders:S"},
    {0x14, "InputHandleIndex:h RestrictFlags:b RestrictionDataSize:c RestrictionData:R"},
    {0x15, "InputHandleIndex:h QueryRowsFlags:b ForwardRead:b RowCount:w"},
    {0x16, "InputHandleIndex:h"},
    {0x17, "InputHandleIndex:h"},
    {0x18, "InputHandleIndex:h Origin:b RowCount:i WantRowMovedCount:b"},
    {0x19, "InputHandleIndex:h BookmarkSize:c Bookmark:B RowCount:i WantRowMovedCount:b"},
    {0x1A, "InputHandleIndex:h Numerator:d Denominator:d"},
    {0x1B, "InputHandleIndex:h"},
    {0x1D, "InputHandleIndex:h DeleteFolderFlags:b FolderId:q"},
    {0x1E, "InputHandleIndex:h WantAsynchronous:b NotifyNonRead:b MessageIdCount:c MessageIds:Q"},
    {0x1F, "InputHandleIndex:h MessageId:q"},
    {0x20, "InputHandleIndex:h MessageId:q MessageStatusFlags:d MessageStatusMask:d"},
    {0x21, "InputHandleIndex:h OutputHandleIndex:h TableFlags:b"},
    {0x22, "InputHandleIndex:h OutputHandleIndex:h OpenAttachmentFlags:b AttachmentID:d"},
    {0x23, "InputHandleIndex:h OutputHandleIndex:h"},
    {0x24, "InputHandleIndex:h AttachmentID:d"},
    {0x25, "ResponseHandleIndex:h InputHandleIndex:h SaveFlags:b"},
    {0x26, "InputHandleIndex:h FolderId:q MessageClass:s"},
    {0x27, "InputHandleIndex:h MessageClass:s"},
    {0x2B, "InputHandleIndex:h OutputHandleIndex:h PropertyTag:d OpenModeFlags:b"},
    {0x2D, "InputHandleIndex:h DataSize:c Data:B"},
    {0x2E, "InputHandleIndex:h Origin:b Offset:q"},
    {0x2F, "InputHandleIndex:h StreamSize:q"},
    {0x30, "InputHandleIndex:h RestrictionDataSize:c RestrictionData:R FolderIdCount:c "
           "FolderIds:Q SearchFlags:d"},
    {0x31, "InputHandleIndex:h UseUnicode:b IncludeRestriction:b IncludeFolders:b"},
    {0x32, "InputHandleIndex:h SubmitFlags:b"},
    {0x33, "SourceHandleIndex:h DestHandleIndex:h MessageIdCount:c MessageIds:Q "
           "WantAsynchronous:b WantCopy:b"},
    {0x34, "InputHandleIndex:h FolderId:q MessageId:q"},
    {0x37, "InputHandleIndex:h"},
    {0x38, "InputHandleIndex:h"},
    {0x39, "SourceHandleIndex:h DestHandleIndex:h WantAsynchronous:b WantSubObjects:b "
           "CopyFlags:b ExcludedTagCount:c ExcludedTags:T"},
    {0x3A, "SourceHandleIndex:h DestHandleIndex:h ByteCount:q"},
    {0x3B, "InputHandleIndex:h OutputHandleIndex:h"},
    {0x3E, "InputHandleIndex:h OutputHandleIndex:h TableFlags:b"},
    {0x3F, "InputHandleIndex:h OutputHandleIndex:h TableFlags:b"},
    {0x42, "InputHandleIndex:h FolderId:q"},
    {0x43, "InputHandleIndex:h ObjectId:q"},
    {0x44, "InputHandleIndex:h LongTermId:l"},
    {0x45, "InputHandleIndex:h FolderId:q"},
    {0x46, "InputHandleIndex:h OutputHandleIndex:h CodePageId:w OpenModeFlags:b"},
    {0x47, "InputHandleIndex:h"},
    {0x48, "InputHandleIndex:h MessageId:q LockState:b"},
    {0x49, "InputHandleIndex:h"},
    {0x4A, "InputHandleIndex:h"},
    {0x4B, "InputHandleIndex:h OutputHandleIndex:h MessageIdCount:c MessageIds:Q CopyFlags:b "
           "SendOptions:b"},
    {0x4C, "InputHandleIndex:h OutputHandleIndex:h CopyFlags:b SendOptions:b"},
    {0x4D, "InputHandleIndex:h OutputHandleIndex:h Level:b CopyFlags:d SendOptions:b "
           "PropertyTagCount:c PropertyTags:T"},
    {0x4F, "InputHandleIndex:h FindRowFlags:b RestrictionDataSize:c RestrictionData:R Origin:b "
           "BookmarkSize:c Bookmark:B"},
    {0x50, "InputHandleIndex:h WantCancel:b"},
    {0x51, "InputHandleIndex:h MessageId:q FolderId:q MessageClass:s MessageFlags:d"},
    {0x52, "InputHandleIndex:h"},
    {0x53, "InputHandleIndex:h OutputHandleIndex:h SourceOperation:b CopyFlags:b"},
    {0x54, "InputHandleIndex:h TransferDataSize:c TransferData:B"},
    {0x55, "InputHandleIndex:h PropertyIdCount:c PropertyIds:P"},
    {0x57, "InputHandleIndex:h ServerEntryIdSize:c ServerEntryId:B ClientEntryIdSize:c "
           "ClientEntryId:B"},
    {0x58, "InputHandleIndex:h WantAsynchronous:b WantDeleteAssociated:b"},
    {0x59, "InputHandleIndex:h MaxRowCount:w CategoryId:q"},
    {0x5A, "InputHandleIndex:h CategoryId:q"},
    {0x5B, "InputHandleIndex:h RegionOffset:q RegionSize:q LockFlags:d"},
    {0x5C, "InputHandleIndex:h RegionOffset:q RegionSize:q LockFlags:d"},
    {0x5D, "InputHandleIndex:h"},
    {0x5E, "InputHandleIndex:h"},
    {0x60, "InputHandleIndex:h DatabaseGuid:g"},
    {0x61, "InputHandleIndex:h LongTermId:l"},
    {0x63, "InputHandleIndex:h FolderId:l Reserved:b DataOffset:d MaxDataSize:w"},
    {0x66, "InputHandleIndex:h WantAsynchronous:b ReadFlags:b MessageIdCount:c MessageIds:Q"},
    {0x67, "SourceHandleIndex:h DestHandleIndex:h WantAsynchronous:b CopyFlags:b "
           "PropertyTagCount:c PropertyTags:T"},
    {0x68, "InputHandleIndex:h"},
    {0x69, "InputHandleIndex:h OutputHandleIndex:h Level:b CopyFlags:b SendOptions:b "
           "PropertyTagCount:c PropertyTags:T"},
    {0x6B, "InputHandleIndex:h RowId:q RowInstanceNumber:d"},
    {0x6C, "InputHandleIndex:h CollapseStateSize:c CollapseState:B"},
    {0x6D, "InputHandleIndex:h"},
    {0x6F, "InputHandleIndex:h AddressType:s WantWin32:b"},
    {0x70, "InputHandleIndex:h OutputHandleIndex:h SynchronizationType:b SendOptions:b "
           "SynchronizationFlags:w RestrictionDataSize:c RestrictionData:R "
           "SynchronizationExtraFlags:d PropertyTagCount:c PropertyTags:T"},
    {0x75, "InputHandleIndex:h StateProperty:d TransferBufferSize:d"},
    {0x76, "InputHandleIndex:h StreamDataSize:C StreamData:B"},
    {0x77, "InputHandleIndex:h"},
    {0x78, "InputHandleIndex:h SourceFolderIdSize:C SourceFolderId:B SourceMessageIdSize:C "
           "SourceMessageId:B PredecessorChangeListSize:C PredecessorChangeList:B "
           "DestinationMessageIdSize:C DestinationMessageId:B ChangeNumberSize:C ChangeNumber:B"},
    {0x7A, "InputHandleIndex:h PropertyTagCount:c PropertyTags:T"},
    {0x7B, "InputHandleIndex:h"},
    {0x7E, "InputHandleIndex:h OutputHandleIndex:h IsContentsCollector:b"},
    {0x7F, "InputHandleIndex:h IdCount:d"},
    {0x81, "InputHandleIndex:h"},
    {0x82, "InputHandleIndex:h OutputHandleIndex:h"},
    {0x86, "InputHandleIndex:h Version:f"},
    {0x89, "InputHandleIndex:h BookmarkSize:c Bookmark:B"},
    {0x90, "InputHandleIndex:h DataSize:c Data:B"},
    {0x91, "InputHandleIndex:h WantAsynchronous:b NotifyNonRead:b MessageIdCount:c MessageIds:Q"},
    {0x92, "InputHandleIndex:h WantAsynchronous:b WantDeleteAssociated:b"},
    {0x9D, "InputHandleIndex:h TransferDataSize:c TransferData:B"},
    {0xA3, "InputHandleIndex:h DataSize:c Data:B"},
    {0xFE, "OutputHandleIndex:h LogonFlags:b OpenFlags:d StoreState:d EssdnSize:c Essdn:E"},
};

/* What the writer wrote for one field. */
typedef struct {
    char name[40];
    size_t offset, length;
    uint64_t value;
} expect_t;

/* Builds the request of a flat case into w (from offset 0) and what the
 * reader must report. Returns the number of fields, RopId and LogonId
 * included. */
static unsigned
build_flat(const flat_case_t *fc, writer_t *w, expect_t *ex, unsigned max)
{
    const char *p = fc->layout;
    uint64_t count = 0;
    size_t count_at = 0;
    unsigned count_field = 0;
    unsigned n = 0;

    w->len = 0;
    ex[n] = (expect_t){"RopId", put8(w, fc->rop_id), 1, fc->rop_id};
    n++;
    ex[n] = (expect_t){"LogonId", put8(w, 0x00), 1, 0};
    n++;
    while (*p && n < max) {
        const char *colon = strchr(p, ':');
        size_t nl = (size_t)(colon - p);
        char type = colon[1];
        expect_t *e = &ex[n];
        uint64_t v = n + 1;

        memcpy(e->name, p, nl);
        e->name[nl] = 0;
        switch (type) {
        case 'b':
        case 'h':
            e->offset = put8(w, (uint8_t)v), e->length = 1, e->value = v;
            break;
        case 'w':
            v |= 0x1100;
            e->offset = put16(w, (uint16_t)v), e->length = 2, e->value = v;
            break;
        case 'c':
            count = 2;
            count_at = e->offset = put16(w, 2), e->length = 2, e->value = 2;
            count_field = n;
            break;
        case 'z':
            e->offset = put16(w, 0), e->length = 2, e->value = 0;
            break;
        case 'R': /* RES_EXIST (0x08), PidTagSubject */
            w->b[count_at] = 5;
            ex[count_field].value = 5;
            e->offset = put8(w, 0x08), e->length = 5, e->value = 5;
            put32(w, 0x0037001F);
            break;
        case 'S': /* PtypString, PidTagSubject, ascending */
            e->offset = w->len, e->length = (size_t)count * 5, e->value = count;
            for (uint64_t k = 0; k < count; k++)
                put16(w, 0x001F), put16(w, 0x0037), put8(w, 0x00);
            break;
        case 'C':
            count = 2;
            e->offset = put32(w, 2), e->length = 4, e->value = 2;
            break;
        case 'd':
        case 'i':
            v |= 0x80332200u;
            e->offset = put32(w, (uint32_t)v), e->length = 4, e->value = v;
            break;
        case 'q':
            v |= 0x7766554433221100ull;
            e->offset = put64(w, v), e->length = 8, e->value = v;
            break;
        case 'g':
            e->offset = put_fill(w, 0xA0, 16), e->length = 16, e->value = 16;
            break;
        case 'l':
            e->offset = put_fill(w, 0xB0, 24), e->length = 24, e->value = 24;
            break;
        case 'f':
            e->offset = put_fill(w, 0x01, 6), e->length = 6, e->value = 6;
            break;
        case 's':
            e->offset = put_bytes(w, "IPM.Note", 9), e->length = 8, e->value = 8;
            break;
        case 'E': /* Essdn: count bytes, the last one the terminator */
            e->offset = put8(w, 'x'), e->length = count, e->value = count;
            put8(w, 0);
            break;
        default: {
            size_t elem = type == 'T'   ? 4
                          : type == 'Q' ? 8
                          : type == 'P' ? 2
                          : type == 'S' ? 5
                          : type == 'G' ? 48
                                        : 1;

            e->offset = put_fill(w, 0x40, (size_t)count * elem);
            e->length = (size_t)count * elem;
            e->value = count;
            break;
        }
        }
        n++;
        p = colon + 2;
        while (*p == ' ')
            p++;
    }
    return n;
}

/* Reads buf (a heap copy of exactly len bytes) and compares with ex. */
static void
check_fields(const newmail_rop_request_t *rq, const expect_t *ex, unsigned n)
{
    CHECK_EQ(rq->nfields, n);
    for (unsigned i = 0; i < n && i < rq->nfields; i++) {
        const char *name = newmail_rq_field_name(rq->field[i].name);

        if (!CHECK_STR(name, ex[i].name))
            continue;
        CHECK_SPAN(rq->field[i].span, ex[i].offset, ex[i].length);
        CHECK_EQ(rq->field[i].value, ex[i].value);
    }
}

/* newmail_rq_list_next() steps through each list field of a request read
 * whole: as many elements as the field's value, filling its span exactly
 * (unless the request says a size disagrees). */
static unsigned lists_stepped;

static void
check_lists(const uint8_t *buf, const newmail_rop_request_t *rq)
{
    if (rq->status != NEWMAIL_RQ_READ || (rq->problems & NEWMAIL_RQ_PROBLEM_SIZE))
        return;
    for (unsigned i = 0; i < rq->nfields; i++) {
        const newmail_rq_field_t *f = &rq->field[i];
        size_t pos = f->span.offset, at = pos;
        newmail_span_t elem;
        uint64_t n = 0;

        if (f->kind < NEWMAIL_RQK_TAGS || f->kind == NEWMAIL_RQK_RESTRICTION)
            continue;
        while (newmail_rq_list_next(buf, f, &pos, &elem)) {
            CHECK_EQ(elem.offset, at);
            CHECK(elem.length > 0);
            at = elem.offset + elem.length;
            n++;
        }
        CHECK_EQ(n, f->value);
        CHECK_EQ(pos, f->span.offset + f->span.length);
        lists_stepped++;
    }
}

/* Every cut of the request is read without reading past it, reports
 * TRUNCATED (or stops for a reason of its own) and spans inside the cut. */
static void
check_cuts(const uint8_t *bytes, size_t len, const newmail_rq_logons_t *logons)
{
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = exact_copy(bytes, cut);
        newmail_rop_request_t rq;

        newmail_rop_request_read(copy, 0, cut, logons, &rq);
        CHECK(rq.status != NEWMAIL_RQ_READ);
        CHECK(rq.span.offset == 0 && rq.span.length <= cut);
        for (unsigned i = 0; i < rq.nfields; i++)
            CHECK(rq.field[i].span.offset + rq.field[i].span.length <= cut);
        free(copy);
    }
}

static unsigned flat_ids_tested[256];

static void
test_flat_layouts(void)
{
    writer_t w = {0};
    expect_t ex[NEWMAIL_RQ_MAX_FIELDS + 2];

    for (size_t k = 0; k < COUNT_OF(flat_cases); k++) {
        const flat_case_t *fc = &flat_cases[k];
        unsigned n = build_flat(fc, &w, ex, COUNT_OF(ex));
        uint8_t *copy = exact_copy(w.b, w.len);
        newmail_rop_request_t rq;

        WHERE("%s (0x%02X)", newmail_rop_name(fc->rop_id), fc->rop_id);
        flat_ids_tested[fc->rop_id]++;
        seed(0x01, w.b, w.len);
        {
            static const uint32_t handles[] = {0x11, 0x22, 0x33};
            writer_t buf = {0};

            input_buffer(&buf, w.b, w.len, handles, COUNT_OF(handles));
            seed(0x00, buf.b, buf.len);
        }
        CHECK_EQ(newmail_rop_request_read(copy, 0, w.len, NULL, &rq), NEWMAIL_RQ_READ);
        CHECK_EQ(rq.rop_id, fc->rop_id);
        CHECK_SPAN(rq.span, 0, w.len);
        CHECK_EQ(rq.problems, 0);
        check_fields(&rq, ex, n);
        check_lists(copy, &rq);
        /* The handle indexes are also in the record. */
        for (unsigned i = 0; i < n; i++) {
            if (!strcmp(ex[i].name, "InputHandleIndex") || !strcmp(ex[i].name, "SourceHandleIndex"))
                CHECK(rq.has_input && rq.input_handle_index == ex[i].value);
            if (!strcmp(ex[i].name, "OutputHandleIndex"))
                CHECK(rq.has_output && rq.output_handle_index == ex[i].value);
            if (!strcmp(ex[i].name, "DestHandleIndex"))
                CHECK(rq.has_dest && rq.dest_handle_index == ex[i].value);
        }
        if (fc->rop_id == NEWMAIL_ROP_LOGON)
            CHECK(!rq.has_input && rq.has_output);
        /* Lists are the bytes written: 0x40, 0x41, ... */
        for (unsigned i = 0; i < rq.nfields; i++) {
            if (rq.field[i].kind == NEWMAIL_RQK_IDS) {
                CHECK_EQ(newmail_rq_id(copy, &rq.field[i], 0), 0x4746454443424140ull);
                CHECK_EQ(newmail_rq_id(copy, &rq.field[i], 1), 0x4F4E4D4C4B4A4948ull);
            }
            if (rq.field[i].kind == NEWMAIL_RQK_TAGS)
                CHECK_EQ(newmail_rq_tag(copy, &rq.field[i], 1), 0x47464544);
        }
        free(copy);
        check_cuts(w.b, w.len, NULL);
    }
    where[0] = 0;
}

/* ---- vectors of the specifications ------------------------------------------------------ */

static void
test_spec_vectors(void)
{
    /* MS-OXCROPS 4.4: two RopRelease requests and the two handles they release. */
    static const uint8_t release[] = {0x08, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
                                      0x6F, 0x00, 0x00, 0x00, 0x6E, 0x00, 0x00, 0x00};
    /* MS-OXCTABL 4.5.3.1: RopQueryRows, LogonId 0, InputHandleIndex 0, Advance,
     * ForwardRead 1, RowCount 50. */
    static const uint8_t query_rows[] = {0x15, 0x00, 0x00, 0x00, 0x01, 0x32, 0x00};
    newmail_rop_request_walk_t walk;
    newmail_rop_request_t rq;
    uint32_t handle;
    uint8_t *copy;

    WHERE("MS-OXCROPS 4.4");
    copy = exact_copy(release, sizeof(release));
    newmail_rop_request_walk_init(&walk, copy, sizeof(release));
    for (unsigned i = 0; i < 2; i++) {
        CHECK(newmail_rop_request_next(&walk, &rq));
        CHECK_EQ(rq.status, NEWMAIL_RQ_READ);
        CHECK_EQ(rq.rop_id, NEWMAIL_ROP_RELEASE);
        CHECK_SPAN(rq.span, 2 + 3 * i, 3);
        CHECK_EQ(rq.nfields, 3);
        CHECK(rq.has_input && !rq.has_output);
        CHECK_EQ(rq.input_handle_index, i);
        CHECK_EQ(rq.problems, 0);
        CHECK(newmail_rop_request_handle(&walk, rq.input_handle_index, &handle));
        CHECK_EQ(handle, i == 0 ? 0x6F : 0x6E);
    }
    CHECK(!newmail_rop_request_next(&walk, &rq));
    CHECK_EQ(walk.status, NEWMAIL_RQW_COMPLETE);
    CHECK_EQ(walk.count, 2);
    CHECK(!newmail_rop_request_handle(&walk, 2, &handle));
    free(copy);

    WHERE("MS-OXCTABL 4.5.3.1");
    copy = exact_copy(query_rows, sizeof(query_rows));
    CHECK_EQ(newmail_rop_request_read(copy, 0, sizeof(query_rows), NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 7);
    CHECK_EQ(newmail_rop_request_find(&rq, NEWMAIL_RQ_QUERY_ROWS_FLAGS)->value, 0x00);
    CHECK_EQ(newmail_rop_request_find(&rq, NEWMAIL_RQ_FORWARD_READ)->value, 0x01);
    CHECK_EQ(newmail_rop_request_find(&rq, NEWMAIL_RQ_ROW_COUNT)->value, 50);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_ROW_COUNT)->span, 5, 2);
    CHECK_EQ(rq.input_handle_index, 0);
    free(copy);
    where[0] = 0;
}

/* ---- the conditional requests ------------------------------------------------------------- */

/* Reads w's bytes from a heap copy; returns the status. */
static newmail_rq_status_t
read_w(const writer_t *w, const newmail_rq_logons_t *logons, newmail_rop_request_t *rq)
{
    uint8_t *copy = exact_copy(w->b, w->len);
    newmail_rq_status_t st = newmail_rop_request_read(copy, 0, w->len, logons, rq);

    check_lists(copy, rq);

    seed(logons ? 0x03 : 0x01, w->b, w->len);

    /* The spans stay meaningful after the copy goes: they are offsets. */
    free(copy);
    return st;
}

static uint64_t
value(const newmail_rop_request_t *rq, unsigned name)
{
    const newmail_rq_field_t *f = newmail_rop_request_find(rq, name);

    CHECK(f != NULL);
    return f ? f->value : ~0ull;
}

static void
test_register_notification(void)
{
    writer_t w = {0};
    newmail_rop_request_t rq;

    /* The whole store: RopId, LogonId, In, Out, NotificationTypes,
     * Reserved, WantWholeStore: 7 bytes. */
    WHERE("RopRegisterNotification, whole store");
    put8(&w, 0x29), put8(&w, 1), put8(&w, 0), put8(&w, 2);
    put8(&w, 0x02 | 0x10), put8(&w, 0), put8(&w, 1);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 7);
    CHECK_EQ(rq.logon_id, 1);
    CHECK(rq.has_input && rq.input_handle_index == 0);
    CHECK(rq.has_output && rq.output_handle_index == 2);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_NOTIFICATION_TYPES), 0x12);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_NOTIFICATION_TYPES)->span, 4, 1);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_WANT_WHOLE_STORE), 1);
    CHECK(newmail_rop_request_find(&rq, NEWMAIL_RQ_FOLDER_ID) == NULL);
    CHECK(newmail_rop_request_find(&rq, NEWMAIL_RQ_MESSAGE_ID) == NULL);
    CHECK_EQ(rq.problems, 0);
    check_cuts(w.b, w.len, NULL);

    /* One folder: FolderId and MessageId follow. */
    WHERE("RopRegisterNotification, one folder");
    w.len = 0;
    put8(&w, 0x29), put8(&w, 0), put8(&w, 0), put8(&w, 1);
    put8(&w, 0x04), put8(&w, 0), put8(&w, 0);
    put64(&w, 0x0100000000000A01ull), put64(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 23);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_FOLDER_ID), 0x0100000000000A01ull);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_FOLDER_ID)->span, 7, 8);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_MESSAGE_ID), 0);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_MESSAGE_ID)->span, 15, 8);
    check_cuts(w.b, w.len, NULL);

    /* Reserved nonzero (what a 16-bit reading calls Extended): flagged,
     * sized as MS-OXCROPS says. */
    WHERE("RopRegisterNotification, Reserved 0x04");
    w.len = 0;
    put8(&w, 0x29), put8(&w, 0), put8(&w, 0), put8(&w, 1);
    put8(&w, 0x00), put8(&w, 0x04), put8(&w, 1);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 7);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_RESERVED);
    where[0] = 0;
}

static void
test_babe(void)
{
    writer_t w = {0};
    newmail_rop_request_t rq;

    WHERE("RopReadStream 0xBABE");
    put8(&w, 0x2C), put8(&w, 0), put8(&w, 3), put16(&w, 0xBABE), put32(&w, 0x00100000);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 9);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_MAXIMUM_BYTE_COUNT), 0x00100000);
    check_cuts(w.b, w.len, NULL);

    WHERE("RopReadStream 0x1000");
    w.len = 0;
    put8(&w, 0x2C), put8(&w, 0), put8(&w, 3), put16(&w, 0x1000);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 5);
    CHECK(newmail_rop_request_find(&rq, NEWMAIL_RQ_MAXIMUM_BYTE_COUNT) == NULL);

    WHERE("RopFastTransferSourceGetBuffer 0xBABE");
    w.len = 0;
    put8(&w, 0x4E), put8(&w, 0), put8(&w, 3), put16(&w, 0xBABE), put16(&w, 0x7FF0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 7);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_MAXIMUM_BUFFER_SIZE), 0x7FF0);
    check_cuts(w.b, w.len, NULL);

    WHERE("RopFastTransferSourceGetBuffer 0x0100");
    w.len = 0;
    put8(&w, 0x4E), put8(&w, 0), put8(&w, 3), put16(&w, 0x0100);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 5);
    where[0] = 0;
}

static void
test_logon_dependent(void)
{
    writer_t w = {0};
    newmail_rop_request_t rq;
    newmail_rq_logons_t logons;

    memset(&logons, 0, sizeof(logons));
    WHERE("RopSetMessageReadFlag, logon unknown");
    put8(&w, 0x11), put8(&w, 5), put8(&w, 0), put8(&w, 1), put8(&w, 0x01);
    put_fill(&w, 0xC0, 24);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_NEEDS_LOGON);
    CHECK_SPAN(rq.span, 0, 5);
    CHECK_EQ(read_w(&w, &logons, &rq), NEWMAIL_RQ_NEEDS_LOGON);

    WHERE("RopSetMessageReadFlag, public folders logon");
    newmail_rq_logons_set(&logons, 5, 0x00);
    CHECK_EQ(read_w(&w, &logons, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 29);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_CLIENT_DATA)->span, 5, 24);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_RESPONSE_HANDLE_INDEX), 0);
    CHECK_EQ(rq.input_handle_index, 1);
    check_cuts(w.b, w.len, &logons);

    WHERE("RopSetMessageReadFlag, private logon");
    newmail_rq_logons_set(&logons, 5, NEWMAIL_LOGON_FLAG_PRIVATE);
    w.len = 5;
    CHECK_EQ(read_w(&w, &logons, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 5);
    CHECK(newmail_rop_request_find(&rq, NEWMAIL_RQ_CLIENT_DATA) == NULL);

    WHERE("RopWritePerUserInformation, DataOffset 0, private");
    w.len = 0;
    put8(&w, 0x64), put8(&w, 5), put8(&w, 0), put_fill(&w, 0x10, 24), put8(&w, 1);
    put32(&w, 0), put16(&w, 3), put_fill(&w, 0x77, 3), put_fill(&w, 0x90, 16);
    CHECK_EQ(read_w(&w, &logons, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_DATA)->span, 34, 3);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_REPL_GUID)->span, 37, 16);
    check_cuts(w.b, w.len, &logons);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_NEEDS_LOGON);

    WHERE("RopWritePerUserInformation, DataOffset 0, public folders");
    newmail_rq_logons_set(&logons, 5, 0x00);
    w.len -= 16;
    CHECK_EQ(read_w(&w, &logons, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK(newmail_rop_request_find(&rq, NEWMAIL_RQ_REPL_GUID) == NULL);

    WHERE("RopWritePerUserInformation, DataOffset 3");
    w.b[3 + 24 + 1] = 3; /* DataOffset */
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    where[0] = 0;
}

static void
test_strings(void)
{
    writer_t w = {0};
    newmail_rop_request_t rq;
    size_t at;

    WHERE("RopCreateFolder, Unicode");
    put8(&w, 0x1C), put8(&w, 0), put8(&w, 0), put8(&w, 1);
    put8(&w, 1), put8(&w, 1), put8(&w, 0), put8(&w, 0);
    at = put_utf16z(&w, "Inbox2");
    put_utf16z(&w, "");
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_DISPLAY_NAME)->span, at, 12);
    CHECK_EQ(newmail_rop_request_find(&rq, NEWMAIL_RQ_DISPLAY_NAME)->kind, NEWMAIL_RQK_UNICODE);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_DISPLAY_NAME), 6);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_COMMENT)->span, at + 14, 0);
    check_cuts(w.b, w.len, NULL);

    WHERE("RopCreateFolder, 8-bit, Reserved 1");
    w.len = 0;
    put8(&w, 0x1C), put8(&w, 0), put8(&w, 0), put8(&w, 1);
    put8(&w, 1), put8(&w, 0), put8(&w, 0), put8(&w, 1);
    put_bytes(&w, "Box\0c\0", 6);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 14);
    CHECK_EQ(newmail_rop_request_find(&rq, NEWMAIL_RQ_DISPLAY_NAME)->kind, NEWMAIL_RQK_STRING8);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_COMMENT)->span, 12, 1);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_RESERVED);

    WHERE("RopMoveFolder, Unicode");
    w.len = 0;
    put8(&w, 0x35), put8(&w, 0), put8(&w, 1), put8(&w, 2), put8(&w, 0), put8(&w, 1);
    put64(&w, 0x1234);
    at = put_utf16z(&w, "New");
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK(rq.has_input && rq.input_handle_index == 1 && rq.has_dest && rq.dest_handle_index == 2);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_NEW_FOLDER_NAME)->span, at, 6);
    check_cuts(w.b, w.len, NULL);

    WHERE("RopCopyFolder, 8-bit");
    w.len = 0;
    put8(&w, 0x36), put8(&w, 0), put8(&w, 1), put8(&w, 2), put8(&w, 0), put8(&w, 1), put8(&w, 0);
    put64(&w, 0x1234);
    at = put_bytes(&w, "Copy\0", 5);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_WANT_RECURSIVE), 1);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_NEW_FOLDER_NAME)->span, at, 4);

    WHERE("RopGetReceiveFolder, unterminated");
    w.len = 0;
    put8(&w, 0x27), put8(&w, 0), put8(&w, 0), put_bytes(&w, "IPM", 3);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_TRUNCATED);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_UNTERMINATED);
    CHECK_SPAN(rq.span, 0, 3);

    WHERE("RopLogon, Essdn without its terminator");
    w.len = 0;
    put8(&w, 0xFE), put8(&w, 0), put8(&w, 0), put8(&w, 0x01), put32(&w, 0x01000000);
    put32(&w, 0), put16(&w, 3), put_bytes(&w, "/o=", 3);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_UNTERMINATED);

    WHERE("RopLogon, no Essdn");
    w.len = 0;
    put8(&w, 0xFE), put8(&w, 0), put8(&w, 0), put8(&w, 0x01), put32(&w, 0x01000000);
    put32(&w, 0), put16(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 14);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_ESSDN)->span, 14, 0);
    CHECK_EQ(rq.problems, 0);
    where[0] = 0;
}

static void
test_sized_lists(void)
{
    writer_t w = {0};
    newmail_rop_request_t rq;
    size_t at;

    /* Two MessageReadStates: an 8-byte and a 22-byte MessageId. */
    WHERE("RopSynchronizationImportReadStateChanges");
    put8(&w, 0x80), put8(&w, 0), put8(&w, 0), put16(&w, 2 + 8 + 1 + 2 + 22 + 1);
    at = put16(&w, 8), put_fill(&w, 0x10, 8), put8(&w, 1);
    put16(&w, 22), put_fill(&w, 0x20, 22), put8(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_MESSAGE_READ_STATES)->span, at, 36);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_MESSAGE_READ_STATES), 2);
    CHECK_EQ(rq.problems, 0);
    check_cuts(w.b, w.len, NULL);
    w.b[3]--, w.len--; /* the second MarkAsRead outside the size */
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_SIZE);
    w.len = 0;

    WHERE("RopQueryNamedProperties, HasGuid");
    put8(&w, 0x5F), put8(&w, 0), put8(&w, 0), put8(&w, 0), put8(&w, 1);
    at = put_fill(&w, 0x20, 16);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 21);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_PROPERTY_GUID)->span, at, 16);
    check_cuts(w.b, w.len, NULL);
    w.b[4] = 0, w.len = 5;
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 5);

    /* PropertyValueSize counts PropertyValueCount and PropertyValues:
     * one PtypInteger32 value (tag, 4 bytes) and one PtypBoolean (tag, 1). */
    WHERE("RopSetProperties");
    w.len = 0;
    put8(&w, 0x0A), put8(&w, 0), put8(&w, 0), put16(&w, 2 + 8 + 5), put16(&w, 2);
    at = put32(&w, 0x0E070003), put32(&w, 1), put32(&w, 0x0E1B000B), put8(&w, 1);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_PROPERTY_VALUES)->span, at, 13);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_PROPERTY_VALUES), 2);
    CHECK_EQ(rq.problems, 0);
    check_cuts(w.b, w.len, NULL);
    w.b[0] = 0x79; /* RopSetPropertiesNoReplicate: the same layout */
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);

    WHERE("RopSetProperties, PropertyValueSize 1");
    w.len = 0;
    put8(&w, 0x0A), put8(&w, 0), put8(&w, 0), put16(&w, 1), put16(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 7);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_SIZE);

    /* Two rows: RowId, RecipientType, RecipientRowSize, RecipientRow. */
    WHERE("RopModifyRecipients");
    w.len = 0;
    put8(&w, 0x0E), put8(&w, 0), put8(&w, 0), put16(&w, 1), put32(&w, 0x3001001F);
    put16(&w, 2);
    at = put32(&w, 0), put8(&w, 1), put16(&w, 3), put_fill(&w, 0x50, 3);
    put32(&w, 1), put8(&w, 2), put16(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_RECIPIENT_COLUMNS)->span, 5, 4);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_RECIPIENT_ROWS)->span, at, 17);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_RECIPIENT_ROWS), 2);
    check_cuts(w.b, w.len, NULL);

    /* Names by LID, by string, and none (MS-OXCDATA 2.6.1). */
    WHERE("RopGetPropertyIdsFromNames");
    w.len = 0;
    put8(&w, 0x56), put8(&w, 0), put8(&w, 0), put8(&w, 0x02), put16(&w, 3);
    at = put8(&w, 0x00), put_fill(&w, 0x60, 16), put32(&w, 0x8501);
    put8(&w, 0x01), put_fill(&w, 0x60, 16), put8(&w, 8), put_utf16z(&w, "Abc");
    put8(&w, 0xFF), put_fill(&w, 0x60, 16);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_PROPERTY_NAMES)->span, at, w.len - at);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_PROPERTY_NAMES), 3);
    check_cuts(w.b, w.len, NULL);
    w.b[at] = 0x02; /* a Kind MS-OXCDATA does not define: nothing sizes the rest */
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_UNREADABLE);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_PROPERTY_NAME);
    CHECK_EQ(value(&rq, NEWMAIL_RQ_PROPERTY_NAMES), 0);

    WHERE("RopSetLocalReplicaMidsetDeleted");
    w.len = 0;
    put8(&w, 0x93), put8(&w, 0), put8(&w, 0), put16(&w, 4 + 48), put32(&w, 1);
    at = put_fill(&w, 0x01, 48);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_LONG_TERM_ID_RANGES)->span, at, 48);
    CHECK_EQ(rq.problems, 0);
    check_cuts(w.b, w.len, NULL);
    w.b[3] = 4; /* DataSize disagrees with the count */
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_SIZE);

    /* A count far beyond the bytes: TRUNCATED, no wrap, no long loop. */
    WHERE("counts far beyond the bytes");
    w.len = 0;
    put8(&w, 0x76), put8(&w, 0), put8(&w, 0), put32(&w, 0xFFFFFFFF), put8(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_TRUNCATED);
    CHECK_SPAN(rq.span, 0, 7);
    w.len = 0;
    put8(&w, 0x93), put8(&w, 0), put8(&w, 0), put16(&w, 0), put32(&w, 0xFFFFFFFF);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_TRUNCATED);
    w.len = 0;
    put8(&w, 0x0E), put8(&w, 0), put8(&w, 0), put16(&w, 0), put16(&w, 0xFFFF);
    put_fill(&w, 0, 7 * 100);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_TRUNCATED);
    where[0] = 0;
}

/* The TaggedPropertyValue lists with only a value count, read by the
 * property reader value by value. */
static void
test_value_lists(void)
{
    static const struct {
        uint8_t rop_id;
        uint8_t prefix; /* bytes after LogonId up to the list (the count included) */
        bool entries;   /* PermissionData/RuleData entries: flags, count, values */
        unsigned name;  /* the list's field */
    } cases[] = {
        {0x40, 4, true, NEWMAIL_RQ_PERMISSIONS_DATA},  /* In, ModifyFlags, ModifyCount */
        {0x41, 4, true, NEWMAIL_RQ_RULES_DATA},        /* In, ModifyRulesFlags, RulesCount */
        {0x72, 5, false, NEWMAIL_RQ_PROPERTY_VALUES},  /* In, Out, ImportFlag, count */
        {0x74, 4, false, NEWMAIL_RQ_PROPERTY_VALUES},  /* In, ImportDeleteFlags, count */
        {0x73, 3, false, NEWMAIL_RQ_HIERARCHY_VALUES}, /* In, HierarchyValueCount */
    };
    writer_t w = {0};
    newmail_rop_request_t rq;

    for (size_t k = 0; k < COUNT_OF(cases); k++) {
        size_t list, end, type_at;

        WHERE("%s", newmail_rop_name(cases[k].rop_id));
        w.len = 0;
        put8(&w, cases[k].rop_id), put8(&w, 0), put_fill(&w, 0, cases[k].prefix - 2);
        put16(&w, 1);
        list = w.len;
        if (cases[k].entries)
            put8(&w, 0x01), put16(&w, 2); /* flags, PropertyValueCount */
        /* PidTagMemberRights (PtypInteger32) = 7; PidTagDisplayName
         * (PtypString) or PidTagSubject "" for single lists. */
        put32(&w, 0x66730003), put32(&w, 7);
        if (cases[k].entries)
            type_at = put32(&w, 0x3001001F), put_utf16z(&w, "Al");
        else
            type_at = list;
        end = w.len;
        if (cases[k].rop_id == 0x73)
            put16(&w, 1), put32(&w, 0x0E070003), put32(&w, 1); /* PropertyValueCount, value */
        CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
        CHECK_SPAN(rq.span, 0, w.len);
        CHECK_SPAN(newmail_rop_request_find(&rq, cases[k].name)->span, list, end - list);
        CHECK_EQ(value(&rq, cases[k].name), 1);
        CHECK_EQ(rq.problems, 0);
        if (cases[k].rop_id == 0x73) {
            CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_PROPERTY_VALUES)->span, end + 2, 8);
            CHECK_EQ(value(&rq, NEWMAIL_RQ_PROPERTY_VALUE_COUNT), 1);
        }
        check_cuts(w.b, w.len, NULL);

        /* A type the property reader does not know: nothing after it can
         * be placed. */
        w.b[type_at] = 0x99; /* PropertyType 0x0099 */
        CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_UNREADABLE);
        CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_PROPERTY_VALUE);

        /* An empty list is read in full. */
        w.len = 2 + cases[k].prefix;
        w.b[w.len - 2] = 0;
        if (cases[k].rop_id == 0x73)
            put16(&w, 0); /* PropertyValueCount */
        CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
        CHECK_SPAN(rq.span, 0, w.len);
        flat_ids_tested[cases[k].rop_id]++;
    }
    where[0] = 0;
}

/* Restrictions and sort orders, sized by their counts and then checked by
 * the property reader. */
static void
test_checked_by_props(void)
{
    writer_t w = {0};
    newmail_rop_request_t rq;
    size_t at;

    /* An AndRestriction of an ExistRestriction and a PropertyRestriction
     * (RelOp RELOP_EQ, PidTagMessageClass = "IPM.Note"). */
    WHERE("RopRestrict");
    put8(&w, 0x14), put8(&w, 0), put8(&w, 1), put8(&w, 0x00), put16(&w, 0);
    at = put8(&w, 0x00), put16(&w, 2);
    put8(&w, 0x08), put32(&w, 0x0037001F);
    put8(&w, 0x04), put8(&w, 0x04), put32(&w, 0x001A001E), put32(&w, 0x001A001E);
    put_bytes(&w, "IPM.Note", 9);
    w.b[4] = (uint8_t)(w.len - at);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_SPAN(newmail_rop_request_find(&rq, NEWMAIL_RQ_RESTRICTION_DATA)->span, at, w.len - at);
    CHECK_EQ(rq.problems, 0);
    check_cuts(w.b, w.len, NULL);

    WHERE("RopRestrict, RestrictionDataSize one byte long");
    w.b[4]++, put8(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_RESTRICTION);

    WHERE("RopRestrict, RestrictType 0x0C");
    w.len = 0;
    put8(&w, 0x14), put8(&w, 0), put8(&w, 1), put8(&w, 0x00), put16(&w, 1), put8(&w, 0x0C);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_RESTRICTION);

    WHERE("RopRestrict, no restriction");
    w.len = 0;
    put8(&w, 0x14), put8(&w, 0), put8(&w, 1), put8(&w, 0x00), put16(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, 6);
    CHECK_EQ(rq.problems, 0);

    /* CategorizedCount above SortOrderCount; an Order of 0x02. */
    WHERE("RopSortTable, CategorizedCount 2 of 1");
    w.len = 0;
    put8(&w, 0x13), put8(&w, 0), put8(&w, 1), put8(&w, 0), put16(&w, 1), put16(&w, 2);
    put16(&w, 0), put16(&w, 0x0040), put16(&w, 0x0E06), put8(&w, 0x01);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_SORT_ORDERS);
    w.b[6] = 0; /* CategorizedCount 0 */
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_EQ(rq.problems, 0);
    w.b[w.len - 1] = 0x02;
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_SORT_ORDERS);

    /* PropertyValueSize one byte more than the values. */
    WHERE("RopSetProperties, values short of PropertyValueSize");
    w.len = 0;
    put8(&w, 0x0A), put8(&w, 0), put8(&w, 0), put16(&w, 2 + 8 + 1), put16(&w, 1);
    put32(&w, 0x0E070003), put32(&w, 1), put8(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_READ);
    CHECK_SPAN(rq.span, 0, w.len);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_SIZE);
    where[0] = 0;
}

static void
test_unknown(void)
{
    writer_t w = {0};
    newmail_rop_request_t rq;

    WHERE("reserved RopId 0x00");
    put8(&w, 0x00), put8(&w, 0), put8(&w, 0);
    CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_UNKNOWN);
    CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_UNKNOWN_ID);
    CHECK_SPAN(rq.span, 0, 1);
    CHECK_EQ(rq.nfields, 1);

    static const uint8_t response_only[] = {0x2A, 0x6E, 0xF9, 0xFF};
    for (size_t k = 0; k < COUNT_OF(response_only); k++) {
        WHERE("%s in an input buffer", newmail_rop_name(response_only[k]));
        w.b[0] = response_only[k];
        CHECK_EQ(read_w(&w, NULL, &rq), NEWMAIL_RQ_UNKNOWN);
        CHECK_EQ(rq.problems, NEWMAIL_RQ_PROBLEM_RESPONSE_ONLY);
    }
    where[0] = 0;
}

/* Every RopId of MS-OXCROPS 2.2.2 with a request is tested above. */
static void
test_coverage(void)
{
    static const uint8_t conditional[] = {0x0A, 0x0E, 0x11, 0x1C, 0x29, 0x2C, 0x35, 0x36,
                                          0x4E, 0x56, 0x5F, 0x64, 0x79, 0x80, 0x93};
    unsigned named = 0, covered = 0;

    for (size_t k = 0; k < COUNT_OF(conditional); k++)
        flat_ids_tested[conditional[k]]++;
    for (unsigned id = 0; id < 256; id++) {
        bool response_only = id == 0x2A || id == 0x6E || id == 0xF9 || id == 0xFF;

        if (newmail_rop_name((uint8_t)id) == NULL || response_only)
            continue;
        named++;
        WHERE("RopId 0x%02X %s", id, newmail_rop_name((uint8_t)id));
        CHECK(flat_ids_tested[id] > 0);
        covered += flat_ids_tested[id] > 0;
    }
    where[0] = 0;
    printf("request layouts tested: %u of %u RopIds with a request; %u lists stepped through\n",
           covered, named, lists_stepped);
}

/* Exactly the requests with an OutputHandleIndex create an object. */
static void
test_output_objects(void)
{
    uint8_t bytes[256];
    newmail_rq_logons_t logons;
    unsigned creators = 0;

    memset(bytes, 0, sizeof(bytes));
    memset(&logons, 0, sizeof(logons));
    for (unsigned id = 0; id < 256; id++)
        newmail_rq_logons_set(&logons, (uint8_t)id, NEWMAIL_LOGON_FLAG_PRIVATE);
    for (unsigned id = 0; id < 256; id++) {
        newmail_rop_request_t rq;
        newmail_rq_object_t obj = newmail_rop_request_output_object((uint8_t)id);

        WHERE("RopId 0x%02X %s", id, newmail_rop_name((uint8_t)id));
        bytes[0] = (uint8_t)id;
        newmail_rop_request_read(bytes, 0, sizeof(bytes), &logons, &rq);
        CHECK_EQ(rq.has_output, obj != NEWMAIL_RQ_OBJECT_NONE);
        CHECK_EQ(newmail_rq_object_name(obj) != NULL, obj != NEWMAIL_RQ_OBJECT_NONE);
        creators += obj != NEWMAIL_RQ_OBJECT_NONE;
    }
    CHECK_EQ(creators, 25);
    CHECK_STR(newmail_rq_object_name(newmail_rop_request_output_object(0x29)), "Subscription");
    CHECK(newmail_rq_object_name(NEWMAIL_RQ_OBJECT_COUNT) == NULL);
    where[0] = 0;
}

/* ---- the walk ------------------------------------------------------------------------------ */

static void
test_walk(void)
{
    writer_t r = {0}, w = {0};
    static const uint32_t handles[] = {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
    static const uint8_t expect_ids[] = {0xFE, 0x27, 0x02, 0x05, 0x12, 0x15, 0x29, 0x11, 0x01};
    newmail_rop_request_walk_t walk;
    newmail_rop_request_t rq;
    uint8_t *copy;
    unsigned i = 0;

    /* A session's first call: RopLogon (private), RopGetReceiveFolder,
     * RopOpenFolder, RopGetContentsTable, RopSetColumns, RopQueryRows,
     * RopRegisterNotification, RopSetMessageReadFlag (no ClientData:
     * private logon, learnt from the RopLogon), RopRelease. */
    put8(&r, 0xFE), put8(&r, 0), put8(&r, 0), put8(&r, 0x01), put32(&r, 0x01000000);
    put32(&r, 0), put16(&r, 4), put_bytes(&r, "/o=\0", 4);
    put8(&r, 0x27), put8(&r, 0), put8(&r, 0), put_bytes(&r, "IPM\0", 4);
    put8(&r, 0x02), put8(&r, 0), put8(&r, 0), put8(&r, 1), put64(&r, 0x0100000000000A01ull);
    put8(&r, 0);
    put8(&r, 0x05), put8(&r, 0), put8(&r, 1), put8(&r, 2), put8(&r, 0);
    put8(&r, 0x12), put8(&r, 0), put8(&r, 2), put8(&r, 0), put16(&r, 2), put32(&r, 0x0037001F);
    put32(&r, 0x0E080003);
    put8(&r, 0x15), put8(&r, 0), put8(&r, 2), put8(&r, 0), put8(&r, 1), put16(&r, 50);
    put8(&r, 0x29), put8(&r, 0), put8(&r, 0), put8(&r, 3), put8(&r, 0x02), put8(&r, 0);
    put8(&r, 1);
    put8(&r, 0x11), put8(&r, 0), put8(&r, 1), put8(&r, 2), put8(&r, 0x01);
    put8(&r, 0x01), put8(&r, 0), put8(&r, 2);

    WHERE("a session's call");
    input_buffer(&w, r.b, r.len, handles, COUNT_OF(handles));
    seed(0x00, w.b, w.len);
    copy = exact_copy(w.b, w.len);
    newmail_rop_request_walk_init(&walk, copy, w.len);
    while (newmail_rop_request_next(&walk, &rq)) {
        CHECK_EQ(rq.status, NEWMAIL_RQ_READ);
        CHECK_EQ(rq.problems, 0);
        if (i < COUNT_OF(expect_ids))
            CHECK_EQ(rq.rop_id, expect_ids[i]);
        if (rq.rop_id == 0x07 || rq.rop_id == 0x12) {
            const newmail_rq_field_t *tags =
                newmail_rop_request_find(&rq, NEWMAIL_RQ_PROPERTY_TAGS);

            CHECK_EQ(tags->value, 2);
            CHECK_EQ(newmail_rq_tag(copy, tags, 0), 0x0037001F);
            CHECK_EQ(newmail_rq_tag(copy, tags, 1), 0x0E080003);
        }
        if (rq.rop_id == 0x29)
            CHECK(rq.has_output && rq.output_handle_index == 3);
        i++;
    }
    CHECK_EQ(i, COUNT_OF(expect_ids));
    CHECK_EQ(walk.status, NEWMAIL_RQW_COMPLETE);
    free(copy);

    /* A handle index past the table is flagged. */
    WHERE("a handle index past the table");
    input_buffer(&w, r.b, r.len, handles, 2);
    copy = exact_copy(w.b, w.len);
    newmail_rop_request_walk_init(&walk, copy, w.len);
    i = 0;
    while (newmail_rop_request_next(&walk, &rq)) {
        bool past = rq.rop_id == 0x05 || rq.rop_id == 0x12 || rq.rop_id == 0x15 ||
                    rq.rop_id == 0x29 || rq.rop_id == 0x11 || rq.rop_id == 0x01;

        CHECK_EQ(rq.problems, past ? NEWMAIL_RQ_PROBLEM_HANDLE_INDEX : 0);
        i++;
    }
    CHECK_EQ(walk.status, NEWMAIL_RQW_COMPLETE);
    free(copy);

    /* Without the RopLogon, RopSetMessageReadFlag stops the walk, unless
     * the caller knows the logon. */
    WHERE("a call without its RopLogon");
    {
        size_t skip = 14 + 4; /* the RopLogon request */

        input_buffer(&w, r.b + skip, r.len - skip, handles, COUNT_OF(handles));
        copy = exact_copy(w.b, w.len);
        newmail_rop_request_walk_init(&walk, copy, w.len);
        i = 0;
        while (newmail_rop_request_next(&walk, &rq))
            i++;
        CHECK_EQ(i, 7);
        CHECK_EQ(walk.status, NEWMAIL_RQW_STOPPED);
        CHECK_EQ(walk.stop, NEWMAIL_RQ_NEEDS_LOGON);

        newmail_rop_request_walk_init(&walk, copy, w.len);
        newmail_rop_request_walk_set_logon(&walk, 0, NEWMAIL_LOGON_FLAG_PRIVATE);
        i = 0;
        while (newmail_rop_request_next(&walk, &rq))
            i++;
        CHECK_EQ(i, 8);
        CHECK_EQ(walk.status, NEWMAIL_RQW_COMPLETE);
        free(copy);
    }

    /* RopsList cut inside a request; RopSize past the buffer. */
    WHERE("RopsList ends inside RopQueryRows");
    {
        uint8_t rops[] = {0x01, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00};

        input_buffer(&w, rops, sizeof(rops), handles, 1);
        copy = exact_copy(w.b, w.len);
        newmail_rop_request_walk_init(&walk, copy, w.len);
        CHECK(newmail_rop_request_next(&walk, &rq) && rq.status == NEWMAIL_RQ_READ);
        CHECK(newmail_rop_request_next(&walk, &rq) && rq.status == NEWMAIL_RQ_TRUNCATED);
        CHECK_SPAN(rq.span, 5, 4);
        CHECK(!newmail_rop_request_next(&walk, &rq));
        CHECK_EQ(walk.status, NEWMAIL_RQW_TRUNCATED);
        free(copy);

        input_buffer(&w, rops, sizeof(rops), handles, 0);
        w.b[0] = 0x40; /* RopSize past the end */
        copy = exact_copy(w.b, w.len);
        newmail_rop_request_walk_init(&walk, copy, w.len);
        CHECK(newmail_rop_request_next(&walk, &rq) && rq.status == NEWMAIL_RQ_READ);
        CHECK(newmail_rop_request_next(&walk, &rq) && rq.status == NEWMAIL_RQ_TRUNCATED);
        CHECK_EQ(walk.status, NEWMAIL_RQW_TRUNCATED);
        free(copy);
    }

    WHERE("empty and short buffers");
    {
        static const uint8_t empty[] = {0x02, 0x00};

        copy = exact_copy(empty, 2);
        newmail_rop_request_walk_init(&walk, copy, 2);
        CHECK(!newmail_rop_request_next(&walk, &rq));
        CHECK_EQ(walk.status, NEWMAIL_RQW_COMPLETE);
        free(copy);
        copy = exact_copy(empty, 1);
        newmail_rop_request_walk_init(&walk, copy, 1);
        CHECK(!newmail_rop_request_next(&walk, &rq));
        CHECK_EQ(walk.status, NEWMAIL_RQW_TRUNCATED);
        free(copy);
        newmail_rop_request_walk_init(&walk, NULL, 0);
        CHECK(!newmail_rop_request_next(&walk, &rq));
    }
    where[0] = 0;
}

static void
test_names(void)
{
    CHECK_STR(newmail_rq_field_name(NEWMAIL_RQ_ROP_ID), "RopId");
    CHECK_STR(newmail_rq_field_name(NEWMAIL_RQ_NOTIFICATION_TYPES), "NotificationTypes");
    CHECK_STR(newmail_rq_field_name(NEWMAIL_RQ_LONG_TERM_ID_RANGES), "LongTermIdRanges");
    CHECK(newmail_rq_field_name(NEWMAIL_RQ_NAME_COUNT) == NULL);
    /* Names are unique. */
    for (unsigned i = 0; i < NEWMAIL_RQ_NAME_COUNT; i++) {
        for (unsigned j = i + 1; j < NEWMAIL_RQ_NAME_COUNT; j++) {
            if (strcmp(newmail_rq_field_name(i), newmail_rq_field_name(j)) == 0) {
                WHERE("%s twice", newmail_rq_field_name(i));
                CHECK(false);
            }
        }
    }
    where[0] = 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
        seed_dir = argv[2];
    test_names();
    test_spec_vectors();
    test_flat_layouts();
    test_register_notification();
    test_babe();
    test_logon_dependent();
    test_strings();
    test_sized_lists();
    test_value_lists();
    test_checked_by_props();
    test_unknown();
    test_coverage();
    test_output_objects();
    test_walk();
    return checks_report();
}
