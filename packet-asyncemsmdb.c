/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * packet-asyncemsmdb.c: AsyncEMSMDB (MS-OXCRPC 3.3.4), the interface
 * 5261574a-4572-206e-b268-6b199213b4e4 v0.1 with one call, EcDoAsyncWaitEx
 * (opnum 0): the server parks it until events are pending for the session
 * (NotificationPending) or five minutes pass. Its ACXH comes from the
 * session's EcDoAsyncConnectEx (EMSMDB opnum 14, packet-dcerpc-newmail.c).
 *
 * No Wireshark decodes AsyncEMSMDB, so the plugin registers it (filter
 * asyncemsmdb) unless the running Wireshark has it. A completed wait with
 * NotificationPending is a signal of the session.
 */
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/dissectors/packet-dcerpc.h>

#include "newmail-core.h"
#include "newmail-links.h"
#include "newmail-parse.h"
#include "newmail-session.h"
#include "newmail-stub-tree.h"
#include "packet-newmail.h"

static int proto_async_emsmdb = -1;
static int hf_async_emsmdb_opnum = -1;

static int hf_newmail_async_flags_in = -1;
static int hf_newmail_async_flags_out = -1;
static int hf_newmail_async_pending = -1;
static int hf_newmail_async_connect_frame = -1;
static int hf_newmail_async_wait_time = -1;

static int ett_async_emsmdb = -1;
static int ett_newmail_async_flags = -1;

static expert_field ei_newmail_async_unknown_handle = EI_INIT;

static e_guid_t uuid_async_emsmdb = { 0x5261574a, 0x4572, 0x206e,
                                      { 0xb2, 0x68, 0x6b, 0x19, 0x92, 0x13, 0xb4, 0xe4 } };
#define ASYNC_EMSMDB_VERSION 0 /* 0.1: DCE/RPC matches the major version */
#define OPNUM_ASYNC_WAIT 0

#define ASYNC_FLAG_NOTIFICATION_PENDING 0x00000001

/* What the first pass keeps of one wait, keyed by DCE/RPC's call: the ACXH
 * its request named and, for a signalling response, the handle's signal
 * before it. */
typedef struct {
    newmail_async_handle_t *handle;
    uint32_t previous_signal;
} wait_record_t;

static wmem_map_t *wait_records; /* dcerpc_call_value * -> wait_record_t */

static void
asyncemsmdb_init(void)
{
    wait_records = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
}

static wait_record_t *
wait_record_lookup(const dcerpc_info *di)
{
    if (di->call_data == NULL)
        return NULL;
    return (wait_record_t *)wmem_map_lookup(wait_records, di->call_data);
}

/* ---- Analysis (first pass) ------------------------------------------------------------- */

/* A wait request: the record of its call, with the ACXH's record. An ACXH
 * whose EcDoAsyncConnectEx is not in the capture still names one source of
 * signals. */
static void
analyse_wait_request(packet_info *pinfo, const dcerpc_info *di, const newmail_stub_t *stub)
{
    wait_record_t *record;

    if (PINFO_FD_VISITED(pinfo) || di->call_data == NULL)
        return;
    record = wait_record_lookup(di);
    if (record == NULL) {
        record = wmem_new0(wmem_file_scope(), wait_record_t);
        wmem_map_insert(wait_records, di->call_data, record);
    }
    if (!newmail_stub_has(stub, NEWMAIL_F_ASYNC_HANDLE))
        return;
    record->handle = newmail_async_handle_lookup(stub->async_handle);
    if (record->handle == NULL)
        record->handle = newmail_async_handle_issue(stub->async_handle, 0, NULL);
}

/* A response with NotificationPending: a signal of the handle's session. */
static void
analyse_wait_signal(packet_info *pinfo, wait_record_t *record)
{
    if (PINFO_FD_VISITED(pinfo) || record == NULL || record->handle == NULL)
        return;
    record->previous_signal = newmail_async_handle_add_signal(record->handle, pinfo);
}

