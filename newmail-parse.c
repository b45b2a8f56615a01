/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-parse.c: the NDR reader for the EMSMDB push-notification stubs
 * (MS-OXCRPC 3.1.4.5, opnums 4 and 5), the SOCKADDR in rgbCallbackAddress,
 * and the parts of the session and AsyncEMSMDB stubs the plugin reads.
 *
 * The IDL of opnum 4's request, in wire order:
 *     [in, out, ref] CXH *pcxh;                       20 bytes
 *     [in] unsigned long iRpc;
 *     [in, size_is(cbContext)] unsigned char rgbContext[];
 *     [in] unsigned short cbContext;
 *     [in] unsigned long grbitAdviseBits;
 *     [in, size_is(cbCallbackAddress)] unsigned char rgbCallbackAddress[];
 *     [in] unsigned short cbCallbackAddress;
 * A conformant array travels as its uint32 max_count, then its bytes; a
 * conformant varying one ([out, length_is, size_is], rgbOut) as max_count,
 * offset and actual_count, then actual_count bytes.
 * Integers align to their size, counted from the stub start (NDR 14.2.2).
 *
 * EcDoRpcExt2 (3.1.4.2), request: pcxh, pulFlags, rgbIn, cbIn, pcbOut,
 * rgbAuxIn, cbAuxIn, pcbAuxOut; response: pcxh, pulFlags, rgbOut, pcbOut,
 * rgbAuxOut, pcbAuxOut, pulTransTime, return value. EcDoAsyncConnectEx
 * (3.1.4.4): request cxh; response pacxh, return value. EcDoAsyncWaitEx
 * (3.3.4.1): request acxh, ulFlagsIn; response pulFlagsOut, return value.
 * EcDoConnect(Ex) responses start with pcxh and end with the return value;
 * nothing between matters here.
 *
 * EcDoRpc (opnum 2), deprecated: MS-OXCRPC no longer gives its IDL. It is
 * read as stock Wireshark's MAPI IDL (mapi_EcDoRpc) and OpenChange lay it
 * out: request pcxh, Size, Offset (uint32 each), the ROP buffer (a uint32
 * length, then the bytes, XOR 0xA5), Length (uint16), Max Data (uint16);
 * response pcxh, Size, Offset, the ROP buffer, Length, return value. Size
 * and Offset are what NDR's max_count and offset of an [in, out, size_is,
 * length_is] array would be (EcGetMoreRpc, opnum 3, declares its buffer so),
 * but as no specification says so they are read, not judged.
 */
#include <string.h>

#include "newmail-parse.h"

/* The fields each stub holds, in wire order. */
static const newmail_field_t register_request_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_RPC,           NEWMAIL_F_CONTEXT_COUNT,
    NEWMAIL_F_CONTEXT,        NEWMAIL_F_CONTEXT_LENGTH, NEWMAIL_F_ADVISE_BITS,
    NEWMAIL_F_CALLBACK_COUNT, NEWMAIL_F_CALLBACK,       NEWMAIL_F_CALLBACK_LENGTH,
};
static const newmail_field_t register_response_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_NOTIFICATION_HANDLE, NEWMAIL_F_RETURN_VALUE,
};
static const newmail_field_t unregister_request_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_NOTIFICATION_HANDLE,
};
static const newmail_field_t unregister_response_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_RETURN_VALUE,
};
static const newmail_field_t handle_only_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE,
};
static const newmail_field_t rpc_ext2_request_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_RPC_FLAGS, NEWMAIL_F_ROP_COUNT,  NEWMAIL_F_ROP,
    NEWMAIL_F_ROP_LENGTH,     NEWMAIL_F_ROP_MAX_OUT, NEWMAIL_F_AUX_COUNT, NEWMAIL_F_AUX,
    NEWMAIL_F_AUX_LENGTH,     NEWMAIL_F_AUX_MAX_OUT,
};
static const newmail_field_t rpc_ext2_response_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_RPC_FLAGS,  NEWMAIL_F_ROP_COUNT,  NEWMAIL_F_ROP_OFFSET,
    NEWMAIL_F_ROP_ACTUAL,     NEWMAIL_F_ROP,        NEWMAIL_F_ROP_LENGTH, NEWMAIL_F_AUX_COUNT,
    NEWMAIL_F_AUX_OFFSET,     NEWMAIL_F_AUX_ACTUAL, NEWMAIL_F_AUX,        NEWMAIL_F_AUX_LENGTH,
    NEWMAIL_F_TRANS_TIME,     NEWMAIL_F_RETURN_VALUE,
};
static const newmail_field_t rpc_request_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_ROP_COUNT,  NEWMAIL_F_ROP_OFFSET,   NEWMAIL_F_ROP_ACTUAL,
    NEWMAIL_F_ROP,            NEWMAIL_F_RPC_LENGTH, NEWMAIL_F_RPC_MAX_DATA,
};
static const newmail_field_t rpc_response_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_ROP_COUNT,  NEWMAIL_F_ROP_OFFSET,   NEWMAIL_F_ROP_ACTUAL,
    NEWMAIL_F_ROP,            NEWMAIL_F_RPC_LENGTH, NEWMAIL_F_RETURN_VALUE,
};
static const newmail_field_t async_connect_response_fields[] = {
    NEWMAIL_F_ASYNC_HANDLE, NEWMAIL_F_RETURN_VALUE,
};
static const newmail_field_t async_wait_request_fields[] = {
    NEWMAIL_F_ASYNC_HANDLE, NEWMAIL_F_FLAGS_IN,
};
static const newmail_field_t async_wait_response_fields[] = {
    NEWMAIL_F_FLAGS_OUT, NEWMAIL_F_RETURN_VALUE,
};

