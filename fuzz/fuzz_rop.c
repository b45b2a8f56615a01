/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_rop.c: libFuzzer target for newmail-rop.c, the reader the dissector
 * uses for EcDoRpcExt2 and MAPI/HTTP Execute ROP buffers.
 *
 * The first input byte says what the rest is:
 *   bits 0-1  0: an rgbOut/RopBuffer: RPC_HEADER_EXT blocks, each decoded
 *                into a SizeActual-byte buffer and walked as a ROP output
 *                buffer (the dissector's path); the budget (what its
 *                request allowed) is 256 KiB less bits 2-7 times 4 KiB,
 *                and the blocks together never decode to more;
 *             1: a raw LZ77 stream (bit 2: XOR it with 0xA5 first; the next
 *                input byte picks the output size, 0 to 4 KiB); checked
 *                against a second decoder written here from MS-XCA 2.4.4;
 *             2: a decoded ROP output buffer, walked directly;
 *             3: NotificationData, from NotificationHandle on.
 * Beyond the sanitizers it checks what the dissector relies on (spans inside
 * the input and in order, values equal to the bytes they come from, problem
 * bits that match the values, bounded output, determinism) and aborts when
 * one breaks.
 */
#include <stdlib.h>
#include <string.h>

#include "newmail-rop.h"

#include "fuzz_invariants.h"

/* ---- a second LZ77 decoder, straight from MS-XCA 2.4.4's pseudocode ---------------- */

/* Returns true when the stream decodes within cap bytes; *n gets the bytes
 * produced either way (up to cap). The end of the input at a token
 * boundary is the end of the stream, as in newmail_lz77_decompress(). */
static bool
reference_lz77(const uint8_t *in, size_t in_size, uint8_t mask, uint8_t *out, size_t cap, size_t *n)
{
    size_t ip = 0, op = 0, half_pos = 0;
    bool have_half = false;
    uint32_t flags = 0;
    int flag_count = 0;

#define IN(i) ((uint8_t)(in[i] ^ mask))
    *n = 0;
    for (;;) {
        if (ip == in_size)
            break;
        if (flag_count == 0) {
            if (in_size - ip < 4)
                return false;
            flags = (uint32_t)IN(ip) | (uint32_t)IN(ip + 1) << 8 | (uint32_t)IN(ip + 2) << 16 |
                    (uint32_t)IN(ip + 3) << 24;
            ip += 4;
            flag_count = 32;
            if (ip == in_size)
                break;
        }
        flag_count--;
        if (((flags >> flag_count) & 1) == 0) {
            if (op == cap)
                return false;
            out[op++] = IN(ip);
            ip++;
            *n = op;
            continue;
        }
        if (in_size - ip < 2)
            return false;
        uint32_t match = (uint32_t)IN(ip) | (uint32_t)IN(ip + 1) << 8;
        ip += 2;
        uint64_t len = match % 8, off = match / 8 + 1;
        if (len == 7) {
            if (!have_half) {
                if (ip == in_size)
                    return false;
                len = IN(ip) % 16;
                half_pos = ip;
                have_half = true;
                ip++;
            } else {
                len = IN(half_pos) / 16;
                have_half = false;
            }
            if (len == 15) {
                if (ip == in_size)
                    return false;
                len = IN(ip);
                ip++;
                if (len == 255) {
                    if (in_size - ip < 2)
                        return false;
                    len = (uint64_t)IN(ip) | (uint64_t)IN(ip + 1) << 8;
                    ip += 2;
                    if (len == 0) {
                        if (in_size - ip < 4)
                            return false;
                        len = (uint64_t)IN(ip) | (uint64_t)IN(ip + 1) << 8 |
                              (uint64_t)IN(ip + 2) << 16 | (uint64_t)IN(ip + 3) << 24;
                        ip += 4;
                    }
                    if (len < 15 + 7)
                        return false;
                    len -= 15 + 7;
                }
                len += 15;
            }
            len += 7;
        }
        len += 3;
        for (uint64_t i = 0; i < len; i++) {
            if (off > op || op == cap)
                return false;
            out[op] = out[op - off];
            op++;
            *n = op;
        }
    }
#undef IN
    return true;
}

