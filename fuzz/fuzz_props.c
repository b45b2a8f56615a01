/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_props.c: libFuzzer target for newmail-props.c, the readers of
 * property values, rows and restrictions (MS-OXCDATA 2.7-2.12) that the ROP
 * readers use.
 *
 * The first input byte says what the rest is:
 *   low 3 bits 0: a PropertyValue; the next 2 bytes are its type (LE)
 *              1: a TaggedPropertyValue
 *              2: a TypedPropertyValue
 *              3: a FlaggedPropertyValue; the next 2 bytes are its type,
 *                 bit 3 of the first byte asks for FlaggedPropertyValueWithType
 *              4: a PropertyRow; the next byte (mod 16) is the column count,
 *                 then 4 bytes per column tag
 *              5: a restriction, walked with a visitor
 *              6: a PropertyRowSet, columns as in 4
 *              7: a PropertyTagArray, a PropertyProblemArray and a SortOrderSet
 * Beyond the sanitizers it checks what the dissector relies on and aborts
 * when one breaks: on success the cursor moved by the span read, every span
 * lies inside what was read, values equal the bytes they come from; on
 * failure the cursor is unmoved and a fatal problem bit says why; the read
 * depends only on the bytes it consumed (the same read on the input cut right
 * after them gives the same result, and one byte shorter fails); restriction
 * nodes are entered and left in pairs, nest no deeper than the bound, and
 * number no more than the bytes; everything is deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "newmail-props.h"

#include "fuzz_invariants.h"

/* A value read in full between start and stop: its fields agree with the bytes. */
static void
check_value(const uint8_t *b, const newmail_prop_value_t *v, size_t start, size_t stop)
{
    size_t fixed = newmail_prop_fixed_size(v->type);

    REQUIRE(v->span.offset == start && v->span.offset + v->span.length == stop);
    REQUIRE(span_within(v->data, start, stop));
    REQUIRE(span_within(v->count_span, start, stop));
    REQUIRE((v->problems & NEWMAIL_PROP_PROBLEMS_FATAL) == 0);
    REQUIRE((v->type & NEWMAIL_PT_MV_INSTANCE) == 0);
    if (fixed != 0) {
        REQUIRE(v->span.length == fixed);
        if (v->type != NEWMAIL_PT_GUID)
            REQUIRE(v->integer == le_n(b + start, fixed));
        REQUIRE(((v->problems & NEWMAIL_PROP_PROBLEM_BOOLEAN) != 0) ==
                (v->type == NEWMAIL_PT_BOOLEAN && b[start] > 1));
        return;
    }
    switch (v->type) {
    case NEWMAIL_PT_STRING8:
    case NEWMAIL_PT_STRING: {
        size_t unit = v->type == NEWMAIL_PT_STRING ? 2 : 1;

        REQUIRE(v->data.offset == start && v->data.length == (size_t)v->count * unit);
        REQUIRE(v->span.length == v->data.length + unit);
        for (size_t i = 0; i < v->data.length; i += unit)
            REQUIRE(b[start + i] != 0 || (unit == 2 && b[start + i + 1] != 0));
        REQUIRE(b[stop - 1] == 0 && b[stop - unit] == 0);
        break;
    }
    case NEWMAIL_PT_BINARY:
    case NEWMAIL_PT_SERVER_ID:
        REQUIRE(v->count == le16(b + start) && v->count_span.length == 2);
        REQUIRE(v->data.offset == start + 2 && v->data.length == v->count);
        break;
    case NEWMAIL_PT_RULE_ACTION:
        REQUIRE(v->count == le16(b + start));
        REQUIRE(v->data.offset == start + 2 && v->data.offset + v->data.length == stop);
        break;
    case NEWMAIL_PT_NULL:
        REQUIRE(v->span.length == 0);
        break;
    case NEWMAIL_PT_RESTRICTION:
        REQUIRE(v->span.length >= 1);
        break;
    default:
        REQUIRE(v->type & NEWMAIL_PT_MV);
        REQUIRE(v->count == le32(b + start) && v->count_span.length == 4);
        REQUIRE(v->data.offset == start + 4 && v->data.offset + v->data.length == stop);
        if (newmail_prop_fixed_size(v->type & 0x0FFF) != 0)
            REQUIRE(v->data.length ==
                    (size_t)v->count * newmail_prop_fixed_size(v->type & 0x0FFF));
        break;
    }
}

