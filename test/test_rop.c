/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_rop.c: unit tests for newmail-rop.c: the RPC_HEADER_EXT walk
 * (MS-OXCRPC 2.2.2.1), the bounded Plain LZ77 decoder (MS-XCA 2.4.4,
 * MS-OXCRPC 3.1.4.1.1.2), XorMagic (3.1.4.1.1.3) and the ROP output buffer
 * walk (MS-OXCROPS 2.2.1, 2.2.14, 2.2.15; MS-OXCNOTIF 2.2.1.4.1.2).
 *
 * Byte-exact vectors from the specifications where they give any: MS-XCA 3.1
 * (the two Plain LZ77 examples), MS-OXCRPC 3.1.4.1.1.2.2.4 (the lengths 25
 * and 280 of its length table), MS-OXCROPS 4.4 (a ROP input buffer with two
 * RopRelease requests and its handle table), MS-OXCTABL 4.3.2 (a RopSortTable
 * response) and MS-OXORULE 4.2.2 (RopGetRulesTable and RopSetColumns
 * responses). The rest is built here field by field from the layouts, never
 * by the reader. Truncated inputs live in heap buffers of exactly the cut
 * length, so under ASan any read past the cut fails. No framework: main()
 * ends with "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newmail-rop-response.h"
#include "newmail-rop.h"

#include "checks.h"
#include "writer.h"

/* MS-OXCRPC 3.1.4.1.1.3: every byte XOR 0xA5, in place (its own inverse). */
static void
xor_magic(uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bytes[i] ^= NEWMAIL_XOR_MAGIC;
}

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

/* An RPC_HEADER_EXT; the payload follows with put_bytes. */
static void
put_rpcx(writer_t *w, uint16_t version, uint16_t flags, uint16_t size, uint16_t size_actual)
{
    put16(w, version);
    put16(w, flags);
    put16(w, size);
    put16(w, size_actual);
}

/* ---- MS-XCA 3.1 examples ------------------------------------------------------------ */

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz";
/* The 26 letters as literals: flag word 0x0000003F (26 zero bits, then 1s
 * that end the stream), then the letters. */
static const uint8_t xca_example1[] = {0x3f, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
                                       0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70,
                                       0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a};
/* "abc" 100 times: three literals, then one match of offset 3 and length 297
 * (token 0x0017: length bits 111, the nibble 15, the byte 255, then 16 bits
 * 0x0126 = 294 = 297 - 3). */
static const uint8_t xca_example2[] = {0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63,
                                       0x17, 0x00, 0x0f, 0xff, 0x26, 0x01};

static void
abc_times(uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)("abc"[i % 3]);
}

/* ---- LZ77 -------------------------------------------------------------------------- */

static unsigned
lz(const uint8_t *in, size_t in_len, uint8_t mask, uint8_t *out, size_t out_size, size_t *n)
{
    uint8_t *copy = exact_copy(in, in_len);
    unsigned problems = newmail_lz77_decompress(copy, in_len, mask, out, out_size, n);

    free(copy);
    return problems;
}

static void
test_lz77_examples(void)
{
    uint8_t out[400], want[300];
    size_t n;

    WHERE("MS-XCA 3.1 example 1");
    CHECK_EQ(lz(xca_example1, sizeof(xca_example1), 0, out, 26, &n), 0);
    CHECK_EQ(n, 26);
    CHECK(memcmp(out, alphabet, 26) == 0);
    /* A larger output buffer changes nothing: the stream ends itself. */
    CHECK_EQ(lz(xca_example1, sizeof(xca_example1), 0, out, sizeof(out), &n), 0);
    CHECK_EQ(n, 26);

    WHERE("MS-XCA 3.1 example 2");
    abc_times(want, 300);
    CHECK_EQ(lz(xca_example2, sizeof(xca_example2), 0, out, 300, &n), 0);
    CHECK_EQ(n, 300);
    CHECK(memcmp(out, want, 300) == 0);

    /* The same stream with XorMagic applied on the wire, undone as read. */
    WHERE("MS-XCA 3.1 example 2, XORed");
    {
        uint8_t x[sizeof(xca_example2)];

        memcpy(x, xca_example2, sizeof(x));
        xor_magic(x, sizeof(x));
        CHECK_EQ(lz(x, sizeof(x), NEWMAIL_XOR_MAGIC, out, 300, &n), 0);
        CHECK_EQ(n, 300);
        CHECK(memcmp(out, want, 300) == 0);
    }
    where[0] = 0;
}

/* Lengths from MS-OXCRPC 3.1.4.1.1.2.2.4's table and MS-XCA 2.4.4: each case
 * is "a", then one match of offset 1 and the given length: the output is
 * length + 1 letters a. Flag word 0x7FFFFFFF: literal, match, end. */
static void
test_lz77_lengths(void)
{
    static const struct {
        const char *name;
        uint8_t token[12];
        size_t token_len;
        size_t length;
    } cases[] = {
        {"length 3 (bits 000)", {0x00, 0x00}, 2, 3},
        {"length 9 (bits 110)", {0x06, 0x00}, 2, 9},
        {"length 10 (111, nibble 0)", {0x07, 0x00, 0x00}, 3, 10},
        {"length 24 (111, nibble 1110)", {0x07, 0x00, 0x0e}, 3, 24},
        {"length 25 (111, 1111, byte 0)", {0x07, 0x00, 0x0f, 0x00}, 4, 25},
        {"length 26 (111, 1111, byte 1)", {0x07, 0x00, 0x0f, 0x01}, 4, 26},
        {"length 279 (111, 1111, byte 254)", {0x07, 0x00, 0x0f, 0xfe}, 4, 279},
        {"length 280 (16 bits 0x0115)", {0x07, 0x00, 0x0f, 0xff, 0x15, 0x01}, 6, 280},
        {"length 281 (16 bits 0x0116)", {0x07, 0x00, 0x0f, 0xff, 0x16, 0x01}, 6, 281},
        {"length 25 in 16 bits (0x0016)", {0x07, 0x00, 0x0f, 0xff, 0x16, 0x00}, 6, 25},
        {"length 65538 (16 bits 0xFFFF)", {0x07, 0x00, 0x0f, 0xff, 0xff, 0xff}, 6, 65538},
        {"length 300 in 32 bits", {0x07, 0x00, 0x0f, 0xff, 0x00, 0x00, 0x29, 0x01, 0, 0}, 10, 300},
        {"length 70000 in 32 bits",
         {0x07, 0x00, 0x0f, 0xff, 0x00, 0x00, 0x6d, 0x11, 0x01, 0x00},
         10,
         70000},
    };
    static uint8_t out[70010];

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        writer_t *w = calloc(1, sizeof(*w));
        size_t n, k;

        WHERE("%s", cases[i].name);
        put32(w, 0x7fffffff);
        put8(w, 'a');
        put_bytes(w, cases[i].token, cases[i].token_len);
        CHECK_EQ(lz(w->b, w->len, 0, out, cases[i].length + 1, &n), 0);
        CHECK_EQ(n, cases[i].length + 1);
        for (k = 0; k < n && out[k] == 'a'; k++)
            ;
        CHECK_EQ(k, n);
        /* One byte less of output room: stopped, never more. */
        CHECK_EQ(lz(w->b, w->len, 0, out, cases[i].length, &n), NEWMAIL_DECODE_OUTPUT_FULL);
        CHECK_EQ(n, cases[i].length);
        free(w);
    }
    where[0] = 0;
}

/* Two long matches share one length byte: the first uses its low nibble,
 * the second its high nibble (MS-XCA 2.4.4 LastLengthHalfByte). Worked out
 * by hand: "a", match(1, 11: nibble 1), "b", match(13, 12: nibble 2). */
static const uint8_t shared_nibble[] = {0xff, 0xff, 0xff, 0x5f, 0x61, 0x07,
                                        0x00, 0x21, 0x62, 0x67, 0x00};
static const char shared_nibble_text[] = "aaaaaaaaaaaabaaaaaaaaaaaa";

static void
test_lz77_shared_nibble(void)
{
    uint8_t out[64];
    size_t n;

    WHERE("shared nibble");
    CHECK_EQ(lz(shared_nibble, sizeof(shared_nibble), 0, out, sizeof(out), &n), 0);
    CHECK_EQ(n, strlen(shared_nibble_text));
    CHECK(memcmp(out, shared_nibble_text, strlen(shared_nibble_text)) == 0);
    where[0] = 0;
}

/* Where a stream may end without a problem, and where it may not. */
static void
test_lz77_ends(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    uint8_t out[80];
    size_t n;

    /* 32 literals fill a flag word; the input ends at the token boundary. */
    WHERE("32 literals, no spare flag word");
    put32(w, 0);
    for (int i = 0; i < 32; i++)
        put8(w, (uint8_t)('A' + i));
    CHECK_EQ(lz(w->b, w->len, 0, out, sizeof(out), &n), 0);
    CHECK_EQ(n, 32);
    /* A spare flag word with nothing after it is an end too. */
    WHERE("32 literals and a spare zero flag word");
    put32(w, 0);
    CHECK_EQ(lz(w->b, w->len, 0, out, sizeof(out), &n), 0);
    CHECK_EQ(n, 32);
    WHERE("empty input");
    CHECK_EQ(lz(w->b, 0, 0, out, sizeof(out), &n), 0);
    CHECK_EQ(n, 0);
    free(w);
    where[0] = 0;
}