static void
fuzz_lz77(const uint8_t *b, size_t size, bool xored)
{
    static uint8_t out[4096], ref[4097], again[4096];
    size_t cap, n, rn, n2;
    unsigned problems;
    bool ok;

    if (size == 0)
        return;
    cap = (size_t)b[0] * 16;
    b++;
    size--;
    problems = newmail_lz77_decompress(b, size, xored ? NEWMAIL_XOR_MAGIC : 0, out, cap, &n);
    REQUIRE((problems & ~(unsigned)(NEWMAIL_DECODE_INPUT_TRUNCATED | NEWMAIL_DECODE_BAD_OFFSET |
                                    NEWMAIL_DECODE_OUTPUT_FULL | NEWMAIL_DECODE_BAD_LENGTH)) == 0);
    REQUIRE(n <= cap);
    /* Exactly one reason to stop, or none. */
    REQUIRE((problems & (problems - 1)) == 0);
    if (problems & NEWMAIL_DECODE_OUTPUT_FULL)
        REQUIRE(n == cap);

    /* The reference with one more byte of room tells whether the stream
     * wanted more than cap. */
    ok = reference_lz77(b, size, xored ? NEWMAIL_XOR_MAGIC : 0, ref, cap + 1, &rn);
    REQUIRE(memcmp(out, ref, n < rn ? n : rn) == 0);
    if (ok && rn <= cap) {
        REQUIRE(problems == 0);
        REQUIRE(n == rn);
    }
    if (problems == 0)
        REQUIRE(ok && rn == n);
    if (problems & NEWMAIL_DECODE_OUTPUT_FULL)
        REQUIRE(rn > cap);

    /* Deterministic. */
    REQUIRE(newmail_lz77_decompress(b, size, xored ? NEWMAIL_XOR_MAGIC : 0, again, cap, &n2) ==
            problems);
    REQUIRE(n2 == n && memcmp(again, out, n) == 0);
}

/* ---- the ROP walk -------------------------------------------------------------------- */

/* The ids newmail-rop.h says the walk sizes on success. */
static bool
is_sizable(uint8_t rop_id)
{
    static const uint8_t ids[] = { NEWMAIL_ROP_SIZABLE_IDS };

    for (size_t i = 0; i < sizeof(ids); i++) {
        if (ids[i] == rop_id)
            return true;
    }
    return false;
}

