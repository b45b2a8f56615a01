/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_parse.c: unit tests for newmail-parse.c, the Wireshark-independent
 * reader of the EMSMDB opnum 4/5 stubs (MS-OXCRPC 3.1.4.5), the Windows
 * SOCKADDR in rgbCallbackAddress, and the session and AsyncEMSMDB stubs
 * (3.1.4.1-3.1.4.4, 3.3.4.1). No framework: CHECK() counts, prints one
 * line per failure with file:line, and main() ends with "N passed, N failed",
 * the line CI reads. Stubs are built here field by field from the
 * specification, never by the parser. Truncated stubs live in heap buffers of
 * exactly the cut length, so under ASan any read past the cut fails:
 *   gcc -std=c11 -Wall -Wextra -Werror -fsanitize=address,undefined -I. \
 *       newmail-parse.c test/test_parse.c -o /tmp/test_parse
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newmail-parse.h"

#include "checks.h"
#include "stub_layouts.h"
#include "writer.h"

#define BIT(f) (1u << (f))

/* ---- the stub layouts (stub_layouts.h, from MS-OXCRPC) -------------------------- */

static uint32_t
layout_mask(newmail_stub_kind_t kind, size_t fields)
{
    uint32_t mask = 0;

    for (size_t i = 0; i < fields; i++)
        mask |= BIT(stub_layouts[kind].fields[i]);
    return mask;
}

/* clang-format off */
/* The attributes (0x04030201 little-endian) and a UUID: raw bytes either way. */
static const uint8_t pcxh[NEWMAIL_CONTEXT_HANDLE_LEN] = {
    0x01, 0x02, 0x03, 0x04,
    0xa4, 0xf1, 0xdb, 0x00, 0xca, 0x47, 0x10, 0x67, 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda,
};
/* pcxh as the parser keeps it, written out by hand: the bytes as they are
 * from a little-endian stub; from a big-endian one, the attributes, Data1,
 * Data2 and Data3 each reversed back (Data4 is bytes either way). */
static const uint8_t pcxh_from_be[NEWMAIL_CONTEXT_HANDLE_LEN] = {
    0x04, 0x03, 0x02, 0x01,
    0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10, 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda,
};
#define PCXH_KEPT(be) ((be) ? pcxh_from_be : pcxh)
/* AF_INET 192.0.2.10:54328 */
static const uint8_t sa_in[16] = {0x02, 0x00, 0xd4, 0x38, 192, 0, 2, 10};
/* AF_INET6 [2001:db8::1]:6001, flowinfo 0x12345678, scope id 0x0a0b0c0d */
static const uint8_t sa_in6[28] = {
    0x17, 0x00,             /* family, little-endian */
    0x17, 0x71,             /* port, big-endian */
    0x12, 0x34, 0x56, 0x78, /* flowinfo, big-endian */
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    0x0d, 0x0c, 0x0b, 0x0a, /* scope id, little-endian */
};
/* clang-format on */
static const uint8_t sa_in_port0[16] = {0x02, 0x00, 0x00, 0x00, 10, 1, 2, 3};
static const uint8_t sa_in6_port0[28] = {0x17, 0x00, 0x00, 0x00, [8] = 0xfe, 0x80, [23] = 0x02};
/* Longer than needed: accepted, the rest ignored. */
static const uint8_t sa_in_long[20] = {0x02, 0x00, 0x00, 0x50, 127, 0, 0, 1, [16] = 0xff, 0xff};
static const uint8_t sa_in6_long[32] = {0x17, 0x00, 0xff, 0xff, [23] = 0x01, [28] = 0xee};
/* Unknown families: 0, Linux's AF_INET6 (10), BSD's (28), AF_INET written big-endian. */
static const uint8_t sa_fam0[16] = {0x00, 0x00, 0xd4, 0x38, 192, 0, 2, 10};
static const uint8_t sa_fam10[28] = {0x0a, 0x00, 0x17, 0x71};
static const uint8_t sa_fam28[28] = {0x1c, 0x00, 0x17, 0x71};
static const uint8_t sa_fam_be[16] = {0x00, 0x02, 0xd4, 0x38, 192, 0, 2, 10};
static const uint8_t sa_fam_ffff[2] = {0xff, 0xff};

/* What an opnum 4 request says; the counts travel as given, so they can lie. */
typedef struct {
    uint32_t rpc;
    const uint8_t *context;
    size_t context_len; /* bytes written */
    uint32_t context_count;
    uint16_t context_length; /* cbContext */
    uint32_t advise_bits;
    const uint8_t *callback;
    size_t callback_len;
    uint32_t callback_count;
    uint16_t callback_length; /* cbCallbackAddress */
} req4_t;

static const uint8_t context_bytes[300] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4,        0xc5,
                                           0xc6, 0xc7, 0xc8, 0xc9, [299] = 0xcf};

/* A well-formed request with `context_len` context bytes and that callback. */
static req4_t
req4_ok(size_t context_len, const uint8_t *callback, size_t callback_len)
{
    return (req4_t){0x11223344,
                    context_bytes,
                    context_len,
                    (uint32_t)context_len,
                    (uint16_t)context_len,
                    NEWMAIL_ADVISE_BITS_ALL,
                    callback,
                    callback_len,
                    (uint32_t)callback_len,
                    (uint16_t)callback_len};
}

/* Writes the request; off[f] receives where each field starts. */
static void
write_req4(writer_t *w, const req4_t *r, size_t off[NEWMAIL_F_COUNT])
{
    off[NEWMAIL_F_CONTEXT_HANDLE] = put_bytes(w, pcxh, sizeof(pcxh));
    off[NEWMAIL_F_RPC] = put_ndr32(w, r->rpc);
    off[NEWMAIL_F_CONTEXT_COUNT] = put_ndr32(w, r->context_count);
    off[NEWMAIL_F_CONTEXT] = put_bytes(w, r->context, r->context_len);
    off[NEWMAIL_F_CONTEXT_LENGTH] = put_ndr16(w, r->context_length);
    off[NEWMAIL_F_ADVISE_BITS] = put_ndr32(w, r->advise_bits);
    off[NEWMAIL_F_CALLBACK_COUNT] = put_ndr32(w, r->callback_count);
    off[NEWMAIL_F_CALLBACK] = put_bytes(w, r->callback, r->callback_len);
    off[NEWMAIL_F_CALLBACK_LENGTH] = put_ndr16(w, r->callback_length);
}

static unsigned
parse(newmail_stub_kind_t kind, const writer_t *w, newmail_stub_t *out)
{
    return newmail_parse_stub(kind, w->b, w->len, w->be, out);
}

/* ---- opnum 4 request: values, spans, NDR padding ---------------------------- */

