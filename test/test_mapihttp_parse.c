/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_mapihttp_parse.c: unit tests for newmail-mapihttp-parse.c, the
 * Wireshark-independent reader of MAPI over HTTP bodies (MS-OXCMAPIHTTP):
 * the X-RequestType and X-ResponseCode tables (2.2.3.3.1, 2.2.3.3.3), the
 * X-RequestId and X-ResponseCode header values (2.2.3.3.2, 2.2.3.3.3), the
 * response envelope of meta-tags and additional headers (2.2.2.2, 2.2.7,
 * 3.2.5.2) and the EMSMDB request/response bodies (2.2.4.1 to 2.2.4.4).
 *
 * MS-OXCMAPIHTTP's examples (section 4) show the envelope's shape with
 * placeholders, not bytes; the envelope cases follow that shape, and the
 * bodies are built here field by field from 2.2.4, never by the reader.
 * Truncated inputs live in heap buffers of exactly the cut length, so under
 * ASan any read past the cut fails. main() ends with "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newmail-mapihttp-parse.h"

#include "checks.h"
#include "writer.h"

/* The text of a span, for comparisons. */
static bool
span_is(const uint8_t *buf, newmail_span_t sp, const char *text)
{
    return sp.length == strlen(text) && memcmp(buf + sp.offset, text, sp.length) == 0;
}

/* ---- names -------------------------------------------------------------------------- */

static void
test_request_types(void)
{
    static const struct {
        const char *value;
        newmail_mh_request_type_t type;
        newmail_mh_endpoint_t endpoint;
    } cases[] = {
        {"Connect", NEWMAIL_MH_RT_CONNECT, NEWMAIL_MH_ENDPOINT_EMSMDB},
        {"Execute", NEWMAIL_MH_RT_EXECUTE, NEWMAIL_MH_ENDPOINT_EMSMDB},
        {"Disconnect", NEWMAIL_MH_RT_DISCONNECT, NEWMAIL_MH_ENDPOINT_EMSMDB},
        {"NotificationWait", NEWMAIL_MH_RT_NOTIFICATION_WAIT, NEWMAIL_MH_ENDPOINT_EMSMDB},
        {"PING", NEWMAIL_MH_RT_PING, NEWMAIL_MH_ENDPOINT_BOTH},
        {"Bind", NEWMAIL_MH_RT_BIND, NEWMAIL_MH_ENDPOINT_NSPI},
        {"Unbind", NEWMAIL_MH_RT_UNBIND, NEWMAIL_MH_ENDPOINT_NSPI},
        {"CompareMIds", NEWMAIL_MH_RT_COMPARE_MIDS, NEWMAIL_MH_ENDPOINT_NSPI},
        {"DNToMId", NEWMAIL_MH_RT_DN_TO_MID, NEWMAIL_MH_ENDPOINT_NSPI},
        {"GetMatches", NEWMAIL_MH_RT_GET_MATCHES, NEWMAIL_MH_ENDPOINT_NSPI},
        {"GetPropList", NEWMAIL_MH_RT_GET_PROP_LIST, NEWMAIL_MH_ENDPOINT_NSPI},
        {"GetProps", NEWMAIL_MH_RT_GET_PROPS, NEWMAIL_MH_ENDPOINT_NSPI},
        {"GetSpecialTable", NEWMAIL_MH_RT_GET_SPECIAL_TABLE, NEWMAIL_MH_ENDPOINT_NSPI},
        {"GetTemplateInfo", NEWMAIL_MH_RT_GET_TEMPLATE_INFO, NEWMAIL_MH_ENDPOINT_NSPI},
        {"ModLinkAtt", NEWMAIL_MH_RT_MOD_LINK_ATT, NEWMAIL_MH_ENDPOINT_NSPI},
        {"ModProps", NEWMAIL_MH_RT_MOD_PROPS, NEWMAIL_MH_ENDPOINT_NSPI},
        {"QueryColumns", NEWMAIL_MH_RT_QUERY_COLUMNS, NEWMAIL_MH_ENDPOINT_NSPI},
        {"QueryRows", NEWMAIL_MH_RT_QUERY_ROWS, NEWMAIL_MH_ENDPOINT_NSPI},
        {"ResolveNames", NEWMAIL_MH_RT_RESOLVE_NAMES, NEWMAIL_MH_ENDPOINT_NSPI},
        {"ResortRestriction", NEWMAIL_MH_RT_RESORT_RESTRICTION, NEWMAIL_MH_ENDPOINT_NSPI},
        {"SeekEntries", NEWMAIL_MH_RT_SEEK_ENTRIES, NEWMAIL_MH_ENDPOINT_NSPI},
        {"UpdateStat", NEWMAIL_MH_RT_UPDATE_STAT, NEWMAIL_MH_ENDPOINT_NSPI},
        {"GetMailboxUrl", NEWMAIL_MH_RT_GET_MAILBOX_URL, NEWMAIL_MH_ENDPOINT_NSPI},
        {"GetAddressBookUrl", NEWMAIL_MH_RT_GET_ADDRESS_BOOK_URL, NEWMAIL_MH_ENDPOINT_NSPI},
        /* Header values: case and surrounding blanks do not matter. */
        {"notificationwait", NEWMAIL_MH_RT_NOTIFICATION_WAIT, NEWMAIL_MH_ENDPOINT_EMSMDB},
        {" Execute\t", NEWMAIL_MH_RT_EXECUTE, NEWMAIL_MH_ENDPOINT_EMSMDB},
        {"ping", NEWMAIL_MH_RT_PING, NEWMAIL_MH_ENDPOINT_BOTH},
        /* Not a request type: the RPC method names are not header values. */
        {"CompareMinIds", NEWMAIL_MH_RT_UNKNOWN, NEWMAIL_MH_ENDPOINT_NONE},
        {"DnToMinId", NEWMAIL_MH_RT_UNKNOWN, NEWMAIL_MH_ENDPOINT_NONE},
        {"Executes", NEWMAIL_MH_RT_UNKNOWN, NEWMAIL_MH_ENDPOINT_NONE},
        {"Exec ute", NEWMAIL_MH_RT_UNKNOWN, NEWMAIL_MH_ENDPOINT_NONE},
        {"", NEWMAIL_MH_RT_UNKNOWN, NEWMAIL_MH_ENDPOINT_NONE},
        {"  ", NEWMAIL_MH_RT_UNKNOWN, NEWMAIL_MH_ENDPOINT_NONE},
    };
    newmail_mh_body_kind_t kind;

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        newmail_mh_request_type_t t;

        WHERE("X-RequestType \"%s\"", cases[i].value);
        t = newmail_mh_request_type(cases[i].value, strlen(cases[i].value));
        CHECK_EQ(t, cases[i].type);
        CHECK_EQ(newmail_mh_request_type_endpoint(t), cases[i].endpoint);
        if (i < 24)
            CHECK(strcmp(newmail_mh_request_type_name(t), cases[i].value) == 0);
    }
    /* A value is not read past its length. */
    WHERE("prefix of a longer string");
    CHECK_EQ(newmail_mh_request_type("Executefoo", 7), NEWMAIL_MH_RT_EXECUTE);
    CHECK_EQ(newmail_mh_request_type(NULL, 5), NEWMAIL_MH_RT_UNKNOWN);
    CHECK(strcmp(newmail_mh_request_type_name(NEWMAIL_MH_RT_UNKNOWN), "") == 0);
    CHECK(strcmp(newmail_mh_request_type_name(NEWMAIL_MH_RT_COUNT), "") == 0);

    WHERE("body kinds");
    CHECK(newmail_mh_body_kind(NEWMAIL_MH_RT_CONNECT, false, &kind));
    CHECK_EQ(kind, NEWMAIL_MH_CONNECT_REQUEST);
    CHECK(newmail_mh_body_kind(NEWMAIL_MH_RT_CONNECT, true, &kind));
    CHECK_EQ(kind, NEWMAIL_MH_CONNECT_RESPONSE);
    CHECK(newmail_mh_body_kind(NEWMAIL_MH_RT_EXECUTE, true, &kind));
    CHECK_EQ(kind, NEWMAIL_MH_EXECUTE_RESPONSE);
    CHECK(newmail_mh_body_kind(NEWMAIL_MH_RT_DISCONNECT, false, &kind));
    CHECK_EQ(kind, NEWMAIL_MH_DISCONNECT_REQUEST);
    CHECK(newmail_mh_body_kind(NEWMAIL_MH_RT_NOTIFICATION_WAIT, true, &kind));
    CHECK_EQ(kind, NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE);
    CHECK(!newmail_mh_body_kind(NEWMAIL_MH_RT_PING, true, &kind));
    CHECK(!newmail_mh_body_kind(NEWMAIL_MH_RT_BIND, false, &kind));
    CHECK(!newmail_mh_body_kind(NEWMAIL_MH_RT_UNKNOWN, false, &kind));

    WHERE("X-ResponseCode names");
    CHECK(strcmp(newmail_mh_response_code_name(0), "Success") == 0);
    CHECK(strcmp(newmail_mh_response_code_name(6), "Invalid Context Cookie") == 0);
    CHECK(strcmp(newmail_mh_response_code_name(10), "Context Not Found") == 0);
    CHECK(strcmp(newmail_mh_response_code_name(15), "Invalid Sequence") == 0);
    CHECK(strcmp(newmail_mh_response_code_name(18), "Endpoint Shutting Down") == 0);
    CHECK(newmail_mh_response_code_name(19) == NULL);
    CHECK(newmail_mh_response_code_name(0xffffffff) == NULL);
    where[0] = 0;
}

