/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * newmail-mapi.c: the EMSMDB calls that make and use an Exchange session
 * over RPC, and AsyncEMSMDB (MS-OXCRPC 3.1.4 and 3.3.4).
 *
 * EMSMDB (a4f1db00-ca47-1067-b31f-00dd010662da v0.81): EcDoConnect (0) and
 * EcDoConnectEx (10) return the session context handle (CXH) that every
 * later call passes first; EcDoRpc (2) and EcDoRpcExt2 (11) carry ROP
 * buffers, and so fetch pending notifications; EcDoDisconnect (1) ends the
 * session; EcRRegisterPushNotification (4) and EcRUnregisterPushNotification
 * (5) set up UDP notifications; EcDoAsyncConnectEx (14) issues the
 * asynchronous handle (ACXH) for AsyncEMSMDB.
 *
 * AsyncEMSMDB (5261574a-4572-206e-b268-6b199213b4e4 v0.1): EcDoAsyncWaitEx
 * (opnum 0), parked by the server until events are pending
 * (NotificationPending) or five minutes pass.
 *
 * Stock Wireshark's MAPI dissector decodes EMSMDB (opnums 0-9 in 4.0, more
 * from 4.2); its trees stay exactly as they are: the plugin points the
 * interface at a copy of stock's opnum table whose entries for the opnums
 * above call stock's function first, then add a NEWMAIL subtree from the
 * plugin's own parse (newmail-parse.c). Opnums stock does not know get an
 * entry with their name. No Wireshark decodes AsyncEMSMDB, so the plugin
 * registers it (filter asyncemsmdb) unless the running Wireshark has it.
 */
#include <string.h>

#include <epan/expert.h>
#include <epan/exceptions.h>
#include <epan/packet.h>
#include <epan/proto_data.h>
#include <epan/to_str.h>
#include <epan/dissectors/packet-dcerpc.h>

#include "newmail-links.h"
#include "newmail-parse.h"
#include "newmail-registration.h"
#include "newmail-rop-tree.h"
#include "newmail-session.h"
#include "packet-newmail.h"

/* On the EMSMDB calls */
static int hf_newmail_register = -1;
static int hf_newmail_unregister = -1;
static int hf_newmail_session = -1;
static int hf_newmail_cxh = -1;
static int hf_newmail_context = -1;
static int hf_newmail_context_length = -1;
static int hf_newmail_advise_bits = -1;
static int hf_newmail_callback = -1;
static int hf_newmail_callback_family = -1;
static int hf_newmail_callback_port = -1;
static int hf_newmail_callback_ipv4 = -1;
static int hf_newmail_callback_ipv6 = -1;
static int hf_newmail_callback_flowinfo = -1;
static int hf_newmail_callback_scope_id = -1;
static int hf_newmail_callback_length = -1;
static int hf_newmail_handle = -1;
static int hf_newmail_return_code = -1;
static int hf_newmail_request_frame = -1;
static int hf_newmail_response_frame = -1;
static int hf_newmail_registration_frame = -1;
static int hf_newmail_notification_count = -1;
static int hf_newmail_first_notification_frame = -1;
static int hf_newmail_end_frame = -1;
/* AsyncEMSMDB and EcDoAsyncConnectEx */
static int hf_newmail_async_acxh = -1;
static int hf_newmail_async_flags_in = -1;
static int hf_newmail_async_flags_out = -1;
static int hf_newmail_async_pending = -1;
static int hf_newmail_async_connect_frame = -1;
static int hf_newmail_async_wait_time = -1;

static gint ett_newmail_call = -1;
static gint ett_newmail_callback = -1;
static gint ett_newmail_async_flags = -1;

static expert_field ei_newmail_stub_truncated = EI_INIT;
static expert_field ei_newmail_context_length_mismatch = EI_INIT;
static expert_field ei_newmail_callback_length_mismatch = EI_INIT;
static expert_field ei_newmail_callback_family = EI_INIT;
static expert_field ei_newmail_callback_short = EI_INIT;
static expert_field ei_newmail_callback_port_zero = EI_INIT;
static expert_field ei_newmail_callback_not_source = EI_INIT;
static expert_field ei_newmail_advise_bits = EI_INIT;
static expert_field ei_newmail_registration_failed = EI_INIT;
static expert_field ei_newmail_unknown_handle = EI_INIT;
static expert_field ei_newmail_async_unknown_handle = EI_INIT;
static expert_field ei_newmail_rop_length = EI_INIT;

static const value_string callback_family_vals[] = {
    { NEWMAIL_AF_INET, "AF_INET" },
    { NEWMAIL_AF_INET6, "AF_INET6" },
    { 0, NULL }
};

/* MS-OXCDATA 2.4: the codes these calls return in practice. */
static const value_string return_code_vals[] = {
    { 0x00000000, "Success" },
    { 0x80040111, "ecLoginFailure" },
    { 0x80040115, "ecNetwork" },
    { 0x000004B6, "ecRpcFormat" },
    { 0x80070057, "ecInvalidParam" },
    { 0x8004010F, "ecNotFound" },
    { 0x80040102, "ecNotSupported" },
    { 0x8007000E, "ecOutOfMemory" },
    { 0x00000005, "ecAccessDenied" },
    { 0x000006BB, "ecServerTooBusy" },
    { 0, NULL }
};

static e_guid_t uuid_emsmdb = { 0xa4f1db00, 0xca47, 0x1067,
                                { 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda } };
static e_guid_t uuid_async_emsmdb = { 0x5261574a, 0x4572, 0x206e,
                                      { 0xb2, 0x68, 0x6b, 0x19, 0x92, 0x13, 0xb4, 0xe4 } };
#define EMSMDB_VERSION 0       /* 0.81: DCE/RPC matches the major version */
#define ASYNC_EMSMDB_VERSION 0 /* 0.1 */

enum {
    OPNUM_CONNECT = 0,
    OPNUM_DISCONNECT = 1,
    OPNUM_RPC = 2,
    OPNUM_REGISTER = 4,
    OPNUM_UNREGISTER = 5,
    OPNUM_CONNECT_EX = 10,
    OPNUM_RPC_EXT2 = 11,
    OPNUM_ASYNC_CONNECT_EX = 14,
    OPNUM_ASYNC_WAIT = 0, /* AsyncEMSMDB */
};

/* What the plugin keeps of a call other than opnum 4 or 5 (a registration
 * is those calls' record), keyed by DCE/RPC's call: the request's session
 * for a response that names none, and an async wait's handle. */
typedef struct {
    newmail_session_t *session;
    newmail_async_handle_t *async;
    guint32 previous_signal; /* an async wait's response: the handle's signal before */
    uint32_t rop_max_out;    /* EcDoRpcExt2: the request's pcbOut, 0 when not seen */
} call_record_t;

