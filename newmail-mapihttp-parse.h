/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-mapihttp-parse.h: bounds-checked readers for MAPI over HTTP
 * (MS-OXCMAPIHTTP) bodies, for the dissector registered for the media type
 * application/mapi-http.
 *
 *   2.2.2.2, 2.2.7, 3.2.5.2  the response body envelope: meta-tag lines
 *       PROCESSING, PENDING (repeated keep-alives), DONE, each CRLF-terminated;
 *       then additional header lines (X-ResponseCode, X-ElapsedTime,
 *       X-StartTime, ...) up to an empty line; then the binary response body
 *   2.2.3.3.1  the X-RequestType values, 2.2.3.3.2 X-RequestId ("{GUID}:counter",
 *       the GUID unique per session context and constant for its life),
 *       2.2.3.3.3 the X-ResponseCode values
 *   2.2.4      the EMSMDB (mailbox server endpoint) request and response bodies:
 *       2.2.4.1 Connect, 2.2.4.2 Execute, 2.2.4.3 Disconnect,
 *       2.2.4.4 NotificationWait; each response body either the success layout
 *       (StatusCode 0) or the common failure layout (StatusCode, auxiliary buffer)
 * All integers are little-endian. NSPI (address book) bodies are named, not read.
 *
 * Plain C11 with no Wireshark or GLib types, unit tested and fuzzed alone;
 * spans (offset, length) are from the start of the buffer given. A length
 * field that points past the body is reported, never followed.
 */
#ifndef NEWMAIL_MAPIHTTP_PARSE_H
#define NEWMAIL_MAPIHTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newmail-bytes.h"

/* ---- X-RequestType (2.2.3.3.1) ------------------------------------------------- */

typedef enum {
    NEWMAIL_MH_RT_UNKNOWN,
    /* mailbox server endpoint (/mapi/emsmdb/) */
    NEWMAIL_MH_RT_CONNECT,
    NEWMAIL_MH_RT_EXECUTE,
    NEWMAIL_MH_RT_DISCONNECT,
    NEWMAIL_MH_RT_NOTIFICATION_WAIT,
    /* both endpoints */
    NEWMAIL_MH_RT_PING,
    /* address book server endpoint (/mapi/nspi/) */
    NEWMAIL_MH_RT_BIND,
    NEWMAIL_MH_RT_UNBIND,
    NEWMAIL_MH_RT_COMPARE_MIDS,
    NEWMAIL_MH_RT_DN_TO_MID,
    NEWMAIL_MH_RT_GET_MATCHES,
    NEWMAIL_MH_RT_GET_PROP_LIST,
    NEWMAIL_MH_RT_GET_PROPS,
    NEWMAIL_MH_RT_GET_SPECIAL_TABLE,
    NEWMAIL_MH_RT_GET_TEMPLATE_INFO,
    NEWMAIL_MH_RT_MOD_LINK_ATT,
    NEWMAIL_MH_RT_MOD_PROPS,
    NEWMAIL_MH_RT_QUERY_COLUMNS,
    NEWMAIL_MH_RT_QUERY_ROWS,
    NEWMAIL_MH_RT_RESOLVE_NAMES,
    NEWMAIL_MH_RT_RESORT_RESTRICTION,
    NEWMAIL_MH_RT_SEEK_ENTRIES,
    NEWMAIL_MH_RT_UPDATE_STAT,
    NEWMAIL_MH_RT_GET_MAILBOX_URL,
    NEWMAIL_MH_RT_GET_ADDRESS_BOOK_URL,
    NEWMAIL_MH_RT_COUNT
} newmail_mh_request_type_t;

/* Which endpoint a request type belongs to. */
typedef enum {
    NEWMAIL_MH_ENDPOINT_NONE,   /* unknown request type */
    NEWMAIL_MH_ENDPOINT_EMSMDB, /* mailbox server endpoint */
    NEWMAIL_MH_ENDPOINT_NSPI,   /* address book server endpoint */
    NEWMAIL_MH_ENDPOINT_BOTH,   /* PING */
} newmail_mh_endpoint_t;

