/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * packet-dcerpc-newmail.c: the EMSMDB calls that make and use an Exchange
 * session over RPC (MS-OXCRPC 3.1.4), seen through a hook on stock
 * Wireshark's MAPI dissector.
 *
 * EMSMDB (a4f1db00-ca47-1067-b31f-00dd010662da v0.81): EcDoConnect (0) and
 * EcDoConnectEx (10) return the session context handle (CXH) that every
 * later call passes first; EcDoRpc (2) and EcDoRpcExt2 (11) carry ROP
 * buffers, and so fetch pending notifications; EcDoDisconnect (1) ends the
 * session; EcRRegisterPushNotification (4) and EcRUnregisterPushNotification
 * (5) set up UDP notifications; EcDoAsyncConnectEx (14) issues the
 * asynchronous handle (ACXH) that AsyncEMSMDB (packet-asyncemsmdb.c) waits on.
 *
 * Stock Wireshark's MAPI dissector decodes EMSMDB (opnums 0-9 in 4.0, more
 * from 4.2); its trees stay exactly as they are: the plugin points the
 * interface at a copy of stock's opnum table whose entries for the opnums
 * above call stock's function first, then add a NEWMAIL subtree from the
 * plugin's own parse (newmail-parse.c). Opnums stock does not know get an
 * entry with their name.
 *
 * Per stub: the parser reads it, the analysis step (first pass) updates the
 * session and registration model, the tree is built from the stub and the
 * analysis, and the tap events are queued from the analysis.
 */
#include <string.h>

#include <epan/expert.h>
#include <epan/exceptions.h>
#include <epan/packet.h>
#include <epan/to_str.h>
#include <epan/dissectors/packet-dcerpc.h>

#include "newmail-core.h"
#include "newmail-links.h"
#include "newmail-parse.h"
#include "newmail-registration.h"
#include "newmail-rop-tree.h"
#include "newmail-session.h"
#include "newmail-stub-tree.h"
#include "packet-newmail.h"

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
static int hf_newmail_notification_count = -1;
static int hf_newmail_first_notification_frame = -1;
static int hf_newmail_end_frame = -1;

static int ett_newmail_call = -1;
static int ett_newmail_callback = -1;

static expert_field ei_newmail_context_length_mismatch = EI_INIT;
static expert_field ei_newmail_callback_length_mismatch = EI_INIT;
static expert_field ei_newmail_callback_family = EI_INIT;
static expert_field ei_newmail_callback_short = EI_INIT;
static expert_field ei_newmail_callback_port_zero = EI_INIT;
static expert_field ei_newmail_callback_not_source = EI_INIT;
static expert_field ei_newmail_advise_bits = EI_INIT;
static expert_field ei_newmail_registration_failed = EI_INIT;
static expert_field ei_newmail_unknown_handle = EI_INIT;
static expert_field ei_newmail_rop_length = EI_INIT;

static const value_string callback_family_vals[] = {
    { NEWMAIL_AF_INET, "AF_INET" },
    { NEWMAIL_AF_INET6, "AF_INET6" },
    { 0, NULL }
};

static e_guid_t uuid_emsmdb = { 0xa4f1db00, 0xca47, 0x1067,
                                { 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda } };
#define EMSMDB_VERSION 0 /* 0.81: DCE/RPC matches the major version */

enum {
    OPNUM_CONNECT = 0,
    OPNUM_DISCONNECT = 1,
    OPNUM_RPC = 2,
    OPNUM_REGISTER = 4,
    OPNUM_UNREGISTER = 5,
    OPNUM_CONNECT_EX = 10,
    OPNUM_RPC_EXT2 = 11,
    OPNUM_ASYNC_CONNECT_EX = 14,
};

/* What the first pass keeps of a session call (a registration is the
 * record of opnums 4 and 5), keyed by DCE/RPC's call: the request's
 * session, for a response that names none, and an EcDoRpcExt2 request's
 * pcbOut, which bounds its response's ROP buffer. */
typedef struct {
    newmail_session_t *session;
    uint32_t rop_max_out; /* EcDoRpcExt2: the request's pcbOut; EcDoRpc: its Max Data;
                             0 when not seen */
    /* EcDoRpc(Ext2): the request's decoded ROP buffer, which lays out the
     * response's ROPs; NULL when not read. */
    const newmail_rop_request_copy_t *rop_request;
} call_record_t;

static wmem_map_t *call_records; /* dcerpc_call_value * -> call_record_t */

static void
emsmdb_hook_init(void)
{
    call_records = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
}