static wmem_map_t *call_records; /* dcerpc_call_value * -> call_record_t */

static void
newmail_mapi_init(void)
{
    call_records = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
}

/* The call's record: made by the first pass at the request, found after. */
static call_record_t *
call_record(const packet_info *pinfo, const dcerpc_info *di)
{
    call_record_t *record;

    if (di->call_data == NULL)
        return NULL;
    record = (call_record_t *)wmem_map_lookup(call_records, di->call_data);
    if (record == NULL && !PINFO_FD_VISITED(pinfo)) {
        record = wmem_new0(wmem_file_scope(), call_record_t);
        wmem_map_insert(call_records, di->call_data, record);
    }
    return record;
}

/* ---- Common items --------------------------------------------------------------- */

static proto_item *
add_stub_item(proto_tree *tree, int hf, tvbuff_t *tvb, int stub_offset, const newmail_stub_t *stub,
              newmail_field_t field, const guint encoding)
{
    return proto_tree_add_item(tree, hf, tvb, stub_offset + (int)stub->span[field].offset,
                               (int)stub->span[field].length, encoding);
}

static void
add_call_links(proto_tree *tree, tvbuff_t *tvb, const dcerpc_info *di, gboolean request)
{
    if (di->call_data == NULL)
        return;
    if (request)
        newmail_add_frame_link(tree, hf_newmail_response_frame, tvb, di->call_data->rep_frame);
    else
        newmail_add_frame_link(tree, hf_newmail_request_frame, tvb, di->call_data->req_frame);
}

static void
add_return_code(proto_tree *tree, tvbuff_t *tvb, int offset, const newmail_stub_t *stub,
                guint encoding)
{
    if (newmail_stub_has(stub, NEWMAIL_F_RETURN_VALUE))
        add_stub_item(tree, hf_newmail_return_code, tvb, offset, stub, NEWMAIL_F_RETURN_VALUE,
                      encoding);
}

/* Where the last field the parser read ends, from the stub's start. */
static int
stub_end(int offset, const newmail_stub_t *stub)
{
    size_t end = 0;

    for (int f = 0; f < NEWMAIL_F_COUNT; f++) {
        if (newmail_stub_has(stub, (newmail_field_t)f))
            end = MAX(end, stub->span[f].offset + stub->span[f].length);
    }
    return offset + (int)end;
}

static void
add_truncation(packet_info *pinfo, proto_item *ti, const newmail_stub_t *stub, const char *consequence)
{
    if (stub->problems & NEWMAIL_PROBLEM_TRUNCATED)
        expert_add_info_format(pinfo, ti, &ei_newmail_stub_truncated, "Stub ends inside %s%s",
                               newmail_field_name(newmail_stub_first_missing(stub)), consequence);
}

/* ---- EcRRegisterPushNotification and EcRUnregisterPushNotification -------------- */

/* The callback SOCKADDR's subtree; it says what was wrong with it, if
 * anything. Returns its item. */
static proto_item *
add_callback(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, int stub_offset,
             const newmail_stub_t *stub)
{
    const newmail_sockaddr_t *sockaddr = &stub->sockaddr;
    int base = stub_offset + (int)stub->span[NEWMAIL_F_CALLBACK].offset;
    proto_item *ti;
    proto_tree *callback_tree;

    ti = add_stub_item(tree, hf_newmail_callback, tvb, stub_offset, stub, NEWMAIL_F_CALLBACK, ENC_NA);
    callback_tree = proto_item_add_subtree(ti, ett_newmail_callback);
    if (stub->problems & NEWMAIL_PROBLEM_SOCKADDR_SHORT) {
        expert_add_info_format(pinfo, ti, &ei_newmail_callback_short,
                               "SOCKADDR of %u bytes is too short for its family; no port learned",
                               stub->callback_count);
        if (stub->callback_count < 2)
            return ti;
    }
    proto_tree_add_item(callback_tree, hf_newmail_callback_family, tvb, base, 2, ENC_LITTLE_ENDIAN);
    if (stub->problems & NEWMAIL_PROBLEM_FAMILY) {
        expert_add_info_format(pinfo, ti, &ei_newmail_callback_family,
                               "Unknown address family %u; no port learned", sockaddr->family);
        return ti;
    }
    if (stub->problems & NEWMAIL_PROBLEM_SOCKADDR_SHORT)
        return ti;

    proto_item_append_text(ti, ": %s",
                           newmail_endpoint_to_str(pinfo->pool, sockaddr->family, sockaddr->address,
                                                   sockaddr->port));
    proto_tree_add_item(callback_tree, hf_newmail_callback_port, tvb,
                        base + (int)sockaddr->port_span.offset, 2, ENC_BIG_ENDIAN);
    if (sockaddr->family == NEWMAIL_AF_INET) {
        proto_tree_add_item(callback_tree, hf_newmail_callback_ipv4, tvb,
                            base + (int)sockaddr->address_span.offset, 4, ENC_NA);
    } else {
        proto_tree_add_item(callback_tree, hf_newmail_callback_flowinfo, tvb,
                            base + (int)sockaddr->flowinfo_span.offset, 4, ENC_BIG_ENDIAN);
        proto_tree_add_item(callback_tree, hf_newmail_callback_ipv6, tvb,
                            base + (int)sockaddr->address_span.offset, 16, ENC_NA);
        proto_tree_add_item(callback_tree, hf_newmail_callback_scope_id, tvb,
                            base + (int)sockaddr->scope_id_span.offset, 4, ENC_LITTLE_ENDIAN);
    }
    if (stub->problems & NEWMAIL_PROBLEM_PORT_ZERO)
        expert_add_info(pinfo, ti, &ei_newmail_callback_port_zero);
    return ti;
}

/* A specific callback address other than the one the request came from
 * (NAT, another interface): the server sends where it may not reach. */
static void
check_callback_source(proto_item *callback_item, packet_info *pinfo, const newmail_stub_t *stub)
{
    static const guint8 zeroes[16];
    const newmail_sockaddr_t *sockaddr = &stub->sockaddr;
    size_t length = sockaddr->family == NEWMAIL_AF_INET ? 4 : 16;
    int type = sockaddr->family == NEWMAIL_AF_INET ? AT_IPv4 : AT_IPv6;

    if (memcmp(sockaddr->address, zeroes, length) == 0)
        return;
    if (pinfo->src.type == type && pinfo->src.len == (int)length &&
        memcmp(pinfo->src.data, sockaddr->address, length) == 0)
        return;
    expert_add_info_format(pinfo, callback_item, &ei_newmail_callback_not_source,
                           "The callback address %s is not the address this request came from"
                           " (%s): notifications go where the server may not reach",
                           newmail_endpoint_to_str(pinfo->pool, sockaddr->family, sockaddr->address,
                                                   sockaddr->port),
                           address_to_str(pinfo->pool, &pinfo->src));
}

