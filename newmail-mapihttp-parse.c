/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-mapihttp-parse.c: the MAPI over HTTP response envelope
 * (MS-OXCMAPIHTTP 2.2.7, 3.2.5.2) and the EMSMDB request/response bodies
 * (2.2.4.1 to 2.2.4.4). See newmail-mapihttp-parse.h for the API.
 */
#include <string.h>

#include "newmail-mapihttp-parse.h"

static char
ascii_lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static bool
equal_nocase(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);

    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    }
    return true;
}

static bool
is_blank(uint8_t ch)
{
    return ch == ' ' || ch == '\t';
}

/* ---- names ------------------------------------------------------------------------- */

static const struct {
    const char *name;
    newmail_mh_endpoint_t endpoint;
} request_types[NEWMAIL_MH_RT_COUNT] = {
    [NEWMAIL_MH_RT_UNKNOWN] = {"", NEWMAIL_MH_ENDPOINT_NONE},
    [NEWMAIL_MH_RT_CONNECT] = {"Connect", NEWMAIL_MH_ENDPOINT_EMSMDB},
    [NEWMAIL_MH_RT_EXECUTE] = {"Execute", NEWMAIL_MH_ENDPOINT_EMSMDB},
    [NEWMAIL_MH_RT_DISCONNECT] = {"Disconnect", NEWMAIL_MH_ENDPOINT_EMSMDB},
    [NEWMAIL_MH_RT_NOTIFICATION_WAIT] = {"NotificationWait", NEWMAIL_MH_ENDPOINT_EMSMDB},
    [NEWMAIL_MH_RT_PING] = {"PING", NEWMAIL_MH_ENDPOINT_BOTH},
    [NEWMAIL_MH_RT_BIND] = {"Bind", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_UNBIND] = {"Unbind", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_COMPARE_MIDS] = {"CompareMIds", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_DN_TO_MID] = {"DNToMId", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_GET_MATCHES] = {"GetMatches", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_GET_PROP_LIST] = {"GetPropList", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_GET_PROPS] = {"GetProps", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_GET_SPECIAL_TABLE] = {"GetSpecialTable", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_GET_TEMPLATE_INFO] = {"GetTemplateInfo", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_MOD_LINK_ATT] = {"ModLinkAtt", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_MOD_PROPS] = {"ModProps", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_QUERY_COLUMNS] = {"QueryColumns", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_QUERY_ROWS] = {"QueryRows", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_RESOLVE_NAMES] = {"ResolveNames", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_RESORT_RESTRICTION] = {"ResortRestriction", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_SEEK_ENTRIES] = {"SeekEntries", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_UPDATE_STAT] = {"UpdateStat", NEWMAIL_MH_ENDPOINT_NSPI},
    /* 2.2.3.3.1 lists GetMailboxUrl "for the specified mailbox server
     * endpoint", but 2.2.5 defines it with the address book requests. */
    [NEWMAIL_MH_RT_GET_MAILBOX_URL] = {"GetMailboxUrl", NEWMAIL_MH_ENDPOINT_NSPI},
    [NEWMAIL_MH_RT_GET_ADDRESS_BOOK_URL] = {"GetAddressBookUrl", NEWMAIL_MH_ENDPOINT_NSPI},
};

newmail_mh_request_type_t
newmail_mh_request_type(const char *value, size_t len)
{
    if (value == NULL)
        return NEWMAIL_MH_RT_UNKNOWN;
    while (len > 0 && is_blank((uint8_t)value[0])) {
        value++;
        len--;
    }
    while (len > 0 && is_blank((uint8_t)value[len - 1]))
        len--;
    for (int t = NEWMAIL_MH_RT_UNKNOWN + 1; t < NEWMAIL_MH_RT_COUNT; t++) {
        if (equal_nocase(value, len, request_types[t].name))
            return (newmail_mh_request_type_t)t;
    }
    return NEWMAIL_MH_RT_UNKNOWN;
}

const char *
newmail_mh_request_type_name(newmail_mh_request_type_t type)
{
    return (unsigned)type < NEWMAIL_MH_RT_COUNT ? request_types[type].name : "";
}

newmail_mh_endpoint_t
newmail_mh_request_type_endpoint(newmail_mh_request_type_t type)
{
    return (unsigned)type < NEWMAIL_MH_RT_COUNT ? request_types[type].endpoint
                                                : NEWMAIL_MH_ENDPOINT_NONE;
}

