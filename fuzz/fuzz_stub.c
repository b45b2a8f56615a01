/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_stub.c: libFuzzer target for newmail-parse.c, the reader the dissector
 * uses for the EMSMDB and AsyncEMSMDB stubs and the registration's SOCKADDR.
 *
 * The first input byte says what the rest is: bits 0-1 and 4-5 the stub kind
 * (newmail_stub_kind_t: bits 4-5 are its high bits, so seeds written before
 * there were more than four kinds keep their meaning; values past the last
 * kind wrap), bit 2 big-endian, bit 3 a bare SOCKADDR for
 * newmail_parse_sockaddr() instead of a stub. Beyond the sanitizers, it checks
 * what the dissector relies on (spans inside the input, NDR alignment, problem
 * bits that match the values, determinism) and aborts when one breaks.
 */
#include <stdlib.h>
#include <string.h>

#include "newmail-parse.h"

#include "fuzz_invariants.h"
#include "stub_layouts.h" /* test/: the layouts from MS-OXCRPC */

#define SELECT_BIG_ENDIAN 0x04
#define SELECT_SOCKADDR 0x08

static size_t
field_align(newmail_field_t f)
{
    switch (f) {
    case NEWMAIL_F_CONTEXT:
    case NEWMAIL_F_CALLBACK:
    case NEWMAIL_F_ROP:
    case NEWMAIL_F_AUX:
        return 1;
    case NEWMAIL_F_CONTEXT_LENGTH:
    case NEWMAIL_F_CALLBACK_LENGTH:
    case NEWMAIL_F_RPC_LENGTH:
    case NEWMAIL_F_RPC_MAX_DATA:
        return 2;
    default:
        return 4;
    }
}

/* The size the field must have; arrays take theirs from the count before them. */
static size_t
field_size(const newmail_stub_t *s, newmail_field_t f)
{
    bool varying = s->kind == NEWMAIL_RPC_EXT2_RESPONSE || s->kind == NEWMAIL_RPC_REQUEST ||
                   s->kind == NEWMAIL_RPC_RESPONSE;

    switch (f) {
    case NEWMAIL_F_CONTEXT_HANDLE:
    case NEWMAIL_F_ASYNC_HANDLE:
        return NEWMAIL_CONTEXT_HANDLE_LEN;
    case NEWMAIL_F_ROP:
        return varying ? s->rop_actual : s->rop_count;
    case NEWMAIL_F_AUX:
        return varying ? s->aux_actual : s->aux_count;
    case NEWMAIL_F_CONTEXT:
        return s->context_count;
    case NEWMAIL_F_CALLBACK:
        return s->callback_count;
    case NEWMAIL_F_CONTEXT_LENGTH:
    case NEWMAIL_F_CALLBACK_LENGTH:
    case NEWMAIL_F_RPC_LENGTH:
    case NEWMAIL_F_RPC_MAX_DATA:
        return 2;
    default:
        return 4;
    }
}