static void
test_register_request_layouts(void)
{
    /* Offsets worked out by hand from NDR's rules: the odd context lengths
     * pad before cbContext and before grbitAdviseBits, the odd callback
     * length before cbCallbackAddress. */
    static const struct {
        size_t context_len;
        const uint8_t *callback;
        size_t callback_len;
        size_t cb_context, advise, callback_count, callback_at, cb_callback, total;
    } cases[] = {
        {8, sa_in, 16, 36, 40, 44, 48, 64, 66},
        {7, sa_in, 16, 36, 40, 44, 48, 64, 66},
        {6, sa_in_long, 17, 34, 36, 40, 44, 62, 64},
        {5, sa_in6, 28, 34, 36, 40, 44, 72, 74},
        {1, sa_in6, 28, 30, 32, 36, 40, 68, 70},
        {0, sa_in, 16, 28, 32, 36, 40, 56, 58},
        {256, sa_in6_long, 31, 284, 288, 292, 296, 328, 330},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        for (int be = 0; be <= 1; be++) {
            writer_t w = {.be = be};
            req4_t r = req4_ok(cases[i].context_len, cases[i].callback, cases[i].callback_len);
            size_t off[NEWMAIL_F_COUNT];
            newmail_stub_t s;
            bool v6 = cases[i].callback[0] == NEWMAIL_AF_INET6;

            snprintf(where, sizeof(where), "request, context %zu, callback %zu, %s",
                     cases[i].context_len, cases[i].callback_len, be ? "BE" : "LE");
            write_req4(&w, &r, off);
            CHECK_EQ(w.len, cases[i].total);
            CHECK_EQ(parse(NEWMAIL_REGISTER_REQUEST, &w, &s), 0);
            CHECK_EQ(s.problems, 0);
            CHECK_EQ(s.kind, NEWMAIL_REGISTER_REQUEST);
            CHECK_EQ(s.fields_read, layout_mask(NEWMAIL_REGISTER_REQUEST, 9));
            CHECK_EQ(newmail_stub_first_missing(&s), NEWMAIL_F_COUNT);
            CHECK(newmail_stub_is_valid_registration(&s));

            CHECK_SPAN(s.span[NEWMAIL_F_CONTEXT_HANDLE], 0, 20);
            CHECK_SPAN(s.span[NEWMAIL_F_RPC], 20, 4);
            CHECK_SPAN(s.span[NEWMAIL_F_CONTEXT_COUNT], 24, 4);
            CHECK_SPAN(s.span[NEWMAIL_F_CONTEXT], 28, cases[i].context_len);
            CHECK_SPAN(s.span[NEWMAIL_F_CONTEXT_LENGTH], cases[i].cb_context, 2);
            CHECK_SPAN(s.span[NEWMAIL_F_ADVISE_BITS], cases[i].advise, 4);
            CHECK_SPAN(s.span[NEWMAIL_F_CALLBACK_COUNT], cases[i].callback_count, 4);
            CHECK_SPAN(s.span[NEWMAIL_F_CALLBACK], cases[i].callback_at, cases[i].callback_len);
            CHECK_SPAN(s.span[NEWMAIL_F_CALLBACK_LENGTH], cases[i].cb_callback, 2);
            CHECK_SPAN(s.span[NEWMAIL_F_NOTIFICATION_HANDLE], 0, 0);
            CHECK_SPAN(s.span[NEWMAIL_F_RETURN_VALUE], 0, 0);
            CHECK_EQ(off[NEWMAIL_F_CALLBACK], cases[i].callback_at); /* the writer agrees */

            CHECK(memcmp(s.context_handle, PCXH_KEPT(be), sizeof(pcxh)) == 0);
            CHECK_EQ(s.rpc, 0x11223344);
            CHECK_EQ(s.context_count, cases[i].context_len);
            CHECK(s.context == w.b + 28);
            CHECK_EQ(s.context_length, cases[i].context_len);
            CHECK_EQ(s.advise_bits, NEWMAIL_ADVISE_BITS_ALL);
            CHECK_EQ(s.callback_count, cases[i].callback_len);
            CHECK(s.callback == w.b + cases[i].callback_at);
            CHECK_EQ(s.callback_length, cases[i].callback_len);
            CHECK_EQ(s.notification_handle, 0);
            CHECK_EQ(s.return_value, 0);
            CHECK_EQ(s.sockaddr.family, v6 ? NEWMAIL_AF_INET6 : NEWMAIL_AF_INET);
            CHECK_EQ(s.sockaddr.port, cases[i].callback[2] << 8 | cases[i].callback[3]);
        }
    }
    where[0] = 0;
}

/* ---- the three small stubs --------------------------------------------------- */

static void
test_small_stubs(void)
{
    static const struct {
        newmail_stub_kind_t kind;
        uint32_t handle, ret; /* hNotification, return value, when the kind has them */
    } cases[] = {
        {NEWMAIL_REGISTER_RESPONSE, 0x11223344, 0},
        {NEWMAIL_REGISTER_RESPONSE, 0, 0x80040111},
        {NEWMAIL_REGISTER_RESPONSE, 0xffffffff, 0xffffffff},
        {NEWMAIL_UNREGISTER_REQUEST, 0x0a0b0c0d, 0},
        {NEWMAIL_UNREGISTER_REQUEST, 0xffffffff, 0},
        {NEWMAIL_UNREGISTER_RESPONSE, 0, 0x000004b9},
        {NEWMAIL_UNREGISTER_RESPONSE, 0, 0},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        for (int be = 0; be <= 1; be++) {
            newmail_stub_kind_t kind = cases[i].kind;
            bool has_handle = kind != NEWMAIL_UNREGISTER_RESPONSE;
            bool has_ret = kind != NEWMAIL_UNREGISTER_REQUEST;
            writer_t w = {.be = be};
            newmail_stub_t s;

            snprintf(where, sizeof(where), "%s case %zu, %s", stub_layouts[kind].name, i,
                     be ? "BE" : "LE");
            put_bytes(&w, pcxh, sizeof(pcxh));
            if (has_handle)
                put_ndr32(&w, cases[i].handle);
            if (has_ret)
                put_ndr32(&w, cases[i].ret);
            CHECK_EQ(parse(kind, &w, &s), 0);
            CHECK_EQ(s.kind, kind);
            CHECK_EQ(s.fields_read, layout_mask(kind, stub_layouts[kind].count));
            CHECK_EQ(newmail_stub_first_missing(&s), NEWMAIL_F_COUNT);
            CHECK(!newmail_stub_is_valid_registration(&s));
            CHECK(memcmp(s.context_handle, PCXH_KEPT(be), sizeof(pcxh)) == 0);
            CHECK_SPAN(s.span[NEWMAIL_F_CONTEXT_HANDLE], 0, 20);
            CHECK_EQ(s.notification_handle, has_handle ? cases[i].handle : 0);
            CHECK_SPAN(s.span[NEWMAIL_F_NOTIFICATION_HANDLE], has_handle ? 20 : 0,
                       has_handle ? 4 : 0);
            CHECK_EQ(s.return_value, has_ret ? cases[i].ret : 0);
            CHECK_SPAN(s.span[NEWMAIL_F_RETURN_VALUE], has_ret ? (has_handle ? 24 : 20) : 0,
                       has_ret ? 4 : 0);
            CHECK(s.context == NULL && s.callback == NULL);
            CHECK_EQ(s.sockaddr.family, 0);

            /* Trailing bytes (say, the next PDU's) are not the stub's business. */
            put_ndr32(&w, 0xdeadbeef);
            CHECK_EQ(parse(kind, &w, &s), 0);
            CHECK_EQ(s.fields_read, layout_mask(kind, stub_layouts[kind].count));
        }
    }
    where[0] = 0;
}

/* ---- problems, alone and together --------------------------------------------- */