static call_record_t *
call_record_lookup(const dcerpc_info *di)
{
    if (di->call_data == NULL)
        return NULL;
    return (call_record_t *)wmem_map_lookup(call_records, di->call_data);
}

/* ---- Analysis ------------------------------------------------------------------------ */

/* What one stub means for the model, on every pass; only the first pass
 * changes the model to find it. */
typedef struct {
    newmail_session_t *session;           /* the session the call belongs to, or NULL */
    newmail_registration_t *registration; /* opnums 4 and 5: the registration, or NULL */
    const newmail_fetch_t *fetch;         /* EcDoRpc(Ext2) request: the fetch it is */
    uint32_t rop_max_decoded;             /* EcDoRpc(Ext2): the most its ROP buffer may decode
                                             to */
    const char *rop_limit_name;           /* and what set that bound */
    const newmail_rop_request_copy_t *rop_request; /* EcDoRpc(Ext2) response: its request's
                                                      ROP buffer, or NULL */
} call_analysis_t;

/* The session a CXH names: the first pass starts one for a handle not seen
 * before. */
static newmail_session_t *
session_of_handle(packet_info *pinfo, const uint8_t cxh[NEWMAIL_CONTEXT_HANDLE_LEN])
{
    return PINFO_FD_VISITED(pinfo) ? newmail_session_lookup(cxh)
                                   : newmail_session_get_or_add(cxh, pinfo);
}

/* From this frame on, datagrams to the registration's callback are NEWMAIL. */
static void
follow_callback(packet_info *pinfo, const newmail_registration_t *registration)
{
    const newmail_endpoint_t *callback = &registration->callback;
    address addr;

    if (callback->family == NEWMAIL_AF_INET6)
        set_address(&addr, AT_IPv6, 16, callback->address);
    else
        set_address(&addr, AT_IPv4, 4, callback->address);
    newmail_core_follow_callback(pinfo, &addr, callback->port);
}

static void
analyse_register_request(packet_info *pinfo, dcerpc_info *di, const newmail_stub_t *stub,
                         call_analysis_t *analysis)
{
    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_HANDLE))
        analysis->session = session_of_handle(pinfo, stub->context_handle);
    /* Even a registration the server must refuse says that this client
     * registers: the NEWMAIL heuristic leaves its datagrams alone. */
    if (!PINFO_FD_VISITED(pinfo))
        newmail_registration_add_client(pinfo);
    if (!newmail_stub_is_valid_registration(stub))
        return;
    if (PINFO_FD_VISITED(pinfo)) {
        analysis->registration = newmail_registration_of_call(di->call_data);
        return;
    }
    analysis->registration = newmail_registration_add(pinfo, di->call_data, stub,
                                                      analysis->session);
    if (analysis->registration != NULL)
        follow_callback(pinfo, analysis->registration);
}

static void
analyse_register_response(packet_info *pinfo, dcerpc_info *di, const newmail_stub_t *stub,
                          call_analysis_t *analysis)
{
    newmail_registration_t *registration = newmail_registration_of_call(di->call_data);

    analysis->registration = registration;
    analysis->session = registration != NULL ? registration->session
                                             : session_of_handle(pinfo, stub->context_handle);
    if (registration != NULL && !PINFO_FD_VISITED(pinfo) &&
        !(stub->problems & NEWMAIL_PROBLEM_TRUNCATED))
        newmail_registration_answered(registration, pinfo, stub);
}

static void
analyse_unregister_request(packet_info *pinfo, dcerpc_info *di, const newmail_stub_t *stub,
                           call_analysis_t *analysis)
{
    if (!newmail_stub_has(stub, NEWMAIL_F_NOTIFICATION_HANDLE))
        return;
    analysis->session = session_of_handle(pinfo, stub->context_handle);
    if (PINFO_FD_VISITED(pinfo))
        analysis->registration = newmail_registration_of_call(di->call_data);
    else
        analysis->registration = newmail_registration_unregister(
            pinfo, di->call_data, analysis->session, stub->notification_handle);
}

/* A session call: its session (a response that names none, such as a
 * disconnect or a failed call, has its request's), the ACXH an
 * EcDoAsyncConnectEx response issues, and the fetch an EcDoRpc(Ext2)
 * request is. */