/* ---- EcDoAsyncWaitEx ----------------------------------------------------------------------- */

/* [in] ACXH acxh, [in] unsigned long ulFlagsIn */
static int
dissect_async_wait_request(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                           dcerpc_info *di, uint8_t *drep)
{
    unsigned encoding = DREP_ENC_INTEGER(drep);
    const wait_record_t *record;
    const newmail_async_handle_t *handle;
    newmail_stub_t stub;
    proto_item *item;

    newmail_stub_parse(NEWMAIL_ASYNC_WAIT_REQUEST, tvb, offset, encoding, &stub);
    analyse_wait_request(pinfo, di, &stub);
    record = wait_record_lookup(di);
    handle = record != NULL ? record->handle : NULL;

    item = newmail_stub_add_acxh(tree, tvb, offset, &stub);
    if (item != NULL && (handle == NULL || handle->connect_frame == 0))
        expert_add_info(pinfo, item, &ei_newmail_async_unknown_handle);
    if (newmail_stub_has(&stub, NEWMAIL_F_FLAGS_IN))
        newmail_stub_add_item(tree, hf_newmail_async_flags_in, tvb, offset, &stub,
                              NEWMAIL_F_FLAGS_IN, encoding);
    if (handle != NULL) {
        newmail_add_frame_link(tree, hf_newmail_async_connect_frame, tvb, handle->connect_frame);
        newmail_add_session_link(tree, tvb, handle->session);
    }
    newmail_stub_add_call_links(tree, tvb, di, true);
    newmail_stub_add_truncation(pinfo, proto_tree_get_parent(tree), &stub, "");
    return newmail_stub_end(offset, &stub);
}

/* [out] unsigned long *pulFlagsOut, and the return value */
static int
dissect_async_wait_response(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                            dcerpc_info *di, uint8_t *drep)
{
    unsigned encoding = DREP_ENC_INTEGER(drep);
    wait_record_t *record = wait_record_lookup(di);
    const newmail_async_handle_t *handle = record != NULL ? record->handle : NULL;
    const newmail_session_t *session = handle != NULL ? handle->session : NULL;
    uint32_t previous;
    bool pending;
    newmail_stub_t stub;
    proto_item *item;
    proto_tree *flags_tree;

    newmail_stub_parse(NEWMAIL_ASYNC_WAIT_RESPONSE, tvb, offset, encoding, &stub);
    pending = newmail_stub_has(&stub, NEWMAIL_F_FLAGS_OUT) &&
              (stub.flags_out & ASYNC_FLAG_NOTIFICATION_PENDING) != 0;
    if (pending)
        analyse_wait_signal(pinfo, record);

    if (newmail_stub_has(&stub, NEWMAIL_F_FLAGS_OUT)) {
        item = newmail_stub_add_item(tree, hf_newmail_async_flags_out, tvb, offset, &stub,
                                     NEWMAIL_F_FLAGS_OUT, encoding);
        flags_tree = proto_item_add_subtree(item, ett_newmail_async_flags);
        newmail_stub_add_item(flags_tree, hf_newmail_async_pending, tvb, offset, &stub,
                              NEWMAIL_F_FLAGS_OUT, encoding);
    }
    newmail_stub_add_return_code(tree, tvb, offset, &stub, encoding);
    newmail_stub_add_call_links(tree, tvb, di, false);
    if (di->call_data != NULL && di->call_data->req_frame != 0) {
        nstime_t wait;

        nstime_delta(&wait, &pinfo->abs_ts, &di->call_data->req_time);
        proto_item_set_generated(
            proto_tree_add_time(tree, hf_newmail_async_wait_time, tvb, 0, 0, &wait));
    }
    if (handle != NULL)
        newmail_add_frame_link(tree, hf_newmail_async_connect_frame, tvb, handle->connect_frame);
    newmail_stub_add_truncation(pinfo, proto_tree_get_parent(tree), &stub, "");

    newmail_add_session_link(tree, tvb, session);
    if (!pending)
        return newmail_stub_end(offset, &stub);
    col_append_str(pinfo->cinfo, COL_INFO, ", NotificationPending");
    previous = record != NULL ? record->previous_signal : 0;
    newmail_add_signal(tree, tvb, pinfo, NEWMAIL_SIGNAL_ASYNC, session, previous);
    newmail_tap_signal(pinfo, NEWMAIL_SIGNAL_ASYNC,
                       newmail_session_unanswered(session, previous, pinfo->num));
    return newmail_stub_end(offset, &stub);
}

