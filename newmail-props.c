/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-props.c: the property readers of newmail-props.h (MS-OXCDATA 2.7
 * to 2.12). See the header for the specifications and the readings chosen.
 */
#include <string.h>

#include "newmail-props.h"

/* The value reader and the restriction reader call each other (a
 * PtypRestriction value, a restriction's TaggedValue); both carry the depth
 * so that NEWMAIL_RESTRICTION_MAX_DEPTH bounds the recursion. */
typedef struct {
    newmail_restriction_visit_t visit;
    void *ctx;
    unsigned problems;
} res_walk_t;

static bool value_read(newmail_cursor_t *c, uint16_t type, newmail_prop_value_t *out,
                       unsigned depth);
static bool res_read(newmail_cursor_t *c, res_walk_t *w, unsigned depth);

uint16_t
newmail_prop_value_type(uint16_t type)
{
    return (type & NEWMAIL_PT_MV_INSTANCE) ? (uint16_t)(type & 0x0FFF) : type;
}

size_t
newmail_prop_fixed_size(uint16_t type)
{
    switch (type) {
    case NEWMAIL_PT_BOOLEAN:
        return 1;
    case NEWMAIL_PT_INTEGER16:
        return 2;
    case NEWMAIL_PT_INTEGER32:
    case NEWMAIL_PT_FLOATING32:
    case NEWMAIL_PT_ERROR_CODE:
        return 4;
    case NEWMAIL_PT_FLOATING64:
    case NEWMAIL_PT_CURRENCY:
    case NEWMAIL_PT_FLOATING_TIME:
    case NEWMAIL_PT_INTEGER64:
    case NEWMAIL_PT_TIME:
        return 8;
    case NEWMAIL_PT_GUID:
        return 16;
    default:
        return 0;
    }
}

static uint64_t
load_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* Ends a failed value read: the cursor back at start, what was read before
 * the problem in out->span. */
static bool
value_fail(newmail_cursor_t *c, size_t start, size_t stop, newmail_prop_value_t *out,
           unsigned problem)
{
    out->span = newmail_span(start, stop - start);
    out->problems |= problem;
    c->pos = start;
    return false;
}

/* A COUNT field of `width` bytes. */
static bool
take_count(newmail_cursor_t *c, size_t width, newmail_prop_value_t *out)
{
    if (!newmail_cursor_take(c, 1, width, &out->count_span))
        return false;
    out->count = (uint32_t)load_le(c->buf + out->count_span.offset, width);
    return true;
}

/* The smallest number of bytes one element of a multi-valued type takes. */
static size_t
element_min_size(uint16_t base)
{
    switch (base) {
    case NEWMAIL_PT_STRING8:
        return 1; /* the terminator */
    case NEWMAIL_PT_STRING:
    case NEWMAIL_PT_BINARY:
        return 2; /* the terminator; the byte count */
    default:
        return newmail_prop_fixed_size(base);
    }
}

static bool
is_multiple(uint16_t type)
{
    switch (type) {
    case NEWMAIL_PT_MULTIPLE_INTEGER16:
    case NEWMAIL_PT_MULTIPLE_INTEGER32:
    case NEWMAIL_PT_MULTIPLE_FLOATING32:
    case NEWMAIL_PT_MULTIPLE_FLOATING64:
    case NEWMAIL_PT_MULTIPLE_CURRENCY:
    case NEWMAIL_PT_MULTIPLE_FLOATING_TIME:
    case NEWMAIL_PT_MULTIPLE_INTEGER64:
    case NEWMAIL_PT_MULTIPLE_STRING8:
    case NEWMAIL_PT_MULTIPLE_STRING:
    case NEWMAIL_PT_MULTIPLE_TIME:
    case NEWMAIL_PT_MULTIPLE_GUID:
    case NEWMAIL_PT_MULTIPLE_BINARY:
        return true;
    default:
        return false;
    }
}

