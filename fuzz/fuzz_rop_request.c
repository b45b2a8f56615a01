/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_rop_request.c: libFuzzer target for newmail-rop-request.c, the reader
 * of the ROP requests of a decoded ROP input buffer.
 *
 * The first input byte says what the rest is:
 *   bit 0     0: a ROP input buffer (RopSize, RopsList, handle table),
 *                walked request by request;
 *             1: one request, read from the start of the rest;
 *   bits 1-2  the logons the reader is told of: 0 none, 1 every logon id
 *             private, 2 every logon id public folders, 3 the ids whose
 *             bit is set in the second byte's pattern private, the others
 *             public.
 * Beyond the sanitizers it checks what the dissector will rely on: every
 * request and field span inside the input, requests back to back from the
 * start of RopsList, each taking at least one byte, fields in order inside
 * their request, integer values equal to the bytes they come from, list
 * lengths equal to count times element size, variable lists stepped
 * through element by element to their count and end, strings ending at
 * their terminator, the handle indexes in the record equal to their fields, a walk
 * that ends with a status that matches how it ended, and determinism.
 */
#include <stdlib.h>
#include <string.h>

#include "newmail-rop-request.h"

#include "fuzz_invariants.h"

/* The element size of a list kind, 0 for the others. */
static size_t
elem_size(unsigned kind)
{
    switch (kind) {
    case NEWMAIL_RQK_TAGS:
        return 4;
    case NEWMAIL_RQK_IDS:
        return 8;
    case NEWMAIL_RQK_PROPERTY_IDS:
        return 2;
    case NEWMAIL_RQK_SORT_ORDERS:
        return 5;
    case NEWMAIL_RQK_LONG_TERM_ID_RANGES:
        return 48;
    default:
        return 0;
    }
}