static void
test_lz77_problems(void)
{
    static const struct {
        const char *name;
        uint8_t in[24];
        size_t len;
        size_t out_size;
        unsigned problems;
        size_t out_len;
    } cases[] = {
        {"flag word cut (3 bytes)", {0x00, 0x00, 0x00}, 3, 16, NEWMAIL_DECODE_INPUT_TRUNCATED, 0},
        {"match token cut",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x00},
         6,
         16,
         NEWMAIL_DECODE_INPUT_TRUNCATED,
         1},
        {"length nibble missing",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x07, 0x00},
         7,
         64,
         NEWMAIL_DECODE_INPUT_TRUNCATED,
         1},
        {"8-bit length missing",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x07, 0x00, 0x0f},
         8,
         64,
         NEWMAIL_DECODE_INPUT_TRUNCATED,
         1},
        {"16-bit length cut",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x07, 0x00, 0x0f, 0xff, 0x15},
         10,
         400,
         NEWMAIL_DECODE_INPUT_TRUNCATED,
         1},
        {"32-bit length cut",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x07, 0x00, 0x0f, 0xff, 0x00, 0x00, 0x29, 0x01, 0x00},
         14,
         400,
         NEWMAIL_DECODE_INPUT_TRUNCATED,
         1},
        {"16-bit length 21",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x07, 0x00, 0x0f, 0xff, 0x15, 0x00},
         11,
         400,
         NEWMAIL_DECODE_BAD_LENGTH,
         1},
        {"32-bit length 0",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x07, 0x00, 0x0f, 0xff, 0x00, 0x00, 0, 0, 0, 0},
         15,
         400,
         NEWMAIL_DECODE_BAD_LENGTH,
         1},
        {"offset 2 after 1 byte",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x08, 0x00},
         7,
         16,
         NEWMAIL_DECODE_BAD_OFFSET,
         1},
        {"match first", {0xff, 0xff, 0xff, 0xff, 0x00, 0x00}, 6, 16, NEWMAIL_DECODE_BAD_OFFSET, 0},
        {"literal into a full output",
         {0x00, 0x00, 0x00, 0x00, 0x61, 0x62},
         6,
         1,
         NEWMAIL_DECODE_OUTPUT_FULL,
         1},
        {"no room at all", {0x00, 0x00, 0x00, 0x00, 0x61}, 5, 0, NEWMAIL_DECODE_OUTPUT_FULL, 0},
        {"match longer than the room",
         {0xff, 0xff, 0xff, 0x7f, 0x61, 0x06, 0x00},
         7,
         5,
         NEWMAIL_DECODE_OUTPUT_FULL,
         5},
    };
    uint8_t out[400];

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        size_t n = 99;

        WHERE("%s", cases[i].name);
        CHECK_EQ(lz(cases[i].in, cases[i].len, 0, out, cases[i].out_size, &n), cases[i].problems);
        CHECK_EQ(n, cases[i].out_len);
    }
    where[0] = 0;
}

/* A few hundred bytes that ask for megabytes stop at the output's size. */
static void
test_lz77_bomb(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    static uint8_t out[NEWMAIL_RPCX_MAX_PAYLOAD];
    size_t n, matches = 0, k;

    /* "a", then matches of offset 1 and length 65538, two per shared
     * length byte: 100 of them ask for 6.5 MB from under 600 bytes. */
    put32(w, 0x7fffffff);
    put8(w, 'a');
    while (matches < 31) {
        put16(w, 0x0007);
        if (matches % 2 == 0)
            put8(w, 0xff); /* both nibbles 15 */
        put8(w, 0xff);
        put16(w, 0xffff);
        matches++;
    }
    put32(w, 0xffffffff);
    while (matches < 100) {
        put16(w, 0x0007);
        if (matches % 2 == 0)
            put8(w, 0xff);
        put8(w, 0xff);
        put16(w, 0xffff);
        matches++;
    }
    WHERE("bomb of %zu bytes", w->len);
    CHECK(w->len < 600);
    CHECK_EQ(lz(w->b, w->len, 0, out, sizeof(out), &n), NEWMAIL_DECODE_OUTPUT_FULL);
    CHECK_EQ(n, sizeof(out));
    for (k = 0; k < n && out[k] == 'a'; k++)
        ;
    CHECK_EQ(k, n);

    /* One 32-bit length of 4 GiB: 15 bytes. */
    WHERE("4 GiB in one token");
    w->len = 0;
    put32(w, 0x7fffffff);
    put8(w, 'a');
    put_bytes(w, (const uint8_t[]){0x07, 0x00, 0x0f, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff}, 10);
    CHECK_EQ(lz(w->b, w->len, 0, out, 1000, &n), NEWMAIL_DECODE_OUTPUT_FULL);
    CHECK_EQ(n, 1000);
    free(w);
    where[0] = 0;
}

/* ---- RPC_HEADER_EXT ----------------------------------------------------------------- */

static void
test_rpcx_chain(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    newmail_rpcx_walk_t walk;
    newmail_rpcx_block_t b;
    uint8_t *copy, out[400], want[300];
    size_t n;

    /* Three blocks: plain, compressed (MS-XCA example 2), then compressed
     * and XORed (the shared-nibble stream: 11 bytes for 25) with Last. */
    put_rpcx(w, 0, 0, 4, 4);
    put_bytes(w, "\x01\x02\x03\x04", 4);
    put_rpcx(w, 0, NEWMAIL_RPCX_FLAG_COMPRESSED, sizeof(xca_example2), 300);
    put_bytes(w, xca_example2, sizeof(xca_example2));
    put_rpcx(w, 0,
             NEWMAIL_RPCX_FLAG_COMPRESSED | NEWMAIL_RPCX_FLAG_XOR_MAGIC | NEWMAIL_RPCX_FLAG_LAST,
             sizeof(shared_nibble), 25);
    size_t third = put_bytes(w, shared_nibble, sizeof(shared_nibble));
    xor_magic(w->b + third, sizeof(shared_nibble));
    copy = exact_copy(w->b, w->len);
    abc_times(want, 300);

    newmail_rpcx_walk_init(&walk, copy, w->len, NEWMAIL_ROP_BUFFER_MAX_DECODED);
    WHERE("block 1");
    CHECK(newmail_rpcx_next(&walk, &b));
    CHECK(b.header_read);
    CHECK_EQ(b.problems, 0);
    CHECK_SPAN(b.header, 0, 8);
    CHECK_SPAN(b.version_span, 0, 2);
    CHECK_SPAN(b.flags_span, 2, 2);
    CHECK_SPAN(b.size_span, 4, 2);
    CHECK_SPAN(b.size_actual_span, 6, 2);
    CHECK_SPAN(b.payload, 8, 4);
    CHECK_EQ(b.size, 4);
    CHECK_EQ(b.size_actual, 4);
    CHECK_EQ(newmail_rpcx_decode(copy, w->len, &b, out, b.size_actual, &n), 0);
    CHECK_EQ(n, 4);
    CHECK(memcmp(out, "\x01\x02\x03\x04", 4) == 0);

    WHERE("block 2");
    CHECK(newmail_rpcx_next(&walk, &b));
    CHECK_EQ(b.problems, 0);
    CHECK_SPAN(b.header, 12, 8);
    CHECK_SPAN(b.payload, 20, sizeof(xca_example2));
    CHECK_EQ(b.flags, NEWMAIL_RPCX_FLAG_COMPRESSED);
    CHECK_EQ(newmail_rpcx_decode(copy, w->len, &b, out, b.size_actual, &n), 0);
    CHECK_EQ(n, 300);
    CHECK(memcmp(out, want, 300) == 0);

    WHERE("block 3");
    CHECK(newmail_rpcx_next(&walk, &b));
    CHECK_EQ(b.problems, 0);
    CHECK_SPAN(b.payload, third, sizeof(shared_nibble));
    CHECK_EQ(newmail_rpcx_decode(copy, w->len, &b, out, b.size_actual, &n), 0);
    CHECK_EQ(n, 25);
    CHECK(memcmp(out, shared_nibble_text, 25) == 0);

    WHERE("after Last");
    CHECK(!newmail_rpcx_next(&walk, &b));
    CHECK(walk.done);
    CHECK_EQ(walk.blocks, 3);
    free(copy);
    free(w);
    where[0] = 0;
}

/* The chain the budget exists for (docs/architecture.md, "Bounded decoding"):
 * blocks of 11 bytes, none Last, each a literal and one match that really
 * expand to 65,535 bytes. Each block alone is within its SizeActual; only
 * the walk's budget stops the chain. */
static void
test_rpcx_budget(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    static uint8_t out[65535];
    newmail_rpcx_walk_t walk;
    newmail_rpcx_block_t b;
    uint8_t *copy;
    size_t n, total = 0;
    unsigned granted = 0;

    for (int i = 0; i < 40; i++) {
        put_rpcx(w, 0, NEWMAIL_RPCX_FLAG_COMPRESSED, 11, 65535);
        put32(w, 0x7fffffff); /* a literal, then matches */
        put8(w, 'a');
        put16(w, 0x0007);     /* offset 1, length 7: look further */
        put8(w, 0x0f);        /* nibble 15: a length byte follows */
        put8(w, 0xff);        /* 255: a 16-bit length follows */
        put16(w, 65534 - 3);  /* the match: 65,534 bytes */
    }
    copy = exact_copy(w->b, w->len);

    WHERE("default budget");
    newmail_rpcx_walk_init(&walk, copy, w->len, NEWMAIL_ROP_BUFFER_MAX_DECODED);
    while (newmail_rpcx_next(&walk, &b)) {
        unsigned problems = newmail_rpcx_decode(copy, w->len, &b, out, b.size_actual, &n);

        if (b.problems & NEWMAIL_RPCX_OVER_BUDGET) {
            CHECK_EQ(problems, NEWMAIL_DECODE_OVER_BUDGET);
            CHECK_EQ(n, 0);
            CHECK(walk.done);
            continue;
        }
        CHECK_EQ(problems, 0);
        CHECK_EQ(n, 65535);
        granted++;
        total += n;
    }
    /* 4 x 65,535 fits in 0x40000; the fifth block does not. */
    CHECK_EQ(granted, 4);
    CHECK_EQ(walk.blocks, 5);
    CHECK(total <= NEWMAIL_ROP_BUFFER_MAX_DECODED);
    CHECK_EQ(walk.granted, total);

    WHERE("a request's smaller pcbOut");
    newmail_rpcx_walk_init(&walk, copy, w->len, 100000);
    CHECK(newmail_rpcx_next(&walk, &b));
    CHECK_EQ(b.problems & NEWMAIL_RPCX_OVER_BUDGET, 0);
    CHECK(newmail_rpcx_next(&walk, &b));
    CHECK_EQ(b.problems & NEWMAIL_RPCX_OVER_BUDGET, NEWMAIL_RPCX_OVER_BUDGET);
    CHECK(!newmail_rpcx_next(&walk, &b));

    WHERE("empty blocks count their SizeActual");
    w->len = 0;
    for (int i = 0; i < 8000; i++)
        put_rpcx(w, 0, 0, 0, 0xFFFF);
    free(copy);
    copy = exact_copy(w->b, w->len);
    newmail_rpcx_walk_init(&walk, copy, w->len, NEWMAIL_ROP_BUFFER_MAX_DECODED);
    while (newmail_rpcx_next(&walk, &b))
        ;
    CHECK_EQ(walk.blocks, 5);
    free(copy);
    free(w);
    where[0] = 0;
}