static bool
value_read(newmail_cursor_t *c, uint16_t type, newmail_prop_value_t *out, unsigned depth)
{
    size_t start = c->pos, fixed;
    newmail_span_t sp;

    memset(out, 0, sizeof(*out));
    type = newmail_prop_value_type(type);
    out->type = type;
    out->span = newmail_span(start, 0);
    out->data = out->count_span = out->span;

    fixed = newmail_prop_fixed_size(type);
    if (fixed != 0) {
        if (!newmail_cursor_take(c, 1, fixed, &sp))
            return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        out->span = out->data = sp;
        if (type != NEWMAIL_PT_GUID)
            out->integer = load_le(c->buf + sp.offset, fixed);
        if (type == NEWMAIL_PT_BOOLEAN && out->integer > 1)
            out->problems |= NEWMAIL_PROP_PROBLEM_BOOLEAN;
        return true;
    }

    switch (type) {
    case NEWMAIL_PT_NULL:
        return true; /* a placeholder: no bytes */
    case NEWMAIL_PT_UNSPECIFIED:
    case NEWMAIL_PT_OBJECT:
        return value_fail(c, start, start, out, NEWMAIL_PROP_PROBLEM_TYPE_NOT_ALLOWED);
    case NEWMAIL_PT_STRING8:
    case NEWMAIL_PT_STRING: {
        size_t chars;

        if (!newmail_cursor_take_string(c, type == NEWMAIL_PT_STRING ? 2 : 1, &sp, &chars))
            return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        out->data = sp;
        out->count = (uint32_t)chars;
        out->span = newmail_span(start, c->pos - start);
        return true;
    }
    case NEWMAIL_PT_BINARY:
    case NEWMAIL_PT_SERVER_ID:
        /* MS-OXCDATA 2.11.1.1: a 16-bit byte count in ROP buffers. */
        if (!take_count(c, 2, out))
            return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        if (!newmail_cursor_take(c, 1, out->count, &out->data))
            return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        out->span = newmail_span(start, c->pos - start);
        return true;
    case NEWMAIL_PT_RESTRICTION: {
        res_walk_t sub = { NULL, NULL, 0 };
        bool ok = res_read(c, &sub, depth);

        out->problems |= sub.problems;
        if (!ok)
            return value_fail(c, start, start, out, 0);
        out->span = out->data = newmail_span(start, c->pos - start);
        return true;
    }
    case NEWMAIL_PT_RULE_ACTION:
        /* MS-OXORULE 2.2.5: NoOfActions (16 bits in ROP buffers), then
         * ActionBlocks, each a 16-bit ActionLength and that many bytes
         * (ActionType 1, ActionFlavor 4, ActionFlags 4, ActionData). */
        if (!take_count(c, 2, out))
            return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        if (out->count > (c->end - c->pos) / 2)
            return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        out->data = newmail_span(c->pos, 0);
        for (uint32_t i = 0; i < out->count; i++) {
            newmail_span_t len;
            uint16_t n;

            if (!newmail_cursor_take(c, 1, 2, &len))
                return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
            n = newmail_le16(c->buf + len.offset);
            if (n < 9)
                out->problems |= NEWMAIL_PROP_PROBLEM_RULE_ACTION;
            if (!newmail_cursor_take(c, 1, n, &sp))
                return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        }
        out->data.length = c->pos - out->data.offset;
        out->span = newmail_span(start, c->pos - start);
        return true;
    default:
        break;
    }

    if (is_multiple(type)) {
        uint16_t base = (uint16_t)(type & ~NEWMAIL_PT_MV);
        size_t min = element_min_size(base);

        /* MS-OXCDATA 2.11.1.1: a 32-bit value count in ROP buffers. Every
         * element takes at least `min` bytes, so a count the bytes cannot
         * hold ends the read before any loop. */
        if (!take_count(c, 4, out) || out->count > (c->end - c->pos) / min)
            return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        if (newmail_prop_fixed_size(base) != 0) {
            if (!newmail_cursor_take(c, 1, (size_t)out->count * min, &out->data))
                return value_fail(c, start, c->end, out, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        } else {
            out->data = newmail_span(c->pos, 0);
            for (uint32_t i = 0; i < out->count; i++) {
                newmail_prop_value_t element;

                if (!value_read(c, base, &element, depth))
                    return value_fail(c, start, c->end, out, element.problems);
            }
            out->data.length = c->pos - out->data.offset;
        }
        out->span = newmail_span(start, c->pos - start);
        return true;
    }
    return value_fail(c, start, start, out, NEWMAIL_PROP_PROBLEM_UNKNOWN_TYPE);
}

bool
newmail_prop_value_read(newmail_cursor_t *c, uint16_t type, newmail_prop_value_t *out)
{
    return value_read(c, type, out, 0);
}

/* ---- Tagged, typed and flagged values ------------------------------------------------ */

static void
tagged_init(newmail_tagged_value_t *out, size_t start)
{
    memset(out, 0, sizeof(*out));
    out->span = newmail_span(start, 0);
    out->tag_span = out->type_span = out->flag_span = newmail_span(start, 0);
}

/* Ends a tagged read: on failure the cursor goes back to start. */
static bool
tagged_end(newmail_cursor_t *c, size_t start, newmail_tagged_value_t *out, bool ok)
{
    out->problems |= out->value.problems;
    if (!ok) {
        size_t stop = out->has_value ? out->value.span.offset + out->value.span.length : c->pos;

        out->span = newmail_span(start, stop - start);
        c->pos = start;
        return false;
    }
    out->span = newmail_span(start, c->pos - start);
    return true;
}

/* in_restriction: the TaggedValue of a Content or Property restriction,
 * whose value is one value even when its tag is multi-valued (header). */
static bool
tagged_read(newmail_cursor_t *c, newmail_tagged_value_t *out, bool in_restriction,
            unsigned depth)
{
    size_t start = c->pos;
    uint16_t type;

    tagged_init(out, start);
    if (!newmail_cursor_take(c, 1, 4, &out->tag_span)) {
        out->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
        return tagged_end(c, start, out, false);
    }
    out->tag = newmail_le32(c->buf + out->tag_span.offset);
    type = NEWMAIL_PROP_TYPE(out->tag);
    if (in_restriction)
        type = (type & NEWMAIL_PT_MV) ? (uint16_t)(type & 0x0FFF) : type;
    out->type = newmail_prop_value_type(type);
    out->has_value = true;
    return tagged_end(c, start, out, value_read(c, type, &out->value, depth));
}

bool
newmail_tagged_value_read(newmail_cursor_t *c, newmail_tagged_value_t *out)
{
    return tagged_read(c, out, false, 0);
}

bool
newmail_typed_value_read(newmail_cursor_t *c, newmail_tagged_value_t *out)
{
    size_t start = c->pos;

    tagged_init(out, start);
    if (!newmail_cursor_take(c, 1, 2, &out->type_span)) {
        out->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
        return tagged_end(c, start, out, false);
    }
    out->type = newmail_le16(c->buf + out->type_span.offset);
    out->has_value = true;
    return tagged_end(c, start, out, value_read(c, out->type, &out->value, 0));
}

bool
newmail_flagged_value_read(newmail_cursor_t *c, uint16_t type, bool with_type,
                           newmail_tagged_value_t *out)
{
    size_t start = c->pos;

    tagged_init(out, start);
    if (with_type) {
        if (!newmail_cursor_take(c, 1, 2, &out->type_span)) {
            out->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
            return tagged_end(c, start, out, false);
        }
        type = newmail_le16(c->buf + out->type_span.offset);
    }
    out->type = type;
    if (!newmail_cursor_take(c, 1, 1, &out->flag_span)) {
        out->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
        return tagged_end(c, start, out, false);
    }
    out->flag = c->buf[out->flag_span.offset];
    switch (out->flag) {
    case NEWMAIL_PROP_FLAG_VALUE:
        out->has_value = true;
        return tagged_end(c, start, out, value_read(c, type, &out->value, 0));
    case NEWMAIL_PROP_FLAG_NO_VALUE:
        return tagged_end(c, start, out, true);
    case NEWMAIL_PROP_FLAG_ERROR:
        out->has_value = true;
        return tagged_end(c, start, out,
                          value_read(c, NEWMAIL_PT_ERROR_CODE, &out->value, 0));
    default:
        out->problems |= NEWMAIL_PROP_PROBLEM_BAD_FLAG;
        return tagged_end(c, start, out, false);
    }
}

/* ---- PropertyRow ---------------------------------------------------------------------- */

bool
newmail_property_row_read(newmail_cursor_t *c, const uint32_t *columns, size_t ncolumns,
                          newmail_property_row_t *out, newmail_tagged_value_t *values,
                          size_t nvalues)
{
    size_t start = c->pos;

    memset(out, 0, sizeof(*out));
    out->span = out->flag_span = newmail_span(start, 0);
    if (!newmail_cursor_take(c, 1, 1, &out->flag_span)) {
        out->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
        goto fail;
    }
    out->flag = c->buf[out->flag_span.offset];
    if (out->flag != NEWMAIL_PROP_ROW_STANDARD && out->flag != NEWMAIL_PROP_ROW_FLAGGED) {
        out->problems |= NEWMAIL_PROP_PROBLEM_BAD_ROW_FLAG;
        goto fail;
    }
    for (size_t i = 0; i < ncolumns; i++) {
        newmail_tagged_value_t scratch;
        newmail_tagged_value_t *v = values != NULL && i < nvalues ? &values[i] : &scratch;
        uint16_t ctype = NEWMAIL_PROP_TYPE(columns[i]);
        bool unspecified = ctype == NEWMAIL_PT_UNSPECIFIED, ok;

        if (newmail_prop_value_type(ctype) == NEWMAIL_PT_NULL) {
            /* Zero bytes per value: a row of such columns would not be
             * bounded by its bytes. No table has one. */
            tagged_init(v, c->pos);
            v->tag = columns[i];
            v->type = ctype;
            v->problems = NEWMAIL_PROP_PROBLEM_TYPE_NOT_ALLOWED;
            out->problems |= v->problems;
            goto fail;
        }
        if (out->flag == NEWMAIL_PROP_ROW_FLAGGED) {
            ok = newmail_flagged_value_read(c, ctype, unspecified, v);
        } else if (unspecified) {
            ok = newmail_typed_value_read(c, v);
        } else {
            size_t vstart = c->pos;

            tagged_init(v, vstart);
            v->type = newmail_prop_value_type(ctype);
            v->has_value = true;
            ok = tagged_end(c, vstart, v, value_read(c, ctype, &v->value, 0));
        }
        v->tag = NEWMAIL_PROP_TAG(NEWMAIL_PROP_ID(columns[i]), unspecified ? v->type : ctype);
        out->problems |= v->problems;
        if (!ok)
            goto fail;
        out->nread++;
    }
    out->span = newmail_span(start, c->pos - start);
    return true;

fail:
    out->span = newmail_span(start, c->pos - start);
    c->pos = start;
    return false;
}

bool
newmail_property_row_set_skip(newmail_cursor_t *c, const uint32_t *columns, size_t ncolumns,
                              uint16_t *row_count, unsigned *problems)
{
    size_t start = c->pos;
    newmail_span_t sp;

    *row_count = 0;
    if (!newmail_cursor_take(c, 1, 2, &sp)) {
        *problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
        return false;
    }
    *row_count = newmail_le16(c->buf + sp.offset);
    for (unsigned i = 0; i < *row_count; i++) {
        newmail_property_row_t row;
        bool ok = newmail_property_row_read(c, columns, ncolumns, &row, NULL, 0);

        *problems |= row.problems;
        if (!ok) {
            c->pos = start;
            return false;
        }
    }
    return true;
}

/* ---- Arrays of tags and problems ------------------------------------------------------- */

static bool
counted_array(newmail_cursor_t *c, size_t each, uint16_t *count, newmail_span_t *items)
{
    size_t start = c->pos;
    newmail_span_t sp;

    *count = 0;
    *items = newmail_span(start, 0);
    if (!newmail_cursor_take(c, 1, 2, &sp))
        return false;
    *count = newmail_le16(c->buf + sp.offset);
    if (!newmail_cursor_take(c, 1, (size_t)*count * each, items)) {
        c->pos = start;
        *items = newmail_span(start, 0);
        return false;
    }
    return true;
}

bool
newmail_prop_tag_array_read(newmail_cursor_t *c, uint16_t *count, newmail_span_t *tags)
{
    return counted_array(c, 4, count, tags);
}

bool
newmail_prop_problem_read(newmail_cursor_t *c, newmail_prop_problem_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!newmail_cursor_take(c, 1, 10, &out->span))
        return false;
    out->tag_index = newmail_le16(c->buf + out->span.offset);
    out->tag = newmail_le32(c->buf + out->span.offset + 2);
    out->error_code = newmail_le32(c->buf + out->span.offset + 6);
    return true;
}