static void
analyse_session_call(packet_info *pinfo, dcerpc_info *di, uint16_t opnum, tvbuff_t *tvb,
                     int offset, const newmail_stub_t *stub, bool request,
                     call_analysis_t *analysis)
{
    bool first_pass = !PINFO_FD_VISITED(pinfo);
    call_record_t *record = call_record_lookup(di);

    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_HANDLE))
        analysis->session = session_of_handle(pinfo, stub->context_handle);
    if (request && first_pass && di->call_data != NULL) {
        if (record == NULL) {
            record = wmem_new0(wmem_file_scope(), call_record_t);
            wmem_map_insert(call_records, di->call_data, record);
        }
        record->session = analysis->session;
        /* The request's pcbOut bounds the answer (MS-OXCRPC 3.1.4.2;
         * MS-OXCROPS 2.2.15.1: a RopBufferTooSmall's SizeNeeded, the
         * decoded size, is what pcbOut must reach); an EcDoRpc request's
         * Max Data, the most its response's buffer may hold, bounds its. */
        if ((opnum == OPNUM_RPC_EXT2 && newmail_stub_has(stub, NEWMAIL_F_ROP_MAX_OUT)) ||
            (opnum == OPNUM_RPC && newmail_stub_has(stub, NEWMAIL_F_RPC_MAX_DATA)))
            record->rop_max_out = stub->rop_max_out;
        /* The response's ROPs are laid out by the request's: keep its
         * decoded buffer (at most the decoding budget) with the call. */
        if (opnum == OPNUM_RPC_EXT2 || opnum == OPNUM_RPC) {
            newmail_span_t rop = stub->span[NEWMAIL_F_ROP];
            bool have = newmail_stub_has(stub, NEWMAIL_F_ROP) && rop.length > 0 &&
                        tvb_bytes_exist(tvb, offset + (int)rop.offset, (int)rop.length);
            const uint8_t *bytes =
                have ? tvb_get_ptr(tvb, offset + (int)rop.offset, (int)rop.length) : NULL;

            record->rop_request =
                opnum == OPNUM_RPC
                    ? newmail_rop_request_copy_add_xor(bytes, have ? rop.length : 0,
                                                       NEWMAIL_ROP_BUFFER_MAX_DECODED)
                    : newmail_rop_request_copy_add(bytes, have ? rop.length : 0,
                                                   NEWMAIL_ROP_BUFFER_MAX_DECODED);
        }
    }
    if (!request && record != NULL)
        analysis->rop_request = record->rop_request;
    if (analysis->session == NULL && record != NULL)
        analysis->session = record->session;
    analysis->rop_max_decoded = NEWMAIL_ROP_BUFFER_MAX_DECODED;
    analysis->rop_limit_name = "the protocol";
    if (!request && record != NULL && record->rop_max_out != 0 &&
        record->rop_max_out < NEWMAIL_ROP_BUFFER_MAX_DECODED) {
        analysis->rop_max_decoded = record->rop_max_out;
        analysis->rop_limit_name =
            opnum == OPNUM_RPC ? "the request's Max Data" : "the request's pcbOut";
    }

    if (!request && opnum == OPNUM_ASYNC_CONNECT_EX && first_pass && di->call_data != NULL &&
        newmail_stub_has(stub, NEWMAIL_F_ASYNC_HANDLE) && stub->return_value == 0)
        newmail_async_handle_issue(stub->async_handle, di->call_data->req_frame,
                                   analysis->session);
    if (request && (opnum == OPNUM_RPC || opnum == OPNUM_RPC_EXT2))
        analysis->fetch = first_pass ? newmail_session_add_fetch(analysis->session, pinfo)
                                     : newmail_session_fetch_in(analysis->session, pinfo->num);
}

static void
analyse_call(packet_info *pinfo, dcerpc_info *di, uint16_t opnum, newmail_stub_kind_t kind,
             tvbuff_t *tvb, int offset, const newmail_stub_t *stub, bool request,
             call_analysis_t *analysis)
{
    memset(analysis, 0, sizeof(*analysis));
    switch (kind) {
    case NEWMAIL_REGISTER_REQUEST:
        analyse_register_request(pinfo, di, stub, analysis);
        break;
    case NEWMAIL_REGISTER_RESPONSE:
        analyse_register_response(pinfo, di, stub, analysis);
        break;
    case NEWMAIL_UNREGISTER_REQUEST:
        analyse_unregister_request(pinfo, di, stub, analysis);
        break;
    case NEWMAIL_UNREGISTER_RESPONSE:
        analysis->session = session_of_handle(pinfo, stub->context_handle);
        break;
    default:
        analyse_session_call(pinfo, di, opnum, tvb, offset, stub, request, analysis);
        break;
    }
}