static void
check_tagged(const uint8_t *b, const newmail_tagged_value_t *t, size_t start, size_t stop)
{
    REQUIRE(t->span.offset == start && t->span.offset + t->span.length == stop);
    REQUIRE(span_within(t->tag_span, start, stop) && span_within(t->type_span, start, stop));
    REQUIRE(span_within(t->flag_span, start, stop));
    if (t->tag_span.length != 0) {
        REQUIRE(t->tag_span.length == 4 && t->tag == le32(b + t->tag_span.offset));
    }
    if (t->type_span.length != 0)
        REQUIRE(t->type_span.length == 2 && t->type == le16(b + t->type_span.offset));
    if (t->flag_span.length != 0) {
        REQUIRE(t->flag == b[t->flag_span.offset]);
        REQUIRE(t->flag == NEWMAIL_PROP_FLAG_VALUE || t->flag == NEWMAIL_PROP_FLAG_NO_VALUE ||
                t->flag == NEWMAIL_PROP_FLAG_ERROR);
        REQUIRE(t->has_value == (t->flag != NEWMAIL_PROP_FLAG_NO_VALUE));
        if (t->flag == NEWMAIL_PROP_FLAG_ERROR)
            REQUIRE(t->value.type == NEWMAIL_PT_ERROR_CODE);
    }
    if (t->has_value) {
        REQUIRE(t->value.span.offset + t->value.span.length == stop);
        check_value(b, &t->value, t->value.span.offset, stop);
    }
    REQUIRE((t->problems & NEWMAIL_PROP_PROBLEMS_FATAL) == 0);
    REQUIRE((t->problems & t->value.problems) == t->value.problems);
}

/* ---- one read, checked ------------------------------------------------------------------ */

typedef struct {
    int mode;
    uint16_t type;
    bool with_type;
    uint32_t columns[16];
    size_t ncolumns;
} job_t;

typedef struct {
    bool ok;
    size_t pos;
    unsigned problems;
    newmail_span_t span;
    uint32_t extra;
} result_t;

typedef struct {
    const uint8_t *b;
    size_t start, end;
    unsigned enters, leaves, open, nodes;
    unsigned depth_stack[NEWMAIL_RESTRICTION_MAX_DEPTH + 1];
    size_t start_stack[NEWMAIL_RESTRICTION_MAX_DEPTH + 1];
} res_ctx_t;

static void
res_visit(void *vctx, const newmail_restriction_node_t *n, bool leave)
{
    res_ctx_t *x = vctx;

    REQUIRE(n->depth < NEWMAIL_RESTRICTION_MAX_DEPTH);
    REQUIRE(n->type <= NEWMAIL_RES_COUNT);
    REQUIRE(newmail_restriction_type_name(n->type) != NULL);
    REQUIRE(span_within(n->span, x->start, x->end));
    REQUIRE(n->field[NEWMAIL_RESF_TYPE].offset == n->span.offset &&
            n->field[NEWMAIL_RESF_TYPE].length == 1 && x->b[n->span.offset] == n->type);
    for (int f = 0; f < NEWMAIL_RESF_COUNT_OF; f++) {
        newmail_span_t sp = n->field[f];

        REQUIRE(span_within(sp, n->span.offset, n->span.offset + n->span.length));
        if (sp.length != 0 && f != NEWMAIL_RESF_TAGGED_VALUES)
            REQUIRE(sp.length <= 4 && n->value[f] == le_n(x->b + sp.offset, sp.length));
    }
    if (!leave) {
        REQUIRE(x->open <= NEWMAIL_RESTRICTION_MAX_DEPTH);
        REQUIRE(n->depth == x->open);
        x->depth_stack[x->open] = n->depth;
        x->start_stack[x->open] = n->span.offset;
        x->open++;
        x->enters++;
        x->nodes++;
        /* Each node takes a byte at least: no more nodes than bytes. */
        REQUIRE(x->nodes <= x->end - x->start);
    } else {
        REQUIRE(x->open > 0);
        x->open--;
        REQUIRE(x->depth_stack[x->open] == n->depth && x->start_stack[x->open] == n->span.offset);
        x->leaves++;
        if (n->has_tagged_value) {
            REQUIRE(n->type == NEWMAIL_RES_CONTENT || n->type == NEWMAIL_RES_PROPERTY);
            REQUIRE(span_within(n->tagged_value.span, n->span.offset,
                                n->span.offset + n->span.length));
            check_tagged(x->b, &n->tagged_value, n->tagged_value.span.offset,
                         n->tagged_value.span.offset + n->tagged_value.span.length);
        }
    }
}