/* The link from a notification-count line to the first notification and
 * the count itself are complete only once the first pass is over. */
static void
add_registration_summary(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                         const newmail_registration_t *registration)
{
    if (PINFO_FD_VISITED(pinfo)) {
        proto_item_set_generated(proto_tree_add_uint(tree, hf_newmail_notification_count, tvb,
                                                     0, 0, registration->notification_count));
        if (registration->notification_count > 0)
            newmail_add_frame_link(tree, hf_newmail_first_notification_frame, tvb,
                                   registration->notifications[0].frame);
    }
    newmail_add_frame_link(tree, hf_newmail_end_frame, tvb, registration->end_frame);
}

static void
add_register_request(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                     dcerpc_info *di, const newmail_stub_t *stub, guint encoding)
{
    newmail_registration_t *registration = NULL;
    newmail_session_t *session = NULL;
    newmail_tap_info_t tap = {0};
    proto_item *item, *callback_item = NULL;

    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_HANDLE))
        session = newmail_session_by_handle(stub->context_handle, pinfo);
    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT))
        add_stub_item(tree, hf_newmail_context, tvb, offset, stub, NEWMAIL_F_CONTEXT, ENC_NA);
    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_LENGTH)) {
        item = add_stub_item(tree, hf_newmail_context_length, tvb, offset, stub,
                             NEWMAIL_F_CONTEXT_LENGTH, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_CONTEXT_LENGTH)
            expert_add_info_format(pinfo, item, &ei_newmail_context_length_mismatch,
                                   "cbContext %u differs from rgbContext's count %u; no port learned",
                                   stub->context_length, stub->context_count);
    }
    if (newmail_stub_has(stub, NEWMAIL_F_ADVISE_BITS)) {
        item = add_stub_item(tree, hf_newmail_advise_bits, tvb, offset, stub,
                             NEWMAIL_F_ADVISE_BITS, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_ADVISE_BITS)
            expert_add_info(pinfo, item, &ei_newmail_advise_bits);
    }
    if (newmail_stub_has(stub, NEWMAIL_F_CALLBACK))
        callback_item = add_callback(tree, tvb, pinfo, offset, stub);
    if (newmail_stub_has(stub, NEWMAIL_F_CALLBACK_LENGTH)) {
        item = add_stub_item(tree, hf_newmail_callback_length, tvb, offset, stub,
                             NEWMAIL_F_CALLBACK_LENGTH, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_CALLBACK_LENGTH)
            expert_add_info_format(pinfo, item, &ei_newmail_callback_length_mismatch,
                                   "cbCallbackAddress %u differs from rgbCallbackAddress's count %u;"
                                   " no port learned",
                                   stub->callback_length, stub->callback_count);
    }
    newmail_add_session_link(tree, tvb, session);
    add_call_links(tree, tvb, di, TRUE);
    if (!newmail_stub_is_valid_registration(stub))
        return;
    check_callback_source(callback_item, pinfo, stub);
    if (!PINFO_FD_VISITED(pinfo)) {
        registration = newmail_registration_add(pinfo, di->call_data, stub, session);
        if (registration != NULL)
            newmail_follow_callback(pinfo, registration);
    } else {
        registration = newmail_registration_of_call(di->call_data);
    }
    if (registration == NULL)
        return;
    tap.callback = newmail_registration_callback_text(pinfo->pool, registration);
    col_append_fstr(pinfo->cinfo, COL_INFO, ", registers %s", tap.callback);
    add_registration_summary(tree, tvb, pinfo, registration);
    tap.event = NEWMAIL_TAP_REGISTRATION;
    tap.registered = TRUE;
    tap.context_match = TRUE;
    newmail_tap_queue(pinfo, &tap);
}

static void
add_register_response(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                      dcerpc_info *di, const newmail_stub_t *stub, guint encoding)
{
    newmail_registration_t *registration = newmail_registration_of_call(di->call_data);
    proto_item *item;

    if (newmail_stub_has(stub, NEWMAIL_F_NOTIFICATION_HANDLE))
        add_stub_item(tree, hf_newmail_handle, tvb, offset, stub, NEWMAIL_F_NOTIFICATION_HANDLE,
                      encoding);
    if (newmail_stub_has(stub, NEWMAIL_F_RETURN_VALUE)) {
        item = add_stub_item(tree, hf_newmail_return_code, tvb, offset, stub,
                             NEWMAIL_F_RETURN_VALUE, encoding);
        if (stub->return_value != 0)
            expert_add_info(pinfo, item, &ei_newmail_registration_failed);
    }
    newmail_add_session_link(tree, tvb,
                             registration != NULL
                                 ? registration->session
                                 : newmail_session_by_handle(stub->context_handle, pinfo));
    if (registration != NULL)
        newmail_add_frame_link(tree, hf_newmail_request_frame, tvb, registration->request_frame);
    else
        add_call_links(tree, tvb, di, FALSE);

    if (registration == NULL || PINFO_FD_VISITED(pinfo) ||
        (stub->problems & NEWMAIL_PROBLEM_TRUNCATED))
        return;
    newmail_registration_answered(registration, pinfo, stub);
}

static void
add_unregister_request(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                       dcerpc_info *di, const newmail_stub_t *stub, guint encoding)
{
    newmail_registration_t *registration;
    newmail_session_t *session;
    newmail_tap_info_t tap = {0};
    proto_item *item;

    if (!newmail_stub_has(stub, NEWMAIL_F_NOTIFICATION_HANDLE))
        return;
    item = add_stub_item(tree, hf_newmail_handle, tvb, offset, stub,
                         NEWMAIL_F_NOTIFICATION_HANDLE, encoding);
    session = newmail_session_by_handle(stub->context_handle, pinfo);
    if (!PINFO_FD_VISITED(pinfo))
        registration = newmail_registration_remove(pinfo, di->call_data, session,
                                                   stub->notification_handle);
    else
        registration = newmail_registration_of_call(di->call_data);
    newmail_add_session_link(tree, tvb, session);
    if (registration != NULL)
        newmail_add_frame_link(tree, hf_newmail_registration_frame, tvb,
                               registration->request_frame);
    else
        expert_add_info(pinfo, item, &ei_newmail_unknown_handle);
    tap.event = NEWMAIL_TAP_UNREGISTER;
    if (registration != NULL && newmail_tap_listening())
        tap.callback = newmail_registration_callback_text(pinfo->pool, registration);
    tap.registered = registration != NULL;
    newmail_tap_queue(pinfo, &tap);
    add_call_links(tree, tvb, di, TRUE);
}