static void
test_problems(void)
{
    enum {
        TRUNC = NEWMAIL_PROBLEM_TRUNCATED,
        CTXLEN = NEWMAIL_PROBLEM_CONTEXT_LENGTH,
        CBLEN = NEWMAIL_PROBLEM_CALLBACK_LENGTH,
        FAMILY = NEWMAIL_PROBLEM_FAMILY,
        SHORT = NEWMAIL_PROBLEM_SOCKADDR_SHORT,
        PORT0 = NEWMAIL_PROBLEM_PORT_ZERO,
        ADVISE = NEWMAIL_PROBLEM_ADVISE_BITS
    };
    static const struct {
        const char *name;
        int context_length_delta, callback_length_delta; /* cb* minus the count */
        uint32_t advise_bits;
        const uint8_t *callback;
        size_t callback_len;
        size_t cut; /* bytes removed from the end */
        unsigned problems;
    } cases[] = {
        {"clean", 0, 0, 0xffffffff, sa_in, 16, 0, 0},
        {"cut 1", 0, 0, 0xffffffff, sa_in, 16, 1, TRUNC},
        {"cbContext + 1", 1, 0, 0xffffffff, sa_in, 16, 0, CTXLEN},
        {"cbContext 0", -8, 0, 0xffffffff, sa_in, 16, 0, CTXLEN},
        {"cbCallbackAddress - 1", 0, -1, 0xffffffff, sa_in, 16, 0, CBLEN},
        {"cbCallbackAddress + 12", 0, 12, 0xffffffff, sa_in, 16, 0, CBLEN},
        {"family 0", 0, 0, 0xffffffff, sa_fam0, 16, 0, FAMILY},
        {"family 10", 0, 0, 0xffffffff, sa_fam10, 28, 0, FAMILY},
        {"family 28", 0, 0, 0xffffffff, sa_fam28, 28, 0, FAMILY},
        {"family 2 big-endian", 0, 0, 0xffffffff, sa_fam_be, 16, 0, FAMILY},
        {"family 0xffff, 2 bytes", 0, 0, 0xffffffff, sa_fam_ffff, 2, 0, FAMILY},
        {"AF_INET 15 bytes", 0, 0, 0xffffffff, sa_in, 15, 0, SHORT},
        {"AF_INET6 27 bytes", 0, 0, 0xffffffff, sa_in6, 27, 0, SHORT},
        {"AF_INET6 16 bytes", 0, 0, 0xffffffff, sa_in6, 16, 0, SHORT},
        {"sockaddr 1 byte", 0, 0, 0xffffffff, sa_in, 1, 0, SHORT},
        {"sockaddr 0 bytes", 0, 0, 0xffffffff, sa_in, 0, 0, SHORT},
        {"AF_INET port 0", 0, 0, 0xffffffff, sa_in_port0, 16, 0, PORT0},
        {"AF_INET6 port 0", 0, 0, 0xffffffff, sa_in6_port0, 28, 0, PORT0},
        {"AF_INET 20 bytes", 0, 0, 0xffffffff, sa_in_long, 20, 0, 0},
        {"AF_INET6 32 bytes", 0, 0, 0xffffffff, sa_in6_long, 32, 0, 0},
        {"advise bits 0", 0, 0, 0, sa_in, 16, 0, ADVISE},
        {"advise bits 0xfffffffe", 0, 0, 0xfffffffe, sa_in6, 28, 0, ADVISE},
        {"advise bits 0x7fffffff", 0, 0, 0x7fffffff, sa_in6, 28, 0, ADVISE},
        /* Together. */
        {"cbContext, advise, port 0", 2, 0, 0, sa_in_port0, 16, 0, CTXLEN | ADVISE | PORT0},
        {"cbContext, cbCallbackAddress, family", -1, 3, 0xffffffff, sa_fam0, 16, 0,
         CTXLEN | CBLEN | FAMILY},
        {"short, cbCallbackAddress, advise", 0, 1, 1, sa_in6, 20, 0, SHORT | CBLEN | ADVISE},
        {"all but truncated", 1, 1, 0, sa_in, 15, 0, CTXLEN | CBLEN | SHORT | ADVISE},
        /* A cut stub still reports what it read: the SOCKADDR is checked
         * before cbCallbackAddress, and nothing after the cut is. */
        {"cut in cbCallbackAddress, port 0", 0, 0, 0xffffffff, sa_in_port0, 16, 1, TRUNC | PORT0},
        {"cut in cbCallbackAddress, cbContext, advise", 5, 4, 0, sa_in, 16, 2,
         TRUNC | CTXLEN | ADVISE},
        {"cut in the SOCKADDR, family", 0, 0, 0xffffffff, sa_fam0, 16, 3, TRUNC},
        {"cut in advise bits, cbContext", 1, 0, 0, sa_in, 16, 2 + 16 + 4 + 2, TRUNC | CTXLEN},
        {"cut in cbContext", 1, 0, 0, sa_in, 16, 2 + 16 + 4 + 4 + 2 + 1, TRUNC},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        for (int be = 0; be <= 1; be++) {
            writer_t w = {.be = be};
            req4_t r = req4_ok(8, cases[i].callback, cases[i].callback_len);
            size_t off[NEWMAIL_F_COUNT];
            newmail_stub_t s;
            uint8_t *cut;
            unsigned ret;

            snprintf(where, sizeof(where), "\"%s\", %s", cases[i].name, be ? "BE" : "LE");
            r.context_length = (uint16_t)(r.context_length + cases[i].context_length_delta);
            r.callback_length = (uint16_t)(r.callback_length + cases[i].callback_length_delta);
            r.advise_bits = cases[i].advise_bits;
            write_req4(&w, &r, off);
            cut = exact_copy(w.b, w.len - cases[i].cut);
            ret = newmail_parse_stub(NEWMAIL_REGISTER_REQUEST, cut, w.len - cases[i].cut, be, &s);
            CHECK_EQ(s.problems, cases[i].problems);
            CHECK_EQ(ret, s.problems);
            CHECK_EQ(newmail_stub_is_valid_registration(&s),
                     (cases[i].problems & NEWMAIL_PROBLEMS_MALFORMED) == 0);
            CHECK_EQ(newmail_stub_first_missing(&s) == NEWMAIL_F_COUNT, cases[i].cut == 0);
            free(cut);
        }
    }
    where[0] = 0;
}

/* ---- truncation at every length ------------------------------------------------ */

/* Parses every prefix of the stub in w, each in a heap buffer of exactly that
 * length, and checks it against the whole stub's parse. */
