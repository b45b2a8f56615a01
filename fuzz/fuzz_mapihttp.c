/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_mapihttp.c: libFuzzer target for newmail-mapihttp-parse.c, the
 * reader of MAPI over HTTP response envelopes and EMSMDB bodies.
 *
 * The first input byte says what the rest is:
 *   bit 0     1: a response body: the envelope (meta-tags, additional
 *             headers, empty line), then the binary body read as each of the
 *             four response kinds; 0: one body of the kind in bits 1-3
 *             (newmail_mh_body_kind_t);
 *   bit 4     also look the bytes up as an X-RequestType value.
 * Beyond the sanitizers it checks what the dissector relies on (spans inside
 * the input and in wire order, values equal to their bytes, strings that end
 * where a terminator is, problem bits that match the values, determinism)
 * and aborts when one breaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newmail-mapihttp-parse.h"

#include "fuzz_invariants.h"

/* The layouts again, written from MS-OXCMAPIHTTP 2.2.4 rather than copied
 * from the reader, so that the fuzzer checks the reader against the spec. */
#define E NEWMAIL_MHF_COUNT
static const newmail_mh_field_t spec_layout[NEWMAIL_MH_BODY_KIND_COUNT][10] = {
    {NEWMAIL_MHF_USER_DN, NEWMAIL_MHF_FLAGS, NEWMAIL_MHF_DEFAULT_CODE_PAGE, NEWMAIL_MHF_LCID_SORT,
     NEWMAIL_MHF_LCID_STRING, NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, E},
    {NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_ERROR_CODE, NEWMAIL_MHF_POLLS_MAX,
     NEWMAIL_MHF_RETRY_COUNT, NEWMAIL_MHF_RETRY_DELAY, NEWMAIL_MHF_DN_PREFIX,
     NEWMAIL_MHF_DISPLAY_NAME, NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, E},
    {NEWMAIL_MHF_FLAGS, NEWMAIL_MHF_ROP_BUFFER_SIZE, NEWMAIL_MHF_ROP_BUFFER,
     NEWMAIL_MHF_MAX_ROP_OUT, NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, E},
    {NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_ERROR_CODE, NEWMAIL_MHF_FLAGS,
     NEWMAIL_MHF_ROP_BUFFER_SIZE, NEWMAIL_MHF_ROP_BUFFER, NEWMAIL_MHF_AUX_BUFFER_SIZE,
     NEWMAIL_MHF_AUX_BUFFER, E},
    {NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, E},
    {NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_ERROR_CODE, NEWMAIL_MHF_AUX_BUFFER_SIZE,
     NEWMAIL_MHF_AUX_BUFFER, E},
    {NEWMAIL_MHF_FLAGS, NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, E},
    {NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_ERROR_CODE, NEWMAIL_MHF_EVENT_PENDING,
     NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, E},
};
static const newmail_mh_field_t spec_failure[] = {
    NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, E};
#undef E