/* ---- the envelope -------------------------------------------------------------------- */

static unsigned
envelope(const char *text, size_t len, newmail_mh_envelope_t *env, uint8_t **copy)
{
    *copy = exact_copy(text, len);
    return newmail_mh_parse_envelope(*copy, len, env);
}

/* The shape of MS-OXCMAPIHTTP 4's chunked responses once de-chunked: the
 * PROCESSING meta-tag, keep-alive PENDINGs, DONE, the additional headers
 * (3.2.5.2: X-ResponseCode, X-ElapsedTime and X-StartTime after DONE), an
 * empty line, and the binary body. */
static void
test_envelope_example(void)
{
    static const char text[] = "PROCESSING\r\n"
                               "PENDING\r\n"
                               "PENDING\r\n"
                               "DONE\r\n"
                               "X-ResponseCode: 0\r\n"
                               "X-ElapsedTime: 1250\r\n"
                               "X-StartTime: Tue, 01 Nov 2016 01:02:03 GMT\r\n"
                               "\r\n"
                               "\x00\x00\x00\x00\x01\x02";
    size_t len = sizeof(text) - 1;
    newmail_mh_envelope_t env;
    uint8_t *buf;

    WHERE("MS-OXCMAPIHTTP 4 shape");
    CHECK_EQ(envelope(text, len, &env, &buf), 0);
    CHECK_EQ(env.meta_count, 4);
    CHECK_EQ(env.pending_count, 2);
    CHECK(env.done);
    CHECK_EQ(env.meta[0].tag, NEWMAIL_MH_META_PROCESSING);
    CHECK_SPAN(env.meta[0].span, 0, 10);
    CHECK_EQ(env.meta[1].tag, NEWMAIL_MH_META_PENDING);
    CHECK_SPAN(env.meta[1].span, 12, 7);
    CHECK_EQ(env.meta[2].tag, NEWMAIL_MH_META_PENDING);
    CHECK_SPAN(env.meta[2].span, 21, 7);
    CHECK_EQ(env.meta[3].tag, NEWMAIL_MH_META_DONE);
    CHECK_SPAN(env.meta[3].span, 30, 4);
    CHECK_EQ(env.header_count, 3);
    CHECK_SPAN(env.header[0].line, 36, 17);
    CHECK(span_is(buf, env.header[0].name, "X-ResponseCode"));
    CHECK(span_is(buf, env.header[0].value, "0"));
    CHECK_SPAN(env.header[0].value, 52, 1);
    CHECK(span_is(buf, env.header[1].name, "X-ElapsedTime"));
    CHECK(span_is(buf, env.header[1].value, "1250"));
    CHECK(span_is(buf, env.header[2].name, "X-StartTime"));
    CHECK(span_is(buf, env.header[2].value, "Tue, 01 Nov 2016 01:02:03 GMT"));
    CHECK(env.has_response_code);
    CHECK_EQ(env.response_code, 0);
    CHECK_EQ(env.response_code_header, 0);
    CHECK(env.has_body);
    CHECK_SPAN(env.blank, len - 8, 2);
    CHECK_SPAN(env.body, len - 6, 6);
    CHECK_EQ(env.header_count, 3);
    free(buf);
    where[0] = 0;
}