static void
check_every_cut(newmail_stub_kind_t kind, const writer_t *w, const char *name)
{
    const newmail_field_t *fields = stub_layouts[kind].fields;
    size_t count = stub_layouts[kind].count;
    newmail_stub_t full, s;

    newmail_parse_stub(kind, w->b, w->len, w->be, &full);
    for (size_t len = 0; len <= w->len; len++) {
        uint8_t *buf = exact_copy(w->b, len);
        size_t k = 0;
        unsigned want;

        snprintf(where, sizeof(where), "%s, %s, cut at %zu of %zu", name, w->be ? "BE" : "LE", len,
                 w->len);
        newmail_parse_stub(kind, buf, len, w->be, &s);
        /* Exactly the fields that end by the cut are read. */
        while (k < count && full.span[fields[k]].offset + full.span[fields[k]].length <= len)
            k++;
        CHECK_EQ(s.fields_read, layout_mask(kind, k));
        CHECK_EQ(newmail_stub_first_missing(&s), k < count ? fields[k] : NEWMAIL_F_COUNT);
        for (size_t i = 0; i < NEWMAIL_F_COUNT; i++) {
            bool read = newmail_stub_has(&s, (newmail_field_t)i);

            CHECK_EQ(s.span[i].offset, read ? full.span[i].offset : 0);
            CHECK_EQ(s.span[i].length, read ? full.span[i].length : 0);
            CHECK(s.span[i].offset + s.span[i].length <= len);
        }
        CHECK(s.context == (newmail_stub_has(&s, NEWMAIL_F_CONTEXT)
                                ? buf + full.span[NEWMAIL_F_CONTEXT].offset
                                : NULL));
        CHECK(s.callback == (newmail_stub_has(&s, NEWMAIL_F_CALLBACK)
                                 ? buf + full.span[NEWMAIL_F_CALLBACK].offset
                                 : NULL));
        CHECK_EQ(s.rpc, newmail_stub_has(&s, NEWMAIL_F_RPC) ? full.rpc : 0);
        CHECK_EQ(s.advise_bits, newmail_stub_has(&s, NEWMAIL_F_ADVISE_BITS) ? full.advise_bits : 0);
        CHECK_EQ(s.callback_length,
                 newmail_stub_has(&s, NEWMAIL_F_CALLBACK_LENGTH) ? full.callback_length : 0);
        CHECK_EQ(s.notification_handle, newmail_stub_has(&s, NEWMAIL_F_NOTIFICATION_HANDLE)
                                            ? full.notification_handle
                                            : 0);
        CHECK_EQ(s.return_value,
                 newmail_stub_has(&s, NEWMAIL_F_RETURN_VALUE) ? full.return_value : 0);
        CHECK_EQ(s.sockaddr.port,
                 newmail_stub_has(&s, NEWMAIL_F_CALLBACK) ? full.sockaddr.port : 0);

        /* Problems: truncated unless whole, plus those of the fields read. */
        want = k < count ? NEWMAIL_PROBLEM_TRUNCATED : 0;
        if (newmail_stub_has(&s, NEWMAIL_F_CONTEXT_LENGTH))
            want |= full.problems & NEWMAIL_PROBLEM_CONTEXT_LENGTH;
        if (newmail_stub_has(&s, NEWMAIL_F_ADVISE_BITS))
            want |= full.problems & NEWMAIL_PROBLEM_ADVISE_BITS;
        if (newmail_stub_has(&s, NEWMAIL_F_CALLBACK))
            want |= full.problems & (NEWMAIL_PROBLEM_FAMILY | NEWMAIL_PROBLEM_SOCKADDR_SHORT |
                                     NEWMAIL_PROBLEM_PORT_ZERO);
        if (newmail_stub_has(&s, NEWMAIL_F_CALLBACK_LENGTH))
            want |= full.problems & NEWMAIL_PROBLEM_CALLBACK_LENGTH;
        CHECK_EQ(s.problems, want);
        CHECK_EQ(len < w->len, (s.problems & NEWMAIL_PROBLEM_TRUNCATED) != 0);
        CHECK(!newmail_stub_is_valid_registration(&s) || len == w->len);
        free(buf);
    }
    where[0] = 0;
}

static void
test_truncation(void)
{
    static const struct {
        size_t context_len;
        const uint8_t *callback;
        size_t callback_len;
        int context_length_delta;
        uint32_t advise_bits;
    } requests[] = {
        {8, sa_in, 16, 0, 0xffffffff},      {7, sa_in6, 28, 0, 0xffffffff},
        {5, sa_in6, 28, 0, 0xffffffff},     {0, sa_in, 16, 0, 0xffffffff},
        {6, sa_in_long, 17, 0, 0xffffffff}, {3, sa_in_port0, 16, 1, 0}, /* with problems to carry */
        {8, sa_fam0, 16, 0, 0xffffffff},    {8, sa_in6, 20, 0, 0xffffffff},
    };

    for (int be = 0; be <= 1; be++) {
        for (size_t i = 0; i < COUNT_OF(requests); i++) {
            writer_t w = {.be = be};
            req4_t r =
                req4_ok(requests[i].context_len, requests[i].callback, requests[i].callback_len);
            size_t off[NEWMAIL_F_COUNT];
            char name[64];

            r.context_length = (uint16_t)(r.context_length + requests[i].context_length_delta);
            r.advise_bits = requests[i].advise_bits;
            write_req4(&w, &r, off);
            snprintf(name, sizeof(name), "request %zu", i);
            check_every_cut(NEWMAIL_REGISTER_REQUEST, &w, name);
        }
        for (newmail_stub_kind_t kind = NEWMAIL_REGISTER_RESPONSE;
             kind <= NEWMAIL_UNREGISTER_RESPONSE; kind++) {
            writer_t w = {.be = be};

            put_bytes(&w, pcxh, sizeof(pcxh));
            for (size_t f = 1; f < stub_layouts[kind].count; f++)
                put_ndr32(&w, 0x01020304u * (uint32_t)f);
            check_every_cut(kind, &w, stub_layouts[kind].name);
        }
    }
}

/* ---- counts that cannot fit --------------------------------------------------- */

static void
test_huge_counts(void)
{
    /* After each count there are 64 more bytes, far fewer than it claims. */
    static const uint32_t counts[] = {0xffffffff, 0xfffffff0, 0xfffffffc, 0x80000000,
                                      0x7fffffff, 0x10000,    65};

    for (size_t i = 0; i < COUNT_OF(counts); i++) {
        for (int be = 0; be <= 1; be++) {
            static const uint8_t filler[64];
            writer_t w = {.be = be};
            req4_t r = req4_ok(8, sa_in, 16);
            size_t off[NEWMAIL_F_COUNT];
            newmail_stub_t s;

            snprintf(where, sizeof(where), "rgbContext count %#x, %s", counts[i], be ? "BE" : "LE");
            put_bytes(&w, pcxh, sizeof(pcxh));
            put_ndr32(&w, 0);
            put_ndr32(&w, counts[i]);
            put_bytes(&w, filler, sizeof(filler));
            CHECK_EQ(parse(NEWMAIL_REGISTER_REQUEST, &w, &s), NEWMAIL_PROBLEM_TRUNCATED);
            CHECK_EQ(s.context_count, counts[i]);
            CHECK_EQ(s.fields_read, layout_mask(NEWMAIL_REGISTER_REQUEST, 3));
            CHECK_EQ(newmail_stub_first_missing(&s), NEWMAIL_F_CONTEXT);
            CHECK(s.context == NULL);
            CHECK_SPAN(s.span[NEWMAIL_F_CONTEXT], 0, 0);

            snprintf(where, sizeof(where), "rgbCallbackAddress count %#x, %s", counts[i],
                     be ? "BE" : "LE");
            w.len = 0;
            r.callback_len = 0;
            r.callback_count = counts[i];
            write_req4(&w, &r, off);
            w.len = off[NEWMAIL_F_CALLBACK];
            put_bytes(&w, filler, sizeof(filler));
            CHECK_EQ(parse(NEWMAIL_REGISTER_REQUEST, &w, &s), NEWMAIL_PROBLEM_TRUNCATED);
            CHECK_EQ(s.callback_count, counts[i]);
            CHECK_EQ(s.fields_read, layout_mask(NEWMAIL_REGISTER_REQUEST, 7));
            CHECK_EQ(newmail_stub_first_missing(&s), NEWMAIL_F_CALLBACK);
            CHECK(s.callback == NULL);
            CHECK_EQ(s.sockaddr.family, 0);
        }
    }

    /* A count of exactly the bytes left is read; the field after it is missing. */
    {
        writer_t w = {0};
        newmail_stub_t s;

        where[0] = 0;
        put_bytes(&w, pcxh, sizeof(pcxh));
        put_ndr32(&w, 0);
        put_ndr32(&w, 40);
        put_bytes(&w, context_bytes, 40);
        CHECK_EQ(parse(NEWMAIL_REGISTER_REQUEST, &w, &s), NEWMAIL_PROBLEM_TRUNCATED);
        CHECK_EQ(newmail_stub_first_missing(&s), NEWMAIL_F_CONTEXT_LENGTH);
        CHECK_SPAN(s.span[NEWMAIL_F_CONTEXT], 28, 40);
        CHECK(s.context == w.b + 28);
    }
    where[0] = 0;
}