static void
check_request(const uint8_t *buf, size_t size, size_t start, size_t end,
              const newmail_rop_request_t *rq)
{
    size_t at = start;
    bool saw_in = false, saw_out = false, saw_dest = false;

    REQUIRE(rq->span.offset == start);
    REQUIRE(span_inside(rq->span, size));
    REQUIRE(rq->span.offset + rq->span.length <= end);
    REQUIRE(rq->nfields <= NEWMAIL_RQ_MAX_FIELDS);
    REQUIRE(rq->status <= NEWMAIL_RQ_UNKNOWN);
    if (start < end) {
        REQUIRE(rq->span.length >= 1);
        REQUIRE(rq->nfields >= 1);
        REQUIRE(rq->field[0].name == NEWMAIL_RQ_ROP_ID);
        REQUIRE(rq->field[0].span.offset == start && rq->field[0].span.length == 1);
        REQUIRE(rq->rop_id == buf[start]);
    }
    for (unsigned i = 0; i < rq->nfields; i++) {
        const newmail_rq_field_t *f = &rq->field[i];
        const uint8_t *p = buf + f->span.offset;
        size_t len = f->span.length, es;

        REQUIRE(span_inside(f->span, size));
        REQUIRE(f->name < NEWMAIL_RQ_NAME_COUNT);
        REQUIRE(newmail_rq_field_name(f->name) != NULL);
        REQUIRE(f->kind < NEWMAIL_RQK_COUNT);
        /* In order, inside the request. */
        REQUIRE(f->span.offset >= at);
        REQUIRE(f->span.offset + len <= rq->span.offset + rq->span.length);
        at = f->span.offset + len;
        switch (f->kind) {
        case NEWMAIL_RQK_U8:
        case NEWMAIL_RQK_HANDLE_INDEX:
            REQUIRE(len == 1 && f->value == p[0]);
            break;
        case NEWMAIL_RQK_U16:
            REQUIRE(len == 2 && f->value == le16(p));
            break;
        case NEWMAIL_RQK_U32:
        case NEWMAIL_RQK_I32:
            REQUIRE(len == 4 && f->value == le32(p));
            break;
        case NEWMAIL_RQK_U64:
            REQUIRE(len == 8 && f->value == le_n(p, 8));
            break;
        case NEWMAIL_RQK_GUID:
            REQUIRE(len == 16 && f->value == 16);
            break;
        case NEWMAIL_RQK_LONG_TERM_ID:
            REQUIRE(len == 24 && f->value == 24);
            break;
        case NEWMAIL_RQK_BYTES:
        case NEWMAIL_RQK_RESTRICTION:
        case NEWMAIL_RQK_STRING8_COUNTED:
            REQUIRE(f->value == len);
            break;
        case NEWMAIL_RQK_STRING8:
            REQUIRE(f->value == len);
            REQUIRE(memchr(p, 0, len) == NULL);
            REQUIRE(f->span.offset + len < size && p[len] == 0);
            at += 1;
            break;
        case NEWMAIL_RQK_UNICODE:
            REQUIRE(len % 2 == 0 && f->value == len / 2);
            for (size_t k = 0; k < len; k += 2)
                REQUIRE(p[k] != 0 || p[k + 1] != 0);
            REQUIRE(f->span.offset + len + 1 < size && p[len] == 0 && p[len + 1] == 0);
            at += 2;
            break;
        default:
            es = elem_size(f->kind);
            if (es)
                REQUIRE(f->value <= len && len == f->value * es);
            break;
        }
        if (f->name == NEWMAIL_RQ_INPUT_HANDLE_INDEX || f->name == NEWMAIL_RQ_SOURCE_HANDLE_INDEX) {
            REQUIRE(rq->has_input && rq->input_handle_index == f->value);
            saw_in = true;
        }
        if (f->name == NEWMAIL_RQ_OUTPUT_HANDLE_INDEX) {
            REQUIRE(rq->has_output && rq->output_handle_index == f->value);
            saw_out = true;
        }
        if (f->name == NEWMAIL_RQ_DEST_HANDLE_INDEX) {
            REQUIRE(rq->has_dest && rq->dest_handle_index == f->value);
            saw_dest = true;
        }
        if (f->name == NEWMAIL_RQ_LOGON_ID)
            REQUIRE(rq->logon_id == f->value);
    }
    REQUIRE(saw_in == rq->has_input && saw_out == rq->has_output && saw_dest == rq->has_dest);
    /* newmail_rq_list_next() stays inside each list field, each step at
     * least one byte; in a request read whole (and no size disagreeing) it
     * gives exactly the field's count of elements and ends with the field. */
    for (unsigned i = 0; i < rq->nfields; i++) {
        const newmail_rq_field_t *f = &rq->field[i];
        size_t pos = f->span.offset, fend = f->span.offset + f->span.length;
        newmail_span_t elem;
        uint64_t n = 0;

        if (f->kind < NEWMAIL_RQK_TAGS || f->kind == NEWMAIL_RQK_RESTRICTION)
            continue;
        while (newmail_rq_list_next(buf, f, &pos, &elem)) {
            REQUIRE(elem.length > 0 && elem.offset >= f->span.offset);
            REQUIRE(elem.offset + elem.length == pos && pos <= fend);
            n++;
        }
        if (rq->status == NEWMAIL_RQ_READ && !(rq->problems & NEWMAIL_RQ_PROBLEM_SIZE))
            REQUIRE(n == f->value && pos == fend);
    }
    /* A request read whole ends with its last field (or that field's
     * string terminator). */
    if (rq->status == NEWMAIL_RQ_READ)
        REQUIRE(at == rq->span.offset + rq->span.length);
    if (rq->problems & (NEWMAIL_RQ_PROBLEM_UNKNOWN_ID | NEWMAIL_RQ_PROBLEM_RESPONSE_ONLY))
        REQUIRE(rq->status == NEWMAIL_RQ_UNKNOWN && rq->nfields == 1);
}

