/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rop-response.c: every ROP response of MS-OXCROPS 2.2, read with the
 * request of the call and the session's table columns (see
 * newmail-rop-response.h for the readings chosen and what stops a walk).
 */
#include "newmail-rop-response.h"

#include <string.h>

#include "newmail-props.h"

/* ---- names ------------------------------------------------------------------------ */

static const char *const rs_names[] = {
#define NEWMAIL_RS_STR(sym, str) str,
    NEWMAIL_RS_NAMES(NEWMAIL_RS_STR)
#undef NEWMAIL_RS_STR
};

const char *
newmail_rs_field_name(unsigned name)
{
    return name < NEWMAIL_RS_NAME_COUNT ? rs_names[name] : NULL;
}

const newmail_rs_field_t *
newmail_rop_response_find(const newmail_rop_response_t *r, unsigned name)
{
    for (unsigned i = 0; i < r->nfields; i++)
        if (r->rs[i].name == name)
            return &r->rs[i];
    return NULL;
}

/* ---- the handle index each response carries (MS-OXCROPS 2.2.3-2.2.13) ------------ */

/* clang-format off */
static unsigned
handle_name(uint8_t rop_id)
{
    switch (rop_id) {
    case 0xFE: case 0x02: case 0x03: case 0x04: case 0x05: case 0x06: case 0x1C:
    case 0x21: case 0x22: case 0x23: case 0x29: case 0x2B: case 0x3B: case 0x3E:
    case 0x3F: case 0x46: case 0x4B: case 0x4C: case 0x4D: case 0x53: case 0x69:
    case 0x70: case 0x72: case 0x7E: case 0x82:
        return NEWMAIL_RS_OUTPUT_HANDLE_INDEX;
    case 0x0C: case 0x11: case 0x25:
        return NEWMAIL_RS_RESPONSE_HANDLE_INDEX;
    case 0x33: case 0x35: case 0x36: case 0x39: case 0x3A: case 0x67:
        return NEWMAIL_RS_SOURCE_HANDLE_INDEX;
    default:
        return NEWMAIL_RS_INPUT_HANDLE_INDEX;
    }
}
/* clang-format on */

/* ---- recording fields --------------------------------------------------------------- */

/* The fixed fields of newmail_rop_response_t the tree already shows. */
static int
legacy_field(unsigned name)
{
    switch (name) {
    case NEWMAIL_RS_ROP_ID:
        return NEWMAIL_RF_ROP_ID;
    case NEWMAIL_RS_INPUT_HANDLE_INDEX:
    case NEWMAIL_RS_OUTPUT_HANDLE_INDEX:
    case NEWMAIL_RS_RESPONSE_HANDLE_INDEX:
    case NEWMAIL_RS_SOURCE_HANDLE_INDEX:
        return NEWMAIL_RF_HANDLE_INDEX;
    case NEWMAIL_RS_RETURN_VALUE:
        return NEWMAIL_RF_RETURN_VALUE;
    case NEWMAIL_RS_HAS_RULES:
        return NEWMAIL_RF_HAS_RULES;
    case NEWMAIL_RS_IS_GHOSTED:
        return NEWMAIL_RF_IS_GHOSTED;
    case NEWMAIL_RS_SERVER_COUNT:
        return NEWMAIL_RF_SERVER_COUNT;
    case NEWMAIL_RS_CHEAP_SERVER_COUNT:
        return NEWMAIL_RF_CHEAP_SERVER_COUNT;
    case NEWMAIL_RS_SERVERS:
        return NEWMAIL_RF_SERVERS;
    case NEWMAIL_RS_TABLE_STATUS:
        return NEWMAIL_RF_TABLE_STATUS;
    default:
        return -1;
    }
}

static void
put(newmail_rop_response_t *r, unsigned name, unsigned kind, newmail_span_t sp, uint64_t v)
{
    int lf = legacy_field(name);

    /* The response's own handle index, not RopSaveChangesMessage's second one. */
    if (lf == NEWMAIL_RF_HANDLE_INDEX && (r->fields_read & (1u << lf)))
        lf = -1;
    if (lf >= 0) {
        r->field[lf] = sp;
        r->value[lf] = (uint32_t)v;
        r->fields_read |= 1u << lf;
    }
    /* No layout has more fields than the array (checked by the tests); the
     * bound only keeps a future mistake from writing past it. */
    if (r->nfields < NEWMAIL_RS_MAX_FIELDS)
        r->rs[r->nfields++] = (newmail_rs_field_t){(uint16_t)name, (uint8_t)kind, sp, v};
}

/* An integer field of 1, 2, 4 or 8 bytes. */
static bool
fint(newmail_cursor_t *c, newmail_rop_response_t *r, unsigned name, size_t size, uint64_t *v)
{
    newmail_span_t sp;
    const uint8_t *p;
    uint64_t x;
    unsigned kind;

    if (!newmail_cursor_take(c, 1, size, &sp))
        return false;
    p = c->buf + sp.offset;
    switch (size) {
    case 1:
        x = p[0];
        kind = NEWMAIL_RSK_U8;
        break;
    case 2:
        x = newmail_le16(p);
        kind = NEWMAIL_RSK_U16;
        break;
    case 4:
        x = newmail_le32(p);
        kind = NEWMAIL_RSK_U32;
        break;
    default:
        x = newmail_le64(p);
        kind = NEWMAIL_RSK_U64;
        break;
    }
    if (name == NEWMAIL_RS_ROWS_SOUGHT)
        kind = NEWMAIL_RSK_I32;
    else if (size == 1 &&
             (name == NEWMAIL_RS_INPUT_HANDLE_INDEX || name == NEWMAIL_RS_OUTPUT_HANDLE_INDEX ||
              name == NEWMAIL_RS_RESPONSE_HANDLE_INDEX || name == NEWMAIL_RS_SOURCE_HANDLE_INDEX))
        kind = NEWMAIL_RSK_HANDLE_INDEX;
    put(r, name, kind, sp, x);
    if (v)
        *v = x;
    return true;
}

/* n bytes of the given kind; value = the element count given. */
static bool
fbytes(newmail_cursor_t *c, newmail_rop_response_t *r, unsigned name, unsigned kind, size_t n,
       uint64_t value)
{
    newmail_span_t sp;

    if (!newmail_cursor_take(c, 1, n, &sp))
        return false;
    put(r, name, kind, sp, value);
    return true;
}

/* count null-terminated 8-bit strings as one field. */
static newmail_rop_status_t
fstrings8(newmail_cursor_t *c, newmail_rop_response_t *r, unsigned name, uint64_t count)
{
    size_t first = c->pos, chars;
    newmail_span_t one;

    for (uint64_t i = 0; i < count; i++) {
        if (!newmail_cursor_take_string(c, 1, &one, &chars)) {
            r->problems |= NEWMAIL_ROP_PROBLEM_UNTERMINATED;
            c->pos = c->end;
            return NEWMAIL_ROP_TRUNCATED;
        }
    }
    put(r, name, NEWMAIL_RSK_STRINGS8, newmail_span(first, c->pos - first), count);
    return NEWMAIL_ROP_SIZED;
}

