/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rpch-parse.c: the RTS PDU reader (see newmail-rpch-parse.h).
 */
#include <string.h>

#include "newmail-rpch-parse.h"

#define COOKIE_LENGTH 16

bool
newmail_rpch_is_rts(const uint8_t *buf, size_t len)
{
    return len >= NEWMAIL_RPCH_COMMON_HEADER_LENGTH && buf[0] == 5 && buf[1] == 0 &&
           buf[2] == NEWMAIL_RPCH_PTYPE_RTS;
}

uint16_t
newmail_rpch_frag_length(const uint8_t *buf, size_t len)
{
    if (len < 10)
        return 0;
    /* drep[0] bit 4: little-endian integers (C706 14.1). */
    return newmail_u16(buf + 8, (buf[4] & 0x10) == 0);
}

/* The body of a command at c: false when it does not fit or the type is unknown. */
static bool
take_command_body(newmail_cursor_t *c, uint32_t type, bool big_endian, newmail_span_t *body,
                  unsigned *problems)
{
    size_t start = c->pos;
    size_t length;

    switch (type) {
    case NEWMAIL_RPCH_CMD_RECEIVE_WINDOW_SIZE:
    case NEWMAIL_RPCH_CMD_CONNECTION_TIMEOUT:
    case NEWMAIL_RPCH_CMD_CHANNEL_LIFETIME:
    case NEWMAIL_RPCH_CMD_CLIENT_KEEPALIVE:
    case NEWMAIL_RPCH_CMD_VERSION:
    case NEWMAIL_RPCH_CMD_DESTINATION:
    case NEWMAIL_RPCH_CMD_PING_TRAFFIC_SENT_NOTIFY:
        length = 4;
        break;
    case NEWMAIL_RPCH_CMD_FLOW_CONTROL_ACK: /* BytesReceived, AvailableWindow, ChannelCookie */
        length = 8 + COOKIE_LENGTH;
        break;
    case NEWMAIL_RPCH_CMD_COOKIE:
    case NEWMAIL_RPCH_CMD_ASSOCIATION_GROUP_ID:
        length = COOKIE_LENGTH;
        break;
    case NEWMAIL_RPCH_CMD_EMPTY:
    case NEWMAIL_RPCH_CMD_NEGATIVE_ANCE:
    case NEWMAIL_RPCH_CMD_ANCE:
        length = 0;
        break;
    case NEWMAIL_RPCH_CMD_PADDING: /* ConformanceCount, then that many bytes */
        if (c->end - start < 4) {
            *problems |= NEWMAIL_RPCH_COMMANDS_CUT;
            return false;
        }
        length = 4 + (size_t)newmail_u32(c->buf + start, big_endian);
        break;
    case NEWMAIL_RPCH_CMD_CLIENT_ADDRESS: /* AddressType, address, 12 bytes padding */
        if (c->end - start < 4) {
            *problems |= NEWMAIL_RPCH_COMMANDS_CUT;
            return false;
        }
        length = 4 + (newmail_u32(c->buf + start, big_endian) == 1 ? 16 : 4) + 12;
        break;
    default:
        *problems |= NEWMAIL_RPCH_UNKNOWN_COMMAND;
        return false;
    }
    if (!newmail_cursor_take(c, 1, length, body)) {
        *problems |= NEWMAIL_RPCH_COMMANDS_CUT;
        return false;
    }
    return true;
}

/* Whether the commands read are exactly `types` (count entries). */
static bool
commands_are(const newmail_rpch_pdu_t *pdu, const uint32_t *types, size_t count)
{
    if (pdu->commands_read != count || pdu->command_count != count)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (pdu->commands[i].type != types[i])
            return false;
    }
    return true;
}

static void
set_cookies(newmail_rpch_pdu_t *pdu, size_t vc_index, size_t channel_index)
{
    pdu->has_vc_cookie = true;
    pdu->vc_cookie = pdu->commands[vc_index].body;
    pdu->has_channel_cookie = true;
    pdu->channel_cookie = pdu->commands[channel_index].body;
}