static void
add_unregister_response(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                        dcerpc_info *di, const newmail_stub_t *stub, guint encoding)
{
    add_return_code(tree, tvb, offset, stub, encoding);
    newmail_add_session_link(tree, tvb, newmail_session_by_handle(stub->context_handle, pinfo));
    add_call_links(tree, tvb, di, FALSE);
}

/* ---- The session calls ----------------------------------------------------------- */

/* The session a call's stub names; for a response that names none (a
 * disconnect, a failed call), its request's. */
static newmail_session_t *
call_session(packet_info *pinfo, dcerpc_info *di, const newmail_stub_t *stub, gboolean request)
{
    call_record_t *record = call_record(pinfo, di);
    newmail_session_t *session = NULL;

    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_HANDLE))
        session = newmail_session_by_handle(stub->context_handle, pinfo);
    if (record == NULL)
        return session;
    if (request && !PINFO_FD_VISITED(pinfo))
        record->session = session;
    return session != NULL ? session : record->session;
}

/* EcDoRpcExt2's rgbIn or rgbOut. A response's notifications were fetched by
 * its request, which names the signal that announced them. */
static void
add_rop_buffer(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo, dcerpc_info *di,
               const newmail_stub_t *stub, const newmail_session_t *session, gboolean request)
{
    const newmail_fetch_t *fetch = NULL;
    call_record_t *record = call_record(pinfo, di);
    uint32_t max_decoded = NEWMAIL_ROP_BUFFER_MAX_DECODED;
    const char *limit_name = "the protocol";

    if (stub->problems & (NEWMAIL_PROBLEM_ROP_LENGTH | NEWMAIL_PROBLEM_ROP_VARYING))
        expert_add_info(pinfo, proto_tree_get_parent(tree), &ei_newmail_rop_length);
    /* The request's pcbOut bounds the answer (MS-OXCRPC 3.1.4.2; MS-OXCROPS
     * 2.2.15.1: a RopBufferTooSmall's SizeNeeded, the decoded size, is what
     * pcbOut must reach). */
    if (request && record != NULL && !PINFO_FD_VISITED(pinfo) &&
        newmail_stub_has(stub, NEWMAIL_F_ROP_MAX_OUT))
        record->rop_max_out = stub->rop_max_out;
    if (!request && record != NULL && record->rop_max_out != 0 &&
        record->rop_max_out < NEWMAIL_ROP_BUFFER_MAX_DECODED) {
        max_decoded = record->rop_max_out;
        limit_name = "the request's pcbOut";
    }
    if (!newmail_stub_has(stub, NEWMAIL_F_ROP))
        return;
    if (!request && di->call_data != NULL)
        fetch = newmail_session_fetch_in(session, di->call_data->req_frame);
    newmail_dissect_rop_buffer(tvb, offset + (int)stub->span[NEWMAIL_F_ROP].offset,
                               (int)stub->span[NEWMAIL_F_ROP].length, pinfo, tree, !request, fetch,
                               max_decoded, limit_name);
}

static void
add_session_call(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo, dcerpc_info *di,
                 guint16 opnum, const newmail_stub_t *stub, guint encoding, gboolean request)
{
    newmail_session_t *session = call_session(pinfo, di, stub, request);

    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_HANDLE))
        add_stub_item(tree, hf_newmail_cxh, tvb, offset, stub, NEWMAIL_F_CONTEXT_HANDLE, ENC_NA);
    if (!request && opnum == OPNUM_ASYNC_CONNECT_EX &&
        newmail_stub_has(stub, NEWMAIL_F_ASYNC_HANDLE)) {
        add_stub_item(tree, hf_newmail_async_acxh, tvb, offset, stub, NEWMAIL_F_ASYNC_HANDLE, ENC_NA);
        if (!PINFO_FD_VISITED(pinfo) && di->call_data != NULL && stub->return_value == 0)
            newmail_async_handle_issue(stub->async_handle, di->call_data->req_frame, session);
    }
    add_return_code(tree, tvb, offset, stub, encoding);
    newmail_add_session_link(tree, tvb, session);
    add_call_links(tree, tvb, di, request);
    if (request && (opnum == OPNUM_RPC || opnum == OPNUM_RPC_EXT2))
        newmail_add_fetch(tree, tvb, pinfo, newmail_session_fetch(session, pinfo));
    if (opnum == OPNUM_RPC_EXT2)
        add_rop_buffer(tree, tvb, offset, pinfo, di, stub, session, request);
}

/* ---- Stub dispatch ------------------------------------------------------------------ */

static newmail_stub_kind_t
emsmdb_stub_kind(guint16 opnum, gboolean request)
{
    switch (opnum) {
    case OPNUM_REGISTER: return request ? NEWMAIL_REGISTER_REQUEST : NEWMAIL_REGISTER_RESPONSE;
    case OPNUM_UNREGISTER: return request ? NEWMAIL_UNREGISTER_REQUEST : NEWMAIL_UNREGISTER_RESPONSE;
    case OPNUM_DISCONNECT: return request ? NEWMAIL_HANDLE_REQUEST : NEWMAIL_DISCONNECT_RESPONSE;
    case OPNUM_RPC_EXT2: return request ? NEWMAIL_RPC_EXT2_REQUEST : NEWMAIL_RPC_EXT2_RESPONSE;
    case OPNUM_ASYNC_CONNECT_EX:
        return request ? NEWMAIL_HANDLE_REQUEST : NEWMAIL_ASYNC_CONNECT_RESPONSE;
    case OPNUM_CONNECT:
    case OPNUM_CONNECT_EX:
        return NEWMAIL_CONNECT_RESPONSE; /* their requests carry no handle */
    default: /* OPNUM_RPC */
        return request ? NEWMAIL_HANDLE_REQUEST : NEWMAIL_CONNECT_RESPONSE;
    }
}

static void
parse_stub(newmail_stub_kind_t kind, tvbuff_t *tvb, int offset, guint encoding, newmail_stub_t *stub)
{
    gint length = tvb_captured_length_remaining(tvb, offset);

    if (length < 0)
        length = 0;
    newmail_parse_stub(kind, length > 0 ? tvb_get_ptr(tvb, offset, length) : NULL, (size_t)length,
                       encoding == ENC_BIG_ENDIAN, stub);
}