const char *
newmail_mh_response_code_name(uint32_t code)
{
    static const char *const names[] = {
        "Success",
        "Unknown Failure",
        "Invalid Verb",
        "Invalid Path",
        "Invalid Header",
        "Invalid Request Type",
        "Invalid Context Cookie",
        "Missing Header",
        "Anonymous Not Allowed",
        "Too Large",
        "Context Not Found",
        "No Privilege",
        "Invalid Request Body",
        "Missing Cookie",
        "Reserved",
        "Invalid Sequence",
        "Endpoint Disabled",
        "Invalid Response",
        "Endpoint Shutting Down",
    };

    return code < sizeof(names) / sizeof(names[0]) ? names[code] : NULL;
}

/* ---- header values ----------------------------------------------------------------------- */

static int
hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = ascii_lower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Trims spaces and tabs around value[0..*len). */
static const char *
trim_blanks(const char *value, size_t *len)
{
    while (*len > 0 && is_blank((uint8_t)value[0])) {
        value++;
        (*len)--;
    }
    while (*len > 0 && is_blank((uint8_t)value[*len - 1]))
        (*len)--;
    return value;
}

bool
newmail_mh_parse_request_id(const char *value, size_t len, newmail_mh_request_id_t *out)
{
    /* The hex digits of each group of 8-4-4-4-12. */
    static const size_t groups[] = {8, 4, 4, 4, 12};
    newmail_mh_request_id_t id;
    size_t at = 0, digits = 0;
    bool braces;
    uint64_t counter = 0;

    if (value == NULL)
        return false;
    value = trim_blanks(value, &len);
    memset(&id, 0, sizeof(id));
    braces = len > 0 && value[0] == '{';
    at = braces ? 1 : 0;
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (g > 0) {
            if (at >= len || value[at] != '-')
                return false;
            at++;
        }
        for (size_t i = 0; i < groups[g]; i++, at++, digits++) {
            int nibble = at < len ? hex_digit(value[at]) : -1;

            if (nibble < 0)
                return false;
            id.guid[digits / 2] |= (uint8_t)(digits % 2 ? nibble : nibble << 4);
        }
    }
    if (braces) {
        if (at >= len || value[at] != '}')
            return false;
        at++;
    }
    if (at >= len || value[at] != ':')
        return false;
    at++;
    if (at == len || len - at > 20)
        return false;
    for (; at < len; at++) {
        uint64_t digit;

        if (value[at] < '0' || value[at] > '9')
            return false;
        digit = (uint64_t)(value[at] - '0');
        if (counter > (UINT64_MAX - digit) / 10)
            return false;
        counter = counter * 10 + digit;
    }
    id.counter = counter;
    *out = id;
    return true;
}