static void
check_notify(const uint8_t *b, size_t size, const newmail_rop_response_t *r)
{
    const newmail_notify_t *n = &r->notify;
    newmail_span_t all = r->field[NEWMAIL_RF_NOTIFICATION];
    size_t end = all.offset;

    REQUIRE(span_inside(all, size));
    REQUIRE(all.offset == r->span.offset + 1);
    /* Fields in wire order, back to back, inside the notification. */
    for (int f = 0; f < NEWMAIL_NF_COUNT; f++) {
        if (!newmail_notify_has(n, (newmail_notify_field_t)f)) {
            REQUIRE(f == NEWMAIL_NF_MESSAGE_CLASS ||
                    (n->span[f].offset == 0 && n->span[f].length == 0));
            continue;
        }
        REQUIRE(n->span[f].offset == end);
        end = n->span[f].offset + n->span[f].length;
        if (f == NEWMAIL_NF_MESSAGE_CLASS)
            end += n->message_class_unicode ? 2 : 1;
        REQUIRE(end <= all.offset + all.length || r->status != NEWMAIL_ROP_SIZED);
    }
    if (r->status == NEWMAIL_ROP_SIZED)
        REQUIRE(end == all.offset + all.length);
    if (newmail_notify_has(n, NEWMAIL_NF_HANDLE))
        REQUIRE(n->handle == le32(b + n->span[NEWMAIL_NF_HANDLE].offset));
    if (newmail_notify_has(n, NEWMAIL_NF_FLAGS)) {
        REQUIRE(n->flags == le16(b + n->span[NEWMAIL_NF_FLAGS].offset));
        REQUIRE(n->type == (n->flags & NEWMAIL_NOTIFY_TYPE_MASK));
        REQUIRE(((r->problems & NEWMAIL_ROP_PROBLEM_NOTIFY_TYPE) != 0) ==
                (newmail_notify_type_name(n->type) == NULL));
    }
    if (newmail_notify_has(n, NEWMAIL_NF_MESSAGE_CLASS)) {
        newmail_span_t c = n->span[NEWMAIL_NF_MESSAGE_CLASS];
        size_t unit = n->message_class_unicode ? 2 : 1;

        REQUIRE(n->message_class_unicode == (n->unicode_flag == 1));
        REQUIRE(c.length == n->message_class_chars * unit);
        for (size_t i = 0; i < c.length; i += unit)
            REQUIRE(b[c.offset + i] != 0 || (unit == 2 && b[c.offset + i + 1] != 0));
        REQUIRE(b[c.offset + c.length] == 0);
        if (unit == 2)
            REQUIRE(b[c.offset + c.length + 1] == 0);
    }
    if (newmail_notify_has(n, NEWMAIL_NF_TABLE_ROW_DATA))
        REQUIRE(n->span[NEWMAIL_NF_TABLE_ROW_DATA].length == n->table_row_data_size);
    if (newmail_notify_has(n, NEWMAIL_NF_TAGS))
        REQUIRE(n->span[NEWMAIL_NF_TAGS].length == (size_t)n->tag_count * 4);
}

/* Walks b[0, size) and checks every response; returns a digest of the walk
 * for the determinism check. */
static size_t
walk_rops(const uint8_t *b, size_t size)
{
    newmail_rop_walk_t walk;
    newmail_rop_response_t r;
    size_t expect = 2, digest = 0;
    bool ended = false;

    newmail_rop_walk_init(&walk, b, size);
    REQUIRE(span_inside(walk.buffer.rops, size));
    REQUIRE(span_inside(walk.buffer.handle_table, size));
    REQUIRE(walk.buffer.handle_count * 4 <= walk.buffer.handle_table.length);
    while (newmail_rop_next_response(&walk, &r)) {
        REQUIRE(!ended);
        REQUIRE(walk.count <= size);
        REQUIRE(r.span.offset == expect);
        REQUIRE(span_inside(r.span, size));
        REQUIRE(r.span.offset + r.span.length <= walk.rops_end);
        REQUIRE(newmail_rop_has(&r, NEWMAIL_RF_ROP_ID) || r.status == NEWMAIL_ROP_TRUNCATED);
        if (newmail_rop_has(&r, NEWMAIL_RF_ROP_ID))
            REQUIRE(r.rop_id == b[r.span.offset]);
        /* Every field read lies inside the response. */
        for (int f = 0; f < NEWMAIL_RF_COUNT; f++) {
            newmail_span_t sp = r.field[f];

            if (!newmail_rop_has(&r, (newmail_rop_field_t)f))
                continue;
            REQUIRE(sp.offset >= r.span.offset &&
                    sp.offset + sp.length <= r.span.offset + r.span.length);
            if (f != NEWMAIL_RF_SERVERS && f != NEWMAIL_RF_REQUEST_BUFFERS &&
                f != NEWMAIL_RF_BACKOFF_ROP_DATA && f != NEWMAIL_RF_ADDITIONAL_DATA &&
                f != NEWMAIL_RF_NOTIFICATION) {
                uint32_t v = sp.length == 1   ? b[sp.offset]
                             : sp.length == 2 ? le16(b + sp.offset)
                                              : le32(b + sp.offset);
                REQUIRE(sp.length == 1 || sp.length == 2 || sp.length == 4);
                REQUIRE(r.value[f] == v);
            }
        }
        if (r.failure) {
            REQUIRE(r.status == NEWMAIL_ROP_SIZED && r.span.length == 6);
            REQUIRE(r.value[NEWMAIL_RF_RETURN_VALUE] != 0);
        }
        if (r.status == NEWMAIL_ROP_SIZED) {
            REQUIRE(r.span.length >= 1);
            REQUIRE(newmail_rop_name(r.rop_id) != NULL);
            if (!r.failure && newmail_rop_has(&r, NEWMAIL_RF_RETURN_VALUE))
                REQUIRE(is_sizable(r.rop_id) && r.value[NEWMAIL_RF_RETURN_VALUE] == 0);
            if (r.rop_id == NEWMAIL_ROP_BUFFER_TOO_SMALL)
                REQUIRE(r.span.offset + r.span.length == walk.rops_end);
        } else {
            ended = true;
        }
        if (r.rop_id == NEWMAIL_ROP_NOTIFY && newmail_rop_has(&r, NEWMAIL_RF_ROP_ID))
            check_notify(b, size, &r);
        expect = r.span.offset + r.span.length;
        digest = digest * 31 + r.span.length + r.status;
    }
    REQUIRE(walk.status != NEWMAIL_ROPS_RUNNING);
    if (walk.status == NEWMAIL_ROPS_COMPLETE) {
        REQUIRE(walk.pos == walk.rops_end);
        REQUIRE((walk.buffer.problems & ~(unsigned)NEWMAIL_ROPBUF_HANDLES_PARTIAL) == 0);
    }
    return digest * 7 + walk.status;
}

