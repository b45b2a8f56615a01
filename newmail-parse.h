/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-parse.h: bounds-checked readers for the EMSMDB and AsyncEMSMDB
 * stubs the plugin reads, and the Windows SOCKADDR that a registration carries.
 *
 * MS-OXCRPC 3.1.4.5 (EcRRegisterPushNotification, opnum 4) and
 * EcRUnregisterPushNotification (opnum 5) in full; of the session calls
 * (3.1.4.1 EcDoConnectEx 10, 3.1.4.2 EcDoRpcExt2 11, 3.1.4.3 EcDoDisconnect 1,
 * 3.1.4.4 EcDoAsyncConnectEx 14, 3.3.4.1 EcDoAsyncWaitEx) what names the
 * session and what carries the ROP buffers. NDR encoded in the PDU's data
 * representation. Plain C with no Wireshark or GLib types, so that the unit
 * tests and the fuzzer drive exactly the code the dissector uses; the
 * dissector builds its tree from the result.
 */
#ifndef NEWMAIL_PARSE_H
#define NEWMAIL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newmail-bytes.h"

#define NEWMAIL_CONTEXT_HANDLE_LEN 20 /* uint32 attributes + 16-byte UUID */
#define NEWMAIL_ADVISE_BITS_ALL 0xFFFFFFFFu

#define NEWMAIL_AF_INET 2
#define NEWMAIL_AF_INET6 23
#define NEWMAIL_SOCKADDR_IN_LEN 16
#define NEWMAIL_SOCKADDR_IN6_LEN 28

/* The stubs the plugin reads. */
typedef enum {
    NEWMAIL_REGISTER_REQUEST,     /* opnum 4 */
    NEWMAIL_REGISTER_RESPONSE,
    NEWMAIL_UNREGISTER_REQUEST,   /* opnum 5 */
    NEWMAIL_UNREGISTER_RESPONSE,
    NEWMAIL_HANDLE_REQUEST,       /* opnums 1, 2 and 14: the leading pcxh only */
    NEWMAIL_CONNECT_RESPONSE,     /* opnums 0 and 10: pcxh, and the return value last */
    NEWMAIL_DISCONNECT_RESPONSE,  /* opnum 1: pcxh, return value */
    NEWMAIL_RPC_EXT2_REQUEST,     /* opnum 11 */
    NEWMAIL_RPC_EXT2_RESPONSE,
    NEWMAIL_ASYNC_CONNECT_RESPONSE, /* opnum 14: pacxh, return value */
    NEWMAIL_ASYNC_WAIT_REQUEST,   /* AsyncEMSMDB opnum 0 */
    NEWMAIL_ASYNC_WAIT_RESPONSE,
    NEWMAIL_RPC_REQUEST,          /* opnum 2 (EcDoRpc) */
    NEWMAIL_RPC_RESPONSE,
    NEWMAIL_STUB_KIND_COUNT
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
    NEWMAIL_F_ASYNC_HANDLE,        /* acxh, or the pacxh opnum 14 returns */
    NEWMAIL_F_FLAGS_IN,            /* ulFlagsIn */
    NEWMAIL_F_FLAGS_OUT,           /* pulFlagsOut */
    NEWMAIL_F_RPC_FLAGS,           /* pulFlags of EcDoRpcExt2 */
    NEWMAIL_F_ROP_COUNT,           /* rgbIn's or rgbOut's max_count */
    NEWMAIL_F_ROP_OFFSET,          /* rgbOut's NDR offset */
    NEWMAIL_F_ROP_ACTUAL,          /* rgbOut's actual_count */
    NEWMAIL_F_ROP,                 /* rgbIn's or rgbOut's bytes: RPC_HEADER_EXT blocks */
    NEWMAIL_F_ROP_LENGTH,          /* cbIn, or pcbOut in a response */
    NEWMAIL_F_ROP_MAX_OUT,         /* pcbOut in a request */
    NEWMAIL_F_AUX_COUNT,           /* rgbAuxIn's or rgbAuxOut's max_count */
    NEWMAIL_F_AUX_OFFSET,
    NEWMAIL_F_AUX_ACTUAL,
    NEWMAIL_F_AUX,                 /* rgbAuxIn's or rgbAuxOut's bytes */
    NEWMAIL_F_AUX_LENGTH,          /* cbAuxIn, or pcbAuxOut in a response */
    NEWMAIL_F_AUX_MAX_OUT,         /* pcbAuxOut in a request */
    NEWMAIL_F_TRANS_TIME,          /* pulTransTime */
    NEWMAIL_F_RPC_LENGTH,          /* EcDoRpc: Length (uint16), the ROP buffer's length */
    NEWMAIL_F_RPC_MAX_DATA,        /* EcDoRpc request: Max Data (uint16), the most its
                                      response's ROP buffer may hold */
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
    NEWMAIL_PROBLEM_ROP_LENGTH = 1u << 7,      /* cbIn/pcbOut (EcDoRpc: Length) differ from
                                                  the array's count */
    NEWMAIL_PROBLEM_ROP_VARYING = 1u << 8,     /* EcDoRpcExt2: rgbOut's offset is not 0 or
                                                  its actual count exceeds its max_count */
};
#define NEWMAIL_PROBLEMS_MALFORMED (~(unsigned)NEWMAIL_PROBLEM_ADVISE_BITS)


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
    uint8_t async_handle[NEWMAIL_CONTEXT_HANDLE_LEN];
    uint32_t flags_in, flags_out, rpc_flags;
    uint32_t rop_count, rop_offset, rop_actual, rop_length, rop_max_out; /* EcDoRpc: Size,
                                        Offset, the buffer's length, Length, Max Data */
    const uint8_t *rop; /* points into the stub; span[NEWMAIL_F_ROP].length bytes */
    uint32_t aux_count, aux_offset, aux_actual, aux_length, aux_max_out;
    uint32_t trans_time;

    /* Decoded from the callback bytes when NEWMAIL_F_CALLBACK was read. */
    newmail_sockaddr_t sockaddr;
} newmail_stub_t;

/* Reads a stub of the given kind. Context handles (pcxh, acxh) are stored
 * in the canonical form of newmail_canonical_handle(), so a handle compares
 * equal whichever byte order carried it; their spans still point at the
 * wire bytes. Never reads outside stub[0, length); the
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

/* A context handle (uint32 attributes and a UUID, NDR encoded) in one byte
 * order whatever the stub's: attributes and the UUID's first three fields
 * little-endian, as a little-endian stub carries them. */
void newmail_canonical_handle(const uint8_t wire[NEWMAIL_CONTEXT_HANDLE_LEN], bool big_endian,
                              uint8_t out[NEWMAIL_CONTEXT_HANDLE_LEN]);

/* A handle of all zeroes: a failed connect or a closed session returns it. */
bool newmail_handle_is_null(const uint8_t handle[NEWMAIL_CONTEXT_HANDLE_LEN]);

/* The field's name in MS-OXCRPC's IDL, for messages. */
const char *newmail_field_name(newmail_field_t field);

/* The first field of the stub's kind that was not read (where it was cut);
 * NEWMAIL_F_COUNT when every field was read. */
newmail_field_t newmail_stub_first_missing(const newmail_stub_t *stub);

#endif /* NEWMAIL_PARSE_H */