static void
set_logons(newmail_rq_logons_t *l, unsigned mode, uint8_t pattern)
{
    memset(l, 0, sizeof(*l));
    if (mode == 0)
        return;
    for (unsigned id = 0; id < 256; id++) {
        bool priv = mode == 1 || (mode == 3 && (pattern >> (id % 8)) & 1);

        newmail_rq_logons_set(l, (uint8_t)id, priv ? NEWMAIL_LOGON_FLAG_PRIVATE : 0);
    }
}

/* Walks a ROP input buffer; returns a digest of what it found, for the
 * determinism check. */
static uint64_t
walk_requests(const uint8_t *buf, size_t size, unsigned mode, uint8_t pattern)
{
    newmail_rop_request_walk_t walk;
    newmail_rop_request_t rq;
    newmail_rq_logons_t logons;
    uint64_t digest = 1469598103934665603ull;
    size_t expect, rops_end;
    unsigned n = 0;

    newmail_rop_request_walk_init(&walk, buf, size);
    set_logons(&logons, mode, pattern);
    if (mode != 0)
        walk.logons = logons;
    expect = walk.pos;
    rops_end = walk.rops_end;
    REQUIRE(rops_end <= size);
    while (newmail_rop_request_next(&walk, &rq)) {
        n++;
        REQUIRE(n <= size); /* every request takes at least one byte */
        check_request(buf, size, expect, rops_end, &rq);
        if (rq.problems & NEWMAIL_RQ_PROBLEM_HANDLE_INDEX) {
            bool past = false;

            for (unsigned i = 0; i < rq.nfields; i++)
                past |= rq.field[i].kind == NEWMAIL_RQK_HANDLE_INDEX &&
                        rq.field[i].value >= walk.buffer.handle_count;
            REQUIRE(past);
        }
        for (unsigned i = 0; i < rq.nfields; i++) {
            uint32_t h;

            if (rq.field[i].kind == NEWMAIL_RQK_HANDLE_INDEX)
                REQUIRE(newmail_rop_request_handle(&walk, (uint8_t)rq.field[i].value, &h) ==
                        (rq.field[i].value < walk.buffer.handle_count));
        }
        expect += rq.span.length;
        digest = (digest ^ rq.rop_id ^ (uint64_t)rq.status << 8 ^ (uint64_t)rq.span.length << 16 ^
                  (uint64_t)rq.nfields << 40 ^ (uint64_t)rq.problems << 48) *
                 1099511628211ull;
        if (rq.status != NEWMAIL_RQ_READ) {
            REQUIRE(walk.status == (rq.status == NEWMAIL_RQ_TRUNCATED ? NEWMAIL_RQW_TRUNCATED
                                                                      : NEWMAIL_RQW_STOPPED));
            if (walk.status == NEWMAIL_RQW_STOPPED)
                REQUIRE(walk.stop == rq.status);
        } else {
            REQUIRE(walk.status == NEWMAIL_RQW_RUNNING);
        }
    }
    REQUIRE(walk.status != NEWMAIL_RQW_RUNNING);
    REQUIRE(walk.count == n);
    if (walk.status == NEWMAIL_RQW_COMPLETE)
        REQUIRE(expect == rops_end && !(walk.buffer.problems & NEWMAIL_ROPBUF_SIZE_PAST_END));
    return digest ^ (uint64_t)walk.status << 60 ^ n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned mode;
    uint8_t pattern;

    if (size < 2)
        return 0;
    mode = (data[0] >> 1) & 3;
    pattern = data[1];
    if (data[0] & 1) {
        newmail_rop_request_t a, b;
        newmail_rq_logons_t logons;

        set_logons(&logons, mode, pattern);
        newmail_rop_request_read(data, 2, size, mode ? &logons : NULL, &a);
        check_request(data, size, 2, size, &a);
        newmail_rop_request_read(data, 2, size, mode ? &logons : NULL, &b);
        REQUIRE(memcmp(&a, &b, sizeof(a)) == 0);
    } else {
        REQUIRE(walk_requests(data + 2, size - 2, mode, pattern) ==
                walk_requests(data + 2, size - 2, mode, pattern));
    }
    return 0;
}