/* ---- the whole path: blocks, decode, walk ----------------------------------------------- */

static void
fuzz_rop_buffer(const uint8_t *b, size_t size, size_t budget)
{
    newmail_rpcx_walk_t walk;
    newmail_rpcx_block_t blk;
    static uint8_t out[65535], again[65535];
    size_t expect = 0, decoded = 0;

    newmail_rpcx_walk_init(&walk, b, size, budget);
    while (newmail_rpcx_next(&walk, &blk)) {
        size_t n, n2;
        unsigned problems;

        if (blk.problems & NEWMAIL_RPCX_OVER_BUDGET) {
            /* Refused whole, and the last block of the walk. */
            REQUIRE(blk.header_read && walk.granted + blk.size_actual > budget);
            REQUIRE(walk.done);
            REQUIRE(newmail_rpcx_decode(b, size, &blk, out, sizeof(out), &n) ==
                    NEWMAIL_DECODE_OVER_BUDGET);
            REQUIRE(n == 0);
            break;
        }

        REQUIRE(walk.blocks <= size / NEWMAIL_RPCX_HEADER_LEN + 1);
        REQUIRE(blk.header.offset == expect && span_inside(blk.header, size));
        if (!blk.header_read) {
            REQUIRE(blk.problems & NEWMAIL_RPCX_TRUNCATED_HEADER);
            REQUIRE(blk.header.length < NEWMAIL_RPCX_HEADER_LEN);
            REQUIRE(blk.header.offset + blk.header.length == size);
            REQUIRE(newmail_rpcx_decode(b, size, &blk, out, sizeof(out), &n) ==
                    NEWMAIL_DECODE_NO_HEADER);
            break;
        }
        REQUIRE(blk.version == le16(b + expect) && blk.flags == le16(b + expect + 2));
        REQUIRE(blk.size == le16(b + expect + 4) && blk.size_actual == le16(b + expect + 6));
        REQUIRE(((blk.problems & NEWMAIL_RPCX_BAD_VERSION) != 0) == (blk.version != 0));
        REQUIRE(((blk.problems & NEWMAIL_RPCX_UNKNOWN_FLAGS) != 0) ==
                ((blk.flags & ~NEWMAIL_RPCX_FLAGS_KNOWN) != 0));
        REQUIRE(((blk.problems & NEWMAIL_RPCX_SIZE_MISMATCH) != 0) ==
                (!(blk.flags & NEWMAIL_RPCX_FLAG_COMPRESSED) && blk.size != blk.size_actual));
        REQUIRE(((blk.problems & NEWMAIL_RPCX_NOT_SMALLER) != 0) ==
                ((blk.flags & NEWMAIL_RPCX_FLAG_COMPRESSED) && blk.size >= blk.size_actual));
        REQUIRE(((blk.problems & NEWMAIL_RPCX_SIZE_PAST_END) != 0) ==
                (blk.payload.length < blk.size));
        REQUIRE(blk.payload.offset == expect + 8 && span_inside(blk.payload, size));
        expect = blk.payload.offset + blk.payload.length;
        if (blk.problems & NEWMAIL_RPCX_TRAILING)
            REQUIRE(blk.trailing.offset == expect &&
                    blk.trailing.offset + blk.trailing.length == size);

        /* Decode into exactly SizeActual bytes, as the dissector does. */
        problems = newmail_rpcx_decode(b, size, &blk, out, blk.size_actual, &n);
        REQUIRE(n <= blk.size_actual);
        decoded += n;
        REQUIRE(decoded <= budget && decoded <= walk.granted && walk.granted <= budget);
        REQUIRE(((problems & NEWMAIL_DECODE_SHORT) != 0) == (n < blk.size_actual));
        if (!(blk.flags & NEWMAIL_RPCX_FLAG_COMPRESSED)) {
            uint8_t mask = (blk.flags & NEWMAIL_RPCX_FLAG_XOR_MAGIC) ? NEWMAIL_XOR_MAGIC : 0;

            REQUIRE(n ==
                    (blk.payload.length < blk.size_actual ? blk.payload.length : blk.size_actual));
            for (size_t i = 0; i < n; i++)
                REQUIRE(out[i] == (b[blk.payload.offset + i] ^ mask));
        }
        REQUIRE(newmail_rpcx_decode(b, size, &blk, again, blk.size_actual, &n2) == problems);
        REQUIRE(n2 == n && memcmp(again, out, n) == 0);

        /* The decoded payload is a ROP output buffer; walk it from a heap
         * copy of exactly n bytes so ASan sees any overread. */
        uint8_t *copy = malloc(n ? n : 1);
        REQUIRE(copy != NULL);
        memcpy(copy, out, n);
        REQUIRE(walk_rops(copy, n) == walk_rops(copy, n));
        free(copy);
    }
    REQUIRE(walk.done || size == 0);
}