static void
check_sockaddr(const uint8_t *b, size_t size, const newmail_sockaddr_t *sa, unsigned problems)
{
    const newmail_sockaddr_t zero = {0};
    newmail_sockaddr_t again;
    size_t need;

    REQUIRE(newmail_parse_sockaddr(b, size, &again) == problems);
    REQUIRE(memcmp(sa, &again, sizeof(again)) == 0);
    if (size < 2) {
        REQUIRE(problems == NEWMAIL_PROBLEM_SOCKADDR_SHORT);
        REQUIRE(memcmp(sa, &zero, sizeof(zero)) == 0);
        return;
    }
    REQUIRE(sa->family == (b[0] | b[1] << 8));
    need = sa->family == NEWMAIL_AF_INET    ? NEWMAIL_SOCKADDR_IN_LEN
           : sa->family == NEWMAIL_AF_INET6 ? NEWMAIL_SOCKADDR_IN6_LEN
                                            : 0;
    if (need == 0 || size < need) {
        /* Malformed: the port must not be guessed. */
        REQUIRE(problems == (need == 0 ? NEWMAIL_PROBLEM_FAMILY : NEWMAIL_PROBLEM_SOCKADDR_SHORT));
        REQUIRE(sa->port == 0 && sa->port_span.length == 0 && sa->address_span.length == 0);
        return;
    }
    REQUIRE(problems == (sa->port == 0 ? NEWMAIL_PROBLEM_PORT_ZERO : 0u));
    REQUIRE(sa->port == (b[2] << 8 | b[3]));
    REQUIRE(span_inside(sa->family_span, size) && span_inside(sa->port_span, size));
    REQUIRE(span_inside(sa->address_span, size) && span_inside(sa->flowinfo_span, size));
    REQUIRE(span_inside(sa->scope_id_span, size));
    REQUIRE(sa->address_span.length == (need == NEWMAIL_SOCKADDR_IN_LEN ? 4u : 16u));
    REQUIRE(memcmp(sa->address, b + sa->address_span.offset, sa->address_span.length) == 0);
}

static void
fuzz_sockaddr(const uint8_t *b, size_t size)
{
    newmail_sockaddr_t sa;
    unsigned problems = newmail_parse_sockaddr(b, size, &sa);

    REQUIRE(problems == 0 || problems == NEWMAIL_PROBLEM_FAMILY ||
            problems == NEWMAIL_PROBLEM_SOCKADDR_SHORT || problems == NEWMAIL_PROBLEM_PORT_ZERO);
    check_sockaddr(b, size, &sa, problems);
}