static void
test_rpcx_problems(void)
{
    enum {
        C = NEWMAIL_RPCX_FLAG_COMPRESSED,
        X = NEWMAIL_RPCX_FLAG_XOR_MAGIC,
        L = NEWMAIL_RPCX_FLAG_LAST,
    };
    static const struct {
        const char *name;
        uint16_t version, flags, size, size_actual;
        size_t payload;  /* bytes written after the header */
        size_t trailing; /* bytes after that */
        unsigned problems;
        size_t payload_len; /* of the span */
    } cases[] = {
        {"clean", 0, L, 6, 6, 6, 0, 0, 6},
        {"clean, XorMagic", 0, L | X, 6, 6, 6, 0, 0, 6},
        {"empty payload", 0, L, 0, 0, 0, 0, 0, 0},
        {"Size past the end", 0, L, 10, 10, 6, 0, NEWMAIL_RPCX_SIZE_PAST_END, 6},
        {"SizeActual > Size, not compressed", 0, L, 6, 7, 6, 0, NEWMAIL_RPCX_SIZE_MISMATCH, 6},
        {"SizeActual < Size, not compressed", 0, L, 6, 5, 6, 0, NEWMAIL_RPCX_SIZE_MISMATCH, 6},
        {"compressed, Size == SizeActual", 0, L | C, 6, 6, 6, 0, NEWMAIL_RPCX_NOT_SMALLER, 6},
        {"compressed, Size > SizeActual", 0, L | C, 6, 2, 6, 0, NEWMAIL_RPCX_NOT_SMALLER, 6},
        {"unknown flag 0x0008", 0, L | 0x0008, 6, 6, 6, 0, NEWMAIL_RPCX_UNKNOWN_FLAGS, 6},
        {"unknown flag 0x8000", 0, L | 0x8000, 6, 6, 6, 0, NEWMAIL_RPCX_UNKNOWN_FLAGS, 6},
        {"Version 1", 1, L, 6, 6, 6, 0, NEWMAIL_RPCX_BAD_VERSION, 6},
        {"no Last", 0, 0, 6, 6, 6, 0, NEWMAIL_RPCX_NO_LAST, 6},
        {"bytes after Last", 0, L, 6, 6, 6, 3, NEWMAIL_RPCX_TRAILING, 6},
        {"SizeActual over 32 KB", 0, L | C, 6, 0x8001, 6, 0, NEWMAIL_RPCX_OVERSIZE, 6},
        {"SizeActual 32 KB exactly", 0, L | C, 6, 0x8000, 6, 0, 0, 6},
        {"everything", 2, 0x00f0 | C, 9, 9, 6, 0,
         NEWMAIL_RPCX_BAD_VERSION | NEWMAIL_RPCX_UNKNOWN_FLAGS | NEWMAIL_RPCX_NOT_SMALLER |
             NEWMAIL_RPCX_SIZE_PAST_END | NEWMAIL_RPCX_NO_LAST,
         6},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        writer_t *w = calloc(1, sizeof(*w));
        newmail_rpcx_walk_t walk;
        newmail_rpcx_block_t b;
        uint8_t *copy;

        WHERE("%s", cases[i].name);
        put_rpcx(w, cases[i].version, cases[i].flags, cases[i].size, cases[i].size_actual);
        for (size_t k = 0; k < cases[i].payload + cases[i].trailing; k++)
            put8(w, (uint8_t)k);
        copy = exact_copy(w->b, w->len);
        newmail_rpcx_walk_init(&walk, copy, w->len, NEWMAIL_ROP_BUFFER_MAX_DECODED);
        CHECK(newmail_rpcx_next(&walk, &b));
        CHECK_EQ(b.problems, cases[i].problems);
        CHECK_SPAN(b.payload, 8, cases[i].payload_len);
        CHECK_EQ(b.version, cases[i].version);
        CHECK_EQ(b.flags, cases[i].flags);
        if (cases[i].trailing)
            CHECK_SPAN(b.trailing, 8 + cases[i].payload, cases[i].trailing);
        CHECK(!newmail_rpcx_next(&walk, &b));
        free(copy);
        free(w);
    }

    /* Fewer than 8 bytes: a block with no header, and the walk ends. */
    for (size_t cut = 1; cut < 8; cut++) {
        uint8_t *copy = exact_copy((const uint8_t[]){0, 0, 4, 0, 0, 0, 0, 0}, cut);
        newmail_rpcx_walk_t walk;
        newmail_rpcx_block_t b;
        uint8_t out[4];
        size_t n;

        WHERE("header cut to %zu bytes", cut);
        newmail_rpcx_walk_init(&walk, copy, cut, NEWMAIL_ROP_BUFFER_MAX_DECODED);
        CHECK(newmail_rpcx_next(&walk, &b));
        CHECK(!b.header_read);
        CHECK_EQ(b.problems, NEWMAIL_RPCX_TRUNCATED_HEADER | NEWMAIL_RPCX_NO_LAST);
        CHECK_SPAN(b.header, 0, cut);
        CHECK_EQ(newmail_rpcx_decode(copy, cut, &b, out, sizeof(out), &n),
                 NEWMAIL_DECODE_NO_HEADER);
        CHECK_EQ(n, 0);
        CHECK(!newmail_rpcx_next(&walk, &b));
        free(copy);
    }

    /* A second block's header cut short. */
    {
        writer_t *w = calloc(1, sizeof(*w));
        newmail_rpcx_walk_t walk;
        newmail_rpcx_block_t b;
        uint8_t *copy;

        WHERE("second header cut");
        put_rpcx(w, 0, 0, 2, 2);
        put16(w, 0xbeef);
        put16(w, 0);
        put16(w, NEWMAIL_RPCX_FLAG_LAST);
        copy = exact_copy(w->b, w->len);
        newmail_rpcx_walk_init(&walk, copy, w->len, NEWMAIL_ROP_BUFFER_MAX_DECODED);
        CHECK(newmail_rpcx_next(&walk, &b));
        CHECK_EQ(b.problems, 0);
        CHECK(newmail_rpcx_next(&walk, &b));
        CHECK_EQ(b.problems, NEWMAIL_RPCX_TRUNCATED_HEADER | NEWMAIL_RPCX_NO_LAST);
        CHECK_SPAN(b.header, 10, 4);
        CHECK(!newmail_rpcx_next(&walk, &b));
        free(copy);
        free(w);
    }

    WHERE("empty and NULL buffers");
    {
        newmail_rpcx_walk_t walk;
        newmail_rpcx_block_t b;

        newmail_rpcx_walk_init(&walk, (const uint8_t *)"", 0, NEWMAIL_ROP_BUFFER_MAX_DECODED);
        CHECK(!newmail_rpcx_next(&walk, &b));
        newmail_rpcx_walk_init(&walk, NULL, 100, NEWMAIL_ROP_BUFFER_MAX_DECODED);
        CHECK(!newmail_rpcx_next(&walk, &b));
    }
    where[0] = 0;
}