/* Names the PDU by its flags and commands (MS-RPCH 2.2.4). */
static void
classify(newmail_rpch_pdu_t *pdu)
{
    static const uint32_t a1[] = { NEWMAIL_RPCH_CMD_VERSION, NEWMAIL_RPCH_CMD_COOKIE,
                                   NEWMAIL_RPCH_CMD_COOKIE,
                                   NEWMAIL_RPCH_CMD_RECEIVE_WINDOW_SIZE };
    static const uint32_t a3[] = { NEWMAIL_RPCH_CMD_CONNECTION_TIMEOUT };
    static const uint32_t b1[] = { NEWMAIL_RPCH_CMD_VERSION, NEWMAIL_RPCH_CMD_COOKIE,
                                   NEWMAIL_RPCH_CMD_COOKIE, NEWMAIL_RPCH_CMD_CHANNEL_LIFETIME,
                                   NEWMAIL_RPCH_CMD_CLIENT_KEEPALIVE,
                                   NEWMAIL_RPCH_CMD_ASSOCIATION_GROUP_ID };
    static const uint32_t c2[] = { NEWMAIL_RPCH_CMD_VERSION,
                                   NEWMAIL_RPCH_CMD_RECEIVE_WINDOW_SIZE,
                                   NEWMAIL_RPCH_CMD_CONNECTION_TIMEOUT };
    /* Version, VirtualConnectionCookie, PredecessorChannelCookie,
     * SuccessorChannelCookie (and ReceiveWindowSize for the OUT channel). */
    static const uint32_t in_recycle[] = { NEWMAIL_RPCH_CMD_VERSION, NEWMAIL_RPCH_CMD_COOKIE,
                                           NEWMAIL_RPCH_CMD_COOKIE, NEWMAIL_RPCH_CMD_COOKIE };
    static const uint32_t out_recycle[] = { NEWMAIL_RPCH_CMD_VERSION, NEWMAIL_RPCH_CMD_COOKIE,
                                            NEWMAIL_RPCH_CMD_COOKIE, NEWMAIL_RPCH_CMD_COOKIE,
                                            NEWMAIL_RPCH_CMD_RECEIVE_WINDOW_SIZE };

    pdu->kind = NEWMAIL_RPCH_PDU_OTHER;
    /* Only a whole, well-formed PDU is named: the dissector ties channels by the name. */
    if (pdu->problems & (NEWMAIL_RPCH_FRAG_TOO_SHORT | NEWMAIL_RPCH_FRAG_PAST_END |
                         NEWMAIL_RPCH_COMMANDS_CUT | NEWMAIL_RPCH_UNKNOWN_COMMAND |
                         NEWMAIL_RPCH_TRAILING_BYTES))
        return;
    if (pdu->flags == NEWMAIL_RPCH_FLAG_NONE) {
        if (commands_are(pdu, a1, sizeof(a1) / sizeof(a1[0]))) {
            pdu->kind = NEWMAIL_RPCH_PDU_CONN_A1;
            set_cookies(pdu, 1, 2);
        } else if (commands_are(pdu, b1, sizeof(b1) / sizeof(b1[0]))) {
            pdu->kind = NEWMAIL_RPCH_PDU_CONN_B1;
            set_cookies(pdu, 1, 2);
        } else if (commands_are(pdu, a3, sizeof(a3) / sizeof(a3[0]))) {
            pdu->kind = NEWMAIL_RPCH_PDU_CONN_A3;
        } else if (commands_are(pdu, c2, sizeof(c2) / sizeof(c2[0]))) {
            pdu->kind = NEWMAIL_RPCH_PDU_CONN_C2;
        }
    } else if (pdu->flags == NEWMAIL_RPCH_FLAG_RECYCLE_CHANNEL) {
        if (commands_are(pdu, in_recycle, sizeof(in_recycle) / sizeof(in_recycle[0]))) {
            pdu->kind = NEWMAIL_RPCH_PDU_IN_RECYCLE;
            set_cookies(pdu, 1, 3);
        } else if (commands_are(pdu, out_recycle, sizeof(out_recycle) / sizeof(out_recycle[0]))) {
            pdu->kind = NEWMAIL_RPCH_PDU_OUT_RECYCLE;
            set_cookies(pdu, 1, 3);
        }
    }
}