static dcerpc_sub_dissector async_emsmdb_procs[] = {
    { OPNUM_ASYNC_WAIT, "EcDoAsyncWaitEx", dissect_async_wait_request,
      dissect_async_wait_response },
    { 0, NULL, NULL, NULL }
};

/* ---- Registration ------------------------------------------------------------------------ */

void
proto_register_asyncemsmdb(void)
{
    static hf_register_info hf[] = {
        { &hf_newmail_async_flags_in,
          { "Flags in", "asyncemsmdb.flags_in", FT_UINT32, BASE_HEX, NULL, 0x0,
            "ulFlagsIn of EcDoAsyncWaitEx (0)", HFILL } },
        { &hf_newmail_async_flags_out,
          { "Flags out", "asyncemsmdb.flags_out", FT_UINT32, BASE_HEX, NULL, 0x0,
            "pulFlagsOut of EcDoAsyncWaitEx", HFILL } },
        { &hf_newmail_async_pending,
          { "NotificationPending", "asyncemsmdb.pending", FT_BOOLEAN, 32, NULL,
            ASYNC_FLAG_NOTIFICATION_PENDING,
            "The server has events for the session: the client should fetch them", HFILL } },
        { &hf_newmail_async_connect_frame,
          { "Handle issued in", "asyncemsmdb.connect_frame", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "Frame of the EcDoAsyncConnectEx request that issued this wait's ACXH", HFILL } },
        { &hf_newmail_async_wait_time,
          { "Wait time", "asyncemsmdb.wait_time", FT_RELATIVE_TIME, BASE_NONE,
            NULL, 0x0, "How long the server held the wait: from its request to this response",
            HFILL } },
    };
    static hf_register_info hf_async[] = {
        { &hf_async_emsmdb_opnum,
          { "Operation", "asyncemsmdb.opnum", FT_UINT16, BASE_DEC, NULL, 0x0,
            "AsyncEMSMDB operation number", HFILL } },
    };
    static int *ett[] = {
        &ett_newmail_async_flags,
        &ett_async_emsmdb,
    };
    static ei_register_info ei[] = {
        { &ei_newmail_async_unknown_handle,
          { "asyncemsmdb.unknown_handle", PI_SEQUENCE, PI_NOTE,
            "No EcDoAsyncConnectEx in the capture issued this ACXH", EXPFILL } },
    };
    expert_module_t *expert;

    int proto;

    newmail_core_register();
    /* Built-in dissectors register before plugins, so this tells whether
     * the running Wireshark decodes AsyncEMSMDB itself. The wait's fields
     * belong to that protocol either way, ours or Wireshark's. */
    proto = proto_get_id_by_filter_name("asyncemsmdb");
    if (proto == -1) {
        proto_async_emsmdb = proto_register_protocol("Exchange Asynchronous EMSMDB",
                                                     "AsyncEMSMDB", "asyncemsmdb");
        proto_register_field_array(proto_async_emsmdb, hf_async, array_length(hf_async));
        proto = proto_async_emsmdb;
    }
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto);
    expert_register_field_array(expert, ei, array_length(ei));
    register_init_routine(asyncemsmdb_init);
}

void
proto_reg_handoff_asyncemsmdb(void)
{
    if (proto_async_emsmdb != -1)
        dcerpc_init_uuid(proto_async_emsmdb, ett_async_emsmdb, &uuid_async_emsmdb,
                         ASYNC_EMSMDB_VERSION, async_emsmdb_procs, hf_async_emsmdb_opnum);
}