/* ---- no input ------------------------------------------------------------------ */

static void
test_null_and_empty(void)
{
    static const uint8_t byte = 0;
    newmail_sockaddr_t sa;
    const newmail_sockaddr_t zero = {0};

    for (newmail_stub_kind_t kind = 0; kind < COUNT_OF(stub_layouts); kind++) {
        const struct {
            const char *name;
            const uint8_t *bytes;
            size_t len;
        } inputs[] = {{"NULL, 0", NULL, 0}, {"NULL, 100", NULL, 100}, {"empty", &byte, 0}};

        for (size_t i = 0; i < COUNT_OF(inputs); i++) {
            for (int be = 0; be <= 1; be++) {
                newmail_stub_t s;

                snprintf(where, sizeof(where), "%s, %s, %s", stub_layouts[kind].name, inputs[i].name,
                         be ? "BE" : "LE");
                CHECK_EQ(newmail_parse_stub(kind, inputs[i].bytes, inputs[i].len, be, &s),
                         NEWMAIL_PROBLEM_TRUNCATED);
                CHECK_EQ(s.kind, kind);
                CHECK_EQ(s.fields_read, 0);
                CHECK_EQ(newmail_stub_first_missing(&s), stub_layouts[kind].fields[0]);
                CHECK(!newmail_stub_is_valid_registration(&s));
            }
        }
    }
    where[0] = 0;
    CHECK_EQ(newmail_parse_sockaddr(NULL, 0, &sa), NEWMAIL_PROBLEM_SOCKADDR_SHORT);
    CHECK(memcmp(&sa, &zero, sizeof(sa)) == 0);
}

/* ---- SOCKADDR ------------------------------------------------------------------ */