/* The call's tap event: a registration, an unregister, or a fetch that
 * answered signals. */
static void
queue_tap(packet_info *pinfo, newmail_stub_kind_t kind, const newmail_stub_t *stub,
          const call_analysis_t *analysis)
{
    const newmail_registration_t *registration = analysis->registration;
    newmail_tap_info_t tap = {0};

    if (!newmail_tap_listening())
        return;
    switch (kind) {
    case NEWMAIL_REGISTER_REQUEST:
        if (registration == NULL)
            return;
        tap.event = NEWMAIL_TAP_REGISTRATION;
        tap.callback = newmail_registration_callback_text(pinfo->pool, registration);
        tap.registered = true;
        tap.context_match = true;
        break;
    case NEWMAIL_UNREGISTER_REQUEST:
        if (!newmail_stub_has(stub, NEWMAIL_F_NOTIFICATION_HANDLE))
            return;
        tap.event = NEWMAIL_TAP_UNREGISTER;
        if (registration != NULL)
            tap.callback = newmail_registration_callback_text(pinfo->pool, registration);
        tap.registered = registration != NULL;
        break;
    default:
        if (analysis->fetch != NULL && analysis->fetch->signal_count > 0) {
            nstime_t delay;

            nstime_delta(&delay, &analysis->fetch->request_time, &analysis->fetch->first_signal_time);
            newmail_tap_fetch(pinfo, &delay);
        }
        return;
    }
    newmail_tap_queue(pinfo, &tap);
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

    ti = newmail_stub_add_item(tree, hf_newmail_callback, tvb, stub_offset, stub, NEWMAIL_F_CALLBACK,
                               ENC_NA);
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
    static const uint8_t zeroes[16];
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
                     dcerpc_info *di, const newmail_stub_t *stub, unsigned encoding,
                     const call_analysis_t *analysis)
{
    const newmail_registration_t *registration = analysis->registration;
    proto_item *item, *callback_item = NULL;

    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT))
        newmail_stub_add_item(tree, hf_newmail_context, tvb, offset, stub, NEWMAIL_F_CONTEXT,
                              ENC_NA);
    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_LENGTH)) {
        item = newmail_stub_add_item(tree, hf_newmail_context_length, tvb, offset, stub,
                                     NEWMAIL_F_CONTEXT_LENGTH, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_CONTEXT_LENGTH)
            expert_add_info_format(pinfo, item, &ei_newmail_context_length_mismatch,
                                   "cbContext %u differs from rgbContext's count %u; no port learned",
                                   stub->context_length, stub->context_count);
    }
    if (newmail_stub_has(stub, NEWMAIL_F_ADVISE_BITS)) {
        item = newmail_stub_add_item(tree, hf_newmail_advise_bits, tvb, offset, stub,
                                     NEWMAIL_F_ADVISE_BITS, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_ADVISE_BITS)
            expert_add_info(pinfo, item, &ei_newmail_advise_bits);
    }
    if (newmail_stub_has(stub, NEWMAIL_F_CALLBACK))
        callback_item = add_callback(tree, tvb, pinfo, offset, stub);
    if (newmail_stub_has(stub, NEWMAIL_F_CALLBACK_LENGTH)) {
        item = newmail_stub_add_item(tree, hf_newmail_callback_length, tvb, offset, stub,
                                     NEWMAIL_F_CALLBACK_LENGTH, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_CALLBACK_LENGTH)
            expert_add_info_format(pinfo, item, &ei_newmail_callback_length_mismatch,
                                   "cbCallbackAddress %u differs from rgbCallbackAddress's count %u;"
                                   " no port learned",
                                   stub->callback_length, stub->callback_count);
    }
    newmail_add_session_link(tree, tvb, analysis->session);
    newmail_stub_add_call_links(tree, tvb, di, true);
    if (!newmail_stub_is_valid_registration(stub))
        return;
    check_callback_source(callback_item, pinfo, stub);
    if (registration == NULL)
        return;
    col_append_fstr(pinfo->cinfo, COL_INFO, ", registers %s",
                    newmail_registration_callback_text(pinfo->pool, registration));
    add_registration_summary(tree, tvb, pinfo, registration);
}