typedef struct {
    const newmail_field_t *fields;
    size_t count;
} field_list_t;

#define FIELD_LIST(a) { (a), sizeof(a) / sizeof((a)[0]) }
static const field_list_t stub_layouts[] = {
    [NEWMAIL_REGISTER_REQUEST] = FIELD_LIST(register_request_fields),
    [NEWMAIL_REGISTER_RESPONSE] = FIELD_LIST(register_response_fields),
    [NEWMAIL_UNREGISTER_REQUEST] = FIELD_LIST(unregister_request_fields),
    [NEWMAIL_UNREGISTER_RESPONSE] = FIELD_LIST(unregister_response_fields),
    [NEWMAIL_HANDLE_REQUEST] = FIELD_LIST(handle_only_fields),
    [NEWMAIL_CONNECT_RESPONSE] = FIELD_LIST(handle_only_fields),
    [NEWMAIL_DISCONNECT_RESPONSE] = FIELD_LIST(unregister_response_fields),
    [NEWMAIL_RPC_EXT2_REQUEST] = FIELD_LIST(rpc_ext2_request_fields),
    [NEWMAIL_RPC_EXT2_RESPONSE] = FIELD_LIST(rpc_ext2_response_fields),
    [NEWMAIL_ASYNC_CONNECT_RESPONSE] = FIELD_LIST(async_connect_response_fields),
    [NEWMAIL_ASYNC_WAIT_REQUEST] = FIELD_LIST(async_wait_request_fields),
    [NEWMAIL_ASYNC_WAIT_RESPONSE] = FIELD_LIST(async_wait_response_fields),
    [NEWMAIL_RPC_REQUEST] = FIELD_LIST(rpc_request_fields),
    [NEWMAIL_RPC_RESPONSE] = FIELD_LIST(rpc_response_fields),
};