static void
test_envelope_cases(void)
{
    enum {
        NO_DONE = NEWMAIL_MH_ENV_NO_DONE,
        JUNK = NEWMAIL_MH_ENV_JUNK,
        UNTERM = NEWMAIL_MH_ENV_UNTERMINATED,
        SYNTAX = NEWMAIL_MH_ENV_HEADER_SYNTAX,
        BARE = NEWMAIL_MH_ENV_BARE_LF,
        BADRC = NEWMAIL_MH_ENV_BAD_RESPONSE_CODE,
    };
    static const struct {
        const char *name;
        const char *text;
        unsigned problems;
        size_t meta, pending, headers;
        bool done, has_body;
        size_t body_off, body_len; /* when has_body */
        bool has_code;
        uint32_t code;
    } cases[] = {
        {"DONE only, empty body", "DONE\r\n\r\n", 0, 1, 0, 0, true, true, 8, 0, false, 0},
        {"no headers", "PROCESSING\r\nDONE\r\n\r\nxy", 0, 2, 0, 0, true, true, 20, 2, false, 0},
        {"failure code", "PROCESSING\r\nDONE\r\nX-ResponseCode: 10\r\n\r\n", 0, 2, 0, 1, true, true,
         40, 0, true, 10},
        {"header without a space", "DONE\r\nX-ResponseCode:7\r\n\r\n", 0, 1, 0, 1, true, true, 26,
         0, true, 7},
        {"header value with blanks", "DONE\r\nX-ResponseCode: \t 3 \t\r\n\r\n", 0, 1, 0, 1, true,
         true, 31, 0, true, 3},
        {"header name in lower case", "DONE\r\nx-responsecode: 4\r\n\r\n", 0, 1, 0, 1, true, true,
         27, 0, true, 4},
        /* The first X-ResponseCode counts. */
        {"two response codes", "DONE\r\nX-ResponseCode: 0\r\nX-ResponseCode: 5\r\n\r\n", 0, 1, 0, 2,
         true, true, 46, 0, true, 0},
        {"nothing", "", NO_DONE, 0, 0, 0, false, false, 0, 0, false, 0},
        {"keep-alives only", "PROCESSING\r\nPENDING\r\nPENDING\r\n", NO_DONE, 3, 2, 0, false, false,
         0, 0, false, 0},
        {"cut inside DONE", "PROCESSING\r\nDO", NO_DONE, 1, 0, 0, false, false, 0, 0, false, 0},
        {"DONE without its CRLF", "PROCESSING\r\nDONE", NO_DONE, 1, 0, 0, false, false, 0, 0, false,
         0},
        {"headers before DONE", "X-ResponseCode: 0\r\n\r\nbody", NO_DONE | JUNK, 0, 0, 0, false,
         false, 0, 0, false, 0},
        {"junk between meta-tags", "PROCESSING\r\nPENDINGX\r\nDONE\r\n\r\n", NO_DONE | JUNK, 1, 0,
         0, false, false, 0, 0, false, 0},
        {"lower-case meta-tag", "processing\r\nDONE\r\n\r\n", NO_DONE | JUNK, 0, 0, 0, false, false,
         0, 0, false, 0},
        {"no empty line", "DONE\r\nX-ResponseCode: 0\r\nX-ElapsedTime: 1\r\n", UNTERM, 1, 0, 2,
         true, false, 0, 0, true, 0},
        {"empty line cut", "DONE\r\nX-ElapsedTime: 1\r\n\r", UNTERM, 1, 0, 1, true, false, 0, 0,
         false, 0},
        {"header without a colon", "DONE\r\nX-ElapsedTime 1\r\n\r\n", SYNTAX, 1, 0, 1, true, true,
         25, 0, false, 0},
        {"bare LF", "PROCESSING\nDONE\r\nX-ResponseCode: 0\n\nab", BARE, 2, 0, 1, true, true, 36, 2,
         true, 0},
        {"response code not a number", "DONE\r\nX-ResponseCode: zero\r\n\r\n", BADRC, 1, 0, 1, true,
         true, 30, 0, false, 0},
        {"response code too large", "DONE\r\nX-ResponseCode: 4294967296\r\n\r\n", BADRC, 1, 0, 1,
         true, true, 36, 0, false, 0},
        {"response code 4294967295", "DONE\r\nX-ResponseCode: 4294967295\r\n\r\n", 0, 1, 0, 1, true,
         true, 36, 0, true, 0xffffffff},
        {"response code signed", "DONE\r\nX-ResponseCode: -1\r\n\r\n", BADRC, 1, 0, 1, true, true,
         28, 0, false, 0},
        {"response code empty", "DONE\r\nX-ResponseCode:\r\n\r\n", BADRC, 1, 0, 1, true, true, 25,
         0, false, 0},
        /* The body is binary: a CRLF inside it is body, not a header. */
        {"CRLF in the body", "DONE\r\n\r\n\r\n\x00X-Foo: 1\r\n", 0, 1, 0, 0, true, true, 8, 13,
         false, 0},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        size_t len = strlen(cases[i].text);
        newmail_mh_envelope_t env;
        uint8_t *buf;

        if (strcmp(cases[i].name, "CRLF in the body") == 0)
            len = 21; /* the NUL inside counts */
        WHERE("%s", cases[i].name);
        CHECK_EQ(envelope(cases[i].text, len, &env, &buf), cases[i].problems);
        CHECK_EQ(env.problems, cases[i].problems);
        CHECK_EQ(env.meta_count, cases[i].meta);
        CHECK_EQ(env.pending_count, cases[i].pending);
        CHECK_EQ(env.header_count, cases[i].headers);
        CHECK_EQ(env.done, cases[i].done);
        CHECK_EQ(env.has_body, cases[i].has_body);
        if (cases[i].has_body)
            CHECK_SPAN(env.body, cases[i].body_off, cases[i].body_len);
        else
            CHECK_SPAN(env.body, 0, 0);
        CHECK_EQ(env.has_response_code, cases[i].has_code);
        if (cases[i].has_code)
            CHECK_EQ(env.response_code, cases[i].code);
        if (cases[i].problems & NEWMAIL_MH_ENV_JUNK)
            CHECK(env.junk.length > 0);
        free(buf);
    }
    where[0] = 0;
}