/* Reads one EMSMDB stub and adds the NEWMAIL subtree for it. */
static void
dissect_emsmdb_stub(guint16 opnum, gboolean request, tvbuff_t *tvb, int offset, packet_info *pinfo,
                    proto_tree *tree, dcerpc_info *di, guint8 *drep)
{
    guint encoding = DREP_ENC_INTEGER(drep);
    newmail_stub_kind_t kind = emsmdb_stub_kind(opnum, request);
    gint length = tvb_captured_length_remaining(tvb, offset);
    newmail_stub_t stub;
    proto_item *ti;
    proto_tree *subtree;
    int hf;

    if (!proto_is_protocol_enabled(find_protocol_by_id(proto_newmail)))
        return;
    /* EcDoConnect(Ex) requests carry no handle: nothing to read. */
    if (request && (opnum == OPNUM_CONNECT || opnum == OPNUM_CONNECT_EX))
        return;
    parse_stub(kind, tvb, offset, encoding, &stub);
    hf = opnum == OPNUM_REGISTER     ? hf_newmail_register
         : opnum == OPNUM_UNREGISTER ? hf_newmail_unregister
                                     : hf_newmail_session;
    ti = proto_tree_add_item(tree, hf, tvb, offset, length < 0 ? 0 : length, ENC_NA);
    subtree = proto_item_add_subtree(ti, ett_newmail_call);
    switch (kind) {
    case NEWMAIL_REGISTER_REQUEST:
        add_register_request(subtree, tvb, offset, pinfo, di, &stub, encoding);
        break;
    case NEWMAIL_REGISTER_RESPONSE:
        add_register_response(subtree, tvb, offset, pinfo, di, &stub, encoding);
        break;
    case NEWMAIL_UNREGISTER_REQUEST:
        add_unregister_request(subtree, tvb, offset, pinfo, di, &stub, encoding);
        break;
    case NEWMAIL_UNREGISTER_RESPONSE:
        add_unregister_response(subtree, tvb, offset, pinfo, di, &stub, encoding);
        break;
    default:
        add_session_call(subtree, tvb, offset, pinfo, di, opnum, &stub, encoding, request);
        break;
    }
    /* A stub cut by the capture's snap length is not the sender's fault:
     * wrap_stock() reports it as Wireshark reports any cut packet. */
    if (tvb_captured_length_remaining(tvb, offset) >= tvb_reported_length_remaining(tvb, offset))
        add_truncation(pinfo, ti, &stub,
                       kind == NEWMAIL_REGISTER_REQUEST ? "; no port learned" : "");
}

/* ---- The hook ------------------------------------------------------------------------ */

/* The opnums the plugin reads, their names (for those stock lacks), and
 * stock's functions for them. */
typedef struct {
    guint16 opnum;
    const char *name;
    dcerpc_dissect_fnct_t *stock_request, *stock_response;
} hooked_opnum_t;

static hooked_opnum_t hooked_opnums[] = {
    { OPNUM_CONNECT, "EcDoConnect", NULL, NULL },
    { OPNUM_DISCONNECT, "EcDoDisconnect", NULL, NULL },
    { OPNUM_RPC, "EcDoRpc", NULL, NULL },
    { OPNUM_REGISTER, "EcRRegisterPushNotification", NULL, NULL },
    { OPNUM_UNREGISTER, "EcRUnregisterPushNotification", NULL, NULL },
    { OPNUM_CONNECT_EX, "EcDoConnectEx", NULL, NULL },
    { OPNUM_RPC_EXT2, "EcDoRpcExt2", NULL, NULL },
    { OPNUM_ASYNC_CONNECT_EX, "EcDoAsyncConnectEx", NULL, NULL },
};

static const hooked_opnum_t *
hooked_opnum(guint16 opnum)
{
    for (size_t i = 0; i < array_length(hooked_opnums); i++) {
        if (hooked_opnums[i].opnum == opnum)
            return &hooked_opnums[i];
    }
    return NULL;
}

/* Runs the stock dissector for the stub, then ours, even when the stock one
 * throws (a short stub): the exception still propagates afterwards so the
 * DCE/RPC dissector marks the frame malformed as it always did. Where stock
 * has no function, the whole stub counts as read: the plugin's subtree
 * covers it. */
static int
wrap_stock(gboolean request, tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
           dcerpc_info *di, guint8 *drep)
{
    const hooked_opnum_t *hook;
    dcerpc_dissect_fnct_t *stock;
    volatile int end = tvb_reported_length(tvb);

    /* DCE/RPC hands a stub over only once it knows the call's opnum. */
    hook = di->call_data != NULL ? hooked_opnum(di->call_data->opnum) : NULL;
    if (hook == NULL)
        return end;
    stock = request ? hook->stock_request : hook->stock_response;
    TRY {
        if (stock != NULL)
            end = stock(tvb, offset, pinfo, tree, di, drep);
    }
    FINALLY {
        dissect_emsmdb_stub(hook->opnum, request, tvb, offset, pinfo, tree, di, drep);
    }
    ENDTRY;
    /* Where stock read less than a stub the snap length cut, throw what any
     * dissector reading on would: Wireshark then marks the frame "Packet
     * size limited during capture". */
    if (tvb_captured_length_remaining(tvb, offset) < tvb_reported_length_remaining(tvb, offset))
        tvb_ensure_bytes_exist(tvb, offset, tvb_reported_length_remaining(tvb, offset));
    return end;
}

static int
dissect_emsmdb_request(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                       dcerpc_info *di, guint8 *drep)
{
    return wrap_stock(TRUE, tvb, offset, pinfo, tree, di, drep);
}

static int
dissect_emsmdb_response(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                        dcerpc_info *di, guint8 *drep)
{
    return wrap_stock(FALSE, tvb, offset, pinfo, tree, di, drep);
}

/* Where no EMSMDB interface is registered (a Wireshark built without the
 * MAPI dissector), the plugin registers one with just these opnums. */
static int proto_emsmdb = -1;
static int hf_emsmdb_opnum = -1;
static gint ett_emsmdb = -1;

/* The copy of the stock EMSMDB opnum table with our wrappers, or our own. */
static dcerpc_sub_dissector *emsmdb_procs;

static gboolean
interface_has_procs(gpointer key _U_, gpointer value, gpointer procs)
{
    return ((dcerpc_uuid_value *)value)->procs == procs;
}

/* A table of every hooked opnum (stock's entries first, in their order, for
 * the opnums stock has), ending in a zero entry, in memory the plugin owns. */