static const char *const field_names[NEWMAIL_F_COUNT] = {
    [NEWMAIL_F_CONTEXT_HANDLE] = "pcxh",
    [NEWMAIL_F_RPC] = "iRpc",
    [NEWMAIL_F_CONTEXT_COUNT] = "rgbContext's count",
    [NEWMAIL_F_CONTEXT] = "rgbContext",
    [NEWMAIL_F_CONTEXT_LENGTH] = "cbContext",
    [NEWMAIL_F_ADVISE_BITS] = "grbitAdviseBits",
    [NEWMAIL_F_CALLBACK_COUNT] = "rgbCallbackAddress's count",
    [NEWMAIL_F_CALLBACK] = "rgbCallbackAddress",
    [NEWMAIL_F_CALLBACK_LENGTH] = "cbCallbackAddress",
    [NEWMAIL_F_NOTIFICATION_HANDLE] = "hNotification",
    [NEWMAIL_F_RETURN_VALUE] = "return value",
    [NEWMAIL_F_ASYNC_HANDLE] = "acxh",
    [NEWMAIL_F_FLAGS_IN] = "ulFlagsIn",
    [NEWMAIL_F_FLAGS_OUT] = "pulFlagsOut",
    [NEWMAIL_F_RPC_FLAGS] = "pulFlags",
    [NEWMAIL_F_ROP_COUNT] = "the ROP buffer's count",
    [NEWMAIL_F_ROP_OFFSET] = "rgbOut's offset",
    [NEWMAIL_F_ROP_ACTUAL] = "rgbOut's actual count",
    [NEWMAIL_F_ROP] = "the ROP buffer",
    [NEWMAIL_F_ROP_LENGTH] = "the ROP buffer's length",
    [NEWMAIL_F_ROP_MAX_OUT] = "pcbOut",
    [NEWMAIL_F_AUX_COUNT] = "the auxiliary buffer's count",
    [NEWMAIL_F_AUX_OFFSET] = "rgbAuxOut's offset",
    [NEWMAIL_F_AUX_ACTUAL] = "rgbAuxOut's actual count",
    [NEWMAIL_F_AUX] = "the auxiliary buffer",
    [NEWMAIL_F_AUX_LENGTH] = "the auxiliary buffer's length",
    [NEWMAIL_F_AUX_MAX_OUT] = "pcbAuxOut",
    [NEWMAIL_F_TRANS_TIME] = "pulTransTime",
    [NEWMAIL_F_RPC_LENGTH] = "Length",
    [NEWMAIL_F_RPC_MAX_DATA] = "Max Data",
};

/* A read position in the stub, and the byte order of its integers. */
typedef struct {
    newmail_cursor_t at;
    bool big_endian;
} cursor_t;

/* Where a uint32 field is stored in out; read_field() calls it for those only. */
static uint32_t *
u32_slot(newmail_stub_t *out, newmail_field_t field)
{
    switch (field) {
    case NEWMAIL_F_RPC: return &out->rpc;
    case NEWMAIL_F_CONTEXT_COUNT: return &out->context_count;
    case NEWMAIL_F_ADVISE_BITS: return &out->advise_bits;
    case NEWMAIL_F_CALLBACK_COUNT: return &out->callback_count;
    case NEWMAIL_F_NOTIFICATION_HANDLE: return &out->notification_handle;
    case NEWMAIL_F_FLAGS_IN: return &out->flags_in;
    case NEWMAIL_F_FLAGS_OUT: return &out->flags_out;
    case NEWMAIL_F_RPC_FLAGS: return &out->rpc_flags;
    case NEWMAIL_F_ROP_COUNT: return &out->rop_count;
    case NEWMAIL_F_ROP_OFFSET: return &out->rop_offset;
    case NEWMAIL_F_ROP_ACTUAL: return &out->rop_actual;
    case NEWMAIL_F_ROP_LENGTH: return &out->rop_length;
    case NEWMAIL_F_ROP_MAX_OUT: return &out->rop_max_out;
    case NEWMAIL_F_AUX_COUNT: return &out->aux_count;
    case NEWMAIL_F_AUX_OFFSET: return &out->aux_offset;
    case NEWMAIL_F_AUX_ACTUAL: return &out->aux_actual;
    case NEWMAIL_F_AUX_LENGTH: return &out->aux_length;
    case NEWMAIL_F_AUX_MAX_OUT: return &out->aux_max_out;
    case NEWMAIL_F_TRANS_TIME: return &out->trans_time;
    default: return &out->return_value;
    }
}

/* The number of bytes a conformant (varying) array holds: EcDoRpcExt2's
 * response arrays and EcDoRpc's buffer carry actual_count. */
static uint32_t
array_bytes(const newmail_stub_t *out, newmail_field_t field)
{
    bool varying = out->kind == NEWMAIL_RPC_EXT2_RESPONSE || out->kind == NEWMAIL_RPC_REQUEST ||
                   out->kind == NEWMAIL_RPC_RESPONSE;

    if (field == NEWMAIL_F_ROP)
        return varying ? out->rop_actual : out->rop_count;
    return varying ? out->aux_actual : out->aux_count;
}