static newmail_rop_status_t
fstring8(newmail_cursor_t *c, newmail_rop_response_t *r, unsigned name)
{
    newmail_span_t sp;
    size_t chars;

    if (!newmail_cursor_take_string(c, 1, &sp, &chars)) {
        r->problems |= NEWMAIL_ROP_PROBLEM_UNTERMINATED;
        c->pos = c->end;
        return NEWMAIL_ROP_TRUNCATED;
    }
    put(r, name, NEWMAIL_RSK_STRING8, sp, chars);
    return NEWMAIL_ROP_SIZED;
}

/* TypedString (MS-OXCROPS 2.2.6.1.2.1 SubjectPrefix/NormalizedSubject). */
static newmail_rop_status_t
ftyped_string(newmail_cursor_t *c, newmail_rop_response_t *r, unsigned name)
{
    size_t start = c->pos, chars;
    newmail_span_t sp;
    uint8_t type;

    if (!newmail_cursor_take(c, 1, 1, &sp))
        return NEWMAIL_ROP_TRUNCATED;
    type = c->buf[sp.offset];
    if (type > 4) {
        r->problems |= NEWMAIL_ROP_PROBLEM_VALUE;
        return NEWMAIL_ROP_UNSIZED;
    }
    if (type >= 2 && !newmail_cursor_take_string(c, type == 4 ? 2 : 1, &sp, &chars)) {
        r->problems |= NEWMAIL_ROP_PROBLEM_UNTERMINATED;
        c->pos = c->end;
        return NEWMAIL_ROP_TRUNCATED;
    }
    put(r, name, NEWMAIL_RSK_TYPED_STRING, newmail_span(start, c->pos - start), type);
    return NEWMAIL_ROP_SIZED;
}

/* A 16-bit count then count elements of `each` bytes. */
static bool
fcounted(newmail_cursor_t *c, newmail_rop_response_t *r, unsigned count_name, size_t count_size,
         unsigned list_name, unsigned kind, size_t each)
{
    uint64_t n;

    return fint(c, r, count_name, count_size, &n) && fbytes(c, r, list_name, kind, n * each, n);
}

/* Maps a property reader failure to the walk's status. */
static newmail_rop_status_t
prop_fail(newmail_rop_response_t *r, unsigned problems)
{
    if (problems & NEWMAIL_PROP_PROBLEM_TRUNCATED)
        return NEWMAIL_ROP_TRUNCATED;
    r->problems |= NEWMAIL_ROP_PROBLEM_PROPERTY;
    return NEWMAIL_ROP_UNSIZED;
}

/* count TaggedPropertyValues (MS-OXCDATA 2.11.4) as one field. */
static newmail_rop_status_t
ftagged_values(newmail_cursor_t *c, newmail_rop_response_t *r, uint64_t count)
{
    size_t first = c->pos;

    for (uint64_t i = 0; i < count; i++) {
        newmail_tagged_value_t tv;

        if (!newmail_tagged_value_read(c, &tv))
            return prop_fail(r, tv.problems);
        if (tv.problems)
            r->problems |= NEWMAIL_ROP_PROBLEM_PROPERTY;
    }
    put(r, NEWMAIL_RS_PROPERTY_VALUES, NEWMAIL_RSK_TAGGED_VALUES,
        newmail_span(first, c->pos - first), count);
    return NEWMAIL_ROP_SIZED;
}

/* One PropertyRow (MS-OXCDATA 2.8.1) in cols, read the way
 * newmail_property_row_read() reads it (which wants host-order tags). */
static bool
row_read(newmail_cursor_t *c, const newmail_rop_columns_t *cols, unsigned *problems)
{
    size_t start = c->pos;
    newmail_span_t sp;
    uint8_t flag;

    if (!newmail_cursor_take(c, 1, 1, &sp)) {
        *problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
        return false;
    }
    flag = c->buf[sp.offset];
    if (flag != NEWMAIL_PROP_ROW_STANDARD && flag != NEWMAIL_PROP_ROW_FLAGGED) {
        *problems |= NEWMAIL_PROP_PROBLEM_BAD_ROW_FLAG;
        goto fail;
    }
    for (size_t i = 0; i < cols->count; i++) {
        uint16_t type = NEWMAIL_PROP_TYPE(newmail_rop_column_tag(cols, i));
        bool unspecified = type == NEWMAIL_PT_UNSPECIFIED, ok;

        if (newmail_prop_value_type(type) == NEWMAIL_PT_NULL) {
            /* No bytes per value: not a column a table can have. */
            *problems |= NEWMAIL_PROP_PROBLEM_TYPE_NOT_ALLOWED;
            goto fail;
        }
        if (flag == NEWMAIL_PROP_ROW_FLAGGED || unspecified) {
            newmail_tagged_value_t tv;

            ok = flag == NEWMAIL_PROP_ROW_FLAGGED
                     ? newmail_flagged_value_read(c, type, unspecified, &tv)
                     : newmail_typed_value_read(c, &tv);
            *problems |= tv.problems;
        } else {
            newmail_prop_value_t v;

            ok = newmail_prop_value_read(c, type, &v);
            *problems |= v.problems;
        }
        if (!ok)
            goto fail;
    }
    return true;
fail:
    c->pos = start;
    return false;
}

/* count PropertyRows in r->columns as one field named `name`. */
static newmail_rop_status_t
frows(newmail_cursor_t *c, newmail_rop_response_t *r, unsigned name, unsigned kind, uint64_t count)
{
    size_t first = c->pos;
    unsigned problems = 0;

    for (uint64_t i = 0; i < count; i++) {
        if (!row_read(c, &r->columns, &problems))
            return prop_fail(r, problems);
    }
    if (problems)
        r->problems |= NEWMAIL_ROP_PROBLEM_PROPERTY;
    put(r, name, kind, newmail_span(first, c->pos - first),
        kind == NEWMAIL_RSK_PROPERTY_ROW ? r->columns.count : count);
    return NEWMAIL_ROP_SIZED;
}

/* count PropertyNames (MS-OXCDATA 2.6.1): Kind, Guid, then LID (Kind 0),
 * NameSize and Name (Kind 1) or nothing (Kind 0xFF). */
static newmail_rop_status_t
fproperty_names(newmail_cursor_t *c, newmail_rop_response_t *r, uint64_t count)
{
    size_t first = c->pos;
    newmail_span_t sp;

    for (uint64_t i = 0; i < count; i++) {
        uint8_t kind;

        if (!newmail_cursor_take(c, 1, 17, &sp))
            return NEWMAIL_ROP_TRUNCATED;
        kind = c->buf[sp.offset];
        if (kind == 0x00) {
            if (!newmail_cursor_take(c, 1, 4, &sp))
                return NEWMAIL_ROP_TRUNCATED;
        } else if (kind == 0x01) {
            if (!newmail_cursor_take(c, 1, 1, &sp) ||
                !newmail_cursor_take(c, 1, c->buf[sp.offset], &sp))
                return NEWMAIL_ROP_TRUNCATED;
        } else if (kind != 0xFF) {
            r->problems |= NEWMAIL_ROP_PROBLEM_VALUE;
            return NEWMAIL_ROP_UNSIZED;
        }
    }
    put(r, NEWMAIL_RS_PROPERTY_NAMES, NEWMAIL_RSK_PROPERTY_NAMES,
        newmail_span(first, c->pos - first), count);
    return NEWMAIL_ROP_SIZED;
}