/* The request type an X-RequestType value names (the spec's spelling, e.g.
 * "NotificationWait", "PING", "CompareMIds", "DNToMId"; compared without
 * regard to ASCII case, surrounding spaces and tabs ignored). */
newmail_mh_request_type_t newmail_mh_request_type(const char *value, size_t len);

/* The header value of a request type ("NotificationWait"), "" for UNKNOWN. */
const char *newmail_mh_request_type_name(newmail_mh_request_type_t type);

newmail_mh_endpoint_t newmail_mh_request_type_endpoint(newmail_mh_request_type_t type);

/* The X-ResponseCode meaning (2.2.3.3.3: 0 "Success" to 18 "Endpoint Shutting
 * Down"), NULL for other values. */
const char *newmail_mh_response_code_name(uint32_t code);

/* ---- X-RequestId (2.2.3.3.2) and X-ResponseCode (2.2.3.3.3) header values ---------- */

#define NEWMAIL_MH_GUID_LEN 16

typedef struct {
    /* The GUID's 32 hex digits as 16 bytes, in the order the text writes
     * them (so equal GUIDs in either letter case are equal bytes). */
    uint8_t guid[NEWMAIL_MH_GUID_LEN];
    uint64_t counter;
} newmail_mh_request_id_t;

/* Reads an X-RequestId value, "{GUID}:counter": the GUID in its 8-4-4-4-12
 * hex form, braces optional, hex digits in either case; the counter 1 to 20
 * decimal digits that fit 64 bits; spaces and tabs around the value ignored.
 * False, and *out untouched, for anything else. */
bool newmail_mh_parse_request_id(const char *value, size_t len, newmail_mh_request_id_t *out);

/* Reads an X-ResponseCode value: a decimal uint32, spaces and tabs around it
 * ignored. False for anything else. */
bool newmail_mh_parse_response_code(const char *value, size_t len, uint32_t *code);

/* ---- the response envelope (2.2.7, 3.2.5.2) --------------------------------------- */

typedef enum {
    NEWMAIL_MH_META_PROCESSING,
    NEWMAIL_MH_META_PENDING,
    NEWMAIL_MH_META_DONE,
} newmail_mh_meta_tag_t;

/* One line of the envelope, as newmail_mh_next_line() cuts it. */
typedef struct {
    newmail_span_t line; /* the line without its CRLF (or bare LF) */
    size_t next;         /* where the next line starts */
    bool bare_lf;        /* ended by LF alone, not CRLF */
} newmail_mh_line_t;

/* Cuts the line starting at *pos; false when no complete line (no LF) is left.
 * On success *pos moves to the next line. */
bool newmail_mh_next_line(const uint8_t *buf, size_t len, size_t *pos, newmail_mh_line_t *line);

enum {
    NEWMAIL_MH_ENV_NO_DONE = 1u << 0,           /* no DONE line before the end or the first
                                                   line that is not a meta-tag */
    NEWMAIL_MH_ENV_JUNK = 1u << 1,              /* a line before DONE that is not a meta-tag
                                                   (the walk stops there: see junk) */
    NEWMAIL_MH_ENV_UNTERMINATED = 1u << 2,      /* after DONE, no empty line before the end */
    NEWMAIL_MH_ENV_HEADER_SYNTAX = 1u << 3,     /* a header line without ':' (kept as a header
                                                   with an empty name span) */
    NEWMAIL_MH_ENV_BARE_LF = 1u << 4,           /* a line ended by LF alone */
    NEWMAIL_MH_ENV_TOO_MANY = 1u << 5,          /* more lines than the arrays hold: counts are
                                                   right, the spans of the extra ones are not kept */
    NEWMAIL_MH_ENV_BAD_RESPONSE_CODE = 1u << 6, /* X-ResponseCode not a decimal uint32 */
};

#define NEWMAIL_MH_MAX_META 128
#define NEWMAIL_MH_MAX_HEADERS 32