/* Decoding one block: the order (XOR, then LZ77), and the size checks. */
static void
test_rpcx_decode(void)
{
    enum {
        C = NEWMAIL_RPCX_FLAG_COMPRESSED,
        X = NEWMAIL_RPCX_FLAG_XOR_MAGIC,
        L = NEWMAIL_RPCX_FLAG_LAST,
    };
    static const uint8_t plain[] = {0x10, 0x00, 0x2a, 0x01, 0x02, 0x03, 0x04};
    static const struct {
        const char *name;
        uint16_t flags;
        const uint8_t *payload;
        size_t payload_len;
        uint16_t size, size_actual;
        bool xor_on_wire; /* XOR the payload bytes as written */
        size_t out_size;
        unsigned problems;
        size_t out_len;
        int want; /* 0 plain, 1 alphabet, 2 abc x 100 */
    } cases[] = {
        {"plain", L, plain, sizeof(plain), 7, 7, false, 7, 0, 7, 0},
        {"XorMagic", L | X, plain, sizeof(plain), 7, 7, true, 7, 0, 7, 0},
        {"compressed", L | C, xca_example2, sizeof(xca_example2), 13, 300, false, 300, 0, 300, 2},
        {"compressed and XorMagic", L | C | X, xca_example2, sizeof(xca_example2), 13, 300, true,
         300, 0, 300, 2},
        {"compressed, literals only, XorMagic", L | C | X, xca_example1, sizeof(xca_example1), 30,
         26, true, 26, 0, 26, 1},
        /* SizeActual says more than the stream gives. */
        {"compressed, SizeActual 301", L | C, xca_example2, sizeof(xca_example2), 13, 301, false,
         301, NEWMAIL_DECODE_SHORT, 300, 2},
        /* SizeActual says less: stopped at SizeActual. */
        {"compressed, SizeActual 299", L | C, xca_example2, sizeof(xca_example2), 13, 299, false,
         299, NEWMAIL_DECODE_OUTPUT_FULL, 299, 2},
        /* The caller's buffer is smaller than SizeActual. */
        {"compressed, buffer of 100", L | C, xca_example2, sizeof(xca_example2), 13, 300, false,
         100, NEWMAIL_DECODE_OUTPUT_FULL | NEWMAIL_DECODE_SHORT, 100, 2},
        {"plain, SizeActual 9", L, plain, sizeof(plain), 7, 9, false, 9, NEWMAIL_DECODE_SHORT, 7,
         0},
        {"plain, SizeActual 5", L, plain, sizeof(plain), 7, 5, false, 5, NEWMAIL_DECODE_OUTPUT_FULL,
         5, 0},
        /* Size past the buffer: what is there is decoded. */
        {"plain, Size 20 with 7 bytes", L, plain, sizeof(plain), 20, 20, false, 20,
         NEWMAIL_DECODE_PAYLOAD_CUT | NEWMAIL_DECODE_SHORT, 7, 0},
        {"compressed, cut after the match token", L | C, xca_example2, 9, 13, 300, false, 300,
         NEWMAIL_DECODE_PAYLOAD_CUT | NEWMAIL_DECODE_INPUT_TRUNCATED | NEWMAIL_DECODE_SHORT, 3, 2},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        writer_t *w = calloc(1, sizeof(*w));
        newmail_rpcx_walk_t walk;
        newmail_rpcx_block_t b;
        uint8_t *copy, *out, want[300];
        size_t n;

        WHERE("%s", cases[i].name);
        put_rpcx(w, 0, cases[i].flags, cases[i].size, cases[i].size_actual);
        size_t at = put_bytes(w, cases[i].payload, cases[i].payload_len);
        if (cases[i].xor_on_wire)
            xor_magic(w->b + at, cases[i].payload_len);
        copy = exact_copy(w->b, w->len);
        out = malloc(cases[i].out_size);
        newmail_rpcx_walk_init(&walk, copy, w->len, NEWMAIL_ROP_BUFFER_MAX_DECODED);
        CHECK(newmail_rpcx_next(&walk, &b));
        CHECK_EQ(newmail_rpcx_decode(copy, w->len, &b, out, cases[i].out_size, &n),
                 cases[i].problems);
        CHECK_EQ(n, cases[i].out_len);
        if (cases[i].want == 0)
            CHECK(memcmp(out, plain, n) == 0);
        else if (cases[i].want == 1)
            CHECK(memcmp(out, alphabet, n) == 0);
        else {
            abc_times(want, 300);
            CHECK(memcmp(out, want, n) == 0);
        }
        free(out);
        free(copy);
        free(w);
    }
    where[0] = 0;
}

/* ---- the ROP buffer -------------------------------------------------------------------- */

static void
test_rop_buffer(void)
{
    /* MS-OXCROPS 4.4: two RopRelease requests and the two handles they release. */
    static const uint8_t release[] = {0x08, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
                                      0x6F, 0x00, 0x00, 0x00, 0x6E, 0x00, 0x00, 0x00};
    static const struct {
        const char *name;
        uint8_t bytes[12];
        size_t len;
        unsigned problems;
        size_t rops_off, rops_len, handles_off, handles_len, handle_count;
    } cases[] = {
        {"RopSize only", {0x02, 0x00}, 2, 0, 2, 0, 2, 0, 0},
        {"one byte", {0x02}, 1, NEWMAIL_ROPBUF_TRUNCATED, 0, 0, 0, 0, 0},
        {"RopSize 1", {0x01, 0x00, 0xaa}, 3, NEWMAIL_ROPBUF_SIZE_SMALL, 2, 0, 0, 0, 0},
        {"RopSize 0", {0x00, 0x00}, 2, NEWMAIL_ROPBUF_SIZE_SMALL, 2, 0, 0, 0, 0},
        {"RopSize past the end",
         {0x09, 0x00, 1, 2, 3},
         5,
         NEWMAIL_ROPBUF_SIZE_PAST_END,
         2,
         3,
         5,
         0,
         0},
        {"handle table of 5 bytes",
         {0x03, 0x00, 0x6e, 1, 0, 0, 0, 9},
         8,
         NEWMAIL_ROPBUF_HANDLES_PARTIAL,
         2,
         1,
         3,
         5,
         1},
    };
    newmail_rop_buffer_t rb;

    WHERE("MS-OXCROPS 4.4");
    {
        uint8_t *copy = exact_copy(release, sizeof(release));

        CHECK_EQ(newmail_rop_buffer_split(copy, sizeof(release), &rb), 0);
        CHECK_EQ(rb.rop_size, 8);
        CHECK_SPAN(rb.rop_size_span, 0, 2);
        CHECK_SPAN(rb.rops, 2, 6);
        CHECK_SPAN(rb.handle_table, 8, 8);
        CHECK_EQ(rb.handle_count, 2);
        CHECK_EQ(newmail_le32(copy + rb.handle_table.offset), 0x6F);
        CHECK_EQ(newmail_le32(copy + rb.handle_table.offset + 4), 0x6E);
        free(copy);
    }
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        uint8_t *copy = exact_copy(cases[i].bytes, cases[i].len);

        WHERE("%s", cases[i].name);
        CHECK_EQ(newmail_rop_buffer_split(copy, cases[i].len, &rb), cases[i].problems);
        CHECK_SPAN(rb.rops, cases[i].rops_off, cases[i].rops_len);
        CHECK_SPAN(rb.handle_table, cases[i].handles_off, cases[i].handles_len);
        CHECK_EQ(rb.handle_count, cases[i].handle_count);
        free(copy);
    }
    where[0] = 0;
}

/* ---- ROP responses -------------------------------------------------------------------- */

/* A ROP output buffer being written: RopSize is patched by rops_end(). */
static void
rops_begin(writer_t *w)
{
    w->len = 0;
    put16(w, 0);
}

static void
rops_end(writer_t *w, unsigned handles)
{
    w->b[0] = (uint8_t)w->len;
    w->b[1] = (uint8_t)(w->len >> 8);
    for (unsigned i = 0; i < handles; i++)
        put32(w, 0x1000 + i);
}

/* What one response must read as. */
typedef struct {
    uint8_t rop_id;
    newmail_rop_status_t status;
    size_t offset, length;
    uint32_t fields; /* NEWMAIL_RF_* bits */
    bool failure;
    unsigned problems;
} want_rop_t;

#define RF(f) (1u << NEWMAIL_RF_##f)
#define PREFIX (RF(ROP_ID) | RF(HANDLE_INDEX) | RF(RETURN_VALUE))

/* Walks w and checks every response against want[], then the final status. */
static void
check_walk(const writer_t *w, const want_rop_t *want, size_t n, newmail_rops_status_t final,
           newmail_rop_response_t *last)
{
    uint8_t *copy = exact_copy(w->b, w->len);
    newmail_rop_walk_t walk;
    newmail_rop_response_t r;
    size_t i = 0;

    newmail_rop_walk_init(&walk, copy, w->len);
    while (newmail_rop_next_response(&walk, &r)) {
        if (i >= n) {
            CHECK(!"more responses than expected");
            break;
        }
        CHECK_EQ(r.rop_id, want[i].rop_id);
        CHECK_EQ(r.status, want[i].status);
        CHECK_SPAN(r.span, want[i].offset, want[i].length);
        CHECK_EQ(r.fields_read, want[i].fields);
        CHECK_EQ(r.failure, want[i].failure);
        CHECK_EQ(r.problems, want[i].problems);
        if (last)
            *last = r;
        i++;
    }
    CHECK_EQ(i, n);
    CHECK_EQ(walk.count, n);
    CHECK_EQ(walk.status, final);
    free(copy);
}

