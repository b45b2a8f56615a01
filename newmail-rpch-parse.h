/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rpch-parse.h: a bounds-checked reader for the RTS PDUs of RPC over
 * HTTP v2 (MS-RPCH, "Outlook Anywhere"), for the dissector that ties the IN
 * and OUT channels of a virtual connection (packet-rpch-newmail.c).
 *
 *   2.2.3.6.1  the RTS PDU: the connection-oriented common header (version
 *       5.0, PTYPE 20, drep, frag_length, auth_length 0, call_id), Flags,
 *       NumberOfCommands, then the commands
 *   2.2.3.5    the commands: a 4-byte CommandType, then a body of fixed size
 *       (Padding and ClientAddress carry their own lengths)
 *   2.2.4      the PDUs this reader names by their flags and command list:
 *       CONN/A1 (2.2.4.2), CONN/A3 (2.2.4.4), CONN/B1 (2.2.4.5), CONN/C2
 *       (2.2.4.9), IN_R1/A1 and IN_R2/A1 (2.2.4.10, 2.2.4.18: one wire form),
 *       OUT_R1/A3 and OUT_R2/A3 (2.2.4.26, 2.2.4.36: one wire form)
 *
 * Plain C11 with no Wireshark or GLib types, fuzzed alone. It reads at most
 * the bytes given and at most NEWMAIL_RPCH_MAX_COMMANDS commands, whatever
 * NumberOfCommands says; a count or a length that points past the PDU is
 * reported as a problem bit, never followed.
 */
#ifndef NEWMAIL_RPCH_PARSE_H
#define NEWMAIL_RPCH_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newmail-bytes.h"

/* The connection-oriented common header (C706 12.6.3.1). */
#define NEWMAIL_RPCH_COMMON_HEADER_LENGTH 16
/* The RTS PDU header: the common header, Flags and NumberOfCommands. */
#define NEWMAIL_RPCH_RTS_HEADER_LENGTH 20
#define NEWMAIL_RPCH_PTYPE_RTS 20
/* No RTS PDU of MS-RPCH 2.2.4 has more than 8 commands; a reader that stops
 * here bounds its work whatever NumberOfCommands claims. */
#define NEWMAIL_RPCH_MAX_COMMANDS 32

/* RTS flags (2.2.3.6.1). */
#define NEWMAIL_RPCH_FLAG_NONE 0x0000
#define NEWMAIL_RPCH_FLAG_PING 0x0001
#define NEWMAIL_RPCH_FLAG_OTHER_CMD 0x0002
#define NEWMAIL_RPCH_FLAG_RECYCLE_CHANNEL 0x0004
#define NEWMAIL_RPCH_FLAG_IN_CHANNEL 0x0008
#define NEWMAIL_RPCH_FLAG_OUT_CHANNEL 0x0010
#define NEWMAIL_RPCH_FLAG_EOF 0x0020
#define NEWMAIL_RPCH_FLAG_ECHO 0x0040

/* Command types (2.2.3.5). */
typedef enum {
    NEWMAIL_RPCH_CMD_RECEIVE_WINDOW_SIZE = 0,
    NEWMAIL_RPCH_CMD_FLOW_CONTROL_ACK = 1,
    NEWMAIL_RPCH_CMD_CONNECTION_TIMEOUT = 2,
    NEWMAIL_RPCH_CMD_COOKIE = 3,
    NEWMAIL_RPCH_CMD_CHANNEL_LIFETIME = 4,
    NEWMAIL_RPCH_CMD_CLIENT_KEEPALIVE = 5,
    NEWMAIL_RPCH_CMD_VERSION = 6,
    NEWMAIL_RPCH_CMD_EMPTY = 7,
    NEWMAIL_RPCH_CMD_PADDING = 8,
    NEWMAIL_RPCH_CMD_NEGATIVE_ANCE = 9,
    NEWMAIL_RPCH_CMD_ANCE = 10,
    NEWMAIL_RPCH_CMD_CLIENT_ADDRESS = 11,
    NEWMAIL_RPCH_CMD_ASSOCIATION_GROUP_ID = 12,
    NEWMAIL_RPCH_CMD_DESTINATION = 13,
    NEWMAIL_RPCH_CMD_PING_TRAFFIC_SENT_NOTIFY = 14,
    NEWMAIL_RPCH_CMD_COUNT
} newmail_rpch_command_t;