/* count OpenRecipientRows (RecipientType u8, CodePageId u16, Reserved u16,
 * RecipientRowSize u16, RecipientRow), ReadRecipientRows with RowId u32 first. */
static bool
frecipient_rows(newmail_cursor_t *c, newmail_rop_response_t *r, uint64_t count, bool read_rows)
{
    size_t first = c->pos;
    newmail_span_t sp;

    for (uint64_t i = 0; i < count; i++) {
        if (!newmail_cursor_take(c, 1, read_rows ? 11 : 7, &sp) ||
            !newmail_cursor_take(c, 1, newmail_le16(c->buf + sp.offset + sp.length - 2), &sp))
            return false;
    }
    put(r, NEWMAIL_RS_RECIPIENT_ROWS, NEWMAIL_RSK_RECIPIENT_ROWS,
        newmail_span(first, c->pos - first), count);
    return true;
}

/* HasRules/IsGhosted/servers of RopOpenFolder and RopCreateFolder; also
 * RopPublicFolderIsGhosted with its own names. */
static newmail_rop_status_t
ghosted(newmail_cursor_t *c, newmail_rop_response_t *r, unsigned count_name, unsigned cheap_name,
        unsigned servers_name)
{
    uint64_t ghost, n;

    if (!fint(c, r, NEWMAIL_RS_IS_GHOSTED, 1, &ghost))
        return NEWMAIL_ROP_TRUNCATED;
    if (ghost == 0)
        return NEWMAIL_ROP_SIZED;
    if (!fint(c, r, count_name, 2, &n) || !fint(c, r, cheap_name, 2, NULL))
        return NEWMAIL_ROP_TRUNCATED;
    return fstrings8(c, r, servers_name, n);
}

/* RopOpenMessage, RopReloadCachedInformation, RopOpenEmbeddedMessage after
 * what precedes HasNamedProperties. */
static newmail_rop_status_t
message_header(newmail_cursor_t *c, newmail_rop_response_t *r)
{
    newmail_rop_status_t st;
    uint64_t ncols, nrows;

    if (!fint(c, r, NEWMAIL_RS_HAS_NAMED_PROPERTIES, 1, NULL))
        return NEWMAIL_ROP_TRUNCATED;
    if ((st = ftyped_string(c, r, NEWMAIL_RS_SUBJECT_PREFIX)) != NEWMAIL_ROP_SIZED ||
        (st = ftyped_string(c, r, NEWMAIL_RS_NORMALIZED_SUBJECT)) != NEWMAIL_ROP_SIZED)
        return st;
    if (!fint(c, r, NEWMAIL_RS_RECIPIENT_COUNT, 2, NULL) ||
        !fint(c, r, NEWMAIL_RS_COLUMN_COUNT, 2, &ncols) ||
        !fbytes(c, r, NEWMAIL_RS_RECIPIENT_COLUMNS, NEWMAIL_RSK_TAGS, ncols * 4, ncols) ||
        !fint(c, r, NEWMAIL_RS_ROW_COUNT, 1, &nrows) || !frecipient_rows(c, r, nrows, false))
        return NEWMAIL_ROP_TRUNCATED;
    return NEWMAIL_ROP_SIZED;
}

/* ---- columns of a table --------------------------------------------------------------- */

static bool
bit(const uint8_t *set, uint8_t i)
{
    return (set[i / 8] >> (i % 8)) & 1;
}

