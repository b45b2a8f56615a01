/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_rpch.c: libFuzzer target for newmail-rpch-parse.c, the reader of the
 * RTS PDUs of RPC over HTTP v2 (MS-RPCH).
 *
 * The input is the bytes an HTTP body or a channel hands the reader: one RTS
 * PDU, maybe followed by more. Beyond the sanitizers it checks what the
 * dissector relies on (commands back to back from the RTS header and inside
 * the PDU, at most NEWMAIL_RPCH_MAX_COMMANDS whatever the count says, a named
 * PDU only when nothing is wrong, its cookies inside it and the ones its
 * command list puts there, problem bits that match the header, determinism)
 * and aborts when one breaks. The same bytes also go to the RPC_IN_DATA
 * header reader: a header it finds ends the bytes with a blank line, and
 * the request line is in them.
 */
#include <string.h>

#include "newmail-rpch-parse.h"

#include "fuzz_invariants.h"

/* Command body sizes, written from MS-RPCH 2.2.3.5 rather than copied from
 * the reader; SIZE_MAX for the two with a length of their own. */
static size_t
spec_body_size(uint32_t type, const uint8_t *body)
{
    static const size_t fixed[] = { 4, 24, 4, 16, 4, 4, 4, 0, SIZE_MAX, 0, 0, SIZE_MAX, 16, 4, 4 };

    if (type == 8) /* Padding: ConformanceCount, then that many bytes */
        return 4 + (size_t)le32(body);
    if (type == 11) /* ClientAddress: AddressType (0 IPv4, 1 IPv6), address, 12 bytes */
        return 4 + (le32(body) == 1 ? 16 : 4) + 12;
    return fixed[type];
}

static bool
contains(const uint8_t *data, size_t size, const char *text, size_t length)
{
    for (size_t at = 0; at + length <= size; at++) {
        if (memcmp(data + at, text, length) == 0)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    newmail_rpch_pdu_t pdu, again;
    unsigned problems = newmail_rpch_read_pdu(data, size, &pdu);
    size_t end, at = NEWMAIL_RPCH_RTS_HEADER_LENGTH;

    if (newmail_rpch_ends_with_in_data_header(data, size)) {
        REQUIRE(size >= 4 && memcmp(data + size - 4, "\r\n\r\n", 4) == 0);
        REQUIRE(contains(data, size, "RPC_IN_DATA ", 12));
        REQUIRE(newmail_rpch_ends_with_in_data_header(data, size));
    }
    REQUIRE(problems == pdu.problems);
    REQUIRE(newmail_rpch_read_pdu(data, size, &again) == problems);
    REQUIRE(memcmp(&pdu, &again, sizeof(pdu)) == 0);
    (void)newmail_rpch_is_rts(data, size);
    if (size < NEWMAIL_RPCH_RTS_HEADER_LENGTH) {
        REQUIRE(problems == NEWMAIL_RPCH_TRUNCATED && pdu.commands_read == 0);
        REQUIRE(pdu.kind == NEWMAIL_RPCH_PDU_OTHER);
        return 0;
    }
    REQUIRE(!(problems & NEWMAIL_RPCH_TRUNCATED));
    REQUIRE(pdu.big_endian == ((data[4] & 0x10) == 0));
    REQUIRE(pdu.frag_length == (pdu.big_endian ? (unsigned)(data[8] << 8 | data[9]) : le16(data + 8)));
    REQUIRE(((problems & NEWMAIL_RPCH_FRAG_TOO_SHORT) != 0) ==
            (pdu.frag_length < NEWMAIL_RPCH_RTS_HEADER_LENGTH));
    REQUIRE(((problems & NEWMAIL_RPCH_FRAG_PAST_END) != 0) ==
            (pdu.frag_length >= NEWMAIL_RPCH_RTS_HEADER_LENGTH && pdu.frag_length > size));
    REQUIRE(((problems & NEWMAIL_RPCH_TOO_MANY_COMMANDS) != 0) ==
            (pdu.command_count > NEWMAIL_RPCH_MAX_COMMANDS));
    end = (problems & (NEWMAIL_RPCH_FRAG_TOO_SHORT | NEWMAIL_RPCH_FRAG_PAST_END)) ? size
                                                                                 : pdu.frag_length;
    REQUIRE(pdu.commands_read <= pdu.command_count);
    REQUIRE(pdu.commands_read <= NEWMAIL_RPCH_MAX_COMMANDS);
    /* Back to back from the RTS header, each the size the spec gives. */
    for (size_t i = 0; i < pdu.commands_read; i++) {
        const newmail_rpch_cmd_t *cmd = &pdu.commands[i];

        REQUIRE(cmd->type < NEWMAIL_RPCH_CMD_COUNT);
        REQUIRE(le32(data + at) == cmd->type || pdu.big_endian);
        REQUIRE(cmd->body.offset == at + 4);
        REQUIRE(span_within(cmd->body, 0, end));
        if (!pdu.big_endian)
            REQUIRE(cmd->body.length == spec_body_size(cmd->type, data + cmd->body.offset));
        at = cmd->body.offset + cmd->body.length;
    }
    /* A walk that stopped early says why. */
    if (pdu.commands_read < pdu.command_count && pdu.commands_read < NEWMAIL_RPCH_MAX_COMMANDS)
        REQUIRE(problems & (NEWMAIL_RPCH_COMMANDS_CUT | NEWMAIL_RPCH_UNKNOWN_COMMAND));
    if (pdu.kind != NEWMAIL_RPCH_PDU_OTHER) {
        REQUIRE((problems & ~(unsigned)(NEWMAIL_RPCH_AUTH_LENGTH | NEWMAIL_RPCH_TOO_MANY_COMMANDS)) ==
                0);
        REQUIRE(pdu.commands_read == pdu.command_count);
    }
    if (pdu.has_vc_cookie || pdu.has_channel_cookie) {
        REQUIRE(pdu.kind != NEWMAIL_RPCH_PDU_OTHER);
        REQUIRE(pdu.vc_cookie.length == 16 && span_within(pdu.vc_cookie, 0, end));
        REQUIRE(pdu.channel_cookie.length == 16 && span_within(pdu.channel_cookie, 0, end));
        REQUIRE(pdu.vc_cookie.offset == pdu.commands[1].body.offset);
        REQUIRE(pdu.commands[1].type == NEWMAIL_RPCH_CMD_COOKIE);
    }
    if (pdu.kind == NEWMAIL_RPCH_PDU_CONN_A1 || pdu.kind == NEWMAIL_RPCH_PDU_CONN_B1)
        REQUIRE(pdu.has_vc_cookie && pdu.has_channel_cookie && pdu.flags == 0);
    return 0;
}