unsigned
newmail_rpch_read_pdu(const uint8_t *buf, size_t len, newmail_rpch_pdu_t *out)
{
    newmail_cursor_t c;
    size_t end;

    memset(out, 0, sizeof(*out));
    if (len < NEWMAIL_RPCH_RTS_HEADER_LENGTH) {
        out->problems |= NEWMAIL_RPCH_TRUNCATED;
        if (len >= 10)
            out->frag_length = newmail_rpch_frag_length(buf, len);
        return out->problems;
    }
    out->big_endian = (buf[4] & 0x10) == 0;
    out->frag_length = newmail_rpch_frag_length(buf, len);
    if (newmail_u16(buf + 10, out->big_endian) != 0)
        out->problems |= NEWMAIL_RPCH_AUTH_LENGTH;
    out->flags = newmail_u16(buf + 16, out->big_endian);
    out->command_count = newmail_u16(buf + 18, out->big_endian);

    end = len;
    if (out->frag_length < NEWMAIL_RPCH_RTS_HEADER_LENGTH) {
        out->problems |= NEWMAIL_RPCH_FRAG_TOO_SHORT;
    } else if (out->frag_length > len) {
        out->problems |= NEWMAIL_RPCH_FRAG_PAST_END;
    } else {
        end = out->frag_length;
    }
    if (out->command_count > NEWMAIL_RPCH_MAX_COMMANDS)
        out->problems |= NEWMAIL_RPCH_TOO_MANY_COMMANDS;

    c = newmail_cursor(buf, NEWMAIL_RPCH_RTS_HEADER_LENGTH, end);
    while (out->commands_read < out->command_count &&
           out->commands_read < NEWMAIL_RPCH_MAX_COMMANDS) {
        newmail_rpch_cmd_t *cmd = &out->commands[out->commands_read];
        newmail_span_t type;

        if (!newmail_cursor_take(&c, 1, 4, &type)) {
            out->problems |= NEWMAIL_RPCH_COMMANDS_CUT;
            break;
        }
        cmd->type = newmail_u32(buf + type.offset, out->big_endian);
        if (!take_command_body(&c, cmd->type, out->big_endian, &cmd->body, &out->problems))
            break;
        out->commands_read++;
    }
    if (out->commands_read == out->command_count && c.pos < c.end &&
        !(out->problems & (NEWMAIL_RPCH_FRAG_TOO_SHORT | NEWMAIL_RPCH_FRAG_PAST_END)))
        out->problems |= NEWMAIL_RPCH_TRAILING_BYTES;
    classify(out);
    return out->problems;
}

/* Whether the n bytes at a equal the lower-case ASCII text b, ignoring case. */
static bool
ascii_case_equal(const uint8_t *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = a[i];

        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c - 'A' + 'a');
        if (c != (uint8_t)b[i])
            return false;
    }
    return true;
}

/* Where the n bytes of needle first occur in buf (len bytes) at or after
 * from, or len. */
static size_t
find_bytes(const uint8_t *buf, size_t len, size_t from, const char *needle, size_t n)
{
    while (from + n <= len) {
        const uint8_t *hit = (const uint8_t *)memchr(buf + from, needle[0], len - n + 1 - from);

        if (hit == NULL)
            break;
        from = (size_t)(hit - buf);
        if (memcmp(hit, needle, n) == 0)
            return from;
        from++;
    }
    return len;
}

bool
newmail_rpch_ends_with_in_data_header(const uint8_t *buf, size_t len)
{
    static const char method[] = "RPC_IN_DATA ";
    static const char blank_line[] = "\r\n\r\n";
    static const char field[] = "\r\ncontent-length:";
    const size_t blank_length = sizeof(blank_line) - 1;
    const size_t field_length = sizeof(field) - 1;
    size_t start, end, at;
    uint64_t value = 0;
    bool digits = false;

    if (len < blank_length || memcmp(buf + len - blank_length, blank_line, blank_length) != 0)
        return false;
    start = find_bytes(buf, len, 0, method, sizeof(method) - 1);
    if (start == len)
        return false;
    end = find_bytes(buf, len, start, blank_line, blank_length);
    if (end + blank_length != len)
        return false;
    /* The header's Content-Length field, the first one (end + 2: the
     * blank line's CRLF ends the last field). */
    for (at = start; at + field_length <= end + 2; at++) {
        if (buf[at] == '\r' && ascii_case_equal(buf + at, field, field_length))
            break;
    }
    if (at + field_length > end + 2)
        return false;
    at += field_length;
    while (at < end && (buf[at] == ' ' || buf[at] == '\t'))
        at++;
    for (; at < end + 2 && buf[at] >= '0' && buf[at] <= '9'; at++) {
        digits = true;
        if (value < NEWMAIL_RPCH_IN_DATA_MIN_LENGTH)
            value = value * 10 + (uint64_t)(buf[at] - '0');
    }
    return digits && value >= NEWMAIL_RPCH_IN_DATA_MIN_LENGTH;
}