/* More lines than the arrays hold: counted, not stored, flagged. */
static void
test_envelope_many(void)
{
    size_t pendings = NEWMAIL_MH_MAX_META + 10, headers = NEWMAIL_MH_MAX_HEADERS + 5;
    char *text = malloc(pendings * 9 + headers * 16 + 64), *p = text;
    newmail_mh_envelope_t env;
    uint8_t *buf;

    p += sprintf(p, "PROCESSING\r\n");
    for (size_t i = 0; i < pendings; i++)
        p += sprintf(p, "PENDING\r\n");
    p += sprintf(p, "DONE\r\n");
    for (size_t i = 0; i < headers; i++)
        p += sprintf(p, "X-H%02zu: %zu\r\n", i, i);
    p += sprintf(p, "X-ResponseCode: 0\r\n\r\n!");
    WHERE("%zu PENDINGs, %zu headers", pendings, headers + 1);
    CHECK_EQ(envelope(text, strlen(text), &env, &buf), NEWMAIL_MH_ENV_TOO_MANY);
    CHECK_EQ(env.meta_count, pendings + 2);
    CHECK_EQ(env.pending_count, pendings);
    CHECK(env.done);
    CHECK_EQ(env.header_count, headers + 1);
    /* The response code is read even from a header that was not kept. */
    CHECK(env.has_response_code);
    CHECK_EQ(env.response_code_header, -1);
    CHECK_SPAN(env.body, strlen(text) - 1, 1);
    CHECK_EQ(env.meta[NEWMAIL_MH_MAX_META - 1].tag, NEWMAIL_MH_META_PENDING);
    free(buf);
    free(text);
    where[0] = 0;
}

/* Every cut of the example: no read past the cut, and no body is claimed
 * before the empty line is complete. */
static void
test_envelope_cuts(void)
{
    static const char text[] = "PROCESSING\r\nPENDING\r\nDONE\r\nX-ResponseCode: 0\r\n\r\nBODY";
    size_t len = sizeof(text) - 1, blank_end = len - 4;

    for (size_t cut = 0; cut <= len; cut++) {
        newmail_mh_envelope_t env;
        uint8_t *buf;

        WHERE("cut at %zu", cut);
        envelope(text, cut, &env, &buf);
        CHECK_EQ(env.has_body, cut >= blank_end);
        CHECK_EQ(env.done, cut >= 27);
        if (env.has_body)
            CHECK_SPAN(env.body, blank_end, cut - blank_end);
        else
            CHECK(env.problems & (NEWMAIL_MH_ENV_NO_DONE | NEWMAIL_MH_ENV_UNTERMINATED));
        free(buf);
    }
    where[0] = 0;
}

static void
test_next_line(void)
{
    static const char text[] = "a\r\n\nbc\n\r\r\nd";
    newmail_mh_line_t l;
    size_t pos = 0;

    WHERE("lines");
    CHECK(newmail_mh_next_line((const uint8_t *)text, 11, &pos, &l));
    CHECK_SPAN(l.line, 0, 1);
    CHECK(!l.bare_lf);
    CHECK_EQ(pos, 3);
    CHECK(newmail_mh_next_line((const uint8_t *)text, 11, &pos, &l));
    CHECK_SPAN(l.line, 3, 0);
    CHECK(l.bare_lf);
    CHECK(newmail_mh_next_line((const uint8_t *)text, 11, &pos, &l));
    CHECK_SPAN(l.line, 4, 2);
    CHECK(l.bare_lf);
    /* "\r\r\n": the line is one CR. */
    CHECK(newmail_mh_next_line((const uint8_t *)text, 11, &pos, &l));
    CHECK_SPAN(l.line, 7, 1);
    CHECK(!l.bare_lf);
    CHECK_EQ(l.next, 10);
    CHECK(!newmail_mh_next_line((const uint8_t *)text, 11, &pos, &l));
    CHECK_EQ(pos, 10);
    CHECK(!newmail_mh_next_line(NULL, 11, &pos, &l));
    where[0] = 0;
}

/* ---- bodies ----------------------------------------------------------------------------- */

#define MF(f) (1u << NEWMAIL_MHF_##f)

static unsigned
body(newmail_mh_body_kind_t kind, const writer_t *w, size_t len, newmail_mh_body_t *out)
{
    uint8_t *copy = exact_copy(w->b, len);
    unsigned problems = newmail_mh_parse_body(kind, copy, len, out);

    free(copy);
    return problems;
}

/* A stand-in RPC_HEADER_EXT-prefixed payload: the reader only sizes it. */
static const uint8_t aux[] = {0x00, 0x00, 0x04, 0x00, 0x04, 0x00, 0x04,
                              0x00, 0x04, 0x00, 0x01, 0x01, 0xaa, 0xbb};
static const uint8_t rops[] = {0x00, 0x00, 0x04, 0x00, 0x03, 0x00, 0x03, 0x00, 0x03, 0x00, 0x6e};