static void
test_rop_spec_examples(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    newmail_rop_response_t r;

    /* MS-OXCTABL 4.3.2: RopSortTable, InputHandleIndex 1, success,
     * TableStatus TBLSTAT_COMPLETE. */
    WHERE("MS-OXCTABL 4.3.2 RopSortTable");
    rops_begin(w);
    put_bytes(w, (const uint8_t[]){0x13, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 7);
    rops_end(w, 2);
    check_walk(
        w,
        (const want_rop_t[]){{0x13, NEWMAIL_ROP_SIZED, 2, 7, PREFIX | RF(TABLE_STATUS), false, 0}},
        1, NEWMAIL_ROPS_COMPLETE, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_HANDLE_INDEX], 1);
    CHECK_EQ(r.value[NEWMAIL_RF_TABLE_STATUS], 0);
    CHECK_SPAN(r.field[NEWMAIL_RF_TABLE_STATUS], 8, 1);

    /* MS-OXORULE 4.2.2: RopSetColumns sizes; RopGetRulesTable (0x3F) is not
     * in the sizable set, so a success response of it stops the walk after
     * its 6-byte prefix. */
    WHERE("MS-OXORULE 4.2.2");
    rops_begin(w);
    put_bytes(w, (const uint8_t[]){0x12, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 7);
    put_bytes(w, (const uint8_t[]){0x3f, 0x01, 0x00, 0x00, 0x00, 0x00}, 6);
    rops_end(w, 2);
    check_walk(
        w,
        (const want_rop_t[]){{0x12, NEWMAIL_ROP_SIZED, 2, 7, PREFIX | RF(TABLE_STATUS), false, 0},
                             {0x3f, NEWMAIL_ROP_UNSIZED, 9, 6, PREFIX, false, 0}},
        2, NEWMAIL_ROPS_UNSIZED, NULL);
    free(w);
    where[0] = 0;
}

/* Every sizable ROP, success and failure, back to back in one buffer. */
static void
test_rop_sizable(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    newmail_rop_walk_t walk;
    newmail_rop_response_t r;
    uint8_t *copy;

    rops_begin(w);
    /* 2: RopOpenFolder, not ghosted */
    put_bytes(w, (const uint8_t[]){0x02, 0x03, 0, 0, 0, 0, 0x01, 0x00}, 8);
    /* 10: RopOpenFolder, ghosted, 2 servers, 1 cheap */
    put_bytes(w, (const uint8_t[]){0x02, 0x04, 0, 0, 0, 0, 0x00, 0x01, 0x02, 0x00, 0x01, 0x00}, 12);
    put_bytes(w, "/o=a/cn=x\0/o=b\0", 15);
    /* 37: RopOpenFolder failure */
    put_bytes(w, (const uint8_t[]){0x02, 0x05, 0x0f, 0x01, 0x04, 0x80}, 6);
    /* 43: RopGetHierarchyTable, 7 rows */
    put_bytes(w, (const uint8_t[]){0x04, 0x01, 0, 0, 0, 0, 0x07, 0, 0, 0}, 10);
    /* 53: RopGetContentsTable failure */
    put_bytes(w, (const uint8_t[]){0x05, 0x02, 0x02, 0x01, 0x04, 0x80}, 6);
    /* 59: RopGetContentsTable, 0x01020304 rows */
    put_bytes(w, (const uint8_t[]){0x05, 0x02, 0, 0, 0, 0, 0x04, 0x03, 0x02, 0x01}, 10);
    /* 69: RopSetColumns, TBLSTAT_SETTING_COLS */
    put_bytes(w, (const uint8_t[]){0x12, 0x02, 0, 0, 0, 0, 0x0b}, 7);
    /* 76: RopRestrict failure, 83: RopRestrict success */
    put_bytes(w, (const uint8_t[]){0x14, 0x02, 0x05, 0x04, 0x00, 0x00}, 6);
    put_bytes(w, (const uint8_t[]){0x14, 0x02, 0, 0, 0, 0, 0x00}, 7);
    /* 89: RopRegisterNotification, success and failure */
    put_bytes(w, (const uint8_t[]){0x29, 0x06, 0, 0, 0, 0}, 6);
    put_bytes(w, (const uint8_t[]){0x29, 0x07, 0x02, 0x01, 0x04, 0x80}, 6);
    /* 101: RopPending, session 0x0102 */
    put_bytes(w, (const uint8_t[]){0x6e, 0x02, 0x01}, 3);
    /* 104: RopBackoff, 2 ROPs, 3 bytes of additional data */
    put_bytes(w, (const uint8_t[]){0xf9, 0x00, 0x10, 0x27, 0, 0, 0x02, 0x15, 0xe8, 0x03, 0,
                                   0,    0x4e, 0xd0, 0x07, 0, 0, 0x03, 0x00, 0xaa, 0xbb, 0xcc},
              22);
    /* 126: a generic failure of a ROP the walk cannot size on success */
    put_bytes(w, (const uint8_t[]){0x15, 0x01, 0x02, 0x01, 0x04, 0x80}, 6);
    /* 132: RopBufferTooSmall, the last: SizeNeeded 0x0100, 5 bytes of requests */
    put_bytes(w, (const uint8_t[]){0xff, 0x00, 0x01, 0x15, 0x00, 0x01, 0x00, 0x01}, 8);
    rops_end(w, 8);

    static const want_rop_t want[] = {
        {0x02, NEWMAIL_ROP_SIZED, 2, 8, PREFIX | RF(HAS_RULES) | RF(IS_GHOSTED), false, 0},
        {0x02, NEWMAIL_ROP_SIZED, 10, 27,
         PREFIX | RF(HAS_RULES) | RF(IS_GHOSTED) | RF(SERVER_COUNT) | RF(CHEAP_SERVER_COUNT) |
             RF(SERVERS),
         false, 0},
        {0x02, NEWMAIL_ROP_SIZED, 37, 6, PREFIX, true, 0},
        {0x04, NEWMAIL_ROP_SIZED, 43, 10, PREFIX | RF(ROW_COUNT), false, 0},
        {0x05, NEWMAIL_ROP_SIZED, 53, 6, PREFIX, true, 0},
        {0x05, NEWMAIL_ROP_SIZED, 59, 10, PREFIX | RF(ROW_COUNT), false, 0},
        {0x12, NEWMAIL_ROP_SIZED, 69, 7, PREFIX | RF(TABLE_STATUS), false, 0},
        {0x14, NEWMAIL_ROP_SIZED, 76, 6, PREFIX, true, 0},
        {0x14, NEWMAIL_ROP_SIZED, 82, 7, PREFIX | RF(TABLE_STATUS), false, 0},
        {0x29, NEWMAIL_ROP_SIZED, 89, 6, PREFIX, false, 0},
        {0x29, NEWMAIL_ROP_SIZED, 95, 6, PREFIX, true, 0},
        {0x6e, NEWMAIL_ROP_SIZED, 101, 3, RF(ROP_ID) | RF(SESSION_INDEX), false, 0},
        {0xf9, NEWMAIL_ROP_SIZED, 104, 22,
         RF(ROP_ID) | RF(LOGON_ID) | RF(DURATION) | RF(BACKOFF_ROP_COUNT) | RF(BACKOFF_ROP_DATA) |
             RF(ADDITIONAL_DATA_SIZE) | RF(ADDITIONAL_DATA),
         false, 0},
        {0x15, NEWMAIL_ROP_SIZED, 126, 6, PREFIX, true, 0},
        {0xff, NEWMAIL_ROP_SIZED, 132, 8, RF(ROP_ID) | RF(SIZE_NEEDED) | RF(REQUEST_BUFFERS), false,
         0},
    };
    WHERE("every sizable ROP");
    check_walk(w, want, COUNT_OF(want), NEWMAIL_ROPS_COMPLETE, NULL);

    /* The values, response by response. */
    copy = exact_copy(w->b, w->len);
    newmail_rop_walk_init(&walk, copy, w->len);
    CHECK_EQ(walk.buffer.handle_count, 8);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_HANDLE_INDEX], 3);
    CHECK_EQ(r.value[NEWMAIL_RF_HAS_RULES], 1);
    CHECK_EQ(r.value[NEWMAIL_RF_IS_GHOSTED], 0);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_SERVER_COUNT], 2);
    CHECK_EQ(r.value[NEWMAIL_RF_CHEAP_SERVER_COUNT], 1);
    CHECK_SPAN(r.field[NEWMAIL_RF_SERVERS], 22, 15);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_RETURN_VALUE], 0x8004010f);
    CHECK_SPAN(r.field[NEWMAIL_RF_RETURN_VALUE], 39, 4);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_ROW_COUNT], 7);
    newmail_rop_next_response(&walk, &r);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_ROW_COUNT], 0x01020304);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_TABLE_STATUS], 0x0b);
    for (int k = 0; k < 4; k++)
        newmail_rop_next_response(&walk, &r);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_SESSION_INDEX], 0x0102);
    CHECK_SPAN(r.field[NEWMAIL_RF_SESSION_INDEX], 102, 2);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_LOGON_ID], 0);
    CHECK_EQ(r.value[NEWMAIL_RF_DURATION], 10000);
    CHECK_EQ(r.value[NEWMAIL_RF_BACKOFF_ROP_COUNT], 2);
    CHECK_SPAN(r.field[NEWMAIL_RF_BACKOFF_ROP_DATA], 111, 10);
    CHECK_EQ(r.value[NEWMAIL_RF_ADDITIONAL_DATA_SIZE], 3);
    CHECK_SPAN(r.field[NEWMAIL_RF_ADDITIONAL_DATA], 123, 3);
    newmail_rop_next_response(&walk, &r);
    newmail_rop_next_response(&walk, &r);
    CHECK_EQ(r.value[NEWMAIL_RF_SIZE_NEEDED], 0x0100);
    CHECK_SPAN(r.field[NEWMAIL_RF_REQUEST_BUFFERS], 135, 5);
    CHECK(!newmail_rop_next_response(&walk, &r));
    free(copy);

    /* Every cut of that buffer: nothing is read past the cut, and the walk
     * never claims more than it has. */
    for (size_t cut = 0; cut < w->len; cut++) {
        uint8_t *c = exact_copy(w->b, cut);

        WHERE("cut at %zu", cut);
        newmail_rop_walk_init(&walk, c, cut);
        while (newmail_rop_next_response(&walk, &r))
            CHECK(r.span.offset + r.span.length <= cut);
        CHECK(walk.status != NEWMAIL_ROPS_RUNNING);
        if (cut < 140)
            CHECK(walk.status == NEWMAIL_ROPS_TRUNCATED);
        free(c);
    }
    free(w);
    where[0] = 0;
}