static dcerpc_sub_dissector *
build_procs(const dcerpc_sub_dissector *stock)
{
    size_t count = 0, added = 0;
    dcerpc_sub_dissector *procs;

    while (stock != NULL && stock[count].name != NULL)
        count++;
    procs = g_new0(dcerpc_sub_dissector, count + array_length(hooked_opnums) + 1);
    if (count > 0)
        memcpy(procs, stock, count * sizeof(*procs));
    for (size_t h = 0; h < array_length(hooked_opnums); h++) {
        hooked_opnum_t *hook = &hooked_opnums[h];
        dcerpc_sub_dissector *entry = NULL;

        for (size_t i = 0; i < count && entry == NULL; i++) {
            if (procs[i].num == hook->opnum)
                entry = &procs[i];
        }
        if (entry == NULL) {
            entry = &procs[count + added++];
            entry->num = hook->opnum;
            entry->name = hook->name;
        }
        hook->stock_request = entry->dissect_rqst;
        hook->stock_response = entry->dissect_resp;
        entry->dissect_rqst = dissect_emsmdb_request;
        entry->dissect_resp = dissect_emsmdb_response;
    }
    return procs;
}

/* Points the stock EMSMDB interface at a copy of its opnum table whose
 * entries for the hooked opnums are our wrappers. From Wireshark 4.2 on the
 * stock table is const, so we never write into it; the interface entry is
 * found by its table, as the hash's key type is Wireshark's own. */
static void
hook_emsmdb(void)
{
    const dcerpc_sub_dissector *stock = dcerpc_get_proto_sub_dissector(&uuid_emsmdb, EMSMDB_VERSION);
    dcerpc_uuid_value *interface;

    if (proto_emsmdb != -1) {
        emsmdb_procs = build_procs(NULL);
        dcerpc_init_uuid(proto_emsmdb, ett_emsmdb, &uuid_emsmdb, EMSMDB_VERSION, emsmdb_procs,
                         hf_emsmdb_opnum);
        return;
    }
    if (stock == NULL)
        return;
    interface = (dcerpc_uuid_value *)g_hash_table_find(dcerpc_uuids, interface_has_procs,
                                                      (gpointer)stock);
    if (interface == NULL)
        return;
    /* Lives as long as the interface table does: for the whole run. */
    emsmdb_procs = build_procs(stock);
    interface->procs = emsmdb_procs;
}

/* ---- AsyncEMSMDB ---------------------------------------------------------------------- */

static int proto_async_emsmdb = -1;
static int hf_async_emsmdb_opnum = -1;
static gint ett_async_emsmdb = -1;

/* [in] ACXH acxh, [in] unsigned long ulFlagsIn */
static int
dissect_async_wait_request(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                           dcerpc_info *di, guint8 *drep)
{
    guint encoding = DREP_ENC_INTEGER(drep);
    call_record_t *record = call_record(pinfo, di);
    newmail_async_handle_t *handle = record != NULL ? record->async : NULL;
    newmail_stub_t stub;
    proto_item *item;

    parse_stub(NEWMAIL_ASYNC_WAIT_REQUEST, tvb, offset, encoding, &stub);
    if (newmail_stub_has(&stub, NEWMAIL_F_ASYNC_HANDLE)) {
        if (!PINFO_FD_VISITED(pinfo) && record != NULL) {
            handle = newmail_async_handle_find(stub.async_handle);
            /* An ACXH whose EcDoAsyncConnectEx is not in the capture still
             * names one source of signals. */
            if (handle == NULL)
                handle = newmail_async_handle_issue(stub.async_handle, 0, NULL);
            record->async = handle;
        }
        item = add_stub_item(tree, hf_newmail_async_acxh, tvb, offset, &stub,
                             NEWMAIL_F_ASYNC_HANDLE, ENC_NA);
        if (handle == NULL || handle->connect_frame == 0)
            expert_add_info(pinfo, item, &ei_newmail_async_unknown_handle);
    }
    if (newmail_stub_has(&stub, NEWMAIL_F_FLAGS_IN))
        add_stub_item(tree, hf_newmail_async_flags_in, tvb, offset, &stub, NEWMAIL_F_FLAGS_IN,
                      encoding);
    if (handle != NULL) {
        newmail_add_frame_link(tree, hf_newmail_async_connect_frame, tvb, handle->connect_frame);
        newmail_add_session_link(tree, tvb, handle->session);
    }
    add_call_links(tree, tvb, di, TRUE);
    add_truncation(pinfo, proto_tree_get_parent(tree), &stub, "");
    return stub_end(offset, &stub);
}

/* [out] unsigned long *pulFlagsOut, and the return value */
static int
dissect_async_wait_response(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                            dcerpc_info *di, guint8 *drep)
{
    guint encoding = DREP_ENC_INTEGER(drep);
    call_record_t *record = call_record(pinfo, di);
    newmail_async_handle_t *handle = record != NULL ? record->async : NULL;
    gboolean pending;
    newmail_stub_t stub;
    proto_item *item;
    proto_tree *flags_tree;

    parse_stub(NEWMAIL_ASYNC_WAIT_RESPONSE, tvb, offset, encoding, &stub);
    if (newmail_stub_has(&stub, NEWMAIL_F_FLAGS_OUT)) {
        item = add_stub_item(tree, hf_newmail_async_flags_out, tvb, offset, &stub,
                             NEWMAIL_F_FLAGS_OUT, encoding);
        flags_tree = proto_item_add_subtree(item, ett_newmail_async_flags);
        add_stub_item(flags_tree, hf_newmail_async_pending, tvb, offset, &stub, NEWMAIL_F_FLAGS_OUT,
                      encoding);
    }
    add_return_code(tree, tvb, offset, &stub, encoding);
    add_call_links(tree, tvb, di, FALSE);
    if (di->call_data != NULL && di->call_data->req_frame != 0) {
        nstime_t wait;

        nstime_delta(&wait, &pinfo->abs_ts, &di->call_data->req_time);
        proto_item_set_generated(
            proto_tree_add_time(tree, hf_newmail_async_wait_time, tvb, 0, 0, &wait));
    }
    if (handle != NULL)
        newmail_add_frame_link(tree, hf_newmail_async_connect_frame, tvb, handle->connect_frame);
    add_truncation(pinfo, proto_tree_get_parent(tree), &stub, "");

    newmail_add_session_link(tree, tvb, handle != NULL ? handle->session : NULL);
    pending = newmail_stub_has(&stub, NEWMAIL_F_FLAGS_OUT) && (stub.flags_out & 0x00000001) != 0;
    if (!pending)
        return stub_end(offset, &stub);
    col_append_str(pinfo->cinfo, COL_INFO, ", NotificationPending");
    if (record != NULL && !PINFO_FD_VISITED(pinfo) && handle != NULL) {
        record->previous_signal = handle->last_signal;
        handle->last_signal = pinfo->num;
        newmail_session_signal(handle->session, pinfo);
    }
    newmail_add_signal(tree, tvb, pinfo, NEWMAIL_SIGNAL_ASYNC,
                       handle != NULL ? handle->session : NULL,
                       record != NULL ? record->previous_signal : 0);
    return stub_end(offset, &stub);
}