/* Each kind, success layout, every field checked where the writer put it. */
static void
test_bodies(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    newmail_mh_body_t b;
    size_t at[NEWMAIL_MHF_COUNT];

    WHERE("Connect request");
    w->len = 0;
    at[NEWMAIL_MHF_USER_DN] = put_asciiz(w, "/o=Contoso/ou=Exchange/cn=Recipients/cn=user");
    at[NEWMAIL_MHF_FLAGS] = put32(w, 0);
    at[NEWMAIL_MHF_DEFAULT_CODE_PAGE] = put32(w, 1252);
    at[NEWMAIL_MHF_LCID_SORT] = put32(w, 0x0409);
    at[NEWMAIL_MHF_LCID_STRING] = put32(w, 0x0409);
    at[NEWMAIL_MHF_AUX_BUFFER_SIZE] = put32(w, sizeof(aux));
    at[NEWMAIL_MHF_AUX_BUFFER] = put_bytes(w, aux, sizeof(aux));
    CHECK_EQ(body(NEWMAIL_MH_CONNECT_REQUEST, w, w->len, &b), 0);
    CHECK_EQ(b.fields_read, MF(USER_DN) | MF(FLAGS) | MF(DEFAULT_CODE_PAGE) | MF(LCID_SORT) |
                                MF(LCID_STRING) | MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));
    CHECK_SPAN(b.span[NEWMAIL_MHF_USER_DN], 0, 44);
    CHECK_EQ(b.user_dn_chars, 44);
    CHECK_SPAN(b.span[NEWMAIL_MHF_FLAGS], at[NEWMAIL_MHF_FLAGS], 4);
    CHECK_EQ(b.value[NEWMAIL_MHF_DEFAULT_CODE_PAGE], 1252);
    CHECK_SPAN(b.span[NEWMAIL_MHF_DEFAULT_CODE_PAGE], at[NEWMAIL_MHF_DEFAULT_CODE_PAGE], 4);
    CHECK_EQ(b.value[NEWMAIL_MHF_LCID_SORT], 0x409);
    CHECK_EQ(b.value[NEWMAIL_MHF_LCID_STRING], 0x409);
    CHECK_EQ(b.value[NEWMAIL_MHF_AUX_BUFFER_SIZE], sizeof(aux));
    CHECK_SPAN(b.span[NEWMAIL_MHF_AUX_BUFFER], at[NEWMAIL_MHF_AUX_BUFFER], sizeof(aux));
    CHECK(!b.failure);

    WHERE("Connect response, success");
    w->len = 0;
    put32(w, 0);
    at[NEWMAIL_MHF_ERROR_CODE] = put32(w, 0);
    at[NEWMAIL_MHF_POLLS_MAX] = put32(w, 60000);
    at[NEWMAIL_MHF_RETRY_COUNT] = put32(w, 6);
    at[NEWMAIL_MHF_RETRY_DELAY] = put32(w, 10000);
    at[NEWMAIL_MHF_DN_PREFIX] = put_asciiz(w, "/o=Contoso/ou=Exchange/");
    at[NEWMAIL_MHF_DISPLAY_NAME] = put_utf16z(w, "Alice");
    at[NEWMAIL_MHF_AUX_BUFFER_SIZE] = put32(w, 0);
    CHECK_EQ(body(NEWMAIL_MH_CONNECT_RESPONSE, w, w->len, &b), 0);
    CHECK_EQ(b.fields_read, MF(STATUS_CODE) | MF(ERROR_CODE) | MF(POLLS_MAX) | MF(RETRY_COUNT) |
                                MF(RETRY_DELAY) | MF(DN_PREFIX) | MF(DISPLAY_NAME) |
                                MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));
    CHECK_EQ(b.value[NEWMAIL_MHF_POLLS_MAX], 60000);
    CHECK_EQ(b.value[NEWMAIL_MHF_RETRY_COUNT], 6);
    CHECK_EQ(b.value[NEWMAIL_MHF_RETRY_DELAY], 10000);
    CHECK_SPAN(b.span[NEWMAIL_MHF_DN_PREFIX], at[NEWMAIL_MHF_DN_PREFIX], 23);
    CHECK_EQ(b.dn_prefix_chars, 23);
    CHECK_SPAN(b.span[NEWMAIL_MHF_DISPLAY_NAME], at[NEWMAIL_MHF_DISPLAY_NAME], 10);
    CHECK_EQ(b.display_name_chars, 5);
    CHECK_SPAN(b.span[NEWMAIL_MHF_AUX_BUFFER], w->len, 0);

    WHERE("Execute request");
    w->len = 0;
    put32(w, 0x00000003);
    at[NEWMAIL_MHF_ROP_BUFFER_SIZE] = put32(w, sizeof(rops));
    at[NEWMAIL_MHF_ROP_BUFFER] = put_bytes(w, rops, sizeof(rops));
    at[NEWMAIL_MHF_MAX_ROP_OUT] = put32(w, 0x10008);
    at[NEWMAIL_MHF_AUX_BUFFER_SIZE] = put32(w, sizeof(aux));
    at[NEWMAIL_MHF_AUX_BUFFER] = put_bytes(w, aux, sizeof(aux));
    CHECK_EQ(body(NEWMAIL_MH_EXECUTE_REQUEST, w, w->len, &b), 0);
    CHECK_EQ(b.fields_read, MF(FLAGS) | MF(ROP_BUFFER_SIZE) | MF(ROP_BUFFER) | MF(MAX_ROP_OUT) |
                                MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));
    CHECK_EQ(b.value[NEWMAIL_MHF_FLAGS], 3);
    CHECK_EQ(b.value[NEWMAIL_MHF_ROP_BUFFER_SIZE], sizeof(rops));
    CHECK_SPAN(b.span[NEWMAIL_MHF_ROP_BUFFER_SIZE], 4, 4);
    CHECK_SPAN(b.span[NEWMAIL_MHF_ROP_BUFFER], 8, sizeof(rops));
    CHECK_EQ(b.value[NEWMAIL_MHF_MAX_ROP_OUT], 0x10008);
    CHECK_SPAN(b.span[NEWMAIL_MHF_MAX_ROP_OUT], at[NEWMAIL_MHF_MAX_ROP_OUT], 4);
    CHECK_SPAN(b.span[NEWMAIL_MHF_AUX_BUFFER], at[NEWMAIL_MHF_AUX_BUFFER], sizeof(aux));

    WHERE("Execute response, success");
    w->len = 0;
    put32(w, 0);
    put32(w, 0);
    put32(w, 0);
    put32(w, sizeof(rops));
    at[NEWMAIL_MHF_ROP_BUFFER] = put_bytes(w, rops, sizeof(rops));
    put32(w, 0);
    CHECK_EQ(body(NEWMAIL_MH_EXECUTE_RESPONSE, w, w->len, &b), 0);
    CHECK_EQ(b.fields_read, MF(STATUS_CODE) | MF(ERROR_CODE) | MF(FLAGS) | MF(ROP_BUFFER_SIZE) |
                                MF(ROP_BUFFER) | MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));
    CHECK_SPAN(b.span[NEWMAIL_MHF_ROP_BUFFER], 16, sizeof(rops));
    CHECK_SPAN(b.span[NEWMAIL_MHF_AUX_BUFFER_SIZE], 16 + sizeof(rops), 4);

    WHERE("Disconnect request");
    w->len = 0;
    put32(w, sizeof(aux));
    put_bytes(w, aux, sizeof(aux));
    CHECK_EQ(body(NEWMAIL_MH_DISCONNECT_REQUEST, w, w->len, &b), 0);
    CHECK_EQ(b.fields_read, MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));
    CHECK_SPAN(b.span[NEWMAIL_MHF_AUX_BUFFER], 4, sizeof(aux));

    WHERE("Disconnect response, success");
    w->len = 0;
    put32(w, 0);
    put32(w, 0x000004b9);
    put32(w, 0);
    CHECK_EQ(body(NEWMAIL_MH_DISCONNECT_RESPONSE, w, w->len, &b), 0);
    CHECK_EQ(b.fields_read,
             MF(STATUS_CODE) | MF(ERROR_CODE) | MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));
    CHECK_EQ(b.value[NEWMAIL_MHF_ERROR_CODE], 0x4b9);
    CHECK(!b.failure);

    WHERE("NotificationWait request");
    w->len = 0;
    put32(w, 0);
    put32(w, 0);
    CHECK_EQ(body(NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST, w, w->len, &b), 0);
    CHECK_EQ(b.fields_read, MF(FLAGS) | MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));

    for (uint32_t pending = 0; pending <= 1; pending++) {
        WHERE("NotificationWait response, EventPending %u", pending);
        w->len = 0;
        put32(w, 0);
        put32(w, 0);
        at[NEWMAIL_MHF_EVENT_PENDING] = put32(w, pending);
        put32(w, sizeof(aux));
        put_bytes(w, aux, sizeof(aux));
        CHECK_EQ(body(NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE, w, w->len, &b), 0);
        CHECK_EQ(b.fields_read, MF(STATUS_CODE) | MF(ERROR_CODE) | MF(EVENT_PENDING) |
                                    MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));
        CHECK_EQ(b.value[NEWMAIL_MHF_EVENT_PENDING], pending);
        CHECK_SPAN(b.span[NEWMAIL_MHF_EVENT_PENDING], 8, 4);
        CHECK_SPAN(b.span[NEWMAIL_MHF_AUX_BUFFER], 16, sizeof(aux));
    }
    free(w);
    where[0] = 0;
}