typedef struct {
    newmail_mh_meta_tag_t tag;
    newmail_span_t span; /* the tag's text, without CRLF */
} newmail_mh_meta_t;

typedef struct {
    newmail_span_t line;  /* the whole header line, without CRLF */
    newmail_span_t name;  /* before ':' */
    newmail_span_t value; /* after ':', leading and trailing spaces/tabs removed */
} newmail_mh_header_t;

typedef struct {
    size_t meta_count;                           /* meta-tag lines seen (all of them) */
    size_t pending_count;                        /* of which PENDING */
    newmail_mh_meta_t meta[NEWMAIL_MH_MAX_META]; /* the first NEWMAIL_MH_MAX_META */
    bool done;                                   /* a DONE line was seen */
    size_t header_count;                         /* header lines after DONE (all of them) */
    newmail_mh_header_t header[NEWMAIL_MH_MAX_HEADERS];
    newmail_span_t blank;   /* the empty line that ends the headers (CRLF included) */
    bool has_body;          /* the empty line was seen; body is valid (may be empty) */
    newmail_span_t body;    /* the binary response body: after the empty line to the end */
    newmail_span_t junk;    /* with NEWMAIL_MH_ENV_JUNK: the offending line */
    bool has_response_code; /* an X-ResponseCode header with a decimal value */
    uint32_t response_code;
    int response_code_header; /* its index in header[], -1 if none (or not kept) */
    unsigned problems;        /* NEWMAIL_MH_ENV_* */
} newmail_mh_envelope_t;

/* Reads the envelope at the start of a (reassembled, de-chunked) response
 * body. Returns out->problems. */
unsigned newmail_mh_parse_envelope(const uint8_t *buf, size_t len, newmail_mh_envelope_t *out);

/* ---- the EMSMDB bodies (2.2.4) ---------------------------------------------------------- */

typedef enum {
    NEWMAIL_MH_CONNECT_REQUEST,
    NEWMAIL_MH_CONNECT_RESPONSE,
    NEWMAIL_MH_EXECUTE_REQUEST,
    NEWMAIL_MH_EXECUTE_RESPONSE,
    NEWMAIL_MH_DISCONNECT_REQUEST,
    NEWMAIL_MH_DISCONNECT_RESPONSE,
    NEWMAIL_MH_NOTIFICATION_WAIT_REQUEST,
    NEWMAIL_MH_NOTIFICATION_WAIT_RESPONSE,
    NEWMAIL_MH_BODY_KIND_COUNT
} newmail_mh_body_kind_t;

/* The body kind of a request type and direction; false for types whose
 * bodies are not read (PING has none, NSPI types are only named). */
bool newmail_mh_body_kind(newmail_mh_request_type_t type, bool response,
                          newmail_mh_body_kind_t *kind);

/* Every field of those bodies. Integer fields have their value in value[]. */
typedef enum {
    NEWMAIL_MHF_STATUS_CODE,       /* responses: 0 = success layout, else failure layout */
    NEWMAIL_MHF_ERROR_CODE,        /* success responses */
    NEWMAIL_MHF_USER_DN,           /* Connect request: ASCII, span without the NUL */
    NEWMAIL_MHF_FLAGS,             /* Connect/Execute/NotificationWait requests, Execute response */
    NEWMAIL_MHF_DEFAULT_CODE_PAGE, /* Connect request */
    NEWMAIL_MHF_LCID_SORT,
    NEWMAIL_MHF_LCID_STRING,
    NEWMAIL_MHF_POLLS_MAX, /* Connect success response */
    NEWMAIL_MHF_RETRY_COUNT,
    NEWMAIL_MHF_RETRY_DELAY,
    NEWMAIL_MHF_DN_PREFIX,       /* ASCII, span without the NUL */
    NEWMAIL_MHF_DISPLAY_NAME,    /* UTF-16LE, span without the 2-byte NUL */
    NEWMAIL_MHF_ROP_BUFFER_SIZE, /* Execute request and success response */
    NEWMAIL_MHF_ROP_BUFFER,      /* RPC_HEADER_EXT blocks: see newmail-rop.h */
    NEWMAIL_MHF_MAX_ROP_OUT,     /* Execute request */
    NEWMAIL_MHF_EVENT_PENDING,   /* NotificationWait success response: 1 = pending */
    NEWMAIL_MHF_AUX_BUFFER_SIZE, /* every body */
    NEWMAIL_MHF_AUX_BUFFER,      /* RPC_HEADER_EXT-prefixed auxiliary payload */
    NEWMAIL_MHF_COUNT
} newmail_mh_field_t;