/* ROPs the walk stops at. */
static void
test_rop_unsized(void)
{
    static const struct {
        const char *name;
        uint8_t bytes[8];
        size_t len;
        want_rop_t want;
    } cases[] = {
        {"reserved id 0x00",
         {0x00, 0x01},
         2,
         {0x00, NEWMAIL_ROP_UNSIZED, 2, 1, RF(ROP_ID), false, NEWMAIL_ROP_PROBLEM_UNKNOWN_ID}},
        {"reserved id 0x28",
         {0x28},
         1,
         {0x28, NEWMAIL_ROP_UNSIZED, 2, 1, RF(ROP_ID), false, NEWMAIL_ROP_PROBLEM_UNKNOWN_ID}},
        {"RopRelease has no response",
         {0x01, 0x00, 0x00},
         3,
         {0x01, NEWMAIL_ROP_UNSIZED, 2, 1, RF(ROP_ID), false, NEWMAIL_ROP_PROBLEM_NO_RESPONSE}},
        {"RopQueryRows success",
         {0x15, 0x01, 0, 0, 0, 0, 0x02},
         7,
         {0x15, NEWMAIL_ROP_UNSIZED, 2, 6, PREFIX, false, 0}},
        /* Failure responses with more than 6 bytes. */
        {"RopDeleteMessages failure (PartialCompletion)",
         {0x1e, 0x01, 0x05, 0x04, 0, 0, 0x01},
         7,
         {0x1e, NEWMAIL_ROP_UNSIZED, 2, 6, PREFIX, false, 0}},
        {"RopLogon failure (redirect)",
         {0xfe, 0x00, 0x78, 0x04, 0, 0, 0x01},
         7,
         {0xfe, NEWMAIL_ROP_UNSIZED, 2, 6, PREFIX, false, 0}},
        {"RopReadStream failure",
         {0x2c, 0x00, 0x05, 0x04, 0, 0, 0x00, 0x00},
         8,
         {0x2c, NEWMAIL_ROP_UNSIZED, 2, 6, PREFIX, false, 0}},
        {"RopCopyTo failure",
         {0x39, 0x00, 0x03, 0x05, 0, 0, 0x01},
         7,
         {0x39, NEWMAIL_ROP_UNSIZED, 2, 6, PREFIX, false, 0}},
    };
    static const uint8_t extra_ids[] = {0xFE, 0x33, 0x35, 0x36, 0x39, 0x3A, 0x67, 0x1D, 0x1E, 0x58,
                                        0x66, 0x91, 0x92, 0x2C, 0x2D, 0x90, 0xA3, 0x4E, 0x54, 0x9D};
    writer_t *w = calloc(1, sizeof(*w));

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        WHERE("%s", cases[i].name);
        rops_begin(w);
        put_bytes(w, cases[i].bytes, cases[i].len);
        rops_end(w, 1);
        check_walk(w, &cases[i].want, 1, NEWMAIL_ROPS_UNSIZED, NULL);
    }
    /* Every ROP whose failure response carries more than 6 bytes. */
    for (size_t i = 0; i < sizeof(extra_ids); i++) {
        const want_rop_t want = {extra_ids[i], NEWMAIL_ROP_UNSIZED, 2, 6, PREFIX, false, 0};

        WHERE("failure of %s", newmail_rop_name(extra_ids[i]));
        rops_begin(w);
        put_bytes(w, (const uint8_t[]){extra_ids[i], 0x00, 0x01, 0x01, 0x04, 0x80, 0x00}, 7);
        rops_end(w, 0);
        check_walk(w, &want, 1, NEWMAIL_ROPS_UNSIZED, NULL);
        CHECK(!is_sizable(extra_ids[i]));
    }
    free(w);
    where[0] = 0;
}

static void
test_rop_truncated(void)
{
    static const struct {
        const char *name;
        uint8_t bytes[16];
        size_t len;
        want_rop_t want;
    } cases[] = {
        {"prefix cut",
         {0x04, 0x01, 0, 0},
         4,
         {0x04, NEWMAIL_ROP_TRUNCATED, 2, 2, RF(ROP_ID) | RF(HANDLE_INDEX), false, 0}},
        {"RowCount cut",
         {0x04, 0x01, 0, 0, 0, 0, 0x07, 0},
         8,
         {0x04, NEWMAIL_ROP_TRUNCATED, 2, 6, PREFIX, false, 0}},
        {"RopPending cut",
         {0x6e, 0x01},
         2,
         {0x6e, NEWMAIL_ROP_TRUNCATED, 2, 1, RF(ROP_ID), false, 0}},
        {"server string unterminated",
         {0x02, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 'a', 'b'},
         14,
         {0x02, NEWMAIL_ROP_TRUNCATED, 2, 12,
          PREFIX | RF(HAS_RULES) | RF(IS_GHOSTED) | RF(SERVER_COUNT) | RF(CHEAP_SERVER_COUNT),
          false, NEWMAIL_ROP_PROBLEM_UNTERMINATED}},
        {"BackoffRopData past RopsList",
         {0xf9, 0, 1, 0, 0, 0, 3, 0x15, 1, 0, 0, 0},
         12,
         {0xf9, NEWMAIL_ROP_TRUNCATED, 2, 7,
          RF(ROP_ID) | RF(LOGON_ID) | RF(DURATION) | RF(BACKOFF_ROP_COUNT), false, 0}},
    };
    writer_t *w = calloc(1, sizeof(*w));

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        WHERE("%s", cases[i].name);
        rops_begin(w);
        put_bytes(w, cases[i].bytes, cases[i].len);
        /* Handles after RopsList must not be taken for ROP bytes. */
        rops_end(w, 3);
        check_walk(w, &cases[i].want, 1, NEWMAIL_ROPS_TRUNCATED, NULL);
    }

    /* RopSize past the payload: a ROP that ends exactly at the cut still
     * leaves the buffer truncated. */
    WHERE("RopSize past the end");
    w->len = 0;
    put16(w, 40);
    put_bytes(w, (const uint8_t[]){0x6e, 0x01, 0x00}, 3);
    check_walk(w,
               (const want_rop_t[]){
                   {0x6e, NEWMAIL_ROP_SIZED, 2, 3, RF(ROP_ID) | RF(SESSION_INDEX), false, 0}},
               1, NEWMAIL_ROPS_TRUNCATED, NULL);

    WHERE("empty RopsList");
    rops_begin(w);
    rops_end(w, 1);
    check_walk(w, NULL, 0, NEWMAIL_ROPS_COMPLETE, NULL);
    free(w);
    where[0] = 0;
}

/* ---- RopNotify -------------------------------------------------------------------------- */

#define NF(f) (1u << NEWMAIL_NF_##f)
#define NF_HEAD (NF(HANDLE) | NF(LOGON_ID) | NF(FLAGS))

/* The values a notification carries, written in the order MS-OXCNOTIF
 * 2.2.1.4.1.2 gives whichever fields `fields` selects. */
typedef struct {
    const char *name;
    uint16_t flags;
    uint16_t event;
    uint32_t fields; /* NEWMAIL_NF_* after the three head fields */
    uint16_t tag_count;
    uint16_t row_size;
    uint8_t unicode;
    const char *message_class;
} notify_case_t;

static const uint64_t FID = 0x0001000000000abcULL, MID = 0x0001000000000def;