static void
add_register_response(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                      dcerpc_info *di, const newmail_stub_t *stub, unsigned encoding,
                      const call_analysis_t *analysis)
{
    proto_item *item;

    if (newmail_stub_has(stub, NEWMAIL_F_NOTIFICATION_HANDLE))
        newmail_stub_add_item(tree, hf_newmail_handle, tvb, offset, stub,
                              NEWMAIL_F_NOTIFICATION_HANDLE, encoding);
    item = newmail_stub_add_return_code(tree, tvb, offset, stub, encoding);
    if (item != NULL && stub->return_value != 0)
        expert_add_info(pinfo, item, &ei_newmail_registration_failed);
    newmail_add_session_link(tree, tvb, analysis->session);
    if (analysis->registration != NULL)
        newmail_stub_add_request_link(tree, tvb, analysis->registration->request_frame);
    else
        newmail_stub_add_call_links(tree, tvb, di, false);
}

static void
add_unregister_request(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                       dcerpc_info *di, const newmail_stub_t *stub, unsigned encoding,
                       const call_analysis_t *analysis)
{
    proto_item *item;

    if (!newmail_stub_has(stub, NEWMAIL_F_NOTIFICATION_HANDLE))
        return;
    item = newmail_stub_add_item(tree, hf_newmail_handle, tvb, offset, stub,
                                 NEWMAIL_F_NOTIFICATION_HANDLE, encoding);
    newmail_add_session_link(tree, tvb, analysis->session);
    if (analysis->registration != NULL)
        newmail_add_registration_link(tree, tvb, analysis->registration->request_frame);
    else
        expert_add_info(pinfo, item, &ei_newmail_unknown_handle);
    newmail_stub_add_call_links(tree, tvb, di, true);
}

static void
add_unregister_response(proto_tree *tree, tvbuff_t *tvb, int offset, dcerpc_info *di,
                        const newmail_stub_t *stub, unsigned encoding,
                        const call_analysis_t *analysis)
{
    newmail_stub_add_return_code(tree, tvb, offset, stub, encoding);
    newmail_add_session_link(tree, tvb, analysis->session);
    newmail_stub_add_call_links(tree, tvb, di, false);
}

/* ---- The session calls ----------------------------------------------------------- */

/* EcDoRpcExt2's rgbIn or rgbOut, or EcDoRpc's ROP buffer (no RPC_HEADER_EXT,
 * XOR 0xA5). A response's notifications were fetched by its request, which
 * names the signal that announced them. */
static void
add_rop_buffer(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo, dcerpc_info *di,
               uint16_t opnum, const newmail_stub_t *stub, const call_analysis_t *analysis,
               bool request)
{
    const newmail_fetch_t *fetch = NULL;
    int rop_offset = offset + (int)stub->span[NEWMAIL_F_ROP].offset;
    int rop_length = (int)stub->span[NEWMAIL_F_ROP].length;
    newmail_rop_call_t call = {0};

    if (opnum == OPNUM_RPC && (stub->problems & NEWMAIL_PROBLEM_ROP_LENGTH))
        expert_add_info_format(pinfo, proto_tree_get_parent(tree), &ei_newmail_rop_length,
                               "Length %u differs from the ROP buffer's %u bytes",
                               stub->rop_length, stub->rop_actual);
    else if (stub->problems & (NEWMAIL_PROBLEM_ROP_LENGTH | NEWMAIL_PROBLEM_ROP_VARYING))
        expert_add_info(pinfo, proto_tree_get_parent(tree), &ei_newmail_rop_length);
    if (!newmail_stub_has(stub, NEWMAIL_F_ROP))
        return;
    if (!request && di->call_data != NULL)
        fetch = newmail_session_fetch_in(analysis->session, di->call_data->req_frame);
    call.session = analysis->session;
    call.request_frame = di->call_data != NULL ? di->call_data->req_frame : 0;
    if (opnum == OPNUM_RPC)
        newmail_dissect_rop_payload_xor(tvb, rop_offset, rop_length, pinfo, tree, !request, fetch,
                                        analysis->rop_max_decoded, analysis->rop_limit_name,
                                        request ? NULL : analysis->rop_request, &call);
    else
        newmail_dissect_rop_buffer_call(tvb, rop_offset, rop_length, pinfo, tree, !request, fetch,
                                        analysis->rop_max_decoded, analysis->rop_limit_name,
                                        request ? NULL : analysis->rop_request, &call);
    /* Its RopNotify, with what each NotificationHandle names, on the tap. */
    for (size_t i = 0; i < call.notified_count; i++)
        newmail_tap_rop_notify(pinfo, call.notified[i].type, call.notified[i].subscription_frame,
                               call.notified[i].tie == NEWMAIL_NOTIFIED_OTHER);
}