static dcerpc_sub_dissector async_emsmdb_procs[] = {
    { OPNUM_ASYNC_WAIT, "EcDoAsyncWaitEx", dissect_async_wait_request,
      dissect_async_wait_response },
    { 0, NULL, NULL, NULL }
};

/* ---- Registration ------------------------------------------------------------------------ */

void
newmail_register_mapi(void)
{
    static hf_register_info hf[] = {
        { &hf_newmail_register,
          { "NEWMAIL push notification registration", NEWMAIL_FILTER_NAME ".register", FT_NONE,
            BASE_NONE, NULL, 0x0,
            "What the NEWMAIL plugin reads from an EcRRegisterPushNotification call", HFILL } },
        { &hf_newmail_unregister,
          { "NEWMAIL push notification unregistration", NEWMAIL_FILTER_NAME ".unregister",
            FT_NONE, BASE_NONE, NULL, 0x0,
            "What the NEWMAIL plugin reads from an EcRUnregisterPushNotification call", HFILL } },
        { &hf_newmail_session,
          { "NEWMAIL session", NEWMAIL_FILTER_NAME ".session", FT_NONE, BASE_NONE, NULL, 0x0,
            "What the NEWMAIL plugin reads from an EMSMDB session call: the session it belongs"
            " to, and the signals a fetch answers", HFILL } },
        { &hf_newmail_cxh,
          { "Session context handle", NEWMAIL_FILTER_NAME ".cxh", FT_BYTES, BASE_NONE, NULL, 0x0,
            "CXH: the handle EcDoConnect(Ex) returned, naming the session in every later call",
            HFILL } },
        { &hf_newmail_context,
          { "Context", NEWMAIL_FILTER_NAME ".context", FT_BYTES, BASE_NONE, NULL, 0x0,
            "rgbContext: the blob the server sends back as each notification's payload",
            HFILL } },
        { &hf_newmail_context_length,
          { "Context length", NEWMAIL_FILTER_NAME ".context_length", FT_UINT16, BASE_DEC, NULL,
            0x0, "cbContext: the context's length as the client states it", HFILL } },
        { &hf_newmail_advise_bits,
          { "Advise bits", NEWMAIL_FILTER_NAME ".advise_bits", FT_UINT32, BASE_HEX, NULL, 0x0,
            "grbitAdviseBits: MS-OXCRPC requires 0xFFFFFFFF", HFILL } },
        { &hf_newmail_callback,
          { "Callback address", NEWMAIL_FILTER_NAME ".callback", FT_NONE, BASE_NONE, NULL, 0x0,
            "rgbCallbackAddress: the SOCKADDR notifications are sent to", HFILL } },
        { &hf_newmail_callback_family,
          { "Family", NEWMAIL_FILTER_NAME ".callback.family", FT_UINT16, BASE_DEC,
            VALS(callback_family_vals), 0x0, "Address family of the callback SOCKADDR",
            HFILL } },
        { &hf_newmail_callback_port,
          { "Port", NEWMAIL_FILTER_NAME ".callback.port", FT_UINT16, BASE_DEC, NULL, 0x0,
            "UDP port notifications are sent to", HFILL } },
        { &hf_newmail_callback_ipv4,
          { "IPv4 address", NEWMAIL_FILTER_NAME ".callback.ipv4", FT_IPv4, BASE_NONE, NULL, 0x0,
            "IPv4 address notifications are sent to", HFILL } },
        { &hf_newmail_callback_ipv6,
          { "IPv6 address", NEWMAIL_FILTER_NAME ".callback.ipv6", FT_IPv6, BASE_NONE, NULL, 0x0,
            "IPv6 address notifications are sent to", HFILL } },
        { &hf_newmail_callback_flowinfo,
          { "Flow information", NEWMAIL_FILTER_NAME ".callback.flowinfo", FT_UINT32, BASE_HEX,
            NULL, 0x0, "sin6_flowinfo of the callback SOCKADDR_IN6", HFILL } },
        { &hf_newmail_callback_scope_id,
          { "Scope ID", NEWMAIL_FILTER_NAME ".callback.scope_id", FT_UINT32, BASE_DEC, NULL, 0x0,
            "sin6_scope_id of the callback SOCKADDR_IN6", HFILL } },
        { &hf_newmail_callback_length,
          { "Callback address length", NEWMAIL_FILTER_NAME ".callback_length", FT_UINT16,
            BASE_DEC, NULL, 0x0,
            "cbCallbackAddress: the SOCKADDR's length as the client states it", HFILL } },
        { &hf_newmail_handle,
          { "Notification handle", NEWMAIL_FILTER_NAME ".handle", FT_UINT32, BASE_HEX, NULL, 0x0,
            "hNotification: names the registration to EcRUnregisterPushNotification", HFILL } },
        { &hf_newmail_return_code,
          { "Return code", NEWMAIL_FILTER_NAME ".return_code", FT_UINT32, BASE_HEX,
            VALS(return_code_vals), 0x0, "The call's return value; 0 is success", HFILL } },
        { &hf_newmail_request_frame,
          { "Request in", NEWMAIL_FILTER_NAME ".request_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0, "Frame of this call's request", HFILL } },
        { &hf_newmail_response_frame,
          { "Response in", NEWMAIL_FILTER_NAME ".response_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0, "Frame of this call's response", HFILL } },
        { &hf_newmail_registration_frame,
          { "Registration in", NEWMAIL_FILTER_NAME ".registration_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "Frame of the EcRRegisterPushNotification request this belongs to", HFILL } },
        { &hf_newmail_notification_count,
          { "Notifications", NEWMAIL_FILTER_NAME ".notification_count", FT_UINT32, BASE_DEC, NULL,
            0x0, "Notifications sent to this registration's callback in the capture", HFILL } },
        { &hf_newmail_first_notification_frame,
          { "First notification in", NEWMAIL_FILTER_NAME ".first_notification_frame",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of the first notification sent for this registration", HFILL } },
        { &hf_newmail_end_frame,
          { "Ended in", NEWMAIL_FILTER_NAME ".end_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame that ended this registration: the EcRUnregisterPushNotification request, the"
            " response refusing it, or a later registration of the same callback", HFILL } },
        { &hf_newmail_async_acxh,
          { "Asynchronous context handle", NEWMAIL_FILTER_NAME ".async.acxh", FT_BYTES, BASE_NONE,
            NULL, 0x0,
            "ACXH: issued by EcDoAsyncConnectEx, named by every EcDoAsyncWaitEx of the session",
            HFILL } },
        { &hf_newmail_async_flags_in,
          { "Flags in", NEWMAIL_FILTER_NAME ".async.flags_in", FT_UINT32, BASE_HEX, NULL, 0x0,
            "ulFlagsIn of EcDoAsyncWaitEx (0)", HFILL } },
        { &hf_newmail_async_flags_out,
          { "Flags out", NEWMAIL_FILTER_NAME ".async.flags_out", FT_UINT32, BASE_HEX, NULL, 0x0,
            "pulFlagsOut of EcDoAsyncWaitEx", HFILL } },
        { &hf_newmail_async_pending,
          { "NotificationPending", NEWMAIL_FILTER_NAME ".async.pending", FT_BOOLEAN, 32, NULL,
            0x00000001, "The server has events for the session: the client should fetch them",
            HFILL } },
        { &hf_newmail_async_connect_frame,
          { "Handle issued in", NEWMAIL_FILTER_NAME ".async.connect_frame", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "Frame of the EcDoAsyncConnectEx request that issued this wait's ACXH", HFILL } },
        { &hf_newmail_async_wait_time,
          { "Wait time", NEWMAIL_FILTER_NAME ".async.wait_time", FT_RELATIVE_TIME, BASE_NONE,
            NULL, 0x0, "How long the server held the wait: from its request to this response",
            HFILL } },
    };
    static hf_register_info hf_emsmdb[] = {
        { &hf_emsmdb_opnum,
          { "Operation", NEWMAIL_FILTER_NAME "_emsmdb.opnum", FT_UINT16, BASE_DEC, NULL, 0x0,
            "EMSMDB operation number", HFILL } },
    };
    static hf_register_info hf_async[] = {
        { &hf_async_emsmdb_opnum,
          { "Operation", "asyncemsmdb.opnum", FT_UINT16, BASE_DEC, NULL, 0x0,
            "AsyncEMSMDB operation number", HFILL } },
    };
    static gint *ett[] = {
        &ett_newmail_call,
        &ett_newmail_callback,
        &ett_newmail_async_flags,
        &ett_emsmdb,
        &ett_async_emsmdb,
    };
    static ei_register_info ei[] = {
        { &ei_newmail_stub_truncated,
          { NEWMAIL_FILTER_NAME ".stub_truncated", PI_MALFORMED, PI_ERROR,
            "Stub ends inside a field", EXPFILL } },
        { &ei_newmail_context_length_mismatch,
          { NEWMAIL_FILTER_NAME ".context_length_mismatch", PI_MALFORMED, PI_ERROR,
            "cbContext differs from rgbContext's count", EXPFILL } },
        { &ei_newmail_callback_length_mismatch,
          { NEWMAIL_FILTER_NAME ".callback_length_mismatch", PI_MALFORMED, PI_ERROR,
            "cbCallbackAddress differs from rgbCallbackAddress's count", EXPFILL } },
        { &ei_newmail_callback_family,
          { NEWMAIL_FILTER_NAME ".callback.unknown_family", PI_MALFORMED, PI_ERROR,
            "Unknown callback address family", EXPFILL } },
        { &ei_newmail_callback_short,
          { NEWMAIL_FILTER_NAME ".callback.too_short", PI_MALFORMED, PI_ERROR,
            "Callback SOCKADDR too short for its family", EXPFILL } },
        { &ei_newmail_callback_port_zero,
          { NEWMAIL_FILTER_NAME ".callback.port_zero", PI_MALFORMED, PI_ERROR,
            "Callback port is 0; no port learned", EXPFILL } },
        { &ei_newmail_callback_not_source,
          { NEWMAIL_FILTER_NAME ".callback_not_source", PI_PROTOCOL, PI_WARN,
            "The callback address is not the address the registration came from", EXPFILL } },
        { &ei_newmail_advise_bits,
          { NEWMAIL_FILTER_NAME ".advise_bits_unexpected", PI_PROTOCOL, PI_WARN,
            "grbitAdviseBits is not 0xFFFFFFFF as MS-OXCRPC requires", EXPFILL } },
        { &ei_newmail_registration_failed,
          { NEWMAIL_FILTER_NAME ".registration_failed", PI_RESPONSE_CODE, PI_WARN,
            "The server refused the registration", EXPFILL } },
        { &ei_newmail_unknown_handle,
          { NEWMAIL_FILTER_NAME ".unknown_handle", PI_SEQUENCE, PI_NOTE,
            "No registration with this notification handle precedes this call in the capture",
            EXPFILL } },
        { &ei_newmail_rop_length,
          { NEWMAIL_FILTER_NAME ".rop_length_mismatch", PI_MALFORMED, PI_ERROR,
            "cbIn or pcbOut differs from the ROP buffer's NDR counts", EXPFILL } },
        { &ei_newmail_async_unknown_handle,
          { NEWMAIL_FILTER_NAME ".async.unknown_handle", PI_SEQUENCE, PI_NOTE,
            "No EcDoAsyncConnectEx in the capture issued this ACXH", EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_newmail);

    proto_register_field_array(proto_newmail, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert, ei, array_length(ei));

    /* Built-in dissectors register before plugins, so this tells whether
     * the running Wireshark decodes EMSMDB and AsyncEMSMDB itself. */
    if (proto_get_id_by_filter_name("mapi") == -1) {
        proto_emsmdb = proto_register_protocol("Exchange EMSMDB session calls", "EMSMDB-NEWMAIL",
                                               NEWMAIL_FILTER_NAME "_emsmdb");
        proto_register_field_array(proto_emsmdb, hf_emsmdb, array_length(hf_emsmdb));
    }
    if (proto_get_id_by_filter_name("asyncemsmdb") == -1) {
        proto_async_emsmdb = proto_register_protocol("Exchange Asynchronous EMSMDB",
                                                     "AsyncEMSMDB", "asyncemsmdb");
        proto_register_field_array(proto_async_emsmdb, hf_async, array_length(hf_async));
    }
    register_init_routine(newmail_mapi_init);
}

/* Wireshark frees the DCE/RPC interface table at exit and then unloads the
 * plugin; what the plugin allocated for the whole run goes with them. */
static void
newmail_mapi_shutdown(void)
{
    g_free(emsmdb_procs);
    emsmdb_procs = NULL;
}

void
newmail_handoff_mapi(void)
{
    hook_emsmdb();
    if (proto_async_emsmdb != -1)
        dcerpc_init_uuid(proto_async_emsmdb, ett_async_emsmdb, &uuid_async_emsmdb,
                         ASYNC_EMSMDB_VERSION, async_emsmdb_procs, hf_async_emsmdb_opnum);
    register_shutdown_routine(newmail_mapi_shutdown);
}