bool
newmail_prop_problem_array_read(newmail_cursor_t *c, uint16_t *count, newmail_span_t *problems)
{
    return counted_array(c, 10, count, problems);
}

/* ---- Restrictions (MS-OXCDATA 2.12) ------------------------------------------------------ */

/* The node's own fields after RestrictType, in wire order: {field, bytes}. */
static const struct {
    uint8_t field, bytes;
} res_layout[12][4] = {
    [NEWMAIL_RES_AND] = { { NEWMAIL_RESF_COUNT, 2 } },
    [NEWMAIL_RES_OR] = { { NEWMAIL_RESF_COUNT, 2 } },
    [NEWMAIL_RES_NOT] = { { 0, 0 } },
    [NEWMAIL_RES_CONTENT] = { { NEWMAIL_RESF_FUZZY_LOW, 2 },
                              { NEWMAIL_RESF_FUZZY_HIGH, 2 },
                              { NEWMAIL_RESF_TAG, 4 } },
    [NEWMAIL_RES_PROPERTY] = { { NEWMAIL_RESF_RELOP, 1 }, { NEWMAIL_RESF_TAG, 4 } },
    [NEWMAIL_RES_COMPARE_PROPERTIES] = { { NEWMAIL_RESF_RELOP, 1 },
                                         { NEWMAIL_RESF_TAG, 4 },
                                         { NEWMAIL_RESF_TAG2, 4 } },
    [NEWMAIL_RES_BITMASK] = { { NEWMAIL_RESF_RELOP, 1 },
                              { NEWMAIL_RESF_TAG, 4 },
                              { NEWMAIL_RESF_MASK, 4 } },
    [NEWMAIL_RES_SIZE] = { { NEWMAIL_RESF_RELOP, 1 },
                           { NEWMAIL_RESF_TAG, 4 },
                           { NEWMAIL_RESF_SIZE, 4 } },
    [NEWMAIL_RES_EXIST] = { { NEWMAIL_RESF_TAG, 4 } },
    [NEWMAIL_RES_SUB_OBJECT] = { { NEWMAIL_RESF_TAG, 4 } },
    [NEWMAIL_RES_COMMENT] = { { NEWMAIL_RESF_COUNT, 1 } },
    [NEWMAIL_RES_COUNT] = { { NEWMAIL_RESF_COUNT, 4 } },
};