static void
add_session_call(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo, dcerpc_info *di,
                 uint16_t opnum, const newmail_stub_t *stub, unsigned encoding, bool request,
                 const call_analysis_t *analysis)
{
    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_HANDLE))
        newmail_stub_add_item(tree, hf_newmail_cxh, tvb, offset, stub, NEWMAIL_F_CONTEXT_HANDLE,
                              ENC_NA);
    if (!request && opnum == OPNUM_ASYNC_CONNECT_EX)
        newmail_stub_add_acxh(tree, tvb, offset, stub);
    newmail_stub_add_return_code(tree, tvb, offset, stub, encoding);
    newmail_add_session_link(tree, tvb, analysis->session);
    newmail_stub_add_call_links(tree, tvb, di, request);
    if (request && (opnum == OPNUM_RPC || opnum == OPNUM_RPC_EXT2))
        newmail_add_fetch(tree, tvb, analysis->fetch);
    if (opnum == OPNUM_RPC_EXT2 || opnum == OPNUM_RPC)
        add_rop_buffer(tree, tvb, offset, pinfo, di, opnum, stub, analysis, request);
}

/* ---- Stub dispatch ------------------------------------------------------------------ */

static newmail_stub_kind_t
emsmdb_stub_kind(uint16_t opnum, bool request)
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
        return request ? NEWMAIL_RPC_REQUEST : NEWMAIL_RPC_RESPONSE;
    }
}

/* Reads one EMSMDB stub, analyses it and adds the NEWMAIL subtree for it. */
static void
dissect_emsmdb_stub(uint16_t opnum, bool request, tvbuff_t *tvb, int offset, packet_info *pinfo,
                    proto_tree *tree, dcerpc_info *di, uint8_t *drep)
{
    unsigned encoding = DREP_ENC_INTEGER(drep);
    newmail_stub_kind_t kind = emsmdb_stub_kind(opnum, request);
    int length = tvb_captured_length_remaining(tvb, offset);
    call_analysis_t analysis;
    newmail_stub_t stub;
    proto_item *ti;
    proto_tree *subtree;
    int hf;

    if (!proto_is_protocol_enabled(find_protocol_by_id(proto_newmail)))
        return;
    /* EcDoConnect(Ex) requests carry no handle: nothing to read. */
    if (request && (opnum == OPNUM_CONNECT || opnum == OPNUM_CONNECT_EX))
        return;
    newmail_stub_parse(kind, tvb, offset, encoding, &stub);
    analyse_call(pinfo, di, opnum, kind, tvb, offset, &stub, request, &analysis);

    hf = opnum == OPNUM_REGISTER     ? hf_newmail_register
         : opnum == OPNUM_UNREGISTER ? hf_newmail_unregister
                                     : hf_newmail_session;
    ti = proto_tree_add_item(tree, hf, tvb, offset, length < 0 ? 0 : length, ENC_NA);
    subtree = proto_item_add_subtree(ti, ett_newmail_call);
    switch (kind) {
    case NEWMAIL_REGISTER_REQUEST:
        add_register_request(subtree, tvb, offset, pinfo, di, &stub, encoding, &analysis);
        break;
    case NEWMAIL_REGISTER_RESPONSE:
        add_register_response(subtree, tvb, offset, pinfo, di, &stub, encoding, &analysis);
        break;
    case NEWMAIL_UNREGISTER_REQUEST:
        add_unregister_request(subtree, tvb, offset, pinfo, di, &stub, encoding, &analysis);
        break;
    case NEWMAIL_UNREGISTER_RESPONSE:
        add_unregister_response(subtree, tvb, offset, di, &stub, encoding, &analysis);
        break;
    default:
        add_session_call(subtree, tvb, offset, pinfo, di, opnum, &stub, encoding, request,
                         &analysis);
        break;
    }
    /* A stub cut by the capture's snap length is not the sender's fault:
     * wrap_stock() reports it as Wireshark reports any cut packet. */
    if (tvb_captured_length_remaining(tvb, offset) >= tvb_reported_length_remaining(tvb, offset))
        newmail_stub_add_truncation(pinfo, ti, &stub,
                                    kind == NEWMAIL_REGISTER_REQUEST ? "; no port learned" : "");
    queue_tap(pinfo, kind, &stub, &analysis);
}

/* ---- The hook ------------------------------------------------------------------------ */

/* The opnums the plugin reads, their names (for those stock lacks), and
 * stock's functions for them. */