/* Every response kind, failure layout: StatusCode, AuxiliaryBufferSize, AuxiliaryBuffer. */
static void
test_failure_bodies(void)
{
    static const newmail_mh_body_kind_t kinds[] = {
        NEWMAIL_MH_CONNECT_RESPONSE, NEWMAIL_MH_EXECUTE_RESPONSE, NEWMAIL_MH_DISCONNECT_RESPONSE,
        NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE};
    writer_t *w = calloc(1, sizeof(*w));

    for (size_t i = 0; i < COUNT_OF(kinds); i++) {
        newmail_mh_body_t b;

        WHERE("failure, kind %d", (int)kinds[i]);
        w->len = 0;
        put32(w, 0x000006bb);
        put32(w, sizeof(aux));
        put_bytes(w, aux, sizeof(aux));
        CHECK_EQ(body(kinds[i], w, w->len, &b), 0);
        CHECK(b.failure);
        CHECK_EQ(b.fields_read, MF(STATUS_CODE) | MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER));
        CHECK_EQ(b.value[NEWMAIL_MHF_STATUS_CODE], 0x6bb);
        CHECK_SPAN(b.span[NEWMAIL_MHF_AUX_BUFFER_SIZE], 4, 4);
        CHECK_SPAN(b.span[NEWMAIL_MHF_AUX_BUFFER], 8, sizeof(aux));

        /* The success layout's ErrorCode is not there to be read. */
        w->len = 0;
        put32(w, 1);
        put32(w, 0);
        CHECK_EQ(body(kinds[i], w, w->len, &b), 0);
        CHECK(b.failure);
        CHECK(!newmail_mh_body_has(&b, NEWMAIL_MHF_ERROR_CODE));
    }
    free(w);
    where[0] = 0;
}

/* ---- header values (2.2.3.3.2, 2.2.3.3.3) -------------------------------------------- */

static void
test_request_ids(void)
{
    /* 2.2.3.3.2's example, and the same GUID in other spellings. */
    static const uint8_t example[NEWMAIL_MH_GUID_LEN] = {0xE2, 0xEA, 0x6C, 0x1C, 0xE6, 0x1B,
                                                         0x49, 0xE9, 0x9C, 0xFB, 0x38, 0x18,
                                                         0x4F, 0x90, 0x75, 0x52};
    static const struct {
        const char *value;
        bool ok;
        uint64_t counter;
    } cases[] = {
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:123456", true, 123456},
        {"{e2ea6c1c-e61b-49e9-9cfb-38184f907552}:1", true, 1},
        {"E2EA6C1C-E61B-49E9-9CFB-38184F907552:0", true, 0},
        {" \t{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:18446744073709551615 ", true, UINT64_MAX},
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:18446744073709551616", false, 0},
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:", false, 0},
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F907552}", false, 0},
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F907552:7", false, 0},
        {"E2EA6C1C-E61B-49E9-9CFB-38184F907552}:7", false, 0},
        {"{E2EA6C1CE61B-49E9-9CFB-38184F907552}:7", false, 0},
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F90755}:7", false, 0},
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F90755G}:7", false, 0},
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:7x", false, 0},
        {"{E2EA6C1C-E61B-49E9-9CFB-38184F907552}:-7", false, 0},
        {"", false, 0},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        size_t len = strlen(cases[i].value);
        char *copy = (char *)exact_copy(cases[i].value, len);
        newmail_mh_request_id_t id;

        memset(&id, 0xAA, sizeof(id));
        WHERE("X-RequestId %s", cases[i].value);
        CHECK_EQ(newmail_mh_parse_request_id(copy, len, &id), cases[i].ok);
        if (cases[i].ok) {
            CHECK(memcmp(id.guid, example, sizeof(example)) == 0);
            CHECK_EQ(id.counter, cases[i].counter);
        } else {
            CHECK_EQ(id.counter, 0xAAAAAAAAAAAAAAAAull); /* untouched */
        }
        free(copy);
    }
    WHERE("X-RequestId NULL");
    {
        newmail_mh_request_id_t id;

        CHECK(!newmail_mh_parse_request_id(NULL, 0, &id));
    }
    where[0] = 0;
}