static void
set_bit(uint8_t *set, uint8_t i, bool on)
{
    if (on)
        set[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        set[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

/* Finds the columns of the table at handle index idx for the response
 * answering request rq_index: a RopSetColumns earlier in this call, else the
 * callback, unless the index got a new object in this call. */
static newmail_rop_status_t
table_columns(newmail_rop_walk_t *walk, size_t rq_index, uint8_t idx, newmail_rop_response_t *r)
{
    const newmail_rop_context_t *ctx = walk->ctx;
    const uint32_t *tags;
    size_t count;

    if (ctx->requests != NULL && rq_index != NEWMAIL_ROP_NO_REQUEST) {
        /* Learn from the requests not applied yet; rq_index only grows. */
        for (; walk->applied < rq_index && walk->applied < ctx->request_count; walk->applied++) {
            const newmail_rop_request_t *q = &ctx->requests[walk->applied];

            if (q->rop_id == NEWMAIL_ROP_SET_COLUMNS && q->has_input)
                walk->columns_request[q->input_handle_index] = (uint32_t)walk->applied + 1;
            if (q->has_output) {
                walk->columns_request[q->output_handle_index] = 0;
                set_bit(walk->request_made, q->output_handle_index, true);
            }
        }
        if (walk->columns_request[idx] != 0) {
            const newmail_rop_request_t *q = &ctx->requests[walk->columns_request[idx] - 1];
            const newmail_rq_field_t *f = newmail_rop_request_find(q, NEWMAIL_RQ_PROPERTY_TAGS);

            if (f == NULL || ctx->request_buf == NULL || f->span.offset > ctx->request_len ||
                f->value * 4 > ctx->request_len - f->span.offset)
                return NEWMAIL_ROP_NEEDS_REQUEST;
            r->columns =
                (newmail_rop_columns_t){NULL, ctx->request_buf + f->span.offset, (size_t)f->value};
            r->has_columns = true;
            return NEWMAIL_ROP_SIZED;
        }
        if (bit(walk->request_made, idx))
            return NEWMAIL_ROP_NEEDS_COLUMNS; /* a new object, no columns set yet */
    } else {
        /* No requests: the responses of this call still show a new object or
         * columns set on this index, whose tags only the request has. */
        if (bit(walk->set_columns, idx))
            return NEWMAIL_ROP_NEEDS_REQUEST;
        if (bit(walk->made, idx))
            return NEWMAIL_ROP_NEEDS_COLUMNS;
    }
    if (ctx->table_columns != NULL && ctx->table_columns(ctx->ctx, idx, &tags, &count) &&
        (tags != NULL || count == 0)) {
        r->columns = (newmail_rop_columns_t){tags, NULL, count};
        r->has_columns = true;
        return NEWMAIL_ROP_SIZED;
    }
    return NEWMAIL_ROP_NEEDS_COLUMNS;
}

/* ---- one response ---------------------------------------------------------------------- */

#define T(expr)                                                                                    \
    do {                                                                                           \
        if (!(expr))                                                                               \
            return NEWMAIL_ROP_TRUNCATED;                                                          \
    } while (0)
#define S(expr)                                                                                    \
    do {                                                                                           \
        newmail_rop_status_t st_ = (expr);                                                         \
        if (st_ != NEWMAIL_ROP_SIZED)                                                              \
            return st_;                                                                            \
    } while (0)

#define EC_WRONG_SERVER 0x00000478u
#define EC_SERVER_BUSY 0x00000480u
#define EC_DST_NULL_OBJECT 0x00000503u

/* Fields after ReturnValue that come whatever its value. */
static newmail_rop_status_t
read_always(newmail_cursor_t *c, newmail_rop_response_t *r, uint32_t rv, bool *done)
{
    uint64_t n;

    *done = true;
    switch (r->rop_id) {
    case 0x1D:
    case 0x1E:
    case 0x58:
    case 0x66:
    case 0x91:
    case 0x92:
        T(fint(c, r, NEWMAIL_RS_PARTIAL_COMPLETION, 1, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x33:
    case 0x35:
    case 0x36:
        if (rv == EC_DST_NULL_OBJECT)
            T(fint(c, r, NEWMAIL_RS_DEST_HANDLE_INDEX, 4, NULL));
        T(fint(c, r, NEWMAIL_RS_PARTIAL_COMPLETION, 1, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x3A:
        if (rv == EC_DST_NULL_OBJECT)
            T(fint(c, r, NEWMAIL_RS_DEST_HANDLE_INDEX, 4, NULL));
        T(fint(c, r, NEWMAIL_RS_READ_BYTE_COUNT, 8, NULL));
        T(fint(c, r, NEWMAIL_RS_WRITTEN_BYTE_COUNT, 8, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x2C:
        T(fint(c, r, NEWMAIL_RS_DATA_SIZE, 2, &n));
        T(fbytes(c, r, NEWMAIL_RS_DATA, NEWMAIL_RSK_BYTES, n, n));
        return NEWMAIL_ROP_SIZED;
    case 0x2D:
    case 0x90:
        T(fint(c, r, NEWMAIL_RS_WRITTEN_SIZE, 2, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0xA3:
        T(fint(c, r, NEWMAIL_RS_WRITTEN_SIZE, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x54:
    case 0x9D: {
        size_t w = r->rop_id == 0x9D ? 4 : 2;

        T(fint(c, r, NEWMAIL_RS_TRANSFER_STATUS, 2, NULL));
        T(fint(c, r, NEWMAIL_RS_IN_PROGRESS_COUNT, w, NULL));
        T(fint(c, r, NEWMAIL_RS_TOTAL_STEP_COUNT, w, NULL));
        T(fint(c, r, NEWMAIL_RS_RESERVED, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_BUFFER_USED_SIZE, 2, NULL));
        return NEWMAIL_ROP_SIZED;
    }
    case 0x4E:
        if (rv == EC_SERVER_BUSY) {
            T(fint(c, r, NEWMAIL_RS_BACKOFF_TIME, 4, NULL));
            return NEWMAIL_ROP_SIZED;
        }
        T(fint(c, r, NEWMAIL_RS_TRANSFER_STATUS, 2, NULL));
        T(fint(c, r, NEWMAIL_RS_IN_PROGRESS_COUNT, 2, NULL));
        T(fint(c, r, NEWMAIL_RS_TOTAL_STEP_COUNT, 2, NULL));
        T(fint(c, r, NEWMAIL_RS_RESERVED, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_TRANSFER_BUFFER_SIZE, 2, &n));
        T(fbytes(c, r, NEWMAIL_RS_TRANSFER_BUFFER, NEWMAIL_RSK_BYTES, n, n));
        return NEWMAIL_ROP_SIZED;
    case 0x39:
    case 0x67:
        if (rv == EC_DST_NULL_OBJECT) {
            T(fint(c, r, NEWMAIL_RS_DEST_HANDLE_INDEX, 4, NULL));
            return NEWMAIL_ROP_SIZED;
        }
        break;
    case 0xFE:
        if (rv == EC_WRONG_SERVER) {
            T(fint(c, r, NEWMAIL_RS_LOGON_FLAGS, 1, NULL));
            T(fint(c, r, NEWMAIL_RS_SERVER_NAME_SIZE, 1, &n));
            T(fbytes(c, r, NEWMAIL_RS_SERVER_NAME, NEWMAIL_RSK_BYTES, n, n));
            if (n == 0 || c->buf[c->pos - 1] != 0)
                r->problems |= NEWMAIL_ROP_PROBLEM_UNTERMINATED;
            return NEWMAIL_ROP_SIZED;
        }
        break;
    default:
        break;
    }
    *done = false;
    return NEWMAIL_ROP_SIZED;
}

static const uint32_t receive_folder_columns[] = {
    NEWMAIL_PROP_TAG(0x6748, NEWMAIL_PT_INTEGER64), /* PidTagFolderId */
    NEWMAIL_PROP_TAG(0x001A, NEWMAIL_PT_STRING8),   /* PidTagMessageClass */
    NEWMAIL_PROP_TAG(0x3008, NEWMAIL_PT_TIME),      /* PidTagLastModificationTime */
};

/* The success fields after ReturnValue 0. */
static newmail_rop_status_t
read_success(newmail_cursor_t *c, newmail_rop_walk_t *walk, const newmail_rop_request_t *rq,
             newmail_rop_response_t *r)
{
    uint64_t n, m;

    switch (r->rop_id) {
    case 0xFE: { /* RopLogon */
        const newmail_rq_field_t *lf =
            rq ? newmail_rop_request_find(rq, NEWMAIL_RQ_LOGON_FLAGS) : NULL;
        bool priv;

        if (lf == NULL)
            return NEWMAIL_ROP_NEEDS_REQUEST;
        priv = (lf->value & NEWMAIL_LOGON_FLAG_PRIVATE) != 0;
        T(fint(c, r, NEWMAIL_RS_LOGON_FLAGS, 1, &n));
        if (((n & NEWMAIL_LOGON_FLAG_PRIVATE) != 0) != priv)
            r->problems |= NEWMAIL_ROP_PROBLEM_LOGON_FLAGS;
        T(fbytes(c, r, NEWMAIL_RS_FOLDER_IDS, NEWMAIL_RSK_IDS, 13 * 8, 13));
        if (priv) {
            T(fint(c, r, NEWMAIL_RS_RESPONSE_FLAGS, 1, NULL));
            T(fbytes(c, r, NEWMAIL_RS_MAILBOX_GUID, NEWMAIL_RSK_GUID, 16, 0));
            T(fint(c, r, NEWMAIL_RS_REPL_ID, 2, NULL));
            T(fbytes(c, r, NEWMAIL_RS_REPL_GUID, NEWMAIL_RSK_GUID, 16, 0));
            T(fbytes(c, r, NEWMAIL_RS_LOGON_TIME, NEWMAIL_RSK_LOGON_TIME, 8, 0));
            T(fint(c, r, NEWMAIL_RS_GWART_TIME, 8, NULL));
            T(fint(c, r, NEWMAIL_RS_STORE_STATE, 4, NULL));
        } else {
            T(fint(c, r, NEWMAIL_RS_REPL_ID, 2, NULL));
            T(fbytes(c, r, NEWMAIL_RS_REPL_GUID, NEWMAIL_RSK_GUID, 16, 0));
            T(fbytes(c, r, NEWMAIL_RS_PER_USER_GUID, NEWMAIL_RSK_GUID, 16, 0));
        }
        return NEWMAIL_ROP_SIZED;
    }
    case 0x02: /* RopOpenFolder */
        T(fint(c, r, NEWMAIL_RS_HAS_RULES, 1, NULL));
        return ghosted(c, r, NEWMAIL_RS_SERVER_COUNT, NEWMAIL_RS_CHEAP_SERVER_COUNT,
                       NEWMAIL_RS_SERVERS);
    case 0x03:
    case 0x10: /* RopOpenMessage, RopReloadCachedInformation */
        return message_header(c, r);
    case 0x46: /* RopOpenEmbeddedMessage */
        T(fint(c, r, NEWMAIL_RS_RESERVED, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_MESSAGE_ID, 8, NULL));
        return message_header(c, r);
    case 0x04:
    case 0x05: /* RopGetHierarchyTable, RopGetContentsTable */
        T(fint(c, r, NEWMAIL_RS_ROW_COUNT, 4, &n));
        r->value[NEWMAIL_RF_ROW_COUNT] = (uint32_t)n;
        r->field[NEWMAIL_RF_ROW_COUNT] = r->rs[r->nfields - 1].span;
        r->fields_read |= 1u << NEWMAIL_RF_ROW_COUNT;
        return NEWMAIL_ROP_SIZED;
    case 0x06: /* RopCreateMessage */
        T(fint(c, r, NEWMAIL_RS_HAS_MESSAGE_ID, 1, &n));
        if (n)
            T(fint(c, r, NEWMAIL_RS_MESSAGE_ID, 8, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x07: { /* RopGetPropertiesSpecific: a PropertyRow in the request's tags */
        const newmail_rq_field_t *f =
            rq ? newmail_rop_request_find(rq, NEWMAIL_RQ_PROPERTY_TAGS) : NULL;
        const newmail_rop_context_t *ctx = walk->ctx;

        if (f == NULL || ctx->request_buf == NULL || f->span.offset > ctx->request_len ||
            f->value * 4 > ctx->request_len - f->span.offset)
            return NEWMAIL_ROP_NEEDS_REQUEST;
        r->columns =
            (newmail_rop_columns_t){NULL, ctx->request_buf + f->span.offset, (size_t)f->value};
        r->has_columns = true;
        return frows(c, r, NEWMAIL_RS_ROW_DATA, NEWMAIL_RSK_PROPERTY_ROW, 1);
    }
    case 0x08: /* RopGetPropertiesAll */
        T(fint(c, r, NEWMAIL_RS_PROPERTY_VALUE_COUNT, 2, &n));
        return ftagged_values(c, r, n);
    case 0x09:
    case 0x37: /* RopGetPropertiesList, RopQueryColumnsAll */
        T(fcounted(c, r, NEWMAIL_RS_PROPERTY_TAG_COUNT, 2, NEWMAIL_RS_PROPERTY_TAGS,
                   NEWMAIL_RSK_TAGS, 4));
        return NEWMAIL_ROP_SIZED;
    case 0x0A:
    case 0x0B:
    case 0x79:
    case 0x7A:
    case 0x39:
    case 0x67:
        /* Set/DeleteProperties(NoReplicate), CopyTo, CopyProperties */
        T(fcounted(c, r, NEWMAIL_RS_PROPERTY_PROBLEM_COUNT, 2, NEWMAIL_RS_PROPERTY_PROBLEMS,
                   NEWMAIL_RSK_PROPERTY_PROBLEMS, 10));
        return NEWMAIL_ROP_SIZED;
    case 0x0C: /* RopSaveChangesMessage */
        T(fint(c, r, NEWMAIL_RS_INPUT_HANDLE_INDEX, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_MESSAGE_ID, 8, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x0F: /* RopReadRecipients */
        T(fint(c, r, NEWMAIL_RS_ROW_COUNT, 1, &n));
        T(frecipient_rows(c, r, n, true));
        return NEWMAIL_ROP_SIZED;
    case 0x11: /* RopSetMessageReadFlag */
        T(fint(c, r, NEWMAIL_RS_READ_STATUS_CHANGED, 1, &n));
        if (n) {
            T(fint(c, r, NEWMAIL_RS_LOGON_ID, 1, NULL));
            T(fbytes(c, r, NEWMAIL_RS_CLIENT_DATA, NEWMAIL_RSK_BYTES, 24, 24));
        }
        return NEWMAIL_ROP_SIZED;
    case 0x12:
    case 0x13:
    case 0x14:
    case 0x16:
    case 0x38:
        /* RopSetColumns, RopSortTable, RopRestrict, RopGetStatus, RopAbort */
        T(fint(c, r, NEWMAIL_RS_TABLE_STATUS, 1, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x15: /* RopQueryRows */
        T(fint(c, r, NEWMAIL_RS_ORIGIN, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_ROW_COUNT, 2, &n));
        if (n == 0)
            return NEWMAIL_ROP_SIZED;
        S(table_columns(walk, r->request_index, (uint8_t)r->value[NEWMAIL_RF_HANDLE_INDEX], r));
        return frows(c, r, NEWMAIL_RS_ROW_DATA, NEWMAIL_RSK_PROPERTY_ROWS, n);
    case 0x17: /* RopQueryPosition */
        T(fint(c, r, NEWMAIL_RS_NUMERATOR, 4, NULL));
        T(fint(c, r, NEWMAIL_RS_DENOMINATOR, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x18: /* RopSeekRow */
        T(fint(c, r, NEWMAIL_RS_HAS_SOUGHT_LESS, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_ROWS_SOUGHT, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x19: /* RopSeekRowBookmark */
        T(fint(c, r, NEWMAIL_RS_ROW_NO_LONGER_VISIBLE, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_HAS_SOUGHT_LESS, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_ROWS_SOUGHT, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x1B:
    case 0x6C: /* RopCreateBookmark, RopSetCollapseState */
        T(fcounted(c, r, NEWMAIL_RS_BOOKMARK_SIZE, 2, NEWMAIL_RS_BOOKMARK, NEWMAIL_RSK_BYTES, 1));
        return NEWMAIL_ROP_SIZED;
    case 0x1C: /* RopCreateFolder */
        T(fint(c, r, NEWMAIL_RS_FOLDER_ID, 8, NULL));
        T(fint(c, r, NEWMAIL_RS_IS_EXISTING_FOLDER, 1, &n));
        if (n == 0)
            return NEWMAIL_ROP_SIZED;
        T(fint(c, r, NEWMAIL_RS_HAS_RULES, 1, NULL));
        return ghosted(c, r, NEWMAIL_RS_SERVER_COUNT, NEWMAIL_RS_CHEAP_SERVER_COUNT,
                       NEWMAIL_RS_SERVERS);
    case 0x1F:
    case 0x20: /* RopGetMessageStatus, RopSetMessageStatus */
        T(fint(c, r, NEWMAIL_RS_MESSAGE_STATUS_FLAGS, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x23: /* RopCreateAttachment */
        T(fint(c, r, NEWMAIL_RS_ATTACHMENT_ID, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x27: /* RopGetReceiveFolder */
        T(fint(c, r, NEWMAIL_RS_FOLDER_ID, 8, NULL));
        return fstring8(c, r, NEWMAIL_RS_EXPLICIT_MESSAGE_CLASS);
    case 0x2B:
    case 0x5E: /* RopOpenStream, RopGetStreamSize */
        T(fint(c, r, NEWMAIL_RS_STREAM_SIZE, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x2E: /* RopSeekStream */
        T(fint(c, r, NEWMAIL_RS_NEW_POSITION, 8, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x31: { /* RopGetSearchCriteria */
        newmail_cursor_t rc;
        unsigned problems = 0;

        T(fint(c, r, NEWMAIL_RS_RESTRICTION_DATA_SIZE, 2, &n));
        T(fbytes(c, r, NEWMAIL_RS_RESTRICTION_DATA, NEWMAIL_RSK_RESTRICTION, n, n));
        if (n) {
            rc = newmail_cursor(c->buf, c->pos - n, c->pos);
            if (!newmail_restriction_skip(&rc, &problems) || rc.pos != rc.end)
                r->problems |= NEWMAIL_ROP_PROBLEM_SIZE;
            if (problems)
                r->problems |= NEWMAIL_ROP_PROBLEM_PROPERTY;
        }
        T(fint(c, r, NEWMAIL_RS_LOGON_ID, 1, NULL));
        T(fcounted(c, r, NEWMAIL_RS_FOLDER_ID_COUNT, 2, NEWMAIL_RS_FOLDER_IDS, NEWMAIL_RSK_IDS, 8));
        T(fint(c, r, NEWMAIL_RS_SEARCH_FLAGS, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    }
    case 0x33:
    case 0x35:
    case 0x36: /* handled with the failure fields */
        return NEWMAIL_ROP_SIZED;
    case 0x42: /* RopGetOwningServers */
        T(fint(c, r, NEWMAIL_RS_OWNING_SERVERS_COUNT, 2, &n));
        T(fint(c, r, NEWMAIL_RS_CHEAP_SERVERS_COUNT, 2, NULL));
        return fstrings8(c, r, NEWMAIL_RS_OWNING_SERVERS, n);
    case 0x43: /* RopLongTermIdFromId */
        T(fbytes(c, r, NEWMAIL_RS_LONG_TERM_ID, NEWMAIL_RSK_LONG_TERM_ID, 24, 0));
        return NEWMAIL_ROP_SIZED;
    case 0x44: /* RopIdFromLongTermId */
        T(fint(c, r, NEWMAIL_RS_OBJECT_ID, 8, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x45: /* RopPublicFolderIsGhosted */
        return ghosted(c, r, NEWMAIL_RS_SERVERS_COUNT, NEWMAIL_RS_CHEAP_SERVERS_COUNT,
                       NEWMAIL_RS_SERVERS);
    case 0x49: /* RopGetAddressTypes */
        T(fint(c, r, NEWMAIL_RS_ADDRESS_TYPE_COUNT, 2, &n));
        T(fint(c, r, NEWMAIL_RS_ADDRESS_TYPE_SIZE, 2, &m));
        T(fbytes(c, r, NEWMAIL_RS_ADDRESS_TYPES, NEWMAIL_RSK_STRINGS8, m, n));
        {
            /* AddressTypeSize holds exactly AddressTypeCount strings. */
            newmail_cursor_t sc = newmail_cursor(c->buf, c->pos - m, c->pos);
            newmail_span_t one;
            size_t chars;

            for (uint64_t i = 0; i < n; i++)
                if (!newmail_cursor_take_string(&sc, 1, &one, &chars))
                    break;
            if (sc.pos != sc.end)
                r->problems |= NEWMAIL_ROP_PROBLEM_SIZE;
        }
        return NEWMAIL_ROP_SIZED;
    case 0x4A: /* RopTransportSend */
        T(fint(c, r, NEWMAIL_RS_NO_PROPERTIES_RETURNED, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_PROPERTY_VALUE_COUNT, 2, &n));
        return ftagged_values(c, r, n);
    case 0x4F: /* RopFindRow */
        T(fint(c, r, NEWMAIL_RS_ROW_NO_LONGER_VISIBLE, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_HAS_ROW_DATA, 1, &n));
        if (n == 0)
            return NEWMAIL_ROP_SIZED;
        S(table_columns(walk, r->request_index, (uint8_t)r->value[NEWMAIL_RF_HANDLE_INDEX], r));
        return frows(c, r, NEWMAIL_RS_ROW_DATA, NEWMAIL_RSK_PROPERTY_ROW, 1);
    case 0x50: /* RopProgress */
        T(fint(c, r, NEWMAIL_RS_LOGON_ID, 1, NULL));
        T(fint(c, r, NEWMAIL_RS_COMPLETED_TASK_COUNT, 4, NULL));
        T(fint(c, r, NEWMAIL_RS_TOTAL_TASK_COUNT, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x52: /* RopGetValidAttachments */
        T(fcounted(c, r, NEWMAIL_RS_ATTACHMENT_ID_COUNT, 2, NEWMAIL_RS_ATTACHMENT_ID_ARRAY,
                   NEWMAIL_RSK_U32S, 4));
        return NEWMAIL_ROP_SIZED;
    case 0x55: /* RopGetNamesFromPropertyIds */
        T(fint(c, r, NEWMAIL_RS_PROPERTY_NAME_COUNT, 2, &n));
        return fproperty_names(c, r, n);
    case 0x56: /* RopGetPropertyIdsFromNames */
        T(fcounted(c, r, NEWMAIL_RS_PROPERTY_ID_COUNT, 2, NEWMAIL_RS_PROPERTY_IDS, NEWMAIL_RSK_U16S,
                   2));
        return NEWMAIL_ROP_SIZED;
    case 0x59: /* RopExpandRow */
        T(fint(c, r, NEWMAIL_RS_EXPANDED_ROW_COUNT, 4, NULL));
        T(fint(c, r, NEWMAIL_RS_ROW_COUNT, 2, &n));
        if (n == 0)
            return NEWMAIL_ROP_SIZED;
        S(table_columns(walk, r->request_index, (uint8_t)r->value[NEWMAIL_RF_HANDLE_INDEX], r));
        return frows(c, r, NEWMAIL_RS_ROW_DATA, NEWMAIL_RSK_PROPERTY_ROWS, n);
    case 0x5A: /* RopCollapseRow */
        T(fint(c, r, NEWMAIL_RS_COLLAPSED_ROW_COUNT, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x5F: /* RopQueryNamedProperties */
        T(fint(c, r, NEWMAIL_RS_ID_COUNT, 2, &n));
        T(fbytes(c, r, NEWMAIL_RS_PROPERTY_IDS, NEWMAIL_RSK_U16S, n * 2, n));
        return fproperty_names(c, r, n);
    case 0x60: /* RopGetPerUserLongTermIds */
        T(fcounted(c, r, NEWMAIL_RS_LONG_TERM_ID_COUNT, 2, NEWMAIL_RS_LONG_TERM_IDS,
                   NEWMAIL_RSK_LONG_TERM_IDS, 24));
        return NEWMAIL_ROP_SIZED;
    case 0x61: /* RopGetPerUserGuid */
        T(fbytes(c, r, NEWMAIL_RS_DATABASE_GUID, NEWMAIL_RSK_GUID, 16, 0));
        return NEWMAIL_ROP_SIZED;
    case 0x63: /* RopReadPerUserInformation */
        T(fint(c, r, NEWMAIL_RS_HAS_FINISHED, 1, NULL));
        T(fcounted(c, r, NEWMAIL_RS_DATA_SIZE, 2, NEWMAIL_RS_DATA, NEWMAIL_RSK_BYTES, 1));
        return NEWMAIL_ROP_SIZED;
    case 0x68: /* RopGetReceiveFolderTable */
        T(fint(c, r, NEWMAIL_RS_ROW_COUNT, 4, &n));
        r->columns = (newmail_rop_columns_t){receive_folder_columns, NULL, 3};
        r->has_columns = true;
        return frows(c, r, NEWMAIL_RS_ROWS, NEWMAIL_RSK_PROPERTY_ROWS, n);
    case 0x6B: /* RopGetCollapseState */
        T(fcounted(c, r, NEWMAIL_RS_COLLAPSE_STATE_SIZE, 2, NEWMAIL_RS_COLLAPSE_STATE,
                   NEWMAIL_RSK_BYTES, 1));
        return NEWMAIL_ROP_SIZED;
    case 0x6D: /* RopGetTransportFolder */
        T(fint(c, r, NEWMAIL_RS_FOLDER_ID, 8, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x6F: /* RopOptionsData */
        T(fint(c, r, NEWMAIL_RS_RESERVED, 1, NULL));
        T(fcounted(c, r, NEWMAIL_RS_OPTIONS_INFO_SIZE, 2, NEWMAIL_RS_OPTIONS_INFO,
                   NEWMAIL_RSK_BYTES, 1));
        T(fcounted(c, r, NEWMAIL_RS_HELP_FILE_SIZE, 2, NEWMAIL_RS_HELP_FILE, NEWMAIL_RSK_BYTES, 1));
        if (r->rs[r->nfields - 1].value != 0)
            return fstring8(c, r, NEWMAIL_RS_HELP_FILE_NAME);
        return NEWMAIL_ROP_SIZED;
    case 0x72:
    case 0x78: /* RopSynchronizationImportMessageChange, ...MessageMove */
        T(fint(c, r, NEWMAIL_RS_MESSAGE_ID, 8, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x73: /* RopSynchronizationImportHierarchyChange */
        T(fint(c, r, NEWMAIL_RS_FOLDER_ID, 8, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x7B: /* RopGetStoreState */
        T(fint(c, r, NEWMAIL_RS_STORE_STATE, 4, NULL));
        return NEWMAIL_ROP_SIZED;
    case 0x7F: /* RopGetLocalReplicaIds */
        T(fbytes(c, r, NEWMAIL_RS_REPL_GUID, NEWMAIL_RSK_GUID, 16, 0));
        T(fbytes(c, r, NEWMAIL_RS_GLOBAL_COUNT, NEWMAIL_RSK_BYTES, 6, 6));
        return NEWMAIL_ROP_SIZED;
    default:
        /* Every other RopId of MS-OXCROPS 2.2.2 has nothing after ReturnValue
         * (RopRegisterNotification, the Get*Table ROPs with an output handle,
         * RopRemoveAllRecipients, RopModifyRecipients, RopSeekRowFractional,
         * RopDeleteAttachment, RopSaveChangesAttachment, the set ROPs, the
         * fast transfer and synchronization ROPs that create an object, ...). */
        return NEWMAIL_ROP_SIZED;
    }
}

newmail_rop_status_t
newmail_rop_response_read(newmail_cursor_t *c, newmail_rop_walk_t *walk,
                          const newmail_rop_request_t *rq, newmail_rop_response_t *r)
{
    const char *name;
    uint64_t id, idx, rv;
    unsigned hname;
    bool done;
    newmail_rop_status_t st;

    T(fint(c, r, NEWMAIL_RS_ROP_ID, 1, &id));
    r->rop_id = (uint8_t)id;
    name = newmail_rop_name(r->rop_id);
    if (name == NULL) {
        r->problems |= NEWMAIL_ROP_PROBLEM_UNKNOWN_ID;
        return NEWMAIL_ROP_UNSIZED;
    }
    if (r->rop_id == NEWMAIL_ROP_RELEASE) {
        r->problems |= NEWMAIL_ROP_PROBLEM_NO_RESPONSE;
        return NEWMAIL_ROP_UNSIZED;
    }
    hname = handle_name(r->rop_id);
    T(fint(c, r, hname, 1, &idx));
    if (rq != NULL) {
        bool has;
        uint8_t want = 0;

        if (hname == NEWMAIL_RS_OUTPUT_HANDLE_INDEX) {
            has = rq->has_output;
            want = rq->output_handle_index;
        } else if (hname == NEWMAIL_RS_RESPONSE_HANDLE_INDEX) {
            const newmail_rq_field_t *f =
                newmail_rop_request_find(rq, NEWMAIL_RQ_RESPONSE_HANDLE_INDEX);

            has = f != NULL;
            want = f ? (uint8_t)f->value : 0;
        } else {
            has = rq->has_input;
            want = rq->input_handle_index;
        }
        if (has && want != idx)
            r->problems |= NEWMAIL_ROP_PROBLEM_HANDLE_INDEX;
    }
    T(fint(c, r, NEWMAIL_RS_RETURN_VALUE, 4, &rv));
    r->failure = rv != 0;
    st = read_always(c, r, (uint32_t)rv, &done);
    if (st != NEWMAIL_ROP_SIZED || done || rv != 0)
        return st;
    return read_success(c, walk, rq, r);
}

/* Reads the row of a TableModified notification (TableRowData, already sized
 * by TableRowDataSize) when the subscription's table columns are known. */
static void
notify_row(const newmail_rop_walk_t *walk, newmail_rop_response_t *r)
{
    const newmail_rop_context_t *ctx = walk->ctx;
    const newmail_notify_t *n = &r->notify;
    const uint32_t *tags;
    size_t count;
    newmail_cursor_t rc;
    unsigned problems = 0;

    if (!newmail_notify_has(n, NEWMAIL_NF_TABLE_ROW_DATA) || ctx->notify_columns == NULL ||
        !ctx->notify_columns(ctx->ctx, n->handle, &tags, &count) || (tags == NULL && count))
        return;
    r->columns = (newmail_rop_columns_t){tags, NULL, count};
    r->has_columns = true;
    rc = newmail_cursor(walk->buf, n->span[NEWMAIL_NF_TABLE_ROW_DATA].offset,
                        n->span[NEWMAIL_NF_TABLE_ROW_DATA].offset +
                            n->span[NEWMAIL_NF_TABLE_ROW_DATA].length);
    if (!row_read(&rc, &r->columns, &problems)) {
        r->problems |= NEWMAIL_ROP_PROBLEM_PROPERTY;
        return;
    }
    if (problems)
        r->problems |= NEWMAIL_ROP_PROBLEM_PROPERTY;
    if (rc.pos != rc.end)
        r->problems |= NEWMAIL_ROP_PROBLEM_SIZE;
    r->row_data_read = true;
}

/* The generic fields of the four responses that answer no request. */
static void
special_fields(newmail_rop_response_t *r)
{
    static const struct {
        int rf;
        unsigned rs, kind;
    } map[] = {
        {NEWMAIL_RF_ROP_ID, NEWMAIL_RS_ROP_ID, NEWMAIL_RSK_U8},
        {NEWMAIL_RF_SESSION_INDEX, NEWMAIL_RS_SESSION_INDEX, NEWMAIL_RSK_U16},
        {NEWMAIL_RF_SIZE_NEEDED, NEWMAIL_RS_SIZE_NEEDED, NEWMAIL_RSK_U16},
        {NEWMAIL_RF_REQUEST_BUFFERS, NEWMAIL_RS_REQUEST_BUFFERS, NEWMAIL_RSK_BYTES},
        {NEWMAIL_RF_LOGON_ID, NEWMAIL_RS_LOGON_ID, NEWMAIL_RSK_U8},
        {NEWMAIL_RF_DURATION, NEWMAIL_RS_DURATION, NEWMAIL_RSK_U32},
        {NEWMAIL_RF_BACKOFF_ROP_COUNT, NEWMAIL_RS_BACKOFF_ROP_COUNT, NEWMAIL_RSK_U8},
        {NEWMAIL_RF_BACKOFF_ROP_DATA, NEWMAIL_RS_BACKOFF_ROP_DATA, NEWMAIL_RSK_BYTES},
        {NEWMAIL_RF_ADDITIONAL_DATA_SIZE, NEWMAIL_RS_ADDITIONAL_DATA_SIZE, NEWMAIL_RSK_U16},
        {NEWMAIL_RF_ADDITIONAL_DATA, NEWMAIL_RS_ADDITIONAL_DATA, NEWMAIL_RSK_BYTES},
        {NEWMAIL_RF_NOTIFICATION, NEWMAIL_RS_NOTIFICATION_DATA, NEWMAIL_RSK_NOTIFICATION},
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (newmail_rop_has(r, (newmail_rop_field_t)map[i].rf)) {
            uint64_t v = map[i].kind == NEWMAIL_RSK_BYTES || map[i].kind == NEWMAIL_RSK_NOTIFICATION
                             ? r->field[map[i].rf].length
                             : r->value[map[i].rf];

            if (r->nfields < NEWMAIL_RS_MAX_FIELDS)
                r->rs[r->nfields++] = (newmail_rs_field_t){
                    (uint16_t)map[i].rs, (uint8_t)map[i].kind, r->field[map[i].rf], v};
        }
    }
}

/* A request with WantAsynchronous set may be answered by RopProgress
 * instead of its own response (MS-OXCPRPT 3.2.5.20 and its example 4.5:
 * RopEmptyFolder answered by RopProgress). */
static bool
progress_answers(const newmail_rop_request_t *rq, uint8_t id)
{
    const newmail_rq_field_t *f = newmail_rop_request_find(rq, NEWMAIL_RQ_WANT_ASYNCHRONOUS);

    return id == 0x50 && f != NULL && f->value != 0;
}

newmail_rop_status_t
newmail_rop_response_next_ctx(newmail_rop_walk_t *walk, newmail_cursor_t *c,
                              newmail_rop_response_t *r)
{
    const newmail_rop_context_t *ctx = walk->ctx;
    const newmail_rop_request_t *rq = NULL;
    newmail_rop_status_t st;
    uint8_t id;

    if (c->pos >= c->end)
        return NEWMAIL_ROP_TRUNCATED;
    id = c->buf[c->pos];
    if (id == NEWMAIL_ROP_NOTIFY || id == NEWMAIL_ROP_PENDING || id == NEWMAIL_ROP_BACKOFF ||
        id == NEWMAIL_ROP_BUFFER_TOO_SMALL) {
        st = newmail_rop_response_read_legacy(c, r);
        special_fields(r);
        if (st == NEWMAIL_ROP_SIZED && id == NEWMAIL_ROP_NOTIFY)
            notify_row(walk, r);
        return st;
    }
    if (ctx->requests != NULL) {
        while (walk->next_request < ctx->request_count &&
               ctx->requests[walk->next_request].rop_id == NEWMAIL_ROP_RELEASE)
            walk->next_request++;
        if (walk->next_request >= ctx->request_count) {
            /* Read the prefix so that the stop shows what it stopped at. */
            newmail_cursor_t pc = *c;

            r->request_index = NEWMAIL_ROP_NO_REQUEST;
            fint(&pc, r, NEWMAIL_RS_ROP_ID, 1, NULL);
            r->rop_id = id;
            c->pos = pc.pos;
            if (ctx->requests_complete) {
                r->problems |= NEWMAIL_ROP_PROBLEM_NO_REQUEST;
                return NEWMAIL_ROP_UNSIZED;
            }
            return NEWMAIL_ROP_NEEDS_REQUEST;
        }
        rq = &ctx->requests[walk->next_request];
        if (rq->rop_id != id && !progress_answers(rq, id)) {
            newmail_cursor_t pc = *c;

            fint(&pc, r, NEWMAIL_RS_ROP_ID, 1, NULL);
            r->rop_id = id;
            c->pos = pc.pos;
            r->problems |= NEWMAIL_ROP_PROBLEM_REQUEST_MISMATCH;
            return NEWMAIL_ROP_UNSIZED;
        }
        r->request_index = walk->next_request++;
    }
    st = newmail_rop_response_read(c, walk, rq, r);
    /* What later responses of this call must know about handle indexes. */
    if (newmail_rop_has(r, NEWMAIL_RF_HANDLE_INDEX)) {
        uint8_t idx = (uint8_t)r->value[NEWMAIL_RF_HANDLE_INDEX];

        if (handle_name(r->rop_id) == NEWMAIL_RS_OUTPUT_HANDLE_INDEX) {
            set_bit(walk->made, idx, true);
            set_bit(walk->set_columns, idx, false);
        } else if (r->rop_id == NEWMAIL_ROP_SET_COLUMNS) {
            set_bit(walk->set_columns, idx, true);
        }
    }
    return st;
}

/* ---- the walk ---------------------------------------------------------------- */

void
newmail_rop_walk_init_ctx(newmail_rop_walk_t *walk, const uint8_t *buf, size_t len,
                          const newmail_rop_context_t *ctx)
{
    newmail_rop_walk_init(walk, buf, len);
    walk->ctx = ctx;
}

bool
newmail_rop_next_response(newmail_rop_walk_t *walk, newmail_rop_response_t *out)
{
    newmail_cursor_t c = newmail_cursor(walk->buf, walk->pos, walk->rops_end);

    memset(out, 0, sizeof(*out));
    out->request_index = NEWMAIL_ROP_NO_REQUEST;
    if (walk->status != NEWMAIL_ROPS_RUNNING)
        return false;
    if (walk->ctx != NULL)
        out->status = newmail_rop_response_next_ctx(walk, &c, out);
    else
        out->status = newmail_rop_response_read_legacy(&c, out);
    out->span = newmail_span(walk->pos, c.pos - walk->pos);
    walk->pos = c.pos;
    walk->count++;
    switch (out->status) {
    case NEWMAIL_ROP_SIZED:
        if (walk->pos == walk->rops_end)
            walk->status = walk->buffer.problems & NEWMAIL_ROPBUF_SIZE_PAST_END
                               ? NEWMAIL_ROPS_TRUNCATED
                               : NEWMAIL_ROPS_COMPLETE;
        break;
    case NEWMAIL_ROP_UNSIZED:
        walk->status = NEWMAIL_ROPS_UNSIZED;
        break;
    case NEWMAIL_ROP_TRUNCATED:
        walk->status = NEWMAIL_ROPS_TRUNCATED;
        break;
    case NEWMAIL_ROP_NEEDS_REQUEST:
        walk->status = NEWMAIL_ROPS_NEEDS_REQUEST;
        break;
    case NEWMAIL_ROP_NEEDS_COLUMNS:
        walk->status = NEWMAIL_ROPS_NEEDS_COLUMNS;
        break;
    }
    return true;
}