/* RelOp (2.12.4.1/2.12.5.1): RELOP_LT 0x00 to RELOP_RE 0x06, and
 * RELOP_MEMBER_OF_DL 0x64. BitmapRelOp (2.12.6.1): BMR_EQZ 0, BMR_NEZ 1.
 * FuzzyLevelLow (2.12.2.1): FL_FULLSTRING 0 to FL_PREFIX 2; FuzzyLevelHigh:
 * FL_IGNORECASE 1 | FL_IGNORENONSPACE 2 | FL_LOOSE 4. */
static bool
res_values_in_range(const newmail_restriction_node_t *n)
{
    uint32_t relop = n->value[NEWMAIL_RESF_RELOP];

    switch (n->type) {
    case NEWMAIL_RES_CONTENT:
        return n->value[NEWMAIL_RESF_FUZZY_LOW] <= 2 &&
               (n->value[NEWMAIL_RESF_FUZZY_HIGH] & ~7u) == 0;
    case NEWMAIL_RES_PROPERTY:
    case NEWMAIL_RES_COMPARE_PROPERTIES:
    case NEWMAIL_RES_SIZE:
        return relop <= 6 || relop == 0x64;
    case NEWMAIL_RES_BITMASK:
        return relop <= 1;
    default:
        return true;
    }
}