/* A decimal uint32, no sign, at least one digit. */
static bool
parse_decimal(const uint8_t *p, size_t n, uint32_t *out)
{
    uint64_t v = 0;

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

bool
newmail_mh_parse_response_code(const char *value, size_t len, uint32_t *code)
{
    if (value == NULL)
        return false;
    value = trim_blanks(value, &len);
    return parse_decimal((const uint8_t *)value, len, code);
}

/* ---- the envelope --------------------------------------------------------------------- */

bool
newmail_mh_next_line(const uint8_t *buf, size_t len, size_t *pos, newmail_mh_line_t *line)
{
    size_t start = *pos;
    const uint8_t *lf;

    if (buf == NULL || start >= len)
        return false;
    lf = memchr(buf + start, '\n', len - start);
    if (lf == NULL)
        return false;
    size_t at = (size_t)(lf - buf), end = at;
    line->bare_lf = !(end > start && buf[end - 1] == '\r');
    if (!line->bare_lf)
        end--;
    line->line = newmail_span(start, end - start);
    line->next = at + 1;
    *pos = at + 1;
    return true;
}

static bool
line_is(const uint8_t *buf, newmail_span_t l, const char *text)
{
    size_t n = strlen(text);

    return l.length == n && memcmp(buf + l.offset, text, n) == 0;
}

static void
add_header(const uint8_t *buf, newmail_span_t l, newmail_mh_envelope_t *env)
{
    const uint8_t *colon = l.length ? memchr(buf + l.offset, ':', l.length) : NULL;
    newmail_mh_header_t h = {l, newmail_span(l.offset, 0), newmail_span(l.offset, 0)};
    size_t slot = env->header_count++;

    if (colon == NULL) {
        env->problems |= NEWMAIL_MH_ENV_HEADER_SYNTAX;
        h.value = l;
    } else {
        size_t c = (size_t)(colon - buf), vs = c + 1, ve = l.offset + l.length;

        h.name = newmail_span(l.offset, c - l.offset);
        while (vs < ve && is_blank(buf[vs]))
            vs++;
        while (ve > vs && is_blank(buf[ve - 1]))
            ve--;
        h.value = newmail_span(vs, ve - vs);
        if (equal_nocase((const char *)buf + h.name.offset, h.name.length, "X-ResponseCode") &&
            !env->has_response_code) {
            uint32_t code;

            if (parse_decimal(buf + h.value.offset, h.value.length, &code)) {
                env->has_response_code = true;
                env->response_code = code;
                env->response_code_header = slot < NEWMAIL_MH_MAX_HEADERS ? (int)slot : -1;
            } else {
                env->problems |= NEWMAIL_MH_ENV_BAD_RESPONSE_CODE;
            }
        }
    }
    if (slot < NEWMAIL_MH_MAX_HEADERS)
        env->header[slot] = h;
    else
        env->problems |= NEWMAIL_MH_ENV_TOO_MANY;
}

unsigned
newmail_mh_parse_envelope(const uint8_t *buf, size_t len, newmail_mh_envelope_t *env)
{
    size_t pos = 0;
    newmail_mh_line_t l;

    memset(env, 0, sizeof(*env));
    env->response_code_header = -1;
    if (buf == NULL)
        len = 0;

    /* Meta-tags, up to DONE. */
    while (!env->done) {
        newmail_mh_meta_tag_t tag;

        if (!newmail_mh_next_line(buf, len, &pos, &l)) {
            env->problems |= NEWMAIL_MH_ENV_NO_DONE;
            return env->problems;
        }
        if (l.bare_lf)
            env->problems |= NEWMAIL_MH_ENV_BARE_LF;
        if (line_is(buf, l.line, "PROCESSING")) {
            tag = NEWMAIL_MH_META_PROCESSING;
        } else if (line_is(buf, l.line, "PENDING")) {
            tag = NEWMAIL_MH_META_PENDING;
            env->pending_count++;
        } else if (line_is(buf, l.line, "DONE")) {
            tag = NEWMAIL_MH_META_DONE;
            env->done = true;
        } else {
            /* Not an envelope this reader understands: stop rather than
             * guess where the body starts. */
            env->problems |= NEWMAIL_MH_ENV_JUNK | NEWMAIL_MH_ENV_NO_DONE;
            env->junk = l.line;
            return env->problems;
        }
        if (env->meta_count < NEWMAIL_MH_MAX_META)
            env->meta[env->meta_count] = (newmail_mh_meta_t){tag, l.line};
        else
            env->problems |= NEWMAIL_MH_ENV_TOO_MANY;
        env->meta_count++;
    }

    /* Additional headers, up to the empty line; then the body. */
    for (;;) {
        if (!newmail_mh_next_line(buf, len, &pos, &l)) {
            env->problems |= NEWMAIL_MH_ENV_UNTERMINATED;
            return env->problems;
        }
        if (l.bare_lf)
            env->problems |= NEWMAIL_MH_ENV_BARE_LF;
        if (l.line.length == 0) {
            env->blank = newmail_span(l.line.offset, l.next - l.line.offset);
            env->has_body = true;
            env->body = newmail_span(l.next, len - l.next);
            return env->problems;
        }
        add_header(buf, l.line, env);
    }
}

/* ---- the bodies -------------------------------------------------------------------------- */

bool
newmail_mh_body_kind(newmail_mh_request_type_t type, bool response, newmail_mh_body_kind_t *kind)
{
    switch (type) {
    case NEWMAIL_MH_RT_CONNECT:
        *kind = response ? NEWMAIL_MH_CONNECT_RESPONSE : NEWMAIL_MH_CONNECT_REQUEST;
        return true;
    case NEWMAIL_MH_RT_EXECUTE:
        *kind = response ? NEWMAIL_MH_EXECUTE_RESPONSE : NEWMAIL_MH_EXECUTE_REQUEST;
        return true;
    case NEWMAIL_MH_RT_DISCONNECT:
        *kind = response ? NEWMAIL_MH_DISCONNECT_RESPONSE : NEWMAIL_MH_DISCONNECT_REQUEST;
        return true;
    case NEWMAIL_MH_RT_NOTIFICATION_WAIT:
        *kind =
            response ? NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE : NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST;
        return true;
    default:
        return false;
    }
}

/* The layouts, in wire order. A response's StatusCode comes first; when it
 * is not 0 the rest is the failure layout instead (StatusCode, then the
 * auxiliary buffer: 2.2.4.1.3, 2.2.4.2.3, 2.2.4.3.3, 2.2.4.4.3). Each
 * *_BUFFER field takes its size from the *_SIZE field before it. */
#define END NEWMAIL_MHF_COUNT
static const newmail_mh_field_t layouts[NEWMAIL_MH_BODY_KIND_COUNT][10] = {
    [NEWMAIL_MH_CONNECT_REQUEST] = {NEWMAIL_MHF_USER_DN, NEWMAIL_MHF_FLAGS,
                                    NEWMAIL_MHF_DEFAULT_CODE_PAGE, NEWMAIL_MHF_LCID_SORT,
                                    NEWMAIL_MHF_LCID_STRING, NEWMAIL_MHF_AUX_BUFFER_SIZE,
                                    NEWMAIL_MHF_AUX_BUFFER, END},
    [NEWMAIL_MH_CONNECT_RESPONSE] = {NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_ERROR_CODE,
                                     NEWMAIL_MHF_POLLS_MAX, NEWMAIL_MHF_RETRY_COUNT,
                                     NEWMAIL_MHF_RETRY_DELAY, NEWMAIL_MHF_DN_PREFIX,
                                     NEWMAIL_MHF_DISPLAY_NAME, NEWMAIL_MHF_AUX_BUFFER_SIZE,
                                     NEWMAIL_MHF_AUX_BUFFER, END},
    [NEWMAIL_MH_EXECUTE_REQUEST] = {NEWMAIL_MHF_FLAGS, NEWMAIL_MHF_ROP_BUFFER_SIZE,
                                    NEWMAIL_MHF_ROP_BUFFER, NEWMAIL_MHF_MAX_ROP_OUT,
                                    NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, END},
    [NEWMAIL_MH_EXECUTE_RESPONSE] = {NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_ERROR_CODE,
                                     NEWMAIL_MHF_FLAGS, NEWMAIL_MHF_ROP_BUFFER_SIZE,
                                     NEWMAIL_MHF_ROP_BUFFER, NEWMAIL_MHF_AUX_BUFFER_SIZE,
                                     NEWMAIL_MHF_AUX_BUFFER, END},
    [NEWMAIL_MH_DISCONNECT_REQUEST] = {NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, END},
    [NEWMAIL_MH_DISCONNECT_RESPONSE] = {NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_ERROR_CODE,
                                        NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, END},
    [NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST] = {NEWMAIL_MHF_FLAGS, NEWMAIL_MHF_AUX_BUFFER_SIZE,
                                              NEWMAIL_MHF_AUX_BUFFER, END},
    [NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE] = {NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_ERROR_CODE,
                                               NEWMAIL_MHF_EVENT_PENDING,
                                               NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER,
                                               END},
};
static const newmail_mh_field_t failure_layout[] = {
    NEWMAIL_MHF_STATUS_CODE, NEWMAIL_MHF_AUX_BUFFER_SIZE, NEWMAIL_MHF_AUX_BUFFER, END};
#undef END

typedef enum { READ_OK, READ_STOP } read_result_t;

/* Reads one field at the cursor; on READ_STOP the problem bit is set. */
static read_result_t
read_field(newmail_cursor_t *c, newmail_mh_field_t f, newmail_mh_body_t *b)
{
    size_t unit = 1, *chars = NULL, size;

    switch (f) {
    case NEWMAIL_MHF_USER_DN:
        chars = &b->user_dn_chars;
        break;
    case NEWMAIL_MHF_DN_PREFIX:
        chars = &b->dn_prefix_chars;
        break;
    case NEWMAIL_MHF_DISPLAY_NAME:
        chars = &b->display_name_chars;
        unit = 2;
        break;
    case NEWMAIL_MHF_ROP_BUFFER:
    case NEWMAIL_MHF_AUX_BUFFER:
        size = b->value[f == NEWMAIL_MHF_ROP_BUFFER ? NEWMAIL_MHF_ROP_BUFFER_SIZE
                                                    : NEWMAIL_MHF_AUX_BUFFER_SIZE];
        if (!newmail_cursor_take(c, 1, size, &b->span[f])) {
            b->problems |= NEWMAIL_MH_BODY_SIZE_PAST_END;
            return READ_STOP;
        }
        b->fields_read |= 1u << f;
        return READ_OK;
    default:
        if (!newmail_cursor_take(c, 1, 4, &b->span[f])) {
            b->problems |= NEWMAIL_MH_BODY_TRUNCATED;
            return READ_STOP;
        }
        b->value[f] = newmail_le32(c->buf + b->span[f].offset);
        b->fields_read |= 1u << f;
        return READ_OK;
    }

    /* A null-terminated string of `unit`-byte characters. */
    if (!newmail_cursor_take_string(c, unit, &b->span[f], chars)) {
        b->problems |= NEWMAIL_MH_BODY_UNTERMINATED;
        return READ_STOP;
    }
    b->fields_read |= 1u << f;
    return READ_OK;
}

/* Reads the body; `failure`: with the failure layout from the start. */
static unsigned
parse_body(newmail_mh_body_kind_t kind, bool failure, const uint8_t *buf, size_t len,
           newmail_mh_body_t *b)
{
    const newmail_mh_field_t *fields;
    newmail_cursor_t c;

    memset(b, 0, sizeof(*b));
    b->kind = kind;
    b->failure = failure;
    if ((unsigned)kind >= NEWMAIL_MH_BODY_KIND_COUNT)
        return b->problems = NEWMAIL_MH_BODY_TRUNCATED;
    if (buf == NULL)
        len = 0;
    if (len == 0) {
        b->problems = NEWMAIL_MH_BODY_EMPTY;
        if (kind != NEWMAIL_MH_EXECUTE_REQUEST && !failure)
            b->problems |= NEWMAIL_MH_BODY_TRUNCATED;
        return b->problems;
    }

    c = newmail_cursor(buf, 0, len);
    fields = failure ? failure_layout : layouts[kind];
    for (size_t i = 0; fields[i] != NEWMAIL_MHF_COUNT; i++) {
        if (read_field(&c, fields[i], b) == READ_STOP)
            goto checks;
        if (fields[i] == NEWMAIL_MHF_STATUS_CODE && failure &&
            b->value[NEWMAIL_MHF_STATUS_CODE] == 0)
            b->problems |= NEWMAIL_MH_BODY_STATUS_ZERO;
        if (fields[i] == NEWMAIL_MHF_STATUS_CODE && !failure &&
            b->value[NEWMAIL_MHF_STATUS_CODE] != 0) {
            /* The failure layout: StatusCode, then the auxiliary buffer. */
            b->failure = true;
            fields = failure_layout;
            i = 0;
        }
    }

    if (c.pos < len) {
        b->problems |= NEWMAIL_MH_BODY_TRAILING;
        b->trailing = newmail_span(c.pos, len - c.pos);
    }
checks:
    /* "The client MUST set this field to 0x00000000" (NotificationWait
     * request Flags); "The server MUST set this field to 0x00000000"
     * (Execute success response Flags). */
    if ((kind == NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST || kind == NEWMAIL_MH_EXECUTE_RESPONSE) &&
        newmail_mh_body_has(b, NEWMAIL_MHF_FLAGS) && b->value[NEWMAIL_MHF_FLAGS] != 0)
        b->problems |= NEWMAIL_MH_BODY_RESERVED;
    if (newmail_mh_body_has(b, NEWMAIL_MHF_EVENT_PENDING) &&
        b->value[NEWMAIL_MHF_EVENT_PENDING] > 1)
        b->problems |= NEWMAIL_MH_BODY_EVENT_PENDING;
    return b->problems;
}

unsigned
newmail_mh_parse_body(newmail_mh_body_kind_t kind, const uint8_t *buf, size_t len,
                      newmail_mh_body_t *b)
{
    return parse_body(kind, false, buf, len, b);
}

unsigned
newmail_mh_parse_failure_body(newmail_mh_body_kind_t kind, const uint8_t *buf, size_t len,
                              newmail_mh_body_t *b)
{
    return parse_body(kind, true, buf, len, b);
}