static void
write_notify(writer_t *w, const notify_case_t *c, size_t off[NEWMAIL_NF_COUNT])
{
    memset(off, 0, sizeof(size_t) * NEWMAIL_NF_COUNT);
    put8(w, NEWMAIL_ROP_NOTIFY);
    off[NEWMAIL_NF_HANDLE] = put32(w, 0x00000101);
    off[NEWMAIL_NF_LOGON_ID] = put8(w, 0x02);
    off[NEWMAIL_NF_FLAGS] = put16(w, c->flags);
#define OPT(f, stmt)                                                                               \
    if (c->fields & NF(f))                                                                         \
    off[NEWMAIL_NF_##f] = (stmt)
    OPT(TABLE_EVENT_TYPE, put16(w, c->event));
    OPT(TABLE_ROW_FOLDER_ID, put64(w, FID + 1));
    OPT(TABLE_ROW_MESSAGE_ID, put64(w, MID + 1));
    OPT(TABLE_ROW_INSTANCE, put32(w, 0x11));
    OPT(INSERT_AFTER_FOLDER_ID, put64(w, FID + 2));
    OPT(INSERT_AFTER_MESSAGE_ID, put64(w, MID + 2));
    OPT(INSERT_AFTER_INSTANCE, put32(w, 0x22));
    OPT(TABLE_ROW_DATA_SIZE, put16(w, c->row_size));
    if (c->fields & NF(TABLE_ROW_DATA)) {
        off[NEWMAIL_NF_TABLE_ROW_DATA] = w->len;
        for (unsigned i = 0; i < c->row_size; i++)
            put8(w, 0xd0);
    }
    OPT(FOLDER_ID, put64(w, FID));
    OPT(MESSAGE_ID, put64(w, MID));
    OPT(PARENT_FOLDER_ID, put64(w, FID + 3));
    OPT(OLD_FOLDER_ID, put64(w, FID + 4));
    OPT(OLD_MESSAGE_ID, put64(w, MID + 4));
    OPT(OLD_PARENT_FOLDER_ID, put64(w, FID + 5));
    OPT(TAG_COUNT, put16(w, c->tag_count));
    if (c->fields & NF(TAGS)) {
        off[NEWMAIL_NF_TAGS] = w->len;
        for (unsigned i = 0; i < c->tag_count; i++)
            put32(w, 0x0037001f + i);
    }
    OPT(TOTAL_MESSAGE_COUNT, put32(w, 42));
    OPT(UNREAD_MESSAGE_COUNT, put32(w, 7));
    OPT(MESSAGE_FLAGS, put32(w, 0x00000008));
    OPT(UNICODE_FLAG, put8(w, c->unicode));
#undef OPT
    if (c->fields & NF(MESSAGE_CLASS)) {
        off[NEWMAIL_NF_MESSAGE_CLASS] = w->len;
        for (const char *p = c->message_class; *p; p++) {
            put8(w, (uint8_t)*p);
            if (c->unicode)
                put8(w, 0);
        }
        put8(w, 0);
        if (c->unicode)
            put8(w, 0);
    }
}

/* Field sizes as MS-OXCNOTIF gives them. */
static size_t
nf_size(const notify_case_t *c, newmail_notify_field_t f)
{
    switch (f) {
    case NEWMAIL_NF_LOGON_ID:
    case NEWMAIL_NF_UNICODE_FLAG:
        return 1;
    case NEWMAIL_NF_FLAGS:
    case NEWMAIL_NF_TABLE_EVENT_TYPE:
    case NEWMAIL_NF_TABLE_ROW_DATA_SIZE:
    case NEWMAIL_NF_TAG_COUNT:
        return 2;
    case NEWMAIL_NF_HANDLE:
    case NEWMAIL_NF_TABLE_ROW_INSTANCE:
    case NEWMAIL_NF_INSERT_AFTER_INSTANCE:
    case NEWMAIL_NF_TOTAL_MESSAGE_COUNT:
    case NEWMAIL_NF_UNREAD_MESSAGE_COUNT:
    case NEWMAIL_NF_MESSAGE_FLAGS:
        return 4;
    case NEWMAIL_NF_TABLE_ROW_DATA:
        return c->row_size;
    case NEWMAIL_NF_TAGS:
        return (size_t)c->tag_count * 4;
    case NEWMAIL_NF_MESSAGE_CLASS:
        return strlen(c->message_class) * (c->unicode ? 2 : 1);
    default:
        return 8;
    }
}

static void
test_notify_types(void)
{
    enum {
        M = NEWMAIL_NOTIFY_FLAG_M,
        S = NEWMAIL_NOTIFY_FLAG_S,
        T = NEWMAIL_NOTIFY_FLAG_T,
        U = NEWMAIL_NOTIFY_FLAG_U,
    };
    static const notify_case_t cases[] = {
        {"NewMail, 8-bit class", 0x0002 | M, 0,
         NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(MESSAGE_FLAGS) | NF(UNICODE_FLAG) | NF(MESSAGE_CLASS),
         0, 0, 0, "IPM.Note"},
        {"NewMail, UTF-16LE class", 0x0002 | M, 0,
         NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(MESSAGE_FLAGS) | NF(UNICODE_FLAG) | NF(MESSAGE_CLASS),
         0, 0, 1, "IPM.Schedule.Meeting.Request"},
        {"NewMail, empty class", 0x0002 | M, 0,
         NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(MESSAGE_FLAGS) | NF(UNICODE_FLAG) | NF(MESSAGE_CLASS),
         0, 0, 0, ""},
        {"ObjectCreated, folder", 0x0004, 0,
         NF(FOLDER_ID) | NF(PARENT_FOLDER_ID) | NF(TAG_COUNT) | NF(TAGS), 3, 0, 0, NULL},
        {"ObjectCreated, message", 0x0004 | M, 0, NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(TAG_COUNT), 0,
         0, 0, NULL},
        {"ObjectCreated, message in a search folder", 0x0004 | M | S, 0,
         NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(PARENT_FOLDER_ID) | NF(TAG_COUNT), 0xffff, 0, 0, NULL},
        {"ObjectDeleted, folder", 0x0008, 0, NF(FOLDER_ID) | NF(PARENT_FOLDER_ID), 0, 0, 0, NULL},
        {"ObjectDeleted, message", 0x0008 | M, 0, NF(FOLDER_ID) | NF(MESSAGE_ID), 0, 0, 0, NULL},
        {"ObjectModified with T and U", 0x0010 | T | U, 0,
         NF(FOLDER_ID) | NF(TAG_COUNT) | NF(TOTAL_MESSAGE_COUNT) | NF(UNREAD_MESSAGE_COUNT), 0, 0,
         0, NULL},
        {"ObjectModified, message, one tag", 0x0010 | M, 0,
         NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(TAG_COUNT) | NF(TAGS), 1, 0, 0, NULL},
        {"ObjectMoved, message", 0x0020 | M, 0,
         NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(OLD_FOLDER_ID) | NF(OLD_MESSAGE_ID), 0, 0, 0, NULL},
        {"ObjectMoved, folder", 0x0020, 0,
         NF(FOLDER_ID) | NF(PARENT_FOLDER_ID) | NF(OLD_FOLDER_ID) | NF(OLD_PARENT_FOLDER_ID), 0, 0,
         0, NULL},
        {"ObjectCopied, message in a search folder", 0x0040 | M | S, 0,
         NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(PARENT_FOLDER_ID) | NF(OLD_FOLDER_ID) |
             NF(OLD_MESSAGE_ID),
         0, 0, 0, NULL},
        {"SearchComplete", 0x0080, 0, NF(FOLDER_ID), 0, 0, 0, NULL},
        {"TableModified, TableChanged", 0x0100, 1, NF(TABLE_EVENT_TYPE), 0, 0, 0, NULL},
        {"TableModified, TableRowAdded, message", 0x0100 | M, 3,
         NF(TABLE_EVENT_TYPE) | NF(TABLE_ROW_FOLDER_ID) | NF(TABLE_ROW_MESSAGE_ID) |
             NF(TABLE_ROW_INSTANCE) | NF(INSERT_AFTER_FOLDER_ID) | NF(INSERT_AFTER_MESSAGE_ID) |
             NF(INSERT_AFTER_INSTANCE) | NF(TABLE_ROW_DATA_SIZE) | NF(TABLE_ROW_DATA),
         0, 9, 0, NULL},
        {"TableModified, TableRowDeleted, folder", 0x0100, 4,
         NF(TABLE_EVENT_TYPE) | NF(TABLE_ROW_FOLDER_ID), 0, 0, 0, NULL},
        {"TableModified, TableRowDeleted, message", 0x0100 | M, 4,
         NF(TABLE_EVENT_TYPE) | NF(TABLE_ROW_FOLDER_ID) | NF(TABLE_ROW_MESSAGE_ID) |
             NF(TABLE_ROW_INSTANCE),
         0, 0, 0, NULL},
        /* InsertAfterTableRowFolderID depends on the event only, not on M. */
        {"TableModified, TableRowModified, folder", 0x0100, 5,
         NF(TABLE_EVENT_TYPE) | NF(TABLE_ROW_FOLDER_ID) | NF(INSERT_AFTER_FOLDER_ID) |
             NF(TABLE_ROW_DATA_SIZE) | NF(TABLE_ROW_DATA),
         0, 0, 0, NULL},
        {"TableModified, TableRestrictionChanged", 0x0100, 7, NF(TABLE_EVENT_TYPE), 0, 0, 0, NULL},
        {"Extended", 0x0400, 0, 0, 0, 0, 0, NULL},
    };
    writer_t *w = calloc(1, sizeof(*w));

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        const notify_case_t *c = &cases[i];
        size_t off[NEWMAIL_NF_COUNT], end;
        newmail_rop_response_t r;
        const newmail_notify_t *n = &r.notify;

        WHERE("%s", c->name);
        rops_begin(w);
        write_notify(w, c, off);
        end = w->len;
        put_bytes(w, (const uint8_t[]){0x6e, 0x05, 0x00}, 3); /* RopPending after it */
        rops_end(w, 1);
        check_walk(
            w,
            (const want_rop_t[]){
                {0x2a, NEWMAIL_ROP_SIZED, 2, end - 2, RF(ROP_ID) | RF(NOTIFICATION), false, 0},
                {0x6e, NEWMAIL_ROP_SIZED, end, 3, RF(ROP_ID) | RF(SESSION_INDEX), false, 0}},
            2, NEWMAIL_ROPS_COMPLETE, NULL);

        /* Once more for the first response's notification. */
        uint8_t *copy = exact_copy(w->b, w->len);
        newmail_rop_walk_t walk;
        newmail_rop_walk_init(&walk, copy, w->len);
        newmail_rop_next_response(&walk, &r);
        CHECK_SPAN(r.field[NEWMAIL_RF_NOTIFICATION], 3, end - 3);
        CHECK_EQ(n->fields_read, NF_HEAD | c->fields);
        for (int f = 0; f < NEWMAIL_NF_COUNT; f++) {
            if (n->fields_read & (1u << f))
                CHECK_SPAN(n->span[f], off[f], nf_size(c, (newmail_notify_field_t)f));
            else
                CHECK_SPAN(n->span[f], 0, 0);
        }
        CHECK_EQ(n->handle, 0x101);
        CHECK_EQ(n->logon_id, 2);
        CHECK_EQ(n->flags, c->flags);
        CHECK_EQ(n->type, c->flags & 0x0fff);
        CHECK(newmail_notify_type_name(n->type) != NULL);
        if (c->fields & NF(TABLE_EVENT_TYPE)) {
            CHECK_EQ(n->table_event_type, c->event);
            CHECK_EQ(r.problems & NEWMAIL_ROP_PROBLEM_TABLE_EVENT, 0);
        }
        if (c->fields & NF(FOLDER_ID))
            CHECK_EQ(n->folder_id, FID);
        if (c->fields & NF(MESSAGE_ID))
            CHECK_EQ(n->message_id, MID);
        if (c->fields & NF(TABLE_ROW_FOLDER_ID))
            CHECK_EQ(n->table_row_folder_id, FID + 1);
        if (c->fields & NF(TABLE_ROW_INSTANCE))
            CHECK_EQ(n->table_row_instance, 0x11);
        if (c->fields & NF(INSERT_AFTER_FOLDER_ID))
            CHECK_EQ(n->insert_after_folder_id, FID + 2);
        if (c->fields & NF(INSERT_AFTER_MESSAGE_ID))
            CHECK_EQ(n->insert_after_message_id, MID + 2);
        if (c->fields & NF(PARENT_FOLDER_ID))
            CHECK_EQ(n->parent_folder_id, FID + 3);
        if (c->fields & NF(OLD_FOLDER_ID))
            CHECK_EQ(n->old_folder_id, FID + 4);
        if (c->fields & NF(OLD_MESSAGE_ID))
            CHECK_EQ(n->old_message_id, MID + 4);
        if (c->fields & NF(OLD_PARENT_FOLDER_ID))
            CHECK_EQ(n->old_parent_folder_id, FID + 5);
        if (c->fields & NF(TAG_COUNT))
            CHECK_EQ(n->tag_count, c->tag_count);
        if (c->fields & NF(TOTAL_MESSAGE_COUNT))
            CHECK_EQ(n->total_message_count, 42);
        if (c->fields & NF(UNREAD_MESSAGE_COUNT))
            CHECK_EQ(n->unread_message_count, 7);
        if (c->fields & NF(MESSAGE_CLASS)) {
            CHECK_EQ(n->message_flags, 8);
            CHECK_EQ(n->unicode_flag, c->unicode);
            CHECK_EQ(n->message_class_unicode, c->unicode == 1);
            CHECK_EQ(n->message_class_chars, strlen(c->message_class));
            if (!c->unicode)
                CHECK(memcmp(copy + n->span[NEWMAIL_NF_MESSAGE_CLASS].offset, c->message_class,
                             strlen(c->message_class)) == 0);
        }
        free(copy);

        /* Every cut inside the notification: TRUNCATED, no read past it. */
        for (size_t cut = 3; cut < end; cut++) {
            writer_t *t = calloc(1, sizeof(*t));

            memcpy(t->b, w->b, cut);
            t->len = cut;
            t->b[0] = (uint8_t)cut; /* RopSize ends RopsList at the cut */
            t->b[1] = 0;
            copy = exact_copy(t->b, cut);
            newmail_rop_walk_init(&walk, copy, cut);
            CHECK(newmail_rop_next_response(&walk, &r));
            CHECK_EQ(r.status, NEWMAIL_ROP_TRUNCATED);
            CHECK(r.span.offset + r.span.length <= cut);
            CHECK_EQ(walk.status, NEWMAIL_ROPS_TRUNCATED);
            free(copy);
            free(t);
        }
    }
    free(w);
    where[0] = 0;
}