/* Same id, and the same type once multi-valued and instance bits are
 * cleared. */
static bool
res_tags_match(uint32_t a, uint32_t b)
{
    return NEWMAIL_PROP_ID(a) == NEWMAIL_PROP_ID(b) &&
           (NEWMAIL_PROP_TYPE(a) & 0x0FFF) == (NEWMAIL_PROP_TYPE(b) & 0x0FFF);
}

static bool
res_read(newmail_cursor_t *c, res_walk_t *w, unsigned depth)
{
    newmail_restriction_node_t n;
    size_t start = c->pos;
    newmail_span_t sp;
    uint32_t children = 0;

    if (depth >= NEWMAIL_RESTRICTION_MAX_DEPTH) {
        w->problems |= NEWMAIL_PROP_PROBLEM_TOO_DEEP;
        return false;
    }
    memset(&n, 0, sizeof(n));
    n.depth = depth;
    for (int f = 0; f < NEWMAIL_RESF_COUNT_OF; f++)
        n.field[f] = newmail_span(start, 0);
    if (!newmail_cursor_take(c, 1, 1, &sp)) {
        w->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
        return false;
    }
    n.field[NEWMAIL_RESF_TYPE] = sp;
    n.type = c->buf[sp.offset];
    n.value[NEWMAIL_RESF_TYPE] = n.type;
    if (n.type > NEWMAIL_RES_COUNT) {
        w->problems |= NEWMAIL_PROP_PROBLEM_BAD_RESTRICT_TYPE;
        goto fail;
    }
    for (int i = 0; i < 4 && res_layout[n.type][i].bytes != 0; i++) {
        uint8_t f = res_layout[n.type][i].field, bytes = res_layout[n.type][i].bytes;

        if (!newmail_cursor_take(c, 1, bytes, &n.field[f])) {
            w->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
            goto fail;
        }
        n.value[f] = (uint32_t)load_le(c->buf + n.field[f].offset, bytes);
    }
    if (!res_values_in_range(&n))
        n.problems |= NEWMAIL_PROP_PROBLEM_RELOP;
    n.span = newmail_span(start, c->pos - start);
    if (w->visit != NULL)
        w->visit(w->ctx, &n, false);

    switch (n.type) {
    case NEWMAIL_RES_AND:
    case NEWMAIL_RES_OR:
        children = n.value[NEWMAIL_RESF_COUNT];
        /* Each child takes a byte at least. */
        if (children > c->end - c->pos) {
            w->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
            goto fail;
        }
        break;
    case NEWMAIL_RES_NOT:
    case NEWMAIL_RES_SUB_OBJECT:
    case NEWMAIL_RES_COUNT:
        children = 1;
        break;
    case NEWMAIL_RES_CONTENT:
    case NEWMAIL_RES_PROPERTY: {
        bool ok = tagged_read(c, &n.tagged_value, true, depth + 1);

        n.has_tagged_value = true;
        n.problems |= n.tagged_value.problems;
        if (!ok)
            goto fail;
        if (!res_tags_match(n.tagged_value.tag, n.value[NEWMAIL_RESF_TAG]))
            n.problems |= NEWMAIL_PROP_PROBLEM_TAG_MISMATCH;
        break;
    }
    case NEWMAIL_RES_COMMENT: {
        size_t tv_start = c->pos;

        /* TaggedValuesCount is one byte: at most 255 values of 4 bytes at
         * least each. */
        for (uint32_t i = 0; i < n.value[NEWMAIL_RESF_COUNT]; i++) {
            newmail_tagged_value_t tv;
            bool ok = tagged_read(c, &tv, false, depth + 1);

            n.problems |= tv.problems;
            if (!ok)
                goto fail;
        }
        n.field[NEWMAIL_RESF_TAGGED_VALUES] = newmail_span(tv_start, c->pos - tv_start);
        if (!newmail_cursor_take(c, 1, 1, &n.field[NEWMAIL_RESF_PRESENT])) {
            w->problems |= NEWMAIL_PROP_PROBLEM_TRUNCATED;
            goto fail;
        }
        n.value[NEWMAIL_RESF_PRESENT] = c->buf[n.field[NEWMAIL_RESF_PRESENT].offset];
        children = n.value[NEWMAIL_RESF_PRESENT] != 0;
        break;
    }
    default:
        break;
    }

    for (uint32_t i = 0; i < children; i++) {
        if (!res_read(c, w, depth + 1))
            goto fail;
    }
    n.span = newmail_span(start, c->pos - start);
    w->problems |= n.problems;
    if (w->visit != NULL)
        w->visit(w->ctx, &n, true);
    return true;

fail:
    w->problems |= n.problems;
    c->pos = start;
    return false;
}