static void
check_body(newmail_mh_body_kind_t kind, const uint8_t *b, size_t size)
{
    newmail_mh_body_t body, again;
    unsigned problems = newmail_mh_parse_body(kind, b, size, &body);
    const newmail_mh_field_t *layout;
    size_t end = 0, i;
    uint32_t mask = 0;

    REQUIRE(problems == body.problems && body.kind == kind);
    REQUIRE((problems & ~0x7Fu) == 0);
    REQUIRE(newmail_mh_parse_body(kind, b, size, &again) == problems);
    REQUIRE(memcmp(&body, &again, sizeof(body)) == 0);
    if ((unsigned)kind >= NEWMAIL_MH_BODY_KIND_COUNT) {
        REQUIRE(body.fields_read == 0 && problems != 0);
        return;
    }
    REQUIRE(((problems & NEWMAIL_MH_BODY_EMPTY) != 0) == (size == 0));
    if (size == 0) {
        /* An empty Execute request is allowed (MS-OXCMAPIHTTP 2.2.4.4.2). */
        REQUIRE(body.fields_read == 0);
        REQUIRE(problems ==
                (NEWMAIL_MH_BODY_EMPTY |
                 (kind == NEWMAIL_MH_EXECUTE_REQUEST ? 0u : (unsigned)NEWMAIL_MH_BODY_TRUNCATED)));
        return;
    }
    layout = body.failure ? spec_failure : spec_layout[kind];
    if (body.failure)
        REQUIRE(layout[0] == spec_layout[kind][0] && body.value[NEWMAIL_MHF_STATUS_CODE] != 0);

    /* The fields read are a prefix of the layout, back to back from 0. */
    for (i = 0; layout[i] != NEWMAIL_MHF_COUNT && newmail_mh_body_has(&body, layout[i]); i++) {
        newmail_mh_field_t f = layout[i];
        newmail_span_t sp = body.span[f];

        REQUIRE(sp.offset == end && span_inside(sp, size));
        end = sp.offset + sp.length;
        mask |= 1u << f;
        switch (f) {
        case NEWMAIL_MHF_USER_DN:
        case NEWMAIL_MHF_DN_PREFIX:
            REQUIRE(memchr(b + sp.offset, 0, sp.length) == NULL);
            REQUIRE(end < size && b[end] == 0);
            end += 1;
            break;
        case NEWMAIL_MHF_DISPLAY_NAME:
            REQUIRE(sp.length % 2 == 0 && body.display_name_chars * 2 == sp.length);
            for (size_t k = 0; k < sp.length; k += 2)
                REQUIRE(b[sp.offset + k] || b[sp.offset + k + 1]);
            REQUIRE(end + 1 < size && b[end] == 0 && b[end + 1] == 0);
            end += 2;
            break;
        case NEWMAIL_MHF_ROP_BUFFER:
            REQUIRE(sp.length == body.value[NEWMAIL_MHF_ROP_BUFFER_SIZE]);
            break;
        case NEWMAIL_MHF_AUX_BUFFER:
            REQUIRE(sp.length == body.value[NEWMAIL_MHF_AUX_BUFFER_SIZE]);
            break;
        default:
            REQUIRE(sp.length == 4 && body.value[f] == le32(b + sp.offset));
            break;
        }
    }
    REQUIRE(body.fields_read == mask);
    if (layout[i] != NEWMAIL_MHF_COUNT) {
        /* Stopped: a problem says why, and it is true. */
        newmail_mh_field_t f = layout[i];

        REQUIRE(problems & (NEWMAIL_MH_BODY_TRUNCATED | NEWMAIL_MH_BODY_UNTERMINATED |
                            NEWMAIL_MH_BODY_SIZE_PAST_END));
        if (f == NEWMAIL_MHF_ROP_BUFFER)
            REQUIRE(body.value[NEWMAIL_MHF_ROP_BUFFER_SIZE] > size - end);
        else if (f == NEWMAIL_MHF_AUX_BUFFER)
            REQUIRE(body.value[NEWMAIL_MHF_AUX_BUFFER_SIZE] > size - end);
        else if (f != NEWMAIL_MHF_USER_DN && f != NEWMAIL_MHF_DN_PREFIX &&
                 f != NEWMAIL_MHF_DISPLAY_NAME)
            REQUIRE(size - end < 4);
        REQUIRE(!(problems & NEWMAIL_MH_BODY_TRAILING));
    } else {
        REQUIRE(((problems & NEWMAIL_MH_BODY_TRAILING) != 0) == (end < size));
        if (end < size)
            REQUIRE(body.trailing.offset == end && body.trailing.length == size - end);
    }
    REQUIRE(((problems & NEWMAIL_MH_BODY_EVENT_PENDING) != 0) ==
            (newmail_mh_body_has(&body, NEWMAIL_MHF_EVENT_PENDING) &&
             body.value[NEWMAIL_MHF_EVENT_PENDING] > 1));
}