static void
test_sockaddr(void)
{
    /* What gets decoded: nothing (under 2 bytes), the family only (unknown, or
     * too short for it: no port is guessed), or all of SOCKADDR_IN(6). */
    enum { NOTHING, FAMILY_ONLY, IN, IN6 };
    static const struct {
        const char *name;
        const uint8_t *bytes;
        size_t len;
        unsigned problems;
        int decoded;
        uint16_t family, port;
        uint8_t address[16];
        uint32_t flowinfo, scope_id;
    } cases[] = {
        {"AF_INET", sa_in, 16, 0, IN, 2, 54328, {192, 0, 2, 10}, 0, 0},
        {"AF_INET 20 bytes", sa_in_long, 20, 0, IN, 2, 80, {127, 0, 0, 1}, 0, 0},
        {"AF_INET port 0",
         sa_in_port0,
         16,
         NEWMAIL_PROBLEM_PORT_ZERO,
         IN,
         2,
         0,
         {10, 1, 2, 3},
         0,
         0},
        {"AF_INET6",
         sa_in6,
         28,
         0,
         IN6,
         23,
         6001,
         {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
         0x12345678,
         0x0a0b0c0d},
        {"AF_INET6 32 bytes", sa_in6_long, 32, 0, IN6, 23, 65535, {[15] = 1}, 0, 0},
        {"AF_INET6 port 0",
         sa_in6_port0,
         28,
         NEWMAIL_PROBLEM_PORT_ZERO,
         IN6,
         23,
         0,
         {0xfe, 0x80, [15] = 2},
         0,
         0},
        {"AF_INET 15 bytes",
         sa_in,
         15,
         NEWMAIL_PROBLEM_SOCKADDR_SHORT,
         FAMILY_ONLY,
         2,
         0,
         {0},
         0,
         0},
        {"AF_INET 4 bytes", sa_in, 4, NEWMAIL_PROBLEM_SOCKADDR_SHORT, FAMILY_ONLY, 2, 0, {0}, 0, 0},
        {"AF_INET 2 bytes", sa_in, 2, NEWMAIL_PROBLEM_SOCKADDR_SHORT, FAMILY_ONLY, 2, 0, {0}, 0, 0},
        {"AF_INET6 27 bytes",
         sa_in6,
         27,
         NEWMAIL_PROBLEM_SOCKADDR_SHORT,
         FAMILY_ONLY,
         23,
         0,
         {0},
         0,
         0},
        {"AF_INET6 16 bytes",
         sa_in6,
         16,
         NEWMAIL_PROBLEM_SOCKADDR_SHORT,
         FAMILY_ONLY,
         23,
         0,
         {0},
         0,
         0},
        {"AF_INET6 4 bytes",
         sa_in6,
         4,
         NEWMAIL_PROBLEM_SOCKADDR_SHORT,
         FAMILY_ONLY,
         23,
         0,
         {0},
         0,
         0},
        {"1 byte", sa_in, 1, NEWMAIL_PROBLEM_SOCKADDR_SHORT, NOTHING, 0, 0, {0}, 0, 0},
        {"0 bytes", sa_in, 0, NEWMAIL_PROBLEM_SOCKADDR_SHORT, NOTHING, 0, 0, {0}, 0, 0},
        {"family 0", sa_fam0, 16, NEWMAIL_PROBLEM_FAMILY, FAMILY_ONLY, 0, 0, {0}, 0, 0},
        {"family 10", sa_fam10, 28, NEWMAIL_PROBLEM_FAMILY, FAMILY_ONLY, 10, 0, {0}, 0, 0},
        {"family 28", sa_fam28, 28, NEWMAIL_PROBLEM_FAMILY, FAMILY_ONLY, 28, 0, {0}, 0, 0},
        {"family 0x0200", sa_fam_be, 16, NEWMAIL_PROBLEM_FAMILY, FAMILY_ONLY, 0x0200, 0, {0}, 0, 0},
        {"family 0xffff",
         sa_fam_ffff,
         2,
         NEWMAIL_PROBLEM_FAMILY,
         FAMILY_ONLY,
         0xffff,
         0,
         {0},
         0,
         0},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        int d = cases[i].decoded;
        uint8_t *bytes = exact_copy(cases[i].bytes, cases[i].len);
        newmail_sockaddr_t sa;

        snprintf(where, sizeof(where), "sockaddr \"%s\"", cases[i].name);
        CHECK_EQ(newmail_parse_sockaddr(bytes, cases[i].len, &sa), cases[i].problems);
        CHECK_EQ(sa.family, cases[i].family);
        CHECK_EQ(sa.port, cases[i].port);
        CHECK(memcmp(sa.address, cases[i].address, sizeof(sa.address)) == 0);
        CHECK_EQ(sa.flowinfo, cases[i].flowinfo);
        CHECK_EQ(sa.scope_id, cases[i].scope_id);
        CHECK_SPAN(sa.family_span, 0, d == NOTHING ? 0 : 2);
        CHECK_SPAN(sa.port_span, d >= IN ? 2 : 0, d >= IN ? 2 : 0);
        CHECK_SPAN(sa.address_span,
                   d == IN    ? 4
                   : d == IN6 ? 8
                              : 0,
                   d == IN    ? 4
                   : d == IN6 ? 16
                              : 0);
        CHECK_SPAN(sa.flowinfo_span, d == IN6 ? 4 : 0, d == IN6 ? 4 : 0);
        CHECK_SPAN(sa.scope_id_span, d == IN6 ? 24 : 0, d == IN6 ? 4 : 0);
        free(bytes);
    }

    /* Inside a request, the SOCKADDR is decoded where the callback lies, with
     * spans relative to its first byte. */
    for (int be = 0; be <= 1; be++) {
        writer_t w = {.be = be};
        req4_t r = req4_ok(5, sa_in6, 28);
        size_t off[NEWMAIL_F_COUNT];
        newmail_stub_t s;

        snprintf(where, sizeof(where), "AF_INET6 in a request, %s", be ? "BE" : "LE");
        write_req4(&w, &r, off);
        CHECK_EQ(parse(NEWMAIL_REGISTER_REQUEST, &w, &s), 0);
        CHECK_EQ(s.sockaddr.port, 6001); /* byte order of the stub does not matter */
        CHECK_EQ(s.sockaddr.flowinfo, 0x12345678);
        CHECK_EQ(s.sockaddr.scope_id, 0x0a0b0c0d);
        CHECK_SPAN(s.sockaddr.address_span, 8, 16);
        CHECK(s.callback + s.sockaddr.address_span.offset == w.b + off[NEWMAIL_F_CALLBACK] + 8);
    }
    where[0] = 0;
}

/* ---- names and the first missing field ---------------------------------------- */

static void
test_field_names(void)
{
    static const struct {
        newmail_field_t field;
        const char *name;
    } cases[] = {
        {NEWMAIL_F_CONTEXT_HANDLE, "pcxh"},
        {NEWMAIL_F_RPC, "iRpc"},
        {NEWMAIL_F_CONTEXT_COUNT, "rgbContext's count"},
        {NEWMAIL_F_CONTEXT, "rgbContext"},
        {NEWMAIL_F_CONTEXT_LENGTH, "cbContext"},
        {NEWMAIL_F_ADVISE_BITS, "grbitAdviseBits"},
        {NEWMAIL_F_CALLBACK_COUNT, "rgbCallbackAddress's count"},
        {NEWMAIL_F_CALLBACK, "rgbCallbackAddress"},
        {NEWMAIL_F_CALLBACK_LENGTH, "cbCallbackAddress"},
        {NEWMAIL_F_NOTIFICATION_HANDLE, "hNotification"},
        {NEWMAIL_F_RETURN_VALUE, "return value"},
        {NEWMAIL_F_ASYNC_HANDLE, "acxh"},
        {NEWMAIL_F_FLAGS_IN, "ulFlagsIn"},
        {NEWMAIL_F_FLAGS_OUT, "pulFlagsOut"},
        {NEWMAIL_F_RPC_FLAGS, "pulFlags"},
        {NEWMAIL_F_ROP_COUNT, "the ROP buffer's count"},
        {NEWMAIL_F_ROP_OFFSET, "rgbOut's offset"},
        {NEWMAIL_F_ROP_ACTUAL, "rgbOut's actual count"},
        {NEWMAIL_F_ROP, "the ROP buffer"},
        {NEWMAIL_F_ROP_LENGTH, "the ROP buffer's length"},
        {NEWMAIL_F_ROP_MAX_OUT, "pcbOut"},
        {NEWMAIL_F_AUX_COUNT, "the auxiliary buffer's count"},
        {NEWMAIL_F_AUX_OFFSET, "rgbAuxOut's offset"},
        {NEWMAIL_F_AUX_ACTUAL, "rgbAuxOut's actual count"},
        {NEWMAIL_F_AUX, "the auxiliary buffer"},
        {NEWMAIL_F_AUX_LENGTH, "the auxiliary buffer's length"},
        {NEWMAIL_F_AUX_MAX_OUT, "pcbAuxOut"},
        {NEWMAIL_F_TRANS_TIME, "pulTransTime"},
        {NEWMAIL_F_RPC_LENGTH, "Length"},
        {NEWMAIL_F_RPC_MAX_DATA, "Max Data"},
        {NEWMAIL_F_COUNT, "end of stub"},
        {(newmail_field_t)99, "end of stub"},
        {(newmail_field_t)-1, "end of stub"}, /* GCC and clang: enum is unsigned */
    };

    CHECK_EQ(COUNT_OF(cases), NEWMAIL_F_COUNT + 3); /* every field has a row */
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        const char *name = newmail_field_name(cases[i].field);

        snprintf(where, sizeof(where), "field %d", (int)cases[i].field);
        CHECK(name != NULL && strcmp(name, cases[i].name) == 0);
    }
    where[0] = 0;
}

static void
test_first_missing(void)
{
    static const struct {
        newmail_stub_kind_t kind;
        uint32_t fields_read;
        newmail_field_t first_missing;
    } cases[] = {
        {NEWMAIL_REGISTER_REQUEST, 0, NEWMAIL_F_CONTEXT_HANDLE},
        {NEWMAIL_REGISTER_REQUEST, BIT(NEWMAIL_F_CONTEXT_HANDLE), NEWMAIL_F_RPC},
        {NEWMAIL_REGISTER_REQUEST, 0x7f, NEWMAIL_F_CALLBACK},
        {NEWMAIL_REGISTER_REQUEST, 0xff, NEWMAIL_F_CALLBACK_LENGTH},
        {NEWMAIL_REGISTER_REQUEST, 0x1ff, NEWMAIL_F_COUNT},
        /* Not a prefix (the parser never makes one): still the first gap. */
        {NEWMAIL_REGISTER_REQUEST, 0x1ff & ~BIT(NEWMAIL_F_RPC), NEWMAIL_F_RPC},
        /* Other kinds' fields do not count. */
        {NEWMAIL_REGISTER_REQUEST, BIT(NEWMAIL_F_NOTIFICATION_HANDLE), NEWMAIL_F_CONTEXT_HANDLE},
        {NEWMAIL_REGISTER_RESPONSE, BIT(NEWMAIL_F_CONTEXT_HANDLE), NEWMAIL_F_NOTIFICATION_HANDLE},
        {NEWMAIL_REGISTER_RESPONSE,
         BIT(NEWMAIL_F_CONTEXT_HANDLE) | BIT(NEWMAIL_F_NOTIFICATION_HANDLE),
         NEWMAIL_F_RETURN_VALUE},
        {NEWMAIL_REGISTER_RESPONSE, 0x1ff | BIT(NEWMAIL_F_RETURN_VALUE),
         NEWMAIL_F_NOTIFICATION_HANDLE},
        {NEWMAIL_UNREGISTER_REQUEST, BIT(NEWMAIL_F_CONTEXT_HANDLE), NEWMAIL_F_NOTIFICATION_HANDLE},
        {NEWMAIL_UNREGISTER_REQUEST,
         BIT(NEWMAIL_F_CONTEXT_HANDLE) | BIT(NEWMAIL_F_NOTIFICATION_HANDLE), NEWMAIL_F_COUNT},
        {NEWMAIL_UNREGISTER_RESPONSE, BIT(NEWMAIL_F_CONTEXT_HANDLE), NEWMAIL_F_RETURN_VALUE},
        {NEWMAIL_UNREGISTER_RESPONSE, BIT(NEWMAIL_F_RETURN_VALUE), NEWMAIL_F_CONTEXT_HANDLE},
        {NEWMAIL_UNREGISTER_RESPONSE, BIT(NEWMAIL_F_CONTEXT_HANDLE) | BIT(NEWMAIL_F_RETURN_VALUE),
         NEWMAIL_F_COUNT},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        newmail_stub_t s = {.kind = cases[i].kind, .fields_read = cases[i].fields_read};

        snprintf(where, sizeof(where), "%s, fields %#x", stub_layouts[cases[i].kind].name,
                 cases[i].fields_read);
        CHECK_EQ(newmail_stub_first_missing(&s), cases[i].first_missing);
    }
    where[0] = 0;
}