/* Reads one field into out; false when the stub is too short for it. */
static bool
read_field(cursor_t *cur, newmail_field_t field, newmail_stub_t *out)
{
    newmail_span_t *span = &out->span[field];

    switch (field) {
    case NEWMAIL_F_CONTEXT_HANDLE:
    case NEWMAIL_F_ASYNC_HANDLE:
        if (!newmail_cursor_take(&cur->at, 4, NEWMAIL_CONTEXT_HANDLE_LEN, span))
            return false;
        newmail_canonical_handle(cur->at.buf + span->offset, cur->big_endian,
                                 field == NEWMAIL_F_CONTEXT_HANDLE ? out->context_handle
                                                                   : out->async_handle);
        return true;
    case NEWMAIL_F_ROP:
    case NEWMAIL_F_AUX:
        if (!newmail_cursor_take(&cur->at, 1, array_bytes(out, field), span))
            return false;
        if (field == NEWMAIL_F_ROP)
            out->rop = cur->at.buf + span->offset;
        return true;
    case NEWMAIL_F_CONTEXT_LENGTH:
    case NEWMAIL_F_CALLBACK_LENGTH:
        if (!newmail_cursor_take(&cur->at, 2, 2, span))
            return false;
        *(field == NEWMAIL_F_CONTEXT_LENGTH ? &out->context_length : &out->callback_length) =
            newmail_u16(cur->at.buf + span->offset, cur->big_endian);
        return true;
    case NEWMAIL_F_RPC_LENGTH:
    case NEWMAIL_F_RPC_MAX_DATA:
        if (!newmail_cursor_take(&cur->at, 2, 2, span))
            return false;
        *(field == NEWMAIL_F_RPC_LENGTH ? &out->rop_length : &out->rop_max_out) =
            newmail_u16(cur->at.buf + span->offset, cur->big_endian);
        return true;
    case NEWMAIL_F_CONTEXT:
        if (!newmail_cursor_take(&cur->at, 1, out->context_count, span))
            return false;
        out->context = cur->at.buf + span->offset;
        return true;
    case NEWMAIL_F_CALLBACK:
        if (!newmail_cursor_take(&cur->at, 1, out->callback_count, span))
            return false;
        out->callback = cur->at.buf + span->offset;
        return true;
    default:
        if (!newmail_cursor_take(&cur->at, 4, 4, span))
            return false;
        *u32_slot(out, field) = newmail_u32(cur->at.buf + span->offset, cur->big_endian);
        return true;
    }
}

void
newmail_canonical_handle(const uint8_t wire[NEWMAIL_CONTEXT_HANDLE_LEN], bool big_endian,
                         uint8_t out[NEWMAIL_CONTEXT_HANDLE_LEN])
{
    /* attributes (4), then the UUID: Data1 (4), Data2 (2), Data3 (2), Data4 (8 bytes) */
    static const uint8_t integer_sizes[] = {4, 4, 2, 2};
    size_t at = 0;

    memcpy(out, wire, NEWMAIL_CONTEXT_HANDLE_LEN);
    if (!big_endian)
        return;
    for (size_t i = 0; i < sizeof(integer_sizes); i++) {
        for (size_t k = 0; k < integer_sizes[i]; k++)
            out[at + k] = wire[at + integer_sizes[i] - 1 - k];
        at += integer_sizes[i];
    }
}

bool
newmail_handle_is_null(const uint8_t handle[NEWMAIL_CONTEXT_HANDLE_LEN])
{
    for (size_t i = 0; i < NEWMAIL_CONTEXT_HANDLE_LEN; i++) {
        if (handle[i] != 0)
            return false;
    }
    return true;
}

/* EcDoConnect(Ex) responses: the return value is the last NDR item, so it
 * is the stub's last four bytes when the stub is a whole number of them. */
static void
read_trailing_return_value(cursor_t *cur, newmail_stub_t *out)
{
    if (cur->at.end < NEWMAIL_CONTEXT_HANDLE_LEN + 4 || cur->at.end % 4 != 0)
        return;
    out->span[NEWMAIL_F_RETURN_VALUE] = newmail_span(cur->at.end - 4, 4);
    out->return_value = newmail_u32(cur->at.buf + cur->at.end - 4, cur->big_endian);
    out->fields_read |= 1u << NEWMAIL_F_RETURN_VALUE;
}