static void
check_envelope(const uint8_t *b, size_t size)
{
    newmail_mh_envelope_t env;
    static newmail_mh_envelope_t again;
    unsigned problems = newmail_mh_parse_envelope(b, size, &env);
    size_t kept;

    REQUIRE(problems == env.problems && (problems & ~0x7Fu) == 0);
    REQUIRE(newmail_mh_parse_envelope(b, size, &again) == problems);
    REQUIRE(memcmp(&env, &again, sizeof(env)) == 0);

    kept = env.meta_count < NEWMAIL_MH_MAX_META ? env.meta_count : NEWMAIL_MH_MAX_META;
    for (size_t i = 0; i < kept; i++) {
        static const char *const text[] = {"PROCESSING", "PENDING", "DONE"};
        newmail_span_t sp = env.meta[i].span;

        REQUIRE(span_inside(sp, size) && (unsigned)env.meta[i].tag < 3);
        REQUIRE(sp.length == strlen(text[env.meta[i].tag]));
        REQUIRE(memcmp(b + sp.offset, text[env.meta[i].tag], sp.length) == 0);
        REQUIRE(i == 0 || sp.offset > env.meta[i - 1].span.offset);
        /* Only the last one may be DONE. */
        REQUIRE((env.meta[i].tag == NEWMAIL_MH_META_DONE) == (env.done && i + 1 == env.meta_count));
    }
    REQUIRE(env.pending_count <= env.meta_count);
    kept = env.header_count < NEWMAIL_MH_MAX_HEADERS ? env.header_count : NEWMAIL_MH_MAX_HEADERS;
    for (size_t i = 0; i < kept; i++) {
        const newmail_mh_header_t *h = &env.header[i];

        REQUIRE(env.done);
        REQUIRE(span_inside(h->line, size) && span_inside(h->name, size) &&
                span_inside(h->value, size));
        REQUIRE(h->name.offset == h->line.offset);
        REQUIRE(h->value.offset + h->value.length <= h->line.offset + h->line.length);
        REQUIRE(memchr(b + h->line.offset, '\n', h->line.length) == NULL);
    }
    REQUIRE(((problems & NEWMAIL_MH_ENV_TOO_MANY) != 0) ==
            (env.meta_count > NEWMAIL_MH_MAX_META || env.header_count > NEWMAIL_MH_MAX_HEADERS));
    REQUIRE(env.has_body == (env.done && !(problems & NEWMAIL_MH_ENV_UNTERMINATED)));
    REQUIRE(!(problems & NEWMAIL_MH_ENV_NO_DONE) == env.done);
    if (env.has_body) {
        REQUIRE(span_inside(env.body, size) && env.body.offset + env.body.length == size);
        REQUIRE(env.blank.offset + env.blank.length == env.body.offset);
        REQUIRE(b[env.body.offset - 1] == '\n');
        if (env.response_code_header >= 0)
            REQUIRE(env.has_response_code);
        /* The dissector then reads the body as the request type says. */
        check_body(NEWMAIL_MH_CONNECT_RESPONSE, b + env.body.offset, env.body.length);
        check_body(NEWMAIL_MH_EXECUTE_RESPONSE, b + env.body.offset, env.body.length);
        check_body(NEWMAIL_MH_DISCONNECT_RESPONSE, b + env.body.offset, env.body.length);
        check_body(NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE, b + env.body.offset, env.body.length);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A body read as the failure layout (a non-zero X-ResponseCode): the fields
 * read are a prefix of StatusCode, AuxiliaryBufferSize, AuxiliaryBuffer. */
static void
check_failure_body(newmail_mh_body_kind_t kind, const uint8_t *b, size_t size)
{
    newmail_mh_body_t body;
    unsigned problems = newmail_mh_parse_failure_body(kind, b, size, &body);
    size_t end = 0, i;
    uint32_t mask = 0;

    REQUIRE(problems == body.problems && body.failure);
    REQUIRE((problems & ~0xFFu) == 0);
    if ((unsigned)kind >= NEWMAIL_MH_BODY_KIND_COUNT || size == 0) {
        REQUIRE(body.fields_read == 0);
        if (size == 0 && (unsigned)kind < NEWMAIL_MH_BODY_KIND_COUNT)
            REQUIRE(problems == NEWMAIL_MH_BODY_EMPTY);
        return;
    }
    for (i = 0; spec_failure[i] != NEWMAIL_MHF_COUNT && newmail_mh_body_has(&body, spec_failure[i]);
         i++) {
        newmail_span_t sp = body.span[spec_failure[i]];

        REQUIRE(sp.offset == end && span_inside(sp, size));
        end = sp.offset + sp.length;
        mask |= 1u << spec_failure[i];
    }
    REQUIRE(body.fields_read == mask);
    REQUIRE(((problems & NEWMAIL_MH_BODY_STATUS_ZERO) != 0) ==
            (newmail_mh_body_has(&body, NEWMAIL_MHF_STATUS_CODE) &&
             body.value[NEWMAIL_MHF_STATUS_CODE] == 0));
    REQUIRE(!newmail_mh_body_has(&body, NEWMAIL_MHF_ERROR_CODE) &&
            !newmail_mh_body_has(&body, NEWMAIL_MHF_EVENT_PENDING));
    REQUIRE(((problems & NEWMAIL_MH_BODY_TRAILING) != 0) ==
            (spec_failure[i] == NEWMAIL_MHF_COUNT && end < size));
}

/* Header values: what the readers accept reads back the same once written
 * in the canonical form. */
static void
check_header_values(const uint8_t *b, size_t size)
{
    newmail_mh_request_id_t id, again;
    uint32_t code, code_again;
    char text[64];
    const uint8_t *g = id.guid;

    if (newmail_mh_parse_request_id((const char *)b, size, &id)) {
        int n =
            snprintf(text, sizeof(text),
                     "{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x}:%llu",
                     g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11],
                     g[12], g[13], g[14], g[15], (unsigned long long)id.counter);

        REQUIRE(n > 0 && (size_t)n < sizeof(text));
        REQUIRE(newmail_mh_parse_request_id(text, (size_t)n, &again));
        REQUIRE(memcmp(&id, &again, sizeof(id)) == 0);
        REQUIRE(memchr(b, ':', size) != NULL);
    }
    if (newmail_mh_parse_response_code((const char *)b, size, &code)) {
        int n = snprintf(text, sizeof(text), "%u", (unsigned)code);

        REQUIRE(newmail_mh_parse_response_code(text, (size_t)n, &code_again) && code == code_again);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;

    if (size == 0)
        return 0;
    /* A heap copy of exactly the input, so that ASan sees any overread. */
    copy = malloc(size - 1 ? size - 1 : 1);
    REQUIRE(copy != NULL);
    memcpy(copy, data + 1, size - 1);
    if (data[0] & 1)
        check_envelope(copy, size - 1);
    else
        check_body((newmail_mh_body_kind_t)((data[0] >> 1) & 7), copy, size - 1);
    if (data[0] & 0x20) {
        check_failure_body((newmail_mh_body_kind_t)((data[0] >> 1) & 7), copy, size - 1);
        check_header_values(copy, size - 1);
    }
    if (data[0] & 0x10) {
        newmail_mh_request_type_t t = newmail_mh_request_type((const char *)copy, size - 1);
        const char *name = newmail_mh_request_type_name(t);

        REQUIRE(name != NULL);
        REQUIRE(t == NEWMAIL_MH_RT_UNKNOWN || newmail_mh_request_type(name, strlen(name)) == t);
        REQUIRE(newmail_mh_request_type_endpoint(t) != NEWMAIL_MH_ENDPOINT_NONE ||
                t == NEWMAIL_MH_RT_UNKNOWN);
    }
    free(copy);
    return 0;
}