static void
test_response_codes(void)
{
    static const struct {
        const char *value;
        bool ok;
        uint32_t code;
    } cases[] = {
        {"0", true, 0},           {" 10\t", true, 10}, {"4294967295", true, UINT32_MAX},
        {"4294967296", false, 0}, {"", false, 0},      {" ", false, 0},
        {"-1", false, 0},         {"0x6", false, 0},   {"6 7", false, 0},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        size_t len = strlen(cases[i].value);
        char *copy = (char *)exact_copy(cases[i].value, len);
        uint32_t code = 0xAAAAAAAA;

        WHERE("X-ResponseCode '%s'", cases[i].value);
        CHECK_EQ(newmail_mh_parse_response_code(copy, len, &code), cases[i].ok);
        CHECK_EQ(code, cases[i].ok ? cases[i].code : 0xAAAAAAAA);
        free(copy);
    }
    where[0] = 0;
}

/* A body read as the failure layout because X-ResponseCode said so. */
static void
test_forced_failure_bodies(void)
{
    enum { MFAIL = MF(STATUS_CODE) | MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER) };
    static const struct {
        const char *name;
        uint8_t bytes[24];
        size_t len;
        unsigned problems;
        uint32_t fields;
        uint32_t status;
    } cases[] = {
        {"StatusCode 10, no aux", {10, 0, 0, 0, 0, 0, 0, 0}, 8, 0, MFAIL, 10},
        {"StatusCode 6, 4-byte aux", {6, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4}, 12, 0, MFAIL, 6},
        /* A success layout would read ErrorCode, EventPending, ... here. */
        {"StatusCode 0", {0, 0, 0, 0, 0, 0, 0, 0}, 8, NEWMAIL_MH_BODY_STATUS_ZERO, MFAIL, 0},
        {"aux past the end",
         {1, 0, 0, 0, 9, 0, 0, 0, 1},
         9,
         NEWMAIL_MH_BODY_SIZE_PAST_END,
         MF(STATUS_CODE) | MF(AUX_BUFFER_SIZE),
         1},
        {"trailing", {1, 0, 0, 0, 0, 0, 0, 0, 0xee, 0xee}, 10, NEWMAIL_MH_BODY_TRAILING, MFAIL, 1},
        {"cut StatusCode", {1, 0}, 2, NEWMAIL_MH_BODY_TRUNCATED, 0, 0},
        {"empty", {0}, 0, NEWMAIL_MH_BODY_EMPTY, 0, 0},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        uint8_t *copy = exact_copy(cases[i].bytes, cases[i].len);
        newmail_mh_body_t b;

        WHERE("forced failure: %s", cases[i].name);
        CHECK_EQ(newmail_mh_parse_failure_body(NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE, copy,
                                               cases[i].len, &b),
                 cases[i].problems);
        CHECK(b.failure);
        CHECK_EQ(b.fields_read, cases[i].fields);
        if (newmail_mh_body_has(&b, NEWMAIL_MHF_STATUS_CODE))
            CHECK_EQ(b.value[NEWMAIL_MHF_STATUS_CODE], cases[i].status);
        CHECK(!newmail_mh_body_has(&b, NEWMAIL_MHF_EVENT_PENDING));
        free(copy);
    }
    where[0] = 0;
}

