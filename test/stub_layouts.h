/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * stub_layouts.h: the EMSMDB and AsyncEMSMDB stubs newmail-parse.c reads,
 * field by field in wire order, written from MS-OXCRPC (3.1.4.1-3.1.4.5,
 * 3.3.4.1) rather than taken from the parser, so that test_parse.c and
 * fuzz/fuzz_stub.c check the parser against the specification. Header only:
 * each of the two includes its own copy.
 */
#ifndef NEWMAIL_STUB_LAYOUTS_H
#define NEWMAIL_STUB_LAYOUTS_H

#include <stddef.h>

#include "newmail-parse.h"

static const newmail_field_t req4_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE,  NEWMAIL_F_RPC,         NEWMAIL_F_CONTEXT_COUNT,  NEWMAIL_F_CONTEXT,
    NEWMAIL_F_CONTEXT_LENGTH,  NEWMAIL_F_ADVISE_BITS, NEWMAIL_F_CALLBACK_COUNT, NEWMAIL_F_CALLBACK,
    NEWMAIL_F_CALLBACK_LENGTH,
};
static const newmail_field_t resp4_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_NOTIFICATION_HANDLE, NEWMAIL_F_RETURN_VALUE};
static const newmail_field_t req5_fields[] = {NEWMAIL_F_CONTEXT_HANDLE,
                                              NEWMAIL_F_NOTIFICATION_HANDLE};
static const newmail_field_t resp5_fields[] = {NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_RETURN_VALUE};
static const newmail_field_t pcxh_fields[] = {NEWMAIL_F_CONTEXT_HANDLE};
static const newmail_field_t req11_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_RPC_FLAGS,   NEWMAIL_F_ROP_COUNT, NEWMAIL_F_ROP,
    NEWMAIL_F_ROP_LENGTH,     NEWMAIL_F_ROP_MAX_OUT, NEWMAIL_F_AUX_COUNT, NEWMAIL_F_AUX,
    NEWMAIL_F_AUX_LENGTH,     NEWMAIL_F_AUX_MAX_OUT,
};
static const newmail_field_t resp11_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_RPC_FLAGS,  NEWMAIL_F_ROP_COUNT,  NEWMAIL_F_ROP_OFFSET,
    NEWMAIL_F_ROP_ACTUAL,     NEWMAIL_F_ROP,        NEWMAIL_F_ROP_LENGTH, NEWMAIL_F_AUX_COUNT,
    NEWMAIL_F_AUX_OFFSET,     NEWMAIL_F_AUX_ACTUAL, NEWMAIL_F_AUX,        NEWMAIL_F_AUX_LENGTH,
    NEWMAIL_F_TRANS_TIME,     NEWMAIL_F_RETURN_VALUE,
};
/* EcDoRpc (opnum 2), deprecated: as stock Wireshark's MAPI IDL has it. */
static const newmail_field_t req2_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_ROP_COUNT,  NEWMAIL_F_ROP_OFFSET,   NEWMAIL_F_ROP_ACTUAL,
    NEWMAIL_F_ROP,            NEWMAIL_F_RPC_LENGTH, NEWMAIL_F_RPC_MAX_DATA,
};
static const newmail_field_t resp2_fields[] = {
    NEWMAIL_F_CONTEXT_HANDLE, NEWMAIL_F_ROP_COUNT,  NEWMAIL_F_ROP_OFFSET,   NEWMAIL_F_ROP_ACTUAL,
    NEWMAIL_F_ROP,            NEWMAIL_F_RPC_LENGTH, NEWMAIL_F_RETURN_VALUE,
};
static const newmail_field_t resp14_fields[] = {NEWMAIL_F_ASYNC_HANDLE, NEWMAIL_F_RETURN_VALUE};
static const newmail_field_t wait_req_fields[] = {NEWMAIL_F_ASYNC_HANDLE, NEWMAIL_F_FLAGS_IN};
static const newmail_field_t wait_resp_fields[] = {NEWMAIL_F_FLAGS_OUT, NEWMAIL_F_RETURN_VALUE};

typedef struct {
    const char *name;
    const newmail_field_t *fields;
    size_t count;
} stub_layout_t;

#define STUB_LAYOUT(name, fields) {(name), (fields), sizeof(fields) / sizeof((fields)[0])}

static const stub_layout_t stub_layouts[NEWMAIL_STUB_KIND_COUNT] = {
    [NEWMAIL_REGISTER_REQUEST] = STUB_LAYOUT("opnum 4 request", req4_fields),
    [NEWMAIL_REGISTER_RESPONSE] = STUB_LAYOUT("opnum 4 response", resp4_fields),
    [NEWMAIL_UNREGISTER_REQUEST] = STUB_LAYOUT("opnum 5 request", req5_fields),
    [NEWMAIL_UNREGISTER_RESPONSE] = STUB_LAYOUT("opnum 5 response", resp5_fields),
    [NEWMAIL_HANDLE_REQUEST] = STUB_LAYOUT("pcxh-only request", pcxh_fields),
    /* An EcDoConnect(Ex) response: the pcxh in order; its return value is
     * the stub's last four bytes, past fields the parser does not read. */
    [NEWMAIL_CONNECT_RESPONSE] = STUB_LAYOUT("connect response", pcxh_fields),
    [NEWMAIL_DISCONNECT_RESPONSE] = STUB_LAYOUT("opnum 1 response", resp5_fields),
    [NEWMAIL_RPC_EXT2_REQUEST] = STUB_LAYOUT("opnum 11 request", req11_fields),
    [NEWMAIL_RPC_EXT2_RESPONSE] = STUB_LAYOUT("opnum 11 response", resp11_fields),
    [NEWMAIL_ASYNC_CONNECT_RESPONSE] = STUB_LAYOUT("opnum 14 response", resp14_fields),
    [NEWMAIL_ASYNC_WAIT_REQUEST] = STUB_LAYOUT("EcDoAsyncWaitEx request", wait_req_fields),
    [NEWMAIL_ASYNC_WAIT_RESPONSE] = STUB_LAYOUT("EcDoAsyncWaitEx response", wait_resp_fields),
    [NEWMAIL_RPC_REQUEST] = STUB_LAYOUT("opnum 2 request", req2_fields),
    [NEWMAIL_RPC_RESPONSE] = STUB_LAYOUT("opnum 2 response", resp2_fields),
};

#endif /* NEWMAIL_STUB_LAYOUTS_H */