static result_t
run(const job_t *j, const uint8_t *b, size_t start, size_t end)
{
    newmail_cursor_t c = newmail_cursor(b, start, end);
    result_t r;

    memset(&r, 0, sizeof(r));
    switch (j->mode) {
    case 0: {
        newmail_prop_value_t v;

        r.ok = newmail_prop_value_read(&c, j->type, &v);
        r.problems = v.problems;
        r.span = v.span;
        if (r.ok) {
            check_value(b, &v, start, c.pos);
            r.extra = v.count;
        }
        break;
    }
    case 1:
    case 2:
    case 3: {
        newmail_tagged_value_t t;

        if (j->mode == 1)
            r.ok = newmail_tagged_value_read(&c, &t);
        else if (j->mode == 2)
            r.ok = newmail_typed_value_read(&c, &t);
        else
            r.ok = newmail_flagged_value_read(&c, j->type, j->with_type, &t);
        r.problems = t.problems;
        r.span = t.span;
        if (r.ok) {
            check_tagged(b, &t, start, c.pos);
            r.extra = t.tag ^ t.type;
        }
        break;
    }
    case 4: {
        newmail_property_row_t row;
        newmail_tagged_value_t values[16];
        size_t nvalues = j->ncolumns;

        r.ok = newmail_property_row_read(&c, j->columns, j->ncolumns, &row, values, nvalues);
        r.problems = row.problems;
        r.span = row.span;
        REQUIRE(row.nread <= j->ncolumns);
        REQUIRE(row.span.offset == start && span_within(row.span, start, end));
        if (r.ok) {
            size_t at = start + 1;

            REQUIRE(row.nread == j->ncolumns);
            REQUIRE(row.flag == b[start] && row.flag <= 1);
            for (size_t i = 0; i < j->ncolumns; i++) {
                size_t stop = values[i].span.offset + values[i].span.length;

                REQUIRE(values[i].span.offset == at);
                check_tagged(b, &values[i], at, stop);
                REQUIRE(NEWMAIL_PROP_ID(values[i].tag) == NEWMAIL_PROP_ID(j->columns[i]));
                at = stop;
            }
            REQUIRE(at == c.pos && row.span.length == c.pos - start);
            r.extra = (uint32_t)row.nread;
        } else {
            REQUIRE((row.problems & NEWMAIL_PROP_PROBLEMS_FATAL) != 0);
        }
        break;
    }
    case 5: {
        res_ctx_t x;

        memset(&x, 0, sizeof(x));
        x.b = b;
        x.start = start;
        x.end = end;
        r.ok = newmail_restriction_walk(&c, res_visit, &x, &r.problems);
        if (r.ok) {
            REQUIRE(x.open == 0 && x.enters == x.leaves && x.enters >= 1);
            /* The skip sizes it identically. */
            newmail_cursor_t c2 = newmail_cursor(b, start, end);
            unsigned p2 = 0;

            REQUIRE(newmail_restriction_skip(&c2, &p2) && c2.pos == c.pos && p2 == r.problems);
        } else {
            REQUIRE(x.leaves <= x.enters);
        }
        r.span = newmail_span(start, c.pos - start);
        r.extra = x.enters;
        break;
    }
    case 6: {
        uint16_t rows;

        r.ok = newmail_property_row_set_skip(&c, j->columns, j->ncolumns, &rows, &r.problems);
        r.span = newmail_span(start, c.pos - start);
        r.extra = rows;
        break;
    }
    default: {
        uint16_t count;
        newmail_span_t sp;
        newmail_sort_order_set_t set;

        r.ok = newmail_prop_tag_array_read(&c, &count, &sp);
        if (r.ok) {
            REQUIRE(sp.offset == start + 2 && sp.length == (size_t)count * 4);
            REQUIRE(count == le16(b + start));
            r.ok = newmail_prop_problem_array_read(&c, &count, &sp);
            if (r.ok) {
                newmail_cursor_t pc = newmail_cursor(b, sp.offset, sp.offset + sp.length);
                newmail_prop_problem_t p;

                REQUIRE(sp.length == (size_t)count * 10);
                for (uint16_t i = 0; i < count; i++) {
                    REQUIRE(newmail_prop_problem_read(&pc, &p));
                    REQUIRE(p.tag_index == le16(b + p.span.offset));
                    REQUIRE(p.tag == le32(b + p.span.offset + 2));
                    REQUIRE(p.error_code == le32(b + p.span.offset + 6));
                }
                REQUIRE(pc.pos == pc.end && !newmail_prop_problem_read(&pc, &p));
                r.ok = newmail_sort_order_set_read(&c, &set);
                if (r.ok) {
                    REQUIRE(set.span.offset + 6 == set.sort_orders.offset);
                    REQUIRE(set.span.offset + set.span.length == c.pos);
                    REQUIRE(set.sort_orders.length == (size_t)set.sort_order_count * 5);
                    REQUIRE(set.sort_order_count == le16(b + set.span.offset));
                    REQUIRE(((set.problems & NEWMAIL_SORT_PROBLEM_COUNTS) != 0) ==
                            (set.categorized_count > set.sort_order_count ||
                             set.expanded_count > set.categorized_count));
                }
            }
        }
        r.span = newmail_span(start, c.pos - start);
        break;
    }
    }

    if (j->mode != 7) {
        if (r.ok) {
            REQUIRE(c.pos >= start && c.pos <= end);
            REQUIRE((r.problems & NEWMAIL_PROP_PROBLEMS_FATAL) == 0);
        } else {
            REQUIRE(c.pos == start);
            REQUIRE((r.problems & NEWMAIL_PROP_PROBLEMS_FATAL) != 0);
        }
    }
    REQUIRE(c.pos <= end);
    r.pos = c.pos;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    job_t j;
    size_t start = 1;
    result_t r, again;

    if (size == 0)
        return 0;
    memset(&j, 0, sizeof(j));
    j.mode = data[0] & 7;
    j.with_type = (data[0] & 8) != 0;
    if (j.mode == 0 || j.mode == 3) {
        if (size < 3)
            return 0;
        j.type = le16(data + 1);
        start = 3;
    } else if (j.mode == 4 || j.mode == 6) {
        if (size < 2)
            return 0;
        j.ncolumns = data[1] % 16;
        start = 2;
        if (size - start < j.ncolumns * 4)
            return 0;
        for (size_t i = 0; i < j.ncolumns; i++)
            j.columns[i] = le32(data + start + 4 * i);
        start += j.ncolumns * 4;
    }

    r = run(&j, data, start, size);
    again = run(&j, data, start, size);
    REQUIRE(r.ok == again.ok && r.pos == again.pos && r.problems == again.problems &&
            r.span.offset == again.span.offset && r.span.length == again.span.length &&
            r.extra == again.extra);

    if (r.ok && r.pos < size) {
        /* Only the bytes read matter: cut right after them, same result. */
        uint8_t *copy = malloc(r.pos);

        REQUIRE(copy != NULL);
        memcpy(copy, data, r.pos);
        again = run(&j, copy, start, r.pos);
        REQUIRE(again.ok && again.pos == r.pos && again.problems == r.problems &&
                again.extra == r.extra);
        free(copy);
    }
    if (r.ok && r.pos > start) {
        /* One byte shorter does not fit. */
        uint8_t *copy = malloc(r.pos - 1);

        REQUIRE(copy != NULL);
        memcpy(copy, data, r.pos - 1);
        again = run(&j, copy, start, r.pos - 1);
        REQUIRE(!again.ok && (j.mode == 7 || again.pos == start));
        free(copy);
    }
    return 0;
}