static void
test_body_problems(void)
{
    enum {
        TRUNC = NEWMAIL_MH_BODY_TRUNCATED,
        PAST = NEWMAIL_MH_BODY_SIZE_PAST_END,
        UNTERM = NEWMAIL_MH_BODY_UNTERMINATED,
        TRAIL = NEWMAIL_MH_BODY_TRAILING,
        RESV = NEWMAIL_MH_BODY_RESERVED,
        EVT = NEWMAIL_MH_BODY_EVENT_PENDING,
        EMPTY = NEWMAIL_MH_BODY_EMPTY,
    };
    static const struct {
        const char *name;
        newmail_mh_body_kind_t kind;
        uint8_t bytes[40];
        size_t len;
        unsigned problems;
        uint32_t fields;
    } cases[] = {
        {"Execute request, RopBufferSize past the end",
         NEWMAIL_MH_EXECUTE_REQUEST,
         {0, 0, 0, 0, 9, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8},
         16,
         PAST,
         MF(FLAGS) | MF(ROP_BUFFER_SIZE)},
        {"Execute request, RopBufferSize 0xFFFFFFFF",
         NEWMAIL_MH_EXECUTE_REQUEST,
         {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1},
         9,
         PAST,
         MF(FLAGS) | MF(ROP_BUFFER_SIZE)},
        {"Execute response, aux size past the end",
         NEWMAIL_MH_EXECUTE_RESPONSE,
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 2, 3, 4},
         24,
         PAST,
         MF(STATUS_CODE) | MF(ERROR_CODE) | MF(FLAGS) | MF(ROP_BUFFER_SIZE) | MF(ROP_BUFFER) |
             MF(AUX_BUFFER_SIZE)},
        {"failure body, aux size past the end",
         NEWMAIL_MH_CONNECT_RESPONSE,
         {1, 0, 0, 0, 8, 0, 0, 0, 1},
         9,
         PAST,
         MF(STATUS_CODE) | MF(AUX_BUFFER_SIZE)},
        {"Disconnect request, 3 bytes", NEWMAIL_MH_DISCONNECT_REQUEST, {0, 0, 0}, 3, TRUNC, 0},
        {"NotificationWait response, EventPending cut",
         NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE,
         {0, 0, 0, 0, 0, 0, 0, 0, 1, 0},
         10,
         TRUNC,
         MF(STATUS_CODE) | MF(ERROR_CODE)},
        {"Connect request, UserDn unterminated",
         NEWMAIL_MH_CONNECT_REQUEST,
         {'/', 'o', '='},
         3,
         UNTERM,
         0},
        {"Connect response, DisplayName unterminated",
         NEWMAIL_MH_CONNECT_RESPONSE,
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'A', 0, 'b', 0, 0},
         26,
         UNTERM,
         MF(STATUS_CODE) | MF(ERROR_CODE) | MF(POLLS_MAX) | MF(RETRY_COUNT) | MF(RETRY_DELAY) |
             MF(DN_PREFIX)},
        /* 'A' 0x00 0x00 'b': the zero bytes straddle two characters. */
        {"Connect response, DisplayName misaligned zero",
         NEWMAIL_MH_CONNECT_RESPONSE,
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'A', 0, 0, 'b', 0},
         26,
         UNTERM,
         MF(STATUS_CODE) | MF(ERROR_CODE) | MF(POLLS_MAX) | MF(RETRY_COUNT) | MF(RETRY_DELAY) |
             MF(DN_PREFIX)},
        {"NotificationWait request, trailing bytes",
         NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST,
         {0, 0, 0, 0, 0, 0, 0, 0, 0xee, 0xee},
         10,
         TRAIL,
         MF(FLAGS) | MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER)},
        {"NotificationWait request, Flags 1",
         NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST,
         {1, 0, 0, 0, 0, 0, 0, 0},
         8,
         RESV,
         MF(FLAGS) | MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER)},
        {"Execute response, Flags 4",
         NEWMAIL_MH_EXECUTE_RESPONSE,
         {0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
         20,
         RESV,
         MF(STATUS_CODE) | MF(ERROR_CODE) | MF(FLAGS) | MF(ROP_BUFFER_SIZE) | MF(ROP_BUFFER) |
             MF(AUX_BUFFER_SIZE) | MF(AUX_BUFFER)},
        /* Flags of a request may be anything; Connect's are connection flags. */
        {"Execute request, Flags 7",
         NEWMAIL_MH_EXECUTE_REQUEST,
         {7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
         16,
         0,
         MF(FLAGS) | MF(ROP_BUFFER_SIZE) | MF(ROP_BUFFER) | MF(MAX_ROP_OUT) | MF(AUX_BUFFER_SIZE) |
             MF(AUX_BUFFER)},
        {"NotificationWait response, EventPending 2",
         NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE,
         {0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0},
         16,
         EVT,
         MF(STATUS_CODE) | MF(ERROR_CODE) | MF(EVENT_PENDING) | MF(AUX_BUFFER_SIZE) |
             MF(AUX_BUFFER)},
        /* Flags checked even when the body is cut after them. */
        {"NotificationWait request, Flags 1, cut",
         NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST,
         {1, 0, 0, 0, 0},
         5,
         RESV | TRUNC,
         MF(FLAGS)},
        {"empty Execute request", NEWMAIL_MH_EXECUTE_REQUEST, {0}, 0, EMPTY, 0},
        {"empty Execute response", NEWMAIL_MH_EXECUTE_RESPONSE, {0}, 0, EMPTY | TRUNC, 0},
        {"empty NotificationWait request",
         NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST,
         {0},
         0,
         EMPTY | TRUNC,
         0},
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        uint8_t *copy = exact_copy(cases[i].bytes, cases[i].len);
        newmail_mh_body_t b;

        WHERE("%s", cases[i].name);
        CHECK_EQ(newmail_mh_parse_body(cases[i].kind, copy, cases[i].len, &b), cases[i].problems);
        CHECK_EQ(b.fields_read, cases[i].fields);
        if (cases[i].problems & TRAIL)
            CHECK_SPAN(b.trailing, 8, 2);
        free(copy);
    }
    WHERE("unknown kind");
    {
        newmail_mh_body_t b;

        CHECK(newmail_mh_parse_body(NEWMAIL_MH_BODY_KIND_COUNT, (const uint8_t *)"x", 1, &b) != 0);
        CHECK_EQ(b.fields_read, 0);
    }
    where[0] = 0;
}

/* Every cut of a full Connect response: the fields read are a prefix of the
 * layout, nothing lies past the cut, and a problem says why it stopped. */
static void
test_body_cuts(void)
{
    writer_t *w = calloc(1, sizeof(*w));
    newmail_mh_body_t full, b;

    put32(w, 0);
    put32(w, 0);
    put32(w, 1);
    put32(w, 2);
    put32(w, 3);
    put_asciiz(w, "/o=x/");
    put_utf16z(w, "Bob");
    put32(w, sizeof(aux));
    put_bytes(w, aux, sizeof(aux));
    WHERE("full");
    CHECK_EQ(body(NEWMAIL_MH_CONNECT_RESPONSE, w, w->len, &full), 0);
    for (size_t cut = 1; cut < w->len; cut++) {
        WHERE("cut at %zu", cut);
        CHECK(body(NEWMAIL_MH_CONNECT_RESPONSE, w, cut, &b) != 0);
        CHECK((b.fields_read & ~full.fields_read) == 0);
        CHECK(b.fields_read != full.fields_read);
        for (int f = 0; f < NEWMAIL_MHF_COUNT; f++) {
            if (newmail_mh_body_has(&b, (newmail_mh_field_t)f)) {
                CHECK(b.span[f].offset + b.span[f].length <= cut);
                CHECK(memcmp(&b.span[f], &full.span[f], sizeof(b.span[f])) == 0);
            }
        }
        CHECK((b.problems & ~(NEWMAIL_MH_BODY_TRUNCATED | NEWMAIL_MH_BODY_UNTERMINATED |
                              NEWMAIL_MH_BODY_SIZE_PAST_END)) == 0);
    }
    free(w);
    where[0] = 0;
}

int
main(void)
{
    test_request_types();
    test_request_ids();
    test_response_codes();
    test_envelope_example();
    test_envelope_cases();
    test_envelope_many();
    test_envelope_cuts();
    test_next_line();
    test_bodies();
    test_failure_bodies();
    test_forced_failure_bodies();
    test_body_problems();
    test_body_cuts();

    return checks_report();
}
