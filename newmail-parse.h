/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * newmail-parse.h: bounds-checked readers for the EMSMDB push-notification
 * stubs and the Windows SOCKADDR that a registration carries.
 *
 * MS-OXCRPC 3.1.4.5 (EcRRegisterPushNotification, opnum 4) and
 * EcRUnregisterPushNotification (opnum 5), NDR encoded in the PDU's data
 * representation. Plain C with no Wireshark or GLib types, so that the unit
 * tests and the fuzzer drive exactly the code the dissector uses; the
 * dissector builds its tree from the result.
 */
#ifndef NEWMAIL_PARSE_H
#define NEWMAIL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEWMAIL_CONTEXT_HANDLE_LEN 20 /* uint32 attributes + 16-byte UUID */
#define NEWMAIL_ADVISE_BITS_ALL 0xFFFFFFFFu

#define NEWMAIL_AF_INET 2
#define NEWMAIL_AF_INET6 23
#define NEWMAIL_SOCKADDR_IN_LEN 16
#define NEWMAIL_SOCKADDR_IN6_LEN 28

/* The four stubs the plugin reads. */
typedef enum {
    NEWMAIL_REGISTER_REQUEST,
    NEWMAIL_REGISTER_RESPONSE,
    NEWMAIL_UNREGISTER_REQUEST,
    NEWMAIL_UNREGISTER_RESPONSE,
} newmail_stub_kind_t;

/* Every field of those stubs, in the order opnum 4's request has them, then
 * the ones only the other stubs have. */
typedef enum {
    NEWMAIL_F_CONTEXT_HANDLE,      /* pcxh */
    NEWMAIL_F_RPC,                 /* iRpc */
    NEWMAIL_F_CONTEXT_COUNT,       /* rgbContext's NDR conformance (max_count) */
    NEWMAIL_F_CONTEXT,             /* rgbContext's bytes */
    NEWMAIL_F_CONTEXT_LENGTH,      /* cbContext */
    NEWMAIL_F_ADVISE_BITS,         /* grbitAdviseBits */
    NEWMAIL_F_CALLBACK_COUNT,      /* rgbCallbackAddress's NDR conformance */
    NEWMAIL_F_CALLBACK,            /* rgbCallbackAddress's bytes: a SOCKADDR */
    NEWMAIL_F_CALLBACK_LENGTH,     /* cbCallbackAddress */
    NEWMAIL_F_NOTIFICATION_HANDLE, /* hNotification */
    NEWMAIL_F_RETURN_VALUE,
    NEWMAIL_F_COUNT
} newmail_field_t;

/* What can be wrong with a stub; several may hold at once. All but
 * NEWMAIL_PROBLEM_ADVISE_BITS make a registration malformed. */
enum {
    NEWMAIL_PROBLEM_TRUNCATED = 1u << 0,       /* the stub ends inside a field */
    NEWMAIL_PROBLEM_CONTEXT_LENGTH = 1u << 1,  /* cbContext differs from rgbContext's count */
    NEWMAIL_PROBLEM_CALLBACK_LENGTH = 1u << 2, /* cbCallbackAddress differs from its count */
    NEWMAIL_PROBLEM_FAMILY = 1u << 3,          /* neither AF_INET nor AF_INET6 */
    NEWMAIL_PROBLEM_SOCKADDR_SHORT = 1u << 4,  /* too short for its family */
    NEWMAIL_PROBLEM_PORT_ZERO = 1u << 5,
    NEWMAIL_PROBLEM_ADVISE_BITS = 1u << 6,     /* not 0xFFFFFFFF, as the spec requires */
};
#define NEWMAIL_PROBLEMS_MALFORMED (~(unsigned)NEWMAIL_PROBLEM_ADVISE_BITS)

/* Where something lies: offset from the start of the buffer given, and length. */
typedef struct {
    size_t offset;
    size_t length;
} newmail_span_t;

/* A Windows SOCKADDR_IN or SOCKADDR_IN6. Spans are relative to its first byte. */
typedef struct {
    uint16_t family;   /* little-endian on the wire */
    uint16_t port;     /* big-endian on the wire */
    uint8_t address[16]; /* the first 4 bytes for AF_INET */
    uint32_t flowinfo; /* AF_INET6 only, network byte order on the wire */
    uint32_t scope_id; /* AF_INET6 only, little-endian on the wire */
    newmail_span_t family_span, port_span, address_span, flowinfo_span, scope_id_span;
} newmail_sockaddr_t;

typedef struct {
    newmail_stub_kind_t kind;
    uint32_t fields_read; /* bit (1u << field) for each field read whole */
    unsigned problems;    /* NEWMAIL_PROBLEM_* */
    newmail_span_t span[NEWMAIL_F_COUNT];

    uint8_t context_handle[NEWMAIL_CONTEXT_HANDLE_LEN];
    uint32_t rpc;
    uint32_t context_count;
    const uint8_t *context; /* points into the stub; span[NEWMAIL_F_CONTEXT].length bytes */
    uint16_t context_length;
    uint32_t advise_bits;
    uint32_t callback_count;
    const uint8_t *callback; /* points into the stub */
    uint16_t callback_length;
    uint32_t notification_handle;
    uint32_t return_value;

    /* Decoded from the callback bytes when NEWMAIL_F_CALLBACK was read. */
    newmail_sockaddr_t sockaddr;
} newmail_stub_t;

/* Reads a stub of the given kind. Never reads outside stub[0, length); the
 * fields read before any truncation are valid in *out. Returns out->problems. */
unsigned newmail_parse_stub(newmail_stub_kind_t kind, const uint8_t *stub, size_t length,
                            bool big_endian, newmail_stub_t *out);

/* Reads a SOCKADDR of `length` bytes. Returns its NEWMAIL_PROBLEM_* bits
 * (FAMILY, SOCKADDR_SHORT, PORT_ZERO); the port and address are usable only
 * when it returns 0. */
unsigned newmail_parse_sockaddr(const uint8_t *bytes, size_t length, newmail_sockaddr_t *out);

static inline bool
newmail_stub_has(const newmail_stub_t *stub, newmail_field_t field)
{
    return (stub->fields_read & (1u << field)) != 0;
}

/* True when the stub is an opnum 4 request whose callback may be learned. */
static inline bool
newmail_stub_is_valid_registration(const newmail_stub_t *stub)
{
    return stub->kind == NEWMAIL_REGISTER_REQUEST &&
           (stub->problems & NEWMAIL_PROBLEMS_MALFORMED) == 0;
}

/* The field's name in MS-OXCRPC's IDL, for messages. */
const char *newmail_field_name(newmail_field_t field);

/* The first field of the stub's kind that was not read (where it was cut);
 * NEWMAIL_F_COUNT when every field was read. */
newmail_field_t newmail_stub_first_missing(const newmail_stub_t *stub);

#endif /* NEWMAIL_PARSE_H */