static void
fuzz_notify(const uint8_t *b, size_t size)
{
    newmail_notify_t n, again;
    size_t used, used2;
    unsigned problems = 0, problems2 = 0;
    newmail_rop_status_t st = newmail_notify_parse(b, 0, size, &n, &used, &problems);

    REQUIRE(used <= size);
    REQUIRE(newmail_notify_parse(b, 0, size, &again, &used2, &problems2) == st);
    REQUIRE(used2 == used && problems2 == problems && memcmp(&n, &again, sizeof(n)) == 0);
    for (int f = 0; f < NEWMAIL_NF_COUNT; f++) {
        if (newmail_notify_has(&n, (newmail_notify_field_t)f))
            REQUIRE(n.span[f].offset + n.span[f].length <= used);
    }
    if (st == NEWMAIL_ROP_SIZED && used < size) {
        /* Cut right after it: still sized, identically. */
        REQUIRE(newmail_notify_parse(b, 0, used, &again, &used2, &problems2) == st);
        REQUIRE(used2 == used);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] & 3) {
    case 0:
        fuzz_rop_buffer(data + 1, size - 1,
                        NEWMAIL_ROP_BUFFER_MAX_DECODED - (size_t)(data[0] >> 2) * 4096);
        break;
    case 1:
        fuzz_lz77(data + 1, size - 1, (data[0] & 4) != 0);
        break;
    case 2:
        REQUIRE(walk_rops(data + 1, size - 1) == walk_rops(data + 1, size - 1));
        break;
    default:
        fuzz_notify(data + 1, size - 1);
        break;
    }
    return 0;
}