enum {
    NEWMAIL_MH_BODY_TRUNCATED = 1u << 0,     /* the body ends inside a fixed-size field */
    NEWMAIL_MH_BODY_SIZE_PAST_END = 1u << 1, /* RopBufferSize or AuxiliaryBufferSize exceeds
                                                what is left: the buffer is not read, the
                                                walk stops */
    NEWMAIL_MH_BODY_UNTERMINATED = 1u << 2,  /* a string runs to the end of the body */
    NEWMAIL_MH_BODY_TRAILING = 1u << 3,      /* bytes after the last field (see trailing) */
    NEWMAIL_MH_BODY_RESERVED = 1u << 4,      /* a field the spec sets to 0 is not 0
                                                (NotificationWait request Flags, Execute
                                                response Flags) */
    NEWMAIL_MH_BODY_EVENT_PENDING = 1u << 5, /* EventPending neither 0 nor 1 */
    NEWMAIL_MH_BODY_EMPTY = 1u << 6,         /* no bytes at all; not an error for an
                                                Execute request (2.2.4.4.2 lets the client
                                                send an empty one), nor for a failure body
                                                (newmail_mh_parse_failure_body()), which
                                                then have no other problem bit */
    NEWMAIL_MH_BODY_STATUS_ZERO = 1u << 7,   /* a failure body whose StatusCode is 0
                                                ("MUST NOT be set to 0x00000000") */
};

typedef struct {
    newmail_mh_body_kind_t kind;
    bool failure;         /* a response with StatusCode != 0 (failure layout) */
    uint32_t fields_read; /* bit (1u << field) per NEWMAIL_MHF_* read whole */
    newmail_span_t span[NEWMAIL_MHF_COUNT];
    uint32_t value[NEWMAIL_MHF_COUNT];                         /* integer fields */
    size_t user_dn_chars, dn_prefix_chars, display_name_chars; /* before the terminator */
    newmail_span_t trailing;                                   /* with NEWMAIL_MH_BODY_TRAILING */
    unsigned problems;                                         /* NEWMAIL_MH_BODY_* */
} newmail_mh_body_t;

/* Reads an EMSMDB body (a response body is the part after the envelope's
 * empty line: env.body). Returns out->problems. */
unsigned newmail_mh_parse_body(newmail_mh_body_kind_t kind, const uint8_t *buf, size_t len,
                               newmail_mh_body_t *out);

/* Reads a response body with the failure layout (StatusCode,
 * AuxiliaryBufferSize, AuxiliaryBuffer: 2.2.4.1.3, 2.2.4.2.3, 2.2.4.3.3,
 * 2.2.4.4.3) whatever its StatusCode says: what a response carries when its
 * X-ResponseCode is not 0 (2.2.3.3.3: the body then holds the diagnostic
 * information, not the request type's response). out->failure is set; a
 * StatusCode of 0 is NEWMAIL_MH_BODY_STATUS_ZERO; an empty body only
 * NEWMAIL_MH_BODY_EMPTY. Returns out->problems. */
unsigned newmail_mh_parse_failure_body(newmail_mh_body_kind_t kind, const uint8_t *buf, size_t len,
                                       newmail_mh_body_t *out);

static inline bool
newmail_mh_body_has(const newmail_mh_body_t *b, newmail_mh_field_t f)
{
    return (b->fields_read & (1u << f)) != 0;
}

#endif /* NEWMAIL_MAPIHTTP_PARSE_H */