unsigned
newmail_parse_sockaddr(const uint8_t *bytes, size_t length, newmail_sockaddr_t *out)
{
    memset(out, 0, sizeof(*out));
    if (length < 2)
        return NEWMAIL_PROBLEM_SOCKADDR_SHORT;

    out->family = newmail_u16(bytes, false);
    out->family_span = newmail_span(0, 2);
    switch (out->family) {
    case NEWMAIL_AF_INET:
        if (length < NEWMAIL_SOCKADDR_IN_LEN)
            return NEWMAIL_PROBLEM_SOCKADDR_SHORT;
        memcpy(out->address, bytes + 4, 4);
        out->address_span = newmail_span(4, 4);
        break;
    case NEWMAIL_AF_INET6:
        if (length < NEWMAIL_SOCKADDR_IN6_LEN)
            return NEWMAIL_PROBLEM_SOCKADDR_SHORT;
        out->flowinfo = newmail_u32(bytes + 4, true);
        out->flowinfo_span = newmail_span(4, 4);
        memcpy(out->address, bytes + 8, 16);
        out->address_span = newmail_span(8, 16);
        out->scope_id = newmail_u32(bytes + 24, false);
        out->scope_id_span = newmail_span(24, 4);
        break;
    default:
        return NEWMAIL_PROBLEM_FAMILY;
    }
    out->port = newmail_u16(bytes + 2, true);
    out->port_span = newmail_span(2, 2);
    return out->port == 0 ? NEWMAIL_PROBLEM_PORT_ZERO : 0;
}

unsigned
newmail_parse_stub(newmail_stub_kind_t kind, const uint8_t *stub, size_t length,
                   bool big_endian, newmail_stub_t *out)
{
    const field_list_t *layout = &stub_layouts[kind];
    cursor_t cur = { newmail_cursor(stub, 0, stub ? length : 0), big_endian };

    memset(out, 0, sizeof(*out));
    out->kind = kind;
    for (size_t i = 0; i < layout->count; i++) {
        if (!read_field(&cur, layout->fields[i], out)) {
            out->problems |= NEWMAIL_PROBLEM_TRUNCATED;
            break;
        }
        out->fields_read |= 1u << layout->fields[i];
    }

    if (newmail_stub_has(out, NEWMAIL_F_CONTEXT_LENGTH) &&
        out->context_length != out->context_count)
        out->problems |= NEWMAIL_PROBLEM_CONTEXT_LENGTH;
    if (newmail_stub_has(out, NEWMAIL_F_ADVISE_BITS) &&
        out->advise_bits != NEWMAIL_ADVISE_BITS_ALL)
        out->problems |= NEWMAIL_PROBLEM_ADVISE_BITS;
    if (newmail_stub_has(out, NEWMAIL_F_CALLBACK))
        out->problems |= newmail_parse_sockaddr(out->callback, out->callback_count, &out->sockaddr);
    if (newmail_stub_has(out, NEWMAIL_F_CALLBACK_LENGTH) &&
        out->callback_length != out->callback_count)
        out->problems |= NEWMAIL_PROBLEM_CALLBACK_LENGTH;
    if ((newmail_stub_has(out, NEWMAIL_F_ROP_LENGTH) ||
         newmail_stub_has(out, NEWMAIL_F_RPC_LENGTH)) &&
        out->rop_length != array_bytes(out, NEWMAIL_F_ROP))
        out->problems |= NEWMAIL_PROBLEM_ROP_LENGTH;
    if (kind == NEWMAIL_RPC_EXT2_RESPONSE && newmail_stub_has(out, NEWMAIL_F_ROP_ACTUAL) &&
        (out->rop_offset != 0 || out->rop_actual > out->rop_count))
        out->problems |= NEWMAIL_PROBLEM_ROP_VARYING;
    if (kind == NEWMAIL_CONNECT_RESPONSE && !(out->problems & NEWMAIL_PROBLEM_TRUNCATED))
        read_trailing_return_value(&cur, out);
    return out->problems;
}

const char *
newmail_field_name(newmail_field_t field)
{
    return field < NEWMAIL_F_COUNT ? field_names[field] : "end of stub";
}

newmail_field_t
newmail_stub_first_missing(const newmail_stub_t *stub)
{
    const field_list_t *layout = &stub_layouts[stub->kind];

    for (size_t i = 0; i < layout->count; i++) {
        if (!newmail_stub_has(stub, layout->fields[i]))
            return layout->fields[i];
    }
    return NEWMAIL_F_COUNT;
}