typedef struct {
    uint16_t opnum;
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
hooked_opnum(uint16_t opnum)
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
wrap_stock(bool request, tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
           dcerpc_info *di, uint8_t *drep)
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
                       dcerpc_info *di, uint8_t *drep)
{
    return wrap_stock(true, tvb, offset, pinfo, tree, di, drep);
}

static int
dissect_emsmdb_response(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                        dcerpc_info *di, uint8_t *drep)
{
    return wrap_stock(false, tvb, offset, pinfo, tree, di, drep);
}

/* Where no EMSMDB interface is registered (a Wireshark built without the
 * MAPI dissector), the plugin registers one with just these opnums. */
static int proto_emsmdb = -1;
static int hf_emsmdb_opnum = -1;
static int ett_emsmdb = -1;

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

/* ---- Registration ------------------------------------------------------------------------ */

void
proto_register_dcerpc_newmail(void)
{
    static hf_register_info hf[] = {
        { &hf_newmail_register,
          { "NEWMAIL push notification registration", "newmail.register", FT_NONE,
            BASE_NONE, NULL, 0x0,
            "What the NEWMAIL plugin reads from an EcRRegisterPushNotification call", HFILL } },
        { &hf_newmail_unregister,
          { "NEWMAIL push notification unregistration", "newmail.unregister",
            FT_NONE, BASE_NONE, NULL, 0x0,
            "What the NEWMAIL plugin reads from an EcRUnregisterPushNotification call", HFILL } },
        { &hf_newmail_session,
          { "NEWMAIL session", "newmail.session", FT_NONE, BASE_NONE, NULL, 0x0,
            "What the NEWMAIL plugin reads from an EMSMDB session call: the session it belongs"
            " to, and the signals a fetch answers", HFILL } },
        { &hf_newmail_cxh,
          { "Session context handle", "newmail.cxh", FT_BYTES, BASE_NONE, NULL, 0x0,
            "CXH: the handle EcDoConnect(Ex) returned, naming the session in every later call",
            HFILL } },
        { &hf_newmail_context,
          { "Context", "newmail.context", FT_BYTES, BASE_NONE, NULL, 0x0,
            "rgbContext: the blob the server sends back as each notification's payload",
            HFILL } },
        { &hf_newmail_context_length,
          { "Context length", "newmail.context_length", FT_UINT16, BASE_DEC, NULL,
            0x0, "cbContext: the context's length as the client states it", HFILL } },
        { &hf_newmail_advise_bits,
          { "Advise bits", "newmail.advise_bits", FT_UINT32, BASE_HEX, NULL, 0x0,
            "grbitAdviseBits: MS-OXCRPC requires 0xFFFFFFFF", HFILL } },
        { &hf_newmail_callback,
          { "Callback address", "newmail.callback", FT_NONE, BASE_NONE, NULL, 0x0,
            "rgbCallbackAddress: the SOCKADDR notifications are sent to", HFILL } },
        { &hf_newmail_callback_family,
          { "Family", "newmail.callback.family", FT_UINT16, BASE_DEC,
            VALS(callback_family_vals), 0x0, "Address family of the callback SOCKADDR",
            HFILL } },
        { &hf_newmail_callback_port,
          { "Port", "newmail.callback.port", FT_UINT16, BASE_DEC, NULL, 0x0,
            "UDP port notifications are sent to", HFILL } },
        { &hf_newmail_callback_ipv4,
          { "IPv4 address", "newmail.callback.ipv4", FT_IPv4, BASE_NONE, NULL, 0x0,
            "IPv4 address notifications are sent to", HFILL } },
        { &hf_newmail_callback_ipv6,
          { "IPv6 address", "newmail.callback.ipv6", FT_IPv6, BASE_NONE, NULL, 0x0,
            "IPv6 address notifications are sent to", HFILL } },
        { &hf_newmail_callback_flowinfo,
          { "Flow information", "newmail.callback.flowinfo", FT_UINT32, BASE_HEX,
            NULL, 0x0, "sin6_flowinfo of the callback SOCKADDR_IN6", HFILL } },
        { &hf_newmail_callback_scope_id,
          { "Scope ID", "newmail.callback.scope_id", FT_UINT32, BASE_DEC, NULL, 0x0,
            "sin6_scope_id of the callback SOCKADDR_IN6", HFILL } },
        { &hf_newmail_callback_length,
          { "Callback address length", "newmail.callback_length", FT_UINT16,
            BASE_DEC, NULL, 0x0,
            "cbCallbackAddress: the SOCKADDR's length as the client states it", HFILL } },
        { &hf_newmail_handle,
          { "Notification handle", "newmail.handle", FT_UINT32, BASE_HEX, NULL, 0x0,
            "hNotification: names the registration to EcRUnregisterPushNotification", HFILL } },
        { &hf_newmail_notification_count,
          { "Notifications", "newmail.notification_count", FT_UINT32, BASE_DEC, NULL,
            0x0, "Notifications sent to this registration's callback in the capture", HFILL } },
        { &hf_newmail_first_notification_frame,
          { "First notification in", "newmail.first_notification_frame",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of the first notification sent for this registration", HFILL } },
        { &hf_newmail_end_frame,
          { "Ended in", "newmail.end_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame that ended this registration: the EcRUnregisterPushNotification request, the"
            " response refusing it, or a later registration of the same callback", HFILL } },
    };
    static hf_register_info hf_emsmdb[] = {
        { &hf_emsmdb_opnum,
          { "Operation", NEWMAIL_FILTER_NAME "_emsmdb.opnum", FT_UINT16, BASE_DEC, NULL, 0x0,
            "EMSMDB operation number", HFILL } },
    };
    static int *ett[] = {
        &ett_newmail_call,
        &ett_newmail_callback,
        &ett_emsmdb,
    };
    static ei_register_info ei[] = {
        { &ei_newmail_context_length_mismatch,
          { "newmail.context_length_mismatch", PI_MALFORMED, PI_ERROR,
            "cbContext differs from rgbContext's count", EXPFILL } },
        { &ei_newmail_callback_length_mismatch,
          { "newmail.callback_length_mismatch", PI_MALFORMED, PI_ERROR,
            "cbCallbackAddress differs from rgbCallbackAddress's count", EXPFILL } },
        { &ei_newmail_callback_family,
          { "newmail.callback.unknown_family", PI_MALFORMED, PI_ERROR,
            "Unknown callback address family", EXPFILL } },
        { &ei_newmail_callback_short,
          { "newmail.callback.too_short", PI_MALFORMED, PI_ERROR,
            "Callback SOCKADDR too short for its family", EXPFILL } },
        { &ei_newmail_callback_port_zero,
          { "newmail.callback.port_zero", PI_MALFORMED, PI_ERROR,
            "Callback port is 0; no port learned", EXPFILL } },
        { &ei_newmail_callback_not_source,
          { "newmail.callback_not_source", PI_PROTOCOL, PI_WARN,
            "The callback address is not the address the registration came from", EXPFILL } },
        { &ei_newmail_advise_bits,
          { "newmail.advise_bits_unexpected", PI_PROTOCOL, PI_WARN,
            "grbitAdviseBits is not 0xFFFFFFFF as MS-OXCRPC requires", EXPFILL } },
        { &ei_newmail_registration_failed,
          { "newmail.registration_failed", PI_RESPONSE_CODE, PI_WARN,
            "The server refused the registration", EXPFILL } },
        { &ei_newmail_unknown_handle,
          { "newmail.unknown_handle", PI_SEQUENCE, PI_NOTE,
            "No registration with this notification handle precedes this call in the capture",
            EXPFILL } },
        { &ei_newmail_rop_length,
          { "newmail.rop_length_mismatch", PI_MALFORMED, PI_ERROR,
            "cbIn or pcbOut (EcDoRpc: Length) differs from the ROP buffer's NDR counts",
            EXPFILL } },
    };
    expert_module_t *expert;

    newmail_core_register();
    proto_register_field_array(proto_newmail, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_newmail);
    expert_register_field_array(expert, ei, array_length(ei));

    /* Built-in dissectors register before plugins, so this tells whether
     * the running Wireshark decodes EMSMDB itself. */
    if (proto_get_id_by_filter_name("mapi") == -1) {
        proto_emsmdb = proto_register_protocol("Exchange EMSMDB session calls", "EMSMDB-NEWMAIL",
                                               NEWMAIL_FILTER_NAME "_emsmdb");
        proto_register_field_array(proto_emsmdb, hf_emsmdb, array_length(hf_emsmdb));
    }
    register_init_routine(emsmdb_hook_init);
}

/* Wireshark frees the DCE/RPC interface table at exit and then unloads the
 * plugin; what the plugin allocated for the whole run goes with them. */
static void
emsmdb_hook_shutdown(void)
{
    g_free(emsmdb_procs);
    emsmdb_procs = NULL;
}

void
proto_reg_handoff_dcerpc_newmail(void)
{
    hook_emsmdb();
    register_shutdown_routine(emsmdb_hook_shutdown);
}
