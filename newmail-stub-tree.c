/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-stub-tree.c: tree items of the EMSMDB and AsyncEMSMDB stubs (see
 * newmail-stub-tree.h).
 */
#include <epan/expert.h>
#include <epan/packet.h>

#include "newmail-core.h"
#include "newmail-links.h"
#include "newmail-stub-tree.h"

static int hf_newmail_return_code = -1;
static int hf_newmail_request_frame = -1;
static int hf_newmail_response_frame = -1;
static int hf_newmail_async_acxh = -1;

static expert_field ei_newmail_stub_truncated = EI_INIT;

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

void
newmail_stub_parse(newmail_stub_kind_t kind, tvbuff_t *tvb, int offset, unsigned encoding,
                   newmail_stub_t *stub)
{
    int length = tvb_captured_length_remaining(tvb, offset);

    if (length < 0)
        length = 0;
    newmail_parse_stub(kind, length > 0 ? tvb_get_ptr(tvb, offset, length) : NULL, (size_t)length,
                       encoding == ENC_BIG_ENDIAN, stub);
}

proto_item *
newmail_stub_add_item(proto_tree *tree, int hf, tvbuff_t *tvb, int stub_offset,
                      const newmail_stub_t *stub, newmail_field_t field, unsigned encoding)
{
    return proto_tree_add_item(tree, hf, tvb, stub_offset + (int)stub->span[field].offset,
                               (int)stub->span[field].length, encoding);
}

proto_item *
newmail_stub_add_return_code(proto_tree *tree, tvbuff_t *tvb, int stub_offset,
                             const newmail_stub_t *stub, unsigned encoding)
{
    if (!newmail_stub_has(stub, NEWMAIL_F_RETURN_VALUE))
        return NULL;
    return newmail_stub_add_item(tree, hf_newmail_return_code, tvb, stub_offset, stub,
                                 NEWMAIL_F_RETURN_VALUE, encoding);
}

proto_item *
newmail_stub_add_acxh(proto_tree *tree, tvbuff_t *tvb, int stub_offset, const newmail_stub_t *stub)
{
    if (!newmail_stub_has(stub, NEWMAIL_F_ASYNC_HANDLE))
        return NULL;
    return newmail_stub_add_item(tree, hf_newmail_async_acxh, tvb, stub_offset, stub,
                                 NEWMAIL_F_ASYNC_HANDLE, ENC_NA);
}

void
newmail_stub_add_call_links(proto_tree *tree, tvbuff_t *tvb, const dcerpc_info *di, bool request)
{
    if (di->call_data == NULL)
        return;
    if (request)
        newmail_add_frame_link(tree, hf_newmail_response_frame, tvb, di->call_data->rep_frame);
    else
        newmail_add_frame_link(tree, hf_newmail_request_frame, tvb, di->call_data->req_frame);
}

void
newmail_stub_add_request_link(proto_tree *tree, tvbuff_t *tvb, uint32_t frame)
{
    newmail_add_frame_link(tree, hf_newmail_request_frame, tvb, frame);
}

int
newmail_stub_end(int stub_offset, const newmail_stub_t *stub)
{
    size_t end = 0;

    for (int f = 0; f < NEWMAIL_F_COUNT; f++) {
        if (newmail_stub_has(stub, (newmail_field_t)f))
            end = MAX(end, stub->span[f].offset + stub->span[f].length);
    }
    return stub_offset + (int)end;
}

void
newmail_stub_add_truncation(packet_info *pinfo, proto_item *item, const newmail_stub_t *stub,
                            const char *consequence)
{
    if (stub->problems & NEWMAIL_PROBLEM_TRUNCATED)
        expert_add_info_format(pinfo, item, &ei_newmail_stub_truncated, "Stub ends inside %s%s",
                               newmail_field_name(newmail_stub_first_missing(stub)), consequence);
}

void
newmail_register_stub_tree(void)
{
    static hf_register_info hf[] = {
        { &hf_newmail_return_code,
          { "Return code", "newmail.return_code", FT_UINT32, BASE_HEX,
            VALS(return_code_vals), 0x0, "The call's return value; 0 is success", HFILL } },
        { &hf_newmail_request_frame,
          { "Request in", "newmail.request_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0, "Frame of this call's request", HFILL } },
        { &hf_newmail_response_frame,
          { "Response in", "newmail.response_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0, "Frame of this call's response", HFILL } },
        { &hf_newmail_async_acxh,
          { "Asynchronous context handle", "newmail.async.acxh", FT_BYTES, BASE_NONE,
            NULL, 0x0,
            "ACXH: issued by EcDoAsyncConnectEx, named by every EcDoAsyncWaitEx of the session",
            HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_newmail_stub_truncated,
          { "newmail.stub_truncated", PI_MALFORMED, PI_ERROR,
            "Stub ends inside a field", EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_newmail);

    proto_register_field_array(proto_newmail, hf, array_length(hf));
    expert_register_field_array(expert, ei, array_length(ei));
}