/* What an RTS PDU is, by its flags and command list (2.2.4). */
typedef enum {
    NEWMAIL_RPCH_PDU_OTHER,      /* an RTS PDU this reader does not name */
    NEWMAIL_RPCH_PDU_CONN_A1,    /* client -> OUT channel: VC and OUT channel cookies */
    NEWMAIL_RPCH_PDU_CONN_A3,    /* OUT channel -> client: connection timeout */
    NEWMAIL_RPCH_PDU_CONN_B1,    /* client -> IN channel: VC and IN channel cookies */
    NEWMAIL_RPCH_PDU_CONN_C2,    /* OUT channel -> client: the connection is open */
    NEWMAIL_RPCH_PDU_IN_RECYCLE, /* IN_R1/A1 or IN_R2/A1: a successor IN channel */
    NEWMAIL_RPCH_PDU_OUT_RECYCLE /* OUT_R1/A3 or OUT_R2/A3: a successor OUT channel */
} newmail_rpch_pdu_kind_t;

/* Problem bits of newmail_rpch_read_pdu(). */
enum {
    NEWMAIL_RPCH_TRUNCATED = 1u << 0,       /* the bytes end inside the RTS header */
    NEWMAIL_RPCH_FRAG_TOO_SHORT = 1u << 1,  /* frag_length < the RTS header */
    NEWMAIL_RPCH_FRAG_PAST_END = 1u << 2,   /* frag_length > the bytes given */
    NEWMAIL_RPCH_COMMANDS_CUT = 1u << 3,    /* a command runs past frag_length */
    NEWMAIL_RPCH_TOO_MANY_COMMANDS = 1u << 4, /* NumberOfCommands > NEWMAIL_RPCH_MAX_COMMANDS */
    NEWMAIL_RPCH_UNKNOWN_COMMAND = 1u << 5, /* a CommandType past 14: the walk stops */
    NEWMAIL_RPCH_TRAILING_BYTES = 1u << 6,  /* bytes after the last command */
    NEWMAIL_RPCH_AUTH_LENGTH = 1u << 7,     /* auth_length is not 0 */
};

/* One command as read: its type, the span of its body (after the type). */
typedef struct {
    uint32_t type;
    newmail_span_t body;
} newmail_rpch_cmd_t;

typedef struct {
    bool big_endian;        /* drep: integer representation */
    uint16_t frag_length;   /* as the header says */
    uint16_t flags;
    uint16_t command_count; /* NumberOfCommands as the header says */
    size_t commands_read;   /* commands read whole, at most NEWMAIL_RPCH_MAX_COMMANDS */
    newmail_rpch_cmd_t commands[NEWMAIL_RPCH_MAX_COMMANDS];
    newmail_rpch_pdu_kind_t kind;
    /* For A1, B1 and the recycling PDUs: the VirtualConnectionCookie. */
    bool has_vc_cookie;
    newmail_span_t vc_cookie;
    /* A1: OutChannelCookie; B1: INChannelCookie; recycling: SuccessorChannelCookie. */
    bool has_channel_cookie;
    newmail_span_t channel_cookie;
    unsigned problems; /* NEWMAIL_RPCH_* */
} newmail_rpch_pdu_t;

/* Whether buf (len bytes) starts with the common header of an RTS PDU:
 * version 5.0, PTYPE 20, at least NEWMAIL_RPCH_COMMON_HEADER_LENGTH bytes. */
bool newmail_rpch_is_rts(const uint8_t *buf, size_t len);

/* frag_length of the connection-oriented PDU at buf (len >= 10), in its drep. */
uint16_t newmail_rpch_frag_length(const uint8_t *buf, size_t len);

/* Reads the RTS PDU at buf, whose len bytes may hold more than one PDU
 * (only frag_length bytes are read). Fills *out; returns out->problems.
 * Safe on any bytes; meaningful where newmail_rpch_is_rts() holds. */
unsigned newmail_rpch_read_pdu(const uint8_t *buf, size_t len, newmail_rpch_pdu_t *out);

/* The least Content-Length of an RPC_IN_DATA request for which HTTP waits
 * for no body (MS-RPCH 2.1.2.1.1 puts it between 128 KiB and 2 GiB;
 * Wireshark's req_resp_hdrs_do_reassembly() stops waiting from 128 KiB). */
#define NEWMAIL_RPCH_IN_DATA_MIN_LENGTH (128u * 1024u)

/* Whether buf (len bytes, e.g. a frame, its reassembled TCP data or a
 * decrypted TLS record) ends with the whole header of an RPC_IN_DATA request
 * (MS-RPCH 2.1.2.1.1) with no body byte behind it, and its Content-Length
 * is at least NEWMAIL_RPCH_IN_DATA_MIN_LENGTH: the header HTTP dissects
 * without waiting for the CONN/B1 the client sends apart. The request line
 * may start anywhere in buf (a frame has the lower layers' headers before
 * it); the first blank line after it must end buf. */
bool newmail_rpch_ends_with_in_data_header(const uint8_t *buf, size_t len);

#endif /* NEWMAIL_RPCH_PARSE_H */