/* ---- the session and AsyncEMSMDB stubs ----------------------------------------- */

static const uint8_t rop_bytes[] = {0x00, 0x00, 0x04, 0x00, 0x03, 0x00, 0x03, 0x00, 0x03, 0x00, 0x2a};
static const uint8_t aux_bytes[] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5};

static void
test_session_stubs(void)
{
    for (int be = 0; be <= 1; be++) {
        writer_t w = {.be = be};
        newmail_stub_t s;

        /* EcDoRpcExt2 request: rgbIn and rgbAuxIn are conformant arrays. */
        snprintf(where, sizeof(where), "opnum 11 request, %s", be ? "BE" : "LE");
        put_bytes(&w, pcxh, sizeof(pcxh));
        put_ndr32(&w, 0x00000003);              /* pulFlags */
        put_ndr32(&w, sizeof(rop_bytes));       /* rgbIn: max_count at 24 */
        put_bytes(&w, rop_bytes, sizeof(rop_bytes)); /* 28..38 */
        put_ndr32(&w, sizeof(rop_bytes));       /* cbIn at 40 */
        put_ndr32(&w, 0x00040000);              /* pcbOut */
        put_ndr32(&w, sizeof(aux_bytes));       /* rgbAuxIn at 48 */
        put_bytes(&w, aux_bytes, sizeof(aux_bytes)); /* 52..56 */
        put_ndr32(&w, sizeof(aux_bytes));       /* cbAuxIn at 60 */
        put_ndr32(&w, 0x00001008);              /* pcbAuxOut at 64 */
        CHECK_EQ(parse(NEWMAIL_RPC_EXT2_REQUEST, &w, &s), 0);
        CHECK_EQ(s.fields_read, layout_mask(NEWMAIL_RPC_EXT2_REQUEST, COUNT_OF(req11_fields)));
        CHECK(memcmp(s.context_handle, PCXH_KEPT(be), sizeof(pcxh)) == 0);
        CHECK_EQ(s.rpc_flags, 3);
        CHECK_SPAN(s.span[NEWMAIL_F_ROP], 28, sizeof(rop_bytes));
        CHECK(s.rop == w.b + 28);
        CHECK_EQ(s.rop_length, sizeof(rop_bytes));
        CHECK_SPAN(s.span[NEWMAIL_F_ROP_LENGTH], 40, 4);
        CHECK_EQ(s.rop_max_out, 0x40000);
        CHECK_SPAN(s.span[NEWMAIL_F_AUX], 52, sizeof(aux_bytes));
        CHECK_SPAN(s.span[NEWMAIL_F_AUX_MAX_OUT], 64, 4);
        CHECK_EQ(s.aux_max_out, 0x1008);

        /* cbIn that disagrees with rgbIn's count is flagged. */
        w.len = 40;
        put_ndr32(&w, 99);
        CHECK_EQ(parse(NEWMAIL_RPC_EXT2_REQUEST, &w, &s),
                 NEWMAIL_PROBLEM_ROP_LENGTH | NEWMAIL_PROBLEM_TRUNCATED);
        CHECK_EQ(newmail_stub_first_missing(&s), NEWMAIL_F_ROP_MAX_OUT);

        /* EcDoRpcExt2 response: rgbOut and rgbAuxOut are conformant varying. */
        snprintf(where, sizeof(where), "opnum 11 response, %s", be ? "BE" : "LE");
        w.len = 0;
        put_bytes(&w, pcxh, sizeof(pcxh));
        put_ndr32(&w, 0);                       /* pulFlags */
        put_ndr32(&w, 0x00040000);              /* rgbOut: max_count */
        put_ndr32(&w, 0);                       /* offset */
        put_ndr32(&w, sizeof(rop_bytes));       /* actual_count at 32 */
        put_bytes(&w, rop_bytes, sizeof(rop_bytes)); /* 36..46 */
        put_ndr32(&w, sizeof(rop_bytes));       /* pcbOut at 48 */
        put_ndr32(&w, 0x1008);                  /* rgbAuxOut: max_count */
        put_ndr32(&w, 0);
        put_ndr32(&w, 0);                       /* nothing */
        put_ndr32(&w, 0);                       /* pcbAuxOut at 64 */
        put_ndr32(&w, 17);                      /* pulTransTime */
        put_ndr32(&w, 0);                       /* return value at 72 */
        CHECK_EQ(parse(NEWMAIL_RPC_EXT2_RESPONSE, &w, &s), 0);
        CHECK_EQ(s.fields_read, layout_mask(NEWMAIL_RPC_EXT2_RESPONSE, COUNT_OF(resp11_fields)));
        CHECK_SPAN(s.span[NEWMAIL_F_ROP], 36, sizeof(rop_bytes));
        CHECK_EQ(s.rop_count, 0x40000);
        CHECK_EQ(s.rop_actual, sizeof(rop_bytes));
        CHECK_SPAN(s.span[NEWMAIL_F_AUX], 64, 0);
        CHECK_EQ(s.trans_time, 17);
        CHECK_SPAN(s.span[NEWMAIL_F_RETURN_VALUE], 72, 4);

        /* An offset other than 0, or more bytes than max_count, is flagged. */
        w.b[be ? 31 : 28] = 1;
        CHECK_EQ(parse(NEWMAIL_RPC_EXT2_RESPONSE, &w, &s), NEWMAIL_PROBLEM_ROP_VARYING);
        w.b[be ? 31 : 28] = 0;

        /* EcDoRpc request (opnum 2): pcxh, Size, Offset, the buffer's
         * length and bytes, Length (uint16), Max Data (uint16). */
        snprintf(where, sizeof(where), "opnum 2 request, %s", be ? "BE" : "LE");
        w.len = 0;
        put_bytes(&w, pcxh, sizeof(pcxh));
        put_ndr32(&w, 0x8000);                  /* Size */
        put_ndr32(&w, 0);                       /* Offset */
        put_ndr32(&w, sizeof(rop_bytes));       /* the buffer's length at 28 */
        put_bytes(&w, rop_bytes, sizeof(rop_bytes)); /* 32..43, padded to 44 */
        put_ndr16(&w, sizeof(rop_bytes));       /* Length at 44 */
        put_ndr16(&w, 0x7FFF);                  /* Max Data at 46 */
        CHECK_EQ(parse(NEWMAIL_RPC_REQUEST, &w, &s), 0);
        CHECK_EQ(s.fields_read, layout_mask(NEWMAIL_RPC_REQUEST, COUNT_OF(req2_fields)));
        CHECK_SPAN(s.span[NEWMAIL_F_ROP], 32, sizeof(rop_bytes));
        CHECK(s.rop == w.b + 32);
        CHECK_SPAN(s.span[NEWMAIL_F_RPC_LENGTH], 44, 2);
        CHECK_EQ(s.rop_length, sizeof(rop_bytes));
        CHECK_SPAN(s.span[NEWMAIL_F_RPC_MAX_DATA], 46, 2);
        CHECK_EQ(s.rop_max_out, 0x7FFF);
        /* Size 0, as stock's test captures and ours write it, is not judged. */
        w.b[be ? 22 : 21] = 0;
        CHECK_EQ(parse(NEWMAIL_RPC_REQUEST, &w, &s), 0);
        /* A Length other than the buffer's is flagged; a cut Max Data named. */
        w.b[be ? 45 : 44] ^= 1;
        w.len = 47;
        CHECK_EQ(parse(NEWMAIL_RPC_REQUEST, &w, &s),
                 NEWMAIL_PROBLEM_ROP_LENGTH | NEWMAIL_PROBLEM_TRUNCATED);
        CHECK_EQ(newmail_stub_first_missing(&s), NEWMAIL_F_RPC_MAX_DATA);

        /* EcDoRpc response: ..., Length, then the return value aligned to 4. */
        snprintf(where, sizeof(where), "opnum 2 response, %s", be ? "BE" : "LE");
        w.len = 0;
        put_bytes(&w, pcxh, sizeof(pcxh));
        put_ndr32(&w, 0x8000);
        put_ndr32(&w, 0);
        put_ndr32(&w, sizeof(rop_bytes));
        put_bytes(&w, rop_bytes, sizeof(rop_bytes));
        put_ndr16(&w, sizeof(rop_bytes));       /* Length at 44 */
        put_ndr32(&w, 0x000004B6);              /* return value at 48, after 2 pad bytes */
        CHECK_EQ(parse(NEWMAIL_RPC_RESPONSE, &w, &s), 0);
        CHECK_EQ(s.fields_read, layout_mask(NEWMAIL_RPC_RESPONSE, COUNT_OF(resp2_fields)));
        CHECK_SPAN(s.span[NEWMAIL_F_RETURN_VALUE], 48, 4);
        CHECK_EQ(s.return_value, 0x000004B6);

        /* EcDoAsyncConnectEx response: pacxh, return value. */
        snprintf(where, sizeof(where), "opnum 14 response, %s", be ? "BE" : "LE");
        w.len = 0;
        put_bytes(&w, pcxh, sizeof(pcxh));
        put_ndr32(&w, 0x80040111);
        CHECK_EQ(parse(NEWMAIL_ASYNC_CONNECT_RESPONSE, &w, &s), 0);
        CHECK(memcmp(s.async_handle, PCXH_KEPT(be), sizeof(pcxh)) == 0);
        CHECK_EQ(s.return_value, 0x80040111);

        /* EcDoAsyncWaitEx: acxh and ulFlagsIn; pulFlagsOut and the return value. */
        snprintf(where, sizeof(where), "EcDoAsyncWaitEx, %s", be ? "BE" : "LE");
        w.len = 0;
        put_bytes(&w, pcxh, sizeof(pcxh));
        put_ndr32(&w, 0);
        CHECK_EQ(parse(NEWMAIL_ASYNC_WAIT_REQUEST, &w, &s), 0);
        CHECK(memcmp(s.async_handle, PCXH_KEPT(be), sizeof(pcxh)) == 0);
        CHECK_SPAN(s.span[NEWMAIL_F_FLAGS_IN], 20, 4);
        w.len = 0;
        put_ndr32(&w, 0x00000001);
        put_ndr32(&w, 0);
        CHECK_EQ(parse(NEWMAIL_ASYNC_WAIT_RESPONSE, &w, &s), 0);
        CHECK_EQ(s.flags_out, 1);
        CHECK_SPAN(s.span[NEWMAIL_F_RETURN_VALUE], 4, 4);
        w.len = 7;
        CHECK_EQ(parse(NEWMAIL_ASYNC_WAIT_RESPONSE, &w, &s), NEWMAIL_PROBLEM_TRUNCATED);
        CHECK_EQ(newmail_stub_first_missing(&s), NEWMAIL_F_RETURN_VALUE);

        /* EcDoConnectEx response: pcxh first, the return value last. */
        snprintf(where, sizeof(where), "connect response, %s", be ? "BE" : "LE");
        w.len = 0;
        put_bytes(&w, pcxh, sizeof(pcxh));
        put_ndr32(&w, 0x0000ea60);              /* pcmsPollsMax ... and the rest */
        put_ndr32(&w, 6);
        put_ndr32(&w, 0x000004b6);              /* the return value, at 28 */
        CHECK_EQ(parse(NEWMAIL_CONNECT_RESPONSE, &w, &s), 0);
        CHECK(memcmp(s.context_handle, PCXH_KEPT(be), sizeof(pcxh)) == 0);
        CHECK_EQ(s.return_value, 0x4b6);
        CHECK_SPAN(s.span[NEWMAIL_F_RETURN_VALUE], 28, 4);
        /* Not a whole number of uint32s, or nothing after pcxh: no return value. */
        w.len = 31;
        CHECK_EQ(parse(NEWMAIL_CONNECT_RESPONSE, &w, &s), 0);
        CHECK(!newmail_stub_has(&s, NEWMAIL_F_RETURN_VALUE));
        w.len = 20;
        CHECK_EQ(parse(NEWMAIL_CONNECT_RESPONSE, &w, &s), 0);
        CHECK(!newmail_stub_has(&s, NEWMAIL_F_RETURN_VALUE));
    }

    /* All-zero handles (failed connects, closed sessions) are recognised. */
    {
        static const uint8_t zero[NEWMAIL_CONTEXT_HANDLE_LEN];
        uint8_t one[NEWMAIL_CONTEXT_HANDLE_LEN] = {0};

        where[0] = 0;
        CHECK(newmail_handle_is_null(zero));
        one[19] = 1;
        CHECK(!newmail_handle_is_null(one));
    }
    where[0] = 0;
}

int
main(void)
{
    test_session_stubs();
    test_register_request_layouts();
    test_small_stubs();
    test_problems();
    test_truncation();
    test_huge_counts();
    test_null_and_empty();
    test_sockaddr();
    test_field_names();
    test_first_missing();

    return checks_report();
}