bool
newmail_restriction_walk(newmail_cursor_t *c, newmail_restriction_visit_t visit, void *ctx,
                         unsigned *problems)
{
    res_walk_t w = { visit, ctx, 0 };
    bool ok = res_read(c, &w, 0);

    *problems |= w.problems;
    return ok;
}

bool
newmail_restriction_skip(newmail_cursor_t *c, unsigned *problems)
{
    return newmail_restriction_walk(c, NULL, NULL, problems);
}

const char *
newmail_restriction_type_name(uint8_t type)
{
    static const char *const names[] = {
        "AndRestriction",        "OrRestriction",     "NotRestriction",
        "ContentRestriction",    "PropertyRestriction", "ComparePropertiesRestriction",
        "BitMaskRestriction",    "SizeRestriction",   "ExistRestriction",
        "SubObjectRestriction",  "CommentRestriction", "CountRestriction",
    };

    return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

/* ---- SortOrderSet (MS-OXCDATA 2.13) ------------------------------------------------------ */

bool
newmail_sort_order_set_read(newmail_cursor_t *c, newmail_sort_order_set_t *out)
{
    size_t start = c->pos;
    newmail_span_t sp;

    memset(out, 0, sizeof(*out));
    out->span = out->sort_orders = newmail_span(start, 0);
    if (!newmail_cursor_take(c, 1, 6, &sp))
        return false;
    out->sort_order_count = newmail_le16(c->buf + sp.offset);
    out->categorized_count = newmail_le16(c->buf + sp.offset + 2);
    out->expanded_count = newmail_le16(c->buf + sp.offset + 4);
    if (!newmail_cursor_take(c, 1, (size_t)out->sort_order_count * 5, &out->sort_orders)) {
        c->pos = start;
        out->sort_orders = newmail_span(start, 0);
        return false;
    }
    if (out->categorized_count > out->sort_order_count ||
        out->expanded_count > out->categorized_count)
        out->problems |= NEWMAIL_SORT_PROBLEM_COUNTS;
    for (uint16_t i = 0; i < out->sort_order_count; i++) {
        uint8_t order = c->buf[out->sort_orders.offset + 5 * (size_t)i + 4];

        if (order != NEWMAIL_SORT_ASCENDING && order != NEWMAIL_SORT_DESCENDING &&
            order != NEWMAIL_SORT_MAXIMUM_CATEGORY)
            out->problems |= NEWMAIL_SORT_PROBLEM_ORDER;
    }
    out->span = newmail_span(start, c->pos - start);
    return true;
}

/* ---- Type names (MS-OXCDATA 2.11.1) ---------------------------------------------------- */

const char *
newmail_prop_type_name(uint16_t type)
{
    static const struct {
        uint16_t type;
        const char *name;
    } names[] = {
        { NEWMAIL_PT_UNSPECIFIED, "PtypUnspecified" },
        { NEWMAIL_PT_NULL, "PtypNull" },
        { NEWMAIL_PT_INTEGER16, "PtypInteger16" },
        { NEWMAIL_PT_INTEGER32, "PtypInteger32" },
        { NEWMAIL_PT_FLOATING32, "PtypFloating32" },
        { NEWMAIL_PT_FLOATING64, "PtypFloating64" },
        { NEWMAIL_PT_CURRENCY, "PtypCurrency" },
        { NEWMAIL_PT_FLOATING_TIME, "PtypFloatingTime" },
        { NEWMAIL_PT_ERROR_CODE, "PtypErrorCode" },
        { NEWMAIL_PT_BOOLEAN, "PtypBoolean" },
        { NEWMAIL_PT_OBJECT, "PtypObject" },
        { NEWMAIL_PT_INTEGER64, "PtypInteger64" },
        { NEWMAIL_PT_STRING8, "PtypString8" },
        { NEWMAIL_PT_STRING, "PtypString" },
        { NEWMAIL_PT_TIME, "PtypTime" },
        { NEWMAIL_PT_GUID, "PtypGuid" },
        { NEWMAIL_PT_SERVER_ID, "PtypServerId" },
        { NEWMAIL_PT_RESTRICTION, "PtypRestriction" },
        { NEWMAIL_PT_RULE_ACTION, "PtypRuleAction" },
        { NEWMAIL_PT_BINARY, "PtypBinary" },
        { NEWMAIL_PT_MULTIPLE_INTEGER16, "PtypMultipleInteger16" },
        { NEWMAIL_PT_MULTIPLE_INTEGER32, "PtypMultipleInteger32" },
        { NEWMAIL_PT_MULTIPLE_FLOATING32, "PtypMultipleFloating32" },
        { NEWMAIL_PT_MULTIPLE_FLOATING64, "PtypMultipleFloating64" },
        { NEWMAIL_PT_MULTIPLE_CURRENCY, "PtypMultipleCurrency" },
        { NEWMAIL_PT_MULTIPLE_FLOATING_TIME, "PtypMultipleFloatingTime" },
        { NEWMAIL_PT_MULTIPLE_INTEGER64, "PtypMultipleInteger64" },
        { NEWMAIL_PT_MULTIPLE_STRING8, "PtypMultipleString8" },
        { NEWMAIL_PT_MULTIPLE_STRING, "PtypMultipleString" },
        { NEWMAIL_PT_MULTIPLE_TIME, "PtypMultipleTime" },
        { NEWMAIL_PT_MULTIPLE_GUID, "PtypMultipleGuid" },
        { NEWMAIL_PT_MULTIPLE_BINARY, "PtypMultipleBinary" },
    };

    type = (uint16_t)(type & ~NEWMAIL_PT_MV_INSTANCE);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].type == type)
            return names[i].name;
    }
    return NULL;
}