/* Everything about one parse of b[0, size). */
static void
check_stub(newmail_stub_kind_t kind, bool big_endian, const uint8_t *b, size_t size,
           const newmail_stub_t *s, unsigned ret)
{
    uint8_t handle[NEWMAIL_CONTEXT_HANDLE_LEN];
    bool trailing_return = false;
    const newmail_field_t *fields = stub_layouts[kind].fields;
    size_t count = stub_layouts[kind].count, end = 0, i;
    uint32_t mask = 0;
    unsigned sockaddr_problems =
        s->problems &
        (NEWMAIL_PROBLEM_FAMILY | NEWMAIL_PROBLEM_SOCKADDR_SHORT | NEWMAIL_PROBLEM_PORT_ZERO);

    REQUIRE(ret == s->problems && s->kind == kind);
    REQUIRE((s->problems & ~0x1FFu) == 0);

    /* An EcDoConnect(Ex) response's return value is its last four bytes,
     * read when the stub is a whole number of them after the pcxh. */
    if (kind == NEWMAIL_CONNECT_RESPONSE) {
        trailing_return = newmail_stub_has(s, NEWMAIL_F_CONTEXT_HANDLE) &&
                          size >= NEWMAIL_CONTEXT_HANDLE_LEN + 4 && size % 4 == 0;
        REQUIRE(newmail_stub_has(s, NEWMAIL_F_RETURN_VALUE) == trailing_return);
        if (trailing_return) {
            REQUIRE(s->span[NEWMAIL_F_RETURN_VALUE].offset == size - 4);
            REQUIRE(s->span[NEWMAIL_F_RETURN_VALUE].length == 4);
        }
    }

    /* The fields read are a prefix of the layout, each at the next aligned
     * offset after the one before, with its own size, inside the input. */
    for (i = 0; i < count && newmail_stub_has(s, fields[i]); i++) {
        newmail_field_t f = fields[i];
        size_t align = field_align(f), at = (end + align - 1) / align * align;

        REQUIRE(s->span[f].offset == at && s->span[f].length == field_size(s, f));
        REQUIRE(span_inside(s->span[f], size));
        end = at + s->span[f].length;
        mask |= 1u << f;
    }
    if (trailing_return)
        mask |= 1u << NEWMAIL_F_RETURN_VALUE;
    REQUIRE(s->fields_read == mask);
    REQUIRE(newmail_stub_first_missing(s) == (i < count ? fields[i] : NEWMAIL_F_COUNT));
    REQUIRE(newmail_field_name(newmail_stub_first_missing(s)) != NULL);
    REQUIRE(((s->problems & NEWMAIL_PROBLEM_TRUNCATED) != 0) == (i < count));
    if (i < count) {
        /* A truncation is real: the missing field does not fit. */
        size_t align = field_align(fields[i]), at = (end + align - 1) / align * align;
        REQUIRE(at > size || field_size(s, fields[i]) > size - at);
    }
    for (i = 0; i < NEWMAIL_F_COUNT; i++) {
        if (!(mask & 1u << i))
            REQUIRE(s->span[i].offset == 0 && s->span[i].length == 0);
    }

    REQUIRE(
        s->context ==
        (newmail_stub_has(s, NEWMAIL_F_CONTEXT) ? b + s->span[NEWMAIL_F_CONTEXT].offset : NULL));
    REQUIRE(
        s->callback ==
        (newmail_stub_has(s, NEWMAIL_F_CALLBACK) ? b + s->span[NEWMAIL_F_CALLBACK].offset : NULL));
    REQUIRE(s->rop == (newmail_stub_has(s, NEWMAIL_F_ROP) ? b + s->span[NEWMAIL_F_ROP].offset
                                                          : NULL));
    /* Handles are kept in one byte order: the same bytes whatever the
     * stub's when little-endian, Data1-3 and the attributes swapped when not. */
    if (newmail_stub_has(s, NEWMAIL_F_CONTEXT_HANDLE)) {
        newmail_canonical_handle(b + s->span[NEWMAIL_F_CONTEXT_HANDLE].offset, big_endian, handle);
        REQUIRE(memcmp(s->context_handle, handle, sizeof(handle)) == 0);
        REQUIRE(big_endian || memcmp(handle, b, sizeof(handle)) == 0);
        REQUIRE(!big_endian || (handle[0] == b[3] && handle[4] == b[7] && handle[8] == b[9] &&
                                handle[10] == b[11] && handle[12] == b[12]));
    }
    if (newmail_stub_has(s, NEWMAIL_F_ASYNC_HANDLE)) {
        newmail_canonical_handle(b + s->span[NEWMAIL_F_ASYNC_HANDLE].offset, big_endian, handle);
        REQUIRE(memcmp(s->async_handle, handle, sizeof(handle)) == 0);
    }

    /* Each problem bit says exactly what the values say. */
    REQUIRE(
        ((s->problems & NEWMAIL_PROBLEM_CONTEXT_LENGTH) != 0) ==
        (newmail_stub_has(s, NEWMAIL_F_CONTEXT_LENGTH) && s->context_length != s->context_count));
    REQUIRE(
        ((s->problems & NEWMAIL_PROBLEM_ADVISE_BITS) != 0) ==
        (newmail_stub_has(s, NEWMAIL_F_ADVISE_BITS) && s->advise_bits != NEWMAIL_ADVISE_BITS_ALL));
    REQUIRE(((s->problems & NEWMAIL_PROBLEM_CALLBACK_LENGTH) != 0) ==
            (newmail_stub_has(s, NEWMAIL_F_CALLBACK_LENGTH) &&
             s->callback_length != s->callback_count));
    if (newmail_stub_has(s, NEWMAIL_F_CALLBACK))
        check_sockaddr(s->callback, s->callback_count, &s->sockaddr, sockaddr_problems);
    else
        REQUIRE(sockaddr_problems == 0 && s->sockaddr.family == 0 && s->sockaddr.port == 0);
    REQUIRE(((s->problems & NEWMAIL_PROBLEM_ROP_LENGTH) != 0) ==
            ((newmail_stub_has(s, NEWMAIL_F_ROP_LENGTH) ||
              newmail_stub_has(s, NEWMAIL_F_RPC_LENGTH)) &&
             s->rop_length != field_size(s, NEWMAIL_F_ROP)));
    /* EcDoRpc's Size and Offset are read, not judged (newmail-parse.c). */
    REQUIRE(((s->problems & NEWMAIL_PROBLEM_ROP_VARYING) != 0) ==
            (kind == NEWMAIL_RPC_EXT2_RESPONSE && newmail_stub_has(s, NEWMAIL_F_ROP_ACTUAL) &&
             (s->rop_offset != 0 || s->rop_actual > s->rop_count)));
    if (kind != NEWMAIL_REGISTER_REQUEST)
        REQUIRE((s->problems & ~(unsigned)(NEWMAIL_PROBLEM_TRUNCATED | NEWMAIL_PROBLEM_ROP_LENGTH |
                                           NEWMAIL_PROBLEM_ROP_VARYING)) == 0);

    if (newmail_stub_is_valid_registration(s)) {
        const newmail_sockaddr_t *sa = &s->sockaddr;

        REQUIRE(newmail_stub_first_missing(s) == NEWMAIL_F_COUNT);
        REQUIRE(sa->port != 0);
        REQUIRE(sa->family == NEWMAIL_AF_INET || sa->family == NEWMAIL_AF_INET6);
        REQUIRE(s->callback_count >= (sa->family == NEWMAIL_AF_INET ? NEWMAIL_SOCKADDR_IN_LEN
                                                                    : NEWMAIL_SOCKADDR_IN6_LEN));
        REQUIRE(s->context_length == s->context_count);
        REQUIRE(s->callback_length == s->callback_count);
    }
    if (s->problems == 0)
        REQUIRE(newmail_stub_first_missing(s) == NEWMAIL_F_COUNT);
}