static void
test_notify_problems(void)
{
    static const struct {
        const char *name;
        uint16_t flags;
        uint8_t tail[24];
        size_t tail_len;
        newmail_rop_status_t status;
        unsigned problems;
        uint32_t fields;
    } cases[] = {
        /* The type is an enumeration: 0x0006 is not NewMail plus ObjectCreated. */
        {"type 0x0006",
         0x0006,
         {0},
         8,
         NEWMAIL_ROP_UNSIZED,
         NEWMAIL_ROP_PROBLEM_NOTIFY_TYPE,
         NF_HEAD},
        {"type 0x0000",
         0x8000,
         {0},
         8,
         NEWMAIL_ROP_UNSIZED,
         NEWMAIL_ROP_PROBLEM_NOTIFY_TYPE,
         NF_HEAD},
        {"type 0x0200",
         0x0200,
         {0},
         8,
         NEWMAIL_ROP_UNSIZED,
         NEWMAIL_ROP_PROBLEM_NOTIFY_TYPE,
         NF_HEAD},
        /* T on NewMail: noted, and the count is still read where the bit says. */
        {"T on SearchComplete",
         0x1080,
         {1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0},
         12,
         NEWMAIL_ROP_SIZED,
         NEWMAIL_ROP_PROBLEM_NOTIFY_FLAGS,
         NF_HEAD | NF(FOLDER_ID) | NF(TOTAL_MESSAGE_COUNT)},
        {"S without M",
         0x4080,
         {1, 0, 0, 0, 0, 0, 0, 0},
         8,
         NEWMAIL_ROP_SIZED,
         NEWMAIL_ROP_PROBLEM_NOTIFY_FLAGS,
         NF_HEAD | NF(FOLDER_ID)},
        {"TableEventType 2",
         0x0100,
         {2, 0},
         2,
         NEWMAIL_ROP_UNSIZED,
         NEWMAIL_ROP_PROBLEM_TABLE_EVENT,
         NF_HEAD | NF(TABLE_EVENT_TYPE)},
        {"UnicodeFlag 2",
         0x8002,
         {1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
         21,
         NEWMAIL_ROP_UNSIZED,
         NEWMAIL_ROP_PROBLEM_UNICODE_FLAG,
         NF_HEAD | NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(MESSAGE_FLAGS) | NF(UNICODE_FLAG)},
        {"8-bit class unterminated",
         0x0002,
         {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'I', 'P', 'M'},
         16,
         NEWMAIL_ROP_TRUNCATED,
         NEWMAIL_ROP_PROBLEM_UNTERMINATED,
         NF_HEAD | NF(FOLDER_ID) | NF(MESSAGE_FLAGS) | NF(UNICODE_FLAG)},
        /* 'I' 0x00 0x00 'P': the two zero bytes straddle characters, so they
         * are not the terminator; the odd byte left over is not one either. */
        {"UTF-16 class with a misaligned 00 00",
         0x0002,
         {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'I', 0, 0, 'P', 0},
         18,
         NEWMAIL_ROP_TRUNCATED,
         NEWMAIL_ROP_PROBLEM_UNTERMINATED,
         NF_HEAD | NF(FOLDER_ID) | NF(MESSAGE_FLAGS) | NF(UNICODE_FLAG)},
        /* TableRowDataSize past RopsList: not followed. */
        {"TableRowDataSize past the end",
         0x0100,
         {5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 1, 2},
         22,
         NEWMAIL_ROP_TRUNCATED,
         0,
         NF_HEAD | NF(TABLE_EVENT_TYPE) | NF(TABLE_ROW_FOLDER_ID) | NF(INSERT_AFTER_FOLDER_ID) |
             NF(TABLE_ROW_DATA_SIZE)},
    };
    writer_t *w = calloc(1, sizeof(*w));

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        newmail_rop_response_t r;
        newmail_rop_walk_t walk;
        uint8_t *copy;

        WHERE("%s", cases[i].name);
        rops_begin(w);
        put8(w, NEWMAIL_ROP_NOTIFY);
        put32(w, 1);
        put8(w, 0);
        put16(w, cases[i].flags);
        put_bytes(w, cases[i].tail, cases[i].tail_len);
        rops_end(w, 2);
        copy = exact_copy(w->b, w->len);
        newmail_rop_walk_init(&walk, copy, w->len);
        CHECK(newmail_rop_next_response(&walk, &r));
        CHECK_EQ(r.status, cases[i].status);
        CHECK_EQ(r.problems, cases[i].problems);
        CHECK_EQ(r.notify.fields_read, cases[i].fields);
        CHECK_EQ(newmail_rop_has(&r, NEWMAIL_RF_NOTIFICATION),
                 cases[i].status == NEWMAIL_ROP_SIZED);
        if (cases[i].status == NEWMAIL_ROP_SIZED)
            CHECK_EQ(walk.status, NEWMAIL_ROPS_COMPLETE);
        else
            CHECK(!newmail_rop_next_response(&walk, &r));
        free(copy);
    }
    free(w);
    where[0] = 0;
}

/* A typical notification fetch: RopRegisterNotification's failure, then
 * RopNotify NewMail, RopPending, then a ROP the walk cannot size. */
static void
test_rop_sequence(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    const notify_case_t nm = {
        "",
        0x8002,
        0,
        NF(FOLDER_ID) | NF(MESSAGE_ID) | NF(MESSAGE_FLAGS) | NF(UNICODE_FLAG) | NF(MESSAGE_CLASS),
        0,
        0,
        0,
        "IPM.Note"};
    size_t off[NEWMAIL_NF_COUNT];

    rops_begin(w);
    put_bytes(w, (const uint8_t[]){0x29, 0x01, 0x01, 0x01, 0x04, 0x80}, 6);
    write_notify(w, &nm, off);
    size_t pending = put_bytes(w, (const uint8_t[]){0x6e, 0x00, 0x00}, 3);
    put_bytes(w, (const uint8_t[]){0x07, 0x00, 0, 0, 0, 0, 0x01, 0x02}, 8);
    rops_end(w, 1);
    WHERE("fetch with NewMail");
    check_walk(
        w,
        (const want_rop_t[]){
            {0x29, NEWMAIL_ROP_SIZED, 2, 6, PREFIX, true, 0},
            {0x2a, NEWMAIL_ROP_SIZED, 8, pending - 8, RF(ROP_ID) | RF(NOTIFICATION), false, 0},
            {0x6e, NEWMAIL_ROP_SIZED, pending, 3, RF(ROP_ID) | RF(SESSION_INDEX), false, 0},
            {0x07, NEWMAIL_ROP_UNSIZED, pending + 3, 6, PREFIX, false, 0}},
        4, NEWMAIL_ROPS_UNSIZED, NULL);
    /* 8 + 1 + 4 + 1 + 2 + 8 + 8 + 4 + 1 + "IPM.Note" + NUL */
    CHECK_EQ(pending, 8 + 38);
    free(w);
    where[0] = 0;
}

static void
test_names(void)
{
    static const uint8_t sizable[] = {NEWMAIL_ROP_SIZABLE_IDS};
    unsigned named = 0;

    WHERE("names");
    CHECK(strcmp(newmail_rop_name(0x2a), "RopNotify") == 0);
    CHECK(strcmp(newmail_rop_name(0x6e), "RopPending") == 0);
    CHECK(strcmp(newmail_rop_name(0xff), "RopBufferTooSmall") == 0);
    CHECK(strcmp(newmail_rop_name(0xf9), "RopBackoff") == 0);
    CHECK(strcmp(newmail_rop_name(0xfe), "RopLogon") == 0);
    CHECK(newmail_rop_name(0x00) == NULL);
    CHECK(newmail_rop_name(0x28) == NULL);
    CHECK(newmail_rop_name(0xfd) == NULL);
    for (int id = 0; id < 256; id++) {
        named += newmail_rop_name((uint8_t)id) != NULL;
    }
    /* MS-OXCROPS 2.2.2 names 132 RopIds (its 2018 edition still reserved
     * 0x52, 0x9D and 0xA3, which later editions assign). */
    CHECK_EQ(named, 132);
    for (size_t i = 0; i < sizeof(sizable); i++)
        CHECK(newmail_rop_name(sizable[i]) != NULL);
    CHECK(strcmp(newmail_notify_type_name(0x0002), "NewMail") == 0);
    CHECK(strcmp(newmail_notify_type_name(0x0100), "TableModified") == 0);
    CHECK(newmail_notify_type_name(0x0003) == NULL);
    CHECK(newmail_notify_type_name(0x8002) == NULL);
    where[0] = 0;
}

int
main(void)
{
    test_lz77_examples();
    test_lz77_lengths();
    test_lz77_shared_nibble();
    test_lz77_ends();
    test_lz77_problems();
    test_lz77_bomb();
    test_rpcx_chain();
    test_rpcx_budget();
    test_rpcx_problems();
    test_rpcx_decode();
    test_rop_buffer();
    test_rop_spec_examples();
    test_rop_sizable();
    test_rop_unsized();
    test_rop_truncated();
    test_notify_types();
    test_notify_problems();
    test_rop_sequence();
    test_names();

    return checks_report();
}