static void
fuzz_stub(newmail_stub_kind_t kind, bool big_endian, const uint8_t *b, size_t size)
{
    newmail_stub_t first, second, shorter;
    uint8_t *copy;
    unsigned ret = newmail_parse_stub(kind, b, size, big_endian, &first);

    check_stub(kind, big_endian, b, size, &first, ret);

    /* The same bytes at another address parse the same, pointers aside. */
    copy = malloc(size ? size : 1);
    REQUIRE(copy != NULL);
    memcpy(copy, b, size);
    REQUIRE(newmail_parse_stub(kind, copy, size, big_endian, &second) == ret);
    REQUIRE(first.context == NULL || second.context - copy == first.context - b);
    REQUIRE(first.callback == NULL || second.callback - copy == first.callback - b);
    REQUIRE(first.rop == NULL || second.rop - copy == first.rop - b);
    first.context = second.context = NULL;
    first.callback = second.callback = NULL;
    first.rop = second.rop = NULL;
    REQUIRE(memcmp(&first, &second, sizeof(first)) == 0);
    free(copy);

    /* One byte less never reads more, nor reads anything differently; but
     * for the return value an EcDoConnect(Ex) response carries last, which
     * moves with the end of the stub. */
    if (size > 0) {
        uint32_t moves = kind == NEWMAIL_CONNECT_RESPONSE ? 1u << NEWMAIL_F_RETURN_VALUE : 0;

        newmail_parse_stub(kind, b, size - 1, big_endian, &shorter);
        REQUIRE((shorter.fields_read & ~first.fields_read & ~moves) == 0);
        for (int f = 0; f < NEWMAIL_F_COUNT; f++) {
            if (newmail_stub_has(&shorter, (newmail_field_t)f) && !(moves & 1u << f))
                REQUIRE(memcmp(&shorter.span[f], &first.span[f], sizeof(first.span[f])) == 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & SELECT_SOCKADDR)
        fuzz_sockaddr(data + 1, size - 1);
    else
        fuzz_stub((newmail_stub_kind_t)(((data[0] & 3) | (data[0] >> 4 & 3) << 2) %
                                        NEWMAIL_STUB_KIND_COUNT),
                  (data[0] & SELECT_BIG_ENDIAN) != 0, data + 1, size - 1);
    return 0;
}
